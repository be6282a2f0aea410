------------------------------------------------------------------------------
-- Customer lifetime value: clv_summary, BG/NBD, Pareto/NBD, Gamma-Gamma
-- (Fader, Hardie & Lee 2005; Schmittlein, Morrison & Colombo 1987;
--  Fader & Hardie 2013)
------------------------------------------------------------------------------

CREATE TYPE crm.clv_summary AS (
	frequency integer,
	recency float8,
	t float8,
	monetary_value float8
);
COMMENT ON TYPE crm.clv_summary IS
'input of the buy-till-you-die models: repeat purchase days, time from the first to the last purchase day, time from the first purchase day to as_of (in units), mean total of the repeat purchase days';

CREATE FUNCTION crm.clv_summary_transfn(internal, timestamptz, numeric, timestamptz, interval)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_transfn(internal, timestamptz, numeric, timestamptz, interval) IS
'transition function of crm.clv_summary for numeric amounts';

CREATE FUNCTION crm.clv_summary_float8_transfn(internal, timestamptz, float8, timestamptz, interval)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_float8_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_float8_transfn(internal, timestamptz, float8, timestamptz, interval) IS
'transition function of crm.clv_summary for float8 amounts';

CREATE FUNCTION crm.clv_summary_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_combinefn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_combinefn(internal, internal) IS
'combine function of crm.clv_summary (merges the per-day totals of partial states)';

CREATE FUNCTION crm.clv_summary_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'clv_summary_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_serialfn(internal) IS
'serialization function of crm.clv_summary';

CREATE FUNCTION crm.clv_summary_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_deserialfn'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_deserialfn(bytea, internal) IS
'deserialization function of crm.clv_summary';

CREATE FUNCTION crm.clv_summary_finalfn(internal)
RETURNS crm.clv_summary
AS 'MODULE_PATHNAME', 'clv_summary_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_finalfn(internal) IS
'final function of crm.clv_summary';

CREATE AGGREGATE crm.clv_summary(ordered_at timestamptz, amount numeric, as_of timestamptz, unit interval) (
	SFUNC = crm.clv_summary_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.clv_summary_finalfn,
	COMBINEFUNC = crm.clv_summary_combinefn,
	SERIALFUNC = crm.clv_summary_serialfn,
	DESERIALFUNC = crm.clv_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.clv_summary(timestamptz, numeric, timestamptz, interval) IS
'(frequency, recency, t, monetary_value) of a customer''s orders with the lifetimes conventions: orders of one calendar day (session TimeZone) are one purchase, days after as_of''s day are ignored, times in multiples of unit';

CREATE AGGREGATE crm.clv_summary(ordered_at timestamptz, amount float8, as_of timestamptz, unit interval) (
	SFUNC = crm.clv_summary_float8_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.clv_summary_finalfn,
	COMBINEFUNC = crm.clv_summary_combinefn,
	SERIALFUNC = crm.clv_summary_serialfn,
	DESERIALFUNC = crm.clv_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.clv_summary(timestamptz, float8, timestamptz, interval) IS
'crm.clv_summary for float8 amounts (compensated summation)';

CREATE TYPE crm.bgnbd_model AS (
	r float8,
	alpha float8,
	a float8,
	b float8,
	log_likelihood float8,
	customers bigint,
	iterations integer,
	converged boolean
);
COMMENT ON TYPE crm.bgnbd_model IS
'fitted BG/NBD model (Fader, Hardie & Lee 2005): purchase rate ~ Gamma(r, alpha), dropout probability ~ Beta(a, b); alpha in the time unit of the summary';

CREATE TYPE crm.paretonbd_model AS (
	r float8,
	alpha float8,
	s float8,
	beta float8,
	log_likelihood float8,
	customers bigint,
	iterations integer,
	converged boolean
);
COMMENT ON TYPE crm.paretonbd_model IS
'fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchase rate ~ Gamma(r, alpha), dropout rate ~ Gamma(s, beta)';

CREATE TYPE crm.gammagamma_model AS (
	p float8,
	q float8,
	v float8,
	log_likelihood float8,
	customers bigint,
	iterations integer,
	converged boolean
);
COMMENT ON TYPE crm.gammagamma_model IS
'fitted Gamma-Gamma spend model (Fader & Hardie 2013): spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, v)';

CREATE FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'bgnbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8) IS
'transition function of crm.bgnbd_fit';

CREATE FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'bgnbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8, float8) IS
'transition function of crm.bgnbd_fit with a penalizer';

CREATE FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'paretonbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8) IS
'transition function of crm.paretonbd_fit';

CREATE FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'paretonbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8, float8) IS
'transition function of crm.paretonbd_fit with a penalizer';

CREATE FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'gammagamma_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8) IS
'transition function of crm.gammagamma_fit';

CREATE FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'gammagamma_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8, float8) IS
'transition function of crm.gammagamma_fit with a penalizer';

CREATE FUNCTION crm.clv_fit_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_fit_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_fit_combinefn(internal, internal) IS
'combine function of the model fit aggregates (adds the customer counts of each pattern)';

CREATE FUNCTION crm.clv_fit_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'clv_fit_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_fit_serialfn(internal) IS
'serialization function of the model fit aggregates';

CREATE FUNCTION crm.clv_fit_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_fit_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_fit_deserialfn(bytea, internal) IS
'deserialization function of the model fit aggregates';

CREATE FUNCTION crm.bgnbd_fit_finalfn(internal)
RETURNS crm.bgnbd_model
AS 'MODULE_PATHNAME', 'bgnbd_fit_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_finalfn(internal) IS
'final function of crm.bgnbd_fit: maximum likelihood fit';

CREATE FUNCTION crm.paretonbd_fit_finalfn(internal)
RETURNS crm.paretonbd_model
AS 'MODULE_PATHNAME', 'paretonbd_fit_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_finalfn(internal) IS
'final function of crm.paretonbd_fit: maximum likelihood fit';

CREATE FUNCTION crm.gammagamma_fit_finalfn(internal)
RETURNS crm.gammagamma_model
AS 'MODULE_PATHNAME', 'gammagamma_fit_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_finalfn(internal) IS
'final function of crm.gammagamma_fit: maximum likelihood fit';

CREATE AGGREGATE crm.bgnbd_fit(frequency float8, recency float8, t float8) (
	SFUNC = crm.bgnbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.bgnbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.bgnbd_fit(float8, float8, float8) IS
'maximum likelihood BG/NBD model of customer summaries (frequency, recency, t); rows with a NULL are skipped';

CREATE AGGREGATE crm.bgnbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
	SFUNC = crm.bgnbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.bgnbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.bgnbd_fit(float8, float8, float8, float8) IS
'BG/NBD fit with an L2 penalty penalizer * sum(params^2) on the mean negative log-likelihood (lifetimes'' penalizer_coef)';

CREATE AGGREGATE crm.paretonbd_fit(frequency float8, recency float8, t float8) (
	SFUNC = crm.paretonbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.paretonbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.paretonbd_fit(float8, float8, float8) IS
'maximum likelihood Pareto/NBD model of customer summaries (frequency, recency, t); rows with a NULL are skipped';

CREATE AGGREGATE crm.paretonbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
	SFUNC = crm.paretonbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.paretonbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.paretonbd_fit(float8, float8, float8, float8) IS
'Pareto/NBD fit with an L2 penalty penalizer * sum(params^2)';

CREATE AGGREGATE crm.gammagamma_fit(frequency float8, monetary_value float8) (
	SFUNC = crm.gammagamma_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.gammagamma_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gammagamma_fit(float8, float8) IS
'maximum likelihood Gamma-Gamma spend model of customers with frequency > 0 (rows with frequency 0 or a NULL are skipped)';

CREATE AGGREGATE crm.gammagamma_fit(frequency float8, monetary_value float8, penalizer float8) (
	SFUNC = crm.gammagamma_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.gammagamma_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gammagamma_fit(float8, float8, float8) IS
'Gamma-Gamma fit with an L2 penalty penalizer * sum(params^2)';

CREATE FUNCTION crm.bgnbd_expected_purchases(model crm.bgnbd_model, horizon float8,
											 frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_expected_purchases(crm.bgnbd_model, float8, float8, float8, float8) IS
'BG/NBD expected repeat purchases in the next horizon time units of a customer with history (frequency, recency, t) (FHL 2005 eq. 10)';

CREATE FUNCTION crm.bgnbd_expected_purchases(model crm.bgnbd_model, horizon float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_expected_purchases(crm.bgnbd_model, float8) IS
'BG/NBD expected repeat purchases of a new customer in its first horizon time units, E[X(horizon)] (FHL 2005 eq. 9)';

CREATE FUNCTION crm.bgnbd_p_alive(model crm.bgnbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_p_alive(crm.bgnbd_model, float8, float8, float8) IS
'BG/NBD probability that a customer with history (frequency, recency, t) is still alive (Hardie note 021; 1 when frequency = 0)';

CREATE FUNCTION crm.paretonbd_expected_purchases(model crm.paretonbd_model, horizon float8,
												 frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_expected_purchases(crm.paretonbd_model, float8, float8, float8, float8) IS
'Pareto/NBD expected purchases in the next horizon time units of a customer with history (frequency, recency, t)';

CREATE FUNCTION crm.paretonbd_expected_purchases(model crm.paretonbd_model, horizon float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_expected_purchases(crm.paretonbd_model, float8) IS
'Pareto/NBD expected purchases of a new customer in its first horizon time units';

CREATE FUNCTION crm.paretonbd_p_alive(model crm.paretonbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_p_alive(crm.paretonbd_model, float8, float8, float8) IS
'Pareto/NBD probability that a customer with history (frequency, recency, t) is still alive';

CREATE FUNCTION crm.gammagamma_expected_value(model crm.gammagamma_model, frequency float8, monetary_value float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'gammagamma_expected_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_expected_value(crm.gammagamma_model, float8, float8) IS
'Gamma-Gamma conditional expected spend per purchase given frequency and mean repeat spend (Fader & Hardie 2013 eq. 5; needs q > 1)';

CREATE FUNCTION crm.customer_lifetime_value(transaction_model crm.bgnbd_model, spend_model crm.gammagamma_model,
											frequency float8, recency float8, t float8, monetary_value float8,
											horizon_months integer DEFAULT 12,
											monthly_discount_rate float8 DEFAULT 0.01,
											unit interval DEFAULT '1 day')
RETURNS float8
AS 'MODULE_PATHNAME', 'customer_lifetime_value_bgnbd'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.customer_lifetime_value(crm.bgnbd_model, crm.gammagamma_model, float8, float8, float8, float8, integer, float8, interval) IS
'discounted expected value of a customer over horizon_months months as lifetimes'' customer_lifetime_value defines it: sum over months i of (E[purchases by month i] - E[purchases by month i-1]) * Gamma-Gamma expected spend / (1 + rate)^i; unit is the time unit of the summary (a month is 30 days, 4.345 weeks or 1 month)';

CREATE FUNCTION crm.customer_lifetime_value(transaction_model crm.paretonbd_model, spend_model crm.gammagamma_model,
											frequency float8, recency float8, t float8, monetary_value float8,
											horizon_months integer DEFAULT 12,
											monthly_discount_rate float8 DEFAULT 0.01,
											unit interval DEFAULT '1 day')
RETURNS float8
AS 'MODULE_PATHNAME', 'customer_lifetime_value_paretonbd'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.customer_lifetime_value(crm.paretonbd_model, crm.gammagamma_model, float8, float8, float8, float8, integer, float8, interval) IS
'discounted expected value of a customer over horizon_months months with a Pareto/NBD transaction model (as lifetimes'' customer_lifetime_value)';

CREATE FUNCTION crm.bgnbd_log_likelihood(model crm.bgnbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_log_likelihood'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_log_likelihood(crm.bgnbd_model, float8, float8, float8) IS
'log-likelihood of one customer summary under a BG/NBD model (sum it to compare models)';

CREATE FUNCTION crm.paretonbd_log_likelihood(model crm.paretonbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_log_likelihood'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_log_likelihood(crm.paretonbd_model, float8, float8, float8) IS
'log-likelihood of one customer summary under a Pareto/NBD model';

CREATE FUNCTION crm.gammagamma_log_likelihood(model crm.gammagamma_model, frequency float8, monetary_value float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'gammagamma_log_likelihood'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_log_likelihood(crm.gammagamma_model, float8, float8) IS
'log-likelihood of one customer''s mean repeat spend under a Gamma-Gamma model (0 when frequency = 0)';
