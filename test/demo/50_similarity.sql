\echo ================================================================
\echo Similar customers, similar items and recommendations
\echo ================================================================
\echo
\echo -- Purchases as (customer, item, weight): every order line bought (returns left out), weight = quantity.
\set purchases 'SELECT o.customer_id, p.sku, l.quantity FROM crm_demo.order_lines l JOIN crm_demo.orders o USING (order_id) JOIN crm_demo.products p USING (product_id) WHERE l.quantity > 0'
\echo -- Customer 3844: the five customers whose baskets are most like theirs (cosine,
\echo -- weighted by quantity), with how many products they have in common and the first few of them:
WITH mine AS (SELECT DISTINCT l.product_id FROM crm_demo.order_lines l JOIN crm_demo.orders o USING (order_id)
              WHERE o.customer_id = 3844 AND l.quantity > 0)
SELECT n.rank, n.customer AS neighbour, round(n.similarity::numeric, 3) AS similarity,
       count(DISTINCT p.product_id) AS products_in_common,
       array_to_string((array_agg(DISTINCT p.name ORDER BY p.name))[1:3], ', ')
         || CASE WHEN count(DISTINCT p.product_id) > 3 THEN ', ...' ELSE '' END AS in_common
FROM crm.similar_customers(:'purchases', '3844', 5) n
JOIN crm_demo.orders o ON o.customer_id = n.customer::bigint
JOIN crm_demo.order_lines l ON l.order_id = o.order_id AND l.quantity > 0 AND l.product_id IN (SELECT product_id FROM mine)
JOIN crm_demo.products p ON p.product_id = l.product_id
GROUP BY n.rank, n.customer, n.similarity ORDER BY n.rank;

\echo -- What to recommend to customer 3844: products they have not bought, scored from their 50 nearest
\echo -- neighbours (Jaccard); score = similarity-weighted share of the neighbours who bought it:
SELECT r.rank, r.item AS sku, p.name, p.category, round(r.score::numeric, 3) AS score, r.neighbors AS bought_by_neighbours
FROM crm.recommend_items(:'purchases', '3844', 5, 50, 'jaccard') r
JOIN crm_demo.products p ON p.sku = r.item ORDER BY r.rank;

\echo -- Customers who bought X also bought: the most similar product of each antecedent of the rules
\echo -- planted in the generated data (similar_items, Jaccard on the sets of buyers):
SELECT r.antecedent_sku, r.consequent_sku AS planted_consequent, r.confidence AS planted_confidence,
       s.item AS most_similar_item, round(s.similarity::numeric, 3) AS similarity
FROM crm_demo.planted_rules r, LATERAL crm.similar_items(:'purchases', r.antecedent_sku, 1, 'jaccard') s
ORDER BY r.antecedent_sku;

\echo -- The five nearest neighbours of every customer at once (one call, no all-pairs comparison):
SELECT count(*) AS neighbour_rows, count(DISTINCT customer) AS customers,
       round(avg(similarity) FILTER (WHERE rank = 1)::numeric, 3) AS avg_best_similarity,
       round(avg(similarity) FILTER (WHERE rank = 5)::numeric, 3) AS avg_fifth_similarity
FROM crm.nearest_neighbors(:'purchases', 5);

\echo -- Stored profiles for a dashboard: one crm.profile per customer (parallel aggregate), posting lists
\echo -- per product, then the top 5 for one customer in a few milliseconds through the B-tree on item:
CREATE TEMP TABLE demo_profiles AS
SELECT o.customer_id, crm.purchase_profile(l.product_id, l.quantity) AS p
FROM crm_demo.order_lines l JOIN crm_demo.orders o USING (order_id) WHERE l.quantity > 0 GROUP BY o.customer_id;
ALTER TABLE demo_profiles ADD PRIMARY KEY (customer_id);
CREATE TEMP TABLE demo_postings AS
SELECT e.item, crm.purchase_profile(s.customer_id::int, e.w) AS postings
FROM demo_profiles s, unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w)
GROUP BY e.item;
ALTER TABLE demo_postings ADD PRIMARY KEY (item);
SELECT customer_id, crm.profile_size(p) AS products, left(p::text, 70) || ' ...' AS profile_item_id_to_quantity
FROM demo_profiles WHERE customer_id = 3844;
WITH t AS MATERIALIZED (SELECT p FROM demo_profiles WHERE customer_id = 3844),
cand AS (SELECT unnest(crm.profile_candidates(t.p, x.item, x.postings, 5 + 1)) AS customer_id
         FROM t, demo_postings x WHERE x.item = ANY (crm.profile_items(t.p)))
SELECT s.customer_id AS neighbour, round(crm.profile_cosine(s.p, t.p)::numeric, 3) AS similarity
FROM cand JOIN demo_profiles s USING (customer_id), t
WHERE s.customer_id <> 3844 ORDER BY crm.profile_cosine(s.p, t.p) DESC, s.customer_id LIMIT 5;
DROP TABLE demo_profiles, demo_postings;
