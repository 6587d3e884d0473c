-- The ingestion guard: a BEFORE row trigger whose name sorts after
-- "dataeng_guard" fires after the guard (a row it changes is stored
-- unchecked).  guard_enable, CREATE TRIGGER and ALTER TRIGGER ... RENAME
-- TO warn of one (validate_guard_order.sql, valclean_gaps2.sql); one
-- disabled then, and enabled later with ALTER TABLE ... ENABLE [ALWAYS |
-- REPLICA] TRIGGER (or ENABLE TRIGGER ALL / USER), got no warning.  It
-- does now (the utility hook of the preloaded library).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
CREATE TABLE ge_t (id int PRIMARY KEY, email text);
SELECT dataeng.rule_add('ge_t', 'email known', 'not_null', 'email') > 0 AS added;
CREATE FUNCTION ge_blank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.email := NULL;
  RETURN NEW;
END $$;
CREATE TRIGGER zz_blank BEFORE INSERT ON ge_t FOR EACH ROW EXECUTE FUNCTION ge_blank();
ALTER TABLE ge_t DISABLE TRIGGER zz_blank;
-- (disabled: guard_enable lists nothing)
SELECT dataeng.guard_enable('ge_t');
\set VERBOSITY default
ALTER TABLE ge_t ENABLE TRIGGER zz_blank;
\set VERBOSITY terse
-- the hazard: stored without an email
INSERT INTO ge_t VALUES (1, 'a@example.com');
SELECT * FROM ge_t;
ALTER TABLE ge_t DISABLE TRIGGER zz_blank;
ALTER TABLE ge_t ENABLE ALWAYS TRIGGER zz_blank;
ALTER TABLE ge_t DISABLE TRIGGER zz_blank;
ALTER TABLE ge_t ENABLE REPLICA TRIGGER zz_blank;
ALTER TABLE ge_t DISABLE TRIGGER zz_blank;
ALTER TABLE ge_t ENABLE TRIGGER ALL;
ALTER TABLE ge_t DISABLE TRIGGER zz_blank;
ALTER TABLE ge_t ENABLE TRIGGER USER;
-- the guard enabled again by hand: the triggers that fire after it
ALTER TABLE ge_t DISABLE TRIGGER dataeng_guard;
ALTER TABLE ge_t ENABLE TRIGGER dataeng_guard;
-- no warning: a trigger sorting before the guard, an AFTER or statement
-- trigger, a DELETE trigger, DISABLE, the guard enabled again while the
-- late trigger is disabled, an unguarded table
CREATE TRIGGER a_blank BEFORE INSERT ON ge_t FOR EACH ROW EXECUTE FUNCTION ge_blank();
CREATE TRIGGER zz_after AFTER INSERT ON ge_t FOR EACH ROW EXECUTE FUNCTION ge_blank();
CREATE TRIGGER zz_stmt BEFORE INSERT ON ge_t FOR EACH STATEMENT EXECUTE FUNCTION ge_blank();
CREATE TRIGGER zz_del BEFORE DELETE ON ge_t FOR EACH ROW EXECUTE FUNCTION ge_blank();
ALTER TABLE ge_t DISABLE TRIGGER zz_blank, DISABLE TRIGGER a_blank, DISABLE TRIGGER zz_after,
                 DISABLE TRIGGER zz_stmt, DISABLE TRIGGER zz_del;
ALTER TABLE ge_t ENABLE TRIGGER a_blank, ENABLE TRIGGER zz_after, ENABLE TRIGGER zz_stmt,
                 ENABLE TRIGGER zz_del;
ALTER TABLE ge_t DISABLE TRIGGER ALL;
ALTER TABLE ge_t ENABLE TRIGGER dataeng_guard;
CREATE TABLE ge_free (id int, email text);
CREATE TRIGGER zz_blank BEFORE INSERT ON ge_free FOR EACH ROW EXECUTE FUNCTION ge_blank();
ALTER TABLE ge_free DISABLE TRIGGER zz_blank;
ALTER TABLE ge_free ENABLE TRIGGER zz_blank;
ALTER TABLE ge_free ENABLE TRIGGER ALL;
-- a partitioned table: enabling its trigger enables the clone on the
-- guarded partition
CREATE TABLE ge_p (id int, email text) PARTITION BY RANGE (id);
CREATE TABLE ge_p1 PARTITION OF ge_p FOR VALUES FROM (0) TO (10);
CREATE TABLE ge_p2 PARTITION OF ge_p FOR VALUES FROM (10) TO (20);
CREATE TRIGGER zz_blank BEFORE INSERT ON ge_p FOR EACH ROW EXECUTE FUNCTION ge_blank();
ALTER TABLE ge_p DISABLE TRIGGER zz_blank;
SELECT dataeng.rule_add('ge_p2', 'email known', 'not_null', 'email') > 0 AS added;
SELECT dataeng.guard_enable('ge_p2');
ALTER TABLE ge_p ENABLE TRIGGER zz_blank;

-- (cleanup)
SET client_min_messages = warning;
DROP TABLE ge_t, ge_free, ge_p;
DROP FUNCTION ge_blank();
DROP EXTENSION dataeng CASCADE;
