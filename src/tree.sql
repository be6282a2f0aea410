------------------------------------------------------------------------------
-- Prediction II: decision trees and gradient-boosted trees
------------------------------------------------------------------------------

CREATE FUNCTION crm.decision_tree(query text, max_depth integer DEFAULT 5, min_leaf integer DEFAULT 20,
								  criterion text DEFAULT NULL)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'decision_tree'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION crm.decision_tree(text, integer, integer, text) IS
'CART decision tree of a query returning (target, feature, ...): classes (gini or entropy) or a number (squared_error), exact numeric thresholds, categorical features split into two subsets of levels; grown level by level, in memory or one pass over the query per level';

CREATE FUNCTION crm.boosted_trees(query text, trees integer DEFAULT 100, learning_rate float8 DEFAULT 0.1,
								  max_depth integer DEFAULT 3, min_leaf integer DEFAULT 20,
								  subsample float8 DEFAULT 1, seed bigint DEFAULT 0,
								  validation_fraction float8 DEFAULT 0, loss text DEFAULT NULL)
RETURNS crm.model
AS 'MODULE_PATHNAME', 'boosted_trees'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION crm.boosted_trees(text, integer, float8, integer, integer, float8, bigint, float8, text) IS
'gradient-boosted trees of a query returning (target, feature, ...): log-loss for a binary target, squared error for a number; histogram split finding over at most 255 bins per feature, row subsampling, early stopping on a held-out fraction';

CREATE FUNCTION crm.tree_rules(model crm.model)
RETURNS TABLE (leaf integer, rule text, "rows" bigint, prediction float8, class text, depth integer, tree integer)
AS 'MODULE_PATHNAME', 'tree_rules'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 32;
COMMENT ON FUNCTION crm.tree_rules(crm.model) IS
'one row per leaf of a decision tree (or of every tree of boosted trees): the path as a SQL condition, its training rows, its prediction (positive-class rate, probability of the most probable class, mean, or leaf value) and its class as crm.predict_label gives it';
