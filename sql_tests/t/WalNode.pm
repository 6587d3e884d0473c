# The cluster the WAL capture tests share (060_cdc_wal_crash.pl to
# 066_cdc_wal_switch_load.pl): dataeng preloaded, wal_level = logical, a
# worker that naps 50 ms, a launcher that looks every second, and the
# output plugins PostgreSQL 15.19+ must be told it may load.
package WalNode;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;

# A new node called $name, initialized with that configuration plus
# $extra (more postgresql.conf lines; later lines win), not started.
sub new_node
{
	my ($name, $extra) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
wal_level = logical
max_replication_slots = 8
max_worker_processes = 16
dataeng.wal_naptime = 50ms
dataeng.launcher_naptime = 1
} . ($extra // ''));
	if (`postgres --describe-config 2>/dev/null` =~ /^output_plugin_libraries/m)
	{
		$node->append_conf('postgresql.conf',
			"output_plugin_libraries = 'pgoutput, test_decoding, dataeng'");
	}
	return $node;
}

1;
