# Facts and dimensions restored from a dump are made equal to their source
# by their first refresh: the changes their sources received after the last
# refresh before the dump are in the restored sources, but the consumer of a
# restored definition is a new one that starts at the restore, so those
# changes never come through it.  The restore marks the definition
# (resync_pending); its next refresh rebuilds the fact from its source, or
# makes the dimension's current rows equal to the source, and later
# refreshes apply changes as usual.  A newly created fact or dimension is
# not marked.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('agg_restore');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.maintenance_interval = 0
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE sales (id int PRIMARY KEY, at timestamptz NOT NULL, region text NOT NULL, amount numeric);
	INSERT INTO sales SELECT g, timestamptz '2026-01-01 00:00+00' + (g % 20) * interval '1 day',
	                         'r' || (g % 3), g FROM generate_series(1, 300) g;
	SELECT dataeng.fact_create('sales_daily', 'sales', 'at', 'day', ARRAY['region'],
	                           ARRAY['count(*)', 'sum(amount)', 'max(amount)'], schedule => NULL);
	SELECT dataeng.dimension_create('sales_dim', 'sales', 'id', ARRAY['region', 'amount'], 2, schedule => NULL);
});
is($node->safe_psql('postgres', q{
	INSERT INTO sales VALUES (301, '2026-01-02 00:00+00', 'r1', 5);
	SELECT dataeng.fact_refresh('sales_daily');
	SELECT last_refresh_path FROM dataeng.facts}),
	"1\ndelta", 'a new fact applies its first changes as deltas (it is not marked for a resync)');
is($node->safe_psql('postgres', q{SELECT dataeng.dimension_refresh('sales_dim')}), '1',
	'a new dimension applies its first change');

# changes after the last refresh, pending at the dump
$node->safe_psql('postgres', q{
	UPDATE sales SET region = 'moved' WHERE id % 10 = 0;
	DELETE FROM sales WHERE id BETWEEN 1 AND 5;
	INSERT INTO sales VALUES (400, '2026-01-03 00:00+00', 'r9', 1000);
});
my $dump = $node->basedir . '/agg.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore');

my $fact_diff = q{
	SELECT count(*) FROM (
	  (SELECT bucket, region, count, sum_amount, max_amount FROM sales_daily
	   EXCEPT ALL
	   SELECT date_trunc('day', at, (SELECT time_zone FROM dataeng.facts)), region, count(*), sum(amount), max(amount)
	     FROM sales GROUP BY 1, 2)
	  UNION ALL
	  (SELECT date_trunc('day', at, (SELECT time_zone FROM dataeng.facts)), region, count(*), sum(amount), max(amount)
	     FROM sales GROUP BY 1, 2
	   EXCEPT ALL
	   SELECT bucket, region, count, sum_amount, max_amount FROM sales_daily)) x};
my $dim_diff = q{
	SELECT count(*) FROM (
	  (SELECT id, region, amount FROM sales_dim WHERE is_current EXCEPT ALL SELECT id, region, amount FROM sales)
	  UNION ALL
	  (SELECT id, region, amount FROM sales EXCEPT ALL SELECT id, region, amount FROM sales_dim WHERE is_current)) x};

isnt($node->safe_psql('restored', $fact_diff), '0', 'the restored fact lacks the changes pending at the dump');
is($node->safe_psql('restored', q{
	SELECT string_agg(name || '=' || resync_pending, ' ' ORDER BY name)
	  FROM (SELECT name, resync_pending FROM dataeng_internal.fact_defs
	        UNION ALL SELECT name, resync_pending FROM dataeng_internal.dimension_defs) d}),
	'sales_daily=true sales_dim=true', 'the restore marks the fact and the dimension');
$node->safe_psql('restored', q{SELECT dataeng.fact_refresh('sales_daily')});
is($node->safe_psql('restored', q{SELECT last_refresh_path FROM dataeng.facts}),
	'rebuild (resync from its source)', 'the first refresh after the restore rebuilds the fact');
is($node->safe_psql('restored', $fact_diff), '0', 'and the fact equals its GROUP BY');
$node->safe_psql('restored', q{SELECT dataeng.dimension_refresh('sales_dim')});
is($node->safe_psql('restored', $dim_diff), '0', 'the dimension\'s current rows equal the source');
is($node->safe_psql('restored', q{
	SELECT count(*) FROM sales_dim WHERE NOT is_current AND id % 10 = 0}), '30',
	'the versions the pending updates replaced were closed (history kept)');
is($node->safe_psql('restored', q{
	SELECT count(*) FROM dataeng_internal.fact_defs WHERE resync_pending
	 UNION ALL SELECT count(*) FROM dataeng_internal.dimension_defs WHERE resync_pending}), "0\n0",
	'and the marks are gone');

# then changes are applied incrementally again
$node->safe_psql('restored', q{
	UPDATE sales SET amount = amount + 1 WHERE id % 7 = 0;
	INSERT INTO sales VALUES (500, '2026-01-04 00:00+00', 'r0', 7);
});
is($node->safe_psql('restored', q{
	SELECT dataeng.fact_refresh('sales_daily') > 0;
	SELECT last_refresh_path FROM dataeng.facts}),
	"t\ndelta", 'the next refresh applies deltas');
is($node->safe_psql('restored', $fact_diff), '0', 'and the fact still equals its GROUP BY');
$node->safe_psql('restored', q{SELECT dataeng.dimension_refresh('sales_dim')});
is($node->safe_psql('restored', $dim_diff), '0', 'the dimension still equals its source');

# in the dumped database nothing changed: its consumers go on
is($node->safe_psql('postgres', q{
	SELECT dataeng.fact_refresh('sales_daily');
	SELECT last_refresh_path FROM dataeng.facts}),
	"36\ndelta", 'the original fact applies its pending changes as deltas');
is($node->safe_psql('postgres', $fact_diff), '0', 'and equals its GROUP BY');

# A dump with --clean restored into the database it was taken from: its
# script drops the source's primary key (ALTER TABLE ... DROP CONSTRAINT)
# before the source; that warns (the dimensions lose their key for a
# moment) and goes through, so a restore that stops at the first error
# (psql -v ON_ERROR_STOP=1, pg_restore --exit-on-error --single-transaction)
# runs to its end.  A type 1 and a type 2 dimension, with changes pending.
# (The fact is dropped first: the script's DROP VIEW of it drops its
# storage table too, and its DROP TABLE of that table then fails.)
$node->safe_psql('restored', q{
	SELECT dataeng.fact_drop('sales_daily');
	SELECT dataeng.dimension_create('sales_dim1', 'sales', 'id', ARRAY['region', 'amount'], 1, schedule => NULL);
	UPDATE sales SET region = 'again' WHERE id % 9 = 0;
	DELETE FROM sales WHERE id BETWEEN 6 AND 8;
	INSERT INTO sales VALUES (600, '2026-01-05 00:00+00', 'r2', 3);
});
my $dim1_diff = q{
	SELECT count(*) FROM (
	  (SELECT id, region, amount FROM sales_dim1 EXCEPT ALL SELECT id, region, amount FROM sales)
	  UNION ALL
	  (SELECT id, region, amount FROM sales EXCEPT ALL SELECT id, region, amount FROM sales_dim1)) x};
my $plain = $node->basedir . '/clean.sql';
$node->command_ok([ 'pg_dump', '--clean', '-f', $plain, '-d', $node->connstr('restored') ], 'pg_dump --clean');
my ($stdout, $stderr);
my $ok = $node->psql('restored', undef, extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', $plain ],
	stdout => \$stdout, stderr => \$stderr);
is($ok, 0, 'the --clean script restores into the same database with ON_ERROR_STOP');
unlike($stderr, qr/ERROR/, 'without an error');
like($stderr, qr/WARNING:  column "id" of table public\.sales is the key of dimension "sales_dim"/,
	'the primary key dropped before the source warns');
is($node->safe_psql('restored', q{
	SELECT string_agg(name || '=' || resync_pending, ' ' ORDER BY name) FROM dataeng_internal.dimension_defs}),
	'sales_dim=true sales_dim1=true', 'the restored dimensions are marked');
$node->safe_psql('restored', q{
	SELECT dataeng.dimension_refresh('sales_dim'), dataeng.dimension_refresh('sales_dim1')});
is($node->safe_psql('restored', $dim_diff), '0', 'the type 2 dimension\'s current rows equal the source');
is($node->safe_psql('restored', $dim1_diff), '0', 'the type 1 dimension equals the source');

# the same with pg_restore --clean --exit-on-error --single-transaction
$node->safe_psql('restored', q{UPDATE sales SET amount = amount * 2 WHERE id % 11 = 0});
my $custom = $node->basedir . '/clean.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $custom, '-d', $node->connstr('restored') ], 'pg_dump -Fc');
$node->command_ok([ 'pg_restore', '--clean', '--exit-on-error', '--single-transaction',
	'-d', $node->connstr('restored'), $custom ], 'pg_restore --clean --single-transaction into the same database');
$node->safe_psql('restored', q{
	SELECT dataeng.dimension_refresh('sales_dim'), dataeng.dimension_refresh('sales_dim1')});
is($node->safe_psql('restored', $dim_diff), '0', 'the type 2 dimension\'s current rows equal the source');
is($node->safe_psql('restored', $dim1_diff), '0', 'the type 1 dimension equals the source');

$node->stop;
done_testing();
