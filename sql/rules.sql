-----------------------------------------------------------------------------
-- Validation: table rules, runs, results, quarantine
--
-- validate(), quarantine_release(), rule_add, rule_drop, guard_enable,
-- guard_disable and the helpers _record_run, _quarantine_put and
-- _quarantine_take are C entry points (src/validate/rules.c) that call their
-- PL/pgSQL body (dataeng_internal._rule_add() and so on, not executable by PUBLIC) as
-- its owner with the role running the calling code (GetUserId()) as first
-- argument, as the CDC entry points do: code of a less privileged role run
-- by a superuser acts as the less privileged role.  The bodies check the
-- caller's rights on the table; a table's rule checks are the table owner's
-- code and run as the table's owner in a security-restricted operation with
-- search_path pinned (dataeng_internal._exec_as, like REFRESH MATERIALIZED VIEW),
-- never as the caller nor as dataeng's owner.  Runs, results, alerts and the
-- quarantine show each role, row by row, only the tables whose rows it may
-- read (dataeng.rows_readable: SELECT, USAGE on the schema, and no
-- row-level security hiding rows from it).
-----------------------------------------------------------------------------

CREATE TABLE dataeng.rules (
  rule_id     bigserial   PRIMARY KEY,
  table_name  regclass    NOT NULL,
  rule_name   text        NOT NULL CHECK (rule_name <> ''),
  kind        text        NOT NULL,
  column_name text,
  params      jsonb       NOT NULL DEFAULT '{}',
  severity    text        NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  name        NOT NULL,
  UNIQUE (table_name, rule_name)
);
COMMENT ON TABLE dataeng.rules IS 'Data quality rules of tables (dataeng.rule_add)';
COMMENT ON COLUMN dataeng.rules.rule_id IS 'Identifier of the rule';
COMMENT ON COLUMN dataeng.rules.table_name IS 'The table the rule checks';
COMMENT ON COLUMN dataeng.rules.rule_name IS 'Name of the rule, unique per table';
COMMENT ON COLUMN dataeng.rules.kind IS 'Kind of check (not_null, unique, accepted_values, range, regex, length, validator, expression...)';
COMMENT ON COLUMN dataeng.rules.column_name IS 'The column checked (NULL for a rule on whole rows)';
COMMENT ON COLUMN dataeng.rules.params IS 'Parameters of the check, as jsonb';
COMMENT ON COLUMN dataeng.rules.severity IS 'error or warning';
COMMENT ON COLUMN dataeng.rules.created_at IS 'When the rule was added';
COMMENT ON COLUMN dataeng.rules.created_by IS 'Role that added the rule';
SELECT pg_catalog.pg_extension_config_dump('dataeng.rules', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.rules_rule_id_seq', '');

CREATE TABLE dataeng.validation_runs (
  run_id       bigserial   PRIMARY KEY,
  table_name   regclass,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  duration     interval    NOT NULL,
  rows_checked bigint      NOT NULL,
  rules        int         NOT NULL,
  failed_rules int         NOT NULL,
  quarantined  bigint      NOT NULL DEFAULT 0,
  run_by       name        NOT NULL,
  dropped_table text
);
COMMENT ON TABLE dataeng.validation_runs IS 'One row per dataeng.validate() run';
COMMENT ON COLUMN dataeng.validation_runs.run_id IS 'Identifier of the run';
COMMENT ON COLUMN dataeng.validation_runs.table_name IS 'The table validated';
COMMENT ON COLUMN dataeng.validation_runs.started_at IS 'When the run started';
COMMENT ON COLUMN dataeng.validation_runs.finished_at IS 'When the run finished';
COMMENT ON COLUMN dataeng.validation_runs.duration IS 'How long the run took';
COMMENT ON COLUMN dataeng.validation_runs.rows_checked IS 'Rows checked';
COMMENT ON COLUMN dataeng.validation_runs.rules IS 'Rules checked';
COMMENT ON COLUMN dataeng.validation_runs.failed_rules IS 'Rules with at least one failing row';
COMMENT ON COLUMN dataeng.validation_runs.quarantined IS 'Rows moved to dataeng.quarantine';
COMMENT ON COLUMN dataeng.validation_runs.run_by IS 'Role that ran validate()';
-- (by table: an sql_drop event trigger detaches a dropped table's rows, ops.sql)
CREATE INDEX validation_runs_table_idx ON dataeng.validation_runs (table_name);
SELECT pg_catalog.pg_extension_config_dump('dataeng.validation_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.validation_runs_run_id_seq', '');

-- validation_results.run_id is a run of validation_runs, but no FOREIGN
-- KEY says so: pg_dump carries both tables' rows as extension
-- configuration, and pg_restore -j loads them in parallel, the results
-- before their runs perhaps (a foreign key made such a restore fail).
-- Deleting or truncating runs deletes their results all the same
-- (_runs_cascade in common.sql).
CREATE TABLE dataeng.validation_results (
  run_id     bigint  NOT NULL,
  table_name regclass,
  rule_name  text    NOT NULL,
  kind       text    NOT NULL,
  severity   text    NOT NULL,
  checked    bigint  NOT NULL,
  failed     bigint  NOT NULL,
  failed_pct numeric NOT NULL,
  passed     boolean NOT NULL,
  sample     jsonb,
  dropped_table text,
  PRIMARY KEY (run_id, rule_name)
);
COMMENT ON TABLE dataeng.validation_results IS 'Per-rule outcome of each validation run, with up to 20 failing samples';
COMMENT ON COLUMN dataeng.validation_results.run_id IS 'The validation run';
COMMENT ON COLUMN dataeng.validation_results.table_name IS 'The table validated';
COMMENT ON COLUMN dataeng.validation_results.rule_name IS 'The rule checked';
COMMENT ON COLUMN dataeng.validation_results.kind IS 'Kind of the rule';
COMMENT ON COLUMN dataeng.validation_results.severity IS 'Severity of the rule';
COMMENT ON COLUMN dataeng.validation_results.checked IS 'Rows checked';
COMMENT ON COLUMN dataeng.validation_results.failed IS 'Rows that failed the rule';
COMMENT ON COLUMN dataeng.validation_results.failed_pct IS 'Percentage of the rows checked that failed';
COMMENT ON COLUMN dataeng.validation_results.passed IS 'Whether no row failed';
COMMENT ON COLUMN dataeng.validation_results.sample IS 'Up to 20 failing rows, as jsonb';
CREATE INDEX validation_results_table_idx ON dataeng.validation_results (table_name);
CREATE TRIGGER cascade_delete AFTER DELETE ON dataeng.validation_runs
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal._runs_cascade('dataeng.validation_results');
CREATE TRIGGER cascade_truncate AFTER TRUNCATE ON dataeng.validation_runs
  FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal._runs_cascade('dataeng.validation_results');
SELECT pg_catalog.pg_extension_config_dump('dataeng.validation_results', '');

CREATE TABLE dataeng.quarantine (
  quarantine_id  bigserial   PRIMARY KEY,
  table_name     regclass    NOT NULL,
  run_id         bigint,
  quarantined_at timestamptz NOT NULL DEFAULT now(),
  failed_rules   text[]      NOT NULL,
  row_data       jsonb       NOT NULL,
  replaces       jsonb
);
COMMENT ON TABLE dataeng.quarantine IS 'Rows moved out of their table by dataeng.validate(quarantine => true)';
COMMENT ON COLUMN dataeng.quarantine.quarantine_id IS 'Identifier of the quarantined row';
COMMENT ON COLUMN dataeng.quarantine.table_name IS 'The table the row was moved out of';
COMMENT ON COLUMN dataeng.quarantine.run_id IS 'The validation run that quarantined the row';
COMMENT ON COLUMN dataeng.quarantine.quarantined_at IS 'When the row was quarantined';
COMMENT ON COLUMN dataeng.quarantine.failed_rules IS 'Rules the row failed';
COMMENT ON COLUMN dataeng.quarantine.row_data IS 'The row, as jsonb';
COMMENT ON COLUMN dataeng.quarantine.replaces IS
  'The row an UPDATE diverted by the guard was to replace (kept in the table), with its ctid, tableoid and xmin then; NULL for other rows';
CREATE INDEX quarantine_table_idx ON dataeng.quarantine (table_name);
-- the quarantined versions of one row (quarantine_release() looks for
-- them by where the row they replace was): one look each, not a read of
-- the table's whole quarantine
CREATE INDEX quarantine_replaces_idx ON dataeng.quarantine (table_name, (replaces -> 'ctid'))
  WHERE replaces IS NOT NULL;
SELECT pg_catalog.pg_extension_config_dump('dataeng.quarantine', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.quarantine_quarantine_id_seq', '');

-- Alerts of every kind (docs/ops.md): a failed error rule (raised by
-- each validate() run that finds it, with table_name, run_id, rule_name,
-- failed, failed_pct; kind is the rule's kind), and the conditions
-- dataeng.alert_check() watches (sql/ops.sql: a job out of retries, a
-- consumer or fact behind, a monitor's finding), raised once when the
-- condition starts (condition names it) and resolved when it ends.
CREATE TABLE dataeng.alerts (
  alert_id    bigserial   PRIMARY KEY,
  raised_at   timestamptz NOT NULL DEFAULT now(),
  table_name  regclass,
  run_id      bigint,
  rule_name   text,
  kind        text        NOT NULL,
  failed      bigint,
  failed_pct  numeric,
  payload     jsonb       NOT NULL,
  resolved_at timestamptz,
  object      text,
  severity    text        NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning')),
  message     text,
  owner       regrole,
  condition   text,
  dropped_table text,
  owner_name  name,
  owner_system bigint     DEFAULT (pg_catalog.pg_control_system()).system_identifier,
  last_seen_at timestamptz,
  seen_count  bigint      NOT NULL DEFAULT 1
);
COMMENT ON TABLE dataeng.alerts IS
  'Alerts: failed error rules and the conditions of dataeng.alert_check(); each raise and resolve is sent as NOTIFY dataeng_alerts';
COMMENT ON COLUMN dataeng.alerts.alert_id IS 'Identifier of the alert';
COMMENT ON COLUMN dataeng.alerts.raised_at IS 'When the alert was raised';
COMMENT ON COLUMN dataeng.alerts.table_name IS 'A rule''s alert: the table validated';
COMMENT ON COLUMN dataeng.alerts.run_id IS 'A rule''s alert: the validation run';
COMMENT ON COLUMN dataeng.alerts.rule_name IS 'A rule''s alert: the rule that failed';
COMMENT ON COLUMN dataeng.alerts.kind IS 'What raised the alert (rule, pipeline status, monitor...)';
COMMENT ON COLUMN dataeng.alerts.failed IS 'A rule''s alert: rows that failed';
COMMENT ON COLUMN dataeng.alerts.failed_pct IS 'A rule''s alert: percentage of rows that failed';
COMMENT ON COLUMN dataeng.alerts.payload IS 'Details: the status row, the monitor''s check or the rule''s failures, as jsonb';
COMMENT ON COLUMN dataeng.alerts.resolved_at IS 'When the alert was resolved, NULL while open';
COMMENT ON COLUMN dataeng.alerts.object IS 'The object the alert is about, NULL for a rule''s alert';
COMMENT ON COLUMN dataeng.alerts.severity IS 'error or warning';
COMMENT ON COLUMN dataeng.alerts.message IS 'What is wrong, NULL for a rule''s alert';
COMMENT ON COLUMN dataeng.alerts.owner IS 'Role that may see and resolve the alert';
COMMENT ON COLUMN dataeng.alerts.condition IS 'Which condition the alert is (at most one open alert per condition)';
-- one open alert per condition: raised once, resolved once
CREATE UNIQUE INDEX alerts_open_condition ON dataeng.alerts (condition)
  WHERE resolved_at IS NULL AND condition IS NOT NULL;
CREATE INDEX alerts_table_idx ON dataeng.alerts (table_name);
SELECT pg_catalog.pg_extension_config_dump('dataeng.alerts', '');
COMMENT ON COLUMN dataeng.alerts.owner_name IS
  'The owner''s role name when the alert was raised: an alert of no table restored in another cluster, whose owner oid there names a role of another name, is shown to superusers only';
COMMENT ON COLUMN dataeng.alerts.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (as dataeng.jobs.owner_system)';
COMMENT ON COLUMN dataeng.alerts.last_seen_at IS
  'When the condition was last found while the alert is open (its message and payload are of that time; raised_at stays the first time); NULL: only when raised';
COMMENT ON COLUMN dataeng.alerts.seen_count IS
  'How many times the condition was found while the alert is open (1: only when raised)';
SELECT pg_catalog.pg_extension_config_dump('dataeng.alerts_alert_id_seq', '');

-- Whether a role may read every row of a table: SELECT on it, USAGE on its
-- schema, and no row-level security between them (row-level security is
-- off on the table, or the role owns it, is a superuser or has BYPASSRLS).
-- Any other relation (a view, which may filter on current_user or read
-- tables with their policies; a foreign table, whose server may answer
-- each user differently) shows the owner's rows once work switches to the
-- owner: only the owner (a member) or a superuser may read all of it.
-- Runs, results, alerts and the quarantine hold row contents and counts of
-- a table, so they show only the tables this is true of.
CREATE FUNCTION dataeng.rows_readable(tbl regclass, role name DEFAULT current_user)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((
    SELECT has_table_privilege(role, c.oid, 'SELECT')
       AND has_schema_privilege(role, c.relnamespace, 'USAGE')
       AND ((c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'm']::pg_catalog."char"[])
             AND (NOT c.relrowsecurity OR r.rolbypassrls))
            OR r.rolsuper OR pg_has_role(role, c.relowner, 'USAGE'))
      FROM pg_class c, pg_roles r
     WHERE c.oid OPERATOR(pg_catalog.=) tbl AND r.rolname OPERATOR(pg_catalog.=) role), false)
$$;
COMMENT ON FUNCTION dataeng.rows_readable(regclass, name) IS
  'Whether a role (default: the current one) may read every row of a table: SELECT, schema USAGE, no row-level security in the way';

ALTER TABLE dataeng.validation_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.validation_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.quarantine ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.alerts ENABLE ROW LEVEL SECURITY;
-- an alert of a table: who may read the table's rows; of a job, consumer
-- or fact: its owner (and members) while the owner oid names the role of
-- owner_name (_owner_trusted: not after a restore in another cluster that
-- gave the oid to another role), superusers
CREATE POLICY readable ON dataeng.alerts FOR SELECT
  USING (CASE WHEN table_name IS NOT NULL THEN dataeng.rows_readable(table_name)
              ELSE pg_has_role(owner, 'USAGE') AND dataeng_internal._owner_trusted(owner, owner_name, owner_system) END);
ALTER TABLE dataeng.rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY readable ON dataeng.validation_runs FOR SELECT USING (dataeng.rows_readable(table_name));
CREATE POLICY readable ON dataeng.validation_results FOR SELECT USING (dataeng.rows_readable(table_name));
CREATE POLICY readable ON dataeng.quarantine FOR SELECT USING (dataeng.rows_readable(table_name));
CREATE POLICY readable ON dataeng.rules FOR SELECT
  USING (has_table_privilege(table_name, 'SELECT')
         AND has_schema_privilege((SELECT c.relnamespace FROM pg_catalog.pg_class c
                                    WHERE c.oid OPERATOR(pg_catalog.=) table_name), 'USAGE'));
REVOKE ALL ON dataeng.rules, dataeng.validation_runs, dataeng.validation_results, dataeng.quarantine,
  dataeng.alerts FROM PUBLIC;
GRANT SELECT ON dataeng.rules, dataeng.validation_runs, dataeng.validation_results, dataeng.quarantine,
  dataeng.alerts TO PUBLIC;

-- Raise unless the table exists and the caller owns it (or is a member of
-- its owner).  A relation that does not exist is refused: metadata written
-- for its OID would be inherited by a later table given that OID.
CREATE FUNCTION dataeng_internal._require_owner(caller regrole, tbl regclass, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  owner_ oid;
BEGIN
  SELECT c.relowner INTO owner_ FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'relation with OID % does not exist', tbl::oid USING ERRCODE = 'undefined_table';
  END IF;
  IF caller IS NULL OR NOT coalesce(pg_has_role(caller, owner_, 'USAGE'), false) THEN
    RAISE EXCEPTION 'must be owner of table % to %', tbl, what
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._require_owner(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._require_owner(regrole, regclass, text) IS 'internal: raise unless the caller owns the table';

-- Run a read-only query as a role: the first column of its first row.
CREATE FUNCTION dataeng_internal._query_as(role regrole, query text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_query_as'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._query_as(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._query_as(regrole, text) IS
  'internal: run a read-only query as a role (a rule''s checks that may run the caller''s code)';

-- Run a query as a role (restricted, search_path pinned, settings rolled
-- back): the first column, a jsonb, of its first row.
CREATE FUNCTION dataeng_internal._exec_as(role regrole, query text, read_only boolean)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataeng_exec_as'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._exec_as(regrole, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._exec_as(regrole, text, boolean) IS
  'internal: run a query as a role (a table''s rule checks, as the table''s owner)';

-- Raise unless an expression rule is one expression over the table's row
-- (checked on its parse tree: no subquery, aggregate, window or
-- set-returning function, no second statement); analysed as role.
CREATE FUNCTION dataeng_internal._expression_check(role regrole, tbl regclass, expression text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_expression_check'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._expression_check(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._expression_check(regrole, regclass, text) IS
  'internal: check an expression rule on its parse tree';

-- The SQL condition a row passes for a row-level rule (NULL passes, except
-- for not_null), or NULL for a set-level rule.
-- The text form a regex, length, validator or accepted_values rule checks
-- of a column whose text form depends on the session's settings (dates and
-- times, floats, bytea, and ranges, arrays and rows that may hold them):
-- written under fixed settings, so a row passes or fails the same whoever
-- validates it or writes it under the guard (cast to text in the session,
-- a date was 2026-01-15 under DateStyle ISO and 01/15/2026 under SQL, and a
-- timestamptz was written in the session's TimeZone).  DateStyle ISO,
-- TimeZone UTC, IntervalStyle postgres, extra_float_digits 1 (the shortest
-- exact form), bytea in hex, money as lc_monetary C writes it: see rules.c.
CREATE FUNCTION dataeng_internal._rule_text(v anyelement)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_rule_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._rule_text(anyelement) IS
  'internal: the text form rules check of a value, under fixed DateStyle, TimeZone, IntervalStyle, extra_float_digits, bytea_output and lc_monetary';

-- A row as the quarantine keeps it (row_data, replaces): to_jsonb(r)
-- written under fixed DateStyle, IntervalStyle, extra_float_digits and
-- bytea_output, and arrays a JSON array does not carry (of json or jsonb,
-- lower bounds not 1) as their text: jsonb_populate_record() reads it
-- back as the same values in any session.  See quarantine.c.
CREATE FUNCTION dataeng_internal._quarantine_row(r record)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataeng_quarantine_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._quarantine_row(record) IS
  'internal: a row as JSON that reads back as the same values in any session, as dataeng.quarantine keeps it';

-- A money value read as under lc_monetary C ($1,234.50), whatever the
-- session's lc_monetary: the bounds of a range rule on a money column,
-- which rule_add stores in that form (read under the caller's setting, as
-- a CHECK constraint's constant is).  Read as money in the session, a
-- bound '10.50' was 1050,00 EUR under de_DE.  IMMUTABLE: it depends on its
-- argument only (the planner reads it once per plan).  See rules.c.
CREATE FUNCTION dataeng_internal._money_c(v text)
RETURNS money
AS 'MODULE_PATHNAME', 'dataeng_money_c'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._money_c(text) IS
  'internal: a money value read as under lc_monetary C, whatever the session''s setting';

-- Whether the text form of column col of tbl depends on the session's
-- settings (see _rule_text): its type, or a domain's base type, or an
-- array's element type, is a date/time type, a float, a geometric type,
-- bytea, money, a range or multirange, or a row type.
CREATE FUNCTION dataeng_internal._rule_text_varies(tbl regclass, col text)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH RECURSIVE ty(oid, depth) AS (
    SELECT a.atttypid, 0 FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
    UNION ALL
    SELECT CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd' THEN t.typbasetype ELSE t.typelem END,
           ty.depth OPERATOR(pg_catalog.+) 1
      FROM ty JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) ty.oid
     WHERE (t.typtype OPERATOR(pg_catalog.=) 'd'
            OR (t.typcategory OPERATOR(pg_catalog.=) 'A' AND t.typelem OPERATOR(pg_catalog.<>) 0))
       AND ty.depth OPERATOR(pg_catalog.<) 10)
  SELECT coalesce(pg_catalog.bool_or(
           ty.oid OPERATOR(pg_catalog.=) ANY (ARRAY['date', 'timestamp', 'timestamptz', 'time', 'timetz', 'interval',
                                                    'float4', 'float8', 'bytea', 'money']::pg_catalog.regtype[]::pg_catalog.oid[])
           OR t.typtype OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'm', 'c']::pg_catalog."char"[])
           -- (the geometric types write their floats under extra_float_digits)
           OR t.typcategory OPERATOR(pg_catalog.=) 'G'), false)
    FROM ty JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) ty.oid
$$;
COMMENT ON FUNCTION dataeng_internal._rule_text_varies(regclass, text) IS
  'internal: whether a column''s text form depends on the session''s settings';

-- The type the values of an accepted_values rule on a number column
-- compare in: a float column's own (real or double precision, a domain
-- over one too), numeric for the integers and numeric (whatever the
-- column's scale); NULL for a column that is not a number, or not a
-- column (rule_add checks the listed values in it, _rule_condition
-- compares in it).
CREATE FUNCTION dataeng_internal._rule_number_type(tbl regclass, col text)
RETURNS regtype
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN t.b OPERATOR(pg_catalog.=) ANY (ARRAY['real', 'double precision']::pg_catalog.regtype[]) THEN t.b
              WHEN t.b OPERATOR(pg_catalog.=) ANY (ARRAY['smallint', 'integer', 'bigint', 'numeric']::pg_catalog.regtype[])
              THEN 'numeric'::pg_catalog.regtype END
    FROM (SELECT dataeng_internal._base_type(a.atttypid::pg_catalog.regtype) AS b FROM pg_catalog.pg_attribute a
           WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
             AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) t
$$;
COMMENT ON FUNCTION dataeng_internal._rule_number_type(regclass, text) IS
  'internal: the type an accepted_values rule on a number column compares its values in (NULL: not a number)';

CREATE FUNCTION dataeng_internal._rule_condition(r dataeng.rules)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  col text := quote_ident(r.column_name);
  coltype text;
  f text;
  txt text;
  is_money boolean;
  base regtype;
  -- what a NULL (a NULL value, or an expression that gives NULL) is:
  -- params.null_is, 'pass' (the default, as a CHECK constraint) or 'fail'
  nul text := CASE WHEN r.params->>'null_is' = 'fail' THEN 'false' ELSE 'true' END;
BEGIN
  IF r.column_name IS NOT NULL THEN
    SELECT format_type(atttypid, atttypmod) INTO coltype FROM pg_attribute
     WHERE attrelid = r.table_name AND attname = r.column_name AND attnum > 0 AND NOT attisdropped;
  END IF;
  -- the column of a row-level rule renamed or dropped since: an error that
  -- says so (the condition would otherwise fail as a broken query, in
  -- validate(), the guard and quarantine_release() alike); _validate()
  -- checks the set-level kinds' columns the same way
  IF r.column_name IS NOT NULL AND coltype IS NULL
     AND r.kind IN ('not_null', 'accepted_values', 'range', 'regex', 'length', 'validator') THEN
    RAISE EXCEPTION 'rule "%" of table % checks column "%", which no longer exists', r.rule_name, r.table_name, r.column_name
      USING ERRCODE = 'undefined_column',
            DETAIL = 'The column was renamed or dropped after the rule was added.',
            HINT = 'Drop the rule with dataeng.rule_drop() and add it again for the column it should check.';
  END IF;
  -- the text form regex, length and validator rules check: written under
  -- fixed settings when the session's would change it (_rule_text)
  IF r.kind IN ('regex', 'length', 'validator') THEN
    txt := CASE WHEN dataeng_internal._rule_text_varies(r.table_name, r.column_name)
                THEN format('dataeng_internal._rule_text(%s)', col)
                ELSE format('%s::text', col) END;
  END IF;
  CASE r.kind
  WHEN 'not_null' THEN
    RETURN format('(%s IS NOT NULL)', col);
  WHEN 'accepted_values' THEN
    -- a date/time column compares in its type: its text form depends on
    -- DateStyle, TimeZone and IntervalStyle (rule_add stored the values
    -- in a form that reads back the same under any of them)
    IF (SELECT CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd' THEN t.typbasetype ELSE t.oid END
          FROM pg_attribute a JOIN pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
         WHERE a.attrelid OPERATOR(pg_catalog.=) r.table_name AND a.attname OPERATOR(pg_catalog.=) r.column_name)
       IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype, 'time'::regtype,
           'timetz'::regtype, 'interval'::regtype) THEN
      RETURN format('CASE WHEN %1$s IS NULL THEN %4$s ELSE coalesce(%1$s = ANY (%2$L::%3$s[]), false) END', col,
                    ARRAY(SELECT jsonb_array_elements_text(r.params->'values')), coltype, nul);
    END IF;
    -- a number column compares as numbers (a float column in its type,
    -- the others as numeric, whatever the column's scale): as text, a
    -- numeric(10,2) value 5.00 was not the listed 5, nor 0.070 0.07, nor
    -- a float's 1e+20 the 100000000000000000000 jsonb keeps of 1e20.
    -- rule_add refuses a value that does not read as a number (and
    -- ALTER EXTENSION UPDATE left those of 0.1.0's rules out)
    base := dataeng_internal._rule_number_type(r.table_name, r.column_name);
    IF base IS NOT NULL THEN
      RETURN format('CASE WHEN %1$s IS NULL THEN %4$s ELSE coalesce(%1$s = ANY (%2$L::%3$s[]), false) END', col,
                    ARRAY(SELECT jsonb_array_elements_text(r.params->'values')), base, nul);
    END IF;
    -- other types whose text form depends on the session (geometric
    -- types' floats under extra_float_digits, bytea, ranges...) compare
    -- theirs written under fixed settings, as regex rules do (a point of
    -- 0.1 + 0.2 was '(0.3,0)' with extra_float_digits 0 and
    -- '(0.30000000000000004,0)' with 1)
    -- A NULL value is what null_is says, whatever the list; a value
    -- not listed fails, also when the list holds a null (= ANY gave NULL,
    -- which passed) or nothing (a NULL value failed: = ANY of no element
    -- is false, even for NULL)
    RETURN format('CASE WHEN %4$s IS NULL THEN %3$s ELSE coalesce(%1$s = ANY (%2$L::text[]), false) END',
                  CASE WHEN dataeng_internal._rule_text_varies(r.table_name, r.column_name)
                       THEN format('dataeng_internal._rule_text(%s)', col) ELSE format('%s::text', col) END,
                  ARRAY(SELECT jsonb_array_elements_text(r.params->'values')), nul, col);
  WHEN 'range' THEN
    -- (a money column's bounds, stored as lc_monetary C writes them, are
    -- read back under C: _money_c)
    is_money := coalesce(dataeng_internal._base_type(
                   (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) r.table_name
                       AND a.attname OPERATOR(pg_catalog.=) r.column_name AND a.attnum OPERATOR(pg_catalog.>) 0
                       AND NOT a.attisdropped)::regtype)
                 OPERATOR(pg_catalog.=) 'money'::regtype, false);  -- (a domain over a domain over money too)
    RETURN format('coalesce(%s AND %s, %s)',
                  CASE WHEN r.params ? 'min' THEN format('%s %s %s', col,
                       CASE WHEN (r.params->>'strict_min')::boolean THEN '>' ELSE '>=' END,
                       CASE WHEN is_money THEN format('dataeng_internal._money_c(%L)', r.params->>'min')
                            ELSE format('%L::%s', r.params->>'min', coltype) END)
                       ELSE 'true' END,
                  CASE WHEN r.params ? 'max' THEN format('%s %s %s', col,
                       CASE WHEN (r.params->>'strict_max')::boolean THEN '<' ELSE '<=' END,
                       CASE WHEN is_money THEN format('dataeng_internal._money_c(%L)', r.params->>'max')
                            ELSE format('%L::%s', r.params->>'max', coltype) END)
                       ELSE 'true' END, nul);
  WHEN 'regex' THEN
    RETURN format('coalesce(%s ~ %L, %s)', txt, r.params->>'pattern', nul);
  WHEN 'length' THEN
    RETURN format('coalesce(length(%s) BETWEEN %s AND %s, %s)', txt,
                  coalesce((r.params->>'min')::int, 0), coalesce((r.params->>'max')::int, 2147483647), nul);
  WHEN 'validator' THEN
    f := r.params->>'function';
    RETURN format('coalesce(%s, %s)', CASE f
      WHEN 'email' THEN format('dataeng.is_email(%s, %L)', txt, coalesce(r.params->>'mode', 'practical'))
      WHEN 'phone' THEN format('dataeng.is_phone(%s, %L)', txt, r.params->>'region')
      WHEN 'postal_code' THEN format('dataeng.is_postal_code(%s, %L)', txt, r.params->>'country')
      WHEN 'date' THEN format('dataeng.is_date(%s, %L)', txt, r.params->>'format')
      ELSE format('dataeng.is_%s(%s)', f, txt) END, nul);
  WHEN 'expression' THEN
    RETURN format('coalesce((%s)::boolean, %s)', r.params->>'expression', nul);
  ELSE
    RETURN NULL;                          -- set-level
  END CASE;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._rule_condition(dataeng.rules) IS 'internal: SQL condition of a row-level rule';

CREATE FUNCTION dataeng.rule_add(tbl regclass, rule_name text, kind text, column_name text DEFAULT NULL,
                                 params jsonb DEFAULT '{}', severity text DEFAULT 'error')
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_rule_add'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.rule_add(regclass, text, text, text, jsonb, text) IS
  'Adds a data quality rule to a table (owner only); returns its id';

CREATE FUNCTION dataeng_internal._rule_add(caller regrole, tbl regclass, rule_name text, kind text,
                                  column_name text, params jsonb, severity text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.rules;
  cond text;
  numtype regtype;
  kinds text[] := ARRAY['not_null', 'unique', 'accepted_values', 'range', 'regex', 'length',
                        'validator', 'expression', 'foreign_key', 'row_count', 'freshness',
                        'volume_change'];
  needs_column text[] := ARRAY['not_null', 'accepted_values', 'range', 'regex', 'length',
                               'validator', 'foreign_key', 'freshness'];
  id bigint;
  bad boolean;
  owner_ regrole;
  allowed text[];
  unknown text;
BEGIN
  IF tbl IS NULL OR rule_name IS NULL OR kind IS NULL OR params IS NULL OR severity IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', CASE WHEN tbl IS NULL THEN 'tbl' WHEN rule_name IS NULL THEN 'rule_name' WHEN kind IS NULL THEN 'kind' WHEN params IS NULL THEN 'params' ELSE 'severity' END
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- (the CHECK of dataeng.rules refused it with a violation of that
  -- internal table's constraint)
  IF rule_name = '' THEN
    RAISE EXCEPTION 'rule_name must not be empty'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A rule is named in validate() results, alerts and rule_drop().',
            HINT = 'Give the rule a name, such as the check it makes: ''amount positive''.';
  END IF;
  PERFORM dataeng_internal._require_owner(caller, tbl, 'add rules');
  -- dbt's names: kind relationships is foreign_key, severity warn is warning
  -- (params.to, dbt's name of ref_table, was renamed by rule_add in C,
  -- which resolves it; params.field is dbt's name of ref_column)
  IF kind = 'relationships' THEN
    kind := 'foreign_key';
  END IF;
  -- severities as dbt writes them, in any case
  severity := lower(severity);
  IF severity = 'warn' THEN
    severity := 'warning';
  END IF;
  -- compiling a rule can run the table's code (domain checks, constant
  -- folding of its functions): as the table's owner, restricted, never as
  -- the caller (a superuser adding a rule to another role's table)
  owner_ := (SELECT c.relowner FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl);
  IF NOT kind = ANY (kinds) THEN
    RAISE EXCEPTION 'unknown rule kind "%"', kind
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use one of: ' || array_to_string(kinds, ', ') || ' (or relationships, dbt''s name of foreign_key).';
  END IF;
  IF severity NOT IN ('error', 'warning') THEN
    RAISE EXCEPTION 'severity must be error or warning (or warn), not "%"', severity
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_typeof(params) <> 'object' THEN
    RAISE EXCEPTION 'params must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF kind = 'foreign_key' AND params ? 'to' THEN
    -- (rule_add renamed it unless params.ref_table was given too)
    RAISE EXCEPTION 'params.to is dbt''s name of params.ref_table: give one of them'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF kind = 'foreign_key' AND params ? 'field' THEN
    IF params ? 'ref_column' THEN
      RAISE EXCEPTION 'params.field is dbt''s name of params.ref_column: give one of them'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    params := (params - 'field') || jsonb_build_object('ref_column', params->'field');
  END IF;
  -- a misspelt parameter (nulls_is, ref_col) would be ignored, and the rule
  -- would silently check something else than what its author wrote
  allowed := CASE kind
               WHEN 'unique' THEN ARRAY['columns']
               WHEN 'accepted_values' THEN ARRAY['values']
               WHEN 'range' THEN ARRAY['min', 'max', 'strict_min', 'strict_max']
               WHEN 'regex' THEN ARRAY['pattern']
               WHEN 'length' THEN ARRAY['min', 'max']
               WHEN 'validator' THEN ARRAY['function', 'mode', 'region', 'country', 'format']
               WHEN 'expression' THEN ARRAY['expression']
               WHEN 'foreign_key' THEN ARRAY['ref_table', 'ref_column']
               WHEN 'row_count' THEN ARRAY['min', 'max']
               WHEN 'freshness' THEN ARRAY['max_age']
               WHEN 'volume_change' THEN ARRAY['max_drop_pct']
               ELSE ARRAY[]::text[] END
             || ARRAY['mostly', 'quarantine_when_mostly_passes', 'null_is'];
  SELECT string_agg(k, ', ' ORDER BY k) INTO unknown
    FROM jsonb_object_keys(params) k WHERE NOT k = ANY (allowed);
  IF unknown IS NOT NULL THEN
    RAISE EXCEPTION 'rule kind % does not take params %', kind, unknown
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Rule kind %s takes params %s.', kind, array_to_string(allowed, ', '));
  END IF;
  IF kind = ANY (needs_column) AND column_name IS NULL THEN
    RAISE EXCEPTION 'a % rule needs a column', kind USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF column_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
        AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', column_name, tbl USING ERRCODE = 'undefined_column';
  END IF;
  IF params ? 'mostly' AND NOT (jsonb_typeof(params->'mostly') = 'number'
                                AND (params->>'mostly')::numeric BETWEEN 0 AND 1) THEN
    RAISE EXCEPTION 'mostly must be a number between 0 and 1' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF params ? 'quarantine_when_mostly_passes' AND jsonb_typeof(params->'quarantine_when_mostly_passes') <> 'boolean' THEN
    RAISE EXCEPTION 'quarantine_when_mostly_passes must be true or false' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF params ? 'null_is' THEN
    IF NOT coalesce(params->>'null_is' IN ('pass', 'fail') AND jsonb_typeof(params->'null_is') = 'string', false) THEN
      RAISE EXCEPTION 'null_is must be "pass" or "fail"' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF kind NOT IN ('accepted_values', 'range', 'regex', 'length', 'validator', 'expression') THEN
      RAISE EXCEPTION 'null_is does not apply to a % rule', kind
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'It says what a NULL value (or an expression giving NULL) is for the row-level kinds '
                       'accepted_values, range, regex, length, validator and expression.';
    END IF;
  END IF;
  -- per-kind parameters
  CASE kind
  WHEN 'accepted_values' THEN
    IF jsonb_typeof(params->'values') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'accepted_values needs params.values, an array' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the values of a number column are numbers (compared as numbers: a
    -- value that is not one could never match), as a date column's are
    -- dates (refused when the condition is compiled, below)
    numtype := dataeng_internal._rule_number_type(tbl, column_name);
    IF numtype IS NOT NULL THEN
      FOR cond IN SELECT jsonb_array_elements_text(params->'values') LOOP
        BEGIN
          EXECUTE format('SELECT %L::%s', cond, numtype);
        EXCEPTION WHEN data_exception THEN
          RAISE EXCEPTION 'rule "%" does not apply to table %: %', rule_name, tbl, SQLERRM
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Column "%s" holds numbers: its values are compared with the listed ones as numbers.',
                                  column_name);
        END;
      END LOOP;
      cond := NULL;
    END IF;
  WHEN 'range' THEN
    IF NOT (params ? 'min' OR params ? 'max') THEN
      RAISE EXCEPTION 'range needs params.min or params.max' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a number against text would compare as text ('9' > '10')
    IF (jsonb_typeof(params->'min') = 'number' OR jsonb_typeof(params->'max') = 'number')
       AND (SELECT b.typcategory FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
               JOIN pg_type b ON b.oid = coalesce(nullif(t.typbasetype, 0), t.oid)
             WHERE a.attrelid = tbl AND a.attname = column_name) = 'S' THEN
      RAISE EXCEPTION 'range bounds are numbers but column "%" is text', column_name
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Text compares character by character, so ''9'' would be above ''10''.',
              HINT = 'Give the bounds as strings, or check a numeric column or expression.';
    END IF;
  WHEN 'length' THEN
    IF NOT (params ? 'min' OR params ? 'max')
       OR (params ? 'min' AND NOT (jsonb_typeof(params->'min') = 'number' AND (params->>'min')::numeric >= 0
                                    AND (params->>'min')::numeric = trunc((params->>'min')::numeric)))
       OR (params ? 'max' AND NOT (jsonb_typeof(params->'max') = 'number' AND (params->>'max')::numeric >= 0
                                    AND (params->>'max')::numeric = trunc((params->>'max')::numeric))) THEN
      RAISE EXCEPTION 'length needs params.min or params.max, whole numbers of characters'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'regex' THEN
    IF params->>'pattern' IS NULL THEN
      RAISE EXCEPTION 'regex needs params.pattern' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
      PERFORM '' ~ (params->>'pattern');
    EXCEPTION WHEN invalid_regular_expression THEN
      RAISE EXCEPTION 'params.pattern is not a valid regular expression: %', SQLERRM
        USING ERRCODE = 'invalid_parameter_value';
    END;
  WHEN 'validator' THEN
    IF NOT coalesce(params->>'function', '') = ANY (ARRAY['email', 'phone', 'iban', 'luhn', 'credit_card',
                                                          'isbn', 'uuid', 'postal_code', 'date']) THEN
      RAISE EXCEPTION 'validator needs params.function: email, phone, iban, luhn, credit_card, isbn, uuid, postal_code or date'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- modes, regions, countries and formats are checked now, not at the first run
    IF params->>'function' = 'postal_code' AND params->>'country' IS NULL THEN
      RAISE EXCEPTION 'validator postal_code needs params.country' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF params->>'function' = 'date' AND params->>'format' IS NULL THEN
      RAISE EXCEPTION 'validator date needs params.format' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
      CASE params->>'function'
      WHEN 'email' THEN PERFORM dataeng.is_email('x', coalesce(params->>'mode', 'practical'));
      WHEN 'phone' THEN PERFORM dataeng.is_phone('1', params->>'region');
      WHEN 'postal_code' THEN PERFORM dataeng.is_postal_code('1', params->>'country');
      WHEN 'date' THEN PERFORM dataeng.is_date('1', params->>'format');
      ELSE NULL;
      END CASE;
    EXCEPTION WHEN invalid_parameter_value OR invalid_datetime_format OR syntax_error
                   OR feature_not_supported THEN
      RAISE EXCEPTION 'invalid parameter of validator %: %', params->>'function', SQLERRM
        USING ERRCODE = 'invalid_parameter_value';
    END;
  WHEN 'expression' THEN
    IF jsonb_typeof(params->'expression') IS DISTINCT FROM 'string' THEN
      RAISE EXCEPTION 'params.expression must be one boolean expression over the row''s columns'
        USING ERRCODE = 'invalid_parameter_value', DETAIL = 'It is missing or not a string.';
    END IF;
    -- judged on its parse tree, analysed as the table's owner
    BEGIN
      PERFORM dataeng_internal._expression_check(owner_, tbl, params->>'expression');
    EXCEPTION
      WHEN syntax_error THEN
        RAISE EXCEPTION 'params.expression must be one boolean expression over the row''s columns'
          USING ERRCODE = 'invalid_parameter_value', DETAIL = SQLERRM;
      WHEN invalid_parameter_value THEN
        RAISE;
      WHEN OTHERS THEN
        RAISE EXCEPTION 'rule "%" does not apply to table %: %', rule_name, tbl, SQLERRM
          USING ERRCODE = 'invalid_parameter_value';
    END;
  WHEN 'unique' THEN
    IF column_name IS NULL AND jsonb_typeof(params->'columns') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'unique needs a column or params.columns' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(params->'columns') = 'array' THEN
      SELECT c INTO cond FROM jsonb_array_elements(params->'columns') c
       WHERE jsonb_typeof(c) <> 'string'
          OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = c #>> '{}'
                           AND a.attnum > 0 AND NOT a.attisdropped)
       LIMIT 1;
      IF FOUND OR jsonb_array_length(params->'columns') = 0 THEN
        RAISE EXCEPTION 'params.columns must name columns of table %: % does not', tbl, coalesce(cond, '[]')
          USING ERRCODE = 'undefined_column';
      END IF;
      cond := NULL;
    END IF;
  WHEN 'foreign_key' THEN
    -- rule_add (C) resolved params.ref_table in the caller's search_path
    -- and wrote it qualified; a name still unqualified names no table there
    IF params->>'ref_table' IS NULL OR params->>'ref_column' IS NULL
       OR to_regclass(params->>'ref_table') IS NULL THEN
      RAISE EXCEPTION 'foreign_key needs params.ref_table (an existing table) and params.ref_column'
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = CASE WHEN params->>'ref_table' IS NULL
                            THEN 'params.ref_table (dbt''s params.to) is missing.'
                            WHEN to_regclass(params->>'ref_table') IS NULL
                            THEN format('No table %s is visible in your search_path.', params->>'ref_table')
                            ELSE 'params.ref_column (dbt''s params.field) is missing.' END;
    END IF;
    -- the referenced table is read when the table's owner validates it
    IF NOT dataeng.rows_readable(to_regclass(params->>'ref_table'), (SELECT rolname FROM pg_roles WHERE oid = caller))
       OR NOT dataeng.rows_readable(to_regclass(params->>'ref_table'),
                                    (SELECT ro.rolname FROM pg_class c JOIN pg_roles ro ON ro.oid = c.relowner
                                      WHERE c.oid = tbl)) THEN
      RAISE EXCEPTION 'permission denied for table %', to_regclass(params->>'ref_table')
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = 'validate() reads the referenced table as the table''s owner: both you and the owner must be able to read all of it.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(params->>'ref_table')
                     AND a.attname = params->>'ref_column' AND a.attnum > 0 AND NOT a.attisdropped) THEN
      RAISE EXCEPTION 'column "%" of table % does not exist', params->>'ref_column', to_regclass(params->>'ref_table')
        USING ERRCODE = 'undefined_column';
    END IF;
  WHEN 'row_count' THEN
    IF NOT (params ? 'min' OR params ? 'max')
       OR (params ? 'min' AND NOT (jsonb_typeof(params->'min') = 'number'
                                    AND (params->>'min')::numeric = trunc((params->>'min')::numeric)))
       OR (params ? 'max' AND NOT (jsonb_typeof(params->'max') = 'number'
                                    AND (params->>'max')::numeric = trunc((params->>'max')::numeric))) THEN
      RAISE EXCEPTION 'row_count needs params.min or params.max, whole numbers' USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'freshness' THEN
    IF params->>'max_age' IS NULL THEN
      RAISE EXCEPTION 'freshness needs params.max_age, an interval' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- an interval written as text: a bare number (5), read as '5', was
    -- five seconds, whatever unit was meant
    IF jsonb_typeof(params->'max_age') <> 'string' THEN
      RAISE EXCEPTION 'freshness needs params.max_age, an interval written as a string' USING ERRCODE = 'invalid_parameter_value',
        DETAIL = format('max_age is %s, a JSON %s; a bare number would be read as seconds.', params->'max_age',
                        jsonb_typeof(params->'max_age')),
        HINT = 'Give the unit: {"max_age": "5 days"}.';
    END IF;
    -- (a negative or zero age failed every run, as a monitor's
    -- max_silence would: refused there too; one reaching back beyond the
    -- range of timestamptz made every validate() of the table fail with
    -- "timestamp out of range")
    BEGIN
      IF (params->>'max_age')::interval <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value';
      END IF;
      PERFORM now() - (params->>'max_age')::interval;
    EXCEPTION WHEN invalid_parameter_value OR datetime_field_overflow THEN
      RAISE EXCEPTION 'freshness needs params.max_age, a positive interval' USING ERRCODE = 'invalid_parameter_value',
        DETAIL = format('max_age is %s; it reaches back no further than the range of timestamptz.', params->>'max_age');
    -- (a text that is no interval failed with the cast's error alone)
    WHEN invalid_datetime_format OR interval_field_overflow THEN
      RAISE EXCEPTION 'freshness needs params.max_age, an interval' USING ERRCODE = 'invalid_parameter_value',
        DETAIL = format('max_age is %s, which does not read as an interval: %s.', params->>'max_age', SQLERRM),
        HINT = 'Write an interval such as "1 hour" or "2 days".';
    END;
    -- the newest value of a time column (a domain over one compares in
    -- its base type): a rule on another column was added, and then every
    -- validate() of the table failed casting it to timestamptz
    IF dataeng_internal._base_type((SELECT a.atttypid FROM pg_attribute a
                                     WHERE a.attrelid = tbl AND a.attname = column_name
                                       AND a.attnum > 0 AND NOT a.attisdropped)::regtype)
       <> ALL (ARRAY['timestamptz', 'timestamp', 'date']::regtype[]) THEN
      RAISE EXCEPTION 'freshness checks a time column, and column "%" of % is of type %', column_name, tbl,
                      (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                        WHERE a.attrelid = tbl AND a.attname = column_name)
        USING ERRCODE = 'datatype_mismatch',
              HINT = 'Name a column of type timestamptz, timestamp or date (or a domain over one).';
    END IF;
  WHEN 'volume_change' THEN
    IF jsonb_typeof(params->'max_drop_pct') IS DISTINCT FROM 'number' THEN
      RAISE EXCEPTION 'volume_change needs params.max_drop_pct, a number' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (below 0 failed every run without a growth, above 100 none)
    IF (params->>'max_drop_pct')::numeric NOT BETWEEN 0 AND 100 THEN
      RAISE EXCEPTION 'volume_change needs params.max_drop_pct, a percentage from 0 to 100'
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('max_drop_pct is %s.', params->>'max_drop_pct');
    END IF;
  ELSE
    NULL;
  END CASE;

  IF kind IN ('length', 'row_count') AND (params->>'min')::numeric > (params->>'max')::numeric THEN
    RAISE EXCEPTION '% params.min (%) is greater than params.max (%)', kind, params->>'min', params->>'max'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  INSERT INTO dataeng.rules (table_name, rule_name, kind, column_name, params, severity, created_by)
  VALUES (tbl, rule_name, kind, column_name, params, severity, caller::name)
  RETURNING * INTO r;
  -- the condition must compile against the table; compiling can run the
  -- table's functions (constant folding, domain checks): as its owner
  cond := dataeng_internal._rule_condition(r);
  IF cond IS NOT NULL THEN
    BEGIN
      PERFORM dataeng_internal._query_as(owner_, format('SELECT (%s)::boolean FROM %s LIMIT 0', cond, tbl));
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'rule "%" does not apply to table %: %', rule_name, tbl, SQLERRM
        USING ERRCODE = 'invalid_parameter_value';
    END;
    -- bounds compared in the column's type
    IF kind = 'range' AND params ? 'min' AND params ? 'max' THEN
      bad := dataeng_internal._query_as(owner_, format(
                     CASE WHEN coalesce(dataeng_internal._base_type(
                                 (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = column_name
                                     AND a.attnum > 0 AND NOT a.attisdropped)::regtype) = 'money'::regtype, false)
                                -- (a domain over a domain over money too)
                          -- (as the condition reads a money column's bounds)
                          THEN 'SELECT dataeng_internal._money_c(%1$L) > dataeng_internal._money_c(%3$L)'
                          ELSE 'SELECT %1$L::%2$s > %3$L::%2$s' END, params->>'min',
                     (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                       WHERE a.attrelid = tbl AND a.attname = column_name), params->>'max'));
      IF bad THEN
        RAISE EXCEPTION 'range params.min (%) is greater than params.max (%)', params->>'min', params->>'max'
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END IF;
  END IF;
  PERFORM dataeng_internal._guard_touch(tbl);
  RETURN r.rule_id;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'table % already has a rule "%"', tbl, rule_name
    USING ERRCODE = 'duplicate_object', HINT = 'Drop it first with dataeng.rule_drop().';
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._rule_add(regrole, regclass, text, text, text, jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._rule_add(regrole, regclass, text, text, text, jsonb, text) IS
  'internal: body of dataeng.rule_add()';

CREATE FUNCTION dataeng.rule_drop(tbl regclass, rule_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_rule_drop'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.rule_drop(regclass, text) IS 'Drops a rule of a table (owner only)';

CREATE FUNCTION dataeng_internal._rule_drop(caller regrole, tbl regclass, rule_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng_internal._require_owner(caller, tbl, 'drop rules');
  DELETE FROM dataeng.rules r WHERE r.table_name = tbl AND r.rule_name = _rule_drop.rule_name;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM dataeng_internal._guard_touch(tbl);
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._rule_drop(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._rule_drop(regrole, regclass, text) IS 'internal: body of dataeng.rule_drop()';

-- Record a run and its results.  validate() records its runs itself
-- (dataeng_internal._run_record); this entry point lets only the table's owner
-- record one, so a role that may only read a table cannot forge a run, an
-- alert or a volume_change baseline of it.
CREATE FUNCTION dataeng_internal._record_run(tbl regclass, started timestamptz, rows_checked bigint,
                                    results jsonb, quarantined bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_record_run'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng_internal._record_run(regclass, timestamptz, bigint, jsonb, bigint) IS 'internal: record a validation run';

CREATE FUNCTION dataeng_internal._record_run_as_owner(caller regrole, tbl regclass, started timestamptz,
                                             rows_checked bigint, results jsonb, quarantined bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF tbl IS NULL OR started IS NULL OR rows_checked IS NULL OR results IS NULL OR quarantined IS NULL THEN
    RAISE EXCEPTION 'arguments must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM dataeng_internal._require_owner(caller, tbl, 'record its validation runs');
  RETURN dataeng_internal._run_record(caller, tbl, started, rows_checked, results, quarantined);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._record_run_as_owner(regrole, regclass, timestamptz, bigint, jsonb, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._record_run_as_owner(regrole, regclass, timestamptz, bigint, jsonb, bigint) IS
  'internal: body of dataeng_internal._record_run()';

-- Write a run, its results and its alerts (for validate(), which checked
-- the caller).  Each alert is also sent as NOTIFY dataeng_alerts with its
-- alert_id alone as payload: a listener learns nothing but that an alert
-- exists, and reads it from dataeng.alerts, whose policy shows it only the
-- tables whose rows it may read.
CREATE FUNCTION dataeng_internal._run_record(caller regrole, tbl regclass, started timestamptz,
                                    rows_checked bigint, results jsonb, quarantined bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
  n bigint;
  finished timestamptz := clock_timestamp();   -- one reading: duration = finished_at - started_at
BEGIN
  INSERT INTO dataeng.validation_runs (table_name, started_at, finished_at, duration, rows_checked,
                                       rules, failed_rules, quarantined, run_by)
  VALUES (tbl, started, finished, finished - started, rows_checked,
          jsonb_array_length(results),
          (SELECT count(*) FROM jsonb_array_elements(results) e WHERE NOT (e->>'passed')::boolean),
          quarantined, caller::name)
  RETURNING run_id INTO id;
  INSERT INTO dataeng.validation_results (run_id, table_name, rule_name, kind, severity, checked,
                                          failed, failed_pct, passed, sample)
  SELECT id, tbl, e->>'rule_name', e->>'kind', e->>'severity', (e->>'checked')::bigint,
         (e->>'failed')::bigint, (e->>'failed_pct')::numeric, (e->>'passed')::boolean,
         nullif(e->'sample', 'null')
    FROM jsonb_array_elements(results) e;
  -- alerts: every failed error rule, in the table and as a notification
  WITH a AS (
    INSERT INTO dataeng.alerts (table_name, run_id, rule_name, kind, failed, failed_pct, payload)
    SELECT tbl, id, e->>'rule_name', e->>'kind', (e->>'failed')::bigint, (e->>'failed_pct')::numeric,
           jsonb_build_object('table', tbl::text, 'run_id', id, 'rule', e->>'rule_name',
                              'kind', e->>'kind', 'failed', (e->>'failed')::bigint,
                              'failed_pct', (e->>'failed_pct')::numeric)
      FROM jsonb_array_elements(results) e
     WHERE NOT (e->>'passed')::boolean AND e->>'severity' = 'error'
    RETURNING alert_id)
  SELECT count(pg_notify('dataeng_alerts', alert_id::text)) INTO n FROM a;
  RETURN id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._run_record(regrole, regclass, timestamptz, bigint, jsonb, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._run_record(regrole, regclass, timestamptz, bigint, jsonb, bigint) IS
  'internal: write a validation run, its results and alerts';

-- Store rows the caller took out of its table.  Not PUBLIC's: the guard
-- (src/validate/guard.c) stores the rows it diverts through the body
-- below, as its owner, for the writer; validate() moves rows with
-- _quarantine_move.  (Executable by PUBLIC, it let a role with nothing
-- but DELETE or INSERT on a table put rows, rule names and run ids of its
-- choosing in that table's quarantine: rows its owner would put back as
-- its own with quarantine_release(), counted in the alerts of a load.)
CREATE FUNCTION dataeng_internal._quarantine_put(tbl regclass, run bigint, rows_ jsonb)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_quarantine_put'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._quarantine_put(regclass, bigint, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._quarantine_put(regclass, bigint, jsonb) IS 'internal: store quarantined rows';

CREATE FUNCTION dataeng_internal._quarantine_put_as_owner(caller regrole, tbl regclass, run bigint, rows_ jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- validate() deletes the rows it moves; the guard diverts rows being
  -- written; a relation that does not exist (NULL rights) is refused
  IF tbl IS NULL OR caller IS NULL
     OR NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl)
     OR NOT coalesce(has_table_privilege(caller, tbl, 'DELETE')
                     OR has_table_privilege(caller, tbl, 'INSERT'), false) THEN
    RAISE EXCEPTION 'permission denied for table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO dataeng.quarantine (table_name, run_id, failed_rules, row_data, replaces)
  SELECT tbl, run, ARRAY(SELECT jsonb_array_elements_text(e->'rules')), e->'row',
         nullif(e->'replaces', 'null'::jsonb)
    FROM jsonb_array_elements(coalesce(rows_, '[]')) e;
  RETURN jsonb_array_length(coalesce(rows_, '[]'));
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._quarantine_put_as_owner(regrole, regclass, bigint, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._quarantine_put_as_owner(regrole, regclass, bigint, jsonb) IS
  'internal: body of dataeng_internal._quarantine_put()';

-- validate()'s quarantine: its DELETE ... RETURNING runs as the table's
-- owner, its rows are stored batch by batch (src/validate/quarantine.c)
CREATE FUNCTION dataeng_internal._quarantine_move(owner regrole, query text, tbl regclass, run bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_quarantine_move'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._quarantine_move(regrole, text, regclass, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._quarantine_move(regrole, text, regclass, bigint) IS
  'internal: validate()''s quarantine, its DELETE run as the table''s owner, its rows stored in batches';

-- validate()'s scan of the row-level rules (src/validate/scan.c): run as
-- the table's owner, each condition once per row; counts, samples, and the
-- rows failing error rules recorded for _validate_move
CREATE FUNCTION dataeng_internal._validate_scan(owner regrole, tbl regclass, query text, keys text[],
                                                track boolean[], started timestamptz, estimate bigint)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataeng_validate_scan'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._validate_scan(regrole, regclass, text, text[], boolean[], timestamptz, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._validate_scan(regrole, regclass, text, text[], boolean[], timestamptz, bigint) IS
  'internal: validate()''s one scan of a table for its row-level rules, run as the table''s owner';

-- Whether validate()'s scan under way still wants a sample row of its i-th
-- rule (its first 20 failing rows): its query, run as the table's owner,
-- writes a sample entry only then.  Executable by PUBLIC (the owner runs
-- it); it tells nothing but that.
CREATE FUNCTION dataeng_internal._validate_sample_wanted(i int)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_validate_sample_wanted'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng_internal._validate_sample_wanted(int) IS
  'internal: whether validate()''s scan under way still wants a sample row of a rule';

-- validate()'s quarantine of the rows its scan found failing: deleted as the
-- table's owner by their (tableoid, ctid, xmin), stored in batches
CREATE FUNCTION dataeng_internal._validate_move(owner regrole, tbl regclass, run bigint, stash int,
                                                moving text[], started timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_validate_move'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._validate_move(regrole, regclass, bigint, int, text[], timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._validate_move(regrole, regclass, bigint, int, text[], timestamptz) IS
  'internal: validate()''s quarantine of the rows its scan found failing, deleted as the table''s owner by their identity';

-- validate(): the caller needs SELECT on the table and USAGE on its schema,
-- and must see every row (no row-level security hiding some from it); the
-- rule checks run as the table's owner.  To quarantine, which deletes the
-- failing rows as the table's owner, the caller needs DELETE and the
-- owner's rights (the owner, a member of its role, a superuser).
CREATE FUNCTION dataeng.validate(tbl regclass, quarantine boolean DEFAULT false)
RETURNS TABLE (rule_name text, kind text, checked bigint, failed bigint, failed_pct numeric,
               passed boolean, sample jsonb)
AS 'MODULE_PATHNAME', 'dataeng_validate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION dataeng_internal._validate(caller regrole, tbl regclass, quarantine boolean)
RETURNS TABLE (rule_name text, kind text, checked bigint, failed bigint, failed_pct numeric,
               passed boolean, sample jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  started timestamptz := clock_timestamp();
  owner_ regrole;
  nsp oid;
  j jsonb;
  rules_ dataeng.rules[];
  r dataeng.rules;
  key_expr text;
  conds text[] := '{}';
  keys_ text[] := '{}';     -- the row-level rules in the scan, 'r' || i
  track_ boolean[] := '{}'; -- ... whose failing rows it records for the quarantine
  lat text[] := '{}';       -- ... whether a row fails each
  sel text[] := '{}';       -- the scan's columns
  ident boolean;            -- the quarantine moves the rows the scan recorded
  fp text := 'dataeng f';   -- the names of the scan's conditions: fp || i
  moving text[];
  cond text;
  scan jsonb;
  total bigint;
  results jsonb := '[]';
  res jsonb;
  n_checked bigint;
  n_failed bigint;
  mostly numeric;
  v jsonb;
  cols text;
  prev bigint;
  moved jsonb;
  n_moved bigint := 0;
  run bigint;
  newest timestamptz;
  finished timestamptz;
  i int;
  est bigint;
BEGIN
  IF tbl IS NULL OR quarantine IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', CASE WHEN tbl IS NULL THEN 'tbl' ELSE 'quarantine' END
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT c.relowner, c.relnamespace INTO owner_, nsp FROM pg_class c WHERE c.oid = tbl;
  IF owner_ IS NULL THEN
    RAISE EXCEPTION 'relation with OID % does not exist', tbl::oid USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT coalesce(has_table_privilege(caller, tbl, 'SELECT') AND has_schema_privilege(caller, nsp, 'USAGE')
                  AND (NOT quarantine OR has_table_privilege(caller, tbl, 'DELETE')), false) THEN
    RAISE EXCEPTION 'permission denied for table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT dataeng.rows_readable(tbl, (SELECT rolname FROM pg_roles WHERE oid = caller)) THEN
    RAISE EXCEPTION 'cannot validate table %: row-level security hides some of its rows from you', tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'validate() checks every row of the table and records counts and samples of them.',
            HINT = 'Ask the table''s owner to validate it.';
  END IF;
  -- the quarantine deletes the failing rows as the table's owner, whose
  -- triggers see the owner as current_user: for a role with the owner's
  -- rights (checking alone takes SELECT)
  IF quarantine THEN
    PERFORM dataeng_internal._require_owner_rights(caller, tbl, 'dataeng.validate(quarantine => true)');
  END IF;
  -- The rules are the owner's code and run as the owner, in this session:
  -- a temporary table, type or function of a role without the owner's
  -- privileges here would be found by them, by its name, in place of the
  -- owner's own wherever the rule's functions leave pg_temp out of their
  -- search_path (PostgreSQL then searches it first), and the results
  -- recorded as the table's (its rules' alerts resolved on a pass)
  PERFORM dataeng_internal._temp_foreign_refuse(owner_, format('validate table %s', tbl),
            format('validate() runs the rules of %s as its owner %s, which could find them by name in place of its own.',
                   tbl, owner_),
            'Validate it in a session without them (or after DISCARD TEMP).');
  SELECT array_agg(x ORDER BY x.rule_id) INTO rules_ FROM dataeng.rules x WHERE x.table_name = tbl;
  IF rules_ IS NULL THEN
    RAISE EXCEPTION 'table % has no rules', tbl
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Add some with dataeng.rule_add().';
  END IF;

  -- the key shown in samples: the primary key, else the row's ctid
  SELECT 'jsonb_build_object(' || string_agg(format('%L, t.%I', a.attname, a.attname), ', ' ORDER BY k.ord) || ')'
    INTO key_expr
    FROM pg_index ix
    CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
   WHERE ix.indrelid = tbl AND ix.indisprimary;
  -- (a view's rows have no ctid, nor any other identity: no key)
  key_expr := coalesce(key_expr, CASE WHEN (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) = 'v'
                                      THEN 'NULL::jsonb' ELSE 'to_jsonb(t.ctid::text)' END);
  IF quarantine AND (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) = 'm' THEN
    RAISE EXCEPTION 'cannot quarantine rows of materialized view %', tbl
      USING ERRCODE = 'wrong_object_type',
            DETAIL = 'A materialized view''s rows cannot be deleted; REFRESH MATERIALIZED VIEW makes them again.',
            HINT = 'Validate it without quarantine, or validate the tables it is made from with quarantine => true.';
  END IF;

  -- every column a rule names must still exist (renamed or dropped since the
  -- rule was added: say so, rather than fail as a broken query)
  SELECT x.rule_name, x.c INTO cond, cols
    FROM unnest(rules_) x0,
         LATERAL (SELECT x0.rule_name, c
                    FROM unnest(ARRAY[x0.column_name] || ARRAY(SELECT jsonb_array_elements_text(
                                CASE WHEN jsonb_typeof(x0.params->'columns') = 'array'
                                     THEN x0.params->'columns' ELSE '[]' END))) c
                   WHERE c IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = c
                                        AND a.attnum > 0 AND NOT a.attisdropped)) x
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'rule "%" of table % checks column "%", which no longer exists', cond, tbl, cols
      USING ERRCODE = 'undefined_column',
            DETAIL = 'The column was renamed or dropped after the rule was added.',
            HINT = 'Drop the rule with dataeng.rule_drop() and add it again for the column it should check.';
  END IF;
  cond := NULL;
  cols := NULL;

  -- a scan of seconds or minutes says so as it begins (the size is the
  -- catalogs' estimate: nothing of the table is read for it), and each
  -- further scan of the table as it begins
  est := dataeng_internal._rows_estimate(tbl);
  IF est >= @LARGE_LOAD_ROWS@ THEN
    RAISE NOTICE 'validating about % rows of table % against % rules', est, tbl, cardinality(rules_)
      USING DETAIL = 'The row-level rules are checked in one scan; each unique, foreign_key and freshness rule reads the table again.';
  END IF;

  -- Rows moved to the quarantine are found by the scan, by their identity
  -- (tableoid, ctid, xmin: dataeng_internal._validate_move deletes exactly
  -- those row versions), when every relation the scan reads has one: a
  -- table, partitioned or not, and its partitions and inheritance children
  -- (a view or foreign table has no such identity; its DELETE checks the
  -- conditions again)
  ident := quarantine AND NOT EXISTS (
             WITH RECURSIVE tree(oid) AS (
               SELECT tbl::oid
               UNION
               SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid)
             SELECT 1 FROM tree JOIN pg_class c ON c.oid = tree.oid WHERE c.relkind NOT IN ('r', 'p'));

  -- one scan for every row-level rule: each condition evaluated once per
  -- row (in a subquery that is not flattened), its failures
  -- counted, the first 20 failing rows kept as its sample, and with
  -- quarantine the rows failing error rules recorded for the move
  -- (beside the table's columns in one subquery: a prefix none of them has)
  WHILE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0
                   AND left(a.attname, length(fp)) = fp) LOOP
    fp := fp || '_';
  END LOOP;
  FOR i IN 1 .. cardinality(rules_) LOOP
    r := rules_[i];
    cond := dataeng_internal._rule_condition(r);
    conds := conds || cond;
    IF cond IS NOT NULL THEN
      keys_ := keys_ || ('r' || i);
      track_ := track_ || (ident AND r.severity = 'error');
      lat := lat || format('coalesce(NOT %s, false) AS %I', cond, fp || i);
      -- (a failing row's sample entry only while the scan wants one)
      sel := sel || format('%1$s.%2$I, %3$s, CASE WHEN %1$s.%2$I THEN CASE WHEN dataeng_internal._validate_sample_wanted(%6$s) '
                           'THEN jsonb_build_object(''key'', %4$s, ''value'', %5$s) END END',
                           't', fp || i,
                           CASE WHEN r.kind IN ('not_null', 'expression') OR r.column_name IS NULL
                                     OR r.params->>'null_is' = 'fail'
                                THEN 'true' ELSE format('num_nonnulls(t.%I) OPERATOR(pg_catalog.=) 1', r.column_name) END,
                           key_expr,
                           CASE WHEN r.column_name IS NULL THEN 'NULL::jsonb' ELSE format('to_jsonb(t.%I)', r.column_name) END,
                           cardinality(keys_));
    END IF;
  END LOOP;
  -- (the conditions in a subquery that is not flattened, OFFSET 0, beside
  -- the row's columns: each evaluated once per row, without the per-row
  -- rescan of a lateral subquery; the identity under the names of the
  -- system columns, which no column of the table can have)
  scan := dataeng_internal._validate_scan(owner_, tbl,
            CASE WHEN cardinality(lat) > 0
                 THEN format('SELECT %s FROM (SELECT %s%s t.*, %s FROM %s t OFFSET 0) t',
                             array_to_string(CASE WHEN ident AND true = ANY (track_)
                                                  THEN ARRAY['t.tableoid, t.ctid, t.xmin'] ELSE '{}' END || sel, ', '),
                             CASE WHEN ident AND true = ANY (track_) THEN 't.tableoid AS tableoid, t.xmin AS xmin, ' ELSE '' END,
                             CASE WHEN (ident AND true = ANY (track_)) OR key_expr LIKE '%t.ctid%' THEN 't.ctid AS ctid, ' ELSE '' END,
                             array_to_string(lat, ', '), tbl)
                 ELSE format('SELECT FROM %s t', tbl) END,
            keys_, track_, started, est);
  total := (scan->>'total')::bigint;

  FOR i IN 1 .. cardinality(rules_) LOOP
    r := rules_[i];
    IF conds[i] IS NOT NULL THEN
      n_checked := (scan->('r' || i)->>'checked')::bigint;
      n_failed := (scan->('r' || i)->>'failed')::bigint;
      v := nullif(scan->('r' || i)->'sample', 'null');
    ELSIF r.kind = 'unique' THEN
      IF est >= @LARGE_LOAD_ROWS@ THEN
        RAISE NOTICE 'validating table %: rule "%" (unique) reads the table', tbl, r.rule_name;
      END IF;
      SELECT string_agg(format('t.%I', c), ', '),
             CASE WHEN count(*) = 1 THEN format('to_jsonb(t.%I)', min(c))
                  ELSE 'jsonb_build_object(' || string_agg(format('%L, t.%I', c, c), ', ') || ')' END
        INTO cols, cond
        FROM jsonb_array_elements_text(coalesce(r.params->'columns', to_jsonb(ARRAY[r.column_name]))) c;
      -- (counts in one pass; the sample, at most 20 rows, in a second
      -- that stops at them: no aggregate holds every failing row)
      j := dataeng_internal._exec_as(owner_, format(
                     'SELECT jsonb_build_array(coalesce(sum(c), 0), coalesce(sum(c) FILTER (WHERE c > 1), 0)) '
                     'FROM (SELECT count(*) AS c FROM %2$s t WHERE ROW(%1$s) IS NOT NULL GROUP BY %1$s) s',
                     cols, tbl), true);
      j := j || jsonb_build_array(dataeng_internal._exec_as(owner_, format(
                     'SELECT jsonb_agg(x) FROM (SELECT jsonb_build_object(''key'', %2$s, ''value'', %4$s) AS x '
                     'FROM (SELECT t.*, %5$s count(*) OVER (PARTITION BY %1$s) AS "dataeng n" '
                     'FROM %3$s t WHERE ROW(%1$s) IS NOT NULL) t WHERE "dataeng n" > 1 LIMIT 20) s',
                     cols, key_expr, tbl, cond,
                     CASE WHEN key_expr LIKE '%t.ctid%' THEN 't.ctid AS ctid,' ELSE '' END), true));
      n_checked := (j->>0)::bigint;
      n_failed := (j->>1)::bigint;
      v := nullif(j->2, 'null');
    ELSIF r.kind = 'foreign_key' THEN
      IF est >= @LARGE_LOAD_ROWS@ THEN
        RAISE NOTICE 'validating table %: rule "%" (foreign_key) reads the table', tbl, r.rule_name;
      END IF;
      j := dataeng_internal._exec_as(owner_, format(
                     'SELECT jsonb_build_array(count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM %1$s f WHERE f.%2$I = t.%3$I)), '
                     '(SELECT jsonb_agg(x) FROM (SELECT jsonb_build_object(''key'', %4$s, ''value'', t.%3$I) AS x '
                     'FROM %5$s t WHERE t.%3$I IS NOT NULL '
                     'AND NOT EXISTS (SELECT 1 FROM %1$s f WHERE f.%2$I = t.%3$I) LIMIT 20) s)) '
                     'FROM %5$s t WHERE t.%3$I IS NOT NULL',
                     (r.params->>'ref_table')::regclass, r.params->>'ref_column', r.column_name, key_expr, tbl), true);
      n_checked := (j->>0)::bigint;
      n_failed := (j->>1)::bigint;
      v := nullif(j->2, 'null');
    ELSIF r.kind = 'row_count' THEN
      n_checked := 1;
      n_failed := CASE WHEN total < coalesce((r.params->>'min')::bigint, 0)
                         OR total > coalesce((r.params->>'max')::bigint, 9223372036854775807) THEN 1 ELSE 0 END;
      v := jsonb_build_array(jsonb_build_object('rows', total));
    ELSIF r.kind = 'freshness' THEN
      IF est >= @LARGE_LOAD_ROWS@ THEN
        RAISE NOTICE 'validating table %: rule "%" (freshness) reads the table', tbl, r.rule_name;
      END IF;
      newest := (dataeng_internal._exec_as(owner_, format('SELECT to_jsonb(max(t.%I)::timestamptz) FROM %s t',
                                                  r.column_name, tbl), true) #>> '{}')::timestamptz;
      n_checked := 1;
      n_failed := CASE WHEN newest IS NULL OR newest < now() - (r.params->>'max_age')::interval
                       THEN 1 ELSE 0 END;
      v := jsonb_build_array(jsonb_build_object('newest', newest));
    ELSIF r.kind = 'volume_change' THEN
      SELECT vr.rows_checked INTO prev FROM dataeng.validation_runs vr
       WHERE vr.table_name = tbl ORDER BY vr.run_id DESC LIMIT 1;
      n_checked := 1;
      n_failed := CASE WHEN prev > 0 AND (prev - total) * 100.0 / prev > (r.params->>'max_drop_pct')::numeric
                       THEN 1 ELSE 0 END;
      v := jsonb_build_array(jsonb_build_object('previous', prev, 'rows', total));
    END IF;
    mostly := coalesce((r.params->>'mostly')::numeric, 1);
    res := jsonb_build_object(
      'rule_name', r.rule_name, 'kind', r.kind, 'severity', r.severity,
      'checked', n_checked, 'failed', n_failed,
      -- (two decimal places always: 0.00 of a rule that checked nothing
      -- too, as 0.00 of one that checked rows and failed none)
      'failed_pct', round(CASE WHEN n_checked > 0 THEN n_failed * 100.0 / n_checked ELSE 0 END, 2),
      'passed', n_failed <= (1 - mostly) * n_checked,
      'sample', CASE WHEN n_failed > 0 THEN v END);
    results := results || res;
  END LOOP;

  -- quarantine: rows failing an error rule move out, in this transaction;
  -- a rule that passed thanks to params.mostly keeps its failing rows in
  -- the table unless params.quarantine_when_mostly_passes
  IF quarantine THEN
    SELECT string_agg(format('CASE WHEN NOT %s THEN %L END', conds[g], rules_[g].rule_name), ', '),
           string_agg(format('NOT %s', conds[g]), ' OR '),
           -- (the rules of the scan, in its order: the name of each that moves its rows)
           array_agg(CASE WHEN rules_[g].severity = 'error'
                           AND (NOT (results->(g - 1)->>'passed')::boolean
                                OR coalesce((rules_[g].params->>'quarantine_when_mostly_passes')::boolean, false))
                          THEN rules_[g].rule_name END ORDER BY g)
      INTO cols, cond, moving
      FROM generate_series(1, cardinality(rules_)) g
     WHERE conds[g] IS NOT NULL;
    IF NOT EXISTS (SELECT 1 FROM unnest(moving) m WHERE m IS NOT NULL) THEN
      cond := NULL;
    END IF;
  END IF;
  run := dataeng_internal._run_record(caller, tbl, started, total, results, 0);
  IF quarantine AND cond IS NOT NULL THEN
    IF est >= @LARGE_LOAD_ROWS@ THEN
      RAISE NOTICE 'validating table %: moving the rows that fail its error rules to the quarantine', tbl;
    END IF;
    IF scan ? 'stash' THEN
      -- the rows the scan found failing, by their identity: no rule is
      -- evaluated again; a row updated or deleted since stays as its
      -- writer left it (its new version was not checked), rows inserted
      -- since are not moved
      n_moved := dataeng_internal._validate_move(owner_, tbl, run, (scan->>'stash')::int, moving, started);
    ELSE
      -- (a view, or a table with foreign partitions: the conditions again)
      SELECT string_agg(format('CASE WHEN NOT %s THEN %L END', conds[g], rules_[g].rule_name), ', '),
             string_agg(format('NOT %s', conds[g]), ' OR ')
        INTO cols, cond
        FROM generate_series(1, cardinality(rules_)) g
       WHERE conds[g] IS NOT NULL AND rules_[g].severity = 'error'
         AND (NOT (results->(g - 1)->>'passed')::boolean
              OR coalesce((rules_[g].params->>'quarantine_when_mostly_passes')::boolean, false));
      -- the DELETE runs as the owner; its rows go to the quarantine in
      -- batches (memory bounded whatever their number)
      n_moved := dataeng_internal._quarantine_move(owner_, format(
                     'DELETE FROM %s t WHERE %s RETURNING dataeng_internal._quarantine_row(t), to_jsonb(array_remove(ARRAY[%s], NULL))',
                     tbl, cond, cols), tbl, run);
    END IF;
    -- (the run ends once its rows are moved: its duration counts the move,
    -- which on a large quarantine takes longer than the checks)
    finished := clock_timestamp();
    UPDATE dataeng.validation_runs vr
       SET quarantined = n_moved, finished_at = finished, duration = finished - vr.started_at
     WHERE vr.run_id = run;
  END IF;

  RETURN QUERY
    SELECT e->>'rule_name', e->>'kind', (e->>'checked')::bigint, (e->>'failed')::bigint,
           (e->>'failed_pct')::numeric, (e->>'passed')::boolean, nullif(e->'sample', 'null')
      FROM jsonb_array_elements(results) e;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._validate(regrole, regclass, boolean) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._validate(regrole, regclass, boolean) IS 'internal: body of dataeng.validate()';
COMMENT ON FUNCTION dataeng.validate(regclass, boolean) IS
  'Checks every rule of a table (row-level rules in one scan), records the run; with quarantine, moves failing rows out';

-- The checks of the corrections passed to quarantine_release() and
-- quarantine_release_all(): corrected (NULL for none) must be a JSON object
-- whose every key lands in a column of table tbl as it is now (live: a key
-- the table does not have would be dropped by jsonb_populate_record without
-- a word), and none of them a generated column (the insert computes it
-- again: the value would be dropped without a word).  object_hint is the
-- hint of the first error, which names the caller.
CREATE FUNCTION dataeng_internal._quarantine_corrected_check(corrected jsonb, tbl regclass, live text[],
                                                             generated text[], object_hint text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  bad text;
BEGIN
  IF corrected IS NULL THEN
    RETURN;
  END IF;
  IF jsonb_typeof(corrected) <> 'object' THEN
    RAISE EXCEPTION 'corrected must be a JSON object, not %', jsonb_typeof(corrected)
      USING ERRCODE = 'invalid_parameter_value', HINT = object_hint;
  END IF;
  SELECT string_agg(format('"%s"', k), ', ' ORDER BY k) INTO bad
    FROM jsonb_object_keys(corrected) k WHERE k <> ALL (live);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'corrected names column % that table % does not have', bad, tbl
      USING ERRCODE = 'undefined_column', HINT = 'Name the columns of the table as they are now.';
  END IF;
  SELECT string_agg(format('"%s"', k), ', ' ORDER BY k) INTO bad
    FROM jsonb_object_keys(corrected) k WHERE k = ANY (generated);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'corrected gives a value to generated column % of table %', bad, tbl
      USING ERRCODE = 'generated_always',
            HINT = 'Correct the columns it is computed from: it is computed again when the row goes back.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._quarantine_corrected_check(jsonb, regclass, text[], text[], text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._quarantine_corrected_check(jsonb, regclass, text[], text[], text) IS
  'internal: refuses corrections of quarantine_release() and quarantine_release_all() that are not a JSON object, name a column the table does not have, or a generated one';

-- Put a quarantined row back, through the rules.  The caller must be able
-- to read the row (dataeng.rows_readable), INSERT into the table and have
-- its owner's rights (the owner, a member of its role, a superuser): the
-- rules are checked and the row is inserted as the table's owner, whose
-- triggers and CHECK constraints see the owner as current_user.
CREATE FUNCTION dataeng.quarantine_release(id bigint, corrected jsonb DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_quarantine_release'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.quarantine_release(bigint, jsonb) IS
  'Puts a quarantined row (with corrections) back into its table if it now passes the error rules';

CREATE FUNCTION dataeng_internal._quarantine_release(caller regrole, id bigint, corrected jsonb)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q dataeng.quarantine;
  failing jsonb;
  checks text;
  live text[];          -- the table's columns as they are now
  generated text[];     -- those of them that are generated
  ins_cols text;        -- the columns the row goes back with
  added boolean;        -- a column was added since it was quarantined
  same text;            -- a row of the table is the one an UPDATE was to replace
  keyed text;           -- ... and has its indexed values (an index finds it)
  cand_ids bigint[];    -- other quarantined versions of the same row, maybe
  cand_reps jsonb[];
  versions jsonb;       -- those that are: {"later": [ids], "earlier": [ids]}
  superseded bigint[];  -- earlier versions, taken out with the release
BEGIN
  IF id IS NULL THEN
    RAISE EXCEPTION 'id must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Pass the quarantine_id of a row of dataeng.quarantine.';
  END IF;
  -- locked: two releases of one row at once would both insert it (the
  -- second waits, then finds it gone)
  SELECT * INTO q FROM dataeng.quarantine x WHERE x.quarantine_id = id FOR UPDATE;
  -- a row the caller may not read does not exist for it, as in the view
  IF NOT FOUND OR NOT dataeng.rows_readable(q.table_name, (SELECT rolname FROM pg_roles WHERE oid = caller)) THEN
    RAISE EXCEPTION 'quarantined row % does not exist', id USING ERRCODE = 'undefined_object';
  END IF;
  IF NOT coalesce(has_table_privilege(caller, q.table_name, 'INSERT'), false) THEN
    RAISE EXCEPTION 'permission denied for table %', q.table_name USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM dataeng_internal._require_owner_rights(caller, q.table_name, 'dataeng.quarantine_release()');
  -- the rules and the insert (its triggers, defaults) run as the owner in
  -- this session: not among temporary objects of a role without the
  -- owner's privileges (see _validate)
  PERFORM dataeng_internal._temp_foreign_refuse((SELECT c.relowner FROM pg_class c WHERE c.oid = q.table_name)::regrole,
            format('release quarantined row %s', id),
            format('quarantine_release() checks the rules of %s and inserts the row as its owner %s, whose code could find them by name in place of its own.',
                   q.table_name, (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = q.table_name)),
            'Release it in a session without them (or after DISCARD TEMP).');
  SELECT coalesce(array_agg(a.attname::text), '{}'), coalesce(array_agg(a.attname::text) FILTER (WHERE a.attgenerated <> ''), '{}')
    INTO live, generated
    FROM pg_attribute a
   WHERE a.attrelid = q.table_name AND a.attnum > 0 AND NOT a.attisdropped;
  -- every value given or kept must land in a column: a key the table does
  -- not have would be dropped by jsonb_populate_record without a word
  PERFORM dataeng_internal._quarantine_corrected_check(corrected, q.table_name, live, generated,
            'Pass the corrected columns: dataeng.quarantine_release(id, ''{"column": "value"}'').');
  SELECT string_agg(format('"%s"', k), ', ' ORDER BY k) INTO checks
    FROM jsonb_object_keys(q.row_data) k
   WHERE k <> ALL (live);
  IF checks IS NOT NULL THEN
    RAISE EXCEPTION 'quarantined row % has values for column % that table % no longer has', id, checks, q.table_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The column was renamed or dropped after the row was quarantined; putting the row back would lose its value.',
            HINT = 'Rename the column back to release the row, or insert it by hand from dataeng.quarantine.';
  END IF;
  checks := NULL;
  IF corrected IS NOT NULL THEN
    q.row_data := q.row_data || corrected;
  END IF;
  SELECT string_agg(format('CASE WHEN NOT %s THEN %L END', dataeng_internal._rule_condition(r), r.rule_name), ', ')
    INTO checks
    FROM dataeng.rules r
   WHERE r.table_name = q.table_name AND r.severity = 'error' AND dataeng_internal._rule_condition(r) IS NOT NULL;
  -- The row's generated columns are computed again when it goes in: what
  -- the row has for them (computed from its uncorrected columns, or NULL
  -- when the guard quarantined it) is not what goes in.  A table that has
  -- some is checked only as inserted (below); another one before the
  -- insert too, which then runs none of the table's code for a row that
  -- fails.
  -- A column added since the row was quarantined is not in it: the insert
  -- gives it its default, as the table's rows got it (NULL, it refused a
  -- NOT NULL column and lost another's default), and the row is checked as
  -- inserted alone.
  SELECT coalesce(bool_or(NOT q.row_data ? a.attname), false) INTO added
    FROM pg_attribute a
   WHERE a.attrelid = q.table_name AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO ins_cols
    FROM pg_attribute a
   WHERE a.attrelid = q.table_name AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     AND q.row_data ? a.attname;
  IF checks IS NOT NULL AND cardinality(generated) = 0 AND NOT added THEN
    failing := dataeng_internal._exec_as((SELECT c.relowner FROM pg_class c WHERE c.oid = q.table_name),
                 format('SELECT to_jsonb(array_remove(ARRAY[%s], NULL)) FROM jsonb_populate_record(NULL::%s, %L::jsonb) t',
                        checks, q.table_name, q.row_data), true);
    IF jsonb_array_length(failing) > 0 THEN
      RAISE EXCEPTION 'row % still fails: %', id,
            (SELECT string_agg(e, ', ') FROM jsonb_array_elements_text(failing) e)
        USING ERRCODE = 'check_violation',
              HINT = 'Pass the corrected columns: dataeng.quarantine_release(id, ''{"column": "value"}'').';
    END IF;
  END IF;
  -- The guard diverts an UPDATE's new row and keeps the old one: while
  -- the table has that row as it was, the new one put back beside it
  -- would be a second copy of it (a table without a primary key, or an
  -- UPDATE of the key, has no unique index to refuse it).  Values are
  -- compared in their columns' types, written as JSON in this session
  -- (the quarantine's JSON of a timestamptz carries the writer's offset;
  -- a json value comes back from it as jsonb writes it, '{"a": 1}' where
  -- the table has '{"a":1}', and compared as text was another row).
  IF q.replaces IS NOT NULL THEN
    SELECT string_agg(format('to_jsonb(t.%1$I)::text IS NOT DISTINCT FROM to_jsonb(r.%1$I)::text', a.attname), ' AND ' ORDER BY a.attnum)
      INTO same
      FROM pg_attribute a
     WHERE a.attrelid = q.table_name AND a.attnum > 0 AND NOT a.attisdropped AND q.replaces ? a.attname;
    -- Two UPDATEs of one row diverted both leave it in the table, and
    -- each quarantined version replaces it: once the row is gone, each
    -- went back, one row become two.  The latest version wins: an earlier
    -- one is refused while a later one is quarantined, and goes with the
    -- later one's release.  Versions of one row replace the same row at
    -- the same place (replaces' ctid and tableoid, which the guard adds:
    -- two copies of a row in a table without a key are two rows), made by
    -- the same transaction (its xmin: another row put at the place of a
    -- deleted one is another row) with the same values (compared in their
    -- columns' types, as the owner).
    IF q.replaces ? 'ctid' THEN
      SELECT array_agg(x.quarantine_id ORDER BY x.quarantine_id), array_agg(x.replaces ORDER BY x.quarantine_id)
        INTO cand_ids, cand_reps
        FROM dataeng.quarantine x
       WHERE x.table_name = q.table_name AND x.quarantine_id <> id AND x.replaces IS NOT NULL
         AND x.replaces -> 'ctid' = q.replaces -> 'ctid' AND x.replaces -> 'tableoid' = q.replaces -> 'tableoid'
         AND x.replaces -> 'xmin' IS NOT DISTINCT FROM q.replaces -> 'xmin';
    END IF;
    IF same IS NOT NULL AND cand_ids IS NOT NULL THEN
      versions := dataeng_internal._exec_as((SELECT c.relowner FROM pg_class c WHERE c.oid = q.table_name),
          format('SELECT jsonb_build_object(''later'', coalesce(jsonb_agg(v.id) FILTER (WHERE v.id > %4$s), ''[]''), '
                 '''earlier'', coalesce(jsonb_agg(v.id) FILTER (WHERE v.id < %4$s), ''[]'')) '
                 'FROM unnest(%2$L::bigint[], %3$L::jsonb[]) v(id, rep), '
                 'LATERAL jsonb_populate_record(NULL::%1$s, v.rep) t, jsonb_populate_record(NULL::%1$s, %5$L::jsonb) r '
                 'WHERE %6$s', q.table_name, cand_ids, cand_reps, id, q.replaces, same), true);
      IF jsonb_array_length(versions->'later') > 0 THEN
        RAISE EXCEPTION 'quarantined row % cannot be put back: it was superseded by quarantined row %', id,
              (SELECT string_agg(e, ', ') FROM jsonb_array_elements_text(versions->'later') e)
          USING ERRCODE = 'unique_violation',
                DETAIL = format('A later UPDATE of the same row of table %s was quarantined too; the latest version is the one that can go back, and it takes the earlier ones out of the quarantine.', q.table_name),
                HINT = 'Release the latest version, with corrections: dataeng.quarantine_release(id, ''{"column": "value"}'').';
      END IF;
      superseded := ARRAY(SELECT e::bigint FROM jsonb_array_elements_text(versions->'earlier') e);
    END IF;
    -- The check runs as the table's owner: a table that forces row-level
    -- security on it may hide the row from the check, and the row put
    -- back would be a second copy of it.  Nobody but a role that bypasses
    -- row-level security can tell; the release is refused.
    IF (SELECT c.relrowsecurity AND c.relforcerowsecurity AND NOT (o.rolsuper OR o.rolbypassrls)
          FROM pg_class c JOIN pg_roles o ON o.oid = c.relowner WHERE c.oid = q.table_name) THEN
      RAISE EXCEPTION 'quarantined row % cannot be put back: row-level security of table % may hide the row its UPDATE was to replace', id, q.table_name
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('The table forces row-level security on its owner, %s, as whom the release looks for that row: its policies may hide it, and the row put back would be a second copy of it.',
                              (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = q.table_name)),
              HINT = 'Apply the correction to the row in the table with UPDATE; or, as the table''s owner, ALTER TABLE ... NO FORCE ROW LEVEL SECURITY, release and FORCE it again in one transaction.';
    END IF;
    -- the columns of the table's btree indexes (not only its primary
    -- key's: a table without one was read whole) that the row has a value
    -- for, compared with = as well, which an index scan can take: a value
    -- as to_jsonb() writes it is the value (a built-in type's = holds)
    SELECT string_agg(format('t.%1$I OPERATOR(pg_catalog.=) r.%1$I', a.attname), ' AND ' ORDER BY a.attnum)
      INTO keyed
      FROM pg_attribute a
      JOIN pg_type ty ON ty.oid = a.atttypid
     WHERE a.attrelid = q.table_name AND a.attnum > 0 AND NOT a.attisdropped
       AND jsonb_typeof(q.replaces -> a.attname::text) <> 'null'
       AND ty.typnamespace = 'pg_catalog'::regnamespace
       AND EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = a.attrelid AND a.attnum = ANY (i.indkey) AND i.indisvalid
                      AND ic.relam = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree'))
       AND EXISTS (SELECT 1 FROM pg_opclass oc
                    WHERE oc.opcintype = a.atttypid AND oc.opcdefault
                      AND oc.opcmethod = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree'));
    IF same IS NOT NULL AND (dataeng_internal._exec_as((SELECT c.relowner FROM pg_class c WHERE c.oid = q.table_name),
          format('SELECT to_jsonb(EXISTS (SELECT 1 FROM %1$s t, jsonb_populate_record(NULL::%1$s, %2$L::jsonb) r '
                 'WHERE %3$s AND %4$s))', q.table_name, q.replaces, coalesce(keyed, 'true'), same), true))::boolean THEN
      RAISE EXCEPTION 'quarantined row % cannot be put back: table % still has the row its UPDATE was to replace', id, q.table_name
        USING ERRCODE = 'unique_violation',
              DETAIL = 'The guard quarantined the new row of an UPDATE and kept the old one in the table; put back, the new row would be a second copy of it.',
              HINT = 'Apply the correction to the row in the table with UPDATE; the quarantined row stays in dataeng.quarantine.';
    END IF;
  END IF;
  -- the caller may INSERT and has the owner's rights (checked above); the
  -- insert runs the table's code (triggers, defaults, domain checks): as
  -- the table's owner, restricted, never as the caller (a superuser
  -- releasing another role's row), as dedupe_undo() does
  BEGIN
    -- the row as inserted (its generated columns computed again) is
    -- checked too: one that fails is taken out again
    failing := dataeng_internal._exec_as((SELECT c.relowner FROM pg_class c WHERE c.oid = q.table_name),
              -- an identity column keeps the value the row had
              -- (GENERATED ALWAYS included)
              format('WITH i AS (INSERT INTO %1$s (%3$s) OVERRIDING SYSTEM VALUE '
                     'SELECT %3$s FROM jsonb_populate_record(NULL::%1$s, %2$L::jsonb) RETURNING *) '
                     'SELECT to_jsonb(array_remove(ARRAY[%4$s], NULL)) FROM i t', q.table_name, q.row_data,
                     ins_cols, coalesce(checks, 'NULL::text')), false);
    IF jsonb_array_length(coalesce(failing, '[]')) > 0 THEN
      RAISE EXCEPTION 'row % still fails: %', id,
            (SELECT string_agg(e, ', ') FROM jsonb_array_elements_text(failing) e)
        USING ERRCODE = 'check_violation',
              DETAIL = CASE WHEN added THEN 'The row as inserted fails them: the columns added since it was quarantined took their defaults.'
                            WHEN cardinality(generated) > 0 THEN 'The row as inserted fails them: its generated columns are computed again from its other columns.'
                            ELSE 'The row as inserted fails them: the table''s triggers changed it.' END,
              HINT = CASE WHEN cardinality(generated) > 0 AND NOT added
                          THEN 'Correct the columns the generated ones are computed from: dataeng.quarantine_release(id, ''{"column": "value"}'').'
                          ELSE 'Pass the corrected columns: dataeng.quarantine_release(id, ''{"column": "value"}'').' END;
    END IF;
  EXCEPTION WHEN unique_violation THEN
    -- the guard diverts an UPDATE's new row and keeps the old one, whose
    -- key the released row then repeats; a row diverted from an INSERT
    -- (replaces NULL) may be an upsert's: the guard checks the new row of
    -- an INSERT ... ON CONFLICT DO UPDATE before PostgreSQL looks for the
    -- conflict, so neither the insert nor the update took place, and what
    -- its DO UPDATE would have set is not known here
    IF q.replaces IS NULL THEN
      RAISE EXCEPTION 'quarantined row % cannot be put back: table % has a row with the same key', id, q.table_name
        USING ERRCODE = 'unique_violation',
              DETAIL = SQLERRM || '.  The release only inserts.  The guard checks the row an INSERT ... ON CONFLICT DO UPDATE proposes before the conflict is known: such an upsert''s row it quarantined was neither inserted nor applied to the row with its key.',
              HINT = 'Apply it to the table''s row with UPDATE, as the upsert would have (the quarantined row stays in dataeng.quarantine); or, to have it replace that row, delete the table''s row and release it in one transaction.';
    END IF;
    RAISE EXCEPTION 'quarantined row % cannot be put back: table % has a row with the same key', id, q.table_name
      USING ERRCODE = 'unique_violation',
            DETAIL = SQLERRM || '.  The guard quarantines the new row of an UPDATE and keeps the old one in the table.',
            HINT = 'Apply the correction to the row in the table with UPDATE; the quarantined row stays in dataeng.quarantine.';
  END;
  DELETE FROM dataeng.quarantine x WHERE x.quarantine_id = id;
  IF cardinality(superseded) > 0 THEN
    DELETE FROM dataeng.quarantine x WHERE x.quarantine_id = ANY (superseded);
    RAISE NOTICE 'quarantined row % superseded quarantined row %: taken out of the quarantine', id,
          array_to_string(superseded, ', ')
      USING DETAIL = 'Each was an earlier UPDATE of the same row; the latest version is the one put back.';
  END IF;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._quarantine_release(regrole, bigint, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._quarantine_release(regrole, bigint, jsonb) IS 'internal: body of dataeng.quarantine_release()';

-- Put many quarantined rows of one table back at once, with the
-- semantics of quarantine_release() row by row (rights, corrections,
-- the rules, the versions of an UPDATE's row, the row it was to replace)
-- in set-based passes: the rules checked and the rows inserted
-- @RELEASE_BATCH_ROWS@ at a time by one statement each, the rows the
-- guard's UPDATEs were to replace looked for in the table by one join.
-- A batch whose insert fails (a key another row holds, a row the table's
-- code changed so that it fails a rule) is put back row by row by
-- quarantine_release()'s body, each row in a subtransaction: its refusal
-- is counted, the other rows go back.
CREATE FUNCTION dataeng.quarantine_release_all(tbl regclass, ids bigint[] DEFAULT NULL, run_id bigint DEFAULT NULL,
                                               rule_name text DEFAULT NULL, corrected jsonb DEFAULT NULL)
RETURNS TABLE (released bigint, refused bigint, superseded bigint, refusals jsonb)
AS 'MODULE_PATHNAME', 'dataeng_quarantine_release_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.quarantine_release_all(regclass, bigint[], bigint, text, jsonb) IS
  'Puts the quarantined rows of a table (by ids, run_id, rule_name) back, those that now pass the error rules, in set-based passes; counts the refused';

CREATE FUNCTION dataeng_internal._quarantine_release_all(caller regrole, tbl regclass, ids bigint[], run_id bigint,
                                                         rule_name text, corrected jsonb)
RETURNS TABLE (released bigint, refused bigint, superseded bigint, refusals jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  f_ids bigint[] := ids;
  f_run bigint := run_id;
  f_rule text := rule_name;
  owner_ regrole;
  nsp oid;
  live text[];           -- the table's columns as they are now
  generated text[];      -- those of them that are generated
  ins_all text[];        -- those that are not, in their order
  checks text;           -- the error rules, as CASE WHEN NOT cond THEN name END
  n_all bigint;
  n_done bigint := 0;
  n_in bigint := 0;
  b_ids bigint[];
  b_rows jsonb[];
  failing jsonb;
  versions jsonb;        -- {id: key} of the versions of the rows to release
  same_l text;
  same_r text;
  keyed text;
  found_ids jsonb;
  r record;
  j int;
  n_sup bigint := 0;
  sup_ids bigint[];
  rel_ids bigint[] := '{}';  -- the rows put back
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'tbl must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Pass the table whose quarantined rows go back: dataeng.quarantine_release_all(''schema.table'').';
  END IF;
  IF array_position(f_ids, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'ids must not contain NULL' USING ERRCODE = 'null_value_not_allowed',
      DETAIL = format('Element %s of ids is NULL.', array_position(f_ids, NULL)),
      HINT = 'Pass the quarantine_id of rows of dataeng.quarantine, or NULL for every row of the table.';
  END IF;
  SELECT c.relowner, c.relnamespace INTO owner_, nsp FROM pg_class c WHERE c.oid = tbl;
  IF owner_ IS NULL THEN
    RAISE EXCEPTION 'relation with OID % does not exist', tbl::oid USING ERRCODE = 'undefined_table';
  END IF;
  -- the caller must be able to read the rows (as in dataeng.quarantine)
  -- and put them back as the table's owner, as for quarantine_release()
  IF NOT dataeng.rows_readable(tbl, (SELECT rolname FROM pg_roles WHERE oid = caller)) THEN
    RAISE EXCEPTION 'permission denied for the quarantined rows of table %', tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'dataeng.quarantine shows a role the rows of the tables whose rows it may read: SELECT on the table, USAGE on its schema, and no row-level security hiding rows from it.',
            HINT = 'Ask the table''s owner to release them.';
  END IF;
  IF NOT coalesce(has_table_privilege(caller, tbl, 'INSERT'), false) THEN
    RAISE EXCEPTION 'permission denied for table %', tbl USING ERRCODE = 'insufficient_privilege',
      DETAIL = 'Putting quarantined rows back inserts them into the table.';
  END IF;
  PERFORM dataeng_internal._require_owner_rights(caller, tbl, 'dataeng.quarantine_release_all()');
  -- the rules and the inserts (triggers, defaults) run as the owner in
  -- this session: not among temporary objects of a role without the
  -- owner's privileges (see _validate)
  PERFORM dataeng_internal._temp_foreign_refuse(owner_, format('release the quarantined rows of table %s', tbl),
            format('quarantine_release_all() checks the rules of %s and inserts the rows as its owner %s, whose code could find them by name in place of its own.',
                   tbl, owner_),
            'Release them in a session without them (or after DISCARD TEMP).');
  SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}'),
         coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated <> ''), '{}'),
         coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated = ''), '{}')
    INTO live, generated, ins_all
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped;
  -- corrected: as for quarantine_release(), applied to every row
  PERFORM dataeng_internal._quarantine_corrected_check(corrected, tbl, live, generated,
            'Pass the corrected columns, the same for every row: dataeng.quarantine_release_all(tbl, corrected => ''{"column": "value"}'').');

  -- the rows, locked (a release of one of them at once waits, then finds
  -- it gone; one that went first is not found here), in one table of
  -- this transaction
  IF to_regclass('pg_temp._dataeng_release') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_release;
  END IF;
  IF to_regclass('pg_temp._dataeng_release_versions') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_release_versions;
  END IF;
  CREATE TEMP TABLE _dataeng_release (
    id       bigint PRIMARY KEY,
    rep      boolean,       -- it has replaces (the guard diverted an UPDATE)
    cols     text[],        -- the columns it goes back with, NULL for all
    latest   bigint,        -- the latest quarantined version of its row
    state    text NOT NULL DEFAULT 'pending',
    code     text,          -- SQLSTATE of a refusal
    reason   text
  ) ON COMMIT DROP;
  -- (corrected merged in; a row with values for columns the table no
  -- longer has is refused, 55000)
  INSERT INTO pg_temp._dataeng_release (id, rep, cols, state, code, reason)
    SELECT x.quarantine_id, x.replaces IS NOT NULL,
           CASE WHEN NOT m.d ?& ins_all THEN ARRAY(SELECT c FROM unnest(ins_all) c WHERE m.d ? c) END,
           CASE WHEN m.stale IS NULL THEN 'pending' ELSE 'refused' END,
           CASE WHEN m.stale IS NOT NULL THEN '55000' END,
           'the row has values for columns the table no longer has: ' || m.stale
      FROM dataeng.quarantine x
     CROSS JOIN LATERAL (SELECT x.row_data || coalesce(corrected, '{}') AS d,
                                (SELECT string_agg(format('"%s"', k), ', ' ORDER BY k)
                                   FROM jsonb_object_keys(x.row_data) k WHERE k <> ALL (live)) AS stale) m
     WHERE x.table_name = tbl
       AND (f_ids IS NULL OR x.quarantine_id = ANY (f_ids))
       AND (f_run IS NULL OR x.run_id = f_run)
       AND (f_rule IS NULL OR f_rule = ANY (x.failed_rules))
     ORDER BY x.quarantine_id
       FOR UPDATE OF x;
  GET DIAGNOSTICS n_all = ROW_COUNT;
  -- ids of no quarantined row of the table (put back since, another
  -- table's, or not matching run_id or rule_name): refused, as not found
  INSERT INTO pg_temp._dataeng_release (id, state, code, reason)
    SELECT DISTINCT i, 'refused', '42704', 'no quarantined row of the table with this id matches'
      FROM unnest(f_ids) i
     WHERE NOT EXISTS (SELECT 1 FROM pg_temp._dataeng_release t WHERE t.id = i);
  ANALYZE pg_temp._dataeng_release;
  IF n_all >= @RELEASE_NOTICE_ROWS@ THEN
    RAISE NOTICE 'putting back % quarantined rows of table %', n_all, tbl
      USING DETAIL = format('A NOTICE follows each %s rows.', @RELEASE_BATCH_ROWS@);
  END IF;

  -- the error rules, checked as the table's owner before the insert on
  -- rows that have every column, of a table without generated columns
  -- (the others are checked as inserted only, as by quarantine_release())
  SELECT string_agg(format('CASE WHEN NOT %s THEN %L END', dataeng_internal._rule_condition(x), x.rule_name), ', ')
    INTO checks
    FROM dataeng.rules x
   WHERE x.table_name = tbl AND x.severity = 'error' AND dataeng_internal._rule_condition(x) IS NOT NULL;
  IF checks IS NOT NULL AND cardinality(generated) = 0 THEN
    FOR r IN SELECT array_agg(s.id ORDER BY s.id) AS i, array_agg(s.row_data ORDER BY s.id) AS d
               FROM (SELECT t.id, x.row_data || coalesce(corrected, '{}') AS row_data,
                            (row_number() OVER (ORDER BY t.id) - 1) / @RELEASE_BATCH_ROWS@ AS b
                       FROM pg_temp._dataeng_release t
                       JOIN dataeng.quarantine x ON x.quarantine_id = t.id
                      WHERE t.state = 'pending' AND t.cols IS NULL) s
              GROUP BY s.b ORDER BY s.b LOOP
      -- (a value a row's column no longer reads, its type changed since
      -- the row was quarantined: the batch's insert fails as well, and
      -- its rows go back one by one, that one refused with the error)
      BEGIN
        failing := dataeng_internal._exec_as(owner_, format(
                     'SELECT coalesce(jsonb_object_agg(s.id, s.f), ''{}'') FROM (SELECT u."dataeng id" AS id, '
                     'to_jsonb(array_remove(ARRAY[%s], NULL)) AS f '
                     'FROM unnest(%L::bigint[], %L::jsonb[]) AS u("dataeng id", "dataeng row"), '
                     'LATERAL jsonb_populate_record(NULL::%s, u."dataeng row") t) s '
                     'WHERE jsonb_array_length(s.f) OPERATOR(pg_catalog.>) 0',
                     checks, r.i, r.d, tbl), true);
      EXCEPTION WHEN data_exception THEN
        failing := '{}';
      END;
      UPDATE pg_temp._dataeng_release t SET state = 'refused', code = '23514',
             reason = 'the row still fails: ' || (SELECT string_agg(e, ', ') FROM jsonb_array_elements_text(f.value) e)
        FROM jsonb_each(failing) f
       WHERE t.id = f.key::bigint;
    END LOOP;
  END IF;

  -- Versions of one row, as quarantine_release() tells them (the place
  -- and transaction of the row they replace, and its values compared in
  -- their columns' types, as the owner): every version quarantined of
  -- the rows to release, found through quarantine_replaces_idx, keyed in
  -- one query.  The latest wins: an earlier one goes with it, or is
  -- refused (23505) while it stays quarantined.
  -- (those alone at their place, the most, are no version of another:
  -- only the others are compared)
  SELECT array_agg(c.id ORDER BY c.id), array_agg(c.rep ORDER BY c.id) INTO b_ids, b_rows
    FROM (SELECT x.quarantine_id AS id, x.replaces AS rep,
                 count(*) OVER (PARTITION BY x.replaces -> 'ctid', x.replaces -> 'tableoid', x.replaces -> 'xmin') AS n
            FROM dataeng.quarantine x
           WHERE x.table_name = tbl AND x.replaces IS NOT NULL AND x.replaces ? 'ctid'
             AND EXISTS (SELECT 1 FROM pg_temp._dataeng_release t
                            JOIN dataeng.quarantine y ON y.quarantine_id = t.id
                          WHERE t.rep AND y.replaces ? 'ctid' AND x.replaces -> 'ctid' = y.replaces -> 'ctid'
                            AND x.replaces -> 'tableoid' = y.replaces -> 'tableoid'
                            AND x.replaces -> 'xmin' IS NOT DISTINCT FROM y.replaces -> 'xmin'
                            AND EXISTS (SELECT 1 FROM unnest(live) c WHERE y.replaces ? c))) c
   WHERE c.n > 1;
  IF b_ids IS NOT NULL THEN
    SELECT string_agg(format('CASE WHEN u."dataeng rep" ? %L THEN to_jsonb(t.%I)::text END', c, c), ', ')
      INTO same_l FROM unnest(live) c;
    versions := dataeng_internal._exec_as(owner_, format(
                  'SELECT jsonb_object_agg(u."dataeng id", md5(concat_ws(chr(1), u."dataeng rep" ->> ''ctid'', '
                  'u."dataeng rep" ->> ''tableoid'', u."dataeng rep" -> ''xmin'', ARRAY[%s]::text))) '
                  'FROM unnest(%L::bigint[], %L::jsonb[]) AS u("dataeng id", "dataeng rep"), '
                  'LATERAL jsonb_populate_record(NULL::%s, u."dataeng rep") t',
                  same_l, b_ids, b_rows, tbl), true);
    CREATE TEMP TABLE _dataeng_release_versions ON COMMIT DROP AS
      SELECT e.key::bigint AS id, e.value AS grp, max(e.key::bigint) OVER (PARTITION BY e.value) AS latest,
             count(*) OVER (PARTITION BY e.value) AS n
        FROM jsonb_each_text(versions) e;
    ANALYZE pg_temp._dataeng_release_versions;
    -- (rows of a row quarantined once only have no other version)
    UPDATE pg_temp._dataeng_release t SET latest = k.latest
      FROM pg_temp._dataeng_release_versions k
     WHERE t.id = k.id AND k.n > 1;
    UPDATE pg_temp._dataeng_release t
       SET state = 'refused', code = '23505',
           reason = 'the row was superseded by a later quarantined version of it, which stays quarantined'
     WHERE t.state = 'pending' AND t.latest > t.id
       AND NOT EXISTS (SELECT 1 FROM pg_temp._dataeng_release l WHERE l.id = t.latest AND l.state = 'pending');
    UPDATE pg_temp._dataeng_release t SET state = 'earlier' WHERE t.state = 'pending' AND t.latest > t.id;
  END IF;

  -- the row an UPDATE was to replace is looked for as the table's owner:
  -- a table that forces row-level security on it may hide it (42501)
  IF (SELECT c.relrowsecurity AND c.relforcerowsecurity AND NOT (o.rolsuper OR o.rolbypassrls)
        FROM pg_class c JOIN pg_roles o ON o.oid = c.relowner WHERE c.oid = tbl) THEN
    UPDATE pg_temp._dataeng_release t
       SET state = 'refused', code = '42501',
           reason = format('row-level security of the table, forced on its owner %s, may hide the row its UPDATE was to replace', owner_)
     WHERE t.state = 'pending' AND t.rep;
  END IF;
  -- while the table has the row an UPDATE was to replace, its new row
  -- cannot go back (23505): one join of the rows with the table (a hash
  -- join reads it once; an index on columns of built-in types the rows
  -- all have a value for may be used instead), per set of columns the
  -- rows' replaces have
  FOR r IN SELECT g.rk, array_agg(t.id ORDER BY t.id) AS i, array_agg(x.replaces ORDER BY t.id) AS d
             FROM pg_temp._dataeng_release t
             JOIN dataeng.quarantine x ON x.quarantine_id = t.id,
                  LATERAL (SELECT ARRAY(SELECT c FROM unnest(live) c WHERE x.replaces ? c) AS rk) g
            WHERE t.state = 'pending' AND t.rep AND cardinality(g.rk) > 0
            GROUP BY g.rk LOOP
    SELECT string_agg(format('to_jsonb(t.%I)::text', c), ', '), string_agg(format('to_jsonb(r.%I)::text', c), ', ')
      INTO same_l, same_r FROM unnest(r.rk) c;
    SELECT string_agg(format('t.%1$I OPERATOR(pg_catalog.=) r.%1$I', a.attname), ' AND ' ORDER BY a.attnum)
      INTO keyed
      FROM pg_attribute a
      JOIN pg_type ty ON ty.oid = a.atttypid
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attname::text = ANY (r.rk)
       AND NOT EXISTS (SELECT 1 FROM unnest(r.d) d WHERE coalesce(jsonb_typeof(d -> a.attname::text), 'null') = 'null')
       AND ty.typnamespace = 'pg_catalog'::regnamespace
       AND EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = a.attrelid AND a.attnum = ANY (i.indkey) AND i.indisvalid
                      AND ic.relam = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree'))
       AND EXISTS (SELECT 1 FROM pg_opclass oc
                    WHERE oc.opcintype = a.atttypid AND oc.opcdefault
                      AND oc.opcmethod = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree'));
    found_ids := dataeng_internal._exec_as(owner_, format(
                   'SELECT coalesce(jsonb_agg(DISTINCT u."dataeng id"), ''[]'') '
                   'FROM unnest(%2$L::bigint[], %3$L::jsonb[]) AS u("dataeng id", "dataeng rep") '
                   'CROSS JOIN LATERAL jsonb_populate_record(NULL::%1$s, u."dataeng rep") r '
                   'JOIN %1$s t ON %4$s ARRAY[%5$s]::text[] OPERATOR(pg_catalog.=) ARRAY[%6$s]::text[]',
                   tbl, r.i, r.d, coalesce(keyed || ' AND ', ''), same_l, same_r), true);
    UPDATE pg_temp._dataeng_release t
       SET state = 'refused', code = '23505',
           reason = 'the table still has the row its UPDATE was to replace: correct that row with UPDATE'
      FROM jsonb_array_elements_text(found_ids) e
     WHERE t.id = e::bigint;
  END LOOP;

  -- the rows that go back: per set of columns they have (a column added
  -- since takes its default), @RELEASE_BATCH_ROWS@ per INSERT as the
  -- table's owner, restricted; checked as inserted.  A batch that fails
  -- goes back row by row through quarantine_release()'s body.
  SELECT count(*) INTO n_in FROM pg_temp._dataeng_release t WHERE t.state = 'pending';
  FOR r IN SELECT s.cols, array_agg(s.id ORDER BY s.id) AS i, array_agg(s.row_data ORDER BY s.id) AS d
             FROM (SELECT t.id, coalesce(t.cols, ins_all) AS cols, x.row_data || coalesce(corrected, '{}') AS row_data,
                          (row_number() OVER (PARTITION BY t.cols ORDER BY t.id) - 1) / @RELEASE_BATCH_ROWS@ AS b
                     FROM pg_temp._dataeng_release t
                     JOIN dataeng.quarantine x ON x.quarantine_id = t.id
                    WHERE t.state = 'pending') s
            GROUP BY s.cols, s.b ORDER BY min(s.id) LOOP
    BEGIN
      IF cardinality(r.cols) = 0 THEN
        RAISE EXCEPTION 'no column to insert' USING ERRCODE = 'object_not_in_prerequisite_state';
      END IF;
      failing := dataeng_internal._exec_as(owner_, format(
                   'WITH i AS (INSERT INTO %1$s (%2$s) OVERRIDING SYSTEM VALUE SELECT %3$s '
                   'FROM unnest(%4$L::jsonb[]) AS u("dataeng row"), '
                   'LATERAL jsonb_populate_record(NULL::%1$s, u."dataeng row") p RETURNING *) '
                   'SELECT to_jsonb(count(*)) FROM i t '
                   'WHERE cardinality(array_remove(ARRAY[%5$s], NULL)) OPERATOR(pg_catalog.>) 0',
                   tbl, (SELECT string_agg(quote_ident(c), ', ') FROM unnest(r.cols) c),
                   (SELECT string_agg('p.' || quote_ident(c), ', ') FROM unnest(r.cols) c),
                   r.d, coalesce(checks, 'NULL::text')), false);
      IF (failing #>> '{}')::bigint > 0 THEN
        RAISE EXCEPTION '% rows fail as inserted', failing USING ERRCODE = 'check_violation';
      END IF;
      rel_ids := rel_ids || r.i;
    EXCEPTION
      WHEN integrity_constraint_violation OR data_exception OR raise_exception OR insufficient_privilege
           OR object_not_in_prerequisite_state OR generated_always THEN
        FOR j IN 1 .. cardinality(r.i) LOOP
          BEGIN
            PERFORM dataeng_internal._quarantine_release(caller, r.i[j], corrected);
            rel_ids := rel_ids || r.i[j];
          EXCEPTION
            WHEN integrity_constraint_violation OR data_exception OR raise_exception OR insufficient_privilege
                 OR object_not_in_prerequisite_state OR generated_always OR undefined_object THEN
              UPDATE pg_temp._dataeng_release t
                 SET state = 'refused', code = SQLSTATE,
                     reason = replace(replace(SQLERRM, 'quarantined row ' || r.i[j] || ' ', 'the row '),
                                      'row ' || r.i[j] || ' ', 'the row ')
               WHERE t.id = r.i[j];
          END;
        END LOOP;
    END;
    n_done := n_done + cardinality(r.i);
    IF n_all >= @RELEASE_NOTICE_ROWS@ THEN
      RAISE NOTICE 'putting back quarantined rows of table %: % of % done', tbl, n_done, n_in;
    END IF;
  END LOOP;

  -- (of the rows put back, the state of the versions of a row only)
  UPDATE pg_temp._dataeng_release t SET state = 'released'
    FROM unnest(rel_ids) i WHERE t.id = i AND t.latest IS NOT NULL;
  -- earlier versions: taken out with the latest that went back, else
  -- refused
  UPDATE pg_temp._dataeng_release t
     SET state = CASE WHEN l.state = 'released' THEN 'superseded' ELSE 'refused' END,
         code = CASE WHEN l.state = 'released' THEN NULL ELSE '23505' END,
         reason = CASE WHEN l.state = 'released' THEN NULL
                       ELSE 'the row was superseded by a later quarantined version of it, which stays quarantined' END
    FROM pg_temp._dataeng_release l
   WHERE t.state = 'earlier' AND l.id = t.latest;
  IF versions IS NOT NULL THEN
    SELECT array_agg(k.id ORDER BY k.id) INTO sup_ids
      FROM pg_temp._dataeng_release_versions k
      JOIN pg_temp._dataeng_release l ON l.id = k.latest AND l.state = 'released'
     WHERE k.id < k.latest AND k.n > 1;
    n_sup := coalesce(cardinality(sup_ids), 0);
    DROP TABLE pg_temp._dataeng_release_versions;
  END IF;
  DELETE FROM dataeng.quarantine x USING unnest(rel_ids) i WHERE x.quarantine_id = i;
  IF n_sup > 0 THEN
    DELETE FROM dataeng.quarantine x WHERE x.quarantine_id = ANY (sup_ids);
    RAISE NOTICE '% quarantined rows of table % were superseded by the rows put back: taken out of the quarantine', n_sup, tbl
      USING DETAIL = 'Each was an earlier UPDATE of a row whose latest version went back.';
  END IF;

  RETURN QUERY
    SELECT cardinality(rel_ids)::bigint,
           (SELECT count(*) FROM pg_temp._dataeng_release t WHERE t.state = 'refused'),
           n_sup,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('sqlstate', g.code, 'reason', g.reason, 'rows', g.n,
                                                         'ids', to_jsonb(g.i[1:20]))
                                      ORDER BY g.code, g.reason), '[]')
              FROM (SELECT t.code, t.reason, count(*) AS n, array_agg(t.id ORDER BY t.id) AS i
                      FROM pg_temp._dataeng_release t WHERE t.state = 'refused'
                     GROUP BY t.code, t.reason) g);
  DROP TABLE pg_temp._dataeng_release;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._quarantine_release_all(regrole, regclass, bigint[], bigint, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._quarantine_release_all(regrole, regclass, bigint[], bigint, text, jsonb) IS
  'internal: body of dataeng.quarantine_release_all()';

-- Remove a quarantined row: the caller must be able to read it and to put
-- it back (INSERT), as quarantine_release() does.
CREATE FUNCTION dataeng_internal._quarantine_take(id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_quarantine_take'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng_internal._quarantine_take(bigint) IS 'internal: remove a released row from the quarantine';

CREATE FUNCTION dataeng_internal._quarantine_take_as_owner(caller regrole, id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dataeng.quarantine q WHERE q.quarantine_id = id
                   AND dataeng.rows_readable(q.table_name, (SELECT rolname FROM pg_roles WHERE oid = caller))
                   AND has_table_privilege(caller, q.table_name, 'INSERT')) THEN
    RAISE EXCEPTION 'permission denied for quarantined row %', id USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM dataeng.quarantine q WHERE q.quarantine_id = id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._quarantine_take_as_owner(regrole, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._quarantine_take_as_owner(regrole, bigint) IS 'internal: body of dataeng_internal._quarantine_take()';

-- The ingestion guard (src/validate/guard.c).
CREATE FUNCTION dataeng_internal.guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_guard'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng_internal.guard() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal.guard() IS 'Ingestion guard trigger installed by dataeng.guard_enable()';

-- Closes the load of a statement the guard diverted rows of (guard.c).
CREATE FUNCTION dataeng_internal.guard_load()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_guard_load'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng_internal.guard_load() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal.guard_load() IS
  'Ingestion guard statement trigger installed by dataeng.guard_enable(): alerts and a NOTICE for a load''s quarantined rows';

-- The alerts of a load: one per rule its quarantined rows break, like a
-- validation run's failed error rules, in the table and as NOTIFY
-- dataeng_alerts.  Called by the guard's statement trigger only (as
-- dataeng's owner); the number of rows the load quarantined.
CREATE FUNCTION dataeng_internal._guard_load_done(caller regrole, tbl regclass, load bigint, checked bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n bigint;
  sent bigint;
BEGIN
  SELECT count(*) INTO n FROM dataeng.quarantine q
   WHERE q.table_name OPERATOR(pg_catalog.=) tbl AND q.run_id OPERATOR(pg_catalog.=) load;
  IF n = 0 THEN
    RETURN 0;
  END IF;
  WITH per_rule AS (
    SELECT f AS rule_name, count(*) AS failed
      FROM dataeng.quarantine q, unnest(q.failed_rules) f
     WHERE q.table_name OPERATOR(pg_catalog.=) tbl AND q.run_id OPERATOR(pg_catalog.=) load
     GROUP BY f),
  a AS (
    INSERT INTO dataeng.alerts (table_name, run_id, rule_name, kind, failed, failed_pct, payload)
    SELECT tbl, load, p.rule_name, coalesce(r.kind, 'unknown'), p.failed,
           round(p.failed * 100.0 / greatest(checked, n), 2),
           jsonb_build_object('table', tbl::text, 'run_id', load, 'rule', p.rule_name,
                              'kind', coalesce(r.kind, 'unknown'), 'failed', p.failed,
                              'failed_pct', round(p.failed * 100.0 / greatest(checked, n), 2),
                              'guard', true, 'rows_written', greatest(checked, n), 'rows_quarantined', n,
                              'written_by', caller::text)
      FROM per_rule p
      LEFT JOIN dataeng.rules r ON r.table_name OPERATOR(pg_catalog.=) tbl
                               AND r.rule_name OPERATOR(pg_catalog.=) p.rule_name
     ORDER BY p.rule_name
    RETURNING alert_id)
  SELECT count(pg_notify('dataeng_alerts', alert_id::text)) INTO sent FROM a;
  RETURN n;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._guard_load_done(regrole, regclass, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._guard_load_done(regrole, regclass, bigint, bigint) IS
  'internal: raise the alerts of a load the guard quarantined rows of';

CREATE FUNCTION dataeng.guard_enable(tbl regclass, action text DEFAULT 'reject')
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_guard_enable'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.guard_enable(regclass, text) IS
  'Checks the table''s row-level error rules on every insert and update: reject the row, or quarantine it';

CREATE FUNCTION dataeng_internal._guard_enable(caller regrole, tbl regclass, action text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  late record;
BEGIN
  IF tbl IS NULL OR action IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', CASE WHEN tbl IS NULL THEN 'tbl' ELSE 'action' END USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM dataeng_internal._require_owner(caller, tbl, 'guard it');
  IF action NOT IN ('reject', 'quarantine') THEN
    RAISE EXCEPTION 'guard action must be reject or quarantine, not "%"', action
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = tbl) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot guard %: only tables can be guarded', tbl USING ERRCODE = 'wrong_object_type';
  END IF;
  PERFORM dataeng_internal._require_partitions_owned(caller, tbl, 'dataeng.guard_enable()');
  -- (OR REPLACE: enabling again changes the action, with no NOTICE)
  EXECUTE format('CREATE OR REPLACE TRIGGER dataeng_guard BEFORE INSERT OR UPDATE ON %s '
                 'FOR EACH ROW EXECUTE FUNCTION dataeng_internal.guard(%L)', tbl, action);
  EXECUTE format('CREATE OR REPLACE TRIGGER dataeng_guard_load AFTER INSERT OR UPDATE ON %s '
                 'FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.guard_load()', tbl);
  -- PostgreSQL fires a row's BEFORE triggers in the order of their names:
  -- one of the table (or of a partition) whose name sorts after
  -- dataeng_guard runs after the guard, and a row it changes is stored
  -- unchecked (a trigger zz_fill that blanked a column the rules want
  -- stored the row, as the guard had passed it)
  FOR late IN
    SELECT tg.tgname, tg.tgrelid::regclass AS rel
      FROM (SELECT tbl::oid AS relid
            UNION
            SELECT pt.relid FROM pg_catalog.pg_partition_tree(tbl) pt) r
      JOIN pg_catalog.pg_trigger tg ON tg.tgrelid OPERATOR(pg_catalog.=) r.relid
     WHERE NOT tg.tgisinternal AND tg.tgenabled OPERATOR(pg_catalog.<>) 'D'
       -- (a row trigger fired before, on INSERT or UPDATE)
       AND (tg.tgtype::int4 OPERATOR(pg_catalog.&) 3) OPERATOR(pg_catalog.=) 3
       AND (tg.tgtype::int4 OPERATOR(pg_catalog.&) 20) OPERATOR(pg_catalog.<>) 0
       AND tg.tgname OPERATOR(pg_catalog.>) 'dataeng_guard'::pg_catalog.name
     ORDER BY tg.tgrelid::regclass::text, tg.tgname
  LOOP
    RAISE WARNING 'trigger "%" of table % fires after the guard: a row it changes is stored unchecked', late.tgname, late.rel
      USING DETAIL = 'PostgreSQL fires the BEFORE triggers of a row in the order of their names, and this one''s sorts after "dataeng_guard".',
            HINT = 'Rename the trigger so that its name sorts before "dataeng_guard" (ALTER TRIGGER ... RENAME TO), or let it change no column a rule reads.';
  END LOOP;
  -- a guard that checks nothing yet says so (rules added later apply)
  IF NOT EXISTS (SELECT 1 FROM dataeng.rules r
                  WHERE r.table_name OPERATOR(pg_catalog.=) tbl AND r.severity OPERATOR(pg_catalog.=) 'error'
                    AND dataeng_internal._rule_condition(r) IS NOT NULL) THEN
    RAISE NOTICE 'the guard of % checks no rule yet: the table has no row-level error rule', tbl
      USING DETAIL = 'The guard checks the rules of this table (not those of a partitioned table it is a partition of) '
                     'whose severity is error and that a row can break alone (not row_count, freshness, unique '
                     'or foreign_key); rows pass until one is added.',
            HINT = 'Add rules with dataeng.rule_add(); a rule added later is checked from then on.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._guard_enable(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._guard_enable(regrole, regclass, text) IS 'internal: body of dataeng.guard_enable()';

CREATE FUNCTION dataeng.guard_disable(tbl regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_guard_disable'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.guard_disable(regclass) IS 'Removes the ingestion guard of a table';

CREATE FUNCTION dataeng_internal._guard_disable(caller regrole, tbl regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng_internal._require_owner(caller, tbl, 'unguard it');
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'dataeng_guard') THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP TRIGGER dataeng_guard ON %s', tbl);
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'dataeng_guard_load') THEN
    EXECUTE format('DROP TRIGGER dataeng_guard_load ON %s', tbl);
  END IF;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._guard_disable(regrole, regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._guard_disable(regrole, regclass) IS 'internal: body of dataeng.guard_disable()';

-- A dropped relation's rules go with it, as its CHECK constraints do:
-- the event trigger dataeng_tables_on_drop deletes them (ops.sql).

-- Rules changed: a guarded table's trigger is re-created, which makes the
-- guard re-read its rules.
CREATE FUNCTION dataeng_internal._guard_touch(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  args text;
BEGIN
  SELECT encode(tgargs, 'escape') INTO args FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'dataeng_guard';
  IF FOUND THEN
    EXECUTE format('DROP TRIGGER dataeng_guard ON %s', tbl);
    EXECUTE format('CREATE TRIGGER dataeng_guard BEFORE INSERT OR UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION dataeng_internal.guard(%L)', tbl, split_part(args, E'\\000', 1));
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._guard_touch(regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._guard_touch(regclass) IS 'internal: make a guard re-read its rules';

