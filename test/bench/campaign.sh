#!/usr/bin/env bash
# Promotion analysis benchmark (scale 1):
#   crm.ab_test GROUP BY campaign over 10M rows (20 campaigns)
#     vs the plain SQL computing the same four counts with count(*) FILTER
#     (the counts are all crm.ab_test needs; its statistics cost nothing);
#   crm.welch_ttest and crm.cuped_test on the same rows
#     vs avg/var_samp/covar_samp per group in plain SQL;
#   crm.attribution markov over 1M journeys with 5M touches
#     vs a plain-SQL linear attribution of the same rows (window count of
#     touches per journey, join to the conversions, GROUP BY channel), and
#     crm.attribution linear on the same rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rows=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 10000000 * s}')
journeys=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 1000000 * s}')
echo "data: $rows experiment rows in 20 campaigns; $journeys journeys of 5 touches"
bench_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_ab, bench_touch;
CREATE TABLE bench_ab AS
SELECT (i % 20)::int AS campaign, hashint8(i) % 2 = 0 AS treated,
       abs(hashint8(i * 7)) % 100 < 5 + (hashint8(i) % 2 = 0)::int AS converted,
       (abs(hashint8(i * 13)) % 10000) / 100.0::float8 AS spend,
       (abs(hashint8(i * 17)) % 10000) / 100.0::float8 AS pre_spend
FROM generate_series(1, $rows) i;
-- journeys: 5 touches over 12 channels, a conversion after the last touch for 30 %
CREATE TABLE bench_touch AS
SELECT j AS journey, '2024-01-01'::timestamptz + (j % 1000) * interval '1 hour' + k * interval '1 day' AS ts,
       'ch' || (abs(hashint8(j * 8 + k)) % 12) AS channel, NULL::float8 AS value
FROM generate_series(1, $journeys) j, generate_series(1, 5) k
UNION ALL
SELECT j, '2024-01-01'::timestamptz + (j % 1000) * interval '1 hour' + 6 * interval '1 day', NULL,
       (abs(hashint8(j)) % 20000) / 100.0
FROM generate_series(1, $journeys) j WHERE abs(hashint8(j * 3)) % 10 < 3;
VACUUM ANALYZE bench_ab;
VACUUM ANALYZE bench_touch;
SQL

ours=$(bench_ms "SELECT campaign, crm.ab_test(converted, treated) FROM bench_ab GROUP BY campaign")
base=$(bench_ms "SELECT campaign, count(*) FILTER (WHERE NOT treated), count(*) FILTER (WHERE treated),
                        count(*) FILTER (WHERE NOT treated AND converted), count(*) FILTER (WHERE treated AND converted)
                 FROM bench_ab GROUP BY campaign")
bench_line "ab_test GROUP BY campaign (10M rows)" "$ours" "$base" "baseline: 4 x count(*) FILTER"

ours=$(bench_ms "SELECT campaign, crm.welch_ttest(spend, treated) FROM bench_ab GROUP BY campaign")
base=$(bench_ms "SELECT campaign, treated, count(*), avg(spend), var_samp(spend) FROM bench_ab GROUP BY campaign, treated")
bench_line "welch_ttest GROUP BY campaign" "$ours" "$base" "baseline: count/avg/var_samp per group"

ours=$(bench_ms "SELECT campaign, crm.cuped_test(spend, pre_spend, treated) FROM bench_ab GROUP BY campaign")
base=$(bench_ms "SELECT campaign, treated, count(*), avg(spend), avg(pre_spend), var_samp(spend), var_samp(pre_spend),
                        covar_samp(spend, pre_spend) FROM bench_ab GROUP BY campaign, treated")
bench_line "cuped_test GROUP BY campaign" "$ours" "$base" "baseline: moments per group"

q="SELECT journey, ts, channel, value FROM bench_touch"
ours=$(BENCH_RUNS=1 bench_ms "SELECT * FROM crm.attribution('$q', 'markov')")
base=$(BENCH_RUNS=1 bench_ms "WITH t AS (SELECT journey, channel, count(*) OVER (PARTITION BY journey) AS k
                                        FROM bench_touch WHERE channel IS NOT NULL),
                                   c AS (SELECT journey, value FROM bench_touch WHERE value IS NOT NULL)
                              SELECT channel, sum(1.0 / k), sum(value / k) FROM t JOIN c USING (journey) GROUP BY channel")
bench_line "attribution markov (1M journeys, 5M touches)" "$ours" "$base" "baseline: linear attribution in plain SQL"
lin=$(BENCH_RUNS=1 bench_ms "SELECT * FROM crm.attribution('$q', 'linear')")
bench_line "attribution linear (same rows)" "$lin" "$base" "baseline: linear attribution in plain SQL"
echo "plan of the grouped ab_test:"
bench_psql -c "EXPLAIN (COSTS OFF) SELECT campaign, crm.ab_test(converted, treated) FROM bench_ab GROUP BY campaign" |
	grep -E "Aggregate|Workers|Gather" | sed 's/^/   /' || true
bench_psql -c "DROP TABLE bench_ab, bench_touch"
