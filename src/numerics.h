/*
 * numerics.h
 *		Shared numerical routines: dense symmetric linear algebra (linalg.c)
 *		and the distribution functions of test statistics (specfun.c).
 *
 * Model fitting (regression.c, and the tree models built on the same model
 * value) solves Newton systems and inverts information matrices through
 * these; they are not tied to any one capability.
 */
#ifndef CRM_NUMERICS_H
#define CRM_NUMERICS_H

#include "postgres.h"

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

/* Upper tail probabilities of test statistics (specfun.c). */
extern double CrmNormalUpperTail(double z);
extern double CrmStudentTUpperTail(double t, double df);
extern double CrmRegIncompleteBeta(double a, double b, double x);

#endif							/* CRM_NUMERICS_H */
