/*
 * basket.c
 *		Basket association: frequent itemsets, association rules and
 *		cross-sell recommendations, mined by FP-growth.
 *
 * crm.frequent_itemsets(query, min_support, max_length) and
 * crm.association_rules(query, min_support, min_confidence, max_length,
 * max_consequent) read a caller's (basket, item) query once, with the
 * caller's rights, through SPI_execute_extended into a DestReceiver of ours,
 * so that no row is materialised by SPI.  Items are cast to text by the
 * query and dictionary-encoded to dense integers with an open-addressing
 * hash table on their bytes; basket keys keep their type and are hashed with
 * the type's default hash opclass (a plain 64-bit mix for the integer and
 * date/time types).  The dictionary is then renumbered in byte order of the
 * item text ("C" collation), which is the documented order of the items
 * inside every returned array.  Transactions become sorted, duplicate-free
 * integer arrays (counting sort by basket), all in one memory context that
 * is deleted at the end.
 *
 * Mining is FP-growth (Han, Pei & Yin, "Mining frequent patterns without
 * candidate generation", SIGMOD 2000): frequent items are ranked by
 * descending support; each transaction, reduced to its frequent items in
 * rank order, is inserted into a prefix tree (FP-tree) with per-item node
 * chains; for each item, from the least frequent up, the paths above its
 * nodes form its conditional pattern base, from which a conditional FP-tree
 * is built and mined recursively.  Choices that keep it fast:
 *	 - trees are flat int32 arrays (item, count, parent, next-in-chain), the
 *	   child lookup during insertion uses a scratch open-addressing hash table
 *	   keyed by (parent, item), so building is linear in the path lengths even
 *	   when a node has thousands of children (the root of a sparse data set);
 *	 - conditional trees keep the global rank order (no re-ranking), so a
 *	   path walked upwards is already in order, and every itemset is found as
 *	   a sequence of strictly decreasing global ranks: the itemsets form a
 *	   set-enumeration trie, stored as (parent, item, count) triples; rule
 *	   generation looks up the support of any subset in that trie through an
 *	   open-addressing hash of node ids (4 bytes per itemset);
 *	 - a conditional tree that is a single path is enumerated directly (every
 *	   combination of its items, support = count of its deepest node), which
 *	   is what dense data sets spend their time on;
 *	 - the first FP-tree is built from the transactions sorted
 *	   lexicographically (no child lookups, nodes in depth-first order), and
 *	   when it would hardly share prefixes (sparse data such as retail
 *	   baskets: more than FP_SPARSE_SHARE of the item occurrences become
 *	   nodes) it is not built at all: the first level's conditional pattern
 *	   bases are read directly from the transactions (the prefix before item
 *	   j of each transaction holding j), which replaces an upward walk with a
 *	   cache miss per node by one sequential read per transaction.
 * FP-growth was chosen over Eclat/LCM with diffsets because the data this is
 * for (order lines) is sparse with many items, where FP-growth's shared
 * prefixes beat intersecting tid-lists of thousands of items pairwise.
 *
 * The output is bounded by crm_analytics.max_itemsets: a run that would find
 * more frequent itemsets (or return more rules) stops with an ERROR naming the
 * setting.  Every mining loop calls CHECK_FOR_INTERRUPTS, so statement_timeout
 * and cancel work.
 *
 * Rules follow arules (Hahsler et al.): for a frequent itemset Z and a
 * non-empty proper subset Y of Z (the consequent, one item by default,
 * at most max_consequent items), X = Z \ Y is the antecedent (non-empty),
 *		support = supp(Z), confidence = supp(Z) / supp(X),
 *		lift = confidence / supp(Y), leverage = supp(Z) - supp(X) supp(Y),
 *		conviction = (1 - supp(Y)) / (1 - confidence),
 * with conviction = Infinity when the confidence is 1 (NaN, 0/0, in the
 * degenerate case where Y is in every basket, as in arules).
 *
 * crm.cross_sell(basket, rules, k) reads a table of such rules and, per item
 * not in the basket, keeps the best rule whose antecedent is contained in
 * the basket and whose consequent holds the item: highest confidence, then
 * the shortest consequent (a rule about the item alone), then highest lift,
 * support, the longest antecedent and the byte-wise smallest one.  The
 * item's score is that rule's confidence, an estimate of P(item | basket);
 * the k items with the best score (then lift, then item) are returned.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "access/relation.h"
#include "access/tupdesc.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "crm_analytics.h"

/* crm_analytics.max_itemsets: the most itemsets (or rules) one run returns */
#define BASKET_DEFAULT_MAX_ITEMSETS 10000000
static int	basket_max_itemsets = BASKET_DEFAULT_MAX_ITEMSETS;

/*
 * Mine the first level from the transactions rather than from the FP-tree
 * when the tree would have more than this share of the items as nodes.
 */
#ifndef FP_SPARSE_SHARE
#define FP_SPARSE_SHARE 0.6
#endif

/* relative tolerance of ceil(min_support * N), so that 0.1 * 30 gives 3 */
#define BASKET_SUPPORT_EPS	1e-12

PG_FUNCTION_INFO_V1(frequent_itemsets);
PG_FUNCTION_INFO_V1(association_rules);
PG_FUNCTION_INFO_V1(cross_sell);

/*----------------------------------------------------------------------
 * Reading the input
 *----------------------------------------------------------------------
 */

/* The (basket, item) rows of a query, dictionary-encoded. */
typedef struct BasketInput
{
	MemoryContext cxt;
	const char *fn;

	/* item dictionary: id -> text, and a hash table of ids (-1 = empty) */
	int32		nitems;
	int32		items_cap;
	text	  **item_text;
	uint32	   *item_hash;
	int32	   *ihash;
	uint32		ihash_mask;

	/* basket keys: id -> key, and a hash table of ids */
	bool		bfast;			/* compare keys as plain 64-bit Datums */
	FmgrInfo   *bhash_fn;
	FmgrInfo   *beq_fn;
	Oid			bcoll;
	int16		btyplen;
	bool		btypbyval;
	int32		nbaskets;
	int32		baskets_cap;
	Datum	   *bkey;
	uint32	   *bkey_hash;
	int32	   *bhash;
	uint32		bhash_mask;
	int32		last_basket;	/* rows of one basket usually come together */

	/* rows */
	int64		nrows;
	int64		rows_cap;
	int32	   *row_basket;
	int32	   *row_item;

	CrmCast		item_cast;		/* item column to text, as ::text */
} BasketInput;


/* 64-bit finalizer of splitmix64, folded to 32 bits. */
static inline uint32
BasketMix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return (uint32) x;
}

/* A larger power-of-two table for ids, rehashed from the given hashes. */
static int32 *
BasketRehash(MemoryContext cxt, const uint32 *hashes, int32 n, uint32 newcap)
{
	int32	   *table = MemoryContextAllocHuge(cxt, sizeof(int32) * (Size) newcap);
	uint32		mask = newcap - 1;
	int32		i;

	memset(table, 0xFF, sizeof(int32) * (Size) newcap);
	for (i = 0; i < n; i++)
	{
		uint32		pos = hashes[i] & mask;

		while (table[pos] >= 0)
			pos = (pos + 1) & mask;
		table[pos] = i;
	}
	return table;
}

/* Too many distinct items or baskets for 32-bit ids. */
static void
BasketTooMany(BasketInput *in, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many distinct %s in the query of %s", what, in->fn),
			 errdetail("At most %d are supported.", INT_MAX / 2)));
}

/* The id of an item's text, adding it to the dictionary when new. */
static int32
BasketItemId(BasketInput *in, const char *data, int len)
{
	uint32		h = hash_bytes((const unsigned char *) data, len);
	uint32		pos = h & in->ihash_mask;
	int32		id;
	text	   *t;

	while ((id = in->ihash[pos]) >= 0)
	{
		if (in->item_hash[id] == h &&
			VARSIZE(in->item_text[id]) - VARHDRSZ == (Size) len &&
			memcmp(VARDATA(in->item_text[id]), data, len) == 0)
			return id;
		pos = (pos + 1) & in->ihash_mask;
	}
	if (in->nitems >= INT_MAX / 2)
		BasketTooMany(in, "items");
	if (in->nitems == in->items_cap)
	{
		in->items_cap *= 2;
		in->item_text = repalloc_huge(in->item_text, sizeof(text *) * (Size) in->items_cap);
		in->item_hash = repalloc_huge(in->item_hash, sizeof(uint32) * (Size) in->items_cap);
	}
	id = in->nitems++;
	t = MemoryContextAlloc(in->cxt, VARHDRSZ + len);
	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), data, len);
	in->item_text[id] = t;
	in->item_hash[id] = h;
	in->ihash[pos] = id;
	if ((uint32) in->nitems * 2 > in->ihash_mask)
	{
		uint32		newcap = (in->ihash_mask + 1) * 2;

		pfree(in->ihash);
		in->ihash = BasketRehash(in->cxt, in->item_hash, in->nitems, newcap);
		in->ihash_mask = newcap - 1;
	}
	return id;
}

/* Whether two basket keys are equal. */
static inline bool
BasketKeyEqual(BasketInput *in, Datum a, Datum b)
{
	if (in->bfast)
		return a == b;
	return DatumGetBool(FunctionCall2Coll(in->beq_fn, in->bcoll, a, b));
}

/* The id of a basket key, adding it when new. */
static int32
BasketBasketId(BasketInput *in, Datum key)
{
	uint32		h;
	uint32		pos;
	int32		id;

	/* the previous row's basket is the common case: skip hashing */
	if (in->last_basket >= 0 && in->bfast && in->bkey[in->last_basket] == key)
		return in->last_basket;
	if (in->bfast)
		h = BasketMix64((uint64) key);
	else
		h = DatumGetUInt32(FunctionCall1Coll(in->bhash_fn, in->bcoll, key));
	pos = h & in->bhash_mask;
	while ((id = in->bhash[pos]) >= 0)
	{
		if (in->bkey_hash[id] == h && BasketKeyEqual(in, in->bkey[id], key))
			return in->last_basket = id;
		pos = (pos + 1) & in->bhash_mask;
	}
	if (in->nbaskets >= INT_MAX / 2)
		BasketTooMany(in, "baskets");
	if (in->nbaskets == in->baskets_cap)
	{
		in->baskets_cap *= 2;
		in->bkey = repalloc_huge(in->bkey, sizeof(Datum) * (Size) in->baskets_cap);
		in->bkey_hash = repalloc_huge(in->bkey_hash, sizeof(uint32) * (Size) in->baskets_cap);
	}
	id = in->nbaskets++;
	if (in->bfast || in->btypbyval)
		in->bkey[id] = key;
	else
	{
		MemoryContext old = MemoryContextSwitchTo(in->cxt);

		if (in->btyplen == -1)
			in->bkey[id] = PointerGetDatum(PG_DETOAST_DATUM_COPY(key));
		else
			in->bkey[id] = datumCopy(key, false, in->btyplen);
		MemoryContextSwitchTo(old);
	}
	in->bkey_hash[id] = h;
	in->bhash[pos] = id;
	if ((uint32) in->nbaskets * 2 > in->bhash_mask)
	{
		uint32		newcap = (in->bhash_mask + 1) * 2;

		pfree(in->bhash);
		in->bhash = BasketRehash(in->cxt, in->bkey_hash, in->nbaskets, newcap);
		in->bhash_mask = newcap - 1;
	}
	return in->last_basket = id;
}

/* Add one (basket, item text) row. */
static void
BasketAddRow(BasketInput *in, Datum basket, Datum item)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(item);
	struct varlena *d = pg_detoast_datum_packed(v);
	int32		bid;
	int32		iid;

	iid = BasketItemId(in, VARDATA_ANY(d), VARSIZE_ANY_EXHDR(d));
	if (d != v)
		pfree(d);
	bid = BasketBasketId(in, basket);
	if (in->nrows == in->rows_cap)
	{
		in->rows_cap *= 2;
		in->row_basket = repalloc_huge(in->row_basket, sizeof(int32) * (Size) in->rows_cap);
		in->row_item = repalloc_huge(in->row_item, sizeof(int32) * (Size) in->rows_cap);
	}
	in->row_basket[in->nrows] = bid;
	in->row_item[in->nrows] = iid;
	in->nrows++;
	if ((in->nrows & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
}

/* Every row of the caller's query comes here; NULL baskets and items are skipped. */
static void
BasketReceiveRow(TupleTableSlot *slot, void *arg)
{
	BasketInput *in = (BasketInput *) arg;

	if (!slot->tts_isnull[0] && !slot->tts_isnull[1])
		BasketAddRow(in, slot->tts_values[0],
					 CrmCastValue(&in->item_cast, slot->tts_values[1]));
}

/*
 * Run the caller's query and read its rows into a BasketInput allocated in
 * cxt.  SPI must not be connected.
 */
static BasketInput *
BasketReadQuery(const char *query, const char *fn, MemoryContext cxt)
{
	BasketInput *in = MemoryContextAllocZero(cxt, sizeof(BasketInput));
	CrmQuery	q;
	TupleDesc	desc;
	Oid			btype;

	in->cxt = cxt;
	in->fn = fn;
	in->items_cap = 1024;
	in->item_text = MemoryContextAlloc(cxt, sizeof(text *) * in->items_cap);
	in->item_hash = MemoryContextAlloc(cxt, sizeof(uint32) * in->items_cap);
	in->ihash = BasketRehash(cxt, NULL, 0, 4096);
	in->ihash_mask = 4095;
	in->baskets_cap = 1024;
	in->bkey = MemoryContextAlloc(cxt, sizeof(Datum) * in->baskets_cap);
	in->bkey_hash = MemoryContextAlloc(cxt, sizeof(uint32) * in->baskets_cap);
	in->bhash = BasketRehash(cxt, NULL, 0, 4096);
	in->bhash_mask = 4095;
	in->last_basket = -1;
	in->rows_cap = 65536;
	in->row_basket = MemoryContextAllocHuge(cxt, sizeof(int32) * in->rows_cap);
	in->row_item = MemoryContextAllocHuge(cxt, sizeof(int32) * in->rows_cap);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CrmQueryOpen(&q, query, 2, 2, fn, "(basket, item)");
	desc = q.desc;
	btype = TupleDescAttr(desc, 0)->atttypid;
	in->bcoll = TupleDescAttr(desc, 0)->attcollation;
	get_typlenbyval(btype, &in->btyplen, &in->btypbyval);
	switch (btype)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case BOOLOID:
		case CHAROID:
			in->bfast = true;
			break;
		default:
			{
				TypeCacheEntry *tc = lookup_type_cache(btype,
													   TYPECACHE_HASH_PROC_FINFO |
													   TYPECACHE_EQ_OPR_FINFO);

				if (!OidIsValid(tc->hash_proc) || !OidIsValid(tc->eq_opr))
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_FUNCTION),
							 errmsg("the basket column of the query of %s has type %s, which cannot be hashed",
									fn, format_type_be(btype)),
							 errhint("Cast the basket key to text or to an integer type.")));
				in->bhash_fn = &tc->hash_proc_finfo;
				in->beq_fn = &tc->eq_opr_finfo;
				if (!OidIsValid(in->bcoll))
					in->bcoll = DEFAULT_COLLATION_OID;
				break;
			}
	}

	CrmCastInit(&in->item_cast, TupleDescAttr(desc, 1)->atttypid, TEXTOID, fn, "2 (item)");
	(void) CrmQueryForEachRow(&q, BasketReceiveRow, in);
	CrmQueryClose(&q);
	SPI_finish();
	return in;
}

/*----------------------------------------------------------------------
 * Transactions
 *----------------------------------------------------------------------
 */

/* Transactions as sorted, duplicate-free arrays of item ids. */
typedef struct BasketData
{
	int32		nitems;			/* distinct items; id = position in byte order */
	text	  **item_text;		/* id -> text */
	int32		ntrans;			/* N: baskets with at least one item */
	int64	   *tstart;			/* transaction t is titems[tstart[t] .. tstart[t+1]) */
	int32	   *titems;
	int32	   *item_count;		/* baskets containing each item */
} BasketData;

/* qsort comparator of item ids by the bytes of their text ("C" order). */
static int
BasketTextCmp(const void *a, const void *b, void *arg)
{
	text	  **texts = (text **) arg;
	text	   *ta = texts[*(const int32 *) a];
	text	   *tb = texts[*(const int32 *) b];
	int			la = VARSIZE(ta) - VARHDRSZ;
	int			lb = VARSIZE(tb) - VARHDRSZ;
	int			c = memcmp(VARDATA(ta), VARDATA(tb), Min(la, lb));

	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

/* qsort comparator of int32. */
static int
BasketInt32Cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* qsort comparator of int64. */
static int
BasketInt64Cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Sort a short int32 array (insertion sort, qsort when long). */
static inline void
BasketSortInt32(int32 *v, int64 n)
{
	int64		i;

	if (n > 24)
	{
		qsort(v, n, sizeof(int32), BasketInt32Cmp);
		return;
	}
	for (i = 1; i < n; i++)
	{
		int32		x = v[i];
		int64		j = i;

		while (j > 0 && v[j - 1] > x)
		{
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Renumber items in text order and group the rows into transactions. */
static BasketData *
BasketBuildData(BasketInput *in)
{
	BasketData *d = palloc0(sizeof(BasketData));
	int32	   *order;
	int32	   *newid;
	int64	   *start;
	int32	   *items;
	int64		i;
	int32		b;
	int64		out;

	d->nitems = in->nitems;
	d->ntrans = 0;
	order = palloc(sizeof(int32) * Max(in->nitems, 1));
	newid = palloc(sizeof(int32) * Max(in->nitems, 1));
	for (i = 0; i < in->nitems; i++)
		order[i] = (int32) i;
	qsort_arg(order, in->nitems, sizeof(int32), BasketTextCmp, in->item_text);
	d->item_text = palloc(sizeof(text *) * Max(in->nitems, 1));
	for (i = 0; i < in->nitems; i++)
	{
		newid[order[i]] = (int32) i;
		d->item_text[i] = in->item_text[order[i]];
	}
	pfree(order);

	/* counting sort of the rows by basket */
	start = palloc0(sizeof(int64) * ((Size) in->nbaskets + 1));
	for (i = 0; i < in->nrows; i++)
		start[in->row_basket[i] + 1]++;
	for (b = 0; b < in->nbaskets; b++)
		start[b + 1] += start[b];
	items = palloc_extended(sizeof(int32) * Max(in->nrows, 1), MCXT_ALLOC_HUGE);
	{
		int64	   *fill = palloc(sizeof(int64) * Max(in->nbaskets, 1));

		memcpy(fill, start, sizeof(int64) * in->nbaskets);
		for (i = 0; i < in->nrows; i++)
			items[fill[in->row_basket[i]]++] = newid[in->row_item[i]];
		pfree(fill);
	}
	pfree(in->row_basket);
	pfree(in->row_item);
	in->row_basket = in->row_item = NULL;
	pfree(newid);

	/* sort each basket and drop repeated items, in place */
	d->item_count = palloc0(sizeof(int32) * Max(in->nitems, 1));
	d->tstart = palloc(sizeof(int64) * ((Size) in->nbaskets + 1));
	out = 0;
	for (b = 0; b < in->nbaskets; b++)
	{
		int64		s = start[b];
		int64		e = start[b + 1];
		int64		tbeg = out;

		if ((b & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (s == e)
			continue;
		BasketSortInt32(items + s, e - s);
		for (i = s; i < e; i++)
		{
			if (i > s && items[i] == items[i - 1])
				continue;
			items[out++] = items[i];
			d->item_count[items[i]]++;
		}
		d->tstart[d->ntrans++] = tbeg;
	}
	d->tstart[d->ntrans] = out;
	d->titems = items;
	pfree(start);
	return d;
}

/*----------------------------------------------------------------------
 * FP-growth
 *----------------------------------------------------------------------
 */

/* A node of an FP-tree: one cache-friendly 16-byte record. */
typedef struct FpNode
{
	int32		item;			/* local item */
	int32		count;
	int32		parent;			/* 0 = the root */
	int32		next;			/* next node of the same item, -1 = none */
} FpNode;

/* An FP-tree over local items 0..nitems-1 (in increasing global rank). */
typedef struct FpTree
{
	int32		nitems;
	int32	   *gitem;			/* local item -> global rank */
	int32	   *icount;			/* local item -> support in this tree */
	int32	   *head;			/* local item -> first node of its chain */
	int32		nnodes;			/* node 0 is the root */
	int32		maxnodes;
	FpNode	   *node;
} FpTree;

/* A path of a conditional pattern base, kept in FpMiner.pbuf. */
typedef struct FpPath
{
	int64		start;
	int32		len;
	int32		count;
} FpPath;

/* Mining state, and the trie of the itemsets found. */
typedef struct FpMiner
{
	const char *fn;
	int32		minc;			/* absolute minimum support count */
	int32		ntrans;
	int			max_length;		/* 0 = no bound */
	int64		max_sets;

	/* scratch child table of the tree being built: keys 0 = empty */
	uint64	   *ckey;
	int32	   *cval;
	uint32		ccap;

	/* scratch conditional pattern base: paths of local items, leaf first */
	int32	   *pbuf;
	int64		pbuf_cap;
	FpPath	   *paths;
	int32		paths_cap;

	/* the itemsets: node 0 is the empty set */
	int64		nsets;
	int64		sets_cap;
	int32	   *sparent;
	int32	   *sitem;			/* global rank */
	int32	   *scount;
} FpMiner;

/* Stop when the number of itemsets reaches the limit. */
static void
FpLimitError(FpMiner *m, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s found more than crm_analytics.max_itemsets = %d %s",
					m->fn, basket_max_itemsets, what),
			 errdetail("The minimum support count is %d of %d baskets%s.",
					   m->minc, m->ntrans,
					   m->max_length > 0 ? psprintf(" and max_length is %d", m->max_length) : ""),
			 errhint("Raise min_support, pass a smaller max_length, or raise crm_analytics.max_itemsets.")));
}

/* Record an itemset: parent itemset plus one item; returns its node. */
static inline int32
FpEmit(FpMiner *m, int32 parent, int32 item, int32 count)
{
	int64		id = m->nsets;

	if (id > m->max_sets)
		FpLimitError(m, "frequent itemsets");
	if (id == m->sets_cap)
	{
		m->sets_cap *= 2;
		m->sparent = repalloc_huge(m->sparent, sizeof(int32) * m->sets_cap);
		m->sitem = repalloc_huge(m->sitem, sizeof(int32) * m->sets_cap);
		m->scount = repalloc_huge(m->scount, sizeof(int32) * m->sets_cap);
	}
	m->sparent[id] = parent;
	m->sitem[id] = item;
	m->scount[id] = count;
	m->nsets++;
	if ((id & 0x3FFF) == 0)
		CHECK_FOR_INTERRUPTS();
	return (int32) id;
}

/* An empty tree for at most maxnodes nodes (root included). */
static void
FpTreeInit(FpTree *t, int32 nitems, int64 maxnodes)
{
	if (maxnodes > INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the FP-tree of this query is too large"),
				 errdetail("It would have %lld nodes.", (long long) maxnodes),
				 errhint("Raise min_support.")));
	t->nitems = nitems;
	t->gitem = palloc(sizeof(int32) * Max(nitems, 1));
	t->icount = palloc0(sizeof(int32) * Max(nitems, 1));
	t->head = palloc(sizeof(int32) * Max(nitems, 1));
	memset(t->head, 0xFF, sizeof(int32) * Max(nitems, 1));
	t->maxnodes = (int32) maxnodes;
	t->node = palloc_extended(sizeof(FpNode) * maxnodes, MCXT_ALLOC_HUGE);
	t->node[0].item = -1;
	t->node[0].count = 0;
	t->node[0].parent = -1;
	t->node[0].next = -1;
	t->nnodes = 1;
}

/* Free a tree's arrays. */
static void
FpTreeFree(FpTree *t)
{
	pfree(t->gitem);
	pfree(t->icount);
	pfree(t->head);
	pfree(t->node);
}

/* Prepare the scratch child table for a tree of at most maxnodes nodes. */
static void
FpChildTableReset(FpMiner *m, int64 maxnodes)
{
	uint32		cap = 16;

	while ((int64) cap < maxnodes * 2)
		cap *= 2;
	if (cap > m->ccap)
	{
		if (m->ckey)
		{
			pfree(m->ckey);
			pfree(m->cval);
		}
		m->ckey = palloc_extended(sizeof(uint64) * (Size) cap, MCXT_ALLOC_HUGE);
		m->cval = palloc_extended(sizeof(int32) * (Size) cap, MCXT_ALLOC_HUGE);
		m->ccap = cap;
	}
	memset(m->ckey, 0, sizeof(uint64) * (Size) cap);
	m->ccap = Max(m->ccap, cap);
}

/*
 * Insert a path of local items (strictly increasing) with a count.  cmask is
 * the mask of the part of the child table in use.
 */
static inline void
FpInsert(FpMiner *m, FpTree *t, uint32 cmask, const int32 *path, int len, int32 count)
{
	int32		node = 0;
	int			i;

	for (i = 0; i < len; i++)
	{
		int32		it = path[i];
		uint64		key = ((uint64) (node + 1) << 32) | (uint32) it;
		uint32		pos = BasketMix64(key) & cmask;
		int32		child = -1;

		while (m->ckey[pos] != 0)
		{
			if (m->ckey[pos] == key)
			{
				child = m->cval[pos];
				break;
			}
			pos = (pos + 1) & cmask;
		}
		if (child < 0)
		{
			child = t->nnodes++;
			Assert(child < t->maxnodes);
			t->node[child].item = it;
			t->node[child].count = 0;
			t->node[child].parent = node;
			t->node[child].next = t->head[it];
			t->head[it] = child;
			m->ckey[pos] = key;
			m->cval[pos] = child;
		}
		t->node[child].count += count;
		t->icount[it] += count;
		node = child;
	}
}

/* Mask of the child table for a tree of at most maxnodes nodes. */
static inline uint32
FpChildMask(int64 maxnodes)
{
	uint32		cap = 16;

	while ((int64) cap < maxnodes * 2)
		cap *= 2;
	return cap - 1;
}

/*
 * All combinations of the items of a single-path tree with local index below
 * upto, appended to the itemset at node parent.  count < 0: take the count of
 * the deepest chosen node, which is the first one chosen.
 */
static void
FpSinglePath(FpMiner *m, FpTree *t, int32 parent, int depth, int32 upto, int32 count)
{
	int32		j;

	check_stack_depth();
	for (j = upto - 1; j >= 0; j--)
	{
		int32		c = count >= 0 ? count : t->icount[j];
		int32		node = FpEmit(m, parent, t->gitem[j], c);

		if (j > 0 && (m->max_length == 0 || depth + 1 < m->max_length))
			FpSinglePath(m, t, node, depth + 1, j, c);
	}
}

/* Whether a tree is one chain root - item 0 - item 1 - ... */
static bool
FpIsSinglePath(FpTree *t)
{
	int32		j;

	if (t->nnodes - 1 != t->nitems)
		return false;
	for (j = 0; j < t->nitems; j++)
	{
		int32		n = t->head[j];

		if (t->node[n].next >= 0)
			return false;
		if (j == 0 ? t->node[n].parent != 0 : t->node[t->node[n].parent].item != j - 1)
			return false;
	}
	return true;
}

/* Room for n more ints in the path buffer and one more path. */
static inline void
FpPathRoom(FpMiner *m, int64 used, int64 n, int32 npaths)
{
	if (used + n > m->pbuf_cap)
	{
		m->pbuf_cap = Max(m->pbuf_cap * 2, used + n);
		m->pbuf = repalloc_huge(m->pbuf, sizeof(int32) * m->pbuf_cap);
	}
	if (npaths >= m->paths_cap)
	{
		m->paths_cap *= 2;
		m->paths = repalloc_huge(m->paths, sizeof(FpPath) * (Size) m->paths_cap);
	}
}

/*
 * Build the conditional FP-tree of local item j from the npaths paths in
 * m->paths (offsets into base; leaf first or root first), whose items were
 * counted into cnt (ntouched distinct items listed in touched).  gitem maps
 * the local items of the parent tree to global ranks.  Resets cnt.  Returns
 * false, building nothing, when no item of the base is frequent.
 */
static bool
FpConditionalTree(FpMiner *m, const int32 *gitem, int32 j, const int32 *base,
				  bool leaf_first, int32 npaths, int64 used, int32 *cnt,
				  int32 *map, int32 *touched, int32 ntouched, int32 *path,
				  FpTree *c)
{
	int32		nfreq = 0;
	int32		i;
	uint32		cmask;

	if (ntouched == 0)
		return false;
	if ((int64) ntouched * 16 < j)
		BasketSortInt32(touched, ntouched);
	else
	{
		/* dense: a scan is cheaper than sorting */
		int32		k = 0;

		for (i = 0; i < j; i++)
			if (cnt[i] > 0)
				touched[k++] = i;
		Assert(k == ntouched);
	}
	for (i = 0; i < ntouched; i++)
	{
		int32		li = touched[i];

		map[li] = cnt[li] >= m->minc ? nfreq++ : -1;
	}
	if (nfreq == 0)
	{
		for (i = 0; i < ntouched; i++)
			cnt[touched[i]] = 0;
		return false;
	}

	FpTreeInit(c, nfreq, used + 1);
	for (i = 0; i < ntouched; i++)
	{
		int32		li = touched[i];

		if (map[li] >= 0)
			c->gitem[map[li]] = gitem[li];
		cnt[li] = 0;
	}
	FpChildTableReset(m, used + 1);
	cmask = FpChildMask(used + 1);
	for (i = 0; i < npaths; i++)
	{
		const int32 *src = base + m->paths[i].start;
		int32		plen = m->paths[i].len;
		int32		len = 0;
		int32		a;

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		/* local items in increasing order, root first */
		if (leaf_first)
		{
			for (a = plen - 1; a >= 0; a--)
				if (map[src[a]] >= 0)
					path[len++] = map[src[a]];
		}
		else
		{
			for (a = 0; a < plen; a++)
				if (map[src[a]] >= 0)
					path[len++] = map[src[a]];
		}
		if (len > 0)
			FpInsert(m, c, cmask, path, len, m->paths[i].count);
	}
	return true;
}

/*
 * Mine a tree: every itemset found is the itemset at node prefix plus items
 * of this tree.  For each item j, from the least frequent up, one walk up
 * from its nodes counts the items above them and copies the paths into the
 * scratch buffer; the conditional tree is built from the buffer, keeping the
 * items that are frequent in it, and mined in turn.
 */
static void
FpMine(FpMiner *m, FpTree *t, int32 prefix, int depth)
{
	int32	   *cnt;
	int32	   *map;
	int32	   *touched;
	int32	   *path;
	int32		j;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (FpIsSinglePath(t))
	{
		FpSinglePath(m, t, prefix, depth, t->nitems, -1);
		return;
	}
	cnt = palloc0(sizeof(int32) * Max(t->nitems, 1));
	map = palloc(sizeof(int32) * Max(t->nitems, 1));
	touched = palloc(sizeof(int32) * Max(t->nitems, 1));
	path = palloc(sizeof(int32) * Max(t->nitems, 1));

	for (j = t->nitems - 1; j >= 0; j--)
	{
		int32		node = FpEmit(m, prefix, t->gitem[j], t->icount[j]);
		int32		ntouched = 0;
		int32		npaths = 0;
		int64		used = 0;
		int32		n;
		FpTree		c;
		const FpNode *nodes = t->node;

		if (j == 0 || (m->max_length > 0 && depth + 1 >= m->max_length))
			continue;

		/* conditional pattern base of item j: copy and count the paths */
		for (n = t->head[j]; n >= 0; n = nodes[n].next)
		{
			int32		nc = nodes[n].count;
			int32		p = nodes[n].parent;
			int64		pstart = used;

			if (p <= 0)
				continue;
			/* a path above an item of local index j has at most j items */
			FpPathRoom(m, used, j, npaths);
			for (; p > 0; p = nodes[p].parent)
			{
				int32		li = nodes[p].item;

				if (cnt[li] == 0)
					touched[ntouched++] = li;
				cnt[li] += nc;
				m->pbuf[used++] = li;
			}
			m->paths[npaths].start = pstart;
			m->paths[npaths].len = (int32) (used - pstart);
			m->paths[npaths].count = nc;
			npaths++;
		}
		if (!FpConditionalTree(m, t->gitem, j, m->pbuf, true, npaths, used,
							   cnt, map, touched, ntouched, path, &c))
			continue;
		FpMine(m, &c, node, depth + 1);
		FpTreeFree(&c);
	}
	pfree(cnt);
	pfree(map);
	pfree(touched);
	pfree(path);
}

/* The transactions reduced to their frequent items, for the sort below. */
typedef struct FpTransSort
{
	const int32 *ranks;
	const int64 *start;
} FpTransSort;

/* Lexicographic order of two reduced transactions. */
static int
FpTransCmp(const void *a, const void *b, void *arg)
{
	const FpTransSort *ts = (const FpTransSort *) arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;
	const int32 *px = ts->ranks + ts->start[x];
	const int32 *py = ts->ranks + ts->start[y];
	int64		lx = ts->start[x + 1] - ts->start[x];
	int64		ly = ts->start[y + 1] - ts->start[y];
	int64		n = Min(lx, ly);
	int64		i;

	for (i = 0; i < n; i++)
		if (px[i] != py[i])
			return px[i] < py[i] ? -1 : 1;
	return (lx > ly) - (lx < ly);
}

/* The transactions reduced to their frequent items (ranks, ascending). */
typedef struct FpReduced
{
	int32	   *ranks;
	int64	   *start;			/* transaction t is ranks[start[t] .. start[t+1]) */
	int32	   *order;			/* transactions in lexicographic order */
	int32		ntr;
	int64		total;			/* items in all */
	int64		nnodes;			/* nodes of their FP-tree, root excluded */
} FpReduced;

/*
 * Reduce the transactions to their frequent items, sort them, and count the
 * nodes of their FP-tree: in lexicographic order a transaction shares with
 * the tree exactly its common prefix with the previous one.
 */
static void
FpReduce(FpReduced *r, BasketData *d, const int32 *item_rank, int64 total)
{
	int64		used = 0;
	int32		tr;
	FpTransSort ts;

	r->ranks = palloc_extended(sizeof(int32) * Max(total, 1), MCXT_ALLOC_HUGE);
	r->start = palloc_extended(sizeof(int64) * ((Size) d->ntrans + 1), MCXT_ALLOC_HUGE);
	r->order = palloc_extended(sizeof(int32) * Max(d->ntrans, 1), MCXT_ALLOC_HUGE);
	r->ntr = 0;
	for (tr = 0; tr < d->ntrans; tr++)
	{
		int64		k;
		int64		s = used;

		if ((tr & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (k = d->tstart[tr]; k < d->tstart[tr + 1]; k++)
		{
			int32		rk = item_rank[d->titems[k]];

			if (rk >= 0)
				r->ranks[used++] = rk;
		}
		if (used == s)
			continue;
		BasketSortInt32(r->ranks + s, used - s);
		r->start[r->ntr] = s;
		r->order[r->ntr] = r->ntr;
		r->ntr++;
	}
	r->start[r->ntr] = used;
	r->total = used;
	ts.ranks = r->ranks;
	ts.start = r->start;
	qsort_arg(r->order, r->ntr, sizeof(int32), FpTransCmp, &ts);

	r->nnodes = 0;
	for (tr = 0; tr < r->ntr; tr++)
	{
		int32		x = r->order[tr];
		int64		len = r->start[x + 1] - r->start[x];
		int64		l = 0;

		if (tr > 0)
		{
			int32		y = r->order[tr - 1];
			const int32 *p = r->ranks + r->start[x];
			const int32 *q = r->ranks + r->start[y];
			int64		qlen = r->start[y + 1] - r->start[y];

			while (l < len && l < qlen && p[l] == q[l])
				l++;
		}
		r->nnodes += len - l;
	}
}

/*
 * Build the FP-tree of the sorted reduced transactions without any child
 * lookup.  The nodes come out in depth-first order, so that the upward walks
 * of the mining stay close in memory.
 */
static void
FpBuildSorted(FpTree *t, const FpReduced *r)
{
	int32	   *stack = palloc(sizeof(int32) * Max(t->nitems, 1));
	int32		tr;

	for (tr = 0; tr < r->ntr; tr++)
	{
		int32		x = r->order[tr];
		const int32 *p = r->ranks + r->start[x];
		int32		len = (int32) (r->start[x + 1] - r->start[x]);
		int32		l = 0;
		int32		k;

		if ((tr & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (tr > 0)
		{
			int32		y = r->order[tr - 1];
			const int32 *q = r->ranks + r->start[y];
			int32		qlen = (int32) (r->start[y + 1] - r->start[y]);

			while (l < len && l < qlen && p[l] == q[l])
				l++;
		}
		for (k = 0; k < l; k++)
			t->node[stack[k]].count++;
		for (k = l; k < len; k++)
		{
			int32		n = t->nnodes++;
			int32		it = p[k];

			Assert(n < t->maxnodes);
			t->node[n].item = it;
			t->node[n].count = 1;
			t->node[n].parent = k == 0 ? 0 : stack[k - 1];
			t->node[n].next = t->head[it];
			t->head[it] = n;
			stack[k] = n;
		}
		for (k = 0; k < len; k++)
			t->icount[p[k]]++;
	}
	pfree(stack);
}

/*
 * The first level of FP-growth taken from the transactions themselves, for
 * sparse data where the FP-tree hardly shares prefixes: the conditional
 * pattern base of item j is the prefix before j of every transaction that
 * holds j, read in place (one sequential read per transaction instead of an
 * upward walk with a cache miss per node).
 */
static void
FpMineTransactions(FpMiner *m, const FpReduced *r, int32 nitems)
{
	int32	   *icount = palloc0(sizeof(int32) * Max(nitems, 1));
	int64	   *ostart = palloc0(sizeof(int64) * ((Size) nitems + 1));
	int64	   *ofill = palloc(sizeof(int64) * Max(nitems, 1));
	int32	   *otr = palloc_extended(sizeof(int32) * Max(r->total, 1), MCXT_ALLOC_HUGE);
	int32	   *opos = palloc_extended(sizeof(int32) * Max(r->total, 1), MCXT_ALLOC_HUGE);
	int32	   *gitem = palloc(sizeof(int32) * Max(nitems, 1));
	int32	   *cnt = palloc0(sizeof(int32) * Max(nitems, 1));
	int32	   *map = palloc(sizeof(int32) * Max(nitems, 1));
	int32	   *touched = palloc(sizeof(int32) * Max(nitems, 1));
	int32	   *path = palloc(sizeof(int32) * Max(nitems, 1));
	int64		k;
	int32		tr;
	int32		j;

	/* occurrences of each item: (transaction, position) */
	for (k = 0; k < r->total; k++)
		icount[r->ranks[k]]++;
	for (j = 0; j < nitems; j++)
	{
		ostart[j + 1] = ostart[j] + icount[j];
		ofill[j] = ostart[j];
		gitem[j] = j;
	}
	for (tr = 0; tr < r->ntr; tr++)
		for (k = r->start[tr]; k < r->start[tr + 1]; k++)
		{
			int32		it = r->ranks[k];

			otr[ofill[it]] = tr;
			opos[ofill[it]] = (int32) (k - r->start[tr]);
			ofill[it]++;
		}

	for (j = nitems - 1; j >= 0; j--)
	{
		int32		node = FpEmit(m, 0, j, icount[j]);
		int32		ntouched = 0;
		int32		npaths = 0;
		int64		used = 0;
		FpTree		c;

		CHECK_FOR_INTERRUPTS();
		if (j == 0 || m->max_length == 1)
			continue;
		for (k = ostart[j]; k < ostart[j + 1]; k++)
		{
			int32		pos = opos[k];
			const int32 *p = r->ranks + r->start[otr[k]];
			int32		a;

			if (pos == 0)
				continue;
			FpPathRoom(m, 0, 0, npaths);
			for (a = 0; a < pos; a++)
			{
				int32		li = p[a];

				if (cnt[li] == 0)
					touched[ntouched++] = li;
				cnt[li]++;
			}
			m->paths[npaths].start = r->start[otr[k]];
			m->paths[npaths].len = pos;
			m->paths[npaths].count = 1;
			npaths++;
			used += pos;
		}
		if (!FpConditionalTree(m, gitem, j, r->ranks, false, npaths, used,
							   cnt, map, touched, ntouched, path, &c))
			continue;
		FpMine(m, &c, node, 1);
		FpTreeFree(&c);
	}
	pfree(icount);
	pfree(ostart);
	pfree(ofill);
	pfree(otr);
	pfree(opos);
	pfree(gitem);
	pfree(cnt);
	pfree(map);
	pfree(touched);
	pfree(path);
}

/* Absolute minimum support count: ceil(min_support * N), at least 1. */
static int32
BasketMinCount(double min_support, int32 n)
{
	double		x = min_support * (double) n;
	double		c = ceil(x - x * BASKET_SUPPORT_EPS);

	if (c < 1)
		c = 1;
	return (int32) c;
}

/*
 * Mine the frequent itemsets of the data into m (allocated by the caller).
 * rank_item receives the global rank -> item id map.
 */
static void
BasketMine(FpMiner *m, BasketData *d, double min_support, int max_length,
		   const char *fn, int32 **rank_item_out)
{
	int32	   *rank_item;
	int32	   *item_rank;
	int32		nfreq = 0;
	int32		i;
	int64		total = 0;
	FpTree		t;
	FpReduced	red;
	int32		tr;

	memset(m, 0, sizeof(FpMiner));
	m->fn = fn;
	m->ntrans = d->ntrans;
	m->minc = BasketMinCount(min_support, d->ntrans);
	m->max_length = max_length;
	m->max_sets = basket_max_itemsets;
	m->sets_cap = 1024;
	m->sparent = palloc_extended(sizeof(int32) * m->sets_cap, MCXT_ALLOC_HUGE);
	m->sitem = palloc_extended(sizeof(int32) * m->sets_cap, MCXT_ALLOC_HUGE);
	m->scount = palloc_extended(sizeof(int32) * m->sets_cap, MCXT_ALLOC_HUGE);
	/* node 0: the empty itemset */
	m->sparent[0] = -1;
	m->sitem[0] = -1;
	m->scount[0] = d->ntrans;
	m->nsets = 1;
	m->pbuf_cap = 4096;
	m->pbuf = palloc_extended(sizeof(int32) * m->pbuf_cap, MCXT_ALLOC_HUGE);
	m->paths_cap = 1024;
	m->paths = palloc_extended(sizeof(FpPath) * m->paths_cap, MCXT_ALLOC_HUGE);

	/* rank the frequent items by descending support, then text order */
	rank_item = palloc(sizeof(int32) * Max(d->nitems, 1));
	item_rank = palloc(sizeof(int32) * Max(d->nitems, 1));
	for (i = 0; i < d->nitems; i++)
		if (d->item_count[i] >= m->minc)
			rank_item[nfreq++] = i;
	{
		/* stable counting-free sort: qsort on (count desc, id asc) */
		int64	   *keys = palloc(sizeof(int64) * Max(nfreq, 1));

		for (i = 0; i < nfreq; i++)
			keys[i] = ((int64) (INT_MAX - d->item_count[rank_item[i]]) << 32) | rank_item[i];
		qsort(keys, nfreq, sizeof(int64), BasketInt64Cmp);
		for (i = 0; i < nfreq; i++)
			rank_item[i] = (int32) (keys[i] & 0xFFFFFFFF);
		pfree(keys);
	}
	for (i = 0; i < d->nitems; i++)
		item_rank[i] = -1;
	for (i = 0; i < nfreq; i++)
		item_rank[rank_item[i]] = i;
	*rank_item_out = rank_item;
	if (nfreq == 0)
	{
		pfree(item_rank);
		return;
	}

	/* the FP-tree of all transactions */
	for (tr = 0; tr < d->ntrans; tr++)
	{
		int64		k;

		for (k = d->tstart[tr]; k < d->tstart[tr + 1]; k++)
			if (item_rank[d->titems[k]] >= 0)
				total++;
	}
	FpReduce(&red, d, item_rank, total);
	pfree(item_rank);
	elog(DEBUG1, "%s: %d baskets, %d items, %d frequent (min count %d), %lld frequent item occurrences, FP-tree of %lld nodes: first level from the %s",
		 fn, d->ntrans, d->nitems, nfreq, m->minc, (long long) total, (long long) red.nnodes,
		 red.nnodes > total * FP_SPARSE_SHARE ? "transactions" : "FP-tree");
	if (red.nnodes > total * FP_SPARSE_SHARE)
	{
		/* prefixes hardly shared: project the transactions directly */
		FpMineTransactions(m, &red, nfreq);
	}
	else
	{
		FpTreeInit(&t, nfreq, red.nnodes + 1);
		for (i = 0; i < nfreq; i++)
			t.gitem[i] = i;
		FpBuildSorted(&t, &red);
		FpMine(m, &t, 0, 0);
		FpTreeFree(&t);
	}
	pfree(red.ranks);
	pfree(red.start);
	pfree(red.order);
}

/*----------------------------------------------------------------------
 * Results
 *----------------------------------------------------------------------
 */

/* The itemsets found, with what it takes to print and look them up. */
typedef struct BasketResult
{
	BasketData *data;
	FpMiner		miner;
	int32	   *rank_item;		/* global rank -> item id */
	int32	   *depth;			/* itemset node -> number of items */
	int32	   *lookup;			/* hash table of itemset nodes, -1 = empty */
	uint32		lookup_mask;
} BasketResult;

/* Hash of the trie edge (parent, item). */
static inline uint32
BasketEdgeHash(int32 parent, int32 item)
{
	return BasketMix64(((uint64) (parent + 1) << 32) | (uint32) item);
}

/* Index the itemsets by (parent, item) for subset lookups. */
static void
BasketIndexItemsets(BasketResult *r)
{
	FpMiner    *m = &r->miner;
	uint32		cap = 64;
	int64		i;

	while ((int64) cap < m->nsets + m->nsets / 2)
		cap *= 2;
	r->lookup = palloc_extended(sizeof(int32) * (Size) cap, MCXT_ALLOC_HUGE);
	memset(r->lookup, 0xFF, sizeof(int32) * (Size) cap);
	r->lookup_mask = cap - 1;
	for (i = 1; i < m->nsets; i++)
	{
		uint32		pos = BasketEdgeHash(m->sparent[i], m->sitem[i]) & r->lookup_mask;

		while (r->lookup[pos] >= 0)
			pos = (pos + 1) & r->lookup_mask;
		r->lookup[pos] = (int32) i;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* The node of an itemset given by its ranks in decreasing order, or -1. */
static int32
BasketFindItemset(BasketResult *r, const int32 *ranks, int n)
{
	FpMiner    *m = &r->miner;
	int32		node = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		uint32		pos = BasketEdgeHash(node, ranks[i]) & r->lookup_mask;
		int32		id;

		while ((id = r->lookup[pos]) >= 0)
		{
			if (m->sparent[id] == node && m->sitem[id] == ranks[i])
				break;
			pos = (pos + 1) & r->lookup_mask;
		}
		if (id < 0)
			return -1;
		node = id;
	}
	return node;
}

/* Read, encode and mine: everything up to the itemsets. */
static BasketResult *
BasketRun(const char *query, const char *fn, double min_support, int max_length)
{
	BasketResult *r = palloc0(sizeof(BasketResult));
	BasketInput *in;

	in = BasketReadQuery(query, fn, CurrentMemoryContext);
	r->data = BasketBuildData(in);
	BasketMine(&r->miner, r->data, min_support, max_length, fn, &r->rank_item);
	return r;
}

/* The items of ranks[0..n-1] as a text[] in byte order of the item text. */
static Datum
BasketItemArray(BasketResult *r, const int32 *ranks, int n, int32 *ids, Datum *elems)
{
	int			i;

	for (i = 0; i < n; i++)
		ids[i] = r->rank_item[ranks[i]];
	BasketSortInt32(ids, n);
	for (i = 0; i < n; i++)
		elems[i] = PointerGetDatum(r->data->item_text[ids[i]]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The ranks of the itemset at a node, root first (decreasing rank). */
static int
BasketItemsetRanks(BasketResult *r, int32 node, int32 *ranks)
{
	FpMiner    *m = &r->miner;
	int			n = 0;
	int32		p;
	int			a,
				b;

	for (p = node; p > 0; p = m->sparent[p])
		ranks[n++] = m->sitem[p];
	for (a = 0, b = n - 1; a < b; a++, b--)
	{
		int32		x = ranks[a];

		ranks[a] = ranks[b];
		ranks[b] = x;
	}
	return n;
}

/* Check the common arguments: query, min_support, max_length. */
static void
BasketCheckArgs(FunctionCallInfo fcinfo, const char *fn, char **query,
				double *min_support, int *max_length, int max_length_arg)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query must not be NULL"),
				 errhint("Pass a SELECT returning (basket, item) rows, one per order line.")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("min_support must not be NULL"),
				 errhint("Pass the smallest share of baskets an itemset must be in, for example 0.01.")));
	*query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	*min_support = PG_GETARG_FLOAT8(1);
	if (isnan(*min_support) || *min_support <= 0 || *min_support > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_support must be greater than 0 and at most 1"),
				 errdetail("Got %g.", *min_support),
				 errhint("It is a share of the baskets, for example 0.01 for 1%%.")));
	*max_length = 0;
	if (!PG_ARGISNULL(max_length_arg))
	{
		*max_length = PG_GETARG_INT32(max_length_arg);
		if (*max_length < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_length must be at least 1"),
					 errdetail("Got %d.", *max_length),
					 errhint("Pass NULL for no bound on the number of items of an itemset.")));
	}
	(void) fn;
}

/*
 * crm.frequent_itemsets(query text, min_support float8, max_length integer)
 * returns TABLE(items text[], count bigint, support float8)
 */
Datum
frequent_itemsets(PG_FUNCTION_ARGS)
{
	const char *fn = "crm.frequent_itemsets";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	double		min_support;
	int			max_length;
	MemoryContext work;
	MemoryContext rowcxt;
	MemoryContext old;
	BasketResult *r;
	int32	   *ranks;
	int32	   *ids;
	Datum	   *elems;
	int64		i;

	BasketCheckArgs(fcinfo, fn, &query, &min_support, &max_length, 2);
	InitMaterializedSRF(fcinfo, 0);

	work = AllocSetContextCreate(CurrentMemoryContext, "crm basket mining",
								 ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(work, "crm basket row", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	r = BasketRun(query, fn, min_support, max_length);

	ranks = palloc(sizeof(int32) * Max(r->data->nitems, 1));
	ids = palloc(sizeof(int32) * Max(r->data->nitems, 1));
	elems = palloc(sizeof(Datum) * Max(r->data->nitems, 1));
	for (i = 1; i < r->miner.nsets; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		int			n;

		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(rowcxt);
		n = BasketItemsetRanks(r, (int32) i, ranks);
		values[0] = BasketItemArray(r, ranks, n, ids, elems);
		values[1] = Int64GetDatum((int64) r->miner.scount[i]);
		values[2] = Float8GetDatum((double) r->miner.scount[i] / (double) r->data->ntrans);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	return (Datum) 0;
}

/*
 * crm.association_rules(query text, min_support float8, min_confidence float8,
 *		max_length integer, max_consequent integer)
 * returns TABLE(antecedent text[], consequent text[], support float8,
 *		confidence float8, lift float8, leverage float8, conviction float8,
 *		count bigint)
 */
Datum
association_rules(PG_FUNCTION_ARGS)
{
	const char *fn = "crm.association_rules";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	double		min_support;
	double		min_confidence;
	int			max_length;
	int			max_consequent;
	MemoryContext work;
	MemoryContext rowcxt;
	MemoryContext old;
	BasketResult *r;
	FpMiner    *m;
	int32	   *zr;
	int32	   *xr;
	int32	   *yr;
	int32	   *ids;
	Datum	   *elems;
	int		   *idx;
	int64		i;
	int64		nrules = 0;
	uint64		ncombos = 0;
	double		ntrans;

	BasketCheckArgs(fcinfo, fn, &query, &min_support, &max_length, 3);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("min_confidence must not be NULL"),
				 errhint("Pass 0 to keep every rule.")));
	min_confidence = PG_GETARG_FLOAT8(2);
	if (isnan(min_confidence) || min_confidence < 0 || min_confidence > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_confidence must be between 0 and 1"),
				 errdetail("Got %g.", min_confidence)));
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("max_consequent must not be NULL"),
				 errhint("Pass 1 for rules with one item on the right-hand side, as arules does.")));
	max_consequent = PG_GETARG_INT32(4);
	if (max_consequent < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_consequent must be at least 1"),
				 errdetail("Got %d.", max_consequent)));
	if (max_length == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_length must be at least 2 for rules"),
				 errdetail("A rule has at least one item on each side.")));
	InitMaterializedSRF(fcinfo, 0);

	work = AllocSetContextCreate(CurrentMemoryContext, "crm basket mining",
								 ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(work, "crm basket row", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	r = BasketRun(query, fn, min_support, max_length);
	m = &r->miner;
	ntrans = (double) r->data->ntrans;
	BasketIndexItemsets(r);

	zr = palloc(sizeof(int32) * Max(r->data->nitems, 1));
	xr = palloc(sizeof(int32) * Max(r->data->nitems, 1));
	yr = palloc(sizeof(int32) * Max(r->data->nitems, 1));
	ids = palloc(sizeof(int32) * Max(r->data->nitems, 1));
	elems = palloc(sizeof(Datum) * Max(r->data->nitems, 1));
	idx = palloc(sizeof(int) * Max(r->data->nitems, 1));
	for (i = 1; i < m->nsets; i++)
	{
		int			k;
		int			s;
		int32		zc = m->scount[i];

		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (m->sparent[i] == 0)
			continue;			/* one item: no rule */
		k = BasketItemsetRanks(r, (int32) i, zr);
		for (s = 1; s <= Min(max_consequent, k - 1); s++)
		{
			int			a;

			/* every s-subset of the k items as consequent */
			for (a = 0; a < s; a++)
				idx[a] = a;
			for (;;)
			{
				int			nx = 0,
							ny = 0,
							pos = 0;
				int32		xnode,
							ynode;
				double		xc,
							yc,
							conf;

				for (a = 0; a < k; a++)
				{
					if (pos < s && idx[pos] == a)
					{
						yr[ny++] = zr[a];
						pos++;
					}
					else
						xr[nx++] = zr[a];
				}
				xnode = BasketFindItemset(r, xr, nx);
				ynode = BasketFindItemset(r, yr, ny);
				if (xnode < 0 || ynode < 0)
					elog(ERROR, "subset of a frequent itemset not found");
				xc = (double) m->scount[xnode];
				yc = (double) m->scount[ynode];
				conf = (double) zc / xc;
				if (conf >= min_confidence)
				{
					Datum		values[8];
					bool		nulls[8] = {false};
					double		supz = zc / ntrans;
					double		supx = xc / ntrans;
					double		supy = yc / ntrans;

					if (++nrules > basket_max_itemsets)
						FpLimitError(m, "rules");
					MemoryContextSwitchTo(rowcxt);
					values[0] = BasketItemArray(r, xr, nx, ids, elems);
					values[1] = BasketItemArray(r, yr, ny, ids, elems);
					values[2] = Float8GetDatum(supz);
					values[3] = Float8GetDatum(conf);
					values[4] = Float8GetDatum((double) zc * ntrans / (xc * yc));
					values[5] = Float8GetDatum(supz - supx * supy);
					if (m->scount[xnode] != zc)
						values[6] = Float8GetDatum((1.0 - supy) / (1.0 - conf));
					else if (m->scount[ynode] == r->data->ntrans)
						values[6] = Float8GetDatum(get_float8_nan());
					else
						values[6] = Float8GetDatum(get_float8_infinity());
					values[7] = Int64GetDatum((int64) zc);
					tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
					MemoryContextReset(rowcxt);
					MemoryContextSwitchTo(work);
				}
				/* next combination (there can be very many: stay cancellable) */
				if ((++ncombos & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				a = s - 1;
				while (a >= 0 && idx[a] == k - s + a)
					a--;
				if (a < 0)
					break;
				idx[a]++;
				for (a = a + 1; a < s; a++)
					idx[a] = idx[a - 1] + 1;
			}
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	return (Datum) 0;
}

/* Check that a column of the rules table exists with the given type. */
static void
BasketCheckRulesColumn(Relation rel, const char *name, Oid typid)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (att->atttypid != typid)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of rules table \"%s\" has type %s, not %s",
							name, RelationGetRelationName(rel),
							format_type_be(att->atttypid), format_type_be(typid)),
					 errhint("Create the table with CREATE TABLE ... AS SELECT * FROM crm.association_rules(...).")));
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("rules table \"%s\" has no column \"%s\"",
					RelationGetRelationName(rel), name),
			 errhint("It needs antecedent text[], consequent text[], support, confidence and lift float8, "
					 "as created by CREATE TABLE ... AS SELECT * FROM crm.association_rules(...).")));
}

/*
 * crm.cross_sell(basket text[], rules regclass, k integer)
 * returns TABLE(item text, score float8, antecedent text[], consequent text[],
 *		support float8, confidence float8, lift float8)
 */
Datum
cross_sell(PG_FUNCTION_ARGS)
{
	ArrayType  *basket = PG_GETARG_ARRAYTYPE_P(0);
	Oid			relid = PG_GETARG_OID(1);
	int32		k = PG_GETARG_INT32(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel;
	AclResult	aclresult;
	char	   *relname;
	char	   *sql;
	Oid			argtypes[2] = {TEXTARRAYOID, INT4OID};
	Datum		args[2];
	int			ret;
	uint64		i;

	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1"),
				 errdetail("Got %d.", k)));
	if (ARR_NDIM(basket) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("basket must be a one-dimensional array")));

	/* the rules are read with the caller's rights: check them first */
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	rel = relation_open(relid, AccessShareLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE &&
		rel->rd_rel->relkind != RELKIND_VIEW &&
		rel->rd_rel->relkind != RELKIND_MATVIEW &&
		rel->rd_rel->relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("rules \"%s\" is not a table or view", RelationGetRelationName(rel)),
				 errhint("Pass a table created by CREATE TABLE ... AS SELECT * FROM crm.association_rules(...).")));
	BasketCheckRulesColumn(rel, "antecedent", TEXTARRAYOID);
	BasketCheckRulesColumn(rel, "consequent", TEXTARRAYOID);
	BasketCheckRulesColumn(rel, "support", FLOAT8OID);
	BasketCheckRulesColumn(rel, "confidence", FLOAT8OID);
	BasketCheckRulesColumn(rel, "lift", FLOAT8OID);
	relname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
										 RelationGetRelationName(rel));
	relation_close(rel, NoLock);

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Per recommended item the best rule (see the file header), then the k
	 * best items.  NULL elements of the
	 * basket are ignored (a NULL never matches).
	 */
	sql = psprintf("SELECT item, confidence, antecedent, consequent, support, confidence, lift "
				   "FROM (SELECT DISTINCT ON (c.item) c.item, r.antecedent, r.consequent, "
				   "r.support, r.confidence, r.lift "
				   "FROM %s AS r CROSS JOIN LATERAL pg_catalog.unnest(r.consequent) AS c(item) "
				   "WHERE r.antecedent OPERATOR(pg_catalog.<@) $1 "
				   "AND c.item IS NOT NULL "
				   "AND NOT (c.item OPERATOR(pg_catalog.=) ANY (pg_catalog.array_remove($1, NULL))) "
				   "AND r.confidence IS NOT NULL AND r.lift IS NOT NULL "
				   "ORDER BY c.item, r.confidence DESC, pg_catalog.cardinality(r.consequent), "
				   "r.lift DESC, r.support DESC NULLS LAST, "
				   "pg_catalog.cardinality(r.antecedent) DESC, "
				   "r.antecedent::pg_catalog.text COLLATE pg_catalog.\"C\") AS best "
				   "ORDER BY confidence DESC, lift DESC, support DESC NULLS LAST, item COLLATE pg_catalog.\"C\" "
				   "LIMIT $2", relname);
	args[0] = PointerGetDatum(basket);
	args[1] = Int32GetDatum(k);
	ret = SPI_execute_with_args(sql, 2, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		values[7];
		bool		nulls[7];
		int			a;

		for (a = 0; a < 7; a++)
			values[a] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
									  a + 1, &nulls[a]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/* Define the crm_analytics.* settings of basket mining. */
void
BasketDefineGUCs(void)
{
	DefineCustomIntVariable("crm_analytics.max_itemsets",
							"Most frequent itemsets (and rules) one call of crm.frequent_itemsets or crm.association_rules may produce.",
							"A run that would produce more stops with an error; "
							"raise min_support or pass max_length instead of raising this.",
							&basket_max_itemsets,
							BASKET_DEFAULT_MAX_ITEMSETS,
							1, INT_MAX / 2,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}
