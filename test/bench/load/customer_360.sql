-- the customer 360 row of one customer (the table the batch job replaces):
-- exactly one row, or the client aborts (\gset)
\set n random(1, :customers)
SELECT customer_id AS cid FROM crm_load_customers WHERE n = :n \gset
SELECT * FROM customer_360 WHERE customer = :cid::text \gset c360_
