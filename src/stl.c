/*
 * stl.c
 *		Seasonal-trend decomposition by loess (STL) and the seasonal hybrid
 *		ESD anomaly test built on it (crm.detect_anomalies).
 *
 * STL follows Cleveland, Cleveland, McRae and Terpenning (1990), "STL: A
 * Seasonal-Trend Decomposition Procedure Based on Loess", Journal of
 * Official Statistics 6(1), in the form of the netlib Fortran that R's
 * stl() runs: an inner loop of cycle-subseries smoothing (loess of degree
 * s_degree over each position of the period, extended by one cycle at both
 * ends), a low-pass filter (moving averages of length period, period and 3,
 * then loess) removed from it, and a loess of the deseasonalised series for
 * the trend; an outer loop of robustness weights (Tukey's bisquare of the
 * remainder over 6 times its median).  Loess fits are evaluated every jump
 * points and interpolated linearly in between.  s.window = "periodic"
 * (window 10 n + 1, degree 0) then averages the seasonal part per position
 * of the period, as R does.  The robustness weights use the exact median of
 * the absolute remainders.
 *
 * crm.detect_anomalies is the seasonal hybrid ESD test (S-H-ESD) of
 * Hochenbaum, Vallis and Kejariwal (2017), "Automatic Anomaly Detection in
 * the Cloud Via Statistical Learning", arXiv:1704.07706, as Twitter's
 * AnomalyDetection package runs it: robust STL with a periodic season,
 * remainder = value - seasonal - median(value), then the generalized ESD
 * test with the median and MAD (deviation.c) for at most
 * floor(max_anomalies n) anomalies.  The expected value reported is trend +
 * seasonal (AnomalyDetection truncates it to an integer; this does not).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "deviation.h"

#define CRM_ANOM_MAX_PERIOD		1000000

PG_FUNCTION_INFO_V1(detect_anomalies);
PG_FUNCTION_INFO_V1(stl_decompose);

/* R's nextodd(): round, then the next odd number. */
static int
StlNextOdd(double x)
{
	int			v = (int) rint(x);

	return (v % 2 == 0) ? v + 1 : v;
}

/* R's stl() defaults for s.window = "periodic". */
void
CrmStlDefaults(CrmStlParams *p, int n, int period, bool robust)
{
	memset(p, 0, sizeof(*p));
	p->period = period;
	p->periodic = true;
	p->s_window = 10 * n + 1;
	p->s_degree = 0;
	p->t_window = StlNextOdd(ceil(1.5 * period / (1.0 - 1.5 / p->s_window)));
	p->t_degree = 1;
	p->l_window = StlNextOdd(period);
	p->l_degree = p->t_degree;
	p->s_jump = (int) ceil(p->s_window / 10.0);
	p->t_jump = (int) ceil(p->t_window / 10.0);
	p->l_jump = (int) ceil(p->l_window / 10.0);
	p->inner = robust ? 1 : 2;
	p->outer = robust ? 15 : 0;
}

/*
 * One loess fit at abscissa xs (1-based, as the Fortran) over y[nleft..nright]
 * (1-based): tricube weights (times rw when userw), degree 0 or 1.  Returns
 * false when every weight is 0.
 */
static bool
StlEst(const double *y, int n, int len, int ideg, double xs, double *ys, int nleft,
	   int nright, double *w, bool userw, const double *rw)
{
	double		range = (double) n - 1.0;
	double		h = Max(xs - (double) nleft, (double) nright - xs);
	double		h9,
				h1,
				a = 0.0;
	int			j;

	if (len > n)
		h += (double) ((len - n) / 2);
	h9 = 0.999 * h;
	h1 = 0.001 * h;
	for (j = nleft; j <= nright; j++)
	{
		double		r = fabs((double) j - xs);

		if (r <= h9)
		{
			if (r <= h1)
				w[j - 1] = 1.0;
			else
			{
				double		q = r / h;

				q = 1.0 - q * q * q;
				w[j - 1] = q * q * q;
			}
			if (userw)
				w[j - 1] *= rw[j - 1];
			a += w[j - 1];
		}
		else
			w[j - 1] = 0.0;
	}
	if (a <= 0.0)
		return false;
	for (j = nleft; j <= nright; j++)
		w[j - 1] /= a;
	if (h > 0.0 && ideg > 0)
	{
		double		c = 0.0,
					b;

		a = 0.0;
		for (j = nleft; j <= nright; j++)
			a += w[j - 1] * (double) j;
		b = xs - a;
		for (j = nleft; j <= nright; j++)
			c += w[j - 1] * ((double) j - a) * ((double) j - a);
		if (sqrt(c) > 0.001 * range)
		{
			b /= c;
			for (j = nleft; j <= nright; j++)
				w[j - 1] *= b * ((double) j - a) + 1.0;
		}
	}
	*ys = 0.0;
	for (j = nleft; j <= nright; j++)
		*ys += w[j - 1] * y[j - 1];
	return true;
}

/* Loess smoothing of y[0..n-1] into ys, evaluated every njump points. */
static void
StlEss(const double *y, int n, int len, int ideg, int njump, bool userw, const double *rw,
	   double *ys, double *res)
{
	int			newnj,
				nleft = 0,
				nright = 0,
				nsh,
				i,
				j,
				k;

	if (n < 2)
	{
		ys[0] = y[0];
		return;
	}
	newnj = Min(njump, n - 1);
	if (len >= n)
	{
		nleft = 1;
		nright = n;
		for (i = 1; i <= n; i += newnj)
			if (!StlEst(y, n, len, ideg, (double) i, &ys[i - 1], nleft, nright, res, userw, rw))
				ys[i - 1] = y[i - 1];
	}
	else if (newnj == 1)
	{
		nsh = (len + 1) / 2;
		nleft = 1;
		nright = len;
		for (i = 1; i <= n; i++)
		{
			if (i > nsh && nright != n)
			{
				nleft++;
				nright++;
			}
			if (!StlEst(y, n, len, ideg, (double) i, &ys[i - 1], nleft, nright, res, userw, rw))
				ys[i - 1] = y[i - 1];
		}
	}
	else
	{
		nsh = (len + 1) / 2;
		for (i = 1; i <= n; i += newnj)
		{
			if (i < nsh)
			{
				nleft = 1;
				nright = len;
			}
			else if (i >= n - nsh + 1)
			{
				nleft = n - len + 1;
				nright = n;
			}
			else
			{
				nleft = i - nsh + 1;
				nright = len + i - nsh;
			}
			if (!StlEst(y, n, len, ideg, (double) i, &ys[i - 1], nleft, nright, res, userw, rw))
				ys[i - 1] = y[i - 1];
		}
	}
	if (newnj != 1)
	{
		for (i = 1; i <= n - newnj; i += newnj)
		{
			double		delta = (ys[i + newnj - 1] - ys[i - 1]) / (double) newnj;

			for (j = i + 1; j <= i + newnj - 1; j++)
				ys[j - 1] = ys[i - 1] + delta * (double) (j - i);
		}
		k = ((n - 1) / newnj) * newnj + 1;
		if (k != n)
		{
			if (!StlEst(y, n, len, ideg, (double) n, &ys[n - 1], nleft, nright, res, userw, rw))
				ys[n - 1] = y[n - 1];
			if (k != n - 1)
			{
				double		delta = (ys[n - 1] - ys[k - 1]) / (double) (n - k);

				for (j = k + 1; j <= n - 1; j++)
					ys[j - 1] = ys[k - 1] + delta * (double) (j - k);
			}
		}
	}
}

/* Moving average of length len: ave[0..n-len]. */
static void
StlMa(const double *x, int n, int len, double *ave)
{
	int			newn = n - len + 1,
				i,
				j;
	double		flen = (double) len,
				v = 0.0;

	for (i = 0; i < len; i++)
		v += x[i];
	ave[0] = v / flen;
	for (j = 1; j < newn; j++)
	{
		v = v - x[j - 1] + x[len + j - 1];
		ave[j] = v / flen;
	}
}

/* The low-pass filter: moving averages of length np, np and 3. */
static void
StlFts(const double *x, int n, int np, double *trend, double *work)
{
	StlMa(x, n, np, trend);
	StlMa(trend, n - np + 1, np, work);
	StlMa(work, n - 2 * np + 2, 3, trend);
}

/* Smooth each cycle-subseries, extended by one point at each end, into season[0..n+2np-1]. */
static void
StlSs(const double *y, int n, int np, int ns, int isdeg, int nsjump, bool userw,
	  const double *rw, double *season, double *work1, double *work2, double *work3,
	  double *work4)
{
	int			j,
				i,
				k,
				m;

	for (j = 1; j <= np; j++)
	{
		int			nright,
					nleft;

		k = (n - j) / np + 1;
		for (i = 1; i <= k; i++)
			work1[i - 1] = y[(i - 1) * np + j - 1];
		if (userw)
			for (i = 1; i <= k; i++)
				work3[i - 1] = rw[(i - 1) * np + j - 1];
		StlEss(work1, k, ns, isdeg, nsjump, userw, work3, work2 + 1, work4);
		nright = Min(ns, k);
		if (!StlEst(work1, k, ns, isdeg, 0.0, &work2[0], 1, nright, work4, userw, work3))
			work2[0] = work2[1];
		nleft = Max(1, k - ns + 1);
		if (!StlEst(work1, k, ns, isdeg, (double) (k + 1), &work2[k + 1], nleft, k, work4, userw, work3))
			work2[k + 1] = work2[k];
		for (m = 1; m <= k + 2; m++)
			season[(m - 1) * np + j - 1] = work2[m - 1];
	}
}

/* Robustness weights: bisquare of |y - fit| / (6 median |y - fit|). */
static void
StlRwt(const double *y, int n, const double *fit, double *rw, double *scratch)
{
	double		cmad,
				c9,
				c1;
	int			i;

	for (i = 0; i < n; i++)
		scratch[i] = fabs(y[i] - fit[i]);
	cmad = 6.0 * CrmMedianInPlace(scratch, n);
	c9 = 0.999 * cmad;
	c1 = 0.001 * cmad;
	for (i = 0; i < n; i++)
	{
		double		r = fabs(y[i] - fit[i]);

		if (r <= c1)
			rw[i] = 1.0;
		else if (r <= c9)
		{
			double		u = r / cmad;

			rw[i] = (1.0 - u * u) * (1.0 - u * u);
		}
		else
			rw[i] = 0.0;
	}
}

/* STL; see deviation.h.  Arrays seasonal, trend and weights hold n values. */
void
CrmStl(const double *y, int n, const CrmStlParams *p, double *seasonal, double *trend,
	   double *weights, const char *fn)
{
	int			np = Max(2, p->period);
	int			ns = Max(3, p->s_window),
				nt = Max(3, p->t_window),
				nl = Max(3, p->l_window);
	int			wn = n + 2 * np;
	double	   *w1,
			   *w2,
			   *w3,
			   *w4,
			   *w5;
	bool		userw = false;
	int			i,
				k,
				iter;

	if (ns % 2 == 0)
		ns++;
	if (nt % 2 == 0)
		nt++;
	if (nl % 2 == 0)
		nl++;
	w1 = CrmMemoryAlloc(CurrentMemoryContext, (Size) wn * 5, sizeof(double), fn,
						"The work space of the seasonal decomposition");
	w2 = w1 + wn;
	w3 = w2 + wn;
	w4 = w3 + wn;
	w5 = w4 + wn;
	for (i = 0; i < n; i++)
	{
		trend[i] = 0.0;
		weights[i] = 1.0;
	}
	for (k = 0;; k++)
	{
		CHECK_FOR_INTERRUPTS();
		/* stlstp: the inner loop */
		for (iter = 0; iter < p->inner; iter++)
		{
			for (i = 0; i < n; i++)
				w1[i] = y[i] - trend[i];
			StlSs(w1, n, np, ns, p->s_degree, p->s_jump, userw, weights, w2, w3, w4, w5, seasonal);
			StlFts(w2, wn, np, w3, w1);
			StlEss(w3, n, nl, p->l_degree, p->l_jump, false, w4, w1, w5);
			for (i = 0; i < n; i++)
				seasonal[i] = w2[np + i] - w1[i];
			for (i = 0; i < n; i++)
				w1[i] = y[i] - seasonal[i];
			StlEss(w1, n, nt, p->t_degree, p->t_jump, userw, weights, trend, w3);
		}
		if (k + 1 > p->outer)
			break;
		for (i = 0; i < n; i++)
			w1[i] = trend[i] + seasonal[i];
		StlRwt(y, n, w1, weights, w2);
		userw = true;
	}
	if (p->outer <= 0)
		for (i = 0; i < n; i++)
			weights[i] = 1.0;
	if (p->periodic)
	{
		/* the mean of each position of the period (positions counted from the first point) */
		for (k = 0; k < p->period; k++)
		{
			double		sum = 0.0;
			int			cnt = 0;

			for (i = k; i < n; i += p->period)
			{
				sum += seasonal[i];
				cnt++;
			}
			for (i = k; i < n; i += p->period)
				seasonal[i] = sum / cnt;
		}
	}
	pfree(w1);
}

/* ---------- crm.detect_anomalies ---------- */

typedef struct AnomInput
{
	const char *fn;
	CrmCast		ts_cast;
	CrmCast		value_cast;
	int64		n;
	int64		cap;
	CrmSeriesPoint *pts;
} AnomInput;

/* One (ts, value) row. */
static void
AnomRow(TupleTableSlot *slot, void *arg)
{
	AnomInput  *in = (AnomInput *) arg;
	TimestampTz ts;
	double		v;

	if (slot->tts_isnull[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the series passed to %s has a NULL time", in->fn),
				 errhint("Filter out rows without a time.")));
	ts = DatumGetTimestampTz(CrmCastValue(&in->ts_cast, slot->tts_values[0]));
	if (slot->tts_isnull[1])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the series passed to %s has a NULL value at %s", in->fn,
						timestamptz_to_str(ts)),
				 errhint("Fill missing values first, for example with coalesce(value, 0) or an interpolation.")));
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the times passed to %s must be finite", in->fn)));
	v = DatumGetFloat8(CrmCastValue(&in->value_cast, slot->tts_values[1]));
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the values passed to %s must be finite numbers", in->fn),
				 errdetail("Got %g at %s.", v, timestamptz_to_str(ts))));
	if (in->n == in->cap)
	{
		in->cap *= 2;
		in->pts = CrmMemoryRealloc(in->pts, in->cap, sizeof(CrmSeriesPoint), in->fn, "The series");
	}
	in->pts[in->n].ts = ts;
	in->pts[in->n].value = v;
	in->n++;
}

/*
 * Read a regular series (ts, value) from the caller's query (SPI connected):
 * sorted, checked, with more than two periods.
 */
static void
AnomReadSeries(AnomInput *in, const char *query, int period, const char *fn)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID};
	static const Oid value_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID};
	CrmQuery	q;
	Interval	step;

	CrmQueryOpen(&q, query, 2, 2, fn, "(ts, value)");
	CrmCheckColumnType(q.desc, 1, fn, "ts", ts_types, lengthof(ts_types), "timestamptz");
	CrmCheckColumnType(q.desc, 2, fn, "value", value_types, lengthof(value_types),
					   "a number (float8, numeric or integer)");
	memset(in, 0, sizeof(*in));
	in->fn = fn;
	in->cap = 1024;
	in->pts = CrmMemoryAlloc(CurrentMemoryContext, in->cap, sizeof(CrmSeriesPoint), fn, "The series");
	CrmCastInit(&in->ts_cast, TupleDescAttr(q.desc, 0)->atttypid, TIMESTAMPTZOID, fn, "1 (ts)");
	CrmCastInit(&in->value_cast, TupleDescAttr(q.desc, 1)->atttypid, FLOAT8OID, fn, "2 (value)");
	(void) CrmQueryForEachRow(&q, AnomRow, in);
	CrmQueryClose(&q);

	if (in->n > PG_INT32_MAX / 16)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s handles series of at most %d points", fn, PG_INT32_MAX / 16)));
	if (in->n <= 2 * (int64) period || in->n < 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs more than two periods of data", fn),
				 errdetail("Got " INT64_FORMAT " points for period %d; more than %d are needed.", in->n,
						   period, Max(2 * period, 3)),
				 errhint("Pass a longer series or a shorter period.")));
	CrmSeriesRegularize(in->pts, (int) in->n, &step, fn);
}

/*
 * crm.detect_anomalies(query, period, max_anomalies, alpha, direction): the
 * anomalous points of a series (ts, value) with their expected value, in
 * time order.
 */
Datum
detect_anomalies(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query,
			   *direction;
	int32		period;
	double		max_anomalies,
				alpha,
				med;
	int			tail,
				n,
				nsteps,
				ntested,
				nanom,
				i;
	AnomInput	in;
	double	   *y,
			   *seasonal,
			   *trend,
			   *weights,
			   *resid;
	bool	   *is_anom;
	double	   *score;
	CrmEsdStep *steps;

	for (i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the arguments of crm.detect_anomalies must not be NULL"),
					 errhint("Pass a query returning (ts, value), the period, max_anomalies, alpha and direction.")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	period = PG_GETARG_INT32(1);
	max_anomalies = PG_GETARG_FLOAT8(2);
	alpha = PG_GETARG_FLOAT8(3);
	direction = text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (period < 1 || period > CRM_ANOM_MAX_PERIOD)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be between 1 and %d", CRM_ANOM_MAX_PERIOD),
				 errdetail("Got %d.", period),
				 errhint("Pass the number of points in a season, for example 1440 for a day of minutes; "
						 "1 for a series without season.")));
	if (!(max_anomalies > 0.0 && max_anomalies <= 0.49))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_anomalies must be greater than 0 and at most 0.49"),
				 errdetail("Got %g.", max_anomalies),
				 errhint("Pass the largest share of points that may be anomalous, for example 0.02.")));
	CrmCheckOpenUnit(alpha, "alpha", "Pass a significance level such as 0.05.");
	if (strcmp(direction, "both") == 0)
		tail = 0;
	else if (strcmp(direction, "pos") == 0)
		tail = 1;
	else if (strcmp(direction, "neg") == 0)
		tail = -1;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("direction must be 'both', 'pos' or 'neg'"),
				 errdetail("Got '%s'.", direction)));

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	AnomReadSeries(&in, query, period, "crm.detect_anomalies");
	n = (int) in.n;

	y = CrmMemoryAlloc(CurrentMemoryContext, (Size) n * 5, sizeof(double), "crm.detect_anomalies",
					   "The decomposition");
	seasonal = y + n;
	trend = seasonal + n;
	weights = trend + n;
	resid = weights + n;
	for (i = 0; i < n; i++)
		y[i] = in.pts[i].value;
	if (period >= 2)
	{
		CrmStlParams sp;

		CrmStlDefaults(&sp, n, period, true);
		CrmStl(y, n, &sp, seasonal, trend, weights, "crm.detect_anomalies");
	}
	else
	{
		/* no season: the expected value is the median */
		memcpy(resid, y, sizeof(double) * n);
		med = CrmMedianInPlace(resid, n);
		for (i = 0; i < n; i++)
		{
			seasonal[i] = 0.0;
			trend[i] = med;
		}
	}
	memcpy(resid, y, sizeof(double) * n);
	med = CrmMedianInPlace(resid, n);
	for (i = 0; i < n; i++)
		resid[i] = y[i] - seasonal[i] - med;

	nsteps = (int) floor(n * max_anomalies);
	nsteps = Max(nsteps, 1);
	nsteps = Min(nsteps, n - 3);
	steps = palloc0(sizeof(CrmEsdStep) * nsteps);
	nanom = CrmEsd(resid, n, nsteps, alpha, true, tail, steps, &ntested, "crm.detect_anomalies");

	is_anom = palloc0(sizeof(bool) * n);
	score = palloc0(sizeof(double) * n);
	for (i = 0; i < nanom; i++)
	{
		is_anom[steps[i].index] = true;
		score[steps[i].index] = steps[i].r;
	}
	for (i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false};

		if (!is_anom[i])
			continue;
		values[0] = TimestampTzGetDatum(in.pts[i].ts);
		values[1] = Float8GetDatum(y[i]);
		values[2] = Float8GetDatum(trend[i] + seasonal[i]);
		values[3] = Float8GetDatum(score[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * crm.stl(query, period, robust, seasonal_window): the STL decomposition of
 * a regular series (ts, value), with R's stl() defaults; seasonal_window
 * NULL is s.window = "periodic".
 */
Datum
stl_decompose(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	int32		period;
	bool		robust;
	AnomInput	in;
	CrmStlParams sp;
	double	   *y,
			   *seasonal,
			   *trend,
			   *weights;
	int			n,
				i;

	for (i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("query, period and robust of crm.stl must not be NULL"),
					 errhint("Pass a query returning (ts, value), the period and whether to use robustness weights.")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	period = PG_GETARG_INT32(1);
	robust = PG_GETARG_BOOL(2);
	if (period < 2 || period > CRM_ANOM_MAX_PERIOD)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be between 2 and %d", CRM_ANOM_MAX_PERIOD),
				 errdetail("Got %d.", period),
				 errhint("Pass the number of points in a season, for example 12 for monthly data.")));

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	AnomReadSeries(&in, query, period, "crm.stl");
	n = (int) in.n;
	CrmStlDefaults(&sp, n, period, robust);
	if (!PG_ARGISNULL(3))
	{
		int32		sw = PG_GETARG_INT32(3);

		if (sw < 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("seasonal_window must be at least 3"),
					 errdetail("Got %d.", sw),
					 errhint("Pass an odd number of cycles such as 7, or NULL for a periodic season.")));
		/* R: s.degree 0, s.jump and t.window follow s.window */
		sp.periodic = false;
		sp.s_window = sw;
		sp.t_window = StlNextOdd(ceil(1.5 * period / (1.0 - 1.5 / sw)));
		sp.s_jump = (int) ceil(sw / 10.0);
		sp.t_jump = (int) ceil(sp.t_window / 10.0);
	}
	y = CrmMemoryAlloc(CurrentMemoryContext, (Size) n * 4, sizeof(double), "crm.stl",
					   "The decomposition");
	seasonal = y + n;
	trend = seasonal + n;
	weights = trend + n;
	for (i = 0; i < n; i++)
		y[i] = in.pts[i].value;
	CrmStl(y, n, &sp, seasonal, trend, weights, "crm.stl");
	for (i = 0; i < n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = TimestampTzGetDatum(in.pts[i].ts);
		values[1] = Float8GetDatum(y[i]);
		values[2] = Float8GetDatum(seasonal[i]);
		values[3] = Float8GetDatum(trend[i]);
		values[4] = Float8GetDatum(y[i] - seasonal[i] - trend[i]);
		values[5] = Float8GetDatum(weights[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
