# pg_upgrade of a cluster where dataeng is installed (15 -> 15, into a new
# initdb'd cluster).  pg_upgrade refuses tables with columns of the reg*
# types whose oids it does not keep (regprocedure: a function's oid); alert
# handlers, their pending calls and on_change triggers now name their
# function by oid, by name (following renames) and by the catalog where the
# oid is valid.  A database holding every kind of dataeng object that
# records an oid (an alert handler of a renamed and moved function with a
# pending call, an on_change trigger of a table captured from the WAL, a
# job, a fact, a dimension, a consumer with a pending change, a rule) passes
# pg_upgrade --check and is upgraded (--link); in the new cluster:
#  - the handlers name the same functions (by their new names);
#  - the pending call is made by alert_check(), an alert resolved calls the
#    handler; a WAL change reaches the on_change handler;
#  - the job runs, the fact refresh applies the new changes exactly once,
#    the dimension refreshes, the consumer polls from where it was, the
#    rule validates.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $extra = qq{
dataeng.maintenance_interval = 0
};
my $old = WalNode::new_node('upg_old', $extra);
$old->start;

# Poll $sql on $node until it returns 't' (60 s at most).
sub wait_for
{
	my ($node, $sql) = @_;
	return $node->poll_query_until('postgres', $sql);
}

$old->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE ROLE alice LOGIN;
	CREATE SCHEMA app AUTHORIZATION alice;
	CREATE SCHEMA ops AUTHORIZATION alice;
	SET ROLE alice;
	-- an alert handler, and a monitor whose alert it gets
	CREATE TABLE app.alert_log (event text, kind text, object text);
	CREATE FUNCTION app.on_alert(a jsonb) RETURNS void LANGUAGE sql
	  AS $$ INSERT INTO app.alert_log VALUES (a->>'event', a->>'kind', a->>'object') $$;
	SELECT dataeng.alert_handler_add('app.on_alert(jsonb)');
	CREATE TABLE app.quiet (at timestamptz);
	SELECT dataeng.monitor_create('quiet', 'app.quiet', 'at', max_silence => '1 hour', schedule => '@yearly');
	SELECT (dataeng.monitor_check('quiet')).ok;
	-- an on_change trigger of a table captured from the WAL
	CREATE TABLE app.clicks (id int PRIMARY KEY, url text);
	CREATE TABLE app.click_log (id int, op text);
	CREATE FUNCTION app.on_clicks(c dataeng.change[]) RETURNS void LANGUAGE sql
	  AS $$ INSERT INTO app.click_log SELECT (x.new_row->>'id')::int, x.op::text FROM unnest(c) x $$;
	RESET ROLE;
	SELECT dataeng.cdc_enable('app.clicks', method => 'wal');
	SET ROLE alice;
	SELECT dataeng.on_change('clicks', 'app.clicks', 'app.on_clicks(dataeng.change[])');
	-- a job
	CREATE TABLE app.job_log (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('tick', '@yearly', 'INSERT INTO app.job_log DEFAULT VALUES');
	SELECT dataeng.job_run_now('tick');
	RESET ROLE;
});
is($old->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync()}), 't', 'the WAL worker has switched the table');
$old->safe_psql('postgres', q{INSERT INTO app.clicks VALUES (1, '/a')});
is($old->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync()}), 't', 'WAL capture synced');
ok(wait_for($old, q{SELECT count(*) = 1 FROM app.click_log}), 'the on_change handler got the first change');
ok(wait_for($old, q{SELECT count(*) = 1 FROM app.job_log}), 'the job ran once');
ok(wait_for($old, q{SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'tick'}), 'its run is finished');
is($old->safe_psql('postgres', q{SELECT string_agg(event || ' ' || kind, ',') FROM app.alert_log}),
	'raised monitor_silence', 'the handler got the monitor\'s alert');

$old->safe_psql('postgres', q{
	-- the handlers' functions renamed and moved: followed by name
	ALTER FUNCTION app.on_alert(jsonb) RENAME TO on_alert_renamed;
	ALTER FUNCTION app.on_alert_renamed(jsonb) SET SCHEMA ops;
	ALTER FUNCTION app.on_clicks(dataeng.change[]) RENAME TO on_clicks_renamed;
	-- a call put off (as by a session holding another role's temporary
	-- objects), made by the next alert_check()
	INSERT INTO dataeng_internal.alert_handler_pending (handler, alert_id, event, doc)
	SELECT h.handler, a.alert_id, 'raised', jsonb_build_object('event', 'pending', 'kind', a.kind, 'object', 'put off')
	  FROM dataeng.alert_handlers h, dataeng.alerts a;

	-- a consumer with a pending change (capture by trigger)
	CREATE TABLE events (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('events');
	SELECT dataeng.cdc_consumer_create('reader', '{events}');
	INSERT INTO events SELECT g, 'v' || g FROM generate_series(1, 5) g;
});
$old->safe_psql('postgres', q{
	SELECT dataeng.cdc_ack('reader', max(change_id)) FROM dataeng.cdc_poll('reader');
	INSERT INTO events VALUES (6, 'pending');

	-- a fact and a dimension, refreshed
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
	    (SELECT at, region, count(*) AS n, sum(amount) AS s FROM sales GROUP BY 1, 2
	     EXCEPT SELECT bucket::date, region, count, sum_amount FROM sales_daily)
	    UNION ALL
	    (SELECT bucket::date, region, count, sum_amount FROM sales_daily
	     EXCEPT SELECT at, region, count(*), sum(amount) FROM sales GROUP BY 1, 2)) d $$;
	-- a rule
	CREATE TABLE orders (id int PRIMARY KEY, amount numeric);
	INSERT INTO orders VALUES (1, 5), (2, -1);
	SELECT dataeng.rule_add('orders', 'amount positive', 'range', 'amount', '{"min": 0}');
	SELECT count(*) FROM dataeng.validate('orders');
});
is($old->safe_psql('postgres', 'SELECT fact_diff()'), '0', 'the fact equals its source before the upgrade');
is($old->safe_psql('postgres', q{
	SELECT (SELECT string_agg(handler::text, ',') FROM dataeng.alert_handlers) || ' '
	    || (SELECT string_agg(handler::text, ',') FROM dataeng.on_changes)}),
	'ops.on_alert_renamed(jsonb) app.on_clicks_renamed(dataeng.change[])',
	'the handlers are shown by their functions\' new names');
# everything the WAL worker has decoded is handled before the server stops
$old->safe_psql('postgres', q{INSERT INTO app.clicks VALUES (2, '/b')});
is($old->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync()}), 't', 'WAL capture synced before the upgrade');
ok(wait_for($old, q{SELECT count(*) = 2 FROM app.click_log}), 'the on_change handler got the second change');
my $system_before = $old->safe_psql('postgres', q{SELECT system_identifier FROM pg_control_system()});
$old->stop;

# pg_upgrade into a new cluster of the same settings, from a directory of
# its own (it writes its logs there)
my $new = WalNode::new_node('upg_new', $extra);
my $bindir = $new->config_data('--bindir');
my $workdir = PostgreSQL::Test::Utils::tempdir;
chdir $workdir or die "chdir $workdir: $!";
my @upgrade = ('pg_upgrade', '--no-sync', '-d', $old->data_dir, '-D', $new->data_dir,
	'-b', $bindir, '-B', $bindir, '-s', $new->host, '-p', $old->port, '-P', $new->port);
command_ok([ @upgrade, '--check' ], 'pg_upgrade --check accepts the cluster');
command_ok([ @upgrade, '--link' ], 'pg_upgrade --link');
$new->start;

isnt($new->safe_psql('postgres', q{SELECT system_identifier FROM pg_control_system()}), $system_before,
	'the new cluster has another system identifier');
is($new->safe_psql('postgres', q{
	SELECT (SELECT string_agg(handler::text, ',') FROM dataeng.alert_handlers) || ' '
	    || (SELECT string_agg(handler::text, ',') FROM dataeng.on_changes)}),
	'ops.on_alert_renamed(jsonb) app.on_clicks_renamed(dataeng.change[])',
	'the handlers name the same functions in the new cluster');

# the alert handler: the pending call, then an alert resolved
$new->safe_psql('postgres', q{SELECT dataeng.alert_check()});
is($new->safe_psql('postgres', q{SELECT string_agg(event || ' ' || object, ',') FROM app.alert_log WHERE event = 'pending'}),
	'pending put off', 'alert_check() made the call put off before the upgrade');
$new->safe_psql('postgres', q{
	INSERT INTO app.quiet VALUES (now());
	SELECT (dataeng.monitor_check('quiet')).ok;
});
is($new->safe_psql('postgres', q{SELECT string_agg(event || ' ' || kind, ',' ORDER BY event) FROM app.alert_log WHERE event <> 'pending'}),
	'raised monitor_silence,resolved monitor_silence', 'the handler got the alert resolved after the upgrade');
is($new->safe_psql('postgres', q{SELECT calls || ' ' || failures || ' ' || (handler_catalog = dataeng_internal._catalog_id())
	FROM dataeng_internal.alert_handlers}),
	'3 0 true', 'the handler\'s row follows the function into this catalog, its counts kept');

# the on_change trigger: the worker makes its slot again, then a change
# committed after it reaches the handler
is($new->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync()}), 't', 'the WAL worker runs in the new cluster');
$new->safe_psql('postgres', q{INSERT INTO app.clicks VALUES (3, '/c')});
is($new->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync()}), 't', 'WAL capture synced after the upgrade');
ok(wait_for($new, q{SELECT count(*) = 3 FROM app.click_log}), 'the on_change handler got the change made after the upgrade');
is($new->safe_psql('postgres', q{SELECT string_agg(id || op, ',' ORDER BY id) FROM app.click_log}),
	'1I,2I,3I', 'each change once');
is($new->safe_psql('postgres', q{SELECT count(*) FROM dataeng.dead_letters}), '0', 'no dead letter');

# the job runs again
$new->safe_psql('postgres', q{SET ROLE alice; SELECT dataeng.job_run_now('tick')});
ok(wait_for($new, q{SELECT count(*) = 2 FROM app.job_log}), 'the job ran in the new cluster');
ok(wait_for($new, q{SELECT count(*) = 2 FROM dataeng.job_runs WHERE status = 'succeeded'}), 'its run succeeded');

# the consumer polls from where it was: the pending change, once
is($new->safe_psql('postgres', q{SELECT string_agg(new_row->>'v', ',') FROM dataeng.cdc_poll('reader')}),
	'pending', 'the consumer gets the change pending at the upgrade');
$new->safe_psql('postgres', q{
	SELECT dataeng.cdc_ack('reader', max(change_id)) FROM dataeng.cdc_poll('reader');
	INSERT INTO events VALUES (7, 'after');
});
is($new->safe_psql('postgres', q{SELECT string_agg(new_row->>'v', ',') FROM dataeng.cdc_poll('reader')}),
	'after', 'and then the changes made after it');

# the fact applies the new changes exactly once; the dimension refreshes
$new->safe_psql('postgres', q{
	INSERT INTO sales SELECT g, date '2026-01-01' + g % 30, 'r' || g % 3, g FROM generate_series(301, 330) g;
	UPDATE sales SET amount = amount + 1 WHERE id % 7 = 0;
	DELETE FROM sales WHERE id % 11 = 0;
	SELECT dataeng.fact_refresh('sales_daily');
	SELECT dataeng.fact_refresh('sales_daily');
	SELECT dataeng.dimension_refresh('sales_dim');
});
is($new->safe_psql('postgres', 'SELECT fact_diff()'), '0', 'the fact equals its source after refreshes in the new cluster');
is($new->safe_psql('postgres', q{
	SELECT count(*) FROM (
	  (SELECT id, region FROM sales_dim WHERE is_current EXCEPT ALL SELECT id, region FROM sales)
	  UNION ALL
	  (SELECT id, region FROM sales EXCEPT ALL SELECT id, region FROM sales_dim WHERE is_current)) x}),
	'0', 'the dimension\'s current rows equal the source');

# the rule validates
is($new->safe_psql('postgres', q{SELECT failed FROM dataeng.validate('orders')}), '1', 'the rule validates');

# a rename in the new cluster is followed too
$new->safe_psql('postgres', q{ALTER FUNCTION ops.on_alert_renamed(jsonb) RENAME TO on_alert_again});
is($new->safe_psql('postgres', q{SELECT handler_name FROM dataeng_internal.alert_handlers}),
	'ops.on_alert_again(pg_catalog.jsonb)', 'a rename after the upgrade is followed');

$new->stop;
done_testing();
