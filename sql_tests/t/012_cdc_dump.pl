# A database with captured tables survives pg_dump and pg_restore: the
# restored tables (new oids) are still captured, under their own names, and
# their capture settings come along.
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
});

my $dump = PostgreSQL::Test::Utils::tempdir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore, without a single error');

is($node->safe_psql('restored', q{SELECT string_agg(table_name::text || ':' || coalesce(exclude_columns::text, ''), ' ' ORDER BY table_name::text) FROM dataeng.cdc_tables}),
	'part: plain:{secret}', 'capture settings restored');
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

$node->stop;
done_testing();
