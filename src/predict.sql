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
