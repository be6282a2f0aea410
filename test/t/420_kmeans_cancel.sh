#!/usr/bin/env bash
# crm-test: serial (it measures how fast a cancel takes effect: it runs alone)
# A long k-means run honours statement_timeout within a second, and the
# server is alive afterwards.
set -euo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# 300000 points of 16 features, k = 200: seconds of k-means++ and Lloyd work
q -c "CREATE TABLE big AS
	  SELECT i, ARRAY(SELECT sin(i * 0.37 + j * 1.3) * 10 + (i % 97) FROM generate_series(1, 16) j)::float8[] AS f
	  FROM generate_series(1, 300000) i"
q -c "ANALYZE big"
for stmt in "SELECT crm.kmeans(f, 200, 1, 10) IS NULL FROM big" \
			"SELECT count(*) FROM crm.kmeans_evaluate('SELECT f FROM big', 150, 200)"; do
	start=$(date +%s%N)
	out=$(psql -X -q -At -c "SET statement_timeout = '500ms'" -c "$stmt" 2>&1) && { echo "FAIL: finished within the timeout: $out"; exit 1; }
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$stmt -> $out (${ms} ms)"
	[[ "$out" == *"canceling statement due to statement timeout"* ]] || { echo "FAIL: expected the timeout error"; exit 1; }
	[ "$ms" -lt $((1500 * ${CRM_TEST_TIME_FACTOR:-1})) ] || { echo "FAIL: the cancel took ${ms} ms (limit 500 ms + 1 s)"; exit 1; }
done
[ "$(q -c 'SELECT 1')" = 1 ] || { echo "FAIL: server not answering"; exit 1; }
echo "server alive after the cancels"
