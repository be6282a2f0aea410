/*
 * specfun.h
 *		Special functions of crm_analytics (specfun.c): the functions of the
 *		buy-till-you-die models (digamma, trigamma, 2F1, log-sum-exp) and the
 *		distribution functions of the statistical tests (normal, Student's t,
 *		chi-square, regularized incomplete beta and gamma functions).
 */
#ifndef CRM_SPECFUN_H
#define CRM_SPECFUN_H

/* buy-till-you-die models (clv_models.c) */
extern double CrmDigamma(double x);
extern double CrmTrigamma(double x);
extern double CrmLogHyp2f1(double a, double b, double c, double z, bool *ok);
extern double CrmLogHyp2f1Ap1(double a, double b, double z, bool *ok);
extern double CrmLogAddExp(double a, double b);
extern double CrmLogSubExp(double a, double b);

/* distributions (statistical tests: abtest.c, deviation.c, holtwinters.c) */
extern double CrmLogBeta(double a, double b);
extern double CrmBetaInc(double a, double b, double x, double y, bool upper);
extern double CrmGammaIncUpper(double a, double x);
extern double CrmNormalCdf(double x);
extern double CrmNormalSf(double x);
extern double CrmNormalQuantile(double p);
extern double CrmStudentTUpperTail(double t, double df);
extern double CrmStudentTUpperQuantile(double q, double df);
extern double CrmChi2Sf(double x, double k);

#endif							/* CRM_SPECFUN_H */
