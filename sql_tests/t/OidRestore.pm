# What the tests of a dump restored in another cluster, where an oid the
# dump writes as a bare number names another object, share
# (019_trust_dead_oids.pl, 073_source_oid.pl).
#  - new_pair: clusters A and B, dataeng preloaded, maintenance off (the
#    tests run it themselves), started.
#  - dump_db: pg_dump -Fc of a database of A.
#  - at_oid: the next object created in a cluster takes a given oid
#    (pg_resetwal -o): the object of a dropped role's or table's oid in A,
#    made in B before the restore, or made again in A.
#  - restore: pg_restore of the dump into a database of B, with its
#    messages (the WARNINGs of the restore triggers).
package OidRestore;

use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Two started nodes called $name_a and $name_b.
sub new_pair
{
	my ($name_a, $name_b) = @_;
	my @nodes;
	for my $name ($name_a, $name_b)
	{
		my $node = PostgreSQL::Test::Cluster->new($name);
		$node->init;
		$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.maintenance_interval = 0
});
		$node->start;
		push @nodes, $node;
	}
	return @nodes;
}

# pg_dump -Fc of database $db of $node into a new temporary directory (a
# test); the dump's file.
sub dump_db
{
	my ($node, $db) = @_;
	my $file = PostgreSQL::Test::Utils::tempdir . '/' . $node->name . '.dump';
	$node->command_ok([ 'pg_dump', '-Fc', '-f', $file, '-d', $node->connstr($db) ], 'pg_dump of ' . $node->name);
	return $file;
}

# $node stopped, its next oid set to $oid (pg_resetwal -o, a test), started
# again; then $sql run in database $db: the first object it creates takes
# $oid, unless an object of that kind has it already.
sub at_oid
{
	my ($node, $db, $oid, $sql) = @_;
	$node->stop;
	command_ok([ 'pg_resetwal', '-o', $oid, $node->data_dir ], "pg_resetwal -o $oid");
	$node->start;
	return $node->safe_psql($db, $sql);
}

# pg_restore -v --exit-on-error of $file into database $db of $node
# (created before): whether it succeeded, and what it wrote to stderr.
sub restore
{
	my ($node, $db, $file) = @_;
	my ($stdout, $stderr);
	my $ok = IPC::Run::run([ 'pg_restore', '-v', '--exit-on-error', '-d', $node->connstr($db), $file ],
		'>', \$stdout, '2>', \$stderr);
	return ($ok, $stderr);
}

1;
