-- Partial aggregate states: crm.x_partial -> crm.agg_merge -> crm.x_finish
-- equals crm.x over any split of the rows, states survive their text form,
-- and every aggregate of the catalog is either ready for a distributed
-- engine or computed per group.
SET extra_float_digits = 0;

-- 1. Every aggregate of schema crm and how it distributes.  A new aggregate
--    falls into "MISSING" until it gets a partial form or a reason here.
CREATE TEMP TABLE per_group (name text, reason text);
INSERT INTO per_group VALUES
 ('rfm_summary', 'per customer: grouped by the customer, pushed down whole'),
 ('clv_summary', 'per customer: grouped by the customer, pushed down whole'),
 ('window_funnel', 'per user or session: grouped by it, pushed down whole'),
 ('funnel_times', 'per user or session: grouped by it, pushed down whole'),
 ('sequence_match', 'per user: grouped by the user, pushed down whole'),
 ('sequence_count', 'per user: grouped by the user, pushed down whole');
SELECT p.oid::regprocedure AS aggregate,
	   CASE WHEN to_regprocedure(format('crm.%I(%s)', p.proname || '_partial', oidvectortypes(p.proargtypes))) IS NOT NULL
				THEN 'partial form crm.' || p.proname || '_partial'
			WHEN a.aggtranstype <> 'internal'::regtype AND a.aggcombinefn <> 0
				THEN 'state ' || a.aggtranstype::regtype || ' with combine function ' || a.aggcombinefn::regproc
					 || coalesce('; ' || g.reason, '')
			ELSE coalesce(g.reason, 'MISSING') END AS distributes
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_aggregate a ON a.aggfnoid = p.oid
LEFT JOIN per_group g ON g.name = p.proname
WHERE n.nspname = 'crm' AND p.proname NOT LIKE '%\_partial' AND p.proname <> 'agg_merge'
ORDER BY p.oid::regprocedure::text;

-- 2. Each partial form mirrors its aggregate: same arguments, state
--    crm.agg_state tagged with its name, the generic combine function, the
--    same state size estimate, parallel safe; a finish function returning
--    the aggregate's type.  (No rows: nothing differs.)
SELECT x.oid::regprocedure AS aggregate, pa.oid::regprocedure AS partial, f.oid::regprocedure AS finish
FROM pg_proc x JOIN pg_namespace n ON n.oid = x.pronamespace
JOIN pg_aggregate xa ON xa.aggfnoid = x.oid
JOIN pg_proc pa ON pa.proname = x.proname || '_partial' AND pa.pronamespace = x.pronamespace
			   AND pa.proargtypes = x.proargtypes
JOIN pg_aggregate a ON a.aggfnoid = pa.oid
LEFT JOIN pg_proc f ON f.proname = x.proname || '_finish' AND f.pronamespace = x.pronamespace
WHERE n.nspname = 'crm'
  AND (a.aggtranstype <> 'crm.agg_state'::regtype OR a.aggcombinefn <> 'crm.agg_state_combine'::regproc
	   OR split_part(a.agginitval, ':', 1) <> x.proname OR a.aggtransspace <> xa.aggtransspace
	   OR pa.proparallel <> 's' OR f.oid IS NULL OR f.prorettype <> x.prorettype
	   OR oidvectortypes(f.proargtypes) <> 'crm.agg_state' OR a.aggserialfn <> 0);
SELECT count(*) AS partial_forms FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'crm' AND p.prokind = 'a' AND p.proname LIKE '%\_partial';

-- 3. Single pass against partial states over three parts, merged after a
--    trip through their text form.  Results are compared number by number
--    (states merged in another order sum floating point in another order).
--    k-means seeds from the points in the order it holds them, so merged
--    states give the single-pass centroids when the optimum is unique, as
--    for the parallel aggregate: here three separated blobs.
CREATE FUNCTION close_enough(a text, b text, tol float8 DEFAULT 1e-9) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	WITH x AS (SELECT array_agg(m[1]::float8 ORDER BY i) AS v, regexp_replace(a, '-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?', '#', 'g') AS shape
			   FROM regexp_matches(a, '(-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)', 'g') WITH ORDINALITY r(m, i)),
		 y AS (SELECT array_agg(m[1]::float8 ORDER BY i) AS v, regexp_replace(b, '-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?', '#', 'g') AS shape
			   FROM regexp_matches(b, '(-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)', 'g') WITH ORDINALITY r(m, i))
	SELECT a IS NOT DISTINCT FROM b OR (
		   x.shape = y.shape AND cardinality(x.v) = cardinality(y.v)
		   AND (SELECT bool_and(abs(p - q) <= tol * greatest(1, abs(p), abs(q))) FROM unnest(x.v, y.v) u(p, q)))
	FROM x, y
$$;

CREATE TABLE st_rows AS
SELECT i AS seq, i % 3 AS part,
	   ARRAY[(i * 37 % 19)::float8 + (i % 7) / 10.0, (i * 11 % 7)::float8] AS point,
	   -- three separated blobs: one k-means optimum whatever the order of the points
	   ARRAY[(i % 3) * 100 + (i * 37 % 19) / 10.0, (i % 3) * -50 + (i * 11 % 7) / 10.0] AS blob,
	   (i * 13 % 9) + 1 AS item, (i % 5) + 0.5 AS weight,
	   (i * 7 % 6)::float8 AS frequency,
	   (CASE WHEN i * 7 % 6 = 0 THEN 0 ELSE 20 + (i * 7 % 6) + i % 5 END)::float8 AS recency,
	   (30 + i % 4)::float8 AS t,
	   (10 + (i * 17 % 23) + (i % 3) * 0.25)::float8 AS spend,
	   '2020-01-01'::timestamptz + (i - 1) * interval '1 day' AS day,
	   i % 4 = 0 AS flag, i % 3 = 0 AS treated, (i % 5)::text AS variant
FROM generate_series(1, 600) i;
ANALYZE st_rows;
CREATE TABLE st_profiles AS
SELECT seq % 40 AS id, crm.purchase_profile(item, weight) AS p FROM st_rows GROUP BY 1;
CREATE TABLE st_postings AS
SELECT row_number() OVER (ORDER BY e.item, s.id) AS seq, (row_number() OVER (ORDER BY e.item, s.id)) % 3 AS part,
	   e.item, crm.profile(ARRAY[s.id::int], ARRAY[e.w]) AS postings,
	   crm.profile(ARRAY[s.id::int], ARRAY[crm.profile_size(s.p)::real]) AS jpostings
FROM st_profiles s,
	 unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w);

CREATE TABLE st_cases (aggregate text, args text, src text);
INSERT INTO st_cases VALUES
 ('scaler_fit', 'point', 'st_rows'),
 ('kmeans', 'blob, 3', 'st_rows'),
 ('kmeans', 'blob, 3, 7', 'st_rows'),
 ('kmeans', 'blob, 3, 1, 3', 'st_rows'),
 ('bgnbd_fit', 'frequency, recency, t', 'st_rows'),
 ('bgnbd_fit', 'frequency, recency, t, 0.1', 'st_rows'),
 ('paretonbd_fit', 'frequency, recency, t', 'st_rows'),
 ('gammagamma_fit', 'frequency, spend', 'st_rows'),
 ('gammagamma_fit', 'frequency, spend, 0.1', 'st_rows'),
 ('purchase_profile', 'item, weight', 'st_rows'),
 ('auc', 'spend, flag', 'st_rows'),
 ('classification_metrics', 'spend / 40, flag', 'st_rows'),
 ('classification_metrics', 'spend / 40, flag, 0.6', 'st_rows'),
 ('regression_metrics', 'spend, frequency * 5', 'st_rows'),
 ('ab_test', 'flag, treated', 'st_rows'),
 ('ab_test', 'flag, treated, 0.9', 'st_rows'),
 ('welch_ttest', 'spend, treated', 'st_rows'),
 ('welch_ttest', 'spend, treated, 0.9', 'st_rows'),
 ('cuped_test', 'spend, frequency, treated', 'st_rows'),
 ('cuped_test', 'spend, frequency, treated, 0.9', 'st_rows'),
 ('mann_whitney', 'spend, treated', 'st_rows'),
 ('chi2_test', 'variant, flag', 'st_rows'),
 ('chi2_test', 'variant, flag, false', 'st_rows'),
 ('gini', 'spend', 'st_rows'),
 ('gini', 'spend, true', 'st_rows'),
 ('top_share', 'spend, 0.2', 'st_rows'),
 ('median_abs_deviation', 'spend', 'st_rows'),
 ('holt_winters', 'day, spend, 7', 'st_rows'),
 ('holt_winters', 'day, spend, 7, ''multiplicative''', 'st_rows'),
 ('holt_winters', 'day, spend, 7, ''additive'', 0.3, 0.1, 0.2', 'st_rows'),
 ('profile_candidates', '(SELECT p FROM st_profiles WHERE id = 1), item, postings, 5', 'st_postings'),
 ('profile_candidates_jaccard', '(SELECT p FROM st_profiles WHERE id = 1), item, jpostings, 5', 'st_postings');

CREATE FUNCTION st_compare(c st_cases, OUT single text, OUT merged text, OUT pairwise text, OUT empty_single text,
						   OUT empty_merged text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SELECT crm.%1$I(%2$s)::text FROM %3$s', c.aggregate, c.args, c.src) INTO single;
	-- partial states per part, through text, merged by the aggregate and pairwise
	EXECUTE format('SELECT crm.%1$I_finish(crm.agg_merge(s::text::crm.agg_state))::text,
						   crm.%1$I_finish(crm.agg_state_combine(crm.agg_state_combine(
							   min(s::text) FILTER (WHERE part = 2)::crm.agg_state,
							   min(s::text) FILTER (WHERE part = 0)::crm.agg_state),
							   min(s::text) FILTER (WHERE part = 1)::crm.agg_state))::text
					FROM (SELECT part, crm.%1$I_partial(%2$s ORDER BY seq) AS s FROM %3$s GROUP BY part) p',
				   c.aggregate, c.args, c.src) INTO merged, pairwise;
	-- no rows: the same result, or the same error
	BEGIN
		EXECUTE format('SELECT crm.%1$I(%2$s)::text FROM %3$s WHERE false', c.aggregate, c.args, c.src)
			INTO empty_single;
	EXCEPTION WHEN OTHERS THEN
		empty_single := 'ERROR ' || SQLSTATE || ' ' || SQLERRM;
	END;
	BEGIN
		EXECUTE format('SELECT crm.%1$I_finish(crm.%1$I_partial(%2$s))::text FROM %3$s WHERE false',
					   c.aggregate, c.args, c.src) INTO empty_merged;
	EXCEPTION WHEN OTHERS THEN
		empty_merged := 'ERROR ' || SQLSTATE || ' ' || SQLERRM;
	END;
END $$;

SET client_min_messages = error;	-- the fits on these rows may warn
SELECT c.aggregate, c.args,
	   close_enough(r.single, r.merged) AS merged_equal,
	   close_enough(r.single, r.pairwise) AS pairwise_equal,
	   r.empty_single IS NOT DISTINCT FROM r.empty_merged AS empty_equal,
	   coalesce(left(r.empty_single, 11), 'NULL') AS empty,
	   r.single IS NOT NULL AS has_result
FROM st_cases c, st_compare(c) r
ORDER BY 1, 2;
RESET client_min_messages;

-- 4. The text form round-trips; the binary form is the same bytes; finishing
--    leaves a state unchanged (it can be finished again).
CREATE TABLE st_states AS
SELECT part, crm.chi2_test_partial(variant, flag) AS chi2, crm.kmeans_partial(point, 3, 7) AS km,
	   crm.holt_winters_partial(day, spend, 7) AS hw
FROM st_rows GROUP BY part;
SELECT part, chi2::text::crm.agg_state::text = chi2::text AS text_round_trip,
	   crm.agg_state_send(km) = decode(split_part(km::text, ':', 2), 'base64') AS binary_is_text_bytes,
	   get_byte(crm.agg_state_send(km), 0) AS format_version, get_byte(crm.agg_state_send(km), 1) AS kind,
	   split_part(km::text, ':', 1) AS tag, split_part(hw::text, ':', 1) AS hw_tag
FROM st_states ORDER BY part;
SELECT crm.chi2_test_finish(s) = crm.chi2_test_finish(s) AS finish_twice,
	   s::text = (SELECT crm.agg_merge(chi2 ORDER BY part)::text FROM st_states) AS state_unchanged
FROM (SELECT crm.agg_merge(chi2 ORDER BY part) AS s FROM st_states) x;
-- the empty state of each kind is its INITCOND; merging nothing is NULL
SELECT crm.gini_partial(spend)::text AS empty_gini, crm.agg_merge(NULL::crm.agg_state) AS merge_of_nothing,
	   crm.gini_finish(NULL) AS finish_of_null
FROM st_rows WHERE false;
-- a NULL state is skipped by the merge
SELECT (SELECT crm.chi2_test_finish(crm.agg_merge(s))::text FROM (SELECT chi2 AS s FROM st_states UNION ALL SELECT NULL) x)
	   = (SELECT crm.chi2_test(variant, flag)::text FROM st_rows) AS nulls_skipped;

-- 5. A parallel plan: workers build partial states, the leader merges them.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE st_big AS SELECT (i % 1000)::float8 AS v, ARRAY[(i % 97)::float8, (i % 89)::float8] AS f, i % 7 = 0 AS b
FROM generate_series(1, 30000) i;
ANALYZE st_big;
EXPLAIN (COSTS OFF) SELECT crm.gini_finish(crm.gini_partial(v)), crm.kmeans_finish(crm.kmeans_partial(f, 3)) FROM st_big;
CREATE TABLE st_par AS
SELECT crm.gini_finish(crm.gini_partial(v))::text AS gini, crm.kmeans_finish(crm.kmeans_partial(f, 3))::text AS km,
	   crm.welch_ttest_finish(crm.welch_ttest_partial(v, b))::text AS welch
FROM st_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;
SELECT close_enough(p.gini, s.gini) AS gini, close_enough(p.km, s.km) AS kmeans, close_enough(p.welch, s.welch) AS welch
FROM st_par p, (SELECT crm.gini(v)::text AS gini, crm.kmeans(f, 3)::text AS km, crm.welch_ttest(v, b)::text AS welch
				FROM st_big) s;
RESET max_parallel_workers_per_gather;

-- 6. Errors
SELECT 'junk'::crm.agg_state;
SELECT 'nothing:AQI='::crm.agg_state;
SELECT 'kmeans:not base64!'::crm.agg_state;
SELECT 'kmeans:AQ=='::crm.agg_state;			-- one byte: no kind
SELECT 'kmeans:AgI='::crm.agg_state;			-- format version 2
SELECT 'kmeans:AR4='::crm.agg_state;			-- kind 30 does not exist
SELECT 'kmeans:AQE='::crm.agg_state;			-- the bytes of a scaler_fit state
SELECT 'kmeans:AQIAAA=='::crm.agg_state;		-- a truncated k-means payload
SELECT 'gini:AQ8BAAAAAAAAAAAAAAAAAAAAAAU='::crm.agg_state;	-- a value list claiming more values than it holds
SELECT crm.kmeans_finish(chi2) FROM st_states WHERE part = 0;
SELECT crm.agg_merge(s) FROM (SELECT chi2 AS s FROM st_states UNION ALL SELECT km FROM st_states) x;
SELECT crm.agg_state_combine(chi2, hw) FROM st_states WHERE part = 0;
SELECT crm.kmeans_finish(crm.agg_merge(s))
FROM (SELECT crm.kmeans_partial(point, 3) AS s FROM st_rows UNION ALL SELECT crm.kmeans_partial(point, 4) FROM st_rows) x;
SELECT crm.kmeans_partial_transfn('kmeans:AQI=', '{1,2}', 2);
-- an aggregate declared over the wrong transition function cannot mix kinds
CREATE AGGREGATE wrong_kind(float8, boolean) (SFUNC = crm.auc_partial_transfn, STYPE = crm.agg_state,
											   INITCOND = 'gini:AQ8=');
SELECT wrong_kind(v, b) FROM st_big;
DROP AGGREGATE wrong_kind(float8, boolean);

DROP FUNCTION st_compare(st_cases);
DROP FUNCTION close_enough(text, text, float8);
DROP TABLE st_cases, st_rows, st_profiles, st_postings, st_states, st_big, st_par, per_group;
