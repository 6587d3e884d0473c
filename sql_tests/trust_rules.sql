-- Rules as users of dbt and Great Expectations write them, and nothing
-- a rule's author wrote silently ignored.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\pset null '(null)'

CREATE SCHEMA tr;
CREATE TABLE tr.customers (id int PRIMARY KEY);
CREATE TABLE tr.orders (id int PRIMARY KEY, customer_id int, status text, amount text);
INSERT INTO tr.customers VALUES (1), (2);
INSERT INTO tr.orders VALUES (10, 1, 'shipped', '5'), (11, 3, 'lost', ''), (12, NULL, 'shipped', '7');

-- dbt's relationships test: {to: customers, field: id}, resolved in the
-- caller's search_path and stored as ref_table / ref_column
SET search_path = tr, public;
SELECT dataeng.rule_add('orders', 'customer exists', 'relationships', 'customer_id',
                        '{"to": "customers", "field": "id"}') IS NOT NULL AS added;
RESET search_path;
SELECT kind, params FROM dataeng.rules WHERE rule_name = 'customer exists';
SELECT rule_name, failed, sample FROM dataeng.validate('tr.orders') WHERE rule_name = 'customer exists';
-- a foreign_key rule without ref_table, or with ref_table and to, or with
-- ref_column and field, is refused with a message (it was "RAISE statement
-- option cannot be null")
SELECT dataeng.rule_add('tr.orders', 'x', 'foreign_key', 'customer_id', '{"ref_column": "id"}');
SELECT dataeng.rule_add('tr.orders', 'x', 'relationships', 'customer_id', '{"to": "tr.customers"}');
SELECT dataeng.rule_add('tr.orders', 'x', 'relationships', 'customer_id', '{"to": "nowhere", "field": "id"}');
SELECT dataeng.rule_add('tr.orders', 'x', 'relationships', 'customer_id',
                        '{"to": "tr.customers", "ref_table": "tr.customers", "ref_column": "id"}');
SELECT dataeng.rule_add('tr.orders', 'x', 'relationships', 'customer_id',
                        '{"to": "tr.customers", "field": "id", "ref_column": "id"}');

-- dbt writes severities in any case
SELECT dataeng.rule_add('tr.orders', 'status known', 'accepted_values', 'status',
                        '{"values": ["shipped", "pending"]}', severity => 'WARN') IS NOT NULL AS added;
SELECT dataeng.rule_add('tr.orders', 'status set', 'not_null', 'status', severity => 'Error') IS NOT NULL AS added;
SELECT rule_name, severity FROM dataeng.rules WHERE table_name = 'tr.orders'::regclass ORDER BY rule_id;
SELECT dataeng.rule_add('tr.orders', 'x', 'not_null', 'status', severity => 'fatal');

-- a parameter the kind does not take is refused: a misspelt null_is would
-- have left empty amounts passing, a misspelt bound checked nothing
SELECT dataeng.rule_add('tr.orders', 'x', 'expression', NULL,
                        '{"expression": "dataeng.parse_number(amount) > 0", "nulls_is": "fail"}');
SELECT dataeng.rule_add('tr.orders', 'x', 'range', 'customer_id', '{"minimum": 1}');
SELECT dataeng.rule_add('tr.orders', 'x', 'not_null', 'status', '{"values": ["a"]}');
SELECT dataeng.rule_add('tr.orders', 'x', 'accepted_values', 'status', '{"value_set": ["a"]}');
SELECT count(*) AS rules_added FROM dataeng.rules WHERE rule_name = 'x';
-- what every kind takes still works, mostly and the two options included
SELECT dataeng.rule_add('tr.orders', 'amount positive', 'expression', NULL,
                        '{"expression": "dataeng.parse_number(amount) > 0", "null_is": "fail",
                          "mostly": 0.5, "quarantine_when_mostly_passes": false}') IS NOT NULL AS added;
SELECT rule_name, checked, failed, passed FROM dataeng.validate('tr.orders') ORDER BY rule_name;

-- the guard quarantines the new row of an UPDATE and keeps the old one:
-- releasing it says why it cannot go back (it was a bare duplicate key
-- error of an internal query)
CREATE TABLE tr.people (id int PRIMARY KEY, email text);
SELECT dataeng.rule_add('tr.people', 'email valid', 'validator', 'email', '{"function": "email"}') IS NOT NULL AS added;
SELECT dataeng.guard_enable('tr.people', 'quarantine');
INSERT INTO tr.people VALUES (1, 'a@example.com');
UPDATE tr.people SET email = 'broken' WHERE id = 1;
SELECT id, email FROM tr.people;
SELECT dataeng.quarantine_release(quarantine_id, '{"email": "b@example.com"}')
  FROM dataeng.quarantine WHERE table_name = 'tr.people'::regclass;
SELECT row_data FROM dataeng.quarantine WHERE table_name = 'tr.people'::regclass;

-- a rule's column renamed or dropped after the rule was added: validate()
-- and the guard say which rule and column, with a hint (they failed with a
-- syntax error of an internal query, "'0':: AND", or a bare "column does
-- not exist" of it); quarantine_release() of a row quarantined before the
-- rename says the row has a value for the old column (see below)
CREATE TABLE tr."Re named" (id int PRIMARY KEY, "E-mail" text, amt numeric, code text);
SELECT dataeng.rule_add('tr."Re named"', 'mail ok', 'validator', 'E-mail', '{"function": "email"}') IS NOT NULL AS added;
SELECT dataeng.rule_add('tr."Re named"', 'pos', 'range', 'amt', '{"min": 0}') IS NOT NULL AS added;
SELECT dataeng.rule_add('tr."Re named"', 'code unique', 'unique', 'code') IS NOT NULL AS added;
SELECT dataeng.guard_enable('tr."Re named"', 'quarantine');
INSERT INTO tr."Re named" VALUES (1, 'a@example.com', 1, 'a'), (2, 'bad', 2, 'b');
ALTER TABLE tr."Re named" RENAME COLUMN "E-mail" TO mail;
SELECT * FROM dataeng.validate('tr."Re named"');
INSERT INTO tr."Re named" VALUES (3, 'c@example.com', 3, 'c');
SELECT dataeng.quarantine_release(quarantine_id, '{"mail": "b@example.com"}')
  FROM dataeng.quarantine WHERE table_name = 'tr."Re named"'::regclass;
SELECT dataeng.rule_drop('tr."Re named"', 'mail ok');
ALTER TABLE tr."Re named" DROP COLUMN amt;
SELECT * FROM dataeng.validate('tr."Re named"');
INSERT INTO tr."Re named" VALUES (3, 'c@example.com', 'c');
SELECT dataeng.rule_drop('tr."Re named"', 'pos');
ALTER TABLE tr."Re named" RENAME COLUMN code TO code2;
SELECT * FROM dataeng.validate('tr."Re named"');
-- a set-level rule is not the guard's: writes go on
INSERT INTO tr."Re named" VALUES (3, 'c@example.com', 'c');
SELECT dataeng.rule_drop('tr."Re named"', 'code unique');
SELECT id, mail, code2 FROM tr."Re named" ORDER BY id;

-- quarantine_release(): a correction naming a column the table does not
-- have is refused (it was dropped without a word, and the row went back
-- uncorrected), so is a correction that is not a JSON object (it said
-- "cannot call populate_composite on an array") and a row whose column
-- was renamed since (its value was lost); a table with a generated column
-- and an identity column GENERATED ALWAYS takes its rows back (it failed:
-- "cannot insert a non-DEFAULT value into column")
CREATE TABLE tr.released (id int PRIMARY KEY, email text, note text,
                          up text GENERATED ALWAYS AS (upper(email)) STORED,
                          n int GENERATED ALWAYS AS IDENTITY);
SELECT dataeng.rule_add('tr.released', 'mail', 'validator', 'email', '{"function": "email"}') IS NOT NULL AS added;
SELECT dataeng.guard_enable('tr.released', 'quarantine');
INSERT INTO tr.released VALUES (1, 'bad', 'kept');
INSERT INTO tr.released VALUES (2, 'bad too', 'kept too');
SELECT dataeng.quarantine_release(min(quarantine_id), '{"emial": "good@example.com"}')
  FROM dataeng.quarantine WHERE table_name = 'tr.released'::regclass;
SELECT dataeng.quarantine_release(min(quarantine_id), '["good@example.com"]')
  FROM dataeng.quarantine WHERE table_name = 'tr.released'::regclass;
SELECT dataeng.quarantine_release(min(quarantine_id), '{"email": "good@example.com"}')
  FROM dataeng.quarantine WHERE table_name = 'tr.released'::regclass;
SELECT * FROM tr.released;
ALTER TABLE tr.released RENAME COLUMN note TO memo;
SELECT dataeng.quarantine_release(min(quarantine_id), '{"email": "good2@example.com"}')
  FROM dataeng.quarantine WHERE table_name = 'tr.released'::regclass;
ALTER TABLE tr.released RENAME COLUMN memo TO note;
SELECT dataeng.quarantine_release(min(quarantine_id), '{"email": "good2@example.com"}')
  FROM dataeng.quarantine WHERE table_name = 'tr.released'::regclass;
SELECT * FROM tr.released ORDER BY id;
-- a rule on a generated column: the row as inserted is checked (the check
-- read the value the row or the correction gave the column, and the row
-- went in with the value computed again, breaking the rule); a correction
-- of a generated column is refused (its value was dropped without a word)
CREATE TABLE tr.priced (id int PRIMARY KEY, price numeric, qty int,
                        total numeric GENERATED ALWAYS AS (price * qty) STORED);
INSERT INTO tr.priced VALUES (1, 10, 2), (2, 500, 3);
SELECT dataeng.rule_add('tr.priced', 'small total', 'range', 'total', '{"max": 100}') IS NOT NULL AS added;
SELECT rule_name, failed FROM dataeng.validate('tr.priced', quarantine => true);
SELECT dataeng.quarantine_release(min(quarantine_id), '{"total": 5}')
  FROM dataeng.quarantine WHERE table_name = 'tr.priced'::regclass;
SELECT * FROM tr.priced ORDER BY id;
SELECT dataeng.quarantine_release(min(quarantine_id), '{"qty": 1}')
  FROM dataeng.quarantine WHERE table_name = 'tr.priced'::regclass;
SELECT dataeng.quarantine_release(min(quarantine_id), '{"price": 50, "qty": 1}')
  FROM dataeng.quarantine WHERE table_name = 'tr.priced'::regclass;
SELECT * FROM tr.priced ORDER BY id;
-- NULL arguments say which (validate() blamed the table for a NULL
-- quarantine; a NULL id was a row "<NULL>" that does not exist)
SELECT * FROM dataeng.validate('tr.released', NULL);
SELECT dataeng.quarantine_release(NULL);

-- date/time range bounds are read as the caller means them when the rule
-- is added (as a CHECK constraint's constants are) and stored in a form
-- that reads back the same under any DateStyle, TimeZone or IntervalStyle:
-- stored as written, '01/02/2026' was 2 January under MDY and 1 February
-- under DMY, so a row passed or failed by the settings of whoever checked
CREATE TABLE tr.moments (id int PRIMARY KEY, d date, ts timestamptz, t timestamp, iv interval, tm time);
INSERT INTO tr.moments VALUES (1, '2026-01-15', '2026-01-01 08:00+00', '2026-01-01 04:00', '-1 day', '22:00');
BEGIN;
SET LOCAL DateStyle = 'ISO, DMY';
SET LOCAL TimeZone = 'America/New_York';
SET LOCAL IntervalStyle = 'sql_standard';
SELECT dataeng.rule_add('tr.moments', 'd', 'range', 'd', '{"min": "01/02/2026", "max": "infinity"}');
SELECT dataeng.rule_add('tr.moments', 'ts', 'range', 'ts', '{"min": "2026-01-01 05:00"}');
SELECT dataeng.rule_add('tr.moments', 't', 'range', 't', '{"min": "01/01/2026 05:00"}');
SELECT dataeng.rule_add('tr.moments', 'iv', 'range', 'iv', '{"min": "-1 2:00:00"}');
SELECT dataeng.rule_add('tr.moments', 'tm', 'range', 'tm', '{"max": "9:00 pm"}');
COMMIT;
SELECT rule_name, params FROM dataeng.rules WHERE table_name = 'tr.moments'::regclass ORDER BY 1;
-- the same failures whatever the checking session's settings
SELECT rule_name, failed FROM dataeng.validate('tr.moments') ORDER BY 1;
BEGIN;
SET LOCAL DateStyle = 'SQL, DMY';
SET LOCAL TimeZone = 'Asia/Tokyo';
SET LOCAL IntervalStyle = 'postgres';
SELECT rule_name, failed FROM dataeng.validate('tr.moments') ORDER BY 1;
ROLLBACK;
-- a bound that is no date is still refused by the body, with its reason
SELECT dataeng.rule_add('tr.moments', 'bad', 'range', 'd', '{"min": "soon"}');
-- accepted_values on a date/time column: its values are stored the same
-- way and compared in the column's type, not as text (the text form of the
-- column, '01/15/2026' under DateStyle SQL, matched no listed value)
CREATE DOMAIN tr.moment AS timestamptz;
CREATE TABLE tr.listed (id int PRIMARY KEY, d date, ts timestamp(3) with time zone, m tr.moment, iv interval day);
INSERT INTO tr.listed VALUES (1, '2026-01-15', '2026-01-01 10:00+00', '2026-01-01 10:00+00', '1 day');
BEGIN;
SET LOCAL DateStyle = 'ISO, DMY';
SET LOCAL TimeZone = 'America/New_York';
SELECT dataeng.rule_add('tr.listed', 'd', 'accepted_values', 'd', '{"values": ["15/01/2026", "01/02/2026"]}');
SELECT dataeng.rule_add('tr.listed', 'ts', 'accepted_values', 'ts', '{"values": ["2026-01-01 05:00"]}');
SELECT dataeng.rule_add('tr.listed', 'm', 'accepted_values', 'm', '{"values": ["2026-01-01 05:00"]}');
SELECT dataeng.rule_add('tr.listed', 'iv', 'accepted_values', 'iv', '{"values": ["1 day"]}');
COMMIT;
SELECT rule_name, params FROM dataeng.rules WHERE table_name = 'tr.listed'::regclass ORDER BY 1;
BEGIN;
SET LOCAL DateStyle = 'SQL, MDY';
SET LOCAL TimeZone = 'Asia/Tokyo';
SET LOCAL IntervalStyle = 'sql_standard';
SELECT rule_name, failed FROM dataeng.validate('tr.listed') ORDER BY 1;
SELECT dataeng.guard_enable('tr.listed');
INSERT INTO tr.listed VALUES (2, '2026-02-01', '2026-01-01 19:00+09', '2026-01-01 19:00+09', '1 day');
SELECT count(*) AS rows_in FROM tr.listed;
ROLLBACK;
-- a value that is no date is refused (as text, it could never match)
SELECT dataeng.rule_add('tr.listed', 'bad', 'accepted_values', 'd', '{"values": ["2026-01-15", "x"]}');
-- regex, length and validator rules on a column whose text form depends
-- on the session's settings check it written under fixed ones (DateStyle
-- ISO, TimeZone UTC, IntervalStyle postgres, extra_float_digits 1): cast
-- in the session, the same row passed or failed by who validated it
CREATE TABLE tr.texts (id int PRIMARY KEY, d tr.moment, day date, ts timestamptz, iv interval, f float8,
                       span daterange, days date[]);
INSERT INTO tr.texts VALUES (1, '2026-01-15 23:30+00', '2026-01-15', '2026-01-15 23:30+00', '1 day 02:00', 0.1,
                             '[2026-01-01,2026-02-01)', '{2026-01-15}');
SELECT dataeng.rule_add('tr.texts', 'd', 'regex', 'd', '{"pattern": "^2026-01-15 23:30:00\\+00$"}');
SELECT dataeng.rule_add('tr.texts', 'day', 'regex', 'day', '{"pattern": "^\\d{4}-\\d\\d-\\d\\d$"}');
SELECT dataeng.rule_add('tr.texts', 'day length', 'length', 'day', '{"min": 10, "max": 10}');
SELECT dataeng.rule_add('tr.texts', 'day valid', 'validator', 'day', '{"function": "date", "format": "YYYY-MM-DD"}');
SELECT dataeng.rule_add('tr.texts', 'ts', 'regex', 'ts', '{"pattern": "^2026-01-15 "}');
SELECT dataeng.rule_add('tr.texts', 'iv', 'regex', 'iv', '{"pattern": "^1 day 02:00:00$"}');
SELECT dataeng.rule_add('tr.texts', 'f', 'length', 'f', '{"max": 3}');
SELECT dataeng.rule_add('tr.texts', 'span', 'regex', 'span', '{"pattern": "^\\[2026-01-01,2026-02-01\\)$"}');
SELECT dataeng.rule_add('tr.texts', 'days', 'regex', 'days', '{"pattern": "^\\{2026-01-15\\}$"}');
SELECT rule_name, failed FROM dataeng.validate('tr.texts') ORDER BY 1;
BEGIN;
SET LOCAL DateStyle = 'SQL, DMY';
SET LOCAL TimeZone = 'Asia/Tokyo';
SET LOCAL IntervalStyle = 'iso_8601';
SET LOCAL extra_float_digits = -3;
SELECT rule_name, failed FROM dataeng.validate('tr.texts') ORDER BY 1;
-- and the guard lets in the same rows
SELECT dataeng.guard_enable('tr.texts');
INSERT INTO tr.texts VALUES (2, '2026-01-15 23:30+00', '2026-01-16', '2026-01-15 23:59+00', '1 day 2 hours', 0.1,
                             '[2026-01-01,2026-02-01)', '{2026-01-15}');
SELECT count(*) AS rows_in FROM tr.texts;
ROLLBACK;
-- the settings of the check stay inside it
SHOW DateStyle;
SHOW TimeZone;
-- accepted_values on a float column compares its text under the same
-- fixed settings (0.1 + 0.2 was '0.3' under extra_float_digits 0)
CREATE TABLE tr.floats (id int PRIMARY KEY, f float8);
INSERT INTO tr.floats VALUES (1, 0.1::float8 + 0.2);
SELECT dataeng.rule_add('tr.floats', 'f', 'accepted_values', 'f', '{"values": ["0.30000000000000004"]}');
BEGIN;
SET LOCAL extra_float_digits = 0;
SELECT rule_name, failed FROM dataeng.validate('tr.floats') ORDER BY 1;
ROLLBACK;
-- and a geometric column's, whose floats are written the same way (a
-- point of 0.1 + 0.2 was (0.3,0) under extra_float_digits 0)
CREATE TABLE tr.points (id int PRIMARY KEY, p point, ps point[]);
INSERT INTO tr.points VALUES (1, point(0.1::float8 + 0.2, 0), ARRAY[point(0.1::float8 + 0.2, 0)]);
SELECT dataeng.rule_add('tr.points', 'p', 'regex', 'p', '{"pattern": "^\\(0\\.30000000000000004,0\\)$"}');
SELECT dataeng.rule_add('tr.points', 'ps', 'length', 'ps', '{"min": 25}');
BEGIN;
SET LOCAL extra_float_digits = 0;
SELECT rule_name, failed FROM dataeng.validate('tr.points') ORDER BY 1;
ROLLBACK;

-- a dropped relation's rules go with it (kept, each named an oid no
-- relation had, which pg_dump wrote as a number and a restore gave to
-- whichever relation had it in the new cluster), whoever drops it: here a
-- role that may not write dataeng.rules, then a schema dropped with its tables
CREATE ROLE regress_tr_dropper;
CREATE SCHEMA tr_own AUTHORIZATION regress_tr_dropper;
SET ROLE regress_tr_dropper;
CREATE TABLE tr_own.t (id int PRIMARY KEY, amount int);
SELECT dataeng.rule_add('tr_own.t', 'pos', 'range', 'amount', '{"min": 0}') > 0 AS added;
DROP TABLE tr_own.t;
RESET ROLE;
SELECT count(*) AS rules_of_dropped FROM dataeng.rules r
 WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = r.table_name);
SELECT count(*) > 0 AS schema_has_rules FROM dataeng.rules WHERE table_name::text LIKE 'tr.%';
DROP SCHEMA tr CASCADE;
SELECT count(*) AS rules_left FROM dataeng.rules;
DROP SCHEMA tr_own;
DROP ROLE regress_tr_dropper;
DROP EXTENSION dataeng;
