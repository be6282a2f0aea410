# The fuzz pass of `test/run-tests.sh --checked` and test/fuzz/run.sh: our own
# fuzzer (test/fuzz/crm_fuzz.py) and sqlsmith, each bounded in time, on the
# running throwaway cluster.  Source it after common.sh; it defines functions.
#
# Each fuzzer connects as an unprivileged role of its own to a database of its
# own that holds the extension and the small tables of test/fuzz/schema.sql,
# owned by that role: whatever a random statement does stays in that database
# (no superuser: no files, no other sessions, no server settings).

CRM_FUZZ_PACKAGES=(python3-psycopg2 sqlsmith)

# Make role and database $1 with the extension and the fuzz tables.
crm_fuzz_db() {
	local name=$1
	psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL || crm_die "could not create the fuzz database $name"
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $name;
DROP ROLE IF EXISTS $name;
CREATE ROLE $name LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE $name SET statement_timeout = '5s';
ALTER ROLE $name SET lock_timeout = '2s';
ALTER ROLE $name SET idle_in_transaction_session_timeout = '30s';
ALTER ROLE $name SET client_connection_check_interval = '1s';
ALTER ROLE $name SET log_error_verbosity = 'verbose';
CREATE DATABASE $name OWNER $name;
SQL
	psql -X -q -v ON_ERROR_STOP=1 -d "$name" -c "CREATE EXTENSION crm_analytics" >/dev/null ||
		crm_die "could not create the extension in $name"
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$name" -U "$name" -f "$CRM_ROOT/test/fuzz/schema.sql" >"$CRM_TMP/$name-schema.log" 2>&1 ||
		{ cat "$CRM_TMP/$name-schema.log" >&2; crm_die "could not load test/fuzz/schema.sql into $name"; }
}

# End whatever the role $1 still runs (a statement sqlsmith left behind).
crm_fuzz_end_sessions() {
	psql -X -q -At -d postgres -c "SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_catalog.pg_stat_activity WHERE usename = '$1'" >/dev/null 2>&1 || true
}

# Lines of the server log from line $1 on, with the statement of each crash.
crm_fuzz_log_since() {
	tail -n +"$1" "$CRM_TMP/server.log"
}

# Problems in the server log since line $1: crashes, assertion failures,
# sanitizer reports (with the statement the server was running).  An
# UndefinedBehaviorSanitizer report whose stack (UBSAN_OPTIONS has
# print_stacktrace=1) has no frame in crm_analytics is PostgreSQL's own (say
# int4shl by 78 bits from a sqlsmith query): it is printed to stderr as such,
# and is not a problem of ours.  Every other report is.
crm_fuzz_log_problems() {
	crm_fuzz_log_since "$1" | awk '
		function flush() {
			if (ub == "") return
			if (ours) problem(ub)
			else print "    | PostgreSQL core, not ours: " ub > "/dev/stderr"
			ub = ""
		}
		function problem(l) { if (n++ < 40) print l }
		ub != "" && /^[ \t]+#[0-9]+ / { if ($0 ~ /crm_analytics/) ours = 1; next }
		ub != "" && /SUMMARY: UndefinedBehaviorSanitizer/ { next }
		{ flush() }
		/runtime error: / { ub = $0; ours = 0; next }
		/^[ \t]+#[0-9]+ / { next }
		/TRAP: |AddressSanitizer|SUMMARY: |terminated by signal|server process .* exited with exit code|PANIC/ {
			problem($0); after = 3; next
		}
		after > 0 { after--; if ($0 != "") problem($0) }
		END { flush(); exit n == 0 }'
}

# Internal errors in the server log since line $1 (the fuzz roles log with
# SQLSTATE): "ERROR:  XX000: ..." and the messages of internal errors.  $2
# selects "ours" (the statement names the extension's schema) or "core".
crm_fuzz_log_internal() {
	crm_fuzz_log_since "$1" | awk -v want="$2" '
		/ERROR:  XX[0-9A-Z]{3}: |cache lookup failed|invalid memory alloc request size/ { err = $0; next }
		err != "" && /STATEMENT:  / {
			ours = ($0 ~ /crm\./)
			if ((want == "ours") == ours) print err "\n    " substr($0, 1, 400)
			err = ""
		}'
}

# Our own fuzzer for $1 minutes with seed $2; returns non-zero on a finding.
crm_fuzz_own() {
	local minutes=$1 seed=$2 dir=$CRM_TMP/fuzz rc start line
	mkdir -p "$dir"
	crm_fuzz_db crm_fuzz
	line=$(($(wc -l <"$CRM_TMP/server.log") + 1))
	start=$(date +%s)
	/usr/bin/python3 "$CRM_ROOT/test/fuzz/crm_fuzz.py" --dsn "dbname=crm_fuzz user=crm_fuzz" \
		--minutes "$minutes" --seed "$seed" --log "$dir/crm_fuzz.sql" \
		--findings "$dir/crm_fuzz.findings" ${CRM_FUZZ_VERBOSE:+--verbose} >"$dir/crm_fuzz.out" 2>&1
	rc=$?
	crm_fuzz_end_sessions crm_fuzz
	grep -v -E '^(FINDING|    )' "$dir/crm_fuzz.out" | sed 's/^/    | /' | tail -n 60
	if [ -s "$dir/crm_fuzz.findings" ]; then
		echo "    | findings (reproduce: test/fuzz/run.sh --seed $seed, or run the statement):"
		grep -A1 '^FINDING' "$dir/crm_fuzz.out" | head -n 40 | sed 's/^/    | /'
		[ -n "${CRM_FUZZ_KEEP:-}" ] && cp "$dir/crm_fuzz.findings" "$dir/crm_fuzz.sql" "$CRM_FUZZ_KEEP/" 2>/dev/null
	fi
	local problems
	if problems=$(crm_fuzz_log_problems "$line"); then
		echo "    | the server log has crashes, assertion failures or sanitizer reports:"
		echo "$problems" | sed 's/^/    | /'
		rc=1
	fi
	echo "    | $(( $(date +%s) - start )) s"
	[ $rc -eq 0 ]
}

# sqlsmith for $1 minutes with seed $2.  It draws from every function in the
# catalog (it cannot be limited to one schema) over the fuzz tables.  Crashes,
# assertion failures and sanitizer reports fail it; internal errors in
# statements that use the extension fail it; those of PostgreSQL itself are
# listed only.
crm_fuzz_sqlsmith() {
	local minutes=$1 seed=$2 dir=$CRM_TMP/fuzz rc=0 start line queries problems ours core
	mkdir -p "$dir"
	if ! command -v sqlsmith >/dev/null 2>&1; then
		echo "    | sqlsmith is not installed (Debian package sqlsmith)"
		return 1
	fi
	crm_fuzz_db crm_smith
	line=$(($(wc -l <"$CRM_TMP/server.log") + 1))
	start=$(date +%s)
	# --max-queries bounds a fast run, timeout the slow one; each statement
	# is bounded by the role's statement_timeout.  --exclude-catalog: queries
	# over the fuzz tables, not the system catalogs.
	( cd "$dir" && timeout --kill-after=10 "$(awk -v m="$minutes" 'BEGIN { print int(m * 60) }')" \
		sqlsmith --target="host=$PGHOST port=$PGPORT dbname=crm_smith user=crm_smith" \
		--seed="$seed" --max-queries="${CRM_SQLSMITH_MAX_QUERIES:-1000000}" --verbose \
		--exclude-catalog --dump-all-queries >"$dir/sqlsmith.sql" 2>"$dir/sqlsmith.err" )
	crm_fuzz_end_sessions crm_smith
	# the statements sqlsmith sent (each dumped ending with ";") and those
	# calling a function of the extension
	local with_crm
	read -r queries with_crm < <(awk 'BEGIN { RS = ";\n" } /crm\.[a-z_]+\(/ { n++ } END { print NR, n + 0 }' "$dir/sqlsmith.sql")
	echo "    | sqlsmith: seed $seed, $queries queries ($with_crm calling the extension) in $(( $(date +%s) - start )) s"
	grep -E '^ *[0-9]+\s' "$dir/sqlsmith.err" | tail -n 12 | sed 's/^/    |   /'
	if problems=$(crm_fuzz_log_problems "$line"); then
		echo "    | the server log has crashes, assertion failures or sanitizer reports:"
		echo "$problems" | sed 's/^/    | /'
		rc=1
	fi
	ours=$(crm_fuzz_log_internal "$line" ours)
	core=$(crm_fuzz_log_internal "$line" core)
	if [ -n "$ours" ]; then
		echo "    | internal errors in statements using the extension:"
		echo "$ours" | head -n 20 | sed 's/^/    | /'
		rc=1
	fi
	if [ -n "$core" ]; then
		echo "    | internal errors of PostgreSQL itself (statements without crm.; not ours):"
		echo "$core" | head -n 10 | sed 's/^/    | /'
	fi
	return $rc
}

# The fuzz pass: our fuzzer and sqlsmith at the same time (one core each),
# $1 and $2 minutes (0: skip it).  Adds to the caller's passed/failed/failures
# counters (those of test/run-tests.sh).  CRM_FUZZ_SEED fixes the seed
# (printed otherwise).  A crash found by one also shows in the other's log
# check: both then fail.
crm_fuzz_pass() {
	local minutes=("$1" "$2") names=(crm_fuzz sqlsmith) fns=(crm_fuzz_own crm_fuzz_sqlsmith) i
	local seed=${CRM_FUZZ_SEED:-$(( $(date +%s) % 100000 ))} pids=() rcs=()
	crm_log "fuzz pass: crm_fuzz $1 min, sqlsmith $2 min at the same time, seed $seed"
	mkdir -p "$CRM_TMP/fuzz"
	for i in 0 1; do
		[ "${minutes[$i]}" = 0 ] && { pids[$i]=; continue; }
		"${fns[$i]}" "${minutes[$i]}" "$seed" >"$CRM_TMP/fuzz/pass-$i.out" 2>&1 &
		pids[$i]=$!
	done
	for i in 0 1; do
		[ -n "${pids[$i]}" ] || continue
		wait "${pids[$i]}"; rcs[$i]=$?
	done
	for i in 0 1; do
		[ -n "${pids[$i]}" ] || continue
		if [ "${rcs[$i]}" -eq 0 ]; then
			printf 'test %-40s ... ok\n' "fuzz/${names[$i]}"; passed=$((passed + 1))
		else
			printf 'test %-40s ... FAILED\n' "fuzz/${names[$i]}"; failed=$((failed + 1))
			failures+=("fuzz/${names[$i]}")
		fi
		cat "$CRM_TMP/fuzz/pass-$i.out"
	done
}
