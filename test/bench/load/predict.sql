-- churn probability of one customer: exactly one row, or the client aborts (\gset)
\set cid random(1, :customers)
SELECT crm.predict(m.model, f) AS churn FROM c360_features f, c360_model m WHERE f.customer_id = :cid \gset
