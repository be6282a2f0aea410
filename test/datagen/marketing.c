/*
 * marketing.c
 *		Marketing touches on the way to conversions, and campaign spend: the
 *		tables journeys, touches, campaign_spend, channel_truth and
 *		campaign_spend_truth of datagen.
 *
 * Everything here draws from random streams of its own (purposes 6 and 7),
 * so every table datagen wrote before these were added stays byte-identical
 * for the same seed.
 *
 * Journeys (planted first-order Markov chain).  For every order placed in
 * 2024 the customer runs journeys through the chain until one converts:
 * from start to a channel (start_share), then from each channel to
 * conversion (p_convert), to nothing (p_leave) or to another touch whose
 * channel follows next_share.  A converting journey ends in the order (its
 * value is the order's amount); the journeys that ended in nothing are the
 * customer's non-converting journeys before it.  All touches of these
 * journeys lie in time order in the 30 days before the order (after the
 * previous order).  So the data set is a sample of the chain, and the
 * removal effects of the markov attribution model estimated from it
 * converge to the planted ones, which channel_truth holds (computed here by
 * brute force: one absorbing chain solved per removed channel).
 *
 * Campaign spend.  For every campaign member: pre_spend, the customer's
 * order amounts in the 90 days before the campaign starts, and spend, the
 * order amounts from the start to 14 days after the end (the conversion
 * window) plus, for converted members, the campaign purchase (Gamma with
 * shape 4 and the campaign's mean offer_value; campaign purchases are not in
 * orders, as converted_at never was).  The planted effect of treatment on
 * spend is (treatment_rate - control_rate) * offer_value
 * (campaign_spend_truth); pre_spend is the covariate CUPED uses.
 */
#include "datagen.h"

#define N_TOUCH_CHANNELS		6
#define JOURNEY_WINDOW_DAYS		30
#define MAX_JOURNEY_TOUCHES		40	/* longer paths end in nothing */
#define MAX_JOURNEYS_PER_ORDER	60	/* non-converting ones beyond are dropped */
#define MAX_ORDER_TOUCHES		(MAX_JOURNEY_TOUCHES * (MAX_JOURNEYS_PER_ORDER + 1))
#define PRE_PERIOD_DAYS			90

typedef struct
{
	const char *name;
	double		start_share;	/* start -> channel */
	double		p_convert;		/* channel -> conversion */
	double		p_leave;		/* channel -> nothing */
	double		next_share;		/* continuing -> this channel */
} TouchChannel;

static const TouchChannel g_touch_channels[N_TOUCH_CHANNELS] = {
	{"affiliate", 0.10, 0.12, 0.35, 0.10},
	{"direct", 0.05, 0.35, 0.20, 0.25},
	{"display", 0.25, 0.03, 0.55, 0.10},
	{"email", 0.15, 0.20, 0.30, 0.20},
	{"paid_search", 0.20, 0.25, 0.25, 0.25},
	{"social", 0.25, 0.06, 0.45, 0.10},
};

/* mean value of the campaign purchase per campaign */
static const double g_offer_value[N_CAMPAIGNS] = {40.0, 60.0, 30.0, 80.0};

static Alias g_touch_start_alias;
static Alias g_touch_next_alias;

/* alias tables of the chain */
void
MarketingBuildLaws(void)
{
	double		s[N_TOUCH_CHANNELS],
				m[N_TOUCH_CHANNELS];

	for (int i = 0; i < N_TOUCH_CHANNELS; i++)
	{
		s[i] = g_touch_channels[i].start_share;
		m[i] = g_touch_channels[i].next_share;
	}
	AliasInit(&g_touch_start_alias, s, N_TOUCH_CHANNELS);
	AliasInit(&g_touch_next_alias, m, N_TOUCH_CHANNELS);
}

/*
 * P(conversion from start) of the planted chain with channel `removed`
 * (-1: none) turned into nothing: solve (I - Q) h = r by Gaussian
 * elimination, then sum start_share * h.
 */
static double
ChainConversion(int removed)
{
	int			n = N_TOUCH_CHANNELS;
	double		a[N_TOUCH_CHANNELS][N_TOUCH_CHANNELS + 1];
	double		p = 0.0;

	for (int i = 0; i < n; i++)
	{
		const TouchChannel *c = &g_touch_channels[i];
		double		cont = 1.0 - c->p_convert - c->p_leave;

		for (int j = 0; j < n; j++)
			a[i][j] = (i == j ? 1.0 : 0.0) -
				(i == removed || j == removed ? 0.0 : cont * g_touch_channels[j].next_share);
		a[i][n] = i == removed ? 0.0 : c->p_convert;
	}
	for (int k = 0; k < n; k++)
	{
		int			piv = k;

		for (int i = k + 1; i < n; i++)
			if (fabs(a[i][k]) > fabs(a[piv][k]))
				piv = i;
		for (int j = 0; j <= n; j++)
		{
			double		t = a[k][j];

			a[k][j] = a[piv][j];
			a[piv][j] = t;
		}
		for (int i = k + 1; i < n; i++)
		{
			double		f = a[i][k] / a[k][k];

			for (int j = k; j <= n; j++)
				a[i][j] -= f * a[k][j];
		}
	}
	for (int i = n - 1; i >= 0; i--)
	{
		double		h = a[i][n];

		for (int j = i + 1; j < n; j++)
			h -= a[i][j] * a[j][n];
		a[i][n] = h / a[i][i];
	}
	for (int i = 0; i < n; i++)
		if (i != removed)
			p += g_touch_channels[i].start_share * a[i][n];
	return p;
}

/* channel_truth and campaign_spend_truth */
void
WriteMarketingStatic(const char *tables)
{
	Out			o;
	char	   *p;
	double		re[N_TOUCH_CHANNELS],
				sum = 0.0,
				base = ChainConversion(-1);

	for (int i = 0; i < N_TOUCH_CHANNELS; i++)
	{
		re[i] = 1.0 - ChainConversion(i) / base;
		sum += re[i];
	}
	OutOpen(&o, "channel_truth", TableWanted(tables, "channel_truth"));
	for (int i = 0; i < N_TOUCH_CHANNELS; i++)
	{
		const TouchChannel *c = &g_touch_channels[i];

		p = RowBegin(&o);
		p = PutStr(p, c->name);
		p = PutTab(p);
		p = PutF8(p, c->start_share);
		p = PutTab(p);
		p = PutF8(p, c->p_convert);
		p = PutTab(p);
		p = PutF8(p, c->p_leave);
		p = PutTab(p);
		p = PutF8(p, c->next_share);
		p = PutTab(p);
		p = PutF8(p, base);
		p = PutTab(p);
		p = PutF8(p, re[i]);
		p = PutTab(p);
		p = PutF8(p, re[i] / sum);
		RowEnd(&o, p);
	}
	OutClose(&o);

	OutOpen(&o, "campaign_spend_truth", TableWanted(tables, "campaign_spend_truth"));
	for (int i = 0; i < N_CAMPAIGNS; i++)
	{
		const Campaign *cp = &g_campaigns[i];

		p = RowBegin(&o);
		p = PutU64(p, (uint64_t) i + 1);
		p = PutTab(p);
		p = PutF8(p, g_offer_value[i]);
		p = PutTab(p);
		p = PutF8(p, (cp->treatment_rate - cp->control_rate) * g_offer_value[i]);
		RowEnd(&o, p);
	}
	OutClose(&o);
}

/* one journey row */
static void
EmitJourney(Gen *G, uint64_t jid, uint64_t cid, uint64_t oid)
{
	Out		   *o = &G->out[O_JOURNEYS];
	char	   *p = RowBegin(o);

	p = PutU64(p, jid);
	p = PutTab(p);
	p = PutU64(p, cid);
	p = PutTab(p);
	p = oid ? PutU64(p, oid) : PutNull(p);
	p = PutTab(p);
	*p++ = oid ? 't' : 'f';
	RowEnd(o, p);
}

/*
 * The journeys toward one order at ts (earliest touch at lo): run the chain
 * until a journey converts, then give the touches sorted uniform times in
 * [lo, ts), in journey order.
 */
static void
EmitOrderJourneys(Gen *G, Rng *r, uint64_t cid, int64_t lo, int64_t ts, uint64_t oid)
{
	int			chan[MAX_ORDER_TOUCHES];
	int			jlen[MAX_JOURNEYS_PER_ORDER + 1];
	int64_t		times[MAX_ORDER_TOUCHES];
	int			nj = 0,
				nt = 0;

	for (;;)
	{
		int			c = AliasDraw(&g_touch_start_alias, r);
		int			len = 0,
					converted = 0,
					base = nt;

		for (;;)
		{
			double		u;

			if (len < MAX_JOURNEY_TOUCHES)
				chan[base + len] = c;
			len++;
			u = Unif(r);
			if (u < g_touch_channels[c].p_convert)
			{
				converted = 1;
				break;
			}
			if (u < g_touch_channels[c].p_convert + g_touch_channels[c].p_leave)
				break;
			c = AliasDraw(&g_touch_next_alias, r);
		}
		if (len > MAX_JOURNEY_TOUCHES)
		{
			len = MAX_JOURNEY_TOUCHES;
			converted = 0;		/* too long: counted as ending in nothing */
		}
		if (converted || nj < MAX_JOURNEYS_PER_ORDER)
		{
			jlen[nj++] = converted ? -len : len;
			nt += len;
		}
		if (converted)
			break;
	}
	if (lo >= ts)
		lo = ts - 1;
	for (int i = 0; i < nt; i++)
		times[i] = UnifInt(r, lo, ts - 1);
	qsort(times, (size_t) nt, sizeof(int64_t), CmpI64);
	for (int j = 0, k = 0; j < nj; j++)
	{
		uint64_t	jid = G->next_journey_id++;
		int			converted = jlen[j] < 0;
		int			len = converted ? -jlen[j] : jlen[j];

		EmitJourney(G, jid, cid, converted ? oid : 0);
		for (int t = 0; t < len; t++, k++)
		{
			Out		   *o = &G->out[O_TOUCHES];
			char	   *p = RowBegin(o);

			p = PutU64(p, jid);
			p = PutTab(p);
			p = PutU64(p, (uint64_t) t + 1);
			p = PutTab(p);
			p = PutTs(p, times[k]);
			p = PutTab(p);
			p = PutStr(p, g_touch_channels[chan[k]].name);
			RowEnd(o, p);
		}
	}
}

/* The journeys of every 2024 order of a customer (order i at times[i]). */
void
EmitCustomerJourneys(Gen *G, uint64_t seed, uint64_t cid, int64_t signup, int n,
					 uint64_t first_oid)
{
	Rng			r;
	int64_t		year = T(2024, 1, 1);

	RngSeed(&r, seed, 6, cid);
	for (int i = 0; i < n; i++)
	{
		int64_t		ts = G->times[i];
		int64_t		lo = ts - (int64_t) JOURNEY_WINDOW_DAYS * SECS_PER_DAY;
		int64_t		prev = i == 0 ? signup - (int64_t) JOURNEY_WINDOW_DAYS * SECS_PER_DAY
			: G->times[i - 1];

		if (ts < year)
			continue;
		if (prev > lo)
			lo = prev;
		EmitOrderJourneys(G, &r, cid, lo, ts, first_oid + (uint64_t) i);
	}
}

/* Sum of the customer's order amounts (cents) with lo <= time < hi. */
static int64_t
OrderCentsBetween(const Gen *G, int n, int64_t lo, int64_t hi)
{
	int64_t		sum = 0;

	for (int i = 0; i < n; i++)
		if (G->times[i] >= lo && G->times[i] < hi)
			sum += G->order_cents[i];
	return sum;
}

/*
 * The campaign_spend row of a member of campaign c (treat / conv as in
 * campaign_members); r is the customer's spend stream, drawn for every
 * campaign whether or not the customer is a member.
 */
void
EmitCampaignSpend(Gen *G, Rng *r, int c, uint64_t cid, int n, int member, int conv)
{
	const Campaign *cp = &g_campaigns[c];
	int64_t		start = T(cp->y0, cp->m0, cp->d0);
	int64_t		end = T(cp->y1, cp->m1, cp->d1) + CONVERSION_WINDOW_DAYS * SECS_PER_DAY;
	int64_t		offer = (int64_t) llround(Gamma(r, 4.0) * g_offer_value[c] / 4.0 * 100.0);
	int64_t		pre,
				spend;
	Out		   *o = &G->out[O_CAMPAIGN_SPEND];
	char	   *p;

	if (!member)
		return;
	pre = OrderCentsBetween(G, n, start - (int64_t) PRE_PERIOD_DAYS * SECS_PER_DAY, start);
	spend = OrderCentsBetween(G, n, start, end) + (conv ? offer : 0);
	p = RowBegin(o);
	p = PutU64(p, (uint64_t) c + 1);
	p = PutTab(p);
	p = PutU64(p, cid);
	p = PutTab(p);
	p = PutCents(p, pre);
	p = PutTab(p);
	p = PutCents(p, spend);
	RowEnd(o, p);
}
