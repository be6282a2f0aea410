
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
