-- Validation security: rules, guards, runs and the quarantine follow the
-- rights of the role that runs the calling code.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE ROLE regress_valsec_owner;
CREATE ROLE regress_valsec_reader;
CREATE ROLE regress_valsec_team;
CREATE ROLE regress_valsec_low;
GRANT regress_valsec_team TO regress_valsec_owner;
GRANT CREATE ON SCHEMA public TO regress_valsec_owner, regress_valsec_team, regress_valsec_low;

SET ROLE regress_valsec_owner;
CREATE TABLE v_people (id int PRIMARY KEY, email text, age int);
INSERT INTO v_people VALUES (1, 'ada@example.com', 36), (2, 'not an email', 12), (3, 'bob@example.com', 40);
GRANT SELECT ON v_people TO regress_valsec_reader;
SELECT dataeng.rule_add('v_people', 'email valid', 'validator', 'email', '{"function": "email"}');
CREATE VIEW v_people_view AS SELECT * FROM v_people;
RESET ROLE;

-------------------------------------------------------------------------------
-- Only the owner (or a member of the owning role) adds and drops rules and
-- guards; SELECT lets a role validate, DELETE quarantine, INSERT release
-------------------------------------------------------------------------------
SET ROLE regress_valsec_reader;
SELECT dataeng.rule_add('v_people', 'adult', 'range', 'age', '{"min": 18}');
SELECT dataeng.rule_drop('v_people', 'email valid');
SELECT dataeng.guard_enable('v_people');
SELECT dataeng.guard_disable('v_people');
SELECT rule_name, checked, failed FROM dataeng.validate('v_people');
SELECT run_by FROM dataeng.validation_runs;
SELECT rule_name, failed FROM dataeng.validate('v_people', quarantine => true);
SELECT count(*) AS rows_left FROM v_people;
RESET ROLE;
-- a member of the owning role may
SET ROLE regress_valsec_team;
CREATE TABLE v_team (id int PRIMARY KEY, code text);
RESET ROLE;
SET ROLE regress_valsec_owner;
SELECT dataeng.rule_add('v_team', 'code set', 'not_null', 'code') > 0 AS added;
SELECT dataeng.guard_enable('v_team');
SELECT dataeng.guard_disable('v_team');
SELECT dataeng.rule_drop('v_team', 'code set');
-- only tables can be guarded (the name is quoted once, as a regclass is)
SELECT dataeng.guard_enable('v_people_view');
-- the owner quarantines; a role with SELECT only cannot release
SELECT rule_name, failed FROM dataeng.validate('v_people', quarantine => true);
SELECT run_by, quarantined FROM dataeng.validation_runs ORDER BY run_id;
SELECT quarantine_id AS qid FROM dataeng.quarantine \gset
RESET ROLE;
SET ROLE regress_valsec_reader;
SELECT dataeng.quarantine_release(:qid, '{"email": "cy@example.com"}');
SELECT dataeng_internal._quarantine_take(:qid);
RESET ROLE;
SET ROLE regress_valsec_owner;
SELECT dataeng.quarantine_release(:qid, '{"email": "cy@example.com"}');
SELECT id, email FROM v_people ORDER BY id;
RESET ROLE;

-- a rule's condition is compiled as the caller: its functions run as the
-- caller, not as dataeng's owner
SET ROLE regress_valsec_low;
CREATE TABLE v_low_own (x int);
CREATE FUNCTION v_who(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE NOTICE 'v_who runs as %', current_user;
  RETURN true;
END $$;
SELECT dataeng.rule_add('v_low_own', 'who', 'expression', params => '{"expression": "public.v_who(1)"}') > 0 AS added;
RESET ROLE;

-- the internal bodies are not callable by PUBLIC
SET ROLE regress_valsec_low;
SELECT dataeng_internal._rule_add('regress_valsec_owner', 'v_people', 'x', 'not_null', 'id', '{}', 'error');
SELECT dataeng_internal._record_run_as_owner('regress_valsec_owner', 'v_people', now(), 0, '[]', 0);
SELECT dataeng_internal._query_as('regress_valsec_owner', 'SELECT true');
-- the internal entry points check the caller
SELECT dataeng_internal._record_run('v_people', now(), 0, '[]', 0);
SELECT dataeng_internal._quarantine_put('v_people', NULL, '[{"row": {"id": 9}, "rules": ["forged"]}]');
RESET ROLE;

-------------------------------------------------------------------------------
-- dataeng acts for the role that runs the code: a less privileged role's
-- code, run by a superuser as that role (SECURITY DEFINER, or ANALYZE
-- evaluating an index expression, as autovacuum does), cannot use the
-- superuser's rights through dataeng
-------------------------------------------------------------------------------
CREATE TABLE v_admin (id int PRIMARY KEY, secret text);
INSERT INTO v_admin VALUES (1, 'root password'), (2, NULL);
SELECT dataeng.rule_add('v_admin', 'secret set', 'not_null', 'secret') > 0 AS added;
SELECT dataeng.validate('v_admin') IS NOT NULL AS validated;   -- (a run by the superuser)
GRANT SELECT ON v_admin TO regress_valsec_low;                   -- SELECT, nothing else
SET ROLE regress_valsec_low;
CREATE TABLE v_low_log (outcome text);
CREATE FUNCTION v_low_try() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  q bigint;
BEGIN
  BEGIN
    PERFORM dataeng.rule_add('v_admin', 'low rule', 'not_null', 'id');
    INSERT INTO v_low_log VALUES ('added a rule to v_admin');
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO v_low_log VALUES ('rule_add refused');
  END;
  BEGIN
    PERFORM dataeng.rule_drop('v_admin', 'secret set');
    INSERT INTO v_low_log VALUES ('dropped a rule of v_admin');
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO v_low_log VALUES ('rule_drop refused');
  END;
  BEGIN
    PERFORM dataeng.guard_enable('v_admin', 'quarantine');
    INSERT INTO v_low_log VALUES ('guarded v_admin');
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO v_low_log VALUES ('guard_enable refused');
  END;
  BEGIN
    PERFORM dataeng.validate('v_admin', quarantine => true);
    INSERT INTO v_low_log VALUES ('quarantined rows of v_admin');
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO v_low_log VALUES ('validate with quarantine refused');
  END;
  BEGIN
    PERFORM dataeng_internal._quarantine_put('v_admin', NULL, '[{"row": {"id": 3, "secret": "forged"}, "rules": ["x"]}]');
    INSERT INTO v_low_log VALUES ('forged a quarantined row of v_admin');
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO v_low_log VALUES ('_quarantine_put refused');
  END;
  BEGIN
    SELECT min(quarantine_id) INTO q FROM dataeng.quarantine WHERE table_name = 'v_admin'::regclass;
    PERFORM dataeng_internal._quarantine_take(coalesce(q, -1));
    INSERT INTO v_low_log VALUES ('took a quarantined row of v_admin');
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO v_low_log VALUES ('_quarantine_take refused');
  END;
  -- a run is recorded as the role that ran it
  PERFORM dataeng.validate('v_admin');
  INSERT INTO v_low_log
  SELECT 'validate recorded as ' || run_by FROM dataeng.validation_runs
   WHERE table_name = 'v_admin'::regclass ORDER BY run_id DESC LIMIT 1;
  RETURN current_user;
END $$;
CREATE FUNCTION v_low_index(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM v_low_try();
  RETURN $1;
END $$;
CREATE TABLE v_low_t (x int);
INSERT INTO v_low_t VALUES (1);
SELECT v_low_try();                              -- as itself: refused, of course
SELECT outcome FROM v_low_log ORDER BY outcome;
TRUNCATE v_low_log;
RESET ROLE;
-- the superuser quarantines a row of its own table (for the low role to try)
SELECT rule_name, failed FROM dataeng.validate('v_admin', quarantine => true);
SELECT v_low_try();                              -- run by the superuser
SELECT outcome FROM v_low_log ORDER BY outcome;
SELECT rule_name FROM dataeng.rules WHERE table_name = 'v_admin'::regclass ORDER BY 1;
SELECT count(*) AS guards_on_v_admin FROM pg_trigger WHERE tgrelid = 'v_admin'::regclass;
SELECT row_data FROM dataeng.quarantine WHERE table_name = 'v_admin'::regclass ORDER BY quarantine_id;
SELECT id, secret FROM v_admin ORDER BY id;
SET ROLE regress_valsec_low;
CREATE INDEX v_low_t_idx ON v_low_t (v_low_index(x));
TRUNCATE v_low_log;
RESET ROLE;
ANALYZE v_low_t;
SELECT DISTINCT outcome FROM v_low_log ORDER BY outcome;
SELECT rule_name FROM dataeng.rules WHERE table_name = 'v_admin'::regclass ORDER BY 1;
SELECT count(*) AS guards_on_v_admin FROM pg_trigger WHERE tgrelid = 'v_admin'::regclass;
SELECT row_data FROM dataeng.quarantine WHERE table_name = 'v_admin'::regclass ORDER BY quarantine_id;

-------------------------------------------------------------------------------
-- The validation API's own objects
-------------------------------------------------------------------------------
-- no validation function is SECURITY DEFINER any more, but for the event
-- triggers that delete a dropped relation's rules, and its quarantined rows
-- (with its monitors; its history detached), and those of other areas
-- (capture, decoding, dimensions, facts' and dimensions' sources renamed,
-- alert handlers and on_change triggers following their function's name)
-- (no role calls them)
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND p.prosecdef
 ORDER BY 1;
-- validation functions a plain role may call that are not plain validators
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
   AND (p.proname ~ 'rule|guard|quarantine|record_run|validate|require_owner|query_as')
   AND has_function_privilege('regress_valsec_low', p.oid, 'EXECUTE')
 ORDER BY 1;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE v_people, v_team, v_admin, v_low_t, v_low_log, v_low_own CASCADE;
DROP FUNCTION v_low_index(int), v_low_try(), v_who(int);
REVOKE CREATE ON SCHEMA public FROM regress_valsec_owner, regress_valsec_team, regress_valsec_low;
DROP ROLE regress_valsec_owner, regress_valsec_reader, regress_valsec_team, regress_valsec_low;
RESET client_min_messages;
