# The library exports only what PostgreSQL looks up (the Makefile builds it
# with -fvisibility=hidden): every C function of the extension's SQL
# objects, its fmgr info record, the module magic, _PG_init, the output
# plugin's init and the background workers' entry points; no helper.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('exports');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION dataeng');

my $libdir = $node->safe_psql('postgres', "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'");
my $so = "$libdir/dataeng.so";
ok(-f $so, "library at $so");

my ($out, $err) = run_command([ 'nm', '-D', '--defined-only', $so ]);
my %exported = map { (split ' ')[2] => 1 } grep { /\s[TDBRV]\s/ } split /\n/, $out;
ok(scalar(keys %exported) > 0, 'nm lists the exported symbols');

# what the SQL objects name
my @csyms = split /\n/, $node->safe_psql('postgres', q{
	SELECT DISTINCT p.prosrc FROM pg_proc p
	  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dataeng'
	 WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') ORDER BY 1});
ok(@csyms > 50, 'the extension has C functions (' . scalar(@csyms) . ')');
my @missing = grep { !$exported{$_} || !$exported{"pg_finfo_$_"} } @csyms;
is("@missing", '', 'every C function and its info record is exported');

# nothing else
my %allowed = map { $_ => 1 } ('Pg_magic_func', '_PG_init', '_PG_output_plugin_init', @csyms,
	map { "pg_finfo_$_" } @csyms);
my @extra = sort grep { !$allowed{$_} && !/^dataeng_\w+_main$/ } keys %exported;
is("@extra", '', 'no other symbol is exported');

$node->stop;
done_testing();
