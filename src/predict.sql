------------------------------------------------------------------------------
-- Prediction I: the model value, logistic and linear regression, evaluation
------------------------------------------------------------------------------

CREATE TYPE crm.model;

CREATE FUNCTION crm.model_in(cstring)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'model_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.model_in(cstring) IS
'input function of crm.model: the kind, a colon and the binary format in base64, validated in full';

CREATE FUNCTION crm.model_out(crm.model)
RETURNS cstring
AS 'MODULE_PATHNAME', 'model_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.model_out(crm.model) IS
'output function of crm.model: the kind, a colon and the binary format in base64 (round-trips exactly)';

CREATE FUNCTION crm.model_recv(internal)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'model_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.model_recv(internal) IS
'binary input function of crm.model: the versioned binary format, validated in full';

CREATE FUNCTION crm.model_send(crm.model)
RETURNS bytea
AS 'MODULE_PATHNAME', 'model_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.model_send(crm.model) IS
'binary output function of crm.model: the versioned binary format';

CREATE TYPE crm.model (
	INPUT = crm.model_in,
	OUTPUT = crm.model_out,
	RECEIVE = crm.model_recv,
	SEND = crm.model_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE crm.model IS
'a trained predictive model of any kind (logistic or linear regression): features with their encoding and imputation, target levels, parameters and training facts';

CREATE FUNCTION crm.logistic_regression(query text, l2 float8 DEFAULT 0, class_weight text DEFAULT NULL,
										max_iterations integer DEFAULT 100)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'logistic_regression'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION crm.logistic_regression(text, float8, text, integer) IS
'logistic regression by maximum likelihood (Newton/IRLS, as R glm) of a query returning (target, feature, ...): a boolean or two-valued target, numeric and categorical features (treatment coding); optional L2 penalty and balanced class weights';

CREATE FUNCTION crm.linear_regression(query text, l2 float8 DEFAULT 0)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'linear_regression'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION crm.linear_regression(text, float8) IS
'linear regression by least squares (as R lm) of a query returning (target, feature, ...): a numeric target, numeric and categorical features (treatment coding); optional L2 (ridge) penalty';

CREATE FUNCTION crm.predict(model crm.model, features record)
RETURNS float8
AS 'MODULE_PATHNAME', 'model_predict'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.predict(crm.model, record) IS
'the model applied to a row whose columns are found by name: the probability of the positive class of a classifier, or the predicted value of a regression';

CREATE FUNCTION crm.predict_label(model crm.model, features record, threshold float8 DEFAULT 0.5)
RETURNS text
AS 'MODULE_PATHNAME', 'model_predict_label'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.predict_label(crm.model, record, float8) IS
'the predicted class of a classifier for a row: the positive level when its probability is at least threshold, else the negative level';

CREATE FUNCTION crm.explain(model crm.model, features record)
RETURNS TABLE (feature text, value text, contribution float8)
AS 'MODULE_PATHNAME', 'model_explain'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION crm.explain(crm.model, record) IS
'why the model scores a row so: a base value and one additive contribution per feature (log-odds for a classifier); for regressions coefficient x (value - training mean)';

CREATE FUNCTION crm.model_json(model crm.model)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'model_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.model_json(crm.model) IS
'everything a model holds as JSON: kind, target, features with their levels and statistics, parameters and training facts';

CREATE FUNCTION crm.model_coefficients(model crm.model)
RETURNS TABLE (feature text, level text, coefficient float8, std_error float8, z float8,
			   p_value float8, odds_ratio float8)
AS 'MODULE_PATHNAME', 'model_coefficients'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION crm.model_coefficients(crm.model) IS
'coefficients of a regression model as R summary() prints them: estimate, standard error (observed information), z (t for linear regression), two-sided p-value, odds ratio (logistic); NULL for aliased columns';

-- evaluation ---------------------------------------------------------------

CREATE FUNCTION crm.auc_transfn(internal, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'auc_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.auc_transfn(internal, float8, boolean) IS
'transition function of crm.auc: adds the pair to the score histogram (bounded by crm_analytics.max_memory)';

CREATE FUNCTION crm.auc_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'auc_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.auc_combinefn(internal, internal) IS
'combine function of crm.auc: merges two score histograms';

CREATE FUNCTION crm.auc_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'auc_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.auc_serialfn(internal) IS
'serialization function of crm.auc: distinct scores with their positive and negative counts';

CREATE FUNCTION crm.auc_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'auc_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.auc_deserialfn(bytea, internal) IS
'deserialization function of crm.auc';

CREATE FUNCTION crm.auc_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'auc_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.auc_finalfn(internal) IS
'final function of crm.auc: the Mann-Whitney statistic over P x N, ties counted half';

CREATE AGGREGATE crm.auc(score float8, label boolean) (
	SFUNC = crm.auc_transfn,
	STYPE = internal,
	SSPACE = 1200,
	FINALFUNC = crm.auc_finalfn,
	COMBINEFUNC = crm.auc_combinefn,
	SERIALFUNC = crm.auc_serialfn,
	DESERIALFUNC = crm.auc_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.auc(float8, boolean) IS
'exact area under the ROC curve of scores against boolean labels (ties counted half, as scikit-learn roc_auc_score); NULL pairs are skipped; NULL without both classes';

CREATE TYPE crm.classification_metrics_result AS (
	n bigint, positives bigint, tp bigint, fp bigint, tn bigint, fn bigint,
	accuracy float8, "precision" float8, recall float8, f1 float8, log_loss float8, brier float8
);
COMMENT ON TYPE crm.classification_metrics_result IS
'result of crm.classification_metrics: confusion counts at the threshold, the ratios computed from them, and the mean log loss and Brier score of the probabilities';

CREATE FUNCTION crm.classification_metrics_transfn(internal, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'classification_metrics_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_transfn(internal, float8, boolean) IS
'transition function of crm.classification_metrics(score, label) (threshold 0.5)';

CREATE FUNCTION crm.classification_metrics_transfn(internal, float8, boolean, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'classification_metrics_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_transfn(internal, float8, boolean, float8) IS
'transition function of crm.classification_metrics(score, label, threshold)';

CREATE FUNCTION crm.classification_metrics_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'classification_metrics_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_combinefn(internal, internal) IS
'combine function of crm.classification_metrics (the thresholds must agree)';

CREATE FUNCTION crm.classification_metrics_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'classification_metrics_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_serialfn(internal) IS
'serialization function of crm.classification_metrics';

CREATE FUNCTION crm.classification_metrics_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'classification_metrics_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_deserialfn(bytea, internal) IS
'deserialization function of crm.classification_metrics';

CREATE FUNCTION crm.classification_metrics_finalfn(internal)
RETURNS crm.classification_metrics_result
AS 'MODULE_PATHNAME', 'classification_metrics_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_finalfn(internal) IS
'final function of crm.classification_metrics';

CREATE AGGREGATE crm.classification_metrics(score float8, label boolean) (
	SFUNC = crm.classification_metrics_transfn,
	STYPE = internal,
	SSPACE = 96,
	FINALFUNC = crm.classification_metrics_finalfn,
	COMBINEFUNC = crm.classification_metrics_combinefn,
	SERIALFUNC = crm.classification_metrics_serialfn,
	DESERIALFUNC = crm.classification_metrics_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.classification_metrics(float8, boolean) IS
'confusion counts, accuracy, precision, recall, F1, log loss and Brier score of scores against boolean labels at the threshold 0.5';

CREATE AGGREGATE crm.classification_metrics(score float8, label boolean, threshold float8) (
	SFUNC = crm.classification_metrics_transfn,
	STYPE = internal,
	SSPACE = 96,
	FINALFUNC = crm.classification_metrics_finalfn,
	COMBINEFUNC = crm.classification_metrics_combinefn,
	SERIALFUNC = crm.classification_metrics_serialfn,
	DESERIALFUNC = crm.classification_metrics_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.classification_metrics(float8, boolean, float8) IS
'confusion counts, accuracy, precision, recall, F1, log loss and Brier score of scores against boolean labels; a score >= threshold predicts the positive class';

CREATE TYPE crm.regression_metrics_result AS (n bigint, rmse float8, mae float8, r2 float8);
COMMENT ON TYPE crm.regression_metrics_result IS
'result of crm.regression_metrics: rows, root mean squared error, mean absolute error, coefficient of determination';

CREATE FUNCTION crm.regression_metrics_transfn(internal, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'regression_metrics_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.regression_metrics_transfn(internal, float8, float8) IS
'transition function of crm.regression_metrics';

CREATE FUNCTION crm.regression_metrics_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'regression_metrics_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.regression_metrics_combinefn(internal, internal) IS
'combine function of crm.regression_metrics (pairwise variance update)';

CREATE FUNCTION crm.regression_metrics_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'regression_metrics_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.regression_metrics_serialfn(internal) IS
'serialization function of crm.regression_metrics';

CREATE FUNCTION crm.regression_metrics_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'regression_metrics_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.regression_metrics_deserialfn(bytea, internal) IS
'deserialization function of crm.regression_metrics';

CREATE FUNCTION crm.regression_metrics_finalfn(internal)
RETURNS crm.regression_metrics_result
AS 'MODULE_PATHNAME', 'regression_metrics_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.regression_metrics_finalfn(internal) IS
'final function of crm.regression_metrics';

CREATE AGGREGATE crm.regression_metrics(prediction float8, actual float8) (
	SFUNC = crm.regression_metrics_transfn,
	STYPE = internal,
	SSPACE = 64,
	FINALFUNC = crm.regression_metrics_finalfn,
	COMBINEFUNC = crm.regression_metrics_combinefn,
	SERIALFUNC = crm.regression_metrics_serialfn,
	DESERIALFUNC = crm.regression_metrics_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.regression_metrics(float8, float8) IS
'rows, RMSE, MAE and R^2 (1 - SSE / total sum of squares of the actual values) of predictions; NULL pairs are skipped';

CREATE FUNCTION crm.lift_table(query text, bins integer DEFAULT 10)
RETURNS TABLE (bin integer, "rows" bigint, min_score float8, max_score float8, positives float8,
			   rate float8, lift float8, gain float8, cumulative_lift float8)
AS 'MODULE_PATHNAME', 'lift_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION crm.lift_table(text, integer) IS
'lift chart of a query returning (score, label): rows ranked by score (highest first) in bins of equal size, with positives, their rate, the lift over the overall rate, the cumulative share of positives (gain) and the cumulative lift; tied scores across a boundary are shared in proportion';

CREATE FUNCTION crm.roc_curve(query text, drop_intermediate boolean DEFAULT false)
RETURNS TABLE (threshold float8, tpr float8, fpr float8)
AS 'MODULE_PATHNAME', 'roc_curve'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.roc_curve(text, boolean) IS
'ROC curve of a query returning (score, label): true and false positive rates at every distinct score from the highest, after (Infinity, 0, 0), as scikit-learn roc_curve (drop_intermediate leaves out points on straight segments)';

CREATE FUNCTION crm.hash_split(key text, test_fraction float8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'hash_split'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.hash_split(text, float8) IS
'deterministic train/test split: true (test) for a fraction test_fraction of the keys, from a hash of the key alone (FNV-1a 64 then the SplitMix64 finaliser), whatever the row order';
