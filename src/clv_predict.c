/*
 * clv_predict.c
 *		Predictions from fitted buy-till-you-die models (clv_fit.c): expected
 *		purchases, P(alive), the Gamma-Gamma expected spend, the
 *		log-likelihood of one customer, and the customer lifetime value built
 *		on them.
 *
 *	- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
 *	  way: an alternative to the Pareto/NBD model", Marketing Science 24(2),
 *	  275-284, eq. 9-10; P(alive) from Hardie's note 021.
 *	- Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your
 *	  customers: who are they and what will they do next?", Management
 *	  Science 33(1), 1-24, in the form of Fader & Hardie's note 008.
 *	- Gamma-Gamma spend model: Fader & Hardie (2013), "The Gamma-Gamma model
 *	  of monetary value" (note 025), eq. 5.
 *	- CLV: lifetimes' customer_lifetime_value: the sum over months i = 1..H of
 *	  (E[purchases by month i] - E[purchases by month i - 1]) times the
 *	  Gamma-Gamma expected spend, discounted by (1 + d)^i.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "clv.h"

#define CLV_MAX_HORIZON_MONTHS	1200

PG_FUNCTION_INFO_V1(bgnbd_expected_purchases);
PG_FUNCTION_INFO_V1(bgnbd_expected_purchases_new);
PG_FUNCTION_INFO_V1(bgnbd_p_alive);
PG_FUNCTION_INFO_V1(paretonbd_expected_purchases);
PG_FUNCTION_INFO_V1(paretonbd_expected_purchases_new);
PG_FUNCTION_INFO_V1(paretonbd_p_alive);
PG_FUNCTION_INFO_V1(gammagamma_expected_value);
PG_FUNCTION_INFO_V1(bgnbd_log_likelihood);
PG_FUNCTION_INFO_V1(paretonbd_log_likelihood);
PG_FUNCTION_INFO_V1(gammagamma_log_likelihood);
PG_FUNCTION_INFO_V1(customer_lifetime_value_bgnbd);
PG_FUNCTION_INFO_V1(customer_lifetime_value_paretonbd);

/* Read and check the parameters of a model composite. */
static void
ClvModelParams(HeapTupleHeader model, char kind, double *par)
{
	int			which = kind == CLV_BGNBD ? 0 : kind == CLV_PARETO ? 1 : 2;
	int			np = ClvNumParams(kind);
	int			i;

	for (i = 0; i < np; i++)
	{
		bool		isnull;
		Datum		v = GetAttributeByName(model, ClvParamNames[which][i], &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s model parameter %s must not be NULL",
							ClvModelName(kind), ClvParamNames[which][i])));
		par[i] = DatumGetFloat8(v);
		if (!(par[i] > 0.0) || isinf(par[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s model parameter %s must be a positive finite number",
							ClvModelName(kind), ClvParamNames[which][i]),
					 errdetail("Got %g.", par[i])));
	}
}

static inline void
ClvCheckHorizon(double h)
{
	if (isnan(h) || isinf(h) || h < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a finite number >= 0"),
				 errdetail("Got %g.", h)));
}

static void
ClvNotComputable(const char *what, double h)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("cannot compute %s for horizon %g", what, h),
			 errdetail("The hypergeometric series did not converge."),
			 errhint("Use a horizon of the order of the observation period.")));
}

/*
 * The factor c / (a - 1) * (1 - (1 - z)^r' 2F1(r', b'; c; z)) of the BG/NBD
 * expectation, c = b' + (a - 1), when a is close to 1: there the closed form
 * is 0/0 (and loses its digits to cancellation nearby).  With
 * (1 - z)^-r' = sum (r')_n z^n / n!, the factor is the expectation over
 * N ~ NegBin(r', z) (pmf (r')_n / n! z^n (1 - z)^r') of
 *
 *		c * (1 - (b')_N / (c)_N) / (a - 1)
 *		= c * -expm1(sum_{k<N} log1p(-(a - 1) / (c + k))) / (a - 1)
 *
 * whose limit at a = 1 is c * sum_{k<N} 1 / (b' + k).
 */
static double
BgnbdNearOneFactor(double rp, double bp, double eps, double z)
{
	double		c = bp + eps;
	double		lp = rp * log1p(-z);	/* log pmf of N = n */
	double		logsum = 0.0;	/* sum_{k<n} log1p(-eps / (c + k)) */
	double		harmonic = 0.0; /* sum_{k<n} 1 / (bp + k) */
	double		total = 0.0;
	double		mode = rp > 1.0 ? (rp - 1.0) * z / (1.0 - z) : 0.0;
	int64		n;

	for (n = 0; n < INT64CONST(100000000); n++)
	{
		double		p = exp(lp);
		double		g = eps == 0.0 ? harmonic : -expm1(logsum) / eps;
		double		ratio = (rp + n) / (n + 1.0) * z;

		total += p * g;
		/* past the mode the terms shrink at least geometrically by ratio */
		if (n > mode && ratio < 1.0 && p * (g + 1.0 / (bp + n)) / (1.0 - ratio) <= 1e-17 * total)
			break;
		lp += log(ratio);
		logsum += log1p(-eps / (c + n));
		harmonic += 1.0 / (bp + n);
		if ((n & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	return c * total;
}

/*
 * BG/NBD expected repeat purchases in (T, T + h] of a customer with history
 * (x, tx, T) (FHL 2005 eq. 10); x = tx = T = 0 gives E[X(h)] of a new
 * customer (eq. 9).  For |a - 1| < 1e-3 the factor with a - 1 in its
 * denominator is computed by BgnbdNearOneFactor (its limit at a = 1).
 */
static double
BgnbdCondExp(const double *par, double h, double x, double tx, double T)
{
	double		r = par[0],
				alpha = par[1],
				a = par[2],
				b = par[3];
	double		z,
				lhyp,
				num,
				lden;
	bool		ok;

	if (h == 0.0)
		return 0.0;
	z = h / (alpha + T + h);
	if (fabs(a - 1.0) < 1e-3)
		num = BgnbdNearOneFactor(r + x, b + x, a - 1.0, z);
	else
	{
		lhyp = CrmLogHyp2f1(r + x, b + x, a + b + x - 1.0, z, &ok);
		if (!ok)
			ClvNotComputable("BG/NBD expected purchases", h);
		num = (a + b + x - 1.0) / (a - 1.0) *
			-expm1(lhyp + (r + x) * (log(alpha + T) - log(alpha + T + h)));
	}
	if (x == 0.0)
		return num;
	lden = log(a) - log(b + x - 1.0) + (r + x) * (log(alpha + T) - log(alpha + tx));
	/* num / (1 + exp(lden)) */
	if (lden > 0)
		return num * exp(-lden) / (1.0 + exp(-lden));
	return num / (1.0 + exp(lden));
}

/* BG/NBD P(alive | x, tx, T) (Hardie note 021). */
static double
BgnbdPAlive(const double *par, double x, double tx, double T)
{
	double		r = par[0],
				alpha = par[1],
				a = par[2],
				b = par[3];
	double		ld;

	if (x == 0.0)
		return 1.0;
	ld = (r + x) * (log(alpha + T) - log(alpha + tx)) + log(a) - log(b + x - 1.0);
	return 1.0 / (1.0 + exp(ld));
}

/* log of the Pareto/NBD likelihood of one customer, in the caller's units. */
static double
ParetoLogLikChecked(const double *par, double x, double tx, double T)
{
	bool		ok;
	double		l = ParetoLogLik1(par, x, tx, T, lgamma(par[0]), &ok);

	if (!ok || !isfinite(l))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot compute the Pareto/NBD likelihood of frequency %g, recency %g, t %g",
						x, tx, T),
				 errdetail("The hypergeometric series did not converge.")));
	return l;
}

/* (1 - (c / (c + h))^(s - 1)) / (s - 1), with its limit log((c + h) / c) at s = 1. */
static double
ParetoSurvivalIntegral(double s, double c, double h)
{
	double		u = log(c) - log(c + h);

	if (fabs(s - 1.0) < 1e-12)
		return -u;
	return -expm1((s - 1.0) * u) / (s - 1.0);
}

/* Pareto/NBD expected purchases in (T, T + h] given (x, tx, T) (SMC 1987 / note 008). */
static double
ParetoCondExp(const double *par, double h, double x, double tx, double T)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	double		ll,
				l;

	if (h == 0.0)
		return 0.0;
	ll = ParetoLogLikChecked(par, x, tx, T);
	l = lgamma(r + x) - lgamma(r) + r * log(alpha) + s * log(beta) -
		(r + x) * log(alpha + T) - s * log(beta + T) +
		log(r + x) + log(beta + T) - log(alpha + T) +
		log(ParetoSurvivalIntegral(s, beta + T, h));
	return exp(l - ll);
}

/* Pareto/NBD P(alive | x, tx, T). */
static double
ParetoPAlive(const double *par, double x, double tx, double T)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	bool		ok;
	double		lA0 = ParetoLogA0(r, alpha, s, beta, x, tx, T, &ok);

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot compute the Pareto/NBD P(alive) of frequency %g, recency %g, t %g",
						x, tx, T)));
	return 1.0 / (1.0 + exp(log(s) - log(r + s + x) + (r + x) * log(alpha + T) +
							s * log(beta + T) + lA0));
}

/* Gamma-Gamma conditional expected spend per purchase (note 025, eq. 5). */
static double
GammaExpectedValue(const double *par, double x, double m)
{
	double		p = par[0],
				q = par[1],
				v = par[2];
	double		w;

	if (q <= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the Gamma-Gamma expected value needs q > 1"),
				 errdetail("Got q = %g; the population mean spend v p / (q - 1) is infinite.", q)));
	w = p * x / (p * x + q - 1.0);
	return (1.0 - w) * (v * p / (q - 1.0)) + w * m;
}

/* Arguments (model, [horizon,] frequency, recency, t) of a prediction function. */
static void
ClvPredictArgs(FunctionCallInfo fcinfo, char kind, bool has_horizon,
			   double *par, double *h, double *x, double *tx, double *T)
{
	int			i = 1;

	ClvModelParams(PG_GETARG_HEAPTUPLEHEADER(0), kind, par);
	if (has_horizon)
	{
		*h = PG_GETARG_FLOAT8(i++);
		ClvCheckHorizon(*h);
	}
	*x = PG_GETARG_FLOAT8(i);
	*tx = PG_GETARG_FLOAT8(i + 1);
	*T = PG_GETARG_FLOAT8(i + 2);
	ClvCheckSummary(*x, *tx, *T);
}

/* crm.bgnbd_expected_purchases(model, horizon, frequency, recency, t) */
Datum
bgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	double		par[4],
				h,
				x,
				tx,
				T;

	ClvPredictArgs(fcinfo, CLV_BGNBD, true, par, &h, &x, &tx, &T);
	PG_RETURN_FLOAT8(BgnbdCondExp(par, h, x, tx, T));
}

/* crm.bgnbd_expected_purchases(model, horizon): a new customer's E[X(horizon)] */
Datum
bgnbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		h = PG_GETARG_FLOAT8(1);

	ClvModelParams(PG_GETARG_HEAPTUPLEHEADER(0), CLV_BGNBD, par);
	ClvCheckHorizon(h);
	PG_RETURN_FLOAT8(BgnbdCondExp(par, h, 0.0, 0.0, 0.0));
}

/* crm.bgnbd_p_alive(model, frequency, recency, t) */
Datum
bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	double		par[4],
				x,
				tx,
				T;

	ClvPredictArgs(fcinfo, CLV_BGNBD, false, par, NULL, &x, &tx, &T);
	PG_RETURN_FLOAT8(BgnbdPAlive(par, x, tx, T));
}

/* crm.paretonbd_expected_purchases(model, horizon, frequency, recency, t) */
Datum
paretonbd_expected_purchases(PG_FUNCTION_ARGS)
{
	double		par[4],
				h,
				x,
				tx,
				T;

	ClvPredictArgs(fcinfo, CLV_PARETO, true, par, &h, &x, &tx, &T);
	PG_RETURN_FLOAT8(ParetoCondExp(par, h, x, tx, T));
}

/* crm.paretonbd_expected_purchases(model, horizon): r beta / (alpha (s - 1)) (1 - (beta / (beta + h))^(s - 1)) */
Datum
paretonbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		h = PG_GETARG_FLOAT8(1);

	ClvModelParams(PG_GETARG_HEAPTUPLEHEADER(0), CLV_PARETO, par);
	ClvCheckHorizon(h);
	PG_RETURN_FLOAT8(par[0] * par[3] / par[1] * ParetoSurvivalIntegral(par[2], par[3], h));
}

/* crm.paretonbd_p_alive(model, frequency, recency, t) */
Datum
paretonbd_p_alive(PG_FUNCTION_ARGS)
{
	double		par[4],
				x,
				tx,
				T;

	ClvPredictArgs(fcinfo, CLV_PARETO, false, par, NULL, &x, &tx, &T);
	PG_RETURN_FLOAT8(ParetoPAlive(par, x, tx, T));
}

/* crm.gammagamma_expected_value(model, frequency, monetary_value) */
Datum
gammagamma_expected_value(PG_FUNCTION_ARGS)
{
	double		par[3];
	double		x = PG_GETARG_FLOAT8(1);
	double		m = PG_GETARG_FLOAT8(2);

	ClvModelParams(PG_GETARG_HEAPTUPLEHEADER(0), CLV_GAMMA, par);
	ClvCheckSpend(x, m);
	PG_RETURN_FLOAT8(GammaExpectedValue(par, x, m));
}

/* The log-likelihood of one customer under a model (one pattern of weight 1). */
static double
ClvLogLik1(char kind, const double *par, double x, double tx, double T)
{
	ClvFitData d;
	int			gs[2] = {0, 1};
	double		w = 1.0;

	memset(&d, 0, sizeof(d));
	d.kind = kind;
	d.n = 1;
	d.x = &x;
	d.tx = &tx;
	d.t = &T;
	d.w = &w;
	d.ngroups = 1;
	d.group_start = gs;
	d.total = 1.0;
	switch (kind)
	{
		case CLV_BGNBD:
			return BgnbdLogLik(&d, par, NULL, NULL);
		case CLV_PARETO:
			return ParetoLogLikChecked(par, x, tx, T);
		default:
			return x > 0.0 ? GammaLogLik(&d, par, NULL) : 0.0;
	}
}

/* crm.bgnbd_log_likelihood(model, frequency, recency, t) */
Datum
bgnbd_log_likelihood(PG_FUNCTION_ARGS)
{
	double		par[4],
				x,
				tx,
				T;

	ClvPredictArgs(fcinfo, CLV_BGNBD, false, par, NULL, &x, &tx, &T);
	PG_RETURN_FLOAT8(ClvLogLik1(CLV_BGNBD, par, x, tx, T));
}

/* crm.paretonbd_log_likelihood(model, frequency, recency, t) */
Datum
paretonbd_log_likelihood(PG_FUNCTION_ARGS)
{
	double		par[4],
				x,
				tx,
				T;

	ClvPredictArgs(fcinfo, CLV_PARETO, false, par, NULL, &x, &tx, &T);
	PG_RETURN_FLOAT8(ClvLogLik1(CLV_PARETO, par, x, tx, T));
}

/* crm.gammagamma_log_likelihood(model, frequency, monetary_value): 0 when frequency = 0 */
Datum
gammagamma_log_likelihood(PG_FUNCTION_ARGS)
{
	double		par[3];
	double		x = PG_GETARG_FLOAT8(1);
	double		m = PG_GETARG_FLOAT8(2);

	ClvModelParams(PG_GETARG_HEAPTUPLEHEADER(0), CLV_GAMMA, par);
	ClvCheckSpend(x, m);
	PG_RETURN_FLOAT8(ClvLogLik1(CLV_GAMMA, par, x, m, 0.0));
}

/*
 * Model time units per month as lifetimes counts them (freq 'D' 30,
 * 'H' 720, 'W' 4.345, 'M' 1); other units: 30 days / unit.
 */
static double
ClvUnitsPerMonth(const Interval *unit)
{
	double		days = ClvUnitDays(unit);

	if (unit->month == 1 && unit->day == 0 && unit->time == 0)
		return 1.0;
	if (unit->month == 0 && ((unit->day == 7 && unit->time == 0) ||
							 (unit->day == 0 && unit->time == 7 * USECS_PER_DAY)))
		return 4.345;
	return 30.0 / days;
}

/*
 * crm.customer_lifetime_value(transaction model, gammagamma model, frequency,
 * recency, t, monetary_value, horizon_months, monthly_discount_rate, unit)
 */
static Datum
ClvLifetimeValue(FunctionCallInfo fcinfo, char kind)
{
	double		par[4],
				gpar[3];
	double		x = PG_GETARG_FLOAT8(2);
	double		tx = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	double		m = PG_GETARG_FLOAT8(5);
	int32		months = PG_GETARG_INT32(6);
	double		d = PG_GETARG_FLOAT8(7);
	Interval   *unit = PG_GETARG_INTERVAL_P(8);
	double		factor,
				value,
				clv = 0.0,
				prev = 0.0;
	int			i;

	ClvModelParams(PG_GETARG_HEAPTUPLEHEADER(0), kind, par);
	ClvModelParams(PG_GETARG_HEAPTUPLEHEADER(1), CLV_GAMMA, gpar);
	ClvCheckSummary(x, tx, T);
	ClvCheckSpend(x, m);
	if (months < 0 || months > CLV_MAX_HORIZON_MONTHS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon_months must be between 0 and %d", CLV_MAX_HORIZON_MONTHS),
				 errdetail("Got %d.", months)));
	if (isnan(d) || isinf(d) || d <= -1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monthly_discount_rate must be a finite number greater than -1"),
				 errdetail("Got %g.", d),
				 errhint("0.01 is 1%% a month.")));
	factor = ClvUnitsPerMonth(unit);
	value = GammaExpectedValue(gpar, x, m);
	for (i = 1; i <= months; i++)
	{
		double		h = i * factor;
		double		e = kind == CLV_BGNBD ? BgnbdCondExp(par, h, x, tx, T)
			: ParetoCondExp(par, h, x, tx, T);

		/* (1 + d)^-i as exp(-i log1p(d)): exact for d near 0 */
		clv += value * (e - prev) * exp(-i * log1p(d));
		prev = e;
	}
	if (!isfinite(clv))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the discounted lifetime value overflows float8"),
				 errdetail("A monthly discount rate of %.10g multiplies month %d's value by %g.",
						   d, months, exp(-months * log1p(d))),
				 errhint("Use a monthly discount rate of the order of 0.01 (1%%); rates near -1 make later purchases worth without bound.")));
	PG_RETURN_FLOAT8(clv);
}

/* crm.customer_lifetime_value with a BG/NBD model */
Datum
customer_lifetime_value_bgnbd(PG_FUNCTION_ARGS)
{
	return ClvLifetimeValue(fcinfo, CLV_BGNBD);
}

/* crm.customer_lifetime_value with a Pareto/NBD model */
Datum
customer_lifetime_value_paretonbd(PG_FUNCTION_ARGS)
{
	return ClvLifetimeValue(fcinfo, CLV_PARETO);
}
