#!/usr/bin/env bash
# crm-test: serial (it measures how fast a cancel takes effect: it runs alone)
# Long CLV work honours statement_timeout: crm.clv_summary over a huge
# generated order stream, and the final (fitting) step of crm.paretonbd_fit
# and crm.bgnbd_fit over half a million distinct customer patterns, are
# cancelled promptly, and the server stays up.
set -uo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fail=0
check_cancel() {
	local label=$1 timeout=$2 limit_ms=$3 sql=$4 start end out ms
	start=$(date +%s%N)
	out=$(q -c "SET statement_timeout = '$timeout'" -c "$sql" 2>&1)
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	echo "$label: ${ms} ms: $(echo "$out" | grep ERROR)"
	if ! grep -q "canceling statement due to statement timeout" <<<"$out"; then
		echo "  expected a statement_timeout cancel"; echo "$out" | head -5; fail=1
	fi
	if [ "$ms" -gt $((limit_ms * ${CRM_TEST_TIME_FACTOR:-1})) ]; then echo "  took too long to cancel"; fail=1; fi
}
check_cancel "clv_summary over 100M generated orders" 300ms 1500 \
	"SELECT count(*) FROM (SELECT i % 1000000, crm.clv_summary('2024-01-01'::timestamptz + i * interval '1 second', 1.0, '2030-01-01', '1 day') FROM generate_series(1, 100000000) i GROUP BY 1) x"

# 500,000 distinct patterns: the scan takes well under a second, the fit much longer
q -c "CREATE TABLE pats AS
      SELECT x, CASE WHEN x = 0 THEN 0 ELSE (i % 100003) / 100003.0 * 50 END AS rec, 50 + (i % 101) / 10.0 AS t
      FROM (SELECT i, i % 20 AS x FROM generate_series(1, 500000) i) s" || fail=1
check_cancel "paretonbd_fit on 500,000 distinct patterns" 2s 3500 \
	"SELECT crm.paretonbd_fit(x, rec, t) FROM pats"
alive=$(q -At -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
