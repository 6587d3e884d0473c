-- The guard is a BEFORE row trigger, and PostgreSQL fires a row's BEFORE
-- triggers in the order of their names: a trigger whose name sorts after
-- "dataeng_guard" changes the row after the guard checked it, and a row
-- the rules refuse is stored.  guard_enable warns of each such trigger
-- (of the table, of a partition), naming it; renamed to sort before, the
-- guard checks what it wrote.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
CREATE TABLE signups (id int PRIMARY KEY, email text);
SELECT dataeng.rule_add('signups', 'email known', 'not_null', 'email') > 0 AS added;
-- blanks an email that starts with "blank", after the guard when named zz_...
CREATE FUNCTION blank_two() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.email LIKE 'blank%' THEN NEW.email := NULL; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER zz_blank BEFORE INSERT ON signups FOR EACH ROW EXECUTE FUNCTION blank_two();
-- (a disabled one, a statement trigger and an AFTER trigger do not count)
CREATE TRIGGER zz_off BEFORE INSERT ON signups FOR EACH ROW EXECUTE FUNCTION blank_two();
ALTER TABLE signups DISABLE TRIGGER zz_off;
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER zz_stmt BEFORE INSERT ON signups FOR EACH STATEMENT EXECUTE FUNCTION noop();
CREATE TRIGGER zz_after AFTER INSERT ON signups FOR EACH ROW EXECUTE FUNCTION noop();
SELECT dataeng.guard_enable('signups');
-- the hazard the warning names: row 2 is stored without an email
INSERT INTO signups VALUES (1, 'a@example.com'), (2, 'blank@example.com');
SELECT id, email FROM signups ORDER BY id;
-- renamed to sort before the guard: no warning, and the guard refuses row 3
ALTER TRIGGER zz_blank ON signups RENAME TO a_blank;
SELECT dataeng.guard_enable('signups');
INSERT INTO signups VALUES (3, 'blank@example.com');
INSERT INTO signups VALUES (4, 'd@example.com');
SELECT id, email FROM signups ORDER BY id;

-- a partition's own trigger counts too
CREATE TABLE events (id int, at date, note text) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
SELECT dataeng.rule_add('events', 'note known', 'not_null', 'note') > 0 AS added;
CREATE FUNCTION blank_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.note := NULL; RETURN NEW; END $$;
CREATE TRIGGER zz_note BEFORE UPDATE ON events_2026 FOR EACH ROW EXECUTE FUNCTION blank_note();
SELECT dataeng.guard_enable('events', 'quarantine');

SET client_min_messages = warning;
DROP TABLE signups, events;
DROP FUNCTION blank_two(), noop(), blank_note();
DROP EXTENSION dataeng CASCADE;
