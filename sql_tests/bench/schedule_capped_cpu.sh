#!/usr/bin/env bash
# sql_tests/bench/schedule_capped_cpu.sh PGROOT PORT SECONDS
#
# The CPU job runs cost when the caps hold due jobs back (docs/schedule.md,
# "Fair between roles"): a throwaway cluster of the installation under
# PGROOT (a relocated copy of the server with this build installed: its bin
# is PGROOT/usr/lib/postgresql/15/bin) with max_worker_processes = 7 (four
# slots for dataeng's schedulers and runs), six databases, each with two
# jobs of one role due every second (one of them in the first database
# runs 3 s), as sql_tests/t/034_scheduler_six_databases.pl; prints the
# cluster's CPU over SECONDS (the processes that exited during the window
# counted through the postmaster's cutime/cstime, from /proc) and the runs
# that succeeded in the window.  Run as root (the cluster runs as
# postgres).
set -eu
root=$1 port=$2 secs=${3:-30}
bin=$root/usr/lib/postgresql/15/bin
dir=${TMPDIR:-/tmp}/dataeng-capped.$port
rm -rf $dir; mkdir -p $dir; chown postgres: $dir
R() { runuser -u postgres -- "$@"; }
R $bin/initdb -D $dir/data -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> $dir/data/postgresql.conf <<CONF
shared_preload_libraries = 'dataeng'
max_worker_processes = 7
dataeng.launcher_naptime = 3600
dataeng.maintenance_interval = 0
log_min_messages = warning
fsync = off
CONF
R $bin/pg_ctl -D $dir/data -l $dir/log -w -o "-p $port -k $dir -c listen_addresses=''" start >/dev/null
P="$bin/psql -h $dir -p $port -U postgres -qAtX"
for i in 1 2 3 4 5 6; do
	cmd='INSERT INTO ticks DEFAULT VALUES'
	[ $i = 1 ] && cmd="$cmd; SELECT pg_sleep(3)"
	$P -d postgres -c "CREATE DATABASE cap$i"
	$P -d cap$i -c "CREATE EXTENSION dataeng" -c "CREATE TABLE ticks (at timestamptz DEFAULT clock_timestamp())" \
	  -c "SELECT dataeng.schedule('tick', '1 second', '$cmd')" \
	  -c "SELECT dataeng.schedule('tock', '1 second', 'INSERT INTO ticks DEFAULT VALUES')" >/dev/null
done
pm=$(head -1 $dir/data/postmaster.pid)
clk=$(getconf CLK_TCK)
cpu() { local f; f=($(sed 's/.*) //' /proc/$pm/stat)); echo $((f[11]+f[12]+f[13]+f[14])); }
sleep 5
t0=$($P -d postgres -c "SELECT clock_timestamp()"); a=$(cpu)
sleep $secs
b=$(cpu); t1=$($P -d postgres -c "SELECT clock_timestamp()")
runs=0
for i in 1 2 3 4 5 6; do
	n=$($P -d cap$i -c "SELECT count(*) FROM dataeng.job_runs WHERE status = 'succeeded' AND started_at >= '$t0' AND started_at < '$t1'")
	runs=$((runs + n))
done
echo "$(( (b-a)*1000/clk )) ms CPU in $secs s, $runs runs succeeded ($(( (b-a)*1000/clk/(runs > 0 ? runs : 1) )) ms a run)"
R $bin/pg_ctl -D $dir/data -m fast -w stop >/dev/null
