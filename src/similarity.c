/*
 * similarity.c
 *		Similar customers, similar items and recommendations from a caller's
 *		(customer, item, weight) query.
 *
 * The rows are read once, row by row (query.c).  Customers and items are
 * dictionary-encoded to dense integers numbered in the byte order of their
 * text (COLLATE "C"), so that "smaller id" means "smaller key" and ties can
 * be broken on the id.  Repeated (customer, item) pairs add their weights;
 * a NULL weight counts as 1 (one purchase); pairs whose total weight is 0
 * are not part of the profile; negative, NaN or infinite weights are refused.
 *
 * The data become a sparse matrix R in compressed sparse row form (rows =
 * the entities compared: customers, or items for item-item similarity) and
 * its transpose R' (the inverted index: item -> customers who bought it).
 * For cosine each row of R is divided by its largest weight first (and its
 * length kept aside), so that nothing can overflow.  The neighbours of one
 * row u are one row of the sparse product R R' (the row-by-row algorithm of
 * Gustavson, "Two fast algorithms for sparse matrices: multiplication and
 * permuted transposition", ACM TOMS 4(3), 1978): for each item i of u and
 * each row v that has i, a dense accumulator adds r_ui * r_vi (cosine,
 * divided by the two lengths at the end) or 1 (the size of the intersection,
 * for Jaccard); a touched-list remembers which cells to read and clear.  Only
 * the pairs that share at least one item are ever visited, never all pairs,
 * and the result is exact.  crm.nearest_neighbors computes each pair once
 * (u < v) and offers it to the bounded heaps of both u and v.  The heaps keep
 * the k best neighbours in the order: similarity descending, then neighbour
 * key ascending (byte order).  Neighbours with similarity 0 are never
 * returned.
 *
 *	cosine(u, v)  = sum_i w_ui w_vi / (|w_u| |w_v|)
 *	jaccard(u, v) = |I_u & I_v| / |I_u | I_v|		(I_u = items of u)
 *
 * Recommendations (user-based collaborative filtering, as in Herlocker et
 * al., "An algorithmic framework for performing collaborative filtering",
 * SIGIR 1999): with N(u) the n most similar customers of u,
 *
 *	score(u, i) = sum_{v in N(u)} sim(u, v) r_vi / sum_{v in N(u)} sim(u, v)
 *
 * for every item i that u has not bought, where r_vi = w_vi / |w_v| (the
 * neighbour's unit-length profile) for cosine and r_vi = 1 if v bought i for
 * Jaccard.  So the score is a similarity-weighted average over the
 * neighbourhood, between 0 and 1.
 *
 * All working memory lives in a private memory context, checked against the
 * budget crm_analytics.max_memory (memory.c) with everything it already
 * holds before each array is allocated or grown, when a dictionary's hash
 * table is about to double, and every 64 kB of keys copied.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "similarity.h"

/* stage names for the memory error */
#define SIM_READING		"Reading the query"
#define SIM_SORTING		"Sorting the dictionaries"
#define SIM_MATRIX		"Building the customer x item matrix"
#define SIM_INDEX		"Building the inverted index"
#define SIM_SCALING		"Scaling the profiles"
#define SIM_COMPARING	"Comparing the profiles"
#define SIM_SCORING		"Scoring the items"
/* default neighbourhood size of crm.recommend_items */
#define SIM_DEFAULT_NEIGHBORS	20
/* most customers or items we can number (ids are int32) */
#define SIM_MAX_KEYS			(PG_INT32_MAX / 2)

typedef enum SimMetric
{
	SIM_COSINE,
	SIM_JACCARD
} SimMetric;

/* One key of the dictionary (customer or item text). */
typedef struct SimKeyEntry
{
	char	   *key;
	uint32		hash;
	int32		id;				/* provisional id: order of first appearance */
	char		status;
} SimKeyEntry;

#define SH_PREFIX		simkey
#define SH_ELEMENT_TYPE SimKeyEntry
#define SH_KEY_TYPE		char *
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	hash_bytes((const unsigned char *) (k), strlen(k))
#define SH_EQUAL(tb, a, b)	(strcmp((a), (b)) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* A dictionary: text key <-> dense id, ids in byte order of the keys at the end. */
typedef struct SimDict
{
	simkey_hash *hash;
	int32		n;
	char	  **keys;			/* id -> key; provisional while loading */
	text	  **texts;			/* id -> key as text, built on first use */
} SimDict;

/* One entry of a sparse row. */
typedef struct SimEntry
{
	int32		idx;
	double		w;
} SimEntry;

/* A sparse matrix in compressed sparse row form. */
typedef struct SimMatrix
{
	int32		nrows;
	int32		ncols;
	int64		nnz;
	int64	   *rowptr;			/* nrows + 1 */
	SimEntry   *e;				/* nnz entries, each row sorted by idx */
	double	   *sumsq;			/* for cosine: sum of the squares of each row */
} SimMatrix;

/* Everything one call works on. */
typedef struct SimData
{
	MemoryContext ctx;
	const char *fn;				/* SQL name, for messages */
	Size		unchecked;		/* bytes of keys copied since the last check */
	SimDict		cust;
	SimDict		item;
	/* raw rows while loading */
	int64		nraw;
	int64		rawcap;
	int32	   *rawc;
	int32	   *rawi;
	double	   *raww;
	/* customers x items, merged */
	SimMatrix	cm;
} SimData;

/* A candidate neighbour. */
typedef struct SimHit
{
	int32		id;
	double		sim;
} SimHit;

/*
 * Scratch space of the row-by-row product.  acc is all zeros between rows:
 * weights are positive, so a cell is touched for the first time exactly
 * when it is still 0 (a product that underflows to 0 leaves it untouched,
 * and a similarity of 0 is never returned anyway).
 */
typedef struct SimScratch
{
	double	   *acc;
	int32	   *touched;
	SimHit	   *heap;
	int			heapcap;
} SimScratch;

PG_FUNCTION_INFO_V1(similarity_nearest_neighbors);
PG_FUNCTION_INFO_V1(similarity_similar_customers);
PG_FUNCTION_INFO_V1(similarity_similar_items);
PG_FUNCTION_INFO_V1(similarity_recommend_items);

/* ---------- memory ---------- */

/*
 * n elements of elem bytes in the work context, after checking that the
 * context stays within crm_analytics.max_memory with them.  what names the
 * stage for the error detail ("Building the inverted index would take ...").
 */
static void *
SimAlloc(SimData *d, Size n, Size elem, const char *what)
{
	CrmMemoryCheckContext(d->ctx, CrmMemoryArraySize(Max(n, 1), elem, d->fn, what), d->fn, what);
	return CrmMemoryAlloc(d->ctx, n, elem, d->fn, what);
}

/* ---------- arguments ---------- */

static SimMetric
SimParseMetric(FunctionCallInfo fcinfo, int argno)
{
	char	   *m;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("metric must not be NULL"),
				 errhint("Valid metrics are 'cosine' and 'jaccard'.")));
	m = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (pg_strcasecmp(m, "cosine") == 0)
		return SIM_COSINE;
	if (pg_strcasecmp(m, "jaccard") == 0)
		return SIM_JACCARD;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown similarity metric \"%s\"", m),
			 errhint("Valid metrics are 'cosine' and 'jaccard'.")));
	return SIM_COSINE;			/* keep compiler quiet */
}

/* An integer argument that must be at least 1 (k, neighbors). */
static int32
SimParsePositive(FunctionCallInfo fcinfo, int argno, const char *name)
{
	int32		v;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	v = PG_GETARG_INT32(argno);
	if (v < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at least 1", name),
				 errdetail("Got %d.", v)));
	return v;
}

/* A text argument that must not be NULL. */
static char *
SimParseText(FunctionCallInfo fcinfo, int argno, const char *name, const char *hint)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("%s", hint)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* ---------- loading ---------- */

/* The provisional id of key, adding it to the dictionary when new. */
static int32
SimDictAdd(SimData *d, SimDict *dict, const char *key, const char *what)
{
	bool		found;
	SimKeyEntry *ent;
	uint64		size = dict->hash->size;

	/*
	 * An insert into a full table doubles it first (simplehash.h): checked
	 * before.  simplehash also doubles a table early when a probe run grows
	 * long, inside the insert: checked after.
	 */
	if (dict->hash->members >= dict->hash->grow_threshold)
		CrmMemoryCheckContext(d->ctx,
							  CrmMemoryArraySize(size, 2 * sizeof(SimKeyEntry), d->fn, SIM_READING),
							  d->fn, SIM_READING);
	ent = simkey_insert(dict->hash, (char *) key, &found);
	if (dict->hash->size != size)
		CrmMemoryCheckContext(d->ctx, 0, d->fn, SIM_READING);
	if (!found)
	{
		Size		len = strlen(key) + 1;

		if (dict->n >= SIM_MAX_KEYS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct %ss for %s", what, d->fn),
					 errdetail("The limit is %d.", SIM_MAX_KEYS)));
		CrmMemoryNote(d->ctx, &d->unchecked, len, d->fn, SIM_READING);
		ent->key = MemoryContextAlloc(d->ctx, len);
		memcpy(ent->key, key, len);
		ent->id = dict->n++;
	}
	return ent->id;
}

/* Append one raw (customer, item, weight) row, growing the arrays as needed. */
static void
SimAddRaw(SimData *d, int32 c, int32 i, double w)
{
	if (d->nraw == d->rawcap)
	{
		int64		newcap = d->rawcap * 2;

		/* the arrays grow by rawcap rows of 2 int32 and a double */
		CrmMemoryCheckContext(d->ctx,
							  CrmMemoryArraySize(d->rawcap, 2 * sizeof(int32) + sizeof(double),
												 d->fn, SIM_READING),
							  d->fn, SIM_READING);
		d->rawc = CrmMemoryRealloc(d->rawc, newcap, sizeof(int32), d->fn, SIM_READING);
		d->rawi = CrmMemoryRealloc(d->rawi, newcap, sizeof(int32), d->fn, SIM_READING);
		d->raww = CrmMemoryRealloc(d->raww, newcap, sizeof(double), d->fn, SIM_READING);
		d->rawcap = newcap;
	}
	d->rawc[d->nraw] = c;
	d->rawi[d->nraw] = i;
	d->raww[d->nraw] = w;
	d->nraw++;
}

/* Compare two keys in byte order, through a permutation of provisional ids. */
static int
SimKeyCmp(const void *a, const void *b, void *arg)
{
	char	  **keys = (char **) arg;

	return strcmp(keys[*(const int32 *) a], keys[*(const int32 *) b]);
}

/*
 * Renumber the dictionary in byte order of the keys.  Returns the map from
 * provisional to final ids.
 */
static int32 *
SimDictSort(SimData *d, SimDict *dict)
{
	int32	   *order = SimAlloc(d, dict->n, sizeof(int32), SIM_SORTING);
	int32	   *map = SimAlloc(d, dict->n, sizeof(int32), SIM_SORTING);
	char	  **sorted = SimAlloc(d, dict->n, sizeof(char *), SIM_SORTING);
	int32		j;
	simkey_iterator it;
	SimKeyEntry *ent;

	dict->keys = SimAlloc(d, dict->n, sizeof(char *), SIM_SORTING);
	simkey_start_iterate(dict->hash, &it);
	while ((ent = simkey_iterate(dict->hash, &it)) != NULL)
		dict->keys[ent->id] = ent->key;
	for (j = 0; j < dict->n; j++)
		order[j] = j;
	qsort_arg(order, dict->n, sizeof(int32), SimKeyCmp, dict->keys);
	for (j = 0; j < dict->n; j++)
	{
		map[order[j]] = j;
		sorted[j] = dict->keys[order[j]];
	}
	pfree(dict->keys);
	pfree(order);
	dict->keys = sorted;
	dict->texts = SimAlloc(d, dict->n, sizeof(text *), SIM_SORTING);
	memset(dict->texts, 0, (Size) dict->n * sizeof(text *));
	simkey_destroy(dict->hash);
	dict->hash = NULL;
	return map;
}

/* Order sparse entries by column. */
static int
SimEntryCmp(const void *a, const void *b)
{
	int32		x = ((const SimEntry *) a)->idx;
	int32		y = ((const SimEntry *) b)->idx;

	return (x > y) - (x < y);
}

/*
 * Build the customers x items matrix from the raw rows: bucket by customer,
 * sort each row by item, add repeated pairs, drop zero totals.
 */
static void
SimBuildMatrix(SimData *d, const int32 *cmap, const int32 *imap)
{
	SimMatrix  *m = &d->cm;
	int64		k;
	int64		out;
	int32		r;
	int64	   *next;

	m->nrows = d->cust.n;
	m->ncols = d->item.n;
	m->rowptr = SimAlloc(d, (Size) m->nrows + 1, sizeof(int64), SIM_MATRIX);
	memset(m->rowptr, 0, ((Size) m->nrows + 1) * sizeof(int64));
	for (k = 0; k < d->nraw; k++)
		m->rowptr[cmap[d->rawc[k]] + 1]++;
	for (r = 0; r < m->nrows; r++)
		m->rowptr[r + 1] += m->rowptr[r];
	m->e = SimAlloc(d, d->nraw, sizeof(SimEntry), SIM_MATRIX);
	next = SimAlloc(d, (Size) m->nrows + 1, sizeof(int64), SIM_MATRIX);
	memcpy(next, m->rowptr, ((Size) m->nrows + 1) * sizeof(int64));
	for (k = 0; k < d->nraw; k++)
	{
		SimEntry   *e = &m->e[next[cmap[d->rawc[k]]]++];

		e->idx = imap[d->rawi[k]];
		e->w = d->raww[k];
	}
	pfree(next);
	pfree(d->rawc);
	pfree(d->rawi);
	pfree(d->raww);
	d->rawc = d->rawi = NULL;
	d->raww = NULL;

	/* sort, merge repeated pairs and compact, row by row */
	out = 0;
	for (r = 0; r < m->nrows; r++)
	{
		int64		start = m->rowptr[r];
		int64		end = m->rowptr[r + 1];
		int64		p;

		CHECK_FOR_INTERRUPTS();
		if (end - start > 1)
			qsort(&m->e[start], end - start, sizeof(SimEntry), SimEntryCmp);
		m->rowptr[r] = out;
		p = start;
		while (p < end)
		{
			int32		idx = m->e[p].idx;
			double		w = 0.0;

			for (; p < end && m->e[p].idx == idx; p++)
				w += m->e[p].w;
			if (isinf(w))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("the total weight of customer \"%s\" and item \"%s\" is out of range",
								d->cust.keys[r], d->item.keys[idx]),
						 errhint("Scale the weights down.")));
			if (w > 0.0)
			{
				m->e[out].idx = idx;
				m->e[out].w = w;
				out++;
			}
		}
	}
	m->rowptr[m->nrows] = out;
	m->nnz = out;
}

/* What SimLoad's row callback needs: the data and the column conversions. */
typedef struct SimReader
{
	SimData    *d;
	CrmCast		cust_cast;
	CrmCast		item_cast;
	CrmCast		weight_cast;
	uint64		nrows;
} SimReader;

/* One (customer, item, weight) row: into the dictionaries and the raw triplets. */
static void
SimLoadRow(TupleTableSlot *slot, void *arg)
{
	SimReader  *r = (SimReader *) arg;
	SimData    *d = r->d;
	double		w;
	char	   *ckey;
	char	   *ikey;
	int32		c,
				it;

	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	ckey = TextDatumGetCString(CrmCastValue(&r->cust_cast, slot->tts_values[0]));
	ikey = TextDatumGetCString(CrmCastValue(&r->item_cast, slot->tts_values[1]));
	w = slot->tts_isnull[2] ? 1.0 :
		DatumGetFloat8(CrmCastValue(&r->weight_cast, slot->tts_values[2]));
	if (isnan(w) || isinf(w) || w < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must be finite and not negative"),
				 errdetail("Customer \"%s\", item \"%s\" has weight %g.", ckey, ikey, w),
				 errhint("Filter out returns and cancellations (for example WHERE quantity > 0), or pass NULL to count a purchase as 1.")));
	c = SimDictAdd(d, &d->cust, ckey, "customer");
	it = SimDictAdd(d, &d->item, ikey, "item");
	SimAddRaw(d, c, it, w);
	if ((++r->nrows & 0xFFFF) == 0)
		CrmMemoryCheckContext(d->ctx, 0, d->fn, SIM_READING);
}

/*
 * Read the caller's query: (customer, item, weight) rows, into the
 * dictionaries and the customers x items matrix.
 */
static void
SimLoad(SimData *d, const char *query)
{
	static const Oid weight_types[] = {INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID, NUMERICOID};
	CrmQuery	q;
	SimReader	r;
	int32	   *cmap;
	int32	   *imap;

	CrmQueryOpen(&q, query, 3, 3, d->fn, "(customer, item, weight)");
	CrmCheckColumnType(q.desc, 3, d->fn, "weight", weight_types, lengthof(weight_types),
					   "a number (integer, numeric or float8)");
	memset(&r, 0, sizeof(r));
	r.d = d;
	CrmCastInit(&r.cust_cast, TupleDescAttr(q.desc, 0)->atttypid, TEXTOID, d->fn, "1 (customer)");
	CrmCastInit(&r.item_cast, TupleDescAttr(q.desc, 1)->atttypid, TEXTOID, d->fn, "2 (item)");
	CrmCastInit(&r.weight_cast, TupleDescAttr(q.desc, 2)->atttypid, FLOAT8OID, d->fn, "3 (weight)");

	d->cust.hash = simkey_create(d->ctx, 1024, NULL);
	d->item.hash = simkey_create(d->ctx, 1024, NULL);
	d->rawcap = 1024;
	d->rawc = SimAlloc(d, d->rawcap, sizeof(int32), SIM_READING);
	d->rawi = SimAlloc(d, d->rawcap, sizeof(int32), SIM_READING);
	d->raww = SimAlloc(d, d->rawcap, sizeof(double), SIM_READING);
	(void) CrmQueryForEachRow(&q, SimLoadRow, &r);
	CrmQueryClose(&q);
	CrmMemoryCheckContext(d->ctx, 0, d->fn, SIM_READING);

	cmap = SimDictSort(d, &d->cust);
	imap = SimDictSort(d, &d->item);
	SimBuildMatrix(d, cmap, imap);
	pfree(cmap);
	pfree(imap);
}

/* ---------- the product ---------- */

/* The transpose of m, with each row sorted by column. */
static void
SimTranspose(SimData *d, const SimMatrix *m, SimMatrix *t)
{
	int32		r;
	int64	   *next;

	t->nrows = m->ncols;
	t->ncols = m->nrows;
	t->nnz = m->nnz;
	t->sumsq = NULL;
	t->rowptr = SimAlloc(d, (Size) t->nrows + 1, sizeof(int64), SIM_INDEX);
	memset(t->rowptr, 0, ((Size) t->nrows + 1) * sizeof(int64));
	t->e = SimAlloc(d, m->nnz, sizeof(SimEntry), SIM_INDEX);
	next = SimAlloc(d, (Size) t->nrows + 1, sizeof(int64), SIM_INDEX);
	for (r = 0; r < m->nrows; r++)
	{
		int64		p;

		for (p = m->rowptr[r]; p < m->rowptr[r + 1]; p++)
			t->rowptr[m->e[p].idx + 1]++;
	}
	for (r = 0; r < t->nrows; r++)
		t->rowptr[r + 1] += t->rowptr[r];
	memcpy(next, t->rowptr, ((Size) t->nrows + 1) * sizeof(int64));
	for (r = 0; r < m->nrows; r++)
	{
		int64		p;

		if ((r & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (p = m->rowptr[r]; p < m->rowptr[r + 1]; p++)
		{
			SimEntry   *e = &t->e[next[m->e[p].idx]++];

			e->idx = r;
			e->w = m->e[p].w;
		}
	}
	pfree(next);
}

/*
 * A copy of m with every row divided by its largest weight (so that no
 * square or product can overflow), and the sum of squares of each scaled
 * row in out->sumsq (between 1 and the number of items).  Then
 * cosine(u, v) = sum_i x_ui x_vi / sqrt(sumsq_u sumsq_v) on the scaled rows
 * x: one rounding in the denominator, so that 2 / 5 gives 0.4 exactly where
 * unit-length rows give 0.39999999999999997.
 */
static void
SimScaleRows(SimData *d, const SimMatrix *m, SimMatrix *out)
{
	int32		r;

	*out = *m;
	out->e = SimAlloc(d, m->nnz, sizeof(SimEntry), SIM_SCALING);
	out->sumsq = SimAlloc(d, m->nrows, sizeof(double), SIM_SCALING);
	for (r = 0; r < m->nrows; r++)
	{
		int64		p;
		double		mx = 0.0;
		double		ss = 0.0;

		for (p = m->rowptr[r]; p < m->rowptr[r + 1]; p++)
			mx = Max(mx, m->e[p].w);
		for (p = m->rowptr[r]; p < m->rowptr[r + 1]; p++)
		{
			double		x = m->e[p].w / mx;

			out->e[p].idx = m->e[p].idx;
			out->e[p].w = x;
			ss += x * x;
		}
		out->sumsq[r] = ss;
	}
}

/* Is a a better neighbour than b (higher similarity, then smaller key)? */
static inline bool
SimBetter(const SimHit *a, const SimHit *b)
{
	return a->sim > b->sim || (a->sim == b->sim && a->id < b->id);
}

/* Offer a candidate to the bounded heap whose root is the worst kept hit. */
static inline void
SimHeapOffer(SimHit *heap, int *n, int cap, SimHit h)
{
	int			i;

	if (*n < cap)
	{
		i = (*n)++;
		while (i > 0)
		{
			int			p = (i - 1) / 2;

			if (!SimBetter(&heap[p], &h))
				break;
			heap[i] = heap[p];
			i = p;
		}
		heap[i] = h;
		return;
	}
	if (!SimBetter(&h, &heap[0]))
		return;
	i = 0;
	for (;;)
	{
		int			l = 2 * i + 1;
		int			c;

		if (l >= *n)
			break;
		c = l;
		if (l + 1 < *n && SimBetter(&heap[l], &heap[l + 1]))
			c = l + 1;			/* the worse child */
		if (!SimBetter(&h, &heap[c]))
			break;				/* h is no worse than both children */
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = h;
}

/* Order hits best first (qsort comparator of SimBetter). */
static int
SimHitCmp(const void *a, const void *b)
{
	const SimHit *x = (const SimHit *) a;
	const SimHit *y = (const SimHit *) b;

	if (SimBetter(x, y))
		return -1;
	if (SimBetter(y, x))
		return 1;
	return 0;
}

/* Scratch space for rows of a matrix with ncands candidate rows, k results. */
static void
SimScratchInit(SimData *d, SimScratch *s, int32 ncands, int k)
{
	s->acc = SimAlloc(d, ncands, sizeof(double), SIM_COMPARING);
	s->touched = SimAlloc(d, ncands, sizeof(int32), SIM_COMPARING);
	memset(s->acc, 0, (Size) Max(ncands, 1) * sizeof(double));
	s->heapcap = Max(Min(k, ncands), 1);
	s->heap = SimAlloc(d, s->heapcap, sizeof(SimHit), SIM_COMPARING);
}

/*
 * Accumulate row u of r r' into s->acc for the rows v of the columns of u,
 * starting in each column at colstart[i] (or at its beginning when colstart
 * is NULL), and list the touched rows.  Returns how many were touched.
 */
static inline int32
SimAccumulate(const SimMatrix *r, const SimMatrix *rt, int32 u, SimMetric metric,
			  const int64 *colstart, SimScratch *s)
{
	double	   *acc = s->acc;
	int32	   *touched = s->touched;
	int32		nt = 0;
	int64		p;

	for (p = r->rowptr[u]; p < r->rowptr[u + 1]; p++)
	{
		int32		i = r->e[p].idx;
		double		wu = metric == SIM_COSINE ? r->e[p].w : 1.0;
		int64		q = colstart ? colstart[i] : rt->rowptr[i];
		int64		end = rt->rowptr[i + 1];
		const SimEntry *col = rt->e;

		if (metric == SIM_COSINE)
		{
			for (; q < end; q++)
			{
				int32		v = col[q].idx;

				if (acc[v] == 0.0)
					touched[nt++] = v;
				acc[v] += wu * col[q].w;
			}
		}
		else
		{
			for (; q < end; q++)
			{
				int32		v = col[q].idx;

				if (acc[v] == 0.0)
					touched[nt++] = v;
				acc[v] += 1.0;
			}
		}
	}
	return nt;
}

/* The similarity of rows u and v from the accumulated value. */
static inline double
SimFinish(const SimMatrix *r, int32 u, int32 v, SimMetric metric, double acc)
{
	if (metric == SIM_COSINE)
		return Min(acc / sqrt(r->sumsq[u] * r->sumsq[v]), 1.0);
	/* Jaccard: intersection / union of the item sets */
	return acc / ((double) (r->rowptr[u + 1] - r->rowptr[u]) +
				  (double) (r->rowptr[v + 1] - r->rowptr[v]) - acc);
}

/*
 * The k rows most similar to row u of r (r = the profiles, scaled rows for
 * cosine; rt = its transpose), best first, into s->heap.  Returns how many.
 */
static int
SimNeighbours(const SimMatrix *r, const SimMatrix *rt, int32 u, SimMetric metric,
			  int k, SimScratch *s)
{
	int			nh = 0;
	int			cap = Min(k, s->heapcap);
	int32		nt;
	int32		j;

	nt = SimAccumulate(r, rt, u, metric, NULL, s);
	for (j = 0; j < nt; j++)
	{
		int32		v = s->touched[j];
		SimHit		h;

		h.id = v;
		h.sim = SimFinish(r, u, v, metric, s->acc[v]);
		s->acc[v] = 0.0;
		if (v != u && h.sim > 0.0)
			SimHeapOffer(s->heap, &nh, cap, h);
	}
	qsort(s->heap, nh, sizeof(SimHit), SimHitCmp);
	return nh;
}

/*
 * The k nearest neighbours of every row at once, computing each pair once:
 * row u is multiplied only with the rows v > u (each column of rt is sorted
 * by row, so a cursor per column skips the rows before u), and the
 * similarity is offered to the heaps of both u and v.  worst[v] caches the
 * similarity of the worst hit kept by the full heap of v, so that most
 * offers are rejected without touching that heap.  Heaps are left unsorted
 * in heaps[v * cap ...] with sizes in nheap[v].
 */
static void
SimAllNeighbours(SimData *d, const SimMatrix *r, const SimMatrix *rt, SimMetric metric,
				 int cap, SimScratch *s, SimHit *heaps, int *nheap)
{
	int64	   *colpos = SimAlloc(d, (Size) rt->nrows + 1, sizeof(int64), SIM_COMPARING);
	double	   *worst = SimAlloc(d, r->nrows, sizeof(double), SIM_COMPARING);
	int32		u;

	memcpy(colpos, rt->rowptr, ((Size) rt->nrows + 1) * sizeof(int64));
	for (u = 0; u < r->nrows; u++)
		worst[u] = -1.0;
	memset(nheap, 0, (Size) Max(r->nrows, 1) * sizeof(int));

	for (u = 0; u < r->nrows; u++)
	{
		int32		nt;
		int32		j;
		int64		p;
		SimHit	   *hu = &heaps[(Size) u * cap];

		CHECK_FOR_INTERRUPTS();
		/* skip u itself: every row v < u holding item i was passed already */
		for (p = r->rowptr[u]; p < r->rowptr[u + 1]; p++)
		{
			int32		i = r->e[p].idx;

			Assert(rt->e[colpos[i]].idx == u);
			colpos[i]++;
		}
		nt = SimAccumulate(r, rt, u, metric, colpos, s);
		for (j = 0; j < nt; j++)
		{
			int32		v = s->touched[j];
			SimHit		h;

			h.sim = SimFinish(r, u, v, metric, s->acc[v]);
			s->acc[v] = 0.0;
			if (!(h.sim > 0.0))
				continue;
			/* u gains neighbour v */
			if (h.sim >= worst[u])
			{
				h.id = v;
				SimHeapOffer(hu, &nheap[u], cap, h);
				if (nheap[u] == cap)
					worst[u] = hu[0].sim;
			}
			/* v gains neighbour u */
			if (h.sim >= worst[v])
			{
				SimHit	   *hv = &heaps[(Size) v * cap];

				h.id = u;
				SimHeapOffer(hv, &nheap[v], cap, h);
				if (nheap[v] == cap)
					worst[v] = hv[0].sim;
			}
		}
	}
	pfree(colpos);
	pfree(worst);
}

/* The key of id as text, built once. */
static Datum
SimKeyText(SimData *d, SimDict *dict, int32 id)
{
	if (dict->texts[id] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(d->ctx);

		dict->texts[id] = cstring_to_text(dict->keys[id]);
		MemoryContextSwitchTo(old);
	}
	return PointerGetDatum(dict->texts[id]);
}

/* The id of key in a sorted dictionary, or -1. */
static int32
SimDictFind(const SimDict *dict, const char *key)
{
	int32		lo = 0;
	int32		hi = dict->n - 1;

	while (lo <= hi)
	{
		int32		mid = lo + (hi - lo) / 2;
		int			c = strcmp(dict->keys[mid], key);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * Set up a call: check the query argument, connect SPI, create the work
 * context, load the data.
 */
static SimData *
SimBegin(FunctionCallInfo fcinfo, const char *fn)
{
	char	   *query = SimParseText(fcinfo, 0, "query",
									 "Pass a SELECT returning (customer, item, weight).");
	SimData    *d = palloc0(sizeof(SimData));

	d->fn = fn;
	d->ctx = AllocSetContextCreate(CurrentMemoryContext, "crm similarity",
								   ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SimLoad(d, query);
	return d;
}

/* Finish a call: disconnect SPI and free the work memory. */
static void
SimEnd(SimData *d)
{
	SPI_finish();
	MemoryContextDelete(d->ctx);
}

/*
 * The matrix whose rows are compared (customers, or items when by_items) and
 * its transpose; rows scaled by their largest weight for cosine.
 */
static void
SimPrepare(SimData *d, bool by_items, SimMetric metric, SimMatrix *r, SimMatrix *rt)
{
	SimMatrix	base;

	if (by_items)
		SimTranspose(d, &d->cm, &base);
	else
		base = d->cm;
	if (metric == SIM_COSINE)
		SimScaleRows(d, &base, r);
	else
		*r = base;
	SimTranspose(d, r, rt);
}

/* Output the sorted neighbours of customer u. */
static void
SimEmitNeighbours(SimData *d, ReturnSetInfo *rsinfo, int32 u, const SimHit *hits, int n)
{
	int			j;

	for (j = 0; j < n; j++)
	{
		Datum		values[4];
		bool		nulls[4] = {false};

		values[0] = SimKeyText(d, &d->cust, u);
		values[1] = SimKeyText(d, &d->cust, hits[j].id);
		values[2] = Float8GetDatum(hits[j].sim);
		values[3] = Int32GetDatum(j + 1);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * crm.nearest_neighbors(query, k, metric): the k most similar customers of
 * every customer.
 */
Datum
similarity_nearest_neighbors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		k = SimParsePositive(fcinfo, 1, "k");
	SimMetric	metric = SimParseMetric(fcinfo, 2);
	SimData    *d;
	SimMatrix	r,
				rt;
	SimScratch	s;
	int32		u;
	int			cap;
	double		heapbytes;

	InitMaterializedSRF(fcinfo, 0);
	d = SimBegin(fcinfo, "crm.nearest_neighbors");
	SimPrepare(d, false, metric, &r, &rt);
	cap = Max(Min(k, r.nrows - 1), 1);
	heapbytes = (double) Max(r.nrows, 1) * ((double) cap * sizeof(SimHit) + sizeof(int));
	if (heapbytes <= (double) CrmMemoryLimit() / 4)
	{
		/* every pair once, with one heap per customer */
		SimHit	   *heaps = SimAlloc(d, (Size) Max(r.nrows, 1) * cap, sizeof(SimHit), SIM_COMPARING);
		int		   *nheap = SimAlloc(d, r.nrows, sizeof(int), SIM_COMPARING);

		SimScratchInit(d, &s, r.nrows, 1);
		SimAllNeighbours(d, &r, &rt, metric, cap, &s, heaps, nheap);
		for (u = 0; u < r.nrows; u++)
		{
			SimHit	   *hu = &heaps[(Size) u * cap];

			if ((u & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			qsort(hu, nheap[u], sizeof(SimHit), SimHitCmp);
			SimEmitNeighbours(d, rsinfo, u, hu, nheap[u]);
		}
	}
	else
	{
		/* too many heaps to keep at once (large k): one customer at a time */
		SimScratchInit(d, &s, r.nrows, k);
		for (u = 0; u < r.nrows; u++)
		{
			int			nh;

			CHECK_FOR_INTERRUPTS();
			nh = SimNeighbours(&r, &rt, u, metric, k, &s);
			SimEmitNeighbours(d, rsinfo, u, s.heap, nh);
		}
	}
	SimEnd(d);
	return (Datum) 0;
}

/* Common part of crm.similar_customers and crm.similar_items. */
static Datum
SimSimilarOne(FunctionCallInfo fcinfo, bool by_items, const char *fn)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *key = SimParseText(fcinfo, 1, by_items ? "item" : "customer",
								   by_items ? "Pass the item to compare." : "Pass the customer to compare.");
	int32		k = SimParsePositive(fcinfo, 2, "k");
	SimMetric	metric = SimParseMetric(fcinfo, 3);
	SimData    *d;
	SimDict    *dict;
	int32		u;

	InitMaterializedSRF(fcinfo, 0);
	d = SimBegin(fcinfo, fn);
	dict = by_items ? &d->item : &d->cust;
	u = SimDictFind(dict, key);
	if (u >= 0)
	{
		SimMatrix	r,
					rt;
		SimScratch	s;
		int			nh;
		int			j;

		SimPrepare(d, by_items, metric, &r, &rt);
		SimScratchInit(d, &s, r.nrows, k);
		nh = SimNeighbours(&r, &rt, u, metric, k, &s);
		for (j = 0; j < nh; j++)
		{
			Datum		values[3];
			bool		nulls[3] = {false};

			values[0] = SimKeyText(d, dict, s.heap[j].id);
			values[1] = Float8GetDatum(s.heap[j].sim);
			values[2] = Int32GetDatum(j + 1);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	SimEnd(d);
	return (Datum) 0;
}

/* crm.similar_customers(query, customer, k, metric) */
Datum
similarity_similar_customers(PG_FUNCTION_ARGS)
{
	return SimSimilarOne(fcinfo, false, "crm.similar_customers");
}

/* crm.similar_items(query, item, k, metric) */
Datum
similarity_similar_items(PG_FUNCTION_ARGS)
{
	return SimSimilarOne(fcinfo, true, "crm.similar_items");
}

/*
 * crm.recommend_items(query, customer, k, neighbors, metric): items the
 * customer has not bought, scored from the n nearest neighbours (see the
 * file header for the formula).
 */
Datum
similarity_recommend_items(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *key = SimParseText(fcinfo, 1, "customer", "Pass the customer to recommend to.");
	int32		k = SimParsePositive(fcinfo, 2, "k");
	int32		nn = SimParsePositive(fcinfo, 3, "neighbors");
	SimMetric	metric = SimParseMetric(fcinfo, 4);
	SimData    *d;
	int32		u;

	InitMaterializedSRF(fcinfo, 0);
	d = SimBegin(fcinfo, "crm.recommend_items");
	u = SimDictFind(&d->cust, key);
	if (u >= 0)
	{
		SimMatrix	r,
					rt;
		SimScratch	s;
		int			nh;
		int			j;
		double	   *score;
		int32	   *support;
		bool	   *owned;
		int32	   *cand;
		int32		ncand = 0;
		double		simsum = 0.0;
		SimHit	   *best;
		int			nbest = 0;
		int			bestcap;
		int64		p;

		SimPrepare(d, false, metric, &r, &rt);
		SimScratchInit(d, &s, r.nrows, nn);
		nh = SimNeighbours(&r, &rt, u, metric, nn, &s);

		score = SimAlloc(d, r.ncols, sizeof(double), SIM_SCORING);
		support = SimAlloc(d, r.ncols, sizeof(int32), SIM_SCORING);
		owned = SimAlloc(d, r.ncols, sizeof(bool), SIM_SCORING);
		cand = SimAlloc(d, r.ncols, sizeof(int32), SIM_SCORING);
		memset(score, 0, (Size) Max(r.ncols, 1) * sizeof(double));
		memset(support, 0, (Size) Max(r.ncols, 1) * sizeof(int32));
		memset(owned, 0, (Size) Max(r.ncols, 1) * sizeof(bool));
		for (p = r.rowptr[u]; p < r.rowptr[u + 1]; p++)
			owned[r.e[p].idx] = true;

		for (j = 0; j < nh; j++)
		{
			int32		v = s.heap[j].id;
			double		sim = s.heap[j].sim;

			CHECK_FOR_INTERRUPTS();
			simsum += sim;
			for (p = r.rowptr[v]; p < r.rowptr[v + 1]; p++)
			{
				int32		i = r.e[p].idx;

				if (owned[i])
					continue;
				if (support[i] == 0)
					cand[ncand++] = i;
				support[i]++;
				score[i] += sim * (metric == SIM_COSINE ? r.e[p].w / sqrt(r.sumsq[v]) : 1.0);
			}
		}

		bestcap = Max(Min(k, ncand), 1);
		best = SimAlloc(d, bestcap, sizeof(SimHit), SIM_SCORING);
		for (j = 0; j < ncand; j++)
		{
			SimHit		h;

			h.id = cand[j];
			h.sim = score[cand[j]] / simsum;
			if (h.sim > 0.0)
				SimHeapOffer(best, &nbest, bestcap, h);
		}
		qsort(best, nbest, sizeof(SimHit), SimHitCmp);
		for (j = 0; j < nbest; j++)
		{
			Datum		values[4];
			bool		nulls[4] = {false};

			values[0] = SimKeyText(d, &d->item, best[j].id);
			values[1] = Float8GetDatum(best[j].sim);
			values[2] = Int32GetDatum(support[best[j].id]);
			values[3] = Int32GetDatum(j + 1);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	SimEnd(d);
	return (Datum) 0;
}
