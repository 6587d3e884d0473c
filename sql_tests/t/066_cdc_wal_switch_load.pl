# Switching a table between trigger and WAL capture while writers keep it
# busy (short overlapping transactions: at every moment one of them holds
# a lock on it).  The worker's lock without waiting never found it free,
# so the switch never happened under load; now it waits a little in the
# lock queue.  A relay of two sessions holds the table's lock at every
# moment (each takes it before the other lets it go; only a session that
# waits for it in the queue, behind the worker, lets a moment without a
# holder happen): each switch must happen while it runs, however long it
# takes on a busy machine.  Meanwhile pgbench writes the table, and a
# consumer that applies each change strictly (an INSERT of a new key, an
# UPDATE or DELETE of exactly one row) must end equal to the source: no
# change lost or captured twice across the switches.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;
use Time::HiRes qw(time);

my $node = WalNode::new_node('walswitch', qq{
dataeng.maintenance_interval = 0
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE EXTENSION dblink;
	CREATE TABLE sw (id int PRIMARY KEY, v int NOT NULL, pad text);
	CREATE TABLE sw_replica (LIKE sw INCLUDING ALL);
	SELECT dataeng.cdc_enable('sw');
	SELECT dataeng.cdc_consumer_create('sw_c', '{sw}');
	-- strict: a change that finds the replica not as expected is an error
	-- (a batch per transaction: the replica's old row versions go)
	CREATE PROCEDURE apply_changes(INOUT n bigint) LANGUAGE plpgsql AS $$
	DECLARE c record; k int;
	BEGIN
	  LOOP
	    k := 0;
	    FOR c IN SELECT * FROM dataeng.cdc_poll('sw_c', 10000) ORDER BY position LOOP
	      k := k + 1;
	      IF c.op = 'I' THEN
	        INSERT INTO sw_replica SELECT * FROM jsonb_populate_record(NULL::sw_replica, c.new_row);
	      ELSIF c.op = 'U' THEN
	        UPDATE sw_replica r SET v = (c.new_row->>'v')::int, pad = c.new_row->>'pad',
	                                id = (c.new_row->>'id')::int
	         WHERE r.id = (c.pk->>'id')::int AND r.v = (c.old_row->>'v')::int;
	        IF NOT FOUND THEN RAISE EXCEPTION 'update of % found no row as it was', c.pk; END IF;
	      ELSIF c.op = 'D' THEN
	        DELETE FROM sw_replica r WHERE r.id = (c.pk->>'id')::int AND r.v = (c.old_row->>'v')::int;
	        IF NOT FOUND THEN RAISE EXCEPTION 'delete of % found no row as it was', c.pk; END IF;
	      ELSE
	        RAISE EXCEPTION 'unexpected op %', c.op;
	      END IF;
	    END LOOP;
	    EXIT WHEN k = 0;
	    n := n + k;
	    PERFORM dataeng.cdc_ack('sw_c');
	    COMMIT;
	  END LOOP;
	END $$;
	-- the relay: sessions r1 and r2 (dblink) hold sw's lock in turn, as
	-- writers do (ROW EXCLUSIVE); the next takes it before the last lets
	-- it go, unless it waits for it (behind the worker, or cdc_enable)
	CREATE TABLE relay_ctl (stop boolean NOT NULL DEFAULT false, handovers int, queued int);
	INSERT INTO relay_ctl DEFAULT VALUES;
	CREATE PROCEDURE relay(connstr text) LANGUAGE plpgsql AS $$
	DECLARE
	  conns text[] := '{r1,r2}';
	  pids int[];
	  cur int := 1;
	  nxt int;
	  waited boolean;
	  n int := 0;
	  q int := 0;
	BEGIN
	  PERFORM dblink_connect(conns[1], connstr);
	  PERFORM dblink_connect(conns[2], connstr);
	  pids := ARRAY[(SELECT p FROM dblink(conns[1], 'SELECT pg_backend_pid()') t(p int)),
	                (SELECT p FROM dblink(conns[2], 'SELECT pg_backend_pid()') t(p int))];
	  PERFORM dblink_exec(conns[cur], 'BEGIN');
	  PERFORM dblink_exec(conns[cur], 'LOCK TABLE sw IN ROW EXCLUSIVE MODE');
	  WHILE NOT (SELECT c.stop FROM relay_ctl c) LOOP
	    PERFORM pg_sleep(0.01);
	    nxt := 3 - cur;
	    PERFORM dblink_exec(conns[nxt], 'BEGIN');
	    PERFORM dblink_send_query(conns[nxt], 'LOCK TABLE sw IN ROW EXCLUSIVE MODE');
	    -- until the next holds the lock, or waits for it
	    waited := false;
	    WHILE dblink_is_busy(conns[nxt]) = 1 LOOP
	      IF EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pids[nxt] AND NOT l.granted) THEN
	        waited := true;
	        EXIT;
	      END IF;
	      PERFORM pg_sleep(0.001);
	    END LOOP;
	    PERFORM dblink_exec(conns[cur], 'COMMIT');
	    PERFORM * FROM dblink_get_result(conns[nxt]) AS t(status text);
	    PERFORM * FROM dblink_get_result(conns[nxt]) AS t(status text);
	    n := n + 1;
	    q := q + waited::int;
	    cur := nxt;
	    COMMIT;
	  END LOOP;
	  PERFORM dblink_exec(conns[cur], 'COMMIT');
	  PERFORM dblink_disconnect(conns[1]);
	  PERFORM dblink_disconnect(conns[2]);
	  UPDATE relay_ctl SET handovers = n, queued = q;
	END $$;
});

my $dir = PostgreSQL::Test::Utils::tempdir;
open(my $fh, '>', "$dir/write.sql") or die;
print $fh q{
\set id random(1, 500)
\set r random(1, 3)
BEGIN;
INSERT INTO sw VALUES (:id, :r, 'x') ON CONFLICT (id) DO UPDATE SET v = sw.v + 1;
UPDATE sw SET v = v + 1 WHERE id = :id + 1;
DELETE FROM sw WHERE id = :id + 2 AND :r = 1;
END;
};
close($fh);

my $seconds = 40;
my ($out, $err) = ('', '');
my $bench = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '4', '-T', $seconds, '-f', "$dir/write.sql",
	  '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$out, '2>', \$err);
my $relay = $node->background_psql('postgres', on_error_stop => 0);
my $relay_connstr = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';
$relay->query_until(qr/started/, "\\echo started\nCALL relay('$relay_connstr');\n");
ok($node->poll_query_until('postgres', q{SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                                                  WHERE l.relation = 'sw'::regclass AND l.granted
                                                    AND a.query = 'LOCK TABLE sw IN ROW EXCLUSIVE MODE')}),
	'the relay holds the lock');
sleep 2;

# five switches, each while the relay and the writers keep the table
# locked: the worker waits for the lock at most 0.1 s once a second, so a
# switch takes about a second on an idle machine; a worker that waited
# for a moment without writers took 7 s, 12 s and more for a switch to
# the WAL under pgbench alone (the writers' capture trigger makes them
# hold the lock nearly all the time), and never switches under the relay
foreach my $method (qw(wal trigger wal trigger wal))
{
	$node->safe_psql('postgres', "SELECT dataeng.cdc_enable('sw', method => '$method')");
	my $t0 = time;
	ok($node->poll_query_until('postgres', qq{SELECT active_method = '$method' FROM dataeng.cdc_tables
	                                          WHERE table_name = 'sw'::regclass}),
		"switched to $method under load") or last;
	diag(sprintf('switch to %s took %.1f s', $method, time - $t0));
	sleep 1;
}

$node->safe_psql('postgres', 'UPDATE relay_ctl SET stop = true');
my ($relay_out, $relay_err) = $relay->query('SELECT handovers, queued FROM relay_ctl');
is($relay_err, 0, 'the relay ended without an error') or diag($relay->{stderr});
$relay->quit;
like($relay_out, qr/^\d+\|\d+$/m, 'the relay ran until the switches were done') or diag($relay_out);
diag("relay (handovers|handovers to a session that waited in the queue): $relay_out");

$bench->finish;
like($out, qr/number of failed transactions: 0/, 'no writer failed') or diag($err);

is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'synced');
my $applied = $node->safe_psql('postgres', 'CALL apply_changes(0)');
ok($applied > 1000, "the consumer applied the changes strictly ($applied)");
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT * FROM sw EXCEPT SELECT * FROM sw_replica) a}), '0',
	'no row of the source missing from the replica');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT * FROM sw_replica EXCEPT SELECT * FROM sw) a}), '0',
	'no row of the replica missing from the source');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM sw) = (SELECT count(*) FROM sw_replica)}), 't', 'as many rows');

$node->stop;
done_testing();
