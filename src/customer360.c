/*
 * customer360.c
 *		crm.query_rows: the rows of a caller's query, read-only, as a table
 *		of the columns the caller declares.
 *
 * The nightly customer-360 job (crm.refresh_customer_360, customer360.sql)
 * takes its sources as queries, like every function of the extension.  Most
 * of them go to functions that take a query (crm.rfm_scores,
 * crm.nearest_neighbors, crm.customer_deviation); the rows that feed
 * aggregates (the CLV summaries, the baskets) come through this function, so
 * that no SQL is ever built around the caller's text and the query runs
 * read-only with the caller's rights, as everywhere else (query.c): one
 * SELECT, parsed once, run through SPI in read-only mode with
 * transaction_read_only on.
 *
 *	SELECT * FROM crm.query_rows('SELECT id, ordered_at, amount FROM orders')
 *		AS t(customer text, ordered_at timestamptz, amount numeric);
 *
 * The column definition list gives the number of columns and their types;
 * each column of the query is converted to its type as value::type does
 * (CrmCast), so that a bigint key can be read as text.  The rows are
 * materialized (the query has finished, and transaction_read_only is off
 * again, before the first row is returned), so the result can feed a
 * CREATE TABLE AS or an INSERT.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "crm_analytics.h"

PG_FUNCTION_INFO_V1(query_rows);

/* What the row callback needs. */
typedef struct QueryRowsState
{
	ReturnSetInfo *rsinfo;
	TupleDesc	want;
	CrmCast    *casts;
	Datum	   *values;
	bool	   *nulls;
} QueryRowsState;

/* One row of the query: converted, into the result. */
static void
QueryRowsAdd(TupleTableSlot *slot, void *arg)
{
	QueryRowsState *st = (QueryRowsState *) arg;
	int			i;

	for (i = 0; i < st->want->natts; i++)
	{
		st->nulls[i] = slot->tts_isnull[i];
		st->values[i] = st->nulls[i] ? (Datum) 0 : CrmCastValue(&st->casts[i], slot->tts_values[i]);
	}
	tuplestore_putvalues(st->rsinfo->setResult, st->want, st->values, st->nulls);
}

/* crm.query_rows(query text) RETURNS SETOF record */
Datum
query_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	QueryRowsState st;
	CrmQuery	q;
	StringInfoData cols;
	char	   *sql;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the query of crm.query_rows must not be NULL"),
				 errhint("Pass one SELECT.")));
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("crm.query_rows needs a column definition list"),
				 errhint("Call it in FROM with the columns of the query: SELECT * FROM crm.query_rows('SELECT ...') AS t(customer text, amount numeric).")));
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	memset(&st, 0, sizeof(st));
	st.rsinfo = rsinfo;
	st.want = rsinfo->setDesc;
	initStringInfo(&cols);
	appendStringInfoChar(&cols, '(');
	for (i = 0; i < st.want->natts; i++)
		appendStringInfo(&cols, "%s%s %s", i ? ", " : "", NameStr(TupleDescAttr(st.want, i)->attname),
						 format_type_be(TupleDescAttr(st.want, i)->atttypid));
	appendStringInfoChar(&cols, ')');

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CrmQueryOpen(&q, sql, st.want->natts, st.want->natts, "crm.query_rows", cols.data);
	st.casts = palloc(st.want->natts * sizeof(CrmCast));
	st.values = palloc(st.want->natts * sizeof(Datum));
	st.nulls = palloc(st.want->natts * sizeof(bool));
	for (i = 0; i < st.want->natts; i++)
		CrmCastInit(&st.casts[i], TupleDescAttr(q.desc, i)->atttypid,
					TupleDescAttr(st.want, i)->atttypid, "crm.query_rows",
					psprintf("%d (%s)", i + 1, NameStr(TupleDescAttr(st.want, i)->attname)));
	(void) CrmQueryForEachRow(&q, QueryRowsAdd, &st);
	CrmQueryClose(&q);
	SPI_finish();
	return (Datum) 0;
}
