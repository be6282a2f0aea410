#!/usr/bin/env bash
# Revenue concentration of CDNOW's 23,570 customers (../shared/datasets/cdnow,
# CDNOW_master.txt: revenue per customer over 1997-01..1998-06) against an
# independent computation in Python (sorted cumulative sums, exact fractions
# for the class boundaries): Gini (biased and unbiased), top 20 % and top 1 %
# shares, ABC classes (a = 0.8, b = 0.95: a key is A while the cumulative share
# before it is below 0.8) and the Lorenz curve at every percent.
set -euo pipefail
data=${CRM_ROOT}/../shared/datasets/cdnow/CDNOW_master.txt
[ -f "$data" ] || { echo "../shared/datasets is absent"; exit 77; }
py=/usr/bin/python3
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# the file: header line, then whitespace-separated id, YYYYMMDD, CDs, dollars (CRLF)
tail -n +2 "$data" | tr -d '\r' | awk '{print $1 "," $2 "," $3 "," $4}' >"$TEST_TMPDIR/cdnow.csv"
q -c "CREATE TABLE cdnow (customer text, day text, cds int, amount numeric)" \
  -c "\\copy cdnow FROM '$TEST_TMPDIR/cdnow.csv' CSV"
q -c "CREATE TABLE revenue AS SELECT customer, sum(amount)::float8 AS revenue FROM cdnow GROUP BY customer"
q -F, -c "SELECT count(*), crm.gini(revenue), crm.gini(revenue, true), crm.top_share(revenue, 0.2), crm.top_share(revenue, 0.01)
		  FROM revenue" >"$TEST_TMPDIR/agg.csv"
q -F, -c "SELECT key, value, class, rank FROM crm.abc_classes('SELECT customer, amount FROM cdnow')" >"$TEST_TMPDIR/abc.csv"
q -F, -c "SELECT point, value_share FROM crm.lorenz_curve('SELECT customer, amount FROM cdnow')" >"$TEST_TMPDIR/lorenz.csv"
cat "$TEST_TMPDIR/agg.csv"

$py - "$TEST_TMPDIR" <<'PY'
import sys, math
from decimal import Decimal
from fractions import Fraction
d = sys.argv[1]
rev = {}
for line in open(f"{d}/cdnow.csv"):
    c, _, _, a = line.strip().split(",")
    rev[c] = rev.get(c, Decimal(0)) + Decimal(a)
vals = sorted(Fraction(v) for v in rev.values())
n, total = len(vals), sum(vals)
gini = (2 * sum((i + 1) * v for i, v in enumerate(vals)) / total - (n + 1)) / n
gini_u = gini * n / (n - 1)
top = lambda f: sum(vals[n - math.ceil(f * n):]) / total
agg = open(f"{d}/agg.csv").read().strip().split(",")
fail = []
ref = [n, float(gini), float(gini_u), float(top(0.2)), float(top(0.01))]
print(f"python: {n} customers, Gini {ref[1]:.10f} (unbiased {ref[2]:.10f}), top 20 % {ref[3]:.10f}, top 1 % {ref[4]:.10f}")
if int(agg[0]) != n or any(abs(float(a) - r) > 1e-9 for a, r in zip(agg[1:], ref[1:])):
    fail.append("aggregates differ")
# ABC: value descending, ties by key; class from the exact cumulative share before
order = sorted(rev.items(), key=lambda kv: (-kv[1], kv[0].encode()))
cum, expect = Fraction(0), []
for rank, (k, v) in enumerate(order, 1):
    before = cum / total
    expect.append((k, "A" if before < Fraction(8, 10) else "B" if before < Fraction(95, 100) else "C", rank))
    cum += Fraction(v)
ours = [l.strip().split(",") for l in open(f"{d}/abc.csv") if l.strip()]
mism = sum(1 for o, e in zip(ours, expect) if (o[0], o[2], int(o[3])) != e)
counts = {c: sum(1 for e in expect if e[1] == c) for c in "ABC"}
print(f"ABC classes: {counts}; {mism} keys differ from Python")
if len(ours) != len(expect) or mism:
    fail.append("ABC classes differ")
# Lorenz: linear between (i/n, sum of the i smallest / total)
cums = [Fraction(0)]
for v in vals:
    cums.append(cums[-1] + v)
worst = 0.0
for l in open(f"{d}/lorenz.csv"):
    k, share = l.strip().split(",")
    t = Fraction(int(k), 100) * n
    j = math.floor(t)
    L = Fraction(1) if j >= n else (cums[j] + (t - j) * vals[j]) / total
    worst = max(worst, abs(float(share) - float(L)))
print(f"Lorenz curve: 101 points, largest difference {worst:.1e}")
if worst > 1e-9:
    fail.append("Lorenz curve differs")
if fail:
    sys.exit("FAIL: " + "; ".join(fail))
PY
echo ok
