#!/usr/bin/env bash
# Deviation, forecast and concentration benchmarks (ratios measured in one run):
#  - crm.holt_winters grouped over 10,000 series of 104 weekly points (series per
#    second), against collecting the same groups with array_agg(value ORDER BY ts);
#  - crm.gini and crm.top_share over 10M rows against percentile_cont(0.5) of the
#    same column (the target: within 2x);
#  - crm.detect_anomalies on Twitter's 14,398-point series (when ../shared is
#    there), against reading the series with count(*).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 10000 * s}')
rows=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 10000000 * s}')
bench_psql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_hw, bench_conc, bench_tw" >/dev/null
bench_psql -c "CREATE TABLE bench_hw AS
	SELECT s AS series, '2022-01-03'::timestamptz + w * interval '7 days' AS ts,
		   100 + s % 50 + 0.4 * w + 12 * sin(2 * pi() * w / 52 + s) + ((s * 31 + w * 7919) % 23) AS v
	FROM generate_series(1, $series) s, generate_series(0, 103) w" >/dev/null
bench_psql -c "CREATE TABLE bench_conc AS
	SELECT exp(((i::bigint * 7919) % 100003) / 10000.0)::float8 AS v FROM generate_series(1, $rows) i" >/dev/null
bench_psql -c "VACUUM ANALYZE bench_hw" -c "VACUUM ANALYZE bench_conc" >/dev/null

ours=$(bench_ms "SELECT count(m) FROM (SELECT series, crm.holt_winters(ts, v, 52) AS m FROM bench_hw GROUP BY series) x")
base=$(bench_ms "SELECT count(a) FROM (SELECT series, array_agg(v ORDER BY ts) AS a FROM bench_hw GROUP BY series) x")
bench_line "holt_winters: $series series x 104 weeks" "$ours" "$base" \
	"$(awk -v n="$series" -v t="$ours" 'BEGIN {printf "%.0f series/s; baseline array_agg per series", n / t * 1000}')"

base=$(bench_ms "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM bench_conc")
ours=$(bench_ms "SELECT crm.gini(v) FROM bench_conc")
bench_line "gini: $rows rows" "$ours" "$base" "baseline percentile_cont(0.5)"
ours=$(bench_ms "SELECT crm.top_share(v, 0.2) FROM bench_conc")
bench_line "top_share(0.2): $rows rows" "$ours" "$base" "baseline percentile_cont(0.5)"
ours=$(bench_ms "SET max_parallel_workers_per_gather = 0; SELECT crm.gini(v) FROM bench_conc")
bench_line "gini, no parallel workers" "$ours" "$base" "baseline percentile_cont(0.5)"

tw=$BENCH_ROOT/../shared/datasets/series/twitter_raw_data.csv
if [ -f "$tw" ]; then
	bench_psql -c "CREATE TABLE bench_tw (ts timestamp, value float8)" -c "\\copy bench_tw FROM '$tw' CSV HEADER" >/dev/null
	ours=$(bench_ms "SELECT count(*) FROM crm.detect_anomalies('SELECT ts, value FROM bench_tw', 1440, 0.02, 0.05, 'both')")
	base=$(bench_ms "SELECT count(*) FROM bench_tw")
	bench_line "detect_anomalies: Twitter, 14398 points" "$ours" "$base" "baseline count(*) of the series"
else
	echo "detect_anomalies: ../shared/datasets absent, skipped"
fi
bench_psql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_hw, bench_conc, bench_tw" >/dev/null
