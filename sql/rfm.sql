-- RFM: crm.rfm_summary, crm.rfm_scores, crm.rfm_segment
SET timezone = 'UTC';
SET extra_float_digits = 0;

CREATE TABLE rfm_orders (customer text, ordered_at timestamptz, amount numeric);
INSERT INTO rfm_orders VALUES
	('a', '2024-01-01 10:00', 10.50),
	('a', '2024-01-10 00:00', 20.25),
	('a', '2024-01-20 12:00', 5.00),
	('a', NULL, 99),                      -- skipped: NULL time
	('a', '2024-01-05', NULL),            -- skipped: NULL amount
	('b', '2024-01-15 00:00', 100),
	('b', '2024-02-05 00:00', 50),        -- after as_of: not counted
	('c', '2023-12-01 00:00', 30.00),
	('c', '2023-12-01 00:00', -5.00),     -- a return
	('d', '2024-03-01 00:00', 10);        -- only after as_of

-- Hand-computed, as of 2024-02-01 00:00 UTC:
--  a: last order 11.5 days before -> recency 11; first 30 days 14 h before -> tenure 30;
--     3 orders, 35.75 in total, 11.9166... on average
--  b: one order 17 days before (the February order is after as_of): 17, 1, 100, tenure 17
--  c: two orders on 2023-12-01, 62 days before: 62, 2, 25.00
--  d: nothing on or before as_of: NULL
SELECT customer, (s).*
FROM (SELECT customer, crm.rfm_summary(ordered_at, amount, '2024-02-01') AS s
	  FROM rfm_orders GROUP BY customer) x
ORDER BY customer;

-- the float8 variant gives the same measures
SELECT customer, (s).recency_days, (s).frequency, (s).monetary, (s).tenure_days
FROM (SELECT customer, crm.rfm_summary(ordered_at, amount::float8, '2024-02-01') AS s
	  FROM rfm_orders GROUP BY customer) x
ORDER BY customer;

-- the as_of cut: a snapshot of any past date is one query
SELECT customer, (crm.rfm_summary(ordered_at, amount, '2024-01-12')).frequency
FROM rfm_orders GROUP BY customer ORDER BY customer;
SELECT (crm.rfm_summary(ordered_at, amount, '2024-01-10 00:00')).recency_days AS same_instant_is_counted
FROM rfm_orders WHERE customer = 'a';

-- no rows, or only NULL rows: NULL (like max() of nothing)
SELECT crm.rfm_summary(ordered_at, amount, '2024-02-01') IS NULL AS empty_is_null FROM rfm_orders WHERE false;
SELECT crm.rfm_summary(NULL::timestamptz, NULL::numeric, '2024-02-01') IS NULL AS nulls_only_is_null;

-- exact sums: agrees with sum(numeric) on values that take the slow path
-- (more than 8 decimals, 10^16 and more) mixed with ordinary amounts
CREATE TABLE rfm_big (amount numeric);
INSERT INTO rfm_big VALUES (0.123456789), (1e20), (-1e20), (12345678901234567.5), (3.10),
	(-0.000000001), (99999999999999.99999999), (0), (-7.25);
SELECT (crm.rfm_summary('2024-01-01', amount, '2024-02-01')).monetary = sum(amount) AS exact_sum,
	   (crm.rfm_summary('2024-01-01', amount, '2024-02-01')).monetary::text = sum(amount)::text AS same_scale,
	   sum(amount)
FROM rfm_big;
SELECT (crm.rfm_summary('2024-01-01', amount, '2024-02-01')).monetary::text
FROM (VALUES (1.5), (2.25), (3)) v(amount);

-- bad input to the aggregate
SELECT crm.rfm_summary(ordered_at, amount, NULL) FROM rfm_orders;
SELECT crm.rfm_summary(ordered_at, amount, 'infinity') FROM rfm_orders;
SELECT crm.rfm_summary('-infinity', 1.0, '2024-01-01');
SELECT crm.rfm_summary('2024-01-01', 'NaN'::numeric, '2024-02-01');
SELECT crm.rfm_summary('2024-01-01', 'Infinity'::float8, '2024-02-01');
SELECT crm.rfm_summary(t, 1.0, t) FROM (VALUES ('2024-01-01'::timestamptz), ('2024-01-02')) v(t);

-- parallel plan: partial aggregates in workers, combined in the leader,
-- equal to the serial result and to plain SQL
CREATE TABLE rfm_par AS
SELECT (i % 997)::bigint AS customer,
	   '2023-01-01'::timestamptz + ((i * 7919) % 40000) * interval '15 minutes' AS ordered_at,
	   ((i * 31) % 10000) / 100.0 - 5 AS amount
FROM generate_series(1, 200000) i;
ANALYZE rfm_par;
CREATE TABLE rfm_serial AS
SELECT customer, crm.rfm_summary(ordered_at, amount, '2024-01-01') AS s FROM rfm_par GROUP BY customer;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT customer, crm.rfm_summary(ordered_at, amount, '2024-01-01') FROM rfm_par GROUP BY customer;
CREATE TABLE rfm_parallel AS
SELECT customer, crm.rfm_summary(ordered_at, amount, '2024-01-01') AS s FROM rfm_par GROUP BY customer;
CREATE TABLE rfm_parallel_f AS
SELECT customer, crm.rfm_summary(ordered_at, amount::float8, '2024-01-01') AS s FROM rfm_par GROUP BY customer;
EXPLAIN (COSTS OFF)
SELECT crm.rfm_summary(ordered_at, amount, '2024-01-01') FROM rfm_par;
SELECT (crm.rfm_summary(ordered_at, amount, '2024-01-01')).* FROM rfm_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT (crm.rfm_summary(ordered_at, amount, '2024-01-01')).* FROM rfm_par;
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE p.s::text IS DISTINCT FROM s.s::text) AS parallel_differs
FROM rfm_serial s FULL JOIN rfm_parallel p USING (customer);
-- independent reference: plain SQL
WITH ref AS (
	SELECT customer,
		   extract(epoch FROM '2024-01-01'::timestamptz - max(ordered_at))::bigint / 86400 AS recency_days,
		   count(*) AS frequency, sum(amount) AS monetary, min(ordered_at) AS first_order,
		   max(ordered_at) AS last_order,
		   extract(epoch FROM '2024-01-01'::timestamptz - min(ordered_at))::bigint / 86400 AS tenure_days,
		   avg(amount) AS avg_order_value
	FROM rfm_par WHERE ordered_at <= '2024-01-01' GROUP BY customer)
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE (r.recency_days, r.frequency, r.monetary, r.first_order, r.last_order,
							   r.tenure_days, r.avg_order_value)::crm.rfm_summary
						IS DISTINCT FROM p.s) AS differs_from_sql,
	   count(*) FILTER (WHERE abs((f.s).monetary - r.monetary) > 1e-6) AS float8_differs
FROM ref r FULL JOIN rfm_parallel p USING (customer) FULL JOIN rfm_parallel_f f USING (customer);
RESET max_parallel_workers_per_gather;

-- crm.rfm_segment: every one of the 125 cells has exactly one of the 11 segments
SELECT crm.rfm_segment(r, f, m) AS segment, count(*) AS cells
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
GROUP BY 1 ORDER BY 1;
SELECT r, f, m, crm.rfm_segment(r, f, m)
FROM (VALUES (5,5,5), (4,4,4), (1,5,5), (2,4,3), (1,3,5), (3,4,3), (5,3,3), (5,1,5), (4,1,1),
			 (5,2,1), (4,3,2), (3,2,1), (3,5,2), (3,1,4), (2,2,5), (2,1,1), (1,1,5), (1,2,1),
			 (2,3,2), (1,4,1)) v(r, f, m);
SELECT crm.rfm_segment(0, 3, 3);
SELECT crm.rfm_segment(3, 6, 3);
SELECT crm.rfm_segment(NULL, 3, 3) IS NULL AS strict;

-- crm.rfm_scores on a hand-checked case: 10 customers, frequencies 1,1,1,1,1,1,2,2,3,5
-- F = 1 + floor(5 * W / 10), W = customers with fewer orders:
--   f=1: W=0 -> 1;  f=2: W=6 -> 4;  f=3: W=8 -> 5;  f=5: W=9 -> 5
CREATE TABLE rfm_hand (cust int, ordered_at timestamptz, amount numeric);
INSERT INTO rfm_hand
SELECT c, '2024-01-01'::timestamptz + (c * 3 + k) * interval '1 day', 10 * c
FROM (VALUES (1,1), (2,1), (3,1), (4,1), (5,1), (6,1), (7,2), (8,2), (9,3), (10,5)) v(c, n),
	 generate_series(1, n) k;
-- recency (as of 2024-03-01): customer c's last order is day 3c+n after 2024-01-01,
-- all distinct, so recency splits 10 customers into 5 bins of 2 (c1,c2 -> 1 ... c9,c10 -> 5);
-- monetary = 10 c n: 10,20,30,40,50,60,140,160,270,500 -> bins of 2 in that order
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', '2024-03-01')
ORDER BY customer::int;
SELECT customer, r_score, f_score, m_score, rfm_cell, segment
FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', '2024-03-01', 3)
ORDER BY customer::int;
SELECT customer, rfm_cell, segment
FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', '2024-03-01', 10)
ORDER BY customer::int LIMIT 3;

-- ties: equal values always get equal scores, and the scores match the
-- independent SQL formula 1 + floor(bins * (rank() - 1) / N) with rank() over
-- worst-to-best order, for several bin counts
CREATE TABLE rfm_ties AS
SELECT (i % 500) AS cust,
	   '2023-06-01'::timestamptz + ((i * 37) % 60) * interval '1 day' AS ordered_at,
	   round(((i * 13) % 50) * 1.5, 2) AS amount
FROM generate_series(1, 1200) i;
WITH s AS (
	SELECT cust::text AS customer, max(ordered_at) AS last, count(*) AS f, sum(amount) AS m
	FROM rfm_ties GROUP BY cust),
ref AS (
	SELECT b, customer,
		   1 + floor(b * (rank() OVER (PARTITION BY b ORDER BY last) - 1)::numeric / count(*) OVER (PARTITION BY b))::int AS r,
		   1 + floor(b * (rank() OVER (PARTITION BY b ORDER BY f) - 1)::numeric / count(*) OVER (PARTITION BY b))::int AS f,
		   1 + floor(b * (rank() OVER (PARTITION BY b ORDER BY m) - 1)::numeric / count(*) OVER (PARTITION BY b))::int AS m
	FROM s, (VALUES (2), (3), (5), (7), (10), (100)) v(b)),
ours AS (
	SELECT b, x.* FROM (VALUES (2), (3), (5), (7), (10), (100)) v(b),
		 crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_ties', '2023-09-01', b) x)
SELECT b, count(*) AS customers,
	   count(*) FILTER (WHERE ref.r IS DISTINCT FROM ours.r_score OR ref.f IS DISTINCT FROM ours.f_score
						OR ref.m IS DISTINCT FROM ours.m_score) AS mismatches,
	   min(ours.f_score) AS min_f, max(ours.f_score) AS max_f
FROM ref FULL JOIN ours USING (b, customer) GROUP BY b ORDER BY b;

-- wide ranges and every kind of key and amount: 3,001 customers with sparse
-- bigint keys (negative and positive: hashed, not in the direct map), last
-- orders spread over 110 years and one customer with 14,000 orders (scored
-- by sorting, not by counting values), amounts of 10^20 and with 10
-- decimals (compared as numerics) or not (as 128-bit integers).  Scores and
-- measures match the SQL formula, and integer keys score as their text does.
CREATE TABLE rfm_wide AS
SELECT (i % 3000) * 1000000007::bigint - 1500000000000 AS cust,
	   '1950-01-01'::timestamptz + ((i * 7919) % 40000) * interval '1 day' AS ordered_at,
	   CASE WHEN i % 997 = 0 THEN 1e20 + i WHEN i % 991 = 0 THEN 0.0000000001 * i
			ELSE round(((i * 13) % 5000) * 0.37, 2) END AS amount
FROM generate_series(1, 30000) i
UNION ALL
SELECT 42, '1990-01-01', 1 FROM generate_series(1, 14000);
WITH q(name, sql) AS (VALUES
	('all amounts', 'SELECT cust, ordered_at, amount FROM rfm_wide'),
	('fast amounts', 'SELECT cust, ordered_at, amount FROM rfm_wide WHERE amount < 1e15 AND amount = round(amount, 8)')),
s AS (
	SELECT name, cust::text AS customer, max(ordered_at) AS last, count(*) AS f, sum(amount) AS m
	FROM q, rfm_wide WHERE name = 'all amounts' OR (amount < 1e15 AND amount = round(amount, 8))
	GROUP BY name, cust),
ref AS (
	SELECT name, b, customer, ('2060-01-01'::date - last::date) AS recency_days, f, m,
		   1 + floor(b * (rank() OVER (PARTITION BY name, b ORDER BY last) - 1)::numeric / count(*) OVER (PARTITION BY name, b))::int AS r,
		   1 + floor(b * (rank() OVER (PARTITION BY name, b ORDER BY f) - 1)::numeric / count(*) OVER (PARTITION BY name, b))::int AS fs,
		   1 + floor(b * (rank() OVER (PARTITION BY name, b ORDER BY m) - 1)::numeric / count(*) OVER (PARTITION BY name, b))::int AS ms
	FROM s, (VALUES (3), (7)) v(b)),
ours AS (
	SELECT name, b, x.* FROM q, (VALUES (3), (7)) v(b), crm.rfm_scores(sql, '2060-01-01', b) x),
ours_text AS (
	SELECT name, b, x.* FROM q, (VALUES (3), (7)) v(b),
		 crm.rfm_scores(replace(sql, 'SELECT cust,', 'SELECT cust::text,'), '2060-01-01', b) x),
diff AS (
	SELECT name, b, count(*) AS n FROM (SELECT * FROM ours EXCEPT ALL SELECT * FROM ours_text) d
	GROUP BY name, b)
SELECT name, b, count(*) AS customers,
	   count(*) FILTER (WHERE ref.r IS DISTINCT FROM ours.r_score OR ref.fs IS DISTINCT FROM ours.f_score
						OR ref.ms IS DISTINCT FROM ours.m_score OR ref.recency_days IS DISTINCT FROM ours.recency_days
						OR ref.f IS DISTINCT FROM ours.frequency OR ref.m::text IS DISTINCT FROM ours.monetary::text)
		   AS mismatches,
	   coalesce(max(diff.n), 0) AS int_not_text,
	   count(DISTINCT ours.m_score) AS m_scores, max(ours.frequency) AS max_f
FROM ref FULL JOIN ours USING (name, b, customer) LEFT JOIN diff USING (name, b)
GROUP BY name, b ORDER BY name, b;

-- key of any type, timestamp and date columns, integer and float amounts
SELECT customer, recency_days, frequency, monetary
FROM crm.rfm_scores($$SELECT (cust, 'x')::record, ordered_at::timestamp, amount::int FROM rfm_hand WHERE cust <= 2$$, '2024-03-01')
ORDER BY 1;
SELECT customer, recency_days, frequency, monetary
FROM crm.rfm_scores('SELECT cust::bigint, ordered_at::date, amount::float8 FROM rfm_hand WHERE cust = 10;', '2024-03-01')
ORDER BY 1;
-- customers with NULL keys are skipped; customers with no order before as_of are not scored
SELECT count(*) FROM crm.rfm_scores('SELECT NULL::int, now(), 1.0');
SELECT customer, frequency FROM crm.rfm_scores('SELECT customer, ordered_at, amount FROM rfm_orders', '2024-02-01') ORDER BY 1;

-- empty input: no rows, no error
SELECT count(*) FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand WHERE false');

-- bad input: a clear error naming the problem
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at FROM rfm_hand');
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount, 1 FROM rfm_hand');
SELECT * FROM crm.rfm_scores('SELECT cust, amount, ordered_at FROM rfm_hand');
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount::text FROM rfm_hand');
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', '2024-03-01', 1);
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', '2024-03-01', 101);
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', NULL);
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', '2024-03-01', NULL);
SELECT * FROM crm.rfm_scores(NULL);
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM no_such_table');
SELECT * FROM crm.rfm_scores('DELETE FROM rfm_hand RETURNING cust, ordered_at, amount');
SELECT * FROM crm.rfm_scores('SELECT 1, now(), 1; SELECT 2, now(), 2');
SELECT * FROM crm.rfm_scores('SELECT cust, ordered_at, amount FROM rfm_hand', 'infinity');
SELECT * FROM crm.rfm_scores('SELECT 1, now(), ''NaN''::numeric');
SELECT count(*) FROM rfm_hand;  -- still all there
-- the memory budget: the customer table of crm.rfm_scores is checked against
-- crm_analytics.max_memory as it grows (SQLSTATE 54000, hint naming it)
-- (the size in the DETAIL depends on the server's allocator: an
-- assertion-enabled build pads its chunks, so it is printed as N kB)
SET crm_analytics.max_memory = '1MB';
DO $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  PERFORM count(*) FROM crm.rfm_scores('SELECT i, ''2024-01-01''::timestamptz, 1.0 FROM generate_series(1, 200000) i', '2024-03-01');
  RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RAISE NOTICE '%: %', st, msg;
  RAISE NOTICE 'detail: %', regexp_replace(det, 'take [0-9]+ kB', 'take N kB');
  RAISE NOTICE 'detail size above the limit: %', substring(det from 'take ([0-9]+) kB')::int > 1024;
  RAISE NOTICE 'hint: %', hnt;
END $$;
RESET crm_analytics.max_memory;
SELECT count(*) FROM crm.rfm_scores('SELECT i, ''2024-01-01''::timestamptz, 1.0 FROM generate_series(1, 200000) i', '2024-03-01');
