# on_change handlers slower than their role's budget of a round
# (dataeng.on_change_role_budget) across crashes.  Writers commit small
# transactions to a table captured from the WAL whose handler takes longer
# than the budget, so that its batches wait in the backlog while capture
# goes on; the server is stopped with -m immediate twice while the backlog
# holds batches, and restarted.  Then the handler got every captured change
# exactly once, in commit order, and the backlog is empty.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walbacklog', q{
dataeng.on_change_role_budget = 10ms
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v int);
	CREATE TABLE handled (call_no bigint GENERATED ALWAYS AS IDENTITY, change_id bigint, worker_xact xid8);
	SELECT dataeng.cdc_enable('src', method => 'wal');
	CREATE FUNCTION h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	  PERFORM pg_sleep(0.02);
	  INSERT INTO public.handled (change_id, worker_xact)
	    SELECT c.change_id, pg_current_xact_id() FROM unnest(changes) c ORDER BY c.change_id;
	END $$;
	SELECT dataeng.on_change('slow', 'src', 'h(dataeng.change[])');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the table');

my $write = WalNode::pgbench_script(PostgreSQL::Test::Utils::tempdir, 'write.sql', q{
\set id random(1, 200)
INSERT INTO src VALUES (:id, 1) ON CONFLICT (id) DO UPDATE SET v = src.v + 1;
});

sub writers
{
	my ($seconds) = @_;
	return WalNode::pgbench_start($node, '-c', '2', '-R', '60', '-T', $seconds, '-f', $write);
}

my $backlog = 'SELECT count(*) > 0 FROM dataeng_internal.on_change_backlog';
for my $crash (1, 2)
{
	my $w = writers(3);
	ok($node->poll_query_until('postgres', $backlog), "batches wait in the backlog ($crash)");
	# (more of them, and the handler at work on them)
	sleep 1;
	$node->stop('immediate');
	$w->finish;
	$node->start;
}
my $w = writers(3);
$w->finish;

ok($node->poll_query_until('postgres', 'SELECT dataeng.cdc_wal_sync(\'1 s\')'),
	'the worker catches up, backlog included');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.on_change_backlog'), '0',
	'the backlog is empty');
ok($node->safe_psql('postgres', 'SELECT count(DISTINCT worker_xact) FROM handled') > 1,
	'handled over several rounds');
is($node->safe_psql('postgres', 'SELECT count(*) - count(DISTINCT change_id) FROM handled'), '0',
	'the handler saw each change once');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng_internal.change_log l WHERE l.table_oid = 'src'::regclass
	   AND NOT EXISTS (SELECT 1 FROM handled h WHERE h.change_id = l.change_id)}), '0',
	'and every captured change');
ok($node->safe_psql('postgres', q{SELECT count(*) FROM handled}) > 100, 'many changes');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT change_id, lag(change_id) OVER (ORDER BY call_no) AS prev FROM handled) x
	 WHERE x.prev > x.change_id}), '0', 'in commit order');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.dead_letters}), '0', 'no dead letter');
is($node->safe_psql('postgres', q{SELECT sum(v) FROM src}),
	$node->safe_psql('postgres', q{SELECT count(*) FROM dataeng_internal.change_log l WHERE l.table_oid = 'src'::regclass}),
	'every write captured');

$node->stop;
done_testing();
