# Fact refreshes across crashes: a refresh is all or nothing, its applied
# changes and its acknowledgement commit together, so after a crash the
# fact still counts every committed change exactly once.
#  1. a refresh in progress (applied, not committed) and a writer in
#     flight at the crash: the next refresh applies the changes once
#  2. a crash in the middle of a burst of committing writers
#  3. a crash right after a committed refresh: nothing is applied twice
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use FactWorkload;

my $node = PostgreSQL::Test::Cluster->new('factcrash');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'\n");
$node->start;

$node->safe_psql('postgres', FactWorkload::setup_sql("NULL") . FactWorkload::refresh_loop_sql());
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'backfilled fact equals the GROUP BY');

# 1. A refresh applied but not committed, a writer in flight: crash.
$node->safe_psql('postgres', q{UPDATE src SET v = v * 2 WHERE id % 3 = 0; DELETE FROM src WHERE id % 11 = 0});
my $pending = $node->safe_psql('postgres', q{SELECT pending_changes FROM dataeng.facts WHERE name = 'f'});
ok($pending > 0, "changes pending ($pending)");
my $refresher = $node->background_psql('postgres', on_error_stop => 0);
$refresher->query_safe('BEGIN');
is($refresher->query_safe(q{SELECT dataeng.fact_refresh('f')}), $pending, 'a refresh applied them, uncommitted');
my $writer = $node->background_psql('postgres', on_error_stop => 0);
$writer->query_safe('BEGIN');
$writer->query_safe(q{INSERT INTO src SELECT g, '2026-01-02 00:00+00', 'inflight', g FROM generate_series(5000, 5099) g});
$node->stop('immediate');
$refresher->quit;
$writer->quit;
$node->start;
is($node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('f')}), $pending,
	'after the crash the same changes are applied, once');
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'fact equals the GROUP BY');
is($node->safe_psql('postgres', q{SELECT count(*) FROM f WHERE k = 'inflight'}), '0',
	'the in-flight writer never counted');

# 2. A crash in the middle of a burst of writers (and of refreshes).
ok(FactWorkload::crash_mid_burst($node) >= 0, 'refresh after the crash');
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'fact equals the GROUP BY after a crash mid-burst');

# 3. A crash right after a committed refresh: nothing comes twice.
$node->safe_psql('postgres', q{UPDATE src SET v = v + 1 WHERE id % 7 = 0;
	INSERT INTO src SELECT g, '2026-01-03 00:00+00', 'k1', g FROM generate_series(20000, 20100) g});
ok($node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('f')}) > 0, 'a committed refresh');
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('f')}), '0', 'nothing applied again after the crash');
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'fact equals the GROUP BY');

$node->stop;
done_testing();
