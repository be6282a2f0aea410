#!/usr/bin/env bash
# RFM benchmark: 5M orders of 200k customers (at scale 1).
#   crm.rfm_summary grouped by customer  vs  GROUP BY with max/count/sum
#   crm.rfm_scores                       vs  GROUP BY, then ntile(5) windows
# For rfm_scores it also prints the backend's CPU time and peak resident memory
# (VmHWM, counting the shared buffers it touched) of each side: the baseline's
# parallel workers are not counted in either.  Issue 17: at most 1.0x at 5M
# orders (BENCH_SCALE=1); BENCH_SCALE=10 gives 50M orders of 2M customers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

orders=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 5000000 * s}')
customers=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 200000 * s}')
echo "data: $orders orders of $customers customers"
bench_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_orders;
CREATE TABLE bench_orders AS
SELECT (hashint8(i) % $customers + $customers) % $customers AS customer_id, (i % 20)::int AS store_id,
       '2023-01-01'::timestamptz + ((hashint8(i * 7) % 63072000 + 63072000) % 63072000) * interval '1 second' AS ordered_at,
       round((abs(hashint8(i * 13)) % 100000) / 100.0 * (1 + (abs(hashint8(i * 17)) % 5)), 2)::numeric(12,2) AS amount
FROM generate_series(1, $orders) i;
VACUUM ANALYZE bench_orders;
SQL

as_of="'2025-01-01'"
ours=$(bench_ms "SELECT count(*), sum((s).frequency), max((s).last_order), sum((s).monetary)
 FROM (SELECT customer_id, crm.rfm_summary(ordered_at, amount, $as_of) AS s FROM bench_orders GROUP BY customer_id) x")
base=$(bench_ms "SELECT count(*), sum(f), max(l), sum(m)
 FROM (SELECT customer_id, max(ordered_at) AS l, count(*) AS f, sum(amount) AS m FROM bench_orders
       WHERE ordered_at <= $as_of GROUP BY customer_id) x")
bench_line "rfm_summary GROUP BY customer" "$ours" "$base" "baseline: GROUP BY max/count/sum"

scores_sql="SELECT count(*), sum(r_score + f_score + m_score)
 FROM crm.rfm_scores('SELECT customer_id, ordered_at, amount FROM bench_orders', $as_of)"
ntile_sql="WITH s AS (SELECT customer_id, max(ordered_at) AS l, count(*) AS f, sum(amount) AS m
                  FROM bench_orders WHERE ordered_at <= $as_of GROUP BY customer_id)
 SELECT count(*), sum(r + f + m) FROM (SELECT ntile(5) OVER (ORDER BY l) AS r, ntile(5) OVER (ORDER BY f) AS f,
                                              ntile(5) OVER (ORDER BY m) AS m FROM s) x"
bench_line "rfm_scores" "$(bench_ms "$scores_sql")" "$(bench_ms "$ntile_sql")" "baseline: GROUP BY + 3 ntile windows"
ours=$(bench_session "$scores_sql")
base=$(bench_session "$ntile_sql")
if [ -n "$ours" ] && [ -n "$base" ]; then
	set -- $ours $base
	printf '   rfm_scores one run, backend CPU / peak memory: ours %d ms / %d MB, baseline %d ms / %d MB (leader only)\n' \
		"$1" $(($2 / 1024)) "$3" $(($4 / 1024))
fi

# few groups (20 stores): the planner offers parallel workers
ours=$(bench_ms "SELECT count(*), sum((s).frequency), sum((s).monetary)
 FROM (SELECT store_id, crm.rfm_summary(ordered_at, amount, $as_of) AS s FROM bench_orders GROUP BY 1) x")
base=$(bench_ms "SELECT count(*), sum(f), sum(m)
 FROM (SELECT store_id, max(ordered_at) AS l, count(*) AS f, sum(amount) AS m FROM bench_orders
       WHERE ordered_at <= $as_of GROUP BY 1) x")
bench_line "rfm_summary GROUP BY store (parallel)" "$ours" "$base" "baseline: GROUP BY max/count/sum"

echo "plans chosen (per-customer grouping, then per-store grouping):"
for g in customer_id store_id; do
	bench_psql -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
	 SELECT $g, crm.rfm_summary(ordered_at, amount, $as_of) FROM bench_orders GROUP BY 1" |
		grep -E "Aggregate|Workers" | sed 's/^/   /' || true
done
bench_psql -c "DROP TABLE bench_orders"
