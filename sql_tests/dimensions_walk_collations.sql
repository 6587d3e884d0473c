-- Dimensions: a text key under a deterministic collation is searched on a
-- leaf by its bytes, the position checked under the collation
-- (src/aggregate/btwalk.c).  Keys whose order under the collation is not
-- their bytes' order: ICU collations (German, root, numeric ordering), a
-- nondeterministic one (never searched by bytes), "C"; keys that differ
-- only by normalisation (U+00E9 and e + U+0301), sharp s and ss, the empty
-- string, keys long enough to be stored compressed in the index, text and
-- varchar.  Random changes over a few refreshes (a fixed seed): after each
-- the type 1 dimension equals the source, and the type 2 dimension's
-- current versions too.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
CREATE COLLATION dwc_kn (provider = icu, locale = 'en-u-kn-true');
CREATE COLLATION dwc_nd (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT setseed(0.42);

CREATE FUNCTION dwc_key(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE i % 9
    WHEN 0 THEN CASE WHEN i = 9 THEN '' ELSE 'x' || i END
    WHEN 1 THEN 'e' || U&'\0301' || i
    WHEN 2 THEN U&'\00E9' || i
    WHEN 3 THEN 'A' || i
    WHEN 4 THEN 'a' || i || repeat('z', 3000)
    WHEN 5 THEN '10' || i
    WHEN 6 THEN 'x-' || i || ' '
    WHEN 7 THEN U&'\00DF' || i
    ELSE 'ss' || i END
$$;
CREATE TABLE dwc_result (coll text, typ text, round int, path1 text, path2 text, type1_differing bigint,
                         type2_differing bigint);

CREATE PROCEDURE dwc_run(coll text, typ text) LANGUAGE plpgsql AS $$
DECLARE
  r int;
  d1 bigint;
  d2 bigint;
  p1 text;
  p2 text;
BEGIN
  EXECUTE format('CREATE TABLE dwc_src (k %s COLLATE %I PRIMARY KEY, v text)', typ, coll);
  INSERT INTO dwc_src SELECT dwc_key(g), 'v' || g FROM generate_series(1, 1500) g;
  PERFORM dataeng.dimension_create('dwc1', 'dwc_src', 'k', ARRAY['v'], 1, schedule => NULL);
  PERFORM dataeng.dimension_create('dwc2', 'dwc_src', 'k', ARRAY['v'], 2, schedule => NULL);
  SELECT coalesce(a.path, 'C') INTO p1 FROM dataeng.dimensions d,
         dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
                                     ARRAY[false, false]) a WHERE d.name = 'dwc1';
  SELECT coalesce(a.path, 'C') INTO p2 FROM dataeng.dimensions d,
         dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
                                     ARRAY[false, false]) a WHERE d.name = 'dwc2';
  COMMIT;
  FOR r IN 1..3 LOOP
    UPDATE dwc_src SET v = v || '.' || r WHERE random() < 0.2;
    DELETE FROM dwc_src WHERE random() < 0.05;
    INSERT INTO dwc_src SELECT dwc_key(g), 'n' || g FROM generate_series(1, 1500 + 300 * r) g
     WHERE random() < 0.3 ON CONFLICT DO NOTHING;
    COMMIT;
    PERFORM dataeng.dimension_refresh('dwc1');
    PERFORM dataeng.dimension_refresh('dwc2');
    SELECT count(*) INTO d1 FROM
      ((SELECT k::text, v FROM dwc1 EXCEPT ALL SELECT k::text, v FROM dwc_src)
       UNION ALL (SELECT k::text, v FROM dwc_src EXCEPT ALL SELECT k::text, v FROM dwc1)) x;
    SELECT count(*) INTO d2 FROM
      ((SELECT k::text, v FROM dwc2 WHERE is_current EXCEPT ALL SELECT k::text, v FROM dwc_src)
       UNION ALL (SELECT k::text, v FROM dwc_src EXCEPT ALL SELECT k::text, v FROM dwc2 WHERE is_current)) x;
    INSERT INTO dwc_result VALUES (coll, typ, r, p1, p2, d1, d2);
    COMMIT;
  END LOOP;
  PERFORM dataeng.dimension_drop('dwc1');
  PERFORM dataeng.dimension_drop('dwc2');
  DROP TABLE dwc_src;
  COMMIT;
END $$;

CALL dwc_run('de-x-icu', 'text');
CALL dwc_run('und-x-icu', 'varchar');
CALL dwc_run('dwc_kn', 'text');
CALL dwc_run('dwc_nd', 'text');
CALL dwc_run('C', 'varchar');
SELECT * FROM dwc_result ORDER BY coll, typ, round;

DROP PROCEDURE dwc_run;
DROP FUNCTION dwc_key;
DROP TABLE dwc_result;
DROP COLLATION dwc_kn;
DROP COLLATION dwc_nd;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
