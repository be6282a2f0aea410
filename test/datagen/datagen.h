/*
 * datagen.h
 *		Shared declarations of the synthetic retail data generator (datagen).
 *
 * datagen is one program built from the .c files of this directory:
 *	datagen.c	 overview, command line, main
 *	random.c	 PRNG (splitmix64, xoshiro256**), samplers, alias tables
 *	output.c	 buffered COPY text writers, calendar and timestamps
 *	planted.c	 planted parameters, catalogue, the truth tables, prospects
 *	customers.c	 customers, orders, lines, web sessions, campaign members
 *	marketing.c	 journeys, touches, campaign spend and their truth tables
 *
 * This header holds the constants and types they share, the planted
 * parameters everyone reads, and the small hot helpers (PRNG steps, alias
 * draws, row writers) as static inline functions, so that splitting the
 * program into files costs no function calls in the inner loops.
 */
#ifndef DATAGEN_H
#define DATAGEN_H

/* every .c file includes this header first */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * PRNG: splitmix64 for seeding, xoshiro256** for streams (random.c)
 * --------------------------------------------------------------------- */

typedef struct
{
	uint64_t	s[4];
} Rng;

extern void RngSeed(Rng *r, uint64_t seed, uint64_t purpose, uint64_t id);

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
 * Samplers (random.c)
 * --------------------------------------------------------------------- */

extern double Normal(Rng *r);
extern double Gamma(Rng *r, double k);
extern double Beta(Rng *r, double a, double b);
extern int Poisson(Rng *r, double mu);

/* Gamma(shape, rate) */
static inline double
GammaRate(Rng *r, double shape, double rate)
{
	return Gamma(r, shape) / rate;
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

extern void *xmalloc(size_t n);
extern void AliasInit(Alias *a, const double *w, int n);

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
 * Output: buffered COPY text writers (output.c)
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

extern const char *g_outdir;

extern void OutFlush(Out *o);
extern void OutOpen(Out *o, const char *name, int enabled);
extern void OutClose(Out *o);
extern char *PutStr(char *p, const char *s);
extern char *PutF8(char *p, double x);

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

/* ---------------------------------------------------------------------
 * Calendar (UTC): t = seconds since 2023-01-01 00:00:00 (output.c)
 * --------------------------------------------------------------------- */

extern char g_daystr[N_DAYS + 1][11];
extern unsigned char g_month[N_DAYS + 1];
extern unsigned char g_mday[N_DAYS + 1];
extern char g_two[100][2];

extern int64_t T(int y, int m, int d);
extern void CalendarInit(void);

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
 * Planted parameters (the tables themselves are in planted.c)
 * --------------------------------------------------------------------- */

enum
{
	CAT_GROCERY, CAT_HOUSEHOLD, CAT_PERSONAL, CAT_ELECTRONICS, CAT_APPLIANCES,
	CAT_FURNITURE, CAT_CLOTHING, CAT_SPORTS, CAT_TOYS, CAT_GIFTS, CAT_BOOKS,
	CAT_GARDEN, N_CATS
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

extern const Group g_groups[N_GROUPS];
extern const char *const g_channels[4];
extern const char *const g_countries[10];
extern const char *const g_first[];
extern const char *const g_last[];
extern const int g_nfirst;
extern const int g_nlast;

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
extern const Rule g_rules[N_RULES];

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
extern const Campaign g_campaigns[N_CAMPAIGNS];
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

/* ---------------------------------------------------------------------
 * Catalogue and the discrete laws of the simulation (planted.c)
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

extern Product *g_products;		/* 1-based: g_products[1..n] */
extern int	g_nproducts;
extern Alias g_cat_products[N_CATS];	/* Zipf within category */
extern int *g_cat_ids[N_CATS];	/* alias index -> product id */
extern Alias g_group_cat[N_GROUPS];
extern Alias g_group_alias;
extern Alias g_group_chan[N_GROUPS];
extern Alias g_country_alias;
extern Alias g_hour_alias;
extern Alias g_chan_alias;		/* overall channel mix of orders */
extern int	g_rule_cons_pid[N_RULES];

extern void BuildCatalogue(uint64_t seed, int nproducts);
extern void BuildLaws(void);

/* ---------------------------------------------------------------------
 * Tables written before the customers (planted.c, marketing.c)
 * --------------------------------------------------------------------- */

extern int TableWanted(const char *list, const char *name);
extern void WriteStatic(const char *tables);
extern void WriteProspects(uint64_t seed, uint64_t n, const char *tables);
extern void MarketingBuildLaws(void);
extern void WriteMarketingStatic(const char *tables);

/* ---------------------------------------------------------------------
 * Customers and everything that follows them (customers.c, marketing.c)
 * --------------------------------------------------------------------- */

enum
{
	O_CUSTOMERS, O_CUSTOMER_TRUTH, O_ORDERS, O_ORDER_LINES, O_EVENTS,
	O_CAMPAIGN_MEMBERS, O_JOURNEYS, O_TOUCHES, O_CAMPAIGN_SPEND, N_STREAM_OUT
};

/* a purchase line of the current customer, kept for later returns */
typedef struct HistLine HistLine;

/* generator state: id counters, the streams, per-customer scratch */
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

extern int CmpI64(const void *a, const void *b);
extern void Customer(Gen *G, uint64_t seed, uint64_t cid);
extern void EmitCustomerJourneys(Gen *G, uint64_t seed, uint64_t cid,
								 int64_t signup, int n, uint64_t first_oid);
extern void EmitCampaignSpend(Gen *G, Rng *r, int c, uint64_t cid, int n,
							  int member, int conv);

#endif							/* DATAGEN_H */
