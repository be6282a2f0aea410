/*
 * similarity_profile.c
 *		crm.profile, the stored purchase profile of one customer: a sparse
 *		vector of item weights, built by the parallel aggregate
 *		crm.purchase_profile(item, weight), compared with crm.profile_cosine
 *		and crm.profile_jaccard.
 *
 * A profile holds its item ids (int4, strictly ascending) and their positive
 * float4 weights.  Its text form is {item:weight,...}, like pgvector's
 * sparsevec without the dimension.  The comparisons are merge joins of the
 * two sorted item lists, computed in double precision.
 *
 * For interactive lookups there are two exact routes.  crm.profile_items
 * returns the item ids as an int4[]: a GIN expression index on it (the
 * built-in array_ops) finds the profiles that share an item with a given one
 * (&&), which are exactly those with a similarity above 0.  Faster with
 * popular items, posting lists (item -> customer -> unit weight, or ->
 * profile size for Jaccard) under a B-tree are read only for the target's
 * items: crm.profile_candidates sums the cosines (the row-by-row sparse
 * product of similarity.c, for one row) and keeps the customers within a
 * proven error bound of the k-th best, and crm.profile_cosine ranks these
 * few exactly; crm.profile_candidates_jaccard counts shared items, exactly.
 *
 * Memory: a profile is one varlena, so it holds at most SIM_PROFILE_MAX_ITEMS
 * items (512 MB, below the 1 GB of a value); past it, SQLSTATE 54000 names
 * the limit.  Scratch arrays and the aggregate states are checked against
 * crm_analytics.max_memory (memory.c) as they grow; an aggregate checks each
 * state (one per group) on its own.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "crm_analytics.h"
#include "similarity.h"

#define SIM_PROFILE_STATE_FORMAT	1

/* stage names for the memory error */
#define SIM_STATE		"The aggregate state"
#define SIM_SCRATCH		"The items of the profile"

/* Aggregate state of crm.purchase_profile: (item, weight) pairs as they come. */
typedef struct SimProfileState
{
	int64		n;
	int64		cap;
	int32	   *items;
	double	   *weights;
} SimProfileState;

/* One (item, weight) pair while building a profile. */
typedef struct SimPair
{
	int32		item;
	double		w;
} SimPair;

PG_FUNCTION_INFO_V1(profile_in);
PG_FUNCTION_INFO_V1(profile_out);
PG_FUNCTION_INFO_V1(profile_recv);
PG_FUNCTION_INFO_V1(profile_send);
PG_FUNCTION_INFO_V1(profile_from_arrays);
PG_FUNCTION_INFO_V1(profile_items);
PG_FUNCTION_INFO_V1(profile_weights);
PG_FUNCTION_INFO_V1(profile_size);
PG_FUNCTION_INFO_V1(profile_cosine);
PG_FUNCTION_INFO_V1(profile_jaccard);
PG_FUNCTION_INFO_V1(purchase_profile_transfn);
PG_FUNCTION_INFO_V1(purchase_profile_combinefn);
PG_FUNCTION_INFO_V1(purchase_profile_serialfn);
PG_FUNCTION_INFO_V1(purchase_profile_deserialfn);
PG_FUNCTION_INFO_V1(purchase_profile_finalfn);

/* Order (item, weight) pairs by item. */
static int
SimPairCmp(const void *a, const void *b)
{
	int32		x = ((const SimPair *) a)->item;
	int32		y = ((const SimPair *) b)->item;

	return (x > y) - (x < y);
}

/* Check one input weight: finite and not negative. */
static inline void
SimCheckWeight(double w, int32 item)
{
	if (isnan(w) || isinf(w) || w < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must be finite and not negative"),
				 errdetail("Item %d has weight %g.", item, w),
				 errhint("Filter out returns and cancellations (for example WHERE quantity > 0).")));
}

/* Error out when a profile would hold too many items. */
static inline void
SimCheckCount(int64 n)
{
	if (n > SIM_PROFILE_MAX_ITEMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a crm.profile cannot hold more than %d items", SIM_PROFILE_MAX_ITEMS),
				 errdetail("Got " INT64_FORMAT " items; a profile is a single value, and a value is "
						   "limited to 1 GB.", n),
				 errhint("Keep fewer items per profile (for example the most frequent ones), "
						 "or split them over several profiles.")));
}

/* A zeroed profile of n items, within the item limit and the memory budget. */
static SimProfile *
SimProfileAlloc(int64 n, const char *fn)
{
	SimCheckCount(n);
	CrmMemoryCheck(SIM_PROFILE_SIZE(n), fn, "The profile");
	return palloc0(SIM_PROFILE_SIZE(n));
}

/*
 * Make a profile from pairs: sort by item, then either add repeated items
 * (merge = true) or reject them; drop zero totals.  Sorts pairs in place.
 * The item limit applies to the distinct items.
 */
static SimProfile *
SimProfileFromPairs(SimPair *pairs, int64 n, bool merge, const char *fn)
{
	SimProfile *p;
	float4	   *pw;
	int64		i;
	int64		distinct = 0;
	int32		out = 0;

	if (n > 1)
		qsort(pairs, n, sizeof(SimPair), SimPairCmp);
	for (i = 0; i < n; i++)
		if (i == 0 || pairs[i].item != pairs[i - 1].item)
			distinct++;
	p = SimProfileAlloc(distinct, fn);
	p->n = (int32) distinct;	/* provisional, for SIM_PROFILE_WEIGHTS */
	pw = SIM_PROFILE_WEIGHTS(p);
	i = 0;
	while (i < n)
	{
		int32		item = pairs[i].item;
		double		w = 0.0;
		int64		first = i;

		for (; i < n && pairs[i].item == item; i++)
			w += pairs[i].w;
		if (!merge && i - first > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item %d appears more than once in the profile", item),
					 errhint("List each item once, with its total weight.")));
		if (w > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the weight of item %d is out of range for a profile", item),
					 errdetail("The total weight %g is larger than the largest real.", w),
					 errhint("Scale the weights down.")));
		if ((float4) w > 0.0f)
		{
			p->items[out] = item;
			pw[out] = (float4) w;	/* written before the move below */
			out++;
		}
	}
	/* move the weights right behind the used item ids */
	if (out < distinct)
		memmove(p->items + out, pw, out * sizeof(float4));
	p->n = out;
	SET_VARSIZE(p, SIM_PROFILE_SIZE(out));
	return p;
}

/* Text input: {item:weight, ...}. */
Datum
profile_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	char	   *s = str;
	SimPair    *pairs;
	int64		n = 0;
	int64		cap = 16;

	pairs = CrmMemoryAlloc(CurrentMemoryContext, cap, sizeof(SimPair), "crm.profile", SIM_SCRATCH);
	while (isspace((unsigned char) *s))
		s++;
	if (*s != '{')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type crm.profile: \"%s\"", str),
				 errdetail("A profile starts with \"{\".")));
	s++;
	while (isspace((unsigned char) *s))
		s++;
	if (*s != '}')
	{
		for (;;)
		{
			char	   *end;
			long		item;
			double		w;

			errno = 0;
			item = strtol(s, &end, 10);
			if (end == s || errno == ERANGE || item < PG_INT32_MIN || item > PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid input syntax for type crm.profile: \"%s\"", str),
						 errdetail("Expected an item id (an integer) at \"%s\".", s)));
			s = end;
			while (isspace((unsigned char) *s))
				s++;
			if (*s != ':')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid input syntax for type crm.profile: \"%s\"", str),
						 errdetail("Expected \":\" after item %ld.", item)));
			s++;
#if PG_VERSION_NUM >= 160000
			w = float8in_internal(s, &end, "crm.profile", str, NULL);
#else
			w = float8in_internal(s, &end, "crm.profile", str);
#endif
			SimCheckWeight(w, (int32) item);
			s = end;
			if (n == cap)
			{
				SimCheckCount(cap * 2);
				cap *= 2;
				pairs = CrmMemoryRealloc(pairs, cap, sizeof(SimPair), "crm.profile", SIM_SCRATCH);
			}
			pairs[n].item = (int32) item;
			pairs[n].w = w;
			n++;
			while (isspace((unsigned char) *s))
				s++;
			if (*s == ',')
			{
				s++;
				continue;
			}
			if (*s == '}')
				break;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type crm.profile: \"%s\"", str),
					 errdetail("Expected \",\" or \"}\" at \"%s\".", s)));
		}
	}
	s++;
	while (isspace((unsigned char) *s))
		s++;
	if (*s != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type crm.profile: \"%s\"", str),
				 errdetail("Junk after the closing \"}\".")));
	PG_RETURN_POINTER(SimProfileFromPairs(pairs, n, false, "crm.profile"));
}

/* Text output: {item:weight,...} with the shortest exact float4 weights. */
Datum
profile_out(PG_FUNCTION_ARGS)
{
	SimProfile *p = PG_GETARG_SIMPROFILE_P(0);
	float4	   *w = SIM_PROFILE_WEIGHTS(p);
	StringInfoData buf;
	int32		i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < p->n; i++)
	{
		char		num[FLOAT_SHORTEST_DECIMAL_LEN];

		float_to_shortest_decimal_buf(w[i], num);
		appendStringInfo(&buf, "%s%d:%s", i > 0 ? "," : "", p->items[i], num);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* Check that a profile read from outside is well formed. */
static void
SimProfileValidate(const SimProfile *p)
{
	const float4 *w = SIM_PROFILE_WEIGHTS(p);
	int32		i;

	for (i = 0; i < p->n; i++)
	{
		if (i > 0 && p->items[i] <= p->items[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid crm.profile: item ids are not strictly ascending")));
		if (!(w[i] > 0.0f) || isinf(w[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid crm.profile: weights must be finite and positive")));
	}
}

/* Binary input: int32 n, int32 flags, then n (int32 item, float4 weight). */
Datum
profile_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		n = pq_getmsgint(buf, 4);
	int32		flags = pq_getmsgint(buf, 4);
	SimProfile *p;
	float4	   *w;
	int32		i;

	if (n < 0 || n > SIM_PROFILE_MAX_ITEMS || (int64) n * 8 > buf->len - buf->cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.profile item count %d", n)));
	if (flags != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.profile flags %d", flags)));
	p = SimProfileAlloc(n, "crm.profile");
	SET_VARSIZE(p, SIM_PROFILE_SIZE(n));
	p->n = n;
	w = SIM_PROFILE_WEIGHTS(p);
	for (i = 0; i < n; i++)
	{
		p->items[i] = pq_getmsgint(buf, 4);
		w[i] = pq_getmsgfloat4(buf);
	}
	SimProfileValidate(p);
	PG_RETURN_POINTER(p);
}

/* Binary output. */
Datum
profile_send(PG_FUNCTION_ARGS)
{
	SimProfile *p = PG_GETARG_SIMPROFILE_P(0);
	float4	   *w = SIM_PROFILE_WEIGHTS(p);
	StringInfoData buf;
	int32		i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, p->n);
	pq_sendint32(&buf, 0);
	for (i = 0; i < p->n; i++)
	{
		pq_sendint32(&buf, p->items[i]);
		pq_sendfloat4(&buf, w[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* crm.profile(items int4[], weights float4[]): a profile from two arrays. */
Datum
profile_from_arrays(PG_FUNCTION_ARGS)
{
	ArrayType  *ia = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *wa = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *iv,
			   *wv;
	bool	   *in,
			   *wn;
	int			ni,
				nw,
				i;
	SimPair    *pairs;

	if (ARR_NDIM(ia) > 1 || ARR_NDIM(wa) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("items and weights must be one-dimensional arrays")));
	deconstruct_array(ia, INT4OID, 4, true, TYPALIGN_INT, &iv, &in, &ni);
	deconstruct_array(wa, FLOAT4OID, 4, true, TYPALIGN_INT, &wv, &wn, &nw);
	if (ni != nw)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("items and weights must have the same length"),
				 errdetail("Got %d items and %d weights.", ni, nw)));
	SimCheckCount(ni);
	pairs = CrmMemoryAlloc(CurrentMemoryContext, ni, sizeof(SimPair), "crm.profile", SIM_SCRATCH);
	for (i = 0; i < ni; i++)
	{
		if (in[i] || wn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("items and weights must not contain NULLs")));
		pairs[i].item = DatumGetInt32(iv[i]);
		pairs[i].w = DatumGetFloat4(wv[i]);
		SimCheckWeight(pairs[i].w, pairs[i].item);
	}
	PG_RETURN_POINTER(SimProfileFromPairs(pairs, ni, false, "crm.profile"));
}

/* crm.profile_items(p): the item ids, ascending. */
Datum
profile_items(PG_FUNCTION_ARGS)
{
	SimProfile *p = PG_GETARG_SIMPROFILE_P(0);
	Datum	   *d = CrmMemoryAlloc(CurrentMemoryContext, p->n, sizeof(Datum),
								   "crm.profile_items", SIM_SCRATCH);
	int32		i;

	for (i = 0; i < p->n; i++)
		d[i] = Int32GetDatum(p->items[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, p->n, INT4OID, 4, true, TYPALIGN_INT));
}

/* crm.profile_weights(p): the weights, in item order. */
Datum
profile_weights(PG_FUNCTION_ARGS)
{
	SimProfile *p = PG_GETARG_SIMPROFILE_P(0);
	float4	   *w = SIM_PROFILE_WEIGHTS(p);
	Datum	   *d = CrmMemoryAlloc(CurrentMemoryContext, p->n, sizeof(Datum),
								   "crm.profile_weights", SIM_SCRATCH);
	int32		i;

	for (i = 0; i < p->n; i++)
		d[i] = Float4GetDatum(w[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, p->n, FLOAT4OID, 4, true, TYPALIGN_INT));
}

/* crm.profile_size(p): the number of items. */
Datum
profile_size(PG_FUNCTION_ARGS)
{
	SimProfile *p = PG_GETARG_SIMPROFILE_P(0);

	PG_RETURN_INT32(p->n);
}

/*
 * Sum of the squares of a profile divided by its largest weight (returned in
 * *scale), so that no square overflows; 0 for an empty profile.
 */
static double
SimProfileSumSq(const SimProfile *p, double *scale)
{
	const float4 *w = SIM_PROFILE_WEIGHTS(p);
	double		mx = 0.0;
	double		ss = 0.0;
	int32		i;

	for (i = 0; i < p->n; i++)
		mx = Max(mx, (double) w[i]);
	*scale = mx;
	if (mx == 0.0)
		return 0.0;
	for (i = 0; i < p->n; i++)
	{
		double		x = w[i] / mx;

		ss += x * x;
	}
	return ss;
}

/* Euclidean length of a profile divided by its largest weight (*scale). */
static double
SimProfileNorm(const SimProfile *p, double *scale)
{
	return sqrt(SimProfileSumSq(p, scale));
}

/* crm.profile_cosine(p1, p2): weighted cosine similarity; 0 when either is empty. */
Datum
profile_cosine(PG_FUNCTION_ARGS)
{
	SimProfile *a = PG_GETARG_SIMPROFILE_P(0);
	SimProfile *b = PG_GETARG_SIMPROFILE_P(1);
	const float4 *wa = SIM_PROFILE_WEIGHTS(a);
	const float4 *wb = SIM_PROFILE_WEIGHTS(b);
	double		sa,				/* largest weights */
				sb,
				ssa,			/* sums of squares of the scaled weights */
				ssb,
				dot = 0.0,
				sim;
	int32		i = 0,
				j = 0;

	if (a->n == 0 || b->n == 0)
		PG_RETURN_FLOAT8(0.0);
	ssa = SimProfileSumSq(a, &sa);
	ssb = SimProfileSumSq(b, &sb);
	while (i < a->n && j < b->n)
	{
		if (a->items[i] < b->items[j])
			i++;
		else if (a->items[i] > b->items[j])
			j++;
		else
		{
			dot += (wa[i] / sa) * (wb[j] / sb);
			i++;
			j++;
		}
	}
	/* the same operations as crm.nearest_neighbors, for the same values */
	sim = Min(dot / sqrt(ssa * ssb), 1.0);
	PG_RETURN_FLOAT8(sim);
}

/* crm.profile_jaccard(p1, p2): Jaccard similarity of the item sets; 0 when both are empty. */
Datum
profile_jaccard(PG_FUNCTION_ARGS)
{
	SimProfile *a = PG_GETARG_SIMPROFILE_P(0);
	SimProfile *b = PG_GETARG_SIMPROFILE_P(1);
	int32		i = 0,
				j = 0;
	int64		inter = 0;

	if (a->n == 0 || b->n == 0)
		PG_RETURN_FLOAT8(0.0);
	while (i < a->n && j < b->n)
	{
		if (a->items[i] < b->items[j])
			i++;
		else if (a->items[i] > b->items[j])
			j++;
		else
		{
			inter++;
			i++;
			j++;
		}
	}
	PG_RETURN_FLOAT8((double) inter / (double) ((int64) a->n + b->n - inter));
}

/* ---------- the aggregate ---------- */

/* The bytes of a purchase_profile state with room for cap pairs, checked. */
static Size
SimProfileStateSize(int64 cap)
{
	Size		bytes = CrmMemoryArraySize(cap, sizeof(int32) + sizeof(double),
										   "crm.purchase_profile", SIM_STATE);

	CrmMemoryCheck(bytes, "crm.purchase_profile", SIM_STATE);
	return bytes;
}

/* A new empty purchase_profile state with room for cap pairs. */
static SimProfileState *
SimProfileStateCreate(MemoryContext aggctx, int64 cap)
{
	SimProfileState *st = MemoryContextAllocZero(aggctx, sizeof(SimProfileState));

	st->cap = Max(cap, 8);
	(void) SimProfileStateSize(st->cap);
	st->items = CrmMemoryAlloc(aggctx, st->cap, sizeof(int32), "crm.purchase_profile", SIM_STATE);
	st->weights = CrmMemoryAlloc(aggctx, st->cap, sizeof(double), "crm.purchase_profile", SIM_STATE);
	return st;
}

/*
 * Make room for extra more pairs.  Before growing a large state we first
 * merge its repeated items in place, so that memory follows the number of
 * distinct items, not the number of rows.
 */
static void
SimProfileStateReserve(SimProfileState *st, int64 extra)
{
	if (st->n + extra <= st->cap)
		return;
	if (st->n >= 1024)
	{
		SimPair    *pairs;
		int64		i,
					out = 0;

		/* the state and the sorted copy of its pairs, at once */
		CrmMemoryCheck(SimProfileStateSize(st->cap) +
					   CrmMemoryArraySize(st->n, sizeof(SimPair), "crm.purchase_profile", SIM_STATE),
					   "crm.purchase_profile", SIM_STATE);
		pairs = CrmMemoryAlloc(CurrentMemoryContext, st->n, sizeof(SimPair),
							   "crm.purchase_profile", SIM_STATE);

		for (i = 0; i < st->n; i++)
		{
			pairs[i].item = st->items[i];
			pairs[i].w = st->weights[i];
		}
		qsort(pairs, st->n, sizeof(SimPair), SimPairCmp);
		for (i = 0; i < st->n; i++)
		{
			if (out > 0 && st->items[out - 1] == pairs[i].item)
				st->weights[out - 1] += pairs[i].w;
			else
			{
				st->items[out] = pairs[i].item;
				st->weights[out] = pairs[i].w;
				out++;
			}
		}
		pfree(pairs);
		st->n = out;
		if (st->n + extra <= st->cap / 2 + 1)
			return;
	}
	while (st->n + extra > st->cap)
	{
		SimCheckCount(st->cap);
		st->cap *= 2;
	}
	(void) SimProfileStateSize(st->cap);
	st->items = CrmMemoryRealloc(st->items, st->cap, sizeof(int32), "crm.purchase_profile", SIM_STATE);
	st->weights = CrmMemoryRealloc(st->weights, st->cap, sizeof(double), "crm.purchase_profile", SIM_STATE);
}

/* Transition: add (item, weight); NULL item skipped, NULL weight counts as 1. */
Datum
purchase_profile_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "purchase_profile_transfn");
	SimProfileState *st = PG_ARGISNULL(0) ? NULL : (SimProfileState *) PG_GETARG_POINTER(0);
	int32		item;
	double		w;

	if (st == NULL)
		st = SimProfileStateCreate(aggctx, 8);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	item = PG_GETARG_INT32(1);
	w = PG_ARGISNULL(2) ? 1.0 : PG_GETARG_FLOAT8(2);
	SimCheckWeight(w, item);
	SimProfileStateReserve(st, 1);
	st->items[st->n] = item;
	st->weights[st->n] = w;
	st->n++;
	PG_RETURN_POINTER(st);
}

/* Combine: append the pairs of state2 to state1. */
Datum
purchase_profile_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "purchase_profile_combinefn");
	SimProfileState *s1 = PG_ARGISNULL(0) ? NULL : (SimProfileState *) PG_GETARG_POINTER(0);
	SimProfileState *s2 = PG_ARGISNULL(1) ? NULL : (SimProfileState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = SimProfileStateCreate(aggctx, s2->n);
	SimProfileStateReserve(s1, s2->n);
	memcpy(s1->items + s1->n, s2->items, s2->n * sizeof(int32));
	memcpy(s1->weights + s1->n, s2->weights, s2->n * sizeof(double));
	s1->n += s2->n;
	PG_RETURN_POINTER(s1);
}

/* Serialize: format byte, count, then (item, weight) pairs. */
Datum
purchase_profile_serialfn(PG_FUNCTION_ARGS)
{
	SimProfileState *st = (SimProfileState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	(void) CrmAggContext(fcinfo, "purchase_profile_serialfn");
	if (st->n > (int64) ((MaxAllocSize - 64) / 12))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("purchase_profile state too large to send to a parallel worker"),
				 errhint("Disable parallel query for this statement (SET max_parallel_workers_per_gather = 0).")));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SIM_PROFILE_STATE_FORMAT);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->items[i]);
		pq_sendfloat8(&buf, st->weights[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Deserialize, validating the format, the count and every weight. */
Datum
purchase_profile_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "purchase_profile_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	SimProfileState *st;
	int			format;
	int64		n,
				i;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != SIM_PROFILE_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported purchase_profile state format %d", format)));
	n = pq_getmsgint64(&buf);
	if (n < 0 || n > (int64) (buf.len - buf.cursor) / 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid purchase_profile state: " INT64_FORMAT " pairs", n)));
	st = SimProfileStateCreate(aggctx, n);
	for (i = 0; i < n; i++)
	{
		st->items[i] = pq_getmsgint(&buf, 4);
		st->weights[i] = pq_getmsgfloat8(&buf);
		if (isnan(st->weights[i]) || isinf(st->weights[i]) || st->weights[i] < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid purchase_profile state: bad weight")));
	}
	st->n = n;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Final: the profile (state left untouched); an empty profile for no rows. */
Datum
purchase_profile_finalfn(PG_FUNCTION_ARGS)
{
	SimProfileState *st;
	SimPair    *pairs;
	int64		i;

	(void) CrmAggContext(fcinfo, "purchase_profile_finalfn");
	st = PG_ARGISNULL(0) ? NULL : (SimProfileState *) PG_GETARG_POINTER(0);
	if (st == NULL)
		PG_RETURN_NULL();
	pairs = CrmMemoryAlloc(CurrentMemoryContext, st->n, sizeof(SimPair),
						   "crm.purchase_profile", SIM_SCRATCH);
	for (i = 0; i < st->n; i++)
	{
		pairs[i].item = st->items[i];
		pairs[i].w = st->weights[i];
	}
	PG_RETURN_POINTER(SimProfileFromPairs(pairs, st->n, true, "crm.purchase_profile"));
}

/* ---------- fast exact lookup through stored posting lists ---------- */

PG_FUNCTION_INFO_V1(profile_unit);

/*
 * crm.profile_unit(p): p scaled to unit Euclidean length.  The posting lists
 * of a stored inverted index hold these weights, so that a dot product with
 * them is a cosine similarity.
 */
Datum
profile_unit(PG_FUNCTION_ARGS)
{
	SimProfile *p = PG_GETARG_SIMPROFILE_P(0);
	SimProfile *out = SimProfileAlloc(p->n, "crm.profile_unit");
	float4	   *w;
	double		scale;
	double		norm;
	int32		i;

	memcpy(out, p, VARSIZE(p));
	w = SIM_PROFILE_WEIGHTS(out);
	norm = SimProfileNorm(p, &scale);
	for (i = 0; i < out->n; i++)
		w[i] = (float4) ((w[i] / scale) / norm);
	PG_RETURN_POINTER(out);
}

/* One accumulated candidate of crm.profile_candidates. */
typedef struct SimAccEntry
{
	int32		key;
	double		acc;			/* cosine: sum of products; Jaccard: items shared */
	double		size;			/* Jaccard: the candidate's number of items */
	char		status;
} SimAccEntry;

#define SH_PREFIX		simacc
#define SH_ELEMENT_TYPE SimAccEntry
#define SH_KEY_TYPE		int32
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	murmurhash32((uint32) (k))
#define SH_EQUAL(tb, a, b)	((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * Largest error of a cosine accumulated from float4 unit weights: each
 * product is off by at most 2^-24 of itself and the sum is at most 1, so
 * 1e-6 bounds twice the error with a wide margin.
 */
#define SIM_CANDIDATE_MARGIN	1e-6
#define SIM_CANDIDATE_STATE_FORMAT	1

/*
 * Aggregate state of crm.profile_candidates (cosine: posting lists hold unit
 * weights) and crm.profile_candidates_jaccard (posting lists hold each
 * customer's number of items, so that the Jaccard similarity is exact).
 */
typedef struct SimCandState
{
	bool		jaccard;
	int32		k;
	SimProfile *target;			/* as given (raw weights) */
	double	   *tw;				/* target weights scaled to unit length */
	simacc_hash *acc;			/* candidate -> sum of target_i * posting_i */
} SimCandState;

PG_FUNCTION_INFO_V1(profile_candidates_transfn);
PG_FUNCTION_INFO_V1(profile_candidates_jaccard_transfn);
PG_FUNCTION_INFO_V1(profile_candidates_combinefn);
PG_FUNCTION_INFO_V1(profile_candidates_serialfn);
PG_FUNCTION_INFO_V1(profile_candidates_deserialfn);
PG_FUNCTION_INFO_V1(profile_candidates_finalfn);

/* The SQL name of the aggregate of a state, for messages. */
static inline const char *
SimCandName(const SimCandState *st)
{
	return st->jaccard ? "crm.profile_candidates_jaccard" : "crm.profile_candidates";
}

/* Check the budget for a state whose table has tablesize entries. */
static void
SimCandCheck(const SimCandState *st, uint64 tablesize)
{
	CrmMemoryCheck(VARSIZE(st->target) +
				   CrmMemoryArraySize(Max(st->target->n, 1), sizeof(double), SimCandName(st), SIM_STATE) +
				   CrmMemoryArraySize(tablesize, sizeof(SimAccEntry), SimCandName(st), SIM_STATE),
				   SimCandName(st), SIM_STATE);
}

/*
 * The entry of a candidate, added when new, within the budget.  An insert
 * into a full table first doubles it (simplehash.h), holding the old and the
 * new table for a moment: checked before.  simplehash also doubles a table
 * early when a probe run grows long, inside the insert: checked after, so
 * that a state past the budget never grows again.
 */
static inline SimAccEntry *
SimCandInsert(SimCandState *st, int32 key, bool *found)
{
	uint64		size = st->acc->size;
	SimAccEntry *e;

	if (st->acc->members >= st->acc->grow_threshold)
		SimCandCheck(st, 3 * size);
	e = simacc_insert(st->acc, key, found);
	if (st->acc->size != size)
		SimCandCheck(st, st->acc->size);
	return e;
}

/* A new candidates state: the target scaled to unit length, an empty table. */
static SimCandState *
SimCandStateCreate(MemoryContext aggctx, const SimProfile *target, int32 k, bool jaccard)
{
	SimCandState *st = MemoryContextAllocZero(aggctx, sizeof(SimCandState));
	const float4 *w = SIM_PROFILE_WEIGHTS(target);
	double		scale;
	double		norm = SimProfileNorm(target, &scale);
	int32		i;

	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1"),
				 errdetail("Got %d.", k)));
	st->k = k;
	st->jaccard = jaccard;
	st->target = MemoryContextAlloc(aggctx, VARSIZE(target));
	memcpy(st->target, target, VARSIZE(target));
	st->tw = CrmMemoryAlloc(aggctx, target->n, sizeof(double), SimCandName(st), SIM_STATE);
	for (i = 0; i < target->n; i++)
		st->tw[i] = (w[i] / scale) / norm;
	st->acc = simacc_create(aggctx, 1024, NULL);
	return st;
}

/* Weight of item in the unit target, or 0. */
static double
SimCandTargetWeight(const SimCandState *st, int32 item)
{
	int32		lo = 0,
				hi = st->target->n - 1;

	while (lo <= hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (st->target->items[mid] == item)
			return st->tw[mid];
		if (st->target->items[mid] < item)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0.0;
}

/*
 * Common transition of both candidate aggregates: (target, item, postings,
 * k).  postings is the posting list of item: customer id -> that customer's
 * unit weight of item (cosine), or that customer's number of items (Jaccard).
 */
static Datum
SimCandTrans(FunctionCallInfo fcinfo, bool jaccard, const char *fn)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, fn);
	SimCandState *st = PG_ARGISNULL(0) ? NULL : (SimCandState *) PG_GETARG_POINTER(0);
	SimProfile *target;
	SimProfile *post;
	const float4 *pw;
	double		tw;
	int32		j;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target and k of crm.profile_candidates must not be NULL")));
	target = PG_GETARG_SIMPROFILE_P(1);
	if (st == NULL)
		st = SimCandStateCreate(aggctx, target, PG_GETARG_INT32(4), jaccard);
	else if (VARSIZE(target) != VARSIZE(st->target) ||
			 memcmp(target, st->target, VARSIZE(target)) != 0 ||
			 PG_GETARG_INT32(4) != st->k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target and k must be the same for every row of crm.profile_candidates")));
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	tw = SimCandTargetWeight(st, PG_GETARG_INT32(2));
	if (tw == 0.0)
		PG_RETURN_POINTER(st);
	post = PG_GETARG_SIMPROFILE_P(3);
	pw = SIM_PROFILE_WEIGHTS(post);
	for (j = 0; j < post->n; j++)
	{
		bool		found;
		SimAccEntry *e;

		if (jaccard ? (pw[j] < 1.0f || pw[j] != rintf(pw[j])) : pw[j] > 1.0f + 1e-6f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("posting list of item %d holds weight %g for customer %d",
							PG_GETARG_INT32(2), pw[j], post->items[j]),
					 jaccard ?
					 errdetail("Posting lists for Jaccard must hold each customer's number of items.") :
					 errdetail("Posting lists must hold unit-length profile weights, at most 1."),
					 jaccard ?
					 errhint("Build them from crm.profile_size(profile).") :
					 errhint("Build them from crm.profile_unit(profile).")));
		e = SimCandInsert(st, post->items[j], &found);
		if (!found)
		{
			e->acc = 0.0;
			e->size = pw[j];
		}
		else if (jaccard && e->size != pw[j])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("posting lists give customer %d two different sizes, %g and %g",
							post->items[j], e->size, pw[j]),
					 errhint("Rebuild the posting lists from the current profiles.")));
		e->acc += jaccard ? 1.0 : tw * pw[j];
		if ((j & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(st);
}

/* Transition of crm.profile_candidates (cosine). */
Datum
profile_candidates_transfn(PG_FUNCTION_ARGS)
{
	return SimCandTrans(fcinfo, false, "profile_candidates_transfn");
}

/* Transition of crm.profile_candidates_jaccard. */
Datum
profile_candidates_jaccard_transfn(PG_FUNCTION_ARGS)
{
	return SimCandTrans(fcinfo, true, "profile_candidates_jaccard_transfn");
}

/* Combine: add the candidates of state2 into state1. */
Datum
profile_candidates_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "profile_candidates_combinefn");
	SimCandState *s1 = PG_ARGISNULL(0) ? NULL : (SimCandState *) PG_GETARG_POINTER(0);
	SimCandState *s2 = PG_ARGISNULL(1) ? NULL : (SimCandState *) PG_GETARG_POINTER(1);
	simacc_iterator it;
	SimAccEntry *e;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = SimCandStateCreate(aggctx, s2->target, s2->k, s2->jaccard);
	else if (VARSIZE(s1->target) != VARSIZE(s2->target) ||
			 memcmp(s1->target, s2->target, VARSIZE(s1->target)) != 0 ||
			 s1->k != s2->k || s1->jaccard != s2->jaccard)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target and k must be the same for every row of crm.profile_candidates")));
	simacc_start_iterate(s2->acc, &it);
	while ((e = simacc_iterate(s2->acc, &it)) != NULL)
	{
		bool		found;
		SimAccEntry *e1;

		e1 = SimCandInsert(s1, e->key, &found);

		if (!found)
		{
			e1->acc = 0.0;
			e1->size = e->size;
		}
		e1->acc += e->acc;
	}
	PG_RETURN_POINTER(s1);
}

/* Serialize: format, k, the target profile, then (candidate, sum) pairs. */
Datum
profile_candidates_serialfn(PG_FUNCTION_ARGS)
{
	SimCandState *st = (SimCandState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	simacc_iterator it;
	SimAccEntry *e;

	(void) CrmAggContext(fcinfo, "profile_candidates_serialfn");
	if ((Size) st->acc->members > (MaxAllocSize - VARSIZE(st->target) - 64) / 20)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s state too large to send to a parallel worker", SimCandName(st)),
				 errdetail("It holds %u candidates; a state is sent as one value of at most 1 GB.",
						   (unsigned) st->acc->members),
				 errhint("Disable parallel query for this statement (SET max_parallel_workers_per_gather = 0).")));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SIM_CANDIDATE_STATE_FORMAT);
	pq_sendbyte(&buf, st->jaccard ? 1 : 0);
	pq_sendint32(&buf, st->k);
	pq_sendint32(&buf, VARSIZE(st->target));
	pq_sendbytes(&buf, (char *) st->target, VARSIZE(st->target));
	pq_sendint64(&buf, (int64) st->acc->members);
	simacc_start_iterate(st->acc, &it);
	while ((e = simacc_iterate(st->acc, &it)) != NULL)
	{
		pq_sendint32(&buf, e->key);
		pq_sendfloat8(&buf, e->acc);
		pq_sendfloat8(&buf, e->size);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Deserialize, validating the target profile and every count. */
Datum
profile_candidates_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "profile_candidates_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	SimCandState *st;
	SimProfile *target;
	int			format;
	int			jaccard;
	int32		k;
	int32		tsize;
	int64		n,
				i;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != SIM_CANDIDATE_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported profile_candidates state format %d", format)));
	jaccard = pq_getmsgbyte(&buf);
	if (jaccard != 0 && jaccard != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid profile_candidates state: bad metric %d", jaccard)));
	k = pq_getmsgint(&buf, 4);
	tsize = pq_getmsgint(&buf, 4);
	if (tsize < (int32) offsetof(SimProfile, items) || tsize > buf.len - buf.cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid profile_candidates state: bad target size %d", tsize)));
	target = palloc(tsize);
	pq_copymsgbytes(&buf, (char *) target, tsize);
	if (VARSIZE(target) != (Size) tsize || target->n < 0 ||
		SIM_PROFILE_SIZE(target->n) != (Size) tsize)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid profile_candidates state: bad target")));
	SimProfileValidate(target);
	st = SimCandStateCreate(aggctx, target, k, jaccard == 1);
	n = pq_getmsgint64(&buf);
	if (n < 0 || n > (int64) (buf.len - buf.cursor) / 20)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid profile_candidates state: " INT64_FORMAT " candidates", n)));
	for (i = 0; i < n; i++)
	{
		bool		found;
		int32		key = pq_getmsgint(&buf, 4);
		double		acc = pq_getmsgfloat8(&buf);
		double		size = pq_getmsgfloat8(&buf);
		SimAccEntry *e;

		if (isnan(acc) || isinf(acc) || isnan(size) || isinf(size))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid profile_candidates state: bad sum")));
		e = SimCandInsert(st, key, &found);
		e->acc = found ? e->acc + acc : acc;
		e->size = size;
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Order int32 values ascending. */
static int
SimInt32Cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Order doubles descending. */
static int
SimDoubleDescCmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x < y) - (x > y);
}

/* The similarity of a candidate to the target from its accumulated entry. */
static inline double
SimCandValue(const SimCandState *st, const SimAccEntry *e)
{
	if (!st->jaccard)
		return e->acc;
	/* the same single division as crm.profile_jaccard: exact ties stay ties */
	return e->acc / ((double) st->target->n + e->size - e->acc);
}

/*
 * Final: the candidates whose similarity is within the error margin of the
 * k-th largest (cosine: accumulated from float4 weights; Jaccard: exact, no
 * margin), in id order.  Ranking them with crm.profile_cosine or
 * crm.profile_jaccard gives the exact top k.  State left untouched.
 */
Datum
profile_candidates_finalfn(PG_FUNCTION_ARGS)
{
	SimCandState *st;
	simacc_iterator it;
	SimAccEntry *e;
	double	   *vals;
	double		kth;
	int64		n = 0,
				m = 0;
	Datum	   *out;
	int32	   *ids;

	(void) CrmAggContext(fcinfo, "profile_candidates_finalfn");
	st = PG_ARGISNULL(0) ? NULL : (SimCandState *) PG_GETARG_POINTER(0);
	if (st == NULL)
		PG_RETURN_NULL();
	vals = CrmMemoryAlloc(CurrentMemoryContext, st->acc->members, sizeof(double),
						  SimCandName(st), "Ranking the candidates");
	simacc_start_iterate(st->acc, &it);
	while ((e = simacc_iterate(st->acc, &it)) != NULL)
	{
		double		v = SimCandValue(st, e);

		if (v > 0.0)
			vals[n++] = v;
	}
	if (n > st->k)
	{
		/* the k-th largest value: a partial sort would do, qsort is simple */
		qsort(vals, n, sizeof(double), SimDoubleDescCmp);
		kth = vals[st->k - 1] - (st->jaccard ? 0.0 : SIM_CANDIDATE_MARGIN);
	}
	else
		kth = 0.0;
	ids = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(int32), SimCandName(st),
						 "Ranking the candidates");
	simacc_start_iterate(st->acc, &it);
	while ((e = simacc_iterate(st->acc, &it)) != NULL)
	{
		double		v = SimCandValue(st, e);

		if (v > 0.0 && v >= kth)
			ids[m++] = e->key;
	}
	qsort(ids, m, sizeof(int32), SimInt32Cmp);	/* by id: deterministic */
	out = CrmMemoryAlloc(CurrentMemoryContext, m, sizeof(Datum), SimCandName(st),
						 "Ranking the candidates");
	for (n = 0; n < m; n++)
		out[n] = Int32GetDatum(ids[n]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, (int) m, INT4OID, 4, true, TYPALIGN_INT));
}
