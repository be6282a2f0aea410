/*
 * kmeans_evaluate.c
 *		Choosing k: crm.kmeans_evaluate fits k = k_min..k_max on the points of
 *		a caller's query and reports inertia and the simplified silhouette
 *		(Hruschka et al. 2004) for each k.
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
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "kmeans.h"

PG_FUNCTION_INFO_V1(kmeans_evaluate);

/* Mean simplified silhouette: (b - a) / max(a, b) with a, b the two nearest centroid distances. */
static double
KmeansSimplifiedSilhouette(const double *x, int n, int d, const double *centers, int k)
{
	double		sum = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		double		d1,
					d2,
					a,
					b;

		(void) KmeansNearestTwo(x + (size_t) i * d, centers, k, d, &d1, &d2);
		a = sqrt(d1);
		b = sqrt(d2);
		if (b > 0)
			sum += (b - a) / b;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return sum / n;
}

/* What crm.kmeans_evaluate's row callback needs. */
typedef struct KmeansEvaluateReader
{
	KmeansState *state;
	MemoryContext ctx;
} KmeansEvaluateReader;

/* One row of crm.kmeans_evaluate's query: a point (NULL rows are skipped). */
static void
KmeansEvaluateRow(TupleTableSlot *slot, void *arg)
{
	KmeansEvaluateReader *r = (KmeansEvaluateReader *) arg;
	KmeansState *state = r->state;
	const float8 *x;
	int			d;

	if (slot->tts_isnull[0])
		return;
	d = KmeansCheckPoint(DatumGetArrayTypeP(slot->tts_values[0]), "features", &x);
	if (state->dim == 0)
		KmeansSetDim(state, d);
	else if (state->dim != d)
		KmeansDimMismatch(state->dim, d);
	KmeansAddPoint(state, r->ctx, x);
}

/*
 * crm.kmeans_evaluate(query, k_min, k_max, seed, restarts): fits k-means for
 * each k of the range on the points of a query returning one float8[]
 * column; one row per k with inertia, simplified silhouette and centroids.
 */
Datum
kmeans_evaluate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	int32		k_min,
				k_max,
				restarts;
	int64		seed;
	int			i;
	MemoryContext ctx,
				rowctx,
				old;
	CrmQuery	q;
	KmeansEvaluateReader reader;
	KmeansState *state;
	int32		k;

	for (i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("arguments of crm.kmeans_evaluate must not be NULL")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	k_min = PG_GETARG_INT32(1);
	k_max = PG_GETARG_INT32(2);
	seed = PG_GETARG_INT64(3);
	restarts = PG_GETARG_INT32(4);
	KmeansCheckK(k_min);
	KmeansCheckK(k_max);
	KmeansCheckRestarts(restarts);
	if (k_min > k_max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_min must not be larger than k_max"),
				 errdetail("Got k_min %d and k_max %d.", k_min, k_max)));

	InitMaterializedSRF(fcinfo, 0);
	ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.kmeans_evaluate", ALLOCSET_DEFAULT_SIZES);
	rowctx = AllocSetContextCreate(ctx, "crm.kmeans_evaluate fits", ALLOCSET_DEFAULT_SIZES);
	state = KmeansStateCreate(ctx, k_max, seed, restarts);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CrmQueryOpen(&q, query, 1, 1, "crm.kmeans_evaluate", "(features float8[])");
	{
		Oid			types[1] = {FLOAT8ARRAYOID};

		CrmCheckColumnType(q.desc, 1, "crm.kmeans_evaluate", "features", types, 1, "float8[]");
	}
	reader.state = state;
	reader.ctx = ctx;
	(void) CrmQueryForEachRow(&q, KmeansEvaluateRow, &reader);
	CrmQueryClose(&q);
	SPI_finish();

	if (state->nseen > state->npoints)
		ereport(NOTICE,
				(errmsg("crm.kmeans_evaluate clustered a uniform random sample of %d of " INT64_FORMAT " points",
						state->npoints, state->nseen),
				 errdetail("The points held are bounded by crm_analytics.kmeans_max_memory (%d kB) and crm_analytics.max_memory (%d kB).",
						   kmeans_max_memory, crm_max_memory_kb)));

	for (k = k_min; k <= k_max && state->npoints > 0; k++)
	{
		KmeansRun	run;
		Datum		values[4];
		bool		nulls[4] = {false};

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(rowctx);
		KmeansRunInit(&run, state->points, state->npoints, state->dim, k, (uint64) state->seed);
		KmeansFit(&run, restarts);
		values[0] = Int32GetDatum(k);
		values[1] = Float8GetDatum(run.best_inertia);
		if (k == 1)
			nulls[2] = true;
		else
			values[2] = Float8GetDatum(KmeansSimplifiedSilhouette(run.x, run.n, run.d, run.best, k));
		values[3] = PointerGetDatum(KmeansMatrix(run.best, k, state->dim));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowctx);
	}
	MemoryContextDelete(ctx);
	return (Datum) 0;
}

