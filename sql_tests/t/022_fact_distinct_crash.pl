# A fact's count(DISTINCT) across crashes: its per-value counts (the side
# table <fact>_distinct, written by _fact_side_apply in C with direct heap
# and index writes) commit with the refresh and its acknowledgement, so
# after a crash the fact and its side table still count every committed
# change exactly once.
#  1. a refresh applied, not committed, at the crash
#  2. a crash in the middle of writers and committed refreshes
#  3. a crash right after a committed refresh
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use FactWorkload;

my $node = PostgreSQL::Test::Cluster->new('factdistinctcrash');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'\n");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	SET TimeZone = 'UTC';
	CREATE TABLE src (id int PRIMARY KEY, at timestamptz NOT NULL, k text, v int);
	INSERT INTO src SELECT g, '2026-01-01 00:00+00'::timestamptz + g * interval '13 minutes', 'k' || g % 5, g % 17
	  FROM generate_series(1, 2000) g;
	SELECT dataeng.fact_create('f', 'src', 'at', 'hour', ARRAY['k'],
	                           ARRAY['count(*)', 'count(DISTINCT v)'], schedule => NULL);
	-- the fact against its GROUP BY, the side table against the per-value
	-- counts of the source (0 when both are equal)
	CREATE FUNCTION diff() RETURNS bigint LANGUAGE sql AS $$
	  SELECT (SELECT count(*) FROM (
	    (SELECT bucket, k, count, count_distinct_v FROM f
	     EXCEPT ALL SELECT date_trunc('hour', at, 'UTC'), k, count(*), count(DISTINCT v) FROM src GROUP BY 1, 2)
	    UNION ALL
	    (SELECT date_trunc('hour', at, 'UTC'), k, count(*), count(DISTINCT v) FROM src GROUP BY 1, 2
	     EXCEPT ALL SELECT bucket, k, count, count_distinct_v FROM f)) x)
	   + (SELECT count(*) FROM (
	    (SELECT bucket, k, u.v, u.n FROM f_distinct, unnest(__a2, dataeng_internal._fact_side_counts(__n)) u(v, n)
	     EXCEPT ALL SELECT date_trunc('hour', at, 'UTC'), k, v, count(*) FROM src WHERE v IS NOT NULL GROUP BY 1, 2, 3)
	    UNION ALL
	    (SELECT date_trunc('hour', at, 'UTC'), k, v, count(*) FROM src WHERE v IS NOT NULL GROUP BY 1, 2, 3
	     EXCEPT ALL SELECT bucket, k, u.v, u.n FROM f_distinct, unnest(__a2, dataeng_internal._fact_side_counts(__n)) u(v, n))) x)
	$$;
	CREATE PROCEDURE burst(n int) LANGUAGE plpgsql AS $$
	BEGIN
	  FOR i IN 1 .. n LOOP
	    UPDATE src SET v = (v + i) % 23, k = 'k' || (i % 7) WHERE id = 1 + (i * 37) % 2000;
	    DELETE FROM src WHERE id = 1 + (i * 53) % 2000;
	    INSERT INTO src VALUES (100000 + i, '2026-01-05 00:00+00'::timestamptz - i * interval '3 minutes', 'k' || i % 3, i % 29)
	      ON CONFLICT (id) DO NOTHING;
	    COMMIT;
	  END LOOP;
	END $$;
} . FactWorkload::refresh_loop_sql());
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'backfilled fact and side table equal the source');
like($node->safe_psql('postgres', q{SELECT dataeng_internal._fact_side_upsert_sql(d, 'f_distinct'::regclass, 2)
	FROM dataeng_internal.fact_defs d WHERE d.name = 'f'}), qr/_fact_side_apply/, 'the per-value counts are applied in C');

# 1. A refresh applied but not committed: crash.
$node->safe_psql('postgres', q{UPDATE src SET v = (v * 3) % 19 WHERE id % 3 = 0; DELETE FROM src WHERE id % 11 = 0;
	INSERT INTO src SELECT g, '2026-01-01 05:00+00', 'k1', g % 31 FROM generate_series(3000, 3200) g});
my $pending = $node->safe_psql('postgres', q{SELECT pending_changes FROM dataeng.facts WHERE name = 'f'});
ok($pending > 0, "changes pending ($pending)");
my $refresher = $node->background_psql('postgres', on_error_stop => 0);
$refresher->query_safe('BEGIN');
is($refresher->query_safe(q{SELECT dataeng.fact_refresh('f')}), $pending, 'a refresh applied them, uncommitted');
$node->stop('immediate');
$refresher->quit;
$node->start;
is($node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('f')}), $pending,
	'after the crash the same changes are applied, once');
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'fact and side table equal the source');

# 2. A crash in the middle of writers and refreshes.
ok(FactWorkload::crash_mid_burst($node) >= 0, 'refresh after the crash');
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'fact and side table equal the source after a crash mid-burst');

# 3. A crash right after a committed refresh: nothing comes twice.
$node->safe_psql('postgres', q{UPDATE src SET v = v + 1 WHERE id % 7 = 0;
	INSERT INTO src SELECT g, '2026-01-03 00:00+00', 'k1', g % 13 FROM generate_series(20000, 20100) g});
ok($node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('f')}) > 0, 'a committed refresh');
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('f')}), '0', 'nothing applied again after the crash');
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'fact and side table equal the source');

$node->stop;
done_testing();
