-- Gaps of validation and cleansing found in review, one section each.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

-- 1. The guard in quarantine mode checks the row an INSERT ... ON CONFLICT
-- DO UPDATE proposes before PostgreSQL looks for the conflict: a refused
-- upsert row is quarantined as an INSERT's (replaces NULL), and its
-- release, an insert, meets the key.  The refusal says so and how to
-- apply it (it used to speak of an UPDATE's row kept in the table).
CREATE TABLE stock (sku int PRIMARY KEY, qty int);
SELECT dataeng.rule_add('stock', 'qty not negative', 'range', 'qty', '{"min": 0}') > 0 AS added;
SELECT dataeng.guard_enable('stock', 'quarantine');
INSERT INTO stock VALUES (1, 5);
INSERT INTO stock VALUES (1, -3) ON CONFLICT (sku) DO UPDATE SET qty = EXCLUDED.qty;
SELECT row_data, replaces FROM dataeng.quarantine WHERE table_name = 'stock'::regclass;
SELECT dataeng.quarantine_release((SELECT max(quarantine_id) FROM dataeng.quarantine), '{"qty": 3}');
-- the second way the hint gives: the row replaces the table's
BEGIN;
DELETE FROM stock WHERE sku = 1;
SELECT dataeng.quarantine_release((SELECT max(quarantine_id) FROM dataeng.quarantine), '{"qty": 3}');
COMMIT;
SELECT * FROM stock;
SELECT count(*) FROM dataeng.quarantine WHERE table_name = 'stock'::regclass;

-- 2. A BEFORE row trigger created after guard_enable whose name sorts
-- after "dataeng_guard" fires after the guard (a row it changes is stored
-- unchecked): CREATE TRIGGER and ALTER TRIGGER ... RENAME TO warn, as
-- guard_enable does of those already there (validate_guard_order.sql),
-- with the library preloaded (the utility hook).  They used to say
-- nothing.
CREATE TABLE signup2 (id int PRIMARY KEY, email text);
SELECT dataeng.rule_add('signup2', 'email known', 'not_null', 'email') > 0 AS added;
SELECT dataeng.guard_enable('signup2');
CREATE FUNCTION blank_it() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.email := NULL;
  RETURN NEW;
END $$;
CREATE TRIGGER zz_blank BEFORE INSERT ON signup2 FOR EACH ROW EXECUTE FUNCTION blank_it();
-- the hazard: stored without an email
INSERT INTO signup2 VALUES (1, 'a@example.com');
SELECT * FROM signup2;
-- no warning: a name that sorts before, a statement trigger, an AFTER
-- trigger, a DELETE trigger, an unguarded table
CREATE TRIGGER a_blank BEFORE UPDATE ON signup2 FOR EACH ROW EXECUTE FUNCTION blank_it();
CREATE TRIGGER zz_stmt BEFORE INSERT ON signup2 FOR EACH STATEMENT EXECUTE FUNCTION blank_it();
CREATE TRIGGER zz_after AFTER INSERT ON signup2 FOR EACH ROW EXECUTE FUNCTION blank_it();
CREATE TRIGGER zz_del BEFORE DELETE ON signup2 FOR EACH ROW EXECUTE FUNCTION blank_it();
CREATE TABLE unguarded (id int, email text);
CREATE TRIGGER zz_blank BEFORE INSERT ON unguarded FOR EACH ROW EXECUTE FUNCTION blank_it();
-- CREATE OR REPLACE warns again
CREATE OR REPLACE TRIGGER zz_blank BEFORE INSERT OR UPDATE ON signup2 FOR EACH ROW EXECUTE FUNCTION blank_it();
-- so does ALTER TRIGGER ... RENAME TO a name that sorts after the guard
-- (not one that sorts before, nor a statement trigger's)
ALTER TRIGGER zz_blank ON signup2 RENAME TO b_blank;
ALTER TRIGGER a_blank ON signup2 RENAME TO zz_blank_upd;
ALTER TRIGGER zz_stmt ON signup2 RENAME TO zz_stmt2;
-- a partitioned table: its trigger is cloned onto each partition, and the
-- guard of a partition too
CREATE TABLE ev (id int, email text) PARTITION BY RANGE (id);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM (0) TO (10);
CREATE TABLE ev_2 PARTITION OF ev FOR VALUES FROM (10) TO (20);
SELECT dataeng.rule_add('ev_2', 'email known', 'not_null', 'email') > 0 AS added;
SELECT dataeng.guard_enable('ev_2');
CREATE TRIGGER zz_blank BEFORE INSERT ON ev FOR EACH ROW EXECUTE FUNCTION blank_it();
-- (renamed on the partitioned table, its clones are renamed too)
ALTER TRIGGER zz_blank ON ev RENAME TO zz_blank2;

-- 3. is_email, practical mode: IDNA refuses a label with hyphens in third
-- and fourth place unless it is an xn-- A-label, and a Unicode label is
-- never one (ab--\u00FC was accepted; ab--cd was not).  The mode's name is
-- taken in any case ('HTML5' was 22023).
SELECT e, dataeng.is_email(e) AS ok, dataeng.email_problem(e) AS problem
  FROM unnest(ARRAY['me@ab--' || U&'\00FC' || '.com', 'me@' || U&'\00FC' || 'b--cd.com',
                    'me@a' || U&'\00FC' || '--d.com', 'me@ab-' || U&'\00FC' || '-.com',
                    'me@' || U&'\00FC' || 'b-c-d.com', 'me@ab--cd.com', 'me@xn--' || U&'\00FC' || '.com',
                    'me@ab' || U&'\FF0D\FF0D' || U&'\00FC' || '.com']) e;
SELECT dataeng.is_email('me@example.com', 'HTML5') AS html5,
       dataeng.is_email('me@[192.0.2.1]', 'RFC5321') AS rfc5321,
       dataeng.email_problem('me@localhost', 'Practical') AS practical;
SELECT dataeng.is_email('me@example.com', 'html 5');

-- 4. is_date: SSSS (and SSSSS) are the seconds past midnight, as
-- to_char() writes them (no leading zeros) and to_timestamp() reads them;
-- they were read as two SS fields: '3600' was seconds 36 and 00 (refused),
-- '0505' seconds 05 twice, to_char()'s '5' refused.
SELECT v, f, dataeng.is_date(v, f) AS ok, dataeng.date_problem(v, f) AS problem
  FROM (VALUES ('2026-01-05 3600', 'YYYY-MM-DD SSSS'),
               (to_char(timestamp '2026-01-05 00:00:05', 'YYYY-MM-DD SSSS'), 'YYYY-MM-DD SSSS'),
               (to_char(timestamp '2026-01-05 23:59:59', 'YYYY-MM-DD SSSSS'), 'YYYY-MM-DD SSSSS'),
               ('2026-01-05 86400', 'YYYY-MM-DD SSSS'),
               ('2026-01-05 0505', 'YYYY-MM-DD SSSS'),
               ('01:00 3600', 'HH24:MI SSSS'),
               ('02:00 3600', 'HH24:MI SSSS'),
               ('01 PM 46800', 'HH12 AM SSSS'),
               ('01 AM 46800', 'HH12 AM SSSS'),
               ('3600 3601', 'SSSS SSSS')) t(v, f);
SELECT to_timestamp('2026-01-05 3600', 'YYYY-MM-DD SSSS')::time AS pg_reads;
-- (six S are SSSSS and an S, which is no pattern)
SELECT dataeng.is_date('x', 'YYYY-MM-DD SSSSSS');

-- 5. Cleansing.
-- parse_number drops a currency code around the number, and only that:
-- three capitals that are no currency code (ISO 4217, the currencies the
-- euro replaced, RMB, NTD) are a unit or a word, as in lower case ('5 PCS'
-- was 5 where '5 pcs' is NULL; 'ABC 5' was 5).
\pset null '(null)'
SELECT v, dataeng.parse_number(v) AS parsed
  FROM (VALUES ('5 PCS'), ('5 pcs'), ('12 BOX'), ('ABC 5'), ('5 XYZ-'), ('-QTY 5'),
               ('5 USD'), ('EUR 1.234,56'), ('-USD 5'), ('5 CHF-'), ('5 RMB'), ('100 DEM'),
               ('5 XAU'), ('KGS 500'), ('5 KGS')) t(v);
SELECT dataeng.parse_number_strict('5 PCS');
-- parse_timestamp: an offset written with U+2212, the minus sign, is an
-- offset, as with a hyphen-minus (the value was NULL)
SET TimeZone = 'UTC';
SELECT v, dataeng.parse_timestamp(v) AS parsed
  FROM (VALUES ('2026-01-05 10:00 ' || U&'\2212' || '05:00'), ('2026-01-05 10:00 -05:00'),
               ('2026-01-05T10:00:00' || U&'\2212' || '0530'), ('2026-01-05 10:00 ' || U&'\2212' || '15:00')) t(v);
RESET TimeZone;
-- to_e164, is_phone: an en or em dash before digits that end a range
-- ('555-0100 - 0199') makes no number of both ends run together
-- (+4930123456099 in Germany); a dash that sets an area code apart, or a
-- hyphen (DIN 5008's extension), still joins
SELECT v, r, dataeng.to_e164(v, r) AS e164, dataeng.phone_problem(v, r) AS problem
  FROM (VALUES ('030 1234560 ' || U&'\2013' || ' 99', 'DE'), ('030 1234560' || U&'\2013' || '99', 'DE'),
               ('030 1234560 ' || U&'\2014' || ' 99', 'DE'), ('+1 202-555-0100 ' || U&'\2013' || ' 0199', NULL),
               ('030 ' || U&'\2013' || ' 1234560', 'DE'), ('030 1234560-99', 'DE'),
               ('+1 202 555 0199 ' || U&'\2013' || ' 0100', NULL), ('+1 202' || U&'\2013' || '555' || U&'\2013' || '0100', NULL)) t(v, r);

-- (cleanup)
SET client_min_messages = warning;
DROP TABLE stock, signup2, unguarded, ev;
DROP FUNCTION blank_it();
DROP EXTENSION dataeng CASCADE;
