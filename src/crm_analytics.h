/*
 * crm_analytics.h
 *		Helpers shared by the capabilities of crm_analytics: exact fast numeric
 *		sums (numsum.c), running a caller's query through SPI (query.c), the
 *		memory budget (memory.c), maps of strings to indexes (strmap.c) and
 *		dictionaries of integer keys (intdict.c).
 */
#ifndef CRM_ANALYTICS_H
#define CRM_ANALYTICS_H

#include "postgres.h"

#include <math.h>

#include "compat.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/extensible.h"
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
#ifdef HAVE_INT128
extern bool CrmNumericFastValue(Datum value, int128 *scaled, int32 *dscale);

/* Add a value read by CrmNumericFastValue. */
static inline void
CrmNumericSumAddScaled(CrmNumericSum *sum, int128 scaled, int32 dscale)
{
	sum->scaled += scaled;
	if (dscale > sum->dscale)
		sum->dscale = dscale;
}
#endif
extern void CrmNumericSumCopy(CrmNumericSum *into, const CrmNumericSum *from,
							  MemoryContext ctx);
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
 * A caller's query (query.c): parsed and checked once by CrmQueryOpen (one
 * read-only SELECT with the expected number of columns), then run by
 * CrmQueryForEachRow, read-only, as often as needed, each row handed to a
 * callback in a short-lived memory context reset every few rows.  SPI must be
 * connected.
 */
typedef struct CrmQuery
{
	const char *fn;				/* the SQL function, for messages */
	const char *columns;		/* the expected columns, for messages */
	const char *text;			/* the caller's query */
	struct _SPI_plan *plan;		/* its plan */
	TupleDesc	desc;			/* its result row type */
	int			nruns;			/* passes over the data so far */
} CrmQuery;

typedef void (*CrmRowCallback) (TupleTableSlot *slot, void *arg);

extern void CrmQueryOpen(CrmQuery *q, const char *text, int min_natts, int max_natts,
						 const char *fn, const char *columns);
extern uint64 CrmQueryForEachRow(CrmQuery *q, CrmRowCallback callback, void *arg);
extern void CrmQueryClose(CrmQuery *q);
extern void CrmCheckColumnType(TupleDesc desc, int attno, const char *fn,
							   const char *colname, const Oid *allowed,
							   int nallowed, const char *expected);

/* Converting a column's values to another type, as value::type does. */
typedef enum CrmCastKind
{
	CRM_CAST_AS_IS,
	CRM_CAST_FUNC,
	CRM_CAST_IO
} CrmCastKind;

typedef struct CrmCast
{
	Oid			from;
	Oid			to;
	CrmCastKind kind;
	int			nargs;			/* of the cast function */
	FmgrInfo	fn;				/* cast function, or output function of from */
	FmgrInfo	infn;			/* input function of to (CRM_CAST_IO) */
	Oid			ioparam;
} CrmCast;

extern void CrmCastInit(CrmCast *c, Oid from, Oid to, const char *fn, const char *colname);
extern Datum CrmCastConvert(CrmCast *c, Datum value);

/* The value converted (in the current memory context unless binary-compatible). */
static inline Datum
CrmCastValue(CrmCast *c, Datum value)
{
	if (c->kind == CRM_CAST_AS_IS)
		return value;
	return CrmCastConvert(c, value);
}

/*
 * The memory budget (memory.c): crm_analytics.max_memory bounds every
 * structure a capability builds in memory that grows with the data
 * (itemsets, similarity indexes, RFM customer tables, CLV patterns, model
 * training data, sequences held per group...).  Check before allocating;
 * past the budget the work stops with SQLSTATE 54000 and a hint naming the
 * setting, never with the out-of-memory killer.
 */
extern int	crm_max_memory_kb;

extern Size CrmMemoryLimit(void);
extern void CrmMemoryCheck(Size total, const char *fn, const char *what);
extern void CrmMemoryCheckContext(MemoryContext ctx, Size extra, const char *fn,
								  const char *what);
extern void CrmMemoryNote(MemoryContext ctx, Size *unchecked, Size bytes,
						  const char *fn, const char *what);
extern Size CrmMemoryArraySize(Size n, Size elem, const char *fn, const char *what);
extern void *CrmMemoryAlloc(MemoryContext ctx, Size n, Size elem, const char *fn,
							const char *what);
extern void *CrmMemoryAlloc0(MemoryContext ctx, Size n, Size elem, const char *fn,
							 const char *what);
extern void *CrmMemoryRealloc(void *ptr, Size n, Size elem, const char *fn,
							  const char *what);
extern void MemoryDefineGUCs(void);

/*
 * A dictionary of integer keys (intdict.c): distinct values numbered densely
 * from 0 in order of first appearance, through a direct map for small
 * non-negative keys and a hash table for the others, within the memory
 * budget.  CrmIntDictId is the lookup of every row: a new key gets id
 * d->n - 1.
 */
typedef struct CrmIntDict
{
	MemoryContext cxt;
	const char *fn;				/* for the memory error */
	const char *what;
	int32		n;				/* distinct keys */
	int32		cap;
	int64	   *keys;			/* id -> key */
	int32	   *slots;			/* hash table of ids of keys >= dcap, -1 = empty */
	int32		nhashed;		/* keys entered in it */
	uint32		mask;
	int			shift;			/* of its Fibonacci hash */
	int32	   *dmap;			/* dmap[k] = id + 1 of key 0 <= k < dcap, 0 = none */
	uint64		dcap;
} CrmIntDict;

extern void CrmIntDictInit(CrmIntDict *d, MemoryContext cxt, const char *fn,
						   const char *what);
extern int32 CrmIntDictLookup(CrmIntDict *d, int64 key);

/* Start loading the entry of key, for a lookup soon (a hint, never an error). */
static inline void
CrmIntDictPrefetch(const CrmIntDict *d, int64 key)
{
#ifdef __GNUC__
	if ((uint64) key < d->dcap)
		__builtin_prefetch(&d->dmap[key]);
#endif
}

static inline int32
CrmIntDictId(CrmIntDict *d, int64 key)
{
	if (likely((uint64) key < d->dcap && d->dmap[key] > 0))
		return d->dmap[key] - 1;
	return CrmIntDictLookup(d, key);
}

/*
 * A call of an aggregate's support function by the partial-state forms
 * (aggstate.c), outside the aggregate itself: fcinfo->context points to this
 * node, and the function keeps its state in ctx as it would in the aggregate
 * context.  An ExtensibleNode, so that AggCheckCallContext does not take it
 * for an aggregate and nothing else takes it for one of its own nodes.
 */
#define CRM_AGG_CALL_NODE	"crm_analytics aggregate call"

typedef struct CrmAggCall
{
	ExtensibleNode node;		/* T_ExtensibleNode, extnodename CRM_AGG_CALL_NODE */
	MemoryContext ctx;			/* where the state lives */
} CrmAggCall;

/*
 * The aggregate memory context (or the context of a CrmAggCall), or an error
 * when not called as an aggregate.
 */
static inline MemoryContext
CrmAggContext(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggctx;

	if (AggCheckCallContext(fcinfo, &aggctx))
		return aggctx;
	if (fcinfo->context != NULL && IsA(fcinfo->context, ExtensibleNode) &&
		strcmp(((ExtensibleNode *) fcinfo->context)->extnodename, CRM_AGG_CALL_NODE) == 0)
		return ((CrmAggCall *) fcinfo->context)->ctx;
	elog(ERROR, "%s called in non-aggregate context", fn);
	return NULL;				/* keep the compiler quiet */
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

/* An argument that must be a probability in (0, 1): alpha, power, a rate, a level. */
static inline void
CrmCheckOpenUnit(double v, const char *name, const char *hint)
{
	if (!(v > 0.0 && v < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1 (exclusive)", name),
				 errdetail("Got %g.", v),
				 errhint("%s", hint)));
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

/*
 * Strings to dense indexes in first-seen order (strmap.c): keys are copied
 * into ctx and terminated; keys[i] and lens[i] give key i back.
 */
typedef struct CrmStrMap
{
	MemoryContext ctx;
	const char *fn;				/* the SQL function, for messages */
	int			nitems;			/* distinct keys */
	int			capacity;		/* room in keys, lens, hashes */
	char	  **keys;
	int32	   *lens;
	uint32	   *hashes;
	int32	   *slots;			/* open addressing: 0 = empty, else index + 1 */
	int			nslots;			/* a power of two, at least 2 * nitems */
} CrmStrMap;

extern void CrmStrMapInit(CrmStrMap *m, MemoryContext ctx, const char *fn);
extern int	CrmStrMapIntern(CrmStrMap *m, const char *key, int len, bool *found);
extern int	CrmStrMapCmpKeys(const void *a, const void *b, void *arg);

/* GUCs of each capability, defined from _PG_init */
extern void KmeansDefineGUCs(void);
extern void BasketDefineGUCs(void);

/*
 * The text form "kind:base64" of a binary value that names its kind
 * (textform.c), shared by crm.model and crm.agg_state.
 */
extern char *CrmNamedTextOut(const char *name, const char *data, int len, const char *typname);
extern const char *CrmNamedTextName(const char **str);
extern char *CrmNamedTextDecode(const char *colon, int *len, const char *typname, const char *hint);

#endif							/* CRM_ANALYTICS_H */
