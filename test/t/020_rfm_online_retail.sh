#!/usr/bin/env bash
# RFM on the real UCI Online Retail data (541,909 invoice lines, 2010-2011):
# one order per non-cancelled invoice with a customer; crm.rfm_summary per
# customer must equal an independent computation done outside the database
# (Python's csv + decimal, when python3 is there) and plain SQL, for every
# customer; crm.rfm_scores must equal the SQL rank formula.
# Reads ../shared/datasets when present; skipped otherwise.
set -euo pipefail
data="$CRM_ROOT/../shared/datasets/online_retail/online_retail.derived.csv.gz"
[ -f "$data" ] || { echo "no ../shared/datasets/online_retail here"; exit 77; }
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

q <<SQL
CREATE TABLE lines (invoice text, stockcode text, description text, quantity int,
                    invoicedate timestamp, unitprice numeric, customer bigint, country text);
\copy lines FROM PROGRAM 'gzip -dc "$data"' WITH (FORMAT csv, HEADER)
CREATE TABLE orders AS
SELECT invoice, customer, min(invoicedate) AT TIME ZONE 'UTC' AS ordered_at, sum(quantity * unitprice) AS amount
FROM lines WHERE customer IS NOT NULL AND invoice NOT LIKE 'C%'
GROUP BY invoice, customer;
SQL
echo "lines: $(q -At -c 'SELECT count(*) FROM lines')  orders: $(q -At -c 'SELECT count(*) FROM orders')  customers: $(q -At -c 'SELECT count(DISTINCT customer) FROM orders')"
[ "$(q -At -c 'SELECT count(*) FROM lines')" = 541909 ] || { echo "unexpected line count"; exit 1; }

# as of the day after the last invoice, as RFM tutorials on this data do
as_of="2011-12-10 00:00:00+00"
q <<SQL
SET timezone = 'UTC';
CREATE TABLE ours AS
SELECT customer, (s).* FROM (SELECT customer, crm.rfm_summary(ordered_at, amount, '$as_of') AS s
                             FROM orders GROUP BY customer) x;
SQL

fail=0
# 1. plain SQL
diff_sql=$(q -At <<SQL
SET timezone = 'UTC';
WITH ref AS (
  SELECT customer, floor(extract(epoch FROM '$as_of'::timestamptz - max(ordered_at)) / 86400)::int AS recency_days,
         count(*) AS frequency, sum(amount) AS monetary,
         floor(extract(epoch FROM '$as_of'::timestamptz - min(ordered_at)) / 86400)::int AS tenure_days
  FROM orders GROUP BY customer)
SELECT count(*) FROM ref FULL JOIN ours o USING (customer)
WHERE (ref.recency_days, ref.frequency, ref.monetary, ref.tenure_days)
      IS DISTINCT FROM (o.recency_days, o.frequency, o.monetary, o.tenure_days);
SQL
)
echo "customers differing from plain SQL: $diff_sql"
[ "$diff_sql" = 0 ] || fail=1

# 2. outside the database: Python's csv and decimal on the raw file
if command -v python3 >/dev/null 2>&1; then
	python3 - "$data" "$TEST_TMPDIR/ref.tsv" <<'PY'
import csv, gzip, sys
from datetime import datetime
from decimal import Decimal
src, out = sys.argv[1], sys.argv[2]
inv = {}
with gzip.open(src, 'rt', encoding='utf-8', newline='') as f:
    for row in csv.DictReader(f):
        if not row['CustomerID'] or row['InvoiceNo'].startswith('C'):
            continue
        key = (row['InvoiceNo'], row['CustomerID'])
        t = datetime.strptime(row['InvoiceDate'], '%Y-%m-%d %H:%M:%S')
        amt = int(row['Quantity']) * Decimal(row['UnitPrice'])
        if key in inv:
            inv[key][0] = min(inv[key][0], t); inv[key][1] += amt
        else:
            inv[key] = [t, amt]
as_of = datetime(2011, 12, 10)
cust = {}
for (invoice, c), (t, amt) in inv.items():
    s = cust.setdefault(c, [t, t, 0, Decimal(0)])
    s[0] = min(s[0], t); s[1] = max(s[1], t); s[2] += 1; s[3] += amt
with open(out, 'w') as f:
    for c, (first, last, n, m) in cust.items():
        f.write('%d\t%d\t%d\t%s\t%d\n' % (int(c), (as_of - last).days, n, m, (as_of - first).days))
print('python reference: %d customers' % len(cust))
PY
	diff_py=$(q -At <<SQL
CREATE TEMP TABLE pyref (customer bigint, recency_days int, frequency bigint, monetary numeric, tenure_days int);
\copy pyref FROM '$TEST_TMPDIR/ref.tsv'
SELECT count(*) FROM pyref p FULL JOIN ours o USING (customer)
WHERE (p.recency_days, p.frequency, p.monetary, p.tenure_days)
      IS DISTINCT FROM (o.recency_days, o.frequency, o.monetary, o.tenure_days);
SQL
)
	echo "customers differing from the Python reference: $diff_py"
	[ "$diff_py" = 0 ] || fail=1
else
	echo "python3 not found: Python reference skipped"
fi

# 3. the widely quoted figure: 4,339 customers with at least one non-cancelled invoice
n=$(q -At -c "SELECT count(*) FROM ours")
echo "customers with an RFM summary: $n (published: 4339)"
[ "$n" = 4339 ] || fail=1

# 4. scores: equal to 1 + floor(5 * (rank() - 1) / N) over worst-to-best order
diff_scores=$(q -At <<SQL
WITH s AS (SELECT customer::text AS customer, recency_days, frequency, monetary FROM ours),
ref AS (SELECT customer,
        1 + floor(5 * (rank() OVER (ORDER BY recency_days DESC) - 1)::numeric / count(*) OVER ())::int AS r,
        1 + floor(5 * (rank() OVER (ORDER BY frequency) - 1)::numeric / count(*) OVER ())::int AS f,
        1 + floor(5 * (rank() OVER (ORDER BY monetary) - 1)::numeric / count(*) OVER ())::int AS m FROM s)
SELECT count(*) FROM ref FULL JOIN crm.rfm_scores('SELECT customer, ordered_at, amount FROM orders', '$as_of') o USING (customer)
WHERE (ref.r, ref.f, ref.m) IS DISTINCT FROM (o.r_score, o.f_score, o.m_score);
SQL
)
echo "customers whose scores differ from the SQL rank formula: $diff_scores"
[ "$diff_scores" = 0 ] || fail=1
q -c "SELECT segment, count(*) FROM crm.rfm_scores('SELECT customer, ordered_at, amount FROM orders', '$as_of') GROUP BY 1 ORDER BY 2 DESC"
exit $fail
