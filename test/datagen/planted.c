/*
 * planted.c
 *		The planted model of datagen and the tables written before the
 *		customers.
 *
 * Holds the planted parameters (categories, customer groups, association
 * rules, campaigns; their types and the scalar constants are in datagen.h),
 * builds the product catalogue (Zipf(s = 1.1) popularity inside each
 * category, planted rule products first) and the discrete laws the customer
 * simulation draws from, and writes the small tables: the truth tables
 * group_truth, planted_rules, campaigns, campaign_truth, funnel_truth, the
 * products, and the prospects with their planted conversion and spend
 * models (prospects, prospect_truth).
 */
#include "datagen.h"

/* ---------------------------------------------------------------------
 * Planted parameters
 * --------------------------------------------------------------------- */

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

const Group g_groups[N_GROUPS] = {
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

const char *const g_channels[4] = {"web", "app", "store", "phone"};

const char *const g_countries[10] = {"US", "GB", "DE", "FR", "CA", "NL", "ES", "IT", "AU", "SE"};
static const double g_country_w[10] = {.30, .14, .12, .10, .08, .06, .06, .05, .05, .04};

const char *const g_first[] = {
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
	"William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
	"Thomas", "Sarah", "Charles", "Karen", "Lukas", "Emma", "Leon", "Mia", "Hugo",
	"Chloe", "Louis", "Lea", "Lucas", "Sofia", "Mateo", "Lucia", "Noah", "Olivia",
	"Liam", "Ava", "Oliver", "Isla", "Jack", "Freja", "Elias", "Astrid", "Daan",
	"Julia", "Marco", "Giulia", "Pablo", "Carmen", "Ethan", "Zoe"
};
const char *const g_last[] = {
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
	"Martin", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "White",
	"Muller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Durand", "Bernard",
	"Petit", "Lefebvre", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Lopez",
	"Gonzalez", "Fernandez", "Sanchez", "Perez", "De Jong", "Jansen", "Bakker", "Visser",
	"Andersson", "Johansson", "Karlsson", "Nilsson", "Tremblay", "Roy", "Wright",
	"Walker", "Young", "King"
};
const int	g_nfirst = (int) (sizeof(g_first) / sizeof(g_first[0]));
const int	g_nlast = (int) (sizeof(g_last) / sizeof(g_last[0]));

/* planted association rules */
const Rule g_rules[N_RULES] = {
	{"BREAD-BOX", "Bread Box", CAT_HOUSEHOLD, 2499, "BREAD-CUTTER", "Bread Cutter", CAT_HOUSEHOLD, 1299, 0.60, 0.25},
	{"COFFEE-MACHINE", "Coffee Machine", CAT_APPLIANCES, 8999, "COFFEE-FILTERS", "Coffee Filters", CAT_GROCERY, 449, 0.45, 3.0},
	{"TENT", "Tent", CAT_SPORTS, 9900, "SLEEPING-BAG", "Sleeping Bag", CAT_SPORTS, 3900, 0.35, 3.0},
	{"PRINTER", "Printer", CAT_ELECTRONICS, 12999, "INK-CARTRIDGE", "Ink Cartridge", CAT_ELECTRONICS, 2999, 0.50, 2.0},
};

/* campaigns: fixed dates, known conversion rates */
const Campaign g_campaigns[N_CAMPAIGNS] = {
	{"Spring Email Promo 2024", "email", 2024, 3, 4, 2024, 4, 1, 0.30, 0.5, 0.050, 0.080},
	{"Summer App Push 2024", "app", 2024, 6, 1, 2024, 7, 1, 0.30, 0.5, 0.100, 0.100},
	{"Back to School SMS 2024", "sms", 2024, 8, 15, 2024, 9, 15, 0.30, 0.5, 0.040, 0.070},
	{"Black Friday Email 2024", "email", 2024, 11, 18, 2024, 12, 2, 0.30, 0.5, 0.120, 0.180},
};

/* intra-day profile (UTC hour weights): evening peak */
static const double g_hour_w[24] = {
	1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 1.8, 2.6, 3.2, 3.6, 4.0,
	4.6, 4.4, 4.0, 3.9, 4.1, 4.8, 5.8, 6.8, 7.2, 6.4, 4.4, 2.4
};

/* ---------------------------------------------------------------------
 * Catalogue
 * --------------------------------------------------------------------- */

Product    *g_products;		/* 1-based: g_products[1..n] */
int			g_nproducts;
Alias		g_cat_products[N_CATS];	/* Zipf within category */
int		   *g_cat_ids[N_CATS];	/* alias index -> product id */
Alias		g_group_cat[N_GROUPS];
Alias		g_group_alias;
Alias		g_group_chan[N_GROUPS];
Alias		g_country_alias;
Alias		g_hour_alias;
Alias		g_chan_alias;		/* overall channel mix of orders */
int			g_rule_cons_pid[N_RULES];

#define ZIPF_S 1.1

/* the products: prices, names, and a Zipf law inside each category */
void
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

/* the discrete laws of the customer simulation */
void
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

/* is table name in the comma-separated list (or is the list "all")? */
int
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

/* group_truth, planted_rules, campaigns, campaign_truth, funnel_truth, products */
void
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

/* prospect_truth, and n prospects drawn from the planted models */
void
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
