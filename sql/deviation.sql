-- Deviation analysis: crm.robust_zscore, crm.median_abs_deviation, crm.gesd,
-- crm.detect_anomalies, crm.stl, crm.customer_deviation
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- median_abs_deviation by hand:
--  1,2,3,4,100: median 3, |x - 3| = 2,1,0,1,97, median 1
--  1,2,3,4:     median 2.5, |x - 2.5| = 1.5,0.5,0.5,1.5, median 1
SELECT crm.median_abs_deviation(x) FROM (VALUES (1), (2), (3), (4), (100)) v(x);
SELECT crm.median_abs_deviation(x) FROM (VALUES (4), (1), (3), (2)) v(x);
SELECT crm.median_abs_deviation(x) AS all_equal FROM (VALUES (7), (7), (7)) v(x);
SELECT crm.median_abs_deviation(x) IS NULL AS empty FROM (VALUES (1)) v(x) WHERE false;
SELECT crm.median_abs_deviation(x) AS nulls_skipped FROM (VALUES (1), (NULL), (5)) v(x);
SELECT crm.median_abs_deviation('NaN');
SELECT crm.median_abs_deviation('-Infinity');

-- robust z-score 0.6745 (x - median) / mad, in one query with the aggregates
SELECT x, round(crm.robust_zscore(x, med, mad)::numeric, 6) AS z
FROM (VALUES (1), (2), (3), (4), (100)) v(x),
	 (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS med, crm.median_abs_deviation(x) AS mad
	  FROM (VALUES (1), (2), (3), (4), (100)) w(x)) s
ORDER BY x;
-- a MAD of 0: 0 at the median, infinite elsewhere
SELECT crm.robust_zscore(5, 5, 0), crm.robust_zscore(6, 5, 0), crm.robust_zscore(4, 5, 0);
SELECT crm.robust_zscore(NULL, 5, 1) IS NULL AS strict;
SELECT crm.robust_zscore(1, 5, -1);
SELECT crm.robust_zscore(1, 'NaN', 1);

-- parallel plan: partial aggregates combined in the leader, equal to the serial result
CREATE TABLE dev_par AS
SELECT i % 13 AS g, ((i * 7919) % 10007) / 100.0 + (i % 13) AS v
FROM generate_series(1, 200000) i;
ANALYZE dev_par;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE dev_serial AS SELECT g, crm.median_abs_deviation(v) AS mad FROM dev_par GROUP BY g;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT g, crm.median_abs_deviation(v) FROM dev_par GROUP BY g;
CREATE TABLE dev_parallel AS SELECT g, crm.median_abs_deviation(v) AS mad FROM dev_par GROUP BY g;
EXPLAIN (COSTS OFF) SELECT crm.median_abs_deviation(v) FROM dev_par;
SELECT crm.median_abs_deviation(v) AS parallel_all FROM dev_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT crm.median_abs_deviation(v) AS serial_all FROM dev_par;
SELECT count(*) AS groups, count(*) FILTER (WHERE s.mad IS DISTINCT FROM p.mad) AS differ
FROM dev_serial s FULL JOIN dev_parallel p USING (g);
-- independent: the median of |v - median| per group in plain SQL
SELECT count(*) FILTER (WHERE abs(s.mad - r.mad) > 1e-9) AS differ_from_sql
FROM dev_serial s JOIN (
	SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(v - med)) AS mad
	FROM dev_par JOIN (SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS med
					   FROM dev_par GROUP BY g) m USING (g)
	GROUP BY g) r USING (g);
RESET max_parallel_workers_per_gather;

-- running window aggregate: equal to the aggregate over each prefix
CREATE TABLE dev_win AS SELECT i AS seq, ((i * 37) % 23)::float8 AS v FROM generate_series(1, 60) i;
SELECT count(*) AS rows_compared,
	   count(*) FILTER (WHERE w IS DISTINCT FROM (SELECT crm.median_abs_deviation(v) FROM dev_win d2
												  WHERE d2.seq <= d1.seq)) AS differ
FROM (SELECT seq, crm.median_abs_deviation(v) OVER (ORDER BY seq) AS w FROM dev_win) d1;

-- crm.gesd on a hand-checked case: 1..10 and 50, 60
-- step 1: mean 19.583.., s 20.45.. -> 60 farthest; step 2: 50 farthest among 11
CREATE TABLE dev_g (k text, v float8);
INSERT INTO dev_g SELECT 'p' || i, i FROM generate_series(1, 10) i;
INSERT INTO dev_g VALUES ('big', 50), ('huge', 60);
SELECT step, key, value, round(r::numeric, 6) AS r, round(lambda::numeric, 6) AS lambda, is_outlier
FROM crm.gesd('SELECT k, v FROM dev_g', 3);
-- R_1 from plain SQL: max |x - mean| / sample sd
SELECT round((max(abs(v - m)) / s)::numeric, 6) AS r1_by_sql
FROM dev_g, (SELECT avg(v) AS m, stddev_samp(v) AS s FROM dev_g) a GROUP BY s;
-- lambda_1 from the t quantile by bisection on the t distribution function in SQL is in
-- test/t/900_gesd_rosner.sh (against scipy); here: critical values decrease with i
SELECT bool_and(lambda < lag) AS decreasing
FROM (SELECT lambda, lag(lambda) OVER (ORDER BY step) FROM crm.gesd('SELECT k, v FROM dev_g', 8)) x
WHERE lag IS NOT NULL;
-- ties: the point that comes first in the input is removed first
SELECT step, key FROM crm.gesd('SELECT * FROM (VALUES (''a'', 0), (''b'', 10), (''c'', 0), (''d'', 10), (''e'', 5)) v(k, x)', 2);
-- keys of any type, NULL keys, numeric values
SELECT step, key IS NULL AS null_key, value FROM crm.gesd('SELECT NULLIF(i, 12), i::numeric ^ 2 FROM generate_series(1, 12) i', 1);
-- bad input
SELECT * FROM crm.gesd('SELECT k, v FROM dev_g', 11);
SELECT * FROM crm.gesd('SELECT k, v FROM dev_g', 0);
SELECT * FROM crm.gesd('SELECT k, v FROM dev_g', 2, 1.5);
SELECT * FROM crm.gesd('SELECT k, v FROM dev_g', 2, 0);
SELECT * FROM crm.gesd('SELECT k FROM dev_g', 2);
SELECT * FROM crm.gesd('SELECT k, k FROM dev_g', 2);
SELECT * FROM crm.gesd('DELETE FROM dev_g RETURNING k, v', 2);
SELECT * FROM crm.gesd('SELECT 1, ''NaN''::float8 UNION ALL SELECT 2, 1 UNION ALL SELECT 3, 2', 1);
SELECT * FROM crm.gesd(NULL, 2);
-- all equal values: the sd is 0, nothing is tested
SELECT count(*) AS tested FROM crm.gesd('SELECT i, 5 FROM generate_series(1, 20) i', 3);

-- crm.detect_anomalies: 10 days of hourly values, a daily cycle and a slow trend, with three
-- planted anomalies (one high, two low); the noise is a fixed pseudo-random pattern
CREATE TABLE dev_hourly AS
SELECT '2024-03-01'::timestamptz + i * interval '1 hour' AS ts,
	   100 + 0.05 * i + 20 * sin(2 * pi() * i / 24) + ((i * 7919) % 13 - 6) * 0.5
	   + CASE i WHEN 50 THEN 60 WHEN 130 THEN -45 WHEN 200 THEN -50 ELSE 0 END AS v
FROM generate_series(0, 239) i;
SELECT ts, value, round(expected::numeric, 1) AS expected, round(score::numeric, 2) AS score
FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 24);
SELECT ts FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 24, 0.02, 0.05, 'pos');
SELECT ts FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 24, 0.02, 0.05, 'neg');
-- rows in any order, date or timestamp times, numeric values
SELECT count(*) FROM crm.detect_anomalies('SELECT ts::timestamp, v::numeric FROM dev_hourly ORDER BY random()', 24);
-- a series with a constant part: the MAD of what is left becomes 0 and the test stops
SELECT count(*) FROM crm.detect_anomalies('SELECT ts, 5 FROM dev_hourly', 24);
-- bad input
SELECT * FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 120);
SELECT * FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 0);
SELECT * FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 24, 0.6);
SELECT * FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 24, 0.02, 1);
SELECT * FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly', 24, 0.02, 0.05, 'up');
SELECT * FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly WHERE ts <> ''2024-03-03 05:00''', 24);
SELECT * FROM crm.detect_anomalies('SELECT ts, v FROM dev_hourly UNION ALL SELECT ''2024-03-02'', 1', 24);
SELECT * FROM crm.detect_anomalies('SELECT ts, NULLIF(v, v) FROM dev_hourly', 24);
SELECT * FROM crm.detect_anomalies('SELECT ts + interval ''1 minute'' * (ts = ''2024-03-02'')::int, v FROM dev_hourly', 24);

-- crm.stl: value = seasonal + trend + remainder; a periodic season repeats exactly
SELECT count(*) AS points,
	   max(abs(value - seasonal - trend - remainder)) < 1e-9 AS adds_up,
	   count(DISTINCT round(seasonal::numeric, 9)) AS distinct_seasonals
FROM crm.stl('SELECT ts, v FROM dev_hourly', 24);
SELECT count(*) FILTER (WHERE weight < 0.5) AS downweighted FROM crm.stl('SELECT ts, v FROM dev_hourly', 24);
SELECT min(weight) = 1 AS not_robust FROM crm.stl('SELECT ts, v FROM dev_hourly', 24, false);
SELECT count(DISTINCT round(seasonal::numeric, 6)) > 24 AS seasonal_window_varies
FROM crm.stl('SELECT ts, v FROM dev_hourly', 24, true, 7);
SELECT * FROM crm.stl('SELECT ts, v FROM dev_hourly', 1);
SELECT * FROM crm.stl('SELECT ts, v FROM dev_hourly', 24, true, 1);

-- crm.customer_deviation by hand: monthly periods ending 2024-07-01, history 6 (Dec..May)
--  a: 100 every month of the history, June 40 -> median 100, mad 0 -> -Infinity
--  b: history 10,20,30,40,50,60, June 35 -> median 35, |x-35| = 25,15,5,5,15,25 -> mad 15, z 0
--  c: history 10,20,30,40,50,60 (two orders in May: 25 + 35), June 95 -> z 0.6745 * 60 / 15 = 2.698
--  d: orders only before the window, and after as_of: not listed
--  e: nothing in the history, June 30: median 0, mad 0 -> Infinity, 0 active periods
CREATE TABLE dev_orders (cust text, ts timestamptz, amount numeric);
INSERT INTO dev_orders
SELECT 'a', '2023-12-15'::timestamptz + m * interval '1 month', 100 FROM generate_series(0, 5) m;
INSERT INTO dev_orders VALUES ('a', '2024-06-30 23:59:59', 40);
INSERT INTO dev_orders
SELECT 'b', '2023-12-01'::timestamptz + m * interval '1 month', 10 * (m + 1) FROM generate_series(0, 5) m;
INSERT INTO dev_orders VALUES ('b', '2024-06-01', 35);
INSERT INTO dev_orders
SELECT 'c', '2023-12-10'::timestamptz + m * interval '1 month', 10 * (m + 1) FROM generate_series(0, 4) m;
INSERT INTO dev_orders VALUES ('c', '2024-05-02', 25), ('c', '2024-05-31', 35), ('c', '2024-06-10', 95);
INSERT INTO dev_orders VALUES ('d', '2023-01-01', 500), ('d', '2024-07-01', 500);
INSERT INTO dev_orders VALUES ('e', '2024-06-05', 30);
SELECT customer, current, median, mad, round(robust_z::numeric, 4) AS robust_z, active_periods, current_rows
FROM crm.customer_deviation('SELECT cust, ts, amount FROM dev_orders', '1 month', '2024-07-01')
ORDER BY robust_z, customer;
-- the same with a shorter history and weekly periods
SELECT customer, current, median, mad FROM crm.customer_deviation(
	'SELECT cust, ts, amount FROM dev_orders WHERE cust = ''c''', '7 days', '2024-06-12', 3);
-- bad input
SELECT * FROM crm.customer_deviation('SELECT cust, ts, amount FROM dev_orders', '-1 month', '2024-07-01');
SELECT * FROM crm.customer_deviation('SELECT cust, ts, amount FROM dev_orders', '1 month', '2024-07-01', 1);
SELECT * FROM crm.customer_deviation('SELECT cust, ts, amount FROM dev_orders', '1 month', 'infinity');
SELECT * FROM crm.customer_deviation('SELECT cust, amount, ts FROM dev_orders', '1 month', '2024-07-01');
SELECT * FROM crm.customer_deviation('SELECT cust, ts FROM dev_orders', '1 month', '2024-07-01');
