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
 * their bytes; integer items (smallint, integer, bigint) are encoded by
 * their value and converted to text once per distinct item after the query
 * has run, which takes the conversion out of the cost of every row.  Basket
 * keys keep their type and are hashed with the type's default hash opclass
 * (a plain 64-bit mix for the integer and date/time types); a row of the
 * previous row's basket is recognised without hashing.  The dictionary is
 * then renumbered in byte order of the item text ("C" collation), which is
 * the documented order of the items inside every returned array.
 * Transactions become duplicate-free integer arrays: in place when the rows
 * of each basket came together (a table written basket by basket, or a query
 * ordered by basket), else by a counting sort by basket; all in one memory
 * context that is deleted at the end.
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

	/*
	 * item dictionary: id -> text, and a hash table of ids (-1 = empty).
	 * Integer items (ifast) are numbered by their value in idict instead
	 * (intdict.c: a direct map for product numbers) and get their text once
	 * per distinct item, after the query has run.
	 */
	bool		ifast;
	CrmIntDict	idict;
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
	int64	   *bfirst;			/* first row of each basket */
	int32	   *bhash;
	uint32		bhash_mask;

	/*
	 * runs: while reading fast (integer, date/time) keys, a key that differs
	 * from the previous row's starts a run of rows, and nothing is hashed:
	 * bkey, bfirst and nbaskets describe the runs.  After the query (or once
	 * the runs average fewer than eight rows) BasketRunsToBaskets turns runs of
	 * equal keys into baskets: when all keys differ, the rows were grouped by
	 * basket and each run is one.  Looking up a new key in a hash table of
	 * 100,000 baskets cost a cache miss per basket while the table's pages
	 * streamed through the cache; a loop hashing all keys at once overlaps
	 * them, and a table written in key order needs no hashing at all.
	 */
	bool		runs;
	int32		last_basket;	/* rows of one basket usually come together */

	/* bytes of texts and keys copied since the last budget check */
	Size		unchecked;

	/*
	 * rows: their items, and their baskets unless grouped, which they are as
	 * long as the rows of each basket come together (a table written basket
	 * by basket, or a query ordered by basket): basket b's rows are then
	 * bfirst[b] up to the next basket's first row, and no row_basket array
	 * is written, nor sorted later.
	 */
	int64		nrows;
	int64		rows_cap;
	bool		grouped;
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

/* A new item id with hash h at free slot pos of the item hash table. */
static int32
BasketNewItem(BasketInput *in, uint32 h, uint32 pos)
{
	int32		id;

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
	in->item_hash[id] = h;
	in->ihash[pos] = id;
	return id;
}

/* Grow the item hash table when it is half full. */
static inline void
BasketItemsGrown(BasketInput *in)
{
	if ((uint32) in->nitems * 2 > in->ihash_mask)
	{
		uint32		newcap = (in->ihash_mask + 1) * 2;

		pfree(in->ihash);
		in->ihash = BasketRehash(in, in->item_hash, in->nitems, newcap);
		in->ihash_mask = newcap - 1;
	}
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
	id = BasketNewItem(in, h, pos);
	CrmMemoryNote(in->cxt, &in->unchecked, VARHDRSZ + len, in->fn, BASKET_READING);
	t = MemoryContextAlloc(in->cxt, VARHDRSZ + len);
	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), data, len);
	in->item_text[id] = t;
	BasketItemsGrown(in);
	return id;
}

/*
 * The text of every integer item, as ::text gives it, once the query has
 * run: one conversion per distinct item instead of one per row.  Distinct
 * integers have distinct texts, so the dictionary needs no merging.
 */
static void
BasketIntItemTexts(BasketInput *in)
{
	int32		i;

	in->nitems = in->items_cap = in->idict.n;
	pfree(in->item_text);
	in->item_text = BasketAlloc(in->cxt, in->nitems, sizeof(text *), false, in->fn,
								BASKET_READING);
	for (i = 0; i < in->nitems; i++)
	{
		text	   *v = DatumGetTextPP(CrmCastValue(&in->item_cast,
													Int64GetDatum(in->idict.keys[i])));
		int			len = VARSIZE_ANY_EXHDR(v);
		text	   *t;

		CrmMemoryNote(in->cxt, &in->unchecked, VARHDRSZ + len, in->fn, BASKET_READING);
		t = MemoryContextAlloc(in->cxt, VARHDRSZ + len);
		SET_VARSIZE(t, VARHDRSZ + len);
		memcpy(VARDATA(t), VARDATA_ANY(v), len);
		in->item_text[i] = t;
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
}

/* Whether two basket keys are equal. */
static inline bool
BasketKeyEqual(BasketInput *in, Datum a, Datum b)
{
	if (in->bfast)
		return a == b;
	return DatumGetBool(FunctionCall2Coll(in->beq_fn, in->bcoll, a, b));
}

/*
 * The rows so far are not grouped by basket after all: write the basket of
 * every row read so far, from the first rows of the baskets.
 */
static void
BasketUngroup(BasketInput *in)
{
	int32		b;

	in->row_basket = BasketAlloc(in->cxt, in->rows_cap, sizeof(int32), false, in->fn,
								 BASKET_READING);
	for (b = 0; b < in->nbaskets; b++)
	{
		int64		end = b + 1 < in->nbaskets ? in->bfirst[b + 1] : in->nrows;
		int64		i;

		for (i = in->bfirst[b]; i < end; i++)
			in->row_basket[i] = b;
	}
	in->grouped = false;
}

/* Room for one more basket (or run) key, and bfirst for one beyond it. */
static inline void
BasketBasketRoom(BasketInput *in)
{
	if (in->nbaskets >= INT_MAX / 2)
		BasketTooMany(in, "baskets");
	if (in->nbaskets + 1 >= in->baskets_cap)
	{
		int32		newcap = in->baskets_cap * 2;

		in->bkey = BasketRealloc(in->cxt, in->bkey, in->baskets_cap, newcap,
								 sizeof(Datum), in->fn, BASKET_READING);
		in->bkey_hash = BasketRealloc(in->cxt, in->bkey_hash, in->baskets_cap, newcap,
									  sizeof(uint32), in->fn, BASKET_READING);
		in->bfirst = BasketRealloc(in->cxt, in->bfirst, in->baskets_cap, newcap,
								   sizeof(int64), in->fn, BASKET_READING);
		in->baskets_cap = newcap;
	}
}

/*
 * Turn the runs of rows read so far into baskets (see runs in BasketInput):
 * the keys of the runs are numbered in order of first appearance by one
 * pass of hashing (none when they are strictly increasing), the baskets
 * keep the hash table for the rows still to come, and when a key came in
 * more than one run the rows are not grouped: their baskets are written.
 */
static void
BasketRunsToBaskets(BasketInput *in)
{
	int32		nruns = in->nbaskets;
	int32	   *run_basket;
	uint32		cap = in->bhash_mask + 1;
	int32		nb = 0;
	int32		r;

	in->runs = false;
	while ((uint32) nruns * 2 > cap - 1)
		cap *= 2;
	pfree(in->bhash);
	in->bhash = BasketAlloc(in->cxt, cap, sizeof(int32), false, in->fn, BASKET_READING);
	memset(in->bhash, 0xFF, sizeof(int32) * (Size) cap);
	in->bhash_mask = cap - 1;
	run_basket = BasketAlloc(in->cxt, nruns, sizeof(int32), false, in->fn, BASKET_READING);

	/*
	 * number the keys, compacting bkey in place (basket nb <= run r); a run
	 * of a new key keeps its first row in bfirst until the rows are written
	 */
	for (r = 0; r < nruns; r++)
	{
		Datum		key = in->bkey[r];
		uint32		h = BasketMix64((uint64) key);
		uint32		pos = h & in->bhash_mask;
		int32		id;

		while ((id = in->bhash[pos]) >= 0 && in->bkey[id] != key)
			pos = (pos + 1) & in->bhash_mask;
		if (id < 0)
		{
			id = nb++;
			in->bkey[id] = key;
			in->bkey_hash[id] = h;
			in->bhash[pos] = id;
		}
		run_basket[r] = id;
		if ((r & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (nb < nruns)
	{
		/* a key came back after other keys: write the basket of every row */
		in->row_basket = BasketAlloc(in->cxt, in->rows_cap, sizeof(int32), false, in->fn,
									 BASKET_READING);
		for (r = 0; r < nruns; r++)
		{
			int64		end = r + 1 < nruns ? in->bfirst[r + 1] : in->nrows;
			int64		i;

			for (i = in->bfirst[r]; i < end; i++)
				in->row_basket[i] = run_basket[r];
		}
		in->grouped = false;
	}
	in->nbaskets = nb;
	in->last_basket = nruns > 0 ? run_basket[nruns - 1] : -1;
	pfree(run_basket);
}

/* A new basket of key with hash h at free slot pos of the basket hash table. */
static int32
BasketNewBasket(BasketInput *in, Datum key, uint32 h, uint32 pos)
{
	int32		id;

	BasketBasketRoom(in);
	id = in->nbaskets++;
	in->bfirst[id] = in->nrows;
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

/*
 * A new run of rows of a fast key (see runs in BasketInput); past one run
 * per eight rows the runs become baskets and the key is looked up, so that
 * the runs (20 bytes each) never take more memory than a basket per row
 * would (4 bytes a row).
 */
static int32
BasketNewRun(BasketInput *in, Datum key)
{
	int32		id;

	if (in->nbaskets >= Min(in->nrows / 8 + 4096, INT_MAX / 4))
	{
		BasketRunsToBaskets(in);
		return -1;
	}
	BasketBasketRoom(in);
	id = in->nbaskets++;
	in->bkey[id] = key;
	in->bfirst[id] = in->nrows;
	return in->last_basket = id;
}

/*
 * The id of a basket key other than the previous row's (BasketRowBasket),
 * adding it when new.
 */
static int32
BasketBasketId(BasketInput *in, Datum key)
{
	uint32		h;
	uint32		pos;
	int32		id;

	if (in->runs && (id = BasketNewRun(in, key)) >= 0)
		return id;
	if (in->bfast)
		h = BasketMix64((uint64) key);
	else
		h = DatumGetUInt32(FunctionCall1Coll(in->bhash_fn, in->bcoll, key));
	pos = h & in->bhash_mask;
	while ((id = in->bhash[pos]) >= 0)
	{
		if (in->bkey_hash[id] == h && BasketKeyEqual(in, in->bkey[id], key))
		{
			/* a basket seen before, but not on the previous row */
			if (in->grouped && id != in->last_basket)
				BasketUngroup(in);
			return in->last_basket = id;
		}
		pos = (pos + 1) & in->bhash_mask;
	}
	return BasketNewBasket(in, key, h, pos);
}

/* The basket id of a row's key: the previous row's, or BasketBasketId's. */
static inline int32
BasketRowBasket(BasketInput *in, Datum key)
{
	int32		last = in->last_basket;

	if (last >= 0 && (in->bfast ? in->bkey[last] == key :
					  BasketKeyEqual(in, in->bkey[last], key)))
		return last;
	return BasketBasketId(in, key);
}

/* Append a row of basket bid and item iid. */
static inline void
BasketAppendRow(BasketInput *in, int32 bid, int32 iid)
{
	if (unlikely(in->nrows == in->rows_cap))
	{
		int64		newcap = in->rows_cap * 2;

		if (!in->grouped)
			in->row_basket = BasketRealloc(in->cxt, in->row_basket, in->rows_cap, newcap,
										   sizeof(int32), in->fn, BASKET_READING);
		in->row_item = BasketRealloc(in->cxt, in->row_item, in->rows_cap, newcap,
									 sizeof(int32), in->fn, BASKET_READING);
		in->rows_cap = newcap;
	}
	if (!in->grouped)
		in->row_basket[in->nrows] = bid;
	in->row_item[in->nrows] = iid;
	in->nrows++;
	if (unlikely((in->nrows & 0xFFFF) == 0))
		CHECK_FOR_INTERRUPTS();
}

/* Every row of the caller's query comes here; NULL baskets and items are skipped. */
static void
BasketReceiveRow(TupleTableSlot *slot, void *arg)
{
	BasketInput *in = (BasketInput *) arg;
	int32		bid;
	int32		iid;

	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	/* the basket first: a new basket starts at the row about to be added */
	bid = BasketRowBasket(in, slot->tts_values[0]);
	if (in->ifast)
		iid = CrmIntDictId(&in->idict, DatumGetInt64(slot->tts_values[1]));
	else
	{
		struct varlena *v = (struct varlena *)
			DatumGetPointer(CrmCastValue(&in->item_cast, slot->tts_values[1]));
		struct varlena *d = pg_detoast_datum_packed(v);

		iid = BasketItemId(in, VARDATA_ANY(d), VARSIZE_ANY_EXHDR(d));
		if (d != v)
			pfree(d);
	}
	BasketAppendRow(in, bid, iid);
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
	in->bfirst = BasketAlloc(cxt, in->baskets_cap, sizeof(int64), false, fn, BASKET_READING);
	in->bhash = BasketRehash(in, NULL, 0, 4096);
	in->bhash_mask = 4095;
	in->last_basket = -1;
	in->rows_cap = 65536;
	in->grouped = true;
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
			in->runs = true;
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
	switch (getBaseType(TupleDescAttr(desc, 1)->atttypid))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			in->ifast = true;
			CrmIntDictInit(&in->idict, cxt, fn, BASKET_READING);
			break;
		default:
			break;
	}
	(void) CrmQueryForEachRow(&q, BasketReceiveRow, in);
	CrmQueryClose(&q);
	if (in->runs)
		BasketRunsToBaskets(in);
	if (in->ifast)
		BasketIntItemTexts(in);
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

/*
 * Renumber items in text order and group the rows into transactions: in
 * place when the rows came grouped by basket, else by a counting sort by
 * basket.  Repeated items of a basket are dropped (a mark per item: the last
 * basket it was seen in), keeping the first occurrence of each.
 */
static BasketData *
BasketBuildData(BasketInput *in)
{
	BasketData *d = palloc0(sizeof(BasketData));
	MemoryContext cxt = in->cxt;
	const char *fn = in->fn;
	int32	   *order;
	int32	   *newid;
	int32	   *mark;
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

	if (in->grouped)
	{
		/* basket b is rows bfirst[b] .. bfirst[b + 1] already (room for one more) */
		start = in->bfirst;
		start[in->nbaskets] = in->nrows;
		items = in->row_item;
	}
	else
	{
		int64	   *fill;

		/* counting sort of the rows by basket */
		start = BasketAlloc(cxt, (Size) in->nbaskets + 1, sizeof(int64), true, fn,
							BASKET_GROUPING);
		for (i = 0; i < in->nrows; i++)
			start[in->row_basket[i] + 1]++;
		for (b = 0; b < in->nbaskets; b++)
			start[b + 1] += start[b];
		items = BasketAlloc(cxt, in->nrows, sizeof(int32), false, fn, BASKET_GROUPING);
		fill = BasketAlloc(cxt, in->nbaskets, sizeof(int64), false, fn, BASKET_GROUPING);
		memcpy(fill, start, sizeof(int64) * in->nbaskets);
		for (i = 0; i < in->nrows; i++)
			items[fill[in->row_basket[i]]++] = in->row_item[i];
		pfree(fill);
		pfree(in->row_basket);
		pfree(in->row_item);
	}
	in->row_basket = in->row_item = NULL;

	/*
	 * renumber, drop repeated items and count the baskets of each item, in
	 * place: transaction t (t <= b) starts at tstart[t] = start[t], written
	 * once start[b] and start[b + 1] have been read
	 */
	d->item_count = BasketAlloc(cxt, in->nitems, sizeof(int32), true, fn, BASKET_GROUPING);
	mark = BasketAlloc(cxt, in->nitems, sizeof(int32), true, fn, BASKET_GROUPING);
	d->tstart = start;
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
		for (i = s; i < e; i++)
		{
			int32		it = newid[items[i]];

			if (mark[it] == b + 1)
				continue;
			mark[it] = b + 1;
			items[out++] = it;
			d->item_count[it]++;
		}
		d->tstart[d->ntrans++] = tbeg;
	}
	d->tstart[d->ntrans] = out;
	d->titems = items;
	d->ntotal = out;
	in->bfirst = NULL;
	pfree(mark);
	pfree(newid);
	return d;
}

/* Read the caller's query and group its rows into transactions, in cxt. */
BasketData *
BasketLoad(const char *query, const char *fn, MemoryContext cxt)
{
	return BasketBuildData(BasketReadQuery(query, fn, cxt));
}
