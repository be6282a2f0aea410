-- similar customers from stored profiles (posting lists, exact cosine top 5)
\set n random(1, :customers)
SELECT customer_id AS cid FROM crm_load_customers WHERE n = :n \gset
WITH t AS MATERIALIZED (SELECT p FROM c360_profiles WHERE customer_id = :cid),
cand AS (SELECT unnest(crm.profile_candidates(t.p, x.item, x.postings, 6)) AS customer_id
		 FROM t, c360_postings x WHERE x.item = ANY (crm.profile_items(t.p)))
SELECT s.customer_id, crm.profile_cosine(s.p, t.p) AS similarity
FROM cand JOIN c360_profiles s USING (customer_id), t
WHERE s.customer_id <> :cid ORDER BY 2 DESC, 1 LIMIT 5;
