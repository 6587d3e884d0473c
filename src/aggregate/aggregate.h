/*-------------------------------------------------------------------------
 *
 * aggregate.h
 *		What the files of src/aggregate share with the rest of dataeng.
 *
 * The SQL it mirrors: dataeng.fact_refresh() (sql/facts.sql) reads the
 * setting dataeng.fact_refresh_path defined here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_AGGREGATE_H
#define DATAENG_AGGREGATE_H

/* define the settings of facts and dimensions (from _PG_init) */
extern void agg_init(void);

#endif							/* DATAENG_AGGREGATE_H */
