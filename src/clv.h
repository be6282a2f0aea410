/*
 * clv.h
 *		Shared declarations of the customer-lifetime-value capability:
 *		the optimiser (optim.c), special functions (specfun.h) and the model
 *		formulas (clv_models.c) that clv.c and clv_models.c use.
 */
#ifndef CRM_CLV_H
#define CRM_CLV_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Largest number of parameters a model has (Pareto/NBD and BG/NBD: 4). */
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

/* Length of a time unit in days (clv.c). */
extern double ClvUnitDays(const Interval *unit);

/* Special functions (specfun.c). */
#include "specfun.h"

#endif							/* CRM_CLV_H */
