-- the customer 360 row of one customer (the table the batch job replaces):
-- exactly one row, or the client aborts (\gset)
\set cid random(1, :customers)
SELECT * FROM customer_360 WHERE customer = :cid::text \gset c360_
