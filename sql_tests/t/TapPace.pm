# Loaded in every process of the TAP suite by sql_tests/run_all.sh
# (PERL5OPT=-MTapPace): in a TAP script, once it is compiled, NodePoll
# paces PostgreSQL::Test::Cluster::poll_query_until (see NodePoll.pm) and
# InitTemplate makes a node's data directory a copy of one initdb's
# (see InitTemplate.pm).
# prove itself loads no PostgreSQL::Test::Cluster, and nothing happens
# there: NodePoll's modules would take its output to a test log.
package TapPace;

use strict;
use warnings;

INIT
{
	if (defined &PostgreSQL::Test::Cluster::poll_query_until)
	{
		require NodePoll;
		require InitTemplate;
		require NodeCpu if $ENV{DE_TAP_CPU_LOG};
	}
}

1;
