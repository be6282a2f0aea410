#!/usr/bin/env bash
# k-means on the real Mall Customers data (annual income, spending score;
# 200 rows), k = 5: the published reference result is inertia 44448.4554
# with centroids (55.30,49.52) (86.54,82.13) (25.73,79.36) (88.2,17.11)
# (26.30,20.91) and cluster sizes 81/39/22/35/23 (see
# ../shared/datasets/mall_customers/SOURCE.md).  Skipped when the data set
# is absent.
set -euo pipefail
csv="$CRM_ROOT/../shared/datasets/mall_customers/Mall_Customers.csv"
if [ ! -r "$csv" ]; then
	echo "Mall Customers data set not present"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

q -c "CREATE TABLE mall (id int, gender text, age int, income float8, score float8)"
q -c "\\copy mall FROM '$csv' WITH (FORMAT csv, HEADER)"
[ "$(q -c "SELECT count(*) FROM mall")" = 200 ] || { echo "expected 200 rows"; exit 1; }

q -c "CREATE TABLE model AS SELECT crm.kmeans(ARRAY[income, score], 5) AS c FROM mall"
inertia=$(q -c "SELECT round(crm.kmeans_inertia(ARRAY[income, score], c)::numeric, 4) FROM mall, model")
echo "k=5 inertia: $inertia (published 44448.4554)"
[ "$inertia" = "44448.4554" ] || { echo "FAIL: inertia differs"; exit 1; }

echo "centroids and sizes:"
q -c "SELECT cl.cluster, round(cl.centroid[1]::numeric, 2), round(cl.centroid[2]::numeric, 2),
			 (SELECT count(*) FROM mall WHERE crm.closest_centroid(ARRAY[income, score], c) = cl.cluster)
	  FROM model, crm.kmeans_centroids(c) cl ORDER BY 1"
# every published centroid (8 digits as printed) has a match within 1e-6, and the sizes match
bad=$(q -c "
	WITH ref(x, y, n) AS (VALUES (55.2962963, 49.51851852, 81), (86.53846154, 82.12820513, 39),
								 (25.72727273, 79.36363636, 22), (88.2, 17.11428571, 35),
								 (26.30434783, 20.91304348, 23))
	SELECT count(*) FROM ref
	WHERE NOT EXISTS (
		SELECT 1 FROM model, crm.kmeans_centroids(c) cl
		WHERE abs(cl.centroid[1] - ref.x) < 1e-6 AND abs(cl.centroid[2] - ref.y) < 1e-6
		  AND (SELECT count(*) FROM mall WHERE crm.closest_centroid(ARRAY[income, score], c) = cl.cluster) = ref.n)")
[ "$bad" = 0 ] || { echo "FAIL: $bad published centroids not reproduced"; exit 1; }
echo "all 5 published centroids and cluster sizes reproduced"

# the elbow: inertia for k = 3..6 (independent numpy check in SOURCE.md:
# k=3 106348.373062, k=4 73679.789039, k=5 44448.455448)
q -c "SELECT k, round(inertia::numeric, 6), round(simplified_silhouette::numeric, 4)
	  FROM crm.kmeans_evaluate('SELECT ARRAY[income, score] FROM mall', 3, 6) ORDER BY k" | tee "$TEST_TMPDIR/eval"
grep -qx '3|106348.373062|.*' "$TEST_TMPDIR/eval" || { echo "FAIL: k=3"; exit 1; }
grep -qx '4|73679.789039|.*' "$TEST_TMPDIR/eval" || { echo "FAIL: k=4"; exit 1; }
grep -qx '5|44448.455448|.*' "$TEST_TMPDIR/eval" || { echo "FAIL: k=5"; exit 1; }
echo "ok"
