/*
 * strmap.c
 *		A map from strings to dense indexes 0, 1, 2, ... in first-seen order:
 *		variants of crm.chi2_test, channels and journey keys of
 *		crm.attribution.
 *
 * Open addressing with linear probing over a power-of-two slot array that
 * is kept at most half full; the keys are copied into the map's memory
 * context.  Growth is checked against crm_analytics.max_memory.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "crm_analytics.h"

#define CRM_STRMAP_MIN_SLOTS	16

/* An empty map whose keys and arrays live in ctx; fn names the caller in errors. */
void
CrmStrMapInit(CrmStrMap *m, MemoryContext ctx, const char *fn)
{
	memset(m, 0, sizeof(*m));
	m->ctx = ctx;
	m->fn = fn;
	m->nslots = CRM_STRMAP_MIN_SLOTS;
	m->slots = MemoryContextAllocZero(ctx, sizeof(int32) * m->nslots);
	m->capacity = CRM_STRMAP_MIN_SLOTS / 2;
	m->keys = MemoryContextAlloc(ctx, sizeof(char *) * m->capacity);
	m->lens = MemoryContextAlloc(ctx, sizeof(int32) * m->capacity);
	m->hashes = MemoryContextAlloc(ctx, sizeof(uint32) * m->capacity);
}

/* Double the slot array and the entry arrays, within the memory budget. */
static void
CrmStrMapGrow(CrmStrMap *m)
{
	int			nslots = m->nslots * 2;
	int32	   *slots;
	int			i;

	if (m->nslots > PG_INT32_MAX / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot hold more than %d distinct keys", m->fn, m->nitems)));
	CrmMemoryCheckContext(m->ctx, (Size) nslots * (sizeof(int32) + 2 * sizeof(int32) + sizeof(char *)),
						  m->fn, "The table of distinct keys");
	slots = MemoryContextAllocHuge(m->ctx, sizeof(int32) * nslots);
	memset(slots, 0, sizeof(int32) * nslots);
	for (i = 0; i < m->nitems; i++)
	{
		uint32		s = m->hashes[i] & (nslots - 1);

		while (slots[s] != 0)
			s = (s + 1) & (nslots - 1);
		slots[s] = i + 1;
	}
	pfree(m->slots);
	m->slots = slots;
	m->nslots = nslots;
	m->capacity = nslots / 2;
	m->keys = repalloc_huge(m->keys, sizeof(char *) * m->capacity);
	m->lens = repalloc_huge(m->lens, sizeof(int32) * m->capacity);
	m->hashes = repalloc_huge(m->hashes, sizeof(uint32) * m->capacity);
}

/*
 * The index of key (len bytes, need not be terminated); a new key gets the
 * next index.  *found (when not NULL) tells whether it was there already.
 */
int
CrmStrMapIntern(CrmStrMap *m, const char *key, int len, bool *found)
{
	uint32		h = hash_bytes((const unsigned char *) key, len);
	uint32		s = h & (m->nslots - 1);
	char	   *copy;
	int			idx;

	for (;;)
	{
		int32		e = m->slots[s];

		if (e == 0)
			break;
		if (m->hashes[e - 1] == h && m->lens[e - 1] == len &&
			memcmp(m->keys[e - 1], key, len) == 0)
		{
			if (found)
				*found = true;
			return e - 1;
		}
		s = (s + 1) & (m->nslots - 1);
	}
	if (found)
		*found = false;
	if (m->nitems >= m->capacity)
	{
		CrmStrMapGrow(m);
		/* find the free slot again in the larger table */
		s = h & (m->nslots - 1);
		while (m->slots[s] != 0)
			s = (s + 1) & (m->nslots - 1);
	}
	copy = MemoryContextAlloc(m->ctx, len + 1);
	memcpy(copy, key, len);
	copy[len] = '\0';
	idx = m->nitems++;
	m->keys[idx] = copy;
	m->lens[idx] = len;
	m->hashes[idx] = h;
	m->slots[s] = idx + 1;
	return idx;
}

/*
 * qsort_arg comparator of key indexes (int) of the map passed as arg: byte
 * order of the keys, a shorter key first when it is a prefix.
 */
int
CrmStrMapCmpKeys(const void *a, const void *b, void *arg)
{
	const CrmStrMap *m = (const CrmStrMap *) arg;
	int			ia = *(const int *) a,
				ib = *(const int *) b;
	int			c = memcmp(m->keys[ia], m->keys[ib], Min(m->lens[ia], m->lens[ib]));

	if (c != 0)
		return c;
	return (m->lens[ia] > m->lens[ib]) - (m->lens[ia] < m->lens[ib]);
}
