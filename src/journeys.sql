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

-- the whole funnel of a query in one call
CREATE FUNCTION crm.funnel_report(query text, "window" interval, mode text DEFAULT '')
RETURNS TABLE (step integer, visitors bigint, dropped bigint, conversion float8, step_conversion float8,
			   median_seconds float8, median_step_seconds float8)
AS 'MODULE_PATHNAME', 'funnel_report'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 8;
COMMENT ON FUNCTION crm.funnel_report(text, interval, text) IS
'the funnel of a query returning (visitor, event_time, step_1, ..., step_n): per step the visitors reaching it (window_funnel level), those lost, conversion from step 1 and from the previous step, median seconds from step 1 and from the previous step (funnel_times chains)';

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
