\echo ================================================================
\echo Deviation, future and profit: forecasts, customers off their normal, concentration
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- 1. Monthly revenue and active customers: Holt-Winters (period 12), next 6 months with 95 % intervals
CREATE TEMP TABLE monthly AS
SELECT date_trunc('month', ordered_at) AS month, sum(amount)::float8 AS revenue,
       count(DISTINCT customer_id)::float8 AS active_customers
FROM crm_demo.orders GROUP BY 1;
CREATE TEMP TABLE models AS
SELECT 'revenue' AS measure, crm.holt_winters(month, revenue, 12) AS m FROM monthly
UNION ALL
SELECT 'active customers', crm.holt_winters(month, active_customers, 12) FROM monthly;
SELECT measure, round((m).alpha::numeric, 3) AS alpha, round((m).beta::numeric, 3) AS beta,
       round((m).gamma::numeric, 3) AS gamma, (m).n AS months, round(sqrt((m).sigma2)::numeric, 1) AS residual_sd
FROM models ORDER BY measure;
SELECT measure, f.ts::date AS month, round(f.forecast::numeric) AS forecast,
       round(f.lower::numeric) AS lower_95, round(f.upper::numeric) AS upper_95
FROM models, crm.forecast(m, 6) f ORDER BY measure, f.step;

\echo
\echo -- 2. Customers whose spend in December 2024 fell furthest from their own normal (median and MAD of Jun-Nov)
SELECT customer, current, median, round(mad::numeric, 2) AS mad, round(robust_z::numeric, 2) AS robust_z,
       active_periods
FROM crm.customer_deviation('SELECT customer_id, ordered_at, amount FROM crm_demo.orders',
                            '1 month', '2025-01-01', 6)
WHERE active_periods >= 4 AND robust_z > '-Infinity'
ORDER BY robust_z, customer LIMIT 8;
SELECT count(*) FILTER (WHERE robust_z < -3.5) AS fell_below_z_minus_3_5,
       count(*) FILTER (WHERE robust_z > 3.5) AS rose_above_z_3_5, count(*) AS customers_compared
FROM crm.customer_deviation('SELECT customer_id, ordered_at, amount FROM crm_demo.orders',
                            '1 month', '2025-01-01', 6)
WHERE active_periods >= 4;

\echo
\echo -- 3. Daily revenue anomalies (seasonal hybrid ESD, weekly period)
SELECT ts::date AS day, round(value::numeric) AS revenue, round(expected::numeric) AS expected,
       round(score::numeric, 2) AS score
FROM crm.detect_anomalies('SELECT date_trunc(''day'', ordered_at), sum(amount)
                           FROM crm_demo.orders GROUP BY 1', 7, 0.02)
ORDER BY ts;

\echo
\echo -- 4. Revenue concentration over customers: Gini, top-20 % share, ABC classes
SELECT round(crm.gini(revenue)::numeric, 4) AS gini, round(crm.top_share(revenue, 0.2)::numeric, 4) AS top_20_share,
       count(*) AS customers
FROM (SELECT customer_id, sum(amount)::float8 AS revenue FROM crm_demo.orders GROUP BY customer_id) c;
SELECT class, count(*) AS customers, round(sum(share)::numeric, 4) AS revenue_share
FROM crm.abc_classes('SELECT customer_id, amount FROM crm_demo.orders')
GROUP BY class ORDER BY class;
SELECT point AS population_percent, round(value_share::numeric, 4) AS revenue_share
FROM crm.lorenz_curve('SELECT customer_id, amount FROM crm_demo.orders', 10);
