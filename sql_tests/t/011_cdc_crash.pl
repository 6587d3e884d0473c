# CDC across crashes: what was not acknowledged is delivered again (also
# to a new session after a disconnect), what was acknowledged (in the
# transaction that applied it) never is, and a transaction in progress at
# the crash never appears.  Prepared transactions survive the crash and are
# delivered once when committed, never when rolled back.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_prepared_transactions = 5
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v text);
	CREATE TABLE copy (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src');
	SELECT dataeng.cdc_consumer_create('c');
	-- apply up to n changes to copy and acknowledge them, in one transaction
	CREATE FUNCTION apply(n int) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE ch record; got text := ''; last bigint;
	BEGIN
	  FOR ch IN SELECT * FROM dataeng.cdc_poll('c', n, false) LOOP
	    IF ch.op IN ('U', 'D') THEN DELETE FROM copy WHERE id = (ch.pk->>'id')::int; END IF;
	    IF ch.op IN ('I', 'U') THEN
	      INSERT INTO copy SELECT * FROM jsonb_populate_record(NULL::copy, ch.new_row);
	    END IF;
	    got := got || ch.change_id || ' ';
	    last := ch.change_id;
	  END LOOP;
	  IF last IS NOT NULL THEN PERFORM dataeng.cdc_ack('c', last); END IF;
	  RETURN btrim(got);
	END $$;
});
$node->safe_psql('postgres', "INSERT INTO src VALUES (1, 'a')");
$node->safe_psql('postgres', "INSERT INTO src VALUES (2, 'b')");
$node->safe_psql('postgres', "INSERT INTO src VALUES (3, 'c')");

my $poll = q{SELECT string_agg(change_id::text, ' ' ORDER BY change_id) FROM dataeng.cdc_poll('c')};
is($node->safe_psql('postgres', $poll), '1 2 3', 'three changes delivered');

# 1. Polled, not acknowledged, then a crash: delivered again.
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', $poll), '1 2 3', 'unacknowledged changes delivered again after a crash');

# 2. Applied and acknowledged in one transaction, then a crash: never again.
is($node->safe_psql('postgres', 'SELECT apply(2)'), '1 2', 'first two applied and acknowledged');
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', $poll), '3', 'acknowledged changes are not delivered again after a crash');
is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \' \' ORDER BY id) FROM copy'),
	'1 2', 'the copy holds exactly what was applied');

# 3. A consumer that crashes after applying but before committing: its
#    acknowledgement is lost together with its applied rows, and the change
#    comes again (exactly once in the copy).
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_safe('BEGIN');
is($bg->query_safe('SELECT apply(10)'), '3', 'change 3 applied in an open transaction');
# 4. A writer in the middle of a transaction at the crash.
my $writer = $node->background_psql('postgres', on_error_stop => 0);
$writer->query_safe('BEGIN');
$writer->query_safe("INSERT INTO src VALUES (4, 'in flight')");
$node->stop('immediate');
$bg->quit;
$writer->quit;
$node->start;
is($node->safe_psql('postgres', $poll), '3', 'change 3 delivered again; the in-flight change never');
is($node->safe_psql('postgres', 'SELECT apply(10)'), '3', 'applied once');
$node->safe_psql('postgres', "INSERT INTO src VALUES (5, 'after')");
# (change_ids may jump after a crash: the sequence logs ahead; never back)
is($node->safe_psql('postgres', q{SELECT apply(10)::bigint > 4}), 't',
	'a new change after the restart, with a larger change_id');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM (TABLE src EXCEPT TABLE copy) a)
	     + (SELECT count(*) FROM (TABLE copy EXCEPT TABLE src) b)}), '0',
	'copy equals source');
is($node->safe_psql('postgres', 'SELECT pending_changes FROM dataeng.cdc_consumers'), '0',
	'nothing pending');

# 5. The tick and batch bookkeeping survives a crash in the middle of a poll.
$node->safe_psql('postgres', "INSERT INTO src SELECT g, 'bulk' FROM generate_series(10, 1000) g");
my $poller = $node->background_psql('postgres', on_error_stop => 0);
$poller->query_safe('BEGIN');
$poller->query_safe('SELECT count(*) FROM dataeng.cdc_poll(\'c\', 100000)');
$node->stop('immediate');
$poller->quit;
$node->start;
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.cdc_poll('c', 100000)}), '991',
	'a batch cut by a crashed poll is cut again, whole');

# 6. A disconnect without an acknowledgement: the next session gets the same.
my $keys = q{SELECT string_agg(pk->>'id', ' ' ORDER BY change_id) FROM dataeng.cdc_poll('c', 100000)};
my $session = $node->background_psql('postgres', on_error_stop => 0);
is($session->query_safe(q{SELECT count(*) FROM dataeng.cdc_poll('c', 100000)}), '991',
	'a session polls the batch');
$session->quit;
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.cdc_poll('c', 100000)}), '991',
	'and the next session gets it again');
$node->safe_psql('postgres', 'SELECT apply(100000)');

# 7. Prepared transactions across a crash.
$node->safe_psql('postgres', q{
	BEGIN; INSERT INTO src VALUES (2000, 'prepared'); UPDATE src SET v = 'prepared' WHERE id = 1;
	PREPARE TRANSACTION 'p1'});
$node->safe_psql('postgres', q{
	BEGIN; INSERT INTO src VALUES (2001, 'prepared, rolled back'); DELETE FROM src WHERE id = 2;
	PREPARE TRANSACTION 'p2'});
$node->safe_psql('postgres', "INSERT INTO src VALUES (2002, 'plain')");
is($node->safe_psql('postgres', $keys), '2002', 'prepared transactions are not delivered');
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '2',
	'both prepared transactions survived the crash');
is($node->safe_psql('postgres', $keys), '2002', 'the unacknowledged change comes again, alone');
$node->safe_psql('postgres', 'SELECT apply(100)');
$node->safe_psql('postgres', "ROLLBACK PREPARED 'p2'");
$node->safe_psql('postgres', "COMMIT PREPARED 'p1'");
is($node->safe_psql('postgres', $keys), '2000 1', 'the committed prepared transaction is delivered, whole');
$node->safe_psql('postgres', 'SELECT apply(100)');
is($node->safe_psql('postgres', $keys), '', 'once');

# 8. A writer in flight across acknowledged ticks (its xid is in their
#    snapshots, on disk), then a crash: its changes never appear.
$writer = $node->background_psql('postgres', on_error_stop => 0);
$writer->query_safe('BEGIN');
$writer->query_safe("INSERT INTO src VALUES (3000, 'in flight'); UPDATE src SET v = 'in flight' WHERE id = 3");
$node->safe_psql('postgres', "INSERT INTO src VALUES (3001, 'committed')");
is($node->safe_psql('postgres', $keys), '3001', 'a change committed meanwhile is delivered');
$node->safe_psql('postgres', 'SELECT apply(100)');
$node->safe_psql('postgres', "INSERT INTO src VALUES (3002, 'committed too')");
is($node->safe_psql('postgres', $keys), '3002', 'and the next one');
$node->safe_psql('postgres', 'SELECT apply(100)');
$node->stop('immediate');
$writer->quit;
$node->start;
$node->safe_psql('postgres', "INSERT INTO src VALUES (3003, 'after the crash')");
is($node->safe_psql('postgres', $keys), '3003', 'the in-flight transaction never appears');
$node->safe_psql('postgres', 'SELECT apply(100)');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM (TABLE src EXCEPT TABLE copy) a)
	     + (SELECT count(*) FROM (TABLE copy EXCEPT TABLE src) b)}), '0',
	'copy equals source at the end');

$node->stop;
done_testing();
