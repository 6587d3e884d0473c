# A restored database whose tables are captured from the WAL gets its WAL
# capture worker without anyone's action, also when none could be started
# at the restore's commit, or none ran before the server stopped: the
# launcher starts only databases that have a replication slot of the
# worker, and a restored database has none until its worker made it.
#  - no background worker slot free at the restore's commit: the WARNING
#    says the launcher starts the worker once a slot is free, and it does
#    (before, it was started at the next server start at the earliest,
#    and not even then);
#  - a server restart before the worker of a restored database made its
#    slot: the database's scheduler finds tables to capture from the WAL
#    and no worker, and the launcher starts one (before, none ever ran).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::Bin;
use WalNode;

# the launcher, the logical replication launcher and one more: the WAL
# worker of postgres takes that one
my $node = WalNode::new_node('walstart', qq{
max_worker_processes = 3
dataeng.maintenance_interval = 0
});
$node->start;

# Poll $sql in $db until it returns 't', for at most $secs seconds.
sub wait_for
{
	my ($db, $sql, $secs) = @_;
	for (1 .. ($secs // 60) * 10)
	{
		return 1 if $node->safe_psql($db, $sql) eq 't';
		usleep(100_000);
	}
	return 0;
}

sub has_slot
{
	my ($db) = @_;
	return qq{SELECT EXISTS (SELECT 1 FROM pg_replication_slots s JOIN pg_database d ON d.datname = s.database
		WHERE d.datname = '$db' AND s.slot_name = 'dataeng_wal_' || d.oid)};
}

# Writes to clicks in $db reach a new consumer.
sub captured
{
	my ($db, $what) = @_;
	$node->safe_psql($db, q{SELECT dataeng.cdc_consumer_create('c', '{clicks}')});
	$node->safe_psql($db, q{INSERT INTO clicks VALUES (100, '/new')});
	is($node->safe_psql($db, 'SELECT dataeng.cdc_wal_sync()'), 't', "$what: synced");
	is($node->safe_psql($db, q{SELECT string_agg(op::text || ' ' || (new_row->>'url'), ',') FROM dataeng.cdc_poll('c')}),
		'I /new', "$what: writes are captured");
}

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
});
ok(wait_for('postgres', has_slot('postgres')), 'the WAL worker of postgres runs and has its slot');
$node->safe_psql('postgres', q{INSERT INTO clicks VALUES (1, '/home')});

my $dump = PostgreSQL::Test::Utils::tempdir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');

# No worker slot free at the restore's commit.
$node->safe_psql('postgres', 'CREATE DATABASE r');
my $offset = -s $node->logfile;
my ($out, $err) = ('', '');
ok(IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('r'), $dump ], '>', \$out, '2>', \$err),
	'pg_restore while no background worker slot is free');
# (pg_restore shows the server's warnings with --verbose only: the log has them)
ok($node->log_contains('could not start the WAL capture worker of this database', $offset),
	'the restore warns that the worker could not start');
ok($node->log_contains('HINT:  The launcher of dataeng starts it as soon as a background worker slot is free', $offset),
	'and says it starts once a slot is free');
is($node->safe_psql('r', has_slot('r')), 'f', 'no slot meanwhile');

# the slot is freed: the WAL worker of postgres leaves (nothing captured there)
$node->safe_psql('postgres', q{SELECT dataeng.cdc_disable('clicks')});
ok(wait_for('r', has_slot('r')), 'the worker of the restored database starts once a slot is free, and makes its slot');
captured('r', 'worker started late');
ok($node->log_contains('no background worker slot for the WAL capture worker of database', $offset),
	'the launcher said it waited for a slot');

# A restart before the worker of a restored database made its slot (a
# session named pg_restore keeps it waiting for the restore to end).
$node->append_conf('postgresql.conf', "max_worker_processes = 8\n");
$node->restart;
$node->safe_psql('postgres', 'CREATE DATABASE r2');
$node->command_ok([ 'pg_restore', '--section=pre-data', '--exit-on-error', '-d', $node->connstr('r2'), $dump ],
	'pg_restore --section=pre-data');
my $job = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('r2') . ' application_name=pg_restore',
	'-c', 'SELECT pg_sleep(120)' ], '>', \$out, '2>', \$err);
ok(wait_for('r2', q{SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'r2' AND application_name = 'pg_restore')}),
	'another job of the restore is connected');
$node->command_ok([ 'pg_restore', '--section=data', '--exit-on-error', '-d', $node->connstr('r2'), $dump ],
	'pg_restore --section=data');
ok(wait_for('r2', q{SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'r2'
	AND application_name = 'dataeng wal capture' AND query = 'waiting for a restore to end')}),
	'its worker waits for the restore to end');
$node->stop('fast');
$job->finish;
$node->start;
ok(wait_for('r2', has_slot('r2')), 'after the restart, the worker of the restored database is started and makes its slot');
captured('r2', 'worker started after a restart');
is($node->safe_psql('r2', q{SELECT count(*) FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
	WHERE p.pubname = 'dataeng_wal' AND pr.prrelid = 'clicks'::regclass}), '1', 'clicks is in its publication');

$node->stop;
done_testing();
