-- Table rules against Great Expectations' own test vectors
-- (sql_tests/data/great_expectations/, Apache-2.0; made by
-- sql_tests/data/make_ge_cases.py).  Each case builds GE's dataset as a
-- table, adds the dataeng rule its expectation maps onto, validates, and
-- compares `passed` with GE's success, `failed` with the number of
-- unexpected values (and the values themselves, up to 20), and the row count
-- with GE's observed value.  A case GE expects to fail with an error agrees
-- when rule_add or validate raises one.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'
SET client_min_messages = warning;

CREATE TABLE ge_lines (n serial, line jsonb);
\copy ge_lines (line) FROM 'sql_tests/data/great_expectations/ge_cases.jsonl' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE TABLE ge_results (n int, title text, expectation text, ours text, expected text, agree boolean);

CREATE FUNCTION pg_temp.ge_case(n int, c jsonb, d jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  exp jsonb := c->'expect';
  stage text := 'load';
  err text;
  passed boolean;
  failed bigint;
  sample jsonb;
  coltype text;
  ours_vals text;
  ge_vals text;
  nrows bigint;
  ours text;
  expected text;
  ok boolean;
BEGIN
  BEGIN
    EXECUTE format('CREATE TABLE ge_t (%s)',
                   (SELECT string_agg(format('%I %s', x->>0, x->>1), ', ') FROM jsonb_array_elements(d->'columns') x));
    EXECUTE 'INSERT INTO ge_t SELECT * FROM jsonb_populate_recordset(NULL::ge_t, $1)' USING d->'rows';
    stage := 'rule';
    PERFORM dataeng.rule_add('ge_t', 'ge', c->>'kind', c->>'column', c->'params');
    SELECT v.passed, v.failed, v.sample INTO passed, failed, sample FROM dataeng.validate('ge_t') v;
    SELECT count(*) INTO nrows FROM ge_t;
    IF c->>'column' IS NOT NULL AND sample IS NOT NULL THEN
      SELECT x->>1 INTO coltype FROM jsonb_array_elements(d->'columns') x WHERE x->>0 = c->>'column';
      EXECUTE format('SELECT array_agg(v::%1$s::text ORDER BY v::%1$s)::text FROM jsonb_array_elements($1) s, '
                     'LATERAL (SELECT s->>''value'') x(v)', coltype)
        INTO ours_vals USING sample;
      IF exp ? 'unexpected_list' THEN
        EXECUTE format('SELECT array_agg(v::%1$s::text ORDER BY v::%1$s)::text FROM jsonb_array_elements_text($1) v', coltype)
          INTO ge_vals USING exp->'unexpected_list';
      END IF;
    ELSIF c->'params' ? 'columns' AND sample IS NOT NULL THEN
      -- rows as JSON objects, compared as jsonb (1.0 = 1)
      SELECT array_agg(s->'value' ORDER BY s->'value')::text INTO ours_vals FROM jsonb_array_elements(sample) s;
      SELECT array_agg(v ORDER BY v)::text INTO ge_vals FROM jsonb_array_elements(exp->'unexpected_list') v;
      IF (SELECT array_agg(s->'value' ORDER BY s->'value') FROM jsonb_array_elements(sample) s)
         = (SELECT array_agg(v ORDER BY v) FROM jsonb_array_elements(exp->'unexpected_list') v) THEN
        ge_vals := ours_vals;
      END IF;
    END IF;
    -- undo the case's table, rule and run
    RAISE EXCEPTION USING ERRCODE = 'DE999';
  EXCEPTION
    WHEN SQLSTATE 'DE999' THEN NULL;
    WHEN OTHERS THEN err := stage || ' error: ' || SQLERRM;
  END;

  IF exp ? 'error' THEN
    expected := 'error';
    ours := coalesce(err, format('passed=%s failed=%s', passed, failed));
    ok := coalesce(err LIKE 'rule error:%', false);
  ELSIF err IS NOT NULL THEN
    expected := format('success=%s', exp->>'success');
    ours := err;
    ok := false;
  ELSE
    expected := format('success=%s', exp->>'success');
    ours := format('passed=%s', passed);
    ok := passed = (exp->>'success')::boolean;
    IF exp ? 'unexpected_list' AND c->>'kind' <> 'row_count' THEN
      expected := expected || format(' unexpected=%s', jsonb_array_length(exp->'unexpected_list'));
      ours := ours || format(' failed=%s', failed);
      ok := ok AND failed = jsonb_array_length(exp->'unexpected_list');
      IF ok AND failed BETWEEN 1 AND 20 AND ge_vals IS NOT NULL THEN
        ok := ours_vals IS NOT DISTINCT FROM ge_vals;
        IF NOT ok THEN
          expected := expected || ' ' || ge_vals;
          ours := ours || ' ' || coalesce(ours_vals, '{}');
        END IF;
      END IF;
    END IF;
    IF exp ? 'observed_value' THEN
      expected := expected || format(' rows=%s', exp->>'observed_value');
      ours := ours || format(' rows=%s', nrows);
      ok := ok AND nrows = (exp->>'observed_value')::bigint;
    END IF;
  END IF;
  INSERT INTO ge_results VALUES (n, c->>'title', c->>'expectation', ours, expected, coalesce(ok, false));
END;
$$;

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT c.n, c.line AS test, d.line AS dataset
             FROM ge_lines c JOIN ge_lines d ON d.line->'dataset' = c.line->'dataset' AND d.line ? 'rows'
            WHERE c.line ? 'kind' ORDER BY c.n LOOP
    PERFORM pg_temp.ge_case(t.n, t.test, t.dataset);
  END LOOP;
END $$;

-- the tally
SELECT (SELECT count(*) FROM ge_lines WHERE NOT line ? 'rows') AS ge_tests,
       count(*) AS cases_run,
       count(*) FILTER (WHERE agree) AS agree,
       count(*) FILTER (WHERE NOT agree) AS disagree
  FROM ge_results;
SELECT expectation, count(*) AS run, count(*) FILTER (WHERE agree) AS agree
  FROM ge_results GROUP BY expectation ORDER BY expectation;
-- every disagreement (explained in docs/validate.md, "Deviations from Great Expectations")
SELECT title, expected, ours FROM ge_results WHERE NOT agree ORDER BY n;
-- tests not run, by reason
SELECT line->>'skip' AS reason, count(*) AS tests
  FROM ge_lines WHERE line ? 'skip' GROUP BY 1 ORDER BY 2 DESC, 1;
SELECT line->>'expectation' AS no_counterpart, count(*) AS tests
  FROM ge_lines WHERE line->>'skip' = 'no dataeng kind' GROUP BY 1 ORDER BY 1;

DROP TABLE ge_lines, ge_results;
DROP EXTENSION dataeng;
