/*
 * specfun.c
 *		Special functions, declared in numerics.h: for the buy-till-you-die
 *		models (clv_likelihood.c, clv_predict.c) digamma, the Gaussian
 *		hypergeometric function 2F1 on [0, 1), and log-sum-exp helpers; and
 *		the normal and Student t quantiles (the block further down).
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

#include "numerics.h"

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

/* ------------------------------------------------------------------------
 * Normal and Student t quantiles (deviation/forecast capability: the
 * critical values lambda_i of the generalized ESD test and the prediction
 * intervals of Holt-Winters forecasts).
 *
 * The t distribution's upper tail is P(T > t) = I_x(df/2, 1/2) / 2 with
 * x = df / (df + t^2) (Abramowitz & Stegun 26.7.1), the regularized
 * incomplete beta function summed by its continued fraction (A&S 26.5.8,
 * modified Lentz).  Quantiles are found by Newton steps on the tail
 * probability inside a bracket that bisection keeps, so that tail
 * probabilities down to 1e-300 keep their relative accuracy: the ESD test
 * asks for alpha / (2 (n - i + 1)), which is 1.7e-6 for 14,398 points.
 * The normal quantile refines the rational start of A&S 26.2.23 by Halley
 * steps on erfc().
 * ------------------------------------------------------------------------ */

#define CRM_BETACF_MAX_ITER		100000
#define CRM_BETACF_TINY			1e-300

/*
 * Continued fraction of the incomplete beta function (A&S 26.5.8): returns
 * cf such that I_x(a, b) = x^a y^b / (a B(a, b)) * cf, y = 1 - x.
 */
static double
CrmBetaContinuedFraction(double a, double b, double x)
{
	double		qab = a + b,
				qap = a + 1.0,
				qam = a - 1.0;
	double		c = 1.0,
				d,
				h;
	int			m;

	d = 1.0 - qab * x / qap;
	if (fabs(d) < CRM_BETACF_TINY)
		d = CRM_BETACF_TINY;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= CRM_BETACF_MAX_ITER; m++)
	{
		int			m2 = 2 * m;
		double		aa,
					del;

		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < CRM_BETACF_TINY)
			d = CRM_BETACF_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CRM_BETACF_TINY)
			c = CRM_BETACF_TINY;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < CRM_BETACF_TINY)
			d = CRM_BETACF_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CRM_BETACF_TINY)
			c = CRM_BETACF_TINY;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) <= 1e-16)
			break;
	}
	return h;
}

/*
 * Regularized incomplete beta function I_x(a, b) for a, b > 0, given x and
 * y = 1 - x separately (so that x close to 1 keeps its accuracy).
 */
double
CrmRegIncompleteBeta(double a, double b, double x, double y)
{
	double		lfront;

	if (!(a > 0.0) || !(b > 0.0) || isnan(x) || isnan(y))
		return NAN;
	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	lfront = a * log(x) + b * log(y) - (lgamma(a) + lgamma(b) - lgamma(a + b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * CrmBetaContinuedFraction(a, b, x) / a;
	return 1.0 - exp(lfront) * CrmBetaContinuedFraction(b, a, y) / b;
}

/* Upper tail P(T > t) of Student's t distribution with df > 0 degrees of freedom. */
double
CrmStudentTUpperTail(double t, double df)
{
	double		t2 = t * t;
	double		tail;

	if (isnan(t) || !(df > 0.0))
		return NAN;
	if (isinf(t))
		return t > 0 ? 0.0 : 1.0;
	tail = 0.5 * CrmRegIncompleteBeta(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
	return t >= 0.0 ? tail : 1.0 - tail;
}

/* Density of Student's t distribution. */
static double
CrmStudentTDensity(double t, double df)
{
	return exp(lgamma(0.5 * (df + 1.0)) - lgamma(0.5 * df) - 0.5 * log(df * M_PI) -
			   0.5 * (df + 1.0) * log1p(t * t / df));
}

/* Lower-tail normal quantile: x with Phi(x) = p, 0 < p < 1. */
double
CrmNormalQuantile(double p)
{
	double		q,
				t,
				x;
	int			i;

	if (!(p > 0.0 && p < 1.0))
	{
		if (p == 0.0)
			return -INFINITY;
		if (p == 1.0)
			return INFINITY;
		return NAN;
	}
	/* A&S 26.2.23 for the smaller tail, |error| < 4.5e-4 */
	q = p < 0.5 ? p : 1.0 - p;
	t = sqrt(-2.0 * log(q));
	x = t - (2.515517 + t * (0.802853 + t * 0.010328)) /
		(1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
	if (p < 0.5)
		x = -x;
	/* Halley steps on Phi(x) - p; each one roughly triples the correct digits */
	for (i = 0; i < 4; i++)
	{
		double		e,
					u;

		if (x < 0.0)
			e = 0.5 * erfc(-x / M_SQRT2) - p;
		else
			e = (1.0 - p) - 0.5 * erfc(x / M_SQRT2);	/* same, from the upper tail */
		u = e * sqrt(2.0 * M_PI) * exp(0.5 * x * x);
		x = x - u / (1.0 + 0.5 * x * u);
	}
	return x;
}

/*
 * Upper-tail quantile of Student's t: the t with P(T > t) = q, 0 < q < 1,
 * df > 0.  Newton steps on the tail probability inside a bracket.
 */
double
CrmStudentTUpperQuantile(double q, double df)
{
	double		lo,
				hi,
				t,
				z;
	int			i;

	if (!(q > 0.0 && q < 1.0) || !(df > 0.0))
	{
		if (q == 0.0 && df > 0.0)
			return INFINITY;
		if (q == 1.0 && df > 0.0)
			return -INFINITY;
		return NAN;
	}
	if (q > 0.5)
		return -CrmStudentTUpperQuantile(1.0 - q, df);
	if (q == 0.5)
		return 0.0;
	if (df == 1.0)
		return tan(M_PI * (0.5 - q));	/* Cauchy */
	if (df == 2.0)
		return (1.0 - 2.0 * q) / sqrt(2.0 * q * (1.0 - q));

	/* start: Cornish-Fisher expansion around the normal quantile (A&S 26.7.5) */
	z = -CrmNormalQuantile(q);
	t = z + (z * z * z + z) / (4.0 * df) +
		(5.0 * pow(z, 5) + 16.0 * pow(z, 3) + 3.0 * z) / (96.0 * df * df);
	if (!(t > 0.0) || !isfinite(t))
		t = z;
	/* bracket [lo, hi] with tail(lo) >= q > tail(hi) */
	lo = 0.0;
	hi = Max(t, 1.0);
	for (i = 0; i < 2000 && CrmStudentTUpperTail(hi, df) > q; i++)
	{
		lo = hi;
		hi *= 2.0;
	}
	if (!(t > lo && t < hi))
		t = 0.5 * (lo + hi);
	for (i = 0; i < 200; i++)
	{
		double		tail = CrmStudentTUpperTail(t, df);
		double		dens = CrmStudentTDensity(t, df);
		double		next;

		if (tail > q)
			lo = t;
		else
			hi = t;
		/* Newton on log(tail) converges from far out in the tail too */
		next = t + (tail > 0.0 && dens > 0.0 ? tail * log(tail / q) / dens : 0.0);
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		if (fabs(next - t) <= 4e-16 * fabs(t) || hi - lo <= 4e-16 * hi)
		{
			t = next;
			break;
		}
		t = next;
	}
	return t;
}

/* P(Z > z) for a standard normal Z, accurate in the far tail (p-values of z statistics). */
double
CrmNormalUpperTail(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}
