/*
 * datagen.c
 *		Deterministic synthetic retail data with planted, known structure.
 *
 * Writes PostgreSQL COPY text files (tab separated, \N for NULL), one per
 * table, into an output directory.  The paths may be FIFOs created by the
 * loader (generate.sh), so generation and loading overlap.  After a table is
 * complete the program writes "<table>.done" (containing the row count)
 * BEFORE closing the data file, so a reader that sees EOF can tell a
 * complete stream from one cut short by a crash.
 *
 * Processes (see README.md for every parameter):
 *	- purchasing: BG/NBD "buy till you die" (Fader, Hardie & Lee 2005,
 *	  "Counting your customers the easy way"): lambda ~ Gamma(r, rate alpha)
 *	  purchases/week, p ~ Beta(a, b); first purchase shortly after signup,
 *	  Exponential(lambda) gaps, dropout with probability p after every
 *	  repeat purchase (the BG/NBD likelihood lets nobody die at time 0).
 *	  Gift shoppers follow a seasonal (thinned) Poisson process whose
 *	  yearly mean rate is lambda.
 *	- order value: Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"):
 *	  nu ~ Gamma(q, rate v), target order value ~ Gamma(p, rate nu), turned
 *	  into 1 + Poisson(mu) lines drawn from group category preferences with
 *	  Zipf(s = 1.1) popularity inside each category.
 *	- planted association rules, campaign uplift, web funnel drop-off rates.
 *
 * Randomness: xoshiro256** (Blackman & Vigna) seeded by splitmix64, one
 * independent stream per (seed, purpose, entity), so the output depends only
 * on --seed and the scale.  Samplers: Gamma by Marsaglia & Tsang (2000), Beta
 * from two Gammas, Poisson by multiplication (chunked for large means),
 * lognormal via Box-Muller, discrete laws (Zipf, categories, hours) by
 * Vose's alias method.
 *
 * Build: cc -O2 -Wall -Wextra -Werror -o datagen datagen.c -lm
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECS_PER_DAY	86400
#define SECS_PER_WEEK	604800.0
#define N_DAYS			731		/* 2023-01-01 .. 2024-12-31 */
#define T_END			((int64_t) N_DAYS * SECS_PER_DAY)	/* 2025-01-01 00:00 UTC */
#define MAX_LINES		20		/* purchase lines per order */
#define MAX_QTY			24		/* units of one product per line */
#define MAX_SESSIONS	64		/* abandoned sessions before one order */
#define OUTBUF_SIZE		(1 << 20)
#define ROW_RESERVE		1024	/* no row is longer than this */

/* ---------------------------------------------------------------------
 * PRNG: splitmix64 for seeding, xoshiro256** for streams
 * --------------------------------------------------------------------- */

typedef struct
{
	uint64_t	s[4];
} Rng;

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
static void
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

static inline uint64_t
Rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** next */
static inline uint64_t
RngNext(Rng *r)
{
	uint64_t   *s = r->s;
	uint64_t	result = Rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = Rotl(s[3], 45);
	return result;
}

/* uniform in [0, 1) */
static inline double
Unif(Rng *r)
{
	return (double) (RngNext(r) >> 11) * 0x1.0p-53;
}

/* uniform in (0, 1] : safe for log() */
static inline double
UnifPos(Rng *r)
{
	return 1.0 - Unif(r);
}

/* uniform integer in [lo, hi] */
static inline int64_t
UnifInt(Rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t) (Unif(r) * (double) (hi - lo + 1));
}

/* ---------------------------------------------------------------------
 * Samplers
 * --------------------------------------------------------------------- */

/* standard normal, Box-Muller (one value per call, no hidden state) */
static double
Normal(Rng *r)
{
	double		u1 = UnifPos(r);
	double		u2 = Unif(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Gamma(shape k, scale 1): Marsaglia & Tsang, boosted for k < 1 */
static double
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

/* Gamma(shape, rate) */
static inline double
GammaRate(Rng *r, double shape, double rate)
{
	return Gamma(r, shape) / rate;
}

/* Beta(a, b) from two Gammas */
static double
Beta(Rng *r, double a, double b)
{
	double		x = Gamma(r, a);
	double		y = Gamma(r, b);

	if (x + y <= 0.0)
		return a / (a + b);
	return x / (x + y);
}

/* Poisson(mu): multiplication method, chunks of <= 30 (sum of Poissons) */
static int
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

/* Exponential(rate) */
static inline double
Expo(Rng *r, double rate)
{
	return -log(UnifPos(r)) / rate;
}

/* lognormal with given median and log-sd */
static inline double
LogNormal(Rng *r, double median, double sigma)
{
	return median * exp(sigma * Normal(r));
}

/* Vose alias table for a discrete law on 0..n-1 */
typedef struct
{
	int			n;
	double	   *prob;
	int		   *alias;
} Alias;

static void *
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

static void
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

static inline int
AliasDraw(const Alias *a, Rng *r)
{
	double		u = Unif(r) * a->n;
	int			i = (int) u;

	if (i >= a->n)
		i = a->n - 1;
	return (u - i) < a->prob[i] ? i : a->alias[i];
}

/* ---------------------------------------------------------------------
 * Output: buffered COPY text writers
 * --------------------------------------------------------------------- */

typedef struct
{
	const char *name;
	int			enabled;
	int			fd;
	char	   *buf;
	size_t		len;
	uint64_t	rows;
} Out;

static const char *g_outdir;

static void
WriteAll(Out *o, const char *p, size_t n)
{
	while (n > 0)
	{
		ssize_t		w = write(o->fd, p, n);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			fprintf(stderr, "datagen: write %s: %s\n", o->name, strerror(errno));
			exit(2);
		}
		p += w;
		n -= (size_t) w;
	}
}

static void
OutFlush(Out *o)
{
	if (o->enabled && o->len > 0)
		WriteAll(o, o->buf, o->len);
	o->len = 0;
}

static void
OutOpen(Out *o, const char *name, int enabled)
{
	char		path[4096];

	o->name = name;
	o->enabled = enabled;
	o->fd = -1;
	o->len = 0;
	o->rows = 0;
	o->buf = xmalloc(OUTBUF_SIZE);
	if (!enabled)
		return;
	snprintf(path, sizeof(path), "%s/%s.tsv", g_outdir, name);
	/* blocks on a FIFO until the loader opens it for reading */
	o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (o->fd < 0)
	{
		fprintf(stderr, "datagen: open %s: %s\n", path, strerror(errno));
		exit(2);
	}
#ifdef F_SETPIPE_SZ
	/* bigger pipe buffer: fewer context switches (ignored for plain files) */
	(void) fcntl(o->fd, F_SETPIPE_SZ, 1 << 20);
#endif
}

/* flush, write the completion marker, then close: EOF after marker */
static void
OutClose(Out *o)
{
	OutFlush(o);
	if (o->enabled)
	{
		char		path[4096];
		FILE	   *f;

		snprintf(path, sizeof(path), "%s/%s.done", g_outdir, o->name);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%" PRIu64 "\n", o->rows) < 0 || fclose(f) != 0)
		{
			fprintf(stderr, "datagen: cannot write %s\n", path);
			exit(2);
		}
		if (close(o->fd) != 0)
		{
			fprintf(stderr, "datagen: close %s: %s\n", o->name, strerror(errno));
			exit(2);
		}
	}
	free(o->buf);
	o->buf = NULL;
}

/* start a row: returns the write cursor */
static inline char *
RowBegin(Out *o)
{
	if (o->len + ROW_RESERVE > OUTBUF_SIZE)
		OutFlush(o);
	return o->buf + o->len;
}

static inline void
RowEnd(Out *o, char *p)
{
	*p++ = '\n';
	o->len = (size_t) (p - o->buf);
	o->rows++;
}

static inline char *
PutU64(char *p, uint64_t v)
{
	char		tmp[24];
	int			n = 0;

	do
	{
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static inline char *
PutI64(char *p, int64_t v)
{
	if (v < 0)
	{
		*p++ = '-';
		return PutU64(p, (uint64_t) (-(v + 1)) + 1);
	}
	return PutU64(p, (uint64_t) v);
}

/* cents as numeric text: -1234 -> -12.34 */
static inline char *
PutCents(char *p, int64_t c)
{
	if (c < 0)
	{
		*p++ = '-';
		c = -c;
	}
	p = PutU64(p, (uint64_t) (c / 100));
	*p++ = '.';
	*p++ = (char) ('0' + (c % 100) / 10);
	*p++ = (char) ('0' + c % 10);
	return p;
}

/* text with COPY escaping, truncated to 200 bytes */
static char *
PutStr(char *p, const char *s)
{
	for (int n = 0; *s && n < 200; s++, n++)
	{
		switch (*s)
		{
			case '\\':
				*p++ = '\\';
				*p++ = '\\';
				break;
			case '\t':
				*p++ = '\\';
				*p++ = 't';
				break;
			case '\n':
				*p++ = '\\';
				*p++ = 'n';
				break;
			case '\r':
				*p++ = '\\';
				*p++ = 'r';
				break;
			default:
				*p++ = *s;
		}
	}
	return p;
}

static inline char *
PutNull(char *p)
{
	*p++ = '\\';
	*p++ = 'N';
	return p;
}

static inline char *
PutTab(char *p)
{
	*p++ = '\t';
	return p;
}

/* float8 text: shortest of %.15g/%.16g/%.17g that reads back exactly */
static char *
PutF8(char *p, double x)
{
	for (int prec = 15; prec < 17; prec++)
	{
		int			n = sprintf(p, "%.*g", prec, x);

		if (strtod(p, NULL) == x)
			return p + n;
	}
	return p + sprintf(p, "%.17g", x);
}

/* ---------------------------------------------------------------------
 * Calendar (UTC): t = seconds since 2023-01-01 00:00:00
 * --------------------------------------------------------------------- */

static char g_daystr[N_DAYS + 1][11];
static unsigned char g_month[N_DAYS + 1];
static unsigned char g_mday[N_DAYS + 1];
static char g_two[100][2];

/* days since 1970-01-01 for a civil date (Howard Hinnant's algorithm) */
static int64_t
DaysFromCivil(int y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* seconds since 2023-01-01 for a civil UTC date */
static int64_t
T(int y, int m, int d)
{
	return (DaysFromCivil(y, m, d) - DaysFromCivil(2023, 1, 1)) * SECS_PER_DAY;
}

static void
CalendarInit(void)
{
	int			y = 2023,
				m = 1,
				d = 1;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	for (int i = 0; i < 100; i++)
	{
		g_two[i][0] = (char) ('0' + i / 10);
		g_two[i][1] = (char) ('0' + i % 10);
	}
	for (int i = 0; i <= N_DAYS; i++)
	{
		int			ml;
		char		tmp[48];

		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
		memcpy(g_daystr[i], tmp, 11);
		g_month[i] = (unsigned char) m;
		g_mday[i] = (unsigned char) d;
		ml = mdays[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
		if (++d > ml)
		{
			d = 1;
			if (++m > 12)
			{
				m = 1;
				y++;
			}
		}
	}
}

/* timestamptz text, whole seconds, explicit UTC offset */
static inline char *
PutTs(char *p, int64_t t)
{
	int64_t		day = t / SECS_PER_DAY;
	int			s = (int) (t % SECS_PER_DAY);

	memcpy(p, g_daystr[day], 10);
	p += 10;
	*p++ = ' ';
	memcpy(p, g_two[s / 3600], 2);
	p += 2;
	*p++ = ':';
	memcpy(p, g_two[(s / 60) % 60], 2);
	p += 2;
	*p++ = ':';
	memcpy(p, g_two[s % 60], 2);
	p += 2;
	memcpy(p, "+00", 3);
	return p + 3;
}

/* ---------------------------------------------------------------------
 * Planted parameters
 * --------------------------------------------------------------------- */

enum
{
	CAT_GROCERY, CAT_HOUSEHOLD, CAT_PERSONAL, CAT_ELECTRONICS, CAT_APPLIANCES,
	CAT_FURNITURE, CAT_CLOTHING, CAT_SPORTS, CAT_TOYS, CAT_GIFTS, CAT_BOOKS,
	CAT_GARDEN, N_CATS
};

typedef struct
{
	const char *name;
	const char *prefix;			/* SKU prefix */
	double		catalogue_share;
	double		price_median;
	double		price_sigma;
	const char *nouns[8];
} Category;

static const Category g_cats[N_CATS] = {
	{"Grocery", "GRO", 0.14, 4.5, 0.6, {"Pasta", "Olive Oil", "Coffee Beans", "Cereal", "Tea", "Rice", "Chocolate", "Sauce"}},
	{"Household", "HOU", 0.10, 9.0, 0.6, {"Detergent", "Sponge Set", "Trash Bags", "Cleaner", "Storage Box", "Towels", "Candles", "Hangers"}},
	{"Personal Care", "PER", 0.08, 8.0, 0.5, {"Shampoo", "Toothpaste", "Soap", "Lotion", "Razor", "Deodorant", "Sunscreen", "Hair Gel"}},
	{"Electronics", "ELE", 0.10, 220.0, 0.9, {"Headphones", "Tablet", "Monitor", "Speaker", "Camera", "Smartwatch", "Router", "Keyboard"}},
	{"Appliances", "APP", 0.06, 160.0, 0.7, {"Blender", "Toaster", "Kettle", "Vacuum", "Microwave", "Air Fryer", "Iron", "Mixer"}},
	{"Furniture", "FUR", 0.07, 320.0, 0.6, {"Sofa", "Desk", "Chair", "Bookshelf", "Bed Frame", "Dresser", "Table", "Wardrobe"}},
	{"Clothing", "CLO", 0.12, 35.0, 0.5, {"T-Shirt", "Jeans", "Jacket", "Sweater", "Dress", "Sneakers", "Scarf", "Socks"}},
	{"Sports & Outdoors", "SPO", 0.07, 45.0, 0.8, {"Yoga Mat", "Dumbbells", "Backpack", "Water Bottle", "Bike Helmet", "Running Shoes", "Camping Stove", "Headlamp"}},
	{"Toys", "TOY", 0.08, 25.0, 0.6, {"Puzzle", "Building Set", "Doll", "Board Game", "Plush Bear", "Toy Car", "Kite", "Robot Kit"}},
	{"Gifts", "GIF", 0.06, 30.0, 0.6, {"Gift Basket", "Photo Frame", "Mug", "Greeting Set", "Scented Box", "Keychain", "Wine Glasses", "Ornament"}},
	{"Books", "BOO", 0.07, 15.0, 0.4, {"Novel", "Cookbook", "Biography", "Atlas", "Comic", "Guide", "Poetry", "Textbook"}},
	{"Home & Garden", "GAR", 0.05, 40.0, 0.7, {"Planter", "Hose", "Lamp", "Rug", "Cushion", "Garden Tools", "Bird Feeder", "Curtains"}},
};

static const char *const g_adjs[] = {
	"Classic", "Premium", "Eco", "Compact", "Deluxe", "Essential", "Smart", "Urban",
	"Nordic", "Everyday", "Pro", "Organic", "Vintage", "Family", "Ultra", "Basic"
};
static const char *const g_brands[] = {
	"Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
	"Hooli", "Vandelay", "Soylent", "Tyrell", "Gringotts", "Cyberdyne", "Wonka", "Oceanic"
};

#define N_GROUPS 4

typedef struct
{
	const char *name;
	double		share;
	double		r,
				alpha,
				a,
				b;				/* BG/NBD, weekly time unit */
	double		gg_p,
				gg_q,
				gg_v;			/* Gamma-Gamma */
	double		lines_mu;		/* lines = 1 + Poisson(lines_mu) */
	int			seasonal;		/* gift-season purchase rate */
	double		cat_w[N_CATS];
	double		chan_w[4];		/* preferred channel: web, app, store, phone */
	double		profile[3];		/* mean age, annual income (k), spending score */
	const char *description;
} Group;

static const Group g_groups[N_GROUPS] = {
	{"bargain_hunters", 0.35, 1.8, 9.0, 0.7, 6.3, 6.0, 8.0, 35.0, 2.2, 0,
		{.37, .20, .14, .02, .01, .01, .06, .05, .04, .02, .04, .04},
		{.45, .40, .10, .05},
		{52, 32, 25},
	"frequent small grocery/household baskets; mean rate 0.2/week, E[p]=0.10, E[order value]=30"},
	{"big_spenders", 0.10, 0.6, 15.0, 0.8, 2.4, 2.5, 3.0, 480.0, 0.6, 0,
		{.03, .06, .03, .30, .16, .20, .06, .07, .02, .02, .01, .04},
		{.35, .10, .40, .15},
		{46, 125, 82},
	"rare large electronics/furniture/appliance orders; mean rate 0.04/week, E[p]=0.25, E[order value]=600"},
	{"regulars", 0.40, 2.5, 25.0, 1.0, 6.0, 5.0, 6.0, 80.0, 1.5, 0,
		{.14, .12, .08, .09, .06, .05, .12, .10, .06, .04, .07, .07},
		{.45, .25, .22, .08},
		{38, 68, 50},
	"steady mid-size orders across all categories; mean rate 0.1/week, E[p]=0.14, E[order value]=80"},
	{"gift_shoppers", 0.15, 0.24, 4.4, 0.79, 2.4, 4.0, 4.0, 100.0, 1.2, 1,
		{.03, .06, .06, .08, .03, .02, .10, .06, .27, .20, .07, .02},
		{.55, .25, .15, .05},
		{27, 45, 85},
	"CDNOW-like BG/NBD, purchases concentrated Nov 15 - Dec 24 (x4.66 rate), toys/gifts; E[order value]=133"},
};

static const char *const g_channels[4] = {"web", "app", "store", "phone"};

static const char *const g_countries[10] = {"US", "GB", "DE", "FR", "CA", "NL", "ES", "IT", "AU", "SE"};
static const double g_country_w[10] = {.30, .14, .12, .10, .08, .06, .06, .05, .05, .04};

static const char *const g_first[] = {
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
	"William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
	"Thomas", "Sarah", "Charles", "Karen", "Lukas", "Emma", "Leon", "Mia", "Hugo",
	"Chloe", "Louis", "Lea", "Lucas", "Sofia", "Mateo", "Lucia", "Noah", "Olivia",
	"Liam", "Ava", "Oliver", "Isla", "Jack", "Freja", "Elias", "Astrid", "Daan",
	"Julia", "Marco", "Giulia", "Pablo", "Carmen", "Ethan", "Zoe"
};
static const char *const g_last[] = {
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
	"Martin", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "White",
	"Muller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Durand", "Bernard",
	"Petit", "Lefebvre", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Lopez",
	"Gonzalez", "Fernandez", "Sanchez", "Perez", "De Jong", "Jansen", "Bakker", "Visser",
	"Andersson", "Johansson", "Karlsson", "Nilsson", "Tremblay", "Roy", "Wright",
	"Walker", "Young", "King"
};
#define N_FIRST ((int) (sizeof(g_first) / sizeof(g_first[0])))
#define N_LAST ((int) (sizeof(g_last) / sizeof(g_last[0])))

/* planted association rules */
typedef struct
{
	const char *ante_sku;
	const char *ante_name;
	int			ante_cat;
	int64_t		ante_cents;
	const char *cons_sku;
	const char *cons_name;
	int			cons_cat;
	int64_t		cons_cents;
	double		confidence;
	double		popularity;		/* antecedent weight, x the top Zipf weight */
} Rule;

#define N_RULES 4
static const Rule g_rules[N_RULES] = {
	{"BREAD-BOX", "Bread Box", CAT_HOUSEHOLD, 2499, "BREAD-CUTTER", "Bread Cutter", CAT_HOUSEHOLD, 1299, 0.60, 0.25},
	{"COFFEE-MACHINE", "Coffee Machine", CAT_APPLIANCES, 8999, "COFFEE-FILTERS", "Coffee Filters", CAT_GROCERY, 449, 0.45, 3.0},
	{"TENT", "Tent", CAT_SPORTS, 9900, "SLEEPING-BAG", "Sleeping Bag", CAT_SPORTS, 3900, 0.35, 3.0},
	{"PRINTER", "Printer", CAT_ELECTRONICS, 12999, "INK-CARTRIDGE", "Ink Cartridge", CAT_ELECTRONICS, 2999, 0.50, 2.0},
};

/* campaigns: fixed dates, known conversion rates */
typedef struct
{
	const char *name;
	const char *channel;
	int			y0,
				m0,
				d0,
				y1,
				m1,
				d1;
	double		member_rate;	/* share of eligible customers enrolled */
	double		treatment_share;
	double		control_rate;
	double		treatment_rate;
} Campaign;

#define N_CAMPAIGNS 4
static const Campaign g_campaigns[N_CAMPAIGNS] = {
	{"Spring Email Promo 2024", "email", 2024, 3, 4, 2024, 4, 1, 0.30, 0.5, 0.050, 0.080},
	{"Summer App Push 2024", "app", 2024, 6, 1, 2024, 7, 1, 0.30, 0.5, 0.100, 0.100},
	{"Back to School SMS 2024", "sms", 2024, 8, 15, 2024, 9, 15, 0.30, 0.5, 0.040, 0.070},
	{"Black Friday Email 2024", "email", 2024, 11, 18, 2024, 12, 2, 0.30, 0.5, 0.120, 0.180},
};
#define CONVERSION_WINDOW_DAYS 14

/* web funnel: continuation probabilities of one session */
#define P_VIEW_CART			0.80
#define P_CART_CHECKOUT		0.85
#define P_CHECKOUT_PURCHASE	0.90

/* returns and discounts */
#define P_RETURN_LINE	0.11	/* per repeat order: add one return line */
#define P_DISCOUNT		0.10	/* per purchase line: discounted unit price */

/* gift season: Nov 15 .. Dec 24 rate multiplier, normalized to mean 1 */
#define SEASON_HIGH		4.65625
#define SEASON_LOW		0.55

/* signup intensity grows linearly by this factor over the two years */
#define SIGNUP_GROWTH	0.6

/* intra-day profile (UTC hour weights): evening peak */
static const double g_hour_w[24] = {
	1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 1.8, 2.6, 3.2, 3.6, 4.0,
	4.6, 4.4, 4.0, 3.9, 4.1, 4.8, 5.8, 6.8, 7.2, 6.4, 4.4, 2.4
};

/* ---------------------------------------------------------------------
 * Catalogue
 * --------------------------------------------------------------------- */

typedef struct
{
	char		sku[24];
	char		name[80];
	int			cat;
	int64_t		cents;
	int			rule_ante;		/* index of rule with this antecedent, -1 */
	int			rule_cons;		/* index of rule with this consequent, -1 */
} Product;

static Product *g_products;		/* 1-based: g_products[1..n] */
static int	g_nproducts;
static Alias g_cat_products[N_CATS];	/* Zipf within category */
static int *g_cat_ids[N_CATS];	/* alias index -> product id */
static Alias g_group_cat[N_GROUPS];
static Alias g_group_alias;
static Alias g_group_chan[N_GROUPS];
static Alias g_country_alias;
static Alias g_hour_alias;
static Alias g_chan_alias;		/* overall channel mix of orders */
static int	g_rule_cons_pid[N_RULES];

#define ZIPF_S 1.1

static void
BuildCatalogue(uint64_t seed, int nproducts)
{
	Rng			r;
	int			counts[N_CATS];
	int			assigned = 0;
	int			pid = 0;

	RngSeed(&r, seed, 10, 0);
	g_nproducts = nproducts;
	g_products = xmalloc(sizeof(Product) * (nproducts + 1));
	for (int c = 0; c < N_CATS; c++)
	{
		counts[c] = (int) floor(g_cats[c].catalogue_share * nproducts + 0.5);
		assigned += counts[c];
	}
	counts[CAT_GROCERY] += nproducts - assigned;

	for (int c = 0; c < N_CATS; c++)
	{
		int			n = counts[c];
		double	   *w = xmalloc(sizeof(double) * n);
		int			rank = 1;

		g_cat_ids[c] = xmalloc(sizeof(int) * n);
		for (int k = 0; k < n; k++)
		{
			Product    *p = &g_products[++pid];
			int			ante = -1,
						cons = -1;

			/* planted products first; an antecedent weighs popularity x rank 1 */
			for (int i = 0, j = 0; i < N_RULES; i++)
			{
				if (g_rules[i].ante_cat == c && j++ == k)
					ante = i;
				if (g_rules[i].cons_cat == c && j++ == k)
					cons = i;
			}
			p->cat = c;
			p->rule_ante = ante;
			p->rule_cons = cons;
			g_cat_ids[c][k] = pid;
			if (ante >= 0 || cons >= 0)
			{
				const Rule *ru = &g_rules[ante >= 0 ? ante : cons];

				snprintf(p->sku, sizeof(p->sku), "%s", ante >= 0 ? ru->ante_sku : ru->cons_sku);
				snprintf(p->name, sizeof(p->name), "%s", ante >= 0 ? ru->ante_name : ru->cons_name);
				p->cents = ante >= 0 ? ru->ante_cents : ru->cons_cents;
				/* consequents only ever enter baskets through the plant */
				w[k] = ante >= 0 ? ru->popularity : 0.0;
				if (cons >= 0)
					g_rule_cons_pid[cons] = pid;
			}
			else
			{
				double		price = LogNormal(&r, g_cats[c].price_median, g_cats[c].price_sigma);
				int			adj = (int) UnifInt(&r, 0, 15);
				int			brand = (int) UnifInt(&r, 0, 15);
				int			noun = (int) UnifInt(&r, 0, 7);

				if (price < 1.0)
					p->cents = (int64_t) floor(price * 100.0 + 0.5);
				else
					p->cents = (int64_t) floor(price) * 100 + 99;	/* x.99 */
				if (p->cents < 49)
					p->cents = 49;
				snprintf(p->sku, sizeof(p->sku), "%s-%06d", g_cats[c].prefix, pid);
				snprintf(p->name, sizeof(p->name), "%s %s %s", g_brands[brand], g_adjs[adj],
						 g_cats[c].nouns[noun]);
				w[k] = pow((double) rank++, -ZIPF_S);
			}
		}
		AliasInit(&g_cat_products[c], w, n);
		free(w);
	}
}

static void
BuildLaws(void)
{
	double		w[N_GROUPS];
	double		chan[4] = {0, 0, 0, 0};

	for (int g = 0; g < N_GROUPS; g++)
	{
		w[g] = g_groups[g].share;
		AliasInit(&g_group_cat[g], g_groups[g].cat_w, N_CATS);
		AliasInit(&g_group_chan[g], g_groups[g].chan_w, 4);
		for (int c = 0; c < 4; c++)
			chan[c] += g_groups[g].share * g_groups[g].chan_w[c];
	}
	AliasInit(&g_group_alias, w, N_GROUPS);
	AliasInit(&g_country_alias, g_country_w, 10);
	AliasInit(&g_hour_alias, g_hour_w, 24);
	AliasInit(&g_chan_alias, chan, 4);
}

/* ---------------------------------------------------------------------
 * Static tables
 * --------------------------------------------------------------------- */

static int
TableWanted(const char *list, const char *name)
{
	size_t		n = strlen(name);
	const char *p = list;

	if (strcmp(list, "all") == 0)
		return 1;
	while (*p)
	{
		const char *e = strchr(p, ',');
		size_t		len = e ? (size_t) (e - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static void
WriteStatic(const char *tables)
{
	Out			o;
	char	   *p;

	OutOpen(&o, "group_truth", TableWanted(tables, "group_truth"));
	for (int g = 0; g < N_GROUPS; g++)
	{
		const Group *gr = &g_groups[g];

		p = RowBegin(&o);
		p = PutU64(p, (uint64_t) g + 1);
		p = PutTab(p);
		p = PutStr(p, gr->name);
		p = PutTab(p);
		p = PutF8(p, gr->share);
		p = PutTab(p);
		p = PutF8(p, gr->r);
		p = PutTab(p);
		p = PutF8(p, gr->alpha);
		p = PutTab(p);
		p = PutF8(p, gr->a);
		p = PutTab(p);
		p = PutF8(p, gr->b);
		p = PutTab(p);
		p = PutF8(p, gr->gg_p);
		p = PutTab(p);
		p = PutF8(p, gr->gg_q);
		p = PutTab(p);
		p = PutF8(p, gr->gg_v);
		p = PutTab(p);
		p = PutStr(p, gr->description);
		RowEnd(&o, p);
	}
	OutClose(&o);

	OutOpen(&o, "planted_rules", TableWanted(tables, "planted_rules"));
	for (int i = 0; i < N_RULES; i++)
	{
		p = RowBegin(&o);
		p = PutStr(p, g_rules[i].ante_sku);
		p = PutTab(p);
		p = PutStr(p, g_rules[i].cons_sku);
		p = PutTab(p);
		p = PutF8(p, g_rules[i].confidence);
		RowEnd(&o, p);
	}
	OutClose(&o);

	OutOpen(&o, "campaigns", TableWanted(tables, "campaigns"));
	for (int i = 0; i < N_CAMPAIGNS; i++)
	{
		const Campaign *c = &g_campaigns[i];

		p = RowBegin(&o);
		p = PutU64(p, (uint64_t) i + 1);
		p = PutTab(p);
		p = PutStr(p, c->name);
		p = PutTab(p);
		p = PutStr(p, c->channel);
		p = PutTab(p);
		p = PutTs(p, T(c->y0, c->m0, c->d0));
		p = PutTab(p);
		p = PutTs(p, T(c->y1, c->m1, c->d1));
		RowEnd(&o, p);
	}
	OutClose(&o);

	OutOpen(&o, "campaign_truth", TableWanted(tables, "campaign_truth"));
	for (int i = 0; i < N_CAMPAIGNS; i++)
	{
		p = RowBegin(&o);
		p = PutU64(p, (uint64_t) i + 1);
		p = PutTab(p);
		p = PutF8(p, g_campaigns[i].control_rate);
		p = PutTab(p);
		p = PutF8(p, g_campaigns[i].treatment_rate);
		RowEnd(&o, p);
	}
	OutClose(&o);

	OutOpen(&o, "funnel_truth", TableWanted(tables, "funnel_truth"));
	{
		static const char *const from[3] = {"view", "cart", "checkout"};
		static const char *const to[3] = {"cart", "checkout", "purchase"};
		const double pc[3] = {P_VIEW_CART, P_CART_CHECKOUT, P_CHECKOUT_PURCHASE};

		for (int i = 0; i < 3; i++)
		{
			p = RowBegin(&o);
			p = PutStr(p, from[i]);
			p = PutTab(p);
			p = PutStr(p, to[i]);
			p = PutTab(p);
			p = PutF8(p, pc[i]);
			RowEnd(&o, p);
		}
	}
	OutClose(&o);

	OutOpen(&o, "products", TableWanted(tables, "products"));
	for (int i = 1; i <= g_nproducts; i++)
	{
		const Product *pr = &g_products[i];

		p = RowBegin(&o);
		p = PutU64(p, (uint64_t) i);
		p = PutTab(p);
		p = PutStr(p, pr->sku);
		p = PutTab(p);
		p = PutStr(p, pr->name);
		p = PutTab(p);
		p = PutStr(p, g_cats[pr->cat].name);
		p = PutTab(p);
		p = PutCents(p, pr->cents);
		RowEnd(&o, p);
	}
	OutClose(&o);
}

/* ---------------------------------------------------------------------
 * Prospects: leads with a planted logistic conversion model and a planted
 * linear spend model (stream of purpose 70, so nothing else changes)
 * --------------------------------------------------------------------- */

#define N_PROSPECT_CHANNELS 4
static const char *const g_prospect_channels[N_PROSPECT_CHANNELS] = {
	"email", "paid_search", "referral", "social"
};
static const double g_prospect_channel_p[N_PROSPECT_CHANNELS] = {0.30, 0.30, 0.15, 0.25};

/* planted coefficients; the first channel level is the reference (0) */
typedef struct
{
	const char *feature;
	const char *level;			/* NULL for numeric features and the intercept */
	double		conversion;		/* logit P(converted) */
	double		spend;			/* first_year_spend */
} ProspectTerm;

#define N_PROSPECT_TERMS 10
static const ProspectTerm g_prospect_terms[N_PROSPECT_TERMS] = {
	{"(Intercept)", NULL, -2.5, 120.0},
	{"age", NULL, -0.01, -0.8},
	{"income_k", NULL, 0.012, 1.5},
	{"web_visits", NULL, 0.25, 8.0},
	{"email_opens", NULL, 0.15, 0.0},
	{"days_since_visit", NULL, -0.02, 0.0},
	{"channel", "paid_search", 0.3, 10.0},
	{"channel", "referral", 0.8, 25.0},
	{"channel", "social", -0.4, -5.0},
	{"has_app", "true", 0.5, 30.0},
};
#define PROSPECT_SPEND_SD	40.0

static void
WriteProspects(uint64_t seed, uint64_t n, const char *tables)
{
	Out			o;
	char	   *p;
	Alias		chan;

	OutOpen(&o, "prospect_truth", TableWanted(tables, "prospect_truth"));
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < N_PROSPECT_TERMS; i++)
		{
			const ProspectTerm *t = &g_prospect_terms[i];
			char		term[64];

			if (t->level)
				snprintf(term, sizeof(term), "%s = %s", t->feature, t->level);
			else
				snprintf(term, sizeof(term), "%s", t->feature);
			p = RowBegin(&o);
			p = PutStr(p, m == 0 ? "conversion" : "spend");
			p = PutTab(p);
			p = PutStr(p, term);
			p = PutTab(p);
			p = PutStr(p, t->feature);
			p = PutTab(p);
			p = t->level ? PutStr(p, t->level) : PutNull(p);
			p = PutTab(p);
			p = PutF8(p, m == 0 ? t->conversion : t->spend);
			RowEnd(&o, p);
		}
	p = RowBegin(&o);
	p = PutStr(p, "spend");
	p = PutTab(p);
	p = PutStr(p, "(residual sd)");
	p = PutTab(p);
	p = PutStr(p, "(residual sd)");
	p = PutTab(p);
	p = PutNull(p);
	p = PutTab(p);
	p = PutF8(p, PROSPECT_SPEND_SD);
	RowEnd(&o, p);
	OutClose(&o);

	if (!TableWanted(tables, "prospects"))
		return;
	AliasInit(&chan, g_prospect_channel_p, N_PROSPECT_CHANNELS);
	OutOpen(&o, "prospects", 1);
	for (uint64_t id = 1; id <= n; id++)
	{
		Rng			r;
		double		x[N_PROSPECT_TERMS] = {1.0};
		double		eta = 0.0,
					spend = 0.0;
		int			age,
					income,
					visits,
					opens,
					days,
					ch,
					app;

		RngSeed(&r, seed, 70, id);
		age = (int) floor(42.0 + 12.0 * Normal(&r) + 0.5);
		age = age < 18 ? 18 : age > 80 ? 80 : age;
		income = (int) floor(LogNormal(&r, 55.0, 0.4) + 0.5);
		visits = (int) Poisson(&r, 4.0);
		opens = (int) Poisson(&r, 2.0);
		days = (int) UnifInt(&r, 0, 90);
		ch = AliasDraw(&chan, &r);
		app = Unif(&r) < 0.3;
		x[1] = age;
		x[2] = income;
		x[3] = visits;
		x[4] = opens;
		x[5] = days;
		x[6] = ch == 1;
		x[7] = ch == 2;
		x[8] = ch == 3;
		x[9] = app;
		for (int i = 0; i < N_PROSPECT_TERMS; i++)
		{
			eta += g_prospect_terms[i].conversion * x[i];
			spend += g_prospect_terms[i].spend * x[i];
		}
		spend += PROSPECT_SPEND_SD * Normal(&r);

		p = RowBegin(&o);
		p = PutU64(p, id);
		p = PutTab(p);
		p = PutI64(p, age);
		p = PutTab(p);
		p = PutI64(p, income);
		p = PutTab(p);
		p = PutI64(p, visits);
		p = PutTab(p);
		p = PutI64(p, opens);
		p = PutTab(p);
		p = PutI64(p, days);
		p = PutTab(p);
		p = PutStr(p, g_prospect_channels[ch]);
		p = PutTab(p);
		p = PutStr(p, app ? "t" : "f");
		p = PutTab(p);
		p = PutStr(p, Unif(&r) < 1.0 / (1.0 + exp(-eta)) ? "t" : "f");
		p = PutTab(p);
		p = PutCents(p, (int64_t) llround(spend * 100.0));
		RowEnd(&o, p);
	}
	OutClose(&o);
	free(chan.prob);
	free(chan.alias);
}

/* ---------------------------------------------------------------------
 * Customers and everything that follows them
 * --------------------------------------------------------------------- */

enum
{
	O_CUSTOMERS, O_CUSTOMER_TRUTH, O_ORDERS, O_ORDER_LINES, O_EVENTS,
	O_CAMPAIGN_MEMBERS, O_JOURNEYS, O_TOUCHES, O_CAMPAIGN_SPEND, N_STREAM_OUT
};
static const char *const g_stream_names[N_STREAM_OUT] = {
	"customers", "customer_truth", "orders", "order_lines", "events", "campaign_members",
	"journeys", "touches", "campaign_spend"
};

typedef struct
{
	int			pid;
	int64_t		cents;			/* unit price paid */
	int			qty;
	int			returned;
} HistLine;

typedef struct
{
	int			pid;
	int			qty;
	int64_t		cents;
} Line;

static double
Season(int64_t t)
{
	int64_t		d = t / SECS_PER_DAY;
	int			m = g_month[d],
				md = g_mday[d];

	if ((m == 11 && md >= 15) || (m == 12 && md <= 24))
		return SEASON_HIGH;
	return SEASON_LOW;
}

/* a time of day from the hourly profile, in seconds */
static inline int64_t
TimeOfDay(Rng *r)
{
	return (int64_t) AliasDraw(&g_hour_alias, r) * 3600 + UnifInt(r, 0, 3599);
}

/* signup time: linear growth over the window, gift shoppers seasonal */
static int64_t
SignupTime(Rng *r, int seasonal)
{
	for (;;)
	{
		double		g = SIGNUP_GROWTH;
		double		u = Unif(r);
		double		x = (-1.0 + sqrt(1.0 + 2.0 * g * u * (1.0 + g / 2.0))) / g;
		int64_t		day = (int64_t) (x * N_DAYS);

		if (day >= N_DAYS)
			day = N_DAYS - 1;
		if (seasonal && Unif(r) * SEASON_HIGH >= Season(day * SECS_PER_DAY))
			continue;
		return day * SECS_PER_DAY + TimeOfDay(r);
	}
}

static int
CmpI64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

typedef struct
{
	uint64_t	next_order_id;
	uint64_t	next_event_id;
	uint64_t	next_session_id;
	uint64_t	next_journey_id;
	Out			out[N_STREAM_OUT];
	int64_t    *times;
	int			times_cap;
	int64_t    *order_cents;	/* amount of each order of the customer */
	int			order_cents_cap;
	HistLine   *hist;
	int			hist_cap;
} Gen;

/* write one event row */
static inline void
EmitEvent(Gen *G, uint64_t cid, uint64_t sid, const char *type, int pid,
		  uint64_t oid, int64_t t)
{
	Out		   *o = &G->out[O_EVENTS];
	char	   *p = RowBegin(o);

	if (t >= T_END)
		t = T_END - 1;
	p = PutU64(p, G->next_event_id++);
	p = PutTab(p);
	p = PutU64(p, cid);
	p = PutTab(p);
	p = PutU64(p, sid);
	p = PutTab(p);
	p = PutStr(p, type);
	p = PutTab(p);
	p = pid > 0 ? PutU64(p, (uint64_t) pid) : PutNull(p);
	p = PutTab(p);
	p = oid > 0 ? PutU64(p, oid) : PutNull(p);
	p = PutTab(p);
	p = PutTs(p, t);
	RowEnd(o, p);
}

/* draw a product for a group (never a planted consequent) */
static inline int
DrawProduct(int g, Rng *r)
{
	int			c = AliasDraw(&g_group_cat[g], r);

	return g_cat_ids[c][AliasDraw(&g_cat_products[c], r)];
}

/*
 * Web sessions before one order: abandoned sessions between lo and the
 * purchase session, then view -> cart -> checkout -> purchase.  Each
 * session continues view->cart, cart->checkout, checkout->purchase with the
 * planted probabilities; the number of abandoned sessions per order is the
 * number of failures before the first success.
 */
static void
EmitSessions(Gen *G, Rng *r, int g, uint64_t cid, int64_t lo, int64_t ts,
			 uint64_t oid, int first_pid)
{
	int64_t		d1 = UnifInt(r, 20, 400),
				d2 = UnifInt(r, 20, 300),
				d3 = UnifInt(r, 20, 180);
	int64_t		s0 = ts - d1 - d2 - d3;
	int64_t		starts[MAX_SESSIONS];
	int			stages[MAX_SESSIONS];
	int			nf = 0;

	if (s0 < lo)
	{
		/* squeeze the purchase session in after lo */
		int64_t		span = ts - lo;

		d1 = span / 3;
		d2 = span / 3;
		d3 = span - d1 - d2;
		s0 = lo;
	}
	for (;;)
	{
		int			stage;

		if (Unif(r) >= P_VIEW_CART)
			stage = 1;
		else if (Unif(r) >= P_CART_CHECKOUT)
			stage = 2;
		else if (Unif(r) >= P_CHECKOUT_PURCHASE)
			stage = 3;
		else
			break;
		if (nf < MAX_SESSIONS)
			stages[nf++] = stage;
	}
	for (int i = 0; i < nf; i++)
	{
		/* end >= 15 minutes before the buying session when there is room */
		int64_t		hi = s0 - 900 > lo ? s0 - 900 : s0;

		starts[i] = hi > lo ? UnifInt(r, lo, hi - 1) : lo;
	}
	qsort(starts, (size_t) nf, sizeof(int64_t), CmpI64);
	for (int i = 0; i < nf; i++)
	{
		uint64_t	sid = G->next_session_id++;
		int			pid = DrawProduct(g, r);
		int64_t		t = starts[i];

		EmitEvent(G, cid, sid, "view", pid, 0, t);
		if (stages[i] >= 2)
		{
			t += UnifInt(r, 20, 400);
			EmitEvent(G, cid, sid, "cart", pid, 0, t);
		}
		if (stages[i] >= 3)
		{
			t += UnifInt(r, 20, 300);
			EmitEvent(G, cid, sid, "checkout", 0, 0, t);
		}
	}
	{
		uint64_t	sid = G->next_session_id++;

		EmitEvent(G, cid, sid, "view", first_pid, 0, s0);
		EmitEvent(G, cid, sid, "cart", first_pid, 0, s0 + d1);
		EmitEvent(G, cid, sid, "checkout", 0, 0, s0 + d1 + d2);
		EmitEvent(G, cid, sid, "purchase", 0, oid, ts);
	}
}

/* journeys, touches and campaign spend (purposes 6 and 7) */
#include "marketing.c"

/* simulate one customer and write all of its rows */
static void
Customer(Gen *G, uint64_t seed, uint64_t cid)
{
	Rng			rp,				/* profile and purchase times */
				rb,				/* baskets */
				re,				/* web events */
				rc,				/* campaigns */
				ra,				/* profile attributes */
				rs;				/* campaign spend */
	int			g;
	const Group *gr;
	int64_t		signup;
	double		lambda,
				pdrop,
				nu;
	int			n = 0;
	int			dropped = 0;
	int			chan,
				country,
				fi,
				li;
	int			nhist = 0;
	int64_t		total_cents = 0;
	uint64_t	first_oid = G->next_order_id;
	char	   *p;

	RngSeed(&rp, seed, 1, cid);
	RngSeed(&rb, seed, 2, cid);
	RngSeed(&re, seed, 3, cid);
	RngSeed(&rc, seed, 4, cid);
	RngSeed(&ra, seed, 5, cid);

	g = AliasDraw(&g_group_alias, &rp);
	gr = &g_groups[g];
	country = AliasDraw(&g_country_alias, &rp);
	chan = AliasDraw(&g_group_chan[g], &rp);
	fi = (int) UnifInt(&rp, 0, N_FIRST - 1);
	li = (int) UnifInt(&rp, 0, N_LAST - 1);
	signup = SignupTime(&rp, gr->seasonal);
	lambda = GammaRate(&rp, gr->r, gr->alpha);
	pdrop = Beta(&rp, gr->a, gr->b);
	nu = GammaRate(&rp, gr->gg_q, gr->gg_v);

	/* BG/NBD purchase times (continuous, seconds) */
	{
		double		t = (double) (signup + UnifInt(&rp, 900, 3600));
		double		rate = lambda / SECS_PER_WEEK;
		double		smax = gr->seasonal ? SEASON_HIGH : 1.0;

		while (t < (double) T_END)
		{
			if (n == G->times_cap)
			{
				G->times_cap = G->times_cap ? 2 * G->times_cap : 64;
				G->times = realloc(G->times, sizeof(int64_t) * G->times_cap);
				if (!G->times)
				{
					fprintf(stderr, "datagen: out of memory\n");
					exit(2);
				}
			}
			G->times[n++] = (int64_t) t;
			/* as in BG/NBD, dropout follows repeat purchases only */
			if (n > 1 && Unif(&rp) < pdrop)
			{
				dropped = 1;
				break;
			}
			/* next purchase; thinning for the seasonal group */
			for (;;)
			{
				t += Expo(&rp, rate * smax);
				if (!(t < (double) T_END) || smax == 1.0 ||
					Unif(&rp) * smax < Season((int64_t) t))
					break;
			}
		}
	}
	/* repeat purchases get a realistic time of day (first stays at signup) */
	for (int i = 1; i < n; i++)
	{
		int64_t		t = G->times[i] - G->times[i] % SECS_PER_DAY + TimeOfDay(&rp);

		if (t > G->times[0])
			G->times[i] = t;
	}
	qsort(G->times + 1, (size_t) (n > 1 ? n - 1 : 0), sizeof(int64_t), CmpI64);

	/* customers */
	{
		Out		   *o = &G->out[O_CUSTOMERS];
		char		email[128];
		char	   *e = email;

		for (const char *s = g_first[fi]; *s; s++)
			*e++ = (*s >= 'A' && *s <= 'Z') ? (char) (*s + 32) : *s;
		*e++ = '.';
		for (const char *s = g_last[li]; *s; s++)
			if (*s != ' ')
				*e++ = (*s >= 'A' && *s <= 'Z') ? (char) (*s + 32) : *s;
		*e++ = '.';
		e = PutU64(e, cid);
		memcpy(e, "@example.com", 13);

		p = RowBegin(o);
		p = PutU64(p, cid);
		p = PutTab(p);
		p = PutStr(p, g_first[fi]);
		*p++ = ' ';
		p = PutStr(p, g_last[li]);
		p = PutTab(p);
		p = PutStr(p, email);
		p = PutTab(p);
		p = PutStr(p, g_countries[country]);
		p = PutTab(p);
		p = PutStr(p, g_channels[chan]);
		p = PutTab(p);
		p = PutTs(p, signup);
		/*
		 * Profile attributes (a separate stream, so they change nothing
		 * else): planted well-separated clusters per group, like the
		 * income/spending-score data used to teach segmentation.
		 */
		{
			int			age = (int) lround(gr->profile[0] + 4.0 * Normal(&ra));
			int			income = (int) lround(gr->profile[1] + 6.0 * Normal(&ra));
			int			score = (int) lround(gr->profile[2] + 5.0 * Normal(&ra));

			age = age < 18 ? 18 : age > 90 ? 90 : age;
			income = income < 5 ? 5 : income;
			score = score < 1 ? 1 : score > 100 ? 100 : score;
			p = PutTab(p);
			p = PutU64(p, (uint64_t) age);
			p = PutTab(p);
			p = PutU64(p, (uint64_t) income);
			p = PutTab(p);
			p = PutU64(p, (uint64_t) score);
		}
		RowEnd(o, p);
	}

	/* orders, lines, sessions */
	if (n > G->order_cents_cap)
	{
		G->order_cents_cap = G->times_cap;
		G->order_cents = realloc(G->order_cents, sizeof(int64_t) * G->order_cents_cap);
		if (!G->order_cents)
		{
			fprintf(stderr, "datagen: out of memory\n");
			exit(2);
		}
	}
	for (int i = 0; i < n; i++)
	{
		int64_t		ts = G->times[i];
		uint64_t	oid = G->next_order_id++;
		double		target = GammaRate(&rb, gr->gg_p, nu);
		int			k = 1 + Poisson(&rb, gr->lines_mu);
		Line		lines[MAX_LINES + N_RULES + 1];
		int			nl = 0;
		int64_t		order_cents = 0;
		int64_t		purchase_cents = 0;
		int			och = Unif(&rb) < 0.75 ? chan : AliasDraw(&g_chan_alias, &rb);
		double		wsum = 0.0,
					w[MAX_LINES];

		if (k > MAX_LINES)
			k = MAX_LINES;
		for (int j = 0; j < k; j++)
		{
			w[j] = Gamma(&rb, 2.0);
			wsum += w[j];
		}
		for (int j = 0; j < k; j++)
		{
			double		share = target * w[j] / wsum;
			int			pid = 0;
			int64_t		cents = 0;
			long		q = 0;

			/*
			 * Pick a product not yet in the basket that fits this line's
			 * share of the budget.  Quantity is the share over the price,
			 * stochastically rounded (E[q * price] = share); an item dearer
			 * than its share is taken once with probability share / price,
			 * otherwise another product is tried.
			 */
			for (int attempt = 0; attempt < 3 && q == 0; attempt++)
			{
				int			cand = DrawProduct(g, &rb);
				int			dup = 0;
				double		x;

				for (int m = 0; m < nl; m++)
					dup |= lines[m].pid == cand;
				if (dup)
					continue;
				pid = cand;
				cents = g_products[pid].cents;
				if (Unif(&rb) < P_DISCOUNT)
					cents = cents * (100 - 5 * UnifInt(&rb, 2, 5)) / 100;
				x = 100.0 * share / (double) cents;
				q = (long) floor(x + Unif(&rb));
			}
			if (q == 0)
			{
				if (pid == 0 || j < k - 1 || nl > 0)
					continue;
				q = 1;			/* never an empty order */
			}
			if (q > MAX_QTY)
				q = MAX_QTY;
			lines[nl].pid = pid;
			lines[nl].cents = cents;
			lines[nl].qty = (int) q;
			nl++;
		}
		/* planted rules: consequent joins with the planted probability */
		{
			int			nbase = nl;

			for (int m = 0; m < nbase; m++)
			{
				int			ru = g_products[lines[m].pid].rule_ante;

				if (ru >= 0 && Unif(&rb) < g_rules[ru].confidence)
				{
					int			cpid = g_rule_cons_pid[ru];

					lines[nl].pid = cpid;
					lines[nl].cents = g_products[cpid].cents;
					lines[nl].qty = 1;
					nl++;
				}
			}
		}
		for (int m = 0; m < nl; m++)
			purchase_cents += lines[m].cents * lines[m].qty;
		order_cents = purchase_cents;

		/* a return of something bought earlier (never a planted product) */
		if (i > 0 && nhist > 0 && Unif(&rb) < P_RETURN_LINE)
		{
			int			h = (int) UnifInt(&rb, 0, nhist - 1);
			HistLine   *hl = &G->hist[h];
			int			ok = !hl->returned &&
				g_products[hl->pid].rule_ante < 0 &&
				g_products[hl->pid].rule_cons < 0;

			for (int m = 0; m < nl && ok; m++)
				ok = lines[m].pid != hl->pid;
			if (ok)
			{
				int			q = (int) UnifInt(&rb, 1, hl->qty);

				if ((double) (q * hl->cents) <= 0.8 * (double) purchase_cents)
				{
					hl->returned = 1;
					lines[nl].pid = hl->pid;
					lines[nl].cents = hl->cents;
					lines[nl].qty = -q;
					order_cents -= hl->cents * q;
					nl++;
				}
			}
		}

		/* remember purchases for later returns */
		for (int m = 0; m < nl; m++)
		{
			if (lines[m].qty <= 0)
				continue;
			if (nhist == G->hist_cap)
			{
				G->hist_cap = G->hist_cap ? 2 * G->hist_cap : 256;
				G->hist = realloc(G->hist, sizeof(HistLine) * G->hist_cap);
				if (!G->hist)
				{
					fprintf(stderr, "datagen: out of memory\n");
					exit(2);
				}
			}
			G->hist[nhist].pid = lines[m].pid;
			G->hist[nhist].cents = lines[m].cents;
			G->hist[nhist].qty = lines[m].qty;
			G->hist[nhist].returned = 0;
			nhist++;
		}
		total_cents += order_cents;
		G->order_cents[i] = order_cents;

		{
			Out		   *o = &G->out[O_ORDERS];

			p = RowBegin(o);
			p = PutU64(p, oid);
			p = PutTab(p);
			p = PutU64(p, cid);
			p = PutTab(p);
			p = PutTs(p, ts);
			p = PutTab(p);
			p = PutStr(p, g_channels[och]);
			p = PutTab(p);
			p = PutCents(p, order_cents);
			RowEnd(o, p);
		}
		for (int m = 0; m < nl; m++)
		{
			Out		   *o = &G->out[O_ORDER_LINES];

			p = RowBegin(o);
			p = PutU64(p, oid);
			p = PutTab(p);
			p = PutU64(p, (uint64_t) m + 1);
			p = PutTab(p);
			p = PutU64(p, (uint64_t) lines[m].pid);
			p = PutTab(p);
			p = PutI64(p, lines[m].qty);
			p = PutTab(p);
			p = PutCents(p, lines[m].cents);
			p = PutTab(p);
			p = PutCents(p, lines[m].cents * lines[m].qty);
			RowEnd(o, p);
		}
		EmitSessions(G, &re, g, cid, i == 0 ? signup : G->times[i - 1], ts, oid,
					 lines[0].pid);
	}

	/* customer_truth */
	{
		Out		   *o = &G->out[O_CUSTOMER_TRUTH];

		p = RowBegin(o);
		p = PutU64(p, cid);
		p = PutTab(p);
		p = PutU64(p, (uint64_t) g + 1);
		p = PutTab(p);
		p = PutStr(p, gr->name);
		p = PutTab(p);
		p = PutF8(p, lambda);
		p = PutTab(p);
		p = PutF8(p, pdrop);
		p = PutTab(p);
		p = dropped ? PutTs(p, G->times[n - 1]) : PutNull(p);
		p = PutTab(p);
		p = n > 0 ? PutF8(p, (double) total_cents / 100.0 / n) : PutNull(p);
		RowEnd(o, p);
	}

	/* campaign_members (and campaign_spend from a stream of its own) */
	RngSeed(&rs, seed, 7, cid);
	for (int c = 0; c < N_CAMPAIGNS; c++)
	{
		const Campaign *cp = &g_campaigns[c];
		int64_t		start = T(cp->y0, cp->m0, cp->d0);
		int64_t		end = T(cp->y1, cp->m1, cp->d1) + CONVERSION_WINDOW_DAYS * SECS_PER_DAY;
		double		u1 = Unif(&rc),
					u2 = Unif(&rc),
					u3 = Unif(&rc);
		int64_t		conv_t = UnifInt(&rc, start, end - 1);
		int			treat;
		int			conv;
		Out		   *o = &G->out[O_CAMPAIGN_MEMBERS];

		if (signup >= start || u1 >= cp->member_rate)
		{
			EmitCampaignSpend(G, &rs, c, cid, n, 0, 0);
			continue;
		}
		treat = u2 < cp->treatment_share;
		conv = u3 < (treat ? cp->treatment_rate : cp->control_rate);
		if (conv_t >= T_END)
			conv_t = T_END - 1;
		p = RowBegin(o);
		p = PutU64(p, (uint64_t) c + 1);
		p = PutTab(p);
		p = PutU64(p, cid);
		p = PutTab(p);
		p = PutStr(p, treat ? "treatment" : "control");
		p = PutTab(p);
		*p++ = conv ? 't' : 'f';
		p = PutTab(p);
		p = conv ? PutTs(p, conv_t) : PutNull(p);
		RowEnd(o, p);
		EmitCampaignSpend(G, &rs, c, cid, n, 1, conv);
	}

	/* marketing journeys toward the 2024 orders */
	EmitCustomerJourneys(G, seed, cid, signup, n, first_oid);
}

/* ---------------------------------------------------------------------
 * main
 * --------------------------------------------------------------------- */

static void
Usage(void)
{
	fprintf(stderr,
			"usage: datagen --out DIR [--seed S] [--customers N] [--products P]\n"
			"               [--tables all|LIST] [--quiet]\n"
			"  writes DIR/<table>.tsv (COPY text) and DIR/<table>.done (row count)\n"
			"  tables: group_truth planted_rules campaigns campaign_truth funnel_truth\n"
			"          products customers customer_truth orders order_lines events\n"
			"          campaign_members journeys touches campaign_spend channel_truth\n"
			"          campaign_spend_truth\n");
	exit(2);
}

static uint64_t
ParseU64(const char *opt, const char *s)
{
	char	   *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
	{
		fprintf(stderr, "datagen: bad value for %s: %s\n", opt, s);
		exit(2);
	}
	return (uint64_t) v;
}

int
main(int argc, char **argv)
{
	uint64_t	seed = 42;
	uint64_t	ncust = 20000;
	int64_t		nprod = -1;
	const char *tables = "all";
	int			quiet = 0;
	Gen			G;
	int			any_stream = 0;
	uint64_t	abort_after = 0;
	struct timespec t0,
				t1;

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (strcmp(a, "--quiet") == 0)
			quiet = 1;
		else if (i + 1 >= argc)
			Usage();
		else if (strcmp(a, "--seed") == 0)
			seed = ParseU64(a, argv[++i]);
		else if (strcmp(a, "--customers") == 0)
			ncust = ParseU64(a, argv[++i]);
		else if (strcmp(a, "--products") == 0)
			nprod = (int64_t) ParseU64(a, argv[++i]);
		else if (strcmp(a, "--out") == 0)
			g_outdir = argv[++i];
		else if (strcmp(a, "--tables") == 0)
			tables = argv[++i];
		else
			Usage();
	}
	if (!g_outdir || ncust < 1 || ncust > UINT64_C(100000000))
		Usage();
	if (nprod < 0)
	{
		/* 1000 products at the default scale, growing with sqrt(customers) */
		nprod = (int64_t) floor(1000.0 * sqrt((double) ncust / 20000.0) + 0.5);
		if (nprod < 1000)
			nprod = 1000;
		if (nprod > 10000)
			nprod = 10000;
	}
	if (nprod < 100 || nprod > 1000000)
	{
		fprintf(stderr, "datagen: --products must be between 100 and 1000000\n");
		exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);

	CalendarInit();
	BuildLaws();
	MarketingBuildLaws();
	BuildCatalogue(seed, (int) nprod);
	WriteStatic(tables);
	WriteMarketingStatic(tables);
	WriteProspects(seed, ncust, tables);

	memset(&G, 0, sizeof(G));
	G.next_order_id = G.next_event_id = G.next_session_id = G.next_journey_id = 1;
	for (int i = 0; i < N_STREAM_OUT; i++)
		any_stream |= TableWanted(tables, g_stream_names[i]);
	if (any_stream)
	{
		for (int i = 0; i < N_STREAM_OUT; i++)
			OutOpen(&G.out[i], g_stream_names[i], TableWanted(tables, g_stream_names[i]));
		/* test hook: die mid-stream, as a crash would */
		if (getenv("DATAGEN_TEST_ABORT_AFTER"))
			abort_after = ParseU64("DATAGEN_TEST_ABORT_AFTER",
								   getenv("DATAGEN_TEST_ABORT_AFTER"));
		for (uint64_t cid = 1; cid <= ncust; cid++)
		{
			if (abort_after && cid > abort_after)
			{
				OutFlush(&G.out[O_EVENTS]);
				fprintf(stderr, "datagen: DATAGEN_TEST_ABORT_AFTER=%" PRIu64 ": aborting\n",
						abort_after);
				abort();
			}
			Customer(&G, seed, cid);
		}
		for (int i = 0; i < N_STREAM_OUT; i++)
			OutClose(&G.out[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!quiet)
	{
		fprintf(stderr, "datagen: seed=%" PRIu64 " customers=%" PRIu64 " products=%d",
				seed, ncust, g_nproducts);
		if (any_stream)
			for (int i = 0; i < N_STREAM_OUT; i++)
				fprintf(stderr, " %s=%" PRIu64, g_stream_names[i], G.out[i].rows);
		fprintf(stderr, " (%.2f s)\n",
				(double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	free(G.times);
	free(G.order_cents);
	free(G.hist);
	return 0;
}
