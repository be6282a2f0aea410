#!/usr/bin/env bash
# crm-test: serial (it measures how fast a cancel takes effect: it runs alone)
# Long prediction work honours statement_timeout, and training stays within
# crm_analytics.max_memory:
#  - crm.logistic_regression reading a 100M-row query, crm.auc over 100M
#    rows, crm.lift_table over a 100M-row query, a training in its Newton
#    steps (2,000 design columns) and a training that runs the query once
#    per Newton step are all cancelled promptly;
#  - with max_memory = 1MB the training rows do not fit: the query runs once
#    per step, and the model equals the in-memory one (1e-10 relative);
#  - a query that returns other rows when it runs again is an error then;
#  - crm.auc past the budget is SQLSTATE 54000; the server stays up.
set -uo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
fail=0
check_cancel() {
	local label=$1 sql=$2 start end out ms
	start=$(date +%s%N)
	out=$(q -c "SET statement_timeout = '400ms'" -c "$sql" 2>&1)
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	echo "$label: ${ms} ms: $(echo "$out" | grep ERROR)"
	if ! grep -q "canceling statement due to statement timeout" <<<"$out"; then
		echo "  expected a statement_timeout cancel"; fail=1
	fi
	if [ "$ms" -gt 2000 ]; then echo "  took too long to cancel"; fail=1; fi
}
# rows streamed (not materialised first) from a join of two series
rows="generate_series(1, 10000) a, generate_series(1, 10000) b"
check_cancel "logistic_regression reading 100M rows" \
	"SELECT crm.logistic_regression('SELECT (a + b) % 7 = 0, (a * b % 1000)::float8 AS x, (a % 3)::text AS c FROM $rows')"
check_cancel "auc over 100M rows" "SELECT crm.auc((a * 10000 + b)::float8, (a + b) % 3 = 0) FROM $rows"
check_cancel "lift_table over 100M rows" "SELECT count(*) FROM crm.lift_table('SELECT a * 10000 + b, (a + b) % 3 = 0 FROM $rows')"
# Newton steps on ~2,000 design columns: the first pass is quick, the steps are not
check_cancel "logistic_regression in its Newton steps" \
	"SELECT crm.logistic_regression('SELECT i % 3 = 0, (i % 997)::text AS a, (i * 7 % 991)::text AS b FROM generate_series(1, 30000) i')"
# 3M rows do not fit 1MB: the query runs once per Newton step
check_cancel "logistic_regression, one query pass per step" \
	"SET crm_analytics.max_memory = '1MB'; SELECT crm.logistic_regression('SELECT (a + b) % 7 = 0, sqrt(a * b) AS x, (a % 3)::text AS c FROM generate_series(1, 300) a, generate_series(1, 10000) b')"

# streaming equals in memory
q <<'SQL'
CREATE TABLE train AS
SELECT i, (i * 7919) % 13 < 4 + (i % 5) AS y, ((i * 31) % 101)::float8 AS x1, ((i * 17) % 29)::float8 AS x2,
	   CASE WHEN i % 11 = 0 THEN NULL ELSE ((i * 13) % 7)::float8 END AS x3,
	   (ARRAY['a', 'b', 'c', NULL])[1 + i % 4] AS c, (i * 7) % 97 / 10.0 AS z
FROM generate_series(1, 60000) i;
CREATE TABLE fits AS
SELECT crm.logistic_regression('SELECT y, x1, x2, x3, c FROM train') AS mem,
	   crm.linear_regression('SELECT z, x1, x2, x3, c FROM train') AS lmem;
SET crm_analytics.max_memory = '1MB';
ALTER TABLE fits ADD COLUMN stream crm.model, ADD COLUMN lstream crm.model;
UPDATE fits SET stream = crm.logistic_regression('SELECT y, x1, x2, x3, c FROM train'),
				lstream = crm.linear_regression('SELECT z, x1, x2, x3, c FROM train');
SQL
res=$(q -F ' ' -c "SELECT (crm.model_json(mem)->'training'->>'in_memory'), (crm.model_json(stream)->'training'->>'in_memory'),
	(crm.model_json(stream)->'training'->>'query_passes'), (crm.model_json(lstream)->'training'->>'query_passes'),
	(SELECT bool_and(abs(a.coefficient - b.coefficient) <= 1e-10 * abs(b.coefficient) + 1e-13
					 AND abs(a.std_error - b.std_error) <= 1e-10 * b.std_error)
	 FROM crm.model_coefficients(mem) a JOIN crm.model_coefficients(stream) b USING (feature, level)),
	(SELECT bool_and(abs(a.coefficient - b.coefficient) <= 1e-10 * abs(b.coefficient) + 1e-13)
	 FROM crm.model_coefficients(lmem) a JOIN crm.model_coefficients(lstream) b USING (feature, level))
	FROM fits")
echo "in memory / streamed / passes (logistic, linear) / same logistic / same linear: $res"
[ "$(echo "$res" | cut -d' ' -f1,2,5,6)" = "true false t t" ] || { echo "  streaming differs from in memory"; fail=1; }
passes=$(echo "$res" | cut -d' ' -f3)
[ "$passes" -gt 3 ] || { echo "  expected one query pass per Newton step"; fail=1; }

out=$(q -c "SET crm_analytics.max_memory = '1MB'" \
	-c "SELECT crm.logistic_regression('SELECT y, x1, c FROM train WHERE random() < 0.9')" 2>&1)
echo "a changing query, streamed: $(echo "$out" | grep ERROR)"
grep -q "returned different rows when it ran again" <<<"$out" || { echo "  expected an error"; fail=1; }

out=$(q -c "SET crm_analytics.max_memory = '1MB'" -c "\\set VERBOSITY verbose" \
	-c "SELECT crm.auc(i * 0.001, i % 2 = 0) FROM generate_series(1, 1000000) i" 2>&1)
echo "crm.auc past the budget: $(echo "$out" | grep ERROR)"
grep -q "ERROR:  54000" <<<"$out" || { echo "  expected SQLSTATE 54000"; fail=1; }

alive=$(q -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
