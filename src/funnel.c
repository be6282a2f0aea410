/*
 * funnel.c
 *		Conversion funnels: crm.window_funnel, crm.funnel_times,
 *		crm.funnel_report and crm.retention, with ClickHouse's windowFunnel
 *		and retention semantics.
 *
 * window_funnel(window, [mode,] ts, VARIADIC steps) returns the highest step
 * reached by one chain of events of the group.  The rows of the group are
 * read as entries (ts, k), one for every step k whose condition the row
 * meets, ordered by (ts, k): so one row may serve as several consecutive
 * steps, and at equal times a lower step comes first.  Every step-1 entry
 * starts a chain; an entry of step k extends a chain whose step k-1 came
 * before it when ts <= start of that chain + window (inclusive).  The level
 * is the highest k of any chain.
 *
 * The scan keeps, for every level k, the latest start of the chains that
 * reached k (a later start leaves more room for the next steps, so it is
 * the only one that matters); that is ClickHouse's algorithm (Sundy Li,
 * ClickHouse PR 2352, 2018), O(rows x steps) after sorting.  With
 * strict_increase (each step strictly later than the previous one) the
 * latest start is kept separately for chains whose last step is at the
 * current time and for those before it, so the result is exact: a chain is
 * found whenever one exists (ClickHouse keeps one chain per level and can
 * miss a chain whose last step shares its time with a newer start).
 *
 * The modes stop the scan early, returning the highest level reached so far:
 *   strict_deduplication  at an entry of a step k >= 2 already reached (a
 *                         repeated step 1 starts a new chain, as always);
 *   strict_order          once a chain has started (level L >= 1), at any
 *                         entry other than step L (a repeat of the current
 *                         step) or step L + 1, and at any row matching no
 *                         step: a,b,a,c for steps a,b,c gives 2, a,a,b,b,c,c
 *                         gives 3, a,d,b,c gives 1, a,c,b gives 1;
 *   strict_increase       as above.
 *
 * funnel_times returns the times of the chain that reached the highest
 * level: of all such chains (within the part of the scan a mode allowed),
 * the earliest, comparing step times in order; so cardinality(times) equals
 * the level and times[k] - times[1] is the time to convert to step k.
 *
 * funnel_report(query, window, mode) runs a query returning (visitor,
 * time, step_1, ..., step_n) and gives per step the visitors reaching it,
 * those lost, the conversions and the median times from step 1 and from the
 * previous step: each visitor's level and chain are the ones window_funnel
 * and funnel_times give, but the rows are grouped here (a dictionary of
 * visitors and a counting sort), which costs a fraction of a GROUP BY.
 *
 * retention(VARIADIC conditions) is ClickHouse's retention: element 1 tells
 * whether condition 1 held on some row of the group, element k whether
 * conditions 1 and k both held (on any rows).  Its state is a bigint.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "deviation.h"
#include "journeys.h"

#define FUNNEL_STATE_FORMAT		1

#define FUNNEL_STRICT_DEDUPLICATION	0x01
#define FUNNEL_STRICT_ORDER			0x02
#define FUNNEL_STRICT_INCREASE		0x04
#define FUNNEL_ALL_MODES			0x07

#define FUNNEL_NONE		PG_INT64_MIN

/* Aggregate state of crm.window_funnel and crm.funnel_times. */
typedef struct FunnelState
{
	int64		window;			/* microseconds, > 0 */
	Interval	window_iv;		/* as given (fast equality check) */
	int32		nsteps;			/* 1..JOURNEY_MAX_STEPS */
	int32		mode;			/* FUNNEL_* flags */
	char	   *mode_text;		/* last mode text seen (fast equality check) */
	int			mode_len;
	JourneyEventLog log;		/* rows matching a step (all rows with strict_order) */
} FunnelState;

/* Where a mode stopped the scan. */
typedef struct FunnelStop
{
	int64		row;			/* first row of the time group, -1 = no stop */
	int			step;			/* entry that stopped it (0 = a row matching no step) */
	bool		step_kept;		/* that entry's first copy was still processed */
} FunnelStop;

PG_FUNCTION_INFO_V1(window_funnel_transfn);
PG_FUNCTION_INFO_V1(window_funnel_combinefn);
PG_FUNCTION_INFO_V1(window_funnel_serialfn);
PG_FUNCTION_INFO_V1(window_funnel_deserialfn);
PG_FUNCTION_INFO_V1(window_funnel_finalfn);
PG_FUNCTION_INFO_V1(funnel_times_finalfn);
PG_FUNCTION_INFO_V1(funnel_report);
PG_FUNCTION_INFO_V1(retention_transfn);
PG_FUNCTION_INFO_V1(retention_combinefn);
PG_FUNCTION_INFO_V1(retention_finalfn);

/* Parse a comma-separated mode list into FUNNEL_* flags. */
static int32
FunnelParseMode(const char *s, int len)
{
	int32		mode = 0;
	int			i = 0;

	while (i <= len)
	{
		int			b,
					e;

		/* one item: trim blanks around it */
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		b = i;
		while (i < len && s[i] != ',')
			i++;
		e = i;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e > b)
		{
			int			n = e - b;

			if (n == 20 && strncmp(s + b, "strict_deduplication", n) == 0)
				mode |= FUNNEL_STRICT_DEDUPLICATION;
			else if (n == 12 && strncmp(s + b, "strict_order", n) == 0)
				mode |= FUNNEL_STRICT_ORDER;
			else if (n == 15 && strncmp(s + b, "strict_increase", n) == 0)
				mode |= FUNNEL_STRICT_INCREASE;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown window_funnel mode \"%.*s\"", n, s + b),
						 n == 6 && strncmp(s + b, "strict", 6) == 0 ?
						 errhint("\"strict\" is called \"strict_deduplication\" (as in ClickHouse).") :
						 errhint("The modes are strict_deduplication, strict_order and strict_increase, "
								 "separated by commas; '' for none.")));
		}
		i++;					/* past the comma */
	}
	return mode;
}

/* A new state for the first row of a group. */
static FunnelState *
FunnelStateCreate(MemoryContext aggctx, int64 window, int32 nsteps, int32 mode)
{
	FunnelState *st = MemoryContextAllocZero(aggctx, sizeof(FunnelState));

	st->window = window;
	st->nsteps = nsteps;
	st->mode = mode;
	JourneyLogInit(&st->log, aggctx, "window_funnel");
	return st;
}

/* The mode of this row must be the group's. */
static void
FunnelCheckMode(FunnelState *st, MemoryContext aggctx, text *mode)
{
	const char *s = VARDATA_ANY(mode);
	int			len = VARSIZE_ANY_EXHDR(mode);
	int32		flags;

	if (st->mode_text != NULL && len == st->mode_len && memcmp(s, st->mode_text, len) == 0)
		return;
	flags = FunnelParseMode(s, len);
	if (st->mode_text != NULL || st->log.n > 0)
		if (flags != st->mode)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the mode of window_funnel must be the same for every row of a group")));
	st->mode = flags;
	if (st->mode_text)
		pfree(st->mode_text);
	st->mode_text = MemoryContextAlloc(aggctx, len + 1);
	memcpy(st->mode_text, s, len);
	st->mode_len = len;
}

/*
 * Transition function of both signatures: (window, ts, steps) and
 * (window, mode, ts, steps).
 */
Datum
window_funnel_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "window_funnel_transfn");
	FunnelState *st = PG_ARGISNULL(0) ? NULL : (FunnelState *) PG_GETARG_POINTER(0);
	bool		has_mode = PG_NARGS() == 5;
	int			ts_arg = has_mode ? 3 : 2;
	int			steps_arg = has_mode ? 4 : 3;
	int64		window;
	ArrayType  *steps;
	uint32		mask;
	TimestampTz ts;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the window of window_funnel must not be NULL"),
				 errhint("Pass an interval such as '1 day'.")));
	if (has_mode && PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the mode of window_funnel must not be NULL"),
				 errhint("Pass '' for no mode.")));
	if (PG_ARGISNULL(steps_arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the steps of window_funnel must not be NULL"),
				 errhint("Pass one boolean expression per step.")));
	steps = PG_GETARG_ARRAYTYPE_P(steps_arg);
	if (st == NULL)
	{
		window = JourneyIntervalUsecs(PG_GETARG_INTERVAL_P(1), "window_funnel", "window", false);
		st = FunnelStateCreate(aggctx, window,
							   JourneyConditionCount(steps, "window_funnel", "steps"), 0);
		st->window_iv = *PG_GETARG_INTERVAL_P(1);
	}
	else if (memcmp(&st->window_iv, PG_GETARG_INTERVAL_P(1), sizeof(Interval)) != 0)
	{
		window = JourneyIntervalUsecs(PG_GETARG_INTERVAL_P(1), "window_funnel", "window", false);
		if (st->window != window)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the window of window_funnel must be the same for every row of a group")));
	}
	if (has_mode)
		FunnelCheckMode(st, aggctx, PG_GETARG_TEXT_PP(2));
	mask = JourneyConditionMask(steps, st->nsteps, "window_funnel", "steps");

	if (PG_ARGISNULL(ts_arg))
		PG_RETURN_POINTER(st);
	ts = PG_GETARG_TIMESTAMPTZ(ts_arg);
	JourneyCheckFiniteTs(ts, "window_funnel");
	/* rows matching no step matter only to strict_order */
	if (mask != 0 || (st->mode & FUNNEL_STRICT_ORDER))
		JourneyLogAppend(&st->log, ts, mask, "window_funnel");
	PG_RETURN_POINTER(st);
}

/* Merge two partial states (parallel workers). */
Datum
window_funnel_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "window_funnel_combinefn");
	FunnelState *s1 = PG_ARGISNULL(0) ? NULL : (FunnelState *) PG_GETARG_POINTER(0);
	FunnelState *s2 = PG_ARGISNULL(1) ? NULL : (FunnelState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = FunnelStateCreate(aggctx, s2->window, s2->nsteps, s2->mode);
	else if (s1->window != s2->window || s1->nsteps != s2->nsteps || s1->mode != s2->mode)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the window, mode and number of steps of window_funnel must be the same for every row of a group")));
	JourneyLogConcat(&s1->log, &s2->log, "window_funnel");
	PG_RETURN_POINTER(s1);
}

/* Serialize a state for transfer between processes. */
Datum
window_funnel_serialfn(PG_FUNCTION_ARGS)
{
	FunnelState *st = (FunnelState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) CrmAggContext(fcinfo, "window_funnel_serialfn");
	if ((Size) st->log.n * sizeof(JourneyEvent) + 64 > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("window_funnel cannot pass %lld events of one group between parallel workers",
						(long long) st->log.n),
				 errhint("Set max_parallel_workers_per_gather = 0 for this query.")));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FUNNEL_STATE_FORMAT);
	pq_sendint64(&buf, st->window);
	pq_sendint32(&buf, st->nsteps);
	pq_sendint32(&buf, st->mode);
	JourneyLogSerialize(&buf, &st->log);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state from its serialized form, validating every field. */
Datum
window_funnel_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "window_funnel_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	FunnelState *st;
	int64		window;
	int32		nsteps,
				mode;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	if (pq_getmsgbyte(&buf) != FUNNEL_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported window_funnel state format")));
	window = pq_getmsgint64(&buf);
	nsteps = pq_getmsgint(&buf, 4);
	mode = pq_getmsgint(&buf, 4);
	if (window <= 0 || nsteps < 1 || nsteps > JOURNEY_MAX_STEPS || (mode & ~FUNNEL_ALL_MODES) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid window_funnel state")));
	st = MemoryContextAllocZero(aggctx, sizeof(FunnelState));
	st->window = window;
	st->nsteps = nsteps;
	st->mode = mode;
	JourneyLogDeserialize(&buf, &st->log, nsteps, aggctx, "window_funnel");
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Number of rows in ev[i..j) matching step s. */
static int
FunnelRowsWithStep(const JourneyEvent *ev, int64 i, int64 j, int s)
{
	uint32		bit = (uint32) 1 << (s - 1);
	int			c = 0;

	for (; i < j && c < 2; i++)
		if (ev[i].mask & bit)
			c++;
	return c;
}

/*
 * Scan the rows (in time order) and return the highest level reached; *stop
 * tells where a mode stopped the scan (row -1: it did not).
 */
static int
FunnelScan(const FunnelState *st, const JourneyEvent *ev, int64 n, FunnelStop *stop)
{
	int			K = st->nsteps;
	int64		W = st->window;
	bool		dedup = (st->mode & FUNNEL_STRICT_DEDUPLICATION) != 0;
	bool		order = (st->mode & FUNNEL_STRICT_ORDER) != 0;
	bool		increase = (st->mode & FUNNEL_STRICT_INCREASE) != 0;
	int64		before[JOURNEY_MAX_STEPS];	/* latest start, last step before now */
	int64		at[JOURNEY_MAX_STEPS];	/* latest start, last step at now */
	int			L = 0;
	int64		i = 0;
	uint32		groups = 0;

	stop->row = -1;
	stop->step = 0;
	stop->step_kept = false;
	for (int k = 0; k < K; k++)
		before[k] = at[k] = FUNNEL_NONE;

	while (i < n)
	{
		TimestampTz t = ev[i].ts;
		uint32		m = ev[i].mask;
		bool		zero = m == 0;
		int64		j = i + 1;

		while (j < n && ev[j].ts == t)
		{
			m |= ev[j].mask;
			zero |= ev[j].mask == 0;
			j++;
		}
		/* a new time: chains that ended at the previous time are "before" */
		for (int k = 0; k < L; k++)
			if (at[k] != FUNNEL_NONE)
			{
				if (at[k] > before[k])
					before[k] = at[k];
				at[k] = FUNNEL_NONE;
			}
		if (zero && order && L >= 1)
		{
			stop->row = i;
			stop->step = 0;
			return L;
		}
		while (m != 0)
		{
			int			s = pg_rightmost_one_pos32(m) + 1;

			m &= m - 1;
			if (order && L >= 1 && s != L && s != L + 1)
			{
				stop->row = i;
				stop->step = s;
				return L;
			}
			if (s == 1)
			{
				at[0] = t;
				if (L < 1)
					L = 1;
			}
			else
			{
				int64		cand;
				int64		elapsed;

				if (dedup && L >= s)
				{
					stop->row = i;
					stop->step = s;
					return L;
				}
				cand = before[s - 2];
				if (!increase && at[s - 2] > cand)
					cand = at[s - 2];
				if (cand != FUNNEL_NONE &&
					!pg_sub_s64_overflow(t, cand, &elapsed) && elapsed <= W)
				{
					if (cand > at[s - 1])
						at[s - 1] = cand;
					if (L < s)
						L = s;
				}
			}
			if (L == K)
				return K;
			/* a second row of this time with the same step repeats it */
			if (dedup && s >= 2 && L >= s && j - i > 1 && FunnelRowsWithStep(ev, i, j, s) > 1)
			{
				stop->row = i;
				stop->step = s;
				stop->step_kept = true;
				return L;
			}
		}
		i = j;
		if ((++groups & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return L;
}

/* Level of a state (0 for no rows). */
Datum
window_funnel_finalfn(PG_FUNCTION_ARGS)
{
	FunnelState *st;
	const JourneyEvent *ev;
	JourneyEvent *copy;
	FunnelStop stop;
	int			level;

	(void) CrmAggContext(fcinfo, "window_funnel_finalfn");
	st = PG_ARGISNULL(0) ? NULL : (FunnelState *) PG_GETARG_POINTER(0);
	if (st == NULL || st->log.n == 0)
		PG_RETURN_INT32(0);
	ev = JourneyLogSortedView(&st->log, "window_funnel", &copy);
	level = FunnelScan(st, ev, st->log.n, &stop);
	if (copy)
		pfree(copy);
	PG_RETURN_INT32(level);
}

/* First index in list[0..n) with value >= v. */
static int64
FunnelLowerBound(const int64 *list, int64 n, int64 v)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (list[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The earliest chain reaching level L among the entries the scan processed:
 * times[0..L).  For each start in time order, the earliest next steps are
 * taken (an earlier step never hurts the rest of a chain); the first start
 * that reaches L gives the chain.
 */
static void
FunnelEarliestChain(const FunnelState *st, const JourneyEvent *ev, int64 n,
					const FunnelStop *stop, int L, TimestampTz *times)
{
	bool		increase = (st->mode & FUNNEL_STRICT_INCREASE) != 0;
	int64		end = stop->row >= 0 ? stop->row : n;
	int64		ngroups = 0;
	TimestampTz *gts;
	int64	   *count;
	int64	  **list;
	int64		i;

	/* time groups up to the stop, with the steps each one offers */
	gts = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(TimestampTz), "funnel_times",
						 "The time groups of one group");
	count = palloc0(sizeof(int64) * (L + 1));
	list = palloc0(sizeof(int64 *) * (L + 1));
	for (i = 0; i < n; i++)		/* an upper bound of the groups with each step */
		for (int s = 1; s <= L; s++)
			if (ev[i].mask & ((uint32) 1 << (s - 1)))
				count[s]++;
	for (int s = 1; s <= L; s++)
	{
		list[s] = CrmMemoryAlloc(CurrentMemoryContext, count[s], sizeof(int64), "funnel_times",
								 "The time groups of one group");
		count[s] = 0;
	}
	i = 0;
	while (i < n)
	{
		TimestampTz t = ev[i].ts;
		uint32		m = 0;
		int64		j = i;

		while (j < n && ev[j].ts == t)
			m |= ev[j++].mask;
		if (i == end)
		{
			/* the stopping group: only the steps before the stopping entry */
			int			last = stop->step_kept ? stop->step : stop->step - 1;

			m &= last <= 0 ? 0 : (last >= 32 ? PG_UINT32_MAX : (((uint32) 1 << last) - 1));
		}
		else if (i > end)
			break;
		gts[ngroups] = t;
		for (int s = 1; s <= L; s++)
			if (m & ((uint32) 1 << (s - 1)))
				list[s][count[s]++] = ngroups;
		ngroups++;
		i = j;
		if ((ngroups & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	for (int64 a = 0; a < count[1]; a++)
	{
		int64		g0 = list[1][a];
		int64		prev = g0;
		int			s;

		CHECK_FOR_INTERRUPTS();
		times[0] = gts[g0];
		for (s = 2; s <= L; s++)
		{
			int64		p = FunnelLowerBound(list[s], count[s], increase ? prev + 1 : prev);

			if (p == count[s] || gts[list[s][p]] - gts[g0] > st->window)
				break;
			prev = list[s][p];
			times[s - 1] = gts[prev];
		}
		if (s > L)
			return;
	}
	elog(ERROR, "funnel_times found no chain of level %d", L);
}

/* Times of the steps of the earliest chain reaching the highest level. */
Datum
funnel_times_finalfn(PG_FUNCTION_ARGS)
{
	FunnelState *st;
	const JourneyEvent *ev;
	JourneyEvent *copy;
	FunnelStop stop;
	int			level;
	TimestampTz times[JOURNEY_MAX_STEPS];
	Datum		elems[JOURNEY_MAX_STEPS];

	(void) CrmAggContext(fcinfo, "funnel_times_finalfn");
	st = PG_ARGISNULL(0) ? NULL : (FunnelState *) PG_GETARG_POINTER(0);
	if (st == NULL || st->log.n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TIMESTAMPTZOID));
	ev = JourneyLogSortedView(&st->log, "funnel_times", &copy);
	level = FunnelScan(st, ev, st->log.n, &stop);
	if (level == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TIMESTAMPTZOID));
	FunnelEarliestChain(st, ev, st->log.n, &stop, level, times);
	if (copy)
		pfree(copy);
	for (int k = 0; k < level; k++)
		elems[k] = TimestampTzGetDatum(times[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, level, TIMESTAMPTZOID, sizeof(TimestampTz),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* ---------- funnel_report ---------- */

/* A row of the query of funnel_report: its visitor, steps and time. */
typedef struct FunnelRow
{
	int32		visitor;
	uint32		mask;
	TimestampTz ts;
} FunnelRow;

typedef struct FunnelReportData
{
	const char *fn;
	int			nsteps;
	bool		keep_all;		/* strict_order: rows matching no step count */
	JourneyKeyTable visitors;
	Oid			key_type;
	FmgrInfo	key_out;
	CrmCast		ts_cast;
	bool		int_keys;		/* integer visitors: interned after the reading */
	FunnelRow  *rows;
	int64	   *keys;			/* with int_keys: the visitor of each row */
	int64		n;
	int64		cap;
} FunnelReportData;

/* One row of the query: (visitor, time, step_1, ..., step_n). */
static void
FunnelReadRow(TupleTableSlot *slot, void *arg)
{
	FunnelReportData *d = (FunnelReportData *) arg;
	uint32		mask = 0;
	int32		visitor;
	TimestampTz ts;

	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	ts = DatumGetTimestampTz(CrmCastValue(&d->ts_cast, slot->tts_values[1]));
	JourneyCheckFiniteTs(ts, d->fn);
	for (int k = 0; k < d->nsteps; k++)
		if (!slot->tts_isnull[k + 2] && DatumGetBool(slot->tts_values[k + 2]))
			mask |= (uint32) 1 << k;
	/*
	 * Every visitor counts, also one whose rows match no step: integer
	 * visitors are kept with every row and interned after the reading (with
	 * prefetching), others are interned now.
	 */
	if (d->int_keys)
		visitor = -1;
	else
	{
		visitor = JourneyKeysInternDatum(&d->visitors, slot->tts_values[0], d->key_type, &d->key_out);
		if (mask == 0 && !d->keep_all)
			return;
	}
	if (unlikely(d->n == d->cap))
	{
		d->cap *= 2;
		d->rows = CrmMemoryRealloc(d->rows, d->cap, sizeof(FunnelRow), d->fn, "The events of the query");
		if (d->int_keys)
			d->keys = CrmMemoryRealloc(d->keys, d->cap, sizeof(int64), d->fn, "The events of the query");
	}
	if (d->int_keys)
		d->keys[d->n] = d->key_type == INT8OID ? DatumGetInt64(slot->tts_values[0]) :
			d->key_type == INT4OID ? DatumGetInt32(slot->tts_values[0]) : DatumGetInt16(slot->tts_values[0]);
	d->rows[d->n].visitor = visitor;
	d->rows[d->n].mask = mask;
	d->rows[d->n].ts = ts;
	d->n++;
}

/*
 * crm.funnel_report(query, window, mode): the whole funnel of a query
 * returning (visitor, event_time, step_1, ..., step_n) in one call, each
 * visitor's level and chain exactly as window_funnel and funnel_times give
 * them when grouped by visitor.  The rows are grouped here (a dictionary of
 * visitors and a counting sort), not by a GROUP BY.
 */
Datum
funnel_report(PG_FUNCTION_ARGS)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID};
	static const Oid bool_types[] = {BOOLOID};
	const char *fn = "crm.funnel_report";
	const char *columns = "(visitor, event_time, step_1, ..., step_n)";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FunnelReportData d;
	FunnelState st;
	text	   *mode;
	CrmQuery	q;
	MemoryContext ctx,
				scratch,
				old;
	bool		typisvarlena;
	Oid			outfn;
	int32		nvisitors;
	int64	   *start;
	JourneyEvent *ev;
	int64		reached[JOURNEY_MAX_STEPS + 1];
	int64		ndur[JOURNEY_MAX_STEPS];
	double	   *since_first[JOURNEY_MAX_STEPS];	/* microseconds */
	double	   *since_prev[JOURNEY_MAX_STEPS];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the query of %s must not be NULL", fn),
				 errhint("Pass a SELECT returning %s.", columns)));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the window of %s must not be NULL", fn),
				 errhint("Pass an interval such as '1 day'.")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the mode of %s must not be NULL", fn),
				 errhint("Pass '' for no mode.")));
	memset(&st, 0, sizeof(st));
	st.window = JourneyIntervalUsecs(PG_GETARG_INTERVAL_P(1), fn, "window", false);
	mode = PG_GETARG_TEXT_PP(2);
	st.mode = FunnelParseMode(VARDATA_ANY(mode), VARSIZE_ANY_EXHDR(mode));

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.funnel_report", ALLOCSET_DEFAULT_SIZES);
	memset(&d, 0, sizeof(d));
	d.fn = fn;
	CrmQueryOpen(&q, text_to_cstring(PG_GETARG_TEXT_PP(0)), 3, 2 + JOURNEY_MAX_STEPS, fn, columns);
	CrmCheckColumnType(q.desc, 2, fn, "event_time", ts_types, lengthof(ts_types), "timestamptz");
	d.nsteps = q.desc->natts - 2;
	for (int k = 0; k < d.nsteps; k++)
		CrmCheckColumnType(q.desc, k + 3, fn, psprintf("step_%d", k + 1), bool_types, 1, "boolean");
	st.nsteps = d.nsteps;
	d.keep_all = (st.mode & FUNNEL_STRICT_ORDER) != 0;
	d.key_type = getBaseType(TupleDescAttr(q.desc, 0)->atttypid);
	getTypeOutputInfo(TupleDescAttr(q.desc, 0)->atttypid, &outfn, &typisvarlena);
	fmgr_info_cxt(outfn, &d.key_out, ctx);
	CrmCastInit(&d.ts_cast, TupleDescAttr(q.desc, 1)->atttypid, TIMESTAMPTZOID, fn, "2 (event_time)");
	JourneyKeysInit(&d.visitors, ctx, fn, "visitors");
	d.int_keys = JourneyKeysIntType(d.key_type);
	d.cap = 1024;
	d.rows = CrmMemoryAlloc(ctx, d.cap, sizeof(FunnelRow), fn, "The events of the query");
	if (d.int_keys)
		d.keys = CrmMemoryAlloc(ctx, d.cap, sizeof(int64), fn, "The events of the query");
	(void) CrmQueryForEachRow(&q, FunnelReadRow, &d);
	CrmQueryClose(&q);
	if (d.int_keys)
	{
		/* the visitors in row order, then only the rows that are events */
		int64		kept = 0;

		JourneyKeysInternInts(&d.visitors, d.keys, d.n);
		for (int64 i = 0; i < d.n; i++)
		{
			if (d.rows[i].mask == 0 && !d.keep_all)
				continue;
			d.rows[kept] = d.rows[i];
			d.rows[kept++].visitor = (int32) d.keys[i];
		}
		d.n = kept;
		pfree(d.keys);
		d.keys = NULL;
	}
	nvisitors = JourneyKeysCount(&d.visitors);

	/* the events of each visitor together (a counting sort), in arrival order */
	old = MemoryContextSwitchTo(ctx);
	start = CrmMemoryAlloc0(ctx, (Size) nvisitors + 1, sizeof(int64), fn, "The events of the query");
	for (int64 i = 0; i < d.n; i++)
	{
		start[d.rows[i].visitor + 1]++;
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (int32 v = 0; v < nvisitors; v++)
		start[v + 1] += start[v];
	ev = CrmMemoryAlloc(ctx, Max(d.n, 1), sizeof(JourneyEvent), fn, "The events of the query");
	{
		int64	   *fill = CrmMemoryAlloc(ctx, Max(nvisitors, 1), sizeof(int64), fn, "The events of the query");

		memcpy(fill, start, sizeof(int64) * nvisitors);
		for (int64 i = 0; i < d.n; i++)
		{
			JourneyEvent *e = &ev[fill[d.rows[i].visitor]++];

			e->ts = d.rows[i].ts;
			e->mask = d.rows[i].mask;
			if ((i & 0xFFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(fill);
		pfree(d.rows);
		d.rows = NULL;
	}

	/* each visitor's level and chain */
	memset(reached, 0, sizeof(reached));
	memset(ndur, 0, sizeof(ndur));
	for (int k = 1; k < d.nsteps; k++)
	{
		since_first[k] = CrmMemoryAlloc(ctx, Max(nvisitors, 1), sizeof(double), fn, "The times to convert");
		since_prev[k] = CrmMemoryAlloc(ctx, Max(nvisitors, 1), sizeof(double), fn, "The times to convert");
	}
	scratch = AllocSetContextCreate(ctx, "crm.funnel_report visitor", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(scratch);
	for (int32 v = 0; v < nvisitors; v++)
	{
		JourneyEvent *e = ev + start[v];
		int64		n = start[v + 1] - start[v];
		FunnelStop	stop;
		TimestampTz times[JOURNEY_MAX_STEPS];
		int			level;

		if ((v & 0x3FF) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(scratch);
		}
		if (n == 0)
			continue;
		JourneyEventsSort(e, n);
		level = FunnelScan(&st, e, n, &stop);
		if (level == 0)
			continue;
		reached[level]++;
		if (level < 2)
			continue;
		FunnelEarliestChain(&st, e, n, &stop, level, times);
		for (int k = 1; k < level; k++)
		{
			since_first[k][ndur[k]] = (double) (times[k] - times[0]);
			since_prev[k][ndur[k]] = (double) (times[k] - times[k - 1]);
			ndur[k]++;
		}
	}
	MemoryContextSwitchTo(ctx);

	/* visitors reaching step k: those whose level is k or more */
	for (int k = d.nsteps - 1; k >= 1; k--)
		reached[k] += reached[k + 1];
	for (int k = 1; k <= d.nsteps; k++)
	{
		Datum		values[7];
		bool		nulls[7] = {false};
		int64		prev = k == 1 ? nvisitors : reached[k - 1];

		values[0] = Int32GetDatum(k);
		values[1] = Int64GetDatum(reached[k]);
		values[2] = Int64GetDatum(prev - reached[k]);
		if (reached[1] > 0)
			values[3] = Float8GetDatum((double) reached[k] / (double) reached[1]);
		else
			nulls[3] = true;
		if (prev > 0)
			values[4] = Float8GetDatum((double) reached[k] / (double) prev);
		else
			nulls[4] = true;
		if (k >= 2 && ndur[k - 1] > 0)
		{
			/* the median as percentile_cont(0.5), exact on microseconds */
			values[5] = Float8GetDatum(CrmMedianInPlace(since_first[k - 1], ndur[k - 1]) / USECS_PER_SEC);
			values[6] = Float8GetDatum(CrmMedianInPlace(since_prev[k - 1], ndur[k - 1]) / USECS_PER_SEC);
		}
		else
			nulls[5] = nulls[6] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	SPI_finish();
	return (Datum) 0;
}

/* ---------- retention ---------- */

/*
 * The state of crm.retention is a bigint: the number of conditions in bits
 * 32..39 and the conditions seen in bits 0..31.
 */
#define RETENTION_N(state)		((int) (((uint64) (state)) >> 32))
#define RETENTION_SEEN(state)	((uint32) ((uint64) (state) & 0xFFFFFFFF))

/* Transition function: the conditions met by this row are added to the seen set. */
Datum
retention_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *conds;
	int			n;
	uint32		seen;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the conditions of retention must not be NULL"),
				 errhint("Pass one boolean expression per condition.")));
	conds = PG_GETARG_ARRAYTYPE_P(1);
	if (PG_ARGISNULL(0))
	{
		n = JourneyConditionCount(conds, "retention", "conditions");
		seen = 0;
	}
	else
	{
		int64		state = PG_GETARG_INT64(0);

		n = RETENTION_N(state);
		seen = RETENTION_SEEN(state);
	}
	seen |= JourneyConditionMask(conds, n, "retention", "conditions");
	PG_RETURN_INT64((int64) (((uint64) n << 32) | seen));
}

/* Merge two partial states: union of the conditions seen. */
Datum
retention_combinefn(PG_FUNCTION_ARGS)
{
	int64		a,
				b;

	if (PG_ARGISNULL(0))
	{
		if (PG_ARGISNULL(1))
			PG_RETURN_NULL();
		PG_RETURN_INT64(PG_GETARG_INT64(1));
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_INT64(PG_GETARG_INT64(0));
	a = PG_GETARG_INT64(0);
	b = PG_GETARG_INT64(1);
	if (RETENTION_N(a) != RETENTION_N(b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of conditions of retention must be the same for every row of a group"),
				 errdetail("Got %d and %d.", RETENTION_N(a), RETENTION_N(b))));
	PG_RETURN_INT64(a | b);
}

/* result[1] = condition 1 seen; result[k] = conditions 1 and k seen. */
Datum
retention_finalfn(PG_FUNCTION_ARGS)
{
	int64		state;
	int			n;
	uint32		seen;
	Datum		elems[JOURNEY_MAX_STEPS];

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = PG_GETARG_INT64(0);
	n = RETENTION_N(state);
	seen = RETENTION_SEEN(state);
	if (n < 1 || n > JOURNEY_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid crm.retention state " INT64_FORMAT, state),
				 errhint("crm.retention_finalfn is the final function of the aggregate crm.retention: call crm.retention(...).")));
	for (int k = 0; k < n; k++)
		elems[k] = BoolGetDatum((seen & 1) != 0 && (seen & ((uint32) 1 << k)) != 0);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, BOOLOID, 1, true, TYPALIGN_CHAR));
}
