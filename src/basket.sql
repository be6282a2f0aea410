-- ---------------------------------------------------------------------------
-- Basket association: frequent itemsets, association rules, cross-sell
-- (src/basket.c, FP-growth)
-- ---------------------------------------------------------------------------

CREATE FUNCTION crm.frequent_itemsets(query text, min_support float8, max_length integer DEFAULT NULL)
RETURNS TABLE (items text[], count bigint, support float8)
AS 'MODULE_PATHNAME', 'frequent_itemsets'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.frequent_itemsets(text, float8, integer) IS
'frequent itemsets (FP-growth) of a query returning (basket, item) rows: itemsets in at least ceil(min_support * N) of the N baskets, at most max_length items (NULL: no bound); items sorted by their text in byte order';

CREATE FUNCTION crm.association_rules(query text, min_support float8, min_confidence float8 DEFAULT 0,
									  max_length integer DEFAULT NULL, max_consequent integer DEFAULT 1)
RETURNS TABLE (antecedent text[], consequent text[], support float8, confidence float8,
			   lift float8, leverage float8, conviction float8, count bigint)
AS 'MODULE_PATHNAME', 'association_rules'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.association_rules(text, float8, float8, integer, integer) IS
'association rules X => Y (arules semantics, X non-empty, Y of at most max_consequent items) of a query returning (basket, item) rows, from the itemsets of at most max_length items in at least ceil(min_support * N) baskets, with confidence >= min_confidence';

CREATE FUNCTION crm.cross_sell(basket text[], rules regclass, k integer DEFAULT 5)
RETURNS TABLE (item text, score float8, antecedent text[], consequent text[],
			   support float8, confidence float8, lift float8)
AS 'MODULE_PATHNAME', 'cross_sell'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE ROWS 5;
COMMENT ON FUNCTION crm.cross_sell(text[], regclass, integer) IS
'top k items to offer with a basket, not already in it, from a table of association rules: per item the best rule whose antecedent is in the basket (highest confidence, then lift); score = that confidence';

