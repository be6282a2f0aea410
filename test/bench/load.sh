#!/usr/bin/env bash
# Concurrency and load (issue 16): 16 pgbench clients for LOAD_SECONDS
# (default 40) mixing the interactive calls of a CRM front end
# (test/bench/load/*.sql: similar customers from stored profiles, cross-sell
# for a basket, churn probability, RFM and the 360 row of one customer) on
# 20,000 generated customers (times BENCH_SCALE), alone (the baseline: before
# and after), and while the customer-360 refresh runs again and again in
# another session.  Prints throughput and p50/p99 latency with the refresh
# against the runs alone, the refresh's time under load against alone, and
# the client backends' private memory over each run.  Runs in a database of its own
# (crm_bench_load, dropped at the end).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$BENCH_ROOT/test/lib/load.sh"
secs=${LOAD_SECONDS:-40}
clients=${LOAD_CLIENTS:-16}
customers=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 20000 * s}')
work=$(mktemp -d "${TMPDIR:-/tmp}/crm_bench_load.XXXXXX")
trap 'rm -rf "$work"' EXIT

psql -X -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS crm_bench_load" -c "CREATE DATABASE crm_bench_load" >/dev/null || exit 1
export PGDATABASE=crm_bench_load
bench_psql -c "CREATE EXTENSION crm_analytics" || exit 1
bash "$BENCH_ROOT/test/datagen/generate.sh" --schema crm_demo --customers "$customers" --jobs 2 >"$work/datagen.log" 2>&1 ||
	{ cat "$work/datagen.log"; exit 1; }
bench_psql -f "$BENCH_ROOT/test/sql/customer360_sources.sql" || exit 1
alone=$(BENCH_RUNS=1 bench_ms "$(cat "$BENCH_ROOT/test/sql/customer360_call.sql")") || exit 1
echo "$customers customers, $clients clients, $secs s per run, $(nproc) cores; one refresh alone: $(awk -v t="$alone" 'BEGIN {printf "%.1f", t / 1000}') s"

# alone, with the refresh, alone again: the baseline is the mean of the two
# runs alone, which brackets the other in time (a shared machine's load drifts)
echo "interactive calls alone:"
crm_load_run "$secs" "$clients" 0 "$work/alone1" || exit 1
echo "interactive calls while the customer-360 refresh runs again and again:"
crm_load_run "$secs" "$clients" 1 "$work/batch" || exit 1
echo "interactive calls alone again:"
crm_load_run "$secs" "$clients" 0 "$work/alone2" || exit 1

get() { sed -n "s/^$2=//p" "$work/$1/summary"; }
alone() { awk -v a="$(get alone1 "$1")" -v b="$(get alone2 "$1")" 'BEGIN {printf "%.3f", (a + b) / 2}'; }
us_per_call() { awk -v t="$1" 'BEGIN {printf "%.1f", 1e6 / t}'; }
echo
bench_line "1/throughput (us per call), refresh running" "$(us_per_call "$(get batch tps)")" "$(us_per_call "$(alone tps)")" \
	"$(get batch tps) vs $(alone tps) calls/s (ms columns are us here)"
bench_line "latency p50, refresh running" "$(get batch p50_ms)" "$(alone p50_ms)" "baseline: no refresh"
bench_line "latency p99, refresh running" "$(get batch p99_ms)" "$(alone p99_ms)" "baseline: no refresh"
for n in similar cross_sell predict rfm customer_360; do
	bench_line "  $n p99, refresh running" "$(get batch "${n}_p99_ms")" "$(alone "${n}_p99_ms")"
done
mean=$(get batch refresh_mean_s)
[ -n "$mean" ] && bench_line "customer-360 refresh under load" "$(awk -v t="$mean" 'BEGIN {printf "%.1f", t * 1000}')" "$alone" \
	"baseline: the refresh alone; $(get batch refreshes) refreshes, $(get batch refresh_failures) failed"
for r in alone1 batch alone2; do
	echo "memory ($r): client backends $(awk -v a="$(get $r mem_warm_kb)" -v b="$(get $r mem_end_kb)" 'BEGIN {printf "%.1f -> %.1f MB", a / 1024, b / 1024}') (middle -> last third)," \
		"growth of a backend: median $(get $r mem_growth_median_kb) kB, largest $(get $r mem_growth_max_kb) kB; errors $(get $r errors), failed $(get $r failed), aborted $(get $r aborted), deadlocks $(get $r deadlocks)"
done
psql -X -q -d postgres -c "DROP DATABASE crm_bench_load" >/dev/null
