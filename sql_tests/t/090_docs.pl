# Every SQL example of the docs runs as written, and every object a user can
# see is documented.
#
# For each page (docs/*.md and README.md), in a fresh database of its own
# where dataeng is installed (CREATE EXTENSION dataeng, as a reader has it;
# a page showing the step writes CREATE EXTENSION IF NOT EXISTS dataeng),
# the page's ```sql blocks run in order with psql (-X -q, ON_ERROR_STOP: an
# error fails the page).  The convention for results:
#
#   * a ```sql block holds only SQL (and psql meta-commands), never result
#     text;
#   * a block fenced by a bare ``` that follows a ```sql block (nothing but
#     blank lines between them) is what psql prints for that block: every
#     query's result, aligned, as `psql -X -q` shows it; blank lines and
#     trailing spaces do not count, and `...` in a line stands for any text
#     (times, version numbers, generated ids);
#   * a ```sql block without such a block is only run.
#
# A page that does not run yet is listed in %pending below with the reason;
# its failures are reported as TODO (visible, not failing the suite) until
# it is fixed and removed from the list.  Each failure names the page, the
# block and its line, and the statement (psql's line in the block maps to
# the page's line) or the first line of output that diverged.
#
# Then the catalog: every function, procedure, view and table of schema
# dataeng whose name does not start with `_` must be named (as `name(`,
# `dataeng.name` or `name` in backquotes) on some page.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use IPC::Run;
use Test::More;

# pages that do not run yet as written, and why
my %pending = (
);

my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'\nwal_level = logical\n");
$node->start;
# PostgreSQL 15.19+ loads only the output plugins it lists (docs/decoding.md)
if ($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'") eq '1')
{
	$node->append_conf('postgresql.conf',
		"output_plugin_libraries = 'pgoutput, test_decoding, dataeng'\n");
	$node->restart;
}

# the ```sql blocks of a page, each with the bare ``` block that follows it
sub blocks
{
	my ($file) = @_;
	my @lines = split /\n/, slurp_file($file), -1;
	my (@blocks, $cur, $kind, $start);
	for my $i (0 .. $#lines)
	{
		my $l = $lines[$i];
		if (!defined $kind)
		{
			if ($l =~ /^```(\w*)\s*$/)
			{
				($kind, $start, $cur) = ($1, $i + 1, []);
			}
			elsif ($l =~ /\S/ && @blocks && !defined $blocks[-1]{closed})
			{
				$blocks[-1]{closed} = 1;    # text after a sql block: no result
			}
			next;
		}
		if ($l =~ /^```\s*$/)
		{
			if ($kind eq 'sql')
			{
				push @blocks, { line => $start + 1, sql => join("\n", @$cur) . "\n" };
			}
			elsif ($kind eq '' && @blocks && !defined $blocks[-1]{closed}
				&& !defined $blocks[-1]{expected})
			{
				$blocks[-1]{expected} = $cur;
				$blocks[-1]{closed} = 1;
			}
			elsif (@blocks)
			{
				$blocks[-1]{closed} = 1;
			}
			undef $kind;
			next;
		}
		push @$cur, $l;
	}
	return @blocks;
}

# lines that count: no blank ones, no trailing spaces
sub significant
{
	return grep { /\S/ } map { s/\s+$//r } @_;
}

# whether a result line matches an expected one (`...` is any text)
sub line_matches
{
	my ($want, $got) = @_;
	my $re = join '.*', map { quotemeta } split /\.\.\./, $want, -1;
	return $got =~ /^$re$/;
}

my @pages = (sort(glob('docs/*.md')), 'README.md');
my $n = 0;
for my $page (@pages)
{
	my @blocks = blocks($page);
	next unless @blocks;
	my $db = 'docs_' . ++$n;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION dataeng');
	my @problems;
	my $b = 0;
	for my $block (@blocks)
	{
		$b++;
		my $sqlfile = "${PostgreSQL::Test::Utils::tmp_check}/docs_${n}_$b.sql";
		open my $fh, '>', $sqlfile or die "cannot write $sqlfile: $!";
		print $fh $block->{sql};
		close $fh;
		my ($out, $err) = ('', '');
		IPC::Run::run([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db),
				'-f', $sqlfile ], '>', \$out, '2>', \$err);
		my $status = $? >> 8;
		my $where = "$page block $b (line $block->{line})";
		if ($status != 0)
		{
			my $msg = join "\n", grep { /ERROR|FATAL/ } split /\n/, $err;
			# psql:FILE:LINE: ERROR: ... -> the page's line
			$msg =~ s/psql:\S+?:(\d+):/"$page:" . ($block->{line} + $1 - 1) . ":"/ge;
			push @problems, "$where fails: $msg";
			last;    # later blocks build on this one
		}
		next unless defined $block->{expected};
		my @want = significant(@{ $block->{expected} });
		my @got = significant(split /\n/, $out);
		for my $i (0 .. ($#want > $#got ? $#want : $#got))
		{
			my ($w, $g) = ($want[$i], $got[$i]);
			next if defined $w && defined $g && line_matches($w, $g);
			push @problems, "$where: output line " . ($i + 1) . " differs\n  page shows: "
			  . ($w // '(nothing)') . "\n  psql prints: " . ($g // '(nothing)')
			  . "\n  whole output:\n$out";
			last;
		}
	}
  TODO:
	{
		local $TODO = $pending{$page} ? "pending: $pending{$page}" : undef;
		ok(!@problems, "$page: its " . scalar(@blocks) . " SQL blocks run and print what it shows")
		  or diag(join "\n", @problems);
	}
	ok(!$pending{$page} || @problems, "$page: still pending (remove it from %pending when it runs)")
	  if $pending{$page};
}

# every object a user can see is documented
my $docs = join "\n", map { slurp_file($_) } @pages;
my @objects = split /\n/, $node->safe_psql('docs_1', q{
	SELECT DISTINCT p.proname || ' function'
	  FROM pg_proc p WHERE p.pronamespace = 'dataeng'::regnamespace AND p.proname !~ '^_'
	UNION
	SELECT DISTINCT c.relname || CASE c.relkind WHEN 'v' THEN ' view' ELSE ' table' END
	  FROM pg_class c WHERE c.relnamespace = 'dataeng'::regnamespace AND c.relname !~ '^_'
	   AND c.relkind IN ('r', 'p', 'v', 'm')
	ORDER BY 1});
my @missing;
for my $o (@objects)
{
	my ($name) = split / /, $o;
	push @missing, $o
	  unless $docs =~ /\Q$name\E\(|dataeng\.\Q$name\E\b|`\Q$name\E`/;
}
ok(!@missing, scalar(@objects) . " user-visible objects of dataeng, each named on some page")
  or diag("not documented in docs/*.md or README.md:\n  " . join("\n  ", @missing));

$node->stop;
done_testing();
