/*
 * clv_likelihood.c
 *		Likelihoods of the buy-till-you-die models over the customer patterns
 *		of a fit (clv_fit.c): building the fit data from an aggregate state,
 *		and the BG/NBD, Pareto/NBD and Gamma-Gamma log-likelihoods with their
 *		gradients (and BG/NBD's Hessian).
 *
 *	- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
 *	  way: an alternative to the Pareto/NBD model", Marketing Science 24(2),
 *	  275-284, eq. 6.
 *	- Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your
 *	  customers: who are they and what will they do next?", Management
 *	  Science 33(1), 1-24; likelihood in the form of Fader & Hardie's note 008
 *	  (the 2F1 difference A0, as in lifetimes and R's BTYD).
 *	- Gamma-Gamma spend model: Fader & Hardie (2013), "The Gamma-Gamma model
 *	  of monetary value" (note 025), eq. 1.
 *
 * All terms are log-gamma and log-sum-exp forms, so frequencies in the
 * hundreds neither overflow nor cancel; the logarithms of alpha + time (and
 * Pareto/NBD's 2F1 terms) are computed once per distinct time, since
 * summaries in whole days take few values.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "clv.h"

#if PG_VERSION_NUM >= 140000
/* clv_sort_doubles(): qsort specialised for doubles (no NaN here) */
#define ST_SORT			clv_sort_doubles
#define ST_ELEMENT_TYPE	double
#define ST_COMPARE(a, b)	((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE		static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"
#else
static int
ClvDoubleCmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}
#define clv_sort_doubles(a, n) qsort(a, n, sizeof(double), ClvDoubleCmp)
#endif

/* Index of v in the sorted distinct values vals[0 .. n). */
static int
ClvFindTime(const double *vals, int n, double v)
{
	int			lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (vals[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	Assert(vals[lo] == v);
	return lo;
}

/* Build the distinct-time tables of the patterns (see ClvFitData). */
static void
ClvFitDataTimes(ClvFitData *d)
{
	int			n = d->n;
	int			i,
				m = 0;

	d->times = palloc(Max(2 * n, 1) * sizeof(double));
	for (i = 0; i < n; i++)
	{
		d->times[2 * i] = d->t[i];
		d->times[2 * i + 1] = d->tx[i];
	}
	clv_sort_doubles(d->times, 2 * n);
	for (i = 0; i < 2 * n; i++)
		if (m == 0 || d->times[i] != d->times[m - 1])
			d->times[m++] = d->times[i];
	d->ntimes = m;
	d->ti = palloc(Max(n, 1) * sizeof(int));
	d->ri = palloc(Max(n, 1) * sizeof(int));
	for (i = 0; i < n; i++)
	{
		d->ti[i] = ClvFindTime(d->times, m, d->t[i]);
		d->ri[i] = ClvFindTime(d->times, m, d->tx[i]);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	d->lt = palloc(Max(m, 1) * sizeof(double));
	d->it = palloc(Max(m, 1) * sizeof(double));
	d->lm = palloc(Max(m, 1) * sizeof(double));
	d->cache = palloc(Max(m, 1) * sizeof(double));
	d->stamp = palloc(Max(m, 1) * sizeof(int));
}

/*
 * Every stride-th pattern of d (with its own weight), with its own time
 * tables: a small sample of the data for a warm start.
 */
ClvFitData *
ClvFitDataSubset(const ClvFitData *d, int stride)
{
	ClvFitData *sub = palloc0(sizeof(ClvFitData));
	int			cap = d->n / stride + 1;
	int			i;

	sub->kind = d->kind;
	sub->scale = d->scale;
	sub->penalizer = d->penalizer;
	sub->x = palloc(cap * sizeof(double));
	sub->tx = palloc(cap * sizeof(double));
	sub->t = palloc(cap * sizeof(double));
	sub->w = palloc(cap * sizeof(double));
	sub->group_start = palloc((cap + 1) * sizeof(int));
	for (i = 0; i < d->n; i += stride)
	{
		int			j = sub->n++;

		sub->x[j] = d->x[i];
		sub->tx[j] = d->tx[i];
		sub->t[j] = d->t[i];
		sub->w[j] = d->w[i];
		sub->total += d->w[i];
		if (j == 0 || sub->x[j] != sub->x[j - 1])
			sub->group_start[sub->ngroups++] = j;
	}
	sub->group_start[sub->ngroups] = sub->n;
	if (d->ntimes > 0)
		ClvFitDataTimes(sub);
	return sub;
}

/* The patterns of a state as sorted arrays (the state is untouched). */
ClvFitData *
ClvFitDataBuild(const ClvFitState *state)
{
	ClvFitData *d = palloc0(sizeof(ClvFitData));
	ClvFitState copy = *state;
	ClvPattern *all;
	int32		n;
	int32		i;
	double		tmax = 0.0;

	/* compact a copy: the final function leaves the state as it is */
	copy.items = palloc(Max(state->n, 1) * sizeof(ClvPattern));
	memcpy(copy.items, state->items, state->n * sizeof(ClvPattern));
	ClvFitCompact(&copy);
	ClvCheckPatternCount(&copy);
	all = copy.items;
	n = copy.n;
	d->kind = state->kind;
	d->n = (int) n;
	d->x = palloc(Max(n, 1) * sizeof(double));
	d->tx = palloc(Max(n, 1) * sizeof(double));
	d->t = palloc(Max(n, 1) * sizeof(double));
	d->w = palloc(Max(n, 1) * sizeof(double));
	d->group_start = palloc((n + 1) * sizeof(int));
	for (i = 0; i < n; i++)
	{
		d->x[i] = all[i].key.x;
		d->tx[i] = all[i].key.tx;
		d->t[i] = all[i].key.t;
		d->w[i] = (double) all[i].count;
		d->total += d->w[i];
		tmax = Max(tmax, d->t[i]);
		if (i == 0 || d->x[i] != d->x[i - 1])
			d->group_start[d->ngroups++] = (int) i;
	}
	d->group_start[d->ngroups] = (int) n;
	d->penalizer = state->penalizer;

	/*
	 * lifetimes' _scale_time: the largest T becomes 10.  Gamma-Gamma spend is
	 * scaled the same way (largest mean spend 10), so that the parameters
	 * are of order 1 whatever the time unit or currency.
	 */
	if (state->kind == CLV_GAMMA)
		for (i = 0; i < n; i++)
			tmax = Max(tmax, d->tx[i]);
	d->scale = tmax > 0.0 ? 10.0 / tmax : 1.0;
	for (i = 0; i < n; i++)
	{
		d->tx[i] *= d->scale;
		d->t[i] *= d->scale;
	}
	pfree(all);
	if (state->kind != CLV_GAMMA)
		ClvFitDataTimes(d);
	return d;
}

/*
 * BG/NBD log-likelihood (FHL 2005, eq. 6) summed over the patterns, and its
 * gradient (when grad is not NULL) and Hessian (when hess is not NULL, a
 * 4 x 4 row-major matrix; needs grad) with respect to (r, alpha, a, b).
 * Per customer LL = c(x) + logsumexp(A3, A4), so the Hessian of the second
 * part is w3 H(A3) + w4 H(A4) + w3 w4 (dA3 - dA4)(dA3 - dA4)'.
 */
double
BgnbdLogLik(const ClvFitData *d, const double *par, double *grad, double *hess)
{
	double		r = par[0],
				alpha = par[1],
				a = par[2],
				b = par[3];
	double		ll = 0.0;
	double		g[4] = {0, 0, 0, 0};
	double		lgr = lgamma(r),
				lgab = lgamma(a + b),
				lgb = lgamma(b),
				la = log(alpha),
				loga = log(a);
	double		psr = 0,
				psab = 0,
				psb = 0,
				tgr = 0,
				tgab = 0,
				tgb = 0;
	double		h[4][4] = {{0}};
	bool		tables = d->ntimes > 0;
	int			k;

	if (grad)
	{
		psr = CrmDigamma(r);
		psab = CrmDigamma(a + b);
		psb = CrmDigamma(b);
	}
	if (hess)
	{
		tgr = CrmTrigamma(r);
		tgab = CrmTrigamma(a + b);
		tgb = CrmTrigamma(b);
	}
	if (tables)
		for (k = 0; k < d->ntimes; k++)
		{
			d->lt[k] = log(alpha + d->times[k]);
			d->it[k] = 1.0 / (alpha + d->times[k]);
		}
	for (k = 0; k < d->ngroups; k++)
	{
		int			i;
		double		x = d->x[d->group_start[k]];
		double		rx = r + x;
		double		c = lgamma(rx) - lgr + r * la + lgab + lgamma(b + x) - lgb - lgamma(a + b + x);
		double		l4 = x > 0 ? loga - log(b + x - 1) : 0.0;
		double		dr = 0,
					da = 0,
					db = 0;
		double		wsum = 0.0,
					sw4 = 0.0;	/* sum of w * w4: the dropout share */
		double		h_ra = 0.0,	/* sums for the Hessian */
					h_aa = 0.0,
					q0 = 0.0,
					q1 = 0.0,
					q2 = 0.0,
					q11 = 0.0,
					q12 = 0.0,
					q22 = 0.0;

		if (grad)
		{
			double		psabx = CrmDigamma(a + b + x);

			dr = CrmDigamma(rx) - psr + la;
			da = psab - psabx;
			db = psab + CrmDigamma(b + x) - psb - psabx;
		}
		for (i = d->group_start[k]; i < d->group_start[k + 1]; i++)
		{
			double		w = d->w[i];
			double		lT,
						iT;

			if ((i & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
			if (tables)
			{
				lT = d->lt[d->ti[i]];
				iT = d->it[d->ti[i]];
			}
			else
			{
				lT = log(alpha + d->t[i]);
				iT = 1.0 / (alpha + d->t[i]);
			}
			wsum += w;
			if (x > 0)
			{
				double		lR = tables ? d->lt[d->ri[i]] : log(alpha + d->tx[i]);
				double		iR = tables ? d->it[d->ri[i]] : 1.0 / (alpha + d->tx[i]);

				/* log(exp(A3) + exp(A4)), A3 = -rx lT, A4 = l4 - rx lR */
				double		diff = l4 - rx * (lR - lT);	/* A4 - A3 */
				double		e = exp(-fabs(diff));
				double		w4 = diff > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
				double		w3 = 1.0 - w4;

				ll += w * (-rx * lT + Max(diff, 0.0) + log(1.0 + e));
				if (grad)
				{
					g[0] -= w * (w3 * lT + w4 * lR);
					g[1] -= w * rx * (w3 * iT + w4 * iR);
					sw4 += w * w4;
				}
				if (hess)
				{
					double		q = w * w3 * w4;
					double		d1 = lR - lT;
					double		d2 = rx * (iR - iT);

					h_ra -= w * (w3 * iT + w4 * iR);
					h_aa += w * rx * (w3 * iT * iT + w4 * iR * iR);
					q0 += q;
					q1 += q * d1;
					q2 += q * d2;
					q11 += q * d1 * d1;
					q12 += q * d1 * d2;
					q22 += q * d2 * d2;
				}
			}
			else
			{
				ll -= w * rx * lT;
				if (grad)
				{
					g[0] -= w * lT;
					g[1] -= w * rx * iT;
				}
				if (hess)
				{
					h_ra -= w * iT;
					h_aa += w * rx * iT * iT;
				}
			}
		}
		ll += wsum * c;
		if (grad)
		{
			g[0] += wsum * dr;
			g[1] += wsum * r / alpha;
			g[2] += wsum * da + sw4 / a;
			g[3] += wsum * db - (x > 0 ? sw4 / (b + x - 1) : 0.0);
		}
		if (hess)
		{
			double		tabx = CrmTrigamma(a + b + x);
			double		ia = 1.0 / a;
			double		ib = x > 0 ? 1.0 / (b + x - 1) : 0.0;

			/* c(x) */
			h[0][0] += wsum * (CrmTrigamma(rx) - tgr);
			h[0][1] += wsum / alpha;
			h[1][1] -= wsum * r / (alpha * alpha);
			h[2][2] += wsum * (tgab - tabx);
			h[2][3] += wsum * (tgab - tabx);
			h[3][3] += wsum * (tgab + CrmTrigamma(b + x) - tgb - tabx);
			/* w3 H(A3) + w4 H(A4) */
			h[0][1] += h_ra;
			h[1][1] += h_aa;
			h[2][2] -= sw4 * ia * ia;
			h[3][3] += sw4 * ib * ib;
			/* w3 w4 (dA3 - dA4)(dA3 - dA4)', dA3 - dA4 = (d1, d2, -1/a, 1/(b+x-1)) */
			h[0][0] += q11;
			h[0][1] += q12;
			h[1][1] += q22;
			h[0][2] -= q1 * ia;
			h[0][3] += q1 * ib;
			h[1][2] -= q2 * ia;
			h[1][3] += q2 * ib;
			h[2][2] += q0 * ia * ia;
			h[2][3] -= q0 * ia * ib;
			h[3][3] += q0 * ib * ib;
		}
	}
	if (grad)
		memcpy(grad, g, sizeof(g));
	if (hess)
	{
		int			i,
					j;

		for (i = 0; i < 4; i++)
			for (j = 0; j < 4; j++)
				hess[i * 4 + j] = i <= j ? h[i][j] : h[j][i];
	}
	return ll;
}

/*
 * log A0 of the Pareto/NBD likelihood: log of
 *		2F1(a, b; a+1; z(tx)) / (m + tx)^a - 2F1(a, b; a+1; z(T)) / (m + T)^a
 * with a = r + s + x, m = max(alpha, beta), z(u) = |alpha - beta| / (m + u)
 * and b = r + x when alpha < beta, s + 1 otherwise.  -Infinity when tx = T.
 */
double
ParetoLogA0(double r, double alpha, double s, double beta, double x, double tx, double T,
			bool *ok)
{
	double		a = r + s + x;
	double		m,
				diff,
				b,
				l1,
				l2;
	bool		ok1,
				ok2;

	if (alpha < beta)
	{
		m = beta;
		diff = beta - alpha;
		b = r + x;
	}
	else
	{
		m = alpha;
		diff = alpha - beta;
		b = s + 1.0;
	}
	l1 = CrmLogHyp2f1Ap1(a, b, diff / (m + tx), &ok1) - a * log(m + tx);
	l2 = CrmLogHyp2f1Ap1(a, b, diff / (m + T), &ok2) - a * log(m + T);
	*ok = ok1 && ok2;
	if (!(l1 > l2))
		return -INFINITY;		/* tx = T (or equal after rounding) */
	return CrmLogSubExp(l1, l2);
}

/* Pareto/NBD log-likelihood of one customer (note 008, eq. 2-3 in logs). */
double
ParetoLogLik1(const double *par, double x, double tx, double T, double lgr, bool *ok)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	double		A1 = lgamma(r + x) - lgr + r * log(alpha) + s * log(beta);
	double		lA0 = ParetoLogA0(r, alpha, s, beta, x, tx, T, ok);
	double		first = -(r + x) * log(alpha + T) - s * log(beta + T);
	double		second = log(s) + lA0 - log(r + s + x);

	return A1 + CrmLogAddExp(first, second);
}

/*
 * Pareto/NBD log-likelihood with the time tables: the two 2F1 terms of A0
 * depend on the frequency and one time only, so each is computed once per
 * (frequency, distinct time) and reused by every pattern that has it.
 */
static double
ParetoLogLikTables(const ClvFitData *d, const double *par)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	double		m = Max(alpha, beta),
				diff = fabs(alpha - beta);
	double		lgr = lgamma(r),
				ls = log(s),
				base = r * log(alpha) + s * log(beta);
	double		ll = 0.0;
	int			k;

	for (k = 0; k < d->ntimes; k++)
	{
		d->lt[k] = log(alpha + d->times[k]);
		d->it[k] = log(beta + d->times[k]);
		d->lm[k] = log(m + d->times[k]);
		d->stamp[k] = -1;
	}
	for (k = 0; k < d->ngroups; k++)
	{
		double		x = d->x[d->group_start[k]];
		double		a = r + s + x;
		double		b = alpha < beta ? r + x : s + 1.0;
		double		A1 = lgamma(r + x) - lgr + base;
		double		la = log(a);
		int			i;

		for (i = d->group_start[k]; i < d->group_start[k + 1]; i++)
		{
			int			idx[2] = {d->ri[i], d->ti[i]};
			double		l[2];
			double		lA0,
						first;
			int			j;

			if ((i & 0x3FFF) == 0x3FFF)
				CHECK_FOR_INTERRUPTS();
			for (j = 0; j < 2; j++)
			{
				int			q = idx[j];

				if (d->stamp[q] != k)
				{
					bool		ok;

					d->cache[q] = CrmLogHyp2f1Ap1(a, b, diff / (m + d->times[q]), &ok) - a * d->lm[q];
					if (!ok)
						return NAN;
					d->stamp[q] = k;
				}
				l[j] = d->cache[q];
			}
			lA0 = l[0] > l[1] ? CrmLogSubExp(l[0], l[1]) : -INFINITY;
			first = -(r + x) * d->lt[idx[1]] - s * d->it[idx[1]];
			ll += d->w[i] * (A1 + CrmLogAddExp(first, ls + lA0 - la));
		}
	}
	return isfinite(ll) ? ll : NAN;
}

/* Pareto/NBD log-likelihood summed over the patterns (NaN when not computable). */
double
ParetoLogLik(const ClvFitData *d, const double *par)
{
	double		ll = 0.0;
	double		lgr = lgamma(par[0]);
	int			i;

	if (d->ntimes > 0)
		return ParetoLogLikTables(d, par);
	for (i = 0; i < d->n; i++)
	{
		bool		ok;
		double		l = ParetoLogLik1(par, d->x[i], d->tx[i], d->t[i], lgr, &ok);

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();

		if (!ok || !isfinite(l))
			return NAN;
		ll += d->w[i] * l;
	}
	return ll;
}

/* Gamma-Gamma log-likelihood (note 025, eq. 1 with zbar = m) and its gradient. */
double
GammaLogLik(const ClvFitData *d, const double *par, double *grad)
{
	double		p = par[0],
				q = par[1],
				v = par[2];
	double		ll = 0.0;
	double		g[3] = {0, 0, 0};
	double		lgq = lgamma(q),
				lv = log(v),
				psq = grad ? CrmDigamma(q) : 0.0;
	int			i;

	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					m = d->tx[i],
					w = d->w[i];
		double		px = p * x;
		double		lxmv = log(x * m + v);
		double		lm = log(m),
					lx = log(x);

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();

		ll += w * (lgamma(px + q) - lgamma(px) - lgq + q * lv + (px - 1.0) * lm +
				   px * lx - (px + q) * lxmv);
		if (grad)
		{
			double		pspq = CrmDigamma(px + q);

			g[0] += w * x * (pspq - CrmDigamma(px) + lm + lx - lxmv);
			g[1] += w * (pspq - psq + lv - lxmv);
			g[2] += w * (q / v - (px + q) / (x * m + v));
		}
	}
	if (grad)
		memcpy(grad, g, sizeof(g));
	return ll;
}
