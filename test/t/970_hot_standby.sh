#!/usr/bin/env bash
# Analytics on a hot standby, where BI tools usually point.  A primary and a
# streaming standby (pg_basebackup), each a throwaway cluster with a private
# socket; data loaded on the primary and replayed on the standby; then every
# function that runs a caller's query (the cases of test/sql/query_cases.sql)
# and every aggregate (test/sql/aggregate_cases.sql: the aggregates, their
# partial forms and crm.agg_merge) runs on both.  Each must run on the
# standby, where nothing can be written, and give the primary's result.
set -uo pipefail
. "$CRM_ROOT/test/lib/cluster.sh"
factor=${CRM_TEST_TIME_FACTOR:-1}
fail=0

crm_tc_init primary 54351 "wal_level = replica" "max_wal_senders = 4" || exit 1
crm_tc_start primary || exit 1
P() { crm_tc_psql primary -q -At -v ON_ERROR_STOP=1 "$@"; }
S() { crm_tc_psql standby -q -At -v ON_ERROR_STOP=1 "$@"; }
P -c "CREATE EXTENSION crm_analytics" || exit 1
# the cases and their data, and the functions that run them (on both servers)
(cd "$CRM_ROOT" && P -c "SET extra_float_digits = 0" -f test/sql/query_cases.sql -f test/sql/aggregate_cases.sql) >/dev/null || exit 1
P <<'SQL' || exit 1
-- one digest of whatever a call returns: its rows as text, sorted
CREATE FUNCTION standby_digest(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
	EXECUTE format('SELECT count(*) || '' rows '' || md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), ''''))
					FROM (SELECT * FROM %s) t', sql) INTO r;
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	RETURN 'ERROR ' || SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE VIEW standby_calls AS
SELECT 'query ' || c.fn::text AS name,
	   CASE WHEN p.prorettype = 'crm.model'::regtype
			-- a model holds its training time: compare everything else
			THEN format('(SELECT crm.model_json(m) #- ''{training,training_ms}'' FROM %s m) j', format(c.call, q.sql))
			ELSE format(c.call, q.sql) END AS sql
FROM sec_cases c JOIN pg_proc p ON p.oid = c.fn,
	 LATERAL (SELECT quote_literal(format('SELECT %s FROM sec_data', c.cols)) AS sql) q
UNION ALL
SELECT 'aggregate ' || c.aggregate::text || '(' || c.args || ')',
	   format('(SELECT %I.%I(%s) FROM %s) a', n.nspname, p.proname, c.args, c.src)
FROM agg_cases c JOIN pg_proc p ON p.oid = c.aggregate JOIN pg_namespace n ON n.oid = p.pronamespace;
SQL
missing=$(P -c "SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
				WHERE n.nspname = 'crm' AND ((p.prokind = 'a' AND p.oid NOT IN (SELECT aggregate FROM agg_cases))
					OR ('query' = ANY (p.proargnames) AND p.oid NOT IN (SELECT fn FROM sec_cases)))")
[ -z "$missing" ] || { echo "FAIL: without a case (add one to test/sql/*_cases.sql): $missing"; fail=1; }
P -c "CHECKPOINT" || exit 1

crm_tc_standby standby primary 54352 || exit 1
crm_tc_start standby || exit 1
lsn=$(P -c "SELECT pg_current_wal_lsn()")
start=$SECONDS
until [ "$(S -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ]; do
	[ $((SECONDS - start)) -gt $((60 * factor)) ] && { echo "FAIL: the standby did not replay up to $lsn"; exit 1; }
	sleep 0.2
done
echo "standby: in recovery = $(S -c "SELECT pg_is_in_recovery()"), replayed up to $lsn in $((SECONDS - start)) s," \
	"streaming: $(P -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") sender"

# every call on both servers
P -F $'\t' -c "SELECT name, sql FROM standby_calls ORDER BY name" >"$TEST_TMPDIR/calls"
ncalls=$(wc -l <"$TEST_TMPDIR/calls")
run_all() {
	crm_tc_psql "$1" -q -At -v ON_ERROR_STOP=1 -F $'\t' \
		-c "SET extra_float_digits = 0" -c "SET client_min_messages = error" \
		-c "SELECT name, standby_digest(sql) FROM standby_calls ORDER BY name"
}
run_all primary >"$TEST_TMPDIR/primary.out" || exit 1
t0=$SECONDS
run_all standby >"$TEST_TMPDIR/standby.out" || exit 1
echo "ran $ncalls calls on the standby in $((SECONDS - t0)) s"
errors=$(grep -c $'\tERROR ' "$TEST_TMPDIR/standby.out")
perr=$(grep -c $'\tERROR ' "$TEST_TMPDIR/primary.out")
if [ "$errors" != 0 ]; then
	echo "FAIL: $errors calls fail on the standby:"; grep $'\tERROR ' "$TEST_TMPDIR/standby.out" | head -20; fail=1
fi
[ "$perr" = 0 ] || { echo "FAIL: $perr calls fail on the primary:"; grep $'\tERROR ' "$TEST_TMPDIR/primary.out" | head; fail=1; }
if ! diff "$TEST_TMPDIR/primary.out" "$TEST_TMPDIR/standby.out" >"$TEST_TMPDIR/diff"; then
	echo "FAIL: results differ between the primary and the standby:"; head -20 "$TEST_TMPDIR/diff"; fail=1
else
	echo "ok   $(grep -c '^query ' "$TEST_TMPDIR/standby.out") functions that run a query and" \
		"$(grep -c '^aggregate ' "$TEST_TMPDIR/standby.out") aggregate calls give the primary's results on the standby"
fi
# the standby really cannot write: a query that writes is refused there
out=$(S -c "SELECT count(*) FROM crm.query_rows('WITH d AS (DELETE FROM sec_data RETURNING customer) SELECT customer FROM d') AS t(c int)" 2>&1)
case "$out" in *ERROR*) ;; *) echo "FAIL: a writing query ran on the standby: $out"; fail=1 ;; esac
for n in primary standby; do
	if problems=$(crm_tc_log_problems $n); then echo "FAIL: the $n's log:"; echo "$problems"; fail=1; fi
done
exit $fail
