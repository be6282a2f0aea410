#!/usr/bin/env bash
# Planted truth: the data generator draws prospects whose conversion follows
# a known logistic model and whose first-year spend a known linear model
# (test/datagen, tables prospects and prospect_truth).  Training on the
# 20,000 generated prospects recovers every planted coefficient within 4 of
# its standard errors (the chance that one of 19 normal estimates falls
# further is about 0.1 %), and the residual standard deviation of the spend
# model within 2 %.
set -euo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
bash "$CRM_ROOT/test/datagen/generate.sh" --schema planted --customers 20000 --seed 7 --jobs 1 >/dev/null
feats="age, income_k, web_visits, email_opens, days_since_visit, channel, has_app"
q <<SQL
CREATE TABLE fits AS
SELECT 'conversion' AS model, crm.logistic_regression('SELECT converted, $feats FROM planted.prospects') AS m
UNION ALL
SELECT 'spend', crm.linear_regression('SELECT first_year_spend, $feats FROM planted.prospects');
SQL
q -F ' ' <<'SQL'
SELECT f.model, c.feature, coalesce(c.level, '-'), round(c.coefficient::numeric, 4), round(c.std_error::numeric, 4),
	   t.coefficient AS planted, round(((c.coefficient - t.coefficient) / c.std_error)::numeric, 2) AS z
FROM fits f CROSS JOIN LATERAL crm.model_coefficients(f.m) c
JOIN planted.prospect_truth t ON t.model = f.model AND t.feature = c.feature AND t.level IS NOT DISTINCT FROM c.level
ORDER BY 1, 2, 3;
SQL
bad=$(q -c "SELECT count(*) FROM fits f CROSS JOIN LATERAL crm.model_coefficients(f.m) c
	LEFT JOIN planted.prospect_truth t ON t.model = f.model AND t.feature = c.feature AND t.level IS NOT DISTINCT FROM c.level
	WHERE t.coefficient IS NULL OR abs(c.coefficient - t.coefficient) > 4 * c.std_error")
terms=$(q -c "SELECT count(*) FROM fits f, crm.model_coefficients(f.m) c")
sigma=$(q -c "SELECT round(((crm.model_json(m)->'training'->>'sigma')::float8)::numeric, 3) FROM fits WHERE model = 'spend'")
sigma_ok=$(q -c "SELECT abs((crm.model_json(m)->'training'->>'sigma')::float8 / t.coefficient - 1) < 0.02
	FROM fits, planted.prospect_truth t WHERE fits.model = 'spend' AND t.model = 'spend' AND t.term = '(residual sd)'")
echo "$terms coefficients, $bad outside 4 standard errors of the planted value; residual sd $sigma (planted 40)"
[ "$terms" = 20 ] && [ "$bad" = 0 ] && [ "$sigma_ok" = t ]
