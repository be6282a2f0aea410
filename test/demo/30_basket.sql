\echo ================================================================
\echo Basket association: frequent itemsets, association rules, cross-sell (FP-growth)
\echo ================================================================
\echo
\echo -- The products most often bought together: frequent pairs of products in the orders (returns left out):
SELECT items, count AS orders, round(support::numeric, 4) AS support
FROM crm.frequent_itemsets(
    'SELECT ol.order_id, p.name FROM crm_demo.order_lines ol
     JOIN crm_demo.products p USING (product_id) WHERE ol.quantity > 0', 0.002)
WHERE cardinality(items) = 2
ORDER BY count DESC, items LIMIT 8;

\echo -- Rules "who buys X also buys Y", strongest lift first (support >= 0.1% of orders, confidence >= 30%):
CREATE TEMP TABLE demo_rules AS
SELECT * FROM crm.association_rules(
    'SELECT ol.order_id, p.name FROM crm_demo.order_lines ol
     JOIN crm_demo.products p USING (product_id) WHERE ol.quantity > 0', 0.001, 0.3);
SELECT antecedent, consequent, round(support::numeric, 4) AS support, round(confidence::numeric, 3) AS confidence,
       round(lift::numeric, 1) AS lift, round(conviction::numeric, 2) AS conviction, count AS orders
FROM demo_rules ORDER BY lift DESC, antecedent, consequent LIMIT 10;

\echo -- The co-purchases the generator planted, and the confidence mined from the orders:
SELECT pr.antecedent_sku, pr.consequent_sku, pr.confidence AS planted,
       round(r.confidence::numeric, 3) AS mined, r.count AS orders
FROM crm_demo.planted_rules pr
JOIN crm_demo.products a ON a.sku = pr.antecedent_sku
JOIN crm_demo.products c ON c.sku = pr.consequent_sku
LEFT JOIN demo_rules r ON r.antecedent = ARRAY[a.name] AND r.consequent = ARRAY[c.name]
ORDER BY pr.antecedent_sku;

\echo -- Category level: which categories go together in an order (any item type works; here text categories):
SELECT antecedent, consequent, round(confidence::numeric, 3) AS confidence, round(lift::numeric, 2) AS lift, count AS orders
FROM crm.association_rules(
    'SELECT ol.order_id, p.category FROM crm_demo.order_lines ol
     JOIN crm_demo.products p USING (product_id) WHERE ol.quantity > 0', 0.01, 0.2, 3)
ORDER BY lift DESC, antecedent, consequent LIMIT 6;

\echo -- Cross-sell: what to offer a customer whose basket holds a bread box and a printer:
SELECT item, round(score::numeric, 3) AS score, antecedent, consequent, round(lift::numeric, 1) AS lift
FROM crm.cross_sell(ARRAY['Bread Box', 'Printer'], 'demo_rules', 5);
