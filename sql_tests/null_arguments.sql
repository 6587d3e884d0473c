-- A NULL given where a function that creates or changes something needs a
-- value is refused with 22004 null_value_not_allowed (docs/errors.md), also
-- for its optional arguments and the elements of its arrays of names: these
-- were 22023 invalid_parameter_value, which an EXCEPTION WHEN
-- null_value_not_allowed (as docs/errors.md shows) did not catch.
CREATE EXTENSION dataeng;
CREATE FUNCTION null_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TABLE null_t (id int PRIMARY KEY, at timestamptz, v text);
CREATE FUNCTION null_handler(changes dataeng.change[]) RETURNS void LANGUAGE sql AS 'SELECT';
CREATE FUNCTION null_alert_handler(alert jsonb) RETURNS void LANGUAGE sql AS 'SELECT';

-- schedule(): max_retries NULL, a NULL upstream job
SELECT null_try($$SELECT dataeng.schedule('null_j', '@yearly', 'SELECT 1', max_retries => NULL)$$);
SELECT null_try($$SELECT dataeng.schedule('null_j', '@yearly', 'SELECT 1', depends_on => '{NULL}')$$);
-- a negative max_retries stays 22023
SELECT null_try($$SELECT dataeng.schedule('null_j', '@yearly', 'SELECT 1', max_retries => -1)$$);

-- cdc_consumer_create(): a NULL table in the list (as cdc_wal_sync())
SELECT null_try($$SELECT dataeng.cdc_consumer_create('null_c', '{null_t,NULL}')$$);
SELECT null_try($$SELECT dataeng.cdc_wal_sync('0 s', '{null_t,NULL}')$$);
-- an empty list stays 22023
SELECT null_try($$SELECT dataeng.cdc_consumer_create('null_c', '{}')$$);

-- on_change(): ops NULL or with a NULL, on_error NULL
SELECT null_try($$SELECT dataeng.on_change('null_o', 'null_t', 'null_handler(dataeng.change[])', NULL)$$);
SELECT null_try($$SELECT dataeng.on_change('null_o', 'null_t', 'null_handler(dataeng.change[])', '{I,NULL}')$$);
SELECT null_try($$SELECT dataeng.on_change('null_o', 'null_t', 'null_handler(dataeng.change[])', '{I}', NULL)$$);
-- an empty list, an unknown operation or on_error stay 22023
SELECT null_try($$SELECT dataeng.on_change('null_o', 'null_t', 'null_handler(dataeng.change[])', '{}')$$);
SELECT null_try($$SELECT dataeng.on_change('null_o', 'null_t', 'null_handler(dataeng.change[])', '{I,X}')$$);
SELECT null_try($$SELECT dataeng.on_change('null_o', 'null_t', 'null_handler(dataeng.change[])', '{I}', 'ignore')$$);

-- fact_create(): backfill NULL
SELECT null_try($$SELECT dataeng.fact_create('null_f', 'null_t', 'at', 'day', '{}', '{count(*) AS n}', backfill => NULL)$$);
SELECT null_try($$SELECT dataeng.fact_create('null_f', 'null_t', 'at', 'day', '{}', '{count(*) AS n}', backfill => 'soon')$$);

-- alert_handler_add(): a NULL kind (NULL kinds: every kind)
SELECT null_try($$SELECT dataeng.alert_handler_add('null_alert_handler(jsonb)', '{job_failed,NULL}')$$);
SELECT null_try($$SELECT dataeng.alert_handler_add('null_alert_handler(jsonb)', '{job_nope}')$$);

-- the message names the argument that is NULL, as the entry points' own
-- check does (dataeng.cdc_disable(NULL): tbl must not be NULL); these said
-- "table, rule_name, kind, params and severity must not be null"
SELECT null_try($$SELECT dataeng.rule_add('null_t', 'r', 'not_null', 'v', '{}', NULL)$$);
SELECT null_try($$SELECT dataeng.rule_add('null_t', 'r', NULL, 'v')$$);
SELECT null_try($$SELECT dataeng.guard_enable('null_t', NULL)$$);
SELECT null_try($$SELECT dataeng.fill_missing('null_t', NULL, 'mean')$$);
SELECT null_try($$SELECT dataeng.fill_missing('null_t', 'v', NULL)$$);
SELECT null_try($$SELECT dataeng.on_change('null_o', 'null_t', NULL)$$);
SELECT null_try($$SELECT dataeng.cdc_enable(NULL)$$);
SELECT null_try($$SELECT dataeng.cdc_disable(NULL)$$);

-- caught by condition name, as docs/errors.md says
DO $$
BEGIN
  PERFORM dataeng.schedule('null_j', '@yearly', 'SELECT 1', max_retries => NULL);
  RAISE EXCEPTION 'a NULL max_retries was not refused';
EXCEPTION WHEN null_value_not_allowed THEN
  NULL;
END;
$$;

-- nothing was created
SELECT (SELECT count(*) FROM dataeng.jobs) AS jobs,
       (SELECT count(*) FROM dataeng.cdc_consumers) AS consumers,
       (SELECT count(*) FROM dataeng.on_changes) AS on_changes,
       (SELECT count(*) FROM dataeng.facts) AS facts,
       (SELECT count(*) FROM dataeng.alert_handlers) AS alert_handlers;

DROP FUNCTION null_try(text);
DROP FUNCTION null_handler(dataeng.change[]);
DROP FUNCTION null_alert_handler(jsonb);
DROP TABLE null_t;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
