/*
 * abtest.h
 *		Shared helpers of the A/B and campaign statistics (abtest.c,
 *		abtest_means.c): argument checks, the critical values and the result
 *		rows.
 */
#ifndef CRM_ABTEST_H
#define CRM_ABTEST_H

#include "postgres.h"

#include "fmgr.h"

#include "crm_analytics.h"
#include "numerics.h"

#define AB_DEFAULT_CONFIDENCE	0.95

/* Index of the groups in the states: control first, as in "treated minus control". */
#define AB_CONTROL	0
#define AB_TREATED	1

extern double AbCheckConfidence(double confidence);
extern double AbArgConfidence(FunctionCallInfo fcinfo, int argno);
extern void AbSameConfidence(double have, double got);
extern double AbNormalCritical(double confidence);
extern double AbTwoSidedNormalP(double z);
extern Datum AbResultRow(FunctionCallInfo fcinfo, const char *fn, Datum *values, bool *nulls);
extern void AbCheckFiniteValue(double value, const char *what);
extern void AbCheckStateFormat(int format, int expected, const char *fn);

#endif							/* CRM_ABTEST_H */
