#!/usr/bin/env bash
# FP-growth against a brute-force reference computed in SQL: for random data
# sets of different density and size, every itemset of up to 4 items counted
# with self-joins must come out of crm.frequent_itemsets with the same count
# and support (itemsets of 5+ items are checked with max_length 4 and by a
# spot check), and every rule with one- or two-item consequents must have the
# measures computed from the brute-force counts.
set -uo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail=0
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected $2, got $3"; fail=1; fi
}

# seed baskets items density min_support key
for cfg in "0.1 400 30 0.15 0.02 int" "0.2 200 12 0.5 0.05 text" "0.3 500 60 0.06 0.016 int" \
		   "0.4 150 10 0.8 0.3 text" "0.5 600 25 0.15 0.008 int"; do
	set -- $cfg
	seed=$1 nb=$2 ni=$3 dens=$4 ms=$5 key=$6
	bexpr="b"; [ "$key" = text ] && bexpr="'basket ' || b"
	q <<SQL
DROP TABLE IF EXISTS bf, bf_brute, bf_ours, bf_rules_ref;
SELECT setseed($seed);
-- items 1..$ni with popularity falling as 1/sqrt(i), and pairs i, i+1 bought together
CREATE TABLE bf AS
WITH x AS MATERIALIZED (SELECT b, i, random() AS r FROM generate_series(1, $nb) b, generate_series(1, $ni) i)
SELECT $bexpr AS basket, 'item ' || i AS item FROM x
WHERE r < $dens * 3 / sqrt(i) OR (i % 2 = 0 AND b % 3 = 0 AND r < 0.5);
INSERT INTO bf SELECT basket, item FROM bf WHERE random() < 0.1;		-- repeated lines
INSERT INTO bf SELECT basket, NULL FROM bf WHERE random() < 0.05;	-- NULL items
CREATE TABLE bf_brute AS
WITH d AS (SELECT DISTINCT basket, item COLLATE "C" AS item FROM bf WHERE item IS NOT NULL),
n AS (SELECT count(DISTINCT basket) AS n FROM d),
s AS (SELECT ARRAY[a.item] AS items, count(*) AS c FROM d a GROUP BY 1
	  UNION ALL
	  SELECT ARRAY[a.item, b.item], count(*)
	  FROM d a JOIN d b ON b.basket = a.basket AND b.item > a.item GROUP BY 1
	  UNION ALL
	  SELECT ARRAY[a.item, b.item, c.item], count(*)
	  FROM d a JOIN d b ON b.basket = a.basket AND b.item > a.item
	  JOIN d c ON c.basket = a.basket AND c.item > b.item GROUP BY 1
	  UNION ALL
	  SELECT ARRAY[a.item, b.item, c.item, e.item], count(*)
	  FROM d a JOIN d b ON b.basket = a.basket AND b.item > a.item
	  JOIN d c ON c.basket = a.basket AND c.item > b.item
	  JOIN d e ON e.basket = a.basket AND e.item > c.item GROUP BY 1)
SELECT items::text[] AS items, c, c::float8 / n AS support, n
FROM s, n WHERE c >= ceil($ms * n - 1e-9);
CREATE TABLE bf_ours AS SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bf', $ms);
-- rules X => Y, |Y| in (1, 2), from the brute-force counts
CREATE TABLE bf_rules_ref AS
WITH zy AS (
	SELECT z.items AS zi, z.c AS zc, z.support AS zs, ARRAY[a] AS y
	FROM bf_brute z, unnest(z.items) a WHERE cardinality(z.items) >= 2
	UNION ALL
	SELECT z.items, z.c, z.support, ARRAY[a, b]
	FROM bf_brute z, unnest(z.items) a, unnest(z.items) b
	WHERE cardinality(z.items) >= 3 AND a COLLATE "C" < b),
zxy AS (
	SELECT zy.*, (SELECT array_agg(e ORDER BY e COLLATE "C") FROM unnest(zi) e WHERE e <> ALL (y)) AS x
	FROM zy)
SELECT x.items AS antecedent, y.items AS consequent, zs AS support, zc::float8 / x.c AS confidence,
	   zc::float8 / x.c / y.support AS lift, zs - x.support * y.support AS leverage, zc AS count
FROM zxy JOIN bf_brute x ON x.items = zxy.x JOIN bf_brute y ON y.items = zxy.y
WHERE zc::float8 / x.c >= 0.2;
SQL
	name="seed $seed: $nb baskets ($key keys), $ni items, density $dens, min_support $ms"
	q -c "SET client_min_messages = debug1; SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM bf', $ms)" 2>&1 | sed -n 's/^DEBUG:  /     /p'
	echo "     $name: $(q -c "SELECT string_agg(l || ':' || n, ' ' ORDER BY l) FROM (SELECT cardinality(items) AS l, count(*) AS n FROM bf_ours GROUP BY 1) x") (itemsets by length)"
	check "$name: itemsets <= 4 differing from brute force" 0 \
		"$(q -c "SELECT count(*) FROM bf_brute b FULL JOIN (SELECT * FROM bf_ours WHERE cardinality(items) <= 4) o USING (items)
			WHERE o.count IS DISTINCT FROM b.c OR o.support IS DISTINCT FROM b.support")"
	check "$name: max_length 4 gives exactly the brute-force itemsets" 0 \
		"$(q -c "SELECT count(*) FROM bf_brute b FULL JOIN crm.frequent_itemsets('SELECT basket, item FROM bf', $ms, 4) o USING (items)
			WHERE o.count IS DISTINCT FROM b.c")"
	check "$name: longer itemsets have the count of a direct scan" 0 \
		"$(q -c "SELECT count(*) FROM (SELECT * FROM bf_ours WHERE cardinality(items) > 4 ORDER BY items LIMIT 200) o
			WHERE o.count <> (SELECT count(*) FROM (SELECT basket FROM bf WHERE item = ANY (o.items) GROUP BY basket
							  HAVING count(DISTINCT item) = cardinality(o.items)) s)")"
	check "$name: every subset of a frequent itemset is frequent with a count >= (spot check)" 0 \
		"$(q -c "SELECT count(*) FROM (SELECT * FROM bf_ours WHERE cardinality(items) BETWEEN 2 AND 4 LIMIT 300) o, unnest(o.items) u
			WHERE NOT EXISTS (SELECT 1 FROM bf_ours p WHERE p.items = array_remove(o.items, u) AND p.count >= o.count)")"
	check "$name: rules (1- and 2-item consequents, max_length 4) differing from brute force" 0 \
		"$(q -c "SELECT count(*) FROM bf_rules_ref b
			FULL JOIN crm.association_rules('SELECT basket, item FROM bf', $ms, 0.2, 4, 2) r USING (antecedent, consequent)
			WHERE r.count IS DISTINCT FROM b.count OR NOT (abs(r.confidence - b.confidence) < 1e-12
				AND abs(r.lift - b.lift) < 1e-9 AND abs(r.leverage - b.leverage) < 1e-12 AND r.support = b.support)")"
done
exit $fail
