/* crm_analytics 0.1.0 -> 0.2.0 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION crm_analytics UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Review fixes (issue 9)
-- ---------------------------------------------------------------------------

-- operators qualified: nothing resolves through the caller's search_path
CREATE OR REPLACE FUNCTION crm.kmeans_centroids(centroids float8[])
RETURNS TABLE (cluster integer, centroid float8[])
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT (i OPERATOR(pg_catalog.-) pg_catalog.array_lower(centroids, 1) OPERATOR(pg_catalog.+) 1)::pg_catalog.int4,
		   ARRAY(SELECT centroids[i][j] FROM pg_catalog.generate_subscripts(centroids, 2) AS j ORDER BY j)
	FROM pg_catalog.generate_subscripts(centroids, 1) AS i
	ORDER BY i
$$;

-- the combine function reads TimeZone (the local day of as_of)
ALTER FUNCTION crm.clv_summary_combinefn(internal, internal) STABLE;

-- truthful state size of the k-means aggregates (ALTER AGGREGATE cannot set
-- it; dropping the aggregates would drop the caller's views that use them)
UPDATE pg_catalog.pg_aggregate SET aggtransspace = 134217728
WHERE aggfnoid OPERATOR(pg_catalog.=) ANY (ARRAY[
	'crm.kmeans(float8[], integer)'::pg_catalog.regprocedure,
	'crm.kmeans(float8[], integer, bigint)'::pg_catalog.regprocedure,
	'crm.kmeans(float8[], integer, bigint, integer)'::pg_catalog.regprocedure]::pg_catalog.oid[]);
-- ======================================================================
-- 0.2.0: deviation, forecast and concentration (src/deviation.sql, src/forecast.sql, src/concentration.sql)
-- ======================================================================

------------------------------------------------------------------------------
-- Deviation analysis: robust z-scores, generalized ESD, seasonal hybrid ESD,
-- customers unlike their own past
------------------------------------------------------------------------------

-- the value-list state shared by crm.median_abs_deviation, crm.gini and crm.top_share
CREATE FUNCTION crm.value_list_transfn(internal, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'value_list_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.value_list_transfn(internal, float8) IS
'transition function of crm.median_abs_deviation and crm.gini: keeps the values of the group';

CREATE FUNCTION crm.value_list_param_transfn(internal, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'value_list_param_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.value_list_param_transfn(internal, float8, float8) IS
'transition function of crm.top_share: keeps the values and the fraction of the group';

CREATE FUNCTION crm.value_list_flag_transfn(internal, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'value_list_flag_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.value_list_flag_transfn(internal, float8, boolean) IS
'transition function of crm.gini(value, unbiased): keeps the values and the flag of the group';

CREATE FUNCTION crm.value_list_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'value_list_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.value_list_combinefn(internal, internal) IS
'combine function of the value-list aggregates (concatenates partial lists of parallel workers)';

CREATE FUNCTION crm.value_list_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'value_list_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.value_list_serialfn(internal) IS
'serialization function of the value-list aggregates';

CREATE FUNCTION crm.value_list_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'value_list_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.value_list_deserialfn(bytea, internal) IS
'deserialization function of the value-list aggregates';

CREATE FUNCTION crm.median_abs_deviation_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'median_abs_deviation_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.median_abs_deviation_finalfn(internal) IS
'final function of crm.median_abs_deviation';

CREATE AGGREGATE crm.median_abs_deviation(value float8) (
	SFUNC = crm.value_list_transfn,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = crm.median_abs_deviation_finalfn,
	COMBINEFUNC = crm.value_list_combinefn,
	SERIALFUNC = crm.value_list_serialfn,
	DESERIALFUNC = crm.value_list_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.median_abs_deviation(float8) IS
'raw median absolute deviation median(|x - median(x)|) (R''s mad(x, constant = 1)); NULLs are skipped';

CREATE FUNCTION crm.robust_zscore(value float8, median float8, mad float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'robust_zscore'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.robust_zscore(float8, float8, float8) IS
'modified z-score 0.6745 (value - median) / mad of Iglewicz and Hoaglin; with mad 0: 0 at the median, +-Infinity elsewhere';

CREATE FUNCTION crm.gesd(query text, max_outliers integer, alpha float8 DEFAULT 0.05)
RETURNS TABLE (step integer, key text, value float8, r float8, lambda float8, is_outlier boolean)
AS 'MODULE_PATHNAME', 'gesd'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION crm.gesd(text, integer, float8) IS
'Rosner''s generalized ESD test on a query returning (key, value): the max_outliers most extreme points in removal order with R_i, lambda_i and whether they are outliers';

CREATE FUNCTION crm.detect_anomalies(query text, period integer, max_anomalies float8 DEFAULT 0.02,
									 alpha float8 DEFAULT 0.05, direction text DEFAULT 'both')
RETURNS TABLE (ts timestamptz, value float8, expected float8, score float8)
AS 'MODULE_PATHNAME', 'detect_anomalies'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION crm.detect_anomalies(text, integer, float8, float8, text) IS
'seasonal hybrid ESD (robust STL, median and MAD) on a regular series returned by a query (ts, value): the anomalous points with their expected value';

CREATE FUNCTION crm.customer_deviation(query text, period interval, as_of timestamptz, history integer DEFAULT 6)
RETURNS TABLE (customer text, current float8, median float8, mad float8, robust_z float8,
			   active_periods integer, current_rows integer)
AS 'MODULE_PATHNAME', 'customer_deviation'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.customer_deviation(text, interval, timestamptz, integer) IS
'per customer of a query returning (customer, ts, value): the sum of the last complete period before as_of against the median and MAD of the history periods before it, and the robust z-score';

CREATE FUNCTION crm.stl(query text, period integer, robust boolean DEFAULT true,
						seasonal_window integer DEFAULT NULL)
RETURNS TABLE (ts timestamptz, value float8, seasonal float8, trend float8, remainder float8, weight float8)
AS 'MODULE_PATHNAME', 'stl_decompose'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.stl(text, integer, boolean, integer) IS
'STL seasonal-trend decomposition by loess of a regular series returned by a query (ts, value), with R''s stl() defaults; seasonal_window NULL is a periodic season';

------------------------------------------------------------------------------
-- Customer future analysis: Holt-Winters models and forecasts
------------------------------------------------------------------------------

CREATE TYPE crm.holt_winters_model AS (
	kind text,
	period integer,
	alpha float8,
	beta float8,
	gamma float8,
	level float8,
	trend float8,
	seasonal float8[],
	sse float8,
	sigma2 float8,
	n integer,
	last_ts timestamptz,
	step interval
);
COMMENT ON TYPE crm.holt_winters_model IS
'a fitted Holt-Winters model: kind (additive, multiplicative or holt), period, smoothing parameters, final level, trend and seasonal factors (s[h] for h steps ahead), SSE, residual variance, points, last time and step of the series';

CREATE FUNCTION crm.holt_winters_transfn(internal, timestamptz, float8, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'holt_winters_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_transfn(internal, timestamptz, float8, integer) IS
'transition function of crm.holt_winters(ts, value, period)';

CREATE FUNCTION crm.holt_winters_transfn(internal, timestamptz, float8, integer, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'holt_winters_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_transfn(internal, timestamptz, float8, integer, text) IS
'transition function of crm.holt_winters(ts, value, period, seasonal)';

CREATE FUNCTION crm.holt_winters_transfn(internal, timestamptz, float8, integer, text, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'holt_winters_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_transfn(internal, timestamptz, float8, integer, text, float8, float8, float8) IS
'transition function of crm.holt_winters(ts, value, period, seasonal, alpha, beta, gamma)';

CREATE FUNCTION crm.holt_winters_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'holt_winters_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_combinefn(internal, internal) IS
'combine function of crm.holt_winters (concatenates the points of parallel workers)';

CREATE FUNCTION crm.holt_winters_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'holt_winters_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_serialfn(internal) IS
'serialization function of crm.holt_winters';

CREATE FUNCTION crm.holt_winters_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'holt_winters_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_deserialfn(bytea, internal) IS
'deserialization function of crm.holt_winters';

CREATE FUNCTION crm.holt_winters_finalfn(internal)
RETURNS crm.holt_winters_model
AS 'MODULE_PATHNAME', 'holt_winters_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.holt_winters_finalfn(internal) IS
'final function of crm.holt_winters: fits the series of the group';

CREATE AGGREGATE crm.holt_winters(ts timestamptz, value float8, period integer) (
	SFUNC = crm.holt_winters_transfn,
	STYPE = internal,
	SSPACE = 1700,
	FINALFUNC = crm.holt_winters_finalfn,
	COMBINEFUNC = crm.holt_winters_combinefn,
	SERIALFUNC = crm.holt_winters_serialfn,
	DESERIALFUNC = crm.holt_winters_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.holt_winters(timestamptz, float8, integer) IS
'additive Holt-Winters model of a regular series (R''s HoltWinters() conventions); period 1 or NULL: Holt''s linear trend';

CREATE AGGREGATE crm.holt_winters(ts timestamptz, value float8, period integer, seasonal text) (
	SFUNC = crm.holt_winters_transfn,
	STYPE = internal,
	SSPACE = 1700,
	FINALFUNC = crm.holt_winters_finalfn,
	COMBINEFUNC = crm.holt_winters_combinefn,
	SERIALFUNC = crm.holt_winters_serialfn,
	DESERIALFUNC = crm.holt_winters_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.holt_winters(timestamptz, float8, integer, text) IS
'Holt-Winters model of a regular series, seasonal ''additive'' or ''multiplicative'' (R''s HoltWinters() conventions)';

CREATE AGGREGATE crm.holt_winters(ts timestamptz, value float8, period integer, seasonal text,
								  alpha float8, beta float8, gamma float8) (
	SFUNC = crm.holt_winters_transfn,
	STYPE = internal,
	SSPACE = 1700,
	FINALFUNC = crm.holt_winters_finalfn,
	COMBINEFUNC = crm.holt_winters_combinefn,
	SERIALFUNC = crm.holt_winters_serialfn,
	DESERIALFUNC = crm.holt_winters_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.holt_winters(timestamptz, float8, integer, text, float8, float8, float8) IS
'Holt-Winters model with smoothing parameters given (NULL ones are estimated by least squares)';

CREATE FUNCTION crm.forecast(model crm.holt_winters_model, horizon integer, level float8 DEFAULT 0.95)
RETURNS TABLE (step integer, ts timestamptz, forecast float8, lower float8, upper float8)
AS 'MODULE_PATHNAME', 'holt_winters_forecast'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 12;
COMMENT ON FUNCTION crm.forecast(crm.holt_winters_model, integer, float8) IS
'forecasts 1..horizon steps after the series of a Holt-Winters model, with prediction intervals as R''s predict.HoltWinters';

------------------------------------------------------------------------------
-- Profit analysis: revenue concentration (Gini, top share, ABC, Lorenz)
------------------------------------------------------------------------------

CREATE FUNCTION crm.gini_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'gini_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gini_finalfn(internal) IS
'final function of crm.gini';

CREATE AGGREGATE crm.gini(value float8) (
	SFUNC = crm.value_list_transfn,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = crm.gini_finalfn,
	COMBINEFUNC = crm.value_list_combinefn,
	SERIALFUNC = crm.value_list_serialfn,
	DESERIALFUNC = crm.value_list_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gini(float8) IS
'Gini coefficient of non-negative values, the biased estimator of R''s ineq::Gini; NULL for no rows or a total of 0';

CREATE AGGREGATE crm.gini(value float8, unbiased boolean) (
	SFUNC = crm.value_list_flag_transfn,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = crm.gini_finalfn,
	COMBINEFUNC = crm.value_list_combinefn,
	SERIALFUNC = crm.value_list_serialfn,
	DESERIALFUNC = crm.value_list_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gini(float8, boolean) IS
'Gini coefficient of non-negative values, times n/(n-1) when unbiased';

CREATE FUNCTION crm.top_share_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'top_share_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.top_share_finalfn(internal) IS
'final function of crm.top_share';

CREATE AGGREGATE crm.top_share(value float8, fraction float8) (
	SFUNC = crm.value_list_param_transfn,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = crm.top_share_finalfn,
	COMBINEFUNC = crm.value_list_combinefn,
	SERIALFUNC = crm.value_list_serialfn,
	DESERIALFUNC = crm.value_list_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.top_share(float8, float8) IS
'share of the total held by the ceil(fraction n) largest values (non-negative values)';

CREATE FUNCTION crm.abc_classes(query text, a float8 DEFAULT 0.8, b float8 DEFAULT 0.95)
RETURNS TABLE (key text, value float8, share float8, cumulative_share float8, class text, rank bigint)
AS 'MODULE_PATHNAME', 'abc_classes'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.abc_classes(text, float8, float8) IS
'ABC classes of the keys of a query returning (key, value), summed per key: A while the cumulative share before the key is below a, B below b, else C';

CREATE FUNCTION crm.lorenz_curve(query text, points integer DEFAULT 100)
RETURNS TABLE (point integer, population_share float8, value_share float8)
AS 'MODULE_PATHNAME', 'lorenz_curve'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 101;
COMMENT ON FUNCTION crm.lorenz_curve(text, integer) IS
'Lorenz curve of a query returning (value) or (key, value) summed per key, at points + 1 evenly spaced population shares';

-- ---------------------------------------------------------------------------
-- 0.2.0: web analytics and conversion (src/journeys.sql)
-- ---------------------------------------------------------------------------
------------------------------------------------------------------------------
-- Web analytics and conversion: funnels, retention, event sequences,
-- sessions, paths and cohorts (funnel.c, sequence.c, journey_paths.c,
-- cohort.c, journeys.c)
------------------------------------------------------------------------------

-- window_funnel and funnel_times share one state: the (time, steps) events of
-- the group.  SSPACE is a fresh state: its header and room for 10 events.

CREATE FUNCTION crm.window_funnel_transfn(internal, interval, timestamptz, VARIADIC boolean[])
RETURNS internal
AS 'MODULE_PATHNAME', 'window_funnel_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.window_funnel_transfn(internal, interval, timestamptz, boolean[]) IS
'transition function of crm.window_funnel and crm.funnel_times without a mode';

CREATE FUNCTION crm.window_funnel_transfn(internal, interval, text, timestamptz, VARIADIC boolean[])
RETURNS internal
AS 'MODULE_PATHNAME', 'window_funnel_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.window_funnel_transfn(internal, interval, text, timestamptz, boolean[]) IS
'transition function of crm.window_funnel and crm.funnel_times with a mode';

CREATE FUNCTION crm.window_funnel_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'window_funnel_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.window_funnel_combinefn(internal, internal) IS
'combine function of crm.window_funnel and crm.funnel_times (merges partial states of parallel workers)';

CREATE FUNCTION crm.window_funnel_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'window_funnel_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.window_funnel_serialfn(internal) IS
'serialization function of crm.window_funnel and crm.funnel_times';

CREATE FUNCTION crm.window_funnel_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'window_funnel_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.window_funnel_deserialfn(bytea, internal) IS
'deserialization function of crm.window_funnel and crm.funnel_times';

CREATE FUNCTION crm.window_funnel_finalfn(internal)
RETURNS integer
AS 'MODULE_PATHNAME', 'window_funnel_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.window_funnel_finalfn(internal) IS
'final function of crm.window_funnel';

CREATE FUNCTION crm.funnel_times_finalfn(internal)
RETURNS timestamptz[]
AS 'MODULE_PATHNAME', 'funnel_times_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.funnel_times_finalfn(internal) IS
'final function of crm.funnel_times';

CREATE AGGREGATE crm.window_funnel("window" interval, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = crm.window_funnel_transfn,
	STYPE = internal,
	SSPACE = 208,
	FINALFUNC = crm.window_funnel_finalfn,
	COMBINEFUNC = crm.window_funnel_combinefn,
	SERIALFUNC = crm.window_funnel_serialfn,
	DESERIALFUNC = crm.window_funnel_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.window_funnel(interval, timestamptz, VARIADIC boolean[]) IS
'highest funnel step reached by one chain of events within the window (ClickHouse windowFunnel); 0 when no row matches step 1';

CREATE AGGREGATE crm.window_funnel("window" interval, mode text, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = crm.window_funnel_transfn,
	STYPE = internal,
	SSPACE = 208,
	FINALFUNC = crm.window_funnel_finalfn,
	COMBINEFUNC = crm.window_funnel_combinefn,
	SERIALFUNC = crm.window_funnel_serialfn,
	DESERIALFUNC = crm.window_funnel_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.window_funnel(interval, text, timestamptz, VARIADIC boolean[]) IS
'window_funnel with modes, a comma-separated list of strict_deduplication, strict_order and strict_increase';

CREATE AGGREGATE crm.funnel_times("window" interval, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = crm.window_funnel_transfn,
	STYPE = internal,
	SSPACE = 208,
	FINALFUNC = crm.funnel_times_finalfn,
	COMBINEFUNC = crm.window_funnel_combinefn,
	SERIALFUNC = crm.window_funnel_serialfn,
	DESERIALFUNC = crm.window_funnel_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.funnel_times(interval, timestamptz, VARIADIC boolean[]) IS
'times of the steps of the earliest chain reaching the highest funnel step (one element per step reached)';

CREATE AGGREGATE crm.funnel_times("window" interval, mode text, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = crm.window_funnel_transfn,
	STYPE = internal,
	SSPACE = 208,
	FINALFUNC = crm.funnel_times_finalfn,
	COMBINEFUNC = crm.window_funnel_combinefn,
	SERIALFUNC = crm.window_funnel_serialfn,
	DESERIALFUNC = crm.window_funnel_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.funnel_times(interval, text, timestamptz, VARIADIC boolean[]) IS
'funnel_times with window_funnel modes';

-- retention: the state is a bigint (conditions seen and their number)

CREATE FUNCTION crm.retention_transfn(bigint, VARIADIC boolean[])
RETURNS bigint
AS 'MODULE_PATHNAME', 'retention_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.retention_transfn(bigint, boolean[]) IS
'transition function of crm.retention';

CREATE FUNCTION crm.retention_combinefn(bigint, bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'retention_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.retention_combinefn(bigint, bigint) IS
'combine function of crm.retention';

CREATE FUNCTION crm.retention_finalfn(bigint)
RETURNS boolean[]
AS 'MODULE_PATHNAME', 'retention_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.retention_finalfn(bigint) IS
'final function of crm.retention';

CREATE AGGREGATE crm.retention(VARIADIC conditions boolean[]) (
	SFUNC = crm.retention_transfn,
	STYPE = bigint,
	FINALFUNC = crm.retention_finalfn,
	COMBINEFUNC = crm.retention_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.retention(VARIADIC boolean[]) IS
'ClickHouse retention: element 1 = condition 1 held on some row, element k = conditions 1 and k both held; NULL for no rows';

-- sequence_match and sequence_count share one state

CREATE FUNCTION crm.sequence_transfn(internal, text, timestamptz, VARIADIC boolean[])
RETURNS internal
AS 'MODULE_PATHNAME', 'sequence_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.sequence_transfn(internal, text, timestamptz, boolean[]) IS
'transition function of crm.sequence_match and crm.sequence_count';

CREATE FUNCTION crm.sequence_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'sequence_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.sequence_combinefn(internal, internal) IS
'combine function of crm.sequence_match and crm.sequence_count';

CREATE FUNCTION crm.sequence_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'sequence_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.sequence_serialfn(internal) IS
'serialization function of crm.sequence_match and crm.sequence_count';

CREATE FUNCTION crm.sequence_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'sequence_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.sequence_deserialfn(bytea, internal) IS
'deserialization function of crm.sequence_match and crm.sequence_count';

CREATE FUNCTION crm.sequence_match_finalfn(internal)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sequence_match_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.sequence_match_finalfn(internal) IS
'final function of crm.sequence_match';

CREATE FUNCTION crm.sequence_count_finalfn(internal)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sequence_count_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.sequence_count_finalfn(internal) IS
'final function of crm.sequence_count';

CREATE AGGREGATE crm.sequence_match(pattern text, ts timestamptz, VARIADIC conditions boolean[]) (
	SFUNC = crm.sequence_transfn,
	STYPE = internal,
	SSPACE = 208,
	FINALFUNC = crm.sequence_match_finalfn,
	COMBINEFUNC = crm.sequence_combinefn,
	SERIALFUNC = crm.sequence_serialfn,
	DESERIALFUNC = crm.sequence_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.sequence_match(text, timestamptz, VARIADIC boolean[]) IS
'whether the events of the group match a ClickHouse sequenceMatch pattern such as (?1).*(?2)(?t<=3600)(?3); false for no rows';

CREATE AGGREGATE crm.sequence_count(pattern text, ts timestamptz, VARIADIC conditions boolean[]) (
	SFUNC = crm.sequence_transfn,
	STYPE = internal,
	SSPACE = 208,
	FINALFUNC = crm.sequence_count_finalfn,
	COMBINEFUNC = crm.sequence_combinefn,
	SERIALFUNC = crm.sequence_serialfn,
	DESERIALFUNC = crm.sequence_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.sequence_count(text, timestamptz, VARIADIC boolean[]) IS
'number of non-overlapping matches of a ClickHouse sequenceCount pattern in the events of the group';

CREATE FUNCTION crm.session_number(ts timestamptz, gap interval)
RETURNS bigint
AS 'MODULE_PATHNAME', 'session_number'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.session_number(timestamptz, interval) IS
'window function: session number 1, 2, ... of the row in its partition; a new session starts after more than gap without an event';

-- the whole funnel of a query in one call
CREATE FUNCTION crm.funnel_report(query text, "window" interval, mode text DEFAULT '')
RETURNS TABLE (step integer, visitors bigint, dropped bigint, conversion float8, step_conversion float8,
			   median_seconds float8, median_step_seconds float8)
AS 'MODULE_PATHNAME', 'funnel_report'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 8;
COMMENT ON FUNCTION crm.funnel_report(text, interval, text) IS
'the funnel of a query returning (visitor, event_time, step_1, ..., step_n): per step the visitors reaching it (window_funnel level), those lost, conversion from step 1 and from the previous step, median seconds from step 1 and from the previous step (funnel_times chains)';

CREATE FUNCTION crm.path_transitions(query text, max_steps integer DEFAULT 10)
RETURNS TABLE (step integer, from_event text, to_event text, journeys bigint)
AS 'MODULE_PATHNAME', 'path_transitions'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION crm.path_transitions(text, integer) IS
'moves between consecutive events of the journeys of a query returning (journey, ts, event), per step, "(end)" after the last event: the data of a Sankey diagram';

CREATE FUNCTION crm.top_paths(query text, max_length integer DEFAULT 5, k integer DEFAULT 20)
RETURNS TABLE (path text[], journeys bigint, share float8, conversions bigint,
			   conversion_rate float8, conversion_share float8)
AS 'MODULE_PATHNAME', 'top_paths'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20;
COMMENT ON FUNCTION crm.top_paths(text, integer, integer) IS
'the k most frequent paths (first max_length events) of the journeys of a query returning (journey, ts, event [, converted])';

CREATE FUNCTION crm.cohort_retention(query text, grain text DEFAULT 'month', mode text DEFAULT 'on',
									 as_of timestamptz DEFAULT NULL)
RETURNS TABLE (cohort date, period integer, cohort_size bigint, active bigint, rate float8)
AS 'MODULE_PATHNAME', 'cohort_retention'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION crm.cohort_retention(text, text, text, timestamptz) IS
'retention of first-activity cohorts of a query returning (customer, activity_time), per calendar period; periods not elapsed by as_of are NULL';

-- promotion analysis (issue 14): A/B and campaign statistics, attribution
------------------------------------------------------------------------------
-- A/B and campaign statistics: conversions, values, CUPED, counts
------------------------------------------------------------------------------

CREATE TYPE crm.ab_test AS (
	n_control bigint,
	n_treated bigint,
	conversions_control bigint,
	conversions_treated bigint,
	rate_control float8,
	rate_treated float8,
	uplift float8,
	relative_uplift float8,
	ci_low float8,
	ci_high float8,
	z float8,
	p_value float8
);
COMMENT ON TYPE crm.ab_test IS
'Result of crm.ab_test: group sizes, conversions and rates, uplift (treated minus control) and relative uplift, Newcombe hybrid score interval of the uplift, pooled z statistic and two-sided p-value';

CREATE FUNCTION crm.ab_test_transfn(internal, boolean, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_transfn(internal, boolean, boolean) IS
'transition function of crm.ab_test at the default confidence 0.95';

CREATE FUNCTION crm.ab_test_transfn(internal, boolean, boolean, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_transfn(internal, boolean, boolean, float8) IS
'transition function of crm.ab_test';

CREATE FUNCTION crm.ab_test_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_combinefn(internal, internal) IS
'combine function of crm.ab_test (merges partial states of parallel workers)';

CREATE FUNCTION crm.ab_test_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'ab_test_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_serialfn(internal) IS
'serialization function of crm.ab_test';

CREATE FUNCTION crm.ab_test_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_deserialfn(bytea, internal) IS
'deserialization function of crm.ab_test';

CREATE FUNCTION crm.ab_test_finalfn(internal)
RETURNS crm.ab_test
AS 'MODULE_PATHNAME', 'ab_test_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_finalfn(internal) IS
'final function of crm.ab_test';

-- SSPACE: the state is four counters and the confidence level (40 bytes)
CREATE AGGREGATE crm.ab_test(converted boolean, treated boolean) (
	SFUNC = crm.ab_test_transfn,
	STYPE = internal,
	SSPACE = 40,
	FINALFUNC = crm.ab_test_finalfn,
	COMBINEFUNC = crm.ab_test_combinefn,
	SERIALFUNC = crm.ab_test_serialfn,
	DESERIALFUNC = crm.ab_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.ab_test(boolean, boolean) IS
'A/B test of conversion rates, treated minus control, 95 % Newcombe interval and pooled z-test; rows with a NULL are skipped';

CREATE AGGREGATE crm.ab_test(converted boolean, treated boolean, confidence float8) (
	SFUNC = crm.ab_test_transfn,
	STYPE = internal,
	SSPACE = 40,
	FINALFUNC = crm.ab_test_finalfn,
	COMBINEFUNC = crm.ab_test_combinefn,
	SERIALFUNC = crm.ab_test_serialfn,
	DESERIALFUNC = crm.ab_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.ab_test(boolean, boolean, float8) IS
'A/B test of conversion rates, treated minus control, Newcombe interval at the given confidence and pooled z-test';

CREATE TYPE crm.welch_ttest AS (
	n_control bigint,
	n_treated bigint,
	mean_control float8,
	mean_treated float8,
	difference float8,
	t float8,
	df float8,
	p_value float8,
	ci_low float8,
	ci_high float8
);
COMMENT ON TYPE crm.welch_ttest IS
'Result of crm.welch_ttest: group sizes and means, difference (treated minus control), t, Welch-Satterthwaite degrees of freedom, two-sided p-value and interval of the difference';

CREATE TYPE crm.cuped_test AS (
	n_control bigint,
	n_treated bigint,
	mean_control float8,
	mean_treated float8,
	theta float8,
	difference float8,
	t float8,
	df float8,
	p_value float8,
	ci_low float8,
	ci_high float8,
	variance_reduction float8
);
COMMENT ON TYPE crm.cuped_test IS
'Result of crm.cuped_test: group sizes and raw means, theta, CUPED-adjusted difference (treated minus control) with its Welch t, degrees of freedom, p-value and interval, and the share of the variance of the estimate removed';

CREATE FUNCTION crm.welch_ttest_transfn(internal, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'welch_ttest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_transfn(internal, float8, boolean) IS
'transition function of crm.welch_ttest at the default confidence 0.95';

CREATE FUNCTION crm.welch_ttest_transfn(internal, float8, boolean, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'welch_ttest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_transfn(internal, float8, boolean, float8) IS
'transition function of crm.welch_ttest';

CREATE FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'cuped_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean) IS
'transition function of crm.cuped_test at the default confidence 0.95';

CREATE FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'cuped_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean, float8) IS
'transition function of crm.cuped_test';

CREATE FUNCTION crm.means_test_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'means_test_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.means_test_combinefn(internal, internal) IS
'combine function of crm.welch_ttest and crm.cuped_test (merges partial moments)';

CREATE FUNCTION crm.means_test_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'means_test_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.means_test_serialfn(internal) IS
'serialization function of crm.welch_ttest and crm.cuped_test';

CREATE FUNCTION crm.means_test_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'means_test_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.means_test_deserialfn(bytea, internal) IS
'deserialization function of crm.welch_ttest and crm.cuped_test';

CREATE FUNCTION crm.welch_ttest_finalfn(internal)
RETURNS crm.welch_ttest
AS 'MODULE_PATHNAME', 'welch_ttest_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_finalfn(internal) IS
'final function of crm.welch_ttest';

CREATE FUNCTION crm.cuped_test_finalfn(internal)
RETURNS crm.cuped_test
AS 'MODULE_PATHNAME', 'cuped_test_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_finalfn(internal) IS
'final function of crm.cuped_test';

-- SSPACE: two groups of moments (6 x 8 bytes each), the confidence and a flag
CREATE AGGREGATE crm.welch_ttest(value float8, treated boolean) (
	SFUNC = crm.welch_ttest_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.welch_ttest_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.welch_ttest(float8, boolean) IS
'Welch''s unequal-variance t-test of the mean value, treated minus control, with a 95 % interval (scipy ttest_ind equal_var=False)';

CREATE AGGREGATE crm.welch_ttest(value float8, treated boolean, confidence float8) (
	SFUNC = crm.welch_ttest_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.welch_ttest_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.welch_ttest(float8, boolean, float8) IS
'Welch''s unequal-variance t-test of the mean value, treated minus control, with an interval at the given confidence';

CREATE AGGREGATE crm.cuped_test(value float8, covariate float8, treated boolean) (
	SFUNC = crm.cuped_test_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.cuped_test_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.cuped_test(float8, float8, boolean) IS
'CUPED (Deng et al. 2013): treatment effect on value adjusted with a pre-period covariate, Welch test and 95 % interval';

CREATE AGGREGATE crm.cuped_test(value float8, covariate float8, treated boolean, confidence float8) (
	SFUNC = crm.cuped_test_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.cuped_test_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.cuped_test(float8, float8, boolean, float8) IS
'CUPED (Deng et al. 2013): treatment effect on value adjusted with a pre-period covariate, Welch test and interval at the given confidence';

CREATE TYPE crm.mann_whitney AS (
	n_control bigint,
	n_treated bigint,
	u float8,
	prob_superiority float8,
	z float8,
	p_value float8
);
COMMENT ON TYPE crm.mann_whitney IS
'Result of crm.mann_whitney: group sizes, U of the treated group, U / (n_treated n_control), z with tie and continuity correction and the two-sided p-value';

CREATE FUNCTION crm.mann_whitney_transfn(internal, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'mann_whitney_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_transfn(internal, float8, boolean) IS
'transition function of crm.mann_whitney';

CREATE FUNCTION crm.mann_whitney_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mann_whitney_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_combinefn(internal, internal) IS
'combine function of crm.mann_whitney (concatenates the values of partial states)';

CREATE FUNCTION crm.mann_whitney_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mann_whitney_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_serialfn(internal) IS
'serialization function of crm.mann_whitney';

CREATE FUNCTION crm.mann_whitney_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mann_whitney_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_deserialfn(bytea, internal) IS
'deserialization function of crm.mann_whitney';

CREATE FUNCTION crm.mann_whitney_finalfn(internal)
RETURNS crm.mann_whitney
AS 'MODULE_PATHNAME', 'mann_whitney_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_finalfn(internal) IS
'final function of crm.mann_whitney';

-- SSPACE: the empty state (48 bytes) plus the first 16 values of each group;
-- it grows by 8 bytes per row, which the planner cannot know in advance
CREATE AGGREGATE crm.mann_whitney(value float8, treated boolean) (
	SFUNC = crm.mann_whitney_transfn,
	STYPE = internal,
	SSPACE = 304,
	FINALFUNC = crm.mann_whitney_finalfn,
	COMBINEFUNC = crm.mann_whitney_combinefn,
	SERIALFUNC = crm.mann_whitney_serialfn,
	DESERIALFUNC = crm.mann_whitney_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.mann_whitney(float8, boolean) IS
'Mann-Whitney U test, treated against control, two-sided, tie and continuity corrected (scipy mannwhitneyu method=asymptotic); holds every value';

CREATE TYPE crm.chi2_test AS (
	variants integer,
	n bigint,
	chi2 float8,
	dof integer,
	p_value float8
);
COMMENT ON TYPE crm.chi2_test IS
'Result of crm.chi2_test: number of variants and rows, Pearson chi-square statistic, degrees of freedom and p-value';

CREATE FUNCTION crm.chi2_test_transfn(internal, text, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_transfn(internal, text, boolean) IS
'transition function of crm.chi2_test (Yates correction on 2x2 tables)';

CREATE FUNCTION crm.chi2_test_transfn(internal, text, boolean, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_transfn(internal, text, boolean, boolean) IS
'transition function of crm.chi2_test';

CREATE FUNCTION crm.chi2_test_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_combinefn(internal, internal) IS
'combine function of crm.chi2_test (merges per-variant counts)';

CREATE FUNCTION crm.chi2_test_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'chi2_test_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_serialfn(internal) IS
'serialization function of crm.chi2_test';

CREATE FUNCTION crm.chi2_test_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_deserialfn(bytea, internal) IS
'deserialization function of crm.chi2_test';

CREATE FUNCTION crm.chi2_test_finalfn(internal)
RETURNS crm.chi2_test
AS 'MODULE_PATHNAME', 'chi2_test_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_finalfn(internal) IS
'final function of crm.chi2_test';

-- SSPACE: the state with its first 8 variants (map slots, keys, counters)
CREATE AGGREGATE crm.chi2_test(variant text, converted boolean) (
	SFUNC = crm.chi2_test_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.chi2_test_finalfn,
	COMBINEFUNC = crm.chi2_test_combinefn,
	SERIALFUNC = crm.chi2_test_serialfn,
	DESERIALFUNC = crm.chi2_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.chi2_test(text, boolean) IS
'chi-square test of independence of variant and conversion (scipy chi2_contingency: Yates correction on 2x2 tables only); NULL rows skipped';

CREATE AGGREGATE crm.chi2_test(variant text, converted boolean, correction boolean) (
	SFUNC = crm.chi2_test_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.chi2_test_finalfn,
	COMBINEFUNC = crm.chi2_test_combinefn,
	SERIALFUNC = crm.chi2_test_serialfn,
	DESERIALFUNC = crm.chi2_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.chi2_test(text, boolean, boolean) IS
'chi-square test of independence of variant and conversion; correction = false turns off Yates'' correction of 2x2 tables';

CREATE TYPE crm.proportions_ztest AS (
	rate_a float8,
	rate_b float8,
	difference float8,
	z float8,
	p_value float8,
	ci_low float8,
	ci_high float8
);
COMMENT ON TYPE crm.proportions_ztest IS
'Result of crm.proportions_ztest: the two rates, their difference (a minus b), z, two-sided p-value and Wald interval of the difference';

CREATE FUNCTION crm.proportions_ztest(successes_a bigint, n_a bigint, successes_b bigint, n_b bigint,
									  pooled boolean DEFAULT true, confidence float8 DEFAULT 0.95)
RETURNS crm.proportions_ztest
AS 'MODULE_PATHNAME', 'proportions_ztest'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.proportions_ztest(bigint, bigint, bigint, bigint, boolean, float8) IS
'two-proportion z-test on counts, a minus b (statsmodels proportions_ztest when pooled; ClickHouse proportionsZTest), with the Wald interval of the difference';

CREATE FUNCTION crm.sample_size(baseline_rate float8, minimum_effect float8,
								alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sample_size'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.sample_size(float8, float8, float8, float8) IS
'customers per group for a two-sided two-proportion z-test to detect baseline_rate -> baseline_rate + minimum_effect';

------------------------------------------------------------------------------
-- Multi-touch attribution
------------------------------------------------------------------------------

CREATE FUNCTION crm.attribution(query text, model text DEFAULT 'linear',
								half_life interval DEFAULT '7 days')
RETURNS TABLE (channel text, conversions float8, value float8, share float8, removal_effect float8)
AS 'MODULE_PATHNAME', 'attribution'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20;
COMMENT ON FUNCTION crm.attribution(text, text, interval) IS
'conversions and value attributed to channels from a query returning (journey, touched_at, channel, conversion_value): first_touch, last_touch, linear, time_decay, position_based or markov (removal effects, Anderl et al. 2016)';
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

-- Prediction II: decision trees and gradient-boosted trees (issue 12); the model
-- type, crm.predict, crm.predict_label and crm.explain now take both tree kinds
COMMENT ON TYPE crm.model IS
'a trained predictive model of any kind (logistic or linear regression, decision tree, boosted trees): features with their encoding and imputation, target levels, parameters and training facts';
COMMENT ON FUNCTION crm.predict(crm.model, record) IS
'the model applied to a row whose columns are found by name: the probability of the positive class of a binary classifier, or the predicted value of a regression (more classes: crm.predict_label, crm.predict_probability)';
COMMENT ON FUNCTION crm.predict_label(crm.model, record, float8) IS
'the predicted class of a classifier for a row: the positive level when its probability is at least threshold, else the negative level; with more classes the most probable one';
COMMENT ON FUNCTION crm.explain(crm.model, record) IS
'why the model scores a row so: a base value and one additive contribution per feature (log-odds for logistic regression and boosted trees, the probability for a decision tree); for regressions coefficient x (value - training mean), for trees exact TreeSHAP values';

CREATE FUNCTION crm.predict_probability(model crm.model, features record, class text)
RETURNS float8
AS 'MODULE_PATHNAME', 'model_predict_probability'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.predict_probability(crm.model, record, text) IS
'the probability of one class (given as text) for a row, for a classifier of two or more classes';

CREATE FUNCTION crm.feature_importance(model crm.model)
RETURNS TABLE (feature text, importance float8)
AS 'MODULE_PATHNAME', 'model_feature_importance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION crm.feature_importance(crm.model) IS
'how much each feature matters, normalised to sum to 1: impurity decrease (gain) of its splits for trees, the standard deviation of its term in the linear predictor for regressions';

CREATE FUNCTION crm.decision_tree(query text, max_depth integer DEFAULT 5, min_leaf integer DEFAULT 20,
								  criterion text DEFAULT NULL)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'decision_tree'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION crm.decision_tree(text, integer, integer, text) IS
'CART decision tree of a query returning (target, feature, ...): classes (gini or entropy) or a number (squared_error), exact numeric thresholds, categorical features split into two subsets of levels; grown level by level, in memory or one pass over the query per level';

CREATE FUNCTION crm.boosted_trees(query text, trees integer DEFAULT 100, learning_rate float8 DEFAULT 0.1,
								  max_depth integer DEFAULT 3, min_leaf integer DEFAULT 20,
								  subsample float8 DEFAULT 1, seed bigint DEFAULT 0,
								  validation_fraction float8 DEFAULT 0, loss text DEFAULT NULL)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'boosted_trees'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION crm.boosted_trees(text, integer, float8, integer, integer, float8, bigint, float8, text) IS
'gradient-boosted trees of a query returning (target, feature, ...): log-loss for a binary target, squared error for a number; histogram split finding over at most 255 bins per feature, row subsampling, early stopping on a held-out fraction';

CREATE FUNCTION crm.tree_rules(model crm.model)
RETURNS TABLE (leaf integer, rule text, "rows" bigint, prediction float8, class text, depth integer, tree integer)
AS 'MODULE_PATHNAME', 'tree_rules'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 32;
COMMENT ON FUNCTION crm.tree_rules(crm.model) IS
'one row per leaf of a decision tree (or of every tree of boosted trees): the path as a SQL condition, its training rows, its prediction (positive-class rate, probability of the most probable class, mean, or leaf value) and its class as crm.predict_label gives it';
-- ---------------------------------------------------------------------------
-- 0.2.0: partial aggregate states for distributed engines (src/aggstate.sql)
-- ---------------------------------------------------------------------------

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


-- ---------------------------------------------------------------------------
-- 0.2.0: operations: crm.query_rows and the customer 360 job (src/customer360.sql)
-- ---------------------------------------------------------------------------

------------------------------------------------------------------------------
-- Operations: a caller's query as rows (crm.query_rows), and the customer
-- 360 table rebuilt in one transaction (crm.refresh_customer_360), the job
-- a DBA schedules with pg_cron
------------------------------------------------------------------------------

CREATE FUNCTION crm.query_rows(query text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'query_rows'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.query_rows(text) IS
'the rows of a caller''s query, run read-only with the caller''s rights, as the columns of the column definition list (each converted as value::type does): SELECT * FROM crm.query_rows(''SELECT ...'') AS t(customer text, amount numeric)';

CREATE PROCEDURE crm.refresh_customer_360(
	target text,
	orders_query text,
	items_query text,
	model_query text,
	churn_features regclass,
	rules regclass,
	as_of timestamptz DEFAULT pg_catalog.now(),
	segments integer DEFAULT 4,
	seed bigint DEFAULT 0,
	unit interval DEFAULT '7 days',
	horizon float8 DEFAULT 26,
	clv_months integer DEFAULT 12,
	monthly_discount float8 DEFAULT 0.01,
	deviation_period interval DEFAULT '1 mon',
	deviation_history integer DEFAULT 6,
	deviation_threshold float8 DEFAULT 3.5)
LANGUAGE plpgsql
AS $proc$
DECLARE
	ident text[];
	nsp text;
	rel text;
	building text;
	feature_key name;
	old_table oid;
	old_acl aclitem[];
	churn_model crm.model;
	nmodels bigint;
	g record;
BEGIN
	IF target IS NULL OR orders_query IS NULL OR items_query IS NULL OR model_query IS NULL
	   OR churn_features IS NULL OR rules IS NULL OR as_of IS NULL OR segments IS NULL OR seed IS NULL
	   OR unit IS NULL OR horizon IS NULL OR clv_months IS NULL OR monthly_discount IS NULL
	   OR deviation_period IS NULL OR deviation_history IS NULL OR deviation_threshold IS NULL THEN
		RAISE EXCEPTION 'the arguments of crm.refresh_customer_360 must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the target table, the orders, items and model queries, the features table and the rules table; leave out the settings to take their defaults.';
	END IF;
	IF segments OPERATOR(pg_catalog.<) 1 OR segments OPERATOR(pg_catalog.>) 100 THEN
		RAISE EXCEPTION 'segments must be between 1 and 100'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = pg_catalog.format('Got %s.', segments),
				  HINT = 'Pass the number of k-means segments, for example 4.';
	END IF;

	-- the target: [schema.]table, in the current schema when unqualified
	ident := pg_catalog.parse_ident(target);
	IF pg_catalog.cardinality(ident) OPERATOR(pg_catalog.=) 1 THEN
		nsp := pg_catalog.current_schema();
		rel := ident[1];
	ELSIF pg_catalog.cardinality(ident) OPERATOR(pg_catalog.=) 2 THEN
		nsp := ident[1];
		rel := ident[2];
	END IF;
	IF nsp IS NULL OR pg_catalog.length(rel) OPERATOR(pg_catalog.>) 50 THEN
		RAISE EXCEPTION 'invalid target table "%" for crm.refresh_customer_360', target
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass schema.table (a table name of at most 50 bytes), for example ''public.customer_360''.';
	END IF;
	building := rel OPERATOR(pg_catalog.||) '_building';

	-- one refresh of a table at a time; a concurrent one waits here
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('crm.refresh_customer_360'),
											 pg_catalog.hashtext(nsp OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) rel));
	IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', nsp, building)) IS NOT NULL THEN
		RAISE EXCEPTION 'table %.% is in the way of crm.refresh_customer_360', nsp, building
			USING ERRCODE = 'duplicate_table',
				  HINT = 'The refresh builds the new table under that name: rename or drop the table.';
	END IF;
	-- the churn model: the one row of model_query
	EXECUTE 'SELECT pg_catalog.count(*), (pg_catalog.array_agg(m.model))[1]
			 FROM crm.query_rows($1) AS m(model crm.model)' INTO nmodels, churn_model USING model_query;
	IF nmodels OPERATOR(pg_catalog.<>) 1 OR churn_model IS NULL THEN
		RAISE EXCEPTION 'the model query of crm.refresh_customer_360 must return one model'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = pg_catalog.format('It returned %s rows.', nmodels),
				  HINT = 'Pass a query such as ''SELECT model FROM churn_models WHERE name = ''''current'''''' returning one crm.model.';
	END IF;
	SELECT a.attname INTO feature_key FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) churn_features AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
	ORDER BY a.attnum LIMIT 1;

	-- 1. the new table, built beside the old one: readers see the old one
	EXECUTE pg_catalog.format($ddl$
		CREATE TABLE %I.%I (
			customer text NOT NULL,
			recency_days integer,
			frequency bigint,
			monetary numeric,
			r_score integer,
			f_score integer,
			m_score integer,
			rfm_segment text,
			kmeans_segment integer,
			churn_probability float8,
			churn_reasons text[],
			expected_purchases float8,
			p_alive float8,
			clv float8,
			cross_sell_item text,
			cross_sell_score float8,
			similar_customers text[],
			deviation_z float8,
			deviation_flag boolean,
			as_of timestamptz,
			refreshed_at timestamptz
		)$ddl$, nsp, building);

	EXECUTE pg_catalog.format($fill$
		INSERT INTO %1$I.%2$I
		WITH rfm AS MATERIALIZED (
			SELECT * FROM crm.rfm_scores($1, $5)
		),
		-- k-means on scaled recency, log frequency and log spend
		feat AS MATERIALIZED (
			SELECT r.customer,
				   ARRAY[r.recency_days::pg_catalog.float8, pg_catalog.ln(r.frequency::pg_catalog.float8),
						 pg_catalog.ln(GREATEST(r.monetary, 1)::pg_catalog.float8)] AS f
			FROM rfm r
		),
		scaler AS MATERIALIZED (SELECT crm.scaler_fit(feat.f) AS model FROM feat),
		km AS MATERIALIZED (
			SELECT crm.kmeans(crm.scaler_apply(feat.f, scaler.model), $6, $7) AS centroids FROM feat, scaler
		),
		seg AS MATERIALIZED (
			SELECT feat.customer, crm.closest_centroid(crm.scaler_apply(feat.f, scaler.model), km.centroids) AS segment
			FROM feat, scaler, km
		),
		-- lifetime value: BG/NBD and Gamma-Gamma fitted on every customer
		clv AS MATERIALIZED (
			SELECT x.customer, (x.s).frequency, (x.s).recency, (x.s).t, (x.s).monetary_value
			FROM (SELECT o.customer, crm.clv_summary(o.ordered_at, o.amount, $5, $8) AS s
				  FROM crm.query_rows($1) AS o(customer text, ordered_at timestamptz, amount numeric)
				  GROUP BY o.customer) x
			WHERE x.s IS NOT NULL
		),
		models AS MATERIALIZED (
			SELECT (SELECT crm.bgnbd_fit(clv.frequency, clv.recency, clv.t) FROM clv) AS bg,
				   (SELECT crm.gammagamma_fit(clv.frequency, clv.monetary_value) FROM clv) AS gg
		),
		value AS MATERIALIZED (
			SELECT clv.customer,
				   crm.bgnbd_expected_purchases(m.bg, $9, clv.frequency, clv.recency, clv.t) AS expected_purchases,
				   crm.bgnbd_p_alive(m.bg, clv.frequency, clv.recency, clv.t) AS p_alive,
				   crm.customer_lifetime_value(m.bg, m.gg, clv.frequency, clv.recency, clv.t, clv.monetary_value,
											   $10, $11, $8) AS clv
			FROM clv, models m
		),
		-- churn: the model on the features table, and its three strongest reasons
		churn AS MATERIALIZED (
			SELECT f.%3$I::pg_catalog.text AS customer, crm.predict($3, f) AS p,
				   ARRAY(SELECT x.feature FROM crm.explain($3, f) x
						 WHERE x.feature OPERATOR(pg_catalog.<>) '(base value)'
						   AND x.contribution OPERATOR(pg_catalog.>) 0
						 ORDER BY x.contribution DESC, x.feature LIMIT 3) AS reasons
			FROM %4$s f
		),
		-- the best cross-sell offer for what the customer bought
		baskets AS MATERIALIZED (
			SELECT i.customer, pg_catalog.array_agg(DISTINCT i.item) AS basket
			FROM crm.query_rows($2) AS i(customer text, item text, weight float8)
			GROUP BY i.customer
		),
		offer AS MATERIALIZED (
			SELECT b.customer, c.item, c.score
			FROM baskets b CROSS JOIN LATERAL crm.cross_sell(b.basket, $4, 1) c
		),
		neighbours AS MATERIALIZED (
			SELECT n.customer, pg_catalog.array_agg(n.neighbor ORDER BY n.rank) AS customers
			FROM crm.nearest_neighbors($2, 3) n GROUP BY n.customer
		),
		deviation AS MATERIALIZED (
			SELECT d.customer, d.robust_z, d.active_periods FROM crm.customer_deviation($1, $12, $5, $13) d
		)
		SELECT r.customer, r.recency_days, r.frequency, r.monetary, r.r_score, r.f_score, r.m_score,
			   r.segment, seg.segment, churn.p, churn.reasons,
			   value.expected_purchases, value.p_alive, value.clv,
			   offer.item, offer.score, neighbours.customers,
			   deviation.robust_z,
			   -- off their normal: beyond the threshold, and a normal to be off
			   -- (purchases in most periods of the history)
			   COALESCE(pg_catalog.abs(deviation.robust_z) OPERATOR(pg_catalog.>) $14
						AND deviation.active_periods OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.>) $13, false),
			   $5, pg_catalog.now()
		FROM rfm r
		LEFT JOIN seg ON seg.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN churn ON churn.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN value ON value.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN offer ON offer.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN neighbours ON neighbours.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN deviation ON deviation.customer OPERATOR(pg_catalog.=) r.customer
		$fill$, nsp, building, feature_key, churn_features)
	USING orders_query, items_query, churn_model, rules, as_of, segments, seed, unit, horizon,
		  clv_months, monthly_discount, deviation_period, deviation_history, deviation_threshold;
	EXECUTE pg_catalog.format('ALTER TABLE %I.%I ADD CONSTRAINT %I PRIMARY KEY (customer)',
							  nsp, building, building OPERATOR(pg_catalog.||) '_pkey');

	-- 2. the swap, in this transaction: readers of the old table finish
	--    first, later ones see the new table; on any error above nothing
	--    changed
	old_table := pg_catalog.to_regclass(pg_catalog.format('%I.%I', nsp, rel));
	IF old_table IS NOT NULL THEN
		SELECT c.relacl INTO old_acl FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) old_table;
		EXECUTE pg_catalog.format('DROP TABLE %I.%I', nsp, rel);
	END IF;
	EXECUTE pg_catalog.format('ALTER TABLE %I.%I RENAME TO %I', nsp, building, rel);
	EXECUTE pg_catalog.format('ALTER INDEX %I.%I RENAME TO %I', nsp, building OPERATOR(pg_catalog.||) '_pkey',
							  rel OPERATOR(pg_catalog.||) '_pkey');
	EXECUTE pg_catalog.format('COMMENT ON TABLE %I.%I IS %L', nsp, rel,
							  'customer 360 as of ' OPERATOR(pg_catalog.||) as_of::pg_catalog.text
							  OPERATOR(pg_catalog.||) ', built by crm.refresh_customer_360');
	-- the privileges granted on the old table carry over
	FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable
			 FROM pg_catalog.aclexplode(old_acl) a
			 WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor LOOP
		EXECUTE pg_catalog.format('GRANT %s ON %I.%I TO %s%s', g.privilege_type, nsp, rel,
								  CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
									   ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
								  CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
END
$proc$;
COMMENT ON PROCEDURE crm.refresh_customer_360(text, text, text, text, regclass, regclass, timestamptz, integer,
											  bigint, interval, float8, integer, float8, interval, integer, float8) IS
'rebuilds the customer 360 table (one row per customer: RFM, k-means segment, churn probability and reasons, expected purchases, P(alive), CLV, best cross-sell offer, three most similar customers, deviation flag) beside the old one and swaps it in, in one transaction';
