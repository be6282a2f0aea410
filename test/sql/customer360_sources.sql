-- The sources of the customer 360 job on the generated data (schema
-- crm_demo, test/datagen): the churn model (trained on the state of
-- 2024-07-05, labelled by the next 180 days), the features of every customer
-- as of 2025-01-01 for scoring, and the association rules of the orders.
-- Used by test/t/960_customer360_cron.sh, test/t/980_load.sh and
-- test/bench/load.sh; the job itself is in test/sql/customer360_call.sql.
SET timezone = 'UTC';
CREATE TABLE c360_train AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
	   ('2024-07-05'::date - c.signup_at::date) AS tenure_days, c.channel, c.country,
	   NOT EXISTS (SELECT FROM crm_demo.orders o
				   WHERE o.customer_id = c.customer_id AND o.ordered_at >= '2024-07-05') AS churned
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2024-07-05') AS s
	  FROM crm_demo.orders WHERE ordered_at < '2024-07-05' GROUP BY customer_id) r USING (customer_id);
CREATE TABLE c360_model AS
SELECT crm.logistic_regression('SELECT churned, recency_days, frequency, avg_order, tenure_days, channel, country
								FROM c360_train') AS model;
CREATE TABLE c360_features AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
	   ('2025-01-01'::date - c.signup_at::date) AS tenure_days, c.channel, c.country
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2025-01-01') AS s
	  FROM crm_demo.orders GROUP BY customer_id) r USING (customer_id);
ALTER TABLE c360_features ADD PRIMARY KEY (customer_id);
CREATE TABLE c360_rules AS
SELECT * FROM crm.association_rules(
	'SELECT ol.order_id, p.name FROM crm_demo.order_lines ol
	 JOIN crm_demo.products p USING (product_id) WHERE ol.quantity > 0', 0.001, 0.2);
-- stored purchase profiles for the interactive "similar customers" lookup
CREATE TABLE c360_profiles AS
SELECT o.customer_id, crm.purchase_profile(l.product_id, l.quantity) AS p
FROM crm_demo.order_lines l JOIN crm_demo.orders o USING (order_id) WHERE l.quantity > 0 GROUP BY o.customer_id;
ALTER TABLE c360_profiles ADD PRIMARY KEY (customer_id);
CREATE TABLE c360_postings AS
SELECT e.item, crm.purchase_profile(s.customer_id::int, e.w) AS postings
FROM c360_profiles s,
	 unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w)
GROUP BY e.item;
ALTER TABLE c360_postings ADD PRIMARY KEY (item);
ANALYZE c360_features;
ANALYZE c360_profiles;
ANALYZE c360_postings;
