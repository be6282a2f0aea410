/*
 * optim.c
 *		Small unconstrained minimisers for fitting models by maximum
 *		likelihood: BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 *		algorithm 6.1) with a backtracking Armijo line search, and the
 *		Nelder-Mead simplex method (Nelder & Mead 1965, with the usual
 *		reflection 1, expansion 2, contraction 1/2 and shrink 1/2 steps), and
 *		a projected BFGS for parameters in a box (Holt-Winters' smoothing
 *		parameters in [0, 1], as R minimises them with L-BFGS-B).
 *
 * The models optimise over the logarithms of their positive parameters, so
 * the search is unconstrained.  BFGS uses the analytic gradient when the
 * model has one and central differences otherwise.  Both loops check for
 * interrupts, so statement_timeout and cancel stop a fit.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "numerics.h"

/* Largest move of any coordinate in one line search (log-parameter units). */
#define CRM_BFGS_MAX_STEP		5.0
#define CRM_BFGS_MAX_HALVINGS	60
/* Newton steps below this (log-parameter units) mean the minimum is reached. */
#define CRM_NEWTON_XTOL			1e-4
/* Step of the central-difference gradient. */
#define CRM_NUMGRAD_STEP		1e-5

/* Has a coordinate left [-bound, bound]? */
static inline bool
CrmOutOfBounds(const double *x, int n, double bound)
{
	int			i;

	for (i = 0; i < n; i++)
		if (!(fabs(x[i]) <= bound))
			return true;
	return false;
}

/* Objective and gradient, by central differences when there is no analytic one. */
static double
CrmEval(CrmObjective fn, void *arg, int n, const double *x, double *grad,
		bool has_gradient, int *evals)
{
	double		f;
	double		xt[CRM_OPTIM_MAX_PARAMS];
	int			i;

	(*evals)++;
	if (has_gradient || grad == NULL)
		return fn(x, grad, arg);
	f = fn(x, NULL, arg);
	if (!isfinite(f))
		return f;
	memcpy(xt, x, n * sizeof(double));
	for (i = 0; i < n; i++)
	{
		double		h = CRM_NUMGRAD_STEP * Max(1.0, fabs(x[i]));
		double		fp,
					fm;

		xt[i] = x[i] + h;
		fp = fn(xt, NULL, arg);
		xt[i] = x[i] - h;
		fm = fn(xt, NULL, arg);
		xt[i] = x[i];
		*evals += 2;
		if (!isfinite(fp) || !isfinite(fm))
			return NAN;
		grad[i] = (fp - fm) / (2.0 * h);
	}
	return f;
}

/*
 * Move to the accepted trial point xn (gradient gn, value fn_new): s and y
 * get the step and the change of gradient for the quasi-Newton update,
 * *stalls counts consecutive steps that no longer change f.  Returns s'y.
 */
static double
CrmAcceptStep(int n, double *x, const double *xn, double *g, const double *gn,
			  double *s, double *y, double *f, double fn_new, int *stalls)
{
	double		sy = 0.0;
	int			i;

	for (i = 0; i < n; i++)
	{
		s[i] = xn[i] - x[i];
		y[i] = gn[i] - g[i];
		sy += s[i] * y[i];
	}
	if (fabs(*f - fn_new) <= 1e-15 * (1.0 + fabs(*f)))
		(*stalls)++;
	else
		*stalls = 0;
	memcpy(x, xn, n * sizeof(double));
	memcpy(g, gn, n * sizeof(double));
	*f = fn_new;
	return sy;
}

/*
 * BFGS update of the inverse Hessian approximation H with the step s and the
 * change of gradient y (s'y = sy > 0):
 * H+ = (I - rho s y') H (I - rho y s') + rho s s', rho = 1 / sy.
 */
static void
CrmBfgsUpdate(double H[CRM_OPTIM_MAX_PARAMS][CRM_OPTIM_MAX_PARAMS], int n,
			  const double *s, const double *y, double sy)
{
	double		Hy[CRM_OPTIM_MAX_PARAMS];
	double		rho = 1.0 / sy,
				yHy = 0.0;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		Hy[i] = 0.0;
		for (j = 0; j < n; j++)
			Hy[i] += H[i][j] * y[j];
		yHy += y[i] * Hy[i];
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			H[i][j] += rho * ((1.0 + rho * yHy) * s[i] * s[j] -
							  Hy[i] * s[j] - s[i] * Hy[j]);
}

/* BFGS minimisation; see clv.h. */
CrmOptimResult
CrmBfgsMinimize(CrmObjective fn, void *arg, int n, double *x,
				bool has_gradient, int max_iter, double gtol, double bound)
{
	CrmOptimResult res = {0};
	double		H[CRM_OPTIM_MAX_PARAMS][CRM_OPTIM_MAX_PARAMS];
	double		g[CRM_OPTIM_MAX_PARAMS],
				gn[CRM_OPTIM_MAX_PARAMS],
				p[CRM_OPTIM_MAX_PARAMS],
				xn[CRM_OPTIM_MAX_PARAMS],
				s[CRM_OPTIM_MAX_PARAMS],
				y[CRM_OPTIM_MAX_PARAMS];
	double		f;
	int			i,
				j,
				iter;
	int			stalls = 0;

	Assert(n > 0 && n <= CRM_OPTIM_MAX_PARAMS);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			H[i][j] = (i == j) ? 1.0 : 0.0;
	f = CrmEval(fn, arg, n, x, g, has_gradient, &res.evaluations);
	res.f = f;
	if (!isfinite(f))
		return res;

	for (iter = 0; iter < max_iter; iter++)
	{
		double		gmax = 0.0,
					slope = 0.0,
					pmax = 0.0,
					step = 1.0,
					fn_new = NAN,
					sy = 0.0;
		int			k;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
			gmax = Max(gmax, fabs(g[i]));
		if (gmax < gtol)
		{
			res.converged = true;
			break;
		}
		for (i = 0; i < n; i++)
		{
			p[i] = 0.0;
			for (j = 0; j < n; j++)
				p[i] -= H[i][j] * g[j];
			slope += p[i] * g[i];
		}
		if (!(slope < 0.0))
		{
			/* not a descent direction: restart from steepest descent */
			for (i = 0; i < n; i++)
			{
				for (j = 0; j < n; j++)
					H[i][j] = (i == j) ? 1.0 : 0.0;
				p[i] = -g[i];
			}
			slope = 0.0;
			for (i = 0; i < n; i++)
				slope -= g[i] * g[i];
		}
		for (i = 0; i < n; i++)
			pmax = Max(pmax, fabs(p[i]));
		if (pmax > CRM_BFGS_MAX_STEP)
			step = CRM_BFGS_MAX_STEP / pmax;

		for (k = 0; k < CRM_BFGS_MAX_HALVINGS; k++)
		{
			for (i = 0; i < n; i++)
				xn[i] = x[i] + step * p[i];
			fn_new = CrmEval(fn, arg, n, xn, gn, has_gradient, &res.evaluations);
			if (isfinite(fn_new) && fn_new <= f + 1e-4 * step * slope)
				break;
			step *= 0.5;
		}
		if (k == CRM_BFGS_MAX_HALVINGS)
		{
			/* no decrease along p: at the limit of the arithmetic */
			if (gmax < 100 * gtol)
				res.converged = true;
			break;
		}

		sy = CrmAcceptStep(n, x, xn, g, gn, s, y, &f, fn_new, &stalls);
		if (CrmOutOfBounds(x, n, bound))
			break;
		if (stalls >= 3)
		{
			res.converged = gmax < 100 * gtol;
			break;
		}

		if (sy > 1e-12)
			CrmBfgsUpdate(H, n, s, y, sy);
	}
	res.iterations = iter;
	res.f = f;
	return res;
}

/* Nelder-Mead minimisation; see clv.h. */
CrmOptimResult
CrmNelderMead(CrmObjective fn, void *arg, int n, double *x,
			  double step, int max_iter, double xtol, double ftol, double bound)
{
	CrmOptimResult res = {0};
	double		simplex[CRM_OPTIM_MAX_PARAMS + 1][CRM_OPTIM_MAX_PARAMS];
	double		fv[CRM_OPTIM_MAX_PARAMS + 1];
	double		centroid[CRM_OPTIM_MAX_PARAMS],
				xr[CRM_OPTIM_MAX_PARAMS],
				xe[CRM_OPTIM_MAX_PARAMS],
				xc[CRM_OPTIM_MAX_PARAMS];
	int			i,
				j,
				iter;

	Assert(n > 0 && n <= CRM_OPTIM_MAX_PARAMS);
	for (i = 0; i <= n; i++)
	{
		memcpy(simplex[i], x, n * sizeof(double));
		if (i > 0)
			simplex[i][i - 1] += step;
		fv[i] = fn(simplex[i], NULL, arg);
		res.evaluations++;
		if (!isfinite(fv[i]))
			fv[i] = INFINITY;
	}

	for (iter = 0; iter < max_iter; iter++)
	{
		double		fr,
					spread = 0.0;
		int			worst = 0,
					best = 0,
					second;

		CHECK_FOR_INTERRUPTS();
		for (i = 1; i <= n; i++)
		{
			if (fv[i] > fv[worst])
				worst = i;
			if (fv[i] < fv[best])
				best = i;
		}
		second = best;
		for (i = 0; i <= n; i++)
			if (i != worst && fv[i] > fv[second])
				second = i;
		for (i = 0; i <= n; i++)
			for (j = 0; j < n; j++)
				spread = Max(spread, fabs(simplex[i][j] - simplex[best][j]));
		if (spread <= xtol && fv[worst] - fv[best] <= ftol)
		{
			res.converged = true;
			break;
		}
		if (CrmOutOfBounds(simplex[best], n, bound))
			break;

		for (j = 0; j < n; j++)
		{
			centroid[j] = 0.0;
			for (i = 0; i <= n; i++)
				if (i != worst)
					centroid[j] += simplex[i][j];
			centroid[j] /= n;
			xr[j] = centroid[j] + (centroid[j] - simplex[worst][j]);
		}
		fr = fn(xr, NULL, arg);
		res.evaluations++;
		if (!isfinite(fr))
			fr = INFINITY;
		if (fr < fv[best])
		{
			double		fe;

			for (j = 0; j < n; j++)
				xe[j] = centroid[j] + 2.0 * (centroid[j] - simplex[worst][j]);
			fe = fn(xe, NULL, arg);
			res.evaluations++;
			if (isfinite(fe) && fe < fr)
			{
				memcpy(simplex[worst], xe, n * sizeof(double));
				fv[worst] = fe;
			}
			else
			{
				memcpy(simplex[worst], xr, n * sizeof(double));
				fv[worst] = fr;
			}
			continue;
		}
		if (fr < fv[second])
		{
			memcpy(simplex[worst], xr, n * sizeof(double));
			fv[worst] = fr;
			continue;
		}
		{
			double		fc;
			bool		outside = fr < fv[worst];

			for (j = 0; j < n; j++)
				xc[j] = outside ? centroid[j] + 0.5 * (xr[j] - centroid[j])
					: centroid[j] + 0.5 * (simplex[worst][j] - centroid[j]);
			fc = fn(xc, NULL, arg);
			res.evaluations++;
			if (isfinite(fc) && fc < (outside ? fr : fv[worst]))
			{
				memcpy(simplex[worst], xc, n * sizeof(double));
				fv[worst] = fc;
				continue;
			}
		}
		/* shrink towards the best vertex */
		for (i = 0; i <= n; i++)
		{
			if (i == best)
				continue;
			for (j = 0; j < n; j++)
				simplex[i][j] = simplex[best][j] + 0.5 * (simplex[i][j] - simplex[best][j]);
			fv[i] = fn(simplex[i], NULL, arg);
			res.evaluations++;
			if (!isfinite(fv[i]))
				fv[i] = INFINITY;
		}
	}
	{
		int			best = 0;

		for (i = 1; i <= n; i++)
			if (fv[i] < fv[best])
				best = i;
		memcpy(x, simplex[best], n * sizeof(double));
		res.f = fv[best];
	}
	res.iterations = iter;
	return res;
}

/* Cholesky solve of A p = b for a symmetric n x n A; false if A is not positive definite. */
static bool
CrmCholeskySolve(int n, const double *A, const double *b, double *p)
{
	double		L[CRM_OPTIM_MAX_PARAMS][CRM_OPTIM_MAX_PARAMS];
	double		y[CRM_OPTIM_MAX_PARAMS];
	int			i,
				j,
				k;

	for (i = 0; i < n; i++)
		for (j = 0; j <= i; j++)
		{
			double		sum = A[i * n + j];

			for (k = 0; k < j; k++)
				sum -= L[i][k] * L[j][k];
			if (i == j)
			{
				if (!(sum > 0.0) || !isfinite(sum))
					return false;
				L[i][i] = sqrt(sum);
			}
			else
				L[i][j] = sum / L[j][j];
		}
	for (i = 0; i < n; i++)
	{
		double		sum = b[i];

		for (k = 0; k < i; k++)
			sum -= L[i][k] * y[k];
		y[i] = sum / L[i][i];
	}
	for (i = n - 1; i >= 0; i--)
	{
		double		sum = y[i];

		for (k = i + 1; k < n; k++)
			sum -= L[k][i] * p[k];
		p[i] = sum / L[i][i];
	}
	return true;
}

/* Damped Newton minimisation; see clv.h. */
CrmOptimResult
CrmNewtonMinimize(CrmObjectiveHess fn, void *arg, int n, double *x,
				  int max_iter, double gtol, double bound)
{
	CrmOptimResult res = {0};
	double		g[CRM_OPTIM_MAX_PARAMS],
				gn[CRM_OPTIM_MAX_PARAMS],
				p[CRM_OPTIM_MAX_PARAMS],
				xn[CRM_OPTIM_MAX_PARAMS],
				mg[CRM_OPTIM_MAX_PARAMS];
	double		H[CRM_OPTIM_MAX_PARAMS * CRM_OPTIM_MAX_PARAMS],
				Hn[CRM_OPTIM_MAX_PARAMS * CRM_OPTIM_MAX_PARAMS],
				A[CRM_OPTIM_MAX_PARAMS * CRM_OPTIM_MAX_PARAMS];
	double		f;
	int			i,
				iter;
	int			stalls = 0;
	bool		newton_small = false;

	Assert(n > 0 && n <= CRM_OPTIM_MAX_PARAMS);
	f = fn(x, g, H, arg);
	res.evaluations = 1;
	res.f = f;
	if (!isfinite(f))
		return res;

	for (iter = 0; iter < max_iter; iter++)
	{
		double		gmax = 0.0,
					hmax = 0.0,
					mu = 0.0,
					slope = 0.0,
					pmax = 0.0,
					step = 1.0,
					fn_new = NAN;
		int			k;
		bool		solved = false;

		CHECK_FOR_INTERRUPTS();
		newton_small = false;
		for (i = 0; i < n; i++)
		{
			gmax = Max(gmax, fabs(g[i]));
			hmax = Max(hmax, fabs(H[i * n + i]));
			mg[i] = -g[i];
		}
		/* shift the diagonal until the system is positive definite and p descends */
		for (k = 0; k < 60 && !solved; k++)
		{
			memcpy(A, H, n * n * sizeof(double));
			for (i = 0; i < n; i++)
				A[i * n + i] += mu;
			if (CrmCholeskySolve(n, A, mg, p))
			{
				slope = 0.0;
				for (i = 0; i < n; i++)
					slope += p[i] * g[i];
				solved = slope < 0.0;
			}
			if (k == 0)
			{
				/* a minimum: tiny gradient, and the Newton step is tiny too */
				newton_small = solved;
				for (i = 0; i < n && newton_small; i++)
					newton_small = fabs(p[i]) < CRM_NEWTON_XTOL;
			}
			mu = (mu == 0.0) ? 1e-8 * Max(1.0, hmax) : mu * 10.0;
		}
		if (gmax < gtol && (newton_small || gmax == 0.0))
		{
			res.converged = true;
			break;
		}
		if (!solved)
		{
			for (i = 0; i < n; i++)
				p[i] = -g[i];
			slope = 0.0;
			for (i = 0; i < n; i++)
				slope -= g[i] * g[i];
		}
		for (i = 0; i < n; i++)
			pmax = Max(pmax, fabs(p[i]));
		if (pmax > CRM_BFGS_MAX_STEP)
			step = CRM_BFGS_MAX_STEP / pmax;
		for (k = 0; k < CRM_BFGS_MAX_HALVINGS; k++)
		{
			for (i = 0; i < n; i++)
				xn[i] = x[i] + step * p[i];
			fn_new = fn(xn, gn, Hn, arg);
			res.evaluations++;
			if (isfinite(fn_new) && fn_new <= f + 1e-4 * step * slope)
				break;
			step *= 0.5;
		}
		if (k == CRM_BFGS_MAX_HALVINGS)
		{
			/* no decrease along p: at the limit of the arithmetic */
			res.converged = gmax < 100 * gtol && newton_small;
			break;
		}
		if (fabs(f - fn_new) <= 1e-15 * (1.0 + fabs(f)))
			stalls++;
		else
			stalls = 0;
		memcpy(x, xn, n * sizeof(double));
		memcpy(g, gn, n * sizeof(double));
		memcpy(H, Hn, n * n * sizeof(double));
		f = fn_new;
		if (CrmOutOfBounds(x, n, bound))
			break;
		if (stalls >= 3)
		{
			res.converged = gmax < 100 * gtol && newton_small;
			break;
		}
	}
	res.iterations = iter;
	res.f = f;
	return res;
}

/*
 * Box-constrained minimisation: projected BFGS (Bertsekas 1982, "Projected
 * Newton methods for optimization problems with simple constraints", SIAM J.
 * Control Optim. 20(2)), the method behind L-BFGS-B's use in R's optim() for
 * small problems.  Coordinates at a bound whose gradient points out of the
 * box are held there (the active set); the quasi-Newton step moves the
 * others, and the line search follows the projection of the step onto the
 * box (Armijo condition along the projection arc).  The inverse Hessian
 * approximation restarts whenever the active set changes.  Without an
 * analytic gradient, central differences are used inside the box and
 * one-sided ones at a bound.
 */

/* Clip x into [lower, upper]. */
static inline void
CrmProject(double *x, int n, const double *lower, const double *upper)
{
	int			i;

	for (i = 0; i < n; i++)
		x[i] = Min(Max(x[i], lower[i]), upper[i]);
}

/* Objective and gradient inside a box, by differences that stay in the box. */
static double
CrmBoxEval(CrmObjective fn, void *arg, int n, const double *x, double *grad,
		   const double *lower, const double *upper, bool has_gradient, int *evals)
{
	double		f;
	double		xt[CRM_OPTIM_MAX_PARAMS];
	int			i;

	(*evals)++;
	if (has_gradient)
		return fn(x, grad, arg);
	f = fn(x, NULL, arg);
	if (!isfinite(f))
		return f;
	memcpy(xt, x, n * sizeof(double));
	for (i = 0; i < n; i++)
	{
		double		h = CRM_NUMGRAD_STEP * Max(1.0, fabs(x[i]));
		double		up = Min(x[i] + h, upper[i]);
		double		down = Max(x[i] - h, lower[i]);
		double		fp,
					fm;

		if (up <= down)
		{
			grad[i] = 0.0;
			continue;
		}
		xt[i] = up;
		fp = (up == x[i]) ? f : fn(xt, NULL, arg);
		xt[i] = down;
		fm = (down == x[i]) ? f : fn(xt, NULL, arg);
		xt[i] = x[i];
		*evals += 2;
		if (!isfinite(fp) || !isfinite(fm))
			return NAN;
		grad[i] = (fp - fm) / (up - down);
	}
	return f;
}

/* Box-constrained minimisation; see clv.h. */
CrmOptimResult
CrmBoxMinimize(CrmObjective fn, void *arg, int n, double *x,
			   const double *lower, const double *upper,
			   bool has_gradient, int max_iter, double pgtol)
{
	CrmOptimResult res = {0};
	double		H[CRM_OPTIM_MAX_PARAMS][CRM_OPTIM_MAX_PARAMS];
	double		g[CRM_OPTIM_MAX_PARAMS],
				gn[CRM_OPTIM_MAX_PARAMS],
				p[CRM_OPTIM_MAX_PARAMS],
				xn[CRM_OPTIM_MAX_PARAMS],
				s[CRM_OPTIM_MAX_PARAMS],
				y[CRM_OPTIM_MAX_PARAMS];
	bool		active[CRM_OPTIM_MAX_PARAMS],
				was_active[CRM_OPTIM_MAX_PARAMS];
	double		f;
	int			i,
				j,
				iter;
	int			stalls = 0;
	bool		reset = true;

	Assert(n > 0 && n <= CRM_OPTIM_MAX_PARAMS);
	CrmProject(x, n, lower, upper);
	f = CrmBoxEval(fn, arg, n, x, g, lower, upper, has_gradient, &res.evaluations);
	res.f = f;
	if (!isfinite(f))
		return res;
	memset(was_active, 0, sizeof(was_active));

	for (iter = 0; iter < max_iter; iter++)
	{
		double		pgmax = 0.0,
					step = 1.0,
					pmax = 0.0,
					fn_new = NAN,
					sy = 0.0;
		int			k;
		bool		changed = false;

		CHECK_FOR_INTERRUPTS();
		/* projected gradient and active set */
		for (i = 0; i < n; i++)
		{
			/* the gradient, less the components that push out of the box at a bound */
			active[i] = (x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0);
			if (!active[i])
				pgmax = Max(pgmax, fabs(g[i]));
			if (active[i] != was_active[i])
				changed = true;
			was_active[i] = active[i];
		}
		if (pgmax <= pgtol)
		{
			res.converged = true;
			break;
		}
		if (changed)
			reset = true;
		if (reset)
		{
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					H[i][j] = (i == j) ? 1.0 : 0.0;
			reset = false;
		}
		/* quasi-Newton step on the free coordinates */
		{
			double		slope = 0.0;

			for (i = 0; i < n; i++)
			{
				p[i] = 0.0;
				if (active[i])
					continue;
				for (j = 0; j < n; j++)
					if (!active[j])
						p[i] -= H[i][j] * g[j];
				slope += p[i] * g[i];
			}
			if (!(slope < 0.0))
			{
				for (i = 0; i < n; i++)
				{
					for (j = 0; j < n; j++)
						H[i][j] = (i == j) ? 1.0 : 0.0;
					p[i] = active[i] ? 0.0 : -g[i];
				}
			}
		}
		for (i = 0; i < n; i++)
			pmax = Max(pmax, fabs(p[i]) / Max(upper[i] - lower[i], 1e-300));
		if (pmax > 1.0)
			step = 1.0 / pmax;	/* first trial moves at most the width of the box */

		for (k = 0; k < CRM_BFGS_MAX_HALVINGS; k++)
		{
			double		decrease = 0.0;

			for (i = 0; i < n; i++)
				xn[i] = x[i] + step * p[i];
			CrmProject(xn, n, lower, upper);
			for (i = 0; i < n; i++)
				decrease += g[i] * (xn[i] - x[i]);
			fn_new = CrmBoxEval(fn, arg, n, xn, gn, lower, upper, has_gradient,
								&res.evaluations);
			if (isfinite(fn_new) && fn_new <= f + 1e-4 * decrease)
				break;
			step *= 0.5;
		}
		if (k == CRM_BFGS_MAX_HALVINGS)
		{
			/* no decrease along the projected path: at the limit of the arithmetic */
			res.converged = pgmax <= 1e3 * pgtol;
			break;
		}
		sy = CrmAcceptStep(n, x, xn, g, gn, s, y, &f, fn_new, &stalls);
		if (stalls >= 3)
		{
			res.converged = pgmax <= 1e3 * pgtol;
			break;
		}
		if (sy > 1e-300)
			CrmBfgsUpdate(H, n, s, y, sy);
	}
	res.iterations = iter;
	res.f = f;
	return res;
}
