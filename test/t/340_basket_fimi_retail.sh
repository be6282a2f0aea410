#!/usr/bin/env bash
# FIMI retail.dat (88,162 Belgian supermarket baskets) at min_support 0.001:
# every frequent single item and pair must have the count of a direct SQL
# count, and 200 sampled longer itemsets the count of a direct count.  (No
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
WITH d AS (SELECT DISTINCT basket, item::text COLLATE "C" AS item FROM retail),
s1 AS (SELECT ARRAY[item] AS items, count(*) AS c FROM d GROUP BY 1 HAVING count(*) >= 89),
f AS (SELECT d.* FROM d JOIN s1 ON s1.items[1] = d.item),
s2 AS (SELECT ARRAY[a.item, b.item] AS items, count(*) AS c
	   FROM f a JOIN f b ON a.basket = b.basket AND a.item < b.item GROUP BY 1 HAVING count(*) >= 89),
ref AS (SELECT items::text[] AS items, c FROM s1 UNION ALL SELECT items::text[], c FROM s2)
SELECT count(*) FROM ref FULL JOIN (SELECT * FROM retail_sets WHERE cardinality(items) <= 2) o USING (items)
WHERE o.count IS DISTINCT FROM ref.c OR o.support IS DISTINCT FROM ref.c::float8 / 88162
SQL
)"
check "200 sampled itemsets of 3+ items differing from a direct count" 0 \
	"$(q -c "SELECT count(*) FROM (SELECT * FROM retail_sets WHERE cardinality(items) >= 3 ORDER BY md5(items::text) LIMIT 200) o
		WHERE o.count <> (SELECT count(*) FROM (SELECT basket FROM retail WHERE item = ANY (o.items::int[]) GROUP BY basket
						  HAVING count(DISTINCT item) = cardinality(o.items)) s)")"
exit $fail
