#!/usr/bin/env bash
# Planted structure: the data generator plants rules "who buys X buys Y with
# probability p" (crm_demo.planted_rules).  crm.similar_items must find Y as
# the item most similar to X by Jaccard for every planted rule (cosine is
# shown too); and among the customers who bought X but not Y (30 per rule),
# crm.recommend_items (50 neighbours, Jaccard) must put Y in the top 10 for
# more than half of them.
set -euo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
gen="$CRM_ROOT/test/datagen/generate.sh"
[ -f "$gen" ] || { echo "no data generator in this tree"; exit 77; }
bash "$gen" --schema sim_gen --customers 5000 --seed 7 >"$TEST_TMPDIR/gen.log" 2>&1 ||
	{ tail -20 "$TEST_TMPDIR/gen.log"; exit 1; }
purchases="SELECT o.customer_id, p.sku, l.quantity FROM sim_gen.order_lines l JOIN sim_gen.orders o USING (order_id) JOIN sim_gen.products p USING (product_id) WHERE l.quantity > 0"
fail=0
q -c "SELECT r.antecedent_sku, r.consequent_sku, r.confidence, j.item AS jaccard_top, round(j.similarity::numeric, 3) AS jaccard,
             c.item AS cosine_top, round(c.similarity::numeric, 3) AS cosine
      FROM sim_gen.planted_rules r,
           LATERAL crm.similar_items(\$q\$$purchases\$q\$, r.antecedent_sku, 1, 'jaccard') j,
           LATERAL crm.similar_items(\$q\$$purchases\$q\$, r.antecedent_sku, 1, 'cosine') c ORDER BY 1"
bad=$(q -At -c "SELECT count(*) FROM sim_gen.planted_rules r
      LEFT JOIN LATERAL crm.similar_items(\$q\$$purchases\$q\$, r.antecedent_sku, 1, 'jaccard') j ON true
      WHERE j.item IS DISTINCT FROM r.consequent_sku")
rules=$(q -At -c "SELECT count(*) FROM sim_gen.planted_rules")
echo "planted rules: $rules; consequent not the most similar item (jaccard): $bad"
[ "$rules" -gt 0 ] && [ "$bad" = 0 ] || fail=1

# recommendations: buyers of X without Y (first 30 per rule) get Y in their top 10
read -r asked hits < <(q -At -F ' ' -c "
WITH b AS ($purchases),
targets AS (SELECT r.antecedent_sku, r.consequent_sku, x.customer_id
            FROM sim_gen.planted_rules r,
                 LATERAL (SELECT DISTINCT customer_id FROM b WHERE sku = r.antecedent_sku
                          EXCEPT SELECT customer_id FROM b WHERE sku = r.consequent_sku ORDER BY 1 LIMIT 30) x)
SELECT count(*), count(*) FILTER (WHERE EXISTS (
         SELECT 1 FROM crm.recommend_items(\$q\$$purchases\$q\$, t.customer_id::text, 10, 50, 'jaccard') ri
         WHERE ri.item = t.consequent_sku))
FROM targets t")
echo "buyers of an antecedent without its consequent: $asked; consequent recommended in their top 10: $hits"
[ "$asked" -gt 0 ] && [ $((hits * 2)) -gt "$asked" ] || fail=1
exit $fail
