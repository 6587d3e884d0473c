-- Dimensions: the C apply's lookups walk the leaves of the key's index
-- (src/aggregate/dimension.c, dim_walk_tids()): each key is searched from
-- the leaf where the previous one ended when it comes after it in the
-- index's order, else from the root.  Keys sorted by their bytes (a text
-- key under a deterministic collation) come in another order than the
-- index's when the collation orders them otherwise: here an ICU collation
-- puts 'a' before 'B', bytes the other way round.  Long keys make few
-- entries per leaf, so that the keys changed lie on many leaves, and the
-- dimension's inserts split them while the refresh walks them.  After
-- every refresh the type 1 dimension equals the source, the type 2
-- dimension's current versions too, and every change of a tracked
-- attribute made one version.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
CREATE COLLATION dw_icu (provider = icu, locale = 'en');

CREATE TABLE dw_src (k text COLLATE dw_icu PRIMARY KEY, v text, n int);
-- keys of 300 characters: 'a0001...', 'B0001...', 'c0001...' and so on
CREATE FUNCTION dw_key(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rpad((ARRAY['a', 'B', 'c', 'D'])[i % 4 + 1] || lpad(i::text, 5, '0'), 300, 'x')
$$;
INSERT INTO dw_src SELECT dw_key(g), 'v' || g, 0 FROM generate_series(1, 2000) g;
SELECT dataeng.dimension_create('dw1', 'dw_src', 'k', ARRAY['v'], 1, schedule => NULL);
SELECT dataeng.dimension_create('dw2', 'dw_src', 'k', ARRAY['v'], 2, schedule => NULL);
-- both are applied in C
SELECT d.name, coalesce(a.path, 'C') AS path
  FROM dataeng.dimensions d,
       dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
                                   ARRAY[false, false]) a
 WHERE d.name IN ('dw1', 'dw2') ORDER BY d.name;

-- every version opened by a change of v, per key
CREATE TABLE dw_expect (k text COLLATE dw_icu PRIMARY KEY, versions int);
INSERT INTO dw_expect SELECT k, 1 FROM dw_src;

CREATE FUNCTION dw_check() RETURNS TABLE (what text, differing bigint) LANGUAGE sql AS $$
  SELECT 'type 1 vs source', count(*) FROM
    ((SELECT k, v FROM dw1 EXCEPT ALL SELECT k, v FROM dw_src)
     UNION ALL (SELECT k, v FROM dw_src EXCEPT ALL SELECT k, v FROM dw1)) x
  UNION ALL
  SELECT 'type 2 current vs source', count(*) FROM
    ((SELECT k, v FROM dw2 WHERE is_current EXCEPT ALL SELECT k, v FROM dw_src)
     UNION ALL (SELECT k, v FROM dw_src EXCEPT ALL SELECT k, v FROM dw2 WHERE is_current)) x
  UNION ALL
  SELECT 'type 2 versions', count(*) FROM
    (SELECT k, count(*) AS versions FROM dw2 GROUP BY k) d
    FULL JOIN dw_expect e USING (k)
   WHERE d.versions IS DISTINCT FROM e.versions
$$;

-- One round: every 7th key (from a start) has v changed, every 11th has
-- only n changed, every 13th is deleted, and new keys come (among the old
-- ones, in the index's order); some keys change twice.
CREATE FUNCTION dw_round(r int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE dw_src SET v = v || '.' || r WHERE k IN (SELECT dw_key(g) FROM generate_series(r, 2000 + 200 * r, 7) g);
  UPDATE dw_expect e SET versions = versions + 1
   WHERE k IN (SELECT dw_key(g) FROM generate_series(r, 2000 + 200 * r, 7) g) AND EXISTS (SELECT 1 FROM dw_src s WHERE s.k = e.k);
  UPDATE dw_src SET n = n + 1 WHERE k IN (SELECT dw_key(g) FROM generate_series(r, 2000 + 200 * r, 11) g);
  UPDATE dw_src SET v = v || '!' WHERE k IN (SELECT dw_key(g) FROM generate_series(r, 2000 + 200 * r, 17) g);
  UPDATE dw_expect e SET versions = versions + 1
   WHERE k IN (SELECT dw_key(g) FROM generate_series(r, 2000 + 200 * r, 17) g) AND EXISTS (SELECT 1 FROM dw_src s WHERE s.k = e.k);
  DELETE FROM dw_src WHERE k IN (SELECT dw_key(g) FROM generate_series(r + 3, 2000 + 200 * r, 13) g);
  INSERT INTO dw_src SELECT dw_key(g), 'new' || g, 0 FROM generate_series(2000 + 200 * (r - 1) + 1, 2000 + 200 * r) g;
  INSERT INTO dw_expect SELECT dw_key(g), 1 FROM generate_series(2000 + 200 * (r - 1) + 1, 2000 + 200 * r) g;
END $$;

SELECT dw_round(1);
SELECT dataeng.dimension_refresh('dw1') > 0 AS dw1, dataeng.dimension_refresh('dw2') > 0 AS dw2;
SELECT * FROM dw_check();
SELECT dw_round(2);
SELECT dataeng.dimension_refresh('dw1') > 0 AS dw1, dataeng.dimension_refresh('dw2') > 0 AS dw2;
SELECT * FROM dw_check();

-- a key deleted and inserted again, and changed again, over several
-- refreshes: its old entries stay in the index (nothing vacuums it)
SELECT dw_round(3);
DELETE FROM dw_src WHERE k = dw_key(501);
SELECT dataeng.dimension_refresh('dw1') > 0 AS dw1, dataeng.dimension_refresh('dw2') > 0 AS dw2;
INSERT INTO dw_src VALUES (dw_key(501), 'back', 0);
UPDATE dw_expect SET versions = versions + 1 WHERE k = dw_key(501);
SELECT dataeng.dimension_refresh('dw1') > 0 AS dw1, dataeng.dimension_refresh('dw2') > 0 AS dw2;
SELECT * FROM dw_check();

-- the walk sees the dimension's splits: the leaves it walks are split by
-- its own inserts (every key new, among the old ones in the index's order)
INSERT INTO dw_src SELECT left(dw_key(g), 299) || 'z', 'between', 0 FROM generate_series(1, 6000, 2) g;
INSERT INTO dw_expect SELECT left(dw_key(g), 299) || 'z', 1 FROM generate_series(1, 6000, 2) g;
SELECT dataeng.dimension_refresh('dw1') AS dw1, dataeng.dimension_refresh('dw2') AS dw2;
SELECT * FROM dw_check();

-- keys of 3,000 characters, stored compressed in the index (past a
-- fraction of a page, index_form_tuple() compresses them): a leaf that
-- holds one is searched under the collation, not by the keys' bytes
INSERT INTO dw_src SELECT repeat(dw_key(g), 10), 'long', 0 FROM generate_series(1, 40) g;
INSERT INTO dw_expect SELECT repeat(dw_key(g), 10), 1 FROM generate_series(1, 40) g;
SELECT dataeng.dimension_refresh('dw1') AS dw1, dataeng.dimension_refresh('dw2') AS dw2;
UPDATE dw_src SET v = 'longer' WHERE k IN (SELECT repeat(dw_key(g), 10) FROM generate_series(1, 40, 3) g);
UPDATE dw_expect SET versions = versions + 1 WHERE k IN (SELECT repeat(dw_key(g), 10) FROM generate_series(1, 40, 3) g);
DELETE FROM dw_src WHERE k IN (SELECT repeat(dw_key(g), 10) FROM generate_series(2, 40, 5) g);
UPDATE dw_src SET v = v || '.' WHERE k IN (SELECT dw_key(g) FROM generate_series(1, 40, 3) g);
UPDATE dw_expect SET versions = versions + 1 WHERE k IN (SELECT dw_key(g) FROM generate_series(1, 40, 3) g)
   AND k IN (SELECT k FROM dw_src);
SELECT dataeng.dimension_refresh('dw1') AS dw1, dataeng.dimension_refresh('dw2') AS dw2;
SELECT * FROM dw_check();

-- called directly under SERIALIZABLE, the apply's lookups take the
-- predicate locks an index scan takes (each leaf read), also for a key
-- found absent (rolled back: the refresh itself runs in READ COMMITTED)
UPDATE dw_src SET v = v || '?' WHERE k = dw_key(7);
INSERT INTO dw_src VALUES (dw_key(900000), 'last', 0);
SELECT dataeng_internal._cdc_tick(true) > 0 AS ticked;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT coalesce(a.path, 'C') AS path, a.n_changes
  FROM dataeng.dimensions d,
       dataeng_internal._dim_apply('dim:' || d.name, d.source, d.key_column, d.attributes, d."table", d.scd_type,
                                   ARRAY[false, false]) a
 WHERE d.name = 'dw1';
SELECT count(*) > 0 AS leaves_read_locked
  FROM pg_catalog.pg_locks l
 WHERE l.pid = pg_backend_pid() AND l.mode = 'SIReadLock' AND l.locktype IN ('page', 'relation')
   AND l.relation = (SELECT x.indexrelid FROM pg_index x WHERE x.indrelid = 'dw1'::regclass AND x.indisunique);
ROLLBACK;
DELETE FROM dw_src WHERE k = dw_key(900000);
SELECT dataeng.dimension_refresh('dw1') AS dw1;
SELECT * FROM dw_check() WHERE what = 'type 1 vs source';

-- (dw2 catches up: a version more of key 7, and one of the key inserted
-- and deleted above)
UPDATE dw_expect SET versions = versions + 1 WHERE k = dw_key(7);
INSERT INTO dw_expect VALUES (dw_key(900000), 1);
SELECT dataeng.dimension_refresh('dw2') AS dw2;
SELECT * FROM dw_check();

-- events past the sort's memory (maintenance_work_mem and work_mem at
-- their least): the sort spills to disk, and the events, read a batch of
-- keys at a time, are copied out of it (dim_batch_read()); every key
-- changed twice, the second change its key's last event (type 1), each
-- a version of its own (type 2)
SET maintenance_work_mem = '1MB';
SET work_mem = '64kB';
UPDATE dw_src SET v = v || '+';
UPDATE dw_src SET v = v || '-';
UPDATE dw_expect e SET versions = versions + 2 WHERE e.k IN (SELECT k FROM dw_src);
SELECT dataeng.dimension_refresh('dw1') AS dw1, dataeng.dimension_refresh('dw2') AS dw2;
SELECT * FROM dw_check();
RESET maintenance_work_mem;
RESET work_mem;

SELECT dataeng.dimension_drop('dw1');
SELECT dataeng.dimension_drop('dw2');
DROP TABLE dw_src, dw_expect;
DROP FUNCTION dw_key, dw_check, dw_round;
DROP COLLATION dw_icu;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
