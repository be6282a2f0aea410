/*
 * abtest_means.c
 *		A/B statistics on values (revenue per customer and the like):
 *		crm.welch_ttest, crm.cuped_test and crm.mann_whitney, all parallel
 *		aggregates.  Differences are treated minus control.
 *
 * crm.welch_ttest is Welch's unequal-variance t-test (scipy's
 * ttest_ind(treated, control, equal_var=False)): with s^2 the sample
 * variances (n - 1 in the denominator) and v = s^2 / n per group,
 *
 *		t = (mean_t - mean_c) / sqrt(v_t + v_c)
 *		df = (v_t + v_c)^2 / (v_t^2 / (n_t - 1) + v_c^2 / (n_c - 1))
 *
 * (Welch-Satterthwaite), p = 2 P(T_df > |t|) and the interval
 * difference -/+ t_{df, (1 - confidence)/2} sqrt(v_t + v_c).  Per group the
 * state keeps n, the mean and the sum of squared deviations, updated with
 * Welford's method and merged with Chan, Golub & LeVeque's formula, so no
 * catastrophic cancellation happens however large the values.
 *
 * crm.cuped_test is CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the
 * sensitivity of online controlled experiments by utilizing pre-experiment
 * data"): with theta = cov(value, covariate) / var(covariate) over all rows
 * of both groups, each value is replaced by
 *
 *		value - theta (covariate - mean(covariate))
 *
 * and the adjusted values go through Welch's test.  The state keeps the
 * co-moments of (value, covariate) per group, from which the variance of the
 * adjusted values follows exactly: s_y^2 - 2 theta s_xy + theta^2 s_x^2.
 * variance_reduction is 1 - (standard error with CUPED / without)^2: the
 * share of the variance of the estimated effect that the covariate removed.
 *
 * crm.mann_whitney is the Mann-Whitney U test as scipy's
 * mannwhitneyu(treated, control, method='asymptotic') (two-sided, with tie
 * and continuity correction): U = R_t - n_t (n_t + 1) / 2 from the rank sum
 * of the treated values (average ranks for ties), and
 *
 *		z = (max(U, n_t n_c - U) - n_t n_c / 2 - 1/2) / s
 *		s = sqrt(n_t n_c / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))))
 *
 * over the tie groups t, p = min(1, 2 P(Z > z)).  The state holds every
 * value (ranks need them all); the final function sorts copies.
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "abtest.h"

#define MEANS_STATE_FORMAT	1
#define MW_STATE_FORMAT		1
/* values per group the Mann-Whitney state makes room for at first */
#define MW_INITIAL_CAPACITY	16

PG_FUNCTION_INFO_V1(welch_ttest_transfn);
PG_FUNCTION_INFO_V1(cuped_test_transfn);
PG_FUNCTION_INFO_V1(means_test_combinefn);
PG_FUNCTION_INFO_V1(means_test_serialfn);
PG_FUNCTION_INFO_V1(means_test_deserialfn);
PG_FUNCTION_INFO_V1(welch_ttest_finalfn);
PG_FUNCTION_INFO_V1(cuped_test_finalfn);
PG_FUNCTION_INFO_V1(mann_whitney_transfn);
PG_FUNCTION_INFO_V1(mann_whitney_combinefn);
PG_FUNCTION_INFO_V1(mann_whitney_serialfn);
PG_FUNCTION_INFO_V1(mann_whitney_deserialfn);
PG_FUNCTION_INFO_V1(mann_whitney_finalfn);

/* ---------- moments ---------- */

/* Count, means and (co-)sums of squared deviations of (y, x) in one group. */
typedef struct AbMoments
{
	int64		n;
	double		mean_y;
	double		m2_y;
	double		mean_x;
	double		m2_x;
	double		c_xy;
} AbMoments;

typedef struct MeansState
{
	AbMoments	g[2];			/* AB_CONTROL, AB_TREATED */
	double		confidence;
	bool		covariate;		/* cuped_test (x used) or welch_ttest */
} MeansState;

/* Welford's update with one row. */
static inline void
AbMomentsAdd(AbMoments *m, double y, double x)
{
	double		dy = y - m->mean_y;
	double		dx = x - m->mean_x;

	m->n++;
	m->mean_y += dy / (double) m->n;
	m->m2_y += dy * (y - m->mean_y);
	m->mean_x += dx / (double) m->n;
	m->m2_x += dx * (x - m->mean_x);
	m->c_xy += dx * (y - m->mean_y);
}

/* Chan, Golub & LeVeque: merge b into a. */
static void
AbMomentsMerge(AbMoments *a, const AbMoments *b)
{
	double		n,
				dy,
				dx,
				f;

	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		*a = *b;
		return;
	}
	n = (double) a->n + (double) b->n;
	dy = b->mean_y - a->mean_y;
	dx = b->mean_x - a->mean_x;
	f = (double) a->n * (double) b->n / n;
	a->mean_y += dy * (double) b->n / n;
	a->mean_x += dx * (double) b->n / n;
	a->m2_y += b->m2_y + dy * dy * f;
	a->m2_x += b->m2_x + dx * dx * f;
	a->c_xy += b->c_xy + dx * dy * f;
	a->n += b->n;
}

static MeansState *
MeansStateCreate(MemoryContext aggctx, bool covariate, double confidence)
{
	MeansState *state = MemoryContextAllocZero(aggctx, sizeof(MeansState));

	state->covariate = covariate;
	state->confidence = confidence;
	return state;
}

/* Transition: welch_ttest(value, treated [, confidence]); NULL rows are skipped. */
Datum
welch_ttest_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "welch_ttest_transfn");
	MeansState *state = PG_ARGISNULL(0) ? NULL : (MeansState *) PG_GETARG_POINTER(0);
	double		confidence = AbArgConfidence(fcinfo, 3);
	double		y;

	if (state == NULL)
		state = MeansStateCreate(aggctx, false, confidence);
	else
		AbSameConfidence(state->confidence, confidence);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	y = PG_GETARG_FLOAT8(1);
	AbCheckFiniteValue(y, "value");
	AbMomentsAdd(&state->g[PG_GETARG_BOOL(2) ? AB_TREATED : AB_CONTROL], y, 0.0);
	PG_RETURN_POINTER(state);
}

/* Transition: cuped_test(value, covariate, treated [, confidence]); NULL rows are skipped. */
Datum
cuped_test_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "cuped_test_transfn");
	MeansState *state = PG_ARGISNULL(0) ? NULL : (MeansState *) PG_GETARG_POINTER(0);
	double		confidence = AbArgConfidence(fcinfo, 4);
	double		y,
				x;

	if (state == NULL)
		state = MeansStateCreate(aggctx, true, confidence);
	else
		AbSameConfidence(state->confidence, confidence);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(state);
	y = PG_GETARG_FLOAT8(1);
	x = PG_GETARG_FLOAT8(2);
	AbCheckFiniteValue(y, "value");
	AbCheckFiniteValue(x, "covariate");
	AbMomentsAdd(&state->g[PG_GETARG_BOOL(3) ? AB_TREATED : AB_CONTROL], y, x);
	PG_RETURN_POINTER(state);
}

/* Merge two partial states of welch_ttest or cuped_test. */
Datum
means_test_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "means_test_combinefn");
	MeansState *s1 = PG_ARGISNULL(0) ? NULL : (MeansState *) PG_GETARG_POINTER(0);
	MeansState *s2 = PG_ARGISNULL(1) ? NULL : (MeansState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = MemoryContextAlloc(aggctx, sizeof(MeansState));
		*s1 = *s2;
		PG_RETURN_POINTER(s1);
	}
	if (s1->covariate != s2->covariate)
		elog(ERROR, "cannot combine welch_ttest and cuped_test states");
	AbSameConfidence(s1->confidence, s2->confidence);
	AbMomentsMerge(&s1->g[AB_CONTROL], &s2->g[AB_CONTROL]);
	AbMomentsMerge(&s1->g[AB_TREATED], &s2->g[AB_TREATED]);
	PG_RETURN_POINTER(s1);
}

/* Serialize a welch_ttest or cuped_test state. */
Datum
means_test_serialfn(PG_FUNCTION_ARGS)
{
	MeansState *state = (MeansState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			g;

	(void) CrmAggContext(fcinfo, "means_test_serialfn");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, MEANS_STATE_FORMAT);
	pq_sendbyte(&buf, state->covariate ? 1 : 0);
	pq_sendfloat8(&buf, state->confidence);
	for (g = 0; g < 2; g++)
	{
		const AbMoments *m = &state->g[g];

		pq_sendint64(&buf, m->n);
		pq_sendfloat8(&buf, m->mean_y);
		pq_sendfloat8(&buf, m->m2_y);
		pq_sendfloat8(&buf, m->mean_x);
		pq_sendfloat8(&buf, m->m2_x);
		pq_sendfloat8(&buf, m->c_xy);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a welch_ttest or cuped_test state, validating every field. */
Datum
means_test_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "means_test_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	MeansState *state;
	int			covariate,
				g;
	double		confidence;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	AbCheckStateFormat(pq_getmsgbyte(&buf), MEANS_STATE_FORMAT, "welch_ttest/cuped_test");
	covariate = pq_getmsgbyte(&buf);
	confidence = pq_getmsgfloat8(&buf);
	if ((covariate != 0 && covariate != 1) || !(confidence > 0.0 && confidence < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid welch_ttest/cuped_test state")));
	state = MeansStateCreate(aggctx, covariate == 1, confidence);
	for (g = 0; g < 2; g++)
	{
		AbMoments  *m = &state->g[g];

		m->n = pq_getmsgint64(&buf);
		m->mean_y = pq_getmsgfloat8(&buf);
		m->m2_y = pq_getmsgfloat8(&buf);
		m->mean_x = pq_getmsgfloat8(&buf);
		m->m2_x = pq_getmsgfloat8(&buf);
		m->c_xy = pq_getmsgfloat8(&buf);
		if (m->n < 0 || isnan(m->mean_y) || isnan(m->mean_x) || isnan(m->c_xy) ||
			!(m->m2_y >= 0.0) || !(m->m2_x >= 0.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid welch_ttest/cuped_test state")));
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* Result of Welch's test on a difference with per-group variances of the mean. */
typedef struct AbWelch
{
	double		t;
	double		df;
	double		p;
	double		low;
	double		high;
} AbWelch;

/*
 * Welch's test of difference d with squared standard errors vt, vc of the
 * two means (groups of nt and nc rows).  A zero standard error gives t =
 * +/-Infinity and p = 0 (NaN when d = 0 too), as scipy.
 */
static AbWelch
AbWelchTest(double d, double vt, double vc, double nt, double nc, double confidence)
{
	AbWelch		r;
	double		v = vt + vc;
	double		se = sqrt(v);

	r.t = d / se;
	r.df = v * v / (vt * vt / (nt - 1.0) + vc * vc / (nc - 1.0));
	if (se == 0.0)
	{
		r.p = isnan(r.t) ? NAN : 0.0;
		r.low = r.high = NAN;
		return r;
	}
	r.p = isnan(r.t) || isnan(r.df) ? NAN : 2.0 * CrmStudentTUpperTail(fabs(r.t), r.df);
	if (r.p > 1.0)
		r.p = 1.0;
	{
		double		q = isnan(r.df) ? NAN :
			CrmStudentTUpperQuantile(0.5 * (1.0 - confidence), r.df);

		r.low = d - q * se;
		r.high = d + q * se;
	}
	return r;
}

/* Mean of a group (NaN when empty) and variance of its mean (NaN below 2 rows). */
static void
AbGroupMean(const AbMoments *m, double *mean, double *var_of_mean)
{
	*mean = m->n > 0 ? m->mean_y : NAN;
	*var_of_mean = m->n > 1 ? m->m2_y / ((double) m->n - 1.0) / (double) m->n : NAN;
}

/* The crm.welch_ttest row; NULL when no row was counted.  Reads the state only. */
Datum
welch_ttest_finalfn(PG_FUNCTION_ARGS)
{
	MeansState *state;
	Datum		values[10];
	bool		nulls[10] = {false};
	double		mc,
				mt,
				vc,
				vt;
	AbWelch		w;

	(void) CrmAggContext(fcinfo, "welch_ttest_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (MeansState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->g[AB_CONTROL].n + state->g[AB_TREATED].n == 0)
		PG_RETURN_NULL();
	AbGroupMean(&state->g[AB_CONTROL], &mc, &vc);
	AbGroupMean(&state->g[AB_TREATED], &mt, &vt);
	w = AbWelchTest(mt - mc, vt, vc, (double) state->g[AB_TREATED].n,
					(double) state->g[AB_CONTROL].n, state->confidence);
	values[0] = Int64GetDatum(state->g[AB_CONTROL].n);
	values[1] = Int64GetDatum(state->g[AB_TREATED].n);
	values[2] = Float8GetDatum(mc);
	values[3] = Float8GetDatum(mt);
	values[4] = Float8GetDatum(mt - mc);
	values[5] = Float8GetDatum(w.t);
	values[6] = Float8GetDatum(w.df);
	values[7] = Float8GetDatum(w.p);
	values[8] = Float8GetDatum(w.low);
	values[9] = Float8GetDatum(w.high);
	PG_RETURN_DATUM(AbResultRow(fcinfo, "welch_ttest_finalfn", values, nulls));
}

/*
 * The crm.cuped_test row; NULL when no row was counted.  theta is NaN when
 * the covariate does not vary (and so is everything that depends on it).
 * Reads the state only.
 */
Datum
cuped_test_finalfn(PG_FUNCTION_ARGS)
{
	MeansState *state;
	Datum		values[12];
	bool		nulls[12] = {false};
	AbMoments	all;
	double		theta,
				nc,
				nt,
				mc,
				mt,
				vc = NAN,
				vt = NAN,
				d;
	AbWelch		w;
	int			g;

	(void) CrmAggContext(fcinfo, "cuped_test_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (MeansState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->g[AB_CONTROL].n + state->g[AB_TREATED].n == 0)
		PG_RETURN_NULL();
	all = state->g[AB_CONTROL];
	AbMomentsMerge(&all, &state->g[AB_TREATED]);
	theta = all.c_xy / all.m2_x;
	nc = (double) state->g[AB_CONTROL].n;
	nt = (double) state->g[AB_TREATED].n;
	mc = nc > 0 ? state->g[AB_CONTROL].mean_y : NAN;
	mt = nt > 0 ? state->g[AB_TREATED].mean_y : NAN;
	d = (mt - mc) - theta * (state->g[AB_TREATED].mean_x - state->g[AB_CONTROL].mean_x);
	for (g = 0; g < 2; g++)
	{
		const AbMoments *m = &state->g[g];
		double		n = (double) m->n;
		double		v = m->n > 1 ?
			(m->m2_y - 2.0 * theta * m->c_xy + theta * theta * m->m2_x) / (n - 1.0) / n : NAN;

		if (v < 0.0)
			v = 0.0;			/* rounding when the covariate explains everything */
		if (g == AB_CONTROL)
			vc = v;
		else
			vt = v;
	}
	w = AbWelchTest(d, vt, vc, nt, nc, state->confidence);
	values[0] = Int64GetDatum(state->g[AB_CONTROL].n);
	values[1] = Int64GetDatum(state->g[AB_TREATED].n);
	values[2] = Float8GetDatum(mc);
	values[3] = Float8GetDatum(mt);
	values[4] = Float8GetDatum(theta);
	values[5] = Float8GetDatum(d);
	values[6] = Float8GetDatum(w.t);
	values[7] = Float8GetDatum(w.df);
	values[8] = Float8GetDatum(w.p);
	values[9] = Float8GetDatum(w.low);
	values[10] = Float8GetDatum(w.high);
	{
		double		pc,
					pt,
					plain_c,
					plain_t;

		AbGroupMean(&state->g[AB_CONTROL], &pc, &plain_c);
		AbGroupMean(&state->g[AB_TREATED], &pt, &plain_t);
		values[11] = Float8GetDatum(1.0 - (vt + vc) / (plain_t + plain_c));
	}
	PG_RETURN_DATUM(AbResultRow(fcinfo, "cuped_test_finalfn", values, nulls));
}

/* ---------- crm.mann_whitney ---------- */

typedef struct MwState
{
	int64		n[2];			/* values per group (AB_CONTROL, AB_TREATED) */
	int64		capacity[2];
	double	   *v[2];			/* the values, in arrival order */
} MwState;

/* Append value y to group g, growing the array within the memory budget. */
static void
MwAppend(MwState *state, MemoryContext aggctx, int g, double y)
{
	if (state->n[g] >= state->capacity[g])
	{
		int64		cap = state->capacity[g] ? 2 * state->capacity[g] : MW_INITIAL_CAPACITY;

		CrmMemoryCheckContext(aggctx, (Size) (cap - state->capacity[g]) * sizeof(double),
							  "mann_whitney", "The values of the groups");
		if (state->v[g] == NULL)
			state->v[g] = CrmMemoryAlloc(aggctx, cap, sizeof(double), "mann_whitney",
										 "The values of the groups");
		else
			state->v[g] = CrmMemoryRealloc(state->v[g], cap, sizeof(double), "mann_whitney",
										   "The values of the groups");
		state->capacity[g] = cap;
	}
	state->v[g][state->n[g]++] = y;
}

/* Transition: mann_whitney(value, treated); NULL rows are skipped. */
Datum
mann_whitney_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "mann_whitney_transfn");
	MwState    *state = PG_ARGISNULL(0) ? NULL : (MwState *) PG_GETARG_POINTER(0);
	double		y;

	if (state == NULL)
		state = MemoryContextAllocZero(aggctx, sizeof(MwState));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	y = PG_GETARG_FLOAT8(1);
	AbCheckFiniteValue(y, "value");
	MwAppend(state, aggctx, PG_GETARG_BOOL(2) ? AB_TREATED : AB_CONTROL, y);
	PG_RETURN_POINTER(state);
}

/* Merge two partial states (a copy of state2 when state1 is NULL). */
Datum
mann_whitney_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "mann_whitney_combinefn");
	MwState    *s1 = PG_ARGISNULL(0) ? NULL : (MwState *) PG_GETARG_POINTER(0);
	MwState    *s2 = PG_ARGISNULL(1) ? NULL : (MwState *) PG_GETARG_POINTER(1);
	int			g;
	int64		i;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = MemoryContextAllocZero(aggctx, sizeof(MwState));
	for (g = 0; g < 2; g++)
		for (i = 0; i < s2->n[g]; i++)
			MwAppend(s1, aggctx, g, s2->v[g][i]);
	PG_RETURN_POINTER(s1);
}

/* Serialize: the counts, then the values of each group. */
Datum
mann_whitney_serialfn(PG_FUNCTION_ARGS)
{
	MwState    *state = (MwState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			g;
	int64		i;

	(void) CrmAggContext(fcinfo, "mann_whitney_serialfn");
	if ((double) (state->n[0] + state->n[1]) * sizeof(double) > (double) (MaxAllocSize - 64))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("mann_whitney state is too large to pass between parallel workers"),
				 errdetail("It holds " INT64_FORMAT " values.", state->n[0] + state->n[1]),
				 errhint("Run the query without parallel workers: SET max_parallel_workers_per_gather = 0.")));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, MW_STATE_FORMAT);
	pq_sendint64(&buf, state->n[0]);
	pq_sendint64(&buf, state->n[1]);
	for (g = 0; g < 2; g++)
		for (i = 0; i < state->n[g]; i++)
			pq_sendfloat8(&buf, state->v[g][i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state, validating the counts against the length. */
Datum
mann_whitney_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "mann_whitney_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	MwState    *state = MemoryContextAllocZero(aggctx, sizeof(MwState));
	int64		n0,
				n1;
	int			g;
	int64		i;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	AbCheckStateFormat(pq_getmsgbyte(&buf), MW_STATE_FORMAT, "mann_whitney");
	n0 = pq_getmsgint64(&buf);
	n1 = pq_getmsgint64(&buf);
	if (n0 < 0 || n1 < 0 || n0 > (buf.len - buf.cursor) / 8 ||
		n1 != (buf.len - buf.cursor) / 8 - n0 || (buf.len - buf.cursor) % 8 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid mann_whitney state")));
	for (g = 0; g < 2; g++)
	{
		int64		n = g == 0 ? n0 : n1;

		for (i = 0; i < n; i++)
		{
			double		y = pq_getmsgfloat8(&buf);

			if (!isfinite(y))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid mann_whitney state")));
			MwAppend(state, aggctx, g, y);
		}
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

static int
MwCmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* A sorted copy of group g's values (the state is not touched). */
static double *
MwSortedCopy(const MwState *state, int g)
{
	double	   *copy = CrmMemoryAlloc(CurrentMemoryContext, state->n[g], sizeof(double),
									  "mann_whitney", "The sorted values");

	if (state->n[g] > 0)
		memcpy(copy, state->v[g], sizeof(double) * state->n[g]);
	pg_qsort(copy, state->n[g], sizeof(double), MwCmpDouble);
	return copy;
}

/*
 * The crm.mann_whitney row; NULL when no row was counted, NaN statistics
 * when a group is empty (scipy raises an error there).  Reads the state only.
 */
Datum
mann_whitney_finalfn(PG_FUNCTION_ARGS)
{
	MwState    *state;
	Datum		values[6];
	bool		nulls[6] = {false};
	double	   *t,
			   *c;
	int64		nt,
				nc,
				i = 0,
				j = 0;
	double		rank = 0.0,
				r_t = 0.0,
				ties = 0.0,
				u,
				z,
				p,
				n,
				s;

	(void) CrmAggContext(fcinfo, "mann_whitney_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (MwState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->n[AB_CONTROL] + state->n[AB_TREATED] == 0)
		PG_RETURN_NULL();
	nt = state->n[AB_TREATED];
	nc = state->n[AB_CONTROL];
	if (nt == 0 || nc == 0)
		u = z = p = NAN;
	else
	{
		t = MwSortedCopy(state, AB_TREATED);
		c = MwSortedCopy(state, AB_CONTROL);
		/* walk the distinct values in order: average ranks, tie groups */
		while (i < nt || j < nc)
		{
			double		v = (j >= nc || (i < nt && t[i] <= c[j])) ? t[i] : c[j];
			int64		ct = 0,
						cc = 0;
			double		size;

			while (i < nt && t[i] == v)
				i++, ct++;
			while (j < nc && c[j] == v)
				j++, cc++;
			size = (double) (ct + cc);
			r_t += (double) ct * (rank + (size + 1.0) / 2.0);
			ties += size * size * size - size;
			rank += size;
			if (((i + j) & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(t);
		pfree(c);
		u = r_t - (double) nt * ((double) nt + 1.0) / 2.0;
		n = (double) (nt + nc);
		s = sqrt((double) nt * (double) nc / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0))));
		z = (Max(u, (double) nt * (double) nc - u) - (double) nt * (double) nc / 2.0 - 0.5) / s;
		p = Min(1.0, 2.0 * CrmNormalSf(z));
	}
	values[0] = Int64GetDatum(nc);
	values[1] = Int64GetDatum(nt);
	values[2] = Float8GetDatum(u);
	values[3] = Float8GetDatum(u / ((double) nt * (double) nc));
	values[4] = Float8GetDatum(z);
	values[5] = Float8GetDatum(p);
	PG_RETURN_DATUM(AbResultRow(fcinfo, "mann_whitney_finalfn", values, nulls));
}
