-- Internal SQL reads its backslashes alike whatever the caller's
-- standard_conforming_strings: its literals with a backslash are written
-- E'...', which no setting reinterprets.  (Literals below are dollar-quoted
-- for the same reason.)
\set VERBOSITY terse
CREATE EXTENSION dataeng;
SET standard_conforming_strings = off;
SET escape_string_warning = off;

-- rules changed on a guarded table: its trigger is re-created with the
-- same arguments (they are split on a backslash-written NUL)
CREATE TABLE signups (id int PRIMARY KEY, email text, age int);
SELECT dataeng.rule_add('signups', 'adult', 'range', 'age', $${"min": 18}$$);
SELECT dataeng.guard_enable('signups', 'reject');
SELECT dataeng.rule_add('signups', 'age known', 'not_null', 'age');
SELECT tgname, encode(tgargs, 'escape') AS args FROM pg_trigger
 WHERE tgrelid = 'signups'::regclass AND tgname = 'dataeng_guard';
INSERT INTO signups VALUES (1, 'a@example.com', 10);
INSERT INTO signups VALUES (2, 'b@example.com', 30);

-- camelCase column names are split at the case change when looking for
-- strong identifiers (emailAddress is read as email_Address)
CREATE TABLE people (id int, "emailAddress" text, name text);
SELECT dataeng_internal._dedup_identifier('people', 'emailAddress') AS email_is_identifier,
       dataeng_internal._dedup_identifier('people', 'name') AS name_is_identifier;

-- DOT identifiers: a backslash and a double quote in a name are escaped
CREATE TABLE "we\ird""t" (id int PRIMARY KEY);
SELECT dataeng.cdc_enable($$"we\ird""t"$$);
SELECT line FROM regexp_split_to_table(dataeng.lineage_dot(), E'\n') line
 WHERE line LIKE $$%ird%$$ ORDER BY line;

SET client_min_messages = warning;
DROP TABLE signups, people, "we\ird""t";
DROP EXTENSION dataeng CASCADE;
