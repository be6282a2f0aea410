/*
 * model_features.c
 *		Features of a model: reading a training query into a feature schema
 *		and training rows, and turning the columns of a record, found by
 *		name, into a feature row for prediction.
 *
 * Column classes (the same when training and when predicting):
 *	- numeric: smallint, integer, bigint, real, double precision, numeric
 *	  (and domains over them), converted to float8; NaN and infinities are
 *	  errors; NULL is imputed with the training mean;
 *	- categorical: boolean, text, varchar, char(n), "char", name and enum
 *	  types, compared by their text (boolean as 'true'/'false', char(n)
 *	  without its padding); NULL is a level of its own, the last one.
 * Levels are sorted in the order of the column's type: enums in their
 * declared order, everything else by its text in byte order (COLLATE "C"),
 * so the first level, the reference of treatment coding, does not depend on
 * the locale.  A binary target given as a number keeps numeric order (0 < 1).
 *
 * Training reads the caller's query once to learn the schema (levels,
 * means) and, when the rows fit crm_analytics.max_memory, keeps them in a
 * compact store of column-major chunks of 1,024 rows (8 bytes per numeric
 * value, 4 per categorical one: a chunk is one batch, read sequentially);
 * otherwise every later request for the rows runs the query again
 * (CrmTrainForEachBatch), checking that it returns the same rows.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "model.h"

/* Rows per batch handed to the fitting code. */
#define CRM_TRAIN_BATCH		1024

/* How a column's value becomes a number or a level text. */
typedef enum CrmConv
{
	CRM_CONV_NONE = 0,
	CRM_CONV_FLOAT8,
	CRM_CONV_FLOAT4,
	CRM_CONV_INT2,
	CRM_CONV_INT4,
	CRM_CONV_INT8,
	CRM_CONV_NUMERIC,
	CRM_CONV_VARLENA,			/* text, varchar: the bytes themselves */
	CRM_CONV_BOOL,
	CRM_CONV_CAST				/* anything else categorical: ::text */
} CrmConv;

/* The conversion of a column of type typid, or CRM_CONV_NONE if unsupported. */
static CrmConv
CrmColumnConv(Oid typid, bool *categorical, bool *is_enum)
{
	Oid			base = getBaseType(typid);

	*categorical = false;
	*is_enum = false;
	switch (base)
	{
		case FLOAT8OID:
			return CRM_CONV_FLOAT8;
		case FLOAT4OID:
			return CRM_CONV_FLOAT4;
		case INT2OID:
			return CRM_CONV_INT2;
		case INT4OID:
			return CRM_CONV_INT4;
		case INT8OID:
			return CRM_CONV_INT8;
		case NUMERICOID:
			return CRM_CONV_NUMERIC;
		case TEXTOID:
		case VARCHAROID:
			*categorical = true;
			return CRM_CONV_VARLENA;
		case BOOLOID:
			*categorical = true;
			return CRM_CONV_BOOL;
		case BPCHAROID:
		case CHAROID:
		case NAMEOID:
			*categorical = true;
			return CRM_CONV_CAST;
		default:
			if (type_is_enum(base))
			{
				*categorical = true;
				*is_enum = true;
				return CRM_CONV_CAST;
			}
			return CRM_CONV_NONE;
	}
}

/* A numeric column's value as a double. */
static inline double
CrmConvNumber(CrmConv conv, Datum d)
{
	switch (conv)
	{
		case CRM_CONV_FLOAT8:
			return DatumGetFloat8(d);
		case CRM_CONV_FLOAT4:
			return (double) DatumGetFloat4(d);
		case CRM_CONV_INT2:
			return (double) DatumGetInt16(d);
		case CRM_CONV_INT4:
			return (double) DatumGetInt32(d);
		case CRM_CONV_INT8:
			return (double) DatumGetInt64(d);
		case CRM_CONV_NUMERIC:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
		default:
			elog(ERROR, "not a numeric conversion");
	}
	return 0.0;
}

/* A categorical column's value as text bytes (not NUL-terminated). */
static inline const char *
CrmConvText(CrmConv conv, CrmCast *cast, Datum d, int *len)
{
	switch (conv)
	{
		case CRM_CONV_VARLENA:
			{
				text	   *t = DatumGetTextPP(d);

				*len = VARSIZE_ANY_EXHDR(t);
				return VARDATA_ANY(t);
			}
		case CRM_CONV_BOOL:
			*len = DatumGetBool(d) ? 4 : 5;
			return DatumGetBool(d) ? "true" : "false";
		default:
			{
				text	   *t = DatumGetTextPP(CrmCastValue(cast, d));

				*len = VARSIZE_ANY_EXHDR(t);
				return VARDATA_ANY(t);
			}
	}
}

/* Error for a NaN or infinite number. */
static void
CrmNotFinite(const char *fn, const char *column, double v)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("column \"%s\" of %s has the value %g", column, fn, v),
			 errdetail("Features and targets must be finite numbers."),
			 errhint("Filter out or replace NaN and infinite values (NULL is imputed with the training mean).")));
}

/* ----------------------------------------------------------------------
 * Level lookup
 * ---------------------------------------------------------------------- */

static inline uint32
CrmLevelHash(const char *s, int len)
{
	return hash_bytes((const unsigned char *) s, len);
}

/* Build the text -> level index of a categorical feature (the NULL level is not in it). */
void
CrmLevelIndexBuild(CrmFeature *f, MemoryContext ctx)
{
	int			size = 8;
	int			j;

	while (size < 2 * f->nlevels)
		size *= 2;
	f->index.mask = size - 1;
	f->index.slot = MemoryContextAlloc(ctx, sizeof(int32) * size);
	f->index.hash = MemoryContextAlloc(ctx, sizeof(uint32) * size);
	for (j = 0; j < size; j++)
		f->index.slot[j] = -1;
	for (j = 0; j < f->nlevels; j++)
	{
		uint32		h;
		int			s;

		if (f->levels[j] == NULL)
			continue;
		h = CrmLevelHash(f->levels[j], f->level_len[j]);
		for (s = h & f->index.mask; f->index.slot[s] >= 0; s = (s + 1) & f->index.mask)
		{
			int			k = f->index.slot[s];

			if (f->index.hash[s] == h && f->level_len[k] == f->level_len[j] &&
				memcmp(f->levels[k], f->levels[j], f->level_len[j]) == 0)
				CrmModelCorrupt(psprintf("Level \"%s\" of feature \"%s\" appears twice.",
										 f->levels[j], f->name));
		}
		f->index.slot[s] = j;
		f->index.hash[s] = h;
	}
}

/* The level of feature f with text s (len bytes), or -1 if it is not one. */
int32
CrmLevelIndexFind(const CrmFeature *f, const char *s, int len)
{
	uint32		h = CrmLevelHash(s, len);
	int			slot;

	for (slot = h & f->index.mask; f->index.slot[slot] >= 0; slot = (slot + 1) & f->index.mask)
	{
		int			k = f->index.slot[slot];

		if (f->index.hash[slot] == h && f->level_len[k] == len &&
			memcmp(f->levels[k], s, len) == 0)
			return k;
	}
	return -1;
}

/* The level standing for NULL, or -1 when NULL was never seen in training. */
static inline int32
CrmNullLevel(const CrmFeature *f)
{
	return f->nlevels > 0 && f->levels[f->nlevels - 1] == NULL ? f->nlevels - 1 : -1;
}

/* ----------------------------------------------------------------------
 * Record -> feature row (prediction)
 * ---------------------------------------------------------------------- */

struct CrmFeatureMap
{
	Oid			typid;
	int32		typmod;
	TupleDesc	desc;			/* copy of the record's descriptor */
	const CrmModel *m;
	int		   *attno;			/* 0-based attribute of each model feature */
	CrmConv    *conv;
	CrmCast    *cast;
	Datum	   *values;
	bool	   *nulls;
	CrmFeatureRow row;
};

/* Is map built for this record type? */
bool
CrmFeatureMapMatches(const CrmFeatureMap *map, Oid typid, int32 typmod)
{
	return map->typid == typid && map->typmod == typmod;
}

/* The list of the model's feature names, for messages. */
static char *
CrmFeatureNames(const CrmModel *m)
{
	StringInfoData s;
	int			f;

	initStringInfo(&s);
	for (f = 0; f < m->nfeatures && s.len < 400; f++)
		appendStringInfo(&s, "%s%s", f ? ", " : "", m->features[f].name);
	if (f < m->nfeatures)
		appendStringInfoString(&s, ", ...");
	return s.data;
}

/* Find each feature of m among the columns of the record type, by name. */
CrmFeatureMap *
CrmFeatureMapBuild(const CrmModel *m, Oid typid, int32 typmod, MemoryContext ctx, const char *fn)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	CrmFeatureMap *map = palloc0(sizeof(CrmFeatureMap));
	TupleDesc	desc = lookup_rowtype_tupdesc(typid, typmod);
	int			f,
				a;

	map->typid = typid;
	map->typmod = typmod;
	map->desc = CreateTupleDescCopy(desc);
	ReleaseTupleDesc(desc);
	desc = map->desc;
	map->m = m;
	map->attno = palloc(sizeof(int) * m->nfeatures);
	map->conv = palloc0(sizeof(CrmConv) * m->nfeatures);
	map->cast = palloc0(sizeof(CrmCast) * m->nfeatures);
	map->values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	map->nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
	map->row.value = palloc0(sizeof(double) * m->nfeatures);
	map->row.level = palloc0(sizeof(int32) * m->nfeatures);
	map->row.isnull = palloc0(sizeof(bool) * m->nfeatures);

	for (f = 0; f < m->nfeatures; f++)
	{
		const CrmFeature *feat = &m->features[f];
		Form_pg_attribute att = NULL;
		bool		categorical,
					is_enum;

		for (a = 0; a < desc->natts; a++)
		{
			att = TupleDescAttr(desc, a);
			if (!att->attisdropped && strcmp(NameStr(att->attname), feat->name) == 0)
				break;
		}
		if (a == desc->natts)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the features of %s have no column \"%s\"", fn, feat->name),
					 errdetail("The model uses the features %s.", CrmFeatureNames(m)),
					 errhint("Features are found by column name; pass a row with a column of each name (column order and extra columns do not matter).")));
		map->attno[f] = a;
		map->conv[f] = CrmColumnConv(att->atttypid, &categorical, &is_enum);
		if (map->conv[f] == CRM_CONV_NONE ||
			categorical != (feat->type == CRM_FEATURE_CATEGORICAL))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of the features of %s has type %s, but the model uses it as a %s feature",
							feat->name, fn, format_type_be(att->atttypid),
							feat->type == CRM_FEATURE_NUMERIC ? "numeric" : "categorical"),
					 errdetail("The model was trained with a column of type %s.", feat->source_type),
					 errhint("Cast the column to %s.", feat->type == CRM_FEATURE_NUMERIC ? "a number" : "text")));
		if (map->conv[f] == CRM_CONV_CAST)
			CrmCastInit(&map->cast[f], att->atttypid, TEXTOID, fn, feat->name);
	}
	MemoryContextSwitchTo(old);
	return map;
}

/* The row buffer of a map (valid until the next call). */
CrmFeatureRow *
CrmFeatureMapRowBuffer(CrmFeatureMap *map)
{
	return &map->row;
}

/*
 * Fill row with the features of a record of the map's type.  When text is
 * not NULL, text[f] receives the value as text (NULL for NULL), for
 * explanations.
 */
void
CrmFeatureMapRow(CrmFeatureMap *map, HeapTupleHeader rec, CrmFeatureRow *row, char **text,
				 const char *fn)
{
	const CrmModel *m = map->m;
	HeapTupleData tup;
	int			f;

	tup.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = rec;
	heap_deform_tuple(&tup, map->desc, map->values, map->nulls);
	for (f = 0; f < m->nfeatures; f++)
	{
		const CrmFeature *feat = &m->features[f];
		int			a = map->attno[f];

		row->isnull[f] = map->nulls[a];
		if (feat->type == CRM_FEATURE_NUMERIC)
		{
			if (map->nulls[a])
				row->value[f] = feat->mean;
			else
			{
				double		v = CrmConvNumber(map->conv[f], map->values[a]);

				if (!isfinite(v))
					CrmNotFinite(fn, feat->name, v);
				row->value[f] = v;
				if (text)
					text[f] = float8out_internal(v);
			}
		}
		else if (map->nulls[a])
			row->level[f] = CrmNullLevel(feat);
		else
		{
			int			len;
			const char *s = CrmConvText(map->conv[f], &map->cast[f], map->values[a], &len);

			row->level[f] = CrmLevelIndexFind(feat, s, len);
			if (text)
				text[f] = pnstrdup(s, len);
		}
	}
}

/* ----------------------------------------------------------------------
 * Training data
 * ---------------------------------------------------------------------- */

/* Levels of a categorical column (or of a class target) seen so far. */
typedef struct CrmLevelDict
{
	int			n;
	int			cap;
	char	  **text;
	int32	   *len;
	double	   *numkey;			/* numeric order (numeric-typed class targets) */
	Datum	   *datum;			/* enum order */
	int64	   *rows;
	uint32	   *hash;
	int			mask;
	int32	   *slot;
	int32	   *remap;			/* code -> level in sort order */
} CrmLevelDict;

typedef struct CrmTrainColumn
{
	char	   *name;
	Oid			typid;
	CrmConv		conv;
	CrmCast		cast;
	bool		categorical;
	bool		is_enum;
	int			slot;			/* position among numeric or categorical features */
	/* numeric statistics: sums of value - shift (the first value), exact enough and division-free */
	int64		n;
	double		shift;
	double		s1;
	double		s2;
	double		min;
	double		max;
	int64		nulls;
	CrmLevelDict dict;
	FmgrInfo   *cmp;			/* enum comparison */
} CrmTrainColumn;

struct CrmTrainData
{
	const char *fn;
	CrmQuery   *q;
	CrmTargetRule rule;
	MemoryContext ctx;
	int			ncols;			/* query columns: the target, then the features */
	CrmTrainColumn *cols;
	int			nnum;
	int			ncat;
	int		   *num_feature;	/* feature number of numeric slot k */
	int		   *cat_feature;
	/*
	 * The in-memory store: chunks of CRM_TRAIN_BATCH rows, each one block
	 * holding the targets, then every numeric column, then every categorical
	 * column (so a chunk is a batch, read sequentially).
	 */
	bool		in_memory;
	int64		nrows;
	int64		nchunks;
	int64		capchunks;
	char	  **chunks;
	Size		chunk_bytes;
	/* counters */
	int64		rows_read;
	int64		rows_skipped;
	CrmModel   *model;
	/* a later pass over the query */
	CrmTrainBatch batch;
	int64		pass_rows;
	CrmTrainBatchCallback cb;
	void	   *cbarg;
};

/* Open the training data of query q (opened with at least 2 columns). */
CrmTrainData *
CrmTrainOpen(CrmQuery *q, CrmTargetRule rule, const char *fn, MemoryContext ctx)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	CrmTrainData *td = palloc0(sizeof(CrmTrainData));
	TupleDesc	desc = q->desc;
	int			i,
				k;

	td->fn = fn;
	td->q = q;
	td->rule = rule;
	td->ctx = ctx;
	td->ncols = desc->natts;
	if (td->ncols - 1 > CRM_MODEL_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the query of %s has %d feature columns; at most %d are supported",
						fn, td->ncols - 1, CRM_MODEL_MAX_FEATURES)));
	td->cols = palloc0(sizeof(CrmTrainColumn) * td->ncols);
	td->num_feature = palloc(sizeof(int) * td->ncols);
	td->cat_feature = palloc(sizeof(int) * td->ncols);
	for (i = 0; i < td->ncols; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		CrmTrainColumn *col = &td->cols[i];

		col->name = pstrdup(NameStr(att->attname));
		col->typid = att->atttypid;
		col->conv = CrmColumnConv(att->atttypid, &col->categorical, &col->is_enum);
		col->min = INFINITY;
		col->max = -INFINITY;
		if (i == 0)
		{
			/* the target */
			if (rule == CRM_TARGET_RULE_NUMERIC && (col->conv == CRM_CONV_NONE || col->categorical))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("the target (first column \"%s\") of the query of %s has type %s",
								col->name, fn, format_type_be(col->typid)),
						 errhint("Return the number to predict as the first column.")));
			if (rule == CRM_TARGET_RULE_BINARY && col->conv == CRM_CONV_NONE)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("the target (first column \"%s\") of the query of %s has type %s",
								col->name, fn, format_type_be(col->typid)),
						 errhint("Return a boolean, or a text or integer column with two values, as the first column.")));
		}
		else
		{
			if (col->conv == CRM_CONV_NONE)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("feature column \"%s\" of the query of %s has type %s, which is not a supported feature type",
								col->name, fn, format_type_be(col->typid)),
						 errdetail("Features are numbers (integer, numeric, double precision...) or categories (text, boolean, enum)."),
						 errhint("Cast it: a date or timestamp, for example, to a number of days with extract(epoch from ...) / 86400.")));
			for (k = 1; k < i; k++)
				if (strcmp(td->cols[k].name, col->name) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_DUPLICATE_COLUMN),
							 errmsg("the query of %s has two feature columns named \"%s\"", fn, col->name),
							 errhint("Features are found by name when predicting: give every column a distinct name with AS.")));
			if (col->categorical)
			{
				col->slot = td->ncat;
				td->cat_feature[td->ncat++] = i - 1;
			}
			else
			{
				col->slot = td->nnum;
				td->num_feature[td->nnum++] = i - 1;
			}
		}
		if (col->conv == CRM_CONV_CAST)
			CrmCastInit(&col->cast, col->typid, TEXTOID, fn, col->name);
		if (col->is_enum)
		{
			TypeCacheEntry *tc = lookup_type_cache(getBaseType(col->typid), TYPECACHE_CMP_PROC_FINFO);

			if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
				elog(ERROR, "no comparison function for type %s", format_type_be(col->typid));
			col->cmp = palloc(sizeof(FmgrInfo));
			fmgr_info_copy(col->cmp, &tc->cmp_proc_finfo, ctx);
		}
	}
	td->in_memory = true;
	td->chunk_bytes = CRM_TRAIN_BATCH * (sizeof(double) * (1 + td->nnum) + sizeof(int32) * td->ncat);
	MemoryContextSwitchTo(old);
	return td;
}

/* Code of text s in the dictionary of col, added when new (first pass). */
static int32
CrmDictCode(CrmTrainData *td, CrmTrainColumn *col, const char *s, int len, Datum d, double numkey)
{
	CrmLevelDict *dict = &col->dict;
	uint32		h = CrmLevelHash(s, len);
	int			slot;
	int32		code;

	if (dict->slot == NULL)
	{
		dict->mask = 63;
		dict->slot = MemoryContextAlloc(td->ctx, sizeof(int32) * 64);
		memset(dict->slot, -1, sizeof(int32) * 64);
	}
	for (slot = h & dict->mask; dict->slot[slot] >= 0; slot = (slot + 1) & dict->mask)
	{
		code = dict->slot[slot];
		if (dict->hash[code] == h && dict->len[code] == len && memcmp(dict->text[code], s, len) == 0)
		{
			dict->rows[code]++;
			return code;
		}
	}
	/* a new level */
	if (col == &td->cols[0] && td->rule == CRM_TARGET_RULE_BINARY && dict->n >= 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the target (first column \"%s\") of the query of %s has more than 2 distinct values",
						col->name, td->fn),
				 errdetail("Found %s, %s and %.*s.", dict->text[0], dict->text[1], Min(len, 200), s),
				 errhint("A binary classifier needs a boolean, or a column with two values, as its target.")));
	if (dict->n >= CRM_MODEL_MAX_LEVELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column \"%s\" of the query of %s has more than %d distinct values",
						col->name, td->fn, CRM_MODEL_MAX_LEVELS),
				 errdetail("A categorical column is one-hot encoded, one level per distinct value."),
				 errhint("Group rare values into an 'other' level, or drop the column (an identifier is not a feature).")));
	if (len > CRM_MODEL_MAX_LEVEL_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a value of column \"%s\" of the query of %s is longer than %d bytes",
						col->name, td->fn, CRM_MODEL_MAX_LEVEL_LEN)));
	if (dict->n == dict->cap)
	{
		int			cap = dict->cap ? dict->cap * 2 : 16;
		MemoryContext old = MemoryContextSwitchTo(td->ctx);

		dict->text = dict->cap ? repalloc(dict->text, sizeof(char *) * cap) : palloc(sizeof(char *) * cap);
		dict->len = dict->cap ? repalloc(dict->len, sizeof(int32) * cap) : palloc(sizeof(int32) * cap);
		dict->numkey = dict->cap ? repalloc(dict->numkey, sizeof(double) * cap) : palloc(sizeof(double) * cap);
		dict->datum = dict->cap ? repalloc(dict->datum, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		dict->rows = dict->cap ? repalloc(dict->rows, sizeof(int64) * cap) : palloc(sizeof(int64) * cap);
		dict->hash = dict->cap ? repalloc(dict->hash, sizeof(uint32) * cap) : palloc(sizeof(uint32) * cap);
		dict->cap = cap;
		MemoryContextSwitchTo(old);
	}
	code = dict->n++;
	dict->text[code] = MemoryContextAlloc(td->ctx, len + 1);
	memcpy(dict->text[code], s, len);
	dict->text[code][len] = '\0';
	dict->len[code] = len;
	dict->numkey[code] = numkey;
	dict->datum[code] = d;		/* only enums (pass-by-value Oids) are kept */
	dict->rows[code] = 1;
	dict->hash[code] = h;
	dict->slot[slot] = code;
	if (dict->n * 2 > dict->mask + 1)
	{
		/* grow the table */
		int			size = (dict->mask + 1) * 2;
		int			c;

		pfree(dict->slot);
		dict->slot = MemoryContextAlloc(td->ctx, sizeof(int32) * size);
		memset(dict->slot, -1, sizeof(int32) * size);
		dict->mask = size - 1;
		for (c = 0; c < dict->n; c++)
		{
			for (slot = dict->hash[c] & dict->mask; dict->slot[slot] >= 0; slot = (slot + 1) & dict->mask)
				;
			dict->slot[slot] = c;
		}
	}
	return code;
}

/* Text of a class target value, and its numeric sort key when numeric. */
static const char *
CrmTargetText(CrmTrainColumn *col, Datum d, int *len, double *numkey)
{
	if (!col->categorical)
	{
		double		v = CrmConvNumber(col->conv, d);
		char	   *s;

		if (!isfinite(v))
			return NULL;
		s = float8out_internal(v);
		*numkey = v;
		*len = strlen(s);
		return s;
	}
	*numkey = 0;
	return CrmConvText(col->conv, &col->cast, d, len);
}

/* The targets of a chunk. */
static inline double *
CrmChunkY(const CrmTrainData *td, int64 chunk)
{
	return (double *) td->chunks[chunk];
}

/* Numeric column k of a chunk. */
static inline double *
CrmChunkNum(const CrmTrainData *td, int64 chunk, int k)
{
	return (double *) td->chunks[chunk] + (Size) (1 + k) * CRM_TRAIN_BATCH;
}

/* Categorical column c of a chunk. */
static inline int32 *
CrmChunkCat(const CrmTrainData *td, int64 chunk, int c)
{
	return (int32 *) ((double *) td->chunks[chunk] + (Size) (1 + td->nnum) * CRM_TRAIN_BATCH) +
		(Size) c * CRM_TRAIN_BATCH;
}

/* Add a chunk to the in-memory store, or give the store up when it would pass the budget. */
static void
CrmTrainGrow(CrmTrainData *td)
{
	int64		k;

	if ((double) td->chunk_bytes + MemoryContextMemAllocated(td->ctx, true) > (double) CrmMemoryLimit())
	{
		/* past crm_analytics.max_memory: read the query again when rows are needed */
		td->in_memory = false;
		for (k = 0; k < td->nchunks; k++)
			pfree(td->chunks[k]);
		if (td->chunks)
			pfree(td->chunks);
		td->chunks = NULL;
		td->nchunks = td->capchunks = 0;
		return;
	}
	if (td->nchunks == td->capchunks)
	{
		td->capchunks = td->capchunks ? td->capchunks * 2 : 64;
		td->chunks = td->chunks ? repalloc_huge(td->chunks, sizeof(char *) * td->capchunks)
			: MemoryContextAlloc(td->ctx, sizeof(char *) * td->capchunks);
	}
	td->chunks[td->nchunks++] = MemoryContextAlloc(td->ctx, td->chunk_bytes);
}

/* Count a numeric value in its column's statistics. */
static inline void
CrmColumnStats(CrmTrainColumn *col, double v)
{
	double		d;

	if (col->n == 0)
		col->shift = v;
	d = v - col->shift;
	col->n++;
	col->s1 += d;
	col->s2 += d * d;
	if (v < col->min)
		col->min = v;
	if (v > col->max)
		col->max = v;
}

/* Mean and standard deviation (divisor n) of a column's values. */
static void
CrmColumnMeanSd(const CrmTrainColumn *col, double *mean, double *sd)
{
	double		m = col->s1 / col->n;

	*mean = col->shift + m;
	*sd = sqrt(Max(col->s2 / col->n - m * m, 0.0));
	/* the mean of equal values is that value, and lies within [min, max] */
	if (*mean < col->min)
		*mean = col->min;
	if (*mean > col->max)
		*mean = col->max;
}

/* First pass: one row of the query. */
static void
CrmTrainFirstRow(TupleTableSlot *slot, void *arg)
{
	CrmTrainData *td = (CrmTrainData *) arg;
	CrmTrainColumn *tcol = &td->cols[0];
	double		y;
	int64		r;
	int			i;

	td->rows_read++;
	if (slot->tts_isnull[0])
	{
		td->rows_skipped++;
		return;
	}
	if (td->rule == CRM_TARGET_RULE_NUMERIC)
	{
		y = CrmConvNumber(tcol->conv, slot->tts_values[0]);
		if (!isfinite(y))
			CrmNotFinite(td->fn, tcol->name, y);
		CrmColumnStats(tcol, y);
	}
	else
	{
		int			len;
		double		numkey;
		const char *s = CrmTargetText(tcol, slot->tts_values[0], &len, &numkey);

		if (s == NULL)
			CrmNotFinite(td->fn, tcol->name, CrmConvNumber(tcol->conv, slot->tts_values[0]));
		y = CrmDictCode(td, tcol, s, len, tcol->is_enum ? slot->tts_values[0] : (Datum) 0, numkey);
	}
	if (td->in_memory && td->nrows % CRM_TRAIN_BATCH == 0)
		CrmTrainGrow(td);
	r = td->nrows++ % CRM_TRAIN_BATCH;
	if (td->in_memory)
		CrmChunkY(td, td->nchunks - 1)[r] = y;
	for (i = 1; i < td->ncols; i++)
	{
		CrmTrainColumn *col = &td->cols[i];

		if (!col->categorical)
		{
			double		v = NAN;

			if (slot->tts_isnull[i])
				col->nulls++;
			else
			{
				v = CrmConvNumber(col->conv, slot->tts_values[i]);
				if (!isfinite(v))
					CrmNotFinite(td->fn, col->name, v);
				CrmColumnStats(col, v);
			}
			if (td->in_memory)
				CrmChunkNum(td, td->nchunks - 1, col->slot)[r] = v;
		}
		else
		{
			int32		code = -1;

			if (slot->tts_isnull[i])
				col->nulls++;
			else
			{
				int			len;
				const char *s = CrmConvText(col->conv, &col->cast, slot->tts_values[i], &len);

				code = CrmDictCode(td, col, s, len, col->is_enum ? slot->tts_values[i] : (Datum) 0, 0);
			}
			if (td->in_memory)
				CrmChunkCat(td, td->nchunks - 1, col->slot)[r] = code;
		}
	}
}

/* Sort order of two codes of a column's dictionary. */
static int
CrmDictCompare(CrmTrainColumn *col, int a, int b)
{
	CrmLevelDict *dict = &col->dict;

	if (col->is_enum)
		return DatumGetInt32(FunctionCall2Coll(col->cmp, InvalidOid, dict->datum[a], dict->datum[b]));
	if (!col->categorical)
		return dict->numkey[a] < dict->numkey[b] ? -1 : dict->numkey[a] > dict->numkey[b];
	{
		int			c = memcmp(dict->text[a], dict->text[b], Min(dict->len[a], dict->len[b]));

		return c != 0 ? c : (dict->len[a] > dict->len[b]) - (dict->len[a] < dict->len[b]);
	}
}

/* Sort the levels of col (insertion sort: at most CRM_MODEL_MAX_LEVELS). */
static int32 *
CrmDictSortedOrder(CrmTrainColumn *col)
{
	int			n = col->dict.n;
	int32	   *order = palloc(sizeof(int32) * Max(n, 1));
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		int32		c = i;

		for (j = i; j > 0 && CrmDictCompare(col, order[j - 1], c) > 0; j--)
			order[j] = order[j - 1];
		order[j] = c;
	}
	col->dict.remap = palloc(sizeof(int32) * Max(n, 1));
	for (i = 0; i < n; i++)
		col->dict.remap[order[i]] = i;
	return order;
}

/*
 * Read the query once: check the target, learn the feature schema and keep
 * the rows in memory when they fit.  Returns the model skeleton (features and
 * target; the caller sets the kind, payload and facts).
 */
CrmModel *
CrmTrainFirstPass(CrmTrainData *td)
{
	MemoryContext old;
	CrmModel   *m;
	CrmTrainColumn *tcol = &td->cols[0];
	int			i,
				j;
	int64		r;

	(void) CrmQueryForEachRow(td->q, CrmTrainFirstRow, td);
	if (td->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the query of %s returned no rows with a non-NULL target", td->fn),
				 errdetail("It returned " INT64_FORMAT " rows.", td->rows_read),
				 errhint("Rows whose target (first column) is NULL are skipped.")));

	old = MemoryContextSwitchTo(td->ctx);
	m = palloc0(sizeof(CrmModel));
	m->nfeatures = td->ncols - 1;
	m->features = palloc0(sizeof(CrmFeature) * m->nfeatures);

	/* target */
	m->target.name = tcol->name;
	m->target.source_type = format_type_be(tcol->typid);
	if (td->rule == CRM_TARGET_RULE_NUMERIC)
	{
		m->target.type = CRM_TARGET_NUMERIC;
		CrmColumnMeanSd(tcol, &m->target.mean, &m->target.sd);
	}
	else
	{
		int32	   *order;

		if (tcol->dict.n != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the target (first column \"%s\") of the query of %s has only one value; it needs two",
							tcol->name, td->fn),
					 errdetail("Every row has the target %s.", tcol->dict.text[0]),
					 errhint("Return a boolean or a two-valued column as the target; rows with a NULL target are skipped.")));
		order = CrmDictSortedOrder(tcol);
		m->target.type = CRM_TARGET_CLASSES;
		m->target.nlevels = 2;
		m->target.levels = palloc(sizeof(char *) * 2);
		m->target.level_rows = palloc(sizeof(int64) * 2);
		for (j = 0; j < 2; j++)
		{
			m->target.levels[j] = tcol->dict.text[order[j]];
			m->target.level_rows[j] = tcol->dict.rows[order[j]];
		}
		m->target.mean = NAN;
		m->target.sd = NAN;
	}

	/* features */
	for (i = 1; i < td->ncols; i++)
	{
		CrmTrainColumn *col = &td->cols[i];
		CrmFeature *f = &m->features[i - 1];

		f->name = col->name;
		f->source_type = format_type_be(col->typid);
		f->nulls = col->nulls;
		if (col->nulls == td->nrows)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature column \"%s\" of the query of %s is NULL in every row", col->name, td->fn),
					 errhint("Drop the column: it cannot inform the model.")));
		if (!col->categorical)
		{
			f->type = CRM_FEATURE_NUMERIC;
			CrmColumnMeanSd(col, &f->mean, &f->sd);
			f->min = col->min;
			f->max = col->max;
		}
		else
		{
			int32	   *order = CrmDictSortedOrder(col);
			bool		has_null = col->nulls > 0;

			f->type = CRM_FEATURE_CATEGORICAL;
			f->nlevels = col->dict.n + (has_null ? 1 : 0);
			f->levels = palloc0(sizeof(char *) * f->nlevels);
			f->level_len = palloc0(sizeof(int32) * f->nlevels);
			f->level_rows = palloc0(sizeof(int64) * f->nlevels);
			for (j = 0; j < col->dict.n; j++)
			{
				f->levels[j] = col->dict.text[order[j]];
				f->level_len[j] = col->dict.len[order[j]];
				f->level_rows[j] = col->dict.rows[order[j]];
			}
			if (has_null)
			{
				f->levels[f->nlevels - 1] = NULL;
				f->level_len[f->nlevels - 1] = -1;
				f->level_rows[f->nlevels - 1] = col->nulls;
			}
			CrmLevelIndexBuild(f, td->ctx);
		}
	}
	td->model = m;
	MemoryContextSwitchTo(old);

	/* the stored rows in final form: imputed numbers, levels in sort order */
	if (td->in_memory)
	{
		int64		ch;

		for (ch = 0; ch < td->nchunks; ch++)
		{
			int			nr = (int) Min(CRM_TRAIN_BATCH, td->nrows - ch * CRM_TRAIN_BATCH);

			if ((ch & 63) == 0)
				CHECK_FOR_INTERRUPTS();
			if (td->rule == CRM_TARGET_RULE_BINARY)
			{
				double	   *y = CrmChunkY(td, ch);

				for (r = 0; r < nr; r++)
					y[r] = tcol->dict.remap[(int) y[r]];
			}
			for (i = 1; i < td->ncols; i++)
			{
				CrmTrainColumn *col = &td->cols[i];
				const CrmFeature *f = &m->features[i - 1];

				if (!col->categorical)
				{
					double	   *v = CrmChunkNum(td, ch, col->slot);

					if (col->nulls > 0)
						for (r = 0; r < nr; r++)
							if (isnan(v[r]))
								v[r] = f->mean;
				}
				else
				{
					int32	   *c = CrmChunkCat(td, ch, col->slot);
					int32		null_level = CrmNullLevel(f);

					for (r = 0; r < nr; r++)
						c[r] = c[r] < 0 ? null_level : col->dict.remap[c[r]];
				}
			}
		}
	}
	return m;
}

/* Hand the buffered rows of a pass to the callback. */
static void
CrmTrainFlush(CrmTrainData *td)
{
	if (td->batch.nrows > 0)
		td->cb(&td->batch, td->cbarg);
	td->batch.nrows = 0;
}

/* A query pass after the first: the query changed its rows. */
static void
CrmTrainChanged(CrmTrainData *td, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the query of %s returned different rows when it ran again", td->fn),
			 errdetail("%s", detail),
			 errhint("The training data did not fit crm_analytics.max_memory, so the query runs once per "
					 "step: it must return the same rows every time (no random(), no concurrent changes "
					 "visible to it), or raise crm_analytics.max_memory.")));
}

/* A later pass: encode one row with the final schema. */
static void
CrmTrainLaterRow(TupleTableSlot *slot, void *arg)
{
	CrmTrainData *td = (CrmTrainData *) arg;
	const CrmModel *m = td->model;
	CrmTrainColumn *tcol = &td->cols[0];
	int			b,
				i;

	if (slot->tts_isnull[0])
		return;
	b = td->batch.nrows;
	if (td->rule == CRM_TARGET_RULE_NUMERIC)
	{
		double		y = CrmConvNumber(tcol->conv, slot->tts_values[0]);

		if (!isfinite(y))
			CrmNotFinite(td->fn, tcol->name, y);
		td->batch.y[b] = y;
	}
	else
	{
		int			len;
		double		numkey;
		const char *s = CrmTargetText(tcol, slot->tts_values[0], &len, &numkey);
		int			k;

		for (k = 0; k < 2; k++)
			if (s != NULL && (int) strlen(m->target.levels[k]) == len &&
				memcmp(m->target.levels[k], s, len) == 0)
				break;
		if (k == 2)
			CrmTrainChanged(td, psprintf("A target value of column \"%s\" was not seen before.", tcol->name));
		td->batch.y[b] = k;
	}
	for (i = 1; i < td->ncols; i++)
	{
		CrmTrainColumn *col = &td->cols[i];
		const CrmFeature *f = &m->features[i - 1];

		if (!col->categorical)
		{
			double		v;

			if (slot->tts_isnull[i])
				v = f->mean;
			else
			{
				v = CrmConvNumber(col->conv, slot->tts_values[i]);
				if (!isfinite(v))
					CrmNotFinite(td->fn, col->name, v);
			}
			td->batch.num[col->slot][b] = v;
		}
		else
		{
			int32		level;

			if (slot->tts_isnull[i])
				level = CrmNullLevel(f);
			else
			{
				int			len;
				const char *s = CrmConvText(col->conv, &col->cast, slot->tts_values[i], &len);

				level = CrmLevelIndexFind(f, s, len);
			}
			if (level < 0)
				CrmTrainChanged(td, psprintf("A value of column \"%s\" was not seen before.", col->name));
			td->batch.cat[col->slot][b] = level;
		}
	}
	td->pass_rows++;
	if (++td->batch.nrows == CRM_TRAIN_BATCH)
		CrmTrainFlush(td);
}

/*
 * Hand every training row to cb in batches: from memory, or by running the
 * query again (checking that it returns as many rows as the first time).
 */
void
CrmTrainForEachBatch(CrmTrainData *td, CrmTrainBatchCallback cb, void *arg)
{
	int			k;

	if (td->in_memory)
	{
		CrmTrainBatch batch;
		int64		ch;

		batch.num = palloc(sizeof(double *) * Max(td->nnum, 1));
		batch.cat = palloc(sizeof(int32 *) * Max(td->ncat, 1));
		for (ch = 0; ch < td->nchunks; ch++)
		{
			CHECK_FOR_INTERRUPTS();
			batch.nrows = (int) Min(CRM_TRAIN_BATCH, td->nrows - ch * CRM_TRAIN_BATCH);
			batch.y = CrmChunkY(td, ch);
			for (k = 0; k < td->nnum; k++)
				batch.num[k] = CrmChunkNum(td, ch, k);
			for (k = 0; k < td->ncat; k++)
				batch.cat[k] = CrmChunkCat(td, ch, k);
			cb(&batch, arg);
		}
		pfree(batch.num);
		pfree(batch.cat);
		return;
	}
	if (td->batch.y == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(td->ctx);

		td->batch.y = palloc(sizeof(double) * CRM_TRAIN_BATCH);
		td->batch.num = palloc(sizeof(double *) * Max(td->nnum, 1));
		td->batch.cat = palloc(sizeof(int32 *) * Max(td->ncat, 1));
		for (k = 0; k < td->nnum; k++)
			td->batch.num[k] = palloc(sizeof(double) * CRM_TRAIN_BATCH);
		for (k = 0; k < td->ncat; k++)
			td->batch.cat[k] = palloc(sizeof(int32) * CRM_TRAIN_BATCH);
		MemoryContextSwitchTo(old);
	}
	td->batch.nrows = 0;
	td->pass_rows = 0;
	td->cb = cb;
	td->cbarg = arg;
	(void) CrmQueryForEachRow(td->q, CrmTrainLaterRow, td);
	CrmTrainFlush(td);
	if (td->pass_rows != td->nrows)
		CrmTrainChanged(td, psprintf("It returned " INT64_FORMAT " rows with a target, " INT64_FORMAT " the first time.",
									 td->pass_rows, td->nrows));
}

/* Numeric features: count, and the feature number of each. */
int
CrmTrainNumeric(const CrmTrainData *td, int **feature)
{
	*feature = td->num_feature;
	return td->nnum;
}

/* Categorical features: count, and the feature number of each. */
int
CrmTrainCategorical(const CrmTrainData *td, int **feature)
{
	*feature = td->cat_feature;
	return td->ncat;
}

/* Rows used (non-NULL target). */
int64
CrmTrainRows(const CrmTrainData *td)
{
	return td->nrows;
}

/* Rows skipped for a NULL target. */
int64
CrmTrainSkipped(const CrmTrainData *td)
{
	return td->rows_skipped;
}

/* Times the query ran. */
int
CrmTrainPasses(const CrmTrainData *td)
{
	return td->q->nruns;
}

/* Are the rows kept in memory? */
bool
CrmTrainInMemory(const CrmTrainData *td)
{
	return td->in_memory;
}
