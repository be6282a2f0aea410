/* crm_analytics 0.1.0: analytic CRM inside PostgreSQL */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION crm_analytics" to load this file. \quit

-- The functions run with the caller's rights and read only what the caller
-- may read, so every role may use them (as for functions in schema public).
GRANT USAGE ON SCHEMA crm TO PUBLIC;

------------------------------------------------------------------------------
-- RFM: recency, frequency, monetary value
------------------------------------------------------------------------------

CREATE TYPE crm.rfm_summary AS (
	recency_days integer,
	frequency bigint,
	monetary numeric,
	first_order timestamptz,
	last_order timestamptz,
	tenure_days integer,
	avg_order_value numeric
);
COMMENT ON TYPE crm.rfm_summary IS
'RFM measures of one customer: days since the last order, number of orders, total amount, first and last order, days since the first order, average order value';

CREATE FUNCTION crm.rfm_summary_transfn(internal, timestamptz, numeric, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_transfn(internal, timestamptz, numeric, timestamptz) IS
'transition function of crm.rfm_summary for numeric amounts';

CREATE FUNCTION crm.rfm_summary_float8_transfn(internal, timestamptz, float8, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_float8_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_float8_transfn(internal, timestamptz, float8, timestamptz) IS
'transition function of crm.rfm_summary for float8 amounts';

CREATE FUNCTION crm.rfm_summary_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_combinefn(internal, internal) IS
'combine function of crm.rfm_summary (merges partial states of parallel workers)';

CREATE FUNCTION crm.rfm_summary_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'rfm_summary_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_serialfn(internal) IS
'serialization function of crm.rfm_summary';

CREATE FUNCTION crm.rfm_summary_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'rfm_summary_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_deserialfn(bytea, internal) IS
'deserialization function of crm.rfm_summary';

CREATE FUNCTION crm.rfm_summary_finalfn(internal)
RETURNS crm.rfm_summary
AS 'MODULE_PATHNAME', 'rfm_summary_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_summary_finalfn(internal) IS
'final function of crm.rfm_summary';

CREATE AGGREGATE crm.rfm_summary(ordered_at timestamptz, amount numeric, as_of timestamptz) (
	SFUNC = crm.rfm_summary_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.rfm_summary_finalfn,
	COMBINEFUNC = crm.rfm_summary_combinefn,
	SERIALFUNC = crm.rfm_summary_serialfn,
	DESERIALFUNC = crm.rfm_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.rfm_summary(timestamptz, numeric, timestamptz) IS
'RFM measures of a group of orders as of a date: orders after as_of and rows with a NULL time or amount are skipped';

CREATE AGGREGATE crm.rfm_summary(ordered_at timestamptz, amount float8, as_of timestamptz) (
	SFUNC = crm.rfm_summary_float8_transfn,
	STYPE = internal,
	SSPACE = 112,
	FINALFUNC = crm.rfm_summary_finalfn,
	COMBINEFUNC = crm.rfm_summary_combinefn,
	SERIALFUNC = crm.rfm_summary_serialfn,
	DESERIALFUNC = crm.rfm_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.rfm_summary(timestamptz, float8, timestamptz) IS
'RFM measures of a group of orders with float8 amounts (compensated summation), as of a date';

CREATE FUNCTION crm.rfm_segment(r integer, f integer, m integer)
RETURNS text
AS 'MODULE_PATHNAME', 'rfm_segment'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.rfm_segment(integer, integer, integer) IS
'name of the customer segment (Champions ... Lost) of a 5-bin RFM cell';

CREATE FUNCTION crm.rfm_scores(query text, as_of timestamptz DEFAULT pg_catalog.now(), bins integer DEFAULT 5)
RETURNS TABLE (customer text, recency_days integer, frequency bigint, monetary numeric,
			   r_score integer, f_score integer, m_score integer, rfm_cell text, segment text)
AS 'MODULE_PATHNAME', 'rfm_scores'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.rfm_scores(text, timestamptz, integer) IS
'RFM measures, tie-consistent quantile scores (bins = best) and segment per customer of a query returning (customer, ordered_at, amount)';

------------------------------------------------------------------------------
-- k-means: customer segmentation (training, assignment, choosing k, scaling)
------------------------------------------------------------------------------

CREATE FUNCTION crm.kmeans_transfn(internal, float8[], integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'kmeans_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_transfn(internal, float8[], integer) IS
'transition function of crm.kmeans(features, k): collects the points (bounded by crm_analytics.kmeans_max_memory)';

CREATE FUNCTION crm.kmeans_transfn(internal, float8[], integer, bigint)
RETURNS internal
AS 'MODULE_PATHNAME', 'kmeans_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_transfn(internal, float8[], integer, bigint) IS
'transition function of crm.kmeans(features, k, seed)';

CREATE FUNCTION crm.kmeans_transfn(internal, float8[], integer, bigint, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'kmeans_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_transfn(internal, float8[], integer, bigint, integer) IS
'transition function of crm.kmeans(features, k, seed, restarts)';

CREATE FUNCTION crm.kmeans_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'kmeans_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_combinefn(internal, internal) IS
'combine function of crm.kmeans: concatenates the points of partial states, or merges their uniform samples';

CREATE FUNCTION crm.kmeans_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'kmeans_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_serialfn(internal) IS
'serialization function of crm.kmeans';

CREATE FUNCTION crm.kmeans_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'kmeans_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_deserialfn(bytea, internal) IS
'deserialization function of crm.kmeans';

CREATE FUNCTION crm.kmeans_finalfn(internal)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'kmeans_finalfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_finalfn(internal) IS
'final function of crm.kmeans: k-means++ seeding, Lloyd iterations (Hamerly bounds), best of the restarts';

CREATE AGGREGATE crm.kmeans(features float8[], k integer) (
	SFUNC = crm.kmeans_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = crm.kmeans_finalfn,
	COMBINEFUNC = crm.kmeans_combinefn,
	SERIALFUNC = crm.kmeans_serialfn,
	DESERIALFUNC = crm.kmeans_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans(float8[], integer) IS
'k-means centroids (k x d float8[], rows sorted) of the feature arrays, seed 0 and 10 restarts; NULL rows are skipped';

CREATE AGGREGATE crm.kmeans(features float8[], k integer, seed bigint) (
	SFUNC = crm.kmeans_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = crm.kmeans_finalfn,
	COMBINEFUNC = crm.kmeans_combinefn,
	SERIALFUNC = crm.kmeans_serialfn,
	DESERIALFUNC = crm.kmeans_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans(float8[], integer, bigint) IS
'k-means centroids (k x d float8[]) with a given PRNG seed and 10 restarts';

CREATE AGGREGATE crm.kmeans(features float8[], k integer, seed bigint, restarts integer) (
	SFUNC = crm.kmeans_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = crm.kmeans_finalfn,
	COMBINEFUNC = crm.kmeans_combinefn,
	SERIALFUNC = crm.kmeans_serialfn,
	DESERIALFUNC = crm.kmeans_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans(float8[], integer, bigint, integer) IS
'k-means centroids (k x d float8[]) with a given PRNG seed and number of k-means++ restarts (the lowest inertia wins)';

CREATE FUNCTION crm.closest_centroid(features float8[], centroids float8[])
RETURNS integer
AS 'MODULE_PATHNAME', 'closest_centroid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.closest_centroid(float8[], float8[]) IS
'1-based number of the centroid (row of a crm.kmeans result) nearest to the features in Euclidean distance; the lowest number on ties';

CREATE FUNCTION crm.centroid_distance(features float8[], centroids float8[])
RETURNS float8
AS 'MODULE_PATHNAME', 'centroid_distance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.centroid_distance(float8[], float8[]) IS
'Euclidean distance from the features to the nearest centroid (row of a crm.kmeans result)';

CREATE FUNCTION crm.kmeans_inertia_transfn(float8, float8[], float8[])
RETURNS float8
AS 'MODULE_PATHNAME', 'kmeans_inertia_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.kmeans_inertia_transfn(float8, float8[], float8[]) IS
'transition function of crm.kmeans_inertia';

CREATE AGGREGATE crm.kmeans_inertia(features float8[], centroids float8[]) (
	SFUNC = crm.kmeans_inertia_transfn,
	STYPE = float8,
	COMBINEFUNC = pg_catalog.float8pl,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans_inertia(float8[], float8[]) IS
'inertia of a k-means model on a data set: sum of squared Euclidean distances of the points to their nearest centroid; NULL rows are skipped';

CREATE FUNCTION crm.kmeans_centroids(centroids float8[])
RETURNS TABLE (cluster integer, centroid float8[])
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT (i - pg_catalog.array_lower(centroids, 1) + 1)::integer,
		   ARRAY(SELECT centroids[i][j] FROM pg_catalog.generate_subscripts(centroids, 2) AS j ORDER BY j)
	FROM pg_catalog.generate_subscripts(centroids, 1) AS i
	ORDER BY i
$$;
COMMENT ON FUNCTION crm.kmeans_centroids(float8[]) IS
'the rows of a crm.kmeans result as (cluster, centroid) pairs, cluster numbers as crm.closest_centroid gives them';

CREATE FUNCTION crm.kmeans_evaluate(query text, k_min integer, k_max integer,
									seed bigint DEFAULT 0, restarts integer DEFAULT 10)
RETURNS TABLE (k integer, inertia float8, simplified_silhouette float8, centroids float8[])
AS 'MODULE_PATHNAME', 'kmeans_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION crm.kmeans_evaluate(text, integer, integer, bigint, integer) IS
'fits k-means for each k from k_min to k_max on the points of a query returning one float8[] column; inertia, mean simplified silhouette (NULL for k = 1) and centroids per k, to choose k';

CREATE FUNCTION crm.scaler_fit_transfn(internal, float8[])
RETURNS internal
AS 'MODULE_PATHNAME', 'scaler_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_fit_transfn(internal, float8[]) IS
'transition function of crm.scaler_fit';

CREATE FUNCTION crm.scaler_fit_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'scaler_fit_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_fit_combinefn(internal, internal) IS
'combine function of crm.scaler_fit';

CREATE FUNCTION crm.scaler_fit_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'scaler_fit_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_fit_serialfn(internal) IS
'serialization function of crm.scaler_fit';

CREATE FUNCTION crm.scaler_fit_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'scaler_fit_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_fit_deserialfn(bytea, internal) IS
'deserialization function of crm.scaler_fit';

CREATE FUNCTION crm.scaler_fit_finalfn(internal)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'scaler_fit_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_fit_finalfn(internal) IS
'final function of crm.scaler_fit';

CREATE AGGREGATE crm.scaler_fit(features float8[]) (
	SFUNC = crm.scaler_fit_transfn,
	STYPE = internal,
	SSPACE = 256,
	FINALFUNC = crm.scaler_fit_finalfn,
	COMBINEFUNC = crm.scaler_fit_combinefn,
	SERIALFUNC = crm.scaler_fit_serialfn,
	DESERIALFUNC = crm.scaler_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.scaler_fit(float8[]) IS
'z-score scaling model of the feature arrays: a 2 x d float8[] with the means in row 1 and the population standard deviations in row 2 (1 for a constant feature); NULL rows are skipped';

CREATE FUNCTION crm.scaler_apply(features float8[], model float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'scaler_apply'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_apply(float8[], float8[]) IS
'scales features (a 1-D array, or a 2-D array of rows) with a crm.scaler_fit model: (x - mean) / scale';

CREATE FUNCTION crm.scaler_inverse(features float8[], model float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'scaler_inverse'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.scaler_inverse(float8[], float8[]) IS
'undoes crm.scaler_apply (x * scale + mean), for example to read scaled centroids in the original units';

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

------------------------------------------------------------------------------
-- Similar customers: nearest neighbours, similar items, recommendations,
-- stored purchase profiles
------------------------------------------------------------------------------

CREATE FUNCTION crm.nearest_neighbors(query text, k integer DEFAULT 10, metric text DEFAULT 'cosine')
RETURNS TABLE (customer text, neighbor text, similarity float8, rank integer)
AS 'MODULE_PATHNAME', 'similarity_nearest_neighbors'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10000;
COMMENT ON FUNCTION crm.nearest_neighbors(text, integer, text) IS
'the k most similar customers of every customer of a query returning (customer, item, weight), by cosine or jaccard similarity, exact, through an inverted index over items; ties by neighbour key (byte order); similarity 0 never returned';

CREATE FUNCTION crm.similar_customers(query text, customer text, k integer DEFAULT 10, metric text DEFAULT 'cosine')
RETURNS TABLE (customer text, similarity float8, rank integer)
AS 'MODULE_PATHNAME', 'similarity_similar_customers'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION crm.similar_customers(text, text, integer, text) IS
'the k customers most similar to one customer (never itself) of a query returning (customer, item, weight); empty for an unknown customer';

CREATE FUNCTION crm.similar_items(query text, item text, k integer DEFAULT 10, metric text DEFAULT 'cosine')
RETURNS TABLE (item text, similarity float8, rank integer)
AS 'MODULE_PATHNAME', 'similarity_similar_items'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION crm.similar_items(text, text, integer, text) IS
'the k items most similar to one item (never itself), comparing the customers who bought them, of a query returning (customer, item, weight); empty for an unknown item';

CREATE FUNCTION crm.recommend_items(query text, customer text, k integer DEFAULT 10,
									neighbors integer DEFAULT 20, metric text DEFAULT 'cosine')
RETURNS TABLE (item text, score float8, neighbors integer, rank integer)
AS 'MODULE_PATHNAME', 'similarity_recommend_items'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION crm.recommend_items(text, text, integer, integer, text) IS
'the k items a customer has not bought, scored by user-based collaborative filtering over the customer''s nearest neighbours: sum of similarity x neighbour''s normalised weight / sum of similarities; neighbors = how many of them bought it';

CREATE TYPE crm.profile;

CREATE FUNCTION crm.profile_in(cstring)
RETURNS crm.profile
AS 'MODULE_PATHNAME', 'profile_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_in(cstring) IS
'text input of crm.profile: {item:weight,...}';

CREATE FUNCTION crm.profile_out(crm.profile)
RETURNS cstring
AS 'MODULE_PATHNAME', 'profile_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_out(crm.profile) IS
'text output of crm.profile';

CREATE FUNCTION crm.profile_recv(internal)
RETURNS crm.profile
AS 'MODULE_PATHNAME', 'profile_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_recv(internal) IS
'binary input of crm.profile';

CREATE FUNCTION crm.profile_send(crm.profile)
RETURNS bytea
AS 'MODULE_PATHNAME', 'profile_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_send(crm.profile) IS
'binary output of crm.profile';

CREATE TYPE crm.profile (
	INPUT = crm.profile_in,
	OUTPUT = crm.profile_out,
	RECEIVE = crm.profile_recv,
	SEND = crm.profile_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE crm.profile IS
'purchase profile of one customer: sparse vector of positive float4 weights by int4 item id, {item:weight,...}';

CREATE FUNCTION crm.profile(items integer[], weights real[])
RETURNS crm.profile
AS 'MODULE_PATHNAME', 'profile_from_arrays'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile(integer[], real[]) IS
'a profile from item ids and their weights (each item once; zero weights dropped)';

CREATE FUNCTION crm.profile_items(p crm.profile)
RETURNS integer[]
AS 'MODULE_PATHNAME', 'profile_items'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_items(crm.profile) IS
'item ids of a profile, ascending; index it with GIN and search with && to find the profiles sharing an item';

CREATE FUNCTION crm.profile_weights(p crm.profile)
RETURNS real[]
AS 'MODULE_PATHNAME', 'profile_weights'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_weights(crm.profile) IS
'weights of a profile, in the order of crm.profile_items';

CREATE FUNCTION crm.profile_size(p crm.profile)
RETURNS integer
AS 'MODULE_PATHNAME', 'profile_size'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_size(crm.profile) IS
'number of items of a profile';

CREATE FUNCTION crm.profile_cosine(p1 crm.profile, p2 crm.profile)
RETURNS float8
AS 'MODULE_PATHNAME', 'profile_cosine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_cosine(crm.profile, crm.profile) IS
'weighted cosine similarity of two profiles (0 when either is empty)';

CREATE FUNCTION crm.profile_jaccard(p1 crm.profile, p2 crm.profile)
RETURNS float8
AS 'MODULE_PATHNAME', 'profile_jaccard'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_jaccard(crm.profile, crm.profile) IS
'Jaccard similarity of the item sets of two profiles (0 when either is empty)';

CREATE FUNCTION crm.purchase_profile_transfn(internal, integer, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'purchase_profile_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.purchase_profile_transfn(internal, integer, float8) IS
'transition function of crm.purchase_profile';

CREATE FUNCTION crm.purchase_profile_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'purchase_profile_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.purchase_profile_combinefn(internal, internal) IS
'combine function of crm.purchase_profile (merges partial states of parallel workers)';

CREATE FUNCTION crm.purchase_profile_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'purchase_profile_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.purchase_profile_serialfn(internal) IS
'serialization function of crm.purchase_profile';

CREATE FUNCTION crm.purchase_profile_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'purchase_profile_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.purchase_profile_deserialfn(bytea, internal) IS
'deserialization function of crm.purchase_profile';

CREATE FUNCTION crm.purchase_profile_finalfn(internal)
RETURNS crm.profile
AS 'MODULE_PATHNAME', 'purchase_profile_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.purchase_profile_finalfn(internal) IS
'final function of crm.purchase_profile';

CREATE AGGREGATE crm.purchase_profile(item integer, weight float8) (
	SFUNC = crm.purchase_profile_transfn,
	STYPE = internal,
	SSPACE = 256,
	FINALFUNC = crm.purchase_profile_finalfn,
	COMBINEFUNC = crm.purchase_profile_combinefn,
	SERIALFUNC = crm.purchase_profile_serialfn,
	DESERIALFUNC = crm.purchase_profile_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.purchase_profile(integer, float8) IS
'purchase profile of a group of (item, weight) rows: weights of repeated items add, NULL weight counts as 1, NULL item skipped, zero totals dropped';

CREATE FUNCTION crm.profile_unit(p crm.profile)
RETURNS crm.profile
AS 'MODULE_PATHNAME', 'profile_unit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_unit(crm.profile) IS
'the profile scaled to unit Euclidean length (the weights of posting lists for crm.profile_candidates)';

CREATE FUNCTION crm.profile_candidates_transfn(internal, crm.profile, integer, crm.profile, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'profile_candidates_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_transfn(internal, crm.profile, integer, crm.profile, integer) IS
'transition function of crm.profile_candidates';

CREATE FUNCTION crm.profile_candidates_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'profile_candidates_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_combinefn(internal, internal) IS
'combine function of crm.profile_candidates';

CREATE FUNCTION crm.profile_candidates_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'profile_candidates_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_serialfn(internal) IS
'serialization function of crm.profile_candidates';

CREATE FUNCTION crm.profile_candidates_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'profile_candidates_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_deserialfn(bytea, internal) IS
'deserialization function of crm.profile_candidates';

CREATE FUNCTION crm.profile_candidates_finalfn(internal)
RETURNS integer[]
AS 'MODULE_PATHNAME', 'profile_candidates_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_finalfn(internal) IS
'final function of crm.profile_candidates';

CREATE AGGREGATE crm.profile_candidates(target crm.profile, item integer, postings crm.profile, k integer) (
	SFUNC = crm.profile_candidates_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = crm.profile_candidates_finalfn,
	COMBINEFUNC = crm.profile_candidates_combinefn,
	SERIALFUNC = crm.profile_candidates_serialfn,
	DESERIALFUNC = crm.profile_candidates_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.profile_candidates(crm.profile, integer, crm.profile, integer) IS
'over the posting lists (item, customer -> unit weight) of the target''s items: the ids of the customers whose cosine with the target may be among the k best (within 1e-6 of the k-th); rank them with crm.profile_cosine for the exact top k';

CREATE FUNCTION crm.profile_candidates_jaccard_transfn(internal, crm.profile, integer, crm.profile, integer)
RETURNS internal
AS 'MODULE_PATHNAME', 'profile_candidates_jaccard_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.profile_candidates_jaccard_transfn(internal, crm.profile, integer, crm.profile, integer) IS
'transition function of crm.profile_candidates_jaccard';

CREATE AGGREGATE crm.profile_candidates_jaccard(target crm.profile, item integer, postings crm.profile, k integer) (
	SFUNC = crm.profile_candidates_jaccard_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = crm.profile_candidates_finalfn,
	COMBINEFUNC = crm.profile_candidates_combinefn,
	SERIALFUNC = crm.profile_candidates_serialfn,
	DESERIALFUNC = crm.profile_candidates_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.profile_candidates_jaccard(crm.profile, integer, crm.profile, integer) IS
'over the posting lists (item, customer -> that customer''s number of items) of the target''s items: the ids of the customers whose Jaccard similarity with the target is at least the k-th best (exact); rank them with crm.profile_jaccard';

------------------------------------------------------------------------------
-- Customer lifetime value: clv_summary, BG/NBD, Pareto/NBD, Gamma-Gamma
-- (Fader, Hardie & Lee 2005; Schmittlein, Morrison & Colombo 1987;
--  Fader & Hardie 2013)
------------------------------------------------------------------------------

CREATE TYPE crm.clv_summary AS (
	frequency integer,
	recency float8,
	t float8,
	monetary_value float8
);
COMMENT ON TYPE crm.clv_summary IS
'input of the buy-till-you-die models: repeat purchase days, time from the first to the last purchase day, time from the first purchase day to as_of (in units), mean total of the repeat purchase days';

CREATE FUNCTION crm.clv_summary_transfn(internal, timestamptz, numeric, timestamptz, interval)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_transfn(internal, timestamptz, numeric, timestamptz, interval) IS
'transition function of crm.clv_summary for numeric amounts';

CREATE FUNCTION crm.clv_summary_float8_transfn(internal, timestamptz, float8, timestamptz, interval)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_float8_transfn'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_float8_transfn(internal, timestamptz, float8, timestamptz, interval) IS
'transition function of crm.clv_summary for float8 amounts';

CREATE FUNCTION crm.clv_summary_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_combinefn(internal, internal) IS
'combine function of crm.clv_summary (merges the per-day totals of partial states)';

CREATE FUNCTION crm.clv_summary_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'clv_summary_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_serialfn(internal) IS
'serialization function of crm.clv_summary';

CREATE FUNCTION crm.clv_summary_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_summary_deserialfn'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_deserialfn(bytea, internal) IS
'deserialization function of crm.clv_summary';

CREATE FUNCTION crm.clv_summary_finalfn(internal)
RETURNS crm.clv_summary
AS 'MODULE_PATHNAME', 'clv_summary_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_summary_finalfn(internal) IS
'final function of crm.clv_summary';

CREATE AGGREGATE crm.clv_summary(ordered_at timestamptz, amount numeric, as_of timestamptz, unit interval) (
	SFUNC = crm.clv_summary_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.clv_summary_finalfn,
	COMBINEFUNC = crm.clv_summary_combinefn,
	SERIALFUNC = crm.clv_summary_serialfn,
	DESERIALFUNC = crm.clv_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.clv_summary(timestamptz, numeric, timestamptz, interval) IS
'(frequency, recency, t, monetary_value) of a customer''s orders with the lifetimes conventions: orders of one calendar day (session TimeZone) are one purchase, days after as_of''s day are ignored, times in multiples of unit';

CREATE AGGREGATE crm.clv_summary(ordered_at timestamptz, amount float8, as_of timestamptz, unit interval) (
	SFUNC = crm.clv_summary_float8_transfn,
	STYPE = internal,
	SSPACE = 512,
	FINALFUNC = crm.clv_summary_finalfn,
	COMBINEFUNC = crm.clv_summary_combinefn,
	SERIALFUNC = crm.clv_summary_serialfn,
	DESERIALFUNC = crm.clv_summary_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.clv_summary(timestamptz, float8, timestamptz, interval) IS
'crm.clv_summary for float8 amounts (compensated summation)';

CREATE TYPE crm.bgnbd_model AS (
	r float8,
	alpha float8,
	a float8,
	b float8,
	log_likelihood float8,
	customers bigint,
	iterations integer,
	converged boolean
);
COMMENT ON TYPE crm.bgnbd_model IS
'fitted BG/NBD model (Fader, Hardie & Lee 2005): purchase rate ~ Gamma(r, alpha), dropout probability ~ Beta(a, b); alpha in the time unit of the summary';

CREATE TYPE crm.paretonbd_model AS (
	r float8,
	alpha float8,
	s float8,
	beta float8,
	log_likelihood float8,
	customers bigint,
	iterations integer,
	converged boolean
);
COMMENT ON TYPE crm.paretonbd_model IS
'fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchase rate ~ Gamma(r, alpha), dropout rate ~ Gamma(s, beta)';

CREATE TYPE crm.gammagamma_model AS (
	p float8,
	q float8,
	v float8,
	log_likelihood float8,
	customers bigint,
	iterations integer,
	converged boolean
);
COMMENT ON TYPE crm.gammagamma_model IS
'fitted Gamma-Gamma spend model (Fader & Hardie 2013): spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, v)';

CREATE FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'bgnbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8) IS
'transition function of crm.bgnbd_fit';

CREATE FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'bgnbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_transfn(internal, float8, float8, float8, float8) IS
'transition function of crm.bgnbd_fit with a penalizer';

CREATE FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'paretonbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8) IS
'transition function of crm.paretonbd_fit';

CREATE FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'paretonbd_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_transfn(internal, float8, float8, float8, float8) IS
'transition function of crm.paretonbd_fit with a penalizer';

CREATE FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'gammagamma_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8) IS
'transition function of crm.gammagamma_fit';

CREATE FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'gammagamma_fit_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_transfn(internal, float8, float8, float8) IS
'transition function of crm.gammagamma_fit with a penalizer';

CREATE FUNCTION crm.clv_fit_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_fit_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_fit_combinefn(internal, internal) IS
'combine function of the model fit aggregates (adds the customer counts of each pattern)';

CREATE FUNCTION crm.clv_fit_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'clv_fit_serialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_fit_serialfn(internal) IS
'serialization function of the model fit aggregates';

CREATE FUNCTION crm.clv_fit_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'clv_fit_deserialfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.clv_fit_deserialfn(bytea, internal) IS
'deserialization function of the model fit aggregates';

CREATE FUNCTION crm.bgnbd_fit_finalfn(internal)
RETURNS crm.bgnbd_model
AS 'MODULE_PATHNAME', 'bgnbd_fit_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_fit_finalfn(internal) IS
'final function of crm.bgnbd_fit: maximum likelihood fit';

CREATE FUNCTION crm.paretonbd_fit_finalfn(internal)
RETURNS crm.paretonbd_model
AS 'MODULE_PATHNAME', 'paretonbd_fit_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_fit_finalfn(internal) IS
'final function of crm.paretonbd_fit: maximum likelihood fit';

CREATE FUNCTION crm.gammagamma_fit_finalfn(internal)
RETURNS crm.gammagamma_model
AS 'MODULE_PATHNAME', 'gammagamma_fit_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_fit_finalfn(internal) IS
'final function of crm.gammagamma_fit: maximum likelihood fit';

CREATE AGGREGATE crm.bgnbd_fit(frequency float8, recency float8, t float8) (
	SFUNC = crm.bgnbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.bgnbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.bgnbd_fit(float8, float8, float8) IS
'maximum likelihood BG/NBD model of customer summaries (frequency, recency, t); rows with a NULL are skipped';

CREATE AGGREGATE crm.bgnbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
	SFUNC = crm.bgnbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.bgnbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.bgnbd_fit(float8, float8, float8, float8) IS
'BG/NBD fit with an L2 penalty penalizer * sum(params^2) on the mean negative log-likelihood (lifetimes'' penalizer_coef)';

CREATE AGGREGATE crm.paretonbd_fit(frequency float8, recency float8, t float8) (
	SFUNC = crm.paretonbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.paretonbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.paretonbd_fit(float8, float8, float8) IS
'maximum likelihood Pareto/NBD model of customer summaries (frequency, recency, t); rows with a NULL are skipped';

CREATE AGGREGATE crm.paretonbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
	SFUNC = crm.paretonbd_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.paretonbd_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.paretonbd_fit(float8, float8, float8, float8) IS
'Pareto/NBD fit with an L2 penalty penalizer * sum(params^2)';

CREATE AGGREGATE crm.gammagamma_fit(frequency float8, monetary_value float8) (
	SFUNC = crm.gammagamma_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.gammagamma_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gammagamma_fit(float8, float8) IS
'maximum likelihood Gamma-Gamma spend model of customers with frequency > 0 (rows with frequency 0 or a NULL are skipped)';

CREATE AGGREGATE crm.gammagamma_fit(frequency float8, monetary_value float8, penalizer float8) (
	SFUNC = crm.gammagamma_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = crm.gammagamma_fit_finalfn, COMBINEFUNC = crm.clv_fit_combinefn,
	SERIALFUNC = crm.clv_fit_serialfn, DESERIALFUNC = crm.clv_fit_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.gammagamma_fit(float8, float8, float8) IS
'Gamma-Gamma fit with an L2 penalty penalizer * sum(params^2)';

CREATE FUNCTION crm.bgnbd_expected_purchases(model crm.bgnbd_model, horizon float8,
											 frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_expected_purchases(crm.bgnbd_model, float8, float8, float8, float8) IS
'BG/NBD expected repeat purchases in the next horizon time units of a customer with history (frequency, recency, t) (FHL 2005 eq. 10)';

CREATE FUNCTION crm.bgnbd_expected_purchases(model crm.bgnbd_model, horizon float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_expected_purchases(crm.bgnbd_model, float8) IS
'BG/NBD expected repeat purchases of a new customer in its first horizon time units, E[X(horizon)] (FHL 2005 eq. 9)';

CREATE FUNCTION crm.bgnbd_p_alive(model crm.bgnbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_p_alive(crm.bgnbd_model, float8, float8, float8) IS
'BG/NBD probability that a customer with history (frequency, recency, t) is still alive (Hardie note 021; 1 when frequency = 0)';

CREATE FUNCTION crm.paretonbd_expected_purchases(model crm.paretonbd_model, horizon float8,
												 frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_expected_purchases(crm.paretonbd_model, float8, float8, float8, float8) IS
'Pareto/NBD expected purchases in the next horizon time units of a customer with history (frequency, recency, t)';

CREATE FUNCTION crm.paretonbd_expected_purchases(model crm.paretonbd_model, horizon float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_expected_purchases(crm.paretonbd_model, float8) IS
'Pareto/NBD expected purchases of a new customer in its first horizon time units';

CREATE FUNCTION crm.paretonbd_p_alive(model crm.paretonbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_p_alive(crm.paretonbd_model, float8, float8, float8) IS
'Pareto/NBD probability that a customer with history (frequency, recency, t) is still alive';

CREATE FUNCTION crm.gammagamma_expected_value(model crm.gammagamma_model, frequency float8, monetary_value float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'gammagamma_expected_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_expected_value(crm.gammagamma_model, float8, float8) IS
'Gamma-Gamma conditional expected spend per purchase given frequency and mean repeat spend (Fader & Hardie 2013 eq. 5; needs q > 1)';

CREATE FUNCTION crm.customer_lifetime_value(transaction_model crm.bgnbd_model, spend_model crm.gammagamma_model,
											frequency float8, recency float8, t float8, monetary_value float8,
											horizon_months integer DEFAULT 12,
											monthly_discount_rate float8 DEFAULT 0.01,
											unit interval DEFAULT '1 day')
RETURNS float8
AS 'MODULE_PATHNAME', 'customer_lifetime_value_bgnbd'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.customer_lifetime_value(crm.bgnbd_model, crm.gammagamma_model, float8, float8, float8, float8, integer, float8, interval) IS
'discounted expected value of a customer over horizon_months months as lifetimes'' customer_lifetime_value defines it: sum over months i of (E[purchases by month i] - E[purchases by month i-1]) * Gamma-Gamma expected spend / (1 + rate)^i; unit is the time unit of the summary (a month is 30 days, 4.345 weeks or 1 month)';

CREATE FUNCTION crm.customer_lifetime_value(transaction_model crm.paretonbd_model, spend_model crm.gammagamma_model,
											frequency float8, recency float8, t float8, monetary_value float8,
											horizon_months integer DEFAULT 12,
											monthly_discount_rate float8 DEFAULT 0.01,
											unit interval DEFAULT '1 day')
RETURNS float8
AS 'MODULE_PATHNAME', 'customer_lifetime_value_paretonbd'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.customer_lifetime_value(crm.paretonbd_model, crm.gammagamma_model, float8, float8, float8, float8, integer, float8, interval) IS
'discounted expected value of a customer over horizon_months months with a Pareto/NBD transaction model (as lifetimes'' customer_lifetime_value)';

CREATE FUNCTION crm.bgnbd_log_likelihood(model crm.bgnbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgnbd_log_likelihood'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.bgnbd_log_likelihood(crm.bgnbd_model, float8, float8, float8) IS
'log-likelihood of one customer summary under a BG/NBD model (sum it to compare models)';

CREATE FUNCTION crm.paretonbd_log_likelihood(model crm.paretonbd_model, frequency float8, recency float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_log_likelihood'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.paretonbd_log_likelihood(crm.paretonbd_model, float8, float8, float8) IS
'log-likelihood of one customer summary under a Pareto/NBD model';

CREATE FUNCTION crm.gammagamma_log_likelihood(model crm.gammagamma_model, frequency float8, monetary_value float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'gammagamma_log_likelihood'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION crm.gammagamma_log_likelihood(crm.gammagamma_model, float8, float8) IS
'log-likelihood of one customer''s mean repeat spend under a Gamma-Gamma model (0 when frequency = 0)';
