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
usage() { echo "usage: bash docs/demo.sh [--orders N] [--seed S]  (try --help)" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
		--orders|--seed)
			[ $# -ge 2 ] || usage
			case "$2" in
				''|*[!0-9]*|??????????*) echo "$1 takes a whole number below 10^9, not '$2'" >&2; exit 2 ;;
			esac
			if [ "$1" = --orders ]; then orders=$2; else seed=$2; fi
			shift 2 ;;
		--orders=*|--seed=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
		-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
		*) echo "unknown argument: $1" >&2; usage ;;
	esac
done
# strip leading zeros (psql would read them as they are, bash as octal)
orders=$((10#$orders)) seed=$((10#$seed))
if [ "$orders" -lt 1 ]; then
	echo "--orders must be at least 1" >&2; exit 2
fi

export DE_PORT=${DE_PORT:-54350}
source "$(dirname "$0")/../sql_tests/harness.sh"

de_setup
WORK=$(de_workdir demo)
trap 'de_cluster_stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
de_cluster_start "$WORK/cluster"

# the server's account reads the scripts from a directory it owns
cp "$DE_ROOT"/docs/*.sql "$WORK/"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"/*.sql

de_run psql -X -q -v ON_ERROR_STOP=1 -v orders="$orders" -v seed="$seed" \
	-d postgres -f "$WORK/demo.sql"
