#!/usr/bin/env bash
# sql_tests/bench/run.sh: the benchmarks (make bench).
#
# Builds and installs dataeng, starts a throwaway cluster and runs every
# sql_tests/bench/*.sql with psql.  Each benchmark prints our figure beside
# an anchor measured in the same run, and the ratio.  Benchmarks never fail
# the build on a figure; they fail only if they cannot run.
#
#   make bench                       all benchmarks
#   BENCH=cdc_capture make bench     one of them
#   BENCH_ROWS=50000 make bench      smaller runs (default 200000)

export DE_EXTRA_PACKAGES="postgresql-15-pgq3"
export DE_PORT=${DE_PORT:-54340}
# Durable settings, as in production: the test suite's cluster turns them off.
export DE_CLUSTER_EXTRA_CONF="fsync = on
full_page_writes = on
synchronous_commit = on
shared_buffers = 512MB
max_wal_size = 4GB"
source "$(dirname "$0")/../harness.sh"

de_setup
WORK=$(de_workdir bench)
trap 'de_cluster_stop; rm -rf "$WORK"' EXIT
de_cluster_start "$WORK/cluster"

cp "$DE_ROOT"/sql_tests/bench/*.sql "$WORK/"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"/*.sql

for f in "$WORK"/${BENCH:-*}.sql; do
	name=$(basename "$f" .sql)
	echo "### $name"
	de_run psql -X -q -v ON_ERROR_STOP=1 -v rows="${BENCH_ROWS:-200000}" \
		-d postgres -f "$f"
done
