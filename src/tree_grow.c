/*
 * tree_grow.c
 *		crm.decision_tree: CART grown level by level.  This file holds the SQL
 *		function and the in-memory grower; tree_pass.c grows the same tree
 *		with one pass over the caller's query per level when the rows do not
 *		fit crm_analytics.max_memory; tree_split.c what both share.
 *
 * In memory, each numeric feature is sorted once (an LSD radix sort of the
 * values' order-preserving 64-bit keys, stable, so equal values keep the
 * rows' order) into the row order and the rank of each position's distinct
 * value, as SLIQ does (Mehta, Agrawal & Rissanen, EDBT 1996).  A level of
 * the tree then costs one sequential scan of each feature's sorted rows:
 * every row belongs to one node of the level (or to a finished leaf), and
 * each node keeps the statistics of its rows seen so far, so at the first
 * row of each new distinct value the split "value <= midpoint" is scored
 * for that node without any sort per node.  Categorical features count the
 * rows per (node, level) in one scan.  Rows are then routed to the
 * children, and rows of finished leaves are dropped from the scans.
 *
 * Memory: 8 bytes per numeric value (row number and rank, 4 bytes each),
 * 2 per categorical value, about 12 per row, and the distinct values; the
 * training rows the reader keeps (8 bytes per value) are given back once
 * copied.  When that does not fit crm_analytics.max_memory the tree is grown
 * by tree_pass.c instead.
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "tree_cart.h"

PG_FUNCTION_INFO_V1(decision_tree);

/* ----------------------------------------------------------------------
 * Argument checks shared with boosting
 * ---------------------------------------------------------------------- */

/* max_depth: 1 .. CRM_TREE_MAX_DEPTH. */
int
CrmTreeCheckDepth(FunctionCallInfo fcinfo, int argno)
{
	int			d;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("max_depth must not be NULL"),
				 errhint("Leave the argument out for its default.")));
	d = PG_GETARG_INT32(argno);
	if (d < 1 || d > CRM_TREE_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_depth must be between 1 and %d", CRM_TREE_MAX_DEPTH),
				 errdetail("Got %d.", d),
				 errhint("A tree of depth d has at most 2^d leaves; depths of 3 to 8 are usual.")));
	return d;
}

/* min_leaf: at least 1. */
int
CrmTreeCheckMinLeaf(FunctionCallInfo fcinfo, int argno)
{
	int			n;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("min_leaf must not be NULL"),
				 errhint("Leave the argument out for its default.")));
	n = PG_GETARG_INT32(argno);
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_leaf must be at least 1"),
				 errdetail("Got %d.", n),
				 errhint("min_leaf is the fewest training rows a leaf may have.")));
	return n;
}

/* A feature with one value cannot split anything: an error naming it. */
void
CrmTreeCheckFeatures(const CrmModel *m, const char *fn)
{
	int			f;

	for (f = 0; f < m->nfeatures; f++)
	{
		const CrmFeature *feat = &m->features[f];

		if ((feat->type == CRM_FEATURE_NUMERIC && feat->min == feat->max) ||
			(feat->type == CRM_FEATURE_CATEGORICAL && feat->nlevels < 2))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature column \"%s\" of the query of %s has the same value in every row", feat->name, fn),
					 feat->nulls > 0 ? errdetail("Its NULLs are imputed with that value.") : 0,
					 errhint("Drop the column: a tree cannot split on it.")));
	}
	if (m->target.type == CRM_TARGET_NUMERIC && m->target.sd == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the target (first column \"%s\") of the query of %s has the same value in every row",
						m->target.name, fn),
				 errhint("There is nothing to predict; rows with a NULL target are skipped.")));
}

/* ----------------------------------------------------------------------
 * The in-memory grower
 * ---------------------------------------------------------------------- */

typedef struct CrmGrow
{
	CrmCart    *c;
	CrmTrainData *td;
	uint32		n;
	int			nnum;
	int			ncat;
	int		   *num_feature;	/* feature of numeric slot k */
	int		   *cat_feature;
	int		   *kslot;			/* feature -> its numeric or categorical slot */
	uint16	   *ycls;			/* classification: class of each row */
	double	   *yval;			/* regression: target - training mean */
	uint32	  **order;			/* numeric slot k: rows by value (active rows only) */
	uint32	  **rank;			/* and the rank of each position's value */
	double	  **distinct;
	uint16	  **cat;			/* categorical slot c: level of each row */
	uint32		nactive;		/* rows in unfinished nodes */
	uint32	   *active;			/* those rows */
	int32	   *rowslot;		/* row -> slot of its node in this level, or -1 */
	int32	   *nextslot;
	/* loading */
	uint32		filled;
	int			loading;		/* numeric slot being copied, or -1 */
	double	   *column;
} CrmGrow;

/* Copy a batch into the grower's arrays. */
static void
CrmGrowLoadBatch(const CrmTrainBatch *b, void *arg)
{
	CrmGrow    *g = (CrmGrow *) arg;
	uint32		base = g->filled;
	int			i,
				k;

	if (g->loading >= 0)
		memcpy(g->column + base, b->num[g->loading], sizeof(double) * b->nrows);
	else
	{
		for (i = 0; i < b->nrows; i++)
		{
			if (g->c->classes)
				g->ycls[base + i] = (uint16) b->y[i];
			else
				g->yval[base + i] = b->y[i] - g->c->m->target.mean;
		}
		for (k = 0; k < g->ncat; k++)
			for (i = 0; i < b->nrows; i++)
				g->cat[k][base + i] = (uint16) b->cat[k][i];
	}
	g->filled += b->nrows;
}

/* Bytes the in-memory grower needs for n rows (not counting the distinct values). */
static double
CrmGrowBytes(const CrmModel *m, int64 n)
{
	int			nnum = 0,
				ncat = 0,
				f;

	for (f = 0; f < m->nfeatures; f++)
	{
		if (m->features[f].type == CRM_FEATURE_NUMERIC)
			nnum++;
		else
			ncat++;
	}
	/* rows: slot, next slot, active, target; per feature; the sort's scratch */
	return (double) n * (12.0 + (m->target.type == CRM_TARGET_CLASSES ? 2.0 : 8.0) +
						 8.0 * nnum + 2.0 * ncat + 28.0);
}

/* Scan numeric slot k for the level: each slot's best threshold. */
static void
CrmGrowScanNumeric(CrmGrow *g, int k, int nslots, const int32 *slotnode, CrmCartSplit *best,
				   double *L, double *nL, uint32 *last)
{
	CrmCart    *c = g->c;
	int			W = c->W;
	int			feature = g->num_feature[k];
	const uint32 *order = g->order[k];
	const uint32 *rank = g->rank[k];
	const double *dv = g->distinct[k];
	double		minleaf = c->min_leaf;
	double	   *nnode = palloc(sizeof(double) * nslots);
	const double **P = palloc(sizeof(double *) * nslots);
	uint32		i;
	int			s;

	for (s = 0; s < nslots; s++)
	{
		nnode[s] = CrmCartNodeRows(c, slotnode[s]);
		P[s] = c->stats + (Size) slotnode[s] * W;
		nL[s] = 0.0;
		last[s] = PG_UINT32_MAX;
	}
	memset(L, 0, sizeof(double) * nslots * W);
	for (i = 0; i < g->nactive; i++)
	{
		uint32		r = order[i];
		int32		sl = g->rowslot[r];
		uint32		rk;
		double	   *Ls;

		if (sl < 0)
			continue;
		rk = rank[i];
		Ls = L + (Size) sl * W;
		if (rk != last[sl])
		{
			double		nl = nL[sl];

			if (nl >= minleaf && nnode[sl] - nl >= minleaf)
			{
				double		score = CrmCartScore(c, Ls, P[sl], nl, nnode[sl] - nl);

				if (score > best[sl].score)
				{
					best[sl].feature = feature;
					best[sl].score = score;
					best[sl].threshold = CrmCartMidpoint(dv[last[sl]], dv[rk]);
					memcpy(best[sl].left, Ls, sizeof(double) * W);
				}
			}
			last[sl] = rk;
		}
		nL[sl] += 1.0;
		if (c->classes)
			Ls[g->ycls[r]] += 1.0;
		else
		{
			double		y = g->yval[r];

			Ls[0] += 1.0;
			Ls[1] += y;
			Ls[2] += y * y;
		}
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(nnode);
	pfree(P);
}

/* Scan categorical slot k for the level: each slot's best subset. */
static void
CrmGrowScanCategorical(CrmGrow *g, int k, int nslots, const int32 *slotnode, CrmCartSplit *best)
{
	CrmCart    *c = g->c;
	int			W = c->W;
	int			feature = g->cat_feature[k];
	int			nlev = c->m->features[feature].nlevels;
	const uint16 *cat = g->cat[k];
	Size		per = (Size) nlev * W;
	int			chunk,
				s0;

	/* slots in chunks of at most 8M doubles of counts */
	chunk = (int) Max(1, Min((Size) nslots, ((Size) 8 << 20) / Max(per, 1)));
	for (s0 = 0; s0 < nslots; s0 += chunk)
	{
		int			s1 = Min(nslots, s0 + chunk);
		double	   *stats = CrmMemoryAlloc0(CurrentMemoryContext, (Size) (s1 - s0) * per, sizeof(double),
											c->fn, "the level counts of a categorical feature");
		uint32		i;
		int			s;

		for (i = 0; i < g->nactive; i++)
		{
			uint32		r = g->active[i];
			int32		sl = g->rowslot[r];
			double	   *st;

			if (sl < s0 || sl >= s1)
				continue;
			st = stats + (Size) (sl - s0) * per + (Size) cat[r] * W;
			if (c->classes)
				st[g->ycls[r]] += 1.0;
			else
			{
				double		y = g->yval[r];

				st[0] += 1.0;
				st[1] += y;
				st[2] += y * y;
			}
			if ((i & 0xFFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		for (s = s0; s < s1; s++)
			CrmCartBestCategorical(c, slotnode[s], feature, stats + (Size) (s - s0) * per, &best[s]);
		pfree(stats);
	}
}

/* Grow the tree from the root (node 0, its stats set) in memory. */
static void
CrmGrowTree(CrmGrow *g)
{
	CrmCart    *c = g->c;
	MemoryContext level_ctx = AllocSetContextCreate(CurrentMemoryContext, "crm tree level",
													ALLOCSET_DEFAULT_SIZES);
	int32	   *slotnode = palloc(sizeof(int32));
	int			nslots = 0;
	uint32		i;
	int			k;

	/* the first level: the root, if it can split */
	if (CrmCartSplittable(c, 0))
	{
		slotnode[0] = 0;
		nslots = 1;
	}
	for (i = 0; i < g->n; i++)
		g->rowslot[i] = nslots > 0 ? 0 : -1;

	while (nslots > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(level_ctx);
		CrmCartSplit *best = palloc(sizeof(CrmCartSplit) * nslots);
		double	   *L = CrmMemoryAlloc(level_ctx, (Size) nslots * c->W, sizeof(double), c->fn, "a level of the tree");
		double	   *nL = palloc(sizeof(double) * nslots);
		uint32	   *last = palloc(sizeof(uint32) * nslots);
		int32	   *childslot = palloc(sizeof(int32) * 2 * nslots);
		int32	   *nextnode = palloc(sizeof(int32) * 2 * nslots);
		bool	   *routed_num = palloc0(sizeof(bool) * Max(g->nnum, 1));
		bool	   *routed_cat = palloc0(sizeof(bool) * Max(g->ncat, 1));
		int			nnext = 0,
					s,
					f;
		uint32		j;

		CHECK_FOR_INTERRUPTS();
		for (s = 0; s < nslots; s++)
			CrmCartSplitInit(c, &best[s]);
		/* the best split of every node of the level, features in column order */
		for (f = 0; f < c->m->nfeatures; f++)
		{
			if (c->m->features[f].type == CRM_FEATURE_NUMERIC)
				CrmGrowScanNumeric(g, g->kslot[f], nslots, slotnode, best, L, nL, last);
			else
				CrmGrowScanCategorical(g, g->kslot[f], nslots, slotnode, best);
		}
		/* split, and number the children that can split again */
		for (s = 0; s < nslots; s++)
		{
			int			node = slotnode[s];

			childslot[2 * s] = childslot[2 * s + 1] = -1;
			if (!CrmCartApply(c, node, &best[s]))
				continue;
			if (CrmCartSplittable(c, c->nodes[node].left))
			{
				childslot[2 * s] = nnext;
				nextnode[nnext++] = c->nodes[node].left;
			}
			if (CrmCartSplittable(c, c->nodes[node].right))
			{
				childslot[2 * s + 1] = nnext;
				nextnode[nnext++] = c->nodes[node].right;
			}
			if (c->m->features[best[s].feature].type == CRM_FEATURE_NUMERIC)
				routed_num[g->kslot[best[s].feature]] = true;
			else
				routed_cat[g->kslot[best[s].feature]] = true;
		}
		if (nnext == 0)
		{
			MemoryContextSwitchTo(old);
			break;
		}
		/* route the rows to the children's slots */
		for (j = 0; j < g->nactive; j++)
			g->nextslot[g->active[j]] = -1;
		for (k = 0; k < g->nnum; k++)
		{
			const uint32 *order = g->order[k];
			const uint32 *rank = g->rank[k];
			const double *dv = g->distinct[k];
			int			feature = g->num_feature[k];

			if (!routed_num[k])
				continue;
			CHECK_FOR_INTERRUPTS();
			for (j = 0; j < g->nactive; j++)
			{
				uint32		r = order[j];
				int32		sl = g->rowslot[r];
				const CrmTreeNode *nd;

				if (sl < 0)
					continue;
				nd = &c->nodes[slotnode[sl]];
				if (nd->feature != feature)
					continue;
				g->nextslot[r] = childslot[2 * sl + (dv[rank[j]] <= nd->threshold ? 0 : 1)];
			}
		}
		for (k = 0; k < g->ncat; k++)
		{
			const uint16 *cat = g->cat[k];
			int			feature = g->cat_feature[k];

			if (!routed_cat[k])
				continue;
			CHECK_FOR_INTERRUPTS();
			for (j = 0; j < g->nactive; j++)
			{
				uint32		r = g->active[j];
				int32		sl = g->rowslot[r];
				const CrmTreeNode *nd;
				int			lev;

				if (sl < 0)
					continue;
				nd = &c->nodes[slotnode[sl]];
				if (nd->feature != feature)
					continue;
				lev = cat[r];
				g->nextslot[r] = childslot[2 * sl + (((nd->levels_left[lev >> 6] >> (lev & 63)) & 1) ? 0 : 1)];
			}
		}
		{
			int32	   *t = g->rowslot;

			g->rowslot = g->nextslot;
			g->nextslot = t;
		}
		/* drop the rows of finished leaves from the scans */
		{
			uint32		na = 0;

			for (j = 0; j < g->nactive; j++)
				if (g->rowslot[g->active[j]] >= 0)
					g->active[na++] = g->active[j];
			if (na < g->nactive)
			{
				for (k = 0; k < g->nnum; k++)
				{
					uint32	   *order = g->order[k];
					uint32	   *rank = g->rank[k];
					uint32		m = 0;

					CHECK_FOR_INTERRUPTS();
					for (j = 0; j < g->nactive; j++)
						if (g->rowslot[order[j]] >= 0)
						{
							order[m] = order[j];
							rank[m] = rank[j];
							m++;
						}
				}
				g->nactive = na;
			}
		}
		MemoryContextSwitchTo(old);
		/* the next level's slots live outside the level context */
		slotnode = repalloc(slotnode, sizeof(int32) * Max(nnext, 1));
		memcpy(slotnode, nextnode, sizeof(int32) * nnext);
		nslots = nnext;
		MemoryContextReset(level_ctx);
	}
	MemoryContextDelete(level_ctx);
}

/* Load the rows, sort the numeric features, grow the tree. */
static void
CrmGrowInMemory(CrmCart *c, CrmTrainData *td)
{
	CrmGrow		g;
	const char *fn = c->fn;
	MemoryContext ctx = c->ctx;
	int			k,
				f;

	memset(&g, 0, sizeof(g));
	g.c = c;
	g.td = td;
	g.n = (uint32) c->n;
	g.nnum = CrmTrainNumeric(td, &g.num_feature);
	g.ncat = CrmTrainCategorical(td, &g.cat_feature);
	g.kslot = palloc(sizeof(int) * c->m->nfeatures);
	for (k = 0; k < g.nnum; k++)
		g.kslot[g.num_feature[k]] = k;
	for (k = 0; k < g.ncat; k++)
		g.kslot[g.cat_feature[k]] = k;
	if (c->classes)
		g.ycls = CrmMemoryAlloc(ctx, g.n, sizeof(uint16), fn, "the training rows");
	else
		g.yval = CrmMemoryAlloc(ctx, g.n, sizeof(double), fn, "the training rows");
	g.cat = palloc(sizeof(uint16 *) * Max(g.ncat, 1));
	for (k = 0; k < g.ncat; k++)
		g.cat[k] = CrmMemoryAlloc(ctx, g.n, sizeof(uint16), fn, "the training rows");
	g.loading = -1;
	g.filled = 0;
	CrmTrainForEachBatch(td, CrmGrowLoadBatch, &g);

	/* each numeric feature: copied, sorted, ranked */
	g.order = palloc(sizeof(uint32 *) * Max(g.nnum, 1));
	g.rank = palloc(sizeof(uint32 *) * Max(g.nnum, 1));
	g.distinct = palloc(sizeof(double *) * Max(g.nnum, 1));
	g.column = CrmMemoryAlloc(ctx, g.n, sizeof(double), fn, "sorting a feature");
	for (k = 0; k < g.nnum; k++)
	{
		CHECK_FOR_INTERRUPTS();
		g.loading = k;
		g.filled = 0;
		CrmTrainForEachBatch(td, CrmGrowLoadBatch, &g);
		g.order[k] = CrmMemoryAlloc(ctx, g.n, sizeof(uint32), fn, "the sorted features");
		g.rank[k] = CrmMemoryAlloc(ctx, g.n, sizeof(uint32), fn, "the sorted features");
		(void) CrmSortValues(g.column, g.n, g.order[k], g.rank[k], &g.distinct[k], ctx, fn);
		CrmMemoryCheckContext(ctx, 0, fn, "the sorted features");
	}
	pfree(g.column);
	/* the reader's copy of the rows is no longer needed */
	CrmTrainRelease(td);

	g.active = CrmMemoryAlloc(ctx, g.n, sizeof(uint32), fn, "the training rows");
	g.rowslot = CrmMemoryAlloc(ctx, g.n, sizeof(int32), fn, "the training rows");
	g.nextslot = CrmMemoryAlloc(ctx, g.n, sizeof(int32), fn, "the training rows");
	g.nactive = g.n;
	for (f = 0; f < (int) g.n; f++)
		g.active[f] = f;

	/* the root's stats */
	{
		double	   *P = c->stats;
		uint32		i;

		for (i = 0; i < g.n; i++)
		{
			if (c->classes)
				P[g.ycls[i]] += 1.0;
			else
			{
				P[0] += 1.0;
				P[1] += g.yval[i];
				P[2] += g.yval[i] * g.yval[i];
			}
		}
	}
	CrmGrowTree(&g);
}

/* ----------------------------------------------------------------------
 * crm.decision_tree
 * ---------------------------------------------------------------------- */

/*
 * crm.decision_tree(query, max_depth, min_leaf, criterion): CART of a
 * query returning (target, feature, ...).
 */
Datum
decision_tree(PG_FUNCTION_ARGS)
{
	const char *fn = "crm.decision_tree";
	MemoryContext callctx = CurrentMemoryContext;
	MemoryContext ctx;
	TimestampTz start = GetCurrentTimestamp();
	char	   *query;
	int			max_depth,
				min_leaf,
				criterion;
	bool		numeric_target;
	CrmQuery	q;
	CrmTrainData *td;
	CrmModel   *m;
	CrmCart		cart;
	CrmTreeModel *tm;
	bool		in_memory;
	int			leaves = 0,
				i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the query of %s must not be NULL", fn),
				 errhint("Pass a SELECT returning (target, feature, ...).")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	max_depth = CrmTreeCheckDepth(fcinfo, 1);
	min_leaf = CrmTreeCheckMinLeaf(fcinfo, 2);

	ctx = AllocSetContextCreate(callctx, "crm decision tree training", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(ctx);
	CrmQueryOpen(&q, query, 2, -1, fn, "(target, feature, ...)");
	numeric_target = CrmColumnIsNumeric(TupleDescAttr(q.desc, 0)->atttypid);
	if (PG_ARGISNULL(3))
		criterion = numeric_target ? CRM_CRIT_SQUARED_ERROR : CRM_CRIT_GINI;
	else
	{
		char	   *cr = text_to_cstring(PG_GETARG_TEXT_PP(3));

		if (pg_strcasecmp(cr, "gini") == 0)
			criterion = CRM_CRIT_GINI;
		else if (pg_strcasecmp(cr, "entropy") == 0)
			criterion = CRM_CRIT_ENTROPY;
		else if (pg_strcasecmp(cr, "squared_error") == 0)
			criterion = CRM_CRIT_SQUARED_ERROR;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("criterion must be 'gini', 'entropy' or 'squared_error'"),
					 errdetail("Got \"%s\".", cr),
					 errhint("NULL picks squared_error for a numeric target and gini for classes.")));
		if (criterion == CRM_CRIT_SQUARED_ERROR && !numeric_target)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("criterion 'squared_error' needs a numeric target"),
					 errdetail("The target (first column) has type %s.",
							   format_type_be(TupleDescAttr(q.desc, 0)->atttypid)),
					 errhint("Use 'gini' or 'entropy' to classify.")));
	}
	td = CrmTrainOpen(&q, criterion == CRM_CRIT_SQUARED_ERROR ? CRM_TARGET_RULE_NUMERIC : CRM_TARGET_RULE_CLASSES,
					  fn, ctx);
	m = CrmTrainFirstPass(td);
	m->kind = CRM_MODEL_DECISION_TREE;
	CrmTreeCheckFeatures(m, fn);

	CrmCartInit(&cart, m, fn, criterion, max_depth, min_leaf, CrmTrainRows(td), ctx);
	(void) CrmCartAddNode(&cart, 0);

	/* in memory when the sorted layout fits beside what is held already */
	in_memory = CrmTrainRows(td) < (int64) PG_UINT32_MAX &&
		(double) MemoryContextMemAllocated(ctx, true) + CrmGrowBytes(m, CrmTrainRows(td)) <=
		(double) CrmMemoryLimit();
	if (in_memory)
		CrmGrowInMemory(&cart, td);
	else
		CrmGrowByPasses(&cart, td);

	tm = palloc0(sizeof(CrmTreeModel));
	CrmCartFinish(&cart, tm);
	m->payload = tm;
	for (i = 0; i < tm->trees[0].nnodes; i++)
		if (tm->trees[0].nodes[i].feature < 0)
			leaves++;

	CrmModelAddFact(m, "rows", CRM_FACT_INT, CrmTrainRows(td), 0, NULL);
	CrmModelAddFact(m, "rows_skipped_null_target", CRM_FACT_INT, CrmTrainSkipped(td), 0, NULL);
	CrmModelAddFact(m, "criterion", CRM_FACT_TEXT, 0, 0, CrmTreeCriterionName(criterion));
	CrmModelAddFact(m, "max_depth", CRM_FACT_INT, max_depth, 0, NULL);
	CrmModelAddFact(m, "min_leaf", CRM_FACT_INT, min_leaf, 0, NULL);
	CrmModelAddFact(m, "depth", CRM_FACT_INT, tm->depth, 0, NULL);
	CrmModelAddFact(m, "nodes", CRM_FACT_INT, tm->trees[0].nnodes, 0, NULL);
	CrmModelAddFact(m, "leaves", CRM_FACT_INT, leaves, 0, NULL);
	CrmModelAddFact(m, "query_passes", CRM_FACT_INT, CrmTrainPasses(td), 0, NULL);
	CrmModelAddFact(m, "in_memory", CRM_FACT_BOOL, in_memory, 0, NULL);
	PG_RETURN_BYTEA_P(CrmTrainFinish(m, &q, start, ctx, callctx));
}
