-- A domain's base type, through any depth of domains, from one function
-- (dataeng_internal._base_type) that every caller uses: a freshness rule,
-- a range rule on money, a monitor and a dimension's comparison of values
-- (_dim_differ, which runs as the dimension's owner, a role with no
-- grant on dataeng_internal).  A chain of domains deeper than 10 was cut
-- at the tenth (a freshness rule or a monitor on such a column was
-- refused as "not a time"; a money range bound was read as a number),
-- and a dimension of a domain over an enum failed to refresh ("operator
-- does not exist": the enum's = takes no domain).
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse
\pset null '(null)'

-- chains of 12 domains over timestamptz, money and an enum
CREATE TYPE mood AS ENUM ('sad', 'glad');
DO $$
DECLARE
  b text;
BEGIN
  FOREACH b IN ARRAY ARRAY['timestamptz', 'money', 'mood'] LOOP
    EXECUTE format('CREATE DOMAIN %I AS %s', 'd_' || b || '_1', b);
    FOR i IN 2 .. 12 LOOP
      EXECUTE format('CREATE DOMAIN %I AS %I', 'd_' || b || '_' || i, 'd_' || b || '_' || (i - 1));
    END LOOP;
  END LOOP;
END;
$$;
SELECT dataeng_internal._base_type('d_timestamptz_12') AS t, dataeng_internal._base_type('d_money_12') AS m,
       dataeng_internal._base_type('d_mood_12') AS e, dataeng_internal._base_type('int') AS i;

CREATE TABLE btd (id int PRIMARY KEY, at d_timestamptz_12, price d_money_12, feel d_mood_12);
INSERT INTO btd VALUES (1, now() - interval '1 minute', '0.50', 'sad'), (2, now(), '2.00', 'glad');
SELECT dataeng.rule_add('btd', 'fresh', 'freshness', 'at', '{"max_age": "1 day"}');
SELECT dataeng.rule_add('btd', 'cheap', 'range', 'price', '{"max": "1.00"}');
SELECT rule_name, checked, failed, passed FROM dataeng.validate('btd') ORDER BY rule_name;
SELECT dataeng.monitor_create('btd_at', 'btd', 'at', max_silence => '1 hour');
SELECT monitor, ok FROM dataeng.monitor_check('btd_at');

-- a dimension owned by a role with no grant on dataeng_internal: its
-- refresh compares the enum through the domains as that role
CREATE ROLE btd_owner;
GRANT SELECT, UPDATE ON btd TO btd_owner;
GRANT CREATE ON SCHEMA public TO btd_owner;
SELECT dataeng.cdc_enable('btd');
SET ROLE btd_owner;
SELECT dataeng.dimension_create('btd_dim', 'btd', 'id', ARRAY['feel'], 2, schedule => NULL);
RESET ROLE;
UPDATE btd SET feel = 'glad' WHERE id = 1;
UPDATE btd SET price = '3.00' WHERE id = 2;
SET ROLE btd_owner;
SELECT dataeng.dimension_refresh('btd_dim') AS changes;
SELECT id, feel, is_current FROM btd_dim ORDER BY btd_dim_sk;
SELECT dataeng.dimension_drop('btd_dim');
RESET ROLE;
SELECT dataeng.monitor_drop('btd_at');
DROP TABLE btd;
REVOKE CREATE ON SCHEMA public FROM btd_owner;
DROP ROLE btd_owner;
DROP DOMAIN d_timestamptz_1, d_money_1 CASCADE;
DROP TYPE mood CASCADE;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
