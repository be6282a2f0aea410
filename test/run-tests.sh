#!/usr/bin/env bash
# The test command: installs what is missing, builds and installs the
# extension with warnings as errors, starts a throwaway cluster, runs the
# pg_regress suite (sql/*.sql against expected/*.out) and every test script in
# test/t, and ends with one line "N passed, M failed".
#
#   test/run-tests.sh              everything
#   test/run-tests.sh rfm 010      only tests whose name contains one of the words
#   CRM_TEST_VERBOSE=1 test/run-tests.sh   also print the output of passing test scripts
#   test/run-tests.sh --checked    on PostgreSQL built with assertions, ASan and
#                                  UBSan (test/lib/checked.sh), then a fuzz pass
#                                  (test/lib/fuzz.sh); --fuzz-minutes N per fuzzer
#                                  (default 2, 0 = none)
#   test/run-tests.sh --pg 17      the same on PostgreSQL 17 (18, 19) in a Debian root;
#                                  --pg all: 15 here, then 17, 18 and 19 (test/lib/matrix.sh)
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$CRM_ROOT" || exit 2

args=() pg= checked=0 fuzz_minutes=2
while [ $# -gt 0 ]; do
	case "$1" in
		--pg) [ $# -ge 2 ] || crm_die "--pg needs a version (15, 17, 18, 19, all, or a list such as 17,18,19)"; pg=$2; shift 2 ;;
		--pg=*) pg=${1#--pg=}; shift ;;
		--checked) checked=1; shift ;;
		--fuzz-minutes) [ $# -ge 2 ] || crm_die "--fuzz-minutes needs a number"; fuzz_minutes=$2; shift 2 ;;
		*) args+=("$1"); shift ;;
	esac
done
if [ -n "$pg" ] && [ "$pg" != "$PG_MAJOR" ]; then
	[ $checked = 0 ] || crm_die "--checked runs on PostgreSQL $PG_MAJOR only: run it without --pg"
	. "$CRM_ROOT/test/lib/matrix.sh"
	crm_matrix_main "$pg" "${args[@]}"
	exit
fi
filters=("${args[@]}")
[ $checked = 1 ] && . test/lib/checked.sh && . test/lib/fuzz.sh
selected() {
	[ ${#filters[@]} -eq 0 ] && return 0
	local f
	for f in "${filters[@]}"; do [[ "$1" == *"$f"* ]] && return 0; done
	return 1
}

# packages the tests need beyond the build (one Debian package per line)
mapfile -t test_packages < <(grep -v '^#' test/apt-packages.txt 2>/dev/null | grep -v '^ *$'
	crm_version_packages "$PG_MAJOR")
[ $checked = 1 ] && test_packages+=("${CRM_FUZZ_PACKAGES[@]}")
crm_install_deps "${test_packages[@]}"
[ $checked = 1 ] && crm_checked_server
CRM_PRIVATE_INSTALL=${CRM_PRIVATE_INSTALL:-1} crm_build_install
crm_cluster_start
# the binaries of the installation holding the extension, for test scripts
# that start clusters of their own (test/lib/cluster.sh)
export CRM_PGBIN

passed=0 failed=0 skipped=0 failures=()

# 1. pg_regress
regress=()
for f in sql/*.sql; do
	name=$(basename "$f" .sql)
	case "$name" in crm_analytics--*) continue ;; esac
	selected "$name" && regress+=("$name")
done
if [ ${#regress[@]} -gt 0 ]; then
	crm_log "pg_regress: ${regress[*]}"
	rm -rf results regression.diffs regression.out
	make -s PG_CONFIG="$PG_CONFIG" installcheck REGRESS="${regress[*]}" >"$CRM_TMP/regress.out" 2>&1
	cat "$CRM_TMP/regress.out"
	for name in "${regress[@]}"; do
		if crm_regress_passed "$name" "$CRM_TMP/regress.out"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1)); failures+=("regress/$name")
		fi
	done
	if [ -f regression.diffs ] && [ -s regression.diffs ]; then
		echo "---------------- regression.diffs ----------------"
		cat regression.diffs
		echo "--------------------------------------------------"
	fi
fi

# 2. test scripts: each gets a fresh database with the extension created,
# a scratch directory, and 0 = pass, 77 = skip, anything else = fail.  They
# run CRM_TEST_JOBS at a time (default: the number of CPUs); a script that
# says "crm-test: serial" in its first lines (it measures how fast a cancel
# takes effect) runs alone, after the others.
run_test() {	# SCRIPT: run it, leave "rc secs" in $CRM_TMP/res.NAME
	local t=$1 name db scratch start rc
	name=$(basename "$t" .sh)
	db="t_$(echo "$name" | tr -c 'a-zA-Z0-9_\n' '_')"
	scratch=$CRM_TMP/t.$name
	mkdir -p "$scratch" && chmod 777 "$scratch"
	start=$(date +%s)
	if psql -X -q -c "CREATE DATABASE $db" >"$scratch/log" 2>&1 &&
		psql -X -q -d "$db" -c "CREATE EXTENSION crm_analytics" >>"$scratch/log" 2>&1; then
		PGDATABASE=$db TEST_TMPDIR=$scratch CRM_ROOT=$CRM_ROOT timeout 600 bash "$t" >"$scratch/log" 2>&1
		rc=$?
	else
		rc=1
	fi
	echo "$rc $(( $(date +%s) - start ))" >"$CRM_TMP/res.$name.tmp"
	psql -X -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	mv "$CRM_TMP/res.$name.tmp" "$CRM_TMP/res.$name"
}
report_test() {	# NAME: print the result of a finished script and count it
	local name=$1 rc secs log=$CRM_TMP/t.$1/log
	read -r rc secs <"$CRM_TMP/res.$name"
	if [ "$rc" -eq 0 ]; then
		printf 'test %-40s ... ok       %4ss\n' "$name" "$secs"; passed=$((passed + 1))
		[ "${CRM_TEST_VERBOSE:-0}" = 1 ] && sed 's/^/    | /' "$log"
	elif [ "$rc" -eq 77 ] && [ -d "$CRM_ROOT/../shared/datasets" ]; then
		# the real data sets are here (as in CI): a test that skips has lost them
		printf 'test %-40s ... FAILED   skipped although ../shared/datasets is present (%s)\n' \
			"$name" "$(tail -n 1 "$log")"
		failed=$((failed + 1)); failures+=("t/$name")
	elif [ "$rc" -eq 77 ]; then
		printf 'test %-40s ... skipped  (%s)\n' "$name" "$(tail -n 1 "$log")"; skipped=$((skipped + 1))
	else
		printf 'test %-40s ... FAILED   %4ss (exit %s)\n' "$name" "$secs" "$rc"
		sed 's/^/    | /' "$log" | tail -n 60
		failed=$((failed + 1)); failures+=("t/$name")
	fi
}
parallel_tests=() serial_tests=()
for t in test/t/*.sh; do
	[ -e "$t" ] || continue
	selected "$(basename "$t" .sh)" || continue
	if awk 'NR > 5 {exit} /crm-test: serial/ {f = 1} END {exit !f}' "$t"; then serial_tests+=("$t"); else parallel_tests+=("$t"); fi
done
test_jobs=${CRM_TEST_JOBS:-$(nproc)}
declare -A running=()
reap_tests() {	# report the scripts that have finished
	local n
	for n in "${!running[@]}"; do
		[ -f "$CRM_TMP/res.$n" ] || continue
		wait "${running[$n]}" 2>/dev/null
		report_test "$n"; unset "running[$n]"
	done
}
for t in "${parallel_tests[@]}"; do
	while [ ${#running[@]} -ge "$test_jobs" ]; do
		wait -n 2>/dev/null
		reap_tests
	done
	run_test "$t" &
	running[$(basename "$t" .sh)]=$!
done
while [ ${#running[@]} -gt 0 ]; do
	wait -n 2>/dev/null
	reap_tests
done
for t in "${serial_tests[@]}"; do
	run_test "$t"
	report_test "$(basename "$t" .sh)"
done

if problems=$(crm_server_log_problems); then
	echo "the server crashed during the run:"; echo "$problems"
	failed=$((failed + 1)); failures+=("server crash")
fi
[ $checked = 1 ] && selected fuzz && [ "$fuzz_minutes" != 0 ] &&
	crm_fuzz_pass "$fuzz_minutes" "$fuzz_minutes"
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
