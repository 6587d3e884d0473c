#!/usr/bin/env bash
# sql_tests/harness.sh: shared set-up for the test suite, the demo and the
# benchmarks.  Source it; it defines functions and changes nothing by itself.
#
#   de_setup                 install missing Debian packages (as root), build with
#                            warnings as errors, install the extension
#   de_cluster_start DIR     initdb + start a throwaway cluster in DIR (as the
#                            postgres OS account when run as root); exports
#                            PGHOST, PGPORT, PGUSER, PGDATABASE
#   de_cluster_stop          stop it and remove DIR
#   de_run CMD...            run CMD as the cluster's OS account
#
# Environment: PG_MAJOR (default 15), DE_PORT (default 54329),
# DE_EXTRA_PACKAGES (more Debian packages to install), DE_SKIP_BUILD=1 (use
# the extension as installed), DE_CLUSTER_EXTRA_CONF (more postgresql.conf
# lines for the throwaway cluster), DE_PGBIN (the server binaries, default
# /usr/lib/postgresql/$PG_MAJOR/bin; a relocated copy of the installation
# lets two builds be tested side by side).

set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
DE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DE_PORT=${DE_PORT:-54329}
DE_PGBIN=${DE_PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}

de_log() { printf '== %s\n' "$*" >&2; }

# Packages the build and the suites need.  postgresql-$PG_MAJOR brings the
# server (and test_decoding), -server-dev the headers and PGXS, -client the
# pg_regress/pg_isolation_regress under PGXS, libipc-run-perl the TAP harness,
# libphonenumber-dev the phone validators, clang the fuzz targets and
# libclang-rt-dev their runtimes (libFuzzer and the sanitizers: only a
# recommendation of clang, which --no-install-recommends leaves out).
de_packages() {
	echo "make gcc g++ libc6-dev postgresql-$PG_MAJOR postgresql-client-$PG_MAJOR" \
		"postgresql-server-dev-$PG_MAJOR libipc-run-perl libphonenumber-dev clang libclang-rt-dev ${DE_EXTRA_PACKAGES:-}"
}

de_missing_packages() {
	local p missing=()
	for p in $(de_packages); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	echo "${missing[@]:-}"
}

de_install_packages() {
	local missing
	missing=$(de_missing_packages)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		de_log "missing packages: $missing (run as root, or install them first)"
		return 1
	fi
	de_log "installing: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# server, headers and client come from the same release so they match
	apt-get install -y -q --no-install-recommends $missing \
		postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-client-$PG_MAJOR >/dev/null
}

de_build() {
	de_log "building dataeng (warnings are errors)"
	make -C "$DE_ROOT" -s clean >/dev/null
	make -C "$DE_ROOT" -s -j"$(nproc 2>/dev/null || echo 1)" PG_CONFIG="$DE_PGBIN/pg_config" COPT=-Werror
	if [ -w "$("$DE_PGBIN/pg_config" --pkglibdir)" ]; then
		make -C "$DE_ROOT" -s PG_CONFIG="$DE_PGBIN/pg_config" install >/dev/null
	else
		sudo make -C "$DE_ROOT" -s PG_CONFIG="$DE_PGBIN/pg_config" install >/dev/null
	fi
}

de_setup() {
	de_install_packages
	if [ "${DE_SKIP_BUILD:-0}" = 1 ]; then
		de_log "DE_SKIP_BUILD=1: using the installed build"
	else
		de_build
	fi
}

# The OS account that owns throwaway clusters: the server refuses root.
de_os_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

de_run() {
	if [ "$(id -u)" -eq 0 ]; then
		local v envs=(PATH="$DE_PGBIN:$PATH")
		for v in PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS TEMP_CONFIG PGCTLTIMEOUT PERL5LIB PERL5OPT DE_INITDB_TEMPLATE DE_TAP_CPU_LOG; do
			[ -n "${!v:-}" ] && envs+=("$v=${!v}")
		done
		runuser -u postgres -- env "${envs[@]}" "$@"
	else
		env PATH="$DE_PGBIN:$PATH" "$@"
	fi
}

# A writable scratch directory owned by the cluster's OS account.
de_workdir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/dataeng-$1.XXXXXX")
	chmod 755 "$d"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$d"
	echo "$d"
}

# The settings every throwaway cluster gets.
de_cluster_conf() {
	cat <<CONF
shared_preload_libraries = 'dataeng'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
max_worker_processes = 16
max_prepared_transactions = 10
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%a '
lc_messages = 'C'
# maintenance that runs itself (docs/ops.md) would purge the change log and
# check alerts in the middle of tests that count them: off, except in the
# tests of it (sql_tests/t/07*_ops*.pl turn it on)
dataeng.maintenance_interval = 0
# validate()'s progress NOTICE comes after a time, which a loaded machine
# reaches in tests that expect none: off, except in the tests of it
# (sql_tests/validate_once.sql sets it)
dataeng.validate_progress_interval = -1
CONF
	# callers may add or override settings (later lines win)
	[ -n "${DE_CLUSTER_EXTRA_CONF:-}" ] && printf '%s\n' "$DE_CLUSTER_EXTRA_CONF"
	# PostgreSQL 15.19+ loads only the output plugins it lists.
	if "$DE_PGBIN/postgres" --describe-config 2>/dev/null | grep '^output_plugin_libraries' >/dev/null; then
		echo "output_plugin_libraries = 'pgoutput, test_decoding, dataeng'"
	fi
}

DE_CLUSTER_DIR=
de_cluster_start() {
	DE_CLUSTER_DIR=$1
	mkdir -p "$DE_CLUSTER_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$DE_CLUSTER_DIR"
	de_log "starting a throwaway cluster in $DE_CLUSTER_DIR on port $DE_PORT"
	de_run "$DE_PGBIN/initdb" -D "$DE_CLUSTER_DIR/data" -U postgres -A trust \
		--no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
	de_cluster_conf | de_run tee -a "$DE_CLUSTER_DIR/data/postgresql.conf" >/dev/null
	de_run "$DE_PGBIN/pg_ctl" -D "$DE_CLUSTER_DIR/data" -l "$DE_CLUSTER_DIR/server.log" -w \
		-o "-p $DE_PORT -k $DE_CLUSTER_DIR -c listen_addresses=''" start >/dev/null
	export PGHOST=$DE_CLUSTER_DIR PGPORT=$DE_PORT PGUSER=postgres PGDATABASE=postgres
}

# de_cluster_cpu: with DE_CPU_LOG set, appends to that file the CPU time
# the running cluster's postmaster and its processes that ended have used
# (where a run's time went)
de_cluster_cpu() {
	[ -n "${DE_CPU_LOG:-}" ] && [ -n "$DE_CLUSTER_DIR" ] || return 0
	local pm
	pm=$(head -1 "$DE_CLUSTER_DIR/data/postmaster.pid" 2>/dev/null || true)
	[ -n "$pm" ] && [ -r "/proc/$pm/stat" ] || return 0
	awk -v c="$(basename "$DE_CLUSTER_DIR")" -v hz="$(getconf CLK_TCK)" \
		'{ sub(/^.*\) /, ""); printf "(cluster %s: %.0f s of CPU in its server processes)\n", c, ($12 + $13 + $14 + $15) / hz }' \
		"/proc/$pm/stat" >>"$DE_CPU_LOG" 2>/dev/null || true
}

de_cluster_stop() {
	[ -n "$DE_CLUSTER_DIR" ] || return 0
	if [ -f "$DE_CLUSTER_DIR/data/postmaster.pid" ]; then
		de_cluster_cpu
		de_run "$DE_PGBIN/pg_ctl" -D "$DE_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
}
