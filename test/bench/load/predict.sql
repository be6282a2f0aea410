-- churn probability of one customer: exactly one row, or the client aborts (\gset)
\set n random(1, :customers)
SELECT customer_id AS cid FROM crm_load_customers WHERE n = :n \gset
SELECT crm.predict(m.model, f) AS churn FROM c360_features f, c360_model m WHERE f.customer_id = :cid \gset
