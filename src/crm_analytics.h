/*
 * crm_analytics.h
 *		Helpers shared by the capabilities of crm_analytics: exact fast numeric
 *		sums (numsum.c) and running a caller's query through SPI (query.c).
 */
#ifndef CRM_ANALYTICS_H
#define CRM_ANALYTICS_H

#include "postgres.h"

#include <math.h>

#include "compat.h"

#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/numeric.h"

/*
 * Exact sum of numeric values.  Values with at most 8 decimal digits and an
 * absolute value below 10^16 (all money amounts in practice) are added as
 * 128-bit integers scaled by 10^8; any other value goes to an ordinary
 * numeric sum kept beside it.  The result equals PostgreSQL's sum(numeric),
 * including its display scale (the largest input scale).
 */
typedef struct CrmNumericSum
{
#ifdef HAVE_INT128
	int128		scaled;			/* sum of the fast values, times 10^8 */
#endif
	int32		dscale;			/* largest display scale seen */
	Numeric		slow;			/* sum of the other values, or NULL */
} CrmNumericSum;

extern void CrmNumericSumInit(CrmNumericSum *sum);
extern void CrmNumericSumAdd(CrmNumericSum *sum, Datum value, MemoryContext ctx);
extern void CrmNumericSumCombine(CrmNumericSum *into, const CrmNumericSum *from,
								 MemoryContext ctx);
extern Numeric CrmNumericSumResult(const CrmNumericSum *sum);
extern void CrmNumericSumSerialize(StringInfo buf, const CrmNumericSum *sum);
extern void CrmNumericSumDeserialize(StringInfo buf, CrmNumericSum *sum,
									 MemoryContext ctx);

/* Neumaier-compensated double sum (float8 amounts). */
typedef struct CrmFloatSum
{
	double		sum;
	double		comp;
} CrmFloatSum;

static inline void
CrmFloatSumAdd(CrmFloatSum *s, double x)
{
	double		t = s->sum + x;

	if (fabs(s->sum) >= fabs(x))
		s->comp += (s->sum - t) + x;
	else
		s->comp += (x - t) + s->sum;
	s->sum = t;
}

static inline double
CrmFloatSumResult(const CrmFloatSum *s)
{
	return s->sum + s->comp;
}

/*
 * A caller's query, checked before it runs: one SELECT-like statement whose
 * result has the expected number of columns.
 */
extern struct _SPI_plan *CrmQueryPrepare(const char *query, int natts,
										 const char *fn, const char *columns,
										 TupleDesc *desc);
extern TupleDesc CrmQueryDescribe(const char *query, int natts,
								  const char *fn, const char *columns);
extern char *CrmQueryStripped(const char *query);
extern void CrmCheckColumnType(TupleDesc desc, int attno, const char *fn,
							   const char *colname, const Oid *allowed,
							   int nallowed, const char *expected);

/* The aggregate memory context, or an error when not called as an aggregate. */
static inline MemoryContext
CrmAggContext(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggctx;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return aggctx;
}

/* A float8 amount must be a finite number. */
static inline void
CrmCheckFiniteAmount(double amount)
{
	if (isnan(amount) || isinf(amount))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("amount must be a finite number"),
				 errdetail("Got %g.", amount),
				 errhint("Filter out NaN and infinite amounts.")));
}

/* A read-only StringInfo over existing bytes (initReadOnlyStringInfo in 17). */
static inline void
CrmInitReadOnlyStringInfo(StringInfo buf, char *data, int len)
{
	buf->data = data;
	buf->len = len;
	buf->maxlen = 0;
	buf->cursor = 0;
}

/* GUCs of each capability, defined from _PG_init */
extern void KmeansDefineGUCs(void);
extern void BasketDefineGUCs(void);
extern void SimilarityDefineGUCs(void);

#endif							/* CRM_ANALYTICS_H */
