/*
 * rfm.c
 *		RFM analysis: recency, frequency and monetary value per customer.
 *
 * crm.rfm_summary(ordered_at, amount, as_of) is a parallel aggregate: its
 * state (order count, first and last order, exact amount sum) merges across
 * workers.  crm.rfm_scores(query, as_of, bins) groups a caller's order query
 * with that aggregate and turns each measure into quantile scores 1..bins
 * (bins = best) that give tied values the same score:
 *
 *		score = 1 + floor(bins * W / N)
 *
 * where N is the number of customers and W the number of customers with a
 * strictly worse value (larger recency, fewer orders, lower spend).  Without
 * ties this splits customers into bins of equal size like ntile(); with ties
 * every customer of a tied group gets the score of the group's lowest rank,
 * so the many customers who bought once all get F = 1.
 *
 * Segments follow the widely used 11-segment naming of RFM practice
 * (Champions ... Lost); crm.rfm_segment documents the exact rule.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"

#define RFM_STATE_FORMAT	1
#define RFM_MIN_BINS		2
#define RFM_MAX_BINS		100

typedef enum RfmAmountKind
{
	RFM_NUMERIC = 'n',
	RFM_FLOAT8 = 'f'
} RfmAmountKind;

/* Aggregate state of crm.rfm_summary. */
typedef struct RfmState
{
	char		kind;			/* RfmAmountKind */
	TimestampTz as_of;			/* snapshot time; orders after it are skipped */
	int64		count;			/* orders counted */
	TimestampTz first;			/* earliest order counted */
	TimestampTz last;			/* latest order counted */
	CrmNumericSum nsum;			/* sum of numeric amounts */
	CrmFloatSum fsum;			/* sum of float8 amounts */
} RfmState;

PG_FUNCTION_INFO_V1(rfm_summary_transfn);
PG_FUNCTION_INFO_V1(rfm_summary_float8_transfn);
PG_FUNCTION_INFO_V1(rfm_summary_combinefn);
PG_FUNCTION_INFO_V1(rfm_summary_serialfn);
PG_FUNCTION_INFO_V1(rfm_summary_deserialfn);
PG_FUNCTION_INFO_V1(rfm_summary_finalfn);
PG_FUNCTION_INFO_V1(rfm_scores);
PG_FUNCTION_INFO_V1(rfm_segment);

pg_noreturn static void RfmInfiniteOrder(TimestampTz ts);

/* "Got a and b." for two timestamps (timestamptz_to_str reuses one buffer). */
static char *
RfmTwoTimes(TimestampTz a, TimestampTz b)
{
	char	   *first = pstrdup(timestamptz_to_str(a));

	return psprintf("Got %s and %s.", first, timestamptz_to_str(b));
}

static inline void
RfmCheckAsOf(TimestampTz as_of)
{
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp"),
				 errhint("Pass the date of the snapshot, for example now().")));
}

static RfmState *
RfmStateCreate(MemoryContext aggctx, char kind, TimestampTz as_of)
{
	RfmState   *state = MemoryContextAllocZero(aggctx, sizeof(RfmState));

	state->kind = kind;
	state->as_of = as_of;
	state->first = DT_NOEND;
	state->last = DT_NOBEGIN;
	CrmNumericSumInit(&state->nsum);
	return state;
}

/* An order time must be finite. */
static void
RfmInfiniteOrder(TimestampTz ts)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("ordered_at must be a finite timestamp"),
			 errdetail("Got %s.", timestamptz_to_str(ts)),
			 errhint("Filter out rows with infinite order times.")));
}

/*
 * Count an order at ts in the state; false when it is after as_of (skipped).
 */
static bool
RfmCountOrder(RfmState *state, TimestampTz ts)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		RfmInfiniteOrder(ts);
	if (ts > state->as_of)
		return false;

	state->count++;
	if (ts < state->first)
		state->first = ts;
	if (ts > state->last)
		state->last = ts;
	return true;
}

/*
 * Common part of the transition functions: check the row, create the state
 * on the first row and count the order.  Returns false when the row is
 * skipped (NULL timestamp or amount, or an order after as_of).
 */
static bool
RfmAccumulate(FunctionCallInfo fcinfo, MemoryContext aggctx, char kind, RfmState **statep)
{
	RfmState   *state = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	TimestampTz as_of;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be NULL"),
				 errhint("Pass the date of the snapshot, for example now().")));
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	if (state == NULL)
	{
		RfmCheckAsOf(as_of);
		state = RfmStateCreate(aggctx, kind, as_of);
	}
	else if (state->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group"),
				 errdetail("%s", RfmTwoTimes(state->as_of, as_of))));
	*statep = state;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return false;
	return RfmCountOrder(state, PG_GETARG_TIMESTAMPTZ(1));
}

/* Transition function of crm.rfm_summary for numeric amounts. */
Datum
rfm_summary_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "rfm_summary_transfn");
	RfmState   *state;

	if (RfmAccumulate(fcinfo, aggctx, RFM_NUMERIC, &state))
		CrmNumericSumAdd(&state->nsum, PG_GETARG_DATUM(2), aggctx);
	PG_RETURN_POINTER(state);
}

/* Transition function of crm.rfm_summary for float8 amounts. */
Datum
rfm_summary_float8_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "rfm_summary_float8_transfn");
	RfmState   *state;

	if (RfmAccumulate(fcinfo, aggctx, RFM_FLOAT8, &state))
	{
		float8		amount = PG_GETARG_FLOAT8(2);

		CrmCheckFiniteAmount(amount);
		CrmFloatSumAdd(&state->fsum, amount);
	}
	PG_RETURN_POINTER(state);
}

/* Merge two partial states (parallel workers, partitions). */
Datum
rfm_summary_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "rfm_summary_combinefn");
	RfmState   *s1 = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	RfmState   *s2 = PG_ARGISNULL(1) ? NULL : (RfmState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = RfmStateCreate(aggctx, s2->kind, s2->as_of);
		s1->count = s2->count;
		s1->first = s2->first;
		s1->last = s2->last;
		s1->fsum = s2->fsum;
		CrmNumericSumCombine(&s1->nsum, &s2->nsum, aggctx);
		PG_RETURN_POINTER(s1);
	}
	if (s1->kind != s2->kind)
		elog(ERROR, "cannot combine rfm_summary states of different amount types");
	if (s1->as_of != s2->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group"),
				 errdetail("%s", RfmTwoTimes(s1->as_of, s2->as_of))));
	s1->count += s2->count;
	if (s2->first < s1->first)
		s1->first = s2->first;
	if (s2->last > s1->last)
		s1->last = s2->last;
	CrmNumericSumCombine(&s1->nsum, &s2->nsum, aggctx);
	CrmFloatSumAdd(&s1->fsum, s2->fsum.sum);
	CrmFloatSumAdd(&s1->fsum, s2->fsum.comp);
	PG_RETURN_POINTER(s1);
}

/* Serialize a state for transfer between processes. */
Datum
rfm_summary_serialfn(PG_FUNCTION_ARGS)
{
	RfmState   *state = (RfmState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) CrmAggContext(fcinfo, "rfm_summary_serialfn");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, RFM_STATE_FORMAT);
	pq_sendbyte(&buf, state->kind);
	pq_sendint64(&buf, state->as_of);
	pq_sendint64(&buf, state->count);
	pq_sendint64(&buf, state->first);
	pq_sendint64(&buf, state->last);
	if (state->kind == RFM_NUMERIC)
		CrmNumericSumSerialize(&buf, &state->nsum);
	else
	{
		pq_sendfloat8(&buf, state->fsum.sum);
		pq_sendfloat8(&buf, state->fsum.comp);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state from its serialized form, validating every field. */
Datum
rfm_summary_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "rfm_summary_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	RfmState   *state;
	int			format;
	int			kind;
	TimestampTz as_of;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != RFM_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rfm_summary state format %d", format)));
	kind = pq_getmsgbyte(&buf);
	if (kind != RFM_NUMERIC && kind != RFM_FLOAT8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid amount kind %d in rfm_summary state", kind)));
	as_of = pq_getmsgint64(&buf);
	state = RfmStateCreate(aggctx, kind, as_of);
	state->count = pq_getmsgint64(&buf);
	state->first = pq_getmsgint64(&buf);
	state->last = pq_getmsgint64(&buf);
	if (state->count < 0 || (state->count > 0 && state->first > state->last))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid rfm_summary state")));
	if (kind == RFM_NUMERIC)
		CrmNumericSumDeserialize(&buf, &state->nsum, aggctx);
	else
	{
		state->fsum.sum = pq_getmsgfloat8(&buf);
		state->fsum.comp = pq_getmsgfloat8(&buf);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* Whole days from t to as_of (t <= as_of). */
static inline int32
RfmDays(TimestampTz t, TimestampTz as_of)
{
	return (int32) ((as_of - t) / USECS_PER_DAY);
}

/* The amount sum of a state as numeric (float8 sums converted). */
static Numeric
RfmMonetary(const RfmState *state)
{
	if (state->kind == RFM_NUMERIC)
		return CrmNumericSumResult(&state->nsum);
	return DatumGetNumeric(DirectFunctionCall1(float8_numeric,
											   Float8GetDatum(CrmFloatSumResult(&state->fsum))));
}

/* Build the crm.rfm_summary composite; NULL when no order was counted. */
Datum
rfm_summary_finalfn(PG_FUNCTION_ARGS)
{
	RfmState   *state;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false};
	Numeric		monetary;

	(void) CrmAggContext(fcinfo, "rfm_summary_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->count == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of rfm_summary_finalfn must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	monetary = RfmMonetary(state);

	values[0] = Int32GetDatum(RfmDays(state->last, state->as_of));
	values[1] = Int64GetDatum(state->count);
	values[2] = NumericGetDatum(monetary);
	values[3] = TimestampTzGetDatum(state->first);
	values[4] = TimestampTzGetDatum(state->last);
	values[5] = Int32GetDatum(RfmDays(state->first, state->as_of));
	values[6] = DirectFunctionCall2(numeric_div, NumericGetDatum(monetary),
									NumericGetDatum(int64_to_numeric(state->count)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------- scores ---------- */

/*
 * Scores without comparison sorts of all customers.  Each measure's score is
 * 1 + floor(bins * W / N), W = the customers with a strictly worse value, so
 * only W is needed, and for integer measures (recency in days, frequency)
 * whose range is within a few times the number of customers it comes from a
 * count per value and a running sum (the usual case: recency spans a few
 * years of days, frequency a few hundred orders).  Wider ranges, and exact
 * monetary sums held as scaled 128-bit integers, take a sort of the plain
 * values (comparisons inlined) and a binary search per customer.  Monetary
 * sums that are not all of that form (more than 8 decimals, 10^16 or more,
 * or float8 amounts) are ranked with numeric comparisons as before.
 */

/* most values per customer of a measure scored by counting */
#define RFM_COUNT_RANGE_PER_CUSTOMER	4

#define ST_SORT RfmSortInt64
#define ST_ELEMENT_TYPE int64
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

#ifdef HAVE_INT128
#define ST_SORT RfmSortInt128
#define ST_ELEMENT_TYPE int128
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"
#endif

/* The score of a customer with W customers worse, of n. */
static inline int
RfmScoreOf(int64 worse, int n, int bins)
{
	return 1 + (int) (((int64) bins * worse) / n);
}

/*
 * Scores of n integer values (larger_worse: a larger value is worse, as for
 * recency; else a smaller one, as for frequency).
 */
static void
RfmScoreInt64(const int64 *v, int n, int bins, bool larger_worse, int *score)
{
	int64		lo = PG_INT64_MAX;
	int64		hi = PG_INT64_MIN;
	int			i;

	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
	{
		lo = Min(lo, v[i]);
		hi = Max(hi, v[i]);
	}
	if ((uint64) hi - (uint64) lo < (uint64) RFM_COUNT_RANGE_PER_CUSTOMER * n + 1024)
	{
		/* a count per value; then below[k] = values worse than lo + k */
		int64		range = hi - lo + 1;
		int32	   *below = CrmMemoryAlloc0(CurrentMemoryContext, range, sizeof(int32),
											"crm.rfm_scores", "The scores");
		int64		k;
		int32		acc = 0;

		for (i = 0; i < n; i++)
			below[v[i] - lo]++;
		if (larger_worse)
			for (k = range - 1; k >= 0; k--)
			{
				int32		c = below[k];

				below[k] = acc;
				acc += c;
			}
		else
			for (k = 0; k < range; k++)
			{
				int32		c = below[k];

				below[k] = acc;
				acc += c;
			}
		for (i = 0; i < n; i++)
			score[i] = RfmScoreOf(below[v[i] - lo], n, bins);
		pfree(below);
	}
	else
	{
		/* the sorted values; W by binary search */
		int64	   *sorted = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(int64),
											"crm.rfm_scores", "The scores");

		memcpy(sorted, v, sizeof(int64) * (Size) n);
		RfmSortInt64(sorted, n);
		for (i = 0; i < n; i++)
		{
			int			a = 0,
						b = n;

			/* first index with a value > v (larger_worse) or >= v */
			while (a < b)
			{
				int			mid = a + (b - a) / 2;

				if (larger_worse ? sorted[mid] <= v[i] : sorted[mid] < v[i])
					a = mid + 1;
				else
					b = mid;
			}
			score[i] = RfmScoreOf(larger_worse ? n - a : a, n, bins);
			if ((i & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(sorted);
	}
}

#ifdef HAVE_INT128
/* Scores of n exact sums scaled to 128-bit integers (smaller is worse). */
static void
RfmScoreInt128(const int128 *v, int n, int bins, int *score)
{
	int128	   *sorted = CrmMemoryAlloc(CurrentMemoryContext, Max(n, 1), sizeof(int128),
										"crm.rfm_scores", "The scores");
	int			i;

	memcpy(sorted, v, sizeof(int128) * (Size) Max(n, 0));
	RfmSortInt128(sorted, n);
	for (i = 0; i < n; i++)
	{
		int			a = 0,
					b = n;

		while (a < b)
		{
			int			mid = a + (b - a) / 2;

			if (sorted[mid] < v[i])
				a = mid + 1;
			else
				b = mid;
		}
		score[i] = RfmScoreOf(a, n, bins);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(sorted);
}
#endif

/* A monetary sum and its float8 approximation, for the general ranking. */
typedef struct RfmMoney
{
	Numeric		value;
	double		approx;			/* for fast comparisons; ties go to numeric_cmp */
} RfmMoney;

/* Order of monetary sums, from worst (smallest) to best. */
static int
RfmCmpMoney(const void *a, const void *b, void *arg)
{
	const RfmMoney *ma = &((const RfmMoney *) arg)[*(const int *) a];
	const RfmMoney *mb = &((const RfmMoney *) arg)[*(const int *) b];

	/* float8 conversion is monotone: different doubles mean different numerics */
	if (ma->approx < mb->approx)
		return -1;
	if (ma->approx > mb->approx)
		return 1;
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(ma->value),
											 NumericGetDatum(mb->value)));
}

/* Scores of n monetary sums of any form, by a sort with numeric comparisons. */
static void
RfmScoreMoney(RfmMoney *money, int n, int bins, int *score)
{
	int		   *order = CrmMemoryAlloc(CurrentMemoryContext, Max(n, 1), sizeof(int),
									   "crm.rfm_scores", "The scores");
	int			group_start = 0;
	int			i;

	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_arg(order, n, sizeof(int), RfmCmpMoney, money);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && RfmCmpMoney(&order[i - 1], &order[i], money) != 0)
			group_start = i;
		score[order[i]] = RfmScoreOf(group_start, n, bins);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(order);
}

/* Name of the segment of an RFM cell on the 5-bin scale (see README). */
static const char *
RfmSegmentName(int r, int f, int m)
{
	if (r >= 4 && f >= 4 && m >= 4)
		return "Champions";
	if (r == 1 && f >= 4 && m >= 4)
		return "Cannot Lose Them";
	if (r <= 2 && f >= 3 && m >= 3)
		return "At Risk";
	if (r >= 3 && f >= 3 && m >= 3)
		return "Loyal Customers";
	if (r == 5 && f == 1)
		return "New Customers";
	if (r == 4 && f == 1)
		return "Promising";
	if (r >= 4)
		return "Potential Loyalist";
	if (r == 3 && f >= 2)
		return "Need Attention";
	if (r == 3 || (r == 2 && f <= 2))
		return "About To Sleep";
	if (r == 1 && f == 1)
		return "Lost";
	return "Hibernating";
}

static inline void
RfmCheckScore(int32 v, const char *name)
{
	if (v < 1 || v > 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s score must be between 1 and 5", name),
				 errdetail("Got %d.", v),
				 errhint("Segments are defined for scores computed with 5 bins.")));
}

/* crm.rfm_segment(r, f, m): the segment name of a 5-bin RFM cell. */
Datum
rfm_segment(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);

	RfmCheckScore(r, "r");
	RfmCheckScore(f, "f");
	RfmCheckScore(m, "m");
	PG_RETURN_TEXT_P(cstring_to_text(RfmSegmentName(r, f, m)));
}

/* A customer key as text: its bytes (not terminated) and length. */
typedef struct RfmKey
{
	char	   *data;
	int			len;
} RfmKey;

/* A customer in the hash table of text keys: the key and the customer's id. */
typedef struct RfmGroup
{
	RfmKey		key;
	int32		id;
} RfmGroup;

#define RFM_CUSTOMERS_WHAT	"The table of customers"

/*
 * crm.rfm_scores' grouping of the caller's orders by customer.  Customers
 * are numbered densely in order of first appearance: integer keys
 * (smallint, integer, bigint) by their value in idict, with no text made
 * for a row (the text of a customer is made once, for its result row);
 * other keys by their text in a hash table.  What scoring needs of a
 * customer (orders counted, last order, exact amount sum) is kept in one
 * 48-byte record by id, so that a row touches one or two cache lines of
 * customer data (separate arrays of each measure cost a cache miss each).
 */
typedef struct RfmCust
{
	union
	{
		CrmNumericSum n;		/* RFM_NUMERIC */
		CrmFloatSum f;			/* RFM_FLOAT8 */
	}			sum;
	int64		count;
	TimestampTz last;
} RfmCust;

/*
 * Rows with integer customer keys are applied in batches: a row's key and
 * measures are read at once and its customer's slot in the direct map
 * prefetched; the batch then finds its customers (prefetching their
 * records) and updates them.  The direct map and the records are too large
 * for the cache at a few hundred thousand customers, and this way the cache
 * misses of a batch overlap instead of costing one after another.
 */
#define RFM_BATCH	64

#if defined(__GNUC__) || defined(__clang__)
#define RFM_PREFETCH(addr)	__builtin_prefetch(addr)
#else
#define RFM_PREFETCH(addr)	((void) 0)
#endif

/* A row waiting in the batch: customer key, order time and amount. */
typedef struct RfmPending
{
	union
	{
#ifdef HAVE_INT128
		int128		scaled;		/* RFM_NUMERIC: a fast value times 10^8 */
#endif
		float8		f;			/* RFM_FLOAT8 */
	}			amount;
	int64		key;
	TimestampTz ts;
	int32		dscale;			/* RFM_NUMERIC */
} RfmPending;

typedef struct RfmGrouping
{
	MemoryContext ctx;
	TimestampTz as_of;
	char		kind;			/* RfmAmountKind of the amounts */
	CrmCast		customer_cast;
	CrmCast		ts_cast;
	CrmCast		amount_cast;
	bool		ifast;			/* integer keys, in idict */
	CrmIntDict	idict;
	HTAB	   *groups;			/* other keys: text -> id */
	RfmKey	   *keys;			/* id -> text key (not ifast) */
	int32		ncust;
	int32		cap;
	RfmCust    *cust;			/* id -> measures */
	RfmPending *pending;		/* the batch (ifast) */
	int			npending;
} RfmGrouping;

static uint32
RfmKeyHash(const void *key, Size keysize)
{
	const RfmKey *k = (const RfmKey *) key;

	(void) keysize;
	return hash_bytes((const unsigned char *) k->data, k->len);
}

static int
RfmKeyMatch(const void *key1, const void *key2, Size keysize)
{
	const RfmKey *a = (const RfmKey *) key1;
	const RfmKey *b = (const RfmKey *) key2;

	(void) keysize;
	return (a->len == b->len && memcmp(a->data, b->data, a->len) == 0) ? 0 : 1;
}

/* An array of n elements of elem bytes grown to newn, within the budget. */
static void *
RfmGrow(RfmGrouping *g, void *ptr, Size n, Size newn, Size elem)
{
	CrmMemoryCheckContext(g->ctx, CrmMemoryArraySize(newn - n, elem, "crm.rfm_scores",
													 RFM_CUSTOMERS_WHAT),
						  "crm.rfm_scores", RFM_CUSTOMERS_WHAT);
	if (ptr == NULL)
		return CrmMemoryAlloc(g->ctx, newn, elem, "crm.rfm_scores", RFM_CUSTOMERS_WHAT);
	return CrmMemoryRealloc(ptr, newn, elem, "crm.rfm_scores", RFM_CUSTOMERS_WHAT);
}

/* Customer id (the next one) starts with no order counted. */
static void
RfmNewCustomer(RfmGrouping *g, int32 id)
{
	Assert(id == g->ncust);
	if (g->ncust == g->cap)
	{
		int32		newcap = Max(g->cap * 2, 1024);

		g->cust = RfmGrow(g, g->cust, g->cap, newcap, sizeof(RfmCust));
		if (!g->ifast)
			g->keys = RfmGrow(g, g->keys, g->cap, newcap, sizeof(RfmKey));
		g->cap = newcap;
	}
	g->cust[id].count = 0;
	g->cust[id].last = DT_NOBEGIN;
	if (g->kind == RFM_NUMERIC)
		CrmNumericSumInit(&g->cust[id].sum.n);
	else
		g->cust[id].sum.f.sum = g->cust[id].sum.f.comp = 0;
	g->ncust++;
}

/* The id of the customer of a text key, adding it when new. */
static int32
RfmTextCustomer(RfmGrouping *g, Datum value)
{
	text	   *ct = DatumGetTextPP(CrmCastValue(&g->customer_cast, value));
	RfmKey		key;
	RfmGroup   *grp;
	bool		found;

	key.data = VARDATA_ANY(ct);
	key.len = VARSIZE_ANY_EXHDR(ct);
	grp = (RfmGroup *) hash_search(g->groups, &key, HASH_ENTER, &found);
	if (!found)
	{
		grp->key.data = MemoryContextAlloc(g->ctx, Max(key.len, 1));
		memcpy(grp->key.data, key.data, key.len);
		grp->key.len = key.len;
		grp->id = g->ncust;
		RfmNewCustomer(g, grp->id);
		g->keys[grp->id] = grp->key;
	}
	return grp->id;
}

/* The id of the customer of an integer key, adding it when new. */
static inline int32
RfmIntCustomer(RfmGrouping *g, int64 key)
{
	int32		id = CrmIntDictId(&g->idict, key);

	if (id == g->ncust)
		RfmNewCustomer(g, id);
	return id;
}

/* Count an order at ts (finite, not after as_of) of customer c. */
static inline void
RfmCustOrder(RfmCust *c, TimestampTz ts)
{
	c->count++;
	if (ts > c->last)
		c->last = ts;
}

/* Apply the rows of the batch to their customers, in the order of the rows. */
static void
RfmFlushBatch(RfmGrouping *g)
{
	int32		ids[RFM_BATCH];
	int			n = g->npending;
	int			i;

	for (i = 0; i < n; i++)
	{
		ids[i] = RfmIntCustomer(g, g->pending[i].key);
		RFM_PREFETCH(&g->cust[ids[i]]);
	}
	for (i = 0; i < n; i++)
	{
		RfmPending *p = &g->pending[i];
		RfmCust    *c = &g->cust[ids[i]];

		RfmCustOrder(c, p->ts);
#ifdef HAVE_INT128
		if (g->kind == RFM_NUMERIC)
			CrmNumericSumAddScaled(&c->sum.n, p->amount.scaled, p->dscale);
		else
#endif
			CrmFloatSumAdd(&c->sum.f, p->amount.f);
	}
	g->npending = 0;
}

/*
 * One order row of crm.rfm_scores' query: into its customer's measures, at
 * once or (integer keys) through the batch.  A customer is known only from
 * a row that counts: customers with no such row are not scored.
 */
static void
RfmScoresRow(TupleTableSlot *slot, void *arg)
{
	RfmGrouping *g = (RfmGrouping *) arg;
	TimestampTz ts;
	Datum		amount;
	RfmPending *p;

	if (slot->tts_isnull[0] || slot->tts_isnull[1] || slot->tts_isnull[2])
		return;					/* no customer, or a row that does not count */
	ts = DatumGetTimestampTz(CrmCastValue(&g->ts_cast, slot->tts_values[1]));
	if (TIMESTAMP_NOT_FINITE(ts))
		RfmInfiniteOrder(ts);
	if (ts > g->as_of)
		return;
	amount = CrmCastValue(&g->amount_cast, slot->tts_values[2]);
	if (!g->ifast)
	{
		int32		id = RfmTextCustomer(g, slot->tts_values[0]);	/* may move cust */
		RfmCust    *c = &g->cust[id];

		RfmCustOrder(c, ts);
		if (g->kind == RFM_NUMERIC)
			CrmNumericSumAdd(&c->sum.n, amount, g->ctx);
		else
		{
			CrmCheckFiniteAmount(DatumGetFloat8(amount));
			CrmFloatSumAdd(&c->sum.f, DatumGetFloat8(amount));
		}
		return;
	}

	p = &g->pending[g->npending];
	p->key = DatumGetInt64(slot->tts_values[0]);
	if (g->kind == RFM_NUMERIC)
	{
#ifdef HAVE_INT128
		if (!CrmNumericFastValue(amount, &p->amount.scaled, &p->dscale))
#endif
		{
			/* any other value (or an error for NaN): added now, sums commute */
			int32		id = RfmIntCustomer(g, p->key);	/* may move cust */
			RfmCust    *c = &g->cust[id];

			RfmCustOrder(c, ts);
			CrmNumericSumAdd(&c->sum.n, amount, g->ctx);
			return;
		}
	}
	else
	{
		p->amount.f = DatumGetFloat8(amount);
		CrmCheckFiniteAmount(p->amount.f);
	}
	p->ts = ts;
	if ((uint64) p->key < g->idict.dcap)
		RFM_PREFETCH(&g->idict.dmap[p->key]);
	if (++g->npending == RFM_BATCH)
		RfmFlushBatch(g);
}

/* The monetary value of customer id as numeric. */
static Numeric
RfmCustomerMonetary(const RfmGrouping *g, int32 id)
{
	if (g->kind == RFM_NUMERIC)
		return CrmNumericSumResult(&g->cust[id].sum.n);
	return DatumGetNumeric(DirectFunctionCall1(float8_numeric,
											   Float8GetDatum(CrmFloatSumResult(&g->cust[id].sum.f))));
}

/*
 * The monetary scores of the customers ids[0..n-1]: from their exact sums
 * as 128-bit integers when every sum is of that form, else by numeric
 * comparisons.
 */
static void
RfmMonetaryScores(const RfmGrouping *g, const int32 *ids, int n, int bins, int *score)
{
	RfmMoney   *money;
	int			i;

#ifdef HAVE_INT128
	if (g->kind == RFM_NUMERIC)
	{
		for (i = 0; i < n; i++)
			if (g->cust[ids[i]].sum.n.slow != NULL)
				break;
		if (i == n)
		{
			int128	   *v = CrmMemoryAlloc(CurrentMemoryContext, Max(n, 1), sizeof(int128),
										   "crm.rfm_scores", "The scores");

			for (i = 0; i < n; i++)
				v[i] = g->cust[ids[i]].sum.n.scaled;
			RfmScoreInt128(v, n, bins, score);
			pfree(v);
			return;
		}
	}
#endif
	money = CrmMemoryAlloc(CurrentMemoryContext, Max(n, 1), sizeof(RfmMoney),
						   "crm.rfm_scores", "The scores");
	for (i = 0; i < n; i++)
	{
		money[i].value = RfmCustomerMonetary(g, ids[i]);
		money[i].approx = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
															 NumericGetDatum(money[i].value)));
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	RfmScoreMoney(money, n, bins, score);
}

/* Append the decimal digits of a score 1..100 at p; returns the end. */
static inline char *
RfmScoreDigits(char *p, int v)
{
	if (v >= 100)
		*p++ = '0' + v / 100;
	if (v >= 10)
		*p++ = '0' + (v / 10) % 10;
	*p++ = '0' + v % 10;
	return p;
}

/*
 * The RFM cell of three scores: "345" for up to 9 bins, else "3-4-5" (as
 * snprintf("%d%d%d") would print them, at a fifth of its cost).
 */
static void
RfmCell(char *cell, int r, int f, int m, int bins)
{
	char	   *p = RfmScoreDigits(cell, r);

	if (bins > 9)
		*p++ = '-';
	p = RfmScoreDigits(p, f);
	if (bins > 9)
		*p++ = '-';
	p = RfmScoreDigits(p, m);
	*p = '\0';
}

/*
 * crm.rfm_scores(query, as_of, bins): RFM measures and quantile scores for
 * each customer of a query returning (customer, ordered_at, amount).
 */
Datum
rfm_scores(PG_FUNCTION_ARGS)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID};
	static const Oid amount_types[] = {NUMERICOID, FLOAT8OID, FLOAT4OID, INT2OID, INT4OID, INT8OID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	TimestampTz as_of;
	int32		bins;
	CrmQuery	q;
	RfmGrouping g;
	MemoryContext rowctx;
	MemoryContext old;
	int			n = 0;
	int			i;
	int32	   *ids;
	int64	   *vals;
	int		   *rs,
			   *fs,
			   *ms;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query must not be NULL"),
				 errhint("Pass a SELECT returning (customer, ordered_at, amount).")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be NULL"),
				 errhint("Pass the date of the snapshot, for example now().")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bins must not be NULL"),
				 errhint("Pass a number of bins between %d and %d; 5 is usual.",
						 RFM_MIN_BINS, RFM_MAX_BINS)));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	as_of = PG_GETARG_TIMESTAMPTZ(1);
	bins = PG_GETARG_INT32(2);
	RfmCheckAsOf(as_of);
	if (bins < RFM_MIN_BINS || bins > RFM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between %d and %d", RFM_MIN_BINS, RFM_MAX_BINS),
				 errdetail("Got %d.", bins),
				 errhint("5 bins is usual; segments are named only for 5 bins.")));

	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CrmQueryOpen(&q, query, 3, 3, "crm.rfm_scores", "(customer, ordered_at, amount)");
	CrmCheckColumnType(q.desc, 2, "crm.rfm_scores", "ordered_at", ts_types,
					   lengthof(ts_types), "timestamptz");
	CrmCheckColumnType(q.desc, 3, "crm.rfm_scores", "amount", amount_types,
					   lengthof(amount_types), "a numeric or float8 amount");

	/* group the orders by customer */
	memset(&g, 0, sizeof(g));
	g.ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.rfm_scores customers",
								  ALLOCSET_DEFAULT_SIZES);
	g.as_of = as_of;
	g.kind = (getBaseType(TupleDescAttr(q.desc, 2)->atttypid) == FLOAT8OID ||
			  getBaseType(TupleDescAttr(q.desc, 2)->atttypid) == FLOAT4OID) ? RFM_FLOAT8 : RFM_NUMERIC;
	CrmCastInit(&g.customer_cast, TupleDescAttr(q.desc, 0)->atttypid, TEXTOID,
				"crm.rfm_scores", "1 (customer)");
	CrmCastInit(&g.ts_cast, TupleDescAttr(q.desc, 1)->atttypid, TIMESTAMPTZOID,
				"crm.rfm_scores", "2 (ordered_at)");
	CrmCastInit(&g.amount_cast, TupleDescAttr(q.desc, 2)->atttypid,
				g.kind == RFM_FLOAT8 ? FLOAT8OID : NUMERICOID,
				"crm.rfm_scores", "3 (amount)");
	switch (getBaseType(TupleDescAttr(q.desc, 0)->atttypid))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			g.ifast = true;
			CrmIntDictInit(&g.idict, g.ctx, "crm.rfm_scores", RFM_CUSTOMERS_WHAT);
			g.pending = MemoryContextAlloc(g.ctx, RFM_BATCH * sizeof(RfmPending));
			break;
		default:
			{
				HASHCTL		ctl;

				memset(&ctl, 0, sizeof(ctl));
				ctl.keysize = sizeof(RfmKey);
				ctl.entrysize = sizeof(RfmGroup);
				ctl.hash = RfmKeyHash;
				ctl.match = RfmKeyMatch;
				ctl.hcxt = g.ctx;
				g.groups = hash_create("crm.rfm_scores customers", 1024, &ctl,
									   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
				break;
			}
	}
	(void) CrmQueryForEachRow(&q, RfmScoresRow, &g);
	if (g.ifast)
		RfmFlushBatch(&g);
	CrmQueryClose(&q);

	/* the customers with at least one order counted, in order of first appearance */
	ids = CrmMemoryAlloc(g.ctx, Max(g.ncust, 1), sizeof(int32), "crm.rfm_scores", "The scores");
	for (i = 0; i < g.ncust; i++)
		if (g.cust[i].count > 0)
			ids[n++] = i;
	vals = CrmMemoryAlloc(g.ctx, Max(n, 1), sizeof(int64), "crm.rfm_scores", "The scores");
	rs = CrmMemoryAlloc(g.ctx, Max(n, 1), sizeof(int), "crm.rfm_scores", "The scores");
	fs = CrmMemoryAlloc(g.ctx, Max(n, 1), sizeof(int), "crm.rfm_scores", "The scores");
	ms = CrmMemoryAlloc(g.ctx, Max(n, 1), sizeof(int), "crm.rfm_scores", "The scores");
	old = MemoryContextSwitchTo(g.ctx);
	for (i = 0; i < n; i++)
		vals[i] = RfmDays(g.cust[ids[i]].last, as_of);
	RfmScoreInt64(vals, n, bins, true, rs);
	for (i = 0; i < n; i++)
		vals[i] = g.cust[ids[i]].count;
	RfmScoreInt64(vals, n, bins, false, fs);
	RfmMonetaryScores(&g, ids, n, bins, ms);
	MemoryContextSwitchTo(old);

	rowctx = AllocSetContextCreate(g.ctx, "crm.rfm_scores row", ALLOCSET_SMALL_SIZES);
	for (i = 0; i < n; i++)
	{
		int32		id = ids[i];
		Datum		values[9];
		bool		nulls[9] = {false};
		char		cell[48];

		old = MemoryContextSwitchTo(rowctx);
		RfmCell(cell, rs[i], fs[i], ms[i], bins);
		if (g.ifast)
			values[0] = CrmCastValue(&g.customer_cast, Int64GetDatum(g.idict.keys[id]));
		else
			values[0] = PointerGetDatum(cstring_to_text_with_len(g.keys[id].data,
																 g.keys[id].len));
		values[1] = Int32GetDatum(RfmDays(g.cust[id].last, as_of));
		values[2] = Int64GetDatum(g.cust[id].count);
		values[3] = NumericGetDatum(RfmCustomerMonetary(&g, id));
		values[4] = Int32GetDatum(rs[i]);
		values[5] = Int32GetDatum(fs[i]);
		values[6] = Int32GetDatum(ms[i]);
		values[7] = CStringGetTextDatum(cell);
		if (bins == 5)
			values[8] = CStringGetTextDatum(RfmSegmentName(rs[i], fs[i], ms[i]));
		else
			nulls[8] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowctx);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}

	MemoryContextDelete(g.ctx);
	SPI_finish();
	return (Datum) 0;
}
