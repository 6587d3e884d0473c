-- CDC: the readers of consumers other than cdc_poll() (the readers of facts
-- and dimensions: _fact_deltas(), _dim_events(), _cdc_poll_txns() and
-- _cdc_poll_unordered()) read the change log alone.  They refuse a consumer
-- whose initial snapshot is not fully acknowledged (they would skip its
-- rows and move it past them), with one shared check, and leave it as it
-- was; once the snapshot is acknowledged they read its changes.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
SET TimeZone = 'UTC';

CREATE TABLE rd_src (id int PRIMARY KEY, ts timestamptz NOT NULL, region text);
INSERT INTO rd_src VALUES (1, '2026-01-01 10:00+00', 'eu'), (2, '2026-01-01 11:00+00', 'us'),
                          (3, '2026-01-02 09:00+00', 'eu');
SELECT dataeng.cdc_enable('rd_src');
SELECT dataeng.cdc_consumer_create('rd', '{rd_src}', snapshot => true);
-- a change after the creation: the readers would read it and skip the rows
UPDATE rd_src SET region = 'apac' WHERE id = 2;

-- Each reader refuses, naming the consumer and the rows pending.
SELECT * FROM dataeng_internal._fact_deltas('rd', 'rd_src', 'ts', 'day', 'UTC', '{}', '{}', '{}')
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz);
SELECT * FROM dataeng_internal._dim_events('rd', 'rd_src', 'id', '{region}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 int, d2 text);
SELECT * FROM dataeng_internal._cdc_poll_txns(current_user::regrole, 'rd', 'rd_src');
SELECT count(*) FROM dataeng_internal._cdc_poll_unordered('rd', 10);

-- A role that may not use the consumer learns nothing of its snapshot: the
-- readers' own check answers.
CREATE ROLE regress_rd_other;
GRANT SELECT ON rd_src TO regress_rd_other;
SET ROLE regress_rd_other;
SELECT * FROM dataeng_internal._fact_deltas('rd', 'rd_src', 'ts', 'day', 'UTC', '{}', '{}', '{}')
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz);
SELECT * FROM dataeng_internal._dim_events('rd', 'rd_src', 'id', '{region}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 int, d2 text);
RESET ROLE;

-- Nothing moved: the snapshot and the change are all still pending, and
-- cdc_poll() delivers the snapshot first.
SELECT pending_changes, acked_change_id FROM dataeng.cdc_consumers WHERE name = 'rd';
BEGIN;
SELECT change_id, op, pk, new_row->>'region' AS region FROM dataeng.cdc_poll('rd', 2) ORDER BY position;
SELECT dataeng.cdc_ack('rd');
COMMIT;

-- Part of the snapshot acknowledged: still refused, one row pending.
SELECT * FROM dataeng_internal._fact_deltas('rd', 'rd_src', 'ts', 'day', 'UTC', '{}', '{}', '{}')
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz);
SELECT * FROM dataeng_internal._dim_events('rd', 'rd_src', 'id', '{region}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 int, d2 text);
SELECT * FROM dataeng_internal._cdc_poll_txns(current_user::regrole, 'rd', 'rd_src');

-- The whole snapshot acknowledged: each reader reads the changes after it.
BEGIN;
SELECT change_id, op, pk, new_row->>'region' AS region FROM dataeng.cdc_poll('rd', 2) ORDER BY position;
SELECT dataeng.cdc_ack('rd');
COMMIT;
SELECT pending_changes, acked_change_id FROM dataeng.cdc_consumers WHERE name = 'rd';
-- the update: one change, rows unchanged in day 2026-01-01
SELECT is_total, n_changes, has_t, rows, bucket
  FROM dataeng_internal._fact_deltas('rd', 'rd_src', 'ts', 'day', 'UTC', '{}', '{}', '{}')
       AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz)
 ORDER BY is_total, bucket;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'rd';
INSERT INTO rd_src VALUES (4, '2026-01-03 08:00+00', 'us');
SELECT n_changes, part, present, d1, d2
  FROM dataeng_internal._dim_events('rd', 'rd_src', 'id', '{region}')
       AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 int, d2 text)
 ORDER BY n_changes IS NOT NULL, d1;
DELETE FROM rd_src WHERE id = 1;
SELECT cardinality(tick_ids) AS transactions
  FROM dataeng_internal._cdc_poll_txns(current_user::regrole, 'rd', 'rd_src');
UPDATE rd_src SET region = 'eu' WHERE id = 4;
SELECT op, pk, change_id AS last_change FROM dataeng_internal._cdc_poll_unordered('rd', 10) \gset
\echo :op :pk
SELECT dataeng.cdc_ack('rd', :last_change);
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'rd';

-- A consumer created without a snapshot is read as before.
SELECT dataeng.cdc_consumer_create('rd_plain', '{rd_src}');
UPDATE rd_src SET region = 'us' WHERE id = 3;
SELECT is_total, n_changes, rows, bucket
  FROM dataeng_internal._fact_deltas('rd_plain', 'rd_src', 'ts', 'day', 'UTC', '{}', '{}', '{}')
       AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz)
 ORDER BY is_total, bucket;

SELECT dataeng.cdc_consumer_drop('rd');
SELECT dataeng.cdc_consumer_drop('rd_plain');
DROP TABLE rd_src;
DROP ROLE regress_rd_other;
DROP EXTENSION dataeng;
