#!/usr/bin/env bash
# sql_tests/bench/ddl_cost.sh BEFORE AFTER ROUNDS N
#
# What dataeng's event triggers add to DDL (docs/cdc.md, "DDL of tables
# dataeng does not track"): one session's CPU time (/proc/self/schedstat;
# and its user-space part, /proc/self/stat, which the files' work does not
# move)
# for N CREATE TABLE + DROP TABLE pairs, each statement its own
# transaction, in a database without dataeng and one with it, on a cluster
# of each of two installations (BEFORE and AFTER: relocated copies of the
# server, each with a build of dataeng installed), ROUNDS times alternated.
# Ports DE_PORT and DE_PORT + 1 (default 55483).  Run as root.
set -eu
before=$1 after=$2 rounds=${3:-2} n=${4:-2000} port=${DE_PORT:-55483}
R() { runuser -u postgres -- "$@"; }
start() { # root port
  local bin=$1/usr/lib/postgresql/15/bin dir=${TMPDIR:-/tmp}/dataeng-ddl.$2
  rm -rf $dir; mkdir -p $dir; chown postgres: $dir
  R $bin/initdb -D $dir/data -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  printf "shared_preload_libraries = 'dataeng'\nwal_level = logical\nfsync = off\nautovacuum = off\ndataeng.maintenance_interval = 0\n" >> $dir/data/postgresql.conf
  R $bin/pg_ctl -D $dir/data -l $dir/log -w -o "-p $2 -k $dir -c listen_addresses=''" start >/dev/null
}
script() { # n
  echo "SELECT pg_backend_pid();"
  echo "CREATE TABLE warm (id int, v text); ALTER TABLE warm ADD COLUMN w int; DROP TABLE warm;"
  echo "SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint AS c0, split_part(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ', 12)::bigint AS u0 \gset"
  for i in $(seq $1); do echo "CREATE TABLE ddl_t (id int, v text);"; echo "DROP TABLE ddl_t;"; done
  echo "SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint AS c1, split_part(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ', 12)::bigint AS u1 \gset"
  echo "SELECT round((:c1 - :c0)/1e6) || ' ms CPU, ' || (:u1 - :u0) * 10 || ' ms of it in user space';"
}
run() { # root port label
  local bin=$1/usr/lib/postgresql/15/bin dir=${TMPDIR:-/tmp}/dataeng-ddl.$2 db pid ms pp ins
  for db in without with; do
    $bin/psql -h $dir -p $2 -U postgres -qAtX postgres -c "DROP DATABASE IF EXISTS d_$db" -c "CREATE DATABASE d_$db" >/dev/null 2>&1
    [ $db = with ] && $bin/psql -h $dir -p $2 -U postgres -qAtX d_$db -c "CREATE EXTENSION dataeng" >/dev/null
    script $n > ${TMPDIR:-/tmp}/dataeng-ddl-script.sql
    coproc P { $bin/psql -h $dir -p $2 -U postgres -qAtX d_$db -f ${TMPDIR:-/tmp}/dataeng-ddl-script.sql 2>&1; }
    read -u ${P[0]} pid
    sleep 0.2
    read -u ${P[0]} ms
    wait $P_PID 2>/dev/null || true
    echo "$3 $db dataeng: $ms for $n CREATE+DROP"
  done
}
start $before $port; start $after $((port + 1))
for r in $(seq $rounds); do run $before $port before; run $after $((port + 1)) after; done
for p in $port $((port + 1)); do R $before/usr/lib/postgresql/15/bin/pg_ctl -D ${TMPDIR:-/tmp}/dataeng-ddl.$p/data stop -m fast >/dev/null; done
