-- Every aggregate of the extension as a running window aggregate.
--
-- In a window with ORDER BY, PostgreSQL keeps one transition state, adds a
-- row and calls the final function again after every row: a final function
-- that changes or frees its state gives wrong answers from then on.  Each
-- case below computes the aggregate as agg(...) OVER (ORDER BY seq) and
-- compares every row with the same aggregate computed from scratch over that
-- prefix (agg(... ORDER BY seq) over the rows of the frame).  The window
-- orders by g = greatest(seq, 3), so that the first frame holds three rows
-- (k-means with k = 2 or 3 needs as many points); within a frame the rows
-- come in seq order on both sides.
-- The list must name every aggregate of schema crm: a new aggregate without
-- a case here fails this test.  The partial forms crm.x_partial (aggstate.sql)
-- take the cases of their aggregate, and compare the text of their states.
SET extra_float_digits = 0;

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

-- every aggregate of schema crm has a case
SELECT p.oid::regprocedure AS aggregate_without_a_case
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'crm' AND p.prokind = 'a'
  AND p.oid NOT IN (SELECT aggregate FROM agg_cases)
ORDER BY 1;

-- rows where the running window aggregate differs from the aggregate of the prefix
CREATE FUNCTION agg_window_mismatches(c agg_cases) RETURNS TABLE (rows bigint, mismatches bigint, nulls bigint)
LANGUAGE plpgsql AS $$
DECLARE
	fn text := (SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname)
				FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = c.aggregate);
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT count(*), count(*) FILTER (WHERE w.v IS DISTINCT FROM s.v), count(*) FILTER (WHERE w.v IS NULL)
		 FROM (SELECT g, (%1$s(%2$s) OVER (ORDER BY g))::text AS v
			   FROM (SELECT * FROM %3$s ORDER BY g, seq) o) w
		 CROSS JOIN LATERAL (SELECT (%1$s(%2$s ORDER BY seq))::text AS v FROM %3$s x WHERE x.g <= w.g) s',
		fn, c.args, c.src);
END $$;

-- (the fits on these few rows do not converge: their warnings are not the point)
SET client_min_messages = error;
SELECT c.aggregate, m.rows, m.mismatches, m.nulls
FROM agg_cases c, agg_window_mismatches(c) m
ORDER BY c.aggregate::text;
RESET client_min_messages;

-- the use-after-free of the review: clv_summary's final function merged the
-- days of its state through a shallow copy and freed numerics the state
-- still owned; the running total then went wrong.  Here by hand: days 1, 2
-- and 1 again (unsorted tail), amounts with 12 decimals and of 10^16.
SELECT seq, (crm.clv_summary(ts, amount, '2024-01-10', '1 day') OVER (ORDER BY seq)).*
FROM (VALUES (1, '2024-01-02 10:00'::timestamptz, 1.000000000001),
			 (2, '2024-01-01 10:00', 10000000000000000.5),
			 (3, '2024-01-02 11:00', 2.000000000002),
			 (4, '2024-01-01 12:00', 0.000000000003),
			 (5, '2024-01-04 12:00', 4.5)) v(seq, ts, amount)
ORDER BY seq;

DROP FUNCTION agg_window_mismatches(agg_cases);
DROP VIEW agg_rows_few;
DROP TABLE agg_states, agg_cases, agg_postings, agg_profiles, agg_rows;
