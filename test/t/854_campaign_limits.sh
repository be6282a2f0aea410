#!/usr/bin/env bash
# crm-test: serial (it measures how fast a cancel takes effect: it runs alone)
# Long promotion-analysis work honours statement_timeout, and structures that
# grow with the data respect crm_analytics.max_memory (SQLSTATE 54000 with a
# hint naming the setting): crm.attribution over a large generated query,
# crm.mann_whitney (it keeps every value) and crm.chi2_test over many
# variants.  The server stays up.
set -uo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fail=0
check_cancel() {
	local label=$1 sql=$2 start end out ms
	start=$(date +%s%N)
	out=$(q -c "SET statement_timeout = '300ms'" -c "$sql" 2>&1)
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	echo "$label: ${ms} ms: $(echo "$out" | grep ERROR)"
	if ! grep -q "canceling statement due to statement timeout" <<<"$out"; then
		echo "  expected a statement_timeout cancel"; fail=1
	fi
	if [ "$ms" -gt 3000 ]; then echo "  took too long to cancel"; fail=1; fi
}
check_memory() {
	local label=$1 sql=$2 out
	out=$(q -v VERBOSITY=verbose -c "SET crm_analytics.max_memory = '2MB'" -c "$sql" 2>&1)
	echo "$label: $(echo "$out" | grep -E 'ERROR|HINT' | tr '\n' ' ')"
	if ! grep -q "ERROR:  54000" <<<"$out"; then echo "  expected SQLSTATE 54000"; fail=1; fi
	if ! grep -q "crm_analytics.max_memory" <<<"$out"; then echo "  expected a hint naming the setting"; fail=1; fi
}
gen="SELECT i / 5, ''2024-01-01''::timestamptz + i * interval ''1 minute'', ''ch'' || (i % 7), CASE WHEN i % 5 = 4 THEN 10.0 END FROM generate_series(1, 50000000) i"
check_cancel "attribution markov over 50M generated rows" "SELECT count(*) FROM crm.attribution('$gen', 'markov')"
check_cancel "mann_whitney over 50M generated rows" \
	"SELECT (crm.mann_whitney(i::float8, i % 2 = 0)).p_value FROM generate_series(1, 50000000) i"
check_memory "attribution within 2MB" \
	"SELECT count(*) FROM crm.attribution('SELECT i / 5, now(), ''a'', NULL::float8 FROM generate_series(1, 200000) i')"
check_memory "mann_whitney within 2MB" \
	"SELECT (crm.mann_whitney(i::float8, i % 2 = 0)).p_value FROM generate_series(1, 1000000) i"
check_memory "chi2_test over 200000 variants within 2MB" \
	"SELECT (crm.chi2_test(i::text, i % 2 = 0)).dof FROM generate_series(1, 200000) i"
alive=$(q -At -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
