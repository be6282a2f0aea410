#!/usr/bin/env bash
# Agreement with statsmodels and scikit-learn (Debian's python3-statsmodels and
# python3-sklearn), computed in this test on the same data and design:
#  - crm.logistic_regression = statsmodels Logit (coefficients, standard
#    errors, p-values, log-likelihood) within 1e-6 relative;
#  - crm.linear_regression = statsmodels OLS (the same, plus R^2);
#  - class_weight => 'balanced' = statsmodels GLM(Binomial, freq_weights) with
#    scikit-learn's balanced weights;
#  - l2 = scikit-learn LogisticRegression(C = 1 / l2) and Ridge(alpha = l2);
#  - crm.predict = the statsmodels prediction for every row;
#  - crm.auc, crm.classification_metrics, crm.regression_metrics and
#    crm.roc_curve = roc_auc_score, accuracy/precision/recall/f1/log_loss/
#    brier_score_loss, mean_squared_error/mean_absolute_error/r2_score and
#    roc_curve (both drop_intermediate settings);
#  - crm.hash_split = an independent Python implementation of its formula.
set -euo pipefail
py=/usr/bin/python3
if ! $py -c 'import statsmodels, sklearn' 2>/dev/null; then
	echo "python3-statsmodels or python3-sklearn is not installed"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
d=$TEST_TMPDIR

# the data: numeric features of different scales, a category, a boolean
$py - "$d" <<'PY'
import sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(20240611)
n = 6000
x1 = rng.normal(0, 1, n)
x2 = rng.uniform(0, 10, n)
x3 = rng.poisson(3, n)
x4 = rng.normal(5000, 70, n)
cat = rng.choice(["north", "east", "south", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
flag = rng.random(n) < 0.35
eff = {"north": 0.0, "east": 0.4, "south": -0.3, "west": 0.9}
eta = -0.7 + 0.8 * x1 - 0.15 * x2 + 0.2 * x3 + 0.004 * (x4 - 5000) + np.array([eff[c] for c in cat]) + 0.5 * flag
y = rng.random(n) < 1 / (1 + np.exp(-eta))
z = 3 + 2 * x1 - x2 + 0.5 * x3 + 0.01 * (x4 - 5000) + np.array([eff[c] for c in cat]) * 3 + 1.5 * flag + rng.normal(0, 2, n)
with open(d + "/data.csv", "w") as f:
    for i in range(n):
        f.write(f"{i + 1},{int(y[i])},{float(z[i])!r},{float(x1[i])!r},{float(x2[i])!r},{x3[i]},{float(x4[i])!r},{cat[i]},{str(bool(flag[i])).lower()}\n")
PY
q <<SQL
CREATE TABLE obs (id int, y boolean, z float8, x1 float8, x2 float8, x3 int, x4 float8, region text, flag boolean);
\\copy obs FROM '$d/data.csv' CSV
CREATE TABLE fits AS
SELECT crm.logistic_regression('SELECT y, x1, x2, x3, x4, region, flag FROM obs') AS logit,
	   crm.linear_regression('SELECT z, x1, x2, x3, x4, region, flag FROM obs') AS ols,
	   crm.logistic_regression('SELECT y, x1, x2, x3, x4, region, flag FROM obs', class_weight => 'balanced') AS balanced,
	   crm.logistic_regression('SELECT y, x1, x2, x3, x4, region, flag FROM obs', l2 => 5) AS ridge_logit,
	   crm.linear_regression('SELECT z, x1, x2, x3, x4, region, flag FROM obs', l2 => 50) AS ridge_ols;
\\copy (SELECT 'logit', c.* FROM fits, crm.model_coefficients(logit) c UNION ALL SELECT 'ols', c.* FROM fits, crm.model_coefficients(ols) c UNION ALL SELECT 'balanced', c.* FROM fits, crm.model_coefficients(balanced) c UNION ALL SELECT 'ridge_logit', c.* FROM fits, crm.model_coefficients(ridge_logit) c UNION ALL SELECT 'ridge_ols', c.* FROM fits, crm.model_coefficients(ridge_ols) c) TO '$d/coef.csv' CSV
\\copy (SELECT k, (crm.model_json(m)->'training'->>'log_likelihood')::float8, (crm.model_json(m)->'training'->>'r_squared')::float8 FROM fits, LATERAL (VALUES ('logit', logit), ('ols', ols), ('balanced', balanced)) v(k, m)) TO '$d/ll.csv' CSV
CREATE TABLE scored AS
SELECT o.id, o.y, o.z, crm.predict(f.logit, o) AS p, crm.predict(f.ols, o) AS zhat, round(crm.predict(f.logit, o)::numeric, 2)::float8 AS p2
FROM obs o, fits f;
\\copy (SELECT id, p, zhat FROM scored ORDER BY id) TO '$d/pred.csv' CSV
\\copy (SELECT crm.auc(p, y), crm.auc(p2, y), (crm.classification_metrics(p, y, 0.4)).*, (crm.regression_metrics(zhat, z)).* FROM scored) TO '$d/eval.csv' CSV
\\copy (SELECT * FROM crm.roc_curve('SELECT p2, y FROM scored')) TO '$d/roc_all.csv' CSV
\\copy (SELECT * FROM crm.roc_curve('SELECT p2, y FROM scored', true)) TO '$d/roc_drop.csv' CSV
SQL
# keys for the split: numbers, words, non-ASCII text
$py -c '
import sys
keys = [str(i) for i in range(1, 5001)] + ["cust-%05d" % i for i in range(2000)] + ["Zoë", "Ærøskøbing", "東京", "", " "]
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(k.replace("\\", "\\\\") for k in keys) + "\n")
' "$d/keys.txt"
q -c "CREATE TABLE keys (k text)" -c "\\copy keys FROM '$d/keys.txt'" \
  -c "\\copy (SELECT k, crm.hash_split(k, 0.3), crm.hash_split(k, 0.77) FROM keys) TO '$d/split.csv' CSV"

$py - "$d" <<'PY'
import sys, csv, warnings
import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn import metrics
warnings.simplefilter("ignore")
d = sys.argv[1]
fail = []
def check(name, ours, theirs, rel=1e-6, absol=1e-9):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    err = np.abs(ours - theirs)
    tol = np.maximum(rel * np.abs(theirs), absol)
    worst = float(np.max(err / tol)) if err.size else 0.0
    status = "ok" if worst <= 1 else "FAIL"
    print(f"{status:4} {name}: largest error {float(np.max(err)):.2e} ({worst:.3f} of the tolerance)")
    if worst > 1:
        fail.append(name)

df = pd.read_csv(d + "/data.csv", header=None, names=["id", "y", "z", "x1", "x2", "x3", "x4", "region", "flag"])
# treatment coding: levels in sort order, the first is the reference
X = df[["x1", "x2", "x3", "x4"]].astype(float).copy()
for lv in sorted(df.region.unique())[1:]:
    X["region=" + lv] = (df.region == lv).astype(float)
X["flag=true"] = (df.flag == True).astype(float)
X = sm.add_constant(X)
names = list(X.columns)

coef = {}
for row in csv.reader(open(d + "/coef.csv")):
    model, feature, level = row[0], row[1], row[2]
    key = "const" if feature == "(Intercept)" else (feature if level == "" else f"{feature}={level}")
    coef.setdefault(model, {})[key] = [float(v) if v != "" else np.nan for v in row[3:]]
ll = {r[0]: (float(r[1]), float(r[2]) if r[2] else None) for r in csv.reader(open(d + "/ll.csv"))}
def ours(model, col):
    return [coef[model][n][col] for n in names]

# Logit
lr = sm.Logit(df.y, X).fit(disp=0, tol=1e-12, maxiter=100)
check("logit coefficients vs statsmodels Logit", ours("logit", 0), lr.params.values)
check("logit standard errors", ours("logit", 1), lr.bse.values)
check("logit z", ours("logit", 2), lr.tvalues.values)
check("logit p-values", ours("logit", 3), lr.pvalues.values, rel=1e-6, absol=1e-14)
check("logit odds ratios", ours("logit", 4), np.exp(lr.params.values))
check("logit log-likelihood", [ll["logit"][0]], [lr.llf], rel=1e-10)
print(f"     logit log-likelihood: ours {ll['logit'][0]:.10f}  statsmodels {lr.llf:.10f}")

# OLS
ols = sm.OLS(df.z, X).fit()
check("ols coefficients vs statsmodels OLS", ours("ols", 0), ols.params.values)
check("ols standard errors", ours("ols", 1), ols.bse.values)
check("ols t", ours("ols", 2), ols.tvalues.values)
check("ols p-values", ours("ols", 3), ols.pvalues.values, rel=1e-6, absol=1e-14)
check("ols log-likelihood", [ll["ols"][0]], [ols.llf], rel=1e-10)
check("ols R^2", [ll["ols"][1]], [ols.rsquared], rel=1e-10)

# balanced class weights = frequency weights n / (2 n_class)
n1 = df.y.sum(); n0 = len(df) - n1
w = np.where(df.y == 1, len(df) / (2 * n1), len(df) / (2 * n0))
glm = sm.GLM(df.y, X, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-13)
check("balanced coefficients vs GLM(freq_weights)", ours("balanced", 0), glm.params.values)
check("balanced standard errors", ours("balanced", 1), glm.bse.values)
check("balanced log-likelihood", [ll["balanced"][0]], [glm.llf], rel=1e-10)
sk = LogisticRegression(penalty=None, class_weight="balanced", solver="newton-cg", tol=1e-12, max_iter=10000).fit(X.drop(columns="const"), df.y)
check("balanced coefficients vs scikit-learn class_weight='balanced'", ours("balanced", 0), np.r_[sk.intercept_, sk.coef_[0]], rel=1e-5, absol=1e-7)

# L2 penalties
sk = LogisticRegression(C=1 / 5, solver="newton-cg", tol=1e-12, max_iter=10000).fit(X.drop(columns="const"), df.y)
check("l2 logistic vs scikit-learn LogisticRegression(C = 1/l2)", ours("ridge_logit", 0), np.r_[sk.intercept_, sk.coef_[0]], rel=1e-5, absol=1e-7)
rg = Ridge(alpha=50).fit(X.drop(columns="const"), df.z)
check("l2 linear vs scikit-learn Ridge(alpha = l2)", ours("ridge_ols", 0), np.r_[rg.intercept_, rg.coef_], rel=1e-8)

# predictions
pred = pd.read_csv(d + "/pred.csv", header=None, names=["id", "p", "zhat"]).sort_values("id")
check("crm.predict (logistic) vs statsmodels predict", pred.p.values, lr.predict(X), rel=1e-9, absol=1e-12)
check("crm.predict (linear) vs statsmodels predict", pred.zhat.values, ols.predict(X), rel=1e-9, absol=1e-9)

# evaluation, on our own predictions
p = pred.p.values; y = df.y.values; p2 = np.round(p, 2)
ev = [float(v) if v != "" else np.nan for v in next(csv.reader(open(d + "/eval.csv")))]
auc, auc2, n, pos, tp, fp, tn, fn, acc, prec, rec, f1, logloss, brier, rn, rmse, mae, r2 = ev
check("crm.auc vs roc_auc_score", [auc], [metrics.roc_auc_score(y, p)], rel=1e-12)
check("crm.auc with ties vs roc_auc_score", [auc2], [metrics.roc_auc_score(y, p2)], rel=1e-12)
print(f"     AUC: ours {auc:.12f}  scikit-learn {metrics.roc_auc_score(y, p):.12f}; rounded scores {auc2:.12f} / {metrics.roc_auc_score(y, p2):.12f}")
yhat = p >= 0.4
tn_, fp_, fn_, tp_ = metrics.confusion_matrix(y, yhat).ravel()
check("confusion counts", [tp, fp, tn, fn, n, pos], [tp_, fp_, tn_, fn_, len(y), y.sum()], rel=0, absol=0.5)
check("accuracy, precision, recall, f1", [acc, prec, rec, f1],
      [metrics.accuracy_score(y, yhat), metrics.precision_score(y, yhat), metrics.recall_score(y, yhat), metrics.f1_score(y, yhat)], rel=1e-12)
check("log loss, Brier", [logloss, brier], [metrics.log_loss(y, p), metrics.brier_score_loss(y, p)], rel=1e-12)
zh = pred.zhat.values; z = df.z.values
check("rmse, mae, r2", [rmse, mae, r2],
      [np.sqrt(metrics.mean_squared_error(z, zh)), metrics.mean_absolute_error(z, zh), metrics.r2_score(z, zh)], rel=1e-11)
for f, drop in (("roc_all", False), ("roc_drop", True)):
    ours_roc = np.array([[float(v) for v in r] for r in csv.reader(open(d + f"/{f}.csv"))])
    fpr, tpr, thr = metrics.roc_curve(y, p2, drop_intermediate=drop)
    # scikit-learn 1.2 writes max + 1 for the first threshold; ours is Infinity
    if ours_roc.shape[0] != len(fpr):
        print(f"FAIL roc_curve(drop_intermediate={drop}): {ours_roc.shape[0]} points, scikit-learn {len(fpr)}")
        fail.append("roc_curve")
        continue
    check(f"roc_curve(drop_intermediate={drop}): {len(fpr)} points",
          np.r_[ours_roc[1:, 0], ours_roc[:, 1], ours_roc[:, 2]], np.r_[thr[1:], tpr, fpr], rel=1e-12, absol=1e-15)

# hash_split: FNV-1a 64 over the UTF-8 bytes, SplitMix64 finaliser, top 53 bits
M = (1 << 64) - 1
def u(key):
    h = 0xcbf29ce484222325
    for b in key.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & M
    h = ((h ^ (h >> 30)) * 0xbf58476d1ce4e5b9) & M
    h = ((h ^ (h >> 27)) * 0x94d049bb133111eb) & M
    h ^= h >> 31
    return (h >> 11) / 2.0 ** 53
rows = list(csv.reader(open(d + "/split.csv", encoding="utf-8")))
bad = [r for r in rows if (r[1] == "t") != (u(r[0]) < 0.3) or (r[2] == "t") != (u(r[0]) < 0.77)]
print(f"{'ok' if not bad else 'FAIL':4} hash_split: {len(rows)} keys, {len(rows) - len(bad)} as the independent formula, "
      f"{sum(r[1] == 't' for r in rows)} in the 30% test set")
if bad:
    fail.append("hash_split")
if fail:
    sys.exit("FAIL: " + ", ".join(fail))
PY
