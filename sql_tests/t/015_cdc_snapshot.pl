# A consumer's initial snapshot of a large table (cdc_consumer_create(...,
# snapshot => true)): the creation's memory does not grow with the table
# (the backend's peak, VmHWM, flat from n to 10n rows, the copy writing 1000
# rows at a time), and a crash in the middle of the delivery loses and
# doubles nothing: delivery resumes at the first row not acknowledged, and
# a replica built from the snapshot and the changes after it equals the
# source, each row applied once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $small = $ENV{DATAENG_SNAPSHOT_ROWS} // 20000;
my $large = 10 * $small;

my $node = PostgreSQL::Test::Cluster->new('snapshot');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
shared_buffers = 16MB
work_mem = 4MB
fsync = off
max_wal_size = 1GB
});
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dataeng;
	CREATE TABLE small (id int PRIMARY KEY, v text, n numeric, at timestamptz);
	CREATE TABLE large (id int PRIMARY KEY, v text, n numeric, at timestamptz);
	INSERT INTO small SELECT g, repeat('x', 40) || g, g * 1.5, now() FROM generate_series(1, $small) g;
	INSERT INTO large SELECT g, repeat('x', 40) || g, g * 1.5, now() FROM generate_series(1, $large) g;
	SELECT dataeng.cdc_enable('small');
	SELECT dataeng.cdc_enable('large');
});

# peak resident memory (kB) of a backend that creates a snapshot consumer
# of a table, or (the baseline) copies the table's rows as jsonb into
# another table with one INSERT ... SELECT: both write as much through the
# small shared buffers, which the peak counts as they are touched
sub peak
{
	my ($table, $what) = @_;
	my $sql = $what eq 'snapshot'
	  ? "SELECT dataeng.cdc_consumer_create('mem_$table', '{$table}', snapshot => true);"
	  : "INSERT INTO base SELECT t.id, to_jsonb(t) FROM $table t;";
	return $node->safe_psql('postgres', qq{
		$sql
		SELECT (regexp_match(s, 'VmHWM:\\s+(\\d+)'))[1]
		  FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') s;
	}) =~ s/.*\n//sr;
}

SKIP:
{
	skip 'no /proc/<pid>/status on this system', 2 if !-r "/proc/self/status";
	$node->safe_psql('postgres', 'CREATE TABLE base (id int, r jsonb)');
	my %kb;
	for my $what ('baseline', 'snapshot')
	{
		for my $table ('small', 'large')
		{
			$kb{$what}{$table} = peak($table, $what);
		}
	}
	is($node->safe_psql('postgres', q{SELECT snapshot_rows FROM dataeng_internal.cdc_consumer_state WHERE name = 'mem_large'}),
		$large, "the snapshot of $large rows holds each of them");
	my $growth = $kb{snapshot}{large} - $kb{snapshot}{small};
	my $growth_base = $kb{baseline}{large} - $kb{baseline}{small};
	diag("creation peak: $small rows $kb{snapshot}{small} kB, $large rows $kb{snapshot}{large} kB; "
		. "INSERT ... SELECT of the rows as jsonb: $kb{baseline}{small} kB, $kb{baseline}{large} kB");
	cmp_ok($growth, '<', $growth_base + 8192,
		"the creation's peak memory does not grow with the table (grew $growth kB from $small to $large rows, "
		. "the baseline $growth_base kB)");
	$node->safe_psql('postgres', q{
		SELECT dataeng.cdc_consumer_drop('mem_small');
		SELECT dataeng.cdc_consumer_drop('mem_large');
		DROP TABLE base;
	});
}

# the replica, and a function applying up to n rows or changes and
# acknowledging them in one transaction
$node->safe_psql('postgres', q{
	CREATE TABLE replica (id int PRIMARY KEY, v text, n numeric, at timestamptz);
	CREATE FUNCTION apply(n int) RETURNS bigint LANGUAGE plpgsql AS $$
	DECLARE ch record; k bigint := 0;
	BEGIN
	  FOR ch IN SELECT * FROM dataeng.cdc_poll('c', n) ORDER BY position LOOP
	    k := k + 1;
	    IF ch.op IN ('U', 'D') THEN DELETE FROM replica WHERE id = (ch.pk->>'id')::int; END IF;
	    IF ch.op IN ('R', 'I', 'U') THEN
	      INSERT INTO replica SELECT * FROM jsonb_populate_record(NULL::replica, ch.new_row);
	    END IF;
	  END LOOP;
	  PERFORM dataeng.cdc_ack('c');
	  RETURN k;
	END $$;
});
# writers before and after the creation
$node->safe_psql('postgres', q{UPDATE small SET v = 'before' WHERE id % 5 = 0});
$node->safe_psql('postgres', q{SELECT dataeng.cdc_consumer_create('c', '{small}', snapshot => true)});
$node->safe_psql('postgres', qq{
	UPDATE small SET v = 'after' WHERE id % 3 = 0;
	DELETE FROM small WHERE id % 7 = 0;
	INSERT INTO small SELECT g, 'new', 0, now() FROM generate_series($small + 1, $small + 100) g;
});

is($node->safe_psql('postgres', 'SELECT apply(1000) + apply(1000) + apply(1000)'), 3000,
	'three batches of the snapshot applied and acknowledged');
# a batch applied in a transaction still open at the crash is lost with it
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_safe('BEGIN');
is($bg->query_safe('SELECT apply(1000)'), 1000, 'a fourth batch applied, not committed');
$node->stop('immediate');
$bg->quit;
$node->start;
is($node->safe_psql('postgres', q{SELECT count(*) FROM replica}), 3000,
	'after the crash the replica holds the three committed batches');
is($node->safe_psql('postgres', q{SELECT min(-change_id) FROM dataeng.cdc_poll('c', 10)}), 3001,
	'delivery resumes at the first row not acknowledged');

# the rest, until nothing is left
$node->safe_psql('postgres', q{
	DO $$ BEGIN
	  WHILE apply(997) > 0 LOOP END LOOP;
	END $$;
});
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT * FROM small EXCEPT SELECT * FROM replica
	                      UNION ALL SELECT * FROM replica EXCEPT SELECT * FROM small) d}),
	0, 'the replica built from the snapshot and the changes equals the source');
is($node->safe_psql('postgres', q{SELECT (SELECT count(*) FROM small) = (SELECT count(*) FROM replica)}),
	't', 'as many rows');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng_internal.cdc_snapshot_rows}),
	0, 'acknowledged snapshot rows are gone from the staging table');

$node->stop;
done_testing();
