/*
 * concentration.c
 *		Profit analysis: how concentrated revenue is among customers (or
 *		products), with ABC classes and the Lorenz curve.  The Gini
 *		coefficient and the top share are aggregates (valuelist.c).
 *
 * crm.abc_classes(query, a, b) sums the values of each key (exactly for
 * numeric and integer values, so that equal totals tie), orders the keys
 * by value descending (ties by key, byte order as COLLATE "C") and gives
 * each key the cumulative share of the total before it, c_before:
 *
 *		class A  when c_before < a
 *		class B  when a <= c_before < b
 *		class C  otherwise
 *
 * so the key that crosses a is an A: class A is the smallest set of top
 * keys holding at least a of the total (Pareto's "vital few"), and likewise
 * A and B together the smallest holding at least b.
 *
 * crm.lorenz_curve(query, points) gives the Lorenz curve L(p), the share of
 * the total held by the poorest share p of the units, at p = 0, 1/points,
 * ..., 1: the curve through (i/n, sum of the i smallest / total), linear
 * between those points (Lorenz 1905; the area between it and the diagonal
 * is half the Gini coefficient).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "deviation.h"

#define CRM_LORENZ_MAX_POINTS	1000000

PG_FUNCTION_INFO_V1(abc_classes);
PG_FUNCTION_INFO_V1(lorenz_curve);

/* A key and its summed value. */
typedef struct ConcKey
{
	char	   *data;
	int			len;
} ConcKey;

typedef struct ConcItem
{
	ConcKey		key;
	CrmFloatSum sum;			/* float values */
	CrmNumericSum nsum;			/* numeric and integer values: exact */
	double		value;
} ConcItem;

typedef struct ConcInput
{
	MemoryContext ctx;
	const char *fn;
	bool		keyed;			/* (key, value) rows summed per key; else one unit per row */
	bool		exact;			/* numeric or integer values: sums per key are exact */
	HTAB	   *items;
	CrmCast		key_cast;
	CrmCast		value_cast;
	int64		nchecked;
	/* unkeyed: the values */
	int64		n;
	int64		cap;
	double	   *values;
} ConcInput;

static uint32
ConcKeyHash(const void *key, Size keysize)
{
	const ConcKey *k = (const ConcKey *) key;

	(void) keysize;
	return hash_bytes((const unsigned char *) k->data, k->len);
}

static int
ConcKeyMatch(const void *key1, const void *key2, Size keysize)
{
	const ConcKey *a = (const ConcKey *) key1;
	const ConcKey *b = (const ConcKey *) key2;

	(void) keysize;
	return (a->len == b->len && memcmp(a->data, b->data, a->len) == 0) ? 0 : 1;
}

/* Add a value to its key's sum (num: a numeric to add exactly, else v). */
static void
ConcAddKeyed(ConcInput *in, Datum keyd, double v, Datum num)
{
	text	   *kt = DatumGetTextPP(CrmCastValue(&in->key_cast, keyd));
	ConcKey		key;
	ConcItem   *it;
	bool		found;

	key.data = VARDATA_ANY(kt);
	key.len = VARSIZE_ANY_EXHDR(kt);
	it = (ConcItem *) hash_search(in->items, &key, HASH_ENTER, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(in->ctx);

		it->key.data = palloc(Max(key.len, 1));
		memcpy(it->key.data, key.data, key.len);
		it->key.len = key.len;
		memset(&it->sum, 0, sizeof(it->sum));
		CrmNumericSumInit(&it->nsum);
		MemoryContextSwitchTo(old);
		if (hash_get_num_entries(in->items) >= in->nchecked * 2 + 4096)
		{
			in->nchecked = hash_get_num_entries(in->items);
			CrmMemoryCheckContext(in->ctx, 0, in->fn, "The table of keys");
		}
	}
	if (num != (Datum) 0)
		CrmNumericSumAdd(&it->nsum, num, in->ctx);
	else
		CrmFloatSumAdd(&it->sum, v);
}

/* One row of the caller's query. */
static void
ConcRow(TupleTableSlot *slot, void *arg)
{
	ConcInput  *in = (ConcInput *) arg;
	int			vcol = in->keyed ? 1 : 0;
	double		v;

	if (slot->tts_isnull[vcol] || (in->keyed && slot->tts_isnull[0]))
		return;
	if (in->keyed && in->exact)
	{
		Datum		num = CrmCastValue(&in->value_cast, slot->tts_values[vcol]);

		ConcAddKeyed(in, slot->tts_values[0], 0.0, num);
		return;
	}
	v = DatumGetFloat8(CrmCastValue(&in->value_cast, slot->tts_values[vcol]));
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the values passed to %s must be finite numbers", in->fn),
				 errdetail("Got %g.", v),
				 errhint("Filter out NaN and infinite values.")));
	if (in->keyed)
		ConcAddKeyed(in, slot->tts_values[0], v, (Datum) 0);
	else
	{
		if (in->n == in->cap)
		{
			in->cap *= 2;
			in->values = CrmMemoryRealloc(in->values, in->cap, sizeof(double), in->fn, "The values");
		}
		in->values[in->n++] = v;
	}
}

/* Run the caller's query into in (SPI connected). */
static void
ConcRead(ConcInput *in, const char *query, bool allow_unkeyed, const char *columns)
{
	static const Oid value_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID};
	CrmQuery	q;
	HASHCTL		ctl;

	CrmQueryOpen(&q, query, allow_unkeyed ? 1 : 2, 2, in->fn, columns);
	in->keyed = (q.desc->natts == 2);
	{
		Oid			vt = getBaseType(TupleDescAttr(q.desc, q.desc->natts - 1)->atttypid);

		in->exact = (vt != FLOAT8OID && vt != FLOAT4OID);
	}
	CrmCheckColumnType(q.desc, q.desc->natts, in->fn, "value", value_types, lengthof(value_types),
					   "a number (float8, numeric or integer)");
	CrmCastInit(&in->value_cast, TupleDescAttr(q.desc, q.desc->natts - 1)->atttypid,
				(in->keyed && in->exact) ? NUMERICOID : FLOAT8OID,
				in->fn, in->keyed ? "2 (value)" : "1 (value)");
	if (in->keyed)
	{
		CrmCastInit(&in->key_cast, TupleDescAttr(q.desc, 0)->atttypid, TEXTOID, in->fn, "1 (key)");
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(ConcKey);
		ctl.entrysize = sizeof(ConcItem);
		ctl.hash = ConcKeyHash;
		ctl.match = ConcKeyMatch;
		ctl.hcxt = in->ctx;
		in->items = hash_create("crm_analytics concentration keys", 1024, &ctl,
								HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	}
	else
	{
		in->cap = 1024;
		in->values = CrmMemoryAlloc(in->ctx, in->cap, sizeof(double), in->fn, "The values");
	}
	(void) CrmQueryForEachRow(&q, ConcRow, in);
	CrmQueryClose(&q);
}

/* The keyed items as an array, with their sums; negative sums are an error. */
static ConcItem **
ConcItems(ConcInput *in, int64 *n)
{
	ConcItem  **list = CrmMemoryAlloc(in->ctx, hash_get_num_entries(in->items), sizeof(ConcItem *),
									  in->fn, "The list of keys");
	HASH_SEQ_STATUS seq;
	ConcItem   *it;
	int64		k = 0;

	hash_seq_init(&seq, in->items);
	while ((it = (ConcItem *) hash_seq_search(&seq)) != NULL)
	{
		if (in->exact)
			it->value = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														   NumericGetDatum(CrmNumericSumResult(&it->nsum))));
		else
			it->value = CrmFloatSumResult(&it->sum);
		if (it->value < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is defined for non-negative values only", in->fn),
					 errdetail("Key \"%.*s\" sums to %g.", Min(it->key.len, 200), it->key.data, it->value),
					 errhint("Leave out keys whose refunds exceed their purchases, for example with HAVING sum(amount) >= 0.")));
		list[k++] = it;
	}
	*n = k;
	return list;
}

/* Value descending, then key ascending (bytes). */
static int
ConcItemCmp(const void *a, const void *b)
{
	const ConcItem *x = *(ConcItem *const *) a;
	const ConcItem *y = *(ConcItem *const *) b;
	int			c;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	c = memcmp(x->key.data, y->key.data, Min(x->key.len, y->key.len));
	if (c != 0)
		return c;
	return (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

static int
ConcDoubleCmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * crm.abc_classes(query, a, b): per key its value, share, cumulative share
 * (keys by value descending) and class A, B or C.
 */
Datum
abc_classes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	double		a,
				b,
				total;
	ConcInput	in;
	ConcItem  **list;
	CrmFloatSum tsum = {0},
				cum = {0};
	int64		n,
				i;

	for (i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the arguments of crm.abc_classes must not be NULL"),
					 errhint("Pass a query returning (key, value) and the cumulative shares a and b, for example 0.8 and 0.95.")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	a = PG_GETARG_FLOAT8(1);
	b = PG_GETARG_FLOAT8(2);
	if (!(a > 0.0 && a <= 1.0 && b >= a && b <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a and b must satisfy 0 < a <= b <= 1"),
				 errdetail("Got a = %g and b = %g.", a, b),
				 errhint("Class A holds the first a of the total, A and B the first b: 0.8 and 0.95 are usual.")));

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&in, 0, sizeof(in));
	in.fn = "crm.abc_classes";
	in.ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.abc_classes keys", ALLOCSET_DEFAULT_SIZES);
	ConcRead(&in, query, false, "(key, value)");
	list = ConcItems(&in, &n);
	qsort(list, n, sizeof(ConcItem *), ConcItemCmp);
	for (i = 0; i < n; i++)
		CrmFloatSumAdd(&tsum, list[i]->value);
	total = CrmFloatSumResult(&tsum);
	if (n > 0 && !(total > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the values passed to crm.abc_classes sum to 0"),
				 errhint("Shares of a total of 0 are undefined; pass at least one positive value.")));
	for (i = 0; i < n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};
		double		before = CrmFloatSumResult(&cum) / total;
		const char *cls;

		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		CrmFloatSumAdd(&cum, list[i]->value);
		cls = before < a ? "A" : (before < b ? "B" : "C");
		values[0] = PointerGetDatum(cstring_to_text_with_len(list[i]->key.data, list[i]->key.len));
		values[1] = Float8GetDatum(list[i]->value);
		values[2] = Float8GetDatum(list[i]->value / total);
		values[3] = Float8GetDatum(CrmFloatSumResult(&cum) / total);
		values[4] = CStringGetTextDatum(cls);
		values[5] = Int64GetDatum(i + 1);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(in.ctx);
	SPI_finish();
	return (Datum) 0;
}

/*
 * crm.lorenz_curve(query, points): the Lorenz curve at points + 1 evenly
 * spaced population shares.  The query returns (value), one unit per row,
 * or (key, value), summed per key.
 */
Datum
lorenz_curve(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	int32		points;
	ConcInput	in;
	double	   *x;
	double	   *cum;
	double		total;
	CrmFloatSum run = {0};
	int64		n,
				i;
	int			k;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the arguments of crm.lorenz_curve must not be NULL"),
				 errhint("Pass a query returning (value) or (key, value), and the number of points, for example 100.")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	points = PG_GETARG_INT32(1);
	if (points < 1 || points > CRM_LORENZ_MAX_POINTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("points must be between 1 and %d", CRM_LORENZ_MAX_POINTS),
				 errdetail("Got %d.", points),
				 errhint("100 gives the curve at every percent of the population.")));

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&in, 0, sizeof(in));
	in.fn = "crm.lorenz_curve";
	in.ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.lorenz_curve values", ALLOCSET_DEFAULT_SIZES);
	ConcRead(&in, query, true, "(value) or (key, value)");
	if (in.keyed)
	{
		ConcItem  **list = ConcItems(&in, &n);

		x = CrmMemoryAlloc(in.ctx, n, sizeof(double), in.fn, "The values");
		for (i = 0; i < n; i++)
			x[i] = list[i]->value;
	}
	else
	{
		n = in.n;
		x = in.values;
		for (i = 0; i < n; i++)
			if (x[i] < 0.0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("crm.lorenz_curve is defined for non-negative values only"),
						 errdetail("Got %g.", x[i]),
						 errhint("Net refunds per customer first, or leave out negative amounts.")));
	}
	if (n == 0)
	{
		MemoryContextDelete(in.ctx);
		SPI_finish();
		return (Datum) 0;
	}
	qsort(x, n, sizeof(double), ConcDoubleCmp);
	cum = CrmMemoryAlloc(in.ctx, n + 1, sizeof(double), in.fn, "The cumulative sums");
	cum[0] = 0.0;
	for (i = 0; i < n; i++)
	{
		CrmFloatSumAdd(&run, x[i]);
		cum[i + 1] = CrmFloatSumResult(&run);
	}
	total = cum[n];
	if (!(total > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the values passed to crm.lorenz_curve sum to 0"),
				 errhint("Shares of a total of 0 are undefined; pass at least one positive value.")));
	for (k = 0; k <= points; k++)
	{
		Datum		values[3];
		bool		nulls[3] = {false};
		double		p = (double) k / points;
		double		t = p * (double) n;
		int64		j = (int64) floor(t);
		double		share;

		if ((k & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (k == points || j >= n)
			share = 1.0;
		else
			share = (cum[j] + (t - (double) j) * x[j]) / total;
		values[0] = Int32GetDatum(k);
		values[1] = Float8GetDatum(p);
		values[2] = Float8GetDatum(share);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(in.ctx);
	SPI_finish();
	return (Datum) 0;
}
