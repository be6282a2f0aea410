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

-- SSPACE: a state holds the points of its group, up to the default of
-- crm_analytics.kmeans_max_memory (128 MB): the planner must not expect many
-- of them to fit a hash table.
CREATE AGGREGATE crm.kmeans(features float8[], k integer) (
	SFUNC = crm.kmeans_transfn,
	STYPE = internal,
	SSPACE = 134217728,
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
	SSPACE = 134217728,
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
	SSPACE = 134217728,
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
	SELECT (i OPERATOR(pg_catalog.-) pg_catalog.array_lower(centroids, 1) OPERATOR(pg_catalog.+) 1)::pg_catalog.int4,
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

