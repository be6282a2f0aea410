/*
 * basket_input.c
 *		Basket association: reading the caller's (basket, item) query into
 *		dictionary-encoded rows (BasketInput) and grouping them into
 *		transactions (BasketData).
 *
 * crm.frequent_itemsets(query, min_support, max_length) and
 * crm.association_rules(query, min_support, min_confidence, max_length,
 * max_consequent) read a caller's (basket, item) query once, with the
 * caller's rights, through the shared query API (query.c: the caller's own
 * plan, run read-only, row by row into a callback), so that no row is
 * materialised by SPI.  Items are converted to text as ::text does and
 * dictionary-encoded to dense integers with an open-addressing hash table on
 * their bytes; basket keys keep their type and are hashed with the type's
 * default hash opclass (a plain 64-bit mix for the integer and date/time
 * types).  The dictionary is then renumbered in byte order of the item text
 * ("C" collation), which is the documented order of the items inside every
 * returned array.  Transactions become sorted, duplicate-free integer arrays
 * (counting sort by basket), all in one memory context that is deleted at
 * the end.
 *
 * That work context is checked against crm_analytics.max_memory whenever a
 * structure grows: when the row arrays, the dictionaries or their hash
 * tables double, every 64 kB of item texts and basket keys copied
 * (CrmMemoryNote), and before the transactions are built.
 */
#include "postgres.h"

#include <limits.h>

#include "access/detoast.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "crm_analytics.h"
#include "basket.h"

/* stage names for the memory error */
#define BASKET_READING		"Reading the query"
#define BASKET_GROUPING		"Grouping the rows into baskets"

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

	/* bytes of texts and keys copied since the last budget check */
	Size		unchecked;

	/* rows */
	int64		nrows;
	int64		rows_cap;
	int32	   *row_basket;
	int32	   *row_item;

	CrmCast		item_cast;		/* item column to text, as ::text */
} BasketInput;

/* A larger power-of-two table for ids, rehashed from the given hashes. */
static int32 *
BasketRehash(BasketInput *in, const uint32 *hashes, int32 n, uint32 newcap)
{
	int32	   *table = BasketAlloc(in->cxt, newcap, sizeof(int32), false, in->fn,
									BASKET_READING);
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
		int32		newcap = in->items_cap * 2;

		in->item_text = BasketRealloc(in->cxt, in->item_text, in->items_cap, newcap,
									  sizeof(text *), in->fn, BASKET_READING);
		in->item_hash = BasketRealloc(in->cxt, in->item_hash, in->items_cap, newcap,
									  sizeof(uint32), in->fn, BASKET_READING);
		in->items_cap = newcap;
	}
	id = in->nitems++;
	CrmMemoryNote(in->cxt, &in->unchecked, VARHDRSZ + len, in->fn, BASKET_READING);
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
		in->ihash = BasketRehash(in, in->item_hash, in->nitems, newcap);
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
		int32		newcap = in->baskets_cap * 2;

		in->bkey = BasketRealloc(in->cxt, in->bkey, in->baskets_cap, newcap,
								 sizeof(Datum), in->fn, BASKET_READING);
		in->bkey_hash = BasketRealloc(in->cxt, in->bkey_hash, in->baskets_cap, newcap,
									  sizeof(uint32), in->fn, BASKET_READING);
		in->baskets_cap = newcap;
	}
	id = in->nbaskets++;
	if (in->bfast || in->btypbyval)
		in->bkey[id] = key;
	else
	{
		MemoryContext old;

		CrmMemoryNote(in->cxt, &in->unchecked,
					  in->btyplen == -1 ? toast_raw_datum_size(key) :
					  datumGetSize(key, false, in->btyplen),
					  in->fn, BASKET_READING);
		old = MemoryContextSwitchTo(in->cxt);
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
		in->bhash = BasketRehash(in, in->bkey_hash, in->nbaskets, newcap);
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
		int64		newcap = in->rows_cap * 2;

		in->row_basket = BasketRealloc(in->cxt, in->row_basket, in->rows_cap, newcap,
									   sizeof(int32), in->fn, BASKET_READING);
		in->row_item = BasketRealloc(in->cxt, in->row_item, in->rows_cap, newcap,
									 sizeof(int32), in->fn, BASKET_READING);
		in->rows_cap = newcap;
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
	in->item_text = BasketAlloc(cxt, in->items_cap, sizeof(text *), false, fn, BASKET_READING);
	in->item_hash = BasketAlloc(cxt, in->items_cap, sizeof(uint32), false, fn, BASKET_READING);
	in->ihash = BasketRehash(in, NULL, 0, 4096);
	in->ihash_mask = 4095;
	in->baskets_cap = 1024;
	in->bkey = BasketAlloc(cxt, in->baskets_cap, sizeof(Datum), false, fn, BASKET_READING);
	in->bkey_hash = BasketAlloc(cxt, in->baskets_cap, sizeof(uint32), false, fn, BASKET_READING);
	in->bhash = BasketRehash(in, NULL, 0, 4096);
	in->bhash_mask = 4095;
	in->last_basket = -1;
	in->rows_cap = 65536;
	in->row_basket = BasketAlloc(cxt, in->rows_cap, sizeof(int32), false, fn, BASKET_READING);
	in->row_item = BasketAlloc(cxt, in->rows_cap, sizeof(int32), false, fn, BASKET_READING);

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

/* Renumber items in text order and group the rows into transactions. */
static BasketData *
BasketBuildData(BasketInput *in)
{
	BasketData *d = palloc0(sizeof(BasketData));
	MemoryContext cxt = in->cxt;
	const char *fn = in->fn;
	int32	   *order;
	int32	   *newid;
	int64	   *start;
	int32	   *items;
	int64		i;
	int32		b;
	int64		out;

	d->nitems = in->nitems;
	d->ntrans = 0;
	order = BasketAlloc(cxt, in->nitems, sizeof(int32), false, fn, BASKET_GROUPING);
	newid = BasketAlloc(cxt, in->nitems, sizeof(int32), false, fn, BASKET_GROUPING);
	for (i = 0; i < in->nitems; i++)
		order[i] = (int32) i;
	qsort_arg(order, in->nitems, sizeof(int32), BasketTextCmp, in->item_text);
	d->item_text = BasketAlloc(cxt, in->nitems, sizeof(text *), false, fn, BASKET_GROUPING);
	for (i = 0; i < in->nitems; i++)
	{
		newid[order[i]] = (int32) i;
		d->item_text[i] = in->item_text[order[i]];
	}
	pfree(order);

	/* counting sort of the rows by basket */
	start = BasketAlloc(cxt, (Size) in->nbaskets + 1, sizeof(int64), true, fn, BASKET_GROUPING);
	for (i = 0; i < in->nrows; i++)
		start[in->row_basket[i] + 1]++;
	for (b = 0; b < in->nbaskets; b++)
		start[b + 1] += start[b];
	items = BasketAlloc(cxt, in->nrows, sizeof(int32), false, fn, BASKET_GROUPING);
	{
		int64	   *fill = BasketAlloc(cxt, in->nbaskets, sizeof(int64), false, fn,
									   BASKET_GROUPING);

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
	d->item_count = BasketAlloc(cxt, in->nitems, sizeof(int32), true, fn, BASKET_GROUPING);
	d->tstart = BasketAlloc(cxt, (Size) in->nbaskets + 1, sizeof(int64), false, fn,
							BASKET_GROUPING);
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

/* Read the caller's query and group its rows into transactions, in cxt. */
BasketData *
BasketLoad(const char *query, const char *fn, MemoryContext cxt)
{
	return BasketBuildData(BasketReadQuery(query, fn, cxt));
}
