#!/usr/bin/env bash
# Concurrency and load, short: 16 pgbench clients for 10 s mixing the
# interactive calls of a CRM front end (similar customers from stored
# profiles, cross-sell for a basket, churn probability, RFM and the 360 row
# of one customer) while the customer-360 refresh runs again and again.
# No error, no deadlock, no failed refresh; every lookup of a customer's 360
# row and churn probability finds exactly one row (pgbench's \gset aborts
# the client otherwise, so a reader that saw the table missing or half-built
# fails the test); the private memory of the client backends does not grow
# over the run.  Speed is reported, not checked: test/bench/load.sh is the
# long version with the figures.
set -uo pipefail
. "$CRM_ROOT/test/lib/common.sh"
. "$CRM_ROOT/test/lib/load.sh"
secs=${CRM_LOAD_SECONDS:-10}
fail=0
bash "$CRM_ROOT/test/datagen/generate.sh" --schema crm_demo --customers 1500 --jobs 2 >"$TEST_TMPDIR/datagen.log" 2>&1 ||
	{ cat "$TEST_TMPDIR/datagen.log"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -f "$CRM_ROOT/test/sql/customer360_sources.sql" -f "$CRM_ROOT/test/sql/customer360_call.sql" ||
	exit 1
echo "16 clients for $secs s, the customer-360 refresh running meanwhile:"
crm_load_run "$secs" 16 1 "$TEST_TMPDIR/load"
. "$TEST_TMPDIR/load/summary"
check() { if python3 -c "import sys; sys.exit(0 if ($2) else 1)"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
check "pgbench finished (exit $pgbench_rc), no failed transaction ($failed), no client aborted ($aborted), no error ($errors)" \
	"$pgbench_rc == 0 and $failed == 0 and $aborted == 0 and $errors == 0 and $transactions > 0"
check "no deadlock ($deadlocks)" "$deadlocks == 0"
check "every refresh succeeded ($refreshes, $refresh_failures failed)" "${refreshes:-0} >= 1 and ${refresh_failures:-1} == 0"
# no growth: per backend, the most private memory of the last third of the
# run against the middle third; the median over the 16 backends must stay
# under 64 kB.  A leak of 10 kB per call shows as a median of 180 kB (and
# 344 kB at most); without one the median is 0-4 kB, while single backends
# that met a larger profile grow by up to 1 MB.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	# the checked server (test/lib/checked.sh): AddressSanitizer keeps freed
	# memory in its quarantine, so a backend's memory grows without a leak
	echo "note the memory check is for uninstrumented servers (AddressSanitizer's quarantine holds freed memory):" \
		"median growth of a backend ${mem_growth_median_kb:-?} kB, largest ${mem_growth_max_kb:-?} kB"
else
	check "client backends' private memory stable (growth from the middle to the last third: median ${mem_growth_median_kb:-?} kB, largest ${mem_growth_max_kb:-?} kB)" \
		"${mem_samples:-0} >= 6 and ${mem_growth_median_kb:-1e9} <= 64"
fi
[ $fail = 0 ] || { echo "pgbench output:"; tail -n 30 "$TEST_TMPDIR/load/pgbench.out"; tail -n 20 "$TEST_TMPDIR/load/refresh.log" 2>/dev/null; }
exit $fail
