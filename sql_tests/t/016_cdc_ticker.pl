# The database's ticker (src/cdc/ticker.c): polls share one worker that
# stays dataeng.ticker_idle_timeout without a request, so a poll after a
# pause does not start a process; and commands that need the database
# empty (DROP DATABASE, ALTER DATABASE ... RENAME, CREATE DATABASE, with
# or without TEMPLATE) make it leave at once instead of failing on it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ticker');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.maintenance_interval = 0
});
$node->start;

# a database with a captured table and a consumer; each call writes one
# change, then polls and acknowledges it, so each poll asks the ticker for
# a tick
sub setup_db
{
	my ($db) = @_;
	$node->safe_psql('postgres', qq{CREATE DATABASE $db});
	$node->safe_psql($db, q{
		CREATE EXTENSION dataeng;
		CREATE TABLE src (id serial PRIMARY KEY, v text);
		SELECT dataeng.cdc_enable('src');
		SELECT dataeng.cdc_consumer_create('c', ARRAY['src'::regclass]);
	});
}

sub write_and_poll
{
	my ($db) = @_;
	$node->safe_psql($db, q{INSERT INTO src (v) VALUES ('x')});
	my $out = $node->safe_psql($db, q{
		BEGIN;
		SELECT count(*) FROM dataeng.cdc_poll('c');
		SELECT dataeng.cdc_ack('c');
		COMMIT;
	});
	return (split /\n/, $out)[0];
}

sub ticker_pid
{
	my ($db) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT coalesce(string_agg(a.pid::text, ','), '')
		  FROM pg_stat_activity a WHERE a.backend_type = 'dataeng ticker' AND a.datname = '$db'});
}

setup_db('t1');
is(write_and_poll('t1'), '1', 'a poll receives its change');
my $pid = ticker_pid('t1');
like($pid, qr/^\d+$/, 'the database has one ticker');
sleep 3;
is(write_and_poll('t1'), '1', 'a poll after a pause receives its change');
is(ticker_pid('t1'), $pid, 'the same ticker served it: it stayed through the pause');

# DROP DATABASE without FORCE does not fail on the ticker: the utility
# hook makes it leave (PostgreSQL waits 5 s for other sessions, then fails;
# the hook warns when the ticker did not leave within its own wait).  How
# long it took is not asserted: a loaded machine may take a while to
# checkpoint.
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE t1');
is("$ret $err", '0 ', 'DROP DATABASE made the ticker leave, without a warning');

# ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE: the same
setup_db('t2');
write_and_poll('t2');
like(ticker_pid('t2'), qr/^\d+$/, 'the second database has its ticker');
$node->safe_psql('postgres', 'ALTER DATABASE t2 RENAME TO t3');
is(write_and_poll('t3'), '1', 'after the rename, a poll receives its change');
like(ticker_pid('t3'), qr/^\d+$/, 'a ticker serves the renamed database');
$node->safe_psql('postgres', 'CREATE DATABASE t4 TEMPLATE t3');
is($node->safe_psql('t4', 'SELECT count(*) FROM src'), '2', 'the copy was made');
is(write_and_poll('t3'), '1', 'and the template database still ticks');

# a command that is refused (another session stays connected) keeps
# nothing away: the ticker comes back with the next poll
my $bg = $node->background_psql('t3');
$bg->query_safe('SELECT 1');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE t3');
like($err, qr/is being accessed by other users/, 'a DROP refused for a connected session fails as usual');
is(write_and_poll('t3'), '1', 'and polls go on afterwards');
$bg->quit;

# a plain CREATE DATABASE copies template1: with dataeng installed there
# (so that every new database has it) and a ticker serving template1, the
# copy does not fail on it
$node->safe_psql('template1', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id serial PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src');
	SELECT dataeng.cdc_consumer_create('c', ARRAY['src'::regclass]);
});
is(write_and_poll('template1'), '1', 'a poll in template1 receives its change');
like(ticker_pid('template1'), qr/^\d+$/, 'template1 has its ticker');
($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE t5');
is("$ret $err", '0 ', 'CREATE DATABASE without TEMPLATE does not fail on the ticker of template1, which left without a warning');
is($node->safe_psql('t5', q{SELECT count(*) FROM src}), '1', 'the copy has template1\'s row');

# dataeng.ticker_idle_timeout: the ticker leaves after it
$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.ticker_idle_timeout = 1; SELECT pg_reload_conf()});
write_and_poll('t3');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng ticker'}),
	'with ticker_idle_timeout = 1 the ticker leaves when idle');
is(write_and_poll('t3'), '1', 'and the next poll starts one again');

unlike(slurp_file($node->logfile), qr/FATAL|did not leave/, 'no worker failed to connect or to leave');
$node->stop;

# A database the scheduler's table of DATAENG_MAX_DATABASES (64) slots has
# no room for cannot be held, but its ticker still leaves before a DROP:
# a fresh cluster, 64 other databases created first, then this one.
my $full = PostgreSQL::Test::Cluster->new('full');
$full->init;
$full->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.maintenance_interval = 0
});
$full->start;
$full->safe_psql('postgres', join('', map { sprintf("CREATE DATABASE filler%02d TEMPLATE template0;\n", $_) } 1 .. 64));
$full->safe_psql('postgres', 'CREATE DATABASE last_one');
$full->safe_psql('last_one', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id serial PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src');
	SELECT dataeng.cdc_consumer_create('c', ARRAY['src'::regclass]);
	INSERT INTO src (v) VALUES ('x');
});
is($full->safe_psql('last_one', q{SELECT count(*) FROM dataeng.cdc_poll('c')}), '1',
	'a poll in the 66th database receives its change');
like($full->safe_psql('postgres', q{
	SELECT string_agg(pid::text, ',') FROM pg_stat_activity
	 WHERE backend_type = 'dataeng ticker' AND datname = 'last_one'}), qr/^\d+$/,
	'the database has a ticker');
($ret, $out, $err) = $full->psql('postgres', 'DROP DATABASE last_one');
is("$ret $err", '0 ', 'DROP DATABASE of a database without a scheduler slot does not fail on its ticker, which left without a warning');
$full->stop;
done_testing();
