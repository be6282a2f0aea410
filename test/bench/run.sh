#!/usr/bin/env bash
# Runs every capability's benchmark (or the named ones) on a throwaway
# cluster, or on the server of PGHOST/PGPORT/PGDATABASE when set, and prints
# per benchmark our time, the baseline's time measured in the same run, and
# their ratio.  Not a test: timings depend on the machine.
#
#   test/bench/run.sh [--scale S] [--runs N] [name ...]     e.g. test/bench/run.sh --scale 0.2 rfm
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
cd "$CRM_ROOT"

export BENCH_SCALE=1 BENCH_RUNS=3
names=()
while [ $# -gt 0 ]; do
	case "$1" in
		--scale) BENCH_SCALE=$2; shift 2 ;;
		--runs) BENCH_RUNS=$2; shift 2 ;;
		-h|--help) sed -n '2,8p' "$0"; exit 0 ;;
		*) names+=("$1"); shift ;;
	esac
done

if [ -z "${PGHOST:-}${PGPORT:-}${PGDATABASE:-}" ]; then
	crm_install_deps
	CRM_PRIVATE_INSTALL=1 crm_build_install
	crm_cluster_start
	psql -X -q -c "CREATE DATABASE crm_bench" >/dev/null
	export PGDATABASE=crm_bench
fi
psql -X -q -c "CREATE EXTENSION IF NOT EXISTS crm_analytics" >/dev/null

echo "crm_analytics benchmarks, scale $BENCH_SCALE, best of $BENCH_RUNS runs, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
for b in test/bench/*.sh; do
	name=$(basename "$b" .sh)
	case "$name" in run|lib) continue ;; esac
	if [ ${#names[@]} -gt 0 ] && [[ " ${names[*]} " != *" $name "* ]]; then continue; fi
	echo
	echo "## $name"
	bash "$b" || echo "benchmark $name failed"
done
