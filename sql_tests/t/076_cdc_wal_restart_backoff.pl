# A WAL capture worker that fails at each start (here: its publication was
# changed by hand, so every round ends with an ERROR) is started again
# with a back-off: at least 10 s after the failure, then twice as long
# each time.  Without it, a new worker failed every second or so.  The
# failure is shown: _cdc_wal_start_state() says the worker is restarting
# and when, pipeline_status carries its last error (SQLSTATE, time,
# message: _cdc_wal_last_error()).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walbackoff', qq{
dataeng.maintenance_interval = 0
log_line_prefix = '%m [%p] '
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.schedule('tick', '1 second', 'SELECT 1');
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	INSERT INTO clicks VALUES (1, 'a');
});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('120 s')}), 't', 'captured while the worker runs');

my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{ALTER PUBLICATION dataeng_wal SET (publish = 'insert')});
my $changed = qr/publication "dataeng_wal" \(owner \S+\) was changed/;
ok($node->wait_for_log($changed, $offset), 'the worker fails at its start');
# 35 s from the change: the failure, a worker 10 s later, the next one 20 s
# after that (3 failures at most).  Without the back-off, the worker of the
# commit and the launcher's were each restarted every 10 s, and more were
# registered at the scheduler's passes: 8 failures or more.
sleep(35);
my $log = slurp_file($node->logfile, $offset);
my @pids = $log =~ /\[(\d+)\] ERROR:  $changed/g;
note('failing workers in 35 s: ' . scalar(@pids));
cmp_ok(scalar(@pids), '<=', 4, 'a failing worker is not started again in a loop');
# the failure is shown: the worker is seen waiting for its restart, the
# wait after the second failure in a row twice as long as after the first
# (polled: 35 s after the change a worker may be starting or failing
# between two waits, as the run's load decides)
ok($node->poll_query_until('postgres', q{SELECT state = 'restarting' AND next_attempt >= since + interval '19 s'
	FROM dataeng_internal._cdc_wal_start_state()}),
	'the worker is seen waiting for its restart, twice as long after failures in a row');

# (failing, not warning: 2 failures in a row or more, see t/077)
like($node->safe_psql('postgres', q{SELECT state || ' ' || last_error FROM dataeng.pipeline_status WHERE kind = 'slot'}),
	qr/^failing 55000 at .*: publication "dataeng_wal" \(owner \S+\) was changed: capture from the WAL stops \(\d failures in a row; the next worker starts at /,
	'pipeline_status shows the error that ended the last worker');

# a worker registered meanwhile (by the launcher) waits for the back-off:
# cdc_wal_sync() waits too, and times out rather than failing
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('2 s')}), 'f',
	'cdc_wal_sync() waits for a worker in its back-off');

# a worker waiting for its back-off ends at SIGTERM, in the wait (not once
# it is over: then it would fail on the publication instead)
my $waiter;
for (my $i = 0; $i < 120 && !defined $waiter; $i++)
{
	$log = slurp_file($node->logfile, $offset);
	my @waiting = $log =~ /\[(\d+)\] LOG:  dataeng wal capture: the worker of database \d+ waits \d+ s before/g;
	my $pid = $waiting[-1];
	# (alive, and still waiting: no error of its own yet)
	if (defined $pid && kill(0, $pid) && $log !~ /\[$pid\] ERROR:/)
	{
		$waiter = $pid;
	}
	else
	{
		sleep(1);
	}
}
ok(defined $waiter, 'a worker waits for its back-off');
my $term_offset = -s $node->logfile;
kill 'TERM', $waiter;
ok($node->wait_for_log(qr/\[$waiter\] FATAL:  terminating background worker "[^"]*" due to administrator command/, $term_offset),
	'a waiting worker ends at SIGTERM');
unlike(slurp_file($node->logfile, $term_offset), qr/\[$waiter\] ERROR:/, 'it never entered');

# repaired (the worker makes the publication again) and started by its
# owner: no back-off holds it back, capture goes on.  (Repaired while a
# back-off of 20 s or more is ahead, so that no worker enters, and fails,
# between the repair and the start: a loaded machine may take a while to
# let the next worker fail.)
ok($node->poll_query_until('postgres', q{SELECT state = 'restarting' AND next_attempt > clock_timestamp() + interval '20 s'
	FROM dataeng_internal._cdc_wal_start_state()}),
	'a back-off is ahead before the repair');
$offset = -s $node->logfile;
$node->safe_psql('postgres', q{DROP PUBLICATION dataeng_wal; INSERT INTO clicks VALUES (2, 'b')});
$node->safe_psql('postgres', q{SELECT dataeng.cdc_enable('clicks', method => 'wal')});
# the start ended the back-off: the worker registered at the commit is
# starting, or in already, not restarting at the back-off's end
like($node->safe_psql('postgres', q{SELECT state FROM dataeng_internal._cdc_wal_start_state()}), qr/^(starting|running)$/,
	'the owner\'s start ends the back-off');
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('300 s')}), 't', 'captured once repaired and started again');
is($node->safe_psql('postgres', q{SELECT state FROM dataeng_internal._cdc_wal_start_state()}), 'running',
	'the worker runs again');

# The error kept in shared memory is cut to its room (255 bytes) at a
# character's end: a message of 200 two-byte characters (400 bytes) comes
# back as 127 of them, valid UTF-8 (cut in the middle of the 128th, the
# text read back was not).  It is shown to superusers and REPLICATION
# roles only.
$node->safe_psql('postgres', q{CREATE DATABASE utf ENCODING 'UTF8' LOCALE 'C' TEMPLATE template0});
$node->safe_psql('utf', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	INSERT INTO clicks VALUES (1, 'a');
});
is($node->safe_psql('utf', q{SELECT dataeng.cdc_wal_sync('120 s')}), 't', 'captured in a UTF-8 database');
$offset = -s $node->logfile;
$node->safe_psql('utf', q{
	CREATE FUNCTION long_error() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  RAISE EXCEPTION '%', repeat(U&'\00E9', 200);
	END;
	$$;
	CREATE TRIGGER long_error BEFORE INSERT OR UPDATE ON dataeng_internal.cdc_wal_state
	  FOR EACH ROW EXECUTE FUNCTION long_error();
	INSERT INTO clicks VALUES (2, 'b');
});
ok($node->wait_for_log(qr/ERROR:  (\x{e9}|\xc3\xa9){200}/, $offset), 'the worker fails with a long message');
ok($node->poll_query_until('utf', q{SELECT dataeng_internal._cdc_wal_last_error() IS NOT NULL}),
	'the error is kept');
is($node->safe_psql('utf', q{
	SELECT length(m), octet_length(m), m = repeat(U&'\00E9', 127)
	  FROM (SELECT regexp_replace(regexp_replace(convert_from(textsend(dataeng_internal._cdc_wal_last_error()), 'UTF8'),
	                                             '^\S+ at \S+ \S+: ', ''),
	                              ' \(\d+ failures? in a row.*$', '') AS m) e}),
	'127|254|t', 'a message longer than its room is cut at a character\'s end');
is($node->safe_psql('utf', q{
	CREATE ROLE plain LOGIN;
	CREATE ROLE replicator LOGIN REPLICATION;
	SET ROLE plain;
	SELECT dataeng_internal._cdc_wal_last_error() IS NULL;
	RESET ROLE;
	SET ROLE replicator;
	SELECT dataeng_internal._cdc_wal_last_error() IS NOT NULL;}),
	"t\nt", 'shown to REPLICATION roles, not to others');
$node->safe_psql('utf', q{DROP TRIGGER long_error ON dataeng_internal.cdc_wal_state});

# An error outside pgoutput's change callback (here: writing the position in
# the round's transaction; out of memory there is the same) ends the worker
# and rolls its round back, the slot unconfirmed: the next worker decodes
# again from the slot, and the change those rounds failed on is recorded
# once, nothing lost.
is($node->safe_psql('utf', q{SELECT dataeng.cdc_wal_sync('300 s')}), 't',
	'captured once the error is gone');
is($node->safe_psql('utf', q{
	SELECT count(*) FROM dataeng_internal.change_log
	 WHERE table_oid = 'clicks'::regclass AND new_row->>'id' = '2'}),
	'1', 'the change of the failed rounds is recorded once');

$node->stop;
done_testing();
