/*
 * deviation.c
 *		Deviation analysis: which points, and which customers, behave unlike
 *		the rest or unlike their own past.
 *
 * crm.gesd(query, max_outliers, alpha) is Rosner's generalized extreme
 * studentized deviate test (Rosner 1983, "Percentage points for a
 * generalized ESD many-outlier procedure", Technometrics 25(2); NIST/SEMATECH
 * e-Handbook 1.3.5.17.3): for i = 1..r remove the point farthest from the
 * mean of the points left, with
 *
 *		R_i      = max |x - mean| / s                        (s: sample sd)
 *		lambda_i = (n - i) t_{p, n-i-1} / sqrt((n - i - 1 + t^2) (n - i + 1)),
 *		p        = 1 - alpha / (2 (n - i + 1))
 *
 * and the number of outliers is the largest i with R_i > lambda_i, so that
 * an outlier masked by a larger one (R_1 <= lambda_1 < R_2 ...) still counts.
 * The same engine with the median and 1.4826 MAD in place of the mean and
 * sd is the hybrid ESD of crm.detect_anomalies (stl.c).
 *
 * The point farthest from any centre between the extremes is always the
 * smallest or the largest left, so the engine sorts once and removes from
 * the two ends of a shrinking range: the median is then read off the range,
 * the MAD is the median of two sorted sequences of distances (found by
 * binary search), and the mean and sd are downdated, recomputed exactly
 * when cancellation could cost digits.  Ties go to the point that comes
 * first in the input, as R's which(...)[1] does.
 *
 * crm.customer_deviation(query, period, as_of, history) sums each
 * customer's values per period ending at as_of and compares the last
 * complete period with the median and MAD of the history periods before it
 * through the modified z-score 0.6745 (x - median) / MAD (Iglewicz and
 * Hoaglin 1993).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "deviation.h"
#include "numerics.h"

/* Recompute the mean and sd exactly at least this often (steps). */
#define CRM_ESD_RECOMPUTE_EVERY	32
/* ... and whenever the sum of squares shrinks by more than this factor in one step. */
#define CRM_ESD_RECOMPUTE_DROP	1e-3
#define CRM_DEVIATION_MAX_HISTORY 10000

PG_FUNCTION_INFO_V1(gesd);
PG_FUNCTION_INFO_V1(customer_deviation);

/* A value and its position in the input. */
typedef struct EsdItem
{
	double		v;
	int64		idx;
} EsdItem;

static int
EsdItemCmp(const void *a, const void *b)
{
	const EsdItem *x = (const EsdItem *) a;
	const EsdItem *y = (const EsdItem *) b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx ? 1 : 0);
}

/* The remaining points: the sorted range p[lo..hi]. */
typedef struct EsdRange
{
	EsdItem    *p;
	int64		lo;
	int64		hi;
	/* run of equal values at the top, removed in input order */
	int64		run_start;
	int64		run_taken;
	bool		have_run;
	/* mean and sum of squared deviations of the range (classic test) */
	double		mean;
	double		m2;
} EsdRange;

/* Exact mean and sum of squares of the range (two passes). */
static void
EsdRecompute(EsdRange *r)
{
	double		sum = 0.0,
				m2 = 0.0;
	int64		i,
				m = r->hi - r->lo + 1;

	for (i = r->lo; i <= r->hi; i++)
		sum += r->p[i].v;
	r->mean = sum / m;
	for (i = r->lo; i <= r->hi; i++)
	{
		double		d = r->p[i].v - r->mean;

		m2 += d * d;
	}
	r->m2 = m2;
}

/* Distance of the j-th point left of the middle from the median (ascending in j). */
static inline double
EsdLeft(const EsdRange *r, int64 pl, double med, int64 j)
{
	return med - r->p[pl - j].v;
}

static inline double
EsdRight(const EsdRange *r, int64 pr, double med, int64 j)
{
	return r->p[pr + j].v - med;
}

/* The k-th smallest (0-based) distance from the median in the range. */
static double
EsdKthDistance(const EsdRange *r, double med, int64 k)
{
	int64		m = r->hi - r->lo + 1;
	int64		pl = r->lo + (m - 1) / 2;	/* lower middle: p[lo..pl] <= med */
	int64		pr = pl + 1;	/* p[pr..hi] >= med */
	int64		na = pl - r->lo + 1;
	int64		nb = r->hi - pr + 1;
	int64		ilo = Max(0, k + 1 - nb);
	int64		ihi = Min(k + 1, na);
	int64		i,
				j;
	double		a,
				b;

	while (ilo < ihi)
	{
		i = ilo + (ihi - ilo) / 2;
		j = k + 1 - i;
		if (EsdRight(r, pr, med, j - 1) > EsdLeft(r, pl, med, i))
			ilo = i + 1;
		else
			ihi = i;
	}
	i = ilo;
	j = k + 1 - i;
	a = i > 0 ? EsdLeft(r, pl, med, i - 1) : -INFINITY;
	b = j > 0 ? EsdRight(r, pr, med, j - 1) : -INFINITY;
	return Max(a, b);
}

/* Median and raw MAD of the range. */
static void
EsdMedianMad(const EsdRange *r, double *med, double *mad)
{
	int64		m = r->hi - r->lo + 1;
	const EsdItem *p = r->p + r->lo;

	if (m % 2 == 1)
		*med = p[m / 2].v;
	else
		*med = (p[m / 2 - 1].v + p[m / 2].v) / 2.0;
	if (m % 2 == 1)
		*mad = EsdKthDistance(r, *med, (m - 1) / 2);
	else
		*mad = (EsdKthDistance(r, *med, m / 2 - 1) + EsdKthDistance(r, *med, m / 2)) / 2.0;
}

/* Input position of the point the top end would remove next. */
static int64
EsdTopIndex(EsdRange *r)
{
	if (!r->have_run || r->p[r->hi].v != r->p[r->run_start].v || r->run_start + r->run_taken > r->hi)
	{
		int64		s = r->hi;

		while (s > r->lo && r->p[s - 1].v == r->p[r->hi].v)
			s--;
		r->run_start = s;
		r->run_taken = 0;
		r->have_run = true;
	}
	return r->p[r->run_start + r->run_taken].idx;
}

/* Generalized ESD; see deviation.h. */
int
CrmEsd(const double *values, int64 n, int nsteps, double alpha, bool robust,
	   int tail, CrmEsdStep *steps, int *ntested, const char *fn)
{
	EsdRange	r;
	int64		i;
	int			step;
	int			noutliers = 0;

	memset(&r, 0, sizeof(r));
	r.p = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(EsdItem), fn, "The sorted values");
	for (i = 0; i < n; i++)
	{
		r.p[i].v = values[i];
		r.p[i].idx = i;
	}
	qsort(r.p, n, sizeof(EsdItem), EsdItemCmp);
	r.lo = 0;
	r.hi = n - 1;
	if (!robust)
		EsdRecompute(&r);

	*ntested = 0;
	for (step = 1; step <= nsteps; step++)
	{
		int64		m = r.hi - r.lo + 1;	/* n - step + 1 */
		double		center,
					scale,
					low,
					high,
					dist,
					removed,
					q,
					t,
					df;
		bool		take_top;
		int64		top_idx;

		if ((step & 0xFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (robust)
		{
			double		mad;

			EsdMedianMad(&r, &center, &mad);
			scale = 1.4826 * mad;
		}
		else
		{
			center = r.mean;
			scale = sqrt(r.m2 / (m - 1));
		}
		if (!(scale > 0.0))
			break;				/* the points left are (mostly) equal: nothing stands out */

		low = center - r.p[r.lo].v;
		high = r.p[r.hi].v - center;
		top_idx = EsdTopIndex(&r);
		if (tail > 0)
			take_top = true;
		else if (tail < 0)
			take_top = false;
		else if (high != low)
			take_top = high > low;
		else
			take_top = top_idx < r.p[r.lo].idx;
		dist = take_top ? high : low;
		if (take_top)
		{
			steps[step - 1].index = top_idx;
			removed = r.p[r.hi].v;
			r.hi--;
			r.run_taken++;
		}
		else
		{
			steps[step - 1].index = r.p[r.lo].idx;
			removed = r.p[r.lo].v;
			r.lo++;
		}
		steps[step - 1].r = dist / scale;

		if (!robust && r.hi >= r.lo)
		{
			double		old_m2 = r.m2;
			double		mean_new = r.mean - (removed - r.mean) / (m - 1);

			r.m2 -= (removed - r.mean) * (removed - mean_new);
			r.mean = mean_new;
			if (step % CRM_ESD_RECOMPUTE_EVERY == 0 || !(r.m2 > old_m2 * CRM_ESD_RECOMPUTE_DROP))
				EsdRecompute(&r);
		}

		/* critical value */
		q = (tail == 0) ? alpha / (2.0 * (n - step + 1)) : alpha / (double) (n - step + 1);
		df = (double) (n - step - 1);
		t = CrmStudentTUpperQuantile(q, df);
		steps[step - 1].lambda = t * (n - step) / sqrt((df + t * t) * (n - step + 1));
		if (steps[step - 1].r > steps[step - 1].lambda)
			noutliers = step;
		*ntested = step;
	}
	pfree(r.p);
	return noutliers;
}

/* ---------- crm.gesd ---------- */

typedef struct GesdInput
{
	MemoryContext ctx;
	CrmCast		key_cast;
	CrmCast		value_cast;
	int64		n;
	int64		cap;
	double	   *values;
	Datum	   *keys;			/* text, or 0 for a NULL key */
} GesdInput;

/* A value from a query column as a finite float8. */
static inline double
CrmFiniteValue(CrmCast *cast, Datum d, const char *fn)
{
	double		v = DatumGetFloat8(CrmCastValue(cast, d));

	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the values passed to %s must be finite numbers", fn),
				 errdetail("Got %g.", v),
				 errhint("Filter out NaN and infinite values.")));
	return v;
}

/* One (key, value) row of crm.gesd's query. */
static void
GesdRow(TupleTableSlot *slot, void *arg)
{
	GesdInput  *in = (GesdInput *) arg;
	double		v;

	if (slot->tts_isnull[1])
		return;
	v = CrmFiniteValue(&in->value_cast, slot->tts_values[1], "crm.gesd");
	if (in->n == in->cap)
	{
		in->cap *= 2;
		in->values = CrmMemoryRealloc(in->values, in->cap, sizeof(double), "crm.gesd", "The values");
		in->keys = CrmMemoryRealloc(in->keys, in->cap, sizeof(Datum), "crm.gesd", "The keys");
		CrmMemoryCheckContext(in->ctx, 0, "crm.gesd", "The keys and values");
	}
	in->values[in->n] = v;
	if (slot->tts_isnull[0])
		in->keys[in->n] = (Datum) 0;
	else
	{
		Datum		k = CrmCastValue(&in->key_cast, slot->tts_values[0]);
		MemoryContext old = MemoryContextSwitchTo(in->ctx);

		in->keys[in->n] = PointerGetDatum(DatumGetTextPCopy(k));
		MemoryContextSwitchTo(old);
	}
	in->n++;
}

/* Check alpha, a significance level. */
static inline void
CrmCheckAlpha(double alpha)
{
	CrmCheckOpenUnit(alpha, "alpha", "Pass a significance level such as 0.05.");
}

static inline void
CrmRequireArg(FunctionCallInfo fcinfo, int argno, const char *name, const char *hint)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("%s", hint)));
}

/*
 * crm.gesd(query, max_outliers, alpha): one row per tested point, in removal
 * order, with R_i, lambda_i and whether it is one of the outliers.
 */
Datum
gesd(PG_FUNCTION_ARGS)
{
	static const Oid value_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	int32		max_outliers;
	double		alpha;
	CrmQuery	q;
	GesdInput	in;
	CrmEsdStep *steps;
	int			ntested,
				noutliers,
				i;

	CrmRequireArg(fcinfo, 0, "query", "Pass a SELECT returning (key, value).");
	CrmRequireArg(fcinfo, 1, "max_outliers", "Pass the largest number of outliers to test for, for example 10.");
	CrmRequireArg(fcinfo, 2, "alpha", "Pass a significance level such as 0.05.");
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	max_outliers = PG_GETARG_INT32(1);
	alpha = PG_GETARG_FLOAT8(2);
	CrmCheckAlpha(alpha);
	if (max_outliers < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_outliers must be at least 1"),
				 errdetail("Got %d.", max_outliers),
				 errhint("Pass the largest number of outliers to test for, for example 10.")));

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CrmQueryOpen(&q, query, 2, 2, "crm.gesd", "(key, value)");
	CrmCheckColumnType(q.desc, 2, "crm.gesd", "value", value_types, lengthof(value_types),
					   "a number (float8, numeric or integer)");
	memset(&in, 0, sizeof(in));
	in.ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.gesd input", ALLOCSET_DEFAULT_SIZES);
	in.cap = 1024;
	in.values = CrmMemoryAlloc(in.ctx, in.cap, sizeof(double), "crm.gesd", "The values");
	in.keys = CrmMemoryAlloc(in.ctx, in.cap, sizeof(Datum), "crm.gesd", "The keys");
	CrmCastInit(&in.key_cast, TupleDescAttr(q.desc, 0)->atttypid, TEXTOID, "crm.gesd", "1 (key)");
	CrmCastInit(&in.value_cast, TupleDescAttr(q.desc, 1)->atttypid, FLOAT8OID, "crm.gesd", "2 (value)");
	(void) CrmQueryForEachRow(&q, GesdRow, &in);
	CrmQueryClose(&q);

	if (in.n < 3 || max_outliers > in.n - 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_outliers must be at most the number of values minus 2"),
				 errdetail("Got max_outliers %d for " INT64_FORMAT " values.", max_outliers, in.n),
				 errhint("The test needs at least 3 values and leaves at least 2 after removing the outliers.")));

	steps = palloc0(sizeof(CrmEsdStep) * max_outliers);
	noutliers = CrmEsd(in.values, in.n, max_outliers, alpha, false, 0, steps, &ntested, "crm.gesd");
	for (i = 0; i < ntested; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};
		int64		idx = steps[i].index;

		values[0] = Int32GetDatum(i + 1);
		if (in.keys[idx] == (Datum) 0)
			nulls[1] = true;
		else
			values[1] = in.keys[idx];
		values[2] = Float8GetDatum(in.values[idx]);
		values[3] = Float8GetDatum(steps[i].r);
		values[4] = Float8GetDatum(steps[i].lambda);
		values[5] = BoolGetDatum(i < noutliers);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(in.ctx);
	SPI_finish();
	return (Datum) 0;
}

/* ---------- crm.customer_deviation ---------- */

typedef struct DevKey
{
	char	   *data;
	int			len;
} DevKey;

typedef struct DevCustomer
{
	DevKey		key;
	double	   *sums;			/* per period, 0 = the last complete one */
	int		   *rows;			/* rows per period */
} DevCustomer;

typedef struct DevInput
{
	MemoryContext ctx;
	HTAB	   *customers;
	CrmCast		customer_cast;
	CrmCast		ts_cast;
	CrmCast		value_cast;
	TimestampTz *bounds;		/* bounds[k] = as_of - k * period, k = 0..nperiods */
	int			nperiods;		/* history + 1 */
	int64		nchecked;
} DevInput;

static uint32
DevKeyHash(const void *key, Size keysize)
{
	const DevKey *k = (const DevKey *) key;

	(void) keysize;
	return hash_bytes((const unsigned char *) k->data, k->len);
}

static int
DevKeyMatch(const void *key1, const void *key2, Size keysize)
{
	const DevKey *a = (const DevKey *) key1;
	const DevKey *b = (const DevKey *) key2;

	(void) keysize;
	return (a->len == b->len && memcmp(a->data, b->data, a->len) == 0) ? 0 : 1;
}

/* The period (0 = last complete) of ts, or -1 when outside the window. */
static int
DevPeriodOf(const DevInput *in, TimestampTz ts)
{
	int			lo = 0,
				hi = in->nperiods - 1;

	if (ts >= in->bounds[0] || ts < in->bounds[in->nperiods])
		return -1;
	/* bounds decrease: find k with bounds[k + 1] <= ts < bounds[k] */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (ts >= in->bounds[mid + 1])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* One (customer, ts, value) row of crm.customer_deviation's query. */
static void
DevRow(TupleTableSlot *slot, void *arg)
{
	DevInput   *in = (DevInput *) arg;
	TimestampTz ts;
	double		v;
	int			k;
	text	   *ct;
	DevKey		key;
	DevCustomer *c;
	bool		found;

	if (slot->tts_isnull[0] || slot->tts_isnull[1] || slot->tts_isnull[2])
		return;
	ts = DatumGetTimestampTz(CrmCastValue(&in->ts_cast, slot->tts_values[1]));
	k = DevPeriodOf(in, ts);
	if (k < 0)
		return;
	v = CrmFiniteValue(&in->value_cast, slot->tts_values[2], "crm.customer_deviation");
	ct = DatumGetTextPP(CrmCastValue(&in->customer_cast, slot->tts_values[0]));
	key.data = VARDATA_ANY(ct);
	key.len = VARSIZE_ANY_EXHDR(ct);
	c = (DevCustomer *) hash_search(in->customers, &key, HASH_ENTER, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(in->ctx);

		c->key.data = palloc(Max(key.len, 1));
		memcpy(c->key.data, key.data, key.len);
		c->key.len = key.len;
		c->sums = palloc0(sizeof(double) * in->nperiods);
		c->rows = palloc0(sizeof(int) * in->nperiods);
		MemoryContextSwitchTo(old);
		if (hash_get_num_entries(in->customers) >= in->nchecked * 2 + 1024)
		{
			in->nchecked = hash_get_num_entries(in->customers);
			CrmMemoryCheckContext(in->ctx, 0, "crm.customer_deviation", "The table of customers");
		}
	}
	c->sums[k] += v;
	c->rows[k]++;
}

/* Customers in key order (bytes, as COLLATE "C"). */
static int
DevCustomerCmp(const void *a, const void *b)
{
	const DevCustomer *x = *(DevCustomer *const *) a;
	const DevCustomer *y = *(DevCustomer *const *) b;
	int			c = memcmp(x->key.data, y->key.data, Min(x->key.len, y->key.len));

	if (c != 0)
		return c;
	return (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

/*
 * crm.customer_deviation(query, period, as_of, history): per customer with
 * a row in the last history + 1 periods before as_of, the value of the last
 * complete period, the median and MAD of the history periods before it
 * (periods without rows count as 0) and the modified z-score.
 */
Datum
customer_deviation(PG_FUNCTION_ARGS)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID};
	static const Oid value_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	Interval   *period;
	TimestampTz as_of;
	int32		history;
	CrmQuery	q;
	DevInput	in;
	DevCustomer **list;
	double	   *scratch;
	int64		n = 0,
				i;
	int			k;

	CrmRequireArg(fcinfo, 0, "query", "Pass a SELECT returning (customer, ts, value).");
	CrmRequireArg(fcinfo, 1, "period", "Pass the length of a period, for example interval '1 month'.");
	CrmRequireArg(fcinfo, 2, "as_of", "Pass the end of the last complete period, for example date_trunc('month', now()).");
	CrmRequireArg(fcinfo, 3, "history", "Pass the number of past periods that make a customer's normal, for example 6.");
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	period = PG_GETARG_INTERVAL_P(1);
	as_of = PG_GETARG_TIMESTAMPTZ(2);
	history = PG_GETARG_INT32(3);
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp"),
				 errhint("Pass the end of the last complete period, for example date_trunc('month', now()).")));
	if (history < 2 || history > CRM_DEVIATION_MAX_HISTORY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("history must be between 2 and %d", CRM_DEVIATION_MAX_HISTORY),
				 errdetail("Got %d.", history),
				 errhint("A customer's normal is the median of this many past periods; 6 is usual.")));

	memset(&in, 0, sizeof(in));
	in.nperiods = history + 1;
	in.bounds = palloc(sizeof(TimestampTz) * (in.nperiods + 1));
	for (k = 0; k <= in.nperiods; k++)
	{
		in.bounds[k] = CrmSeriesTime(as_of, period, -k);
		if (k > 0 && !(in.bounds[k] < in.bounds[k - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period must be a positive interval"),
					 errdetail("Got %s.", CrmIntervalText(period)),
					 errhint("Pass the length of a period, for example interval '1 month' or '7 days'.")));
	}

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CrmQueryOpen(&q, query, 3, 3, "crm.customer_deviation", "(customer, ts, value)");
	CrmCheckColumnType(q.desc, 2, "crm.customer_deviation", "ts", ts_types, lengthof(ts_types),
					   "timestamptz");
	CrmCheckColumnType(q.desc, 3, "crm.customer_deviation", "value", value_types,
					   lengthof(value_types), "a number (float8, numeric or integer)");
	in.ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.customer_deviation customers",
								   ALLOCSET_DEFAULT_SIZES);
	CrmCastInit(&in.customer_cast, TupleDescAttr(q.desc, 0)->atttypid, TEXTOID,
				"crm.customer_deviation", "1 (customer)");
	CrmCastInit(&in.ts_cast, TupleDescAttr(q.desc, 1)->atttypid, TIMESTAMPTZOID,
				"crm.customer_deviation", "2 (ts)");
	CrmCastInit(&in.value_cast, TupleDescAttr(q.desc, 2)->atttypid, FLOAT8OID,
				"crm.customer_deviation", "3 (value)");
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(DevKey);
		ctl.entrysize = sizeof(DevCustomer);
		ctl.hash = DevKeyHash;
		ctl.match = DevKeyMatch;
		ctl.hcxt = in.ctx;
		in.customers = hash_create("crm.customer_deviation customers", 1024, &ctl,
								   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	}
	(void) CrmQueryForEachRow(&q, DevRow, &in);
	CrmQueryClose(&q);

	list = CrmMemoryAlloc(in.ctx, hash_get_num_entries(in.customers), sizeof(DevCustomer *),
						  "crm.customer_deviation", "The list of customers");
	{
		HASH_SEQ_STATUS seq;
		DevCustomer *c;

		hash_seq_init(&seq, in.customers);
		while ((c = (DevCustomer *) hash_seq_search(&seq)) != NULL)
			list[n++] = c;
	}
	qsort(list, n, sizeof(DevCustomer *), DevCustomerCmp);
	scratch = palloc(sizeof(double) * history);
	for (i = 0; i < n; i++)
	{
		DevCustomer *c = list[i];
		Datum		values[7];
		bool		nulls[7] = {false};
		double		med,
					mad,
					d;
		int			active = 0;

		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (k = 0; k < history; k++)
		{
			scratch[k] = c->sums[k + 1];
			active += c->rows[k + 1] > 0;
		}
		med = CrmMedianInPlace(scratch, history);
		for (k = 0; k < history; k++)
			scratch[k] = fabs(c->sums[k + 1] - med);
		mad = CrmMedianInPlace(scratch, history);
		d = c->sums[0] - med;
		values[0] = PointerGetDatum(cstring_to_text_with_len(c->key.data, c->key.len));
		values[1] = Float8GetDatum(c->sums[0]);
		values[2] = Float8GetDatum(med);
		values[3] = Float8GetDatum(mad);
		if (mad > 0.0)
			values[4] = Float8GetDatum(0.6745 * d / mad);
		else
			values[4] = Float8GetDatum(d == 0.0 ? 0.0 : (d > 0.0 ? INFINITY : -INFINITY));
		values[5] = Int32GetDatum(active);
		values[6] = Int32GetDatum(c->rows[0]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(in.ctx);
	SPI_finish();
	return (Datum) 0;
}
