# One initdb for the TAP suite: PostgreSQL::Test::Cluster::init runs
# "initdb -D <pgdata> -A trust -N" for each node, about 1.2 s of CPU on the
# 2-core CI machine, and the suite makes some forty nodes.  With
# DE_INITDB_TEMPLATE set (sql_tests/run_all.sh sets it to a directory of
# its work area), that exact command copies a data directory made once by
# the same command instead, as PostgreSQL 16's Cluster.pm does with
# INITDB_TEMPLATE.  The first script to need one makes it, under a lock,
# with its own environment: a template is kept per value of the settings
# initdb reads from the environment (locale, time zone, the PATH it is
# found on), so a script that changes one of them gets an initdb of its
# own.  Each copy gets a system identifier of its own (pg_control), as
# each initdb would.  An initdb with other arguments (a node's "extra")
# runs as before.
# Loaded in every TAP script with NodePoll (TapPace.pm).
package InitTemplate;

use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Fcntl qw(:flock);
use Time::HiRes ();
use PostgreSQL::Test::Utils ();
use Test::More;

my $real_system_or_bail = \&PostgreSQL::Test::Utils::system_or_bail;

# the environment initdb reads, as one key
sub env_key
{
	my @names = sort grep { /^(LANG|LANGUAGE|LC_[A-Z]+|TZ|PGTZ|PATH|PGDATA)$/ } keys %ENV;
	return md5_hex(join("\0", map { "$_=$ENV{$_}" } @names));
}

# copy_template($pgdata): makes $pgdata a copy of the template of this
# environment, making the template first if there is none yet
sub copy_template
{
	my ($pgdata) = @_;
	my $base = $ENV{DE_INITDB_TEMPLATE};
	my $template = "$base/" . env_key();

	open(my $lock, '>>', "$template.lock")
	  or BAIL_OUT("could not open $template.lock: $!");
	flock($lock, LOCK_EX) or BAIL_OUT("could not lock $template.lock: $!");
	if (!-f "$template/PG_VERSION")
	{
		system('rm', '-rf', $template);
		$real_system_or_bail->('initdb', '-D', $template, '-A', 'trust', '-N');
	}
	flock($lock, LOCK_UN);
	close($lock);

	# -RPp as PostgreSQL 16 copies its template: modes kept, links as links
	$real_system_or_bail->('cp', '-RPp', $template, $pgdata);
	new_system_identifier($pgdata);
	return;
}

# CRC-32C (Castagnoli), as PostgreSQL's COMP_CRC32C and FIN_CRC32C
my @crc_table;
for my $i (0 .. 255)
{
	my $c = $i;
	$c = ($c & 1) ? (($c >> 1) ^ 0x82F63B78) : ($c >> 1) for 1 .. 8;
	$crc_table[$i] = $c;
}

sub crc32c
{
	my ($bytes) = @_;
	my $crc = 0xFFFFFFFF;
	$crc = $crc_table[ ($crc ^ $_) & 0xFF ] ^ ($crc >> 8) for unpack('C*', $bytes);
	return $crc ^ 0xFFFFFFFF;
}

# new_system_identifier($pgdata): gives a copy a system identifier of its
# own, made as initdb makes one (seconds, microseconds and process id), so
# that each node is another cluster as with an initdb of its own (the
# extension tells a restore into another cluster by it: t/081_pg_upgrade.pl
# checks it).  The identifier is pg_control's first field; the CRC of the
# fields before it follows them, found as the one offset where it matches.
# The WAL initdb wrote names it too.
sub new_system_identifier
{
	my ($pgdata) = @_;
	my $file = "$pgdata/global/pg_control";
	open(my $fh, '+<:raw', $file) or BAIL_OUT("could not open $file: $!");
	my $size = -s $fh;
	read($fh, my $control, $size) == $size or BAIL_OUT("could not read $file");

	my $crc_at;
	for (my $off = 16; $off + 4 <= 1024 && $off + 4 <= $size; $off += 4)
	{
		if (crc32c(substr($control, 0, $off)) == unpack('L', substr($control, $off, 4)))
		{
			$crc_at = $off;
			last;
		}
	}
	BAIL_OUT("no CRC found in $file") unless defined $crc_at;

	my ($sec, $usec) = Time::HiRes::gettimeofday();
	my $old = substr($control, 0, 8);
	my $id;
	do
	{
		$id = pack('Q', ($sec << 32) | (($usec & 0xFFFFF) << 12) | (($$ + int(rand(4096))) & 0xFFF));
		$usec++;
	} while ($id eq $old);
	substr($control, 0, 8) = $id;
	substr($control, $crc_at, 4) = pack('L', crc32c(substr($control, 0, $crc_at)));
	seek($fh, 0, 0) or BAIL_OUT("could not seek in $file: $!");
	print $fh $control or BAIL_OUT("could not write $file: $!");
	close($fh) or BAIL_OUT("could not close $file: $!");

	# the first page of each WAL segment has a long header naming the
	# system (xlp_sysid, after the 24 bytes of the short header): the
	# server refuses WAL of another system
	opendir(my $dh, "$pgdata/pg_wal") or BAIL_OUT("could not open $pgdata/pg_wal: $!");
	my @segments = grep { /^[0-9A-F]{24}$/ } readdir($dh);
	closedir($dh);
	BAIL_OUT("no WAL segment in $pgdata/pg_wal") unless @segments;
	for my $segment (@segments)
	{
		my $path = "$pgdata/pg_wal/$segment";
		open(my $wal, '+<:raw', $path) or BAIL_OUT("could not open $path: $!");
		read($wal, my $header, 32) == 32 or BAIL_OUT("could not read $path");
		my (undef, $info) = unpack('SS', $header);
		BAIL_OUT("$path does not start with a long page header naming this system")
		  unless ($info & 0x0002) && substr($header, 24, 8) eq $old;
		seek($wal, 24, 0) or BAIL_OUT("could not seek in $path: $!");
		print $wal $id or BAIL_OUT("could not write $path: $!");
		close($wal) or BAIL_OUT("could not close $path: $!");
	}
	return;
}

{
	no warnings 'redefine';

	*PostgreSQL::Test::Utils::system_or_bail = sub {
		my @cmd = @_;
		if (   defined $ENV{DE_INITDB_TEMPLATE}
			&& $ENV{DE_INITDB_TEMPLATE} ne ''
			&& @cmd == 6
			&& $cmd[0] eq 'initdb'
			&& $cmd[1] eq '-D'
			&& $cmd[3] eq '-A'
			&& $cmd[4] eq 'trust'
			&& $cmd[5] eq '-N'
			&& !-e $cmd[2])
		{
			copy_template($cmd[2]);
			return;
		}
		return $real_system_or_bail->(@cmd);
	};
}

1;
