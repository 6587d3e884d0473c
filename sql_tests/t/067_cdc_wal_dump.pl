# A database with a table captured from the WAL survives pg_dump and
# pg_restore: the restored table is still captured (the restore starts the
# database's WAL worker, which makes its slot), writes after the restore
# reach the change log and a consumer created there, and the worker comes
# back after a server restart.  (The restored table had nothing capturing
# it: no trigger, no worker, no slot, while dataeng.cdc_tables said it was
# captured from the WAL.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('waldump');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	CREATE TABLE orders (id int PRIMARY KEY, amount numeric);
	SELECT dataeng.cdc_enable('orders');
});
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');
$node->safe_psql('postgres', q{INSERT INTO clicks VALUES (1, '/home'); INSERT INTO orders VALUES (1, 10)});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync() AND
	(SELECT active_method FROM dataeng.cdc_tables WHERE table_name = 'clicks'::regclass) = 'wal'}),
	't', 'clicks captured from the WAL before the dump');

my $dump = PostgreSQL::Test::Utils::tempdir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore, without a single error');

$node->safe_psql('restored', q{SELECT dataeng.cdc_consumer_create('after', '{clicks,orders}')});
$node->safe_psql('restored', q{INSERT INTO clicks VALUES (2, '/cart'); INSERT INTO orders VALUES (2, 20)});
is($node->safe_psql('restored', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the restored database has a WAL worker');
is($node->safe_psql('restored', q{
	SELECT string_agg(table_name::text || ' ' || op::text || ' ' || new_row::text, E'\n' ORDER BY table_name::text)
	  FROM dataeng.cdc_poll('after')}),
	qq{clicks I {"id": 2, "url": "/cart"}
orders I {"id": 2, "amount": 20}},
	'writes to the restored tables are captured, from the WAL and by trigger');
is($node->safe_psql('restored', q{SELECT count(*) FROM pg_replication_slots s JOIN pg_database d ON d.datname = s.database
	WHERE d.datname = 'restored' AND s.slot_name = 'dataeng_wal_' || d.oid}), '1', 'the restored database has its slot');

# after a server start, the launcher starts the worker again
$node->restart;
$node->safe_psql('restored', q{INSERT INTO clicks VALUES (3, '/pay')});
is($node->safe_psql('restored', 'SELECT dataeng.cdc_wal_sync()'), 't', 'its worker is back after a restart');
is($node->safe_psql('restored', q{SELECT string_agg(new_row->>'url', ',' ORDER BY position) FROM dataeng.cdc_poll('after')
	WHERE table_name = 'clicks'::regclass}),
	'/cart,/pay', 'and captures again');

$node->stop;
done_testing();
