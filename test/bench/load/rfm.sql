-- RFM measures of one customer
\set cid random(1, :customers)
SELECT crm.rfm_summary(ordered_at, amount, '2025-01-01') FROM crm_demo.orders WHERE customer_id = :cid;
