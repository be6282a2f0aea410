\echo ================================================================
\echo k-means: customer segments from scaled RFM features
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- Features per customer as of 2025-01-01: recency in days, log of the number of orders, log of the total spend.
CREATE TEMP TABLE km_features AS
SELECT customer_id, (s).recency_days, (s).frequency, (s).monetary,
       ARRAY[(s).recency_days, ln((s).frequency), ln(greatest((s).monetary, 1))]::float8[] AS f
FROM (SELECT customer_id, crm.rfm_summary(ordered_at, amount, '2025-01-01') AS s
      FROM crm_demo.orders GROUP BY customer_id) x
WHERE s IS NOT NULL;

\echo -- The z-score scaling model (row 1: means, row 2: standard deviations), kept to scale new rows the same way:
CREATE TEMP TABLE km_scaler AS SELECT crm.scaler_fit(f) AS model FROM km_features;
SELECT round(model[1][1]::numeric, 1) AS mean_recency, round(model[2][1]::numeric, 1) AS sd_recency,
       round(model[1][2]::numeric, 3) AS mean_ln_orders, round(model[2][2]::numeric, 3) AS sd_ln_orders,
       round(model[1][3]::numeric, 3) AS mean_ln_spend, round(model[2][3]::numeric, 3) AS sd_ln_spend
FROM km_scaler;

\echo -- Choosing k (seed 42 as below): inertia falls with k; a higher simplified silhouette means better separated segments.
SELECT k, round(inertia::numeric, 1) AS inertia, round(simplified_silhouette::numeric, 3) AS simplified_silhouette
FROM crm.kmeans_evaluate('SELECT crm.scaler_apply(f, (SELECT model FROM km_scaler)) FROM km_features', 2, 7, 42)
ORDER BY k;

\echo -- Train k = 4 (a parallel aggregate; seed 42, 10 restarts) and store the segment of every customer:
CREATE TEMP TABLE km_model AS
SELECT crm.kmeans(crm.scaler_apply(f, model), 4, 42) AS centroids FROM km_features, km_scaler;
CREATE TEMP TABLE km_segments AS
SELECT customer_id, recency_days, frequency, monetary,
       crm.closest_centroid(crm.scaler_apply(f, model), centroids) AS segment
FROM km_features, km_scaler, km_model;

\echo -- Segment sizes and profiles; the centroid is shown back in original units with crm.scaler_inverse:
SELECT s.segment, count(*) AS customers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct,
       round(avg(recency_days)) AS avg_recency_days, round(avg(frequency), 1) AS avg_orders,
       round(avg(monetary), 2) AS avg_spend, round(sum(monetary) / sum(sum(monetary)) OVER () * 100, 1) AS pct_revenue,
       round(c.centroid[1]::numeric) AS centroid_recency, round(exp(c.centroid[2])::numeric, 1) AS centroid_orders,
       round(exp(c.centroid[3])::numeric, 2) AS centroid_spend
FROM km_segments s
JOIN (SELECT cl.cluster, cl.centroid
      FROM km_model, km_scaler, crm.kmeans_centroids(crm.scaler_inverse(centroids, model)) cl) c ON c.cluster = s.segment
GROUP BY s.segment, c.centroid ORDER BY s.segment;

\echo -- Model quality: inertia of the model on the training data, and the customers farthest from their segment:
SELECT round(crm.kmeans_inertia(crm.scaler_apply(f, model), centroids)::numeric, 1) AS inertia
FROM km_features, km_scaler, km_model;
SELECT customer_id, recency_days, frequency, monetary,
       round(crm.centroid_distance(crm.scaler_apply(f, model), centroids)::numeric, 2) AS distance_to_segment
FROM km_features, km_scaler, km_model
ORDER BY distance_to_segment DESC, customer_id LIMIT 5;

\echo -- The segments against the behaviour groups the generator planted (customer_truth):
SELECT t.group_name, count(*) FILTER (WHERE s.segment = 1) AS seg_1, count(*) FILTER (WHERE s.segment = 2) AS seg_2,
       count(*) FILTER (WHERE s.segment = 3) AS seg_3, count(*) FILTER (WHERE s.segment = 4) AS seg_4
FROM km_segments s JOIN crm_demo.customer_truth t USING (customer_id)
GROUP BY t.group_name ORDER BY t.group_name;

\echo -- Assigning a new customer exactly as training scaled the data (recency 12 days, 9 orders, 1500 spent):
SELECT crm.closest_centroid(crm.scaler_apply(ARRAY[12, ln(9), ln(1500)], model), centroids) AS segment
FROM km_scaler, km_model;

\echo -- Segmenting on the profile attributes of the customers (age, income, spending score) instead:
\echo -- these separate the planted groups almost perfectly (each group falls into one segment):
CREATE TEMP TABLE km_profile AS
SELECT customer_id, ARRAY[age, annual_income_k, spending_score]::float8[] AS f FROM crm_demo.customers;
CREATE TEMP TABLE km_profile_scaler AS SELECT crm.scaler_fit(f) AS model FROM km_profile;
CREATE TEMP TABLE km_profile_model AS
SELECT crm.kmeans(crm.scaler_apply(f, model), 4, 42) AS centroids FROM km_profile, km_profile_scaler;
SELECT t.group_name,
       count(*) FILTER (WHERE s = 1) AS seg_1, count(*) FILTER (WHERE s = 2) AS seg_2,
       count(*) FILTER (WHERE s = 3) AS seg_3, count(*) FILTER (WHERE s = 4) AS seg_4
FROM (SELECT customer_id, crm.closest_centroid(crm.scaler_apply(f, model), centroids) AS s
      FROM km_profile, km_profile_scaler, km_profile_model) x
JOIN crm_demo.customer_truth t USING (customer_id)
GROUP BY t.group_name ORDER BY t.group_name;
SELECT cl.cluster AS segment, round(cl.centroid[1]::numeric) AS age, round(cl.centroid[2]::numeric) AS income_k,
       round(cl.centroid[3]::numeric) AS spending_score
FROM km_profile_model, km_profile_scaler, crm.kmeans_centroids(crm.scaler_inverse(centroids, model)) cl;
