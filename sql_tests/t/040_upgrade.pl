# An upgrade keeps what a database holds and ends where a fresh install
# starts.  A database is given dataeng 0.1.0 (the frozen install script) and
# everything it does: captured tables, a consumer with pending changes, a
# fact and a dimension with pending changes, a rule with a run, a job.  Then
# ALTER EXTENSION dataeng UPDATE: its catalog (every function, relation,
# column, constraint, index, policy, trigger, sequence, grant, comment and
# what pg_dump dumps: sql_tests/lib/catalog_snapshot.sql) must equal a fresh
# install's, row for row, and everything goes on: the consumer gets its
# pending changes once, the fact and the dimension refresh to their sources,
# validation runs, and the job runs again.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'\n");
$node->start;

my $snapshot = slurp_file('sql_tests/lib/catalog_snapshot.sql');
my $latest = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'dataeng'");
my @older = split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'dataeng' AND version <> '$latest' ORDER BY 1");
ok(scalar @older, "earlier versions to upgrade from: @older");

$node->safe_psql('postgres', 'CREATE ROLE upgrade_reader');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION dataeng');
my $fresh = $node->safe_psql('fresh', $snapshot);

for my $old (@older)
{
	my $db = "from_" . ($old =~ s/\W/_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, qq{
		CREATE EXTENSION dataeng VERSION '$old';
		CREATE TABLE ticks (at timestamptz DEFAULT now());
		CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric, at timestamptz NOT NULL);
		SELECT dataeng.cdc_enable('orders');
		SELECT dataeng.cdc_consumer_create('copy', ARRAY['orders'::regclass]);
		INSERT INTO orders SELECT g, 'c' || g % 5, g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour'
		  FROM generate_series(1, 100) g;
		SELECT dataeng.fact_create('daily', 'orders', 'at', 'day', '{customer}',
		                           '{count(*), sum(amount), min(amount), max(at)}', schedule => NULL);
		SELECT dataeng.dimension_create('customer_dim', 'orders', 'id', '{customer}', 2, schedule => NULL);
		SELECT dataeng.dimension_create('customer_dim1', 'orders', 'id', '{customer}', 1, schedule => NULL);
		-- a dimension of a source whose names are quoted (a capital, a
		-- reserved keyword)
		CREATE SCHEMA "Sales";
		CREATE TABLE "Sales"."order" (id int PRIMARY KEY, customer text);
		INSERT INTO "Sales"."order" VALUES (1, 'a');
		SELECT dataeng.dimension_create('order_dim', '"Sales"."order"', 'id', '{customer}', 1, schedule => NULL);
		INSERT INTO "Sales"."order" VALUES (2, 'b');
		-- a fact of a date column, created in New York: its bucket is a timestamptz
		CREATE TABLE visits (id int PRIMARY KEY, day date NOT NULL);
		INSERT INTO visits SELECT g, date '2026-12-01' + g % 7 FROM generate_series(1, 50) g;
		SET TimeZone = 'America/New_York';
		SELECT dataeng.fact_create('visits_daily', 'visits', 'day', 'day', '{}', '{count(*)}', schedule => NULL);
		RESET TimeZone;
		-- a fact with a count(DISTINCT) measure (recomputed for every group
		-- a refresh touched, in 0.1.0)
		SELECT dataeng.fact_create('distinct_daily', 'orders', 'at', 'day', '{}',
		                           '{count(*), count(DISTINCT customer)}', schedule => NULL);
		-- grants on the facts, of the table and of a column
		GRANT SELECT ON daily TO upgrade_reader;
		GRANT SELECT (count) ON visits_daily TO upgrade_reader;
		UPDATE visits SET day = day + 1 WHERE id % 3 = 0;
		SELECT dataeng.rule_add('orders', 'positive', 'range', 'amount', '{"min": 0}');
		SELECT count(*) FROM dataeng.validate('orders');
		-- an accepted_values rule on a money column with its values as
		-- JSON numbers, as 0.1.0 stored them (0.001: one money cannot
		-- hold; rule_add, in the library of now, stores neither)
		CREATE TABLE prices (id int PRIMARY KEY, amount money);
		INSERT INTO prices VALUES (1, '7'), (2, '0.40'), (3, '9');
		INSERT INTO dataeng.rules (table_name, rule_name, kind, column_name, params, created_by)
		VALUES ('prices', 'listed', 'accepted_values', 'amount', '{"values": [7, 0.4, 0.001, "\$9.00"]}', current_user);
		-- range rules on the money column with bounds of more than 2
		-- decimals, as 0.1.0 stored them (read as money, rounded: 0.404
		-- was \$0.40 and let 0.40 pass)
		INSERT INTO dataeng.rules (table_name, rule_name, kind, column_name, params, created_by)
		VALUES ('prices', 'band', 'range', 'amount', '{"min": 0.404, "max": "8.999"}', current_user),
		       ('prices', 'band_strict', 'range', 'amount',
		        '{"min": 0.396, "strict_min": true, "max": 9.004, "strict_max": true}', current_user);
		-- a JSON null bound, which 0.1.0 took as no bound, beside one to
		-- rewrite; a strict flag that does not read as a boolean (0.1.0
		-- stored it: its validation failed)
		INSERT INTO dataeng.rules (table_name, rule_name, kind, column_name, params, created_by)
		VALUES ('prices', 'null_band', 'range', 'amount', '{"min": null, "max": 8.999}', current_user),
		       ('prices', 'odd_flag', 'range', 'amount', '{"min": 0.404, "strict_min": "maybe"}', current_user);
		-- accepted_values rules on number columns, which 0.1.0 compared
		-- as text (5.00 was not the listed 5) and stored with any value
		-- ("one", which rule_add refuses now)
		CREATE TABLE tiers (id int PRIMARY KEY, price numeric(10,2), n int);
		INSERT INTO tiers VALUES (1, 5, 1), (2, 9.99, 2);
		SELECT dataeng.rule_add('tiers', 'tier', 'accepted_values', 'price', '{"values": [5, 9.99]}');
		SELECT dataeng.rule_add('tiers', 'n_listed', 'accepted_values', 'n', '{"values": [1, "one", null, "2"]}');
		-- freshness rules on columns that are no time, which 0.1.0
		-- stored (rule_add refuses them now): an integer (no cast: every
		-- validate() of its table failed) and text read as times
		CREATE TABLE stamps (id int PRIMARY KEY, seen text, n int);
		INSERT INTO stamps VALUES (1, '2026-01-01 00:00+00', 1);
		SELECT dataeng.rule_add('stamps', 'fresh_n', 'freshness', 'n', '{"max_age": "1 day"}');
		SELECT dataeng.rule_add('stamps', 'fresh_text', 'freshness', 'seen', '{"max_age": "1 day"}');
		SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES');
		-- a timeout over 24 days, which 0.1.0 stored (and cut to 24.8 days
		-- at run time)
		SELECT dataeng.schedule('long', '1 year', 'SELECT 1', timeout => '30 days');
		-- two jobs waiting for each other, which 0.1.0 accepted (both
		-- then never ran, silently)
		SELECT dataeng.schedule('cyc_b', '1 year', 'SELECT 1');
		SELECT dataeng.schedule('cyc_c', '1 year', 'SELECT 1', depends_on => '{cyc_b}');
		SELECT dataeng.schedule('cyc_b', '1 year', 'SELECT 1', depends_on => '{cyc_c}');
		-- pending for the consumer, the fact and the dimension
		UPDATE orders SET amount = -amount, customer = 'moved' WHERE id <= 10;
		DELETE FROM orders WHERE id > 95;
	});
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'dataeng'"), $old,
		"$db: installed at $old");

	my ($update_out, $update_err);
	is($node->psql($db, 'ALTER EXTENSION dataeng UPDATE', stdout => \$update_out, stderr => \$update_err), 0,
		"$db: ALTER EXTENSION dataeng UPDATE");
	like($update_err, qr/WARNING:  rule "listed" of table public.prices: accepted value 0.001 left out: money cannot hold it/,
		"$db: the upgrade warns of the money value it leaves out");
	like($update_err, qr/WARNING:  rule "band" of table public.prices: range bound params.min 0.404 is stored as "\$0.41": money holds whole cents\n.*DETAIL:  amount >= 0.404 admits the same money values as amount >= \$0.41.  Version 0.1.0 read the bound as money, rounded to \$0.40/,
		"$db: the upgrade warns of the money bound it rewrites, naming the rule");
	like($update_err, qr/WARNING:  rule "band_strict" of table public.prices: range bound params.max 9.004 is stored as "\$9.01"/,
		"$db: a strict bound too");
	like($update_err, qr/WARNING:  rule "fresh_n" of table public.stamps: freshness of column "n" of type integer, which is not a time\n.*DETAIL:  The rule is kept as it is: its type has no cast to timestamptz/,
		"$db: the upgrade warns of a freshness rule on an integer column, naming it");
	like($update_err, qr/WARNING:  rule "fresh_text" of table public.stamps: freshness of column "seen" of type text, which is not a time\n.*DETAIL:  The rule is kept as it is: validate\(\) reads the column's values as times/,
		"$db: and of one on a text column");
	like($update_err, qr/WARNING:  rule "n_listed" of table public.tiers: accepted value "one" left out: it is not a number\n.*DETAIL:  Column "n" holds numbers/,
		"$db: the upgrade warns of the value of a number column's accepted_values rule it leaves out");
	is($node->safe_psql($db, q{SELECT string_agg(rule_name || ' ' || params::text, ', ' ORDER BY rule_name)
	                           FROM dataeng.rules WHERE table_name = 'tiers'::regclass}),
		'n_listed {"values": [1, null, "2"]}, tier {"values": [5, 9.99]}', "$db: and keeps the others");
	is($node->safe_psql($db, q{SELECT string_agg(rule_name || ' ' || failed, ', ' ORDER BY rule_name)
	                           FROM dataeng.validate('tiers')}),
		'n_listed 0, tier 0', "$db: the rules compare the values as numbers");
	is($node->safe_psql($db, q{SELECT string_agg(rule_name, ' ' ORDER BY rule_name) FROM dataeng.rules WHERE table_name = 'stamps'::regclass}),
		'fresh_n fresh_text', "$db: both rules are kept");
	like($update_err, qr/WARNING:  job "long": its timeout 30 days is set to 24 days/,
		"$db: the upgrade warns of the job timeout it shortens, naming the job");
	like($update_err, qr/WARNING:  job "cyc_b" is in a cycle of dependencies: it never runs\n.*DETAIL:  It waits, directly or through other jobs, for itself to succeed/,
		"$db: the upgrade warns of the jobs in a cycle of dependencies, naming each");
	like($update_err, qr/WARNING:  job "cyc_c" is in a cycle of dependencies/, "$db: both of them");
	like($update_err, qr/WARNING:  rule "null_band" of table public.prices: range bound params.max 8.999 is stored as "\$8.99"/,
		"$db: a bound beside a JSON null one is rewritten");
	unlike($update_err, qr/rule "(null_band|odd_flag)" of table public.prices: range bound params.min/,
		"$db: a JSON null bound, or one with a strict flag that is no boolean, is left without a warning");
	is($node->safe_psql($db, q{SELECT string_agg(rule_name || ' ' || params::text, ', ' ORDER BY rule_name)
	                           FROM dataeng.rules WHERE rule_name IN ('null_band', 'odd_flag')}),
		'null_band {"max": "$8.99", "min": null}, odd_flag {"min": 0.404, "strict_min": "maybe"}',
		"$db: the JSON null bound and the bound with an unreadable strict flag are left as they are");
	$node->safe_psql($db, q{DELETE FROM dataeng.rules WHERE rule_name = 'odd_flag'});
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'dataeng'"), $latest,
		"$db: updated to $latest");
	my $upgraded = $node->safe_psql($db, $snapshot);
	is($upgraded, $fresh, "$db: the catalog equals a fresh install's")
	  or diag(join "\n", grep { !fresh_has($_) } split /\n/, $upgraded);

	# the definitions record their sources' names unquoted, as the catalog
	# holds them (a quoted spelling depends on the keywords the server
	# reserves), and refresh
	is($node->safe_psql($db, q{
		SELECT string_agg(format('%s %s|%s %s', name, source_schema, source_table, source_dropped), ', ' ORDER BY name)
		  FROM dataeng_internal.dimension_defs}),
		'customer_dim public|orders f, customer_dim1 public|orders f, order_dim Sales|order f',
		"$db: the sources' names are recorded unquoted");
	is($node->safe_psql($db, q{SELECT dataeng.dimension_refresh('order_dim'); SELECT string_agg(id || customer, ' ' ORDER BY id) FROM order_dim}),
		"1
1a 2b", "$db: the dimension of a quoted source refreshes");

	# a type 1 dimension's table gets the fillfactor dimension_create gives
	# one now (room for HOT overwrites), and refreshes to its source
	$node->safe_psql($db, q{SELECT dataeng.dimension_refresh('customer_dim1')});
	is($node->safe_psql($db, q{
		SELECT c.reloptions::text || ' '
		       || (SELECT count(*) FROM ((SELECT id, customer FROM customer_dim1 EXCEPT ALL SELECT id, customer FROM orders)
		                                 UNION ALL (SELECT id, customer FROM orders EXCEPT ALL SELECT id, customer FROM customer_dim1)) d)
		  FROM pg_class c WHERE c.oid = 'customer_dim1'::regclass}),
		'{fillfactor=90} 0', "$db: the type 1 dimension has fillfactor 90 and refreshes");

	# a fact of 0.1.0 becomes what fact_create makes now: a view of its
	# bucket, dimensions and measures over <fact>_data, which holds its table
	# (bookkeeping and key), the grants on the view
	is($node->safe_psql($db, q{
		SELECT string_agg(c.relname || ':' || c.relkind::text, ' ' ORDER BY c.relname)
		  FROM pg_class c WHERE c.relname IN ('daily', 'daily_data', 'visits_daily', 'visits_daily_data')}),
		'daily:v daily_data:r visits_daily:v visits_daily_data:r', "$db: the facts are views over their storage tables");
	is($node->safe_psql($db, q{
		SELECT string_agg(format('%s %s %s', f."table", d.storage_table, obj_description(f."table", 'pg_class')), ', ' ORDER BY f.name)
		  FROM dataeng.facts f JOIN dataeng_internal.fact_defs d USING (name) WHERE f.name <> 'distinct_daily'}),
		'daily daily_data Fact table of public.orders by day (customer) kept up to date by dataeng.fact_refresh(\'daily\'), '
		. 'visits_daily visits_daily_data Fact table of public.visits by day () kept up to date by dataeng.fact_refresh(\'visits_daily\')',
		"$db: dataeng.facts shows the views, fact_defs the storage tables");
	is($node->safe_psql($db, q{SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute
	                           WHERE attrelid = 'daily'::regclass AND attnum > 0}),
		'bucket customer count sum_amount min_amount max_at', "$db: the fact shows no bookkeeping column");
	$node->safe_psql($db, q{SELECT dataeng.fact_create('daily_again', 'orders', 'at', 'day', '{customer}',
	                                                   '{count(*), sum(amount), min(amount), max(at)}', schedule => NULL)});
	is($node->safe_psql($db, q{
		WITH shape AS (
		  SELECT x.fact, 'column' AS what,
		         format('%s %s %s %s %s', a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		                a.attgenerated) AS detail
		    FROM (VALUES ('daily', 'daily'::regclass), ('daily', 'daily_data'::regclass),
		                 ('daily_again', 'daily_again'::regclass), ('daily_again', 'daily_again_data'::regclass)) x(fact, rel)
		    JOIN pg_attribute a ON a.attrelid = x.rel AND a.attnum > 0 AND NOT a.attisdropped
		  UNION ALL
		  SELECT x.fact, 'relation', format('%s %s %s %s', c.relkind, c.reloptions, pg_get_userbyid(c.relowner),
		                                    replace(c.relname, x.fact, 'F'))
		    FROM (VALUES ('daily', 'daily'::regclass), ('daily', 'daily_data'::regclass),
		                 ('daily_again', 'daily_again'::regclass), ('daily_again', 'daily_again_data'::regclass)) x(fact, rel)
		    JOIN pg_class c ON c.oid = x.rel
		  UNION ALL
		  SELECT x.fact, 'index', replace(pg_get_indexdef(i.indexrelid), x.fact, 'F')
		    FROM (VALUES ('daily', 'daily_data'::regclass), ('daily_again', 'daily_again_data'::regclass)) x(fact, rel)
		    JOIN pg_index i ON i.indrelid = x.rel)
		SELECT count(*) FROM (
		  (SELECT what, detail FROM shape WHERE fact = 'daily' EXCEPT ALL SELECT what, detail FROM shape WHERE fact = 'daily_again')
		  UNION ALL
		  (SELECT what, detail FROM shape WHERE fact = 'daily_again' EXCEPT ALL SELECT what, detail FROM shape WHERE fact = 'daily')) d}),
		'0', "$db: the upgraded fact's view and storage table are those of a fact created now");
	is($node->safe_psql($db, q{
		SELECT has_table_privilege('upgrade_reader', 'daily', 'SELECT') || ' '
		       || has_table_privilege('upgrade_reader', 'daily_data', 'SELECT') || ' '
		       || has_column_privilege('upgrade_reader', 'visits_daily', 'count', 'SELECT') || ' '
		       || has_column_privilege('upgrade_reader', 'visits_daily_data', 'count', 'SELECT')}),
		'true false true false', "$db: the grants on the facts stay on the facts, not on their storage");
	$node->safe_psql($db, q{SELECT dataeng.fact_drop('daily_again')});

	# everything goes on
	is($node->safe_psql($db, q{
		SELECT count(*) FILTER (WHERE op = 'I') || ' ' || count(*) FILTER (WHERE op = 'U') || ' '
		       || count(*) FILTER (WHERE op = 'D') FROM dataeng.cdc_poll('copy', 1000)}),
		'100 10 5', "$db: the consumer gets its pending changes");
	$node->safe_psql($db, q{SELECT dataeng.cdc_ack('copy', (SELECT max(change_id) FROM dataeng_internal.change_log))});
	is($node->safe_psql($db, q{SELECT count(*) FROM dataeng.cdc_poll('copy')}), '0', "$db: once");
	$node->safe_psql($db, q{SELECT dataeng.fact_refresh('daily'); SELECT dataeng.dimension_refresh('customer_dim');});
	my $fact_diff = q{
		SELECT count(*) FROM (
		  (SELECT bucket, customer, count, sum_amount, min_amount, max_at FROM daily
		   EXCEPT ALL SELECT date_trunc('day', at), customer, count(*), sum(amount), min(amount), max(at)
		                FROM orders GROUP BY 1, 2)
		  UNION ALL
		  (SELECT date_trunc('day', at), customer, count(*), sum(amount), min(amount), max(at) FROM orders GROUP BY 1, 2
		   EXCEPT ALL SELECT bucket, customer, count, sum_amount, min_amount, max_at FROM daily)) d};
	is($node->safe_psql($db, $fact_diff), '0', "$db: the fact refreshes to its source's GROUP BY");
	# its min and max got their reserves on the upgrade, filled where the refresh touched a group
	is($node->safe_psql($db, q{
		SELECT count(*) FILTER (WHERE __x_min_amount IS NOT NULL) > 0, count(*) FILTER (WHERE __nn_max_at IS NULL) > 0
		  FROM daily_data}), 't|t', "$db: the reserves of min and max are filled as groups are touched");
	# a count(DISTINCT) measure of 0.1.0 is kept with per-value counts: the
	# first refresh after the update rebuilds the fact once, which makes its
	# side table (the changes pending at the update applied once); the next
	# ones apply the changes to it, recomputing nothing
	is($node->safe_psql($db, q{
		SELECT e->>'mode' FROM dataeng_internal.fact_defs, jsonb_array_elements(spec) e
		 WHERE name = 'distinct_daily' AND e->>'agg' = 'count_distinct'})
	  . ' ' . $node->safe_psql($db, q{SELECT coalesce(to_regclass('distinct_daily_distinct')::text, '-')}),
		'distinct -', "$db: a count(DISTINCT) of 0.1.0 is kept with per-value counts, its side table made later");
	my $distinct_diff = q{
		SELECT count(*) FROM (
		  (SELECT bucket, count, count_distinct_customer FROM distinct_daily
		   EXCEPT ALL SELECT date_trunc('day', at), count(*), count(DISTINCT customer) FROM orders GROUP BY 1)
		  UNION ALL
		  (SELECT date_trunc('day', at), count(*), count(DISTINCT customer) FROM orders GROUP BY 1
		   EXCEPT ALL SELECT bucket, count, count_distinct_customer FROM distinct_daily)) d};
	$node->safe_psql($db, q{SELECT dataeng.fact_refresh('distinct_daily')});
	is($node->safe_psql($db, q{SELECT last_refresh_path FROM dataeng.facts WHERE name = 'distinct_daily'})
	  . ' ' . $node->safe_psql($db, q{
		SELECT pg_get_userbyid(relowner) = current_user FROM pg_class WHERE oid = 'distinct_daily_distinct'::regclass})
	  . ' ' . $node->safe_psql($db, $distinct_diff),
		'rebuild (count(DISTINCT) side table made) t 0', "$db: its first refresh rebuilds it with its side table");
	$node->safe_psql($db, q{
		UPDATE orders SET customer = 'c9' WHERE id IN (20, 21);
		UPDATE orders SET at = at + interval '1 day' WHERE id = 30;
		SELECT dataeng.fact_refresh('distinct_daily');
		SELECT dataeng.fact_refresh('daily');
		SELECT dataeng.dimension_refresh('customer_dim');});
	is($node->safe_psql($db, q{SELECT last_refresh_path FROM dataeng.facts WHERE name = 'distinct_daily'})
	  . ' ' . $node->safe_psql($db, $distinct_diff),
		'delta 0', "$db: and the next refreshes apply the changes to the per-value counts");
	$node->safe_psql($db, q{SELECT dataeng.fact_drop('distinct_daily')});
	is($node->safe_psql($db, q{SELECT coalesce(to_regclass('distinct_daily_distinct')::text, '-')}), '-',
		"$db: fact_drop drops the side table");
	# a fact of 0.1.0 keeps its timestamptz bucket (midnight in its zone) and refreshes as before
	$node->safe_psql($db, q{SELECT dataeng.fact_refresh('visits_daily')});
	is($node->safe_psql($db, q{
		SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'visits_daily'::regclass AND attname = 'bucket'})
	  . ' ' . $node->safe_psql($db, q{
		SELECT count(*) FROM (
		  (SELECT bucket, count FROM visits_daily
		   EXCEPT ALL SELECT day::timestamp AT TIME ZONE 'America/New_York', count(*) FROM visits GROUP BY 1)
		  UNION ALL
		  (SELECT day::timestamp AT TIME ZONE 'America/New_York', count(*) FROM visits GROUP BY 1
		   EXCEPT ALL SELECT bucket, count FROM visits_daily)) d}),
		'timestamp with time zone 0', "$db: a date fact of $old keeps its timestamptz bucket and refreshes");
	# a new one gives date buckets
	$node->safe_psql($db, q{SELECT dataeng.fact_create('visits_new', 'visits', 'day', 'day', '{}', '{count(*)}', schedule => NULL)});
	is($node->safe_psql($db, q{
		SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'visits_new'::regclass AND attname = 'bucket'}),
		'date', "$db: a date fact created after the upgrade has date buckets");
	is($node->safe_psql($db, q{
		SELECT count(*) FROM (SELECT bucket, count FROM visits_new EXCEPT SELECT day, count(*) FROM visits GROUP BY 1) d}),
		'0', "$db: and equals its GROUP BY");
	is($node->safe_psql($db, q{
		SELECT count(*) FROM (SELECT id, customer FROM customer_dim WHERE is_current
		                      EXCEPT SELECT id, customer FROM orders) d}) . ' '
	  . $node->safe_psql($db, q{SELECT count(*) FROM customer_dim WHERE is_current}),
		'0 95', "$db: the dimension refreshes to its source");
	is($node->safe_psql($db, q{
		SELECT failed FROM dataeng.validate('orders') WHERE rule_name = 'positive'}),
		'10', "$db: validation runs");
	# the money rule's numbers are written as rule_add stores them now
	# (kept as numbers, every row failed)
	is($node->safe_psql($db, q{SELECT params FROM dataeng.rules WHERE rule_name = 'listed'})
	  . ' ' . $node->safe_psql($db, q{SELECT failed FROM dataeng.validate('prices') WHERE rule_name = 'listed'}),
		'{"values": ["$7.00", "$0.40", "$9.00"]} 0', "$db: an accepted_values rule on money keeps its values and passes");
	is($node->safe_psql($db, q{SELECT timeout || ' ' || (broken IS NULL) FROM dataeng.jobs WHERE job_name = 'long'}),
		'24 days true', "$db: a job's timeout over 24 days is set to 24 days, and the job is not broken");
	is($node->safe_psql($db, q{SELECT string_agg(name || ' ' || state || ' ' || reason, E'\n' ORDER BY name)
	                           FROM dataeng.pipeline_status WHERE name LIKE 'cyc%'}),
		qq{cyc_b failing in a cycle of dependencies, "cyc_b" -> "cyc_c" -> "cyc_b" (each job waits for the next to succeed): none of these jobs ever runs; reschedule one of them without its dependency on the next\n}
		. qq{cyc_c failing in a cycle of dependencies, "cyc_c" -> "cyc_b" -> "cyc_c" (each job waits for the next to succeed): none of these jobs ever runs; reschedule one of them without its dependency on the next},
		"$db: pipeline_status shows the jobs of the cycle failing, with it");
	$node->safe_psql($db, q{SELECT dataeng.schedule('cyc_b', '1 year', 'SELECT 1')});
	is($node->safe_psql($db, q{SELECT string_agg(name || ' ' || state, ', ' ORDER BY name)
	                           FROM dataeng.pipeline_status WHERE name LIKE 'cyc%'}),
		'cyc_b ok, cyc_c ok', "$db: rescheduling one of them without its dependency mends both");
	# the money bounds of more than 2 decimals admit the same money values
	# as the bounds given (rounded, 0.40 and 9.00 passed band, and failed
	# band_strict)
	is($node->safe_psql($db, q{SELECT string_agg(rule_name || ' ' || params::text, ', ' ORDER BY rule_name)
	                           FROM dataeng.rules WHERE rule_name LIKE 'band%'}),
		'band {"max": "$8.99", "min": "$0.41"}, band_strict {"max": "$9.01", "min": "$0.39", "strict_max": true, "strict_min": true}',
		"$db: the money range bounds are stored as the cent bounds that admit the same values");
	is($node->safe_psql($db, q{SELECT string_agg(rule_name || ' ' || failed, ', ' ORDER BY rule_name)
	                           FROM dataeng.validate('prices') WHERE rule_name LIKE 'band%'}),
		'band 2, band_strict 0', "$db: and validation checks the bounds given, not rounded ones");
	$node->safe_psql($db, q{
		DELETE FROM orders o USING (SELECT DISTINCT ON (customer) id FROM orders ORDER BY customer, amount) x
		 WHERE o.id = x.id;
		UPDATE orders SET at = at - interval '1 hour' WHERE id % 7 = 0;
		SELECT dataeng.fact_refresh('daily');});
	is($node->safe_psql($db, $fact_diff), '0', "$db: and refreshes to it again after its extremes go");
	ok($node->poll_query_until($db, q{SELECT count(*) >= 2 FROM ticks}), "$db: the job runs after the upgrade");
	# fact_drop drops the view and its storage table
	$node->safe_psql($db, q{SELECT dataeng.fact_drop('daily')});
	is($node->safe_psql($db, q{SELECT coalesce(to_regclass('daily')::text, '-') || ' ' || coalesce(to_regclass('daily_data')::text, '-')}),
		'- -', "$db: an upgraded fact drops with its storage table");
}

$node->stop;
done_testing();

sub fresh_has { my $l = shift; return index("\n$fresh\n", "\n$l\n") >= 0; }
