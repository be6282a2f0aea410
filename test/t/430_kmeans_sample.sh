#!/usr/bin/env bash
# The memory bound: past crm_analytics.kmeans_max_memory the aggregate keeps
# a uniform reservoir sample, also when parallel workers' samples merge
# (weighted by the number of rows each saw).  A 0/1 feature with a known
# share of ones, grouped unevenly in the table, must keep its share in the
# sample: with k = 1 the centroid is the sample mean.
set -euo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# 400000 rows: the first 100000 are 1, the rest 0 (share 0.25)
q -c "CREATE TABLE z AS SELECT i, ARRAY[(i <= 100000)::int::float8] AS f FROM generate_series(1, 400000) i"
q -c "ANALYZE z"
par="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"
mem="SET crm_analytics.kmeans_max_memory = 64;"	# 65536 / (8 + 32) = 1638 points

plan=$(psql -X -At -c "$par" -c "EXPLAIN (COSTS OFF) SELECT crm.kmeans(f, 1) FROM z")
echo "$plan"
[[ "$plan" == *"Partial Aggregate"* ]] || { echo "FAIL: no parallel plan"; exit 1; }

# 1638 draws: the standard error of the share is sqrt(0.25 * 0.75 / 1638) = 0.0107;
# allow 4.5 standard errors (0.048) for each of several seeds
fails=0
for seed in 1 2 3 4 5; do
	for mode in serial parallel; do
		setup=$mem
		[ $mode = parallel ] && setup="$mem $par"
		out=$(psql -X -At -v ON_ERROR_STOP=1 -c "$setup" -c "SELECT (crm.kmeans(f, 1, $seed))[1][1] FROM z" 2>&1)
		share=$(echo "$out" | tail -n 1)
		echo "seed $seed $mode: sample share of ones $share"
		[[ "$out" == *"uniform random sample of 1638 of 400000 points"* ]] || { echo "FAIL: no NOTICE: $out"; exit 1; }
		awk -v s="$share" 'BEGIN { exit !(s > 0.25 - 0.048 && s < 0.25 + 0.048) }' || fails=$((fails + 1))
	done
done
[ $fails -eq 0 ] || { echo "FAIL: $fails samples not uniform"; exit 1; }

# memory stays bounded with a bigger input: 1M rows of 8 features at 1 MB
out=$(psql -X -At -v ON_ERROR_STOP=1 -c "SET crm_analytics.kmeans_max_memory = 1024" \
	-c "SELECT array_length(crm.kmeans(ARRAY[i % 3, i % 5, i % 7, i % 11, i % 13, i % 17, i % 19, i % 23]::float8[], 4), 1) FROM generate_series(1, 1000000) i" 2>&1)
echo "$out"
[[ "$out" == *"sample of 10922 of 1000000 points"* ]] || { echo "FAIL: expected a sample of 10922 points"; exit 1; }
echo "ok"
