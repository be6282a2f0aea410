#!/usr/bin/env bash
# Benchmark of crm.frequent_itemsets (FP-growth) on the FIMI data sets,
# loaded as (basket, item) rows: retail.dat (88,162 baskets, 908,576 rows)
# at min_support 0.001 and 0.0001, T10I4D100K.dat (100,000 baskets,
# 1,010,228 rows) at 0.0001.  The baseline is the floor: the time of
# scanning the same query (SELECT count(*) FROM (query) q).  The target
# (issue 17) is the time of a standalone C FP-growth (Borgelt's) reading the
# file itself, best of 3 on this machine class: 220 ms, 540 ms and 910 ms;
# each line also prints our time over that target and the backend's own CPU
# time (less sensitive to other load on the machine).
# Also Groceries (9,835 baskets) rules at 0.001/0.5 when present.
# Run: test/bench/basket.sh with PG* set and the extension created.
set -euo pipefail
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
F=$BENCH_ROOT/../shared/datasets/fimi
G=$BENCH_ROOT/../shared/datasets/groceries

load_fimi() {	# TABLE FILE
	bench_psql <<SQL
DROP TABLE IF EXISTS $1_lines, $1;
CREATE TABLE $1_lines (basket int GENERATED ALWAYS AS IDENTITY, line text);
\copy $1_lines(line) FROM '$2'
CREATE TABLE $1 AS SELECT basket, unnest(string_to_array(btrim(line), ' '))::int AS item FROM $1_lines;
DROP TABLE $1_lines;
VACUUM ANALYZE $1;
SQL
}

run() {	# NAME TABLE MIN_SUPPORT TARGET_MS
	local q="SELECT basket, item FROM $2" ours scan n cpu
	n=$(bench_psql -At -c "SELECT count(*) FROM crm.frequent_itemsets('$q', $3)")
	ours=$(bench_ms "SELECT count(*) FROM crm.frequent_itemsets('$q', $3);")
	scan=$(bench_ms "SELECT count(*) FROM ($q) q;")
	cpu=$(bench_cpu_ms "SELECT count(*) FROM crm.frequent_itemsets('$q', $3)")
	bench_line "$1" "$ours" "$scan" "$(awk -v n="$n" -v o="$ours" -v t="$4" -v c="${cpu:-n/a}" \
		'BEGIN {printf "%d itemsets; %.2fx the standalone target %d ms; backend CPU %s ms", n, o / t, t, c}')"
}

echo "# crm.frequent_itemsets vs a plain scan of the same query (best of $BENCH_RUNS)"
if [ -f "$F/retail.dat" ]; then
	load_fimi bench_retail "$F/retail.dat"
	run "retail.dat min_support 0.001" bench_retail 0.001 220
	run "retail.dat min_support 0.0001" bench_retail 0.0001 540
	bench_psql -c "DROP TABLE bench_retail"
else
	echo "skip retail.dat: $F/retail.dat not present"
fi
if [ -f "$F/T10I4D100K.dat" ]; then
	load_fimi bench_t10 "$F/T10I4D100K.dat"
	run "T10I4D100K.dat min_support 0.0001" bench_t10 0.0001 910
	bench_psql -c "DROP TABLE bench_t10"
else
	echo "skip T10I4D100K.dat: $F/T10I4D100K.dat not present"
fi
if [ -f "$G/groceries.csv" ]; then
	bench_psql <<SQL
DROP TABLE IF EXISTS bench_groc_lines, bench_groc;
CREATE TABLE bench_groc_lines (basket int GENERATED ALWAYS AS IDENTITY, line text);
\copy bench_groc_lines(line) FROM '$G/groceries.csv'
CREATE TABLE bench_groc AS SELECT basket, unnest(string_to_array(line, ',')) AS item FROM bench_groc_lines;
VACUUM ANALYZE bench_groc;
SQL
	q="SELECT basket, item FROM bench_groc"
	n=$(bench_psql -At -c "SELECT count(*) FROM crm.association_rules('$q', 0.001, 0.5)")
	bench_line "groceries rules 0.001/0.5" "$(bench_ms "SELECT count(*) FROM crm.association_rules('$q', 0.001, 0.5);")" \
		"$(bench_ms "SELECT count(*) FROM ($q) q;")" "$n rules"
	bench_psql -c "DROP TABLE bench_groc, bench_groc_lines"
else
	echo "skip groceries: $G/groceries.csv not present"
fi
