#!/usr/bin/env bash
# The planted co-purchases of the data generator (test/datagen: a consequent
# joins an order holding the antecedent with a known probability and is
# never bought otherwise) must come out of crm.association_rules with that
# confidence, within 4 binomial standard errors; the reverse rules must have
# confidence 1; counts must equal a direct SQL count; and crm.cross_sell must
# offer each consequent first for a basket holding its antecedent.
set -uo pipefail
GEN=$CRM_ROOT/test/datagen/generate.sh
if [ ! -f "$GEN" ]; then
	echo "skip: $GEN not present"
	exit 77
fi
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail=0
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected $2, got $3"; fail=1; fi
}
bash "$GEN" --schema bk_planted --customers 5000 --seed 11 >"$TEST_TMPDIR/gen.log" 2>&1 ||
	{ cat "$TEST_TMPDIR/gen.log"; echo "FAIL: the generator failed"; exit 1; }
tail -n 1 "$TEST_TMPDIR/gen.log"

Q="SELECT ol.order_id, p.sku FROM bk_planted.order_lines ol JOIN bk_planted.products p USING (product_id) WHERE ol.quantity > 0"
q -c "CREATE TABLE planted_found AS SELECT * FROM crm.association_rules('$Q', 0.002, 0.1)"
check "planted rules" 4 "$(q -c "SELECT count(*) FROM bk_planted.planted_rules")"
while IFS='|' read -r a c p; do
	row=$(q -c "SELECT r.confidence, r.count, n.n FROM planted_found r,
		(SELECT count(DISTINCT order_id) AS n FROM ($Q) x(order_id, sku) WHERE sku = '$a') n
		WHERE r.antecedent = ARRAY['$a'] AND r.consequent = ARRAY['$c']")
	if [ -z "$row" ]; then echo "FAIL {$a} => {$c} not found"; fail=1; continue; fi
	IFS='|' read -r conf cnt n <<<"$row"
	ok=$(q -c "SELECT abs($conf - $p) <= 4 * sqrt($p * (1 - $p) / $n)")
	echo "     {$a} => {$c}: confidence $conf (planted $p, $n baskets with the antecedent)"
	check "{$a} => {$c} confidence within 4 standard errors of $p" t "$ok"
	check "{$a} => {$c} count equals a direct count" \
		"$(q -c "SELECT count(*) FROM (SELECT order_id FROM ($Q) x(order_id, sku) WHERE sku IN ('$a', '$c')
			GROUP BY order_id HAVING count(DISTINCT sku) = 2) s")" "$cnt"
	check "{$c} => {$a} has confidence 1 (the consequent is never bought alone)" 1 \
		"$(q -c "SELECT confidence FROM planted_found WHERE antecedent = ARRAY['$c'] AND consequent = ARRAY['$a']")"
	check "cross_sell of {$a} offers $c first" "$c" \
		"$(q -c "SELECT item FROM crm.cross_sell(ARRAY['$a'], 'planted_found', 3) LIMIT 1")"
done < <(q -c "SELECT antecedent_sku, consequent_sku, confidence FROM bk_planted.planted_rules ORDER BY 1")
exit $fail
