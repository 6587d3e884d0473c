# cdc_enable and cdc_disable lock a table's row of dataeng.cdc_tables, then
# the table (CREATE or DROP TRIGGER); the WAL worker switching the table's
# capture method locks the table, then the row.  The worker takes the row
# without waiting: when the owner's transaction holds it, the table is
# switched by a later round, and neither waits for the other (it was a
# deadlock, one side failing with 40P01).  The owner's transaction is held
# between its row and its table by a test trigger on dataeng.cdc_tables
# waiting for an advisory lock, so that the worker's round comes exactly
# in between; no sleep decides the order.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walrowlock', "deadlock_timeout = 200ms\n");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE base (id int PRIMARY KEY);
	CREATE TABLE sw1 (id int PRIMARY KEY, b int);
	CREATE TABLE sw2 (id int PRIMARY KEY, b int);
	-- (what cdc_enable(..., method => 'wal') does, under a lock)
	ALTER TABLE sw1 REPLICA IDENTITY FULL;
	ALTER TABLE sw2 REPLICA IDENTITY FULL;
	SELECT dataeng.cdc_enable('base', method => 'wal');
	SELECT dataeng.cdc_enable('sw1');
	SELECT dataeng.cdc_enable('sw2');
	-- holds the owner's transaction after it changed a row, before it
	-- goes on to the table
	CREATE FUNCTION public.hold_owner() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  IF pg_catalog.current_setting('application_name') = 'owner' THEN
	    PERFORM pg_catalog.pg_advisory_lock(4242);
	    PERFORM pg_catalog.pg_advisory_unlock(4242);
	  END IF;
	  RETURN NULL;
	END $$;
	CREATE TRIGGER hold_owner AFTER UPDATE OR DELETE ON dataeng.cdc_tables
	  FOR EACH ROW EXECUTE FUNCTION public.hold_owner();
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker runs');

my $worker_sql = q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'
                    AND datname = current_database()};

# one case: the owner's statement, once it has locked the row of $tbl
sub one_case
{
	my ($tbl, $statement, $n) = @_;

	# the worker pauses (dataeng.enabled off) while the switch is asked
	$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = off; SELECT pg_reload_conf()});
	ok($node->poll_query_until('postgres', q{SELECT dataeng_internal._cdc_wal_worker() = 'off'}),
		"$tbl: the worker pauses");
	$node->safe_psql('postgres', qq{SELECT dataeng.cdc_enable('$tbl', method => 'wal')});
	is($node->safe_psql('postgres', qq{SELECT method || '/' || active_method FROM dataeng.cdc_tables
	                                   WHERE table_name = '$tbl'::regclass}),
		'wal/trigger', "$tbl: its switch to the WAL is asked");

	my $ctl = $node->background_psql('postgres', on_error_stop => 0);
	$ctl->query_safe('SELECT pg_advisory_lock(4242)');
	my $owner = $node->background_psql('postgres', on_error_stop => 0);
	$owner->query_safe(q{SET application_name = 'owner'; SET client_min_messages = warning});
	my $owner_pid = $owner->query_safe('SELECT pg_backend_pid()');
	$owner->query_until(qr/started/, "\\echo started\n$statement;\n");
	ok($node->poll_query_until('postgres', qq{SELECT EXISTS (SELECT 1 FROM pg_locks
	                                          WHERE pid = $owner_pid AND locktype = 'advisory' AND NOT granted)}),
		"$tbl: the owner holds the row and waits before the table");

	# the worker's round comes in between
	my $log_at = -s $node->logfile;
	$node->safe_psql('postgres', q{ALTER SYSTEM RESET dataeng.enabled; SELECT pg_reload_conf()});
	$node->safe_psql('postgres', "INSERT INTO base VALUES ($n)");
	# until a round captured base's change: the worker may wait for the
	# table in the lock queue, which the owner holds since its
	# _cdc_reader_lock, a bounded 100 ms at most (wal_switch_lock), but never
	# for the owner's row, which the owner holds until it is let go below;
	# a worker still waiting for the owner when the time is up is named
	my $state = '';
	for (my $i = 0; $i < 600 && $state ne 'captured'; $i++)
	{
		$state = $node->safe_psql('postgres', qq{
			SELECT CASE WHEN EXISTS (SELECT 1 FROM dataeng.changes c
			                          WHERE c.table_name = 'base'::regclass AND c.new_row->>'id' = '$n')
			            THEN 'captured'
			            WHEN $owner_pid = ANY (pg_blocking_pids(($worker_sql LIMIT 1)))
			            THEN 'worker waits for the owner' ELSE '' END});
		select(undef, undef, undef, 0.05) if $state ne 'captured';
	}
	is($state, 'captured', "$tbl: the worker does not wait for the row; it captures the other tables");
	is($node->safe_psql('postgres', qq{SELECT method || '/' || active_method FROM dataeng.cdc_tables
	                                   WHERE table_name = '$tbl'::regclass}),
		'wal/trigger', "$tbl: the switch waits");

	# the owner goes on to the table
	$ctl->query_safe('SELECT pg_advisory_unlock(4242)');
	my ($out, $err) = $owner->query(q{SELECT 'owner done'});
	like($out, qr/owner done/, "$tbl: the owner's statement ends");
	is($err, 0, "$tbl: without an error") or diag($owner->{stderr});
	$owner->quit;
	$ctl->quit;
	my $log = slurp_file($node->logfile, $log_at);
	unlike($log, qr/deadlock detected/, "$tbl: no deadlock in the server log");
	return;
}

one_case('sw1', q{SELECT dataeng.cdc_disable('sw1')}, 1);
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'synced after cdc_disable');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.cdc_tables WHERE table_name = 'sw1'::regclass}),
	'0', 'sw1 is no longer captured');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'sw1'::regclass
                                   AND tgname LIKE 'dataeng_capture_%'}),
	'0', 'sw1 has no capture trigger');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_publication_tables WHERE tablename = 'sw1'}),
	'0', 'sw1 is not in the publication');

one_case('sw2', q{SELECT dataeng.cdc_enable('sw2', exclude_columns => '{b}')}, 2);
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'synced after cdc_enable');
is($node->safe_psql('postgres', q{SELECT method || '/' || active_method || ' ' || exclude_columns::text
                                   FROM dataeng.cdc_tables WHERE table_name = 'sw2'::regclass}),
	'wal/wal {b}', 'sw2 is switched by a later round, with its new options');
$node->safe_psql('postgres', 'INSERT INTO sw2 VALUES (1, 10)');
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'synced');
is($node->safe_psql('postgres', q{SELECT string_agg(new_row::text, ',') FROM dataeng.changes
                                   WHERE table_name = 'sw2'::regclass}),
	'{"id": 1}', 'sw2 is captured from the WAL without the excluded column');
unlike(slurp_file($node->logfile), qr/deadlock detected/, 'no deadlock anywhere in the server log');

$node->stop;
done_testing();
