#!/usr/bin/env bash
# CREATE EXTENSION refuses a crm schema it did not create (CVE-2023-39417
# class): owned by another role, holding objects (a planted overload), or
# open to CREATE by others.  It installs into a schema it creates itself and
# into an empty one the installing superuser owns.
set -uo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fail=0
base=${PGDATABASE}_own
newdb() { q -c "DROP DATABASE IF EXISTS $base" -c "CREATE DATABASE $base" >/dev/null; }
# expect_refusal LABEL SQLSTATE SETUP...: the setup, then CREATE EXTENSION must fail with SQLSTATE
expect_refusal() {
	local label=$1 state=$2 out; shift 2
	newdb
	q -d "$base" "$@" >/dev/null || { echo "$label: setup failed"; fail=1; return; }
	out=$(psql -X -q -d "$base" -v VERBOSITY=verbose -c "CREATE EXTENSION crm_analytics" 2>&1)
	if grep -q "ERROR:  $state:" <<<"$out"; then
		echo "$label: refused: $(echo "$out" | grep ERROR)"
		echo "    $(echo "$out" | grep HINT)"
	else
		echo "$label: NOT refused with $state:"; echo "$out"; fail=1
	fi
	# nothing was installed
	if [ "$(q -d "$base" -At -c "SELECT count(*) FROM pg_extension WHERE extname = 'crm_analytics'")" != 0 ]; then
		echo "$label: the extension is installed"; fail=1
	fi
}
q -c "DROP ROLE IF EXISTS crm_intruder" -c "CREATE ROLE crm_intruder LOGIN" >/dev/null

expect_refusal "schema owned by another role" 42501 \
	-c "CREATE SCHEMA crm AUTHORIZATION crm_intruder"
expect_refusal "schema owned by another role, with a planted overload" 42501 \
	-c "CREATE SCHEMA crm AUTHORIZATION crm_intruder" \
	-c "SET ROLE crm_intruder" \
	-c "CREATE FUNCTION crm.kmeans_centroids(numeric[]) RETURNS TABLE (cluster integer, centroid float8[]) LANGUAGE sql AS 'SELECT 1, NULL::float8[]'"
expect_refusal "own schema holding objects" 55000 \
	-c "CREATE SCHEMA crm" -c "CREATE FUNCTION crm.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"
expect_refusal "own schema open to CREATE by PUBLIC" 42501 \
	-c "CREATE SCHEMA crm" -c "GRANT CREATE ON SCHEMA crm TO PUBLIC"
expect_refusal "own schema open to CREATE by a role" 42501 \
	-c "CREATE SCHEMA crm" -c "GRANT CREATE ON SCHEMA crm TO crm_intruder"

# accepted: the schema made by CREATE EXTENSION itself, and an empty one of ours
for setup in "SELECT 1" "CREATE SCHEMA crm"; do
	newdb
	q -d "$base" -c "$setup" >/dev/null
	if q -d "$base" -c "CREATE EXTENSION crm_analytics" >/dev/null 2>"$TEST_TMPDIR/err"; then
		echo "accepted after '$setup': $(q -d "$base" -At -c "SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'crm_analytics' AND d.deptype = 'e'") objects"
	else
		echo "refused after '$setup':"; cat "$TEST_TMPDIR/err"; fail=1
	fi
done
q -c "DROP DATABASE IF EXISTS $base" -c "DROP ROLE crm_intruder" >/dev/null
exit $fail
