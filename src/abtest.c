/*
 * abtest.c
 *		A/B and campaign statistics on conversions: crm.ab_test (aggregate),
 *		crm.chi2_test (aggregate), crm.proportions_ztest and crm.sample_size
 *		(functions on counts).  The tests on values (Welch, Mann-Whitney,
 *		CUPED) are in abtest_means.c.
 *
 * Differences are always treated minus control (a minus b for counts).
 *
 * crm.ab_test's interval for the difference of two proportions is
 * Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for
 * the difference between independent proportions: comparison of eleven
 * methods", Statistics in Medicine 17:873-890, method 10), built from the
 * Wilson score intervals (l_t, u_t) and (l_c, u_c) of the two rates:
 *
 *		low  = d - sqrt((p_t - l_t)^2 + (u_c - p_c)^2)
 *		high = d + sqrt((u_t - p_t)^2 + (p_c - l_c)^2),	d = p_t - p_c
 *
 * which stays inside [-1, 1] and behaves at rates of 0 and 1, where the Wald
 * interval collapses.  The test is the pooled two-proportion z-test, as
 * statsmodels' proportions_ztest:
 *
 *		z = d / sqrt(p (1 - p) (1/n_t + 1/n_c)),	p = pooled rate
 *
 * crm.chi2_test is Pearson's chi-square test of independence of a
 * variants x {converted, not converted} table, as scipy's chi2_contingency:
 * expected counts from the margins, Yates' continuity correction (each
 * observed count moved towards its expectation by at most 0.5) for a 2x2
 * table only, dof = variants - 1.
 *
 * crm.sample_size is the customers per group of a two-sided two-proportion
 * z-test (Fleiss, Levin & Paik 2003, 4.2; statsmodels'
 * samplesize_proportions_2indep_onetail):
 *
 *		n = ((z_{1-alpha/2} sqrt(2 pbar (1 - pbar)) + z_power sqrt(p1 q1 + p2 q2)) / delta)^2
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "abtest.h"

#define AB_STATE_FORMAT		1
#define CHI2_STATE_FORMAT	1

PG_FUNCTION_INFO_V1(ab_test_transfn);
PG_FUNCTION_INFO_V1(ab_test_combinefn);
PG_FUNCTION_INFO_V1(ab_test_serialfn);
PG_FUNCTION_INFO_V1(ab_test_deserialfn);
PG_FUNCTION_INFO_V1(ab_test_finalfn);
PG_FUNCTION_INFO_V1(chi2_test_transfn);
PG_FUNCTION_INFO_V1(chi2_test_combinefn);
PG_FUNCTION_INFO_V1(chi2_test_serialfn);
PG_FUNCTION_INFO_V1(chi2_test_deserialfn);
PG_FUNCTION_INFO_V1(chi2_test_finalfn);
PG_FUNCTION_INFO_V1(proportions_ztest);
PG_FUNCTION_INFO_V1(sample_size);

/* ---------- helpers shared with abtest_means.c ---------- */

/* A confidence level must lie strictly between 0 and 1. */
double
AbCheckConfidence(double confidence)
{
	if (!(confidence > 0.0 && confidence < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must be between 0 and 1 (exclusive)"),
				 errdetail("Got %g.", confidence),
				 errhint("Pass the confidence level of the interval, for example 0.95.")));
	return confidence;
}

/* The confidence argument argno of a transition function (default 0.95). */
double
AbArgConfidence(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno)
		return AB_DEFAULT_CONFIDENCE;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("confidence must not be NULL"),
				 errhint("Pass the confidence level of the interval, for example 0.95.")));
	return AbCheckConfidence(PG_GETARG_FLOAT8(argno));
}

/* Every row (and every partial state) of a group must use one confidence level. */
void
AbSameConfidence(double have, double got)
{
	if (have != got)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must be the same for every row of a group"),
				 errdetail("Got %g and %g.", have, got)));
}

/* z with P(|Z| > z) = 1 - confidence. */
double
AbNormalCritical(double confidence)
{
	return -CrmNormalQuantile(0.5 * (1.0 - confidence));
}

/* Two-sided p-value of a standard normal statistic (NaN stays NaN). */
double
AbTwoSidedNormalP(double z)
{
	if (isnan(z))
		return NAN;
	return 2.0 * CrmNormalSf(fabs(z));
}

/* The composite result of a final function or function. */
Datum
AbResultRow(FunctionCallInfo fcinfo, const char *fn, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of %s must be a row type", fn);
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* A value of a test must be a finite number. */
void
AbCheckFiniteValue(double value, const char *what)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite number", what),
				 errdetail("Got %g.", value),
				 errhint("Filter out NaN and infinite values.")));
}

/* The format byte of a serialized state. */
void
AbCheckStateFormat(int format, int expected, const char *fn)
{
	if (format != expected)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s state format %d", fn, format)));
}

/* ---------- proportions ---------- */

/* Wilson score interval of x successes in n trials, critical value z. */
static void
AbWilson(double x, double n, double z, double *low, double *high)
{
	double		z2 = z * z;
	double		center = 2.0 * x + z2;
	double		half = z * sqrt(z2 + 4.0 * x * (n - x) / n);
	double		denom = 2.0 * (n + z2);

	*low = (center - half) / denom;
	*high = (center + half) / denom;
}

/*
 * Newcombe's hybrid score interval for p_t - p_c (x successes of n in each
 * group); NaN when a group is empty.
 */
static void
AbNewcombe(double xt, double nt, double xc, double nc, double confidence,
		   double *low, double *high)
{
	double		z = AbNormalCritical(confidence);
	double		pt = xt / nt,
				pc = xc / nc,
				d = pt - pc;
	double		lt,
				ut,
				lc,
				uc;

	if (!(nt > 0.0) || !(nc > 0.0))
	{
		*low = *high = NAN;
		return;
	}
	AbWilson(xt, nt, z, &lt, &ut);
	AbWilson(xc, nc, z, &lc, &uc);
	*low = d - sqrt((pt - lt) * (pt - lt) + (uc - pc) * (uc - pc));
	*high = d + sqrt((ut - pt) * (ut - pt) + (pc - lc) * (pc - lc));
}

/* Pooled two-proportion z statistic of p_t - p_c (NaN when undefined). */
static double
AbPooledZ(double xt, double nt, double xc, double nc)
{
	double		p = (xt + xc) / (nt + nc);

	return (xt / nt - xc / nc) / sqrt(p * (1.0 - p) * (1.0 / nt + 1.0 / nc));
}

/* ---------- crm.ab_test ---------- */

typedef struct AbTestState
{
	int64		n[2];			/* rows per group (AB_CONTROL, AB_TREATED) */
	int64		conv[2];		/* conversions per group */
	double		confidence;
} AbTestState;

/* Transition: ab_test(converted, treated [, confidence]); NULL rows are skipped. */
Datum
ab_test_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "ab_test_transfn");
	AbTestState *state = PG_ARGISNULL(0) ? NULL : (AbTestState *) PG_GETARG_POINTER(0);
	double		confidence = AbArgConfidence(fcinfo, 3);
	int			g;

	if (state == NULL)
	{
		state = MemoryContextAllocZero(aggctx, sizeof(AbTestState));
		state->confidence = confidence;
	}
	else
		AbSameConfidence(state->confidence, confidence);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	g = PG_GETARG_BOOL(2) ? AB_TREATED : AB_CONTROL;
	state->n[g]++;
	if (PG_GETARG_BOOL(1))
		state->conv[g]++;
	PG_RETURN_POINTER(state);
}

/* Merge two partial states. */
Datum
ab_test_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "ab_test_combinefn");
	AbTestState *s1 = PG_ARGISNULL(0) ? NULL : (AbTestState *) PG_GETARG_POINTER(0);
	AbTestState *s2 = PG_ARGISNULL(1) ? NULL : (AbTestState *) PG_GETARG_POINTER(1);
	int			g;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = MemoryContextAlloc(aggctx, sizeof(AbTestState));
		*s1 = *s2;
		PG_RETURN_POINTER(s1);
	}
	AbSameConfidence(s1->confidence, s2->confidence);
	for (g = 0; g < 2; g++)
	{
		s1->n[g] += s2->n[g];
		s1->conv[g] += s2->conv[g];
	}
	PG_RETURN_POINTER(s1);
}

/* Serialize a state. */
Datum
ab_test_serialfn(PG_FUNCTION_ARGS)
{
	AbTestState *state = (AbTestState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			g;

	(void) CrmAggContext(fcinfo, "ab_test_serialfn");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, AB_STATE_FORMAT);
	pq_sendfloat8(&buf, state->confidence);
	for (g = 0; g < 2; g++)
	{
		pq_sendint64(&buf, state->n[g]);
		pq_sendint64(&buf, state->conv[g]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state, validating every field. */
Datum
ab_test_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "ab_test_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	AbTestState *state = MemoryContextAllocZero(aggctx, sizeof(AbTestState));
	int			g;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	AbCheckStateFormat(pq_getmsgbyte(&buf), AB_STATE_FORMAT, "ab_test");
	state->confidence = pq_getmsgfloat8(&buf);
	for (g = 0; g < 2; g++)
	{
		state->n[g] = pq_getmsgint64(&buf);
		state->conv[g] = pq_getmsgint64(&buf);
		if (state->n[g] < 0 || state->conv[g] < 0 || state->conv[g] > state->n[g])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid ab_test state")));
	}
	if (!(state->confidence > 0.0 && state->confidence < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid ab_test state")));
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* The crm.ab_test row; NULL when no row was counted.  Reads the state only. */
Datum
ab_test_finalfn(PG_FUNCTION_ARGS)
{
	AbTestState *state;
	Datum		values[12];
	bool		nulls[12] = {false};
	double		nc,
				nt,
				xc,
				xt,
				rc,
				rt,
				low,
				high,
				z;

	(void) CrmAggContext(fcinfo, "ab_test_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (AbTestState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->n[AB_CONTROL] + state->n[AB_TREATED] == 0)
		PG_RETURN_NULL();
	nc = (double) state->n[AB_CONTROL];
	nt = (double) state->n[AB_TREATED];
	xc = (double) state->conv[AB_CONTROL];
	xt = (double) state->conv[AB_TREATED];
	rc = nc > 0 ? xc / nc : NAN;
	rt = nt > 0 ? xt / nt : NAN;
	AbNewcombe(xt, nt, xc, nc, state->confidence, &low, &high);
	z = (nc > 0 && nt > 0) ? AbPooledZ(xt, nt, xc, nc) : NAN;

	values[0] = Int64GetDatum(state->n[AB_CONTROL]);
	values[1] = Int64GetDatum(state->n[AB_TREATED]);
	values[2] = Int64GetDatum(state->conv[AB_CONTROL]);
	values[3] = Int64GetDatum(state->conv[AB_TREATED]);
	values[4] = Float8GetDatum(rc);
	values[5] = Float8GetDatum(rt);
	values[6] = Float8GetDatum(rt - rc);
	values[7] = Float8GetDatum((rt - rc) / rc);
	values[8] = Float8GetDatum(low);
	values[9] = Float8GetDatum(high);
	values[10] = Float8GetDatum(z);
	values[11] = Float8GetDatum(AbTwoSidedNormalP(z));
	PG_RETURN_DATUM(AbResultRow(fcinfo, "ab_test_finalfn", values, nulls));
}

/* ---------- crm.proportions_ztest ---------- */

/* Counts of one group: 0 <= successes <= n, n > 0. */
static void
AbCheckCounts(int64 successes, int64 n, const char *sname, const char *nname)
{
	if (n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", nname),
				 errdetail("Got " INT64_FORMAT ".", n),
				 errhint("Pass the number of customers (trials) of the group.")));
	if (successes < 0 || successes > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and %s", sname, nname),
				 errdetail("Got %s = " INT64_FORMAT " and %s = " INT64_FORMAT ".",
						   sname, successes, nname, n),
				 errhint("Pass the number of conversions (successes) of the group.")));
}

/*
 * proportions_ztest(successes_a, n_a, successes_b, n_b, pooled, confidence):
 * the z-test of rate_a - rate_b (pooled or unpooled standard error) and the
 * Wald interval of the difference.
 */
Datum
proportions_ztest(PG_FUNCTION_ARGS)
{
	int64		xa = PG_GETARG_INT64(0),
				na = PG_GETARG_INT64(1),
				xb = PG_GETARG_INT64(2),
				nb = PG_GETARG_INT64(3);
	bool		pooled = PG_GETARG_BOOL(4);
	double		confidence = AbCheckConfidence(PG_GETARG_FLOAT8(5));
	double		pa,
				pb,
				d,
				se_wald,
				z,
				crit;
	Datum		values[7];
	bool		nulls[7] = {false};

	AbCheckCounts(xa, na, "successes_a", "n_a");
	AbCheckCounts(xb, nb, "successes_b", "n_b");
	pa = (double) xa / (double) na;
	pb = (double) xb / (double) nb;
	d = pa - pb;
	se_wald = sqrt(pa * (1.0 - pa) / (double) na + pb * (1.0 - pb) / (double) nb);
	z = pooled ? AbPooledZ((double) xa, (double) na, (double) xb, (double) nb) : d / se_wald;
	crit = AbNormalCritical(confidence);

	values[0] = Float8GetDatum(pa);
	values[1] = Float8GetDatum(pb);
	values[2] = Float8GetDatum(d);
	values[3] = Float8GetDatum(z);
	values[4] = Float8GetDatum(AbTwoSidedNormalP(z));
	values[5] = Float8GetDatum(d - crit * se_wald);
	values[6] = Float8GetDatum(d + crit * se_wald);
	PG_RETURN_DATUM(AbResultRow(fcinfo, "proportions_ztest", values, nulls));
}

/* ---------- crm.sample_size ---------- */

/*
 * sample_size(baseline_rate, minimum_effect, alpha, power): customers per
 * group for a two-sided two-proportion z-test to detect baseline_rate ->
 * baseline_rate + minimum_effect with the given power; at least 1.
 */
Datum
sample_size(PG_FUNCTION_ARGS)
{
	double		p1 = PG_GETARG_FLOAT8(0);
	double		delta = PG_GETARG_FLOAT8(1);
	double		alpha = PG_GETARG_FLOAT8(2);
	double		power = PG_GETARG_FLOAT8(3);
	double		p2,
				pbar,
				za,
				zb,
				root,
				n;

	CrmCheckOpenUnit(p1, "baseline_rate", "Pass the conversion rate of the control group, for example 0.05.");
	CrmCheckOpenUnit(alpha, "alpha", "Pass the significance level, for example 0.05.");
	CrmCheckOpenUnit(power, "power", "Pass the power of the test, for example 0.8.");
	p2 = p1 + delta;
	if (!(delta != 0.0) || !(p2 > 0.0 && p2 < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("minimum_effect must be non-zero and keep baseline_rate + minimum_effect between 0 and 1"),
				 errdetail("Got baseline_rate %g and minimum_effect %g.", p1, delta),
				 errhint("Pass the smallest absolute change of the rate worth detecting, for example 0.01.")));
	pbar = 0.5 * (p1 + p2);
	za = -CrmNormalQuantile(0.5 * alpha);
	zb = -CrmNormalQuantile(1.0 - power);	/* = Phi^-1(power) */
	root = za * sqrt(2.0 * pbar * (1.0 - pbar)) + zb * sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));
	if (root < 0.0)
		root = 0.0;
	n = ceil(root * root / (delta * delta));
	if (n < 1.0)
		n = 1.0;
	if (n >= 9.2e18)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sample size is out of range for type bigint")));
	PG_RETURN_INT64((int64) n);
}

/* ---------- crm.chi2_test ---------- */

typedef struct Chi2State
{
	CrmStrMap	variants;		/* variant -> index */
	int64	   *n;				/* rows per variant */
	int64	   *conv;			/* conversions per variant */
	int			capacity;		/* room in n and conv */
	bool		correction;		/* Yates for a 2x2 table */
} Chi2State;

static Chi2State *
Chi2StateCreate(MemoryContext aggctx, bool correction)
{
	Chi2State  *state = MemoryContextAllocZero(aggctx, sizeof(Chi2State));

	CrmStrMapInit(&state->variants, aggctx, "chi2_test");
	state->capacity = 8;
	state->n = MemoryContextAllocZero(aggctx, sizeof(int64) * state->capacity);
	state->conv = MemoryContextAllocZero(aggctx, sizeof(int64) * state->capacity);
	state->correction = correction;
	return state;
}

/* The counters of a variant, created on first sight. */
static int
Chi2Variant(Chi2State *state, const char *key, int len)
{
	bool		found;
	int			i = CrmStrMapIntern(&state->variants, key, len, &found);

	if (!found)
	{
		if (i >= state->capacity)
		{
			int			cap = state->capacity * 2;

			state->n = CrmMemoryRealloc(state->n, cap, sizeof(int64), "chi2_test", "The variant counters");
			state->conv = CrmMemoryRealloc(state->conv, cap, sizeof(int64), "chi2_test", "The variant counters");
			memset(state->n + state->capacity, 0, sizeof(int64) * (cap - state->capacity));
			memset(state->conv + state->capacity, 0, sizeof(int64) * (cap - state->capacity));
			state->capacity = cap;
		}
	}
	return i;
}

/* The correction argument of chi2_test (default true). */
static bool
Chi2ArgCorrection(FunctionCallInfo fcinfo)
{
	if (PG_NARGS() <= 3)
		return true;
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("correction must not be NULL"),
				 errhint("Pass true for Yates' continuity correction on 2x2 tables (as scipy), false for none.")));
	return PG_GETARG_BOOL(3);
}

/* Every row of a group must ask for the same correction. */
static void
Chi2SameCorrection(bool have, bool got)
{
	if (have != got)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("correction must be the same for every row of a group")));
}

/* Transition: chi2_test(variant, converted [, correction]); NULL rows are skipped. */
Datum
chi2_test_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "chi2_test_transfn");
	Chi2State  *state = PG_ARGISNULL(0) ? NULL : (Chi2State *) PG_GETARG_POINTER(0);
	bool		correction = Chi2ArgCorrection(fcinfo);
	text	   *variant;
	int			i;

	if (state == NULL)
		state = Chi2StateCreate(aggctx, correction);
	else
		Chi2SameCorrection(state->correction, correction);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	variant = PG_GETARG_TEXT_PP(1);
	i = Chi2Variant(state, VARDATA_ANY(variant), VARSIZE_ANY_EXHDR(variant));
	state->n[i]++;
	if (PG_GETARG_BOOL(2))
		state->conv[i]++;
	PG_RETURN_POINTER(state);
}

/* Merge two partial states (a copy of state2 when state1 is NULL). */
Datum
chi2_test_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "chi2_test_combinefn");
	Chi2State  *s1 = PG_ARGISNULL(0) ? NULL : (Chi2State *) PG_GETARG_POINTER(0);
	Chi2State  *s2 = PG_ARGISNULL(1) ? NULL : (Chi2State *) PG_GETARG_POINTER(1);
	int			k;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = Chi2StateCreate(aggctx, s2->correction);
	else
		Chi2SameCorrection(s1->correction, s2->correction);
	for (k = 0; k < s2->variants.nitems; k++)
	{
		int			i = Chi2Variant(s1, s2->variants.keys[k], s2->variants.lens[k]);

		s1->n[i] += s2->n[k];
		s1->conv[i] += s2->conv[k];
	}
	PG_RETURN_POINTER(s1);
}

/* Serialize a state: correction, then (variant, n, conversions) per variant. */
Datum
chi2_test_serialfn(PG_FUNCTION_ARGS)
{
	Chi2State  *state = (Chi2State *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			k;

	(void) CrmAggContext(fcinfo, "chi2_test_serialfn");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CHI2_STATE_FORMAT);
	pq_sendbyte(&buf, state->correction ? 1 : 0);
	pq_sendint32(&buf, state->variants.nitems);
	for (k = 0; k < state->variants.nitems; k++)
	{
		pq_sendint32(&buf, state->variants.lens[k]);
		pq_sendbytes(&buf, state->variants.keys[k], state->variants.lens[k]);
		pq_sendint64(&buf, state->n[k]);
		pq_sendint64(&buf, state->conv[k]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state, validating lengths, counts and distinctness. */
Datum
chi2_test_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "chi2_test_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	Chi2State  *state;
	int			correction,
				nitems,
				k;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	AbCheckStateFormat(pq_getmsgbyte(&buf), CHI2_STATE_FORMAT, "chi2_test");
	correction = pq_getmsgbyte(&buf);
	nitems = pq_getmsgint(&buf, 4);
	/* each variant takes at least 20 bytes */
	if ((correction != 0 && correction != 1) || nitems < 0 ||
		nitems > (buf.len - buf.cursor) / 20)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid chi2_test state")));
	state = Chi2StateCreate(aggctx, correction == 1);
	for (k = 0; k < nitems; k++)
	{
		int			len = pq_getmsgint(&buf, 4);
		const char *key;
		bool		found;
		int			i;

		if (len < 0 || len > buf.len - buf.cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid chi2_test state")));
		key = pq_getmsgbytes(&buf, len);
		i = Chi2Variant(state, key, len);
		found = i < k;
		state->n[i] = pq_getmsgint64(&buf);
		state->conv[i] = pq_getmsgint64(&buf);
		if (found || state->n[i] < 0 || state->conv[i] < 0 || state->conv[i] > state->n[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid chi2_test state")));
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/*
 * The crm.chi2_test row: NULL without rows; chi2 0 and p 1 for one variant
 * (as scipy); NaN when nobody or everybody converted (an expected count of
 * zero, where scipy raises an error).  Reads the state only.
 */
Datum
chi2_test_finalfn(PG_FUNCTION_ARGS)
{
	Chi2State  *state;
	Datum		values[5];
	bool		nulls[5] = {false};
	int			k,
				nv;
	int		   *order;
	double		total = 0.0,
				col1 = 0.0,
				col0,
				chi2 = 0.0,
				p;
	int64		ntotal = 0;

	(void) CrmAggContext(fcinfo, "chi2_test_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (Chi2State *) PG_GETARG_POINTER(0);
	if (state == NULL || state->variants.nitems == 0)
		PG_RETURN_NULL();
	nv = state->variants.nitems;
	order = palloc(sizeof(int) * nv);
	for (k = 0; k < nv; k++)
	{
		order[k] = k;
		ntotal += state->n[k];
		total += (double) state->n[k];
		col1 += (double) state->conv[k];
	}
	qsort_arg(order, nv, sizeof(int), CrmStrMapCmpKeys, &state->variants);
	col0 = total - col1;
	if (nv == 1)
	{
		chi2 = 0.0;
		p = 1.0;
	}
	else if (col0 == 0.0 || col1 == 0.0)
		chi2 = p = NAN;
	else
	{
		for (k = 0; k < nv; k++)
		{
			double		n = (double) state->n[order[k]];
			double		obs[2],
						expct[2];
			int			j;

			obs[1] = (double) state->conv[order[k]];
			obs[0] = n - obs[1];
			expct[0] = n * col0 / total;
			expct[1] = n * col1 / total;
			for (j = 0; j < 2; j++)
			{
				double		o = obs[j];

				if (nv == 2 && state->correction)
				{
					double		diff = expct[j] - o;

					/* Yates: move towards the expectation by at most 0.5 */
					o += (diff > 0 ? 1.0 : diff < 0 ? -1.0 : 0.0) * Min(0.5, fabs(diff));
				}
				chi2 += (o - expct[j]) * (o - expct[j]) / expct[j];
			}
		}
		p = CrmChi2Sf(chi2, (double) (nv - 1));
	}
	values[0] = Int32GetDatum(nv);
	values[1] = Int64GetDatum(ntotal);
	values[2] = Float8GetDatum(chi2);
	values[3] = Int32GetDatum(nv - 1);
	values[4] = Float8GetDatum(p);
	pfree(order);
	PG_RETURN_DATUM(AbResultRow(fcinfo, "chi2_test_finalfn", values, nulls));
}
