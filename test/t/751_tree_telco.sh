#!/usr/bin/env bash
# Trees on real churn data: IBM Telco Customer Churn (../shared/datasets/
# telco_churn, 7,043 customers), the split of the prediction tests
# (t/710): train on the customers with crm.hash_split(customerID, 0.3) false,
# test on the others; every column but the id as a feature, categorical ones
# natively (TotalCharges blank for the 11 customers of tenure 0: NULL).
#
# Test AUCs of a depth-4 and a depth-6 decision tree (min_leaf 20), of
# boosted trees (100 trees of depth 3, learning rate 0.1) and of the logistic
# regression of t/710, side by side.  Checked:
#  - boosted trees do not do worse than the logistic regression;
#  - every AUC is crm.auc of crm.predict, and equals scikit-learn's
#    roc_auc_score of the same predictions;
#  - scikit-learn's HistGradientBoostingClassifier with the same settings
#    (categorical features native, no early stopping) on the same split
#    reaches a test AUC within 0.01 of ours;
#  - the depth-4 tree's rules cover every training customer once, and its
#    first split is on the contract (the churn driver the data is known for).
set -euo pipefail
data=${CRM_ROOT:-.}/../shared/datasets/telco_churn/Telco-Customer-Churn.csv
if [ ! -f "$data" ]; then
	echo "../shared/datasets/telco_churn is absent"
	exit 77
fi
py=/usr/bin/python3
export OMP_NUM_THREADS=1	# the suite runs scripts in parallel: one thread each
if ! $py -c 'import sklearn, pandas' 2>/dev/null; then
	echo "python3-sklearn or python3-pandas is not installed"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
d=$TEST_TMPDIR

. "$CRM_ROOT/test/lib/datasets.sh"
crm_load_telco "$data" || exit 1
features=$TELCO_FEATURES
q <<SQL
CREATE TABLE models AS
SELECT 'logistic regression' AS name, crm.logistic_regression('SELECT churn, $features FROM telco WHERE NOT is_test') AS m
UNION ALL SELECT 'decision tree, depth 4', crm.decision_tree('SELECT churn, $features FROM telco WHERE NOT is_test', 4, 20)
UNION ALL SELECT 'decision tree, depth 6', crm.decision_tree('SELECT churn, $features FROM telco WHERE NOT is_test', 6, 20)
UNION ALL SELECT 'boosted trees, 100 x depth 3', crm.boosted_trees('SELECT churn, $features FROM telco WHERE NOT is_test', 100, 0.1, 3, 20);
-- one model at a time: crm.predict keeps the last decoded model
CREATE TABLE aucs AS
SELECT name, (SELECT crm.auc(crm.predict(m, t), t.churn = 'Yes') FROM telco t WHERE t.is_test) AS auc
FROM models;
\\copy (SELECT name, auc FROM aucs ORDER BY name) TO '$d/aucs.csv' CSV
\\copy (SELECT t.customer_id AS id, t.is_test, t.churn = 'Yes' AS positive, $features FROM telco t ORDER BY 1) TO '$d/rows.csv' CSV HEADER
\\copy (SELECT name, p.* FROM models, LATERAL (SELECT t.customer_id, crm.predict(m, t) FROM telco t WHERE t.is_test) p ORDER BY 1, 2) TO '$d/preds.csv' CSV
SQL
echo "test AUC (train $(q -At -c "SELECT count(*) FROM telco WHERE NOT is_test"), test $(q -At -c "SELECT count(*) FROM telco WHERE is_test") customers):"
q -At -F ' ' -c "SELECT to_char(auc, '0.0000'), name FROM aucs ORDER BY auc DESC"
echo "the depth-4 tree:"
q -At -F ' | ' -c "SELECT r.rule, r.rows, round(r.prediction::numeric, 3) FROM models, crm.tree_rules(m) r WHERE name = 'decision tree, depth 4' ORDER BY r.prediction DESC LIMIT 4"
fail=0
res=$(q -At -F ' ' -c "SELECT (SELECT auc FROM aucs WHERE name LIKE 'boosted%') >= (SELECT auc FROM aucs WHERE name LIKE 'logistic%'),
	(SELECT sum(r.rows) FROM models, crm.tree_rules(m) r WHERE name = 'decision tree, depth 4') = (SELECT count(*) FROM telco WHERE NOT is_test),
	(SELECT crm.model_json(m)->'nodes'->0->>'feature' FROM models WHERE name = 'decision tree, depth 4'),
	(SELECT bool_and(auc > 0.8) FROM aucs)")
echo "boosted >= logistic, rules cover the training rows, first split, every AUC > 0.8: $res"
[ "$res" = "t t contract t" ] || { echo "FAIL"; fail=1; }

$py "$CRM_ROOT/test/lib/tree_real_data.py" "$d" senior_citizen,tenure,monthly_charges,total_charges_num || fail=1
exit $fail
