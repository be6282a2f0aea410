-- Profit analysis: crm.gini, crm.top_share, crm.abc_classes, crm.lorenz_curve
SET extra_float_digits = 0;

-- Gini by hand: 1, 2, 3, 4, 10 (sum 20, sum i x_(i) = 80):
--  (2 * 80 / 20 - 6) / 5 = 0.4; unbiased 0.4 * 5 / 4 = 0.5
SELECT crm.gini(x), crm.gini(x, true) AS unbiased, crm.gini(x, false) AS biased
FROM (VALUES (4), (10), (1), (3), (2)) v(x);
-- one customer holds everything: (n - 1) / n, unbiased 1
SELECT crm.gini(x), crm.gini(x, true) AS unbiased FROM (VALUES (0), (0), (0), (10)) v(x);
-- equal values: 0; one value: 0 (unbiased: NULL); a total of 0 or no rows: NULL
SELECT crm.gini(x) AS equal FROM (VALUES (5), (5), (5)) v(x);
SELECT crm.gini(7) AS one, crm.gini(7, true) IS NULL AS one_unbiased_null;
SELECT crm.gini(x) IS NULL AS zero_total FROM (VALUES (0), (0)) v(x);
SELECT crm.gini(x) IS NULL AS empty FROM (VALUES (1)) v(x) WHERE false;
SELECT crm.gini(x) AS nulls_skipped FROM (VALUES (4), (NULL), (10), (1), (3), (2)) v(x);
SELECT crm.gini(x) FROM (VALUES (4), (-1)) v(x);
SELECT crm.gini(x, NULL) FROM (VALUES (4), (1)) v(x);
SELECT crm.gini(x, x > 2) FROM (VALUES (4), (1)) v(x);

-- top share by hand on 1, 2, 3, 4, 10 (sum 20): top 20 % = 1 row: 10/20; 40 % = 2 rows: 14/20;
-- 50 % = ceil(2.5) = 3 rows: 17/20; 100 %: 1
SELECT crm.top_share(x, 0.2) AS top20, crm.top_share(x, 0.4) AS top40, crm.top_share(x, 0.5) AS top50,
	   crm.top_share(x, 1) AS top100, crm.top_share(x, 0.01) AS top1
FROM (VALUES (4), (10), (1), (3), (2)) v(x);
-- 0.2 x 10 rows is 2 rows (not 3 through 2.0000000000000004), 0.3 x 10 is 3
SELECT crm.top_share(x, 0.2) AS top2_of_10, crm.top_share(x, 0.3) AS top3_of_10
FROM generate_series(1, 10) x;
SELECT crm.top_share(x, 0.2) IS NULL AS zero_total FROM (VALUES (0), (0)) v(x);
SELECT crm.top_share(x, 0) FROM (VALUES (1)) v(x);
SELECT crm.top_share(x, 1.5) FROM (VALUES (1)) v(x);
SELECT crm.top_share(x, NULL) FROM (VALUES (1)) v(x);
SELECT crm.top_share(x, x / 10.0) FROM (VALUES (1), (2)) v(x);
SELECT crm.top_share(x, 0.2) FROM (VALUES (1), (-2)) v(x);

-- parallel plans equal the serial results and plain SQL
CREATE TABLE conc_par AS
SELECT i % 7 AS g, (((i * 7919) % 10007) / 10.0) ^ (1 + i % 7 / 3.0) AS v FROM generate_series(1, 200000) i;
ANALYZE conc_par;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE conc_serial AS
SELECT g, crm.gini(v) AS gini, crm.gini(v, true) AS gini_u, crm.top_share(v, 0.2) AS top
FROM conc_par GROUP BY g;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT g, crm.gini(v), crm.top_share(v, 0.2) FROM conc_par GROUP BY g;
CREATE TABLE conc_parallel AS
SELECT g, crm.gini(v) AS gini, crm.gini(v, true) AS gini_u, crm.top_share(v, 0.2) AS top
FROM conc_par GROUP BY g;
EXPLAIN (COSTS OFF) SELECT crm.gini(v), crm.top_share(v, 0.2) FROM conc_par;
CREATE TABLE conc_parallel_all AS SELECT crm.gini(v) AS gini, crm.top_share(v, 0.2) AS top FROM conc_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS groups,
	   count(*) FILTER (WHERE abs(s.gini - p.gini) > 1e-12 OR abs(s.gini_u - p.gini_u) > 1e-12
						OR abs(s.top - p.top) > 1e-12) AS differ
FROM conc_serial s FULL JOIN conc_parallel p USING (g);
-- independent: Gini from ranks, top share from row_number, in plain SQL
WITH r AS (SELECT g, v, row_number() OVER (PARTITION BY g ORDER BY v) AS i,
				  row_number() OVER (PARTITION BY g ORDER BY v DESC) AS d, count(*) OVER (PARTITION BY g) AS n
		   FROM conc_par),
ref AS (SELECT g, sum((2 * i - n - 1) * v) / (max(n) * sum(v)) AS gini,
			   sum(v) FILTER (WHERE d <= ceil(0.2 * n)) / sum(v) AS top
		FROM r GROUP BY g)
SELECT count(*) FILTER (WHERE abs(s.gini - ref.gini) > 1e-9 OR abs(s.top - ref.top) > 1e-9) AS differ_from_sql
FROM conc_serial s JOIN ref USING (g);
SELECT abs(p.gini - s.gini) < 1e-12 AND abs(p.top - s.top) < 1e-12 AS whole_table_same
FROM conc_parallel_all p, (SELECT crm.gini(v) AS gini, crm.top_share(v, 0.2) AS top FROM conc_par) s;
RESET max_parallel_workers_per_gather;

-- running window aggregates equal the aggregates over each prefix
CREATE TABLE conc_win AS SELECT i AS seq, ((i * 37) % 23)::float8 AS v FROM generate_series(1, 50) i;
SELECT count(*) AS rows_compared,
	   count(*) FILTER (WHERE g IS DISTINCT FROM (SELECT crm.gini(v) FROM conc_win c2 WHERE c2.seq <= c1.seq)
						OR t IS DISTINCT FROM (SELECT crm.top_share(v, 0.3) FROM conc_win c2 WHERE c2.seq <= c1.seq)
						OR u IS DISTINCT FROM (SELECT crm.gini(v, true) FROM conc_win c2 WHERE c2.seq <= c1.seq)) AS differ
FROM (SELECT seq, crm.gini(v) OVER w AS g, crm.top_share(v, 0.3) OVER w AS t, crm.gini(v, true) OVER w AS u
	  FROM conc_win WINDOW w AS (ORDER BY seq)) c1;

-- ABC classes: the key that crosses a is an A (A is the smallest top set holding >= a)
--  50, 40, 10: cumulative before 0, 0.5, 0.9 -> A, A, B
--  80, 15, 5: cumulative before 0, 0.8, 0.95 -> A, B, C (reaching exactly 0.8 ends A)
SELECT * FROM crm.abc_classes('SELECT * FROM (VALUES (''x'', 50), (''y'', 40), (''z'', 10)) v(k, a)');
SELECT * FROM crm.abc_classes('SELECT * FROM (VALUES (''x'', 80), (''y'', 15), (''z'', 5)) v(k, a)');
-- rows of a key are summed; ties in value are ordered by key (byte order)
SELECT key, value, class, rank FROM crm.abc_classes(
	'SELECT * FROM (VALUES (''b'', 10), (''a'', 4), (''a'', 6), (''B'', 10), (''c'', 70)) v(k, a)', 0.7, 0.9);
-- integer keys become text, numeric values float8; zero values are C
SELECT key, class FROM crm.abc_classes('SELECT i, (i = 1)::int * 100 FROM generate_series(1, 3) i');
SELECT count(*) AS no_rows FROM crm.abc_classes('SELECT 1, 1 WHERE false');
SELECT * FROM crm.abc_classes('SELECT 1, 1', 0.9, 0.8);
SELECT * FROM crm.abc_classes('SELECT 1, 1', 0, 0.8);
SELECT * FROM crm.abc_classes('SELECT * FROM (VALUES (1, 5), (1, -6), (2, 3)) v(k, a)');
SELECT * FROM crm.abc_classes('SELECT * FROM (VALUES (1, 0), (2, 0)) v(k, a)');
SELECT * FROM crm.abc_classes('SELECT 1');

-- Lorenz curve of 1, 2, 3, 4 (total 10): 0, 0.1, 0.3, 0.6, 1 at quarters; halfway between points
SELECT * FROM crm.lorenz_curve('SELECT * FROM (VALUES (3), (1), (4), (2)) v(x)', 4);
SELECT point, value_share FROM crm.lorenz_curve('SELECT * FROM (VALUES (3), (1), (4), (2)) v(x)', 8) WHERE point IN (1, 3);
-- (key, value) rows are summed per key; with points = n the trapezoid area gives the biased Gini
SELECT round((1 - sum((value_share + prev) / 4))::numeric, 12) AS gini_from_curve,
	   (SELECT round(crm.gini(x)::numeric, 12) FROM (VALUES (3), (1), (4), (2)) v(x)) AS gini
FROM (SELECT value_share, lag(value_share) OVER (ORDER BY point) AS prev
	  FROM crm.lorenz_curve('SELECT * FROM (VALUES (''c'', 1), (''a'', 1), (''c'', 2), (''d'', 4), (''b'', 2)) v(k, x)', 4)) x
WHERE prev IS NOT NULL;
SELECT count(*) AS no_rows FROM crm.lorenz_curve('SELECT 1 WHERE false');
SELECT * FROM crm.lorenz_curve('SELECT 1', 0);
SELECT * FROM crm.lorenz_curve('SELECT -1');
SELECT * FROM crm.lorenz_curve('SELECT 0');
SELECT * FROM crm.lorenz_curve('SELECT 1, 2, 3');
