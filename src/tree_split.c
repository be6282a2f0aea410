/*
 * tree_split.c
 *		CART (Breiman, Friedman, Olshen & Stone, "Classification and
 *		Regression Trees", 1984): the parts both growers of crm.decision_tree
 *		share.  The tree being grown, the node statistics, and the best split
 *		of one node on one feature from the statistics of the node's rows per
 *		distinct value (numeric) or per level (categorical).
 *
 * Numeric features split between two consecutive distinct values of the
 * node's rows, at their midpoint (lo/2 + hi/2, or lo when that rounds to
 * hi, as scikit-learn computes it): rows with value <= threshold go left.
 *
 * Categorical features split into two subsets of levels.  For two classes
 * and for regression the best subset is a prefix of the levels ordered by
 * the rate of the positive class (the mean of the target), Breiman et al.
 * 1984, theorem 4.5 (and Fisher 1958 for regression): L - 1 candidates
 * instead of 2^(L-1) - 1.  With more classes that order is not enough: up to
 * CRM_CART_EXHAUSTIVE_LEVELS levels present in the node every subset is
 * tried (in binary-reflected Gray code order, the last present level always
 * on the right); beyond, the prefixes of the K orders by the rate of each
 * class (a heuristic, documented as such).  Levels tie in an order by their
 * rate, then their level number.  Levels absent from the node's rows, and
 * levels unseen in training, go to the child with more rows (the left one on
 * a tie): a prediction never depends on a subset nobody observed.
 *
 * A node is split only when its best split lowers the impurity (the gain is
 * above 1e-13 of the node's scale, rounding); scikit-learn also makes splits
 * of gain 0, which change no prediction.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "tree_cart.h"

/* Relative gain below which a split is rounding, not information. */
#define CRM_CART_GAIN_EPS	1e-13

/* ----------------------------------------------------------------------
 * Sorting (both growers and boosting)
 * ---------------------------------------------------------------------- */

#define CRM_RADIX_BITS		11
#define CRM_RADIX_BUCKETS	(1 << CRM_RADIX_BITS)
#define CRM_RADIX_PASSES	6		/* 6 x 11 bits >= 64 */

/* An unsigned key with the order of the double (no NaN; -0 taken as 0). */
uint64
CrmDoubleKey(double v)
{
	uint64		u;

	if (v == 0.0)
		v = 0.0;
	memcpy(&u, &v, sizeof(u));
	return (u >> 63) ? ~u : (u | ((uint64) 1 << 63));
}

/*
 * Sort n keys with their idx[] stably (equal keys keep their order): LSD
 * radix sort, 11 bits a pass, skipping passes whose digit is the same in
 * every key.
 */
void
CrmRadixSort(uint64 *key, uint32 *idx, uint32 n, const char *fn)
{
	uint64	   *key2;
	uint32	   *idx2;
	uint32	   *count;
	uint64	   *ka = key,
			   *kb;
	uint32	   *ia = idx,
			   *ib;
	uint32		i;
	int			p;

	if (n < 2)
		return;
	key2 = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(uint64), fn, "sorting");
	idx2 = CrmMemoryAlloc(CurrentMemoryContext, n, sizeof(uint32), fn, "sorting");
	count = palloc0(sizeof(uint32) * CRM_RADIX_PASSES * CRM_RADIX_BUCKETS);
	kb = key2;
	ib = idx2;
	for (i = 0; i < n; i++)
		for (p = 0; p < CRM_RADIX_PASSES; p++)
			count[p * CRM_RADIX_BUCKETS + ((key[i] >> (p * CRM_RADIX_BITS)) & (CRM_RADIX_BUCKETS - 1))]++;
	for (p = 0; p < CRM_RADIX_PASSES; p++)
	{
		uint32	   *c = count + p * CRM_RADIX_BUCKETS;
		int			shift = p * CRM_RADIX_BITS;
		uint32		sum = 0;
		int			b;

		CHECK_FOR_INTERRUPTS();
		if (c[(ka[0] >> shift) & (CRM_RADIX_BUCKETS - 1)] == n)
			continue;			/* the same digit everywhere */
		for (b = 0; b < CRM_RADIX_BUCKETS; b++)
		{
			uint32		t = c[b];

			c[b] = sum;
			sum += t;
		}
		for (i = 0; i < n; i++)
		{
			uint32		pos = c[(ka[i] >> shift) & (CRM_RADIX_BUCKETS - 1)]++;

			kb[pos] = ka[i];
			ib[pos] = ia[i];
		}
		{
			uint64	   *tk = ka;
			uint32	   *ti = ia;

			ka = kb;
			kb = tk;
			ia = ib;
			ib = ti;
		}
	}
	if (ka != key)
	{
		memcpy(key, ka, sizeof(uint64) * n);
		memcpy(idx, ia, sizeof(uint32) * n);
	}
	pfree(key2);
	pfree(idx2);
	pfree(count);
}

/*
 * Sort the n values v: order[i] is the row of the i-th smallest (rows of
 * equal values in row order), rank[i] (when not NULL) the number of
 * distinct values smaller than it; *distinct (in ctx) receives the distinct
 * values in ascending order.  Returns how many there are.
 */
int64
CrmSortValues(const double *v, uint32 n, uint32 *order, uint32 *rank, double **distinct,
			  MemoryContext ctx, const char *fn)
{
	uint64	   *key = CrmMemoryAlloc(CurrentMemoryContext, Max(n, 1), sizeof(uint64), fn, "sorting");
	int64		nd = 0;
	uint32		i;
	double	   *dv;

	for (i = 0; i < n; i++)
	{
		key[i] = CrmDoubleKey(v[i]);
		order[i] = i;
	}
	CrmRadixSort(key, order, n, fn);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && key[i] != key[i - 1])
			nd++;
		if (rank)
			rank[i] = (uint32) nd;
	}
	nd = n > 0 ? nd + 1 : 0;
	dv = CrmMemoryAlloc(ctx, Max(nd, 1), sizeof(double), fn, "the distinct values of a feature");
	nd = 0;
	for (i = 0; i < n; i++)
		if (i == 0 || key[i] != key[i - 1])
			dv[nd++] = v[order[i]] == 0.0 ? 0.0 : v[order[i]];
	*distinct = dv;
	pfree(key);
	return nd;
}

/* Set up the tree of a CART run over n rows. */
void
CrmCartInit(CrmCart *c, CrmModel *m, const char *fn, int criterion, int max_depth,
			int min_leaf, int64 n, MemoryContext ctx)
{
	int			f;

	memset(c, 0, sizeof(CrmCart));
	c->fn = fn;
	c->m = m;
	c->ctx = ctx;
	c->criterion = criterion;
	c->classes = m->target.type == CRM_TARGET_CLASSES;
	c->W = c->classes ? m->target.nlevels : 3;
	c->max_depth = max_depth;
	c->min_leaf = min_leaf;
	c->n = n;
	if (criterion == CRM_CRIT_ENTROPY)
	{
		int64		i;

		c->clogc = CrmMemoryAlloc(ctx, n + 1, sizeof(double), fn, "the entropy table");
		c->clogc[0] = 0.0;
		for (i = 1; i <= n; i++)
			c->clogc[i] = (double) i * log((double) i);
	}
	c->maxlevels = 1;
	for (f = 0; f < m->nfeatures; f++)
		if (m->features[f].type == CRM_FEATURE_CATEGORICAL)
			c->maxlevels = Max(c->maxlevels, m->features[f].nlevels);
	c->cat_key = MemoryContextAlloc(ctx, sizeof(double) * c->maxlevels);
	c->cat_order = MemoryContextAlloc(ctx, sizeof(int32) * c->maxlevels);
	c->cat_left = MemoryContextAlloc(ctx, sizeof(double) * c->W);
	c->capnodes = 64;
	c->nodes = MemoryContextAllocZero(ctx, sizeof(CrmTreeNode) * c->capnodes);
	c->stats = MemoryContextAllocZero(ctx, sizeof(double) * c->capnodes * c->W);
}

/* A new node at depth with zero stats; returns its number. */
int
CrmCartAddNode(CrmCart *c, int depth)
{
	CrmTreeNode *n;

	if (c->nnodes == c->capnodes)
	{
		int			cap = c->capnodes * 2;

		c->nodes = CrmMemoryRealloc(c->nodes, cap, sizeof(CrmTreeNode), c->fn, "the tree");
		c->stats = CrmMemoryRealloc(c->stats, (Size) cap * c->W, sizeof(double), c->fn, "the tree");
		CrmMemoryCheckContext(c->ctx, 0, c->fn, "the tree");
		c->capnodes = cap;
	}
	n = &c->nodes[c->nnodes];
	memset(n, 0, sizeof(CrmTreeNode));
	n->feature = -1;
	n->left = n->right = -1;
	n->depth = depth;
	memset(c->stats + (Size) c->nnodes * c->W, 0, sizeof(double) * c->W);
	return c->nnodes++;
}

/* Rows of a node. */
double
CrmCartNodeRows(const CrmCart *c, int node)
{
	return CrmCartRows(c, c->stats + (Size) node * c->W);
}

/* The proxy of a node as one piece (what a split's score is compared with). */
static double
CrmCartNodeProxy(const CrmCart *c, int node)
{
	const double *P = c->stats + (Size) node * c->W;
	double		n = CrmCartRows(c, P);
	double		s = 0.0;
	int			k;

	switch (c->criterion)
	{
		case CRM_CRIT_GINI:
			for (k = 0; k < c->W; k++)
				s += P[k] * P[k];
			return s / n;
		case CRM_CRIT_ENTROPY:
			for (k = 0; k < c->W; k++)
				s += c->clogc[(int64) P[k]];
			return s - c->clogc[(int64) n];
		default:
			return P[1] * P[1] / n;
	}
}

/*
 * Can a node be split: above the depth limit, with rows for two leaves, and
 * (classification) not pure?
 */
bool
CrmCartSplittable(const CrmCart *c, int node)
{
	const double *P = c->stats + (Size) node * c->W;
	double		n = CrmCartRows(c, P);
	int			k;

	if (c->nodes[node].depth >= c->max_depth || n < 2.0 * c->min_leaf)
		return false;
	if (c->classes)
		for (k = 0; k < c->W; k++)
			if (P[k] == n)
				return false;
	return true;
}

/* An empty candidate with room for its level set and left stats. */
void
CrmCartSplitInit(const CrmCart *c, CrmCartSplit *s)
{
	s->feature = -1;
	s->score = -INFINITY;
	s->threshold = 0.0;
	s->unseen_left = false;
	s->levels_left = palloc0(sizeof(uint64) * CRM_BITSET_WORDS(c->maxlevels));
	s->left = palloc0(sizeof(double) * c->W);
}

void
CrmCartSplitCopy(const CrmCart *c, CrmCartSplit *to, const CrmCartSplit *from)
{
	to->feature = from->feature;
	to->score = from->score;
	to->threshold = from->threshold;
	to->unseen_left = from->unseen_left;
	memcpy(to->levels_left, from->levels_left, sizeof(uint64) * CRM_BITSET_WORDS(c->maxlevels));
	memcpy(to->left, from->left, sizeof(double) * c->W);
}

/* The threshold between two consecutive values, as scikit-learn computes it. */
double
CrmCartMidpoint(double lo, double hi)
{
	double		t = lo / 2.0 + hi / 2.0;

	if (t == hi || isinf(t))
		t = lo;
	return t;
}

/*
 * The best threshold of a numeric feature for a node, from its distinct
 * values in ascending order with the stats of the node's rows at each:
 * replaces *best when strictly better.
 */
void
CrmCartBestNumeric(const CrmCart *c, int node, int feature, const double *values,
				   const double *stats, int nvalues, CrmCartSplit *best)
{
	const double *P = c->stats + (Size) node * c->W;
	double		n = CrmCartRows(c, P);
	double	   *L = c->cat_left;
	double		nL = 0.0;
	int			j,
				k;

	memset(L, 0, sizeof(double) * c->W);
	for (j = 0; j < nvalues - 1; j++)
	{
		const double *s = stats + (Size) j * c->W;
		double		nR,
					score;

		for (k = 0; k < c->W; k++)
			L[k] += s[k];
		nL += CrmCartRows(c, s);
		nR = n - nL;
		if (nL < c->min_leaf)
			continue;
		if (nR < c->min_leaf)
			break;
		score = CrmCartScore(c, L, P, nL, nR);
		if (score > best->score)
		{
			best->feature = feature;
			best->score = score;
			best->threshold = CrmCartMidpoint(values[j], values[j + 1]);
			memcpy(best->left, L, sizeof(double) * c->W);
		}
	}
}

/* Order of levels (int) by key (the double array arg), then level number. */
int
CrmTreeLevelCmp(const void *a, const void *b, void *arg)
{
	const double *key = (const double *) arg;
	int			la = *(const int *) a,
				lb = *(const int *) b;

	if (key[la] < key[lb])
		return -1;
	if (key[la] > key[lb])
		return 1;
	return (la > lb) - (la < lb);
}

/* Record a categorical candidate: left = the levels with bit set in inleft (over all levels). */
static void
CrmCartTakeCategorical(const CrmCart *c, const CrmFeature *f, int feature, const double *stats,
					   const bool *inleft, const double *L, double nL, double nR, double score,
					   CrmCartSplit *best)
{
	bool		larger_left = nL >= nR;
	int			l;

	best->feature = feature;
	best->score = score;
	best->unseen_left = larger_left;
	memset(best->levels_left, 0, sizeof(uint64) * CRM_BITSET_WORDS(c->maxlevels));
	for (l = 0; l < f->nlevels; l++)
	{
		bool		absent = CrmCartRows(c, stats + (Size) l * c->W) == 0;

		if (absent ? larger_left : inleft[l])
			best->levels_left[l >> 6] |= (uint64) 1 << (l & 63);
	}
	memcpy(best->left, L, sizeof(double) * c->W);
}

/* The prefixes of the present levels in order[0..np-1] as candidates. */
static void
CrmCartScanOrder(CrmCart *c, int node, int feature, const double *stats, const int32 *order,
				 int np, bool *inleft, CrmCartSplit *best)
{
	const CrmFeature *f = &c->m->features[feature];
	const double *P = c->stats + (Size) node * c->W;
	double		n = CrmCartRows(c, P);
	double	   *L = palloc0(sizeof(double) * c->W);
	double		nL = 0.0;
	int			j,
				k;

	for (j = 0; j < np - 1; j++)
	{
		const double *s = stats + (Size) order[j] * c->W;
		double		nR,
					score;

		for (k = 0; k < c->W; k++)
			L[k] += s[k];
		nL += CrmCartRows(c, s);
		nR = n - nL;
		if (nL < c->min_leaf || nR < c->min_leaf)
			continue;
		score = CrmCartScore(c, L, P, nL, nR);
		if (score > best->score)
		{
			memset(inleft, 0, sizeof(bool) * f->nlevels);
			for (k = 0; k <= j; k++)
				inleft[order[k]] = true;
			CrmCartTakeCategorical(c, f, feature, stats, inleft, L, nL, nR, score, best);
		}
	}
	pfree(L);
}

/*
 * The best subset of levels of a categorical feature for a node, from the
 * stats of the node's rows per level: replaces *best when strictly better.
 */
void
CrmCartBestCategorical(CrmCart *c, int node, int feature, const double *stats, CrmCartSplit *best)
{
	const CrmFeature *f = &c->m->features[feature];
	int32	   *order = c->cat_order;
	double	   *key = c->cat_key;
	bool	   *inleft = palloc0(sizeof(bool) * f->nlevels);
	int			np = 0,
				l,
				k;

	for (l = 0; l < f->nlevels; l++)
		if (CrmCartRows(c, stats + (Size) l * c->W) > 0)
			order[np++] = l;
	if (np < 2)
	{
		pfree(inleft);
		return;
	}
	if (!c->classes || c->W == 2)
	{
		/* Breiman: the levels by the mean of the target (the positive class's rate) */
		for (l = 0; l < np; l++)
		{
			const double *s = stats + (Size) order[l] * c->W;

			key[order[l]] = c->classes ? s[1] / (s[0] + s[1]) : s[1] / s[0];
		}
		qsort_arg(order, np, sizeof(int32), CrmTreeLevelCmp, key);
		CrmCartScanOrder(c, node, feature, stats, order, np, inleft, best);
	}
	else if (np <= CRM_CART_EXHAUSTIVE_LEVELS)
	{
		/* every subset: Gray code over the first np - 1 present levels */
		const double *P = c->stats + (Size) node * c->W;
		double		n = CrmCartRows(c, P);
		double	   *L = palloc0(sizeof(double) * c->W);
		double		nL = 0.0;
		uint32		i,
					code = 0;

		for (i = 1; i < ((uint32) 1 << (np - 1)); i++)
		{
			int			bit = pg_rightmost_one_pos32(i);
			const double *s = stats + (Size) order[bit] * c->W;
			double		sign,
						nR,
						score;

			CHECK_FOR_INTERRUPTS();
			code ^= (uint32) 1 << bit;
			sign = (code >> bit) & 1 ? 1.0 : -1.0;
			for (k = 0; k < c->W; k++)
				L[k] += sign * s[k];
			nL += sign * CrmCartRows(c, s);
			nR = n - nL;
			if (nL < c->min_leaf || nR < c->min_leaf)
				continue;
			score = CrmCartScore(c, L, P, nL, nR);
			if (score > best->score)
			{
				memset(inleft, 0, sizeof(bool) * f->nlevels);
				for (k = 0; k < np - 1; k++)
					inleft[order[k]] = (code >> k) & 1;
				CrmCartTakeCategorical(c, f, feature, stats, inleft, L, nL, nR, score, best);
			}
		}
		pfree(L);
	}
	else
	{
		/* many levels, more classes: the prefixes of each class's order */
		int32	   *present = palloc(sizeof(int32) * np);

		memcpy(present, order, sizeof(int32) * np);
		for (k = 0; k < c->W; k++)
		{
			CHECK_FOR_INTERRUPTS();
			memcpy(order, present, sizeof(int32) * np);
			for (l = 0; l < np; l++)
			{
				const double *s = stats + (Size) order[l] * c->W;

				key[order[l]] = s[k] / CrmCartRows(c, s);
			}
			qsort_arg(order, np, sizeof(int32), CrmTreeLevelCmp, key);
			CrmCartScanOrder(c, node, feature, stats, order, np, inleft, best);
		}
		pfree(present);
	}
	pfree(inleft);
}

/*
 * Split node with split when it lowers the impurity: the two children get
 * the split's stats; returns whether it split.
 */
bool
CrmCartApply(CrmCart *c, int node, const CrmCartSplit *split)
{
	double		n = CrmCartNodeRows(c, node);
	double		scale,
				gain;
	int			left,
				right,
				k;
	double	   *P,
			   *SL,
			   *SR;
	CrmTreeNode *nd;

	if (split->feature < 0)
		return false;
	gain = split->score - CrmCartNodeProxy(c, node);
	scale = c->classes ? n : Max(c->stats[(Size) node * c->W + 2], 1e-300);
	if (!(gain > CRM_CART_GAIN_EPS * scale))
		return false;
	left = CrmCartAddNode(c, c->nodes[node].depth + 1);
	right = CrmCartAddNode(c, c->nodes[node].depth + 1);
	nd = &c->nodes[node];
	nd->feature = split->feature;
	nd->left = left;
	nd->right = right;
	nd->gain = c->criterion == CRM_CRIT_ENTROPY ? gain / M_LN2 : gain;
	if (c->m->features[split->feature].type == CRM_FEATURE_NUMERIC)
		nd->threshold = split->threshold;
	else
	{
		int			words = CRM_BITSET_WORDS(c->m->features[split->feature].nlevels);

		nd->unseen_left = split->unseen_left;
		nd->levels_left = MemoryContextAlloc(c->ctx, sizeof(uint64) * words);
		memcpy(nd->levels_left, split->levels_left, sizeof(uint64) * words);
	}
	P = c->stats + (Size) node * c->W;
	SL = c->stats + (Size) left * c->W;
	SR = c->stats + (Size) right * c->W;
	for (k = 0; k < c->W; k++)
	{
		SL[k] = split->left[k];
		SR[k] = P[k] - split->left[k];
	}
	return true;
}

/*
 * The grown tree as the model's payload: rows, class counts or the mean
 * (shift added back), and each node's impurity.
 */
void
CrmCartFinish(CrmCart *c, CrmTreeModel *tm)
{
	CrmTree    *t = palloc0(sizeof(CrmTree));
	int64	   *counts = NULL;
	int			i,
				k;

	tm->criterion = c->criterion;
	tm->baseline = 0.0;
	tm->ntrees = 1;
	tm->trees = t;
	t->nnodes = c->nnodes;
	t->nodes = c->nodes;
	t->depth = 0;
	if (c->classes)
		counts = CrmMemoryAlloc(c->ctx, (Size) c->nnodes * c->W, sizeof(int64), c->fn, "the tree");
	for (i = 0; i < c->nnodes; i++)
	{
		CrmTreeNode *nd = &t->nodes[i];
		const double *P = c->stats + (Size) i * c->W;
		double		n = CrmCartRows(c, P);

		nd->rows = (int64) n;
		t->depth = Max(t->depth, nd->depth);
		if (c->classes)
		{
			double		imp = c->criterion == CRM_CRIT_GINI ? 1.0 : 0.0;

			nd->counts = counts + (Size) i * c->W;
			for (k = 0; k < c->W; k++)
			{
				double		p = P[k] / n;

				nd->counts[k] = (int64) P[k];
				if (c->criterion == CRM_CRIT_GINI)
					imp -= p * p;
				else if (p > 0)
					imp -= p * log2(p);
			}
			nd->impurity = Max(imp, 0.0);
			nd->value = 0.0;
		}
		else
		{
			double		mean = P[1] / n;

			nd->value = c->m->target.mean + mean;
			nd->impurity = Max(P[2] / n - mean * mean, 0.0);
		}
	}
	tm->depth = t->depth;
}
