\echo ================================================================
\echo Churn trees: readable rules, boosted trees, and why one customer scores high
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- 1. The churn table of the previous part, rebuilt: one row per customer as of 2024-07-05 and
\echo --    the label "no order in the 180 days after".
CREATE TEMP TABLE churn_2024 AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
       ('2024-07-05'::date - c.signup_at::date) AS tenure_days, c.channel, c.country,
       NOT EXISTS (SELECT FROM crm_demo.orders o
                   WHERE o.customer_id = c.customer_id AND o.ordered_at >= '2024-07-05') AS churned
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2024-07-05') AS s
      FROM crm_demo.orders WHERE ordered_at < '2024-07-05' GROUP BY customer_id) r USING (customer_id);

\echo -- 2. A decision tree of depth 3 on 70 % of the customers, and its rules, most churn first:
CREATE TEMP TABLE churn_models AS
SELECT 'decision tree, depth 3' AS kind, crm.decision_tree(
         'SELECT churned, recency_days, frequency, avg_order, tenure_days, channel, country
          FROM churn_2024 WHERE NOT crm.hash_split(customer_id::text, 0.3)', 3, 50) AS model;
SELECT leaf, rule, rows, round(prediction::numeric, 3) AS churn_rate, class
FROM churn_models, crm.tree_rules(model)
ORDER BY prediction DESC;
SELECT feature, round(importance::numeric, 3) AS importance
FROM churn_models, crm.feature_importance(model) ORDER BY importance DESC;

\echo -- 3. Boosted trees (100 trees of depth 3) and the logistic regression on the same customers,
\echo --    and the test AUC of the three kinds on the 30 % held out:
INSERT INTO churn_models
SELECT 'boosted trees, 100 x depth 3', crm.boosted_trees(
         'SELECT churned, recency_days, frequency, avg_order, tenure_days, channel, country
          FROM churn_2024 WHERE NOT crm.hash_split(customer_id::text, 0.3)')
UNION ALL
SELECT 'logistic regression', crm.logistic_regression(
         'SELECT churned, recency_days, frequency, avg_order, tenure_days, channel, country
          FROM churn_2024 WHERE NOT crm.hash_split(customer_id::text, 0.3)');
SELECT m.kind,
       (SELECT round(crm.auc(crm.predict(m.model, c), c.churned)::numeric, 4)
        FROM churn_2024 c WHERE crm.hash_split(c.customer_id::text, 0.3)) AS test_auc,
       round((crm.model_json(m.model)->'training'->>'training_ms')::numeric) AS training_ms
FROM churn_models m ORDER BY test_auc DESC;

\echo -- 4. Today (2025-01-01): the active customer the boosted trees put most at risk, and why
\echo --    (exact TreeSHAP contributions to the log-odds; with the base value they add up to it):
CREATE TEMP TABLE customers_now AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
       ('2025-01-01'::date - c.signup_at::date) AS tenure_days, c.channel, c.country
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2025-01-01') AS s
      FROM crm_demo.orders GROUP BY customer_id) r USING (customer_id)
WHERE (s).recency_days < 180;
CREATE TEMP TABLE top_risk AS
SELECT c.*, crm.predict(m.model, c) AS churn_probability
FROM customers_now c, (SELECT model FROM churn_models WHERE kind LIKE 'boosted%') m
ORDER BY churn_probability DESC, customer_id LIMIT 1;
SELECT customer_id, recency_days, frequency, avg_order, tenure_days, channel, country,
       round(churn_probability::numeric, 3) AS churn_probability
FROM top_risk;
SELECT e.feature, e.value, round(e.contribution::numeric, 3) AS contribution
FROM (SELECT model FROM churn_models WHERE kind LIKE 'boosted%') m, top_risk t,
     LATERAL crm.explain(m.model, t) e;
