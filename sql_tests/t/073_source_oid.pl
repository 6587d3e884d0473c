# A fact or dimension never reads another table than its source through an
# oid used again.
#
# A definition names its source by oid (regclass).  pg_dump writes the oid
# of a live table as its name, which the restore maps by name, but that of
# a dropped one as a bare number, which a restore in another cluster gives
# to whichever table has that oid there; in the same cluster, an oid is
# used again once the counter wraps around.  A definition records its
# source's name beside the oid (followed through renames) and whether it
# was dropped: refreshes refuse (42P01) a source marked dropped or whose
# oid names a table of another name, and a restore creates no consumer of
# such a table (it would capture it).
#
# Cluster A: fact f's source is dropped (marked so by the drop's event
# trigger); fact g's and dimension d's source is dropped with event
# triggers off (session_replication_role = replica: not marked); fact h's
# source is renamed and moved to another schema.  pg_resetwal -o makes the
# next oid that of g's source in A (its name then goes to another table),
# and in cluster B each dropped source's oid goes to a table of B before
# the dump of A is restored there.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use OidRestore;

my ($na, $nb) = OidRestore::new_pair('src_a', 'src_b');

$na->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src_f (id int PRIMARY KEY, at date NOT NULL, amount numeric);
	INSERT INTO src_f VALUES (1, '2026-01-01', 10), (2, '2026-01-02', 20);
	SELECT dataeng.fact_create('f', 'src_f', 'at', 'month', ARRAY[]::text[], ARRAY['count(*)', 'sum(amount)'], schedule => NULL);
	CREATE TABLE src_g (id int PRIMARY KEY, at date NOT NULL, amount numeric);
	INSERT INTO src_g VALUES (1, '2026-01-01', 1);
	SELECT dataeng.fact_create('g', 'src_g', 'at', 'month', ARRAY[]::text[], ARRAY['count(*)', 'sum(amount)'], schedule => NULL);
	SELECT dataeng.dimension_create('d', 'src_g', 'id', ARRAY['amount'], schedule => NULL);
	CREATE TABLE src_h (id int PRIMARY KEY, at date NOT NULL, amount numeric);
	INSERT INTO src_h VALUES (1, '2026-01-01', 5);
	SELECT dataeng.fact_create('h', 'src_h', 'at', 'month', ARRAY[]::text[], ARRAY['count(*)', 'sum(amount)'], schedule => NULL);
	-- h's source renamed, moved, its schema renamed: followed
	CREATE SCHEMA s1;
	ALTER TABLE src_h RENAME TO sales_h;
	ALTER TABLE sales_h SET SCHEMA s1;
	ALTER SCHEMA s1 RENAME TO "Sales";
	INSERT INTO "Sales".sales_h VALUES (2, '2026-01-03', 6);
	SELECT dataeng.fact_refresh('h');
});
is($na->safe_psql('postgres', q{SELECT source_schema || '|' || source_table FROM dataeng_internal.fact_defs WHERE name = 'h'}),
	'Sales|sales_h', "h's source's names follow its renames");
is($na->safe_psql('postgres', q{SELECT count || ' ' || sum_amount FROM h}), '2 11', 'h refreshes from its renamed source');

my $oid_f = $na->safe_psql('postgres', q{SELECT 'src_f'::regclass::oid});
my $oid_g = $na->safe_psql('postgres', q{SELECT 'src_g'::regclass::oid});
$na->safe_psql('postgres', q{
	DROP TABLE src_f;
	SET session_replication_role = replica;
	DROP TABLE src_g;
	RESET session_replication_role;
	-- (capture's own record of src_g, left behind as unseen, would name
	-- the table of its oid too: this test is about the definitions)
	DELETE FROM dataeng.cdc_tables WHERE table_name::oid NOT IN (SELECT oid FROM pg_class);
});
is($na->safe_psql('postgres', q{
	SELECT string_agg(name || ':' || source_dropped, ' ' ORDER BY name)
	  FROM (SELECT name, source_dropped FROM dataeng_internal.fact_defs
	        UNION ALL SELECT name, source_dropped FROM dataeng_internal.dimension_defs) x}),
	'd:false f:true g:false h:false', "f's source marked dropped; g's and d's dropped unseen");

my $dump = OidRestore::dump_db($na, 'postgres');

# A: g's source's oid taken by another table of the same columns
OidRestore::at_oid($na, 'postgres', $oid_g, q{
	CREATE TABLE other_g (id int PRIMARY KEY, at date NOT NULL, amount numeric);
	INSERT INTO other_g VALUES (1, '2026-01-01', 1000), (2, '2026-01-05', 2000);
});
is($na->safe_psql('postgres', q{SELECT 'other_g'::regclass::oid}), $oid_g, "A: other_g has the oid of g's source");
my ($ret, $out, $err);
for my $call ("dataeng.fact_refresh('g')", "dataeng.fact_rebuild('g')", "dataeng.dimension_refresh('d')")
{
	($ret, $out, $err) = $na->psql('postgres', "SELECT $call");
	like($err, qr/ERROR:  the source table of (fact "g"|dimension "d") was dropped\n.*that OID names table public\.other_g now/,
		"A: $call refuses other_g");
}
is($na->safe_psql('postgres', q{SELECT count || ' ' || sum_amount FROM g}), '1 1', 'A: g holds none of the rows of other_g');
# renaming the other table does not make it the source (the ALTER marks
# the source dropped first)
$na->safe_psql('postgres', q{ALTER TABLE other_g RENAME TO src_g2});
($ret, $out, $err) = $na->psql('postgres', q{SELECT dataeng.fact_refresh('g')});
like($err, qr/the source table of fact "g" was dropped/, 'A: nor once it is renamed');
is($na->safe_psql('postgres', q{SELECT source_schema || '.' || source_table || ' ' || source_dropped FROM dataeng_internal.fact_defs WHERE name = 'g'}),
	'public.src_g true', 'A: g keeps the name of its source, marked dropped');
$na->safe_psql('postgres', q{SELECT dataeng.fact_drop('g'); SELECT dataeng.dimension_drop('d')});
is($na->safe_psql('postgres', q{SELECT count(*) FROM dataeng.facts WHERE name = 'g'}), '0', 'A: g and d drop');

# B: the oids of f's and g's sources taken by tables of B, then the restore
$nb->safe_psql('postgres', q{CREATE DATABASE restored});
OidRestore::at_oid($nb, 'restored', $oid_f, q{
	CREATE TABLE payroll_f (id int PRIMARY KEY, at date NOT NULL, amount numeric);
	INSERT INTO payroll_f VALUES (1, '2026-01-01', 7000);
});
OidRestore::at_oid($nb, 'restored', $oid_g, q{
	CREATE TABLE payroll_g (id int PRIMARY KEY, at date NOT NULL, amount numeric);
	INSERT INTO payroll_g VALUES (1, '2026-01-01', 9000);
});
is($nb->safe_psql('restored', q{SELECT 'payroll_f'::regclass::oid || ' ' || 'payroll_g'::regclass::oid}),
	"$oid_f $oid_g", "B: payroll_f and payroll_g have the oids of the dropped sources");
my ($ok, $stderr) = OidRestore::restore($nb, 'restored', $dump);
ok($ok, 'pg_restore into B') or diag($stderr);
like($stderr, qr/WARNING:  the source table of fact "f" was dropped\n.*DETAIL:  It was made from table public\.src_f of OID $oid_f; it was dropped before the dump/,
	'B: the restore warns of f');
like($stderr, qr/WARNING:  the source table of fact "g" was dropped\n.*DETAIL:  It was made from table public\.src_g of OID $oid_g; that OID names table public\.payroll_g here, another table/,
	'B: and of g (its source dropped unseen)');
like($stderr, qr/WARNING:  the source table of dimension "d" was dropped/, 'B: and of d');
is($nb->safe_psql('restored', q{
	SELECT string_agg(name || ':' || source_dropped, ' ' ORDER BY name)
	  FROM (SELECT name, source_dropped FROM dataeng_internal.fact_defs
	        UNION ALL SELECT name, source_dropped FROM dataeng_internal.dimension_defs) x}),
	'd:true f:true g:true h:false', 'B: f, g and d are marked dropped, h is not');
is($nb->safe_psql('restored', q{
	SELECT coalesce(string_agg(name, ' ' ORDER BY name), '') FROM dataeng_internal.cdc_consumer_state}),
	'fact:h', 'B: only h has a consumer');
is($nb->safe_psql('restored', q{
	SELECT coalesce(string_agg(table_name::text, ' ' ORDER BY table_name::text), '') FROM dataeng.cdc_tables}),
	'"Sales".sales_h', 'B: only the source of h is captured');
for my $call ("dataeng.fact_refresh('f')", "dataeng.fact_rebuild('f')", "dataeng.fact_refresh('g')",
	"dataeng.dimension_refresh('d')")
{
	($ret, $out, $err) = $nb->psql('restored', "SELECT $call");
	like($err, qr/ERROR:  the source table of (fact "[fg]"|dimension "d") was dropped/, "B: $call refuses its oid's table");
}
is($nb->safe_psql('restored', q{SELECT (SELECT count || ' ' || sum_amount FROM f) || ', ' || (SELECT count || ' ' || sum_amount FROM g)}),
	'2 30, 1 1', 'B: f and g hold what they held in A');
$nb->safe_psql('restored', q{INSERT INTO "Sales".sales_h VALUES (3, '2026-01-04', 7)});
$nb->safe_psql('restored', q{SELECT dataeng.fact_refresh('h')});
is($nb->safe_psql('restored', q{SELECT count || ' ' || sum_amount FROM h}),
	'3 18', 'B: h refreshes from its source, restored by name');
$nb->safe_psql('restored', q{
	SELECT dataeng.fact_drop('f'); SELECT dataeng.fact_drop('g'); SELECT dataeng.dimension_drop('d')});
is($nb->safe_psql('restored', q{SELECT string_agg(name, ' ') FROM dataeng.facts}), 'h', 'B: f, g and d drop');

$na->stop;
$nb->stop;
done_testing();
