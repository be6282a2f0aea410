/*
 * holtwinters.c
 *		Customer future analysis: Holt-Winters exponential smoothing
 *		(crm.holt_winters, an aggregate over one series per group) and its
 *		forecasts with prediction intervals (crm.forecast).
 *
 * The conventions are those of R's HoltWinters() and predict.HoltWinters()
 * (Holt 1957, Winters 1960; R Core, stats package):
 *
 *	- start values from a classical decomposition (R's decompose()) of the
 *	  first two periods: the centred moving average of order period gives the
 *	  trend, whose least-squares line gives the start level (intercept) and
 *	  slope; the seasonal figure is the mean detrended value per position,
 *	  centred (additive) or scaled to mean 1 (multiplicative);
 *	- the recursion runs from t = period + 1 (t = 3 for Holt's linear trend,
 *	  period 1, with level x_2 and slope x_2 - x_1):
 *
 *		xhat_t = (l + b) + s_{t-p}                (multiplicative: (l + b) s_{t-p})
 *		l_t    = alpha (x_t - s_{t-p}) + (1 - alpha) (l + b)     (x_t / s_{t-p})
 *		b_t    = beta (l_t - l) + (1 - beta) b
 *		s_t    = gamma (x_t - l_t) + (1 - gamma) s_{t-p}          (x_t / l_t)
 *
 *	- alpha, beta and gamma not given are those in [0, 1] that minimise the
 *	  sum of squared one-step errors (SSE).  R runs L-BFGS-B once from
 *	  (0.3, 0.1, 0.1); here a 5-point grid per parameter picks the three best
 *	  starts for a projected BFGS in the box (optim.c) with the exact gradient
 *	  of the SSE (forward-mode derivatives carried through the recursion), and
 *	  the best result wins, so that a local minimum near R's start does not
 *	  hide a lower one;
 *	- forecasts l + h b + s (or (l + h b) s) with the variance of
 *	  predict.HoltWinters: var(residuals) (1 + sum_{j<h} psi_j^2) with
 *	  psi_j = alpha (1 + j beta) + [j mod p = 0] gamma (1 - alpha); for the
 *	  multiplicative model var(residuals) sum_{j<h} (psi_j s_h / s_{h-j})^2
 *	  (see crm.forecast for the one place where R indexes the wrong
 *	  coefficient).
 *
 * The aggregate keeps its group's points (bounded by crm_analytics.max_memory)
 * and fits in the final function, on a sorted copy: the points must form a
 * regular series (CrmSeriesRegularize), which is checked there.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "deviation.h"
#include "numerics.h"

#define HW_STATE_FORMAT		1
#define HW_MAX_PERIOD		100000
#define HW_MAX_HORIZON		100000
#define HW_GRID_POINTS		5
#define HW_STARTS			3
#define HW_MAX_ITER			100

#define HW_ADDITIVE			'a'
#define HW_MULTIPLICATIVE	'm'

PG_FUNCTION_INFO_V1(holt_winters_transfn);
PG_FUNCTION_INFO_V1(holt_winters_combinefn);
PG_FUNCTION_INFO_V1(holt_winters_serialfn);
PG_FUNCTION_INFO_V1(holt_winters_deserialfn);
PG_FUNCTION_INFO_V1(holt_winters_finalfn);
PG_FUNCTION_INFO_V1(holt_winters_forecast);

/* ---------- regular series ---------- */

/* ts + k * step, in the session time zone for months and days. */
TimestampTz
CrmSeriesTime(TimestampTz ts, const Interval *step, int64 k)
{
	Interval	span;

	if (step->month == 0 && step->day == 0)
		return ts + step->time * k;
	if ((int64) step->month * k > PG_INT32_MAX || (int64) step->month * k < PG_INT32_MIN ||
		(int64) step->day * k > PG_INT32_MAX || (int64) step->day * k < PG_INT32_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	span.month = (int32) (step->month * k);
	span.day = (int32) (step->day * k);
	span.time = step->time * k;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
												   TimestampTzGetDatum(ts),
												   PointerGetDatum(&span)));
}

/* An interval as text. */
char *
CrmIntervalText(const Interval *step)
{
	return DatumGetCString(DirectFunctionCall1(interval_out, PointerGetDatum(step)));
}

static int
SeriesPointCmp(const void *a, const void *b)
{
	TimestampTz x = ((const CrmSeriesPoint *) a)->ts;
	TimestampTz y = ((const CrmSeriesPoint *) b)->ts;

	return (x > y) - (x < y);
}

static int
SeriesDiffCmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* First i where pts[i] is not on the grid ts0 + i step, or n. */
static int
SeriesFirstMismatch(const CrmSeriesPoint *pts, int n, const Interval *step)
{
	int			i;

	if (step->month == 0 && step->day == 0)
	{
		for (i = 1; i < n; i++)
			if (pts[i].ts != pts[0].ts + step->time * i)
				return i;
		return n;
	}
	for (i = 1; i < n; i++)
	{
		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (CrmSeriesTime(pts[0].ts, step, i) != pts[i].ts)
			return i;
	}
	return n;
}

/* Sort and check a regular series; see deviation.h. */
void
CrmSeriesRegularize(CrmSeriesPoint *pts, int n, Interval *step, const char *fn)
{
	Interval	cand[3];
	int			ncand = 0;
	int			i,
				j = 0,
				c,
				bad = n;
	int64		d = 0;
	int64	   *diffs;

	Assert(n >= 2);
	qsort(pts, n, sizeof(CrmSeriesPoint), SeriesPointCmp);
	diffs = CrmMemoryAlloc(CurrentMemoryContext, n - 1, sizeof(int64), fn, "The time steps");
	for (i = 1; i < n; i++)
	{
		diffs[i - 1] = pts[i].ts - pts[i - 1].ts;
		if (diffs[i - 1] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the series passed to %s has two values at %s", fn,
							timestamptz_to_str(pts[i].ts)),
					 errhint("Pass one row per time: sum or average the values of each time first.")));
	}
	/* the most frequent difference (the smallest of equally frequent ones) */
	qsort(diffs, n - 1, sizeof(int64), SeriesDiffCmp);
	{
		int			run = 0,
					best = 0;

		for (i = 0; i < n - 1; i++)
		{
			run = (i > 0 && diffs[i] == diffs[i - 1]) ? run + 1 : 1;
			if (run > best)
			{
				best = run;
				d = diffs[i];
			}
		}
	}
	pfree(diffs);
	for (i = 1; i < n; i++)
		if (pts[i].ts - pts[i - 1].ts == d)
		{
			j = i - 1;
			break;
		}

	/* candidate steps from the most common difference: months, days, a fixed duration */
	memset(cand, 0, sizeof(cand));
	if (d >= 27 * USECS_PER_DAY)
	{
		int			m = (int) rint((double) d / (30.436875 * USECS_PER_DAY));

		/* whole months (also month ends: 31 Jan, 29 Feb, 31 Mar are checked from the start) */
		cand[ncand++].month = Max(m, 1);
	}
	if (d >= 23 * USECS_PER_HOUR && d % USECS_PER_HOUR == 0)
	{
		int64		days = (d + USECS_PER_DAY / 2) / USECS_PER_DAY;

		memset(&cand[ncand], 0, sizeof(Interval));
		cand[ncand].day = (int32) Min(days, PG_INT32_MAX);
		if (CrmSeriesTime(pts[j].ts, &cand[ncand], 1) == pts[j + 1].ts)
		{
			/* whole days that are also a fixed duration: the fast check first */
			Interval	fixed = {0};

			fixed.time = d;
			if (d == days * USECS_PER_DAY && SeriesFirstMismatch(pts, n, &fixed) == n &&
				CrmSeriesTime(pts[0].ts, &cand[ncand], n - 1) == pts[n - 1].ts)
			{
				*step = cand[ncand];
				return;
			}
			ncand++;
		}
	}
	memset(&cand[ncand], 0, sizeof(Interval));
	cand[ncand++].time = d;

	for (c = 0; c < ncand; c++)
	{
		int			mismatch = SeriesFirstMismatch(pts, n, &cand[c]);

		if (mismatch == n)
		{
			*step = cand[c];
			return;
		}
		if (c == 0)
			bad = mismatch;
	}
	{
		TimestampTz expected = CrmSeriesTime(pts[0].ts, &cand[0], bad);
		char	   *prev = pstrdup(timestamptz_to_str(pts[bad - 1].ts));
		char	   *next = pstrdup(timestamptz_to_str(pts[bad].ts));
		char	   *first = pstrdup(timestamptz_to_str(pts[0].ts));
		char	   *exp = pstrdup(timestamptz_to_str(expected));

		bool		on_grid = false;

		if (expected < pts[bad].ts)
		{
			/* a gap when the point lies on the grid further on; off the grid otherwise */
			if (cand[0].month == 0 && cand[0].day == 0)
				on_grid = (pts[bad].ts - pts[0].ts) % cand[0].time == 0;
			else
			{
				int64		k;
				TimestampTz t = expected;

				for (k = bad + 1; k < (int64) bad + 100000 && t < pts[bad].ts; k++)
					t = CrmSeriesTime(pts[0].ts, &cand[0], k);
				on_grid = (t == pts[bad].ts);
			}
		}
		if (on_grid)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the series passed to %s has a gap after %s", fn, prev),
					 errdetail("The next value is at %s; with a step of %s, one is expected at %s.",
							   next, CrmIntervalText(&cand[0]), exp),
					 errhint("Fill the missing times, for example from generate_series() "
							 "with a LEFT JOIN and coalesce(value, 0).")));
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the series passed to %s is not regular at %s", fn, next),
				 errdetail("With a step of %s from %s, the value after %s is expected at %s.",
						   CrmIntervalText(&cand[0]), first, prev, exp),
				 errhint("Pass one value per period, at the same point of each period "
						 "(for example date_trunc('month', ts)).")));
	}
}

/* ---------- aggregate state ---------- */

typedef struct HwState
{
	char		kind;			/* HW_ADDITIVE or HW_MULTIPLICATIVE */
	int32		period;			/* 1: Holt's linear trend */
	double		fixed[3];		/* alpha, beta, gamma given, or NaN to estimate */
	int64		n;
	int64		cap;
	CrmSeriesPoint *pts;
} HwState;

static bool
HwSameParam(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* A new state with the group's settings. */
static HwState *
HwStateCreate(MemoryContext aggctx, char kind, int32 period, const double *fixed, int64 cap)
{
	HwState    *st = MemoryContextAllocZero(aggctx, sizeof(HwState));

	st->kind = kind;
	st->period = period;
	memcpy(st->fixed, fixed, sizeof(st->fixed));
	st->cap = Max(cap, 16);
	st->pts = CrmMemoryAlloc(aggctx, st->cap, sizeof(CrmSeriesPoint), "crm.holt_winters",
							 "The points of a series");
	return st;
}

/*
 * The settings of a row: period, model and fixed parameters (arguments: state,
 * ts, value, period[, seasonal[, alpha, beta, gamma]]).
 */
static void
HwRowSettings(FunctionCallInfo fcinfo, char *kind, int32 *period, double *fixed)
{
	int			nargs = PG_NARGS();
	int			k;

	*period = PG_ARGISNULL(3) ? 1 : PG_GETARG_INT32(3);
	if (*period < 1 || *period > HW_MAX_PERIOD)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be between 1 and %d", HW_MAX_PERIOD),
				 errdetail("Got %d.", *period),
				 errhint("Pass the number of points in a season, for example 12 for monthly data; "
						 "1 for Holt's linear trend without season.")));
	*kind = HW_ADDITIVE;
	if (nargs > 4)
	{
		char	   *s;

		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("seasonal must not be NULL"),
					 errhint("Pass 'additive' or 'multiplicative'.")));
		s = text_to_cstring(PG_GETARG_TEXT_PP(4));
		if (strcmp(s, "additive") == 0)
			*kind = HW_ADDITIVE;
		else if (strcmp(s, "multiplicative") == 0)
			*kind = HW_MULTIPLICATIVE;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("seasonal must be 'additive' or 'multiplicative'"),
					 errdetail("Got '%s'.", s)));
	}
	for (k = 0; k < 3; k++)
	{
		fixed[k] = NAN;
		if (nargs > 5 + k && !PG_ARGISNULL(5 + k))
		{
			static const char *const names[3] = {"alpha", "beta", "gamma"};

			fixed[k] = PG_GETARG_FLOAT8(5 + k);
			if (!(fixed[k] >= 0.0 && fixed[k] <= 1.0) || (k == 0 && fixed[k] == 0.0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s must be %s", names[k],
								k == 0 ? "greater than 0 and at most 1" : "between 0 and 1"),
						 errdetail("Got %g.", fixed[k]),
						 errhint("Pass NULL to estimate it by least squares.")));
		}
	}
}


/* Transition function of crm.holt_winters (3, 4 or 7 arguments). */
Datum
holt_winters_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "holt_winters_transfn");
	HwState    *st = PG_ARGISNULL(0) ? NULL : (HwState *) PG_GETARG_POINTER(0);
	char		kind;
	int32		period;
	double		fixed[3];
	int			k;
	TimestampTz ts;
	double		v;

	HwRowSettings(fcinfo, &kind, &period, fixed);
	if (st == NULL)
		st = HwStateCreate(aggctx, kind, period, fixed, 16);
	else
	{
		if (st->kind != kind || st->period != period)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period and seasonal must be the same for every row of a group"),
					 errdetail("Got period %d (%s) and period %d (%s).", st->period,
							   st->kind == HW_ADDITIVE ? "additive" : "multiplicative", period,
							   kind == HW_ADDITIVE ? "additive" : "multiplicative")));
		for (k = 0; k < 3; k++)
			if (!HwSameParam(st->fixed[k], fixed[k]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("alpha, beta and gamma must be the same for every row of a group")));
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);	/* rows without a time or a value are skipped */
	ts = PG_GETARG_TIMESTAMPTZ(1);
	v = PG_GETARG_FLOAT8(2);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ts must be a finite timestamp"),
				 errhint("Filter out rows with infinite times.")));
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value must be a finite number"),
				 errdetail("Got %g at %s.", v, timestamptz_to_str(ts)),
				 errhint("Filter out or replace NaN and infinite values.")));
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->pts = CrmMemoryRealloc(st->pts, st->cap, sizeof(CrmSeriesPoint), "crm.holt_winters",
								   "The points of a series");
	}
	st->pts[st->n].ts = ts;
	st->pts[st->n].value = v;
	st->n++;
	PG_RETURN_POINTER(st);
}

/* Merge two partial states (parallel workers). */
Datum
holt_winters_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "holt_winters_combinefn");
	HwState    *s1 = PG_ARGISNULL(0) ? NULL : (HwState *) PG_GETARG_POINTER(0);
	HwState    *s2 = PG_ARGISNULL(1) ? NULL : (HwState *) PG_GETARG_POINTER(1);
	int			k;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = HwStateCreate(aggctx, s2->kind, s2->period, s2->fixed, s2->n);
	if (s1->kind != s2->kind || s1->period != s2->period)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period and seasonal must be the same for every row of a group")));
	for (k = 0; k < 3; k++)
		if (!HwSameParam(s1->fixed[k], s2->fixed[k]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("alpha, beta and gamma must be the same for every row of a group")));
	if (s1->n + s2->n > s1->cap)
	{
		while (s1->cap < s1->n + s2->n)
			s1->cap *= 2;
		s1->pts = CrmMemoryRealloc(s1->pts, s1->cap, sizeof(CrmSeriesPoint), "crm.holt_winters",
								   "The points of a series");
	}
	memcpy(s1->pts + s1->n, s2->pts, s2->n * sizeof(CrmSeriesPoint));
	s1->n += s2->n;
	PG_RETURN_POINTER(s1);
}

/* Serialize a state for transfer between processes. */
Datum
holt_winters_serialfn(PG_FUNCTION_ARGS)
{
	HwState    *st = (HwState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	(void) CrmAggContext(fcinfo, "holt_winters_serialfn");
	if (st->n > (int64) ((MaxAllocSize - 64) / 16))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many points in one partial crm.holt_winters state to pass between processes"),
				 errhint("Run the query without parallelism (SET max_parallel_workers_per_gather = 0).")));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, HW_STATE_FORMAT);
	pq_sendbyte(&buf, st->kind);
	pq_sendint32(&buf, st->period);
	pq_sendfloat8(&buf, st->fixed[0]);
	pq_sendfloat8(&buf, st->fixed[1]);
	pq_sendfloat8(&buf, st->fixed[2]);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, st->pts[i].ts);
		pq_sendfloat8(&buf, st->pts[i].value);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state from its serialized form, validating every field. */
Datum
holt_winters_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "holt_winters_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	HwState    *st;
	double		fixed[3];
	int			format,
				kind,
				k;
	int32		period;
	int64		n,
				i;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != HW_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported crm.holt_winters state format %d", format)));
	kind = pq_getmsgbyte(&buf);
	period = pq_getmsgint(&buf, 4);
	for (k = 0; k < 3; k++)
		fixed[k] = pq_getmsgfloat8(&buf);
	n = pq_getmsgint64(&buf);
	if ((kind != HW_ADDITIVE && kind != HW_MULTIPLICATIVE) || period < 1 || period > HW_MAX_PERIOD ||
		n < 0 || (buf.len - buf.cursor) % 16 != 0 || n != (buf.len - buf.cursor) / 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.holt_winters state")));
	for (k = 0; k < 3; k++)
		if (!isnan(fixed[k]) && !(fixed[k] >= 0.0 && fixed[k] <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid crm.holt_winters state")));
	st = HwStateCreate(aggctx, (char) kind, period, fixed, n);
	for (i = 0; i < n; i++)
	{
		st->pts[i].ts = pq_getmsgint64(&buf);
		st->pts[i].value = pq_getmsgfloat8(&buf);
		if (TIMESTAMP_NOT_FINITE(st->pts[i].ts) || isnan(st->pts[i].value) ||
			isinf(st->pts[i].value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid crm.holt_winters state")));
	}
	st->n = n;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* ---------- fitting ---------- */

/* One series to fit. */
typedef struct HwFit
{
	const double *x;
	int			n;
	int			f;				/* period; 1 = Holt's linear trend */
	bool		mult;
	int			start;			/* first forecast index (0-based) */
	double		l0;
	double		b0;
	double	   *s0;				/* f start seasonals */
	double	   *S;				/* work: seasonals */
	double	   *dS;				/* work: their derivatives, 3 per seasonal */
	double		par[3];			/* alpha, beta, gamma */
	int			nfree;
	int			free_idx[3];
	double	   *resid;			/* when not NULL, receives the one-step errors */
	double		level;			/* after the run */
	double		trend;
} HwFit;

/*
 * Start values as R's HoltWinters(): decompose() of the first two periods
 * (centred moving average, seasonal figure) and a least-squares line through
 * the moving average.
 */
static void
HwStartValues(HwFit *fit)
{
	const double *x = fit->x;
	int			f = fit->f;
	int			w = 2 * f;
	int			o = f / 2;
	int			nf = (f % 2 == 0) ? f + 1 : f;
	double	   *filter = palloc(sizeof(double) * nf);
	double	   *trend = palloc(sizeof(double) * w);
	double		fsum = 0.0,
				ybar = 0.0,
				sxy = 0.0,
				sxx = 0.0,
				tbar;
	int			i,
				j,
				len = w - 2 * o;

	for (j = 0; j < nf; j++)
		filter[j] = 1.0 / f;
	if (f % 2 == 0)
	{
		filter[0] = 0.5 / f;
		filter[nf - 1] = 0.5 / f;
	}
	/* stats::filter(sides = 2): z_i = sum_j filter_j x_{i + o - j} */
	for (i = o; i < w - o; i++)
	{
		double		z = 0.0;

		for (j = 0; j < nf; j++)
			z += filter[j] * x[i + o - j];
		trend[i] = z;
	}
	for (j = 0; j < f; j++)
	{
		double		sum = 0.0;
		int			cnt = 0;

		for (i = j; i < w; i += f)
		{
			if (i < o || i >= w - o)
				continue;
			sum += fit->mult ? x[i] / trend[i] : x[i] - trend[i];
			cnt++;
		}
		fit->s0[j] = sum / cnt;
		fsum += fit->s0[j];
	}
	for (j = 0; j < f; j++)
		fit->s0[j] = fit->mult ? fit->s0[j] / (fsum / f) : fit->s0[j] - fsum / f;
	/* lm(trend ~ 1..len) */
	for (i = 0; i < len; i++)
		ybar += trend[o + i];
	ybar /= len;
	tbar = (len + 1) / 2.0;
	for (i = 0; i < len; i++)
	{
		sxy += (i + 1 - tbar) * (trend[o + i] - ybar);
		sxx += (i + 1 - tbar) * (i + 1 - tbar);
	}
	fit->b0 = sxy / sxx;
	fit->l0 = ybar - fit->b0 * tbar;
	pfree(filter);
	pfree(trend);
}

/*
 * Run the recursion with parameters par; returns the SSE, and its gradient
 * with respect to (alpha, beta, gamma) when grad is not NULL.  Leaves the
 * final level, trend and seasonals in fit.
 */
static double
HwRun(HwFit *fit, const double *par, double *grad)
{
	const double *x = fit->x;
	double		a = par[0],
				b = par[1],
				g = par[2];
	double		L = fit->l0,
				T = fit->b0,
				sse = 0.0;
	double		dL[3] = {0},
				dT[3] = {0},
				dsse[3] = {0};
	bool		seasonal = fit->f > 1;
	int			f = fit->f;
	int			i,
				k,
				j = 0;

	if (seasonal)
	{
		memcpy(fit->S, fit->s0, sizeof(double) * f);
		if (grad)
			memset(fit->dS, 0, sizeof(double) * 3 * f);
	}
	for (i = fit->start; i < fit->n; i++)
	{
		double		xi = x[i];
		double		s = 0.0,
					LT = L + T,
					xhat,
					e,
					u,
					Lnew,
					Tnew;

		if (seasonal)
		{
			j = i % f;
			s = fit->S[j];
		}
		xhat = fit->mult && seasonal ? LT * s : LT + s;
		e = xi - xhat;
		sse += e * e;
		if (fit->resid)
			fit->resid[i - fit->start] = e;
		u = fit->mult && seasonal ? xi / s : xi - s;
		Lnew = a * u + (1 - a) * LT;
		Tnew = b * (Lnew - L) + (1 - b) * T;
		if (grad)
		{
			double		ds[3] = {0},
						dLT[3],
						dLnew[3],
						dTnew[3];

			for (k = 0; k < 3; k++)
			{
				double		dxhat,
							du;

				if (seasonal)
					ds[k] = fit->dS[3 * j + k];
				dLT[k] = dL[k] + dT[k];
				if (fit->mult && seasonal)
				{
					dxhat = dLT[k] * s + LT * ds[k];
					du = -xi / (s * s) * ds[k];
				}
				else
				{
					dxhat = dLT[k] + ds[k];
					du = -ds[k];
				}
				dsse[k] -= 2.0 * e * dxhat;
				dLnew[k] = a * du + (1 - a) * dLT[k] + (k == 0 ? u - LT : 0.0);
				dTnew[k] = b * (dLnew[k] - dL[k]) + (1 - b) * dT[k] + (k == 1 ? Lnew - L - T : 0.0);
			}
			if (seasonal)
			{
				double		v = fit->mult ? xi / Lnew : xi - Lnew;

				for (k = 0; k < 3; k++)
				{
					double		dv = fit->mult ? -xi / (Lnew * Lnew) * dLnew[k] : -dLnew[k];

					fit->dS[3 * j + k] = g * dv + (1 - g) * ds[k] + (k == 2 ? v - s : 0.0);
				}
			}
			memcpy(dL, dLnew, sizeof(dL));
			memcpy(dT, dTnew, sizeof(dT));
		}
		if (seasonal)
			fit->S[j] = fit->mult ? g * (xi / Lnew) + (1 - g) * s : g * (xi - Lnew) + (1 - g) * s;
		L = Lnew;
		T = Tnew;
	}
	fit->level = L;
	fit->trend = T;
	if (grad)
		memcpy(grad, dsse, sizeof(dsse));
	return sse;
}

/* The SSE as a function of the free parameters (for the optimiser). */
static double
HwObjective(const double *xfree, double *grad, void *arg)
{
	HwFit	   *fit = (HwFit *) arg;
	double		par[3],
				full[3];
	double		sse;
	int			k;

	memcpy(par, fit->par, sizeof(par));
	for (k = 0; k < fit->nfree; k++)
		par[fit->free_idx[k]] = xfree[k];
	sse = HwRun(fit, par, grad ? full : NULL);
	if (grad)
		for (k = 0; k < fit->nfree; k++)
			grad[k] = full[fit->free_idx[k]];
	return sse;
}

/* Estimate the free parameters: grid of starts, then projected BFGS from the best. */
static void
HwEstimate(HwFit *fit)
{
	int			nfree = fit->nfree;
	int			ncomb = 1,
				c,
				k,
				s;
	double		best_f[HW_STARTS];
	double		best_x[HW_STARTS][3];
	double		lower[3] = {0.0, 0.0, 0.0},
				upper[3] = {1.0, 1.0, 1.0};
	double		winner_f = INFINITY,
				winner[3] = {0};

	if (nfree == 0)
		return;
	for (k = 0; k < nfree; k++)
		ncomb *= HW_GRID_POINTS;
	for (s = 0; s < HW_STARTS; s++)
		best_f[s] = INFINITY;
	for (c = 0; c < ncomb; c++)
	{
		double		xg[3];
		double		fv;
		int			rest = c;

		for (k = 0; k < nfree; k++)
		{
			xg[k] = (2 * (rest % HW_GRID_POINTS) + 1) / (2.0 * HW_GRID_POINTS);
			rest /= HW_GRID_POINTS;
		}
		fv = HwObjective(xg, NULL, fit);
		if (!isfinite(fv))
			continue;
		/* keep the HW_STARTS best, sorted */
		for (s = HW_STARTS - 1; s >= 0 && fv < best_f[s]; s--)
		{
			if (s + 1 < HW_STARTS)
			{
				best_f[s + 1] = best_f[s];
				memcpy(best_x[s + 1], best_x[s], sizeof(best_x[s]));
			}
			best_f[s] = fv;
			memcpy(best_x[s], xg, sizeof(xg));
		}
	}
	for (s = 0; s < HW_STARTS && isfinite(best_f[s]); s++)
	{
		CrmOptimResult res;

		CHECK_FOR_INTERRUPTS();
		res = CrmBoxMinimize(HwObjective, fit, nfree, best_x[s], lower, upper, true,
							 HW_MAX_ITER, 1e-10 * Max(1.0, best_f[s]));
		if (isfinite(res.f) && res.f < winner_f)
		{
			winner_f = res.f;
			memcpy(winner, best_x[s], sizeof(winner));
		}
	}
	if (!isfinite(winner_f))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("crm.holt_winters could not fit the series: the squared errors overflow"),
				 errhint("Scale the values down, or check them for extreme outliers.")));
	for (k = 0; k < nfree; k++)
		fit->par[fit->free_idx[k]] = winner[k];
}

/* Build a float8[] datum. */
static Datum
HwFloatArray(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Final function of crm.holt_winters: fit the group's series, return the model. */
Datum
holt_winters_finalfn(PG_FUNCTION_ARGS)
{
	HwState    *st;
	CrmSeriesPoint *pts;
	Interval	step;
	HwFit		fit;
	double	   *x;
	int			n,
				f,
				i,
				k,
				nres;
	double		sse,
				mean = 0.0,
				ss = 0.0;
	TupleDesc	tupdesc;
	Datum		values[13];
	bool		nulls[13] = {false};
	double	   *coef;

	(void) CrmAggContext(fcinfo, "holt_winters_finalfn");
	st = PG_ARGISNULL(0) ? NULL : (HwState *) PG_GETARG_POINTER(0);
	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of holt_winters_finalfn must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	f = st->period;
	if (st->n > PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("crm.holt_winters fits series of at most %d points", PG_INT32_MAX / 2)));
	n = (int) st->n;
	if (f > 1 && n < 2 * f)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.holt_winters needs at least two full periods of data"),
				 errdetail("Got %d points for period %d; at least %d are needed.", n, f, 2 * f),
				 errhint("Pass a longer series, or a shorter period (1 for Holt's linear trend without season).")));
	if (f == 1 && n < 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.holt_winters needs at least 3 points"),
				 errdetail("Got %d.", n)));

	/* a sorted, checked copy: the state stays as it is for a window's next call */
	pts = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(CrmSeriesPoint), "crm.holt_winters",
						 "A sorted copy of the series");
	memcpy(pts, st->pts, sizeof(CrmSeriesPoint) * n);
	CrmSeriesRegularize(pts, n, &step, "crm.holt_winters");
	x = palloc(sizeof(double) * n);
	for (i = 0; i < n; i++)
	{
		x[i] = pts[i].value;
		if (f > 1 && st->kind == HW_MULTIPLICATIVE && !(x[i] > 0.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the multiplicative model needs positive values"),
					 errdetail("Got %g at %s.", x[i], timestamptz_to_str(pts[i].ts)),
					 errhint("Use seasonal => 'additive', or shift the values above zero.")));
	}

	memset(&fit, 0, sizeof(fit));
	fit.x = x;
	fit.n = n;
	fit.f = f;
	fit.mult = (f > 1 && st->kind == HW_MULTIPLICATIVE);
	if (f > 1)
	{
		fit.start = f;
		fit.s0 = palloc(sizeof(double) * f);
		fit.S = palloc(sizeof(double) * f);
		fit.dS = palloc(sizeof(double) * 3 * f);
		HwStartValues(&fit);
	}
	else
	{
		fit.start = 2;
		fit.l0 = x[1];
		fit.b0 = x[1] - x[0];
	}
	for (k = 0; k < 3; k++)
	{
		fit.par[k] = isnan(st->fixed[k]) ? 0.0 : st->fixed[k];
		if (isnan(st->fixed[k]) && (k < 2 || f > 1))
			fit.free_idx[fit.nfree++] = k;
	}
	HwEstimate(&fit);

	nres = n - fit.start;
	fit.resid = palloc(sizeof(double) * Max(nres, 1));
	sse = HwRun(&fit, fit.par, NULL);
	for (i = 0; i < nres; i++)
		mean += fit.resid[i];
	mean /= Max(nres, 1);
	for (i = 0; i < nres; i++)
		ss += (fit.resid[i] - mean) * (fit.resid[i] - mean);

	values[0] = CStringGetTextDatum(f == 1 ? "holt" : (fit.mult ? "multiplicative" : "additive"));
	values[1] = Int32GetDatum(f);
	values[2] = Float8GetDatum(fit.par[0]);
	values[3] = Float8GetDatum(fit.par[1]);
	if (f > 1)
		values[4] = Float8GetDatum(fit.par[2]);
	else
		nulls[4] = true;
	values[5] = Float8GetDatum(fit.level);
	values[6] = Float8GetDatum(fit.trend);
	if (f > 1)
	{
		/* in R's coefficient order: s[h] goes with the forecast h steps ahead */
		coef = palloc(sizeof(double) * f);
		for (k = 0; k < f; k++)
			coef[k] = fit.S[(n + k) % f];
		values[7] = HwFloatArray(coef, f);
	}
	else
		nulls[7] = true;
	values[8] = Float8GetDatum(sse);
	if (nres >= 2)
		values[9] = Float8GetDatum(ss / (nres - 1));
	else
		nulls[9] = true;
	values[10] = Int32GetDatum(n);
	values[11] = TimestampTzGetDatum(pts[n - 1].ts);
	{
		Interval   *sp = palloc(sizeof(Interval));

		*sp = step;
		values[12] = IntervalPGetDatum(sp);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------- forecasts ---------- */

/* A field of a model; NULL is an error unless allowed. */
static Datum
HwModelField(HeapTupleHeader model, int attno, const char *name, bool *isnull, bool allow_null)
{
	Datum		d = GetAttributeByNum(model, attno, isnull);

	if (*isnull && !allow_null)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model's %s must not be NULL", name),
				 errhint("Pass a model made by crm.holt_winters.")));
	return d;
}

static void
HwBadModel(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid crm.holt_winters_model: %s", what),
			 errhint("Pass a model made by crm.holt_winters.")));
}

/*
 * crm.forecast(model, horizon, level): forecasts 1..horizon steps after the
 * series' last time, with prediction intervals as predict.HoltWinters.
 *
 * For the multiplicative model R's code divides by coefficient
 * 2 + (rel - j) mod p, which is the trend b instead of a seasonal factor
 * when rel - j is a multiple of p (an indexing slip: the factors are
 * coefficients 3 .. p + 2).  Here the factor is s_{((rel - j - 1) mod p) + 1},
 * the season h - j steps ahead, as intended; horizons below the period give
 * R's intervals exactly.
 */
Datum
holt_winters_forecast(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTupleHeader model = PG_GETARG_HEAPTUPLEHEADER(0);
	int32		horizon = PG_GETARG_INT32(1);
	double		level = PG_GETARG_FLOAT8(2);
	bool		isnull;
	char	   *kind;
	int32		period;
	double		alpha,
				beta,
				gamma = 0.0,
				a,
				b,
				sigma2 = NAN,
				z,
				cum = 0.0;
	double	   *s = NULL;
	bool		seasonal,
				mult,
				has_ts;
	TimestampTz last = 0;
	Interval	step = {0};
	Interval	one_day = {0};
	bool		month_end = false;
	int			h,
				j;

	one_day.day = 1;

	if (horizon < 1 || horizon > HW_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be between 1 and %d", HW_MAX_HORIZON),
				 errdetail("Got %d.", horizon),
				 errhint("Pass the number of steps to forecast, for example 12.")));
	CrmCheckOpenUnit(level, "level", "Pass the coverage of the prediction interval, for example 0.95.");

	kind = TextDatumGetCString(HwModelField(model, 1, "kind", &isnull, false));
	period = DatumGetInt32(HwModelField(model, 2, "period", &isnull, false));
	alpha = DatumGetFloat8(HwModelField(model, 3, "alpha", &isnull, false));
	beta = DatumGetFloat8(HwModelField(model, 4, "beta", &isnull, false));
	if (strcmp(kind, "holt") == 0)
		seasonal = mult = false;
	else if (strcmp(kind, "additive") == 0 || strcmp(kind, "multiplicative") == 0)
	{
		seasonal = true;
		mult = (kind[0] == 'm');
	}
	else
	{
		HwBadModel("kind must be 'additive', 'multiplicative' or 'holt'");
		seasonal = mult = false;	/* keep the compiler quiet */
	}
	if (seasonal)
		gamma = DatumGetFloat8(HwModelField(model, 5, "gamma", &isnull, false));
	a = DatumGetFloat8(HwModelField(model, 6, "level", &isnull, false));
	b = DatumGetFloat8(HwModelField(model, 7, "trend", &isnull, false));
	if (!(alpha >= 0.0 && alpha <= 1.0) || !(beta >= 0.0 && beta <= 1.0) ||
		!(gamma >= 0.0 && gamma <= 1.0))
		HwBadModel("alpha, beta and gamma must be between 0 and 1");
	if (!isfinite(a) || !isfinite(b))
		HwBadModel("level and trend must be finite");
	if (seasonal)
	{
		ArrayType  *arr = DatumGetArrayTypeP(HwModelField(model, 8, "seasonal", &isnull, false));
		Datum	   *elems;
		bool	   *enulls;
		int			nelems;

		if (period < 2 || period > HW_MAX_PERIOD)
			HwBadModel("a seasonal model's period must be between 2 and 100000");
		if (ARR_NDIM(arr) > 1 || ARR_ELEMTYPE(arr) != FLOAT8OID)
			HwBadModel("seasonal must be a one-dimensional float8 array");
		deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &enulls, &nelems);
		if (nelems != period)
			HwBadModel("seasonal must have one factor per position of the period");
		s = palloc(sizeof(double) * period);
		for (j = 0; j < period; j++)
		{
			if (enulls[j] || !isfinite(DatumGetFloat8(elems[j])))
				HwBadModel("the seasonal factors must be finite numbers");
			s[j] = DatumGetFloat8(elems[j]);
			if (mult && s[j] == 0.0)
				HwBadModel("a multiplicative model's seasonal factors must not be 0");
		}
	}
	else
		period = Max(period, 1);
	{
		Datum		d = HwModelField(model, 10, "sigma2", &isnull, true);

		if (!isnull)
		{
			sigma2 = DatumGetFloat8(d);
			if (!(sigma2 >= 0.0) || isinf(sigma2))
				HwBadModel("sigma2 must be a finite number of at least 0");
		}
	}
	{
		bool		n1,
					n2;
		Datum		d1 = HwModelField(model, 12, "last_ts", &n1, true);
		Datum		d2 = HwModelField(model, 13, "step", &n2, true);

		has_ts = !n1 && !n2;
		if (has_ts)
		{
			last = DatumGetTimestampTz(d1);
			step = *DatumGetIntervalP(d2);
		}
	}

	/* a monthly series at month ends stays at month ends (31 Mar after 29 Feb) */
	if (has_ts && step.month != 0 && step.day == 0 && step.time == 0)
	{
		struct pg_tm tm1,
					tm2;
		fsec_t		fsec;
		int			tz;

		if (timestamp2tm(last, &tz, &tm1, &fsec, NULL, NULL) == 0 &&
			timestamp2tm(CrmSeriesTime(last, &one_day, 1), &tz, &tm2, &fsec, NULL, NULL) == 0)
			month_end = (tm1.tm_mon != tm2.tm_mon);
	}

	InitMaterializedSRF(fcinfo, 0);
	z = CrmNormalQuantile(0.5 * (1.0 + level));
	for (h = 1; h <= horizon; h++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};
		double		fc = a + h * b;
		int			rel = (h - 1) % period;	/* 0-based position of s_h */
		double		var = NAN;

		if ((h & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (seasonal)
			fc = mult ? fc * s[rel] : fc + s[rel];
		if (!isnan(sigma2))
		{
			if (!mult)
			{
				/* 1 + sum_{j=1}^{h-1} psi_j^2 */
				if (h > 1)
				{
					int			jj = h - 1;
					double		psi = alpha * (1 + jj * beta) +
						((seasonal && jj % period == 0) ? gamma * (1 - alpha) : 0.0);

					cum += psi * psi;
				}
				var = sigma2 * (1.0 + cum);
			}
			else
			{
				double		sum = 0.0;

				for (j = 0; j < h; j++)
				{
					double		psi = alpha * (1 + j * beta) + (j % period == 0 ? gamma * (1 - alpha) : 0.0);
					int			back = ((rel - j) % period + period) % period;
					double		r = psi * s[rel] / s[back];

					sum += r * r;
				}
				var = sigma2 * sum;
			}
		}
		values[0] = Int32GetDatum(h);
		if (has_ts)
			values[1] = TimestampTzGetDatum(month_end ?
											CrmSeriesTime(CrmSeriesTime(CrmSeriesTime(last, &one_day, 1),
																		&step, h), &one_day, -1) :
											CrmSeriesTime(last, &step, h));
		else
			nulls[1] = true;
		values[2] = Float8GetDatum(fc);
		if (isnan(var))
			nulls[3] = nulls[4] = true;
		else
		{
			values[3] = Float8GetDatum(fc - z * sqrt(var));
			values[4] = Float8GetDatum(fc + z * sqrt(var));
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
