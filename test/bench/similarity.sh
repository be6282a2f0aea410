#!/usr/bin/env bash
# Similar-customers benchmark.
#   1. crm.nearest_neighbors k = 10 on UCI Online Retail (customers x stock
#      codes, about 4,300 x 3,700, 400k lines; skipped when ../shared is absent)
#   2. crm.nearest_neighbors k = 10 on 100k customers x 10k items, 2M lines
#      (times BENCH_SCALE), cosine and jaccard
#   baselines, same run: scipy's sparse product A A^T by row blocks + top k
#      (Debian's /usr/bin/python3 with python3-scipy; compute time only, the
#      CSV transfer is not counted) and plain SQL (self-join on items, window
#      top k; on the 2M-line set measured on 1% of the customers and scaled up)
#   3. one customer's top 10 among 1M stored profiles (times BENCH_SCALE):
#      posting lists + crm.profile_candidates (cosine; and _jaccard), vs the
#      GIN && candidate scan and vs a full scan, median and worst of 20 customers
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/simbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
have_scipy=0
if [ -x "$py" ] && "$py" -c "import scipy.sparse" 2>/dev/null; then have_scipy=1; else
	echo "scipy baseline skipped: install Debian's python3-scipy (apt-get install python3-scipy)"; fi

# scipy_run QUERY METRIC: runs the scipy baseline BENCH_RUNS times; sets
# scipy_best (compute ms), scipy_rows and scipy_sum
scipy_run() {
	local out t i
	bench_psql -c "\\copy ($1) TO '$tmp/rows.csv' CSV"
	scipy_best=""
	for ((i = 0; i < BENCH_RUNS; i++)); do
		out=$("$py" "$here/similarity_scipy.py" 10 "$2" <"$tmp/rows.csv")
		read -r _ t scipy_rows scipy_sum <<<"$out"
		if [ -z "$scipy_best" ] || awk -v a="$t" -v b="$scipy_best" 'BEGIN {exit !(a < b)}'; then scipy_best=$t; fi
	done
}

# brute-force SQL: every pair sharing an item, cosine, top 10 per customer;
# FILTER restricts the customers on the left side (for sampling)
sql_baseline() {
	local rows=$1 filter=$2
	cat <<SQL
WITH p AS (SELECT customer, item, sum(w)::float8 AS w FROM ($rows) r(customer, item, w) GROUP BY 1, 2),
n AS (SELECT customer, sqrt(sum(w * w)) AS nrm FROM p GROUP BY 1),
pairs AS (SELECT a.customer AS ca, b.customer AS cb, sum(a.w * b.w) AS dot
          FROM p a JOIN p b ON a.item = b.item AND a.customer <> b.customer WHERE $filter GROUP BY 1, 2),
s AS (SELECT ca, cb, dot / (na.nrm * nb.nrm) AS sim FROM pairs JOIN n na ON na.customer = ca JOIN n nb ON nb.customer = cb)
SELECT count(*), sum(sim) FROM (SELECT sim, row_number() OVER (PARTITION BY ca ORDER BY sim DESC, cb) AS rk FROM s) x WHERE rk <= 10
SQL
}

# ---------- 1. Online Retail ----------
data="$BENCH_ROOT/../shared/datasets/online_retail/online_retail.derived.csv.gz"
if [ -f "$data" ]; then
	bench_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_or_lines, bench_or;
CREATE TABLE bench_or_lines (invoice text, stockcode text, description text, quantity int,
                             invoicedate timestamp, unitprice numeric, customer bigint, country text);
\copy bench_or_lines FROM PROGRAM 'gzip -dc "$data"' WITH (FORMAT csv, HEADER)
CREATE TABLE bench_or AS SELECT customer, stockcode AS item, quantity FROM bench_or_lines
WHERE customer IS NOT NULL AND quantity > 0;
DROP TABLE bench_or_lines;
ANALYZE bench_or;
SQL
	echo "Online Retail: $(bench_psql -At -c "SELECT count(DISTINCT customer) || ' customers, ' || count(DISTINCT item) || ' stock codes, ' || count(*) || ' lines' FROM bench_or")"
	q="SELECT customer, item, quantity FROM bench_or"
	ours=$(bench_ms "SELECT count(*), sum(similarity) FROM crm.nearest_neighbors('$q', 10)")
	echo "  ours: $(bench_psql -At -c "SELECT count(*) || ' rows, sum of similarities ' || round(sum(similarity)::numeric, 6) FROM crm.nearest_neighbors('$q', 10)")"
	if [ $have_scipy = 1 ]; then
		scipy_run "$q" cosine
		echo "  scipy: $scipy_rows rows, sum of similarities $scipy_sum"
		bench_line "nearest_neighbors k=10 cosine, Online Retail" "$ours" "$scipy_best" "baseline: scipy A A^T + top k"
	fi
	base=$(BENCH_RUNS=1 bench_ms "$(sql_baseline "$q" true)")
	echo "  plain SQL: $(bench_psql -At -c "$(sql_baseline "$q" true)" | tr '|' ' ') (rows, sum of similarities)"
	bench_line "nearest_neighbors k=10 cosine, Online Retail" "$ours" "$base" "baseline: SQL self-join + window top k"
	bench_psql -c "DROP TABLE bench_or"
else
	echo "Online Retail: ../shared/datasets absent, skipped"
fi

# ---------- 2. generated 100k customers x 10k items, 2M lines ----------
lines=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 2000000 * s}')
customers=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 100000 * s}')
bench_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_lines;
-- items skewed like real catalogues: item = 10000 * u^1.5 (item 0 is in about 4,000 baskets)
CREATE TABLE bench_lines AS
SELECT (abs(hashint8(g)) % $customers)::int AS customer_id,
       floor(10000 * power((abs(hashint8(g * 7 + 1)) % 1000000) / 1e6::float8, 1.5))::int AS product_id,
       (1 + abs(hashint8(g * 13 + 5)) % 4)::int AS quantity
FROM generate_series(1, $lines) g;
ANALYZE bench_lines;
SQL
echo "generated: $(bench_psql -At -c "SELECT count(DISTINCT customer_id) || ' customers, ' || count(DISTINCT product_id) || ' items, ' || count(*) || ' lines' FROM bench_lines")"
q="SELECT customer_id, product_id, quantity FROM bench_lines"
for m in cosine jaccard; do
	ours=$(bench_ms "SELECT count(*), sum(similarity) FROM crm.nearest_neighbors('$q', 10, '$m')")
	echo "  ours $m: $(bench_psql -At -c "SELECT count(*) || ' rows, sum of similarities ' || round(sum(similarity)::numeric, 6) FROM crm.nearest_neighbors('$q', 10, '$m')")"
	if [ $have_scipy = 1 ]; then
		BENCH_RUNS=1 scipy_run "$q" $m
		echo "  scipy $m: $scipy_rows rows, sum of similarities $scipy_sum"
		bench_line "nearest_neighbors k=10 $m, $lines lines" "$ours" "$scipy_best" "baseline: scipy A A^T + top k"
	fi
	if [ $m = cosine ]; then
		sample=$(BENCH_RUNS=1 bench_ms "$(sql_baseline "$q" "a.customer % 100 = 0")")
		base=$(awk -v s="$sample" 'BEGIN {printf "%.1f", s * 100}')
		bench_line "nearest_neighbors k=10 cosine, $lines lines" "$ours" "$base" "baseline: SQL self-join on 1% of customers x 100"
	fi
done
bench_psql -c "DROP TABLE bench_lines"

# ---------- 3. 1M stored profiles: one customer's top 10 ----------
nprof=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 1000000 * s}')
start=$(date +%s)
bench_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_profiles, bench_postings, bench_postings_jac;
-- 20 purchases per customer over 10k items, skewed as above
CREATE TABLE bench_profiles AS
SELECT c AS customer_id,
       crm.purchase_profile(floor(10000 * power((abs(hashint8(c * 31 + j)) % 1000000) / 1e6::float8, 1.5))::int,
                            1 + abs(hashint8(c * 17 + j)) % 4) AS p
FROM generate_series(1, $nprof) c, generate_series(1, 20) j GROUP BY c;
ALTER TABLE bench_profiles ADD PRIMARY KEY (customer_id);
CREATE INDEX bench_profiles_items ON bench_profiles USING gin (crm.profile_items(p));
-- the posting lists: item -> (customer -> unit weight), B-tree on item
CREATE TABLE bench_postings AS
SELECT e.item, crm.purchase_profile(s.customer_id, e.w) AS postings
FROM bench_profiles s, unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w)
GROUP BY e.item;
ALTER TABLE bench_postings ADD PRIMARY KEY (item);
-- for Jaccard: item -> (customer -> that customer's number of items)
CREATE TABLE bench_postings_jac AS
SELECT e.item, crm.purchase_profile(s.customer_id, crm.profile_size(s.p)) AS postings
FROM bench_profiles s, unnest(crm.profile_items(s.p)) AS e(item)
GROUP BY e.item;
ALTER TABLE bench_postings_jac ADD PRIMARY KEY (item);
VACUUM ANALYZE bench_postings_jac;
VACUUM ANALYZE bench_profiles;
VACUUM ANALYZE bench_postings;
SQL
echo "stored: $nprof profiles, $(bench_psql -At -c "SELECT pg_size_pretty(pg_total_relation_size('bench_profiles')) || ' with the GIN index, posting lists ' || pg_size_pretty(pg_total_relation_size('bench_postings'))"), built in $(( $(date +%s) - start )) s"

# lookup_stats NAME PREPARE_SQL: median and worst ms of 20 customers (after one warm-up)
lookup_stats() {
	local sql=$1 ids
	ids=$(awk -v n="$nprof" 'BEGIN {for (i = 1; i <= 20; i++) printf "%d ", 1 + (i * 48271) % n}')
	{
		echo "$sql"
		echo "EXECUTE lookup(1);"
		echo '\timing on'
		for id in $ids; do echo "EXECUTE lookup($id);"; done
	} | bench_psql -o /dev/null 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n |
		awk '{t[NR] = $1} END {printf "%.1f %.1f", (t[10] + t[11]) / 2, t[NR]}'
}
fast=$(lookup_stats "PREPARE lookup(int) AS
WITH t AS MATERIALIZED (SELECT p FROM bench_profiles WHERE customer_id = \$1),
cand AS (SELECT unnest(crm.profile_candidates(t.p, x.item, x.postings, 10 + 1)) AS customer_id
         FROM t, bench_postings x WHERE x.item = ANY (crm.profile_items(t.p)))
SELECT s.customer_id, crm.profile_cosine(s.p, t.p) AS similarity
FROM cand JOIN bench_profiles s USING (customer_id), t
WHERE s.customer_id <> \$1 ORDER BY similarity DESC, s.customer_id LIMIT 10;")
gin=$(lookup_stats "PREPARE lookup(int) AS
SELECT s.customer_id, crm.profile_cosine(s.p, t.p) AS similarity
FROM bench_profiles s, (SELECT p FROM bench_profiles WHERE customer_id = \$1 OFFSET 0) t
WHERE crm.profile_items(s.p) && crm.profile_items(t.p) AND s.customer_id <> \$1
ORDER BY similarity DESC, s.customer_id LIMIT 10;")
full=$(BENCH_RUNS=1 bench_ms "SET max_parallel_workers_per_gather = 0;
SELECT s.customer_id, crm.profile_cosine(s.p, t.p) AS similarity
FROM bench_profiles s, (SELECT p FROM bench_profiles WHERE customer_id = 48272 OFFSET 0) t
WHERE s.customer_id <> 48272 ORDER BY similarity DESC, s.customer_id LIMIT 10")
fastj=$(lookup_stats "PREPARE lookup(int) AS
WITH t AS MATERIALIZED (SELECT p FROM bench_profiles WHERE customer_id = \$1),
cand AS (SELECT unnest(crm.profile_candidates_jaccard(t.p, x.item, x.postings, 10 + 1)) AS customer_id
         FROM t, bench_postings_jac x WHERE x.item = ANY (crm.profile_items(t.p)))
SELECT s.customer_id, crm.profile_jaccard(s.p, t.p) AS similarity
FROM cand JOIN bench_profiles s USING (customer_id), t
WHERE s.customer_id <> \$1 ORDER BY similarity DESC, s.customer_id LIMIT 10;")
ginj=$(lookup_stats "PREPARE lookup(int) AS
SELECT s.customer_id, crm.profile_jaccard(s.p, t.p) AS similarity
FROM bench_profiles s, (SELECT p FROM bench_profiles WHERE customer_id = \$1 OFFSET 0) t
WHERE crm.profile_items(s.p) && crm.profile_items(t.p) AND s.customer_id <> \$1
ORDER BY similarity DESC, s.customer_id LIMIT 10;")
read -r fastj_med fastj_max <<<"$fastj"
read -r ginj_med ginj_max <<<"$ginj"
read -r fast_med fast_max <<<"$fast"
read -r gin_med gin_max <<<"$gin"
echo "  posting lists: median $fast_med ms, worst $fast_max ms of 20 customers;  GIN &&: median $gin_med ms, worst $gin_max ms;  full scan: $full ms"
bench_line "top 10 of $nprof stored profiles (median)" "$fast_med" "$gin_med" "baseline: GIN && candidates (exact too)"
bench_line "top 10 of $nprof profiles (worst of 20)" "$fast_max" "$full" "baseline: full scan"
echo "  jaccard: posting lists: median $fastj_med ms, worst $fastj_max ms;  GIN &&: median $ginj_med ms, worst $ginj_max ms"
bench_line "jaccard top 10 of $nprof profiles (median)" "$fastj_med" "$ginj_med" "baseline: GIN && candidates (exact too)"
bench_psql -c "DROP TABLE bench_profiles, bench_postings, bench_postings_jac"
