\echo ================================================================
\echo Web analytics: funnels, sessions, cohorts and paths of the shop
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- 1. The funnel view -> cart -> checkout -> purchase per web session (1 hour window), by channel:
\echo --    sessions reaching each step, step conversion, and median time from view to purchase
CREATE TEMP TABLE demo_sessions AS
SELECT c.channel, e.session_id,
       crm.window_funnel('1 hour', e.occurred_at, e.event_type = 'view', e.event_type = 'cart',
                         e.event_type = 'checkout', e.event_type = 'purchase') AS level,
       crm.funnel_times('1 hour', e.occurred_at, e.event_type = 'view', e.event_type = 'cart',
                        e.event_type = 'checkout', e.event_type = 'purchase') AS times
FROM crm_demo.events e JOIN crm_demo.customers c USING (customer_id)
GROUP BY c.channel, e.session_id;
SELECT channel,
       count(*) FILTER (WHERE level >= 1) AS viewed,
       count(*) FILTER (WHERE level >= 2) AS carted,
       count(*) FILTER (WHERE level >= 3) AS checked_out,
       count(*) FILTER (WHERE level >= 4) AS purchased,
       round(100.0 * count(*) FILTER (WHERE level >= 2) / count(*) FILTER (WHERE level >= 1), 1) AS "view>cart %",
       round(100.0 * count(*) FILTER (WHERE level >= 3) / count(*) FILTER (WHERE level >= 2), 1) AS "cart>checkout %",
       round(100.0 * count(*) FILTER (WHERE level >= 4) / count(*) FILTER (WHERE level >= 3), 1) AS "checkout>purchase %",
       round(100.0 * count(*) FILTER (WHERE level >= 4) / count(*) FILTER (WHERE level >= 1), 1) AS "overall %",
       date_trunc('second', percentile_cont(0.5) WITHIN GROUP (ORDER BY times[4] - times[1])
                            FILTER (WHERE level = 4)) AS median_time_to_purchase
FROM demo_sessions GROUP BY ROLLUP (channel) ORDER BY channel NULLS LAST;

\echo -- 1b. The same funnel for all channels in one call (crm.funnel_report; its numbers equal the total row above):
\echo --     sessions per step, lost, conversion from view and from the previous step, median time from view
SELECT step, visitors AS sessions, dropped, round(conversion::numeric, 3) AS conversion,
       round(step_conversion::numeric, 3) AS step_conversion, make_interval(secs => median_seconds) AS median_since_view
FROM crm.funnel_report($$SELECT session_id, occurred_at, event_type = 'view', event_type = 'cart',
                              event_type = 'checkout', event_type = 'purchase' FROM crm_demo.events$$, '1 hour');

\echo -- 2. The same per customer over 30 days, strict order (no other event between steps):
SELECT level, count(*) AS customers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "%"
FROM (SELECT customer_id, crm.window_funnel('30 days', 'strict_order', occurred_at, event_type = 'view',
             event_type = 'cart', event_type = 'checkout', event_type = 'purchase') AS level
      FROM crm_demo.events GROUP BY customer_id) x
GROUP BY level ORDER BY level;

\echo -- 3. Visits: sessions of a customer split by 30 minutes without an event (session_number),
\echo --    and customers with a purchase at least a day after a view (sequence_match with a time bound)
SELECT count(DISTINCT (customer_id, visit)) AS visits, count(DISTINCT session_id) AS generator_sessions,
       round(avg(visit)::numeric, 2) AS avg_visit_number
FROM (SELECT customer_id, session_id,
             crm.session_number(occurred_at, '30 minutes') OVER (PARTITION BY customer_id ORDER BY occurred_at, event_id) AS visit
      FROM crm_demo.events) x;
SELECT count(*) FILTER (WHERE came_back) AS viewed_then_bought_after_a_day, count(*) AS customers
FROM (SELECT customer_id, crm.sequence_match('(?1)(?t>=86400)(?2)', occurred_at,
                                             event_type = 'view', event_type = 'purchase') AS came_back
      FROM crm_demo.events GROUP BY customer_id) x;

\echo -- 4. Monthly cohorts of first purchase (2023), share of the cohort buying again in month 1..6 (%)
SELECT to_char(cohort, 'YYYY-MM') AS cohort, max(cohort_size) AS customers,
       round(100 * max(rate) FILTER (WHERE period = 1)::numeric, 1) AS m1,
       round(100 * max(rate) FILTER (WHERE period = 2)::numeric, 1) AS m2,
       round(100 * max(rate) FILTER (WHERE period = 3)::numeric, 1) AS m3,
       round(100 * max(rate) FILTER (WHERE period = 4)::numeric, 1) AS m4,
       round(100 * max(rate) FILTER (WHERE period = 5)::numeric, 1) AS m5,
       round(100 * max(rate) FILTER (WHERE period = 6)::numeric, 1) AS m6
FROM crm.cohort_retention('SELECT customer_id, ordered_at FROM crm_demo.orders', 'month', 'on', '2025-01-01')
WHERE cohort < '2024-01-01'
GROUP BY cohort ORDER BY cohort;

\echo -- 5. Top paths up to the first purchase (first 6 events of each buying customer)
SELECT array_to_string(path, ' > ') AS path, journeys AS customers, round(100 * share::numeric, 1) AS "%"
FROM crm.top_paths($$SELECT e.customer_id, e.occurred_at, e.event_type FROM crm_demo.events e
                     JOIN (SELECT customer_id, min(occurred_at) AS first_buy FROM crm_demo.events
                           WHERE event_type = 'purchase' GROUP BY customer_id) f USING (customer_id)
                     WHERE e.occurred_at <= f.first_buy$$, 6, 8);

\echo -- 6. First moves of the customer journeys (the data of a Sankey diagram), steps 1-2
SELECT * FROM crm.path_transitions('SELECT customer_id, occurred_at, event_type FROM crm_demo.events', 2)
WHERE journeys >= 100;
