/*
 * specfun.c
 *		Special functions for the buy-till-you-die models of clv_models.c:
 *		digamma, the Gaussian hypergeometric function 2F1 on [0, 1), and
 *		log-sum-exp helpers; and the upper tails of the normal and Student t
 *		distributions (p-values of model coefficients, regression.c), through
 *		the regularized incomplete beta function.
 *
 * 2F1 is summed as its power series (Abramowitz & Stegun 15.1.1) after the
 * Euler transformation (A&S 15.3.3)
 *
 *		2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z)
 *
 * whenever c - a - b < 0, so that the factor that grows without bound as
 * z -> 1 is taken out in closed form and the remaining series stays of
 * moderate size.  For the Pareto/NBD case c = a + 1 the transformed series
 * 2F1(1, a + 1 - b; a + 1; z) has positive terms bounded by z^n, so it
 * never cancels.  Everything is returned as a logarithm so that large
 * frequencies (hundreds of purchases) do not overflow.
 */
#include "postgres.h"

#include <math.h>

#include "clv.h"
#include "numerics.h"

/* Terms summed before a hypergeometric series is declared divergent. */
#define CRM_HYP2F1_MAX_TERMS	2000000
/* Rescale the running sum when it grows past this. */
#define CRM_HYP2F1_RESCALE		1e250

/* Digamma function psi(x) for x > 0: recurrence, then the asymptotic series. */
double
CrmDigamma(double x)
{
	double		result = 0.0;
	double		inv,
				inv2;

	if (!(x > 0.0) || isinf(x))
		return isinf(x) ? INFINITY : NAN;
	while (x < 6.0)
	{
		result -= 1.0 / x;
		x += 1.0;
	}
	inv = 1.0 / x;
	inv2 = inv * inv;
	result += log(x) - 0.5 * inv -
		inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 -
													   inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))));
	return result;
}

/* Trigamma function psi'(x) for x > 0: recurrence, then the asymptotic series. */
double
CrmTrigamma(double x)
{
	double		result = 0.0;
	double		inv,
				inv2;

	if (!(x > 0.0) || isinf(x))
		return isinf(x) ? 0.0 : NAN;
	while (x < 6.0)
	{
		result += 1.0 / (x * x);
		x += 1.0;
	}
	inv = 1.0 / x;
	inv2 = inv * inv;
	result += inv + 0.5 * inv2 +
		inv * inv2 * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 * (1.0 / 30 - inv2 * (5.0 / 66)))));
	return result;
}

/* log(exp(a) + exp(b)) without overflow. */
double
CrmLogAddExp(double a, double b)
{
	if (a == -INFINITY)
		return b;
	if (b == -INFINITY)
		return a;
	if (a > b)
		return a + log1p(exp(b - a));
	return b + log1p(exp(a - b));
}

/* log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
double
CrmLogSubExp(double a, double b)
{
	if (b == -INFINITY)
		return a;
	if (b > a)
		return NAN;
	if (b == a)
		return -INFINITY;
	return a + log(-expm1(b - a));
}

/*
 * log of the plain power series of 2F1(a, b; c; z), 0 <= z < 1.  Sets *ok to
 * false when the series does not converge in CRM_HYP2F1_MAX_TERMS terms, c
 * is a non-positive integer, or the sum is not positive.
 */
static double
CrmLogHyp2f1Series(double a, double b, double c, double z, bool *ok)
{
	double		term = 1.0;
	double		sum = 1.0;
	double		logscale = 0.0;
	int			n;

	*ok = true;
	if (z == 0.0)
		return 0.0;
	for (n = 0; n < CRM_HYP2F1_MAX_TERMS; n++)
	{
		double		denom = (c + n) * (n + 1.0);
		double		ratio;

		if (denom == 0.0)
		{
			*ok = false;
			return NAN;
		}
		ratio = (a + n) * (b + n) / denom * z;
		term *= ratio;
		sum += term;
		if (term == 0.0)
			break;
		/* past the peak of the terms, the tail is below term * r / (1 - r) */
		if (fabs(ratio) < 1.0 && n > 2)
		{
			double		r = fabs((a + n + 1) * (b + n + 1) / ((c + n + 1) * (n + 2.0)) * z);

			if (r < 1.0 && fabs(term) * r / (1.0 - r) <= 1e-17 * fabs(sum))
				break;
		}
		if (fabs(sum) > CRM_HYP2F1_RESCALE)
		{
			term /= CRM_HYP2F1_RESCALE;
			sum /= CRM_HYP2F1_RESCALE;
			logscale += log(CRM_HYP2F1_RESCALE);
		}
		if (!isfinite(sum))
			break;
	}
	if (n >= CRM_HYP2F1_MAX_TERMS || !(sum > 0.0) || !isfinite(sum))
	{
		*ok = false;
		return NAN;
	}
	return log(sum) + logscale;
}

/* log 2F1(a, b; c; z) for 0 <= z < 1; *ok false when it cannot be computed. */
double
CrmLogHyp2f1(double a, double b, double c, double z, bool *ok)
{
	if (!(z >= 0.0 && z < 1.0) || !isfinite(a) || !isfinite(b) || !isfinite(c))
	{
		*ok = false;
		return NAN;
	}
	if (c - a - b < 0.0)
	{
		double		v = CrmLogHyp2f1Series(c - a, c - b, c, z, ok);

		return (c - a - b) * log1p(-z) + v;
	}
	return CrmLogHyp2f1Series(a, b, c, z, ok);
}

/*
 * log 2F1(a, b; a + 1; z) for a > 0, 0 < b <= a + 1, 0 <= z < 1: the Euler
 * form (1 - z)^(1 - b) 2F1(1, a + 1 - b; a + 1; z), whose terms are positive
 * and at most z^n.
 */
double
CrmLogHyp2f1Ap1(double a, double b, double z, bool *ok)
{
	double		term = 1.0;
	double		sum = 1.0;
	double		p = a + 1.0 - b;
	int			n;

	*ok = true;
	if (!(z >= 0.0 && z < 1.0) || !(a > 0.0) || !(b > 0.0) || p < 0.0)
		return CrmLogHyp2f1(a, b, a + 1.0, z, ok);
	if (z == 0.0)
		return 0.0;
	for (n = 0; n < CRM_HYP2F1_MAX_TERMS; n++)
	{
		double		ratio = (p + n) / (a + 1.0 + n) * z;

		term *= ratio;
		sum += term;
		/* ratios decrease towards z: the tail is below term * z / (1 - z) */
		if (term * z <= 1e-17 * sum * (1.0 - z))
			break;
	}
	if (n >= CRM_HYP2F1_MAX_TERMS)
	{
		*ok = false;
		return NAN;
	}
	return (1.0 - b) * log1p(-z) + log(sum);
}

/* Iterations of the incomplete beta continued fraction (it needs O(sqrt(max(a, b)))). */
#define CRM_BETACF_MAX_ITER		100000

/*
 * Continued fraction of the incomplete beta function, evaluated by the
 * modified Lentz method (Press et al., Numerical Recipes, 3rd ed., 6.4).
 */
static double
CrmBetaContinuedFraction(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		qab = a + b,
				qap = a + 1.0,
				qam = a - 1.0;
	double		c = 1.0,
				d = 1.0 - qab * x / qap,
				h;
	int			m;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= CRM_BETACF_MAX_ITER; m++)
	{
		int			m2 = 2 * m;
		double		aa = m * (b - m) * x / ((qam + m2) * (a + m2)),
					del;

		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-16)
			break;
	}
	return h;
}

/* Regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1. */
double
CrmRegIncompleteBeta(double a, double b, double x)
{
	double		lfront;

	if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0))
		return NAN;
	if (x == 0.0 || x == 1.0)
		return x;
	lfront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	/* the fraction converges quickly for x < (a + 1) / (a + b + 2) */
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * CrmBetaContinuedFraction(a, b, x) / a;
	return 1.0 - exp(lfront) * CrmBetaContinuedFraction(b, a, 1.0 - x) / b;
}

/* P(Z > z) for a standard normal Z, accurate in the far tail. */
double
CrmNormalUpperTail(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

/* P(T > t) for Student's t with df > 0 degrees of freedom. */
double
CrmStudentTUpperTail(double t, double df)
{
	double		tail;

	if (isnan(t) || !(df > 0.0))
		return NAN;
	if (isinf(t))
		return t > 0 ? 0.0 : 1.0;
	/* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
	tail = 0.5 * CrmRegIncompleteBeta(0.5 * df, 0.5, df / (df + t * t));
	return t > 0 ? tail : 1.0 - tail;
}
