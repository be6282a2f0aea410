#!/usr/bin/env bash
# crm-test: serial (it measures how fast a cancel takes effect: it runs alone)
# Long RFM work honours statement_timeout: crm.rfm_scores and crm.rfm_summary
# over a large generated query are cancelled promptly, and the server stays up.
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
	if [ "$ms" -gt $((1500 * ${CRM_TEST_TIME_FACTOR:-1})) ]; then echo "  took too long to cancel"; fail=1; fi
}
check_cancel "rfm_scores over 100M generated orders" \
	"SELECT count(*) FROM crm.rfm_scores('SELECT i % 1000000, ''2024-01-01''::timestamptz + i * interval ''1 second'', 1.0 FROM generate_series(1, 100000000) i', '2030-01-01')"
check_cancel "rfm_summary over 100M generated orders" \
	"SELECT count(*) FROM (SELECT i % 1000000, crm.rfm_summary('2024-01-01'::timestamptz + i * interval '1 second', 1.0, '2030-01-01') FROM generate_series(1, 100000000) i GROUP BY 1) x"
alive=$(q -At -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
