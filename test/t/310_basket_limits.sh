#!/usr/bin/env bash
# crm-test: serial (it measures how fast a cancel takes effect: it runs alone)
# Runs whose output explodes must stop cleanly: with the crm_analytics.max_itemsets
# error, the crm_analytics.max_memory error, or cancelled by statement_timeout
# within about a second, and the server must keep running.  Uses FIMI chess.dat (hundreds of millions of
# itemsets at min_support 0.2) when ../shared is present, and always a
# synthetic dense data set (40 items, each in 85% of 3,000 baskets).
set -uo pipefail
q() { psql -X -q -At "$@"; }
fail=0
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected $2, got $3"; fail=1; fi
}
# run SQL, print "<elapsed ms> <first error line or 'no error'>"
timed() {
	local t0 t1 out
	t0=$(date +%s%N)
	out=$(q -v ON_ERROR_STOP=1 -c "$1" 2>&1)
	t1=$(date +%s%N)
	printf '%d %s\n' $(((t1 - t0) / 1000000)) "$(printf '%s\n' "$out" | grep -m1 ERROR || echo 'no error')"
}
limit_or_cancel() {	# NAME SQL
	local r ms msg
	r=$(timed "$2")
	ms=${r%% *}; msg=${r#* }
	echo "     $1: ${ms} ms: $msg"
	case "$msg" in
	*"more than crm_analytics.max_itemsets"* | *"more memory than crm_analytics.max_memory allows"* | \
	*"canceling statement due to statement timeout"*)
		if [ "$ms" -lt $((2500 * ${CRM_TEST_TIME_FACTOR:-1})) ]; then echo "ok   $1 stopped cleanly"; else echo "FAIL $1 took $ms ms"; fail=1; fi ;;
	*) echo "FAIL $1 did not stop with the limit error or a cancel"; fail=1 ;;
	esac
}

q -v ON_ERROR_STOP=1 <<'SQL'
SELECT setseed(0.5);
CREATE TABLE dense AS
WITH x AS MATERIALIZED (SELECT b, i, random() AS r FROM generate_series(1, 3000) b, generate_series(1, 40) i)
SELECT b AS basket, i AS item FROM x WHERE r < 0.85;
SQL
check "dense rows plausible" t "$(q -c "SELECT count(*) BETWEEN 95000 AND 109000 FROM dense")"

D="SELECT basket, item FROM dense"
# the default limit (10 million itemsets) or a 1 s timeout, whichever first
limit_or_cancel "dense, min_support 0.2, default limit, timeout 1s" \
	"SET statement_timeout = '1s'; SELECT count(*) FROM crm.frequent_itemsets('$D', 0.2)"
# the named limit, with its hint
out=$(q -c "SET crm_analytics.max_itemsets = 100000; SELECT count(*) FROM crm.frequent_itemsets('$D', 0.2)" 2>&1)
check "limit error names the setting" 1 "$(grep -c 'ERROR:  crm.frequent_itemsets found more than crm_analytics.max_itemsets = 100000 frequent itemsets' <<<"$out")"
check "limit error hints at min_support and max_length" 1 "$(grep -c 'HINT:  Raise min_support, pass a smaller max_length' <<<"$out")"
out=$(q -c "SET crm_analytics.max_itemsets = 100000; SELECT count(*) FROM crm.association_rules('$D', 0.2)" 2>&1)
check "rules hit the same limit" 1 "$(grep -c 'ERROR:  crm.association_rules found more than crm_analytics.max_itemsets' <<<"$out")"
# no limit to speak of: only statement_timeout stops it, promptly
limit_or_cancel "dense, limit 1e9, timeout 300ms" \
	"SET crm_analytics.max_itemsets = 1000000000; SET statement_timeout = '300ms'; SELECT count(*) FROM crm.frequent_itemsets('$D', 0.2)"
# rule generation with long consequents (3^20 candidate rules, most below min_confidence)
limit_or_cancel "rules with consequents of up to 19 items, timeout 1s" \
	"SET crm_analytics.max_itemsets = 1000000000; SET statement_timeout = '1s'; SELECT count(*) FROM crm.association_rules('SELECT b, g FROM generate_series(1, 20) g, generate_series(1, 2) b WHERE b = 1 OR g <= 10', 0.5, 0.9, NULL, 19)"
# max_length keeps the same data tractable: sum of C(40, k), k <= 2 = 820
check "max_length 2 on the dense data" 820 "$(q -c "SELECT count(*) FROM crm.frequent_itemsets('$D', 0.2, 2)")"
# the memory budget: the same run within 4 MB stops while it builds the
# conditional FP-trees (the rows, about 1 MB while read, fit), with SQLSTATE
# 54000 and the hint naming the setting
out=$(q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "SET crm_analytics.max_memory = '4MB'" \
	-c "SELECT count(*) FROM crm.frequent_itemsets('$D', 0.2, 2)" 2>&1)
printf '%s\n' "$out" | grep -E '^(ERROR|DETAIL|HINT)' | sed 's/^/     /'
check "4 MB budget: SQLSTATE 54000" 1 "$(grep -c '^ERROR:  54000: crm.frequent_itemsets needs more memory than crm_analytics.max_memory allows' <<<"$out")"
check "4 MB budget: stopped building an FP-tree" 1 "$(grep -c '^DETAIL:  Building an FP-tree would take [0-9]* kB; the limit is 4096 kB.' <<<"$out")"
check "4 MB budget: the hint names the setting" 1 "$(grep -c '^HINT:  Raise crm_analytics.max_memory' <<<"$out")"

C=$CRM_ROOT/../shared/datasets/fimi/chess.dat
if [ -f "$C" ]; then
	q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE chess_lines (basket int GENERATED ALWAYS AS IDENTITY, line text);
\copy chess_lines(line) FROM '$C'
CREATE TABLE chess AS SELECT basket, unnest(string_to_array(btrim(line), ' '))::int AS item FROM chess_lines;
SQL
	check "chess rows" 118252 "$(q -c "SELECT count(*) FROM chess")"
	limit_or_cancel "chess.dat, min_support 0.2, default limit" \
		"SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM chess', 0.2)"
	# chess.dat at 0.6 (3,196 baskets, 118,252 rows): within 3 MB the first
	# FP-tree does not fit; with the default budget the run completes
	out=$(q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "SET crm_analytics.max_memory = '3MB'" \
		-c "SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM chess', 0.6)" 2>&1)
	printf '%s\n' "$out" | grep -E '^(ERROR|DETAIL|HINT)' | sed 's/^/     /'
	check "chess, 3 MB budget: SQLSTATE 54000 while building an FP-tree" 2 \
		"$(grep -c -E '^ERROR:  54000: crm.frequent_itemsets needs more memory than crm_analytics.max_memory allows|^DETAIL:  Building an FP-tree would take' <<<"$out")"
	check "chess, default budget: completes" 0 "$(q -c "SELECT count(*) FROM crm.frequent_itemsets('SELECT basket, item FROM chess', 0.6)" 2>&1 | grep -c ERROR)"
	limit_or_cancel "chess.dat, min_support 0.2, statement_timeout 1s" \
		"SET statement_timeout = '1s'; SET crm_analytics.max_itemsets = 1000000000; SELECT count(*) FROM crm.association_rules('SELECT basket, item FROM chess', 0.2, 0.9)"
else
	echo "     (chess.dat not present: synthetic data only)"
fi
check "server still answers" 1 "$(q -c 'SELECT 1')"
exit $fail
