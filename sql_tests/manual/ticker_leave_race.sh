#!/usr/bin/env bash
# Reproduction (not part of the suite: it needs gdb and a running cluster):
# a ticker that leaves after TICKER_IDLE_MS frees its slot under the lock,
# then runs ticker_leave() at exit.  If a poll of the same database took the
# slot again in between (starting = true, its new ticker not yet up),
# ticker_leave() takes that slot for its own and clears "starting": the
# poll stops waiting before any tick is cut, and cuts the tick in its own
# transaction with the warning "the tick worker cut no tick".  gdb holds
# the leaving ticker just before ticker_leave() and the new one at its
# entry, which makes the interleaving certain.
#
# Usage: PGHOST=... PGPORT=... PGUSER=postgres ticker_leave_race.sh DB DATADIR
# (DB with the extension; as root: runs as is, attaches gdb to the
# cluster's processes).  Prints PASS or FAIL.
set -euo pipefail
db=$1 datadir=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ticker-race.XXXXXX")
psql -qAt -d "$db" -c "SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS race_src (id bigserial PRIMARY KEY); SELECT dataeng.cdc_enable('race_src'); SELECT dataeng.cdc_consumer_create('race') WHERE NOT EXISTS (SELECT 1 FROM dataeng.cdc_consumers WHERE name = 'race')" >/dev/null
# P: one session kept open (its backend is forked before gdb follows the postmaster)
mkfifo "$tmp/in"
psql -qAt -d "$db" <"$tmp/in" >"$tmp/p.out" 2>"$tmp/p.err" &
ppsql=$!
exec 3>"$tmp/in"
echo "INSERT INTO race_src DEFAULT VALUES; SELECT count(*) FROM dataeng.cdc_poll('race');" >&3
sleep 0.5
tpid=$(psql -qAt -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng ticker' AND datname = current_database()")
[ -n "$tpid" ] || { echo "no ticker"; exit 2; }
pmpid=$(head -1 "$datadir/postmaster.pid")
# hold the leaving ticker at ticker_leave() (it has freed its slot by then)
gdb -q -batch -p "$tpid" -ex 'break ticker_leave' -ex 'continue' -ex 'shell sleep 6' -ex 'detach' \
	>"$tmp/gdb_t.log" 2>&1 &
sleep 3.5     # the ticker leaves 2 s after its tick
# hold the new ticker at its entry
gdb -q -batch -p "$pmpid" -ex 'handle SIGUSR1 nostop noprint pass' -ex 'handle SIGUSR2 nostop noprint pass' \
	-ex 'handle SIGCHLD nostop noprint pass' -ex 'set follow-fork-mode child' -ex 'set detach-on-fork on' \
	-ex 'break dataeng_cdc_tick_main' -ex 'continue' -ex 'shell sleep 6' -ex 'detach' \
	>"$tmp/gdb_w.log" 2>&1 &
sleep 1
echo "INSERT INTO race_src DEFAULT VALUES; SELECT count(*) FROM dataeng.cdc_poll('race');" >&3
exec 3>&-
wait "$ppsql" || true
wait || true
cat "$tmp/p.err"
if grep -q "cut no tick" "$tmp/p.err"; then echo FAIL; rc=1; else echo PASS; rc=0; fi
echo "(logs in $tmp)"
exit $rc
