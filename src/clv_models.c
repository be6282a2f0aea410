/*
 * clv_models.c
 *		Buy-till-you-die models fitted inside the database, and the customer
 *		lifetime value built on them.
 *
 *	- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
 *	  way: an alternative to the Pareto/NBD model", Marketing Science 24(2),
 *	  275-284; P(alive) from Hardie's note 021.
 *	- Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your
 *	  customers: who are they and what will they do next?", Management
 *	  Science 33(1), 1-24; likelihood in the form of Fader & Hardie's note 008
 *	  (the 2F1 difference A0, as in lifetimes and R's BTYD).
 *	- Gamma-Gamma spend model: Fader & Hardie (2013), "The Gamma-Gamma model
 *	  of monetary value" (note 025).
 *	- CLV: lifetimes' customer_lifetime_value: the sum over months i = 1..H of
 *	  (E[purchases by month i] - E[purchases by month i - 1]) times the
 *	  Gamma-Gamma expected spend, discounted by (1 + d)^i.
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
 * exp(0.1) for every parameter.  All terms are log-gamma and log-sum-exp
 * forms, so frequencies in the hundreds neither overflow nor cancel; the
 * logarithms of alpha + time (and Pareto/NBD's 2F1 terms) are computed once
 * per distinct time, since summaries in whole days take few values.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

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
#define CLV_MAX_HORIZON_MONTHS	1200
/*
 * A parameter beyond 10^+-6 on the fit's scale (largest T or spend 10) means
 * the likelihood has no interior maximum: the fit ran off to a boundary.
 */
#define CLV_MAX_LOG_PARAM		13.815510557964274
/* The search stops beyond 10^+-8, and the objective refuses 10^+-13. */
#define CLV_BOUND_LOG_PARAM		18.420680743952367
#define CLV_DOMAIN_LOG_PARAM	30.0

typedef enum ClvModelKind
{
	CLV_BGNBD = 'b',
	CLV_PARETO = 'p',
	CLV_GAMMA = 'g'
} ClvModelKind;

/* One pattern: customers with the same summary (t = 0 for Gamma-Gamma). */
typedef struct ClvPatternKey
{
	double		x;				/* frequency */
	double		tx;				/* recency, or monetary value for Gamma-Gamma */
	double		t;				/* T */
} ClvPatternKey;

typedef struct ClvPattern
{
	ClvPatternKey key;
	int64		count;
} ClvPattern;

/*
 * Aggregate state of the fit aggregates.  Rows are appended to an array;
 * beyond CLV_COMPACT_AT rows, a full array is sorted and equal patterns are
 * merged (compaction), and it only grows when that leaves it more than half
 * full.  So the state stays within max(CLV_COMPACT_AT, twice the number of
 * distinct patterns), rows are added without random memory access, and the final function needs the sorted
 * order anyway (it makes every sum, and so the fit, independent of the row
 * order and of the parallel plan).
 */
typedef struct ClvFitState
{
	char		kind;			/* ClvModelKind */
	double		penalizer;
	int64		customers;
	int32		n;				/* patterns used */
	int32		nsorted;		/* items[0 .. nsorted) sorted and distinct */
	int32		capacity;
	ClvPattern *items;
} ClvFitState;

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

/* Patterns as arrays for the likelihood, sorted by frequency. */
typedef struct ClvFitData
{
	char		kind;
	int			n;				/* patterns */
	double	   *x;
	double	   *tx;
	double	   *t;
	double	   *w;				/* customers per pattern */
	int			ngroups;		/* distinct frequencies */
	int		   *group_start;	/* first pattern of each frequency, + n at the end */
	double		total;			/* customers */
	double		scale;			/* time multiplier used during the fit */
	double		penalizer;

	/*
	 * Times take few distinct values (whole days in some unit), so BG/NBD
	 * computes log(alpha + time) and 1 / (alpha + time) once per distinct
	 * time and evaluation: times[] holds them, ti[] and ri[] index T and
	 * recency of each pattern, and lt[], it[] are the per-evaluation tables.
	 * ntimes = 0 when the tables are not built.
	 */
	int			ntimes;
	double	   *times;
	int		   *ti;
	int		   *ri;
	double	   *lt;
	double	   *it;
	/* Pareto/NBD: log(m + time) and a per-frequency cache of the 2F1 terms */
	double	   *lm;
	double	   *cache;
	int		   *stamp;
} ClvFitData;

PG_FUNCTION_INFO_V1(bgnbd_fit_transfn);
PG_FUNCTION_INFO_V1(paretonbd_fit_transfn);
PG_FUNCTION_INFO_V1(gammagamma_fit_transfn);
PG_FUNCTION_INFO_V1(clv_fit_combinefn);
PG_FUNCTION_INFO_V1(clv_fit_serialfn);
PG_FUNCTION_INFO_V1(clv_fit_deserialfn);
PG_FUNCTION_INFO_V1(bgnbd_fit_finalfn);
PG_FUNCTION_INFO_V1(paretonbd_fit_finalfn);
PG_FUNCTION_INFO_V1(gammagamma_fit_finalfn);
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

static const char *
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
static void
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
static void
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
static void
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
static void
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
		state->items = repalloc(state->items, state->capacity * sizeof(ClvPattern));
	}
	else if (state->n == state->capacity)
	{
		ClvFitCompact(state);
		ClvCheckPatternCount(state);
		if (state->n > state->capacity / 2)
		{
			state->capacity = Min((int64) state->capacity * 2, 2 * (int64) CLV_MAX_PATTERNS);
			state->items = repalloc(state->items, state->capacity * sizeof(ClvPattern));
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

/* ---------- likelihoods ---------- */


#if PG_VERSION_NUM >= 140000
/* clv_sort_doubles(): qsort specialised for doubles (no NaN here) */
#define ST_SORT			clv_sort_doubles
#define ST_ELEMENT_TYPE	double
#define ST_COMPARE(a, b)	((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE		static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"
#else
static int
ClvDoubleCmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}
#define clv_sort_doubles(a, n) qsort(a, n, sizeof(double), ClvDoubleCmp)
#endif

/* Index of v in the sorted distinct values vals[0 .. n). */
static int
ClvFindTime(const double *vals, int n, double v)
{
	int			lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (vals[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	Assert(vals[lo] == v);
	return lo;
}

/* Build the distinct-time tables of the patterns (see ClvFitData). */
static void
ClvFitDataTimes(ClvFitData *d)
{
	int			n = d->n;
	int			i,
				m = 0;

	d->times = palloc(Max(2 * n, 1) * sizeof(double));
	for (i = 0; i < n; i++)
	{
		d->times[2 * i] = d->t[i];
		d->times[2 * i + 1] = d->tx[i];
	}
	clv_sort_doubles(d->times, 2 * n);
	for (i = 0; i < 2 * n; i++)
		if (m == 0 || d->times[i] != d->times[m - 1])
			d->times[m++] = d->times[i];
	d->ntimes = m;
	d->ti = palloc(Max(n, 1) * sizeof(int));
	d->ri = palloc(Max(n, 1) * sizeof(int));
	for (i = 0; i < n; i++)
	{
		d->ti[i] = ClvFindTime(d->times, m, d->t[i]);
		d->ri[i] = ClvFindTime(d->times, m, d->tx[i]);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	d->lt = palloc(Max(m, 1) * sizeof(double));
	d->it = palloc(Max(m, 1) * sizeof(double));
	d->lm = palloc(Max(m, 1) * sizeof(double));
	d->cache = palloc(Max(m, 1) * sizeof(double));
	d->stamp = palloc(Max(m, 1) * sizeof(int));
}

/*
 * Every stride-th pattern of d (with its own weight), with its own time
 * tables: a small sample of the data for a warm start.
 */
static ClvFitData *
ClvFitDataSubset(const ClvFitData *d, int stride)
{
	ClvFitData *sub = palloc0(sizeof(ClvFitData));
	int			cap = d->n / stride + 1;
	int			i;

	sub->kind = d->kind;
	sub->scale = d->scale;
	sub->penalizer = d->penalizer;
	sub->x = palloc(cap * sizeof(double));
	sub->tx = palloc(cap * sizeof(double));
	sub->t = palloc(cap * sizeof(double));
	sub->w = palloc(cap * sizeof(double));
	sub->group_start = palloc((cap + 1) * sizeof(int));
	for (i = 0; i < d->n; i += stride)
	{
		int			j = sub->n++;

		sub->x[j] = d->x[i];
		sub->tx[j] = d->tx[i];
		sub->t[j] = d->t[i];
		sub->w[j] = d->w[i];
		sub->total += d->w[i];
		if (j == 0 || sub->x[j] != sub->x[j - 1])
			sub->group_start[sub->ngroups++] = j;
	}
	sub->group_start[sub->ngroups] = sub->n;
	if (d->ntimes > 0)
		ClvFitDataTimes(sub);
	return sub;
}

/* The patterns of a state as sorted arrays (the state is untouched). */
static ClvFitData *
ClvFitDataBuild(const ClvFitState *state)
{
	ClvFitData *d = palloc0(sizeof(ClvFitData));
	ClvFitState copy = *state;
	ClvPattern *all;
	int32		n;
	int32		i;
	double		tmax = 0.0;

	/* compact a copy: the final function leaves the state as it is */
	copy.items = palloc(Max(state->n, 1) * sizeof(ClvPattern));
	memcpy(copy.items, state->items, state->n * sizeof(ClvPattern));
	ClvFitCompact(&copy);
	ClvCheckPatternCount(&copy);
	all = copy.items;
	n = copy.n;
	d->kind = state->kind;
	d->n = (int) n;
	d->x = palloc(Max(n, 1) * sizeof(double));
	d->tx = palloc(Max(n, 1) * sizeof(double));
	d->t = palloc(Max(n, 1) * sizeof(double));
	d->w = palloc(Max(n, 1) * sizeof(double));
	d->group_start = palloc((n + 1) * sizeof(int));
	for (i = 0; i < n; i++)
	{
		d->x[i] = all[i].key.x;
		d->tx[i] = all[i].key.tx;
		d->t[i] = all[i].key.t;
		d->w[i] = (double) all[i].count;
		d->total += d->w[i];
		tmax = Max(tmax, d->t[i]);
		if (i == 0 || d->x[i] != d->x[i - 1])
			d->group_start[d->ngroups++] = (int) i;
	}
	d->group_start[d->ngroups] = (int) n;
	d->penalizer = state->penalizer;

	/*
	 * lifetimes' _scale_time: the largest T becomes 10.  Gamma-Gamma spend is
	 * scaled the same way (largest mean spend 10), so that the parameters
	 * are of order 1 whatever the time unit or currency.
	 */
	if (state->kind == CLV_GAMMA)
		for (i = 0; i < n; i++)
			tmax = Max(tmax, d->tx[i]);
	d->scale = tmax > 0.0 ? 10.0 / tmax : 1.0;
	for (i = 0; i < n; i++)
	{
		d->tx[i] *= d->scale;
		d->t[i] *= d->scale;
	}
	pfree(all);
	if (state->kind != CLV_GAMMA)
		ClvFitDataTimes(d);
	return d;
}

/*
 * BG/NBD log-likelihood (FHL 2005, eq. 6) summed over the patterns, and its
 * gradient (when grad is not NULL) and Hessian (when hess is not NULL, a
 * 4 x 4 row-major matrix; needs grad) with respect to (r, alpha, a, b).
 * Per customer LL = c(x) + logsumexp(A3, A4), so the Hessian of the second
 * part is w3 H(A3) + w4 H(A4) + w3 w4 (dA3 - dA4)(dA3 - dA4)'.
 */
static double
BgnbdLogLik(const ClvFitData *d, const double *par, double *grad, double *hess)
{
	double		r = par[0],
				alpha = par[1],
				a = par[2],
				b = par[3];
	double		ll = 0.0;
	double		g[4] = {0, 0, 0, 0};
	double		lgr = lgamma(r),
				lgab = lgamma(a + b),
				lgb = lgamma(b),
				la = log(alpha),
				loga = log(a);
	double		psr = 0,
				psab = 0,
				psb = 0,
				tgr = 0,
				tgab = 0,
				tgb = 0;
	double		h[4][4] = {{0}};
	bool		tables = d->ntimes > 0;
	int			k;

	if (grad)
	{
		psr = CrmDigamma(r);
		psab = CrmDigamma(a + b);
		psb = CrmDigamma(b);
	}
	if (hess)
	{
		tgr = CrmTrigamma(r);
		tgab = CrmTrigamma(a + b);
		tgb = CrmTrigamma(b);
	}
	if (tables)
		for (k = 0; k < d->ntimes; k++)
		{
			d->lt[k] = log(alpha + d->times[k]);
			d->it[k] = 1.0 / (alpha + d->times[k]);
		}
	for (k = 0; k < d->ngroups; k++)
	{
		int			i;
		double		x = d->x[d->group_start[k]];
		double		rx = r + x;
		double		c = lgamma(rx) - lgr + r * la + lgab + lgamma(b + x) - lgb - lgamma(a + b + x);
		double		l4 = x > 0 ? loga - log(b + x - 1) : 0.0;
		double		dr = 0,
					da = 0,
					db = 0;
		double		wsum = 0.0,
					sw4 = 0.0;	/* sum of w * w4: the dropout share */
		double		h_ra = 0.0,	/* sums for the Hessian */
					h_aa = 0.0,
					q0 = 0.0,
					q1 = 0.0,
					q2 = 0.0,
					q11 = 0.0,
					q12 = 0.0,
					q22 = 0.0;

		if (grad)
		{
			double		psabx = CrmDigamma(a + b + x);

			dr = CrmDigamma(rx) - psr + la;
			da = psab - psabx;
			db = psab + CrmDigamma(b + x) - psb - psabx;
		}
		for (i = d->group_start[k]; i < d->group_start[k + 1]; i++)
		{
			double		w = d->w[i];
			double		lT,
						iT;

			if ((i & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
			if (tables)
			{
				lT = d->lt[d->ti[i]];
				iT = d->it[d->ti[i]];
			}
			else
			{
				lT = log(alpha + d->t[i]);
				iT = 1.0 / (alpha + d->t[i]);
			}
			wsum += w;
			if (x > 0)
			{
				double		lR = tables ? d->lt[d->ri[i]] : log(alpha + d->tx[i]);
				double		iR = tables ? d->it[d->ri[i]] : 1.0 / (alpha + d->tx[i]);

				/* log(exp(A3) + exp(A4)), A3 = -rx lT, A4 = l4 - rx lR */
				double		diff = l4 - rx * (lR - lT);	/* A4 - A3 */
				double		e = exp(-fabs(diff));
				double		w4 = diff > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
				double		w3 = 1.0 - w4;

				ll += w * (-rx * lT + Max(diff, 0.0) + log(1.0 + e));
				if (grad)
				{
					g[0] -= w * (w3 * lT + w4 * lR);
					g[1] -= w * rx * (w3 * iT + w4 * iR);
					sw4 += w * w4;
				}
				if (hess)
				{
					double		q = w * w3 * w4;
					double		d1 = lR - lT;
					double		d2 = rx * (iR - iT);

					h_ra -= w * (w3 * iT + w4 * iR);
					h_aa += w * rx * (w3 * iT * iT + w4 * iR * iR);
					q0 += q;
					q1 += q * d1;
					q2 += q * d2;
					q11 += q * d1 * d1;
					q12 += q * d1 * d2;
					q22 += q * d2 * d2;
				}
			}
			else
			{
				ll -= w * rx * lT;
				if (grad)
				{
					g[0] -= w * lT;
					g[1] -= w * rx * iT;
				}
				if (hess)
				{
					h_ra -= w * iT;
					h_aa += w * rx * iT * iT;
				}
			}
		}
		ll += wsum * c;
		if (grad)
		{
			g[0] += wsum * dr;
			g[1] += wsum * r / alpha;
			g[2] += wsum * da + sw4 / a;
			g[3] += wsum * db - (x > 0 ? sw4 / (b + x - 1) : 0.0);
		}
		if (hess)
		{
			double		tabx = CrmTrigamma(a + b + x);
			double		ia = 1.0 / a;
			double		ib = x > 0 ? 1.0 / (b + x - 1) : 0.0;

			/* c(x) */
			h[0][0] += wsum * (CrmTrigamma(rx) - tgr);
			h[0][1] += wsum / alpha;
			h[1][1] -= wsum * r / (alpha * alpha);
			h[2][2] += wsum * (tgab - tabx);
			h[2][3] += wsum * (tgab - tabx);
			h[3][3] += wsum * (tgab + CrmTrigamma(b + x) - tgb - tabx);
			/* w3 H(A3) + w4 H(A4) */
			h[0][1] += h_ra;
			h[1][1] += h_aa;
			h[2][2] -= sw4 * ia * ia;
			h[3][3] += sw4 * ib * ib;
			/* w3 w4 (dA3 - dA4)(dA3 - dA4)', dA3 - dA4 = (d1, d2, -1/a, 1/(b+x-1)) */
			h[0][0] += q11;
			h[0][1] += q12;
			h[1][1] += q22;
			h[0][2] -= q1 * ia;
			h[0][3] += q1 * ib;
			h[1][2] -= q2 * ia;
			h[1][3] += q2 * ib;
			h[2][2] += q0 * ia * ia;
			h[2][3] -= q0 * ia * ib;
			h[3][3] += q0 * ib * ib;
		}
	}
	if (grad)
		memcpy(grad, g, sizeof(g));
	if (hess)
	{
		int			i,
					j;

		for (i = 0; i < 4; i++)
			for (j = 0; j < 4; j++)
				hess[i * 4 + j] = i <= j ? h[i][j] : h[j][i];
	}
	return ll;
}

/*
 * log A0 of the Pareto/NBD likelihood: log of
 *		2F1(a, b; a+1; z(tx)) / (m + tx)^a - 2F1(a, b; a+1; z(T)) / (m + T)^a
 * with a = r + s + x, m = max(alpha, beta), z(u) = |alpha - beta| / (m + u)
 * and b = r + x when alpha < beta, s + 1 otherwise.  -Infinity when tx = T.
 */
static double
ParetoLogA0(double r, double alpha, double s, double beta, double x, double tx, double T,
			bool *ok)
{
	double		a = r + s + x;
	double		m,
				diff,
				b,
				l1,
				l2;
	bool		ok1,
				ok2;

	if (alpha < beta)
	{
		m = beta;
		diff = beta - alpha;
		b = r + x;
	}
	else
	{
		m = alpha;
		diff = alpha - beta;
		b = s + 1.0;
	}
	l1 = CrmLogHyp2f1Ap1(a, b, diff / (m + tx), &ok1) - a * log(m + tx);
	l2 = CrmLogHyp2f1Ap1(a, b, diff / (m + T), &ok2) - a * log(m + T);
	*ok = ok1 && ok2;
	if (!(l1 > l2))
		return -INFINITY;		/* tx = T (or equal after rounding) */
	return CrmLogSubExp(l1, l2);
}

/* Pareto/NBD log-likelihood of one customer (note 008, eq. 2-3 in logs). */
static double
ParetoLogLik1(const double *par, double x, double tx, double T, double lgr, bool *ok)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	double		A1 = lgamma(r + x) - lgr + r * log(alpha) + s * log(beta);
	double		lA0 = ParetoLogA0(r, alpha, s, beta, x, tx, T, ok);
	double		first = -(r + x) * log(alpha + T) - s * log(beta + T);
	double		second = log(s) + lA0 - log(r + s + x);

	return A1 + CrmLogAddExp(first, second);
}

/*
 * Pareto/NBD log-likelihood with the time tables: the two 2F1 terms of A0
 * depend on the frequency and one time only, so each is computed once per
 * (frequency, distinct time) and reused by every pattern that has it.
 */
static double
ParetoLogLikTables(const ClvFitData *d, const double *par)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	double		m = Max(alpha, beta),
				diff = fabs(alpha - beta);
	double		lgr = lgamma(r),
				ls = log(s),
				base = r * log(alpha) + s * log(beta);
	double		ll = 0.0;
	int			k;

	for (k = 0; k < d->ntimes; k++)
	{
		d->lt[k] = log(alpha + d->times[k]);
		d->it[k] = log(beta + d->times[k]);
		d->lm[k] = log(m + d->times[k]);
		d->stamp[k] = -1;
	}
	for (k = 0; k < d->ngroups; k++)
	{
		double		x = d->x[d->group_start[k]];
		double		a = r + s + x;
		double		b = alpha < beta ? r + x : s + 1.0;
		double		A1 = lgamma(r + x) - lgr + base;
		double		la = log(a);
		int			i;

		for (i = d->group_start[k]; i < d->group_start[k + 1]; i++)
		{
			int			idx[2] = {d->ri[i], d->ti[i]};
			double		l[2];
			double		lA0,
						first;
			int			j;

			if ((i & 0x3FFF) == 0x3FFF)
				CHECK_FOR_INTERRUPTS();
			for (j = 0; j < 2; j++)
			{
				int			q = idx[j];

				if (d->stamp[q] != k)
				{
					bool		ok;

					d->cache[q] = CrmLogHyp2f1Ap1(a, b, diff / (m + d->times[q]), &ok) - a * d->lm[q];
					if (!ok)
						return NAN;
					d->stamp[q] = k;
				}
				l[j] = d->cache[q];
			}
			lA0 = l[0] > l[1] ? CrmLogSubExp(l[0], l[1]) : -INFINITY;
			first = -(r + x) * d->lt[idx[1]] - s * d->it[idx[1]];
			ll += d->w[i] * (A1 + CrmLogAddExp(first, ls + lA0 - la));
		}
	}
	return isfinite(ll) ? ll : NAN;
}

/* Pareto/NBD log-likelihood summed over the patterns (NaN when not computable). */
static double
ParetoLogLik(const ClvFitData *d, const double *par)
{
	double		ll = 0.0;
	double		lgr = lgamma(par[0]);
	int			i;

	if (d->ntimes > 0)
		return ParetoLogLikTables(d, par);
	for (i = 0; i < d->n; i++)
	{
		bool		ok;
		double		l = ParetoLogLik1(par, d->x[i], d->tx[i], d->t[i], lgr, &ok);

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();

		if (!ok || !isfinite(l))
			return NAN;
		ll += d->w[i] * l;
	}
	return ll;
}

/* Gamma-Gamma log-likelihood (note 025, eq. 1 with zbar = m) and its gradient. */
static double
GammaLogLik(const ClvFitData *d, const double *par, double *grad)
{
	double		p = par[0],
				q = par[1],
				v = par[2];
	double		ll = 0.0;
	double		g[3] = {0, 0, 0};
	double		lgq = lgamma(q),
				lv = log(v),
				psq = grad ? CrmDigamma(q) : 0.0;
	int			i;

	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					m = d->tx[i],
					w = d->w[i];
		double		px = p * x;
		double		lxmv = log(x * m + v);
		double		lm = log(m),
					lx = log(x);

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();

		ll += w * (lgamma(px + q) - lgamma(px) - lgq + q * lv + (px - 1.0) * lm +
				   px * lx - (px + q) * lxmv);
		if (grad)
		{
			double		pspq = CrmDigamma(px + q);

			g[0] += w * x * (pspq - CrmDigamma(px) + lm + lx - lxmv);
			g[1] += w * (pspq - psq + lv - lxmv);
			g[2] += w * (q / v - (px + q) / (x * m + v));
		}
	}
	if (grad)
		memcpy(grad, g, sizeof(g));
	return ll;
}

static int
ClvNumParams(char kind)
{
	return kind == CLV_GAMMA ? 3 : 4;
}

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

static const char *const ClvParamNames[3][4] = {
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

/* ---------- predictions ---------- */

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
 * BG/NBD expected repeat purchases in (T, T + h] of a customer with history
 * (x, tx, T) (FHL 2005 eq. 10); x = tx = T = 0 gives E[X(h)] of a new
 * customer (eq. 9).
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
	lhyp = CrmLogHyp2f1(r + x, b + x, a + b + x - 1.0, z, &ok);
	if (!ok)
		ClvNotComputable("BG/NBD expected purchases", h);
	num = (a + b + x - 1.0) / (a - 1.0) *
		-expm1(lhyp + (r + x) * (log(alpha + T) - log(alpha + T + h)));
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

		clv += value * (e - prev) / pow(1.0 + d, i);
		prev = e;
	}
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
