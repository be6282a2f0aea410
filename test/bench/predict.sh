#!/usr/bin/env bash
# Prediction benchmark (scale 1):
#  - crm.logistic_regression on 1M rows x 20 numeric features + 3 categorical
#    ones (4, 6 and 10 levels: 37 coefficients), our table scan included,
#    against scikit-learn's LogisticRegression(penalty=None) (its default
#    lbfgs solver, 100 iterations; and again with max_iter=1000 so that it
#    converges) fitting the same design exported with \copy (the fit only);
#    target: within 1.5x of the default fit;
#  - crm.predict over the 1M rows (the model passed as a scalar subquery)
#    against a plain scan computing the same formula in SQL (target 1.3x);
#    and with the model joined (FROM data, models), where the plan re-reads
#    the model's row for every row;
#  - crm.auc over 10M rows (all scores distinct, and scores with ties)
#    against ORDER BY on the same column (target 2x), and against an exact
#    AUC in plain SQL (average ranks by a window function).
# Needs Debian's python3-sklearn (/usr/bin/python3).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
$py -c 'import sklearn, pandas' 2>/dev/null || { echo "predict benchmark needs python3-sklearn and python3-pandas"; exit 1; }
n=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 1000000 * s}')
nauc=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 10000000 * s}')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/predict_bench.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

num=$(for k in $(seq 1 20); do printf ', x%d' "$k"; done)
num=${num#, }
gen=$(for k in $(seq 1 20); do printf ', ((abs(hashint8(i * %d + %d)) %% 20001) / 10000.0 - 1 + (i %% %d) * 0.01)::float8 AS x%d' $((k + 1)) $((k * 7919)) $((k + 2)) "$k"; done)
echo "data: $n rows x 20 numeric + 3 categorical features; $nauc scores for AUC"
bench_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS pb_rows, pb_data, pb_model, pb_scores;
CREATE TABLE pb_rows AS
SELECT i$gen,
	   (ARRAY['a', 'b', 'c', 'd'])[1 + abs(hashint8(i * 3)) % 4] AS c1,
	   'r' || abs(hashint8(i * 5)) % 6 AS c2,
	   'k' || abs(hashint8(i * 11)) % 10 AS c3,
	   (abs(hashint8(i * 13)) % 1000000) / 1000000.0 AS u
FROM generate_series(1, $n) i;
CREATE TABLE pb_data AS
SELECT ((1 / (1 + exp(-(-0.5 + 0.8 * x1 - 0.6 * x2 + 0.4 * x3 - 0.3 * x4 + 0.2 * x5 + 0.1 * (x6 + x7 - x8)
						   + CASE c1 WHEN 'b' THEN 0.3 WHEN 'c' THEN -0.2 WHEN 'd' THEN 0.5 ELSE 0 END
						   + CASE c2 WHEN 'r1' THEN 0.4 WHEN 'r3' THEN -0.4 ELSE 0 END
						   + CASE WHEN c3 IN ('k1', 'k2', 'k3') THEN 0.25 ELSE 0 END)))) > u)::boolean AS y,
	   $num, c1, c2, c3
FROM pb_rows;
DROP TABLE pb_rows;
VACUUM ANALYZE pb_data;
SQL
bench_psql -c "\\copy pb_data TO '$tmp/data.csv' CSV"

train="SELECT crm.logistic_regression('SELECT y, $num, c1, c2, c3 FROM pb_data')"
ours=$(bench_ms "$train")
bench_psql -c "CREATE TABLE pb_model AS $train AS m" 2>/dev/null
bench_psql -At -c "SELECT coalesce(level, ''), feature, coefficient FROM pb_model, crm.model_coefficients(m)" >"$tmp/ours.txt"
iters=$(bench_psql -At -c "SELECT crm.model_json(m)->'training'->>'iterations' FROM pb_model")
read -r sk sk_iter sk_diff sk_conv sk_conv_iter sk_conv_diff < <($py - "$tmp" "$BENCH_RUNS" <<'PY'
import sys, time, warnings
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
warnings.simplefilter("ignore")
d, runs = sys.argv[1], int(sys.argv[2])
df = pd.read_csv(d + "/data.csv", header=None)
y = df[0].map({"t": 1, "f": 0}).values
X = df.iloc[:, 1:21].astype(float)
X.columns = [f"x{k}" for k in range(1, 21)]
for j, col in ((21, "c1"), (22, "c2"), (23, "c3")):
    for lv in sorted(df[j].unique())[1:]:
        X[f"{col}={lv}"] = (df[j] == lv).astype(float)
names = list(X.columns)
X = X.values
ours = {}
for line in open(d + "/ours.txt"):
    level, feature, b = line.rstrip("\n").split("|")
    ours[feature if not level else f"{feature}={level}"] = float(b)
ob = np.array([ours["(Intercept)"]] + [ours[n] for n in names])
def fit(**kw):
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        m = LogisticRegression(penalty=None, **kw).fit(X, y)
        ms = (time.perf_counter() - t) * 1000
        best = ms if best is None or ms < best else best
    diff = np.max(np.abs(np.r_[m.intercept_, m.coef_[0]] - ob))
    return best, int(m.n_iter_[0]), diff
a = fit()
b = fit(max_iter=1000)
print(f"{a[0]:.1f} {a[1]} {a[2]:.1e} {b[0]:.1f} {b[1]} {b[2]:.1e}")
PY
)
bench_line "logistic_regression 1M x (20 num + 3 cat)" "$ours" "$sk" "vs scikit-learn default lbfgs, $sk_iter iterations (target <= 1.5x); ours $iters Newton steps; largest coefficient difference $sk_diff"
bench_line "logistic_regression 1M x (20 num + 3 cat)" "$ours" "$sk_conv" "vs scikit-learn lbfgs max_iter=1000 ($sk_conv_iter iterations); largest coefficient difference $sk_conv_diff"

formula=$(bench_psql -At -c "SELECT string_agg(CASE WHEN feature = '(Intercept)' THEN coefficient::text
	WHEN level IS NULL THEN format('%s * %s', coefficient, feature)
	ELSE format('CASE WHEN %s = %L THEN %s ELSE 0 END', feature, level, coefficient) END, ' + ')
	FROM pb_model, crm.model_coefficients(m)")
base=$(bench_ms "SELECT sum(1 / (1 + exp(-($formula)))) FROM pb_data")
ours=$(bench_ms "SELECT sum(crm.predict((SELECT m FROM pb_model), d)) FROM pb_data d")
check=$(bench_psql -At -c "SELECT max(abs(crm.predict(m, d) - 1 / (1 + exp(-($formula))))) FROM pb_data d, pb_model")
bench_line "crm.predict over 1M rows" "$ours" "$base" "model as (SELECT m FROM pb_model), vs plain scan with the formula in SQL (target <= 1.3x); largest difference $check"
ours=$(bench_ms "SELECT sum(crm.predict(m, d)) FROM pb_data d, pb_model")
bench_line "crm.predict over 1M rows, model joined" "$ours" "$base" "FROM pb_data d, pb_model: the plan re-reads the model row for every row (nested loop)"

bench_psql <<SQL
SET client_min_messages = warning;
CREATE TABLE pb_scores AS
SELECT ((abs(hashint8(i)) % 1000000007) / 1000000007.0)::float8 AS score,
	   round(((abs(hashint8(i)) % 1000000007) / 1000000007.0)::numeric, 3)::float8 AS tied,
	   abs(hashint8(i * 3)) % 1000 < 300 + (abs(hashint8(i)) % 1000000007) / 1000000007.0 * 300 AS label
FROM generate_series(1, $nauc) i;
VACUUM ANALYZE pb_scores;
SQL
sortq="SELECT count(*) FROM (SELECT score FROM pb_scores ORDER BY score OFFSET 0) x"
base=$(bench_ms "$sortq")
ours_auc=$(bench_ms "SELECT crm.auc(score, label) FROM pb_scores")
bench_line "crm.auc over 10M rows, distinct scores" "$ours_auc" "$base" "vs ORDER BY score (target <= 2x)"
ours=$(bench_ms "SELECT crm.auc(tied, label) FROM pb_scores")
base=$(bench_ms "SELECT count(*) FROM (SELECT tied FROM pb_scores ORDER BY tied OFFSET 0) x")
bench_line "crm.auc over 10M rows, 1001 distinct scores" "$ours" "$base" "vs ORDER BY score (target <= 2x)"
sqlauc="SELECT (sum(r) FILTER (WHERE label) - count(*) FILTER (WHERE label) * (count(*) FILTER (WHERE label) + 1) / 2.0)
	/ (count(*) FILTER (WHERE label) * count(*) FILTER (WHERE NOT label))
	FROM (SELECT label, (rank() OVER w + count(*) OVER w - 1 + rank() OVER w) / 2.0 AS r
		  FROM pb_scores WINDOW w AS (ORDER BY score RANGE BETWEEN CURRENT ROW AND CURRENT ROW)) x"
base=$(BENCH_RUNS=1 bench_ms "$sqlauc")
same=$(bench_psql -At -c "SELECT abs(($sqlauc) - (SELECT crm.auc(score, label) FROM pb_scores)) < 1e-12")
bench_line "crm.auc over 10M rows, distinct scores" "$ours_auc" "$base" "vs exact AUC in plain SQL (average ranks, one run); same value: $same"
bench_psql -c "DROP TABLE pb_data, pb_model, pb_scores"
