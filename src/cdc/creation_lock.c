/*-------------------------------------------------------------------------
 *
 * creation_lock.c
 *		The locks that the creation of a reader of the change log (a
 *		consumer, a fact, a dimension) holds until it commits.
 *
 * dataeng.cdc_purge() must not forget the tick of a consumer it cannot see
 * yet (its creation has not committed), nor the changes of transactions
 * running at that tick: a creation holds the creations' lock until it ends,
 * and a purge takes it exclusively.  Creations do not exclude each other:
 * each takes it in a mode that only the purge's conflicts with, so that a
 * role keeping a transaction open after a creation holds back no other
 * role's creation.  A purge does not queue for the lock either (a request
 * in the lock's queue would make every creation after it wait too): it
 * waits for the transactions holding it to end, one by one, as CREATE
 * INDEX CONCURRENTLY waits for its lockers, then takes it if it is free,
 * else waits for the newcomers in turn.
 *
 * The count of a role's consumers against dataeng.max_consumers_per_role
 * is made under a lock of that role alone: two creations of one role
 * cannot both pass its last free place; creations of other roles do not
 * wait.
 *
 * The locks are advisory lock tags out of reach of pg_advisory_lock()
 * (cdc/cdc.h): no role can take them to hold back another role's
 * creations, or a purge.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/snapmgr.h"

#include "common/common.h"
#include "cdc/cdc.h"

/* creations: one another's equal; the purge: exclusive */
#define CREATION_MODE	RowExclusiveLock
#define PURGE_MODE		ExclusiveLock

/* the creations' lock (role InvalidOid), or a role's */
#define SET_LOCKTAG_CREATION(tag, role) \
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, CDC_CREATION_LOCK_KEY, (uint32) (role), \
						 CDC_CREATION_LOCK_FIELD4)

/*
 * cdc_creation_lock
 *		Before the creation of a reader of role's (a consumer, a fact, a
 *		dimension) locks any table: the creations' lock, and when
 *		dataeng.max_consumers_per_role limits role, the role's, until the
 *		end of the transaction.  Taken before the tables, as every creation
 *		does, so that two creations never each hold what the other waits
 *		for (a fact's creation locks its source, then creates its consumer).
 */
void
cdc_creation_lock(Oid role)
{
	LOCKTAG		tag;

	SET_LOCKTAG_CREATION(tag, InvalidOid);
	(void) LockAcquire(&tag, CREATION_MODE, false, false);
	if (OidIsValid(role) && cdc_max_consumers_per_role > 0 && !superuser_arg(role))
	{
		SET_LOCKTAG_CREATION(tag, role);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
}

/*
 * role_consumers
 *		The number of role's consumers that snapshot sees.  (The caller,
 *		_cdc_consumer_create(), runs as dataeng's owner with search_path
 *		pinned.)
 */
static int64
role_consumers(Oid role, Snapshot snapshot)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	SPIPlanPtr	plan;
	int64		n = 0;
	bool		isnull;

	values[0] = ObjectIdGetDatum(role);
	SPI_connect();
	plan = SPI_prepare(dataeng_internal_sql("SELECT pg_catalog.count(*) FROM dataeng_internal.cdc_consumer_state c "
											"WHERE c.owner OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"),
					   1, argtypes);
	/* (not read-only: the snapshot sees this transaction's own changes) */
	if (plan == NULL ||
		SPI_execute_snapshot(plan, values, NULL, snapshot, InvalidSnapshot,
							 false, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not count the consumers of role %u", role);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return n;
}

PG_FUNCTION_INFO_V1(dataeng_cdc_creation_lock);

/*
 * dataeng_cdc_creation_lock
 *		(owner regrole): cdc_creation_lock() for a creation of owner's.
 *		Not PUBLIC's: _cdc_consumer_create() takes it as dataeng's owner.
 *		Where dataeng.max_consumers_per_role limits owner in a transaction
 *		whose snapshot is its first (REPEATABLE READ, SERIALIZABLE), the
 *		count the caller makes next would miss a consumer of owner's
 *		committed after that snapshot: the lock taken, such a consumer is
 *		a serialization failure (40001).
 */
Datum
dataeng_cdc_creation_lock(PG_FUNCTION_ARGS)
{
	Oid			role = PG_GETARG_OID(0);

	cdc_creation_lock(role);
	if (OidIsValid(role) && cdc_max_consumers_per_role > 0 && !superuser_arg(role) &&
		IsolationUsesXactSnapshot() &&
		role_consumers(role, GetTransactionSnapshot()) < role_consumers(role, GetLatestSnapshot()))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent creation of a consumer of role %s",
						GetUserNameFromId(role, false)),
				 errdetail("dataeng.max_consumers_per_role limits the role's consumers, counted at the creation; "
						   "a consumer of the role was created by a transaction committed after this transaction's snapshot was taken, which the count would miss."),
				 errhint("Retry the transaction.")));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataeng_cdc_creations_wait);

/*
 * dataeng_cdc_creations_wait
 *		For dataeng.cdc_purge(): the creations' lock, exclusively, until
 *		the end of the transaction, once every creation holding it has
 *		ended.  It waits for each such transaction without queuing for the
 *		lock (creations that start meanwhile take it at once; they are
 *		waited for in turn), each wait bounded by lock_timeout (its error,
 *		55P03, ends the call).  Not PUBLIC's.
 */
Datum
dataeng_cdc_creations_wait(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;

	SET_LOCKTAG_CREATION(tag, InvalidOid);
	for (;;)
	{
		if (LockAcquire(&tag, PURGE_MODE, false, true) != LOCKACQUIRE_NOT_AVAIL)
			break;
		/* the transactions holding it now, each to its end */
		WaitForLockers(tag, PURGE_MODE, false);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_VOID();
}
