/*
 * specfun.c
 *		Special functions, declared in numerics.h: for the buy-till-you-die
 *		models (clv_likelihood.c, clv_predict.c) digamma, the Gaussian
 *		hypergeometric function 2F1 on [0, 1) and log-sum-exp helpers; for the
 *		statistical tests (abtest.c, abtest_means.c, deviation.c,
 *		holtwinters.c), the normal, Student's t and chi-square distributions
 *		through the regularized incomplete beta and gamma functions (second
 *		half of the file, which has its own notes on accuracy).
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

#include <float.h>
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

/* ---------------------------------------------------------------------
 * Distribution functions of the statistical tests (promotion analysis:
 * abtest.c; deviation and forecasts: the critical values of the generalized
 * ESD test and Holt-Winters prediction intervals)
 *
 * The tests must agree with scipy to 1e-9 relative, p-values in the far
 * tails included, so every tail probability is computed directly (never as
 * 1 - the other tail) and the prefactors x^a y^b / B(a, b) and
 * x^a e^-x / Gamma(a) are formed with Stirling's correction terms instead of
 * differences of large log-gamma values (as Loader 2000 and R's nmath do),
 * which keeps about 14 significant digits for any degrees of freedom:
 *
 *	- normal: erfc from libm;
 *	- Student's t: P(T > t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2)
 *	  (Abramowitz & Stegun 26.7.1), the regularized incomplete beta function
 *	  by its continued fraction (A&S 26.5.8) with the modified Lentz method;
 *	- chi-square: Q(k/2, x/2), the regularized upper incomplete gamma
 *	  function by its series (A&S 6.5.29) or continued fraction (A&S 6.5.31);
 *	- quantiles: the normal one by Acklam's rational approximation polished
 *	  with Halley steps; Student's t by safeguarded Newton iterations on the
 *	  tail probability, started from the Cornish-Fisher expansion.
 * ---------------------------------------------------------------------
 */

/* Iterations of a continued fraction or series before giving up. */
#define CRM_SPECFUN_MAX_ITER	10000000
/* Relative accuracy asked of series and continued fractions. */
#define CRM_SPECFUN_EPS			(2.0 * DBL_EPSILON)
/* Smallest magnitude used by the Lentz method in place of zero. */
#define CRM_SPECFUN_TINY		1e-300
/* log(sqrt(2 pi)) */
#define CRM_LN_SQRT_2PI			0.918938533204672741780329736406

/*
 * Stirling's correction: lgamma(x) - ((x - 1/2) log x - x + log sqrt(2 pi))
 * for x >= 10, by its asymptotic series (error below 1e-17 there).
 */
static double
CrmLgammaCorrection(double x)
{
	double		inv = 1.0 / x;
	double		inv2 = inv * inv;

	return inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 -
		inv2 * (1.0 / 1188 - inv2 * (691.0 / 360360 - inv2 * (1.0 / 156 -
		inv2 * (3617.0 / 122400))))))));
}

/* log B(a, b) for a, b > 0, without the cancellation of lgamma differences. */
double
CrmLogBeta(double a, double b)
{
	double		p = Min(a, b);
	double		q = Max(a, b);

	if (!(p > 0.0))
		return NAN;
	if (p >= 10.0)
	{
		double		corr = CrmLgammaCorrection(p) + CrmLgammaCorrection(q) -
			CrmLgammaCorrection(p + q);

		return -0.5 * log(q) + CRM_LN_SQRT_2PI + corr + (p - 0.5) * log(p / (p + q)) +
			q * log1p(-p / (p + q));
	}
	if (q >= 10.0)
	{
		double		corr = CrmLgammaCorrection(q) - CrmLgammaCorrection(p + q);

		return lgamma(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
	}
	return lgamma(p) + lgamma(q) - lgamma(p + q);
}

/* Continued fraction of the incomplete beta function (A&S 26.5.8), modified Lentz. */
static double
CrmBetaContinuedFraction(double a, double b, double x)
{
	double		qab = a + b,
				qap = a + 1.0,
				qam = a - 1.0;
	double		c = 1.0,
				d = 1.0 - qab * x / qap,
				h;
	int			m;

	if (fabs(d) < CRM_SPECFUN_TINY)
		d = CRM_SPECFUN_TINY;
	d = 1.0 / d;
	h = d;
	for (m = 1; m < CRM_SPECFUN_MAX_ITER; m++)
	{
		double		m2 = 2.0 * m;
		double		aa,
					del;

		if ((m & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < CRM_SPECFUN_TINY)
			d = CRM_SPECFUN_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CRM_SPECFUN_TINY)
			c = CRM_SPECFUN_TINY;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < CRM_SPECFUN_TINY)
			d = CRM_SPECFUN_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CRM_SPECFUN_TINY)
			c = CRM_SPECFUN_TINY;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) <= CRM_SPECFUN_EPS)
			return h;
	}
	return NAN;
}

/*
 * The regularized incomplete beta function I_x(a, b) (upper = false) or its
 * complement 1 - I_x(a, b) = I_y(b, a) (upper = true), where y = 1 - x is
 * passed separately so that callers who know it exactly lose no digits.
 */
double
CrmBetaInc(double a, double b, double x, double y, bool upper)
{
	double		front,
				cf;

	if (isnan(a) || isnan(b) || isnan(x) || isnan(y) || !(a > 0.0) || !(b > 0.0) ||
		x < 0.0 || y < 0.0)
		return NAN;
	if (x == 0.0)
		return upper ? 1.0 : 0.0;
	if (y == 0.0)
		return upper ? 0.0 : 1.0;
	/* the continued fraction converges fast below the mean; swap above it */
	if (x > (a + 1.0) / (a + b + 2.0))
	{
		double		t;

		t = a, a = b, b = t;
		t = x, x = y, y = t;
		upper = !upper;
	}
	/* log x from y when x is near 1 (and the reverse): y may be exact there */
	front = exp(a * (x < 0.5 ? log(x) : log1p(-y)) + b * (y < 0.5 ? log(y) : log1p(-x)) -
				CrmLogBeta(a, b)) / a;
	cf = CrmBetaContinuedFraction(a, b, x);
	return upper ? 1.0 - front * cf : front * cf;
}

/* log(1 + u) - u, accurate for small u too. */
static double
CrmLog1pMinusX(double u)
{
	if (fabs(u) < 0.1)
	{
		double		term = u,
					sum = 0.0;
		int			k;

		/* -u^2/2 + u^3/3 - ... */
		for (k = 2; k < 60; k++)
		{
			double		t;

			term *= -u;
			t = term / k;
			sum += t;
			if (fabs(t) <= DBL_EPSILON * fabs(sum))
				break;
		}
		return sum;
	}
	return log1p(u) - u;
}

/* log(x^a e^-x / Gamma(a)), with Stirling's correction for large a. */
static double
CrmLogGammaPrefactor(double a, double x)
{
	if (a >= 10.0)
		return a * CrmLog1pMinusX((x - a) / a) + 0.5 * log(a) - CRM_LN_SQRT_2PI -
			CrmLgammaCorrection(a);
	return a * log(x) - x - lgamma(a);
}

/*
 * The regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) /
 * Gamma(a), a > 0, x >= 0.
 */
double
CrmGammaIncUpper(double a, double x)
{
	double		lf;
	int			n;

	if (isnan(a) || isnan(x) || !(a > 0.0) || x < 0.0)
		return NAN;
	if (x == 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	lf = CrmLogGammaPrefactor(a, x);
	if (x < a + 1.0)
	{
		/* series of the lower function P (A&S 6.5.29); Q >= 0.4 here */
		double		ap = a,
					del = 1.0 / a,
					sum = del;

		for (n = 1; n < CRM_SPECFUN_MAX_ITER; n++)
		{
			if ((n & 0x3FF) == 0)
				CHECK_FOR_INTERRUPTS();
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) <= CRM_SPECFUN_EPS * fabs(sum))
				break;
		}
		return 1.0 - sum * exp(lf);
	}
	else
	{
		/* continued fraction of Q (A&S 6.5.31), modified Lentz */
		double		b = x + 1.0 - a,
					c = 1.0 / CRM_SPECFUN_TINY,
					d = 1.0 / b,
					h = d;

		for (n = 1; n < CRM_SPECFUN_MAX_ITER; n++)
		{
			double		an = -n * (n - a),
						del;

			if ((n & 0x3FF) == 0)
				CHECK_FOR_INTERRUPTS();
			b += 2.0;
			d = an * d + b;
			if (fabs(d) < CRM_SPECFUN_TINY)
				d = CRM_SPECFUN_TINY;
			c = b + an / c;
			if (fabs(c) < CRM_SPECFUN_TINY)
				c = CRM_SPECFUN_TINY;
			d = 1.0 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1.0) <= CRM_SPECFUN_EPS)
				break;
		}
		return exp(lf) * h;
	}
}

/* Standard normal distribution function. */
double
CrmNormalCdf(double x)
{
	return 0.5 * erfc(-x * M_SQRT1_2);
}

/* Standard normal upper tail P(Z > x), accurate far into the tail. */
double
CrmNormalSf(double x)
{
	return 0.5 * erfc(x * M_SQRT1_2);
}

/*
 * Standard normal quantile: Acklam's rational approximation (relative error
 * below 1.2e-9), then Halley steps on erfc, which bring it to full double
 * precision in both tails.
 */
double
CrmNormalQuantile(double p)
{
	static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
	2.506628277459239e+00};
	static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
	2.938163982698783e+00};
	static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
	2.445134137142996e+00, 3.754408661907416e+00};
	double		x,
				q,
				r;
	int			i;

	if (isnan(p) || p < 0.0 || p > 1.0)
		return NAN;
	if (p == 0.0)
		return -INFINITY;
	if (p == 1.0)
		return INFINITY;
	/* the upper half by symmetry keeps the small tail probability exact */
	if (p > 0.5)
		return -CrmNormalQuantile(1.0 - p);
	if (p < 0.02425)
	{
		q = sqrt(-2.0 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
	}
	else
	{
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
	}
	/* Halley steps: x <- x - u / (1 + x u / 2), u = (Phi(x) - p) / phi(x) */
	for (i = 0; i < 3; i++)
	{
		double		e = CrmNormalCdf(x) - p;
		double		u,
					step;

		if (e == 0.0)
			break;
		u = e * sqrt(2.0 * M_PI) * exp(0.5 * x * x);
		if (!isfinite(u))
			break;
		step = u / (1.0 + 0.5 * x * u);
		x -= step;
		if (fabs(step) <= DBL_EPSILON * fabs(x))
			break;
	}
	return x;
}

/* P(T > t) for Student's t distribution with df > 0 degrees of freedom. */
double
CrmStudentTUpperTail(double t, double df)
{
	double		t2,
				tail;

	if (isnan(t) || isnan(df) || !(df > 0.0))
		return NAN;
	if (isinf(df))
		return CrmNormalSf(t);
	if (isinf(t))
		return t > 0.0 ? 0.0 : 1.0;
	if (t == 0.0)
		return 0.5;
	t2 = t * t;
	/* P(|T| > |t|) = I_x(df/2, 1/2), x = df / (df + t^2), 1 - x = t^2 / (df + t^2) */
	tail = 0.5 * CrmBetaInc(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2), false);
	return t > 0.0 ? tail : 1.0 - tail;
}

/* log of Student's t density with df degrees of freedom at t. */
static double
CrmStudentTLogPdf(double t, double df)
{
	return -0.5 * (df + 1.0) * log1p(t * t / df) - 0.5 * log(df) - CrmLogBeta(0.5 * df, 0.5);
}

/*
 * The t with P(T > t) = q for Student's t distribution with df > 0 degrees
 * of freedom, 0 < q < 1: bracketed Newton iterations on the tail
 * probability, started from the Cornish-Fisher expansion (A&S 26.7.5).
 */
double
CrmStudentTUpperQuantile(double q, double df)
{
	double		z,
				t,
				lo,
				hi;
	bool		negate = false;
	int			i;

	if (isnan(q) || isnan(df) || !(df > 0.0) || q < 0.0 || q > 1.0)
		return NAN;
	if (q == 0.0)
		return INFINITY;
	if (q == 1.0)
		return -INFINITY;
	if (isinf(df))
		return -CrmNormalQuantile(q);
	if (q == 0.5)
		return 0.0;
	if (q > 0.5)
	{
		q = 1.0 - q;
		negate = true;
	}
	if (df == 1.0)
		t = tan(M_PI * (0.5 - q));	/* Cauchy */
	else
	{
		double		z2;

		z = -CrmNormalQuantile(q);
		z2 = z * z;
		t = z + z * (z2 + 1.0) / (4.0 * df) +
			z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * df * df) +
			z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / (384.0 * df * df * df);
		if (!(t > 0.0) || !isfinite(t))
			t = 1.0;
	}
	/* bracket: sf decreases in t; the root lies in (lo, hi) */
	lo = 0.0;
	hi = Max(t, 1.0);
	while (CrmStudentTUpperTail(hi, df) > q)
	{
		lo = hi;
		hi *= 2.0;
		if (!isfinite(hi))
			return negate ? -INFINITY : INFINITY;
	}
	if (t <= lo || t >= hi)
		t = 0.5 * (lo + hi);
	for (i = 0; i < 200; i++)
	{
		double		f = CrmStudentTUpperTail(t, df) - q;
		double		next;

		if (f == 0.0)
			break;
		if (f > 0.0)
			lo = t;				/* tail too heavy: the root is further out */
		else
			hi = t;
		/* Newton on sf: d sf / dt = -pdf */
		next = t + f / exp(CrmStudentTLogPdf(t, df));
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		if (fabs(next - t) <= 2.0 * DBL_EPSILON * fabs(t) || hi - lo <= 2.0 * DBL_EPSILON * hi)
		{
			t = next;
			break;
		}
		t = next;
	}
	return negate ? -t : t;
}

/* P(X > x) for the chi-square distribution with k > 0 degrees of freedom. */
double
CrmChi2Sf(double x, double k)
{
	if (isnan(x) || isnan(k) || !(k > 0.0))
		return NAN;
	if (x <= 0.0)
		return 1.0;
	return CrmGammaIncUpper(0.5 * k, 0.5 * x);
}

/* P(Z > z) for a standard normal Z, accurate in the far tail (p-values of z statistics). */
double
CrmNormalUpperTail(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}
