/*
 * kmeans_scaler.c
 *		z-score scaling for k-means: crm.scaler_fit (a parallel aggregate of
 *		Welford / Chan et al. running means and variances), crm.scaler_apply and
 *		crm.scaler_inverse, like scikit-learn's StandardScaler.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "kmeans.h"

#define SCALER_STATE_FORMAT		1

/* Aggregate state of crm.scaler_fit (Welford's running mean and M2). */
typedef struct ScalerState
{
	int32		dim;
	int64		n;
	float8	   *mean;
	float8	   *m2;				/* sum of squared deviations from the mean */
} ScalerState;

PG_FUNCTION_INFO_V1(scaler_fit_transfn);
PG_FUNCTION_INFO_V1(scaler_fit_combinefn);
PG_FUNCTION_INFO_V1(scaler_fit_serialfn);
PG_FUNCTION_INFO_V1(scaler_fit_deserialfn);
PG_FUNCTION_INFO_V1(scaler_fit_finalfn);
PG_FUNCTION_INFO_V1(scaler_apply);
PG_FUNCTION_INFO_V1(scaler_inverse);

static ScalerState *
ScalerStateCreate(MemoryContext ctx, int d)
{
	ScalerState *s = MemoryContextAllocZero(ctx, sizeof(ScalerState));

	s->dim = d;
	if (d > 0)
	{
		s->mean = MemoryContextAllocZero(ctx, d * sizeof(float8));
		s->m2 = MemoryContextAllocZero(ctx, d * sizeof(float8));
	}
	return s;
}

/* Transition function of crm.scaler_fit: Welford's update. */
Datum
scaler_fit_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "scaler_fit_transfn");
	ScalerState *s = PG_ARGISNULL(0) ? NULL : (ScalerState *) PG_GETARG_POINTER(0);
	const float8 *x;
	int			d,
				j;

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	d = KmeansCheckPoint(PG_GETARG_ARRAYTYPE_P(1), "features", &x);
	if (s == NULL)
		s = ScalerStateCreate(aggctx, d);
	else if (s->dim != d)
		KmeansDimMismatch(s->dim, d);
	s->n++;
	for (j = 0; j < d; j++)
	{
		double		delta = x[j] - s->mean[j];

		s->mean[j] += delta / s->n;
		s->m2[j] += delta * (x[j] - s->mean[j]);
	}
	PG_RETURN_POINTER(s);
}

/* Merge two partial states (Chan et al.'s pairwise update). */
Datum
scaler_fit_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "scaler_fit_combinefn");
	ScalerState *s1 = PG_ARGISNULL(0) ? NULL : (ScalerState *) PG_GETARG_POINTER(0);
	ScalerState *s2 = PG_ARGISNULL(1) ? NULL : (ScalerState *) PG_GETARG_POINTER(1);
	int			j;
	double		n;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = ScalerStateCreate(aggctx, s2->dim);
		s1->n = s2->n;
		memcpy(s1->mean, s2->mean, s2->dim * sizeof(float8));
		memcpy(s1->m2, s2->m2, s2->dim * sizeof(float8));
		PG_RETURN_POINTER(s1);
	}
	if (s1->dim != s2->dim)
		KmeansDimMismatch(s1->dim, s2->dim);
	n = (double) s1->n + s2->n;
	for (j = 0; j < s1->dim; j++)
	{
		double		delta = s2->mean[j] - s1->mean[j];

		s1->mean[j] += delta * s2->n / n;
		s1->m2[j] += s2->m2[j] + delta * delta * ((double) s1->n * s2->n / n);
	}
	s1->n += s2->n;
	PG_RETURN_POINTER(s1);
}

/* Serialize a crm.scaler_fit state. */
Datum
scaler_fit_serialfn(PG_FUNCTION_ARGS)
{
	ScalerState *s = (ScalerState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			j;

	(void) CrmAggContext(fcinfo, "scaler_fit_serialfn");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SCALER_STATE_FORMAT);
	pq_sendint32(&buf, s->dim);
	pq_sendint64(&buf, s->n);
	for (j = 0; j < s->dim; j++)
	{
		pq_sendfloat8(&buf, s->mean[j]);
		pq_sendfloat8(&buf, s->m2[j]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a crm.scaler_fit state, validating every field. */
Datum
scaler_fit_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "scaler_fit_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	ScalerState *s;
	int			format,
				dim,
				j;
	int64		n;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != SCALER_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported crm.scaler_fit state format %d", format)));
	dim = pq_getmsgint(&buf, 4);
	n = pq_getmsgint64(&buf);
	if (dim < 1 || dim > KMEANS_MAX_DIM || n < 1 ||
		(Size) (buf.len - buf.cursor) != (Size) dim * 2 * sizeof(float8))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.scaler_fit state")));
	s = ScalerStateCreate(aggctx, dim);
	s->n = n;
	for (j = 0; j < dim; j++)
	{
		s->mean[j] = pq_getmsgfloat8(&buf);
		s->m2[j] = pq_getmsgfloat8(&buf);
		if (isnan(s->mean[j]) || isinf(s->mean[j]) || isnan(s->m2[j]) || s->m2[j] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid crm.scaler_fit state")));
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

/* Final function of crm.scaler_fit: the 2 x d model (means; population standard deviations, 1 when 0). */
Datum
scaler_fit_finalfn(PG_FUNCTION_ARGS)
{
	ScalerState *s;
	double	   *m;
	int			j;

	(void) CrmAggContext(fcinfo, "scaler_fit_finalfn");
	s = PG_ARGISNULL(0) ? NULL : (ScalerState *) PG_GETARG_POINTER(0);
	if (s == NULL || s->n == 0)
		PG_RETURN_NULL();
	m = palloc(2 * s->dim * sizeof(double));
	for (j = 0; j < s->dim; j++)
	{
		double		sd = sqrt(s->m2[j] / s->n);

		m[j] = s->mean[j];
		m[s->dim + j] = sd > 0 ? sd : 1.0;
	}
	PG_RETURN_ARRAYTYPE_P(KmeansMatrix(m, 2, s->dim));
}

/*
 * Check a scaler model (2 x d: means, then positive scales) and the values
 * to transform: a 1-D array of d or a 2-D array of rows of d.
 */
static void
ScalerCheck(ArrayType *x, ArrayType *model, const float8 **xv, int *nvalues,
			const float8 **mv, int *d)
{
	int			i;

	if (ARR_NDIM(model) != 2 || ARR_DIMS(model)[0] != 2 || array_contains_nulls(model))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model must be a 2 x d float8 array without NULL elements"),
				 errhint("Pass the result of crm.scaler_fit: means in row 1, scales in row 2.")));
	*d = ARR_DIMS(model)[1];
	*mv = (const float8 *) ARR_DATA_PTR(model);
	for (i = 0; i < *d; i++)
		if (!isfinite((*mv)[i]) || !isfinite((*mv)[*d + i]) || !((*mv)[*d + i] > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model must have finite means and positive finite scales"),
					 errdetail("Column %d has mean %g and scale %g.", i + 1, (*mv)[i], (*mv)[*d + i])));
	if (ARR_NDIM(x) == 1)
	{
		int			len = KmeansCheckPoint(x, "features", xv);

		if (len != *d)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("features and model have different numbers of features"),
					 errdetail("The features have %d elements and the model has %d columns.", len, *d)));
		*nvalues = len;
		return;
	}
	if (ARR_NDIM(x) != 2 || ARR_DIMS(x)[1] != *d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array of %d elements or a two-dimensional array of %d columns",
						*d, *d)));
	if (array_contains_nulls(x))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not contain NULL elements")));
	*xv = (const float8 *) ARR_DATA_PTR(x);
	*nvalues = ARR_DIMS(x)[0] * *d;
	for (i = 0; i < *nvalues; i++)
		if (!isfinite((*xv)[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("features must contain only finite values")));
}

/* Shared body of scaler_apply (forward) and scaler_inverse. */
static ArrayType *
ScalerTransform(ArrayType *x, ArrayType *model, bool forward)
{
	const float8 *xv,
			   *mv;
	int			nvalues,
				d,
				i;
	ArrayType  *result;
	float8	   *out;

	ScalerCheck(x, model, &xv, &nvalues, &mv, &d);
	result = (ArrayType *) palloc(VARSIZE(x));
	memcpy(result, x, VARSIZE(x));
	out = (float8 *) ARR_DATA_PTR(result);
	for (i = 0; i < nvalues; i++)
	{
		int			j = i % d;

		out[i] = forward ? (xv[i] - mv[j]) / mv[d + j] : xv[i] * mv[d + j] + mv[j];
		if (unlikely(isinf(out[i])))
			float_overflow_error();
	}
	return result;
}

/* crm.scaler_apply(features, model): (x - mean) / scale, per feature. */
Datum
scaler_apply(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(ScalerTransform(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), true));
}

/* crm.scaler_inverse(features, model): x * scale + mean, per feature (e.g. centroids back to units). */
Datum
scaler_inverse(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(ScalerTransform(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), false));
}
