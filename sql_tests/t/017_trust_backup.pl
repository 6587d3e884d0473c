# Every way users back up a database restores dataeng's data: pg_dump -Fc
# restored by pg_restore -j 4, pg_dump -Fd -j 2 restored by pg_restore -j 2,
# and a plain pg_dump restored by psql in one transaction (013_backup covers
# pg_restore of -Fc in one job and the continued behaviour of every feature).
#
# pg_restore -j loads the extension's configuration tables in parallel: a
# foreign key between two of them (validation_results -> validation_runs,
# dedupe_log -> dedupe_runs) made the restore fail ("violates foreign key
# constraint dedupe_log_run_id_fkey") whenever the log was loaded before its
# runs.  The run logs have no foreign key now; triggers delete a run's
# results or log with it, as ON DELETE CASCADE did.
#
# For each format: every configuration table of the extension is restored
# row for row with its sequences, new runs are numbered after the restored
# ones, a dedupe run made before the dump is undone, and deleting a
# validation run deletes its results.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('trust_backup');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.maintenance_interval = 0
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	-- validation runs with results, quarantined rows and alerts; a guard load
	CREATE TABLE orders (id int PRIMARY KEY, email text, amount text);
	INSERT INTO orders SELECT g, 'u' || g || '@example.com', g::text FROM generate_series(1, 50) g;
	INSERT INTO orders VALUES (51, 'not an email', '5'), (52, 'x@example.com', '');
	SELECT dataeng.rule_add('orders', 'email valid', 'validator', 'email', '{"function": "email"}');
	SELECT dataeng.rule_add('orders', 'amount positive', 'expression', NULL,
	                        '{"expression": "dataeng.parse_number(amount) > 0", "null_is": "fail"}');
	SELECT dataeng.rule_add('orders', 'email present', 'not_null', 'email', severity => 'warn');
	SELECT count(*) FROM dataeng.validate('orders');
	SELECT count(*) FROM dataeng.validate('orders', quarantine => true);
	SELECT dataeng.guard_enable('orders', 'quarantine');
	INSERT INTO orders VALUES (53, 'ok@example.com', '1'), (54, 'bad', '2');
	-- a dedupe run
	CREATE TABLE people (id int PRIMARY KEY, name text, city text, phone text);
	INSERT INTO people VALUES (1, 'Ada Lovelace', 'London', NULL), (2, 'Ada Lovelace', 'London', '555'),
	                          (3, 'Alan Turing', 'Wilmslow', NULL), (4, 'Alan Turing', 'Wilmslow', NULL);
	SELECT dataeng.dedupe('people', '{name,city}', threshold => 0.5, fill_nulls => true);
});

# the extension's configuration tables (and sequences), row for row
my $config = $node->safe_psql('postgres', q{
	SELECT string_agg(c.oid::regclass::text, ' ' ORDER BY c.oid::regclass::text)
	  FROM pg_extension e, unnest(e.extconfig) x, pg_class c
	 WHERE e.extname = 'dataeng' AND c.oid = x AND c.relkind IN ('r', 'p')});
sub snapshot
{
	my ($db) = @_;
	my $out = '';
	for my $t (split / /, $config)
	{
		$out .= "$t: " . $node->safe_psql($db,
			qq{SELECT count(*) || E'\\n' || coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM $t x})
		  . "\n";
	}
	$out .= $node->safe_psql($db, q{
		SELECT string_agg(s.schemaname || '.' || s.sequencename || '=' || coalesce(s.last_value::text, '-'), ' '
		                  ORDER BY s.sequencename)
		  FROM pg_extension e, unnest(e.extconfig) x, pg_class c, pg_sequences s
		 WHERE e.extname = 'dataeng' AND c.oid = x AND c.relkind = 'S'
		   AND s.schemaname::regnamespace = c.relnamespace AND s.sequencename = c.relname});
	return $out;
}
my $before = snapshot('postgres');
like($before, qr/dataeng\.dedupe_log: 2\n/, 'the dedupe log has rows to carry');
like($before, qr/dataeng\.validation_results: 6\n/, 'the validation results have rows to carry');
like($before, qr/dataeng\.quarantine: 3\n/, 'the quarantine has rows to carry');

my $dir = PostgreSQL::Test::Utils::tempdir;
my $connstr = $node->connstr('postgres');
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$dir/db.dump", '-d', $connstr ], 'pg_dump -Fc');
$node->command_ok([ 'pg_dump', '-Fd', '-j', '2', '-f', "$dir/db.dir", '-d', $connstr ], 'pg_dump -Fd -j 2');
$node->command_ok([ 'pg_dump', '-Fp', '-f', "$dir/db.sql", '-d', $connstr ], 'pg_dump, plain');

my %restore = (
	restored_custom_j4 => [ 'pg_restore', '--exit-on-error', '-j', '4', '-d', undef, "$dir/db.dump" ],
	restored_directory_j2 => [ 'pg_restore', '--exit-on-error', '-j', '2', '-d', undef, "$dir/db.dir" ],
	restored_plain => [ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction',
		'-f', "$dir/db.sql", '-d', undef ]);
for my $db (sort keys %restore)
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	my @cmd = map { defined $_ ? $_ : $node->connstr($db) } @{ $restore{$db} };
	$node->command_ok(\@cmd, "$db: restored without an error");
	is(snapshot($db), $before, "$db: every configuration table and sequence restored row for row");

	# new runs numbered after the restored ones; the guard still quarantines
	$node->safe_psql($db, q{
		SELECT dataeng.guard_disable('orders');
		INSERT INTO orders VALUES (60, 'late', '1');
		SELECT count(*) FROM dataeng.validate('orders', quarantine => true);
		SELECT dataeng.guard_enable('orders', 'quarantine');
		INSERT INTO orders VALUES (61, 'bad again', '1');
	});
	is($node->safe_psql($db, q{
		SELECT (SELECT string_agg(run_id::text, ',' ORDER BY run_id) FROM dataeng.validation_runs) || ' '
		    || (SELECT string_agg(quarantine_id || ':' || run_id || ':' || (row_data->>'id'), ','
		                          ORDER BY quarantine_id) FROM dataeng.quarantine)}),
		'1,2,4 1:2:51,2:2:52,3:3:54,4:4:60,5:5:61',
		"$db: a validation run, a guard load and their quarantined rows numbered after the restored ones");
	# the dedupe run made before the dump is undone; a new run follows it
	is($node->safe_psql($db, q{SELECT dataeng.dedupe_undo(1)}), '2', "$db: undo of the dedupe run made before the dump");
	is($node->safe_psql($db, q{SELECT string_agg(id || ':' || coalesce(phone, '-'), ' ' ORDER BY id) FROM people}),
		'1:- 2:555 3:- 4:-', "$db: the table is as it was before that run");
	is($node->safe_psql($db, q{SELECT run_id FROM dataeng.dedupe('people', '{name,city}', threshold => 0.5)}),
		'2', "$db: a new dedupe run is numbered after the restored one");
	# deleting runs deletes their results and logs
	$node->safe_psql($db, q{
		DELETE FROM dataeng.validation_runs WHERE run_id = 1;
		SELECT dataeng.dedupe_forget(1);
	});
	is($node->safe_psql($db, q{
		SELECT string_agg(DISTINCT run_id::text, ',' ORDER BY run_id::text) FROM dataeng.validation_results;
		SELECT count(*) FROM dataeng.dedupe_log WHERE run_id = 1;
		TRUNCATE dataeng.dedupe_runs;
		SELECT count(*) FROM dataeng.dedupe_log;}),
		"2,4\n0\n0", "$db: deleting a validation or dedupe run deletes its results or log, truncating them too");
}

$node->stop;
done_testing();
