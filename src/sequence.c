/*
 * sequence.c
 *		Event sequences: crm.sequence_match and crm.sequence_count (ClickHouse's
 *		sequenceMatch and sequenceCount pattern language), and the window
 *		function crm.session_number.
 *
 * A pattern is a list of items:
 *   (?N)          one event matching condition N (1-based)
 *   .             any one event
 *   .*            any number of events
 *   (?t<=S) (?t<S) (?t>=S) (?t>S) (?t==S)
 *                 a bound in seconds on the time from the event before it to
 *                 the event after it; any events may lie between those two
 *                 (as ClickHouse documents), so it also acts as .*
 * Blanks between items are ignored.  Only rows matching at least one
 * condition are events: the others are ignored, as in ClickHouse.  Events
 * are ordered by time, then by their lowest matching condition.  Without
 * .* or a time bound between two items their events are consecutive.  The
 * pattern may match anywhere (an implicit .* before it, nothing required
 * after it).  sequence_count counts non-overlapping matches the way
 * ClickHouse finds them: the leftmost match with every item as early as
 * possible, then again after its last event.
 *
 * Matching is dynamic programming instead of ClickHouse's backtracking (which
 * stops after a million steps): ok[a][p] says whether item a can match event
 * p and the rest of the pattern can follow; a time bound only involves the
 * two events around it, so ok[a] follows from ok[a+1] with one range query
 * per event (binary search on the times, a next-true index on ok[a+1]).
 * The leftmost earliest match is then read off forwards.  Time O(items x n
 * log n), memory O(items x n).
 *
 * session_number(ts, gap) OVER (PARTITION BY visitor ORDER BY ts) numbers
 * sessions 1, 2, ... per partition: a row starts a new session when more
 * than gap passed since the previous row with a time (a gap exactly equal
 * stays in the session, as MADlib's sessionize).  A NULL time gives NULL and
 * is not a row for the next one's gap.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "crm_analytics.h"
#include "journeys.h"

#define SEQUENCE_STATE_FORMAT	1
#define SEQUENCE_MAX_ITEMS		64

/* One event item of a compiled pattern and the link from the item before it. */
typedef struct SequenceItem
{
	uint32		cond;			/* condition bit, 0 = any event */
	bool		gap;			/* events may lie between the previous item and this */
	int64		lo;				/* bounds on ts(this) - ts(previous), microseconds */
	int64		hi;
} SequenceItem;

typedef struct SequencePattern
{
	int			nitems;
	SequenceItem items[SEQUENCE_MAX_ITEMS];
} SequencePattern;

/* Aggregate state of crm.sequence_match and crm.sequence_count. */
typedef struct SequenceState
{
	int32		nconds;
	char	   *pattern;
	int			pattern_len;
	JourneyEventLog log;		/* rows matching at least one condition */
} SequenceState;

PG_FUNCTION_INFO_V1(sequence_transfn);
PG_FUNCTION_INFO_V1(sequence_combinefn);
PG_FUNCTION_INFO_V1(sequence_serialfn);
PG_FUNCTION_INFO_V1(sequence_deserialfn);
PG_FUNCTION_INFO_V1(sequence_match_finalfn);
PG_FUNCTION_INFO_V1(sequence_count_finalfn);
PG_FUNCTION_INFO_V1(session_number);

/* Report a malformed pattern, pointing at a 0-based byte position. */
static void
SequencePatternError(const char *fn, const char *pat, int len, int pos, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("malformed pattern of %s at position %d: %s", fn, pos + 1, what),
			 pos < len ? errdetail("The pattern is \"%.*s\"; the error is at \"%.*s\".",
								   len, pat, len - pos, pat + pos)
			 : errdetail("The pattern is \"%.*s\"; the error is at its end.", len, pat),
			 errhint("Items: (?N) an event matching condition N, . any event, .* any events, "
					 "(?t<=S) (also <, >=, >, ==) a bound in seconds between the events around it.")));
}

/* Read a non-negative decimal number at *pos; false when there is none. */
static bool
SequenceReadNumber(const char *pat, int len, int *pos, int64 *value)
{
	int64		v = 0;
	int			p = *pos;

	if (p >= len || pat[p] < '0' || pat[p] > '9')
		return false;
	while (p < len && pat[p] >= '0' && pat[p] <= '9')
	{
		if (pg_mul_s64_overflow(v, 10, &v) || pg_add_s64_overflow(v, pat[p] - '0', &v))
			return false;
		p++;
	}
	*pos = p;
	*value = v;
	return true;
}

/* Compile a pattern for nconds conditions (errors point at the position). */
static void
SequenceCompile(const char *fn, const char *pat, int len, int nconds, SequencePattern *out)
{
	int			pos = 0;
	bool		gap = false;	/* a .* or time bound since the last item */
	bool		bound = false;	/* a time bound since the last item */
	int			bound_pos = 0;
	int64		lo = 0,
				hi = PG_INT64_MAX;

	out->nitems = 0;
	while (pos < len)
	{
		int			start = pos;
		SequenceItem *it;

		if (pat[pos] == ' ' || pat[pos] == '\t' || pat[pos] == '\n')
		{
			pos++;
			continue;
		}
		if (pat[pos] == '.')
		{
			if (pos + 1 < len && pat[pos + 1] == '*')
			{
				gap = true;
				pos += 2;
				continue;
			}
			pos++;
			if (out->nitems == SEQUENCE_MAX_ITEMS)
				SequencePatternError(fn, pat, len, start, "too many events (at most 64)");
			it = &out->items[out->nitems++];
			it->cond = 0;
		}
		else if (pat[pos] == '(' && pos + 1 < len && pat[pos + 1] == '?')
		{
			pos += 2;
			if (pos < len && pat[pos] == 't')
			{
				int			op;
				int64		secs,
							usecs;

				pos++;
				if (pos + 1 < len && pat[pos] == '<' && pat[pos + 1] == '=')
					op = 'l', pos += 2;
				else if (pos + 1 < len && pat[pos] == '>' && pat[pos + 1] == '=')
					op = 'g', pos += 2;
				else if (pos + 1 < len && pat[pos] == '=' && pat[pos + 1] == '=')
					op = '=', pos += 2;
				else if (pos < len && pat[pos] == '<')
					op = '<', pos++;
				else if (pos < len && pat[pos] == '>')
					op = '>', pos++;
				else
					SequencePatternError(fn, pat, len, pos, "expected <=, <, >=, > or == after (?t");
				if (!SequenceReadNumber(pat, len, &pos, &secs) ||
					pg_mul_s64_overflow(secs, USECS_PER_SEC, &usecs))
					SequencePatternError(fn, pat, len, pos, "expected a number of seconds");
				if (pos >= len || pat[pos] != ')')
					SequencePatternError(fn, pat, len, pos, "expected )");
				pos++;
				if (out->nitems == 0)
					SequencePatternError(fn, pat, len, start,
										 "a time condition must come after an event ((?N) or .)");
				switch (op)
				{
					case 'l':
						hi = Min(hi, usecs);
						break;
					case '<':
						hi = Min(hi, usecs - 1);
						break;
					case 'g':
						lo = Max(lo, usecs);
						break;
					case '>':
						lo = Max(lo, usecs + 1);
						break;
					default:
						lo = Max(lo, usecs);
						hi = Min(hi, usecs);
				}
				gap = true;
				if (!bound)
					bound_pos = start;
				bound = true;
				continue;
			}
			else
			{
				int64		cond;

				if (!SequenceReadNumber(pat, len, &pos, &cond))
					SequencePatternError(fn, pat, len, pos, "expected a condition number or t after (?");
				if (cond < 1 || cond > nconds)
					SequencePatternError(fn, pat, len, start + 2,
										 psprintf("condition %lld does not exist (there %s %d)",
												  (long long) cond, nconds == 1 ? "is" : "are", nconds));
				if (pos >= len || pat[pos] != ')')
					SequencePatternError(fn, pat, len, pos, "expected )");
				pos++;
				if (out->nitems == SEQUENCE_MAX_ITEMS)
					SequencePatternError(fn, pat, len, start, "too many events (at most 64)");
				it = &out->items[out->nitems++];
				it->cond = (uint32) 1 << (cond - 1);
			}
		}
		else
		{
			SequencePatternError(fn, pat, len, pos, "expected (?N), (?t...), . or .*");
			it = NULL;			/* keep the compiler quiet */
		}
		/* an event item: attach the link from the previous item */
		it->gap = gap;
		it->lo = lo;
		it->hi = hi;
		gap = bound = false;
		lo = 0;
		hi = PG_INT64_MAX;
	}
	if (bound)
		SequencePatternError(fn, pat, len, bound_pos,
							 "a time condition must come before an event ((?N) or .)");
	if (out->nitems == 0)
		SequencePatternError(fn, pat, len, len, "the pattern has no event ((?N) or .)");
	for (int i = 0; i < out->nitems; i++)
		if (out->items[i].lo > out->items[i].hi)
			out->items[i].hi = -1;	/* contradictory bounds: never matches */
}

/* Transition function of both aggregates: (pattern, ts, conditions). */
Datum
sequence_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "sequence_transfn");
	SequenceState *st = PG_ARGISNULL(0) ? NULL : (SequenceState *) PG_GETARG_POINTER(0);
	text	   *pattern;
	ArrayType  *conds;
	uint32		mask;
	TimestampTz ts;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the pattern of sequence_match and sequence_count must not be NULL")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the conditions of sequence_match and sequence_count must not be NULL"),
				 errhint("Pass one boolean expression per condition.")));
	pattern = PG_GETARG_TEXT_PP(1);
	conds = PG_GETARG_ARRAYTYPE_P(3);
	if (st == NULL)
	{
		SequencePattern compiled;
		int			len = VARSIZE_ANY_EXHDR(pattern);

		st = MemoryContextAllocZero(aggctx, sizeof(SequenceState));
		st->nconds = JourneyConditionCount(conds, "sequence_match", "conditions");
		/* a malformed pattern is reported at once */
		SequenceCompile("sequence_match", VARDATA_ANY(pattern), len, st->nconds, &compiled);
		st->pattern = MemoryContextAlloc(aggctx, len + 1);
		memcpy(st->pattern, VARDATA_ANY(pattern), len);
		st->pattern[len] = '\0';
		st->pattern_len = len;
		JourneyLogInit(&st->log, aggctx, "sequence_match/sequence_count");
	}
	else if ((int) VARSIZE_ANY_EXHDR(pattern) != st->pattern_len ||
			 memcmp(VARDATA_ANY(pattern), st->pattern, st->pattern_len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the pattern of sequence_match and sequence_count must be the same for every row of a group")));
	mask = JourneyConditionMask(conds, st->nconds, "sequence_match", "conditions");
	if (PG_ARGISNULL(2) || mask == 0)
		PG_RETURN_POINTER(st);
	ts = PG_GETARG_TIMESTAMPTZ(2);
	JourneyCheckFiniteTs(ts, "sequence_match");
	JourneyLogAppend(&st->log, ts, mask, "sequence_match/sequence_count");
	PG_RETURN_POINTER(st);
}

/* Merge two partial states (parallel workers). */
Datum
sequence_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "sequence_combinefn");
	SequenceState *s1 = PG_ARGISNULL(0) ? NULL : (SequenceState *) PG_GETARG_POINTER(0);
	SequenceState *s2 = PG_ARGISNULL(1) ? NULL : (SequenceState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = MemoryContextAllocZero(aggctx, sizeof(SequenceState));
		s1->nconds = s2->nconds;
		s1->pattern = MemoryContextAlloc(aggctx, s2->pattern_len + 1);
		memcpy(s1->pattern, s2->pattern, s2->pattern_len + 1);
		s1->pattern_len = s2->pattern_len;
		JourneyLogInit(&s1->log, aggctx, "sequence_match/sequence_count");
	}
	else if (s1->nconds != s2->nconds || s1->pattern_len != s2->pattern_len ||
			 memcmp(s1->pattern, s2->pattern, s1->pattern_len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the pattern and the number of conditions of sequence_match and sequence_count must be the same for every row of a group")));
	JourneyLogConcat(&s1->log, &s2->log, "sequence_match/sequence_count");
	PG_RETURN_POINTER(s1);
}

/* Serialize a state for transfer between processes. */
Datum
sequence_serialfn(PG_FUNCTION_ARGS)
{
	SequenceState *st = (SequenceState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) CrmAggContext(fcinfo, "sequence_serialfn");
	if ((Size) st->log.n * sizeof(JourneyEvent) + st->pattern_len + 64 > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sequence_match cannot pass %lld events of one group between parallel workers",
						(long long) st->log.n),
				 errhint("Set max_parallel_workers_per_gather = 0 for this query.")));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SEQUENCE_STATE_FORMAT);
	pq_sendint32(&buf, st->nconds);
	pq_sendint32(&buf, st->pattern_len);
	pq_sendbytes(&buf, st->pattern, st->pattern_len);
	JourneyLogSerialize(&buf, &st->log);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state from its serialized form, validating every field. */
Datum
sequence_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "sequence_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	SequenceState *st;
	int32		nconds,
				len;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	if (pq_getmsgbyte(&buf) != SEQUENCE_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported sequence_match state format")));
	nconds = pq_getmsgint(&buf, 4);
	len = pq_getmsgint(&buf, 4);
	if (nconds < 1 || nconds > JOURNEY_MAX_STEPS || len < 0 || len > buf.len - buf.cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid sequence_match state")));
	st = MemoryContextAllocZero(aggctx, sizeof(SequenceState));
	st->nconds = nconds;
	st->pattern = MemoryContextAlloc(aggctx, len + 1);
	pq_copymsgbytes(&buf, st->pattern, len);
	st->pattern[len] = '\0';
	st->pattern_len = len;
	JourneyLogDeserialize(&buf, &st->log, nconds, aggctx, "sequence_match");
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* First index in ts[0..n) with ts >= v. */
static int64
SequenceLowerBound(const TimestampTz *ts, int64 n, int64 v)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (ts[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ts + d, saturated to the int64 range */
static inline int64
SequenceAddSat(int64 ts, int64 d)
{
	int64		r;

	if (pg_add_s64_overflow(ts, d, &r))
		return d > 0 ? PG_INT64_MAX : PG_INT64_MIN;
	return r;
}

/*
 * The events q that may follow event p for an item with a gap and time
 * bounds: [*qlo, *qhi).
 */
static inline void
SequenceRange(const SequenceItem *it, const TimestampTz *ts, int64 n, int64 p,
			  int64 *qlo, int64 *qhi)
{
	int64		a = p + 1,
				b = n;

	if (it->lo > 0)
		a = Max(a, SequenceLowerBound(ts, n, SequenceAddSat(ts[p], it->lo)));
	if (it->hi < 0)
		b = a;
	else if (it->hi < PG_INT64_MAX)
	{
		int64		last = SequenceAddSat(ts[p], it->hi);

		if (last < PG_INT64_MAX)
			b = SequenceLowerBound(ts, n, last + 1);
	}
	*qlo = a;
	*qhi = Max(a, b);
}

/*
 * Count the non-overlapping matches of the pattern in the events (in time
 * order), or only whether there is one (stop_at_first).
 */
static int64
SequenceCountMatches(const SequencePattern *pat, const JourneyEvent *ev, int64 n,
					 bool stop_at_first, const char *fn)
{
	int			A = pat->nitems;
	TimestampTz *ts;
	int64	  **next;			/* next[a][p]: first q >= p where item a can match with the rest; n if none */
	int64		count = 0;
	int64		cur = 0;

	if (n == 0)
		return 0;
	ts = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(TimestampTz), fn, "The event times of one group");
	for (int64 p = 0; p < n; p++)
		ts[p] = ev[p].ts;
	next = palloc(sizeof(int64 *) * A);
	for (int a = A - 1; a >= 0; a--)
	{
		const SequenceItem *it = &pat->items[a];
		const SequenceItem *nx = a + 1 < A ? &pat->items[a + 1] : NULL;

		next[a] = CrmMemoryAlloc(CurrentMemoryContext, n + 1, sizeof(int64), fn,
								 "The pattern matching table of one group");
		next[a][n] = n;
		for (int64 p = n - 1; p >= 0; p--)
		{
			bool		ok = it->cond == 0 || (ev[p].mask & it->cond) != 0;

			if (ok && nx != NULL)
			{
				if (!nx->gap)
					ok = p + 1 < n && next[a + 1][p + 1] == p + 1;
				else
				{
					int64		qlo,
								qhi;

					SequenceRange(nx, ts, n, p, &qlo, &qhi);
					ok = qlo < qhi && next[a + 1][qlo] < qhi;
				}
			}
			next[a][p] = ok ? p : next[a][p + 1];
			if ((p & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}

	/* leftmost matches, every item as early as possible */
	while (cur < n && next[0][cur] < n)
	{
		int64		p = next[0][cur];

		for (int a = 1; a < A; a++)
		{
			const SequenceItem *it = &pat->items[a];

			if (!it->gap)
				p = p + 1;
			else
			{
				int64		qlo,
							qhi;

				SequenceRange(it, ts, n, p, &qlo, &qhi);
				p = next[a][qlo];
			}
		}
		count++;
		if (stop_at_first)
			break;
		cur = p + 1;
		CHECK_FOR_INTERRUPTS();
	}
	for (int a = 0; a < A; a++)
		pfree(next[a]);
	pfree(next);
	pfree(ts);
	return count;
}

/* Matches of a state's pattern in its events. */
static int64
SequenceFinal(FunctionCallInfo fcinfo, bool stop_at_first, const char *fn)
{
	SequenceState *st;
	SequencePattern pat;
	const JourneyEvent *ev;
	JourneyEvent *copy;
	int64		count;

	(void) CrmAggContext(fcinfo, fn);
	st = PG_ARGISNULL(0) ? NULL : (SequenceState *) PG_GETARG_POINTER(0);
	if (st == NULL || st->log.n == 0)
		return 0;
	SequenceCompile(fn, st->pattern, st->pattern_len, st->nconds, &pat);
	ev = JourneyLogSortedView(&st->log, fn, &copy);
	count = SequenceCountMatches(&pat, ev, st->log.n, stop_at_first, fn);
	if (copy)
		pfree(copy);
	return count;
}

/* Whether the pattern matches the group's events (false for no rows). */
Datum
sequence_match_finalfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(SequenceFinal(fcinfo, true, "sequence_match") > 0);
}

/* Number of non-overlapping matches (0 for no rows). */
Datum
sequence_count_finalfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(SequenceFinal(fcinfo, false, "sequence_count"));
}

/* ---------- session_number ---------- */

/* Per-partition memory of session_number. */
typedef struct SessionContext
{
	bool		started;		/* a row of the partition was numbered */
	int64		lastpos;		/* position of that row */
	bool		have_ts;		/* a row with a time was seen */
	TimestampTz last_ts;		/* time of the last such row */
	int64		session;		/* its session number */
	int64		gap;			/* microseconds */
} SessionContext;

/* Advance the session count over one row's time. */
static inline void
SessionStep(SessionContext *ctx, TimestampTz ts)
{
	int64		elapsed;

	if (!ctx->have_ts)
		ctx->session = 1;
	else if (pg_sub_s64_overflow(ts, ctx->last_ts, &elapsed) || elapsed > ctx->gap)
		ctx->session++;
	ctx->have_ts = true;
	ctx->last_ts = ts;
}

/* Window function: session number of the current row in its partition. */
Datum
session_number(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SessionContext *ctx = (SessionContext *) WinGetPartitionLocalMemory(winobj, sizeof(SessionContext));
	int64		pos = WinGetCurrentPosition(winobj);
	bool		isnull;
	Datum		d;
	int64		gap;

	d = WinGetFuncArgCurrent(winobj, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the gap of session_number must not be NULL"),
				 errhint("Pass an interval such as '30 minutes'.")));
	gap = JourneyIntervalUsecs(DatumGetIntervalP(d), "session_number", "gap", true);
	if (ctx->started && gap != ctx->gap)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the gap of session_number must be the same for every row of a partition")));
	ctx->gap = gap;

	if (!ctx->started || pos != ctx->lastpos + 1)
	{
		/* not the row after the last one: count again from the partition's start */
		ctx->have_ts = false;
		ctx->session = 0;
		for (int64 i = 0; i < pos; i++)
		{
			bool		isout;

			d = WinGetFuncArgInPartition(winobj, 0, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
			if (!isnull && !isout)
			{
				JourneyCheckFiniteTs(DatumGetTimestampTz(d), "session_number");
				SessionStep(ctx, DatumGetTimestampTz(d));
			}
			if ((i & 0x3FF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		ctx->started = true;
	}
	ctx->lastpos = pos;
	d = WinGetFuncArgCurrent(winobj, 0, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	JourneyCheckFiniteTs(DatumGetTimestampTz(d), "session_number");
	SessionStep(ctx, DatumGetTimestampTz(d));
	PG_RETURN_INT64(ctx->session);
}
