-- cross-sell offers for a basket of two products
\set p1 random(1, :products)
\set p2 random(1, :products)
SELECT item, score FROM crm.cross_sell(ARRAY(SELECT name FROM crm_demo.products WHERE product_id IN (:p1, :p2)),
									   'c360_rules', 5);
