/*
 * clv.c
 *		crm.clv_summary: the (frequency, recency, T, monetary value) summary
 *		of a customer's orders that the buy-till-you-die models take as input.
 *
 * Conventions are those of lifetimes' summary_data_from_transaction_data
 * (Davidson-Pilon, lifetimes, utils.py), which follow the BG/NBD paper
 * (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
 * alternative to the Pareto/NBD model", Marketing Science 24(2)):
 *
 *	- orders are truncated to their calendar day in the session TimeZone
 *	  (lifetimes truncates naive timestamps with to_period('D')); all orders of
 *	  one day are one purchase whose value is the day's total;
 *	- orders on a day after the calendar day of as_of are ignored;
 *	- frequency = number of purchase days - 1 (the repeat purchases);
 *	- recency = last purchase day - first purchase day, T = as_of's day -
 *	  first purchase day, both in days divided by the length of unit;
 *	- monetary_value = mean total of the repeat purchase days (the first day
 *	  is excluded), 0 when there is none.
 *
 * The state keeps one (day, total) entry per purchase day: new days are
 * appended to an unsorted tail that is sorted and merged into the sorted
 * part when it grows as long as that part, so a customer's state stays
 * compact whatever the row order.  Numeric totals are exact (CrmNumericSum).
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "crm_analytics.h"
#include "clv.h"

#define CLV_SUMMARY_FORMAT		1
/* Most purchase days of one group (about 27,000 years of daily purchases). */
#define CLV_MAX_DAYS			10000000

typedef enum ClvAmountKind
{
	CLV_NUMERIC = 'n',
	CLV_FLOAT8 = 'f'
} ClvAmountKind;

/* Total of one purchase day. */
typedef struct ClvDay
{
	int32		day;			/* days since 2000-01-01 in the session TimeZone */
	CrmNumericSum nsum;			/* numeric amounts */
	CrmFloatSum fsum;			/* float8 amounts */
} ClvDay;

/* Aggregate state of crm.clv_summary. */
typedef struct ClvSummaryState
{
	char		kind;			/* ClvAmountKind */
	int32		as_of_day;		/* calendar day of as_of */
	TimestampTz as_of;
	Interval	unit;
	int32		nsorted;		/* days[0 .. nsorted) sorted and distinct */
	int32		ndays;			/* entries used */
	int32		capacity;
	ClvDay	   *days;
} ClvSummaryState;

PG_FUNCTION_INFO_V1(clv_summary_transfn);
PG_FUNCTION_INFO_V1(clv_summary_float8_transfn);
PG_FUNCTION_INFO_V1(clv_summary_combinefn);
PG_FUNCTION_INFO_V1(clv_summary_serialfn);
PG_FUNCTION_INFO_V1(clv_summary_deserialfn);
PG_FUNCTION_INFO_V1(clv_summary_finalfn);

/* Calendar day of a timestamp in the session TimeZone (days since 2000-01-01). */
static int32
ClvLocalDay(TimestampTz ts, const char *what)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite timestamp", what),
				 errdetail("Got %s.", timestamptz_to_str(ts))));
	return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
}

/*
 * Length of a time unit in days.  Months count 30 days and years 365.25 days,
 * as in EXTRACT(epoch FROM interval).
 */
double
ClvUnitDays(const Interval *unit)
{
	double		days;

	days = (double) (unit->month / MONTHS_PER_YEAR) * DAYS_PER_YEAR +
		(double) (unit->month % MONTHS_PER_YEAR) * DAYS_PER_MONTH +
		(double) unit->day + (double) unit->time / (double) USECS_PER_DAY;
	if (!(days > 0.0) || !isfinite(days))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unit must be a positive interval"),
				 errdetail("Got %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(unit)))),
				 errhint("Use the time unit of the model, for example '1 week' or '1 day'.")));
	return days;
}

static ClvSummaryState *
ClvSummaryCreate(MemoryContext aggctx, char kind, TimestampTz as_of, const Interval *unit,
				 int capacity)
{
	ClvSummaryState *state = MemoryContextAllocZero(aggctx, sizeof(ClvSummaryState));

	state->kind = kind;
	state->as_of = as_of;
	state->as_of_day = ClvLocalDay(as_of, "as_of");
	state->unit = *unit;
	state->capacity = Max(capacity, 4);
	state->days = MemoryContextAlloc(aggctx, state->capacity * sizeof(ClvDay));
	return state;
}

static int
ClvDayCmp(const void *a, const void *b)
{
	int32		da = ((const ClvDay *) a)->day;
	int32		db = ((const ClvDay *) b)->day;

	return (da > db) - (da < db);
}

/* Add the amounts of day entry src into dst. */
static void
ClvDayAdd(ClvDay *dst, const ClvDay *src, MemoryContext ctx)
{
	CrmNumericSumCombine(&dst->nsum, &src->nsum, ctx);
	CrmFloatSumAdd(&dst->fsum, src->fsum.sum);
	CrmFloatSumAdd(&dst->fsum, src->fsum.comp);
}

/* Sort all entries and merge those of the same day (the state means the same). */
static void
ClvCompact(ClvSummaryState *state, MemoryContext ctx)
{
	int			i,
				out = 0;

	if (state->nsorted == state->ndays)
		return;
	qsort(state->days, state->ndays, sizeof(ClvDay), ClvDayCmp);
	for (i = 0; i < state->ndays; i++)
	{
		if (out > 0 && state->days[out - 1].day == state->days[i].day)
			ClvDayAdd(&state->days[out - 1], &state->days[i], ctx);
		else
		{
			if (out != i)
				state->days[out] = state->days[i];
			out++;
		}
	}
	state->ndays = state->nsorted = out;
}

/* The entry of a day: the last one, one of the sorted part, or a new one. */
static ClvDay *
ClvFindDay(ClvSummaryState *state, int32 day, MemoryContext ctx)
{
	ClvDay	   *d;

	if (state->ndays > 0 && state->days[state->ndays - 1].day == day)
		return &state->days[state->ndays - 1];
	if (state->nsorted > 0)
	{
		int			lo = 0,
					hi = state->nsorted - 1;

		while (lo <= hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (state->days[mid].day == day)
				return &state->days[mid];
			if (state->days[mid].day < day)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
	}
	if (state->ndays - state->nsorted >= Max(8, state->nsorted))
	{
		ClvCompact(state, ctx);
		return ClvFindDay(state, day, ctx);
	}
	if (state->ndays >= state->capacity)
	{
		if (state->ndays >= CLV_MAX_DAYS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("crm.clv_summary cannot hold more than %d purchase days in one group",
							CLV_MAX_DAYS),
					 errhint("Group the orders by customer.")));
		state->capacity = Min(state->capacity * 2, CLV_MAX_DAYS);
		state->days = CrmMemoryRealloc(state->days, state->capacity, sizeof(ClvDay),
									   "crm.clv_summary", "The purchase days of a group");
	}
	d = &state->days[state->ndays];
	d->day = day;
	CrmNumericSumInit(&d->nsum);
	d->fsum.sum = d->fsum.comp = 0.0;
	/* appending in day order keeps the whole array sorted */
	if (state->ndays == state->nsorted &&
		(state->ndays == 0 || state->days[state->ndays - 1].day < day))
		state->nsorted++;
	state->ndays++;
	return d;
}

/*
 * Common part of the transition functions: check the arguments, create the
 * state on the first row and return the day entry of this order, or NULL
 * when the row is skipped (NULL time or amount, or a day after as_of).
 */
static ClvDay *
ClvSummaryAccumulate(FunctionCallInfo fcinfo, MemoryContext aggctx, char kind,
					 ClvSummaryState **statep)
{
	ClvSummaryState *state = PG_ARGISNULL(0) ? NULL : (ClvSummaryState *) PG_GETARG_POINTER(0);
	TimestampTz as_of;
	Interval   *unit;
	int32		day;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be NULL"),
				 errhint("Pass the end of the observation period, for example now().")));
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("unit must not be NULL"),
				 errhint("Use the time unit of the model, for example '1 week' or '1 day'.")));
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	unit = PG_GETARG_INTERVAL_P(4);
	if (state == NULL)
	{
		(void) ClvUnitDays(unit);
		state = ClvSummaryCreate(aggctx, kind, as_of, unit, 8);
	}
	else
	{
		if (state->as_of != as_of)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of must be the same for every row of a group")));
		if (memcmp(&state->unit, unit, sizeof(Interval)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unit must be the same for every row of a group")));
	}
	*statep = state;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return NULL;
	day = ClvLocalDay(PG_GETARG_TIMESTAMPTZ(1), "ordered_at");
	if (day > state->as_of_day)
		return NULL;
	return ClvFindDay(state, day, aggctx);
}

/* Transition function of crm.clv_summary for numeric amounts. */
Datum
clv_summary_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "clv_summary_transfn");
	ClvSummaryState *state;
	ClvDay	   *d = ClvSummaryAccumulate(fcinfo, aggctx, CLV_NUMERIC, &state);

	if (d != NULL)
		CrmNumericSumAdd(&d->nsum, PG_GETARG_DATUM(2), aggctx);
	PG_RETURN_POINTER(state);
}

/* Transition function of crm.clv_summary for float8 amounts. */
Datum
clv_summary_float8_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "clv_summary_float8_transfn");
	ClvSummaryState *state;
	ClvDay	   *d = ClvSummaryAccumulate(fcinfo, aggctx, CLV_FLOAT8, &state);

	if (d != NULL)
	{
		float8		amount = PG_GETARG_FLOAT8(2);

		CrmCheckFiniteAmount(amount);
		CrmFloatSumAdd(&d->fsum, amount);
	}
	PG_RETURN_POINTER(state);
}

/* Merge two partial states (parallel workers, partitions). */
Datum
clv_summary_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "clv_summary_combinefn");
	ClvSummaryState *s1 = PG_ARGISNULL(0) ? NULL : (ClvSummaryState *) PG_GETARG_POINTER(0);
	ClvSummaryState *s2 = PG_ARGISNULL(1) ? NULL : (ClvSummaryState *) PG_GETARG_POINTER(1);
	int			i;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = ClvSummaryCreate(aggctx, s2->kind, s2->as_of, &s2->unit, s2->ndays);
	else
	{
		if (s1->kind != s2->kind)
			elog(ERROR, "cannot combine clv_summary states of different amount types");
		if (s1->as_of != s2->as_of)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of must be the same for every row of a group")));
		if (memcmp(&s1->unit, &s2->unit, sizeof(Interval)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unit must be the same for every row of a group")));
	}
	for (i = 0; i < s2->ndays; i++)
	{
		ClvDay	   *d = ClvFindDay(s1, s2->days[i].day, aggctx);

		ClvDayAdd(d, &s2->days[i], aggctx);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(s1);
}

/* Serialize a state for transfer between processes. */
Datum
clv_summary_serialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "clv_summary_serialfn");
	ClvSummaryState *state = (ClvSummaryState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	/* merging equal days does not change what the state means */
	ClvCompact(state, aggctx);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CLV_SUMMARY_FORMAT);
	pq_sendbyte(&buf, state->kind);
	pq_sendint64(&buf, state->as_of);
	pq_sendint64(&buf, state->unit.time);
	pq_sendint32(&buf, state->unit.day);
	pq_sendint32(&buf, state->unit.month);
	pq_sendint32(&buf, state->ndays);
	for (i = 0; i < state->ndays; i++)
	{
		const ClvDay *d = &state->days[i];

		pq_sendint32(&buf, d->day);
		if (state->kind == CLV_NUMERIC)
			CrmNumericSumSerialize(&buf, &d->nsum);
		else
		{
			pq_sendfloat8(&buf, d->fsum.sum);
			pq_sendfloat8(&buf, d->fsum.comp);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state from its serialized form, validating every field. */
Datum
clv_summary_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "clv_summary_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	ClvSummaryState *state;
	int			format,
				kind,
				i;
	TimestampTz as_of;
	Interval	unit;
	int32		ndays;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != CLV_SUMMARY_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported clv_summary state format %d", format)));
	kind = pq_getmsgbyte(&buf);
	if (kind != CLV_NUMERIC && kind != CLV_FLOAT8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid amount kind %d in clv_summary state", kind)));
	as_of = pq_getmsgint64(&buf);
	unit.time = pq_getmsgint64(&buf);
	unit.day = pq_getmsgint(&buf, 4);
	unit.month = pq_getmsgint(&buf, 4);
	ndays = pq_getmsgint(&buf, 4);
	/* each day takes at least 4 + 16 bytes */
	if (ndays < 0 || ndays > CLV_MAX_DAYS || ndays > (buf.len - buf.cursor) / 20)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid day count %d in clv_summary state", ndays)));
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid as_of in clv_summary state")));
	(void) ClvUnitDays(&unit);
	state = ClvSummaryCreate(aggctx, kind, as_of, &unit, ndays);
	for (i = 0; i < ndays; i++)
	{
		ClvDay	   *d = &state->days[i];

		d->day = pq_getmsgint(&buf, 4);
		if (d->day > state->as_of_day || (i > 0 && d->day <= state->days[i - 1].day))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid day in clv_summary state")));
		CrmNumericSumInit(&d->nsum);
		d->fsum.sum = d->fsum.comp = 0.0;
		if (kind == CLV_NUMERIC)
			CrmNumericSumDeserialize(&buf, &d->nsum, aggctx);
		else
		{
			d->fsum.sum = pq_getmsgfloat8(&buf);
			d->fsum.comp = pq_getmsgfloat8(&buf);
		}
	}
	state->ndays = state->nsorted = ndays;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* The days of a state, sorted and merged, in a new array (the state is untouched). */
static ClvDay *
ClvSortedDays(const ClvSummaryState *state, int *ndays)
{
	ClvSummaryState copy = *state;
	int			i;

	/*
	 * A deep copy: merging days replaces (and frees) the numeric sums of the
	 * merged entries, which must stay the state's own (the final function
	 * runs again on the same state in a window aggregate).
	 */
	copy.days = palloc(Max(state->ndays, 1) * sizeof(ClvDay));
	for (i = 0; i < state->ndays; i++)
	{
		copy.days[i] = state->days[i];
		CrmNumericSumCopy(&copy.days[i].nsum, &state->days[i].nsum, CurrentMemoryContext);
	}
	ClvCompact(&copy, CurrentMemoryContext);
	*ndays = copy.ndays;
	return copy.days;
}

/* Build the crm.clv_summary composite; NULL when no purchase was counted. */
Datum
clv_summary_finalfn(PG_FUNCTION_ARGS)
{
	ClvSummaryState *state;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};
	ClvDay	   *days;
	int			ndays,
				i;
	double		unit_days,
				monetary = 0.0;

	(void) CrmAggContext(fcinfo, "clv_summary_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (ClvSummaryState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->ndays == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of clv_summary_finalfn must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	unit_days = ClvUnitDays(&state->unit);
	days = ClvSortedDays(state, &ndays);

	if (ndays > 1)
	{
		if (state->kind == CLV_NUMERIC)
		{
			CrmNumericSum total;

			CrmNumericSumInit(&total);
			for (i = 1; i < ndays; i++)
				CrmNumericSumCombine(&total, &days[i].nsum, CurrentMemoryContext);
#ifdef HAVE_INT128
			if (total.slow == NULL)
				monetary = (double) total.scaled / 1e8;
			else
#endif
				monetary = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															  NumericGetDatum(CrmNumericSumResult(&total))));
		}
		else
		{
			CrmFloatSum total = {0.0, 0.0};

			for (i = 1; i < ndays; i++)
			{
				CrmFloatSumAdd(&total, days[i].fsum.sum);
				CrmFloatSumAdd(&total, days[i].fsum.comp);
			}
			monetary = CrmFloatSumResult(&total);
		}
		monetary /= (ndays - 1);
	}

	values[0] = Int32GetDatum(ndays - 1);
	values[1] = Float8GetDatum((days[ndays - 1].day - days[0].day) / unit_days);
	values[2] = Float8GetDatum((state->as_of_day - days[0].day) / unit_days);
	values[3] = Float8GetDatum(monetary);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
