-- Every aggregate of the extension as a running window aggregate.
--
-- In a window with ORDER BY, PostgreSQL keeps one transition state, adds a
-- row and calls the final function again after every row: a final function
-- that changes or frees its state gives wrong answers from then on.  Each
-- case below computes the aggregate as agg(...) OVER (ORDER BY seq) and
-- compares every row with the same aggregate computed from scratch over that
-- prefix (agg(... ORDER BY seq) over the rows of the frame).  The window
-- orders by g = greatest(seq, 3), so that the first frame holds three rows
-- (k-means with k = 2 or 3 needs as many points); within a frame the rows
-- come in seq order on both sides.
-- The list must name every aggregate of schema crm: a new aggregate without
-- a case here fails this test.  The partial forms crm.x_partial (aggstate.sql)
-- take the cases of their aggregate, and compare the text of their states.
SET extra_float_digits = 0;

\i test/sql/aggregate_cases.sql

-- every aggregate of schema crm has a case
SELECT p.oid::regprocedure AS aggregate_without_a_case
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'crm' AND p.prokind = 'a'
  AND p.oid NOT IN (SELECT aggregate FROM agg_cases)
ORDER BY 1;

-- rows where the running window aggregate differs from the aggregate of the prefix
CREATE FUNCTION agg_window_mismatches(c agg_cases) RETURNS TABLE (rows bigint, mismatches bigint, nulls bigint)
LANGUAGE plpgsql AS $$
DECLARE
	fn text := (SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname)
				FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = c.aggregate);
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT count(*), count(*) FILTER (WHERE w.v IS DISTINCT FROM s.v), count(*) FILTER (WHERE w.v IS NULL)
		 FROM (SELECT g, (%1$s(%2$s) OVER (ORDER BY g))::text AS v
			   FROM (SELECT * FROM %3$s ORDER BY g, seq) o) w
		 CROSS JOIN LATERAL (SELECT (%1$s(%2$s ORDER BY seq))::text AS v FROM %3$s x WHERE x.g <= w.g) s',
		fn, c.args, c.src);
END $$;

-- (the fits on these few rows do not converge: their warnings are not the point)
SET client_min_messages = error;
SELECT c.aggregate, m.rows, m.mismatches, m.nulls
FROM agg_cases c, agg_window_mismatches(c) m
ORDER BY c.aggregate::text;
RESET client_min_messages;

-- the use-after-free of the review: clv_summary's final function merged the
-- days of its state through a shallow copy and freed numerics the state
-- still owned; the running total then went wrong.  Here by hand: days 1, 2
-- and 1 again (unsorted tail), amounts with 12 decimals and of 10^16.
SELECT seq, (crm.clv_summary(ts, amount, '2024-01-10', '1 day') OVER (ORDER BY seq)).*
FROM (VALUES (1, '2024-01-02 10:00'::timestamptz, 1.000000000001),
			 (2, '2024-01-01 10:00', 10000000000000000.5),
			 (3, '2024-01-02 11:00', 2.000000000002),
			 (4, '2024-01-01 12:00', 0.000000000003),
			 (5, '2024-01-04 12:00', 4.5)) v(seq, ts, amount)
ORDER BY seq;

DROP FUNCTION agg_window_mismatches(agg_cases);
DROP VIEW agg_rows_few;
DROP TABLE agg_states, agg_cases, agg_postings, agg_profiles, agg_rows;
