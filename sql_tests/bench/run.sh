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
#   BENCH_VARS="reps=1" make bench   psql variables a benchmark reads
#   BENCH_FSYNC=off make bench       the same with fsync = off (the rest
#                                    durable), for servers run that way

export DE_EXTRA_PACKAGES="postgresql-15-pgq3"
export DE_PORT=${DE_PORT:-54340}
case "${BENCH_FSYNC:-on}" in
on | off) ;;
*)
	echo "BENCH_FSYNC must be on or off, not '${BENCH_FSYNC}'" >&2
	exit 2
	;;
esac
# Durable settings, as in production: the test suite's cluster turns them
# off.  BENCH_FSYNC=off keeps full-page writes and synchronous commit.
export DE_CLUSTER_EXTRA_CONF="fsync = ${BENCH_FSYNC:-on}
full_page_writes = on
synchronous_commit = on
shared_buffers = 512MB
max_wal_size = 4GB"
source "$(dirname "$0")/../harness.sh"

de_setup

# decode.sql compares the dataeng output plugin with wal2json: install it
# (Debian postgresql-$PG_MAJOR-wal2json) when it is missing, into a
# relocated server copy too; without it that benchmark skips wal2json.
wal2json=off
if [ -z "${BENCH:-}" ] || [ "${BENCH:-}" = decode ]; then
	pkglib=$("$DE_PGBIN/pg_config" --pkglibdir)
	if [ ! -f "$pkglib/wal2json.so" ] && [ ! -f "/usr/lib/postgresql/$PG_MAJOR/lib/wal2json.so" ] &&
		[ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"postgresql-$PG_MAJOR-wal2json" >/dev/null 2>&1 || de_log "could not install postgresql-$PG_MAJOR-wal2json"
	fi
	if [ ! -f "$pkglib/wal2json.so" ] && [ -f "/usr/lib/postgresql/$PG_MAJOR/lib/wal2json.so" ] &&
		[ -w "$pkglib" ]; then
		cp "/usr/lib/postgresql/$PG_MAJOR/lib/wal2json.so" "$pkglib/"
	fi
	if [ -f "$pkglib/wal2json.so" ]; then wal2json=on; fi
fi
WORK=$(de_workdir bench)
trap 'de_cluster_stop; rm -rf "$WORK"' EXIT
de_cluster_start "$WORK/cluster"

# PostgreSQL 15.19+ loads only the output plugins output_plugin_libraries lists
if [ "$wal2json" = on ] && [ "$(de_run psql -XAtq -d postgres -c \
	"SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'")" = 1 ]; then
	de_run psql -XAtq -d postgres \
		-c "ALTER SYSTEM SET output_plugin_libraries = pgoutput, test_decoding, dataeng, wal2json" \
		-c "SELECT pg_reload_conf()" >/dev/null
	sleep 1
fi

cp "$DE_ROOT"/sql_tests/bench/*.sql "$WORK/"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"/*.sql

# BENCH_VARS="reps=1 shapes=int,int_minmax": more psql variables for the
# benchmarks that read them
vars=()
for v in ${BENCH_VARS:-}; do
	vars+=(-v "$v")
done
for f in "$WORK"/${BENCH:-*}.sql; do
	name=$(basename "$f" .sql)
	echo "### $name (fsync = ${BENCH_FSYNC:-on})"
	de_run psql -X -q -v ON_ERROR_STOP=1 -v rows="${BENCH_ROWS:-200000}" -v wal2json="$wal2json" \
		"${vars[@]}" -d postgres -f "$f"
done
