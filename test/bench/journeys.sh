#!/usr/bin/env bash
# Web analytics benchmark (at scale 1): 10M events of 1M visitors.
#   crm.window_funnel, 4 steps, 1-day window   vs  the best plain SQL: a chain of self-joins
#        taking, for every step-1 event, the earliest next step inside the window (exact);
#        (also with enable_hashagg = off), and PostgreSQL's GROUP BY visitor with count(*)
#        alone (the floor of any aggregate under the planner's hash plan)
#   crm.funnel_report, the same funnel        vs  the same self-join chain
#   crm.session_number, 30-minute gap          vs  lag() + running sum() over the same window
#   crm.cohort_retention, monthly, 10M rows    vs  DISTINCT (customer, month), first month, join, GROUP BY
# The results of each pair are compared before timing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

events=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 10000000 * s}')
visitors=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 1000000 * s}')
echo "data: $events events of $visitors visitors; $events activity rows of $visitors customers over 2 years"
bench_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_events, bench_activity;
-- each visitor is active during 14 days somewhere in 2023-2024; step types in funnel proportions
CREATE TABLE bench_events AS
SELECT v AS visitor,
       '2023-01-01'::timestamptz + (abs(hashint8(v)) % 700) * interval '1 day'
         + (abs(hashint8(i * 7)) % (14 * 86400)) * interval '1 second' AS ts,
       (ARRAY['view','view','view','view','cart','cart','checkout','purchase','search','search'])[1 + abs(hashint8(i * 13)) % 10] AS event_type
FROM (SELECT i, abs(hashint8(i)) % $visitors AS v FROM generate_series(1, $events) i) x;
CREATE TABLE bench_activity AS
SELECT abs(hashint8(i)) % $visitors AS customer,
       '2023-01-01'::timestamptz + (abs(hashint8(i * 3)) % (730 * 86400)) * interval '1 second' AS ts
FROM generate_series(1, $events) i;
VACUUM ANALYZE bench_events;
VACUUM ANALYZE bench_activity;
SQL

funnel_ours="SELECT level, count(*) FROM (SELECT visitor, crm.window_funnel('1 day', ts, event_type = 'view', event_type = 'cart',
  event_type = 'checkout', event_type = 'purchase') AS level FROM bench_events GROUP BY visitor) x GROUP BY level ORDER BY level"
funnel_sql="WITH s1 AS (SELECT visitor, ts AS t1 FROM bench_events WHERE event_type = 'view'),
s2 AS (SELECT s1.visitor, s1.t1, min(e.ts) AS t2 FROM s1 JOIN bench_events e ON e.visitor = s1.visitor AND e.event_type = 'cart'
       AND e.ts >= s1.t1 AND e.ts <= s1.t1 + interval '1 day' GROUP BY 1, 2),
s3 AS (SELECT s2.visitor, s2.t1, min(e.ts) AS t3 FROM s2 JOIN bench_events e ON e.visitor = s2.visitor AND e.event_type = 'checkout'
       AND e.ts >= s2.t2 AND e.ts <= s2.t1 + interval '1 day' GROUP BY 1, 2),
s4 AS (SELECT DISTINCT s3.visitor FROM s3 JOIN bench_events e ON e.visitor = s3.visitor AND e.event_type = 'purchase'
       AND e.ts >= s3.t3 AND e.ts <= s3.t1 + interval '1 day'),
lv AS (SELECT v.visitor, CASE WHEN s4.visitor IS NOT NULL THEN 4 WHEN EXISTS (SELECT FROM s3 WHERE s3.visitor = v.visitor) THEN 3
                              WHEN EXISTS (SELECT FROM s2 WHERE s2.visitor = v.visitor) THEN 2
                              WHEN EXISTS (SELECT FROM s1 WHERE s1.visitor = v.visitor) THEN 1 ELSE 0 END AS level
       FROM (SELECT DISTINCT visitor FROM bench_events) v LEFT JOIN s4 USING (visitor))
SELECT level, count(*) FROM lv GROUP BY level ORDER BY level"
a=$(bench_psql -At -c "$funnel_ours"); b=$(bench_psql -At -c "$funnel_sql")
[ "$a" = "$b" ] || { echo "window_funnel and the plain SQL funnel disagree:"; echo "$a"; echo "$b"; exit 1; }
echo "visitors per level (equal both ways): $(echo "$a" | tr '\n' ' ')"
ours=$(bench_ms "$funnel_ours")
base=$(bench_ms "$funnel_sql")
bench_line "window_funnel 4 steps, 1 day" "$ours" "$base" "baseline: self-join chain (exact)"
# the same aggregate with the planner's sorted plan (parallel sort, partial GroupAggregate)
ours=$(bench_ms "SET enable_hashagg = off; $funnel_ours")
bench_line "window_funnel, enable_hashagg = off" "$ours" "$base" "baseline: self-join chain (exact)"
# the floor of any aggregate grouped by visitor: PostgreSQL's own GROUP BY of the same rows
floor=$(bench_ms "SELECT count(*) FROM (SELECT visitor, count(*) FROM bench_events GROUP BY visitor) x")
bench_line "  (GROUP BY visitor with count(*) alone)" "$floor" "$base" "the floor of an aggregate in a hash plan"
report_ours="SELECT step, visitors FROM crm.funnel_report('SELECT visitor, ts, event_type = ''view'', event_type = ''cart'',
  event_type = ''checkout'', event_type = ''purchase'' FROM bench_events', '1 day') ORDER BY step"
a=$(bench_psql -At -c "$report_ours")
b=$(bench_psql -At -c "SELECT k, sum(count) FILTER (WHERE level >= k) FROM ($funnel_ours) l, generate_series(1, 4) k GROUP BY k ORDER BY k")
[ "$a" = "$b" ] || { echo "funnel_report and window_funnel disagree:"; echo "$a"; echo "$b"; exit 1; }
ours=$(bench_ms "$report_ours")
bench_line "funnel_report 4 steps, 1 day" "$ours" "$base" "baseline: self-join chain (exact)"

sess_ours="SELECT count(*), sum(n) FROM (SELECT crm.session_number(ts, '30 minutes') OVER (PARTITION BY visitor ORDER BY ts) AS n FROM bench_events) x"
sess_sql="SELECT count(*), sum(n) FROM (SELECT sum(CASE WHEN prev IS NULL OR ts - prev > interval '30 minutes' THEN 1 ELSE 0 END)
  OVER (PARTITION BY visitor ORDER BY ts ROWS UNBOUNDED PRECEDING) AS n
  FROM (SELECT visitor, ts, lag(ts) OVER (PARTITION BY visitor ORDER BY ts) AS prev FROM bench_events) y) x"
a=$(bench_psql -At -c "$sess_ours"); b=$(bench_psql -At -c "$sess_sql")
[ "$a" = "$b" ] || { echo "session_number and lag() + sum() disagree: $a / $b"; exit 1; }
ours=$(bench_ms "$sess_ours")
base=$(bench_ms "$sess_sql")
bench_line "session_number, 30 minutes" "$ours" "$base" "baseline: lag() + running sum()"

coh_ours="SELECT count(*) FILTER (WHERE active > 0), sum(active), sum(cohort_size) FILTER (WHERE active > 0)
  FROM crm.cohort_retention('SELECT customer, ts FROM bench_activity', 'month', 'on', '2025-01-01')"
coh_sql="WITH a AS (SELECT DISTINCT customer, date_trunc('month', ts) AS m FROM bench_activity),
f AS (SELECT customer, min(m) AS c FROM a GROUP BY customer),
s AS (SELECT c, count(*) AS n FROM f GROUP BY c),
x AS (SELECT f.c, (extract(year FROM a.m) * 12 + extract(month FROM a.m)) - (extract(year FROM f.c) * 12 + extract(month FROM f.c)) AS p,
             count(*) AS act FROM a JOIN f USING (customer) GROUP BY 1, 2)
SELECT count(*), sum(x.act), sum(s.n) FROM x JOIN s USING (c)"
a=$(bench_psql -At -c "$coh_ours"); b=$(bench_psql -At -c "$coh_sql")
[ "$a" = "$b" ] || { echo "cohort_retention and plain SQL disagree: $a / $b"; exit 1; }
ours=$(bench_ms "$coh_ours")
base=$(bench_ms "$coh_sql")
bench_line "cohort_retention monthly, 10M rows" "$ours" "$base" "baseline: DISTINCT + first month + join"
bench_psql -c "DROP TABLE bench_events, bench_activity"
