-----------------------------------------------------------------------------
-- Operations (docs/ops.md): one status view over every pipeline object,
-- alerts raised once and resolved once, alert handlers, monitors of
-- freshness and volume, maintenance, lineage.
--
-- pipeline_status and lineage are computed from the catalogs and the
-- other areas' views each time they are read, with the reader's rights:
-- a role sees the jobs, consumers, facts and dimensions it owns, the
-- captured and ruled tables it may read, and the monitors of tables whose
-- rows it may read.  dataeng.alert_check() (run by dataeng.maintain(),
-- which the maintenance worker of src/ops/maintenance.c runs in every
-- database every dataeng.maintenance_interval, as the bootstrap superuser)
-- reads the same status for every object and raises or
-- resolves alerts (dataeng.alerts, in rules.sql); a monitor's check
-- raises or resolves its own alert at once.  Settings, monitors and alert
-- handlers are written only through invoker-rights C entry points
-- (src/ops/api.c) whose bodies (_alert_set, _monitor_create, ...) check
-- the calling role.  Code of a role (an alert handler, a monitor's query
-- over its table) runs as that role, restricted (dataeng_internal._exec_as).
-----------------------------------------------------------------------------

-- Thresholds and switches: per object ('job:NAME', 'consumer:NAME',
-- 'fact:NAME', 'dimension:NAME', 'monitor:NAME') or for all ('*', set by
-- a superuser); _ops_setting falls back to '*' and then to the built-in
-- default of _ops_default.
CREATE TABLE dataeng.alert_settings (
  object  text        NOT NULL CHECK (object <> ''),
  setting text        NOT NULL,
  value   text        NOT NULL,
  owner   regrole,
  set_at  timestamptz NOT NULL DEFAULT now(),
  owner_name   name,
  owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier,
  PRIMARY KEY (object, setting)
);
COMMENT ON TABLE dataeng.alert_settings IS
  'Alert thresholds and maintenance settings per object, or for all (object *); set with dataeng.alert_set()';
COMMENT ON COLUMN dataeng.alert_settings.object IS 'The object the setting applies to';
COMMENT ON COLUMN dataeng.alert_settings.setting IS 'Name of the setting';
COMMENT ON COLUMN dataeng.alert_settings.value IS 'Value of the setting';
COMMENT ON COLUMN dataeng.alert_settings.owner IS 'Role that made the setting';
COMMENT ON COLUMN dataeng.alert_settings.set_at IS 'When the setting was made';
SELECT pg_catalog.pg_extension_config_dump('dataeng.alert_settings', '');
COMMENT ON COLUMN dataeng.alert_settings.owner_name IS
  'The owner''s role name when the setting was made: a setting restored in another cluster, whose owner oid there names a role of another name, is shown to superusers only and applies to no object';
COMMENT ON COLUMN dataeng.alert_settings.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (as dataeng.jobs.owner_system)';
ALTER TABLE dataeng.alert_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON dataeng.alert_settings FOR SELECT
  USING (owner IS NULL
         OR (pg_has_role(owner, 'USAGE') AND dataeng_internal._owner_trusted(owner, owner_name, owner_system)));
REVOKE ALL ON dataeng.alert_settings FROM PUBLIC;
GRANT SELECT ON dataeng.alert_settings TO PUBLIC;

CREATE TABLE dataeng.monitors (
  name        text        PRIMARY KEY CHECK (name <> ''),
  tbl         regclass    NOT NULL,
  time_column text        NOT NULL,
  max_silence interval    CHECK (max_silence > interval '0'),
  min_rows    bigint      CHECK (min_rows >= 0),
  per         interval    NOT NULL CHECK (per > interval '0'),
  drop_pct    numeric     CHECK (drop_pct > 0 AND drop_pct <= 100),
  schedule    text        NOT NULL,
  owner       regrole     NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  owner_name   name,
  owner_system bigint     DEFAULT (pg_catalog.pg_control_system()).system_identifier,
  time_zone    text
);
COMMENT ON TABLE dataeng.monitors IS
  'Freshness and volume monitors of tables (dataeng.monitor_create), checked by their job monitor:NAME';
COMMENT ON COLUMN dataeng.monitors.name IS 'Name of the monitor';
COMMENT ON COLUMN dataeng.monitors.tbl IS 'The table watched';
COMMENT ON COLUMN dataeng.monitors.time_column IS 'Column giving each row''s time';
COMMENT ON COLUMN dataeng.monitors.max_silence IS 'Longest time without a new row before the check fails';
COMMENT ON COLUMN dataeng.monitors.min_rows IS 'Fewest rows expected per period';
COMMENT ON COLUMN dataeng.monitors.per IS 'Length of a period for min_rows and drop_pct';
COMMENT ON COLUMN dataeng.monitors.drop_pct IS 'Largest drop in percent below the average of the last 7 periods';
COMMENT ON COLUMN dataeng.monitors.schedule IS 'Schedule of the check';
COMMENT ON COLUMN dataeng.monitors.owner IS 'Role owning the monitor';
COMMENT ON COLUMN dataeng.monitors.created_at IS 'When the monitor was created';
SELECT pg_catalog.pg_extension_config_dump('dataeng.monitors', '');
COMMENT ON COLUMN dataeng.monitors.owner_name IS
  'The owner''s role name when the monitor was made: a monitor restored in another cluster, whose owner oid there names a role of another name, is not that role''s (shown to it only as to any reader of the table; not its to drop)';
COMMENT ON COLUMN dataeng.monitors.time_zone IS
  'The time zone a time column of type timestamp (without time zone) or date is read in: the monitor_create() argument, else the TimeZone of the session that created the monitor';
COMMENT ON COLUMN dataeng.monitors.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (as dataeng.jobs.owner_system)';

CREATE TABLE dataeng.monitor_checks (
  check_id       bigserial   PRIMARY KEY,
  monitor        text        NOT NULL,
  tbl            regclass,
  checked_at     timestamptz NOT NULL DEFAULT now(),
  newest         timestamptz,
  rows_in_period bigint,
  baseline       numeric,
  ok             boolean     NOT NULL,
  problems       text[]      NOT NULL DEFAULT '{}',
  dropped_table  text
);
CREATE INDEX monitor_checks_monitor_idx ON dataeng.monitor_checks (monitor, check_id);
-- (by table: an sql_drop event trigger detaches a dropped table's rows, ops.sql)
CREATE INDEX monitor_checks_table_idx ON dataeng.monitor_checks (tbl);
SELECT pg_catalog.pg_extension_config_dump('dataeng.monitor_checks', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.monitor_checks_check_id_seq', '');
COMMENT ON TABLE dataeng.monitor_checks IS
  'Every check of a monitor: newest row, rows in the last period, the average of the previous periods, findings';
COMMENT ON COLUMN dataeng.monitor_checks.check_id IS 'Identifier of the check';
COMMENT ON COLUMN dataeng.monitor_checks.monitor IS 'The monitor checked';
COMMENT ON COLUMN dataeng.monitor_checks.tbl IS 'The table watched';
COMMENT ON COLUMN dataeng.monitor_checks.checked_at IS 'When the check was made';
COMMENT ON COLUMN dataeng.monitor_checks.newest IS 'Time of the newest row';
COMMENT ON COLUMN dataeng.monitor_checks.rows_in_period IS 'Rows in the last period';
COMMENT ON COLUMN dataeng.monitor_checks.baseline IS 'Average rows of the 7 periods before';
COMMENT ON COLUMN dataeng.monitor_checks.ok IS 'Whether the check passed';
COMMENT ON COLUMN dataeng.monitor_checks.problems IS 'What failed';

ALTER TABLE dataeng.monitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.monitor_checks ENABLE ROW LEVEL SECURITY;
-- (a monitor restored in another cluster, whose owner oid there names a
-- role of another name, is not that role's: _owner_trusted)
CREATE POLICY readable ON dataeng.monitors FOR SELECT
  USING ((pg_has_role(owner, 'USAGE') AND dataeng_internal._owner_trusted(owner, owner_name, owner_system))
         OR dataeng.rows_readable(tbl));
CREATE POLICY readable ON dataeng.monitor_checks FOR SELECT USING (dataeng.rows_readable(tbl));
REVOKE ALL ON dataeng.monitors, dataeng.monitor_checks FROM PUBLIC;
REVOKE ALL ON SEQUENCE dataeng.monitor_checks_check_id_seq FROM PUBLIC;
GRANT SELECT ON dataeng.monitors, dataeng.monitor_checks TO PUBLIC;

-- Alert handlers: each names its function by oid, by identity
-- (handler_name) and by the catalog where the oid was read
-- (handler_catalog: dataeng_internal._proc_resolve, common.sql), so that
-- pg_upgrade, which gives functions new oids, carries them (a regprocedure
-- column it refuses); renames are followed (_handlers_follow).  Read
-- through the view dataeng.alert_handlers, which shows the function.
CREATE TABLE dataeng_internal.alert_handlers (
  handler     oid          NOT NULL,    -- the function's oid in handler_catalog
  owner       regrole      NOT NULL,
  kinds       text[],
  created_at  timestamptz  NOT NULL DEFAULT now(),
  calls       bigint       NOT NULL DEFAULT 0,
  failures    bigint       NOT NULL DEFAULT 0,
  last_error  text,
  last_error_at timestamptz,
  owner_name   name,
  owner_system bigint      DEFAULT (pg_catalog.pg_control_system()).system_identifier,
  handler_name    text,
  handler_catalog text     NOT NULL DEFAULT dataeng_internal._catalog_id(),
  PRIMARY KEY (handler, handler_catalog)
);
COMMENT ON TABLE dataeng_internal.alert_handlers IS
  'Functions called as their owner, with a timeout, with each alert raised or resolved that their owner may see (shown by the view dataeng.alert_handlers)';
SELECT pg_catalog.pg_extension_config_dump('dataeng_internal.alert_handlers', '');
COMMENT ON COLUMN dataeng_internal.alert_handlers.handler IS
  'The function''s oid in the catalog of handler_catalog';
COMMENT ON COLUMN dataeng_internal.alert_handlers.handler_name IS
  'The function''s schema-qualified name and argument types, following renames: the function in another catalog (after pg_upgrade or a restore)';
COMMENT ON COLUMN dataeng_internal.alert_handlers.handler_catalog IS
  'Where handler is the function''s oid: the system identifier and the oid of dataeng''s extension row (dataeng_internal._catalog_id())';
COMMENT ON COLUMN dataeng_internal.alert_handlers.owner_name IS
  'The owner''s role name when the handler was added: a handler restored in another cluster, whose owner oid there names a role of another name, is shown to superusers only, not called, and not that role''s to drop';
COMMENT ON COLUMN dataeng_internal.alert_handlers.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (as dataeng.jobs.owner_system)';
ALTER TABLE dataeng_internal.alert_handlers ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON dataeng_internal.alert_handlers FOR SELECT
  USING (pg_has_role(owner, 'USAGE') AND dataeng_internal._owner_trusted(owner, owner_name, owner_system));
REVOKE ALL ON dataeng_internal.alert_handlers FROM PUBLIC;
GRANT SELECT ON dataeng_internal.alert_handlers TO PUBLIC;

-- (security_invoker: each role sees its own handlers, by row security)
CREATE VIEW dataeng.alert_handlers WITH (security_invoker = true) AS
  SELECT dataeng_internal._proc_resolve(h.handler, h.handler_name, h.handler_catalog)::regprocedure AS handler,
         h.owner, h.kinds, h.created_at, h.calls, h.failures, h.last_error, h.last_error_at,
         h.owner_name, h.owner_system
    FROM dataeng_internal.alert_handlers h;
COMMENT ON VIEW dataeng.alert_handlers IS
  'Functions called as their owner, with a timeout, with each alert raised or resolved that their owner may see';
COMMENT ON COLUMN dataeng.alert_handlers.handler IS 'Function called with each alert';
COMMENT ON COLUMN dataeng.alert_handlers.owner IS 'Role owning the handler (it runs as it)';
COMMENT ON COLUMN dataeng.alert_handlers.kinds IS 'Kinds of alerts the handler gets, NULL for all';
COMMENT ON COLUMN dataeng.alert_handlers.created_at IS 'When the handler was added';
COMMENT ON COLUMN dataeng.alert_handlers.calls IS 'Calls of the handler';
COMMENT ON COLUMN dataeng.alert_handlers.failures IS 'Calls that failed';
COMMENT ON COLUMN dataeng.alert_handlers.last_error IS 'The last error of the handler';
COMMENT ON COLUMN dataeng.alert_handlers.last_error_at IS 'When the handler last failed';
COMMENT ON COLUMN dataeng.alert_handlers.owner_name IS
  'The owner''s role name when the handler was added: a handler restored in another cluster, whose owner oid there names a role of another name, is shown to superusers only, not called, and not that role''s to drop';
COMMENT ON COLUMN dataeng.alert_handlers.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (as dataeng.jobs.owner_system)';
GRANT SELECT ON dataeng.alert_handlers TO PUBLIC;

-- The calls of handlers put off by the session that sent their alert,
-- because it held temporary objects of another role than the handler's
-- (_alert_handler_send): made by the next dataeng.alert_check() in a
-- session without them (the maintenance worker's), oldest first.
CREATE TABLE dataeng_internal.alert_handler_pending (
  id        bigserial    PRIMARY KEY,
  handler   oid          NOT NULL,    -- with handler_catalog, its dataeng_internal.alert_handlers row
  alert_id  bigint       NOT NULL,
  event     text         NOT NULL,
  doc       jsonb        NOT NULL,
  queued_at timestamptz  NOT NULL DEFAULT now(),
  handler_catalog text   NOT NULL DEFAULT dataeng_internal._catalog_id()
);
COMMENT ON TABLE dataeng_internal.alert_handler_pending IS
  'Alert handler calls put off by a session holding another role''s temporary objects; made by the next alert_check()';
REVOKE ALL ON dataeng_internal.alert_handler_pending FROM PUBLIC;
REVOKE ALL ON SEQUENCE dataeng_internal.alert_handler_pending_id_seq FROM PUBLIC;

-- What the last dataeng.maintain() found and did (one row).
CREATE TABLE dataeng.maintenance (
  id             int         PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  ran_at         timestamptz,
  change_log     bigint,
  purged_changes bigint,
  trimmed        jsonb
);
COMMENT ON TABLE dataeng.maintenance IS 'What the last dataeng.maintain() found (changes in the log) and did';
COMMENT ON COLUMN dataeng.maintenance.id IS 'Always 1';
COMMENT ON COLUMN dataeng.maintenance.ran_at IS 'When dataeng.maintain() last ran';
COMMENT ON COLUMN dataeng.maintenance.change_log IS 'Changes in the log';
COMMENT ON COLUMN dataeng.maintenance.purged_changes IS 'Changes purged';
COMMENT ON COLUMN dataeng.maintenance.trimmed IS 'Rows trimmed per history, as jsonb';
REVOKE ALL ON dataeng.maintenance FROM PUBLIC;
GRANT SELECT ON dataeng.maintenance TO PUBLIC;

-- The consumers and their lag as dataeng.alert_check() last measured them
-- (dataeng.cdc_consumers, exact: per consumer, the batches' counts by
-- table after its position, the changes of batches not counted yet and
-- those committed since the newest tick): pipeline_status reads them from here, so that polling it costs
-- next to nothing.
CREATE TABLE dataeng_internal.consumer_lag (
  name            text        PRIMARY KEY,
  owner           regrole     NOT NULL,
  tables          regclass[],
  acked_at        timestamptz,
  created_at      timestamptz NOT NULL,
  expired_at      timestamptz,
  expired_reason  text,
  pending_changes bigint,
  lag_seconds     numeric,
  measured_at     timestamptz NOT NULL,
  -- the tables it lists that were dropped, by the name they had at the
  -- DROP, and among them those its owner could not read then (its polls
  -- fail); NULL: not measured since the upgrade
  dropped_tables  text[],
  dropped_unread  text[]
);
COMMENT ON TABLE dataeng_internal.consumer_lag IS
  'Consumers and their lag as dataeng.alert_check() (run by dataeng.maintain()) last measured them';
ALTER TABLE dataeng_internal.consumer_lag ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON dataeng_internal.consumer_lag FOR SELECT USING (pg_has_role(owner, 'USAGE'));
REVOKE ALL ON dataeng_internal.consumer_lag FROM PUBLIC;
GRANT SELECT ON dataeng_internal.consumer_lag TO PUBLIC;

-----------------------------------------------------------------------------
-- Settings
-----------------------------------------------------------------------------

-- The built-in defaults, and which objects a setting applies to.
CREATE FUNCTION dataeng_internal._ops_default(setting text, OUT value text, OUT applies_to text[])
RETURNS record
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT d.value, d.applies_to
    FROM (VALUES ('lag_changes', '100000', '{consumer,fact,dimension}'::text[]),
                 ('max_lag', '1 hour', '{consumer,fact,dimension}'),
                 ('alerts', 'on', '{job,consumer,fact,dimension,monitor,on_change}'),
                 ('change_log_max', '10000000', '{}'),
                 ('purge', 'on', '{}'),
                 ('history_keep', '7 days', '{}'),
                 ('dead_letters_keep', '7 days', '{}'),
                 ('handler_timeout', '5 seconds', '{}')) d (setting, value, applies_to)
   WHERE d.setting OPERATOR(pg_catalog.=) _ops_default.setting
$$;
COMMENT ON FUNCTION dataeng_internal._ops_default(text) IS 'internal: built-in default of an alert or maintenance setting';

-- A setting's value for an object: its own (set by the object's owner,
-- obj_owner, or by a superuser for all), else the '*' one, else the
-- default.  A setting left by the owner of a dropped object of the same
-- name is not the object's: it is ignored; so is one whose owner oid names
-- a role of another name than the one that set it (restored in another
-- cluster, _owner_trusted).
CREATE FUNCTION dataeng_internal._ops_setting(object text, setting text, obj_owner regrole DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(
    (SELECT s.value FROM dataeng.alert_settings s
      WHERE s.object OPERATOR(pg_catalog.=) _ops_setting.object
        AND s.setting OPERATOR(pg_catalog.=) _ops_setting.setting
        AND (s.owner IS NULL
             OR (s.owner OPERATOR(pg_catalog.=) _ops_setting.obj_owner
                 AND dataeng_internal._owner_trusted(s.owner, s.owner_name, s.owner_system)))),
    (SELECT s.value FROM dataeng.alert_settings s
      WHERE s.object OPERATOR(pg_catalog.=) '*' AND s.setting OPERATOR(pg_catalog.=) _ops_setting.setting),
    (dataeng_internal._ops_default(setting)).value)
$$;
COMMENT ON FUNCTION dataeng_internal._ops_setting(text, text, regrole) IS
  'internal: an object''s alert setting (set by its owner), or the default';

-- The owner of an object named 'kind:name', NULL when there is none, or
-- when its owner oid is not trusted (a job or monitor restored in another
-- cluster whose oid there names a role of another name: _owner_trusted).
CREATE FUNCTION dataeng_internal._ops_object_owner(object text)
RETURNS regrole
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE split_part(object, ':', 1)
    WHEN 'job' THEN (SELECT j.owner FROM dataeng.jobs j
                      WHERE j.job_name OPERATOR(pg_catalog.=) substr(object, 5)
                        AND dataeng_internal._owner_trusted(j.owner, j.owner_name, j.owner_system))
    WHEN 'consumer' THEN (SELECT c.owner FROM dataeng_internal.cdc_consumer_state c
                           WHERE c.name OPERATOR(pg_catalog.=) substr(object, 10))
    WHEN 'fact' THEN (SELECT f.owner FROM dataeng_internal.fact_defs f
                       WHERE f.name OPERATOR(pg_catalog.=) substr(object, 6))
    WHEN 'dimension' THEN (SELECT d.owner FROM dataeng_internal.dimension_defs d
                            WHERE d.name OPERATOR(pg_catalog.=) substr(object, 11))
    WHEN 'monitor' THEN (SELECT m.owner FROM dataeng.monitors m
                          WHERE m.name OPERATOR(pg_catalog.=) substr(object, 9)
                            AND dataeng_internal._owner_trusted(m.owner, m.owner_name, m.owner_system))
    WHEN 'on_change' THEN (SELECT t.owner FROM dataeng_internal.on_change_triggers t
                            WHERE t.trigger_name OPERATOR(pg_catalog.=) substr(object, 11)
                              AND t.owner_name IS NOT NULL)
  END
$$;
REVOKE ALL ON FUNCTION dataeng_internal._ops_object_owner(text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._ops_object_owner(text) IS 'internal: the owner of a job:, consumer:, fact:, dimension:, monitor: or on_change: object';

CREATE FUNCTION dataeng_internal._alert_set(caller regrole, object text, setting text, value text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d record;
  agg record;
  kind text;
  own regrole;
BEGIN
  IF object IS NULL OR setting IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', CASE WHEN object IS NULL THEN 'object' ELSE 'setting' END
      USING ERRCODE = 'null_value_not_allowed',
            DETAIL = 'dataeng.alert_set() sets one setting of one object; a NULL value alone has a meaning (back to the default).',
            HINT = 'Name the object as kind:name (job:NAME, consumer:NAME, fact:NAME, dimension:NAME, monitor:NAME, on_change:NAME) or *, and the setting (docs/ops.md).';
  END IF;
  -- (an empty object was "does not apply to """, its detail "as in job:")
  IF object OPERATOR(pg_catalog.=) '' THEN
    RAISE EXCEPTION 'object must not be empty'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'An object is named kind:name, or * for every object.',
            HINT = 'Name the object as kind:name (job:NAME, consumer:NAME, fact:NAME, dimension:NAME, monitor:NAME, on_change:NAME) or *.';
  END IF;
  SELECT * INTO d FROM dataeng_internal._ops_default(setting);
  IF d.value IS NULL THEN
    RAISE EXCEPTION 'unknown alert setting "%"', setting
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The settings are lag_changes, max_lag, alerts, change_log_max, purge, history_keep, dead_letters_keep and handler_timeout (docs/ops.md).';
  END IF;
  IF object OPERATOR(pg_catalog.=) '*' THEN
    IF NOT dataeng_internal._is_superuser(caller) THEN
      RAISE EXCEPTION 'only a superuser may change the default of %', setting
        USING ERRCODE = 'insufficient_privilege', HINT = 'Set it for one of your objects: ''job:NAME'', ''fact:NAME'', ...';
    END IF;
  ELSE
    kind := split_part(object, ':', 1);
    IF kind OPERATOR(pg_catalog.<>) ALL (d.applies_to) THEN
      -- (the detail says what an object is named: a bare name, 'copy',
      -- was refused with the hint only)
      RAISE EXCEPTION 'setting % does not apply to "%"', setting, object
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = CASE WHEN cardinality(d.applies_to) OPERATOR(pg_catalog.=) 0
                            THEN format('%s is a setting of the whole of dataeng, set on the object * (by a superuser).', setting)
                            WHEN strpos(object, ':') OPERATOR(pg_catalog.=) 0
                            THEN format('An object is named kind:name, as in %s:%s, or * for every object; "%s" names no kind.',
                                        d.applies_to[1], object, object)
                            ELSE format('An object is named kind:name, or * for every object; %s is kept for the kinds %s, not for %s.',
                                        setting, array_to_string(d.applies_to, ', '), quote_literal(kind)) END,
              HINT = format('It applies to %s.', CASE WHEN cardinality(d.applies_to) OPERATOR(pg_catalog.=) 0
                                                      THEN 'object * only'
                                                      ELSE 'objects named ' || array_to_string(d.applies_to, ':NAME, ') || ':NAME' END);
    END IF;
    own := dataeng_internal._ops_object_owner(object);
    IF own IS NULL OR NOT (pg_has_role(caller, own, 'USAGE') OR dataeng_internal._is_superuser(caller)) THEN
      RAISE EXCEPTION '% does not exist', object
        USING ERRCODE = 'undefined_object', HINT = 'Name one of your jobs, consumers, facts, dimensions, monitors or on_change triggers as kind:name.';
    END IF;
    -- the consumer of a fact or dimension is judged by the settings of
    -- the fact or dimension (its state and alerts are theirs): a setting
    -- of consumer:fact:NAME was taken and never applied (NULL, to take
    -- one back, still is)
    IF kind OPERATOR(pg_catalog.=) 'consumer' AND value IS NOT NULL THEN
      SELECT a.kind, a.name INTO agg
        FROM (SELECT 'fact' AS kind, f.name FROM dataeng_internal.fact_defs f
               WHERE f.consumer OPERATOR(pg_catalog.=) substr(object, 10)
              UNION ALL
              SELECT 'dimension', dd.name FROM dataeng_internal.dimension_defs dd
               WHERE dd.consumer OPERATOR(pg_catalog.=) substr(object, 10)) a
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'setting % does not apply to "%"', setting, object
          USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('%s is the consumer of %s %s, whose settings say when it is stale and alert; a setting of the consumer would never apply.',
                                substr(object, 10), agg.kind, agg.name),
                HINT = format('Set it for the %s: SELECT dataeng.alert_set(%L, %L, %L).',
                              agg.kind, agg.kind || ':' || agg.name, setting, value);
      END IF;
    END IF;
  END IF;
  IF value IS NULL THEN
    DELETE FROM dataeng.alert_settings s
     WHERE s.object OPERATOR(pg_catalog.=) _alert_set.object AND s.setting OPERATOR(pg_catalog.=) _alert_set.setting;
    RETURN;
  END IF;
  BEGIN
    CASE setting
      WHEN 'lag_changes', 'change_log_max' THEN
        IF value::bigint OPERATOR(pg_catalog.<) 0 THEN RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value'; END IF;
      WHEN 'max_lag', 'history_keep', 'dead_letters_keep' THEN
        IF value::interval OPERATOR(pg_catalog.<=) interval '0' THEN RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value'; END IF;
        -- (maintenance deletes what is older than now() less it: reaching
        -- back beyond the range of timestamptz, every round failed with
        -- "timestamp out of range"; 22008, a data_exception)
        PERFORM now() OPERATOR(pg_catalog.-) value::interval;
      WHEN 'handler_timeout' THEN
        -- a call's timeout is a number of milliseconds (int): under 1 ms it
        -- was 0, no timeout at all, and past 2^31 - 1 ms (24 days) every
        -- alert sent failed on it, in whatever raised the alert
        IF value::interval OPERATOR(pg_catalog.<) interval '1 millisecond'
           OR value::interval OPERATOR(pg_catalog.>) interval '24 days' THEN
          RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value';
        END IF;
      ELSE
        PERFORM value::boolean;
    END CASE;
  EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
    RAISE EXCEPTION 'invalid value for %: "%"', setting, value
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = CASE setting WHEN 'handler_timeout' THEN 'handler_timeout is an interval from 1 millisecond to 24 days.'
                                  WHEN 'lag_changes' THEN 'lag_changes is a number of changes, 0 or more.'
                                  WHEN 'change_log_max' THEN 'change_log_max is a number of changes, 0 or more.'
                                  WHEN 'alerts' THEN 'alerts is on or off.' WHEN 'purge' THEN 'purge is on or off.'
                                  ELSE setting || ' is a positive interval, not reaching back beyond the range of timestamptz.' END,
            HINT = 'lag_changes and change_log_max take a number of changes (0 or more), max_lag, history_keep and dead_letters_keep a positive interval, handler_timeout one from 1 millisecond to 24 days, alerts and purge on or off.';
  END;
  INSERT INTO dataeng.alert_settings AS s (object, setting, value, owner, owner_name, owner_system)
  VALUES (object, setting, value, own,
          (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) own::oid),
          (pg_catalog.pg_control_system()).system_identifier)
  ON CONFLICT ON CONSTRAINT alert_settings_pkey
  DO UPDATE SET value = excluded.value, owner = excluded.owner, set_at = now(),
                owner_name = excluded.owner_name, owner_system = excluded.owner_system;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_set(regrole, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_set(regrole, text, text, text) IS 'internal: body of dataeng.alert_set()';

CREATE FUNCTION dataeng.alert_set(object text, setting text, value text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_alert_set'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.alert_set(text, text, text) IS
  'Sets an alert threshold or switch of one object (kind:name) or, as a superuser, of all (*); NULL value: back to the default';

-----------------------------------------------------------------------------
-- Status
-----------------------------------------------------------------------------

-- The texts of statuses, checks and alerts (reasons, problems, messages:
-- stored, and sent to handlers) say intervals and moments the same
-- whatever the session's IntervalStyle, DateStyle and TimeZone: an
-- interval as IntervalStyle postgres writes it ('01:00:00', '2 days'),
-- a moment in UTC to the second ('2026-03-01 10:00:00 UTC').  Invoker
-- rights, every role: the text of a value, nothing more.
CREATE FUNCTION dataeng_internal._text_interval(i interval)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET IntervalStyle = 'postgres'
AS $$ SELECT i::text $$;
COMMENT ON FUNCTION dataeng_internal._text_interval(interval) IS
  'internal: an interval as text, as IntervalStyle postgres writes it, whatever the session''s';

-- What to do about a consumer that holds back purging the change log: a
-- consumer of one's own is polled and acknowledged (or dropped); the
-- consumer of a fact or dimension (fact:NAME, dim:NAME, names reserved to
-- them) is acknowledged by its refreshes alone (cdc_ack and
-- cdc_consumer_drop refuse it), so the remedy is a refresh.  (The status
-- said "poll and acknowledge it, or drop it" for those too.)
CREATE FUNCTION dataeng_internal._consumer_remedy(consumer text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN consumer LIKE 'fact:%'
              THEN pg_catalog.format('refresh the fact: SELECT dataeng.fact_refresh(%L) (its job fact_refresh:%s may be paused or failing), or drop the fact',
                                     pg_catalog.substr(consumer, 6), pg_catalog.substr(consumer, 6))
              WHEN consumer LIKE 'dim:%'
              THEN pg_catalog.format('refresh the dimension: SELECT dataeng.dimension_refresh(%L) (its job dimension_refresh:%s may be paused or failing), or drop the dimension',
                                     pg_catalog.substr(consumer, 5), pg_catalog.substr(consumer, 5))
              ELSE 'poll and acknowledge it, or drop it' END
$$;
COMMENT ON FUNCTION dataeng_internal._consumer_remedy(text) IS
  'internal: what to do about a consumer that holds back purging (a fact''s or dimension''s: refresh it)';

CREATE FUNCTION dataeng_internal._text_time(t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO'
AS $$
  -- (a moment before the year 1 ends in BC, as PostgreSQL writes it: the
  -- pattern YYYY writes 44 BC as 0044)
  SELECT CASE WHEN pg_catalog.isfinite(t)
              THEN pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') OPERATOR(pg_catalog.||) ' UTC'
                   OPERATOR(pg_catalog.||)
                   CASE WHEN pg_catalog.date_part('year', t AT TIME ZONE 'UTC') OPERATOR(pg_catalog.<) 0
                        THEN ' BC' ELSE '' END
              ELSE t::text END
$$;
COMMENT ON FUNCTION dataeng_internal._text_time(timestamptz) IS
  'internal: a moment as text, in UTC to the second, whatever the session''s DateStyle and TimeZone';

-- a number of rows as text, the noun agreeing: '1 row', '2 rows'
CREATE FUNCTION dataeng_internal._text_rows(n bigint)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT n::text OPERATOR(pg_catalog.||) CASE WHEN n OPERATOR(pg_catalog.=) 1 THEN ' row' ELSE ' rows' END $$;
COMMENT ON FUNCTION dataeng_internal._text_rows(bigint) IS 'internal: a number of rows as text, 1 row or N rows';

-- The jobs held back by a stuck job further up than their own upstream
-- jobs (broken, paused, failed with its retries spent, in a cycle: the
-- jobs in cycles, as _status_rows found them; a job waiting for one that
-- waits for it runs no more than that one), each with the text naming
-- its upstream jobs that wait for a stuck one and the stuck jobs at the
-- top of their chains, each stuck job named once.  Invoker rights: the
-- caller's jobs.  The chains are followed down from the stuck jobs in one
-- recursive query for all jobs (a walk from each job took seconds for a
-- chain of 100), each step's jobs joined with the dependencies by a hash
-- join whose table is built once: a merge join sorted the dependencies
-- again at each step, 1.7 s for a chain of 1,000 jobs.
CREATE FUNCTION dataeng_internal._job_stuck_above(cycles text[])
RETURNS TABLE (job_name text, above text)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_mergejoin = off
SET jit = off
AS $$
  WITH RECURSIVE waits(down, up, n) AS MATERIALIZED (
    SELECT f.job_name, u.job_name, d.n
      FROM dataeng.jobs f CROSS JOIN LATERAL pg_catalog.unnest(f.depends_on) WITH ORDINALITY d(name, n)
      JOIN dataeng.jobs u ON u.job_name OPERATOR(pg_catalog.=) d.name
       AND (u.owner OPERATOR(pg_catalog.=) f.owner OR dataeng_internal._is_superuser(f.owner))
     WHERE u.last_success_at IS NULL
        OR u.last_success_at OPERATOR(pg_catalog.<=) coalesce(f.last_started_at, '-infinity')),
  stuck(job_name, why) AS MATERIALIZED (
    SELECT u.job_name, CASE WHEN u.broken IS NOT NULL THEN 'broken'
                            WHEN u.paused THEN 'paused'
                            WHEN u.attempt OPERATOR(pg_catalog.=) 0
                             AND u.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
                            THEN 'its last run ' OPERATOR(pg_catalog.||) replace(u.last_status, '_', ' ')
                            ELSE 'in a cycle of dependencies' END
      FROM dataeng.jobs u
     WHERE u.broken IS NOT NULL OR u.paused
        OR (u.attempt OPERATOR(pg_catalog.=) 0 AND u.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}'))
        OR u.job_name OPERATOR(pg_catalog.=) ANY (_job_stuck_above.cycles)),
  -- (job, stuck job it waits for, at any depth): one row per pair
  reach(down, top) AS (
    SELECT w.down, w.up FROM waits w JOIN stuck s ON s.job_name OPERATOR(pg_catalog.=) w.up
    UNION
    SELECT w.down, r.top FROM reach r JOIN waits w ON w.up OPERATOR(pg_catalog.=) r.down
     WHERE NOT EXISTS (SELECT 1 FROM stuck s WHERE s.job_name OPERATOR(pg_catalog.=) r.down)),
  -- each job's upstream jobs that are not stuck themselves but wait for a
  -- stuck one, the stuck ones they wait for, and the first of the job's
  -- upstream jobs (in depends_on order) that leads to each
  above(down, up, n, top, first_n) AS MATERIALIZED (
    SELECT w.down, w.up, w.n, r.top, min(w.n) OVER (PARTITION BY w.down, r.top)
      FROM waits w
      JOIN reach r ON r.down OPERATOR(pg_catalog.=) w.up
     WHERE NOT EXISTS (SELECT 1 FROM stuck s WHERE s.job_name OPERATOR(pg_catalog.=) w.up))
  -- each stuck job named once for a job: not after the job's own upstream
  -- job it is (the reason names those first), nor after the first
  -- upstream job that leads to it (a job waiting for "a" both directly
  -- and through "b", or through "b" and "c", named "a" twice)
  SELECT x.down, string_agg(format('job "%s", which waits for %s', x.up, x.tops), ', ' ORDER BY x.n)
    FROM (SELECT a.down, a.up, a.n, string_agg(format('"%s" (%s)', a.top, s.why), ', ' ORDER BY a.top) AS tops
            FROM above a
            JOIN stuck s ON s.job_name OPERATOR(pg_catalog.=) a.top
           WHERE a.n OPERATOR(pg_catalog.=) a.first_n
             AND NOT EXISTS (SELECT 1 FROM waits w
                              WHERE w.down OPERATOR(pg_catalog.=) a.down AND w.up OPERATOR(pg_catalog.=) a.top)
           GROUP BY a.down, a.up, a.n) x
   GROUP BY x.down
$$;
COMMENT ON FUNCTION dataeng_internal._job_stuck_above(text[]) IS
  'internal: the caller''s jobs held back by a stuck job above their upstream jobs, with the text naming them (pipeline_status)';

-- One row per pipeline object the calling role may see, with the alert
-- its state calls for (alert_kind, severity; NULL: none).  Invoker rights:
-- every source is filtered by the caller's rights (row-level security,
-- the views of the other areas).
CREATE FUNCTION dataeng_internal._status_rows()
RETURNS TABLE (kind text, name text, state text, reason text, lag_changes bigint, lag_seconds numeric,
               last_success timestamptz, last_error text, since timestamptz,
               owner regrole, table_name regclass, alert_kind text, severity text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- (a few rows read from many small sources: estimated far above what it
-- costs, and JIT-compiling it took seconds)
SET jit = off
AS $$
BEGIN
  RETURN QUERY
  WITH consumers AS MATERIALIZED (SELECT * FROM dataeng_internal.consumer_lag),
  -- the captured tables the caller may read whose capture from the WAL
  -- the worker stopped (a change it could not decode, its slot lost):
  -- their changes from then on are missing from the log
  stopped AS MATERIALIZED (SELECT * FROM dataeng_internal._cdc_capture_errors()),
  -- the captured tables the caller may read (a consumer's tables are its
  -- owner's to read)
  visible_captured AS MATERIALIZED (SELECT v.table_name FROM dataeng.cdc_tables_visible v),
  -- the tables in the publication of capture from the WAL, and, when
  -- there are any, whether no worker records their changes ('off', 'down')
  wal_published AS MATERIALIZED (
    SELECT pr.prrelid AS relid FROM pg_catalog.pg_publication_rel pr
      JOIN pg_catalog.pg_publication p ON p.oid OPERATOR(pg_catalog.=) pr.prpubid
     WHERE p.pubname OPERATOR(pg_catalog.=) 'dataeng_wal'),
  -- (off: the worker says it is idle, or this session read the setting
  -- off; a session reads a reload at its next command, the worker may
  -- read it first)
  wal_worker AS MATERIALIZED (
    SELECT CASE WHEN w.state OPERATOR(pg_catalog.=) 'off'
                  OR NOT coalesce(current_setting('dataeng.enabled', true), 'on')::boolean THEN 'off'
                WHEN w.state OPERATOR(pg_catalog.=) ANY ('{none,restarting,no_slot}') THEN 'down'
           END AS state
      FROM (SELECT dataeng_internal._cdc_wal_worker() AS state) w
     WHERE EXISTS (SELECT 1 FROM wal_published)),
  -- the jobs in a cycle of dependencies (each reaches itself), a
  -- dependency followed as the scheduler follows it: to a job of the same
  -- owner, or of anyone for a superuser's job.  All at once, each job and
  -- dependency visited once (_graph_cycles): a walk from each job,
  -- _job_cycle, took seconds for a chain of 100 jobs, and the reach of
  -- each job, followed in a recursive query, 1.5 s for a chain of 1,000
  job_cycles AS MATERIALIZED (
    WITH job_ids AS MATERIALIZED (
      SELECT j.job_name, j.owner, j.depends_on, (row_number() OVER ())::int AS id FROM dataeng.jobs j),
    edge(down, up) AS (
      SELECT f.id, u.id
        FROM job_ids f CROSS JOIN LATERAL pg_catalog.unnest(f.depends_on) d(name)
        JOIN job_ids u ON u.job_name OPERATOR(pg_catalog.=) d.name
         AND (u.owner OPERATOR(pg_catalog.=) f.owner OR dataeng_internal._is_superuser(f.owner)))
    SELECT i.job_name FROM job_ids i
     WHERE i.id OPERATOR(pg_catalog.=) ANY ((SELECT dataeng_internal._graph_cycles(array_agg(e.down), array_agg(e.up))
                                               FROM edge e)::int[])),
  -- the jobs held back by a stuck job further up than their own upstream
  -- jobs, each with the stuck job at the top of the chain
  job_stuck_above AS MATERIALIZED (
    SELECT sa.job_name, sa.above
      FROM dataeng_internal._job_stuck_above(ARRAY(SELECT jc.job_name FROM job_cycles jc)) sa),
  -- (source_gone: the source table was dropped, so every refresh fails;
  -- the name it had, for the reason)
  aggs AS (SELECT fd.name, fd.consumer, fd.last_refresh, fd.created_at, fd.owner, 'fact' AS kind,
                  CASE WHEN fd.source_dropped
                         OR NOT EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid OPERATOR(pg_catalog.=) fd.source::oid)
                       THEN coalesce(quote_ident(fd.source_schema) || '.' || quote_ident(fd.source_table),
                                     'of OID ' || fd.source::oid::text) END AS source_gone,
                  fd.source::oid AS source
             FROM dataeng_internal.fact_defs fd
           UNION ALL
           SELECT dd.name, dd.consumer, dd.last_refresh, dd.created_at, dd.owner, 'dimension',
                  CASE WHEN dd.source_dropped
                         OR NOT EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid OPERATOR(pg_catalog.=) dd.source::oid)
                       THEN coalesce(quote_ident(dd.source_schema) || '.' || quote_ident(dd.source_table),
                                     'of OID ' || dd.source::oid::text) END,
                  dd.source::oid
             FROM dataeng_internal.dimension_defs dd),
  -- the lag thresholds: an object's own (set by its owner), else the '*'
  -- one, else the default, as _ops_setting() says, looked up here in one
  -- pass (a call of _ops_setting per consumer was most of a read's time)
  cfg AS MATERIALIZED (
    SELECT coalesce((SELECT s.value FROM dataeng.alert_settings s
                      WHERE s.object OPERATOR(pg_catalog.=) '*' AND s.setting OPERATOR(pg_catalog.=) 'lag_changes'),
                    (dataeng_internal._ops_default('lag_changes')).value)::bigint AS lag_changes,
           coalesce((SELECT s.value FROM dataeng.alert_settings s
                      WHERE s.object OPERATOR(pg_catalog.=) '*' AND s.setting OPERATOR(pg_catalog.=) 'max_lag'),
                    (dataeng_internal._ops_default('max_lag')).value)::interval AS max_lag),
  own_cfg AS MATERIALIZED (
    SELECT s.object, s.setting, s.value, s.owner FROM dataeng.alert_settings s
     WHERE s.setting OPERATOR(pg_catalog.=) ANY ('{lag_changes,max_lag}') AND s.object OPERATOR(pg_catalog.<>) '*'
       AND (s.owner IS NULL OR dataeng_internal._owner_trusted(s.owner, s.owner_name, s.owner_system))),
  lagged AS (
    SELECT c.*, f.name AS fact_name,
           -- a table it reads that was dropped whose changes its polls
           -- cannot read (they fail), by its name at the DROP; measured
           -- before the columns were: any dropped one, by OID
           CASE WHEN c.dropped_unread IS NOT NULL THEN c.dropped_unread[1]
                ELSE (SELECT 'with OID ' OPERATOR(pg_catalog.||) min(t::oid) FROM unnest(c.tables) t
                       WHERE NOT EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid OPERATOR(pg_catalog.=) t::oid)) END AS gone,
           -- one whose changes captured before the DROP it still gets
           (SELECT d FROM unnest(c.dropped_tables) d
             WHERE d OPERATOR(pg_catalog.<>) ALL (coalesce(c.dropped_unread, '{}')) LIMIT 1) AS gone_read,
           -- a table it lists that is not captured (cdc_disable(), or
           -- never enabled): it receives none of its changes
           -- (only a table the caller may read: cdc_tables_visible lists
           -- the captured ones among those)
           (SELECT t FROM unnest(c.tables) t
             WHERE EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid OPERATOR(pg_catalog.=) t::oid
                              AND has_table_privilege(pc.oid, 'SELECT')
                              AND has_schema_privilege(pc.relnamespace, 'USAGE'))
               AND NOT EXISTS (SELECT 1 FROM visible_captured v WHERE v.table_name OPERATOR(pg_catalog.=) t)
             ORDER BY t::oid LIMIT 1) AS uncaptured,
           -- a table it reads whose capture stopped (all tables: any)
           (SELECT st.table_name FROM stopped st
             WHERE c.tables IS NULL OR st.table_name OPERATOR(pg_catalog.=) ANY (c.tables)
             ORDER BY st.table_name::oid LIMIT 1) AS stopped_table,
           -- since when it misses changes: the first stop of a table it reads
           (SELECT min(st.capture_stopped_at) FROM stopped st
             WHERE c.tables IS NULL OR st.table_name OPERATOR(pg_catalog.=) ANY (c.tables)) AS stopped_at,
           c.expired_at IS NULL AND
           (c.pending_changes OPERATOR(pg_catalog.>)
              coalesce((SELECT o.value::bigint FROM own_cfg o
                         WHERE o.object OPERATOR(pg_catalog.=) coalesce(f.kind || ':' || f.name, 'consumer:' || c.name)
                           AND o.setting OPERATOR(pg_catalog.=) 'lag_changes'
                           AND (o.owner IS NULL OR o.owner OPERATOR(pg_catalog.=) coalesce(f.owner, c.owner))),
                       cfg.lag_changes)
            OR c.lag_seconds OPERATOR(pg_catalog.>) extract(epoch FROM
              coalesce((SELECT o.value::interval FROM own_cfg o
                         WHERE o.object OPERATOR(pg_catalog.=) coalesce(f.kind || ':' || f.name, 'consumer:' || c.name)
                           AND o.setting OPERATOR(pg_catalog.=) 'max_lag'
                           AND (o.owner IS NULL OR o.owner OPERATOR(pg_catalog.=) coalesce(f.owner, c.owner))),
                       cfg.max_lag)))
             AS behind
      FROM consumers c
      CROSS JOIN cfg
      LEFT JOIN aggs f ON f.consumer OPERATOR(pg_catalog.=) c.name)
  -- captured tables
  -- (a table the WAL worker stopped capturing, a change it could not
  -- decode or its slot lost, is failing until cdc_enable() again)
  SELECT 'captured table', t.table_name::text,
         CASE WHEN cs.capture_error IS NOT NULL THEN 'failing'
              WHEN wp.relid IS NOT NULL AND ww.state IS NOT NULL THEN 'warning'
              ELSE 'ok' END,
         CASE WHEN cs.capture_error IS NOT NULL
              THEN format('changes are not captured since the WAL capture worker stopped it: %s; its owner runs dataeng.cdc_enable() again to capture it from then on',
                          cs.capture_error)
              WHEN wp.relid IS NOT NULL AND ww.state OPERATOR(pg_catalog.=) 'off'
              THEN 'changes are captured from the WAL, but dataeng.enabled is off: the WAL capture worker is stopped, and the changes committed since reach the change log only once it is on again'
              WHEN wp.relid IS NOT NULL AND ww.state IS NOT NULL
              THEN 'changes are captured from the WAL, but no WAL capture worker runs in this database (each one started ends with an error, or none could start): the changes committed since reach the change log only once one runs; dataeng.cdc_status.worker_error and the server log say why'
              ELSE 'changes are captured' END,
         NULL::bigint, NULL::numeric, NULL::timestamptz, cs.capture_error,
         -- (since: when the worker stopped capturing it)
         cs.capture_stopped_at,
         NULL::regrole, t.table_name,
         CASE WHEN cs.capture_error IS NOT NULL THEN 'capture_stopped' END,
         CASE WHEN cs.capture_error IS NOT NULL THEN 'error' END
    FROM dataeng.cdc_tables_visible t
    LEFT JOIN stopped cs ON cs.table_name OPERATOR(pg_catalog.=) t.table_name
    -- (a table captured from the WAL while no worker records its changes:
    -- dataeng.enabled off, or none runs; it said "changes are captured",
    -- which the capture slot's row, for superusers only, contradicted)
    LEFT JOIN wal_published wp ON wp.relid OPERATOR(pg_catalog.=) t.table_name::oid
    LEFT JOIN wal_worker ww ON true
  UNION ALL
  -- consumers (those of facts and dimensions alert through them)
  SELECT 'consumer', l.name,
         CASE WHEN l.expired_at IS NOT NULL OR l.gone IS NOT NULL OR l.stopped_table IS NOT NULL THEN 'failing'
              WHEN l.behind OR l.uncaptured IS NOT NULL OR l.gone_read IS NOT NULL THEN 'warning' ELSE 'ok' END,
         CASE WHEN l.expired_at IS NOT NULL
              THEN format('expired at %s: %s; drop and re-create it', dataeng_internal._text_time(l.expired_at), l.expired_reason)
              WHEN l.gone IS NOT NULL
              THEN format('the table %s it reads was dropped: polling it fails; drop and re-create it', l.gone)
              WHEN l.stopped_table IS NOT NULL
              THEN format('table %s it reads is not captured since the WAL capture worker stopped it (dataeng.cdc_status.capture_error): '
                          'its changes from then on are missing from what it receives; once the table''s owner has run dataeng.cdc_enable() again, '
                          'copy the table anew (a consumer created with snapshot => true)', l.stopped_table)
              WHEN l.behind
              THEN format('%s changes pending, the oldest %s s old: it holds back purging the change log; %s',
                          l.pending_changes, round(l.lag_seconds), dataeng_internal._consumer_remedy(l.name))
              WHEN l.uncaptured IS NOT NULL
              THEN format('table %s it reads is not captured (dataeng.cdc_disable(), or never enabled): it receives none of its changes; '
                          'its owner captures it with SELECT dataeng.cdc_enable(%L); (%s changes pending, measured %s)',
                          l.uncaptured, l.uncaptured::text, l.pending_changes, dataeng_internal._text_time(l.measured_at))
              WHEN l.gone_read IS NOT NULL
              THEN format('table %s it lists was dropped: it receives the changes captured before the DROP, none after; '
                          're-create it with the tables that exist once it has read them (%s changes pending, measured %s)',
                          l.gone_read, l.pending_changes, dataeng_internal._text_time(l.measured_at))
              ELSE format('%s changes pending (measured %s)', l.pending_changes,
                          dataeng_internal._text_time(l.measured_at)) END,
         l.pending_changes, l.lag_seconds, l.acked_at, l.expired_reason,
         CASE WHEN l.expired_at IS NOT NULL THEN l.expired_at
              WHEN l.gone IS NULL AND l.stopped_table IS NOT NULL THEN coalesce(l.stopped_at, l.acked_at, l.created_at)
              ELSE coalesce(l.acked_at, l.created_at) END,
         l.owner, NULL::regclass,
         -- (polls failing on a table it reads that was dropped: an alert
         -- of their own; the consumer said failing, with no alert)
         CASE WHEN l.fact_name IS NOT NULL THEN NULL
              WHEN l.expired_at IS NOT NULL THEN 'consumer_expired'
              WHEN l.gone IS NOT NULL THEN 'consumer_failing'
              WHEN l.behind THEN 'consumer_lag' END,
         CASE WHEN l.fact_name IS NOT NULL THEN NULL
              WHEN l.expired_at IS NOT NULL OR l.gone IS NOT NULL THEN 'error' WHEN l.behind THEN 'warning' END
    FROM lagged l
  UNION ALL
  -- facts and dimensions (their lag: their consumer's)
  SELECT a.kind, a.name,
         CASE WHEN l.expired_at IS NOT NULL OR a.source_gone IS NOT NULL OR st.table_name IS NOT NULL
                OR rj.status IS NOT NULL THEN 'failing'
              WHEN l.behind THEN 'warning' ELSE 'ok' END,
         CASE WHEN a.source_gone IS NOT NULL
              THEN format('its source table %s was dropped: its refreshes fail; drop it with dataeng.%s_drop() and create it again from the table that replaces it',
                          a.source_gone, a.kind)
              WHEN st.table_name IS NOT NULL
              THEN format('its source table %s is not captured since the WAL capture worker stopped it (dataeng.cdc_status.capture_error): '
                          'its changes from then on are missing here; once the table''s owner has run dataeng.cdc_enable() again, %s',
                          st.table_name,
                          CASE a.kind WHEN 'fact' THEN format('rebuild it with dataeng.fact_rebuild(%L)', a.name)
                                      ELSE 'drop it with dataeng.dimension_drop() and create it again' END)
              WHEN l.name IS NULL THEN 'lag not measured yet (dataeng.maintain() measures it)'
              WHEN l.expired_at IS NOT NULL
              THEN format('its consumer expired: %s; %s', l.expired_reason,
                          CASE a.kind WHEN 'fact' THEN format('rebuild it with dataeng.fact_rebuild(%L) or drop it', a.name)
                                      ELSE 'drop it with dataeng.dimension_drop() and create it again' END)
              -- (its refresh job fails, a column of its source renamed
              -- or dropped, say: it said up to date with its source, ok
              -- until its changes waited longer than max_lag)
              WHEN rj.status IS NOT NULL
              THEN format('its refreshes fail: the last run of its job %s %s at %s: %s; fix the cause, then SELECT dataeng.%s_refresh(%L)%s',
                          rj.job_name, replace(rj.status, '_', ' '), dataeng_internal._text_time(rj.finished_at), rj.error_message,
                          a.kind, a.name,
                          CASE WHEN l.pending_changes OPERATOR(pg_catalog.>) 0
                               THEN format(' (%s of its source %s, the oldest %s s old)',
                                           CASE WHEN l.pending_changes OPERATOR(pg_catalog.=) 1 THEN '1 change' ELSE l.pending_changes || ' changes' END,
                                           CASE WHEN l.pending_changes OPERATOR(pg_catalog.=) 1 THEN 'waits' ELSE 'wait' END,
                                           round(l.lag_seconds))
                               ELSE '' END)
              WHEN l.behind
              THEN format('stale: %s changes of its source wait, the oldest %s s old; last refresh %s',
                          l.pending_changes, round(l.lag_seconds), coalesce(dataeng_internal._text_time(a.last_refresh), 'never'))
              -- (changes wait, under its thresholds: it said "up to
              -- date with its source" beside a lag_changes of 20)
              WHEN l.pending_changes OPERATOR(pg_catalog.>) 0
              THEN format('%s of its source %s for its next refresh, the oldest %s s old (under lag_changes and max_lag); last refresh %s',
                          CASE WHEN l.pending_changes OPERATOR(pg_catalog.=) 1 THEN '1 change' ELSE l.pending_changes || ' changes' END,
                          CASE WHEN l.pending_changes OPERATOR(pg_catalog.=) 1 THEN 'waits' ELSE 'wait' END,
                          round(l.lag_seconds), coalesce(dataeng_internal._text_time(a.last_refresh), 'never'))
              ELSE 'up to date with its source' END,
         l.pending_changes, l.lag_seconds, a.last_refresh, coalesce(l.expired_reason, rj.error_message),
         CASE WHEN a.source_gone IS NULL AND st.table_name IS NOT NULL
              THEN coalesce(st.capture_stopped_at, a.last_refresh, a.created_at)
              WHEN a.source_gone IS NULL AND l.expired_at IS NULL AND rj.status IS NOT NULL THEN rj.first_failed
              ELSE coalesce(a.last_refresh, a.created_at) END,
         a.owner, NULL::regclass,
         -- (a dropped source alerts of its own: with schedule => NULL no
         -- job fails to say it)
         CASE WHEN a.source_gone IS NOT NULL THEN 'source_dropped'
              WHEN l.expired_at IS NOT NULL OR l.behind THEN a.kind || '_lag' END,
         CASE WHEN a.source_gone IS NOT NULL OR l.expired_at IS NOT NULL THEN 'error'
              WHEN l.behind THEN 'warning' END
    FROM aggs a LEFT JOIN lagged l ON l.name OPERATOR(pg_catalog.=) a.consumer
    LEFT JOIN stopped st ON st.table_name::oid OPERATOR(pg_catalog.=) a.source
    -- its refresh job's last finished run, when it failed or timed out
    -- after the last refresh (a refresh by hand that succeeds since ends
    -- it); the alert is that job's job_failed or job_timed_out
    LEFT JOIN LATERAL (
      SELECT r.job_name, r.status, r.error_message, r.finished_at,
             (SELECT min(x.finished_at) FROM dataeng.job_runs x
               WHERE x.job_id OPERATOR(pg_catalog.=) r.job_id
                 AND x.status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
                 AND x.finished_at OPERATOR(pg_catalog.>) coalesce(a.last_refresh, '-infinity')) AS first_failed
        FROM (SELECT j.job_id, j.job_name, jr.status, jr.error_message, jr.finished_at
                FROM dataeng.jobs j
                JOIN LATERAL (SELECT y.status, y.error_message, y.finished_at FROM dataeng.job_runs y
                               WHERE y.job_id OPERATOR(pg_catalog.=) j.job_id
                                 AND y.status OPERATOR(pg_catalog.=) ANY ('{succeeded,failed,timed_out}')
                               ORDER BY y.started_at DESC LIMIT 1) jr ON true
               WHERE j.job_name OPERATOR(pg_catalog.=) (CASE a.kind WHEN 'fact' THEN 'fact_refresh:' ELSE 'dimension_refresh:' END
                                                        OPERATOR(pg_catalog.||) a.name)
                 AND j.owner OPERATOR(pg_catalog.=) a.owner) r
       WHERE r.status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
         AND r.finished_at OPERATOR(pg_catalog.>) coalesce(a.last_refresh, '-infinity')) rj ON true
  UNION ALL
  -- tables with rules: the latest validation run
  SELECT 'table with rules', r.table_name::text,
         CASE WHEN v.run_id IS NULL THEN 'ok'
              WHEN v.errors OPERATOR(pg_catalog.>) 0 THEN 'failing'
              WHEN v.failed_rules OPERATOR(pg_catalog.>) 0 THEN 'warning' ELSE 'ok' END,
         CASE WHEN v.run_id IS NULL THEN format('%s %s, never validated', r.n, CASE WHEN r.n OPERATOR(pg_catalog.=) 1 THEN 'rule' ELSE 'rules' END)
              WHEN v.failed_rules OPERATOR(pg_catalog.>) 0
              THEN format('%s %s failed in the latest validation',
                          CASE WHEN v.failed_rules OPERATOR(pg_catalog.=) 1 THEN 'rule' ELSE 'rules' END, v.failed_names)
              ELSE format('%s passed in the latest validation',
                          r.n::text OPERATOR(pg_catalog.||) CASE WHEN r.n OPERATOR(pg_catalog.=) 1 THEN ' rule' ELSE ' rules' END) END,
         NULL::bigint, NULL::numeric,
         (SELECT max(vr.finished_at) FROM dataeng.validation_runs vr
           WHERE vr.table_name OPERATOR(pg_catalog.=) r.table_name AND vr.failed_rules OPERATOR(pg_catalog.=) 0),
         v.failed_names,
         -- (since the first run of the current spell: failing or warning
         -- since the first run after the latest that passed, ok since the
         -- first after the latest that failed; it was the latest run's
         -- end, which moved at each validate() of a table failing for days)
         (SELECT min(vr.finished_at) FROM dataeng.validation_runs vr
           WHERE vr.table_name OPERATOR(pg_catalog.=) r.table_name
             AND vr.run_id OPERATOR(pg_catalog.>) coalesce(
                   (SELECT max(y.run_id) FROM dataeng.validation_runs y
                     WHERE y.table_name OPERATOR(pg_catalog.=) r.table_name
                       AND y.run_id OPERATOR(pg_catalog.<) v.run_id
                       AND (y.failed_rules OPERATOR(pg_catalog.>) 0) IS DISTINCT FROM (v.failed_rules OPERATOR(pg_catalog.>) 0)),
                   0)),
         NULL::regrole, r.table_name, NULL::text, NULL::text
    FROM (SELECT ru.table_name, count(*) AS n FROM dataeng.rules ru GROUP BY ru.table_name) r
    LEFT JOIN LATERAL (
      SELECT vr.run_id, vr.finished_at, vr.failed_rules,
             (SELECT count(*) FROM dataeng.validation_results x
               WHERE x.run_id OPERATOR(pg_catalog.=) vr.run_id AND NOT x.passed
                 AND x.severity OPERATOR(pg_catalog.=) 'error') AS errors,
             (SELECT string_agg(x.rule_name, ', ' ORDER BY x.rule_name) FROM dataeng.validation_results x
               WHERE x.run_id OPERATOR(pg_catalog.=) vr.run_id AND NOT x.passed) AS failed_names
        FROM dataeng.validation_runs vr
       WHERE vr.table_name OPERATOR(pg_catalog.=) r.table_name
       ORDER BY vr.run_id DESC LIMIT 1) v ON true
   WHERE dataeng.rows_readable(r.table_name)
  UNION ALL
  -- jobs: failing once its retries are spent (attempt back to 0 after a
  -- failure) or it timed out, warning while it retries; while a run is in
  -- progress (or waits for a slot), as its last finished run left it: a
  -- job whose every run fails is failing, not ok, while its next run runs
  -- (and its alert stays open until a run succeeds).  A job due that
  -- waits for upstream jobs (depends_on) not succeeded since its last
  -- start says so, a warning when one of them is failing, paused or broken
  -- (it said ok, "next at" a time long past, for as long as they failed)
  SELECT 'job', j.job_name,
         CASE WHEN j.broken IS NOT NULL THEN 'failing'
              WHEN j.paused THEN 'paused'
              WHEN dep.cycle IS NOT NULL OR dep.missing IS NOT NULL THEN 'failing'
              WHEN js.last_status OPERATOR(pg_catalog.=) 'timed_out' AND j.attempt OPERATOR(pg_catalog.=) 0 THEN 'failing'
              WHEN js.last_status OPERATOR(pg_catalog.=) 'failed' AND j.attempt OPERATOR(pg_catalog.=) 0 THEN 'failing'
              WHEN js.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}') THEN 'warning'
              WHEN dep.stuck IS NOT NULL THEN 'warning'
              WHEN NOT coalesce(current_setting('dataeng.enabled', true), 'on')::boolean THEN 'warning'
              WHEN sch.pid IS NULL AND j.next_run_at OPERATOR(pg_catalog.<=) now() THEN 'warning'
              WHEN up.stuck THEN 'warning'
              ELSE 'ok' END,
         CASE WHEN j.broken IS NOT NULL THEN format('broken: %s; reschedule it', j.broken)
              WHEN j.paused THEN 'paused by dataeng.job_pause()'
              WHEN dep.cycle IS NOT NULL
              THEN format('in a cycle of dependencies, %s (each job waits for the next to succeed): none of these jobs ever runs; '
                          'reschedule one of them without its dependency on the next', dep.cycle)
              WHEN dep.missing IS NOT NULL
              THEN format('depends on %s, which names no job of its owner: it never runs; reschedule it without that dependency',
                          dep.missing)
              WHEN js.last_status OPERATOR(pg_catalog.=) 'timed_out' AND j.attempt OPERATOR(pg_catalog.=) 0
              THEN format('timed out after %s: %s%s',
                          j.max_retries || CASE WHEN j.max_retries OPERATOR(pg_catalog.=) 1 THEN ' retry' ELSE ' retries' END,
                          js.error_message, js.note)
              WHEN js.last_status OPERATOR(pg_catalog.=) 'failed' AND j.attempt OPERATOR(pg_catalog.=) 0
              THEN format('failed after %s: %s%s',
                          j.max_retries || CASE WHEN j.max_retries OPERATOR(pg_catalog.=) 1 THEN ' retry' ELSE ' retries' END,
                          js.error_message, js.note)
              WHEN js.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
              THEN format('attempt %s of %s failed, retrying: %s%s', j.attempt, j.max_retries + 1, js.error_message, js.note)
              WHEN NOT coalesce(current_setting('dataeng.enabled', true), 'on')::boolean
              THEN 'dataeng.enabled is off: the scheduler starts no run until it is on again'
              -- (it said ok, "next run at" a time long past: the library
              -- not preloaded any more, after a restore into a server
              -- without it; its launcher down)
              WHEN sch.pid IS NULL AND j.next_run_at OPERATOR(pg_catalog.<=) now()
              THEN format('due since %s, but no scheduler runs for this database (dataeng is not in shared_preload_libraries, or its launcher is down: see the server log): no run starts',
                          dataeng_internal._text_time(j.next_run_at))
              WHEN up.names IS NOT NULL AND (up.stuck OR dep.stuck IS NULL)
              THEN format('due since %s; waits for upstream %s %s to succeed%s',
                          dataeng_internal._text_time(j.next_run_at),
                          CASE WHEN up.n OPERATOR(pg_catalog.=) 1 THEN 'job' ELSE 'jobs' END, up.names,
                          CASE WHEN up.stuck THEN format(' (dataeng.job_run_now(%L) runs it without waiting)', j.job_name)
                               ELSE '' END)
              WHEN dep.stuck IS NOT NULL
              THEN format('its next run waits for upstream %s to succeed; %s (dataeng.job_run_now(%L) runs it without waiting)', dep.stuck,
                          CASE WHEN js.last_status IS NULL THEN format('due at %s', dataeng_internal._text_time(j.next_run_at))
                               ELSE format('last run %s; due at %s', js.last_status, dataeng_internal._text_time(j.next_run_at)) END,
                          j.job_name)
              WHEN js.last_status IS NULL THEN format('next run at %s', dataeng_internal._text_time(j.next_run_at))
              ELSE format('last run %s; next at %s', js.last_status, dataeng_internal._text_time(j.next_run_at)) END,
         NULL::bigint,
         CASE WHEN j.last_success_at IS NOT NULL
              THEN round(extract(epoch FROM now() OPERATOR(pg_catalog.-) j.last_success_at)) END,
         j.last_success_at, js.error_message,
         CASE WHEN js.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
              THEN coalesce((SELECT min(jr.started_at) FROM dataeng.job_runs jr
                              WHERE jr.job_id OPERATOR(pg_catalog.=) j.job_id
                                AND jr.started_at OPERATOR(pg_catalog.>) coalesce(j.last_success_at, '-infinity')),
                            j.last_finished_at)
              WHEN up.stuck THEN j.next_run_at
              ELSE coalesce(j.last_success_at, j.created_at) END,
         -- no owner for a job whose owner oid names another role than the
         -- one that scheduled it (restored in another cluster): its
         -- alert is then shown to superusers only, as the job and its runs
         CASE WHEN dataeng_internal._owner_trusted(j.owner, j.owner_name, j.owner_system) THEN j.owner END,
         NULL::regclass,
         CASE WHEN j.broken IS NOT NULL THEN 'job_failed'
              WHEN j.paused THEN NULL
              WHEN dep.cycle IS NOT NULL OR dep.missing IS NOT NULL THEN 'job_failed'
              WHEN j.attempt OPERATOR(pg_catalog.=) 0 AND js.last_status OPERATOR(pg_catalog.=) 'failed' THEN 'job_failed'
              WHEN j.attempt OPERATOR(pg_catalog.=) 0 AND js.last_status OPERATOR(pg_catalog.=) 'timed_out' THEN 'job_timed_out' END,
         'error'
    FROM dataeng.jobs j
    LEFT JOIN LATERAL (
      SELECT jr.error_message FROM dataeng.job_runs jr
       WHERE jr.run_id OPERATOR(pg_catalog.=) j.last_run_id
         AND j.last_status OPERATOR(pg_catalog.<>) 'succeeded') e ON true
    -- the last run that failed or timed out, no run having succeeded
    -- since (a success not logged, log_successful_runs = off, still sets
    -- last_success_at), while the job's last run is in progress
    LEFT JOIN LATERAL (
      SELECT jr.status, jr.error_message FROM dataeng.job_runs jr
       WHERE j.last_status OPERATOR(pg_catalog.=) ANY ('{running,waiting}')
         AND jr.job_id OPERATOR(pg_catalog.=) j.job_id
         AND jr.run_id OPERATOR(pg_catalog.<>) j.last_run_id
         AND jr.status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
         AND jr.finished_at OPERATOR(pg_catalog.>) coalesce(j.last_success_at, '-infinity')
       ORDER BY jr.finished_at DESC LIMIT 1) pf ON true
    CROSS JOIN LATERAL (
      SELECT coalesce(pf.status, j.last_status) AS last_status,
             CASE WHEN pf.status IS NOT NULL THEN pf.error_message ELSE e.error_message END AS error_message,
             CASE WHEN pf.status IS NOT NULL THEN format('; its next run is %s', j.last_status)
                  ELSE '' END AS note) js
    -- a due run held back by upstream jobs, as the scheduler holds it
    -- (scheduler.c: of the job's owner, a superuser's of anyone, not
    -- succeeded since the job's last start; a run asked for by
    -- job_run_now() is not held), each named with what keeps it from
    -- succeeding, if anything
    LEFT JOIN LATERAL (
      SELECT count(*) AS n,
             string_agg(d.name OPERATOR(pg_catalog.||)
                        CASE WHEN u.job_id IS NULL THEN ' (no such job of its owner)'
                             WHEN u.broken IS NOT NULL THEN ' (broken)'
                             WHEN u.paused THEN ' (paused)'
                             WHEN u.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
                                  AND u.attempt OPERATOR(pg_catalog.=) 0 THEN ' (failing)'
                             WHEN u.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}') THEN ' (retrying)'
                             WHEN u.last_status OPERATOR(pg_catalog.=) ANY ('{running,waiting}') THEN ' (running)'
                             ELSE '' END, ', ' ORDER BY d.ord) AS names,
             bool_or(u.job_id IS NULL OR u.broken IS NOT NULL OR u.paused
                     OR (u.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
                         AND u.attempt OPERATOR(pg_catalog.=) 0)) AS stuck
        -- (each upstream job once, where it is first named: a name given
        -- twice, by hand or by 0.1.0, was named and counted twice)
        FROM (SELECT x.name, min(x.ord) AS ord FROM pg_catalog.unnest(j.depends_on) WITH ORDINALITY x(name, ord)
               GROUP BY x.name) d
        LEFT JOIN dataeng.jobs u ON u.job_name OPERATOR(pg_catalog.=) d.name
             AND (u.owner::oid OPERATOR(pg_catalog.=) j.owner::oid
                  OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles ro
                              WHERE ro.oid OPERATOR(pg_catalog.=) j.owner::oid AND ro.rolsuper))
       WHERE NOT j.paused AND NOT j.run_now AND j.broken IS NULL
         AND j.next_run_at OPERATOR(pg_catalog.<=) now()
         AND j.last_status IS DISTINCT FROM 'running' AND j.last_status IS DISTINCT FROM 'waiting'
         AND (u.last_success_at IS NULL
              OR u.last_success_at OPERATOR(pg_catalog.<=) coalesce(j.last_started_at, '-infinity'))
      HAVING count(*) OPERATOR(pg_catalog.>) 0) up ON true
    LEFT JOIN job_stuck_above sa ON sa.job_name OPERATOR(pg_catalog.=) j.job_name
    -- what its dependencies hold it back by (the scheduler starts it once
    -- each upstream job succeeded since its last start): a cycle of them
    -- (none of its jobs ever runs: stored by 0.1.0, or written by hand),
    -- a name that names no job of its owner (its owner's for a
    -- superuser's job: anyone's), or upstream jobs that have not
    -- succeeded since and will not by themselves (broken, paused, failed
    -- with their retries spent, in a cycle)
    LEFT JOIN LATERAL (
      SELECT CASE WHEN j.job_name OPERATOR(pg_catalog.=) ANY (SELECT jc.job_name FROM job_cycles jc)
                  THEN dataeng_internal._job_cycle(j.owner, j.job_name, j.depends_on) END AS cycle,
             (SELECT string_agg(format('"%s"', d.name), ', ' ORDER BY d.n)
                FROM (SELECT x.name, min(x.n) AS n FROM pg_catalog.unnest(j.depends_on) WITH ORDINALITY x(name, n)
                       GROUP BY x.name) d
               WHERE NOT EXISTS (SELECT 1 FROM dataeng.jobs u
                                  WHERE u.job_name OPERATOR(pg_catalog.=) d.name
                                    AND (u.owner OPERATOR(pg_catalog.=) j.owner OR dataeng_internal._is_superuser(j.owner)))) AS missing,
             (SELECT string_agg(format('job "%s" (%s)', u.job_name,
                                       CASE WHEN u.broken IS NOT NULL THEN 'broken'
                                            WHEN u.paused THEN 'paused'
                                            WHEN u.attempt OPERATOR(pg_catalog.=) 0
                                             AND u.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
                                            THEN 'its last run ' || replace(u.last_status, '_', ' ')
                                            ELSE 'in a cycle of dependencies' END), ', ' ORDER BY d.n)
                FROM (SELECT x.name, min(x.n) AS n FROM pg_catalog.unnest(j.depends_on) WITH ORDINALITY x(name, n)
                       GROUP BY x.name) d
                JOIN dataeng.jobs u ON u.job_name OPERATOR(pg_catalog.=) d.name
                 AND (u.owner OPERATOR(pg_catalog.=) j.owner OR dataeng_internal._is_superuser(j.owner))
               WHERE (u.last_success_at IS NULL
                      OR u.last_success_at OPERATOR(pg_catalog.<=) coalesce(j.last_started_at, '-infinity'))
                 AND (u.broken IS NOT NULL OR u.paused
                      OR (u.attempt OPERATOR(pg_catalog.=) 0 AND u.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}'))
                      OR u.job_name OPERATOR(pg_catalog.=) ANY (SELECT jc.job_name FROM job_cycles jc))) AS direct,
             -- upstream jobs that wait, at any depth, for a stuck one
             sa.above
       WHERE cardinality(j.depends_on) OPERATOR(pg_catalog.>) 0) dep0 ON true
    CROSS JOIN LATERAL (
      SELECT dep0.cycle, dep0.missing,
             nullif(concat_ws(', ', dep0.direct, dep0.above), '') AS stuck) dep
    -- (no process schedules this database's jobs: neither its scheduler
    -- nor the launcher runs)
    CROSS JOIN (SELECT dataeng_internal._scheduler_pid() AS pid) sch
  UNION ALL
  -- on_change triggers: failing while batches their handler failed on wait
  -- in dataeng.dead_letters (with on_error => 'dead_letter' the trigger goes
  -- on without them; with 'pause' it stopped), or while its backlog's bound
  -- (dataeng.on_change_max_backlog) keeps it paused; a warning while the
  -- calls with the batch it waits on are cut off by its role's whole budget
  -- again and again (dataeng.on_change_timeout = 0: 5 times in a row, as
  -- WAL_CUT_OFF_WARN in wal_handlers.c); paused when paused by hand
  SELECT 'on_change', o.trigger_name,
         CASE WHEN dl.failed OPERATOR(pg_catalog.>) 0 OR dl.not_kept OPERATOR(pg_catalog.>) 0 OR bk.why IS NOT NULL OR nf.why IS NOT NULL OR bound.reached
                OR cs.table_name IS NOT NULL THEN 'failing'
              WHEN o.calls_cut_off OPERATOR(pg_catalog.>=) 5 THEN 'warning'
              WHEN o.paused_at IS NOT NULL THEN 'paused'
              WHEN NOT coalesce(current_setting('dataeng.enabled', true), 'on')::boolean THEN 'warning'
              WHEN o.backlog_oldest_commit OPERATOR(pg_catalog.<) (now() OPERATOR(pg_catalog.-) cfg.max_lag) THEN 'warning'
              ELSE 'ok' END,
         CASE WHEN bk.why IS NOT NULL
              THEN format('%s, so each of its batches fails into dataeng.dead_letters; %s', bk.why, bk.fix)
              WHEN nf.why IS NOT NULL
              THEN format('%s, so its handler %s is not called: the changes committed meanwhile never reach it; '
                          'capture the table from the WAL again (SELECT dataeng.cdc_enable(%L, method => ''wal'')), or drop the trigger; last handled %s',
                          nf.why, o.handler, o.table_name::text, coalesce(dataeng_internal._text_time(o.handled_at), 'never'))
              WHEN dl.not_kept OPERATOR(pg_catalog.>) 0
              THEN format('%s of %s not kept in dataeng.dead_letters, past dataeng.on_change_max_dead_letters (%s kept there%s): '
                          'their changes are in the change log from commit %s on (dead letter %s counts them); '
                          'replay them from there, then delete that dead letter (dataeng.on_change_dead_letter_delete()); '
                          'handle or delete the others, or raise dataeng.on_change_max_dead_letters',
                          CASE WHEN dl.not_kept OPERATOR(pg_catalog.=) 1 THEN '1 batch' ELSE dl.not_kept || ' batches' END,
                          o.table_name, dl.set_aside,
                          CASE WHEN o.paused_at IS NOT NULL
                               THEN format('; paused since %s', dataeng_internal._text_time(o.paused_at)) ELSE '' END,
                          dl.not_kept_from, dl.not_kept_id)
              WHEN dl.failed OPERATOR(pg_catalog.>) 0
              THEN format('%s of %s its handler %s failed on %s in dataeng.dead_letters (the last: %s)%s',
                          CASE WHEN dl.failed OPERATOR(pg_catalog.=) 1 THEN '1 batch' ELSE dl.failed || ' batches' END,
                          o.table_name, o.handler,
                          CASE WHEN dl.failed OPERATOR(pg_catalog.=) 1 THEN 'waits' ELSE 'wait' END, dl.last_error,
                          CASE WHEN o.paused_at IS NOT NULL
                               THEN format('; paused since %s with %s set aside: fix the cause, then dataeng.on_change_resume()',
                                           dataeng_internal._text_time(o.paused_at),
                                           CASE WHEN dl.set_aside OPERATOR(pg_catalog.=) 1 THEN '1 batch' ELSE dl.set_aside || ' batches' END)
                               ELSE ': they are not handled again; replay them by hand and delete them (dataeng.on_change_dead_letter_delete())' END)
              WHEN bound.reached
              THEN format('paused since %s: %s (its handler %s falls behind the writes of %s); %s set aside in dataeng.dead_letters: '
                          'make the handler faster or raise dataeng.on_change_role_budget, then dataeng.on_change_resume()',
                          dataeng_internal._text_time(o.paused_at), o.pause_reason, o.handler, o.table_name,
                          CASE WHEN dl.set_aside OPERATOR(pg_catalog.=) 1 THEN '1 batch' ELSE dl.set_aside || ' batches' END)
              WHEN o.calls_cut_off OPERATOR(pg_catalog.>=) 5
              THEN format('its handler %s cannot complete a call within its role''s budget of a round: the call with the batch it waits on was cut off %s times in a row at dataeng.on_change_role_budget (dataeng.on_change_timeout is 0)%s; '
                          'raise dataeng.on_change_role_budget above what one call takes, or make the handler faster',
                          o.handler, o.calls_cut_off,
                          CASE WHEN o.paused_at IS NULL
                               THEN format(', and %s of %s %s behind it in its backlog',
                                           CASE WHEN o.backlog_batches OPERATOR(pg_catalog.=) 1 THEN '1 batch' ELSE o.backlog_batches || ' batches' END,
                                           o.table_name,
                                           CASE WHEN o.backlog_batches OPERATOR(pg_catalog.=) 1 THEN 'waits' ELSE 'wait' END)
                               ELSE ', in the resume of its set-aside batches' END)
              -- (its table's capture from the WAL stopped: the worker
              -- decodes none of its changes, so the handler gets none of
              -- those committed until the table's owner runs cdc_enable()
              -- again; it said ok, handling the changes of the table)
              WHEN cs.table_name IS NOT NULL
              THEN format('its table %s is not captured since the WAL capture worker stopped it at %s (dataeng.cdc_status.capture_error): '
                          'its handler %s is called with none of the changes committed from then on; once the table''s owner has run '
                          'dataeng.cdc_enable(%L, method => ''wal'') again, it is called with those committed after; last handled %s',
                          o.table_name, dataeng_internal._text_time(cs.capture_stopped_at), o.handler,
                          o.table_name::text, coalesce(dataeng_internal._text_time(o.handled_at), 'never'))
              WHEN o.paused_at IS NOT NULL
              THEN format('paused by dataeng.on_change_pause() since %s; %s set aside',
                          dataeng_internal._text_time(o.paused_at),
                          CASE WHEN dl.set_aside OPERATOR(pg_catalog.=) 1 THEN '1 batch' ELSE dl.set_aside || ' batches' END)
              WHEN NOT coalesce(current_setting('dataeng.enabled', true), 'on')::boolean
              THEN format('dataeng.enabled is off: the WAL capture worker, which calls the handler, is stopped, so no change of %s is handled until it is on again; last handled %s',
                          o.table_name, coalesce(dataeng_internal._text_time(o.handled_at), 'never'))
              WHEN o.backlog_batches OPERATOR(pg_catalog.>) 0
              THEN format('handles the changes of %s, behind: %s in its backlog, the oldest committed %s (its handler needs more time than dataeng.on_change_role_budget gives it per round)%s; last handled %s',
                          o.table_name,
                          CASE WHEN o.backlog_batches OPERATOR(pg_catalog.=) 1 THEN '1 batch waits' ELSE o.backlog_batches || ' batches wait' END,
                          dataeng_internal._text_time(o.backlog_oldest_commit),
                          CASE WHEN o.backlog_oldest_commit OPERATOR(pg_catalog.<) (now() OPERATOR(pg_catalog.-) cfg.max_lag)
                               THEN format(', longer ago than max_lag (%s): speed the handler up, or pause or drop the trigger',
                                           dataeng_internal._text_interval(cfg.max_lag)) ELSE '' END,
                          coalesce(dataeng_internal._text_time(o.handled_at), 'never'))
              ELSE format('handles the changes of %s; last handled %s', o.table_name, coalesce(dataeng_internal._text_time(o.handled_at), 'never')) END,
         NULL::bigint,
         -- (the age of the oldest batch waiting in its backlog)
         CASE WHEN o.backlog_oldest_commit IS NOT NULL
              THEN round(extract(epoch FROM now() OPERATOR(pg_catalog.-) o.backlog_oldest_commit)) END,
         o.handled_at, coalesce(dl.last_error, cs.capture_error),
         CASE WHEN dl.failed OPERATOR(pg_catalog.>) 0 OR dl.not_kept OPERATOR(pg_catalog.>) 0 THEN dl.first_failed
              WHEN bk.why IS NOT NULL OR nf.why IS NOT NULL THEN NULL
              WHEN cs.table_name IS NOT NULL AND NOT bound.reached AND o.calls_cut_off OPERATOR(pg_catalog.<) 5
              THEN cs.capture_stopped_at
              -- (cut off again and again: since the batch it waits on)
              WHEN o.calls_cut_off OPERATOR(pg_catalog.>=) 5 AND NOT bound.reached
              THEN coalesce(o.backlog_oldest_commit, o.paused_at)
              WHEN o.paused_at IS NOT NULL THEN o.paused_at
              ELSE o.created_at END,
         -- (no table: its alert, which holds the handler's error, is the
         -- trigger's owner's, not every reader's of the table)
         o.owner, NULL::regclass,
         CASE WHEN dl.failed OPERATOR(pg_catalog.>) 0 OR dl.not_kept OPERATOR(pg_catalog.>) 0 OR bk.why IS NOT NULL OR nf.why IS NOT NULL OR bound.reached THEN 'on_change_failed'
              WHEN o.calls_cut_off OPERATOR(pg_catalog.>=) 5 THEN 'on_change_stuck' END,
         CASE WHEN dl.failed OPERATOR(pg_catalog.>) 0 OR dl.not_kept OPERATOR(pg_catalog.>) 0 OR bk.why IS NOT NULL OR nf.why IS NOT NULL OR bound.reached THEN 'error'
              WHEN o.calls_cut_off OPERATOR(pg_catalog.>=) 5 THEN 'warning'
              ELSE 'error' END
    FROM dataeng.on_changes o
    CROSS JOIN cfg
    -- (its table, when the WAL capture worker stopped capturing it: the
    -- alert is the table's capture_stopped, as for a consumer)
    LEFT JOIN stopped cs ON cs.table_name OPERATOR(pg_catalog.=) o.table_name
    -- (paused by the worker when its backlog reached its bound, wal_handlers.c)
    CROSS JOIN LATERAL (
      SELECT o.paused_at IS NOT NULL
             AND coalesce(pg_catalog.starts_with(o.pause_reason, 'its backlog reached dataeng.on_change_max_backlog'), false) AS reached) bound
    -- a trigger whose table is no longer captured from the WAL (switched
    -- to trigger capture, or cdc_disable()): the worker, which calls the
    -- handler, decodes none of its changes, so they never reach it (it
    -- said ok, handling the changes of the table)
    CROSS JOIN LATERAL (
      SELECT CASE WHEN o.table_method IS NULL
                  THEN format('its table %s is no longer captured (dataeng.cdc_disable())', o.table_name)
                  WHEN o.table_method OPERATOR(pg_catalog.<>) 'wal'
                  THEN format('its table %s is captured by its trigger (method %s), not from the WAL (its changes go to the change log alone)', o.table_name, o.table_method)
             END AS why) nf
    -- a trigger its creator can no longer run (the role dropped, its right
    -- to read the whole table or to execute the handler revoked, the
    -- handler dropped): every batch fails into a dead letter that the
    -- views hide while the creator may not read the table, so it is
    -- failing from now on, not ok (checked as the worker does before each
    -- call: USAGE on the schema, SELECT, no row-level security, EXECUTE)
    CROSS JOIN LATERAL (
      SELECT b[1] AS why, b[2] AS fix
        FROM (SELECT (SELECT CASE
               WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) o.owner::oid)
               THEN ARRAY[format('its creator role (oid %s) was dropped', o.owner::oid),
                          'they are readable by superusers only: drop the trigger with dataeng.on_change_drop() and create it again']
               WHEN NOT has_schema_privilege(o.owner::oid, c.relnamespace, 'USAGE')
                 OR NOT has_table_privilege(o.owner::oid, c.oid, 'SELECT')
                 OR (c.relrowsecurity
                     AND NOT (SELECT r.rolbypassrls OR r.rolsuper FROM pg_catalog.pg_roles r
                               WHERE r.oid OPERATOR(pg_catalog.=) o.owner::oid)
                     AND (c.relforcerowsecurity OR NOT pg_has_role(o.owner::oid, c.relowner, 'USAGE')))
               THEN ARRAY[format('its creator %s may no longer read the whole table %s', o.owner, o.table_name),
                          'they are readable by superusers only meanwhile: grant it USAGE on the schema and SELECT again (without row-level security limiting it), or drop the trigger']
               WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) o.handler::oid)
               THEN ARRAY[format('its handler (function oid %s) was dropped', o.handler::oid),
                          'drop the trigger with dataeng.on_change_drop() and create it again']
               WHEN NOT has_function_privilege(o.owner::oid, o.handler::oid, 'EXECUTE')
               THEN ARRAY[format('its creator %s may no longer execute its handler %s', o.owner, o.handler),
                          'grant it EXECUTE again, or drop the trigger']
             END
        FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) o.table_name::oid) AS b) bb) bk
    CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE d.error IS DISTINCT FROM 'not handled: the trigger is paused' AND NOT nk.is) AS failed,
             count(*) FILTER (WHERE NOT nk.is) AS set_aside,
             -- (past dataeng.on_change_max_dead_letters: batches counted in
             -- one dead letter without their changes, wal_handlers.c)
             coalesce(sum(d.attempts) FILTER (WHERE nk.is), 0) AS not_kept,
             min(d.id) FILTER (WHERE nk.is) AS not_kept_id,
             min(d.commit_lsn) FILTER (WHERE nk.is) AS not_kept_from,
             min(d.failed_at) FILTER (WHERE d.error IS DISTINCT FROM 'not handled: the trigger is paused') AS first_failed,
             (array_agg(d.error ORDER BY d.id DESC)
                FILTER (WHERE d.error IS DISTINCT FROM 'not handled: the trigger is paused'))[1] AS last_error
        FROM dataeng.on_change_dead_letters d
        CROSS JOIN LATERAL (
          SELECT coalesce(pg_catalog.starts_with(d.error, 'not kept: '), false)
                 AND d.sqlstate OPERATOR(pg_catalog.=) '54000'
                 AND pg_catalog.cardinality(d.changes) OPERATOR(pg_catalog.=) 0 AS is) nk
       WHERE d.trigger_name OPERATOR(pg_catalog.=) o.trigger_name
         AND d.owner OPERATOR(pg_catalog.=) o.owner) dl
  UNION ALL
  -- monitors: the latest check
  SELECT 'monitor', m.name,
         CASE WHEN mj.error_message IS NOT NULL THEN 'failing'
              WHEN c.check_id IS NULL THEN 'ok' WHEN c.ok THEN 'ok' ELSE 'failing' END,
         CASE WHEN mj.error_message IS NOT NULL
              THEN format('its latest check failed: %s', mj.error_message)
              WHEN c.check_id IS NULL THEN format('not checked yet (schedule %s)', m.schedule)
              WHEN c.ok THEN format('%s in the last %s, newest %s', dataeng_internal._text_rows(c.rows_in_period),
                                    dataeng_internal._text_interval(m.per), dataeng_internal._text_time(c.newest))
              ELSE array_to_string(c.problems, '; ') END,
         NULL::bigint,
         -- (none for a newest row at -infinity, or at infinity, which a
         -- check took for the newest before: the subtraction failed, and
         -- with it every read of this view and every maintain())
         CASE WHEN isfinite(c.newest) THEN round(extract(epoch FROM c.checked_at OPERATOR(pg_catalog.-) c.newest)) END,
         (SELECT max(x.checked_at) FROM dataeng.monitor_checks x
           WHERE x.monitor OPERATOR(pg_catalog.=) m.name AND x.ok),
         -- (a check that could not run: its job's error, since its first
         -- failure after the latest check; they were NULL and the
         -- monitor's creation, or the start of the latest check's state)
         CASE WHEN mj.error_message IS NOT NULL THEN mj.error_message
              WHEN NOT c.ok THEN array_to_string(c.problems, '; ') END,
         CASE WHEN mj.error_message IS NOT NULL THEN mj.first_failed
              WHEN c.ok OR c.check_id IS NULL THEN m.created_at
              ELSE coalesce((SELECT min(x.checked_at) FROM dataeng.monitor_checks x
                              WHERE x.monitor OPERATOR(pg_catalog.=) m.name
                                AND x.check_id OPERATOR(pg_catalog.>) coalesce(
                                  (SELECT max(y.check_id) FROM dataeng.monitor_checks y
                                    WHERE y.monitor OPERATOR(pg_catalog.=) m.name AND y.ok), 0)), c.checked_at) END,
         m.owner, m.tbl, NULL::text, NULL::text
    FROM dataeng.monitors m
    LEFT JOIN LATERAL (
      SELECT x.* FROM dataeng.monitor_checks x
       WHERE x.monitor OPERATOR(pg_catalog.=) m.name ORDER BY x.check_id DESC LIMIT 1) c ON true
    -- a check that could not run (the table dropped, the time column
    -- renamed) records no check: the monitor's job says why it failed,
    -- when it failed after the latest check began (its started_at is the
    -- start of the scheduler's pass, which may be before a check made
    -- while the scheduler was slow to get to it)
    LEFT JOIN LATERAL (
      SELECT jr.error_message,
             (SELECT min(x.finished_at) FROM dataeng.job_runs x
               WHERE x.job_id OPERATOR(pg_catalog.=) j.job_id
                 AND x.status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
                 AND x.finished_at OPERATOR(pg_catalog.>) coalesce(c.checked_at, '-infinity')) AS first_failed
        FROM dataeng.jobs j
        JOIN dataeng.job_runs jr ON jr.run_id OPERATOR(pg_catalog.=) j.last_run_id
       WHERE j.job_name OPERATOR(pg_catalog.=) ('monitor:' OPERATOR(pg_catalog.||) m.name)
         AND j.last_status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}')
         AND jr.finished_at OPERATOR(pg_catalog.>) coalesce(c.checked_at, '-infinity')) mj ON true
  UNION ALL
  -- the change log (what the last maintenance counted): superusers; a
  -- warning past change_log_max, or while a consumer is behind (it holds
  -- back purging: the log keeps every change it has not acknowledged)
  SELECT 'change log', 'dataeng_internal.change_log',
         CASE WHEN mt.change_log OPERATOR(pg_catalog.>) cl.max OR h.name IS NOT NULL THEN 'warning' ELSE 'ok' END,
         CASE WHEN mt.change_log OPERATOR(pg_catalog.>) cl.max
              THEN format('holds %s changes, more than change_log_max (%s): %s', mt.change_log, cl.max,
                          CASE WHEN NOT cl.purge THEN 'purging is off (setting purge); turn it on'
                               WHEN h.name IS NOT NULL
                               THEN format('consumer %s holds back purging (%s changes pending, the oldest %s s old); %s',
                                           h.name, h.pending_changes, round(h.lag_seconds), dataeng_internal._consumer_remedy(h.name))
                               WHEN o.name IS NOT NULL
                               THEN format('consumer %s holds back purging (%s changes pending, the oldest %s s old); %s',
                                           o.name, o.pending_changes, round(o.lag_seconds), dataeng_internal._consumer_remedy(o.name))
                               ELSE 'no consumer holds it back: the next maintenance purges what was acknowledged' END)
              WHEN h.name IS NOT NULL
              THEN format('holds %s changes; consumer %s holds back purging (%s changes pending, the oldest %s s old); %s',
                          mt.change_log, h.name, h.pending_changes, round(h.lag_seconds), dataeng_internal._consumer_remedy(h.name))
              ELSE format('holds %s changes', mt.change_log) END,
         mt.change_log, NULL::numeric, mt.ran_at, NULL::text, mt.ran_at,
         NULL::regrole, NULL::regclass, NULL::text, NULL::text
    FROM dataeng.maintenance mt
   CROSS JOIN LATERAL (SELECT dataeng_internal._ops_setting('*', 'change_log_max')::bigint AS max,
                              dataeng_internal._ops_setting('*', 'purge')::boolean AS purge) cl
    -- the consumer behind with the oldest pending change, if any
    LEFT JOIN LATERAL (SELECT l.name, l.pending_changes, l.lag_seconds FROM lagged l WHERE l.behind
                        ORDER BY l.lag_seconds DESC NULLS LAST, l.pending_changes DESC, l.name LIMIT 1) h ON true
    -- else the one with the oldest pending change
    LEFT JOIN LATERAL (SELECT l.name, l.pending_changes, l.lag_seconds FROM lagged l
                        WHERE l.expired_at IS NULL AND l.pending_changes OPERATOR(pg_catalog.>) 0
                        ORDER BY l.lag_seconds DESC NULLS LAST, l.pending_changes DESC, l.name LIMIT 1) o ON true
   WHERE dataeng_internal._is_superuser(current_user::regrole) AND mt.change_log IS NOT NULL
  UNION ALL
  -- logical replication slots of dataeng in this database (WAL capture's,
  -- and any using the dataeng output plugin): how far behind the end of
  -- WAL, against dataeng.max_slot_lag; superusers and replication roles.
  -- The WAL capture's slot is failing, with the alert wal_capture_failing
  -- (of no owner: superusers see it), once its workers ended by an error 2
  -- times in a row with no round committed since.  Also when they failed
  -- before they made the slot (no replication slot free, for one): its row
  -- is there all the same (missing), from the first failure
  SELECT 'slot', sl.slot_name::text,
         CASE WHEN sl.missing AND NOT sl.failing THEN 'warning'
              WHEN sl.wal_status OPERATOR(pg_catalog.=) 'lost' THEN 'failing'
              WHEN sl.failing THEN 'failing'
              WHEN sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) 2 * sl.lim THEN 'failing'
              WHEN sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) sl.lim THEN 'warning'
              WHEN sl.lock_rel IS NOT NULL THEN 'warning'
              WHEN sl.slot_waited IS NOT NULL THEN 'warning'
              WHEN sl.off THEN 'warning'
              WHEN sl.down THEN 'warning'
              ELSE 'ok' END,
         CASE WHEN sl.missing
              THEN format('the WAL capture worker of this database failed %s in a row before it made the replication slot, so nothing is captured from the WAL yet (tables not switched yet keep their capture triggers; tables already switched to the WAL are not captured meanwhile): %s; fix the cause (see the server log), then dataeng.cdc_enable() of a captured table starts a worker at once',
                          CASE WHEN sl.streak OPERATOR(pg_catalog.=) 1 THEN 'once' ELSE sl.streak || ' times' END,
                          coalesce(dataeng_internal._cdc_wal_last_error(), 'its error is not known'))
              WHEN sl.wal_status OPERATOR(pg_catalog.=) 'lost'
              THEN format('slot (%s) lost WAL it needs: its reader cannot go on; drop and re-create it', sl.what)
              WHEN sl.failing
              THEN format('the WAL capture worker of this database failed %s times in a row, no round committed since: %s; changes committed since are not captured yet (the slot keeps their WAL): fix the cause (see the server log), then dataeng.cdc_enable() of a captured table starts a worker at once',
                          sl.streak, coalesce(dataeng_internal._cdc_wal_last_error(), 'its error is not known'))
              WHEN sl.off AND NOT (sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) sl.lim)
              THEN format('slot (WAL capture) is %s behind the end of WAL: dataeng.enabled is off, so the WAL capture worker is stopped and changes committed since are captured only once it is on again (the slot keeps their WAL)',
                          pg_size_pretty(sl.behind))
              WHEN sl.down AND NOT (sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) sl.lim)
              THEN format('slot (WAL capture) is %s behind the end of WAL: no WAL capture worker runs in this database (each one started ends with an error, or none could start: see the server log), so changes committed since are not captured yet (the slot keeps their WAL)',
                          pg_size_pretty(sl.behind))
              WHEN sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) sl.lim
              THEN format('slot (%s) is %s behind the end of WAL, more than %sdataeng.max_slot_lag (%s): the server keeps that WAL; %s',
                          sl.what, pg_size_pretty(sl.behind),
                          CASE WHEN sl.behind OPERATOR(pg_catalog.>) 2 * sl.lim THEN 'twice ' ELSE '' END,
                          pg_size_pretty(sl.lim),
                          CASE WHEN sl.active THEN 'its reader is slow'
                               ELSE 'nothing reads it: start its reader, or drop the slot' END)
              WHEN sl.lock_rel IS NOT NULL
              THEN format('slot (WAL capture) is %s behind the end of WAL: the WAL capture worker has waited %s s for a lock on %s, held by %s, so no change of any table is captured meanwhile; end that transaction (pg_stat_activity says what it runs)',
                          pg_size_pretty(sl.behind), sl.lock_secs, sl.lock_rel, coalesce(sl.lock_holders, 'a process not known'))
              WHEN sl.slot_waited IS NOT NULL
              THEN format('the WAL capture worker has waited %s s to make the replication slot %s of this database for %s to end (transaction %s%s): '
                          'logical decoding begins only once every transaction that was running when the slot''s creation began has ended, in any database, '
                          'so nothing is captured from the WAL meanwhile (tables not switched yet keep their capture triggers: nothing is lost; '
                          'dataeng.cdc_wal_sync() fails naming it); %s',
                          sl.slot_wait_secs, sl.slot_name, coalesce(sl.slot_blocker, format('transaction %s', sl.slot_waited)), sl.slot_waited,
                          CASE WHEN sl.slot_blocker_db IS NOT NULL THEN format(', of database %s', sl.slot_blocker_db) ELSE '' END,
                          CASE WHEN sl.slot_blocker LIKE 'prepared transaction %'
                               THEN 'end it with COMMIT PREPARED or ROLLBACK PREPARED (pg_prepared_xacts lists it; it outlives a server restart)'
                               ELSE 'end that transaction (pg_stat_activity says what it runs)' END)
              ELSE format('slot (%s) is %s behind the end of WAL%s', sl.what, pg_size_pretty(sl.behind),
                          CASE WHEN sl.active THEN '' ELSE '; nothing reads it now' END) END,
         NULL::bigint, NULL::numeric, NULL::timestamptz,
         CASE WHEN sl.wal_status OPERATOR(pg_catalog.=) 'lost' THEN 'WAL lost'
              -- (the error that ended the last worker, while none runs)
              WHEN sl.down OR sl.failing OR sl.missing THEN dataeng_internal._cdc_wal_last_error() END, NULL::timestamptz,
         NULL::regrole, NULL::regclass,
         CASE WHEN sl.wal_status OPERATOR(pg_catalog.=) 'lost' THEN 'slot_lag'
              WHEN sl.failing THEN 'wal_capture_failing'
              WHEN sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) sl.lim THEN 'slot_lag' END,
         CASE WHEN sl.wal_status OPERATOR(pg_catalog.=) 'lost' OR sl.failing
                OR (sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) 2 * sl.lim) THEN 'error'
              WHEN sl.lim OPERATOR(pg_catalog.>) 0 AND sl.behind OPERATOR(pg_catalog.>) sl.lim THEN 'warning' END
    FROM (SELECT rs.slot_name, rs.wal_status, rs.active, rs.missing,
                 lw.lock_rel, lw.lock_secs, lw.lock_holders,
                 sw.waited AS slot_waited, sw.wait_secs AS slot_wait_secs, sw.blocker AS slot_blocker, sw.blocker_db AS slot_blocker_db,
                 CASE WHEN w.capture THEN 'WAL capture' ELSE 'plugin ' || rs.plugin END AS what,
                 pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                                      ELSE dataeng_internal._cdc_wal_end() END,
                                 coalesce(rs.confirmed_flush_lsn, rs.restart_lsn)) AS behind,
                 pg_size_bytes(coalesce(current_setting('dataeng.max_slot_lag', true), '0')) AS lim,
                 w.capture AND NOT coalesce(current_setting('dataeng.enabled', true), 'on')::boolean AS off,
                 -- (the worker holds its slot for its life: with the slot
                 -- there, none in the database means capture stands still,
                 -- an error ending it each time it starts as the case may be)
                 w.capture AND coalesce(current_setting('dataeng.enabled', true), 'on')::boolean
                   AND w.worker OPERATOR(pg_catalog.=) ANY ('{none,restarting,no_slot}') AS down,
                 -- (workers ended by an error in a row, no round committed
                 -- since: 2 are the first failure and the first restart)
                 w.capture AND coalesce(current_setting('dataeng.enabled', true), 'on')::boolean
                   AND w.streak OPERATOR(pg_catalog.>=) 2 AS failing,
                 w.streak
            FROM (SELECT x.slot_name, x.wal_status, x.active, x.plugin, x.confirmed_flush_lsn, x.restart_lsn,
                         false AS missing, x.active_pid
                    FROM pg_replication_slots x
                   WHERE x.database OPERATOR(pg_catalog.=) current_database()
                     AND x.slot_type OPERATOR(pg_catalog.=) 'logical'
                  UNION ALL
                  -- (the capture slot not made yet by workers that failed:
                  -- a worker that finds nothing to capture ends the series)
                  SELECT dataeng_internal._cdc_wal_slot(), NULL::text, false, 'pgoutput'::name,
                         NULL::pg_lsn, NULL::pg_lsn, true, NULL::int
                   WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots y
                                      WHERE y.slot_name OPERATOR(pg_catalog.=) dataeng_internal._cdc_wal_slot())
                     AND dataeng_internal._cdc_wal_fail_streak() OPERATOR(pg_catalog.>=) 1) rs
           CROSS JOIN LATERAL (SELECT rs.slot_name OPERATOR(pg_catalog.=) dataeng_internal._cdc_wal_slot() AS capture,
                                      CASE WHEN rs.slot_name OPERATOR(pg_catalog.=) dataeng_internal._cdc_wal_slot()
                                           THEN dataeng_internal._cdc_wal_worker() END AS worker,
                                      CASE WHEN rs.slot_name OPERATOR(pg_catalog.=) dataeng_internal._cdc_wal_slot()
                                           THEN dataeng_internal._cdc_wal_fail_streak() END AS streak) w
           -- (the capture worker waiting 5 s or more for a lock on a
           -- relation, which a transaction holds: a LOCK TABLE left open,
           -- a long VACUUM FULL or table rewrite of a captured table; it
           -- decodes nothing meanwhile, for any table, and said ok)
           LEFT JOIN LATERAL (
             SELECT l.relation::regclass::text AS lock_rel,
                    round(extract(epoch FROM statement_timestamp() OPERATOR(pg_catalog.-) l.waitstart)) AS lock_secs,
                    dataeng_internal._cdc_lock_holders(l.relation, pg_blocking_pids(l.pid)) AS lock_holders
               FROM pg_catalog.pg_locks l
              WHERE w.capture AND rs.active_pid IS NOT NULL
                AND l.pid OPERATOR(pg_catalog.=) rs.active_pid AND NOT l.granted
                AND l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.relation IS NOT NULL
                AND l.waitstart OPERATOR(pg_catalog.<) (statement_timestamp() OPERATOR(pg_catalog.-) interval '5 s')
              LIMIT 1) lw ON true
           -- (the capture worker making the slot, waiting 5 s or more for
           -- a transaction that was running when it began to end: an
           -- orphaned prepared transaction, a session idle in its
           -- transaction, of any database; it said ok.  Asked only of a
           -- capture slot not made yet)
           LEFT JOIN LATERAL (
             SELECT b.waited, b.blocker, b.blocker_db,
                    round(extract(epoch FROM statement_timestamp() OPERATOR(pg_catalog.-) b.since)) AS wait_secs
               FROM dataeng_internal._cdc_wal_slot_waits() b
              WHERE w.capture AND rs.confirmed_flush_lsn IS NULL AND rs.active_pid IS NOT NULL
                AND b.waited IS NOT NULL
                AND b.since OPERATOR(pg_catalog.<) (statement_timestamp() OPERATOR(pg_catalog.-) interval '5 s')) sw ON true
           WHERE (w.capture OR rs.plugin OPERATOR(pg_catalog.=) 'dataeng')) sl
   WHERE (dataeng_internal._is_superuser(current_user::regrole)
          OR (SELECT r.rolreplication FROM pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) current_user::regrole::oid));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._status_rows() IS 'internal: the rows of dataeng.pipeline_status, with the alert each calls for';

CREATE VIEW dataeng.pipeline_status AS
  SELECT s.kind, s.name, s.state, s.reason, s.lag_changes, s.lag_seconds, s.last_success, s.last_error, s.since
    FROM dataeng_internal._status_rows() s;
COMMENT ON VIEW dataeng.pipeline_status IS
  'Every pipeline object the calling role may see: state (ok, warning, failing, paused), why, lag, last success and error, since when';
COMMENT ON COLUMN dataeng.pipeline_status.kind IS 'Kind of the object: captured table, consumer, fact, dimension, job, monitor...';
COMMENT ON COLUMN dataeng.pipeline_status.name IS 'The object';
COMMENT ON COLUMN dataeng.pipeline_status.state IS 'ok, warning, failing or paused';
COMMENT ON COLUMN dataeng.pipeline_status.reason IS 'What is wrong and what to do';
COMMENT ON COLUMN dataeng.pipeline_status.lag_changes IS 'Changes waiting';
COMMENT ON COLUMN dataeng.pipeline_status.lag_seconds IS 'Age in seconds of the oldest waiting change';
COMMENT ON COLUMN dataeng.pipeline_status.last_success IS 'Last acknowledgement, refresh, successful run, passing validation or healthy check';
COMMENT ON COLUMN dataeng.pipeline_status.last_error IS 'The last error, when failing';
COMMENT ON COLUMN dataeng.pipeline_status.since IS 'When the current state began';
GRANT SELECT ON dataeng.pipeline_status TO PUBLIC;

-----------------------------------------------------------------------------
-- Alerts
-----------------------------------------------------------------------------

CREATE VIEW dataeng.alerts_open WITH (security_invoker = true) AS
  SELECT a.alert_id, a.raised_at, a.kind,
         coalesce(a.object, t.name, a.dropped_table) AS object, a.severity,
         coalesce(a.message, format('rule %s of %s failed on %s (%s%%)', a.rule_name,
                                    coalesce(t.name, a.dropped_table),
                                    dataeng_internal._text_rows(a.failed), a.failed_pct)) AS message,
         a.payload, coalesce(a.last_seen_at, a.raised_at) AS last_seen_at, a.seen_count
    FROM dataeng.alerts a
    -- the rule's table, schema-qualified (as _agg_rel_name() spells it,
    -- joined: a function call per alert cost 42 us)
    LEFT JOIN LATERAL (
      SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.'
             OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname) AS name
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
       WHERE c.oid OPERATOR(pg_catalog.=) a.table_name) t ON true
   WHERE a.resolved_at IS NULL;
COMMENT ON VIEW dataeng.alerts_open IS 'Alerts not resolved yet, of the objects the calling role may see';
COMMENT ON COLUMN dataeng.alerts_open.alert_id IS 'Identifier of the alert';
COMMENT ON COLUMN dataeng.alerts_open.raised_at IS 'When the alert was raised';
COMMENT ON COLUMN dataeng.alerts_open.kind IS 'What raised the alert';
COMMENT ON COLUMN dataeng.alerts_open.object IS 'The object the alert is about';
COMMENT ON COLUMN dataeng.alerts_open.severity IS 'error or warning';
COMMENT ON COLUMN dataeng.alerts_open.message IS 'What is wrong';
COMMENT ON COLUMN dataeng.alerts_open.payload IS 'Details, as jsonb';
COMMENT ON COLUMN dataeng.alerts_open.last_seen_at IS 'When the condition was last found while open';
COMMENT ON COLUMN dataeng.alerts_open.seen_count IS 'How many times the condition was found while open';
GRANT SELECT ON dataeng.alerts_open TO PUBLIC;

-- Whether a role may see an alert (the policy of dataeng.alerts).
CREATE FUNCTION dataeng_internal._alert_visible(a dataeng.alerts, role regrole)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN a.table_name IS NOT NULL THEN dataeng.rows_readable(a.table_name, role::name)
              ELSE coalesce(pg_has_role(role, a.owner, 'USAGE'), false)
                   AND dataeng_internal._owner_trusted(a.owner, a.owner_name, a.owner_system) END
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_visible(dataeng.alerts, regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_visible(dataeng.alerts, regrole) IS 'internal: whether a role may see an alert';

-- One handler's call with an alert's raise or resolve (doc: what it gets),
-- from _alert_send, or put off by it and made by alert_check()
-- (_alert_pending_send).  A handler is its function's oid in the catalog
-- where it was recorded (its name only in another one, after pg_upgrade or
-- a restore: _handlers_follow): a handler whose function was dropped is
-- removed (never a function of the same name made later), and one whose
-- function now belongs to a role its owner is not a member of is skipped,
-- the reason recorded.  It is called as its
-- function's owner (never the recorded owner's oid: see below),
-- restricted, only with an alert that owner may see.  The call is its own
-- subtransaction with a timeout; whatever it raises below FATAL, a cancel
-- or its timeout included, is recorded on the handler and never raised
-- into what sent the alert.
--
-- The call runs in the session that sent the alert: one of any role whose
-- monitor or table the alert is about (its monitor_check(), its DROP
-- TABLE).  That role's temporary objects there would be found by the
-- handler in place of its owner's own whenever the handler's search_path
-- leaves pg_temp out (SET search_path = its_schema: PostgreSQL then
-- searches pg_temp first): a temporary table of that name got the rows
-- the handler wrote, or gave it the rows it read, as the handler's owner.
-- So in a session holding temporary objects of a role without the
-- privileges of the handler's owner (not a superuser's, not a member's:
-- those may act as it anyway) the call is put off: kept in
-- dataeng_internal.alert_handler_pending, made by the next alert_check()
-- in a session without them (the maintenance worker's, maintain()).
CREATE FUNCTION dataeng_internal._alert_handler_send(h dataeng_internal.alert_handlers, a dataeng.alerts, event text,
                                                     doc jsonb, timeout_ms int)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  fn record;
BEGIN
  IF h.kinds IS NOT NULL AND a.kind OPERATOR(pg_catalog.<>) ALL (h.kinds) THEN
    RETURN;
  END IF;
  -- (a handler recorded in another catalog whose name no function has
  -- here: its oid is nothing, or another function)
  IF h.handler_catalog OPERATOR(pg_catalog.<>) dataeng_internal._catalog_id() THEN
    RETURN;
  END IF;
  -- The handler's row is written below (its calls, its failures): a row
  -- another transaction holds (its owner's alert_handler_add() or
  -- alert_handler_drop() of it, left open) made this wait as long as that
  -- transaction lasted, and with it alert_check(), maintain(), the
  -- maintenance worker and whatever else sent the alert.  Such a handler
  -- is not called for this alert.
  PERFORM FROM dataeng_internal.alert_handlers x WHERE x.handler OPERATOR(pg_catalog.=) h.handler AND x.handler_catalog OPERATOR(pg_catalog.=) h.handler_catalog
    FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RAISE LOG 'alert handler % is not called for alert % (%): another transaction holds its row of dataeng.alert_handlers',
      h.handler::oid, a.alert_id, event;
    RETURN;
  END IF;
  -- a handler restored in another cluster whose owner oid there names a
  -- role of another name (or of no recorded name) is not that role's
  IF NOT dataeng_internal._owner_trusted(h.owner, h.owner_name, h.owner_system) THEN
    UPDATE dataeng_internal.alert_handlers x
       SET failures = x.failures OPERATOR(pg_catalog.+) 1,
           last_error = format('alert %s (%s): skipped: its owner oid %s is not the role %s that added it (restored from another cluster?)',
                               a.alert_id, event, h.owner::oid, coalesce(quote_ident(h.owner_name), 'of unknown name')),
           last_error_at = clock_timestamp()
     WHERE x.handler OPERATOR(pg_catalog.=) h.handler AND x.handler_catalog OPERATOR(pg_catalog.=) h.handler_catalog;
    RETURN;
  END IF;
  IF NOT dataeng_internal._alert_visible(a, h.owner) THEN
    RETURN;
  END IF;
  SELECT p.proname, p.proowner, n.nspname,
         p.prokind OPERATOR(pg_catalog.=) 'f' AND p.pronargs OPERATOR(pg_catalog.=) 1
           AND p.proargtypes[0] OPERATOR(pg_catalog.=) 'pg_catalog.jsonb'::pg_catalog.regtype
           AND NOT p.proretset AS takes_jsonb
    INTO fn
    FROM pg_proc p JOIN pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
   WHERE p.oid OPERATOR(pg_catalog.=) h.handler::oid;
  IF NOT FOUND THEN
    DELETE FROM dataeng_internal.alert_handlers x WHERE x.handler OPERATOR(pg_catalog.=) h.handler AND x.handler_catalog OPERATOR(pg_catalog.=) h.handler_catalog;
    RETURN;
  END IF;
  IF NOT fn.takes_jsonb THEN
    -- (a restored handler whose oid is another function's here: its
    -- name with a jsonb argument would resolve to yet another function)
    UPDATE dataeng_internal.alert_handlers x
       SET failures = x.failures OPERATOR(pg_catalog.+) 1,
           last_error = format('alert %s (%s): skipped: function %s is not a function of one jsonb argument',
                               a.alert_id, event, h.handler::oid::regprocedure),
           last_error_at = clock_timestamp()
     WHERE x.handler OPERATOR(pg_catalog.=) h.handler AND x.handler_catalog OPERATOR(pg_catalog.=) h.handler_catalog;
    RETURN;
  END IF;
  IF NOT coalesce(pg_has_role(h.owner, fn.proowner, 'USAGE'), false) THEN
    UPDATE dataeng_internal.alert_handlers x
       SET failures = x.failures OPERATOR(pg_catalog.+) 1,
           last_error = format('alert %s (%s): skipped: function %s now belongs to %s, not to %s',
                               a.alert_id, event, h.handler::oid::regprocedure, fn.proowner::regrole, h.owner),
           last_error_at = clock_timestamp()
     WHERE x.handler OPERATOR(pg_catalog.=) h.handler AND x.handler_catalog OPERATOR(pg_catalog.=) h.handler_catalog;
    RETURN;
  END IF;
  -- as the function's owner (with the alerts it may see too), which
  -- PostgreSQL keeps (a restore maps it by name): h.owner is an oid a dump
  -- writes as a bare number once its role is dropped, which a restore
  -- gives to whichever role has it there
  IF NOT dataeng_internal._alert_visible(a, fn.proowner::regrole) THEN
    RETURN;
  END IF;
  -- (not among another role's temporary objects: see above)
  IF dataeng_internal._temp_foreign_owner(fn.proowner::regrole) IS NOT NULL THEN
    INSERT INTO dataeng_internal.alert_handler_pending (handler, handler_catalog, alert_id, event, doc)
    VALUES (h.handler, h.handler_catalog, a.alert_id, event, doc);
    RETURN;
  END IF;
  BEGIN
    -- (called by its oid: by its name, schema.name(jsonb), a function
    -- name(jsonb, int DEFAULT 0) another role created in the schema made
    -- every call fail as ambiguous)
    PERFORM dataeng_internal._alert_handler_call(fn.proowner::regrole,
      format('SELECT pg_catalog.to_jsonb(true) FROM (SELECT dataeng_internal._alert_handler_invoke(%s::pg_catalog.oid, %L::pg_catalog.jsonb)) h',
             h.handler::oid, doc), timeout_ms);
    UPDATE dataeng_internal.alert_handlers x SET calls = x.calls OPERATOR(pg_catalog.+) 1
     WHERE x.handler OPERATOR(pg_catalog.=) h.handler AND x.handler_catalog OPERATOR(pg_catalog.=) h.handler_catalog;
  EXCEPTION WHEN OTHERS OR query_canceled OR assert_failure THEN
    -- (a name the handler left unqualified, looked up in the pinned
    -- search_path, is found nowhere: the error says so, or a handler
    -- written as INSERT INTO my_table ... failed at every alert with a
    -- bare "relation does not exist" and looked as if it was not called)
    UPDATE dataeng_internal.alert_handlers x
       SET calls = x.calls OPERATOR(pg_catalog.+) 1, failures = x.failures OPERATOR(pg_catalog.+) 1,
           last_error = format('alert %s (%s): %s', a.alert_id, event, SQLERRM)
                        OPERATOR(pg_catalog.||)
                        CASE WHEN SQLSTATE OPERATOR(pg_catalog.=) ANY (ARRAY['42P01', '42883', '42704', '3F000'])
                             THEN ' (an alert handler runs with search_path = pg_catalog, pg_temp: schema-qualify the names it uses, or give the function SET search_path)'
                             ELSE '' END,
           last_error_at = clock_timestamp()
     WHERE x.handler OPERATOR(pg_catalog.=) h.handler AND x.handler_catalog OPERATOR(pg_catalog.=) h.handler_catalog;
  END;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_handler_send(dataeng_internal.alert_handlers, dataeng.alerts, text, jsonb, int) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_handler_send(dataeng_internal.alert_handlers, dataeng.alerts, text, jsonb, int) IS
  'internal: call one alert handler with an alert''s raise or resolve, or put the call off to alert_check()';

-- The handler's timeout, in milliseconds (setting handler_timeout)
CREATE FUNCTION dataeng_internal._alert_handler_timeout()
RETURNS int
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT (extract(epoch FROM dataeng_internal._ops_setting('*', 'handler_timeout')::interval) * 1000)::int
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_handler_timeout() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_handler_timeout() IS 'internal: an alert handler call''s timeout in milliseconds';

-- Send an alert's raise or resolve: NOTIFY dataeng_alerts with a JSON
-- object naming the event, the alert's id, kind and severity (what it is
-- about is read from dataeng.alerts, which shows each role only its
-- objects' alerts), then each handler (_alert_handler_send).
CREATE FUNCTION dataeng_internal._alert_send(a dataeng.alerts, event text, notify boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  h dataeng_internal.alert_handlers;
  doc jsonb;
  timeout_ms int;
  cat text := dataeng_internal._catalog_id();
BEGIN
  IF notify THEN
    PERFORM pg_notify('dataeng_alerts',
                      jsonb_build_object('event', event, 'alert_id', a.alert_id, 'kind', a.kind,
                                         'severity', a.severity)::text);
  END IF;
  -- (a rule's alert keeps neither object nor message: its table and
  -- figures say them, as in dataeng.alerts_open; a handler got NULLs)
  doc := jsonb_build_object('event', event, 'alert_id', a.alert_id, 'kind', a.kind,
                            'object', coalesce(a.object, dataeng_internal._agg_rel_name(a.table_name), a.dropped_table),
                            'severity', a.severity,
                            'message', coalesce(a.message,
                                                format('rule %s of %s failed on %s (%s%%)', a.rule_name,
                                                       coalesce(dataeng_internal._agg_rel_name(a.table_name), a.dropped_table),
                                                       dataeng_internal._text_rows(a.failed), a.failed_pct)),
                            'raised_at', a.raised_at,
                            'resolved_at', a.resolved_at, 'payload', a.payload);
  -- handlers recorded in another catalog (pg_upgrade, a restore) take
  -- their function's oid here, by name; renamed ones their new name
  PERFORM dataeng_internal._handlers_follow();
  -- handlers whose function is gone: dropped, or of a name no function
  -- has in this catalog (not one whose row another transaction holds: see
  -- _alert_handler_send)
  DELETE FROM dataeng_internal.alert_handlers x
   WHERE x.ctid OPERATOR(pg_catalog.=) ANY (ARRAY(
           SELECT y.ctid FROM dataeng_internal.alert_handlers y
            WHERE y.handler_catalog OPERATOR(pg_catalog.<>) cat
               OR NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) y.handler)
              FOR UPDATE OF y SKIP LOCKED));
  timeout_ms := dataeng_internal._alert_handler_timeout();
  FOR h IN SELECT * FROM dataeng_internal.alert_handlers x WHERE x.handler_catalog OPERATOR(pg_catalog.=) cat
            ORDER BY x.handler LOOP
    PERFORM dataeng_internal._alert_handler_send(h, a, event, doc, timeout_ms);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_send(dataeng.alerts, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_send(dataeng.alerts, text, boolean) IS 'internal: notify and call handlers on an alert''s raise or resolve';

-- The handler calls put off (_alert_handler_send), oldest first, each
-- with the alert as it is now (gone: not made) and what it was to get
-- then; put off again while this session holds another role's temporary
-- objects.  Returns how many were taken.
CREATE FUNCTION dataeng_internal._alert_pending_send()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  p dataeng_internal.alert_handler_pending;
  h dataeng_internal.alert_handlers;
  a dataeng.alerts;
  timeout_ms int := dataeng_internal._alert_handler_timeout();
  n bigint := 0;
BEGIN
  -- (pending calls of handlers recorded in another catalog follow them)
  PERFORM dataeng_internal._handlers_follow();
  FOR p IN SELECT * FROM dataeng_internal.alert_handler_pending x ORDER BY x.id FOR UPDATE SKIP LOCKED LOOP
    DELETE FROM dataeng_internal.alert_handler_pending x WHERE x.id OPERATOR(pg_catalog.=) p.id;
    n := n OPERATOR(pg_catalog.+) 1;
    SELECT * INTO h FROM dataeng_internal.alert_handlers x
     WHERE x.handler OPERATOR(pg_catalog.=) p.handler AND x.handler_catalog OPERATOR(pg_catalog.=) p.handler_catalog;
    CONTINUE WHEN NOT FOUND;
    SELECT * INTO a FROM dataeng.alerts x WHERE x.alert_id OPERATOR(pg_catalog.=) p.alert_id;
    CONTINUE WHEN NOT FOUND;
    PERFORM dataeng_internal._alert_handler_send(h, a, p.event, p.doc, timeout_ms);
  END LOOP;
  RETURN n;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_pending_send() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_pending_send() IS
  'internal: make the alert handler calls put off by sessions holding another role''s temporary objects';

-- Run an alert handler's query as its owner (dataeng_internal._exec_as: restricted,
-- search_path pinned) under a timeout of timeout_ms (0: none); on the
-- timeout it raises query_canceled (src/ops/handler.c).
CREATE FUNCTION dataeng_internal._alert_handler_call(role regrole, query text, timeout_ms int)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_alert_handler_call'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng_internal._alert_handler_call(regrole, text, int) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_handler_call(regrole, text, int) IS
  'internal: run an alert handler as its owner, with a timeout';

-- Call an alert handler by its oid with an alert (src/ops/handler.c), as
-- the current user, who must be allowed to execute it: the query
-- _alert_handler_call runs as the handler's owner.
CREATE FUNCTION dataeng_internal._alert_handler_invoke(fn oid, doc jsonb)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_alert_handler_invoke'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng_internal._alert_handler_invoke(oid, jsonb) IS
  'internal: call an alert handler by its oid, as the current user, who must be allowed to execute it';

-- Raise the alert of a condition; true when raised.  While its alert is
-- open, the condition found again updates that alert to what holds now
-- (message, payload), counts it and stamps last_seen_at, and sends
-- nothing: an alert is sent once when raised and once when resolved (its
-- message once stayed the first one's, with the figures of then).
CREATE FUNCTION dataeng_internal._alert_raise(cond text, alert_kind text, obj text, sev text, msg text,
                                     doc jsonb, obj_owner regrole, tbl regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a dataeng.alerts;
BEGIN
  -- an open alert of the condition raised for another owner or table (an
  -- object of that name dropped since, whose alert the next alert_check()
  -- would resolve) ends here, and a new one is raised: taken over, it
  -- showed that owner what holds for the new object (its figures, its
  -- errors), and the new owner got no alert
  IF EXISTS (SELECT 1 FROM dataeng.alerts o
              WHERE o.condition OPERATOR(pg_catalog.=) cond AND o.resolved_at IS NULL
                AND (o.owner IS DISTINCT FROM obj_owner OR o.table_name IS DISTINCT FROM tbl)) THEN
    PERFORM dataeng_internal._alert_resolve(cond);
  END IF;
  INSERT INTO dataeng.alerts AS x (kind, object, severity, message, payload, owner, table_name, condition, owner_name,
                                    last_seen_at)
  VALUES (alert_kind, obj, sev, msg, coalesce(doc, '{}'), obj_owner, tbl, cond,
          (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) obj_owner::oid),
          pg_catalog.now())
  ON CONFLICT (condition) WHERE resolved_at IS NULL AND condition IS NOT NULL
  DO UPDATE SET object = excluded.object, message = excluded.message, payload = excluded.payload,
                last_seen_at = excluded.last_seen_at, seen_count = x.seen_count OPERATOR(pg_catalog.+) 1
  RETURNING x.* INTO a;
  IF a.seen_count OPERATOR(pg_catalog.>) 1 THEN
    RETURN false;
  END IF;
  PERFORM dataeng_internal._alert_send(a, 'raised');
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_raise(text, text, text, text, text, jsonb, regrole, regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_raise(text, text, text, text, text, jsonb, regrole, regclass) IS
  'internal: raise a condition''s alert once, or update its open alert to what holds now';

-- Resolve the open alert of a condition; true when there was one.
CREATE FUNCTION dataeng_internal._alert_resolve(condition text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a dataeng.alerts;
BEGIN
  UPDATE dataeng.alerts x SET resolved_at = clock_timestamp()
   WHERE x.condition OPERATOR(pg_catalog.=) _alert_resolve.condition AND x.resolved_at IS NULL
  RETURNING x.* INTO a;
  IF a.alert_id IS NULL THEN
    RETURN false;
  END IF;
  PERFORM dataeng_internal._alert_send(a, 'resolved');
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_resolve(text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_resolve(text) IS 'internal: resolve a condition''s open alert';

-- alert_check() takes one rule's alerts at a time with this lock, until
-- commit: a lock no SQL advisory lock can take (a role holding
-- pg_advisory_lock() of the same keys kept another role's rule alerts from
-- its handlers)
CREATE FUNCTION dataeng_internal._alert_rule_try_lock(key1 int, key2 int)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_alert_rule_try_lock'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION dataeng_internal._alert_rule_try_lock(int, int) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_rule_try_lock(int, int) IS
  'internal: try to lock a rule''s alerts until commit (a lock no SQL advisory lock can take)';

-- Raise the alerts of every condition that holds now, resolve those that
-- no longer hold (also of objects that are gone), and resolve a rule's
-- alerts once a later validation run passed it.  Reads the status of
-- every object: a superuser's function (maintain() calls it).
CREATE FUNCTION dataeng.alert_check(OUT raised int, OUT resolved int)
RETURNS record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s record;
  cond text;
  holding text[] := '{}';
  r record;
  ra dataeng.alerts;
  measured text[];
  mine text[];
BEGIN
  raised := 0;
  resolved := 0;
  IF NOT dataeng_internal._is_superuser(current_user::regrole) THEN
    RAISE EXCEPTION 'only a superuser may run dataeng.alert_check()'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('Role %s is not a superuser; alert_check() measures and alerts on every role''s objects.',
                            quote_ident(current_user)),
            HINT = 'dataeng.maintain(), which the maintenance worker runs by itself, runs it; read dataeng.pipeline_status for the state of your objects.';
  END IF;
  -- the handler calls put off by the sessions that sent their alerts
  -- (they held another role's temporary objects), before any sent now
  PERFORM dataeng_internal._alert_pending_send();
  -- the consumers' lag, measured now (pipeline_status reads it from here).
  -- Written over in place, in the order of the names, and the consumers
  -- gone deleted after.  (A DELETE of every row then INSERT made the
  -- second of two checks at once fail with a unique violation: its DELETE
  -- did not see the rows the first had inserted.)  A row another
  -- transaction holds is left as it is until the next check, never waited
  -- for: one that another check is writing (a row it inserts is waited
  -- for), or that of a consumer whose drop has not committed yet (a role
  -- that dropped one in a transaction it keeps open held the check, and
  -- with it maintain(), whose purge had emptied a segment of the change
  -- log: every role's writes of captured tables and polls waited for that
  -- segment until the transaction ended).
  SELECT coalesce(array_agg(x.name), '{}') INTO mine
    FROM (SELECT l.name FROM dataeng_internal.consumer_lag l
           ORDER BY l.name FOR UPDATE SKIP LOCKED) x;
  WITH written AS (
    INSERT INTO dataeng_internal.consumer_lag AS l (name, owner, tables, acked_at, created_at, expired_at, expired_reason,
                                                    pending_changes, lag_seconds, measured_at,
                                                    dropped_tables, dropped_unread)
    -- (the tables it lists, dropped ones too: cdc_consumers.tables has
    -- only those that exist, and a consumer reading a dropped table said ok)
    SELECT c.name, c.owner, cs.tables, c.acked_at, c.created_at, c.expired_at, c.expired_reason,
           c.pending_changes, c.lag_seconds, clock_timestamp(),
           c.dropped_tables,
           -- (those whose changes its polls cannot read: they fail, _cdc_consumer())
           ARRAY(SELECT coalesce((SELECT dr.table_ident FROM dataeng_internal.cdc_dropped_readers dr
                                   WHERE dr.table_oid OPERATOR(pg_catalog.=) u.t::oid ORDER BY dr.reader LIMIT 1),
                                 'OID ' OPERATOR(pg_catalog.||) u.t::oid)
                   FROM unnest(cs.tables) WITH ORDINALITY u(t, i)
                  WHERE NOT EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid OPERATOR(pg_catalog.=) u.t::oid)
                    AND NOT dataeng_internal._cdc_can_read(c.owner, u.t::oid)
                  ORDER BY u.i)
      FROM dataeng.cdc_consumers c
      JOIN dataeng_internal.cdc_consumer_state cs ON cs.name OPERATOR(pg_catalog.=) c.name
     WHERE c.name OPERATOR(pg_catalog.=) ANY (mine)
        OR NOT EXISTS (SELECT 1 FROM dataeng_internal.consumer_lag x
                        WHERE x.name OPERATOR(pg_catalog.=) c.name)
     ORDER BY c.name
    ON CONFLICT (name) DO UPDATE
       SET owner = EXCLUDED.owner, tables = EXCLUDED.tables, acked_at = EXCLUDED.acked_at,
           created_at = EXCLUDED.created_at, expired_at = EXCLUDED.expired_at,
           expired_reason = EXCLUDED.expired_reason, pending_changes = EXCLUDED.pending_changes,
           lag_seconds = EXCLUDED.lag_seconds, measured_at = EXCLUDED.measured_at,
           dropped_tables = EXCLUDED.dropped_tables, dropped_unread = EXCLUDED.dropped_unread
    RETURNING l.name)
  SELECT coalesce(array_agg(w.name), '{}') INTO measured FROM written w;
  DELETE FROM dataeng_internal.consumer_lag l
   WHERE l.name OPERATOR(pg_catalog.=) ANY (ARRAY(
           SELECT x.name FROM dataeng_internal.consumer_lag x
            WHERE x.name OPERATOR(pg_catalog.<>) ALL (measured)
            ORDER BY x.name FOR UPDATE SKIP LOCKED));
  FOR s IN SELECT * FROM dataeng_internal._status_rows() x WHERE x.alert_kind IS NOT NULL AND x.kind <> 'monitor' LOOP
    CONTINUE WHEN NOT dataeng_internal._ops_setting(s.kind || ':' || s.name, 'alerts', s.owner)::boolean;
    -- (a captured table's condition by its oid: by its name, a rename
    -- resolved its open alert, sending "resolved" while capture was still
    -- stopped, and raised a new one; the alert takes the new name)
    cond := s.kind || ':' || CASE WHEN s.kind OPERATOR(pg_catalog.=) 'captured table' AND s.table_name IS NOT NULL
                                  THEN 'oid ' || s.table_name::oid::text ELSE s.name END
            || ':' || s.alert_kind;
    holding := holding || cond;
    IF dataeng_internal._alert_raise(cond, s.alert_kind, s.name, s.severity,
                            format('%s %s: %s', s.kind, s.name, s.reason),
                            jsonb_build_object('kind', s.kind, 'name', s.name, 'state', s.state,
                                               'lag_changes', s.lag_changes, 'lag_seconds', s.lag_seconds,
                                               'last_success', s.last_success, 'last_error', s.last_error)
                            -- (a stopped capture: since when)
                            OPERATOR(pg_catalog.||) CASE WHEN s.alert_kind OPERATOR(pg_catalog.=) 'capture_stopped'
                                                         THEN jsonb_build_object('stopped_at', s.since)
                                                         ELSE '{}'::jsonb END,
                            s.owner, s.table_name) THEN
      raised := raised + 1;
    END IF;
  END LOOP;
  -- a rule's alerts raised by validate() since the last check (their NOTIFY
  -- went out with the run): the first open one of a rule goes to the
  -- handlers; a later one while it is open is a repeat, closed at once,
  -- whose run and figures the open one takes (counted, last_seen_at)
  FOR r IN SELECT a.* FROM dataeng.alerts a
            WHERE a.resolved_at IS NULL AND a.condition IS NULL AND a.rule_name IS NOT NULL
            ORDER BY a.alert_id FOR UPDATE OF a SKIP LOCKED LOOP
    -- one check at a time per rule: another check may have opened an alert
    -- of the rule, not committed yet, which this one would not see and open
    -- (and send) a second; one that holds the rule leaves its alert to the
    -- next check, as it leaves the rows it locked (no wait, no deadlock)
    IF NOT dataeng_internal._alert_rule_try_lock(pg_catalog.hashtext('dataeng.alert_check rule'),
             pg_catalog.hashtext(coalesce(r.table_name::oid::text, r.dropped_table) || ':' || r.rule_name)) THEN
      CONTINUE;
    END IF;
    IF EXISTS (SELECT 1 FROM dataeng.alerts o
                WHERE o.resolved_at IS NULL AND o.condition IS NOT NULL
                  AND o.table_name OPERATOR(pg_catalog.=) r.table_name
                  AND o.rule_name OPERATOR(pg_catalog.=) r.rule_name) THEN
      UPDATE dataeng.alerts x SET resolved_at = x.raised_at, condition = 'rule:' || x.alert_id
       WHERE x.alert_id OPERATOR(pg_catalog.=) r.alert_id;
      UPDATE dataeng.alerts o
         SET run_id = r.run_id, failed = r.failed, failed_pct = r.failed_pct, message = r.message,
             payload = r.payload, severity = r.severity, last_seen_at = r.raised_at,
             seen_count = o.seen_count OPERATOR(pg_catalog.+) 1
       WHERE o.resolved_at IS NULL AND o.condition IS NOT NULL
         AND o.table_name OPERATOR(pg_catalog.=) r.table_name
         AND o.rule_name OPERATOR(pg_catalog.=) r.rule_name
         AND o.run_id OPERATOR(pg_catalog.<) r.run_id;
    ELSE
      UPDATE dataeng.alerts x SET condition = 'rule:' || x.alert_id
       WHERE x.alert_id OPERATOR(pg_catalog.=) r.alert_id RETURNING x.* INTO ra;
      PERFORM dataeng_internal._alert_send(ra, 'raised', false);
      raised := raised + 1;
    END IF;
  END LOOP;
  -- conditions that ended (monitors resolve their own, when checked, or here once dropped)
  FOR r IN SELECT a.condition FROM dataeng.alerts a
            WHERE a.resolved_at IS NULL AND a.condition IS NOT NULL
              AND a.condition OPERATOR(pg_catalog.<>) ALL (holding) AND a.condition NOT LIKE 'rule:%'
              AND (a.condition NOT LIKE 'monitor:%'
                   OR NOT EXISTS (SELECT 1 FROM dataeng.monitors m
                                   WHERE m.name OPERATOR(pg_catalog.=) a.object)) LOOP
    IF dataeng_internal._alert_resolve(r.condition) THEN
      resolved := resolved + 1;
    END IF;
  END LOOP;
  -- a rule's alerts: resolved when a later run passed the rule, or the rule is gone
  FOR r IN SELECT a.* FROM dataeng.alerts a
            WHERE a.resolved_at IS NULL AND a.rule_name IS NOT NULL
              AND (NOT EXISTS (SELECT 1 FROM dataeng.rules ru
                                WHERE ru.table_name OPERATOR(pg_catalog.=) a.table_name
                                  AND ru.rule_name OPERATOR(pg_catalog.=) a.rule_name)
                   OR EXISTS (SELECT 1 FROM dataeng.validation_results x
                               WHERE x.table_name OPERATOR(pg_catalog.=) a.table_name
                                 AND x.rule_name OPERATOR(pg_catalog.=) a.rule_name
                                 AND x.run_id OPERATOR(pg_catalog.>) a.run_id AND x.passed))
            FOR UPDATE OF a SKIP LOCKED LOOP
    UPDATE dataeng.alerts x SET resolved_at = clock_timestamp()
     WHERE x.alert_id OPERATOR(pg_catalog.=) r.alert_id RETURNING x.* INTO ra;
    PERFORM dataeng_internal._alert_send(ra, 'resolved');
    resolved := resolved + 1;
  END LOOP;
END;
$$;
-- (PUBLIC may call it to be told why not, as maintain())
GRANT EXECUTE ON FUNCTION dataeng.alert_check() TO PUBLIC;
COMMENT ON FUNCTION dataeng.alert_check() IS
  'Raises the alert of each condition that started and resolves those that ended (superuser; dataeng.maintain() runs it)';

-- Run by the WAL capture worker of this database (src/cdc/wal_worker.c)
-- when an error ends it, and after its first round that committed
-- following failures: the alert wal_capture_failing of the capture slot is
-- raised (or brought up to date) while the slot's row of pipeline_status
-- calls for it, and resolved when it does not, as dataeng.alert_check()
-- would at its next run: a worker failing in a row is alerted on at once.
CREATE FUNCTION dataeng_internal._cdc_wal_alert()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s record;
  slot text := dataeng_internal._cdc_wal_slot()::text;
BEGIN
  SELECT * INTO s FROM dataeng_internal._status_rows() x
   WHERE x.kind OPERATOR(pg_catalog.=) 'slot' AND x.name OPERATOR(pg_catalog.=) slot
     AND x.alert_kind OPERATOR(pg_catalog.=) 'wal_capture_failing';
  IF FOUND AND dataeng_internal._ops_setting(s.kind || ':' || s.name, 'alerts', s.owner)::boolean THEN
    PERFORM dataeng_internal._alert_raise(s.kind || ':' || s.name || ':' || s.alert_kind, s.alert_kind, s.name,
                                          s.severity, format('%s %s: %s', s.kind, s.name, s.reason),
                                          jsonb_build_object('kind', s.kind, 'name', s.name, 'state', s.state,
                                                             'lag_changes', s.lag_changes, 'lag_seconds', s.lag_seconds,
                                                             'last_success', s.last_success, 'last_error', s.last_error),
                                          s.owner, s.table_name);
  ELSE
    PERFORM dataeng_internal._alert_resolve('slot:' || slot || ':wal_capture_failing');
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_alert() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_alert() IS
  'internal: raise or resolve the alert wal_capture_failing of this database at once (the WAL capture worker)';

CREATE FUNCTION dataeng_internal._alert_handler_add(caller regrole, fn regprocedure, kinds text[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  p pg_proc;
  -- the kinds of alerts there are (docs/ops.md, Alerts): a kind not among
  -- them was accepted, and the handler was never called for it
  known text[] := ARRAY['job_failed', 'job_timed_out', 'consumer_lag', 'consumer_expired', 'consumer_failing', 'fact_lag',
                        'dimension_lag', 'source_dropped', 'monitor_silence', 'monitor_volume',
                        'on_change_failed', 'on_change_stuck', 'capture_stopped', 'wal_capture_failing', 'slot_lag',
                        -- a rule's alert has its kind
                        'not_null', 'unique', 'accepted_values', 'range', 'regex', 'length', 'validator',
                        'expression', 'foreign_key', 'row_count', 'freshness', 'volume_change'];
  bad text;
BEGIN
  IF fn IS NULL THEN
    RAISE EXCEPTION 'handler must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF kinds IS NOT NULL AND cardinality(kinds) OPERATOR(pg_catalog.=) 0 THEN
    RAISE EXCEPTION 'kinds must list at least one alert kind'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'An empty list names no alert: the handler would never be called.',
            HINT = 'Pass NULL (the default) for every kind of alert.';
  END IF;
  SELECT k INTO bad FROM unnest(kinds) k
   WHERE k IS NULL OR k OPERATOR(pg_catalog.<>) ALL (known) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION '%', CASE WHEN bad IS NULL THEN 'kinds must not contain NULL' ELSE format('unknown alert kind "%s"', bad) END
      USING ERRCODE = CASE WHEN bad IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END,
            DETAIL = CASE WHEN bad IS NULL THEN 'A NULL names no alert kind.' ELSE 'The handler would never be called for it.' END,
            HINT = CASE WHEN bad IS NULL THEN 'List alert kinds by name, or pass NULL (the default) for every kind of alert.' ELSE 'Use one of: ' || array_to_string(known, ', ') || ' (a rule''s alert has the rule''s kind).' END;
  END IF;
  SELECT * INTO p FROM pg_proc WHERE oid OPERATOR(pg_catalog.=) fn::oid;
  -- (an oid of no function, '12345' or '-' read as a regprocedure without
  -- a lookup: its NULL owner failed the insert below, 23502)
  IF NOT FOUND THEN
    RAISE EXCEPTION 'alert handler % does not exist', fn
      USING ERRCODE = 'undefined_function',
            DETAIL = format('No function has oid %s.', fn::oid),
            HINT = 'Name the handler with its argument types, as in SELECT dataeng.alert_handler_add(''my_pager(jsonb)''): it must be a function f(jsonb) of yours.';
  END IF;
  IF p.pronargs OPERATOR(pg_catalog.<>) 1 OR p.proargtypes[0] OPERATOR(pg_catalog.<>) 'jsonb'::regtype
     OR p.prokind OPERATOR(pg_catalog.<>) 'f' OR p.proretset THEN
    RAISE EXCEPTION 'alert handler % must be a function of one jsonb argument', fn
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s is %s.', fn,
                            CASE WHEN p.prokind OPERATOR(pg_catalog.<>) 'f'
                                 THEN CASE p.prokind WHEN 'p' THEN 'a procedure' WHEN 'a' THEN 'an aggregate'
                                                     ELSE 'a window function' END
                                 WHEN p.proretset AND p.pronargs OPERATOR(pg_catalog.=) 1
                                      AND p.proargtypes[0] OPERATOR(pg_catalog.=) 'jsonb'::regtype
                                 THEN 'a set-returning function'
                                 ELSE format('a function of %s', CASE WHEN p.pronargs OPERATOR(pg_catalog.=) 0 THEN 'no argument'
                                                                      ELSE pg_catalog.oidvectortypes(p.proargtypes) END) END),
            HINT = 'A handler is called with each alert as one jsonb document: CREATE FUNCTION my_pager(alert jsonb) RETURNS void ..., then SELECT dataeng.alert_handler_add(''my_pager(jsonb)'').';
  END IF;
  IF NOT pg_has_role(caller, p.proowner, 'USAGE') THEN
    RAISE EXCEPTION 'must own function % to make it an alert handler', fn
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('Function %s belongs to role %s, of which %s is not a member.', fn, p.proowner::regrole, caller),
            HINT = 'A handler is called as its owner, with the alerts its owner may see.';
  END IF;
  -- (a handler recorded in another catalog is this function's row once
  -- followed by name, not a second one)
  PERFORM dataeng_internal._handlers_follow();
  -- each handler costs the alert's sender up to its timeout: a role gets a share
  IF (SELECT count(*) FROM dataeng_internal.alert_handlers x
       WHERE x.owner::oid OPERATOR(pg_catalog.=) p.proowner
         AND (x.handler, x.handler_catalog) IS DISTINCT FROM (fn::oid, dataeng_internal._catalog_id())
         AND dataeng_internal._owner_trusted(x.owner, x.owner_name, x.owner_system))
     >= current_setting('dataeng.max_alert_handlers_per_role')::int THEN
    RAISE EXCEPTION 'role % already has % alert handlers', p.proowner::regrole,
          current_setting('dataeng.max_alert_handlers_per_role')
      USING ERRCODE = 'configuration_limit_exceeded',
            DETAIL = 'Every handler is called, under dataeng''s handler timeout, by the transaction that raises or resolves an alert.',
            HINT = 'Drop one with dataeng.alert_handler_drop(), or ask a superuser to raise dataeng.max_alert_handlers_per_role.';
  END IF;
  INSERT INTO dataeng_internal.alert_handlers AS x (handler, owner, kinds, owner_name, owner_system,
                                                    handler_name, handler_catalog)
  VALUES (fn::oid, p.proowner::regrole, kinds,
          (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) p.proowner),
          (pg_catalog.pg_control_system()).system_identifier,
          dataeng_internal._proc_identity(fn::oid), dataeng_internal._catalog_id())
  ON CONFLICT (handler, handler_catalog) DO UPDATE SET kinds = excluded.kinds, owner = excluded.owner,
                                      owner_name = excluded.owner_name, owner_system = excluded.owner_system,
                                      handler_name = excluded.handler_name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_handler_add(regrole, regprocedure, text[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_handler_add(regrole, regprocedure, text[]) IS 'internal: body of dataeng.alert_handler_add()';

CREATE FUNCTION dataeng.alert_handler_add(handler regprocedure, kinds text[] DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_alert_handler_add'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.alert_handler_add(regprocedure, text[]) IS
  'Calls a function f(jsonb) of yours, as you, with each alert you may see when it is raised or resolved (kinds: only those)';

-- (a literal, of unknown type, resolves to this version: its signature is
-- read in C with errors that say the form expected)
CREATE FUNCTION dataeng.alert_handler_add(handler text, kinds text[] DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_alert_handler_add_text'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.alert_handler_add(text, text[]) IS
  'alert_handler_add() of a handler given by its signature as text, ''my_pager(jsonb)''';

CREATE FUNCTION dataeng_internal._alert_handler_drop(caller regrole, handler regprocedure)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cat text := dataeng_internal._catalog_id();
BEGIN
  -- (a handler recorded in another catalog is found by name)
  PERFORM dataeng_internal._handlers_follow();
  DELETE FROM dataeng_internal.alert_handlers x
   WHERE x.handler OPERATOR(pg_catalog.=) _alert_handler_drop.handler::oid
     AND x.handler_catalog OPERATOR(pg_catalog.=) cat
     AND ((pg_has_role(caller, x.owner, 'USAGE') AND dataeng_internal._owner_trusted(x.owner, x.owner_name, x.owner_system))
          OR dataeng_internal._is_superuser(caller));
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  -- (its calls put off go with it: the same function added again later
  -- gets none of the alerts of before)
  DELETE FROM dataeng_internal.alert_handler_pending x
   WHERE x.handler OPERATOR(pg_catalog.=) _alert_handler_drop.handler::oid
     AND x.handler_catalog OPERATOR(pg_catalog.=) cat;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._alert_handler_drop(regrole, regprocedure) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._alert_handler_drop(regrole, regprocedure) IS 'internal: body of dataeng.alert_handler_drop()';

CREATE FUNCTION dataeng.alert_handler_drop(handler regprocedure)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_alert_handler_drop'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.alert_handler_drop(regprocedure) IS 'Stops calling an alert handler; false when it was none';

-- (a literal resolves to this version, as for alert_handler_add(): its
-- signature is read in C with errors that say the form expected)
CREATE FUNCTION dataeng.alert_handler_drop(handler text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_alert_handler_drop_text'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.alert_handler_drop(text) IS
  'alert_handler_drop() of a handler given by its signature as text, ''my_pager(jsonb)''';

-----------------------------------------------------------------------------
-- Monitors
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng_internal._monitor_create(caller regrole, name text, tbl regclass, time_column text,
                                        max_silence interval, min_rows bigint, per interval,
                                        drop_pct numeric, schedule text, time_zone text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  typ regtype;
  old dataeng.monitors;
  bad text;
  times text;           -- the table's time columns, for the hint of a wrong one
  zone text := coalesce(time_zone, pg_catalog.current_setting('TimeZone'));
BEGIN
  -- each argument it needs named (one message named all five, and an
  -- empty name was 22004, a NULL's SQLSTATE)
  bad := CASE WHEN name IS NULL THEN 'name' WHEN tbl IS NULL THEN 'tbl' WHEN time_column IS NULL THEN 'time_column'
              WHEN per IS NULL THEN 'per' WHEN schedule IS NULL THEN 'schedule' END;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION '%', CASE WHEN name IS NULL THEN 'monitor name must not be NULL'
                              ELSE format('%s of monitor "%s" must not be NULL', bad, name) END
      USING ERRCODE = 'null_value_not_allowed',
            DETAIL = 'dataeng.monitor_create() needs name, tbl, time_column, per and schedule; a NULL given for per or schedule replaces its default.',
            HINT = 'Leave per and schedule out for their defaults (1 hour, 5 minutes); max_silence, min_rows and drop_pct may be NULL, a check not made.';
  END IF;
  IF name OPERATOR(pg_catalog.=) '' THEN
    RAISE EXCEPTION 'monitor name must not be empty'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A monitor is named by a non-empty text, unique in the database; its job is monitor:NAME.',
            HINT = 'Name the monitor, as in dataeng.monitor_create(''orders_fresh'', ...).';
  END IF;
  IF max_silence IS NULL AND min_rows IS NULL AND drop_pct IS NULL THEN
    RAISE EXCEPTION 'monitor "%" checks nothing', name
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Give max_silence, min_rows or drop_pct.';
  END IF;
  -- each threshold in its range, named with the value given (min_rows 0
  -- asked for fewer than 0 rows: a volume check that never fired)
  bad := CASE WHEN max_silence OPERATOR(pg_catalog.<=) interval '0' THEN format('max_silence is %s', max_silence)
              WHEN per OPERATOR(pg_catalog.<=) interval '0' THEN format('per is %s', per)
              WHEN min_rows OPERATOR(pg_catalog.<=) 0 THEN format('min_rows is %s', min_rows)
              WHEN drop_pct OPERATOR(pg_catalog.<=) 0 OR drop_pct OPERATOR(pg_catalog.>) 100
                THEN format('drop_pct is %s', drop_pct) END;
  -- a check looks 8 periods back and max_silence back from now: an
  -- interval that goes past the range of timestamptz failed every check
  IF bad IS NULL THEN
    BEGIN
      PERFORM pg_catalog.now() OPERATOR(pg_catalog.-) (per OPERATOR(pg_catalog.*) 8::float8),
              pg_catalog.now() OPERATOR(pg_catalog.-) max_silence;
    EXCEPTION WHEN datetime_field_overflow OR interval_field_overflow THEN
      bad := format('per %s or max_silence %s reaches back beyond the range of timestamptz', per, coalesce(max_silence::text, '-'));
    END;
  END IF;
  -- The time zone the values of a timestamp (without time zone) or date
  -- column are moments in: a check read them in the TimeZone of its
  -- session, so the monitor's job (the server's zone, or its owner's) and
  -- a check by hand in another zone disagreed by hours
  -- (read as SET TimeZone reads it: _zone_local)
  BEGIN
    PERFORM dataeng_internal._zone_local(zone, pg_catalog.now());
  EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
    RAISE EXCEPTION 'invalid time zone "%" of monitor "%"', zone, name
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The time zone is not a value of the TimeZone setting (pg_timezone_names lists the names; an abbreviation such as IST is not one).',
            HINT = 'Give time_zone as a name of pg_timezone_names (Europe/Paris, UTC) or an offset such as +02 (east of Greenwich, as SET TimeZone reads it).';
  END;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'invalid thresholds of monitor "%"', name
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = bad || '.',
            HINT = 'max_silence and per are positive intervals (a check looks back max_silence and 8 times per), min_rows 1 or more, drop_pct in (0, 100].';
  END IF;
  IF NOT dataeng.rows_readable(tbl, caller::name) THEN
    RAISE EXCEPTION 'permission denied to monitor %', tbl
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A monitor reads the whole table as you: you need SELECT on it, USAGE on its schema, and no row-level security in the way.';
  END IF;
  -- (its job runs in a session of the scheduler, which cannot see it)
  IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl AND c.relpersistence OPERATOR(pg_catalog.=) 't') THEN
    RAISE EXCEPTION 'cannot monitor temporary table %', tbl
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'Temporary tables are private to one session and vanish with it; a monitor is checked by its job, in another session.';
  END IF;
  SELECT a.atttypid::regtype INTO typ FROM pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) time_column
     AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
  -- (the hint of a column missing or no time: the table's time columns)
  IF typ IS NULL OR dataeng_internal._base_type(typ)
       OPERATOR(pg_catalog.<>) ALL (ARRAY['timestamptz', 'timestamp', 'date']::regtype[]) THEN
    SELECT CASE WHEN count(*) OPERATOR(pg_catalog.=) 0
                THEN format('%s has no timestamptz, timestamp or date column to watch.', tbl)
                ELSE format('The time columns of %s: %s.', tbl,
                            string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)) END
      INTO times
      FROM pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
       AND dataeng_internal._base_type(a.atttypid::regtype)
           OPERATOR(pg_catalog.=) ANY (ARRAY['timestamptz', 'timestamp', 'date']::regtype[]);
  END IF;
  IF typ IS NULL THEN
    RAISE EXCEPTION 'column "%" of % does not exist', time_column, tbl
      USING ERRCODE = 'undefined_column',
            DETAIL = 'A monitor watches a table by a column holding the time of each row.',
            HINT = times || ' Columns are named as the table spells them (case matters).';
  END IF;
  -- (a domain over one is its base type: the check compares in that)
  IF dataeng_internal._base_type(typ)
       OPERATOR(pg_catalog.<>) ALL (ARRAY['timestamptz', 'timestamp', 'date']::regtype[]) THEN
    RAISE EXCEPTION 'column "%" of % is of type %, not a time', time_column, tbl, typ
      USING ERRCODE = 'datatype_mismatch',
            HINT = 'A monitor''s time column is timestamptz, timestamp or date (or a domain over one). ' || times;
  END IF;
  SELECT * INTO old FROM dataeng.monitors m WHERE m.name OPERATOR(pg_catalog.=) _monitor_create.name FOR UPDATE;
  IF FOUND AND NOT pg_has_role(caller, old.owner, 'USAGE') THEN
    RAISE EXCEPTION 'monitor name "%" is taken by another role', name
      USING ERRCODE = 'duplicate_object', HINT = 'Monitor names are unique in a database; choose another.';
  END IF;
  -- A superuser is a member of every role to pg_has_role(): its
  -- monitor_create() of a name a role had taken first replaced that role's
  -- monitor, which went on as that role's, checking the superuser's table
  -- as that role (refused: no check, while the superuser meant to monitor
  -- it) and showing that role its definition.  A superuser replaces a
  -- role's monitor knowingly, as that role (SET ROLE), as a job's command
  -- (_job_schedule).
  IF FOUND AND old.owner OPERATOR(pg_catalog.<>) caller AND dataeng_internal._is_superuser(caller) THEN
    RAISE EXCEPTION 'monitor name "%" is taken by role %', name, old.owner
      USING ERRCODE = 'duplicate_object',
            DETAIL = format('Monitor "%s" is a monitor of role %s: it is checked as %s, which sees its definition.',
                            name, old.owner, old.owner),
            HINT = format('To monitor a table of your own, choose another name; to replace that monitor as %s, SET ROLE %s first.',
                          old.owner, old.owner);
  END IF;
  -- (the role that has the owner's oid now takes the monitor knowingly,
  -- with the definition it gives, as a job rescheduled: _job_schedule)
  INSERT INTO dataeng.monitors AS m (name, tbl, time_column, max_silence, min_rows, per, drop_pct, schedule, owner,
                                     owner_name, owner_system, time_zone)
  VALUES (name, tbl, time_column, max_silence, min_rows, per, drop_pct, schedule, coalesce(old.owner, caller),
          (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) coalesce(old.owner, caller)::oid),
          (pg_catalog.pg_control_system()).system_identifier, zone)
  ON CONFLICT ON CONSTRAINT monitors_pkey DO UPDATE
    SET tbl = excluded.tbl, time_column = excluded.time_column, max_silence = excluded.max_silence,
        min_rows = excluded.min_rows, per = excluded.per, drop_pct = excluded.drop_pct,
        schedule = excluded.schedule, owner_name = excluded.owner_name, owner_system = excluded.owner_system,
        time_zone = excluded.time_zone;
  -- its job, of the monitor's owner, through the job API (checks the
  -- schedule, the cap; job names monitor:NAME are reserved to monitors:
  -- the monitor exists first)
  PERFORM dataeng_internal._job_schedule(coalesce(old.owner, caller), 'monitor:' || name, schedule,
                                format('SELECT dataeng.monitor_check(%L)', name), NULL, 0, NULL);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._monitor_create(regrole, text, regclass, text, interval, bigint, interval, numeric, text, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._monitor_create(regrole, text, regclass, text, interval, bigint, interval, numeric, text, text) IS
  'internal: body of dataeng.monitor_create()';

CREATE FUNCTION dataeng.monitor_create(name text, tbl regclass, time_column text,
                                       max_silence interval DEFAULT NULL, min_rows bigint DEFAULT NULL,
                                       per interval DEFAULT '1 hour', drop_pct numeric DEFAULT NULL,
                                       schedule text DEFAULT '5 minutes', time_zone text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_monitor_create'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.monitor_create(text, regclass, text, interval, bigint, interval, numeric, text, text) IS
  'Watches a table''s freshness (newest row older than max_silence) and volume (rows in the last per below min_rows, or drop_pct below the average of the 7 periods before), checked by job monitor:NAME; a timestamp or date column is read in time_zone (default: the session''s TimeZone)';

CREATE FUNCTION dataeng_internal._monitor_drop(caller regrole, name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  m dataeng.monitors;
  downstream text;
  first_down text;
BEGIN
  -- (not a monitor whose owner oid names another role than the one that
  -- made it, restored in another cluster: a superuser's only)
  SELECT * INTO m FROM dataeng.monitors x
   WHERE x.name OPERATOR(pg_catalog.=) _monitor_drop.name
     AND ((pg_has_role(caller, x.owner, 'USAGE') AND dataeng_internal._owner_trusted(x.owner, x.owner_name, x.owner_system))
          OR dataeng_internal._is_superuser(caller))
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  -- its job goes with it: refused while other jobs depend on that job,
  -- said of the monitor (_job_unschedule's refusal spoke of a job the
  -- caller did not name)
  SELECT string_agg(format('"%s"', u.job_name), ', ' ORDER BY u.job_name), min(u.job_name)
    INTO downstream, first_down
    FROM dataeng.jobs u WHERE ('monitor:' OPERATOR(pg_catalog.||) m.name) OPERATOR(pg_catalog.=) ANY (u.depends_on);
  IF downstream IS NOT NULL THEN
    RAISE EXCEPTION 'cannot drop monitor "%": other jobs depend on its job "monitor:%"', m.name, m.name
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('Jobs depending on job "monitor:%s": %s. The monitor''s job is dropped with it.', m.name, downstream),
            HINT = format('Schedule those jobs again without "monitor:%s" in depends_on, or unschedule them (SELECT dataeng.unschedule(%L)); then drop the monitor.',
                          m.name, first_down);
  END IF;
  DELETE FROM dataeng.monitors x WHERE x.name OPERATOR(pg_catalog.=) m.name;
  DELETE FROM dataeng.alert_settings s WHERE s.object OPERATOR(pg_catalog.=) ('monitor:' || m.name);
  PERFORM dataeng_internal._job_unschedule(m.owner, 'monitor:' || m.name);
  PERFORM dataeng_internal._alert_resolve('monitor:' || m.name || ':' || k) FROM unnest(ARRAY['monitor_silence', 'monitor_volume']) k;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._monitor_drop(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._monitor_drop(regrole, text) IS 'internal: body of dataeng.monitor_drop()';

CREATE FUNCTION dataeng.monitor_drop(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_monitor_drop'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.monitor_drop(text) IS 'Drops a monitor and its job (its checks stay until trimmed); false when there is none';

-- A moment as text that reads back as the same moment whatever DateStyle
-- and TimeZone are: ISO 8601 in UTC with its offset.  A timestamptz
-- formatted with %L is written in the session's DateStyle and time zone,
-- which may not read back as written: with DateStyle 'Postgres' or 'SQL',
-- Asia/Kolkata's abbreviation IST reads as Israel's (+02), 3.5 hours away.
CREATE FUNCTION dataeng_internal._utc_literal(t timestamptz)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') OPERATOR(pg_catalog.||) '+00' $$;
REVOKE ALL ON FUNCTION dataeng_internal._utc_literal(timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._utc_literal(timestamptz) IS
  'internal: a timestamptz as an ISO 8601 UTC literal that reads back whatever DateStyle and TimeZone are';

-- A moment as a time of a monitor's time zone, and back (monitor_check of a
-- timestamp or date column).  The zone is read as SET TimeZone reads it,
-- as the table's writers and the session that created the monitor did:
-- pg_catalog.timezone(zone, ...) reads a name first as an abbreviation of
-- the checking session's timezone_abbreviations ('CET' +01 all year
-- where the zone CET has summer time; 'IST' +02 or +05:30 by that
-- setting) and an offset '+02' as POSIX, two hours west, where TimeZone
-- '+02' is two hours east.  An unknown zone raises 22023.
CREATE FUNCTION dataeng_internal._zone_local(zone text, at timestamptz)
RETURNS timestamp
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
  PERFORM pg_catalog.set_config('TimeZone', zone, true);
  RETURN at::timestamp;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._zone_local(text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._zone_local(text, timestamptz) IS
  'internal: a moment as a time of a zone read as SET TimeZone reads it (not as timezone(), abbreviations first)';

CREATE FUNCTION dataeng_internal._zone_moment(zone text, local timestamp)
RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
  PERFORM pg_catalog.set_config('TimeZone', zone, true);
  RETURN local::timestamptz;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._zone_moment(text, timestamp) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._zone_moment(text, timestamp) IS
  'internal: the moment a time of a zone is, the zone read as SET TimeZone reads it';

-- Check a monitor now: its query runs as its owner (restricted), the check
-- is recorded, and its alerts are raised or resolved.  Its job calls it.
CREATE FUNCTION dataeng_internal._monitor_check(caller regrole, name text)
RETURNS dataeng.monitor_checks
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  m dataeng.monitors;
  t timestamptz := now();
  res jsonb;
  c dataeng.monitor_checks;
  problems text[] := '{}';
  silent boolean := false;
  low boolean := false;
  alerts boolean;
  typ regtype;
  zone text;            -- the zone of a timestamp or date column's values
  bounds text[];        -- the bounds of the periods, as SQL of the column's kind
BEGIN
  SELECT * INTO m FROM dataeng.monitors x
   WHERE x.name OPERATOR(pg_catalog.=) _monitor_check.name
     AND ((pg_has_role(caller, x.owner, 'USAGE') AND dataeng_internal._owner_trusted(x.owner, x.owner_name, x.owner_system))
          OR dataeng_internal._is_superuser(caller));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'monitor "%" does not exist', name
      USING ERRCODE = 'undefined_object', HINT = 'dataeng.monitors lists the monitors you may see.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid OPERATOR(pg_catalog.=) m.tbl) THEN
    RAISE EXCEPTION 'the table of monitor "%" was dropped', name
      USING ERRCODE = 'undefined_table', HINT = 'Drop the monitor with dataeng.monitor_drop().';
  END IF;
  -- its time column is kept by name: renamed, dropped or made another type
  -- since, say so (the check's query failed with a bare "column does not
  -- exist" or "operator does not exist", its internal text as the QUERY)
  SELECT a.atttypid::regtype INTO typ FROM pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) m.tbl AND a.attname OPERATOR(pg_catalog.=) m.time_column
     AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
  IF typ IS NULL THEN
    RAISE EXCEPTION 'time column "%" of monitor "%" is not in % any more', m.time_column, name, m.tbl
      USING ERRCODE = 'undefined_column',
            DETAIL = 'The column was renamed or dropped after the monitor was created; a monitor keeps its time column by name.',
            HINT = 'Create the monitor again with dataeng.monitor_create() naming its time column, or drop it with dataeng.monitor_drop().';
  END IF;
  IF dataeng_internal._base_type(typ)
       OPERATOR(pg_catalog.<>) ALL (ARRAY['timestamptz', 'timestamp', 'date']::regtype[]) THEN
    RAISE EXCEPTION 'time column "%" of monitor "%" is of type % now, not a time', m.time_column, name, typ
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = format('Column "%s" of %s was made another type after the monitor was created.', m.time_column, m.tbl),
            HINT = 'A monitor''s time column is timestamptz, timestamp or date: create the monitor again naming one, or drop it with dataeng.monitor_drop().';
  END IF;
  -- Its query runs as its owner only when the monitor's job would run as
  -- that role (the scheduler's rule, dataeng.jobs.owner_name): m.owner is
  -- an oid, which a dump writes as a bare number once the role is dropped
  -- and a restore gives to whichever role has that oid there.
  IF NOT EXISTS (SELECT 1 FROM dataeng.jobs j
                  WHERE j.job_name OPERATOR(pg_catalog.=) ('monitor:' OPERATOR(pg_catalog.||) m.name)
                    AND j.owner::oid OPERATOR(pg_catalog.=) m.owner::oid
                    AND dataeng_internal._owner_trusted(j.owner, j.owner_name, j.owner_system)) THEN
    RAISE EXCEPTION 'monitor "%" is not checked: its owner is not the role that made it', name
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('Its owner is role oid %s; its job monitor:%s, which keeps the name of the role that made it, is missing or names another role (restored from another cluster?).',
                            m.owner::oid, name),
            HINT = 'A superuser can drop it with dataeng.monitor_drop(); its owner can create it again.';
  END IF;
  -- the newest row up to now; the rows of the last period and of the 7
  -- before it.  (A row of a time to come is no sign of life now: one
  -- dated 2036 by mistake, or 'infinity', was the newest, and the table
  -- was never silent again.)
  -- A timestamp (without time zone) or date column holds moments of the
  -- monitor's time zone: the newest is read in it, and the bounds compared
  -- are made times of it (the column's index serves), whatever the
  -- checking session's TimeZone (a row written without one, by hand,
  -- keeps the session's).
  zone := CASE WHEN dataeng_internal._base_type(typ) OPERATOR(pg_catalog.<>) 'timestamptz'::regtype
               THEN coalesce(m.time_zone, pg_catalog.current_setting('TimeZone')) END;
  SELECT array_agg(CASE WHEN zone IS NULL THEN format('%L::timestamptz', dataeng_internal._utc_literal(x.at))
                        ELSE format('%L::timestamp', pg_catalog.to_char(dataeng_internal._zone_local(zone, x.at),
                                                                         'YYYY-MM-DD"T"HH24:MI:SS.US')) END
                   ORDER BY x.i)
    INTO bounds FROM unnest(ARRAY[t - m.per, t - 8 * m.per, t]) WITH ORDINALITY x(at, i);
  res := dataeng_internal._exec_as(m.owner, format(
    'SELECT pg_catalog.jsonb_build_object(''newest'', (SELECT %3$s FROM %2$s WHERE %1$I OPERATOR(pg_catalog.<=) %6$s), '
    '''current'', pg_catalog.count(*) FILTER (WHERE %1$I OPERATOR(pg_catalog.>) %4$s), '
    '''previous'', pg_catalog.count(*) FILTER (WHERE %1$I OPERATOR(pg_catalog.<=) %4$s)) '
    'FROM %2$s WHERE %1$I OPERATOR(pg_catalog.>) %5$s AND %1$I OPERATOR(pg_catalog.<=) %6$s',
    m.time_column, m.tbl,
    CASE WHEN zone IS NULL THEN format('pg_catalog.max(%I)::timestamptz', m.time_column)
         ELSE format('pg_catalog.max(%I)::timestamp', m.time_column) END,
    bounds[1], bounds[2], bounds[3]), true);
  -- (two checks of one monitor at once, its job's and one by hand: the
  -- second waits here for the first to commit, and then resolves the alert
  -- the first raised if it finds the table well; it could not see that
  -- alert before its commit, and the alert stayed open while the latest
  -- check said ok.  The row is locked after the table's query, which holds
  -- the table's lock: DROP TABLE takes the table, then deletes the monitor
  -- row.  Locked before, a check waiting for the table held the row that
  -- DROP TABLE then waited for: a deadlock, and the DROP failed.)
  -- The row is updated, not only locked (its values stay the same): in
  -- REPEATABLE READ or SERIALIZABLE, a check whose snapshot is older than
  -- another check's commit (or than a monitor_create() replacing it)
  -- cannot see that check's alerts, and resolved or raised nothing where
  -- it should have: the alert the other raised stayed open while the
  -- latest check said ok.  Updated by a transaction its snapshot does not
  -- see, the row makes PostgreSQL refuse this one with a serialization
  -- failure (40001), to be retried with a new snapshot.
  BEGIN
    UPDATE dataeng.monitors x SET name = x.name WHERE x.name OPERATOR(pg_catalog.=) m.name;
  EXCEPTION WHEN serialization_failure THEN
    RAISE EXCEPTION 'could not check monitor "%": it was checked or changed after this transaction''s snapshot was taken', name
      USING ERRCODE = 'serialization_failure',
            DETAIL = format('This transaction is %s: its snapshot does not show the alerts or the definition the other transaction committed.',
                            pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))),
            HINT = 'Retry the transaction, or call dataeng.monitor_check() in a READ COMMITTED transaction.';
  END;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'monitor "%" does not exist', name
      USING ERRCODE = 'undefined_object', HINT = 'dataeng.monitors lists the monitors you may see.';
  END IF;
  c.monitor := m.name;
  c.tbl := m.tbl;
  c.checked_at := t;
  -- (a time of the zone, ISO 8601 in jsonb, made a moment)
  c.newest := CASE WHEN zone IS NULL THEN (res->>'newest')::timestamptz
                   ELSE dataeng_internal._zone_moment(zone, (res->>'newest')::timestamp) END;
  c.rows_in_period := (res->>'current')::bigint;
  c.baseline := round((res->>'previous')::numeric / 7, 2);
  IF m.max_silence IS NOT NULL AND (c.newest IS NULL OR c.newest OPERATOR(pg_catalog.<) t - m.max_silence) THEN
    silent := true;
    problems := problems || CASE WHEN c.newest IS NULL
                                 THEN format('silent: the table has no rows with a time (column %I)', m.time_column)
                                 ELSE format('silent: the newest row is %s, more than %s ago', dataeng_internal._text_time(c.newest),
                                             dataeng_internal._text_interval(m.max_silence)) END;
  END IF;
  IF m.min_rows IS NOT NULL AND c.rows_in_period OPERATOR(pg_catalog.<) m.min_rows THEN
    low := true;
    problems := problems || format('volume: %s in the last %s, fewer than %s', dataeng_internal._text_rows(c.rows_in_period),
                                   dataeng_internal._text_interval(m.per), m.min_rows);
  END IF;
  IF m.drop_pct IS NOT NULL AND c.baseline OPERATOR(pg_catalog.>) 0
     AND c.rows_in_period OPERATOR(pg_catalog.<) c.baseline * (1 - m.drop_pct / 100) THEN
    low := true;
    problems := problems || format('volume: %s in the last %s, %s%% below the average %s of the 7 periods before',
                                   dataeng_internal._text_rows(c.rows_in_period), dataeng_internal._text_interval(m.per), round(100 * (1 - c.rows_in_period / c.baseline), 1), c.baseline);
  END IF;
  c.ok := NOT (silent OR low);
  c.problems := problems;
  INSERT INTO dataeng.monitor_checks (monitor, tbl, checked_at, newest, rows_in_period, baseline, ok, problems)
  VALUES (c.monitor, c.tbl, c.checked_at, c.newest, c.rows_in_period, c.baseline, c.ok, c.problems)
  RETURNING * INTO c;
  alerts := dataeng_internal._ops_setting('monitor:' || m.name, 'alerts', m.owner)::boolean;
  IF silent AND alerts THEN
    PERFORM dataeng_internal._alert_raise('monitor:' || m.name || ':monitor_silence', 'monitor_silence', m.name, 'error',
                                 CASE WHEN c.newest IS NULL
                                      THEN format('monitor %s: %s is silent: it has no rows with a time (column %I)', m.name, m.tbl, m.time_column)
                                      ELSE format('monitor %s: %s is silent: newest row %s, more than %s ago', m.name, m.tbl,
                                                  dataeng_internal._text_time(c.newest),
                                                  dataeng_internal._text_interval(m.max_silence)) END,
                                 to_jsonb(c), m.owner, m.tbl);
  ELSE
    PERFORM dataeng_internal._alert_resolve('monitor:' || m.name || ':monitor_silence');
  END IF;
  IF low AND alerts THEN
    PERFORM dataeng_internal._alert_raise('monitor:' || m.name || ':monitor_volume', 'monitor_volume', m.name, 'error',
                                 format('monitor %s: %s', m.name, array_to_string(
                                   ARRAY(SELECT p FROM unnest(problems) p WHERE p LIKE 'volume:%'), '; ')),
                                 to_jsonb(c), m.owner, m.tbl);
  ELSE
    PERFORM dataeng_internal._alert_resolve('monitor:' || m.name || ':monitor_volume');
  END IF;
  RETURN c;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._monitor_check(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._monitor_check(regrole, text) IS 'internal: body of dataeng.monitor_check()';

CREATE FUNCTION dataeng.monitor_check(name text)
RETURNS dataeng.monitor_checks
AS 'MODULE_PATHNAME', 'dataeng_monitor_check'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.monitor_check(text) IS
  'Checks a monitor now (its job does so on its schedule): records the check, raises or resolves its alerts';

-----------------------------------------------------------------------------
-- Maintenance
-----------------------------------------------------------------------------

-- The rows that name a role beside its name (runs, alerts, settings, dead
-- letters, monitors, alert handlers, dedupe runs) follow their role as the scheduler makes the jobs
-- follow theirs (check_job_owners, src/schedule/scheduler.c): a trusted
-- row (_owner_trusted) takes the role's current name (a rename) and this
-- cluster's identifier (a row restored from another cluster whose oid
-- names a role of the recorded name); an untrusted one is left as it is.
-- Run by maintain().
CREATE FUNCTION dataeng_internal._owners_follow()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sys bigint := (pg_catalog.pg_control_system()).system_identifier;
  t record;
  n bigint;
  total bigint := 0;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('dataeng', 'job_runs', 'owner', 'owner_name', 'owner_system'),
                                 ('dataeng', 'alerts', 'owner', 'owner_name', 'owner_system'),
                                 ('dataeng', 'alert_settings', 'owner', 'owner_name', 'owner_system'),
                                 ('dataeng', 'dead_letters', 'owner', 'owner_name', 'owner_system'),
                                 ('dataeng', 'monitors', 'owner', 'owner_name', 'owner_system'),
                                 ('dataeng_internal', 'alert_handlers', 'owner', 'owner_name', 'owner_system'),
                                 ('dataeng', 'dedupe_runs', 'run_by', 'run_by_name', 'run_by_system'))
                      v(nsp, tbl, role_col, name_col, system_col) LOOP
    EXECUTE pg_catalog.format(
      'UPDATE %5$I.%1$I x SET %3$I = r.rolname, %4$I = $1 FROM pg_catalog.pg_roles r'
      ' WHERE r.oid OPERATOR(pg_catalog.=) x.%2$I::pg_catalog.oid'
      '   AND (x.%4$I IS DISTINCT FROM $1 OR x.%3$I IS DISTINCT FROM r.rolname)'
      '   AND dataeng_internal._owner_trusted(x.%2$I, x.%3$I, x.%4$I)', t.tbl, t.role_col, t.name_col, t.system_col, t.nsp)
      USING sys;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total OPERATOR(pg_catalog.+) n;
  END LOOP;
  RETURN total;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._owners_follow() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._owners_follow() IS
  'internal: the rows naming a role take its current name, and this cluster, while their oid is trusted (maintain())';

-- When the maintenance launcher (src/ops/maintenance.c) last read the
-- configuration files; NULL when none runs.  Tests that change
-- dataeng.maintenance_interval (ALTER SYSTEM, pg_reload_conf()) wait until
-- it is later than a moment taken before the reload.
CREATE FUNCTION dataeng_internal._maintenance_conf_read()
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_maintenance_conf_read'
LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._maintenance_conf_read() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._maintenance_conf_read() IS
  'internal: when the maintenance launcher last read the configuration files; NULL when none runs';

-- The rows that name a function (alert handlers, their pending calls,
-- on_change triggers) kept naming it: each is its oid in the catalog of
-- handler_catalog (dataeng_internal._catalog_id(): this cluster, this
-- installation of dataeng) and its identity by name (handler_name).
--  - A row recorded in another catalog (pg_upgrade, which gives functions
--    new oids; a restore; DROP and CREATE EXTENSION) takes the oid of the
--    function of its name here, and this catalog; its pending calls follow
--    it.  An alert handler whose function was added again meanwhile is
--    that row.  One whose name no function has is left as it is: a
--    function gone (an alert handler is removed by the next alert, an
--    on_change trigger's batches go to dead letters as for a dropped
--    handler), nor is an on_change trigger whose function of that name
--    belongs to a role its owner has not the privileges of (it would run
--    that role's code as the trigger's owner).
--  - A row of this catalog whose function was renamed or moved (ALTER
--    FUNCTION ... RENAME / SET SCHEMA, ALTER SCHEMA ... RENAME) takes its
--    new name, so that a pg_upgrade afterwards finds it.
-- A row another transaction holds is skipped (the next call takes it).
-- Called by the event triggers dataeng_handlers_on_alter_start and
-- dataeng_handlers_on_alter, by maintain(), and before the handlers are
-- read (an alert sent, alert_check(), alert_handler_add() and _drop()).
-- Returns how many rows changed.
CREATE FUNCTION dataeng_internal._handlers_follow()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cat text := dataeng_internal._catalog_id();
  r record;
  n bigint;
  total bigint := 0;
BEGIN
  FOR r IN SELECT x.ctid AS tid, x.handler AS old_oid, x.handler_catalog AS old_catalog,
                  pg_catalog.to_regprocedure(x.handler_name)::pg_catalog.oid AS fn
             FROM dataeng_internal.alert_handlers x
            WHERE x.handler_catalog OPERATOR(pg_catalog.<>) cat
              AND pg_catalog.to_regprocedure(x.handler_name) IS NOT NULL
              FOR UPDATE OF x SKIP LOCKED LOOP
    IF EXISTS (SELECT FROM dataeng_internal.alert_handlers y
                WHERE y.handler OPERATOR(pg_catalog.=) r.fn AND y.handler_catalog OPERATOR(pg_catalog.=) cat) THEN
      DELETE FROM dataeng_internal.alert_handlers x WHERE x.ctid OPERATOR(pg_catalog.=) r.tid;
    ELSE
      UPDATE dataeng_internal.alert_handlers x SET handler = r.fn, handler_catalog = cat
       WHERE x.ctid OPERATOR(pg_catalog.=) r.tid;
    END IF;
    UPDATE dataeng_internal.alert_handler_pending x SET handler = r.fn, handler_catalog = cat
     WHERE x.handler OPERATOR(pg_catalog.=) r.old_oid AND x.handler_catalog OPERATOR(pg_catalog.=) r.old_catalog;
    total := total OPERATOR(pg_catalog.+) 1;
  END LOOP;
  UPDATE dataeng_internal.on_change_triggers x
     SET handler = pg_catalog.to_regprocedure(x.handler_name)::pg_catalog.oid, handler_catalog = cat
   WHERE x.ctid OPERATOR(pg_catalog.=) ANY (ARRAY(
           SELECT y.ctid FROM dataeng_internal.on_change_triggers y
            WHERE y.handler_catalog OPERATOR(pg_catalog.<>) cat
              AND pg_catalog.to_regprocedure(y.handler_name) IS NOT NULL
              -- (the handler runs as the trigger's owner: never a function
              -- another role made under its name)
              AND EXISTS (SELECT FROM pg_catalog.pg_proc p
                           WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(y.handler_name)::pg_catalog.oid
                             AND coalesce(pg_catalog.pg_has_role(y.owner::pg_catalog.oid, p.proowner, 'USAGE'), false))
              FOR UPDATE OF y SKIP LOCKED));
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total OPERATOR(pg_catalog.+) n;
  -- renamed or moved: only the rows whose name differs are locked.  Each
  -- row's identity is made once, in the join (every ALTER FUNCTION runs
  -- this twice, by the event triggers: made two or three times a row by
  -- _proc_identity(), a SQL function with its own search_path, it cost
  -- about 0.15 ms a row a call)
  UPDATE dataeng_internal.alert_handlers x SET handler_name = w.name
    FROM (SELECT y.ctid AS tid, i.identity AS name
            FROM dataeng_internal.alert_handlers y
            JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) y.handler
           CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0) i
           WHERE y.handler_catalog OPERATOR(pg_catalog.=) cat
             AND i.identity IS DISTINCT FROM y.handler_name
             FOR UPDATE OF y SKIP LOCKED) w
   WHERE x.ctid OPERATOR(pg_catalog.=) w.tid;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total OPERATOR(pg_catalog.+) n;
  UPDATE dataeng_internal.on_change_triggers x SET handler_name = w.name
    FROM (SELECT y.ctid AS tid, i.identity AS name
            FROM dataeng_internal.on_change_triggers y
            JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) y.handler
           CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0) i
           WHERE y.handler_catalog OPERATOR(pg_catalog.=) cat
             AND i.identity IS DISTINCT FROM y.handler_name
             FOR UPDATE OF y SKIP LOCKED) w
   WHERE x.ctid OPERATOR(pg_catalog.=) w.tid;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN total OPERATOR(pg_catalog.+) n;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._handlers_follow() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._handlers_follow() IS
  'internal: rows naming a function recorded in another catalog take its oid here by name; renamed ones take the new name';

-- After ALTER FUNCTION, PROCEDURE or ROUTINE (RENAME, SET SCHEMA), ALTER
-- SCHEMA ... RENAME or ALTER EXTENSION ... SET SCHEMA, the handlers take
-- their function's new name (ddl_command_end); before it, those recorded
-- in another catalog are first found by the name they have
-- (ddl_command_start), which the command may change.  At the end of the
-- command, the rows naming a function it renamed that another transaction
-- holds (an alert sent to the handler, its alert_handler_add() left open,
-- an on_change trigger's round), which _handlers_follow() skips, are
-- waited for and take the new name: skipped, they kept the old one until
-- the next maintain(), and a dump or pg_upgrade meanwhile found no
-- function of that name (the handler was gone).  Only the rows whose
-- name the command changed are waited for: an ALTER of another function
-- waits for nothing.  _handlers_follow() runs only while rows of another
-- catalog are left.  Security definer: it only writes what the role's
-- command brought about.
CREATE FUNCTION dataeng_internal._handlers_on_alter()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cat text := dataeng_internal._catalog_id();
BEGIN
  -- (rows of another catalog: rare, after pg_upgrade or a restore until
  -- the next maintain(); each row's name is made once per ALTER, below, not
  -- three times by a full _handlers_follow() at both ends)
  IF EXISTS (SELECT FROM dataeng_internal.alert_handlers x WHERE x.handler_catalog OPERATOR(pg_catalog.<>) cat)
     OR EXISTS (SELECT FROM dataeng_internal.on_change_triggers x WHERE x.handler_catalog OPERATOR(pg_catalog.<>) cat) THEN
    PERFORM dataeng_internal._handlers_follow();
  END IF;
  IF TG_EVENT OPERATOR(pg_catalog.=) 'ddl_command_end' THEN
    UPDATE dataeng_internal.alert_handlers x SET handler_name = i.identity
      FROM pg_catalog.pg_proc p
     CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0) i
     WHERE p.oid OPERATOR(pg_catalog.=) x.handler AND x.handler_catalog OPERATOR(pg_catalog.=) cat
       AND i.identity IS DISTINCT FROM x.handler_name;
    UPDATE dataeng_internal.on_change_triggers x SET handler_name = i.identity
      FROM pg_catalog.pg_proc p
     CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0) i
     WHERE p.oid OPERATOR(pg_catalog.=) x.handler AND x.handler_catalog OPERATOR(pg_catalog.=) cat
       AND i.identity IS DISTINCT FROM x.handler_name;
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._handlers_on_alter() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._handlers_on_alter() IS
  'internal: alert handlers and on_change triggers follow their function''s renames (event triggers dataeng_handlers_on_alter_start, dataeng_handlers_on_alter)';
CREATE EVENT TRIGGER dataeng_handlers_on_alter_start ON ddl_command_start
  WHEN TAG IN ('ALTER FUNCTION', 'ALTER PROCEDURE', 'ALTER ROUTINE', 'ALTER SCHEMA', 'ALTER EXTENSION')
  EXECUTE FUNCTION dataeng_internal._handlers_on_alter();
CREATE EVENT TRIGGER dataeng_handlers_on_alter ON ddl_command_end
  WHEN TAG IN ('ALTER FUNCTION', 'ALTER PROCEDURE', 'ALTER ROUTINE', 'ALTER SCHEMA', 'ALTER EXTENSION')
  EXECUTE FUNCTION dataeng_internal._handlers_on_alter();

-- Everything the pipeline needs done on its own: alerts checked, the
-- change log purged (acknowledged segments, ticks no consumer needs:
-- cdc_purge), histories trimmed (job runs past dataeng.job_history_keep;
-- monitor checks, validation runs and resolved alerts past history_keep;
-- on_change dead letters past dead_letters_keep), the rows that name a
-- role following it (_owners_follow), what names a relation dropped
-- unseen (a temporary table gone with its session) let go of as a drop
-- does (_tables_gone), the batches cut since
-- the last round counted by table for consumers' lag (_cdc_count_batches),
-- and the change log counted for pipeline_status.  A superuser's
-- function: the maintenance worker (src/ops/maintenance.c) runs it in every
-- database, every dataeng.maintenance_interval, as the bootstrap superuser.
CREATE FUNCTION dataeng.maintain()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  keep interval;
  purged bigint := 0;
  chk record;
  trimmed jsonb;
  n_runs bigint;
  n_checks bigint;
  n_alerts bigint;
  n_log bigint;
  n_dead bigint;
BEGIN
  IF NOT dataeng_internal._is_superuser(current_user::regrole) THEN
    RAISE EXCEPTION 'only a superuser may run dataeng.maintain()'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('Role %s is not a superuser; maintain() purges the change log, trims histories and checks the alerts of every role''s objects.',
                            quote_ident(current_user)),
            HINT = 'The maintenance worker runs it by itself every dataeng.maintenance_interval (docs/ops.md); read dataeng.pipeline_status for the state of your objects.';
  END IF;
  keep := dataeng_internal._ops_setting('*', 'history_keep')::interval;
  IF dataeng_internal._ops_setting('*', 'purge')::boolean THEN
    SELECT coalesce(sum(p.purged_changes), 0) INTO purged FROM dataeng.cdc_purge() p;
  END IF;
  DELETE FROM dataeng.job_runs r
   WHERE r.finished_at OPERATOR(pg_catalog.<) now() - current_setting('dataeng.job_history_keep')::interval;
  GET DIAGNOSTICS n_runs = ROW_COUNT;
  DELETE FROM dataeng.monitor_checks c
   WHERE c.checked_at OPERATOR(pg_catalog.<) now() - keep
     AND c.check_id OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT max(x.check_id) FROM dataeng.monitor_checks x GROUP BY x.monitor));
  GET DIAGNOSTICS n_checks = ROW_COUNT;
  DELETE FROM dataeng.alerts a
   WHERE a.resolved_at OPERATOR(pg_catalog.<) now() - keep;
  GET DIAGNOSTICS n_alerts = ROW_COUNT;
  -- (a dead letter its role holds, deleting or replaying it in a
  -- transaction left open, is left to the next round: waited for, it held
  -- the change-log segments the purge above emptied, and every role's
  -- writes of captured tables with them)
  DELETE FROM dataeng.dead_letters d
   WHERE d.id OPERATOR(pg_catalog.=) ANY (ARRAY(
           SELECT x.id FROM dataeng.dead_letters x
            WHERE x.failed_at OPERATOR(pg_catalog.<) now() - dataeng_internal._ops_setting('*', 'dead_letters_keep')::interval
              FOR UPDATE SKIP LOCKED));
  GET DIAGNOSTICS n_dead = ROW_COUNT;
  -- renames followed, restored rows of the same name adopted
  PERFORM dataeng_internal._owners_follow();
  PERFORM dataeng_internal._handlers_follow();
  -- relations dropped unseen (temporary tables gone with their session)
  -- let go of, as a drop does
  PERFORM dataeng_internal._tables_gone();
  -- the batches cut since the last round counted by table, before the
  -- consumers' lag is measured (alert_check): off the path of ticks
  PERFORM dataeng_internal._cdc_count_batches(10000);
  chk := dataeng.alert_check();
  SELECT count(*) INTO n_log FROM dataeng_internal.change_log;
  trimmed := jsonb_build_object('job_runs', n_runs, 'monitor_checks', n_checks, 'alerts', n_alerts,
                                'dead_letters', n_dead);
  INSERT INTO dataeng.maintenance AS m (id, ran_at, change_log, purged_changes, trimmed)
  VALUES (1, now(), n_log, purged, trimmed)
  ON CONFLICT (id) DO UPDATE SET ran_at = excluded.ran_at, change_log = excluded.change_log,
    purged_changes = excluded.purged_changes, trimmed = excluded.trimmed;
  RETURN jsonb_build_object('purged_changes', purged, 'change_log', n_log, 'trimmed', trimmed,
                            'alerts_raised', chk.raised, 'alerts_resolved', chk.resolved);
END;
$$;
-- (PUBLIC may call it, to be told why not: the body, invoker rights,
-- refuses every role but a superuser before it does anything; without
-- EXECUTE a role got PostgreSQL's bare "permission denied for function")
GRANT EXECUTE ON FUNCTION dataeng.maintain() TO PUBLIC;
COMMENT ON FUNCTION dataeng.maintain() IS
  'Checks alerts, purges the change log, trims histories (superuser; runs by itself every dataeng.maintenance_interval, see docs/ops.md)';

-----------------------------------------------------------------------------
-- Lineage
-----------------------------------------------------------------------------

-- What feeds what, from the catalogs each time it is read (names are the
-- objects' current names; a dropped object is gone from it), filtered by
-- the caller's rights like pipeline_status.
CREATE FUNCTION dataeng_internal._lineage()
RETURNS TABLE (from_object text, from_kind text, to_object text, to_kind text, relation text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH captured AS (SELECT t.table_name FROM dataeng.cdc_tables_visible t),
  consumers AS (SELECT c.name, c.tables FROM dataeng.cdc_consumers c),
  aggs AS (SELECT f.name, 'fact' AS kind, f.fact_table AS tbl, f.source, f.consumer, 'fact_refresh:' || f.name AS job
             FROM dataeng_internal.fact_defs f
           UNION ALL
           SELECT d.name, 'dimension', d.dim_table, d.source, d.consumer, 'dimension_refresh:' || d.name
             FROM dataeng_internal.dimension_defs d)
  SELECT t.table_name::text, 'table', t.table_name::text, 'capture', 'captured by' FROM captured t
  UNION ALL
  SELECT t.table_name::text, 'capture', c.name, 'consumer', 'consumed by'
    FROM consumers c JOIN captured t ON c.tables IS NULL OR t.table_name OPERATOR(pg_catalog.=) ANY (c.tables)
  UNION ALL
  SELECT a.consumer, 'consumer', a.name, a.kind, 'feeds' FROM aggs a
   WHERE EXISTS (SELECT 1 FROM consumers c WHERE c.name OPERATOR(pg_catalog.=) a.consumer)
  UNION ALL
  -- (a source dropped is no edge: its oid, a bare number, was drawn as a
  -- table, and would be whichever table took that oid later)
  SELECT a.source::text, 'table', a.name, a.kind, 'source of' FROM aggs a
   WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) a.source)
  UNION ALL
  SELECT a.name, a.kind, a.tbl::text, 'table', 'writes' FROM aggs a
   WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) a.tbl)
  UNION ALL
  SELECT a.name, a.kind, j.job_name, 'job', 'refreshed by'
    FROM aggs a JOIN dataeng.jobs j ON j.job_name OPERATOR(pg_catalog.=) a.job
  UNION ALL
  SELECT r.table_name::text, 'table', r.table_name::text || ' rules', 'rules',
         'validated by ' || string_agg(r.rule_name, ', ' ORDER BY r.rule_name)
    FROM dataeng.rules r GROUP BY r.table_name
  UNION ALL
  SELECT g.tgrelid::regclass::text, 'table', g.tgrelid::regclass::text || ' guard', 'guard', 'guarded by'
    FROM pg_trigger g
   WHERE g.tgname OPERATOR(pg_catalog.=) 'dataeng_guard' AND has_table_privilege(g.tgrelid, 'SELECT')
  UNION ALL
  SELECT DISTINCT q.table_name::text, 'table', q.table_name::text || ' quarantine', 'quarantine', 'quarantines into'
    FROM dataeng.quarantine q WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) q.table_name)
  UNION ALL
  SELECT d.table_name::text, 'table', 'dedupe run ' || d.run_id, 'dedupe run', 'deduplicated by'
    FROM dataeng.dedupe_runs d WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) d.table_name)
  UNION ALL
  SELECT m.tbl::text, 'table', m.name, 'monitor', 'monitored by'
    FROM dataeng.monitors m WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) m.tbl)
  UNION ALL
  SELECT m.name, 'monitor', j.job_name, 'job', 'checked by'
    FROM dataeng.monitors m JOIN dataeng.jobs j ON j.job_name OPERATOR(pg_catalog.=) ('monitor:' || m.name)
  UNION ALL
  SELECT o.table_name::text, 'capture', o.trigger_name, 'on_change', 'handled by ' || o.handler::text
    FROM dataeng.on_changes o JOIN captured t ON t.table_name OPERATOR(pg_catalog.=) o.table_name
  UNION ALL
  SELECT u.job_name, 'job', j.job_name, 'job', 'runs before'
    FROM dataeng.jobs j CROSS JOIN LATERAL unnest(j.depends_on) d
    JOIN dataeng.jobs u ON u.job_name OPERATOR(pg_catalog.=) d
  UNION ALL
  -- a job whose command polls a consumer (dataeng.cdc_poll() with the
  -- consumer's name written as a literal, by position or by name: its
  -- text is all the catalogs say; a name computed, or a poll made in a
  -- function the command calls, is not seen)
  SELECT DISTINCT c.name, 'consumer', j.job_name, 'job', 'read by'
    FROM dataeng.jobs j
   CROSS JOIN LATERAL regexp_matches(j.command, $re$\mcdc_poll"?\s*\(\s*(?:consumer\s*(?:=>|:=)\s*)?'((?:[^']|'')*)'$re$, 'gi') m
    JOIN consumers c ON c.name OPERATOR(pg_catalog.=) replace(m[1], '''''', '''')
$$;
COMMENT ON FUNCTION dataeng_internal._lineage() IS 'internal: the rows of dataeng.lineage';

CREATE VIEW dataeng.lineage AS SELECT * FROM dataeng_internal._lineage();
COMMENT ON VIEW dataeng.lineage IS
  'What feeds what: tables, captures, consumers, facts, dimensions, rules, guards, quarantines, dedupe runs, monitors, jobs';
COMMENT ON COLUMN dataeng.lineage.from_object IS 'The object feeding';
COMMENT ON COLUMN dataeng.lineage.from_kind IS 'Kind of the object feeding';
COMMENT ON COLUMN dataeng.lineage.to_object IS 'The object fed';
COMMENT ON COLUMN dataeng.lineage.to_kind IS 'Kind of the object fed';
COMMENT ON COLUMN dataeng.lineage.relation IS 'How the one feeds the other';
GRANT SELECT ON dataeng.lineage TO PUBLIC;

-- A DOT identifier: a double-quoted string (kind:object, or a label).
CREATE FUNCTION dataeng_internal._dot_id(kind text, object text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT '"' || replace(replace(replace(CASE WHEN object IS NULL THEN kind ELSE kind || ':' || object END,
                                        E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n') || '"'
$$;
COMMENT ON FUNCTION dataeng_internal._dot_id(text, text) IS 'internal: a Graphviz DOT quoted identifier';

-- The lineage (or what is reachable from root) as a Graphviz digraph,
-- each node filled with the colour of its state in pipeline_status.
CREATE FUNCTION dataeng.lineage_dot(root regclass DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH RECURSIVE edges AS MATERIALIZED (SELECT * FROM dataeng_internal._lineage()),
  reach (kind, object) AS (
    SELECT 'table', root::text WHERE root IS NOT NULL
    UNION
    SELECT e.to_kind, e.to_object FROM reach r JOIN edges e
        ON e.from_kind OPERATOR(pg_catalog.=) r.kind AND e.from_object OPERATOR(pg_catalog.=) r.object),
  picked AS (
    SELECT e.* FROM edges e
     WHERE root IS NULL OR EXISTS (SELECT 1 FROM reach r WHERE r.kind OPERATOR(pg_catalog.=) e.from_kind
                                                          AND r.object OPERATOR(pg_catalog.=) e.from_object)),
  nodes AS (
    SELECT from_kind AS kind, from_object AS object FROM picked
    UNION SELECT to_kind, to_object FROM picked
    UNION SELECT 'table', root::text WHERE root IS NOT NULL),
  status AS MATERIALIZED (
    SELECT k.kind, k.name,
           max(CASE s.state WHEN 'failing' THEN 3 WHEN 'warning' THEN 2 WHEN 'paused' THEN 1 ELSE 0 END) AS rank
      FROM dataeng.pipeline_status s
     CROSS JOIN LATERAL (VALUES (CASE s.kind WHEN 'captured table' THEN 'table' WHEN 'table with rules' THEN 'table'
                                             ELSE s.kind END, s.name),
                                (CASE s.kind WHEN 'captured table' THEN 'capture' WHEN 'table with rules' THEN 'rules' END,
                                 CASE s.kind WHEN 'captured table' THEN s.name ELSE s.name || ' rules' END)) k (kind, name)
     WHERE k.kind IS NOT NULL
     GROUP BY 1, 2),
  styled AS (
    SELECT n.kind, n.object, s.rank,
           format('  %s [label=%s, shape=%s, style=filled, fillcolor=%s];',
                  dataeng_internal._dot_id(n.kind, n.object),
                  dataeng_internal._dot_id(n.kind || E'\n' || n.object, NULL),
                  CASE n.kind WHEN 'table' THEN 'box' WHEN 'job' THEN 'component' WHEN 'consumer' THEN 'cds'
                              WHEN 'fact' THEN 'box3d' WHEN 'dimension' THEN 'box3d' WHEN 'monitor' THEN 'note'
                              ELSE 'ellipse' END,
                  CASE s.rank WHEN 3 THEN '"#f4a6a6"' WHEN 2 THEN '"#f9d98c"' WHEN 1 THEN '"#d0d0d0"'
                              WHEN 0 THEN '"#b7e1a1"' ELSE '"#ffffff"' END) AS line
      FROM nodes n
      LEFT JOIN status s ON s.kind OPERATOR(pg_catalog.=) n.kind AND s.name OPERATOR(pg_catalog.=) n.object)
  SELECT 'digraph lineage {' || E'\n' || '  rankdir=LR;' || E'\n' || '  node [fontname="Helvetica", fontsize=10];' || E'\n'
         || '  edge [fontname="Helvetica", fontsize=9];' || E'\n'
         || coalesce((SELECT string_agg(line, E'\n' ORDER BY kind, object) FROM styled), '') || E'\n'
         || coalesce((SELECT string_agg(format('  %s -> %s [label=%s];', dataeng_internal._dot_id(p.from_kind, p.from_object),
                                               dataeng_internal._dot_id(p.to_kind, p.to_object), dataeng_internal._dot_id(p.relation, NULL)),
                                        E'\n' ORDER BY p.from_kind, p.from_object, p.to_kind, p.to_object)
                        FROM picked p), '') || E'\n}' || E'\n'
$$;
COMMENT ON FUNCTION dataeng.lineage_dot(regclass) IS
  'The lineage (or the part reachable from root) in Graphviz DOT, each node coloured by its state';

-----------------------------------------------------------------------------
-- Dropped tables
-----------------------------------------------------------------------------

-- What dataeng keeps about a table goes, or lets go of it, when the table
-- is dropped: rows that name a table by oid name an oid no relation has
-- any more, which pg_dump writes as a bare number and a restore gives to
-- whichever relation has that oid in the new cluster.
--  - definitions tied to the table go with it: its rules, as its CHECK
--    constraints do (kept, a rule named an oid that a restore gives to
--    whichever relation has it in the new cluster, whose validate() then
--    checks the rule or fails on its missing column), its monitors (as
--    monitor_drop() takes them, with their jobs), and its rows in
--    quarantine (copies of its rows, which could only be released into it);
--    its capture (its row of dataeng.cdc_tables) and its on_change
--    triggers, which _cdc_on_drop() takes at a drop it sees;
--  - history is kept, detached: table_name (tbl) is set NULL and
--    dropped_table keeps the name the table had: validation runs and
--    results, alerts, dedupe runs, monitor checks, dead letters.  A
--    detached row is read by superusers only (no role's rights on a table
--    that is gone can say who may read its rows), alerts by their owner.
-- Also a table dropped unseen: a temporary table goes at the end of its
-- session (or, after a crash, when its schema is next used) without an
-- event trigger, and a drop while event triggers do not fire
-- (session_replication_role = replica) is not seen either:
-- dataeng.maintain() does the same for the rows that name an oid no
-- relation has (_tables_gone), their dropped_table 'OID <n>' (the name is
-- gone with the table).
-- Runs as dataeng's owner: the role that drops a table may not write these
-- tables.
CREATE FUNCTION dataeng_internal._tables_forget(gone oid[], names text[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  m dataeng.monitors;
  hist text;
  col text;
BEGIN
  -- a monitor goes as monitor_drop() takes it, with its job and settings
  FOR m IN SELECT * FROM dataeng.monitors x WHERE x.tbl::oid OPERATOR(pg_catalog.=) ANY (gone) LOOP
    BEGIN
      PERFORM dataeng_internal._monitor_drop(m.owner, m.name);
    EXCEPTION WHEN dependent_objects_still_exist OR undefined_object THEN
      -- other jobs depend on its job (or its owner is gone): the job stays,
      -- and fails saying the monitor does not exist
      DELETE FROM dataeng.monitors x WHERE x.name OPERATOR(pg_catalog.=) m.name;
      DELETE FROM dataeng.alert_settings x WHERE x.object OPERATOR(pg_catalog.=) ('monitor:' OPERATOR(pg_catalog.||) m.name);
    END;
  END LOOP;
  -- a fact's or dimension's source is marked dropped: its oid, a bare
  -- number in a dump, may name another table after a restore or once the
  -- oid counter wraps around (_agg_source_exists)
  UPDATE dataeng_internal.fact_defs x SET source_dropped = true
   WHERE x.source::oid OPERATOR(pg_catalog.=) ANY (gone) AND NOT x.source_dropped;
  UPDATE dataeng_internal.dimension_defs x SET source_dropped = true
   WHERE x.source::oid OPERATOR(pg_catalog.=) ANY (gone) AND NOT x.source_dropped;
  DELETE FROM dataeng.rules r WHERE r.table_name::oid OPERATOR(pg_catalog.=) ANY (gone);
  DELETE FROM dataeng.quarantine q WHERE q.table_name::oid OPERATOR(pg_catalog.=) ANY (gone);
  -- its capture and its on_change triggers go, as _cdc_on_drop() takes
  -- them at a drop (there first: this is for the drops it did not see): a
  -- row left would say an oid is captured that a restore, or the oid
  -- counter wrapping around, may give to another table
  DELETE FROM dataeng.cdc_tables t WHERE t.table_name::oid OPERATOR(pg_catalog.=) ANY (gone);
  DELETE FROM dataeng_internal.on_change_triggers o WHERE o.table_name::oid OPERATOR(pg_catalog.=) ANY (gone);
  -- history is detached: its table's column NULL, the name kept
  FOR hist, col IN VALUES ('validation_runs', 'table_name'), ('validation_results', 'table_name'),
                          ('alerts', 'table_name'), ('dedupe_runs', 'table_name'),
                          ('monitor_checks', 'tbl'), ('dead_letters', 'table_name') LOOP
    EXECUTE pg_catalog.format(
      'UPDATE dataeng.%1$I x SET %2$I = NULL, dropped_table = $2[pg_catalog.array_position($1, x.%2$I::pg_catalog.oid)]'
      ' WHERE x.%2$I::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)', hist, col)
      USING gone, names;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._tables_forget(oid[], text[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._tables_forget(oid[], text[]) IS
  'internal: delete the rules, monitors, quarantined rows, capture and on_change triggers of dropped relations, detach their history';

CREATE FUNCTION dataeng_internal._tables_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  gone oid[];
  names text[];
BEGIN
  SELECT array_agg(d.objid), array_agg(d.object_identity) INTO gone, names
    FROM pg_event_trigger_dropped_objects() d
   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.objsubid OPERATOR(pg_catalog.=) 0
     AND d.object_type OPERATOR(pg_catalog.=) ANY (ARRAY['table', 'view', 'materialized view', 'foreign table']);
  IF gone IS NULL THEN
    RETURN;
  END IF;
  -- Most DROPs take nothing dataeng names: one query (an index probe of
  -- each history table, a scan of the few rows of each definition table)
  -- and done, where _tables_forget ran fifteen statements.  The same rows
  -- _tables_forget changes.
  IF NOT (EXISTS (SELECT 1 FROM dataeng.monitors x WHERE x.tbl::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng_internal.fact_defs x WHERE x.source::oid OPERATOR(pg_catalog.=) ANY (gone) AND NOT x.source_dropped)
          OR EXISTS (SELECT 1 FROM dataeng_internal.dimension_defs x WHERE x.source::oid OPERATOR(pg_catalog.=) ANY (gone) AND NOT x.source_dropped)
          OR EXISTS (SELECT 1 FROM dataeng.rules x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.quarantine x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.cdc_tables x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng_internal.on_change_triggers x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.validation_runs x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.validation_results x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.alerts x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.dedupe_runs x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.monitor_checks x WHERE x.tbl::oid OPERATOR(pg_catalog.=) ANY (gone))
          OR EXISTS (SELECT 1 FROM dataeng.dead_letters x WHERE x.table_name::oid OPERATOR(pg_catalog.=) ANY (gone))) THEN
    RETURN;
  END IF;
  PERFORM dataeng_internal._tables_forget(gone, names);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._tables_on_drop() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._tables_on_drop() IS
  'internal: delete the rules, monitors and quarantined rows of a dropped relation, detach its history (event trigger dataeng_tables_on_drop)';

-- The relations dropped unseen (a temporary table at the end of its
-- session): the oids that rows of dataeng name and no relation has, given
-- to _tables_forget.  Run by maintain(); returns how many.
CREATE FUNCTION dataeng_internal._tables_gone()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  gone oid[];
BEGIN
  SELECT array_agg(DISTINCT x.o) INTO gone
    -- (a validation result's table is its run's)
    FROM (SELECT r.table_name::oid FROM dataeng.rules r
          UNION ALL SELECT q.table_name::oid FROM dataeng.quarantine q
          UNION ALL SELECT m.tbl::oid FROM dataeng.monitors m
          UNION ALL SELECT v.table_name::oid FROM dataeng.validation_runs v
          UNION ALL SELECT a.table_name::oid FROM dataeng.alerts a
          UNION ALL SELECT d.table_name::oid FROM dataeng.dedupe_runs d
          UNION ALL SELECT c.tbl::oid FROM dataeng.monitor_checks c
          UNION ALL SELECT l.table_name::oid FROM dataeng.dead_letters l
          UNION ALL SELECT ct.table_name::oid FROM dataeng.cdc_tables ct
          UNION ALL SELECT o.table_name::oid FROM dataeng_internal.on_change_triggers o
          UNION ALL SELECT f.source::oid FROM dataeng_internal.fact_defs f WHERE NOT f.source_dropped
          UNION ALL SELECT d.source::oid FROM dataeng_internal.dimension_defs d WHERE NOT d.source_dropped) x(o)
   WHERE x.o IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) x.o);
  IF gone IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM dataeng_internal._tables_forget(gone, ARRAY(SELECT 'OID ' OPERATOR(pg_catalog.||) g::text FROM unnest(gone) g));
  RETURN cardinality(gone);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._tables_gone() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._tables_gone() IS
  'internal: forget the relations dropped unseen, such as temporary tables gone with their session (maintain())';
CREATE EVENT TRIGGER dataeng_tables_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP VIEW', 'DROP MATERIALIZED VIEW', 'DROP FOREIGN TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng_internal._tables_on_drop();
COMMENT ON COLUMN dataeng.validation_runs.dropped_table IS
  'The name of the table when it was dropped (table_name is then NULL); NULL while the table exists';
COMMENT ON COLUMN dataeng.validation_results.dropped_table IS
  'The name of the table when it was dropped (table_name is then NULL); NULL while the table exists';
COMMENT ON COLUMN dataeng.alerts.dropped_table IS
  'The name of the table when it was dropped (table_name is then NULL); NULL while the table exists';
COMMENT ON COLUMN dataeng.dedupe_runs.dropped_table IS
  'The name of the table when it was dropped (table_name is then NULL); NULL while the table exists';
COMMENT ON COLUMN dataeng.dead_letters.dropped_table IS
  'The name of the table when it was dropped (table_name is then NULL); NULL while the table exists';
COMMENT ON COLUMN dataeng.monitor_checks.dropped_table IS
  'The name of the table when it was dropped (tbl is then NULL); NULL while the table exists';
