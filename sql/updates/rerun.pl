#!/usr/bin/perl
# rerun.pl UPDATE AREA.sql...: print an upgrade script: the hand-written
# UPDATE (table changes, functions to drop), then every statement of the
# area files that can run again on an installed database, made to replace
# what is there: functions, procedures, aggregates, views and triggers as
# CREATE OR REPLACE, policies dropped and created, comments, grants and
# revokes as they are.  Tables, sequences, indexes, types and event
# triggers are created by the install script only: an upgrade changes them
# in UPDATE.
#
# rerun.pl --install AREA.sql...: print the install script: the area files
# as they are.
#
# Both substitute the constants C and SQL share (the hand-written UPDATE
# too): a token @NAME@ in the SQL
# becomes the value of "#define NAME value" in a header under src/ (one
# source for both languages; an unknown token is an error).
use strict;
use warnings;
use File::Basename qw(dirname);

my $update = shift @ARGV;

# NAME => value of every "#define NAME value" of the headers under src/
my %constants;
{
	my $src = dirname(__FILE__) . '/../../src';
	for my $h (glob("$src/*.h $src/*/*.h"))
	{
		open(my $hf, '<', $h) or die "$h: $!\n";
		while (<$hf>)
		{
			$constants{$1} = $2
			  if /^#define\s+([A-Z][A-Z0-9_]*)\s+(\S(?:.*\S)?)\s*$/ && $2 !~ /\\$/;
		}
		close $hf;
	}
}

sub substitute
{
	my ($sql, $file) = @_;
	# CREATE EXTENSION reads the scripts in the database's encoding (the
	# control file names none): a byte above ASCII would be another
	# character in a LATIN1 database, and no character at all in some
	# (WIN1252 has no 0x81), so the scripts are ASCII; write E'\u00e9'.
	if ($sql =~ /[^\x00-\x7f]/)
	{
		my $line = 1 + (() = substr($sql, 0, $-[0]) =~ /\n/g);
		die "$file:$line: a byte above ASCII (the scripts must be ASCII: write a Unicode escape)\n";
	}
	$sql =~ s{\@([A-Z][A-Z0-9_]*)\@}{
		my $v = $constants{$1};
		die "$file: \@$1\@ is not defined by a header under src/\n" unless defined $v;
		$v =~ s/^"(.*)"$/$1/;
		$v =~ s/^\((.*)\)$/$1/;
		$v =~ s/^INT64CONST\((.*)\)$/$1/;
		$v;
	}ge;
	return $sql;
}

if ($update eq '--install')
{
	local $/;
	for my $file (@ARGV)
	{
		open(my $fh, '<', $file) or die "$file: $!\n";
		print substitute(scalar <$fh>, $file);
		close $fh;
	}
	exit 0;
}

# the statements of an SQL script (aware of quotes, dollar quotes, comments)
sub statements
{
	my ($sql) = @_;
	my (@st, $cur);
	my ($i, $n) = (0, length $sql);
	$cur = '';
	while ($i < $n)
	{
		my $two = substr($sql, $i, 2);
		my $c = substr($sql, $i, 1);
		my $end;
		if ($two eq '--') { $end = index($sql, "\n", $i); $end = $n if $end < 0; }
		elsif ($two eq '/*') { $end = index($sql, '*/', $i) + 2; }
		elsif ($c eq "'")
		{
			$end = $i + 1;
			while (1)
			{
				my $k = index($sql, "'", $end);
				die "unterminated quote\n" if $k < 0;
				if (substr($sql, $k + 1, 1) eq "'") { $end = $k + 2; next; }
				$end = $k + 1;
				last;
			}
		}
		elsif ($c eq '$' && substr($sql, $i, 64) =~ /^(\$[A-Za-z_]*\$)/)
		{
			my $tag = $1;
			my $k = index($sql, $tag, $i + length $tag);
			die "unterminated $tag\n" if $k < 0;
			$end = $k + length $tag;
		}
		elsif ($c eq '\\') { $end = index($sql, "\n", $i); $end = $n if $end < 0; }
		elsif ($c eq ';') { push @st, $cur . ';'; $cur = ''; $i++; next; }
		else { $end = $i + 1; }
		$cur .= substr($sql, $i, $end - $i);
		$i = $end;
	}
	return @st;
}

local $/;
open(my $fh, '<', $update) or die "$update: $!\n";
my $pre = <$fh>;
close $fh;
print "/* built by sql/updates/rerun.pl from $update and the area files: do not edit */\n\n";
print "\\echo Use \"ALTER EXTENSION dataeng UPDATE\" to load this file. \\quit\n\n";
print substitute($pre, $update), "\n";
for my $file (@ARGV)
{
	open($fh, '<', $file) or die "$file: $!\n";
	my $sql = substitute(scalar <$fh>, $file);
	close $fh;
	print "\n-- from $file\n";
	for my $s (statements($sql))
	{
		(my $body = $s) =~ s/^(?:\s+|--[^\n]*\n|\\[^\n]*\n|\/\*.*?\*\/)*//s;
		if ($body =~ s/^CREATE (FUNCTION|PROCEDURE|AGGREGATE|VIEW|TRIGGER)\b/CREATE OR REPLACE $1/)
		{
			print "\n", $body, "\n";
		}
		elsif ($body =~ /^CREATE POLICY\s+(\S+)\s+ON\s+(\S+)/)
		{
			print "\nDROP POLICY IF EXISTS $1 ON $2;\n", $body, "\n";
		}
		elsif ($body =~ /^(COMMENT ON|REVOKE|GRANT)\b/)
		{
			print "\n", $body, "\n";
		}
	}
}
