#!/usr/bin/env bash
# Real clickstreams: the OTTO sessions (../shared/datasets/otto_sessions, 20
# sessions, 862 events: clicks, carts, orders).  Each result of the
# extension is compared with an independent computation in plain SQL:
#  - window_funnel clicks -> carts -> orders (1 day and 1 hour windows, also
#    strict_increase) against EXISTS self-joins over (click, cart, order)
#    triples inside the window;
#  - session_number with a 30-minute gap against lag() + a running sum;
#  - path_transitions against row_number() + lead();
#  - top_paths against array_agg of the first 3 events;
#  - sequence_count of click -> cart within 10 minutes against a greedy
#    recursive query.
set -uo pipefail
data=${CRM_ROOT:-.}/../shared/datasets/otto_sessions/otto_events.csv
if [ ! -r "$data" ]; then echo "../shared/datasets/otto_sessions is absent"; exit 77; fi
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail=0
check() {	# check NAME SQL-returning-"ok|detail"
	local out
	out=$(q -c "$2" 2>&1) || { echo "FAIL $1: $out"; fail=1; return; }
	case "$out" in
		t\|*) echo "ok   $1: ${out#t|}" ;;
		*) echo "FAIL $1: $out"; fail=1 ;;
	esac
}

q <<SQL
SET timezone = 'UTC';
CREATE TABLE otto (session int, ts_ms bigint, type text, aid bigint);
\copy otto FROM '$data' WITH (FORMAT csv, HEADER)
CREATE TABLE ev AS SELECT session, to_timestamp(ts_ms / 1000.0) AS ts, type, aid,
	row_number() OVER (ORDER BY session, ts_ms, type, aid) AS id FROM otto;
SQL
check "862 events of 20 sessions loaded" "SELECT count(*) = 862 AND count(DISTINCT session) = 20, count(*) || ' events' FROM ev"

for w in "1 day" "1 hour"; do
	for mode in "''" "'strict_increase'"; do
		op="<="; [ "$mode" = "'strict_increase'" ] && op="<"
		check "window_funnel clicks->carts->orders, window $w, mode $mode" "
WITH ours AS (
  SELECT session, crm.window_funnel('$w', $mode, ts, type = 'clicks', type = 'carts', type = 'orders') AS level
  FROM ev GROUP BY session),
ref AS (
  SELECT s.session,
    CASE WHEN EXISTS (SELECT FROM ev a JOIN ev b ON b.session = a.session AND b.type = 'carts' AND a.ts $op b.ts
                      JOIN ev c ON c.session = a.session AND c.type = 'orders' AND b.ts $op c.ts
                      WHERE a.session = s.session AND a.type = 'clicks' AND c.ts <= a.ts + interval '$w') THEN 3
         WHEN EXISTS (SELECT FROM ev a JOIN ev b ON b.session = a.session AND b.type = 'carts' AND a.ts $op b.ts
                      WHERE a.session = s.session AND a.type = 'clicks' AND b.ts <= a.ts + interval '$w') THEN 2
         WHEN EXISTS (SELECT FROM ev a WHERE a.session = s.session AND a.type = 'clicks') THEN 1 ELSE 0 END AS level
  FROM (SELECT DISTINCT session FROM ev) s)
SELECT count(*) FILTER (WHERE o.level IS DISTINCT FROM r.level) = 0 AND count(*) = 20,
       'levels ' || string_agg(r.level::text, '' ORDER BY session) || ' (session 0..19)'
FROM ours o FULL JOIN ref r USING (session)"
	done
done

check "session_number (30 minutes) equals lag() + running sum for every event" "
WITH ours AS (SELECT id, crm.session_number(ts, '30 minutes') OVER (PARTITION BY session ORDER BY ts, id) AS n FROM ev),
ref AS (SELECT id, sum(CASE WHEN prev IS NULL OR ts - prev > interval '30 minutes' THEN 1 ELSE 0 END)
                     OVER (PARTITION BY session ORDER BY ts, id) AS n
        FROM (SELECT id, session, ts, lag(ts) OVER (PARTITION BY session ORDER BY ts, id) AS prev FROM ev) x)
SELECT count(*) FILTER (WHERE o.n IS DISTINCT FROM r.n) = 0 AND count(*) = 862,
       (SELECT count(DISTINCT (session, n)) FROM ev JOIN ours USING (id)) || ' visits in 20 sessions, the longest session has '
       || (SELECT max(n) FROM ours) || ' visits'
FROM ours o FULL JOIN ref r USING (id)"

check "path_transitions (10 steps) equals row_number() + lead()" "
WITH ours AS (SELECT * FROM crm.path_transitions('SELECT session, ts, type FROM ev', 10)),
ordered AS (SELECT session, type, row_number() OVER w AS k, lead(type) OVER w AS nxt
            FROM ev WINDOW w AS (PARTITION BY session ORDER BY ts, type COLLATE \"C\")),
ref AS (SELECT k::int AS step, type AS from_event, coalesce(nxt, '(end)') AS to_event, count(*) AS journeys
        FROM ordered WHERE k <= 10 GROUP BY 1, 2, 3)
SELECT count(*) FILTER (WHERE o.journeys IS DISTINCT FROM r.journeys) = 0,
       count(*) || ' transitions, step 1: ' || (SELECT string_agg(from_event || '->' || to_event || ' ' || journeys, ', ')
                                             FROM ours WHERE step = 1)
FROM ours o FULL JOIN ref r USING (step, from_event, to_event)"

check "top_paths (3 events) equals array_agg of the first 3 events" "
WITH ours AS (SELECT * FROM crm.top_paths('SELECT session, ts, type, type = ''orders'' FROM ev', 3, 100)),
ordered AS (SELECT session, type, row_number() OVER (PARTITION BY session ORDER BY ts, type COLLATE \"C\") AS k,
                   count(*) OVER (PARTITION BY session) AS n, bool_or(type = 'orders') OVER (PARTITION BY session) AS conv FROM ev),
paths AS (SELECT session, array_agg(type ORDER BY k) || CASE WHEN max(n) > 3 THEN ARRAY['...'] ELSE '{}' END AS path, bool_or(conv) AS conv
          FROM ordered WHERE k <= 3 GROUP BY session),
ref AS (SELECT path, count(*) AS journeys, count(*) FILTER (WHERE conv) AS conversions FROM paths GROUP BY path)
SELECT count(*) FILTER (WHERE (o.journeys, o.conversions) IS DISTINCT FROM (r.journeys, r.conversions)) = 0,
       count(*) || ' paths; top: ' || (SELECT array_to_string(path, '>') || ' ' || journeys || ' sessions, '
                                        || conversions || ' with an order' FROM ours LIMIT 1)
FROM ours o FULL JOIN ref r USING (path)"

check "sequence_count click->cart within 10 minutes equals a greedy recursive query" "
WITH RECURSIVE ours AS (
  SELECT session, crm.sequence_count('(?1)(?t<=600)(?2)', ts, type = 'clicks', type = 'carts') AS n FROM ev GROUP BY session),
e AS (SELECT session, ts, type, row_number() OVER (PARTITION BY session ORDER BY ts, CASE type WHEN 'clicks' THEN 1 WHEN 'carts' THEN 2 ELSE 3 END, id) AS p
      FROM ev WHERE type IN ('clicks', 'carts')),
m AS (
  -- the first click at or after the cursor that has a cart after it within 10 minutes, matched to the first such cart
  SELECT session, 0::bigint AS matches, 0::bigint AS cursor FROM (SELECT DISTINCT session FROM ev) s
  UNION ALL
  SELECT m.session, m.matches + 1, nx.cart_p FROM m
  CROSS JOIN LATERAL (
    SELECT c.p AS click_p, (SELECT min(k.p) FROM e k WHERE k.session = c.session AND k.type = 'carts' AND k.p > c.p
                            AND k.ts <= c.ts + interval '600 seconds') AS cart_p
    FROM e c WHERE c.session = m.session AND c.type = 'clicks' AND c.p > m.cursor
      AND EXISTS (SELECT FROM e k WHERE k.session = c.session AND k.type = 'carts' AND k.p > c.p
                  AND k.ts <= c.ts + interval '600 seconds')
    ORDER BY c.p LIMIT 1) nx),
ref AS (SELECT session, max(matches) AS n FROM m GROUP BY session)
SELECT count(*) FILTER (WHERE o.n IS DISTINCT FROM r.n) = 0 AND count(*) = 20,
       sum(o.n) || ' matches in ' || count(*) FILTER (WHERE o.n > 0) || ' sessions'
FROM ours o FULL JOIN ref r USING (session)"
exit $fail
