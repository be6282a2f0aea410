-- The functions of the extension that run a caller's query, each with a
-- call and the columns (over sec_data) its query returns: the cases of
-- sql/security.sql (hostile queries) and of test/t/970_hot_standby.sh (every
-- function on a standby).  A new function with a query argument needs a case
-- here: both fail without one.  Creates sec_data and sec_cases (fn, call, cols).
CREATE TABLE sec_data (customer int, item text, amount numeric, ts timestamptz, x float8);
INSERT INTO sec_data
SELECT i % 5, 'i' || (i % 4), i, '2024-01-01'::timestamptz + i * interval '1 day', i % 7
FROM generate_series(1, 40) i;

-- one case per function: the call with %s for the query, and the columns
-- (over sec_data) that the query must return
CREATE TABLE sec_cases (fn regprocedure, call text, cols text);
INSERT INTO sec_cases VALUES
 ('crm.rfm_scores(text, timestamptz, integer)', 'crm.rfm_scores(%s, ''2024-06-01'')', 'customer, ts, amount'),
 ('crm.frequent_itemsets(text, float8, integer)', 'crm.frequent_itemsets(%s, 0.1)', 'customer, item'),
 ('crm.association_rules(text, float8, float8, integer, integer)', 'crm.association_rules(%s, 0.1)', 'customer, item'),
 ('crm.kmeans_evaluate(text, integer, integer, bigint, integer)', 'crm.kmeans_evaluate(%s, 1, 2)', 'ARRAY[x]'),
 ('crm.nearest_neighbors(text, integer, text)', 'crm.nearest_neighbors(%s)', 'customer, item, amount'),
 ('crm.similar_customers(text, text, integer, text)', 'crm.similar_customers(%s, ''1'')', 'customer, item, amount'),
 ('crm.similar_items(text, text, integer, text)', 'crm.similar_items(%s, ''i1'')', 'customer, item, amount'),
 ('crm.recommend_items(text, text, integer, integer, text)', 'crm.recommend_items(%s, ''1'')', 'customer, item, amount'),
 ('crm.gesd(text, integer, float8)', 'crm.gesd(%s, 2)', 'item, x'),
 ('crm.detect_anomalies(text, integer, float8, float8, text)', 'crm.detect_anomalies(%s, 7)', 'ts, x'),
 ('crm.customer_deviation(text, interval, timestamptz, integer)',
  'crm.customer_deviation(%s, ''1 week'', ''2024-02-10'', 3)', 'customer, ts, amount'),
 ('crm.stl(text, integer, boolean, integer)', 'crm.stl(%s, 7)', 'ts, x'),
 ('crm.abc_classes(text, float8, float8)', 'crm.abc_classes(%s)', 'item, amount'),
 ('crm.lorenz_curve(text, integer)', 'crm.lorenz_curve(%s)', 'item, amount'),
 ('crm.path_transitions(text, integer)', 'crm.path_transitions(%s)', 'customer, ts, item'),
 ('crm.top_paths(text, integer, integer)', 'crm.top_paths(%s)', 'customer, ts, item'),
 ('crm.cohort_retention(text, text, text, timestamptz)', 'crm.cohort_retention(%s)', 'customer, ts'),
 ('crm.funnel_report(text, interval, text)', 'crm.funnel_report(%s, ''1 week'')', 'customer, ts, x > 2, x > 4'),
 ('crm.attribution(text, text, interval)', 'crm.attribution(%s, ''markov'')', 'customer, ts, item, x'),
 ('crm.logistic_regression(text, float8, text, integer)', 'crm.logistic_regression(%s)', 'customer > 2, x, amount'),
 ('crm.linear_regression(text, float8)', 'crm.linear_regression(%s)', 'amount, x'),
 ('crm.lift_table(text, integer)', 'crm.lift_table(%s)', 'x, customer > 2'),
 ('crm.roc_curve(text, boolean)', 'crm.roc_curve(%s)', 'x, customer > 2'),
 ('crm.query_rows(text)', 'crm.query_rows(%s) AS t(customer text, item text, amount numeric)', 'customer, item, amount'),
 ('crm.decision_tree(text, integer, integer, text)', 'crm.decision_tree(%s, 2, 5)', 'customer > 2, x, amount'),
 ('crm.boosted_trees(text, integer, float8, integer, integer, float8, bigint, float8, text)',
  'crm.boosted_trees(%s, 3, 0.1, 2, 5)', 'customer > 2, x, amount');

