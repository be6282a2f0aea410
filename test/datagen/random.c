/*
 * random.c
 *		Random numbers of datagen: the PRNG, the samplers and alias tables.
 *
 * xoshiro256** (Blackman & Vigna) seeded by splitmix64, one independent
 * stream per (seed, purpose, entity), so the output depends only on --seed
 * and the scale.  Samplers: Gamma by Marsaglia & Tsang (2000), boosted for
 * shape < 1; Beta from two Gammas; Poisson by multiplication (chunked for
 * large means); normal by Box-Muller; discrete laws by Vose's alias method.
 * The per-draw steps (RngNext, Unif, UnifInt, AliasDraw, ...) are static
 * inline in datagen.h; this file has the rest.
 */
#include "datagen.h"

/* ---------------------------------------------------------------------
 * PRNG: splitmix64 for seeding, xoshiro256** for streams
 * --------------------------------------------------------------------- */

/* splitmix64 step */
static uint64_t
SplitMix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* seed an independent stream for (seed, purpose, entity id) */
void
RngSeed(Rng *r, uint64_t seed, uint64_t purpose, uint64_t id)
{
	uint64_t	x = seed;
	uint64_t	h;

	h = SplitMix64(&x);
	x = h ^ (purpose * UINT64_C(0xD1B54A32D192ED03));
	h = SplitMix64(&x);
	x = h ^ (id * UINT64_C(0x8CB92BA72F3D8DD7));
	for (int i = 0; i < 4; i++)
		r->s[i] = SplitMix64(&x);
}

/* ---------------------------------------------------------------------
 * Samplers
 * --------------------------------------------------------------------- */

/* standard normal, Box-Muller (one value per call, no hidden state) */
double
Normal(Rng *r)
{
	double		u1 = UnifPos(r);
	double		u2 = Unif(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Gamma(shape k, scale 1): Marsaglia & Tsang, boosted for k < 1 */
double
Gamma(Rng *r, double k)
{
	if (k < 1.0)
	{
		double		g = Gamma(r, k + 1.0);

		return g * pow(UnifPos(r), 1.0 / k);
	}
	else
	{
		double		d = k - 1.0 / 3.0;
		double		c = 1.0 / sqrt(9.0 * d);

		for (;;)
		{
			double		x,
						v,
						u;

			do
			{
				x = Normal(r);
				v = 1.0 + c * x;
			} while (v <= 0.0);
			v = v * v * v;
			u = UnifPos(r);
			if (u < 1.0 - 0.0331 * x * x * x * x)
				return d * v;
			if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
				return d * v;
		}
	}
}

/* Beta(a, b) from two Gammas */
double
Beta(Rng *r, double a, double b)
{
	double		x = Gamma(r, a);
	double		y = Gamma(r, b);

	if (x + y <= 0.0)
		return a / (a + b);
	return x / (x + y);
}

/* Poisson(mu): multiplication method, chunks of <= 30 (sum of Poissons) */
int
Poisson(Rng *r, double mu)
{
	int			n = 0;

	while (mu > 0.0)
	{
		double		m = mu > 30.0 ? 30.0 : mu;
		double		lim = exp(-m);
		double		prod = UnifPos(r);

		while (prod > lim)
		{
			n++;
			prod *= UnifPos(r);
		}
		mu -= m;
	}
	return n;
}

/* ---------------------------------------------------------------------
 * Alias tables (and the allocator they share with everyone)
 * --------------------------------------------------------------------- */

/* malloc that exits on failure */
void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (!p)
	{
		fprintf(stderr, "datagen: out of memory\n");
		exit(2);
	}
	return p;
}

/* alias table of the law with weights w[0..n-1] (need not sum to 1) */
void
AliasInit(Alias *a, const double *w, int n)
{
	double		sum = 0.0;
	double	   *p = xmalloc(sizeof(double) * n);
	int		   *small = xmalloc(sizeof(int) * n);
	int		   *large = xmalloc(sizeof(int) * n);
	int			ns = 0,
				nl = 0;

	a->n = n;
	a->prob = xmalloc(sizeof(double) * n);
	a->alias = xmalloc(sizeof(int) * n);
	for (int i = 0; i < n; i++)
		sum += w[i];
	for (int i = 0; i < n; i++)
	{
		p[i] = w[i] * n / sum;
		a->alias[i] = i;
		if (p[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0)
	{
		int			s = small[--ns];
		int			l = large[--nl];

		a->prob[s] = p[s];
		a->alias[s] = l;
		p[l] = (p[l] + p[s]) - 1.0;
		if (p[l] < 1.0)
			small[ns++] = l;
		else
			large[nl++] = l;
	}
	while (nl > 0)
		a->prob[large[--nl]] = 1.0;
	while (ns > 0)				/* only through rounding */
		a->prob[small[--ns]] = 1.0;
	free(p);
	free(small);
	free(large);
}
