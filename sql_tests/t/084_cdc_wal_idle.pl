# An idle WAL capture worker is idle: with a table captured from the WAL
# and nothing written, the worker takes no transaction id and writes no
# WAL.  Before, each round (every dataeng.wal_naptime) locked the worker's
# state row, taking a transaction id and writing WAL, which the next round
# then decoded: 5 transaction ids and 530 bytes of WAL a second in an idle
# database, forever.  Changes written after a long idle time are still
# captured, including one committed by a session while the worker was
# between rounds, and a wait for the worker returns when the WAL ends at a
# page boundary.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

# (autovacuum off: its ANALYZE of the new tables would take transaction ids)
my $node = WalNode::new_node('walidle', qq{
autovacuum = off
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src', method => 'wal');
	SELECT dataeng.cdc_consumer_create('c', '{src}');
	INSERT INTO src VALUES (1, 'a');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker captures the table');

# the next transaction id and the end of WAL, read without taking an id
sub position
{
	return split /\|/, $node->safe_psql('postgres', q{
		SELECT pg_snapshot_xmax(pg_current_snapshot()), pg_current_wal_insert_lsn()});
}

# idle for 3 s (60 naps of the worker): no transaction id at all, and at
# most a running-transactions record of the background writer (50 bytes,
# every 15 s) as WAL
my ($xid0, $lsn0) = position();
sleep(3);
my ($xid1, $lsn1) = position();
is($xid1 - $xid0, 0, 'an idle worker takes no transaction id');
my $wal = $node->safe_psql('postgres', qq{SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')});
cmp_ok($wal, '<=', 100, "an idle worker writes no WAL ($wal bytes in 3 s)");
ok($node->safe_psql('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'}),
	'and it is still running');

# after the idle time, a change is captured without any session waking the
# worker (no cdc_wal_sync(): polled in the change log)
$node->safe_psql('postgres', q{INSERT INTO src VALUES (2, 'b')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM dataeng_internal.change_log WHERE new_row->>'id' = '2'}),
	'a change after an idle time is captured');

# many small transactions, each right after the other, while the worker
# settles between them: every one is captured
# (one session, each INSERT its own transaction, 0 to 120 ms apart)
$node->safe_psql('postgres', join('', map {
	"INSERT INTO src VALUES ($_, 'c'); SELECT pg_sleep(" . (0.03 * ($_ % 5)) . ");\n" } 3 .. 40));
ok($node->poll_query_until('postgres', q{
	SELECT count(DISTINCT new_row->>'id') = 39 FROM dataeng_internal.change_log
	 WHERE (new_row->>'id')::int BETWEEN 2 AND 40}),
	'every transaction written between idle rounds is captured');

# idle again: no transaction id
($xid0, $lsn0) = position();
sleep(2);
($xid1, $lsn1) = position();
is($xid1 - $xid0, 0, 'idle again: no transaction id');

# the WAL ends at a page boundary (a logical message sized to fill the
# page), and nothing more is written: pg_current_wal_insert_lsn() points
# past the next page's header, where no decoding reaches; cdc_wal_sync()
# waits for the end of the WAL instead (before, it timed out: the worker's
# rounds had always written WAL of their own)
my $off = $node->safe_psql('postgres', q{
	DO $$
	DECLARE
	  gap int;
	BEGIN
	  FOR i IN 1 .. 200 LOOP
	    gap := 8192 - ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn) % 8192)::int;
	    -- (the record's header and the message's take 60 bytes)
	    PERFORM pg_logical_emit_message(false, 'p',
	      repeat('x', CASE WHEN gap > 160 THEN gap - 60 ELSE gap + 8192 - 60 END));
	    EXIT WHEN ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn) % 8192)::int IN (24, 40);
	  END LOOP;
	END $$;
	SELECT ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn) % 8192)::int});
ok($off == 24 || $off == 40, "the WAL ends at a page boundary (insert position $off bytes into a page)");
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('10 s')}), 't',
	'cdc_wal_sync() returns when the WAL ends at a page boundary');

$node->stop;
done_testing();
