/*
 * intdict.c
 *		A dictionary of integer keys: distinct values numbered densely from 0
 *		in order of first appearance.
 *
 * Capabilities that group a caller's rows by an integer key (basket items,
 * RFM customers: product and customer numbers, mostly) look every row's key
 * up here, so the lookup is the cost of a row.  Keys 0 <= k < dcap go
 * through a direct map, dmap[k] = id + 1 (0 = none): one access to a small
 * array.  The map grows by doubling to cover a larger key as long as it
 * stays within CRM_INTDICT_DIRECT_PER_KEY entries per distinct key (plus
 * 64k), so dense numberings use it and sparse ones do not waste memory.
 * Other keys (negative, large, sparse) go through an open-addressing table
 * of ids with Fibonacci hashing.  Every structure is allocated in the
 * caller's memory context, and the context is checked against
 * crm_analytics.max_memory (memory.c) before anything grows.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "crm_analytics.h"

/* most direct-map entries per distinct key (beyond the first 64k) */
#define CRM_INTDICT_DIRECT_PER_KEY	8

/* An array of n elements of elem bytes in d's context, within the budget. */
static void *
CrmIntDictAlloc(CrmIntDict *d, Size n, Size elem)
{
	CrmMemoryCheckContext(d->cxt, CrmMemoryArraySize(n, elem, d->fn, d->what), d->fn, d->what);
	return CrmMemoryAlloc(d->cxt, n, elem, d->fn, d->what);
}

/* The slot of a key in a hash table of 2^(64 - shift) slots. */
static inline uint32
CrmIntDictSlot(int64 key, int shift)
{
	return (uint32) (((uint64) key * UINT64CONST(0x9E3779B97F4A7C15)) >> shift);
}

/* (Re)build the hash table with nslots slots (a power of two). */
static void
CrmIntDictRehash(CrmIntDict *d, uint32 nslots)
{
	int32	   *slots = CrmIntDictAlloc(d, nslots, sizeof(int32));
	int			bits = 0;
	int32		i;

	while (((uint32) 1 << bits) < nslots)
		bits++;
	memset(slots, 0xFF, sizeof(int32) * (Size) nslots);
	if (d->slots)
		pfree(d->slots);
	d->slots = slots;
	d->mask = nslots - 1;
	d->shift = 64 - bits;
	for (i = 0; i < d->n; i++)
	{
		uint32		pos;

		if ((uint64) d->keys[i] < d->dcap)
			continue;			/* in the direct map */
		pos = CrmIntDictSlot(d->keys[i], d->shift);
		while (slots[pos] >= 0)
			pos = (pos + 1) & d->mask;
		slots[pos] = i;
	}
}

/*
 * An empty dictionary allocating in cxt; fn and what name the function and
 * the structure in the memory error ("The table of customers").
 */
void
CrmIntDictInit(CrmIntDict *d, MemoryContext cxt, const char *fn, const char *what)
{
	memset(d, 0, sizeof(*d));
	d->cxt = cxt;
	d->fn = fn;
	d->what = what;
	d->cap = 1024;
	d->keys = CrmIntDictAlloc(d, d->cap, sizeof(int64));
	d->dcap = 1024;
	CrmIntDictRehash(d, 4096);
	d->dmap = CrmIntDictAlloc(d, d->dcap, sizeof(int32));
	memset(d->dmap, 0, sizeof(int32) * d->dcap);
}

/*
 * Grow the direct map to cover key, if it stays within its bound; the keys
 * already in the dictionary that it now covers enter it.
 */
static bool
CrmIntDictGrowDirect(CrmIntDict *d, int64 key)
{
	uint64		cap = d->dcap;
	int32	   *map;
	int32		i;

	while (cap <= (uint64) key)
		cap *= 2;
	if (cap > (uint64) CRM_INTDICT_DIRECT_PER_KEY * (d->n + 1) + 65536 ||
		cap > (uint64) (INT_MAX / 2))
		return false;
	map = CrmIntDictAlloc(d, cap, sizeof(int32));
	memset(map, 0, sizeof(int32) * cap);
	for (i = 0; i < d->n; i++)
		if ((uint64) d->keys[i] < cap)
			map[d->keys[i]] = i + 1;
	pfree(d->dmap);
	d->dmap = map;
	d->dcap = cap;
	return true;
}

/*
 * The id of a key the direct map did not answer for (CrmIntDictId): looked
 * up in the hash table, or added (ids are given in order: a new key gets
 * id d->n - 1 after the call).
 */
int32
CrmIntDictLookup(CrmIntDict *d, int64 key)
{
	uint32		pos;
	int32		id;

	if (key >= 0 && (uint64) key >= d->dcap && CrmIntDictGrowDirect(d, key) &&
		d->dmap[key] > 0)
		return d->dmap[key] - 1;
	if ((uint64) key >= d->dcap)
	{
		/* keys the direct map covers are all in it: only others are hashed */
		pos = CrmIntDictSlot(key, d->shift);
		while ((id = d->slots[pos]) >= 0)
		{
			if (d->keys[id] == key)
				return id;
			pos = (pos + 1) & d->mask;
		}
	}
	else
		pos = 0;				/* not in the map, so new: placed below */

	if (d->n >= INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s handles at most %d distinct keys", d->fn, INT_MAX / 2)));
	if (d->n == d->cap)
	{
		int32		newcap = d->cap * 2;

		CrmMemoryCheckContext(d->cxt, CrmMemoryArraySize(d->cap, sizeof(int64), d->fn, d->what),
							  d->fn, d->what);
		d->keys = CrmMemoryRealloc(d->keys, newcap, sizeof(int64), d->fn, d->what);
		d->cap = newcap;
	}
	id = d->n++;
	d->keys[id] = key;
	if ((uint64) key < d->dcap)
		d->dmap[key] = id + 1;
	else
	{
		while (d->slots[pos] >= 0)
			pos = (pos + 1) & d->mask;
		d->slots[pos] = id;
		if ((uint32) ++d->nhashed * 2 > d->mask)
			CrmIntDictRehash(d, (d->mask + 1) * 2);
	}
	if ((id & 0xFFFF) == 0xFFFF)
		CHECK_FOR_INTERRUPTS();
	return id;
}
