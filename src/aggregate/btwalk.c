/*-------------------------------------------------------------------------
 *
 * btwalk.c
 *		Lookups of keys in a B-tree index, one after another in the
 *		index's order, walking its leaves.
 *
 * The C applies of dimensions (dimension.c, _dim_apply()) and of the
 * per-value counts of a count(DISTINCT) measure (side_apply.c,
 * _fact_side_apply()) look their keys up in a unique B-tree index in the
 * index's order, with a few percent of the rows changed several of them
 * on each leaf page.  An index scan would descend from the root for each;
 * instead a lookup starts from the leaf where the previous one ended when
 * its key comes after the previous key (the caller says so, see
 * btwalk_tids()): every entry greater than that key is on that leaf or to
 * its right, so the key is searched there when it is not past the leaf's
 * high key, else on its right sibling, else from the root again
 * (_bt_search()).  The entries of the key are collected as _bt_readpage()
 * collects them (entries marked dead skipped, those of a posting list
 * each), across right siblings while they go on; the caller fetches the
 * rows they lead to as an index scan fetches them.
 *
 * Why starting from a leaf read before is safe.  Each leaf is share-locked
 * while it is read and released after: no pin is kept between lookups
 * (nor across the caller's writes in between).  A pin kept would make a
 * VACUUM of the table wait for it to clean that leaf, and while the
 * caller waits on something the VACUUM's session holds (a lock taken in a
 * CHECK constraint or a trigger), neither would ever go on, a wait the
 * deadlock detector does not see (sql_tests/specs/dim_walk_vacuum.spec).
 * So a VACUUM may clean the leaf meanwhile, or delete it, as under any
 * index scan that moved on, and the leaf remembered (a block number only)
 * may have been:
 *	- split: entries only move right, to new right siblings, and the high
 *	  key tells whether the key's place is still on this leaf;
 *	- deleted (half-dead or deleted, P_IGNORE): its key space went to its
 *	  right sibling, and its right link stays valid, so the walk steps
 *	  right over it, as nbtree's own scans do;
 *	- recycled: a deleted page is not reused while a transaction that could
 *	  still hold a link to it runs (its safexid), and this one holds a
 *	  snapshot; a page found that is no leaf is left for the root anyway.
 * Only one live page is stepped over to the right: a key further right is
 * searched from the root.  A key at or before the previous one may have
 * entries to the left of that leaf (a key's entries may span leaves): it
 * is searched from the root.
 *
 * Lookups in a row (btwalk_hold(), the fact apply's batches): the caller
 * does nothing between them but collect their TIDs, so the leaf where one
 * ends is kept pinned and share-locked for the next, as _bt_readpage()
 * keeps a page locked while it reads its entries, and released at the end
 * of the run: no writer or VACUUM waits on it for longer than the run of
 * lookups, and the caller neither writes nor waits while it is held.  The
 * leaf cannot change meanwhile, so the next lookup starts from the entry
 * where the previous one ended (every entry before it comes before the
 * next key), a few entries on (1, 2, 4... then a binary search), where a
 * search of the whole leaf would probe it all over; a leaf a lookup
 * reaches is asked of the CPU whole (prefetch instructions) as it is
 * locked, since its lookups read it all over.
 *
 * As an index scan, a lookup counts an index scan and the entries it
 * returns (pg_stat_user_indexes), checks each page read against
 * old_snapshot_threshold (TestForOldSnapshot()) and, under SERIALIZABLE,
 * predicate-locks each leaf it reads, a key found absent too (its place),
 * and the whole index when it is empty, as _bt_first() does.
 *
 * Only for an index whose entries are ordered by key and heap TID (not one
 * built before PostgreSQL 12 and upgraded in place): btwalk_begin() says.
 *
 * A text key under a deterministic collation (the index's first column
 * compared by bttextcmp(), looked up on that column alone) is searched on
 * a leaf by its bytes first, which costs a memcmp() where the collation's
 * comparison costs a strcoll() and copies of both strings: the position
 * found (the first entry not before the key by their bytes) is then
 * checked with the collation against the entries on each side of it, and
 * kept only when the entry before it comes before the key and the entry
 * at it does not: the leaf's entries are in the collation's order, so
 * that position is the one a search by the collation finds.  Otherwise
 * (the collation orders these strings otherwise than their bytes, an
 * entry compressed or NULL) the leaf is searched by the collation.  The
 * entries of the key are those equal to it by their bytes, equality under
 * a deterministic collation.  So the results are those of the collation's
 * search, with two or three comparisons under it per lookup instead of
 * about ten.
 *
 * A key whose columns are all integers compared as such (int2, int4, int8,
 * date, timestamp, timestamptz, oid; ascending) is compared with a leaf's
 * entries and its high key by their integers read where they lie, when
 * neither the key nor the entry holds a NULL (the entry's values then lie
 * at fixed offsets; a high key keeps a prefix of the columns, at the same
 * offsets, and btwalk_hikey_cmp() answers for the columns it lacks as
 * _bt_compare() does): the result _bt_compare() gives, without a call of
 * the type's comparison function per column.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "aggregate/aggregate.h"
#include "aggregate/btwalk.h"

/*
 * btwalk_begin
 *		Set up w for lookups of keys on the first nkeys key columns of
 *		B-tree index idx (opened and locked by the caller for as long as w
 *		is used); allocations in the current memory context.  False when
 *		the index cannot be walked (its entries are not ordered by heap TID
 *		after the key).
 */
bool
btwalk_begin(BtWalk *w, Relation idx, int nkeys)
{
	Assert(nkeys >= 1 && nkeys <= IndexRelationGetNumberOfKeyAttributes(idx));

	memset(w, 0, sizeof(*w));
	w->idx = idx;
	w->leaf = InvalidBlockNumber;
	w->buf = InvalidBuffer;
	w->inskey = _bt_mkscankey(idx, NULL);
	/* (without a tuple _bt_mkscankey() assumes the current layout) */
	_bt_metaversion(idx, &w->inskey->heapkeyspace, &w->inskey->allequalimage);
	if (!w->inskey->heapkeyspace)
		return false;
	w->inskey->keysz = nkeys;
	w->inskey->nextkey = false;
	w->inskey->pivotsearch = false;
	w->inskey->scantid = NULL;
	w->maxtids = 8;
	w->tids = palloc(sizeof(ItemPointerData) * w->maxtids);
	{
		ScanKey		sk = &w->inskey->scankeys[0];

		w->bytes = nkeys == 1 && sk->sk_func.fn_oid == F_BTTEXTCMP &&
			!(sk->sk_flags & SK_BT_DESC) && OidIsValid(sk->sk_collation) &&
			get_collation_isdeterministic(sk->sk_collation);
	}
	w->keylen = -1;

	/* integers compared as such, at fixed offsets in an entry of no NULL */
	{
		TupleDesc	desc = RelationGetDescr(idx);
		int			off = 0;
		int			i;

		w->ints = true;
		for (i = 0; i < nkeys && w->ints; i++)
		{
			ScanKey		sk = &w->inskey->scankeys[i];
			Form_pg_attribute a = TupleDescAttr(desc, i);
			Oid			f = sk->sk_func.fn_oid;
			char		kind = 0;

			if (f == F_BTINT2CMP)
				kind = 2;
			else if (f == F_BTINT4CMP || f == F_DATE_CMP)
				kind = 4;
			else if (f == F_BTINT8CMP || f == F_TIMESTAMP_CMP || f == F_TIMESTAMPTZ_CMP)
				kind = 8;
			else if (f == F_BTOIDCMP)
				kind = 'o';
			w->ints = kind != 0 && !(sk->sk_flags & SK_BT_DESC) && a->attbyval &&
				a->attlen == (kind == 'o' ? (int) sizeof(Oid) : kind);
			off = att_align_nominal(off, a->attalign);
			w->intkind[i] = kind;
			w->intoff[i] = off;
			off += a->attlen;
		}
	}
	return true;
}

/*
 * btwalk_ints_cmp
 *		The key against the first n integers of an index tuple of no NULL
 *		whose values start at data: > 0 when the key comes after them, 0
 *		when equal on those n columns.
 */
static inline int
btwalk_ints_cmp(BtWalk *w, const char *data, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *p = data + w->intoff[i];
		int64		v;

		switch (w->intkind[i])
		{
			case 2:
				{
					int16		x;

					memcpy(&x, p, sizeof(x));
					v = x;
					break;
				}
			case 4:
				{
					int32		x;

					memcpy(&x, p, sizeof(x));
					v = x;
					break;
				}
			case 'o':
				{
					Oid			x;

					memcpy(&x, p, sizeof(x));
					v = (int64) x;
					break;
				}
			default:
				memcpy(&v, p, sizeof(v));
				break;
		}
		if (w->intkey[i] != v)
			return w->intkey[i] > v ? 1 : -1;
	}
	return 0;
}

/*
 * btwalk_cmp
 *		The key against the entry at offnum on a leaf page (not its high
 *		key), as _bt_compare() answers (> 0 when the key comes after it):
 *		by the integers where they lie when the key and the entry are of
 *		integers and of no NULL (see above), else by _bt_compare().
 */
static inline int
btwalk_cmp(BtWalk *w, Page page, OffsetNumber offnum)
{
	if (w->kints)
	{
		IndexTuple	itup = (IndexTuple) PageGetItem(page, PageGetItemId(page, offnum));

		/* (a leaf's entry has its heap TID: equal, as _bt_compare() says) */
		if (!IndexTupleHasNulls(itup))
			return btwalk_ints_cmp(w, (const char *) itup + IndexInfoFindDataOffset(itup->t_info),
								   w->inskey->keysz);
	}
	return _bt_compare(w->idx, w->inskey, page, offnum);
}

/*
 * btwalk_hikey_cmp
 *		The key against the high key of a leaf page (not the rightmost), as
 *		_bt_compare() answers: by the integers where they lie when the key
 *		and the high key are of integers and of no NULL.  A high key keeps
 *		a prefix of the key columns (suffix truncation), at the offsets of
 *		an entry's; with that prefix equal, the key comes after it when it
 *		has more columns than the prefix, or as many and the high key no
 *		heap TID (_bt_compare(): truncated columns are minus infinity, and
 *		a search that is not for a pivot goes right of an equal one).
 */
static inline int
btwalk_hikey_cmp(BtWalk *w, Page page)
{
	if (w->kints)
	{
		IndexTuple	itup = (IndexTuple) PageGetItem(page, PageGetItemId(page, P_HIKEY));
		int			natts = BTreeTupleGetNAtts(itup, w->idx);

		if (!IndexTupleHasNulls(itup) && natts >= 1 &&
			natts <= IndexRelationGetNumberOfKeyAttributes(w->idx))
		{
			int			keysz = w->inskey->keysz;
			int			c = btwalk_ints_cmp(w, (const char *) itup + IndexInfoFindDataOffset(itup->t_info),
											Min(natts, keysz));

			if (c != 0)
				return c;
			if (keysz > natts)
				return 1;
			if (keysz == natts && BTreeTupleGetHeapTID(itup) == NULL)
				return 1;
			return 0;
		}
	}
	return _bt_compare(w->idx, w->inskey, page, P_HIKEY);
}

/*
 * btwalk_prefetch
 *		Ask the CPU for the whole of a leaf page just reached: its lookups
 *		probe entries all over it, each probe otherwise a wait for memory.
 */
static inline void
btwalk_prefetch(Page page)
{
	int			off;

	for (off = 0; off < BLCKSZ; off += 64)
		agg_prefetch((const char *) page + off);
}

/*
 * btwalk_bytes_cmp
 *		The key against the entry at offnum on a leaf page by their bytes
 *		(as _bt_compare() answers: > 0 when the key comes after it), into
 *		*cmp; false when the entry's value cannot be compared so (NULL,
 *		compressed or stored out of line).
 */
static inline bool
btwalk_bytes_cmp(BtWalk *w, Page page, OffsetNumber offnum, int *cmp)
{
	IndexTuple	itup = (IndexTuple) PageGetItem(page, PageGetItemId(page, offnum));
	bool		isnull;
	Datum		d = index_getattr(itup, 1, RelationGetDescr(w->idx), &isnull);
	struct varlena *v;
	int			len;
	int			c;

	if (isnull)
		return false;
	v = (struct varlena *) DatumGetPointer(d);
	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		return false;
	len = VARSIZE_ANY_EXHDR(v);
	c = memcmp(w->keydata, VARDATA_ANY(v), Min(w->keylen, len));
	if (c == 0 && w->keylen != len)
		c = w->keylen < len ? -1 : 1;
	*cmp = c;
	return true;
}

/*
 * btwalk_collect
 *		The entries of the key on leaf page (locked) from offnum on, into
 *		w->tids; true when past them, false when they may go on to the
 *		right.  *stop: the first entry past them (or past the page's last).
 */
static bool
btwalk_collect(BtWalk *w, Page page, OffsetNumber offnum, OffsetNumber *stop)
{
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

	for (; offnum <= maxoff; offnum++)
	{
		ItemId		iid = PageGetItemId(page, offnum);
		IndexTuple	itup;
		int			n;
		int			j;
		int			c;

		if (w->keylen < 0 || !btwalk_bytes_cmp(w, page, offnum, &c))
			c = btwalk_cmp(w, page, offnum);
		if (c != 0)
		{
			*stop = offnum;
			return true;		/* past the key's entries */
		}
		if (ItemIdIsDead(iid))
			continue;
		itup = (IndexTuple) PageGetItem(page, iid);
		n = BTreeTupleIsPosting(itup) ? BTreeTupleGetNPosting(itup) : 1;
		if (w->ntids + n > w->maxtids)
		{
			w->maxtids = Max(w->maxtids * 2, w->ntids + n);
			w->tids = repalloc(w->tids, sizeof(ItemPointerData) * w->maxtids);
		}
		for (j = 0; j < n; j++)
			w->tids[w->ntids++] = BTreeTupleIsPosting(itup) ?
				*BTreeTupleGetPostingN(itup, j) : itup->t_tid;
	}
	*stop = offnum;
	return false;				/* they may go on to the right */
}

/*
 * The first offset on a leaf page whose entry is >= the key, from offset
 * from on (every entry before it is known to come before the key): from a
 * later offset than the page's first, galloping (1, 2, 4... entries on)
 * before the binary search, as the key is then usually a few entries on.
 */
static OffsetNumber
btwalk_binsrch(BtWalk *w, Page page, OffsetNumber from)
{
	BTPageOpaque opaque = BTPageGetOpaque(page);
	OffsetNumber first = P_FIRSTDATAKEY(opaque);
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	OffsetNumber start = Max(first, from);
	OffsetNumber low = start;
	OffsetNumber high = maxoff + 1;

	if (w->keylen >= 0)
	{
		bool		ok = true;

		/* by the bytes, then checked under the collation (see above) */
		while (high > low && ok)
		{
			OffsetNumber mid = low + (high - low) / 2;
			int			c = 0;

			ok = btwalk_bytes_cmp(w, page, mid, &c);
			if (c > 0)
				low = mid + 1;
			else
				high = mid;
		}
		if (ok &&
			(low == first || _bt_compare(w->idx, w->inskey, page, low - 1) > 0) &&
			(low > maxoff || _bt_compare(w->idx, w->inskey, page, low) <= 0))
			return low;
		low = start;
		high = maxoff + 1;
	}

	if (start > first)
	{
		int			step = 1;

		while (high > low)
		{
			OffsetNumber probe = Min(low + step - 1, high - 1);

			if (btwalk_cmp(w, page, probe) > 0)
				low = probe + 1;
			else
			{
				high = probe;
				break;
			}
			step *= 2;
		}
	}
	while (high > low)
	{
		OffsetNumber mid = low + (high - low) / 2;

		if (btwalk_cmp(w, page, mid) > 0)
			low = mid + 1;
		else
			high = mid;
	}
	return low;
}

/*
 * btwalk_tids
 *		The heap TIDs of the index entries of the key keys/nulls (the
 *		index's first nkeys key columns) into w->tids/w->ntids.  A NULL
 *		finds the NULL entries (as in an index NULLS NOT DISTINCT).
 *
 * after: the key comes strictly after the previous lookup's key in the
 * index's order (the caller knows or checked it); only then may the lookup
 * start from the leaf where the previous one ended.
 */
void
btwalk_tids(BtWalk *w, const Datum *keys, const bool *nulls, bool after, Snapshot snapshot)
{
	Relation	idx = w->idx;
	Buffer		buf = InvalidBuffer;
	Page		page;
	BTPageOpaque opaque;
	bool		done;
	bool		reached = false;	/* buf reached by this lookup */
	OffsetNumber from = InvalidOffsetNumber;
	OffsetNumber stop;
	int			i;

	w->inskey->anynullkeys = false;
	for (i = 0; i < w->inskey->keysz; i++)
	{
		ScanKey		sk = &w->inskey->scankeys[i];

		sk->sk_argument = nulls[i] ? (Datum) 0 : keys[i];
		if (nulls[i])
		{
			sk->sk_flags |= SK_ISNULL;
			w->inskey->anynullkeys = true;
		}
		else
			sk->sk_flags &= ~SK_ISNULL;
	}
	w->ntids = 0;
	w->keylen = -1;
	w->kints = w->ints && !w->inskey->anynullkeys;
	for (i = 0; w->kints && i < w->inskey->keysz; i++)
	{
		switch (w->intkind[i])
		{
			case 2:
				w->intkey[i] = DatumGetInt16(keys[i]);
				break;
			case 4:
				w->intkey[i] = DatumGetInt32(keys[i]);
				break;
			case 'o':
				w->intkey[i] = (int64) DatumGetObjectId(keys[i]);
				break;
			default:
				w->intkey[i] = DatumGetInt64(keys[i]);
				break;
		}
	}
	if (w->bytes && !nulls[0])
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(keys[0]);

		if (!VARATT_IS_EXTENDED(v) || VARATT_IS_SHORT(v))
		{
			w->keydata = VARDATA_ANY(v);
			w->keylen = VARSIZE_ANY_EXHDR(v);
		}
	}
	pgstat_count_index_scan(idx);

	/* the leaf held since the previous lookup: only when after its key */
	if (BufferIsValid(w->buf) && !after)
	{
		_bt_relbuf(idx, w->buf);
		w->buf = InvalidBuffer;
	}
	/* from the previous lookup's leaf, when the key comes after its key */
	if (w->leaf != InvalidBlockNumber && after)
	{
		int			steps;

		if (BufferIsValid(w->buf))
		{
			/* (held, locked, checked and predicate-locked since) */
			buf = w->buf;
			w->buf = InvalidBuffer;
			from = w->pos;
		}
		else
		{
			buf = _bt_getbuf(idx, w->leaf, BT_READ);
			reached = true;
		}
		for (steps = 0;; steps++)
		{
			page = BufferGetPage(buf);
			opaque = BTPageGetOpaque(page);
			if (reached)
			{
				TestForOldSnapshot(snapshot, idx, page);
				if (!P_ISLEAF(opaque))
				{
					/* (not reused while this transaction runs: never seen) */
					_bt_relbuf(idx, buf);
					buf = InvalidBuffer;
					break;
				}
			}
			if (!P_IGNORE(opaque) &&
				(P_RIGHTMOST(opaque) || btwalk_hikey_cmp(w, page) <= 0))
				break;			/* the key's place is on this leaf */
			from = InvalidOffsetNumber;
			reached = true;
			if (P_RIGHTMOST(opaque) || (steps >= 1 && !P_IGNORE(opaque)))
			{
				/* far to the right: from the root */
				_bt_relbuf(idx, buf);
				buf = InvalidBuffer;
				break;
			}
			buf = _bt_relandgetbuf(idx, buf, opaque->btpo_next, BT_READ);
		}
	}
	if (!BufferIsValid(buf))
	{
		BTStack		stack = _bt_search(idx, w->inskey, &buf, BT_READ, snapshot);

		_bt_freestack(stack);
		from = InvalidOffsetNumber;
		reached = true;
		if (!BufferIsValid(buf))
		{
			/* an empty index: locked whole, as _bt_first() locks it */
			PredicateLockRelation(idx, snapshot);
			w->leaf = InvalidBlockNumber;
			return;
		}
	}
	page = BufferGetPage(buf);
	opaque = BTPageGetOpaque(page);
	if (reached)
	{
		/* each leaf read is locked for SERIALIZABLE, as _bt_readpage()'s are */
		PredicateLockPage(idx, BufferGetBlockNumber(buf), snapshot);
		if (w->hold)
			btwalk_prefetch(page);
	}

	/* the key's entries, across right siblings while they go on */
	done = btwalk_collect(w, page, btwalk_binsrch(w, page, from), &stop);
	while (!done)
	{
		if (P_RIGHTMOST(opaque) || btwalk_hikey_cmp(w, page) < 0)
			break;
		do
		{
			if (P_RIGHTMOST(opaque))
				elog(ERROR, "fell off the end of index \"%s\"", RelationGetRelationName(idx));
			buf = _bt_relandgetbuf(idx, buf, opaque->btpo_next, BT_READ);
			page = BufferGetPage(buf);
			TestForOldSnapshot(snapshot, idx, page);
			opaque = BTPageGetOpaque(page);
		} while (P_IGNORE(opaque));
		PredicateLockPage(idx, BufferGetBlockNumber(buf), snapshot);
		done = btwalk_collect(w, page, P_FIRSTDATAKEY(opaque), &stop);
	}

	/* where the next lookup starts: the leaf held, or no pin kept (see above) */
	w->leaf = BufferGetBlockNumber(buf);
	if (w->hold)
	{
		w->buf = buf;
		w->pos = stop;
	}
	else
		_bt_relbuf(idx, buf);
	/* counted as an index scan's are (pg_stat_user_indexes) */
	pgstat_count_index_tuples(idx, w->ntids);
}

/*
 * btwalk_hold
 *		hold true: each lookup from now on keeps the leaf where it ended
 *		pinned and share-locked for the next, which starts there without
 *		reading it again, and from the entry where the previous one ended
 *		(the leaf cannot have changed meanwhile); false: release that leaf
 *		(the lookups after start by reading it again, no pin kept).  For a
 *		run of lookups with nothing else between them: a leaf held while
 *		the caller writes or waits would hold off other writers of that
 *		leaf, and a VACUUM, for as long (see the header comment).
 */
void
btwalk_hold(BtWalk *w, bool hold)
{
	if (!hold && BufferIsValid(w->buf))
	{
		_bt_relbuf(w->idx, w->buf);
		w->buf = InvalidBuffer;
	}
	w->hold = hold;
}
