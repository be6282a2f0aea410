-- Every object of the crm_analytics extension, one line each, described by
-- everything a user or the planner sees: signatures, result types, argument
-- names and defaults, volatility, strictness, parallel safety, costs,
-- settings, source, support functions of aggregates and types, composite
-- attributes, privileges and comments.  Used to compare an upgraded
-- installation with a fresh one (test/t/005_upgrade.sh).
WITH ext AS (
	SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'crm_analytics'
), members AS (
	SELECT d.classid, d.objid
	FROM pg_catalog.pg_depend d, ext
	WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
	  AND d.refobjid = ext.oid AND d.deptype = 'e'
), procs AS (
	SELECT 'function ' || p.oid::pg_catalog.regprocedure::text
		|| ' returns ' || pg_catalog.pg_get_function_result(p.oid)
		|| ' args (' || pg_catalog.pg_get_function_arguments(p.oid) || ')'
		|| ' kind ' || p.prokind::text || ' lang ' || l.lanname
		|| ' vol ' || p.provolatile::text || ' strict ' || p.proisstrict
		|| ' par ' || p.proparallel::text || ' secdef ' || p.prosecdef
		|| ' leak ' || p.proleakproof || ' cost ' || p.procost || ' rows ' || p.prorows
		|| ' config ' || coalesce(p.proconfig::text, '-')
		|| ' acl ' || coalesce(p.proacl::text, '-')
		|| ' src ' || pg_catalog.md5(p.prosrc) || ' bin ' || coalesce(p.probin, '-')
		|| coalesce(' agg trans ' || a.aggtransfn::text || ' final ' || a.aggfinalfn::text
			|| ' combine ' || a.aggcombinefn::text || ' serial ' || a.aggserialfn::text
			|| ' deserial ' || a.aggdeserialfn::text
			|| ' mtrans ' || a.aggmtransfn::text || ' minv ' || a.aggminvtransfn::text
			|| ' mfinal ' || a.aggmfinalfn::text
			|| ' finalextra ' || a.aggfinalextra || ' finalmodify ' || a.aggfinalmodify::text
			|| ' stype ' || a.aggtranstype::pg_catalog.regtype::text
			|| ' sspace ' || a.aggtransspace || ' init ' || coalesce(a.agginitval, '-')
			|| ' sortop ' || a.aggsortop::text || ' aggkind ' || a.aggkind::text, '')
		|| ' comment ' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '-') AS line
	FROM members m
	JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = m.objid
	JOIN pg_catalog.pg_language l ON l.oid = p.prolang
	LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
), types AS (
	SELECT 'type ' || pg_catalog.format_type(t.oid, NULL) || ' typtype ' || t.typtype::text
		|| ' in ' || t.typinput::text || ' out ' || t.typoutput::text
		|| ' recv ' || t.typreceive::text || ' send ' || t.typsend::text
		|| ' len ' || t.typlen || ' align ' || t.typalign::text || ' storage ' || t.typstorage::text
		|| ' byval ' || t.typbyval || ' category ' || t.typcategory::text
		|| ' acl ' || coalesce(t.typacl::text, '-')
		|| ' attrs (' || coalesce((
			SELECT pg_catalog.string_agg(att.attname || ' ' || pg_catalog.format_type(att.atttypid, att.atttypmod), ', ' ORDER BY att.attnum)
			FROM pg_catalog.pg_attribute att
			WHERE att.attrelid = t.typrelid AND att.attnum > 0 AND NOT att.attisdropped), '') || ')'
		|| ' comment ' || coalesce(pg_catalog.obj_description(t.oid, 'pg_type'), '-') AS line
	FROM members m
	JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = m.objid
), others AS (
	SELECT pg_catalog.pg_describe_object(m.classid, m.objid, 0)
		|| ' comment ' || coalesce(pg_catalog.obj_description(m.objid, c.relname), '-') AS line
	FROM members m
	JOIN pg_catalog.pg_class c ON c.oid = m.classid
	WHERE m.classid NOT IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass)
), schema AS (
	SELECT 'schema ' || n.nspname || ' acl ' || coalesce(n.nspacl::text, '-')
		|| ' comment ' || coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '-') AS line
	FROM pg_catalog.pg_namespace n WHERE n.nspname = 'crm'
)
SELECT line FROM procs
UNION ALL SELECT line FROM types
UNION ALL SELECT line FROM others
UNION ALL SELECT line FROM schema
ORDER BY 1;
