/*
 * kmeans.h
 *		k-means shared by kmeans.c (the aggregate and the clustering),
 *		kmeans_evaluate.c (choosing k) and kmeans_scaler.c (z-score scaling).
 */
#ifndef CRM_KMEANS_H
#define CRM_KMEANS_H

#include "postgres.h"

#include "utils/array.h"

#define KMEANS_STATE_FORMAT		1
#define KMEANS_MAX_DIM			100000	/* features per point */
#define KMEANS_MAX_K			10000	/* clusters */
#define KMEANS_MAX_RESTARTS		1000
#define KMEANS_SCRATCH_PER_POINT 32 /* bytes of final-step scratch per point */
/*
 * Largest absolute feature value: squared distances and variances of larger
 * values overflow float8 (and 1e100 squared, times any number of points,
 * stays far below DBL_MAX).
 */
#define KMEANS_MAX_ABS			1e100
/* largest kmeans_max_memory (kB): a state must serialize below 1 GB */
#define KMEANS_MAX_MEMORY_KB	((int) (MaxAllocSize / 1024) - 1024)

/* crm_analytics.kmeans_max_memory (kB) */
extern int	kmeans_max_memory;

/* xoshiro256** state: our own PRNG, so results depend only on the seed */
typedef struct KmeansRng
{
	uint64		s[4];
} KmeansRng;

/* Aggregate state of crm.kmeans: the collected points or a sample of them. */
typedef struct KmeansState
{
	int32		dim;			/* features per point; 0 before the first one */
	int32		k;				/* clusters asked for */
	int32		restarts;		/* k-means++ restarts */
	int64		seed;			/* PRNG seed */
	int32		maxpoints;		/* reservoir capacity; set with the first point */
	int32		npoints;		/* points stored (= min(maxpoints, nseen)) */
	int32		capacity;		/* points allocated */
	int64		nseen;			/* points received */
	KmeansRng	rng;			/* reservoir sampling decisions */
	float8	   *points;			/* npoints x dim, row-major */
} KmeansState;

/* Scratch and results of one clustering problem. */
typedef struct KmeansRun
{
	const double *x;			/* n x d points (not modified) */
	int			n;
	int			d;
	int			k;
	int			max_iter;
	double		tol;			/* absolute: kmeans_tolerance * mean variance */
	KmeansRng	rng;
	/* scratch */
	double	   *centers;		/* k x d */
	double	   *newcenters;		/* k x d (sums, then means) */
	double	   *counts;			/* k */
	double	   *moves;			/* k: how far each centre moved */
	double	   *half;			/* k: half the distance to the nearest other centre */
	int		   *labels;			/* n */
	double	   *buf1;			/* n: k-means++ D^2, then Hamerly upper bounds */
	double	   *buf2;			/* n: k-means++ cumulative sums, then lower bounds */
	double	   *buf3;			/* n: k-means++ candidate D^2 */
	/* best solution */
	double	   *best;			/* k x d */
	double		best_inertia;
	int			best_iter;
} KmeansRun;

extern int KmeansCheckPoint(ArrayType *arr, const char *what, const float8 **values);
extern void KmeansCheckK(int32 k);
extern void KmeansCheckRestarts(int32 restarts);
extern void KmeansDimMismatch(int expected, int got);
extern ArrayType * KmeansMatrix(const double *values, int rows, int cols);
extern int KmeansNearestTwo(const double *x, const double *centers, int k, int d, double *d1, double *d2);
extern void KmeansRunInit(KmeansRun *run, const double *x, int n, int d, int k, uint64 seed);
extern void KmeansFit(KmeansRun *run, int restarts);
extern void KmeansSetDim(KmeansState *state, int d);
extern KmeansState * KmeansStateCreate(MemoryContext aggctx, int32 k, int64 seed, int32 restarts);
extern void KmeansAddPoint(KmeansState *state, MemoryContext ctx, const float8 *x);
extern int	KmeansMemoryKb(void);

#endif							/* CRM_KMEANS_H */
