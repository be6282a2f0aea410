#!/usr/bin/env bash
# Agreement with scikit-learn (Debian python3-sklearn): the same data and k,
# KMeans(n_init=10, algorithm='lloyd'); the inertia must agree within 0.1%
# for well-separated clusters.  Run to full convergence (tolerance 0 on both
# sides) the centroids must be the same to 1e-6 and the assignments equal.
set -euo pipefail
py=/usr/bin/python3
if ! $py -c 'import sklearn' 2>/dev/null; then
	echo "python3-sklearn is not installed"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# 8 blobs in 4-D with sd 1..2.5 around centres on a grid 12 apart (20000 points)
q -c "CREATE TABLE pts AS
	  SELECT i, array_agg(((i % 8) >> (j - 1) & 1) * 12.0 + (j = 4)::int * (i % 8) * 3
						 + (1 + (i % 4) * 0.5) * sqrt(-2 * ln((h1 - floor(h1)) * 0.999 + 0.0005)) * cos(2 * pi() * (h2 - floor(h2)))
						 ORDER BY j)::float8[] AS f
	  FROM (SELECT i, j, abs(sin(i * 12.9898 + j * 78.233) * 43758.5453) AS h1,
				   abs(sin(i * 39.3468 + j * 11.135) * 24634.6345) AS h2
			FROM generate_series(1, 20000) i, generate_series(1, 4) j) u
	  GROUP BY i"
q -c "\\copy (SELECT array_to_string(f, ',') FROM pts ORDER BY i) TO '$TEST_TMPDIR/pts.csv'"
q -c "CREATE TABLE model AS SELECT crm.kmeans(f, 8, 0, 10) AS c FROM pts"
ours=$(q -c "SELECT crm.kmeans_inertia(f, c) FROM pts, model")
q -c "SET crm_analytics.kmeans_tolerance = 0" \
  -c "SELECT array_to_string(centroid, ',') FROM crm.kmeans_centroids((SELECT crm.kmeans(f, 8, 0, 10) FROM pts)) ORDER BY cluster" >"$TEST_TMPDIR/ours.csv"

$py - "$TEST_TMPDIR" "$ours" <<'PY'
import sys
import numpy as np
from sklearn.cluster import KMeans
d, ours = sys.argv[1], float(sys.argv[2])
X = np.loadtxt(d + "/pts.csv", delimiter=",")
km = KMeans(n_clusters=8, n_init=10, algorithm="lloyd", random_state=0).fit(X)
rel = abs(ours - km.inertia_) / km.inertia_
print(f"inertia: ours {ours:.6f}  scikit-learn {km.inertia_:.6f}  relative difference {rel:.2e}")
if rel > 1e-3:
    sys.exit("FAIL: inertia differs by more than 0.1%")
C = np.loadtxt(d + "/ours.csv", delimiter=",")
km = KMeans(n_clusters=8, n_init=10, algorithm="lloyd", random_state=0, tol=0).fit(X)
S = km.cluster_centers_
print(f"with tol = 0: scikit-learn inertia {km.inertia_:.6f} after {km.n_iter_} iterations")
worst = max(np.min(np.linalg.norm(S - c, axis=1)) for c in C)
print(f"largest distance from one of our centroids to the nearest scikit-learn centroid: {worst:.2e}")
if worst > 1e-6:
    sys.exit("FAIL: centroids differ")
# our assignment equals scikit-learn's predict, up to the numbering
ours_lab = np.argmin(((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2), axis=1)
theirs = km.predict(X)
pairs = set(zip(ours_lab.tolist(), theirs.tolist()))
print(f"label pairs (ours, theirs): {len(pairs)} distinct")
if len(pairs) != 8:
    sys.exit("FAIL: assignments differ")
PY
echo "ok"
