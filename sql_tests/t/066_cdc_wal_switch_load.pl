# Switching a table between trigger and WAL capture while writers keep it
# busy (short overlapping transactions: at every moment one of them holds
# a lock on it).  The worker's lock without waiting never found it free,
# so the switch never happened under load; now it waits a little in the
# lock queue.  Each switch must happen while the writers run, and a
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
use Time::HiRes qw(time usleep);

my $node = WalNode::new_node('walswitch', qq{
dataeng.maintenance_interval = 0
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
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
my $started = time;
sleep 2;

# five switches, each while the writers run and within 5 s: the worker
# waits for the lock at most 0.1 s once a second, so a switch takes about
# a second; waiting for a moment without writers took 7 s, 12 s and more
# for a switch to the WAL (the writers' capture trigger makes them hold
# the lock nearly all the time)
foreach my $method (qw(wal trigger wal trigger wal))
{
	$node->safe_psql('postgres', "SELECT dataeng.cdc_enable('sw', method => '$method')");
	my $active = '';
	my $t0 = time;
	while (time - $t0 < 5)
	{
		$active = $node->safe_psql('postgres',
			q{SELECT active_method FROM dataeng.cdc_tables WHERE table_name = 'sw'::regclass});
		last if $active eq $method;
		usleep(100_000);
	}
	is($active, $method, "switched to $method under load");
	diag(sprintf('switch to %s took %.1f s', $method, time - $t0));
	ok(time - $started < $seconds, "while the writers run ($method)");
	sleep 1;
}

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
