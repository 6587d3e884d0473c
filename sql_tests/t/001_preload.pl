# Loading dataeng with and without shared_preload_libraries.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('nopreload');
$node->init;
$node->start;

# Without the preload: installs, works, and says what is missing.
$node->safe_psql('postgres', 'CREATE EXTENSION dataeng');
is($node->safe_psql('postgres', 'SELECT preloaded FROM dataeng.info()'),
	'f', 'info() reports no preload');
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', "SELECT dataeng.require_preload('the scheduler')");
isnt($ret, 0, 'a preload-only feature fails without the preload');
like($stderr, qr/the scheduler requires dataeng to be loaded via shared_preload_libraries/,
	'error names the feature');
like($stderr, qr/HINT:\s+Add 'dataeng' to shared_preload_libraries/, 'error has a hint');

# LOAD in a fresh session does not crash the server.
$node->safe_psql('postgres', "LOAD 'dataeng'; SELECT 1");
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server alive after LOAD');

# Capture works without the preload (it needs no worker).
$node->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('t');
	INSERT INTO t VALUES (1, 'x');
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng.changes'), '1',
	'capture works without the preload');

# A fact or dimension whose refreshes would be scheduled says so before
# loading anything, and how to do without the scheduler; without a
# schedule it works.
$node->safe_psql('postgres', q{
	CREATE TABLE s (id int PRIMARY KEY, at timestamptz NOT NULL, k int);
	INSERT INTO s SELECT i, '2026-03-01', i % 3 FROM generate_series(1, 10) i;
});
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT dataeng.fact_create('f', 's', 'at', 'day', '{k}', '{count(*)}')");
isnt($ret, 0, 'fact_create with a schedule fails without the preload');
like($stderr, qr/dataeng.fact_create\(\) schedules its refreshes, which needs dataeng in shared_preload_libraries/,
	'the error names fact_create, not dataeng.schedule()');
like($stderr, qr/HINT:\s+Pass schedule => NULL and call dataeng.fact_refresh\(\) yourself/,
	'the hint says how to do without the scheduler');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT dataeng.dimension_create('d', 's', 'id', '{k}')");
isnt($ret, 0, 'dimension_create with a schedule fails without the preload');
like($stderr, qr/dataeng.dimension_create\(\) schedules its refreshes.*\n.*\nHINT:\s+Pass schedule => NULL and call dataeng.dimension_refresh\(\) yourself/,
	'the error names dimension_create, and the hint dimension_refresh');
is($node->safe_psql('postgres', q{
	SELECT dataeng.fact_create('f', 's', 'at', 'day', '{k}', '{count(*)}', schedule => NULL) IS NOT NULL
	   AND dataeng.dimension_create('d', 's', 'id', '{k}', schedule => NULL) IS NOT NULL;
	SELECT sum(count) FROM f}), "t\n10", 'with schedule => NULL both are made');
$node->safe_psql('postgres', 'DROP EXTENSION dataeng CASCADE');

# With the preload: reported, and the reserved prefix rejects unknown names.
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'");
$node->restart;
$node->safe_psql('postgres', 'CREATE EXTENSION dataeng');
is($node->safe_psql('postgres', 'SELECT preloaded FROM dataeng.info()'),
	't', 'info() reports the preload');
($ret, $stdout, $stderr) = $node->psql('postgres', 'SET dataeng.nonsense = 1');
like($stderr, qr/invalid configuration parameter name "dataeng.nonsense"/,
	'unknown dataeng.* settings are rejected');

# A bad value in postgresql.conf is reported, and the old value kept.
$node->append_conf('postgresql.conf', "dataeng.enabled = 'sometimes'");
$node->reload;
is($node->safe_psql('postgres', 'SHOW dataeng.enabled'), 'on', 'bad config value ignored');
$node->safe_psql('postgres', q{SELECT dataeng.schedule('nightly', '@yearly', 'SELECT 1')});
$node->stop;
ok($node->log_contains(qr/parameter "dataeng.enabled" requires a Boolean value/),
	'bad config value logged');

# The preload taken away again (a restore into a server without it): a job
# due is a warning, saying that no scheduler runs (it said ok, "next run
# at" a time long past, while no run started).
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''");
$node->start;
$node->safe_psql('postgres', q{UPDATE dataeng.jobs SET next_run_at = now() - interval '1 hour'});
like($node->safe_psql('postgres', q{SELECT state || ': ' || reason FROM dataeng.pipeline_status WHERE name = 'nightly'}),
	qr/^warning: due since .*, but no scheduler runs for this database \(dataeng is not in shared_preload_libraries/,
	'a job due while no scheduler runs is a warning');
$node->stop;

done_testing();
