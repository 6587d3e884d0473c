-- Validation security: attacks on rules, validate(), the guard, the
-- quarantine, runs and alerts, each refused.  The attacker is a plain role
-- owning one schema; the victim owns tables.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE regress_secval_attacker LOGIN;
CREATE ROLE regress_secval_victim LOGIN;
CREATE ROLE regress_secval_writer;
CREATE ROLE regress_secval_reader;
CREATE SCHEMA attacker AUTHORIZATION regress_secval_attacker;
CREATE SCHEMA victim AUTHORIZATION regress_secval_victim;

-------------------------------------------------------------------------------
-- rule_add: a rule's function cannot change the settings of rule_add's body
-- (an attacker's search_path would make the rest of it, run as dataeng's
-- owner, resolve = to the attacker's operator)
-------------------------------------------------------------------------------
SET ROLE regress_secval_attacker;
CREATE TABLE attacker.t (id int PRIMARY KEY, amount int);
INSERT INTO attacker.t VALUES (1, 10), (2, -5);
CREATE FUNCTION attacker.flip(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM pg_catalog.set_config('search_path', 'attacker, pg_catalog, pg_temp', false);
  RETURN true;
END $$;
CREATE FUNCTION attacker.eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
    ALTER ROLE regress_secval_attacker SUPERUSER;
  END IF;
  RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR attacker.= (LEFTARG = text, RIGHTARG = text, FUNCTION = attacker.eq);
SELECT dataeng.rule_add('attacker.t', 'flip', 'expression', params => '{"expression": "attacker.flip(1)"}') > 0 AS added;
SHOW search_path;
SELECT dataeng.rule_add('attacker.t', 'flip2', 'range', 'amount', '{"min": 0, "max": 100}') > 0 AS added;
RESET ROLE;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_secval_attacker';

-------------------------------------------------------------------------------
-- validate() run by a superuser on another role's table: the rule
-- expressions run as the table's owner, restricted, never as the superuser
-------------------------------------------------------------------------------
SET ROLE regress_secval_attacker;
CREATE FUNCTION attacker.ok(int) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE NOTICE 'attacker.ok runs as %', current_user;
  IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
    ALTER ROLE regress_secval_attacker SUPERUSER;
  END IF;
  RETURN true;
END $$;
SELECT dataeng.rule_add('attacker.t', 'ok', 'expression', params => '{"expression": "attacker.ok(id)"}') > 0 AS added;
RESET ROLE;
SELECT rule_name, failed FROM dataeng.validate('attacker.t') ORDER BY 1;
SELECT rule_name, failed FROM dataeng.validate('attacker.t', quarantine => true) ORDER BY 1;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_secval_attacker';
-- settings made by the rule's code do not outlive the check
SHOW search_path;

-------------------------------------------------------------------------------
-- The ingestion guard reads the rules whatever the writer may SELECT, and
-- runs the checks as the table's owner, not as the writer
-------------------------------------------------------------------------------
SET ROLE regress_secval_victim;
CREATE TABLE victim.guarded (id int PRIMARY KEY, email text);
CREATE FUNCTION victim.who(text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'guard check runs as %', current_user;
  RETURN true;
END $$;
SELECT dataeng.rule_add('victim.guarded', 'email set', 'not_null', 'email') > 0 AS added;
SELECT dataeng.rule_add('victim.guarded', 'who', 'expression', params => '{"expression": "victim.who(email)"}') > 0 AS added;
SELECT dataeng.guard_enable('victim.guarded');
GRANT USAGE ON SCHEMA victim TO regress_secval_writer, regress_secval_reader;
GRANT INSERT ON victim.guarded TO regress_secval_writer;
RESET ROLE;
SET ROLE regress_secval_writer;
SELECT count(*) AS rules_the_writer_sees FROM dataeng.rules WHERE table_name = 'victim.guarded'::regclass;
INSERT INTO victim.guarded VALUES (1, NULL);
INSERT INTO victim.guarded VALUES (2, 'a@example.com');
RESET ROLE;
SELECT id, email FROM victim.guarded ORDER BY id;
-- the writer's search_path cannot swap the rules' operators for its own
SET ROLE regress_secval_victim;
CREATE TABLE victim.g2 (id int, amount int);
SELECT dataeng.rule_add('victim.g2', 'amount positive', 'range', 'amount', '{"min": 0}') > 0 AS added;
SELECT dataeng.guard_enable('victim.g2');
GRANT USAGE ON SCHEMA victim TO regress_secval_attacker;
GRANT INSERT ON victim.g2 TO regress_secval_attacker;
RESET ROLE;
SET ROLE regress_secval_attacker;
CREATE FUNCTION attacker.ge(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR attacker.>= (LEFTARG = int, RIGHTARG = int, FUNCTION = attacker.ge);
SET search_path = attacker, pg_catalog;
INSERT INTO victim.g2 VALUES (1, -100);
RESET search_path;
RESET ROLE;
SELECT count(*) AS rows_in_g2 FROM victim.g2;

-------------------------------------------------------------------------------
-- Runs, results (their samples), alerts and the quarantine show nothing of
-- a table whose rows row-level security hides from the reader, or whose
-- schema it may not use
-------------------------------------------------------------------------------
SET ROLE regress_secval_victim;
CREATE TABLE victim.secret (id int PRIMARY KEY, owner_name name, salary int);
INSERT INTO victim.secret VALUES (1, 'regress_secval_reader', 10), (2, 'nobody', -99), (3, 'nobody', -1);
ALTER TABLE victim.secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON victim.secret USING (owner_name = current_user);
GRANT SELECT, INSERT, DELETE ON victim.secret TO regress_secval_reader;
SELECT dataeng.rule_add('victim.secret', 'salary positive', 'range', 'salary', '{"min": 0}') > 0 AS added;
SELECT rule_name, failed, sample FROM dataeng.validate('victim.secret');
SELECT rule_name, failed FROM dataeng.validate('victim.secret', quarantine => true);
SELECT count(*) AS quarantined FROM dataeng.quarantine WHERE table_name = 'victim.secret'::regclass;
RESET ROLE;
SET ROLE regress_secval_reader;
SELECT id, salary FROM victim.secret ORDER BY id;             -- row-level security: its own row
SELECT count(*) AS runs FROM dataeng.validation_runs WHERE table_name = 'victim.secret'::regclass;
SELECT count(*) AS results FROM dataeng.validation_results WHERE table_name = 'victim.secret'::regclass;
SELECT count(*) AS alerts FROM dataeng.alerts WHERE table_name = 'victim.secret'::regclass;
SELECT count(*) AS quarantined FROM dataeng.quarantine WHERE table_name = 'victim.secret'::regclass;
-- nor can it validate the table itself (counts and samples of hidden rows)
SELECT rule_name, failed, sample FROM dataeng.validate('victim.secret');
RESET ROLE;
-- SELECT on a table without USAGE on its schema shows nothing either
CREATE SCHEMA hidden AUTHORIZATION regress_secval_victim;
SET ROLE regress_secval_victim;
CREATE TABLE hidden.t (id int PRIMARY KEY, v int);
INSERT INTO hidden.t VALUES (1, -1);
GRANT SELECT ON hidden.t TO regress_secval_reader;
SELECT dataeng.rule_add('hidden.t', 'v positive', 'range', 'v', '{"min": 0}') > 0 AS added;
SELECT rule_name, failed FROM dataeng.validate('hidden.t');
RESET ROLE;
SELECT 'hidden.t'::regclass::oid AS hidden_t \gset
SET ROLE regress_secval_reader;
SELECT count(*) AS rules FROM dataeng.rules WHERE table_name = :hidden_t::oid;
SELECT count(*) AS results FROM dataeng.validation_results WHERE table_name = :hidden_t::oid;
SELECT count(*) AS alerts FROM dataeng.alerts WHERE table_name = :hidden_t::oid;
SELECT count(*) AS runs FROM dataeng.validation_runs WHERE table_name = :hidden_t::oid;
SELECT rule_name, failed FROM dataeng.validate(:hidden_t::oid::regclass);
RESET ROLE;

-------------------------------------------------------------------------------
-- _quarantine_take and quarantine_release need the rights they imply: to
-- read the row (SELECT, no row-level security in the way) and to INSERT it
-------------------------------------------------------------------------------
SELECT min(quarantine_id) AS qid FROM dataeng.quarantine WHERE table_name = 'victim.secret'::regclass \gset
SET ROLE regress_secval_writer;          -- INSERT only (on victim.guarded): nothing here
SELECT dataeng_internal._quarantine_take(:qid);
RESET ROLE;
SET ROLE regress_secval_victim;
GRANT INSERT ON victim.secret TO regress_secval_writer;
RESET ROLE;
SET ROLE regress_secval_writer;          -- INSERT on victim.secret, no SELECT
SELECT dataeng_internal._quarantine_take(:qid);
SELECT dataeng.quarantine_release(:qid, '{"salary": 5}');
RESET ROLE;
SET ROLE regress_secval_reader;          -- SELECT and INSERT, but row-level security
SELECT dataeng_internal._quarantine_take(:qid);
SELECT dataeng.quarantine_release(:qid, '{"salary": 5}');
RESET ROLE;
SELECT count(*) AS still_quarantined FROM dataeng.quarantine WHERE table_name = 'victim.secret'::regclass;
-- the owner releases, with the rules checked as the owner
SET ROLE regress_secval_victim;
SELECT dataeng.quarantine_release(:qid, '{"salary": -3}');
SELECT dataeng.quarantine_release(:qid, '{"salary": 5}');
SELECT id, salary FROM victim.secret ORDER BY id;
RESET ROLE;

-------------------------------------------------------------------------------
-- _record_run cannot be forged by a role that may only read the table: no
-- passing run of a failing volume_change rule, no alert
-------------------------------------------------------------------------------
SET ROLE regress_secval_victim;
CREATE TABLE victim.vol (id int);
INSERT INTO victim.vol SELECT generate_series(1, 100);
GRANT SELECT ON victim.vol TO regress_secval_reader;
SELECT dataeng.rule_add('victim.vol', 'no big drop', 'volume_change', params => '{"max_drop_pct": 10}') > 0 AS added;
SELECT rule_name, failed, passed FROM dataeng.validate('victim.vol');
DELETE FROM victim.vol WHERE id > 50;
RESET ROLE;
SET ROLE regress_secval_reader;
SELECT dataeng_internal._record_run('victim.vol', now(), 50, '[{"rule_name": "no big drop", "kind": "volume_change", "severity": "error", "checked": 1, "failed": 0, "failed_pct": 0, "passed": true}]', 0);
SELECT dataeng_internal._record_run('victim.vol', now(), 50, '[{"rule_name": "forged", "kind": "volume_change", "severity": "error", "checked": 1, "failed": 1, "failed_pct": 100, "passed": false}]', 0);
RESET ROLE;
SET ROLE regress_secval_victim;
SELECT rule_name, failed, passed FROM dataeng.validate('victim.vol');
SELECT rule_name, failed FROM dataeng.alerts WHERE table_name = 'victim.vol'::regclass ORDER BY alert_id;
SELECT run_by, rows_checked FROM dataeng.validation_runs WHERE table_name = 'victim.vol'::regclass ORDER BY run_id;
RESET ROLE;

-------------------------------------------------------------------------------
-- NOTIFY dataeng_alerts carries the alert's id alone: rule, table and
-- counts are read from dataeng.alerts, which shows only readable tables
-------------------------------------------------------------------------------
INSERT INTO victim.secret VALUES (4, 'nobody', -7);
\set nf '/tmp/dataeng_security_validate_' :PORT '.out'
LISTEN dataeng_alerts;
\o :nf
SELECT count(*) FROM dataeng.validate('victim.secret');
\o
UNLISTEN dataeng_alerts;
SELECT pg_read_file(:'nf') ~ 'notification "dataeng_alerts" with payload "[0-9]+" received' AS alert_id_only,
       pg_read_file(:'nf') ~ 'secret|salary|failed' AS leaks_names;
SELECT pg_read_file(:'nf') ~ ('payload "' || max(alert_id) || '"') AS payload_is_the_alert_id,
       count(*) AS alerts_of_that_run
  FROM dataeng.alerts
 WHERE run_id = (SELECT max(run_id) FROM dataeng.validation_runs);

-------------------------------------------------------------------------------
-- rule_add checks each rule fully when it is added; subqueries are found in
-- the parse tree, whatever their spelling
-------------------------------------------------------------------------------
SET ROLE regress_secval_attacker;
SELECT dataeng.rule_add('attacker.t', 'bad1', 'expression', params => '{"expression": "EXISTS (TABLE victim.secret)"}');
SELECT dataeng.rule_add('attacker.t', 'bad2', 'expression', params => '{"expression": "id IN (VALUES (1))"}');
SELECT dataeng.rule_add('attacker.t', 'bad3', 'expression', params => '{"expression": "ARRAY(TABLE victim.secret) IS NOT NULL"}');
SELECT dataeng.rule_add('attacker.t', 'bad4', 'expression', params => '{"expression": "count(*) > 0"}');
SELECT dataeng.rule_add('attacker.t', 'bad5', 'expression', params => '{"expression": "row_number() OVER () > 0"}');
SELECT dataeng.rule_add('attacker.t', 'bad6', 'expression', params => '{"expression": "generate_series(1, id) > 0"}');
SELECT dataeng.rule_add('attacker.t', 'bad7', 'expression', params => '{"expression": "true FROM victim.secret"}');
SELECT dataeng.rule_add('attacker.t', 'bad8', 'expression', params => '{"expression": "true) OR (true"}');
SELECT dataeng.rule_add('attacker.t', 'bad9', 'expression', params => '{"expression": 1}');
-- words are no longer refused for what they are
SELECT dataeng.rule_add('attacker.t', 'words', 'expression',
                        params => '{"expression": "amount::text <> ''select from delete''"}') > 0 AS added;
-- referenced tables must be readable, columns must exist, modes valid
SELECT dataeng.rule_add('attacker.t', 'bad10', 'foreign_key', 'id', '{"ref_table": "victim.secret", "ref_column": "id"}');
SELECT dataeng.rule_add('attacker.t', 'bad11', 'foreign_key', 'id', '{"ref_table": "attacker.t", "ref_column": "nope"}');
SELECT dataeng.rule_add('attacker.t', 'bad12', 'unique', params => '{"columns": ["id", "nope"]}');
SELECT dataeng.rule_add('attacker.t', 'bad13', 'validator', 'amount', '{"function": "email", "mode": "lenient-ish"}');
SELECT dataeng.rule_add('attacker.t', 'bad14', 'validator', 'amount', '{"function": "phone", "region": "XX"}');
SELECT dataeng.rule_add('attacker.t', 'bad15', 'validator', 'amount', '{"function": "postal_code"}');
SELECT dataeng.rule_add('attacker.t', 'bad16', 'validator', 'amount', '{"function": "postal_code", "country": "XX"}');
RESET ROLE;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_secval_attacker';

-------------------------------------------------------------------------------
-- quarantine_release by a superuser inserts the row as the table's owner,
-- restricted: the attacker's BEFORE INSERT trigger never runs as superuser
-------------------------------------------------------------------------------
SET ROLE regress_secval_attacker;
CREATE TABLE attacker.q (id int, amount int);
CREATE FUNCTION attacker.trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'attacker.trg runs as %', current_user;
  IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
    ALTER ROLE regress_secval_attacker SUPERUSER;
  END IF;
  RETURN NEW;
END $$;
SELECT dataeng.rule_add('attacker.q', 'amount positive', 'range', 'amount', '{"min": 0}') > 0 AS added;
SELECT dataeng.guard_enable('attacker.q', 'quarantine');
INSERT INTO attacker.q VALUES (1, -1);
CREATE TRIGGER t BEFORE INSERT ON attacker.q FOR EACH ROW EXECUTE FUNCTION attacker.trg();
RESET ROLE;
SELECT quarantine_id AS qid FROM dataeng.quarantine WHERE table_name = 'attacker.q'::regclass \gset
SELECT dataeng.quarantine_release(:qid, '{"amount": 1}');
SELECT id, amount FROM attacker.q;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_secval_attacker';
-- the caller's INSERT right is still required
SET ROLE regress_secval_attacker;
INSERT INTO attacker.q VALUES (2, -2);
GRANT USAGE ON SCHEMA attacker TO regress_secval_victim;
GRANT SELECT ON attacker.q TO regress_secval_victim;
RESET ROLE;
SELECT quarantine_id AS qid FROM dataeng.quarantine WHERE table_name = 'attacker.q'::regclass \gset
SET ROLE regress_secval_victim;
SELECT dataeng.quarantine_release(:qid, '{"amount": 2}');
RESET ROLE;

-------------------------------------------------------------------------------
-- rule_add by a superuser compiles the rule as the table's owner: a domain
-- CHECK with the attacker's function (range bounds cast to the column's
-- type) and an IMMUTABLE function folded at plan time run as the attacker
-------------------------------------------------------------------------------
SET ROLE regress_secval_attacker;
CREATE FUNCTION attacker.dcheck(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE NOTICE 'attacker.dcheck runs as %', current_user;
  IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
    ALTER ROLE regress_secval_attacker SUPERUSER;
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN attacker.d AS int CHECK (attacker.dcheck(VALUE));
CREATE TABLE attacker.dt (id int, v attacker.d);
RESET ROLE;
SELECT dataeng.rule_add('attacker.dt', 'v range', 'range', 'v', '{"min": 1, "max": 2}') > 0 AS added;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_secval_attacker';
ALTER ROLE regress_secval_attacker NOSUPERUSER;
SELECT dataeng.rule_add('attacker.dt', 'folded', 'expression', params => '{"expression": "attacker.dcheck(1)"}') > 0 AS added;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_secval_attacker';

-------------------------------------------------------------------------------
-- a relation that does not exist: refused (no crash), and no rule, run,
-- alert or quarantined row can be written for its OID in advance
-------------------------------------------------------------------------------
SET ROLE regress_secval_attacker;
SELECT dataeng.rule_add(4000000000::oid::regclass, 'x', 'expression', NULL, '{"expression": "true"}');
SELECT dataeng.rule_add(4000000000::oid::regclass, 'y', 'not_null', 'id');
SELECT dataeng.rule_drop(4000000000::oid::regclass, 'x');
SELECT dataeng_internal._record_run(4000000000::oid::regclass, now(), 1, '[{"rule_name": "forged", "kind": "volume_change", "severity": "error", "checked": 1, "failed": 1, "failed_pct": 100, "passed": false}]', 0);
SELECT dataeng_internal._quarantine_put(4000000000::oid::regclass, NULL, '[{"row": {"id": 1}, "rules": ["forged"]}]');
SELECT dataeng.validate(4000000000::oid::regclass);
SELECT dataeng.guard_enable(4000000000::oid::regclass);
RESET ROLE;
-- nor does the expression check crash on it
SELECT dataeng_internal._expression_check('regress_secval_attacker', 4000000000::oid::regclass, 'true');
SELECT (SELECT count(*) FROM dataeng.rules WHERE table_name = 4000000000::oid) AS rules,
       (SELECT count(*) FROM dataeng.validation_runs WHERE table_name = 4000000000::oid) AS runs,
       (SELECT count(*) FROM dataeng.alerts WHERE table_name = 4000000000::oid) AS alerts,
       (SELECT count(*) FROM dataeng.quarantine WHERE table_name = 4000000000::oid) AS quarantined;

-------------------------------------------------------------------------------
-- the guard's quarantine path resolves its functions with search_path
-- pinned: the writer's own to_jsonb() cannot forge what is stored
-------------------------------------------------------------------------------
SET ROLE regress_secval_victim;
CREATE TABLE victim.g3 (id int, amount int);
SELECT dataeng.rule_add('victim.g3', 'amount positive', 'range', 'amount', '{"min": 0}') > 0 AS added;
SELECT dataeng.guard_enable('victim.g3', 'quarantine');
GRANT INSERT ON victim.g3 TO regress_secval_attacker;
RESET ROLE;
SET ROLE regress_secval_attacker;
CREATE FUNCTION attacker.to_jsonb(text[]) RETURNS jsonb LANGUAGE sql AS $$ SELECT '["forged"]'::jsonb $$;
SET search_path = attacker, pg_catalog;
INSERT INTO victim.g3 VALUES (1, -1);
RESET search_path;
RESET ROLE;
SELECT failed_rules, row_data FROM dataeng.quarantine WHERE table_name = 'victim.g3'::regclass;

-------------------------------------------------------------------------------
-- the guard of a partitioned table checks the rows of its partitions
-- against the partitioned table's rules
-------------------------------------------------------------------------------
SET ROLE regress_secval_victim;
CREATE TABLE victim.parts (id int, amount int) PARTITION BY RANGE (id);
CREATE TABLE victim.parts_1 PARTITION OF victim.parts FOR VALUES FROM (0) TO (100);
SELECT dataeng.rule_add('victim.parts', 'amount positive', 'range', 'amount', '{"min": 0}') > 0 AS added;
SELECT dataeng.guard_enable('victim.parts');
INSERT INTO victim.parts VALUES (1, -1);
INSERT INTO victim.parts_1 VALUES (2, -2);
INSERT INTO victim.parts VALUES (3, 3);
SELECT id, amount FROM victim.parts ORDER BY id;
-- a rule added later is seen by the partitions' guard
SELECT dataeng.rule_add('victim.parts', 'amount small', 'range', 'amount', '{"max": 10}') > 0 AS added;
INSERT INTO victim.parts VALUES (4, 40);
-- quarantined rows are the partitioned table's, and go back through it
SELECT dataeng.guard_enable('victim.parts', 'quarantine');
INSERT INTO victim.parts VALUES (5, -5);
SELECT table_name, failed_rules, row_data FROM dataeng.quarantine WHERE table_name = 'victim.parts'::regclass;
SELECT quarantine_id AS qid FROM dataeng.quarantine WHERE table_name = 'victim.parts'::regclass \gset
SELECT dataeng.quarantine_release(:qid, '{"amount": 5}');
SELECT id, amount FROM victim.parts ORDER BY id;
RESET ROLE;

-------------------------------------------------------------------------------
-- a view that filters on current_user shows its owner's rows once the work
-- switches to the owner: only the owner (or a superuser) validates it,
-- finds its duplicates or sees its runs
-------------------------------------------------------------------------------
SET ROLE regress_secval_victim;
CREATE TABLE victim.people (id int, owner_name name, salary int);
INSERT INTO victim.people VALUES (1, 'regress_secval_reader', 10),
  (2, 'regress_secval_victim', -99), (3, 'regress_secval_victim', -99);
CREATE VIEW victim.my_people AS SELECT * FROM victim.people WHERE owner_name = current_user;
GRANT SELECT ON victim.my_people TO regress_secval_reader;
SELECT dataeng.rule_add('victim.my_people', 'at most one', 'row_count', params => '{"max": 1}') > 0 AS added;
SELECT rule_name, checked, failed FROM dataeng.validate('victim.my_people');
RESET ROLE;
SET ROLE regress_secval_reader;
SELECT id, salary FROM victim.my_people;
SELECT rule_name, checked, failed FROM dataeng.validate('victim.my_people');
SELECT * FROM dataeng.find_duplicates('victim.my_people', '{owner_name}', key_column => 'id');
SELECT count(*) AS runs FROM dataeng.validation_runs WHERE table_name = 'victim.my_people'::regclass;
SELECT count(*) AS results FROM dataeng.validation_results WHERE table_name = 'victim.my_people'::regclass;
RESET ROLE;

-- the new internal functions are not executable by PUBLIC
SELECT p.oid::regprocedure AS internal_executable_by_public
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
   AND p.proname IN ('_exec_as', '_expression_check', '_validate', '_quarantine_release', '_run_record',
                     '_record_run_as_owner', '_query_as')
   AND has_function_privilege('public', p.oid, 'EXECUTE');

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA attacker, victim, hidden CASCADE;
DROP ROLE regress_secval_attacker, regress_secval_victim, regress_secval_writer, regress_secval_reader;
RESET client_min_messages;
