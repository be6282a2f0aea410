/*
 * basket.c
 *		Basket association: frequent itemsets, association rules and
 *		cross-sell recommendations, mined by FP-growth.
 *
 * crm.frequent_itemsets(query, min_support, max_length) and
 * crm.association_rules(query, min_support, min_confidence, max_length,
 * max_consequent) read a caller's (basket, item) query once, with the
 * caller's rights, into transactions (basket_input.c) and mine their
 * frequent itemsets by FP-growth (basket_fpgrowth.c).  This file holds the
 * SQL entry points: the result rows, built from the trie of the itemsets
 * (indexed by a hash of its edges for the subset lookups of rule
 * generation), and the settings.  Everything one call builds lives in one
 * work context, checked against crm_analytics.max_memory as it grows (see
 * basket.h) and deleted at the end.
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
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "basket.h"

/* crm_analytics.max_itemsets: the most itemsets (or rules) one run returns */
#define BASKET_DEFAULT_MAX_ITEMSETS 10000000
int			basket_max_itemsets = BASKET_DEFAULT_MAX_ITEMSETS;

/* stage name for the memory error (see basket.h) */
#define BASKET_RETURNING	"Returning the results"

PG_FUNCTION_INFO_V1(frequent_itemsets);
PG_FUNCTION_INFO_V1(association_rules);
PG_FUNCTION_INFO_V1(cross_sell);

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
	r->lookup = BasketAlloc(m->cxt, cap, sizeof(int32), false, m->fn, "Indexing the itemsets");
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

	r->data = BasketLoad(query, fn, CurrentMemoryContext);
	BasketMine(&r->miner, r->data, min_support, max_length, fn, &r->rank_item);
	return r;
}

/*
 * The items of ranks[0..n-1] (n >= 1) as a text[] in byte order of the item
 * text.  The array is laid out here as construct_array lays it out (a
 * one-dimensional array without NULLs, each element's text with its 4-byte
 * header, aligned to 4 bytes, padding zeroed), byte for byte, without its
 * per-element calls: building the arrays was a fifth of the cost of
 * returning many small itemsets.
 */
static Datum
BasketItemArray(BasketResult *r, const int32 *ranks, int n, int32 *ids)
{
	text	  **texts = r->data->item_text;
	Size		nbytes = ARR_OVERHEAD_NONULLS(1);
	ArrayType  *a;
	char	   *p;
	int			i;

	for (i = 0; i < n; i++)
		ids[i] = r->rank_item[ranks[i]];
	BasketSortInt32(ids, n);
	for (i = 0; i < n; i++)
		nbytes += INTALIGN(VARSIZE(texts[ids[i]]));
	if (!AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array size exceeds the maximum allowed (%d)",
						(int) MaxAllocSize)));
	a = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = TEXTOID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	p = ARR_DATA_PTR(a);
	for (i = 0; i < n; i++)
	{
		const text *t = texts[ids[i]];

		memcpy(p, t, VARSIZE(t));
		p += INTALIGN(VARSIZE(t));
	}
	return PointerGetDatum(a);
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
	int64		i;

	BasketCheckArgs(fcinfo, fn, &query, &min_support, &max_length, 2);
	InitMaterializedSRF(fcinfo, 0);

	work = AllocSetContextCreate(CurrentMemoryContext, "crm basket mining",
								 ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(work, "crm basket row", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	r = BasketRun(query, fn, min_support, max_length);

	ranks = BasketAlloc(work, r->data->nitems, sizeof(int32), false, fn, BASKET_RETURNING);
	ids = BasketAlloc(work, r->data->nitems, sizeof(int32), false, fn, BASKET_RETURNING);
	for (i = 1; i < r->miner.nsets; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		int			n;

		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(rowcxt);
		n = BasketItemsetRanks(r, (int32) i, ranks);
		values[0] = BasketItemArray(r, ranks, n, ids);
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

	zr = BasketAlloc(work, r->data->nitems, sizeof(int32), false, fn, BASKET_RETURNING);
	xr = BasketAlloc(work, r->data->nitems, sizeof(int32), false, fn, BASKET_RETURNING);
	yr = BasketAlloc(work, r->data->nitems, sizeof(int32), false, fn, BASKET_RETURNING);
	ids = BasketAlloc(work, r->data->nitems, sizeof(int32), false, fn, BASKET_RETURNING);
	idx = BasketAlloc(work, r->data->nitems, sizeof(int), false, fn, BASKET_RETURNING);
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
					values[0] = BasketItemArray(r, xr, nx, ids);
					values[1] = BasketItemArray(r, yr, ny, ids);
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
