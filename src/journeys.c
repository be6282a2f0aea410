/*
 * journeys.c
 *		Helpers shared by the web analytics functions (funnel.c, sequence.c,
 *		journey_paths.c, cohort.c).
 *
 * - The event log of an aggregate group: (time, condition bitmask) per row,
 *   grown by doubling within crm_analytics.max_memory, merged by the combine
 *   functions, serialized field by field, and read in time order by the
 *   final functions.  Rows usually arrive in time order; when they do not,
 *   the final function sorts a copy (it never changes its state, which a
 *   window aggregate goes on using).
 * - Reading boolean[] condition arguments into a bitmask (NULL = false) and
 *   intervals into microseconds.
 * - A key table numbering the distinct keys (journeys, customers, event
 *   labels) of a caller's query densely, by open addressing on hash_bytes.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "crm_analytics.h"
#include "journeys.h"

#define JOURNEY_LOG_INITIAL	10

/* ---------- event log ---------- */

/* Order of rows: time, then lowest matching condition, then the whole set. */
static inline int
JourneyEventCmp(const JourneyEvent *a, const JourneyEvent *b)
{
	int			la,
				lb;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->mask == b->mask)
		return 0;
	la = a->mask ? pg_rightmost_one_pos32(a->mask) : -1;
	lb = b->mask ? pg_rightmost_one_pos32(b->mask) : -1;
	if (la != lb)
		return la < lb ? -1 : 1;
	return a->mask < b->mask ? -1 : 1;
}

/* qsort comparator for JourneyEventCmp. */
static int
JourneyEventQsortCmp(const void *a, const void *b)
{
	return JourneyEventCmp((const JourneyEvent *) a, (const JourneyEvent *) b);
}

/* Put ev[0..n) in JourneyEventCmp order (in place; a sorted run is left as it is). */
void
JourneyEventsSort(JourneyEvent *ev, int64 n)
{
	if (n <= 24)
	{
		/* a visitor's few events: insertion sort (stable, no calls) */
		for (int64 i = 1; i < n; i++)
		{
			JourneyEvent x = ev[i];
			int64		j = i;

			while (j > 0 && JourneyEventCmp(&ev[j - 1], &x) > 0)
			{
				ev[j] = ev[j - 1];
				j--;
			}
			ev[j] = x;
		}
		return;
	}
	for (int64 i = 1; i < n; i++)
		if (JourneyEventCmp(&ev[i - 1], &ev[i]) > 0)
		{
			qsort(ev, n, sizeof(JourneyEvent), JourneyEventQsortCmp);
			return;
		}
}

/* An empty log with room for a few rows (allocated in ctx). */
void
JourneyLogInit(JourneyEventLog *log, MemoryContext ctx, const char *fn)
{
	log->n = 0;
	log->cap = JOURNEY_LOG_INITIAL;
	log->sorted = true;
	log->ev = CrmMemoryAlloc(ctx, log->cap, sizeof(JourneyEvent), fn,
							 "The events held for one group");
}

/* Make room for extra more rows, doubling within the memory budget. */
static void
JourneyLogReserve(JourneyEventLog *log, int64 extra, const char *fn)
{
	int64		need = log->n + extra;
	int64		cap = log->cap;

	if (need <= cap)
		return;
	while (cap < need)
		cap *= 2;
	log->ev = CrmMemoryRealloc(log->ev, cap, sizeof(JourneyEvent), fn,
							   "The events held for one group");
	log->cap = cap;
}

/* Append one row. */
void
JourneyLogAppend(JourneyEventLog *log, TimestampTz ts, uint32 mask, const char *fn)
{
	JourneyEvent *e;

	if (log->n == log->cap)
		JourneyLogReserve(log, 1, fn);
	e = &log->ev[log->n];
	e->ts = ts;
	e->mask = mask;
	if (log->sorted && log->n > 0 && JourneyEventCmp(e - 1, e) > 0)
		log->sorted = false;
	log->n++;
}

/* Append the rows of from to into (combine functions). */
void
JourneyLogConcat(JourneyEventLog *into, const JourneyEventLog *from, const char *fn)
{
	if (from->n == 0)
		return;
	JourneyLogReserve(into, from->n, fn);
	if (!from->sorted ||
		(into->n > 0 && JourneyEventCmp(&into->ev[into->n - 1], &from->ev[0]) > 0))
		into->sorted = false;
	memcpy(into->ev + into->n, from->ev, from->n * sizeof(JourneyEvent));
	into->n += from->n;
}

/*
 * Write the rows of a log.  The rows go as one block in the server's own
 * byte order: a serialized state only travels between the processes of one
 * query (as array_agg's does), and the reader checks every row.
 */
void
JourneyLogSerialize(StringInfo buf, const JourneyEventLog *log)
{
	pq_sendbyte(buf, log->sorted ? 1 : 0);
	pq_sendint64(buf, log->n);
	pq_sendbytes(buf, (const char *) log->ev, log->n * sizeof(JourneyEvent));
}

/*
 * Read the rows of a log written by JourneyLogSerialize, checking the count
 * against the bytes left, every time for finiteness and every mask against
 * the number of conditions.
 */
void
JourneyLogDeserialize(StringInfo buf, JourneyEventLog *log, int nconds, MemoryContext ctx,
					  const char *fn)
{
	int			sorted = pq_getmsgbyte(buf);
	int64		n = pq_getmsgint64(buf);
	uint32		allowed = nconds >= 32 ? PG_UINT32_MAX : (((uint32) 1 << nconds) - 1);

	if ((sorted != 0 && sorted != 1) || n < 0 ||
		n > (int64) ((buf->len - buf->cursor) / sizeof(JourneyEvent)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid event log in %s state", fn)));
	log->n = 0;
	log->cap = Max(n, JOURNEY_LOG_INITIAL);
	log->ev = CrmMemoryAlloc(ctx, log->cap, sizeof(JourneyEvent), fn,
							 "The events held for one group");
	log->sorted = true;
	pq_copymsgbytes(buf, (char *) log->ev, n * sizeof(JourneyEvent));
	for (int64 i = 0; i < n; i++)
	{
		if (TIMESTAMP_NOT_FINITE(log->ev[i].ts) || (log->ev[i].mask & ~allowed) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid event in %s state", fn)));
		if (i > 0 && JourneyEventCmp(&log->ev[i - 1], &log->ev[i]) > 0)
			log->sorted = false;
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	log->n = n;
}

/*
 * The rows of a log in time order: the log itself when sorted, otherwise a
 * sorted copy in the current memory context (returned in *copy for the
 * caller to free).  The log is never changed.
 */
const JourneyEvent *
JourneyLogSortedView(const JourneyEventLog *log, const char *fn, JourneyEvent **copy)
{
	*copy = NULL;
	if (log->sorted)
		return log->ev;
	*copy = CrmMemoryAlloc(CurrentMemoryContext, log->n, sizeof(JourneyEvent), fn,
						   "A sorted copy of the events of one group");
	memcpy(*copy, log->ev, log->n * sizeof(JourneyEvent));
	JourneyEventsSort(*copy, log->n);
	return *copy;
}

/* ---------- arguments ---------- */

/* Number of conditions of a boolean[] argument: 1 to JOURNEY_MAX_STEPS. */
int
JourneyConditionCount(ArrayType *conds, const char *fn, const char *what)
{
	int			n;

	if (ARR_NDIM(conds) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the %s of %s must be a one-dimensional array", what, fn)));
	n = ArrayGetNItems(ARR_NDIM(conds), ARR_DIMS(conds));
	if (n < 1 || n > JOURNEY_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes between 1 and %d %s", fn, JOURNEY_MAX_STEPS, what),
				 errdetail("Got %d.", n),
				 errhint("Pass one boolean expression per %s.",
						 strcmp(what, "steps") == 0 ? "step" : "condition")));
	return n;
}

/*
 * The conditions of a row as a bitmask (bit k-1 for condition k; NULL counts
 * as false).  nconds is the group's count: a row with another count is an
 * error.
 */
uint32
JourneyConditionMask(ArrayType *conds, int nconds, const char *fn, const char *what)
{
	const bool *data;
	const uint8 *nulls;		/* bits8 before 19 */
	uint32		mask = 0;
	int			n;

	if (ARR_ELEMTYPE(conds) != BOOLOID)
		elog(ERROR, "%s expects boolean conditions", fn);
	n = ARR_NDIM(conds) == 0 ? 0 : ArrayGetNItems(ARR_NDIM(conds), ARR_DIMS(conds));
	if (n != nconds || ARR_NDIM(conds) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of %s of %s must be the same for every row of a group", what, fn),
				 errdetail("Got %d and %d.", nconds, n)));
	data = (const bool *) ARR_DATA_PTR(conds);
	nulls = ARR_NULLBITMAP(conds);
	if (nulls == NULL)
	{
		for (int i = 0; i < n; i++)
			if (data[i])
				mask |= (uint32) 1 << i;
	}
	else
	{
		int			k = 0;

		/* NULL elements take no space in the data */
		for (int i = 0; i < n; i++)
		{
			if ((nulls[i / 8] & (1 << (i % 8))) == 0)
				continue;
			if (data[k++])
				mask |= (uint32) 1 << i;
		}
	}
	return mask;
}

/*
 * An interval as microseconds (days count 24 hours).  Intervals with months
 * are rejected: a month has no fixed length.
 */
int64
JourneyIntervalUsecs(Interval *iv, const char *fn, const char *argname, bool allow_zero)
{
	int64		usecs;

	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s of %s must not contain months or years", argname, fn),
				 errhint("Write it in days, for example '30 days'.")));
	if (pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, iv->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the %s of %s is out of range", argname, fn)));
	if (usecs < 0 || (usecs == 0 && !allow_zero))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s of %s must be %s", argname, fn,
						allow_zero ? "zero or positive" : "positive"),
				 errhint("Pass an interval such as '1 day' or '30 minutes'.")));
	return usecs;
}

/* Infinite times have no place in a sequence of events. */
void
JourneyCheckFiniteTs(TimestampTz ts, const char *fn)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the event time of %s must be finite", fn),
				 errdetail("Got %s.", timestamptz_to_str(ts)),
				 errhint("Filter out rows with infinite times.")));
}

/* ---------- key table ---------- */

#define JOURNEY_KEYS_WHAT "The table of distinct keys"

/* An empty key table allocating in ctx. */
void
JourneyKeysInit(JourneyKeyTable *t, MemoryContext ctx, const char *fn, const char *what)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->fn = fn;
	t->what = what;
	t->nslots = 1024;
	t->slot_hash = CrmMemoryAlloc(ctx, t->nslots, sizeof(uint32), fn, JOURNEY_KEYS_WHAT);
	t->slot_id = CrmMemoryAlloc(ctx, t->nslots, sizeof(int32), fn, JOURNEY_KEYS_WHAT);
	memset(t->slot_id, 0, t->nslots * sizeof(int32));
	t->key_cap = 512;
	t->key_off = CrmMemoryAlloc(ctx, t->key_cap, sizeof(int64), fn, JOURNEY_KEYS_WHAT);
	t->key_len = CrmMemoryAlloc(ctx, t->key_cap, sizeof(int32), fn, JOURNEY_KEYS_WHAT);
	t->data_cap = 8192;
	t->data = CrmMemoryAlloc(ctx, t->data_cap, 1, fn, JOURNEY_KEYS_WHAT);
}

/* Double the slots and re-insert every key. */
static void
JourneyKeysGrow(JourneyKeyTable *t)
{
	uint32		nslots = t->nslots * 2;
	uint32	   *hash = CrmMemoryAlloc(t->ctx, nslots, sizeof(uint32), t->fn, JOURNEY_KEYS_WHAT);
	int32	   *ids = CrmMemoryAlloc(t->ctx, nslots, sizeof(int32), t->fn, JOURNEY_KEYS_WHAT);

	memset(ids, 0, nslots * sizeof(int32));
	for (uint32 s = 0; s < t->nslots; s++)
	{
		uint32		i;

		if (t->slot_id[s] == 0)
			continue;
		i = t->slot_hash[s] & (nslots - 1);
		while (ids[i] != 0)
			i = (i + 1) & (nslots - 1);
		ids[i] = t->slot_id[s];
		hash[i] = t->slot_hash[s];
	}
	pfree(t->slot_hash);
	pfree(t->slot_id);
	t->slot_hash = hash;
	t->slot_id = ids;
	t->nslots = nslots;
}

/* The id of a key, adding it when new. */
int32
JourneyKeysIntern(JourneyKeyTable *t, const char *key, int len)
{
	uint32		h = hash_bytes((const unsigned char *) key, len);
	uint32		i = h & (t->nslots - 1);
	int32		id;

	while (t->slot_id[i] != 0)
	{
		id = t->slot_id[i] - 1;
		if (t->slot_hash[i] == h && t->key_len[id] == len &&
			memcmp(t->data + t->key_off[id], key, len) == 0)
			return id;
		i = (i + 1) & (t->nslots - 1);
	}
	if (t->nkeys == PG_INT32_MAX - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s handles at most %d distinct %s", t->fn, PG_INT32_MAX - 1, t->what)));
	if (t->nkeys == t->key_cap)
	{
		t->key_cap *= 2;
		t->key_off = CrmMemoryRealloc(t->key_off, t->key_cap, sizeof(int64), t->fn, JOURNEY_KEYS_WHAT);
		t->key_len = CrmMemoryRealloc(t->key_len, t->key_cap, sizeof(int32), t->fn, JOURNEY_KEYS_WHAT);
	}
	if (t->data_len + len > t->data_cap)
	{
		while (t->data_len + len > t->data_cap)
			t->data_cap *= 2;
		t->data = CrmMemoryRealloc(t->data, t->data_cap, 1, t->fn, JOURNEY_KEYS_WHAT);
	}
	id = t->nkeys++;
	memcpy(t->data + t->data_len, key, len);
	t->key_off[id] = t->data_len;
	t->key_len[id] = len;
	t->data_len += len;
	t->slot_id[i] = id + 1;
	t->slot_hash[i] = h;
	if ((uint64) t->nkeys * 2 > t->nslots)
		JourneyKeysGrow(t);
	return id;
}

/*
 * The id of an integer key: through an integer dictionary (a direct map for
 * dense non-negative numbers), the cost of every row of a query grouped by
 * visitor or customer number.  A table holds integer keys or byte strings,
 * never both (one key column per query).
 */
static int32
JourneyKeysInternInt(JourneyKeyTable *t, int64 v)
{
	if (unlikely(!t->have_ints))
	{
		CrmIntDictInit(&t->ints, t->ctx, t->fn, JOURNEY_KEYS_WHAT);
		t->have_ints = true;
	}
	return CrmIntDictId(&t->ints, v);
}

/* Does JourneyKeysInternDatum take keys of type typid by their integer value? */
bool
JourneyKeysIntType(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

/*
 * The ids of n integer keys, in place: keys[i] becomes the id of keys[i],
 * as n calls of JourneyKeysInternDatum in that order would give them.  The
 * lookup of each key is prefetched some keys ahead, so a table of millions of
 * visitors read in random order costs little more than one read in order.
 */
void
JourneyKeysInternInts(JourneyKeyTable *t, int64 *keys, int64 n)
{
#define JOURNEY_PREFETCH_AHEAD 16
	for (int64 i = 0; i < n; i++)
	{
		if (likely(i + JOURNEY_PREFETCH_AHEAD < n) && t->have_ints)
			CrmIntDictPrefetch(&t->ints, keys[i + JOURNEY_PREFETCH_AHEAD]);
		keys[i] = JourneyKeysInternInt(t, keys[i]);
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
#undef JOURNEY_PREFETCH_AHEAD
}

/*
 * The id of a key value of type typid: integers by their value, text types
 * by their bytes, any other type by its text form (outfn, its output
 * function).
 */
int32
JourneyKeysInternDatum(JourneyKeyTable *t, Datum value, Oid typid, FmgrInfo *outfn)
{
	switch (typid)
	{
		case INT2OID:
			return JourneyKeysInternInt(t, DatumGetInt16(value));
		case INT4OID:
			return JourneyKeysInternInt(t, DatumGetInt32(value));
		case INT8OID:
			return JourneyKeysInternInt(t, DatumGetInt64(value));
		case TEXTOID:
		case VARCHAROID:
			{
				text	   *s = DatumGetTextPP(value);
				int32		id = JourneyKeysIntern(t, VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s));

				if ((Pointer) s != DatumGetPointer(value))
					pfree(s);
				return id;
			}
		default:
			{
				char	   *str = OutputFunctionCall(outfn, value);
				int32		id = JourneyKeysIntern(t, str, strlen(str));

				pfree(str);
				return id;
			}
	}
}

static const JourneyKeyTable *rank_table;

/* Byte order of two keys (by id), for JourneyKeysRanks. */
static int
JourneyKeyCmp(const void *a, const void *b)
{
	int32		ia = *(const int32 *) a;
	int32		ib = *(const int32 *) b;
	int			la = rank_table->key_len[ia];
	int			lb = rank_table->key_len[ib];
	int			c = memcmp(rank_table->data + rank_table->key_off[ia],
						   rank_table->data + rank_table->key_off[ib], Min(la, lb));

	if (c != 0)
		return c;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

/* rank[id] = position of key id in byte order (the order of COLLATE "C"). */
int32 *
JourneyKeysRanks(const JourneyKeyTable *t)
{
	int32	   *order = CrmMemoryAlloc(CurrentMemoryContext, t->nkeys, sizeof(int32), t->fn, JOURNEY_KEYS_WHAT);
	int32	   *rank = CrmMemoryAlloc(CurrentMemoryContext, t->nkeys, sizeof(int32), t->fn, JOURNEY_KEYS_WHAT);

	for (int32 i = 0; i < t->nkeys; i++)
		order[i] = i;
	rank_table = t;
	qsort(order, t->nkeys, sizeof(int32), JourneyKeyCmp);
	rank_table = NULL;
	for (int32 i = 0; i < t->nkeys; i++)
		rank[order[i]] = i;
	pfree(order);
	return rank;
}

/* Number of distinct keys interned. */
int32
JourneyKeysCount(const JourneyKeyTable *t)
{
	return t->have_ints ? t->ints.n : t->nkeys;
}

/* Key id as text (for keys interned as text). */
text *
JourneyKeyText(const JourneyKeyTable *t, int32 id)
{
	return cstring_to_text_with_len(t->data + t->key_off[id], t->key_len[id]);
}
