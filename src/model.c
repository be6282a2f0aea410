/*
 * model.c
 *		The model value crm.model: one type for every kind of predictive
 *		model, its binary format, its text form, the decoded-model cache, and
 *		crm.predict / crm.predict_label / crm.explain / crm.model_json, which
 *		dispatch to the kind of the model (see model.h).
 *
 * Binary format, version 1 (all integers and floats in network byte order,
 * floats as their IEEE 754 bits, so a value round-trips exactly):
 *
 *		uint8  format (1)      uint8  kind      int16  flags (0)
 *		int32  nfeatures, then per feature:
 *			   string name, string source_type, uint8 type, int64 nulls,
 *			   numeric:     float8 mean, sd, min, max
 *			   categorical: int32 nlevels, per level: string text (NULL
 *			                level: length -1, last), int64 rows
 *		target: string name, string source_type, uint8 type, int32 nlevels,
 *			   per level: string, int64 rows; float8 mean, sd
 *		int32  payload length, payload (the kind's own part)
 *		int32  nfacts, per fact: string key, uint8 type, int64 | float8 | string
 *		uint32 CRC-32C of every byte before it
 *
 * A string is an int32 byte length (-1: NULL) and the bytes, without a
 * terminator, in the database encoding.  The binary send/receive form of
 * the type is exactly these bytes.  The text form is the kind's name, a
 * colon and the bytes in base64: exact by construction, short, and decoded
 * by the same validating code as the binary form; crm.model_json is the
 * readable form.  Every value entering through the text or binary input is
 * decoded in full, and decoding validates every length, count, number and
 * text (and the checksum first), so a corrupted value is an ERROR, never a
 * crash or a wrong prediction.
 *
 * Applying a model row by row must not decode it per row: the decoded model
 * is cached in fn_extra of the call site, keyed by the identity of the
 * argument datum (the TOAST pointer of a stored model, or the bytes of a
 * small inline one), together with the mapping of the caller's record type
 * onto the model's features (model_features.c).
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "model.h"

PG_FUNCTION_INFO_V1(model_in);
PG_FUNCTION_INFO_V1(model_out);
PG_FUNCTION_INFO_V1(model_recv);
PG_FUNCTION_INFO_V1(model_send);
PG_FUNCTION_INFO_V1(model_predict);
PG_FUNCTION_INFO_V1(model_predict_label);
PG_FUNCTION_INFO_V1(model_explain);
PG_FUNCTION_INFO_V1(model_predict_probability);
PG_FUNCTION_INFO_V1(model_feature_importance);
PG_FUNCTION_INFO_V1(model_json);

/* The smallest possible value: header, counts, target, lengths, checksum. */
#define CRM_MODEL_MIN_BYTES		32

/* The kinds of model this version knows. */
const CrmModelKindOps *
CrmModelKindOpsFor(int kind)
{
	switch (kind)
	{
		case CRM_MODEL_LOGISTIC:
			return &CrmLogisticRegressionOps;
		case CRM_MODEL_LINEAR:
			return &CrmLinearRegressionOps;
		case CRM_MODEL_DECISION_TREE:
			return &CrmDecisionTreeOps;
		case CRM_MODEL_BOOSTED_TREES:
			return &CrmBoostedTreesOps;
		default:
			return NULL;
	}
}

/* The kind named name, or NULL. */
static const CrmModelKindOps *
CrmModelKindOpsByName(const char *name, int len)
{
	int			kind;

	for (kind = 1; kind < 256; kind++)
	{
		const CrmModelKindOps *ops = CrmModelKindOpsFor(kind);

		if (ops != NULL && (int) strlen(ops->name) == len &&
			strncmp(ops->name, name, len) == 0)
			return ops;
	}
	return NULL;
}

/* ----------------------------------------------------------------------
 * Encoding
 * ---------------------------------------------------------------------- */

/* Write a string (NULL allowed). */
static void
CrmModelWriteString(StringInfo buf, const char *s)
{
	if (s == NULL)
	{
		pq_sendint32(buf, -1);
		return;
	}
	pq_sendint32(buf, (int32) strlen(s));
	pq_sendbytes(buf, s, (int) strlen(s));
}

/* The value of a model (a bytea-shaped varlena). */
bytea *
CrmModelEncode(const CrmModel *m)
{
	const CrmModelKindOps *ops = CrmModelKindOpsFor(m->kind);
	StringInfoData buf;
	StringInfoData payload;
	pg_crc32c	crc;
	int			i,
				j;

	if (ops == NULL)
		elog(ERROR, "unknown model kind %d", m->kind);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CRM_MODEL_FORMAT);
	pq_sendbyte(&buf, m->kind);
	pq_sendint16(&buf, 0);
	pq_sendint32(&buf, m->nfeatures);
	for (i = 0; i < m->nfeatures; i++)
	{
		const CrmFeature *f = &m->features[i];

		CrmModelWriteString(&buf, f->name);
		CrmModelWriteString(&buf, f->source_type);
		pq_sendbyte(&buf, f->type);
		pq_sendint64(&buf, f->nulls);
		if (f->type == CRM_FEATURE_NUMERIC)
		{
			pq_sendfloat8(&buf, f->mean);
			pq_sendfloat8(&buf, f->sd);
			pq_sendfloat8(&buf, f->min);
			pq_sendfloat8(&buf, f->max);
		}
		else
		{
			pq_sendint32(&buf, f->nlevels);
			for (j = 0; j < f->nlevels; j++)
			{
				CrmModelWriteString(&buf, f->levels[j]);
				pq_sendint64(&buf, f->level_rows[j]);
			}
		}
	}
	CrmModelWriteString(&buf, m->target.name);
	CrmModelWriteString(&buf, m->target.source_type);
	pq_sendbyte(&buf, m->target.type);
	pq_sendint32(&buf, m->target.nlevels);
	for (j = 0; j < m->target.nlevels; j++)
	{
		CrmModelWriteString(&buf, m->target.levels[j]);
		pq_sendint64(&buf, m->target.level_rows[j]);
	}
	pq_sendfloat8(&buf, m->target.mean);
	pq_sendfloat8(&buf, m->target.sd);

	initStringInfo(&payload);
	ops->write_payload(&payload, m);
	pq_sendint32(&buf, payload.len);
	pq_sendbytes(&buf, payload.data, payload.len);
	pfree(payload.data);

	pq_sendint32(&buf, m->nfacts);
	for (i = 0; i < m->nfacts; i++)
	{
		const CrmModelFact *fact = &m->facts[i];

		CrmModelWriteString(&buf, fact->key);
		pq_sendbyte(&buf, fact->type);
		switch (fact->type)
		{
			case CRM_FACT_INT:
			case CRM_FACT_BOOL:
				pq_sendint64(&buf, fact->i);
				break;
			case CRM_FACT_FLOAT:
				pq_sendfloat8(&buf, fact->f);
				break;
			default:
				CrmModelWriteString(&buf, fact->t);
				break;
		}
	}
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, buf.data + VARHDRSZ, buf.len - VARHDRSZ);
	FIN_CRC32C(crc);
	pq_sendint32(&buf, (uint32) crc);
	if (buf.len > (int) MaxAllocSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the model would take %d bytes, more than a value may hold", buf.len),
				 errhint("Train on fewer features or fewer categorical levels.")));
	return pq_endtypsend(&buf);
}

/* ----------------------------------------------------------------------
 * Decoding: every read is checked
 * ---------------------------------------------------------------------- */

/* A corrupted or invalid model value. */
void
CrmModelCorrupt(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid crm.model value"),
			 errdetail("%s", detail),
			 errhint("The value is corrupted or was not produced by crm_analytics; train the model again.")));
}

static void
CrmModelNeed(StringInfo buf, int n, const char *what)
{
	if (n < 0 || buf->len - buf->cursor < n)
		CrmModelCorrupt(psprintf("The value ends inside %s.", what));
}

/* One byte. */
uint8
CrmModelReadByte(StringInfo buf, const char *what)
{
	CrmModelNeed(buf, 1, what);
	return (uint8) pq_getmsgbyte(buf);
}

static int32
CrmModelReadInt32(StringInfo buf, const char *what)
{
	CrmModelNeed(buf, 4, what);
	return (int32) pq_getmsgint(buf, 4);
}

static int64
CrmModelReadInt64(StringInfo buf, const char *what)
{
	CrmModelNeed(buf, 8, what);
	return pq_getmsgint64(buf);
}

/* A float8; finite when asked (NaN is never accepted then). */
double
CrmModelReadDouble(StringInfo buf, bool finite, const char *what)
{
	double		v;

	CrmModelNeed(buf, 8, what);
	v = pq_getmsgfloat8(buf);
	if (finite && !isfinite(v))
		CrmModelCorrupt(psprintf("%s is not a finite number.", what));
	return v;
}

/*
 * A count in [0, max], each element taking at least min_bytes_each bytes of
 * what is left (so a count can never make us allocate more than the value
 * could describe).
 */
int32
CrmModelReadCount(StringInfo buf, int32 max, Size min_bytes_each, const char *what)
{
	int32		n = CrmModelReadInt32(buf, what);

	if (n < 0 || n > max ||
		(Size) n * min_bytes_each > (Size) (buf->len - buf->cursor))
		CrmModelCorrupt(psprintf("The %s count %d is out of range.", what, n));
	return n;
}

/* A string of at most maxlen bytes, valid in the database encoding, or NULL if allowed. */
static char *
CrmModelReadString(StringInfo buf, int maxlen, bool null_ok, int32 *lenp, const char *what)
{
	int32		len = CrmModelReadInt32(buf, what);
	char	   *s;

	if (len == -1 && null_ok)
	{
		if (lenp)
			*lenp = -1;
		return NULL;
	}
	if (len < 0 || len > maxlen)
		CrmModelCorrupt(psprintf("The length %d of %s is out of range.", len, what));
	CrmModelNeed(buf, len, what);
	s = palloc(len + 1);
	memcpy(s, buf->data + buf->cursor, len);
	s[len] = '\0';
	buf->cursor += len;
	if (memchr(s, '\0', len) != NULL || !pg_verifymbstr(s, len, true))
		CrmModelCorrupt(psprintf("%s is not valid text in the database encoding.", what));
	if (lenp)
		*lenp = len;
	return s;
}

/* Read nlevels level texts and row counts; NULL (when allowed) only last. */
static void
CrmModelReadLevels(StringInfo buf, int32 nlevels, bool null_ok, char ***levels,
				   int32 **lens, int64 **rows, const char *what)
{
	int			j,
				k;

	*levels = palloc0(sizeof(char *) * Max(nlevels, 1));
	*lens = palloc0(sizeof(int32) * Max(nlevels, 1));
	*rows = palloc0(sizeof(int64) * Max(nlevels, 1));
	for (j = 0; j < nlevels; j++)
	{
		(*levels)[j] = CrmModelReadString(buf, CRM_MODEL_MAX_LEVEL_LEN,
										  null_ok && j == nlevels - 1, &(*lens)[j], what);
		(*rows)[j] = CrmModelReadInt64(buf, what);
		if ((*rows)[j] < 0)
			CrmModelCorrupt(psprintf("A row count of %s is negative.", what));
	}
	/* levels are distinct (checked pairwise only for small sets; larger ones through the index) */
	if (nlevels <= 64)
		for (j = 0; j < nlevels; j++)
			for (k = 0; k < j; k++)
				if ((*levels)[j] && (*levels)[k] && (*lens)[j] == (*lens)[k] &&
					memcmp((*levels)[j], (*levels)[k], (*lens)[j]) == 0)
					CrmModelCorrupt(psprintf("A level of %s appears twice.", what));
}

/* Decode and validate a model from its bytes (without the varlena header). */
CrmModel *
CrmModelDecode(const char *data, int len, MemoryContext ctx)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	CrmModel   *m = palloc0(sizeof(CrmModel));
	const CrmModelKindOps *ops;
	StringInfoData buf;
	pg_crc32c	crc;
	uint32		stored;
	int			format,
				i,
				k;
	int32		plen;
	int			pend;

	if (len < CRM_MODEL_MIN_BYTES)
		CrmModelCorrupt(psprintf("It is %d bytes long, shorter than any model.", len));
	format = (uint8) data[0];
	if (format != CRM_MODEL_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported crm.model format %d", format),
				 errdetail("This version of crm_analytics reads model format %d.", CRM_MODEL_FORMAT),
				 errhint("A model from a newer crm_analytics needs that version; otherwise the value is corrupted.")));
	memcpy(&stored, data + len - 4, 4);
	stored = pg_ntoh32(stored);
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, data, len - 4);
	FIN_CRC32C(crc);
	if ((uint32) crc != stored)
		CrmModelCorrupt("Its checksum does not match its contents.");

	/* a read-only view of all but the checksum */
	CrmInitReadOnlyStringInfo(&buf, (char *) data, len - 4);
	(void) CrmModelReadByte(&buf, "the format");
	m->kind = CrmModelReadByte(&buf, "the kind");
	ops = CrmModelKindOpsFor(m->kind);
	if (ops == NULL)
		CrmModelCorrupt(psprintf("Its kind %d is not a kind of model this version knows.", m->kind));
	CrmModelNeed(&buf, 2, "the flags");
	if (pq_getmsgint(&buf, 2) != 0)
		CrmModelCorrupt("Its flags are not zero.");

	m->nfeatures = CrmModelReadCount(&buf, CRM_MODEL_MAX_FEATURES, 25, "feature");
	if (m->nfeatures < 1)
		CrmModelCorrupt("It has no features.");
	m->features = palloc0(sizeof(CrmFeature) * m->nfeatures);
	for (i = 0; i < m->nfeatures; i++)
	{
		CrmFeature *f = &m->features[i];

		f->name = CrmModelReadString(&buf, CRM_MODEL_MAX_NAME, false, NULL, "a feature name");
		if (f->name[0] == '\0')
			CrmModelCorrupt("A feature name is empty.");
		for (k = 0; k < i; k++)
			if (strcmp(m->features[k].name, f->name) == 0)
				CrmModelCorrupt(psprintf("Feature \"%s\" appears twice.", f->name));
		f->source_type = CrmModelReadString(&buf, CRM_MODEL_MAX_NAME, false, NULL, "a feature type");
		f->type = CrmModelReadByte(&buf, "a feature type");
		f->nulls = CrmModelReadInt64(&buf, "a NULL count");
		if (f->nulls < 0)
			CrmModelCorrupt("A NULL count is negative.");
		if (f->type == CRM_FEATURE_NUMERIC)
		{
			f->mean = CrmModelReadDouble(&buf, true, "a feature mean");
			f->sd = CrmModelReadDouble(&buf, true, "a feature standard deviation");
			f->min = CrmModelReadDouble(&buf, true, "a feature minimum");
			f->max = CrmModelReadDouble(&buf, true, "a feature maximum");
			if (f->sd < 0 || f->min > f->max)
				CrmModelCorrupt(psprintf("The statistics of feature \"%s\" are inconsistent.", f->name));
		}
		else if (f->type == CRM_FEATURE_CATEGORICAL)
		{
			f->nlevels = CrmModelReadCount(&buf, CRM_MODEL_MAX_LEVELS, 12, "level");
			if (f->nlevels < 1)
				CrmModelCorrupt(psprintf("Categorical feature \"%s\" has no levels.", f->name));
			CrmModelReadLevels(&buf, f->nlevels, true, &f->levels, &f->level_len,
							   &f->level_rows, "a feature level");
			CrmLevelIndexBuild(f, ctx);
		}
		else
			CrmModelCorrupt(psprintf("Feature \"%s\" has an unknown type %d.", f->name, f->type));
	}

	m->target.name = CrmModelReadString(&buf, CRM_MODEL_MAX_NAME, false, NULL, "the target name");
	m->target.source_type = CrmModelReadString(&buf, CRM_MODEL_MAX_NAME, false, NULL, "the target type");
	m->target.type = CrmModelReadByte(&buf, "the target type");
	if (m->target.type != CRM_TARGET_CLASSES && m->target.type != CRM_TARGET_NUMERIC)
		CrmModelCorrupt("Its target has an unknown type.");
	if (ops->target != 0 && m->target.type != ops->target)
		CrmModelCorrupt(psprintf("A %s model cannot have this kind of target.", ops->name));
	m->target.nlevels = CrmModelReadCount(&buf, CRM_MODEL_MAX_LEVELS, 12, "target level");
	if ((m->target.type == CRM_TARGET_CLASSES) != (m->target.nlevels >= 2) ||
		(m->target.type == CRM_TARGET_NUMERIC && m->target.nlevels != 0) ||
		m->target.nlevels > ops->max_classes)
		CrmModelCorrupt("The target levels do not fit the kind of target.");
	CrmModelReadLevels(&buf, m->target.nlevels, false, &m->target.levels, &m->target.level_len,
					   &m->target.level_rows, "a target level");
	m->target.mean = CrmModelReadDouble(&buf, false, "the target mean");
	m->target.sd = CrmModelReadDouble(&buf, false, "the target standard deviation");

	plen = CrmModelReadCount(&buf, INT32_MAX, 1, "payload byte");
	pend = buf.cursor + plen;
	{
		StringInfoData pbuf;

		CrmInitReadOnlyStringInfo(&pbuf, buf.data + buf.cursor, plen);
		ops->read_payload(&pbuf, m);
		if (pbuf.cursor != pbuf.len)
			CrmModelCorrupt("The model's parameters are followed by unexpected bytes.");
	}
	buf.cursor = pend;

	m->nfacts = CrmModelReadCount(&buf, CRM_MODEL_MAX_FACTS, 9, "fact");
	m->facts = palloc0(sizeof(CrmModelFact) * Max(m->nfacts, 1));
	for (i = 0; i < m->nfacts; i++)
	{
		CrmModelFact *fact = &m->facts[i];

		fact->key = CrmModelReadString(&buf, CRM_MODEL_MAX_NAME, false, NULL, "a fact name");
		fact->type = (char) CrmModelReadByte(&buf, "a fact type");
		switch (fact->type)
		{
			case CRM_FACT_INT:
				fact->i = CrmModelReadInt64(&buf, "a fact");
				break;
			case CRM_FACT_BOOL:
				fact->i = CrmModelReadInt64(&buf, "a fact");
				if (fact->i != 0 && fact->i != 1)
					CrmModelCorrupt("A boolean fact is neither 0 nor 1.");
				break;
			case CRM_FACT_FLOAT:
				fact->f = CrmModelReadDouble(&buf, false, "a fact");
				break;
			case CRM_FACT_TEXT:
				fact->t = CrmModelReadString(&buf, CRM_MODEL_MAX_LEVEL_LEN, false, NULL, "a fact");
				break;
			default:
				CrmModelCorrupt(psprintf("Fact \"%s\" has an unknown type.", fact->key));
		}
	}
	if (buf.cursor != buf.len)
		CrmModelCorrupt("The value has unexpected bytes at its end.");
	if (ops->prepare)
		ops->prepare(m);
	MemoryContextSwitchTo(old);
	return m;
}

/* ----------------------------------------------------------------------
 * Facts
 * ---------------------------------------------------------------------- */

/* Append a training fact (the model's memory context must be current). */
void
CrmModelAddFact(CrmModel *m, const char *key, char type, int64 i, double f, const char *t)
{
	CrmModelFact *fact;

	if (m->nfacts % 16 == 0)
		m->facts = m->facts == NULL ? palloc(sizeof(CrmModelFact) * 16)
			: repalloc(m->facts, sizeof(CrmModelFact) * (m->nfacts + 16));
	fact = &m->facts[m->nfacts++];
	fact->key = pstrdup(key);
	fact->type = type;
	fact->i = i;
	fact->f = f;
	fact->t = t ? pstrdup(t) : NULL;
}

/* The fact named key, or NULL. */
const CrmModelFact *
CrmModelFindFact(const CrmModel *m, const char *key)
{
	int			i;

	for (i = 0; i < m->nfacts; i++)
		if (strcmp(m->facts[i].key, key) == 0)
			return &m->facts[i];
	return NULL;
}

/* ----------------------------------------------------------------------
 * The type's I/O functions
 * ---------------------------------------------------------------------- */

/* A varlena holding len bytes of data. */
static bytea *
CrmModelBytes(const char *data, int len)
{
	bytea	   *v = palloc(VARHDRSZ + len);

	SET_VARSIZE(v, VARHDRSZ + len);
	memcpy(VARDATA(v), data, len);
	return v;
}

/* Validate bytes as a model (decoding them in a scratch context). */
static void
CrmModelValidate(const char *data, int len)
{
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "crm.model validation",
											  ALLOCSET_DEFAULT_SIZES);

	(void) CrmModelDecode(data, len, tmp);
	MemoryContextDelete(tmp);
}

/* Text form "kind:base64" to a model. */
Datum
model_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *colon = CrmNamedTextName(&str);
	const CrmModelKindOps *ops = colon ? CrmModelKindOpsByName(str, colon - str) : NULL;
	int			len;
	char	   *bytes;

	if (ops == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type crm.model"),
				 errdetail("A model is written as its kind (for example logistic_regression), a colon and base64 data."),
				 errhint("Models come from the training functions, such as crm.logistic_regression.")));
	bytes = CrmNamedTextDecode(colon, &len, "crm.model", "Pass the text of a model exactly as it was output.");
	CrmModelValidate(bytes, len);
	if ((uint8) bytes[1] != ops->kind)
		CrmModelCorrupt(psprintf("Its text says %s but its data is another kind of model.", ops->name));
	PG_RETURN_BYTEA_P(CrmModelBytes(bytes, len));
}

/* A model as "kind:base64". */
Datum
model_out(PG_FUNCTION_ARGS)
{
	bytea	   *v = PG_GETARG_BYTEA_PP(0);
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	const CrmModelKindOps *ops = len > 1 ? CrmModelKindOpsFor((uint8) data[1]) : NULL;

	PG_RETURN_CSTRING(CrmNamedTextOut(ops ? ops->name : "unknown", data, len, "crm.model"));
}

/* Binary input: the format's bytes, validated. */
Datum
model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *data = pq_getmsgbytes(buf, len);

	CrmModelValidate(data, len);
	PG_RETURN_BYTEA_P(CrmModelBytes(data, len));
}

/* Binary output: the format's bytes. */
Datum
model_send(PG_FUNCTION_ARGS)
{
	bytea	   *v = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ----------------------------------------------------------------------
 * The decoded-model cache of a call site
 * ---------------------------------------------------------------------- */

typedef struct CrmModelCache
{
	MemoryContext ctx;			/* holds the model, the key and the map */
	bool		valid;
	bool		external;		/* keyed by a TOAST pointer */
	struct varatt_external toast;
	char	   *raw;			/* otherwise by the datum's bytes as passed */
	Size		rawlen;
	CrmModel   *model;
	CrmFeatureMap *map;			/* for the last record type seen */
	double	   *out;			/* prediction buffer */
} CrmModelCache;

/* Is the argument the value the cache holds? */
static bool
CrmModelCacheHit(CrmModelCache *c, struct varlena *v)
{
	if (!c->valid)
		return false;
	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		struct varatt_external ptr;

		VARATT_EXTERNAL_GET_POINTER(ptr, v);
		return c->external && memcmp(&ptr, &c->toast, sizeof(ptr)) == 0;
	}
	if (VARATT_IS_EXTERNAL(v))
		return false;			/* indirect or expanded: compared after detoasting */
	return !c->external && c->rawlen == VARSIZE_ANY(v) && memcmp(c->raw, v, c->rawlen) == 0;
}

/* The cache of this call site, holding the decoded model of argument argno. */
static CrmModelCache *
CrmModelCacheGet(FunctionCallInfo fcinfo, int argno)
{
	CrmModelCache *c = (CrmModelCache *) fcinfo->flinfo->fn_extra;
	struct varlena *v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varlena *flat;
	MemoryContext old;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CrmModelCache));
		c->ctx = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "crm.model cache",
									   ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = c;
	}
	if (CrmModelCacheHit(c, v))
		return c;
	if (VARATT_IS_EXTERNAL(v) && !VARATT_IS_EXTERNAL_ONDISK(v))
	{
		/* indirect or expanded datums: key by their flat bytes */
		v = (struct varlena *) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
		if (CrmModelCacheHit(c, v))
			return c;
	}
	flat = (struct varlena *) PG_DETOAST_DATUM(PointerGetDatum(v));

	MemoryContextReset(c->ctx);
	c->valid = false;
	c->map = NULL;
	c->model = CrmModelDecode(VARDATA(flat), VARSIZE(flat) - VARHDRSZ, c->ctx);
	old = MemoryContextSwitchTo(c->ctx);
	c->out = palloc0(sizeof(double) * Max(c->model->target.nlevels, 1));
	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		c->external = true;
		VARATT_EXTERNAL_GET_POINTER(c->toast, v);
		c->raw = NULL;
		c->rawlen = 0;
	}
	else
	{
		c->external = false;
		c->rawlen = VARSIZE_ANY(v);
		c->raw = palloc(c->rawlen);
		memcpy(c->raw, v, c->rawlen);
	}
	MemoryContextSwitchTo(old);
	c->valid = true;
	if ((Pointer) flat != (Pointer) v)
		pfree(flat);
	return c;
}

/* The decoded model of argument argno (cached per call site). */
CrmModel *
CrmModelFromArg(FunctionCallInfo fcinfo, int argno)
{
	return CrmModelCacheGet(fcinfo, argno)->model;
}

/* The features of a record argument as a feature row of the cached model. */
static CrmFeatureRow *
CrmModelCacheRow(CrmModelCache *c, HeapTupleHeader rec, char **text, const char *fn)
{
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	CrmFeatureRow *row;

	if (c->map == NULL || !CrmFeatureMapMatches(c->map, typid, typmod))
		c->map = CrmFeatureMapBuild(c->model, typid, typmod, c->ctx, fn);
	row = CrmFeatureMapRowBuffer(c->map);
	CrmFeatureMapRow(c->map, rec, row, text, fn);
	return row;
}

/* The SQL-facing name of a kind. */
static const char *
CrmModelKindName(int kind)
{
	const CrmModelKindOps *ops = CrmModelKindOpsFor(kind);

	return ops ? ops->name : "unknown";
}

/*
 * Error out unless the model suits fn: a classifier when classifier_needed,
 * a model of kind kind_needed when it is not 0.
 */
void
CrmModelCheckKind(const CrmModel *m, const char *fn, bool classifier_needed, int kind_needed)
{
	if (classifier_needed && m->target.type != CRM_TARGET_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a classification model", fn),
				 errdetail("The model is a %s, which predicts a number.", CrmModelKindName(m->kind)),
				 errhint("Use crm.predict for the predicted value.")));
	if (kind_needed != 0 && m->kind != kind_needed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a %s model", fn, CrmModelKindName(kind_needed)),
				 errdetail("The model is a %s.", CrmModelKindName(m->kind))));
}

/* ----------------------------------------------------------------------
 * Applying a model
 * ---------------------------------------------------------------------- */

/* The prediction of the model for the row in c->out. */
static void
CrmModelPredictRow(CrmModelCache *c, const CrmFeatureRow *row)
{
	CrmModelKindOpsFor(c->model->kind)->predict(c->model, row, c->out);
}

/* crm.predict(model, features record): P(positive class), or the predicted value. */
Datum
model_predict(PG_FUNCTION_ARGS)
{
	CrmModelCache *c = CrmModelCacheGet(fcinfo, 0);
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	const CrmModel *m = c->model;

	CrmModelPredictRow(c, CrmModelCacheRow(c, rec, NULL, "crm.predict"));
	if (m->target.type == CRM_TARGET_NUMERIC)
		PG_RETURN_FLOAT8(c->out[0]);
	if (m->target.nlevels != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.predict returns the probability of the positive class of a binary classifier"),
				 errdetail("The model has %d classes.", m->target.nlevels),
				 errhint("Use crm.predict_label for the most probable class, or crm.predict_probability for the probability of one class.")));
	PG_RETURN_FLOAT8(c->out[1]);
}

/*
 * crm.predict_label(model, features record, threshold): for a binary model
 * the positive level when P(positive) >= threshold, else the negative one;
 * for more classes the most probable (the first on ties).
 */
Datum
model_predict_label(PG_FUNCTION_ARGS)
{
	CrmModelCache *c;
	HeapTupleHeader rec;
	const CrmModel *m;
	double		threshold;
	int			best,
				k;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	threshold = PG_ARGISNULL(2) ? 0.5 : PG_GETARG_FLOAT8(2);
	if (!(threshold >= 0.0 && threshold <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must be between 0 and 1"),
				 errdetail("Got %g.", threshold)));
	c = CrmModelCacheGet(fcinfo, 0);
	m = c->model;
	CrmModelCheckKind(m, "crm.predict_label", true, 0);
	rec = PG_GETARG_HEAPTUPLEHEADER(1);
	CrmModelPredictRow(c, CrmModelCacheRow(c, rec, NULL, "crm.predict_label"));
	if (m->target.nlevels == 2)
		best = c->out[1] >= threshold ? 1 : 0;
	else
	{
		best = 0;
		for (k = 1; k < m->target.nlevels; k++)
			if (c->out[k] > c->out[best])
				best = k;
	}
	PG_RETURN_TEXT_P(cstring_to_text(m->target.levels[best]));
}

/* crm.predict_probability(model, features record, class text): P(class). */
Datum
model_predict_probability(PG_FUNCTION_ARGS)
{
	CrmModelCache *c = CrmModelCacheGet(fcinfo, 0);
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	text	   *cls = PG_GETARG_TEXT_PP(2);
	const CrmModel *m = c->model;
	int			k;

	CrmModelCheckKind(m, "crm.predict_probability", true, 0);
	for (k = 0; k < m->target.nlevels; k++)
		if (m->target.level_len[k] == (int) VARSIZE_ANY_EXHDR(cls) &&
			memcmp(m->target.levels[k], VARDATA_ANY(cls), m->target.level_len[k]) == 0)
			break;
	if (k == m->target.nlevels)
	{
		StringInfoData names;
		int			j;

		initStringInfo(&names);
		for (j = 0; j < m->target.nlevels && names.len < 400; j++)
			appendStringInfo(&names, "%s%s", j ? ", " : "", quote_literal_cstr(m->target.levels[j]));
		if (j < m->target.nlevels)
			appendStringInfoString(&names, ", ...");
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a class of the model", text_to_cstring(cls)),
				 errdetail("Its classes are %s.", names.data)));
	}
	CrmModelPredictRow(c, CrmModelCacheRow(c, rec, NULL, "crm.predict_probability"));
	PG_RETURN_FLOAT8(c->out[k]);
}

/*
 * crm.feature_importance(model): how much each feature matters, as the
 * kind measures it, normalised to sum to 1 (all 0 when nothing matters).
 */
Datum
model_feature_importance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CrmModel   *m = CrmModelFromArg(fcinfo, 0);
	const CrmModelKindOps *ops = CrmModelKindOpsFor(m->kind);
	double	   *imp = palloc0(sizeof(double) * m->nfeatures);
	double		total = 0.0;
	int			f;

	ops->importance(m, imp);
	for (f = 0; f < m->nfeatures; f++)
		total += imp[f];
	InitMaterializedSRF(fcinfo, 0);
	for (f = 0; f < m->nfeatures; f++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(m->features[f].name);
		values[1] = Float8GetDatum(total > 0 ? imp[f] / total : 0.0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * crm.explain(model, features record): the base value, then each feature's
 * additive contribution to the raw score (log-odds for a binary classifier),
 * in the model's feature order.
 */
Datum
model_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CrmModelCache *c = CrmModelCacheGet(fcinfo, 0);
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	const CrmModel *m = c->model;
	const CrmModelKindOps *ops = CrmModelKindOpsFor(m->kind);
	char	  **text = palloc0(sizeof(char *) * m->nfeatures);
	double	   *contrib = palloc0(sizeof(double) * m->nfeatures);
	double		base = 0.0;
	CrmFeatureRow *row;
	Datum		values[3];
	bool		nulls[3] = {false, true, false};
	int			f;

	if (ops->explain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("crm.explain does not support %s models yet", ops->name)));
	row = CrmModelCacheRow(c, rec, text, "crm.explain");
	ops->explain(m, row, &base, contrib);

	InitMaterializedSRF(fcinfo, 0);
	values[0] = CStringGetTextDatum("(base value)");
	values[2] = Float8GetDatum(base);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	for (f = 0; f < m->nfeatures; f++)
	{
		values[0] = CStringGetTextDatum(m->features[f].name);
		nulls[1] = text[f] == NULL;
		values[1] = text[f] ? CStringGetTextDatum(text[f]) : (Datum) 0;
		values[2] = Float8GetDatum(contrib[f]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ----------------------------------------------------------------------
 * crm.model_json
 * ---------------------------------------------------------------------- */

/* s as a JSON string. */
void
CrmJsonString(StringInfo out, const char *s)
{
	if (s == NULL)
		appendStringInfoString(out, "null");
	else
		escape_json(out, s);
}

/* v as a JSON number (17 significant digits: the double exactly), or null. */
void
CrmJsonNumber(StringInfo out, double v)
{
	if (isfinite(v))
		appendStringInfo(out, "%.17g", v);
	else
		appendStringInfoString(out, "null");
}

/* The levels of a feature or target as a JSON array of {level, rows}. */
static void
CrmJsonLevels(StringInfo out, int n, char **levels, const int64 *rows)
{
	int			j;

	appendStringInfoChar(out, '[');
	for (j = 0; j < n; j++)
	{
		appendStringInfoString(out, j ? ", {\"level\": " : "{\"level\": ");
		CrmJsonString(out, levels[j]);
		appendStringInfo(out, ", \"rows\": " INT64_FORMAT "}", rows[j]);
	}
	appendStringInfoChar(out, ']');
}

/* crm.model_json(model): everything in the model, for people and BI tools. */
Datum
model_json(PG_FUNCTION_ARGS)
{
	CrmModel   *m = CrmModelFromArg(fcinfo, 0);
	const CrmModelKindOps *ops = CrmModelKindOpsFor(m->kind);
	StringInfoData out;
	int			i;

	initStringInfo(&out);
	appendStringInfo(&out, "{\"format\": %d, \"kind\": ", CRM_MODEL_FORMAT);
	CrmJsonString(&out, ops->name);
	appendStringInfoString(&out, ", \"target\": {\"name\": ");
	CrmJsonString(&out, m->target.name);
	appendStringInfoString(&out, ", \"type\": ");
	CrmJsonString(&out, m->target.source_type);
	if (m->target.type == CRM_TARGET_CLASSES)
	{
		appendStringInfoString(&out, ", \"classes\": ");
		CrmJsonLevels(&out, m->target.nlevels, m->target.levels, m->target.level_rows);
		if (m->target.nlevels == 2)
		{
			appendStringInfoString(&out, ", \"positive\": ");
			CrmJsonString(&out, m->target.levels[1]);
		}
	}
	else
	{
		appendStringInfoString(&out, ", \"mean\": ");
		CrmJsonNumber(&out, m->target.mean);
		appendStringInfoString(&out, ", \"sd\": ");
		CrmJsonNumber(&out, m->target.sd);
	}
	appendStringInfoString(&out, "}, \"features\": [");
	for (i = 0; i < m->nfeatures; i++)
	{
		const CrmFeature *f = &m->features[i];

		appendStringInfoString(&out, i ? ", {\"name\": " : "{\"name\": ");
		CrmJsonString(&out, f->name);
		appendStringInfoString(&out, ", \"type\": ");
		CrmJsonString(&out, f->source_type);
		appendStringInfo(&out, ", \"encoding\": \"%s\", \"nulls\": " INT64_FORMAT,
						 f->type == CRM_FEATURE_NUMERIC ? "numeric" : "categorical", f->nulls);
		if (f->type == CRM_FEATURE_NUMERIC)
		{
			appendStringInfoString(&out, ", \"mean\": ");
			CrmJsonNumber(&out, f->mean);
			appendStringInfoString(&out, ", \"sd\": ");
			CrmJsonNumber(&out, f->sd);
			appendStringInfoString(&out, ", \"min\": ");
			CrmJsonNumber(&out, f->min);
			appendStringInfoString(&out, ", \"max\": ");
			CrmJsonNumber(&out, f->max);
		}
		else
		{
			appendStringInfoString(&out, ", \"levels\": ");
			CrmJsonLevels(&out, f->nlevels, f->levels, f->level_rows);
		}
		appendStringInfoChar(&out, '}');
	}
	appendStringInfoString(&out, "], ");
	ops->json_payload(&out, m);
	appendStringInfoString(&out, ", \"training\": {");
	for (i = 0; i < m->nfacts; i++)
	{
		const CrmModelFact *fact = &m->facts[i];

		if (i)
			appendStringInfoString(&out, ", ");
		CrmJsonString(&out, fact->key);
		appendStringInfoString(&out, ": ");
		switch (fact->type)
		{
			case CRM_FACT_INT:
				appendStringInfo(&out, INT64_FORMAT, fact->i);
				break;
			case CRM_FACT_BOOL:
				appendStringInfoString(&out, fact->i ? "true" : "false");
				break;
			case CRM_FACT_FLOAT:
				CrmJsonNumber(&out, fact->f);
				break;
			default:
				CrmJsonString(&out, fact->t);
				break;
		}
	}
	appendStringInfoString(&out, "}}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
