/*
 * query.c
 *		Checking a caller's query before crm_analytics runs it through SPI.
 *
 * Functions such as crm.rfm_scores(query text, ...) take any SQL that returns
 * the columns they need.  The query runs with the caller's privileges (these
 * functions are never SECURITY DEFINER).  Before it runs we parse it once to
 * give a clear error for the usual mistakes: more than one statement, not a
 * SELECT, the wrong number of columns, a column of the wrong type.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"

#include "crm_analytics.h"

/*
 * Parse and analyze the query (SPI must be connected), check that it is one
 * SELECT with natts columns, and return the prepared plan and (in *desc) its
 * result row type.  columns names the expected columns for the error message.
 */
SPIPlanPtr
CrmQueryPrepare(const char *query, int natts, const char *fn, const char *columns,
				TupleDesc *desc)
{
	SPIPlanPtr	plan;
	List	   *sources;
	CachedPlanSource *ps;
	Node	   *stmt;

	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for query of %s: %s",
			 fn, SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	if (list_length(sources) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of %s must be exactly one statement", fn),
				 errdetail("Got %d statements.", list_length(sources)),
				 errhint("Pass one SELECT returning %s.", columns)));
	ps = (CachedPlanSource *) linitial(sources);
	stmt = ps->raw_parse_tree ? ps->raw_parse_tree->stmt : NULL;
	if (stmt == NULL || !IsA(stmt, SelectStmt) ||
		((SelectStmt *) stmt)->intoClause != NULL || ps->resultDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of %s must be a SELECT", fn),
				 errhint("Pass one SELECT returning %s.", columns)));
	if (ps->resultDesc->natts != natts)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the query of %s must return %d columns", fn, natts),
				 errdetail("It returns %d column%s.", ps->resultDesc->natts,
						   ps->resultDesc->natts == 1 ? "" : "s"),
				 errhint("Return the columns %s, in that order.", columns)));
	*desc = ps->resultDesc;
	return plan;
}

/*
 * The result row type of the query, checked as by CrmQueryPrepare, for
 * callers that run it wrapped in a query of their own.
 */
TupleDesc
CrmQueryDescribe(const char *query, int natts, const char *fn, const char *columns)
{
	TupleDesc	desc;
	SPIPlanPtr	plan = CrmQueryPrepare(query, natts, fn, columns, &desc);

	desc = CreateTupleDescCopy(desc);
	SPI_freeplan(plan);
	return desc;
}

/*
 * Check that column attno (1-based) of a query result has one of the allowed
 * types.
 */
void
CrmCheckColumnType(TupleDesc desc, int attno, const char *fn, const char *colname,
				   const Oid *allowed, int nallowed, const char *expected)
{
	Oid			typid = TupleDescAttr(desc, attno - 1)->atttypid;
	int			i;

	for (i = 0; i < nallowed; i++)
		if (typid == allowed[i])
			return;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column %d (%s) of the query of %s has type %s",
					attno, colname, fn, format_type_be(typid)),
			 errhint("Return %s there, or cast it.", expected)));
}

/*
 * The query without trailing white space and semicolons, so that it can be
 * wrapped as a subquery.
 */
char *
CrmQueryStripped(const char *query)
{
	char	   *q = pstrdup(query);
	int			len = strlen(q);

	while (len > 0 && (q[len - 1] == ';' || isspace((unsigned char) q[len - 1])))
		q[--len] = '\0';
	return q;
}
