#!/usr/bin/env bash
# crm-test: serial (it measures how fast a cancel takes effect: it runs alone)
# Long similarity searches honour statement_timeout (cancel): crm.nearest_neighbors
# while it reads a huge generated query, and while it compares customers (a
# few very popular items make every customer a candidate of every other);
# the memory limit gives a clear error; the server stays up.
set -uo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fail=0
check_cancel() {
	local label=$1 timeout=$2 sql=$3 start end out ms
	start=$(date +%s%N)
	out=$(q -c "SET statement_timeout = '$timeout'" -c "$sql" 2>&1)
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	echo "$label: ${ms} ms: $(echo "$out" | grep ERROR)"
	if ! grep -q "canceling statement due to statement timeout" <<<"$out"; then
		echo "  expected a statement_timeout cancel"; fail=1
	fi
	if [ "$ms" -gt $(( (${timeout%ms} + 1500) * ${CRM_TEST_TIME_FACTOR:-1} )) ]; then echo "  took too long to cancel"; fail=1; fi
}
check_cancel "reading 100M generated rows" 300ms \
	"SELECT count(*) FROM crm.nearest_neighbors('SELECT g % 1000000, g % 5000, 1 FROM generate_series(1, 100000000) g')"
# 60,000 customers who all bought the same 5 items: 1.8G pairs to compare
q -c "CREATE TABLE dense AS SELECT c, i, 1 AS w FROM generate_series(1, 60000) c, generate_series(1, 5) i"
check_cancel "comparing 60,000 customers who all share 5 items" 1500ms \
	"SELECT count(*) FROM crm.nearest_neighbors('SELECT c, i, w FROM dense', 10)"
out=$(q -c "SET crm_analytics.max_memory = '1MB'" \
	-c "SELECT count(*) FROM crm.nearest_neighbors('SELECT c, i, w FROM dense', 10)" 2>&1)
echo "memory limit 1MB: $(echo "$out" | grep -E 'ERROR|DETAIL|HINT')"
grep -q "needs more memory than crm_analytics.max_memory allows" <<<"$out" || fail=1
grep -q "^HINT:  Raise crm_analytics.max_memory" <<<"$out" || fail=1
alive=$(q -At -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
