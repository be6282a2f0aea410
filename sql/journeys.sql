-- Web analytics: funnels, retention, sequences, sessions, paths, cohorts.
-- Every expected value below was worked out by hand (the comments say how),
-- or is ClickHouse's published result for the same data (its test
-- 00632_aggregation_window_funnel).
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- ClickHouse's strict_order test users, plus a,c,b (7) and a,b,a,c (8)
CREATE TABLE ev (u int, t int, e text);
INSERT INTO ev VALUES (1,1,'a'),(1,2,'b'),(1,3,'c'),
 (2,1,'a'),(2,2,'d'),(2,3,'b'),(2,4,'c'),
 (3,1,'a'),(3,2,'a'),(3,3,'b'),(3,4,'b'),(3,5,'c'),(3,6,'c'),
 (4,1,'a'),(4,2,'a'),(4,3,'a'),(4,4,'a'),(4,5,'b'),(4,6,'b'),(4,7,'c'),(4,8,'c'),
 (5,1,'a'),(5,2,'a'),(5,3,'b'),(5,4,'b'),(5,5,'d'),(5,6,'c'),(5,7,'c'),
 (6,1,'c'),(6,2,'c'),(6,3,'b'),(6,4,'b'),(6,5,'a'),(6,6,'a'),
 (7,1,'a'),(7,2,'c'),(7,3,'b'),
 (8,1,'a'),(8,2,'b'),(8,3,'a'),(8,4,'c');
CREATE FUNCTION ts(int) RETURNS timestamptz LANGUAGE sql IMMUTABLE
AS $$SELECT '2024-01-01 00:00:00+00'::timestamptz + $1 * interval '1 second'$$;
-- default: 3 3 3 3 3 1 (ClickHouse), a,c,b -> 2, a,b,a,c -> 3
-- strict_order: 3 1 3 3 2 1 (ClickHouse), a,c,b -> 1, a,b,a,c -> 2 (the repeated a
-- is neither the current step b nor the next step c)
-- strict_deduplication + strict_order: 3 1 2 2 2 1 (ClickHouse), 1, 2
-- strict_deduplication: the second b stops users 3, 4, 5 at 2; a,b,a,c: a repeated
-- step 1 starts a new chain, c extends the old b -> 3
SELECT u, crm.window_funnel('1 day', ts(t), e = 'a', e = 'b', e = 'c') AS plain,
	   crm.window_funnel('1 day', 'strict_order', ts(t), e = 'a', e = 'b', e = 'c') AS strict_order,
	   crm.window_funnel('1 day', 'strict_deduplication, strict_order', ts(t), e = 'a', e = 'b', e = 'c') AS dedup_order,
	   crm.window_funnel('1 day', 'strict_deduplication', ts(t), e = 'a', e = 'b', e = 'c') AS dedup
FROM ev GROUP BY u ORDER BY u;
-- 4 steps a,b,c,d with strict_order: a,b,d,... stops at d (2); a,d stops at once (1)
SELECT u, crm.window_funnel('1 day', 'strict_order', ts(t), e = 'a', e = 'b', e = 'c', e = 'd')
FROM ev WHERE u IN (1, 2, 5) GROUP BY u ORDER BY u;

-- ClickHouse: events 1000..1008 at t = 0..8
CREATE TABLE f1 AS SELECT i AS t, 1000 + i AS event FROM generate_series(0, 8) i;
SELECT crm.window_funnel('10000 s', ts(t), event = 1000) AS "1",
	   crm.window_funnel('10000 s', ts(t), event = 1000, event = 1001, event = 1002) AS "3",
	   crm.window_funnel('10000 s', ts(t), event = 1000, event = 1001, event = 1002, event = 1008) AS "4",
	   crm.window_funnel('2 s', ts(t), event = 1003, event = 1004, event = 1005, event = 1006, event = 1007) AS "3 (window 2)",
	   crm.window_funnel('3 s', ts(t), event = 1003, event = 1004, event = 1005, event = 1006, event = 1007) AS "4 (window 3)",
	   crm.window_funnel('4 s', ts(t), event = 1003, event = 1004, event = 1005, event = 1006, event = 1007) AS "5 (window 4)",
	   crm.window_funnel('10000 s', ts(t), event = 1008, event = 1001) AS "1 (wrong order)",
	   crm.window_funnel('4 s', ts(t), event <= 1007, event >= 1002, event <= 1006, event >= 1004) AS "4 (overlapping)"
FROM f1;
-- the window is inclusive: a step exactly at start + window counts, 1 microsecond later does not
SELECT crm.window_funnel('10 s', t, s1, s2) AS at_window_end, crm.window_funnel('10 s', t + CASE WHEN s2 THEN interval '1 microsecond' ELSE interval '0' END, s1, s2) AS just_after
FROM (VALUES (ts(0), true, false), (ts(10), false, true)) v(t, s1, s2);
-- ClickHouse strict_deduplication: 1000..1006 with 1005 twice -> 6 (7 without the mode)
CREATE TABLE f2 (t int, event int);
INSERT INTO f2 VALUES (0,1000),(10,1001),(20,1002),(30,1003),(40,1004),(50,1005),(51,1005),(60,1006),(70,1007),(80,1008);
SELECT crm.window_funnel('10000 s', 'strict_deduplication', ts(t), event = 1000, event = 1001, event = 1002, event = 1003, event = 1004, event = 1005, event = 1006) AS "6",
	   crm.window_funnel('10000 s', ts(t), event = 1000, event = 1001, event = 1002, event = 1003, event = 1004, event = 1005, event = 1006) AS "7"
FROM f2;
-- ClickHouse issue 27469: a,b,c,b,d with steps a,b,c,d and strict_deduplication -> 3
SELECT crm.window_funnel('1 day', 'strict_deduplication', ts(t), e = 'a', e = 'b', e = 'c', e = 'd')
FROM (VALUES (1,'a'),(2,'b'),(3,'c'),(4,'b'),(5,'d')) v(t, e);
-- install, start, login, install (repeated step 1 is a new chain) -> 3 (ClickHouse PR 99003)
SELECT crm.window_funnel('60 s', 'strict_deduplication', ts(t), e = 'install', e = 'start', e = 'login', e = 'end')
FROM (VALUES (0,'install'),(5,'start'),(10,'login'),(15,'install')) v(t, e);

-- equal times: one row may serve as several steps (ClickHouse), unless strict_increase
-- (0,1000),(1,1001),(1,1002),(1,1003),(2,1004): 5 plain, 2 with strict_increase;
-- three steps all "event = 1004" on one row: 3 plain, 1 with strict_increase
CREATE TABLE f3 (t int, event int);
INSERT INTO f3 VALUES (0,1000),(1,1001),(1,1002),(1,1003),(2,1004);
SELECT crm.window_funnel('10000 s', ts(t), event = 1000, event = 1001, event = 1002, event = 1003, event = 1004) AS "5",
	   crm.window_funnel('10000 s', 'strict_increase', ts(t), event = 1000, event = 1001, event = 1002, event = 1003, event = 1004) AS "2",
	   crm.window_funnel('10000 s', ts(t), event = 1004, event = 1004, event = 1004) AS "3",
	   crm.window_funnel('10000 s', 'strict_increase', ts(t), event = 1004, event = 1004, event = 1004) AS "1"
FROM f3;
-- strict_increase keeps every chain: A@0, B@1, A@1, C@2 has A@0 -> B@1 -> C@2 = 3
-- (the newer start A@1 cannot use B@1, the older one can)
SELECT crm.window_funnel('1 day', 'strict_increase', ts(t), e = 'A', e = 'B', e = 'C')
FROM (VALUES (0,'A'),(1,'B'),(1,'A'),(2,'C')) v(t, e);
-- at equal times the lower step comes first, whatever the row order: B and A at t=5 -> 2
SELECT crm.window_funnel('1 day', ts(5), e = 'A', e = 'B') FROM (VALUES ('B'), ('A')) v(e);
-- strict_order: a row matching no step at the same time as step 1 comes before it (ignored)
SELECT crm.window_funnel('1 day', 'strict_order', ts(t), e = 'a', e = 'b')
FROM (VALUES (1,'x'),(1,'a'),(2,'b')) v(t, e);
-- out-of-order arrival gives the same result as ordered arrival
SELECT u, crm.window_funnel('1 day', 'strict_order', ts(t), e = 'a', e = 'b', e = 'c') AS shuffled
FROM (SELECT * FROM ev ORDER BY md5(u::text || t::text)) x GROUP BY u ORDER BY u;
-- NULLs: a NULL time skips the row, a NULL condition is false (ClickHouse's non-null test)
CREATE TABLE f4 (dt int, u int, a text, b text);
INSERT INTO f4 VALUES (1,1,'a1','b1'),(2,1,'a2','b2'),(1,2,'a1',NULL),(2,2,'a2',NULL),(1,3,NULL,NULL),
	(1,4,NULL,'b1'),(2,4,'a2',NULL),(3,4,NULL,'b3');
SELECT u, crm.window_funnel('1 day', ts(dt), a = 'a1', a = 'a2') AS "2 2 0 0",
	   crm.window_funnel('1 day', ts(dt), a = 'a1', b = 'b2') AS "2 1 0 0",
	   crm.window_funnel('1 day', ts(dt), a IS NULL AND b IS NULL) AS "0 0 1 0",
	   crm.window_funnel('1 day', ts(dt), a IS NULL, b = 'b3') AS "0 0 1 2",
	   crm.window_funnel('1 day', 'strict_order', ts(dt), a IS NULL, b = 'b3') AS "0 0 1 1"
FROM f4 GROUP BY u ORDER BY u;
SELECT crm.window_funnel('1 day', t, s1, s2) AS null_time_skipped
FROM (VALUES (ts(1), true, false), (NULL, false, true)) v(t, s1, s2);
-- an explicit array works as VARIADIC
SELECT crm.window_funnel('1 day', ts(t), VARIADIC ARRAY[e = 'a', e = 'b']) FROM ev WHERE u = 1;

-- funnel_times: the earliest chain reaching the highest level, one time per step
-- user 4: a at 1..4, b at 5, 6, c at 7, 8 -> start 1, first b 5, first c 7
-- user 2 strict_order stops at d: level 1, the a at 1
SELECT u, crm.funnel_times('1 day', ts(t), e = 'a', e = 'b', e = 'c') AS times,
	   crm.funnel_times('1 day', 'strict_order', ts(t), e = 'a', e = 'b', e = 'c') AS strict_order_times
FROM ev WHERE u IN (2, 4, 6) GROUP BY u ORDER BY u;
-- a 10 s window: a@0 cannot reach c@12, a@5 can: the chain starts at 5
SELECT crm.funnel_times('10 s', ts(t), e = 'a', e = 'b', e = 'c')
FROM (VALUES (0,'a'),(5,'a'),(6,'b'),(12,'c')) v(t, e);
-- cardinality equals the level; time to convert is a subtraction
SELECT crm.window_funnel('1 day', ts(t), e = 'a', e = 'b', e = 'c') AS level,
	   cardinality(crm.funnel_times('1 day', ts(t), e = 'a', e = 'b', e = 'c')) AS steps,
	   (crm.funnel_times('1 day', ts(t), e = 'a', e = 'b', e = 'c'))[3] -
	   (crm.funnel_times('1 day', ts(t), e = 'a', e = 'b', e = 'c'))[1] AS time_to_convert
FROM ev WHERE u = 5;

-- funnel_report: the whole funnel in one call, over the 8 users above (steps a, b, c).
-- Default mode: users 1-5 and 8 reach 3, user 7 reaches 2, user 6 reaches 1, so
-- steps 1, 2, 3 have 8, 7, 6 visitors (1, 1 lost). The earliest chains
-- (funnel_times) are 1: a1 b2 c3; 2: a1 b3 c4; 3: a1 b3 c5; 4: a1 b5 c7;
-- 5: a1 b3 c6; 7: a1 b3; 8: a1 b2 c4. Step 2, b - a: 1 2 2 4 2 2 1, median 2;
-- step 3, c - a: 2 3 4 6 5 3, median (3 + 4) / 2 = 3.5; c - b: 1 1 2 2 3 2, median 2.
SELECT * FROM crm.funnel_report($$SELECT u, ts(t), e = 'a', e = 'b', e = 'c' FROM ev$$, '1 day');
-- strict_order: levels 3 1 3 3 2 1 1 2 (see above): steps 8, 5, 3 visitors; chains
-- 1: a1 b2 c3; 3: a1 b3 c5; 4: a1 b5 c7; 5: a1 b3; 8: a1 b2. Step 2, b - a:
-- 1 2 4 2 1, median 2; step 3, c - a: 2 4 6, median 4; c - b: 1 2 2, median 2.
SELECT * FROM crm.funnel_report($$SELECT u, ts(t), e = 'a', e = 'b', e = 'c' FROM ev$$, '1 day', 'strict_order');
-- steps a, b with text keys: 8 visitors (user 6 has no a before a b: it stops at 1),
-- 7 reach b; a NULL visitor and a row with a NULL time are skipped (user 9 has no other row)
SELECT step, visitors, dropped, step_conversion
FROM crm.funnel_report($$SELECT u::text, ts(t), e = 'a', e = 'b' FROM ev
						 UNION ALL SELECT NULL, ts(1), true, true UNION ALL SELECT '9', NULL, true, true$$, '1 day');
-- visitors reaching each step equal window_funnel grouped by visitor, in every mode
WITH m(m) AS (VALUES (''), ('strict_deduplication'), ('strict_order'), ('strict_increase'))
SELECT m, (SELECT array_agg(visitors ORDER BY step) FROM crm.funnel_report(
			   $$SELECT u, ts(t), e = 'a', e = 'b', e = 'c' FROM ev$$, '2 s', m)) AS report,
	   (SELECT array_agg((SELECT count(*) FROM (SELECT crm.window_funnel('2 s', m, ts(t), e = 'a', e = 'b', e = 'c') AS l
												 FROM ev GROUP BY u) g WHERE l >= k) ORDER BY k)
		FROM generate_series(1, 3) k) AS grouped
FROM m;
-- no rows: every step 0, conversions NULL
SELECT * FROM crm.funnel_report('SELECT 1, now(), true, true WHERE false', '1 day');

-- retention: [cond1, cond1 and cond2, cond1 and cond3]
SELECT u, crm.retention(e = 'a', e = 'c', e = 'd') FROM ev GROUP BY u ORDER BY u;
SELECT crm.retention(e = 'b', e = 'a') FROM ev WHERE u = 1 AND e <> 'b';

-- empty input: 0, {}, false, 0, NULL
SELECT crm.window_funnel('1 day', ts(t), e = 'a') AS level, crm.funnel_times('1 day', ts(t), e = 'a') AS times,
	   crm.sequence_match('(?1)', ts(t), e = 'a') AS matched, crm.sequence_count('(?1)', ts(t), e = 'a') AS matches,
	   crm.retention(e = 'a') AS retention
FROM ev WHERE false;
SELECT crm.window_funnel('1 day', ts(t), e = 'z') AS no_step_one FROM ev;

-- sequence_match / sequence_count (ClickHouse documentation examples):
-- times 1, 2, 3 with numbers 1, 3, 2
CREATE TABLE sq (t int, number int);
INSERT INTO sq VALUES (1,1),(2,3),(3,2);
SELECT crm.sequence_match('(?1)(?2)', ts(t), number = 1, number = 2) AS "number 3 is no event: true",
	   crm.sequence_match('(?1)(?2)', ts(t), number = 1, number = 2, number = 3) AS "number 3 is between: false",
	   crm.sequence_match('(?1)(?3)(?2)', ts(t), number = 1, number = 2, number = 3) AS "true",
	   crm.sequence_match('(?1).(?2)', ts(t), number = 1, number = 2, number = 3) AS "any one event: true",
	   crm.sequence_match('(?1).*(?2)', ts(t), number = 1, number = 2, number = 4) AS "true"
FROM sq;
-- 1,3,2,1,3,2: two non-overlapping (?1).*(?2)
CREATE TABLE sq2 (t int, number int);
INSERT INTO sq2 VALUES (1,1),(2,3),(3,2),(4,1),(5,3),(6,2);
SELECT crm.sequence_count('(?1).*(?2)', ts(t), number = 1, number = 2) AS "2",
	   crm.sequence_count('(?1)(?2)', ts(t), number = 1, number = 2) AS "2 (3 is no event)",
	   crm.sequence_count('(?1)(?2)', ts(t), number = 1, number = 3) AS "2",
	   crm.sequence_count('.', ts(t), number = 1, number = 2) AS "4 events",
	   crm.sequence_count('(?1).*(?1)', ts(t), number = 1) AS "1 (non-overlapping)"
FROM sq2;
-- time bounds between the events around them (any events between): 1 at 1 and 4, 2 at 3 and 6
SELECT crm.sequence_match('(?1)(?t<=2)(?2)', ts(t), number = 1, number = 2) AS "2 s: true",
	   crm.sequence_match('(?1)(?t<2)(?2)', ts(t), number = 1, number = 2) AS "false",
	   crm.sequence_count('(?1)(?t>=2)(?2)', ts(t), number = 1, number = 2) AS "2",
	   crm.sequence_count('(?1)(?t>2)(?2)', ts(t), number = 1, number = 2) AS "1 (1 at 1, 2 at 6)",
	   crm.sequence_count('(?1)(?t==5)(?2)', ts(t), number = 1, number = 2) AS "1",
	   crm.sequence_count('(?1).*(?t>=2)(?t<=2)(?2)', ts(t), number = 1, number = 2) AS "2 (both bounds)",
	   crm.sequence_match('(?1)(?t>3)(?t<3)(?2)', ts(t), number = 1, number = 2) AS "contradiction: false"
FROM sq2;
-- equal times: ordered by lowest condition, so the result does not depend on row order
SELECT crm.sequence_match('(?1)(?2)', ts(1), number = 1, number = 2) FROM (VALUES (2), (1)) v(number);
-- blanks between items are allowed
SELECT crm.sequence_count(' (?1) .* (?2) ', ts(t), number = 1, number = 2) FROM sq2;

-- malformed patterns point at the position
SELECT crm.sequence_match('(?1)(?x)', ts(1), true);
SELECT crm.sequence_match('(?1)(?t<5', ts(1), true);
SELECT crm.sequence_match('(?1)(?t=5)(?1)', ts(1), true);
SELECT crm.sequence_match('(?1)(?t<=)(?1)', ts(1), true);
SELECT crm.sequence_match('(?t<5)(?1)', ts(1), true);
SELECT crm.sequence_match('(?1)(?t<5)', ts(1), true);
SELECT crm.sequence_match('(?1)(?2)', ts(1), true);
SELECT crm.sequence_match('(?0)', ts(1), true);
SELECT crm.sequence_match('(?1)x', ts(1), true);
SELECT crm.sequence_match('.*', ts(1), true);
SELECT crm.sequence_match('', ts(1), true);
SELECT crm.sequence_match(NULL, ts(1), true);
SELECT crm.sequence_match(p, ts(1), true) FROM (VALUES ('(?1)'), ('.')) v(p);

-- session_number: a gap exactly equal stays in the session, more starts a new one;
-- NULL time gives NULL and does not count as the previous event
SELECT v, i, t, crm.session_number(t, '30 minutes') OVER (PARTITION BY v ORDER BY i) AS session
FROM (VALUES (1, 1, '2024-01-01 10:00'::timestamptz), (1, 2, '2024-01-01 10:30'), (1, 3, '2024-01-01 11:00:01'),
			 (1, 4, NULL), (1, 5, '2024-01-01 11:10'), (1, 6, '2024-01-02 09:00'),
			 (2, 1, '2024-01-01 10:00'), (2, 2, '2024-01-01 10:00')) s(v, i, t)
ORDER BY v, i;
SELECT crm.session_number(ts(1), '-1 minute') OVER ();
SELECT crm.session_number(ts(1), '1 month') OVER ();
SELECT crm.session_number(ts(1), NULL) OVER ();

-- path_transitions: step k moves from the k-th event to the next or to (end)
SELECT * FROM crm.path_transitions('SELECT u, ts(t), e FROM ev WHERE u IN (1, 2, 7)');
SELECT step, sum(journeys) FROM crm.path_transitions('SELECT u, ts(t), e FROM ev', 2) GROUP BY step ORDER BY step;
-- top_paths: first 2 events, "..." when there are more; converted = reached c
SELECT * FROM crm.top_paths('SELECT u, ts(t), e, e = ''c'' FROM ev', 2, 3);
SELECT * FROM crm.top_paths('SELECT u::text, date ''2024-01-01'' + t, e FROM ev WHERE u < 3', 5);
SELECT * FROM crm.path_transitions('SELECT u, ts(t) FROM ev');
SELECT * FROM crm.path_transitions('SELECT u, e, e FROM ev');
SELECT * FROM crm.path_transitions('SELECT u, ts(t), e FROM ev', 0);
SELECT * FROM crm.top_paths('SELECT u, ts(t), e, 1 FROM ev');
SELECT * FROM crm.top_paths('DELETE FROM ev RETURNING u, ts(t), e');
SELECT * FROM crm.top_paths(NULL);

-- cohort_retention by hand: c1, c2 start in January, c3 in February;
-- c1 active Jan, Mar; c2 Jan, Feb; c3 Feb, Apr; data end in April (April is NULL)
CREATE TABLE act (c text, at timestamptz);
INSERT INTO act VALUES ('c1', '2024-01-05'), ('c1', '2024-01-20'), ('c1', '2024-03-02'),
	('c2', '2024-01-31 23:00'), ('c2', '2024-02-10'), ('c3', '2024-02-01'), ('c3', '2024-04-03');
-- on: Jan cohort (2): p0 2, p1 1 (c2), p2 1 (c1), p3 NULL; Feb cohort (1): p0 1, p1 0, p2 NULL
SELECT * FROM crm.cohort_retention('SELECT c, at FROM act');
-- on_or_after: Jan cohort p1 = 2 (c1 later in March, c2 in Feb), p2 = 1; Feb cohort p1 = 1 (April)
SELECT * FROM crm.cohort_retention('SELECT c, at FROM act', 'month', 'on_or_after');
-- quarters observed until July 1: Q1 cohort of 3, in Q2 only c3 (April); Q3 has not elapsed
SELECT * FROM crm.cohort_retention('SELECT c, at FROM act', 'quarter', 'on', '2024-07-01');
SELECT cohort, period, cohort_size, active FROM crm.cohort_retention('SELECT c, at::date FROM act', 'week') WHERE period < 2;
SELECT * FROM crm.cohort_retention('SELECT c, at FROM act WHERE false');
SELECT * FROM crm.cohort_retention('SELECT c, at FROM act', 'fortnight');
SELECT * FROM crm.cohort_retention('SELECT c, at FROM act', 'month', 'after');
SELECT * FROM crm.cohort_retention('SELECT c FROM act');
SELECT * FROM crm.cohort_retention('SELECT c, 1 FROM act');

-- bad input
SELECT crm.window_funnel('1 day', ts(1), VARIADIC ARRAY[]::boolean[]);
SELECT crm.window_funnel('1 day', ts(1), VARIADIC array_fill(true, ARRAY[33]));
SELECT crm.window_funnel('0 s', ts(1), true);
SELECT crm.window_funnel('-1 day', ts(1), true);
SELECT crm.window_funnel('1 month', ts(1), true);
SELECT crm.window_funnel(NULL, ts(1), true);
SELECT crm.window_funnel('1 day', 'strict_order,strict', ts(1), true);
SELECT crm.window_funnel('1 day', 'backwards', ts(1), true);
SELECT crm.window_funnel('1 day', NULL, ts(1), true);
SELECT crm.window_funnel('1 day', ts(1), VARIADIC NULL::boolean[]);
SELECT crm.window_funnel('1 day', 'infinity'::timestamptz, true);
SELECT crm.window_funnel(w, ts(1), true) FROM (VALUES (interval '1 day'), ('2 days')) v(w);
SELECT crm.window_funnel('1 day', m, ts(1), true) FROM (VALUES ('strict_order'), ('')) v(m);
SELECT crm.window_funnel('1 day', ts(1), VARIADIC s) FROM (VALUES (ARRAY[true]), (ARRAY[true, false])) v(s);
SELECT crm.retention(VARIADIC ARRAY[]::boolean[]);
SELECT * FROM crm.funnel_report(NULL, '1 day');
SELECT * FROM crm.funnel_report('SELECT 1, now(), true', NULL);
SELECT * FROM crm.funnel_report('SELECT 1, now(), true', '1 day', NULL);
SELECT * FROM crm.funnel_report('SELECT 1, now(), true', '0 s');
SELECT * FROM crm.funnel_report('SELECT 1, now(), true', '1 day', 'strict');
SELECT * FROM crm.funnel_report('SELECT 1, now()', '1 day');
SELECT * FROM crm.funnel_report('SELECT 1, 2, true', '1 day');
SELECT * FROM crm.funnel_report('SELECT 1, now(), 1', '1 day');
SELECT * FROM crm.funnel_report('SELECT 1, now(), ' || array_to_string(array_fill('true'::text, ARRAY[33]), ','), '1 day');
SELECT * FROM crm.funnel_report('SELECT 1, ''infinity''::timestamptz, true', '1 day');
-- the same mode written differently is the same mode
SELECT crm.window_funnel('1 day', m, ts(1), true) FROM (VALUES ('strict_order,strict_increase'), (' strict_increase , strict_order')) v(m);

-- the events held per group are bounded by crm_analytics.max_memory
SET crm_analytics.max_memory = '1MB';
SELECT crm.window_funnel('1 day', ts(i), true) FROM generate_series(1, 100000) i;
SELECT crm.sequence_count('(?1)', ts(i), true) FROM generate_series(1, 100000) i;
SELECT crm.window_funnel('1 day', ts(i % 10), true) FROM generate_series(1, 100000) i GROUP BY i % 1000 LIMIT 1;
-- (terse: the size in the detail depends on the allocator of the build)
\set VERBOSITY terse
SELECT * FROM crm.funnel_report('SELECT i, ts(i), true FROM generate_series(1, 100000) i', '1 day');
\set VERBOSITY default
RESET crm_analytics.max_memory;

-- parallel plans: partial aggregates in workers, combined in the leader, equal to the serial result
CREATE TABLE big AS
SELECT (i % 5000) AS u, ts(abs(hashint4(i * 3)) % 100000) AS t, (ARRAY['view','cart','checkout','buy','x'])[1 + abs(hashint4(i)) % 5] AS e
FROM generate_series(1, 200000) i;
ANALYZE big;
CREATE TABLE big_serial AS
SELECT u, crm.window_funnel('1 hour', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS l1,
	   crm.window_funnel('1 hour', 'strict_order,strict_increase', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS l2,
	   crm.funnel_times('1 hour', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS ft,
	   crm.retention(e = 'view', e = 'buy', e = 'x') AS r,
	   crm.sequence_count('(?1)(?t<=60)(?2)', t, e = 'view', e = 'cart') AS sc,
	   crm.sequence_match('(?1).(?2)', t, e = 'cart', e = 'buy') AS sm
FROM big GROUP BY u;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT u, crm.window_funnel('1 hour', t, e = 'view', e = 'cart') FROM big GROUP BY u;
CREATE TABLE big_parallel AS
SELECT u, crm.window_funnel('1 hour', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS l1,
	   crm.window_funnel('1 hour', 'strict_order,strict_increase', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS l2,
	   crm.funnel_times('1 hour', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS ft,
	   crm.retention(e = 'view', e = 'buy', e = 'x') AS r,
	   crm.sequence_count('(?1)(?t<=60)(?2)', t, e = 'view', e = 'cart') AS sc,
	   crm.sequence_match('(?1).(?2)', t, e = 'cart', e = 'buy') AS sm
FROM big GROUP BY u;
EXPLAIN (COSTS OFF)
SELECT crm.sequence_count('(?1)', t, e = 'view'), crm.retention(e = 'view') FROM big;
SELECT crm.window_funnel('1 hour', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS level,
	   crm.sequence_count('(?1)(?t<=60)(?2)', t, e = 'view', e = 'cart') AS matches,
	   crm.retention(e = 'view', e = 'buy', e = 'nothing') AS retention
FROM big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT crm.window_funnel('1 hour', t, e = 'view', e = 'cart', e = 'checkout', e = 'buy') AS level,
	   crm.sequence_count('(?1)(?t<=60)(?2)', t, e = 'view', e = 'cart') AS matches,
	   crm.retention(e = 'view', e = 'buy', e = 'nothing') AS retention
FROM big;
SELECT count(*) AS visitors,
	   count(*) FILTER (WHERE (s.l1, s.l2, s.ft, s.r, s.sc, s.sm) IS DISTINCT FROM (p.l1, p.l2, p.ft, p.r, p.sc, p.sm)) AS parallel_differs,
	   count(DISTINCT s.l1) AS distinct_levels, count(DISTINCT s.sc) AS distinct_counts
FROM big_serial s FULL JOIN big_parallel p USING (u);
RESET max_parallel_workers_per_gather;

-- running window aggregates: each row equals the aggregate over its prefix
CREATE TABLE run AS SELECT u, t, e, row_number() OVER (PARTITION BY u ORDER BY t, e) AS seq FROM ev;
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE w.l IS DISTINCT FROM p.l OR w.lo IS DISTINCT FROM p.lo OR w.ft IS DISTINCT FROM p.ft
						OR w.r IS DISTINCT FROM p.r OR w.sm IS DISTINCT FROM p.sm OR w.sc IS DISTINCT FROM p.sc) AS differ,
	   count(DISTINCT w.l) AS distinct_levels, count(DISTINCT w.sc) AS distinct_counts
FROM (SELECT u, seq,
			 crm.window_funnel('1 day', ts(t), e = 'a', e = 'b', e = 'c') OVER (PARTITION BY u ORDER BY seq) AS l,
			 crm.window_funnel('1 day', 'strict_order', ts(t), e = 'a', e = 'b', e = 'c') OVER (PARTITION BY u ORDER BY seq) AS lo,
			 crm.funnel_times('1 day', ts(t), e = 'a', e = 'b', e = 'c') OVER (PARTITION BY u ORDER BY seq) AS ft,
			 crm.retention(e = 'a', e = 'b', e = 'c') OVER (PARTITION BY u ORDER BY seq) AS r,
			 crm.sequence_match('(?1)(?2)', ts(t), e = 'a', e = 'b') OVER (PARTITION BY u ORDER BY seq) AS sm,
			 crm.sequence_count('(?1).*(?2)', ts(t), e = 'a', e = 'c') OVER (PARTITION BY u ORDER BY seq) AS sc
	  FROM run) w
JOIN LATERAL (SELECT crm.window_funnel('1 day', ts(t), e = 'a', e = 'b', e = 'c') AS l,
					 crm.window_funnel('1 day', 'strict_order', ts(t), e = 'a', e = 'b', e = 'c') AS lo,
					 crm.funnel_times('1 day', ts(t), e = 'a', e = 'b', e = 'c') AS ft,
					 crm.retention(e = 'a', e = 'b', e = 'c') AS r,
					 crm.sequence_match('(?1)(?2)', ts(t), e = 'a', e = 'b') AS sm,
					 crm.sequence_count('(?1).*(?2)', ts(t), e = 'a', e = 'c') AS sc
			  FROM run r WHERE r.u = w.u AND r.seq <= w.seq) p ON true;
-- rows arriving out of time order in a running window (the final function sorts a copy)
SELECT seq, crm.window_funnel('1 day', ts(t), e = 'a', e = 'b') OVER (ORDER BY seq) AS level
FROM (VALUES (1, 5, 'b'), (2, 9, 'x'), (3, 1, 'a'), (4, 7, 'b')) v(seq, t, e) ORDER BY seq;
-- found by crm_fuzz: the final function of crm.retention called on a bigint
-- that is no state of it (an internal error before)
SELECT crm.retention_finalfn(42);
\echo :LAST_ERROR_SQLSTATE
