-- accepted_values on a number column compares in the column's type: as
-- text, a numeric(10,2) price 5.00 was not the listed 5, a rate 0.070 not
-- 0.07, a float 1e+20 not 1e20 (JSON keeps 100000000000000000000), though
-- GE (value IN set) and dbt (value NOT IN ('5', ...)) compare the values
CREATE EXTENSION dataeng;
CREATE SCHEMA an;
CREATE DOMAIN an.qty AS int CHECK (VALUE > 0);
CREATE TABLE an.prices (id int PRIMARY KEY, price numeric(10,2), rate numeric, qty an.qty, big bigint,
                        f float8, r real);
INSERT INTO an.prices VALUES (1, 5, 0.070, 1, 10, 0.5, 0.1),
                             (2, 9.99, 0.2, 2, 20, 1e20, 1.5),
                             (3, 7, 0.07, 3, 30, 'NaN', 2),
                             (4, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT dataeng.rule_add('an.prices', 'price tier', 'accepted_values', 'price', '{"values": [5, 9.99]}');
SELECT dataeng.rule_add('an.prices', 'tax rate', 'accepted_values', 'rate', '{"values": [0.07, "0.2"]}');
-- (a domain compares in its base type; "3" and " 2 " read as integers)
SELECT dataeng.rule_add('an.prices', 'qty', 'accepted_values', 'qty', '{"values": [1, " 2 ", "3"]}');
SELECT dataeng.rule_add('an.prices', 'big', 'accepted_values', 'big', '{"values": [10, 20.0]}');
SELECT dataeng.rule_add('an.prices', 'f', 'accepted_values', 'f', '{"values": [0.5, 1e20, "NaN"]}');
SELECT dataeng.rule_add('an.prices', 'r', 'accepted_values', 'r', '{"values": [0.1, 1.5], "null_is": "fail"}');
-- price 7.00 alone is not listed; a listed value with more decimal places
-- than the column keeps is not rounded to match (9.989 is not 9.99)
SELECT rule_name, checked, failed, sample FROM dataeng.validate('an.prices') ORDER BY rule_name;
SELECT dataeng.rule_add('an.prices', 'not rounded', 'accepted_values', 'price', '{"values": [9.989, 4.999]}');
SELECT rule_name, failed FROM dataeng.validate('an.prices') WHERE rule_name = 'not rounded';
-- the guard judges a row the same way
SELECT dataeng.rule_drop('an.prices', 'not rounded');
SELECT dataeng.guard_enable('an.prices');
INSERT INTO an.prices VALUES (5, 9.99, 0.070, 3, 20, 0.5, 0.1);
INSERT INTO an.prices VALUES (6, 7, 0.07, 1, 10, 0.5, 0.1);
SELECT id FROM an.prices ORDER BY id;
-- a value that does not read as the column's type is refused, as for a
-- date column (as text it never matched)
SELECT dataeng.rule_add('an.prices', 'bad 1', 'accepted_values', 'qty', '{"values": [1, "one"]}');
SELECT dataeng.rule_add('an.prices', 'bad 2', 'accepted_values', 'big', '{"values": ["1,5"]}');
SELECT dataeng.rule_add('an.prices', 'bad 4', 'accepted_values', 'f', '{"values": ["1e400"]}');
SELECT dataeng.rule_add('an.prices', 'bad 3', 'accepted_values', 'price', '{"values": ["5 EUR"]}');
DROP SCHEMA an CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
