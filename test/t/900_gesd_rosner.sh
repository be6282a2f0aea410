#!/usr/bin/env bash
# Rosner's generalized ESD on the NIST/SEMATECH e-Handbook example (1.3.5.17.3,
# ../shared/datasets/series/rosner_nist_54.csv): 10 steps, alpha 0.05, exactly
# 3 outliers (6.01, 5.42, 5.34) although R_1 and R_2 are below their critical
# values (masking), and NIST's table R_i, lambda_i (3 decimals, truncated).
# Then a brute-force check: every R_i recomputed from scratch (mean and sample
# sd of the points left, removing the farthest one) and every lambda_i from
# scipy's t quantile, to 1e-9, on the NIST data and on a larger random sample.
set -euo pipefail
data=${CRM_ROOT}/../shared/datasets/series/rosner_nist_54.csv
[ -f "$data" ] || { echo "../shared/datasets is absent"; exit 77; }
py=/usr/bin/python3
$py -c 'import scipy' 2>/dev/null || { echo "python3-scipy is not installed"; exit 1; }
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

q -c "CREATE TABLE rosner (idx int, value float8)"
q -c "\\copy rosner FROM '$data' CSV HEADER"
q -c "CREATE TABLE rnd AS SELECT i, (sin(i * 12.9898) * 43758.5453 - floor(sin(i * 12.9898) * 43758.5453)) * 10
		  + CASE WHEN i % 97 = 0 THEN 15 + i % 7 ELSE 0 END AS v FROM generate_series(1, 2000) i"
q -F, -c "SELECT step, key, value, r, lambda, is_outlier FROM crm.gesd('SELECT idx, value FROM rosner', 10, 0.05)" >"$TEST_TMPDIR/nist.csv"
q -F, -c "SELECT step, key, value, r, lambda, is_outlier FROM crm.gesd('SELECT i, v FROM rnd', 60, 0.01)" >"$TEST_TMPDIR/rnd.csv"
q -F, -c "SELECT idx, value FROM rosner" >"$TEST_TMPDIR/nist_in.csv"
q -F, -c "SELECT i, v FROM rnd" >"$TEST_TMPDIR/rnd_in.csv"
cat "$TEST_TMPDIR/nist.csv"

$py - "$TEST_TMPDIR" <<'PY'
import sys, math
from scipy.stats import t as tdist
d = sys.argv[1]
def load(name):
    return [line.strip().split(',') for line in open(f"{d}/{name}") if line.strip()]
fail = []
# NIST's published table, truncated to 3 decimals
nist = load("nist.csv")
pub_r = [3.118, 2.942, 3.179, 2.810, 2.815, 2.848, 2.279, 2.310, 2.101, 2.067]
pub_l = [3.158, 3.151, 3.143, 3.136, 3.128, 3.120, 3.111, 3.103, 3.094, 3.085]
for row, r, l in zip(nist, pub_r, pub_l):
    if math.floor(float(row[3]) * 1000) / 1000 != r or math.floor(float(row[4]) * 1000) / 1000 != l:
        fail.append(f"NIST step {row[0]}: R {row[3]} lambda {row[4]}, published {r} {l}")
outliers = [float(row[2]) for row in nist if row[5] == 't']
print("NIST outliers:", outliers)
if outliers != [6.01, 5.42, 5.34]:
    fail.append("NIST: the outliers are not 6.01, 5.42, 5.34")
if not (float(nist[0][3]) < float(nist[0][4]) and float(nist[1][3]) < float(nist[1][4])):
    fail.append("NIST: steps 1 and 2 should be masked")

def brute(vals, steps, alpha):
    """Rosner's procedure from scratch: removal order, R_i and lambda_i."""
    left = list(vals)
    n = len(vals)
    out = []
    for i in range(1, steps + 1):
        m = sum(x for _, x in left) / len(left)
        s = math.sqrt(sum((x - m) ** 2 for _, x in left) / (len(left) - 1))
        k = max(range(len(left)), key=lambda j: (abs(left[j][1] - m), -j))
        key, x = left.pop(k)
        r = abs(x - m) / s
        p = alpha / (2 * (n - i + 1))
        t = tdist.isf(p, n - i - 1)
        lam = (n - i) * t / math.sqrt((n - i - 1 + t * t) * (n - i + 1))
        out.append((key, r, lam))
    return out

for name, inp, steps, alpha in (("nist", "nist_in.csv", 10, 0.05), ("rnd", "rnd_in.csv", 60, 0.01)):
    ours = load(f"{name}.csv")
    vals = [(k, float(v)) for k, v in load(inp)]
    ref = brute(vals, steps, alpha)
    worst_r = worst_l = 0.0
    for o, (key, r, lam) in zip(ours, ref):
        if o[1] != key:
            fail.append(f"{name} step {o[0]}: removed {o[1]}, brute force removes {key}")
        worst_r = max(worst_r, abs(float(o[3]) - r) / r)
        worst_l = max(worst_l, abs(float(o[4]) - lam) / lam)
    count = max([int(o[0]) for o in ours if float(o[3]) > float(o[4])], default=0)
    flagged = sum(1 for o in ours if o[5] == 't')
    print(f"{name}: {len(ours)} steps, largest relative difference R {worst_r:.1e}, lambda {worst_l:.1e}; {flagged} outliers")
    if len(ours) != steps or worst_r > 1e-9 or worst_l > 1e-9 or flagged != count:
        fail.append(f"{name}: R_i or lambda_i differ from the brute force")
if fail:
    sys.exit("FAIL: " + "; ".join(fail))
PY
echo ok
