-- crm.query_rows and the argument checks of crm.refresh_customer_360 (the
-- job itself runs on generated data under pg_cron in
-- test/t/960_customer360_cron.sh).
SET extra_float_digits = 0;
CREATE TABLE q_orders (id bigint, ordered_at timestamptz, amount numeric(10,2), note varchar(10));
INSERT INTO q_orders VALUES
 (1, '2024-01-01 10:00+00', 10.50, 'a'), (1, '2024-02-01 10:00+00', 20.25, NULL),
 (2, '2024-01-15 10:00+00', 5.00, 'b'), (NULL, '2024-03-01 10:00+00', NULL, 'c');

-- the rows as declared, each column converted as ::type does
SELECT * FROM crm.query_rows('SELECT id, ordered_at, amount, note FROM q_orders ORDER BY ordered_at')
	AS t(customer text, ordered_at timestamptz, amount float8, note text);
SELECT customer, sum(amount) FROM crm.query_rows('SELECT id, amount FROM q_orders') AS t(customer text, amount numeric)
GROUP BY 1 ORDER BY 1;
-- no rows
SELECT count(*) FROM crm.query_rows('SELECT id FROM q_orders WHERE false') AS t(id int);

-- errors
SELECT * FROM crm.query_rows('SELECT id, amount FROM q_orders') AS t(customer text);
SELECT * FROM crm.query_rows('SELECT ordered_at FROM q_orders') AS t(x point);
SELECT * FROM crm.query_rows('DELETE FROM q_orders RETURNING id') AS t(id int);
SELECT * FROM crm.query_rows('SELECT 1; SELECT 2') AS t(id int);
SELECT * FROM crm.query_rows(NULL) AS t(id int);
SELECT crm.query_rows('SELECT 1');
SELECT * FROM crm.query_rows('SELECT 1');
SELECT count(*) AS rows_left FROM q_orders;

-- crm.refresh_customer_360: the arguments
CREATE TABLE q_features (customer_id bigint, x float8);
CREATE TABLE q_models (model crm.model);
CALL crm.refresh_customer_360(NULL, 'SELECT 1', 'SELECT 1', 'SELECT 1', 'q_features', 'q_features');
CALL crm.refresh_customer_360('public.c360', 'SELECT id, ordered_at, amount FROM q_orders', 'SELECT 1', 'SELECT model FROM q_models',
							  'q_features', 'q_features', segments => 0);
CALL crm.refresh_customer_360('a.b.c', 'SELECT id, ordered_at, amount FROM q_orders', 'SELECT 1', 'SELECT model FROM q_models',
							  'q_features', 'q_features');
CALL crm.refresh_customer_360('public.c360', 'SELECT id, ordered_at, amount FROM q_orders', 'SELECT 1', 'SELECT model FROM q_models',
							  'q_features', 'q_features');
CALL crm.refresh_customer_360('public.c360', 'SELECT id, ordered_at, amount FROM q_orders', 'SELECT 1',
							  'DELETE FROM q_models RETURNING model', 'q_features', 'q_features');
CREATE TABLE c360_building (x int);
INSERT INTO q_models SELECT crm.linear_regression('SELECT amount, id FROM q_orders WHERE id IS NOT NULL');
CALL crm.refresh_customer_360('public.c360', 'SELECT id, ordered_at, amount FROM q_orders', 'SELECT 1', 'SELECT model FROM q_models',
							  'q_features', 'q_features');
DROP TABLE c360_building;
-- a query that writes is refused before anything is built
\set VERBOSITY terse
CALL crm.refresh_customer_360('public.c360', 'WITH d AS (DELETE FROM q_orders RETURNING *) SELECT id, ordered_at, amount FROM d',
							  'SELECT 1', 'SELECT model FROM q_models', 'q_features', 'q_features');
\set VERBOSITY default
SELECT count(*) AS rows_left, to_regclass('public.c360') IS NULL AS no_table FROM q_orders;

DROP TABLE q_orders, q_features, q_models;
