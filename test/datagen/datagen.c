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
 * Processes (see README.md for every parameter, and the header of each file
 * for its algorithm):
 *	- purchasing: BG/NBD "buy till you die" (Fader, Hardie & Lee 2005,
 *	  "Counting your customers the easy way"), gift shoppers seasonal;
 *	  order value: Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV")
 *	  split into lines with Zipf(s = 1.1) popularity inside each category
 *	  (customers.c, planted.c).
 *	- planted association rules, campaign uplift, web funnel drop-off rates
 *	  (planted.c, customers.c); marketing journeys through a planted Markov
 *	  chain and campaign spend (marketing.c); prospects with planted
 *	  conversion and spend models (planted.c).
 *
 * Randomness: xoshiro256** (Blackman & Vigna) seeded by splitmix64, one
 * independent stream per (seed, purpose, entity), so the output depends only
 * on --seed and the scale (random.c).
 *
 * Files (one program; datagen.h declares what they share):
 *	datagen.c	 this overview, command line, main
 *	random.c	 PRNG, samplers (Gamma, Beta, Poisson, normal), alias tables
 *	output.c	 buffered COPY text writers, calendar and timestamps
 *	planted.c	 planted parameters, catalogue, truth tables, prospects
 *	customers.c	 customers, orders, lines, web sessions, campaign members
 *	marketing.c	 journeys, touches, campaign spend, their truth tables
 *
 * Build: cc -O2 -Wall -Wextra -Werror -o datagen *.c -lm
 */
#include "datagen.h"

#include <errno.h>
#include <time.h>

static const char *const g_stream_names[N_STREAM_OUT] = {
	"customers", "customer_truth", "orders", "order_lines", "events", "campaign_members",
	"journeys", "touches", "campaign_spend"
};

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
