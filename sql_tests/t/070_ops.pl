# Operations with the scheduler running:
#  - dataeng.maintain(), run by itself every dataeng.maintenance_interval
#    (here 1 s), raises the alert
#    of a job made to fail once, and resolves it after the job succeeds; a
#    session listening on dataeng_alerts receives both as JSON;
#  - a monitor's own job checks it on schedule, records each check and
#    raises the alert of a table gone silent;
#  - maintenance purges the change log on its own once the consumer acked;
#  - lineage_dot's output is accepted by Graphviz dot (skipped without it).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('ops');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.maintenance_interval = 1
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE flag (fail boolean);
	INSERT INTO flag VALUES (true);
	CREATE TABLE quiet (at timestamptz NOT NULL);
	INSERT INTO quiet VALUES (now());
	CREATE TABLE src (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src');
	SELECT dataeng.cdc_consumer_create('reader', ARRAY['src'::regclass]);
});
ok($node->poll_query_until('postgres', q{SELECT ran_at IS NOT NULL FROM dataeng.maintenance}),
	'maintenance runs by itself');

my $listener = $node->background_psql('postgres', on_error_stop => 0);
$listener->query_safe('LISTEN dataeng_alerts');
my $heard = '';

# poll the listening session until its notifications match $re
sub hear
{
	my ($re, $what) = @_;
	for (1 .. 1800)
	{
		$heard .= $listener->query('SELECT pg_sleep(0.1)');
		return pass($what) if $heard =~ $re;
	}
	diag("heard: $heard");
	return fail($what);
}

# 1. a job made to fail, then to succeed
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('flaky', '@yearly',
	  'SELECT 1 / (SELECT CASE WHEN fail THEN 0 ELSE 1 END FROM public.flag)');
	SELECT dataeng.job_run_now('flaky');
});
hear(qr/payload "(\{"kind": "job_failed", "event": "raised", "alert_id": \d+, "severity": "error"\})"/,
	'the listener hears the failing job\'s alert raised, as JSON');
ok($node->poll_query_until('postgres', q{SELECT m.ran_at > a.raised_at + interval '2 seconds'
                                          FROM dataeng.maintenance m, dataeng.alerts a WHERE a.object = 'flaky'}),
	'maintenance ran again since');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.alerts WHERE object = 'flaky'}),
	'1', 'one alert however often maintenance runs');
is($node->safe_psql('postgres', q{SELECT kind || ' ' || severity FROM dataeng.alerts_open WHERE object = 'flaky'}),
	'job_failed error', 'the alert is open');
$node->safe_psql('postgres', q{
	UPDATE flag SET fail = false;
	SELECT dataeng.job_run_now('flaky');
});
hear(qr/"kind": "job_failed", "event": "resolved"/, 'the listener hears it resolved once the job succeeded');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.alerts WHERE object = 'flaky' AND resolved_at IS NOT NULL}),
	'1', 'the alert is resolved');
is(() = $heard =~ /"kind": "job_failed"/g, 2, 'two notifications of it: raised and resolved');

# 2. a monitor checked by its own job
$node->safe_psql('postgres', q{
	SELECT dataeng.monitor_create('quiet', 'quiet', 'at', max_silence => '2 seconds', schedule => '1 second');
});
hear(qr/"kind": "monitor_silence", "event": "raised"/, 'the monitor\'s job finds the table silent');
ok($node->poll_query_until('postgres', q{SELECT count(*) >= 3 FROM dataeng.monitor_checks WHERE monitor = 'quiet'}),
	'each check is recorded');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.alerts WHERE object = 'quiet'}),
	'1', 'its alert raised once over those checks');
$node->safe_psql('postgres', q{INSERT INTO quiet VALUES (now())});
hear(qr/"kind": "monitor_silence", "event": "resolved"/, 'and quiet again once rows arrive');
is($node->safe_psql('postgres', q{SELECT state FROM dataeng.pipeline_status WHERE kind = 'monitor'}),
	'ok', 'the monitor is ok');

# 3. the change log shrinks on its own
$node->safe_psql('postgres', q{INSERT INTO src SELECT g, 'x' FROM generate_series(1, 100) g});
$node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.cdc_poll('reader', 1000);
	SELECT dataeng.cdc_ack('reader', (SELECT max(change_id) FROM dataeng.changes));
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM dataeng_internal.change_log}),
	'maintenance purged the acknowledged changes without a cdc_purge() call');
ok($node->poll_query_until('postgres',
		q{SELECT reason = 'holds 0 changes' FROM dataeng.pipeline_status WHERE kind = 'change log'}),
	'the status shows the change log counted by maintenance');

# 4. Graphviz accepts lineage_dot
SKIP:
{
	my $dot = `command -v dot`;
	chomp $dot;
	skip 'Graphviz dot is not installed', 2 unless $dot;
	my $graph = $node->safe_psql('postgres', 'SELECT dataeng.lineage_dot()');
	my ($out, $err);
	my $ok = IPC::Run::run([ $dot, '-Tsvg' ], '<', \$graph, '>', \$out, '2>', \$err);
	ok($ok && $err eq '', 'dot renders lineage_dot() without complaint') or diag($err);
	like($out, qr/<svg/, 'as SVG');
}

$listener->quit;
$node->stop;
done_testing();
