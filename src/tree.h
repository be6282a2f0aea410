/*
 * tree.h
 *		Decision trees and gradient-boosted trees: two kinds of crm.model
 *		sharing one representation of a tree.
 *
 * Files:
 *	tree.c			the two kinds (payload format, prediction, crm.model_json),
 *					crm.tree_rules and the impurity importance
 *	treeshap.c		exact TreeSHAP explanations (Lundberg et al. 2018/2020)
 *	tree_split.c	what both CART growers share: criteria, the categorical
 *					orderings, one node's best split from per-value counts
 *	tree_grow.c		crm.decision_tree: CART grown level by level, in memory
 *					over presorted columns
 *	tree_pass.c		the same growth with one pass over the caller's query per
 *					level, when the rows do not fit crm_analytics.max_memory
 *	boost.c			crm.boosted_trees: gradient boosting over histograms of
 *					at most 255 bins per feature, in memory or one pass per level
 */
#ifndef CRM_TREE_H
#define CRM_TREE_H

#include "model.h"

/* Deepest tree (max_depth); rules, explanations and decoding rely on it. */
#define CRM_TREE_MAX_DEPTH		30
/* Most trees of a boosted model. */
#define CRM_BOOST_MAX_TREES		10000
/* Bins of a numeric feature, and levels of a categorical one, in boosting. */
#define CRM_BOOST_MAX_BINS		255

/* Split criteria of decision trees (payload byte). */
typedef enum CrmTreeCriterion
{
	CRM_CRIT_GINI = 1,
	CRM_CRIT_ENTROPY = 2,
	CRM_CRIT_SQUARED_ERROR = 3
} CrmTreeCriterion;

/* Losses of boosted trees (payload byte). */
typedef enum CrmBoostLoss
{
	CRM_LOSS_LOG = 1,			/* binary log-loss, raw score = log-odds */
	CRM_LOSS_SQUARED = 2		/* squared error, raw score = the value */
} CrmBoostLoss;

/*
 * One node.  Nodes are numbered from the root (0) so that children come
 * after their parent; a leaf has feature -1.  A row goes left when its
 * numeric value is <= threshold, or when its level is in levels_left (a
 * level the training rows never had: when unseen_left).
 */
typedef struct CrmTreeNode
{
	int32		feature;
	int32		left;
	int32		right;
	bool		unseen_left;
	double		threshold;
	uint64	   *levels_left;	/* bitset over the feature's levels */
	int64		rows;			/* training rows reaching the node (the cover) */
	double		value;			/* regression: mean; boosting: raw score */
	double		impurity;		/* decision trees: Gini, entropy (bits) or variance */
	double		gain;			/* split: weighted impurity decrease, or loss reduction */
	int64	   *counts;			/* classification trees: rows per class */
	int32		depth;			/* derived: root 0 */
} CrmTreeNode;

typedef struct CrmTree
{
	int32		nnodes;
	CrmTreeNode *nodes;
	int32		depth;			/* derived: deepest leaf */
} CrmTree;

/* The payload of both kinds. */
typedef struct CrmTreeModel
{
	uint8		criterion;		/* CrmTreeCriterion, or CrmBoostLoss */
	double		baseline;		/* boosting: the raw score before the first tree */
	int32		ntrees;
	CrmTree    *trees;
	int32		depth;			/* derived: deepest tree */
} CrmTreeModel;

/* Does a row go to the left child of node n? */
static inline bool
CrmTreeGoesLeft(const CrmModel *m, const CrmTreeNode *n, const CrmFeatureRow *row)
{
	int			f = n->feature;

	if (m->features[f].type == CRM_FEATURE_NUMERIC)
		return row->value[f] <= n->threshold;
	if (row->level[f] < 0)
		return n->unseen_left;
	return (n->levels_left[row->level[f] >> 6] >> (row->level[f] & 63)) & 1;
}

/* The leaf a row reaches. */
static inline const CrmTreeNode *
CrmTreeLeaf(const CrmModel *m, const CrmTree *t, const CrmFeatureRow *row)
{
	const CrmTreeNode *n = &t->nodes[0];

	while (n->feature >= 0)
		n = &t->nodes[CrmTreeGoesLeft(m, n, row) ? n->left : n->right];
	return n;
}

/* uint64 words of a bitset over n levels */
#define CRM_BITSET_WORDS(n)		(((n) + 63) / 64)

/* tree.c */
extern CrmTreeModel *CrmTreeModelOf(const CrmModel *m);
extern const char *CrmTreeCriterionName(int criterion);
extern const char *CrmBoostLossName(int loss);

/* treeshap.c */
extern void CrmTreeShap(const CrmModel *m, const CrmTree *t, const double *leaf_value,
						const CrmFeatureRow *row, double *phi);
extern double CrmTreeExpectedValue(const CrmTree *t, const double *leaf_value);

/* tree_split.c: sorting, thresholds */
extern double CrmCartMidpoint(double lo, double hi);
extern uint64 CrmDoubleKey(double v);
extern void CrmRadixSort(uint64 *key, uint32 *idx, uint32 n, const char *fn);
extern int64 CrmSortValues(const double *v, uint32 n, uint32 *order, uint32 *rank,
						   double **distinct, MemoryContext ctx, const char *fn);

/* tree_grow.c, boost.c: argument checks shared by the training functions */
extern int	CrmTreeCheckDepth(FunctionCallInfo fcinfo, int argno);
extern int	CrmTreeCheckMinLeaf(FunctionCallInfo fcinfo, int argno);
extern void CrmTreeCheckFeatures(const CrmModel *m, const char *fn);
extern int	CrmTreeLevelCmp(const void *a, const void *b, void *arg);

#endif							/* CRM_TREE_H */
