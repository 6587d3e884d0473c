# CDC under randomized concurrent load: pgbench clients write a table in
# overlapping transactions of varying length that commit out of order, roll
# back, and roll back to savepoints; meanwhile a consumer applies what it
# polls to a replica and acknowledges it in the same transaction.  At the
# end the replica must equal the source, row for row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $duration = $ENV{DATAENG_STRESS_SECONDS} // 15;

my $node = PostgreSQL::Test::Cluster->new('stress');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_connections = 40
dataeng.cdc_segment_size = 2000
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL, t text);
	CREATE TABLE replica (LIKE src INCLUDING ALL);
	SELECT dataeng.cdc_enable('src');
	SELECT dataeng.cdc_consumer_create('stress', ARRAY['src'::regclass]);
	CREATE TABLE stats (applied bigint, max_seen bigint, out_of_order bigint, polls bigint);
	-- what was delivered, for the diagnosis of a failure
	CREATE TABLE delivered (poll bigint, change_id bigint, xid xid8, op "char", id int, v_new int);
	INSERT INTO stats VALUES (0, 0, 0, 0);

	-- one consumer step: poll, apply, acknowledge, in one transaction
	CREATE FUNCTION consume() RETURNS int LANGUAGE plpgsql AS $$
	DECLARE ch record; n int := 0; last bigint; mx bigint; ooo bigint := 0;
	BEGIN
	  SELECT max_seen INTO mx FROM stats;
	  FOR ch IN SELECT * FROM dataeng.cdc_poll('stress', 500) LOOP
	    IF ch.op IN ('U', 'D') THEN DELETE FROM replica WHERE id = (ch.pk->>'id')::int; END IF;
	    IF ch.op IN ('I', 'U') THEN
	      INSERT INTO replica SELECT * FROM jsonb_populate_record(NULL::replica, ch.new_row);
	    END IF;
	    IF ch.op = 'T' THEN TRUNCATE replica; END IF;
	    IF ch.change_id < mx THEN ooo := ooo + 1; END IF;
	    INSERT INTO delivered VALUES ((SELECT polls FROM stats), ch.change_id, ch.xid, ch.op,
	                                  (ch.pk->>'id')::int, (ch.new_row->>'v')::int);
	    mx := greatest(mx, ch.change_id);
	    n := n + 1;
	    last := ch.change_id;
	  END LOOP;
	  IF last IS NOT NULL THEN PERFORM dataeng.cdc_ack('stress', last); END IF;
	  UPDATE stats SET applied = applied + n, max_seen = mx, out_of_order = out_of_order + ooo,
	                   polls = polls + 1;
	  RETURN n;
	END $$;
});

my $dir = PostgreSQL::Test::Utils::tempdir;
my %scripts = (
	# several rows, a random pause: long transactions that commit out of order
	'mixed.sql' => q{
\set a random(1, 3000)
\set b random(1, 3000)
\set c random(1, 3000)
BEGIN;
INSERT INTO src VALUES (:a, 1, 'i') ON CONFLICT (id) DO UPDATE SET v = src.v + 1, t = src.t || 'x';
UPDATE src SET v = v + 10 WHERE id BETWEEN :b AND :b + 3;
SELECT pg_sleep(random() * 0.03);
DELETE FROM src WHERE id = :c;
INSERT INTO src VALUES (:c, 7, NULL) ON CONFLICT (id) DO NOTHING;
COMMIT;
},
	# rolled back work
	'rollback.sql' => q{
\set a random(1, 3000)
BEGIN;
INSERT INTO src VALUES (:a, -1, 'never') ON CONFLICT (id) DO UPDATE SET v = -1, t = 'never';
DELETE FROM src WHERE id = :a + 1;
SELECT pg_sleep(random() * 0.01);
ROLLBACK;
},
	# savepoints rolled back inside committed transactions
	'savepoint.sql' => q{
\set a random(1, 3000)
\set b random(1, 3000)
BEGIN;
UPDATE src SET v = v + 100 WHERE id = :a;
SAVEPOINT s;
UPDATE src SET v = -100, t = 'undone' WHERE id = :b;
DELETE FROM src WHERE id = :a;
ROLLBACK TO SAVEPOINT s;
INSERT INTO src VALUES (:b, 3, 's') ON CONFLICT (id) DO UPDATE SET t = 'saved';
COMMIT;
},
	# multi-row statements
	'bulk.sql' => q{
\set a random(1, 2900)
UPDATE src SET v = v + 1 WHERE id BETWEEN :a AND :a + 50;
},
	'consume.sql' => q{
SELECT consume();
},
);
for my $f (keys %scripts)
{
	open(my $fh, '>', "$dir/$f") or die "cannot write $dir/$f: $!";
	print $fh $scripts{$f};
	close $fh;
}

my $connstr = $node->connstr('postgres');
my ($wout, $werr, $cout, $cerr) = ('', '', '', '');
# deadlocks between writers are expected: pgbench retries them
my $writers = IPC::Run::start(
	[
		'pgbench', '-n', '-c', '6', '-j', '2', '-T', $duration, '--max-tries=20',
		'-f', "$dir/mixed.sql\@6", '-f', "$dir/rollback.sql\@2",
		'-f', "$dir/savepoint.sql\@2", '-f', "$dir/bulk.sql\@1", $connstr
	],
	'>', \$wout, '2>', \$werr);
my $consumer = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '1', '-T', $duration, '-f', "$dir/consume.sql", $connstr ],
	'>', \$cout, '2>', \$cerr);
$writers->finish;
$consumer->finish;
is($writers->result(0), 0, 'writers ran') or diag($werr);
is($consumer->result(0), 0, 'consumer ran') or diag($cerr);
my ($committed) = $wout =~ /number of transactions actually processed: (\d+)/;
diag("writer transactions committed or rolled back: " . ($committed // '?'));

# drain what is left
my $rounds = 0;
while ($rounds++ < 1000)
{
	last if $node->safe_psql('postgres', 'SELECT consume()') eq '0'
	  && $node->safe_psql('postgres', 'SELECT consume()') eq '0';
}

my $stats = $node->safe_psql('postgres', 'SELECT applied, out_of_order, polls FROM stats');
my ($applied, $ooo, $polls) = split /\|/, $stats;
diag("changes applied: $applied, delivered after a larger change_id: $ooo, polls: $polls");
cmp_ok($applied, '>', 2000, 'the consumer applied a real load');
cmp_ok($ooo, '>', 0, 'some changes committed out of change_id order (and were not lost)');
is($node->safe_psql('postgres', q{SELECT count(*) FROM replica WHERE v < 0 OR t IN ('never', 'undone')}),
	'0', 'no rolled-back change reached the replica');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM (TABLE src EXCEPT TABLE replica) a) || ' ' ||
	       (SELECT count(*) FROM (TABLE replica EXCEPT TABLE src) b)}),
	'0 0', 'replica equals source')
  or diag($node->safe_psql('postgres', q{
	WITH bad AS (SELECT id FROM (TABLE src EXCEPT TABLE replica) a
	             UNION SELECT id FROM (TABLE replica EXCEPT TABLE src) b)
	SELECT 'log', l.change_id, l.xid, l.op, l.old_row->>'v', l.new_row->>'v', NULL
	  FROM dataeng.change_log l, bad WHERE (l.pk->>'id')::int = bad.id
	UNION ALL
	SELECT 'delivered', d.change_id, d.xid, d.op, NULL, d.v_new::text, d.poll
	  FROM delivered d, bad WHERE d.id = bad.id
	ORDER BY 1, 2}));
is($node->safe_psql('postgres', 'SELECT count(*) - count(DISTINCT change_id) FROM delivered'),
	'0', 'no change delivered twice');
is($node->safe_psql('postgres', 'SELECT (SELECT count(*) FROM src) = (SELECT count(*) FROM replica)'),
	't', 'same row count');
is($node->safe_psql('postgres', q{SELECT pending_changes FROM dataeng.cdc_consumers}), '0',
	'nothing pending');
# every applied change was delivered once: the log holds exactly as many
# changes of src as the consumer applied
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'src'::regclass}),
	$applied, 'each change delivered exactly once');

# retention: everything is acknowledged, so purge empties the full segments
my $purged = $node->safe_psql('postgres', 'SELECT coalesce(sum(purged_changes), 0) FROM dataeng.cdc_purge()');
cmp_ok($purged, '>', 0, "purge truncated acknowledged segments ($purged changes)");

$node->stop;
done_testing();
