# ALTER EXTENSION dataeng UPDATE on a database in use, as a DBA upgrading
# production runs it.  A database on 0.1.0 holds live state of every kind
# 0.1.0 had: a trigger-captured table with consumers mid-stream (changes
# polled and partly acknowledged, pending ones), a fact and a dimension
# with pending changes, a job with its history, quarantined rows (by
# validate() and by the guard), dedupe refused until the update (0.1.0 SQL on the 0.2.0 library), open alerts.  After the
# update nothing is lost or duplicated: each consumer gets exactly its
# pending changes then the new ones, the fact and the dimension refresh to
# their source, the job keeps running, quarantine_release() and
# dedupe() and dedupe_undo() work, the alerts are kept (and the handlers and monitors of
# 0.2.0 work beside them).  Then the update run while writers write and a
# consumer polls (lock waits, no deadlock, no change lost), and an update
# rolled back (the database works on 0.1.0).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('upgrade_live');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'\ndeadlock_timeout = 100ms\n");
$node->start;

my $old = '0.1.0';
my $setup = qq{
	CREATE EXTENSION dataeng VERSION '$old';
	CREATE TABLE ticks (at timestamptz DEFAULT now());
	CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric, at timestamptz NOT NULL);
	SELECT dataeng.cdc_enable('orders');
	SELECT dataeng.cdc_consumer_create('mid', ARRAY['orders'::regclass]);
	SELECT dataeng.cdc_consumer_create('none', ARRAY['orders'::regclass]);
	SELECT dataeng.cdc_consumer_create('done', ARRAY['orders'::regclass]);
	INSERT INTO orders SELECT g, 'c' || g % 5, g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour'
	  FROM generate_series(1, 60) g;
	INSERT INTO orders SELECT g, 'c' || g % 5, g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour'
	  FROM generate_series(61, 100) g;
	SELECT dataeng.fact_create('daily', 'orders', 'at', 'day', '{customer}',
	                           '{count(*), sum(amount), min(amount), max(at)}', schedule => NULL);
	SELECT dataeng.dimension_create('customer_dim', 'orders', 'id', '{customer}', 2, schedule => NULL);
};

# -------------------------------------------------------------------------
# 1. a database in use, updated
$node->safe_psql('postgres', 'CREATE DATABASE live');
$node->safe_psql('live', $setup);
$node->safe_psql('live', q{
	-- mid: polls everything, acknowledges up to the 30th change
	SELECT count(*) FROM dataeng.cdc_poll('mid', 1000);
	SELECT dataeng.cdc_ack('mid', (SELECT change_id FROM dataeng.change_log ORDER BY change_id OFFSET 29 LIMIT 1));
	-- pending for the consumers, the fact and the dimension
	UPDATE orders SET amount = amount + 1000, customer = 'moved' WHERE id <= 10;
	DELETE FROM orders WHERE id > 95;
	-- mid has polled some of them too, not acknowledged
	SELECT count(*) FROM dataeng.cdc_poll('mid', 10);
	-- done: everything
	SELECT count(*) FROM dataeng.cdc_poll('done', 1000);
	SELECT dataeng.cdc_ack('done', (SELECT max(change_id) FROM dataeng.change_log));
	-- a job with history
	SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES');
	-- (the library of 0.2.0 runs no job of a database on 0.1.0: its
	-- history, as 0.1.0's scheduler wrote it)
	INSERT INTO dataeng.job_runs (job_id, owner, started_at, finished_at, status, attempt)
	SELECT job_id, owner, now() - interval '1 minute', now() - interval '59 seconds', 'succeeded', 1 FROM dataeng.jobs;
	UPDATE dataeng.jobs SET last_run_id = 1, last_status = 'succeeded', attempt = 0;
	-- validation: quarantined rows and alerts
	CREATE TABLE people (id int PRIMARY KEY, name text, age int);
	INSERT INTO people SELECT g, 'p' || g, CASE WHEN g % 10 = 0 THEN -g ELSE 20 + g END FROM generate_series(1, 50) g;
	SELECT dataeng.rule_add('people', 'adult_age', 'range', 'age', '{"min": 0}');
	SELECT count(*) FROM dataeng.validate('people', quarantine => true);
	SELECT dataeng.guard_enable('people', 'quarantine');
	INSERT INTO people VALUES (100, 'guarded', -1);
	-- dedupe
	CREATE TABLE contacts (id int PRIMARY KEY, name text, email text, phone text);
	INSERT INTO contacts VALUES (1, 'Ann Lee', 'ann@x.org', NULL), (2, 'Ann Lee', 'ann@x.org', '555'),
	  (3, 'Bob Roy', 'bob@x.org', '1'), (4, 'Bob Roy', 'bob@x.org', NULL), (5, 'Cy Dee', 'cy@x.org', '2');
	CREATE TABLE contacts_before AS SELECT * FROM contacts;
});
# what each consumer has to get: its poll, looked at and rolled back
my $pending_sql = sub {
	my $c = shift;
	return qq{BEGIN; SELECT string_agg(format('%s %s %s', op, pk, new_row), E'\\n' ORDER BY change_id)
	           FROM dataeng.cdc_poll('$c', 100000); ROLLBACK;};
};
my %pending = map { $_ => $node->safe_psql('live', $pending_sql->($_)) } qw(mid none done);
is(scalar(() = $pending{mid} =~ /\n/g) + 1, 85, 'live: mid has 85 changes pending (70 inserts, 10 updates, 5 deletes)');
is($pending{done}, '', 'live: done has none');
my %before = map { $_ => $node->safe_psql('live', $_) } (
	q{SELECT string_agg(format('%s %s %s', quarantine_id, table_name, row_data), ', ' ORDER BY quarantine_id) FROM dataeng.quarantine},
	q{SELECT string_agg(format('%s %s %s %s', alert_id, table_name, rule_name, failed), ', ' ORDER BY alert_id) FROM dataeng.alerts},
	q{SELECT string_agg(format('%s %s %s', run_id, job_id, status), ', ' ORDER BY run_id) FROM dataeng.job_runs WHERE run_id <= 1},
	q{SELECT string_agg(format('%s %s %s', run_id, rows_deleted, rows_filled), ', ' ORDER BY run_id) FROM dataeng.dedupe_runs},
	q{SELECT count(*) FROM dataeng.dedupe_log});
# dedupe() of 0.1.0 calls C functions whose contract changed in 0.2.0: it
# is refused until the update (it found nothing, without an error)
{
	my ($dout, $derr);
	isnt($node->psql('live', q{SELECT run_id FROM dataeng.dedupe('contacts', '{name,email}', fill_nulls => true)},
			stdout => \$dout, stderr => \$derr), 0, 'live: dedupe() refused on 0.1.0 with the 0.2.0 library');
	like($derr, qr/needs version 0\.2\.0 of extension dataeng.*HINT:  Run ALTER EXTENSION dataeng UPDATE/s,
		'live: ... saying to run ALTER EXTENSION dataeng UPDATE');
	is($node->safe_psql('live', q{SELECT count(*) FROM contacts}), '5', 'live: ... and the table untouched');
}
like($before{q{SELECT string_agg(format('%s %s %s', quarantine_id, table_name, row_data), ', ' ORDER BY quarantine_id) FROM dataeng.quarantine}},
	qr/guarded/, 'live: quarantined rows, the guard\'s among them');

my ($out, $err);
is($node->psql('live', 'ALTER EXTENSION dataeng UPDATE', stdout => \$out, stderr => \$err), 0,
	'live: ALTER EXTENSION dataeng UPDATE') or diag($err);
is($node->safe_psql('live', q{SELECT extversion FROM pg_extension WHERE extname = 'dataeng'}), '0.2.0', 'live: on 0.2.0');
is($node->safe_psql('live', $_), $before{$_}, "live: kept: $_") for sort keys %before;

# each consumer gets exactly what it had pending, then only what is new
for my $c (qw(mid none done))
{
	is($node->safe_psql('live', $pending_sql->($c)), $pending{$c}, "live: $c gets exactly its pending changes");
	$node->safe_psql('live', qq{BEGIN; SELECT count(*) FROM dataeng.cdc_poll('$c', 100000); SELECT dataeng.cdc_ack('$c'); COMMIT;});
}
$node->safe_psql('live', q{INSERT INTO orders VALUES (500, 'new', 5, '2026-02-01'); UPDATE orders SET amount = 7 WHERE id = 50});
for my $c (qw(mid none done))
{
	is($node->safe_psql('live', $pending_sql->($c)),
		qq{I {"id": 500} {"at": "2026-02-01T00:00:00+00:00", "id": 500, "amount": 5, "customer": "new"}\n}
		. q{U {"id": 50} {"at": "2026-01-03T02:00:00+00:00", "id": 50, "amount": 7, "customer": "c0"}},
		"live: $c then gets the new changes, once");
}

# the fact and the dimension refresh to their source
$node->safe_psql('live', q{SELECT dataeng.fact_refresh('daily'); SELECT dataeng.dimension_refresh('customer_dim')});
is($node->safe_psql('live', q{
	SELECT count(*) FROM (
	  (SELECT bucket, customer, count, sum_amount, min_amount, max_at FROM daily
	   EXCEPT ALL SELECT date_trunc('day', at), customer, count(*), sum(amount), min(amount), max(at) FROM orders GROUP BY 1, 2)
	  UNION ALL
	  (SELECT date_trunc('day', at), customer, count(*), sum(amount), min(amount), max(at) FROM orders GROUP BY 1, 2
	   EXCEPT ALL SELECT bucket, customer, count, sum_amount, min_amount, max_at FROM daily)) d}),
	'0', 'live: the fact refreshes to its source');
is($node->safe_psql('live', q{
	SELECT count(*) FROM (
	  (SELECT id, customer FROM customer_dim WHERE is_current EXCEPT ALL SELECT id, customer FROM orders)
	  UNION ALL (SELECT id, customer FROM orders EXCEPT ALL SELECT id, customer FROM customer_dim WHERE is_current)) d}),
	'0', 'live: the dimension refreshes to its source');
is($node->safe_psql('live', q{SELECT count(*) FROM customer_dim WHERE NOT is_current}), '15',
	'live: with the history of the 10 moved customers and the 5 deleted');

# the job keeps running on schedule
my $runs = $node->safe_psql('live', q{SELECT max(run_id) FROM dataeng.job_runs});
ok($node->poll_query_until('live', qq{SELECT count(*) >= 2 FROM dataeng.job_runs WHERE run_id > $runs AND status = 'succeeded'}),
	'live: the job runs on after the update');

# quarantine: a row released with a correction goes back, once
my $qid = $node->safe_psql('live', q{SELECT min(quarantine_id) FROM dataeng.quarantine});
is($node->safe_psql('live', qq{SELECT dataeng.quarantine_release($qid, '{"age": 33}')}), 't', 'live: quarantine_release');
is($node->safe_psql('live', q{SELECT count(*) FROM people WHERE id = 10 AND age = 33}) . ' '
	. $node->safe_psql('live', qq{SELECT count(*) FROM dataeng.quarantine WHERE quarantine_id = $qid}),
	'1 0', 'live: the released row is back in its table, out of the quarantine');
my $gq = $node->safe_psql('live', q{SELECT quarantine_id FROM dataeng.quarantine WHERE row_data->>'name' = 'guarded'});
is($node->safe_psql('live', qq{SELECT dataeng.quarantine_release($gq, '{"age": 1}')}), 't', 'live: the guard\'s row is released');
is($node->safe_psql('live', q{SELECT age FROM people WHERE id = 100}), '1', 'live: and back');
# the guard still quarantines
$node->safe_psql('live', q{INSERT INTO people VALUES (101, 'after', -5)});
is($node->safe_psql('live', q{SELECT count(*) FROM people WHERE id = 101}) . ' '
	. $node->safe_psql('live', q{SELECT count(*) FROM dataeng.quarantine WHERE row_data->>'name' = 'after'}),
	'0 1', 'live: the guard quarantines after the update');

# dedupe works once updated, and dedupe_undo restores the table
my $drun = $node->safe_psql('live', q{SELECT run_id FROM dataeng.dedupe('contacts', '{name,email}', fill_nulls => true)});
is($node->safe_psql('live', q{SELECT count(*) FROM contacts}), '3', 'live: dedupe after the update merged the two pairs');
$node->safe_psql('live', qq{SELECT dataeng.dedupe_undo($drun)});
is($node->safe_psql('live', q{
	SELECT count(*) FROM ((SELECT * FROM contacts EXCEPT ALL SELECT * FROM contacts_before)
	                      UNION ALL (SELECT * FROM contacts_before EXCEPT ALL SELECT * FROM contacts)) d}),
	'0', 'live: dedupe_undo restores the table');

# alerts of 0.1.0: kept, taken by alert_check() once, a handler of 0.2.0 called
$node->safe_psql('live', q{
	CREATE TABLE pages (alert jsonb);
	CREATE FUNCTION pager(alert jsonb) RETURNS void LANGUAGE sql AS $$ INSERT INTO public.pages VALUES (alert) $$;
	SELECT dataeng.alert_handler_add('pager(jsonb)');
	SELECT dataeng.monitor_create('orders_flow', 'orders', 'at', max_silence => '1 hour', per => '1 day', schedule => '1 hour');
});
my $check = $node->safe_psql('live', q{SELECT raised || ' ' || resolved FROM dataeng.alert_check()});
like($check, qr/^\d+ \d+$/, "live: alert_check() after the update: $check");
is($node->safe_psql('live', q{SELECT string_agg(DISTINCT alert->>'object', ' ') FROM pages WHERE alert->>'kind' = 'range'}),
	'public.people', 'live: the handler is called for the rule\'s alert of 0.1.0');
# a rule passing resolves it
$node->safe_psql('live', q{DELETE FROM people WHERE age < 0; SELECT count(*) FROM dataeng.validate('people'); SELECT dataeng.alert_check()});
is($node->safe_psql('live', q{SELECT count(*) FROM dataeng.alerts WHERE rule_name = 'adult_age' AND resolved_at IS NULL}),
	'0', 'live: the rule\'s alerts are resolved once it passes');
is($node->safe_psql('live', q{SELECT count(*) FROM dataeng.monitor_check('orders_flow')}) > 0 ? 1 : 0, 1,
	'live: a monitor checks');

# -------------------------------------------------------------------------
# 2. the update while writers write and a consumer polls
$node->safe_psql('postgres', 'CREATE DATABASE busy');
$node->safe_psql('busy', $setup);
$node->safe_psql('busy', q{CREATE SEQUENCE ids START 1000;});
my $dir = PostgreSQL::Test::Utils::tempdir;
open(my $fh, '>', "$dir/write.sql") or die;
print $fh q{INSERT INTO orders VALUES (nextval('ids'), 'w', 1, '2026-03-01');
UPDATE orders SET amount = amount + 1 WHERE id = 1 + (random() * 99)::int;
};
close $fh;
open($fh, '>', "$dir/poll.sql") or die;
print $fh q{SELECT dataeng.cdc_ack('mid', m) FROM (SELECT max(change_id) m FROM dataeng.cdc_poll('mid', 50)) s WHERE m IS NOT NULL;
};
close $fh;
my ($wout, $werr, $pout, $perr);
my $writers = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '3', '-T', '20', '-f', "$dir/write.sql", '-h', $node->host, '-p', $node->port, 'busy' ],
	'>', \$wout, '2>', \$werr);
my $poller = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '1', '-T', '20', '-f', "$dir/poll.sql", '-h', $node->host, '-p', $node->port, 'busy' ],
	'>', \$pout, '2>', \$perr);
sleep 3;
my $t0 = time;
my ($uout, $uerr);
my $urc = $node->psql('busy', 'ALTER EXTENSION dataeng UPDATE', stdout => \$uout, stderr => \$uerr);
my $took = time - $t0;
is($urc, 0, "busy: the update under writers succeeds (${took}s)") or diag($uerr);
$writers->finish;
is($?, 0, 'busy: no writer failed (no deadlock, no error)') or diag($werr);
$poller->finish;
# a poll waiting on the update's lock when it commits fails once (the
# update moves the bookkeeping tables into dataeng_internal, and the
# waiting statement was planned on the old names; docs/security.md
# "Updating the extension"): that error and no other
my @perrors = grep { /ERROR/ } split /\n/, $perr;
ok(!grep({ !/relation "dataeng\.cdc_consumer_state" does not exist/ } @perrors),
	'busy: the consumer polling through the update failed with nothing but the moved table (' . scalar(@perrors) . ')')
	or diag($perr);
is($node->safe_psql('busy', q{SELECT count(*) > 0 FROM dataeng.cdc_poll('mid', 10)}), 't',
	'busy: the consumer polls after the update');
unlike($werr . $uerr, qr/deadlock/, 'busy: no deadlock');
# every row written is captured once: the consumer that acknowledged nothing
is($node->safe_psql('busy', q{
	SELECT count(*) FILTER (WHERE op = 'I') || ' ' || count(DISTINCT pk) FILTER (WHERE op = 'I')
	  FROM dataeng.cdc_poll('none', 10000000)}),
	$node->safe_psql('busy', q{SELECT count(*) || ' ' || count(*) FROM orders}),
	'busy: every row inserted, before, during and after the update, is captured once');
$node->safe_psql('busy', q{SELECT dataeng.fact_refresh('daily')});
is($node->safe_psql('busy', q{
	SELECT count(*) FROM (
	  (SELECT bucket, customer, count, sum_amount FROM daily
	   EXCEPT ALL SELECT date_trunc('day', at), customer, count(*), sum(amount) FROM orders GROUP BY 1, 2)
	  UNION ALL
	  (SELECT date_trunc('day', at), customer, count(*), sum(amount) FROM orders GROUP BY 1, 2
	   EXCEPT ALL SELECT bucket, customer, count, sum_amount FROM daily)) d}),
	'0', 'busy: the fact refreshes to its source');

# -------------------------------------------------------------------------
# 3. an update rolled back: the database goes on on 0.1.0
$node->safe_psql('postgres', 'CREATE DATABASE rolled');
$node->safe_psql('rolled', $setup);
$node->safe_psql('rolled', q{SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES')});
my $pend = $node->safe_psql('rolled', $pending_sql->('mid'));
is($node->psql('rolled', "BEGIN; ALTER EXTENSION dataeng UPDATE; SELECT count(*) FROM dataeng.cdc_poll('mid'); ROLLBACK;",
		stderr => \$err), 0, 'rolled: an update in a transaction, rolled back') or diag($err);
is($node->safe_psql('rolled', q{SELECT extversion FROM pg_extension WHERE extname = 'dataeng'}), $old, 'rolled: still on 0.1.0');
is($node->safe_psql('rolled', $pending_sql->('mid')), $pend, 'rolled: the consumer gets its pending changes');
$node->safe_psql('rolled', q{UPDATE orders SET amount = 0 WHERE id = 1});
is($node->safe_psql('rolled', q{SELECT count(*) FROM dataeng.cdc_poll('mid', 100000)}), '101', 'rolled: and the new ones');
$node->safe_psql('rolled', q{SELECT dataeng.fact_refresh('daily')});
is($node->safe_psql('rolled', q{SELECT sum(count) FROM daily}), '100', 'rolled: the fact refreshes');
is($node->psql('rolled', 'ALTER EXTENSION dataeng UPDATE', stderr => \$err), 0, 'rolled: and updates later') or diag($err);
ok($node->poll_query_until('rolled', q{SELECT count(*) >= 2 FROM ticks}), 'rolled: then the job runs');

$node->stop;
done_testing();
