/*
 * journey_paths.c
 *		Paths of journeys: crm.path_transitions (the data of a Sankey diagram)
 *		and crm.top_paths (the most frequent event paths and their
 *		conversion).
 *
 * Both read a caller's query returning (journey, ts, event) through the
 * shared query API: any journey key (integers compared by value, other
 * types by their text form), a timestamptz, timestamp or date, and an event
 * label of any type (converted to text as ::text does); top_paths also takes
 * an optional fourth column converted boolean.  Rows with a NULL journey,
 * time or event are skipped.  The events of a journey are ordered by time,
 * then by label (byte order, COLLATE "C"), so the result never depends on
 * the order in which the query returns its rows.
 *
 * path_transitions(query, max_steps): step k is the move from a journey's
 * k-th event to its (k+1)-th, or to "(end)" when the k-th event is its last;
 * every journey contributes one move at each step 1 .. min(events,
 * max_steps), so the journeys of step k add up to the journeys with at
 * least k events.
 *
 * top_paths(query, max_length, k): the path of a journey is its first
 * max_length events, followed by "..." when it has more.  Paths are counted
 * over journeys; share = journeys of the path / all journeys, and with the
 * converted column: conversions (journeys of the path with converted true
 * on some row), conversion_rate = conversions / journeys of the path and
 * conversion_share = conversions / all conversions.  The k most frequent
 * paths are returned, ties in label order.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "journeys.h"

#define PATH_MAX_STEPS		1000
#define PATH_MAX_LENGTH		100
#define PATH_END_LABEL		"(end)"
#define PATH_MORE_LABEL		"..."

PG_FUNCTION_INFO_V1(path_transitions);
PG_FUNCTION_INFO_V1(top_paths);

typedef struct PathRow
{
	int32		journey;
	int32		label;
	TimestampTz ts;
} PathRow;

/* The rows of a caller's query, grouped by journey. */
typedef struct PathData
{
	MemoryContext ctx;
	const char *fn;
	JourneyKeyTable journeys;
	JourneyKeyTable labels;
	Oid			key_type;
	FmgrInfo	key_out;
	CrmCast		ts_cast;
	CrmCast		label_cast;
	bool		has_converted;
	PathRow    *rows;
	int64		n;
	int64		cap;
	bool	   *converted;		/* per journey */
	int32		converted_cap;
	int32	   *rank;			/* rank of each label in byte order */
} PathData;

/* One row of the query: intern its journey and label, keep (journey, label, ts). */
static void
PathReadRow(TupleTableSlot *slot, void *arg)
{
	PathData   *d = (PathData *) arg;
	int32		journey;
	int32		label;
	text	   *lt;
	TimestampTz ts;

	if (slot->tts_isnull[0] || slot->tts_isnull[1] || slot->tts_isnull[2])
		return;
	ts = DatumGetTimestampTz(CrmCastValue(&d->ts_cast, slot->tts_values[1]));
	JourneyCheckFiniteTs(ts, d->fn);
	journey = JourneyKeysInternDatum(&d->journeys, slot->tts_values[0], d->key_type, &d->key_out);
	lt = DatumGetTextPP(CrmCastValue(&d->label_cast, slot->tts_values[2]));
	label = JourneyKeysIntern(&d->labels, VARDATA_ANY(lt), VARSIZE_ANY_EXHDR(lt));
	if (d->n == d->cap)
	{
		d->cap *= 2;
		d->rows = CrmMemoryRealloc(d->rows, d->cap, sizeof(PathRow), d->fn, "The events of the query");
	}
	d->rows[d->n].journey = journey;
	d->rows[d->n].label = label;
	d->rows[d->n].ts = ts;
	d->n++;
	if (d->has_converted)
	{
		if (journey >= d->converted_cap)
		{
			int32		old = d->converted_cap;

			while (journey >= d->converted_cap)
				d->converted_cap *= 2;
			d->converted = CrmMemoryRealloc(d->converted, d->converted_cap, sizeof(bool),
											d->fn, "The conversions of the journeys");
			memset(d->converted + old, 0, d->converted_cap - old);
		}
		if (!slot->tts_isnull[3] && DatumGetBool(slot->tts_values[3]))
			d->converted[journey] = true;
	}
}

/* Rows by journey, time, then label in byte order. */
static int
PathRowCmp(const void *a, const void *b, void *arg)
{
	const PathRow *x = (const PathRow *) a;
	const PathRow *y = (const PathRow *) b;
	const int32 *rank = (const int32 *) arg;

	if (x->journey != y->journey)
		return x->journey < y->journey ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (rank[x->label] != rank[y->label])
		return rank[x->label] < rank[y->label] ? -1 : 1;
	return 0;
}

/*
 * Run the query (SPI connected) and sort its rows by journey, time and
 * label.  max_cols is 4 when a converted column is allowed.
 */
static void
PathRead(PathData *d, const char *query, const char *fn, int max_cols, const char *columns)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID};
	static const Oid bool_types[] = {BOOLOID};
	CrmQuery	q;
	bool		typisvarlena;
	Oid			outfn;

	memset(d, 0, sizeof(*d));
	d->fn = fn;
	d->ctx = AllocSetContextCreate(CurrentMemoryContext, "crm journey paths", ALLOCSET_DEFAULT_SIZES);
	CrmQueryOpen(&q, query, 3, max_cols, fn, columns);
	CrmCheckColumnType(q.desc, 2, fn, "ts", ts_types, lengthof(ts_types), "timestamptz");
	if (q.desc->natts == 4)
	{
		CrmCheckColumnType(q.desc, 4, fn, "converted", bool_types, 1, "boolean");
		d->has_converted = true;
	}
	d->key_type = getBaseType(TupleDescAttr(q.desc, 0)->atttypid);
	getTypeOutputInfo(TupleDescAttr(q.desc, 0)->atttypid, &outfn, &typisvarlena);
	fmgr_info_cxt(outfn, &d->key_out, d->ctx);
	CrmCastInit(&d->ts_cast, TupleDescAttr(q.desc, 1)->atttypid, TIMESTAMPTZOID, fn, "2 (ts)");
	CrmCastInit(&d->label_cast, TupleDescAttr(q.desc, 2)->atttypid, TEXTOID, fn, "3 (event)");
	JourneyKeysInit(&d->journeys, d->ctx, fn, "journeys");
	JourneyKeysInit(&d->labels, d->ctx, fn, "event labels");
	d->cap = 1024;
	d->rows = CrmMemoryAlloc(d->ctx, d->cap, sizeof(PathRow), fn, "The events of the query");
	if (d->has_converted)
	{
		d->converted_cap = 1024;
		d->converted = CrmMemoryAlloc(d->ctx, d->converted_cap, sizeof(bool), fn,
									  "The conversions of the journeys");
		memset(d->converted, 0, d->converted_cap);
	}
	(void) CrmQueryForEachRow(&q, PathReadRow, d);
	CrmQueryClose(&q);

	/* labels in byte order break ties in time */
	{
		MemoryContext old = MemoryContextSwitchTo(d->ctx);

		d->rank = JourneyKeysRanks(&d->labels);
		qsort_arg(d->rows, d->n, sizeof(PathRow), PathRowCmp, d->rank);
		MemoryContextSwitchTo(old);
	}
}

/* Check the integer argument argno in [1, max]. */
static int32
PathIntArg(FunctionCallInfo fcinfo, int argno, const char *fn, const char *name, int32 max)
{
	int32		v;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of %s must not be NULL", name, fn)));
	v = PG_GETARG_INT32(argno);
	if (v < 1 || v > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of %s must be between 1 and %d", name, fn, max),
				 errdetail("Got %d.", v)));
	return v;
}

/* The query text argument (not NULL). */
static char *
PathQueryArg(FunctionCallInfo fcinfo, const char *fn, const char *columns)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the query of %s must not be NULL", fn),
				 errhint("Pass a SELECT returning %s.", columns)));
	return text_to_cstring(PG_GETARG_TEXT_PP(0));
}

/* ---------- path_transitions ---------- */

typedef struct TransitionKey
{
	int32		step;
	int32		from;
	int32		to;				/* -1 = (end) */
} TransitionKey;

typedef struct TransitionEntry
{
	TransitionKey key;
	int64		journeys;
} TransitionEntry;

/* Transitions by step, most journeys first, then labels in byte order. */
static int
TransitionCmp(const void *a, const void *b, void *arg)
{
	const TransitionEntry *x = *(TransitionEntry *const *) a;
	const TransitionEntry *y = *(TransitionEntry *const *) b;
	const int32 *rank = (const int32 *) arg;
	int32		xt,
				yt;

	if (x->key.step != y->key.step)
		return x->key.step < y->key.step ? -1 : 1;
	if (x->journeys != y->journeys)
		return x->journeys > y->journeys ? -1 : 1;
	if (x->key.from != y->key.from)
		return rank[x->key.from] < rank[y->key.from] ? -1 : 1;
	xt = x->key.to < 0 ? PG_INT32_MAX : rank[x->key.to];
	yt = y->key.to < 0 ? PG_INT32_MAX : rank[y->key.to];
	return xt < yt ? -1 : xt > yt ? 1 : 0;
}

/*
 * crm.path_transitions(query, max_steps): per step, from-event, to-event
 * and the number of journeys moving so.
 */
Datum
path_transitions(PG_FUNCTION_ARGS)
{
	const char *fn = "crm.path_transitions";
	const char *columns = "(journey, ts, event)";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query = PathQueryArg(fcinfo, fn, columns);
	int32		max_steps = PathIntArg(fcinfo, 1, fn, "max_steps", PATH_MAX_STEPS);
	PathData	d;
	HTAB	   *moves;
	HASHCTL		ctl;
	int64		i = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PathRead(&d, query, fn, 3, columns);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(TransitionKey);
	ctl.entrysize = sizeof(TransitionEntry);
	ctl.hcxt = d.ctx;
	moves = hash_create(fn, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	while (i < d.n)
	{
		int64		j = i;
		int32		journey = d.rows[i].journey;

		while (j < d.n && d.rows[j].journey == journey)
			j++;
		for (int64 k = 0; k < Min(j - i, (int64) max_steps); k++)
		{
			TransitionKey key;
			TransitionEntry *e;
			bool		found;

			key.step = (int32) k + 1;
			key.from = d.rows[i + k].label;
			key.to = i + k + 1 < j ? d.rows[i + k + 1].label : -1;
			e = hash_search(moves, &key, HASH_ENTER, &found);
			if (!found)
				e->journeys = 0;
			e->journeys++;
		}
		i = j;
		CHECK_FOR_INTERRUPTS();
	}

	/* rows by step, most journeys first */
	{
		int64		n = hash_get_num_entries(moves);
		TransitionEntry **all = CrmMemoryAlloc(d.ctx, n, sizeof(TransitionEntry *), fn, "The transitions");
		HASH_SEQ_STATUS seq;
		TransitionEntry *e;
		int64		m = 0;

		hash_seq_init(&seq, moves);
		while ((e = hash_seq_search(&seq)) != NULL)
			all[m++] = e;
		qsort_arg(all, m, sizeof(TransitionEntry *), TransitionCmp, d.rank);
		for (int64 r = 0; r < m; r++)
		{
			Datum		values[4];
			bool		nulls[4] = {false};

			values[0] = Int32GetDatum(all[r]->key.step);
			values[1] = PointerGetDatum(JourneyKeyText(&d.labels, all[r]->key.from));
			values[2] = all[r]->key.to < 0 ? CStringGetTextDatum(PATH_END_LABEL) :
				PointerGetDatum(JourneyKeyText(&d.labels, all[r]->key.to));
			values[3] = Int64GetDatum(all[r]->journeys);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	MemoryContextDelete(d.ctx);
	SPI_finish();
	return (Datum) 0;
}

/* ---------- top_paths ---------- */

/*
 * An entry of the path table: the key (int32 words: length, truncated flag,
 * up to max_length label ids; dynahash wants the key first), then two
 * counters at PATH_COUNTS.
 */
#define PATH_COUNTS(e, keysize)	((int64 *) ((char *) (e) + MAXALIGN(keysize)))

typedef struct PathSortArg
{
	const int32 *rank;
	Size		keysize;
} PathSortArg;

/* Paths by journeys (most first), then labels in byte order, then length. */
static int
PathCountCmp(const void *a, const void *b, void *arg)
{
	const int32 *x = *(int32 *const *) a;
	const int32 *y = *(int32 *const *) b;
	const PathSortArg *sa = (const PathSortArg *) arg;
	int64		jx = PATH_COUNTS(x, sa->keysize)[0];
	int64		jy = PATH_COUNTS(y, sa->keysize)[0];
	int			n = Min(x[0], y[0]);

	if (jx != jy)
		return jx > jy ? -1 : 1;
	for (int i = 0; i < n; i++)
		if (x[2 + i] != y[2 + i])
			return sa->rank[x[2 + i]] < sa->rank[y[2 + i]] ? -1 : 1;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] - y[1];
}

/*
 * crm.top_paths(query, max_length, k): the k most frequent paths (first
 * max_length events of a journey) with their journeys and conversions.
 */
Datum
top_paths(PG_FUNCTION_ARGS)
{
	const char *fn = "crm.top_paths";
	const char *columns = "(journey, ts, event) or (journey, ts, event, converted)";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query = PathQueryArg(fcinfo, fn, columns);
	int32		max_length = PathIntArg(fcinfo, 1, fn, "max_length", PATH_MAX_LENGTH);
	int32		k = PathIntArg(fcinfo, 2, fn, "k", PG_INT32_MAX);
	PathData	d;
	HTAB	   *paths;
	HASHCTL		ctl;
	int32	   *key;
	int64		i = 0;
	int64		njourneys = 0;
	int64		nconversions = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PathRead(&d, query, fn, 4, columns);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int32) * (max_length + 2);
	ctl.entrysize = MAXALIGN(ctl.keysize) + 2 * sizeof(int64);
	ctl.hcxt = d.ctx;
	paths = hash_create(fn, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	key = palloc0(ctl.keysize);
	while (i < d.n)
	{
		int64		j = i;
		int32		journey = d.rows[i].journey;
		int64		len;
		int64	   *counts;
		bool		found;
		bool		converted;

		while (j < d.n && d.rows[j].journey == journey)
			j++;
		len = Min(j - i, (int64) max_length);
		memset(key, 0, ctl.keysize);
		key[0] = (int32) len;
		key[1] = j - i > max_length ? 1 : 0;
		for (int64 a = 0; a < len; a++)
			key[2 + a] = d.rows[i + a].label;
		counts = PATH_COUNTS(hash_search(paths, key, HASH_ENTER, &found), ctl.keysize);
		if (!found)
			counts[0] = counts[1] = 0;
		converted = d.has_converted && d.converted[journey];
		counts[0]++;
		counts[1] += converted ? 1 : 0;
		njourneys++;
		nconversions += converted ? 1 : 0;
		i = j;
		CHECK_FOR_INTERRUPTS();
	}

	{
		int64		n = hash_get_num_entries(paths);
		int32	  **all = CrmMemoryAlloc(d.ctx, n, sizeof(int32 *), fn, "The paths");
		HASH_SEQ_STATUS seq;
		int32	   *e;
		int64		m = 0;
		PathSortArg sa;

		hash_seq_init(&seq, paths);
		while ((e = hash_seq_search(&seq)) != NULL)
			all[m++] = e;
		sa.rank = d.rank;
		sa.keysize = ctl.keysize;
		qsort_arg(all, m, sizeof(int32 *), PathCountCmp, &sa);
		for (int64 r = 0; r < Min(m, (int64) k); r++)
		{
			Datum		values[6];
			bool		nulls[6] = {false};
			int			len = all[r][0];
			bool		more = all[r][1] != 0;
			int64	   *counts = PATH_COUNTS(all[r], ctl.keysize);
			Datum	   *labels = palloc(sizeof(Datum) * (len + 1));

			for (int a = 0; a < len; a++)
				labels[a] = PointerGetDatum(JourneyKeyText(&d.labels, all[r][2 + a]));
			if (more)
				labels[len] = CStringGetTextDatum(PATH_MORE_LABEL);
			values[0] = PointerGetDatum(construct_array(labels, len + (more ? 1 : 0), TEXTOID,
														-1, false, TYPALIGN_INT));
			values[1] = Int64GetDatum(counts[0]);
			values[2] = Float8GetDatum((double) counts[0] / (double) njourneys);
			if (d.has_converted)
			{
				values[3] = Int64GetDatum(counts[1]);
				values[4] = Float8GetDatum((double) counts[1] / (double) counts[0]);
				if (nconversions > 0)
					values[5] = Float8GetDatum((double) counts[1] / (double) nconversions);
				else
					nulls[5] = true;
			}
			else
				nulls[3] = nulls[4] = nulls[5] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	MemoryContextDelete(d.ctx);
	SPI_finish();
	return (Datum) 0;
}
