# What a backup carries: pg_dump -Fc of a database that uses every feature
# (captured tables and a consumer with pending changes, a fact, a
# dimension, rules with a quarantine, a guard, a dedupe run, a job with
# runs, validation runs and alerts), pg_restore into a new database, then:
#  - every dataeng table is either carried row for row (the user data and
#    history, with the sequences that number them) or on the list of what
#    is not carried, and why (a new table must be put on one of the lists);
#  - the restored database goes on working: new runs, alerts, quarantined
#    rows and dedupe runs are numbered after the restored ones (no duplicate
#    key), a quarantined row is released, a dedupe run made before the dump
#    is undone, the fact and the dimension refresh, the job runs, the guard
#    still quarantines, capture goes on;
#  - the change log and consumers are not carried (their positions are
#    transaction ids and table oids of the dumped cluster): polling the
#    consumer fails with an error, never with a silent gap.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('backup');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.launcher_naptime = 1
});
$node->start;

# The tables pg_dump carries, and those it does not.
my @carried = qw(alert_handlers alert_settings alerts cdc_tables dead_letters dedupe_log
	dedupe_runs dimension_defs fact_defs fx_rates job_runs jobs monitor_checks monitors
	quarantine rules validation_results validation_runs);
my %not_carried = (
	change_log => 'transaction ids and table oids of the dumped cluster',
	change_log_0 => 'a segment of change_log', change_log_1 => 'a segment of change_log',
	change_log_2 => 'a segment of change_log', change_log_3 => 'a segment of change_log',
	cdc_ticks => 'snapshots of the dumped cluster', cdc_batch_txns => 'transaction ids of the dumped cluster',
	cdc_batch_tables => 'counts of batches of the dumped cluster, which are not carried',
	cdc_consumer_state => 'positions in the change log, which is not carried',
	cdc_snapshot_rows => 'the initial snapshots of consumers, which are not carried',
	cdc_dropped_readers => 'readers of dropped tables\' changes in the change log, which is not carried',
	_agg_acking => 'only during a refresh',
	_ddl_events => 'always empty: each DDL event is inserted and deleted in its transaction',
	cdc_wal_state => 'WAL positions of the dumped cluster',
	cdc_wal_tables => 'WAL positions of the dumped cluster',
	cdc_wal_stops => 'table oids of the dumped cluster (a stop waits there a round at most)',
	cdc_wal_dropped => 'tables dropped in the dumped cluster, with transaction ids there (until its WAL worker records their changes)',
	on_change_triggers => 'WAL positions of the dumped cluster (re-create them after a restore)',
	on_change_backlog => 'batches of on_change triggers, which are not carried',
	on_change_resume_progress => 'resumes of on_change triggers, which are not carried',
	on_change_depths => 'transaction ids and WAL positions of the dumped cluster',
	alert_handler_pending => 'alert handler calls put off in the dumped cluster, for its alerts there',
	consumer_lag => 'a cache that maintain() fills again',
	maintenance => 'what the last maintain() did in the dumped cluster');

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	-- capture and a consumer with pending changes
	CREATE TABLE events (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('events');
	SELECT dataeng.cdc_consumer_create('app', '{events}');
	INSERT INTO events SELECT g, 'v' || g FROM generate_series(1, 5) g;
});
$node->safe_psql('postgres', q{
	SELECT dataeng.cdc_ack('app', max(change_id)) FROM dataeng.cdc_poll('app');
	INSERT INTO events VALUES (6, 'pending');
});
is($node->safe_psql('postgres', q{SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'app'}),
	'1', 'the consumer has a pending change at the dump');

$node->safe_psql('postgres', q{
	-- a fact and a dimension
	CREATE TABLE sales (id int PRIMARY KEY, at date NOT NULL, region text, amount numeric);
	INSERT INTO sales SELECT g, date '2026-01-01' + g % 30, 'r' || g % 3, g FROM generate_series(1, 300) g;
	SELECT dataeng.fact_create('sales_daily', 'sales', 'at', 'day', ARRAY['region'],
	                           ARRAY['count(*)', 'sum(amount)'], schedule => NULL);
	SELECT dataeng.dimension_create('sales_dim', 'sales', 'id', ARRAY['region'], 2, schedule => NULL);
	UPDATE sales SET region = 'moved' WHERE id % 10 = 0;
	SELECT dataeng.fact_refresh('sales_daily');
	SELECT dataeng.dimension_refresh('sales_dim');
	CREATE FUNCTION fact_diff() RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(*) FROM (
	    (SELECT bucket, region, count, sum_amount FROM sales_daily
	     EXCEPT ALL SELECT date_trunc('day', at::timestamp AT TIME ZONE current_setting('TimeZone')), region,
	                       count(*), sum(amount) FROM sales GROUP BY 1, 2)
	    UNION ALL
	    (SELECT date_trunc('day', at::timestamp AT TIME ZONE current_setting('TimeZone')), region,
	            count(*), sum(amount) FROM sales GROUP BY 1, 2
	     EXCEPT ALL SELECT bucket, region, count, sum_amount FROM sales_daily)) x
	$$;
	CREATE FUNCTION dim_diff() RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(*) FROM (
	    (SELECT id, region FROM sales_dim WHERE is_current EXCEPT ALL SELECT id, region FROM sales)
	    UNION ALL
	    (SELECT id, region FROM sales EXCEPT ALL SELECT id, region FROM sales_dim WHERE is_current)) x
	$$;

	-- rules, a validation run that quarantines and alerts
	CREATE TABLE orders (id int PRIMARY KEY, email text, amount numeric);
	INSERT INTO orders SELECT g, 'u' || g || '@example.com', g FROM generate_series(1, 20) g;
	INSERT INTO orders VALUES (21, 'not an email', 5), (22, 'x@example.com', -1), (23, NULL, 3);
	SELECT dataeng.rule_add('orders', 'email valid', 'validator', 'email', '{"function": "email"}');
	SELECT dataeng.rule_add('orders', 'amount positive', 'range', 'amount', '{"min": 0}');
	SELECT dataeng.rule_add('orders', 'email present', 'not_null', 'email', '{}', 'warning');
	SELECT count(*) FROM dataeng.validate('orders', quarantine => true);
	-- the guard quarantines a bad row of a load
	SELECT dataeng.guard_enable('orders', 'quarantine');
	INSERT INTO orders VALUES (24, 'y@example.com', 7), (25, 'bad', 8);

	-- a dedupe run
	CREATE TABLE people (id int PRIMARY KEY, name text, city text, phone text, email text);
	INSERT INTO people VALUES (1, 'Ada Lovelace', 'London', NULL, 'ada@example.org'),
	                          (2, 'Ada Lovelace', 'London', '555', NULL),
	                          (3, 'Alan Turing', 'Wilmslow', NULL, NULL), (4, 'Alan Turing', 'Wilmslow', NULL, NULL),
	                          (5, 'Grace Hopper', 'Arlington', '777', NULL);
	SELECT dataeng.dedupe('people', '{name,city}', threshold => 0.5, fill_nulls => true);

	-- a job and its runs
	CREATE TABLE job_log (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('tick', '@yearly', 'INSERT INTO job_log DEFAULT VALUES');
	SELECT dataeng.job_run_now('tick');
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM dataeng.job_runs WHERE status = 'succeeded'}),
	'the job ran before the dump');
ok($node->poll_query_until('postgres', q{SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'tick'}),
	'the job\'s run is finished');

is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM dataeng.quarantine WHERE run_id IN (SELECT run_id FROM dataeng.validation_runs)) || ' '
	    || (SELECT count(*) FROM dataeng.quarantine) || ' '
	    || (SELECT count(*) FROM dataeng.alerts) || ' '
	    || (SELECT count(*) FROM dataeng.dedupe_log) || ' '
	    || (SELECT count(*) FROM dataeng.validation_results)}),
	'2 3 3 3 3', 'every feature left rows: quarantine (validate, guard), alerts (validate, guard), dedupe log, results');

# Every dataeng table is on one of the lists.
my $tables = $node->safe_psql('postgres', q{
	SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
	 WHERE relnamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND relkind IN ('r', 'p')});
is($tables, join(' ', sort(@carried, keys %not_carried)),
	'every dataeng table is either carried by a dump or listed as not carried');
# what pg_dump dumps of the extension is the carried tables and their sequences
is($node->safe_psql('postgres', q{
	SELECT string_agg(c.relname, ' ' ORDER BY c.relname)
	  FROM pg_extension e, unnest(e.extconfig) x, pg_class c
	 WHERE e.extname = 'dataeng' AND c.oid = x AND c.relkind IN ('r', 'p')}),
	join(' ', sort @carried), 'the carried tables are extension configuration tables');
my $seqs_unmarked = $node->safe_psql('postgres', q{
	SELECT coalesce(string_agg(s.relname, ' ' ORDER BY s.relname), '')
	  FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
	  JOIN pg_class t ON t.oid = d.refobjid
	  JOIN pg_extension e ON e.extname = 'dataeng'
	 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
	   AND t.oid = ANY (e.extconfig) AND NOT s.oid = ANY (e.extconfig)});
is($seqs_unmarked, '', 'every sequence of a carried table is carried');

# Snapshot of the carried tables, row for row, and of their sequences.
sub snapshot
{
	my ($db) = @_;
	my %snap;
	# each table's schema: dataeng, or dataeng_internal for the bookkeeping
	my %qual = map { split /\|/ } split /\n/, $node->safe_psql($db, q{
		SELECT relname || '|' || relnamespace::regnamespace || '.' || relname FROM pg_class
		 WHERE relnamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)});
	for my $t (@carried)
	{
		$snap{$t} = $node->safe_psql($db,
			qq{SELECT count(*) || E'\\n' || coalesce(string_agg(r, E'\\n' ORDER BY r), '')
			     FROM (SELECT (to_jsonb(x) - 'resync_pending')::text AS r FROM $qual{$t} x) y});
	}
	$snap{sequences} = $node->safe_psql($db, q{
		SELECT string_agg(c.relname || '=' || coalesce(s.last_value::text, 'unused'), ' ' ORDER BY c.relname)
		  FROM pg_extension e, unnest(e.extconfig) x, pg_class c, pg_sequences s
		 WHERE e.extname = 'dataeng' AND c.oid = x AND c.relkind = 'S'
		   AND s.schemaname IN ('dataeng', 'dataeng_internal') AND s.sequencename = c.relname});
	return \%snap;
}
my $before = snapshot('postgres');

my $dump = PostgreSQL::Test::Utils::tempdir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore, without a single error');

# (restored facts and dimensions are marked for their first refresh to make
# them equal to their sources: t/018_agg_restore.pl; the mark is left out)
my $after = snapshot('restored');
for my $t (@carried, 'sequences')
{
	is($after->{$t}, $before->{$t}, "dataeng.$t restored row for row");
}
isnt($before->{quarantine}, "0\n", 'the quarantine had rows to carry');

# Continued behaviour in the restored database.
# validation: a new run, its alert and its quarantined row are numbered
# after the restored ones
$node->safe_psql('restored', q{
	SELECT dataeng.guard_disable('orders');
	INSERT INTO orders VALUES (30, 'late', 1);
	SELECT count(*) FROM dataeng.validate('orders', quarantine => true);
});
is($node->safe_psql('restored', q{
	SELECT (SELECT string_agg(run_id::text, ',' ORDER BY run_id) FROM dataeng.validation_runs) || ' '
	    || (SELECT string_agg(alert_id || ':' || run_id, ',' ORDER BY alert_id) FROM dataeng.alerts) || ' '
	    || (SELECT string_agg(quarantine_id || ':' || coalesce(run_id::text, '-') || ':' || (row_data->>'id'), ','
	                          ORDER BY quarantine_id) FROM dataeng.quarantine)}),
	'1,3 1:1,2:1,3:2,4:3 1:1:21,2:1:22,3:2:25,4:3:30', 'validate after the restore: run, alert and quarantined row numbered after the restored ones');
# the guard is still there
$node->safe_psql('restored', q{
	SELECT dataeng.guard_enable('orders', 'quarantine');
	INSERT INTO orders VALUES (31, 'bad again', 1);
});
is($node->safe_psql('restored', q{SELECT count(*) FROM dataeng.quarantine WHERE row_data->>'id' = '31'}),
	'1', 'the guard quarantines after the restore');
# a row quarantined before the dump is released
is($node->safe_psql('restored', q{
	SELECT dataeng.quarantine_release(quarantine_id, '{"email": "fixed@example.com"}')
	  FROM dataeng.quarantine WHERE row_data->>'id' = '21'}),
	't', 'quarantine_release of a row quarantined before the dump');
is($node->safe_psql('restored', q{SELECT email FROM orders WHERE id = 21}), 'fixed@example.com',
	'the released row is back in its table');

# dedupe: a new run (no duplicate key), and undo of the run made before the dump
$node->safe_psql('restored', q{
	INSERT INTO people VALUES (6, 'Grace Hopper', 'Arlington', NULL, NULL);
	SELECT dataeng.dedupe('people', '{name,city}', threshold => 0.5);
});
is($node->safe_psql('restored', q{SELECT string_agg(run_id::text, ',' ORDER BY run_id) FROM dataeng.dedupe_runs}),
	'1,2', 'a dedupe run after the restore is numbered after the restored one');
is($node->safe_psql('restored', q{SELECT dataeng.dedupe_undo(1)}), '2', 'undo of the dedupe run made before the dump');
is($node->safe_psql('restored', q{SELECT string_agg(id || ':' || coalesce(phone, '-'), ' ' ORDER BY id) FROM people}),
	'1:- 2:555 3:- 4:- 5:777', 'the table is as it was before that run (the filled survivor emptied again)');

# the fact and the dimension refresh
$node->safe_psql('restored', q{
	INSERT INTO sales SELECT g, date '2026-02-01' + g % 5, 'r' || g % 4, g FROM generate_series(1000, 1050) g;
	UPDATE sales SET region = 'again' WHERE id % 9 = 0;
	DELETE FROM sales WHERE id % 13 = 0;
});
is($node->safe_psql('restored', q{SELECT dataeng.fact_refresh('sales_daily') > 0 AND dataeng.dimension_refresh('sales_dim') > 0}),
	't', 'the fact and the dimension apply the changes made after the restore');
is($node->safe_psql('restored', 'SELECT fact_diff() + dim_diff()'), '0', 'both equal their source');

# the job runs again, its run numbered after the restored one
$node->safe_psql('restored', q{SELECT dataeng.job_run_now('tick')});
ok($node->poll_query_until('restored', q{
	SELECT count(*) = 2 AND max(run_id) = 2 AND bool_and(status = 'succeeded') FROM dataeng.job_runs}),
	'the job runs in the restored database');
is($node->safe_psql('restored', q{SELECT count(*) FROM job_log}), '2', 'its command ran once more');

# capture goes on; the consumer was not carried, and says so
my ($rc, $out, $err) = $node->psql('restored', q{SELECT * FROM dataeng.cdc_poll('app')});
isnt($rc, 0, 'polling a consumer of the dumped database fails');
like($err, qr/consumer "app" does not exist/, 'with an error naming the consumer');
$node->safe_psql('restored', q{
	SELECT dataeng.cdc_consumer_create('app', '{events}');
	INSERT INTO events VALUES (7, 'after');
});
is($node->safe_psql('restored', q{SELECT string_agg(new_row->>'v', ',') FROM dataeng.cdc_poll('app')}),
	'after', 'a consumer created again receives the changes made after it');

$node->stop;
done_testing();
