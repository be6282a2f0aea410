-- The extension cannot be turned against the database it runs in.
--
-- 1. Every function that runs a caller's query runs it read-only: a
--    data-modifying statement (also inside WITH), SELECT ... FOR UPDATE, and
--    a SELECT calling a volatile function that writes a table are refused,
--    and nothing changes.  The list must name every function of schema crm
--    with an argument named query: a new one without a case fails here.
-- 2. SQL inside the extension resolves nothing through the caller's
--    search_path: planted operators are never called.
SET extra_float_digits = 0;

\i test/sql/query_cases.sql

-- a volatile function that writes a table when the query calls it
CREATE FUNCTION sec_write() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	DELETE FROM sec_data WHERE customer = 0;
	RETURN 1;
END $$;

SELECT p.oid::regprocedure AS function_without_a_case
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'crm' AND 'query' = ANY (p.proargnames)
  AND p.oid NOT IN (SELECT fn FROM sec_cases)
ORDER BY 1;

-- the hostile queries of each case: what each one got
CREATE FUNCTION sec_try(c sec_cases) RETURNS TABLE (variant text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
	q text;
	v record;
BEGIN
	FOR v IN SELECT * FROM (VALUES
		('plain SELECT', format('SELECT %s FROM sec_data', c.cols)),
		('WITH DELETE', format('WITH d AS (DELETE FROM sec_data RETURNING *) SELECT %s FROM d', c.cols)),
		('WITH UPDATE', format('WITH d AS (UPDATE sec_data SET amount = 0 RETURNING *) SELECT %s FROM d', c.cols)),
		('WITH INSERT', format('WITH d AS (INSERT INTO sec_data SELECT * FROM sec_data RETURNING *) SELECT %s FROM d', c.cols)),
		('FOR UPDATE', format('SELECT %s FROM sec_data FOR UPDATE', c.cols)),
		('volatile writer', format('SELECT %s FROM sec_data WHERE sec_write() = 1', c.cols)),
		('DELETE RETURNING', format('DELETE FROM sec_data RETURNING %s', c.cols)),
		('SELECT INTO', format('SELECT %s INTO sec_copy FROM sec_data', c.cols))) AS t(name, sql)
	LOOP
		q := format('SELECT count(*) FROM ' || c.call, quote_literal(v.sql));
		BEGIN
			EXECUTE q;
			variant := v.name; outcome := 'ran';
		EXCEPTION WHEN OTHERS THEN
			variant := v.name; outcome := SQLSTATE || ' ' || SQLERRM;
		END;
		RETURN NEXT;
	END LOOP;
END $$;

SELECT c.fn, t.variant, t.outcome
FROM sec_cases c, sec_try(c) t
ORDER BY c.fn::text, t.variant;

-- nothing changed
SELECT count(*) AS rows, sum(amount) AS total, count(*) FILTER (WHERE customer = 0) AS customer_0
FROM sec_data;
SELECT to_regclass('sec_copy') IS NULL AS no_table_created;
-- and the caller's transaction is read-write again afterwards
SHOW transaction_read_only;

-- planted operators on a hostile search_path are not called
CREATE SCHEMA sec_evil;
CREATE FUNCTION sec_evil.minus(a integer, b integer) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'planted operator called'; RETURN 1000; END $$;
CREATE OPERATOR sec_evil.- (LEFTARG = integer, RIGHTARG = integer, FUNCTION = sec_evil.minus);
CREATE OPERATOR sec_evil.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = sec_evil.minus);
CREATE TABLE sec_rules AS SELECT * FROM crm.association_rules('SELECT customer, item FROM sec_data', 0.1);
SET search_path = sec_evil, pg_catalog, public;
SELECT 5 - 3 AS planted_operator_works_here;
SELECT * FROM crm.kmeans_centroids('[0:1][1:2]={{1,2},{3,4}}');
SELECT item, score FROM crm.cross_sell(ARRAY['i1'], 'sec_rules', 2) ORDER BY 1;
RESET search_path;

DROP SCHEMA sec_evil CASCADE;
DROP FUNCTION sec_try(sec_cases);
DROP FUNCTION sec_write();
DROP TABLE sec_cases, sec_data, sec_rules;
