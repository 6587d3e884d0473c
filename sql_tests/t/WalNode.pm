# The cluster the WAL capture tests share (060_cdc_wal_crash.pl to
# 066_cdc_wal_switch_load.pl): dataeng preloaded, wal_level = logical, a
# worker that naps 50 ms, a launcher that looks every second, and the
# output plugins PostgreSQL 15.19+ must be told it may load; and the
# writers that keep a table busy meanwhile (pgbench in the background).
package WalNode;

use strict;
use warnings;
use IPC::Run;
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

# The pgbench script $sql written to file $name in directory $dir; returns
# its path.
sub pgbench_script
{
	my ($dir, $name, $sql) = @_;
	open(my $fh, '>', "$dir/$name") or die "could not write $dir/$name: $!";
	print $fh $sql;
	close $fh;
	return "$dir/$name";
}

# pgbench started in the background on database postgres of $node with
# the options @args (clients, rate, duration, -f scripts), without
# vacuuming first: its IPC::Run harness (finish() waits for it).
sub pgbench_start
{
	my ($node, @args) = @_;
	my ($out, $err);
	return IPC::Run::start(
		[ 'pgbench', '-n', @args, '-h', $node->host, '-p', $node->port, 'postgres' ],
		'>', \$out, '2>', \$err);
}

1;
