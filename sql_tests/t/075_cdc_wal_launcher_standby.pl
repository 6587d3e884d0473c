# The launcher of dataeng starts when recovery ends (a standby's, or a
# crash's): on a hot standby it has not run since the server started,
# however long ago.  dataeng.cdc_wal_sync() fails at once when the launcher
# that would start a missing WAL capture worker should have started 15 s
# before and has not; that moment is counted from when the server is seen
# out of recovery, not from the server start (else, just after a promotion,
# before the postmaster had started the launcher, cdc_wal_sync() failed at
# once on a standby that had run for 15 s).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $primary = WalNode::new_node('lprimary', qq{
max_wal_senders = 4
dataeng.maintenance_interval = 0
});
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
});
$primary->backup('b');

my $standby = PostgreSQL::Test::Cluster->new('lstandby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
ok($standby->poll_query_until('postgres', q{SELECT pg_is_in_recovery()}), 'the standby is in recovery');

# in recovery, the launcher is not started: it is seen starting, with no
# moment it is due at
is($standby->safe_psql('postgres', q{SELECT launcher_state || ' ' || (launcher_next IS NULL)::text || ' ' || NOT launcher
	FROM dataeng_internal._cdc_wal_start_state()}), 'starting true true',
	'on a standby, the launcher is starting, not due before recovery ends');

# out of recovery, it is due from when that is first seen, not from the
# server start
my $before = $standby->safe_psql('postgres', q{SELECT clock_timestamp()});
$primary->stop;
$standby->promote;
is($standby->safe_psql('postgres', qq{SELECT launcher_state = 'running'
	OR (launcher_state = 'starting' AND launcher_next >= '$before'::timestamptz)
	FROM dataeng_internal._cdc_wal_start_state()}), 't',
	'after the promotion, the launcher runs or is due from the end of recovery');
ok($standby->poll_query_until('postgres', q{SELECT launcher_state = 'running' AND launcher
	FROM dataeng_internal._cdc_wal_start_state()}), 'the postmaster starts the launcher');

# WAL capture on the promoted server: cdc_wal_sync() waits for the worker
# the launcher starts
$standby->safe_psql('postgres', q{
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	INSERT INTO clicks VALUES (1, 'a');
});
is($standby->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('120 s')}), 't', 'captured on the promoted server');
$standby->stop;
done_testing();
