/*
 * regression.c
 *		Logistic and linear regression: two kinds of crm.model, trained from
 *		a caller's query by maximum likelihood, with R's glm / lm conventions.
 *
 * Design: an intercept, one column per numeric feature and, for each
 * categorical feature, one indicator column per level but the first in sort
 * order (treatment coding, the reference level as in R).  Columns that are
 * linear combinations of earlier ones (including constant columns) are
 * aliased: left out with a NOTICE, their coefficients NULL, as glm reports
 * NA (detected by the Cholesky factor of the first information matrix,
 * linalg.c).
 *
 * Fit: Newton's method, which for these canonical-link GLMs is IRLS (Green
 * 1984; McCullagh & Nelder 1989, 2.5): each step solves (X'WX) d = X'(y - mu)
 * with the information matrix of the current coefficients, halving the step
 * when the penalised log-likelihood would fall.  It stops when the Newton
 * decrement g'H^-1 g (about twice the distance to the maximum) is below
 * 1e-10 and takes that last step, which moves no coefficient by more than
 * 1e-5 of its standard error, so the information matrix of that pass stands
 * for the solution's.  Standard errors are the square roots of its inverse
 * (observed information: for the canonical logit and identity links it
 * equals the expected information, as in R and statsmodels), times the
 * residual variance RSS / (n - rank) for linear regression.  Numeric columns are
 * centred on their training means while fitting, which leaves the slopes
 * unchanged and keeps the system well conditioned; the intercept and its
 * variance are transformed back exactly.
 *
 * Each pass over the training rows accumulates the log-likelihood, gradient
 * and information matrix over batches: the numeric block by dot products
 * over the batch's columns, the indicator columns sparsely (a row has one
 * level per categorical feature).  The rows come from memory, or from the
 * caller's query run once per pass when they do not fit crm_analytics.
 * max_memory (model_features.c), so memory stays bounded by the number of
 * design columns.
 *
 * Separation (Albert & Anderson 1984): when the classes are (quasi-)
 * completely separated, the likelihood has no maximum; Newton's steps keep
 * moving the linear predictor along the separating direction by about one
 * unit per step while the likelihood stops rising.  A fit whose last step
 * still moves some column's contribution by 0.1 or more, with fitted
 * log-odds beyond +-15, is reported as separated (an ERROR naming the
 * columns), instead of returning huge coefficients.  An L2 penalty (l2 > 0)
 * always has a finite optimum: minimise -loglik + l2/2 * sum(beta_j^2) over
 * all coefficients but the intercept, which is scikit-learn's
 * LogisticRegression(C = 1 / l2) and Ridge(alpha = l2).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "model.h"
#include "numerics.h"

PG_FUNCTION_INFO_V1(logistic_regression);
PG_FUNCTION_INFO_V1(linear_regression);
PG_FUNCTION_INFO_V1(model_coefficients);

/* Most design columns (the information matrix is columns^2 doubles). */
#define CRM_REGRESSION_MAX_COLUMNS	2000
/* 1 - R^2 below which a column is aliased with the earlier ones. */
#define CRM_ALIAS_TOL				1e-10
/* Later steps: a pivot below this leaves the column out of that step only. */
#define CRM_STEP_TOL				1e-14
/* Newton decrement at convergence. */
#define CRM_NEWTON_TOL				1e-10
#define CRM_MAX_HALVINGS			30
#define CRM_MAX_ITERATIONS_LIMIT	10000
/* Separation: the last step still moves a column's contribution by this much. */
#define CRM_SEPARATION_MOVE			0.1
#define CRM_SEPARATION_ETA			15.0

/* The decoded payload of both kinds. */
typedef struct CrmRegression
{
	int32		ncols;			/* design columns, intercept first */
	bool	   *aliased;
	double	   *coef;			/* 0 for aliased columns */
	double	   *se;				/* NaN when unknown */
	double		df_residual;	/* linear: t tests; logistic: 0 (z tests) */
	double		sigma;			/* linear: residual standard error */
	/* derived */
	int32	   *col_start;		/* per feature: its (first level's) column */
	double	   *col_mean;		/* training mean of each design column */
} CrmRegression;

/* Design columns of a feature schema. */
static int
CrmRegressionColumns(const CrmModel *m)
{
	int			n = 1;
	int			f;

	for (f = 0; f < m->nfeatures; f++)
		n += m->features[f].type == CRM_FEATURE_NUMERIC ? 1 : m->features[f].nlevels - 1;
	return n;
}

/* The feature and level of design column j (level NULL for numeric columns and the intercept). */
static void
CrmRegressionColumnName(const CrmModel *m, const CrmRegression *reg, int j,
						const char **feature, const char **level, bool *null_level)
{
	int			f;

	*null_level = false;
	*level = NULL;
	if (j == 0)
	{
		*feature = "(Intercept)";
		return;
	}
	for (f = 0; f < m->nfeatures; f++)
	{
		int			width = m->features[f].type == CRM_FEATURE_NUMERIC ? 1 : m->features[f].nlevels - 1;

		if (j >= reg->col_start[f] && j < reg->col_start[f] + width)
			break;
	}
	Assert(f < m->nfeatures);
	*feature = m->features[f].name;
	if (m->features[f].type == CRM_FEATURE_CATEGORICAL)
	{
		int			l = j - reg->col_start[f] + 1;

		*level = m->features[f].levels[l];
		*null_level = *level == NULL;
	}
}

/* Design column j as people write it: tenure, contract = 'One year', region IS NULL. */
static char *
CrmRegressionColumnLabel(const CrmModel *m, const CrmRegression *reg, int j)
{
	const char *feature,
			   *level;
	bool		null_level;

	CrmRegressionColumnName(m, reg, j, &feature, &level, &null_level);
	if (null_level)
		return psprintf("%s IS NULL", feature);
	if (level)
		return psprintf("%s = %s", feature, quote_literal_cstr(level));
	return pstrdup(feature);
}

/* Column starts and means, from the schema. */
static void
CrmRegressionPrepare(CrmModel *m)
{
	CrmRegression *reg = (CrmRegression *) m->payload;
	int			f,
				j = 1;

	reg->col_start = palloc(sizeof(int32) * m->nfeatures);
	reg->col_mean = palloc0(sizeof(double) * reg->ncols);
	reg->col_mean[0] = 1.0;
	for (f = 0; f < m->nfeatures; f++)
	{
		const CrmFeature *feat = &m->features[f];

		reg->col_start[f] = j;
		if (feat->type == CRM_FEATURE_NUMERIC)
			reg->col_mean[j++] = feat->mean;
		else
		{
			int64		total = 0;
			int			l;

			for (l = 0; l < feat->nlevels; l++)
				total += feat->level_rows[l];
			for (l = 1; l < feat->nlevels; l++)
				reg->col_mean[j++] = total > 0 ? (double) feat->level_rows[l] / total : 0.0;
		}
	}
}

/* ----------------------------------------------------------------------
 * The kinds' operations
 * ---------------------------------------------------------------------- */

static void
CrmRegressionWrite(StringInfo buf, const CrmModel *m)
{
	const CrmRegression *reg = (const CrmRegression *) m->payload;
	int			j;

	pq_sendint32(buf, reg->ncols);
	for (j = 0; j < reg->ncols; j++)
	{
		pq_sendbyte(buf, reg->aliased[j] ? 1 : 0);
		pq_sendfloat8(buf, reg->coef[j]);
		pq_sendfloat8(buf, reg->se[j]);
	}
	pq_sendfloat8(buf, reg->df_residual);
	pq_sendfloat8(buf, reg->sigma);
}

static void
CrmRegressionRead(StringInfo buf, CrmModel *m)
{
	CrmRegression *reg = palloc0(sizeof(CrmRegression));
	int			expected = CrmRegressionColumns(m);
	int			j;

	reg->ncols = CrmModelReadCount(buf, CRM_REGRESSION_MAX_COLUMNS, 17, "coefficient");
	if (reg->ncols != expected)
		CrmModelCorrupt(psprintf("It has %d coefficients where its features need %d.",
								 reg->ncols, expected));
	reg->aliased = palloc(sizeof(bool) * reg->ncols);
	reg->coef = palloc(sizeof(double) * reg->ncols);
	reg->se = palloc(sizeof(double) * reg->ncols);
	for (j = 0; j < reg->ncols; j++)
	{
		int			flag = CrmModelReadByte(buf, "an aliased flag");

		if (flag != 0 && flag != 1)
			CrmModelCorrupt("A coefficient's aliased flag is neither 0 nor 1.");
		reg->aliased[j] = flag == 1;
		reg->coef[j] = CrmModelReadDouble(buf, !reg->aliased[j], "a coefficient");
		reg->se[j] = CrmModelReadDouble(buf, false, "a standard error");
		if (reg->aliased[j])
			reg->coef[j] = 0.0;
		if (!(isnan(reg->se[j]) || (reg->se[j] >= 0 && isfinite(reg->se[j]))))
			CrmModelCorrupt("A standard error is negative or infinite.");
	}
	reg->df_residual = CrmModelReadDouble(buf, true, "the residual degrees of freedom");
	reg->sigma = CrmModelReadDouble(buf, false, "the residual standard error");
	if (reg->df_residual < 0 || reg->aliased[0])
		CrmModelCorrupt("The regression's statistics are inconsistent.");
	m->payload = reg;
}

/* The linear predictor of a row. */
static double
CrmRegressionEta(const CrmModel *m, const CrmFeatureRow *row)
{
	const CrmRegression *reg = (const CrmRegression *) m->payload;
	double		eta = reg->coef[0];
	int			f;

	for (f = 0; f < m->nfeatures; f++)
	{
		int			c = reg->col_start[f];

		if (m->features[f].type == CRM_FEATURE_NUMERIC)
			eta += reg->coef[c] * row->value[f];
		else if (row->level[f] >= 1)
			eta += reg->coef[c + row->level[f] - 1];
	}
	return eta;
}

static void
CrmLogisticPredict(const CrmModel *m, const CrmFeatureRow *row, double *out)
{
	double		eta = CrmRegressionEta(m, row);

	out[1] = 1.0 / (1.0 + exp(-eta));
	out[0] = 1.0 / (1.0 + exp(eta));
}

static void
CrmLinearPredict(const CrmModel *m, const CrmFeatureRow *row, double *out)
{
	out[0] = CrmRegressionEta(m, row);
}

/*
 * coefficient x (value - training mean) per feature, summed over the
 * indicator columns of a categorical feature; the base is the linear
 * predictor at the column means (the mean training prediction).
 */
static void
CrmRegressionExplain(const CrmModel *m, const CrmFeatureRow *row, double *base, double *contrib)
{
	const CrmRegression *reg = (const CrmRegression *) m->payload;
	int			f,
				j;

	*base = 0.0;
	for (j = 0; j < reg->ncols; j++)
		*base += reg->coef[j] * reg->col_mean[j];
	for (f = 0; f < m->nfeatures; f++)
	{
		const CrmFeature *feat = &m->features[f];
		int			c = reg->col_start[f];

		if (feat->type == CRM_FEATURE_NUMERIC)
			contrib[f] = reg->coef[c] * (row->value[f] - reg->col_mean[c]);
		else
		{
			double		v = row->level[f] >= 1 ? reg->coef[c + row->level[f] - 1] : 0.0;
			int			l;

			for (l = 1; l < feat->nlevels; l++)
				v -= reg->coef[c + l - 1] * reg->col_mean[c + l - 1];
			contrib[f] = v;
		}
	}
}

static void
CrmRegressionJson(StringInfo out, const CrmModel *m)
{
	const CrmRegression *reg = (const CrmRegression *) m->payload;
	int			j;

	appendStringInfoString(out, "\"coefficients\": [");
	for (j = 0; j < reg->ncols; j++)
	{
		const char *feature,
				   *level;
		bool		null_level;

		CrmRegressionColumnName(m, reg, j, &feature, &level, &null_level);
		appendStringInfoString(out, j ? ", {\"feature\": " : "{\"feature\": ");
		CrmJsonString(out, feature);
		if (level || null_level)
		{
			appendStringInfoString(out, ", \"level\": ");
			CrmJsonString(out, level);
		}
		appendStringInfoString(out, ", \"estimate\": ");
		if (reg->aliased[j])
			appendStringInfoString(out, "null");
		else
			CrmJsonNumber(out, reg->coef[j]);
		appendStringInfoString(out, ", \"std_error\": ");
		CrmJsonNumber(out, reg->se[j]);
		appendStringInfo(out, ", \"aliased\": %s}", reg->aliased[j] ? "true" : "false");
	}
	appendStringInfoString(out, "], \"df_residual\": ");
	CrmJsonNumber(out, reg->df_residual);
	if (m->kind == CRM_MODEL_LINEAR)
	{
		appendStringInfoString(out, ", \"sigma\": ");
		CrmJsonNumber(out, reg->sigma);
	}
}

const CrmModelKindOps CrmLogisticRegressionOps = {
	.kind = CRM_MODEL_LOGISTIC,
	.name = "logistic_regression",
	.target = CRM_TARGET_CLASSES,
	.write_payload = CrmRegressionWrite,
	.read_payload = CrmRegressionRead,
	.prepare = CrmRegressionPrepare,
	.predict = CrmLogisticPredict,
	.explain = CrmRegressionExplain,
	.json_payload = CrmRegressionJson
};

const CrmModelKindOps CrmLinearRegressionOps = {
	.kind = CRM_MODEL_LINEAR,
	.name = "linear_regression",
	.target = CRM_TARGET_NUMERIC,
	.write_payload = CrmRegressionWrite,
	.read_payload = CrmRegressionRead,
	.prepare = CrmRegressionPrepare,
	.predict = CrmLinearPredict,
	.explain = CrmRegressionExplain,
	.json_payload = CrmRegressionJson
};

/* ----------------------------------------------------------------------
 * Fitting
 * ---------------------------------------------------------------------- */

typedef struct CrmRegFit
{
	const char *fn;
	bool		logistic;
	CrmTrainData *td;
	CrmModel   *m;
	CrmRegression *reg;			/* column layout (col_start) */
	int			p;				/* design columns */
	int			nnum;
	int			ncat;
	int		   *num_feature;
	int		   *cat_feature;
	int			d;				/* dense block: intercept + numeric columns */
	int		   *dcol;			/* display column of dense column k (0: intercept) */
	int			ncc;			/* indicator columns */
	int		   *ccol;			/* display column of indicator column a */
	int		   *cat_base;		/* indicator column of level 1 of categorical slot c */
	double	   *center;			/* numeric slot k: training mean */
	double	   *range;			/* display column: largest |x - centre| */
	double		cw[2];			/* class weights */
	double		l2;
	double	   *beta;			/* display order, centred intercept */
	/* accumulators of a pass */
	double	   *Hd;				/* d x d, dense block */
	double	   *C;				/* ncc x d, indicator x dense */
	double	   *CC;				/* ncc x ncc, indicator x indicator */
	double	   *gd;
	double	   *gc;
	CrmFloatSum ll;				/* log-likelihood (logistic), RSS (linear) */
	double		wsum;			/* total weight */
	double		max_abs_eta;
	/* batch scratch */
	double	   *xc;				/* d x CRM batch */
	double	   *wx;
	double	   *eta;
	double	   *w;
	double	   *r;
	int32	  **acol;			/* per categorical slot: indicator column of each row, or -1 */
	int		   *nlev;			/* per categorical slot: its levels */
	int32	  **perm;			/* per categorical slot: the batch's rows grouped by level */
	int32	  **start;			/* per categorical slot: where each level's rows start in perm */
	/* the pass result in display order */
	double	   *H;				/* p x p */
	double	   *g;
} CrmRegFit;

#define CRM_FIT_BATCH	1024

/*
 * Sum of a[i] * b[i], the inner kernel of every pass: eight independent
 * partial sums (four two-lane vectors where the compiler has vector types),
 * so the adds pipeline.
 */
#if defined(__GNUC__)
typedef double CrmV2d __attribute__((vector_size(16)));

static inline double
CrmDot(const double *a, const double *b, int n)
{
	CrmV2d		s0 = {0.0, 0.0},
				s1 = {0.0, 0.0},
				s2 = {0.0, 0.0},
				s3 = {0.0, 0.0};
	double		r;
	int			i = 0;

	for (; i + 8 <= n; i += 8)
	{
		CrmV2d		a0,
					a1,
					a2,
					a3,
					b0,
					b1,
					b2,
					b3;

		memcpy(&a0, a + i, sizeof(a0));
		memcpy(&a1, a + i + 2, sizeof(a1));
		memcpy(&a2, a + i + 4, sizeof(a2));
		memcpy(&a3, a + i + 6, sizeof(a3));
		memcpy(&b0, b + i, sizeof(b0));
		memcpy(&b1, b + i + 2, sizeof(b1));
		memcpy(&b2, b + i + 4, sizeof(b2));
		memcpy(&b3, b + i + 6, sizeof(b3));
		s0 += a0 * b0;
		s1 += a1 * b1;
		s2 += a2 * b2;
		s3 += a3 * b3;
	}
	s0 = (s0 + s1) + (s2 + s3);
	r = s0[0] + s0[1];
	for (; i < n; i++)
		r += a[i] * b[i];
	return r;
}
#else
static inline double
CrmDot(const double *a, const double *b, int n)
{
	double		s0 = 0.0,
				s1 = 0.0,
				s2 = 0.0,
				s3 = 0.0;
	int			i = 0;

	for (; i + 4 <= n; i += 4)
	{
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}
#endif

/*
 * Sum of a[idx[t]] for t < n (rows of one level): four partial sums, so the
 * gathered loads do not wait on each other.
 */
static inline double
CrmGatherSum(const double *a, const int32 *idx, int n)
{
	double		s0 = 0.0,
				s1 = 0.0,
				s2 = 0.0,
				s3 = 0.0;
	int			t = 0;

	for (; t + 4 <= n; t += 4)
	{
		s0 += a[idx[t]];
		s1 += a[idx[t + 1]];
		s2 += a[idx[t + 2]];
		s3 += a[idx[t + 3]];
	}
	for (; t < n; t++)
		s0 += a[idx[t]];
	return (s0 + s1) + (s2 + s3);
}

/* log(1 + exp(x)) without overflow. */
static inline double
CrmLog1pExp(double x)
{
	return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* One batch of training rows into the pass accumulators. */
static void
CrmRegFitBatch(const CrmTrainBatch *b, void *arg)
{
	CrmRegFit  *fit = (CrmRegFit *) arg;
	int			n = b->nrows;
	int			d = fit->d;
	int			i,
				j,
				k,
				c;

	/* centred dense columns (column 0: the intercept) and the linear predictor */
	for (i = 0; i < n; i++)
	{
		fit->xc[i] = 1.0;
		fit->eta[i] = fit->beta[0];
	}
	for (k = 0; k < fit->nnum; k++)
	{
		double	   *x = fit->xc + (Size) (k + 1) * CRM_FIT_BATCH;
		const double *v = b->num[k];
		double		m = fit->center[k];
		double		bk = fit->beta[fit->dcol[k + 1]];

		for (i = 0; i < n; i++)
		{
			x[i] = v[i] - m;
			fit->eta[i] += bk * x[i];
		}
	}
	for (c = 0; c < fit->ncat; c++)
	{
		const int32 *lv = b->cat[c];
		int32	   *a = fit->acol[c];
		int32	   *st = fit->start[c];
		int			base = fit->cat_base[c];
		int			l;

		/* rows grouped by level (a counting sort), for the sums per level below */
		memset(st, 0, sizeof(int32) * (fit->nlev[c] + 1));
		for (i = 0; i < n; i++)
		{
			a[i] = lv[i] >= 1 ? base + lv[i] - 1 : -1;
			if (a[i] >= 0)
				fit->eta[i] += fit->beta[fit->ccol[a[i]]];
			st[lv[i] + 1]++;
		}
		for (l = 0; l < fit->nlev[c]; l++)
			st[l + 1] += st[l];
		for (i = 0; i < n; i++)
			fit->perm[c][st[lv[i]]++] = i;
		for (l = fit->nlev[c]; l > 0; l--)
			st[l] = st[l - 1];
		st[0] = 0;
	}

	/* weights, working residuals, likelihood */
	for (i = 0; i < n; i++)
	{
		double		eta = fit->eta[i];

		if (fabs(eta) > fit->max_abs_eta)
			fit->max_abs_eta = fabs(eta);
		if (fit->logistic)
		{
			int			y = b->y[i] > 0.5;
			double		cw = fit->cw[y];
			double		t = exp(-fabs(eta));
			double		p = eta >= 0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
			double		l1 = log1p(t);

			/* log P(y) = -log(1 + exp(-eta)) for y = 1, -log(1 + exp(eta)) for y = 0 */
			if (y)
				CrmFloatSumAdd(&fit->ll, -cw * (eta >= 0 ? l1 : l1 - eta));
			else
				CrmFloatSumAdd(&fit->ll, -cw * (eta >= 0 ? l1 + eta : l1));
			fit->w[i] = cw * p * (1.0 - p);
			fit->r[i] = cw * (y - p);
			fit->wsum += cw;
		}
		else
		{
			double		res = b->y[i] - eta;

			CrmFloatSumAdd(&fit->ll, res * res);
			fit->w[i] = 1.0;
			fit->r[i] = res;
			fit->wsum += 1.0;
		}
	}

	/* gradient and information: dense block by dot products, indicators sparsely */
	for (j = 0; j < d; j++)
	{
		const double *xj = fit->xc + (Size) j * CRM_FIT_BATCH;
		double	   *Hj = fit->Hd + (Size) j * d;

		fit->gd[j] += CrmDot(fit->r, xj, n);
		for (i = 0; i < n; i++)
			fit->wx[i] = fit->w[i] * xj[i];
		for (k = 0; k <= j; k++)
			Hj[k] += CrmDot(fit->wx, fit->xc + (Size) k * CRM_FIT_BATCH, n);
		/* indicator x dense: per level, the sum of w x_j over its rows */
		for (c = 0; c < fit->ncat; c++)
		{
			const int32 *st = fit->start[c];
			int			l;

			for (l = 1; l < fit->nlev[c]; l++)
				if (st[l + 1] > st[l])
					fit->C[(Size) (fit->cat_base[c] + l - 1) * d + j] +=
						CrmGatherSum(fit->wx, fit->perm[c] + st[l], st[l + 1] - st[l]);
		}
	}
	for (c = 0; c < fit->ncat; c++)
	{
		const int32 *a = fit->acol[c];
		const int32 *st = fit->start[c];
		int			l;

		/* gradient and diagonal per level */
		for (l = 1; l < fit->nlev[c]; l++)
			if (st[l + 1] > st[l])
			{
				int			col = fit->cat_base[c] + l - 1;

				fit->gc[col] += CrmGatherSum(fit->r, fit->perm[c] + st[l], st[l + 1] - st[l]);
				fit->CC[(Size) col * fit->ncc + col] +=
					CrmGatherSum(fit->w, fit->perm[c] + st[l], st[l + 1] - st[l]);
			}
		/* pairs of categorical features */
		for (i = 0; i < n; i++)
		{
			int			c2;

			if (a[i] < 0)
				continue;
			for (c2 = 0; c2 < c; c2++)
			{
				int32		a2 = fit->acol[c2][i];

				if (a2 >= 0)
					fit->CC[(Size) a[i] * fit->ncc + a2] += fit->w[i];
			}
		}
	}
}

/* Add v to the symmetric p x p matrix H at (a, b) and (b, a). */
static inline void
CrmSymSet(double *H, int p, int a, int b, double v)
{
	H[(Size) a * p + b] = v;
	H[(Size) b * p + a] = v;
}

/*
 * One pass at fit->beta: objective (penalised log-likelihood, or -RSS/2 -
 * penalty), gradient fit->g and information fit->H (with the penalty), in
 * display order.
 */
static double
CrmRegFitPass(CrmRegFit *fit)
{
	int			p = fit->p,
				d = fit->d,
				ncc = fit->ncc;
	int			j,
				k,
				a,
				b;
	double		obj,
				pen = 0.0;

	memset(fit->Hd, 0, sizeof(double) * d * d);
	memset(fit->C, 0, sizeof(double) * Max(ncc, 1) * d);
	memset(fit->CC, 0, sizeof(double) * Max(ncc * ncc, 1));
	memset(fit->gd, 0, sizeof(double) * d);
	memset(fit->gc, 0, sizeof(double) * Max(ncc, 1));
	fit->ll.sum = fit->ll.comp = 0.0;
	fit->wsum = 0.0;
	fit->max_abs_eta = 0.0;
	CrmTrainForEachBatch(fit->td, CrmRegFitBatch, fit);

	for (j = 0; j < d; j++)
	{
		fit->g[fit->dcol[j]] = fit->gd[j];
		for (k = 0; k <= j; k++)
			CrmSymSet(fit->H, p, fit->dcol[j], fit->dcol[k], fit->Hd[(Size) j * d + k]);
	}
	for (a = 0; a < ncc; a++)
	{
		fit->g[fit->ccol[a]] = fit->gc[a];
		for (j = 0; j < d; j++)
			CrmSymSet(fit->H, p, fit->ccol[a], fit->dcol[j], fit->C[(Size) a * d + j]);
		for (b = 0; b <= a; b++)
			CrmSymSet(fit->H, p, fit->ccol[a], fit->ccol[b], fit->CC[(Size) a * ncc + b]);
	}
	obj = fit->logistic ? CrmFloatSumResult(&fit->ll) : -0.5 * CrmFloatSumResult(&fit->ll);
	if (fit->l2 > 0)
		for (j = 1; j < p; j++)
		{
			pen += 0.5 * fit->l2 * fit->beta[j] * fit->beta[j];
			fit->g[j] -= fit->l2 * fit->beta[j];
			fit->H[(Size) j * p + j] += fit->l2;
		}
	return obj - pen;
}

/* Report aliased columns as glm does with its NA coefficients. */
static void
CrmRegFitNoticeAliased(CrmRegFit *fit, const bool *aliased)
{
	StringInfoData list;
	int			j,
				n = 0;

	initStringInfo(&list);
	for (j = 1; j < fit->p; j++)
		if (aliased[j])
		{
			if (n < 20)
				appendStringInfo(&list, "%s%s", n ? ", " : "",
								 CrmRegressionColumnLabel(fit->m, fit->reg, j));
			n++;
		}
	if (n == 0)
		return;
	if (n > 20)
		appendStringInfo(&list, " and %d more", n - 20);
	ereport(NOTICE,
			(errmsg("%s: %d aliased column%s left out: %s", fit->fn, n, n == 1 ? "" : "s", list.data),
			 errdetail("%s linear combination%s of earlier columns (or constant); %s coefficient%s NULL, as R's glm reports NA.",
					   n == 1 ? "It is a" : "They are", n == 1 ? "" : "s",
					   n == 1 ? "its" : "their", n == 1 ? " is" : "s are")));
}

/* Separated classes: name the columns that moved in the last step. */
static void
CrmRegFitSeparated(CrmRegFit *fit, const double *delta)
{
	StringInfoData list;
	double		most = 0.0;
	int			j,
				n = 0;

	for (j = 1; j < fit->p; j++)
		most = Max(most, fabs(delta[j]) * fit->range[j]);
	initStringInfo(&list);
	for (j = 1; j < fit->p; j++)
		if (fabs(delta[j]) * fit->range[j] >= 0.1 * most && n < 10)
		{
			appendStringInfo(&list, "%s%s", n ? ", " : "", CrmRegressionColumnLabel(fit->m, fit->reg, j));
			n++;
		}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s: the classes are separated by %s", fit->fn, list.data),
			 errdetail("Some rows are predicted perfectly (fitted probabilities of 0 or 1) and the log-likelihood keeps rising "
					   "as these coefficients grow without bound: the maximum-likelihood estimate does not exist "
					   "(complete or quasi-complete separation)."),
			 errhint("Drop or merge that column or level, or pass l2 => 0.01 (or another penalty) for a penalised fit, "
					 "which is always finite.")));
}

/* Everything the fit reports. */
typedef struct CrmRegFitResult
{
	int			iterations;
	bool		converged;
	double		objective;
	bool	   *aliased;
	int			rank;
	double	   *delta;			/* the last step taken */
} CrmRegFitResult;

/* Newton / IRLS from the intercept-only fit; see the file header. */
static void
CrmRegFitRun(CrmRegFit *fit, int max_iterations, CrmRegFitResult *res)
{
	int			p = fit->p;
	CrmSpdFactor factor;
	double	   *delta = palloc0(sizeof(double) * p);
	double	   *delta_prev = palloc0(sizeof(double) * p);
	double	   *beta_prev = palloc0(sizeof(double) * p);
	double		obj_prev = -INFINITY,
				step = 1.0,
				dec = INFINITY;
	int			halvings = 0,
				stalls = 0;
	bool		have_prev = false;
	int			j;

	CrmSpdFactorInit(&factor, p, CurrentMemoryContext);
	res->aliased = palloc0(sizeof(bool) * p);
	res->delta = palloc0(sizeof(double) * p);
	res->iterations = 0;
	res->rank = p;
	res->converged = false;
	for (;;)
	{
		double		obj = CrmRegFitPass(fit);

		CHECK_FOR_INTERRUPTS();
		if (res->iterations == 0 && !have_prev)
		{
			/* aliasing, from the information matrix of the start (unpenalised) */
			if (fit->l2 == 0)
			{
				res->rank = CrmSpdFactorize(&factor, fit->H, CRM_ALIAS_TOL, NULL);
				memcpy(res->aliased, factor.aliased, sizeof(bool) * p);
				CrmRegFitNoticeAliased(fit, res->aliased);
			}
			else
				res->rank = p;
		}
		if (have_prev && !(obj >= obj_prev - 1e-12 * (1.0 + fabs(obj_prev))) &&
			halvings < CRM_MAX_HALVINGS)
		{
			/* the step overshot: go half as far */
			step *= 0.5;
			halvings++;
			for (j = 0; j < p; j++)
				fit->beta[j] = beta_prev[j] + step * delta_prev[j];
			continue;
		}
		res->objective = obj;
		(void) CrmSpdFactorize(&factor, fit->H, CRM_STEP_TOL, res->aliased);
		CrmSpdSolve(&factor, fit->g, delta);
		{
			double		newdec = 0.0;

			for (j = 0; j < p; j++)
				newdec += fit->g[j] * delta[j];
			stalls = (newdec >= dec && newdec < 1e-6) ? stalls + 1 : 0;
			dec = newdec;
		}
		if (dec <= CRM_NEWTON_TOL || stalls >= 3)
		{
			/*
			 * converged: take the last step, which moves no coefficient by
			 * more than 1e-5 of its standard error (d'Hd <= 1e-10), so the
			 * information matrix and log-likelihood of this pass stand for
			 * the solution's (the change is of second order)
			 */
			res->converged = true;
			for (j = 0; j < p; j++)
				fit->beta[j] += delta[j];
			memcpy(res->delta, delta, sizeof(double) * p);
			res->iterations++;
			break;
		}
		if (res->iterations >= max_iterations)
			break;
		memcpy(beta_prev, fit->beta, sizeof(double) * p);
		memcpy(delta_prev, delta, sizeof(double) * p);
		memcpy(res->delta, delta, sizeof(double) * p);
		obj_prev = obj;
		have_prev = true;
		step = 1.0;
		halvings = 0;
		for (j = 0; j < p; j++)
			fit->beta[j] += delta[j];
		res->iterations++;
	}
	/* the factor of the last information matrix stays in fit->H for the caller */
	pfree(delta);
	pfree(delta_prev);
	pfree(beta_prev);
}

/* Check the arguments common to both training functions. */
static double
CrmRegressionL2(FunctionCallInfo fcinfo, int argno)
{
	double		l2;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("l2 must not be NULL"),
				 errhint("Pass 0 for an unpenalised fit.")));
	l2 = PG_GETARG_FLOAT8(argno);
	if (!(l2 >= 0) || !isfinite(l2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("l2 must be a finite number >= 0"),
				 errdetail("Got %g.", l2),
				 errhint("Pass 0 for an unpenalised fit.")));
	return l2;
}

/* Train a regression of either kind and return the model value. */
static Datum
CrmRegressionTrain(FunctionCallInfo fcinfo, bool logistic)
{
	const char *fn = logistic ? "crm.logistic_regression" : "crm.linear_regression";
	char	   *query;
	double		l2;
	bool		balanced = false;
	int			max_iterations = 100;
	MemoryContext callctx = CurrentMemoryContext;
	MemoryContext ctx;
	TimestampTz start = GetCurrentTimestamp();
	CrmQuery	q;
	CrmTrainData *td;
	CrmModel   *m;
	CrmRegression *reg;
	CrmRegFit  *fit;
	CrmRegFitResult res;
	CrmSpdFactor factor;
	double	   *cov;
	int64		n;
	int			p,
				j,
				k,
				c,
				f;
	double		ll,
				ll0,
				sigma2 = 1.0;
	bytea	   *result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the query of %s must not be NULL", fn)));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	l2 = CrmRegressionL2(fcinfo, 1);
	if (logistic)
	{
		if (!PG_ARGISNULL(2))
		{
			char	   *cw = text_to_cstring(PG_GETARG_TEXT_PP(2));

			if (pg_strcasecmp(cw, "balanced") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("class_weight must be NULL or 'balanced'"),
						 errdetail("Got \"%s\".", cw),
						 errhint("'balanced' weights each class by n / (2 * rows of the class), as scikit-learn does.")));
			balanced = true;
		}
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("max_iterations must not be NULL")));
		max_iterations = PG_GETARG_INT32(3);
		if (max_iterations < 1 || max_iterations > CRM_MAX_ITERATIONS_LIMIT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_iterations must be between 1 and %d", CRM_MAX_ITERATIONS_LIMIT),
					 errdetail("Got %d.", max_iterations)));
	}

	ctx = AllocSetContextCreate(callctx, "crm regression training", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(ctx);
	CrmQueryOpen(&q, query, 2, -1, fn, "(target, feature, ...)");
	td = CrmTrainOpen(&q, logistic ? CRM_TARGET_RULE_BINARY : CRM_TARGET_RULE_NUMERIC, fn, ctx);
	m = CrmTrainFirstPass(td);
	m->kind = logistic ? CRM_MODEL_LOGISTIC : CRM_MODEL_LINEAR;
	n = CrmTrainRows(td);

	/* the column layout */
	reg = palloc0(sizeof(CrmRegression));
	m->payload = reg;
	reg->ncols = p = CrmRegressionColumns(m);
	if (p > CRM_REGRESSION_MAX_COLUMNS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the design has %d columns; at most %d are supported", fn, p, CRM_REGRESSION_MAX_COLUMNS),
				 errdetail("Each categorical feature adds one column per level but the first."),
				 errhint("Group rare levels of categorical features, or use fewer features.")));
	CrmRegressionPrepare(m);

	fit = palloc0(sizeof(CrmRegFit));
	fit->fn = fn;
	fit->logistic = logistic;
	fit->td = td;
	fit->m = m;
	fit->reg = reg;
	fit->p = p;
	fit->l2 = l2;
	fit->nnum = CrmTrainNumeric(td, &fit->num_feature);
	fit->ncat = CrmTrainCategorical(td, &fit->cat_feature);
	fit->d = 1 + fit->nnum;
	fit->dcol = palloc(sizeof(int) * fit->d);
	fit->center = palloc(sizeof(double) * Max(fit->nnum, 1));
	fit->range = palloc0(sizeof(double) * p);
	fit->dcol[0] = 0;
	for (k = 0; k < fit->nnum; k++)
	{
		const CrmFeature *feat = &m->features[fit->num_feature[k]];
		int			col = reg->col_start[fit->num_feature[k]];

		fit->dcol[k + 1] = col;
		fit->center[k] = feat->mean;
		fit->range[col] = Max(feat->max - feat->mean, feat->mean - feat->min);
	}
	fit->cat_base = palloc(sizeof(int) * Max(fit->ncat, 1));
	fit->ncc = 0;
	for (c = 0; c < fit->ncat; c++)
	{
		fit->cat_base[c] = fit->ncc;
		fit->ncc += m->features[fit->cat_feature[c]].nlevels - 1;
	}
	fit->ccol = palloc(sizeof(int) * Max(fit->ncc, 1));
	for (c = 0; c < fit->ncat; c++)
	{
		f = fit->cat_feature[c];
		for (j = 0; j < m->features[f].nlevels - 1; j++)
		{
			fit->ccol[fit->cat_base[c] + j] = reg->col_start[f] + j;
			fit->range[reg->col_start[f] + j] = 1.0;
		}
	}
	fit->H = CrmMemoryAlloc(ctx, (Size) p * p, sizeof(double), fn, "the information matrix");
	fit->g = palloc0(sizeof(double) * p);
	fit->beta = palloc0(sizeof(double) * p);
	fit->Hd = palloc0(sizeof(double) * fit->d * fit->d);
	fit->C = CrmMemoryAlloc(ctx, (Size) Max(fit->ncc, 1) * fit->d, sizeof(double), fn, "the information matrix");
	fit->CC = CrmMemoryAlloc(ctx, (Size) Max(fit->ncc, 1) * Max(fit->ncc, 1), sizeof(double), fn, "the information matrix");
	fit->gd = palloc0(sizeof(double) * fit->d);
	fit->gc = palloc0(sizeof(double) * Max(fit->ncc, 1));
	fit->xc = CrmMemoryAlloc(ctx, (Size) fit->d * CRM_FIT_BATCH, sizeof(double), fn, "a batch of rows");
	fit->wx = palloc(sizeof(double) * CRM_FIT_BATCH);
	fit->eta = palloc(sizeof(double) * CRM_FIT_BATCH);
	fit->w = palloc(sizeof(double) * CRM_FIT_BATCH);
	fit->r = palloc(sizeof(double) * CRM_FIT_BATCH);
	fit->acol = palloc(sizeof(int32 *) * Max(fit->ncat, 1));
	fit->perm = palloc(sizeof(int32 *) * Max(fit->ncat, 1));
	fit->start = palloc(sizeof(int32 *) * Max(fit->ncat, 1));
	fit->nlev = palloc(sizeof(int) * Max(fit->ncat, 1));
	for (c = 0; c < fit->ncat; c++)
	{
		fit->nlev[c] = m->features[fit->cat_feature[c]].nlevels;
		fit->acol[c] = palloc(sizeof(int32) * CRM_FIT_BATCH);
		fit->perm[c] = palloc(sizeof(int32) * CRM_FIT_BATCH);
		fit->start[c] = palloc(sizeof(int32) * (fit->nlev[c] + 1));
	}

	/* the start: the intercept-only fit */
	if (logistic)
	{
		double		n0 = (double) m->target.level_rows[0],
					n1 = (double) m->target.level_rows[1],
					ybar;

		fit->cw[0] = balanced ? (n0 + n1) / (2.0 * n0) : 1.0;
		fit->cw[1] = balanced ? (n0 + n1) / (2.0 * n1) : 1.0;
		ybar = fit->cw[1] * n1 / (fit->cw[1] * n1 + fit->cw[0] * n0);
		fit->beta[0] = log(ybar / (1.0 - ybar));
		ll0 = fit->cw[1] * n1 * log(ybar) + fit->cw[0] * n0 * log1p(-ybar);
	}
	else
	{
		fit->beta[0] = m->target.mean;
		ll0 = -0.5 * n * (log(2.0 * M_PI * m->target.sd * m->target.sd) + 1.0);
	}

	CrmRegFitRun(fit, max_iterations, &res);

	if (logistic && l2 == 0 && res.converged && fit->max_abs_eta >= CRM_SEPARATION_ETA)
	{
		double		moved = 0.0;

		for (j = 1; j < p; j++)
			moved = Max(moved, fabs(res.delta[j]) * fit->range[j]);
		if (moved >= CRM_SEPARATION_MOVE)
			CrmRegFitSeparated(fit, res.delta);
	}
	if (!res.converged)
		ereport(WARNING,
				(errmsg("%s did not converge in %d iterations", fn, max_iterations),
				 errhint("Raise max_iterations, or look for separation or extreme feature values.")));

	/* covariance of the estimates */
	CrmSpdFactorInit(&factor, p, ctx);
	(void) CrmSpdFactorize(&factor, fit->H, CRM_STEP_TOL, res.aliased);
	cov = CrmMemoryAlloc(ctx, (Size) p * p, sizeof(double), fn, "the covariance matrix");
	CrmSpdInverse(&factor, cov);
	if (logistic)
		ll = CrmFloatSumResult(&fit->ll);
	else
	{
		double		rss = CrmFloatSumResult(&fit->ll);

		ll = -0.5 * n * (log(2.0 * M_PI * rss / n) + 1.0);
		reg->df_residual = (double) (n - res.rank);
		sigma2 = reg->df_residual > 0 ? rss / reg->df_residual : NAN;
		reg->sigma = sqrt(sigma2);
	}
	if (logistic)
		reg->df_residual = 0;

	/* coefficients on the original scale */
	reg->aliased = palloc(sizeof(bool) * p);
	reg->coef = palloc(sizeof(double) * p);
	reg->se = palloc(sizeof(double) * p);
	for (j = 0; j < p; j++)
	{
		reg->aliased[j] = res.aliased[j];
		reg->coef[j] = res.aliased[j] ? 0.0 : fit->beta[j];
		reg->se[j] = res.aliased[j] ? NAN : sqrt(sigma2 * cov[(Size) j * p + j]);
	}
	{
		/* intercept = centred intercept - sum(slope * mean); variance a' cov a */
		double	   *a = palloc0(sizeof(double) * p);
		double		var = 0.0;
		int			i;

		a[0] = 1.0;
		for (k = 0; k < fit->nnum; k++)
			if (!res.aliased[fit->dcol[k + 1]])
			{
				a[fit->dcol[k + 1]] = -fit->center[k];
				reg->coef[0] -= fit->beta[fit->dcol[k + 1]] * fit->center[k];
			}
		for (i = 0; i < p; i++)
			for (j = 0; j < p; j++)
				var += a[i] * cov[(Size) i * p + j] * a[j];
		reg->se[0] = sqrt(sigma2 * Max(var, 0.0));
	}
	for (j = 0; j < p; j++)
		if (!(reg->se[j] >= 0 && isfinite(reg->se[j])))
			reg->se[j] = NAN;

	/* training facts */
	CrmModelAddFact(m, "rows", CRM_FACT_INT, n, 0, NULL);
	CrmModelAddFact(m, "rows_skipped_null_target", CRM_FACT_INT, CrmTrainSkipped(td), 0, NULL);
	CrmModelAddFact(m, "iterations", CRM_FACT_INT, res.iterations, 0, NULL);
	CrmModelAddFact(m, "converged", CRM_FACT_BOOL, res.converged, 0, NULL);
	CrmModelAddFact(m, "log_likelihood", CRM_FACT_FLOAT, 0, ll, NULL);
	CrmModelAddFact(m, "null_log_likelihood", CRM_FACT_FLOAT, 0, ll0, NULL);
	CrmModelAddFact(m, "deviance", CRM_FACT_FLOAT, 0,
					logistic ? -2.0 * ll : CrmFloatSumResult(&fit->ll), NULL);
	CrmModelAddFact(m, "aic", CRM_FACT_FLOAT, 0,
					-2.0 * ll + 2.0 * (res.rank + (logistic ? 0 : 1)), NULL);
	CrmModelAddFact(m, "coefficients", CRM_FACT_INT, res.rank, 0, NULL);
	CrmModelAddFact(m, "aliased", CRM_FACT_INT, p - res.rank, 0, NULL);
	if (logistic)
	{
		CrmModelAddFact(m, "pseudo_r_squared", CRM_FACT_FLOAT, 0, 1.0 - ll / ll0, NULL);
		CrmModelAddFact(m, "class_weight", CRM_FACT_TEXT, 0, 0, balanced ? "balanced" : "none");
		CrmModelAddFact(m, "max_iterations", CRM_FACT_INT, max_iterations, 0, NULL);
	}
	else
	{
		double		sst = n * m->target.sd * m->target.sd;
		double		r2 = sst > 0 ? 1.0 - CrmFloatSumResult(&fit->ll) / sst : NAN;

		CrmModelAddFact(m, "r_squared", CRM_FACT_FLOAT, 0, r2, NULL);
		CrmModelAddFact(m, "adj_r_squared", CRM_FACT_FLOAT, 0,
						reg->df_residual > 0 ? 1.0 - (1.0 - r2) * (n - 1) / reg->df_residual : NAN, NULL);
		CrmModelAddFact(m, "sigma", CRM_FACT_FLOAT, 0, reg->sigma, NULL);
	}
	CrmModelAddFact(m, "l2", CRM_FACT_FLOAT, 0, l2, NULL);
	CrmModelAddFact(m, "query_passes", CRM_FACT_INT, CrmTrainPasses(td), 0, NULL);
	CrmModelAddFact(m, "in_memory", CRM_FACT_BOOL, CrmTrainInMemory(td), 0, NULL);
	CrmModelAddFact(m, "training_ms", CRM_FACT_FLOAT, 0,
					(GetCurrentTimestamp() - start) / 1000.0, NULL);

	CrmQueryClose(&q);
	MemoryContextSwitchTo(callctx);
	result = CrmModelEncode(m);
	MemoryContextDelete(ctx);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	PG_RETURN_BYTEA_P(result);
}

/* crm.logistic_regression(query, l2, class_weight, max_iterations) */
Datum
logistic_regression(PG_FUNCTION_ARGS)
{
	return CrmRegressionTrain(fcinfo, true);
}

/* crm.linear_regression(query, l2) */
Datum
linear_regression(PG_FUNCTION_ARGS)
{
	return CrmRegressionTrain(fcinfo, false);
}

/*
 * crm.model_coefficients(model): the table of R's summary(glm): estimate,
 * standard error, z (t for linear regression), two-sided p-value and, for
 * logistic regression, the odds ratio.  Aliased columns have NULLs.
 */
Datum
model_coefficients(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CrmModel   *m = CrmModelFromArg(fcinfo, 0);
	const CrmRegression *reg;
	bool		logistic;
	int			j;

	if (m->kind != CRM_MODEL_LOGISTIC && m->kind != CRM_MODEL_LINEAR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.model_coefficients needs a logistic_regression or linear_regression model"),
				 errdetail("The model is a %s.", CrmModelKindOpsFor(m->kind)->name)));
	reg = (const CrmRegression *) m->payload;
	logistic = m->kind == CRM_MODEL_LOGISTIC;
	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < reg->ncols; j++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, true, true, true, true, true, true};
		const char *feature,
				   *level;
		bool		null_level;

		CrmRegressionColumnName(m, reg, j, &feature, &level, &null_level);
		values[0] = CStringGetTextDatum(feature);
		if (level)
		{
			nulls[1] = false;
			values[1] = CStringGetTextDatum(level);
		}
		if (!reg->aliased[j])
		{
			double		b = reg->coef[j],
						se = reg->se[j];

			nulls[2] = false;
			values[2] = Float8GetDatum(b);
			if (!isnan(se))
			{
				double		z = b / se;
				double		pval;

				nulls[3] = false;
				values[3] = Float8GetDatum(se);
				if (isfinite(z))
				{
					pval = logistic ? 2.0 * CrmNormalUpperTail(fabs(z))
						: 2.0 * CrmStudentTUpperTail(fabs(z), reg->df_residual);
					nulls[4] = false;
					values[4] = Float8GetDatum(z);
					nulls[5] = isnan(pval);
					values[5] = Float8GetDatum(pval);
				}
			}
			if (logistic)
			{
				nulls[6] = false;
				values[6] = Float8GetDatum(exp(b));
			}
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
