/*
 * basket_fpgrowth.c
 *		Basket association: frequent itemsets mined by FP-growth into a trie.
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
 * setting.  Its memory is bounded by crm_analytics.max_memory: the trees, the
 * scratch arrays of the mining and the itemset trie live in the run's work
 * context, which is checked (with the transactions it still holds) whenever
 * the itemset storage or a scratch buffer doubles and when trees and mining
 * scratch are built: at once for one of 64 kB or more, every 64 kB for the
 * many small conditional trees (CrmMemoryNote), which keeps the checks out
 * of the cost of dense mining.  Every mining loop calls CHECK_FOR_INTERRUPTS,
 * so statement_timeout and cancel work.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "crm_analytics.h"
#include "basket.h"

/*
 * Mine the first level from the transactions rather than from the FP-tree
 * when the tree would have more than this share of the items as nodes.
 */
#ifndef FP_SPARSE_SHARE
#define FP_SPARSE_SHARE 0.6
#endif

/* relative tolerance of ceil(min_support * N), so that 0.1 * 30 gives 3 */
#define BASKET_SUPPORT_EPS	1e-12

/* stage names for the memory error (see basket.h) */
#define FP_BUILDING		"Building an FP-tree"
#define FP_MINING		"Mining the FP-tree"
#define FP_MINING_TRANS	"Mining the transactions"
#define FP_STORING		"Storing the itemsets"

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
	void	   *mem;			/* the one allocation holding all of the above */
} FpTree;

/* A path of a conditional pattern base, kept in FpMiner.pbuf. */
typedef struct FpPath
{
	int64		start;
	int32		len;
	int32		count;
} FpPath;

/* Stop when the number of itemsets reaches the limit. */
void
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

/* qsort comparator of int64. */
static int
BasketInt64Cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
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
		int64		newcap = m->sets_cap * 2;

		m->sparent = BasketRealloc(m->cxt, m->sparent, m->sets_cap, newcap,
								   sizeof(int32), m->fn, FP_STORING);
		m->sitem = BasketRealloc(m->cxt, m->sitem, m->sets_cap, newcap,
								 sizeof(int32), m->fn, FP_STORING);
		m->scount = BasketRealloc(m->cxt, m->scount, m->sets_cap, newcap,
								  sizeof(int32), m->fn, FP_STORING);
		m->sets_cap = newcap;
	}
	m->sparent[id] = parent;
	m->sitem[id] = item;
	m->scount[id] = count;
	m->nsets++;
	if ((id & 0x3FFF) == 0)
		CHECK_FOR_INTERRUPTS();
	return (int32) id;
}

/*
 * An empty tree for at most maxnodes nodes (root included), within the
 * budget (the whole tree noted at once), in one allocation: the many small
 * conditional trees of a dense data set made four allocations a tree cost
 * 2.5% of the mining.
 */
static void
FpTreeInit(FpMiner *m, FpTree *t, int32 nitems, int64 maxnodes)
{
	Size		ibytes;
	Size		bytes;
	char	   *p;

	if (maxnodes > INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the FP-tree of this query is too large"),
				 errdetail("It would have %lld nodes.", (long long) maxnodes),
				 errhint("Raise min_support.")));
	ibytes = MAXALIGN(CrmMemoryArraySize(Max(nitems, 1), sizeof(int32), m->fn, FP_BUILDING));
	bytes = CrmMemoryArraySize(maxnodes, sizeof(FpNode), m->fn, FP_BUILDING);
	bytes += 3 * ibytes;		/* each part is within the budget: no overflow */
	CrmMemoryCheck(bytes, m->fn, FP_BUILDING);
	CrmMemoryNote(m->cxt, &m->unchecked, bytes, m->fn, FP_BUILDING);
	p = t->mem = MemoryContextAllocHuge(m->cxt, bytes);
	t->nitems = nitems;
	t->gitem = (int32 *) p;
	t->icount = (int32 *) (p + ibytes);
	t->head = (int32 *) (p + 2 * ibytes);
	t->node = (FpNode *) (p + 3 * ibytes);
	memset(t->icount, 0, sizeof(int32) * Max(nitems, 1));
	memset(t->head, 0xFF, sizeof(int32) * Max(nitems, 1));
	t->maxnodes = (int32) maxnodes;
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
	pfree(t->mem);
}

/*
 * Prepare the scratch child table for a tree of at most maxnodes nodes.  The
 * table is empty between two trees (FpChildTableClear), so nothing is
 * cleared here: clearing the whole table before each of the many small
 * conditional trees cost more than building them (a memset of 16 bytes per
 * path item, 7% of the instructions of retail.dat at min_support 0.0001).
 */
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
		m->ckey = BasketAlloc(m->cxt, cap, sizeof(uint64), true, m->fn, FP_BUILDING);
		m->cval = BasketAlloc(m->cxt, cap, sizeof(int32), false, m->fn, FP_BUILDING);
		m->ccap = cap;
	}
	if (maxnodes > m->cslot_cap)
	{
		int64		newcap = Max(m->cslot_cap * 2, maxnodes);

		if (m->cslot)
			pfree(m->cslot);
		m->cslot = BasketAlloc(m->cxt, newcap, sizeof(int32), false, m->fn, FP_BUILDING);
		m->cslot_cap = newcap;
	}
}

/* Empty the slots of the child table that the nodes of t took. */
static inline void
FpChildTableClear(FpMiner *m, const FpTree *t)
{
	int32		n;

	for (n = 1; n < t->nnodes; n++)
		m->ckey[m->cslot[n]] = 0;
}

/*
 * Insert a path of local items (strictly increasing) with a count.  cmask is
 * the mask of the part of the child table in use, of 2^(64 - cshift) slots:
 * the slot of a key is taken from the high bits of its product with 2^64 /
 * golden ratio (Fibonacci hashing), two instructions where the splitmix64
 * finalizer took seven, on the line that runs for every item of every path.
 */
static inline void
FpInsert(FpMiner *m, FpTree *t, uint32 cmask, int cshift, const int32 *path, int len,
		 int32 count)
{
	int32		node = 0;
	int			i;

	for (i = 0; i < len; i++)
	{
		int32		it = path[i];
		uint64		key = ((uint64) (node + 1) << 32) | (uint32) it;
		uint32		pos = (uint32) ((key * UINT64CONST(0x9E3779B97F4A7C15)) >> cshift);
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
			m->cslot[child] = (int32) pos;
		}
		t->node[child].count += count;
		t->icount[it] += count;
		node = child;
	}
}

/*
 * Mask of the child table for a tree of at most maxnodes nodes, and the
 * shift of its Fibonacci hash (FpInsert).
 */
static inline uint32
FpChildMask(int64 maxnodes, int *cshift)
{
	uint32		cap = 16;
	int			bits = 4;

	while ((int64) cap < maxnodes * 2)
	{
		cap *= 2;
		bits++;
	}
	*cshift = 64 - bits;
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
		int64		newcap = Max(m->pbuf_cap * 2, used + n);

		m->pbuf = BasketRealloc(m->cxt, m->pbuf, m->pbuf_cap, newcap, sizeof(int32),
								m->fn, FP_MINING);
		m->pbuf_cap = newcap;
	}
	if (npaths >= m->paths_cap)
	{
		int32		newcap = m->paths_cap * 2;

		while (newcap <= npaths)
			newcap *= 2;

		m->paths = BasketRealloc(m->cxt, m->paths, m->paths_cap, newcap, sizeof(FpPath),
								 m->fn, FP_MINING);
		m->paths_cap = newcap;
	}
}

/* Count an item of a conditional pattern base (see FpConditionalTree). */
static inline void
FpCount(int32 *cnt, uint64 *seen, int32 *ntouched, int32 li, int32 count)
{
	if (cnt[li] == 0)
	{
		seen[li >> 6] |= UINT64CONST(1) << (li & 63);
		(*ntouched)++;
	}
	cnt[li] += count;
}

/*
 * Build the conditional FP-tree of local item j from the npaths paths in
 * m->paths (offsets into base; leaf first or root first), whose items were
 * counted into cnt by FpCount (ntouched distinct items, marked in the bitmap
 * seen, which lists them in increasing order for the price of a word per 64
 * items: neither sorting them nor scanning cnt).  gitem maps the local items
 * of the parent tree to global ranks.  touched is scratch.  Resets cnt and
 * seen.  Returns false, building nothing, when no item of the base is
 * frequent.
 */
static bool
FpConditionalTree(FpMiner *m, const int32 *gitem, int32 j, const int32 *base,
				  bool leaf_first, int32 npaths, int64 used, int32 *cnt,
				  int32 *map, uint64 *seen, int32 *touched, int32 ntouched, int32 *path,
				  FpTree *c)
{
	int32		nfreq = 0;
	int32		i;
	int32		k = 0;
	int32		w;
	uint32		cmask;
	int			cshift;

	if (ntouched == 0)
		return false;
	for (w = 0; w <= (j - 1) >> 6; w++)
	{
		uint64		bits = seen[w];

		seen[w] = 0;
		while (bits != 0)
		{
			touched[k++] = (w << 6) + pg_rightmost_one_pos64(bits);
			bits &= bits - 1;
		}
	}
	Assert(k == ntouched);
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

	FpTreeInit(m, c, nfreq, used + 1);
	for (i = 0; i < ntouched; i++)
	{
		int32		li = touched[i];

		if (map[li] >= 0)
			c->gitem[map[li]] = gitem[li];
		cnt[li] = 0;
	}
	FpChildTableReset(m, used + 1);
	cmask = FpChildMask(used + 1, &cshift);
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
			FpInsert(m, c, cmask, cshift, path, len, m->paths[i].count);
	}
	FpChildTableClear(m, c);
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
	uint64	   *seen;
	int32	   *touched;
	int32	   *path;
	char	   *mem;
	Size		ibytes;
	Size		sbytes;
	int32		j;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (FpIsSinglePath(t))
	{
		FpSinglePath(m, t, prefix, depth, t->nitems, -1);
		return;
	}
	/* the scratch arrays, in one allocation */
	ibytes = MAXALIGN(sizeof(int32) * (Size) Max(t->nitems, 1));
	sbytes = sizeof(uint64) * (Size) ((t->nitems + 63) / 64 + 1);
	CrmMemoryNote(m->cxt, &m->unchecked, 4 * ibytes + sbytes, m->fn, FP_MINING);
	mem = CrmMemoryAlloc(m->cxt, 4 * ibytes + sbytes, 1, m->fn, FP_MINING);
	cnt = (int32 *) mem;
	map = (int32 *) (mem + ibytes);
	touched = (int32 *) (mem + 2 * ibytes);
	path = (int32 *) (mem + 3 * ibytes);
	seen = (uint64 *) (mem + 4 * ibytes);
	memset(cnt, 0, ibytes);
	memset(seen, 0, sbytes);

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

				FpCount(cnt, seen, &ntouched, li, nc);
				m->pbuf[used++] = li;
			}
			m->paths[npaths].start = pstart;
			m->paths[npaths].len = (int32) (used - pstart);
			m->paths[npaths].count = nc;
			npaths++;
		}
		if (!FpConditionalTree(m, t->gitem, j, m->pbuf, true, npaths, used,
							   cnt, map, seen, touched, ntouched, path, &c))
			continue;
		FpMine(m, &c, node, depth + 1);
		FpTreeFree(&c);
	}
	pfree(mem);
}

/*
 * A reduced transaction in the lexicographic sort below: its first ranks
 * (plus one, 0 = none) packed into key, as many as fit in 64 bits (five of
 * the 2,117 frequent items of retail.dat at min_support 0.001), first rank
 * highest, so that most comparisons are one integer comparison without a
 * cache miss; the transaction for the rest.
 */
typedef struct FpTransKey
{
	uint64		key;
	int32		tr;
	int32		len;
} FpTransKey;

/* The ranks of all reduced transactions, for the comparison of their tails. */
typedef struct FpTransSort
{
	const int32 *ranks;
	const int64 *start;
	int32		npacked;		/* ranks packed into a key */
} FpTransSort;

/* Lexicographic order of two reduced transactions. */
static inline int
FpTransCmp(const FpTransKey *a, const FpTransKey *b, FpTransSort *ts)
{
	const int32 *px;
	const int32 *py;
	int32		n;
	int32		i;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	px = ts->ranks + ts->start[a->tr];
	py = ts->ranks + ts->start[b->tr];
	n = Min(a->len, b->len);
	for (i = ts->npacked; i < n; i++)
		if (px[i] != py[i])
			return px[i] < py[i] ? -1 : 1;
	return (a->len > b->len) - (a->len < b->len);
}

#define ST_SORT FpSortTrans
#define ST_ELEMENT_TYPE FpTransKey
#define ST_COMPARE(a, b, arg) FpTransCmp(a, b, arg)
#define ST_COMPARE_ARG_TYPE FpTransSort
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

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
 * the tree exactly its common prefix with the previous one.  The reduced
 * transactions take the place of d's (titems and tstart, which d gives up):
 * reduced transaction t is written at or before where transaction t was
 * read, and memory written for the first time costs a page fault per 4 kB.
 */
static void
FpReduce(FpMiner *m, FpReduced *r, BasketData *d, const int32 *item_rank, int32 nfreq)
{
	int64		used = 0;
	int64		next;
	int32		tr;
	FpTransSort ts;
	FpTransKey *keys;
	int			bits = 1;

	/* bits of a rank plus one (0 = none) in a packed key */
	while (bits < 31 && ((int64) 1 << bits) <= nfreq)
		bits++;
	ts.npacked = 64 / bits;
	r->ranks = d->titems;
	r->start = d->tstart;
	d->titems = NULL;
	d->tstart = NULL;
	r->order = BasketAlloc(m->cxt, d->ntrans, sizeof(int32), false, m->fn, FP_BUILDING);
	keys = BasketAlloc(m->cxt, d->ntrans, sizeof(FpTransKey), false, m->fn, FP_BUILDING);
	r->ntr = 0;
	next = r->start[0];
	for (tr = 0; tr < d->ntrans; tr++)
	{
		int64		k;
		int64		s = used;
		int64		b = next;

		if ((tr & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		next = r->start[tr + 1];
		for (k = b; k < next; k++)
		{
			int32		rk = item_rank[r->ranks[k]];

			if (rk >= 0)
				r->ranks[used++] = rk;
		}
		if (used == s)
			continue;
		BasketSortInt32(r->ranks + s, used - s);
		r->start[r->ntr] = s;
		keys[r->ntr].key = 0;
		for (k = 0; k < Min(used - s, ts.npacked); k++)
			keys[r->ntr].key |= (uint64) (r->ranks[s + k] + 1) << (64 - bits * (k + 1));
		keys[r->ntr].tr = r->ntr;
		keys[r->ntr].len = (int32) (used - s);
		r->ntr++;
	}
	r->start[r->ntr] = used;
	r->total = used;
	ts.ranks = r->ranks;
	ts.start = r->start;
	FpSortTrans(keys, r->ntr, &ts);
	for (tr = 0; tr < r->ntr; tr++)
		r->order[tr] = keys[tr].tr;
	pfree(keys);

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
FpBuildSorted(FpMiner *m, FpTree *t, const FpReduced *r)
{
	int32	   *stack = BasketAlloc(m->cxt, t->nitems, sizeof(int32), false, m->fn, FP_BUILDING);
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
 * holds j.  Reading those prefixes where they lie, one transaction at a time
 * for each item, cost a cache miss per transaction and item (the
 * transactions are megabytes, read in a different order for every item):
 * instead the prefixes are copied out, for a batch of consecutive items at a
 * time, by one sequential pass over the transactions, into one buffer where
 * each item's prefixes lie together and in transaction order (the order in
 * which they used to be read).  A batch holds at least
 * FP_PROJECTION_INTS ints, or the largest single base.
 */
#define FP_PROJECTION_INTS	(1 << 20)

static void
FpMineTransactions(FpMiner *m, const FpReduced *r, int32 nitems)
{
	MemoryContext cxt = m->cxt;
	int32	   *icount = BasketAlloc(cxt, nitems, sizeof(int32), true, m->fn, FP_MINING_TRANS);
	int64	   *bsize = BasketAlloc(cxt, nitems, sizeof(int64), true, m->fn, FP_MINING_TRANS);
	int32	   *bpaths = BasketAlloc(cxt, nitems, sizeof(int32), true, m->fn, FP_MINING_TRANS);
	int64	   *bfill = BasketAlloc(cxt, nitems, sizeof(int64), false, m->fn, FP_MINING_TRANS);
	int64	   *pfill = BasketAlloc(cxt, nitems, sizeof(int64), false, m->fn, FP_MINING_TRANS);
	int32	   *tcur = BasketAlloc(cxt, r->ntr, sizeof(int32), false, m->fn, FP_MINING_TRANS);
	int32	   *gitem = BasketAlloc(cxt, nitems, sizeof(int32), false, m->fn, FP_MINING_TRANS);
	int32	   *cnt = BasketAlloc(cxt, nitems, sizeof(int32), true, m->fn, FP_MINING_TRANS);
	int32	   *map = BasketAlloc(cxt, nitems, sizeof(int32), false, m->fn, FP_MINING_TRANS);
	int32	   *touched = BasketAlloc(cxt, nitems, sizeof(int32), false, m->fn, FP_MINING_TRANS);
	int32	   *path = BasketAlloc(cxt, nitems, sizeof(int32), false, m->fn, FP_MINING_TRANS);
	uint64	   *seen = BasketAlloc(cxt, (nitems + 63) / 64 + 1, sizeof(uint64), true, m->fn,
								   FP_MINING_TRANS);
	int64		buf_cap = FP_PROJECTION_INTS;
	int64		plen_cap = FP_PROJECTION_INTS / 4;
	int32	   *buf;
	int32	   *plen;
	int64		k;
	int32		tr;
	int32		j;
	int32		hi;
	int			nbatches = 0;

	/* the support of each item, and the size of its conditional pattern base */
	for (tr = 0; tr < r->ntr; tr++)
	{
		int64		s = r->start[tr];
		int64		e = r->start[tr + 1];

		for (k = s; k < e; k++)
		{
			int32		it = r->ranks[k];

			icount[it]++;
			if (k > s)
			{
				bsize[it] += k - s;
				bpaths[it]++;
			}
		}
		tcur[tr] = (int32) (e - s) - 1;
	}
	for (j = 0; j < nitems; j++)
	{
		gitem[j] = j;
		buf_cap = Max(buf_cap, bsize[j]);
		plen_cap = Max(plen_cap, bpaths[j]);
	}
	buf = BasketAlloc(cxt, buf_cap, sizeof(int32), false, m->fn, FP_MINING_TRANS);
	plen = BasketAlloc(cxt, plen_cap, sizeof(int32), false, m->fn, FP_MINING_TRANS);

	/* batches of items hi, hi - 1, ..., lo: the least frequent first */
	for (hi = nitems - 1; hi >= 0;)
	{
		int32		lo = hi;
		int64		bused = bsize[hi];
		int64		pused = bpaths[hi];

		while (lo > 0 && bused + bsize[lo - 1] <= buf_cap &&
			   pused + bpaths[lo - 1] <= plen_cap)
		{
			lo--;
			bused += bsize[lo];
			pused += bpaths[lo];
		}
		/* where each item's prefixes go: the highest item first */
		bused = pused = 0;
		for (j = hi; j >= lo; j--)
		{
			bfill[j] = bused;
			pfill[j] = pused;
			bused += bsize[j];
			pused += bpaths[j];
		}
		/* copy them: each transaction's items lo..hi are the last ones not yet taken */
		for (tr = 0; tr < r->ntr; tr++)
		{
			const int32 *p = r->ranks + r->start[tr];
			int32		pos = tcur[tr];

			if ((tr & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			for (; pos >= 0 && p[pos] >= lo; pos--)
			{
				int32		it = p[pos];

				if (pos == 0)
					continue;
				memcpy(buf + bfill[it], p, sizeof(int32) * pos);
				bfill[it] += pos;
				plen[pfill[it]++] = pos;
			}
			tcur[tr] = pos;
		}

		/* mine the items of the batch, from their prefixes */
		bused = pused = 0;
		for (j = hi; j >= lo; j--)
		{
			int32		node = FpEmit(m, 0, j, icount[j]);
			int32		ntouched = 0;
			int32		npaths = bpaths[j];
			int64		b0 = bused;
			int64		p0 = pused;
			int64		used = 0;
			int32		a;
			FpTree		c;

			bused += bsize[j];
			pused += bpaths[j];
			CHECK_FOR_INTERRUPTS();
			if (j == 0 || m->max_length == 1 || npaths == 0)
				continue;
			FpPathRoom(m, 0, 0, npaths);
			for (a = 0; a < npaths; a++)
			{
				int32		len = plen[p0 + a];
				const int32 *q = buf + b0 + used;
				int32		x;

				for (x = 0; x < len; x++)
				{
					FpCount(cnt, seen, &ntouched, q[x], 1);
				}
				m->paths[a].start = b0 + used;
				m->paths[a].len = len;
				m->paths[a].count = 1;
				used += len;
			}
			if (!FpConditionalTree(m, gitem, j, buf, false, npaths, used,
								   cnt, map, seen, touched, ntouched, path, &c))
				continue;
			FpMine(m, &c, node, 1);
			FpTreeFree(&c);
		}
		hi = lo - 1;
		nbatches++;
	}
	elog(DEBUG1, "%s: first level from %d batches of projections into %lld ints",
		 m->fn, nbatches, (long long) buf_cap);
	pfree(icount);
	pfree(bsize);
	pfree(bpaths);
	pfree(bfill);
	pfree(pfill);
	pfree(tcur);
	pfree(gitem);
	pfree(cnt);
	pfree(map);
	pfree(touched);
	pfree(path);
	pfree(seen);
	pfree(buf);
	pfree(plen);
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
 */void
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

	memset(m, 0, sizeof(FpMiner));
	m->cxt = CurrentMemoryContext;
	m->fn = fn;
	m->ntrans = d->ntrans;
	m->minc = BasketMinCount(min_support, d->ntrans);
	m->max_length = max_length;
	m->max_sets = basket_max_itemsets;
	m->sets_cap = 1024;
	m->sparent = BasketAlloc(m->cxt, m->sets_cap, sizeof(int32), false, fn, FP_STORING);
	m->sitem = BasketAlloc(m->cxt, m->sets_cap, sizeof(int32), false, fn, FP_STORING);
	m->scount = BasketAlloc(m->cxt, m->sets_cap, sizeof(int32), false, fn, FP_STORING);
	/* node 0: the empty itemset */
	m->sparent[0] = -1;
	m->sitem[0] = -1;
	m->scount[0] = d->ntrans;
	m->nsets = 1;
	m->pbuf_cap = 4096;
	m->pbuf = BasketAlloc(m->cxt, m->pbuf_cap, sizeof(int32), false, fn, FP_MINING);
	m->paths_cap = 1024;
	m->paths = BasketAlloc(m->cxt, m->paths_cap, sizeof(FpPath), false, fn, FP_MINING);

	/* rank the frequent items by descending support, then text order */
	rank_item = BasketAlloc(m->cxt, d->nitems, sizeof(int32), false, fn, FP_BUILDING);
	item_rank = BasketAlloc(m->cxt, d->nitems, sizeof(int32), false, fn, FP_BUILDING);
	for (i = 0; i < d->nitems; i++)
		if (d->item_count[i] >= m->minc)
			rank_item[nfreq++] = i;
	{
		/* stable counting-free sort: qsort on (count desc, id asc) */
		int64	   *keys = BasketAlloc(m->cxt, nfreq, sizeof(int64), false, fn, FP_BUILDING);

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

	/* the FP-tree of all transactions: each has a frequent item once */
	for (i = 0; i < nfreq; i++)
		total += d->item_count[rank_item[i]];
	FpReduce(m, &red, d, item_rank, nfreq);
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
		FpTreeInit(m, &t, nfreq, red.nnodes + 1);
		for (i = 0; i < nfreq; i++)
			t.gitem[i] = i;
		FpBuildSorted(m, &t, &red);
		FpMine(m, &t, 0, 0);
		FpTreeFree(&t);
	}
	pfree(red.ranks);
	pfree(red.start);
	pfree(red.order);
}
