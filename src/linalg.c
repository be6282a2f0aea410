/*
 * linalg.c
 *		Dense symmetric linear algebra for model fitting: a Cholesky factor
 *		with detection of aliased (linearly dependent) columns, solving, and
 *		the inverse (the covariance matrix of maximum-likelihood estimates is
 *		the inverse of the information matrix).
 *
 * The matrix is first scaled to unit diagonal (Jacobi scaling, exact up to
 * rounding), which makes the aliasing test scale-free and keeps the pivots
 * of well-posed problems near 1.  The factorisation is the plain
 * column-by-column Cholesky-Banachiewicz scheme (Golub & Van Loan,
 * Matrix Computations, 4th ed., algorithm 4.2.1): the pivot of column j is
 * 1 - R^2 of column j regressed on the kept columns before it, so the
 * aliasing test "pivot < tol" keeps the earlier of two collinear columns, as
 * R's lm and glm do (LINPACK dqrdc2 with limited pivoting).  Aliased columns
 * get a zero row and column; solving and inverting treat them as absent.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "numerics.h"

/* Allocate a factor of order n in ctx. */
void
CrmSpdFactorInit(CrmSpdFactor *f, int n, MemoryContext ctx)
{
	f->n = n;
	f->rank = 0;
	f->L = MemoryContextAllocZero(ctx, sizeof(double) * (Size) n * n);
	f->scale = MemoryContextAllocZero(ctx, sizeof(double) * Max(n, 1));
	f->aliased = MemoryContextAllocZero(ctx, sizeof(bool) * Max(n, 1));
}

/*
 * Factor A (n x n row-major; only the lower triangle is read).  Columns
 * flagged in exclude (may be NULL) are left out from the start; the others
 * are tested for aliasing with tol.  Returns the rank.
 */
int
CrmSpdFactorize(CrmSpdFactor *f, const double *A, double tol, const bool *exclude)
{
	int			n = f->n;
	double	   *L = f->L;
	int			i,
				j,
				k;

	for (j = 0; j < n; j++)
	{
		double		d = A[(Size) j * n + j];

		f->aliased[j] = (exclude != NULL && exclude[j]) || !(d > 0.0) || !isfinite(d);
		f->scale[j] = f->aliased[j] ? 0.0 : 1.0 / sqrt(d);
	}
	memset(L, 0, sizeof(double) * (Size) n * n);
	f->rank = 0;
	for (j = 0; j < n; j++)
	{
		double	   *Lj = L + (Size) j * n;
		double		pivot;

		CHECK_FOR_INTERRUPTS();
		if (f->aliased[j])
			continue;
		/* row j of L: L_jk = (a_jk - sum_m L_jm L_km) / L_kk for kept k < j */
		for (k = 0; k < j; k++)
		{
			const double *Lk = L + (Size) k * n;
			double		sum;

			if (f->aliased[k])
				continue;
			sum = A[(Size) j * n + k] * f->scale[j] * f->scale[k];
			for (i = 0; i < k; i++)
				sum -= Lj[i] * Lk[i];
			Lj[k] = sum / Lk[k];
		}
		pivot = 1.0;
		for (i = 0; i < j; i++)
			pivot -= Lj[i] * Lj[i];
		if (!(pivot > tol) || !isfinite(pivot))
		{
			/* 1 - R^2 of this column on the earlier ones is (numerically) 0 */
			f->aliased[j] = true;
			f->scale[j] = 0.0;
			memset(Lj, 0, sizeof(double) * j);
			continue;
		}
		Lj[j] = sqrt(pivot);
		f->rank++;
	}
	return f->rank;
}

/* Solve A x = b over the kept columns; aliased components of x are 0. */
void
CrmSpdSolve(const CrmSpdFactor *f, const double *b, double *x)
{
	int			n = f->n;
	const double *L = f->L;
	int			i,
				k;

	/* scaled system: (D^-1/2 A D^-1/2) (D^1/2 x) = D^-1/2 b */
	for (i = 0; i < n; i++)
	{
		double		sum;

		if (f->aliased[i])
		{
			x[i] = 0.0;
			continue;
		}
		sum = b[i] * f->scale[i];
		for (k = 0; k < i; k++)
			sum -= L[(Size) i * n + k] * x[k];
		x[i] = sum / L[(Size) i * n + i];
	}
	for (i = n - 1; i >= 0; i--)
	{
		double		sum;

		if (f->aliased[i])
			continue;
		sum = x[i];
		for (k = i + 1; k < n; k++)
			sum -= L[(Size) k * n + i] * x[k];
		x[i] = sum / L[(Size) i * n + i];
	}
	for (i = 0; i < n; i++)
		x[i] *= f->scale[i];
}

/*
 * The inverse of A over the kept columns (n x n row-major, full), zero in the
 * rows and columns of aliased columns: A^-1 = D^-1/2 L'^-1 L^-1 D^-1/2.
 */
void
CrmSpdInverse(const CrmSpdFactor *f, double *inv)
{
	int			n = f->n;
	const double *L = f->L;
	double	   *W;
	int			i,
				j,
				k;

	/* W = L^-1 (lower triangular), by forward substitution column by column */
	W = palloc0(sizeof(double) * (Size) n * n);
	for (j = 0; j < n; j++)
	{
		if (f->aliased[j])
			continue;
		CHECK_FOR_INTERRUPTS();
		W[(Size) j * n + j] = 1.0 / L[(Size) j * n + j];
		for (i = j + 1; i < n; i++)
		{
			double		sum = 0.0;

			if (f->aliased[i])
				continue;
			for (k = j; k < i; k++)
				sum -= L[(Size) i * n + k] * W[(Size) k * n + j];
			W[(Size) i * n + j] = sum / L[(Size) i * n + i];
		}
	}
	/* inv = W' W, scaled */
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j <= i; j++)
		{
			double		sum = 0.0;

			if (!f->aliased[i] && !f->aliased[j])
				for (k = i; k < n; k++)
					sum += W[(Size) k * n + i] * W[(Size) k * n + j];
			sum *= f->scale[i] * f->scale[j];
			inv[(Size) i * n + j] = sum;
			inv[(Size) j * n + i] = sum;
		}
	}
	pfree(W);
}
