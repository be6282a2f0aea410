\echo ================================================================
\echo Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma in SQL
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- 1. One summary row per customer (lifetimes conventions, in weeks), as of the end of the data:
CREATE TEMP TABLE clv_customers AS
SELECT customer_id, (s).*
FROM (SELECT customer_id, crm.clv_summary(ordered_at, amount, '2024-12-31', '1 week') AS s
      FROM crm_demo.orders GROUP BY customer_id) x
WHERE s IS NOT NULL;
SELECT customer_id, frequency, round(recency::numeric, 2) AS recency_weeks, round(t::numeric, 2) AS t_weeks,
       round(monetary_value::numeric, 2) AS monetary_value
FROM clv_customers ORDER BY customer_id LIMIT 5;

\echo -- 2. Fit the three models inside the database (one aggregate each):
CREATE TEMP TABLE clv_models AS
SELECT crm.bgnbd_fit(frequency, recency, t) AS bg,
       crm.paretonbd_fit(frequency, recency, t) AS pn,
       crm.gammagamma_fit(frequency, monetary_value) AS gg
FROM clv_customers;
SELECT 'BG/NBD' AS model, round((bg).r::numeric, 3) AS r, round((bg).alpha::numeric, 3) AS alpha,
       round((bg).a::numeric, 3) AS "a / s", round((bg).b::numeric, 3) AS "b / beta",
       round((bg).log_likelihood::numeric, 1) AS log_likelihood, (bg).customers, (bg).converged
FROM clv_models
UNION ALL
SELECT 'Pareto/NBD', round((pn).r::numeric, 3), round((pn).alpha::numeric, 3), round((pn).s::numeric, 3),
       round((pn).beta::numeric, 3), round((pn).log_likelihood::numeric, 1), (pn).customers, (pn).converged
FROM clv_models;
SELECT 'Gamma-Gamma' AS model, round((gg).p::numeric, 3) AS p, round((gg).q::numeric, 3) AS q,
       round((gg).v::numeric, 3) AS v, (gg).customers AS repeat_customers, (gg).converged
FROM clv_models;

\echo -- 3. The planted segments: BG/NBD fitted per true group next to the planted parameters
\echo --    (the generator also lets customers drop out right after their first purchase, so a and b differ):
SELECT g.group_name, (m).customers,
       round((m).r::numeric, 2) AS r, g.r AS true_r, round((m).alpha::numeric, 2) AS alpha, g.alpha AS true_alpha,
       round(((m).r / (m).alpha)::numeric, 3) AS rate_per_week, round((g.r / g.alpha)::numeric, 3) AS true_rate,
       round((m).a::numeric, 2) AS a, g.a AS true_a, round((m).b::numeric, 2) AS b, g.b AS true_b
FROM (SELECT t.true_group, crm.bgnbd_fit(c.frequency, c.recency, c.t) AS m
      FROM clv_customers c JOIN crm_demo.customer_truth t USING (customer_id) GROUP BY 1) x
JOIN crm_demo.group_truth g USING (true_group)
ORDER BY true_group;

\echo -- 4. The most valuable customers: P(alive), expected purchases in the next 26 weeks,
\echo --    expected spend per purchase and 12-month CLV (1% monthly discount), BG/NBD + Gamma-Gamma:
SELECT c.customer_id, c.frequency, round(c.recency::numeric, 1) AS recency, round(c.t::numeric, 1) AS t,
       round(c.monetary_value::numeric, 2) AS avg_spend,
       round(crm.bgnbd_p_alive(bg, c.frequency, c.recency, c.t)::numeric, 3) AS p_alive,
       round(crm.bgnbd_expected_purchases(bg, 26, c.frequency, c.recency, c.t)::numeric, 2) AS purchases_26w,
       round(crm.gammagamma_expected_value(gg, c.frequency, c.monetary_value)::numeric, 2) AS expected_spend,
       round(crm.customer_lifetime_value(bg, gg, c.frequency, c.recency, c.t, c.monetary_value, 12, 0.01, '1 week')::numeric, 2) AS clv_12m,
       round(crm.customer_lifetime_value(pn, gg, c.frequency, c.recency, c.t, c.monetary_value, 12, 0.01, '1 week')::numeric, 2) AS clv_12m_pareto
FROM clv_customers c, clv_models
ORDER BY clv_12m DESC LIMIT 10;

\echo -- 5. Valuable customers who look gone: high past spend, P(alive) below 30% (a win-back list):
SELECT c.customer_id, c.frequency, round(c.recency::numeric, 1) AS recency, round(c.t::numeric, 1) AS t,
       round((c.frequency * c.monetary_value)::numeric, 2) AS repeat_spend,
       round(crm.bgnbd_p_alive(bg, c.frequency, c.recency, c.t)::numeric, 3) AS p_alive,
       t.dropped_out_at::date AS truly_dropped_out
FROM clv_customers c JOIN crm_demo.customer_truth t USING (customer_id), clv_models
WHERE crm.bgnbd_p_alive(bg, c.frequency, c.recency, c.t) < 0.3
ORDER BY c.frequency * c.monetary_value DESC LIMIT 8;

\echo -- 6. Does it predict? Fit on 2023-01-01 .. 2024-06-30, predict the next 26 weeks, compare
\echo --    with the purchase days customers really made (by number of repeat purchases in calibration):
WITH cal AS (
  SELECT customer_id, (crm.clv_summary(ordered_at, amount, '2024-06-30', '1 week')).*
  FROM crm_demo.orders WHERE ordered_at < '2024-07-01' GROUP BY customer_id),
model AS (SELECT crm.bgnbd_fit(frequency, recency, t) AS m FROM cal),
actual AS (
  SELECT customer_id, count(DISTINCT ordered_at::date) AS purchases
  FROM crm_demo.orders WHERE ordered_at >= '2024-07-01' GROUP BY customer_id)
SELECT least(frequency, 7) AS repeat_purchases_in_calibration, count(*) AS customers,
       round(avg(crm.bgnbd_expected_purchases(m, 26.14, frequency, recency, t))::numeric, 2) AS predicted_per_customer,
       round(avg(coalesce(a.purchases, 0)), 2) AS actual_per_customer
FROM cal LEFT JOIN actual a USING (customer_id), model
GROUP BY 1 ORDER BY 1;

\echo -- 7. Expected repeat purchases of a new customer over time (BG/NBD vs Pareto/NBD):
SELECT weeks, round(crm.bgnbd_expected_purchases(bg, weeks)::numeric, 2) AS bgnbd,
       round(crm.paretonbd_expected_purchases(pn, weeks)::numeric, 2) AS paretonbd
FROM clv_models, unnest('{4, 13, 26, 52, 104}'::float8[]) weeks;
