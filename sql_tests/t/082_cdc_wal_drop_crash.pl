# The changes a transaction writes to a table captured from the WAL and
# then drops, across crashes (sql_tests/cdc_wal_drop_same_txn.sql without
# them).  The DROP describes the table in dataeng_internal.cdc_wal_dropped;
# the worker's round that records the transaction deletes the description
# in the transaction that records its changes and applied_lsn.
#  1. The server crashes (-m immediate) after the dropping transaction
#     committed and before the worker decoded it (dataeng.enabled off):
#     after the restart its changes are recorded once.
#  2. The server crashes right after the worker recorded it: the
#     restarted worker decodes again from the slot's position saved last
#     (when that is before the transaction, it decodes it again) and
#     records nothing twice (the description is gone with the round that
#     used it, and applied_lsn skips what was recorded).
# Each time the change log of the dropped table equals that of its twin
# captured by the trigger.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('waldropcrash');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE kept (id int PRIMARY KEY);
	SELECT dataeng.cdc_enable('kept', method => 'wal');
	CREATE TABLE oids (round int, method text, oid oid);
	CREATE FUNCTION make(r int) RETURNS void LANGUAGE plpgsql AS $$
	DECLARE m text;
	BEGIN
	  FOREACH m IN ARRAY ARRAY['wal', 'trigger'] LOOP
	    EXECUTE format('CREATE TABLE d_%s_%s (id int PRIMARY KEY, v text, n numeric)', r, m);
	    PERFORM dataeng.cdc_enable(format('d_%s_%s', r, m), method => m);
	    INSERT INTO oids VALUES (r, m, format('d_%s_%s', r, m)::regclass::oid);
	  END LOOP;
	END $$;
	-- the same writes, then the DROP, in one transaction
	CREATE FUNCTION write_drop(r int, m text) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	  EXECUTE format($q$
	    INSERT INTO d_%1$s_%2$s SELECT g, 'v' || g, g * 1.5 FROM generate_series(1, 20) g;
	    UPDATE d_%1$s_%2$s SET v = v || '+' WHERE id %% 3 = 0;
	    DELETE FROM d_%1$s_%2$s WHERE id %% 5 = 0;
	    DROP TABLE d_%1$s_%2$s;
	    $q$, r, m);
	  IF m = 'wal' THEN
	    INSERT INTO kept VALUES (r);
	  END IF;
	END $$;
	-- the differences between the two methods' records of round r
	CREATE FUNCTION diff(r int) RETURNS bigint LANGUAGE sql AS $$
	  WITH x AS (
	    SELECT o.method, l.op, l.pk, l.old_row, l.new_row,
	           row_number() OVER (PARTITION BY o.method ORDER BY l.change_id) AS n
	      FROM dataeng_internal.change_log l JOIN oids o ON o.oid = l.table_oid
	     WHERE o.round = r)
	  SELECT count(*) FROM (SELECT * FROM x WHERE method = 'wal') w
	    FULL JOIN (SELECT * FROM x WHERE method = 'trigger') t USING (n)
	   WHERE (w.op, w.pk, w.old_row, w.new_row) IS DISTINCT FROM (t.op, t.pk, t.old_row, t.new_row)
	$$;
	CREATE FUNCTION recorded(r int) RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(*) FROM dataeng_internal.change_log l JOIN oids o ON o.oid = l.table_oid
	   WHERE o.round = r AND o.method = 'wal'
	$$;
	SELECT make(1);
	SELECT make(2);
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the tables');

# 1. committed, not decoded yet, crash
$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = off; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', q{SELECT dataeng_internal._cdc_wal_worker() = 'off'}),
	'the worker records nothing');
$node->safe_psql('postgres', q{
	SET client_min_messages = error;
	BEGIN;
	SELECT write_drop(1, 'wal');
	COMMIT;
	BEGIN;
	SELECT write_drop(1, 'trigger');
	COMMIT;
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.cdc_wal_dropped'),
	'1', 'the dropped table is described');
is($node->safe_psql('postgres', 'SELECT recorded(1)'), '0', 'nothing of it recorded yet');
$node->stop('immediate');
$node->start;
$node->safe_psql('postgres', q{ALTER SYSTEM RESET dataeng.enabled; SELECT pg_reload_conf();});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'caught up after the crash');
is($node->safe_psql('postgres', 'SELECT recorded(1)'), '30', 'its changes recorded once');
is($node->safe_psql('postgres', 'SELECT diff(1)'), '0', 'as the trigger recorded them');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.cdc_wal_dropped'),
	'0', 'the description is gone');

# 2. recorded, crash before a checkpoint saves the slot's position
$node->safe_psql('postgres', 'CHECKPOINT');
$node->safe_psql('postgres', q{
	SET client_min_messages = error;
	BEGIN;
	SELECT write_drop(2, 'wal');
	COMMIT;
	BEGIN;
	SELECT write_drop(2, 'trigger');
	COMMIT;
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'recorded');
is($node->safe_psql('postgres', 'SELECT recorded(2)'), '30', 'its changes recorded');
my $slot_before = $node->safe_psql('postgres',
	q{SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name LIKE 'dataeng_wal_%'});
$node->stop('immediate');
$node->start;
my $slot_after = $node->safe_psql('postgres',
	q{SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name LIKE 'dataeng_wal_%'});
note("slot confirmed at $slot_before before the crash, at $slot_after after it");
$node->safe_psql('postgres', 'INSERT INTO kept VALUES (100)');
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'caught up after the second crash');
is($node->safe_psql('postgres', 'SELECT recorded(2)'), '30', 'nothing recorded twice');
is($node->safe_psql('postgres', 'SELECT diff(2)'), '0', 'as the trigger recorded them');
is($node->safe_psql('postgres', 'SELECT recorded(1)'), '30', 'nor the first round');
is($node->safe_psql('postgres',
	q{SELECT string_agg(pk->>'id', ',' ORDER BY change_id) FROM dataeng_internal.change_log
	   WHERE table_oid = 'kept'::regclass}),
	'1,2,100', 'the rest of each transaction recorded once');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.cdc_wal_dropped'),
	'0', 'no description left');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM dataeng.cdc_status WHERE capture_error IS NOT NULL}),
	'0', 'no table stopped');

# 3. The last table captured from the WAL written and dropped, and the
#    server crashes before the worker decoded it: the worker started
#    after the restart finds no table captured from the WAL, but a
#    description waiting, so it records that transaction before it leaves
#    (it used to leave at once and drop its slot: the changes were lost).
my $kept_oid = $node->safe_psql('postgres', q{SELECT 'kept'::regclass::oid});
$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = off; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', q{SELECT dataeng_internal._cdc_wal_worker() = 'off'}),
	'the worker records nothing (3)');
$node->safe_psql('postgres', q{
	SET client_min_messages = error;
	BEGIN;
	INSERT INTO kept VALUES (200), (201);
	DELETE FROM kept WHERE id = 1;
	DROP TABLE kept;
	COMMIT;
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.cdc_wal_dropped'),
	'1', 'the last table is described');
$node->stop('immediate');
$node->start;
$node->safe_psql('postgres', q{ALTER SYSTEM RESET dataeng.enabled; SELECT pg_reload_conf();});
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');
ok($node->poll_query_until('postgres',
	qq{SELECT count(*) = 6 FROM dataeng_internal.change_log WHERE table_oid = $kept_oid}),
	'the last table\'s changes recorded after the crash');
is($node->safe_psql('postgres',
	qq{SELECT string_agg(op::text || coalesce(pk->>'id', ''), ',' ORDER BY change_id)
	     FROM dataeng_internal.change_log WHERE table_oid = $kept_oid AND change_id > 0}),
	'I1,I2,I100,I200,I201,D1', 'in commit order, once');
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM dataeng_internal.cdc_wal_dropped'),
	'no description left (3)');

$node->stop;
done_testing();
