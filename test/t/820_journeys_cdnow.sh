#!/usr/bin/env bash
# Cohorts on real data: the CDNOW transactions (../shared/datasets/cdnow,
# 69,659 purchases of 23,570 customers who first bought in Q1 1997, tracked
# to the end of June 1998).  Monthly first-purchase cohorts of 1997 with
# both modes, observed until 1998-07-01, compared row by row with an
# independent computation in Python (csv module: first month, months active,
# counts per cohort and month), and the weekly and quarterly tables with
# plain SQL.
set -uo pipefail
src=${CRM_ROOT:-.}/../shared/datasets/cdnow/CDNOW_master.txt
if [ ! -r "$src" ]; then echo "../shared/datasets/cdnow is absent"; exit 77; fi
py=$(command -v python3) || { echo "python3 is missing"; exit 77; }
work=${TEST_TMPDIR:-$(mktemp -d)}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail=0

"$py" - "$src" "$work/cdnow.csv" "$work/expected.txt" <<'PY'
import sys
src, out, exp = sys.argv[1:4]
first, months = {}, {}
with open(src) as f, open(out, 'w') as o:
    next(f)
    for line in f:
        p = line.split()
        if len(p) < 4:
            continue
        c, d = p[0], p[1]
        o.write('%s,%s-%s-%s\n' % (c, d[:4], d[4:6], d[6:8]))
        m = int(d[:4]) * 12 + int(d[4:6]) - 1
        months.setdefault(c, set()).add(m)
last = 1998 * 12 + 5                      # June 1998, the last complete month (observed to 1998-07-01)
with open(exp, 'w') as e:
    for mode in ('on', 'on_or_after'):
        size, active = {}, {}
        for c, ms in months.items():
            f0 = min(ms)
            size[f0] = size.get(f0, 0) + 1
            for p in range(0, last - f0 + 1):
                hit = (f0 + p in ms) if mode == 'on' else (max(ms) >= f0 + p)
                if hit:
                    active[(f0, p)] = active.get((f0, p), 0) + 1
        for f0 in sorted(size):
            for p in range(0, last + 1 - f0 + 1):      # up to July 1998, which has not elapsed: NULL
                a = active.get((f0, p), 0) if f0 + p <= last else None
                e.write('%s|%d-%02d-01|%d|%d|%s|%s\n' % (mode, f0 // 12, f0 % 12 + 1, p, size[f0],
                        '' if a is None else a, '' if a is None else '%.6f' % (a / size[f0])))
print(len(months), 'customers')
PY
q <<SQL
CREATE TABLE cdnow (customer text, day date);
\copy cdnow FROM '$work/cdnow.csv' WITH (FORMAT csv)
SQL
q >"$work/actual.txt" <<'SQL'
SET timezone = 'UTC';
SELECT 'on', cohort, period, cohort_size, active, to_char(rate, 'FM0.000000')
FROM crm.cohort_retention('SELECT customer, day FROM cdnow', 'month', 'on', '1998-07-01');
SELECT 'on_or_after', cohort, period, cohort_size, active, to_char(rate, 'FM0.000000')
FROM crm.cohort_retention('SELECT customer, day FROM cdnow', 'month', 'on_or_after', '1998-07-01');
SQL
sort "$work/expected.txt" >"$work/e"; sort "$work/actual.txt" >"$work/a"
if diff -q "$work/e" "$work/a" >/dev/null; then
	echo "ok   monthly cohorts, both modes: $(wc -l <"$work/e") rows equal to the Python computation"
else
	echo "FAIL monthly cohorts: $(diff "$work/e" "$work/a" | grep -c '^<') rows differ"; diff "$work/e" "$work/a" | head; fail=1
fi
echo "     Jan 1997 cohort, months 0-3 (on): $(grep '^on|1997-01-01|[0-3]|' "$work/e" | cut -d'|' -f3,5,6 | tr '\n' ' ')"
echo "     Jan 1997 cohort, months 0-3 (on_or_after): $(grep '^on_or_after|1997-01-01|[0-3]|' "$work/e" | cut -d'|' -f3,5,6 | tr '\n' ' ')"

for grain in week quarter; do
	out=$(q <<SQL
SET timezone = 'UTC';
WITH ours AS (SELECT * FROM crm.cohort_retention('SELECT customer, day FROM cdnow', '$grain', 'on', '1998-07-01')),
a AS (SELECT DISTINCT customer, date_trunc('$grain', day)::date AS p FROM cdnow),
f AS (SELECT customer, min(p) AS c FROM a GROUP BY customer),
ref AS (SELECT f.c AS cohort, count(DISTINCT f.customer) AS n FROM f GROUP BY f.c),
act AS (SELECT f.c AS cohort, a.p, count(*) AS active FROM a JOIN f USING (customer) GROUP BY 1, 2)
SELECT count(*) FILTER (WHERE o.cohort_size <> r.n
                          OR o.active IS DISTINCT FROM CASE WHEN o.period < (SELECT max(period) FROM ours o2 WHERE o2.cohort = o.cohort)
                                                            THEN coalesce(x.active, 0) END) = 0,
       count(*) || ' rows, ' || count(DISTINCT o.cohort) || ' cohorts'
FROM ours o JOIN ref r USING (cohort)
LEFT JOIN act x ON x.cohort = o.cohort
  AND x.p = (o.cohort + CASE '$grain' WHEN 'week' THEN o.period * interval '1 week' ELSE o.period * interval '3 months' END)::date
SQL
)
	case "$out" in t\|*) echo "ok   $grain cohorts equal plain SQL: ${out#t|}" ;; *) echo "FAIL $grain cohorts: $out"; fail=1 ;; esac
done
exit $fail
