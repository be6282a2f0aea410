#!/usr/bin/env bash
# k-means recovers the data generator's planted customer groups from the
# profile attributes (age, income, spending score), z-scored with
# crm.scaler_fit: adjusted Rand index >= 0.95, computed in SQL from the
# contingency table of planted group x assigned cluster.
set -euo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
bash "$CRM_ROOT/test/datagen/generate.sh" --schema gen --customers 20000 --seed 42 >/dev/null
ari=$(q -At <<'SQL'
CREATE TEMP TABLE f AS
SELECT t.true_group, ARRAY[c.age, c.annual_income_k, c.spending_score]::float8[] AS x
FROM gen.customers c JOIN gen.customer_truth t USING (customer_id);
CREATE TEMP TABLE sc AS SELECT crm.scaler_fit(x) AS m FROM f;
CREATE TEMP TABLE km AS SELECT crm.kmeans(crm.scaler_apply(x, m), 4, 42) AS c FROM f, sc;
CREATE TEMP TABLE lab AS SELECT true_group, crm.closest_centroid(crm.scaler_apply(x, m), c) AS k FROM f, sc, km;
WITH ct AS (SELECT true_group, k, count(*) AS n FROM lab GROUP BY 1, 2),
     a AS (SELECT sum(n * (n - 1) / 2.0) AS s FROM ct),
     r AS (SELECT sum(m * (m - 1) / 2.0) AS s FROM (SELECT sum(n) AS m FROM ct GROUP BY true_group) x),
     c AS (SELECT sum(m * (m - 1) / 2.0) AS s FROM (SELECT sum(n) AS m FROM ct GROUP BY k) x),
     t AS (SELECT count(*) * (count(*) - 1) / 2.0 AS s FROM lab)
SELECT round((a.s - r.s * c.s / t.s) / ((r.s + c.s) / 2 - r.s * c.s / t.s), 4) FROM a, r, c, t;
SQL
)
echo "adjusted Rand index of k-means (k=4) against the planted groups: $ari (need >= 0.95)"
awk -v a="$ari" 'BEGIN {exit !(a >= 0.95)}'
