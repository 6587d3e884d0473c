# Maintenance that runs itself, with the scheduler running and nobody
# calling dataeng.maintain() or dataeng.cdc_purge():
#  - the change log is purged once its consumer acknowledged;
#  - a consumer left behind raises its alert, resolved once it caught up;
#    the alert handler it reaches runs as its owner, not as the superuser
#    maintenance runs as;
#  - every database having the extension is maintained; one without it is
#    visited harmlessly;
#  - a maintenance that fails is logged as a WARNING and tried again, and
#    does not stop the other databases' maintenance;
#  - dataeng.maintenance_interval = 0 (a reload) stops it, another value
#    starts it again; 0 at server start leaves no process for it;
#  - WAL capture's replication slot has its row in pipeline_status.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ops_maintenance');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
wal_level = logical
dataeng.maintenance_interval = 1
});
if (`postgres --describe-config 2>/dev/null` =~ /^output_plugin_libraries/m) {
	$node->append_conf('postgresql.conf', "output_plugin_libraries = 'pgoutput, test_decoding, dataeng'");
}
$node->start;

$node->safe_psql('postgres', q{
	CREATE DATABASE other;
	CREATE DATABASE plain;
	CREATE ROLE alice LOGIN;
	CREATE EXTENSION dataeng;
	GRANT CREATE ON SCHEMA public TO alice;
	SET ROLE alice;
	CREATE TABLE src (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src');
	SELECT dataeng.cdc_consumer_create('reader', ARRAY['src'::regclass]);
	CREATE TABLE heard (who name, kind text, event text);
	CREATE FUNCTION pager(alert jsonb) RETURNS void LANGUAGE sql
	  AS $$ INSERT INTO public.heard VALUES (current_user, alert->>'kind', alert->>'event') $$;
	SELECT dataeng.alert_handler_add('pager(jsonb)');
});
$node->safe_psql('other', 'CREATE EXTENSION dataeng');

ok($node->poll_query_until('postgres', q{SELECT ran_at IS NOT NULL FROM dataeng.maintenance}),
	'maintenance runs by itself');
ok($node->poll_query_until('other', q{SELECT ran_at IS NOT NULL FROM dataeng.maintenance}),
	'in every database having the extension');

# 1. the change log shrinks on its own
$node->safe_psql('postgres', q{INSERT INTO src SELECT g, 'x' FROM generate_series(1, 100) g});
ok($node->poll_query_until('postgres',
		q{SELECT change_log >= 100 FROM dataeng.maintenance}),
	'maintenance counts the pending changes');
$node->safe_psql('postgres', q{
	SET ROLE alice;
	SELECT count(*) FROM dataeng.cdc_poll('reader', 1000);
	SELECT dataeng.cdc_ack('reader', (SELECT max(change_id) FROM dataeng.changes));
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM dataeng_internal.change_log}),
	'the acknowledged changes are purged without a cdc_purge() call');
ok($node->poll_query_until('postgres', q{SELECT purged_changes > 0 OR change_log = 0 FROM dataeng.maintenance}),
	'maintenance records it');

# 2. a consumer left behind: raised, then resolved, by maintenance alone
$node->safe_psql('postgres', q{
	SET ROLE alice;
	SELECT dataeng.alert_set('consumer:reader', 'lag_changes', '10');
	INSERT INTO src SELECT g, 'y' FROM generate_series(101, 150) g;
});
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM dataeng.alerts_open WHERE kind = 'consumer_lag' AND object = 'reader'}),
	'the consumer left behind raises its alert');
is($node->safe_psql('postgres', q{SELECT state FROM dataeng.pipeline_status WHERE kind = 'consumer'}),
	'warning', 'its status warns');
like($node->safe_psql('postgres', q{SELECT reason FROM dataeng.pipeline_status WHERE kind = 'change log'}),
	qr/consumer reader holds back purging/, 'the change log names it');
$node->safe_psql('postgres', q{
	SET ROLE alice;
	SELECT count(*) FROM dataeng.cdc_poll('reader', 1000);
	SELECT dataeng.cdc_ack('reader', (SELECT max(change_id) FROM dataeng.changes));
});
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM dataeng.alerts_open WHERE kind = 'consumer_lag'}),
	'caught up, its alert is resolved');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.alerts WHERE kind = 'consumer_lag'}),
	'1', 'one alert however often maintenance ran');
is($node->safe_psql('postgres', q{SELECT string_agg(who || ' ' || event, ', ' ORDER BY event) FROM heard WHERE kind = 'consumer_lag'}),
	'alice raised, alice resolved', 'the alert handler ran as its owner, not as the superuser');

# 3. a maintenance that fails is a WARNING, tried again; other databases go on
my $offset = -s $node->logfile;
$node->safe_psql('postgres',
	q{ALTER TABLE dataeng.maintenance ADD CONSTRAINT regress_block CHECK (ran_at IS NULL) NOT VALID});
ok($node->wait_for_log(qr/WARNING: .*dataeng: maintenance of database "postgres" failed: new row for relation "maintenance" violates check constraint "regress_block"/, $offset),
	'a failing maintenance is logged as a WARNING naming the database');
my $other_at = $node->safe_psql('other', 'SELECT ran_at FROM dataeng.maintenance');
ok($node->poll_query_until('other', qq{SELECT ran_at > '$other_at' FROM dataeng.maintenance}),
	'the other database is still maintained');
my $log = slurp_file($node->logfile, $offset);
ok(scalar(() = $log =~ /maintenance of database "postgres" failed/g) >= 1, 'and it is tried again');
$node->safe_psql('postgres', q{ALTER TABLE dataeng.maintenance DROP CONSTRAINT regress_block});
my $at = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
ok($node->poll_query_until('postgres', qq{SELECT ran_at > '$at' FROM dataeng.maintenance}),
	'once the cause is gone it succeeds again');
unlike(slurp_file($node->logfile, $offset), qr/"plain"|ERROR:  .*maintenance/,
	'the database without the extension is left alone');

# 4. off with a reload, on again
my $conf_changed = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
$node->append_conf('postgresql.conf', 'dataeng.maintenance_interval = 0');
$node->reload;
# (waited for until the maintenance launcher read the files since: it
# begins no round from then on; a round it had begun may still end,
# slowly on a loaded machine: waited for, the launcher idle and no worker
# of a round left.  A new session's SHOW only told that the postmaster had
# read them.)
ok($node->poll_query_until('postgres', qq{SELECT dataeng_internal._maintenance_conf_read() > '$conf_changed'}),
	'the maintenance launcher read the new configuration');
is($node->safe_psql('postgres', 'SHOW dataeng.maintenance_interval'), '0', 'the reload is done');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity
	 WHERE backend_type = 'dataeng maintenance'
	    OR (backend_type = 'dataeng maintenance launcher' AND state = 'active')}),
	'the round in progress, if any, ended');
$at = $node->safe_psql('postgres', 'SELECT ran_at FROM dataeng.maintenance');
sleep 3;
is($node->safe_psql('postgres', 'SELECT ran_at FROM dataeng.maintenance'), $at, 'maintenance_interval = 0 stops it');
$node->append_conf('postgresql.conf', 'dataeng.maintenance_interval = 1');
$node->reload;
ok($node->poll_query_until('postgres', qq{SELECT ran_at > '$at' FROM dataeng.maintenance}),
	'a value again starts it');

# 5. WAL capture's slot has its row in pipeline_status
$node->safe_psql('postgres', q{
	CREATE TABLE walsrc (id int PRIMARY KEY);
	SELECT dataeng.cdc_enable('walsrc', method => 'wal');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'WAL capture runs');
ok($node->poll_query_until('postgres', q{
	SELECT name = 'dataeng_wal_' || (SELECT oid FROM pg_database WHERE datname = current_database())
	       AND reason ~ '^slot \(WAL capture\) is .* behind the end of WAL'
	  FROM dataeng.pipeline_status WHERE kind = 'slot'}),
	'WAL capture\'s slot is a row of pipeline_status');

# 6. off at server start: no process for it at all
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dataeng maintenance launcher'}),
	'1', 'one maintenance launcher while it is on');
$node->append_conf('postgresql.conf', 'dataeng.maintenance_interval = 0');
$node->restart;
sleep 1;
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'dataeng maintenance%'}),
	'0', 'none when maintenance_interval is 0 at server start');

$node->stop;
done_testing();
