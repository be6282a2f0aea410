#!/usr/bin/env bash
# The demo (the main job): installs what is missing, builds and installs the
# extension, starts a throwaway cluster, generates realistic retail data and
# shows every capability on it: the SQL it runs and the result.
#
#   test/run-demo.sh [--customers N] [--seed S]
#
# With PGHOST, PGPORT or PGDATABASE set it uses that server instead (the
# extension must be installed there): it creates the extension (schema crm)
# and puts its data in schema crm_demo, and touches nothing else.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$CRM_ROOT"

customers=20000 seed=42
while [ $# -gt 0 ]; do
	case "$1" in
		--customers) customers=$2; shift 2 ;;
		--seed) seed=$2; shift 2 ;;
		-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
		*) crm_die "unknown argument $1 (use --customers N, --seed S)" ;;
	esac
done

if [ -n "${PGHOST:-}${PGPORT:-}${PGDATABASE:-}" ]; then
	crm_log "using the server of PGHOST/PGPORT/PGDATABASE (${PGHOST:-local}:${PGPORT:-5432}/${PGDATABASE:-})"
	command -v psql >/dev/null || crm_die "psql is missing: sudo apt-get install postgresql-client-$PG_MAJOR"
	avail=$(psql -X -At -c "SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'crm_analytics'") ||
		crm_die "cannot connect to that server"
	[ "$avail" = 1 ] || crm_die "crm_analytics is not installed on that server: run 'make && sudo make install' on its host"
else
	crm_install_deps
	crm_build_install
	crm_cluster_start
	psql -X -q -c "CREATE DATABASE crm_demo" >/dev/null
	export PGDATABASE=crm_demo
fi
psql -X -q -c "CREATE EXTENSION IF NOT EXISTS crm_analytics" >/dev/null

start=$(date +%s)
crm_log "generating retail data: $customers customers, seed $seed, schema crm_demo"
bash test/datagen/generate.sh --schema crm_demo --customers "$customers" --seed "$seed"

for f in test/demo/*.sql; do
	echo
	psql -X -v ON_ERROR_STOP=1 --echo-queries -P footer=off -f "$f"
done
echo
crm_log "demo finished in $(( $(date +%s) - start )) s"
