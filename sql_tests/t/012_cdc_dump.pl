# A database with captured tables survives pg_dump and pg_restore: the
# restored tables (new oids) are still captured, under their own names, and
# their capture settings come along.  Facts and dimensions come along too:
# their definitions are dumped, each gets a new consumer at the restore,
# and refreshes in the restored database keep them equal to their sources.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE plain (id int PRIMARY KEY, v text, secret text);
	CREATE TABLE part (id int, k text, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
	CREATE TABLE part_a PARTITION OF part FOR VALUES IN ('a');
	SELECT dataeng.cdc_enable('plain', exclude_columns => '{secret}');
	SELECT dataeng.cdc_enable('part');
	INSERT INTO plain VALUES (1, 'x', 'pw');
	INSERT INTO part VALUES (1, 'a');
	CREATE TABLE sales (id int PRIMARY KEY, at date NOT NULL, region text, amount numeric);
	INSERT INTO sales SELECT g, date '2026-01-01' + g % 30, 'r' || g % 3, g FROM generate_series(1, 500) g;
	SELECT dataeng.fact_create('sales_daily', 'sales', 'at', 'day', ARRAY['region'],
	                           ARRAY['count(*)', 'sum(amount)', 'max(amount)'], schedule => NULL);
	SELECT dataeng.dimension_create('sales_dim', 'sales', 'id', ARRAY['region'], 2, schedule => NULL);
	UPDATE sales SET region = 'moved', amount = amount + 1 WHERE id % 10 = 0;
	DELETE FROM sales WHERE id % 7 = 0;
	SELECT dataeng.fact_refresh('sales_daily');
	SELECT dataeng.dimension_refresh('sales_dim');
	CREATE FUNCTION fact_diff() RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(*) FROM (
	    (SELECT bucket, region, count, sum_amount, max_amount FROM sales_daily
	     EXCEPT ALL SELECT date_trunc('day', at::timestamp AT TIME ZONE current_setting('TimeZone')), region,
	                       count(*), sum(amount), max(amount) FROM sales GROUP BY 1, 2)
	    UNION ALL
	    (SELECT date_trunc('day', at::timestamp AT TIME ZONE current_setting('TimeZone')), region,
	            count(*), sum(amount), max(amount) FROM sales GROUP BY 1, 2
	     EXCEPT ALL SELECT bucket, region, count, sum_amount, max_amount FROM sales_daily)) x
	$$;
	CREATE FUNCTION dim_diff() RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(*) FROM (
	    (SELECT id, region FROM sales_dim WHERE is_current EXCEPT ALL SELECT id, region FROM sales)
	    UNION ALL
	    (SELECT id, region FROM sales EXCEPT ALL SELECT id, region FROM sales_dim WHERE is_current)) x
	$$;
});
is($node->safe_psql('postgres', 'SELECT fact_diff() + dim_diff()'), '0', 'fact and dimension equal their source');

my $dump = PostgreSQL::Test::Utils::tempdir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore, without a single error');

is($node->safe_psql('restored', q{SELECT string_agg(table_name::text || ':' || coalesce(exclude_columns::text, ''), ' ' ORDER BY table_name::text) FROM dataeng.cdc_tables}),
	'part: plain:{secret} sales:', 'capture settings restored');
$node->safe_psql('restored', q{
	INSERT INTO plain VALUES (2, 'y', 'pw2');
	UPDATE plain SET v = 'z' WHERE id = 1;
	INSERT INTO part VALUES (2, 'a');
	INSERT INTO part_a VALUES (3, 'a');
});
is($node->safe_psql('restored', q{
	SELECT string_agg(table_name::text || ' ' || op::text || ' ' || coalesce(new_row::text, ''), E'\n' ORDER BY change_id)
	  FROM dataeng.changes}),
	qq{plain I {"v": "y", "id": 2}
plain U {"v": "z", "id": 1}
part I {"k": "a", "id": 2}
part I {"k": "a", "id": 3}},
	'writes to the restored tables are captured under their names');

# facts and dimensions after the restore
is($node->safe_psql('restored', q{SELECT string_agg(name || ' ' || source::text || ' ' || pending_changes, ', ' ORDER BY name)
	FROM (SELECT name, source, pending_changes FROM dataeng.facts
	      UNION ALL SELECT name, source, pending_changes FROM dataeng.dimensions) x}),
	'sales_daily sales 0, sales_dim sales 0', 'definitions restored, each with a consumer starting at the restore');
is($node->safe_psql('restored', 'SELECT fact_diff() + dim_diff()'), '0', 'restored fact and dimension equal their source');
is($node->safe_psql('restored', q{SELECT count(*) FILTER (WHERE NOT is_current) > 0 FROM sales_dim}), 't',
	'the dimension\'s history came along');
$node->safe_psql('restored', q{
	INSERT INTO sales SELECT g, date '2026-02-01' + g % 5, 'r' || g % 4, g FROM generate_series(1000, 1100) g;
	UPDATE sales SET amount = amount * 2, region = 'again' WHERE id % 9 = 0;
	DELETE FROM sales WHERE id % 13 = 0;
});
is($node->safe_psql('restored', q{SELECT dataeng.fact_refresh('sales_daily') > 0 AND dataeng.dimension_refresh('sales_dim') > 0}),
	't', 'refreshes apply the changes made after the restore');
is($node->safe_psql('restored', 'SELECT fact_diff()'), '0', 'fact equals the GROUP BY after the restore');
is($node->safe_psql('restored', 'SELECT dim_diff()'), '0', 'dimension equals the source after the restore');
is($node->safe_psql('restored', q{SELECT dataeng.fact_refresh('sales_daily')}), '0', 'nothing applied twice');

$node->stop;
done_testing();
