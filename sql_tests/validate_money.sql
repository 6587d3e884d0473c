-- A regex, length, validator or accepted_values rule on a money column
-- checks the value as lc_monetary C writes it ($1,234.50), whatever the
-- lc_monetary of the session that validates or writes a guarded row: under
-- the session's setting the same row was $1,234.50 to one session and
-- 1.234,50 EUR to another, and passed in one only.  (Another lc_monetary is
-- tried when the cluster has one of the locales below; with only C and
-- POSIX, the second half checks the same setting again.)
\set VERBOSITY terse
CREATE EXTENSION dataeng;
SET lc_monetary = 'C';
CREATE TABLE amounts (id int PRIMARY KEY, amount money);
INSERT INTO amounts VALUES (1, '1234.50'), (2, '7'), (3, '-12.25');
SELECT dataeng.rule_add('amounts', 'dollars', 'regex', 'amount', '{"pattern": "^-?\\$[0-9]{1,3}(,[0-9]{3})*\\.[0-9]{2}$"}');
SELECT dataeng.rule_add('amounts', 'short', 'length', 'amount', '{"max": 6}');
SELECT dataeng.rule_add('amounts', 'listed', 'accepted_values', 'amount', '{"values": ["$7.00", "$1,234.50"]}');
-- a range rule's bounds are read when it is added, under the caller's
-- lc_monetary (a JSON number with its decimal point), stored as lc_monetary
-- C writes them, and read back so by the condition (_money_c): '0.50' was
-- 50,00 EUR to a session in de_DE
SELECT dataeng.rule_add('amounts', 'bounded', 'range', 'amount', '{"min": "0.50", "max": 1000}');
SELECT params FROM dataeng.rules WHERE rule_name = 'bounded';
SELECT dataeng.rule_add('amounts', 'upside_down', 'range', 'amount', '{"min": "$10.00", "max": 9.5}');
SELECT dataeng.rule_add('amounts', 'not_money', 'range', 'amount', '{"min": "ten"}');
-- a bound money cannot hold exactly is refused: it was rounded to the
-- cent silently ({"max": -0.001} stored as $0.00, 0.005 as $0.01), a
-- different rule than the one given; trailing zeros are exact
\set VERBOSITY default
SELECT dataeng.rule_add('amounts', 'rounded', 'range', 'amount', '{"max": -0.001}');
\set VERBOSITY terse
SELECT dataeng.rule_add('amounts', 'rounded', 'range', 'amount', '{"min": 0.005}');
SELECT dataeng.rule_add('amounts', 'rounded', 'range', 'amount', '{"min": "0.005"}');
SELECT dataeng.rule_add('amounts', 'rounded', 'accepted_values', 'amount', '{"values": [7, 0.001]}');
SELECT count(*) AS rounded_stored FROM dataeng.rules WHERE rule_name = 'rounded';
SELECT dataeng.rule_add('amounts', 'exact', 'range', 'amount', '{"min": -12.2500, "max": "1234.500"}');
SELECT params FROM dataeng.rules WHERE rule_name = 'exact';
SELECT dataeng.rule_drop('amounts', 'exact');
SELECT rule_name, failed FROM dataeng.validate('amounts') ORDER BY 1;
SELECT dataeng_internal._rule_text(amount) AS written FROM amounts ORDER BY id;
-- a column of a domain over a domain over money: its bounds are read back
-- under C too (they were read under the session's lc_monetary, which did
-- not read $1.50 in de_DE: the rule could not be added there, and its
-- checks failed)
CREATE DOMAIN amount_d AS money;
CREATE DOMAIN amount_dd AS amount_d;
CREATE TABLE nested (id int PRIMARY KEY, amount amount_dd);
INSERT INTO nested VALUES (1, '1234.50'), (2, '7'), (3, '1');
SELECT dataeng.rule_add('nested', 'bounded_nested', 'range', 'amount', '{"min": 1.5, "max": 1000}');
SELECT rule_name, params FROM dataeng.rules WHERE table_name = 'nested'::regclass ORDER BY 1;
SELECT rule_name, failed FROM dataeng.validate('nested') ORDER BY 1;
-- another lc_monetary, if the cluster has one
DO $$
DECLARE
  loc text;
BEGIN
  FOREACH loc IN ARRAY ARRAY['de_DE.UTF-8', 'de_DE.utf8', 'fr_FR.UTF-8', 'fr_FR.utf8', 'en_IN.UTF-8', 'en_IN.utf8',
                             'ja_JP.UTF-8', 'ja_JP.utf8'] LOOP
    BEGIN
      PERFORM set_config('lc_monetary', loc, false);
      EXIT;
    EXCEPTION WHEN invalid_parameter_value THEN
      NULL;
    END;
  END LOOP;
END $$;
SELECT rule_name, failed FROM dataeng.validate('amounts') ORDER BY 1;
SELECT dataeng_internal._rule_text(amount) AS written FROM amounts ORDER BY id;
SELECT dataeng.rule_add('nested', 'bounded_nested_2', 'range', 'amount', '{"min": 0.5, "max": 10}');
SELECT rule_name, params FROM dataeng.rules WHERE table_name = 'nested'::regclass ORDER BY 1;
SELECT rule_name, failed FROM dataeng.validate('nested') ORDER BY 1;
-- and the session's own setting is as it was after each value
SELECT current_setting('lc_monetary') = 'C' OR (SELECT amount::text FROM amounts WHERE id = 1) <> '$1,234.50'
       AS session_setting_kept;
RESET lc_monetary;
-- a domain over a domain over money: its bounds, stored in the C form as
-- for money, are read back under C too (the condition read them under the
-- session's lc_monetary, as its immediate base type was not money)
SET lc_monetary = 'C';
CREATE DOMAIN cash_a AS money;
CREATE DOMAIN cash_b AS cash_a;
CREATE TABLE amounts_b (id int PRIMARY KEY, amount cash_b);
INSERT INTO amounts_b VALUES (1, '0.25'), (2, '7');
SELECT dataeng.rule_add('amounts_b', 'bounded_b', 'range', 'amount', '{"min": "0.50", "max": 1000}');
SELECT params, dataeng_internal._rule_condition(r) AS condition FROM dataeng.rules r WHERE rule_name = 'bounded_b';
SELECT rule_name, failed FROM dataeng.validate('amounts_b') ORDER BY 1;
RESET lc_monetary;
-- accepted_values given as JSON numbers are read as a range's bounds are
-- (they stayed numbers, compared with the text $7.00, and never matched)
SET lc_monetary = 'C';
CREATE TABLE listed_n (id int PRIMARY KEY, amount money);
INSERT INTO listed_n VALUES (1, '7'), (2, '0.40'), (3, '8');
SELECT dataeng.rule_add('listed_n', 'listed', 'accepted_values', 'amount', '{"values": [7, 0.4, 1234.5]}');
SELECT params FROM dataeng.rules WHERE table_name = 'listed_n'::regclass;
SELECT rule_name, failed, sample FROM dataeng.validate('listed_n');
DROP TABLE listed_n;
RESET lc_monetary;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
