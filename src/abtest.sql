------------------------------------------------------------------------------
-- A/B and campaign statistics: conversions, values, CUPED, counts
------------------------------------------------------------------------------

CREATE TYPE crm.ab_test AS (
	n_control bigint,
	n_treated bigint,
	conversions_control bigint,
	conversions_treated bigint,
	rate_control float8,
	rate_treated float8,
	uplift float8,
	relative_uplift float8,
	ci_low float8,
	ci_high float8,
	z float8,
	p_value float8
);
COMMENT ON TYPE crm.ab_test IS
'Result of crm.ab_test: group sizes, conversions and rates, uplift (treated minus control) and relative uplift, Newcombe hybrid score interval of the uplift, pooled z statistic and two-sided p-value';

CREATE FUNCTION crm.ab_test_transfn(internal, boolean, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_transfn(internal, boolean, boolean) IS
'transition function of crm.ab_test at the default confidence 0.95';

CREATE FUNCTION crm.ab_test_transfn(internal, boolean, boolean, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_transfn(internal, boolean, boolean, float8) IS
'transition function of crm.ab_test';

CREATE FUNCTION crm.ab_test_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_combinefn(internal, internal) IS
'combine function of crm.ab_test (merges partial states of parallel workers)';

CREATE FUNCTION crm.ab_test_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'ab_test_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_serialfn(internal) IS
'serialization function of crm.ab_test';

CREATE FUNCTION crm.ab_test_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'ab_test_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_deserialfn(bytea, internal) IS
'deserialization function of crm.ab_test';

CREATE FUNCTION crm.ab_test_finalfn(internal)
RETURNS crm.ab_test
AS 'MODULE_PATHNAME', 'ab_test_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.ab_test_finalfn(internal) IS
'final function of crm.ab_test';

-- SSPACE: the state is four counters and the confidence level (40 bytes)
CREATE AGGREGATE crm.ab_test(converted boolean, treated boolean) (
	SFUNC = crm.ab_test_transfn,
	STYPE = internal,
	SSPACE = 40,
	FINALFUNC = crm.ab_test_finalfn,
	COMBINEFUNC = crm.ab_test_combinefn,
	SERIALFUNC = crm.ab_test_serialfn,
	DESERIALFUNC = crm.ab_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.ab_test(boolean, boolean) IS
'A/B test of conversion rates, treated minus control, 95 % Newcombe interval and pooled z-test; rows with a NULL are skipped';

CREATE AGGREGATE crm.ab_test(converted boolean, treated boolean, confidence float8) (
	SFUNC = crm.ab_test_transfn,
	STYPE = internal,
	SSPACE = 40,
	FINALFUNC = crm.ab_test_finalfn,
	COMBINEFUNC = crm.ab_test_combinefn,
	SERIALFUNC = crm.ab_test_serialfn,
	DESERIALFUNC = crm.ab_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.ab_test(boolean, boolean, float8) IS
'A/B test of conversion rates, treated minus control, Newcombe interval at the given confidence and pooled z-test';

CREATE TYPE crm.welch_ttest AS (
	n_control bigint,
	n_treated bigint,
	mean_control float8,
	mean_treated float8,
	difference float8,
	t float8,
	df float8,
	p_value float8,
	ci_low float8,
	ci_high float8
);
COMMENT ON TYPE crm.welch_ttest IS
'Result of crm.welch_ttest: group sizes and means, difference (treated minus control), t, Welch-Satterthwaite degrees of freedom, two-sided p-value and interval of the difference';

CREATE TYPE crm.cuped_test AS (
	n_control bigint,
	n_treated bigint,
	mean_control float8,
	mean_treated float8,
	theta float8,
	difference float8,
	t float8,
	df float8,
	p_value float8,
	ci_low float8,
	ci_high float8,
	variance_reduction float8
);
COMMENT ON TYPE crm.cuped_test IS
'Result of crm.cuped_test: group sizes and raw means, theta, CUPED-adjusted difference (treated minus control) with its Welch t, degrees of freedom, p-value and interval, and the share of the variance of the estimate removed';

CREATE FUNCTION crm.welch_ttest_transfn(internal, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'welch_ttest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_transfn(internal, float8, boolean) IS
'transition function of crm.welch_ttest at the default confidence 0.95';

CREATE FUNCTION crm.welch_ttest_transfn(internal, float8, boolean, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'welch_ttest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_transfn(internal, float8, boolean, float8) IS
'transition function of crm.welch_ttest';

CREATE FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'cuped_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean) IS
'transition function of crm.cuped_test at the default confidence 0.95';

CREATE FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'cuped_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_transfn(internal, float8, float8, boolean, float8) IS
'transition function of crm.cuped_test';

CREATE FUNCTION crm.means_test_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'means_test_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.means_test_combinefn(internal, internal) IS
'combine function of crm.welch_ttest and crm.cuped_test (merges partial moments)';

CREATE FUNCTION crm.means_test_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'means_test_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.means_test_serialfn(internal) IS
'serialization function of crm.welch_ttest and crm.cuped_test';

CREATE FUNCTION crm.means_test_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'means_test_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.means_test_deserialfn(bytea, internal) IS
'deserialization function of crm.welch_ttest and crm.cuped_test';

CREATE FUNCTION crm.welch_ttest_finalfn(internal)
RETURNS crm.welch_ttest
AS 'MODULE_PATHNAME', 'welch_ttest_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.welch_ttest_finalfn(internal) IS
'final function of crm.welch_ttest';

CREATE FUNCTION crm.cuped_test_finalfn(internal)
RETURNS crm.cuped_test
AS 'MODULE_PATHNAME', 'cuped_test_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.cuped_test_finalfn(internal) IS
'final function of crm.cuped_test';

-- SSPACE: two groups of moments (6 x 8 bytes each), the confidence and a flag
CREATE AGGREGATE crm.welch_ttest(value float8, treated boolean) (
	SFUNC = crm.welch_ttest_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.welch_ttest_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.welch_ttest(float8, boolean) IS
'Welch''s unequal-variance t-test of the mean value, treated minus control, with a 95 % interval (scipy ttest_ind equal_var=False)';

CREATE AGGREGATE crm.welch_ttest(value float8, treated boolean, confidence float8) (
	SFUNC = crm.welch_ttest_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.welch_ttest_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.welch_ttest(float8, boolean, float8) IS
'Welch''s unequal-variance t-test of the mean value, treated minus control, with an interval at the given confidence';

CREATE AGGREGATE crm.cuped_test(value float8, covariate float8, treated boolean) (
	SFUNC = crm.cuped_test_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.cuped_test_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.cuped_test(float8, float8, boolean) IS
'CUPED (Deng et al. 2013): treatment effect on value adjusted with a pre-period covariate, Welch test and 95 % interval';

CREATE AGGREGATE crm.cuped_test(value float8, covariate float8, treated boolean, confidence float8) (
	SFUNC = crm.cuped_test_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.cuped_test_finalfn,
	COMBINEFUNC = crm.means_test_combinefn,
	SERIALFUNC = crm.means_test_serialfn,
	DESERIALFUNC = crm.means_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.cuped_test(float8, float8, boolean, float8) IS
'CUPED (Deng et al. 2013): treatment effect on value adjusted with a pre-period covariate, Welch test and interval at the given confidence';

CREATE TYPE crm.mann_whitney AS (
	n_control bigint,
	n_treated bigint,
	u float8,
	prob_superiority float8,
	z float8,
	p_value float8
);
COMMENT ON TYPE crm.mann_whitney IS
'Result of crm.mann_whitney: group sizes, U of the treated group, U / (n_treated n_control), z with tie and continuity correction and the two-sided p-value';

CREATE FUNCTION crm.mann_whitney_transfn(internal, float8, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'mann_whitney_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_transfn(internal, float8, boolean) IS
'transition function of crm.mann_whitney';

CREATE FUNCTION crm.mann_whitney_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mann_whitney_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_combinefn(internal, internal) IS
'combine function of crm.mann_whitney (concatenates the values of partial states)';

CREATE FUNCTION crm.mann_whitney_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mann_whitney_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_serialfn(internal) IS
'serialization function of crm.mann_whitney';

CREATE FUNCTION crm.mann_whitney_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mann_whitney_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_deserialfn(bytea, internal) IS
'deserialization function of crm.mann_whitney';

CREATE FUNCTION crm.mann_whitney_finalfn(internal)
RETURNS crm.mann_whitney
AS 'MODULE_PATHNAME', 'mann_whitney_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.mann_whitney_finalfn(internal) IS
'final function of crm.mann_whitney';

-- SSPACE: the empty state (48 bytes) plus the first 16 values of each group;
-- it grows by 8 bytes per row, which the planner cannot know in advance
CREATE AGGREGATE crm.mann_whitney(value float8, treated boolean) (
	SFUNC = crm.mann_whitney_transfn,
	STYPE = internal,
	SSPACE = 304,
	FINALFUNC = crm.mann_whitney_finalfn,
	COMBINEFUNC = crm.mann_whitney_combinefn,
	SERIALFUNC = crm.mann_whitney_serialfn,
	DESERIALFUNC = crm.mann_whitney_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.mann_whitney(float8, boolean) IS
'Mann-Whitney U test, treated against control, two-sided, tie and continuity corrected (scipy mannwhitneyu method=asymptotic); holds every value';

CREATE TYPE crm.chi2_test AS (
	variants integer,
	n bigint,
	chi2 float8,
	dof integer,
	p_value float8
);
COMMENT ON TYPE crm.chi2_test IS
'Result of crm.chi2_test: number of variants and rows, Pearson chi-square statistic, degrees of freedom and p-value';

CREATE FUNCTION crm.chi2_test_transfn(internal, text, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_transfn(internal, text, boolean) IS
'transition function of crm.chi2_test (Yates correction on 2x2 tables)';

CREATE FUNCTION crm.chi2_test_transfn(internal, text, boolean, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_transfn(internal, text, boolean, boolean) IS
'transition function of crm.chi2_test';

CREATE FUNCTION crm.chi2_test_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_combinefn(internal, internal) IS
'combine function of crm.chi2_test (merges per-variant counts)';

CREATE FUNCTION crm.chi2_test_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'chi2_test_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_serialfn(internal) IS
'serialization function of crm.chi2_test';

CREATE FUNCTION crm.chi2_test_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'chi2_test_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_deserialfn(bytea, internal) IS
'deserialization function of crm.chi2_test';

CREATE FUNCTION crm.chi2_test_finalfn(internal)
RETURNS crm.chi2_test
AS 'MODULE_PATHNAME', 'chi2_test_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.chi2_test_finalfn(internal) IS
'final function of crm.chi2_test';

-- SSPACE: the state with its first 8 variants (map slots, keys, counters)
CREATE AGGREGATE crm.chi2_test(variant text, converted boolean) (
	SFUNC = crm.chi2_test_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.chi2_test_finalfn,
	COMBINEFUNC = crm.chi2_test_combinefn,
	SERIALFUNC = crm.chi2_test_serialfn,
	DESERIALFUNC = crm.chi2_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.chi2_test(text, boolean) IS
'chi-square test of independence of variant and conversion (scipy chi2_contingency: Yates correction on 2x2 tables only); NULL rows skipped';

CREATE AGGREGATE crm.chi2_test(variant text, converted boolean, correction boolean) (
	SFUNC = crm.chi2_test_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.chi2_test_finalfn,
	COMBINEFUNC = crm.chi2_test_combinefn,
	SERIALFUNC = crm.chi2_test_serialfn,
	DESERIALFUNC = crm.chi2_test_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.chi2_test(text, boolean, boolean) IS
'chi-square test of independence of variant and conversion; correction = false turns off Yates'' correction of 2x2 tables';

CREATE TYPE crm.proportions_ztest AS (
	rate_a float8,
	rate_b float8,
	difference float8,
	z float8,
	p_value float8,
	ci_low float8,
	ci_high float8
);
COMMENT ON TYPE crm.proportions_ztest IS
'Result of crm.proportions_ztest: the two rates, their difference (a minus b), z, two-sided p-value and Wald interval of the difference';

CREATE FUNCTION crm.proportions_ztest(successes_a bigint, n_a bigint, successes_b bigint, n_b bigint,
									  pooled boolean DEFAULT true, confidence float8 DEFAULT 0.95)
RETURNS crm.proportions_ztest
AS 'MODULE_PATHNAME', 'proportions_ztest'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.proportions_ztest(bigint, bigint, bigint, bigint, boolean, float8) IS
'two-proportion z-test on counts, a minus b (statsmodels proportions_ztest when pooled; ClickHouse proportionsZTest), with the Wald interval of the difference';

CREATE FUNCTION crm.sample_size(baseline_rate float8, minimum_effect float8,
								alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sample_size'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.sample_size(float8, float8, float8, float8) IS
'customers per group for a two-sided two-proportion z-test to detect baseline_rate -> baseline_rate + minimum_effect';
