-- k-means: crm.kmeans, crm.closest_centroid, crm.centroid_distance,
-- crm.kmeans_inertia, crm.kmeans_centroids, crm.kmeans_evaluate,
-- crm.scaler_fit, crm.scaler_apply, crm.scaler_inverse
SET extra_float_digits = 0;

-- centroids rounded, one row per cluster
CREATE FUNCTION km_rows(c float8[], digits int DEFAULT 6)
RETURNS TABLE (cluster int, centroid numeric[]) LANGUAGE sql AS $$
	SELECT cluster, ARRAY(SELECT round(v::numeric, digits) FROM unnest(centroid) WITH ORDINALITY u(v, o) ORDER BY o)
	FROM crm.kmeans_centroids(c) ORDER BY cluster $$;

-- Hand-computed cases.
-- 1-D: {1,2,3} and {10,11,12} -> centroids 2 and 11, inertia 1+0+1 + 1+0+1 = 4
CREATE TABLE km_line (x float8);
INSERT INTO km_line VALUES (10), (1), (12), (2), (11), (3);
SELECT crm.kmeans(ARRAY[x], 2) FROM km_line;
SELECT crm.kmeans_inertia(ARRAY[x], '{{2},{11}}') FROM km_line;
-- k = 1 is the mean: (0,0) (2,0) (4,6) -> (2,2); inertia (4+4) + (0+4) + (4+16) = 32
SELECT crm.kmeans(ARRAY[x, y], 1) FROM (VALUES (0, 0), (2, 0), (4, 6)) v(x, y);
SELECT crm.kmeans_inertia(ARRAY[x, y], '{{2,2}}') FROM (VALUES (0, 0), (2, 0), (4, 6)) v(x, y);
-- two pairs 10 apart: centroids (0,0.5) and (10,0.5), each point 0.5 away: inertia 4 * 0.25 = 1
SELECT crm.kmeans(ARRAY[x, y], 2) FROM (VALUES (10, 1), (0, 0), (10, 0), (0, 1)) v(x, y);
-- k = number of distinct points: the centroids are the points (duplicates allowed)
SELECT crm.kmeans(ARRAY[x], 2) FROM (VALUES (5), (1), (1), (5), (1)) v(x);
-- rows are sorted lexicographically: first column, then the second
SELECT crm.kmeans(ARRAY[x, y], 3) FROM (VALUES (1, 9), (1, 9), (1, 2), (1, 2), (0, 5)) v(x, y);
-- NULL rows are skipped; no rows (or only NULL rows) give NULL
SELECT crm.kmeans(f, 2) FROM (VALUES ('{1}'::float8[]), (NULL), ('{3}')) v(f);
SELECT crm.kmeans(ARRAY[x], 2) IS NULL AS empty_is_null FROM km_line WHERE false;
SELECT crm.kmeans(NULL::float8[], 2) IS NULL AS nulls_only_is_null;
-- the same seed gives the same result; the result does not depend on the row order here
SELECT (SELECT crm.kmeans(ARRAY[x], 2, 7) FROM km_line) = (SELECT crm.kmeans(ARRAY[x], 2, 7) FROM km_line) AS same_seed_same_result,
	   (SELECT crm.kmeans(ARRAY[x], 2, 1, 3) FROM (SELECT x FROM km_line ORDER BY x DESC) s)
	   = (SELECT crm.kmeans(ARRAY[x], 2, 99, 1) FROM km_line) AS same_solution;

-- assignment: 1-based, the lowest number on ties, distance to the nearest centroid
SELECT crm.closest_centroid('{1.4}', '{{2},{11}}') AS c1,
	   crm.closest_centroid('{7}', '{{2},{11}}') AS c2,
	   crm.closest_centroid('{5,0.5}', '{{0,0.5},{10,0.5}}') AS tie_is_1,
	   crm.closest_centroid('{3,4}', '{{9,9},{0,0},{3,5}}') AS c3,
	   crm.centroid_distance('{3,4}', '{{0,0},{30,40}}') AS five,
	   crm.closest_centroid(NULL, '{{1}}') IS NULL AS strict;
-- lower bounds of the centroids array do not matter
SELECT crm.closest_centroid('{10}', '[0:1][5:5]={{2},{11}}') AS c2;
-- inertia skips NULL rows and is NULL for no rows
SELECT crm.kmeans_inertia(f, '{{2},{11}}') FROM (VALUES ('{1}'::float8[]), (NULL), ('{13}')) v(f);
SELECT crm.kmeans_inertia(ARRAY[x], '{{2},{11}}') IS NULL AS empty_is_null FROM km_line WHERE false;
SELECT * FROM crm.kmeans_centroids('{{1,2},{3,4},{5,6}}');

-- Models stored in a table are TOASTed past 2 kB; their detoasted copy is
-- cached per call site, keyed on the TOAST pointer.  Two stored models
-- alternating row by row, compared with fresh copies of the same arrays.
CREATE TABLE km_big_models AS
SELECT m AS id, ARRAY(SELECT ARRAY(SELECT sin(m * 1000 + i * 100 + j) FROM generate_series(1, 60) j)
					  FROM generate_series(1, 20 + m) i)::float8[] AS c
FROM generate_series(1, 2) m;
CREATE TABLE km_pts60 AS
SELECT p, ARRAY(SELECT cos(p * 7 + j * 0.3) FROM generate_series(1, 60) j)::float8[] AS f
FROM generate_series(1, 200) p;
SELECT id, pg_column_size(c) > 2000 AS toasted, array_length(c, 1) AS k FROM km_big_models ORDER BY id;
SELECT count(*) AS pairs,
	   count(*) FILTER (WHERE crm.closest_centroid(f, m.c) <> crm.closest_centroid(f, m.c::text::float8[])) AS mismatches,
	   count(DISTINCT crm.closest_centroid(f, m.c)) > 5 AS varied
FROM km_pts60, km_big_models m;
SELECT id, abs(crm.kmeans_inertia(f, c) - sum(crm.centroid_distance(f, c::text::float8[]) ^ 2)) < 1e-9 AS inertia_ok
FROM km_big_models, km_pts60 GROUP BY id, c ORDER BY id;

-- Planted clusters: 5 Gaussian blobs (sd 1) in 3-D, centres 10+ apart, 300
-- points each, from a deterministic formula (Box-Muller on a hash).
CREATE TABLE km_blobs AS
WITH u AS (
	SELECT i, (i % 5) + 1 AS truth, j,
		   abs(sin(i * 12.9898 + j * 78.233) * 43758.5453) AS h1,
		   abs(sin(i * 39.3468 + j * 11.135) * 24634.6345) AS h2
	FROM generate_series(1, 1500) i, generate_series(1, 3) j
)
SELECT i, truth,
	   array_agg(((ARRAY[[0,0,0],[10,0,0],[0,10,0],[0,0,10],[10,10,10]])[truth][j])
				 + sqrt(-2 * ln((h1 - floor(h1)) * 0.999 + 0.0005)) * cos(2 * pi() * (h2 - floor(h2)))
				 ORDER BY j)::float8[] AS f
FROM u GROUP BY i, truth;
CREATE TABLE km_model AS SELECT crm.kmeans(f, 5, 42) AS c FROM km_blobs;
-- the recovered centres are within 0.2 of the planted ones
SELECT cluster, centroid FROM km_rows((SELECT c FROM km_model), 0);
SELECT bool_and(abs(v - round(v)) < 0.2) AS near_planted_centres
FROM km_model, unnest(c) v;
-- adjusted Rand index of the assignment against the planted labels (Hubert & Arabie)
WITH lab AS (
	SELECT truth, crm.closest_centroid(f, (SELECT c FROM km_model)) AS found FROM km_blobs
), cells AS (SELECT count(*) AS n FROM lab GROUP BY truth, found),
rows_ AS (SELECT count(*) AS n FROM lab GROUP BY truth),
cols AS (SELECT count(*) AS n FROM lab GROUP BY found),
s AS (
	SELECT (SELECT sum(n * (n - 1) / 2.0) FROM cells) AS sij,
		   (SELECT sum(n * (n - 1) / 2.0) FROM rows_) AS si,
		   (SELECT sum(n * (n - 1) / 2.0) FROM cols) AS sj,
		   (SELECT count(*) * (count(*) - 1) / 2.0 FROM lab) AS total
)
SELECT round((sij - si * sj / total) / ((si + sj) / 2 - si * sj / total), 4) AS ari,
	   (sij - si * sj / total) / ((si + sj) / 2 - si * sj / total) >= 0.95 AS ari_at_least_095
FROM s;
-- brute force in SQL: the nearest centroid of every point, the inertia, and
-- Lloyd's fixed point (each centroid is the mean of its points)
CREATE TABLE km_brute AS
SELECT b.i, b.f, crm.closest_centroid(b.f, m.c) AS assigned,
	   (SELECT cl.cluster FROM crm.kmeans_centroids(m.c) cl
		ORDER BY (SELECT sum((a - z) ^ 2) FROM unnest(b.f, cl.centroid) u(a, z)), cl.cluster LIMIT 1) AS brute,
	   (SELECT min((SELECT sum((a - z) ^ 2) FROM unnest(b.f, cl.centroid) u(a, z)))
		FROM crm.kmeans_centroids(m.c) cl) AS d2
FROM km_blobs b, km_model m;
SELECT count(*) FILTER (WHERE assigned <> brute) AS mismatches,
	   abs((SELECT crm.kmeans_inertia(f, c) FROM km_blobs, km_model) - sum(d2)) < 1e-9 * sum(d2) AS inertia_ok,
	   bool_and(abs(crm.centroid_distance(f, (SELECT c FROM km_model)) - sqrt(d2)) < 1e-9) AS distance_ok
FROM km_brute;
SELECT bool_and(abs(mean - cl.centroid[dim]) < 1e-9) AS centroids_are_means
FROM (SELECT assigned, dim, avg(v) AS mean
	  FROM km_brute, unnest(f) WITH ORDINALITY u(v, dim) GROUP BY assigned, dim) a
JOIN crm.kmeans_centroids((SELECT c FROM km_model)) cl ON cl.cluster = a.assigned;

-- Choosing k.  Hand-computed simplified silhouette: 1-D {0,2,10,12}, k = 2,
-- centres 1 and 11; (b - a) / b is 10/11, 8/9, 8/9, 10/11: mean 178/198.
-- k = 1 is the total sum of squares around 6: 36 + 16 + 16 + 36 = 104.
CREATE TABLE km_four (x float8);
INSERT INTO km_four VALUES (0), (2), (10), (12);
SELECT k, inertia, round(simplified_silhouette::numeric, 12) AS silhouette, centroids,
	   round(178 / 198.0, 12) AS expected_k2
FROM crm.kmeans_evaluate('SELECT ARRAY[x] FROM km_four', 1, 2) ORDER BY k;
SELECT sum((x - 6) ^ 2) AS total_ss FROM km_four;
-- evaluate agrees with the aggregate (same seed and restarts), k by k
SELECT k, e.centroids = (SELECT crm.kmeans(f, e.k, 42, 3) FROM km_blobs) AS same_as_aggregate,
	   abs(e.inertia - (SELECT crm.kmeans_inertia(f, e.centroids) FROM km_blobs)) < 1e-6 AS inertia_ok
FROM crm.kmeans_evaluate('SELECT f FROM km_blobs', 3, 6, 42, 3) e ORDER BY k;
-- the planted k has the best silhouette and the elbow
SELECT k FROM crm.kmeans_evaluate('SELECT f FROM km_blobs', 2, 8) ORDER BY simplified_silhouette DESC LIMIT 1;

-- Scaling: means and population standard deviations (as scikit-learn's
-- StandardScaler); a constant feature gets scale 1.
-- (1,10,7) (3,10,7) (5,40,7): means 3, 20, 7; sd sqrt(8/3), sqrt(200), 0 -> 1
CREATE TABLE km_sc (f float8[]);
INSERT INTO km_sc VALUES ('{1,10,7}'), ('{3,10,7}'), ('{5,40,7}'), (NULL);
SELECT m[1][1] AS mean1, m[1][2] AS mean2, m[1][3] AS mean3,
	   abs(m[2][1] - sqrt(8 / 3.0)) < 1e-12 AS sd1_ok, abs(m[2][2] - sqrt(200)) < 1e-12 AS sd2_ok, m[2][3] AS sd3
FROM (SELECT crm.scaler_fit(f) AS m FROM km_sc) s;
SELECT crm.scaler_apply('{5,40,7}', '{{3,20,7},{2,10,1}}') AS scaled,
	   crm.scaler_inverse('{1,2,0}', '{{3,20,7},{2,10,1}}') AS back,
	   crm.scaler_apply('{{5,40,7},{3,20,7}}', '{{3,20,7},{2,10,1}}') AS rows_scaled;
-- agrees with avg() and stddev_pop(); scaled features have mean 0 and sd 1
SELECT bool_and(abs(m[1][j] - a) < 1e-9 AND abs(m[2][j] - s) < 1e-9) AS matches_sql
FROM (SELECT crm.scaler_fit(f) AS m FROM km_blobs) fit,
	 (SELECT j, avg(f[j]) AS a, stddev_pop(f[j]) AS s FROM km_blobs, generate_series(1, 3) j GROUP BY j) q;
SELECT bool_and(abs(a) < 1e-9 AND abs(s - 1) < 1e-9) AS standardised
FROM (SELECT j, avg(g[j]) AS a, stddev_pop(g[j]) AS s
	  FROM (SELECT crm.scaler_apply(f, (SELECT crm.scaler_fit(f) FROM km_blobs)) AS g FROM km_blobs) x,
		   generate_series(1, 3) j GROUP BY j) q;
SELECT bool_and(abs(v - w) < 1e-9) AS round_trip
FROM km_blobs b, LATERAL (SELECT crm.scaler_fit(f) AS m FROM km_blobs) fit,
	 unnest(b.f, crm.scaler_inverse(crm.scaler_apply(b.f, fit.m), fit.m)) u(v, w);
SELECT crm.scaler_fit(f) IS NULL AS empty_is_null FROM km_sc WHERE false;

-- Parallel plans: partial states in workers, combined in the leader, the
-- same result as the serial plan.
CREATE TABLE km_par AS SELECT b.* FROM km_blobs b, generate_series(1, 10) r;
ANALYZE km_par;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE km_serial AS
SELECT crm.kmeans(f, 5, 3) AS c, crm.scaler_fit(f) AS s FROM km_par;
SELECT crm.kmeans_inertia(f, (SELECT c FROM km_serial)) AS serial_inertia INTO TEMP km_si FROM km_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.kmeans(f, 5, 3), crm.scaler_fit(f) FROM km_par;
EXPLAIN (COSTS OFF) SELECT crm.kmeans_inertia(f, '{{1,2,3}}') FROM km_par;
SELECT (SELECT bool_and(abs(a - b) < 1e-9) FROM unnest(p.c, s.c) u(a, b)) AS kmeans_same,
	   (SELECT bool_and(abs(a - b) < 1e-9) FROM unnest(p.s, s.s) u(a, b)) AS scaler_same
FROM (SELECT crm.kmeans(f, 5, 3) AS c, crm.scaler_fit(f) AS s FROM km_par) p, km_serial s;
SELECT abs(crm.kmeans_inertia(f, (SELECT c FROM km_serial)) - (SELECT serial_inertia FROM km_si)) < 1e-6 * (SELECT serial_inertia FROM km_si) AS inertia_same
FROM km_par;
-- grouped and partial states with NULL rows
SELECT truth, count(f) AS points,
	   abs((crm.kmeans(f, 1))[1][1] - avg(f[1])) < 1e-9 AND abs((crm.kmeans(f, 1))[1][3] - avg(f[3])) < 1e-9 AS k1_is_mean
FROM (SELECT truth, CASE WHEN i % 7 = 0 THEN NULL ELSE f END AS f FROM km_par) x
GROUP BY truth ORDER BY truth;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Partitionwise aggregation: partial states per partition, combined without
-- serialization; the same centroids as the plain table
CREATE TABLE km_parts (i int, truth int, f float8[]) PARTITION BY LIST (truth);
CREATE TABLE km_parts_a PARTITION OF km_parts FOR VALUES IN (1, 2);
CREATE TABLE km_parts_b PARTITION OF km_parts FOR VALUES IN (3);
CREATE TABLE km_parts_c PARTITION OF km_parts FOR VALUES IN (4, 5);
INSERT INTO km_parts SELECT i, truth, f FROM km_blobs;
ANALYZE km_parts;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT crm.kmeans(f, 5, 42) FROM km_parts;
SELECT (SELECT bool_and(abs(a - b) < 1e-9) FROM unnest(p.c, m.c) u(a, b)) AS partitionwise_same
FROM (SELECT crm.kmeans(f, 5, 42) AS c FROM km_parts) p, km_model m;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

-- The memory bound: past crm_analytics.kmeans_max_memory the aggregate
-- clusters a uniform sample and says so.  64 kB holds 1365 points of 2
-- features (48 bytes each).
SET crm_analytics.kmeans_max_memory = 64;
SELECT cluster, centroid FROM km_rows((
	SELECT crm.kmeans(ARRAY[(i % 2) * 100 + sin(i), cos(i)], 2) FROM generate_series(1, 5000) i), 0);
RESET crm_analytics.kmeans_max_memory;

-- Bad input
SELECT crm.kmeans(ARRAY[x], 0) FROM km_line;
SELECT crm.kmeans(ARRAY[x], -1) FROM km_line;
SELECT crm.kmeans(ARRAY[x], 10001) FROM km_line;
SELECT crm.kmeans(ARRAY[x], 7) FROM km_line;
SELECT crm.kmeans(ARRAY[x], 3) FROM (VALUES (1), (1), (2), (2)) v(x);
SELECT crm.kmeans(ARRAY[1.0::float8], 2);
SELECT crm.kmeans(ARRAY[x], 2) FROM (VALUES (4), (4), (4)) v(x);
SELECT crm.kmeans(ARRAY[x], NULL) FROM km_line;
SELECT crm.kmeans(ARRAY[x], 2, NULL) FROM km_line;
SELECT crm.kmeans(ARRAY[x], 2, 0, 0) FROM km_line;
SELECT crm.kmeans(ARRAY[x], x::int) FROM km_line;
SELECT crm.kmeans(f, 1) FROM (VALUES ('{1,2}'::float8[]), ('{1}')) v(f);
SELECT crm.kmeans(f, 1) FROM (VALUES ('{1,NULL}'::float8[])) v(f);
SELECT crm.kmeans(f, 1) FROM (VALUES ('{1,NaN}'::float8[])) v(f);
SELECT crm.kmeans(f, 1) FROM (VALUES ('{-Infinity}'::float8[])) v(f);
SELECT crm.kmeans(f, 1) FROM (VALUES ('{}'::float8[])) v(f);
SELECT crm.kmeans(f, 1) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) v(f);
SELECT crm.kmeans(ARRAY[x * 1e200], 2) FROM km_line;
SELECT crm.closest_centroid('{1,2,3}', '{{1,2},{3,4}}');
SELECT crm.closest_centroid('{1,2}', '{1,2}');
SELECT crm.closest_centroid('{1,2}', '{{1,NULL}}');
SELECT crm.closest_centroid('{1,2}', '{{1,NaN}}');
SELECT crm.closest_centroid('{NaN,2}', '{{1,2}}');
SELECT crm.closest_centroid('{}', '{{1,2}}');
SELECT crm.kmeans_inertia(ARRAY[x], NULL) FROM km_line;
SELECT crm.kmeans_inertia(ARRAY[x, x], '{{1},{2}}') FROM km_line;
SELECT * FROM crm.kmeans_evaluate('SELECT ARRAY[x], x FROM km_line', 1, 2);
SELECT * FROM crm.kmeans_evaluate('SELECT x FROM km_line', 1, 2);
SELECT * FROM crm.kmeans_evaluate('SELECT ARRAY[x] FROM km_line', 3, 2);
SELECT * FROM crm.kmeans_evaluate('SELECT ARRAY[x] FROM km_line', 1, 7);
SELECT * FROM crm.kmeans_evaluate('INSERT INTO km_line VALUES (1)', 1, 2);
SELECT * FROM crm.kmeans_evaluate(NULL, 1, 2);
SELECT * FROM crm.kmeans_evaluate('SELECT ARRAY[x] FROM km_line', 0, 2);
SELECT crm.scaler_fit(f) FROM (VALUES ('{1,2}'::float8[]), ('{1}')) v(f);
SELECT crm.scaler_fit(f) FROM (VALUES ('{1,Infinity}'::float8[])) v(f);
SELECT crm.scaler_apply('{1,2}', '{{0,0},{1,0}}');
SELECT crm.scaler_apply('{1,2}', '{0,1}');
SELECT crm.scaler_apply('{1,2,3}', '{{0,0},{1,1}}');
SELECT crm.scaler_apply('{1e308}', '{{-1e308},{1e-10}}');
-- features are bounded by 1e100 in absolute value: at the bound the variance
-- does not overflow, and serial and parallel plans agree with plain SQL on
-- the values divided by 1e100; past it, an error (it used to give scale 1)
SELECT crm.scaler_fit(f) FROM (VALUES ('{1e101}'::float8[])) v(f);
SELECT crm.scaler_fit(f) FROM (VALUES ('{1e308}'::float8[]), ('{-1e308}')) v(f);
SELECT crm.kmeans(f, 1) FROM (VALUES ('{-1.5e100}'::float8[])) v(f);
CREATE TABLE km_huge AS
SELECT ARRAY[(CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) * (1 - (i % 7) / 10.0) * 1e100]::float8[] AS f
FROM generate_series(1, 20000) i;
ANALYZE km_huge;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.scaler_fit(f) FROM km_huge;
SELECT crm.scaler_fit(f) AS km_huge_par FROM km_huge \gset
SET max_parallel_workers_per_gather = 0;
WITH ser AS (SELECT crm.scaler_fit(f) AS m FROM km_huge),
	 ref AS (SELECT avg(f[1] / 1e100) * 1e100 AS mean, stddev_pop(f[1] / 1e100) * 1e100 AS sd FROM km_huge)
SELECT abs(ser.m[1][1] - ref.mean) < 1e-9 * ref.sd AS serial_mean_ok,
	   abs(ser.m[2][1] / ref.sd - 1) < 1e-12 AS serial_sd_ok,
	   abs(par.m[1][1] - ref.mean) < 1e-9 * ref.sd AS parallel_mean_ok,
	   abs(par.m[2][1] / ref.sd - 1) < 1e-12 AS parallel_sd_ok
FROM ser, ref, (SELECT :'km_huge_par'::float8[] AS m) par;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE km_huge;
-- The settings' ranges.  PostgreSQL words its own out-of-range message
-- differently from 17 on (it adds units), so a rejected value is checked by its
-- SQLSTATE (22023, invalid_parameter_value) and the range by pg_settings.
SELECT name, unit, min_val, max_val FROM pg_settings
WHERE name IN ('crm_analytics.kmeans_max_memory', 'crm_analytics.kmeans_tolerance')
ORDER BY name;
\set VERBOSITY sqlstate
SET crm_analytics.kmeans_max_memory = 0;
SET crm_analytics.kmeans_max_memory = 63;
SET crm_analytics.kmeans_tolerance = -1;
SET crm_analytics.kmeans_tolerance = 1.5;
\set VERBOSITY default
SET crm_analytics.kmeans_max_memory = 64;
SET crm_analytics.kmeans_tolerance = 0;
SELECT current_setting('crm_analytics.kmeans_max_memory') AS max_memory,
       current_setting('crm_analytics.kmeans_tolerance') AS tolerance;
RESET crm_analytics.kmeans_max_memory;
RESET crm_analytics.kmeans_tolerance;
-- the memory budget: k-means holds at most the smaller of
-- crm_analytics.kmeans_max_memory and crm_analytics.max_memory of points and
-- clusters a uniform sample past it (a NOTICE says so)
SET crm_analytics.max_memory = '1MB';
SELECT array_length(crm.kmeans(ARRAY[i % 97, i % 89, i % 83, i % 79]::float8[], 3, 1, 1), 1) AS k
FROM generate_series(1, 100000) i;
RESET crm_analytics.max_memory;
