#!/usr/bin/env bash
# sql_tests/fuzz/run.sh: build the libFuzzer targets and run each for a
# bounded time.
#
#   bash sql_tests/fuzz/run.sh [target...]        (default: all fuzz_*.c)
#
# Each target is built with clang -fsanitize=fuzzer,address,undefined from
# its fuzz_<name>.c, the parser's source file(s) under src/ (unchanged), the
# stubs pg_stubs.c and pg_unreachable.c, and the frontend libpgcommon and
# libpgport of the PostgreSQL found by $DE_PGBIN/pg_config.  It then runs
# for FUZZ_SECONDS (default 10) seeded from corpus/<name>/ (a copy: new
# inputs are not written back) and passes when libFuzzer ends without a
# crash, a sanitizer report or an undefined-behaviour report; FUZZ_JOBS
# targets at a time (default one per CPU).  Prints one
# line per target, "fuzz <name> ... ok" or "... FAILED", then
# "N passed, N failed"; exits non-zero on any failure, and with status 2 and
# a message when clang is missing.  Leak detection is off: the server frees
# the parsers' memory by resetting a memory context, not piece by piece.
# Work files go to FUZZ_WORK (default a temporary directory, removed).

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
DE_PGBIN=${DE_PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
PG_CONFIG=$DE_PGBIN/pg_config
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
CLANG=${CLANG:-clang}

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found (Debian package clang): fuzz targets skipped" >&2
	exit 2
fi

# the parser source files each target needs, besides its own file
declare -A SOURCES=(
	[email]="src/validate/email.c src/common/punycode.c"
	[normalize_email]="src/cleanse/emails.c src/validate/email.c src/common/punycode.c src/common/unicode_lower.c"
	[url]="src/validate/url.c src/common/punycode.c"
	[iban]="src/validate/ids.c"
	[date_format]="src/validate/dates.c"
	[parse_date]="src/cleanse/dates.c"
	[parse_number]="src/cleanse/numbers.c src/cleanse/units.c"
	[parse_quantity]="src/cleanse/units.c src/cleanse/numbers.c"
)

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for f in "$HERE"/fuzz_*.c; do
		t=$(basename "$f" .c)
		targets+=("${t#fuzz_}")
	done
fi

WORK=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/dataeng-fuzz.XXXXXX")}
[ -n "${FUZZ_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK"

INC=$("$PG_CONFIG" --includedir-server)
LIBDIR=$("$PG_CONFIG" --pkglibdir)
[ -f "$LIBDIR/libpgcommon.a" ] || LIBDIR=$("$PG_CONFIG" --libdir)
CFLAGS=(-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -Wno-ignored-attributes
	-I"$INC" -I"$ROOT/src" -I"$HERE")

# fuzz_one <target>: builds and runs one target, writing its result line(s)
# to $WORK/result_<target> ("ok" or "FAILED" on the first line)
fuzz_one() {
	local t=$1 bin=$WORK/fuzz_$1 log=$WORK/fuzz_$1.log out=$WORK/result_$1 runs s
	local srcs=()
	for s in ${SOURCES[$t]:-}; do srcs+=("$ROOT/$s"); done
	if [ ${#srcs[@]} -eq 0 ] ||
		! "$CLANG" "${CFLAGS[@]}" -o "$bin" "$HERE/fuzz_$t.c" "${srcs[@]}" \
			"$HERE/pg_stubs.c" "$HERE/pg_unreachable.c" \
			"$LIBDIR/libpgcommon.a" "$LIBDIR/libpgport.a" >"$log" 2>&1; then
		{
			echo "fuzz $t ... FAILED (build, see below)"
			tail -20 "$log" 2>/dev/null || true
		} >"$out"
		return
	fi
	corpus=$WORK/corpus_$t
	rm -rf "$corpus"
	mkdir -p "$corpus"
	[ -d "$HERE/corpus/$t" ] && cp "$HERE/corpus/$t"/* "$corpus"/ 2>/dev/null || true
	if (cd "$WORK" && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" -max_total_time="$FUZZ_SECONDS" -detect_leaks=0 -rss_limit_mb=2048 \
			-timeout=10 -print_final_stats=1 "$corpus" >"$log" 2>&1); then
		runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
		echo "fuzz $t ... ok ($runs runs in ${FUZZ_SECONDS}s)" >"$out"
	else
		{
			echo "fuzz $t ... FAILED (the crashing input is in $WORK, as crash-*)"
			grep -E 'ERROR|SUMMARY|runtime error|pg_stubs|pg_unreachable|would raise|Test unit written' "$log" | head -20
		} >"$out"
	fi
}

# FUZZ_JOBS targets at a time (default: one per CPU); results in target order
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
running=0
for t in "${targets[@]}"; do
	rm -f "$WORK/result_$t"
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
wait

passed=0
failed=0
for t in "${targets[@]}"; do
	if [ -f "$WORK/result_$t" ]; then
		cat "$WORK/result_$t"
	else
		echo "fuzz $t ... FAILED (no result)"
	fi
	if head -1 "$WORK/result_$t" 2>/dev/null | grep -q ' \.\.\. ok'; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		# keep the work files: the crashing input is there
		trap - EXIT
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
