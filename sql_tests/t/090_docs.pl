# Every SQL example of the docs runs as written, and every object a user can
# see is documented.
#
# For each page (docs/*.md and README.md), in a fresh database of its own
# where dataeng is installed (CREATE EXTENSION dataeng, as a reader has it;
# a page showing the step writes CREATE EXTENSION IF NOT EXISTS dataeng),
# the page's ```sql blocks run in order with psql (-X -q, ON_ERROR_STOP: an
# error fails the page); the database is dropped after the page, so that the
# workers its examples started leave their slots to the next page's.  The convention for results:
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
# `dataeng.name` or `name` in backquotes) on some page, and more:
#
#   * each function is called in a ```sql block of some page (an example
#     that runs);
#   * each function (each overload) has its signature written on some page,
#     `dataeng.name(arg type, arg type DEFAULT ...)`, with its arguments'
#     real names in their order (OUT arguments may be left out), and those
#     given a DEFAULT being the ones that have one; a signature written for
#     a function of dataeng that has no such arguments is stale;
#   * each column of a table, view or composite type of dataeng is named in
#     backquotes (`col`, `name.col` or `dataeng.name.col`) in a section whose
#     heading names the object, or in a paragraph (or table) that names it;
#   * each setting `dataeng.*` has its row in README.md's table of settings
#     with its real default and context, and is named on a page of docs/;
#   * each SQLSTATE the sources raise (errcode(ERRCODE_...) in src/,
#     ERRCODE = '...' in sql/) is in docs/errors.md, but for those in
#     %internal_sqlstates, which never reach a user.
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
	# a reader has one database: the workers a page started (WAL capture,
	# ticker, scheduler) must not take the slots of the next page's
	$node->safe_psql('postgres', "DROP DATABASE $db WITH (FORCE)");
}

# the catalog of a fresh install
$node->safe_psql('postgres', 'CREATE DATABASE docs_catalog');
$node->safe_psql('docs_catalog', 'CREATE EXTENSION dataeng');

# every object a user can see is documented
my $docs = join "\n", map { slurp_file($_) } @pages;
my @objects = split /\n/, $node->safe_psql('docs_catalog', q{
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

# signatures: `dataeng.name(arg type, ...)` as written on the pages (calls,
# whose arguments are values, are not signatures)
my %written;    # name -> [ [ 'arg|arg', 'defaults mask' ], ... ]
while ($docs =~ /dataeng\.(\w+)\(((?:[^()`]|\([^()`]*\))*)\)/g)
{
	my ($name, $args) = ($1, $2);
	$args =~ s/\s+/ /g;
	# split at the commas outside quotes, brackets and braces
	my (@items, $depth, $quote) = ('');
	$depth = 0;
	for my $c (split //, $args)
	{
		$quote = !$quote if $c eq "'";
		$depth++ if !$quote && $c =~ /[([{]/;
		$depth-- if !$quote && $c =~ /[)\]}]/;
		if ($c eq ',' && !$quote && $depth == 0) { push @items, ''; next; }
		$items[-1] .= $c;
	}
	@items = grep { /\S/ } @items;
	s/^\s+|\s+$//g for @items;
	my (@names, @defaults);
	my ($signature, $bare) = (1, !@items);
	for my $item (@items)
	{
		next if $item =~ /^OUT\s/;
		$item =~ s/^(IN|VARIADIC)\s+//;
		if ($item =~ /^"?([a-z_][a-z0-9_]*)"?\s+"?[a-z]/)
		{
			push @names, $1;
		}
		elsif ($item =~ /^[a-z][a-z0-9_]*$/)
		{
			push @names, $item;    # a value, or the type of an argument without a name
			$bare = 1;
		}
		else
		{
			$signature = 0;
			last;
		}
		push @defaults, ($item =~ /\sDEFAULT\s/ ? 1 : 0);
	}
	# `name()`, `name(x)`: a call, or the signature of a function whose
	# arguments have no names, written as their types
	push @{ $written{$name} }, [ join(',', @names), join('', @defaults), $bare ]
	  if $signature;
}
my @functions = split /\n/, $node->safe_psql('docs_catalog', q{
	SELECT p.proname, p.oid::regprocedure,
	       coalesce(array_to_string(array(
	         SELECT coalesce(nullif(u.n, ''), format_type(u.t, NULL))
	           FROM unnest(coalesce(p.proargnames, array_fill(NULL::text, ARRAY[p.pronargs])),
	                       coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs])),
	                       coalesce(p.proallargtypes, p.proargtypes::oid[]))
	                  WITH ORDINALITY u(n, m, t, i)
	          WHERE u.m IN ('i', 'b', 'v') ORDER BY u.i), ','), ''),
	       repeat('0', p.pronargs - p.pronargdefaults) || repeat('1', p.pronargdefaults)
	  FROM pg_proc p
	 WHERE p.pronamespace = 'dataeng'::regnamespace AND p.proname !~ '^_'
	 ORDER BY 1, 2});
my (@unsigned, %real);
for my $f (@functions)
{
	my ($name, $ident, $args, $defaults) = split /\|/, $f, -1;
	$real{$name}{$args} = $defaults;
	push @unsigned, "$ident: arguments (" . join(', ', split /,/, $args) . ")"
	  unless grep { $_->[0] eq $args && $_->[1] eq $defaults } @{ $written{$name} // [] };
}
# a runnable example: each function is called in a ```sql block
my $examples = join "\n", map { $_->{sql} } map { blocks($_) } @pages;
my @unexampled = map { (split /\|/)[1] }
  grep { my $n = (split /\|/)[0]; $examples !~ /\bdataeng\.\Q$n\E\s*\(/ } @functions;
ok(!@unexampled, scalar(@functions) . " functions of dataeng, each called in a ```sql block of a page")
  or diag("no runnable example (a ```sql block that calls it):\n  " . join("\n  ", @unexampled));
ok(!@unsigned, scalar(@functions) . " functions of dataeng, each with its signature written on some page")
  or diag("no signature `dataeng.name(arg type, ...)` with these arguments and DEFAULTs:\n  "
	  . join("\n  ", @unsigned));
my @stale;
for my $name (sort keys %written)
{
	next unless $real{$name};
	for my $w (grep { !$_->[2] } @{ $written{$name} })
	{
		my $d = $real{$name}{ $w->[0] };
		push @stale, "dataeng.$name(" . join(', ', split /,/, $w->[0]) . ")"
		  . (defined $d ? ": DEFAULTs differ" : ": no such arguments")
		  unless defined $d && $d eq $w->[1];
	}
	@stale = do { my %seen; grep { !$seen{$_}++ } @stale };
}
ok(!@stale, "every signature written on the pages is a function's real one")
  or diag("stale signatures:\n  " . join("\n  ", @stale));

# columns: named where their table, view or type is
my %page_text = map { $_ => slurp_file($_) } @pages;
sub places
{
	my ($rel) = @_;
	my $named = qr/`(?:dataeng\.)?\Q$rel\E`/;
	my @out;
	for my $text (values %page_text)
	{
		# outside code blocks
		my @lines = split /\n/, $text =~ s/^```.*?^```\s*$//msgr, -1;
		for my $i (0 .. $#lines)
		{
			next unless $lines[$i] =~ /^(#+)\s/ && $lines[$i] =~ $named;
			my $level = length $1;
			my $j = $i + 1;
			$j++ while $j <= $#lines && !($lines[$j] =~ /^(#+)\s/ && length($1) <= $level);
			push @out, join "\n", @lines[ $i .. $j - 1 ];
		}
		push @out, grep { $_ =~ $named } split /\n\s*\n/, join "\n", @lines;
	}
	return join "\n", @out;
}
my @relations = split /\n/, $node->safe_psql('docs_catalog', q{
	SELECT c.relname, string_agg(a.attname, ',' ORDER BY a.attnum)
	  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	 WHERE c.relnamespace = 'dataeng'::regnamespace AND c.relname !~ '^_'
	   AND c.relkind IN ('r', 'p', 'v', 'm', 'c')
	 GROUP BY 1 ORDER BY 1});
my @unnamed;
for my $r (@relations)
{
	my ($rel, $cols) = split /\|/, $r;
	my $where = places($rel);
	my @miss = grep { $where !~ /`(?:(?:dataeng\.)?\Q$rel\E\.)?\Q$_\E`/ } split /,/, $cols;
	push @unnamed, "$rel: " . join(', ', @miss) if @miss;
}
ok(!@unnamed, scalar(@relations) . " tables, views and types of dataeng, each column named where they are")
  or diag("columns not named (in backquotes) in a section or paragraph naming their object:\n  "
	  . join("\n  ", @unnamed));

# settings: README's table, and a page of docs/
my $readme = $page_text{'README.md'};
my $area_docs = join "\n", map { $page_text{$_} } grep { $_ ne 'README.md' } @pages;
my %context = (sighup => 'reload', superuser => 'superuser', user => 'user', postmaster => 'restart');
my %to_base = (ms => 1, s => 1000, min => 60000, h => 3600000, d => 86400000, day => 86400000,
	days => 86400000, kB => 1, MB => 1024, GB => 1048576);
my @settings = split /\n/, $node->safe_psql('docs_catalog', q{
	SELECT name, boot_val, coalesce(unit, ''), context, vartype
	  FROM pg_settings WHERE name LIKE 'dataeng.%' ORDER BY 1});
my @unset;
for my $s (@settings)
{
	my ($name, $boot, $unit, $ctx, $type) = split /\|/, $s, -1;
	push @unset, "$name: not named on a page of docs/" unless $area_docs =~ /`\Q$name\E`/;
	# a row names one setting or several: | `a`, `b` | default | context | meaning |
	my ($row) = grep { /^\|[^|]*`\Q$name\E`[^|]*\|/ } split /\n/, $readme;
	unless ($row)
	{
		push @unset, "$name: no row in README.md's table of settings";
		next;
	}
	my (undef, undef, $default, $context) = split /\s*\|\s*/, $row;
	push @unset, "$name: context '$context' in README.md, '$context{$ctx}' in fact"
	  unless $context eq ($context{$ctx} // $ctx);
	my $shown = $default =~ s/\s*\(.*\)\s*$//r;
	my $ok;
	if ($type eq 'integer' && $shown =~ /^(\d+)\s*([a-zA-Z]*)$/)
	{
		my ($v, $u) = ($1, $2);
		$ok = $u eq '' ? $v == $boot && ($unit eq '' || $v == 0)
		  : $unit ne '' && defined $to_base{$u} && defined $to_base{$unit}
		  && $v * $to_base{$u} == $boot * $to_base{$unit};
	}
	else
	{
		$ok = $shown eq $boot;
	}
	push @unset, "$name: default '$default' in README.md, $boot$unit in fact" unless $ok;
}
ok(!@unset, scalar(@settings) . " settings of dataeng, each in README.md's table as it is and on a page")
  or diag(join "\n", @unset);

# SQLSTATEs: what the sources raise is in docs/errors.md
my %internal_sqlstates = (
	DE001 => 'raised and caught inside fact_refresh, to take the other path',
);
my $incdir = $node->safe_psql('postgres', "SELECT setting FROM pg_config WHERE name = 'INCLUDEDIR-SERVER'");
my %errcode_h;
for (split /\n/, slurp_file("$incdir/utils/errcodes.h"))
{
	next unless /^#define (ERRCODE_\w+)\s+MAKE_SQLSTATE\((.*)\)/;
	my ($macro, $chars) = ($1, $2);
	$errcode_h{$macro} = join '', $chars =~ /'(.)'/g;
}
my %raised;    # SQLSTATE -> where
for my $file (glob('src/*.c'), glob('src/*/*.c'))
{
	my $text = slurp_file($file);
	while ($text =~ /errcode\((ERRCODE_\w+)\)/g)
	{
		$raised{ $errcode_h{$1} // "unknown $1" } //= $file;
	}
}
my $sql_areas = join ' ', map { "sql/$_.sql" }
  qw(common cdc schedule validate cleanse dedupe rules facts dimensions cdc_wal decoding ops);
my %condition;
for my $file (glob($sql_areas))
{
	my $text = slurp_file($file);
	while ($text =~ /ERRCODE\s*=\s*'(\w+)'/gi)
	{
		my $code = $1;
		if ($code !~ /^[0-9A-Z]{5}$/)
		{
			unless (defined $condition{$code})
			{
				$node->psql('postgres', qq{
					DO \$\$ BEGIN RAISE EXCEPTION USING ERRCODE = '$code';
					EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$},
					stderr => \my $notice);
				$condition{$code} = $notice =~ /NOTICE:\s+(\w{5})/ ? $1 : "unknown $code";
			}
			$code = $condition{$code};
		}
		$raised{$code} //= $file;
	}
}
my $errors_md = $page_text{'docs/errors.md'};
my @unlisted = map { "$_ (raised in $raised{$_})" }
  grep { !$internal_sqlstates{$_} && $errors_md !~ /`\Q$_\E`/ } sort keys %raised;
ok(!@unlisted, scalar(keys %raised) . " SQLSTATEs raised by dataeng, each in docs/errors.md")
  or diag("not in docs/errors.md:\n  " . join("\n  ", @unlisted));

$node->stop;
done_testing();
