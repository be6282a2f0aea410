-- Small generated tables for the fuzzers (test/fuzz/run.sh loads this into a
-- database that has the extension).  Deterministic: setseed, then random().
-- The tables are owned by the unprivileged role the fuzzers connect as.
SET statement_timeout = 0;
SET client_min_messages = warning;
SELECT pg_catalog.setseed(0.4242);

-- orders: (customer, ordered_at, amount) for crm.rfm_scores, rfm_summary, clv_summary
CREATE TABLE fz_orders AS
SELECT 'c' || (1 + (random() * 29)::int) AS cust,
	   timestamptz '2023-01-01 00:00:00+00' + (random() * 400) * interval '1 day' AS ts,
	   round((random() * 200)::numeric, (random() * 10)::int) AS amt,
	   random() * 200 AS amt8
FROM generate_series(1, 300);
-- a few amounts that leave the fast integer path of the exact sums
INSERT INTO fz_orders VALUES
	('c1', '2023-03-01', 12345678901234567.123456789, 1e16),
	('c1', '2023-03-01', 0.000000001, 1e-9),
	('c2', '2023-03-01', 99999999999999999999, 1e20),
	('c2', '2023-03-01', 1.0 / 3, 1.0 / 3);

-- baskets: (basket, item) for crm.frequent_itemsets and crm.association_rules
CREATE TABLE fz_baskets AS
SELECT DISTINCT 'b' || b AS basket, 'i' || (1 + (random() * random() * 14)::int) AS item
FROM generate_series(1, 200) b, generate_series(1, 4) j;

-- weights: (customer, item, weight) for the similarity functions
CREATE TABLE fz_weights AS
SELECT 'c' || (1 + (random() * 39)::int) AS cust, 'i' || (1 + (random() * 19)::int) AS item,
	   round((random() * 5)::numeric, 2)::float8 AS w
FROM generate_series(1, 400);

-- points in three planted groups, for crm.kmeans and crm.kmeans_evaluate
CREATE TABLE fz_points AS
SELECT i AS seq, ARRAY[(i % 3) * 10 + random(), (i % 3) * -5 + random(), random()] AS f
FROM generate_series(1, 300) i;

-- buy-till-you-die summaries for the fits
CREATE TABLE fz_clv AS
SELECT (s).frequency::float8 AS frequency, (s).recency, (s).t,
	   coalesce((s).monetary_value, 0) AS monetary
FROM (SELECT crm.clv_summary(ts, amt, '2024-03-01', '1 day') AS s FROM fz_orders GROUP BY cust) x;

-- stored purchase profiles
CREATE TABLE fz_profiles AS
SELECT cust AS id, crm.purchase_profile(substr(item, 2)::int, w) AS p
FROM fz_weights GROUP BY cust;
-- binary COPY of corrupted profiles lands here
CREATE TABLE fz_profile_sink (p crm.profile);

-- association rules for crm.cross_sell
CREATE TABLE fz_rules AS
SELECT * FROM crm.association_rules('SELECT basket, item FROM fz_baskets', 0.02, 0.1, 3);
CREATE TABLE fz_rules_empty AS SELECT * FROM fz_rules WHERE false;
CREATE TABLE fz_rules_wrong (antecedent int, consequent text);

-- one row source for every aggregate: a column of each argument type the
-- extension uses; rows with hostile = true hold extreme and malformed values.
-- In the other rows i2, ts2 and iv are the same in every row (parameters of
-- the aggregates: k, as_of, unit).
CREATE TABLE fz_rows (
	seq integer, g integer, hostile boolean,
	f1 float8, f2 float8, f3 float8, f4 float8,
	i1 integer, i2 integer, b1 bigint, n1 numeric,
	ts1 timestamptz, ts2 timestamptz, ts3 timestamptz, iv interval,
	fa float8[], ia integer[], ra real[], t1 text, ta text[], p crm.profile
);
INSERT INTO fz_rows
SELECT i, i % 7, false,
	   (random() * 10)::int, random() * 100, 100 + random() * 300, 1 + random() * 50,
	   1 + (random() * 30)::int, 3, (random() * 1000)::bigint,
	   -- scales up to 11 decimals and a few amounts of 10^16 and more: both
	   -- paths of the exact sums (src/numsum.c)
	   CASE WHEN i % 97 = 0 THEN 1e16 + i ELSE round((random() * 500)::numeric, i % 12) END,
	   timestamptz '2023-01-01 00:00:00+00' + random() * interval '365 days',
	   timestamptz '2024-01-01 00:00:00+00',
	   -- 23 days in a scrambled order: the same day comes back out of order
	   timestamptz '2023-06-01 00:00:00+00' + ((i * 7919) % 23) * interval '1 day' + (i % 5) * interval '1 hour',
	   interval '1 day',
	   ARRAY[(i % 3) * 10 + random(), random()],
	   ARRAY[1 + (random() * 20)::int, 21 + (random() * 20)::int],
	   ARRAY[random()::real, random()::real],
	   'c' || (i % 50), ARRAY['i' || (i % 11), 'i' || (i % 13)],
	   (SELECT p FROM fz_profiles ORDER BY id OFFSET i % 30 LIMIT 1)
FROM generate_series(1, 3000) i;
INSERT INTO fz_rows
SELECT 3000 + i, i % 7, true,
	   (ARRAY[0, -1, 1e308, 'NaN', 'Infinity', '-Infinity', 5e-324, -0.0, NULL, 1e15])[1 + i % 10]::float8,
	   (ARRAY[1e308, 0, 'NaN', -1e-300, 'Infinity', NULL, 2, 1e-320, -5, 3])[1 + (i * 3) % 10]::float8,
	   (ARRAY[0, -1, 'Infinity', 1e308, 'NaN', NULL, 7, 1e-300, 1, 2])[1 + (i * 7) % 10]::float8,
	   (ARRAY['-Infinity', 0, 1e300, NULL, 'NaN', -3, 1, 2, 3, 4])[1 + (i * 11) % 10]::float8,
	   (ARRAY[0, -1, 2147483647, -2147483648, NULL, 1, 1000000, 2, 3, 65536])[1 + i % 10],
	   (ARRAY[0, -1, 2147483647, NULL, 1, 2])[1 + i % 6],
	   (ARRAY[0, -1, 9223372036854775807, -9223372036854775808, NULL, 1])[1 + i % 6],
	   (ARRAY['NaN', 'Infinity', '-Infinity', '1e16', '-12345678901234567.123456789',
			  '0.000000001', NULL, '1e1000', '-1e-1000', '0'])[1 + i % 10]::numeric,
	   (ARRAY['infinity', '-infinity', '4713-01-01 00:00:00+00 BC', '294276-12-31 23:59:59+00',
			  NULL, '2000-01-01', '2024-02-29 12:00:00+05', '1970-01-01'])[1 + i % 8]::timestamptz,
	   (ARRAY['infinity', '-infinity', '4713-01-01 00:00:00+00 BC', NULL, '2000-01-01',
			  '2024-01-01'])[1 + (i * 5) % 6]::timestamptz,
	   (ARRAY['2023-06-01', '-infinity', NULL, '2023-06-01 23:59:59.999999+00'])[1 + i % 4]::timestamptz,
	   (ARRAY['0', '-1 day', '1 month', '1 microsecond', '178000000 years', NULL,
			  '1 month -30 days', '2147483647 days'])[1 + i % 8]::interval,
	   (ARRAY['{}', '{NULL}', '{NaN,1}', '{Infinity,1}', '{1e308,1e308}', '{1,2,3}',
			  '{{1,2},{3,4}}', '[5:6]={1,2}', NULL, '{-1e308,1e308}', '{1}', '{{{1}}}'])[1 + i % 12]::float8[],
	   (ARRAY['{}', '{NULL}', '{-1,0}', '{2147483647,-2147483648}', '{1,1,1}', '{{1,2},{3,4}}',
			  NULL, '[0:1]={5,6}'])[1 + i % 8]::int[],
	   (ARRAY['{}', '{NULL}', '{NaN,1}', '{-1,2}', '{3e38,3e38}', '{0,0}', '{{1,2},{3,4}}', NULL,
			  '{1}', '{1,2,3}'])[1 + (i * 3) % 10]::real[],
	   (ARRAY['', NULL, repeat('x', 5000), E'\u00e9\u4e2d', ' ', 'c1'])[1 + i % 6],
	   (ARRAY['{}', '{NULL}', '{"",""}', '{{a,b},{c,d}}', NULL, '{a,a,a}'])[1 + i % 6]::text[],
	   (ARRAY[NULL, '{}', '{1:0.5}', '{2147483647:3e38,-2147483648:1e-45}'])[1 + i % 4]::crm.profile
FROM generate_series(1, 120) i;
ALTER TABLE fz_rows SET (parallel_workers = 2);
CREATE INDEX ON fz_rows (seq);

-- a canary the caller's queries must never change (checked after each call)
CREATE TABLE fz_canary (id integer PRIMARY KEY, v text);
INSERT INTO fz_canary SELECT i, 'v' || i FROM generate_series(1, 10) i;
CREATE SEQUENCE fz_seq;
CREATE FUNCTION fz_write() RETURNS integer LANGUAGE sql VOLATILE AS
	$$ DELETE FROM fz_canary WHERE id = 1; SELECT 1 $$;

ANALYZE fz_orders, fz_baskets, fz_weights, fz_points, fz_clv, fz_profiles, fz_rules, fz_rows;
