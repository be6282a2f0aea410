#!/usr/bin/env bash
# Published arules results on the Groceries data (9,835 baskets, 169 items):
# rule counts at four settings, the top rules by lift, and the full list of
# 463 rules at support 0.006 / confidence 0.25 compared row by row (support,
# confidence, coverage, lift, count) with the list published by
# saket0901/GroceryRules (see ../shared/datasets/groceries/SOURCE.md).
set -euo pipefail
G=$CRM_ROOT/../shared/datasets/groceries
if [ ! -f "$G/groceries_stedy_arules_labels.csv" ] || [ ! -f "$G/reference/groceryrules_463_saket0901.csv" ]; then
	echo "skip: $G not present"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
fail=0
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected $2, got $3"; fail=1; fi
}

q <<SQL
CREATE TABLE groc_lines (basket int GENERATED ALWAYS AS IDENTITY, line text);
\copy groc_lines(line) FROM '$G/groceries_stedy_arules_labels.csv'
-- arules' read.transactions strips white space around items ("cream cheese ")
CREATE TABLE groc AS SELECT basket, btrim(unnest(string_to_array(line, ','))) AS item FROM groc_lines;
CREATE TABLE groc_ref (rules text, support float8, confidence float8, coverage float8, lift float8, count bigint);
\copy groc_ref FROM '$G/reference/groceryrules_463_saket0901.csv' (FORMAT csv, HEADER)
SQL
check "baskets, distinct items, lines" "9835|169|43367" \
	"$(q -c "SELECT count(DISTINCT basket), count(DISTINCT item), count(*) FROM groc")"

R="SELECT basket, item FROM groc"
for s in "0.006 0.25 463" "0.005 0.5 120" "0.001 0.5 5668" "0.001 0.8 410"; do
	set -- $s
	check "rules at support $1, confidence $2" "$3" \
		"$(q -c "SELECT count(*) FROM crm.association_rules('$R', $1, $2)")"
done
check "frequent itemsets at 0.006 (independent Python Apriori)" 747 \
	"$(q -c "SELECT count(*) FROM crm.frequent_itemsets('$R', 0.006)")"
check "frequent itemsets at 0.001 (independent Python Apriori)" 13492 \
	"$(q -c "SELECT count(*) FROM crm.frequent_itemsets('$R', 0.001)")"
check "rule lengths at 0.001/0.5 (2:11 3:1461 4:3211 5:939 6:46)" "2:11 3:1461 4:3211 5:939 6:46" \
	"$(q -c "SELECT string_agg(l || ':' || n, ' ' ORDER BY l) FROM (SELECT cardinality(antecedent) + 1 AS l, count(*) AS n
		FROM crm.association_rules('$R', 0.001, 0.5) GROUP BY 1) x")"
check "top 3 rules by lift at 0.001/0.5" \
	"{\"Instant food products\",soda} => {\"hamburger meat\"} 0.001220132 0.6315789 18.99565 12
{popcorn,soda} => {\"salty snack\"} 0.001220132 0.6315789 16.69779 12
{\"baking powder\",flour} => {sugar} 0.001016777 0.5555556 16.40807 10" \
	"$(q -c "SELECT antecedent::text || ' => ' || consequent::text || ' ' || round(support::numeric, 9) || ' ' ||
		round(confidence::numeric, 7) || ' ' || round(lift::numeric, 5) || ' ' || count
		FROM crm.association_rules('$R', 0.001, 0.5) ORDER BY lift DESC LIMIT 3")"
check "top rule by lift at 0.001/0.8" "{liquor,\"red/blush wine\"} => {\"bottled beer\"} 11.23527" \
	"$(q -c "SELECT antecedent::text || ' => ' || consequent::text || ' ' || round(lift::numeric, 5)
		FROM crm.association_rules('$R', 0.001, 0.8) ORDER BY lift DESC LIMIT 1")"
check "top rule by lift at 0.006/0.25" "{herbs} => {\"root vegetables\"} 0.007015760 0.43125 3.956477 69" \
	"$(q -c "SELECT antecedent::text || ' => ' || consequent::text || ' ' || round(support::numeric, 9) || ' ' ||
		round(confidence::numeric, 5) || ' ' || round(lift::numeric, 6) || ' ' || count
		FROM crm.association_rules('$R', 0.006, 0.25) ORDER BY lift DESC LIMIT 1")"
check "rule lengths at 0.006/0.25 (2:150 3:297 4:16)" "2:150 3:297 4:16" \
	"$(q -c "SELECT string_agg(l || ':' || n, ' ' ORDER BY l) FROM (SELECT cardinality(antecedent) + 1 AS l, count(*) AS n
		FROM crm.association_rules('$R', 0.006, 0.25) GROUP BY 1) x")"

# the 463 rules, row by row
q <<SQL
CREATE TABLE groc_ref_rules AS
SELECT (SELECT array_agg(x ORDER BY x COLLATE "C") FROM unnest(string_to_array(m[1], ',')) x) AS antecedent,
	   (SELECT array_agg(x ORDER BY x COLLATE "C") FROM unnest(string_to_array(m[2], ',')) x) AS consequent,
	   support, confidence, coverage, lift, count
FROM groc_ref, regexp_match(rules, '^\{(.*)\} => \{(.*)\}$') m;
CREATE TABLE groc_ours AS SELECT * FROM crm.association_rules('$R', 0.006, 0.25);
SQL
check "reference rules parsed" 463 "$(q -c "SELECT count(*) FROM groc_ref_rules WHERE antecedent IS NOT NULL AND consequent IS NOT NULL")"
check "rules in ours and not in the reference, or the other way round" 0 \
	"$(q -c "SELECT count(*) FROM groc_ours o FULL JOIN groc_ref_rules r USING (antecedent, consequent)
		WHERE o.count IS NULL OR r.count IS NULL")"
check "rules whose count, support, confidence, coverage or lift differ (rel. 1e-12)" 0 \
	"$(q -c "SELECT count(*) FROM groc_ours o JOIN groc_ref_rules r USING (antecedent, consequent)
		WHERE o.count <> r.count
		   OR abs(o.support - r.support) > 1e-12 * r.support
		   OR abs(o.confidence - r.confidence) > 1e-12 * r.confidence
		   OR abs(o.support / o.confidence - r.coverage) > 1e-12 * r.coverage
		   OR abs(o.lift - r.lift) > 1e-12 * r.lift")"
check "largest relative difference of lift below 1e-13" t \
	"$(q -c "SELECT max(abs(o.lift - r.lift) / r.lift) < 1e-13 FROM groc_ours o JOIN groc_ref_rules r USING (antecedent, consequent)")"
exit $fail
