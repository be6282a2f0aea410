#!/usr/bin/env bash
# Real data: the UCI Online Shoppers Purchasing Intention sessions (Sakar et
# al. 2019; ../shared/datasets/online_shoppers, 12,330 sessions, 1,908 with
# revenue).  Conversion of new versus returning visitors and of weekend versus
# weekday sessions with crm.ab_test, the visitor types (3 variants) and the
# months (10 variants) with crm.chi2_test, and page values with
# crm.welch_ttest and crm.mann_whitney, each checked against scipy and
# statsmodels computing the same thing from the CSV file within 1e-9.
set -euo pipefail
csv=$CRM_ROOT/../shared/datasets/online_shoppers/online_shoppers_intention.csv
if [ ! -r "$csv" ]; then
	echo "../shared/datasets/online_shoppers is absent"
	exit 77
fi
py=/usr/bin/python3
if ! $py -c 'import scipy, statsmodels' 2>/dev/null; then
	echo "python3-scipy or python3-statsmodels is not installed"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
d=$TEST_TMPDIR

q -c "CREATE TABLE sessions (administrative int, administrative_duration float8, informational int,
	informational_duration float8, product_related int, product_related_duration float8,
	bounce_rates float8, exit_rates float8, page_values float8, special_day float8, month text,
	operating_systems int, browser int, region int, traffic_type int, visitor_type text,
	weekend boolean, revenue boolean)"
q -c "\\copy sessions FROM '$csv' CSV HEADER"
n=$(q -c "SELECT count(*) FROM sessions")
[ "$n" = 12330 ] || { echo "expected 12330 sessions, loaded $n"; exit 1; }

q -F, >"$d/ours.csv" <<'SQL'
SELECT 'new_vs_returning', (r).n_control, (r).n_treated, (r).conversions_control, (r).conversions_treated,
       (r).uplift, (r).ci_low, (r).ci_high, (r).z, (r).p_value
FROM (SELECT crm.ab_test(revenue, visitor_type = 'New_Visitor') AS r FROM sessions
      WHERE visitor_type IN ('New_Visitor', 'Returning_Visitor')) a
UNION ALL
SELECT 'weekend_vs_weekday', (r).n_control, (r).n_treated, (r).conversions_control, (r).conversions_treated,
       (r).uplift, (r).ci_low, (r).ci_high, (r).z, (r).p_value
FROM (SELECT crm.ab_test(revenue, weekend) AS r FROM sessions) a;
SQL
q -F, >"$d/chi2.csv" <<'SQL'
SELECT 'visitor_type', (r).variants, (r).chi2, (r).dof, (r).p_value
FROM (SELECT crm.chi2_test(visitor_type, revenue) AS r FROM sessions) a
UNION ALL
SELECT 'new_vs_returning', (r).variants, (r).chi2, (r).dof, (r).p_value
FROM (SELECT crm.chi2_test(visitor_type, revenue) AS r FROM sessions
      WHERE visitor_type IN ('New_Visitor', 'Returning_Visitor')) a
UNION ALL
SELECT 'weekend', (r).variants, (r).chi2, (r).dof, (r).p_value
FROM (SELECT crm.chi2_test(weekend::text, revenue) AS r FROM sessions) a
UNION ALL
SELECT 'month', (r).variants, (r).chi2, (r).dof, (r).p_value
FROM (SELECT crm.chi2_test(month, revenue) AS r FROM sessions) a;
SQL
q -F, >"$d/values.csv" <<'SQL'
SELECT (w).t, (w).df, (w).p_value, (m).u, (m).p_value
FROM (SELECT crm.welch_ttest(page_values, weekend) AS w, crm.mann_whitney(page_values, weekend) AS m
      FROM sessions) a;
SQL
cat "$d/ours.csv" "$d/chi2.csv"

$py - "$csv" "$d" <<'PY'
import csv, sys
import numpy as np
from scipy import stats
from statsmodels.stats import proportion as smp

path, d = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path)))
rev = np.array([r["Revenue"] == "TRUE" for r in rows])
vt = np.array([r["VisitorType"] for r in rows])
wk = np.array([r["Weekend"] == "TRUE" for r in rows])
pv = np.array([float(r["PageValues"]) for r in rows])
fails, worst = [], 0.0


def check(what, ours, ref):
    global worst
    rel = abs(ours - ref) / max(abs(ref), 1e-300)
    worst = max(worst, rel)
    if rel > 1e-9:
        fails.append(f"{what}: ours {ours!r} scipy/statsmodels {ref!r} ({rel:.2e})")


ours = {r[0]: [float(x) for x in r[1:]] for r in csv.reader(open(f"{d}/ours.csv"))}
for name, t, c in (("new_vs_returning", vt == "New_Visitor", vt == "Returning_Visitor"),
                   ("weekend_vs_weekday", wk, ~wk)):
    xt, nt, xc, nc = int(rev[t].sum()), int(t.sum()), int(rev[c].sum()), int(c.sum())
    o = ours[name]
    assert [o[0], o[1], o[2], o[3]] == [nc, nt, xc, xt], (name, o)
    z, p = smp.proportions_ztest([xt, xc], [nt, nc])
    lo, hi = smp.confint_proportions_2indep(xt, nt, xc, nc, method="newcomb")
    check(name + " z", o[7], z)
    check(name + " p", o[8], p)
    check(name + " ci_low", o[5], lo)
    check(name + " ci_high", o[6], hi)
    print(f"{name}: treated {xt}/{nt} = {xt / nt:.4f}, control {xc}/{nc} = {xc / nc:.4f}, "
          f"uplift {o[4]:+.4f} [{o[5]:+.4f}, {o[6]:+.4f}], z {o[7]:.3f}, p {o[8]:.3e}")

chi = {r[0]: [float(x) for x in r[1:]] for r in csv.reader(open(f"{d}/chi2.csv"))}
mo = np.array([r["Month"] for r in rows])
for name, labels, keep in (("visitor_type", vt, np.ones(len(rows), bool)),
                           ("new_vs_returning", vt, vt != "Other"),
                           ("weekend", wk.astype(str), np.ones(len(rows), bool)),
                           ("month", mo, np.ones(len(rows), bool))):
    levels = sorted(set(labels[keep]))
    table = np.array([[np.sum(keep & (labels == v) & ~rev), np.sum(keep & (labels == v) & rev)] for v in levels])
    c2, p, dof, _ = stats.chi2_contingency(table)
    o = chi[name]
    assert int(o[0]) == len(levels) and int(o[2]) == dof, (name, o, dof)
    check(name + " chi2", o[1], c2)
    check(name + " p", o[3], p)
    print(f"chi2 {name}: {len(levels)} variants, chi2 {o[1]:.4f}, dof {int(o[2])}, p {o[3]:.3e}")

t, df, p, u, pu = [float(x) for x in next(csv.reader(open(f"{d}/values.csv")))]
res = stats.ttest_ind(pv[wk], pv[~wk], equal_var=False)
check("page values welch t", t, res.statistic)
check("page values welch p", p, res.pvalue)
mw = stats.mannwhitneyu(pv[wk], pv[~wk], method="asymptotic")
check("page values U", u, mw.statistic)
check("page values mann-whitney p", pu, mw.pvalue)
print(f"page values weekend vs weekday: welch t {t:.4f} (df {df:.1f}) p {p:.4f}; U {u:.1f} p {pu:.3e}")
print(f"worst relative difference to scipy/statsmodels: {worst:.2e}")
if fails:
    sys.exit("FAIL:\n" + "\n".join(fails))
PY
echo ok