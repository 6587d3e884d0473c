-- The one-pass check of dedupe_undo_clusters() for keys taken again
-- compares a deleted row's key with the table's by the equality operator
-- of the index's operator class, named by its schema and name.  Looked up
-- for the type of the indexed column (varchar here, or a domain), while
-- the operator class's is for text, an operator another role created in
-- that schema for that very type is an exact match, chosen over the
-- class's: its code ran as the table's owner, whoever ran the undo.  Both
-- sides are now cast to the class's type, whose operator is then the
-- exact match.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;
CREATE ROLE ddr_op_owner;
CREATE ROLE ddr_op_other;
-- an operator class in a schema others may create in (as an extension's)
CREATE SCHEMA ddr_ops;
GRANT USAGE ON SCHEMA ddr_ops TO PUBLIC;
GRANT CREATE ON SCHEMA ddr_ops TO ddr_op_other;
CREATE OPERATOR ddr_ops.< (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_catalog.text_lt);
CREATE OPERATOR ddr_ops.<= (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_catalog.text_le);
CREATE OPERATOR ddr_ops.= (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_catalog.texteq,
                           RESTRICT = eqsel, JOIN = eqjoinsel, MERGES, HASHES);
CREATE OPERATOR ddr_ops.>= (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_catalog.text_ge);
CREATE OPERATOR ddr_ops.> (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_catalog.text_gt);
CREATE OPERATOR CLASS ddr_ops.ddr_text_ops FOR TYPE text USING btree AS
  OPERATOR 1 ddr_ops.<, OPERATOR 2 ddr_ops.<=, OPERATOR 3 ddr_ops.=, OPERATOR 4 ddr_ops.>=,
  OPERATOR 5 ddr_ops.>, FUNCTION 1 pg_catalog.bttextcmp(text, text);

CREATE TABLE ddr_op_secret (secret text);
INSERT INTO ddr_op_secret VALUES ('the owner''s');
CREATE TABLE ddr_opt (id int PRIMARY KEY, name text, email text, code varchar(10));
CREATE UNIQUE INDEX ddr_opt_code ON ddr_opt (code ddr_ops.ddr_text_ops);
INSERT INTO ddr_opt VALUES (1, 'Ada Lovelace', 'ada@example.com', 'k1'), (2, 'ADA LOVELACE', 'ada@example.com', 'k2'),
                           (3, 'Bob Jones', 'bob@example.org', 'm3'), (4, 'BOB JONES', 'bob@example.org', 'm4');
ALTER TABLE ddr_op_secret OWNER TO ddr_op_owner;
ALTER TABLE ddr_opt OWNER TO ddr_op_owner;
SELECT run_id AS ddr_op_run FROM dataeng.dedupe('ddr_opt', '{name,email}', keep => 'first', order_by => 'id') \gset
INSERT INTO ddr_opt VALUES (9, 'Cy', 'cy@example.com', 'k2');  -- cluster 1's key taken

-- another role adds an equality for varchar to that schema
SET ROLE ddr_op_other;
CREATE FUNCTION ddr_ops.ddr_op_eq(varchar, varchar) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'ddr_op_eq runs as %', current_user;
  DELETE FROM public.ddr_op_secret;
  RETURN false;
END;
$$;
CREATE OPERATOR ddr_ops.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = ddr_ops.ddr_op_eq);
RESET ROLE;

-- a superuser undoes the run: cluster 1 reported, cluster 2 undone, and
-- that role's code never run (no notice, the owner's table untouched)
SELECT cluster_id, undone, rows_inserted, sqlstate, detail FROM dataeng.dedupe_undo_clusters(:ddr_op_run);
SELECT * FROM ddr_op_secret;
SELECT id, code FROM ddr_opt ORDER BY id;

SELECT dataeng.dedupe_forget(:ddr_op_run);
SET client_min_messages = warning;
DROP TABLE ddr_opt, ddr_op_secret;
DROP SCHEMA ddr_ops CASCADE;
DROP ROLE ddr_op_owner, ddr_op_other;
DROP EXTENSION dataeng CASCADE;
