/*
 * deviation.h
 *		Shared declarations of the deviation, forecast and concentration
 *		capabilities: regular time series (holtwinters.c), the extreme
 *		studentized deviate engine (deviation.c), STL (stl.c), the value-list
 *		aggregate state (valuelist.c).  The quantiles they take from
 *		specfun.c are declared in numerics.h.
 */
#ifndef CRM_DEVIATION_H
#define CRM_DEVIATION_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"

#include "numerics.h"

/* One point of a time series. */
typedef struct CrmSeriesPoint
{
	TimestampTz ts;
	double		value;
} CrmSeriesPoint;

/*
 * Sort points by time and check that they form a regular series: no
 * duplicate timestamps and no gaps, ts[i] = ts[0] + i * step for a step of
 * whole months, whole days (in the session time zone) or a fixed duration.
 * Errors name the offending timestamps.  Sets *step (n >= 2).
 */
extern void CrmSeriesRegularize(CrmSeriesPoint *pts, int n, Interval *step, const char *fn);

/* ts + k * step */
extern TimestampTz CrmSeriesTime(TimestampTz ts, const Interval *step, int64 k);

/* An interval as text, for messages. */
extern char *CrmIntervalText(const Interval *step);

/*
 * Generalized extreme studentized deviate test (Rosner 1983) on values,
 * removing the most extreme point at each of nsteps steps.  With
 * robust = false the centre and scale are the mean and the sample standard
 * deviation (Rosner, NIST); with robust = true the median and
 * 1.4826 * MAD (the hybrid ESD of Hochenbaum, Vallis and Kejariwal 2017).
 * tail: 0 both sides, 1 upper only, -1 lower only.
 */
typedef struct CrmEsdStep
{
	int64		index;			/* position of the removed point in the input */
	double		r;				/* test statistic R_i */
	double		lambda;			/* critical value lambda_i */
} CrmEsdStep;

/*
 * Runs the test; fills steps[0..*ntested-1] and returns the number of
 * outliers (the largest i with R_i > lambda_i).  Stops early (fewer steps
 * tested) when the scale of the remaining points is 0.
 */
extern int	CrmEsd(const double *values, int64 n, int nsteps, double alpha, bool robust,
				   int tail, CrmEsdStep *steps, int *ntested, const char *fn);

/* STL decomposition (Cleveland et al. 1990) with R's stl() defaults; stl.c. */
typedef struct CrmStlParams
{
	int			period;
	int			s_window;
	int			s_degree;
	int			t_window;
	int			t_degree;
	int			l_window;
	int			l_degree;
	int			s_jump;
	int			t_jump;
	int			l_jump;
	int			inner;
	int			outer;
	bool		periodic;		/* average the seasonal part per cycle position */
} CrmStlParams;

extern void CrmStlDefaults(CrmStlParams *p, int n, int period, bool robust);
extern void CrmStl(const double *y, int n, const CrmStlParams *p,
				   double *seasonal, double *trend, double *weights, const char *fn);

/* The k-th smallest (0-based) of x[0..n-1]; reorders x (Hoare's selection). */
extern double CrmSelectKth(double *x, int64 n, int64 k);

/* Median of x[0..n-1] as R's median(); reorders x. */
extern double CrmMedianInPlace(double *x, int64 n);


#endif							/* CRM_DEVIATION_H */
