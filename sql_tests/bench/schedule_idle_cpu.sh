#!/usr/bin/env bash
# sql_tests/bench/schedule_idle_cpu.sh PGROOT PORT SECONDS
#
# The CPU a fact refreshed every second by the scheduler costs when its
# source has no writes (docs/schedule.md, "What a run costs"): a throwaway
# cluster of the installation under PGROOT (a relocated copy of the server
# with this build installed: its bin is PGROOT/usr/lib/postgresql/15/bin),
# a 100,000-row source, a fact of it scheduled '1 second'; prints the
# cluster's CPU over SECONDS with the job paused, then with it running
# (the processes that exited during the window counted through the
# postmaster's cutime/cstime, from /proc).  Run as root (the cluster runs as
# postgres).  KEEP=1 leaves the cluster running.
set -eu
root=$1 port=$2 secs=${3:-60}
bin=$root/usr/lib/postgresql/15/bin
dir=${TMPDIR:-/tmp}/dataeng-sched.$port
rm -rf $dir; mkdir -p $dir; chown postgres: $dir
R() { runuser -u postgres -- "$@"; }
R $bin/initdb -D $dir/data -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> $dir/data/postgresql.conf <<CONF
shared_preload_libraries = 'dataeng'
wal_level = logical
max_worker_processes = 16
log_min_messages = warning
dataeng.maintenance_interval = 0
autovacuum = off
CONF
R $bin/pg_ctl -D $dir/data -l $dir/log -w -o "-p $port -k $dir -c listen_addresses=''" start >/dev/null
P="$bin/psql -h $dir -p $port -U postgres -qAtX postgres"
$P -c "CREATE EXTENSION dataeng" -c "CREATE TABLE sales(id bigserial primary key, sold_at timestamptz not null, region text, category int, amount numeric, quantity int)" \
  -c "INSERT INTO sales(sold_at, region, category, amount, quantity) SELECT '2026-01-01'::timestamptz + (i % 365) * interval '1 day', 'r' || (i%9), i % 32, (i%100)::numeric/3, i%7 FROM generate_series(1,100000) i" \
  -c "SELECT dataeng.fact_create('fsales', 'sales', 'sold_at', 'day', ARRAY['region','category'], ARRAY['count(*)','sum(amount)','avg(quantity)','min(amount)','max(amount)'], schedule => '1 second')" >/dev/null
pm=$(head -1 $dir/data/postmaster.pid)
clk=$(getconf CLK_TCK)
cpu() { # ticks of the postmaster, its exited children and its live children
  local t=0 p f
  f=($(sed 's/.*) //' /proc/$pm/stat)); t=$((f[11]+f[12]+f[13]+f[14]))
  for p in $(cat /proc/$pm/task/*/children 2>/dev/null); do
    f=($(sed 's/.*) //' /proc/$p/stat 2>/dev/null)) || continue
    [ ${#f[@]} -gt 14 ] && t=$((t+f[11]+f[12]+f[13]+f[14]))
  done
  echo $t
}
window() { local a b r0 r1; r0=$($P -c "SELECT count(*) FROM dataeng.job_runs WHERE status = 'succeeded'"); a=$(cpu); sleep $secs; b=$(cpu)
  r1=$($P -c "SELECT count(*) FROM dataeng.job_runs WHERE status = 'succeeded'")
  echo "$1: $(( (b-a)*1000/clk )) ms CPU in $secs s, $((r1-r0)) runs succeeded"; }
sleep 5
$P -c "SELECT dataeng.job_pause('fact_refresh:fsales')" >/dev/null; sleep 2
window paused
$P -c "SELECT dataeng.job_resume('fact_refresh:fsales')" >/dev/null; sleep 3
window running
$P -c "SELECT status, count(*) FROM dataeng.job_runs GROUP BY 1" | tr '\n' ' '; echo
[ -n "${KEEP:-}" ] || R $bin/pg_ctl -D $dir/data -m fast -w stop >/dev/null
