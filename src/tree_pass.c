/*
 * tree_pass.c
 *		crm.decision_tree when the training rows do not fit
 *		crm_analytics.max_memory: the tree grows level by level, with one
 *		pass over the training rows per level (the rows the reader keeps in
 *		memory, or the caller's query run again: model_features.c).
 *
 * In a pass each row goes down the tree grown so far to its node of the
 * level; per (node, numeric feature) a hash table counts the node's rows at
 * each distinct value (the class counts, or the count, sum and sum of
 * squares of the target), and per (node, categorical feature) an array
 * counts them per level.  After the pass each node's distinct values are
 * sorted and scanned exactly as the in-memory grower scans its presorted
 * columns (tree_split.c), so the thresholds are the same exact midpoints
 * and, for classification, the tree is the same tree.
 *
 * Memory is what the counts need: one entry per distinct (node, value)
 * pair (8 bytes for the value and 8 per class, or 24 for regression).
 * Every (node, feature) of the level is counted in the level's pass while
 * the tables fit the budget; a table that would pass it is dropped and its
 * (node, feature) counted again in a later pass, alone when need be, so a
 * level takes one pass when its counts fit and more passes otherwise.  The
 * best splits do not depend on which pass counted what (each node's best
 * is taken over its features in column order at the end of the level).  A
 * single (node, feature) whose counts cannot fit is an error with SQLSTATE
 * 54000.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "tree_cart.h"

/* Hash tables are grown at this load. */
#define CRM_PASS_LOAD	0.75
/* First capacity of a table. */
#define CRM_PASS_START	64

/* The counts of one (node, feature) in a pass. */
typedef struct CrmPassUnit
{
	int			slot;
	int			feature;
	bool		overflow;		/* dropped: count it again in a later pass */
	/* numeric: open addressing on the value */
	uint32		mask;
	int64		used;
	double	   *keys;
	uint8	   *occupied;
	double	   *stats;			/* W per entry */
	/* categorical: W per level */
	double	   *cat;
} CrmPassUnit;

typedef struct CrmPass
{
	CrmCart    *c;
	CrmTrainData *td;
	int			F;
	int		   *kslot;			/* feature -> numeric or categorical slot of the batches */
	/* the level */
	int			nslots;
	int32	   *slotnode;
	int32	   *slot_of_node;	/* node -> slot, for the nodes existing at the level's start */
	int			nodes_at_start;
	/* the units of this pass */
	MemoryContext group_ctx;
	int			nunits;
	CrmPassUnit *units;
	int32	   *slot_start;		/* CSR: the units of slot s are unit_of[slot_start[s] .. slot_start[s+1]) */
	int32	   *unit_of;
	double		bytes;			/* held by the units' tables */
	double		avail;			/* what they may hold */
	bool		root_stats;		/* also count the root's stats (first pass, regression) */
} CrmPass;

static inline uint32
CrmPassHash(double v)
{
	uint64		h;

	memcpy(&h, &v, sizeof(h));
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (uint32) h;
}

/* Bytes of a numeric table of capacity cap. */
static inline double
CrmPassTableBytes(const CrmPass *p, uint32 cap)
{
	return (double) cap * (9.0 + 8.0 * p->c->W);
}

/* Allocate a numeric unit's table of capacity cap. */
static void
CrmPassUnitAlloc(CrmPass *p, CrmPassUnit *u, uint32 cap)
{
	u->mask = cap - 1;
	u->keys = MemoryContextAllocHuge(p->group_ctx, sizeof(double) * cap);
	u->occupied = MemoryContextAllocHuge(p->group_ctx, cap);
	memset(u->occupied, 0, cap);
	u->stats = MemoryContextAllocHuge(p->group_ctx, sizeof(double) * (Size) cap * p->c->W);
	memset(u->stats, 0, sizeof(double) * (Size) cap * p->c->W);
	p->bytes += CrmPassTableBytes(p, cap);
}

/* Give a numeric unit's table back. */
static void
CrmPassUnitFree(CrmPass *p, CrmPassUnit *u)
{
	if (u->keys == NULL)
		return;
	p->bytes -= CrmPassTableBytes(p, u->mask + 1);
	pfree(u->keys);
	pfree(u->occupied);
	pfree(u->stats);
	u->keys = NULL;
}

/*
 * The stats of value v in unit u (a new zero entry when first seen), or
 * NULL when the unit had to be dropped for the budget.
 */
static double *
CrmPassUnitEntry(CrmPass *p, CrmPassUnit *u, double v)
{
	int			W = p->c->W;
	uint32		s;

	if (u->overflow)
		return NULL;
	if (v == 0.0)
		v = 0.0;
	for (s = CrmPassHash(v) & u->mask; u->occupied[s]; s = (s + 1) & u->mask)
		if (u->keys[s] == v)
			return u->stats + (Size) s * W;
	if ((double) (u->used + 1) > CRM_PASS_LOAD * (u->mask + 1))
	{
		/* grow: rehash into a table twice the size, if the budget allows */
		uint32		oldcap = u->mask + 1;
		double	   *keys = u->keys;
		uint8	   *occ = u->occupied;
		double	   *stats = u->stats;
		uint32		i;

		if (oldcap >= ((uint32) 1 << 30) ||
			p->bytes + CrmPassTableBytes(p, oldcap * 2) > p->avail)
		{
			CrmPassUnitFree(p, u);
			u->overflow = true;
			return NULL;
		}
		CrmPassUnitAlloc(p, u, oldcap * 2);
		for (i = 0; i < oldcap; i++)
			if (occ[i])
			{
				uint32		t;

				for (t = CrmPassHash(keys[i]) & u->mask; u->occupied[t]; t = (t + 1) & u->mask)
					;
				u->occupied[t] = 1;
				u->keys[t] = keys[i];
				memcpy(u->stats + (Size) t * W, stats + (Size) i * W, sizeof(double) * W);
			}
		pfree(keys);
		pfree(occ);
		pfree(stats);
		p->bytes -= CrmPassTableBytes(p, oldcap);
		for (s = CrmPassHash(v) & u->mask; u->occupied[s]; s = (s + 1) & u->mask)
			;
	}
	u->occupied[s] = 1;
	u->keys[s] = v;
	u->used++;
	return u->stats + (Size) s * W;
}

/* Add target y (a class, or the centred value) to stats. */
static inline void
CrmPassAdd(const CrmCart *c, double *st, double y)
{
	if (st == NULL)
		return;
	if (c->classes)
		st[(int) y] += 1.0;
	else
	{
		st[0] += 1.0;
		st[1] += y;
		st[2] += y * y;
	}
}

/* One batch of a pass: each row to its node, its values counted. */
static void
CrmPassBatch(const CrmTrainBatch *b, void *arg)
{
	CrmPass    *p = (CrmPass *) arg;
	CrmCart    *c = p->c;
	const CrmModel *m = c->m;
	int			i;

	for (i = 0; i < b->nrows; i++)
	{
		int			node = 0;
		int			s,
					j;
		double		y;

		/* down the tree grown so far */
		while (c->nodes[node].feature >= 0)
		{
			const CrmTreeNode *nd = &c->nodes[node];
			int			f = nd->feature;
			bool		left;

			if (m->features[f].type == CRM_FEATURE_NUMERIC)
				left = b->num[p->kslot[f]][i] <= nd->threshold;
			else
			{
				int32		lev = b->cat[p->kslot[f]][i];

				left = (nd->levels_left[lev >> 6] >> (lev & 63)) & 1;
			}
			node = left ? nd->left : nd->right;
		}
		y = c->classes ? b->y[i] : b->y[i] - m->target.mean;
		if (p->root_stats)
			CrmPassAdd(c, c->stats, y);
		if (node >= p->nodes_at_start || (s = p->slot_of_node[node]) < 0)
			continue;
		for (j = p->slot_start[s]; j < p->slot_start[s + 1]; j++)
		{
			CrmPassUnit *u = &p->units[p->unit_of[j]];
			int			f = u->feature;

			if (m->features[f].type == CRM_FEATURE_NUMERIC)
				CrmPassAdd(c, CrmPassUnitEntry(p, u, b->num[p->kslot[f]][i]), y);
			else
				CrmPassAdd(c, u->cat + (Size) b->cat[p->kslot[f]][i] * c->W, y);
		}
	}
}

/* Order of a unit's entries by value. */
static int
CrmPassEntryCmp(const void *a, const void *b, void *arg)
{
	const double *keys = (const double *) arg;
	double		x = keys[*(const uint32 *) a],
				y = keys[*(const uint32 *) b];

	return (x > y) - (x < y);
}

/* The best split of a counted unit, into result. */
static void
CrmPassEvaluate(CrmPass *p, CrmPassUnit *u, CrmCartSplit *result)
{
	CrmCart    *c = p->c;
	int			W = c->W;
	int			node = p->slotnode[u->slot];
	uint32	   *idx;
	double	   *values;
	double	   *stats;
	int64		nv = 0,
				j;

	if (c->m->features[u->feature].type == CRM_FEATURE_CATEGORICAL)
	{
		CrmCartBestCategorical(c, node, u->feature, u->cat, result);
		return;
	}
	/* the distinct values in order, with their stats */
	idx = MemoryContextAllocHuge(p->group_ctx, sizeof(uint32) * Max(u->used, 1));
	values = MemoryContextAllocHuge(p->group_ctx, sizeof(double) * Max(u->used, 1));
	stats = MemoryContextAllocHuge(p->group_ctx, sizeof(double) * Max(u->used, 1) * W);
	for (j = 0; j <= (int64) u->mask; j++)
		if (u->occupied[j])
			idx[nv++] = (uint32) j;
	qsort_arg(idx, nv, sizeof(uint32), CrmPassEntryCmp, u->keys);
	for (j = 0; j < nv; j++)
	{
		values[j] = u->keys[idx[j]];
		memcpy(stats + j * W, u->stats + (Size) idx[j] * W, sizeof(double) * W);
	}
	CrmPassUnitFree(p, u);
	CrmCartBestNumeric(c, node, u->feature, values, stats, (int) nv, result);
	pfree(idx);
	pfree(values);
	pfree(stats);
}

/* What the units of a pass may hold: the budget less what is held already. */
static double
CrmPassAvailable(CrmPass *p)
{
	return (double) CrmMemoryLimit() - (double) MemoryContextMemAllocated(p->c->ctx, true);
}

/*
 * Count the level's (node, feature) units, as many per pass as fit, and
 * leave each node's best split in best[slot].
 */
static void
CrmPassLevel(CrmPass *p, CrmCartSplit *best, bool first_level)
{
	CrmCart    *c = p->c;
	int			total = p->nslots * p->F;
	int32	   *pending = palloc(sizeof(int32) * total);
	int			npending = total;
	CrmCartSplit *result = palloc(sizeof(CrmCartSplit) * total);
	bool		alone = false;
	int			k,
				s,
				f;

	for (k = 0; k < total; k++)
	{
		pending[k] = k;			/* unit k: feature k / nslots, slot k % nslots */
		CrmCartSplitInit(c, &result[k]);
	}
	while (npending > 0)
	{
		int			done = 0,
					left = 0;

		CHECK_FOR_INTERRUPTS();
		p->nunits = alone ? 1 : npending;
		p->units = MemoryContextAllocZero(p->group_ctx, sizeof(CrmPassUnit) * p->nunits);
		p->slot_start = MemoryContextAllocZero(p->group_ctx, sizeof(int32) * (p->nslots + 1));
		p->unit_of = MemoryContextAlloc(p->group_ctx, sizeof(int32) * p->nunits);
		p->bytes = 0;
		p->avail = CrmPassAvailable(p);
		for (k = 0; k < p->nunits; k++)
		{
			CrmPassUnit *u = &p->units[k];
			const CrmFeature *feat;

			u->feature = pending[k] / p->nslots;
			u->slot = pending[k] % p->nslots;
			feat = &c->m->features[u->feature];
			if (feat->type == CRM_FEATURE_CATEGORICAL)
			{
				u->cat = MemoryContextAllocZero(p->group_ctx, sizeof(double) * feat->nlevels * c->W);
				p->avail -= sizeof(double) * feat->nlevels * c->W;
			}
			else
				CrmPassUnitAlloc(p, u, CRM_PASS_START);
			p->slot_start[u->slot + 1]++;
		}
		for (s = 0; s < p->nslots; s++)
			p->slot_start[s + 1] += p->slot_start[s];
		{
			int32	   *fill = palloc0(sizeof(int32) * p->nslots);

			for (k = 0; k < p->nunits; k++)
			{
				int			sl = p->units[k].slot;

				p->unit_of[p->slot_start[sl] + fill[sl]++] = k;
			}
			pfree(fill);
		}
		p->root_stats = first_level && npending == total && !c->classes;
		if (p->root_stats)
			memset(c->stats, 0, sizeof(double) * c->W);
		CrmTrainForEachBatch(p->td, CrmPassBatch, p);
		p->root_stats = false;

		/* the counted units' best splits; the dropped ones wait for another pass */
		for (k = 0; k < p->nunits; k++)
		{
			CrmPassUnit *u = &p->units[k];

			if (u->overflow)
				pending[left++] = pending[k];
			else
			{
				CrmPassEvaluate(p, u, &result[pending[k]]);
				done++;
			}
		}
		for (k = p->nunits; k < npending; k++)
			pending[left++] = pending[k];
		npending = left;
		MemoryContextReset(p->group_ctx);
		if (done == 0)
		{
			/* not even one fitted beside the others: the first alone, with the whole budget */
			if (alone)
			{
				if (CrmTrainInMemory(p->td))
				{
					CrmTrainRelease(p->td);
					continue;
				}
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("%s needs more memory than crm_analytics.max_memory allows", c->fn),
						 errdetail("The distinct values of feature \"%s\" in one node of the tree do not fit in %d kB.",
								   c->m->features[pending[0] / p->nslots].name, crm_max_memory_kb),
						 errhint("Raise crm_analytics.max_memory, or round the feature's values (a tree grown "
								 "in passes keeps one count per distinct value of a node).")));
			}
			alone = true;
		}
		else
			alone = false;
	}
	/* each node's best over its features, in column order */
	for (s = 0; s < p->nslots; s++)
		for (f = 0; f < p->F; f++)
		{
			CrmCartSplit *r = &result[f * p->nslots + s];

			if (r->feature >= 0 && r->score > best[s].score)
				CrmCartSplitCopy(c, &best[s], r);
		}
}

/* Grow the tree from its root (node 0) with passes over the rows. */
void
CrmGrowByPasses(CrmCart *c, CrmTrainData *td)
{
	CrmPass		p;
	MemoryContext level_ctx = AllocSetContextCreate(CurrentMemoryContext, "crm tree level",
													ALLOCSET_DEFAULT_SIZES);
	int		   *num_feature,
			   *cat_feature;
	int			nnum,
				ncat,
				k;
	int32	   *slotnode;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.td = td;
	p.F = c->m->nfeatures;
	p.kslot = palloc(sizeof(int) * p.F);
	nnum = CrmTrainNumeric(td, &num_feature);
	ncat = CrmTrainCategorical(td, &cat_feature);
	for (k = 0; k < nnum; k++)
		p.kslot[num_feature[k]] = k;
	for (k = 0; k < ncat; k++)
		p.kslot[cat_feature[k]] = k;
	p.group_ctx = AllocSetContextCreate(CurrentMemoryContext, "crm tree pass", ALLOCSET_DEFAULT_SIZES);

	/* the root's stats: the class counts, or (regression) counted in the first pass */
	if (c->classes)
		for (k = 0; k < c->W; k++)
			c->stats[k] = (double) c->m->target.level_rows[k];
	else
		c->stats[0] = (double) c->n;
	if (!CrmCartSplittable(c, 0))
	{
		MemoryContextDelete(level_ctx);
		MemoryContextDelete(p.group_ctx);
		return;
	}
	slotnode = palloc(sizeof(int32));
	slotnode[0] = 0;
	p.nslots = 1;
	while (p.nslots > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(level_ctx);
		CrmCartSplit *best = palloc(sizeof(CrmCartSplit) * p.nslots);
		int32	   *nextnode = palloc(sizeof(int32) * 2 * p.nslots);
		bool		first_level = p.nslots == 1 && slotnode[0] == 0;
		int			nnext = 0,
					s;

		CHECK_FOR_INTERRUPTS();
		p.slotnode = slotnode;
		p.nodes_at_start = c->nnodes;
		p.slot_of_node = palloc(sizeof(int32) * c->nnodes);
		for (k = 0; k < c->nnodes; k++)
			p.slot_of_node[k] = -1;
		for (s = 0; s < p.nslots; s++)
		{
			p.slot_of_node[slotnode[s]] = s;
			CrmCartSplitInit(c, &best[s]);
		}
		CrmPassLevel(&p, best, first_level);
		for (s = 0; s < p.nslots; s++)
		{
			int			node = slotnode[s];

			if (!CrmCartApply(c, node, &best[s]))
				continue;
			if (CrmCartSplittable(c, c->nodes[node].left))
				nextnode[nnext++] = c->nodes[node].left;
			if (CrmCartSplittable(c, c->nodes[node].right))
				nextnode[nnext++] = c->nodes[node].right;
		}
		MemoryContextSwitchTo(old);
		slotnode = repalloc(slotnode, sizeof(int32) * Max(nnext, 1));
		memcpy(slotnode, nextnode, sizeof(int32) * nnext);
		p.nslots = nnext;
		MemoryContextReset(level_ctx);
	}
	MemoryContextDelete(level_ctx);
	MemoryContextDelete(p.group_ctx);
}
