# Capture from the WAL while a role holds a lock on its own table whose
# capture method is being switched: the worker does not wait for it (it
# would stop capture for every role); it captures the other tables and
# switches the locked one in a round after the lock is gone.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('wallock');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE ROLE regress_locker;
	CREATE TABLE other (id int PRIMARY KEY);
	CREATE TABLE locked (id int PRIMARY KEY);
	ALTER TABLE locked OWNER TO regress_locker;
	-- (what cdc_enable(..., method => 'wal') would otherwise do, under a lock)
	ALTER TABLE locked REPLICA IDENTITY FULL;
	SELECT dataeng.cdc_enable('other', method => 'wal');
	SELECT dataeng.cdc_enable('locked');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker runs');

# the owner holds a lock against writers, then asks for capture from the WAL
my $locker = $node->background_psql('postgres', on_error_stop => 0);
$locker->query_safe(q{BEGIN; LOCK TABLE locked IN ROW EXCLUSIVE MODE});
$node->safe_psql('postgres', q{SET lock_timeout = '20s'; SELECT dataeng.cdc_enable('locked', method => 'wal')});
$node->safe_psql('postgres', q{INSERT INTO other VALUES (1)});

# the other table's change is captured while the lock is held
my $captured = 0;
for (my $i = 0; $i < 1800 && !$captured; $i++)
{
	$captured = $node->safe_psql('postgres',
		q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'other'::regclass}) eq '1';
	select(undef, undef, undef, 0.1) unless $captured;
}
ok($captured, 'another table is captured while the table to switch is locked');
is($node->safe_psql('postgres', q{SELECT method || '/' || active_method FROM dataeng.cdc_tables
                                  WHERE table_name = 'locked'::regclass}),
	'wal/trigger', 'the locked table waits for its switch');

$locker->query_safe('COMMIT');
$locker->quit;
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'then it is switched');
is($node->safe_psql('postgres', q{SELECT method || '/' || active_method FROM dataeng.cdc_tables
                                  WHERE table_name = 'locked'::regclass}),
	'wal/wal', 'to capture from the WAL');
$node->safe_psql('postgres', q{INSERT INTO locked VALUES (1)});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'synced');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'locked'::regclass}),
	'1', 'and its changes are captured');

$node->stop;
done_testing();
