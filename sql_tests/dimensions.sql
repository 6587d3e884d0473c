-- Dimensions: SCD type 1 (overwrite) and type 2 (history), key changes,
-- untracked columns, re-inserts, TRUNCATE, quoting, errors, drop, the
-- view, and randomized comparisons with the source after every refresh.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

CREATE TABLE customers (
  id int PRIMARY KEY,
  name text NOT NULL,
  city text,
  tier text,
  note text,               -- not tracked
  doc json                 -- a type without equality
);
INSERT INTO customers SELECT g, 'c' || g, 'city' || g % 3, CASE WHEN g % 2 = 0 THEN 'gold' END, 'n', '{"a": 1}'
  FROM generate_series(1, 6) g;

-------------------------------------------------------------------------------
-- Errors (nothing is created)
-------------------------------------------------------------------------------
SELECT dataeng.dimension_create(NULL, 'customers', 'id', '{name}', schedule => NULL);
SELECT dataeng.dimension_create('d', 'customers', 'id', '{name}', 3, schedule => NULL);
SELECT dataeng.dimension_create('d', 'customers', 'nope', '{name}', schedule => NULL);
SELECT dataeng.dimension_create('d', 'customers', 'id', '{name,Nope}', schedule => NULL);
SELECT dataeng.dimension_create('d', 'customers', 'id', '{name,name}', schedule => NULL);
SELECT dataeng.dimension_create('d', 'customers', 'id', '{id,name}', schedule => NULL);
CREATE TABLE odd_src (id int PRIMARY KEY, valid_from date, d_sk int);
SELECT dataeng.dimension_create('d', 'odd_src', 'id', '{valid_from}', 2, schedule => NULL);
SELECT dataeng.dimension_create('d', 'odd_src', 'id', '{d_sk}', 2, schedule => NULL);
-- the key must be unique and NOT NULL in the source
SELECT dataeng.dimension_create('d', 'customers', 'name', '{city}', schedule => NULL);
CREATE TABLE loose (k int UNIQUE, v text, w int NOT NULL);
CREATE UNIQUE INDEX ON loose (w) WHERE w > 0;
SELECT dataeng.dimension_create('d', 'loose', 'k', '{v}', schedule => NULL);
SELECT dataeng.dimension_create('d', 'loose', 'w', '{v}', schedule => NULL);
CREATE TABLE deferred_key (k int PRIMARY KEY DEFERRABLE, v text);
SELECT dataeng.dimension_create('d', 'deferred_key', 'k', '{v}', schedule => NULL);
CREATE VIEW customers_v AS SELECT * FROM customers;
SELECT dataeng.dimension_create('d', 'customers_v', 'id', '{name}', schedule => NULL);
SELECT dataeng.dimension_create('customers', 'customers', 'id', '{name}', schedule => NULL);
SELECT dataeng.dimension_create('nowhere.d', 'customers', 'id', '{name}', schedule => NULL);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.dimension_create('d', 'customers', 'id', '{name}', schedule => NULL);
ROLLBACK;
SELECT dataeng.dimension_refresh('nope');
SELECT dataeng.dimension_drop('nope');
SELECT count(*) AS nothing_created FROM dataeng.dimensions;
SELECT to_regclass('d') AS no_table;

-------------------------------------------------------------------------------
-- SCD type 1
-------------------------------------------------------------------------------
SELECT dataeng.dimension_create('dim_cust1', 'customers', 'id', '{name,city,tier,doc}', schedule => NULL);
\d dim_cust1
SELECT * FROM dim_cust1 ORDER BY id;
SELECT name, "table", source, key_column, attributes, scd_type, schedule, last_changes, total_changes,
       pending_changes FROM dataeng.dimensions;
INSERT INTO customers VALUES (7, 'c7', 'city1', NULL, 'n', '{"a": 1}');
UPDATE customers SET city = 'moved' WHERE id = 1;
UPDATE customers SET note = 'untracked' WHERE id = 2;
DELETE FROM customers WHERE id = 3;
UPDATE customers SET id = 40 WHERE id = 4;            -- key change
UPDATE customers SET doc = '{"a": 2}' WHERE id = 5;
SELECT pending_changes FROM dataeng.dimensions WHERE name = 'dim_cust1';
SELECT dataeng.dimension_refresh('dim_cust1') AS changes;
SELECT * FROM dim_cust1 ORDER BY id;
SELECT dataeng.dimension_refresh('dim_cust1') AS nothing_new;
-- several changes of one key between refreshes: the last one wins
BEGIN;
UPDATE customers SET tier = 'silver' WHERE id = 6;
DELETE FROM customers WHERE id = 6;
INSERT INTO customers VALUES (6, 'c6 again', NULL, 'bronze', 'n', NULL);
COMMIT;
INSERT INTO customers VALUES (8, 'c8', NULL, NULL, 'n', NULL);
DELETE FROM customers WHERE id = 8;
SELECT dataeng.dimension_refresh('dim_cust1') AS changes;
SELECT * FROM dim_cust1 ORDER BY id;

-------------------------------------------------------------------------------
-- SCD type 2
-------------------------------------------------------------------------------
SELECT dataeng.dimension_create('dim_cust2', 'customers', 'id', '{name,city,tier}', 2, schedule => NULL);
-- (created twice: the dimension exists, not "relation ... already exists")
SELECT dataeng.dimension_create('dim_cust2', 'customers', 'id', '{name,city,tier}', 2, schedule => NULL);
\d dim_cust2
-- a version's place in its key's history, and whether times chain
CREATE VIEW hist2 AS
  SELECT id, name, city, tier, is_current,
         row_number() OVER (PARTITION BY id ORDER BY dim_cust2_sk) AS version,
         valid_to IS NULL AS open,
         valid_from <= coalesce(valid_to, 'infinity') AS ordered
    FROM dim_cust2;
SELECT * FROM hist2 ORDER BY id, version;
UPDATE customers SET tier = 'platinum' WHERE id = 1;     -- tracked: new version
UPDATE customers SET note = 'only untracked' WHERE id = 2;   -- nothing
UPDATE customers SET doc = '{"b": 1}' WHERE id = 5;          -- not an attribute: nothing
DELETE FROM customers WHERE id = 7;                       -- closes
UPDATE customers SET id = 41 WHERE id = 40;               -- key change: close 40, open 41
SELECT dataeng.dimension_refresh('dim_cust2') AS changes;
SELECT * FROM hist2 ORDER BY id, version;
-- a re-insert opens a new version; several changes in one refresh keep every version, in order
INSERT INTO customers VALUES (7, 'c7 back', 'city1', NULL, 'n', NULL);
UPDATE customers SET city = 'a' WHERE id = 2;
UPDATE customers SET city = 'b' WHERE id = 2;
UPDATE customers SET city = 'a' WHERE id = 2;
UPDATE customers SET name = 'c1', note = 'x' WHERE id = 1;   -- same name: nothing
SELECT dataeng.dimension_refresh('dim_cust2') AS changes;
SELECT * FROM hist2 ORDER BY id, version;
-- closed versions end where the next one starts
SELECT count(*) AS unchained FROM dim_cust2 a
  JOIN dim_cust2 b ON b.id = a.id AND b.dim_cust2_sk = (SELECT min(dim_cust2_sk) FROM dim_cust2 c
                                                        WHERE c.id = a.id AND c.dim_cust2_sk > a.dim_cust2_sk)
 WHERE a.valid_to > b.valid_from;
-- the capture time orders versions: a late refresh does not change them
SELECT bool_and(valid_from >= (SELECT created_at FROM dataeng.dimensions WHERE name = 'dim_cust2'))
       AS times_from_the_changes FROM dim_cust2;

-- TRUNCATE: type 1 empties; type 2 closes every current row; rows written
-- after it in the same refresh are opened again
TRUNCATE customers;
INSERT INTO customers VALUES (1, 'c1', 'city1', 'gold', 'n', NULL), (9, 'c9', NULL, NULL, 'n', NULL);
SELECT dataeng.dimension_refresh('dim_cust1') > 0 AS applied;
SELECT * FROM dim_cust1 ORDER BY id;
SELECT dataeng.dimension_refresh('dim_cust2') > 0 AS applied;
SELECT id, name, city, tier FROM dim_cust2 WHERE is_current ORDER BY id;
SELECT count(*) AS closed_versions FROM dim_cust2 WHERE NOT is_current;

-------------------------------------------------------------------------------
-- Odd identifiers
-------------------------------------------------------------------------------
CREATE SCHEMA "Mart";
CREATE TABLE "Odd Src" ("Key Col" text PRIMARY KEY, "a""b" int, "Valid" boolean);
INSERT INTO "Odd Src" VALUES ('k1', 1, true), ('k2', 2, false);
SELECT dataeng.dimension_create('"Mart"."Odd Dim"', '"Odd Src"', 'Key Col', ARRAY['a"b', 'Valid'], 2, schedule => NULL);
UPDATE "Odd Src" SET "a""b" = 3 WHERE "Key Col" = 'k1';
SELECT dataeng.dimension_refresh('"Mart"."Odd Dim"') AS changes;
SELECT "Key Col", "a""b", "Valid", is_current FROM "Mart"."Odd Dim" ORDER BY "Odd Dim_sk";
SELECT name FROM dataeng.dimensions ORDER BY name;
SELECT dataeng.dimension_drop('"Mart"."Odd Dim"');

-------------------------------------------------------------------------------
-- Randomized: after each refresh, type 1 equals the source, and type 2's
-- current rows equal the source while its history holds every version of
-- every key once, in order (the versions are logged by a trigger).
-------------------------------------------------------------------------------
CREATE TABLE people (id int PRIMARY KEY, name text, city text, score int);
CREATE TABLE people_versions (n bigserial, id int, name text, city text);
CREATE FUNCTION log_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR OLD.id <> NEW.id OR (OLD.name, OLD.city) IS DISTINCT FROM (NEW.name, NEW.city) THEN
    INSERT INTO people_versions (id, name, city) VALUES (NEW.id, NEW.name, NEW.city);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER log_version AFTER INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION log_version();
INSERT INTO people SELECT g, 'p' || g % 7, 'c' || g % 4, g FROM generate_series(1, 200) g;
SELECT dataeng.dimension_create('people_1', 'people', 'id', '{name,city}', 1, schedule => NULL);
SELECT dataeng.dimension_create('people_2', 'people', 'id', '{name,city}', 2, schedule => NULL);

CREATE FUNCTION people_check(OUT scd1_diff bigint, OUT current_diff bigint, OUT history_diff bigint,
                             OUT order_diff bigint, OUT bad_current bigint)
LANGUAGE sql AS $$
  SELECT
    (SELECT count(*) FROM ((SELECT id, name, city FROM people_1 EXCEPT ALL SELECT id, name, city FROM people)
                            UNION ALL (SELECT id, name, city FROM people EXCEPT ALL SELECT id, name, city FROM people_1)) x),
    (SELECT count(*) FROM ((SELECT id, name, city FROM people_2 WHERE is_current EXCEPT ALL SELECT id, name, city FROM people)
                            UNION ALL (SELECT id, name, city FROM people EXCEPT ALL SELECT id, name, city FROM people_2 WHERE is_current)) x),
    (SELECT count(*) FROM ((SELECT id, name, city FROM people_2 EXCEPT ALL SELECT id, name, city FROM people_versions)
                            UNION ALL (SELECT id, name, city FROM people_versions EXCEPT ALL SELECT id, name, city FROM people_2)) x),
    (SELECT count(*) FROM (SELECT id, array_agg(ROW(name, city)::text ORDER BY people_2_sk) h FROM people_2 GROUP BY id) a
                     FULL JOIN (SELECT id, array_agg(ROW(name, city)::text ORDER BY n) h FROM people_versions GROUP BY id) b
                       USING (id)
      WHERE a.h IS DISTINCT FROM b.h),
    (SELECT count(*) FROM people_2 WHERE is_current <> (valid_to IS NULL) OR valid_to < valid_from)
$$;
-- the initial load
SELECT * FROM people_check();

CREATE PROCEDURE people_rounds(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  c record;
  top int;
BEGIN
  PERFORM setseed(0.47);
  FOR r IN 1 .. rounds LOOP
    SELECT coalesce(max(id), 0) INTO top FROM people;
    INSERT INTO people SELECT top + g, 'p' || (random() * 6)::int, 'c' || (random() * 3)::int, 0
      FROM generate_series(1, (random() * 10)::int) g;
    UPDATE people SET city = 'c' || (random() * 3)::int WHERE random() < 0.05;
    UPDATE people SET score = score + 1 WHERE random() < 0.1;             -- untracked
    COMMIT;
    UPDATE people SET name = 'p' || (random() * 6)::int, score = score - 1 WHERE random() < 0.05;
    DELETE FROM people WHERE random() < 0.03;
    COMMIT;
    -- a deleted key comes back; a key changes
    INSERT INTO people SELECT id, 'back', 'c0', 0 FROM generate_series(1, 400) id
     WHERE random() < 0.02 ON CONFLICT (id) DO NOTHING;
    UPDATE people SET id = (SELECT max(id) + 1 FROM people) WHERE id = (SELECT min(id) FROM people WHERE random() < 0.3);
    IF r % 4 = 0 THEN
      UPDATE people SET city = 'twice' WHERE id % 17 = r % 17;
      UPDATE people SET city = 'c1' WHERE id % 17 = r % 17;
    END IF;
    COMMIT;
    PERFORM dataeng.dimension_refresh('people_1');
    PERFORM dataeng.dimension_refresh('people_2');
    COMMIT;
    SELECT * INTO c FROM people_check();
    IF (c.scd1_diff, c.current_diff, c.history_diff, c.order_diff, c.bad_current) <> (0, 0, 0, 0, 0) THEN
      RAISE EXCEPTION 'round %: %', r, c;
    END IF;
  END LOOP;
END $$;
CALL people_rounds(30);
SELECT * FROM people_check();
SELECT count(*) > 200 AS many_versions, count(*) FILTER (WHERE NOT is_current) > 50 AS many_closed FROM people_2;

-------------------------------------------------------------------------------
-- Other roles see and touch only their own dimensions
-------------------------------------------------------------------------------
CREATE ROLE dim_other;
GRANT SELECT ON customers TO dim_other;
SET ROLE dim_other;
SELECT count(*) AS visible FROM dataeng.dimensions;
SELECT dataeng.dimension_refresh('dim_cust1');
SELECT dataeng.dimension_drop('dim_cust1');
UPDATE dataeng_internal.dimension_defs SET owner = 'dim_other';
RESET ROLE;

-- drop: table, consumer and definition go; capture stays
DROP VIEW hist2;
SELECT dataeng.dimension_drop('dim_cust1');
SELECT dataeng.dimension_drop('dim_cust2');
SELECT dataeng.dimension_drop('people_1');
SELECT dataeng.dimension_drop('people_2');
SELECT to_regclass('dim_cust1') AS dim_gone, count(*) AS defs FROM dataeng.dimensions;
SELECT count(*) AS consumers_left FROM dataeng.cdc_consumers WHERE name LIKE 'dim:%';
SELECT count(*) AS still_captured FROM dataeng.cdc_tables WHERE table_name = 'customers'::regclass;

REVOKE SELECT ON customers FROM dim_other;
DROP ROLE dim_other;
DROP EXTENSION dataeng CASCADE;
DROP VIEW customers_v;
DROP TABLE customers, odd_src, loose, deferred_key, "Odd Src", people, people_versions;
DROP SCHEMA "Mart";
DROP FUNCTION log_version;
