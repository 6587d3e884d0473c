-- The WAL worker evaluates a dropped table's generated-column expression
-- only when every function it would call is built in and immutable
-- (src/cdc/wal_generated.c, cdc_wal_gen_check), checked again on the
-- description it reads.  A ScalarArrayOpExpr carries two more functions
-- the executor calls when they are set (hashfuncid, and negfuncid for NOT
-- IN): a description whose x = ANY (...) names a role's function there
-- (changed here by a superuser after the DROP wrote it) is refused, and
-- that function never runs; the table's changes of the transaction are
-- not recorded.  An untouched twin is recorded, with its computed column.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE wgr_kept (id int PRIMARY KEY);
CREATE TABLE wgr_calls (n int);
CREATE FUNCTION wgr_hash(int) RETURNS int LANGUAGE plpgsql VOLATILE AS
$$ BEGIN INSERT INTO wgr_calls VALUES ($1); RETURN $1; END $$;
CREATE TABLE wgr_gen (id int PRIMARY KEY,
                      g boolean GENERATED ALWAYS AS (id = ANY ('{1,2,3}'::int[])) STORED);
CREATE TABLE wgr_gen_neg (id int PRIMARY KEY,
                          g boolean GENERATED ALWAYS AS (id <> ALL ('{1,2,3}'::int[])) STORED);
CREATE TABLE wgr_gen_ok (LIKE wgr_gen INCLUDING ALL);
SELECT dataeng.cdc_enable('wgr_kept', method => 'wal');
SELECT dataeng.cdc_enable(t, method => 'wal')
  FROM unnest(ARRAY['wgr_gen', 'wgr_gen_neg', 'wgr_gen_ok']) AS t;
SELECT dataeng.cdc_wal_sync();
SELECT 'wgr_gen'::regclass::oid AS gen_oid, 'wgr_gen_neg'::regclass::oid AS neg_oid,
       'wgr_gen_ok'::regclass::oid AS ok_oid \gset
BEGIN;
INSERT INTO wgr_gen VALUES (1), (7);
INSERT INTO wgr_gen_neg VALUES (1), (7);
INSERT INTO wgr_gen_ok VALUES (2);
DROP TABLE wgr_gen, wgr_gen_neg, wgr_gen_ok;
SELECT table_ident, generated_exprs[1] LIKE '%:hashfuncid 0 :negfuncid 0 %' AS plain_saop
  FROM dataeng_internal.cdc_wal_dropped ORDER BY table_ident;
UPDATE dataeng_internal.cdc_wal_dropped
   SET generated_exprs[1] = replace(generated_exprs[1], ':hashfuncid 0 ',
                                    format(':hashfuncid %s ', 'wgr_hash(int)'::regprocedure::oid))
 WHERE table_oid = :gen_oid;
UPDATE dataeng_internal.cdc_wal_dropped
   SET generated_exprs[1] = replace(generated_exprs[1], ':hashfuncid 0 :negfuncid 0 ',
                                    format(':hashfuncid %s :negfuncid %s ',
                                           'hashint4(int)'::regprocedure::oid,
                                           'wgr_hash(int)'::regprocedure::oid))
 WHERE table_oid = :neg_oid;
INSERT INTO wgr_kept VALUES (1);
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT table_oid = :ok_oid AS ok_table, op, pk, new_row FROM dataeng_internal.change_log
 WHERE table_oid IN (:gen_oid, :neg_oid, :ok_oid) ORDER BY change_id;
SELECT count(*) AS role_function_calls FROM wgr_calls;
SELECT op, pk FROM dataeng_internal.change_log WHERE table_oid = 'wgr_kept'::regclass;
SELECT count(*) AS descriptions_left FROM dataeng_internal.cdc_wal_dropped;

SET client_min_messages = warning;
DROP TABLE wgr_kept, wgr_calls;
DROP FUNCTION wgr_hash(int);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
