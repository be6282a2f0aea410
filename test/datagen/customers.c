/*
 * customers.c
 *		Customers of datagen and everything that follows them: the tables
 *		customers, customer_truth, orders, order_lines, events and
 *		campaign_members (journeys, touches and campaign_spend are written
 *		from here too, by marketing.c).
 *
 * Per customer, from streams of its own (purposes 1-5: profile and purchase
 * times, baskets, web events, campaigns, profile attributes):
 *	- purchasing: BG/NBD "buy till you die" (Fader, Hardie & Lee 2005,
 *	  "Counting your customers the easy way"): lambda ~ Gamma(r, rate alpha)
 *	  purchases/week, p ~ Beta(a, b); first purchase shortly after signup,
 *	  Exponential(lambda) gaps, dropout with probability p after every
 *	  repeat purchase (the BG/NBD likelihood lets nobody die at time 0).
 *	  Gift shoppers follow a seasonal (thinned) Poisson process whose
 *	  yearly mean rate is lambda.
 *	- order value: Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"):
 *	  nu ~ Gamma(q, rate v), target order value ~ Gamma(p, rate nu), turned
 *	  into 1 + Poisson(mu) lines drawn from group category preferences, with
 *	  the planted association rules, discounts and returns.
 *	- web sessions before every order with the planted funnel drop-off
 *	  rates, and campaign membership with the planted conversion rates.
 */
#include "datagen.h"

/* ---------------------------------------------------------------------
 * Customers and everything that follows them
 * --------------------------------------------------------------------- */

struct HistLine
{
	int			pid;
	int64_t		cents;			/* unit price paid */
	int			qty;
	int			returned;
};

typedef struct
{
	int			pid;
	int			qty;
	int64_t		cents;
} Line;

/* gift-season rate multiplier on the day of t */
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

/* qsort comparator for int64_t */
int
CmpI64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

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

/* simulate one customer and write all of its rows */
void
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
	fi = (int) UnifInt(&rp, 0, g_nfirst - 1);
	li = (int) UnifInt(&rp, 0, g_nlast - 1);
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
