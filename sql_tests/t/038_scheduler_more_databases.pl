# A server with more databases than the launcher has slots (64), dataeng
# in a few of them: the databases past the first 64 in pg_database get a
# scheduler too (before: never, nothing said).  The slots of databases
# without dataeng are lent in turn; one where dataeng runs keeps its own.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_more_databases');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.launcher_naptime = 1
fsync = off
});
$node->start;

# a database with dataeng among the first, then 70 without, then one with
$node->safe_psql('postgres', q{CREATE DATABASE first_db});
$node->safe_psql('first_db', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE done (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('j', '@yearly', 'INSERT INTO public.done DEFAULT VALUES');
});
# (one psql for the 70, each CREATE DATABASE a statement of its own: a
# psql and a backend each took most of the script's time and CPU)
$node->safe_psql('postgres', join('', map { "CREATE DATABASE d$_;\n" } 1 .. 70));
$node->safe_psql('postgres', q{CREATE DATABASE last_db});
$node->safe_psql('last_db', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE done (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('j', '@yearly', 'INSERT INTO public.done DEFAULT VALUES');
	SELECT dataeng.job_run_now('j');
});
ok($node->poll_query_until('last_db', q{SELECT count(*) = 1 FROM done}),
	'a job of the 73rd database runs');
$node->safe_psql('first_db', q{SELECT dataeng.job_run_now('j')});
ok($node->poll_query_until('first_db', q{SELECT count(*) = 1 FROM done}),
	'a job of the first database runs');
$node->safe_psql('last_db', q{SELECT dataeng.job_run_now('j')});
ok($node->poll_query_until('last_db', q{SELECT count(*) = 2 FROM done}),
	'and the 73rd again');

# after a restart (the slots made again, none of them known)
$node->restart;
$node->safe_psql('last_db', q{SELECT dataeng.job_run_now('j')});
ok($node->poll_query_until('last_db', q{SELECT count(*) = 3 FROM done}),
	'after a restart, a job of the 73rd database runs');
unlike(slurp_file($node->logfile), qr/get no scheduler/, 'no database was said to get no scheduler');

$node->stop;
done_testing();
