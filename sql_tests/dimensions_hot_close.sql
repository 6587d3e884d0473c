-- Dimensions: a type 2 dimension table without the unique index on
-- current versions (dropped by its owner, with a fillfactor that leaves
-- room on each page), so that closing a version changes no indexed column
-- and is a HOT update.  The refresh still applies its changes in C
-- (src/aggregate/dimension.c): it finds each key's current version
-- through another B-tree index led by the key (the one on (key,
-- valid_from)), among the key's versions, by is_current; walking that
-- index's leaves, or with an index scan (a descending index, which is not
-- walked).  Randomized rounds (a fixed seed) against two twins, the
-- standard layout applied in C and the same layout applied by the SQL
-- statements (a trigger that changes nothing): after every refresh the
-- three tables equal row for row (surrogate keys, validity times), one
-- current version per key present in the source.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;

CREATE TABLE hc_src (id int PRIMARY KEY, name text, city text, score int);
INSERT INTO hc_src SELECT g, 'p' || g % 7, 'c' || g % 4, g FROM generate_series(1, 2000) g;
SELECT dataeng.dimension_create('hc', 'hc_src', 'id', '{name,city}', 2, schedule => NULL);
SELECT dataeng.dimension_create('hc_desc', 'hc_src', 'id', '{name,city}', 2, schedule => NULL);
SELECT dataeng.dimension_create('hc_std', 'hc_src', 'id', '{name,city}', 2, schedule => NULL);
SELECT dataeng.dimension_create('hc_sql', 'hc_src', 'id', '{name,city}', 2, schedule => NULL);
CREATE FUNCTION hc_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN coalesce(NEW, OLD); END $$;
CREATE TRIGGER noop BEFORE INSERT OR UPDATE OR DELETE ON hc_sql FOR EACH ROW EXECUTE FUNCTION hc_noop();
-- the layout: no index on is_current or valid_to, room on every page
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['hc', 'hc_desc', 'hc_sql'] LOOP
    EXECUTE (SELECT format('DROP INDEX %s', i.indexrelid::regclass) FROM pg_index i
              WHERE i.indrelid = t::regclass AND i.indpred IS NOT NULL);
    EXECUTE format('ALTER TABLE %I SET (fillfactor = 70)', t);
  END LOOP;
  -- hc_desc: a descending index on the key alone
  EXECUTE (SELECT format('DROP INDEX %s', i.indexrelid::regclass) FROM pg_index i
            WHERE i.indrelid = 'hc_desc'::regclass AND NOT i.indisprimary);
  CREATE INDEX hc_desc_id ON hc_desc (id DESC);
END $$;
VACUUM FULL hc, hc_desc, hc_sql;
UPDATE hc SET valid_from = (SELECT min(valid_from) FROM hc_std);
UPDATE hc_desc SET valid_from = (SELECT min(valid_from) FROM hc_std);
UPDATE hc_sql SET valid_from = (SELECT min(valid_from) FROM hc_std);
UPDATE hc_std SET valid_from = (SELECT min(valid_from) FROM hc_std);
VACUUM hc, hc_desc, hc_sql, hc_std;
-- which path each applies its changes by
SELECT d.name, coalesce(a.path, 'C') AS path
  FROM dataeng.dimensions d
 CROSS JOIN LATERAL dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
          ARRAY[false, false, false]) a
 ORDER BY 1;

CREATE FUNCTION hc_check(OUT desc_diff bigint, OUT std_diff bigint, OUT sql_diff bigint,
                         OUT current_diff bigint, OUT not_one_current bigint)
LANGUAGE sql AS $$
  SELECT
    (SELECT count(*) FROM ((TABLE hc EXCEPT ALL TABLE hc_desc) UNION ALL (TABLE hc_desc EXCEPT ALL TABLE hc)) x),
    (SELECT count(*) FROM ((TABLE hc EXCEPT ALL TABLE hc_std) UNION ALL (TABLE hc_std EXCEPT ALL TABLE hc)) x),
    (SELECT count(*) FROM ((TABLE hc EXCEPT ALL TABLE hc_sql) UNION ALL (TABLE hc_sql EXCEPT ALL TABLE hc)) x),
    (SELECT count(*) FROM ((SELECT id, name, city FROM hc WHERE is_current EXCEPT ALL SELECT id, name, city FROM hc_src)
                            UNION ALL (SELECT id, name, city FROM hc_src EXCEPT ALL SELECT id, name, city FROM hc WHERE is_current)) x),
    (SELECT count(*) FROM (SELECT id, count(*) FILTER (WHERE is_current) AS nc FROM hc GROUP BY id) x
      WHERE x.nc <> CASE WHEN x.id IN (SELECT id FROM hc_src) THEN 1 ELSE 0 END)
$$;

CREATE TABLE hc_rounds (r int, changes bigint, versions bigint, hot_closed bigint, desc_diff bigint, std_diff bigint,
                        sql_diff bigint, current_diff bigint, not_one_current bigint);
CREATE PROCEDURE hc_run(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  c record;
  top int;
  n bigint;
  v0 bigint;
  hot bigint;
BEGIN
  PERFORM setseed(0.47);
  FOR r IN 1 .. rounds LOOP
    SELECT coalesce(max(id), 0) INTO top FROM hc_src;
    INSERT INTO hc_src SELECT top + g, 'p' || (random() * 6)::int, 'c' || (random() * 3)::int, 0
      FROM generate_series(1, 20 + (random() * 60)::int) g;
    UPDATE hc_src SET city = 'c' || (random() * 3)::int || 'r' || r WHERE random() < 0.08;
    UPDATE hc_src SET score = score + 1 WHERE random() < 0.1;             -- untracked
    COMMIT;
    -- a key changed several times in one round
    UPDATE hc_src SET name = 'again' || r WHERE id % 23 = r % 23;
    UPDATE hc_src SET name = 'more' || r, city = 'z' WHERE id % 23 = r % 23;
    DELETE FROM hc_src WHERE random() < 0.03;
    COMMIT;
    -- deleted keys come back, a key changes
    INSERT INTO hc_src SELECT id, CASE WHEN id % 2 = 0 THEN 'back' ELSE 'p' || id % 7 END, 'c' || id % 4, 0
      FROM generate_series(1, 2000) id WHERE random() < 0.03 ON CONFLICT (id) DO NOTHING;
    UPDATE hc_src SET id = (SELECT max(id) + 1 FROM hc_src) WHERE id = (SELECT min(id) FROM hc_src WHERE random() < 0.3);
    COMMIT;
    SELECT count(*) INTO v0 FROM hc;
    n := dataeng.dimension_refresh('hc');
    -- (this transaction's counts: closed versions that stayed in place)
    SELECT n_tup_hot_upd INTO hot FROM pg_stat_xact_user_tables WHERE relid = 'hc'::regclass;
    IF dataeng.dimension_refresh('hc_desc') <> n OR dataeng.dimension_refresh('hc_std') <> n
       OR dataeng.dimension_refresh('hc_sql') <> n THEN
      RAISE EXCEPTION 'round %: the twins read different changes', r;
    END IF;
    COMMIT;
    SELECT * INTO c FROM hc_check();
    INSERT INTO hc_rounds VALUES (r, n, (SELECT count(*) FROM hc) - v0, hot, c.desc_diff, c.std_diff, c.sql_diff,
                                  c.current_diff, c.not_one_current);
    COMMIT;
  END LOOP;
END $$;
CALL hc_run(6);
-- every round closed versions in place (HOT updates), and the tables agreed
SELECT count(*) AS rounds, min(versions) > 100 AS versions_each, bool_and(hot_closed > 0) AS closed_in_place,
       sum(desc_diff) AS desc_diff, sum(std_diff) AS std_diff, sum(sql_diff) AS sql_diff,
       sum(current_diff) AS current_diff, sum(not_one_current) AS not_one_current
  FROM hc_rounds;

-- a key given a second current version by hand (nothing refuses it in
-- this layout): a refresh closes both, as the SQL's UPDATE does, whether
-- the key changes or is deleted; the C paths (walked, scanned) and the
-- SQL agree row for row
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['hc', 'hc_desc', 'hc_sql'] LOOP
    EXECUTE format('INSERT INTO %1$I OVERRIDING SYSTEM VALUE SELECT %1$I_sk + 1000000, id, name, city, valid_from, valid_to, is_current '
                   'FROM %1$I WHERE is_current AND id IN (SELECT min(id) FROM hc_src UNION ALL SELECT max(id) FROM hc_src)', t);
  END LOOP;
END $$;
SELECT count(*) AS keys_with_two_current
  FROM (SELECT id FROM hc WHERE is_current GROUP BY id HAVING count(*) = 2) x;
UPDATE hc_src SET city = 'twice' WHERE id = (SELECT min(id) FROM hc_src);
DELETE FROM hc_src WHERE id = (SELECT max(id) FROM hc_src);
SELECT dataeng.dimension_refresh('hc') AS hc, dataeng.dimension_refresh('hc_desc') AS hc_desc,
       dataeng.dimension_refresh('hc_sql') AS hc_sql, dataeng.dimension_refresh('hc_std') AS hc_std;
SELECT c.desc_diff, c.sql_diff, c.current_diff, c.not_one_current,
       (SELECT count(*) FROM hc WHERE valid_to IS NOT NULL AND valid_to < valid_from) AS closed_before_open
  FROM hc_check() c;

-- a unique index led by the key is not used to find the versions (its
-- duplicates would be taken for another transaction's): with no other,
-- the SQL statements apply the table's changes
DROP INDEX hc_id_valid_from_idx;
CREATE UNIQUE INDEX hc_id_valid_from_sk ON hc (id, valid_from, hc_sk);
SELECT coalesce(a.path, 'C') AS path
  FROM dataeng.dimensions d
 CROSS JOIN LATERAL dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
          ARRAY[false, false, false]) a
 WHERE d.name = 'hc';

SELECT dataeng.dimension_drop('hc');
SELECT dataeng.dimension_drop('hc_desc');
SELECT dataeng.dimension_drop('hc_std');
SELECT dataeng.dimension_drop('hc_sql');
DROP TABLE hc_src, hc_rounds;
DROP PROCEDURE hc_run;
DROP FUNCTION hc_check, hc_noop;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
