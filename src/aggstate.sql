------------------------------------------------------------------------------
-- Partial aggregate states (crm.agg_state): every global aggregate as
-- x_partial -> crm.agg_merge -> x_finish, for Citus and for rollups
------------------------------------------------------------------------------

CREATE TYPE crm.agg_state;

CREATE FUNCTION crm.agg_state_in(cstring)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'agg_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.agg_state_in(cstring) IS
'input function of crm.agg_state: the aggregate''s name, a colon and the binary format in base64, validated in full';

CREATE FUNCTION crm.agg_state_out(crm.agg_state)
RETURNS cstring
AS 'MODULE_PATHNAME', 'agg_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.agg_state_out(crm.agg_state) IS
'output function of crm.agg_state: the aggregate''s name, a colon and the binary format in base64 (round-trips exactly)';

CREATE FUNCTION crm.agg_state_recv(internal)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'agg_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.agg_state_recv(internal) IS
'binary input function of crm.agg_state: a version byte, the kind and the aggregate''s serialized state, validated in full';

CREATE FUNCTION crm.agg_state_send(crm.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'agg_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.agg_state_send(crm.agg_state) IS
'binary output function of crm.agg_state: a version byte, the kind and the aggregate''s serialized state';

CREATE TYPE crm.agg_state (
	INPUT = crm.agg_state_in,
	OUTPUT = crm.agg_state_out,
	RECEIVE = crm.agg_state_recv,
	SEND = crm.agg_state_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE crm.agg_state IS
'the partial state of one of the extension''s global aggregates (crm.x_partial), to store, send between servers, merge (crm.agg_merge) and finish (crm.x_finish)';

CREATE FUNCTION crm.agg_state_combine(a crm.agg_state, b crm.agg_state)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'agg_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.agg_state_combine(crm.agg_state, crm.agg_state) IS
'two partial states of one aggregate merged into one: the combine function of every crm.x_partial aggregate and of crm.agg_merge';

CREATE AGGREGATE crm.agg_merge(state crm.agg_state) (
	SFUNC = crm.agg_state_combine,
	STYPE = crm.agg_state,
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.agg_merge(crm.agg_state) IS
'the partial states of one aggregate (any crm.x_partial) merged into one state; NULLs are skipped';

-- crm.scaler_fit -----------------------------------------------------------------
CREATE FUNCTION crm.scaler_fit_partial_transfn(crm.agg_state, float8[])
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'scaler_fit_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_fit_partial_transfn(crm.agg_state, float8[]) IS
'transition function of crm.scaler_fit_partial: the transition function of crm.scaler_fit, in place on the expanded state';

CREATE AGGREGATE crm.scaler_fit_partial(features float8[]) (
	SFUNC = crm.scaler_fit_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 256,
	INITCOND = 'scaler_fit:AQE=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.scaler_fit_partial(float8[]) IS
'the partial state of crm.scaler_fit over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.scaler_fit_finish';

CREATE FUNCTION crm.scaler_fit_finish(state crm.agg_state)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'scaler_fit_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_fit_finish(crm.agg_state) IS
'the result of crm.scaler_fit from a (merged) crm.scaler_fit_partial state, which is left unchanged';

-- crm.kmeans -----------------------------------------------------------------
CREATE FUNCTION crm.kmeans_partial_transfn(crm.agg_state, float8[], integer)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'kmeans_partial_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_partial_transfn(crm.agg_state, float8[], integer) IS
'transition function of crm.kmeans_partial: the transition function of crm.kmeans, in place on the expanded state';

CREATE AGGREGATE crm.kmeans_partial(features float8[], k integer) (
	SFUNC = crm.kmeans_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 134217728,
	INITCOND = 'kmeans:AQI=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans_partial(float8[], integer) IS
'the partial state of crm.kmeans over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.kmeans_finish';

CREATE FUNCTION crm.kmeans_partial_transfn(crm.agg_state, float8[], integer, bigint)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'kmeans_partial_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_partial_transfn(crm.agg_state, float8[], integer, bigint) IS
'transition function of crm.kmeans_partial: the transition function of crm.kmeans, in place on the expanded state';

CREATE AGGREGATE crm.kmeans_partial(features float8[], k integer, seed bigint) (
	SFUNC = crm.kmeans_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 134217728,
	INITCOND = 'kmeans:AQI=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans_partial(float8[], integer, bigint) IS
'the partial state of crm.kmeans over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.kmeans_finish';

CREATE FUNCTION crm.kmeans_partial_transfn(crm.agg_state, float8[], integer, bigint, integer)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'kmeans_partial_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_partial_transfn(crm.agg_state, float8[], integer, bigint, integer) IS
'transition function of crm.kmeans_partial: the transition function of crm.kmeans, in place on the expanded state';

CREATE AGGREGATE crm.kmeans_partial(features float8[], k integer, seed bigint, restarts integer) (
	SFUNC = crm.kmeans_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 134217728,
	INITCOND = 'kmeans:AQI=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans_partial(float8[], integer, bigint, integer) IS
'the partial state of crm.kmeans over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.kmeans_finish';

CREATE FUNCTION crm.kmeans_finish(state crm.agg_state)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'kmeans_finish'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_finish(crm.agg_state) IS
'the result of crm.kmeans from a (merged) crm.kmeans_partial state, which is left unchanged';

-- crm.bgnbd_fit -----------------------------------------------------------------
CREATE FUNCTION crm.bgnbd_fit_partial_transfn(crm.agg_state, float8, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'bgnbd_fit_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_partial_transfn(crm.agg_state, float8, float8, float8) IS
'transition function of crm.bgnbd_fit_partial: the transition function of crm.bgnbd_fit, in place on the expanded state';

CREATE AGGREGATE crm.bgnbd_fit_partial(frequency float8, recency float8, t float8) (
	SFUNC = crm.bgnbd_fit_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'bgnbd_fit:AQM=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.bgnbd_fit_partial(float8, float8, float8) IS
'the partial state of crm.bgnbd_fit over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.bgnbd_fit_finish';

CREATE FUNCTION crm.bgnbd_fit_partial_transfn(crm.agg_state, float8, float8, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'bgnbd_fit_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_partial_transfn(crm.agg_state, float8, float8, float8, float8) IS
'transition function of crm.bgnbd_fit_partial: the transition function of crm.bgnbd_fit, in place on the expanded state';

CREATE AGGREGATE crm.bgnbd_fit_partial(frequency float8, recency float8, t float8, penalizer float8) (
	SFUNC = crm.bgnbd_fit_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'bgnbd_fit:AQM=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.bgnbd_fit_partial(float8, float8, float8, float8) IS
'the partial state of crm.bgnbd_fit over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.bgnbd_fit_finish';

CREATE FUNCTION crm.bgnbd_fit_finish(state crm.agg_state)
RETURNS crm.bgnbd_model
AS 'MODULE_PATHNAME', 'bgnbd_fit_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_finish(crm.agg_state) IS
'the result of crm.bgnbd_fit from a (merged) crm.bgnbd_fit_partial state, which is left unchanged';

-- crm.paretonbd_fit -----------------------------------------------------------------
CREATE FUNCTION crm.paretonbd_fit_partial_transfn(crm.agg_state, float8, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'paretonbd_fit_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_partial_transfn(crm.agg_state, float8, float8, float8) IS
'transition function of crm.paretonbd_fit_partial: the transition function of crm.paretonbd_fit, in place on the expanded state';

CREATE AGGREGATE crm.paretonbd_fit_partial(frequency float8, recency float8, t float8) (
	SFUNC = crm.paretonbd_fit_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'paretonbd_fit:AQQ=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.paretonbd_fit_partial(float8, float8, float8) IS
'the partial state of crm.paretonbd_fit over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.paretonbd_fit_finish';

CREATE FUNCTION crm.paretonbd_fit_partial_transfn(crm.agg_state, float8, float8, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'paretonbd_fit_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_partial_transfn(crm.agg_state, float8, float8, float8, float8) IS
'transition function of crm.paretonbd_fit_partial: the transition function of crm.paretonbd_fit, in place on the expanded state';

CREATE AGGREGATE crm.paretonbd_fit_partial(frequency float8, recency float8, t float8, penalizer float8) (
	SFUNC = crm.paretonbd_fit_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'paretonbd_fit:AQQ=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.paretonbd_fit_partial(float8, float8, float8, float8) IS
'the partial state of crm.paretonbd_fit over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.paretonbd_fit_finish';

CREATE FUNCTION crm.paretonbd_fit_finish(state crm.agg_state)
RETURNS crm.paretonbd_model
AS 'MODULE_PATHNAME', 'paretonbd_fit_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_finish(crm.agg_state) IS
'the result of crm.paretonbd_fit from a (merged) crm.paretonbd_fit_partial state, which is left unchanged';

-- crm.gammagamma_fit -----------------------------------------------------------------
CREATE FUNCTION crm.gammagamma_fit_partial_transfn(crm.agg_state, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'gammagamma_fit_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_partial_transfn(crm.agg_state, float8, float8) IS
'transition function of crm.gammagamma_fit_partial: the transition function of crm.gammagamma_fit, in place on the expanded state';

CREATE AGGREGATE crm.gammagamma_fit_partial(frequency float8, monetary_value float8) (
	SFUNC = crm.gammagamma_fit_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'gammagamma_fit:AQU=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gammagamma_fit_partial(float8, float8) IS
'the partial state of crm.gammagamma_fit over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.gammagamma_fit_finish';

CREATE FUNCTION crm.gammagamma_fit_partial_transfn(crm.agg_state, float8, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'gammagamma_fit_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_partial_transfn(crm.agg_state, float8, float8, float8) IS
'transition function of crm.gammagamma_fit_partial: the transition function of crm.gammagamma_fit, in place on the expanded state';

CREATE AGGREGATE crm.gammagamma_fit_partial(frequency float8, monetary_value float8, penalizer float8) (
	SFUNC = crm.gammagamma_fit_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'gammagamma_fit:AQU=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gammagamma_fit_partial(float8, float8, float8) IS
'the partial state of crm.gammagamma_fit over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.gammagamma_fit_finish';

CREATE FUNCTION crm.gammagamma_fit_finish(state crm.agg_state)
RETURNS crm.gammagamma_model
AS 'MODULE_PATHNAME', 'gammagamma_fit_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_finish(crm.agg_state) IS
'the result of crm.gammagamma_fit from a (merged) crm.gammagamma_fit_partial state, which is left unchanged';

-- crm.purchase_profile -----------------------------------------------------------------
CREATE FUNCTION crm.purchase_profile_partial_transfn(crm.agg_state, integer, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'purchase_profile_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.purchase_profile_partial_transfn(crm.agg_state, integer, float8) IS
'transition function of crm.purchase_profile_partial: the transition function of crm.purchase_profile, in place on the expanded state';

CREATE AGGREGATE crm.purchase_profile_partial(item integer, weight float8) (
	SFUNC = crm.purchase_profile_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 256,
	INITCOND = 'purchase_profile:AQY=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.purchase_profile_partial(integer, float8) IS
'the partial state of crm.purchase_profile over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.purchase_profile_finish';

CREATE FUNCTION crm.purchase_profile_finish(state crm.agg_state)
RETURNS crm.profile
AS 'MODULE_PATHNAME', 'purchase_profile_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.purchase_profile_finish(crm.agg_state) IS
'the result of crm.purchase_profile from a (merged) crm.purchase_profile_partial state, which is left unchanged';

-- crm.auc -----------------------------------------------------------------
CREATE FUNCTION crm.auc_partial_transfn(crm.agg_state, float8, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'auc_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.auc_partial_transfn(crm.agg_state, float8, boolean) IS
'transition function of crm.auc_partial: the transition function of crm.auc, in place on the expanded state';

CREATE AGGREGATE crm.auc_partial(score float8, label boolean) (
	SFUNC = crm.auc_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1200,
	INITCOND = 'auc:AQc=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.auc_partial(float8, boolean) IS
'the partial state of crm.auc over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.auc_finish';

CREATE FUNCTION crm.auc_finish(state crm.agg_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'auc_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.auc_finish(crm.agg_state) IS
'the result of crm.auc from a (merged) crm.auc_partial state, which is left unchanged';

-- crm.classification_metrics -----------------------------------------------------------------
CREATE FUNCTION crm.classification_metrics_partial_transfn(crm.agg_state, float8, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'classification_metrics_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_partial_transfn(crm.agg_state, float8, boolean) IS
'transition function of crm.classification_metrics_partial: the transition function of crm.classification_metrics, in place on the expanded state';

CREATE AGGREGATE crm.classification_metrics_partial(score float8, label boolean) (
	SFUNC = crm.classification_metrics_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 96,
	INITCOND = 'classification_metrics:AQg=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.classification_metrics_partial(float8, boolean) IS
'the partial state of crm.classification_metrics over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.classification_metrics_finish';

CREATE FUNCTION crm.classification_metrics_partial_transfn(crm.agg_state, float8, boolean, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'classification_metrics_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_partial_transfn(crm.agg_state, float8, boolean, float8) IS
'transition function of crm.classification_metrics_partial: the transition function of crm.classification_metrics, in place on the expanded state';

CREATE AGGREGATE crm.classification_metrics_partial(score float8, label boolean, threshold float8) (
	SFUNC = crm.classification_metrics_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 96,
	INITCOND = 'classification_metrics:AQg=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.classification_metrics_partial(float8, boolean, float8) IS
'the partial state of crm.classification_metrics over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.classification_metrics_finish';

CREATE FUNCTION crm.classification_metrics_finish(state crm.agg_state)
RETURNS crm.classification_metrics_result
AS 'MODULE_PATHNAME', 'classification_metrics_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.classification_metrics_finish(crm.agg_state) IS
'the result of crm.classification_metrics from a (merged) crm.classification_metrics_partial state, which is left unchanged';

-- crm.regression_metrics -----------------------------------------------------------------
CREATE FUNCTION crm.regression_metrics_partial_transfn(crm.agg_state, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'regression_metrics_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.regression_metrics_partial_transfn(crm.agg_state, float8, float8) IS
'transition function of crm.regression_metrics_partial: the transition function of crm.regression_metrics, in place on the expanded state';

CREATE AGGREGATE crm.regression_metrics_partial(prediction float8, actual float8) (
	SFUNC = crm.regression_metrics_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 64,
	INITCOND = 'regression_metrics:AQk=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.regression_metrics_partial(float8, float8) IS
'the partial state of crm.regression_metrics over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.regression_metrics_finish';

CREATE FUNCTION crm.regression_metrics_finish(state crm.agg_state)
RETURNS crm.regression_metrics_result
AS 'MODULE_PATHNAME', 'regression_metrics_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.regression_metrics_finish(crm.agg_state) IS
'the result of crm.regression_metrics from a (merged) crm.regression_metrics_partial state, which is left unchanged';

-- crm.ab_test -----------------------------------------------------------------
CREATE FUNCTION crm.ab_test_partial_transfn(crm.agg_state, boolean, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'ab_test_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_partial_transfn(crm.agg_state, boolean, boolean) IS
'transition function of crm.ab_test_partial: the transition function of crm.ab_test, in place on the expanded state';

CREATE AGGREGATE crm.ab_test_partial(converted boolean, treated boolean) (
	SFUNC = crm.ab_test_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 40,
	INITCOND = 'ab_test:AQo=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.ab_test_partial(boolean, boolean) IS
'the partial state of crm.ab_test over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.ab_test_finish';

CREATE FUNCTION crm.ab_test_partial_transfn(crm.agg_state, boolean, boolean, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'ab_test_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_partial_transfn(crm.agg_state, boolean, boolean, float8) IS
'transition function of crm.ab_test_partial: the transition function of crm.ab_test, in place on the expanded state';

CREATE AGGREGATE crm.ab_test_partial(converted boolean, treated boolean, confidence float8) (
	SFUNC = crm.ab_test_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 40,
	INITCOND = 'ab_test:AQo=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.ab_test_partial(boolean, boolean, float8) IS
'the partial state of crm.ab_test over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.ab_test_finish';

CREATE FUNCTION crm.ab_test_finish(state crm.agg_state)
RETURNS crm.ab_test
AS 'MODULE_PATHNAME', 'ab_test_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_finish(crm.agg_state) IS
'the result of crm.ab_test from a (merged) crm.ab_test_partial state, which is left unchanged';

-- crm.welch_ttest -----------------------------------------------------------------
CREATE FUNCTION crm.welch_ttest_partial_transfn(crm.agg_state, float8, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'welch_ttest_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_partial_transfn(crm.agg_state, float8, boolean) IS
'transition function of crm.welch_ttest_partial: the transition function of crm.welch_ttest, in place on the expanded state';

CREATE AGGREGATE crm.welch_ttest_partial(value float8, treated boolean) (
	SFUNC = crm.welch_ttest_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 112,
	INITCOND = 'welch_ttest:AQs=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.welch_ttest_partial(float8, boolean) IS
'the partial state of crm.welch_ttest over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.welch_ttest_finish';

CREATE FUNCTION crm.welch_ttest_partial_transfn(crm.agg_state, float8, boolean, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'welch_ttest_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_partial_transfn(crm.agg_state, float8, boolean, float8) IS
'transition function of crm.welch_ttest_partial: the transition function of crm.welch_ttest, in place on the expanded state';

CREATE AGGREGATE crm.welch_ttest_partial(value float8, treated boolean, confidence float8) (
	SFUNC = crm.welch_ttest_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 112,
	INITCOND = 'welch_ttest:AQs=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.welch_ttest_partial(float8, boolean, float8) IS
'the partial state of crm.welch_ttest over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.welch_ttest_finish';

CREATE FUNCTION crm.welch_ttest_finish(state crm.agg_state)
RETURNS crm.welch_ttest
AS 'MODULE_PATHNAME', 'welch_ttest_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_finish(crm.agg_state) IS
'the result of crm.welch_ttest from a (merged) crm.welch_ttest_partial state, which is left unchanged';

-- crm.cuped_test -----------------------------------------------------------------
CREATE FUNCTION crm.cuped_test_partial_transfn(crm.agg_state, float8, float8, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'cuped_test_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_partial_transfn(crm.agg_state, float8, float8, boolean) IS
'transition function of crm.cuped_test_partial: the transition function of crm.cuped_test, in place on the expanded state';

CREATE AGGREGATE crm.cuped_test_partial(value float8, covariate float8, treated boolean) (
	SFUNC = crm.cuped_test_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 112,
	INITCOND = 'cuped_test:AQw=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.cuped_test_partial(float8, float8, boolean) IS
'the partial state of crm.cuped_test over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.cuped_test_finish';

CREATE FUNCTION crm.cuped_test_partial_transfn(crm.agg_state, float8, float8, boolean, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'cuped_test_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_partial_transfn(crm.agg_state, float8, float8, boolean, float8) IS
'transition function of crm.cuped_test_partial: the transition function of crm.cuped_test, in place on the expanded state';

CREATE AGGREGATE crm.cuped_test_partial(value float8, covariate float8, treated boolean, confidence float8) (
	SFUNC = crm.cuped_test_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 112,
	INITCOND = 'cuped_test:AQw=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.cuped_test_partial(float8, float8, boolean, float8) IS
'the partial state of crm.cuped_test over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.cuped_test_finish';

CREATE FUNCTION crm.cuped_test_finish(state crm.agg_state)
RETURNS crm.cuped_test
AS 'MODULE_PATHNAME', 'cuped_test_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_finish(crm.agg_state) IS
'the result of crm.cuped_test from a (merged) crm.cuped_test_partial state, which is left unchanged';

-- crm.mann_whitney -----------------------------------------------------------------
CREATE FUNCTION crm.mann_whitney_partial_transfn(crm.agg_state, float8, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'mann_whitney_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_partial_transfn(crm.agg_state, float8, boolean) IS
'transition function of crm.mann_whitney_partial: the transition function of crm.mann_whitney, in place on the expanded state';

CREATE AGGREGATE crm.mann_whitney_partial(value float8, treated boolean) (
	SFUNC = crm.mann_whitney_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 304,
	INITCOND = 'mann_whitney:AQ0=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.mann_whitney_partial(float8, boolean) IS
'the partial state of crm.mann_whitney over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.mann_whitney_finish';

CREATE FUNCTION crm.mann_whitney_finish(state crm.agg_state)
RETURNS crm.mann_whitney
AS 'MODULE_PATHNAME', 'mann_whitney_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_finish(crm.agg_state) IS
'the result of crm.mann_whitney from a (merged) crm.mann_whitney_partial state, which is left unchanged';

-- crm.chi2_test -----------------------------------------------------------------
CREATE FUNCTION crm.chi2_test_partial_transfn(crm.agg_state, text, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'chi2_test_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_partial_transfn(crm.agg_state, text, boolean) IS
'transition function of crm.chi2_test_partial: the transition function of crm.chi2_test, in place on the expanded state';

CREATE AGGREGATE crm.chi2_test_partial(variant text, converted boolean) (
	SFUNC = crm.chi2_test_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 512,
	INITCOND = 'chi2_test:AQ4=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.chi2_test_partial(text, boolean) IS
'the partial state of crm.chi2_test over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.chi2_test_finish';

CREATE FUNCTION crm.chi2_test_partial_transfn(crm.agg_state, text, boolean, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'chi2_test_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_partial_transfn(crm.agg_state, text, boolean, boolean) IS
'transition function of crm.chi2_test_partial: the transition function of crm.chi2_test, in place on the expanded state';

CREATE AGGREGATE crm.chi2_test_partial(variant text, converted boolean, correction boolean) (
	SFUNC = crm.chi2_test_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 512,
	INITCOND = 'chi2_test:AQ4=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.chi2_test_partial(text, boolean, boolean) IS
'the partial state of crm.chi2_test over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.chi2_test_finish';

CREATE FUNCTION crm.chi2_test_finish(state crm.agg_state)
RETURNS crm.chi2_test
AS 'MODULE_PATHNAME', 'chi2_test_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_finish(crm.agg_state) IS
'the result of crm.chi2_test from a (merged) crm.chi2_test_partial state, which is left unchanged';

-- crm.gini -----------------------------------------------------------------
CREATE FUNCTION crm.gini_partial_transfn(crm.agg_state, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'gini_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gini_partial_transfn(crm.agg_state, float8) IS
'transition function of crm.gini_partial: the transition function of crm.gini, in place on the expanded state';

CREATE AGGREGATE crm.gini_partial(value float8) (
	SFUNC = crm.gini_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'gini:AQ8=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gini_partial(float8) IS
'the partial state of crm.gini over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.gini_finish';

CREATE FUNCTION crm.gini_partial_transfn(crm.agg_state, float8, boolean)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'gini_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gini_partial_transfn(crm.agg_state, float8, boolean) IS
'transition function of crm.gini_partial: the transition function of crm.gini, in place on the expanded state';

CREATE AGGREGATE crm.gini_partial(value float8, unbiased boolean) (
	SFUNC = crm.gini_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'gini:AQ8=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gini_partial(float8, boolean) IS
'the partial state of crm.gini over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.gini_finish';

CREATE FUNCTION crm.gini_finish(state crm.agg_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'gini_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.gini_finish(crm.agg_state) IS
'the result of crm.gini from a (merged) crm.gini_partial state, which is left unchanged';

-- crm.top_share -----------------------------------------------------------------
CREATE FUNCTION crm.top_share_partial_transfn(crm.agg_state, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'top_share_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.top_share_partial_transfn(crm.agg_state, float8, float8) IS
'transition function of crm.top_share_partial: the transition function of crm.top_share, in place on the expanded state';

CREATE AGGREGATE crm.top_share_partial(value float8, fraction float8) (
	SFUNC = crm.top_share_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'top_share:ARA=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.top_share_partial(float8, float8) IS
'the partial state of crm.top_share over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.top_share_finish';

CREATE FUNCTION crm.top_share_finish(state crm.agg_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'top_share_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.top_share_finish(crm.agg_state) IS
'the result of crm.top_share from a (merged) crm.top_share_partial state, which is left unchanged';

-- crm.median_abs_deviation -----------------------------------------------------------------
CREATE FUNCTION crm.median_abs_deviation_partial_transfn(crm.agg_state, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'median_abs_deviation_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.median_abs_deviation_partial_transfn(crm.agg_state, float8) IS
'transition function of crm.median_abs_deviation_partial: the transition function of crm.median_abs_deviation, in place on the expanded state';

CREATE AGGREGATE crm.median_abs_deviation_partial(value float8) (
	SFUNC = crm.median_abs_deviation_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1024,
	INITCOND = 'median_abs_deviation:ARE=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.median_abs_deviation_partial(float8) IS
'the partial state of crm.median_abs_deviation over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.median_abs_deviation_finish';

CREATE FUNCTION crm.median_abs_deviation_finish(state crm.agg_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'median_abs_deviation_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.median_abs_deviation_finish(crm.agg_state) IS
'the result of crm.median_abs_deviation from a (merged) crm.median_abs_deviation_partial state, which is left unchanged';

-- crm.holt_winters -----------------------------------------------------------------
CREATE FUNCTION crm.holt_winters_partial_transfn(crm.agg_state, timestamptz, float8, integer)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'holt_winters_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_partial_transfn(crm.agg_state, timestamptz, float8, integer) IS
'transition function of crm.holt_winters_partial: the transition function of crm.holt_winters, in place on the expanded state';

CREATE AGGREGATE crm.holt_winters_partial(ts timestamptz, value float8, period integer) (
	SFUNC = crm.holt_winters_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1700,
	INITCOND = 'holt_winters:ARI=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.holt_winters_partial(timestamptz, float8, integer) IS
'the partial state of crm.holt_winters over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.holt_winters_finish';

CREATE FUNCTION crm.holt_winters_partial_transfn(crm.agg_state, timestamptz, float8, integer, text)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'holt_winters_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_partial_transfn(crm.agg_state, timestamptz, float8, integer, text) IS
'transition function of crm.holt_winters_partial: the transition function of crm.holt_winters, in place on the expanded state';

CREATE AGGREGATE crm.holt_winters_partial(ts timestamptz, value float8, period integer, seasonal text) (
	SFUNC = crm.holt_winters_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1700,
	INITCOND = 'holt_winters:ARI=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.holt_winters_partial(timestamptz, float8, integer, text) IS
'the partial state of crm.holt_winters over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.holt_winters_finish';

CREATE FUNCTION crm.holt_winters_partial_transfn(crm.agg_state, timestamptz, float8, integer, text, float8, float8, float8)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'holt_winters_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_partial_transfn(crm.agg_state, timestamptz, float8, integer, text, float8, float8, float8) IS
'transition function of crm.holt_winters_partial: the transition function of crm.holt_winters, in place on the expanded state';

CREATE AGGREGATE crm.holt_winters_partial(ts timestamptz, value float8, period integer, seasonal text, alpha float8, beta float8, gamma float8) (
	SFUNC = crm.holt_winters_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 1700,
	INITCOND = 'holt_winters:ARI=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.holt_winters_partial(timestamptz, float8, integer, text, float8, float8, float8) IS
'the partial state of crm.holt_winters over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.holt_winters_finish';

CREATE FUNCTION crm.holt_winters_finish(state crm.agg_state)
RETURNS crm.holt_winters_model
AS 'MODULE_PATHNAME', 'holt_winters_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_finish(crm.agg_state) IS
'the result of crm.holt_winters from a (merged) crm.holt_winters_partial state, which is left unchanged';

-- crm.profile_candidates -----------------------------------------------------------------
CREATE FUNCTION crm.profile_candidates_partial_transfn(crm.agg_state, crm.profile, integer, crm.profile, integer)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'profile_candidates_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_partial_transfn(crm.agg_state, crm.profile, integer, crm.profile, integer) IS
'transition function of crm.profile_candidates_partial: the transition function of crm.profile_candidates, in place on the expanded state';

CREATE AGGREGATE crm.profile_candidates_partial(target crm.profile, item integer, postings crm.profile, k integer) (
	SFUNC = crm.profile_candidates_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 65536,
	INITCOND = 'profile_candidates:ARM=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.profile_candidates_partial(crm.profile, integer, crm.profile, integer) IS
'the partial state of crm.profile_candidates over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.profile_candidates_finish';

CREATE FUNCTION crm.profile_candidates_finish(state crm.agg_state)
RETURNS integer[]
AS 'MODULE_PATHNAME', 'profile_candidates_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_finish(crm.agg_state) IS
'the result of crm.profile_candidates from a (merged) crm.profile_candidates_partial state, which is left unchanged';

-- crm.profile_candidates_jaccard -----------------------------------------------------------------
CREATE FUNCTION crm.profile_candidates_jaccard_partial_transfn(crm.agg_state, crm.profile, integer, crm.profile, integer)
RETURNS crm.agg_state
AS 'MODULE_PATHNAME', 'profile_candidates_jaccard_partial_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_jaccard_partial_transfn(crm.agg_state, crm.profile, integer, crm.profile, integer) IS
'transition function of crm.profile_candidates_jaccard_partial: the transition function of crm.profile_candidates_jaccard, in place on the expanded state';

CREATE AGGREGATE crm.profile_candidates_jaccard_partial(target crm.profile, item integer, postings crm.profile, k integer) (
	SFUNC = crm.profile_candidates_jaccard_partial_transfn,
	STYPE = crm.agg_state,
	SSPACE = 65536,
	INITCOND = 'profile_candidates_jaccard:ARQ=',
	COMBINEFUNC = crm.agg_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.profile_candidates_jaccard_partial(crm.profile, integer, crm.profile, integer) IS
'the partial state of crm.profile_candidates_jaccard over these rows, to merge with crm.agg_merge (or a distributed engine''s combine step) and finish with crm.profile_candidates_jaccard_finish';

CREATE FUNCTION crm.profile_candidates_jaccard_finish(state crm.agg_state)
RETURNS integer[]
AS 'MODULE_PATHNAME', 'profile_candidates_jaccard_finish'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_jaccard_finish(crm.agg_state) IS
'the result of crm.profile_candidates_jaccard from a (merged) crm.profile_candidates_jaccard_partial state, which is left unchanged';

