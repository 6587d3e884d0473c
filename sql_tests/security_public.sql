-- What PUBLIC may do: every function of dataeng a role with no grants may
-- execute, and every relation and sequence of dataeng it may write, each
-- with the reason it is safe.  A function or grant added without a reason
-- here shows up as 'NO REASON' and fails this test.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE sp_nobody;

CREATE TEMP TABLE reasons (name text PRIMARY KEY, reason text NOT NULL);
INSERT INTO reasons VALUES
  -- pure functions: their result depends on their arguments alone, they
  -- read no table and run no caller-supplied code with other rights
  ('clean_text', 'pure'), ('convert_unit', 'pure'), ('credit_card_problem', 'pure'),
  ('damerau_levenshtein', 'pure'), ('date_problem', 'pure'), ('double_metaphone', 'pure'),
  ('email_problem', 'pure'), ('fingerprint', 'pure'), ('fold_accents', 'pure'),
  ('iban_problem', 'pure'), ('is_credit_card', 'pure'), ('is_date', 'pure'), ('is_email', 'pure'),
  ('is_iban', 'pure'), ('is_isbn', 'pure'), ('is_luhn', 'pure'), ('is_phone', 'pure'),
  ('is_postal_code', 'pure'), ('is_url', 'pure'), ('is_uuid', 'pure'), ('isbn_problem', 'pure'),
  ('jaro_winkler', 'pure'), ('luhn_problem', 'pure'), ('metaphone_key', 'pure'), ('name_case', 'pure'),
  ('ngram_fingerprint', 'pure'), ('normalize_email', 'pure'), ('normalize_email_strict', 'pure'),
  ('parse_date', 'pure'), ('parse_number', 'pure'), ('parse_number_strict', 'pure'),
  ('parse_quantity', 'pure'), ('phone_possible', 'pure'), ('phone_problem', 'pure'),
  ('postal_code_problem', 'pure'), ('to_e164', 'pure'), ('url_problem', 'pure'),
  ('uuid_problem', 'pure'), ('parse_timestamp', 'pure'), ('locf', 'pure'),
  ('_schedule_next', 'pure'), ('_schedule_valid', 'pure'),
  -- reports about the server, nothing of any role's
  ('info', 'server state'), ('require_preload', 'server state'),
  ('_scheduler_pid', 'server state'), ('_cdc_wal_worker', 'server state'), ('_cdc_wal_slot', 'server state'),
  ('_cdc_wal_end', 'server state'),
  -- (the last error of the WAL capture worker and its failures in a row:
  -- NULL unless superuser or REPLICATION)
  ('_cdc_wal_last_error', 'server state'), ('_cdc_wal_fail_streak', 'server state'),
  ('_in_transaction_block', 'server state'),
  -- wakes this database's scheduler at commit: it then reads dataeng.jobs
  -- as it would on its own; no row is read or written for the caller
  ('_scheduler_wake', 'wake-up'), ('_scheduler_wake_now', 'wake-up'),
  -- invoker-rights C entry points: they call their body as its owner with
  -- the calling role (GetUserId()), and the body checks that role's rights
  ('cdc_ack', 'entry point'), ('cdc_consumer_create', 'entry point'),
  ('cdc_consumer_drop', 'entry point'), ('cdc_disable', 'entry point'), ('cdc_enable', 'entry point'),
  ('cdc_poll', 'entry point'), ('_agg_wal_caught_up', 'entry point'), ('guard_disable', 'entry point'), ('guard_enable', 'entry point'),
  ('job_pause', 'entry point'), ('job_resume', 'entry point'), ('job_run_now', 'entry point'),
  ('rule_add', 'entry point'), ('rule_drop', 'entry point'), ('schedule', 'entry point'),
  ('unschedule', 'entry point'), ('_cdc_consumer_list', 'entry point'),
  ('_cdc_tables_visible', 'entry point'), ('_cdc_poll_unordered', 'entry point'),
  ('_quarantine_take', 'entry point'), ('_record_run', 'entry point'),
  ('_fact_deltas', 'entry point'), ('_dim_events', 'entry point'), ('_dim_apply', 'entry point'), ('_agg_ack', 'entry point'), ('_fact_def', 'entry point'),
  ('_fact_def_write', 'entry point'), ('_dim_def', 'entry point'), ('_dim_def_write', 'entry point'),
  ('dedupe_forget', 'entry point'),
  ('on_change', 'entry point'), ('on_change_drop', 'entry point'), ('on_change_dead_letter_delete', 'entry point'),
  ('on_change_pause', 'entry point'), ('on_change_resume', 'entry point'), ('_on_change_list', 'entry point'),
  ('_dead_letter_list', 'entry point'), ('_cdc_status', 'entry point'), ('cdc_wal_sync', 'entry point'),
  ('_cdc_capture_errors', 'entry point'),
  -- C writing a table the caller names: only one the caller owns (and holds
  -- SELECT, INSERT, UPDATE, DELETE on), exactly as _fact_side_create made it
  ('_fact_side_apply', 'writes caller-owned table only'),
  ('_fact_apply', 'writes caller-owned table only'),
  -- C reading the catalog of a table the caller names (its columns,
  -- constraints, rules, triggers, owner), writes nothing
  ('_fact_side_apply_reason', 'reads catalog entries only'),
  -- C locking a table the caller names against a concurrent ATTACH
  -- PARTITION (SHARE UPDATE EXCLUSIVE): only one the caller may read
  -- (with its partitions: only one it owns), as reading it locks it too
  ('_cdc_reader_lock', 'locks a table the caller may read'),
  -- acts as a role only for a caller that has that role's privileges, and
  -- only as a security-restricted operation (like SET ROLE, but less)
  ('_agg_as_owner', 'acts for a role the caller has'),
  -- creates a temporary table of a query's names and types, only inside
  -- _agg_as_owner and for the role it acts as
  ('_agg_temp_table', 'inside _agg_as_owner only'), ('_agg_temp_kept', 'inside _agg_as_owner only'),
  -- say what the catalogs and has_table_privilege() already say: the
  -- row-level security policies of dataeng's tables call them as the reader
  ('rows_readable', 'reports privileges'), ('_dedup_may_read', 'reports privileges'),
  ('_is_superuser', 'reports privileges'),
  -- whether a role oid names a role (of a given name unless the given
  -- system identifier is this cluster's): the policies of the runs,
  -- alerts, settings and dead letters call it as the reader
  ('_owner_trusted', 'reports privileges'),
  -- this catalog's identity (system identifier, dataeng's extension oid),
  -- and the function a recorded oid, name and catalog name here: what
  -- pg_control_system() and to_regprocedure() already say; the view
  -- dataeng.alert_handlers (invoker rights) calls them as the reader
  ('_catalog_id', 'reads the catalogs'), ('_proc_resolve', 'reads the catalogs'),
  -- helpers of the invoker-rights functions below, invoker rights
  -- themselves: called directly they can do no more than the caller can
  ('_agg_name', 'invoker-rights helper'), ('_fact_measure_cols', 'invoker-rights helper'),
  ('_fact_parse_measure', 'invoker-rights helper'), ('_agg_column', 'invoker-rights helper'),
  ('_agg_drop_check', 'invoker-rights helper'), ('_agg_new_table', 'invoker-rights helper'),
  ('_agg_reserved_check', 'invoker-rights helper'), ('_dim_differ', 'invoker-rights helper'),
  ('_fact_sql', 'invoker-rights helper'), ('_rule_condition', 'invoker-rights helper'),
  -- rule conditions call it as whoever validates or writes a guarded row:
  -- a value's text form under fixed settings, nothing more; a range bound
  -- of a money column read under fixed settings, nothing more
  ('_rule_text', 'text form of a value'), ('_rule_text_varies', 'reads the catalogs'),
  ('_rule_number_type', 'reads the catalogs'),
  -- a domain's base type, from pg_type, which every role may read (code
  -- running as a dimension's owner calls it: _dim_differ)
  ('_base_type', 'reads the catalogs'),
  -- about how many rows a table holds, from pg_class and the size of its
  -- files, which every role may read (the loads that say how big they
  -- are, invoker rights, call it)
  ('_rows_estimate', 'reads the catalogs'),
  ('_money_c', 'reads a money constant'),
  -- validate()'s quarantine calls it as the table's owner: a row as JSON
  -- under fixed settings, nothing more
  ('_quarantine_row', 'text form of a value'),
  -- validate()'s scan calls it as the table's owner: whether the scan
  -- under way in the backend wants one more sample row, nothing more
  ('_validate_sample_wanted', 'state of the backend''s own scan'),
  -- the texts of statuses, checks and alerts (_status_rows, invoker
  -- rights): an interval, a moment or a count as text under fixed
  -- settings, nothing more
  ('_text_interval', 'text form of a value'), ('_text_time', 'text form of a value'),
  ('_text_rows', 'text form of a value'),
  -- what to do about a consumer holding back purging, from its name alone
  ('_consumer_remedy', 'text form of a value'),
  -- the cycle of dependencies a job is in (_status_rows, invoker rights):
  -- reads dataeng.jobs as the caller, who sees its own jobs only
  ('_job_cycle', 'invoker-rights helper'),
  -- the vertices on a cycle of a graph of numbered vertices: computes on
  -- its arguments, reads nothing
  ('_graph_cycles', 'pure'),
  -- the jobs held back by a stuck job further up (_status_rows, invoker
  -- rights): reads dataeng.jobs as the caller, who sees its own jobs only
  ('_job_stuck_above', 'invoker-rights helper'),
  -- marks the calling session as a restore's (a session lock held until
  -- it ends) only for a role that may INSERT into dataeng.jobs or
  -- dataeng.cdc_tables; any other role's call does nothing
  ('_restore_mark', 'checks the caller''s right'),
  ('_agg_capture', 'invoker-rights helper'), ('_agg_changes_table', 'invoker-rights helper'),
  ('_agg_drop', 'invoker-rights helper'), ('_agg_poll', 'invoker-rights helper'),
  ('_agg_temp_as', 'invoker-rights helper'), ('_dim_create', 'invoker-rights helper'),
  ('_dim_resync', 'invoker-rights helper'), ('_fact_backfill_batch', 'invoker-rights helper'),
  ('_fact_create', 'invoker-rights helper'), ('_fact_rebuild', 'invoker-rights helper'),
  ('_fact_refresh', 'invoker-rights helper'), ('_fact_source_check', 'invoker-rights helper'),
  ('_fact_backfill_pct', 'invoker-rights helper'), ('_fact_bucket_expr', 'invoker-rights helper'),
  ('_fact_grain', 'invoker-rights helper'), ('_fact_range_pred', 'invoker-rights helper'),
  ('_fact_rows_pred', 'invoker-rights helper'),
  ('_agg_image_cols', 'invoker-rights helper'), ('_agg_image_keys', 'invoker-rights helper'),
  ('_agg_json_col', 'invoker-rights helper'), ('_agg_sum_type', 'invoker-rights helper'),
  ('_agg_missing_column', 'invoker-rights helper'), ('_agg_changed_column', 'invoker-rights helper'),
  ('_agg_source_exists', 'invoker-rights helper'), ('_agg_rel_name', 'invoker-rights helper'),
  ('_agg_rel_ident', 'invoker-rights helper'),
  ('_dim_attrs_differ', 'invoker-rights helper'), ('_agg_lock_source', 'invoker-rights helper'),
  ('_cdc_wal_behind', 'invoker-rights helper'),
  -- calls a function given by its oid (one jsonb argument, one value) as
  -- the caller, who must hold EXECUTE on it, as a call by name asks: an
  -- alert handler's call, run as the handler's owner (_alert_send)
  ('_alert_handler_invoke', 'call by oid'),
  ('_cdc_lock_holders', 'invoker-rights helper'),
  ('_cdc_wal_slot_waits', 'invoker-rights helper'),
  ('_fact_extreme_ok', 'invoker-rights helper'), ('_agg_btree_op', 'invoker-rights helper'),
  ('_fact_keys_eq', 'invoker-rights helper'), ('_fact_bucket_rows', 'invoker-rights helper'),
  ('_fact_time_indexed', 'invoker-rights helper'), ('_fact_bucket_out', 'invoker-rights helper'),
  ('_fact_bucket_in', 'invoker-rights helper'), ('_fact_bucket_type', 'invoker-rights helper'),
  ('_fact_measure_value', 'invoker-rights helper'), ('_fact_measure_check', 'invoker-rights helper'),
  ('_fact_measure_extreme_ok', 'invoker-rights helper'), ('_agg_sum_type_of', 'invoker-rights helper'),
  ('_fact_storage_name', 'invoker-rights helper'), ('_fact_storage_free', 'invoker-rights helper'),
  ('_fact_measure_distinct_ok', 'invoker-rights helper'), ('_fact_has_side', 'invoker-rights helper'),
  ('_fact_measure_read', 'invoker-rights helper'), ('_fact_measures', 'invoker-rights helper'),
  ('_fact_measure_json', 'invoker-rights helper'), ('_fact_measure_valid', 'invoker-rights helper'),
  ('_fact_delta_sql', 'invoker-rights helper'), ('_fact_reserve_sql', 'invoker-rights helper'),
  ('_fact_value_sql', 'invoker-rights helper'), ('_fact_col_array_type', 'invoker-rights helper'),
  ('_fact_groups_insert_sql', 'invoker-rights helper'), ('_fact_merge', 'invoker-rights helper'),
  ('_fact_merge_sql', 'invoker-rights helper'),
  ('_fact_upsert_sql', 'invoker-rights helper'), ('_fact_recompute_sql', 'invoker-rights helper'),
  ('_fact_side_changes_sql', 'invoker-rights helper'), ('_fact_side_upsert_sql', 'invoker-rights helper'),
  ('_fact_side_chunks_sql', 'invoker-rights helper'),
  ('_fact_rec_buckets', 'invoker-rights helper'),
  ('_fact_choose_path', 'invoker-rights helper'),
  ('_fact_avg_column_sql', 'invoker-rights helper'), ('_fact_storage_sql', 'invoker-rights helper'),
  ('_fact_view_sql', 'invoker-rights helper'),
  ('_fact_side_name', 'invoker-rights helper'), ('_fact_side_qname', 'invoker-rights helper'),
  ('_fact_side_table', 'invoker-rights helper'), ('_fact_side_create', 'invoker-rights helper'),
  ('_fact_side_fill', 'invoker-rights helper'), ('_fact_side_drop', 'invoker-rights helper'),
  -- a measure parsed and analysed against its source with the caller's
  -- rights: nothing of it is run
  ('_fact_measure_parse', 'parse only'),
  -- SECURITY DEFINER recorders of the output plugin's DDL events: they take
  -- only the caller's role name (kept only if the session's role is a member
  -- of it), work only inside an event trigger (pg_event_trigger_ddl_commands()
  -- and pg_event_trigger_dropped_objects() raise an error elsewhere) and
  -- describe real tables from the catalogs
  ('_decoding_record_ddl', 'inside an event trigger only'),
  ('_decoding_record_drop', 'inside an event trigger only'),
  -- the bucket of a time value: date_trunc's arithmetic
  ('_fact_bucket', 'pure'), ('_fact_bucket_split', 'pure'), ('_fact_reserve', 'pure'), ('_fact_reserve_agg', 'pure'),
  ('_fact_reserve_final', 'pure'), ('_fact_reserve_step', 'pure'), ('_fact_reserve_union', 'pure'),
  ('_fact_reserve_union_final', 'pure'), ('_fact_reserve_union_step', 'pure'),
  ('_fact_reserve_first', 'pure'), ('_fact_values_cat', 'pure'),
  ('_fact_side_counts', 'pure'), ('_fact_side_counts_pack', 'pure'),
  -- a reserve made (as _fact_reserve makes it), counted in
  -- the calling backend when it ran out; the count read back (and started
  -- again): no table is read or written, nothing of another role is seen
  ('_fact_reserve_checked', 'backend counter'),
  ('_fact_reserve_ran_out', 'backend counter'), ('_fact_apply_last', 'backend counter'),
  ('_fact_deltas_total', 'backend counter'),
  -- a fold's groups held in the calling backend for its next C apply,
  -- only for a temporary table of this session that the current user owns
  -- and may write, and written only into that table
  ('_fact_deltas_hold', 'backend memory, own temp table'),
  ('_fact_deltas_write', 'writes caller-owned table only'),
  -- the build of a fact refresh kept in the calling backend for the role
  -- that kept it (GetUserId()), returned to that role only: a role can
  -- only hand itself texts it could run itself; the builder reads with the
  -- caller's rights
  ('_fact_built', 'backend cache, own role'), ('_fact_built_keep', 'backend cache, own role'),
  ('_fact_refresh_build', 'invoker-rights helper'),
  -- plain invoker-rights functions: they run with the caller's rights and
  -- read or write only what the caller itself may
  ('fx_rate', 'invoker rights'), ('to_currency', 'invoker rights'), ('fill_missing', 'entry point'),
  ('dedupe', 'entry point'), ('dedupe_undo', 'entry point'),
  ('dedupe_undo_clusters', 'entry point'), ('find_duplicates', 'entry point'),
  ('validate', 'entry point'), ('quarantine_release', 'entry point'),
  ('quarantine_release_all', 'entry point'),
  ('fact_create', 'invoker rights (C)'), ('fact_drop', 'invoker rights'), ('fact_refresh', 'invoker rights'),
  ('fact_backfill', 'invoker rights'), ('dimension_create', 'invoker rights (C)'),
  ('dimension_drop', 'invoker rights'), ('dimension_refresh', 'invoker rights'),
  ('fact_rebuild', 'invoker rights');
-- operations (ops.sql): entry points; the status, lineage and settings
-- helpers read with the caller's rights (row-level security, the other
-- areas' views); the alert bodies are not PUBLIC's; maintain() and
-- alert_check() refuse every role but a superuser first (invoker rights,
-- executable to give that error rather than a bare permission error)
INSERT INTO reasons VALUES
  ('maintain', 'invoker rights'), ('alert_check', 'invoker rights'),
  ('alert_set', 'entry point'), ('alert_handler_add', 'entry point'), ('alert_handler_drop', 'entry point'),
  ('monitor_create', 'entry point'), ('monitor_drop', 'entry point'), ('monitor_check', 'entry point'),
  ('_ops_default', 'pure'), ('_dot_id', 'pure'),
  ('_ops_setting', 'invoker-rights helper'), ('_status_rows', 'invoker-rights helper'),
  ('_lineage', 'invoker-rights helper'), ('lineage_dot', 'invoker rights');

-- every function PUBLIC may execute, and why
SELECT p.oid::regprocedure AS function, coalesce(r.reason, 'NO REASON') AS reason,
       CASE WHEN p.prosecdef THEN 'SECURITY DEFINER' END AS definer
  FROM pg_proc p LEFT JOIN reasons r ON r.name = p.proname
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
   AND has_function_privilege('sp_nobody', p.oid, 'EXECUTE')
 ORDER BY 2, p.oid::regprocedure::text;

-- an invoker-rights function is what its reason says: SQL or PL/pgSQL (C
-- for fact_create() and dimension_create(), which call their PL/pgSQL
-- bodies as the caller, src/aggregate/create.c), not SECURITY DEFINER; a
-- helper also has its search_path pinned (the public wrappers
-- fact_create(), fact_backfill() and dimension_create() read the caller's
-- current_schema())
SELECT p.oid::regprocedure AS not_plain_invoker_rights
  FROM pg_proc p JOIN reasons r ON r.name = p.proname
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
   AND r.reason IN ('invoker-rights helper', 'invoker rights', 'invoker rights (C)')
   AND (p.prosecdef
        OR p.prolang NOT IN (SELECT oid FROM pg_language
                              WHERE lanname IN ('sql', 'plpgsql') OR (lanname = 'c' AND r.reason = 'invoker rights (C)'))
        OR (r.reason = 'invoker-rights helper'
            AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)))
 ORDER BY p.oid::regprocedure::text;

-- a reason kept for a function PUBLIC no longer executes is stale
SELECT r.name AS stale_reason FROM reasons r
 WHERE NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
                      AND p.proname = r.name AND has_function_privilege('sp_nobody', p.oid, 'EXECUTE'))
 ORDER BY 1;

-- the only SECURITY DEFINER functions: the event triggers that follow DDL
-- of captured tables and of dimensions' sources, renames of facts' and
-- dimensions' sources (their recorded name follows), and drops of relations
-- with rules (their rules deleted) or with monitors, quarantined rows and
-- history (deleted, or detached) (no role calls them; they
-- run SQL of the extension's only, with search_path pinned; the
-- dimensions' one only marks a dimension to be compared with its source
-- at its next refresh) and the output plugin's DDL recorders
-- (only inside an event trigger, see above); entry points switch user in C
SELECT p.oid::regprocedure AS security_definer FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND p.prosecdef ORDER BY p.oid::regprocedure::text;

-- no relation or sequence of dataeng is writable by PUBLIC
SELECT c.oid::regclass AS writable, c.relkind
  FROM pg_class c
 WHERE c.relnamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND (has_table_privilege('sp_nobody', c.oid, 'INSERT') OR has_table_privilege('sp_nobody', c.oid, 'UPDATE')
        OR has_table_privilege('sp_nobody', c.oid, 'DELETE') OR has_table_privilege('sp_nobody', c.oid, 'TRUNCATE'))
 ORDER BY c.oid::regclass::text;
SELECT c.oid::regclass AS usable_sequence
  FROM pg_class c
 WHERE c.relnamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND c.relkind = 'S'
   AND (has_sequence_privilege('sp_nobody', c.oid, 'USAGE') OR has_sequence_privilege('sp_nobody', c.oid, 'UPDATE'))
 ORDER BY c.oid::regclass::text;
-- and the schema: PUBLIC uses it, creates nothing in it
SELECT has_schema_privilege('sp_nobody', 'dataeng', 'USAGE') AS usage,
       has_schema_privilege('sp_nobody', 'dataeng', 'CREATE') AS "create";

DROP EXTENSION dataeng;
DROP ROLE sp_nobody;
