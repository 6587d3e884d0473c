#!/usr/bin/env bash
# sql_tests/run_all.sh: the whole test suite on a throwaway cluster.
#
#   bash sql_tests/run_all.sh
#
# Installs what is missing (as root), builds with warnings as errors,
# installs, starts a throwaway cluster (as the postgres OS account when run
# as root) with shared_preload_libraries = 'dataeng' and wal_level = logical,
# runs pg_regress, the isolation specs, the TAP tests and the libFuzzer
# targets (sql_tests/fuzz/run.sh), stops the cluster
# and prints one line "N passed, N failed".  Exits non-zero on any failure.
#
# To run part of it: DE_REGRESS="foundation cdc_capture", DE_ISOLATION="...",
# DE_TAP="sql_tests/t/001_preload.pl", DE_FUZZ="url email" (a suite set to
# "none" is skipped; FUZZ_SECONDS, default 10, is each fuzz target's time);
# DE_TAP_JOBS (default 4) is how many TAP scripts run at once (the fuzz
# targets follow them, beside the other suites, when they run beside them);
# the TAP scripts run beside the other suites (on their own clusters) unless
# DE_TAP_AFTER=1, and the isolation specs beside pg_regress (on a second
# cluster, port DE_PORT + 1, then three of every eight pg_regress tests on a third
# one at that port when the whole suite runs) unless DE_ISOLATION_AFTER=1;
# DE_KEEP=1 keeps the work directory; see harness.sh for the rest.

source "$(dirname "$0")/harness.sh"

tap_jobs=${DE_TAP_JOBS:-4}
case "$tap_jobs" in
[1-9] | [1-9][0-9]) ;;
*)
	de_log "DE_TAP_JOBS must be a number from 1 to 99, not '$tap_jobs'"
	exit 2
	;;
esac

de_setup

WORK=$(de_workdir tests)
export DE_CPU_LOG="$WORK/cpu.log"
tap_pid=
iso_pid=
cleanup() {
	# (the suites still running beside when the run is cut short)
	[ -n "$tap_pid" ] && { kill -- "-$tap_pid" 2>/dev/null || true; }
	[ -n "$iso_pid" ] && { kill -- "-$iso_pid" 2>/dev/null || true; }
	for c in cluster_iso cluster_regress2; do
		if [ -f "$WORK/$c/data/postmaster.pid" ]; then
			de_run "$DE_PGBIN/pg_ctl" -D "$WORK/$c/data" -m fast -w stop >/dev/null 2>&1 || true
		fi
	done
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

# pg_regress's staging folder (build/regress), made once: the suites that
# run at the same time in $WORK/src do not make it again (REGRESS_PREP=),
# and each writes results of its own (build/regress, build/regress/isolation,
# tmp_check)
de_run make -s -C "$WORK/src" PG_CONFIG="$DE_PGBIN/pg_config" regress_prep

# suite_time NAME START: where a suite's time went, its start and length
# from the run's start
suite_time() {
	echo "($1: started at $2 s, took $((SECONDS - $2)) s)"
}

# run_suite NAME SELECTION MAKE-VARIABLES...: one suite through make installcheck
run_suite() {
	local name=$1 sel=$2
	shift 2
	if [ "$sel" = none ]; then
		return 0
	fi
	local start=$SECONDS
	de_log "$name"
	set +e
	de_run make -s -C "$WORK/src" PG_CONFIG="$DE_PGBIN/pg_config" installcheck REGRESS_PREP= "$@" \
		2>&1 | tee "$WORK/$name.log"
	set -e
	suite_time "$name" "$start" | tee -a "$WORK/$name.log"
	# (tap and isolation: checked once they are done)
	if [ "$name" = regress ] && ! grep -qE '\.\.\. ok|\.\.\. FAILED' "$WORK/$name.log"; then
		de_log "suite $name ran no test"
		failed=$((failed + 1))
	fi
}

# TAP: each script is one test, passed when prove says "ok" for it; its
# clusters get the throwaway cluster's maintenance setting (TEMP_CONFIG).
# The scripts mostly wait on their own clusters, so DE_TAP_JOBS of them
# (default 4) run at once; each has its own data directories and log under
# tmp_check, and PostgreSQL::Test::Cluster reserves each port in a lock file.
# --timer prefixes each result line with the time and ends it with the
# script's duration.
grep '^dataeng\.maintenance_interval' "$DE_CLUSTER_DIR/data/postgresql.conf" > "$WORK/tap_temp_config" || true
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK/tap_temp_config"
export TEMP_CONFIG="$WORK/tap_temp_config"
# pg_ctl waits 60 s by default for a TAP node to start or stop; with four
# scripts at once on a loaded machine, a start after an immediate stop
# (crash recovery of a large transaction) can take longer, and the script
# then dies (BAIL_OUT: pg_ctl start failed)
export PGCTLTIMEOUT="${PGCTLTIMEOUT:-300}"
# The whole set starts with the scripts that take longest, so that the last
# ones to end are short ones (the rest follow in name order).
tap_first="038_scheduler_more_databases 074_cdc_wal_start_fails 065_cdc_wal_memory
	016_cdc_ticker 037_scheduler_orphans 066_cdc_wal_switch_load 076_cdc_wal_restart_backoff
	067_cdc_wal_dump 062_cdc_wal_database 030_scheduler 032_scheduler_many_databases
	078_cdc_wal_failures_kept 073_source_oid 090_docs 072_cdc_wal_restore_start
	040_upgrade 064_cdc_wal_slot_invalidated 077_cdc_wal_failing_alert"
tap_tests=${DE_TAP:-}
if [ -z "$tap_tests" ]; then
	for t in $tap_first; do
		[ -f "$DE_ROOT/sql_tests/t/$t.pl" ] && tap_tests="$tap_tests sql_tests/t/$t.pl"
	done
	for f in "$DE_ROOT"/sql_tests/t/*.pl; do
		t=sql_tests/t/$(basename "$f")
		case " $tap_tests " in *" $t "*) ;; *) tap_tests="$tap_tests $t" ;; esac
	done
fi
# The TAP scripts wait on their own clusters most of the time, and so do
# the other suites on theirs: the TAP scripts run beside them, their output
# printed once the others are done
# (DE_TAP_AFTER=1: after them, as the other suites run).
# Every script waits at NodePoll's pace (sql_tests/t/NodePoll.pm, loaded by
# TapPace.pm): its poll_query_until looked ten times a second, each look a
# psql and a backend, and four scripts waiting took most of the machine.
mkdir -p "$WORK/initdb_template"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK/initdb_template"
run_tap() {
	DE_INITDB_TEMPLATE="$WORK/initdb_template" PERL5LIB="$WORK/src/sql_tests/t${PERL5LIB:+:$PERL5LIB}" PERL5OPT="${PERL5OPT:+$PERL5OPT }-MTapPace" \
		run_suite tap "${DE_TAP:-}" REGRESS= ISOLATION= "PROVE_TESTS=${tap_tests# }" \
		"PROVE_FLAGS=--jobs $tap_jobs --timer"
}
# fuzz: each libFuzzer target is one test (sql_tests/fuzz/run.sh), FUZZ_SECONDS
# each, its output in fuzz.log and the script's exit status in fuzz.rc.  When
# the TAP scripts run beside the other suites, the fuzz targets follow them
# there (the TAP scripts end before pg_regress's, and the fuzz targets then
# take the CPU pg_regress leaves), else they run here.
run_fuzz() {
	local start=$SECONDS rc
	set +e
	FUZZ_WORK="$WORK/fuzz" DE_PGBIN="$DE_PGBIN" bash "$DE_ROOT/sql_tests/fuzz/run.sh" \
		${DE_FUZZ:-} >"$WORK/fuzz.log" 2>&1
	rc=$?
	set -e
	echo "$rc" >"$WORK/fuzz.rc"
	suite_time fuzz "$start" >>"$WORK/fuzz.log"
}
if [ "${DE_TAP:-}" != none ] && [ "${DE_TAP_AFTER:-0}" != 1 ]; then
	# (a process group of its own: cleanup ends it when the run is cut short)
	set -m
	{ run_tap || true; [ "${DE_FUZZ:-}" = none ] || run_fuzz; } >/dev/null 2>&1 &
	tap_pid=$!
	set +m
	de_log "tap: running beside the other suites, its output follows theirs"
fi

# The isolation specs run beside pg_regress too, on a second throwaway
# cluster (port DE_PORT + 1: pg_regress's tests change settings of the
# whole cluster with ALTER SYSTEM), their output printed after pg_regress's
# (DE_ISOLATION_AFTER=1: after pg_regress, on its cluster, as before).
# pg_regress runs one test at a time, and took twice as long as the
# isolation specs: when the whole suite runs, three of every eight of its
# tests (regress2) run after the isolation specs, on a third throwaway
# cluster at the same port, its results in build/regress2 (with a third,
# pg_regress's own chain ended 85 s after the other's: CI run of
# 2026-12-07, 882 s against isolation 321 s + regress2 460 s).
regress_main=${DE_REGRESS:-}
regress_side=
if [ "${DE_ISOLATION:-}" != none ] && [ "${DE_ISOLATION_AFTER:-0}" != 1 ] &&
	[ "${DE_REGRESS:-}" != none ]; then
	if [ -z "${DE_REGRESS:-}" ]; then
		i=0
		for f in $(cd "$DE_ROOT/sql_tests" && ls -- *.sql | LC_ALL=C sort); do
			case $((i % 8)) in 2 | 5 | 7) side=1 ;; *) side= ;; esac
			if [ -n "$side" ]; then
				regress_side="$regress_side ${f%.sql}"
			else
				regress_main="$regress_main ${f%.sql}"
			fi
			i=$((i + 1))
		done
		regress_main=${regress_main# }
		regress_side=${regress_side# }
		mkdir -p "$WORK/src/build/regress2"
		[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK/src/build/regress2"
	fi
	set -m
	(
		DE_PORT=$((DE_PORT + 1))
		de_cluster_start "$WORK/cluster_iso"
		run_suite isolation "${DE_ISOLATION:-}" REGRESS= TAP_TESTS= \
			${DE_ISOLATION:+"ISOLATION=$DE_ISOLATION"}
		de_cluster_stop
		if [ -n "$regress_side" ]; then
			de_cluster_start "$WORK/cluster_regress2"
			run_suite regress2 "$regress_side" ISOLATION= TAP_TESTS= "REGRESS=$regress_side" \
				REGRESS_OUT=build/regress2
			de_cluster_stop
		fi
	) >/dev/null 2>&1 &
	iso_pid=$!
	set +m
	de_log "isolation: running beside pg_regress, its output follows${regress_side:+, then regress2 (three eighths of the pg_regress tests)}"
fi

# pg_regress and isolation print "... ok" or "... FAILED" per test
run_suite regress "${DE_REGRESS:-}" ISOLATION= TAP_TESTS= ${regress_main:+"REGRESS=$regress_main"}
if [ -n "$iso_pid" ]; then
	wait "$iso_pid" || true
	iso_pid=
	de_log "isolation"
	cat "$WORK/isolation.log"
	if [ -n "$regress_side" ]; then
		de_log "regress2"
		cat "$WORK/regress2.log" 2>/dev/null || true
	fi
else
	run_suite isolation "${DE_ISOLATION:-}" REGRESS= TAP_TESTS= ${DE_ISOLATION:+"ISOLATION=$DE_ISOLATION"}
fi
for s in regress regress2 isolation; do
	[ -f "$WORK/$s.log" ] || continue
	passed=$((passed + $(grep -cE '\.\.\. ok' "$WORK/$s.log" || true)))
	failed=$((failed + $(grep -cE '\.\.\. FAILED' "$WORK/$s.log" || true)))
done
if [ "${DE_ISOLATION:-}" != none ] &&
	! grep -qE '\.\.\. ok|\.\.\. FAILED' "$WORK/isolation.log" 2>/dev/null; then
	de_log "suite isolation ran no test"
	failed=$((failed + 1))
fi
if [ -n "$regress_side" ] &&
	! grep -qE '\.\.\. ok|\.\.\. FAILED' "$WORK/regress2.log" 2>/dev/null; then
	de_log "suite regress2 ran no test"
	failed=$((failed + 1))
fi
for d in "$WORK/src/build/regress" "$WORK/src/build/regress2" "$WORK/src/build/regress/isolation"; do
	[ -f "$d/regression.diffs" ] && cat "$d/regression.diffs"
done

if [ "${DE_FUZZ:-}" != none ] && [ -z "$tap_pid" ]; then
	run_fuzz
	de_log "fuzz"
	cat "$WORK/fuzz.log"
fi

if [ -n "$tap_pid" ]; then
	wait "$tap_pid" || true
	tap_pid=
	if [ "${DE_FUZZ:-}" != none ]; then
		de_log "fuzz"
		cat "$WORK/fuzz.log"
	fi
	de_log "tap"
	cat "$WORK/tap.log"
elif [ "${DE_TAP:-}" != none ]; then
	run_tap
fi
if [ -f "$WORK/fuzz.rc" ]; then
	rc=$(cat "$WORK/fuzz.rc")
	if [ "$rc" -eq 2 ]; then
		de_log "fuzz targets skipped: clang is not installed"
	else
		passed=$((passed + $(grep -cE '^fuzz .* \.\.\. ok' "$WORK/fuzz.log" || true)))
		failed=$((failed + $(grep -cE '^fuzz .* \.\.\. FAILED' "$WORK/fuzz.log" || true)))
		[ "$rc" -ne 0 ] && ! grep -qE '^fuzz .* \.\.\. FAILED' "$WORK/fuzz.log" && failed=$((failed + 1))
	fi
fi
if [ -f "$WORK/tap.log" ]; then
	if ! grep -qE '\.pl \.+' "$WORK/tap.log"; then
		de_log "suite tap ran no test"
		failed=$((failed + 1))
	fi
	total=$(cd "$DE_ROOT" && ls ${DE_TAP:-sql_tests/t/*.pl} 2>/dev/null | wc -l)
	p=$(grep -oE '^(\[[0-9:]+\] )?sql_tests/t/[^ ]+\.pl \.+ ok' "$WORK/tap.log" |
		sed -E 's/^\[[0-9:]+\] //' | sort -u | wc -l || true)
	passed=$((passed + p))
	failed=$((failed + total - p))
fi

# (where the run's time went: the servers' CPU, the main one's so far)
de_cluster_cpu
cat "$DE_CPU_LOG" 2>/dev/null || true
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
