# A database with a table captured from the WAL survives pg_dump and
# pg_restore: the restored table is still captured (the restore starts the
# database's WAL worker, which makes its slot), writes after the restore
# reach the change log and a consumer created there, and the worker comes
# back after a server restart.  (The restored table had nothing capturing
# it: no trigger, no worker, no slot, while dataeng.cdc_tables said it was
# captured from the WAL.)
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

my $node = WalNode::new_node('waldump');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	CREATE TABLE orders (id int PRIMARY KEY, amount numeric);
	SELECT dataeng.cdc_enable('orders');
});
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');
$node->safe_psql('postgres', q{INSERT INTO clicks VALUES (1, '/home'); INSERT INTO orders VALUES (1, 10)});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync() AND
	(SELECT active_method FROM dataeng.cdc_tables WHERE table_name = 'clicks'::regclass) = 'wal'}),
	't', 'clicks captured from the WAL before the dump');

# pg_restore as it runs outside the test harness: its sessions are named
# pg_restore (the harness names every session after the test by PGAPPNAME)
sub restore
{
	local $ENV{PGAPPNAME} = 'pg_restore';
	$node->command_ok(@_);
}

my $dump = PostgreSQL::Test::Utils::tempdir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
restore([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore, without a single error');

# (the worker makes the slot once the restore is over: capture starts there)
is($node->safe_psql('restored', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the restored database has its slot once the restore is over');
$node->safe_psql('restored', q{SELECT dataeng.cdc_consumer_create('after', '{clicks,orders}')});
$node->safe_psql('restored', q{INSERT INTO clicks VALUES (2, '/cart'); INSERT INTO orders VALUES (2, 20)});
is($node->safe_psql('restored', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the restored database has a WAL worker');
is($node->safe_psql('restored', q{
	SELECT string_agg(table_name::text || ' ' || op::text || ' ' || new_row::text, E'\n' ORDER BY table_name::text)
	  FROM dataeng.cdc_poll('after')}),
	qq{clicks I {"id": 2, "url": "/cart"}
orders I {"id": 2, "amount": 20}},
	'writes to the restored tables are captured, from the WAL and by trigger');
is($node->safe_psql('restored', q{SELECT count(*) FROM pg_replication_slots s JOIN pg_database d ON d.datname = s.database
	WHERE d.datname = 'restored' AND s.slot_name = 'dataeng_wal_' || d.oid}), '1', 'the restored database has its slot');

# Whether writes to clicks and orders in $db reach a new consumer.
sub captured
{
	my ($db, $id, $what) = @_;
	is($node->safe_psql($db, 'SELECT dataeng.cdc_wal_sync()'), 't', "$what: the WAL worker has its slot");
	$node->safe_psql($db, q{SELECT dataeng.cdc_consumer_create('c', '{clicks,orders}')});
	$node->safe_psql($db, qq{INSERT INTO clicks VALUES ($id, '/x'); INSERT INTO orders VALUES ($id, 1)});
	is($node->safe_psql($db, 'SELECT dataeng.cdc_wal_sync()'), 't', "$what: synced");
	is($node->safe_psql($db, q{SELECT string_agg(table_name::text || ' ' || op::text, ',' ORDER BY table_name::text)
		FROM dataeng.cdc_poll('c')}), 'clicks I,orders I', "$what: writes to both tables are captured");
}

# Poll $sql in $db until it returns 't', for at most $secs s (30 s).
sub wait_for
{
	my ($db, $sql, $secs) = @_;
	for (1 .. 10 * ($secs // 30))
	{
		return 1 if $node->safe_psql($db, $sql) eq 't';
		usleep(100_000);
	}
	return 0;
}

# The race of a restore with its worker, forced: the restore of cdc_tables
# (data section) starts the worker while the restore goes on (a session
# named pg_restore stands for its other jobs); the publication comes in the
# post-data section.  The worker must not create it meanwhile: pg_restore's
# CREATE PUBLICATION would fail.
$node->safe_psql('postgres', 'CREATE DATABASE raced');
restore([ 'pg_restore', '--section=pre-data', '--exit-on-error', '-d', $node->connstr('raced'), $dump ],
	'pg_restore --section=pre-data');
my ($out, $err) = ('', '');
my $job = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('raced') . ' application_name=pg_restore',
	'-c', 'SELECT pg_sleep(120)' ], '>', \$out, '2>', \$err);
ok(wait_for('raced', q{SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'raced' AND application_name = 'pg_restore')}),
	'another job of the restore is connected');
restore([ 'pg_restore', '--section=data', '--exit-on-error', '-d', $node->connstr('raced'), $dump ],
	'pg_restore --section=data');
# the worker is started: it waits, or (before the fix) made the publication
wait_for('raced', q{SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'raced'
	AND application_name = 'dataeng wal capture' AND query = 'waiting for a restore to end')
	OR EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'dataeng_wal')});
is($node->safe_psql('raced', q{SELECT count(*) FROM pg_publication WHERE pubname = 'dataeng_wal'}), '0',
	'the worker waits for the restore to bring the publication');
restore([ 'pg_restore', '--section=post-data', '--exit-on-error', '-d', $node->connstr('raced'), $dump ],
	'pg_restore --section=post-data, without a single error');
$node->safe_psql('raced', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE datname = 'raced' AND application_name = 'pg_restore'});
$job->finish;
captured('raced', 10, 'forced race');
ok($node->log_contains('waiting for the restore running in database'), 'the worker said it waited');

# A dump without the publication (--no-publications): the worker creates it
# with the tables captured from the WAL in it.
my $nopub = PostgreSQL::Test::Utils::tempdir . '/nopub.dump';
$node->command_ok([ 'pg_dump', '-Fc', '--no-publications', '-f', $nopub, '-d', $node->connstr('postgres') ],
	'pg_dump --no-publications');
$node->safe_psql('postgres', 'CREATE DATABASE nopub');
restore([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('nopub'), $nopub ],
	'pg_restore of a dump without publications');
captured('nopub', 20, 'dump without publications');

# A plain dump restored by psql: the worker does not know a restore runs
# and may create the publication first (the restore's CREATE PUBLICATION and
# ADD TABLE then fail); the table ends captured all the same.
my $plain = PostgreSQL::Test::Utils::tempdir . '/plain.sql';
$node->command_ok([ 'pg_dump', '-f', $plain, '-d', $node->connstr('postgres') ], 'plain pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->psql('plain', undef, extra_params => [ '-f', $plain ]);
captured('plain', 30, 'plain dump restored by psql');

# A data-only restore into a database whose worker already has its slot
# (it captures another table from the WAL), with no publication restored:
# the worker does not start anew, so the restored rows of cdc_tables put
# their tables in its publication themselves.
$node->safe_psql('postgres', 'CREATE DATABASE live');
restore([ 'pg_restore', '--section=pre-data', '--exit-on-error', '-d', $node->connstr('live'), $dump ],
	'pg_restore --section=pre-data into a database to capture first');
$node->safe_psql('live', q{CREATE TABLE other (id int PRIMARY KEY); SELECT dataeng.cdc_enable('other', method => 'wal')});
is($node->safe_psql('live', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the database captures from the WAL');
restore([ 'pg_restore', '--data-only', '--exit-on-error', '-d', $node->connstr('live'), $dump ],
	'pg_restore --data-only into a database whose worker has its slot');
restore([ 'pg_restore', '--section=post-data', '--no-publications', '--exit-on-error', '-d', $node->connstr('live'), $dump ],
	'pg_restore --section=post-data --no-publications');
captured('live', 40, 'data-only restore into a database already captured from the WAL');

# The same with --disable-triggers, which fires no trigger of cdc_tables:
# the running worker finds the table missing from its publication (it looks
# every few seconds, once the restore is over) and adds it, with a WARNING.
$node->safe_psql('postgres', 'CREATE DATABASE quiet');
restore([ 'pg_restore', '--section=pre-data', '--exit-on-error', '-d', $node->connstr('quiet'), $dump ],
	'pg_restore --section=pre-data into a database to capture first');
$node->safe_psql('quiet', q{CREATE TABLE other (id int PRIMARY KEY); SELECT dataeng.cdc_enable('other', method => 'wal')});
is($node->safe_psql('quiet', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the database captures from the WAL');
restore([ 'pg_restore', '--section=post-data', '--no-publications', '--exit-on-error', '-d', $node->connstr('quiet'), $dump ],
	'pg_restore --section=post-data --no-publications');
my $offset = -s $node->logfile;
restore([ 'pg_restore', '--data-only', '--disable-triggers', '--exit-on-error', '-d', $node->connstr('quiet'), $dump ],
	'pg_restore --data-only --disable-triggers into a database whose worker has its slot');
ok(wait_for('quiet', q{SELECT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
	WHERE p.pubname = 'dataeng_wal' AND pr.prrelid = 'clicks'::regclass)}),
	'the worker adds the table to its publication');
ok($node->log_contains('table public.clicks is captured from the WAL but was missing from publication dataeng_wal', $offset),
	'with a WARNING naming it');
captured('quiet', 50, 'data-only restore with --disable-triggers');

my $clicks_published = q{SELECT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
	WHERE p.pubname = 'dataeng_wal' AND pr.prrelid = 'clicks'::regclass)};

# A session in $db named $app (as $user, or the test's superuser) that
# sleeps until it is ended.
sub sleeper
{
	my ($db, $app, $user) = @_;
	my ($o, $e) = ('', '');
	my $conn = $node->connstr($db) . " application_name=$app" . ($user ? " user=$user" : '');
	my $h = IPC::Run::start([ 'psql', '-X', '-d', $conn, '-c', 'SELECT pg_sleep(300)' ], '>', \$o, '2>', \$e);
	ok(wait_for($db, qq{SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '$db' AND application_name = '$app'
		AND state = 'active')}), "a session named $app is connected" . ($user ? " as $user" : ''));
	return $h;
}

sub end_sessions
{
	my ($db, $app, $h) = @_;
	$node->safe_psql($db, qq{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = '$db' AND application_name = '$app'});
	$h->finish;
}

# Any role may name its session pg_restore: the session of a role that
# could not restore dataeng's state (it may not write dataeng.cdc_tables)
# does not hold the worker's check back.
$node->safe_psql('quiet', 'CREATE ROLE regress_squatter LOGIN');
my $squatter = sleeper('quiet', 'pg_restore', 'regress_squatter');
$node->safe_psql('quiet', 'ALTER PUBLICATION dataeng_wal DROP TABLE clicks');
ok(wait_for('quiet', $clicks_published),
	'a session named pg_restore of an unprivileged role does not hold back the repair of the publication');
end_sessions('quiet', 'pg_restore', $squatter);

# A table whose lock another transaction holds: the worker's ALTER
# PUBLICATION ... ADD TABLE gives up after a short lock_timeout, capture
# of the other tables goes on meanwhile, and the table is tried again
# (the set of missing tables has not changed) and added once the lock is
# gone.  (A session named pg_restore of the superuser holds the check back
# while the table is taken out and the lock taken.)
my $restore = sleeper('quiet', 'pg_restore');
$node->safe_psql('quiet', 'ALTER PUBLICATION dataeng_wal DROP TABLE clicks');
my ($lo, $le) = ('', '');
my $locker = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('quiet') . ' application_name=locker',
	'-c', 'BEGIN; LOCK TABLE clicks IN SHARE UPDATE EXCLUSIVE MODE; SELECT pg_sleep(300)' ], '>', \$lo, '2>', \$le);
ok(wait_for('quiet', q{SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE a.application_name = 'locker' AND l.relation = 'clicks'::regclass AND l.granted)}), 'a transaction holds a lock on clicks');
$offset = -s $node->logfile;
end_sessions('quiet', 'pg_restore', $restore);
$node->wait_for_log(qr/table public\.clicks is captured from the WAL but could not be added to publication dataeng_wal yet/, $offset);
$node->wait_for_log(qr/still missing from publication "dataeng_wal" \(oids \d+\) are tried again in \d+ s/, $offset);
$node->safe_psql('quiet', q{INSERT INTO other VALUES (51); INSERT INTO orders VALUES (51, 1)});
is($node->safe_psql('quiet', q{SELECT dataeng.cdc_wal_sync('20 s')}), 't',
	'capture goes on while the lock keeps the table out of the publication');
is($node->safe_psql('quiet', $clicks_published), 'f', 'the table is not in the publication while the lock is held');
end_sessions('quiet', 'locker', $locker);
ok(wait_for('quiet', $clicks_published, 60), 'the table is added once the lock is gone');

# A data-only restore with --disable-triggers into a database with no
# worker yet (its schema restored first): its ALTER TABLE ... ENABLE
# TRIGGER ALL of cdc_tables starts the worker.
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
restore([ 'pg_restore', '--schema-only', '--exit-on-error', '-d', $node->connstr('fresh'), $dump ],
	'pg_restore --schema-only');
restore([ 'pg_restore', '--data-only', '--disable-triggers', '--exit-on-error', '-d', $node->connstr('fresh'), $dump ],
	'pg_restore --data-only --disable-triggers into a database with no WAL worker');
ok(wait_for('fresh', q{SELECT EXISTS (SELECT 1 FROM pg_replication_slots s JOIN pg_database d ON d.datname = s.database
	WHERE d.datname = 'fresh' AND s.slot_name = 'dataeng_wal_' || d.oid)}), 'the worker starts and makes its slot');
captured('fresh', 60, 'data-only restore with --disable-triggers, no worker before');

# A table captured from the WAL missing from the publication: the worker
# adds it as it starts, with a WARNING naming it.
$node->safe_psql('nopub', 'ALTER PUBLICATION dataeng_wal DROP TABLE clicks');

# after a server start, the launcher starts the worker again
$node->restart;
ok(wait_for('nopub', q{SELECT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
	WHERE p.pubname = 'dataeng_wal' AND pr.prrelid = 'clicks'::regclass)}), 'a table missing from the publication is added');
ok($node->log_contains('table public.clicks is captured from the WAL but was missing from publication dataeng_wal'),
	'with a WARNING naming it');
$node->safe_psql('nopub', q{INSERT INTO clicks VALUES (21, '/y')});
is($node->safe_psql('nopub', 'SELECT dataeng.cdc_wal_sync()'), 't', 'synced after the restart');
is($node->safe_psql('nopub', q{SELECT string_agg(new_row->>'url', ',' ORDER BY position) FROM dataeng.cdc_poll('c')
	WHERE table_name = 'clicks'::regclass}), '/x,/y', 'and captured again');
$node->safe_psql('restored', q{INSERT INTO clicks VALUES (3, '/pay')});
is($node->safe_psql('restored', 'SELECT dataeng.cdc_wal_sync()'), 't', 'its worker is back after a restart');
is($node->safe_psql('restored', q{SELECT string_agg(new_row->>'url', ',' ORDER BY position) FROM dataeng.cdc_poll('after')
	WHERE table_name = 'clicks'::regclass}),
	'/cart,/pay', 'and captures again');

$node->stop;
done_testing();
