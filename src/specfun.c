/*
 * specfun.c
 *		Special functions for the buy-till-you-die models of clv_models.c:
 *		digamma, the Gaussian hypergeometric function 2F1 on [0, 1), and
 *		log-sum-exp helpers.
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

#include "miscadmin.h"

#include "clv.h"

/* Terms summed before a hypergeometric series is declared divergent. */
#define CRM_HYP2F1_MAX_TERMS	2000000
/* Steps of a continued fraction before it is declared divergent. */
#define CRM_HYP2F1_MAX_CF		1000000
/* Above this z, 2F1(a, b; a + 1; z) is computed by its continued fraction. */
#define CRM_HYP2F1_CF_FROM		0.998
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
		if ((n & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
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
 * log 2F1(1, p; a + 1; z) for a > 0, p >= 0, 0 < z < 1 by Gauss's continued
 * fraction for 2F1(p, b' + 1; c + 1; z) / 2F1(p, b'; c; z) with b' = 0 and
 * c = a (the denominator is then 1):
 *
 *		2F1(1, p; a + 1; z) = 1 / (1 - k1 z / (1 - k2 z / (1 - ...)))
 *		k(2m+1) = (p + m)(a + m) / ((a + 2m)(a + 2m + 1))
 *		k(2m)   = m (a - p + m) / ((a + 2m - 1)(a + 2m))
 *
 * evaluated by the modified Lentz method.  It needs a few hundred steps
 * where the power series needs of the order of 40 / (1 - z) terms, which
 * for the huge parameters of a diverging Pareto/NBD search (z = 1 - 1e-6)
 * made one likelihood take seconds.
 */
static double
CrmLogHyp2f1OneCF(double p, double a, double z, bool *ok)
{
	const double tiny = 1e-300;
	double		f = 1.0,
				C = 1.0,
				D = 0.0;
	int			j,
				still = 0;

	*ok = true;
	for (j = 1; j <= CRM_HYP2F1_MAX_CF; j++)
	{
		double		k,
					aj,
					delta;
		int			m = j / 2;

		if (j & 1)
			k = (p + m) * (a + m) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
		else
			k = m * (a - p + m) / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
		aj = -k * z;
		D = 1.0 + aj * D;
		if (fabs(D) < tiny)
			D = tiny;
		D = 1.0 / D;
		C = 1.0 + aj / C;
		if (fabs(C) < tiny)
			C = tiny;
		delta = C * D;
		f *= delta;
		/* slow convergence moves f by less than its precision per step */
		if (fabs(delta - 1.0) <= 1e-16)
		{
			if (++still == 8)
				break;
		}
		else
			still = 0;
		if ((j & 0xFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (j > CRM_HYP2F1_MAX_CF || !(f > 0.0) || !isfinite(f))
	{
		*ok = false;
		return NAN;
	}
	return -log(f);
}

/*
 * log 2F1(a, b; a + 1; z) for a > 0, 0 < b <= a + 1, 0 <= z < 1: the Euler
 * form (1 - z)^(1 - b) 2F1(1, a + 1 - b; a + 1; z), whose terms are positive
 * and at most z^n.  The series when it converges fast, the continued
 * fraction (CrmLogHyp2f1OneCF) when z is close to 1.
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
	if (z > CRM_HYP2F1_CF_FROM)
		return (1.0 - b) * log1p(-z) + CrmLogHyp2f1OneCF(p, a, z, ok);
	for (n = 0; n < CRM_HYP2F1_MAX_TERMS; n++)
	{
		double		ratio = (p + n) / (a + 1.0 + n) * z;

		term *= ratio;
		sum += term;
		/* ratios decrease towards z: the tail is below term * z / (1 - z) */
		if (term * z <= 1e-17 * sum * (1.0 - z))
			break;
		if ((n & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (n >= CRM_HYP2F1_MAX_TERMS)
	{
		*ok = false;
		return NAN;
	}
	return (1.0 - b) * log1p(-z) + log(sum);
}
