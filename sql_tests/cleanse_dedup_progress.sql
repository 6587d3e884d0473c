-- find_duplicates() and dedupe() on a large table say where they are: a
-- NOTICE with the rows to compare, then one with the candidate pairs;
-- none on a small table
CREATE EXTENSION dataeng;
CREATE TABLE dd_big (id int PRIMARY KEY, full_name text, email text);
-- 49,700 people, 300 of them twice
INSERT INTO dd_big
  SELECT g, 'Person ' || md5(g::text), 'p' || g || '@example.com' FROM generate_series(1, 49700) g;
INSERT INTO dd_big SELECT 100000 + id, full_name, email FROM dd_big WHERE id <= 300;
SELECT count(*) AS rows_in_clusters FROM dataeng.find_duplicates('dd_big', '{full_name,email}', key_column => 'id');
-- one row fewer with values: no NOTICE
UPDATE dd_big SET full_name = NULL, email = NULL WHERE id = 49700;
SELECT count(*) AS rows_in_clusters FROM dataeng.find_duplicates('dd_big', '{full_name,email}', key_column => 'id');
DROP TABLE dd_big;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
