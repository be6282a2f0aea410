/*
 * tree.c
 *		Decision trees and boosted trees as kinds of crm.model: their part of
 *		the binary format, prediction, explanation (treeshap.c), the JSON
 *		form, the impurity importance, and crm.tree_rules.
 *
 * Payload (the kind's part of the model format, model.c), both kinds:
 *
 *		uint8  criterion (decision tree: CrmTreeCriterion; boosting: CrmBoostLoss)
 *		float8 baseline (the raw score before the first tree; 0 for a decision tree)
 *		int32  ntrees (1 for a decision tree), then per tree:
 *		int32  nnodes, then per node, parents before children:
 *			int32 feature (-1: a leaf), int64 rows, float8 value, float8 impurity,
 *			classification trees: int64 rows per class,
 *			a split: int32 left, int32 right, float8 gain, then
 *				numeric feature: float8 threshold (value <= threshold goes left)
 *				categorical: uint8 unseen levels go left, the bitset of the
 *				levels going left (ceil(levels / 8) bytes, level 0 in bit 0)
 *
 * Decoding checks that the nodes form one tree rooted at node 0 no deeper
 * than CRM_TREE_MAX_DEPTH, that every node has rows and its children's rows
 * (and class counts) add up to its own, and every number and bit.
 *
 * Prediction: a decision tree gives the class frequencies of the leaf a row
 * reaches (P(class) = rows of the class / rows), or its mean; boosted trees
 * add the leaf values of every tree to the baseline: the log-odds of the
 * positive class (log-loss), or the value (squared error).
 */
#include "postgres.h"

#include <math.h>

#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/tuplestore.h"

#include "tree.h"

PG_FUNCTION_INFO_V1(tree_rules);

/* The tree payload of a model of either kind. */
CrmTreeModel *
CrmTreeModelOf(const CrmModel *m)
{
	if (m->kind != CRM_MODEL_DECISION_TREE && m->kind != CRM_MODEL_BOOSTED_TREES)
		elog(ERROR, "not a tree model");
	return (CrmTreeModel *) m->payload;
}

const char *
CrmTreeCriterionName(int criterion)
{
	switch (criterion)
	{
		case CRM_CRIT_GINI:
			return "gini";
		case CRM_CRIT_ENTROPY:
			return "entropy";
		case CRM_CRIT_SQUARED_ERROR:
			return "squared_error";
	}
	return "unknown";
}

const char *
CrmBoostLossName(int loss)
{
	switch (loss)
	{
		case CRM_LOSS_LOG:
			return "log_loss";
		case CRM_LOSS_SQUARED:
			return "squared_error";
	}
	return "unknown";
}

/* Does the model keep class counts in its nodes (a classification tree)? */
static inline bool
CrmTreeHasCounts(const CrmModel *m)
{
	return m->kind == CRM_MODEL_DECISION_TREE && m->target.type == CRM_TARGET_CLASSES;
}

/* ----------------------------------------------------------------------
 * The payload
 * ---------------------------------------------------------------------- */

static void
CrmTreeWrite(StringInfo buf, const CrmModel *m)
{
	const CrmTreeModel *tm = CrmTreeModelOf(m);
	bool		counts = CrmTreeHasCounts(m);
	int			t,
				i,
				k;

	pq_sendbyte(buf, tm->criterion);
	pq_sendfloat8(buf, tm->baseline);
	pq_sendint32(buf, tm->ntrees);
	for (t = 0; t < tm->ntrees; t++)
	{
		const CrmTree *tree = &tm->trees[t];

		pq_sendint32(buf, tree->nnodes);
		for (i = 0; i < tree->nnodes; i++)
		{
			const CrmTreeNode *n = &tree->nodes[i];

			pq_sendint32(buf, n->feature);
			pq_sendint64(buf, n->rows);
			pq_sendfloat8(buf, n->value);
			pq_sendfloat8(buf, n->impurity);
			if (counts)
				for (k = 0; k < m->target.nlevels; k++)
					pq_sendint64(buf, n->counts[k]);
			if (n->feature < 0)
				continue;
			pq_sendint32(buf, n->left);
			pq_sendint32(buf, n->right);
			pq_sendfloat8(buf, n->gain);
			if (m->features[n->feature].type == CRM_FEATURE_NUMERIC)
				pq_sendfloat8(buf, n->threshold);
			else
			{
				int			nlevels = m->features[n->feature].nlevels;

				pq_sendbyte(buf, n->unseen_left ? 1 : 0);
				for (k = 0; k < (nlevels + 7) / 8; k++)
					pq_sendbyte(buf, (uint8) (n->levels_left[k / 8] >> (8 * (k % 8))));
			}
		}
	}
}

/* Read one tree, checking its shape. */
static void
CrmTreeReadOne(StringInfo buf, CrmModel *m, CrmTree *tree)
{
	bool		counts = CrmTreeHasCounts(m);
	int			nclasses = counts ? m->target.nlevels : 0;
	int32	   *parent;
	int64	   *countbuf = NULL;
	int			i,
				k;

	tree->nnodes = CrmModelReadCount(buf, INT32_MAX / 2, 28 + 8 * nclasses, "tree node");
	if (tree->nnodes < 1)
		CrmModelCorrupt("A tree has no nodes.");
	tree->nodes = palloc0(sizeof(CrmTreeNode) * tree->nnodes);
	parent = palloc(sizeof(int32) * tree->nnodes);
	for (i = 0; i < tree->nnodes; i++)
		parent[i] = -1;
	if (counts)
		countbuf = palloc(sizeof(int64) * (Size) tree->nnodes * nclasses);
	tree->depth = 0;
	for (i = 0; i < tree->nnodes; i++)
	{
		CrmTreeNode *n = &tree->nodes[i];

		if (buf->len - buf->cursor < 28)
			CrmModelCorrupt("The value ends inside a tree node.");
		n->feature = (int32) pq_getmsgint(buf, 4);
		if (n->feature < -1 || n->feature >= m->nfeatures)
			CrmModelCorrupt(psprintf("Tree node %d splits on feature %d, which does not exist.", i, n->feature));
		n->rows = pq_getmsgint64(buf);
		if (n->rows < 1)
			CrmModelCorrupt(psprintf("Tree node %d has no rows.", i));
		n->value = CrmModelReadDouble(buf, true, "a node value");
		n->impurity = CrmModelReadDouble(buf, true, "a node impurity");
		if (n->impurity < 0)
			CrmModelCorrupt("A node impurity is negative.");
		if (counts)
		{
			int64		sum = 0;

			n->counts = countbuf + (Size) i * nclasses;
			if (buf->len - buf->cursor < 8 * nclasses)
				CrmModelCorrupt("The value ends inside a tree node.");
			for (k = 0; k < nclasses; k++)
			{
				n->counts[k] = pq_getmsgint64(buf);
				if (n->counts[k] < 0 || n->counts[k] > n->rows)
					CrmModelCorrupt("A class count of a tree node is out of range.");
				sum += n->counts[k];
			}
			if (sum != n->rows)
				CrmModelCorrupt("The class counts of a tree node do not add up to its rows.");
		}
		if (i > 0 && parent[i] < 0)
			CrmModelCorrupt(psprintf("Tree node %d is not the child of an earlier node.", i));
		n->depth = i == 0 ? 0 : tree->nodes[parent[i]].depth + 1;
		if (n->depth > CRM_TREE_MAX_DEPTH)
			CrmModelCorrupt("A tree is deeper than any tree crm_analytics grows.");
		tree->depth = Max(tree->depth, n->depth);
		if (n->feature < 0)
		{
			n->left = n->right = -1;
			continue;
		}
		if (buf->len - buf->cursor < 16)
			CrmModelCorrupt("The value ends inside a tree node.");
		n->left = (int32) pq_getmsgint(buf, 4);
		n->right = (int32) pq_getmsgint(buf, 4);
		if (n->left <= i || n->right <= i || n->left >= tree->nnodes || n->right >= tree->nnodes ||
			n->left == n->right || parent[n->left] >= 0 || parent[n->right] >= 0)
			CrmModelCorrupt(psprintf("The children of tree node %d are not valid nodes.", i));
		parent[n->left] = parent[n->right] = i;
		n->gain = CrmModelReadDouble(buf, true, "a split gain");
		if (n->gain < 0)
			CrmModelCorrupt("A split gain is negative.");
		if (m->features[n->feature].type == CRM_FEATURE_NUMERIC)
			n->threshold = CrmModelReadDouble(buf, true, "a split threshold");
		else
		{
			int			nlevels = m->features[n->feature].nlevels;
			int			flag = CrmModelReadByte(buf, "a split");

			if (flag != 0 && flag != 1)
				CrmModelCorrupt("A split's unseen-level direction is neither 0 nor 1.");
			n->unseen_left = flag == 1;
			n->levels_left = palloc0(sizeof(uint64) * CRM_BITSET_WORDS(nlevels));
			for (k = 0; k < (nlevels + 7) / 8; k++)
			{
				uint8		byte = CrmModelReadByte(buf, "a split's levels");

				if (k == (nlevels + 7) / 8 - 1 && nlevels % 8 != 0 && (byte >> (nlevels % 8)) != 0)
					CrmModelCorrupt("A split sends levels that do not exist to the left.");
				n->levels_left[k / 8] |= (uint64) byte << (8 * (k % 8));
			}
		}
	}
	/* rows (and class counts) of the children add up to their parent's */
	for (i = 0; i < tree->nnodes; i++)
	{
		const CrmTreeNode *n = &tree->nodes[i];

		if (n->feature < 0)
			continue;
		if (tree->nodes[n->left].rows + tree->nodes[n->right].rows != n->rows)
			CrmModelCorrupt(psprintf("The rows of the children of tree node %d do not add up to its rows.", i));
		if (counts)
			for (k = 0; k < nclasses; k++)
				if (tree->nodes[n->left].counts[k] + tree->nodes[n->right].counts[k] != n->counts[k])
					CrmModelCorrupt(psprintf("The class counts of the children of tree node %d do not add up.", i));
	}
	pfree(parent);
}

static void
CrmTreeRead(StringInfo buf, CrmModel *m)
{
	CrmTreeModel *tm = palloc0(sizeof(CrmTreeModel));
	bool		classes = m->target.type == CRM_TARGET_CLASSES;
	int			t;

	tm->criterion = CrmModelReadByte(buf, "the criterion");
	if (m->kind == CRM_MODEL_DECISION_TREE)
	{
		if (classes ? !(tm->criterion == CRM_CRIT_GINI || tm->criterion == CRM_CRIT_ENTROPY)
			: tm->criterion != CRM_CRIT_SQUARED_ERROR)
			CrmModelCorrupt("Its split criterion does not fit its target.");
	}
	else if (tm->criterion != (classes ? CRM_LOSS_LOG : CRM_LOSS_SQUARED))
		CrmModelCorrupt("Its loss does not fit its target.");
	tm->baseline = CrmModelReadDouble(buf, true, "the baseline");
	tm->ntrees = CrmModelReadCount(buf, CRM_BOOST_MAX_TREES, 32, "tree");
	if (tm->ntrees < 1 || (m->kind == CRM_MODEL_DECISION_TREE && tm->ntrees != 1))
		CrmModelCorrupt(psprintf("It has %d trees.", tm->ntrees));
	tm->trees = palloc0(sizeof(CrmTree) * tm->ntrees);
	tm->depth = 0;
	for (t = 0; t < tm->ntrees; t++)
	{
		CHECK_FOR_INTERRUPTS();
		CrmTreeReadOne(buf, m, &tm->trees[t]);
		tm->depth = Max(tm->depth, tm->trees[t].depth);
	}
	m->payload = tm;
}

/* ----------------------------------------------------------------------
 * Prediction and explanation
 * ---------------------------------------------------------------------- */

/* The raw score of boosted trees: baseline plus every tree's leaf value. */
static double
CrmBoostRaw(const CrmModel *m, const CrmFeatureRow *row)
{
	const CrmTreeModel *tm = CrmTreeModelOf(m);
	double		raw = tm->baseline;
	int			t;

	for (t = 0; t < tm->ntrees; t++)
		raw += CrmTreeLeaf(m, &tm->trees[t], row)->value;
	return raw;
}

static void
CrmDecisionTreePredict(const CrmModel *m, const CrmFeatureRow *row, double *out)
{
	const CrmTreeNode *leaf = CrmTreeLeaf(m, &CrmTreeModelOf(m)->trees[0], row);
	int			k;

	if (m->target.type == CRM_TARGET_NUMERIC)
		out[0] = leaf->value;
	else
		for (k = 0; k < m->target.nlevels; k++)
			out[k] = (double) leaf->counts[k] / (double) leaf->rows;
}

static void
CrmBoostPredict(const CrmModel *m, const CrmFeatureRow *row, double *out)
{
	double		raw = CrmBoostRaw(m, row);

	if (m->target.type == CRM_TARGET_NUMERIC)
		out[0] = raw;
	else
	{
		out[1] = 1.0 / (1.0 + exp(-raw));
		out[0] = 1.0 / (1.0 + exp(raw));
	}
}

/*
 * The class a classification tree explains for a row: the positive class of
 * a binary target, else the most probable class of its leaf (the first on
 * ties, as crm.predict_label).
 */
static int
CrmDecisionTreeExplainedClass(const CrmModel *m, const CrmFeatureRow *row)
{
	const CrmTreeNode *leaf;
	int			best = 0,
				k;

	if (m->target.nlevels == 2)
		return 1;
	leaf = CrmTreeLeaf(m, &CrmTreeModelOf(m)->trees[0], row);
	for (k = 1; k < m->target.nlevels; k++)
		if (leaf->counts[k] > leaf->counts[best])
			best = k;
	return best;
}

/*
 * TreeSHAP of a decision tree, on the scale of its prediction: the
 * probability of the explained class, or the value.
 */
static void
CrmDecisionTreeExplain(const CrmModel *m, const CrmFeatureRow *row, double *base, double *contrib)
{
	const CrmTree *t = &CrmTreeModelOf(m)->trees[0];
	double	   *leaf_value = NULL;
	int			f;

	if (m->target.type == CRM_TARGET_CLASSES)
	{
		int			k = CrmDecisionTreeExplainedClass(m, row);
		int			i;

		leaf_value = palloc(sizeof(double) * t->nnodes);
		for (i = 0; i < t->nnodes; i++)
			leaf_value[i] = (double) t->nodes[i].counts[k] / (double) t->nodes[i].rows;
	}
	for (f = 0; f < m->nfeatures; f++)
		contrib[f] = 0.0;
	*base = CrmTreeExpectedValue(t, leaf_value);
	CrmTreeShap(m, t, leaf_value, row, contrib);
	if (leaf_value)
		pfree(leaf_value);
}

/* TreeSHAP of boosted trees on the raw scale (log-odds, or the value). */
static void
CrmBoostExplain(const CrmModel *m, const CrmFeatureRow *row, double *base, double *contrib)
{
	const CrmTreeModel *tm = CrmTreeModelOf(m);
	int			t,
				f;

	for (f = 0; f < m->nfeatures; f++)
		contrib[f] = 0.0;
	*base = tm->baseline;
	for (t = 0; t < tm->ntrees; t++)
	{
		*base += CrmTreeExpectedValue(&tm->trees[t], NULL);
		CrmTreeShap(m, &tm->trees[t], NULL, row, contrib);
	}
}

/* Impurity importance: the gains of the splits on each feature, every tree. */
static void
CrmTreeImportance(const CrmModel *m, double *importance)
{
	const CrmTreeModel *tm = CrmTreeModelOf(m);
	int			t,
				i;

	for (t = 0; t < tm->ntrees; t++)
		for (i = 0; i < tm->trees[t].nnodes; i++)
		{
			const CrmTreeNode *n = &tm->trees[t].nodes[i];

			if (n->feature >= 0)
				importance[n->feature] += n->gain;
		}
}

/* ----------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------- */

/* The levels of a bitset as a JSON array of texts (null for the NULL level). */
static void
CrmJsonLevelSet(StringInfo out, const CrmFeature *f, const uint64 *bits)
{
	bool		first = true;
	int			l;

	appendStringInfoChar(out, '[');
	for (l = 0; l < f->nlevels; l++)
		if ((bits[l >> 6] >> (l & 63)) & 1)
		{
			if (!first)
				appendStringInfoString(out, ", ");
			CrmJsonString(out, f->levels[l]);
			first = false;
		}
	appendStringInfoChar(out, ']');
}

static void
CrmJsonTree(StringInfo out, const CrmModel *m, const CrmTree *t)
{
	bool		counts = CrmTreeHasCounts(m);
	int			i,
				k;

	appendStringInfoChar(out, '[');
	for (i = 0; i < t->nnodes; i++)
	{
		const CrmTreeNode *n = &t->nodes[i];

		if (i)
			appendStringInfoString(out, ", ");
		appendStringInfo(out, "{\"id\": %d, \"depth\": %d, \"rows\": " INT64_FORMAT, i, n->depth, n->rows);
		if (counts)
		{
			appendStringInfoString(out, ", \"counts\": [");
			for (k = 0; k < m->target.nlevels; k++)
				appendStringInfo(out, "%s" INT64_FORMAT, k ? ", " : "", n->counts[k]);
			appendStringInfoChar(out, ']');
		}
		else
		{
			appendStringInfoString(out, ", \"value\": ");
			CrmJsonNumber(out, n->value);
		}
		if (m->kind == CRM_MODEL_DECISION_TREE)
		{
			appendStringInfoString(out, ", \"impurity\": ");
			CrmJsonNumber(out, n->impurity);
		}
		if (n->feature >= 0)
		{
			const CrmFeature *f = &m->features[n->feature];

			appendStringInfoString(out, ", \"feature\": ");
			CrmJsonString(out, f->name);
			if (f->type == CRM_FEATURE_NUMERIC)
			{
				appendStringInfoString(out, ", \"threshold\": ");
				CrmJsonNumber(out, n->threshold);
			}
			else
			{
				appendStringInfoString(out, ", \"levels_left\": ");
				CrmJsonLevelSet(out, f, n->levels_left);
				appendStringInfo(out, ", \"unseen\": \"%s\"", n->unseen_left ? "left" : "right");
			}
			appendStringInfoString(out, ", \"gain\": ");
			CrmJsonNumber(out, n->gain);
			appendStringInfo(out, ", \"left\": %d, \"right\": %d", n->left, n->right);
		}
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
}

static void
CrmDecisionTreeJson(StringInfo out, const CrmModel *m)
{
	const CrmTreeModel *tm = CrmTreeModelOf(m);

	appendStringInfoString(out, "\"criterion\": ");
	CrmJsonString(out, CrmTreeCriterionName(tm->criterion));
	appendStringInfo(out, ", \"depth\": %d, \"nodes\": ", tm->trees[0].depth);
	CrmJsonTree(out, m, &tm->trees[0]);
}

static void
CrmBoostJson(StringInfo out, const CrmModel *m)
{
	const CrmTreeModel *tm = CrmTreeModelOf(m);
	int			t;

	appendStringInfoString(out, "\"loss\": ");
	CrmJsonString(out, CrmBoostLossName(tm->criterion));
	appendStringInfoString(out, ", \"baseline\": ");
	CrmJsonNumber(out, tm->baseline);
	appendStringInfoString(out, ", \"trees\": [");
	for (t = 0; t < tm->ntrees; t++)
	{
		CHECK_FOR_INTERRUPTS();
		if (t)
			appendStringInfoString(out, ", ");
		CrmJsonTree(out, m, &tm->trees[t]);
	}
	appendStringInfoChar(out, ']');
}

const CrmModelKindOps CrmDecisionTreeOps = {
	.kind = CRM_MODEL_DECISION_TREE,
	.name = "decision_tree",
	.target = 0,
	.max_classes = CRM_MODEL_MAX_LEVELS,
	.write_payload = CrmTreeWrite,
	.read_payload = CrmTreeRead,
	.prepare = NULL,
	.predict = CrmDecisionTreePredict,
	.explain = CrmDecisionTreeExplain,
	.json_payload = CrmDecisionTreeJson,
	.importance = CrmTreeImportance
};

const CrmModelKindOps CrmBoostedTreesOps = {
	.kind = CRM_MODEL_BOOSTED_TREES,
	.name = "boosted_trees",
	.target = 0,
	.max_classes = 2,
	.write_payload = CrmTreeWrite,
	.read_payload = CrmTreeRead,
	.prepare = NULL,
	.predict = CrmBoostPredict,
	.explain = CrmBoostExplain,
	.json_payload = CrmBoostJson,
	.importance = CrmTreeImportance
};

/* ----------------------------------------------------------------------
 * crm.tree_rules
 * ---------------------------------------------------------------------- */

/* What the path to a leaf says about one feature. */
typedef struct CrmRuleTerm
{
	int			feature;
	double		lo;				/* numeric: value > lo */
	double		hi;				/* numeric: value <= hi */
	uint64	   *allowed;		/* categorical: levels that reach the leaf */
} CrmRuleTerm;

/* A level list "('a', 'b')". */
static void
CrmRuleLevelList(StringInfo s, const CrmFeature *f, const uint64 *bits, bool want)
{
	bool		first = true;
	int			l;

	appendStringInfoChar(s, '(');
	for (l = 0; l < f->nlevels; l++)
		if (f->levels[l] != NULL && (((bits[l >> 6] >> (l & 63)) & 1) != 0) == want)
		{
			if (!first)
				appendStringInfoString(s, ", ");
			appendStringInfoString(s, quote_literal_cstr(f->levels[l]));
			first = false;
		}
	appendStringInfoChar(s, ')');
}

/* The condition of one term, as SQL. */
static void
CrmRuleTermText(StringInfo s, const CrmModel *m, const CrmRuleTerm *term)
{
	const CrmFeature *f = &m->features[term->feature];
	const char *name = quote_identifier(f->name);

	if (f->type == CRM_FEATURE_NUMERIC)
	{
		if (term->lo > -INFINITY)
			appendStringInfo(s, "%s > %s", name, float8out_internal(term->lo));
		if (term->lo > -INFINITY && term->hi < INFINITY)
			appendStringInfoString(s, " AND ");
		if (term->hi < INFINITY)
			appendStringInfo(s, "%s <= %s", name, float8out_internal(term->hi));
	}
	else
	{
		int			in = 0,
					out = 0,
					l;
		bool		null_level = f->levels[f->nlevels - 1] == NULL;
		bool		null_in = null_level &&
			((term->allowed[(f->nlevels - 1) >> 6] >> ((f->nlevels - 1) & 63)) & 1);

		for (l = 0; l < f->nlevels - (null_level ? 1 : 0); l++)
		{
			if ((term->allowed[l >> 6] >> (l & 63)) & 1)
				in++;
			else
				out++;
		}
		if (in == 0)
			appendStringInfo(s, "%s IS NULL", name);
		else
		{
			if (null_in)
				appendStringInfoChar(s, '(');
			if (in <= out)
			{
				appendStringInfo(s, "%s IN ", name);
				CrmRuleLevelList(s, f, term->allowed, true);
			}
			else
			{
				appendStringInfo(s, "%s NOT IN ", name);
				CrmRuleLevelList(s, f, term->allowed, false);
			}
			if (null_in)
				appendStringInfo(s, " OR %s IS NULL)", name);
		}
	}
}

/* The rule of the path path[0..depth-1] (node numbers) ending at a leaf. */
static char *
CrmRuleText(const CrmModel *m, const CrmTree *t, const int32 *path, int depth)
{
	CrmRuleTerm *terms = palloc0(sizeof(CrmRuleTerm) * Max(depth, 1));
	int			nterms = 0;
	StringInfoData s;
	int			d,
				j,
				w;

	for (d = 0; d < depth; d++)
	{
		const CrmTreeNode *n = &t->nodes[path[d]];
		bool		left = path[d + 1] == n->left;
		const CrmFeature *f = &m->features[n->feature];
		CrmRuleTerm *term = NULL;

		for (j = 0; j < nterms; j++)
			if (terms[j].feature == n->feature)
				term = &terms[j];
		if (term == NULL)
		{
			term = &terms[nterms++];
			term->feature = n->feature;
			term->lo = -INFINITY;
			term->hi = INFINITY;
			if (f->type == CRM_FEATURE_CATEGORICAL)
			{
				term->allowed = palloc(sizeof(uint64) * CRM_BITSET_WORDS(f->nlevels));
				for (w = 0; w < CRM_BITSET_WORDS(f->nlevels); w++)
					term->allowed[w] = ~(uint64) 0;
			}
		}
		if (f->type == CRM_FEATURE_NUMERIC)
		{
			if (left)
				term->hi = Min(term->hi, n->threshold);
			else
				term->lo = Max(term->lo, n->threshold);
		}
		else
			for (w = 0; w < CRM_BITSET_WORDS(f->nlevels); w++)
				term->allowed[w] &= left ? n->levels_left[w] : ~n->levels_left[w];
	}
	initStringInfo(&s);
	for (j = 0; j < nterms; j++)
	{
		if (j)
			appendStringInfoString(&s, " AND ");
		CrmRuleTermText(&s, m, &terms[j]);
	}
	if (nterms == 0)
		appendStringInfoString(&s, "TRUE");
	return s.data;
}

/*
 * crm.tree_rules(model): one row per leaf of every tree, left to right: the
 * path as a SQL condition, the training rows, the prediction (the positive
 * class's rate, the probability of the most probable class with more
 * classes, the mean, or a boosted tree's leaf value), the most probable
 * class, the depth and the tree.
 */
Datum
tree_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CrmModel   *m = CrmModelFromArg(fcinfo, 0);
	const CrmTreeModel *tm;
	int			t;

	if (m->kind != CRM_MODEL_DECISION_TREE && m->kind != CRM_MODEL_BOOSTED_TREES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.tree_rules needs a decision_tree or boosted_trees model"),
				 errdetail("The model is a %s.", CrmModelKindOpsFor(m->kind)->name),
				 errhint("Use crm.model_coefficients for a regression.")));
	tm = CrmTreeModelOf(m);
	InitMaterializedSRF(fcinfo, 0);
	for (t = 0; t < tm->ntrees; t++)
	{
		const CrmTree *tree = &tm->trees[t];
		int32		path[CRM_TREE_MAX_DEPTH + 2];
		int32		stack[CRM_TREE_MAX_DEPTH + 2];
		int			sp = 0,
					leaf = 0;

		CHECK_FOR_INTERRUPTS();
		/* depth-first, left before right: stack[] holds nodes still to visit */
		stack[sp++] = 0;
		while (sp > 0)
		{
			int			i = stack[--sp];
			const CrmTreeNode *n = &tree->nodes[i];

			path[n->depth] = i;
			if (n->feature >= 0)
			{
				stack[sp++] = n->right;
				stack[sp++] = n->left;
				continue;
			}
			{
				Datum		values[7];
				bool		nulls[7] = {false, false, false, false, true, false, false};

				values[0] = Int32GetDatum(++leaf);
				values[1] = CStringGetTextDatum(CrmRuleText(m, tree, path, n->depth));
				values[2] = Int64GetDatum(n->rows);
				if (n->counts != NULL)
				{
					int			best = 0,
								k;

					for (k = 1; k < m->target.nlevels; k++)
						if (n->counts[k] > n->counts[best])
							best = k;
					/* two classes: the label crm.predict_label gives (rate >= 0.5) */
					if (m->target.nlevels == 2)
						best = 2 * n->counts[1] >= n->rows ? 1 : 0;
					k = m->target.nlevels == 2 ? 1 : best;
					values[3] = Float8GetDatum((double) n->counts[k] / (double) n->rows);
					nulls[4] = false;
					values[4] = CStringGetTextDatum(m->target.levels[best]);
				}
				else
					values[3] = Float8GetDatum(n->value);
				values[5] = Int32GetDatum(n->depth);
				values[6] = Int32GetDatum(t + 1);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	}
	return (Datum) 0;
}
