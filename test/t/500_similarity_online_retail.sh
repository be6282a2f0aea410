#!/usr/bin/env bash
# crm.nearest_neighbors on the real UCI Online Retail data (541,909 invoice
# lines, 2010-2011): customers x stock codes, weight = quantity bought.  Rows
# without a CustomerID are dropped, and so are returns and cancellations
# (Quantity <= 0, the "C" invoices); repeated (customer, stock code) lines add
# their quantities.  For a deterministic sample of customers (CustomerID
# divisible by 10) the k = 10 neighbours by cosine and by Jaccard must have
# the same similarity at every rank as an independent brute-force computation
# in plain SQL (self-join on stock codes over all customers), and each
# neighbour returned must have exactly the similarity the reference gives
# that pair.  Reads ../shared/datasets when present; skipped otherwise.
set -euo pipefail
data="$CRM_ROOT/../shared/datasets/online_retail/online_retail.derived.csv.gz"
[ -f "$data" ] || { echo "no ../shared/datasets/online_retail here"; exit 77; }
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

q <<SQL
CREATE TABLE lines (invoice text, stockcode text, description text, quantity int,
                    invoicedate timestamp, unitprice numeric, customer bigint, country text);
\copy lines FROM PROGRAM 'gzip -dc "$data"' WITH (FORMAT csv, HEADER)
CREATE TABLE bought AS
SELECT customer::text AS customer, stockcode AS item, quantity
FROM lines WHERE customer IS NOT NULL AND quantity > 0;
CREATE TABLE p AS SELECT customer, item, sum(quantity)::float8 AS w FROM bought GROUP BY 1, 2;
CREATE INDEX ON p (item);
ANALYZE p;
SQL
echo "lines: $(q -At -c 'SELECT count(*) FROM lines')  kept: $(q -At -c 'SELECT count(*) FROM bought')" \
	"customers: $(q -At -c 'SELECT count(DISTINCT customer) FROM p')  stock codes: $(q -At -c 'SELECT count(DISTINCT item) FROM p')" \
	"distinct pairs: $(q -At -c 'SELECT count(*) FROM p')"
[ "$(q -At -c 'SELECT count(*) FROM lines')" = 541909 ] || { echo "unexpected line count"; exit 1; }

start=$(date +%s%N)
q -c "CREATE TABLE ours_cos AS SELECT * FROM crm.nearest_neighbors('SELECT customer, item, quantity FROM bought', 10, 'cosine')"
q -c "CREATE TABLE ours_jac AS SELECT * FROM crm.nearest_neighbors('SELECT customer, item, quantity FROM bought', 10, 'jaccard')"
echo "crm.nearest_neighbors, cosine and jaccard, all customers: $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo "rows: cosine $(q -At -c 'SELECT count(*) FROM ours_cos'), jaccard $(q -At -c 'SELECT count(*) FROM ours_jac')"

# brute force: every pair (sample customer, any customer) sharing a stock code
start=$(date +%s%N)
q <<SQL
CREATE TABLE nrm AS SELECT customer, sqrt(sum(w * w)) AS nrm, count(*) AS sz FROM p GROUP BY customer;
CREATE TABLE ref AS
WITH pairs AS (SELECT a.customer AS ca, b.customer AS cb, sum(a.w * b.w) AS dot, count(*) AS inter
               FROM p a JOIN p b ON a.item = b.item AND a.customer <> b.customer
               WHERE a.customer::bigint % 10 = 0 GROUP BY 1, 2)
SELECT ca, cb, dot / (na.nrm * nb.nrm) AS cosine, inter::float8 / (na.sz + nb.sz - inter) AS jaccard
FROM pairs JOIN nrm na ON na.customer = ca JOIN nrm nb ON nb.customer = cb;
SQL
echo "brute-force reference (SQL self-join): $(q -At -c 'SELECT count(DISTINCT ca) FROM ref') sample customers," \
	"$(q -At -c 'SELECT count(*) FROM ref') pairs, $(( ($(date +%s%N) - start) / 1000000 )) ms"

fail=0
for m in cosine jaccard; do
	t=ours_${m:0:3}
	read -r rows_ours rows_ref value_mm wrong_nb < <(q -At -F ' ' <<SQL
WITH ours AS (SELECT * FROM $t WHERE customer::bigint % 10 = 0),
ranked AS (SELECT ca, cb, $m AS sim, row_number() OVER (PARTITION BY ca ORDER BY $m DESC, cb COLLATE "C") AS rk FROM ref),
top AS (SELECT * FROM ranked WHERE rk <= 10)
SELECT (SELECT count(*) FROM ours), (SELECT count(*) FROM top),
       (SELECT count(*) FROM ours o FULL JOIN top r ON r.ca = o.customer AND r.rk = o.rank
        WHERE o.similarity IS NULL OR r.sim IS NULL OR abs(o.similarity - r.sim) > 1e-9),
       (SELECT count(*) FROM ours o LEFT JOIN ranked r ON r.ca = o.customer AND r.cb = o.neighbor
        WHERE r.sim IS NULL OR abs(o.similarity - r.sim) > 1e-9);
SQL
)
	echo "$m: sample rows ours $rows_ours, reference $rows_ref; rank-by-rank value mismatches $value_mm; neighbours with a wrong similarity $wrong_nb"
	[ "$rows_ours" = "$rows_ref" ] && [ "$rows_ours" -gt 0 ] && [ "$value_mm" = 0 ] && [ "$wrong_nb" = 0 ] || fail=1
done

echo "first customer's neighbours (cosine):"
q -c "SELECT customer, neighbor, round(similarity::numeric, 6) AS similarity, rank FROM ours_cos WHERE customer = (SELECT min(customer) FROM ours_cos) ORDER BY rank"
exit $fail
