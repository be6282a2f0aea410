/*
 * clv.h
 *		Shared declarations of the customer-lifetime-value capability: the
 *		types and functions the model files share, clv_fit.c (the fit
 *		aggregates), clv_likelihood.c (the likelihoods) and clv_predict.c
 *		(predictions and the lifetime value).  The optimisers and special
 *		functions they use are declared in numerics.h.
 */
#ifndef CRM_CLV_H
#define CRM_CLV_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "numerics.h"

/* Length of a time unit in days (clv.c). */
extern double ClvUnitDays(const Interval *unit);

/* ---------- the buy-till-you-die models ---------- */

typedef enum ClvModelKind
{
	CLV_BGNBD = 'b',
	CLV_PARETO = 'p',
	CLV_GAMMA = 'g'
} ClvModelKind;

/* One pattern: customers with the same summary (t = 0 for Gamma-Gamma). */
typedef struct ClvPatternKey
{
	double		x;				/* frequency */
	double		tx;				/* recency, or monetary value for Gamma-Gamma */
	double		t;				/* T */
} ClvPatternKey;

typedef struct ClvPattern
{
	ClvPatternKey key;
	int64		count;
} ClvPattern;

/*
 * Aggregate state of the fit aggregates.  Rows are appended to an array;
 * beyond CLV_COMPACT_AT rows, a full array is sorted and equal patterns are
 * merged (compaction), and it only grows when that leaves it more than half
 * full.  So the state stays within max(CLV_COMPACT_AT, twice the number of
 * distinct patterns), rows are added without random memory access, and the
 * final function needs the sorted order anyway (it makes every sum, and so
 * the fit, independent of the row order and of the parallel plan).
 */
typedef struct ClvFitState
{
	char		kind;			/* ClvModelKind */
	double		penalizer;
	int64		customers;
	int32		n;				/* patterns used */
	int32		nsorted;		/* items[0 .. nsorted) sorted and distinct */
	int32		capacity;
	ClvPattern *items;
} ClvFitState;

/* Patterns as arrays for the likelihood, sorted by frequency. */
typedef struct ClvFitData
{
	char		kind;
	int			n;				/* patterns */
	double	   *x;
	double	   *tx;
	double	   *t;
	double	   *w;				/* customers per pattern */
	int			ngroups;		/* distinct frequencies */
	int		   *group_start;	/* first pattern of each frequency, + n at the end */
	double		total;			/* customers */
	double		scale;			/* time multiplier used during the fit */
	double		penalizer;

	/*
	 * Times take few distinct values (whole days in some unit), so BG/NBD
	 * computes log(alpha + time) and 1 / (alpha + time) once per distinct
	 * time and evaluation: times[] holds them, ti[] and ri[] index T and
	 * recency of each pattern, and lt[], it[] are the per-evaluation tables.
	 * ntimes = 0 when the tables are not built.
	 */
	int			ntimes;
	double	   *times;
	int		   *ti;
	int		   *ri;
	double	   *lt;
	double	   *it;
	/* Pareto/NBD: log(m + time) and a per-frequency cache of the 2F1 terms */
	double	   *lm;
	double	   *cache;
	int		   *stamp;
} ClvFitData;

/* Number of parameters of a model. */
static inline int
ClvNumParams(char kind)
{
	return kind == CLV_GAMMA ? 3 : 4;
}

/* clv_fit.c: model names, input checks, pattern state */
extern const char *ClvModelName(char kind);
extern const char *const ClvParamNames[3][4];
extern void ClvCheckSummary(double x, double tx, double t);
extern void ClvCheckSpend(double x, double m);
extern void ClvFitCompact(ClvFitState *state);
extern void ClvCheckPatternCount(const ClvFitState *state);

/* clv_likelihood.c: fit data and log-likelihoods (par in the data's units) */
extern ClvFitData *ClvFitDataBuild(const ClvFitState *state);
extern ClvFitData *ClvFitDataSubset(const ClvFitData *d, int stride);
extern double BgnbdLogLik(const ClvFitData *d, const double *par, double *grad, double *hess);
extern double ParetoLogA0(double r, double alpha, double s, double beta, double x, double tx,
						  double T, bool *ok);
extern double ParetoLogLik1(const double *par, double x, double tx, double T, double lgr,
							bool *ok);
extern double ParetoLogLik(const ClvFitData *d, const double *par);
extern double GammaLogLik(const ClvFitData *d, const double *par, double *grad);

#endif							/* CRM_CLV_H */
