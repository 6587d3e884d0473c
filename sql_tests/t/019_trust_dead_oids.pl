# A dump restored in another cluster never runs a job as a role that did
# not schedule it, and never gives a dropped table's rows to another table.
#
# pg_dump writes a regrole or regclass of a live object as its name (a
# restore maps it by name) but one of a dropped object as a bare oid, which
# a restore in another cluster gives to whichever object has that oid
# there.  Cluster A: alice schedules a job and is dropped; bob's job stays;
# a table with a validation run is dropped.  Cluster B is made to give
# alice's oid to mallory before the dump of A is restored: alice's job is
# marked broken (its owner oid is mallory's, not a role named alice) and
# never runs; bob's job, mapped by name, runs; the dropped table's run
# names no table.  Alice's fact, whose tables went to bob before she was
# dropped, is bob's in B (with its consumer), not mallory's; her monitor
# is not checked as mallory, nor shown to her, nor hers to drop, and her
# alert handler neither.  The rows that name alice only to say who may
# see them (her jobs' runs, her job's alert, her alert setting, her dead
# letter, her dedupe run) are not mallory's in B: hidden from her, the
# setting applying to nothing, the run not hers to forget; nor are her jobs
# (hidden, not hers to pause or unschedule); bob's, mapped by name, stay
# his.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use OidRestore;

my ($na, $nb) = OidRestore::new_pair('oids_a', 'oids_b');

$na->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE ROLE regress_alice LOGIN;
	CREATE ROLE regress_bob LOGIN;
	SET ROLE regress_alice;
	SELECT dataeng.schedule('alice_job', '@yearly', 'SELECT 1');
	SELECT dataeng.schedule('alice_bad', '@yearly', 'SELECT 1/0');
	SELECT dataeng.alert_set('job:alice_job', 'alerts', 'off');
	SELECT dataeng.job_run_now('alice_job');
	SELECT dataeng.job_run_now('alice_bad');
	SET ROLE regress_bob;
	SELECT dataeng.schedule('bob_job', '@yearly', 'SELECT 1');
	SELECT dataeng.schedule('bob_bad', '@yearly', 'SELECT 1/0');
	SELECT dataeng.alert_set('job:bob_job', 'alerts', 'off');
	SELECT dataeng.job_run_now('bob_job');
	SELECT dataeng.job_run_now('bob_bad');
	RESET ROLE;
	CREATE TABLE gone_t (id int PRIMARY KEY, email text);
	INSERT INTO gone_t VALUES (1, 'bad');
	SELECT dataeng.rule_add('gone_t', 'email valid', 'validator', 'email', '{"function": "email"}');
	SELECT count(*) FROM dataeng.validate('gone_t');
	DROP TABLE gone_t;
	-- alice's fact and monitor; her tables go to bob before she is dropped
	GRANT CREATE ON SCHEMA public TO regress_alice;
	SET ROLE regress_alice;
	CREATE TABLE alice_sales (id int PRIMARY KEY, at date NOT NULL, region text);
	INSERT INTO alice_sales VALUES (1, '2026-01-01', 'n');
	SELECT dataeng.fact_create('alice_monthly', 'alice_sales', 'at', 'month', ARRAY['region'],
	                           ARRAY['count(*)'], schedule => NULL);
	CREATE TABLE alice_feed (at timestamptz);
	GRANT SELECT ON alice_feed TO PUBLIC;
	SELECT dataeng.monitor_create('alice_fresh', 'alice_feed', 'at', max_silence => '1 hour', schedule => '@yearly');
	-- a monitor of a table only she reads, and an alert handler
	CREATE TABLE alice_quiet (at timestamptz);
	SELECT dataeng.monitor_create('alice_quiet', 'alice_quiet', 'at', max_silence => '1 hour', schedule => '@yearly');
	CREATE FUNCTION alice_h(a jsonb) RETURNS void LANGUAGE sql AS 'SELECT 1';
	SELECT dataeng.alert_handler_add('alice_h(jsonb)');
	-- a dedupe run each, of a table of their own
	CREATE TABLE alice_dups (id int PRIMARY KEY, email text);
	INSERT INTO alice_dups VALUES (1, 'a@x.org'), (2, 'a@x.org');
	SELECT rows_deleted FROM dataeng.dedupe('alice_dups', '{email}', keep => 'first', order_by => 'id');
	RESET ROLE;
	GRANT CREATE ON SCHEMA public TO regress_bob;
	SET ROLE regress_bob;
	CREATE TABLE bob_dups (id int PRIMARY KEY, email text);
	INSERT INTO bob_dups VALUES (1, 'b@x.org'), (2, 'b@x.org');
	SELECT rows_deleted FROM dataeng.dedupe('bob_dups', '{email}', keep => 'first', order_by => 'id');
	RESET ROLE;
	-- a dead letter each, as the WAL worker records one (on_change needs
	-- wal_level logical, which these clusters do not have)
	CREATE TABLE dl_t (id int);
	GRANT SELECT ON dl_t TO PUBLIC;
	INSERT INTO dataeng.dead_letters (trigger_name, table_name, owner, commit_lsn, commit_time, changes, attempts, owner_name)
	SELECT 'on_' || r.rolname, 'dl_t', r.oid::regrole, '0/1', now(), '{}', 1, r.rolname
	  FROM pg_roles r WHERE r.rolname IN ('regress_alice', 'regress_bob');
});
ok($na->poll_query_until('postgres', q{
		SELECT count(*) = 4 FROM dataeng.jobs WHERE job_name LIKE '%_job' AND last_status = 'succeeded'
		    OR job_name LIKE '%_bad' AND last_status = 'failed'}),
	'the runs of alice and bob in A');
$na->safe_psql('postgres', q{
	SELECT dataeng.alert_check();
	REASSIGN OWNED BY regress_alice TO regress_bob;
	DROP OWNED BY regress_alice;
});
my $alice = $na->safe_psql('postgres', q{SELECT 'regress_alice'::regrole::oid});
is($na->safe_psql('postgres', qq{
	SELECT (SELECT count(*) FROM dataeng.job_runs WHERE owner::oid = $alice) || ' '
	    || (SELECT count(*) FROM dataeng.alerts WHERE owner::oid = $alice) || ' '
	    || (SELECT count(*) FROM dataeng.alert_settings WHERE owner::oid = $alice) || ' '
	    || (SELECT count(*) FROM dataeng.dead_letters WHERE owner::oid = $alice) || ' '
	    || (SELECT count(*) FROM dataeng.dedupe_runs WHERE run_by::oid = $alice)}),
	'2 1 1 1 1', "A holds alice's runs, alert, setting, dead letter and dedupe run");
$na->safe_psql('postgres', q{DROP ROLE regress_alice});
# the scheduler of A may or may not have seen alice go before the dump
my $broken_in_a = $na->safe_psql('postgres',
	q{SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'alice_job'});
note "alice_job broken in A before the dump: $broken_in_a";

my $dump = OidRestore::dump_db($na, 'postgres');

# B: the database, then mallory, who gets alice's oid
$nb->safe_psql('postgres', q{CREATE DATABASE restored});
my $filled = OidRestore::at_oid($nb, 'postgres', $alice, qq{
	CREATE ROLE regress_mallory LOGIN;
	SELECT 'regress_mallory'::regrole::oid = $alice});
my ($ret, $out, $err);
SKIP:
{
	skip "cluster B did not give oid $alice to the next role", 30 unless $filled eq 't';
	$nb->safe_psql('postgres', q{CREATE ROLE regress_bob LOGIN});
	my ($restored, $restore_log) = OidRestore::restore($nb, 'restored', $dump);
	ok($restored, 'pg_restore into B') or diag($restore_log);

	is($nb->safe_psql('restored', q{SELECT owner::text FROM dataeng.jobs WHERE job_name = 'alice_job'}),
		'regress_mallory', "the restore gave alice's job to the role of her oid in B");
	my $last_run = $nb->safe_psql('restored', q{SELECT coalesce(max(run_id), 0) FROM dataeng.job_runs});

	# the rows that name alice are mallory's by oid in B, and shown to no
	# one but superusers; bob's stay his
	my $counts = q{
		SELECT (SELECT count(*) FROM dataeng.job_runs) || ' '
		    || (SELECT count(*) FROM dataeng.alerts WHERE kind = 'job_failed') || ' '
		    || (SELECT count(*) FROM dataeng.alert_settings) || ' '
		    || (SELECT count(*) FROM dataeng.on_change_dead_letters)};
	is($nb->safe_psql('restored', qq{
		SELECT (SELECT count(*) FROM dataeng.job_runs WHERE owner::text = 'regress_mallory') || ' '
		    || (SELECT count(*) FROM dataeng.alerts WHERE owner::text = 'regress_mallory') || ' '
		    || (SELECT count(*) FROM dataeng.alert_settings WHERE owner::text = 'regress_mallory') || ' '
		    || (SELECT count(*) FROM dataeng.dead_letters WHERE owner::text = 'regress_mallory') || ' '
		    || (SELECT count(*) FROM dataeng.dedupe_runs WHERE run_by::text = 'regress_mallory')}),
		'2 1 1 1 1', "the restore gave alice's rows to mallory's oid");
	is($nb->safe_psql('restored', "SET ROLE regress_mallory; $counts"),
		'0 0 0 0', "mallory sees none of alice's runs, alerts, settings, dead letters");
	is($nb->safe_psql('restored', "SET ROLE regress_bob; $counts"),
		'2 1 1 1', "bob sees his own");
	# alice's jobs themselves (commands, states) are not mallory's either
	is($nb->safe_psql('restored', q{SET ROLE regress_mallory; SELECT count(*) FROM dataeng.jobs}),
		'0', "mallory sees none of alice's jobs");
	is($nb->safe_psql('restored', q{SET ROLE regress_bob; SELECT string_agg(job_name, ',' ORDER BY job_name) FROM dataeng.jobs}),
		'bob_bad,bob_job', 'bob sees his');
	($ret, $out, $err) = $nb->psql('restored', q{SET ROLE regress_mallory; SELECT dataeng.job_pause('alice_job')});
	like($err, qr/job "alice_job" does not exist/, "mallory cannot pause alice's job");
	is($nb->safe_psql('restored', q{SET ROLE regress_mallory; SELECT dataeng.unschedule('alice_job')}),
		'f', 'nor unschedule it');
	is($nb->safe_psql('restored', q{SELECT dataeng_internal._ops_setting('job:alice_job', 'alerts', 'regress_mallory')}),
		'on', "alice's setting applies to no job of mallory's");
	is($nb->safe_psql('restored', q{SELECT dataeng_internal._ops_setting('job:bob_job', 'alerts', 'regress_bob')}),
		'off', "bob's applies to his job");
	my $alice_run = $nb->safe_psql('restored',
		q{SELECT run_id FROM dataeng.dedupe_runs WHERE run_by::text = 'regress_mallory'});
	($ret, $out, $err) = $nb->psql('restored', "SET ROLE regress_mallory; SELECT dataeng.dedupe_forget($alice_run)");
	like($err, qr/dedupe run $alice_run does not exist/, "mallory cannot forget alice's dedupe run");
	($ret, $out, $err) = $nb->psql('restored', "SET ROLE regress_mallory; SELECT dataeng.dedupe_undo($alice_run)");
	like($err, qr/dedupe run $alice_run does not exist/, 'nor undo it');
	is($nb->safe_psql('restored', q{SELECT count(*) FROM dataeng.dedupe_runs WHERE run_by::text = 'regress_mallory'}),
		'1', 'it is still there');

	# maintain() adopts bob's rows for B, and leaves alice's untrusted
	$nb->safe_psql('restored', q{SELECT dataeng.maintain()});
	is($nb->safe_psql('restored', q{
		SELECT string_agg(o, ', ' ORDER BY o) FROM (
		  SELECT DISTINCT owner_name || ' ' || (owner_system = (pg_control_system()).system_identifier) AS o
		    FROM dataeng.job_runs) x}),
		'regress_alice false, regress_bob true', "maintain() takes bob's runs as of B, not alice's");
	is($nb->safe_psql('restored', q{SET ROLE regress_mallory; SELECT count(*) FROM dataeng.job_runs}),
		'0', "mallory still sees none of alice's runs");
	$nb->safe_psql('restored', q{SELECT dataeng_internal._scheduler_wake_now()});
	ok($nb->poll_query_until('restored',
			q{SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'alice_job'}),
		"alice's job is marked broken in B");
	like($nb->safe_psql('restored', q{SELECT broken FROM dataeng.jobs WHERE job_name = 'alice_job'}),
		$broken_in_a eq 't'
		? qr/its owner role \(oid \d+\) was dropped/
		: qr/its owner role oid \d+ is role regress_mallory here, not regress_alice, who scheduled it/,
		'it says why');
	# its alert, raised in B, names no owner: not mallory's either
	$nb->safe_psql('restored', q{SELECT dataeng.alert_check()});
	is($nb->safe_psql('restored', q{
		SELECT count(*) || ' ' || count(owner) FROM dataeng.alerts
		 WHERE object = 'alice_job' AND kind = 'job_failed' AND resolved_at IS NULL}),
		'1 0', "alice's broken job is alerted, with no owner");
	is($nb->safe_psql('restored', q{SET ROLE regress_mallory; SELECT count(*) FROM dataeng.alerts}),
		'0', "mallory sees no alert of alice's jobs");

	# bob's job, mapped by name, runs in B
	$nb->safe_psql('restored', q{SELECT dataeng.job_run_now('bob_job')});
	ok($nb->poll_query_until('restored',
			q{SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'bob_job'}),
		"bob's job runs in B");
	is($nb->safe_psql('restored', qq{
		SELECT string_agg(j.job_name || ' ' || r.owner::text, ', ' ORDER BY j.job_name)
		  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE r.run_id > $last_run}),
		'bob_job regress_bob', 'no run of alice_job, as mallory or anyone');

	# the dropped table's run was detached before the dump
	is($nb->safe_psql('restored', q{
		SELECT count(*) FILTER (WHERE table_name IS NULL) || ' ' || string_agg(dropped_table, ',')
		  FROM dataeng.validation_runs}),
		'1 public.gone_t', "the dropped table's run names no table in B");

	# alice's fact, whose tables are bob's, is bob's in B, with its consumer
	is($nb->safe_psql('restored', q{
		SELECT f.owner::text || ' ' || c.owner::text
		  FROM dataeng_internal.fact_defs f JOIN dataeng.cdc_consumers c ON c.name = f.consumer}),
		'regress_bob regress_bob', "alice's fact is its tables' owner's in B, not mallory's");
	is($nb->safe_psql('restored', q{SELECT dataeng.fact_refresh('alice_monthly') >= 0}),
		't', 'and refreshes');
	# alice's monitor, whose owner oid is mallory's in B, is not checked as mallory
	($ret, $out, $err) = $nb->psql('restored', q{SELECT dataeng.monitor_check('alice_fresh')});
	like($err, qr/monitor "alice_fresh" is not checked: its owner is not the role that made it/,
		"alice's monitor is not checked as mallory");
	# her monitor of a table mallory cannot read, and her alert handler
	# (its function now bob's), are not shown to mallory, nor hers to drop
	is($nb->safe_psql('restored', q{
		SELECT (SELECT count(*) FROM dataeng.monitors WHERE owner::text = 'regress_mallory') || ' '
		    || (SELECT count(*) FROM dataeng.alert_handlers WHERE owner::text = 'regress_mallory')}),
		'2 1', "the restore gave alice's monitors and handler to mallory's oid");
	is($nb->safe_psql('restored', q{
		SET ROLE regress_mallory;
		SELECT (SELECT count(*) FROM dataeng.monitors WHERE name = 'alice_quiet') || ' '
		    || (SELECT count(*) FROM dataeng.alert_handlers)}),
		'0 0', "mallory sees neither alice's monitor nor her handler");
	is($nb->safe_psql('restored', q{
		SET ROLE regress_mallory;
		SELECT dataeng.monitor_drop('alice_quiet') || ' ' || dataeng.alert_handler_drop('alice_h(jsonb)')}),
		'false false', 'nor drops them');
	is($nb->safe_psql('restored', q{
		SELECT (SELECT count(*) FROM dataeng.monitors) || ' ' || (SELECT count(*) FROM dataeng.alert_handlers)}),
		'2 1', 'they are still there');
}

done_testing();
