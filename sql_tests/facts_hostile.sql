-- Facts under a hostile but legal workload, each round compared with the
-- GROUP BY row for row (a round that differs raises an error): updates
-- that change a row's dimensions and its time at once (to and from NULL),
-- NULL dimension values, rows deleted and inserted again with the same key
-- (in one transaction and in separate ones, within one refresh), several
-- updates of one row in one transaction, primary keys changed (with the
-- dimensions and the time in the same update), transactions and
-- subtransactions rolled back (a TRUNCATE among them), a row inserted and
-- deleted in one transaction, upserts and MERGE, TRUNCATE of the source
-- (alone, and between changes in one transaction), refreshes between the
-- writes of one row; on each path (auto, delta, buckets).  Three facts:
-- every kind of measure by day and two nullable dimensions, by hour, and
-- filtered and expression measures by week.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET TimeZone = 'UTC';
\i sql_tests/lib/fact_diff.sql

-- f: multiples of 1/8, so that float sums are exact in any order
CREATE TABLE hs (id int PRIMARY KEY, at timestamptz, region text, k int, v numeric, f float8, w text);
INSERT INTO hs SELECT g, timestamptz '2026-01-01' + (g % 5) * interval '1 day' + g * interval '7 minutes',
                      CASE WHEN g % 7 = 0 THEN NULL ELSE 'r' || g % 3 END, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 4 END,
                      g, g / 4.0, 'w' || g % 13
                 FROM generate_series(1, 400) g;
SELECT dataeng.fact_create('hs_day', 'hs', 'at', 'day', ARRAY['region', 'k'],
                           ARRAY['count(*)', 'sum(v)', 'min(v)', 'max(v)', 'count(DISTINCT w)', 'sum(f)', 'avg(v)',
                                 'count(v)', 'max(w) AS max_w'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('hs_hour', 'hs', 'at', 'hour', ARRAY['region'],
                           ARRAY['count(*)', 'sum(v)', 'min(v)', 'max(v)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('hs_week', 'hs', 'at', 'week', ARRAY['k'],
                           ARRAY['count(*) FILTER (WHERE v > 100) AS big', 'sum(v * 2) FILTER (WHERE region IS NULL) AS s_null',
                                 'min(v) FILTER (WHERE k = 1) AS min_k1', 'max(coalesce(w, ''-'')) AS mw',
                                 'count(DISTINCT region) FILTER (WHERE v IS NOT NULL) AS dr', 'avg(v) AS avg_v'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE FUNCTION hs_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT fact_diff('hs_day', $q$SELECT date_trunc('day', at, 'UTC'), region, k, count(*), sum(v), min(v), max(v),
                                       count(DISTINCT w), sum(f), avg(v), count(v), max(w) FROM hs GROUP BY 1, 2, 3$q$)
       + fact_diff('hs_hour', $q$SELECT date_trunc('hour', at, 'UTC'), region, count(*), sum(v), min(v), max(v)
                                   FROM hs GROUP BY 1, 2$q$)
       + fact_diff('hs_week', $q$SELECT date_trunc('week', at, 'UTC'), k, count(*) FILTER (WHERE v > 100),
                                        sum(v * 2) FILTER (WHERE region IS NULL), min(v) FILTER (WHERE k = 1),
                                        max(coalesce(w, '-')), count(DISTINCT region) FILTER (WHERE v IS NOT NULL), avg(v)
                                   FROM hs GROUP BY 1, 2$q$)
$$;
-- the paths the refreshes took (their first word)
CREATE TABLE hs_paths (path text);
CREATE FUNCTION hs_refresh() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dataeng.fact_refresh(n) FROM unnest('{hs_day,hs_hour,hs_week}'::text[]) n;
  INSERT INTO hs_paths SELECT split_part(split_part(last_refresh_path, ',', 1), ':', 1)
    FROM dataeng.facts WHERE name LIKE 'hs\_%';
END $$;
CREATE PROCEDURE hs_check(what text, r int) LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
BEGIN
  PERFORM hs_refresh();
  COMMIT;
  bad := hs_diff();
  IF bad <> 0 THEN
    RAISE EXCEPTION '%, round %: the facts differ from their GROUP BY in % rows', what, r, bad;
  END IF;
END $$;
SELECT hs_diff() AS diff;

-- 1. dimensions and time changed at once, deletes and inserts again of the
-- same keys, several updates of one row, key changes, rollbacks, an
-- insert deleted in its transaction, a TRUNCATE now and then, a refresh
-- between the writes of one row
CREATE PROCEDURE hs_rounds1(n int, seed float8) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM setseed(seed);
  FOR r IN 1 .. n LOOP
    PERFORM set_config('dataeng.fact_refresh_path', (ARRAY['auto', 'delta', 'buckets'])[1 + r % 3], false);
    UPDATE hs SET region = CASE WHEN random() < 0.3 THEN NULL ELSE 'r' || (random() * 3)::int END,
                  k = CASE WHEN random() < 0.2 THEN NULL ELSE (random() * 4)::int END,
                  at = CASE WHEN random() < 0.1 THEN NULL ELSE at + (random() * 3 - 1.5) * interval '1 day' END
     WHERE random() < 0.05;
    COMMIT;
    DELETE FROM hs WHERE id % 37 = r % 37;
    COMMIT;
    INSERT INTO hs SELECT g, timestamptz '2026-01-02' + random() * interval '4 days', 'r' || (random() * 2)::int,
                          (random() * 3)::int, round((random() * 500)::numeric, 2), round(random() * 80) / 8,
                          'w' || (random() * 20)::int
      FROM generate_series(1, 400) g WHERE g % 37 = r % 37 ON CONFLICT (id) DO NOTHING;
    COMMIT;
    DELETE FROM hs WHERE id % 41 = r % 41;
    INSERT INTO hs SELECT g, timestamptz '2026-01-01' + random() * interval '5 days', NULL, NULL, NULL, NULL, NULL
      FROM generate_series(1, 400) g WHERE g % 41 = r % 41 ON CONFLICT (id) DO NOTHING;
    UPDATE hs SET v = v + 1 WHERE id % 41 = r % 41;
    UPDATE hs SET region = 'r9', at = at + interval '2 days' WHERE id % 41 = r % 41;
    UPDATE hs SET region = 'r1', w = 'zz' WHERE id % 41 = r % 41;
    COMMIT;
    UPDATE hs SET id = id + 100000 WHERE id % 53 = r % 53 AND id < 100000;
    COMMIT;
    UPDATE hs SET v = -1, region = 'rolled' WHERE random() < 0.3;
    DELETE FROM hs WHERE random() < 0.3;
    ROLLBACK;
    INSERT INTO hs VALUES (900000 + r, '2026-01-03', 'ghost', 1, 1e6, 1e6, 'ghost');
    DELETE FROM hs WHERE id = 900000 + r;
    COMMIT;
    IF r % 5 = 0 THEN
      TRUNCATE hs;
      INSERT INTO hs SELECT g, timestamptz '2026-01-01' + (g % 5) * interval '1 day', 'r' || g % 3, g % 4, g, g / 4.0,
                            'w' || g % 13
                       FROM generate_series(1, 300) g;
      COMMIT;
    END IF;
    IF r % 4 = 0 THEN
      UPDATE hs SET v = v * 2 WHERE id % 19 = 0;
      COMMIT;
      PERFORM hs_refresh();
      COMMIT;
      UPDATE hs SET v = v / 2, at = at - interval '1 day' WHERE id % 19 = 0;
      COMMIT;
    END IF;
    CALL hs_check('rounds 1', r);
  END LOOP;
  RESET dataeng.fact_refresh_path;
END $$;
CALL hs_rounds1(6, 0.3);
SELECT hs_diff() AS diff;

-- 2. subtransactions rolled back (one with a TRUNCATE) and committed, a
-- TRUNCATE rolled back, an upsert and a MERGE that move rows to other
-- buckets and groups, one key deleted, inserted, updated, deleted and
-- inserted again in five transactions
CREATE PROCEDURE hs_rounds2(n int, seed float8) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM setseed(seed);
  FOR r IN 1 .. n LOOP
    PERFORM set_config('dataeng.fact_refresh_path', (ARRAY['auto', 'delta', 'buckets'])[1 + r % 3], false);
    BEGIN
      UPDATE hs SET v = v + 1000, region = 'sub' WHERE id % 5 = r % 5;
      DELETE FROM hs WHERE id % 9 = r % 9;
      RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    BEGIN
      UPDATE hs SET v = v + 1, k = coalesce(k, 0) + 1, at = at + interval '3 hours' WHERE id % 6 = r % 6;
    END;
    COMMIT;
    BEGIN
      TRUNCATE hs;
      INSERT INTO hs VALUES (1, '2026-01-01', 'trunc', 1, 1, 1, 'x');
      RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    COMMIT;
    TRUNCATE hs;
    ROLLBACK;
    INSERT INTO hs SELECT g, timestamptz '2026-01-02' + random() * interval '3 days',
                          CASE WHEN random() < 0.5 THEN NULL ELSE 'u' END, NULL, round((random() * 100)::numeric, 1), 0.5, 'up'
      FROM generate_series(1, 450, 7) g
    ON CONFLICT (id) DO UPDATE SET at = excluded.at, region = excluded.region, v = excluded.v, w = excluded.w;
    COMMIT;
    MERGE INTO hs t USING (SELECT g AS id FROM generate_series(1, 500, 11) g) s ON t.id = s.id
      WHEN MATCHED AND t.id % 2 = 0 THEN DELETE
      WHEN MATCHED THEN UPDATE SET v = coalesce(t.v, 0) * 2, region = NULL, at = t.at - interval '1 day'
      WHEN NOT MATCHED THEN INSERT VALUES (s.id, '2026-01-03', 'm', 2, 3, 0.25, 'mg');
    COMMIT;
    DELETE FROM hs WHERE id = 3; COMMIT;
    INSERT INTO hs VALUES (3, '2026-01-04', 'x', 1, 10, 1, 'a') ON CONFLICT DO NOTHING; COMMIT;
    UPDATE hs SET at = '2026-01-01', region = NULL, v = 11 WHERE id = 3; COMMIT;
    DELETE FROM hs WHERE id = 3; COMMIT;
    INSERT INTO hs VALUES (3, '2026-01-02', NULL, NULL, NULL, NULL, NULL); COMMIT;
    CALL hs_check('rounds 2', r);
  END LOOP;
  RESET dataeng.fact_refresh_path;
END $$;
CALL hs_rounds2(4, 0.7);
SELECT hs_diff() AS diff;

-- 3. keys, dimensions and time changed in one update; changes, a TRUNCATE
-- and changes in one transaction, more in the same batch; a TRUNCATE in a
-- transaction of its own and rows after it
CREATE PROCEDURE hs_rounds3(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR r IN 1 .. n LOOP
    PERFORM set_config('dataeng.fact_refresh_path', (ARRAY['auto', 'delta', 'buckets'])[1 + r % 3], false);
    UPDATE hs SET id = -id, region = CASE WHEN region IS NULL THEN 'rn' END, at = at + interval '5 hours', k = NULL
     WHERE id % 13 = r % 13 AND id > 0;
    COMMIT;
    IF r % 3 = 0 THEN
      UPDATE hs SET v = v + 7, region = 'pre' WHERE id % 4 = 0;
      DELETE FROM hs WHERE id % 10 = 1;
      TRUNCATE hs;
      INSERT INTO hs SELECT g, timestamptz '2026-01-01' + g * interval '1 hour', CASE WHEN g % 3 = 0 THEN NULL ELSE 'post' END,
                            g % 2, g, g / 8.0, 'p' || g % 5 FROM generate_series(1, 120) g;
      UPDATE hs SET at = at + interval '1 day', region = NULL WHERE id % 7 = 0;
      DELETE FROM hs WHERE id % 11 = 0;
      COMMIT;
      UPDATE hs SET v = v * 3 WHERE id % 5 = 0;
      COMMIT;
    ELSIF r % 3 = 1 THEN
      TRUNCATE hs;
      COMMIT;
      INSERT INTO hs SELECT g, timestamptz '2026-01-02' + g * interval '37 minutes', 'a' || g % 2, NULL, g % 9, 0.125 * g, NULL
        FROM generate_series(1, 90) g;
      COMMIT;
      DELETE FROM hs WHERE id < 10;
      COMMIT;
    END IF;
    CALL hs_check('rounds 3', r);
  END LOOP;
  RESET dataeng.fact_refresh_path;
END $$;
CALL hs_rounds3(6);
SELECT hs_diff() AS diff;
SELECT DISTINCT path FROM hs_paths ORDER BY 1;

SELECT dataeng.fact_drop(n) FROM unnest('{hs_day,hs_hour,hs_week}'::text[]) n;
DROP TABLE hs, hs_paths;
DROP FUNCTION hs_diff, hs_refresh, fact_diff;
DROP PROCEDURE hs_check, hs_rounds1, hs_rounds2, hs_rounds3;
DROP EXTENSION dataeng CASCADE;
