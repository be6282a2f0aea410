/*
 * aggstate.c
 *		crm.agg_state: the transition state of the extension's global
 *		aggregates as a real SQL type, so that partial aggregates can be
 *		computed on one server and merged on another (Citus), or stored in a
 *		table and merged later (rollups).
 *
 * The aggregates themselves keep their state in memory as `internal` (fast,
 * parallel through their serialization functions).  Each global aggregate x
 * also has three partial forms built on the same support functions:
 *
 *	crm.x_partial(...)			aggregate -> crm.agg_state (STYPE crm.agg_state,
 *								COMBINEFUNC crm.agg_state_combine)
 *	crm.agg_merge(crm.agg_state)	aggregate -> crm.agg_state (any kind)
 *	crm.x_finish(crm.agg_state)	the result of x
 *
 * so that x(...) over some rows equals x_finish(agg_merge(x_partial(...)))
 * over any split of the rows.  An aggregate whose state type is a real type
 * with a combine function is what Citus distributes: it runs the transition
 * function on the workers and the combine function on the coordinator,
 * moving the state through the type's text (or binary) I/O.
 *
 * One mechanism for all kinds: a registry (crm_agg_kinds below) maps each
 * kind to the existing transition, combine, serialization, deserialization
 * and final functions of its aggregate, which are called directly with a
 * CrmAggCall context (crm_analytics.h) in place of the aggregate node, so
 * that they keep their state in a memory context of ours.
 *
 * Formats.  The flat value (on disk, binary send/receive) is
 *		byte	format version (CRM_AGG_STATE_FORMAT)
 *		byte	kind (CrmAggKindId)
 *		bytes	the state as the aggregate's own serialization function
 *				writes it; nothing for a state that has seen no row yet
 * and the text form is the kind's name, a colon and the flat bytes in base64
 * (as crm.model's).  Input (text or binary) is validated in full: the
 * version, the kind, and the payload by the kind's deserialization function,
 * which checks every length and count.
 *
 * In place, no copy per row.  In memory the state is an expanded object
 * (utils/expandeddatum.h): a header in a memory context of its own, holding
 * the aggregate's internal state.  The transition function receives the
 * read-write pointer, changes the internal state in place and returns the
 * same pointer, which the aggregate node (nodeAgg, nodeWindowAgg, and Citus's
 * worker_partial_agg) keeps without copying, as array_append's expanded
 * arrays are kept.  Flattening the object (storing it, sending it, printing
 * it) serializes it once; the serialized bytes are cached until the next
 * change.
 *
 * Calling conventions.  The transition functions depend only on their
 * arguments and the state: not on fn_extra, fn_expr or AggGetAggref, which
 * Citus's wrapper does not provide (it calls through a fresh FmgrInfo, with
 * the aggregate node of worker_partial_agg as context).  The kind comes from
 * the SQL function (one C entry per kind) and is checked against the kind
 * the state carries (set by the aggregate's INITCOND), so that an aggregate
 * declared over the wrong function cannot pass one kind's arguments to
 * another kind's functions.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "crm_analytics.h"

/* Version of the flat format (its first byte). */
#define CRM_AGG_STATE_FORMAT	1
/* Bytes before the payload: the version and the kind. */
#define CRM_AGG_STATE_HEADER	2

/* The kinds: stored in every state, never renumbered. */
typedef enum CrmAggKindId
{
	CRM_AGG_SCALER_FIT = 1,
	CRM_AGG_KMEANS = 2,
	CRM_AGG_BGNBD_FIT = 3,
	CRM_AGG_PARETONBD_FIT = 4,
	CRM_AGG_GAMMAGAMMA_FIT = 5,
	CRM_AGG_PURCHASE_PROFILE = 6,
	CRM_AGG_AUC = 7,
	CRM_AGG_CLASSIFICATION_METRICS = 8,
	CRM_AGG_REGRESSION_METRICS = 9,
	CRM_AGG_AB_TEST = 10,
	CRM_AGG_WELCH_TTEST = 11,
	CRM_AGG_CUPED_TEST = 12,
	CRM_AGG_MANN_WHITNEY = 13,
	CRM_AGG_CHI2_TEST = 14,
	CRM_AGG_GINI = 15,
	CRM_AGG_TOP_SHARE = 16,
	CRM_AGG_MEDIAN_ABS_DEVIATION = 17,
	CRM_AGG_HOLT_WINTERS = 18,
	CRM_AGG_PROFILE_CANDIDATES = 19,
	CRM_AGG_PROFILE_CANDIDATES_JACCARD = 20,
	CRM_AGG_NKINDS
} CrmAggKindId;

/*
 * The support functions of one kind: those of its aggregate (see its
 * CREATE AGGREGATE).  transfn_alt replaces transfn when the aggregate is
 * called with alt_nargs arguments (crm.gini(value, unbiased)).  The combine
 * function must copy what it takes from its second state (it is freed after
 * the call), as PostgreSQL's own rules for combine functions require.
 */
typedef struct CrmAggKind
{
	const char *name;			/* the aggregate's name: the text form's tag */
	PGFunction	transfn;
	int			alt_nargs;		/* arguments of transfn_alt, 0 for none */
	PGFunction	transfn_alt;
	PGFunction	combinefn;
	PGFunction	serialfn;
	PGFunction	deserialfn;
	PGFunction	finalfn;
} CrmAggKind;

/* The support functions, defined in the capabilities' files. */
extern Datum scaler_fit_transfn(PG_FUNCTION_ARGS);
extern Datum scaler_fit_combinefn(PG_FUNCTION_ARGS);
extern Datum scaler_fit_serialfn(PG_FUNCTION_ARGS);
extern Datum scaler_fit_deserialfn(PG_FUNCTION_ARGS);
extern Datum scaler_fit_finalfn(PG_FUNCTION_ARGS);
extern Datum kmeans_transfn(PG_FUNCTION_ARGS);
extern Datum kmeans_combinefn(PG_FUNCTION_ARGS);
extern Datum kmeans_serialfn(PG_FUNCTION_ARGS);
extern Datum kmeans_deserialfn(PG_FUNCTION_ARGS);
extern Datum kmeans_finalfn(PG_FUNCTION_ARGS);
extern Datum bgnbd_fit_transfn(PG_FUNCTION_ARGS);
extern Datum paretonbd_fit_transfn(PG_FUNCTION_ARGS);
extern Datum gammagamma_fit_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_combinefn(PG_FUNCTION_ARGS);
extern Datum clv_fit_serialfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_deserialfn(PG_FUNCTION_ARGS);
extern Datum bgnbd_fit_finalfn(PG_FUNCTION_ARGS);
extern Datum paretonbd_fit_finalfn(PG_FUNCTION_ARGS);
extern Datum gammagamma_fit_finalfn(PG_FUNCTION_ARGS);
extern Datum purchase_profile_transfn(PG_FUNCTION_ARGS);
extern Datum purchase_profile_combinefn(PG_FUNCTION_ARGS);
extern Datum purchase_profile_serialfn(PG_FUNCTION_ARGS);
extern Datum purchase_profile_deserialfn(PG_FUNCTION_ARGS);
extern Datum purchase_profile_finalfn(PG_FUNCTION_ARGS);
extern Datum auc_transfn(PG_FUNCTION_ARGS);
extern Datum auc_combinefn(PG_FUNCTION_ARGS);
extern Datum auc_serialfn(PG_FUNCTION_ARGS);
extern Datum auc_deserialfn(PG_FUNCTION_ARGS);
extern Datum auc_finalfn(PG_FUNCTION_ARGS);
extern Datum classification_metrics_transfn(PG_FUNCTION_ARGS);
extern Datum classification_metrics_combinefn(PG_FUNCTION_ARGS);
extern Datum classification_metrics_serialfn(PG_FUNCTION_ARGS);
extern Datum classification_metrics_deserialfn(PG_FUNCTION_ARGS);
extern Datum classification_metrics_finalfn(PG_FUNCTION_ARGS);
extern Datum regression_metrics_transfn(PG_FUNCTION_ARGS);
extern Datum regression_metrics_combinefn(PG_FUNCTION_ARGS);
extern Datum regression_metrics_serialfn(PG_FUNCTION_ARGS);
extern Datum regression_metrics_deserialfn(PG_FUNCTION_ARGS);
extern Datum regression_metrics_finalfn(PG_FUNCTION_ARGS);
extern Datum ab_test_transfn(PG_FUNCTION_ARGS);
extern Datum ab_test_combinefn(PG_FUNCTION_ARGS);
extern Datum ab_test_serialfn(PG_FUNCTION_ARGS);
extern Datum ab_test_deserialfn(PG_FUNCTION_ARGS);
extern Datum ab_test_finalfn(PG_FUNCTION_ARGS);
extern Datum welch_ttest_transfn(PG_FUNCTION_ARGS);
extern Datum cuped_test_transfn(PG_FUNCTION_ARGS);
extern Datum means_test_combinefn(PG_FUNCTION_ARGS);
extern Datum means_test_serialfn(PG_FUNCTION_ARGS);
extern Datum means_test_deserialfn(PG_FUNCTION_ARGS);
extern Datum welch_ttest_finalfn(PG_FUNCTION_ARGS);
extern Datum cuped_test_finalfn(PG_FUNCTION_ARGS);
extern Datum mann_whitney_transfn(PG_FUNCTION_ARGS);
extern Datum mann_whitney_combinefn(PG_FUNCTION_ARGS);
extern Datum mann_whitney_serialfn(PG_FUNCTION_ARGS);
extern Datum mann_whitney_deserialfn(PG_FUNCTION_ARGS);
extern Datum mann_whitney_finalfn(PG_FUNCTION_ARGS);
extern Datum chi2_test_transfn(PG_FUNCTION_ARGS);
extern Datum chi2_test_combinefn(PG_FUNCTION_ARGS);
extern Datum chi2_test_serialfn(PG_FUNCTION_ARGS);
extern Datum chi2_test_deserialfn(PG_FUNCTION_ARGS);
extern Datum chi2_test_finalfn(PG_FUNCTION_ARGS);
extern Datum value_list_transfn(PG_FUNCTION_ARGS);
extern Datum value_list_flag_transfn(PG_FUNCTION_ARGS);
extern Datum value_list_param_transfn(PG_FUNCTION_ARGS);
extern Datum value_list_combinefn(PG_FUNCTION_ARGS);
extern Datum value_list_serialfn(PG_FUNCTION_ARGS);
extern Datum value_list_deserialfn(PG_FUNCTION_ARGS);
extern Datum gini_finalfn(PG_FUNCTION_ARGS);
extern Datum top_share_finalfn(PG_FUNCTION_ARGS);
extern Datum median_abs_deviation_finalfn(PG_FUNCTION_ARGS);
extern Datum holt_winters_transfn(PG_FUNCTION_ARGS);
extern Datum holt_winters_combinefn(PG_FUNCTION_ARGS);
extern Datum holt_winters_serialfn(PG_FUNCTION_ARGS);
extern Datum holt_winters_deserialfn(PG_FUNCTION_ARGS);
extern Datum holt_winters_finalfn(PG_FUNCTION_ARGS);
extern Datum profile_candidates_transfn(PG_FUNCTION_ARGS);
extern Datum profile_candidates_jaccard_transfn(PG_FUNCTION_ARGS);
extern Datum profile_candidates_combinefn(PG_FUNCTION_ARGS);
extern Datum profile_candidates_serialfn(PG_FUNCTION_ARGS);
extern Datum profile_candidates_deserialfn(PG_FUNCTION_ARGS);
extern Datum profile_candidates_finalfn(PG_FUNCTION_ARGS);

static const CrmAggKind crm_agg_kinds[CRM_AGG_NKINDS] = {
	[CRM_AGG_SCALER_FIT] = {"scaler_fit", scaler_fit_transfn, 0, NULL,
		scaler_fit_combinefn, scaler_fit_serialfn, scaler_fit_deserialfn, scaler_fit_finalfn},
	[CRM_AGG_KMEANS] = {"kmeans", kmeans_transfn, 0, NULL,
		kmeans_combinefn, kmeans_serialfn, kmeans_deserialfn, kmeans_finalfn},
	[CRM_AGG_BGNBD_FIT] = {"bgnbd_fit", bgnbd_fit_transfn, 0, NULL,
		clv_fit_combinefn, clv_fit_serialfn, clv_fit_deserialfn, bgnbd_fit_finalfn},
	[CRM_AGG_PARETONBD_FIT] = {"paretonbd_fit", paretonbd_fit_transfn, 0, NULL,
		clv_fit_combinefn, clv_fit_serialfn, clv_fit_deserialfn, paretonbd_fit_finalfn},
	[CRM_AGG_GAMMAGAMMA_FIT] = {"gammagamma_fit", gammagamma_fit_transfn, 0, NULL,
		clv_fit_combinefn, clv_fit_serialfn, clv_fit_deserialfn, gammagamma_fit_finalfn},
	[CRM_AGG_PURCHASE_PROFILE] = {"purchase_profile", purchase_profile_transfn, 0, NULL,
		purchase_profile_combinefn, purchase_profile_serialfn, purchase_profile_deserialfn,
	purchase_profile_finalfn},
	[CRM_AGG_AUC] = {"auc", auc_transfn, 0, NULL,
		auc_combinefn, auc_serialfn, auc_deserialfn, auc_finalfn},
	[CRM_AGG_CLASSIFICATION_METRICS] = {"classification_metrics", classification_metrics_transfn, 0, NULL,
		classification_metrics_combinefn, classification_metrics_serialfn,
	classification_metrics_deserialfn, classification_metrics_finalfn},
	[CRM_AGG_REGRESSION_METRICS] = {"regression_metrics", regression_metrics_transfn, 0, NULL,
		regression_metrics_combinefn, regression_metrics_serialfn, regression_metrics_deserialfn,
	regression_metrics_finalfn},
	[CRM_AGG_AB_TEST] = {"ab_test", ab_test_transfn, 0, NULL,
		ab_test_combinefn, ab_test_serialfn, ab_test_deserialfn, ab_test_finalfn},
	[CRM_AGG_WELCH_TTEST] = {"welch_ttest", welch_ttest_transfn, 0, NULL,
		means_test_combinefn, means_test_serialfn, means_test_deserialfn, welch_ttest_finalfn},
	[CRM_AGG_CUPED_TEST] = {"cuped_test", cuped_test_transfn, 0, NULL,
		means_test_combinefn, means_test_serialfn, means_test_deserialfn, cuped_test_finalfn},
	[CRM_AGG_MANN_WHITNEY] = {"mann_whitney", mann_whitney_transfn, 0, NULL,
		mann_whitney_combinefn, mann_whitney_serialfn, mann_whitney_deserialfn, mann_whitney_finalfn},
	[CRM_AGG_CHI2_TEST] = {"chi2_test", chi2_test_transfn, 0, NULL,
		chi2_test_combinefn, chi2_test_serialfn, chi2_test_deserialfn, chi2_test_finalfn},
	[CRM_AGG_GINI] = {"gini", value_list_transfn, 2, value_list_flag_transfn,
		value_list_combinefn, value_list_serialfn, value_list_deserialfn, gini_finalfn},
	[CRM_AGG_TOP_SHARE] = {"top_share", value_list_param_transfn, 0, NULL,
		value_list_combinefn, value_list_serialfn, value_list_deserialfn, top_share_finalfn},
	[CRM_AGG_MEDIAN_ABS_DEVIATION] = {"median_abs_deviation", value_list_transfn, 0, NULL,
		value_list_combinefn, value_list_serialfn, value_list_deserialfn,
	median_abs_deviation_finalfn},
	[CRM_AGG_HOLT_WINTERS] = {"holt_winters", holt_winters_transfn, 0, NULL,
		holt_winters_combinefn, holt_winters_serialfn, holt_winters_deserialfn, holt_winters_finalfn},
	[CRM_AGG_PROFILE_CANDIDATES] = {"profile_candidates", profile_candidates_transfn, 0, NULL,
		profile_candidates_combinefn, profile_candidates_serialfn, profile_candidates_deserialfn,
	profile_candidates_finalfn},
	[CRM_AGG_PROFILE_CANDIDATES_JACCARD] = {"profile_candidates_jaccard",
		profile_candidates_jaccard_transfn, 0, NULL,
		profile_candidates_combinefn, profile_candidates_serialfn, profile_candidates_deserialfn,
	profile_candidates_finalfn},
};

/* The expanded (in-memory) form of a state. */
typedef struct CrmAggStateObj
{
	ExpandedObjectHeader hdr;	/* its context holds everything below */
	int			kind;			/* CrmAggKindId */
	void	   *state;			/* the aggregate's internal state; NULL before any row */
	MemoryContext flatctx;		/* holds flat, or NULL */
	bytea	   *flat;			/* the serialized state, until the next change */
} CrmAggStateObj;

static Size AggStateGetFlatSize(ExpandedObjectHeader *eohptr);
static void AggStateFlattenInto(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods crm_agg_state_methods = {
	AggStateGetFlatSize,
	AggStateFlattenInto
};

/* A flat value taken apart (pointing into it). */
typedef struct CrmAggFlat
{
	int			kind;
	const char *payload;
	int			len;			/* 0: no row seen yet */
} CrmAggFlat;

PG_FUNCTION_INFO_V1(agg_state_in);
PG_FUNCTION_INFO_V1(agg_state_out);
PG_FUNCTION_INFO_V1(agg_state_recv);
PG_FUNCTION_INFO_V1(agg_state_send);
PG_FUNCTION_INFO_V1(agg_state_combine);

/* ----------------------------------------------------------------------
 * Calling a kind's support functions
 * ---------------------------------------------------------------------- */

/*
 * Set up a call of fn with nargs arguments whose state lives in ctx: a
 * CrmAggCall context and an FmgrInfo of its own (no fn_oid, no fn_expr, no
 * fn_extra kept between calls, as under Citus's wrapper).
 */
static void
AggCallSetup(FunctionCallInfo inner, FmgrInfo *flinfo, CrmAggCall *call,
			 PGFunction fn, int nargs, MemoryContext ctx, Oid collation)
{
	memset(call, 0, sizeof(*call));
	call->node.type = T_ExtensibleNode;
	call->node.extnodename = CRM_AGG_CALL_NODE;
	call->ctx = ctx;
	memset(flinfo, 0, sizeof(*flinfo));
	flinfo->fn_addr = fn;
	flinfo->fn_oid = InvalidOid;
	flinfo->fn_nargs = nargs;
	flinfo->fn_mcxt = CurrentMemoryContext;
	InitFunctionCallInfoData(*inner, flinfo, nargs, collation, (Node *) call, NULL);
}

/* The kind's internal state of the serialized bytes, built in ctx. */
static void *
AggKindDeserialize(int kind, const char *payload, int len, MemoryContext ctx)
{
	LOCAL_FCINFO(inner, 2);
	FmgrInfo	flinfo;
	CrmAggCall	call;
	bytea	   *b;
	Datum		result;

	if (len == 0)
		return NULL;
	b = palloc(VARHDRSZ + len);
	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), payload, len);
	AggCallSetup(inner, &flinfo, &call, crm_agg_kinds[kind].deserialfn, 2, ctx, InvalidOid);
	inner->args[0].value = PointerGetDatum(b);
	inner->args[0].isnull = false;
	inner->args[1].value = (Datum) 0;
	inner->args[1].isnull = false;
	result = crm_agg_kinds[kind].deserialfn(inner);
	pfree(b);
	if (inner->isnull)
		return NULL;
	return DatumGetPointer(result);
}

/* The serialized bytes of a kind's internal state (in the current context). */
static bytea *
AggKindSerialize(int kind, void *state)
{
	LOCAL_FCINFO(inner, 1);
	FmgrInfo	flinfo;
	CrmAggCall	call;
	Datum		result;

	AggCallSetup(inner, &flinfo, &call, crm_agg_kinds[kind].serialfn, 1,
				 CurrentMemoryContext, InvalidOid);
	inner->args[0].value = PointerGetDatum(state);
	inner->args[0].isnull = false;
	result = crm_agg_kinds[kind].serialfn(inner);
	if (inner->isnull)
		elog(ERROR, "serialization function of %s returned NULL", crm_agg_kinds[kind].name);
	return DatumGetByteaPP(result);
}

/* ----------------------------------------------------------------------
 * Flat values
 * ---------------------------------------------------------------------- */

static void
AggStateCorrupt(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid crm.agg_state value"),
			 errdetail("%s", detail),
			 errhint("Pass a state exactly as a crm.*_partial aggregate or crm.agg_merge produced it.")));
}

/* Take a flat value apart, checking its header (not yet its payload). */
static void
AggStateParse(const char *data, int len, CrmAggFlat *f)
{
	if (len < CRM_AGG_STATE_HEADER)
		AggStateCorrupt(psprintf("It has %d bytes; a state has at least %d.", len, CRM_AGG_STATE_HEADER));
	if ((uint8) data[0] != CRM_AGG_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported crm.agg_state format version %d", (uint8) data[0]),
				 errdetail("This version of crm_analytics reads format version %d.", CRM_AGG_STATE_FORMAT),
				 errhint("Compute the partial states again with this version.")));
	if ((uint8) data[1] < 1 || (uint8) data[1] >= CRM_AGG_NKINDS)
		AggStateCorrupt(psprintf("Its kind %d is unknown.", (uint8) data[1]));
	f->kind = (uint8) data[1];
	f->payload = data + CRM_AGG_STATE_HEADER;
	f->len = len - CRM_AGG_STATE_HEADER;
}

/* Validate flat bytes in full: header, then the payload by its kind. */
static void
AggStateValidate(const char *data, int len, CrmAggFlat *f)
{
	MemoryContext tmp;

	AggStateParse(data, len, f);
	if (f->len == 0)
		return;
	tmp = AllocSetContextCreate(CurrentMemoryContext, "crm.agg_state validation",
								ALLOCSET_DEFAULT_SIZES);
	(void) AggKindDeserialize(f->kind, f->payload, f->len, tmp);
	MemoryContextDelete(tmp);
}

/* A flat varlena of the given bytes. */
static struct varlena *
AggStateBytes(const char *data, int len)
{
	struct varlena *v = palloc(VARHDRSZ + len);

	SET_VARSIZE(v, VARHDRSZ + len);
	memcpy(VARDATA(v), data, len);
	return v;
}

/* The kind named by the text before the colon, or 0. */
static int
AggKindByName(const char *name, int len)
{
	int			k;

	for (k = 1; k < CRM_AGG_NKINDS; k++)
		if ((int) strlen(crm_agg_kinds[k].name) == len &&
			strncmp(crm_agg_kinds[k].name, name, len) == 0)
			return k;
	return 0;
}

/* ----------------------------------------------------------------------
 * Expanded objects
 * ---------------------------------------------------------------------- */

/* Is d an expanded crm.agg_state (read-write or read-only)? */
static inline CrmAggStateObj *
AggStateObjOf(Datum d)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &crm_agg_state_methods)
			return (CrmAggStateObj *) eoh;
	}
	return NULL;
}

/* A new expanded state of a kind in a context of its own under parent. */
static CrmAggStateObj *
AggStateObjNew(int kind, MemoryContext parent)
{
	MemoryContext objctx = AllocSetContextCreate(parent, "crm.agg_state",
												 ALLOCSET_SMALL_SIZES);
	CrmAggStateObj *obj = MemoryContextAllocZero(objctx, sizeof(CrmAggStateObj));

	EOH_init_header(&obj->hdr, &crm_agg_state_methods, objctx);
	obj->kind = kind;
	return obj;
}

/* The state changed: the cached serialization is stale. */
static void
AggStateObjChanged(CrmAggStateObj *obj)
{
	if (obj->flatctx != NULL)
		MemoryContextReset(obj->flatctx);
	obj->flat = NULL;
}

/* An expanded copy (in a context under parent) of any crm.agg_state datum. */
static CrmAggStateObj *
AggStateObjCopy(Datum d, MemoryContext parent)
{
	struct varlena *v = PG_DETOAST_DATUM(d);	/* flattens an expanded one */
	CrmAggFlat	f;
	CrmAggStateObj *obj;

	AggStateParse(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &f);
	obj = AggStateObjNew(f.kind, parent);
	obj->state = AggKindDeserialize(f.kind, f.payload, f.len, obj->hdr.eoh_context);
	if ((Pointer) v != DatumGetPointer(d))
		pfree(v);
	return obj;
}

/* Serialize once per change, into flatctx. */
static Size
AggStateGetFlatSize(ExpandedObjectHeader *eohptr)
{
	CrmAggStateObj *obj = (CrmAggStateObj *) eohptr;
	Size		payload = 0;
	Size		size;

	if (obj->state != NULL)
	{
		if (obj->flat == NULL)
		{
			MemoryContext old;

			if (obj->flatctx == NULL)
				obj->flatctx = AllocSetContextCreate(obj->hdr.eoh_context,
													 "crm.agg_state serialization",
													 ALLOCSET_DEFAULT_SIZES);
			old = MemoryContextSwitchTo(obj->flatctx);
			obj->flat = AggKindSerialize(obj->kind, obj->state);
			MemoryContextSwitchTo(old);
		}
		payload = VARSIZE_ANY_EXHDR(obj->flat);
	}
	size = VARHDRSZ + CRM_AGG_STATE_HEADER + payload;
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the %s state is too large to store or send", crm_agg_kinds[obj->kind].name),
				 errdetail("It takes %zu bytes; a value can take at most 1 GB.", size),
				 errhint("Split the input further and merge fewer rows into one state, or use the aggregate itself.")));
	return size;
}

static void
AggStateFlattenInto(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	CrmAggStateObj *obj = (CrmAggStateObj *) eohptr;
	char	   *data = VARDATA((struct varlena *) result);
	Size		payload = allocated_size - VARHDRSZ - CRM_AGG_STATE_HEADER;

	Assert(payload == (obj->flat ? VARSIZE_ANY_EXHDR(obj->flat) : 0));
	SET_VARSIZE((struct varlena *) result, allocated_size);
	data[0] = CRM_AGG_STATE_FORMAT;
	data[1] = (char) obj->kind;
	if (payload > 0)
		memcpy(data + CRM_AGG_STATE_HEADER, VARDATA_ANY(obj->flat), payload);
}

/* The flat form of an expanded state, in the current context. */
static Datum
AggStateObjFlatten(CrmAggStateObj *obj)
{
	Size		size = EOH_get_flat_size(&obj->hdr);
	void	   *v = palloc(size);

	EOH_flatten_into(&obj->hdr, v, size);
	return PointerGetDatum(v);
}

static void
AggStateKindMismatch(int got, int want)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("this crm.agg_state holds a state of crm.%s, not of crm.%s",
					crm_agg_kinds[got].name, crm_agg_kinds[want].name),
			 errhint("Merge and finish the states of one aggregate with that aggregate's functions (crm.%s_finish).",
					 crm_agg_kinds[got].name)));
}

/* ----------------------------------------------------------------------
 * The type's I/O
 * ---------------------------------------------------------------------- */

/* Text "kind:base64" to a state, validated in full. */
Datum
agg_state_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *colon = CrmNamedTextName(&str);
	int			kind = colon ? AggKindByName(str, colon - str) : 0,
				len;
	char	   *bytes;
	CrmAggFlat	f;

	if (kind == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type crm.agg_state"),
				 errdetail("A state is written as the name of its aggregate (for example kmeans), a colon and base64 data."),
				 errhint("States come from the crm.*_partial aggregates and crm.agg_merge.")));
	bytes = CrmNamedTextDecode(colon, &len, "crm.agg_state", "Pass the text of a state exactly as it was output.");
	AggStateValidate(bytes, len, &f);
	if (f.kind != kind)
		AggStateCorrupt(psprintf("Its text says %s but its data is a %s state.",
								 crm_agg_kinds[kind].name, crm_agg_kinds[f.kind].name));
	PG_RETURN_POINTER(AggStateBytes(bytes, len));
}

/* A state as "kind:base64" of its flat bytes. */
Datum
agg_state_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_VARLENA_PP(0);
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	CrmAggFlat	f;

	AggStateParse(data, len, &f);
	PG_RETURN_CSTRING(CrmNamedTextOut(crm_agg_kinds[f.kind].name, data, len, "crm.agg_state"));
}

/* Binary input: the flat bytes, validated in full. */
Datum
agg_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *data = pq_getmsgbytes(buf, len);
	CrmAggFlat	f;

	AggStateValidate(data, len, &f);
	PG_RETURN_POINTER(AggStateBytes(data, len));
}

/* Binary output: the flat bytes. */
Datum
agg_state_send(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_VARLENA_PP(0);
	StringInfoData buf;
	CrmAggFlat	f;

	AggStateParse(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &f);
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ----------------------------------------------------------------------
 * Transition, combine, finish
 * ---------------------------------------------------------------------- */

/*
 * The state argument argno as an expanded object that this aggregate may
 * change: the read-write object the previous call returned, or a new one in
 * the aggregate context made from the flat value (the INITCOND, or a state
 * that went through a copy).
 */
static CrmAggStateObj *
AggStateWritable(FunctionCallInfo fcinfo, int argno, MemoryContext aggctx)
{
	Datum		d = PG_GETARG_DATUM(argno);
	CrmAggStateObj *obj = AggStateObjOf(d);

	if (obj != NULL && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		MemoryContextGetParent(obj->hdr.eoh_context) == aggctx)
		return obj;
	return AggStateObjCopy(d, aggctx);
}

/*
 * The transition function of crm.x_partial for kind: the kind's own
 * transition function on the state's internal state, in place.
 */
static Datum
AggStateTransition(FunctionCallInfo fcinfo, int kind)
{
	const CrmAggKind *k = &crm_agg_kinds[kind];
	MemoryContext aggctx;
	CrmAggStateObj *obj;
	PGFunction	fn;
	LOCAL_FCINFO(inner, FUNC_MAX_ARGS);
	FmgrInfo	flinfo;
	CrmAggCall	call;
	Datum		result;
	int			nargs = PG_NARGS();
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("crm.%s_partial_transfn is the transition function of crm.%s_partial", k->name, k->name),
				 errhint("Call the aggregate crm.%s_partial; merge two states with crm.agg_state_combine.",
						 k->name)));
	if (PG_ARGISNULL(0))
		obj = AggStateObjNew(kind, aggctx);
	else
		obj = AggStateWritable(fcinfo, 0, aggctx);
	if (obj->kind != kind)
		AggStateKindMismatch(obj->kind, kind);

	fn = (k->alt_nargs > 0 && nargs - 1 == k->alt_nargs) ? k->transfn_alt : k->transfn;
	AggCallSetup(inner, &flinfo, &call, fn, nargs, obj->hdr.eoh_context, PG_GET_COLLATION());
	inner->args[0].value = PointerGetDatum(obj->state);
	inner->args[0].isnull = obj->state == NULL;
	for (i = 1; i < nargs; i++)
		inner->args[i] = fcinfo->args[i];
	result = fn(inner);
	obj->state = inner->isnull ? NULL : DatumGetPointer(result);
	AggStateObjChanged(obj);
	PG_RETURN_DATUM(EOHPGetRWDatum(&obj->hdr));
}

/*
 * crm.agg_state_combine(a, b): b merged into a (states of one kind).  The
 * combine function of every crm.x_partial and the transition and combine
 * function of crm.agg_merge, where it changes a in place; called as a plain
 * function it returns a new flat state and changes neither.
 */
Datum
agg_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = NULL;
	bool		inagg = AggCheckCallContext(fcinfo, &aggctx);
	CrmAggStateObj *obj;
	CrmAggStateObj *obj2;
	MemoryContext tmp = NULL;
	void	   *s2;
	int			kind2;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	/* the second state: as it is when expanded, else deserialized for the call */
	obj2 = AggStateObjOf(PG_GETARG_DATUM(1));
	if (obj2 != NULL)
	{
		kind2 = obj2->kind;
		s2 = obj2->state;
	}
	else
	{
		struct varlena *v = PG_GETARG_VARLENA_PP(1);
		CrmAggFlat	f;

		AggStateParse(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &f);
		kind2 = f.kind;
		tmp = AllocSetContextCreate(CurrentMemoryContext, "crm.agg_state merge",
									ALLOCSET_DEFAULT_SIZES);
		s2 = AggKindDeserialize(f.kind, f.payload, f.len, tmp);
	}

	/* the first: changed in place in an aggregate, else copied */
	if (PG_ARGISNULL(0))
		obj = AggStateObjNew(kind2, inagg ? aggctx : CurrentMemoryContext);
	else if (inagg)
		obj = AggStateWritable(fcinfo, 0, aggctx);
	else
		obj = AggStateObjCopy(PG_GETARG_DATUM(0), CurrentMemoryContext);
	if (obj->kind != kind2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge a state of crm.%s with a state of crm.%s",
						crm_agg_kinds[obj->kind].name, crm_agg_kinds[kind2].name),
				 errhint("Merge the partial states of one aggregate at a time.")));

	if (s2 != NULL)
	{
		const CrmAggKind *k = &crm_agg_kinds[obj->kind];
		LOCAL_FCINFO(inner, 2);
		FmgrInfo	flinfo;
		CrmAggCall	call;
		Datum		result;

		AggCallSetup(inner, &flinfo, &call, k->combinefn, 2, obj->hdr.eoh_context, InvalidOid);
		inner->args[0].value = PointerGetDatum(obj->state);
		inner->args[0].isnull = obj->state == NULL;
		inner->args[1].value = PointerGetDatum(s2);
		inner->args[1].isnull = false;
		result = k->combinefn(inner);
		obj->state = inner->isnull ? NULL : DatumGetPointer(result);
		AggStateObjChanged(obj);
	}
	if (tmp != NULL)
		MemoryContextDelete(tmp);

	if (inagg)
		PG_RETURN_DATUM(EOHPGetRWDatum(&obj->hdr));
	else
	{
		Datum		flat = AggStateObjFlatten(obj);

		DeleteExpandedObject(EOHPGetRWDatum(&obj->hdr));
		PG_RETURN_DATUM(flat);
	}
}

/*
 * crm.x_finish(state) for kind: the aggregate's final function on the state,
 * which is left as it is.
 */
static Datum
AggStateFinish(FunctionCallInfo fcinfo, int kind)
{
	const CrmAggKind *k = &crm_agg_kinds[kind];
	Datum		d = PG_GETARG_DATUM(0);
	CrmAggStateObj *obj = AggStateObjOf(d);
	MemoryContext callerctx = CurrentMemoryContext;
	MemoryContext tmp;
	void	   *state;
	LOCAL_FCINFO(inner, 1);
	FmgrInfo	flinfo;
	CrmAggCall	call;
	Datum		result;
	int16		typlen;
	bool		typbyval;

	tmp = AllocSetContextCreate(CurrentMemoryContext, "crm.agg_state finish",
								ALLOCSET_DEFAULT_SIZES);
	if (obj != NULL)
	{
		if (obj->kind != kind)
			AggStateKindMismatch(obj->kind, kind);
		state = obj->state;
	}
	else
	{
		struct varlena *v = PG_GETARG_VARLENA_PP(0);
		CrmAggFlat	f;

		AggStateParse(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &f);
		if (f.kind != kind)
			AggStateKindMismatch(f.kind, kind);
		state = AggKindDeserialize(kind, f.payload, f.len, tmp);
	}

	/*
	 * The final function sees this function's FmgrInfo (its result type, for
	 * composite results) with its own address and no fn_extra.
	 */
	AggCallSetup(inner, &flinfo, &call, k->finalfn, 1, tmp, PG_GET_COLLATION());
	flinfo.fn_oid = fcinfo->flinfo->fn_oid;
	flinfo.fn_expr = fcinfo->flinfo->fn_expr;
	flinfo.fn_retset = false;
	inner->args[0].value = PointerGetDatum(state);
	inner->args[0].isnull = state == NULL;
	result = k->finalfn(inner);

	/* the result may point into the state: copy it out before freeing that */
	if (!inner->isnull)
	{
		get_typlenbyval(get_func_rettype(fcinfo->flinfo->fn_oid), &typlen, &typbyval);
		if (!typbyval)
		{
			MemoryContext old = MemoryContextSwitchTo(callerctx);

			result = datumCopy(result, typbyval, typlen);
			MemoryContextSwitchTo(old);
		}
	}
	MemoryContextDelete(tmp);
	if (inner->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * The SQL entry points of each kind: x_partial_transfn (the transition
 * function of every crm.x_partial) and x_finish.
 */
#define CRM_AGG_FORMS(x, KIND) \
	PG_FUNCTION_INFO_V1(x##_partial_transfn); \
	Datum x##_partial_transfn(PG_FUNCTION_ARGS) { return AggStateTransition(fcinfo, KIND); } \
	PG_FUNCTION_INFO_V1(x##_finish); \
	Datum x##_finish(PG_FUNCTION_ARGS) { return AggStateFinish(fcinfo, KIND); }

CRM_AGG_FORMS(scaler_fit, CRM_AGG_SCALER_FIT)
CRM_AGG_FORMS(kmeans, CRM_AGG_KMEANS)
CRM_AGG_FORMS(bgnbd_fit, CRM_AGG_BGNBD_FIT)
CRM_AGG_FORMS(paretonbd_fit, CRM_AGG_PARETONBD_FIT)
CRM_AGG_FORMS(gammagamma_fit, CRM_AGG_GAMMAGAMMA_FIT)
CRM_AGG_FORMS(purchase_profile, CRM_AGG_PURCHASE_PROFILE)
CRM_AGG_FORMS(auc, CRM_AGG_AUC)
CRM_AGG_FORMS(classification_metrics, CRM_AGG_CLASSIFICATION_METRICS)
CRM_AGG_FORMS(regression_metrics, CRM_AGG_REGRESSION_METRICS)
CRM_AGG_FORMS(ab_test, CRM_AGG_AB_TEST)
CRM_AGG_FORMS(welch_ttest, CRM_AGG_WELCH_TTEST)
CRM_AGG_FORMS(cuped_test, CRM_AGG_CUPED_TEST)
CRM_AGG_FORMS(mann_whitney, CRM_AGG_MANN_WHITNEY)
CRM_AGG_FORMS(chi2_test, CRM_AGG_CHI2_TEST)
CRM_AGG_FORMS(gini, CRM_AGG_GINI)
CRM_AGG_FORMS(top_share, CRM_AGG_TOP_SHARE)
CRM_AGG_FORMS(median_abs_deviation, CRM_AGG_MEDIAN_ABS_DEVIATION)
CRM_AGG_FORMS(holt_winters, CRM_AGG_HOLT_WINTERS)
CRM_AGG_FORMS(profile_candidates, CRM_AGG_PROFILE_CANDIDATES)
CRM_AGG_FORMS(profile_candidates_jaccard, CRM_AGG_PROFILE_CANDIDATES_JACCARD)
