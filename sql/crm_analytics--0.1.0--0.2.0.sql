/* crm_analytics 0.1.0 -> 0.2.0 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION crm_analytics UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Review fixes (issue 9)
-- ---------------------------------------------------------------------------

-- operators qualified: nothing resolves through the caller's search_path
CREATE OR REPLACE FUNCTION crm.kmeans_centroids(centroids float8[])
RETURNS TABLE (cluster integer, centroid float8[])
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT (i OPERATOR(pg_catalog.-) pg_catalog.array_lower(centroids, 1) OPERATOR(pg_catalog.+) 1)::pg_catalog.int4,
		   ARRAY(SELECT centroids[i][j] FROM pg_catalog.generate_subscripts(centroids, 2) AS j ORDER BY j)
	FROM pg_catalog.generate_subscripts(centroids, 1) AS i
	ORDER BY i
$$;

-- the combine function reads TimeZone (the local day of as_of)
ALTER FUNCTION crm.clv_summary_combinefn(internal, internal) STABLE;
