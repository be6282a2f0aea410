--
-- Similar customers: nearest neighbours, similar items, recommendations,
-- stored profiles.
--
SET extra_float_digits = 0;

-- A small case computed by hand.  Profiles (customer: item weight ...):
--   a: x 1, y 2          |a| = sqrt 5
--   b: x 1, y 1, z 3     |b| = sqrt 11
--   c: x 2, z 1          (x given twice: 1 + 1)   |c| = sqrt 5
--   d: w 1               (shares nothing)
--   e: v 0               (zero weight: not part of any profile)
-- cosine(a,b) = (1*1 + 2*1)/sqrt(5*11) = 3/sqrt 55 = 0.404520
-- cosine(a,c) = (1*2)/sqrt(5*5)       = 2/5      = 0.400000
-- cosine(b,c) = (1*2 + 3*1)/sqrt(11*5) = 5/sqrt 55 = 0.674200
-- jaccard(a,b) = |{x,y}|/|{x,y,z}| = 2/3, jaccard(a,c) = 1/3, jaccard(b,c) = 2/3
CREATE TABLE sim_hand (c text, i text, w numeric);
INSERT INTO sim_hand VALUES
	('a', 'x', 1), ('a', 'y', 2),
	('b', 'x', 1), ('b', 'y', 1), ('b', 'z', 3),
	('c', 'x', 1), ('c', 'z', 1), ('c', 'x', 1),
	('d', 'w', 1),
	('e', 'v', 0),
	(NULL, 'x', 5), ('a', NULL, 5);	-- rows with a NULL customer or item are skipped

SELECT customer, neighbor, round(similarity::numeric, 6) AS similarity, rank
FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand', 3)
ORDER BY customer, rank;

-- Jaccard: b has a tie (a and c at 2/3), broken by the neighbour key
SELECT customer, neighbor, round(similarity::numeric, 6) AS similarity, rank
FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand', 10, 'jaccard')
ORDER BY customer, rank;

-- k = 1 keeps the best only; the metric name is case-insensitive
SELECT customer, neighbor, round(similarity::numeric, 6) AS similarity, rank
FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand', 1, 'JACCARD')
ORDER BY customer, rank;

SELECT customer, round(similarity::numeric, 6) AS similarity, rank
FROM crm.similar_customers('SELECT c, i, w FROM sim_hand', 'a');
SELECT customer, round(similarity::numeric, 6) AS similarity, rank
FROM crm.similar_customers('SELECT c, i, w FROM sim_hand', 'b', 1, 'jaccard');
-- d shares nothing with anyone, e has no profile, zz is unknown: empty results
SELECT * FROM crm.similar_customers('SELECT c, i, w FROM sim_hand', 'd');
SELECT * FROM crm.similar_customers('SELECT c, i, w FROM sim_hand', 'e');
SELECT * FROM crm.similar_customers('SELECT c, i, w FROM sim_hand', 'zz');

-- Items as vectors over customers: x = (a 1, b 1, c 2), y = (a 2, b 1), z = (b 3, c 1)
-- cosine(x,z) = (1*3 + 2*1)/sqrt(6*10) = 0.645497, cosine(x,y) = (2 + 1)/sqrt(6*5) = 0.547723
-- jaccard(x,y) = |{a,b}|/|{a,b,c}| = 2/3 = jaccard(x,z)
SELECT item, round(similarity::numeric, 6) AS similarity, rank
FROM crm.similar_items('SELECT c, i, w FROM sim_hand', 'x');
SELECT item, round(similarity::numeric, 6) AS similarity, rank
FROM crm.similar_items('SELECT c, i, w FROM sim_hand', 'x', 10, 'jaccard');
SELECT * FROM crm.similar_items('SELECT c, i, w FROM sim_hand', 'nope');

-- Recommendations for a: neighbours b (3/sqrt 55) and c (2/5); a lacks z only.
-- score(z) = (0.404520 * 3/sqrt 11 + 0.4 * 1/sqrt 5) / (0.404520 + 0.4)
--          = (0.365901 + 0.178885) / 0.804520 = 0.677158
SELECT item, round(score::numeric, 6) AS score, neighbors, rank
FROM crm.recommend_items('SELECT c, i, w FROM sim_hand', 'a');
-- Jaccard: score(z) = (2/3 * 1 + 1/3 * 1) / (2/3 + 1/3) = 1; with one neighbour (b) also 1
SELECT item, round(score::numeric, 6) AS score, neighbors, rank
FROM crm.recommend_items('SELECT c, i, w FROM sim_hand', 'a', 5, 1, 'jaccard');
-- c's neighbours: b (0.674200), a (0.4); c lacks y: b has y 1/sqrt 11, a has y 2/sqrt 5
-- score(y) = (0.674200 * 0.301511 + 0.4 * 0.894427) / 1.074200 = 0.522296
SELECT item, round(score::numeric, 6) AS score, neighbors, rank
FROM crm.recommend_items('SELECT c, i, w FROM sim_hand', 'c');
SELECT * FROM crm.recommend_items('SELECT c, i, w FROM sim_hand', 'unknown');

-- NULL weight counts as one purchase; repeated pairs add up; any key type works
SELECT customer, neighbor, round(similarity::numeric, 6) AS similarity
FROM crm.nearest_neighbors($$VALUES (1, 10, NULL::int), (1, 11, 1), (2, 10, 1), (2, 11, NULL), (3, 10, 1), (3, 10, 1), (3, 11, 2)$$)
ORDER BY customer, rank;

-- Bad input
SELECT * FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand', 0);
SELECT * FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand', NULL);
SELECT * FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand', 3, 'euclid');
SELECT * FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand', 3, NULL);
SELECT * FROM crm.nearest_neighbors(NULL);
SELECT * FROM crm.nearest_neighbors('SELECT c, i FROM sim_hand');
SELECT * FROM crm.nearest_neighbors('SELECT c, i, c FROM sim_hand');
SELECT * FROM crm.nearest_neighbors('DELETE FROM sim_hand');
SELECT * FROM crm.nearest_neighbors('SELECT 1, 2, 3; SELECT 1, 2, 3');
SELECT * FROM crm.nearest_neighbors($$VALUES ('a', 'x', -1)$$);
SELECT * FROM crm.nearest_neighbors($$VALUES ('a', 'x', 'NaN'::float8)$$);
SELECT * FROM crm.nearest_neighbors($$VALUES ('a', 'x', 'Infinity'::float8)$$);
SELECT * FROM crm.nearest_neighbors($$VALUES ('a', 'x', 1e308::float8), ('a', 'x', 1e308::float8)$$);
SELECT * FROM crm.similar_customers('SELECT c, i, w FROM sim_hand', NULL);
SELECT * FROM crm.similar_customers('SELECT c, i, w FROM sim_hand', 'a', -1);
SELECT * FROM crm.similar_items('SELECT c, i, w FROM sim_hand', 'x', 3, 'pearson');
SELECT * FROM crm.recommend_items('SELECT c, i, w FROM sim_hand', 'a', 10, 0);
-- empty input: empty result
SELECT * FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_hand WHERE false');
-- huge weights are scaled, not overflowed: cosine of (1e300, 1e300) and (1e300, 0) is 1/sqrt 2
SELECT customer, neighbor, round(similarity::numeric, 6) AS similarity
FROM crm.nearest_neighbors($$VALUES ('p', 'x', 1e300::float8), ('p', 'y', 1e300::float8), ('q', 'x', 1e300::float8)$$)
ORDER BY 1;
-- The memory budget: crm_analytics.max_memory bounds the dictionaries, the
-- matrix, the inverted index and the heaps of a search, checked as they grow;
-- past it SQLSTATE 54000 with a hint naming the setting.  The helper reports
-- the SQLSTATE, the message, the stage named by the detail (its kB figures
-- depend on the allocator) and the hint.
CREATE FUNCTION sim_guard(q text)
RETURNS TABLE (outcome text, code text, message text, stage text, hint text)
LANGUAGE plpgsql AS $$
DECLARE
	r text;
	c text;
	m text;
	d text;
	h text;
BEGIN
	EXECUTE q INTO r;
	RETURN QUERY SELECT 'ok: ' || r, NULL::text, NULL::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS c = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
		h = PG_EXCEPTION_HINT;
	RETURN QUERY SELECT 'error', c, m, substring(d FROM '^(.*) would take'), h;
END $$;
-- 60,000 rows (16 bytes each while reading): customer g % 2000 buys item
-- g % 50, so each customer has one item (2000 is a multiple of 50) and 39
-- twins with the same item: 10 neighbours each, all of similarity 1
SET crm_analytics.max_memory = '1MB';
SELECT * FROM sim_guard($$SELECT count(*) FROM crm.nearest_neighbors('SELECT g % 2000, g % 50, 1 FROM pg_catalog.generate_series(1, 60000) g')$$);
RESET crm_analytics.max_memory;
SELECT * FROM sim_guard($$SELECT count(*) || ' neighbours, similarity ' || min(similarity) || ' to ' || max(similarity) FROM crm.nearest_neighbors('SELECT g % 2000, g % 50, 1 FROM pg_catalog.generate_series(1, 60000) g')$$);
-- the settings of 0.1.0 are gone: crm_analytics.max_memory replaces
-- crm_analytics.similarity_max_memory
SET crm_analytics.similarity_max_memory = '1GB';

--
-- Agreement with a brute-force reference (every pair compared in SQL) on
-- random data, at every rank: the similarity values must be the same, and
-- the similarity of each neighbour we return must be its true similarity.
--
SELECT setseed(0.42);
CREATE TABLE sim_rand AS
SELECT 'c' || lpad((1 + floor(random() * 300))::int::text, 3, '0') AS c,
       (1 + floor(60 * random() * random()))::int AS i,
       CASE WHEN random() < 0.05 THEN NULL ELSE (1 + floor(random() * 5))::int END AS w
FROM generate_series(1, 3000);
CREATE TABLE sim_ref AS
WITH p AS (SELECT c, i, sum(coalesce(w, 1))::float8 AS w FROM sim_rand GROUP BY c, i),
nrm AS (SELECT c, sqrt(sum(w * w)) AS nrm, count(*) AS sz FROM p GROUP BY c),
pairs AS (SELECT a.c AS ca, b.c AS cb, sum(a.w * b.w) AS dot, count(*) AS inter
          FROM p a JOIN p b ON a.i = b.i AND a.c <> b.c GROUP BY 1, 2)
SELECT ca, cb, dot / (na.nrm * nb.nrm) AS cosine, inter::float8 / (na.sz + nb.sz - inter) AS jaccard
FROM pairs JOIN nrm na ON na.c = ca JOIN nrm nb ON nb.c = cb;
SELECT count(*) AS customers, (SELECT count(*) FROM sim_ref) AS pairs_sharing_an_item FROM (SELECT DISTINCT c FROM sim_rand) x;

CREATE FUNCTION sim_compare(metric text, k int) RETURNS TABLE (rows_ours bigint, rows_ref bigint, value_mismatches bigint, wrong_neighbours bigint)
LANGUAGE sql AS $$
WITH ours AS (SELECT * FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', k, metric)),
ref AS (SELECT ca, cb, sim, row_number() OVER (PARTITION BY ca ORDER BY sim DESC, cb COLLATE "C") AS rk
        FROM (SELECT ca, cb, CASE metric WHEN 'cosine' THEN cosine ELSE jaccard END AS sim FROM sim_ref) s)
SELECT (SELECT count(*) FROM ours), (SELECT count(*) FROM ref WHERE rk <= k),
       (SELECT count(*) FROM ours o FULL JOIN (SELECT * FROM ref WHERE rk <= k) r ON r.ca = o.customer AND r.rk = o.rank
        WHERE o.similarity IS NULL OR r.sim IS NULL OR abs(o.similarity - r.sim) > 1e-9),
       (SELECT count(*) FROM ours o LEFT JOIN ref r ON r.ca = o.customer AND r.cb = o.neighbor
        WHERE r.sim IS NULL OR abs(o.similarity - r.sim) > 1e-9)
$$;
SELECT 'cosine' AS metric, 10 AS k, * FROM sim_compare('cosine', 10)
UNION ALL SELECT 'jaccard', 10, * FROM sim_compare('jaccard', 10)
UNION ALL SELECT 'cosine', 1, * FROM sim_compare('cosine', 1)
UNION ALL SELECT 'jaccard', 1000, * FROM sim_compare('jaccard', 1000);

-- with a memory limit too low for one heap per customer (300 x 200 hits =
-- 960 kB > a quarter of 2 MB), customers are searched one at a time: same results
SET crm_analytics.max_memory = '2MB';
SELECT 'cosine' AS metric, 200 AS k, * FROM sim_compare('cosine', 200);
RESET crm_analytics.max_memory;

-- ties are broken by the neighbour key: within equal similarities, ascending keys
SELECT count(*) AS tie_order_violations
FROM (SELECT customer, neighbor, similarity,
             lag(similarity) OVER w AS prev_sim, lag(neighbor) OVER w AS prev_nb
      FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', 50, 'jaccard')
      WINDOW w AS (PARTITION BY customer ORDER BY rank)) x
WHERE prev_sim < similarity OR (prev_sim = similarity AND prev_nb COLLATE "C" > neighbor COLLATE "C");
SELECT count(*) > 100 AS has_many_ties
FROM (SELECT customer, similarity FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', 50, 'jaccard')
      GROUP BY 1, 2 HAVING count(*) > 1) x;

-- similar_customers agrees with nearest_neighbors for every customer
SELECT count(*) AS differences
FROM (SELECT DISTINCT c FROM sim_rand) cs,
     LATERAL (SELECT customer, similarity, rank FROM crm.similar_customers('SELECT c, i, w FROM sim_rand', cs.c, 5)
              EXCEPT
              SELECT neighbor, similarity, rank FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', 5) WHERE customer = cs.c) d
WHERE cs.c < 'c020';

-- similar_items against a brute-force item-item reference, for every item
CREATE TABLE sim_item_ref AS
WITH p AS (SELECT c, i, sum(coalesce(w, 1))::float8 AS w FROM sim_rand GROUP BY c, i),
nrm AS (SELECT i, sqrt(sum(w * w)) AS nrm, count(*) AS sz FROM p GROUP BY i),
pairs AS (SELECT a.i AS ia, b.i AS ib, sum(a.w * b.w) AS dot, count(*) AS inter
          FROM p a JOIN p b ON a.c = b.c AND a.i <> b.i GROUP BY 1, 2)
SELECT ia, ib, dot / (na.nrm * nb.nrm) AS sim,
       row_number() OVER (PARTITION BY ia ORDER BY dot / (na.nrm * nb.nrm) DESC, ib::text COLLATE "C") AS rk
FROM pairs JOIN nrm na ON na.i = ia JOIN nrm nb ON nb.i = ib;
WITH ours AS (SELECT its.i, o.* FROM (SELECT DISTINCT i FROM sim_rand) its,
              LATERAL crm.similar_items('SELECT c, i, w FROM sim_rand', its.i::text, 8) o)
SELECT count(*) AS item_rows, count(*) FILTER (WHERE o.similarity IS NULL OR r.sim IS NULL
                                               OR abs(o.similarity - r.sim) > 1e-9) AS item_value_mismatches
FROM ours o FULL JOIN (SELECT * FROM sim_item_ref WHERE rk <= 8) r ON r.ia = o.i AND r.rk = o.rank;

-- recommend_items against the formula in SQL (20 nearest neighbours, cosine)
WITH p AS (SELECT c, i::text AS i, sum(coalesce(w, 1))::float8 AS w FROM sim_rand GROUP BY c, i),
unit AS (SELECT c, i, w / sqrt(sum(w * w) OVER (PARTITION BY c)) AS r FROM p),
nb AS (SELECT neighbor, similarity FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', 20) WHERE customer = 'c007'),
ref AS (SELECT u.i, sum(nb.similarity * u.r) / (SELECT sum(similarity) FROM nb) AS score, count(*) AS n
        FROM nb JOIN unit u ON u.c = nb.neighbor
        WHERE u.i NOT IN (SELECT i FROM p WHERE c = 'c007') GROUP BY u.i),
ours AS (SELECT * FROM crm.recommend_items('SELECT c, i, w FROM sim_rand', 'c007', 1000))
SELECT (SELECT count(*) FROM ours) AS recommended, (SELECT count(*) FROM ref) AS reference,
       count(*) FILTER (WHERE o.item IS NULL OR r.i IS NULL OR abs(o.score - r.score) > 1e-9 OR o.neighbors <> r.n) AS mismatches,
       bool_and(o.rank = 1 OR o.score <= (SELECT score FROM ours o2 WHERE o2.rank = o.rank - 1)) AS ordered
FROM ours o FULL JOIN ref r ON r.i = o.item;

--
-- Stored profiles
--
SELECT '{3:1, 1:2.5, 7:0}'::crm.profile AS dropped_zero, '{}'::crm.profile AS empty,
       '{ -5 : 1e-3 ,2:3}'::crm.profile AS spaces;
SELECT crm.profile_items('{3:1,1:2.5}'), crm.profile_weights('{3:1,1:2.5}'), crm.profile_size('{3:1,1:2.5}');
SELECT crm.profile(ARRAY[5, 2, 9], ARRAY[1, 0, 0.5]::real[]);
-- the hand case again: a = {x 1, y 2}, b = {x 1, y 1, z 3} with x = 1, y = 2, z = 3
SELECT round(crm.profile_cosine('{1:1,2:2}', '{1:1,2:1,3:3}')::numeric, 6) AS cosine_ab,
       round(crm.profile_jaccard('{1:1,2:2}', '{1:1,2:1,3:3}')::numeric, 6) AS jaccard_ab,
       crm.profile_cosine('{1:1}', '{2:1}') AS disjoint, crm.profile_cosine('{}', '{1:1}') AS empty_cos,
       crm.profile_jaccard('{}', '{}') AS empty_jac, crm.profile_cosine('{1:3,2:4}', '{1:6,2:8}') AS same_direction;
-- binary round trip
-- binary form: n = 2, flags 0, (1, 2.5 = 0x40200000), (3, 1.0 = 0x3f800000)
SELECT crm.profile_send('{1:2.5,3:1}');
-- bad input
SELECT '{1:1,1:2}'::crm.profile;
SELECT '{1:-1}'::crm.profile;
SELECT '{1:NaN}'::crm.profile;
SELECT '{1:1e39}'::crm.profile;
SELECT '{1 2}'::crm.profile;
SELECT '[1:2]'::crm.profile;
SELECT '{1:2} x'::crm.profile;
SELECT '{99999999999:1}'::crm.profile;
SELECT crm.profile(ARRAY[1, 2], ARRAY[1]::real[]);
SELECT crm.profile(ARRAY[1, NULL], ARRAY[1, 2]::real[]);

-- the aggregate: repeated items add, NULL weight = 1, NULL item skipped, zero totals dropped
SELECT crm.purchase_profile(i, w)
FROM (VALUES (3, 2.0), (1, NULL), (3, 0.5), (NULL, 7.0), (9, 0.0)) v(i, w);
SELECT crm.purchase_profile(i, w) FROM (VALUES (1, -1.0)) v(i, w);
SELECT crm.purchase_profile(i, w) IS NULL AS no_rows FROM (VALUES (1, 1.0)) v(i, w) WHERE false;

-- profiles of the random data: the profile similarities equal nearest_neighbors
CREATE TABLE sim_profiles AS
SELECT c, crm.purchase_profile(i, w) AS p FROM sim_rand GROUP BY c;
SELECT count(*) AS mismatches
FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', 5) o
JOIN sim_profiles a ON a.c = o.customer JOIN sim_profiles b ON b.c = o.neighbor
WHERE abs(crm.profile_cosine(a.p, b.p) - o.similarity) > 1e-6;
SELECT count(*) AS mismatches
FROM crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', 5, 'jaccard') o
JOIN sim_profiles a ON a.c = o.customer JOIN sim_profiles b ON b.c = o.neighbor
WHERE crm.profile_jaccard(a.p, b.p) <> o.similarity;

-- a forced parallel plan gives the same profiles as a serial one
CREATE TABLE sim_par AS
SELECT g % 7 AS grp, (hashint4(g) & 1023) AS item, (g % 5)::float8 AS w FROM generate_series(1, 200000) g;
ANALYZE sim_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT grp, crm.purchase_profile(item, w) FROM sim_par GROUP BY grp;
CREATE TEMP TABLE par_result AS SELECT grp, crm.purchase_profile(item, w)::text AS p FROM sim_par GROUP BY grp;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser_result AS SELECT grp, crm.purchase_profile(item, w)::text AS p FROM sim_par GROUP BY grp;
RESET max_parallel_workers_per_gather;
SELECT count(*) AS groups, count(*) FILTER (WHERE s.p IS DISTINCT FROM r.p) AS differences
FROM ser_result s FULL JOIN par_result r USING (grp);

-- index lookup: a GIN index on the item ids finds the candidates (profiles
-- sharing an item), the C function ranks them; same top 5 as the full scan
CREATE TABLE sim_store AS SELECT c, p FROM sim_profiles;
CREATE INDEX sim_store_items ON sim_store USING gin (crm.profile_items(p));
ANALYZE sim_store;
CREATE INDEX ON sim_store (c);
SET enable_seqscan = off;
PREPARE lookup(text) AS
SELECT s.c, crm.profile_cosine(s.p, t.p) AS similarity
FROM sim_store s, (SELECT p FROM sim_store WHERE c = $1 OFFSET 0) t
WHERE crm.profile_items(s.p) && crm.profile_items(t.p) AND s.c <> $1
ORDER BY similarity DESC, s.c LIMIT 5;
EXPLAIN (COSTS OFF) EXECUTE lookup('c007');
EXECUTE lookup('c007');
SELECT count(*) AS differences_from_similar_customers FROM (
	(SELECT s.c, round(crm.profile_cosine(s.p, t.p)::numeric, 9) AS sim
	 FROM sim_store s, (SELECT p FROM sim_store WHERE c = 'c007' OFFSET 0) t
	 WHERE crm.profile_items(s.p) && crm.profile_items(t.p) AND s.c <> 'c007'
	 ORDER BY crm.profile_cosine(s.p, t.p) DESC, s.c LIMIT 5)
	EXCEPT ALL
	SELECT customer, round(similarity::numeric, 9) FROM crm.similar_customers('SELECT c, i, w FROM sim_rand', 'c007', 5)) d;
RESET enable_seqscan;

-- the fast exact lookup: posting lists (item -> customer ids with their unit
-- weights) with a B-tree on item; crm.profile_candidates accumulates the
-- cosines over the target's items and keeps the customers that may be in the
-- top k (+1 for the customer itself); crm.profile_cosine ranks them exactly
SELECT crm.profile_unit('{1:3,2:4}') AS unit_3_4, crm.profile_unit('{}') AS empty_unit;
CREATE TABLE sim_store2 AS SELECT substr(c, 2)::int AS id, p FROM sim_profiles;
ALTER TABLE sim_store2 ADD PRIMARY KEY (id);
CREATE TABLE sim_postings AS
SELECT e.item, crm.purchase_profile(s.id, e.w) AS postings
FROM sim_store2 s, unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w)
GROUP BY e.item;
ALTER TABLE sim_postings ADD PRIMARY KEY (item);
CREATE FUNCTION sim_fast_lookup(target_id int, k int) RETURNS TABLE (id int, similarity float8)
LANGUAGE sql STABLE AS $$
WITH t AS MATERIALIZED (SELECT p FROM sim_store2 WHERE id = target_id),
cand AS (SELECT unnest(crm.profile_candidates(t.p, x.item, x.postings, k + 1)) AS id
         FROM t, sim_postings x WHERE x.item = ANY (crm.profile_items(t.p)))
SELECT s.id, crm.profile_cosine(s.p, t.p) AS similarity
FROM cand JOIN sim_store2 s USING (id), t
WHERE s.id <> target_id
ORDER BY similarity DESC, s.id LIMIT k
$$;
SELECT * FROM sim_fast_lookup(7, 5);
-- for every customer and k = 1, 5, 40: the same values, rank by rank, as
-- nearest_neighbors, and each neighbour has its brute-force similarity (the
-- order of two neighbours with mathematically equal similarity may differ:
-- the two paths add the products in a different item order, so such values
-- can differ in the last bit)
WITH ours AS (SELECT ks.k, o.customer, o.neighbor, o.similarity, o.rank
              FROM (VALUES (1), (5), (40)) ks(k), LATERAL crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', ks.k) o),
fast AS (SELECT ks.k, 'c' || lpad(s.id::text, 3, '0') AS customer, 'c' || lpad(l.id::text, 3, '0') AS neighbor, l.similarity,
                row_number() OVER (PARTITION BY ks.k, s.id ORDER BY l.similarity DESC, l.id)::int AS rank
         FROM (VALUES (1), (5), (40)) ks(k), sim_store2 s, LATERAL sim_fast_lookup(s.id, ks.k) l)
SELECT k, count(*) AS rows,
       count(*) FILTER (WHERE (abs(o.similarity - f.similarity) <= 1e-9) IS NOT TRUE) AS value_differences,
       count(*) FILTER (WHERE (abs(r.cosine - f.similarity) <= 1e-9) IS NOT TRUE) AS wrong_neighbours
FROM ours o FULL JOIN fast f USING (k, customer, rank)
     LEFT JOIN sim_ref r ON r.ca = f.customer AND r.cb = f.neighbor
GROUP BY k ORDER BY k;
-- Jaccard: posting lists hold each customer's number of items, so the
-- candidates are exact; the same neighbours as nearest_neighbors, rank by rank
CREATE TABLE sim_postings_jac AS
SELECT e.item, crm.purchase_profile(s.id, crm.profile_size(s.p)) AS postings
FROM sim_store2 s, unnest(crm.profile_items(s.p)) AS e(item)
GROUP BY e.item;
ALTER TABLE sim_postings_jac ADD PRIMARY KEY (item);
CREATE FUNCTION sim_fast_lookup_jaccard(target_id int, k int) RETURNS TABLE (id int, similarity float8)
LANGUAGE sql STABLE AS $$
WITH t AS MATERIALIZED (SELECT p FROM sim_store2 WHERE id = target_id),
cand AS (SELECT unnest(crm.profile_candidates_jaccard(t.p, x.item, x.postings, k + 1)) AS id
         FROM t, sim_postings_jac x WHERE x.item = ANY (crm.profile_items(t.p)))
SELECT s.id, crm.profile_jaccard(s.p, t.p) AS similarity
FROM cand JOIN sim_store2 s USING (id), t
WHERE s.id <> target_id
ORDER BY similarity DESC, s.id LIMIT k
$$;
SELECT * FROM sim_fast_lookup_jaccard(7, 5);
WITH ours AS (SELECT ks.k, o.customer, o.neighbor, o.similarity, o.rank
              FROM (VALUES (1), (5), (40)) ks(k), LATERAL crm.nearest_neighbors('SELECT c, i, w FROM sim_rand', ks.k, 'jaccard') o),
fast AS (SELECT ks.k, 'c' || lpad(s.id::text, 3, '0') AS customer, 'c' || lpad(l.id::text, 3, '0') AS neighbor, l.similarity,
                row_number() OVER (PARTITION BY ks.k, s.id ORDER BY l.similarity DESC, l.id)::int AS rank
         FROM (VALUES (1), (5), (40)) ks(k), sim_store2 s, LATERAL sim_fast_lookup_jaccard(s.id, ks.k) l)
SELECT k, count(*) AS rows,
       count(*) FILTER (WHERE o.neighbor IS DISTINCT FROM f.neighbor OR o.similarity IS DISTINCT FROM f.similarity) AS differences
FROM ours o FULL JOIN fast f USING (k, customer, rank)
GROUP BY k ORDER BY k;
SELECT crm.profile_candidates_jaccard('{1:1}', 1, '{5:2.5}', 3);
SELECT crm.profile_candidates_jaccard('{1:1,2:1}', i, postings, 3)
FROM (VALUES (1, '{5:2}'::crm.profile), (2, '{5:3}')) v(i, postings);
-- bad input
SELECT crm.profile_candidates(p, 1, p, 0) FROM sim_store2 WHERE id = 7;
SELECT crm.profile_candidates(p, 1, p, NULL) FROM sim_store2 WHERE id = 7;
SELECT crm.profile_candidates(s.p, 1, crm.profile_unit(s.p), 3) FROM sim_store2 s WHERE id IN (7, 8);
-- posting lists built from raw weights instead of unit weights
SELECT crm.profile_candidates('{1:1}', 1, '{5:3}', 3);

-- A forced parallel plan gives the same candidates as a serial one.  Posting
-- lists of 500 items over 2,000 customers (about 120 each); the target holds
-- every item, so every row adds to the state.  With the leader not taking
-- part, the workers' states go through serialization and the combine
-- function whenever a worker starts.
SELECT setseed(0.7);
CREATE TABLE sim_par_rows AS
SELECT 1 + floor(random() * 2000)::int AS c, 1 + floor(random() * 500)::int AS i,
       1 + floor(random() * 4)::int AS w
FROM generate_series(1, 60000);
CREATE TABLE sim_par_profiles AS SELECT c AS id, crm.purchase_profile(i, w) AS p FROM sim_par_rows GROUP BY c;
CREATE TABLE sim_par_post AS
SELECT e.item, crm.purchase_profile(s.id, e.w) AS postings
FROM sim_par_profiles s, unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w)
GROUP BY e.item;
CREATE TABLE sim_par_post_jac AS
SELECT e.item, crm.purchase_profile(s.id, crm.profile_size(s.p)) AS postings
FROM sim_par_profiles s, unnest(crm.profile_items(s.p)) AS e(item)
GROUP BY e.item;
ANALYZE sim_par_post;
ANALYZE sim_par_post_jac;
SELECT count(*) AS posting_lists, sum(crm.profile_size(postings)) AS postings,
       pg_relation_size('sim_par_post') / current_setting('block_size')::int > 1 AS several_pages
FROM sim_par_post;
SELECT crm.profile(array_agg(g), array_fill(1::real, ARRAY[500]))::text AS target FROM generate_series(1, 500) g \gset
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT crm.profile_candidates(:'target', item, postings, 20) FROM sim_par_post;
EXPLAIN (COSTS OFF) SELECT crm.profile_candidates_jaccard(:'target', item, postings, 20) FROM sim_par_post_jac;
CREATE TEMP TABLE cand_par AS
SELECT (SELECT crm.profile_candidates(:'target', item, postings, 20) FROM sim_par_post) AS cosine,
       (SELECT crm.profile_candidates_jaccard(:'target', item, postings, 20) FROM sim_par_post_jac) AS jaccard;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE cand_ser AS
SELECT (SELECT crm.profile_candidates(:'target', item, postings, 20) FROM sim_par_post) AS cosine,
       (SELECT crm.profile_candidates_jaccard(:'target', item, postings, 20) FROM sim_par_post_jac) AS jaccard;
RESET max_parallel_workers_per_gather;
-- the same candidates, at least the k asked for, and (independently) the
-- exact top 20 by crm.profile_cosine / crm.profile_jaccard of every profile
-- among them
SELECT cardinality(s.cosine) >= 20 AS cosine_k, s.cosine = p.cosine AS cosine_same,
       cardinality(s.jaccard) >= 20 AS jaccard_k, s.jaccard = p.jaccard AS jaccard_same
FROM cand_ser s, cand_par p;
SELECT count(*) FILTER (WHERE NOT t.id = ANY (p.cosine)) AS cosine_top20_missing
FROM cand_par p, (SELECT id FROM sim_par_profiles ORDER BY crm.profile_cosine(p, :'target') DESC, id LIMIT 20) t;
SELECT count(*) FILTER (WHERE NOT t.id = ANY (p.jaccard)) AS jaccard_top20_missing
FROM cand_par p, (SELECT id FROM sim_par_profiles ORDER BY crm.profile_jaccard(p, :'target') DESC, id LIMIT 20) t;

-- The memory budget of the stored-profile aggregates, per state: a profile
-- of 100,000 items needs a state of 131,072 pairs (12 bytes each), more
-- than 1 MB; a posting list of 100,000 customers, as many candidates
SET crm_analytics.max_memory = '1MB';
SELECT * FROM sim_guard($$SELECT crm.profile_size(crm.purchase_profile(g, 1)) FROM pg_catalog.generate_series(1, 100000) g$$);
RESET crm_analytics.max_memory;
SELECT * FROM sim_guard($$SELECT crm.profile_size(crm.purchase_profile(g, 1)) FROM pg_catalog.generate_series(1, 100000) g$$);
CREATE TABLE sim_big_post AS
SELECT 1 AS item, crm.purchase_profile(g, g / 100000.0) AS unit, crm.purchase_profile(g, 1 + g % 7) AS sizes
FROM generate_series(1, 100000) g;
SET crm_analytics.max_memory = '1MB';
SELECT * FROM sim_guard($$SELECT crm.profile_candidates('{1:1}', item, unit, 10) FROM sim_big_post$$);
SELECT * FROM sim_guard($$SELECT crm.profile_candidates_jaccard('{1:1}', item, sizes, 10) FROM sim_big_post$$);
RESET crm_analytics.max_memory;
-- cosine with the one-item target is the unit weight g / 100000: the top 10
-- are 99991 .. 100000; Jaccard is 1 / size, largest (1) for the customers of
-- size 1, g % 7 = 0: all floor(100000 / 7) = 14285 of them tie for the top
SELECT * FROM sim_guard($$SELECT crm.profile_candidates('{1:1}', item, unit, 10) FROM sim_big_post$$);
SELECT * FROM sim_guard($$SELECT cardinality(c) || ' candidates, all of size 1: ' || (SELECT bool_and(x % 7 = 0) FROM unnest(c) x) FROM (SELECT crm.profile_candidates_jaccard('{1:1}', item, sizes, 10) AS c FROM sim_big_post) s$$);
