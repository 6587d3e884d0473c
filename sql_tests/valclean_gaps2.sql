-- Gaps of validation and cleansing found in review, one section each.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

-- 1. The guard in quarantine mode checks the row an INSERT ... ON CONFLICT
-- DO UPDATE proposes before PostgreSQL looks for the conflict: a refused
-- upsert row is quarantined as an INSERT's (replaces NULL), and its
-- release, an insert, meets the key.  The refusal says so and how to
-- apply it (it used to speak of an UPDATE's row kept in the table).
CREATE TABLE stock (sku int PRIMARY KEY, qty int);
SELECT dataeng.rule_add('stock', 'qty not negative', 'range', 'qty', '{"min": 0}') > 0 AS added;
SELECT dataeng.guard_enable('stock', 'quarantine');
INSERT INTO stock VALUES (1, 5);
INSERT INTO stock VALUES (1, -3) ON CONFLICT (sku) DO UPDATE SET qty = EXCLUDED.qty;
SELECT row_data, replaces FROM dataeng.quarantine WHERE table_name = 'stock'::regclass;
SELECT dataeng.quarantine_release((SELECT max(quarantine_id) FROM dataeng.quarantine), '{"qty": 3}');
-- the second way the hint gives: the row replaces the table's
BEGIN;
DELETE FROM stock WHERE sku = 1;
SELECT dataeng.quarantine_release((SELECT max(quarantine_id) FROM dataeng.quarantine), '{"qty": 3}');
COMMIT;
SELECT * FROM stock;
SELECT count(*) FROM dataeng.quarantine WHERE table_name = 'stock'::regclass;
