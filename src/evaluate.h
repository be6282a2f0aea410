/*
 * evaluate.h
 *		A score histogram: the exact multiset of (score, label) pairs as
 *		distinct scores with their positive and negative counts, the state of
 *		crm.auc and the input of crm.roc_curve and crm.lift_table
 *		(score_histogram.c).
 *
 * Scores are kept as order-preserving 64-bit keys (CrmScoreKey).  New pairs
 * go to two unsorted tails (positives, negatives); when the tails grow as
 * large as the sorted part they are radix-sorted and merged into it, so the
 * memory is 16 bytes per distinct score plus 8 per recent pair, and the
 * amortised cost per pair is a constant number of passes.  Reading
 * (CrmScoreHistIter) never modifies the histogram: unsorted tails are copied
 * and sorted on the side, so a final function may run any number of times.
 */
#ifndef CRM_EVALUATE_H
#define CRM_EVALUATE_H

#include "postgres.h"

#include "lib/stringinfo.h"

typedef struct CrmScoreHist
{
	MemoryContext ctx;			/* where the arrays live */
	const char *fn;				/* for budget messages */
	int64		n;				/* sorted entries */
	int64		cap;
	uint64	   *key;			/* ascending; equal keys only when a count overflowed */
	uint32	   *pos;
	uint32	   *neg;
	int64		npt;			/* unsorted positive keys */
	int64		cappt;
	uint64	   *pt;
	int64		nnt;			/* unsorted negative keys */
	int64		capnt;
	uint64	   *nt;
	int64		positives;		/* totals */
	int64		negatives;
} CrmScoreHist;

/* Reading a histogram in ascending score order, distinct scores merged. */
typedef struct CrmScoreHistIter
{
	const CrmScoreHist *h;
	int64		i;				/* next sorted entry */
	uint64	   *pt;				/* sorted copies of the tails */
	int64		npt;
	int64		ip;
	uint64	   *nt;
	int64		nnt;
	int64		in;
} CrmScoreHistIter;

extern uint64 CrmScoreKey(double score);
extern double CrmScoreFromKey(uint64 key);
extern void CrmScoreHistInit(CrmScoreHist *h, MemoryContext ctx, const char *fn);
extern void CrmScoreHistAdd(CrmScoreHist *h, double score, bool label);
extern void CrmScoreHistCompact(CrmScoreHist *h);
extern void CrmScoreHistMerge(CrmScoreHist *h, const CrmScoreHist *other);
extern void CrmScoreHistIterBegin(CrmScoreHistIter *it, const CrmScoreHist *h);
extern bool CrmScoreHistIterNext(CrmScoreHistIter *it, uint64 *key, int64 *pos, int64 *neg);
extern void CrmScoreHistIterEnd(CrmScoreHistIter *it);
extern void CrmScoreHistSerialize(StringInfo buf, const CrmScoreHist *h);
extern void CrmScoreHistDeserialize(StringInfo buf, CrmScoreHist *h);
extern Size CrmScoreHistBytes(const CrmScoreHist *h);

#endif							/* CRM_EVALUATE_H */
