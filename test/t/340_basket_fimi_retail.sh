#!/usr/bin/env bash
# FIMI retail.dat (88,162 Belgian supermarket baskets) at min_support 0.001:
# every frequent single item and pair must have the count of a direct SQL
# count, and 100 sampled longer itemsets the count of a direct count.  (No
# published itemset counts exist for this file; this is the independent
# check on real sparse data, where the first level is mined from the
# transactions rather than from the FP-tree.)
set -uo pipefail
F=$CRM_ROOT/../shared/datasets/fimi/retail.dat
if [ ! -f "$F" ]; then
	echo "skip: $F not present"
	exit 77
fi
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail=0
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected $2, got $3"; fail=1; fi
}
q <<SQL
CREATE TABLE retail_lines (basket int GENERATED ALWAYS AS IDENTITY, line text);
\copy retail_lines(line) FROM '$F'
CREATE TABLE retail AS SELECT basket, unnest(string_to_array(btrim(line), ' '))::int AS item FROM retail_lines;
CREATE TABLE retail_sets AS SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM retail', 0.001);
CREATE INDEX ON retail (item);
ANALYZE retail;
SQL
check "baskets, rows" "88162|908576" "$(q -c "SELECT count(DISTINCT basket), count(*) FROM retail")"
echo "     $(q -c "SELECT string_agg(l || ':' || n, ' ' ORDER BY l) FROM (SELECT cardinality(items) AS l, count(*) AS n FROM retail_sets GROUP BY 1) x") (itemsets by length)"
check "minimum count ceil(0.001 * 88162) = 89" 89 "$(q -c "SELECT min(count) FROM retail_sets")"
check "single items and pairs differing from a direct SQL count" 0 "$(q <<'SQL'
WITH d AS (SELECT DISTINCT basket, item, item::text COLLATE "C" AS t FROM retail),
s1 AS (SELECT item, min(t) AS t, count(*) AS c FROM d GROUP BY item HAVING count(*) >= 89),
f AS (SELECT d.* FROM d JOIN s1 USING (item)),
s2 AS (SELECT a.item AS i1, b.item AS i2, min(a.t) AS t1, min(b.t) AS t2, count(*) AS c
	   FROM f a JOIN f b ON a.basket = b.basket AND a.t < b.t GROUP BY a.item, b.item HAVING count(*) >= 89),
ref AS (SELECT ARRAY[t]::text[] AS items, c FROM s1 UNION ALL SELECT ARRAY[t1, t2]::text[], c FROM s2)
SELECT count(*) FROM ref FULL JOIN (SELECT * FROM retail_sets WHERE cardinality(items) <= 2) o USING (items)
WHERE o.count IS DISTINCT FROM ref.c OR o.support IS DISTINCT FROM ref.c::float8 / 88162
SQL
)"
check "100 sampled itemsets of 3+ items differing from a direct count" 0 \
	"$(q -c "SELECT count(*) FROM (SELECT * FROM retail_sets WHERE cardinality(items) >= 3 ORDER BY md5(items::text) LIMIT 100) o
		WHERE o.count <> (SELECT count(*) FROM (SELECT basket FROM retail WHERE item = ANY (o.items::int[]) GROUP BY basket
						  HAVING count(DISTINCT item) = cardinality(o.items)) s)")"
exit $fail
