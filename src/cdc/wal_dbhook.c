/*-------------------------------------------------------------------------
 *
 * wal_dbhook.c
 *		The WAL capture worker of a database leaves it before DROP
 *		DATABASE, ALTER DATABASE ... RENAME TO / SET TABLESPACE and CREATE
 *		DATABASE ... TEMPLATE of it, and comes back afterwards.
 *
 * The scheduler's utility hook (src/schedule/dbhook.c) finds the database
 * such a command needs empty and calls cdc_wal_hold_database() before
 * PostgreSQL checks that nobody else is connected.  Shared memory keeps,
 * per database with a WAL capture worker (or a command waiting for one to
 * leave), the worker's pid and latch and a hold count:
 *
 *	- a worker checks its database's entry before it connects
 *	  (cdc_wal_enter()): a held or dropped database is left alone, without
 *	  connecting, so no worker ever logs FATAL about a database that is
 *	  gone; the entry remembers that a worker wanted to run there;
 *	- a running worker sees the hold between rounds (cdc_wal_leaving())
 *	  and exits; a round in progress is cancelled (SIGINT) after a short
 *	  grace time.  A round is one transaction and the slot moves only after
 *	  it committed: a cancelled round keeps nothing, and its changes are
 *	  decoded again when the worker comes back, so none is lost or doubled;
 *	- except before SET TABLESPACE: logical decoding maps the file nodes
 *	  of the WAL to tables through the database's current tablespace, so
 *	  WAL of the database written before its move cannot be decoded after
 *	  it.  The worker "drains": it applies every change written so far
 *	  (rounds until one finds the end of WAL), advances its slot, and only
 *	  then leaves; it is not cancelled.  (A session still connected makes
 *	  the command fail anyway; its changes are captured as usual.)
 *	- the command waits (at most CDC_WAL_HOLD_WAIT_MS) until the worker is
 *	  gone.  When the command's transaction ends, the hold is released and
 *	  a worker that left (or could not start) is started again: after a
 *	  RENAME, a SET TABLESPACE, a TEMPLATE copy or a failed DROP capture
 *	  goes on from the slot's position.  A dropped database keeps its
 *	  entry, marked gone, so that a worker registered before the drop
 *	  never connects to it.
 *
 * The entry also records how the last start of the database's worker
 * went while none is in it: registered (not in the database yet), ended
 * by an error (the postmaster starts it again after bgw_restart_time), or
 * not registered for want of a background worker slot
 * (cdc_wal_note_start(), from cdc_wal_register_handle(); the worker's
 * exit).  dataeng.cdc_wal_sync() reads it (_cdc_wal_start_state()) to
 * wait for a worker that comes and fail at once when none can.
 *
 * It also counts the workers ended by an error in a row (a round that
 * commits ends the series) and keeps the last error: the next worker
 * enters no sooner than 10 s after a failure, then 20 s, 40 s, ... up to
 * 5 min (cdc_wal_enter() waits before it connects), whoever started it
 * (the postmaster's restart, the launcher, a session), so a worker that
 * cannot run never fails in a loop; a start by a user ends the wait
 * (cdc_wal_reset_backoff()).  _cdc_wal_last_error() shows the error.
 * These failures are also kept in a state file per database, read back
 * after a server start or a crash-restart; a worker that went down with
 * the server before its first round counts as one of them (see "The
 * state file of a database" below).  A worker ended by its termination
 * (SIGTERM: pg_terminate_backend(), a shutdown) has not failed.
 *
 * The entry of a dropped database stays, marked gone, until it is needed
 * for another database; a new database that takes its oid (CREATE
 * DATABASE ... OID, or the oid counter come round) clears it at commit,
 * and starts without its state file.
 *
 * The slot of a dropped database: PostgreSQL drops every inactive logical
 * slot of a database with it, in the DROP's transaction; the worker has
 * left, so its slot is inactive and goes with the database (a NOTICE says
 * so).  The hook does not drop it itself: a DROP that then fails (another
 * session is connected) keeps the slot, and capture resumes where it was.
 *
 * A copy made with CREATE DATABASE ... TEMPLATE of a database with WAL
 * capture has the same tables captured from the WAL, but no slot (slots
 * belong to one database): its own worker is started when the copy
 * commits; it creates the copy's slot, and captures the copy's changes
 * from then on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <fcntl.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "port/pg_crc32c.h"
#include "replication/slot.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "cdc/wal.h"
#include "schedule/schedule.h"

/*
 * The entries: dataeng.wal_max_databases, or when it is 0 (the default)
 * MAX_HOLDS times MaxBackends, computed when the shared memory is
 * requested.  An entry is in use while a worker runs in its database or a
 * command holds it (every one a process counted in MaxBackends; a backend
 * holds at most MAX_HOLDS), and a dropped database's entry is taken again
 * when needed: by default, they never run short.
 */
int			cdc_wal_max_databases = 0;
/* most databases a backend's transaction holds */
#define MAX_HOLDS 4
static int	wal_nentries = 0;
/* how long a command waits for the worker to leave its database */
#define CDC_WAL_HOLD_WAIT_MS 10000
/* how long a round may go on before it is cancelled */
#define CDC_WAL_HOLD_GRACE_MS 500

/* room for the message of a worker's last error */
#define WAL_ERR_LEN 256

typedef struct WalDbEntry
{
	Oid			dboid;			/* InvalidOid: a free entry */
	pid_t		pid;			/* the worker in the database, or 0 */
	Latch	   *latch;
	int			hold;			/* commands waiting for the database to be empty */
	bool		gone;			/* dropped: no worker connects any more */
	bool		relaunch;		/* a worker left, or did not start, for a hold */
	bool		drain;			/* the worker applies all WAL before it leaves */
	bool		idle;			/* the worker runs no round: dataeng.enabled is off */
	/*
	 * When the worker last read the configuration files (its PgReloadTime:
	 * inherited from the postmaster at its start, then each reload it
	 * applied between rounds), for _cdc_wal_conf_read()
	 */
	TimestampTz conf_read;
	/*
	 * How the last start of a worker for the database went, while no worker
	 * is in it (pid 0): for the sessions that wait for one
	 * (dataeng_internal._cdc_wal_start_state()), since start_at
	 */
	uint8		start;			/* WAL_START_* */
	TimestampTz start_at;
	/*
	 * Workers of the database ended by an error in a row (reset by a round
	 * that committed), and when the next one may enter: a worker started
	 * sooner (restarted by the postmaster, or registered anew by the
	 * launcher or a session) waits until then before it connects.
	 */
	int			fails;
	TimestampTz retry_at;
	/*
	 * Workers ended by an error since a round last committed: as fails, but
	 * a start by a user (cdc_wal_reset_backoff()) does not end the series,
	 * for the alert wal_capture_failing (_cdc_wal_fail_streak())
	 */
	int			fail_streak;
	/* the last error that ended a worker (errmsg, SQLSTATE, time) */
	char		err_message[WAL_ERR_LEN];
	int			err_sqlstate;
	TimestampTz err_at;
	/*
	 * The failures above were read from the database's state file
	 * (wal_entry_load()); running: a worker entered and has not committed
	 * a round yet (written there too, so that a crash meanwhile counts as
	 * its failure)
	 */
	bool		loaded;
	bool		running;
	/*
	 * The WAL position of the latest change whose message pgoutput failed
	 * to make (wal_decode.c): the next worker decodes the changes up to it
	 * one by one, each in a subtransaction, and stops the table of one that
	 * fails again instead of failing the round (not kept in the state file:
	 * after a restart the first failure sets it again), and the relations
	 * of the last WAL_GUARD_RELS such changes, whose later changes are
	 * guarded too: each change the table's owner writes so would otherwise
	 * end a round again
	 */
	XLogRecPtr	guard_upto;
	Oid			guard_rels[WAL_GUARD_RELS];
	int			guard_next;		/* the slot of guard_rels written next */
} WalDbEntry;

/* WalDbEntry.start */
#define WAL_START_NONE			0	/* nothing known: none started, or one ended */
#define WAL_START_REGISTERED	1	/* registered, not in the database yet */
#define WAL_START_RESTARTING	2	/* ended by an error: the postmaster starts it again */
#define WAL_START_NOSLOT		3	/* could not be registered: no worker slot was free */
/* bgw_restart_time of the worker (cdc_wal_register_handle()) */
#define WAL_RESTART_MS			10000
/* the longest wait before a worker that failed is started again */
#define WAL_BACKOFF_MAX_MS		300000

/*
 * The wait after the fails-th failure in a row: WAL_RESTART_MS, then twice
 * as long each time, up to WAL_BACKOFF_MAX_MS.
 */
static int
wal_backoff_ms(int fails)
{
	int			ms = WAL_RESTART_MS;

	while (--fails > 0 && ms < WAL_BACKOFF_MAX_MS)
		ms *= 2;
	return Min(ms, WAL_BACKOFF_MAX_MS);
}

typedef struct WalShmem
{
	slock_t		mutex;
	int			nentries;
	/*
	 * When this shared memory was made: a state file written in another
	 * life of it was written before a server start or a crash
	 */
	TimestampTz life;
	/* held while a state file is read or written (wal_entry_load()) */
	int			tranche;
	LWLock		io_lock;
	/*
	 * Workers running without an entry (none was free when they started):
	 * while there are any, a database without a worker in its entry may
	 * still have one, and _cdc_wal_worker() says 'unknown'.  Such a worker
	 * takes an entry between its rounds as soon as one is free.
	 */
	int			untracked;
	WalDbEntry	dbs[FLEXIBLE_ARRAY_MEMBER];
} WalShmem;

static WalShmem *wal_shmem = NULL;

/* the worker's own entry */
static WalDbEntry *my_entry = NULL;
/* the worker runs without one (counted in WalShmem.untracked) */
static bool my_untracked = false;
static bool exit_callback_registered = false;

/* the holds this backend's transaction has taken */
static struct
{
	Oid			dboid;
	bool		drop;
	char		copy_name[NAMEDATALEN];	/* CREATE DATABASE copy_name TEMPLATE */
	Oid			copy_oid;		/* its oid, found before commit */
}			holds[MAX_HOLDS];
static int	nholds = 0;
static bool xact_callback_registered = false;

static void
wal_shmem_init(void *area)
{
	WalShmem   *w = (WalShmem *) area;

	SpinLockInit(&w->mutex);
	w->nentries = wal_nentries;
	w->life = GetCurrentTimestamp();
	w->tranche = LWLockNewTrancheId();
	LWLockInitialize(&w->io_lock, w->tranche);
}

/* (in the postmaster, when it requests shared memory: MaxBackends is known) */
static Size
wal_shmem_size(void)
{
	wal_nentries = cdc_wal_max_databases > 0 ? cdc_wal_max_databases : MaxBackends * MAX_HOLDS;
	return add_size(offsetof(WalShmem, dbs), mul_size(wal_nentries, sizeof(WalDbEntry)));
}

/*
 * cdc_wal_dbhook_init
 *		Called from _PG_init at preload: the shared memory of the entries.
 */
void
cdc_wal_dbhook_init(void)
{
	dataeng_shmem_area_sized("dataeng wal capture", 0, wal_shmem_size,
							 (void **) &wal_shmem, wal_shmem_init);
}

/*
 * The entry of dboid; with create, a new one if there is none (a free
 * entry, else a dropped database's, else the one kept longest only for
 * how a start of its worker went).  NULL if there is no room.
 * Caller holds the mutex.
 */
static WalDbEntry *
entry_find(Oid dboid, bool create)
{
	WalDbEntry *free_entry = NULL;
	WalDbEntry *gone_entry = NULL;
	WalDbEntry *noted_entry = NULL;
	int			i;

	for (i = 0; i < wal_shmem->nentries; i++)
	{
		WalDbEntry *e = &wal_shmem->dbs[i];

		if (e->dboid == dboid)
			return e;
		if (!OidIsValid(e->dboid) && free_entry == NULL)
			free_entry = e;
		if (e->gone && e->pid == 0 && e->hold == 0 && gone_entry == NULL)
			gone_entry = e;
		/* an entry kept only for how a start went, the oldest one */
		if (!e->gone && e->pid == 0 && e->hold == 0 && !e->relaunch &&
			e->start != WAL_START_NONE &&
			(noted_entry == NULL || e->start_at < noted_entry->start_at))
			noted_entry = e;
	}
	if (!create)
		return NULL;
	if (free_entry == NULL)
		free_entry = gone_entry;
	if (free_entry == NULL)
		free_entry = noted_entry;
	if (free_entry != NULL)
	{
		memset(free_entry, 0, sizeof(*free_entry));
		free_entry->dboid = dboid;
	}
	return free_entry;
}

/* forget an entry nothing needs any more; caller holds the mutex */
static void
entry_release_if_unused(WalDbEntry *e)
{
	if (e->pid == 0 && e->hold == 0 && !e->gone && !e->relaunch &&
		e->start == WAL_START_NONE)
		memset(e, 0, sizeof(*e));
}

/* ---------------------------------------------------------------------
 * The state file of a database: its workers' failures across restarts
 * ---------------------------------------------------------------------
 *
 * The failures in a row, the back-off and the last error of a database's
 * workers are also kept in the file pg_dataeng/wal_<database oid> of the
 * data directory, written (whole, then renamed over the old one) when they
 * change, and whenever a worker enters the database (running: it has
 * committed no round yet).  A worker, or a session that reads them, whose
 * entry does not have them yet (the server was started, or restarted
 * after a crash, since) reads them back first (wal_entry_load()).
 *
 * A file of another life of the shared memory that says running is a
 * worker that neither committed a round nor ended (by an error, or for a
 * command, or at a shutdown) before the server went down: a crash (the
 * worker crashed the server, or was killed with it by another process's
 * crash, or an immediate shutdown).  It counts as one more failure of the
 * database's workers, with its back-off: a worker that crashes the server
 * at each start does not restart it in a loop, at once after each
 * crash-restart.  Only on the same timeline of WAL: a file copied with a
 * base backup to a standby, promoted since (or to a point-in-time
 * recovery), speaks of the workers of another server.  The files of a
 * dropped database, and of a new one that takes a dropped one's oid, are
 * removed.
 */
#define WAL_STATE_DIR		"pg_dataeng"
#define WAL_STATE_MAGIC		0x64655753	/* "deWS" */
#define WAL_STATE_VERSION	1

typedef struct WalStateFile
{
	uint32		magic;
	uint32		version;
	Oid			dboid;
	TimestampTz life;			/* WalShmem.life when written */
	TimeLineID	tli;			/* the WAL's timeline then (0: in recovery) */
	bool		running;
	int			fails;
	int			fail_streak;
	TimestampTz retry_at;
	int			err_sqlstate;
	TimestampTz err_at;
	char		err_message[WAL_ERR_LEN];
	pg_crc32c	crc;			/* of the fields above */
} WalStateFile;

static void
wal_state_path(Oid dboid, char *path)
{
	snprintf(path, MAXPGPATH, WAL_STATE_DIR "/wal_%u", dboid);
}

static pg_crc32c
wal_state_crc(const WalStateFile *f)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, f, offsetof(WalStateFile, crc));
	FIN_CRC32C(crc);
	return crc;
}

/* the state file of dboid; false when there is none (or it is unreadable) */
static bool
wal_state_read(Oid dboid, WalStateFile *f)
{
	char		path[MAXPGPATH];
	int			fd;
	int			r;

	wal_state_path(dboid, path);
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("dataeng wal capture: could not open file \"%s\": %m", path)));
		return false;
	}
	r = read(fd, f, sizeof(*f));
	CloseTransientFile(fd);
	if (r != sizeof(*f) || f->magic != WAL_STATE_MAGIC || f->version != WAL_STATE_VERSION ||
		f->dboid != dboid || !EQ_CRC32C(f->crc, wal_state_crc(f)))
	{
		ereport(LOG,
				(errmsg("dataeng wal capture: ignoring file \"%s\", which is not a valid state file", path)));
		return false;
	}
	f->err_message[WAL_ERR_LEN - 1] = '\0';
	return true;
}

/*
 * Write the state file of f->dboid.  Never raises an error (it is also
 * written at the worker's exit): a failure is logged, the failures are
 * then kept in shared memory only.
 */
static void
wal_state_write(WalStateFile *f)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	int			fd;

	f->magic = WAL_STATE_MAGIC;
	f->version = WAL_STATE_VERSION;
	f->crc = wal_state_crc(f);
	wal_state_path(f->dboid, path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (MakePGDirectory(WAL_STATE_DIR) < 0 && errno != EEXIST)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("dataeng wal capture: could not create directory \"%s\": %m", WAL_STATE_DIR)));
		return;
	}
	fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("dataeng wal capture: could not create file \"%s\": %m", tmp)));
		return;
	}
	errno = 0;
	if (write(fd, f, sizeof(*f)) != sizeof(*f) || pg_fsync(fd) != 0)
	{
		if (errno == 0)
			errno = ENOSPC;
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("dataeng wal capture: could not write file \"%s\": %m", tmp)));
		CloseTransientFile(fd);
		(void) unlink(tmp);
		return;
	}
	CloseTransientFile(fd);
	(void) durable_rename(tmp, path, LOG);
}

/* remove the state file of dboid (a dropped database, or a new one) */
static void
wal_state_remove(Oid dboid)
{
	char		path[MAXPGPATH];

	wal_state_path(dboid, path);
	LWLockAcquire(&wal_shmem->io_lock, LW_EXCLUSIVE);
	if (unlink(path) < 0 && errno != ENOENT)
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("dataeng wal capture: could not remove file \"%s\": %m", path)));
	LWLockRelease(&wal_shmem->io_lock);
}

/* write what the entry of dboid holds now to its state file */
static void
wal_entry_persist(Oid dboid)
{
	WalStateFile f;
	bool		have = false;
	TimeLineID	tli = RecoveryInProgress() ? 0 : GetWALInsertionTimeLine();

	memset(&f, 0, sizeof(f));
	LWLockAcquire(&wal_shmem->io_lock, LW_EXCLUSIVE);
	SpinLockAcquire(&wal_shmem->mutex);
	{
		WalDbEntry *e = entry_find(dboid, false);

		/* (an entry taken again since it was read has nothing to write) */
		if (e != NULL && e->loaded && !e->gone)
		{
			have = true;
			f.dboid = dboid;
			f.life = wal_shmem->life;
			f.tli = tli;
			f.running = e->running;
			f.fails = e->fails;
			f.fail_streak = e->fail_streak;
			f.retry_at = e->retry_at;
			f.err_sqlstate = e->err_sqlstate;
			f.err_at = e->err_at;
			memcpy(f.err_message, e->err_message, WAL_ERR_LEN);
		}
	}
	SpinLockRelease(&wal_shmem->mutex);
	if (have)
		wal_state_write(&f);
	LWLockRelease(&wal_shmem->io_lock);
}

/*
 * Make sure the entry of dboid has the failures of its state file (read
 * once per life of the shared memory, or again once the entry was taken
 * for another database).  A file that says a worker was running in another
 * life counts one more failure (see above), written back at once.  With
 * create, an entry is made even when there is no file (a worker about to
 * enter); without, only for a file.
 */
static void
wal_entry_load(Oid dboid, bool create)
{
	WalDbEntry *e;
	WalStateFile f;
	bool		have;
	bool		crashed = false;
	TimestampTz now;
	TimeLineID	tli;

	if (wal_shmem == NULL || !OidIsValid(dboid))
		return;
	/* (the usual case, without the lock: read already) */
	SpinLockAcquire(&wal_shmem->mutex);
	e = entry_find(dboid, false);
	have = e != NULL && (e->loaded || e->gone);
	SpinLockRelease(&wal_shmem->mutex);
	if (have)
		return;
	LWLockAcquire(&wal_shmem->io_lock, LW_EXCLUSIVE);
	SpinLockAcquire(&wal_shmem->mutex);
	e = entry_find(dboid, false);
	if (e != NULL && (e->loaded || e->gone))
	{
		SpinLockRelease(&wal_shmem->mutex);
		LWLockRelease(&wal_shmem->io_lock);
		return;
	}
	SpinLockRelease(&wal_shmem->mutex);

	have = wal_state_read(dboid, &f);
	now = GetCurrentTimestamp();	/* (not under the spinlock) */
	tli = RecoveryInProgress() ? 0 : GetWALInsertionTimeLine();
	SpinLockAcquire(&wal_shmem->mutex);
	e = entry_find(dboid, have || create);
	if (e != NULL && !e->loaded && !e->gone)
	{
		e->loaded = true;
		if (have)
		{
			e->fails = f.fails;
			e->fail_streak = f.fail_streak;
			e->retry_at = f.retry_at;
			e->err_sqlstate = f.err_sqlstate;
			e->err_at = f.err_at;
			memcpy(e->err_message, f.err_message, WAL_ERR_LEN);
			/*
			 * (not on a standby, nor after a promotion or a point-in-time
			 * recovery, which start a new timeline: a file copied by a base
			 * backup says nothing of this server's workers)
			 */
			if (f.running && f.life != wal_shmem->life && e->pid == 0 &&
				tli != 0 && f.tli == tli)
			{
				/* the server went down under a worker that had not run yet */
				crashed = true;
				if (e->fails < 1000)
					e->fails++;
				if (e->fail_streak < 1000)
					e->fail_streak++;
				e->retry_at = Max(e->retry_at,
								  TimestampTzPlusMilliseconds(now, wal_backoff_ms(e->fails)));
				e->err_sqlstate = ERRCODE_CRASH_SHUTDOWN;
				e->err_at = now;
				strlcpy(e->err_message,
						"the server restarted after a crash while a WAL capture worker of the database had not committed a round since it started",
						WAL_ERR_LEN);
				/*
				 * seen as a worker that failed, waiting for its restart
				 * (also when one was registered since: it waits too)
				 */
				e->start = WAL_START_RESTARTING;
				e->start_at = now;
			}
		}
	}
	SpinLockRelease(&wal_shmem->mutex);
	LWLockRelease(&wal_shmem->io_lock);
	if (crashed)
	{
		ereport(LOG,
				(errmsg("dataeng wal capture: the server went down while a worker of database %u had not committed a round since it started; counted as its failure",
						dboid)));
		wal_entry_persist(dboid);
	}
}

/*
 * What ended the worker, as far as its failures are concerned: an error
 * counted by cdc_wal_note_error(), or a FATAL seen on its way to the log
 * (cdc_wal_note_fatal()): one for the termination of the worker (SIGTERM,
 * a shutdown) is no failure.
 */
static bool my_failure_counted = false;
static bool my_terminated = false;
static bool my_fatal = false;
static char my_fatal_message[WAL_ERR_LEN];
static int	my_fatal_sqlstate = 0;

/* message cut to the room of an entry's error, at a character's end */
static void
wal_clip_message(const char *message, char *kept)
{
	int			len;

	if (message == NULL)
		message = "";
	len = strlen(message);
	if (len >= WAL_ERR_LEN)
		len = pg_mbcliplen(message, len, WAL_ERR_LEN - 1);
	memcpy(kept, message, len);
	kept[len] = '\0';
}

/*
 * Count a failure of the worker in its entry (caller holds the mutex): no
 * worker enters before its back-off is over; with message, the error that
 * ended it.
 */
static void
entry_count_failure(WalDbEntry *e, TimestampTz now, const char *message, int sqlstate)
{
	if (e->fails < 1000)
		e->fails++;
	if (e->fail_streak < 1000)
		e->fail_streak++;
	e->retry_at = TimestampTzPlusMilliseconds(now, wal_backoff_ms(e->fails));
	e->running = false;
	if (message != NULL)
	{
		memcpy(e->err_message, message, WAL_ERR_LEN);
		e->err_sqlstate = sqlstate;
		e->err_at = now;
	}
}

/*
 * entry_persist_release
 *		The state of a worker's entry, which it has just left, written to
 *		its database's state file (wal_entry_persist()); then the entry is
 *		released if nothing else uses it (kept while the file was written).
 */
static void
entry_persist_release(WalDbEntry *e, Oid dboid)
{
	wal_entry_persist(dboid);
	SpinLockAcquire(&wal_shmem->mutex);
	if (e->dboid == dboid)
		entry_release_if_unused(e);
	SpinLockRelease(&wal_shmem->mutex);
}

/*
 * At the worker's exit: its entry has no worker any more.  One ended by an
 * error (exit code 1) is started again by the postmaster after
 * bgw_restart_time; one that exits with 0 is not (it left for a command,
 * or found nothing to capture).  Its failure (not counted yet: a FATAL
 * other than its termination) and that no worker runs are written to the
 * database's state file.
 */
static void
wal_worker_exit(int code, Datum arg)
{
	WalDbEntry *e = my_entry;
	TimestampTz now = GetCurrentTimestamp();	/* (not under the spinlock) */
	bool		persist = false;
	Oid			dboid = InvalidOid;

	if (my_untracked)
	{
		SpinLockAcquire(&wal_shmem->mutex);
		wal_shmem->untracked--;
		SpinLockRelease(&wal_shmem->mutex);
		my_untracked = false;
	}
	if (e == NULL)
		return;
	SpinLockAcquire(&wal_shmem->mutex);
	if (e->pid == MyProcPid)
	{
		dboid = e->dboid;
		e->pid = 0;
		e->latch = NULL;
		/* left for a command: started again when it is done */
		if (e->hold > 0 && !e->gone)
			e->relaunch = true;
		e->start = code != 0 ? WAL_START_RESTARTING : WAL_START_NONE;
		e->start_at = now;
		if (code != 0 && !my_failure_counted && !my_terminated)
		{
			entry_count_failure(e, now, my_fatal ? my_fatal_message : NULL, my_fatal_sqlstate);
			persist = true;
		}
		if (e->running)
		{
			e->running = false;
			persist = true;
		}
		persist = persist && e->loaded && !e->gone;
		/* (kept while a state file is written from it) */
		if (!persist)
			entry_release_if_unused(e);
	}
	SpinLockRelease(&wal_shmem->mutex);
	my_entry = NULL;
	if (persist)
		entry_persist_release(e, dboid);
}

/*
 * cdc_wal_note_error
 *		Called by the worker when an error ends it: the failure is counted
 *		(the back-off of the next worker) and the error kept in its
 *		database's entry, for dataeng_internal._cdc_wal_last_error(), and
 *		in its state file.
 */
void
cdc_wal_note_error(const char *message, int sqlerrcode)
{
	TimestampTz now = GetCurrentTimestamp();	/* (not under the spinlock) */
	char		kept[WAL_ERR_LEN];
	bool		counted = false;

	if (my_entry == NULL || my_failure_counted)
		return;

	/*
	 * A longer message is cut at a character's end, not in the middle of
	 * one (the worker is connected: its database's encoding is known), so
	 * that the text read back is valid in that encoding.  (Not under the
	 * spinlock.)
	 */
	wal_clip_message(message, kept);

	SpinLockAcquire(&wal_shmem->mutex);
	if (my_entry->pid == MyProcPid)
	{
		entry_count_failure(my_entry, now, kept, sqlerrcode);
		counted = true;
	}
	SpinLockRelease(&wal_shmem->mutex);
	if (counted)
	{
		my_failure_counted = true;
		wal_entry_persist(MyDatabaseId);
	}
}

/*
 * cdc_wal_guard_note
 *		Called by the worker when pgoutput's change callback failed on the
 *		change at lsn of relation relid (the error ends the round, and the
 *		worker): the next worker of the database guards the changes up to
 *		it, and those of that relation (cdc_wal_guard_upto()).
 */
void
cdc_wal_guard_note(XLogRecPtr lsn, Oid relid)
{
	int			i;

	if (my_entry == NULL)
		return;
	SpinLockAcquire(&wal_shmem->mutex);
	if (my_entry->pid == MyProcPid)
	{
		if (my_entry->guard_upto < lsn)
			my_entry->guard_upto = lsn;
		for (i = 0; i < WAL_GUARD_RELS && my_entry->guard_rels[i] != relid; i++)
			;
		if (i == WAL_GUARD_RELS)
		{
			my_entry->guard_rels[my_entry->guard_next] = relid;
			my_entry->guard_next = (my_entry->guard_next + 1) % WAL_GUARD_RELS;
		}
	}
	SpinLockRelease(&wal_shmem->mutex);
}

/*
 * cdc_wal_guard_upto
 *		The position up to which the worker decodes each change in a
 *		subtransaction of its own (cdc_wal_guard_note()), InvalidXLogRecPtr
 *		when no change failed; and in rels (WAL_GUARD_RELS of them, unused
 *		ones InvalidOid) the relations whose every change it decodes so.
 */
XLogRecPtr
cdc_wal_guard_upto(Oid *rels)
{
	XLogRecPtr	upto = InvalidXLogRecPtr;

	memset(rels, 0, sizeof(Oid) * WAL_GUARD_RELS);
	if (my_entry == NULL)
		return upto;
	SpinLockAcquire(&wal_shmem->mutex);
	upto = my_entry->guard_upto;
	memcpy(rels, my_entry->guard_rels, sizeof(Oid) * WAL_GUARD_RELS);
	SpinLockRelease(&wal_shmem->mutex);
	return upto;
}

/*
 * cdc_wal_note_fatal
 *		Called by the worker's log hook for a FATAL on its way to the log
 *		(the worker then exits): its termination (SIGTERM, a shutdown) is no
 *		failure; another FATAL is counted at the exit, with its message.
 */
void
cdc_wal_note_fatal(const char *message, int sqlerrcode)
{
	if (sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
	{
		my_terminated = true;
		return;
	}
	if (my_fatal)
		return;
	/* (the database's encoding is known once connected: else cut bytes) */
	if (MyDatabaseId != InvalidOid)
		wal_clip_message(message, my_fatal_message);
	else
		strlcpy(my_fatal_message, message ? message : "", WAL_ERR_LEN);
	my_fatal_sqlstate = sqlerrcode;
	my_fatal = true;
}

/*
 * cdc_wal_note_round
 *		Called by the worker after a round that committed: the failures in
 *		a row are over, the next one waits WAL_RESTART_MS again.  True the
 *		first time, when failures in a row were counted before (their alert
 *		can be resolved).
 */
bool
cdc_wal_note_round(void)
{
	static bool noted = false;
	bool		had_streak = false;

	if (my_entry == NULL || noted)
		return false;
	SpinLockAcquire(&wal_shmem->mutex);
	if (my_entry->pid == MyProcPid)
	{
		had_streak = my_entry->fail_streak > 0;
		my_entry->fails = 0;
		my_entry->fail_streak = 0;
		my_entry->retry_at = 0;
		my_entry->running = false;
		noted = true;
	}
	SpinLockRelease(&wal_shmem->mutex);
	/* (once: nothing changes after that while this worker runs) */
	if (noted)
		wal_entry_persist(MyDatabaseId);
	return had_streak;
}

/*
 * cdc_wal_note_start
 *		Called where a WAL capture worker of database dboid is registered
 *		(cdc_wal_register_handle()): whether it was, or no background
 *		worker slot was free.  Says so to the sessions that wait for the
 *		database's worker, while none is in it.
 */
void
cdc_wal_note_start(Oid dboid, bool registered)
{
	WalDbEntry *e;
	TimestampTz now = GetCurrentTimestamp();	/* (not under the spinlock) */

	if (wal_shmem == NULL || !OidIsValid(dboid))
		return;
	SpinLockAcquire(&wal_shmem->mutex);
	/* (no free entry: the waiting sessions fall back to waiting a while) */
	e = entry_find(dboid, true);
	/*
	 * (a worker registered during the back-off of a failed one waits for
	 * it: the database's worker is still seen restarting, until then)
	 */
	if (e != NULL && !e->gone &&
		!(registered && e->start == WAL_START_RESTARTING && e->retry_at > now))
	{
		e->start = registered ? WAL_START_REGISTERED : WAL_START_NOSLOT;
		e->start_at = now;
	}
	SpinLockRelease(&wal_shmem->mutex);
}

/*
 * cdc_wal_reset_backoff
 *		Called where a session starts the worker of database dboid
 *		(dataeng.cdc_enable() and the like, at commit): the back-off of
 *		failed workers is over, the next one enters at once (a worker
 *		waiting for it sees so within a second).
 */
void
cdc_wal_reset_backoff(Oid dboid)
{
	WalDbEntry *e;
	bool		reset = false;

	if (wal_shmem == NULL || !OidIsValid(dboid))
		return;
	/* (the back-off may be in the state file alone) */
	wal_entry_load(dboid, false);
	SpinLockAcquire(&wal_shmem->mutex);
	e = entry_find(dboid, false);
	if (e != NULL && (e->fails != 0 || e->retry_at != 0))
	{
		e->fails = 0;
		e->retry_at = 0;
		reset = true;
	}
	SpinLockRelease(&wal_shmem->mutex);
	if (reset)
		wal_entry_persist(dboid);
}

/*
 * cdc_wal_enter
 *		Called by the worker before it connects to database dboid: false
 *		when it must not (the database is held, dropped, or has a worker).
 */
bool
cdc_wal_enter(Oid dboid)
{
	WalDbEntry *e;
	bool		ok = true;
	bool		logged = false;
	TimestampTz now;

	if (wal_shmem == NULL)
		return true;
	/* the failures of the database's workers before a server (re)start */
	wal_entry_load(dboid, true);
	for (;;)
	{
		TimestampTz retry_at = 0;

		now = GetCurrentTimestamp();	/* (not under the spinlock) */
		SpinLockAcquire(&wal_shmem->mutex);
		e = entry_find(dboid, false);
		if (e != NULL && !e->gone && e->hold == 0 && e->pid == 0 && e->retry_at > now)
			retry_at = e->retry_at;
		SpinLockRelease(&wal_shmem->mutex);
		if (retry_at == 0)
			break;

		/*
		 * The database's last worker failed: wait for the back-off (a
		 * worker restarted, or registered again, sooner must not fail in
		 * a loop).  Looked at again every second: a command that holds the
		 * database, or another worker that entered, is seen meanwhile.
		 */
		if (!logged)
		{
			long		secs;
			int			usecs;

			TimestampDifference(now, retry_at, &secs, &usecs);
			ereport(LOG,
					(errmsg("dataeng wal capture: the worker of database %u waits %ld s before it starts again after a failure",
							dboid, secs + (usecs > 0 ? 1 : 0))));
			logged = true;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(1000L, (long) ((retry_at - now) / 1000) + 1), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	now = GetCurrentTimestamp();
	SpinLockAcquire(&wal_shmem->mutex);
	e = entry_find(dboid, true);
	if (e != NULL)
	{
		if (e->gone)
			ok = false;
		else if (e->hold > 0)
		{
			e->relaunch = true;
			ok = false;
		}
		else if (e->pid != 0)
			ok = false;			/* the database has its worker */
		else if (e->retry_at > now)
			ok = false;			/* another worker failed meanwhile */
		else
		{
			e->pid = MyProcPid;
			e->latch = MyLatch;
			e->idle = false;
			e->conf_read = PgReloadTime;
			e->start = WAL_START_NONE;
			/* (until its first round commits: see wal_entry_load()) */
			e->running = true;
			my_entry = e;
		}
	}
	else
	{
		/* no room: the worker runs without an entry, counted */
		wal_shmem->untracked++;
		my_untracked = true;
	}
	SpinLockRelease(&wal_shmem->mutex);
	if (my_entry != NULL)
		wal_entry_persist(dboid);
	if (e == NULL)
		ereport(WARNING,
				(errmsg("dataeng wal capture: no shared memory entry is free for database %u", dboid),
				 errdetail("The worker runs, and takes an entry as soon as one is free; until then, sessions "
						   "waiting for a WAL capture worker cannot tell whether one runs in their database "
						   "(they wait their full time), and DROP DATABASE waits for it to leave."),
				 errhint("Raise dataeng.wal_max_databases (%d entries; it takes a server restart).",
						 wal_shmem->nentries)));
	if ((my_entry != NULL || my_untracked) && !exit_callback_registered)
	{
		on_shmem_exit(wal_worker_exit, (Datum) 0);
		exit_callback_registered = true;
	}
	return ok;
}

/*
 * cdc_wal_track
 *		Called by a worker between rounds: a worker that started without an
 *		entry takes one as soon as one is free (and then sees the commands
 *		that hold its database).
 */
void
cdc_wal_track(void)
{
	WalDbEntry *e;

	if (!my_untracked)
		return;
	SpinLockAcquire(&wal_shmem->mutex);
	e = entry_find(MyDatabaseId, true);
	if (e != NULL && e->pid == 0 && !e->gone)
	{
		e->pid = MyProcPid;
		e->latch = MyLatch;
		e->idle = false;
		e->conf_read = PgReloadTime;
		e->start = WAL_START_NONE;
		my_entry = e;
		wal_shmem->untracked--;
		my_untracked = false;
	}
	else if (e != NULL)
		entry_release_if_unused(e);
	SpinLockRelease(&wal_shmem->mutex);
	if (my_entry != NULL)
		ereport(LOG,
				(errmsg("dataeng wal capture: the worker of database %u has a shared memory entry now",
						MyDatabaseId)));
}

/*
 * cdc_wal_left
 *		Called by a worker that leaves for a command, before it exits: its
 *		entry has no worker any more, and it is started again when the
 *		command is done.  True when the command was done meanwhile (the
 *		hold released): the worker must start its successor itself.
 */
bool
cdc_wal_left(void)
{
	WalDbEntry *e = my_entry;
	bool		restart = false;
	bool		persist = false;
	Oid			dboid = InvalidOid;

	if (e == NULL)
		return false;
	SpinLockAcquire(&wal_shmem->mutex);
	if (e->pid == MyProcPid)
	{
		dboid = e->dboid;
		e->pid = 0;
		e->latch = NULL;
		if (e->hold > 0 && !e->gone)
			e->relaunch = true;
		else
			restart = !e->gone;
		/* (no worker runs: none can go down with the server) */
		persist = e->running && e->loaded && !e->gone;
		e->running = false;
		if (!persist)
			entry_release_if_unused(e);
	}
	SpinLockRelease(&wal_shmem->mutex);
	my_entry = NULL;
	if (persist)
		entry_persist_release(e, dboid);
	return restart;
}

/*
 * cdc_wal_leaving
 *		Whether a command waits for the worker to leave its database; with
 *		*drain, whether the worker must first apply all WAL written so far.
 */
bool
cdc_wal_leaving(bool *drain)
{
	bool		held;

	if (drain)
		*drain = false;
	if (my_entry == NULL)
		return false;
	SpinLockAcquire(&wal_shmem->mutex);
	held = my_entry->hold > 0 || my_entry->gone;
	if (drain)
		*drain = my_entry->drain;
	SpinLockRelease(&wal_shmem->mutex);
	return held;
}

/*
 * cdc_wal_set_idle
 *		Called by the worker between rounds: whether it runs none
 *		(dataeng.enabled is off), for the sessions that wait for it.
 */
void
cdc_wal_set_idle(bool idle)
{
	if (my_entry == NULL)
		return;
	SpinLockAcquire(&wal_shmem->mutex);
	if (my_entry->pid == MyProcPid)
		my_entry->idle = idle;
	SpinLockRelease(&wal_shmem->mutex);
}

/*
 * cdc_wal_note_conf
 *		Called by the worker after it read the configuration files again
 *		(a reload), before its next round: the sessions that changed a
 *		setting can tell when the worker uses the new value
 *		(_cdc_wal_conf_read()).
 */
void
cdc_wal_note_conf(void)
{
	if (my_entry == NULL)
		return;
	SpinLockAcquire(&wal_shmem->mutex);
	if (my_entry->pid == MyProcPid)
		my_entry->conf_read = PgReloadTime;
	SpinLockRelease(&wal_shmem->mutex);
}

/* at the end of the command's transaction: release its holds */
static void
release_at_xact_end(XactEvent event, void *arg)
{
	int			i;

	if (nholds == 0)
		return;
	if (event == XACT_EVENT_PRE_COMMIT)
	{
		/* the oid of a copy, while its catalog row can still be read */
		for (i = 0; i < nholds; i++)
			if (holds[i].copy_name[0] != '\0')
			{
				CommandCounterIncrement();
				holds[i].copy_oid = get_database_oid(holds[i].copy_name, true);
			}
		return;
	}
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT)
		return;

	for (i = 0; i < nholds; i++)
	{
		WalDbEntry *e;
		bool		relaunch = false;
		char		slot[NAMEDATALEN];

		/*
		 * A new database (CREATE DATABASE holds its template) may have the
		 * oid of a dropped one: it has none of that one's entry (marked
		 * gone, which would keep its worker out) or failures.
		 */
		if (event == XACT_EVENT_COMMIT && OidIsValid(holds[i].copy_oid))
		{
			SpinLockAcquire(&wal_shmem->mutex);
			e = entry_find(holds[i].copy_oid, false);
			if (e != NULL && e->pid == 0 && (e->gone || e->hold == 0))
				memset(e, 0, sizeof(*e));
			SpinLockRelease(&wal_shmem->mutex);
			wal_state_remove(holds[i].copy_oid);
		}
		/* the failures of a dropped database's workers go with it */
		if (holds[i].drop && event == XACT_EVENT_COMMIT)
			wal_state_remove(holds[i].dboid);

		SpinLockAcquire(&wal_shmem->mutex);
		e = entry_find(holds[i].dboid, false);
		if (e != NULL)
		{
			/*
			 * (a dropped database's entry is kept, marked gone, until it
			 * is needed again: its hold is released all the same, else
			 * the entry of every database ever dropped stayed taken)
			 */
			if (holds[i].drop && event == XACT_EVENT_COMMIT)
				e->gone = true;
			if (e->hold > 0)
				e->hold--;
			if (e->hold == 0)
				e->drain = false;
			if (e->hold == 0 && e->relaunch && !e->gone)
			{
				relaunch = true;
				e->relaunch = false;
			}
			entry_release_if_unused(e);
		}
		SpinLockRelease(&wal_shmem->mutex);

		if (relaunch && !cdc_wal_register(holds[i].dboid))
		{
			sched_wal_wanted(holds[i].dboid);
			ereport(WARNING,
					(errmsg("could not start the WAL capture worker of database %u again", holds[i].dboid),
					 errdetail("No background worker slot is free."),
					 errhint("The launcher of dataeng starts it as soon as a background worker slot is free; raise max_worker_processes.")));
		}

		/* a copy of a database with WAL capture captures its own changes */
		cdc_wal_slot_name(holds[i].dboid, slot);
		if (event == XACT_EVENT_COMMIT && OidIsValid(holds[i].copy_oid) &&
			SearchNamedReplicationSlot(slot, true) != NULL &&
			!cdc_wal_register(holds[i].copy_oid))
		{
			sched_wal_wanted(holds[i].copy_oid);
			ereport(WARNING,
					(errmsg("could not start the WAL capture worker of database \"%s\"", holds[i].copy_name),
					 errdetail("No background worker slot is free."),
					 errhint("The launcher of dataeng starts it as soon as a background worker slot is free; raise max_worker_processes.")));
		}
	}
	nholds = 0;
}

/* whether a process decodes the WAL capture slot of database dboid */
static bool
wal_slot_in_use(Oid dboid)
{
	char		slot[NAMEDATALEN];
	ReplicationSlot *s;
	bool		active = false;

	cdc_wal_slot_name(dboid, slot);
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	s = SearchNamedReplicationSlot(slot, false);
	if (s != NULL)
	{
		SpinLockAcquire(&s->mutex);
		active = s->active_pid != 0;
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	return active;
}

/*
 * cdc_wal_hold_database
 *		Called by the utility hook before stmt, which needs database dboid
 *		without other sessions: the WAL capture worker leaves it, and
 *		comes back when the transaction ends (unless the database is gone).
 */
void
cdc_wal_hold_database(Oid dboid, Node *stmt)
{
	WalDbEntry *e;
	bool		drain = IsA(stmt, AlterDatabaseStmt);
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz deadline = TimestampTzPlusMilliseconds(start, CDC_WAL_HOLD_WAIT_MS);
	TimestampTz cancel_at = TimestampTzPlusMilliseconds(start, CDC_WAL_HOLD_GRACE_MS);
	char		slot[NAMEDATALEN];

	if (wal_shmem == NULL || !OidIsValid(dboid) || nholds >= MAX_HOLDS)
		return;

	/*
	 * A move breaks the slot: logical decoding finds a change's table
	 * through the database's current tablespace, so WAL written before the
	 * move (the worker's own last writes among it) cannot be decoded after
	 * it, and capture would stop for good ("could not map filenode").
	 * Refuse it while the database has its capture slot.
	 */
	if (drain)
	{
		cdc_wal_slot_name(dboid, slot);
		if (SearchNamedReplicationSlot(slot, true) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot move a database whose tables are captured from the WAL"),
					 errdetail("Logical decoding cannot read the WAL the database wrote before a move: WAL capture through slot \"%s\" would stop.",
							   slot),
					 errhint("Switch its WAL-captured tables to trigger capture (dataeng.cdc_enable(..., method => 'trigger')), wait until the slot is gone, move the database, then switch them back.")));
	}
	if (!xact_callback_registered)
	{
		RegisterXactCallback(release_at_xact_end, NULL);
		xact_callback_registered = true;
	}

	SpinLockAcquire(&wal_shmem->mutex);
	e = entry_find(dboid, true);
	if (e != NULL)
	{
		e->hold++;
		e->drain |= drain;
	}
	SpinLockRelease(&wal_shmem->mutex);
	cdc_wal_slot_name(dboid, slot);
	if (e == NULL && SearchNamedReplicationSlot(slot, true) != NULL)
	{
		/* every entry taken (by workers, or commands like this one) */
		ereport(WARNING,
				(errmsg("dataeng: no shared memory entry is free to make the WAL capture worker of database %u leave",
						dboid),
				 errhint("Raise dataeng.wal_max_databases (%d entries; it takes a server restart).",
						 wal_shmem->nentries)));
	}
	if (e == NULL)
		return;

	memset(&holds[nholds], 0, sizeof(holds[nholds]));
	holds[nholds].dboid = dboid;
	holds[nholds].drop = IsA(stmt, DropdbStmt);
	if (IsA(stmt, CreatedbStmt))
		strlcpy(holds[nholds].copy_name, ((CreatedbStmt *) stmt)->dbname, NAMEDATALEN);
	nholds++;

	for (;;)
	{
		pid_t		pid;
		Latch	   *latch;
		TimestampTz now;
		bool		untracked;

		SpinLockAcquire(&wal_shmem->mutex);
		pid = e->dboid == dboid ? e->pid : 0;
		latch = e->latch;
		untracked = wal_shmem->untracked > 0;
		SpinLockRelease(&wal_shmem->mutex);
		/*
		 * A worker without an entry may run there: it takes this one
		 * between its rounds, sees the hold and leaves.  Its slot is in use
		 * meanwhile.
		 */
		if (pid == 0 && !(untracked && wal_slot_in_use(dboid)))
			break;
		now = GetCurrentTimestamp();
		if (now >= deadline)
		{
			ereport(WARNING,
					(errmsg("dataeng: the WAL capture worker of database %u did not leave within %d ms",
							dboid, CDC_WAL_HOLD_WAIT_MS)));
			break;
		}
		if (now >= cancel_at && !drain && pid != 0)
		{
			/* a round still going on: cancel it (it keeps nothing) */
			(void) kill(pid, SIGINT);
			cancel_at = TimestampTzPlusMilliseconds(now, 1000);
		}
		else if (latch)
			SetLatch(latch);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	cdc_wal_slot_name(dboid, slot);
	if (holds[nholds - 1].drop && SearchNamedReplicationSlot(slot, true) != NULL)
		ereport(NOTICE,
				(errmsg("WAL capture of the database stops; its replication slot \"%s\" is dropped with it",
						slot)));
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_worker);

/*
 * dataeng_internal._cdc_wal_worker() RETURNS text: whether this database's
 * WAL capture worker runs rounds: 'running'; 'off' while it waits without
 * decoding because dataeng.enabled is off (as the worker last read it, or
 * as this session reads it when there is no worker); 'none' when no worker
 * is in the database (not started, ended by an error and not started again
 * yet, or gone for a command that needs the database empty); 'unknown'
 * when none has this database's entry but a worker runs without an entry
 * (more databases with workers than dataeng.wal_max_databases): it may be
 * this database's, and callers wait as for a running one.  A worker
 * counts from the moment it claims the database, before it connects.
 */
Datum
dataeng_cdc_wal_worker(PG_FUNCTION_ARGS)
{
	pid_t		pid = 0;
	bool		idle = false;
	bool		untracked = false;

	if (wal_shmem != NULL)
	{
		WalDbEntry *e;

		SpinLockAcquire(&wal_shmem->mutex);
		e = entry_find(MyDatabaseId, false);
		if (e != NULL && !e->gone && e->pid != 0)
		{
			pid = e->pid;
			idle = e->idle;
		}
		untracked = wal_shmem->untracked > 0;
		SpinLockRelease(&wal_shmem->mutex);
	}
	/* (one of the workers without an entry may be this database's) */
	if (pid == 0 && untracked)
		PG_RETURN_TEXT_P(cstring_to_text("unknown"));
	if (pid == 0)
		PG_RETURN_TEXT_P(cstring_to_text(dataeng_enabled ? "none" : "off"));
	PG_RETURN_TEXT_P(cstring_to_text(idle ? "off" : "running"));
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_end);

/*
 * dataeng_internal._cdc_wal_end() RETURNS pg_lsn: the end of the WAL
 * inserted so far, what a decoding of all of it confirms to the slot.
 * pg_current_wal_insert_lsn() is the start of the next record: when the
 * WAL ends at a page boundary, the position after the next page's header,
 * which no decoding reaches before more WAL is written.  A wait for the
 * slot to reach it waited for WAL an idle server never writes
 * (cdc_wal_sync() timed out; the worker's rounds wrote WAL of their own
 * before, which hid it).
 */
Datum
dataeng_cdc_wal_end(PG_FUNCTION_ARGS)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("recovery is in progress"),
				 errhint("WAL positions of this server are read on the primary.")));
	PG_RETURN_LSN(cdc_wal_inserted_end(GetXLogInsertRecPtr()));
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_wake);

/*
 * dataeng_internal._cdc_wal_wake() RETURNS boolean: set the latch of this
 * database's WAL capture worker, so that one waiting out
 * dataeng.wal_naptime between rounds begins its next round now (one in a
 * round begins the next at once when it ends).  For the sessions that
 * wait for the worker to catch up (cdc_wal_sync(), cdc_disable(), a DROP
 * or ALTER of a captured table): they waited out the naptime before.
 * False when no worker is in the database (or one runs without an entry:
 * it is not woken, and waits out its naptime).
 */
Datum
dataeng_cdc_wal_wake(PG_FUNCTION_ARGS)
{
	Latch	   *latch = NULL;

	if (wal_shmem != NULL)
	{
		WalDbEntry *e;

		SpinLockAcquire(&wal_shmem->mutex);
		e = entry_find(MyDatabaseId, false);
		if (e != NULL && !e->gone && e->pid != 0)
			latch = e->latch;
		SpinLockRelease(&wal_shmem->mutex);
	}
	/* (a latch set after its process exited is harmless: PGPROC latches stay) */
	if (latch == NULL)
		PG_RETURN_BOOL(false);
	SetLatch(latch);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_conf_read);

/*
 * dataeng_internal._cdc_wal_conf_read() RETURNS timestamptz: when this
 * database's WAL capture worker last read the server's configuration
 * files: at its start (the postmaster's last reading) or when it applied
 * a reload, which it does between rounds (a round in progress goes on
 * with the values it began with).  A value later than a moment after a
 * setting was changed (ALTER SYSTEM) and before pg_reload_conf() means
 * that the worker's next round uses the new value.  NULL when no worker
 * is in the database (or one runs without a shared memory entry).
 */
Datum
dataeng_cdc_wal_conf_read(PG_FUNCTION_ARGS)
{
	TimestampTz conf_read = 0;

	if (wal_shmem != NULL)
	{
		WalDbEntry *e;

		SpinLockAcquire(&wal_shmem->mutex);
		e = entry_find(MyDatabaseId, false);
		if (e != NULL && !e->gone && e->pid != 0)
			conf_read = e->conf_read;
		SpinLockRelease(&wal_shmem->mutex);
	}
	if (conf_read == 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(conf_read);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_start_state);

/*
 * dataeng_internal._cdc_wal_start_state(OUT state text, OUT since
 * timestamptz, OUT next_attempt timestamptz, OUT launcher boolean, OUT
 * launcher_state text, OUT launcher_since timestamptz, OUT launcher_next
 * timestamptz): whether a WAL capture worker of this database is in it or
 * will come, for dataeng.cdc_wal_sync() (launcher: whether the launcher of
 * dataeng runs, which starts workers that could not be started, and the
 * workers of the databases with a WAL capture slot after a server start).
 *
 * launcher_state: 'running'; 'starting' (the postmaster starts it: it has
 * not run since the server started, or restarted after a crash, at
 * launcher_since; launcher_next: when a session first saw the server out
 * of recovery, since the postmaster starts it only then; NULL during
 * recovery); 'restarting' (it ended by an error at
 * launcher_since, the postmaster starts it again at launcher_next);
 * 'ended' (it exited at launcher_since and is not started again); 'absent'
 * (no background worker slot was free for it at server start: none runs
 * until the server is restarted).
 *
 * state:
 *
 *	- 'running': a worker is in the database (since: NULL);
 *	- 'unknown': none has the database's entry, but a worker runs without
 *	  one (more databases than dataeng.wal_max_databases): it may be this
 *	  database's;
 *	- 'starting': one was registered at since and is not in the database
 *	  yet (the postmaster starts it at once);
 *	- 'restarting': one ended by an error at since; the postmaster starts
 *	  it again at next_attempt (bgw_restart_time);
 *	- 'no_slot': none could be registered at since (no background worker
 *	  slot was free); next_attempt is when the launcher of dataeng tries
 *	  again, NULL when it is not asked to;
 *	- 'none': nothing of the kind is known; next_attempt is when the
 *	  launcher tries to start one, NULL when it is not asked to (the
 *	  database's scheduler asks it when it finds the worker missing).
 */
Datum
dataeng_cdc_wal_start_state(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[7] = {0};
	bool		nulls[7] = {false, true, true, false, false, true, true};
	pid_t		launcher_pid = 0;
	bool		launcher_registered = false;
	uint8		launcher_state = LAUNCHER_NOT_STARTED;
	TimestampTz launcher_at = 0;
	TimestampTz launcher_due = 0;
	const char *launcher = "absent";
	const char *state = "none";
	uint8		start = WAL_START_NONE;
	TimestampTz start_at = 0;
	TimestampTz retry_at_entry = 0;
	bool		wanted = false;
	TimestampTz retry_at = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (wal_shmem != NULL)
	{
		WalDbEntry *e;
		bool		running = false;

		/* (the failures of before a server start are in its state file) */
		wal_entry_load(MyDatabaseId, false);
		SpinLockAcquire(&wal_shmem->mutex);
		e = entry_find(MyDatabaseId, false);
		if (e != NULL && !e->gone)
		{
			running = e->pid != 0;
			start = e->start;
			start_at = e->start_at;
			retry_at_entry = e->retry_at;
		}
		if (!running && start == WAL_START_NONE && wal_shmem->untracked > 0)
			state = "unknown";
		SpinLockRelease(&wal_shmem->mutex);
		if (running)
		{
			state = "running";
			start = WAL_START_NONE;
		}
	}
	if (sched_shmem != NULL)
	{
		SchedDbSlot *slot;

		/* (not under the spinlock) */
		TimestampTz now = GetCurrentTimestamp();
		bool		in_recovery = RecoveryInProgress();

		SpinLockAcquire(&sched_shmem->mutex);
		slot = sched_slot_find(MyDatabaseId);
		if (slot != NULL && slot->wal_wanted)
		{
			wanted = true;
			retry_at = slot->wal_retry_at;
		}
		if (sched_shmem->launcher_latch != NULL)
			launcher_pid = sched_shmem->launcher_pid;
		launcher_registered = sched_shmem->launcher_registered;
		launcher_state = sched_shmem->launcher_state;
		launcher_at = sched_shmem->launcher_at;
		/* (the postmaster starts it at the end of recovery) */
		if (launcher_state == LAUNCHER_NOT_STARTED && !in_recovery &&
			sched_shmem->launcher_due == 0)
			sched_shmem->launcher_due = Max(now, launcher_at);
		launcher_due = sched_shmem->launcher_due;
		SpinLockRelease(&sched_shmem->mutex);
	}

	/*
	 * The launcher records its start and its exit; a running one is also
	 * looked for among the processes (one killed without its exit
	 * recorded makes the postmaster restart the server, and so the shared
	 * memory: this is belt and braces)
	 */
	if (!launcher_registered)
		launcher = "absent";
	else if (launcher_state == LAUNCHER_RUNNING)
		launcher = launcher_pid != 0 && BackendPidGetProc(launcher_pid) != NULL ? "running" : "ended";
	else if (launcher_state == LAUNCHER_NOT_STARTED)
		launcher = "starting";
	else if (launcher_state == LAUNCHER_ENDED_ERROR)
		launcher = "restarting";
	else
		launcher = "ended";
	values[3] = BoolGetDatum(strcmp(launcher, "running") == 0);
	if (!DatumGetBool(values[3]))
		wanted = false;
	values[4] = CStringGetTextDatum(launcher);
	if (launcher_registered && launcher_state != LAUNCHER_RUNNING)
	{
		nulls[5] = false;
		values[5] = TimestampTzGetDatum(launcher_at);
	}
	if (launcher_registered && launcher_state == LAUNCHER_NOT_STARTED && launcher_due != 0)
	{
		nulls[6] = false;
		values[6] = TimestampTzGetDatum(launcher_due);
	}
	else if (launcher_registered && launcher_state == LAUNCHER_ENDED_ERROR)
	{
		nulls[6] = false;
		values[6] = TimestampTzGetDatum(TimestampTzPlusMilliseconds(launcher_at, LAUNCHER_RESTART_MS));
	}

	switch (start)
	{
		case WAL_START_REGISTERED:
			state = "starting";
			break;
		case WAL_START_RESTARTING:
			state = "restarting";
			nulls[2] = false;
			/* (the back-off after failures in a row may be longer) */
			values[2] = TimestampTzGetDatum(Max(TimestampTzPlusMilliseconds(start_at, WAL_RESTART_MS),
												retry_at_entry));
			break;
		case WAL_START_NOSLOT:
			/* (a worker without an entry may decode the database's slot) */
			state = wal_slot_in_use(MyDatabaseId) ? "unknown" : "no_slot";
			break;
		default:
			break;
	}
	if (start != WAL_START_NONE)
	{
		nulls[1] = false;
		values[1] = TimestampTzGetDatum(start_at);
	}
	/* the launcher is asked to start one (none is starting, or restarted) */
	if (start == WAL_START_NOSLOT && wanted)
	{
		/* (before the failure: the launcher has not tried since) */
		nulls[2] = false;
		values[2] = TimestampTzGetDatum(Max(retry_at, start_at));
	}
	else if (strcmp(state, "none") == 0 && wanted && retry_at != 0)
	{
		nulls[2] = false;
		values[2] = TimestampTzGetDatum(retry_at);
	}
	values[0] = CStringGetTextDatum(state);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_last_error);

/*
 * dataeng_internal._cdc_wal_last_error() RETURNS text: the error that
 * ended this database's last WAL capture worker that failed, as
 * "SQLSTATE at time: message", with the failures in a row and when the
 * next worker may start while they go on; NULL when none is known (or
 * the entry was taken again).  Only for superusers and roles with
 * REPLICATION, who see the capture slot's row of dataeng.pipeline_status
 * (the server log has the same); NULL for others.
 */
Datum
dataeng_cdc_wal_last_error(PG_FUNCTION_ARGS)
{
	char		message[WAL_ERR_LEN];
	int			sqlstate = 0;
	TimestampTz err_at = 0;
	TimestampTz retry_at = 0;
	int			fails = 0;
	StringInfoData buf;

	if (wal_shmem == NULL || !(superuser() || has_rolreplication(GetUserId())))
		PG_RETURN_NULL();
	wal_entry_load(MyDatabaseId, false);
	SpinLockAcquire(&wal_shmem->mutex);
	{
		WalDbEntry *e = entry_find(MyDatabaseId, false);

		if (e != NULL && !e->gone && e->err_at != 0)
		{
			memcpy(message, e->err_message, WAL_ERR_LEN);
			sqlstate = e->err_sqlstate;
			err_at = e->err_at;
			fails = e->fails;
			retry_at = e->retry_at;
		}
	}
	SpinLockRelease(&wal_shmem->mutex);
	if (err_at == 0)
		PG_RETURN_NULL();
	message[WAL_ERR_LEN - 1] = '\0';
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s at %s: %s", unpack_sql_state(sqlstate),
					 timestamptz_to_str(err_at), message);
	if (fails > 0 && retry_at != 0)
		appendStringInfo(&buf, " (%d failure%s in a row; the next worker starts at %s)",
						 fails, fails == 1 ? "" : "s", timestamptz_to_str(retry_at));
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_fail_streak);

/*
 * dataeng_internal._cdc_wal_fail_streak() RETURNS int: how many WAL
 * capture workers of this database ended by an error since one last
 * committed a round (0 when none, or the entry was taken again); a start
 * by a user, which ends the back-off, does not end the series.  Only for
 * superusers and roles with REPLICATION, as _cdc_wal_last_error(); NULL
 * for others.
 */
Datum
dataeng_cdc_wal_fail_streak(PG_FUNCTION_ARGS)
{
	int			streak = 0;

	if (!(superuser() || has_rolreplication(GetUserId())))
		PG_RETURN_NULL();
	if (wal_shmem == NULL)
		PG_RETURN_INT32(0);
	wal_entry_load(MyDatabaseId, false);
	SpinLockAcquire(&wal_shmem->mutex);
	{
		WalDbEntry *e = entry_find(MyDatabaseId, false);

		if (e != NULL && !e->gone)
			streak = e->fail_streak;
	}
	SpinLockRelease(&wal_shmem->mutex);
	PG_RETURN_INT32(streak);
}
