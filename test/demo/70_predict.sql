\echo ================================================================
\echo Churn scoring: a logistic regression trained, stored and applied in SQL
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- 1. One row per customer as of 2024-07-05, 180 days before the end of the data: RFM measures
\echo --    (crm.rfm_summary), tenure, channel and country, and the label: no order in the 180 days after.
CREATE TEMP TABLE churn_2024 AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
       ('2024-07-05'::date - c.signup_at::date) AS tenure_days, c.channel, c.country,
       NOT EXISTS (SELECT FROM crm_demo.orders o
                   WHERE o.customer_id = c.customer_id AND o.ordered_at >= '2024-07-05') AS churned
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2024-07-05') AS s
      FROM crm_demo.orders WHERE ordered_at < '2024-07-05' GROUP BY customer_id) r USING (customer_id);
SELECT count(*) AS customers, round(100.0 * avg(churned::int), 1) AS pct_churned,
       count(*) FILTER (WHERE crm.hash_split(customer_id::text, 0.3)) AS test_customers
FROM churn_2024;

\echo -- 2. Train on 70 % of the customers (a deterministic split by id) and keep the model in a table:
CREATE TEMP TABLE churn_model AS
SELECT crm.logistic_regression(
         'SELECT churned, recency_days, frequency, avg_order, tenure_days, channel, country
          FROM churn_2024 WHERE NOT crm.hash_split(customer_id::text, 0.3)') AS model;
SELECT feature, level, round(coefficient::numeric, 4) AS coefficient, round(std_error::numeric, 4) AS std_error,
       round(z::numeric, 2) AS z, round(p_value::numeric, 4) AS p_value, round(odds_ratio::numeric, 3) AS odds_ratio
FROM churn_model, crm.model_coefficients(model);
SELECT (j->'training'->>'rows')::int AS rows, (j->'training'->>'iterations')::int AS iterations,
       round((j->'training'->>'log_likelihood')::numeric, 1) AS log_likelihood,
       round((j->'training'->>'pseudo_r_squared')::numeric, 3) AS pseudo_r2, j->'target'->>'positive' AS positive_class
FROM (SELECT crm.model_json(model) AS j FROM churn_model) x;

\echo -- 3. How good is it on the 30 % held out? AUC, metrics at 0.5, and the lift chart by decile:
CREATE TEMP TABLE churn_test AS
SELECT c.customer_id, c.churned, crm.predict(m.model, c) AS p
FROM churn_2024 c, churn_model m WHERE crm.hash_split(c.customer_id::text, 0.3);
SELECT round(auc::numeric, 4) AS test_auc, (m).n, (m).tp, (m).fp, (m).tn, (m).fn,
       round((m).accuracy::numeric, 3) AS accuracy, round((m).precision::numeric, 3) AS precision,
       round((m).recall::numeric, 3) AS recall, round((m).log_loss::numeric, 4) AS log_loss
FROM (SELECT crm.auc(p, churned) AS auc, crm.classification_metrics(p, churned) AS m FROM churn_test) x;
SELECT bin, rows, round(min_score::numeric, 3) AS min_p, round(max_score::numeric, 3) AS max_p,
       round(positives::numeric, 1) AS churners, round(rate::numeric, 3) AS churn_rate,
       round(lift::numeric, 2) AS lift, round(gain::numeric, 3) AS gain
FROM crm.lift_table('SELECT p, churned FROM churn_test', 10);

\echo -- 4. Today (2025-01-01): the 10 active customers most at risk of leaving in the next 180 days.
CREATE TEMP TABLE customers_now AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
       ('2025-01-01'::date - c.signup_at::date) AS tenure_days, c.channel, c.country
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2025-01-01') AS s
      FROM crm_demo.orders GROUP BY customer_id) r USING (customer_id)
WHERE (s).recency_days < 180;
SELECT customer_id, recency_days, frequency, avg_order, tenure_days, channel, country,
       round(crm.predict(m.model, c)::numeric, 3) AS churn_probability
FROM customers_now c, churn_model m
ORDER BY crm.predict(m.model, c) DESC, customer_id LIMIT 10;

\echo -- 5. Why the first of them scores so high (contributions to the log-odds, coefficient x (value - mean)):
SELECT e.feature, e.value, round(e.contribution::numeric, 3) AS contribution
FROM churn_model m,
     LATERAL (SELECT c FROM customers_now c ORDER BY crm.predict(m.model, c) DESC, customer_id LIMIT 1) top,
     LATERAL crm.explain(m.model, top.c) e;
