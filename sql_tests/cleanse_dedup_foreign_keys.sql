-- Duplicate records referenced by foreign keys.  A foreign key ON DELETE
-- CASCADE (or SET NULL, SET DEFAULT) made dedupe() delete (or change) the
-- rows of another table referencing a deleted duplicate, silently, and
-- dedupe_undo() put the duplicate back without them: dedupe refuses such a
-- table before changing anything.  NO ACTION refuses the delete of a
-- referenced row itself; once the references point at the row to keep,
-- the run and its undo work (twice is refused).
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

CREATE TABLE cust (id int PRIMARY KEY, name text, email text, city text);
INSERT INTO cust VALUES (1, 'Ada Lovelace', 'ada@example.com', 'London'), (2, 'Ada  LOVELACE', 'ada@example.com', 'london'),
                        (3, 'Bob Jones', 'bob@example.org', 'Paris'), (4, 'Bob Jones', 'bob@example.org', 'Paris'),
                        (5, 'Carl Sagan', 'c@example.net', 'Ithaca'), (6, 'Dana Scully', 'dana@example.gov', 'DC');
CREATE TABLE orders (id int PRIMARY KEY, cust_id int REFERENCES cust ON DELETE CASCADE);
INSERT INTO orders VALUES (1, 1), (2, 2), (3, 3), (4, 4);
SELECT count(*) AS duplicates FROM dataeng.find_duplicates('cust', '{name,email,city}', key_column => 'id');
-- refused: the orders of the duplicates would have gone with them
SELECT * FROM dataeng.dedupe('cust', '{name,email,city}');
SELECT count(*) AS orders FROM orders;
SELECT count(*) AS cust FROM cust;
SELECT count(*) AS runs FROM dataeng.dedupe_runs;

-- SET NULL would have cut the orders from their customer
ALTER TABLE orders DROP CONSTRAINT orders_cust_id_fkey,
  ADD CONSTRAINT orders_cust FOREIGN KEY (cust_id) REFERENCES cust ON DELETE SET NULL;
SELECT * FROM dataeng.dedupe('cust', '{name,email,city}');
SELECT count(*) AS orders_with_customer FROM orders WHERE cust_id IS NOT NULL;

-- a table referencing itself
ALTER TABLE orders DROP CONSTRAINT orders_cust;
ALTER TABLE cust ADD referred_by int REFERENCES cust ON DELETE SET DEFAULT;
SELECT * FROM dataeng.dedupe('cust', '{name,email,city}');
ALTER TABLE cust DROP COLUMN referred_by;

-- a partitioned table referenced as a whole
CREATE TABLE pcust (id int PRIMARY KEY, name text, email text, city text) PARTITION BY RANGE (id);
CREATE TABLE pcust_1 PARTITION OF pcust FOR VALUES FROM (1) TO (4);
CREATE TABLE pcust_2 PARTITION OF pcust FOR VALUES FROM (4) TO (100);
INSERT INTO pcust SELECT * FROM cust;
CREATE TABLE porders (id int PRIMARY KEY, cust_id int REFERENCES pcust ON DELETE CASCADE);
INSERT INTO porders VALUES (1, 2), (2, 4);
SELECT * FROM dataeng.dedupe('pcust', '{name,email,city}');
SELECT count(*) AS porders FROM porders;
-- one partition deduped by itself: the key of the partitioned table
-- reaches its rows too
INSERT INTO pcust VALUES (7, 'Carl Sagan', 'c@example.net', 'Ithaca');
INSERT INTO porders VALUES (3, 7);
SELECT * FROM dataeng.dedupe('pcust_2', '{name,email,city}');
SELECT count(*) AS porders FROM porders;
DROP TABLE porders, pcust;

-- NO ACTION: the referenced duplicate cannot go; pointed at the survivor,
-- it can, and its undo restores it once
ALTER TABLE orders ADD CONSTRAINT orders_cust FOREIGN KEY (cust_id) REFERENCES cust;
SELECT * FROM dataeng.dedupe('cust', '{name,email,city}');
UPDATE orders SET cust_id = 1 WHERE cust_id = 2;
UPDATE orders SET cust_id = 3 WHERE cust_id = 4;
SELECT clusters, rows_deleted FROM dataeng.dedupe('cust', '{name,email,city}');
SELECT id FROM cust ORDER BY id;
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
\set VERBOSITY terse
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
\set VERBOSITY default
SELECT id FROM cust ORDER BY id;

DROP TABLE orders, cust;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
