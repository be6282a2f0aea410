/*
 * cohort.c
 *		Cohort retention: crm.cohort_retention(query, grain, mode, as_of).
 *
 * The query returns (customer, activity time).  Each customer belongs to the
 * cohort of the calendar period (day, week from Monday, month, quarter or
 * year, in the session's TimeZone as date_trunc counts them) of their first
 * activity.  For every cohort and period number p = 0, 1, 2, ... (the
 * cohort's own period, the next one, ...) the result gives the cohort size,
 * the customers active and the rate active / size, where active counts
 *   mode 'on'           customers with an activity in period cohort + p;
 *   mode 'on_or_after'  customers with an activity in period cohort + p or
 *                       any later one (Mixpanel's and Amplitude's two
 *                       definitions of retention).
 * The observation ends at as_of (default: the latest activity); activity
 * after it is ignored.  Rows run up to the period containing as_of; a period
 * that has not fully elapsed by then (the period containing as_of) has NULL
 * active and rate, not 0.
 *
 * One pass reads the rows as (customer number, period number) pairs; a radix
 * sort by customer and period gives each customer's first, distinct and
 * last periods; counts go to a triangular cohort x period table.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "journeys.h"

PG_FUNCTION_INFO_V1(cohort_retention);

typedef enum CohortGrain
{
	COHORT_DAY,
	COHORT_WEEK,
	COHORT_MONTH,
	COHORT_QUARTER,
	COHORT_YEAR
} CohortGrain;

/* a Monday: weeks are numbered from it */
#define COHORT_MONDAY_JDATE	2451547		/* 2000-01-03 */

typedef struct CohortData
{
	MemoryContext ctx;
	const char *fn;
	CohortGrain grain;
	bool		have_as_of;
	TimestampTz as_of;
	TimestampTz max_ts;			/* latest activity read */
	JourneyKeyTable customers;
	Oid			key_type;
	FmgrInfo	key_out;
	CrmCast		ts_cast;
	uint64	   *pairs;			/* customer << 32 | (period + 2^31) */
	int64		n;
	int64		cap;
	TimestampTz cached_lo;		/* the local day of the last period computed */
	TimestampTz cached_hi;
	int32		cached_period;
} CohortData;

/* a / b rounded towards minus infinity. */
static inline int64
CohortFloorDiv(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Period number of a Julian day. */
static int32
CohortPeriodOfDay(CohortGrain grain, int jd)
{
	int			y,
				m,
				d;

	switch (grain)
	{
		case COHORT_DAY:
			return jd;
		case COHORT_WEEK:
			return (int32) CohortFloorDiv(jd - COHORT_MONDAY_JDATE, 7);
		default:
			break;
	}
	j2date(jd, &y, &m, &d);
	if (grain == COHORT_MONTH)
		return y * 12 + (m - 1);
	if (grain == COHORT_QUARTER)
		return y * 4 + (m - 1) / 3;
	return y;
}

/* First day (Julian) of a period. */
static int
CohortPeriodStart(CohortGrain grain, int32 p)
{
	int			y;

	switch (grain)
	{
		case COHORT_DAY:
			return p;
		case COHORT_WEEK:
			return COHORT_MONDAY_JDATE + 7 * p;
		case COHORT_MONTH:
			y = (int) CohortFloorDiv(p, 12);
			return date2j(y, p - 12 * y + 1, 1);
		case COHORT_QUARTER:
			y = (int) CohortFloorDiv(p, 4);
			return date2j(y, 3 * (p - 4 * y) + 1, 1);
		default:
			return date2j(p, 1, 1);
	}
}

/* Period number of a time, in the session's time zone. */
static int32
CohortPeriod(CohortData *d, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int			jd;

	/* rows of one local day (as last seen) share a period */
	if (ts >= d->cached_lo && ts < d->cached_hi)
		return d->cached_period;
	if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("activity time out of range in %s", d->fn)));
	jd = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	d->cached_period = CohortPeriodOfDay(d->grain, jd);
	/* the local day around ts, if the clock does not jump within it */
	{
		int64		into = ((int64) tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * USECS_PER_SEC + fsec;

		d->cached_lo = ts - into;
		d->cached_hi = d->cached_lo + USECS_PER_DAY;
		if (timestamp2tm(d->cached_lo, &tz, &tm, &fsec, NULL, NULL) != 0 ||
			tm.tm_hour != 0 || tm.tm_min != 0 || tm.tm_sec != 0 || fsec != 0 ||
			timestamp2tm(d->cached_hi - 1, &tz, &tm, &fsec, NULL, NULL) != 0 ||
			date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) != jd)
			d->cached_lo = d->cached_hi = 0;	/* a DST change: no cache */
	}
	return d->cached_period;
}

/* One row: (customer, time) to a (customer, period) pair. */
static void
CohortReadRow(TupleTableSlot *slot, void *arg)
{
	CohortData *d = (CohortData *) arg;
	TimestampTz ts;
	int32		customer;
	int32		period;

	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	ts = DatumGetTimestampTz(CrmCastValue(&d->ts_cast, slot->tts_values[1]));
	JourneyCheckFiniteTs(ts, d->fn);
	if (d->have_as_of && ts > d->as_of)
		return;
	if (ts > d->max_ts)
		d->max_ts = ts;
	customer = JourneyKeysInternDatum(&d->customers, slot->tts_values[0], d->key_type, &d->key_out);
	period = CohortPeriod(d, ts);
	if (d->n == d->cap)
	{
		d->cap *= 2;
		d->pairs = CrmMemoryRealloc(d->pairs, d->cap, sizeof(uint64), d->fn,
									"The activity of the query");
	}
	d->pairs[d->n++] = ((uint64) customer << 32) | (uint32) ((int64) period + 0x80000000LL);
}

/* Sort 64-bit keys: least significant digit radix sort, 16 bits a pass. */
static void
CohortRadixSort(uint64 *a, int64 n, const char *fn)
{
	uint64	   *tmp;
	int64	   *count;

	if (n < 2)
		return;
	tmp = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(uint64), fn, "A sort buffer");
	count = palloc(sizeof(int64) * 65536);
	for (int shift = 0; shift < 64; shift += 16)
	{
		int64		sum = 0;
		bool		one_bucket = false;

		memset(count, 0, sizeof(int64) * 65536);
		for (int64 i = 0; i < n; i++)
			count[(a[i] >> shift) & 0xFFFF]++;
		for (int b = 0; b < 65536; b++)
		{
			int64		c = count[b];

			if (c == n)
				one_bucket = true;
			count[b] = sum;
			sum += c;
		}
		if (one_bucket)
			continue;			/* this digit is the same everywhere */
		for (int64 i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 0xFFFF]++] = a[i];
		memcpy(a, tmp, n * sizeof(uint64));
		CHECK_FOR_INTERRUPTS();
	}
	pfree(tmp);
	pfree(count);
}

/* Read a text argument that must not be NULL. */
static char *
CohortTextArg(FunctionCallInfo fcinfo, int argno, const char *name, const char *hint)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the %s of crm.cohort_retention must not be NULL", name),
				 errhint("%s", hint)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * crm.cohort_retention(query, grain, mode, as_of): cohort, period, cohort
 * size, customers active and rate.
 */
Datum
cohort_retention(PG_FUNCTION_ARGS)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID};
	const char *fn = "crm.cohort_retention";
	const char *columns = "(customer, activity_time)";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query = CohortTextArg(fcinfo, 0, "query", "Pass a SELECT returning (customer, activity_time).");
	char	   *grain = CohortTextArg(fcinfo, 1, "grain", "Pass 'day', 'week', 'month', 'quarter' or 'year'.");
	char	   *mode = CohortTextArg(fcinfo, 2, "mode", "Pass 'on' or 'on_or_after'.");
	bool		on_or_after;
	CohortData	d;
	CrmQuery	q;
	bool		typisvarlena;
	Oid			outfn;
	int32		qlast,
				cmin = PG_INT32_MAX,
				cmax = PG_INT32_MIN;
	int64	   *size;
	int64	   *offset;
	int64	   *active;
	int64		cells;

	memset(&d, 0, sizeof(d));
	d.fn = fn;
	if (pg_strcasecmp(grain, "day") == 0)
		d.grain = COHORT_DAY;
	else if (pg_strcasecmp(grain, "week") == 0)
		d.grain = COHORT_WEEK;
	else if (pg_strcasecmp(grain, "month") == 0)
		d.grain = COHORT_MONTH;
	else if (pg_strcasecmp(grain, "quarter") == 0)
		d.grain = COHORT_QUARTER;
	else if (pg_strcasecmp(grain, "year") == 0)
		d.grain = COHORT_YEAR;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown grain \"%s\" of %s", grain, fn),
				 errhint("Pass 'day', 'week', 'month', 'quarter' or 'year'.")));
	if (pg_strcasecmp(mode, "on") == 0)
		on_or_after = false;
	else if (pg_strcasecmp(mode, "on_or_after") == 0)
		on_or_after = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown mode \"%s\" of %s", mode, fn),
				 errhint("Pass 'on' (active in that period) or 'on_or_after' (active in that period or later).")));
	if (!PG_ARGISNULL(3))
	{
		d.have_as_of = true;
		d.as_of = PG_GETARG_TIMESTAMPTZ(3);
		if (TIMESTAMP_NOT_FINITE(d.as_of))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of of %s must be a finite time", fn),
					 errhint("Pass the end of the observation, or NULL for the latest activity.")));
	}
	d.max_ts = DT_NOBEGIN;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	d.ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.cohort_retention", ALLOCSET_DEFAULT_SIZES);
	CrmQueryOpen(&q, query, 2, 2, fn, columns);
	CrmCheckColumnType(q.desc, 2, fn, "activity_time", ts_types, lengthof(ts_types), "timestamptz");
	d.key_type = getBaseType(TupleDescAttr(q.desc, 0)->atttypid);
	getTypeOutputInfo(TupleDescAttr(q.desc, 0)->atttypid, &outfn, &typisvarlena);
	fmgr_info_cxt(outfn, &d.key_out, d.ctx);
	CrmCastInit(&d.ts_cast, TupleDescAttr(q.desc, 1)->atttypid, TIMESTAMPTZOID, fn, "2 (activity_time)");
	JourneyKeysInit(&d.customers, d.ctx, fn, "customers");
	d.cap = 1024;
	d.pairs = CrmMemoryAlloc(d.ctx, d.cap, sizeof(uint64), fn, "The activity of the query");
	(void) CrmQueryForEachRow(&q, CohortReadRow, &d);
	CrmQueryClose(&q);

	if (d.n == 0)
	{
		MemoryContextDelete(d.ctx);
		SPI_finish();
		return (Datum) 0;
	}
	d.cached_lo = d.cached_hi = 0;
	qlast = CohortPeriod(&d, d.have_as_of ? d.as_of : d.max_ts);

	{
		MemoryContext old = MemoryContextSwitchTo(d.ctx);

		CohortRadixSort(d.pairs, d.n, fn);
		MemoryContextSwitchTo(old);
	}
	for (int64 i = 0; i < d.n; i++)
	{
		int32		p = (int32) ((int64) (uint32) d.pairs[i] - 0x80000000LL);

		if (i == 0 || (d.pairs[i] >> 32) != (d.pairs[i - 1] >> 32))
		{
			cmin = Min(cmin, p);
			cmax = Max(cmax, p);
		}
	}

	/* triangular table: cohort c has periods 0 .. qlast - c */
	size = CrmMemoryAlloc(d.ctx, cmax - cmin + 1, sizeof(int64), fn, "The cohort table");
	offset = CrmMemoryAlloc(d.ctx, cmax - cmin + 2, sizeof(int64), fn, "The cohort table");
	cells = 0;
	for (int32 c = cmin; c <= cmax; c++)
	{
		offset[c - cmin] = cells;
		cells += (int64) qlast - c + 1;
	}
	offset[cmax - cmin + 1] = cells;
	memset(size, 0, sizeof(int64) * (cmax - cmin + 1));
	active = CrmMemoryAlloc(d.ctx, cells, sizeof(int64), fn, "The cohort table");
	memset(active, 0, sizeof(int64) * cells);

	{
		int64		i = 0;

		while (i < d.n)
		{
			uint64		cust = d.pairs[i] >> 32;
			int32		first = (int32) ((int64) (uint32) d.pairs[i] - 0x80000000LL);
			int64	   *row = active + offset[first - cmin];
			int32		prev = PG_INT32_MIN;
			int32		p = first;

			size[first - cmin]++;
			for (; i < d.n && (d.pairs[i] >> 32) == cust; i++)
			{
				p = (int32) ((int64) (uint32) d.pairs[i] - 0x80000000LL);
				if (p != prev && !on_or_after)
					row[p - first]++;
				prev = p;
			}
			if (on_or_after)
				row[p - first]++;	/* the last period; summed backwards below */
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
	if (on_or_after)
		for (int32 c = cmin; c <= cmax; c++)
		{
			int64	   *row = active + offset[c - cmin];

			for (int32 k = qlast - c - 1; k >= 0; k--)
				row[k] += row[k + 1];
		}

	for (int32 c = cmin; c <= cmax; c++)
	{
		int64	   *row = active + offset[c - cmin];
		Datum		cohort;

		if (size[c - cmin] == 0)
			continue;
		cohort = DateADTGetDatum(CohortPeriodStart(d.grain, c) - POSTGRES_EPOCH_JDATE);
		for (int32 k = 0; k <= qlast - c; k++)
		{
			Datum		values[5];
			bool		nulls[5] = {false};

			values[0] = cohort;
			values[1] = Int32GetDatum(k);
			values[2] = Int64GetDatum(size[c - cmin]);
			if (c + k >= qlast)
				nulls[3] = nulls[4] = true;
			else
			{
				values[3] = Int64GetDatum(row[k]);
				values[4] = Float8GetDatum((double) row[k] / (double) size[c - cmin]);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	MemoryContextDelete(d.ctx);
	SPI_finish();
	return (Datum) 0;
}
