-- Operations: the customer 360 table (README "Operations").  A DBA schedules
-- this CALL with pg_cron (SELECT cron.schedule('customer-360', '0 3 * * *',
-- $$CALL crm.refresh_customer_360(...)$$)); it builds the new table beside
-- the old one and swaps it in at commit, so readers never see half a table.
-- Here it runs once, for the first 2,000 customers (the whole 20,000 take
-- about half a minute on 2 cores).
SET timezone = 'UTC';
-- its sources: a churn model, the features to score, the basket rules
CREATE TEMP TABLE c360_train AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
	   ('2024-07-05'::date - c.signup_at::date) AS tenure_days, c.channel, c.country,
	   NOT EXISTS (SELECT FROM crm_demo.orders o
				   WHERE o.customer_id = c.customer_id AND o.ordered_at >= '2024-07-05') AS churned
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2024-07-05') AS s
	  FROM crm_demo.orders WHERE ordered_at < '2024-07-05' GROUP BY customer_id) r USING (customer_id);
CREATE TEMP TABLE c360_model AS
SELECT crm.logistic_regression('SELECT churned, recency_days, frequency, avg_order, tenure_days, channel, country
								FROM c360_train') AS model;
CREATE TEMP TABLE c360_features AS
SELECT c.customer_id, (s).recency_days, (s).frequency, round((s).avg_order_value, 2)::float8 AS avg_order,
	   ('2025-01-01'::date - c.signup_at::date) AS tenure_days, c.channel, c.country
FROM crm_demo.customers c
JOIN (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2025-01-01') AS s
	  FROM crm_demo.orders GROUP BY customer_id) r USING (customer_id);
ALTER TABLE c360_features ADD PRIMARY KEY (customer_id);
CREATE TEMP TABLE c360_rules AS
SELECT * FROM crm.association_rules(
	'SELECT ol.order_id, p.name FROM crm_demo.order_lines ol
	 JOIN crm_demo.products p USING (product_id) WHERE ol.quantity > 0', 0.001, 0.2);

CALL crm.refresh_customer_360(
	target => 'crm_demo.customer_360',
	orders_query => 'SELECT customer_id, ordered_at, amount FROM crm_demo.orders WHERE customer_id <= 2000',
	items_query => 'SELECT o.customer_id, p.name, l.quantity FROM crm_demo.order_lines l
					JOIN crm_demo.orders o USING (order_id) JOIN crm_demo.products p USING (product_id)
					WHERE l.quantity > 0 AND o.customer_id <= 2000',
	model_query => 'SELECT model FROM c360_model',
	churn_features => 'c360_features',
	rules => 'c360_rules',
	as_of => '2025-01-01',
	segments => 4,
	seed => 42);

-- one row per customer, every capability side by side: the three most at risk
SELECT customer, rfm_segment, kmeans_segment, round(churn_probability::numeric, 3) AS churn,
	   churn_reasons, round(p_alive::numeric, 3) AS p_alive, round(clv::numeric, 2) AS clv,
	   cross_sell_item, similar_customers, deviation_flag
FROM crm_demo.customer_360
ORDER BY churn_probability DESC NULLS LAST, customer
LIMIT 3;
SELECT count(*) AS customers, count(churn_probability) AS scored, count(cross_sell_item) AS with_offer,
	   count(*) FILTER (WHERE deviation_flag) AS deviating
FROM crm_demo.customer_360;
