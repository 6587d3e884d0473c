-- Errors of alert_handler_add() and alert_set() say what form their
-- argument takes.  A handler given as text that names no function was
-- PostgreSQL's own cast error ("expected a left parenthesis", 22P02, no
-- detail, no hint): now 42883 for a function that does not exist, 42601
-- for a signature that cannot be read, each with a detail and a hint
-- giving the form and the signature a handler must have.  alert_set() of
-- a bare name ('copy') said no more than its hint: now a detail says how
-- an object is named.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;
CREATE FUNCTION oee_try(q text) RETURNS TABLE (state text, msg text, det text, hnt text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  state := 'ok';
  RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN NEXT;
END;
$$;
\x on
-- a bare name: malformed
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('nope_fn')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('nope_fn(jsonb')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('')$$);
-- a signature of no function, of a type that does not exist, in a schema that does not exist
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('nope_fn(jsonb)')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('nope_fn(nope_type)')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('nope_schema.nope_fn(jsonb)')$$);
-- a function of another signature: the body's own error, as before
CREATE FUNCTION oee_pager(a jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION oee_wrong(a text) RETURNS void LANGUAGE sql AS $$ SELECT $$;
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('oee_wrong(text)')$$);
-- the forms that work: as text (in the caller's search_path), kinds too,
-- and a regprocedure value
CREATE SCHEMA oee_s;
CREATE FUNCTION oee_s.pager2(a jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
SET search_path = oee_s, public;
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('pager2(jsonb)', '{job_failed}')$$);
RESET search_path;
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('oee_pager(jsonb)')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('oee_pager(jsonb)'::regprocedure, kinds => '{slot_lag}')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add(NULL)$$);
\x off
SELECT handler, kinds FROM dataeng.alert_handlers ORDER BY handler::text;
\x on
-- alert_set(): a bare name, a kind the setting is not kept for, a * only setting
SELECT * FROM oee_try($$SELECT dataeng.alert_set('copy', 'lag_changes', '10')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_set('job:x', 'lag_changes', '10')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_set('copy', 'purge', 'off')$$);
-- alert_set(): a NULL object or setting is named, with a detail and a
-- hint (one message named both, with neither); an empty object is 22023,
-- object must not be empty (its detail said "as in job:")
SELECT * FROM oee_try($$SELECT dataeng.alert_set(NULL, 'alerts', 'off')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_set('*', NULL, 'off')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_set('', 'alerts', 'off')$$);
-- monitor_create(): each argument it needs is named when NULL (one
-- message named all five, with neither detail nor hint); an empty name
-- is 22023 (it was 22004, a NULL's SQLSTATE)
CREATE TABLE oee_t (id int, at timestamptz);
SELECT * FROM oee_try($$SELECT dataeng.monitor_create(NULL, 'oee_t', 'at', max_silence => '1 hour')$$);
SELECT * FROM oee_try($$SELECT dataeng.monitor_create('', 'oee_t', 'at', max_silence => '1 hour')$$);
SELECT * FROM oee_try($$SELECT dataeng.monitor_create('oee_m', NULL, 'at', max_silence => '1 hour')$$);
SELECT * FROM oee_try($$SELECT dataeng.monitor_create('oee_m', 'oee_t', NULL, max_silence => '1 hour')$$);
SELECT * FROM oee_try($$SELECT dataeng.monitor_create('oee_m', 'oee_t', 'at', max_silence => '1 hour', per => NULL)$$);
SELECT * FROM oee_try($$SELECT dataeng.monitor_create('oee_m', 'oee_t', 'at', max_silence => '1 hour', schedule => NULL)$$);
-- alert_handler_add() of a procedure, of a function of no argument: the
-- detail says what it is, the hint the function a handler must be
CREATE PROCEDURE oee_proc(a jsonb) LANGUAGE sql AS $$ SELECT $$;
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('oee_proc(jsonb)')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('pg_catalog.now()')$$);
\x off
SELECT count(*) AS monitors FROM dataeng.monitors;
\x on
-- alert_handler_drop() of a handler given as text reads it as
-- alert_handler_add() does: a signature that cannot be read was the
-- cast's 22P02 "expected a left parenthesis", one naming no function its
-- bare 42883, neither with a detail or a hint; now 42601 and 42883 with
-- both.  NULL is refused (22004).
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop('nope_fn')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop('')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop('public.nope(int')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop('public.nope(int)')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop('nope_schema.nope_fn(jsonb)')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop('oee_pager(nope_type)')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop(NULL)$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_drop(NULL::regprocedure)$$);
-- alert_handler_add() of an oid that no function has (a number is read
-- without a lookup): 42883 (its NULL owner failed the insert, 23502)
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('4294967295')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('-')$$);
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add(4294967295::oid::regprocedure)$$);
\x off
-- a function that exists but is no handler: false, as every drop of
-- nothing (docs/errors.md, Drops); so is another role's handler to a
-- role that is no member of its owner
SELECT dataeng.alert_handler_drop('oee_wrong(text)') AS dropped;
CREATE ROLE regress_oee_other;
SET ROLE regress_oee_other;
SELECT dataeng.alert_handler_drop('oee_pager(jsonb)') AS dropped;
-- (nor may it add that function: the detail names its owner)
\x on
SELECT * FROM oee_try($$SELECT dataeng.alert_handler_add('oee_pager(jsonb)')$$);
\x off
RESET ROLE;
DROP ROLE regress_oee_other;
SELECT handler FROM dataeng.alert_handlers ORDER BY handler::text;
-- the signature is read in the caller's search_path, as add reads it
SET search_path = oee_s, public;
SELECT dataeng.alert_handler_drop('pager2(jsonb)') AS dropped;
RESET search_path;
-- a handler whose function was dropped (its row goes with the next alert
-- sent): by the oid dataeng.alert_handlers shows
CREATE FUNCTION oee_gone(a jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
SELECT dataeng.alert_handler_add('oee_gone(jsonb)');
SELECT handler::oid AS oee_gone_oid FROM dataeng.alert_handlers WHERE handler = 'oee_gone(jsonb)'::regprocedure \gset
DROP FUNCTION oee_gone(jsonb);
SELECT handler::text = :'oee_gone_oid' AS shown_by_oid FROM dataeng.alert_handlers WHERE handler::oid = :oee_gone_oid;
SELECT dataeng.alert_handler_drop(:'oee_gone_oid') AS dropped;
SELECT dataeng.alert_handler_drop('oee_pager(jsonb)') AS dropped;
SELECT dataeng.alert_handler_drop('oee_pager(jsonb)') AS dropped_again;
SELECT handler FROM dataeng.alert_handlers ORDER BY handler::text;
DROP FUNCTION oee_try(text), oee_pager(jsonb), oee_wrong(text);
DROP PROCEDURE oee_proc(jsonb);
DROP TABLE oee_t;
DROP SCHEMA oee_s CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
