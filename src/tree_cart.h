/*
 * tree_cart.h
 *		What the two growers of crm.decision_tree share (tree_split.c): the
 *		tree being grown, the criteria, and one node's best split from the
 *		statistics of its rows per distinct value or level.
 *
 * Statistics ("stats") are W doubles: the rows of each class for a
 * classification tree (W = classes; counts are exact in doubles up to
 * 2^53), or (rows, sum, sum of squares of the target) for a regression
 * tree (W = 3).
 *
 * A split is scored by a proxy of the children's impurity that is larger
 * when the children are purer (scikit-learn's proxy_impurity_improvement,
 * up to a constant of the node):
 *	Gini:			sum_k L_k^2 / nL + sum_k R_k^2 / nR
 *	entropy:		sum_k L_k ln L_k - nL ln nL + (the same for R)
 *	squared error:	sL^2 / nL + sR^2 / nR
 * and the impurity decrease of a split, its gain, is the proxy minus the
 * node's own (n x Gini, n x entropy or the sum of squared deviations lost).
 *
 * Ties: candidates are compared with a strict '>', visiting features in the
 * query's column order, numeric thresholds from the smallest, categorical
 * subsets in the order described in tree_split.c; so among equally good
 * splits the first feature and the smallest threshold win, on every run and
 * in both growers.
 */
#ifndef CRM_TREE_CART_H
#define CRM_TREE_CART_H

#include "tree.h"

/* Exhaustive search of categorical subsets with more than two classes up to this many levels. */
#define CRM_CART_EXHAUSTIVE_LEVELS	12

/* The best split found so far for a node. */
typedef struct CrmCartSplit
{
	int			feature;		/* -1: none */
	double		score;			/* the proxy: larger is better */
	double		threshold;		/* numeric */
	uint64	   *levels_left;	/* categorical: levels going left (maxlevels bits) */
	bool		unseen_left;
	double	   *left;			/* the stats of the rows going left (W) */
} CrmCartSplit;

typedef struct CrmCart
{
	const char *fn;
	CrmModel   *m;
	MemoryContext ctx;
	int			criterion;		/* CrmTreeCriterion */
	bool		classes;		/* classification */
	int			W;				/* doubles of stats */
	int			max_depth;
	int			min_leaf;
	int64		n;				/* training rows */
	double	   *clogc;			/* entropy: c ln c for c = 0..n */
	int			maxlevels;		/* most levels of a categorical feature */
	/* the tree: node i has the stats stats[i * W ...] */
	int			nnodes;
	int			capnodes;
	CrmTreeNode *nodes;
	double	   *stats;
	/* scratch of the categorical search */
	double	   *cat_key;
	int32	   *cat_order;
	double	   *cat_left;
} CrmCart;

/* Score of a split with left stats L of parent P (right = P - L). */
static inline double
CrmCartRows(const CrmCart *c, const double *stats)
{
	if (!c->classes)
		return stats[0];
	{
		double		n = 0.0;
		int			k;

		for (k = 0; k < c->W; k++)
			n += stats[k];
		return n;
	}
}

static inline double
CrmCartScore(const CrmCart *c, const double *L, const double *P, double nL, double nR)
{
	int			k;

	switch (c->criterion)
	{
		case CRM_CRIT_GINI:
			{
				double		sl = 0.0,
							sr = 0.0;

				for (k = 0; k < c->W; k++)
				{
					double		r = P[k] - L[k];

					sl += L[k] * L[k];
					sr += r * r;
				}
				return sl / nL + sr / nR;
			}
		case CRM_CRIT_ENTROPY:
			{
				double		s = -c->clogc[(int64) nL] - c->clogc[(int64) nR];

				for (k = 0; k < c->W; k++)
					s += c->clogc[(int64) L[k]] + c->clogc[(int64) (P[k] - L[k])];
				return s;
			}
		default:
			{
				double		sr = P[1] - L[1];

				return L[1] * L[1] / nL + sr * sr / nR;
			}
	}
}

/* tree_split.c */
extern void CrmCartInit(CrmCart *c, CrmModel *m, const char *fn, int criterion,
						int max_depth, int min_leaf, int64 n, MemoryContext ctx);
extern int	CrmCartAddNode(CrmCart *c, int depth);
extern double CrmCartNodeRows(const CrmCart *c, int node);
extern bool CrmCartSplittable(const CrmCart *c, int node);
extern void CrmCartSplitInit(const CrmCart *c, CrmCartSplit *s);
extern void CrmCartSplitCopy(const CrmCart *c, CrmCartSplit *to, const CrmCartSplit *from);
extern void CrmCartBestNumeric(const CrmCart *c, int node, int feature, const double *values,
							   const double *stats, int nvalues, CrmCartSplit *best);
extern void CrmCartBestCategorical(CrmCart *c, int node, int feature, const double *stats,
								   CrmCartSplit *best);
extern bool CrmCartApply(CrmCart *c, int node, const CrmCartSplit *split);
extern void CrmCartFinish(CrmCart *c, CrmTreeModel *tm);

/* tree_pass.c */
extern void CrmGrowByPasses(CrmCart *c, CrmTrainData *td);

#endif							/* CRM_TREE_CART_H */
