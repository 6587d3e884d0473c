# on_change handlers that feed each other are stopped 16 levels deep,
# counted across restarts and crashes of the WAL worker: the depth of the
# WAL a round's handlers wrote is kept in dataeng_internal.on_change_depths,
# in the round's transaction.  (Before, it was kept in the worker's memory:
# after a restart a loop went 16 levels further, after each restart.)  A
# handler writing its own table is let go some levels deep, then the
# server is stopped (-m immediate, then -m fast) and started again: the
# loop still ends with the batch 16 levels deep.  And a pipeline (a
# handler writing a table whose handler writes another) handled across
# such restarts is never dead-lettered.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walloop');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE lo (id int PRIMARY KEY, loop int, depth int);
	SELECT dataeng.cdc_enable('lo', method => 'wal');
	CREATE FUNCTION lo_self(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	  PERFORM pg_sleep(0.2);
	  INSERT INTO public.lo
	    SELECT (c.new_row->>'id')::int + 1, (c.new_row->>'loop')::int, (c.new_row->>'depth')::int + 1
	      FROM unnest(changes) c;
	END $$;
	SELECT dataeng.on_change('lo_self', 'lo', 'lo_self(dataeng.change[])', '{I}');
	CREATE TABLE p (id int PRIMARY KEY);
	CREATE TABLE q (id int PRIMARY KEY);
	CREATE TABLE got (id int, depth int);
	SELECT dataeng.cdc_enable('p', method => 'wal');
	SELECT dataeng.cdc_enable('q', method => 'wal');
	CREATE FUNCTION p_h(changes dataeng.change[]) RETURNS void LANGUAGE sql AS $$
	  INSERT INTO public.q SELECT (c.new_row->>'id')::int FROM unnest(changes) c;
	$$;
	CREATE FUNCTION q_h(changes dataeng.change[]) RETURNS void LANGUAGE sql AS $$
	  INSERT INTO public.got SELECT (c.new_row->>'id')::int FROM unnest(changes) c;
	$$;
	SELECT dataeng.on_change('p_h', 'p', 'p_h(dataeng.change[])');
	SELECT dataeng.on_change('q_h', 'q', 'q_h(dataeng.change[])');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the tables');

my $next_p = 1;
sub pipeline_writes
{
	my ($n) = @_;
	for (1 .. $n)
	{
		$node->safe_psql('postgres', "INSERT INTO p VALUES ($next_p)");
		$next_p++;
	}
}

my %stop = (1 => 'immediate', 2 => 'fast');
for my $loop (1, 2)
{
	my $first = $loop * 1000;
	$node->safe_psql('postgres', "INSERT INTO lo VALUES ($first, $loop, 0)");
	pipeline_writes(10);
	ok($node->poll_query_until('postgres', "SELECT max(depth) >= 6 FROM lo WHERE loop = $loop"),
		"loop $loop went 6 levels deep");
	$node->stop($stop{$loop});
	$node->start;
	pipeline_writes(10);
	ok($node->poll_query_until('postgres', qq{
		SELECT count(*) = $loop FROM dataeng.dead_letters WHERE trigger_name = 'lo_self'}),
		"loop $loop was stopped after a restart (-m $stop{$loop})");
	ok($node->poll_query_until('postgres', 'SELECT dataeng.cdc_wal_sync(\'1 s\')'), 'the worker caught up');
	sleep 1;
	ok($node->poll_query_until('postgres', 'SELECT dataeng.cdc_wal_sync(\'1 s\')'), 'and again');
	is($node->safe_psql('postgres', "SELECT count(*) || ' ' || max(depth) FROM lo WHERE loop = $loop"),
		'17 16', "loop $loop: the user's row and 16 levels, counted across the restart");
	is($node->safe_psql('postgres', qq{
		SELECT sqlstate || ' ' || (changes[1].new_row->>'depth') FROM dataeng.dead_letters
		 WHERE trigger_name = 'lo_self' AND (changes[1].new_row->>'loop')::int = $loop}),
		'54001 16', "loop $loop: the batch 16 levels deep is a dead letter");
}

# the pipeline: every change handled once, none dead-lettered
my $pn = $next_p - 1;
ok($node->poll_query_until('postgres', "SELECT count(*) = $pn FROM got"), 'the pipeline handled every change');
is($node->safe_psql('postgres', 'SELECT count(*) - count(DISTINCT id) FROM got'), '0', 'once');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.dead_letters WHERE trigger_name IN ('p_h', 'q_h')}),
	'0', 'and no dead letter');
# the depths kept go once the WAL they name was applied
ok($node->poll_query_until('postgres', q{
	SELECT count(*) <= 2 FROM dataeng_internal.on_change_depths}), 'the depths kept are trimmed');

$node->stop;
done_testing();
