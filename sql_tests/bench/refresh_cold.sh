#!/usr/bin/env bash
# sql_tests/bench/refresh_cold.sh BEFORE AFTER ROUNDS
#
# The CPU of the first fact_refresh / dimension_refresh in a new session
# (docs/facts.md, "Performance"): no pending changes, and about 100 pending
# changes; on a cluster of each of two installations (BEFORE and AFTER:
# relocated copies of the server, each with a build of dataeng installed),
# alternated ROUNDS times.  Ports DE_PORT and DE_PORT + 1 (default 55486).
# Run as root.
set -eu
before=$1 after=$2 rounds=${3:-5} port=${DE_PORT:-55486}
R() { runuser -u postgres -- "$@"; }
start() { # root port
  local bin=$1/usr/lib/postgresql/15/bin dir=${TMPDIR:-/tmp}/dataeng-cold.$2
  R $bin/pg_ctl -D $dir/data stop -m fast >/dev/null 2>&1 || true
  rm -rf $dir; mkdir -p $dir; chown postgres: $dir
  R $bin/initdb -D $dir/data -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  printf "shared_preload_libraries = 'dataeng'\nwal_level = logical\nautovacuum = off\ndataeng.maintenance_interval = 0\n" >> $dir/data/postgresql.conf
  R $bin/pg_ctl -D $dir/data -l $dir/log -w -o "-p $2 -k $dir -c listen_addresses=''" start >/dev/null
  $bin/psql -h $dir -p $2 -U postgres -qAtX postgres >/dev/null <<'SQL'
CREATE EXTENSION dataeng;
CREATE TABLE sales(id bigserial primary key, sold_at timestamptz not null, region text, category int, amount numeric, quantity int);
INSERT INTO sales(sold_at, region, category, amount, quantity)
 SELECT '2026-01-01'::timestamptz + (i % 365) * interval '1 day', 'r' || (i%9), i % 32, (i%100)::numeric/3, i%7 FROM generate_series(1,100000) i;
SELECT dataeng.fact_create('fsales', 'sales', 'sold_at', 'day', ARRAY['region','category'], ARRAY['count(*)','sum(amount)','avg(quantity)','min(amount)','max(amount)'], schedule => NULL);
CREATE TABLE customers(id bigint primary key, name text, city text, tier int);
INSERT INTO customers SELECT i, 'n'||i, 'c'||(i%50), i%3 FROM generate_series(1,10000) i;
SELECT dataeng.dimension_create('dcust', 'customers', 'id', ARRAY['name','city','tier'], 2, schedule => NULL);
SQL
}
one() { # root port func name writes
  local bin=$1/usr/lib/postgresql/15/bin dir=${TMPDIR:-/tmp}/dataeng-cold.$2 w=
  [ $5 = 100 ] && w="UPDATE sales SET quantity = quantity + 1 WHERE id % 1000 = 7; UPDATE customers SET tier = tier + 1 WHERE id % 100 = 7;"
  $bin/psql -h $dir -p $2 -U postgres -qAtX postgres <<SQL
$w
SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint AS c0 \gset
SELECT dataeng.$3('$4') AS n \gset
SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint AS c1 \gset
SELECT round((:c1 - :c0)/1e6, 1);
SQL
}
start $before $port; start $after $((port + 1))
declare -A acc
for r in $(seq $rounds); do
  for case in "fact_refresh fsales 0" "fact_refresh fsales 100" "dimension_refresh dcust 0" "dimension_refresh dcust 100"; do
    for side in "before $before $port" "after $after $((port + 1))"; do
      set -- $side; lab=$1; root=$2; pt=$3
      set -- $case
      v=$(one $root $pt $1 $2 $3)
      acc["$lab $case"]+="$v "
    done
  done
done
for k in "${!acc[@]}"; do echo "$k: ${acc[$k]}"; done | sort
for p in $port $((port + 1)); do R $before/usr/lib/postgresql/15/bin/pg_ctl -D ${TMPDIR:-/tmp}/dataeng-cold.$p/data stop -m fast >/dev/null; done
