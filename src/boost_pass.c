/*
 * boost_pass.c
 *		crm.boosted_trees when even the binned rows do not fit
 *		crm_analytics.max_memory: one pass over the training rows (the
 *		caller's query run again) per level of each tree, keeping nothing
 *		per row.
 *
 * In a pass each row is hashed (which decides whether it is held out and
 * whether it is in the tree's sample), scored by the trees grown so far
 * (its raw score is not kept between passes: the query need not return its
 * rows in the same order), binned, and sent down the tree being grown; the
 * rows reaching a node whose histogram is to be built this level are added
 * to it.  The growth itself (subtraction, splits, children) is the
 * in-memory trainer's (boost.c), so both give the same trees.  The first
 * pass of each tree also sums the losses of the model so far, for early
 * stopping and the training facts; one more pass after the last tree does
 * it for the whole model.
 *
 * Memory: the histograms of one level, and the trees.  Time: depth passes
 * per tree, each scoring its rows by all the trees grown so far.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "boost.h"

typedef struct CrmBoostPass
{
	CrmBoost   *b;
	int			t;				/* the tree being grown (= trees that score) */
	int			first;			/* the level's nodes */
	int			last;
	bool		grow;			/* add rows to histograms */
	bool		count_loss;		/* sum the losses of the first t trees */
	double		train_loss;
	double		valid_loss;
	int64		ntrain;
	int64		nvalid;
	CrmFeatureRow row;
	int		   *code;
} CrmBoostPass;

/* One batch of a pass. */
static void
CrmBoostPassBatch(const CrmTrainBatch *batch, void *arg)
{
	CrmBoostPass *p = (CrmBoostPass *) arg;
	CrmBoost   *b = p->b;
	const CrmModel *m = b->m;
	int			i,
				f,
				k;

	for (i = 0; i < batch->nrows; i++)
	{
		uint64		h = CrmBoostRowHash(b, batch, i);
		bool		held = CrmBoostHeldOut(b, h);
		double		raw = b->baseline;
		double		g,
					hs;
		float		gf,
					hf;
		int			node;
		CrmBoostNode *nd;
		CrmHistBin *hist;

		if (!p->count_loss && (held || !CrmBoostSampled(b, h, p->t)))
			continue;
		for (f = 0; f < b->F; f++)
		{
			if (m->features[f].type == CRM_FEATURE_NUMERIC)
				p->row.value[f] = batch->num[b->kslot[f]][i];
			else
				p->row.level[f] = batch->cat[b->kslot[f]][i];
		}
		for (k = 0; k < p->t; k++)
			raw += CrmTreeLeaf(m, &b->trees[k], &p->row)->value;
		if (p->count_loss)
		{
			double		l = CrmBoostRowLoss(b->loss, raw, batch->y[i]);

			if (held)
			{
				p->valid_loss += l;
				p->nvalid++;
			}
			else
			{
				p->train_loss += l;
				p->ntrain++;
			}
		}
		if (!p->grow || held || !CrmBoostSampled(b, h, p->t))
			continue;
		/* down the tree being grown, by bins */
		for (f = 0; f < b->F; f++)
			p->code[f] = m->features[f].type == CRM_FEATURE_NUMERIC ?
				CrmBoostBin(b, f, p->row.value[f]) : p->row.level[f];
		node = 0;
		while (node < p->first && b->nodes[node].feature >= 0)
		{
			nd = &b->nodes[node];
			node = CrmBoostGoesLeft(nd, p->code[nd->feature]) ? nd->left : nd->right;
		}
		if (node < p->first || node >= p->last || !b->nodes[node].build)
			continue;
		CrmBoostGradient(b->loss, raw, batch->y[i], &g, &hs);
		/* gradients as the in-memory trainer keeps them */
		gf = (float) g;
		hf = (float) hs;
		hist = b->nodes[node].hist;
		for (f = 0; f < b->F; f++)
		{
			CrmHistBin *bin = &hist[b->offset[f] + p->code[f]];

			bin->g += gf;
			bin->h += hf;
			bin->n++;
		}
	}
}

/* Run one pass. */
static void
CrmBoostPassRun(CrmBoostPass *p, CrmTrainData *td, bool grow, bool count_loss)
{
	p->grow = grow;
	p->count_loss = count_loss;
	p->train_loss = p->valid_loss = 0.0;
	p->ntrain = p->nvalid = 0;
	CrmTrainForEachBatch(td, CrmBoostPassBatch, p);
}

/* Record the losses of the first p->t trees; true to stop early. */
static bool
CrmBoostPassLosses(CrmBoostPass *p)
{
	CrmBoost   *b = p->b;

	b->train_loss[p->t] = p->ntrain > 0 ? p->train_loss / p->ntrain : 0.0;
	if (b->validation_fraction > 0 && p->t > 0)
		return CrmBoostEarlyStop(b, p->valid_loss / Max(p->nvalid, 1), p->t);
	return false;
}

/* Train every tree with passes over the rows. */
void
CrmBoostByPasses(CrmBoost *b, CrmTrainData *td)
{
	CrmBoostPass p;
	bool		stopped = false;
	int			t;

	memset(&p, 0, sizeof(p));
	p.b = b;
	p.row.value = palloc0(sizeof(double) * b->F);
	p.row.level = palloc0(sizeof(int32) * b->F);
	p.row.isnull = palloc0(sizeof(bool) * b->F);
	p.code = palloc0(sizeof(int) * b->F);

	for (t = 0; t < b->ntrees && !stopped; t++)
	{
		int			first = 0,
					last = 1;

		CHECK_FOR_INTERRUPTS();
		CrmBoostTreeStart(b);
		p.t = t;
		for (;;)
		{
			int			i;

			for (i = first; i < last; i++)
				if (b->nodes[i].build)
					b->nodes[i].hist = CrmBoostHistAlloc(b);
			p.first = first;
			p.last = last;
			CrmBoostPassRun(&p, td, true, first == 0 && t > 0);
			if (first == 0 && t > 0 && CrmBoostPassLosses(&p))
			{
				stopped = true;
				break;
			}
			if (first == 0)
			{
				CrmBoostRootSums(b);
				if (b->nodes[0].n == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("subsample %g of %s drew no rows for tree %d", b->subsample, b->fn, t + 1),
							 errhint("Raise subsample.")));
			}
			CrmBoostSubtract(b, first, last);
			CrmBoostFindSplits(b, first, last);
			if (CrmBoostNextLevel(b, first, last) == 0)
				break;
			first = last;
			last = b->nnodes;
		}
		if (!stopped)
			CrmBoostTreeFinish(b);
	}
	CrmBoostTreeStart(b);		/* gives the histograms back */
	if (!stopped)
	{
		/* the losses of the whole model */
		p.t = b->grown;
		CrmBoostPassRun(&p, td, false, true);
		(void) CrmBoostPassLosses(&p);
	}
}
