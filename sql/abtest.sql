-- A/B and campaign statistics: hand-checked cases, parallel plans, running
-- window aggregates, bad input.
SET extra_float_digits = 0;

-- rows of a 2x2 experiment: xt of nt treated and xc of nc control converted
CREATE FUNCTION ab_rows(xt int, nt int, xc int, nc int)
RETURNS TABLE (converted boolean, treated boolean)
LANGUAGE sql AS $$
	SELECT i <= xt, true FROM generate_series(1, nt) i
	UNION ALL
	SELECT i <= xc, false FROM generate_series(1, nc) i
$$;

-- Newcombe (1998), Table II, method 10 (hybrid score): the published limits
--   (a) 56/70-48/80: 0.0524, 0.3339    (b) 9/10-3/10: 0.1705, 0.8090
--   (c) 6/7-2/7: 0.0582, 0.8062        (d) 5/56-0/29: -0.0381, 0.1926
--   (e) 0/10-0/20: -0.1611, 0.2775     (f) 0/10-0/10: -0.2775, 0.2775
--   (g) 10/10-0/20: 0.6791, 1.0000     (h) 10/10-0/10: 0.6075, 1.0000
SELECT ex, round((r).uplift::numeric, 4) AS uplift,
	   round((r).ci_low::numeric, 4) AS ci_low, round((r).ci_high::numeric, 4) AS ci_high
FROM (VALUES ('a', 56, 70, 48, 80), ('b', 9, 10, 3, 10), ('c', 6, 7, 2, 7), ('d', 5, 56, 0, 29),
			 ('e', 0, 10, 0, 20), ('f', 0, 10, 0, 10), ('g', 10, 10, 0, 20), ('h', 10, 10, 0, 10)) v(ex, xt, nt, xc, nc),
	 LATERAL (SELECT crm.ab_test(converted, treated) AS r FROM ab_rows(xt, nt, xc, nc)) a
ORDER BY ex;

-- pooled z by hand for (a): p = 104/150, se = sqrt(p (1 - p) (1/70 + 1/80)) = 0.0754668,
-- z = 0.2 / se = 2.65017, p = 2 (1 - Phi(2.65017)) = 0.0080451
SELECT (r).n_control, (r).n_treated, (r).conversions_control, (r).conversions_treated,
	   round((r).rate_control::numeric, 6) AS rate_c, round((r).rate_treated::numeric, 6) AS rate_t,
	   round((r).relative_uplift::numeric, 6) AS rel, round((r).z::numeric, 5) AS z,
	   round((r).p_value::numeric, 7) AS p
FROM (SELECT crm.ab_test(converted, treated) AS r FROM ab_rows(56, 70, 48, 80)) a;
-- a 99 % interval is wider
SELECT round((r).ci_low::numeric, 4) AS ci_low, round((r).ci_high::numeric, 4) AS ci_high
FROM (SELECT crm.ab_test(converted, treated, 0.99) AS r FROM ab_rows(56, 70, 48, 80)) a;
-- rates of 0 in both groups: the interval is defined, z and p are NaN (as statsmodels)
SELECT (r).uplift, (r).z, (r).p_value, (r).relative_uplift
FROM (SELECT crm.ab_test(converted, treated) AS r FROM ab_rows(0, 10, 0, 20)) a;
-- one group only: counts, NaN statistics; no rows at all: NULL; NULL rows are skipped
SELECT (crm.ab_test(c, true)).* FROM (VALUES (true), (false), (NULL)) v(c);
SELECT crm.ab_test(c, t) IS NULL AS is_null FROM (VALUES (true, NULL::boolean)) v(c, t);

-- the same counts through the plain functions, pooled and unpooled (unpooled by
-- hand: se = sqrt(.8 .2 / 70 + .6 .4 / 80) = 0.0727029, z = 2.75092,
-- Wald interval 0.2 -/+ 1.959964 se = 0.05750, 0.34250)
SELECT pooled, round(rate_a::numeric, 4) AS rate_a, round(rate_b::numeric, 4) AS rate_b,
	   round(difference::numeric, 4) AS difference, round(z::numeric, 5) AS z,
	   round(p_value::numeric, 7) AS p, round(ci_low::numeric, 5) AS ci_low, round(ci_high::numeric, 5) AS ci_high
FROM (VALUES (true), (false)) v(pooled), crm.proportions_ztest(56, 70, 48, 80, pooled);
-- sample size by hand: p1 = .05, p2 = .06: ((1.959964 sqrt(2 .055 .945) + 0.841621 sqrt(.05 .95 + .06 .94)) / .01)^2
-- = 8157.7 -> 8158; a decrease needs its own count; smaller alpha or more power need more
SELECT crm.sample_size(0.05, 0.01) AS n, crm.sample_size(0.06, -0.01) AS n_down,
	   crm.sample_size(0.05, 0.01, 0.01) AS n_alpha01, crm.sample_size(0.05, 0.01, 0.05, 0.9) AS n_power90;

-- Welch by hand: treated 1 2 3 4, control 2 4 6: means 2.5 and 4, s^2 5/3 and 4,
-- v = 5/12 and 4/3, t = -1.5 / sqrt(1.75) = -1.133893, df = 1.75^2 / ((5/12)^2/3 + (4/3)^2/2) = 3.234719
SELECT (r).n_control, (r).n_treated, (r).mean_control, (r).mean_treated, (r).difference,
	   round((r).t::numeric, 6) AS t, round((r).df::numeric, 6) AS df, round((r).p_value::numeric, 6) AS p,
	   round((r).ci_low::numeric, 6) AS ci_low, round((r).ci_high::numeric, 6) AS ci_high
FROM (SELECT crm.welch_ttest(v, t) AS r
	  FROM (VALUES (1, true), (2, true), (3, true), (4, true), (2, false), (4, false), (6, false)) x(v, t)) a;
-- Mann-Whitney by hand on the same values: ranks of 1 2 2 3 4 4 6 are 1 2.5 2.5 4 5.5 5.5 7,
-- treated rank sum 13, U = 13 - 10 = 3, U' = 9, ties 2 and 2: s = sqrt(12/12 (8 - 12/42)) = 2.777460,
-- z = (9 - 6 - 0.5) / s = 0.900103, p = 2 (1 - Phi(z)) = 0.368066
SELECT (r).n_control, (r).n_treated, (r).u, round((r).prob_superiority::numeric, 6) AS prob_sup,
	   round((r).z::numeric, 6) AS z, round((r).p_value::numeric, 6) AS p
FROM (SELECT crm.mann_whitney(v, t) AS r
	  FROM (VALUES (1, true), (2, true), (3, true), (4, true), (2, false), (4, false), (6, false)) x(v, t)) a;
-- all values equal: s = 0, p = 1 (as scipy)
SELECT (crm.mann_whitney(1.0, t)).p_value FROM (VALUES (true), (false), (true)) v(t);
-- chi-square by hand: conversions 10, 20, 30 of 100 each; expected 20 and 80 per variant:
-- chi2 = 100/20 + 100/80 + 0 + 0 + 100/20 + 100/80 = 12.5, dof 2, p = exp(-12.5/2) = 0.00193045
SELECT (r).variants, (r).n, (r).chi2, (r).dof, round((r).p_value::numeric, 8) AS p
FROM (SELECT crm.chi2_test(v, c) AS r
	  FROM (SELECT v, i <= x AS c FROM (VALUES ('a', 10), ('b', 20), ('c', 30)) t(v, x),
				   generate_series(1, 100) i) s) a;
-- 2x2 with Yates (as scipy's default) and without: expected 15/85 per variant,
-- |O - E| = 5 -> 4.5: chi2 = 2 (4.5^2/15 + 4.5^2/85) = 3.1764706; without: 3.9215686
SELECT round((crm.chi2_test(v, c)).chi2::numeric, 7) AS yates,
	   round((crm.chi2_test(v, c, false)).chi2::numeric, 7) AS plain
FROM (SELECT v, i <= x AS c FROM (VALUES ('a', 10), ('b', 20)) t(v, x), generate_series(1, 100) i) s;
-- one variant: chi2 0, p 1; nobody converted: NaN (scipy raises there)
SELECT (crm.chi2_test('a', c)).* FROM (VALUES (true), (false)) v(c);
SELECT (crm.chi2_test(v, false)).* FROM (VALUES ('a'), ('b')) v(v);

-- CUPED by hand: value = 2 covariate + 5 treated, covariate balanced between the
-- groups (treated 1 4 5 8, control 2 3 6 7: both means 4.5), so theta = 2 exactly,
-- the adjusted values are constant per group: difference 5, no variance left
-- (t = Infinity and p = 0 up to rounding, variance_reduction 1); the plain Welch test sees far more noise
SELECT (r).n_control, (r).n_treated, (r).mean_control, (r).mean_treated,
	   round((r).theta::numeric, 9) AS theta, round((r).difference::numeric, 9) AS difference,
	   (r).t > 1e6 AS t_huge, (r).p_value < 1e-12 AS p_tiny,
	   round((r).variance_reduction::numeric, 9) AS variance_reduction
FROM (SELECT crm.cuped_test(2 * x + CASE WHEN t THEN 5 ELSE 0 END, x, t) AS r
	  FROM (VALUES (1, true), (2, false), (3, false), (4, true), (5, true), (6, false), (7, false), (8, true)) v(x, t)) a;
SELECT round((r).t::numeric, 6) AS welch_t, round((r).p_value::numeric, 6) AS welch_p
FROM (SELECT crm.welch_ttest(2 * x + CASE WHEN t THEN 5 ELSE 0 END, t) AS r
	  FROM (VALUES (1, true), (2, false), (3, false), (4, true), (5, true), (6, false), (7, false), (8, true)) v(x, t)) a;
-- a constant covariate: theta and everything after it is NaN
SELECT (r).theta, (r).difference FROM (SELECT crm.cuped_test(v, 1.0, t) AS r
	  FROM (VALUES (1, true), (2, false), (3, false), (4, true)) x(v, t)) a;

-- ---------- parallel plans: forced partial aggregation equals the serial result
CREATE TABLE ab_par AS
SELECT i, i % 3 AS g, hashint4(i) % 7 = 0 AS converted, hashint4(i * 3) % 2 = 0 AS treated,
	   (abs(hashint4(i * 5)) % 1000) / 10.0 + (hashint4(i * 3) % 2 = 0)::int * 2.0 AS value,
	   (abs(hashint4(i * 7)) % 1000) / 10.0 AS pre, 'v' || (abs(hashint4(i * 11)) % 4) AS variant
FROM generate_series(1, 30000) i;
ANALYZE ab_par;
CREATE TEMP TABLE ab_serial AS
SELECT g, crm.ab_test(converted, treated)::text AS ab, crm.chi2_test(variant, converted)::text AS chi2,
	   crm.mann_whitney(value, treated)::text AS mw, crm.welch_ttest(value, treated) AS welch,
	   crm.cuped_test(value, value + pre, treated) AS cuped
FROM ab_par GROUP BY g;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT g, crm.ab_test(converted, treated), crm.chi2_test(variant, converted), crm.mann_whitney(value, treated),
	   crm.welch_ttest(value, treated), crm.cuped_test(value, value + pre, treated)
FROM ab_par GROUP BY g;
CREATE TEMP TABLE ab_parallel AS
SELECT g, crm.ab_test(converted, treated)::text AS ab, crm.chi2_test(variant, converted)::text AS chi2,
	   crm.mann_whitney(value, treated)::text AS mw, crm.welch_ttest(value, treated) AS welch,
	   crm.cuped_test(value, value + pre, treated) AS cuped
FROM ab_par GROUP BY g;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
-- counts-based results are identical; moments merged in another order agree to 1e-12
SELECT count(*) AS groups,
	   count(*) FILTER (WHERE s.ab IS DISTINCT FROM p.ab) AS ab_differs,
	   count(*) FILTER (WHERE s.chi2 IS DISTINCT FROM p.chi2) AS chi2_differs,
	   count(*) FILTER (WHERE s.mw IS DISTINCT FROM p.mw) AS mw_differs,
	   count(*) FILTER (WHERE abs((s.welch).t - (p.welch).t) > 1e-12 * abs((s.welch).t)
					   OR abs((s.welch).ci_low - (p.welch).ci_low) > 1e-12 * abs((s.welch).ci_low)
					   OR (s.welch).n_treated <> (p.welch).n_treated) AS welch_differs,
	   count(*) FILTER (WHERE abs((s.cuped).t - (p.cuped).t) > 1e-12 * abs((s.cuped).t)
					   OR abs((s.cuped).theta - (p.cuped).theta) > 1e-12 * abs((s.cuped).theta)
					   OR abs((s.cuped).ci_high - (p.cuped).ci_high) > 1e-12 * abs((s.cuped).ci_high)) AS cuped_differs
FROM ab_serial s JOIN ab_parallel p USING (g);

-- ---------- running window aggregates: each row equals the aggregate of its prefix
CREATE TABLE ab_win AS SELECT * FROM ab_par WHERE i <= 60;
CREATE TEMP TABLE ab_running AS
SELECT i, crm.ab_test(converted, treated) OVER w AS ab, crm.chi2_test(variant, converted) OVER w AS chi2,
	   crm.mann_whitney(value, treated) OVER w AS mw, crm.welch_ttest(value, treated) OVER w AS welch,
	   crm.cuped_test(value, pre, treated) OVER w AS cuped
FROM ab_win WINDOW w AS (ORDER BY i);
CREATE TEMP TABLE ab_prefix AS
SELECT k AS i,
	   (SELECT crm.ab_test(converted, treated) FROM ab_win WHERE i <= k) AS ab,
	   (SELECT crm.chi2_test(variant, converted) FROM ab_win WHERE i <= k) AS chi2,
	   (SELECT crm.mann_whitney(value, treated) FROM ab_win WHERE i <= k) AS mw,
	   (SELECT crm.welch_ttest(value, treated) FROM (SELECT * FROM ab_win WHERE i <= k ORDER BY i) x) AS welch,
	   (SELECT crm.cuped_test(value, pre, treated) FROM (SELECT * FROM ab_win WHERE i <= k ORDER BY i) x) AS cuped
FROM generate_series(1, 60) k;
SELECT count(*) AS rows_compared,
	   count(*) FILTER (WHERE r.ab::text IS DISTINCT FROM p.ab::text) AS ab_differs,
	   count(*) FILTER (WHERE r.chi2::text IS DISTINCT FROM p.chi2::text) AS chi2_differs,
	   count(*) FILTER (WHERE r.mw::text IS DISTINCT FROM p.mw::text) AS mw_differs,
	   count(*) FILTER (WHERE r.welch::text IS DISTINCT FROM p.welch::text) AS welch_differs,
	   count(*) FILTER (WHERE r.cuped::text IS DISTINCT FROM p.cuped::text) AS cuped_differs,
	   count(*) FILTER (WHERE (r.welch).t IS NOT NULL AND NOT (r.welch).t = 'NaN') AS welch_defined
FROM ab_running r JOIN ab_prefix p USING (i);

-- ---------- bad input
SELECT crm.ab_test(true, true, 0);
SELECT crm.ab_test(true, true, 1);
SELECT crm.ab_test(true, true, NULL);
SELECT crm.ab_test(c, t, conf) FROM (VALUES (true, true, 0.95), (false, false, 0.9)) v(c, t, conf);
SELECT crm.welch_ttest('NaN', true);
SELECT crm.welch_ttest('Infinity', true, 0.95);
SELECT crm.cuped_test(1, 'NaN', true);
SELECT crm.mann_whitney('-Infinity', false);
SELECT crm.chi2_test('a', true, NULL);
SELECT crm.proportions_ztest(-1, 10, 1, 10);
SELECT crm.proportions_ztest(11, 10, 1, 10);
SELECT crm.proportions_ztest(1, 10, 1, 0);
SELECT crm.proportions_ztest(1, 10, 1, 10, true, 1.5);
SELECT crm.sample_size(0, 0.01);
SELECT crm.sample_size(0.05, 0);
SELECT crm.sample_size(0.95, 0.1);
SELECT crm.sample_size(0.05, 0.01, 1);
SELECT crm.sample_size(0.05, 0.01, 0.05, 0);
SELECT crm.sample_size(0.05, 0.01, 'NaN');
