/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		The shared memory areas of dataeng, requested and set up in one
 *		place.
 *
 * A feature that needs shared memory (the scheduler's launcher, the
 * tickers of the change log, the WAL capture workers) names its area, its
 * size and what to do when it is first made, from _PG_init while the
 * library is being preloaded: dataeng_shmem_area().  This file installs
 * PostgreSQL's shmem_request_hook and shmem_startup_hook once for all of
 * them, requests the sum of their sizes, and at startup finds or makes
 * each area (zeroed, then its init function) and stores its address where
 * the feature asked.  Without preloading there is no area: the pointers
 * stay NULL, and each feature says what it does then.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "common/common.h"

#define MAX_AREAS 8

typedef struct ShmemArea
{
	const char *name;
	Size		size;
	DataengShmemSize size_fn;	/* or the size, computed when requested */
	void	  **ptr;
	DataengShmemInit init;
} ShmemArea;

static ShmemArea areas[MAX_AREAS];
static int	nareas = 0;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
shmem_request(void)
{
	int			i;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	for (i = 0; i < nareas; i++)
	{
		/* (settings such as MaxBackends are known by now) */
		if (areas[i].size_fn)
			areas[i].size = areas[i].size_fn();
		RequestAddinShmemSpace(MAXALIGN(areas[i].size));
	}
}

static void
shmem_startup(void)
{
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	for (i = 0; i < nareas; i++)
	{
		bool		found;
		void	   *p = ShmemInitStruct(areas[i].name, areas[i].size, &found);

		if (!found)
		{
			memset(p, 0, areas[i].size);
			if (areas[i].init)
				areas[i].init(p);
		}
		*areas[i].ptr = p;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * dataeng_shmem_area
 *		From _PG_init, while preloading: an area of shared memory named
 *		name, of size bytes, whose address goes to *ptr at startup; init
 *		(if any) sets up a new, zeroed area.  Does nothing otherwise.
 */
void
dataeng_shmem_area(const char *name, Size size, void **ptr, DataengShmemInit init)
{
	dataeng_shmem_area_sized(name, size, NULL, ptr, init);
}

/*
 * dataeng_shmem_area_sized
 *		dataeng_shmem_area() of an area whose size size_fn (if not NULL)
 *		computes when the memory is requested, after _PG_init, from
 *		settings only known then (MaxBackends, the library's own
 *		PGC_POSTMASTER settings).
 */
void
dataeng_shmem_area_sized(const char *name, Size size, DataengShmemSize size_fn,
						 void **ptr, DataengShmemInit init)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	if (nareas == MAX_AREAS)
		elog(ERROR, "dataeng: too many shared memory areas");
	if (nareas == 0)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = shmem_startup;
	}
	areas[nareas].name = name;
	areas[nareas].size = size;
	areas[nareas].size_fn = size_fn;
	areas[nareas].ptr = ptr;
	areas[nareas].init = init;
	nareas++;
}
