#!/usr/bin/env bash
# CLV benchmark: 1M customers following an exact BG/NBD process (about 10M
# orders at scale 1; test/t/clv_bgnbd_sim.sql), summarised and fitted.
#   crm.clv_summary GROUP BY customer  vs  the same summary in plain SQL
#   crm.bgnbd_fit on the 1M summaries  vs  scipy on the same summaries,
#     exported from the database (only the minimize call is timed):
#     1. lifetimes' way: BetaGeoFitter.fit calls scipy.optimize.minimize on
#        its negative log-likelihood (time scaled so that max T = 10, start
#        0.1 in log-parameters, tol 1e-7, one row per customer) with the
#        gradient from autograd; autograd is not in Debian, so scipy takes
#        the gradient by finite differences, as minimize does without jac;
#     2. a stronger reference than lifetimes: the same with the gradient
#        written out in numpy (one pass per evaluation);
#     3. the same as 2 on the distinct patterns with weights (lifetimes'
#        weights argument), which is what crm.bgnbd_fit does internally.
# Needs Debian's /usr/bin/python3 with python3-numpy and python3-scipy for
# the baselines (they are skipped otherwise).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

customers=$(awk -v s="$BENCH_SCALE" 'BEGIN {printf "%d", 1000000 * s}')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clv_bench.XXXXXX")
chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
bench_psql <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS clv_sim CASCADE;
\i $BENCH_ROOT/test/t/clv_bgnbd_sim.sql
DROP TABLE IF EXISTS clv_bench_orders, clv_bench_summary;
-- frequent buyers: 0.28 purchases a week, E[p] = 0.1
CREATE UNLOGGED TABLE clv_bench_orders AS
SELECT * FROM clv_sim.orders($customers, 1.8, 6.5, 0.7, 6.3, 0.5);
VACUUM ANALYZE clv_bench_orders;
SQL
echo "data: $(bench_psql -At -c "SELECT count(*) FROM clv_bench_orders") orders of $customers customers (generated in $(( $(date +%s) - start )) s)"

as_of="'2024-12-31'"
ours=$(bench_ms "SET TimeZone = 'UTC'; SELECT count(*), sum((s).frequency), sum((s).recency), sum((s).monetary_value)
 FROM (SELECT customer, crm.clv_summary(ordered_at, amount, $as_of, '1 week') AS s FROM clv_bench_orders GROUP BY customer) x")
base=$(bench_ms "SET TimeZone = 'UTC'; WITH d AS (
   SELECT customer, ordered_at::date AS day, sum(amount) AS total FROM clv_bench_orders
   WHERE ordered_at::date <= $as_of GROUP BY 1, 2),
 f AS (SELECT customer, day, total, min(day) OVER (PARTITION BY customer) AS first FROM d)
 SELECT count(*), sum(frequency), sum(recency), sum(monetary_value) FROM (
   SELECT customer, count(*) - 1 AS frequency, (max(day) - min(day)) / 7.0 AS recency,
          ($as_of::date - min(day)) / 7.0 AS t, coalesce(avg(total) FILTER (WHERE day > first), 0) AS monetary_value
   FROM f GROUP BY customer) x")
bench_line "clv_summary GROUP BY customer" "$ours" "$base" "baseline: plain SQL (day totals, window, GROUP BY)"

bench_psql <<SQL
SET TimeZone = 'UTC';
CREATE UNLOGGED TABLE clv_bench_summary AS
SELECT customer, (s).* FROM (SELECT customer, crm.clv_summary(ordered_at, amount, $as_of, '1 week') AS s
                             FROM clv_bench_orders GROUP BY customer) x;
VACUUM ANALYZE clv_bench_summary;
SQL
echo "summaries: $(bench_psql -At -c "SELECT count(*) || ' customers, ' || count(DISTINCT (frequency, recency, t)) || ' distinct (frequency, recency, T) patterns' FROM clv_bench_summary")"

ours=$(bench_ms "SELECT crm.bgnbd_fit(frequency, recency, t) FROM clv_bench_summary")
fit=$(bench_psql -At -F ' ' -c "SELECT round((m).r::numeric, 4), round((m).alpha::numeric, 4), round((m).a::numeric, 4),
       round((m).b::numeric, 4), round((m).log_likelihood::numeric, 1), (m).iterations, (m).converged
FROM (SELECT crm.bgnbd_fit(frequency, recency, t) AS m FROM clv_bench_summary) x")
echo "ours:  r alpha a b LL iterations converged = $fit   (planted 1.8 6.5 0.7 6.3)"

py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c "import numpy, scipy" 2>/dev/null; then
	bench_psql -c "\copy (SELECT frequency, recency, t FROM clv_bench_summary) TO '$tmp/summary.csv' WITH (FORMAT csv)"
	cat >"$tmp/fit.py" <<'PY'
import sys, time
import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, digamma

data = np.loadtxt(sys.argv[1], delimiter=",")
runs = int(sys.argv[2])
mode = sys.argv[3]              # lifetimes | analytic | grouped
grouped = mode == "grouped"
freq, rec, T = data[:, 0], data[:, 1], data[:, 2]
weights = np.ones_like(freq)
if grouped:
    pats, counts = np.unique(data, axis=0, return_counts=True)
    freq, rec, T, weights = pats[:, 0], pats[:, 1], pats[:, 2], counts.astype(float)

def nll_and_grad(log_params, freq, rec, T, weights):
    # lifetimes' BetaGeoFitter._negative_log_likelihood, with the gradient
    # autograd would compute (written out: autograd is not in Debian)
    r, alpha, a, b = np.exp(log_params)
    A_1 = gammaln(r + freq) - gammaln(r) + r * np.log(alpha)
    A_2 = gammaln(a + b) + gammaln(b + freq) - gammaln(b) - gammaln(a + b + freq)
    A_3 = -(r + freq) * np.log(alpha + T)
    A_4 = np.log(a) - np.log(b + np.maximum(freq, 1) - 1) - (r + freq) * np.log(rec + alpha)
    pos = freq > 0
    m = np.where(pos, np.maximum(A_3, A_4), A_3)
    e3 = np.exp(A_3 - m)
    e4 = np.where(pos, np.exp(A_4 - m), 0.0)
    s = e3 + e4
    ll = weights * (A_1 + A_2 + np.log(s) + m)
    w3, w4 = e3 / s, e4 / s
    W = weights.sum()
    d_r = digamma(r + freq) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(rec + alpha)
    d_alpha = r / alpha - (r + freq) * (w3 / (alpha + T) + w4 / (rec + alpha))
    d_a = digamma(a + b) - digamma(a + b + freq) + w4 / a
    d_b = digamma(a + b) + digamma(b + freq) - digamma(b) - digamma(a + b + freq) - w4 / (b + np.maximum(freq, 1) - 1)
    g = np.array([(weights * d).sum() for d in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    return -ll.sum() / W, -g / W

def nll(log_params, freq, rec, T, weights):
    # lifetimes' BetaGeoFitter._negative_log_likelihood (penalizer 0)
    r, alpha, a, b = np.exp(log_params)
    A_1 = gammaln(r + freq) - gammaln(r) + r * np.log(alpha)
    A_2 = gammaln(a + b) + gammaln(b + freq) - gammaln(b) - gammaln(a + b + freq)
    A_3 = -(r + freq) * np.log(alpha + T)
    A_4 = np.log(a) - np.log(b + np.maximum(freq, 1) - 1) - (r + freq) * np.log(rec + alpha)
    ll = weights * (A_1 + A_2 + np.log(np.exp(A_3) + np.exp(A_4) * (freq > 0)))
    return -ll.sum() / weights.sum()

scale = 10.0 / T.max()
best = None
for _ in range(runs):
    t0 = time.perf_counter()
    if mode == "lifetimes":
        res = minimize(nll, 0.1 * np.ones(4), method=None, tol=1e-7,
                       args=(freq, rec * scale, T * scale, weights))
    else:
        res = minimize(nll_and_grad, 0.1 * np.ones(4), jac=True, method=None, tol=1e-7,
                       args=(freq, rec * scale, T * scale, weights))
    ms = (time.perf_counter() - t0) * 1000
    best = ms if best is None else min(best, ms)
r, alpha, a, b = np.exp(res.x)
print("%.1f %.4f %.4f %.4f %.4f %d %s %d" % (best, r, alpha / scale, a, b, res.nit, res.success, len(freq)))
PY
	pyruns=$(( BENCH_RUNS < 2 ? BENCH_RUNS : 2 ))
	read -r base pr palpha pa pb pit pok pn <<<"$("$py" "$tmp/fit.py" "$tmp/summary.csv" "$pyruns" lifetimes)"
	echo "scipy (lifetimes' way): r alpha a b = $pr $palpha $pa $pb  iterations $pit success $pok ($pn rows)"
	bench_line "bgnbd_fit on the customer summaries" "$ours" "$base" "baseline: scipy minimize on lifetimes' likelihood (one row per customer)"
	echo "speed-up over lifetimes' way: $(awk -v o="$ours" -v b="$base" 'BEGIN {printf "%.1fx", b / o}')"
	read -r base2 pr palpha pa pb pit pok pn <<<"$("$py" "$tmp/fit.py" "$tmp/summary.csv" "$pyruns" analytic)"
	echo "scipy (hand-written gradient): r alpha a b = $pr $palpha $pa $pb  iterations $pit success $pok ($pn rows)"
	bench_line "bgnbd_fit vs scipy with a written-out gradient" "$ours" "$base2" "baseline: scipy BFGS + numpy gradient (one row per customer)"
	read -r base3 pr palpha pa pb pit pok pn <<<"$("$py" "$tmp/fit.py" "$tmp/summary.csv" "$pyruns" grouped)"
	echo "scipy (gradient, weighted patterns): r alpha a b = $pr $palpha $pa $pb  iterations $pit success $pok ($pn patterns)"
	bench_line "bgnbd_fit vs scipy on weighted patterns" "$ours" "$base3" "baseline: as above on distinct patterns with weights (np.unique not timed)"
else
	echo "no /usr/bin/python3 with numpy and scipy (apt-get install python3-scipy): scipy baseline skipped"
fi

# the other fits, once each
ours=$(BENCH_RUNS=1 bench_ms "SELECT crm.paretonbd_fit(frequency, recency, t) FROM clv_bench_summary")
bench_line "paretonbd_fit on the customer summaries" "$ours" 0 "(no baseline)"
ours=$(BENCH_RUNS=1 bench_ms "SELECT crm.gammagamma_fit(frequency, monetary_value) FROM clv_bench_summary")
bench_line "gammagamma_fit on the customer summaries" "$ours" 0 "(no baseline)"
ours=$(BENCH_RUNS=1 bench_ms "SELECT sum(crm.customer_lifetime_value(m, g, frequency, recency, t, monetary_value, 12, 0.01, '1 week'))
 FROM clv_bench_summary, (SELECT crm.bgnbd_fit(frequency, recency, t) AS m, crm.gammagamma_fit(frequency, monetary_value) AS g
                          FROM clv_bench_summary) f")
bench_line "fits + customer_lifetime_value of all" "$ours" 0 "(no baseline)"
bench_psql -c "DROP TABLE clv_bench_orders, clv_bench_summary" -c "DROP SCHEMA clv_sim CASCADE" >/dev/null 2>&1 || true
