/*
 * kmeans.c
 *		Customer segmentation: k-means clustering and cluster assignment.
 *
 * crm.kmeans(features, k [, seed [, restarts]]) is a parallel aggregate.  Its
 * state collects the points (a flat float8 array, one row of d values per
 * point); workers' states are concatenated by the combine function.  The
 * state is bounded by crm_analytics.kmeans_max_memory: past the bound it
 * keeps a uniform reservoir sample of the points (Vitter's algorithm R) and
 * two samples merge into a uniform sample of their union by drawing each
 * slot from either side with probability proportional to the number of
 * points that side has seen (a hypergeometric split), so sampling stays
 * uniform under parallel plans.
 *
 * The final function clusters the collected points as scikit-learn's KMeans
 * does:
 *  - greedy k-means++ seeding (Arthur & Vassilvitskii, "k-means++: the
 *    advantages of careful seeding", SODA 2007), trying 2 + ln(k) candidates
 *    for each centre and keeping the one that lowers the potential most;
 *  - Lloyd iterations accelerated with Hamerly's bounds (G. Hamerly, "Making
 *    k-means even faster", SDM 2010): one upper bound to the assigned centre
 *    and one lower bound to every other centre let most points skip the
 *    distance computations, with the same assignments as plain Lloyd;
 *  - convergence when the assignments no longer change or the centres moved
 *    by at most tol * (mean variance of the features) in squared distance,
 *    with an iteration cap (300 and 1e-4 by default, as scikit-learn);
 *  - an empty cluster is moved to the point farthest from its centre;
 *  - several restarts from one seeded PRNG (xoshiro256**), keeping the
 *    solution with the lowest inertia.
 * The centroids are returned sorted lexicographically, so the same solution
 * always gets the same cluster numbers, whatever the seeding order.
 *
 * crm.closest_centroid assigns a point to its nearest centroid (1-based)
 * and crm.kmeans_inertia sums the squared distances of points to their
 * nearest centroid.  Choosing k (crm.kmeans_evaluate) is in
 * kmeans_evaluate.c, feature scaling (crm.scaler_*) in kmeans_scaler.c.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"
#include "kmeans.h"


/* GUCs */
int			kmeans_max_memory = 131072; /* kB */
static int	kmeans_max_iterations = 300;
static double kmeans_tolerance = 1e-4;




PG_FUNCTION_INFO_V1(kmeans_transfn);
PG_FUNCTION_INFO_V1(kmeans_combinefn);
PG_FUNCTION_INFO_V1(kmeans_serialfn);
PG_FUNCTION_INFO_V1(kmeans_deserialfn);
PG_FUNCTION_INFO_V1(kmeans_finalfn);
PG_FUNCTION_INFO_V1(closest_centroid);
PG_FUNCTION_INFO_V1(centroid_distance);
PG_FUNCTION_INFO_V1(kmeans_inertia_transfn);

/* Define the crm_analytics.kmeans_* settings. */
void
KmeansDefineGUCs(void)
{
	DefineCustomIntVariable("crm_analytics.kmeans_max_memory",
							"Memory bound of one crm.kmeans aggregate state and of crm.kmeans_evaluate.",
							"Past it, k-means clusters a uniform random sample of the points. "
							"Each point takes 8 bytes per feature plus 32 bytes of clustering scratch.",
							&kmeans_max_memory,
							131072, 64, KMEANS_MAX_MEMORY_KB,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("crm_analytics.kmeans_max_iterations",
							"Maximum number of Lloyd iterations of each k-means restart.",
							NULL,
							&kmeans_max_iterations,
							300, 1, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomRealVariable("crm_analytics.kmeans_tolerance",
							 "Convergence tolerance of k-means, relative to the mean variance of the features.",
							 "Iterations stop when the squared centroid movement is at most this times the mean feature variance.",
							 &kmeans_tolerance,
							 1e-4, 0.0, 1.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

/* ---------- PRNG ---------- */

static inline uint64
KmeansRotl(uint64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Seed xoshiro256** through splitmix64, as its authors recommend. */
static void
KmeansRngSeed(KmeansRng *rng, uint64 seed)
{
	int			i;

	for (i = 0; i < 4; i++)
	{
		uint64		z = (seed += UINT64CONST(0x9E3779B97F4A7C15));

		z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
		z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
		rng->s[i] = z ^ (z >> 31);
	}
}

static inline uint64
KmeansRngNext(KmeansRng *rng)
{
	uint64	   *s = rng->s;
	uint64		result = KmeansRotl(s[1] * 5, 7) * 9;
	uint64		t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = KmeansRotl(s[3], 45);
	return result;
}

/* Uniform double in [0, 1). */
static inline double
KmeansRngDouble(KmeansRng *rng)
{
	return (KmeansRngNext(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n), n > 0 (the modulo bias is below n / 2^64). */
static inline uint64
KmeansRngBelow(KmeansRng *rng, uint64 n)
{
	return KmeansRngNext(rng) % n;
}

/* ---------- argument checks ---------- */

/*
 * Check a features array: one dimension, no NULL, finite values.  Returns
 * its length and values.  what names the argument in messages.
 */
int
KmeansCheckPoint(ArrayType *arr, const char *what, const float8 **values)
{
	int			d;
	const float8 *v;
	int			i;

	if (ARR_NDIM(arr) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must not be empty", what),
				 errhint("Pass one float8 value per feature.")));
	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("Got a %d-dimensional array.", ARR_NDIM(arr))));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what),
				 errhint("Replace missing values, for example with coalesce(), or filter the rows out.")));
	d = ARR_DIMS(arr)[0];
	if (d > KMEANS_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s has too many elements", what),
				 errdetail("Got %d elements; at most %d are supported.", d, KMEANS_MAX_DIM)));
	v = (const float8 *) ARR_DATA_PTR(arr);
	for (i = 0; i < d; i++)
	{
		if (unlikely(isnan(v[i]) || isinf(v[i])))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must contain only finite values", what),
					 errdetail("Element %d is %g.", i + 1, v[i]),
					 errhint("Filter out or replace NaN and infinite values.")));
		if (unlikely(fabs(v[i]) > KMEANS_MAX_ABS))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s must contain values between -1e100 and 1e100", what),
					 errdetail("Element %d is %g.", i + 1, v[i]),
					 errhint("Scale the feature down first: squared distances and variances of larger values overflow float8.")));
	}
	*values = v;
	return d;
}

/*
 * Check a centroids array (k x d, as returned by crm.kmeans) against a point
 * of d features; returns k.
 */
static int
KmeansCheckCentroids(ArrayType *arr, int d, const float8 **values)
{
	int			k;
	int			i;
	const float8 *v;

	if (ARR_NDIM(arr) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("centroids must be a two-dimensional array"),
				 errdetail("Got a %d-dimensional array.", ARR_NDIM(arr)),
				 errhint("Pass the result of crm.kmeans: one row per cluster.")));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centroids must not contain NULL elements")));
	k = ARR_DIMS(arr)[0];
	if (ARR_DIMS(arr)[1] != d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("centroids and features have different numbers of features"),
				 errdetail("Each centroid has %d values and the features have %d.",
						   ARR_DIMS(arr)[1], d)));
	v = (const float8 *) ARR_DATA_PTR(arr);
	for (i = 0; i < k * d; i++)
		if (unlikely(isnan(v[i]) || isinf(v[i])))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("centroids must contain only finite values"),
					 errdetail("Row %d, column %d is %g.", i / d + 1, i % d + 1, v[i])));
	*values = v;
	return k;
}

/*
 * Detoasted centroids of one call site, kept in fn_extra.  Keyed on the
 * on-disk TOAST pointer: a stored TOAST value never changes and its OID is
 * not reused while it exists, so the same pointer means the same array (the
 * approach of PostGIS's toast cache).  Saves detoasting a model of more than
 * 2 kB on every row when it comes from a table.
 */
typedef struct KmeansCentroidCache
{
	struct varatt_external key;
	ArrayType  *arr;			/* detoasted copy in fn_mcxt, or NULL */
	int			d;				/* width it was checked for, 0 if none */
	int			k;
} KmeansCentroidCache;

/*
 * The centroids argument argno, checked against d features: returns k and
 * sets *values.
 */
static int
KmeansCentroidsArg(FunctionCallInfo fcinfo, int argno, int d, const float8 **values)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	KmeansCentroidCache *cache;
	struct varatt_external ptr;
	MemoryContext old;
	ArrayType  *arr;

	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return KmeansCheckCentroids(PG_GETARG_ARRAYTYPE_P(argno), d, values);

	VARATT_EXTERNAL_GET_POINTER(ptr, raw);
	cache = (KmeansCentroidCache *) fcinfo->flinfo->fn_extra;
	if (cache != NULL && cache->arr != NULL &&
		memcmp(&cache->key, &ptr, sizeof(ptr)) == 0)
	{
		if (cache->d != d)
		{
			cache->k = KmeansCheckCentroids(cache->arr, d, values);
			cache->d = d;
		}
		*values = (const float8 *) ARR_DATA_PTR(cache->arr);
		return cache->k;
	}
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(KmeansCentroidCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	else if (cache->arr != NULL)
	{
		pfree(cache->arr);
		cache->arr = NULL;
	}
	cache->d = 0;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	arr = DatumGetArrayTypePCopy(PointerGetDatum(raw));
	MemoryContextSwitchTo(old);
	cache->key = ptr;
	cache->arr = arr;
	cache->k = KmeansCheckCentroids(arr, d, values);
	cache->d = d;
	return cache->k;
}

void
KmeansCheckK(int32 k)
{
	if (k < 1 || k > KMEANS_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and %d", KMEANS_MAX_K),
				 errdetail("Got %d.", k)));
}

void
KmeansCheckRestarts(int32 restarts)
{
	if (restarts < 1 || restarts > KMEANS_MAX_RESTARTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("restarts must be between 1 and %d", KMEANS_MAX_RESTARTS),
				 errdetail("Got %d.", restarts),
				 errhint("10 restarts is usual.")));
}

void
KmeansDimMismatch(int expected, int got)
{
	ereport(ERROR,
			(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
			 errmsg("all features arrays must have the same length"),
			 errdetail("Got arrays of %d and %d elements.", expected, got)));
}

/* ---------- distances ---------- */

/* Squared Euclidean distance; four accumulators keep the FPU pipelines busy. */
static inline double
KmeansSqDist(const double *restrict a, const double *restrict b, int d)
{
	double		s0 = 0,
				s1 = 0,
				s2 = 0,
				s3 = 0;
	int			j = 0;

	for (; j + 4 <= d; j += 4)
	{
		double		t0 = a[j] - b[j];
		double		t1 = a[j + 1] - b[j + 1];
		double		t2 = a[j + 2] - b[j + 2];
		double		t3 = a[j + 3] - b[j + 3];

		s0 += t0 * t0;
		s1 += t1 * t1;
		s2 += t2 * t2;
		s3 += t3 * t3;
	}
	for (; j < d; j++)
	{
		double		t = a[j] - b[j];

		s0 += t * t;
	}
	return (s0 + s1) + (s2 + s3);
}

/* Index of the nearest of k centres (lowest index on ties) and its squared distance. */
static inline int
KmeansNearest(const double *x, const double *centers, int k, int d, double *dist)
{
	int			best = 0;
	double		bestd = KmeansSqDist(x, centers, d);
	int			c;

	for (c = 1; c < k; c++)
	{
		double		dd = KmeansSqDist(x, centers + (size_t) c * d, d);

		if (dd < bestd)
		{
			bestd = dd;
			best = c;
		}
	}
	*dist = bestd;
	return best;
}

/* ---------- the state ---------- */

KmeansState *
KmeansStateCreate(MemoryContext aggctx, int32 k, int64 seed, int32 restarts)
{
	KmeansState *state = MemoryContextAllocZero(aggctx, sizeof(KmeansState));

	state->k = k;
	state->seed = seed;
	state->restarts = restarts;
	KmeansRngSeed(&state->rng, (uint64) seed ^ UINT64CONST(0x6b6d65616e73));
	return state;
}

/* The bound of the points held, in kB: the smaller of the two settings. */
int
KmeansMemoryKb(void)
{
	return Min(kmeans_max_memory, crm_max_memory_kb);
}

/*
 * Points of d features that fit in crm_analytics.kmeans_max_memory and in the
 * budget crm_analytics.max_memory.
 */
static int32
KmeansMaxPoints(int d)
{
	double		bytes = (double) KmeansMemoryKb() * 1024.0;
	double		per = (double) d * sizeof(float8) + KMEANS_SCRATCH_PER_POINT;
	double		n = floor(bytes / per);

	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a point of %d features does not fit in crm_analytics.kmeans_max_memory and crm_analytics.max_memory", d),
				 errhint("Raise crm_analytics.kmeans_max_memory (now %d kB) or crm_analytics.max_memory (now %d kB).",
						 kmeans_max_memory, crm_max_memory_kb)));
	return (int32) Min(n, (double) (PG_INT32_MAX / 2));
}

/* Make room for at least one more point (capacity doubles up to maxpoints). */
static void
KmeansGrow(KmeansState *state, MemoryContext ctx, int32 need)
{
	int32		newcap;

	if (need <= state->capacity)
		return;
	if (need > state->maxpoints)
		elog(ERROR, "crm.kmeans state cannot hold %d points (bound %d)", need, state->maxpoints);
	newcap = Max(state->capacity, 16);
	while (newcap < need)
		newcap = (newcap > state->maxpoints / 2) ? state->maxpoints : newcap * 2;
	newcap = Min(newcap, state->maxpoints);
	if (state->points == NULL)
		state->points = MemoryContextAlloc(ctx, (Size) newcap * state->dim * sizeof(float8));
	else
		state->points = repalloc(state->points, (Size) newcap * state->dim * sizeof(float8));
	state->capacity = newcap;
}

/* Fix the dimension with the first point. */
void
KmeansSetDim(KmeansState *state, int d)
{
	state->dim = d;
	state->maxpoints = KmeansMaxPoints(d);
}

/* Add one point (algorithm R once the reservoir is full). */
void
KmeansAddPoint(KmeansState *state, MemoryContext ctx, const float8 *x)
{
	float8	   *slot;

	state->nseen++;
	if (state->npoints < state->maxpoints)
	{
		if (state->npoints >= state->capacity)
			KmeansGrow(state, ctx, state->npoints + 1);
		slot = state->points + (size_t) state->npoints * state->dim;
		state->npoints++;
	}
	else
	{
		uint64		j = KmeansRngBelow(&state->rng, (uint64) state->nseen);

		if (j >= (uint64) state->maxpoints)
			return;
		slot = state->points + (size_t) j * state->dim;
	}
	memcpy(slot, x, state->dim * sizeof(float8));
}

/*
 * Merge s2's points into s1.  When everything fits, concatenate; otherwise
 * draw a uniform sample of the union: each slot comes from side i with
 * probability (points side i has seen and not yet given) / (both), and is a
 * random not yet taken point of side i's sample.
 */
static void
KmeansMerge(KmeansState *s1, const KmeansState *s2, MemoryContext ctx)
{
	int			d = s1->dim;
	int32		maxpoints = Min(s1->maxpoints, s2->maxpoints);
	int64		total = s1->nseen + s2->nseen;
	int32		m;
	float8	   *out;
	int32	   *idx1,
			   *idx2;
	int32		r1 = s1->npoints,
				r2 = s2->npoints;
	int64		rem1 = s1->nseen,
				rem2 = s2->nseen;
	int32		t;

	if (s1->nseen == s1->npoints && s2->nseen == s2->npoints &&
		(int64) s1->npoints + s2->npoints <= maxpoints)
	{
		KmeansGrow(s1, ctx, s1->npoints + s2->npoints);
		memcpy(s1->points + (size_t) s1->npoints * d, s2->points,
			   (size_t) s2->npoints * d * sizeof(float8));
		s1->npoints += s2->npoints;
		s1->nseen = total;
		return;
	}

	m = (int32) Min((int64) maxpoints, total);
	out = MemoryContextAlloc(ctx, (Size) m * d * sizeof(float8));
	idx1 = palloc(Max(r1, 1) * sizeof(int32));
	idx2 = palloc(Max(r2, 1) * sizeof(int32));
	for (t = 0; t < r1; t++)
		idx1[t] = t;
	for (t = 0; t < r2; t++)
		idx2[t] = t;
	for (t = 0; t < m; t++)
	{
		bool		left = (r2 == 0) ||
			(r1 > 0 && KmeansRngBelow(&s1->rng, (uint64) (rem1 + rem2)) < (uint64) rem1);
		const float8 *src;

		if (r1 == 0 && r2 == 0)
			elog(ERROR, "crm.kmeans sample merge ran out of points");
		if (left)
		{
			int32		j = (int32) KmeansRngBelow(&s1->rng, r1);

			src = s1->points + (size_t) idx1[j] * d;
			idx1[j] = idx1[--r1];
			rem1--;
		}
		else
		{
			int32		j = (int32) KmeansRngBelow(&s1->rng, r2);

			src = s2->points + (size_t) idx2[j] * d;
			idx2[j] = idx2[--r2];
			rem2--;
		}
		memcpy(out + (size_t) t * d, src, d * sizeof(float8));
		if ((t & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(idx1);
	pfree(idx2);
	if (s1->points)
		pfree(s1->points);
	s1->points = out;
	s1->capacity = m;
	s1->npoints = m;
	s1->nseen = total;
	s1->maxpoints = maxpoints;
}

/* Transition function of all crm.kmeans overloads. */
Datum
kmeans_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "kmeans_transfn");
	KmeansState *state = PG_ARGISNULL(0) ? NULL : (KmeansState *) PG_GETARG_POINTER(0);
	int			nargs = PG_NARGS();
	int32		k;
	int64		seed = 0;
	int32		restarts = 10;
	ArrayType  *arr;
	const float8 *x;
	int			d;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be NULL")));
	k = PG_GETARG_INT32(2);
	if (nargs > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("seed must not be NULL")));
		seed = PG_GETARG_INT64(3);
	}
	if (nargs > 4)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("restarts must not be NULL")));
		restarts = PG_GETARG_INT32(4);
	}

	if (state == NULL)
	{
		KmeansCheckK(k);
		KmeansCheckRestarts(restarts);
		state = KmeansStateCreate(aggctx, k, seed, restarts);
	}
	else if (state->k != k || state->seed != seed || state->restarts != restarts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k, seed and restarts must be the same for every row of a group")));

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);	/* NULL rows are skipped */
	arr = PG_GETARG_ARRAYTYPE_P(1);
	d = KmeansCheckPoint(arr, "features", &x);
	if (state->dim == 0)
		KmeansSetDim(state, d);
	else if (state->dim != d)
		KmeansDimMismatch(state->dim, d);
	KmeansAddPoint(state, aggctx, x);
	PG_RETURN_POINTER(state);
}

/* Deep copy of a state into ctx. */
static KmeansState *
KmeansStateCopy(const KmeansState *src, MemoryContext ctx)
{
	KmeansState *dst = MemoryContextAlloc(ctx, sizeof(KmeansState));

	*dst = *src;
	dst->points = NULL;
	dst->capacity = 0;
	if (src->npoints > 0)
	{
		dst->points = MemoryContextAlloc(ctx, (Size) src->npoints * src->dim * sizeof(float8));
		memcpy(dst->points, src->points, (size_t) src->npoints * src->dim * sizeof(float8));
		dst->capacity = src->npoints;
	}
	return dst;
}

/* Merge two partial states (parallel workers, partitions). */
Datum
kmeans_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "kmeans_combinefn");
	KmeansState *s1 = PG_ARGISNULL(0) ? NULL : (KmeansState *) PG_GETARG_POINTER(0);
	KmeansState *s2 = PG_ARGISNULL(1) ? NULL : (KmeansState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		PG_RETURN_POINTER(KmeansStateCopy(s2, aggctx));
	if (s1->k != s2->k || s1->seed != s2->seed || s1->restarts != s2->restarts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k, seed and restarts must be the same for every row of a group")));
	if (s2->dim == 0)
		PG_RETURN_POINTER(s1);
	if (s1->dim == 0)
	{
		KmeansState *c = KmeansStateCopy(s2, aggctx);

		c->rng = s1->rng;
		PG_RETURN_POINTER(c);
	}
	if (s1->dim != s2->dim)
		KmeansDimMismatch(s1->dim, s2->dim);
	KmeansMerge(s1, s2, aggctx);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialize a state.  The points are sent as raw float8 in the server's byte
 * order: serialized states only travel between processes of one server.
 */
Datum
kmeans_serialfn(PG_FUNCTION_ARGS)
{
	KmeansState *state = (KmeansState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	Size		datalen = (Size) state->npoints * state->dim * sizeof(float8);
	int			i;

	(void) CrmAggContext(fcinfo, "kmeans_serialfn");
	if (datalen > MaxAllocSize - 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("crm.kmeans state too large to pass between processes"),
				 errhint("Lower crm_analytics.kmeans_max_memory.")));
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, (int) datalen + 128);
	pq_sendbyte(&buf, KMEANS_STATE_FORMAT);
	pq_sendint32(&buf, state->dim);
	pq_sendint32(&buf, state->k);
	pq_sendint32(&buf, state->restarts);
	pq_sendint64(&buf, state->seed);
	pq_sendint32(&buf, state->maxpoints);
	pq_sendint32(&buf, state->npoints);
	pq_sendint64(&buf, state->nseen);
	for (i = 0; i < 4; i++)
		pq_sendint64(&buf, (int64) state->rng.s[i]);
	if (datalen > 0)
		pq_sendbytes(&buf, (const char *) state->points, (int) datalen);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Rebuild a state from its serialized form, validating every field. */
Datum
kmeans_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = CrmAggContext(fcinfo, "kmeans_deserialfn");
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	KmeansState *state;
	int			format;
	int			dim,
				k,
				restarts;
	int64		seed;
	int			i;
	Size		n;

	CrmInitReadOnlyStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	format = pq_getmsgbyte(&buf);
	if (format != KMEANS_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported crm.kmeans state format %d", format)));
	dim = pq_getmsgint(&buf, 4);
	k = pq_getmsgint(&buf, 4);
	restarts = pq_getmsgint(&buf, 4);
	seed = pq_getmsgint64(&buf);
	if (dim < 0 || dim > KMEANS_MAX_DIM || k < 1 || k > KMEANS_MAX_K ||
		restarts < 1 || restarts > KMEANS_MAX_RESTARTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.kmeans state")));
	state = KmeansStateCreate(aggctx, k, seed, restarts);
	state->dim = dim;
	state->maxpoints = pq_getmsgint(&buf, 4);
	state->npoints = pq_getmsgint(&buf, 4);
	state->nseen = pq_getmsgint64(&buf);
	for (i = 0; i < 4; i++)
		state->rng.s[i] = (uint64) pq_getmsgint64(&buf);
	if (state->maxpoints < 0 || state->npoints < 0 || state->nseen < 0 ||
		state->npoints > state->maxpoints ||
		state->npoints != Min((int64) state->maxpoints, state->nseen) ||
		(dim == 0 && (state->npoints != 0 || state->maxpoints != 0)) ||
		(dim > 0 && state->maxpoints == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.kmeans state")));
	n = (Size) state->npoints * dim;
	if (n > (Size) (buf.len - buf.cursor) / sizeof(float8) ||
		n * sizeof(float8) != (Size) (buf.len - buf.cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.kmeans state"),
				 errdetail("The state holds %d bytes of points where %zu are expected.",
						   buf.len - buf.cursor, n * sizeof(float8))));
	if (n > 0)
	{
		Size		j;

		state->points = MemoryContextAlloc(aggctx, n * sizeof(float8));
		memcpy(state->points, pq_getmsgbytes(&buf, (int) (n * sizeof(float8))),
			   n * sizeof(float8));
		state->capacity = state->npoints;
		for (j = 0; j < n; j++)
			if (isnan(state->points[j]) || isinf(state->points[j]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid crm.kmeans state")));
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* ---------- clustering ---------- */


/* Allocate the scratch of a run (in the current memory context). */
void
KmeansRunInit(KmeansRun *run, const double *x, int n, int d, int k, uint64 seed)
{
	Size		kd = mul_size((Size) k, (Size) d);

	if (kd > MaxAllocSize / sizeof(double))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("k x features is too large for crm.kmeans"),
				 errdetail("k is %d and there are %d features; the centroids would not fit in 1 GB.", k, d)));
	run->x = x;
	run->n = n;
	run->d = d;
	run->k = k;
	run->max_iter = kmeans_max_iterations;
	KmeansRngSeed(&run->rng, seed);
	run->centers = palloc(mul_size(kd, sizeof(double)));
	run->newcenters = palloc(mul_size(kd, sizeof(double)));
	run->best = palloc(mul_size(kd, sizeof(double)));
	run->counts = palloc(k * sizeof(double));
	run->moves = palloc(k * sizeof(double));
	run->half = palloc(k * sizeof(double));
	run->labels = palloc(mul_size((Size) n, sizeof(int)));
	run->buf1 = palloc(mul_size((Size) n, sizeof(double)));
	run->buf2 = palloc(mul_size((Size) n, sizeof(double)));
	run->buf3 = palloc(mul_size((Size) n, sizeof(double)));
	run->best_inertia = get_float8_infinity();
	run->best_iter = 0;
}

/*
 * Set the tolerance from the mean feature variance.  (Points are bounded by
 * KMEANS_MAX_ABS, so no squared distance sum overflows float8.)
 */
static void
KmeansPrepare(KmeansRun *run)
{
	int			n = run->n,
				d = run->d;
	double	   *mean = palloc0(d * sizeof(double));
	double		var = 0;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		const double *xi = run->x + (size_t) i * d;

		for (j = 0; j < d; j++)
			mean[j] += xi[j];
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (j = 0; j < d; j++)
		mean[j] /= n;
	for (i = 0; i < n; i++)
	{
		const double *xi = run->x + (size_t) i * d;

		for (j = 0; j < d; j++)
			var += (xi[j] - mean[j]) * (xi[j] - mean[j]);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	run->tol = kmeans_tolerance * var / ((double) n * d);
	pfree(mean);
}

/* Index of the first point whose cumulative D^2 exceeds r (never a point with D^2 = 0). */
static int
KmeansSearch(const double *cum, int n, double r)
{
	int			lo = 0,
				hi = n - 1;

	if (r >= cum[n - 1])
		r = nextafter(cum[n - 1], 0);
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

#define KMEANS_MAX_TRIALS 32

/*
 * Greedy k-means++ seeding into run->centers: each new centre is the best
 * of 2 + ln(k) candidates drawn with probability proportional to D^2.
 * Errors when fewer than k distinct points exist: the potential reaches 0
 * before k centres are chosen (a point with D^2 = 0 is never drawn, so the
 * centres chosen are distinct and every point equals one of them).
 */
static void
KmeansPlusPlus(KmeansRun *run)
{
	int			n = run->n,
				d = run->d,
				k = run->k;
	int			trials = Min(2 + (int) log(k), KMEANS_MAX_TRIALS);
	double	   *closest = run->buf1;	/* D^2 to the chosen centres */
	double	   *other = run->buf2;	/* cumulative sums, then best candidate's D^2 */
	double	   *cand = run->buf3;	/* D^2 with the candidate being tried */
	int			first = (int) KmeansRngBelow(&run->rng, n);
	int			c,
				i;

	memcpy(run->centers, run->x + (size_t) first * d, d * sizeof(double));
	for (i = 0; i < n; i++)
		closest[i] = KmeansSqDist(run->x + (size_t) i * d, run->centers, d);
	CHECK_FOR_INTERRUPTS();

	for (c = 1; c < k; c++)
	{
		double		best_pot = get_float8_infinity();
		int			best_id = -1;
		int			ids[KMEANS_MAX_TRIALS];
		int			t;
		double		acc = 0;
		double	   *tmp;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
		{
			acc += closest[i];
			other[i] = acc;
		}
		CHECK_FOR_INTERRUPTS();
		if (!(acc > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k is larger than the number of distinct points"),
					 errdetail_plural("k is %d; the points have %d distinct value.",
									  "k is %d; the points have %d distinct values.",
									  c, k, c),
					 errhint("Use a smaller k.")));
		for (t = 0; t < trials; t++)
			ids[t] = KmeansSearch(other, n, KmeansRngDouble(&run->rng) * acc);
		for (t = 0; t < trials; t++)
		{
			const double *cx = run->x + (size_t) ids[t] * d;
			double		p = 0;

			CHECK_FOR_INTERRUPTS();
			for (i = 0; i < n; i++)
			{
				double		dd = KmeansSqDist(run->x + (size_t) i * d, cx, d);

				cand[i] = dd < closest[i] ? dd : closest[i];
				p += cand[i];
			}
			if (p < best_pot)
			{
				best_pot = p;
				best_id = ids[t];
				tmp = other;
				other = cand;
				cand = tmp;
			}
		}
		/* the best candidate's D^2 (in other) becomes the current D^2 */
		tmp = closest;
		closest = other;
		other = tmp;
		memcpy(run->centers + (size_t) c * d, run->x + (size_t) best_id * d, d * sizeof(double));
	}
}

/* Exact nearest and second nearest centre of a point (squared distances). */
int
KmeansNearestTwo(const double *x, const double *centers, int k, int d,
				 double *d1, double *d2)
{
	int			best = 0;
	double		b1 = get_float8_infinity(),
				b2 = get_float8_infinity();
	int			c;

	for (c = 0; c < k; c++)
	{
		double		dd = KmeansSqDist(x, centers + (size_t) c * d, d);

		if (dd < b1)
		{
			b2 = b1;
			b1 = dd;
			best = c;
		}
		else if (dd < b2)
			b2 = dd;
	}
	*d1 = b1;
	*d2 = b2;
	return best;
}

/*
 * M-step: newcenters = means of the points of each cluster (an empty cluster
 * takes the point farthest from its centre, as scikit-learn does); sets the
 * movement of each centre and returns the total squared movement.
 */
static double
KmeansUpdateCenters(KmeansRun *run)
{
	int			n = run->n,
				d = run->d,
				k = run->k;
	double	   *nc = run->newcenters;
	double	   *counts = run->counts;
	int			i,
				c,
				j;
	int			nempty = 0;
	double		shift = 0;

	memset(nc, 0, (size_t) k * d * sizeof(double));
	memset(counts, 0, k * sizeof(double));
	for (i = 0; i < n; i++)
	{
		const double *xi = run->x + (size_t) i * d;
		double	   *ci = nc + (size_t) run->labels[i] * d;

		counts[run->labels[i]] += 1;
		for (j = 0; j < d; j++)
			ci[j] += xi[j];
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (c = 0; c < k; c++)
		if (counts[c] == 0)
			nempty++;
	if (nempty > 0)
	{
		double	   *far = run->buf3;

		for (i = 0; i < n; i++)
			far[i] = KmeansSqDist(run->x + (size_t) i * d,
								  run->centers + (size_t) run->labels[i] * d, d);
		CHECK_FOR_INTERRUPTS();
		for (c = 0; c < k; c++)
		{
			int			best = -1;
			int			old;

			if (counts[c] != 0)
				continue;
			CHECK_FOR_INTERRUPTS();
			for (i = 0; i < n; i++)
				if (far[i] >= 0 && (best < 0 || far[i] > far[best]))
					best = i;
			far[best] = -1;
			old = run->labels[best];
			for (j = 0; j < d; j++)
			{
				nc[(size_t) c * d + j] = run->x[(size_t) best * d + j];
				nc[(size_t) old * d + j] -= run->x[(size_t) best * d + j];
			}
			counts[c] = 1;
			counts[old] -= 1;
		}
	}
	for (c = 0; c < k; c++)
	{
		double	   *ci = nc + (size_t) c * d;

		if (counts[c] > 0)
			for (j = 0; j < d; j++)
				ci[j] /= counts[c];
		else
			memcpy(ci, run->centers + (size_t) c * d, d * sizeof(double));
		run->moves[c] = KmeansSqDist(ci, run->centers + (size_t) c * d, d);
		shift += run->moves[c];
		run->moves[c] = sqrt(run->moves[c]);
	}
	return shift;
}

/*
 * Lloyd iterations from run->centers with Hamerly's bounds; leaves the
 * final centres in run->centers and returns the number of iterations.
 */
static int
KmeansLloyd(KmeansRun *run)
{
	int			n = run->n,
				d = run->d,
				k = run->k;
	double	   *upper = run->buf1;	/* >= distance to the assigned centre */
	double	   *lower = run->buf2;	/* <= distance to every other centre */
	int		   *labels = run->labels;
	int			iter = 0;
	int64		changed = n;
	int			i,
				c;

	for (i = 0; i < n; i++)
	{
		double		d1,
					d2;

		labels[i] = KmeansNearestTwo(run->x + (size_t) i * d, run->centers, k, d, &d1, &d2);
		upper[i] = sqrt(d1);
		lower[i] = sqrt(d2);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	for (;;)
	{
		double		shift = KmeansUpdateCenters(run);
		double		m1 = 0,
					m2 = 0;
		int			amax = 0;

		iter++;
		if (changed == 0 || shift <= run->tol || iter >= run->max_iter)
			break;
		memcpy(run->centers, run->newcenters, (size_t) k * d * sizeof(double));

		/* largest and second largest movement, for the lower bounds */
		for (c = 0; c < k; c++)
		{
			if (run->moves[c] > m1)
			{
				m2 = m1;
				m1 = run->moves[c];
				amax = c;
			}
			else if (run->moves[c] > m2)
				m2 = run->moves[c];
		}
		/* half the distance from each centre to its nearest other centre */
		for (c = 0; c < k; c++)
		{
			double		m = get_float8_infinity();
			int			c2;

			CHECK_FOR_INTERRUPTS();
			for (c2 = 0; c2 < k; c2++)
				if (c2 != c)
				{
					double		dd = KmeansSqDist(run->centers + (size_t) c * d,
												  run->centers + (size_t) c2 * d, d);

					if (dd < m)
						m = dd;
				}
			run->half[c] = 0.5 * sqrt(m);
		}

		changed = 0;
		for (i = 0; i < n; i++)
		{
			int			a = labels[i];
			double		bound;

			upper[i] += run->moves[a];
			lower[i] -= (a == amax) ? m2 : m1;
			bound = Max(run->half[a], lower[i]);
			if (upper[i] > bound)
			{
				const double *xi = run->x + (size_t) i * d;

				upper[i] = sqrt(KmeansSqDist(xi, run->centers + (size_t) a * d, d));
				if (upper[i] > bound)
				{
					double		d1,
								d2;
					int			b = KmeansNearestTwo(xi, run->centers, k, d, &d1, &d2);

					if (b != a)
					{
						labels[i] = b;
						changed++;
					}
					upper[i] = sqrt(d1);
					lower[i] = sqrt(d2);
				}
			}
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
	memcpy(run->centers, run->newcenters, (size_t) k * d * sizeof(double));
	return iter;
}

/* Sum of squared distances of the points to their nearest centre. */
static double
KmeansInertia(const double *x, int n, int d, const double *centers, int k)
{
	double		sum = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		double		dd;

		(void) KmeansNearest(x + (size_t) i * d, centers, k, d, &dd);
		sum += dd;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return sum;
}

/* Order of centroid rows: lexicographic. */
static int
KmeansCmpRows(const void *a, const void *b, void *arg)
{
	const KmeansRun *run = (const KmeansRun *) arg;
	const double *ra = run->best + (size_t) (*(const int *) a) * run->d;
	const double *rb = run->best + (size_t) (*(const int *) b) * run->d;
	int			j;

	for (j = 0; j < run->d; j++)
	{
		if (ra[j] < rb[j])
			return -1;
		if (ra[j] > rb[j])
			return 1;
	}
	return 0;
}

/*
 * Cluster the points: `restarts` runs of k-means++ and Lloyd from one PRNG
 * seeded with seed; the best centres (sorted) end in run->best.
 */
void
KmeansFit(KmeansRun *run, int restarts)
{
	int			r;
	int			k = run->k,
				d = run->d;
	int		   *order;
	double	   *sorted;
	int			c;

	if (run->n < k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k is larger than the number of points"),
				 errdetail_plural("k is %d; there is %d point.",
								  "k is %d; there are %d points.",
								  run->n, k, run->n),
				 errhint("Use a smaller k.")));
	KmeansPrepare(run);
	for (r = 0; r < restarts; r++)
	{
		int			iter;
		double		inertia;

		CHECK_FOR_INTERRUPTS();
		KmeansPlusPlus(run);
		iter = KmeansLloyd(run);
		inertia = KmeansInertia(run->x, run->n, d, run->centers, k);
		if (inertia < run->best_inertia)
		{
			run->best_inertia = inertia;
			run->best_iter = iter;
			memcpy(run->best, run->centers, (size_t) k * d * sizeof(double));
		}
	}

	order = palloc(k * sizeof(int));
	for (c = 0; c < k; c++)
		order[c] = c;
	qsort_arg(order, k, sizeof(int), KmeansCmpRows, run);
	sorted = palloc((size_t) k * d * sizeof(double));
	for (c = 0; c < k; c++)
		memcpy(sorted + (size_t) c * d, run->best + (size_t) order[c] * d, d * sizeof(double));
	memcpy(run->best, sorted, (size_t) k * d * sizeof(double));
}

/* A k x d float8 array (lower bounds 1) of row-major values. */
ArrayType *
KmeansMatrix(const double *values, int rows, int cols)
{
	Datum	   *elems = palloc(mul_size((Size) rows * cols, sizeof(Datum)));
	int			dims[2] = {rows, cols};
	int			lbs[2] = {1, 1};
	int			i;

	for (i = 0; i < rows * cols; i++)
		elems[i] = Float8GetDatum(values[i]);
	return construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID,
							  sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* Final function of crm.kmeans: cluster the collected points. */
Datum
kmeans_finalfn(PG_FUNCTION_ARGS)
{
	KmeansState *state;
	MemoryContext ctx,
				old;
	KmeansRun	run;
	double	   *best;
	ArrayType  *result;

	(void) CrmAggContext(fcinfo, "kmeans_finalfn");
	state = PG_ARGISNULL(0) ? NULL : (KmeansState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->npoints == 0)
		PG_RETURN_NULL();
	if (state->nseen > state->npoints)
		ereport(NOTICE,
				(errmsg("crm.kmeans clustered a uniform random sample of %d of " INT64_FORMAT " points",
						state->npoints, state->nseen),
				 errdetail("The points held by an aggregate state are bounded by crm_analytics.kmeans_max_memory (%d kB) and crm_analytics.max_memory (%d kB).",
						   kmeans_max_memory, crm_max_memory_kb),
				 errhint("Raise crm_analytics.kmeans_max_memory or crm_analytics.max_memory, whichever is smaller, to cluster every point.")));

	/* the state is only read: the final function can run again */
	ctx = AllocSetContextCreate(CurrentMemoryContext, "crm.kmeans", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	KmeansRunInit(&run, state->points, state->npoints, state->dim, state->k, (uint64) state->seed);
	KmeansFit(&run, state->restarts);
	MemoryContextSwitchTo(old);
	best = palloc((size_t) state->k * state->dim * sizeof(double));
	memcpy(best, run.best, (size_t) state->k * state->dim * sizeof(double));
	MemoryContextDelete(ctx);
	result = KmeansMatrix(best, state->k, state->dim);
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ---------- assignment ---------- */

/* crm.closest_centroid(features, centroids): 1-based index of the nearest centroid. */
Datum
closest_centroid(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	const float8 *x,
			   *c;
	int			d = KmeansCheckPoint(arr, "features", &x);
	int			k = KmeansCentroidsArg(fcinfo, 1, d, &c);
	double		dist;

	PG_RETURN_INT32(KmeansNearest(x, c, k, d, &dist) + 1);
}

/* crm.centroid_distance(features, centroids): Euclidean distance to the nearest centroid. */
Datum
centroid_distance(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	const float8 *x,
			   *c;
	int			d = KmeansCheckPoint(arr, "features", &x);
	int			k = KmeansCentroidsArg(fcinfo, 1, d, &c);
	double		dist;

	(void) KmeansNearest(x, c, k, d, &dist);
	PG_RETURN_FLOAT8(sqrt(dist));
}

/*
 * Transition function of crm.kmeans_inertia (float8 state, summed across
 * workers with float8pl): adds the squared distance to the nearest centroid.
 */
Datum
kmeans_inertia_transfn(PG_FUNCTION_ARGS)
{
	double		sum = PG_ARGISNULL(0) ? 0 : PG_GETARG_FLOAT8(0);
	ArrayType  *arr;
	const float8 *x,
			   *c;
	int			d,
				k;
	double		dist;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centroids must not be NULL")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_FLOAT8(sum);
	}
	arr = PG_GETARG_ARRAYTYPE_P(1);
	d = KmeansCheckPoint(arr, "features", &x);
	k = KmeansCentroidsArg(fcinfo, 2, d, &c);
	(void) KmeansNearest(x, c, k, d, &dist);
	PG_RETURN_FLOAT8(sum + dist);
}
