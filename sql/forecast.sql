-- Customer future analysis: crm.holt_winters, crm.forecast
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- Holt's linear trend by hand (period 1, alpha = beta = 0.5) on 1, 3, 4, 7, 8:
--  start: level x2 = 3, trend x2 - x1 = 2; one-step errors from t = 3:
--  t=3: xhat 5,      e -1,      level 4.5,     trend 1.75
--  t=4: xhat 6.25,   e 0.75,    level 6.625,   trend 1.9375
--  t=5: xhat 8.5625, e -0.5625, level 8.28125, trend 1.796875
--  SSE 1.87890625; residual variance 0.829427083 (n - 1 = 2)
CREATE TABLE hw_hand (d date, v float8);
INSERT INTO hw_hand VALUES ('2024-01-01', 1), ('2024-01-02', 3), ('2024-01-03', 4), ('2024-01-04', 7), ('2024-01-05', 8);
SELECT (m).kind, (m).period, (m).alpha, (m).beta, (m).gamma, (m).level, (m).trend, (m).seasonal,
	   (m).sse, round((m).sigma2::numeric, 9) AS sigma2, (m).n, (m).last_ts, (m).step
FROM (SELECT crm.holt_winters(d, v, 1, 'additive', 0.5, 0.5, NULL) AS m FROM hw_hand) s;
-- forecasts 10.078125, 11.875, 13.671875; 95 % half-widths 1.959964 sqrt(0.829427 (1 + sum psi_j^2)),
-- psi_j = alpha (1 + j beta) = 0.75, 1: 1.784996, 2.231245 (x sqrt(1.5625)), 2.857387 (x sqrt(2.5625))
SELECT step, ts, forecast, round((upper - forecast)::numeric, 6) AS half_width,
	   round((forecast - lower)::numeric, 6) AS half_width_below
FROM (SELECT crm.holt_winters(d, v, NULL, 'additive', 0.5, 0.5, NULL) AS m FROM hw_hand) s, crm.forecast(m, 3);
SELECT step, round((upper - forecast)::numeric, 6) AS half_width_80
FROM (SELECT crm.holt_winters(d, v, 1, 'additive', 0.5, 0.5, NULL) AS m FROM hw_hand) s, crm.forecast(m, 1, 0.8);

-- a seasonal series (period 4, trend, multiplicative noise), fitted both ways
CREATE TABLE hw_q AS
SELECT '2015-01-01'::timestamptz + i * interval '3 months' AS ts,
	   (100 + 3 * i) * (1 + 0.2 * sin(pi() * i / 2) + 0.1 * cos(pi() * i)) * (1 + ((i * 7919) % 11 - 5) / 200.0) AS v
FROM generate_series(0, 35) i;
SELECT (m).kind, (m).period, round((m).alpha::numeric, 3) AS alpha, round((m).beta::numeric, 3) AS beta,
	   round((m).gamma::numeric, 3) AS gamma, round((m).sse::numeric, 1) AS sse, (m).n, (m).last_ts, (m).step,
	   array_length((m).seasonal, 1) AS factors
FROM (SELECT crm.holt_winters(ts, v, 4) AS m FROM hw_q
	  UNION ALL SELECT crm.holt_winters(ts, v, 4, 'multiplicative') FROM hw_q) s;
-- the estimated parameters beat every point of a 6 x 6 x 6 grid of fixed ones
WITH est AS (SELECT (crm.holt_winters(ts, v, 4, 'multiplicative')).sse FROM hw_q),
grid AS (SELECT a / 5.0 AS a, b / 5.0 AS b, g / 5.0 AS g
		 FROM generate_series(1, 5) a, generate_series(0, 5) b, generate_series(0, 5) g)
SELECT count(*) AS grid_points,
	   count(*) FILTER (WHERE (SELECT sse FROM est) > (SELECT (crm.holt_winters(ts, v, 4, 'multiplicative', a, b, g)).sse FROM hw_q) + 1e-9) AS better_than_fit
FROM grid;
-- the same on values 10^4 times larger (gradients far above 1 must not stop the search)
WITH est AS (SELECT (crm.holt_winters(ts, v * 10000, 4)).sse FROM hw_q),
grid AS (SELECT a / 5.0 AS a, b / 5.0 AS b, g / 5.0 AS g
		 FROM generate_series(1, 5) a, generate_series(0, 5) b, generate_series(0, 5) g)
SELECT count(*) AS grid_points,
	   count(*) FILTER (WHERE (SELECT sse FROM est) > (SELECT (crm.holt_winters(ts, v * 10000, 4, 'additive', a, b, g)).sse FROM hw_q) * (1 + 1e-12)) AS better_than_fit
FROM grid;
-- parameters given in part: the others are estimated
SELECT (m).alpha, (m).beta = 0.1 AS beta_fixed, (m).gamma = 0.2 AS gamma_fixed
FROM (SELECT crm.holt_winters(ts, v, 4, 'additive', 0.3, 0.1, 0.2) AS m FROM hw_q) s;
SELECT (m).beta = 0 AS beta_fixed, (m).alpha > 0 AS alpha_estimated
FROM (SELECT crm.holt_winters(ts, v, 4, 'additive', NULL, 0, NULL) AS m FROM hw_q) s;
-- forecasts: the next two years by quarter, intervals widen with the horizon
SELECT step, ts, round(forecast::numeric, 2) AS forecast, lower < forecast AND forecast < upper AS inside
FROM (SELECT crm.holt_winters(ts, v, 4, 'multiplicative') AS m FROM hw_q) s, crm.forecast(m, 8);
SELECT bool_and(w > lag) AS widening
FROM (SELECT upper - lower AS w, lag(upper - lower) OVER (ORDER BY step)
	  FROM (SELECT crm.holt_winters(ts, v, 4) AS m FROM hw_q) s, crm.forecast(m, 12)) x
WHERE lag IS NOT NULL;
-- month ends stay month ends (the series ends on 29 February 2024)
SELECT ts FROM (SELECT crm.holt_winters(d, i, 1) AS m
				FROM (SELECT ('2023-01-31'::date + i * interval '1 month')::date AS d, i FROM generate_series(0, 13) i) x) s,
	 crm.forecast(m, 3);

-- NULL rows are skipped; no rows gives NULL
SELECT (crm.holt_winters(d, v, 1, 'additive', 0.5, 0.5, NULL)).sse AS nulls_skipped
FROM (SELECT d, v FROM hw_hand UNION ALL SELECT NULL, 5 UNION ALL SELECT '2024-02-01', NULL) x;
SELECT crm.holt_winters(d, v, 1) IS NULL AS empty FROM hw_hand WHERE false;
SELECT count(*) AS no_forecast_of_null FROM crm.forecast(NULL, 3);

-- many series in one statement, in parallel: partial aggregates equal the serial ones
CREATE TABLE hw_many AS
SELECT s AS series, '2020-01-06'::timestamptz + w * interval '7 days' AS ts,
	   50 + s + 0.3 * w + 8 * sin(2 * pi() * w / 4 + s) + ((s * 31 + w * 7919) % 17) / 4.0 AS v
FROM generate_series(1, 300) s, generate_series(0, 39) w;
ANALYZE hw_many;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE hw_serial AS SELECT series, crm.holt_winters(ts, v, 4) AS m FROM hw_many GROUP BY series;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT series, crm.holt_winters(ts, v, 4) FROM hw_many GROUP BY series;
CREATE TABLE hw_parallel AS SELECT series, crm.holt_winters(ts, v, 4) AS m FROM hw_many GROUP BY series;
EXPLAIN (COSTS OFF) SELECT crm.holt_winters(ts, v, 4) FROM hw_many WHERE series = 7;
SELECT (crm.holt_winters(ts, v, 4)).sse = (SELECT (m).sse FROM hw_serial WHERE series = 7) AS parallel_one_series
FROM hw_many WHERE series = 7;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
SELECT count(*) AS series, count(*) FILTER (WHERE s.m::text IS DISTINCT FROM p.m::text) AS differ
FROM hw_serial s FULL JOIN hw_parallel p USING (series);

-- running window aggregate: the first 8 rows form one peer group (two periods), then one row at a time
CREATE TABLE hw_win AS SELECT ts, v, greatest(row_number() OVER (ORDER BY ts) - 8, 0) AS g
FROM hw_q WHERE ts < '2021-01-01';
SELECT count(*) AS rows_compared,
	   count(*) FILTER (WHERE w::text IS DISTINCT FROM (SELECT crm.holt_winters(ts, v, 4)::text FROM hw_win h2
														 WHERE h2.g <= h1.g)) AS differ
FROM (SELECT g, crm.holt_winters(ts, v, 4) OVER (ORDER BY g) AS w FROM hw_win) h1;

-- bad input
SELECT crm.holt_winters(ts, v, 4) FROM hw_q WHERE ts < '2016-07-01';
SELECT crm.holt_winters(d, v, 1) FROM hw_hand WHERE d < '2024-01-03';
SELECT crm.holt_winters(ts, v, 0) FROM hw_q;
SELECT crm.holt_winters(ts, v, 4, 'seasonal') FROM hw_q;
SELECT crm.holt_winters(ts, v, 4, NULL) FROM hw_q;
SELECT crm.holt_winters(ts, v - 150, 4, 'multiplicative') FROM hw_q;
SELECT crm.holt_winters(ts, v, 4) FROM hw_q WHERE ts <> '2017-04-01';
SELECT crm.holt_winters(ts, v, 4) FROM (SELECT ts, v FROM hw_q UNION ALL SELECT '2016-01-01', 1) x;
SELECT crm.holt_winters(ts, 'NaN', 4) FROM hw_q;
SELECT crm.holt_winters(ts, v, 4, 'additive', 0, NULL, NULL) FROM hw_q;
SELECT crm.holt_winters(ts, v, 4, 'additive', NULL, 1.5, NULL) FROM hw_q;
SELECT crm.holt_winters(ts, v, (v > 150)::int + 4) FROM hw_q;
SELECT * FROM crm.forecast((SELECT crm.holt_winters(ts, v, 4) FROM hw_q), 0);
SELECT * FROM crm.forecast((SELECT crm.holt_winters(ts, v, 4) FROM hw_q), 4, 1);
SELECT * FROM crm.forecast(ROW('additive', 4, 0.5, 0.1, 0.1, 100, 1, ARRAY[1, 2, 3], 10, 1, 20, now(), '1 day')::crm.holt_winters_model, 2);
SELECT * FROM crm.forecast(ROW('weekly', 4, 0.5, 0.1, 0.1, 100, 1, ARRAY[1, 2, 3, 4], 10, 1, 20, now(), '1 day')::crm.holt_winters_model, 2);
SELECT * FROM crm.forecast(ROW('additive', 4, 1.5, 0.1, 0.1, 100, 1, ARRAY[1, 2, 3, 4], 10, 1, 20, now(), '1 day')::crm.holt_winters_model, 2);
-- a model written by hand, without times or variance: forecasts without ts and intervals
SELECT * FROM crm.forecast(ROW('additive', 4, 0.5, 0.1, 0.1, 100, 1, ARRAY[1, 2, 3, 4], NULL, NULL, NULL, NULL, NULL)::crm.holt_winters_model, 5);
