-- Prediction II: decision trees and boosted trees.  Every expected number is
-- worked out independently: by hand on small trees (written out in the
-- comments), by a brute-force search of every split written in SQL, or by a
-- brute-force Shapley computation over every subset of features.
SET extra_float_digits = 0;

------------------------------------------------------------------------------
-- Gini by hand
------------------------------------------------------------------------------
-- x = 1..8, y = f f f t f t t t, z = 1 2 1 2 1 2 1 2.  Root: 4 of 8, Gini
-- 0.5, n x Gini = 4.  x <= 3.5: {fff} 0 + {tfttt} 5 x 0.32 = 1.6; x <= 4.5:
-- 4 x 0.375 x 2 = 3; x <= 5.5: {ffftf} 1.6 + {ttt} 0 = 1.6 (a tie with 3.5:
-- the smallest threshold wins); z <= 1.5: 1.5 + 1.5 = 3.  So x <= 3.5, gain
-- 4 - 1.6 = 2.4.  The right node {4..8} (t f t t t): x <= 4.5: 0 + 4 x 0.375
-- = 1.5; x <= 5.5: {t f} 1 + {ttt} 0 = 1; z <= 1.5: {5 f, 7 t} 1 + {4, 6, 8}
-- 0 = 1, a tie with x <= 5.5: the first column wins.  Gain 1.6 - 1 = 0.6.
CREATE TABLE g8 AS
SELECT i AS x, (ARRAY[false, false, false, true, false, true, true, true])[i] AS y,
	   1 + (i + 1) % 2 AS z
FROM generate_series(1, 8) i;
CREATE TABLE gm AS
SELECT crm.decision_tree('SELECT y, x, z FROM g8', 2, 1) AS m,
	   crm.decision_tree('SELECT y, z, x FROM g8', 2, 1) AS mzx,
	   crm.decision_tree('SELECT y, x, z FROM g8', 1, 1) AS m1;
SELECT leaf, rule, "rows", prediction, class, depth, tree FROM gm, crm.tree_rules(m);
SELECT n->>'id' AS node, n->>'feature' AS feature, n->>'threshold' AS threshold,
	   abs((n->>'gain')::float8 - CASE n->>'id' WHEN '0' THEN 2.4 WHEN '2' THEN 0.6 END) < 1e-12 AS gain_ok,
	   abs((n->>'impurity')::float8 - CASE n->>'id' WHEN '0' THEN 0.5 WHEN '2' THEN 0.32 END) < 1e-12 AS impurity_ok
FROM gm, jsonb_array_elements(crm.model_json(m)->'nodes') n
WHERE n ? 'feature' ORDER BY 1;
-- z first: the tie at the right node goes to z; importance 2.4 : 0.6
SELECT rule, "rows", prediction FROM gm, crm.tree_rules(mzx) ORDER BY leaf;
SELECT feature, round(importance::numeric, 12) AS importance FROM gm, crm.feature_importance(m);
SELECT feature, round(importance::numeric, 12) AS importance FROM gm, crm.feature_importance(mzx);
-- depth 1: the two leaves of the root; predictions are leaf frequencies
SELECT rule, "rows", prediction FROM gm, crm.tree_rules(m1) ORDER BY leaf;
SELECT x, crm.predict(m, g8) AS p, crm.predict_label(m, g8) AS label,
	   crm.predict_probability(m, g8, 'false') AS p_false, crm.predict(m1, g8) AS p1
FROM gm, g8 ORDER BY x;
-- min_leaf 4: only x <= 4.5 and z <= 1.5 keep 4 rows a side (3 each): x wins
SELECT rule, "rows" FROM crm.tree_rules(crm.decision_tree('SELECT y, x, z FROM g8', 3, 4)) ORDER BY leaf;

------------------------------------------------------------------------------
-- entropy by hand: the same data
------------------------------------------------------------------------------
-- Root 1 bit x 8 rows.  x <= 3.5 and x <= 5.5: 5 H(0.8); x <= 4.5: 8 H(0.25).
-- Gain 8 - 5 H(0.8) bits, H(p) = -p log2 p - (1 - p) log2 (1 - p).
SELECT n->>'feature' AS feature, n->>'threshold' AS threshold,
	   abs((n->>'gain')::float8 - (8 - 5 * (-(0.8 * log(2, 0.8) + 0.2 * log(2, 0.2)))::float8)) < 1e-12 AS gain_ok,
	   abs((n->>'impurity')::float8 - 1) < 1e-12 AS impurity_ok,
	   crm.model_json(m)->>'criterion' AS criterion
FROM (SELECT crm.decision_tree('SELECT y, x, z FROM g8', 1, 1, 'entropy') AS m) s,
	 LATERAL (SELECT crm.model_json(m)->'nodes'->0 AS n) r;

------------------------------------------------------------------------------
-- a regression tree by hand
------------------------------------------------------------------------------
-- y = 1 2 3 10 11 12 at x = 1..6: mean 6.5, SSE 125.5; x <= 3.5 leaves 2 + 2:
-- gain 121.5, leaf means 2 and 11.  Depth 2: {1, 2, 3} splits at 1.5 or 2.5
-- (0 + 0.5 either way, gain 1.5): 1.5 wins; the same for {10, 11, 12}.
CREATE TABLE r6 AS SELECT i AS x, (ARRAY[1, 2, 3, 10, 11, 12])[i]::float8 AS y FROM generate_series(1, 6) i;
SELECT rule, "rows", prediction, class FROM crm.tree_rules(crm.decision_tree('SELECT y, x FROM r6', 1, 1)) ORDER BY leaf;
SELECT rule, "rows", prediction FROM crm.tree_rules(crm.decision_tree('SELECT y, x FROM r6', 2, 1)) ORDER BY leaf;
SELECT abs((crm.model_json(m)->'nodes'->0->>'gain')::float8 - 121.5) < 1e-9 AS gain_ok,
	   crm.model_json(m)->>'criterion' AS criterion,
	   crm.predict(m, (SELECT r FROM (SELECT 2.7 AS x) r)) AS at_2_7,
	   crm.predict(m, (SELECT r FROM (SELECT 3.6 AS x) r)) AS at_3_6
FROM (SELECT crm.decision_tree('SELECT y, x FROM r6', 1, 1) AS m) s;

------------------------------------------------------------------------------
-- a categorical feature: the best of all subsets (Breiman's ordering)
------------------------------------------------------------------------------
-- 10 rows per level, positives a 9, b 1, c 8, d 2: the best subset is
-- {b, d} against {a, c}: 20 x 0.5 = 10 down to 2 x 20 x 0.255 = 10.2 - gain 9.8.
CREATE TABLE c4 AS
SELECT i, (i % 10) < CASE l WHEN 'a' THEN 9 WHEN 'b' THEN 1 WHEN 'c' THEN 8 ELSE 2 END AS y, l
FROM generate_series(0, 39) i, LATERAL (SELECT (ARRAY['a', 'b', 'c', 'd'])[1 + i / 10] AS l) s;
CREATE TABLE cm4 AS SELECT crm.decision_tree('SELECT y, l FROM c4', 1, 1) AS m;
SELECT rule, "rows", prediction, class FROM cm4, crm.tree_rules(m) ORDER BY leaf;
SELECT abs((crm.model_json(m)->'nodes'->0->>'gain')::float8 - 9.8) < 1e-12 AS gain_ok,
	   crm.model_json(m)->'nodes'->0->'levels_left' AS levels_left
FROM cm4;
-- an unseen level goes to the larger child (a tie: the left one); NULL level too
SELECT crm.predict(m, r) AS unseen FROM cm4, (SELECT 'zzz' AS l) r;

------------------------------------------------------------------------------
-- brute force: every split of the root on small pseudo-random data
------------------------------------------------------------------------------
-- 300 rows, three numeric features with few distinct values and a
-- categorical one of five levels.  The SQL below tries every threshold
-- between consecutive distinct values and every subset of levels, with
-- min_leaf 7 on both sides, and finds the best Gini (and variance)
-- decrease; the trees' roots must be that split with that gain.
CREATE TABLE rnd AS
SELECT i, ((i * 7919) % 1009) % 3 = 0 OR ((i * 104729) % 97) < 20 AS y,
	   ((i * 7919) % 1009) % 4 + ((i * 31) % 17) / 10.0 AS a,
	   ((i * 613) % 31)::float8 AS b,
	   (((i * 7919) % 1009) % 3) * 1.5 + (i % 7) AS c,
	   (ARRAY['p', 'q', 'r', 's', 't'])[1 + (i * 37 % 101) % 5] AS k,
	   (((i * 7919) % 1009) % 11) + ((i * 613) % 31) / 3.0 AS v
FROM generate_series(1, 300) i;
-- a second class that depends on the category
ALTER TABLE rnd ADD COLUMN y2 boolean;
UPDATE rnd SET y2 = (k IN ('q', 's')) <> ((i * 104729) % 97 < 25);
CREATE TABLE cand AS
WITH num AS (
	SELECT f, val FROM rnd, LATERAL (VALUES ('a', a::float8), ('b', b), ('c', c::float8)) t(f, val)
), thr AS (
	SELECT DISTINCT f, (val + lead(val) OVER (PARTITION BY f ORDER BY val)) / 2 AS t
	FROM (SELECT DISTINCT f, val FROM num) d
), masks AS (
	SELECT m FROM generate_series(1, 15) m		-- level t always on the right
)
SELECT 'num' AS kind, f, t, NULL::int AS mask,
	   array_agg(r.i) FILTER (WHERE CASE f WHEN 'a' THEN r.a WHEN 'b' THEN r.b ELSE r.c END <= t) AS left_rows
FROM thr, rnd r WHERE t IS NOT NULL GROUP BY f, t
UNION ALL
SELECT 'cat', 'k', NULL, m,
	   array_agg(r.i) FILTER (WHERE (m >> (ascii(r.k) - ascii('p'))) & 1 = 1)
FROM masks, rnd r GROUP BY m;
-- classification: n Gini(node) - nL Gini(L) - nR Gini(R), for y and y2
CREATE TABLE gini_best AS
SELECT * FROM (VALUES ('y'), ('y2')) yy(target), LATERAL (
SELECT c.kind, c.f, c.t, c.mask, s.gain
FROM cand c, LATERAL (
	SELECT count(*) FILTER (WHERE l) AS nl, count(*) FILTER (WHERE NOT l) AS nr,
		   count(*) FILTER (WHERE l AND y) AS pl, count(*) FILTER (WHERE NOT l AND y) AS pr
	FROM (SELECT CASE yy.target WHEN 'y' THEN r.y ELSE r.y2 END AS y, r.i = ANY (c.left_rows) AS l FROM rnd r) x) cnt,
	LATERAL (SELECT (300 * (1 - ((cnt.pl + cnt.pr) / 300.0) ^ 2 - (1 - (cnt.pl + cnt.pr) / 300.0) ^ 2)
					 - cnt.nl * (1 - (cnt.pl::float8 / cnt.nl) ^ 2 - (1 - cnt.pl::float8 / cnt.nl) ^ 2)
					 - cnt.nr * (1 - (cnt.pr::float8 / cnt.nr) ^ 2 - (1 - cnt.pr::float8 / cnt.nr) ^ 2))::float8 AS gain) s
WHERE cnt.nl >= 7 AND cnt.nr >= 7
ORDER BY s.gain DESC LIMIT 1) best;
-- regression on v: SSE(node) - SSE(L) - SSE(R)
CREATE TABLE sse_best AS
SELECT c.kind, c.f, c.t, c.mask, s.gain
FROM cand c, LATERAL (
	SELECT count(*) FILTER (WHERE l) AS nl, count(*) FILTER (WHERE NOT l) AS nr,
		   sum(v) FILTER (WHERE l) AS sl, sum(v) FILTER (WHERE NOT l) AS sr
	FROM (SELECT r.v::float8 AS v, r.i = ANY (c.left_rows) AS l FROM rnd r) x) cnt,
	LATERAL (SELECT (cnt.sl ^ 2 / cnt.nl + cnt.sr ^ 2 / cnt.nr - (cnt.sl + cnt.sr) ^ 2 / 300) AS gain) s
WHERE cnt.nl >= 7 AND cnt.nr >= 7
ORDER BY s.gain DESC LIMIT 1;
SELECT 'gini ' || b.target AS criterion, b.kind, b.f, b.t,
	   n->>'feature' = b.f AS same_feature,
	   CASE WHEN b.kind = 'num' THEN (n->>'threshold')::float8 = b.t
			ELSE (SELECT array_agg(x ORDER BY x) FROM jsonb_array_elements_text(n->'levels_left') x)
				 IN ((SELECT array_agg(chr(ascii('p') + j) ORDER BY j) FROM generate_series(0, 4) j WHERE (b.mask >> j) & 1 = 1),
					 (SELECT array_agg(chr(ascii('p') + j) ORDER BY j) FROM generate_series(0, 4) j WHERE (b.mask >> j) & 1 = 0))
	   END AS same_split,
	   abs((n->>'gain')::float8 - b.gain) < 1e-9 AS same_gain
FROM gini_best b,
	 LATERAL (SELECT crm.model_json(crm.decision_tree(format('SELECT %I, a, b, c, k FROM rnd', b.target), 1, 7))->'nodes'->0 AS n) m
UNION ALL
SELECT 'squared_error', b.kind, b.f, b.t, n->>'feature' = b.f,
	   CASE WHEN b.kind = 'num' THEN (n->>'threshold')::float8 = b.t END,
	   abs((n->>'gain')::float8 - b.gain) < 1e-9 * b.gain
FROM sse_best b, LATERAL (SELECT crm.model_json(crm.decision_tree('SELECT v, a, b, c, k FROM rnd', 1, 7))->'nodes'->0 AS n) m;
-- every leaf's prediction is the rate of the training rows that reach it
SELECT bool_and(abs(p - rate) < 1e-12) AS leaf_rates_ok, count(DISTINCT p) AS leaves
FROM (SELECT crm.predict(m, r) AS p, avg(r.y::int) OVER (PARTITION BY crm.predict(m, r)) AS rate
	  FROM rnd r, (SELECT crm.decision_tree('SELECT y, a, b, c, k FROM rnd', 4, 7) AS m) s) x;

------------------------------------------------------------------------------
-- boosted trees by hand
------------------------------------------------------------------------------
-- On c4 (20 of 40 positive): the baseline is logit(0.5) = 0.  First tree,
-- gradients p - y = 0.5 - y, hessians 0.25: {a, c} has 17 positives, G = -7,
-- H = 5, value -G/H x 0.1 = 0.14; {b, d} G = 7, value -0.14; gain
-- 49/5 + 49/5 - 0 = 19.6.
SELECT t->0->>'gain' AS gain, t->0->'levels_left' AS levels_left,
	   abs((t->1->>'value')::float8 - 0.14) < 1e-12 AND abs((t->2->>'value')::float8 + 0.14) < 1e-12 AS values_ok,
	   crm.model_json(m)->>'baseline' AS baseline
FROM (SELECT crm.boosted_trees('SELECT y, l FROM c4', 1, 0.1, 1, 1) AS m) s,
	 LATERAL (SELECT crm.model_json(m)->'trees'->0 AS t) j;
-- squared error: y on r6, baseline the mean 6.5, one stump at 3.5 (gradients
-- f - y: G = 13.5 on the left, H = 3): leaf values -/+ 4.5 x learning rate
-- 0.5 = 2.25, predictions 6.5 -/+ 2.25
SELECT (crm.model_json(m)->>'baseline')::float8 AS baseline,
	   crm.predict(m, (SELECT r FROM (SELECT 2 AS x) r)) AS at_2,
	   crm.predict(m, (SELECT r FROM (SELECT 5 AS x) r)) AS at_5
FROM (SELECT crm.boosted_trees('SELECT y, x FROM r6', 1, 0.5, 1, 1) AS m) s;
-- predictions: the sigmoid of the baseline plus the leaf values
CREATE TABLE bm AS SELECT crm.boosted_trees('SELECT y, a, b, c, k FROM rnd', 30, 0.2, 3, 5) AS m;
SELECT bool_and(abs(crm.predict(m, r) - 1 / (1 + exp(-raw))) < 1e-12) AS sigmoid_ok,
	   bool_and(crm.predict_label(m, r) = (crm.predict(m, r) >= 0.5)::text) AS labels_ok
FROM bm, rnd r,
	 LATERAL (SELECT sum(contribution) AS raw FROM crm.explain(m, r)) e;
SELECT count(DISTINCT tree) AS trees, min(depth) >= 1 AS deep, max(depth) <= 3 AS shallow,
	   bool_and("rows" >= 5) AS min_leaf_ok
FROM bm, crm.tree_rules(m);
SELECT round(sum(importance)::numeric, 12) AS total, bool_and(importance >= 0) AS nonnegative
FROM bm, crm.feature_importance(m);
-- the same call gives the same model; row order does not matter
-- (the trees: the features' means differ in their last bits with the order)
SELECT crm.model_json(m)->'trees' = crm.model_json(crm.boosted_trees('SELECT y, a, b, c, k FROM rnd', 30, 0.2, 3, 5))->'trees' AS same,
	   crm.model_json(m)->'trees' = crm.model_json(crm.boosted_trees('SELECT y, a, b, c, k FROM rnd ORDER BY i DESC', 30, 0.2, 3, 5))->'trees' AS same_reversed
FROM bm;
SELECT crm.model_json(m)->'nodes' = crm.model_json(crm.decision_tree('SELECT y, a, b, c, k FROM rnd ORDER BY i DESC', 5, 5))->'nodes' AS tree_same_reversed
FROM (SELECT crm.decision_tree('SELECT y, a, b, c, k FROM rnd', 5, 5) AS m) s;
-- subsampling and early stopping
SELECT (crm.model_json(m)->'training'->>'trees')::int < 300 AS stopped_early,
	   (crm.model_json(m)->'training'->>'held_out_rows')::int BETWEEN 30 AND 90 AS held_out
FROM (SELECT crm.boosted_trees('SELECT y, a, b, c, k FROM rnd', 300, 0.5, 3, 5, 0.8, 7, 0.2) AS m) s;

------------------------------------------------------------------------------
-- TreeSHAP: contributions add up, and equal a brute-force Shapley computation
------------------------------------------------------------------------------
-- for every row: base value + contributions = the raw output (the
-- probability of a decision tree, the log-odds of boosted trees, the value
-- of a regression tree)
SELECT 'decision tree' AS model,
	   bool_and(abs(raw - crm.predict(m, r)) < 1e-12) AS sums_to_output
FROM (SELECT crm.decision_tree('SELECT y, a, b, c, k FROM rnd', 5, 5) AS m) s, rnd r,
	 LATERAL (SELECT sum(contribution) AS raw FROM crm.explain(m, r)) e
UNION ALL
SELECT 'regression tree', bool_and(abs(raw - crm.predict(m, r)) < 1e-9)
FROM (SELECT crm.decision_tree('SELECT v, a, b, c, k FROM rnd', 5, 5) AS m) s, rnd r,
	 LATERAL (SELECT sum(contribution) AS raw FROM crm.explain(m, r)) e
UNION ALL
SELECT 'boosted trees', bool_and(abs(raw - ln(p / (1 - p))) < 1e-9)
FROM bm, rnd r,
	 LATERAL (SELECT sum(contribution) AS raw FROM crm.explain(m, r)) e,
	 LATERAL (SELECT crm.predict(m, r) AS p) pr;
-- the base value is the training mean of the output
SELECT abs(contribution - (SELECT avg(y::int) FROM rnd)) < 1e-12 AS base_is_mean
FROM crm.explain(crm.decision_tree('SELECT y, a, b, c, k FROM rnd', 5, 5), (SELECT r FROM rnd r LIMIT 1))
WHERE feature = '(base value)';
-- brute force (Lundberg et al. 2018): v(S) follows the features of S and
-- averages the subtrees of the other features by their training rows;
-- phi_i = sum over S without i of |S|! (M - |S| - 1)! / M! (v(S + i) - v(S))
CREATE FUNCTION shap_v(nodes jsonb, node int, x jsonb, s text[]) RETURNS float8
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	n jsonb := nodes->node;
	l jsonb;
	r jsonb;
BEGIN
	IF NOT n ? 'feature' THEN
		RETURN (n->'counts'->>1)::float8 / (n->>'rows')::float8;
	END IF;
	IF n->>'feature' = ANY (s) THEN
		IF (x->>(n->>'feature'))::float8 <= (n->>'threshold')::float8 THEN
			RETURN shap_v(nodes, (n->>'left')::int, x, s);
		END IF;
		RETURN shap_v(nodes, (n->>'right')::int, x, s);
	END IF;
	l := nodes->((n->>'left')::int);
	r := nodes->((n->>'right')::int);
	RETURN ((l->>'rows')::float8 * shap_v(nodes, (n->>'left')::int, x, s)
			+ (r->>'rows')::float8 * shap_v(nodes, (n->>'right')::int, x, s)) / (n->>'rows')::float8;
END $$;
CREATE TABLE st AS SELECT crm.decision_tree('SELECT y, a, b, c FROM rnd', 4, 3) AS m;
SELECT (crm.model_json(m)->'training'->>'depth')::int AS depth,
	   (SELECT count(DISTINCT n->>'feature') FROM jsonb_array_elements(crm.model_json(m)->'nodes') n) AS features_used
FROM st;
CREATE TABLE shap_brute AS
WITH f(name) AS (VALUES ('a'), ('b'), ('c')),
subsets AS (
	SELECT mask, ARRAY(SELECT name FROM (SELECT name, row_number() OVER (ORDER BY name) - 1 AS j FROM f) q
					   WHERE (mask >> j::int) & 1 = 1) AS s
	FROM generate_series(0, 7) mask
)
SELECT r.i, f.name AS feature,
	   sum(CASE cardinality(s.s) WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 2 END / 6.0
		   * (shap_v(crm.model_json(st.m)->'nodes', 0, to_jsonb(r), s.s || f.name)
			  - shap_v(crm.model_json(st.m)->'nodes', 0, to_jsonb(r), s.s))) AS phi
FROM st, rnd r, f, subsets s
WHERE r.i <= 60 AND NOT f.name = ANY (s.s)
GROUP BY r.i, f.name;
SELECT count(*) AS compared, max(abs(e.contribution - b.phi)) < 1e-12 AS equal_brute_force
FROM st, rnd r, crm.explain(st.m, r) e JOIN shap_brute b ON b.feature = e.feature
WHERE r.i <= 60 AND b.i = r.i;
-- by hand: the tree with z first (x <= 3.5, then z <= 1.5 on the right) at
-- x = 5, z = 1 (leaf {5 f, 7 t}: 0.5).  v({}) = 0.5; v({x}) = the right node
-- averaged over z = (2 x 0.5 + 3 x 1) / 5 = 0.8; v({z}) = 3/8 x 0 + 5/8 x 0.5
-- = 0.3125; v({x, z}) = 0.5.  phi_x = ((0.8 - 0.5) + (0.5 - 0.3125)) / 2 =
-- 0.24375, phi_z = -0.24375.
SELECT feature, value, round(contribution::numeric, 10) AS contribution
FROM gm, g8, crm.explain(mzx, g8) WHERE g8.x = 5;

------------------------------------------------------------------------------
-- more than two classes
------------------------------------------------------------------------------
CREATE TABLE m3 AS
SELECT i, (ARRAY['low', 'mid', 'high'])[1 + (i % 30) / 10] AS grade, (i % 30)::float8 AS score,
	   (ARRAY['u', 'v'])[1 + i % 2] AS g
FROM generate_series(1, 90) i;
SELECT rule, "rows", round(prediction::numeric, 4) AS prediction, class
FROM crm.tree_rules(crm.decision_tree('SELECT grade, score, g FROM m3', 3, 5)) ORDER BY leaf;
SELECT crm.predict_label(m, r) AS label, round(crm.predict_probability(m, r, 'mid')::numeric, 4) AS p_mid
FROM (SELECT crm.decision_tree('SELECT grade, score, g FROM m3', 3, 5) AS m) s,
	 (SELECT 14.0 AS score, 'u' AS g) r;
SELECT crm.predict(crm.decision_tree('SELECT grade, score, g FROM m3', 3, 5), (SELECT r FROM (SELECT 14.0 AS score, 'u' AS g) r));
SELECT crm.boosted_trees('SELECT grade, score FROM m3');

------------------------------------------------------------------------------
-- NULLs: numeric NULLs are the training mean, a NULL category is a level,
-- rows with a NULL target are skipped
------------------------------------------------------------------------------
CREATE TABLE nl AS
SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 2 = 0 END AS y,
	   CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 13)::float8 END AS x,
	   CASE WHEN i % 5 = 0 THEN NULL ELSE (ARRAY['a', 'b'])[1 + i % 2] END AS k
FROM generate_series(1, 200) i;
SELECT crm.model_json(m)->'training'->>'rows' AS "rows",
	   crm.model_json(m)->'training'->>'rows_skipped_null_target' AS skipped,
	   rule
FROM (SELECT crm.decision_tree('SELECT y, x, k FROM nl', 1, 5) AS m) s, crm.tree_rules(m);

------------------------------------------------------------------------------
-- feature_importance of regressions: the spread of each term
------------------------------------------------------------------------------
SELECT feature, round(importance::numeric, 6) AS importance
FROM crm.feature_importance(crm.linear_regression('SELECT y, x FROM r6'));

------------------------------------------------------------------------------
-- bad input
------------------------------------------------------------------------------
-- each statement's SQLSTATE, message, detail and hint
CREATE FUNCTION tree_err(q text) RETURNS TABLE (state text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	state := 'no error';
	RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
		hint = PG_EXCEPTION_HINT;
	RETURN NEXT;
END $$;
\pset format unaligned
\pset fieldsep ' | '
\pset footer off
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x FROM g8', 0)$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x FROM g8', 31)$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x FROM g8', 3, 0)$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x FROM g8', 3, 1, 'variance')$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x FROM g8', 3, 1, 'squared_error')$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x FROM g8', NULL)$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree(NULL)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 0)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10001)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, -1)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 'NaN')$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0.1, 0)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0.1, 3, 0)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0.1, 3, 1, 0)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0.1, 3, 1, 1.5)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0.1, 3, 1, 1, 0, 1)$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0.1, 3, 1, 1, 0, 0, 'hinge')$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x FROM g8', 10, 0.1, 3, 1, 1, 0, 0, 'squared_error')$q$);
-- a constant target, a feature with one value, an all-NULL feature
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT true, x FROM g8')$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT 1.0, x FROM g8')$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x, 5 AS five FROM g8')$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x, NULL::float8 AS nothing FROM g8')$q$);
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT y, x, NULL::text AS nothing FROM g8')$q$);
-- no feature, no rows, not a query
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y FROM g8')$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT y, x FROM g8 WHERE false')$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('DELETE FROM g8 RETURNING y, x')$q$);
-- too many levels: boosted trees take 255 (one bin each), the model 1000
SELECT * FROM tree_err($q$SELECT crm.boosted_trees('SELECT i % 2 = 0, (i % 300)::text AS code FROM generate_series(1, 3000) i')$q$);
SELECT * FROM tree_err($q$SELECT crm.decision_tree('SELECT i % 2 = 0, i::text AS code FROM generate_series(1, 3000) i')$q$);
-- tree functions on other kinds
SELECT * FROM tree_err($q$SELECT * FROM crm.tree_rules(crm.linear_regression('SELECT y, x FROM r6'))$q$);
\pset format aligned
\pset footer on
-- a corrupted model: one character changed, truncated, the wrong kind
SELECT overlay(m::text placing (CASE WHEN substr(m::text, 60, 1) = 'A' THEN 'B' ELSE 'A' END) from 60 for 1)::crm.model FROM gm;
SELECT left(m::text, 120)::crm.model FROM gm;
SELECT replace(m::text, 'decision_tree:', 'boosted_trees:')::crm.model FROM gm;
SELECT replace(m::text, 'boosted_trees:', 'decision_tree:')::crm.model FROM bm;
-- a row without a feature column
SELECT crm.predict(m, r) FROM gm, (SELECT 1 AS z) r;

DROP FUNCTION shap_v(jsonb, int, jsonb, text[]), tree_err(text);
DROP TABLE g8, gm, r6, c4, cm4, rnd, cand, gini_best, sse_best, bm, st, shap_brute, m3, nl;
