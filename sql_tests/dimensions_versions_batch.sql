-- Dimensions: a type 2 refresh in C writes its new versions in batches
-- (table_multi_insert(), DIM_MULTI rows at a time, then each row's index
-- entries; src/aggregate/dimension.c).  Randomized rounds (a fixed seed)
-- that open several batches' worth of versions per refresh, a key changed
-- several times in one round (versions closed and opened in one batch),
-- keys deleted, inserted again and changed, against an SQL twin (the
-- same definition with a trigger on its table that changes nothing: a
-- table with triggers is applied by the SQL statements).  After every
-- refresh: the twins equal row for row (surrogate keys, which follow change
-- order, validity times and a column filled by its default included), the
-- current versions equal to the source, exactly one current version per
-- key, and every version of the source's history there once, in order.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;

CREATE TABLE vb_src (id int PRIMARY KEY, name text, city text, score int);
-- the versions of the source (a trigger logs each new state of a key)
CREATE TABLE vb_hist (n bigserial, id int, name text, city text);
CREATE FUNCTION vb_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR OLD.id <> NEW.id OR (OLD.name, OLD.city) IS DISTINCT FROM (NEW.name, NEW.city) THEN
    INSERT INTO vb_hist (id, name, city) VALUES (NEW.id, NEW.name, NEW.city);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER vb_log AFTER INSERT OR UPDATE ON vb_src FOR EACH ROW EXECUTE FUNCTION vb_log();
INSERT INTO vb_src SELECT g, 'p' || g % 7, 'c' || g % 4, g FROM generate_series(1, 2000) g;

SELECT dataeng.dimension_create('vb', 'vb_src', 'id', '{name,city}', 2, schedule => NULL);
SELECT dataeng.dimension_create('vb_sql', 'vb_src', 'id', '{name,city}', 2, schedule => NULL);
CREATE FUNCTION vb_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN coalesce(NEW, OLD); END $$;
CREATE TRIGGER noop BEFORE INSERT OR UPDATE OR DELETE ON vb_sql FOR EACH ROW EXECUTE FUNCTION vb_noop();
UPDATE vb_sql SET valid_from = (SELECT min(valid_from) FROM vb);
-- a column the refresh fills with its default (a text computed per row,
-- kept by each batched row) and a check of it
ALTER TABLE vb ADD COLUMN tag text DEFAULT ('t' || (random() * 0)::int::text || repeat('x', 30));
ALTER TABLE vb ADD CHECK (length(tag) = 32);
ALTER TABLE vb_sql ADD COLUMN tag text DEFAULT ('t' || (random() * 0)::int::text || repeat('x', 30));
SELECT d.name, coalesce(a.path, 'C') AS path
  FROM dataeng.dimensions d
 CROSS JOIN LATERAL dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
          ARRAY[false, false, false]) a
 ORDER BY 1;

CREATE FUNCTION vb_check(OUT twin_diff bigint, OUT current_diff bigint, OUT not_one_current bigint,
                         OUT history_diff bigint, OUT order_diff bigint, OUT bad_validity bigint)
LANGUAGE sql AS $$
  SELECT
    (SELECT count(*) FROM ((TABLE vb EXCEPT ALL TABLE vb_sql) UNION ALL (TABLE vb_sql EXCEPT ALL TABLE vb)) x),
    (SELECT count(*) FROM ((SELECT id, name, city FROM vb WHERE is_current EXCEPT ALL SELECT id, name, city FROM vb_src)
                            UNION ALL (SELECT id, name, city FROM vb_src EXCEPT ALL SELECT id, name, city FROM vb WHERE is_current)) x),
    (SELECT count(*) FROM (SELECT id, count(*) FILTER (WHERE is_current) AS nc FROM vb GROUP BY id) x
      WHERE x.nc <> CASE WHEN x.id IN (SELECT id FROM vb_src) THEN 1 ELSE 0 END),
    (SELECT count(*) FROM ((SELECT id, name, city FROM vb EXCEPT ALL SELECT id, name, city FROM vb_hist)
                            UNION ALL (SELECT id, name, city FROM vb_hist EXCEPT ALL SELECT id, name, city FROM vb)) x),
    (SELECT count(*) FROM (SELECT id, array_agg(ROW(name, city)::text ORDER BY vb_sk) h FROM vb GROUP BY id) a
                     FULL JOIN (SELECT id, array_agg(ROW(name, city)::text ORDER BY n) h FROM vb_hist GROUP BY id) b
                       USING (id)
      WHERE a.h IS DISTINCT FROM b.h),
    (SELECT count(*) FROM vb v
      WHERE v.is_current <> (v.valid_to IS NULL) OR v.valid_to < v.valid_from
         OR (v.valid_to IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM vb w WHERE w.id = v.id AND w.vb_sk > v.vb_sk)
             AND v.id IN (SELECT id FROM vb_src)))
$$;
SELECT * FROM vb_check();

CREATE TABLE vb_rounds (r int, changes bigint, versions bigint, twin_diff bigint, current_diff bigint,
                        not_one_current bigint, history_diff bigint, order_diff bigint, bad_validity bigint);
CREATE PROCEDURE vb_run(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  c record;
  top int;
  n bigint;
  v0 bigint;
BEGIN
  PERFORM setseed(0.31);
  FOR r IN 1 .. rounds LOOP
    SELECT coalesce(max(id), 0) INTO top FROM vb_src;
    INSERT INTO vb_src SELECT top + g, 'p' || (random() * 6)::int, 'c' || (random() * 3)::int, 0
      FROM generate_series(1, 20 + (random() * 60)::int) g;
    UPDATE vb_src SET city = 'c' || (random() * 3)::int || 'r' || r WHERE random() < 0.08;
    UPDATE vb_src SET score = score + 1 WHERE random() < 0.1;             -- untracked
    COMMIT;
    -- a key changed several times in one round: versions opened and closed
    -- in one refresh, one after the other in change order
    UPDATE vb_src SET name = 'again' || r WHERE id % 23 = r % 23;
    UPDATE vb_src SET name = 'more' || r, city = 'z' WHERE id % 23 = r % 23;
    UPDATE vb_src SET name = 'p' || (random() * 6)::int, score = score - 1 WHERE random() < 0.05;
    DELETE FROM vb_src WHERE random() < 0.03;
    COMMIT;
    -- deleted keys come back (as they were or changed), a key changes
    INSERT INTO vb_src SELECT id, CASE WHEN id % 2 = 0 THEN 'back' ELSE 'p' || id % 7 END, 'c' || id % 4, 0
      FROM generate_series(1, 2000) id WHERE random() < 0.03 ON CONFLICT (id) DO NOTHING;
    UPDATE vb_src SET id = (SELECT max(id) + 1 FROM vb_src) WHERE id = (SELECT min(id) FROM vb_src WHERE random() < 0.3);
    COMMIT;
    SELECT count(*) INTO v0 FROM vb;
    n := dataeng.dimension_refresh('vb');
    IF dataeng.dimension_refresh('vb_sql') <> n THEN
      RAISE EXCEPTION 'round %: the twins read different changes', r;
    END IF;
    COMMIT;
    SELECT * INTO c FROM vb_check();
    INSERT INTO vb_rounds VALUES (r, n, (SELECT count(*) FROM vb) - v0, c.twin_diff, c.current_diff,
                                  c.not_one_current, c.history_diff, c.order_diff, c.bad_validity);
    COMMIT;
  END LOOP;
END $$;
CALL vb_run(8);
-- every round opened several batches' worth of versions, and agreed
SELECT count(*) AS rounds, min(versions) > 300 AS several_batches_each,
       sum(twin_diff) AS twin_diff, sum(current_diff) AS current_diff, sum(not_one_current) AS not_one_current,
       sum(history_diff) AS history_diff, sum(order_diff) AS order_diff, sum(bad_validity) AS bad_validity
  FROM vb_rounds;
SELECT count(DISTINCT tag) AS tags, min(tag) AS tag FROM vb;

-- a version a check refuses, in the middle of a batch: the refresh fails,
-- nothing of it is written and its changes stay pending; once the check
-- is dropped the next refresh writes them
SELECT count(*) AS versions_before FROM vb \gset
UPDATE vb_src SET city = CASE WHEN id = (SELECT id FROM vb_src WHERE id <= 400 ORDER BY id OFFSET 200 LIMIT 1)
                              THEN 'refused' ELSE 'c' || id END
 WHERE id <= 400;
ALTER TABLE vb ADD CONSTRAINT vb_refused CHECK (city <> 'refused');
\set VERBOSITY terse
SELECT dataeng.dimension_refresh('vb');
\set VERBOSITY default
SELECT count(*) - :versions_before AS versions_written FROM vb;
ALTER TABLE vb DROP CONSTRAINT vb_refused;
SELECT dataeng.dimension_refresh('vb') = dataeng.dimension_refresh('vb_sql') AS same_changes;
SELECT count(*) - :versions_before > 350 AS versions_written FROM vb;
-- (the failed refresh drew surrogate keys: the twins' differ from here on)
SELECT current_diff, not_one_current, history_diff, order_diff, bad_validity FROM vb_check();
SELECT count(*) AS differing_but_keys
  FROM ((SELECT id, name, city, valid_from, valid_to, is_current, tag FROM vb
         EXCEPT ALL SELECT id, name, city, valid_from, valid_to, is_current, tag FROM vb_sql)
        UNION ALL (SELECT id, name, city, valid_from, valid_to, is_current, tag FROM vb_sql
                   EXCEPT ALL SELECT id, name, city, valid_from, valid_to, is_current, tag FROM vb)) x;

SELECT dataeng.dimension_drop('vb');
SELECT dataeng.dimension_drop('vb_sql');
DROP TABLE vb_src, vb_hist, vb_rounds;
DROP PROCEDURE vb_run;
DROP FUNCTION vb_check, vb_log, vb_noop;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
