/*
 * numerics.h
 *		Shared numerical mechanisms of the capabilities that fit or test
 *		models (CLV, Holt-Winters, deviation tests, regressions, ...): the
 *		optimisers (optim.c), the special functions and quantiles
 *		(specfun.c), and dense symmetric linear algebra (linalg.c).
 */
#ifndef CRM_NUMERICS_H
#define CRM_NUMERICS_H

#include "postgres.h"

/* ---------- optimisers (optim.c) ---------- */

/*
 * Largest number of parameters the optimisers take (the CLV models have at
 * most 4: Pareto/NBD and BG/NBD).
 */
#define CRM_OPTIM_MAX_PARAMS	8

/*
 * Objective for the optimiser: returns f(x) and, when grad is not NULL,
 * stores the gradient.  A non-finite return value means "outside the domain".
 */
typedef double (*CrmObjective) (const double *x, double *grad, void *arg);

/* The same with the Hessian too (n x n, row-major) when hess is not NULL. */
typedef double (*CrmObjectiveHess) (const double *x, double *grad, double *hess, void *arg);

typedef struct CrmOptimResult
{
	double		f;				/* objective at the solution */
	int			iterations;		/* iterations used */
	int			evaluations;	/* objective evaluations */
	bool		converged;		/* stopping test met before the iteration limit */
} CrmOptimResult;

/*
 * Quasi-Newton minimisation (BFGS with a backtracking line search).  When
 * has_gradient is false the gradient is taken by central differences.
 * x holds the start on entry and the solution on return.  Both minimisers
 * give up (converged = false) as soon as a coordinate leaves [-bound, bound]:
 * the minimum is then at infinity, and following it further only costs time.
 */
extern CrmOptimResult CrmBfgsMinimize(CrmObjective fn, void *arg, int n, double *x,
									  bool has_gradient, int max_iter, double gtol,
									  double bound);

/*
 * Damped Newton minimisation (Levenberg-style diagonal shift when the
 * Hessian is not positive definite, backtracking line search).
 */
extern CrmOptimResult CrmNewtonMinimize(CrmObjectiveHess fn, void *arg, int n, double *x,
										int max_iter, double gtol, double bound);

/* Nelder-Mead simplex minimisation, used as a fallback and to polish. */
extern CrmOptimResult CrmNelderMead(CrmObjective fn, void *arg, int n, double *x,
									double step, int max_iter, double xtol, double ftol,
									double bound);

/*
 * Minimisation inside the box lower <= x <= upper (projected BFGS with an
 * active set, as L-BFGS-B for small problems): Holt-Winters' smoothing
 * parameters in [0, 1].  Stops when every gradient component, except those
 * pushing out of the box at a bound, is below pgtol in absolute value.
 */
extern CrmOptimResult CrmBoxMinimize(CrmObjective fn, void *arg, int n, double *x,
									 const double *lower, const double *upper,
									 bool has_gradient, int max_iter, double pgtol);

/* ---------- special functions (specfun.c) ---------- */

/* Digamma function psi(x) for x > 0. */
extern double CrmDigamma(double x);

/* Trigamma function psi'(x) for x > 0. */
extern double CrmTrigamma(double x);

/* log 2F1(a, b; c; z) for 0 <= z < 1; *ok false when it cannot be computed. */
extern double CrmLogHyp2f1(double a, double b, double c, double z, bool *ok);

/*
 * log 2F1(a, b; a + 1; z) for a > 0, 0 < b <= a + 1, 0 <= z < 1 (the
 * Pareto/NBD case); *ok false when it cannot be computed.
 */
extern double CrmLogHyp2f1Ap1(double a, double b, double z, bool *ok);

/* log(exp(a) + exp(b)) without overflow. */
extern double CrmLogAddExp(double a, double b);

/* log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
extern double CrmLogSubExp(double a, double b);

/* ---------- distributions and quantiles (specfun.c) ---------- */

/* log B(a, b) for a, b > 0 (Stirling corrections for large arguments). */
extern double CrmLogBeta(double a, double b);

/*
 * Regularized incomplete beta function I_x(a, b) for a, b > 0, given x and
 * y = 1 - x separately (so that x close to 1 keeps its accuracy); the upper
 * tail 1 - I_x(a, b) when upper.
 */
extern double CrmBetaInc(double a, double b, double x, double y, bool upper);

/* Regularized upper incomplete gamma function Q(a, x). */
extern double CrmGammaIncUpper(double a, double x);

/* Standard normal CDF Phi(x) and upper tail 1 - Phi(x). */
extern double CrmNormalCdf(double x);
extern double CrmNormalSf(double x);

/* Lower-tail normal quantile: x with Phi(x) = p, 0 < p < 1. */
extern double CrmNormalQuantile(double p);

/* Upper tail P(T > t) of Student's t distribution with df > 0 degrees of freedom. */
extern double CrmStudentTUpperTail(double t, double df);

/* Upper-tail quantile of Student's t: the t with P(T > t) = q, 0 < q < 1, df > 0. */
extern double CrmStudentTUpperQuantile(double q, double df);

/* Upper tail P(X > x) of the chi-square distribution with k degrees of freedom. */
extern double CrmChi2Sf(double x, double k);

/* Upper tail P(Z > z) of the standard normal distribution. */
extern double CrmNormalUpperTail(double z);

/* ---------- dense symmetric linear algebra (linalg.c) ---------- */

/*
 * Factor of a symmetric positive semi-definite matrix A (n x n) as
 * D^-1/2 A D^-1/2 = L L' over its non-aliased columns, D = diag(A).
 *
 * Columns are processed in their order; a column whose squared residual
 * after projection on the earlier kept columns is below tol relative to its
 * own squared norm (1 - R^2 < tol) is aliased: it is left out, like the NA
 * coefficients of R's lm/glm (whose pivoted QR also keeps the earlier of two
 * collinear columns).  Zero columns are aliased.
 */
typedef struct CrmSpdFactor
{
	int			n;				/* order of the matrix */
	int			rank;			/* columns kept */
	double	   *L;				/* n x n, row-major lower triangle */
	double	   *scale;			/* 1 / sqrt(A_jj), 0 for aliased columns */
	bool	   *aliased;		/* columns left out */
} CrmSpdFactor;

extern void CrmSpdFactorInit(CrmSpdFactor *f, int n, MemoryContext ctx);
extern int	CrmSpdFactorize(CrmSpdFactor *f, const double *A, double tol,
							const bool *exclude);
extern void CrmSpdSolve(const CrmSpdFactor *f, const double *b, double *x);
extern void CrmSpdInverse(const CrmSpdFactor *f, double *inv);

#endif							/* CRM_NUMERICS_H */
