-- The aggregates of the extension, each with arguments over small tables:
-- the cases of sql/aggregates.sql (every aggregate as a running window
-- aggregate) and of test/t/970_hot_standby.sh (every aggregate on a
-- standby).  A new aggregate needs a case here: both fail without one.
-- Creates agg_rows, agg_rows_few, agg_profiles, agg_postings, agg_states and
-- agg_cases (aggregate, args, src).
CREATE TABLE agg_rows AS
SELECT i AS seq, greatest(i, 3) AS g,
	   -- order times deliberately out of order, the same day several times,
	   -- amounts with more than 8 decimals and of 10^16 and more
	   '2024-01-01'::timestamptz + ((i * 7) % 11) * interval '1 day' + (i % 3) * interval '1 hour' AS ordered_at,
	   CASE WHEN i % 4 = 0 THEN 1e16 + i / 3.0 ELSE round(i * 10.0 / 7, 12) END AS amount,
	   ARRAY[(i * 37 % 19)::float8, (i * 11 % 7)::float8] AS point,
	   (i * 13 % 9) + 1 AS item,
	   (i % 5) + 0.5 AS weight,
	   -- customer summaries: some stopped buying long ago, some are active
	   (i * 7 % 6)::float8 AS frequency,
	   (CASE WHEN i * 7 % 6 = 0 THEN 0 WHEN i % 3 = 0 THEN (i * 7 % 6) * 1.5 + 0.5
			 ELSE 20 + (i * 7 % 6) + i % 5 END)::float8 AS recency,
	   (30 + i % 4)::float8 AS t,
	   (10 + (i * 17 % 23))::float8 AS spend,
	   '2024-01-01'::timestamptz + i * interval '1 day' AS day
FROM generate_series(1, 24) i;

-- fewer rows for the Pareto/NBD fit (numerical gradients: the slowest fit)
CREATE VIEW agg_rows_few AS SELECT * FROM agg_rows WHERE seq <= 12;

-- profiles and posting lists for crm.profile_candidates(_jaccard)
CREATE TABLE agg_profiles AS
SELECT c AS id, crm.purchase_profile(item, weight) AS p
FROM (SELECT seq % 6 AS c, item, weight FROM agg_rows) s GROUP BY c;
CREATE TABLE agg_postings AS
SELECT row_number() OVER (ORDER BY e.item, s.id) AS seq,
	   greatest(row_number() OVER (ORDER BY e.item, s.id), 3) AS g, e.item,
	   crm.purchase_profile(s.id::int, e.w) OVER (PARTITION BY e.item ORDER BY s.id) AS postings,
	   crm.purchase_profile(s.id::int, crm.profile_size(s.p)) OVER (PARTITION BY e.item ORDER BY s.id) AS jpostings
FROM agg_profiles s,
	 unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w);

CREATE TABLE agg_cases (aggregate regprocedure, args text, src text);
INSERT INTO agg_cases VALUES
 ('crm.rfm_summary(timestamptz, numeric, timestamptz)', 'ordered_at, amount, ''2024-02-01''', 'agg_rows'),
 ('crm.rfm_summary(timestamptz, float8, timestamptz)', 'ordered_at, amount::float8, ''2024-02-01''', 'agg_rows'),
 ('crm.clv_summary(timestamptz, numeric, timestamptz, interval)', 'ordered_at, amount, ''2024-02-01'', ''1 day''', 'agg_rows'),
 ('crm.clv_summary(timestamptz, float8, timestamptz, interval)', 'ordered_at, amount::float8, ''2024-02-01'', ''1 day''', 'agg_rows'),
 ('crm.kmeans(float8[], integer)', 'point, 2', 'agg_rows'),
 ('crm.kmeans(float8[], integer, bigint)', 'point, 3, 5', 'agg_rows'),
 ('crm.kmeans(float8[], integer, bigint, integer)', 'point, 2, 1, 3', 'agg_rows'),
 ('crm.kmeans_inertia(float8[], float8[])', 'point, ''{{0,0},{10,5}}''', 'agg_rows'),
 ('crm.scaler_fit(float8[])', 'point', 'agg_rows'),
 ('crm.purchase_profile(integer, float8)', 'item, weight', 'agg_rows'),
 ('crm.profile_candidates(crm.profile, integer, crm.profile, integer)',
  '(SELECT p FROM agg_profiles WHERE id = 1), item, postings, 3', 'agg_postings'),
 ('crm.profile_candidates_jaccard(crm.profile, integer, crm.profile, integer)',
  '(SELECT p FROM agg_profiles WHERE id = 1), item, jpostings, 3', 'agg_postings'),
 ('crm.bgnbd_fit(float8, float8, float8)', 'frequency, recency, t', 'agg_rows'),
 ('crm.bgnbd_fit(float8, float8, float8, float8)', 'frequency, recency, t, 0.1', 'agg_rows'),
 ('crm.paretonbd_fit(float8, float8, float8)', 'frequency, recency, t', 'agg_rows_few'),
 ('crm.paretonbd_fit(float8, float8, float8, float8)', 'frequency, recency, t, 0.1', 'agg_rows_few'),
 ('crm.gammagamma_fit(float8, float8)', 'frequency, spend', 'agg_rows'),
 ('crm.gammagamma_fit(float8, float8, float8)', 'frequency, spend, 0.1', 'agg_rows'),
 ('crm.median_abs_deviation(float8)', 'spend', 'agg_rows'),
 ('crm.holt_winters(timestamptz, float8, integer)', 'day, spend, 1', 'agg_rows'),
 ('crm.holt_winters(timestamptz, float8, integer, text)', 'day, spend, 1, ''additive''', 'agg_rows'),
 ('crm.holt_winters(timestamptz, float8, integer, text, float8, float8, float8)',
  'day, spend, 1, ''additive'', 0.5, NULL, NULL', 'agg_rows'),
 ('crm.gini(float8)', 'spend', 'agg_rows'),
 ('crm.gini(float8, boolean)', 'spend, true', 'agg_rows'),
 ('crm.top_share(float8, float8)', 'spend, 0.2', 'agg_rows'),
 ('crm.window_funnel(interval, timestamptz, boolean[])', '''3 days'', day, item % 3 = 0, item % 3 = 1, item % 3 = 2', 'agg_rows'),
 ('crm.window_funnel(interval, text, timestamptz, boolean[])',
  '''3 days'', ''strict_order'', day, item % 3 = 0, item % 3 = 1, item % 3 = 2', 'agg_rows'),
 ('crm.funnel_times(interval, timestamptz, boolean[])', '''3 days'', day, item % 3 = 0, item % 3 = 1', 'agg_rows'),
 ('crm.funnel_times(interval, text, timestamptz, boolean[])',
  '''3 days'', ''strict_increase'', day, item % 3 = 0, item % 3 = 1', 'agg_rows'),
 ('crm.retention(boolean[])', 'item % 2 = 0, item % 3 = 0, seq > 10', 'agg_rows'),
 ('crm.sequence_match(text, timestamptz, boolean[])', '''(?1).*(?2)'', day, item % 3 = 0, item % 3 = 1', 'agg_rows'),
 ('crm.sequence_count(text, timestamptz, boolean[])', '''(?1)(?2)'', day, item % 3 = 0, item % 3 = 1', 'agg_rows'),
 ('crm.ab_test(boolean, boolean)', 'item > 5, seq % 3 = 0', 'agg_rows'),
 ('crm.ab_test(boolean, boolean, float8)', 'item > 5, seq % 3 = 0, 0.9', 'agg_rows'),
 ('crm.welch_ttest(float8, boolean)', 'spend, seq % 3 = 0', 'agg_rows'),
 ('crm.welch_ttest(float8, boolean, float8)', 'spend, seq % 3 = 0, 0.9', 'agg_rows'),
 ('crm.cuped_test(float8, float8, boolean)', 'spend, frequency, seq % 3 = 0', 'agg_rows'),
 ('crm.cuped_test(float8, float8, boolean, float8)', 'spend, frequency, seq % 3 = 0, 0.9', 'agg_rows'),
 ('crm.mann_whitney(float8, boolean)', 'spend, seq % 3 = 0', 'agg_rows'),
 ('crm.chi2_test(text, boolean)', '(seq % 3)::text, item > 5', 'agg_rows'),
 ('crm.chi2_test(text, boolean, boolean)', '(seq % 2)::text, item > 5, false', 'agg_rows'),
 ('crm.auc(float8, boolean)', 'spend, item > 4', 'agg_rows'),
 ('crm.classification_metrics(float8, boolean)', 'spend / 40, item > 4', 'agg_rows'),
 ('crm.classification_metrics(float8, boolean, float8)', 'spend / 40, item > 4, 0.4', 'agg_rows'),
 ('crm.regression_metrics(float8, float8)', 'spend, frequency * 5', 'agg_rows');

-- the partial forms with the arguments of their aggregate
INSERT INTO agg_cases
SELECT format('%I.%I(%s)', n.nspname, p.proname || '_partial', oidvectortypes(p.proargtypes))::regprocedure,
	   c.args, c.src
FROM agg_cases c JOIN pg_proc p ON p.oid = c.aggregate JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE to_regprocedure(format('%I.%I(%s)', n.nspname, p.proname || '_partial', oidvectortypes(p.proargtypes))) IS NOT NULL;

-- crm.agg_merge over partial states (one per row, of two kinds)
CREATE TABLE agg_states AS
SELECT seq, g, crm.kmeans_partial(point, 2) AS km, crm.chi2_test_partial((seq % 3)::text, item > 5) AS chi2
FROM agg_rows GROUP BY seq, g;
INSERT INTO agg_cases VALUES
 ('crm.agg_merge(crm.agg_state)', 'km', 'agg_states'),
 ('crm.agg_merge(crm.agg_state)', 'chi2', 'agg_states');
