-- dedupe_undo() puts back only the values the fill changed: a survivor's
-- json column that the fill never touched keeps its text (set from the
-- logged row, read through jsonb, it lost its spacing and repeated keys).
CREATE EXTENSION dataeng;

CREATE TABLE ddj_docs (id int PRIMARY KEY, name text, note text, doc json);
INSERT INTO ddj_docs VALUES (1, 'a', NULL, '{"k":1,  "k":2}'), (2, 'a', 'n2', '[ 1 ]'),
                            (3, 'b', NULL, '{ "z" : true }'), (4, 'b', NULL, NULL);
CREATE TABLE ddj_before AS SELECT * FROM ddj_docs;
SELECT rows_deleted, rows_filled
  FROM dataeng.dedupe('ddj_docs', '{name}', keep => 'first', order_by => 'id', fill_nulls => true);
SELECT id, note, doc::text FROM ddj_docs ORDER BY id;
SELECT dataeng.dedupe_undo(run_id) AS restored FROM dataeng.dedupe_runs WHERE table_name = 'ddj_docs'::regclass;
-- the survivors as they were (the deleted rows' json comes back as jsonb wrote it)
SELECT b.id, b.doc::text AS doc_before, p.doc::text AS doc_now
  FROM ddj_before b JOIN ddj_docs p ON p.id = b.id
 WHERE b.id IN (1, 3) AND (b.note IS DISTINCT FROM p.note OR b.doc::text IS DISTINCT FROM p.doc::text)
 ORDER BY b.id;
SELECT count(*) AS rows_now FROM ddj_docs;

SELECT dataeng.dedupe_forget(run_id) FROM dataeng.dedupe_runs WHERE table_name = 'ddj_docs'::regclass;
DROP TABLE ddj_docs, ddj_before;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
