/*
 * boost.c
 *		crm.boosted_trees: gradient boosting of regression trees (Friedman,
 *		"Greedy function approximation: a gradient boosting machine", Annals
 *		of Statistics 2001) with second-order leaf values and split gains
 *		(Chen & Guestrin, XGBoost, KDD 2016) found on histograms of binned
 *		features (Ke et al., LightGBM, NeurIPS 2017; scikit-learn's
 *		HistGradientBoosting).
 *
 * Loss: binary log-loss on the log-odds (gradient p - y, hessian p(1 - p)),
 * or squared error on the value (gradient f - y, hessian 1).  The first
 * raw score is the log-odds of the training rate, or the training mean.
 * Each tree grows depth-wise to max_depth; a node splits where
 * GL^2/HL + GR^2/HR - G^2/H is largest over every feature and bin boundary,
 * each child keeping min_leaf rows and a hessian of 1e-3; a leaf's value is
 * -G/H times the learning rate.
 *
 * Bins: a numeric feature with at most 255 distinct values in the binning
 * sample gets one bin per value (edges at the midpoints); otherwise 255
 * bins between the sample's quantiles at j/255 (midpoint interpolation, as
 * scikit-learn's np.percentile(method="midpoint")).  The sample is the
 * 200,000 rows with the smallest hash of their values (all rows when fewer),
 * so it does not depend on the order the query returns them in.  A
 * categorical feature has one bin per level (at most 255) and splits into
 * two sets of levels ordered by G/H (Fisher's ordering, as LightGBM does);
 * levels absent from a node, and unseen levels, go to the larger child.
 *
 * Subsampling and the held-out rows of early stopping are decided by a
 * hash of the row's values and the seed (rows with equal values share their
 * fate), so they too do not depend on row order, and the same call gives the
 * same model in memory and with passes over the query.  Early stopping
 * (validation_fraction > 0) keeps the trees up to the best loss on the
 * held-out rows, after CRM_BOOST_PATIENCE trees without an improvement
 * larger than 1e-7.
 *
 * In memory (the binned rows cost one byte per value and about 48 per row)
 * each node's histogram is built from its rows only, for the smaller child
 * of each split, the larger one being its parent's minus it (LightGBM's
 * subtraction); the root's is one sequential scan.  Otherwise boost_pass.c
 * builds the same histograms with one pass over the training rows per level.
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "boost.h"

PG_FUNCTION_INFO_V1(boosted_trees);

/* ----------------------------------------------------------------------
 * Row hashes and bins
 * ---------------------------------------------------------------------- */

/* A hash of row i of a batch: its features in order, then its target. */
uint64
CrmBoostRowHash(const CrmBoost *b, const CrmTrainBatch *batch, int i)
{
	uint64		h = UINT64CONST(0x9e3779b97f4a7c15);
	int			f;

	for (f = 0; f < b->F; f++)
	{
		uint64		v;

		if (b->m->features[f].type == CRM_FEATURE_NUMERIC)
			v = CrmDoubleKey(batch->num[b->kslot[f]][i]);
		else
			v = (uint64) (uint32) batch->cat[b->kslot[f]][i];
		h = CrmMix64(h ^ v) + (uint64) f;
	}
	return CrmMix64(h ^ CrmDoubleKey(batch->y[i]));
}

/* The binning sample: a max-heap of the rows with the smallest hashes. */
typedef struct CrmBinSample
{
	CrmBoost   *b;
	int			nnum;
	int		   *num_feature;
	int			cap;
	int			size;
	uint64	   *hash;			/* heap of hashes (largest first) */
	double	   *values;			/* nnum values per heap entry */
	double	   *tmp;
	/* the training rows (not held out): count and sum of the target */
	int64		ntrain;
	int64		nvalid;
	double		ysum;
	int64		ypos;
} CrmBinSample;

static void
CrmBinSampleSift(CrmBinSample *s, int i)
{
	int			nn = s->nnum;

	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					m = i;

		if (l < s->size && s->hash[l] > s->hash[m])
			m = l;
		if (r < s->size && s->hash[r] > s->hash[m])
			m = r;
		if (m == i)
			break;
		{
			uint64		th = s->hash[i];

			s->hash[i] = s->hash[m];
			s->hash[m] = th;
			memcpy(s->tmp, s->values + (Size) i * nn, sizeof(double) * nn);
			memcpy(s->values + (Size) i * nn, s->values + (Size) m * nn, sizeof(double) * nn);
			memcpy(s->values + (Size) m * nn, s->tmp, sizeof(double) * nn);
		}
		i = m;
	}
}

static void
CrmBinSampleBatch(const CrmTrainBatch *batch, void *arg)
{
	CrmBinSample *s = (CrmBinSample *) arg;
	CrmBoost   *b = s->b;
	int			i,
				k;

	for (i = 0; i < batch->nrows; i++)
	{
		uint64		h = CrmBoostRowHash(b, batch, i);

		if (CrmBoostHeldOut(b, h))
			s->nvalid++;
		else
		{
			s->ntrain++;
			s->ysum += batch->y[i];
			if (batch->y[i] == 1.0)
				s->ypos++;
		}
		if (s->nnum == 0)
			continue;
		if (s->size < s->cap)
		{
			/* add, then restore the heap upwards */
			int			j = s->size++;

			s->hash[j] = h;
			for (k = 0; k < s->nnum; k++)
				s->values[(Size) j * s->nnum + k] = batch->num[k][i];
			while (j > 0 && s->hash[(j - 1) / 2] < s->hash[j])
			{
				int			p = (j - 1) / 2;
				uint64		th = s->hash[p];

				s->hash[p] = s->hash[j];
				s->hash[j] = th;
				memcpy(s->tmp, s->values + (Size) p * s->nnum, sizeof(double) * s->nnum);
				memcpy(s->values + (Size) p * s->nnum, s->values + (Size) j * s->nnum, sizeof(double) * s->nnum);
				memcpy(s->values + (Size) j * s->nnum, s->tmp, sizeof(double) * s->nnum);
				j = p;
			}
		}
		else if (h < s->hash[0])
		{
			s->hash[0] = h;
			for (k = 0; k < s->nnum; k++)
				s->values[k] = batch->num[k][i];
			CrmBinSampleSift(s, 0);
		}
	}
}

/* Bin edges of every numeric feature from the sample; also the baseline. */
static void
CrmBoostBins(CrmBoost *b, CrmTrainData *td)
{
	CrmBinSample s;
	int		   *num_feature,
			   *cat_feature;
	int			ncat,
				k,
				f;

	memset(&s, 0, sizeof(s));
	s.b = b;
	s.nnum = CrmTrainNumeric(td, &num_feature);
	s.num_feature = num_feature;
	ncat = CrmTrainCategorical(td, &cat_feature);
	s.cap = (int) Min(CrmTrainRows(td), CRM_BOOST_BIN_SAMPLE);
	s.hash = CrmMemoryAlloc(CurrentMemoryContext, s.cap, sizeof(uint64), b->fn, "the binning sample");
	s.values = CrmMemoryAlloc(CurrentMemoryContext, (Size) s.cap * Max(s.nnum, 1), sizeof(double),
							  b->fn, "the binning sample");
	s.tmp = palloc(sizeof(double) * Max(s.nnum, 1));
	CrmTrainForEachBatch(td, CrmBinSampleBatch, &s);

	b->nbins = palloc0(sizeof(int) * b->F);
	b->thresholds = palloc0(sizeof(double *) * b->F);
	b->offset = palloc0(sizeof(int) * (b->F + 1));
	for (k = 0; k < ncat; k++)
		b->nbins[cat_feature[k]] = b->m->features[cat_feature[k]].nlevels;
	{
		double	   *col = palloc(sizeof(double) * Max(s.size, 1));
		uint32	   *order = palloc(sizeof(uint32) * Max(s.size, 1));

		for (k = 0; k < s.nnum; k++)
		{
			double	   *dv;
			double	   *edge = palloc(sizeof(double) * CRM_BOOST_MAX_BINS);
			int64		nd;
			int			ne = 0,
						j;

			CHECK_FOR_INTERRUPTS();
			f = num_feature[k];
			for (j = 0; j < s.size; j++)
				col[j] = s.values[(Size) j * s.nnum + k];
			nd = CrmSortValues(col, s.size, order, NULL, &dv, CurrentMemoryContext, b->fn);
			if (nd <= CRM_BOOST_MAX_BINS)
			{
				for (j = 0; j + 1 < nd; j++)
					edge[ne++] = CrmCartMidpoint(dv[j], dv[j + 1]);
			}
			else
			{
				/* quantiles at j/255 of the sorted sample, midpoint interpolation */
				for (j = 1; j < CRM_BOOST_MAX_BINS; j++)
				{
					double		pos = (double) (s.size - 1) * j / CRM_BOOST_MAX_BINS;
					double		lo = col[order[(int) floor(pos)]],
								hi = col[order[(int) ceil(pos)]];
					double		e = lo / 2.0 + hi / 2.0;

					if (ne == 0 || e > edge[ne - 1])
						edge[ne++] = e;
				}
				/* the largest value must not be an edge: it has a bin of its own above */
				while (ne > 0 && edge[ne - 1] >= dv[nd - 1])
					ne--;
			}
			b->thresholds[f] = edge;
			b->nbins[f] = ne + 1;
			pfree(dv);
		}
		pfree(col);
		pfree(order);
	}
	b->totalbins = 0;
	for (f = 0; f < b->F; f++)
	{
		b->offset[f] = b->totalbins;
		b->totalbins += b->nbins[f];
	}
	b->offset[b->F] = b->totalbins;
	pfree(s.hash);
	pfree(s.values);

	/* the training rows and the first raw score */
	b->train_rows = s.ntrain;
	b->valid_rows = s.nvalid;
	if (s.ntrain == 0 || (b->validation_fraction > 0 && s.nvalid == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("validation_fraction %g of %s leaves no %s rows", b->validation_fraction, b->fn,
						s.ntrain == 0 ? "training" : "held-out"),
				 errdetail(INT64_FORMAT " rows were held out of " INT64_FORMAT ".", s.nvalid, s.nvalid + s.ntrain),
				 errhint("Pass a validation_fraction that leaves rows on both sides, or 0 to train on every row.")));
	if (b->loss == CRM_LOSS_LOG)
	{
		double		p = (double) s.ypos / (double) s.ntrain;

		if (s.ypos == 0 || s.ypos == s.ntrain)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the training rows of %s (those not held out) have only one class", b->fn),
					 errhint("Lower validation_fraction, or check the target.")));
		b->baseline = log(p / (1.0 - p));
	}
	else
		b->baseline = s.ysum / (double) s.ntrain;
}

/* ----------------------------------------------------------------------
 * Growing one tree from histograms (both trainers)
 * ---------------------------------------------------------------------- */

/* A histogram (zeroed), checked against the budget. */
CrmHistBin *
CrmBoostHistAlloc(CrmBoost *b)
{
	CrmMemoryCheckContext(b->ctx, sizeof(CrmHistBin) * (Size) b->totalbins, b->fn, "the histograms");
	return MemoryContextAllocZero(b->ctx, sizeof(CrmHistBin) * (Size) b->totalbins);
}

static int
CrmBoostAddNode(CrmBoost *b, int depth, int parent)
{
	CrmBoostNode *nd;

	if (b->nnodes == b->capnodes)
	{
		b->capnodes *= 2;
		b->nodes = CrmMemoryRealloc(b->nodes, b->capnodes, sizeof(CrmBoostNode), b->fn, "the tree");
	}
	nd = &b->nodes[b->nnodes];
	memset(nd, 0, sizeof(CrmBoostNode));
	nd->depth = depth;
	nd->parent = parent;
	nd->feature = -1;
	nd->left = nd->right = -1;
	return b->nnodes++;
}

static inline bool
CrmBoostSplittable(const CrmBoost *b, const CrmBoostNode *nd)
{
	return nd->depth < b->max_depth && nd->n >= 2 * (int64) b->min_leaf &&
		nd->H >= 2 * CRM_BOOST_MIN_HESSIAN;
}

/*
 * A new tree: its root, whose histogram is to be built.  The last tree's
 * nodes (and their category bitsets in tree_ctx) stay valid until here: the
 * in-memory trainer scores the rows outside a tree's sample by them after
 * CrmBoostTreeFinish.
 */
void
CrmBoostTreeStart(CrmBoost *b)
{
	int			i;

	for (i = 0; i < b->nnodes; i++)
		if (b->nodes[i].hist)
			pfree(b->nodes[i].hist);
	MemoryContextReset(b->tree_ctx);
	b->nnodes = 0;
	(void) CrmBoostAddNode(b, 0, -1);
	b->nodes[0].build = true;
}

/* The root's sums, from its histogram (every row is in one bin of feature 0). */
void
CrmBoostRootSums(CrmBoost *b)
{
	CrmBoostNode *root = &b->nodes[0];
	int			j;

	root->G = root->H = 0.0;
	root->n = 0;
	for (j = 0; j < b->nbins[0]; j++)
	{
		root->G += root->hist[j].g;
		root->H += root->hist[j].h;
		root->n += root->hist[j].n;
	}
}

/*
 * The nodes of the level [first, last) whose histograms were not built get
 * their parent's minus their sibling's (in the parent's memory); built ones
 * that cannot split give theirs back.
 */
void
CrmBoostSubtract(CrmBoost *b, int first, int last)
{
	int			i,
				j;

	for (i = first; i < last; i++)
	{
		CrmBoostNode *nd = &b->nodes[i];
		CrmBoostNode *par,
				   *sib;

		if (nd->build || nd->hist || !CrmBoostSplittable(b, nd))
			continue;
		par = &b->nodes[nd->parent];
		sib = &b->nodes[par->left == i ? par->right : par->left];
		Assert(par->hist && sib->hist);
		for (j = 0; j < b->totalbins; j++)
		{
			par->hist[j].g -= sib->hist[j].g;
			par->hist[j].h -= sib->hist[j].h;
			par->hist[j].n -= sib->hist[j].n;
		}
		nd->hist = par->hist;
		par->hist = NULL;
	}
	for (i = first; i < last; i++)
	{
		CrmBoostNode *nd = &b->nodes[i];

		if (nd->hist && !CrmBoostSplittable(b, nd))
		{
			pfree(nd->hist);
			nd->hist = NULL;
		}
	}
	/* parents are done with */
	for (i = first; i < last; i++)
	{
		int			p = b->nodes[i].parent;

		if (p >= 0 && b->nodes[p].hist)
		{
			pfree(b->nodes[p].hist);
			b->nodes[p].hist = NULL;
		}
	}
}

/* The split of the rows of node i: the best over features and bin boundaries, or none. */
static void
CrmBoostBestSplit(CrmBoost *b, int i)
{
	CrmBoostNode *nd = &b->nodes[i];
	double		G = nd->G,
				H = nd->H;
	int64		n = nd->n;
	double		parent = G * G / H;
	double		best = -INFINITY;
	int			best_f = -1,
				best_bin = -1;
	double		bGL = 0,
				bHL = 0;
	int64		bnL = 0;
	int			order[CRM_BOOST_MAX_BINS];
	int			best_order[CRM_BOOST_MAX_BINS];
	double		key[CRM_BOOST_MAX_BINS];
	int			f,
				j;

	for (f = 0; f < b->F; f++)
	{
		const CrmHistBin *hb = nd->hist + b->offset[f];
		bool		numeric = b->m->features[f].type == CRM_FEATURE_NUMERIC;
		int			np = 0;
		double		GL = 0,
					HL = 0;
		int64		nL = 0;

		if (numeric)
		{
			for (j = 0; j < b->nbins[f]; j++)
				order[j] = j;
			np = b->nbins[f];
		}
		else
		{
			for (j = 0; j < b->nbins[f]; j++)
				if (hb[j].n > 0)
				{
					key[j] = hb[j].g / Max(hb[j].h, 1e-300);
					order[np++] = j;
				}
			qsort_arg(order, np, sizeof(int), CrmTreeLevelCmp, key);	/* by G/H */
		}
		for (j = 0; j + 1 < np; j++)
		{
			const CrmHistBin *bin = &hb[order[j]];
			double		GR,
						HR,
						sL,
						sR,
						gain;
			int64		nR;

			GL += bin->g;
			HL += bin->h;
			nL += bin->n;
			nR = n - nL;
			if (nL < b->min_leaf)
				continue;
			if (nR < b->min_leaf)
				break;
			GR = G - GL;
			HR = H - HL;
			if (HL < CRM_BOOST_MIN_HESSIAN || HR < CRM_BOOST_MIN_HESSIAN)
				continue;
			sL = GL * GL / HL;
			sR = GR * GR / HR;
			gain = sL + sR - parent;
			if (gain > best && gain > 1e-13 * (sL + sR))
			{
				best = gain;
				best_f = f;
				best_bin = j;
				bGL = GL;
				bHL = HL;
				bnL = nL;
				if (!numeric)
					memcpy(best_order, order, sizeof(int) * np);
			}
		}
	}
	if (best_f < 0)
		return;
	nd->feature = best_f;
	nd->gain = best;
	nd->left_G = bGL;
	nd->left_H = bHL;
	nd->left_n = bnL;
	if (b->m->features[best_f].type == CRM_FEATURE_NUMERIC)
	{
		nd->bin = best_bin;
		nd->left_bins = NULL;
	}
	else
	{
		/* the first best_bin + 1 present levels; absent ones with the larger child */
		const CrmHistBin *hb = nd->hist + b->offset[best_f];
		bool		larger_left = bnL >= n - bnL;

		nd->left_bins = MemoryContextAllocZero(b->tree_ctx, sizeof(uint64) * CRM_BITSET_WORDS(CRM_BOOST_MAX_BINS + 1));
		for (j = 0; j <= best_bin; j++)
			nd->left_bins[best_order[j] >> 6] |= (uint64) 1 << (best_order[j] & 63);
		for (j = 0; j < b->nbins[best_f]; j++)
			if (hb[j].n == 0 && larger_left)
				nd->left_bins[j >> 6] |= (uint64) 1 << (j & 63);
		nd->unseen_left = larger_left;
	}
}

/* Find the split of every node of the level that can split. */
void
CrmBoostFindSplits(CrmBoost *b, int first, int last)
{
	int			i;

	for (i = first; i < last; i++)
	{
		CrmBoostNode *nd = &b->nodes[i];

		CHECK_FOR_INTERRUPTS();
		nd->feature = -1;
		if (nd->hist && CrmBoostSplittable(b, nd))
			CrmBoostBestSplit(b, i);
	}
}

/*
 * The children of the level's split nodes, with their sums; the smaller
 * child of each split is marked for building when either child can split.
 * Returns the number of new nodes.
 */
int
CrmBoostNextLevel(CrmBoost *b, int first, int last)
{
	int			before = b->nnodes;
	int			i;

	for (i = first; i < last; i++)
	{
		CrmBoostNode *nd = &b->nodes[i];
		int			l,
					r;
		CrmBoostNode *L,
				   *R;

		if (nd->feature < 0)
			continue;
		l = CrmBoostAddNode(b, nd->depth + 1, i);
		r = CrmBoostAddNode(b, nd->depth + 1, i);
		nd = &b->nodes[i];
		nd->left = l;
		nd->right = r;
		L = &b->nodes[l];
		R = &b->nodes[r];
		L->G = nd->left_G;
		L->H = nd->left_H;
		L->n = nd->left_n;
		R->G = nd->G - nd->left_G;
		R->H = nd->H - nd->left_H;
		R->n = nd->n - nd->left_n;
		if (CrmBoostSplittable(b, L) || CrmBoostSplittable(b, R))
		{
			if (L->n <= R->n)
				L->build = true;
			else
				R->build = true;
		}
	}
	/* a parent's histogram is kept only for a child to subtract its sibling from */
	for (i = first; i < last; i++)
	{
		CrmBoostNode *nd = &b->nodes[i];
		bool		keep = false;

		if (nd->hist == NULL)
			continue;
		if (nd->feature >= 0)
		{
			CrmBoostNode *L = &b->nodes[nd->left];
			CrmBoostNode *R = &b->nodes[nd->right];

			keep = (L->build && CrmBoostSplittable(b, R)) || (R->build && CrmBoostSplittable(b, L));
		}
		if (!keep)
		{
			pfree(nd->hist);
			nd->hist = NULL;
		}
	}
	return b->nnodes - before;
}

/* The grown tree's leaf values, as a tree of the model. */
void
CrmBoostTreeFinish(CrmBoost *b)
{
	CrmTree    *t = &b->trees[b->grown++];
	int			i;

	t->nnodes = b->nnodes;
	t->nodes = MemoryContextAllocZero(b->ctx, sizeof(CrmTreeNode) * b->nnodes);
	t->depth = 0;
	for (i = 0; i < b->nnodes; i++)
	{
		CrmBoostNode *nd = &b->nodes[i];
		CrmTreeNode *tn = &t->nodes[i];

		nd->value = -nd->G / (nd->H + 1e-15) * b->learning_rate;
		tn->feature = nd->feature;
		tn->left = nd->left;
		tn->right = nd->right;
		tn->rows = nd->n;
		tn->value = nd->value;
		tn->gain = nd->feature >= 0 ? nd->gain : 0.0;
		tn->depth = nd->depth;
		t->depth = Max(t->depth, nd->depth);
		if (nd->feature >= 0)
		{
			if (b->m->features[nd->feature].type == CRM_FEATURE_NUMERIC)
				tn->threshold = b->thresholds[nd->feature][nd->bin];
			else
			{
				int			words = CRM_BITSET_WORDS(b->m->features[nd->feature].nlevels);

				tn->levels_left = MemoryContextAlloc(b->ctx, sizeof(uint64) * words);
				memcpy(tn->levels_left, nd->left_bins, sizeof(uint64) * words);
				tn->unseen_left = nd->unseen_left;
			}
		}
		if (nd->hist)
		{
			pfree(nd->hist);
			nd->hist = NULL;
		}
	}
}

/*
 * After a tree: record the held-out loss of the first trees; true when the
 * last CRM_BOOST_PATIENCE trees did not improve on the best by 1e-7.
 */
bool
CrmBoostEarlyStop(CrmBoost *b, double valid_loss, int trees)
{
	if (trees == 1 || valid_loss < b->best_loss - 1e-7)
	{
		b->best_loss = valid_loss;
		b->best_trees = trees;
	}
	return trees - b->best_trees >= CRM_BOOST_PATIENCE;
}

/* ----------------------------------------------------------------------
 * The in-memory trainer
 * ---------------------------------------------------------------------- */

typedef struct CrmBoostMem
{
	CrmBoost   *b;
	uint32		n;
	uint8	  **code;			/* per feature: the bin of each row */
	double	   *y;
	double	   *raw;
	uint64	   *hash;
	float	   *g;
	float	   *h;
	float	   *og;				/* a node's gradients in its row order */
	float	   *oh;
	uint32	   *train;			/* rows not held out */
	uint32		ntrain;
	uint32	   *valid;			/* held-out rows */
	uint32		nvalid;
	uint32	   *rows;			/* a tree's rows, partitioned by node */
	uint32	   *tmp;
	uint8	   *insample;
	uint32		filled;
} CrmBoostMem;

/* Bytes the in-memory trainer needs for n rows. */
static double
CrmBoostMemBytes(const CrmBoost *b, int64 n)
{
	return (double) n * (b->F + 8 + 8 + 8 + 4 * 4 + 4 * 4 + 1);
}

/* Bin a batch's rows. */
static void
CrmBoostMemLoad(const CrmTrainBatch *batch, void *arg)
{
	CrmBoostMem *d = (CrmBoostMem *) arg;
	CrmBoost   *b = d->b;
	uint32		base = d->filled;
	int			i,
				f;

	for (f = 0; f < b->F; f++)
	{
		uint8	   *code = d->code[f] + base;

		if (b->m->features[f].type == CRM_FEATURE_NUMERIC)
		{
			const double *v = batch->num[b->kslot[f]];

			for (i = 0; i < batch->nrows; i++)
				code[i] = (uint8) CrmBoostBin(b, f, v[i]);
		}
		else
		{
			const int32 *c = batch->cat[b->kslot[f]];

			for (i = 0; i < batch->nrows; i++)
				code[i] = (uint8) c[i];
		}
	}
	for (i = 0; i < batch->nrows; i++)
	{
		d->y[base + i] = batch->y[i];
		d->hash[base + i] = CrmBoostRowHash(b, batch, i);
	}
	d->filled += batch->nrows;
}

/*
 * Add rows to a histogram, four features at a time.  rows NULL: the rows
 * 0 .. nrows-1 with their gradients g[r]; otherwise rows[j] with the
 * gradients in row-list order g[j].  h NULL: every hessian is 1.
 */
static void
CrmBoostHistRows(const CrmBoostMem *d, CrmHistBin *hist, const uint32 *rows, uint32 nrows,
				 const float *g, const float *h)
{
	const CrmBoost *b = d->b;
	int			F = b->F;
	int			f = 0;
	uint32		j;

#define CRM_HIST_ADD(hf, bin, gj, hj) \
	do { CrmHistBin *hb_ = &(hf)[bin]; hb_->g += (gj); hb_->h += (hj); hb_->n++; } while (0)

	for (; f + 4 <= F; f += 4)
	{
		const uint8 *c0 = d->code[f],
				   *c1 = d->code[f + 1],
				   *c2 = d->code[f + 2],
				   *c3 = d->code[f + 3];
		CrmHistBin *h0 = hist + b->offset[f],
				   *h1 = hist + b->offset[f + 1],
				   *h2 = hist + b->offset[f + 2],
				   *h3 = hist + b->offset[f + 3];

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < nrows; j++)
		{
			uint32		r = rows ? rows[j] : j;
			double		gj = g[j],
						hj = h ? h[j] : 1.0;

			CRM_HIST_ADD(h0, c0[r], gj, hj);
			CRM_HIST_ADD(h1, c1[r], gj, hj);
			CRM_HIST_ADD(h2, c2[r], gj, hj);
			CRM_HIST_ADD(h3, c3[r], gj, hj);
		}
	}
	for (; f < F; f++)
	{
		const uint8 *c0 = d->code[f];
		CrmHistBin *h0 = hist + b->offset[f];

		for (j = 0; j < nrows; j++)
		{
			uint32		r = rows ? rows[j] : j;

			CRM_HIST_ADD(h0, c0[r], g[j], h ? h[j] : 1.0);
		}
	}
#undef CRM_HIST_ADD
}

/* Build the histogram of node i from its rows. */
static void
CrmBoostMemBuild(CrmBoostMem *d, int i, bool all_rows)
{
	CrmBoost   *b = d->b;
	CrmBoostNode *nd = &b->nodes[i];
	bool		consth = b->loss == CRM_LOSS_SQUARED;
	uint32		j;

	nd->hist = CrmBoostHistAlloc(b);
	if (all_rows)
	{
		/* the root over every row, in row order: no gather */
		CrmBoostHistRows(d, nd->hist, NULL, d->n, d->g, consth ? NULL : d->h);
		return;
	}
	for (j = nd->start; j < nd->end; j++)
	{
		uint32		r = d->rows[j];

		d->og[j - nd->start] = d->g[r];
		if (!consth)
			d->oh[j - nd->start] = d->h[r];
	}
	CrmBoostHistRows(d, nd->hist, d->rows + nd->start, nd->end - nd->start, d->og,
					 consth ? NULL : d->oh);
}

/* Partition the rows of split node i: the left child's first, each side in order. */
static void
CrmBoostMemPartition(CrmBoostMem *d, int i)
{
	CrmBoost   *b = d->b;
	CrmBoostNode *nd = &b->nodes[i];
	const uint8 *code = d->code[nd->feature];
	uint32		w = nd->start,
				k = 0,
				j;

	for (j = nd->start; j < nd->end; j++)
	{
		uint32		r = d->rows[j];

		if (CrmBoostGoesLeft(nd, code[r]))
			d->rows[w++] = r;
		else
			d->tmp[k++] = r;
	}
	memcpy(d->rows + w, d->tmp, sizeof(uint32) * k);
	b->nodes[nd->left].start = nd->start;
	b->nodes[nd->left].end = w;
	b->nodes[nd->right].start = w;
	b->nodes[nd->right].end = nd->end;
}

/* The leaf value of a row not in the tree's sample, by its bins. */
static double
CrmBoostMemLeaf(const CrmBoostMem *d, uint32 r)
{
	const CrmBoost *b = d->b;
	const CrmBoostNode *nd = &b->nodes[0];

	while (nd->feature >= 0)
		nd = &b->nodes[CrmBoostGoesLeft(nd, d->code[nd->feature][r]) ? nd->left : nd->right];
	return nd->value;
}

/* Train every tree in memory. */
static void
CrmBoostInMemory(CrmBoost *b, CrmTrainData *td)
{
	CrmBoostMem d;
	const char *fn = b->fn;
	MemoryContext ctx = b->ctx;
	bool		identity;
	uint32		r;
	int			f,
				t;

	memset(&d, 0, sizeof(d));
	d.b = b;
	d.n = (uint32) CrmTrainRows(td);
	d.code = palloc(sizeof(uint8 *) * b->F);
	for (f = 0; f < b->F; f++)
		d.code[f] = CrmMemoryAlloc(ctx, d.n, 1, fn, "the binned rows");
	d.y = CrmMemoryAlloc(ctx, d.n, sizeof(double), fn, "the binned rows");
	d.hash = CrmMemoryAlloc(ctx, d.n, sizeof(uint64), fn, "the binned rows");
	CrmTrainForEachBatch(td, CrmBoostMemLoad, &d);
	CrmTrainRelease(td);
	d.raw = CrmMemoryAlloc(ctx, d.n, sizeof(double), fn, "the binned rows");
	d.g = CrmMemoryAlloc(ctx, d.n, sizeof(float), fn, "the binned rows");
	d.h = CrmMemoryAlloc(ctx, d.n, sizeof(float), fn, "the binned rows");
	d.og = CrmMemoryAlloc(ctx, d.n, sizeof(float), fn, "the binned rows");
	d.oh = CrmMemoryAlloc(ctx, d.n, sizeof(float), fn, "the binned rows");
	d.rows = CrmMemoryAlloc(ctx, d.n, sizeof(uint32), fn, "the binned rows");
	d.tmp = CrmMemoryAlloc(ctx, d.n, sizeof(uint32), fn, "the binned rows");
	d.train = CrmMemoryAlloc(ctx, d.n, sizeof(uint32), fn, "the binned rows");
	d.insample = CrmMemoryAlloc0(ctx, d.n, 1, fn, "the binned rows");
	d.valid = CrmMemoryAlloc(ctx, Max(b->valid_rows, 1), sizeof(uint32), fn, "the binned rows");
	for (r = 0; r < d.n; r++)
	{
		d.raw[r] = b->baseline;
		if (CrmBoostHeldOut(b, d.hash[r]))
			d.valid[d.nvalid++] = r;
		else
			d.train[d.ntrain++] = r;
	}
	identity = d.ntrain == d.n && b->subsample >= 1.0;

	for (t = 0; t < b->ntrees; t++)
	{
		uint32		nrows = 0,
					j;
		int			first = 0,
					last = 1;

		CHECK_FOR_INTERRUPTS();
		/* the tree's rows and their gradients */
		for (j = 0; j < d.ntrain; j++)
		{
			r = d.train[j];
			if (identity || CrmBoostSampled(b, d.hash[r], t))
			{
				double		gr,
							hr;

				d.rows[nrows++] = r;
				CrmBoostGradient(b->loss, d.raw[r], d.y[r], &gr, &hr);
				d.g[r] = (float) gr;
				d.h[r] = (float) hr;
				if (!identity)
					d.insample[r] = 1;
			}
		}
		if (nrows == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("subsample %g of %s drew no rows for tree %d", b->subsample, fn, t + 1),
					 errhint("Raise subsample.")));
		CrmBoostTreeStart(b);
		b->nodes[0].start = 0;
		b->nodes[0].end = nrows;
		for (;;)
		{
			int			i;

			for (i = first; i < last; i++)
				if (b->nodes[i].build)
					CrmBoostMemBuild(&d, i, i == 0 && identity);
			if (first == 0)
				CrmBoostRootSums(b);
			CrmBoostSubtract(b, first, last);
			CrmBoostFindSplits(b, first, last);
			if (CrmBoostNextLevel(b, first, last) == 0)
				break;
			for (i = first; i < last; i++)
				if (b->nodes[i].feature >= 0)
					CrmBoostMemPartition(&d, i);
			first = last;
			last = b->nnodes;
		}
		CrmBoostTreeFinish(b);
		/* the raw scores: the sampled rows by their leaf's range, the others by their bins */
		for (j = 0; j < (uint32) b->nnodes; j++)
		{
			const CrmBoostNode *nd = &b->nodes[j];
			uint32		k;

			if (nd->feature >= 0)
				continue;
			for (k = nd->start; k < nd->end; k++)
				d.raw[d.rows[k]] += nd->value;
		}
		if (!identity)
		{
			for (r = 0; r < d.n; r++)
			{
				if (d.insample[r])
					d.insample[r] = 0;
				else
					d.raw[r] += CrmBoostMemLeaf(&d, r);
			}
		}
		if (d.nvalid > 0)
		{
			double		loss = 0.0;

			for (j = 0; j < d.ntrain; j++)
				loss += CrmBoostRowLoss(b->loss, d.raw[d.train[j]], d.y[d.train[j]]);
			b->train_loss[t + 1] = loss / d.ntrain;
			loss = 0.0;
			for (j = 0; j < d.nvalid; j++)
				loss += CrmBoostRowLoss(b->loss, d.raw[d.valid[j]], d.y[d.valid[j]]);
			if (CrmBoostEarlyStop(b, loss / d.nvalid, t + 1))
				break;
		}
	}
	/* the training loss of the model kept */
	if (d.nvalid == 0)
	{
		double		loss = 0.0;
		uint32		j;

		for (j = 0; j < d.ntrain; j++)
			loss += CrmBoostRowLoss(b->loss, d.raw[d.train[j]], d.y[d.train[j]]);
		b->train_loss[b->grown] = loss / d.ntrain;
	}
}

/* ----------------------------------------------------------------------
 * crm.boosted_trees
 * ---------------------------------------------------------------------- */

/* A float8 argument that must not be NULL. */
static double
CrmBoostArgFloat(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("Leave the argument out for its default.")));
	return PG_GETARG_FLOAT8(argno);
}

/*
 * crm.boosted_trees(query, trees, learning_rate, max_depth, min_leaf,
 * subsample, seed, validation_fraction, loss)
 */
Datum
boosted_trees(PG_FUNCTION_ARGS)
{
	const char *fn = "crm.boosted_trees";
	MemoryContext callctx = CurrentMemoryContext;
	MemoryContext ctx;
	TimestampTz start = GetCurrentTimestamp();
	CrmBoost   *b;
	char	   *query;
	bool		numeric_target;
	CrmQuery	q;
	CrmTrainData *td;
	CrmModel   *m;
	CrmTreeModel *tm;
	bool		in_memory;
	int		   *num_feature,
			   *cat_feature;
	int			nnum,
				ncat,
				kept,
				maxbins = 0,
				k,
				f;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the query of %s must not be NULL", fn),
				 errhint("Pass a SELECT returning (target, feature, ...).")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	b = palloc0(sizeof(CrmBoost));
	b->fn = fn;
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("trees must not be NULL"),
				 errhint("Leave the argument out for its default.")));
	b->ntrees = PG_GETARG_INT32(1);
	if (b->ntrees < 1 || b->ntrees > CRM_BOOST_MAX_TREES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trees must be between 1 and %d", CRM_BOOST_MAX_TREES),
				 errdetail("Got %d.", b->ntrees),
				 errhint("With early stopping (validation_fraction > 0), trees is the most that are grown.")));
	b->learning_rate = CrmBoostArgFloat(fcinfo, 2, "learning_rate");
	if (!(b->learning_rate > 0) || !isfinite(b->learning_rate))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("learning_rate must be a finite number > 0"),
				 errdetail("Got %g.", b->learning_rate),
				 errhint("Values of 0.01 to 0.3 are usual; smaller ones need more trees.")));
	b->max_depth = CrmTreeCheckDepth(fcinfo, 3);
	b->min_leaf = CrmTreeCheckMinLeaf(fcinfo, 4);
	b->subsample = CrmBoostArgFloat(fcinfo, 5, "subsample");
	if (!(b->subsample > 0 && b->subsample <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("subsample must be in (0, 1]"),
				 errdetail("Got %g.", b->subsample),
				 errhint("It is the fraction of the training rows each tree is grown from; 1 uses them all.")));
	if (PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("seed must not be NULL"),
				 errhint("Leave the argument out for its default.")));
	b->seed = PG_GETARG_INT64(6);
	b->validation_fraction = CrmBoostArgFloat(fcinfo, 7, "validation_fraction");
	if (!(b->validation_fraction >= 0 && b->validation_fraction < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("validation_fraction must be in [0, 1)"),
				 errdetail("Got %g.", b->validation_fraction),
				 errhint("0 trains on every row without early stopping; 0.1 holds out about a tenth for it.")));

	ctx = AllocSetContextCreate(callctx, "crm boosted trees training", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(ctx);
	b->ctx = ctx;
	CrmQueryOpen(&q, query, 2, -1, fn, "(target, feature, ...)");
	numeric_target = CrmColumnIsNumeric(TupleDescAttr(q.desc, 0)->atttypid);
	if (PG_ARGISNULL(8))
		b->loss = numeric_target ? CRM_LOSS_SQUARED : CRM_LOSS_LOG;
	else
	{
		char	   *l = text_to_cstring(PG_GETARG_TEXT_PP(8));

		if (pg_strcasecmp(l, "log_loss") == 0)
			b->loss = CRM_LOSS_LOG;
		else if (pg_strcasecmp(l, "squared_error") == 0)
			b->loss = CRM_LOSS_SQUARED;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("loss must be 'log_loss' or 'squared_error'"),
					 errdetail("Got \"%s\".", l),
					 errhint("NULL picks squared_error for a numeric target and log_loss for two classes.")));
		if (b->loss == CRM_LOSS_SQUARED && !numeric_target)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("loss 'squared_error' needs a numeric target"),
					 errdetail("The target (first column) has type %s.",
							   format_type_be(TupleDescAttr(q.desc, 0)->atttypid)),
					 errhint("Use 'log_loss' for two classes.")));
	}
	td = CrmTrainOpen(&q, b->loss == CRM_LOSS_LOG ? CRM_TARGET_RULE_BINARY : CRM_TARGET_RULE_NUMERIC, fn, ctx);
	m = CrmTrainFirstPass(td);
	m->kind = CRM_MODEL_BOOSTED_TREES;
	b->m = m;
	CrmTreeCheckFeatures(m, fn);
	b->F = m->nfeatures;
	for (f = 0; f < b->F; f++)
		if (m->features[f].type == CRM_FEATURE_CATEGORICAL && m->features[f].nlevels > CRM_BOOST_MAX_BINS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("feature column \"%s\" of the query of %s has %d levels; boosted trees take at most %d",
							m->features[f].name, fn, m->features[f].nlevels, CRM_BOOST_MAX_BINS),
					 errdetail("A categorical feature has one histogram bin per level (NULL included)."),
					 errhint("Group rare levels into an 'other' level, or use crm.decision_tree (up to %d levels).",
							 CRM_MODEL_MAX_LEVELS)));
	b->kslot = palloc(sizeof(int) * b->F);
	nnum = CrmTrainNumeric(td, &num_feature);
	ncat = CrmTrainCategorical(td, &cat_feature);
	for (k = 0; k < nnum; k++)
		b->kslot[num_feature[k]] = k;
	for (k = 0; k < ncat; k++)
		b->kslot[cat_feature[k]] = k;
	b->trees = palloc0(sizeof(CrmTree) * b->ntrees);
	b->train_loss = palloc0(sizeof(double) * (b->ntrees + 1));
	b->tree_ctx = AllocSetContextCreate(ctx, "crm boosted tree", ALLOCSET_SMALL_SIZES);
	b->capnodes = 16;
	b->nodes = palloc(sizeof(CrmBoostNode) * b->capnodes);

	CrmBoostBins(b, td);

	/* in memory when the binned rows fit (the reader's copy is given up first if need be) */
	if (CrmTrainInMemory(td) &&
		(double) MemoryContextMemAllocated(ctx, true) + CrmBoostMemBytes(b, CrmTrainRows(td)) >
		(double) CrmMemoryLimit())
		CrmTrainRelease(td);
	in_memory = CrmTrainRows(td) < (int64) PG_UINT32_MAX &&
		(double) MemoryContextMemAllocated(ctx, true) + CrmBoostMemBytes(b, CrmTrainRows(td)) <=
		(double) CrmMemoryLimit();
	if (in_memory)
		CrmBoostInMemory(b, td);
	else
		CrmBoostByPasses(b, td);

	kept = b->validation_fraction > 0 ? b->best_trees : b->grown;
	tm = palloc0(sizeof(CrmTreeModel));
	tm->criterion = b->loss;
	tm->baseline = b->baseline;
	tm->ntrees = kept;
	tm->trees = b->trees;
	for (k = 0; k < kept; k++)
		tm->depth = Max(tm->depth, b->trees[k].depth);
	m->payload = tm;
	for (f = 0; f < b->F; f++)
		maxbins = Max(maxbins, b->nbins[f]);

	CrmModelAddFact(m, "rows", CRM_FACT_INT, CrmTrainRows(td), 0, NULL);
	CrmModelAddFact(m, "rows_skipped_null_target", CRM_FACT_INT, CrmTrainSkipped(td), 0, NULL);
	CrmModelAddFact(m, "loss", CRM_FACT_TEXT, 0, 0, CrmBoostLossName(b->loss));
	CrmModelAddFact(m, "trees", CRM_FACT_INT, kept, 0, NULL);
	CrmModelAddFact(m, "trees_grown", CRM_FACT_INT, b->grown, 0, NULL);
	CrmModelAddFact(m, "learning_rate", CRM_FACT_FLOAT, 0, b->learning_rate, NULL);
	CrmModelAddFact(m, "max_depth", CRM_FACT_INT, b->max_depth, 0, NULL);
	CrmModelAddFact(m, "min_leaf", CRM_FACT_INT, b->min_leaf, 0, NULL);
	CrmModelAddFact(m, "subsample", CRM_FACT_FLOAT, 0, b->subsample, NULL);
	CrmModelAddFact(m, "seed", CRM_FACT_INT, b->seed, 0, NULL);
	CrmModelAddFact(m, "validation_fraction", CRM_FACT_FLOAT, 0, b->validation_fraction, NULL);
	CrmModelAddFact(m, "training_rows", CRM_FACT_INT, b->train_rows, 0, NULL);
	CrmModelAddFact(m, "held_out_rows", CRM_FACT_INT, b->valid_rows, 0, NULL);
	CrmModelAddFact(m, "training_loss", CRM_FACT_FLOAT, 0, b->train_loss[kept], NULL);
	if (b->validation_fraction > 0)
		CrmModelAddFact(m, "validation_loss", CRM_FACT_FLOAT, 0, b->best_loss, NULL);
	CrmModelAddFact(m, "max_bins", CRM_FACT_INT, maxbins, 0, NULL);
	CrmModelAddFact(m, "query_passes", CRM_FACT_INT, CrmTrainPasses(td), 0, NULL);
	CrmModelAddFact(m, "in_memory", CRM_FACT_BOOL, in_memory, 0, NULL);
	PG_RETURN_BYTEA_P(CrmTrainFinish(m, &q, start, ctx, callctx));
}
