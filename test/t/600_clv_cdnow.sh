#!/usr/bin/env bash
# crm.clv_summary on the real CDNOW sample of Fader, Hardie & Lee (2005):
# the 6,919 transactions of CDNOW_sample.txt summarised as of 1997-09-30 in
# weeks must reproduce lifetimes' cdnow_customers_summary.csv (x, t_x, T) and
# cdnow_customers_summary_with_transactions.csv (zbar) for all 2,357
# customers, to the files' two decimals; the BG/NBD, Pareto/NBD and
# Gamma-Gamma fits on our own summary must give the published parameters.
# Reads ../shared/datasets when present; skipped otherwise.
set -euo pipefail
dir="$CRM_ROOT/../shared/datasets/cdnow"
[ -f "$dir/CDNOW_sample.txt" ] || { echo "no ../shared/datasets/cdnow here"; exit 77; }
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

q <<SQL
CREATE TABLE raw (line text);
\copy raw FROM PROGRAM 'sed "s/\r\$//" "$dir/CDNOW_sample.txt"'
CREATE TABLE tx AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS d, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(btrim(line), '\s+') AS f FROM raw) s;
CREATE TABLE published (id int, frequency int, recency numeric, t numeric);
\copy published FROM '$dir/cdnow_customers_summary.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE published_m (id int, x int, t_x numeric, t numeric, zbar numeric);
\copy published_m FROM '$dir/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)
SET TimeZone = 'UTC';
CREATE TABLE ours AS
SELECT id, (s).* FROM (SELECT id, crm.clv_summary(d, amount, '1997-09-30', '1 week') AS s FROM tx GROUP BY id) x;
SQL
n_tx=$(q -At -c "SELECT count(*) FROM tx")
n_pub=$(q -At -c "SELECT count(*) FROM published")
echo "transactions: $n_tx  published customers: $n_pub"
[ "$n_tx" = 6919 ] && [ "$n_pub" = 2357 ] || { echo "unexpected data size"; exit 1; }

fail=0
res=$(q -At -F ' ' <<'SQL'
SELECT count(*),
       count(*) FILTER (WHERE o.frequency = p.frequency AND round(o.recency::numeric, 2) = p.recency
                        AND round(o.t::numeric, 2) = p.t
                        AND round(o.monetary_value::numeric, 2) = m.zbar)
FROM published p JOIN published_m m USING (id) FULL JOIN ours o USING (id);
SQL
)
echo "customers compared / identical (frequency, recency, T, monetary value): $res"
[ "$res" = "2357 2357" ] || {
	fail=1
	q -c "SELECT * FROM published p JOIN published_m m USING (id) FULL JOIN ours o USING (id)
	      WHERE o.frequency IS DISTINCT FROM p.frequency OR round(o.recency::numeric, 2) IS DISTINCT FROM p.recency
	         OR round(o.t::numeric, 2) IS DISTINCT FROM p.t OR round(o.monetary_value::numeric, 2) IS DISTINCT FROM m.zbar LIMIT 10"
}

# the published fits, from our own summary
fits=$(q -At -F ' ' <<'SQL'
SELECT round((b).r::numeric, 3), round((b).alpha::numeric, 3), round((b).a::numeric, 3), round((b).b::numeric, 3),
       round((b).log_likelihood::numeric, 1),
       round((p).r::numeric, 3), round((p).alpha::numeric, 3), round((p).s::numeric, 3), round((p).beta::numeric, 2),
       round((g).p::numeric, 2), round((g).q::numeric, 2), round((g).v::numeric, 1)
FROM (SELECT crm.bgnbd_fit(frequency, recency, t) AS b, crm.paretonbd_fit(frequency, recency, t) AS p,
             crm.gammagamma_fit(frequency, monetary_value) AS g FROM ours) x;
SQL
)
echo "BG/NBD r alpha a b LL | Pareto/NBD r alpha s beta | Gamma-Gamma p q v:"
echo "  ours:      $fits"
expect="0.243 4.414 0.793 2.426 -9582.4 0.553 10.578 0.606 11.67 6.25 3.74 15.4"
echo "  published: $expect"
[ "$fits" = "$expect" ] || { echo "fits differ from the published values"; fail=1; }
exit $fail
