#!/usr/bin/env bash
# docs/demo.sh: the ShopSphere demo on a throwaway cluster.
#
#   bash docs/demo.sh [--orders N] [--seed S]
#
# Installs what is missing (as root), builds and installs dataeng, starts a
# throwaway cluster (as the postgres OS account when run as root), runs
# docs/demo.sql and removes the cluster.

orders=100000
seed=42
while [ $# -gt 0 ]; do
	case "$1" in
		--orders) orders=$2; shift 2 ;;
		--seed) seed=$2; shift 2 ;;
		-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
		*) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
	esac
done
case "$orders$seed" in
	*[!0-9]*) echo "--orders and --seed take whole numbers" >&2; exit 2 ;;
esac

export DE_PORT=${DE_PORT:-54350}
source "$(dirname "$0")/../sql_tests/harness.sh"

de_setup
WORK=$(de_workdir demo)
trap 'de_cluster_stop; rm -rf "$WORK"' EXIT
de_cluster_start "$WORK/cluster"

# the server's account reads the scripts from a directory it owns
cp "$DE_ROOT"/docs/demo.sql "$DE_ROOT"/docs/shopsphere.sql "$WORK/"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"/*.sql

de_run psql -X -q -v ON_ERROR_STOP=1 -v orders="$orders" -v seed="$seed" \
	-d postgres -f "$WORK/demo.sql"
