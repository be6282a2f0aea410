/*
 * model.h
 *		The model value crm.model shared by every kind of predictive model,
 *		its feature encoding, and the dispatch of prediction and explanation
 *		to the kind of model.
 *
 * Files:
 *	model.c				the type (text and binary I/O, the versioned binary
 *						format and its hardened decoder), the decoded-model
 *						cache per call site, crm.predict, crm.predict_label,
 *						crm.explain and crm.model_json, dispatching by kind
 *	model_features.c	the feature schema: reading a training query (column
 *						classes, categorical levels, means, the in-memory
 *						store or one pass per request) and turning a record's
 *						columns, found by name, into a feature row
 *	regression.c		logistic and linear regression (a kind each)
 *
 * A new kind of model adds a CrmModelKind value, a CrmModelKindOps in its
 * own file, and one case in CrmModelKindOpsFor (model.c).
 */
#ifndef CRM_MODEL_H
#define CRM_MODEL_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "lib/stringinfo.h"

#include "crm_analytics.h"

/* Version of the binary format (first byte of every model value). */
#define CRM_MODEL_FORMAT			1

/* Bounds, checked when training and when decoding. */
#define CRM_MODEL_MAX_FEATURES		1600	/* as many as a table has columns */
#define CRM_MODEL_MAX_LEVELS		1000	/* levels of one categorical feature */
#define CRM_MODEL_MAX_NAME			1024	/* bytes of a feature or fact name */
#define CRM_MODEL_MAX_LEVEL_LEN		8192	/* bytes of one level's text */
#define CRM_MODEL_MAX_FACTS			256

typedef enum CrmModelKind
{
	CRM_MODEL_LOGISTIC = 1,		/* logistic regression (regression.c) */
	CRM_MODEL_LINEAR = 2		/* linear regression (regression.c) */
	/* 3, 4: decision trees and boosted trees (issue 12) */
} CrmModelKind;

typedef enum CrmFeatureType
{
	CRM_FEATURE_NUMERIC = 1,	/* a number; NULL is imputed with the mean */
	CRM_FEATURE_CATEGORICAL = 2 /* levels; NULL is a level of its own */
} CrmFeatureType;

typedef enum CrmTargetType
{
	CRM_TARGET_NUMERIC = 1,		/* regression */
	CRM_TARGET_CLASSES = 2		/* classification: levels in sort order */
} CrmTargetType;

/* A level lookup table: open addressing over the level texts. */
typedef struct CrmLevelIndex
{
	int			mask;			/* size - 1, size a power of two */
	int32	   *slot;			/* level number, or -1 */
	uint32	   *hash;
} CrmLevelIndex;

/* One feature of a model, as trained. */
typedef struct CrmFeature
{
	char	   *name;			/* the column name */
	char	   *source_type;	/* its SQL type when trained, for people */
	uint8		type;			/* CrmFeatureType */
	int64		nulls;			/* training rows where it was NULL */
	/* numeric features */
	double		mean;			/* training mean: the value imputed for NULL */
	double		sd;				/* training standard deviation (divisor n) */
	double		min;
	double		max;
	/* categorical features */
	int32		nlevels;		/* levels in sort order; the NULL level last */
	char	  **levels;			/* level texts (NUL-terminated); NULL = the NULL level */
	int32	   *level_len;		/* byte lengths of the texts */
	int64	   *level_rows;		/* training rows per level */
	CrmLevelIndex index;		/* text -> level (built when decoded) */
} CrmFeature;

/* The target of a model. */
typedef struct CrmTarget
{
	char	   *name;
	char	   *source_type;
	uint8		type;			/* CrmTargetType */
	int32		nlevels;		/* classes: 2 for binary (negative, positive) */
	char	  **levels;
	int64	   *level_rows;
	double		mean;			/* numeric: mean of the training target */
	double		sd;
} CrmTarget;

/* A training fact: a named value shown by crm.model_json. */
typedef enum CrmFactType
{
	CRM_FACT_INT = 'i',
	CRM_FACT_FLOAT = 'f',
	CRM_FACT_BOOL = 'b',
	CRM_FACT_TEXT = 't'
} CrmFactType;

typedef struct CrmModelFact
{
	char	   *key;
	char		type;			/* CrmFactType */
	int64		i;				/* INT and BOOL */
	double		f;
	char	   *t;
} CrmModelFact;

/* A decoded model. */
typedef struct CrmModel
{
	uint8		kind;			/* CrmModelKind */
	int32		nfeatures;
	CrmFeature *features;
	CrmTarget	target;
	int32		nfacts;
	CrmModelFact *facts;
	void	   *payload;		/* kind-specific, owned by the kind */
} CrmModel;

/*
 * One row of features, in model feature order: numeric values (NULL already
 * imputed) and level numbers (-1: a level not seen in training, which
 * contributes nothing).  isnull tells which were NULL.
 */
typedef struct CrmFeatureRow
{
	double	   *value;
	int32	   *level;
	bool	   *isnull;
} CrmFeatureRow;

/* What a kind of model provides to the shared machinery. */
typedef struct CrmModelKindOps
{
	uint8		kind;
	const char *name;			/* SQL-facing name: "logistic_regression" */
	CrmTargetType target;		/* what it predicts */
	/* kind-specific part of the binary format */
	void		(*write_payload) (StringInfo buf, const CrmModel *m);
	void		(*read_payload) (StringInfo buf, CrmModel *m);
	/* derived structures for prediction, built once per decoded model */
	void		(*prepare) (CrmModel *m);
	/*
	 * out[0] = the prediction for a numeric target; for classes out[k] =
	 * P(class k), k < target.nlevels.
	 */
	void		(*predict) (const CrmModel *m, const CrmFeatureRow *row, double *out);
	/*
	 * Additive explanation on the raw scale (the log-odds of the positive
	 * class for a binary classifier, the value for regression): *base plus
	 * the sum of contrib[f] over the features is the raw score of the row.
	 */
	void		(*explain) (const CrmModel *m, const CrmFeatureRow *row,
							double *base, double *contrib);
	/* the kind's part of crm.model_json (JSON object members, no braces) */
	void		(*json_payload) (StringInfo out, const CrmModel *m);
} CrmModelKindOps;

/* the kinds (regression.c) */
extern const CrmModelKindOps CrmLogisticRegressionOps;
extern const CrmModelKindOps CrmLinearRegressionOps;

/* model.c */
extern const CrmModelKindOps *CrmModelKindOpsFor(int kind);
extern bytea *CrmModelEncode(const CrmModel *m);
extern CrmModel *CrmModelDecode(const char *data, int len, MemoryContext ctx);
extern CrmModel *CrmModelFromArg(FunctionCallInfo fcinfo, int argno);
extern void CrmModelCheckKind(const CrmModel *m, const char *fn, bool classifier_needed,
							  int kind_needed);
extern void CrmModelAddFact(CrmModel *m, const char *key, char type, int64 i, double f,
							const char *t);
extern const CrmModelFact *CrmModelFindFact(const CrmModel *m, const char *key);
extern void CrmJsonString(StringInfo out, const char *s);
extern void CrmJsonNumber(StringInfo out, double v);
/* readers of the binary format that validate as they go */
extern uint8 CrmModelReadByte(StringInfo buf, const char *what);
extern double CrmModelReadDouble(StringInfo buf, bool finite, const char *what);
extern int32 CrmModelReadCount(StringInfo buf, int32 max, Size min_bytes_each,
							   const char *what);
pg_noreturn extern void CrmModelCorrupt(const char *detail);

/* model_features.c: record -> feature row */
typedef struct CrmFeatureMap CrmFeatureMap;

extern CrmFeatureMap *CrmFeatureMapBuild(const CrmModel *m, Oid typid, int32 typmod,
										 MemoryContext ctx, const char *fn);
extern bool CrmFeatureMapMatches(const CrmFeatureMap *map, Oid typid, int32 typmod);
extern void CrmFeatureMapRow(CrmFeatureMap *map, HeapTupleHeader rec, CrmFeatureRow *row,
							 char **text, const char *fn);
extern CrmFeatureRow *CrmFeatureMapRowBuffer(CrmFeatureMap *map);
extern void CrmLevelIndexBuild(CrmFeature *f, MemoryContext ctx);
extern int32 CrmLevelIndexFind(const CrmFeature *f, const char *s, int len);

/* model_features.c: reading a training query */
typedef enum CrmTargetRule
{
	CRM_TARGET_RULE_BINARY,		/* boolean, or a column with two levels */
	CRM_TARGET_RULE_NUMERIC		/* a number */
} CrmTargetRule;

/*
 * A batch of training rows, column-major per kind of feature: num[k][i] is
 * numeric feature k (NULL imputed), cat[c][i] the level number of
 * categorical feature c, y[i] the target (numeric value, or class number).
 */
typedef struct CrmTrainBatch
{
	int			nrows;
	double	   *y;
	double	  **num;
	int32	  **cat;
} CrmTrainBatch;

typedef void (*CrmTrainBatchCallback) (const CrmTrainBatch *batch, void *arg);

typedef struct CrmTrainData CrmTrainData;

extern CrmTrainData *CrmTrainOpen(CrmQuery *q, CrmTargetRule rule, const char *fn,
								  MemoryContext ctx);
extern CrmModel *CrmTrainFirstPass(CrmTrainData *td);
extern void CrmTrainForEachBatch(CrmTrainData *td, CrmTrainBatchCallback cb, void *arg);
extern int	CrmTrainNumeric(const CrmTrainData *td, int **feature);
extern int	CrmTrainCategorical(const CrmTrainData *td, int **feature);
extern int64 CrmTrainRows(const CrmTrainData *td);
extern int64 CrmTrainSkipped(const CrmTrainData *td);
extern int	CrmTrainPasses(const CrmTrainData *td);
extern bool CrmTrainInMemory(const CrmTrainData *td);

#endif							/* CRM_MODEL_H */
