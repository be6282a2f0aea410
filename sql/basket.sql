-- Basket association: crm.frequent_itemsets, crm.association_rules, crm.cross_sell
SET extra_float_digits = 0;

-- The classic five baskets (Tan, Steinbach & Kumar, "Introduction to Data
-- Mining", table 6.1).  Hand-computed supports: bread, milk, diapers 4/5;
-- beer 3/5; cola 2/5; eggs 1/5; {beer,diapers} = {bread,diapers} =
-- {bread,milk} = {diapers,milk} = 3/5; every other pair or triple <= 2/5.
CREATE TABLE bk_classic (basket int, item text);
INSERT INTO bk_classic VALUES
	(1, 'bread'), (1, 'milk'),
	(2, 'bread'), (2, 'diapers'), (2, 'beer'), (2, 'eggs'),
	(3, 'milk'), (3, 'diapers'), (3, 'beer'), (3, 'cola'),
	(4, 'bread'), (4, 'milk'), (4, 'diapers'), (4, 'beer'),
	(5, 'bread'), (5, 'milk'), (5, 'diapers'), (5, 'cola');

-- min_support 0.6: count >= ceil(0.6 * 5) = 3
SELECT items, count, support
FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.6)
ORDER BY cardinality(items), items;

-- Rules at min_support 0.6, min_confidence 0.8: only {beer} => {diapers}
-- (3/3 = 1; lift 1 / 0.8 = 1.25; leverage 0.6 - 0.6 * 0.8 = 0.12;
-- conviction Infinity because the confidence is 1).
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.6, 0.8);

-- All rules at 0.6: {diapers} => {beer}: 3/4 = 0.75, lift 0.75 / 0.6 = 1.25,
-- conviction (1 - 0.6) / (1 - 0.75) = 1.6; {bread} => {milk}: 0.75, lift
-- 0.75 / 0.8 = 0.9375, leverage 0.6 - 0.64 = -0.04, conviction 0.2 / 0.25 = 0.8.
SELECT antecedent, consequent, support, confidence, lift, round(leverage::numeric, 6) AS leverage,
	   round(conviction::numeric, 6) AS conviction, count
FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.6)
ORDER BY antecedent, consequent;

-- Three-item rules at 0.4 (count >= 2): {bread,diapers,milk} is in baskets 4, 5;
-- {bread,milk} is in 1, 4, 5, so {bread,milk} => {diapers} has confidence 2/3
-- and lift (2/3) / 0.8 = 0.8333; {cola} => {diapers,milk} needs max_consequent 2:
-- confidence 2/2 = 1, lift 1 / 0.6 = 1.6667.
SELECT antecedent, consequent, support, round(confidence::numeric, 6) AS confidence,
	   round(lift::numeric, 6) AS lift, count
FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.4, 0.6, NULL, 2)
WHERE 'cola' = ANY (antecedent || consequent) OR cardinality(antecedent || consequent) = 3
ORDER BY antecedent, consequent;

-- max_length bounds the whole itemset
SELECT max(cardinality(items)) AS longest, count(*)
FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.2, 2);
SELECT max(cardinality(items)) AS longest, count(*)
FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.2);
SELECT max(cardinality(antecedent || consequent)) AS longest
FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.2, 0, 2);

-- Any column types; an item repeated in a basket counts once; NULL items are
-- ignored, and a basket with only NULL items is not counted in N; rows with a
-- NULL basket are ignored.  Baskets 'a' .. 'd' hold items 1, 2, 1+2, 10;
-- 'e' has only NULLs: N = 4.  Items are text in byte order: '10' < '2'.
CREATE TABLE bk_types (basket text, item int);
INSERT INTO bk_types VALUES
	('a', 1), ('a', 1), ('a', 1), ('b', 2), ('c', 1), ('c', 2), ('c', 2),
	('d', 10), ('d', NULL), ('e', NULL), ('e', NULL), (NULL, 1), (NULL, 2);
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_types', 0.25)
ORDER BY cardinality(items), items;
SELECT * FROM crm.frequent_itemsets('SELECT item * 1.0, basket FROM bk_types', 0.25)
ORDER BY cardinality(items), items;

-- Basket keys compare with their type's equality: 1.0 and 1.00 are one basket (N = 2)
SELECT items, count, support FROM crm.frequent_itemsets($$VALUES (1.0, 'a'), (1.00, 'b'), (2, 'a')$$, 0.5)
ORDER BY items;

-- Order inside arrays: byte order of the text ("C"): upper case before lower case
SELECT items FROM crm.frequent_itemsets(
	$$SELECT 1, x FROM unnest(ARRAY['b', 'B', 'a', 'Z', 'é']) x$$, 1.0, NULL)
WHERE cardinality(items) = 5;

-- The minimum count is ceil(min_support * N), tolerant of rounding:
-- 0.3 * 10 is 3.0000000000000004 in float8 but means 3 baskets.
SELECT items, count FROM crm.frequent_itemsets(
	$$SELECT b, CASE WHEN b <= 3 THEN 'x' ELSE 'y' END FROM generate_series(1, 10) b$$, 0.3)
ORDER BY items;
SELECT items, count FROM crm.frequent_itemsets(
	$$SELECT b, CASE WHEN b <= 3 THEN 'x' ELSE 'y' END FROM generate_series(1, 10) b$$, 0.31)
ORDER BY items;

-- A consequent that is in every basket: confidence 1 and conviction 0/0 = NaN (as in arules)
SELECT antecedent, consequent, confidence, lift, conviction
FROM crm.association_rules($$VALUES (1, 'a'), (1, 'all'), (2, 'all'), (3, 'a'), (3, 'all')$$, 0.5)
ORDER BY antecedent;

-- Empty results: no rows, nothing frequent enough, no rule confident enough
SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic WHERE false', 0.1);
SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, NULL::text FROM bk_classic', 0.1);
SELECT count(*) FROM crm.association_rules('SELECT basket, item FROM bk_classic WHERE false', 0.1);
SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 1.0);
SELECT count(*) FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.2, 1.0, 2);
-- a trailing semicolon and a CTE are fine
SELECT count(*) FROM crm.frequent_itemsets('WITH x AS (SELECT * FROM bk_classic) SELECT basket, item FROM x;  ', 0.6);

-- Bad input
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0);
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', -0.5);
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 1.5);
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 'NaN');
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', NULL);
SELECT * FROM crm.frequent_itemsets(NULL, 0.5);
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.5, 0);
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.5, -0.1);
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.5, 1.5);
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.5, 'NaN');
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.5, NULL);
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.5, 0.5, 1);
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.5, 0.5, NULL, 0);
SELECT * FROM crm.frequent_itemsets('SELECT basket, item, 1 FROM bk_classic', 0.5);
SELECT * FROM crm.frequent_itemsets('SELECT basket FROM bk_classic', 0.5);
SELECT * FROM crm.frequent_itemsets('SELECT 1; SELECT 2', 0.5);
SELECT * FROM crm.frequent_itemsets('DELETE FROM bk_classic RETURNING basket, item', 0.5);
SELECT * FROM crm.frequent_itemsets('SELEC basket, item FROM bk_classic', 0.5);
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM no_such_table', 0.5);
SELECT * FROM crm.frequent_itemsets('SELECT basket, 1 / (basket - 3) FROM bk_classic', 0.5);
SELECT * FROM crm.frequent_itemsets($$SELECT point(1, 2), 'a'$$, 0.5);
SELECT count(*) FROM bk_classic;  -- untouched by the DELETE attempt

-- The output limit: crm_analytics.max_itemsets
SET crm_analytics.max_itemsets = 5;
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.2);
SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.6, 1);
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.6, 0, NULL, 1);
RESET crm_analytics.max_itemsets;

-- The memory budget: crm_analytics.max_memory bounds everything one run
-- builds (rows, dictionaries, transactions, FP-trees, itemsets), checked as
-- it grows; past it SQLSTATE 54000 with a hint naming the setting.  The
-- helper reports the SQLSTATE, the message, the stage named by the detail
-- (its kB figures depend on the allocator) and the hint.
CREATE FUNCTION bk_guard(q text)
RETURNS TABLE (outcome text, code text, message text, stage text, hint text)
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	c text;
	m text;
	d text;
	h text;
BEGIN
	EXECUTE q INTO n;
	RETURN QUERY SELECT 'ok: ' || n, NULL::text, NULL::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS c = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
		h = PG_EXCEPTION_HINT;
	RETURN QUERY SELECT 'error', c, m, substring(d FROM '^(.*) would take'), h;
END $$;
-- 200,000 rows (8 bytes each while reading): 50,000 baskets g / 4 for g in
-- 0 .. 199999, each holding one of 250 groups of 4 consecutive items
-- (g % 1000, and 1000 = 250 * 4), every group in 200 baskets (support
-- 0.004): 250 * (2^4 - 1) = 3750 frequent itemsets
SET crm_analytics.max_memory = '1MB';
SELECT * FROM bk_guard($$SELECT count(*) FROM crm.frequent_itemsets('SELECT g / 4, g % 1000 FROM pg_catalog.generate_series(0, 199999) g', 0.004)$$);
RESET crm_analytics.max_memory;
SELECT * FROM bk_guard($$SELECT count(*) FROM crm.frequent_itemsets('SELECT g / 4, g % 1000 FROM pg_catalog.generate_series(0, 199999) g', 0.004)$$);
-- 1,700 rows whose itemsets explode: 100 baskets of the same 17 items have
-- 2^17 - 1 = 131071 frequent itemsets (12 bytes each), past 1 MB while
-- they are stored, far below crm_analytics.max_itemsets
SET crm_analytics.max_memory = '1MB';
SELECT * FROM bk_guard($$SELECT count(*) FROM crm.frequent_itemsets('SELECT b, i FROM pg_catalog.generate_series(1, 100) b, pg_catalog.generate_series(1, 17) i', 0.5)$$);
SELECT * FROM bk_guard($$SELECT count(*) FROM crm.association_rules('SELECT b, i FROM pg_catalog.generate_series(1, 100) b, pg_catalog.generate_series(1, 17) i', 0.5)$$);
RESET crm_analytics.max_memory;
SELECT * FROM bk_guard($$SELECT count(*) FROM crm.frequent_itemsets('SELECT b, i FROM pg_catalog.generate_series(1, 100) b, pg_catalog.generate_series(1, 17) i', 0.5)$$);

-- Brute force: every itemset of up to 4 items of a random data set (40
-- items of very different popularity, some of them bought together, 300
-- baskets, one item in every basket), counted in SQL with joins, must match
-- FP-growth exactly; so must every rule's measures.
SELECT setseed(0.25);
CREATE TABLE bk_rand AS
WITH x AS MATERIALIZED (
	SELECT b, i, random() AS r FROM generate_series(1, 300) b, generate_series(1, 40) i)
SELECT b AS basket, 'i' || i AS item FROM x
WHERE i = 40 OR r < 0.45 / sqrt(i) + CASE WHEN b % 5 = i % 5 THEN 0.25 ELSE 0 END;
-- a few repeated lines
INSERT INTO bk_rand SELECT * FROM bk_rand WHERE basket % 7 = 0;
CREATE TABLE bk_brute AS
WITH d AS (SELECT DISTINCT basket, item COLLATE "C" AS item FROM bk_rand),
n AS (SELECT count(DISTINCT basket) AS n FROM d),
s1 AS (SELECT ARRAY[a.item] AS items, count(*) AS c FROM d a GROUP BY 1),
s2 AS (SELECT ARRAY[a.item, b.item] AS items, count(*) AS c
	   FROM d a JOIN d b ON b.basket = a.basket AND b.item > a.item GROUP BY 1),
s3 AS (SELECT ARRAY[a.item, b.item, c.item] AS items, count(*) AS c
	   FROM d a JOIN d b ON b.basket = a.basket AND b.item > a.item
	   JOIN d c ON c.basket = a.basket AND c.item > b.item GROUP BY 1),
s4 AS (SELECT ARRAY[a.item, b.item, c.item, e.item] AS items, count(*) AS c
	   FROM d a JOIN d b ON b.basket = a.basket AND b.item > a.item
	   JOIN d c ON c.basket = a.basket AND c.item > b.item
	   JOIN d e ON e.basket = a.basket AND e.item > c.item GROUP BY 1)
SELECT items::text[] AS items, c, c::float8 / n AS support
FROM (SELECT * FROM s1 UNION ALL SELECT * FROM s2 UNION ALL SELECT * FROM s3 UNION ALL SELECT * FROM s4) s, n
WHERE c >= ceil(0.03 * n);
SELECT cardinality(items) AS length, count(*) AS brute_force_itemsets
FROM bk_brute GROUP BY 1 ORDER BY 1;
SELECT count(*) AS mismatches
FROM bk_brute b
FULL JOIN crm.frequent_itemsets('SELECT basket, item FROM bk_rand', 0.03, 4) f ON f.items = b.items
WHERE f.count IS DISTINCT FROM b.c OR f.support IS DISTINCT FROM b.support;
-- rules from the brute-force itemsets: X => {y} for each y of each itemset
CREATE TABLE bk_brute_rules AS
SELECT array_remove(z.items, y) AS antecedent, ARRAY[y] AS consequent, z.support,
	   z.c::float8 / x.c AS confidence, z.c::float8 / x.c / yy.support AS lift,
	   z.support - x.support * yy.support AS leverage,
	   CASE WHEN yy.support = 1 THEN 'NaN' WHEN z.c = x.c THEN 'Infinity' ELSE (1 - yy.support) / (1 - z.c::float8 / x.c) END AS conviction,
	   z.c AS count
FROM bk_brute z CROSS JOIN LATERAL unnest(z.items) y
JOIN bk_brute x ON x.items = array_remove(z.items, y)
JOIN bk_brute yy ON yy.items = ARRAY[y]
WHERE cardinality(z.items) >= 2 AND z.c::float8 / x.c >= 0.3;
SELECT count(*) AS brute_force_rules FROM bk_brute_rules;
SELECT count(*) AS mismatches
FROM bk_brute_rules b
FULL JOIN crm.association_rules('SELECT basket, item FROM bk_rand', 0.03, 0.3, 4) r
	ON r.antecedent = b.antecedent AND r.consequent = b.consequent
WHERE r.count IS DISTINCT FROM b.count
   OR NOT (abs(r.confidence - b.confidence) < 1e-12 AND abs(r.lift - b.lift) < 1e-12
		   AND abs(r.leverage - b.leverage) < 1e-12 AND r.support = b.support
		   AND (r.conviction = b.conviction OR abs(r.conviction - b.conviction) < 1e-9));

-- Cross-sell from a table of rules
CREATE TABLE bk_rules AS
SELECT * FROM crm.association_rules('SELECT basket, item FROM bk_classic', 0.4, 0.5, NULL, 2);
CREATE INDEX bk_rules_idx ON bk_rules USING gin (antecedent);
-- basket {beer}: diapers by {beer} => {diapers} (confidence 1); bread and
-- milk by {beer} => {bread} / {milk} (2/3, lift 0.8333); {beer} =>
-- {bread,diapers} has the same confidence and a higher lift (1.11) but at
-- equal confidence a one-item consequent is preferred: it is about the item.
SELECT item, round(score::numeric, 4) AS score, antecedent, consequent, round(lift::numeric, 4) AS lift
FROM crm.cross_sell(ARRAY['beer'], 'bk_rules')
ORDER BY score DESC, lift DESC, item;
-- items already in the basket are never offered; k limits the list
SELECT item, round(score::numeric, 4) AS score, antecedent, consequent
FROM crm.cross_sell(ARRAY['cola', 'diapers'], 'bk_rules', 2);
SELECT count(*) FROM crm.cross_sell(ARRAY['eggs'], 'bk_rules');
SELECT count(*) FROM crm.cross_sell(ARRAY[]::text[], 'bk_rules');
-- NULL elements of the basket are ignored
SELECT item, round(score::numeric, 4) AS score FROM crm.cross_sell(ARRAY[NULL, 'beer'], 'bk_rules');
SELECT count(*) FROM crm.cross_sell(NULL, 'bk_rules');
SELECT * FROM crm.cross_sell(ARRAY['beer'], 'bk_rules', 0);
CREATE TABLE bk_not_rules (antecedent text[], consequent text, confidence float8);
SELECT * FROM crm.cross_sell(ARRAY['beer'], 'bk_not_rules');
ALTER TABLE bk_not_rules ALTER consequent TYPE text[] USING ARRAY[consequent];
SELECT * FROM crm.cross_sell(ARRAY['beer'], 'bk_not_rules');
SELECT * FROM crm.cross_sell(ARRAY['beer'], 'no_such_rules');
SELECT * FROM crm.cross_sell(ARRAY['beer'], 'bk_rules_idx');

-- Everything runs with the caller's rights
CREATE ROLE regress_basket_user;
GRANT USAGE ON SCHEMA crm TO regress_basket_user;
SET ROLE regress_basket_user;
SELECT * FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.5);
SELECT * FROM crm.cross_sell(ARRAY['beer'], 'bk_rules');
RESET ROLE;
GRANT SELECT ON bk_classic, bk_rules TO regress_basket_user;
SET ROLE regress_basket_user;
SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM bk_classic', 0.5);
SELECT count(*) FROM crm.cross_sell(ARRAY['beer'], 'bk_rules');
RESET ROLE;
REVOKE ALL ON bk_classic, bk_rules FROM regress_basket_user;
REVOKE USAGE ON SCHEMA crm FROM regress_basket_user;
DROP ROLE regress_basket_user;
