-- RFM measures of one customer
\set n random(1, :customers)
SELECT customer_id AS cid FROM crm_load_customers WHERE n = :n \gset
SELECT crm.rfm_summary(ordered_at, amount, '2025-01-01') FROM crm_demo.orders WHERE customer_id = :cid;
