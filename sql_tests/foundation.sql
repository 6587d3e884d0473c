-- Foundation: install, GUCs, info, clean removal.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- What the database holds before the extension is installed.
SELECT string_agg(kind || '=' || n, ', ' ORDER BY kind) AS catalog_counts FROM (
  SELECT 'class' AS kind, count(*) AS n FROM pg_class
  UNION ALL SELECT 'proc', count(*) FROM pg_proc
  UNION ALL SELECT 'type', count(*) FROM pg_type
  UNION ALL SELECT 'namespace', count(*) FROM pg_namespace
  UNION ALL SELECT 'trigger', count(*) FROM pg_trigger
  UNION ALL SELECT 'event_trigger', count(*) FROM pg_event_trigger
  UNION ALL SELECT 'depend', count(*) FROM pg_depend
  UNION ALL SELECT 'description', count(*) FROM pg_description
  UNION ALL SELECT 'init_privs', count(*) FROM pg_init_privs) c \gset before_

CREATE EXTENSION dataeng;

SELECT version, preloaded, enabled FROM dataeng.info();
SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'dataeng';

-- SECURITY DEFINER functions pin search_path.
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1;

-- Every function declares its volatility, strictness and parallel safety
-- on purpose: each is checked against this reviewed list (volatility i/s/v,
-- STRICT, parallel s/r/u).  The review: pure functions are IMMUTABLE,
-- STRICT when a NULL argument gives NULL (not those whose second argument
-- may be NULL, nor the entry points that must refuse a NULL with an
-- error), PARALLEL SAFE; readers of tables or catalogs are STABLE;
-- writers and what runs code as another role are VOLATILE; internal
-- helpers, run by the leader only, are not marked PARALLEL SAFE.  A new
-- function, a function gone, or a changed declaration is listed below the
-- query until this list is reviewed again (keep it sorted).
-- (no temporary table: the catalogs must be as they were after DROP EXTENSION)
WITH reviewed (fn, vol, strict, par) AS (VALUES
  ('dataeng.alert_check()', 'v', false, 'u'),
  ('dataeng.alert_handler_add(regprocedure,text[])', 'v', false, 'u'),
  ('dataeng.alert_handler_drop(regprocedure)', 'v', true, 'u'),
  ('dataeng.alert_set(text,text,text)', 'v', false, 'u'),
  ('dataeng.cdc_ack(text)', 'v', true, 'u'),
  ('dataeng.cdc_ack(text,bigint)', 'v', true, 'u'),
  ('dataeng.cdc_ack(text,dataeng.cdc_position)', 'v', true, 'u'),
  ('dataeng.cdc_consumer_create(text,regclass[],boolean)', 'v', false, 'u'),
  ('dataeng.cdc_consumer_drop(text)', 'v', true, 'u'),
  ('dataeng.cdc_disable(regclass)', 'v', true, 'u'),
  ('dataeng.cdc_enable(regclass,text[],text[],boolean,text)', 'v', false, 'u'),
  ('dataeng.cdc_poll(text,integer,boolean)', 'v', true, 'u'),
  ('dataeng.cdc_purge()', 'v', false, 'u'),
  ('dataeng.cdc_wal_sync(interval)', 'v', false, 'u'),
  ('dataeng.clean_text(text)', 'i', true, 's'),
  ('dataeng.convert_unit(numeric,text,text)', 'i', true, 's'),
  ('dataeng.credit_card_problem(text)', 'i', true, 's'),
  ('dataeng.damerau_levenshtein(text,text)', 'i', true, 's'),
  ('dataeng.date_problem(text,text)', 'i', true, 's'),
  ('dataeng.dedupe(regclass,text[],text,text,double precision,boolean)', 'v', false, 'u'),
  ('dataeng.dedupe_forget(bigint)', 'v', true, 'u'),
  ('dataeng.dedupe_undo(bigint)', 'v', true, 'u'),
  ('dataeng.dimension_create(text,regclass,text,text[],integer,text)', 'v', false, 'u'),
  ('dataeng.dimension_drop(text)', 'v', true, 'u'),
  ('dataeng.dimension_refresh(text)', 'v', true, 'u'),
  ('dataeng.double_metaphone(text)', 'i', true, 's'),
  ('dataeng.email_problem(text,text)', 'i', true, 's'),
  ('dataeng.fact_backfill(text,interval)', 'v', false, 'u'),
  ('dataeng.fact_create(text,regclass,text,text,text[],text[],text,text)', 'v', false, 'u'),
  ('dataeng.fact_drop(text)', 'v', true, 'u'),
  ('dataeng.fact_rebuild(text)', 'v', true, 'u'),
  ('dataeng.fact_refresh(text)', 'v', true, 'u'),
  ('dataeng.fill_missing(regclass,text,text,text,text)', 'v', false, 'u'),
  ('dataeng.find_duplicates(regclass,text[],double precision,text)', 'v', false, 'u'),
  ('dataeng.fingerprint(text)', 'i', true, 's'),
  ('dataeng.fold_accents(text)', 'i', true, 's'),
  ('dataeng.fx_rate(text,date)', 's', true, 's'),
  ('dataeng.guard_disable(regclass)', 'v', true, 'u'),
  ('dataeng.guard_enable(regclass,text)', 'v', false, 'u'),
  ('dataeng.iban_problem(text)', 'i', true, 's'),
  ('dataeng.info()', 's', true, 's'),
  ('dataeng.is_credit_card(text)', 'i', true, 's'),
  ('dataeng.is_date(text,text)', 'i', true, 's'),
  ('dataeng.is_email(text,text)', 'i', true, 's'),
  ('dataeng.is_iban(text)', 'i', true, 's'),
  ('dataeng.is_isbn(text)', 'i', true, 's'),
  ('dataeng.is_luhn(text)', 'i', true, 's'),
  ('dataeng.is_phone(text,text)', 'i', false, 's'),
  ('dataeng.is_postal_code(text,text)', 'i', true, 's'),
  ('dataeng.is_url(text,text[])', 'i', true, 's'),
  ('dataeng.is_uuid(text)', 'i', true, 's'),
  ('dataeng.isbn_problem(text)', 'i', true, 's'),
  ('dataeng.jaro_winkler(text,text)', 'i', true, 's'),
  ('dataeng.job_pause(text)', 'v', true, 'u'),
  ('dataeng.job_resume(text)', 'v', true, 'u'),
  ('dataeng.job_run_now(text)', 'v', true, 'u'),
  ('dataeng.lineage_dot(regclass)', 's', false, 'u'),
  ('dataeng.locf(anyelement)', 'i', false, 's'),
  ('dataeng.luhn_problem(text)', 'i', true, 's'),
  ('dataeng.maintain()', 'v', false, 'u'),
  ('dataeng.metaphone_key(text)', 'i', true, 's'),
  ('dataeng.monitor_check(text)', 'v', true, 'u'),
  ('dataeng.monitor_create(text,regclass,text,interval,bigint,interval,numeric,text)', 'v', false, 'u'),
  ('dataeng.monitor_drop(text)', 'v', true, 'u'),
  ('dataeng.name_case(text,boolean)', 'i', true, 's'),
  ('dataeng.ngram_fingerprint(text,integer)', 'i', true, 's'),
  ('dataeng.normalize_email(text,boolean)', 'i', true, 's'),
  ('dataeng.normalize_email_strict(text,boolean)', 'i', true, 's'),
  ('dataeng.on_change(text,regclass,regprocedure,text[],text)', 'v', false, 'u'),
  ('dataeng.on_change_drop(text)', 'v', true, 'u'),
  ('dataeng.on_change_pause(text)', 'v', true, 'u'),
  ('dataeng.on_change_resume(text)', 'v', true, 'u'),
  ('dataeng.parse_date(text,text)', 'i', false, 's'),
  ('dataeng.parse_number(text,text)', 'i', false, 's'),
  ('dataeng.parse_number_strict(text,text)', 'i', false, 's'),
  ('dataeng.parse_quantity(text)', 'i', true, 's'),
  ('dataeng.parse_timestamp(text,text,text)', 's', false, 's'),
  ('dataeng.phone_possible(text,text)', 'i', false, 's'),
  ('dataeng.phone_problem(text,text)', 'i', false, 's'),
  ('dataeng.postal_code_problem(text,text)', 'i', true, 's'),
  ('dataeng.quarantine_release(bigint,jsonb)', 'v', false, 'u'),
  ('dataeng.require_preload(text)', 's', true, 's'),
  ('dataeng.rows_readable(regclass,name)', 's', false, 'u'),
  ('dataeng.rule_add(regclass,text,text,text,jsonb,text)', 'v', false, 'u'),
  ('dataeng.rule_drop(regclass,text)', 'v', true, 'u'),
  ('dataeng.schedule(text,text,text,interval,integer,text[])', 'v', false, 'u'),
  ('dataeng.to_currency(numeric,text,text,date)', 's', true, 's'),
  ('dataeng.to_e164(text,text)', 'i', false, 's'),
  ('dataeng.unschedule(text)', 'v', true, 'u'),
  ('dataeng.url_problem(text,text[])', 'i', true, 's'),
  ('dataeng.uuid_problem(text)', 'i', true, 's'),
  ('dataeng.validate(regclass,boolean)', 'v', false, 'u'),
  ('dataeng_internal._agg_ack(regrole,text,bigint)', 'v', true, 'u'),
  ('dataeng_internal._agg_ack(text,bigint)', 'v', true, 'u'),
  ('dataeng_internal._agg_as_owner(regrole,text,text)', 'v', false, 'u'),
  ('dataeng_internal._agg_btree_op(regtype,integer)', 's', true, 'u'),
  ('dataeng_internal._agg_capture(regclass,text[],text)', 'v', false, 'u'),
  ('dataeng_internal._agg_changes_table()', 'v', false, 'u'),
  ('dataeng_internal._agg_column(regclass,text,text)', 's', false, 'u'),
  ('dataeng_internal._agg_def_check(regrole,text,text,regclass,regclass)', 's', false, 'u'),
  ('dataeng_internal._agg_drop(regclass,text,text)', 'v', false, 'u'),
  ('dataeng_internal._agg_drop_check(regrole,regclass,text,text,text)', 's', false, 'u'),
  ('dataeng_internal._agg_image_cols(regclass,text[])', 's', true, 'u'),
  ('dataeng_internal._agg_image_keys(regclass,text[])', 's', true, 'u'),
  ('dataeng_internal._agg_json_col(regclass,text,text)', 's', true, 'u'),
  ('dataeng_internal._agg_missing_column(regclass,text[])', 's', false, 's'),
  ('dataeng_internal._agg_changed_column(regclass,regclass,text[])', 's', false, 's'),
  ('dataeng_internal._agg_source_exists(text,text,regclass)', 's', false, 'u'),
  ('dataeng_internal._agg_name(text)', 'i', true, 's'),
  ('dataeng_internal._agg_new_table(text,text,text)', 's', false, 'u'),
  ('dataeng_internal._agg_poll(text,bigint)', 'v', false, 'u'),
  ('dataeng_internal._agg_reserved_check(text,text,regrole)', 's', false, 'u'),
  ('dataeng_internal._agg_restore_consumer()', 'v', false, 'u'),
  ('dataeng_internal._agg_sum_type(regclass,text)', 's', true, 'u'),
  ('dataeng_internal._agg_temp_as(text,text)', 'v', true, 'u'),
  ('dataeng_internal._agg_temp_table(text,text)', 'v', false, 'u'),
  ('dataeng_internal._alert_handler_add(regrole,regprocedure,text[])', 'v', false, 'u'),
  ('dataeng_internal._alert_handler_call(regrole,text,integer)', 'v', true, 'u'),
  ('dataeng_internal._alert_handler_drop(regrole,regprocedure)', 'v', true, 'u'),
  ('dataeng_internal._alert_raise(text,text,text,text,text,jsonb,regrole,regclass)', 'v', false, 'u'),
  ('dataeng_internal._alert_resolve(text)', 'v', false, 'u'),
  ('dataeng_internal._alert_send(dataeng.alerts,text,boolean)', 'v', false, 'u'),
  ('dataeng_internal._alert_set(regrole,text,text,text)', 'v', false, 'u'),
  ('dataeng_internal._alert_visible(dataeng.alerts,regrole)', 's', false, 'u'),
  ('dataeng_internal._cdc_ack(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._cdc_ack(regrole,text,bigint)', 'v', true, 'u'),
  ('dataeng_internal._cdc_ack(regrole,text,dataeng.cdc_position)', 'v', true, 'u'),
  ('dataeng_internal._cdc_can_read(regrole,oid)', 's', true, 's'),
  ('dataeng_internal._cdc_check_table(regclass,regrole)', 's', false, 'u'),
  ('dataeng_internal._cdc_consumer(text,regrole,boolean)', 'v', false, 'u'),
  ('dataeng_internal._cdc_consumer_create(regrole,text,regclass[],boolean)', 'v', false, 'u'),
  ('dataeng_internal._cdc_snapshot_ack(dataeng_internal.cdc_consumer_state,bigint)', 'v', true, 'u'),
  ('dataeng_internal._cdc_snapshot_copy(text,regrole,regclass,text[],text[],xid8,xid8,xid8[],bigint)', 'v', false, 'u'),
  ('dataeng_internal._cdc_snapshot_usable(xid8)', 'v', true, 'u'),
  ('dataeng_internal._cdc_require_snapshot_acked(text,regrole)', 's', true, 'u'),
  ('dataeng_internal._cdc_consumer_drop(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._cdc_consumer_list()', 's', false, 'u'),
  ('dataeng_internal._cdc_consumer_list_as_owner(regrole)', 's', false, 'u'),
  ('dataeng_internal._cdc_disable(regrole,regclass)', 'v', true, 'u'),
  ('dataeng_internal._cdc_drop_triggers(regclass)', 'v', false, 'u'),
  ('dataeng_internal._cdc_enable(regrole,regclass,text[],text[],boolean,text)', 'v', false, 'u'),
  ('dataeng_internal._cdc_install(regclass,text,boolean)', 'v', false, 'u'),
  ('dataeng_internal._cdc_lag(dataeng_internal.cdc_consumer_state,regrole)', 's', false, 'u'),
  ('dataeng_internal._cdc_count_batches(integer)', 'v', true, 'u'),
  ('dataeng_internal._cdc_limits()', 's', false, 's'),
  ('dataeng_internal._cdc_on_ddl()', 'v', false, 'u'),
  ('dataeng_internal._cdc_on_drop()', 'v', false, 'u'),
  ('dataeng_internal._cdc_partition_leaves(oid,oid)', 's', true, 'u'),
  ('dataeng_internal._cdc_poll(regrole,text,integer,boolean)', 'v', true, 'u'),
  ('dataeng_internal._cdc_poll_ranges(dataeng_internal.cdc_consumer_state,regrole,integer,boolean)', 'v', true, 'u'),
  ('dataeng_internal._cdc_poll_txns(regrole,text,regclass)', 'v', true, 'u'),
  ('dataeng_internal._cdc_poll_unordered(regrole,text,integer)', 'v', true, 'u'),
  ('dataeng_internal._cdc_poll_unordered(text,integer)', 'v', true, 'u'),
  ('dataeng_internal._cdc_rename_column(oid,text,text,boolean)', 'v', false, 'u'),
  ('dataeng_internal._cdc_snapshot_with(pg_snapshot,xid8)', 'i', true, 's'),
  ('dataeng_internal._cdc_status()', 's', false, 'u'),
  ('dataeng_internal._cdc_status_as_owner(regrole)', 's', false, 'u'),
  ('dataeng_internal._cdc_sync_triggers()', 'v', false, 'u'),
  ('dataeng_internal._cdc_tables_visible()', 's', false, 'u'),
  ('dataeng_internal._cdc_tables_visible_as_owner(regrole)', 's', false, 'u'),
  ('dataeng_internal._cdc_tick(boolean)', 'v', false, 'u'),
  ('dataeng_internal._cdc_tick_covers(pg_snapshot,pg_snapshot)', 's', false, 'u'),
  ('dataeng_internal._cdc_tick_for(dataeng_internal.cdc_consumer_state)', 'v', false, 'u'),
  ('dataeng_internal._cdc_tick_here()', 'v', false, 'u'),
  ('dataeng_internal._cdc_tick_now(boolean)', 'v', false, 'u'),
  ('dataeng_internal._cdc_tick_worker()', 'v', false, 'u'),
  ('dataeng_internal._cdc_in_transaction_block()', 'v', false, 'u'),
  ('dataeng_internal._cdc_trigger_args(text[],text[],boolean)', 'i', false, 'u'),
  ('dataeng_internal._cdc_trigger_argv(text[],text[],boolean)', 'i', false, 'u'),
  ('dataeng_internal._cdc_wal_locked(oid)', 's', true, 'u'),
  ('dataeng_internal._cdc_wal_prepare(regclass,text)', 'v', false, 'u'),
  ('dataeng_internal._cdc_wal_full(regclass)', 'v', true, 'u'),
  ('dataeng_internal._cdc_wal_identity(regclass,boolean)', 'v', true, 'u'),
  ('dataeng_internal._cdc_wal_slot_lost(name,pg_lsn)', 'v', false, 'u'),
  ('dataeng_internal._cdc_wal_start()', 'v', false, 'u'),
  ('dataeng_internal._cdc_wal_switch(name)', 'v', false, 'u'),
  ('dataeng_internal._cdc_wal_sync(regrole,interval)', 'v', false, 'u'),
  ('dataeng_internal._dead_letter_list()', 's', false, 'u'),
  ('dataeng_internal._dead_letter_list_as_owner(regrole)', 's', false, 'u'),
  ('dataeng_internal._decoding_on_ddl()', 'v', false, 'u'),
  ('dataeng_internal._decoding_on_drop()', 'v', false, 'u'),
  ('dataeng_internal._decoding_put(name,jsonb)', 'v', false, 'u'),
  ('dataeng_internal._decoding_record_ddl(name)', 'v', false, 'u'),
  ('dataeng_internal._decoding_record_drop(name)', 'v', false, 'u'),
  ('dataeng_internal._dedup_as(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._dedup_centers(regclass)', 'v', true, 'u'),
  ('dataeng_internal._dedup_check(regrole,regclass,text[])', 's', false, 'u'),
  ('dataeng_internal._dedup_clusters(regrole,regclass,text[],double precision,text)', 'v', false, 'u'),
  ('dataeng_internal._dedup_estimate(text[],double precision[],integer,bigint)', 'i', true, 's'),
  ('dataeng_internal._dedup_identifier(regclass,text)', 's', true, 's'),
  ('dataeng_internal._dedup_may_read(regrole,oid)', 's', false, 'u'),
  ('dataeng_internal._dedup_pattern(text[],text[])', 'i', true, 's'),
  ('dataeng_internal._dedup_prob(text,double precision[],double precision[])', 'i', true, 's'),
  ('dataeng_internal._dedupe(regrole,regclass,text[],text,text,double precision,boolean)', 'v', false, 'u'),
  ('dataeng_internal._dedupe_forget(regrole,bigint)', 'v', true, 'u'),
  ('dataeng_internal._dedupe_run(regrole,bigint)', 'v', false, 'u'),
  ('dataeng_internal._runs_cascade()', 'v', false, 'u'),
  ('dataeng_internal._dedupe_undo(regrole,bigint)', 'v', true, 'u'),
  ('dataeng_internal._agg_lock_source(regclass,text)', 'v', true, 'u'),
  ('dataeng_internal._dim_apply(text,regclass,text,text[],regclass,integer,boolean[])', 'v', false, 'u'),
  ('dataeng_internal._dim_attrs_differ(dataeng_internal.dimension_defs,text,text,boolean,boolean)', 's', false, 'u'),
  ('dataeng_internal._dim_create(text,regclass,text,text[],integer,text,text)', 'v', false, 'u'),
  ('dataeng_internal._dim_def(regrole,text,boolean)', 'v', false, 'u'),
  ('dataeng_internal._dim_def(text,boolean)', 'v', false, 'u'),
  ('dataeng_internal._dim_def_write(regrole,text,dataeng_internal.dimension_defs,bigint)', 'v', false, 'u'),
  ('dataeng_internal._dim_def_write(text,dataeng_internal.dimension_defs,bigint)', 'v', false, 'u'),
  ('dataeng_internal._dim_differ(regclass,text,text,text)', 's', true, 'u'),
  ('dataeng_internal._dim_events(text,regclass,text,text[])', 'v', true, 'u'),
  ('dataeng_internal._dim_on_alter()', 'v', false, 'u'),
  ('dataeng_internal._dim_resync(dataeng_internal.dimension_defs,bigint,timestamp with time zone)', 'v', false, 'u'),
  ('dataeng_internal._dim_type_keeps_values(oid,integer,oid,integer)', 's', true, 's'),
  ('dataeng_internal._dot_id(text,text)', 'i', false, 's'),
  ('dataeng_internal._exec_as(regrole,text,boolean)', 'v', true, 'u'),
  ('dataeng_internal._expression_check(regrole,regclass,text)', 'v', true, 'u'),
  ('dataeng_internal._fact_backfill_batch(text,interval,timestamp with time zone,bigint)', 'v', false, 'u'),
  ('dataeng_internal._fact_backfill_pct(timestamp with time zone,timestamp with time zone,timestamp with time zone)', 'i', false, 's'),
  ('dataeng_internal._fact_bucket(anyelement,text,text)', 's', true, 's'),
  ('dataeng_internal._fact_reserve(anyarray,bigint,anyarray,anyarray,integer,boolean)', 'i', false, 's'),
  ('dataeng_internal._fact_reserve_agg(anyelement,integer,boolean)', 'i', false, 's'),
  ('dataeng_internal._fact_reserve_check(anyarray,bigint)', 'v', false, 'r'),
  ('dataeng_internal._fact_reserve_final(internal,anyelement,integer,boolean)', 'i', false, 's'),
  ('dataeng_internal._fact_reserve_ran_out()', 'v', false, 'r'),
  ('dataeng_internal._fact_reserve_step(internal,anyelement,integer,boolean)', 'i', false, 's'),
  ('dataeng_internal._fact_reserve_union(anyarray,integer,boolean)', 'i', false, 's'),
  ('dataeng_internal._fact_reserve_union_final(internal,anyarray,integer,boolean)', 'i', false, 's'),
  ('dataeng_internal._fact_reserve_union_step(internal,anyarray,integer,boolean)', 'i', false, 's'),
  ('dataeng_internal._fact_bucket_expr(text,regtype,text,text)', 'i', true, 'u'),
  ('dataeng_internal._fact_bucket_in(text,regtype,text)', 'i', true, 's'),
  ('dataeng_internal._fact_bucket_out(text,regtype,text)', 'i', true, 's'),
  ('dataeng_internal._fact_bucket_type(regclass)', 's', true, 's'),
  ('dataeng_internal._fact_bucket_rows(dataeng_internal.fact_defs,regtype,boolean,text)', 's', false, 'u'),
  ('dataeng_internal._fact_create(text,regclass,text,text,text[],text[],text,text,text)', 'v', false, 'u'),
  ('dataeng_internal._fact_def(regrole,text,boolean)', 'v', false, 'u'),
  ('dataeng_internal._fact_def(text,boolean)', 'v', false, 'u'),
  ('dataeng_internal._fact_def_validate(dataeng_internal.fact_defs)', 's', false, 'u'),
  ('dataeng_internal._fact_def_write(regrole,text,dataeng_internal.fact_defs,bigint)', 'v', false, 'u'),
  ('dataeng_internal._fact_def_write(text,dataeng_internal.fact_defs,bigint)', 'v', false, 'u'),
  ('dataeng_internal._fact_deltas(text,regclass,text,text,text,text[],text[],boolean[],boolean[],boolean[])', 'v', true, 'u'),
  ('dataeng_internal._fact_has_side(dataeng_internal.fact_defs)', 's', false, 'u'),
  ('dataeng_internal._fact_measure_distinct_ok(regclass,dataeng_internal.fact_measure)', 's', true, 'u'),
  ('dataeng_internal._fact_side_apply(regclass,integer,regclass)', 'v', true, 'u'),
  ('dataeng_internal._fact_side_apply_reason(regclass,integer)', 's', true, 's'),
  ('dataeng_internal._fact_side_create(dataeng_internal.fact_defs)', 'v', false, 'u'),
  ('dataeng_internal._fact_side_drop(dataeng_internal.fact_defs,text)', 'v', false, 'u'),
  ('dataeng_internal._fact_side_fill(dataeng_internal.fact_defs,regclass,text,text,text,timestamp with time zone,timestamp with time zone,boolean)', 'v', false, 'u'),
  ('dataeng_internal._fact_source_check(dataeng_internal.fact_defs)', 's', false, 'u'),
  ('dataeng_internal._fact_side_name(text)', 'i', true, 's'),
  ('dataeng_internal._fact_side_qname(dataeng_internal.fact_defs)', 's', false, 'u'),
  ('dataeng_internal._fact_side_table(dataeng_internal.fact_defs)', 's', false, 'u'),
  ('dataeng_internal._fact_values_cat(anycompatiblearray)', 'i', false, 's'),
  ('dataeng_internal._fact_extreme_ok(regclass,text)', 's', true, 'u'),
  ('dataeng_internal._fact_grain(text)', 'i', true, 's'),
  ('dataeng_internal._fact_storage_name(text)', 'i', true, 's'),
  ('dataeng_internal._fact_storage_free(text,text)', 's', true, 'u'),
  ('dataeng_internal._fact_on_drop()', 'v', false, 'u'),
  ('dataeng_internal._fact_keys_eq(text[],text[],boolean[],text[])', 'i', true, 'u'),
  ('dataeng_internal._fact_measure_cols(dataeng_internal.fact_measure,boolean)', 'i', true, 'u'),
  ('dataeng_internal._fact_parse_measure(regclass,text,regrole)', 's', false, 'u'),
  ('dataeng_internal._fact_measure_parse(regclass,text,regrole)', 's', false, 'u'),
  ('dataeng_internal._fact_measure_value(dataeng_internal.fact_measure)', 'i', true, 's'),
  ('dataeng_internal._fact_measure_valid(dataeng_internal.fact_measure)', 'i', false, 's'),
  ('dataeng_internal._fact_measure_read(jsonb)', 's', true, 's'),
  ('dataeng_internal._fact_measures(jsonb)', 's', true, 's'),
  ('dataeng_internal._fact_measure_json(dataeng_internal.fact_measure)', 's', true, 's'),
  ('dataeng_internal._fact_delta_sql(dataeng_internal.fact_measure,integer,text)', 'i', false, 'u'),
  ('dataeng_internal._fact_reserve_sql(dataeng_internal.fact_measure,integer,integer)', 'i', true, 'u'),
  ('dataeng_internal._fact_value_sql(integer,text,text,text)', 'i', false, 'u'),
  ('dataeng_internal._fact_col_array_type(regclass,text)', 's', true, 'u'),
  ('dataeng_internal._fact_groups_insert_sql(dataeng_internal.fact_defs,text,text,text,text)', 's', false, 'u'),
  ('dataeng_internal._fact_merge(text,regclass,bigint)', 'v', false, 'u'),
  ('dataeng_internal._fact_merge_sql(regclass,text,text,text,text,text)', 's', false, 'u'),
  ('dataeng_internal._fact_upsert_sql(regclass,text,text,text,text,text)', 's', false, 'u'),
  ('dataeng_internal._fact_recompute_sql(regclass,text,text,text[],text,text,text)', 's', false, 'u'),
  ('dataeng_internal._fact_rec_buckets(dataeng_internal.fact_defs,boolean)', 'v', true, 'u'),
  ('dataeng_internal._fact_choose_path(dataeng_internal.fact_defs,text,bigint,boolean,boolean[],text[],boolean)', 'v', false, 'u'),
  ('dataeng_internal._fact_side_changes_sql(dataeng_internal.fact_defs,regtype,integer,integer,text)', 's', false, 'u'),
  ('dataeng_internal._fact_side_upsert_sql(dataeng_internal.fact_defs,regclass,integer)', 's', false, 'u'),
  ('dataeng_internal._fact_avg_column_sql(text,text)', 's', true, 'u'),
  ('dataeng_internal._fact_storage_sql(text,text[],text[],boolean)', 'i', true, 'u'),
  ('dataeng_internal._fact_view_sql(text,text[],dataeng_internal.fact_measure[],regclass)', 's', true, 'u'),
  ('dataeng_internal._fact_measure_check(text,regclass,dataeng_internal.fact_measure,regrole)', 's', false, 'u'),
  ('dataeng_internal._fact_measure_extreme_ok(regclass,dataeng_internal.fact_measure)', 's', true, 'u'),
  ('dataeng_internal._agg_sum_type_of(regtype)', 's', true, 's'),
  ('dataeng_internal._fact_range_pred(text,regtype,text)', 'i', true, 'u'),
  ('dataeng_internal._fact_rebuild(dataeng_internal.fact_defs,bigint)', 'v', false, 'u'),
  ('dataeng_internal._fact_refresh(text,boolean)', 'v', true, 'u'),
  ('dataeng_internal._fact_sql(dataeng_internal.fact_defs)', 's', false, 'u'),
  ('dataeng_internal._fact_time_indexed(dataeng_internal.fact_defs)', 's', false, 'u'),
  ('dataeng_internal._find_duplicates(regrole,regclass,text[],double precision,text)', 'v', false, 'u'),
  ('dataeng_internal._guard_disable(regrole,regclass)', 'v', true, 'u'),
  ('dataeng_internal._guard_enable(regrole,regclass,text)', 'v', false, 'u'),
  ('dataeng_internal._guard_load_done(regrole,regclass,bigint,bigint)', 'v', true, 'u'),
  ('dataeng_internal._guard_touch(regclass)', 'v', false, 'u'),
  ('dataeng_internal._in_transaction_block()', 'v', true, 'r'),
  ('dataeng_internal._insertable_columns(regclass)', 's', true, 'u'),
  ('dataeng_internal._is_superuser(regrole)', 's', true, 's'),
  ('dataeng_internal._job(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._job_cap_lock(regrole)', 'v', true, 'u'),
  ('dataeng_internal._job_command_check(text,text)', 's', true, 's'),
  ('dataeng_internal._job_pause(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._job_resume(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._job_run_now(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._job_schedule(regrole,text,text,text,interval,integer,text[])', 'v', false, 'u'),
  ('dataeng_internal._job_unschedule(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._job_visible(regrole,regrole)', 's', true, 's'),
  ('dataeng_internal._lineage()', 's', false, 'u'),
  ('dataeng_internal._locf_step(anyelement,anyelement)', 'i', false, 's'),
  ('dataeng_internal._monitor_check(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._monitor_create(regrole,text,regclass,text,interval,bigint,interval,numeric,text)', 'v', false, 'u'),
  ('dataeng_internal._monitor_drop(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._on_change(regrole,text,regclass,regprocedure,text[],text)', 'v', false, 'u'),
  ('dataeng_internal._on_change_drop(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._on_change_lock(regrole,text,boolean)', 'v', true, 'u'),
  ('dataeng_internal._on_change_pause(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._on_change_pausing(regrole,text,boolean)', 'v', true, 'u'),
  ('dataeng_internal._on_change_resume(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._on_change_list()', 's', false, 'u'),
  ('dataeng_internal._on_change_list_as_owner(regrole)', 's', false, 'u'),
  ('dataeng_internal._ops_default(text)', 'i', true, 's'),
  ('dataeng_internal._ops_object_owner(text)', 's', true, 'u'),
  ('dataeng_internal._ops_setting(text,text,regrole)', 's', false, 's'),
  ('dataeng_internal._quarantine_put(regclass,bigint,jsonb)', 'v', false, 'u'),
  ('dataeng_internal._quarantine_put_as_owner(regrole,regclass,bigint,jsonb)', 'v', false, 'u'),
  ('dataeng_internal._quarantine_move(regrole,text,regclass,bigint)', 'v', true, 'u'),
  ('dataeng_internal._quarantine_release(regrole,bigint,jsonb)', 'v', false, 'u'),
  ('dataeng_internal._quarantine_take(bigint)', 'v', false, 'u'),
  ('dataeng_internal._quarantine_take_as_owner(regrole,bigint)', 'v', false, 'u'),
  ('dataeng_internal._query_as(regrole,text)', 'v', true, 'u'),
  ('dataeng_internal._record_run(regclass,timestamp with time zone,bigint,jsonb,bigint)', 'v', false, 'u'),
  ('dataeng_internal._record_run_as_owner(regrole,regclass,timestamp with time zone,bigint,jsonb,bigint)', 'v', false, 'u'),
  ('dataeng_internal._require_owner(regrole,regclass,text)', 's', false, 'u'),
  ('dataeng_internal._rule_add(regrole,regclass,text,text,text,jsonb,text)', 'v', false, 'u'),
  ('dataeng_internal._rule_condition(dataeng.rules)', 's', false, 'u'),
  ('dataeng_internal._rule_drop(regrole,regclass,text)', 'v', true, 'u'),
  ('dataeng_internal._run_record(regrole,regclass,timestamp with time zone,bigint,jsonb,bigint)', 'v', false, 'u'),
  ('dataeng_internal._schedule_next(text,timestamp with time zone)', 'i', true, 's'),
  ('dataeng_internal._schedule_valid(text)', 's', true, 's'),
  ('dataeng_internal._scheduler_pid()', 'v', false, 'u'),
  ('dataeng_internal._scheduler_now()', 'v', false, 's'),
  ('dataeng_internal._scheduler_test_now(timestamp with time zone)', 'v', false, 'u'),
  ('dataeng_internal._scheduler_wake()', 'v', false, 'u'),
  ('dataeng_internal._scheduler_wake_now()', 'v', false, 'u'),
  ('dataeng_internal._status_rows()', 's', false, 'u'),
  ('dataeng_internal._validate(regrole,regclass,boolean)', 'v', false, 'u'),
  ('dataeng_internal.capture()', 'v', false, 'u'),
  ('dataeng_internal.capture_partition_truncate()', 'v', false, 'u'),
  ('dataeng_internal.guard()', 'v', false, 'u'),
  ('dataeng_internal.guard_load()', 'v', false, 'u'))
SELECT coalesce(p.fn, r.fn) AS function,
       CASE WHEN r.fn IS NULL THEN 'not reviewed' WHEN p.fn IS NULL THEN 'gone' ELSE 'changed' END AS problem,
       p.vol, p.strict, p.par, r.vol AS reviewed_vol, r.strict AS reviewed_strict, r.par AS reviewed_par
  FROM (SELECT x.oid::regprocedure::text AS fn, x.provolatile::text AS vol, x.proisstrict AS strict,
               x.proparallel::text AS par
          FROM pg_proc x WHERE x.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)) p
  FULL JOIN reviewed r ON r.fn = p.fn
 WHERE (p.vol, p.strict, p.par) IS DISTINCT FROM (r.vol, r.strict, r.par)
 ORDER BY 1;

-- GUCs
SHOW dataeng.enabled;
-- server-wide switch: postgresql.conf only (bad values there: see t/001_preload.pl)
SET dataeng.enabled = off;
SET dataeng.cdc_segment_size = 0;
SET dataeng.cdc_segment_size = 1000;
SHOW dataeng.cdc_segment_size;
RESET dataeng.cdc_segment_size;
SET dataeng.no_such_setting = 1;

-- The preload is there in this suite's cluster: no error.
SELECT dataeng.require_preload('the scheduler');

-- Dropping leaves nothing behind.
DROP EXTENSION dataeng;
SELECT string_agg(kind || '=' || n, ', ' ORDER BY kind) AS catalog_counts FROM (
  SELECT 'class' AS kind, count(*) AS n FROM pg_class
  UNION ALL SELECT 'proc', count(*) FROM pg_proc
  UNION ALL SELECT 'type', count(*) FROM pg_type
  UNION ALL SELECT 'namespace', count(*) FROM pg_namespace
  UNION ALL SELECT 'trigger', count(*) FROM pg_trigger
  UNION ALL SELECT 'event_trigger', count(*) FROM pg_event_trigger
  UNION ALL SELECT 'depend', count(*) FROM pg_depend
  UNION ALL SELECT 'description', count(*) FROM pg_description
  UNION ALL SELECT 'init_privs', count(*) FROM pg_init_privs) c \gset after_
SELECT :'before_catalog_counts' = :'after_catalog_counts' AS same_catalogs;

-- And it installs again.
CREATE EXTENSION dataeng;
SELECT version FROM dataeng.info();
DROP EXTENSION dataeng;
-- The schema belongs to the extension.
CREATE EXTENSION dataeng;
SELECT count(*) AS objects_outside_schema
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataeng')
   AND d.deptype = 'e'
   AND pg_describe_object(d.classid, d.objid, 0) NOT LIKE '%dataeng%';
DROP EXTENSION dataeng;
SELECT count(*) AS leftover_schema FROM pg_namespace WHERE nspname = 'dataeng';
