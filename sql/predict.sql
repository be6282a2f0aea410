-- Prediction I: the model value, logistic and linear regression, and their
-- use row by row.  Every expected number is worked out independently: by
-- closed forms for small designs, or checked as a property (contributions
-- adding up, round trips).
SET extra_float_digits = 0;

------------------------------------------------------------------------------
-- logistic regression with one binary feature: the closed-form MLE
------------------------------------------------------------------------------
-- x = 0: 30 positives of 100; x = 1: 60 positives of 100.  The fit
-- reproduces the two rates: b0 = logit(0.3), b1 = logit(0.6) - logit(0.3),
-- se(b0)^2 = 1/30 + 1/70, se(b1)^2 = 1/30 + 1/70 + 1/60 + 1/40 (standard
-- errors come from the information matrix of the last Newton step, which
-- moved no coefficient by 1e-5 of its standard error: exact to ~1e-8).
CREATE TABLE two_by_two AS
SELECT i, (i % 100) < CASE WHEN i <= 100 THEN 30 ELSE 60 END AS bought,
	   CASE WHEN i <= 100 THEN 0 ELSE 1 END AS x,
	   CASE WHEN i <= 100 THEN 'a' ELSE 'b' END AS grp
FROM generate_series(1, 200) i;
CREATE TABLE m2 AS SELECT crm.logistic_regression('SELECT bought, x FROM two_by_two') AS m;
SELECT feature, level,
	   abs(coefficient - CASE feature WHEN 'x' THEN ln(0.6 / 0.4) - ln(0.3 / 0.7) ELSE ln(0.3 / 0.7) END) < 1e-10 AS coef_ok,
	   abs(std_error - CASE feature WHEN 'x' THEN sqrt(1/30.0 + 1/70.0 + 1/60.0 + 1/40.0) ELSE sqrt(1/30.0 + 1/70.0) END) < 1e-8 AS se_ok,
	   abs(z - coefficient / std_error) < 1e-12 AS z_ok,
	   abs(odds_ratio - exp(coefficient)) < 1e-12 AS or_ok,
	   round(p_value::numeric, 6) AS p_value
FROM m2, crm.model_coefficients(m);
-- log-likelihood 30 ln .3 + 70 ln .7 + 60 ln .6 + 40 ln .4; null model at 90/200
SELECT abs((crm.model_json(m)->'training'->>'log_likelihood')::float8
		   - (30 * ln(0.3) + 70 * ln(0.7) + 60 * ln(0.6) + 40 * ln(0.4))) < 1e-9 AS loglik_ok,
	   abs((crm.model_json(m)->'training'->>'null_log_likelihood')::float8
		   - (90 * ln(0.45) + 110 * ln(0.55))) < 1e-9 AS null_loglik_ok,
	   crm.model_json(m)->'training'->'rows' AS rows,
	   crm.model_json(m)->'training'->'converged' AS converged
FROM m2;
-- the same design as a category: treatment coding, 'a' (first in sort order) is the reference
SELECT feature, level, abs(coefficient - CASE WHEN level = 'b' THEN ln(0.6 / 0.4) - ln(0.3 / 0.7) ELSE ln(0.3 / 0.7) END) < 1e-10 AS coef_ok
FROM crm.model_coefficients(crm.logistic_regression('SELECT bought, grp FROM two_by_two'));
-- predictions reproduce the rates; labels at a threshold
SELECT x, round(crm.predict(m, t)::numeric, 10) AS p, crm.predict_label(m, t) AS label,
	   crm.predict_label(m, t, 0.25) AS label_at_025
FROM m2, (SELECT DISTINCT x FROM two_by_two) t ORDER BY x;
-- a text target: the second level in sort order ('yes') is the positive class
SELECT crm.model_json(crm.logistic_regression(
		'SELECT CASE WHEN bought THEN ''yes'' ELSE ''no'' END AS answer, x FROM two_by_two'))->'target' AS target;
-- an integer target 0/1
SELECT level, round(coefficient::numeric, 10) = round((ln(0.6 / 0.4) - ln(0.3 / 0.7))::numeric, 10) AS same
FROM crm.model_coefficients(crm.logistic_regression('SELECT bought::int AS y, x FROM two_by_two')) WHERE feature = 'x';

------------------------------------------------------------------------------
-- linear regression: a case worked by hand
------------------------------------------------------------------------------
-- x = 1..5, y = 2 4 5 4 5: slope Sxy/Sxx = 6/10, intercept 4 - 0.6 * 3 = 2.2,
-- RSS 2.4, sigma^2 = 2.4/3, se(slope) = sqrt(0.8/10), se(intercept) =
-- sqrt(0.8 (1/5 + 9/10)), R^2 = 1 - 2.4/6; p-value of the slope
-- 2 P(T_3 > 2.12132) = 0.124 (R: summary(lm(c(2,4,5,4,5) ~ c(1:5)))).
CREATE TABLE small AS SELECT * FROM (VALUES (1, 2.0), (2, 4.0), (3, 5.0), (4, 4.0), (5, 5.0)) v(x, y);
CREATE TABLE lm1 AS SELECT crm.linear_regression('SELECT y, x FROM small') AS m;
SELECT feature,
	   abs(coefficient - CASE feature WHEN 'x' THEN 0.6 ELSE 2.2 END) < 1e-12 AS coef_ok,
	   abs(std_error - CASE feature WHEN 'x' THEN sqrt(0.08) ELSE sqrt(0.8 * 1.1) END) < 1e-12 AS se_ok,
	   round(z::numeric, 5) AS t, round(p_value::numeric, 5) AS p_value, odds_ratio
FROM lm1, crm.model_coefficients(m);
SELECT abs((j->'training'->>'r_squared')::float8 - 0.6) < 1e-12 AS r2_ok,
	   abs((j->'training'->>'sigma')::float8 - sqrt(0.8)) < 1e-12 AS sigma_ok,
	   abs((j->'training'->>'log_likelihood')::float8 - (-2.5 * (ln(2 * pi() * 2.4 / 5) + 1))) < 1e-12 AS loglik_ok,
	   j->'df_residual' AS df_residual
FROM (SELECT crm.model_json(m) AS j FROM lm1) s;
SELECT x, round(crm.predict(m, s)::numeric, 10) AS fitted FROM lm1, small s ORDER BY x;
-- predict_label needs a classifier
SELECT crm.predict_label(m, s) FROM lm1, small s;

------------------------------------------------------------------------------
-- features are found by name; NULLs, unseen levels
------------------------------------------------------------------------------
CREATE TABLE cust AS
SELECT i AS id,
	   (i % 3 = 0) <> (i % 11 = 0) AS churned,
	   (i % 17)::float8 AS tenure,
	   CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 5) * 10 END AS spend,
	   CASE i % 4 WHEN 0 THEN 'web' WHEN 1 THEN 'app' WHEN 2 THEN 'store' ELSE NULL END AS channel
FROM generate_series(1, 2000) i;
CREATE TABLE cm AS SELECT crm.logistic_regression('SELECT churned, tenure, spend, channel FROM cust') AS m;
-- the NULL level comes last; NULL numeric values are counted and imputed
SELECT feature, level FROM cm, crm.model_coefficients(m);
SELECT f->>'name' AS feature, f->>'encoding' AS encoding, f->'nulls' AS nulls, f->'levels' AS levels
FROM cm, jsonb_array_elements(crm.model_json(m)->'features') f;
-- column order and extra columns do not matter
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE crm.predict(m, c) = crm.predict(m, r)) AS same
FROM cm, cust c,
	 LATERAL (SELECT c.channel, 'extra' AS note, c.spend, c.id, c.tenure) r;
-- a NULL numeric value is the training mean
SELECT abs(crm.predict(m, r1) - crm.predict(m, r2)) < 1e-12 AS imputed_with_mean
FROM cm, (SELECT 5.0 AS tenure, NULL::int AS spend, 'web' AS channel) r1,
	 (SELECT 5.0 AS tenure, (SELECT avg(spend) FROM cust)::float8 AS spend, 'web' AS channel) r2;
-- an unseen level contributes nothing: the same as the reference level 'app'
SELECT abs(crm.predict(m, r1) - crm.predict(m, r2)) < 1e-15 AS unseen_is_reference
FROM cm, (SELECT 5.0 AS tenure, 20 AS spend, 'kiosk' AS channel) r1,
	 (SELECT 5.0 AS tenure, 20 AS spend, 'app' AS channel) r2;
-- a missing column is an error naming it; a column of the wrong class too
SELECT crm.predict(m, r) FROM cm, (SELECT 1 AS tenure, 'web' AS channel) r;
SELECT crm.predict(m, r) FROM cm, (SELECT 1 AS tenure, 2 AS spend, 3 AS channel) r;
SELECT crm.predict(m, r) FROM cm, (SELECT 'NaN'::float8 AS tenure, 2 AS spend, 'web' AS channel) r;
-- explanations add up to the log-odds of the prediction
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE abs(s.total - ln(p / (1 - p))) < 1e-9) AS add_up
FROM cm, cust c,
	 LATERAL (SELECT sum(contribution) AS total FROM crm.explain(cm.m, c)) s,
	 LATERAL (SELECT crm.predict(cm.m, c) AS p) q;
SELECT feature, value, round(contribution::numeric, 6) AS contribution
FROM cm, crm.explain(m, (SELECT c FROM cust c WHERE id = 13));

------------------------------------------------------------------------------
-- aliased columns and separation, as R's glm
------------------------------------------------------------------------------
-- double_tenure = 2 * tenure, a constant column, and the level 'none' of a
-- service column that repeats channel IS NULL: left out with a NOTICE
SELECT feature, level, coefficient IS NULL AS aliased
FROM crm.model_coefficients(crm.logistic_regression(
	'SELECT churned, tenure, 2 * tenure AS double_tenure, 7 AS constant, channel,
			CASE WHEN channel IS NULL THEN ''none'' WHEN id % 2 = 0 THEN ''yes'' ELSE ''no'' END AS service
	 FROM cust'));
-- the kept coefficients equal those of the fit without the aliased columns
SELECT bool_and(abs(a.coefficient - b.coefficient) < 1e-9) AS same
FROM crm.model_coefficients(crm.logistic_regression('SELECT churned, tenure, 2 * tenure AS double_tenure, channel FROM cust')) a
JOIN crm.model_coefficients(crm.logistic_regression('SELECT churned, tenure, channel FROM cust')) b
  USING (feature, level);
-- complete separation by a number, quasi-complete by a level: errors naming them
SELECT crm.logistic_regression('SELECT x > 5 AS y, x FROM generate_series(1, 10) x');
SELECT crm.logistic_regression('SELECT churned, tenure, CASE WHEN churned AND id % 7 = 0 THEN ''rare'' ELSE channel END AS channel FROM cust');
-- a penalty makes the optimum finite
SELECT feature, coefficient > 0 AS positive, round(coefficient::numeric, 4)
FROM crm.model_coefficients(crm.logistic_regression('SELECT x > 5 AS y, x FROM generate_series(1, 10) x', l2 => 1));

------------------------------------------------------------------------------
-- the value: text round trip, JSON, corruption
------------------------------------------------------------------------------
SELECT m::text::crm.model::text = m::text AS text_round_trip,
	   left(m::text, 20) AS starts,
	   crm.model_json(m::text::crm.model) = crm.model_json(m) AS json_same
FROM cm;
SELECT jsonb_object_keys(crm.model_json(m)) AS key FROM cm ORDER BY 1;
SELECT jsonb_object_keys(crm.model_json(m)->'training') AS fact FROM cm ORDER BY 1;
-- one character changed, a truncated value, the wrong kind, not base64, garbage
SELECT overlay(m::text placing (CASE WHEN substr(m::text, 60, 1) = 'A' THEN 'B' ELSE 'A' END) from 60 for 1)::crm.model FROM cm;
SELECT left(m::text, 200)::crm.model FROM cm;
SELECT replace(m::text, 'logistic_regression:', 'linear_regression:')::crm.model FROM cm;
SELECT 'logistic_regression:!!!'::crm.model;
SELECT 'decision_forest:AAAA'::crm.model;
SELECT 'hello'::crm.model;
SELECT 'logistic_regression:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'::crm.model;
-- models live in ordinary tables
CREATE TABLE models (name text PRIMARY KEY, model crm.model);
INSERT INTO models SELECT 'churn', m FROM cm;
SELECT count(*) FILTER (WHERE crm.predict(m.model, c) = crm.predict(cm.m, c)) AS same
FROM models m, cm, cust c WHERE m.name = 'churn';

------------------------------------------------------------------------------
-- training options and bad input
------------------------------------------------------------------------------
-- balanced class weights: equal total weight per class, so the fitted
-- intercept-only probability is 1/2
SELECT round(crm.predict(crm.logistic_regression('SELECT id % 10 = 0, 1.0 AS one FROM cust', class_weight => 'balanced'),
						 r)::numeric, 10) AS balanced_p
FROM (SELECT 1.0 AS one) r;
SELECT crm.logistic_regression('SELECT churned, tenure FROM cust', class_weight => 'heavy');
SELECT crm.logistic_regression('SELECT churned, tenure FROM cust', l2 => -1);
SELECT crm.logistic_regression('SELECT churned, tenure FROM cust', l2 => 'NaN');
SELECT crm.logistic_regression('SELECT churned, tenure FROM cust', max_iterations => 0);
SELECT crm.logistic_regression(NULL);
-- a target with one level, with three levels, of an unsupported type
SELECT crm.logistic_regression('SELECT true AS y, tenure FROM cust');
SELECT crm.logistic_regression('SELECT channel, tenure FROM cust');
SELECT crm.logistic_regression('SELECT now() AS y, tenure FROM cust');
SELECT crm.linear_regression('SELECT channel, tenure FROM cust');
-- no feature, an unsupported feature type, duplicate names, NaN, zero rows, all-NULL
SELECT crm.logistic_regression('SELECT churned FROM cust');
SELECT crm.logistic_regression('SELECT churned, now() AS t FROM cust');
SELECT crm.logistic_regression('SELECT churned, tenure, spend AS tenure FROM cust');
SELECT crm.logistic_regression('SELECT churned, CASE WHEN id = 5 THEN ''NaN''::float8 ELSE tenure END FROM cust');
SELECT crm.linear_regression('SELECT tenure, ''Infinity''::float8 AS x FROM cust');
SELECT crm.logistic_regression('SELECT churned, tenure FROM cust WHERE false');
SELECT crm.logistic_regression('SELECT NULL::boolean, tenure FROM cust');
SELECT crm.logistic_regression('SELECT churned, NULL::float8 AS nothing, tenure FROM cust');
-- not a SELECT
SELECT crm.logistic_regression('DELETE FROM cust RETURNING churned, tenure');
-- too many levels for a categorical feature
SELECT crm.logistic_regression('SELECT i % 2 = 0, i::text AS id FROM generate_series(1, 5000) i');
-- NULL targets are skipped and counted; a warning when the iterations run out
SELECT crm.model_json(crm.logistic_regression('SELECT CASE WHEN id % 10 = 0 THEN NULL ELSE churned END, tenure FROM cust'))->'training'->'rows_skipped_null_target' AS skipped;
SELECT crm.model_json(crm.logistic_regression('SELECT churned, tenure, spend FROM cust', max_iterations => 1))->'training'->'converged' AS converged;
-- enum and boolean features: levels in the type's order
CREATE TYPE size_t AS ENUM ('small', 'medium', 'large');
SELECT level FROM crm.model_coefficients(crm.logistic_regression(
	'SELECT churned, (ARRAY[''large'', ''small'', ''medium''])[1 + id % 3]::size_t AS size, id % 2 = 0 AS even FROM cust'))
WHERE level IS NOT NULL;

------------------------------------------------------------------------------
-- evaluation: hand-computed values
------------------------------------------------------------------------------
-- scikit-learn's roc_auc_score example: 0.75
SELECT crm.auc(s, l) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, l);
-- ties count half: positives {0.3, 0.5}, negatives {0.5, 0.2}: (0 + 1 + 0.5 + 1) / 4
SELECT crm.auc(s, l) FROM (VALUES (0.3, true), (0.5, true), (0.5, false), (0.2, false)) v(s, l);
-- all tied: 0.5; one class only: NULL; NULL pairs skipped; -0 equals 0
SELECT crm.auc(0.7, l) FROM (VALUES (true), (false), (true)) v(l);
SELECT crm.auc(s, true) FROM generate_series(1, 3) s;
SELECT crm.auc(s, l) FROM (VALUES (1.0, true), (NULL, false), (0.0, NULL), (0.5, false)) v(s, l);
SELECT crm.auc(s, l) FROM (VALUES ('-0'::float8, true), (0.0, false)) v(s, l);
SELECT crm.auc(s, l) FROM (VALUES ('NaN'::float8, true)) v(s, l);
-- metrics at 0.5 for 6 rows: tp 2 (0.9, 0.6), fp 1 (0.7), fn 1 (0.2), tn 2 (0.4, 0.1)
SELECT (m).n, (m).positives, (m).tp, (m).fp, (m).tn, (m).fn, round((m).accuracy::numeric, 6) AS accuracy,
	   round((m).precision::numeric, 6) AS precision, round((m).recall::numeric, 6) AS recall,
	   round((m).f1::numeric, 6) AS f1,
	   abs((m).log_loss - (-(ln(0.9) + ln(0.6) + ln(0.2) + ln(0.3) + ln(0.6) + ln(0.9)) / 6)) < 1e-12 AS log_loss_ok,
	   abs((m).brier - (0.01 + 0.16 + 0.64 + 0.49 + 0.16 + 0.01) / 6) < 1e-12 AS brier_ok
FROM (SELECT crm.classification_metrics(s, l) AS m
	  FROM (VALUES (0.9, true), (0.6, true), (0.2, true), (0.7, false), (0.4, false), (0.1, false)) v(s, l)) x;
SELECT (m).n, (m).positives, (m).tp, (m).fp, (m).tn, (m).fn, round((m).accuracy::numeric, 6) AS accuracy,
	   (m).precision, (m).recall, (m).f1, round((m).log_loss::numeric, 6) AS log_loss, round((m).brier::numeric, 6) AS brier
FROM (SELECT crm.classification_metrics(s, l, 0.65) AS m FROM (VALUES (0.9, true), (0.6, true), (0.7, false)) v(s, l)) x;
-- raw scores outside [0, 1]: counts only
SELECT (m).tp, (m).log_loss, (m).brier FROM (SELECT crm.classification_metrics(s, l, 0) AS m FROM (VALUES (2.5, true), (-1, false)) v(s, l)) x;
SELECT crm.classification_metrics(s, l, t) FROM (VALUES (0.9, true, 0.5), (0.2, false, 0.6)) v(s, l, t);
-- regression metrics: errors 1, -2, 0, 3 on actual 1, 2, 3, 4 (mean 2.5, SST 5)
SELECT (m).n, (m).rmse = sqrt(14 / 4.0) AS rmse_ok, (m).mae, abs((m).r2 - (1 - 14 / 5.0)) < 1e-12 AS r2_ok
FROM (SELECT crm.regression_metrics(p, a) AS m FROM (VALUES (2, 1), (0, 2), (3, 3), (7, 4)) v(p, a)) x;
SELECT (crm.regression_metrics(p, a)).r2 FROM (VALUES (1, 5), (2, 5)) v(p, a);
SELECT crm.regression_metrics(p, a) FROM (VALUES ('Infinity'::float8, 5.0)) v(p, a);
-- lift table: 10 rows, 4 positives; bins of 5 with a tie of 3 rows (one positive)
-- across the boundary: 2 of its 3 rows go to bin 1 (2/3 positive), 1 to bin 2
SELECT bin, rows, min_score, max_score, round(positives::numeric, 6) AS positives,
	   round(rate::numeric, 6) AS rate, round(lift::numeric, 6) AS lift, round(gain::numeric, 6) AS gain,
	   round(cumulative_lift::numeric, 6) AS cumulative_lift
FROM crm.lift_table('SELECT s, l FROM (VALUES (0.9, true), (0.8, true), (0.7, false), (0.5, true), (0.5, false),
												 (0.5, false), (0.3, true), (0.2, false), (0.1, false), (0.05, false)) v(s, l)', 2);
SELECT bin, rows FROM crm.lift_table('SELECT s, s > 2 FROM generate_series(1, 3) s', 5);
SELECT * FROM crm.lift_table('SELECT 1, true', 0);
SELECT * FROM crm.lift_table('SELECT 1, 2', 3);
-- ROC curve of the example above: thresholds from the highest score
SELECT * FROM crm.roc_curve('SELECT s, l FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, l)');
SELECT * FROM crm.roc_curve('SELECT s, l FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, l)', true);
SELECT * FROM crm.roc_curve('SELECT 0.5, true');
-- hash split: deterministic, about the asked fraction, 0 and 1 exact
SELECT crm.hash_split('customer-42', 0.3) = crm.hash_split('customer-42', 0.3) AS stable,
	   (SELECT count(*) FILTER (WHERE crm.hash_split(i::text, 0.3)) BETWEEN 2800 AND 3200 FROM generate_series(1, 10000) i) AS near_30pct,
	   (SELECT bool_or(crm.hash_split(i::text, 0)) FROM generate_series(1, 1000) i) AS any_at_0,
	   (SELECT bool_and(crm.hash_split(i::text, 1)) FROM generate_series(1, 1000) i) AS all_at_1,
	   (SELECT bool_and(NOT crm.hash_split(i::text, 0.2) OR crm.hash_split(i::text, 0.5)) FROM generate_series(1, 1000) i) AS nested;
SELECT crm.hash_split('x', 1.5);

------------------------------------------------------------------------------
-- the aggregates in parallel and as running window aggregates
------------------------------------------------------------------------------
CREATE TABLE preds AS
SELECT i AS seq, ((i * 7919) % 1000) / 1000.0 AS score,
	   (((i * 7919) % 1000) + (i * 104729) % 700) > 800 AS label,
	   ((i * 31) % 977) / 10.0 AS predicted, ((i * 37) % 991) / 10.0 AS actual
FROM generate_series(1::bigint, 60000) i;
ANALYZE preds;
CREATE TABLE serial_eval AS
SELECT crm.auc(score, label) AS auc, crm.classification_metrics(score, label, 0.6) AS cm,
	   crm.regression_metrics(predicted, actual) AS rm
FROM preds;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT crm.auc(score, label), crm.classification_metrics(score, label, 0.6), crm.regression_metrics(predicted, actual) FROM preds;
SELECT p.auc = s.auc AS auc_same, p.cm = s.cm AS metrics_same,
	   (p.rm).n = (s.rm).n AND abs((p.rm).rmse - (s.rm).rmse) < 1e-12 AND abs((p.rm).mae - (s.rm).mae) < 1e-12
	   AND abs((p.rm).r2 - (s.rm).r2) < 1e-12 AS regression_same
FROM serial_eval s,
	 (SELECT crm.auc(score, label) AS auc, crm.classification_metrics(score, label, 0.6) AS cm,
			 crm.regression_metrics(predicted, actual) AS rm FROM preds) p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
-- running window: each row's value equals the aggregate over its prefix
CREATE TABLE wpreds AS SELECT * FROM preds WHERE seq <= 400;
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE w.auc IS NOT DISTINCT FROM
						(SELECT crm.auc(score, label) FROM wpreds p WHERE p.seq <= w.seq)) AS auc_same,
	   count(*) FILTER (WHERE w.cm IS NOT DISTINCT FROM
						(SELECT crm.classification_metrics(score, label, 0.6) FROM wpreds p WHERE p.seq <= w.seq)) AS metrics_same,
	   count(*) FILTER (WHERE w.rm IS NOT DISTINCT FROM
						(SELECT crm.regression_metrics(predicted, actual) FROM wpreds p WHERE p.seq <= w.seq)) AS regression_same
FROM (SELECT seq, crm.auc(score, label) OVER w AS auc, crm.classification_metrics(score, label, 0.6) OVER w AS cm,
			 crm.regression_metrics(predicted, actual) OVER w AS rm
	  FROM wpreds WINDOW w AS (ORDER BY seq)) w;
