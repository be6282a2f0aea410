
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
