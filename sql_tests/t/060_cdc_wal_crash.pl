# Capture from the WAL across crashes.  Several clients write a captured
# table (long, overlapping and rolled-back transactions, TOASTed values, a
# TRUNCATE) while the WAL worker decodes it; the server is stopped with
# -m immediate in the middle of the stream, twice, and restarted.  Then a
# consumer's replica (cdc_poll/cdc_ack) and an on_change handler's replica
# both equal the source, and the handler saw each change exactly once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walcrash');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v text, n numeric, big text);
	CREATE TABLE copy (LIKE src);
	CREATE TABLE copy2 (LIKE src);
	CREATE TABLE handled (change_id bigint, op "char");
	INSERT INTO src SELECT g, 'before', g, NULL FROM generate_series(1, 50) g;
	INSERT INTO copy SELECT * FROM src;
	INSERT INTO copy2 SELECT * FROM src;
	SELECT dataeng.cdc_consumer_create('c', '{src}');
	SELECT dataeng.cdc_enable('src', method => 'wal');
	-- the consumer's side: apply up to n changes and acknowledge them
	CREATE FUNCTION apply(n int) RETURNS int LANGUAGE plpgsql AS $$
	DECLARE ch record; k int := 0; last bigint;
	BEGIN
	  FOR ch IN SELECT * FROM dataeng.cdc_poll('c', n, false) LOOP
	    IF ch.op = 'T' THEN DELETE FROM copy; END IF;
	    IF ch.op IN ('U', 'D') THEN DELETE FROM copy WHERE id = (ch.pk->>'id')::int; END IF;
	    IF ch.op IN ('I', 'U') THEN
	      INSERT INTO copy SELECT * FROM jsonb_populate_record(NULL::copy, ch.new_row);
	    END IF;
	    k := k + 1;
	    last := ch.change_id;
	  END LOOP;
	  IF last IS NOT NULL THEN PERFORM dataeng.cdc_ack('c', last); END IF;
	  RETURN k;
	END $$;
	-- the on_change side
	CREATE FUNCTION h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
	DECLARE ch dataeng.change;
	BEGIN
	  FOREACH ch IN ARRAY changes LOOP
	    IF ch.op = 'T' THEN DELETE FROM public.copy2; END IF;
	    IF ch.op IN ('U', 'D') THEN DELETE FROM public.copy2 WHERE id = (ch.pk->>'id')::int; END IF;
	    IF ch.op IN ('I', 'U') THEN
	      INSERT INTO public.copy2 SELECT * FROM jsonb_populate_record(NULL::public.copy2, ch.new_row);
	    END IF;
	    INSERT INTO public.handled VALUES (ch.change_id, ch.op);
	  END LOOP;
	END $$;
	SELECT dataeng.on_change('replicate', 'src', 'h(dataeng.change[])');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the table');
is($node->safe_psql('postgres', q{SELECT method || '/' || active_method FROM dataeng.cdc_tables}),
	'wal/wal', 'src is captured from the WAL');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'src'::regclass}),
	'0', 'without a trigger');

# writers: upserts with TOASTed values, updates, deletes, rolled-back work
my $dir = PostgreSQL::Test::Utils::tempdir;
my $write = WalNode::pgbench_script($dir, 'write.sql', q{
\set id random(1, 300)
\set id2 random(1, 300)
BEGIN;
INSERT INTO src VALUES (:id, 'w' || :client_id, :id * 1.5, CASE WHEN :id % 7 = 0 THEN repeat(md5(:id::text), 400) END)
  ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, n = src.n + 1;
UPDATE src SET v = v || '+' WHERE id = :id2;
SELECT pg_sleep(0.002);
DELETE FROM src WHERE id = :id2 + 1;
END;
});
my $rollback = WalNode::pgbench_script($dir, 'rollback.sql', q{
\set id random(1000, 2000)
BEGIN;
INSERT INTO src VALUES (:id, 'rolled back', 0, repeat('r', 3000)) ON CONFLICT DO NOTHING;
UPDATE src SET v = 'rolled back' WHERE id < 10;
ROLLBACK;
});

sub writers
{
	my ($seconds) = @_;
	return WalNode::pgbench_start($node, '-c', '3', '-T', $seconds, '-f', "$write\@8", '-f', "$rollback\@2");
}

# a long transaction overlapping the stream, committed before the crash
my $long = $node->background_psql('postgres', on_error_stop => 0);
$long->query_safe('BEGIN');
$long->query_safe(q{INSERT INTO src SELECT g, 'long', g, repeat('L', 5000) FROM generate_series(5000, 5200) g});
my $w = writers(4);
sleep 1;
$long->query_safe(q{UPDATE src SET v = 'long, updated' WHERE id BETWEEN 5000 AND 5100});
$long->query_safe('COMMIT');
# an open transaction at the crash: never captured
my $open = $node->background_psql('postgres', on_error_stop => 0);
$open->query_safe('BEGIN');
$open->query_safe(q{INSERT INTO src VALUES (9999, 'in flight at the crash')});
sleep 1;
$node->stop('immediate');
$w->finish;
$long->quit;
$open->quit;
$node->start;

# more writing, a TRUNCATE in the middle, and a second crash
$w = writers(3);
sleep 1;
$node->safe_psql('postgres', q{TRUNCATE src});
$node->safe_psql('postgres', q{INSERT INTO src SELECT g, 'after truncate', g, NULL FROM generate_series(3000, 3050) g});
sleep 1;
$node->stop('immediate');
$w->finish;
$node->start;
$w = writers(2);
$w->finish;

ok($node->poll_query_until('postgres', 'SELECT dataeng.cdc_wal_sync(\'1 s\')'), 'the worker catches up');
my $n;
do { $n = $node->safe_psql('postgres', 'SELECT apply(5000)') } while ($n > 0);

my $diff = q{SELECT (SELECT count(*) FROM (TABLE src EXCEPT ALL TABLE %1$s) a)
	     + (SELECT count(*) FROM (TABLE %1$s EXCEPT ALL TABLE src) b)};
ok($node->safe_psql('postgres', 'SELECT count(*) FROM src') > 50, 'the source has rows');
is($node->safe_psql('postgres', sprintf($diff, 'copy')), '0', "the consumer's replica equals the source");
is($node->safe_psql('postgres', sprintf($diff, 'copy2')), '0', "the handler's replica equals the source");
is($node->safe_psql('postgres', 'SELECT count(*) - count(DISTINCT change_id) FROM handled'), '0',
	'the handler saw each change once');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng_internal.change_log l WHERE l.table_oid = 'src'::regclass
	   AND NOT EXISTS (SELECT 1 FROM handled h WHERE h.change_id = l.change_id)}), '0',
	'and every captured change');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng_internal.change_log WHERE new_row->>'v' IN ('rolled back', 'in flight at the crash')}),
	'0', 'no rolled-back or in-flight change was captured');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng_internal.change_log WHERE op = 'T'}), '1',
	'the TRUNCATE was captured once');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.dead_letters}), '0', 'no dead letter');
# the slot holds no WAL once caught up
ok($node->poll_query_until('postgres', q{
	SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), confirmed_flush_lsn) < 100000
	  FROM pg_replication_slots WHERE slot_name LIKE 'dataeng_wal_%'}), 'the slot follows the WAL');

$node->stop;
done_testing();
