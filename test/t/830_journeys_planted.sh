#!/usr/bin/env bash
# Planted funnel rates: the generator (test/datagen) makes every web session
# continue view -> cart -> checkout -> purchase with the probabilities of
# its table funnel_truth.  crm.window_funnel per session (1 hour window)
# must recover each continuation rate within 4 binomial standard errors,
# and its levels must equal the furthest stage reached computed with
# bool_or per session (the sessions last under 15 minutes, in stage order).
# crm.path_transitions' step-1 counts and crm.retention per customer are
# checked against plain SQL on the same events.
set -uo pipefail
root=${CRM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
command -v cc >/dev/null || { echo "cc is missing"; exit 77; }
bash "$root/test/datagen/generate.sh" --schema jp --customers 10000 --seed 11 >/dev/null || { echo "FAIL generator"; exit 1; }
fail=0
check() {
	local out
	out=$(q -c "$2" 2>&1) || { echo "FAIL $1: $out"; fail=1; return; }
	case "$out" in t\|*) echo "ok   $1: ${out#t|}" ;; *) echo "FAIL $1: $out"; fail=1 ;; esac
}
q -c "CREATE TABLE lv AS SELECT session_id, crm.window_funnel('1 hour', occurred_at, event_type = 'view', event_type = 'cart',
        event_type = 'checkout', event_type = 'purchase') AS level FROM jp.events GROUP BY session_id"
check "continuation rates within 4 standard errors of funnel_truth" "
WITH n AS (SELECT k, count(*) FILTER (WHERE level >= k) AS reached FROM lv, generate_series(1, 4) k GROUP BY k),
r AS (SELECT a.k, a.reached AS n, b.reached AS x FROM n a JOIN n b ON b.k = a.k + 1),
t AS (SELECT f.*, r.n, r.x, CASE f.from_stage WHEN 'view' THEN 1 WHEN 'cart' THEN 2 ELSE 3 END AS k
      FROM jp.funnel_truth f JOIN r ON r.k = CASE f.from_stage WHEN 'view' THEN 1 WHEN 'cart' THEN 2 ELSE 3 END)
SELECT count(*) = 3 AND bool_and(abs(x::float8 / n - p_continue) <= 4 * sqrt(p_continue * (1 - p_continue) / n)),
       string_agg(format('%s->%s %s of %s = %s (planted %s, %s sd)', from_stage, to_stage, x, n, round(x::numeric / n, 4),
                  p_continue, round(((x::float8 / n - p_continue) / sqrt(p_continue * (1 - p_continue) / n))::numeric, 2)), '; ' ORDER BY k)
FROM t"
check "levels equal the furthest stage per session (bool_or)" "
WITH s AS (SELECT session_id, CASE WHEN bool_or(event_type = 'purchase') THEN 4 WHEN bool_or(event_type = 'checkout') THEN 3
                                   WHEN bool_or(event_type = 'cart') THEN 2 ELSE 1 END AS stage
           FROM jp.events GROUP BY session_id)
SELECT count(*) FILTER (WHERE s.stage IS DISTINCT FROM lv.level) = 0, count(*) || ' sessions'
FROM s FULL JOIN lv USING (session_id)"
check "funnel_times: time to purchase equals max - min time of the buying sessions" "
WITH ours AS (SELECT session_id, crm.funnel_times('1 hour', occurred_at, event_type = 'view', event_type = 'cart',
                     event_type = 'checkout', event_type = 'purchase') AS ft FROM jp.events GROUP BY session_id),
ref AS (SELECT session_id, max(occurred_at) - min(occurred_at) AS d FROM jp.events GROUP BY session_id
        HAVING bool_or(event_type = 'purchase'))
SELECT count(*) FILTER (WHERE ours.ft[4] - ours.ft[1] IS DISTINCT FROM ref.d) = 0,
       count(*) || ' buying sessions, median ' || percentile_disc(0.5) WITHIN GROUP (ORDER BY ref.d)
FROM ref JOIN ours USING (session_id)"
check "path_transitions step 1 equals first and second event per session" "
WITH ours AS (SELECT * FROM crm.path_transitions('SELECT session_id, occurred_at, event_type FROM jp.events', 1)),
o AS (SELECT session_id, event_type, row_number() OVER w AS k, lead(event_type) OVER w AS nxt
      FROM jp.events WINDOW w AS (PARTITION BY session_id ORDER BY occurred_at, event_type COLLATE \"C\")),
ref AS (SELECT event_type AS from_event, coalesce(nxt, '(end)') AS to_event, count(*) AS journeys FROM o WHERE k = 1 GROUP BY 1, 2)
SELECT count(*) FILTER (WHERE ours.journeys IS DISTINCT FROM ref.journeys) = 0,
       string_agg(ref.from_event || '->' || ref.to_event || ' ' || ref.journeys, ', ' ORDER BY ref.journeys DESC)
FROM ours FULL JOIN ref USING (from_event, to_event)"
check "retention per customer (view; cart; purchase) equals bool_or" "
WITH ours AS (SELECT customer_id, crm.retention(event_type = 'view', event_type = 'cart', event_type = 'purchase') AS r
              FROM jp.events GROUP BY customer_id),
ref AS (SELECT customer_id, ARRAY[bool_or(event_type = 'view'), bool_or(event_type = 'view') AND bool_or(event_type = 'cart'),
                                  bool_or(event_type = 'view') AND bool_or(event_type = 'purchase')] AS r
        FROM jp.events GROUP BY customer_id)
SELECT count(*) FILTER (WHERE ours.r IS DISTINCT FROM ref.r) = 0, count(*) || ' customers'
FROM ours FULL JOIN ref USING (customer_id)"
q -c "DROP SCHEMA jp CASCADE" >/dev/null 2>&1
exit $fail
