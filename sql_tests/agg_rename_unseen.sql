-- A table renamed while event triggers do not fire (session_replication_role
-- = replica): change capture follows it (its metadata is the table's oid:
-- a consumer gets its changes under the new name), and so do rules and
-- monitors (their table is an oid too).  A fact or a dimension keeps its
-- source's name beside the oid, so as never to read another table that
-- got the oid (a restore, an oid used again): it refuses the renamed
-- source, its error saying that a rename unseen is one cause and how to
-- get back (rename it back, then rename it with event triggers on, which
-- is followed); the message named restores and oids only.
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\pset null '(null)'

CREATE TABLE aru (id int PRIMARY KEY, at timestamptz NOT NULL, g text, v int);
INSERT INTO aru VALUES (1, '2026-01-01', 'a', 1), (2, '2026-01-01', 'b', 2);
SELECT dataeng.cdc_enable('aru');
SELECT dataeng.cdc_consumer_create('aru_c', ARRAY['aru'::regclass]);
SELECT dataeng.fact_create('aru_f', 'aru', 'at', 'day', ARRAY['g'], ARRAY['count(*)', 'sum(v)'], schedule => NULL) IS NOT NULL AS fact;
SELECT dataeng.dimension_create('aru_d', 'aru', 'id', ARRAY['g'], 1, schedule => NULL) IS NOT NULL AS dim;
SELECT dataeng.rule_add('aru', 'positive', 'range', 'v', '{"min": 0}') > 0 AS rule;

-- renamed unseen; its writes are still captured (triggers fire as usual)
SET session_replication_role = replica;
ALTER TABLE aru RENAME TO aru_renamed;
RESET session_replication_role;
INSERT INTO aru_renamed VALUES (3, '2026-01-01', 'a', 3);
SELECT table_name, op, new_row->>'id' AS id FROM dataeng.cdc_poll('aru_c') ORDER BY change_id;
SELECT table_name FROM dataeng.cdc_tables;
SELECT table_name, rule_name FROM dataeng.rules;
SELECT rule_name, checked, passed FROM dataeng.validate('aru_renamed');

-- the fact and the dimension refuse it, saying why and what to do
CREATE FUNCTION aru_error(call text) RETURNS TABLE (state text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'SELECT ' || call;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                          hint = PG_EXCEPTION_HINT;
  detail := regexp_replace(detail, 'OID \d+', 'OID N');
  RETURN NEXT;
END $$;
\x on
SELECT * FROM aru_error('dataeng.fact_refresh(''aru_f'')');
SELECT * FROM aru_error('dataeng.dimension_refresh(''aru_d'')');
\x off
SELECT name, source_schema, source_table, source_dropped FROM dataeng_internal.fact_defs;

-- renamed back (unseen again): both refresh; then renamed with event
-- triggers on, which they follow
SET session_replication_role = replica;
ALTER TABLE aru_renamed RENAME TO aru;
RESET session_replication_role;
SELECT dataeng.fact_refresh('aru_f') AS fact_changes, dataeng.dimension_refresh('aru_d') AS dim_changes;
ALTER TABLE aru RENAME TO aru_renamed;
INSERT INTO aru_renamed VALUES (4, '2026-01-02', 'b', 4);
SELECT dataeng.fact_refresh('aru_f') AS fact_changes, dataeng.dimension_refresh('aru_d') AS dim_changes;
SELECT name, source_schema, source_table, source_dropped FROM dataeng_internal.fact_defs;
SELECT bucket, g, count, sum_v FROM aru_f ORDER BY 1, 2;
SELECT id, g FROM aru_d ORDER BY id;

SELECT dataeng.fact_drop('aru_f'), dataeng.dimension_drop('aru_d'), dataeng.cdc_consumer_drop('aru_c');
DROP FUNCTION aru_error(text);
DROP TABLE aru_renamed;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
