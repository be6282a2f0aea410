/*
 * evaluate.c
 *		Evaluating predictions: crm.auc, crm.classification_metrics and
 *		crm.regression_metrics (parallel aggregates over prediction pairs),
 *		crm.lift_table and crm.roc_curve (over a query of (score, label)),
 *		and crm.hash_split (a deterministic train/test split).
 *
 * AUC is the Mann-Whitney statistic: the probability that a random positive
 * scores above a random negative, ties counted half (Hanley & McNeil 1982),
 * computed exactly from the score histogram (score_histogram.c) in one
 * ascending walk:  2U = sum over scores s of pos(s) * (2 neg(< s) + neg(s)),
 * AUC = 2U / (2 P N), in 128-bit integers.  It equals scikit-learn's
 * roc_auc_score.
 *
 * Running sums are Neumaier-compensated and combined exactly (their two
 * parts are serialized); the variance of the actual values combines by
 * Chan, Golub & LeVeque's pairwise formula.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "evaluate.h"

PG_FUNCTION_INFO_V1(auc_transfn);
PG_FUNCTION_INFO_V1(auc_combinefn);
PG_FUNCTION_INFO_V1(auc_serialfn);
PG_FUNCTION_INFO_V1(auc_deserialfn);
PG_FUNCTION_INFO_V1(auc_finalfn);
PG_FUNCTION_INFO_V1(classification_metrics_transfn);
PG_FUNCTION_INFO_V1(classification_metrics_combinefn);
PG_FUNCTION_INFO_V1(classification_metrics_serialfn);
PG_FUNCTION_INFO_V1(classification_metrics_deserialfn);
PG_FUNCTION_INFO_V1(classification_metrics_finalfn);
PG_FUNCTION_INFO_V1(regression_metrics_transfn);
PG_FUNCTION_INFO_V1(regression_metrics_combinefn);
PG_FUNCTION_INFO_V1(regression_metrics_serialfn);
PG_FUNCTION_INFO_V1(regression_metrics_deserialfn);
PG_FUNCTION_INFO_V1(regression_metrics_finalfn);
PG_FUNCTION_INFO_V1(lift_table);
PG_FUNCTION_INFO_V1(roc_curve);
PG_FUNCTION_INFO_V1(hash_split);

#define CRM_CLASS_METRICS_FORMAT	1
#define CRM_REG_METRICS_FORMAT		1
#define CRM_MAX_BINS				10000
/* Probabilities are clipped to [eps, 1 - eps] in the log loss, as scikit-learn does. */
#define CRM_LOG_LOSS_EPS			1e-15

/* ----------------------------------------------------------------------
 * crm.auc(score, label)
 * ---------------------------------------------------------------------- */

/* A new histogram state in the aggregate context. */
static CrmScoreHist *
CrmAucState(MemoryContext aggctx)
{
	CrmScoreHist *h = MemoryContextAlloc(aggctx, sizeof(CrmScoreHist));

	CrmScoreHistInit(h, aggctx, "crm.auc");
	return h;
}

Datum
auc_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "auc_transfn");
	CrmScoreHist *h = PG_ARGISNULL(0) ? NULL : (CrmScoreHist *) PG_GETARG_POINTER(0);

	if (h == NULL)
		h = CrmAucState(aggctx);
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
		CrmScoreHistAdd(h, PG_GETARG_FLOAT8(1), PG_GETARG_BOOL(2));
	PG_RETURN_POINTER(h);
}

Datum
auc_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "auc_combinefn");
	CrmScoreHist *h1 = PG_ARGISNULL(0) ? NULL : (CrmScoreHist *) PG_GETARG_POINTER(0);
	CrmScoreHist *h2 = PG_ARGISNULL(1) ? NULL : (CrmScoreHist *) PG_GETARG_POINTER(1);

	if (h2 == NULL)
		PG_RETURN_POINTER(h1);
	if (h1 == NULL)
		h1 = CrmAucState(aggctx);
	CrmScoreHistMerge(h1, h2);
	PG_RETURN_POINTER(h1);
}

Datum
auc_serialfn(PG_FUNCTION_ARGS)
{
	CrmScoreHist *h = (CrmScoreHist *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) CrmAggContext(fcinfo, "auc_serialfn");
	pq_begintypsend(&buf);
	CrmScoreHistSerialize(&buf, h);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
auc_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "auc_deserialfn");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	CrmScoreHist *h = CrmAucState(aggctx);

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	CrmScoreHistDeserialize(&buf, h);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(h);
}

/* Exact sums of count products (128-bit integers where the compiler has them). */
#ifdef HAVE_INT128
typedef uint128 CrmWideCount;
#else
typedef long double CrmWideCount;
#endif

/* The exact AUC of a histogram, or -1 when a class is missing. */
static double
CrmHistAuc(const CrmScoreHist *h)
{
	CrmScoreHistIter it;
	uint64		key;
	int64		pos,
				neg;
	CrmWideCount twice_u = 0;
	CrmWideCount below = 0;
	int64		n = 0;

	if (h->positives == 0 || h->negatives == 0)
		return -1;
	CrmScoreHistIterBegin(&it, h);
	while (CrmScoreHistIterNext(&it, &key, &pos, &neg))
	{
		twice_u += (CrmWideCount) pos * (2 * below + (CrmWideCount) neg);
		below += (uint64) neg;
		if ((++n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	CrmScoreHistIterEnd(&it);
	return (double) ((long double) twice_u / (2.0L * (long double) h->positives * (long double) h->negatives));
}

/* AUC, or NULL without both a positive and a negative row. */
Datum
auc_finalfn(PG_FUNCTION_ARGS)
{
	CrmScoreHist *h;
	double		auc;

	(void) CrmAggContext(fcinfo, "auc_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	h = (CrmScoreHist *) PG_GETARG_POINTER(0);
	auc = CrmHistAuc(h);
	if (auc < 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(auc);
}

/* ----------------------------------------------------------------------
 * crm.classification_metrics(score, label [, threshold])
 * ---------------------------------------------------------------------- */

typedef struct CrmClassMetrics
{
	double		threshold;
	int64		tp,
				fp,
				tn,
				fn;
	int64		out_of_range;	/* scores outside [0, 1]: no log loss, no Brier */
	CrmFloatSum log_loss;
	CrmFloatSum brier;
} CrmClassMetrics;

static CrmClassMetrics *
CrmClassMetricsNew(MemoryContext aggctx, double threshold)
{
	CrmClassMetrics *s = MemoryContextAllocZero(aggctx, sizeof(CrmClassMetrics));

	s->threshold = threshold;
	return s;
}

/* The threshold argument, checked. */
static double
CrmThresholdArg(FunctionCallInfo fcinfo, int argno)
{
	double		t;

	if (PG_NARGS() <= argno)
		return 0.5;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("threshold of crm.classification_metrics must not be NULL")));
	t = PG_GETARG_FLOAT8(argno);
	if (isnan(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold of crm.classification_metrics must not be NaN")));
	return t;
}

/* Thresholds of two parts of one aggregate must agree. */
static void
CrmSameThreshold(double a, double b)
{
	if (a != b)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold of crm.classification_metrics must be the same for every row of a group"),
				 errdetail("Got %g and %g.", a, b)));
}

Datum
classification_metrics_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "classification_metrics_transfn");
	CrmClassMetrics *s = PG_ARGISNULL(0) ? NULL : (CrmClassMetrics *) PG_GETARG_POINTER(0);
	double		threshold = CrmThresholdArg(fcinfo, 3);
	double		score;
	bool		label,
				predicted;

	if (s == NULL)
		s = CrmClassMetricsNew(aggctx, threshold);
	else
		CrmSameThreshold(s->threshold, threshold);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	score = PG_GETARG_FLOAT8(1);
	label = PG_GETARG_BOOL(2);
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score of crm.classification_metrics must not be NaN"),
				 errhint("Filter out rows with a NaN score.")));
	predicted = score >= s->threshold;
	if (predicted)
	{
		if (label)
			s->tp++;
		else
			s->fp++;
	}
	else if (label)
		s->fn++;
	else
		s->tn++;
	if (score >= 0.0 && score <= 1.0)
	{
		double		p = Min(Max(score, CRM_LOG_LOSS_EPS), 1.0 - CRM_LOG_LOSS_EPS);

		CrmFloatSumAdd(&s->log_loss, label ? -log(p) : -log1p(-p));
		CrmFloatSumAdd(&s->brier, (score - label) * (score - label));
	}
	else
		s->out_of_range++;
	PG_RETURN_POINTER(s);
}

Datum
classification_metrics_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "classification_metrics_combinefn");
	CrmClassMetrics *s1 = PG_ARGISNULL(0) ? NULL : (CrmClassMetrics *) PG_GETARG_POINTER(0);
	CrmClassMetrics *s2 = PG_ARGISNULL(1) ? NULL : (CrmClassMetrics *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
		PG_RETURN_POINTER(s1);
	if (s1 == NULL)
	{
		s1 = CrmClassMetricsNew(aggctx, s2->threshold);
		memcpy(s1, s2, sizeof(CrmClassMetrics));
		PG_RETURN_POINTER(s1);
	}
	CrmSameThreshold(s1->threshold, s2->threshold);
	s1->tp += s2->tp;
	s1->fp += s2->fp;
	s1->tn += s2->tn;
	s1->fn += s2->fn;
	s1->out_of_range += s2->out_of_range;
	CrmFloatSumAdd(&s1->log_loss, s2->log_loss.sum);
	CrmFloatSumAdd(&s1->log_loss, s2->log_loss.comp);
	CrmFloatSumAdd(&s1->brier, s2->brier.sum);
	CrmFloatSumAdd(&s1->brier, s2->brier.comp);
	PG_RETURN_POINTER(s1);
}

Datum
classification_metrics_serialfn(PG_FUNCTION_ARGS)
{
	CrmClassMetrics *s = (CrmClassMetrics *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) CrmAggContext(fcinfo, "classification_metrics_serialfn");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CRM_CLASS_METRICS_FORMAT);
	pq_sendfloat8(&buf, s->threshold);
	pq_sendint64(&buf, s->tp);
	pq_sendint64(&buf, s->fp);
	pq_sendint64(&buf, s->tn);
	pq_sendint64(&buf, s->fn);
	pq_sendint64(&buf, s->out_of_range);
	pq_sendfloat8(&buf, s->log_loss.sum);
	pq_sendfloat8(&buf, s->log_loss.comp);
	pq_sendfloat8(&buf, s->brier.sum);
	pq_sendfloat8(&buf, s->brier.comp);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
classification_metrics_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "classification_metrics_deserialfn");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	CrmClassMetrics *s;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	if (buf.len != 1 + 8 * 10 || pq_getmsgbyte(&buf) != CRM_CLASS_METRICS_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid classification_metrics state")));
	s = CrmClassMetricsNew(aggctx, pq_getmsgfloat8(&buf));
	s->tp = pq_getmsgint64(&buf);
	s->fp = pq_getmsgint64(&buf);
	s->tn = pq_getmsgint64(&buf);
	s->fn = pq_getmsgint64(&buf);
	s->out_of_range = pq_getmsgint64(&buf);
	s->log_loss.sum = pq_getmsgfloat8(&buf);
	s->log_loss.comp = pq_getmsgfloat8(&buf);
	s->brier.sum = pq_getmsgfloat8(&buf);
	s->brier.comp = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	if (isnan(s->threshold) || s->tp < 0 || s->fp < 0 || s->tn < 0 || s->fn < 0 || s->out_of_range < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid classification_metrics state")));
	PG_RETURN_POINTER(s);
}

/* x / y, or NULL (isnull) when y is 0. */
static Datum
CrmRatio(double x, double y, bool *isnull)
{
	*isnull = y == 0;
	return Float8GetDatum(y == 0 ? 0.0 : x / y);
}

/*
 * (n, positives, tp, fp, tn, fn, accuracy, precision, recall, f1, log_loss,
 * brier); ratios with a zero denominator are NULL, and so are log_loss and
 * brier when a score lies outside [0, 1].
 */
Datum
classification_metrics_finalfn(PG_FUNCTION_ARGS)
{
	CrmClassMetrics *s;
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12] = {false};
	int64		n;

	(void) CrmAggContext(fcinfo, "classification_metrics_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (CrmClassMetrics *) PG_GETARG_POINTER(0);
	n = s->tp + s->fp + s->tn + s->fn;
	if (n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum(n);
	values[1] = Int64GetDatum(s->tp + s->fn);
	values[2] = Int64GetDatum(s->tp);
	values[3] = Int64GetDatum(s->fp);
	values[4] = Int64GetDatum(s->tn);
	values[5] = Int64GetDatum(s->fn);
	values[6] = CrmRatio((double) (s->tp + s->tn), (double) n, &nulls[6]);
	values[7] = CrmRatio((double) s->tp, (double) (s->tp + s->fp), &nulls[7]);
	values[8] = CrmRatio((double) s->tp, (double) (s->tp + s->fn), &nulls[8]);
	values[9] = CrmRatio(2.0 * s->tp, (double) (2 * s->tp + s->fp + s->fn), &nulls[9]);
	values[10] = Float8GetDatum(CrmFloatSumResult(&s->log_loss) / n);
	values[11] = Float8GetDatum(CrmFloatSumResult(&s->brier) / n);
	nulls[10] = nulls[11] = s->out_of_range > 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ----------------------------------------------------------------------
 * crm.regression_metrics(prediction, actual)
 * ---------------------------------------------------------------------- */

typedef struct CrmRegMetrics
{
	int64		n;
	CrmFloatSum sse;			/* sum of squared errors */
	CrmFloatSum sae;			/* sum of absolute errors */
	double		mean;			/* of the actual values (Welford) */
	double		m2;
} CrmRegMetrics;

Datum
regression_metrics_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "regression_metrics_transfn");
	CrmRegMetrics *s = PG_ARGISNULL(0) ? NULL : (CrmRegMetrics *) PG_GETARG_POINTER(0);
	double		pred,
				actual,
				e,
				delta;

	if (s == NULL)
		s = MemoryContextAllocZero(aggctx, sizeof(CrmRegMetrics));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	pred = PG_GETARG_FLOAT8(1);
	actual = PG_GETARG_FLOAT8(2);
	if (!isfinite(pred) || !isfinite(actual))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("prediction and actual value of crm.regression_metrics must be finite numbers"),
				 errdetail("Got %g and %g.", pred, actual),
				 errhint("Filter out NaN and infinite values.")));
	e = pred - actual;
	CrmFloatSumAdd(&s->sse, e * e);
	CrmFloatSumAdd(&s->sae, fabs(e));
	s->n++;
	delta = actual - s->mean;
	s->mean += delta / s->n;
	s->m2 += delta * (actual - s->mean);
	PG_RETURN_POINTER(s);
}

Datum
regression_metrics_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "regression_metrics_combinefn");
	CrmRegMetrics *s1 = PG_ARGISNULL(0) ? NULL : (CrmRegMetrics *) PG_GETARG_POINTER(0);
	CrmRegMetrics *s2 = PG_ARGISNULL(1) ? NULL : (CrmRegMetrics *) PG_GETARG_POINTER(1);
	int64		n;
	double		delta;

	if (s2 == NULL)
		PG_RETURN_POINTER(s1);
	if (s1 == NULL)
	{
		s1 = MemoryContextAlloc(aggctx, sizeof(CrmRegMetrics));
		memcpy(s1, s2, sizeof(CrmRegMetrics));
		PG_RETURN_POINTER(s1);
	}
	if (s2->n == 0)
		PG_RETURN_POINTER(s1);
	n = s1->n + s2->n;
	delta = s2->mean - s1->mean;
	s1->m2 += s2->m2 + delta * delta * ((double) s1->n * s2->n / n);
	s1->mean += delta * ((double) s2->n / n);
	s1->n = n;
	CrmFloatSumAdd(&s1->sse, s2->sse.sum);
	CrmFloatSumAdd(&s1->sse, s2->sse.comp);
	CrmFloatSumAdd(&s1->sae, s2->sae.sum);
	CrmFloatSumAdd(&s1->sae, s2->sae.comp);
	PG_RETURN_POINTER(s1);
}

Datum
regression_metrics_serialfn(PG_FUNCTION_ARGS)
{
	CrmRegMetrics *s = (CrmRegMetrics *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) CrmAggContext(fcinfo, "regression_metrics_serialfn");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CRM_REG_METRICS_FORMAT);
	pq_sendint64(&buf, s->n);
	pq_sendfloat8(&buf, s->sse.sum);
	pq_sendfloat8(&buf, s->sse.comp);
	pq_sendfloat8(&buf, s->sae.sum);
	pq_sendfloat8(&buf, s->sae.comp);
	pq_sendfloat8(&buf, s->mean);
	pq_sendfloat8(&buf, s->m2);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
regression_metrics_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "regression_metrics_deserialfn");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	CrmRegMetrics *s;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	if (buf.len != 1 + 8 * 7 || pq_getmsgbyte(&buf) != CRM_REG_METRICS_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid regression_metrics state")));
	s = MemoryContextAllocZero(aggctx, sizeof(CrmRegMetrics));
	s->n = pq_getmsgint64(&buf);
	s->sse.sum = pq_getmsgfloat8(&buf);
	s->sse.comp = pq_getmsgfloat8(&buf);
	s->sae.sum = pq_getmsgfloat8(&buf);
	s->sae.comp = pq_getmsgfloat8(&buf);
	s->mean = pq_getmsgfloat8(&buf);
	s->m2 = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	if (s->n < 0 || !isfinite(s->mean) || !(s->m2 >= 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid regression_metrics state")));
	PG_RETURN_POINTER(s);
}

/* (n, rmse, mae, r2); r2 is NULL when the actual values are all equal. */
Datum
regression_metrics_finalfn(PG_FUNCTION_ARGS)
{
	CrmRegMetrics *s;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};

	(void) CrmAggContext(fcinfo, "regression_metrics_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (CrmRegMetrics *) PG_GETARG_POINTER(0);
	if (s->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum(s->n);
	values[1] = Float8GetDatum(sqrt(CrmFloatSumResult(&s->sse) / s->n));
	values[2] = Float8GetDatum(CrmFloatSumResult(&s->sae) / s->n);
	values[3] = CrmRatio(CrmFloatSumResult(&s->sse), s->m2, &nulls[3]);
	if (!nulls[3])
		values[3] = Float8GetDatum(1.0 - DatumGetFloat8(values[3]));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ----------------------------------------------------------------------
 * Reading (score, label) from a caller's query
 * ---------------------------------------------------------------------- */

typedef struct CrmScoreQuery
{
	CrmScoreHist *h;
	CrmCast		cast;
} CrmScoreQuery;

static void
CrmScoreQueryRow(TupleTableSlot *slot, void *arg)
{
	CrmScoreQuery *sq = (CrmScoreQuery *) arg;

	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	CrmScoreHistAdd(sq->h, DatumGetFloat8(CrmCastValue(&sq->cast, slot->tts_values[0])),
					DatumGetBool(slot->tts_values[1]));
}

/*
 * Run a query returning (score, label) and build its sorted histogram in a
 * new memory context (returned; SPI stays connected and the context is
 * current until CrmScoreQueryEnd).  Rows with a NULL score or label are
 * skipped.
 */
static MemoryContext
CrmScoreQueryBegin(const char *query, const char *fn, CrmScoreHist *h, MemoryContext *old)
{
	static const Oid bool_types[] = {BOOLOID};
	static const Oid score_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID};
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "crm score query", ALLOCSET_DEFAULT_SIZES);
	CrmQuery	q;
	CrmScoreQuery sq;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	*old = MemoryContextSwitchTo(ctx);
	CrmScoreHistInit(h, ctx, fn);
	CrmQueryOpen(&q, query, 2, 2, fn, "(score, label)");
	CrmCheckColumnType(q.desc, 1, fn, "score", score_types, lengthof(score_types), "a number");
	CrmCheckColumnType(q.desc, 2, fn, "label", bool_types, 1, "a boolean");
	CrmCastInit(&sq.cast, TupleDescAttr(q.desc, 0)->atttypid, FLOAT8OID, fn, "score");
	sq.h = h;
	(void) CrmQueryForEachRow(&q, CrmScoreQueryRow, &sq);
	CrmQueryClose(&q);
	CrmScoreHistCompact(h);
	return ctx;
}

/* Free what CrmScoreQueryBegin made and disconnect from SPI. */
static void
CrmScoreQueryEnd(MemoryContext ctx, MemoryContext old)
{
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

/*
 * crm.lift_table(query, bins): the rows ranked by score, highest first, cut
 * into bins of equal size (the first n mod bins bins one row larger, as
 * ntile() does).  Rows with equal scores that straddle a boundary are
 * shared out in proportion, so their positives count fractionally: the
 * expected value over every order of the tied rows.
 */
Datum
lift_table(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	int32		bins;
	MemoryContext ctx,
				old;
	CrmScoreHist h;
	int64		n,
				g,
				total_rows = 0;
	double		total_pos,
				cum_pos = 0.0,
				base_rate;
	int			b;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query and bins of crm.lift_table must not be NULL")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bins = PG_GETARG_INT32(1);
	if (bins < 1 || bins > CRM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between 1 and %d", CRM_MAX_BINS),
				 errdetail("Got %d.", bins)));
	InitMaterializedSRF(fcinfo, 0);
	ctx = CrmScoreQueryBegin(query, "crm.lift_table", &h, &old);
	n = h.positives + h.negatives;
	total_pos = (double) h.positives;
	base_rate = n > 0 ? total_pos / n : 0.0;

	/* walk the distinct scores from the highest, filling bins */
	g = h.n - 1;
	{
		int64		left_in_group = g >= 0 ? (int64) h.pos[g] + h.neg[g] : 0;

		for (b = 0; b < bins && g >= 0; b++)
		{
			int64		size = n / bins + (b < n % bins ? 1 : 0);
			int64		filled = 0;
			double		positives = 0.0;
			double		max_score = NAN,
						min_score = NAN;
			Datum		values[9];
			bool		nulls[9] = {false};

			if (size == 0)
				break;
			while (filled < size && g >= 0)
			{
				int64		group = (int64) h.pos[g] + h.neg[g];
				int64		take = Min(size - filled, left_in_group);
				double		score = CrmScoreFromKey(h.key[g]);

				if (isnan(max_score))
					max_score = score;
				min_score = score;
				positives += (double) h.pos[g] * take / group;
				filled += take;
				left_in_group -= take;
				if (left_in_group == 0)
				{
					g--;
					left_in_group = g >= 0 ? (int64) h.pos[g] + h.neg[g] : 0;
				}
			}
			total_rows += filled;
			cum_pos += positives;
			values[0] = Int32GetDatum(b + 1);
			values[1] = Int64GetDatum(filled);
			values[2] = Float8GetDatum(min_score);
			values[3] = Float8GetDatum(max_score);
			values[4] = Float8GetDatum(positives);
			values[5] = Float8GetDatum(positives / filled);
			values[6] = CrmRatio(positives / filled, base_rate, &nulls[6]);
			values[7] = CrmRatio(cum_pos, total_pos, &nulls[7]);
			values[8] = CrmRatio(cum_pos / total_rows, base_rate, &nulls[8]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	CrmScoreQueryEnd(ctx, old);
	return (Datum) 0;
}

/*
 * crm.roc_curve(query, drop_intermediate): (threshold, tpr, fpr) for every
 * distinct score from the highest, after a first point (Infinity, 0, 0), as
 * scikit-learn's roc_curve; with drop_intermediate, the points inside
 * straight segments (where neither the true nor the false positive count
 * changes slope) are left out, as scikit-learn does by default.
 */
Datum
roc_curve(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	bool		drop;
	MemoryContext ctx,
				old;
	CrmScoreHist h;
	int64		g,
				m,
				k,
				tp = 0,
				fp = 0;
	int64	   *tps,
			   *fps;
	double	   *thr;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query and drop_intermediate of crm.roc_curve must not be NULL")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	drop = PG_GETARG_BOOL(1);
	InitMaterializedSRF(fcinfo, 0);
	ctx = CrmScoreQueryBegin(query, "crm.roc_curve", &h, &old);
	if (h.positives == 0 || h.negatives == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of crm.roc_curve needs both positive and negative labels"),
				 errdetail("It returned " INT64_FORMAT " positive and " INT64_FORMAT " negative rows.",
						   h.positives, h.negatives)));

	/* cumulative counts at each distinct score, from the highest */
	tps = CrmMemoryAlloc(ctx, h.n + 1, sizeof(int64), "crm.roc_curve", "the curve");
	fps = CrmMemoryAlloc(ctx, h.n + 1, sizeof(int64), "crm.roc_curve", "the curve");
	thr = CrmMemoryAlloc(ctx, h.n + 1, sizeof(double), "crm.roc_curve", "the curve");
	tps[0] = fps[0] = 0;
	thr[0] = INFINITY;
	m = 1;
	for (g = h.n - 1; g >= 0; g--)
	{
		tp += h.pos[g];
		fp += h.neg[g];
		/* equal keys only come from split counts: one point per score */
		if (g > 0 && h.key[g - 1] == h.key[g])
			continue;
		tps[m] = tp;
		fps[m] = fp;
		thr[m] = CrmScoreFromKey(h.key[g]);
		m++;
	}
	for (k = 0; k < m; k++)
	{
		Datum		values[3];
		bool		nulls[3] = {false};

		/*
		 * as scikit-learn: among the points after (Infinity, 0, 0), keep the
		 * first, the last and those where a second difference is non-zero
		 */
		if (drop && k > 1 && k < m - 1 &&
			(fps[k + 1] - 2 * fps[k] + fps[k - 1]) == 0 &&
			(tps[k + 1] - 2 * tps[k] + tps[k - 1]) == 0)
			continue;
		values[0] = Float8GetDatum(thr[k]);
		values[1] = Float8GetDatum((double) tps[k] / h.positives);
		values[2] = Float8GetDatum((double) fps[k] / h.negatives);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	CrmScoreQueryEnd(ctx, old);
	return (Datum) 0;
}

/* ----------------------------------------------------------------------
 * crm.hash_split(key, test_fraction)
 * ---------------------------------------------------------------------- */

/*
 * true (the row goes to the test set) when u < test_fraction, where u in
 * [0, 1) comes from the key's bytes: FNV-1a (64-bit), then the SplitMix64
 * finaliser, top 53 bits.  It depends on the key only, so the same key
 * always lands on the same side whatever the row order, and any language
 * can reproduce it.
 */
Datum
hash_split(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	double		fraction = PG_GETARG_FLOAT8(1);
	const unsigned char *s = (const unsigned char *) VARDATA_ANY(key);
	int			len = VARSIZE_ANY_EXHDR(key);
	uint64		h = UINT64CONST(0xcbf29ce484222325);
	double		u;
	int			i;

	if (!(fraction >= 0.0 && fraction <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_fraction must be between 0 and 1"),
				 errdetail("Got %g.", fraction)));
	for (i = 0; i < len; i++)
	{
		h ^= s[i];
		h *= UINT64CONST(0x100000001b3);
	}
	h = (h ^ (h >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	h = (h ^ (h >> 27)) * UINT64CONST(0x94d049bb133111eb);
	h ^= h >> 31;
	u = (double) (h >> 11) * (1.0 / 9007199254740992.0);
	PG_RETURN_BOOL(u < fraction);
}
