-- Errors for bad input read as the function's own: change capture and
-- deduplication report them without the CONTEXT lines of dataeng's
-- internal PL/pgSQL bodies or their internal SQL (as rules and validation
-- do, validate_trust); the context of the caller's own code is kept.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\pset null '(null)'

CREATE TABLE te_events (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('te_events', method => 'logical');
SELECT dataeng.cdc_enable('te_events');
SELECT dataeng.cdc_enable('te_events', columns => '{nope}');
SELECT dataeng.cdc_consumer_create('te', '{te_events}');
SELECT dataeng.cdc_consumer_create('te', '{te_events}');
INSERT INTO te_events VALUES (1, 'a'), (2, 'b');
SELECT * FROM dataeng.cdc_poll('nobody');
SELECT * FROM dataeng.cdc_poll('te', 0);
SELECT dataeng.cdc_ack('nobody');
SELECT dataeng.cdc_ack('te');
SELECT dataeng.cdc_ack('te', 99);
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('te', 1, whole_transactions => false);
SELECT dataeng.cdc_ack('te', 2);
ROLLBACK;
SELECT dataeng.cdc_consumer_drop('nobody');
SELECT dataeng.cdc_disable('pg_class');

CREATE TABLE te_people (id int PRIMARY KEY, name text, city text);
INSERT INTO te_people VALUES (1, 'Ada', 'London'), (2, 'Ada', 'London');
SELECT * FROM dataeng.find_duplicates('te_people', '{nope}');
SELECT * FROM dataeng.dedupe('te_people', '{name,city}', keep => 'bogus');
SELECT dataeng.dedupe_undo(999);
SELECT dataeng.dedupe_forget(999);

-- the caller's own context is kept: an error inside the caller's function
-- names that function, and no internal one
CREATE FUNCTION te_ack_all() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dataeng.cdc_ack('nobody');
END $$;
SELECT te_ack_all();

-- the statements that succeed are unchanged: poll and acknowledge
BEGIN;
SELECT change_id, op, new_row->>'v' AS v FROM dataeng.cdc_poll('te') ORDER BY position;
SELECT dataeng.cdc_ack('te');
COMMIT;
SELECT count(*) AS again FROM dataeng.cdc_poll('te');
SELECT dataeng.cdc_consumer_drop('te');
DROP TABLE te_events, te_people;
DROP FUNCTION te_ack_all();
DROP EXTENSION dataeng;
