#!/usr/bin/perl
# rerun.pl UPDATE AREA.sql...: print an upgrade script: the hand-written
# UPDATE (table changes, functions to drop), then every statement of the
# area files that can run again on an installed database, made to replace
# what is there: functions, procedures, aggregates, views and triggers as
# CREATE OR REPLACE, policies dropped and created, comments, grants and
# revokes as they are.  Tables, sequences, indexes, types and event
# triggers are created by the install script only: an upgrade changes them
# in UPDATE.
use strict;
use warnings;

my $update = shift @ARGV;

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
print $pre, "\n";
for my $file (@ARGV)
{
	open($fh, '<', $file) or die "$file: $!\n";
	my $sql = <$fh>;
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
