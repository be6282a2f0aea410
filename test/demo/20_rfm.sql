\echo ================================================================
\echo RFM: recency, frequency and monetary value per customer
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- The RFM measures of the ten biggest spenders, as of the end of the data (one aggregate per customer):
SELECT customer_id, (s).recency_days, (s).frequency, (s).monetary, (s).tenure_days,
       round((s).avg_order_value, 2) AS avg_order_value
FROM (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2025-01-01') AS s
      FROM crm_demo.orders GROUP BY customer_id) x
ORDER BY (s).monetary DESC LIMIT 10;

\echo -- Scores 1..5 and segments for every customer; how many customers and how much revenue each segment holds:
SELECT segment, count(*) AS customers,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct_customers,
       round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 1) AS pct_revenue,
       round(avg(recency_days)) AS avg_recency_days, round(avg(frequency), 1) AS avg_orders
FROM crm.rfm_scores('SELECT customer_id, ordered_at, amount FROM crm_demo.orders', '2025-01-01')
GROUP BY segment ORDER BY pct_revenue DESC;

\echo -- The champions to thank first:
SELECT customer, recency_days, frequency, monetary, rfm_cell
FROM crm.rfm_scores('SELECT customer_id, ordered_at, amount FROM crm_demo.orders', '2025-01-01')
WHERE segment = 'Champions' ORDER BY monetary DESC LIMIT 5;

\echo -- Segment migration: where the customers of each segment on 2024-07-01 stood six months later:
WITH h1 AS (SELECT customer, segment FROM crm.rfm_scores('SELECT customer_id, ordered_at, amount FROM crm_demo.orders', '2024-07-01')),
     h2 AS (SELECT customer, segment FROM crm.rfm_scores('SELECT customer_id, ordered_at, amount FROM crm_demo.orders', '2025-01-01'))
SELECT h1.segment AS segment_2024_07,
       count(*) FILTER (WHERE h2.segment IN ('Champions', 'Loyal Customers')) AS now_champion_or_loyal,
       count(*) FILTER (WHERE h2.segment IN ('At Risk', 'Cannot Lose Them', 'Hibernating', 'Lost')) AS now_at_risk_or_lost,
       count(*) AS customers
FROM h1 JOIN h2 USING (customer)
GROUP BY 1 ORDER BY customers DESC;
