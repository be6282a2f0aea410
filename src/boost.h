/*
 * boost.h
 *		What the two trainers of crm.boosted_trees share (boost.c): the
 *		binned features, the histograms, the growth of one tree from
 *		histograms, and the rows' hashes that decide subsampling and the
 *		held-out rows.  boost.c trains in memory over the binned rows;
 *		boost_pass.c with one pass over the training rows per level.
 */
#ifndef CRM_BOOST_H
#define CRM_BOOST_H

#include "tree.h"

/* Rows of the sample the bin thresholds come from (LightGBM's and scikit-learn's 200,000). */
#define CRM_BOOST_BIN_SAMPLE	200000
/* Trees without a better validation loss before early stopping. */
#define CRM_BOOST_PATIENCE		10
/* Smallest hessian of a child (scikit-learn's min_hessian_to_split). */
#define CRM_BOOST_MIN_HESSIAN	1e-3

/* One bin of a histogram: sums of gradients and hessians, and rows. */
typedef struct CrmHistBin
{
	double		g;
	double		h;
	int64		n;
} CrmHistBin;

/* A node of the tree being grown. */
typedef struct CrmBoostNode
{
	int			depth;
	int			parent;
	double		G;				/* sums over its rows */
	double		H;
	int64		n;
	CrmHistBin *hist;			/* when built (NULL otherwise) */
	uint32		start;			/* in memory: its rows are rows[start .. end) */
	uint32		end;
	/* the split, in bins */
	int			feature;		/* -1: a leaf */
	int			bin;			/* numeric: bins <= bin go left */
	uint64	   *left_bins;		/* categorical: bins (levels) going left */
	bool		unseen_left;
	double		gain;
	double		left_G;			/* the sums of the rows going left */
	double		left_H;
	int64		left_n;
	int			left;
	int			right;
	double		value;			/* -G / H x learning rate */
	bool		build;			/* its histogram is to be built from rows this level */
} CrmBoostNode;

typedef struct CrmBoost
{
	const char *fn;
	CrmModel   *m;
	MemoryContext ctx;
	int			loss;			/* CrmBoostLoss */
	int			ntrees;
	double		learning_rate;
	int			max_depth;
	int			min_leaf;
	double		subsample;
	int64		seed;
	double		validation_fraction;
	int			F;
	int		   *nbins;			/* per feature */
	double	  **thresholds;		/* numeric feature: nbins - 1 bin edges (x <= edge: that bin or lower) */
	int		   *offset;			/* first bin of each feature in a histogram */
	int			totalbins;
	int		   *kslot;			/* feature -> slot in the training batches */
	double		baseline;
	/* the tree being grown */
	MemoryContext tree_ctx;
	int			nnodes;
	int			capnodes;
	CrmBoostNode *nodes;
	/* the grown trees */
	CrmTree    *trees;
	int			grown;
	/* per tree: loss on the held-out rows (early stopping) */
	double		best_loss;
	int			best_trees;
	int64		train_rows;
	int64		valid_rows;
	double	   *train_loss;		/* per number of trees (index 0: none) */
} CrmBoost;

/* SplitMix64's finaliser. */
static inline uint64
CrmMix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* A uniform number in [0, 1) from a hash. */
static inline double
CrmHashUnit(uint64 h)
{
	return (double) (h >> 11) * (1.0 / 9007199254740992.0);
}

/* Is a row (by its hash) held out for validation? */
static inline bool
CrmBoostHeldOut(const CrmBoost *b, uint64 rowhash)
{
	return b->validation_fraction > 0 &&
		CrmHashUnit(CrmMix64(rowhash ^ CrmMix64((uint64) b->seed ^ UINT64CONST(0x5851f42d4c957f2d)))) <
		b->validation_fraction;
}

/* Is a row (by its hash) in the sample of tree t? */
static inline bool
CrmBoostSampled(const CrmBoost *b, uint64 rowhash, int t)
{
	return b->subsample >= 1.0 ||
		CrmHashUnit(CrmMix64(rowhash ^ CrmMix64((uint64) b->seed + (uint64) (t + 1) * UINT64CONST(0x9e3779b97f4a7c15)))) <
		b->subsample;
}

/* The bin of a numeric value: the first edge it is <= to, or the last bin. */
static inline int
CrmBoostBin(const CrmBoost *b, int f, double v)
{
	const double *edge = b->thresholds[f];
	int			lo = 0,
				hi = b->nbins[f] - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (v <= edge[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Does a row with bins code[] go left at node nd? */
static inline bool
CrmBoostGoesLeft(const CrmBoostNode *nd, int code)
{
	if (nd->left_bins == NULL)
		return code <= nd->bin;
	return (nd->left_bins[code >> 6] >> (code & 63)) & 1;
}

/* Gradient and hessian of one row. */
static inline void
CrmBoostGradient(int loss, double raw, double y, double *g, double *h)
{
	if (loss == CRM_LOSS_LOG)
	{
		double		p = 1.0 / (1.0 + exp(-raw));

		*g = p - y;
		*h = p * (1.0 - p);
	}
	else
	{
		*g = raw - y;
		*h = 1.0;
	}
}

/* Loss of one row (log-loss, or half the squared error). */
static inline double
CrmBoostRowLoss(int loss, double raw, double y)
{
	if (loss == CRM_LOSS_LOG)
		return Max(raw, 0.0) - raw * y + log1p(exp(-fabs(raw)));
	return 0.5 * (raw - y) * (raw - y);
}

/* boost.c */
extern uint64 CrmBoostRowHash(const CrmBoost *b, const CrmTrainBatch *batch, int i);
extern void CrmBoostTreeStart(CrmBoost *b);
extern void CrmBoostRootSums(CrmBoost *b);
extern void CrmBoostFindSplits(CrmBoost *b, int first, int last);
extern int	CrmBoostNextLevel(CrmBoost *b, int first, int last);
extern void CrmBoostSubtract(CrmBoost *b, int first, int last);
extern void CrmBoostTreeFinish(CrmBoost *b);
extern CrmHistBin *CrmBoostHistAlloc(CrmBoost *b);
extern bool CrmBoostEarlyStop(CrmBoost *b, double valid_loss, int trees);

/* boost_pass.c */
extern void CrmBoostByPasses(CrmBoost *b, CrmTrainData *td);

#endif							/* CRM_BOOST_H */
