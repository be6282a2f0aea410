/*
 * query.c
 *		Running a caller's query: parsed and checked once, then run read-only.
 *
 * Functions such as crm.rfm_scores(query text, ...) take any SQL that returns
 * the columns they need.  The query runs through SPI with the caller's
 * privileges (these functions are never SECURITY DEFINER).  It is parsed and
 * analysed once (CrmQueryOpen), which gives a clear error for the usual
 * mistakes: more than one statement, not a SELECT, a data-modifying statement
 * hidden in a WITH clause, SELECT ... FOR UPDATE, the wrong number of
 * columns, a column of the wrong type.  The plan of exactly that query then
 * runs (CrmQueryForEachRow), as often as the capability needs passes over
 * the data, with its rows delivered to a callback: no wrapper SQL is built
 * around the caller's text, so every error message speaks of the caller's
 * own query and no part of it is parsed twice.
 *
 * Each run is read-only twice over: SPI executes the plan in read-only mode,
 * and the transaction is read-only for the duration of the run (restored
 * afterwards), so that a volatile function called by the query cannot write
 * to a table either (PostgreSQL still lets it write temporary tables, which
 * belong to the session).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_coerce.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"

#include "crm_analytics.h"

/* Raise the error for a query that is not a plain read-only SELECT. */
static void
CrmQueryNotSelect(const CrmQuery *q, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the query of %s must be a SELECT that reads data", q->fn),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("Pass one SELECT returning %s; the query runs read-only.",
					 q->columns)));
}

/*
 * Parse and analyse the caller's query (SPI must be connected), check that it
 * is one read-only SELECT with between min_natts and max_natts columns
 * (max_natts < 0: no upper bound), and keep its plan in q.  columns names the
 * expected columns for error messages, for example "(customer, ts, value)".
 */
void
CrmQueryOpen(CrmQuery *q, const char *text, int min_natts, int max_natts,
			 const char *fn, const char *columns)
{
	SPIPrepareOptions opts;
	List	   *sources;
	CachedPlanSource *ps;
	Node	   *stmt;
	ListCell   *lc;
	int			natts;

	memset(q, 0, sizeof(*q));
	q->fn = fn;
	q->columns = columns;
	q->text = text;

	memset(&opts, 0, sizeof(opts));
	opts.parseMode = RAW_PARSE_DEFAULT;
	opts.cursorOptions = CURSOR_OPT_PARALLEL_OK;
	q->plan = SPI_prepare_extended(text, &opts);
	if (q->plan == NULL)
		elog(ERROR, "SPI_prepare_extended failed for the query of %s: %s",
			 fn, SPI_result_code_string(SPI_result));

	sources = SPI_plan_get_plan_sources(q->plan);
	if (list_length(sources) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of %s must be exactly one statement", fn),
				 errdetail("Got %d statements.", list_length(sources)),
				 errhint("Pass one SELECT returning %s.", columns)));
	ps = (CachedPlanSource *) linitial(sources);
	stmt = ps->raw_parse_tree ? ps->raw_parse_tree->stmt : NULL;
	if (stmt == NULL || !IsA(stmt, SelectStmt) || ps->resultDesc == NULL)
		CrmQueryNotSelect(q, NULL);
	if (((SelectStmt *) stmt)->intoClause != NULL)
		CrmQueryNotSelect(q, "SELECT ... INTO creates a table.");

	/* the analysed (and rewritten) form tells what the statement would do */
	foreach(lc, ps->query_list)
	{
		Query	   *query = lfirst_node(Query, lc);

		if (query->commandType != CMD_SELECT || query->utilityStmt != NULL)
			CrmQueryNotSelect(q, NULL);
		if (query->hasModifyingCTE)
			CrmQueryNotSelect(q, "A WITH clause of the query contains INSERT, UPDATE, DELETE or MERGE.");
		if (query->rowMarks != NIL)
			CrmQueryNotSelect(q, "SELECT ... FOR UPDATE or FOR SHARE locks rows.");
	}

	natts = ps->resultDesc->natts;
	if (natts < min_natts || (max_natts >= 0 && natts > max_natts))
	{
		if (min_natts == max_natts)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the query of %s must return %d columns", fn, min_natts),
					 errdetail("It returns %d column%s.", natts, natts == 1 ? "" : "s"),
					 errhint("Return the columns %s, in that order.", columns)));
		else if (max_natts < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the query of %s must return at least %d columns", fn, min_natts),
					 errdetail("It returns %d column%s.", natts, natts == 1 ? "" : "s"),
					 errhint("Return the columns %s, in that order.", columns)));
		else
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the query of %s must return between %d and %d columns",
							fn, min_natts, max_natts),
					 errdetail("It returns %d column%s.", natts, natts == 1 ? "" : "s"),
					 errhint("Return the columns %s, in that order.", columns)));
	}
	q->desc = ps->resultDesc;
}

/*
 * The row context is reset at least every CRM_QUERY_RESET_ROWS rows, and
 * after the first row that makes it grow past its first block: resetting it
 * after every row cost about 80 instructions a row (a tenth of the whole
 * per-row cost of a capability that reads two integer columns), while a few
 * rows' worth of small conversions fit in the first 8 kB block.
 */
#define CRM_QUERY_RESET_ROWS	64

/* The receiver that hands each row of a run to the capability's callback. */
typedef struct CrmQueryReceiver
{
	DestReceiver pub;
	CrmRowCallback callback;
	void	   *arg;
	MemoryContext rowctx;
	Size		rowctx_base;	/* its size with only its first block */
	uint64		nrows;
} CrmQueryReceiver;

/* One row: deform it, call back in the row memory context. */
static bool
CrmQueryReceiveSlot(TupleTableSlot *slot, DestReceiver *self)
{
	CrmQueryReceiver *r = (CrmQueryReceiver *) self;
	MemoryContext old;

	slot_getallattrs(slot);
	old = MemoryContextSwitchTo(r->rowctx);
	r->callback(slot, r->arg);
	MemoryContextSwitchTo(old);
	++r->nrows;
	if (!r->rowctx->isReset &&
		(r->rowctx->mem_allocated > r->rowctx_base ||
		 (r->nrows % CRM_QUERY_RESET_ROWS) == 0))
		MemoryContextReset(r->rowctx);
	if ((r->nrows & 0x3FF) == 0)
		CHECK_FOR_INTERRUPTS();
	return true;
}

/* Nothing to set up, shut down or free: the state lives with the caller. */
static void
CrmQueryReceiverStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	(void) self;
	(void) operation;
	(void) typeinfo;
}

static void
CrmQueryReceiverShutdown(DestReceiver *self)
{
	(void) self;
}

static void
CrmQueryReceiverDestroy(DestReceiver *self)
{
	(void) self;
}

/*
 * Run the query opened in q once, read-only, and call callback(slot, arg)
 * for every row, with all its attributes deformed (slot->tts_values and
 * slot->tts_isnull).  The callback runs in a short-lived memory context,
 * reset every few rows (at once when a row allocated more than a few kB):
 * what it keeps must be copied into a context of its own, and what it
 * allocates lives at least until it returns.
 * Returns the number of rows.  May be called several times for several
 * passes over the data.
 */
uint64
CrmQueryForEachRow(CrmQuery *q, CrmRowCallback callback, void *arg)
{
	CrmQueryReceiver r;
	SPIExecuteOptions opts;
	bool		save_read_only;
	volatile int ret = 0;

	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = CrmQueryReceiveSlot;
	r.pub.rStartup = CrmQueryReceiverStartup;
	r.pub.rShutdown = CrmQueryReceiverShutdown;
	r.pub.rDestroy = CrmQueryReceiverDestroy;
	r.pub.mydest = DestNone;
	r.callback = callback;
	r.arg = arg;
	r.rowctx = AllocSetContextCreate(CurrentMemoryContext, "crm_analytics query row",
									 ALLOCSET_DEFAULT_SIZES);
	r.rowctx_base = r.rowctx->mem_allocated;

	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = (DestReceiver *) &r;

	/*
	 * The transaction is read-only for the run only.  XactReadOnly is set
	 * directly: PostgreSQL 16 and later refuse transaction_read_only as a
	 * function-local setting (GUC_NO_RESET).  PG_FINALLY restores it after
	 * an error too; the abort of an enclosing subtransaction would as well.
	 */
	save_read_only = XactReadOnly;
	XactReadOnly = true;
	PG_TRY();
	{
		ret = SPI_execute_plan_extended(q->plan, &opts);
	}
	PG_FINALLY();
	{
		XactReadOnly = save_read_only;
	}
	PG_END_TRY();

	/* a SELECT into a DestReceiver other than SPI's reports SPI_OK_UTILITY */
	if (ret != SPI_OK_SELECT && ret != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute_plan_extended failed for the query of %s: %s",
			 q->fn, SPI_result_code_string(ret));
	MemoryContextDelete(r.rowctx);
	q->nruns++;
	return r.nrows;
}

/* Free the plan of the query. */
void
CrmQueryClose(CrmQuery *q)
{
	if (q->plan)
		SPI_freeplan(q->plan);
	q->plan = NULL;
	q->desc = NULL;
}

/*
 * Check that column attno (1-based) of a query result has one of the allowed
 * types (domains count as their base type).
 */
void
CrmCheckColumnType(TupleDesc desc, int attno, const char *fn, const char *colname,
				   const Oid *allowed, int nallowed, const char *expected)
{
	Oid			typid = getBaseType(TupleDescAttr(desc, attno - 1)->atttypid);
	int			i;

	for (i = 0; i < nallowed; i++)
		if (typid == allowed[i])
			return;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column %d (%s) of the query of %s has type %s",
					attno, colname, fn,
					format_type_be(TupleDescAttr(desc, attno - 1)->atttypid)),
			 errhint("Return %s there, or cast it.", expected)));
}

/*
 * Prepare the conversion of values of type from to type to exactly as the
 * explicit cast value::to does: binary-compatible types as they are, the
 * cast function where there is one (bpchar::text drops the padding,
 * timestamp::timestamptz reads TimeZone), and conversion through text (output
 * then input function) otherwise.  Domains count as their base type.  A type
 * without such a cast is an error naming the column.
 */
void
CrmCastInit(CrmCast *c, Oid from, Oid to, const char *fn, const char *colname)
{
	Oid			funcid = InvalidOid;
	CoercionPathType path;

	memset(c, 0, sizeof(*c));
	c->from = from;
	c->to = to;
	if (getBaseType(from) == to)
	{
		c->kind = CRM_CAST_AS_IS;
		return;
	}
	path = find_coercion_pathway(to, from, COERCION_EXPLICIT, &funcid);
	switch (path)
	{
		case COERCION_PATH_RELABELTYPE:
			c->kind = CRM_CAST_AS_IS;
			break;
		case COERCION_PATH_FUNC:
			c->kind = CRM_CAST_FUNC;
			fmgr_info(funcid, &c->fn);
			c->nargs = c->fn.fn_nargs;
			break;
		case COERCION_PATH_COERCEVIAIO:
			{
				Oid			outfn;
				bool		typisvarlena;

				c->kind = CRM_CAST_IO;
				getTypeOutputInfo(from, &outfn, &typisvarlena);
				fmgr_info(outfn, &c->fn);
				if (to != TEXTOID)
				{
					Oid			infn;

					getTypeInputInfo(to, &infn, &c->ioparam);
					fmgr_info(infn, &c->infn);
				}
				break;
			}
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column %s of the query of %s has type %s, which cannot be cast to %s",
							colname, fn, format_type_be(from), format_type_be(to)),
					 errhint("Return a value of type %s there.", format_type_be(to))));
	}
}

/* CrmCastValue of a value that is not binary-compatible (crm_analytics.h). */
Datum
CrmCastConvert(CrmCast *c, Datum value)
{
	switch (c->kind)
	{
		case CRM_CAST_AS_IS:
			return value;
		case CRM_CAST_FUNC:
			if (c->nargs == 1)
				return FunctionCall1(&c->fn, value);
			return FunctionCall3(&c->fn, value, Int32GetDatum(-1), BoolGetDatum(true));
		default:
			{
				char	   *str = OutputFunctionCall(&c->fn, value);

				if (c->to == TEXTOID)
					return PointerGetDatum(cstring_to_text(str));
				return InputFunctionCall(&c->infn, str, c->ioparam, -1);
			}
	}
}
