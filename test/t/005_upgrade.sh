#!/usr/bin/env bash
# Upgrade path: an installation of every earlier release, brought to the
# current version with ALTER EXTENSION ... UPDATE, has exactly the objects of a
# fresh installation of the current version (signatures, volatility,
# strictness, parallel safety, comments, types, aggregates with their support
# functions, privileges).  The fresh one is the database this script is given.
set -uo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
objects=$CRM_ROOT/test/sql/extension_objects.sql
current=$(q -At -c "SELECT extversion FROM pg_extension WHERE extname = 'crm_analytics'")
echo "fresh installation: $current"
q -At -f "$objects" >"$TEST_TMPDIR/fresh.txt" || exit 1
n=$(wc -l <"$TEST_TMPDIR/fresh.txt")
echo "$n objects"
[ "$n" -gt 100 ] || { echo "too few objects listed: the listing query is broken"; exit 1; }
fail=0
tested=0
for script in "$CRM_ROOT"/sql/crm_analytics--*.sql; do
	base=$(basename "$script" .sql)
	old=${base#crm_analytics--}
	case "$old" in *--*|"$current") continue ;; esac
	db="${PGDATABASE}_from_${old//./_}"
	q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null || exit 1
	if ! q -d "$db" -c "CREATE EXTENSION crm_analytics VERSION '$old'" \
		  -c "ALTER EXTENSION crm_analytics UPDATE" >"$TEST_TMPDIR/update.log" 2>&1; then
		echo "$old: the update failed:"; cat "$TEST_TMPDIR/update.log"; fail=1; continue
	fi
	got=$(q -d "$db" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'crm_analytics'")
	q -d "$db" -At -f "$objects" >"$TEST_TMPDIR/upgraded.txt" || exit 1
	if [ "$got" != "$current" ]; then
		echo "$old: updated to $got, not $current"; fail=1
	elif ! diff -u "$TEST_TMPDIR/fresh.txt" "$TEST_TMPDIR/upgraded.txt" >"$TEST_TMPDIR/diff.txt"; then
		echo "$old -> $current differs from a fresh $current:"; head -n 60 "$TEST_TMPDIR/diff.txt"; fail=1
	else
		echo "$old -> $current: identical to a fresh installation"
	fi
	tested=$((tested + 1))
	q -c "DROP DATABASE $db" >/dev/null
done
[ $tested -gt 0 ] || { echo "no earlier release to upgrade from"; fail=1; }
exit $fail
