/*-------------------------------------------------------------------------
 *
 * btwalk.h
 *		Lookups of keys in a B-tree index, one after another in the
 *		index's order, walking its leaves (btwalk.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_BTWALK_H
#define DATAENG_BTWALK_H

#include "access/nbtree.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

typedef struct BtWalk
{
	Relation	idx;
	BTScanInsert inskey;		/* the key looked up, on nkeys columns */
	BlockNumber leaf;			/* where the last lookup ended, or none */
	/* lookups in a row: see btwalk_hold() */
	bool		hold;			/* keep the last leaf pinned and share-locked */
	Buffer		buf;			/* that leaf, while held (else InvalidBuffer) */
	OffsetNumber pos;			/* its first entry past the last key */
	ItemPointerData *tids;		/* the heap TIDs of the key's entries */
	int			ntids;
	int			maxtids;
	/* a text key under a deterministic collation: see btwalk_bytes_cmp() */
	bool		bytes;
	const char *keydata;		/* the key's bytes, for this lookup */
	int			keylen;			/* (-1: none, compare by the collation) */
	/* every key column an integer compared as such: see btwalk_cmp() */
	bool		ints;
	bool		kints;			/* so, and this lookup's key has no NULL */
	char		intkind[INDEX_MAX_KEYS];	/* 2, 4, 8: signed; 'o': an oid */
	int			intoff[INDEX_MAX_KEYS]; /* its offset in an entry of no NULL */
	int64		intkey[INDEX_MAX_KEYS]; /* this lookup's key */
} BtWalk;

/*
 * set up the lookups of keys on the first nkeys key columns of B-tree
 * index idx; false when its entries are not ordered by key and heap TID
 * (then it cannot be walked: look the keys up with an index scan)
 */
extern bool btwalk_begin(BtWalk *w, Relation idx, int nkeys);

/*
 * the heap TIDs of the index entries of the key keys/nulls into
 * w->tids/w->ntids; after says the key comes after the previous lookup's
 * key in the index's order (else the lookup starts from the root)
 */
extern void btwalk_tids(BtWalk *w, const Datum *keys, const bool *nulls, bool after,
						Snapshot snapshot);

/*
 * hold (true): the lookups that follow keep the leaf where each ends pinned
 * and share-locked for the next, until btwalk_hold(w, false) releases it;
 * the caller does nothing between them that may write, wait or take a lock
 */
extern void btwalk_hold(BtWalk *w, bool hold);

#endif							/* DATAENG_BTWALK_H */
