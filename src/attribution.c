/*
 * attribution.c
 *		Multi-touch attribution: crm.attribution(query, model, half_life).
 *
 * The caller's query returns one row per touch or conversion:
 * (journey key, timestamp, channel text, conversion value float8).  A row
 * with a value is a conversion of its journey at its timestamp (its channel,
 * when not NULL, is a touch at the same moment, just before it); a row with a
 * NULL value is a touch.  A journey's rows are taken in time order (ties:
 * touches before conversions, then channels in byte order, then values, so
 * the result never depends on the order of the rows); each conversion ends a path made
 * of the touches since the previous conversion of the journey.  Touches
 * after the last conversion form a path without conversion.  Rows with a
 * NULL key or timestamp, or with neither channel nor value, are skipped.
 *
 * Rule-based models share each conversion (and its value) over the touches
 * of its path: first_touch, last_touch, linear (1/k each), position_based
 * (40 % first, 40 % last, 20 % spread over the middle; 50/50 for two
 * touches), time_decay (weight 2^(-(t_conversion - t_touch) / half_life)).
 * Paths without conversion are ignored by them.
 *
 * markov is the first-order Markov chain model of Anderl, Becker, von
 * Wangenheim & Schumann (2016), "Mapping the customer journey: Lessons
 * learned from graph-based online attribution modeling" (IJRM 33(3)): states
 * start, one per channel, conversion and null; transition probabilities are
 * the observed transition frequencies of all paths, converting or not.
 * Channel c's removal effect is the relative drop of the probability of
 * reaching conversion from start when c is removed (every transition into c
 * goes to null):
 *
 *		RE_c = 1 - P_without_c(conversion) / P(conversion)
 *
 * and its share is RE_c / sum of RE.  Rather than solving one absorbing
 * chain per channel, the strong Markov property at the first visit of c
 * gives P(conversion) - P_without_c(conversion) = f_c h_c, where h_c is the
 * probability of conversion from c and f_c the probability of ever visiting
 * c from start.  With N = (I - Q)^-1 (Q: transitions among channels),
 * h = N r (r: transitions into conversion) and f_c = (s N)_c / N_cc (s:
 * transitions out of start), so one matrix inversion, O(C^3) for C
 * channels, gives every removal effect.  The test compares it with the
 * brute force (one absorbing chain per removed channel).
 *
 * Conversions of paths without any touch are not attributed to a channel:
 * they come back in one row whose channel is NULL.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"

#define ATTR_FN					"crm.attribution"
#define ATTR_COLUMNS			"(journey, touched_at, channel, conversion_value)"
/* channels the markov model accepts: the matrix has this many squared doubles */
#define ATTR_MAX_MARKOV_CHANNELS	4000

typedef enum AttrModel
{
	ATTR_FIRST_TOUCH,
	ATTR_LAST_TOUCH,
	ATTR_LINEAR,
	ATTR_TIME_DECAY,
	ATTR_POSITION_BASED,
	ATTR_MARKOV
} AttrModel;

static const char *const attr_model_names[] = {
	"first_touch", "last_touch", "linear", "time_decay", "position_based", "markov"
};

/* One row of the caller's query. */
typedef struct AttrRow
{
	int64		journey;		/* integer key, or index of the key's text */
	TimestampTz ts;
	double		value;			/* conversion value (when conversion) */
	int32		channel;		/* rank of the channel name, -1 for none */
	bool		conversion;
} AttrRow;

/* Reading state of the query's rows. */
typedef struct AttrReader
{
	MemoryContext ctx;
	AttrRow    *rows;
	int64		nrows;
	int64		capacity;
	bool		int_key;		/* journey key is an integer type */
	CrmCast		key_cast;
	CrmCast		ts_cast;
	CrmCast		channel_cast;
	CrmCast		value_cast;
	CrmStrMap	journeys;		/* text keys */
	CrmStrMap	channels;
} AttrReader;

PG_FUNCTION_INFO_V1(attribution);

/* One row of the query: into the row array. */
static void
AttrReadRow(TupleTableSlot *slot, void *arg)
{
	AttrReader *r = (AttrReader *) arg;
	AttrRow    *row;
	Datum	   *v = slot->tts_values;
	bool	   *isnull = slot->tts_isnull;

	if (isnull[0] || isnull[1] || (isnull[2] && isnull[3]))
		return;
	if (r->nrows >= r->capacity)
	{
		int64		cap = r->capacity ? 2 * r->capacity : 4096;

		CrmMemoryCheckContext(r->ctx, (Size) (cap - r->capacity) * sizeof(AttrRow),
							  ATTR_FN, "The touches and conversions");
		r->rows = r->rows ? CrmMemoryRealloc(r->rows, cap, sizeof(AttrRow), ATTR_FN,
											 "The touches and conversions")
			: CrmMemoryAlloc(r->ctx, cap, sizeof(AttrRow), ATTR_FN, "The touches and conversions");
		r->capacity = cap;
	}
	row = &r->rows[r->nrows];
	if (r->int_key)
	{
		Oid			t = r->key_cast.from;

		row->journey = t == INT8OID ? DatumGetInt64(v[0]) :
			t == INT4OID ? (int64) DatumGetInt32(v[0]) : (int64) DatumGetInt16(v[0]);
	}
	else
	{
		text	   *k = DatumGetTextPP(CrmCastValue(&r->key_cast, v[0]));

		row->journey = CrmStrMapIntern(&r->journeys, VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k), NULL);
	}
	row->ts = DatumGetTimestampTz(CrmCastValue(&r->ts_cast, v[1]));
	if (TIMESTAMP_NOT_FINITE(row->ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("touch times of %s must be finite", ATTR_FN),
				 errhint("Filter out rows with infinite timestamps.")));
	if (isnull[2])
		row->channel = -1;
	else
	{
		text	   *c = DatumGetTextPP(CrmCastValue(&r->channel_cast, v[2]));

		row->channel = CrmStrMapIntern(&r->channels, VARDATA_ANY(c), VARSIZE_ANY_EXHDR(c), NULL);
	}
	row->conversion = !isnull[3];
	row->value = 0.0;
	if (row->conversion)
	{
		row->value = DatumGetFloat8(CrmCastValue(&r->value_cast, v[3]));
		if (!isfinite(row->value))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("conversion values of %s must be finite numbers", ATTR_FN),
					 errdetail("Got %g.", row->value),
					 errhint("Filter out NaN and infinite values.")));
	}
	r->nrows++;
}

/* Row order: journey, time, touches before the conversion, channel rank, value. */
static int
AttrCmpRows(const void *a, const void *b)
{
	const AttrRow *x = (const AttrRow *) a;
	const AttrRow *y = (const AttrRow *) b;

	if (x->journey != y->journey)
		return x->journey < y->journey ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->conversion != y->conversion)
		return x->conversion ? 1 : -1;
	if (x->channel != y->channel)
		return (x->channel > y->channel) - (x->channel < y->channel);
	return (x->value > y->value) - (x->value < y->value);
}

/* What the models accumulate. */
typedef struct AttrTotals
{
	int			nchannels;
	double	   *conversions;	/* per channel rank: attributed conversions */
	double	   *value;			/* per channel rank: attributed value */
	bool	   *credited;		/* per channel rank: in a converting path */
	double		none_conversions;	/* conversions of paths without touches */
	double		none_value;
	double		conversions_touched;	/* conversions of paths with touches */
	double		value_touched;
	/* markov counts */
	double	   *start;			/* start -> channel */
	double	   *trans;			/* channel -> channel, nchannels^2 */
	double	   *to_conv;		/* channel -> conversion */
	double	   *to_null;		/* channel -> null */
} AttrTotals;

/*
 * Credit one converting path (touches t[0..k-1], all before or at the
 * conversion at conv_ts) under a rule-based model.
 */
static void
AttrCreditPath(AttrTotals *tot, AttrModel model, const AttrRow *t, int64 k,
			   TimestampTz conv_ts, double value, double half_life_usec, double *w)
{
	int64		i;
	double		sum = 0.0;

	(void) conv_ts;
	switch (model)
	{
		case ATTR_FIRST_TOUCH:
			for (i = 0; i < k; i++)
				w[i] = i == 0 ? 1.0 : 0.0;
			break;
		case ATTR_LAST_TOUCH:
			for (i = 0; i < k; i++)
				w[i] = i == k - 1 ? 1.0 : 0.0;
			break;
		case ATTR_LINEAR:
			for (i = 0; i < k; i++)
				w[i] = 1.0 / (double) k;
			break;
		case ATTR_POSITION_BASED:
			for (i = 0; i < k; i++)
			{
				if (k == 1)
					w[i] = 1.0;
				else if (k == 2)
					w[i] = 0.5;
				else
					w[i] = (i == 0 || i == k - 1) ? 0.4 : 0.2 / (double) (k - 2);
			}
			break;
		case ATTR_TIME_DECAY:
			/* relative to the latest touch (weight 1): no underflow to 0/0 */
			for (i = 0; i < k; i++)
			{
				w[i] = exp2(-((double) (t[k - 1].ts - t[i].ts)) / half_life_usec);
				sum += w[i];
			}
			for (i = 0; i < k; i++)
				w[i] /= sum;
			break;
		case ATTR_MARKOV:
			elog(ERROR, "markov is not a rule-based model");
	}
	for (i = 0; i < k; i++)
	{
		tot->conversions[t[i].channel] += w[i];
		tot->value[t[i].channel] += w[i] * value;
		tot->credited[t[i].channel] = true;
	}
}

/* Count the transitions of one path (touches t[0..k-1]) for the markov model. */
static void
AttrCountPath(AttrTotals *tot, const AttrRow *t, int64 k, bool converted)
{
	int			c = tot->nchannels;
	int64		i;

	tot->start[t[0].channel] += 1.0;
	for (i = 1; i < k; i++)
		tot->trans[(int64) t[i - 1].channel * c + t[i].channel] += 1.0;
	if (converted)
		tot->to_conv[t[k - 1].channel] += 1.0;
	else
		tot->to_null[t[k - 1].channel] += 1.0;
}

/*
 * Invert the c x c matrix a in place (Gauss-Jordan, partial pivoting);
 * false when it is singular.
 */
static bool
AttrInvert(double *a, int c)
{
	int		   *perm = palloc(sizeof(int) * c);
	int			i,
				j,
				k;

	for (i = 0; i < c; i++)
		perm[i] = i;
	for (k = 0; k < c; k++)
	{
		int			p = k;
		double		piv;

		CHECK_FOR_INTERRUPTS();
		for (i = k + 1; i < c; i++)
			if (fabs(a[(int64) i * c + k]) > fabs(a[(int64) p * c + k]))
				p = i;
		if (a[(int64) p * c + k] == 0.0)
			return false;
		if (p != k)
		{
			for (j = 0; j < c; j++)
			{
				double		t = a[(int64) k * c + j];

				a[(int64) k * c + j] = a[(int64) p * c + j];
				a[(int64) p * c + j] = t;
			}
			i = perm[k], perm[k] = perm[p], perm[p] = i;
		}
		piv = a[(int64) k * c + k];
		a[(int64) k * c + k] = 1.0;
		for (j = 0; j < c; j++)
			a[(int64) k * c + j] /= piv;
		for (i = 0; i < c; i++)
		{
			double		f;

			if (i == k)
				continue;
			f = a[(int64) i * c + k];
			if (f == 0.0)
				continue;
			a[(int64) i * c + k] = 0.0;
			for (j = 0; j < c; j++)
				a[(int64) i * c + j] -= f * a[(int64) k * c + j];
		}
	}
	/* undo the row exchanges as column exchanges of the inverse */
	for (k = c - 1; k >= 0; k--)
	{
		if (perm[k] != k)
		{
			int			p = perm[k];

			for (i = 0; i < c; i++)
			{
				double		t = a[(int64) i * c + k];

				a[(int64) i * c + k] = a[(int64) i * c + p];
				a[(int64) i * c + p] = t;
			}
		}
	}
	pfree(perm);
	return true;
}

/*
 * Removal effects of the markov model into re[] (NaN when no path
 * converts).  See the file header for the method.
 */
static void
AttrMarkov(const AttrTotals *tot, double *re)
{
	int			c = tot->nchannels;
	double	   *n = CrmMemoryAlloc(CurrentMemoryContext, (Size) c * c, sizeof(double),
								   ATTR_FN, "The markov transition matrix");
	double	   *r = palloc0(sizeof(double) * c);
	double	   *s = palloc0(sizeof(double) * c);
	double	   *h = palloc0(sizeof(double) * c);
	double		starts = 0.0,
				pconv = 0.0;
	int			i,
				j;

	for (i = 0; i < c; i++)
		starts += tot->start[i];
	for (i = 0; i < c; i++)
	{
		double		out = tot->to_conv[i] + tot->to_null[i];

		for (j = 0; j < c; j++)
			out += tot->trans[(int64) i * c + j];
		/* every channel that occurs has a way out: each path ends */
		for (j = 0; j < c; j++)
			n[(int64) i * c + j] = (i == j ? 1.0 : 0.0) -
				(out > 0 ? tot->trans[(int64) i * c + j] / out : 0.0);
		r[i] = out > 0 ? tot->to_conv[i] / out : 0.0;
		s[i] = starts > 0 ? tot->start[i] / starts : 0.0;
	}
	if (!AttrInvert(n, c))
		elog(ERROR, "the transition matrix of %s is singular", ATTR_FN);
	for (i = 0; i < c; i++)
	{
		double		acc = 0.0;

		for (j = 0; j < c; j++)
			acc += n[(int64) i * c + j] * r[j];
		h[i] = acc;
	}
	for (i = 0; i < c; i++)
		pconv += s[i] * h[i];
	for (j = 0; j < c; j++)
	{
		double		visits = 0.0;	/* expected visits of j from start */

		for (i = 0; i < c; i++)
			visits += s[i] * n[(int64) i * c + j];
		/* P(ever visit j) * P(conversion | at j) / P(conversion) */
		re[j] = pconv > 0 ? (visits / n[(int64) j * c + j]) * h[j] / pconv : NAN;
	}
	pfree(n);
	pfree(r);
	pfree(s);
	pfree(h);
}

/* The model named by text; an error listing the models otherwise. */
static AttrModel
AttrParseModel(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(attr_model_names); i++)
		if (strcmp(name, attr_model_names[i]) == 0)
			return (AttrModel) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown attribution model \"%s\"", name),
			 errhint("Use first_touch, last_touch, linear, time_decay, position_based or markov.")));
	return ATTR_LINEAR;			/* keep the compiler quiet */
}

/* half_life in microseconds (months count 30 days, as interval comparison does). */
static double
AttrHalfLifeUsec(const Interval *hl)
{
	double		usec = (double) hl->time + (double) hl->day * USECS_PER_DAY +
		(double) hl->month * DAYS_PER_MONTH * USECS_PER_DAY;

	if (!(usec > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life must be a positive interval"),
				 errdetail("Got %s.", DatumGetCString(DirectFunctionCall1(interval_out,
																		  IntervalPGetDatum(hl)))),
				 errhint("Pass the time over which a touch's weight halves, for example '7 days'.")));
	return usec;
}

/*
 * crm.attribution(query, model, half_life): attributed conversions, value
 * and share per channel.
 */
Datum
attribution(PG_FUNCTION_ARGS)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID};
	static const Oid channel_types[] = {TEXTOID, VARCHAROID, BPCHAROID, NAMEOID};
	static const Oid value_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	AttrModel	model;
	double		half_life_usec = 0.0;
	CrmQuery	q;
	AttrReader	r;
	AttrTotals	tot;
	MemoryContext workctx,
				old;
	int		   *order,
			   *rank;
	int			c,
				i;
	int64		start,
				end;
	double	   *w,
			   *re = NULL;
	Oid			keytype;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query must not be NULL"),
				 errhint("Pass a SELECT returning %s.", ATTR_COLUMNS)));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL"),
				 errhint("Use first_touch, last_touch, linear, time_decay, position_based or markov.")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model = AttrParseModel(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (model == ATTR_TIME_DECAY)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("half_life must not be NULL for time_decay"),
					 errhint("Pass the time over which a touch's weight halves, for example '7 days'.")));
		half_life_usec = AttrHalfLifeUsec(PG_GETARG_INTERVAL_P(2));
	}

	InitMaterializedSRF(fcinfo, 0);
	workctx = AllocSetContextCreate(CurrentMemoryContext, "crm.attribution",
									ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CrmQueryOpen(&q, query, 4, 4, ATTR_FN, ATTR_COLUMNS);
	CrmCheckColumnType(q.desc, 2, ATTR_FN, "touched_at", ts_types, lengthof(ts_types),
					   "timestamptz");
	CrmCheckColumnType(q.desc, 3, ATTR_FN, "channel", channel_types, lengthof(channel_types),
					   "text");
	CrmCheckColumnType(q.desc, 4, ATTR_FN, "conversion_value", value_types, lengthof(value_types),
					   "a float8 conversion value (NULL on touches)");

	memset(&r, 0, sizeof(r));
	r.ctx = workctx;
	keytype = getBaseType(TupleDescAttr(q.desc, 0)->atttypid);
	r.int_key = keytype == INT8OID || keytype == INT4OID || keytype == INT2OID;
	CrmCastInit(&r.key_cast, keytype, r.int_key ? keytype : TEXTOID, ATTR_FN, "1 (journey)");
	CrmCastInit(&r.ts_cast, TupleDescAttr(q.desc, 1)->atttypid, TIMESTAMPTZOID, ATTR_FN,
				"2 (touched_at)");
	CrmCastInit(&r.channel_cast, TupleDescAttr(q.desc, 2)->atttypid, TEXTOID, ATTR_FN,
				"3 (channel)");
	CrmCastInit(&r.value_cast, TupleDescAttr(q.desc, 3)->atttypid, FLOAT8OID, ATTR_FN,
				"4 (conversion_value)");
	CrmStrMapInit(&r.journeys, workctx, ATTR_FN);
	CrmStrMapInit(&r.channels, workctx, ATTR_FN);
	(void) CrmQueryForEachRow(&q, AttrReadRow, &r);
	CrmQueryClose(&q);

	old = MemoryContextSwitchTo(workctx);

	/* channel ids -> ranks in name order */
	c = r.channels.nitems;
	order = palloc(sizeof(int) * Max(c, 1));
	rank = palloc(sizeof(int) * Max(c, 1));
	for (i = 0; i < c; i++)
		order[i] = i;
	qsort_arg(order, c, sizeof(int), CrmStrMapCmpKeys, &r.channels);
	for (i = 0; i < c; i++)
		rank[order[i]] = i;
	for (start = 0; start < r.nrows; start++)
		if (r.rows[start].channel >= 0)
			r.rows[start].channel = rank[r.rows[start].channel];
	if (r.nrows > 0)
		pg_qsort(r.rows, r.nrows, sizeof(AttrRow), AttrCmpRows);

	memset(&tot, 0, sizeof(tot));
	tot.nchannels = c;
	tot.conversions = palloc0(sizeof(double) * Max(c, 1));
	tot.value = palloc0(sizeof(double) * Max(c, 1));
	tot.credited = palloc0(sizeof(bool) * Max(c, 1));
	if (model == ATTR_MARKOV)
	{
		if (c > ATTR_MAX_MARKOV_CHANNELS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the markov model of %s handles at most %d channels",
							ATTR_FN, ATTR_MAX_MARKOV_CHANNELS),
					 errdetail("The query returns %d distinct channels.", c),
					 errhint("Group rare channels together (for example as 'other').")));
		tot.start = palloc0(sizeof(double) * Max(c, 1));
		tot.to_conv = palloc0(sizeof(double) * Max(c, 1));
		tot.to_null = palloc0(sizeof(double) * Max(c, 1));
		tot.trans = CrmMemoryAlloc(workctx, (Size) c * c, sizeof(double), ATTR_FN,
								   "The markov transition counts");
		memset(tot.trans, 0, sizeof(double) * (Size) c * c);
	}

	/*
	 * Walk the paths: a journey's rows up to and including each conversion,
	 * then its remaining touches.  Touches are copied to a scratch array
	 * (the rows of a path are those with a channel).
	 */
	{
		AttrRow    *touches = NULL;
		int64		cap = 0;

		w = NULL;
		for (start = 0; start < r.nrows; start = end)
		{
			int64		k = 0;

			if ((start & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			for (end = start; end < r.nrows && r.rows[end].journey == r.rows[start].journey; end++)
			{
				const AttrRow *row = &r.rows[end];

				if (row->channel >= 0)
				{
					if (k >= cap)
					{
						cap = cap ? 2 * cap : 64;
						touches = touches ? CrmMemoryRealloc(touches, cap, sizeof(AttrRow), ATTR_FN, "A path")
							: CrmMemoryAlloc(workctx, cap, sizeof(AttrRow), ATTR_FN, "A path");
						w = w ? repalloc_huge(w, sizeof(double) * cap) : palloc(sizeof(double) * cap);
					}
					touches[k++] = *row;
				}
				if (!row->conversion)
					continue;
				if (k == 0)
				{
					tot.none_conversions += 1.0;
					tot.none_value += row->value;
					continue;
				}
				tot.conversions_touched += 1.0;
				tot.value_touched += row->value;
				if (model == ATTR_MARKOV)
					AttrCountPath(&tot, touches, k, true);
				else
					AttrCreditPath(&tot, model, touches, k, row->ts, row->value, half_life_usec, w);
				k = 0;
			}
			if (k > 0 && model == ATTR_MARKOV)
				AttrCountPath(&tot, touches, k, false);
		}
	}

	if (model == ATTR_MARKOV && c > 0)
	{
		double		sum = 0.0;

		re = palloc(sizeof(double) * c);
		AttrMarkov(&tot, re);
		for (i = 0; i < c; i++)
			sum += re[i];
		for (i = 0; i < c; i++)
		{
			/* no conversion at all: nothing to share (share NULL) */
			double		share = sum > 0 ? re[i] / sum : 0.0;

			tot.conversions[i] = share * tot.conversions_touched;
			tot.value[i] = share * tot.value_touched;
			re[i] = sum > 0 ? re[i] : NAN;
		}
	}

	/* result: channels in name order, then the conversions without touches */
	{
		double		total = 0.0;

		for (i = 0; i < c; i++)
			total += tot.conversions[i];
		for (i = 0; i < c; i++)
		{
			int			id = order[i];
			Datum		values[5];
			bool		nulls[5] = {false};

			/* rule-based models list the channels of converting paths only */
			if (model != ATTR_MARKOV && !tot.credited[i])
				continue;
			values[0] = PointerGetDatum(cstring_to_text_with_len(r.channels.keys[id],
																 r.channels.lens[id]));
			values[1] = Float8GetDatum(tot.conversions[i]);
			values[2] = Float8GetDatum(tot.value[i]);
			if (model == ATTR_MARKOV)
			{
				double		sum = 0.0;
				int			j;

				for (j = 0; j < c; j++)
					sum += re[j];
				values[3] = Float8GetDatum(re[i] / sum);
				values[4] = Float8GetDatum(re[i]);
			}
			else
			{
				values[3] = Float8GetDatum(tot.conversions[i] / total);
				nulls[4] = true;
			}
			if (isnan(DatumGetFloat8(values[3])))
				nulls[3] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		if (tot.none_conversions > 0)
		{
			Datum		values[5];
			bool		nulls[5] = {true, false, false, true, true};

			values[1] = Float8GetDatum(tot.none_conversions);
			values[2] = Float8GetDatum(tot.none_value);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(workctx);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	PG_RETURN_NULL();
}
