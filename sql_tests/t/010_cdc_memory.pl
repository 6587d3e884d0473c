# Capture's memory does not grow with the size of a statement.  One
# backend per size runs, in one transaction, an INSERT ... SELECT of n rows
# into a captured table and an UPDATE of all of them (each captured in one
# call of the statement trigger), then reports its peak resident memory
# (VmHWM of /proc/<pid>/status) and its private memory (RssAnon).  The
# cluster's shared_buffers is small, so what shared memory the backend
# touches is bounded and the peak is its private memory plus a constant.
# Going from n to 10n rows, the peak must stay flat (within a few MB),
# with capture and without, side by side.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

if (!-r "/proc/self/status")
{
	plan skip_all => 'no /proc/<pid>/status on this system';
}

my $small = $ENV{DATAENG_MEMORY_ROWS} // 40000;
my $large = 10 * $small;

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_buffers = 16MB
work_mem = 4MB
fsync = off
synchronous_commit = off
max_wal_size = 1GB
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE cap (id int PRIMARY KEY, v text, n numeric, at timestamptz);
	CREATE TABLE nocap (id int PRIMARY KEY, v text, n numeric, at timestamptz);
	SELECT dataeng.cdc_enable('cap');
});

# peak and private memory (kB) of a backend that inserts and updates n rows
sub peak
{
	my ($table, $n) = @_;
	my $out = $node->safe_psql('postgres', qq{
		BEGIN;
		INSERT INTO $table SELECT g, repeat('x', 40) || g, g * 1.5, now() FROM generate_series(1, $n) g;
		UPDATE $table SET v = v || 'y', n = n + 1;
		COMMIT;
		SELECT (regexp_match(s, 'VmHWM:\\s+(\\d+)'))[1] || ' ' || (regexp_match(s, 'RssAnon:\\s+(\\d+)'))[1]
		  FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') s;
		TRUNCATE $table;
	});
	my ($hwm, $anon) = split / /, $out;
	return ($hwm, $anon);
}

my %kb;
for my $table ('nocap', 'cap')
{
	for my $n ($small, $large)
	{
		$kb{$table}{$n} = [ peak($table, $n) ];
		diag sprintf("%-5s %7d rows: peak %6d kB, private %6d kB",
			$table, $n, @{ $kb{$table}{$n} });
	}
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.change_log'),
	2 * ($small + $large) + 2, 'every change was captured (and the TRUNCATEs)');

my $growth_cap = $kb{cap}{$large}[0] - $kb{cap}{$small}[0];
my $growth_nocap = $kb{nocap}{$large}[0] - $kb{nocap}{$small}[0];
diag "peak growth from $small to $large rows: capture $growth_cap kB, without $growth_nocap kB";
cmp_ok($growth_cap, '<', $growth_nocap + 8192,
	"capture's peak memory does not grow with the statement (grew $growth_cap kB, without capture $growth_nocap kB)");
# (what capture adds is bounded by settings: the transition tables, up to
# work_mem each before they spill, and one batch of change-log rows)
cmp_ok($kb{cap}{$large}[0], '<', $kb{nocap}{$large}[0] + 32768,
	'capture adds less than 32 MB to the peak of a ' . $large . '-row statement');

$node->stop;
done_testing();
