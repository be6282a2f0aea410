------------------------------------------------------------------------------
-- RFM: recency, frequency, monetary value
------------------------------------------------------------------------------

CREATE TYPE crm.rfm_summary AS (
	recency_days integer,
	frequency bigint,
	monetary numeric,
	first_order timestamptz,
	last_order timestamptz,
	tenure_days integer,
	avg_order_value numeric
);
COMMENT ON TYPE crm.rfm_summary IS
'RFM measures of one customer: days since the last order, number of orders, total amount, first and last order, days since the first order, average order value';

CREATE FUNCTION crm.rfm_summary_transfn(internal, timestamptz, numeric, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_transfn(internal, timestamptz, numeric, timestamptz) IS
'transition function of crm.rfm_summary for numeric amounts';

CREATE FUNCTION crm.rfm_summary_float8_transfn(internal, timestamptz, float8, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_float8_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_float8_transfn(internal, timestamptz, float8, timestamptz) IS
'transition function of crm.rfm_summary for float8 amounts';

CREATE FUNCTION crm.rfm_summary_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_combinefn(internal, internal) IS
'combine function of crm.rfm_summary (merges partial states of parallel workers)';

CREATE FUNCTION crm.rfm_summary_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'rfm_summary_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_serialfn(internal) IS
'serialization function of crm.rfm_summary';

CREATE FUNCTION crm.rfm_summary_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_deserialfn(bytea, internal) IS
'deserialization function of crm.rfm_summary';

CREATE FUNCTION crm.rfm_summary_finalfn(internal)
RETURNS crm.rfm_summary
AS 'MODULE_PATHNAME', 'rfm_summary_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_finalfn(internal) IS
'final function of crm.rfm_summary';

CREATE AGGREGATE crm.rfm_summary(ordered_at timestamptz, amount numeric, as_of timestamptz) (
	SFUNC = crm.rfm_summary_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.rfm_summary_finalfn,
	COMBINEFUNC = crm.rfm_summary_combinefn,
	SERIALFUNC = crm.rfm_summary_serialfn,
	DESERIALFUNC = crm.rfm_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.rfm_summary(timestamptz, numeric, timestamptz) IS
'RFM measures of a group of orders as of a date: orders after as_of and rows with a NULL time or amount are skipped';

CREATE AGGREGATE crm.rfm_summary(ordered_at timestamptz, amount float8, as_of timestamptz) (
	SFUNC = crm.rfm_summary_float8_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.rfm_summary_finalfn,
	COMBINEFUNC = crm.rfm_summary_combinefn,
	SERIALFUNC = crm.rfm_summary_serialfn,
	DESERIALFUNC = crm.rfm_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.rfm_summary(timestamptz, float8, timestamptz) IS
'RFM measures of a group of orders with float8 amounts (compensated summation), as of a date';

CREATE FUNCTION crm.rfm_segment(r integer, f integer, m integer)
RETURNS text
AS 'MODULE_PATHNAME', 'rfm_segment'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_segment(integer, integer, integer) IS
'name of the customer segment (Champions ... Lost) of a 5-bin RFM cell';

CREATE FUNCTION crm.rfm_scores(query text, as_of timestamptz DEFAULT pg_catalog.now(), bins integer DEFAULT 5)
RETURNS TABLE (customer text, recency_days integer, frequency bigint, monetary numeric,
			   r_score integer, f_score integer, m_score integer, rfm_cell text, segment text)
AS 'MODULE_PATHNAME', 'rfm_scores'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.rfm_scores(text, timestamptz, integer) IS
'RFM measures, tie-consistent quantile scores (bins = best) and segment per customer of a query returning (customer, ordered_at, amount)';

