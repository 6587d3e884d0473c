#!/usr/bin/env bash
# Reproduction (not part of the suite: it makes 70 databases): a ticker
# that ends while a request is pending (terminated, or its tick failed, e.g.
# a lock wait past lock_timeout) leaves its database in its slot of shared
# memory (ticker_leave keeps dboid when requested != served).  Once that
# database is dropped, nothing ever frees the slot; after 64 such, no
# database gets a ticker any more: every poll starts a one-tick worker.
#
# Usage: PGHOST=... PGPORT=... PGUSER=postgres ticker_slot_leak.sh
# Prints PASS (a poll still gets a ticker) or FAIL.
set -euo pipefail
n=${LEAKS:-66}
psql -qAt -d postgres -c "DROP DATABASE IF EXISTS leak_base" -c "CREATE DATABASE leak_base" >/dev/null
psql -qAt -d leak_base >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE src (id bigserial PRIMARY KEY);
SELECT dataeng.cdc_enable('src');
SELECT dataeng.cdc_consumer_create('c');
SQL
one() {
	local db=leak_$1
	psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE leak_base" >/dev/null
	# the tick lock held for 2 s: the ticker waits for it
	psql -qAt -d "$db" -c "BEGIN; LOCK TABLE dataeng_internal.cdc_ticks IN SHARE ROW EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;" >/dev/null &
	sleep 0.3
	psql -qAt -d "$db" -c "INSERT INTO src DEFAULT VALUES" -c "SELECT count(*) FROM dataeng.cdc_poll('c')" >/dev/null 2>&1 &
	sleep 0.7
	# the ticker ends with the request pending
	psql -qAt -d "$db" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng ticker' AND datname = current_database()" >/dev/null
	wait
	psql -qAt -d postgres -c "DROP DATABASE $db" >/dev/null
}
i=0
while [ $i -lt "$n" ]; do
	for j in 1 2 3 4 5 6; do one $((i + j)) & done
	wait
	i=$((i + 6))
done
# a poll in leak_base: does it get a ticker (which stays 2 s)?
psql -qAt -d leak_base -c "INSERT INTO src DEFAULT VALUES" -c "SELECT count(*) FROM dataeng.cdc_poll('c')" >/dev/null
t=$(psql -qAt -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dataeng ticker' AND datname = 'leak_base'")
psql -qAt -d postgres -c "DROP DATABASE leak_base" >/dev/null 2>&1 || true
if [ "$t" = 1 ]; then echo PASS; else echo "FAIL: no ticker after $n tickers ended with a request pending in dropped databases"; exit 1; fi
