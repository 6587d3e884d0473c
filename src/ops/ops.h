/*-------------------------------------------------------------------------
 *
 * ops.h
 *		Declarations of src/ops/: the maintenance worker's GUC and init.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_OPS_H
#define DATAENG_OPS_H

/* dataeng.maintenance_interval: seconds between rounds, 0 = off */
extern int	ops_maintenance_interval;

/* in ops/maintenance.c: the GUC, and the worker when preloaded */
extern void ops_maintenance_init(void);

#endif							/* DATAENG_OPS_H */
