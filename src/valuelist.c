/*
 * valuelist.c
 *		Aggregates that need every value of their group: the median absolute
 *		deviation (crm.median_abs_deviation), the Gini coefficient (crm.gini)
 *		and the share of the top rows (crm.top_share).
 *
 * They share one state: the list of the group's values (float8), grown by
 * doubling within crm_analytics.max_memory.  Parallel workers build partial
 * lists that the combine function concatenates; the serialized form is the
 * list itself, so a state is bounded by the 1 GB limit of a bytea (about
 * 134 million values per worker).  Final functions work on a copy: a
 * running window aggregate calls them again on the same state.
 *
 *		MAD		= median(|x_i - median(x)|)            (raw, as R's mad(x, constant = 1))
 *		Gini	= (2 sum_i i x_(i) / sum x - (n + 1)) / n  (x sorted ascending; ineq::Gini)
 *		Gini*	= Gini * n / (n - 1)                   (unbiased = true)
 *		top		= sum of the ceil(f n) largest / sum x
 *
 * Medians and the top rows come from selection (Hoare's FIND with a
 * three-way partition, linear on average, also with many ties); the Gini
 * coefficient needs the whole order and uses an LSD radix sort on the bit
 * patterns of the non-negative values.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "crm_analytics.h"
#include "deviation.h"

#define CRM_VALUES_FORMAT		1
#define CRM_VALUES_INITIAL		16
/* The most values one serialized state holds: its bytea must stay below 1 GB. */
#define CRM_VALUES_MAX_SERIAL	((int64) ((MaxAllocSize - 64) / sizeof(double)))

/* Aggregate state: the group's values, and the argument fixed for the group. */
typedef struct CrmValueList
{
	int64		n;
	int64		cap;
	double	   *values;
	bool		has_param;		/* top_share's fraction or gini's flag was given */
	double		param;
} CrmValueList;

PG_FUNCTION_INFO_V1(value_list_transfn);
PG_FUNCTION_INFO_V1(value_list_param_transfn);
PG_FUNCTION_INFO_V1(value_list_flag_transfn);
PG_FUNCTION_INFO_V1(value_list_combinefn);
PG_FUNCTION_INFO_V1(value_list_serialfn);
PG_FUNCTION_INFO_V1(value_list_deserialfn);
PG_FUNCTION_INFO_V1(median_abs_deviation_finalfn);
PG_FUNCTION_INFO_V1(gini_finalfn);
PG_FUNCTION_INFO_V1(top_share_finalfn);
PG_FUNCTION_INFO_V1(robust_zscore);

/* A new empty list in the aggregate context. */
static CrmValueList *
ValueListCreate(MemoryContext aggctx, Size cap)
{
	CrmValueList *vl = MemoryContextAllocZero(aggctx, sizeof(CrmValueList));

	vl->cap = Max(cap, CRM_VALUES_INITIAL);
	vl->values = CrmMemoryAlloc(aggctx, vl->cap, sizeof(double),
								"crm_analytics aggregate", "The list of values");
	return vl;
}

/* Room for extra more values (doubling, within the memory budget). */
static void
ValueListReserve(CrmValueList *vl, int64 extra)
{
	int64		need = vl->n + extra;

	if (need <= vl->cap)
		return;
	while (vl->cap < need)
		vl->cap *= 2;
	vl->values = CrmMemoryRealloc(vl->values, vl->cap, sizeof(double),
								  "crm_analytics aggregate", "The list of values");
}

/* Common part of the transition functions. */
static CrmValueList *
ValueListAccum(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, fn);
	CrmValueList *vl = PG_ARGISNULL(0) ? NULL : (CrmValueList *) PG_GETARG_POINTER(0);

	if (vl == NULL)
		vl = ValueListCreate(aggctx, CRM_VALUES_INITIAL);
	if (!PG_ARGISNULL(1))
	{
		double		v = PG_GETARG_FLOAT8(1);

		if (isnan(v) || isinf(v))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value must be a finite number"),
					 errdetail("Got %g.", v),
					 errhint("Filter out NaN and infinite values.")));
		if (vl->n == vl->cap)
			ValueListReserve(vl, 1);
		vl->values[vl->n++] = v;
	}
	return vl;
}

/* Fix the group's argument on its first row; later rows must repeat it. */
static void
ValueListSetParam(CrmValueList *vl, double param, const char *name)
{
	if (!vl->has_param)
	{
		vl->has_param = true;
		vl->param = param;
	}
	else if (vl->param != param)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be the same for every row of a group", name),
				 errdetail("Got %g and %g.", vl->param, param)));
}

/* Transition function of crm.median_abs_deviation(value) and crm.gini(value). */
Datum
value_list_transfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ValueListAccum(fcinfo, "value_list_transfn"));
}

/* Transition function of crm.top_share(value, fraction). */
Datum
value_list_param_transfn(PG_FUNCTION_ARGS)
{
	CrmValueList *vl = ValueListAccum(fcinfo, "value_list_param_transfn");
	double		fraction;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("fraction must not be NULL"),
				 errhint("Pass the share of rows at the top, for example 0.2 for the top 20 %%.")));
	fraction = PG_GETARG_FLOAT8(2);
	if (!(fraction > 0.0 && fraction <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fraction must be greater than 0 and at most 1"),
				 errdetail("Got %g.", fraction),
				 errhint("Pass the share of rows at the top, for example 0.2 for the top 20 %%.")));
	ValueListSetParam(vl, fraction, "fraction");
	PG_RETURN_POINTER(vl);
}

/* Transition function of crm.gini(value, unbiased). */
Datum
value_list_flag_transfn(PG_FUNCTION_ARGS)
{
	CrmValueList *vl = ValueListAccum(fcinfo, "value_list_flag_transfn");

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("unbiased must not be NULL"),
				 errhint("Pass true for the n/(n-1) corrected Gini coefficient, false for the plain one.")));
	ValueListSetParam(vl, PG_GETARG_BOOL(2) ? 1.0 : 0.0, "unbiased");
	PG_RETURN_POINTER(vl);
}

/* Merge two partial lists (parallel workers). */
Datum
value_list_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "value_list_combinefn");
	CrmValueList *s1 = PG_ARGISNULL(0) ? NULL : (CrmValueList *) PG_GETARG_POINTER(0);
	CrmValueList *s2 = PG_ARGISNULL(1) ? NULL : (CrmValueList *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = ValueListCreate(aggctx, s2->n);
	if (s2->has_param)
		ValueListSetParam(s1, s2->param, "the argument of the aggregate");
	ValueListReserve(s1, s2->n);
	memcpy(s1->values + s1->n, s2->values, s2->n * sizeof(double));
	s1->n += s2->n;
	PG_RETURN_POINTER(s1);
}

/* Serialize a list for transfer between processes. */
Datum
value_list_serialfn(PG_FUNCTION_ARGS)
{
	CrmValueList *vl = (CrmValueList *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	(void) CrmAggContext(fcinfo, "value_list_serialfn");
	if (vl->n > CRM_VALUES_MAX_SERIAL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many values in one partial aggregate to pass between processes"),
				 errdetail("A worker holds " INT64_FORMAT " values; at most " INT64_FORMAT " fit.",
						   vl->n, CRM_VALUES_MAX_SERIAL),
				 errhint("Run the query without parallelism (SET max_parallel_workers_per_gather = 0).")));
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, (int) (vl->n * sizeof(double) + 32));
	pq_sendbyte(&buf, CRM_VALUES_FORMAT);
	pq_sendbyte(&buf, vl->has_param ? 1 : 0);
	pq_sendfloat8(&buf, vl->param);
	pq_sendint64(&buf, vl->n);
	for (i = 0; i < vl->n; i++)
		pq_sendfloat8(&buf, vl->values[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a list from its serialized form, validating every field. */
Datum
value_list_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "value_list_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	CrmValueList *vl;
	int			format,
				has_param;
	double		param;
	int64		n,
				i;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != CRM_VALUES_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported value list state format %d", format)));
	has_param = pq_getmsgbyte(&buf);
	param = pq_getmsgfloat8(&buf);
	n = pq_getmsgint64(&buf);
	if ((has_param != 0 && has_param != 1) || n < 0 ||
		n != (int64) ((buf.len - buf.cursor) / sizeof(double)) ||
		(buf.len - buf.cursor) % sizeof(double) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid value list state")));
	vl = ValueListCreate(aggctx, n);
	vl->has_param = has_param;
	vl->param = param;
	for (i = 0; i < n; i++)
	{
		double		v = pq_getmsgfloat8(&buf);

		if (isnan(v) || isinf(v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid value list state")));
		vl->values[i] = v;
	}
	vl->n = n;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(vl);
}

/* ---------- selection ---------- */

/* Median of three values. */
static inline double
CrmMedian3(double a, double b, double c)
{
	if (a < b)
		return (b < c) ? b : (a < c ? c : a);
	return (a < c) ? a : (b < c ? c : b);
}

/*
 * The k-th smallest of x[0..n-1] (0-based).  On return x[0..k-1] <= x[k] <=
 * x[k+1..n-1].  Three-way partitioning keeps runs of equal values linear.
 */
double
CrmSelectKth(double *x, int64 n, int64 k)
{
	int64		lo = 0,
				hi = n - 1;
	int64		rounds = 0;

	Assert(k >= 0 && k < n);
	while (lo < hi)
	{
		double		pivot = CrmMedian3(x[lo], x[lo + (hi - lo) / 2], x[hi]);
		int64		lt = lo,
					i = lo,
					gt = hi;

		if ((++rounds & 0xF) == 0)
			CHECK_FOR_INTERRUPTS();
		/* x[lo..lt-1] < pivot, x[lt..i-1] == pivot, x[gt+1..hi] > pivot */
		while (i <= gt)
		{
			double		v = x[i];

			if (v < pivot)
			{
				x[i++] = x[lt];
				x[lt++] = v;
			}
			else if (v > pivot)
			{
				x[i] = x[gt];
				x[gt--] = v;
			}
			else
				i++;
		}
		if (k < lt)
			hi = lt - 1;
		else if (k > gt)
			lo = gt + 1;
		else
			return pivot;
	}
	return x[k];
}

/* Median as R's median(): the mean of the two middle values when n is even. */
double
CrmMedianInPlace(double *x, int64 n)
{
	double		upper;
	int64		i;

	Assert(n > 0);
	upper = CrmSelectKth(x, n, n / 2);
	if (n % 2 == 1)
		return upper;
	{
		/* the largest value left of the upper middle is the lower middle */
		double		lower = x[0];

		for (i = 1; i < n / 2; i++)
			if (x[i] > lower)
				lower = x[i];
		return lower + (upper - lower) / 2.0;
	}
}

/* A scratch copy of the state's values (the final function may not reorder the state). */
static double *
ValueListCopy(const CrmValueList *vl, const char *fn)
{
	double	   *x = CrmMemoryAlloc(CurrentMemoryContext, vl->n, sizeof(double), fn,
								   "A working copy of the values");

	memcpy(x, vl->values, vl->n * sizeof(double));
	return x;
}

/* Final function of crm.median_abs_deviation: median(|x - median(x)|). */
Datum
median_abs_deviation_finalfn(PG_FUNCTION_ARGS)
{
	CrmValueList *vl;
	double	   *x;
	double		med;
	int64		i;

	(void) CrmAggContext(fcinfo, "median_abs_deviation_finalfn");
	vl = PG_ARGISNULL(0) ? NULL : (CrmValueList *) PG_GETARG_POINTER(0);
	if (vl == NULL || vl->n == 0)
		PG_RETURN_NULL();
	x = ValueListCopy(vl, "crm.median_abs_deviation");
	med = CrmMedianInPlace(x, vl->n);
	for (i = 0; i < vl->n; i++)
		x[i] = fabs(x[i] - med);
	PG_RETURN_FLOAT8(CrmMedianInPlace(x, vl->n));
}

/* Refuse negative values (concentration of amounts that can be negative is undefined). */
static void
ValueListCheckNonNegative(const CrmValueList *vl, const char *fn)
{
	int64		i;

	for (i = 0; i < vl->n; i++)
		if (vl->values[i] < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is defined for non-negative values only", fn),
					 errdetail("Got %g.", vl->values[i]),
					 errhint("Net refunds per customer first, or leave out negative amounts "
							 "(for example FILTER (WHERE amount >= 0)).")));
}

/*
 * Sort non-negative doubles ascending: LSD radix sort on their bit patterns
 * (monotone for non-negative IEEE doubles), byte by byte, skipping the bytes
 * where all values agree.
 */
static void
CrmRadixSortNonNegative(double *x, int64 n, const char *fn)
{
	uint64	   *a = (uint64 *) x;
	uint64	   *b;
	int64		counts[8][256];
	int64		i;
	int			pass;
	bool		in_b = false;

	if (n < 2)
		return;
	b = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(uint64), fn, "A sort buffer");
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < n; i++)
	{
		uint64		k;

		x[i] += 0.0;			/* -0.0 becomes +0.0 */
		k = a[i];
		counts[0][k & 0xFF]++;
		counts[1][(k >> 8) & 0xFF]++;
		counts[2][(k >> 16) & 0xFF]++;
		counts[3][(k >> 24) & 0xFF]++;
		counts[4][(k >> 32) & 0xFF]++;
		counts[5][(k >> 40) & 0xFF]++;
		counts[6][(k >> 48) & 0xFF]++;
		counts[7][(k >> 56) & 0xFF]++;
	}
	for (pass = 0; pass < 8; pass++)
	{
		uint64	   *src = in_b ? b : a;
		uint64	   *dst = in_b ? a : b;
		int64		pos = 0;
		int			shift = pass * 8;
		int			d;

		CHECK_FOR_INTERRUPTS();
		if (counts[pass][(src[0] >> shift) & 0xFF] == n)
			continue;			/* every value has the same byte here */
		for (d = 0; d < 256; d++)
		{
			int64		c = counts[pass][d];

			counts[pass][d] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			dst[counts[pass][(src[i] >> shift) & 0xFF]++] = src[i];
		in_b = !in_b;
	}
	if (in_b)
		memcpy(a, b, n * sizeof(uint64));
	pfree(b);
}

/*
 * Final function of crm.gini: (2 sum i x_(i) / sum x - (n + 1)) / n, times
 * n / (n - 1) when unbiased.  NULL for no rows, a total of 0, and the
 * unbiased coefficient of one value.
 */
Datum
gini_finalfn(PG_FUNCTION_ARGS)
{
	CrmValueList *vl;
	double	   *x;
	CrmFloatSum total = {0},
				weighted = {0};
	double		g;
	int64		i;
	bool		unbiased;

	(void) CrmAggContext(fcinfo, "gini_finalfn");
	vl = PG_ARGISNULL(0) ? NULL : (CrmValueList *) PG_GETARG_POINTER(0);
	if (vl == NULL || vl->n == 0)
		PG_RETURN_NULL();
	unbiased = vl->has_param && vl->param != 0.0;
	ValueListCheckNonNegative(vl, "crm.gini");
	if (unbiased && vl->n < 2)
		PG_RETURN_NULL();
	x = ValueListCopy(vl, "crm.gini");
	CrmRadixSortNonNegative(x, vl->n, "crm.gini");
	/* sum (2i - n - 1) x_(i) with i from 1: centred weights keep the sum small */
	for (i = 0; i < vl->n; i++)
	{
		CrmFloatSumAdd(&total, x[i]);
		CrmFloatSumAdd(&weighted, (2.0 * (i + 1) - (double) vl->n - 1.0) * x[i]);
	}
	if (CrmFloatSumResult(&total) <= 0.0)
		PG_RETURN_NULL();
	g = CrmFloatSumResult(&weighted) / CrmFloatSumResult(&total);
	g /= unbiased ? (double) (vl->n - 1) : (double) vl->n;
	PG_RETURN_FLOAT8(g);
}

/* The number of top rows for a fraction: ceil(fraction n), near-whole products rounded. */
static int64
TopShareCount(double fraction, int64 n)
{
	double		prod = fraction * (double) n;
	double		r = round(prod);
	int64		k;

	if (fabs(prod - r) <= 1e-9 * Max(1.0, prod))
		k = (int64) r;
	else
		k = (int64) ceil(prod);
	return Min(Max(k, 1), n);
}

/* Final function of crm.top_share: the share of the total held by the top rows. */
Datum
top_share_finalfn(PG_FUNCTION_ARGS)
{
	CrmValueList *vl;
	double	   *x;
	CrmFloatSum total = {0},
				top = {0};
	int64		k,
				i;

	(void) CrmAggContext(fcinfo, "top_share_finalfn");
	vl = PG_ARGISNULL(0) ? NULL : (CrmValueList *) PG_GETARG_POINTER(0);
	if (vl == NULL || vl->n == 0)
		PG_RETURN_NULL();
	ValueListCheckNonNegative(vl, "crm.top_share");
	for (i = 0; i < vl->n; i++)
		CrmFloatSumAdd(&total, vl->values[i]);
	if (CrmFloatSumResult(&total) <= 0.0)
		PG_RETURN_NULL();
	k = TopShareCount(vl->param, vl->n);
	x = ValueListCopy(vl, "crm.top_share");
	if (k < vl->n)
		(void) CrmSelectKth(x, vl->n, vl->n - k);
	for (i = vl->n - k; i < vl->n; i++)
		CrmFloatSumAdd(&top, x[i]);
	PG_RETURN_FLOAT8(CrmFloatSumResult(&top) / CrmFloatSumResult(&total));
}

/*
 * crm.robust_zscore(value, median, mad): Iglewicz and Hoaglin's modified
 * z-score 0.6745 (value - median) / mad.  With mad = 0 it is 0 for the
 * median itself and +-Infinity for any other value.
 */
Datum
robust_zscore(PG_FUNCTION_ARGS)
{
	double		x = PG_GETARG_FLOAT8(0);
	double		med = PG_GETARG_FLOAT8(1);
	double		mad = PG_GETARG_FLOAT8(2);
	double		d;

	if (isnan(x) || isnan(med) || isinf(med))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value and median must be numbers"),
				 errdetail("Got value %g and median %g.", x, med)));
	if (!(mad >= 0.0) || isinf(mad))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mad must be a finite number of at least 0"),
				 errdetail("Got %g.", mad),
				 errhint("Pass the median absolute deviation, for example from crm.median_abs_deviation(value).")));
	d = x - med;
	if (mad == 0.0)
		PG_RETURN_FLOAT8(d == 0.0 ? 0.0 : (d > 0.0 ? INFINITY : -INFINITY));
	PG_RETURN_FLOAT8(0.6745 * d / mad);
}
