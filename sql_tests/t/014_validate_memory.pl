# validate()'s memory does not grow with the size of the table nor with the
# number of rows it quarantines.  One backend per size validates, with
# quarantine, a table of n rows of which half fail an error rule (and a
# unique rule with many duplicates, whose sample is bounded), then reports
# its peak resident memory (VmHWM of /proc/<pid>/status).  Going from n to
# 10n rows, the peak must stay flat (within a few MB): the quarantined rows
# travel from the owner's DELETE to the quarantine table batch by batch,
# never as one value.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

if (!-r "/proc/self/status")
{
	plan skip_all => 'no /proc/<pid>/status on this system';
}

my $small = $ENV{DATAENG_MEMORY_ROWS} // 30000;
my $large = 10 * $small;

my $node = PostgreSQL::Test::Cluster->new('validate_memory');
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
	CREATE TABLE orders (id int PRIMARY KEY, email text, note text);
	SELECT dataeng.rule_add('orders', 'email present', 'not_null', 'email');
	SELECT dataeng.rule_add('orders', 'note unique', 'unique', 'note', severity => 'warning');
});

# peak memory (kB) of a backend that validates n rows, quarantining half
sub peak
{
	my ($n) = @_;
	my $out = $node->safe_psql('postgres', qq{
		TRUNCATE orders;
		TRUNCATE dataeng.quarantine;
		INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN 'a' || g || '\@example.com' END,
		                          repeat('n', 60) || (g % 100) FROM generate_series(1, $n) g;
	});
	$out = $node->safe_psql('postgres', q{
		SELECT string_agg(rule_name || '=' || failed, ' ' ORDER BY rule_name)
		  FROM dataeng.validate('orders', quarantine => true);
		SELECT (SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM dataeng.quarantine)
		       || ' ' || (SELECT quarantined FROM dataeng.validation_runs ORDER BY run_id DESC LIMIT 1);
		SELECT (regexp_match(s, 'VmHWM:\s+(\d+)'))[1]
		  FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') s;
	});
	my ($failed, $counts, $hwm) = split /\n/, $out;
	my $half = $n / 2;
	is($failed, "email present=$half note unique=$n", "$n rows: the failures are counted");
	is($counts, "$half $half $half", "$n rows: half of them moved to the quarantine, and the run says so");
	return $hwm;
}

my %kb;
for my $n ($small, $large)
{
	$kb{$n} = peak($n);
	diag sprintf("validate with quarantine, %7d rows: peak %6d kB", $n, $kb{$n});
}
my $growth = $kb{$large} - $kb{$small};
cmp_ok($growth, '<', 8192,
	"validate()'s peak memory does not grow with the table (grew $growth kB from $small to $large rows)");

$node->stop;
done_testing();
