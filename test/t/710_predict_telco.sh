#!/usr/bin/env bash
# Churn on real data: IBM Telco Customer Churn (../shared/datasets/telco_churn,
# 7,043 customers).  Train: the customers with crm.hash_split(customerID, 0.3)
# false (70 %); test: the others.  Features: every column but the id, with
# TotalCharges (blank for the 11 customers of tenure 0) read as NULL and so
# imputed with the training mean.
#
# Checked against statsmodels (Debian's python3-statsmodels) and scikit-learn
# computed here on the same design:
#  - the aliased columns we report are exactly the columns that are linear
#    combinations of the earlier ones (QR, as R's glm finds them), the 7 that R's glm reports
#    as NA on this data (MultipleLines 'No phone service' and the six
#    'No internet service' levels);
#  - coefficients, standard errors and log-likelihood = statsmodels Logit on
#    the design without them (1e-6 relative);
#  - the test AUC of our predictions = roc_auc_score of statsmodels'
#    predictions on the test customers; and both above 0.8.
set -euo pipefail
data=${CRM_ROOT:-.}/../shared/datasets/telco_churn/Telco-Customer-Churn.csv
if [ ! -f "$data" ]; then
	echo "../shared/datasets/telco_churn is absent"
	exit 77
fi
py=/usr/bin/python3
if ! $py -c 'import statsmodels, sklearn' 2>/dev/null; then
	echo "python3-statsmodels or python3-sklearn is not installed"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
d=$TEST_TMPDIR

q <<SQL
CREATE TABLE telco_raw (customer_id text, gender text, senior_citizen int, partner text, dependents text,
	tenure int, phone_service text, multiple_lines text, internet_service text, online_security text,
	online_backup text, device_protection text, tech_support text, streaming_tv text, streaming_movies text,
	contract text, paperless_billing text, payment_method text, monthly_charges float8, total_charges text,
	churn text);
\\copy telco_raw FROM '$data' CSV HEADER
CREATE TABLE telco AS
SELECT *, nullif(btrim(total_charges), '')::float8 AS total_charges_num,
	   crm.hash_split(customer_id, 0.3) AS is_test
FROM telco_raw;
SQL
features="gender, senior_citizen, partner, dependents, tenure, phone_service, multiple_lines, internet_service"
features+=", online_security, online_backup, device_protection, tech_support, streaming_tv, streaming_movies"
features+=", contract, paperless_billing, payment_method, monthly_charges, total_charges_num"
q 2>"$d/notice.txt" <<SQL
CREATE TABLE model AS
SELECT crm.logistic_regression('SELECT churn, $features FROM telco WHERE NOT is_test') AS m;
SQL
cat "$d/notice.txt"
q <<SQL
\\copy (SELECT feature, coalesce(level, ''), coefficient, std_error FROM model, crm.model_coefficients(m)) TO '$d/coef.csv' CSV
\\copy (SELECT (crm.model_json(m)->'training'->>'log_likelihood'), (crm.model_json(m)->'training'->>'rows'), (SELECT crm.auc(crm.predict(m, t), t.churn = 'Yes') FROM telco t WHERE is_test), (SELECT count(*) FROM telco WHERE is_test) FROM model) TO '$d/summary.csv' CSV
\\copy (SELECT customer_id, is_test, churn, $features, crm.predict(m, t) FROM telco t, model ORDER BY customer_id) TO '$d/rows.csv' CSV
SQL

$py - "$d" <<'PY'
import sys, csv, warnings
import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.metrics import roc_auc_score
warnings.simplefilter("ignore")
d = sys.argv[1]
cols = ["customer_id", "is_test", "churn", "gender", "senior_citizen", "partner", "dependents", "tenure",
        "phone_service", "multiple_lines", "internet_service", "online_security", "online_backup",
        "device_protection", "tech_support", "streaming_tv", "streaming_movies", "contract",
        "paperless_billing", "payment_method", "monthly_charges", "total_charges_num", "ours"]
df = pd.read_csv(d + "/rows.csv", header=None, names=cols, keep_default_na=False, na_values=[""])
train = df[df.is_test == "f"].reset_index(drop=True)
test = df[df.is_test == "t"].reset_index(drop=True)
numeric = ["senior_citizen", "tenure", "monthly_charges", "total_charges_num"]
mean_tc = train.total_charges_num.mean()

def design(frame):
    X = pd.DataFrame({"(Intercept)": 1.0}, index=frame.index)
    for c in cols[3:-1]:
        if c in numeric:
            X[c] = frame[c].fillna(mean_tc if c == "total_charges_num" else np.nan).astype(float)
        else:
            for lv in sorted(train[c].unique())[1:]:
                X[f"{c}={lv}"] = (frame[c] == lv).astype(float)
    return X

Xtr, Xte = design(train), design(test)
ytr = (train.churn == "Yes").astype(int)
fail = []

# which columns are linear combinations of the earlier ones
# R's criterion (LINPACK dqrdc2 in lm/glm): a column whose residual after
# projection on the earlier columns has a norm below 1e-7 of its own norm
A = Xtr.values
R = np.linalg.qr(A, mode="r")
ratio = np.abs(np.diag(R)) / np.linalg.norm(A, axis=0)
kept = [j for j in range(A.shape[1]) if ratio[j] >= 1e-7]
aliased = [name for j, name in enumerate(Xtr.columns) if ratio[j] < 1e-7]
coef = {}
for r in csv.reader(open(d + "/coef.csv")):
    key = r[0] if r[1] == "" else f"{r[0]}={r[1]}"
    coef[key] = (float(r[2]) if r[2] else None, float(r[3]) if r[3] else None)
ours_aliased = sorted(k for k, v in coef.items() if v[0] is None)
print(f"aliased (QR as R's glm): {len(aliased)}: {', '.join(aliased)}")
if sorted(aliased) != ours_aliased or len(aliased) != 7:
    print(f"FAIL we report {ours_aliased}")
    fail.append("aliased columns")

Xk = Xtr.iloc[:, kept]
res = sm.Logit(ytr, Xk).fit(disp=0, tol=1e-12, maxiter=100)
ours_b = np.array([coef[n][0] for n in Xk.columns])
ours_se = np.array([coef[n][1] for n in Xk.columns])
llf, rows, auc, ntest = [float(v) for v in next(csv.reader(open(d + "/summary.csv")))]
rb = np.max(np.abs(ours_b - res.params.values) / np.maximum(np.abs(res.params.values), 1e-8))
rse = np.max(np.abs(ours_se - res.bse.values) / res.bse.values)
print(f"train rows {int(rows)}, test rows {int(ntest)}; {Xk.shape[1]} coefficients")
print(f"log-likelihood: ours {llf:.6f}  statsmodels {res.llf:.6f}")
print(f"largest relative difference: coefficients {rb:.2e}, standard errors {rse:.2e}")
if rb > 1e-6 or rse > 1e-6 or abs(llf - res.llf) > 1e-6 * abs(res.llf):
    fail.append("statsmodels agreement")
sm_auc = roc_auc_score(test.churn == "Yes", res.predict(Xte.iloc[:, kept]))
ours_pred_auc = roc_auc_score(test.churn == "Yes", test.ours)
print(f"test AUC: crm.auc of crm.predict {auc:.6f}; scikit-learn roc_auc_score of statsmodels' predictions {sm_auc:.6f}")
if abs(auc - sm_auc) > 1e-9 or abs(auc - ours_pred_auc) > 1e-12 or auc < 0.8:
    fail.append("test AUC")
if fail:
    sys.exit("FAIL: " + ", ".join(fail))
PY
