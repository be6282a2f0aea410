#!/usr/bin/env bash
# Longer fuzz runs on the memory-checking server (test/lib/checked.sh): our own
# fuzzer (crm_fuzz.py: every function and aggregate of schema crm with random
# and hostile arguments) and sqlsmith (random SQL over the whole catalog), on
# a throwaway cluster.  Ends with "N passed, M failed" like the test command.
#
#   test/fuzz/run.sh                         5 + 5 minutes, seed from the clock
#   test/fuzz/run.sh --minutes 30            30 minutes each
#   test/fuzz/run.sh --own 10 --sqlsmith 0   only our fuzzer, 10 minutes
#   test/fuzz/run.sh --seed 1234             the same statements as an earlier run
#   test/fuzz/run.sh --plain                 on Debian's server instead (no build)
#   test/fuzz/run.sh --keep DIR              copy statements and findings to DIR
#
# Our fuzzer alone against any server with the extension and the fuzz tables:
#   psql -f test/fuzz/schema.sql && test/fuzz/crm_fuzz.py --seed 1234 --minutes 5
set -uo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$CRM_ROOT/test/lib/checked.sh"
. "$CRM_ROOT/test/lib/fuzz.sh"
cd "$CRM_ROOT" || exit 2

own=5 smith=5 plain=0
while [ $# -gt 0 ]; do
	case "$1" in
		--minutes) own=$2; smith=$2; shift 2 ;;
		--own) own=$2; shift 2 ;;
		--sqlsmith) smith=$2; shift 2 ;;
		--seed) export CRM_FUZZ_SEED=$2; shift 2 ;;
		--plain) plain=1; shift ;;
		--keep) export CRM_FUZZ_KEEP=$2; mkdir -p "$2"; shift 2 ;;
		--verbose) export CRM_FUZZ_VERBOSE=1; shift ;;
		*) sed -n '2,15p' "$0"; exit 2 ;;
	esac
done

crm_install_deps "${CRM_FUZZ_PACKAGES[@]}"
[ $plain = 1 ] || crm_checked_server
CRM_PRIVATE_INSTALL=1 crm_build_install
crm_cluster_start
passed=0 failed=0 failures=()
seed=${CRM_FUZZ_SEED:-$(( $(date +%s) % 100000 ))}
export CRM_FUZZ_SEED=$seed
crm_fuzz_pass "$own" "$smith"
if [ -n "${CRM_FUZZ_KEEP:-}" ]; then
	cp "$CRM_TMP/server.log" "$CRM_TMP"/fuzz/* "$CRM_FUZZ_KEEP/" 2>/dev/null
	crm_log "statements, findings and the server log copied to $CRM_FUZZ_KEEP"
fi
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
