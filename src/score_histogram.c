/*
 * score_histogram.c
 *		The exact score histogram behind crm.auc, crm.roc_curve and
 *		crm.lift_table (see evaluate.h).
 *
 * Keys: the IEEE 754 bits of a double, with the sign bit flipped for
 * non-negative numbers and all bits flipped for negative ones, order as the
 * numbers do (-0 is stored as +0, NaN is refused), so sorting keys is
 * sorting scores.  Tails are sorted by a least-significant-digit radix sort
 * on bytes (Knuth, TAOCP vol. 3, 5.2.5), skipping the byte positions where
 * all keys agree (scores in [0, 1] share their top bytes), then merged with
 * the sorted part.  Merging when the tails are as large as the sorted part
 * makes every pair take part in O(log n) merges overall, as in a binary
 * counter, and bounds the memory by the distinct scores.
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "crm_analytics.h"
#include "evaluate.h"

/* Tails are merged once they hold this many keys and as many as the sorted part. */
#define CRM_HIST_MIN_TAIL		65536
#define CRM_HIST_FORMAT			1

/* The order-preserving key of a score (not NaN). */
uint64
CrmScoreKey(double score)
{
	uint64		bits;

	if (score == 0.0)
		score = 0.0;			/* -0 sorts and compares as +0 */
	memcpy(&bits, &score, sizeof(bits));
	return (bits & UINT64CONST(0x8000000000000000)) ? ~bits : bits | UINT64CONST(0x8000000000000000);
}

/* The score of a key. */
double
CrmScoreFromKey(uint64 key)
{
	uint64		bits = (key & UINT64CONST(0x8000000000000000)) ? key & ~UINT64CONST(0x8000000000000000) : ~key;
	double		score;

	memcpy(&score, &bits, sizeof(score));
	return score;
}

/* An empty histogram whose arrays will live in ctx. */
void
CrmScoreHistInit(CrmScoreHist *h, MemoryContext ctx, const char *fn)
{
	memset(h, 0, sizeof(*h));
	h->ctx = ctx;
	h->fn = fn;
}

/* Bytes held by the histogram's arrays. */
Size
CrmScoreHistBytes(const CrmScoreHist *h)
{
	return (Size) h->cap * 16 + (Size) (h->cappt + h->capnt) * 8;
}

/* Sort n keys (tmp: scratch of n keys). */
static void
CrmRadixSort(uint64 *a, int64 n, uint64 *tmp)
{
	int64	   *count;
	uint64	   *src = a,
			   *dst = tmp;
	int64		i;
	int			d;

	if (n < 64)
	{
		for (i = 1; i < n; i++)
		{
			uint64		v = a[i];
			int64		j = i;

			for (; j > 0 && a[j - 1] > v; j--)
				a[j] = a[j - 1];
			a[j] = v;
		}
		return;
	}
	count = palloc0(sizeof(int64) * 8 * 256);
	for (i = 0; i < n; i++)
	{
		uint64		v = a[i];

		for (d = 0; d < 8; d++)
			count[d * 256 + ((v >> (8 * d)) & 0xFF)]++;
	}
	for (d = 0; d < 8; d++)
	{
		int64	   *c = count + d * 256;
		int64		sum = 0;
		int			b;

		if (c[(src[0] >> (8 * d)) & 0xFF] == n)
			continue;			/* every key has this byte */
		for (b = 0; b < 256; b++)
		{
			int64		t = c[b];

			c[b] = sum;
			sum += t;
		}
		for (i = 0; i < n; i++)
		{
			uint64		v = src[i];

			dst[c[(v >> (8 * d)) & 0xFF]++] = v;
		}
		{
			uint64	   *t = src;

			src = dst;
			dst = t;
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (src != a)
		memcpy(a, src, sizeof(uint64) * n);
	pfree(count);
}

/* A sorted copy of n keys (in the current memory context). */
static uint64 *
CrmSortedCopy(const uint64 *keys, int64 n, const char *fn)
{
	uint64	   *copy = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(uint64), fn, "sorting scores");
	uint64	   *tmp = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(uint64), fn, "sorting scores");

	memcpy(copy, keys, sizeof(uint64) * n);
	CrmRadixSort(copy, n, tmp);
	pfree(tmp);
	return copy;
}

/* Start reading h in ascending order (h is not modified). */
void
CrmScoreHistIterBegin(CrmScoreHistIter *it, const CrmScoreHist *h)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
	it->npt = h->npt;
	it->nnt = h->nnt;
	if (h->npt > 0)
		it->pt = CrmSortedCopy(h->pt, h->npt, h->fn);
	if (h->nnt > 0)
		it->nt = CrmSortedCopy(h->nt, h->nnt, h->fn);
}

/* The next distinct score with its counts; false at the end. */
bool
CrmScoreHistIterNext(CrmScoreHistIter *it, uint64 *key, int64 *pos, int64 *neg)
{
	const CrmScoreHist *h = it->h;
	uint64		k = PG_UINT64_MAX;
	bool		any = false;

	if (it->i < h->n)
	{
		k = h->key[it->i];
		any = true;
	}
	if (it->ip < it->npt && (!any || it->pt[it->ip] < k))
	{
		k = it->pt[it->ip];
		any = true;
	}
	if (it->in < it->nnt && (!any || it->nt[it->in] < k))
	{
		k = it->nt[it->in];
		any = true;
	}
	if (!any)
		return false;
	*key = k;
	*pos = 0;
	*neg = 0;
	while (it->i < h->n && h->key[it->i] == k)
	{
		*pos += h->pos[it->i];
		*neg += h->neg[it->i];
		it->i++;
	}
	while (it->ip < it->npt && it->pt[it->ip] == k)
	{
		(*pos)++;
		it->ip++;
	}
	while (it->in < it->nnt && it->nt[it->in] == k)
	{
		(*neg)++;
		it->in++;
	}
	return true;
}

/* Free the iterator's sorted copies. */
void
CrmScoreHistIterEnd(CrmScoreHistIter *it)
{
	if (it->pt)
		pfree(it->pt);
	if (it->nt)
		pfree(it->nt);
	it->pt = it->nt = NULL;
}

/* New sorted arrays being filled. */
typedef struct CrmHistOut
{
	int64		n;
	int64		cap;
	uint64	   *key;
	uint32	   *pos;
	uint32	   *neg;
} CrmHistOut;

/* Allocate room for cap entries in h's context, within the budget. */
static void
CrmHistOutInit(CrmHistOut *o, const CrmScoreHist *h, int64 cap)
{
	cap = Max(cap, 16);
	CrmMemoryCheck(CrmScoreHistBytes(h) + (Size) cap * 16, h->fn, "the score histogram");
	o->n = 0;
	o->cap = cap;
	o->key = MemoryContextAllocHuge(h->ctx, sizeof(uint64) * cap);
	o->pos = MemoryContextAllocHuge(h->ctx, sizeof(uint32) * cap);
	o->neg = MemoryContextAllocHuge(h->ctx, sizeof(uint32) * cap);
}

/* Append a score with its counts, in entries of at most UINT32_MAX each. */
static void
CrmHistOutAdd(CrmHistOut *o, const CrmScoreHist *h, uint64 key, int64 pos, int64 neg)
{
	do
	{
		uint32		p = (uint32) Min(pos, (int64) PG_UINT32_MAX);
		uint32		q = (uint32) Min(neg, (int64) PG_UINT32_MAX);

		if (o->n == o->cap)
		{
			o->cap *= 2;
			CrmMemoryCheck(CrmScoreHistBytes(h) + (Size) o->cap * 16, h->fn, "the score histogram");
			o->key = repalloc_huge(o->key, sizeof(uint64) * o->cap);
			o->pos = repalloc_huge(o->pos, sizeof(uint32) * o->cap);
			o->neg = repalloc_huge(o->neg, sizeof(uint32) * o->cap);
		}
		o->key[o->n] = key;
		o->pos[o->n] = p;
		o->neg[o->n] = q;
		o->n++;
		pos -= p;
		neg -= q;
	} while (pos > 0 || neg > 0);
}

/* Replace h's sorted part by o. */
static void
CrmHistOutInstall(CrmScoreHist *h, CrmHistOut *o)
{
	if (h->key)
	{
		pfree(h->key);
		pfree(h->pos);
		pfree(h->neg);
	}
	h->key = o->key;
	h->pos = o->pos;
	h->neg = o->neg;
	h->n = o->n;
	h->cap = o->cap;
}

/* Merge the tails into the sorted part (the multiset is unchanged). */
void
CrmScoreHistCompact(CrmScoreHist *h)
{
	MemoryContext old;
	CrmScoreHistIter it;
	CrmHistOut	o;
	uint64		key;
	int64		pos,
				neg;

	if (h->npt == 0 && h->nnt == 0)
		return;
	old = MemoryContextSwitchTo(h->ctx);
	CrmScoreHistIterBegin(&it, h);
	CrmHistOutInit(&o, h, h->n + h->npt + h->nnt);
	while (CrmScoreHistIterNext(&it, &key, &pos, &neg))
		CrmHistOutAdd(&o, h, key, pos, neg);
	CrmScoreHistIterEnd(&it);
	CrmHistOutInstall(h, &o);
	h->npt = h->nnt = 0;
	MemoryContextSwitchTo(old);
}

/* Append a key to a tail, growing it within the budget. */
static inline void
CrmTailAppend(CrmScoreHist *h, uint64 **tail, int64 *n, int64 *cap, uint64 key)
{
	if (*n == *cap)
	{
		int64		ncap = *cap ? *cap * 2 : 64;

		CrmMemoryCheck(CrmScoreHistBytes(h) + (Size) (ncap - *cap) * 8, h->fn, "the score histogram");
		*tail = *tail ? repalloc_huge(*tail, sizeof(uint64) * ncap)
			: MemoryContextAllocHuge(h->ctx, sizeof(uint64) * ncap);
		*cap = ncap;
	}
	(*tail)[(*n)++] = key;
}

/* Add one (score, label) pair. */
void
CrmScoreHistAdd(CrmScoreHist *h, double score, bool label)
{
	uint64		key;

	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score of %s must not be NaN", h->fn),
				 errhint("Filter out rows with a NaN score.")));
	key = CrmScoreKey(score);
	if (label)
	{
		CrmTailAppend(h, &h->pt, &h->npt, &h->cappt, key);
		h->positives++;
	}
	else
	{
		CrmTailAppend(h, &h->nt, &h->nnt, &h->capnt, key);
		h->negatives++;
	}
	if (h->npt + h->nnt >= Max(CRM_HIST_MIN_TAIL, h->n))
		CrmScoreHistCompact(h);
}

/* Add everything in other to h (other is not modified). */
void
CrmScoreHistMerge(CrmScoreHist *h, const CrmScoreHist *other)
{
	MemoryContext old;
	CrmScoreHistIter it;
	CrmHistOut	o;
	int64		i = 0;
	uint64		key;
	int64		pos,
				neg;
	bool		have;

	if (other->positives + other->negatives == 0)
		return;
	CrmScoreHistCompact(h);
	old = MemoryContextSwitchTo(h->ctx);
	CrmScoreHistIterBegin(&it, other);
	CrmHistOutInit(&o, h, h->n + other->n + other->npt + other->nnt);
	have = CrmScoreHistIterNext(&it, &key, &pos, &neg);
	while (have || i < h->n)
	{
		if (have && (i >= h->n || key < h->key[i]))
		{
			CrmHistOutAdd(&o, h, key, pos, neg);
			have = CrmScoreHistIterNext(&it, &key, &pos, &neg);
		}
		else if (have && key == h->key[i])
		{
			pos += h->pos[i];
			neg += h->neg[i];
			i++;
		}
		else
		{
			CrmHistOutAdd(&o, h, h->key[i], h->pos[i], h->neg[i]);
			i++;
		}
		if ((o.n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	CrmScoreHistIterEnd(&it);
	CrmHistOutInstall(h, &o);
	h->positives += other->positives;
	h->negatives += other->negatives;
	MemoryContextSwitchTo(old);
}

/* Append an unsigned varint. */
static void
CrmSendVarint(StringInfo buf, uint64 v)
{
	while (v >= 0x80)
	{
		appendStringInfoChar(buf, (char) ((v & 0x7F) | 0x80));
		v >>= 7;
	}
	appendStringInfoChar(buf, (char) v);
}

/* Read an unsigned varint, validated. */
static uint64
CrmGetVarint(StringInfo buf)
{
	uint64		v = 0;
	int			shift = 0;

	for (;;)
	{
		uint8		b;

		if (buf->cursor >= buf->len || shift > 63)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid score histogram state: bad count")));
		b = (uint8) buf->data[buf->cursor++];
		v |= (uint64) (b & 0x7F) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	return v;
}

/*
 * Write h: format byte, totals, the number of distinct scores, then each
 * score's key (8 bytes) and its positive and negative counts as varints.
 */
void
CrmScoreHistSerialize(StringInfo buf, const CrmScoreHist *h)
{
	CrmScoreHistIter it;
	StringInfoData body;
	uint64		key;
	int64		pos,
				neg,
				n = 0;

	initStringInfo(&body);
	CrmScoreHistIterBegin(&it, h);
	while (CrmScoreHistIterNext(&it, &key, &pos, &neg))
	{
		pq_sendint64(&body, (int64) key);
		CrmSendVarint(&body, (uint64) pos);
		CrmSendVarint(&body, (uint64) neg);
		if (body.len > (int) (MaxAllocSize / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the state of %s is too large to pass between parallel workers", h->fn),
					 errhint("Run it without parallelism (SET max_parallel_workers_per_gather = 0), or round the scores.")));
		n++;
	}
	CrmScoreHistIterEnd(&it);
	pq_sendbyte(buf, CRM_HIST_FORMAT);
	pq_sendint64(buf, h->positives);
	pq_sendint64(buf, h->negatives);
	pq_sendint64(buf, n);
	pq_sendbytes(buf, body.data, body.len);
	pfree(body.data);
}

/* Read a histogram written by CrmScoreHistSerialize into the empty h, validating it. */
void
CrmScoreHistDeserialize(StringInfo buf, CrmScoreHist *h)
{
	CrmHistOut	o;
	int64		positives,
				negatives,
				n,
				i,
				sp = 0,
				sn = 0;
	uint64		prev = 0,
				lo = CrmScoreKey(-INFINITY),
				hi = CrmScoreKey(INFINITY);
	MemoryContext old;

	if (buf->len - buf->cursor < 25 || pq_getmsgbyte(buf) != CRM_HIST_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid score histogram state: unsupported format")));
	positives = pq_getmsgint64(buf);
	negatives = pq_getmsgint64(buf);
	n = pq_getmsgint64(buf);
	if (positives < 0 || negatives < 0 || n < 0 || n > (buf->len - buf->cursor) / 10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid score histogram state: bad counts")));
	old = MemoryContextSwitchTo(h->ctx);
	CrmHistOutInit(&o, h, n);
	for (i = 0; i < n; i++)
	{
		uint64		key;
		uint64		pos,
					neg;

		if (buf->len - buf->cursor < 10)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid score histogram state: truncated")));
		key = (uint64) pq_getmsgint64(buf);
		pos = CrmGetVarint(buf);
		neg = CrmGetVarint(buf);
		if (key < lo || key > hi || (i > 0 && key <= prev) || pos + neg == 0 ||
			pos > (uint64) positives || neg > (uint64) negatives)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid score histogram state: bad entry")));
		sp += pos;
		sn += neg;
		CrmHistOutAdd(&o, h, key, pos, neg);
		prev = key;
	}
	if (sp != positives || sn != negatives)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid score histogram state: counts do not add up")));
	CrmHistOutInstall(h, &o);
	h->positives = positives;
	h->negatives = negatives;
	MemoryContextSwitchTo(old);
}
