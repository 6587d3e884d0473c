#!/usr/bin/env bash
# sql_tests/run_all.sh: the whole test suite on a throwaway cluster.
#
#   bash sql_tests/run_all.sh
#
# Installs what is missing (as root), builds with warnings as errors,
# installs, starts a throwaway cluster (as the postgres OS account when run
# as root) with shared_preload_libraries = 'dataeng' and wal_level = logical,
# runs pg_regress, the isolation specs and the TAP tests, stops the cluster
# and prints one line "N passed, N failed".  Exits non-zero on any failure.

source "$(dirname "$0")/harness.sh"

de_setup

WORK=$(de_workdir tests)
cleanup() {
	de_cluster_stop
	if [ "${DE_KEEP:-0}" = 1 ] || [ "${failed:-1}" != 0 ]; then
		de_log "test output kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# The suites write results next to their inputs: run them on a copy that the
# cluster's OS account owns.
mkdir -p "$WORK/src"
tar -C "$DE_ROOT" --exclude=./.git --exclude=./build --exclude=./tmp_check -cf - . | tar -C "$WORK/src" -xf -
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$WORK"

de_cluster_start "$WORK/cluster"

passed=0
failed=0
MAKE_ARGS=(-s -C "$WORK/src" PG_CONFIG="$DE_PGBIN/pg_config")

# pg_regress: "ok"/"FAILED" per test
de_log "pg_regress"
set +e
de_run make "${MAKE_ARGS[@]}" installcheck ISOLATION= TAP_TESTS= 2>&1 | tee "$WORK/regress.log"
set -e
p=$(grep -cE '\.\.\. ok' "$WORK/regress.log" || true)
f=$(grep -cE '\.\.\. FAILED' "$WORK/regress.log" || true)
passed=$((passed + p)); failed=$((failed + f))
[ -f "$WORK/src/build/regress/regression.diffs" ] && cat "$WORK/src/build/regress/regression.diffs"

# isolation specs
de_log "isolation"
set +e
de_run make "${MAKE_ARGS[@]}" installcheck REGRESS= TAP_TESTS= 2>&1 | tee "$WORK/isolation.log"
set -e
p=$(grep -cE '\.\.\. ok' "$WORK/isolation.log" || true)
f=$(grep -cE '\.\.\. FAILED' "$WORK/isolation.log" || true)
passed=$((passed + p)); failed=$((failed + f))
[ -f "$WORK/src/build/regress/isolation/regression.diffs" ] && cat "$WORK/src/build/regress/isolation/regression.diffs"

# TAP: each script is one test
de_log "TAP"
set +e
de_run make "${MAKE_ARGS[@]}" installcheck REGRESS= ISOLATION= 2>&1 | tee "$WORK/tap.log"
set -e
total=$(ls "$DE_ROOT"/sql_tests/t/*.pl 2>/dev/null | wc -l)
p=$(grep -oE '^sql_tests/t/[^ ]+\.pl \.+ ok' "$WORK/tap.log" | sort -u | wc -l || true)
passed=$((passed + p)); failed=$((failed + total - p))

# a suite that did not run at all is a failure too
for log in regress isolation tap; do
	if ! grep -qE '\.\.\. ok|\.\.\. FAILED|\.pl \.+' "$WORK/$log.log"; then
		de_log "suite $log ran no test"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
