/*
 * treeshap.c
 *		Exact Shapley values of a tree's prediction: TreeSHAP.
 *
 * Lundberg, Erion & Lee, "Consistent individualized feature attribution for
 * tree ensembles" (2018), Algorithm 2, and Lundberg et al., "From local
 * explanations to global understanding with explainable AI for trees",
 * Nature Machine Intelligence 2 (2020).  The value of a set S of features
 * is the tree's expected output given the row's values of S, where a split
 * on a feature outside S sends the row down both children in proportion to
 * their training rows (the "cover"); the Shapley values of that game are
 * computed in O(leaves x depth^2) by following, for every leaf, the
 * proportion of subsets of each size that reach it.  They are exact: for
 * every row, the expected value of the tree plus the contributions is the
 * tree's output, and on small trees they equal the Shapley formula summed
 * over all subsets (test/t/750_trees_reference.sh checks both).
 *
 * Splits are tests of one feature (a threshold, or a set of levels), so a
 * categorical split is handled like any other: the "hot" child is the one
 * the row goes to.  A feature split on twice along a path is unwound and
 * extended again (the algorithm's UNWIND), as in the paper.
 */
#include "postgres.h"

#include "tree.h"

/* One element of the path of unique features from the root. */
typedef struct CrmShapPath
{
	int			feature;		/* -1 for the root's element */
	double		zero;			/* fraction of the cover that flows here without the feature */
	double		one;			/* 1 when the row itself flows here, else 0 */
	double		weight;			/* proportion of subsets of each size */
} CrmShapPath;

typedef struct CrmShapState
{
	const CrmModel *m;
	const CrmTree *t;
	const double *leaf_value;	/* per node, or NULL for node->value */
	const CrmFeatureRow *row;
	double	   *phi;
} CrmShapState;

/* EXTEND: add a feature with fractions zero and one to the path of length depth. */
static void
CrmShapExtend(CrmShapPath *path, int depth, double zero, double one, int feature)
{
	int			i;

	path[depth].feature = feature;
	path[depth].zero = zero;
	path[depth].one = one;
	path[depth].weight = depth == 0 ? 1.0 : 0.0;
	for (i = depth - 1; i >= 0; i--)
	{
		path[i + 1].weight += one * path[i].weight * (i + 1) / (double) (depth + 1);
		path[i].weight = zero * path[i].weight * (depth - i) / (double) (depth + 1);
	}
}

/* UNWIND: remove element k from the path of length depth (depth + 1 elements). */
static void
CrmShapUnwind(CrmShapPath *path, int depth, int k)
{
	double		one = path[k].one;
	double		zero = path[k].zero;
	double		next = path[depth].weight;
	int			i;

	for (i = depth - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double		tmp = path[i].weight;

			path[i].weight = next * (depth + 1) / ((i + 1) * one);
			next = tmp - path[i].weight * zero * (depth - i) / (double) (depth + 1);
		}
		else
			path[i].weight = path[i].weight * (depth + 1) / (zero * (depth - i));
	}
	for (i = k; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero = path[i + 1].zero;
		path[i].one = path[i + 1].one;
	}
}

/* The total weight the path would have with element k unwound (without changing it). */
static double
CrmShapUnwoundSum(const CrmShapPath *path, int depth, int k)
{
	double		one = path[k].one;
	double		zero = path[k].zero;
	double		next = path[depth].weight;
	double		total = 0.0;
	int			i;

	for (i = depth - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double		tmp = next * (depth + 1) / ((i + 1) * one);

			total += tmp;
			next = path[i].weight - tmp * zero * ((depth - i) / (double) (depth + 1));
		}
		else if (zero != 0)
			total += (path[i].weight / zero) / ((depth - i) / (double) (depth + 1));
	}
	return total;
}

/*
 * RECURSE: node j reached with the parent's path (length depth), entering
 * through a split on feature with fractions zero and one.  Each level copies
 * the path into its own slot of the buffer, so the parent's stays intact.
 */
static void
CrmShapRecurse(CrmShapState *st, int j, CrmShapPath *parent_path, int depth,
			   double zero, double one, int feature)
{
	const CrmTreeNode *n = &st->t->nodes[j];
	CrmShapPath *path = parent_path + depth + 1;
	int			i;

	memcpy(path, parent_path, sizeof(CrmShapPath) * (depth + 1));
	CrmShapExtend(path, depth, zero, one, feature);
	if (n->feature < 0)
	{
		double		v = st->leaf_value ? st->leaf_value[j] : n->value;

		for (i = 1; i <= depth; i++)
		{
			double		w = CrmShapUnwoundSum(path, depth, i);

			st->phi[path[i].feature] += w * (path[i].one - path[i].zero) * v;
		}
		return;
	}
	{
		bool		left = CrmTreeGoesLeft(st->m, n, st->row);
		int			hot = left ? n->left : n->right;
		int			cold = left ? n->right : n->left;
		double		hot_zero = (double) st->t->nodes[hot].rows / (double) n->rows;
		double		cold_zero = (double) st->t->nodes[cold].rows / (double) n->rows;
		double		in_zero = 1.0,
					in_one = 1.0;
		int			k;

		/* a feature already on the path: undo it, to redo it here */
		for (k = 0; k <= depth; k++)
			if (path[k].feature == n->feature)
				break;
		if (k <= depth)
		{
			in_zero = path[k].zero;
			in_one = path[k].one;
			CrmShapUnwind(path, depth, k);
			depth--;
		}
		CrmShapRecurse(st, hot, path, depth + 1, hot_zero * in_zero, in_one, n->feature);
		CrmShapRecurse(st, cold, path, depth + 1, cold_zero * in_zero, 0.0, n->feature);
	}
}

/*
 * Add the TreeSHAP values of tree t for row to phi[feature].  leaf_value
 * gives the output of each node (NULL: node->value).
 */
void
CrmTreeShap(const CrmModel *m, const CrmTree *t, const double *leaf_value,
			const CrmFeatureRow *row, double *phi)
{
	CrmShapState st;
	int			maxd = t->depth + 2;
	CrmShapPath *buf;

	if (t->nodes[0].feature < 0)
		return;					/* a single leaf explains nothing */
	buf = palloc(sizeof(CrmShapPath) * (maxd * (maxd + 1) / 2 + maxd + 1));
	st.m = m;
	st.t = t;
	st.leaf_value = leaf_value;
	st.row = row;
	st.phi = phi;
	CrmShapRecurse(&st, 0, buf, 0, 1.0, 1.0, -1);
	pfree(buf);
}

/* The expected output of a tree: its leaves' values weighted by their training rows. */
double
CrmTreeExpectedValue(const CrmTree *t, const double *leaf_value)
{
	double		sum = 0.0;
	int			i;

	for (i = 0; i < t->nnodes; i++)
		if (t->nodes[i].feature < 0)
			sum += (double) t->nodes[i].rows *
				(leaf_value ? leaf_value[i] : t->nodes[i].value);
	return sum / (double) t->nodes[0].rows;
}
