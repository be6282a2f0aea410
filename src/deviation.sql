
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
