/*
 * basket.h
 *		Shared declarations of basket association: the transactions read from
 *		the caller's query (basket_input.c), the FP-growth miner and the trie
 *		of the itemsets it finds (basket_fpgrowth.c), used by the SQL entry
 *		points (basket.c).
 */
#ifndef CRM_BASKET_H
#define CRM_BASKET_H

#include "postgres.h"

#include "crm_analytics.h"

/* crm_analytics.max_itemsets: the most itemsets (or rules) one run returns */
extern int	basket_max_itemsets;

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

/*
 * Memory.  Everything one run builds (the rows, the dictionaries, the
 * transactions, the FP-trees and the itemsets) lives in its work context,
 * and every allocation that grows with the data checks first that the work
 * context as a whole stays within crm_analytics.max_memory (memory.c).  The
 * what argument names the stage for the error detail ("Building an FP-tree
 * would take ... kB").
 */

/* n elements of elem bytes in the work context cxt, zeroed when zero. */
static inline void *
BasketAlloc(MemoryContext cxt, Size n, Size elem, bool zero, const char *fn,
			const char *what)
{
	CrmMemoryCheckContext(cxt, CrmMemoryArraySize(Max(n, 1), elem, fn, what), fn, what);
	if (zero)
		return CrmMemoryAlloc0(cxt, n, elem, fn, what);
	return CrmMemoryAlloc(cxt, n, elem, fn, what);
}

/* ptr, an array of oldn elements in the work context cxt, grown to n. */
static inline void *
BasketRealloc(MemoryContext cxt, void *ptr, Size oldn, Size n, Size elem,
			  const char *fn, const char *what)
{
	if (n > oldn)
		CrmMemoryCheckContext(cxt, CrmMemoryArraySize(n - oldn, elem, fn, what), fn, what);
	return CrmMemoryRealloc(ptr, n, elem, fn, what);
}

/*
 * BasketQsortInt32(v, n): quicksort of int32 with the comparison inlined
 * (PostgreSQL's sort template), about three times faster than qsort() with
 * a comparator function.
 */
#define ST_SORT BasketQsortInt32
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static inline
#define ST_DEFINE
#include "lib/sort_template.h"

/* Sort a short int32 array (insertion sort, quicksort when long). */
static inline void
BasketSortInt32(int32 *v, int64 n)
{
	int64		i;

	if (n > 24)
	{
		BasketQsortInt32(v, n);
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

/* Transactions as duplicate-free arrays of item ids (in the order read). */
typedef struct BasketData
{
	int32		nitems;			/* distinct items; id = position in byte order */
	text	  **item_text;		/* id -> text */
	int32		ntrans;			/* N: baskets with at least one item */
	int64	   *tstart;			/* transaction t is titems[tstart[t] .. tstart[t+1]) */
	int32	   *titems;
	int64		ntotal;			/* items of all transactions */
	int32	   *item_count;		/* baskets containing each item */
} BasketData;

/* A path of a conditional pattern base (basket_fpgrowth.c). */
typedef struct FpPath FpPath;

/* Mining state, and the trie of the itemsets found. */
typedef struct FpMiner
{
	MemoryContext cxt;			/* the work context of the run */
	Size		unchecked;		/* bytes allocated since its last check */
	const char *fn;
	int32		minc;			/* absolute minimum support count */
	int32		ntrans;
	int			max_length;		/* 0 = no bound */
	int64		max_sets;

	/*
	 * scratch child table of the tree being built: keys 0 = empty, all empty
	 * between two trees (cslot[n] is the slot of node n, cleared after the
	 * tree is built instead of clearing the whole table before each tree)
	 */
	uint64	   *ckey;
	int32	   *cval;
	uint32		ccap;
	int32	   *cslot;
	int64		cslot_cap;

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

/* basket_input.c */
extern BasketData *BasketLoad(const char *query, const char *fn, MemoryContext cxt);

/* basket_fpgrowth.c */
extern void BasketMine(FpMiner *m, BasketData *d, double min_support, int max_length,
					   const char *fn, int32 **rank_item_out);
pg_noreturn extern void FpLimitError(FpMiner *m, const char *what);

#endif							/* CRM_BASKET_H */
