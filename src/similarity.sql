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

