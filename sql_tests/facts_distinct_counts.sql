-- The packed counts of a count(DISTINCT) side table (__n): what the
-- functions that read and pack them refuse, and a count the C apply
-- would carry past what a bigint holds (an error, never a count wrapped
-- to below 0 that drops its value from the group).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\set VERBOSITY terse
SELECT dataeng_internal._fact_side_counts('\x'::bytea);
SELECT dataeng_internal._fact_side_counts(dataeng_internal._fact_side_counts_pack(
         ARRAY[1, 127, 128, 16383, 16384, 9223372036854775807]));
-- a 0, cut short (a last byte with the high bit), past 63 bits
SELECT dataeng_internal._fact_side_counts('\x00');
SELECT dataeng_internal._fact_side_counts('\x0180');
SELECT dataeng_internal._fact_side_counts('\xffffffffffffffffff01');
SELECT dataeng_internal._fact_side_counts('\x80808080808080808001');
-- more counts than an array holds: said so, without asking for the memory
SELECT dataeng_internal._fact_side_counts(decode(repeat('01', 150000000), 'hex'));
SELECT dataeng_internal._fact_side_counts_pack(ARRAY[0]::bigint[]);
SELECT dataeng_internal._fact_side_counts_pack(ARRAY[-1]::bigint[]);
SELECT dataeng_internal._fact_side_counts_pack(ARRAY[1, NULL]::bigint[]);
SELECT dataeng_internal._fact_side_counts_pack('{{1,2},{3,4}}'::bigint[]);
SELECT dataeng_internal._fact_side_counts_pack('{}'::bigint[]);

CREATE SCHEMA dc;
CREATE TABLE dc.src (id int PRIMARY KEY, at timestamptz NOT NULL, g text, v int);
INSERT INTO dc.src VALUES (1, '2025-04-01', 'a', 5), (2, '2025-04-01', 'a', 6);
SELECT dataeng.fact_create('dc.f', 'dc.src', 'at', 'day', ARRAY['g'], ARRAY['count(DISTINCT v)'],
                           schedule => NULL) IS NOT NULL AS created;
-- the owner sets value 5's count to the largest bigint: one more row of
-- it is refused (it was wrapped below 0, and 5 left the group)
UPDATE dc.f_distinct SET __n = dataeng_internal._fact_side_counts_pack(ARRAY[9223372036854775807, 1]);
INSERT INTO dc.src VALUES (3, '2025-04-01', 'a', 5);
SELECT dataeng.fact_refresh('dc.f');
SELECT __a1, dataeng_internal._fact_side_counts(__n) AS counts FROM dc.f_distinct;
SELECT g, count_distinct_v FROM dc.f;

-- A side table its owner altered: a chunk that does not hold a count
-- above 0 for each of its values is refused (XX001, data_corrupted), the
-- chunk left as it is; put back, the refresh goes on.  A chunk whose
-- values were NULL was read as an empty one: its counts were lost and
-- the chunk written over with the new value alone.
UPDATE dc.f_distinct SET __n = dataeng_internal._fact_side_counts_pack(ARRAY[1, 1]);
DELETE FROM dc.src WHERE id = 3;
SELECT dataeng.fact_refresh('dc.f');
CREATE TABLE dc.saved AS SELECT * FROM dc.f_distinct;
CREATE FUNCTION dc.try(what text, alter_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE alter_sql;
  RETURN what || ': altered';
END $$;
CREATE FUNCTION dc.restore() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  UPDATE dc.f_distinct f SET __n = s.__n, __a1 = s.__a1, __v1 = s.__v1 FROM dc.saved s WHERE s.g = f.g;
  RETURN 'restored';
END $$;
INSERT INTO dc.src VALUES (10, '2025-04-01', 'a', 7);
SELECT dc.try('values NULL', 'UPDATE dc.f_distinct SET __a1 = NULL');
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
SELECT dc.try('fewer counts than values', $q$UPDATE dc.f_distinct SET __n = '\x01'$q$);
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
SELECT dc.try('more counts than values', $q$UPDATE dc.f_distinct SET __n = '\x010101'$q$);
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
SELECT dc.try('a NULL value', 'UPDATE dc.f_distinct SET __a1 = ARRAY[5, NULL]');
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
SELECT dc.try('two dimensions', 'UPDATE dc.f_distinct SET __a1 = ARRAY[[5], [6]]');
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
SELECT dc.try('a count of 0', $q$UPDATE dc.f_distinct SET __n = '\x0100'$q$);
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
SELECT dc.try('a count cut short', $q$UPDATE dc.f_distinct SET __n = '\x0181'$q$);
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
SELECT dc.try('a count past 63 bits', $q$UPDATE dc.f_distinct SET __n = '\x01ffffffffffffffffff01'$q$);
SELECT dataeng.fact_refresh('dc.f');
SELECT dc.restore();
-- as made: the refresh goes on
SELECT dataeng.fact_refresh('dc.f') AS applied;
SELECT __a1, dataeng_internal._fact_side_counts(__n) AS counts FROM dc.f_distinct;
SELECT g, count_distinct_v FROM dc.f;

DROP SCHEMA dc CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
