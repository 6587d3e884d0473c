-- Dimensions: the ALTER TABLE of a source whose name, once the statement
-- is done, names another table.  The event trigger's first, cheap check
-- (src/cdc/ddl_gate.c) looked the statement's table name up again at its
-- end: a statement that changed what the name names (a volatile DEFAULT
-- or USING expression that sets the search_path) made it look at the
-- other table and skip the dimension, which then kept the values of a
-- dropped column under the name of the one added.  It reads the altered tables' oids
-- now, as the SQL after it does.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE sh_src (id int PRIMARY KEY, a text, b text);
INSERT INTO sh_src SELECT g, 'a' || g, 'b' || g FROM generate_series(1, 4) g;
SELECT dataeng.dimension_create('sh1', 'sh_src', 'id', '{a,b}', 1, schedule => NULL);
CREATE SCHEMA sh_other;
CREATE TABLE sh_other.sh_src (id int);

-- a copied column dropped, and one added under its name whose DEFAULT
-- sets the search_path so that sh_src names sh_other.sh_src
CREATE FUNCTION sh_default() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('search_path', 'sh_other, public', false);
  RETURN 'new';
END $$;
UPDATE sh_src SET b = 'B' || id WHERE id <= 2;
ALTER TABLE sh_src DROP COLUMN b;
ALTER TABLE sh_src ADD COLUMN b text DEFAULT sh_default();
SHOW search_path;
RESET search_path;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name = 'sh1';
SELECT dataeng.dimension_refresh('sh1') >= 0 AS refreshed;
SELECT (SELECT count(*) FROM (SELECT id, a, b FROM sh_src EXCEPT ALL SELECT id, a, b FROM sh1) x) AS src_not_in_sh1,
       (SELECT count(*) FROM (SELECT id, a, b FROM sh1 EXCEPT ALL SELECT id, a, b FROM sh_src) x) AS sh1_not_in_src;

SELECT dataeng.dimension_drop('sh1');
DROP TABLE sh_src;
DROP SCHEMA sh_other CASCADE;
DROP FUNCTION sh_default;
DROP EXTENSION dataeng CASCADE;
