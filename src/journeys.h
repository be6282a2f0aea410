/*
 * journeys.h
 *		Shared pieces of the web analytics capability (funnel.c, sequence.c,
 *		journey_paths.c, cohort.c): the per-group event log of the funnel and
 *		sequence aggregates, intervals read as microseconds, and the key
 *		table that turns the journey or customer keys of a caller's query into
 *		dense numbers.
 */
#ifndef CRM_JOURNEYS_H
#define CRM_JOURNEYS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

#include "crm_analytics.h"

/* most steps of a funnel and most conditions of a sequence pattern */
#define JOURNEY_MAX_STEPS	32

/*
 * One row of a group: its time and the set of conditions it matches (bit
 * k-1 for condition k).  Rows of a group are kept in arrival order and
 * sorted (on a copy) by the final function when they did not arrive in
 * time order.
 */
typedef struct pg_attribute_packed() JourneyEvent
{
	TimestampTz ts;
	uint32		mask;
} JourneyEvent;					/* packed: 12 bytes */

typedef struct JourneyEventLog
{
	int64		n;				/* rows held */
	int64		cap;			/* rows allocated */
	bool		sorted;			/* rows are in JourneyEventCmp order */
	JourneyEvent *ev;
} JourneyEventLog;

extern void JourneyLogInit(JourneyEventLog *log, MemoryContext ctx, const char *fn);
extern void JourneyLogAppend(JourneyEventLog *log, TimestampTz ts, uint32 mask,
							 const char *fn);
extern void JourneyLogConcat(JourneyEventLog *into, const JourneyEventLog *from,
							 const char *fn);
extern void JourneyLogSerialize(StringInfo buf, const JourneyEventLog *log);
extern void JourneyLogDeserialize(StringInfo buf, JourneyEventLog *log, int nconds,
								  MemoryContext ctx, const char *fn);
extern void JourneyEventsSort(JourneyEvent *ev, int64 n);
extern const JourneyEvent *JourneyLogSortedView(const JourneyEventLog *log, const char *fn,
												JourneyEvent **copy);

extern uint32 JourneyConditionMask(ArrayType *conds, int nconds, const char *fn,
								   const char *what);
extern int	JourneyConditionCount(ArrayType *conds, const char *fn, const char *what);
extern int64 JourneyIntervalUsecs(Interval *iv, const char *fn, const char *argname,
								  bool allow_zero);
extern void JourneyCheckFiniteTs(TimestampTz ts, const char *fn);

/*
 * A table of keys (byte strings) numbered densely from 0 in order of first
 * appearance, used to group the rows of a caller's query by journey,
 * customer or event label.  Memory is checked against crm_analytics.max_memory.
 */
typedef struct JourneyKeyTable
{
	MemoryContext ctx;
	const char *fn;
	const char *what;
	uint32	   *slot_hash;		/* open addressing: hash of the key in the slot */
	int32	   *slot_id;		/* id + 1, 0 = empty */
	uint32		nslots;			/* power of two */
	int32		nkeys;
	int64	   *key_off;		/* key i: bytes at data + key_off[i] */
	int32	   *key_len;
	int32		key_cap;
	char	   *data;
	Size		data_len;
	Size		data_cap;
	/* integer keys (JourneyKeysInternDatum) go through a dictionary instead */
	bool		have_ints;
	CrmIntDict	ints;
} JourneyKeyTable;

extern void JourneyKeysInit(JourneyKeyTable *t, MemoryContext ctx, const char *fn,
							const char *what);
extern int32 JourneyKeysIntern(JourneyKeyTable *t, const char *key, int len);
extern int32 JourneyKeysInternDatum(JourneyKeyTable *t, Datum value, Oid typid,
									FmgrInfo *outfn);
extern int32 JourneyKeysCount(const JourneyKeyTable *t);
extern bool JourneyKeysIntType(Oid typid);
extern void JourneyKeysInternInts(JourneyKeyTable *t, int64 *keys, int64 n);
extern int32 *JourneyKeysRanks(const JourneyKeyTable *t);
extern text *JourneyKeyText(const JourneyKeyTable *t, int32 id);

#endif							/* CRM_JOURNEYS_H */
