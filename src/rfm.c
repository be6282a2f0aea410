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

/*
 * Count an order at ts in the state; false when it is after as_of (skipped).
 */
static bool
RfmCountOrder(RfmState *state, TimestampTz ts)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ordered_at must be a finite timestamp"),
				 errdetail("Got %s.", timestamptz_to_str(ts)),
				 errhint("Filter out rows with infinite order times.")));
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

/* One customer's measures while scoring. */
typedef struct RfmCustomer
{
	char	   *customer;		/* the key as text, not terminated */
	int			customer_len;
	int32		recency;
	int64		frequency;
	Numeric		monetary;
	double		monetary_approx;	/* for fast comparisons; ties go to numeric_cmp */
} RfmCustomer;

/* Orderings from worst to best, for each measure. */
static int
RfmCmpRecency(const void *a, const void *b, void *arg)
{
	const RfmCustomer *c = (const RfmCustomer *) arg;
	int32		ra = c[*(const int *) a].recency;
	int32		rb = c[*(const int *) b].recency;

	return (ra > rb) ? -1 : (ra < rb) ? 1 : 0;	/* larger recency is worse */
}

static int
RfmCmpFrequency(const void *a, const void *b, void *arg)
{
	const RfmCustomer *c = (const RfmCustomer *) arg;
	int64		fa = c[*(const int *) a].frequency;
	int64		fb = c[*(const int *) b].frequency;

	return (fa < fb) ? -1 : (fa > fb) ? 1 : 0;
}

static int
RfmCmpMonetary(const void *a, const void *b, void *arg)
{
	const RfmCustomer *ca = &((const RfmCustomer *) arg)[*(const int *) a];
	const RfmCustomer *cb = &((const RfmCustomer *) arg)[*(const int *) b];

	/* float8 conversion is monotone: different doubles mean different numerics */
	if (ca->monetary_approx < cb->monetary_approx)
		return -1;
	if (ca->monetary_approx > cb->monetary_approx)
		return 1;
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(ca->monetary),
											 NumericGetDatum(cb->monetary)));
}

/*
 * Give each customer score 1 + floor(bins * W / N), W = number of customers
 * with a strictly worse value, using an order from worst to best.
 */
static void
RfmScore(RfmCustomer *cust, int n, int bins, qsort_arg_comparator cmp, int *order, int *score)
{
	int			i;
	int			group_start = 0;

	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_arg(order, n, sizeof(int), cmp, cust);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && cmp(&order[i - 1], &order[i], cust) != 0)
			group_start = i;
		score[order[i]] = 1 + (int) (((int64) bins * group_start) / n);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
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

/* A customer key: its text (not terminated) and length. */
typedef struct RfmKey
{
	char	   *data;
	int			len;
} RfmKey;

/* One customer while grouping: key and the state crm.rfm_summary would have. */
typedef struct RfmGroup
{
	RfmKey		key;
	RfmState	state;
} RfmGroup;

/* crm.rfm_scores' grouping of the caller's orders by customer. */
typedef struct RfmGrouping
{
	MemoryContext ctx;
	HTAB	   *groups;
	TimestampTz as_of;
	char		kind;			/* RfmAmountKind of the amounts */
	CrmCast		customer_cast;
	CrmCast		ts_cast;
	CrmCast		amount_cast;
	int64		ngroups_checked;	/* customers when the budget was last checked */
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

/* One order row of crm.rfm_scores' query: into its customer's state. */
static void
RfmScoresRow(TupleTableSlot *slot, void *arg)
{
	RfmGrouping *g = (RfmGrouping *) arg;
	text	   *ct;
	RfmKey		key;
	RfmGroup   *grp;
	bool		found;
	TimestampTz ts;

	if (slot->tts_isnull[0])
		return;					/* no customer */
	ct = DatumGetTextPP(CrmCastValue(&g->customer_cast, slot->tts_values[0]));
	key.data = VARDATA_ANY(ct);
	key.len = VARSIZE_ANY_EXHDR(ct);
	grp = (RfmGroup *) hash_search(g->groups, &key, HASH_ENTER, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(g->ctx);

		grp->key.data = palloc(Max(key.len, 1));
		memcpy(grp->key.data, key.data, key.len);
		grp->key.len = key.len;
		MemoryContextSwitchTo(old);
		memset(&grp->state, 0, sizeof(RfmState));
		grp->state.kind = g->kind;
		grp->state.as_of = g->as_of;
		grp->state.first = DT_NOEND;
		grp->state.last = DT_NOBEGIN;
		CrmNumericSumInit(&grp->state.nsum);
		if (hash_get_num_entries(g->groups) >= g->ngroups_checked * 2 + 4096)
		{
			g->ngroups_checked = hash_get_num_entries(g->groups);
			CrmMemoryCheckContext(g->ctx, 0, "crm.rfm_scores", "The table of customers");
		}
	}
	if (slot->tts_isnull[1] || slot->tts_isnull[2])
		return;					/* counted as a customer only if another row counts */
	ts = DatumGetTimestampTz(CrmCastValue(&g->ts_cast, slot->tts_values[1]));
	if (!RfmCountOrder(&grp->state, ts))
		return;
	if (g->kind == RFM_NUMERIC)
		CrmNumericSumAdd(&grp->state.nsum,
						 CrmCastValue(&g->amount_cast, slot->tts_values[2]), g->ctx);
	else
	{
		float8		amount = DatumGetFloat8(CrmCastValue(&g->amount_cast, slot->tts_values[2]));

		CrmCheckFiniteAmount(amount);
		CrmFloatSumAdd(&grp->state.fsum, amount);
	}
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
	uint64		i;
	int			n = 0;
	RfmCustomer *cust;
	int		   *order;
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

	/* group the orders by customer in a hash table of RfmState */
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
	}
	(void) CrmQueryForEachRow(&q, RfmScoresRow, &g);
	CrmQueryClose(&q);

	/* customers with at least one order counted */
	cust = CrmMemoryAlloc(g.ctx, hash_get_num_entries(g.groups), sizeof(RfmCustomer),
						  "crm.rfm_scores", "The customer table");
	{
		HASH_SEQ_STATUS seq;
		RfmGroup   *grp;

		hash_seq_init(&seq, g.groups);
		while ((grp = (RfmGroup *) hash_seq_search(&seq)) != NULL)
		{
			RfmState   *st = &grp->state;

			if (st->count == 0)
				continue;
			cust[n].customer = grp->key.data;
			cust[n].customer_len = grp->key.len;
			cust[n].recency = RfmDays(st->last, as_of);
			cust[n].frequency = st->count;
			cust[n].monetary = RfmMonetary(st);
			cust[n].monetary_approx =
				DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
												   NumericGetDatum(cust[n].monetary)));
			n++;
			if ((n & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}

	order = palloc(Max(n, 1) * sizeof(int));
	rs = palloc(Max(n, 1) * sizeof(int));
	fs = palloc(Max(n, 1) * sizeof(int));
	ms = palloc(Max(n, 1) * sizeof(int));
	RfmScore(cust, n, bins, RfmCmpRecency, order, rs);
	RfmScore(cust, n, bins, RfmCmpFrequency, order, fs);
	RfmScore(cust, n, bins, RfmCmpMonetary, order, ms);

	for (i = 0; i < (uint64) n; i++)
	{
		Datum		values[9];
		bool		nulls[9] = {false};
		char		cell[48];

		if (bins <= 9)
			snprintf(cell, sizeof(cell), "%d%d%d", rs[i], fs[i], ms[i]);
		else
			snprintf(cell, sizeof(cell), "%d-%d-%d", rs[i], fs[i], ms[i]);
		values[0] = PointerGetDatum(cstring_to_text_with_len(cust[i].customer,
															 cust[i].customer_len));
		values[1] = Int32GetDatum(cust[i].recency);
		values[2] = Int64GetDatum(cust[i].frequency);
		values[3] = NumericGetDatum(cust[i].monetary);
		values[4] = Int32GetDatum(rs[i]);
		values[5] = Int32GetDatum(fs[i]);
		values[6] = Int32GetDatum(ms[i]);
		values[7] = CStringGetTextDatum(cell);
		if (bins == 5)
			values[8] = CStringGetTextDatum(RfmSegmentName(rs[i], fs[i], ms[i]));
		else
			nulls[8] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	MemoryContextDelete(g.ctx);
	SPI_finish();
	return (Datum) 0;
}
