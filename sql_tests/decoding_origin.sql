-- only_local of the dataeng output plugin: changes (and DDL) replayed
-- under a replication origin, as logical replication applies them, are
-- left out, so two databases that replicate to each other do not loop.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('dorig_slot', 'dataeng');
CREATE TABLE dorig (id int PRIMARY KEY, src text);
SELECT 'origin' FROM pg_replication_origin_create('dorig_peer');
SELECT pg_replication_origin_session_setup('dorig_peer');
INSERT INTO dorig VALUES (1, 'replayed from the peer');
ALTER TABLE dorig ADD COLUMN note text;
SELECT pg_replication_origin_session_reset();
INSERT INTO dorig VALUES (2, 'local');

SELECT opt AS only_local,
       (SELECT string_agg(coalesce(r->'new'->>'src', r->>'op'), ', ' ORDER BY ord)
          FROM (SELECT data::jsonb AS r, row_number() OVER () AS ord
                  FROM pg_logical_slot_peek_changes('dorig_slot', NULL, NULL, 'only_local', opt)) q
         WHERE r->>'table' = 'dorig') AS records
  FROM unnest(ARRAY['off', 'on']) AS opt;

SELECT pg_drop_replication_slot('dorig_slot');
SELECT pg_replication_origin_drop('dorig_peer');
DROP TABLE dorig;
DROP EXTENSION dataeng CASCADE;
