/*
 * clv_fit.c
 *		The fit aggregates of the buy-till-you-die models (crm.bgnbd_fit,
 *		crm.paretonbd_fit, crm.gammagamma_fit): their state, the transition,
 *		combine, serial, deserial and final functions, and the fitting driver.
 *		The likelihoods they maximise are in clv_likelihood.c; predictions
 *		and the customer lifetime value from the fitted models in
 *		clv_predict.c.
 *
 *	- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
 *	  way: an alternative to the Pareto/NBD model", Marketing Science 24(2),
 *	  275-284.
 *	- Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your
 *	  customers: who are they and what will they do next?", Management
 *	  Science 33(1), 1-24.
 *	- Gamma-Gamma spend model: Fader & Hardie (2013), "The Gamma-Gamma model
 *	  of monetary value" (note 025).
 *
 * The fit aggregates merge customers with the same (frequency, recency, T)
 * (or (frequency, monetary value)) into one weighted pattern, as Fader and
 * Hardie do, so the state and every likelihood evaluation scale with the
 * number of distinct patterns, not customers.  States combine, serialize and
 * run in parallel.  The final function maximises the log-likelihood over the
 * logarithms of the parameters: BG/NBD by Newton's method with the analytic
 * gradient and Hessian, Gamma-Gamma by BFGS with the analytic gradient,
 * Pareto/NBD by BFGS with central differences; BFGS and Nelder-Mead are the
 * fallbacks, and large inputs start from a fit on a sample of the patterns.
 * As lifetimes does, time is rescaled so that the largest T is 10 during the
 * fit, the objective is the mean negative log-likelihood plus
 * penalizer * sum(params^2) (penalizer 0 by default), and the start is
 * exp(0.1) for every parameter.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "crm_analytics.h"
#include "clv.h"

#define CLV_FIT_FORMAT			1
/* Distinct patterns one fit state may hold (32 bytes each when serialized). */
#define CLV_MAX_PATTERNS		10000000
/* Patterns in the sample of a BG/NBD warm start (used above 4x as many). */
#define CLV_WARM_PATTERNS		20000
/* Rows a fit state holds before it starts merging equal patterns (128 MB). */
#define CLV_COMPACT_AT			4194304
/* Iteration limits of BFGS and of the Nelder-Mead fallback. */
#define CLV_MAX_ITER			300
#define CLV_MAX_NM_ITER			1000
/*
 * A parameter beyond 10^+-6 on the fit's scale (largest T or spend 10) means
 * the likelihood has no interior maximum: the fit ran off to a boundary.
 */
#define CLV_MAX_LOG_PARAM		13.815510557964274
/* The search stops beyond 10^+-8, and the objective refuses 10^+-13. */
#define CLV_BOUND_LOG_PARAM		18.420680743952367
#define CLV_DOMAIN_LOG_PARAM	30.0

static inline int
ClvPatternCmp(const void *a, const void *b)
{
	const ClvPatternKey *ka = &((const ClvPattern *) a)->key;
	const ClvPatternKey *kb = &((const ClvPattern *) b)->key;

	if (ka->x != kb->x)
		return ka->x < kb->x ? -1 : 1;
	if (ka->tx != kb->tx)
		return ka->tx < kb->tx ? -1 : 1;
	if (ka->t != kb->t)
		return ka->t < kb->t ? -1 : 1;
	return 0;
}

#if PG_VERSION_NUM >= 140000
/* clv_sort_patterns(): qsort specialised for ClvPattern (lib/sort_template.h) */
#define ST_SORT			clv_sort_patterns
#define ST_ELEMENT_TYPE	ClvPattern
#define ST_COMPARE(a, b)	ClvPatternCmp(a, b)
#define ST_SCOPE		static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"
#else
#define clv_sort_patterns(a, n) qsort(a, n, sizeof(ClvPattern), ClvPatternCmp)
#endif

PG_FUNCTION_INFO_V1(bgnbd_fit_transfn);
PG_FUNCTION_INFO_V1(paretonbd_fit_transfn);
PG_FUNCTION_INFO_V1(gammagamma_fit_transfn);
PG_FUNCTION_INFO_V1(clv_fit_combinefn);
PG_FUNCTION_INFO_V1(clv_fit_serialfn);
PG_FUNCTION_INFO_V1(clv_fit_deserialfn);
PG_FUNCTION_INFO_V1(bgnbd_fit_finalfn);
PG_FUNCTION_INFO_V1(paretonbd_fit_finalfn);
PG_FUNCTION_INFO_V1(gammagamma_fit_finalfn);

/* The model's name, for messages. */
const char *
ClvModelName(char kind)
{
	switch (kind)
	{
		case CLV_BGNBD:
			return "BG/NBD";
		case CLV_PARETO:
			return "Pareto/NBD";
		default:
			return "Gamma-Gamma";
	}
}

/* The SQL aggregate of a model's fit, for messages. */
static const char *
ClvFitFunction(char kind)
{
	switch (kind)
	{
		case CLV_BGNBD:
			return "crm.bgnbd_fit";
		case CLV_PARETO:
			return "crm.paretonbd_fit";
		default:
			return "crm.gammagamma_fit";
	}
}

/* ---------- input checks ---------- */

static inline void
ClvCheckFinite(double v, const char *name)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", name),
				 errdetail("Got %g.", v)));
}

/* frequency: a whole number >= 0 */
static inline void
ClvCheckFrequency(double x)
{
	ClvCheckFinite(x, "frequency");
	if (x < 0.0 || x != floor(x) || x > 1e9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number between 0 and 1000000000"),
				 errdetail("Got %g.", x),
				 errhint("frequency is the number of repeat purchases, as crm.clv_summary returns it.")));
}

/* A customer summary (frequency, recency, T) as the models define it. */
void
ClvCheckSummary(double x, double tx, double t)
{
	ClvCheckFrequency(x);
	ClvCheckFinite(tx, "recency");
	ClvCheckFinite(t, "t");
	if (tx < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must not be negative"),
				 errdetail("Got %g.", tx)));
	if (t < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be negative"),
				 errdetail("Got %g.", t)));
	if (tx > t)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must not be greater than t"),
				 errdetail("Got recency %g and t %g.", tx, t),
				 errhint("recency is the time from the first to the last purchase and t the time from the first purchase to the end of the observation period.")));
	if (x == 0.0 && tx != 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be 0 when frequency is 0"),
				 errdetail("Got recency %g.", tx)));
}

/* A Gamma-Gamma input row (frequency > 0 only). */
void
ClvCheckSpend(double x, double m)
{
	ClvCheckFrequency(x);
	ClvCheckFinite(m, "monetary_value");
	if (x > 0.0 && !(m > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary_value must be positive for customers with repeat purchases"),
				 errdetail("Got frequency %g and monetary_value %g.", x, m),
				 errhint("The Gamma-Gamma model describes positive spend; filter out customers whose repeat purchases total zero or less.")));
}

static inline void
ClvCheckPenalizer(double pen)
{
	if (isnan(pen) || isinf(pen) || pen < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be a finite number >= 0"),
				 errdetail("Got %g.", pen),
				 errhint("0 means plain maximum likelihood; lifetimes users often try 0.001 to 0.1.")));
}

/* ---------- fit aggregate state ---------- */

static ClvFitState *
ClvFitStateCreate(MemoryContext aggctx, char kind, double penalizer, int32 capacity)
{
	ClvFitState *state = MemoryContextAllocZero(aggctx, sizeof(ClvFitState));

	state->kind = kind;
	state->penalizer = penalizer;
	state->capacity = Max(capacity, 64);
	state->items = MemoryContextAlloc(aggctx, state->capacity * sizeof(ClvPattern));
	return state;
}

/* Sort the patterns and merge equal ones (the state means the same). */
void
ClvFitCompact(ClvFitState *state)
{
	int32		i,
				out = 0;

	if (state->nsorted == state->n)
		return;
	CHECK_FOR_INTERRUPTS();
	clv_sort_patterns(state->items, state->n);
	for (i = 0; i < state->n; i++)
	{
		if (out > 0 && ClvPatternCmp(&state->items[out - 1], &state->items[i]) == 0)
			state->items[out - 1].count += state->items[i].count;
		else
			state->items[out++] = state->items[i];
	}
	state->n = state->nsorted = out;
}

/* Error out when a compacted state holds more distinct patterns than allowed. */
void
ClvCheckPatternCount(const ClvFitState *state)
{
	if (state->n > CLV_MAX_PATTERNS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct customer patterns for a %s fit", ClvModelName(state->kind)),
				 errdetail("The limit is %d distinct input rows.", CLV_MAX_PATTERNS),
				 errhint("Round recency and t, for example to whole days of the model's time unit.")));
}

/* Count customers with pattern (x, tx, t). */
static void
ClvFitAdd(ClvFitState *state, double x, double tx, double t, int64 count)
{
	ClvPattern *p;

	if (state->n == state->capacity && state->n < CLV_COMPACT_AT)
	{
		/* small: just grow; the final sort merges the duplicates */
		state->capacity = Min((int64) state->capacity * 2, (int64) CLV_COMPACT_AT);
		state->items = CrmMemoryRealloc(state->items, state->capacity, sizeof(ClvPattern),
										ClvFitFunction(state->kind), "The customer patterns");
	}
	else if (state->n == state->capacity)
	{
		ClvFitCompact(state);
		ClvCheckPatternCount(state);
		if (state->n > state->capacity / 2)
		{
			state->capacity = Min((int64) state->capacity * 2, 2 * (int64) CLV_MAX_PATTERNS);
			state->items = CrmMemoryRealloc(state->items, state->capacity, sizeof(ClvPattern),
											ClvFitFunction(state->kind), "The customer patterns");
		}
	}
	p = &state->items[state->n++];
	p->key.x = x + 0.0;			/* -0 and 0 are one key */
	p->key.tx = tx + 0.0;
	p->key.t = t + 0.0;
	p->count = count;
	state->customers += count;
}

/* Common transition: state set-up, penalizer, NULL rows skipped. */
static ClvFitState *
ClvFitTrans(FunctionCallInfo fcinfo, char kind, int ndata, const char *fn)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, fn);
	ClvFitState *state = PG_ARGISNULL(0) ? NULL : (ClvFitState *) PG_GETARG_POINTER(0);
	double		pen = 0.0;
	int			i;

	if (PG_NARGS() > ndata + 1)
	{
		if (PG_ARGISNULL(ndata + 1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("penalizer must not be NULL")));
		pen = PG_GETARG_FLOAT8(ndata + 1);
	}
	if (state == NULL)
	{
		ClvCheckPenalizer(pen);
		state = ClvFitStateCreate(aggctx, kind, pen, 64);
	}
	else if (state->penalizer != pen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be the same for every row")));
	for (i = 1; i <= ndata; i++)
		if (PG_ARGISNULL(i))
			return state;
	if (kind == CLV_GAMMA)
	{
		double		x = PG_GETARG_FLOAT8(1);
		double		m = PG_GETARG_FLOAT8(2);

		ClvCheckSpend(x, m);
		if (x > 0.0)
			ClvFitAdd(state, x, m, 0.0, 1);
	}
	else
	{
		double		x = PG_GETARG_FLOAT8(1);
		double		tx = PG_GETARG_FLOAT8(2);
		double		t = PG_GETARG_FLOAT8(3);

		ClvCheckSummary(x, tx, t);
		ClvFitAdd(state, x, tx, t, 1);
	}
	return state;
}

/* Transition function of crm.bgnbd_fit. */
Datum
bgnbd_fit_transfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ClvFitTrans(fcinfo, CLV_BGNBD, 3, "bgnbd_fit_transfn"));
}

/* Transition function of crm.paretonbd_fit. */
Datum
paretonbd_fit_transfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ClvFitTrans(fcinfo, CLV_PARETO, 3, "paretonbd_fit_transfn"));
}

/* Transition function of crm.gammagamma_fit. */
Datum
gammagamma_fit_transfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ClvFitTrans(fcinfo, CLV_GAMMA, 2, "gammagamma_fit_transfn"));
}

/* Merge two partial fit states. */
Datum
clv_fit_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "clv_fit_combinefn");
	ClvFitState *s1 = PG_ARGISNULL(0) ? NULL : (ClvFitState *) PG_GETARG_POINTER(0);
	ClvFitState *s2 = PG_ARGISNULL(1) ? NULL : (ClvFitState *) PG_GETARG_POINTER(1);
	int32		i;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = ClvFitStateCreate(aggctx, s2->kind, s2->penalizer, s2->n);
		memcpy(s1->items, s2->items, s2->n * sizeof(ClvPattern));
		s1->n = s2->n;
		s1->nsorted = s2->nsorted;
		s1->customers = s2->customers;
		PG_RETURN_POINTER(s1);
	}
	else
	{
		if (s1->kind != s2->kind)
			elog(ERROR, "cannot combine fit states of different models");
		if (s1->penalizer != s2->penalizer)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("penalizer must be the same for every row")));
	}
	for (i = 0; i < s2->n; i++)
	{
		const ClvPattern *p = &s2->items[i];

		ClvFitAdd(s1, p->key.x, p->key.tx, p->key.t, p->count);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(s1);
}

/* Serialize a fit state. */
Datum
clv_fit_serialfn(PG_FUNCTION_ARGS)
{
	ClvFitState *state = (ClvFitState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int32		i;

	(void) CrmAggContext(fcinfo, "clv_fit_serialfn");
	/* merging equal patterns does not change what the state means */
	ClvFitCompact(state);
	ClvCheckPatternCount(state);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CLV_FIT_FORMAT);
	pq_sendbyte(&buf, state->kind);
	pq_sendfloat8(&buf, state->penalizer);
	pq_sendint64(&buf, state->customers);
	pq_sendint32(&buf, state->n);
	for (i = 0; i < state->n; i++)
	{
		const ClvPattern *p = &state->items[i];

		pq_sendfloat8(&buf, p->key.x);
		pq_sendfloat8(&buf, p->key.tx);
		pq_sendfloat8(&buf, p->key.t);
		pq_sendint64(&buf, p->count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a fit state, validating every pattern. */
Datum
clv_fit_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "clv_fit_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	ClvFitState *state;
	int			format,
				kind;
	double		pen;
	int64		customers,
				total = 0;
	int32		n,
				i;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != CLV_FIT_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported fit state format %d", format)));
	kind = pq_getmsgbyte(&buf);
	if (kind != CLV_BGNBD && kind != CLV_PARETO && kind != CLV_GAMMA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid model kind %d in fit state", kind)));
	pen = pq_getmsgfloat8(&buf);
	ClvCheckPenalizer(pen);
	customers = pq_getmsgint64(&buf);
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > CLV_MAX_PATTERNS || n > (buf.len - buf.cursor) / 32 || customers < n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid pattern count %d in fit state", n)));
	state = ClvFitStateCreate(aggctx, kind, pen, n);
	for (i = 0; i < n; i++)
	{
		double		x = pq_getmsgfloat8(&buf);
		double		tx = pq_getmsgfloat8(&buf);
		double		t = pq_getmsgfloat8(&buf);
		int64		count = pq_getmsgint64(&buf);

		if (kind == CLV_GAMMA)
		{
			ClvCheckSpend(x, tx);
			if (x == 0.0 || t != 0.0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid pattern in fit state")));
		}
		else
			ClvCheckSummary(x, tx, t);
		if (count <= 0 || count > customers - total)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid customer count in fit state")));
		total += count;
		ClvFitAdd(state, x, tx, t, count);
		/* serialized states are compacted: strictly increasing patterns */
		if (i > 0 && ClvPatternCmp(&state->items[i - 1], &state->items[i]) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("unsorted patterns in fit state")));
	}
	state->nsorted = state->n;
	if (total != customers || state->customers != customers || state->n != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("inconsistent fit state")));
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* ---------- fitting ---------- */

/* Objective in log-parameter space: mean negative log-likelihood + penalty. */
static double
ClvObjective(const double *logpar, double *grad, void *arg)
{
	const ClvFitData *d = (const ClvFitData *) arg;
	int			np = ClvNumParams(d->kind);
	double		par[CRM_OPTIM_MAX_PARAMS];
	double		g[CRM_OPTIM_MAX_PARAMS];
	double		ll,
				pen = 0.0;
	int			i;

	for (i = 0; i < np; i++)
	{
		if (!(fabs(logpar[i]) <= CLV_DOMAIN_LOG_PARAM))
			return NAN;
		par[i] = exp(logpar[i]);
		pen += par[i] * par[i];
	}
	switch (d->kind)
	{
		case CLV_BGNBD:
			ll = BgnbdLogLik(d, par, grad ? g : NULL, NULL);
			break;
		case CLV_PARETO:
			ll = ParetoLogLik(d, par);
			break;
		default:
			ll = GammaLogLik(d, par, grad ? g : NULL);
			break;
	}
	if (!isfinite(ll))
		return NAN;
	if (grad)
		for (i = 0; i < np; i++)
			grad[i] = -g[i] * par[i] / d->total + 2.0 * d->penalizer * par[i] * par[i];
	return -ll / d->total + d->penalizer * pen;
}

const char *const ClvParamNames[3][4] = {
	{"r", "alpha", "a", "b"},
	{"r", "alpha", "s", "beta"},
	{"p", "q", "v", NULL},
};

/* Has the search run off towards a boundary of the parameter space? */
static bool
ClvAtBoundary(const double *logpar, int np)
{
	int			i;

	for (i = 0; i < np; i++)
		if (!(fabs(logpar[i]) < CLV_MAX_LOG_PARAM))
			return true;
	return false;
}

/*
 * BG/NBD objective with its Hessian, in log-parameter space u = log(theta):
 * df/du_i = theta_i df/dtheta_i and
 * d2f/du_i du_j = theta_i theta_j d2f/dtheta_i dtheta_j + [i = j] theta_i df/dtheta_i.
 */
static double
ClvObjectiveHess(const double *logpar, double *grad, double *hess, void *arg)
{
	const ClvFitData *d = (const ClvFitData *) arg;
	double		par[4],
				g[4],
				h[16];
	double		ll,
				pen = 0.0;
	int			i,
				j;

	Assert(d->kind == CLV_BGNBD);
	for (i = 0; i < 4; i++)
	{
		if (!(fabs(logpar[i]) <= CLV_DOMAIN_LOG_PARAM))
			return NAN;
		par[i] = exp(logpar[i]);
		pen += par[i] * par[i];
	}
	ll = BgnbdLogLik(d, par, g, hess ? h : NULL);
	if (!isfinite(ll))
		return NAN;
	for (i = 0; i < 4; i++)
		grad[i] = -g[i] * par[i] / d->total + 2.0 * d->penalizer * par[i] * par[i];
	if (hess)
		for (i = 0; i < 4; i++)
			for (j = 0; j < 4; j++)
			{
				double		v = par[i] * par[j] * h[i * 4 + j];

				if (i == j)
					v += par[i] * g[i];
				hess[i * 4 + j] = -v / d->total +
					(i == j ? 4.0 * d->penalizer * par[i] * par[i] : 0.0);
				if (!isfinite(hess[i * 4 + j]))
					return NAN;
			}
	return -ll / d->total + d->penalizer * pen;
}

/* Result of a fit, in the model's time unit. */
typedef struct ClvFit
{
	double		par[CRM_OPTIM_MAX_PARAMS];
	double		loglik;
	int64		customers;
	int			iterations;
	bool		converged;
} ClvFit;

/* Fit a model to the patterns of a state, in a private memory context. */
static void
ClvFitModel(const ClvFitState *state, ClvFit *fit)
{
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "crm clv fit",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	ClvFitData *d = ClvFitDataBuild(state);
	int			np = ClvNumParams(state->kind);
	double		logpar[CRM_OPTIM_MAX_PARAMS];
	double		repeat = 0.0;
	bool		analytic = state->kind != CLV_PARETO;
	CrmOptimResult res;
	int			i,
				iterations,
				boundary = -1;

	for (i = 0; i < d->n; i++)
		repeat += d->x[i] * d->w[i];
	if (state->kind != CLV_GAMMA && repeat == 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot fit a %s model to customers without repeat purchases",
						ClvModelName(state->kind)),
				 errdetail("All %lld customers have frequency 0.", (long long) state->customers),
				 errhint("The model needs customers with more than one purchase day; use a longer observation period.")));
	if (state->kind == CLV_GAMMA && d->n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot fit a Gamma-Gamma model to fewer than 2 distinct customers with repeat purchases"),
				 errhint("Rows with frequency 0 are skipped.")));

	for (i = 0; i < np; i++)
		logpar[i] = 0.1;
	if (d->n > 4 * CLV_WARM_PATTERNS)
	{
		/*
		 * Warm start: fit every k-th pattern first, then all of them from
		 * there (a few iterations instead of a dozen).  The start only
		 * changes the path, not the optimum.
		 */
		ClvFitData *sub = ClvFitDataSubset(d, d->n / CLV_WARM_PATTERNS);
		double		sublog[CRM_OPTIM_MAX_PARAMS];

		memcpy(sublog, logpar, sizeof(sublog));
		if (state->kind == CLV_BGNBD)
			res = CrmNewtonMinimize(ClvObjectiveHess, sub, np, sublog, CLV_MAX_ITER, 1e-6,
									CLV_BOUND_LOG_PARAM);
		else
			res = CrmBfgsMinimize(ClvObjective, sub, np, sublog, analytic, CLV_MAX_ITER,
								  1e-6, CLV_BOUND_LOG_PARAM);
		if (res.converged && !ClvAtBoundary(sublog, np))
			memcpy(logpar, sublog, sizeof(sublog));
	}
	if (state->kind == CLV_BGNBD)
	{
		res = CrmNewtonMinimize(ClvObjectiveHess, d, np, logpar, CLV_MAX_ITER, 1e-9,
								CLV_BOUND_LOG_PARAM);
		iterations = res.iterations;
		if (!res.converged && !ClvAtBoundary(logpar, np))
		{
			/* quasi-Newton from there, then Newton's test of a minimum */
			res = CrmBfgsMinimize(ClvObjective, d, np, logpar, true, CLV_MAX_ITER,
								  1e-9, CLV_BOUND_LOG_PARAM);
			iterations += res.iterations;
			if (!ClvAtBoundary(logpar, np))
			{
				res = CrmNewtonMinimize(ClvObjectiveHess, d, np, logpar, CLV_MAX_ITER, 1e-9,
										CLV_BOUND_LOG_PARAM);
				iterations += res.iterations;
			}
		}
	}
	else
	{
		res = CrmBfgsMinimize(ClvObjective, d, np, logpar, analytic, CLV_MAX_ITER,
							  analytic ? 1e-9 : 1e-7, CLV_BOUND_LOG_PARAM);
		iterations = res.iterations;
	}
	if (!res.converged && !ClvAtBoundary(logpar, np))
	{
		/* polish with the simplex method, then try the gradient again */
		res = CrmNelderMead(ClvObjective, d, np, logpar, 0.5, CLV_MAX_NM_ITER, 1e-10, 1e-14,
							CLV_BOUND_LOG_PARAM);
		iterations += res.iterations;
		if (!ClvAtBoundary(logpar, np))
		{
			res = CrmBfgsMinimize(ClvObjective, d, np, logpar, analytic, CLV_MAX_ITER,
								  analytic ? 1e-9 : 1e-7, CLV_BOUND_LOG_PARAM);
			iterations += res.iterations;
		}
	}

	fit->converged = res.converged && isfinite(res.f);
	for (i = 0; i < np; i++)
	{
		if (!(fabs(logpar[i]) < CLV_MAX_LOG_PARAM))
		{
			fit->converged = false;
			if (boundary < 0)
				boundary = i;
		}
		fit->par[i] = exp(logpar[i]);
	}
	/* back to the caller's time unit (alpha, beta) or currency (v) */
	if (state->kind == CLV_GAMMA)
		fit->par[2] /= d->scale;
	else
	{
		fit->par[1] /= d->scale;
		if (state->kind == CLV_PARETO)
			fit->par[3] /= d->scale;
	}
	for (i = 0; i < d->n; i++)
	{
		d->tx[i] /= d->scale;
		d->t[i] /= d->scale;
	}
	d->ntimes = 0;				/* the time tables hold scaled times */
	switch (state->kind)
	{
		case CLV_BGNBD:
			fit->loglik = BgnbdLogLik(d, fit->par, NULL, NULL);
			break;
		case CLV_PARETO:
			fit->loglik = ParetoLogLik(d, fit->par);
			break;
		default:
			fit->loglik = GammaLogLik(d, fit->par, NULL);
			break;
	}
	if (!isfinite(fit->loglik))
		fit->converged = false;
	fit->customers = state->customers;
	fit->iterations = iterations;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);

	if (!fit->converged)
		ereport(WARNING,
				(errmsg("the %s fit did not converge", ClvModelName(state->kind)),
				 boundary >= 0 ?
				 errdetail("The likelihood grows as %s goes to %s; the parameters where the search stopped are returned with converged = false.",
						   ClvParamNames[state->kind == CLV_BGNBD ? 0 : state->kind == CLV_PARETO ? 1 : 2][boundary],
						   logpar[boundary] > 0 ? "infinity" : "zero") :
				 errdetail("The search did not meet its convergence test; its last parameters are returned with converged = false."),
				 state->kind == CLV_GAMMA ?
				 errhint("The data may not determine every parameter (for example when every customer's spend has the same distribution); a penalizer such as 0.01 can keep them finite.") :
				 errhint("The data may not determine every parameter (for example when no customer seems to drop out); a penalizer such as 0.01 can keep them finite.")));
}

/* Build the model composite: parameters, log-likelihood, customers, iterations, converged. */
static Datum
ClvFitResult(FunctionCallInfo fcinfo, char kind)
{
	ClvFitState *state;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false};
	ClvFit		fit;
	int			np = ClvNumParams(kind);
	int			i;

	(void) CrmAggContext(fcinfo, "clv fit final function");
	state = PG_ARGISNULL(0) ? NULL : (ClvFitState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->customers == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot fit a %s model to no customers", ClvModelName(kind)),
				 kind == CLV_GAMMA ?
				 errdetail("Rows with a NULL value or frequency 0 are skipped.") :
				 errdetail("Rows with a NULL value are skipped.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of a fit final function must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	ClvFitModel(state, &fit);
	for (i = 0; i < np; i++)
		values[i] = Float8GetDatum(fit.par[i]);
	values[np] = Float8GetDatum(fit.loglik);
	values[np + 1] = Int64GetDatum(fit.customers);
	values[np + 2] = Int32GetDatum(fit.iterations);
	values[np + 3] = BoolGetDatum(fit.converged);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* Final function of crm.bgnbd_fit. */
Datum
bgnbd_fit_finalfn(PG_FUNCTION_ARGS)
{
	return ClvFitResult(fcinfo, CLV_BGNBD);
}

/* Final function of crm.paretonbd_fit. */
Datum
paretonbd_fit_finalfn(PG_FUNCTION_ARGS)
{
	return ClvFitResult(fcinfo, CLV_PARETO);
}

/* Final function of crm.gammagamma_fit. */
Datum
gammagamma_fit_finalfn(PG_FUNCTION_ARGS)
{
	return ClvFitResult(fcinfo, CLV_GAMMA);
}
