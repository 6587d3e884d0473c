# on_change handlers with no time limit of their own
# (dataeng.on_change_timeout = 0) blocked on a lock, across crashes.  A
# call then takes at most what is left of its role's budget of the round:
# while a session holds the lock the handler waits for, another table is
# captured all the same, and the handler's batches wait in the backlog
# with no call counted (once its call with the same batch was cut off 5
# times in a row, a WARNING says it cannot complete within the budget).
# The server is stopped with -m immediate while the
# handler is blocked, and restarted.  Then the handler got every captured
# change exactly once, in commit order.  Second, the backlog's bound
# (dataeng.on_change_max_backlog): the blocked trigger pauses, a crash
# right after it keeps it paused and its batches set aside, none lost, and
# on_change_resume() hands every one to the handler once, in commit order.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walunbounded', q{
dataeng.on_change_timeout = 0
dataeng.on_change_role_budget = 50ms
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v int);
	CREATE TABLE other (id int PRIMARY KEY);
	CREATE TABLE handled (call_no bigint GENERATED ALWAYS AS IDENTITY, change_id bigint);
	SELECT dataeng.cdc_enable('src', method => 'wal');
	SELECT dataeng.cdc_enable('other', method => 'wal');
	CREATE FUNCTION h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	  PERFORM pg_catalog.pg_advisory_xact_lock_shared(77);
	  INSERT INTO public.handled (change_id)
	    SELECT c.change_id FROM unnest(changes) c ORDER BY c.change_id;
	END $$;
	SELECT dataeng.on_change('blocked', 'src', 'h(dataeng.change[])');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the tables');

my $write = WalNode::pgbench_script(PostgreSQL::Test::Utils::tempdir, 'write.sql', q{
\set id random(1, 200)
INSERT INTO src VALUES (:id, 1) ON CONFLICT (id) DO UPDATE SET v = src.v + 1;
});

sub writers
{
	my ($seconds) = @_;
	return WalNode::pgbench_start($node, '-c', '2', '-R', '40', '-T', $seconds, '-f', $write);
}

# the handlers' effects, checked against the change log
sub check_handled
{
	my ($what) = @_;
	is($node->safe_psql('postgres', 'SELECT count(*) - count(DISTINCT change_id) FROM handled'), '0',
		"$what: the handler saw each change once");
	is($node->safe_psql('postgres', q{
		SELECT count(*) FROM dataeng_internal.change_log l WHERE l.table_oid = 'src'::regclass
		   AND NOT EXISTS (SELECT 1 FROM handled h WHERE h.change_id = l.change_id)}), '0',
		"$what: and every captured change");
	is($node->safe_psql('postgres', q{
		SELECT count(*) FROM (SELECT change_id, lag(change_id) OVER (ORDER BY call_no) AS prev FROM handled) x
		 WHERE x.prev > x.change_id}), '0', "$what: in commit order");
	is($node->safe_psql('postgres', q{SELECT sum(v) FROM src}),
		$node->safe_psql('postgres', q{SELECT count(*) FROM dataeng_internal.change_log l WHERE l.table_oid = 'src'::regclass}),
		"$what: every write captured");
}

# 1. The handler blocked: the other table is captured meanwhile; a crash
for my $crash (1, 2)
{
	my $holder = $node->background_psql('postgres', on_error_stop => 0);
	$holder->query_safe('SELECT pg_advisory_lock(77)');
	my $w = writers(2);
	ok($node->poll_query_until('postgres',
		'SELECT count(*) > 1 FROM dataeng_internal.on_change_backlog'),
		"batches wait in the backlog ($crash)");
	$node->safe_psql('postgres', "INSERT INTO other VALUES ($crash)");
	ok($node->poll_query_until('postgres', qq{
		SELECT EXISTS (SELECT 1 FROM dataeng_internal.change_log l
		                WHERE l.table_oid = 'other'::regclass AND l.pk->>'id' = '$crash')}),
		"another table is captured while the handler is blocked ($crash)");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng.dead_letters'), '0',
		"a lock wait with no limit is no failure ($crash)");
	is($node->safe_psql('postgres', 'SELECT coalesce(max(attempts), 0) FROM dataeng_internal.on_change_backlog'), '0',
		"and counts no call ($crash)");
	if ($crash == 1)
	{
		# cut off with the whole budget again and again: said at the 5th time
		ok($node->poll_query_until('postgres',
			q{SELECT calls_cut_off >= 5 FROM dataeng.on_changes WHERE trigger_name = 'blocked'}),
			'the calls cut off in a row are counted');
		ok($node->wait_for_log(
			qr/WARNING:  on_change trigger "blocked" cannot complete a call within its role's budget of a round: its call with the batch of commit [0-9A-F]+\/[0-9A-F]+ was cut off 5 times in a row/),
			'a WARNING says the handler cannot complete within its role\'s budget');
		ok($node->log_contains(qr/HINT:  Raise dataeng.on_change_role_budget above what one call of the handler takes/),
			'with a hint naming the budget');
	}
	$w->finish;
	$node->stop('immediate');
	$holder->quit;
	$node->start;
}
ok($node->poll_query_until('postgres', q{SELECT dataeng.cdc_wal_sync('1 s')}),
	'the lock free, the worker catches up, backlog included');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.on_change_backlog'), '0',
	'the backlog is empty');
check_handled('blocked');
ok($node->safe_psql('postgres', q{SELECT count(*) FROM handled}) > 20, 'many changes');

# 2. The backlog's bound: the trigger pauses; a crash right after
$node->append_conf('postgresql.conf', "dataeng.on_change_max_backlog = 5\n");
$node->reload;
my $holder = $node->background_psql('postgres', on_error_stop => 0);
$holder->query_safe('SELECT pg_advisory_lock(77)');
my $w = writers(2);
ok($node->poll_query_until('postgres', q{
	SELECT pause_reason LIKE 'its backlog reached dataeng.on_change_max_backlog (5 batches)'
	  FROM dataeng.on_changes WHERE trigger_name = 'blocked'}),
	'the trigger pauses at the bound');
$node->stop('immediate');
$w->finish;
$holder->quit;
$node->start;
ok($node->poll_query_until('postgres', q{SELECT dataeng.cdc_wal_sync('1 s')}), 'the worker catches up');
is($node->safe_psql('postgres', q{
	SELECT paused_at IS NOT NULL, backlog_batches FROM dataeng.on_changes WHERE trigger_name = 'blocked'}),
	't|0', 'still paused, its backlog set aside');
ok($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.dead_letters}) >= 5, 'in dead_letters');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.dead_letters WHERE error IS DISTINCT FROM 'not handled: the trigger is paused'}),
	'0', 'none failed');
$node->safe_psql('postgres', q{SELECT dataeng.on_change_resume('blocked')});
ok($node->poll_query_until('postgres', q{
	SELECT paused_at IS NULL AND NOT resume_requested FROM dataeng.on_changes WHERE trigger_name = 'blocked'}),
	'resumed');
$node->safe_psql('postgres', q{INSERT INTO src VALUES (1000, 1)});
ok($node->poll_query_until('postgres', q{SELECT dataeng.cdc_wal_sync('1 s')}), 'the worker catches up again');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.dead_letters}), '0', 'no dead letter left');
check_handled('bounded');

$node->stop;
done_testing();
