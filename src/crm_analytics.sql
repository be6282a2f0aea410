/* crm_analytics: analytic CRM inside PostgreSQL (install script, made by the Makefile from the src/<capability>.sql files) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION crm_analytics" to load this file. \quit

-- The extension's own schema: CREATE EXTENSION creates crm (control file:
-- schema = crm) unless it exists.  A crm schema made beforehand by another
-- role, holding objects, or open to CREATE by others could capture the
-- extension's calls with overloads or operators of its own (the attack class
-- of CVE-2023-39417): refuse to install into it.
DO $crm_schema_check$
DECLARE
	owner_name pg_catalog.name;
	nobjects bigint;
	open_to text;
BEGIN
	SELECT pg_catalog.pg_get_userbyid(n.nspowner) INTO owner_name
	FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'crm';
	IF owner_name IS DISTINCT FROM CURRENT_USER THEN
		RAISE EXCEPTION USING
			ERRCODE = 'insufficient_privilege',
			MESSAGE = pg_catalog.format('schema crm is owned by role %s, not by the role installing crm_analytics (%s)',
										owner_name, CURRENT_USER),
			DETAIL = 'The extension installs only into a schema crm that it creates itself or that the installing superuser owns.',
			HINT = 'Drop or rename the existing schema crm (ALTER SCHEMA crm RENAME TO ...), then run CREATE EXTENSION crm_analytics again.';
	END IF;
	SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
			WHERE n.nspname OPERATOR(pg_catalog.=) 'crm')
		 OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
			WHERE n.nspname OPERATOR(pg_catalog.=) 'crm')
		 OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace
			WHERE n.nspname OPERATOR(pg_catalog.=) 'crm')
		 OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) o.oprnamespace
			WHERE n.nspname OPERATOR(pg_catalog.=) 'crm')
	INTO nobjects;
	IF nobjects OPERATOR(pg_catalog.>) 0 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = 'schema crm already holds objects',
			DETAIL = pg_catalog.format('It holds %s relations, functions, types or operators; objects made before the extension could capture its calls.', nobjects),
			HINT = 'Install crm_analytics into an empty schema crm, or drop or rename the existing one.';
	END IF;
	SELECT pg_catalog.string_agg(DISTINCT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
											   ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, ', ')
	INTO open_to
	FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
	WHERE n.nspname OPERATOR(pg_catalog.=) 'crm' AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
	  AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner;
	IF open_to IS NOT NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'insufficient_privilege',
			MESSAGE = pg_catalog.format('schema crm grants CREATE to %s', open_to),
			DETAIL = 'Roles that may create objects in crm could capture the extension''s calls.',
			HINT = 'REVOKE CREATE ON SCHEMA crm FROM those roles, then run CREATE EXTENSION crm_analytics again.';
	END IF;
END
$crm_schema_check$;

-- The functions run with the caller's rights and read only what the caller
-- may read, so every role may use them (as for functions in schema public).
GRANT USAGE ON SCHEMA crm TO PUBLIC;

