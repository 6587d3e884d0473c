-- Lineage of a consumer read by a scheduled job: the job's command polls
-- it (dataeng.cdc_poll() with the consumer's name as a literal, by
-- position or by name, schema-qualified or not, in a DO block too), and
-- the lineage has the edge consumer -> job 'read by' (it had none: the
-- consumer led nowhere).  A name the catalogs cannot read (computed, or a
-- poll inside a function the command calls) gives no edge; a literal
-- naming no consumer the caller sees gives none either.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION dataeng;

CREATE TABLE olc_orders (id int PRIMARY KEY, amount numeric);
SELECT dataeng.cdc_enable('olc_orders');
SELECT dataeng.cdc_consumer_create('olc_copy', '{olc_orders}');
SELECT dataeng.cdc_consumer_create('olc''s feed', '{olc_orders}');
SELECT dataeng.cdc_consumer_create('olc_unread', '{olc_orders}');
CREATE FUNCTION olc_apply() RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;
SELECT dataeng.schedule('olc_sync', '@yearly',
         'SELECT count(*) FROM dataeng.cdc_poll(''olc_copy'', 500); SELECT dataeng.cdc_ack(''olc_copy'')') > 0 AS scheduled;
SELECT dataeng.schedule('olc_named', '@yearly',
         $c$DO $d$ BEGIN PERFORM * FROM dataeng.cdc_poll(consumer => 'olc''s feed'); END $d$$c$) > 0 AS scheduled;
SELECT dataeng.schedule('olc_both', '@yearly',
         'SELECT * FROM cdc_poll(''olc_copy''); SELECT * FROM CDC_POLL ( ''olc''''s feed'' )') > 0 AS scheduled;
-- not seen: a computed name, a poll in a function, a consumer that is not one
SELECT dataeng.schedule('olc_computed', '@yearly',
         'SELECT * FROM dataeng.cdc_poll(''olc_'' || ''unread'')') > 0 AS scheduled;
SELECT dataeng.schedule('olc_indirect', '@yearly', 'SELECT olc_apply()') > 0 AS scheduled;
SELECT dataeng.schedule('olc_nobody', '@yearly', 'SELECT * FROM dataeng.cdc_poll(''olc_none'')') > 0 AS scheduled;

SELECT from_object, from_kind, to_object, to_kind, relation FROM dataeng.lineage
 WHERE from_kind = 'consumer' ORDER BY 1, 3;
-- and lineage_dot draws it, reachable from the table
SELECT dataeng.lineage_dot('olc_orders') ~ '"consumer:olc_copy" -> "job:olc_sync" \[label="read by"\]' AS drawn;

-- the consumer dropped: the edge is gone
SELECT dataeng.cdc_consumer_drop('olc_copy');
SELECT from_object, to_object FROM dataeng.lineage WHERE relation = 'read by' ORDER BY 1, 2;

SELECT dataeng.unschedule(j) FROM unnest('{olc_sync,olc_named,olc_both,olc_computed,olc_indirect,olc_nobody}'::text[]) j;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE olc_orders;
DROP FUNCTION olc_apply();
