#!/usr/bin/env bash
# Brute-force references in Python (standard library only) on random event
# logs, compared visitor by visitor with the extension:
#  - window_funnel in all 8 combinations of strict_deduplication,
#    strict_order and strict_increase: the level is the highest step of any
#    chain (every chain enumerated) among the entries the scan processed, and
#    the modes' stopping rules are applied entry by entry to that level;
#  - funnel_times: the lexicographically earliest chain reaching that level,
#    found by enumerating every chain;
#  - funnel_report in all 8 modes: visitors reaching each step, lost,
#    conversions and median times, recomputed from those levels and chains;
#  - sequence_match / sequence_count: every assignment of events to the
#    pattern's items tried in lexicographic order (leftmost match, then after
#    its last event), for patterns with adjacency, ., .* and time bounds;
#  - session_number and retention, recomputed from the rows.
# Rows match several steps at once ('ab'), share timestamps, and have NULL
# times and NULL conditions.
set -uo pipefail
py=$(command -v python3) || { echo "python3 is missing"; exit 77; }
work=${TEST_TMPDIR:-$(mktemp -d)}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cat >"$work/bf.py" <<'PY'
import csv, random, sys, itertools
seed = int(sys.argv[1]); out = sys.argv[2]; mode_out = sys.argv[3]
rnd = random.Random(seed)
LABELS = ['a', 'b', 'c', 'd', 'ab', 'bc', 'cd', 'x', None]
rows = []
for v in range(1, 301):
    n = rnd.randint(0, 11)
    span = rnd.choice([4, 8, 20])
    for i in range(n):
        t = rnd.randint(0, span) if rnd.random() > 0.05 else None
        rows.append((v, len(rows) + 1, t, rnd.choice(LABELS)))
with open(out, 'w', newline='') as f:
    w = csv.writer(f)
    for r in rows:
        w.writerow([r[0], r[1], '' if r[2] is None else r[2], '' if r[3] is None else r[3]])

W = [3, 5, 10][seed % 3]
K = 4
STEPS = 'abcd'

def steps_of(e):
    return [k + 1 for k in range(K) if e is not None and STEPS[k] in e]

def chains(entries, incr):
    """every chain: list of entry-index tuples with steps 1..k"""
    res = []
    def ext(chain):
        res.append(chain)
        k = len(chain)
        if k == K:
            return
        t0 = entries[chain[0]][0]; tl = entries[chain[-1]][0]
        for j in range(chain[-1] + 1, len(entries)):
            t, s = entries[j]
            if s == k + 1 and t - t0 <= W and (not incr or t > tl):
                ext(chain + (j,))
    for i, (t, s) in enumerate(entries):
        if s == 1:
            ext((i,))
    return res

def funnel(vrows, dedup, order, incr):
    entries = []
    for (t, e) in vrows:
        if t is None:
            continue
        ss = steps_of(e)
        if not ss and order:
            entries.append((t, 0))
        for s in ss:
            entries.append((t, s))
    entries.sort()
    stop = len(entries)
    for idx, (t, s) in enumerate(entries):
        pre = entries[:idx]
        L = max([len(c) for c in chains(pre, incr)] or [0])
        if s == 0:
            if order and L >= 1:
                stop = idx; break
            continue
        if order and L >= 1 and s not in (L, L + 1):
            stop = idx; break
        if dedup and s >= 2 and L >= s:
            stop = idx; break
    pre = entries[:stop]
    cs = chains(pre, incr)
    L = max([len(c) for c in cs] or [0])
    best = min([tuple(pre[i][0] for i in c) for c in cs if len(c) == L] or [()])
    return L, list(best)

PATTERNS = [
    ('(?1)(?2)', [(1, False, None, None), (2, False, None, None)]),
    ('(?1).*(?2)', [(1, False, None, None), (2, True, None, None)]),
    ('(?1).(?3)', [(1, False, None, None), (0, False, None, None), (3, False, None, None)]),
    ('(?2)(?t<=3)(?3)', [(2, False, None, None), (3, True, 0, 3)]),
    ('(?1)(?t>2)(?4)', [(1, False, None, None), (4, True, 3, None)]),
    ('(?1).*(?2)(?t>=1)(?t<4)(?3)', [(1, False, None, None), (2, True, None, None), (3, True, 1, 3)]),
    ('(?1)(?1)', [(1, False, None, None), (1, False, None, None)]),
    ('.(?t==2).', [(0, False, None, None), (0, True, 2, 2)]),
]

def seq_count(vrows, items, first_only):
    ev = []
    for (t, e) in vrows:
        if t is None:
            continue
        ss = steps_of(e)
        if ss:
            ev.append((t, min(ss), sum(1 << (s - 1) for s in ss)))
    ev.sort()
    n = len(ev)
    def ok(a, p):
        c = items[a][0]
        return c == 0 or (ev[p][2] >> (c - 1)) & 1
    def dfs(a, p):
        # items a.. with item a-1 at p: first positions in lexicographic order
        if a == len(items):
            return []
        cond, gap, lo, hi = items[a]
        cands = [p + 1] if not gap else range(p + 1, n)
        for q in cands:
            if q >= n:
                break
            d = ev[q][0] - ev[p][0]
            if lo is not None and d < lo: continue
            if hi is not None and d > hi: continue
            if ok(a, q):
                r = dfs(a + 1, q)
                if r is not None:
                    return [q] + r
        return None
    cnt, cur = 0, 0
    while True:
        found = None
        for p in range(cur, n):
            if ok(0, p):
                r = dfs(1, p)
                if r is not None:
                    found = [p] + r; break
        if found is None:
            break
        cnt += 1
        if first_only:
            break
        cur = found[-1] + 1
    return cnt

def num(x):
    # PostgreSQL's float8 text: the shortest exact form, no trailing .0
    r = repr(float(x))
    return r[:-2] if r.endswith('.0') else r

def median(xs):
    xs = sorted(xs); n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

byv = {}
for (v, i, t, e) in rows:
    byv.setdefault(v, []).append((i, t, e))
report = {m: [] for m in range(8)}     # (level, times) of visitors with a timed row
with open(mode_out, 'w') as f:
    for v in range(1, 301):
        vr = [(t, e) for (i, t, e) in sorted(byv.get(v, []))]
        if not vr:
            continue            # no row, no group
        for m in range(8):
            L, times = funnel(vr, m & 1, m & 2, m & 4)
            f.write('F|%d|%d|%d|%s\n' % (v, m, L, '{' + ','.join(str(x) for x in times) + '}'))
            if any(t is not None for (t, e) in vr):
                report[m].append((L, times))
        for pi, (p, items) in enumerate(PATTERNS):
            f.write('S|%d|%d|%d|%d\n' % (v, pi, seq_count(vr, items, True), seq_count(vr, items, False)))
        seen = set(s for (t, e) in vr for s in steps_of(e))
        f.write('R|%d|{%s}\n' % (v, ','.join('t' if 1 in seen and k in seen else 'f' for k in range(1, K + 1))))
        # sessions: ordered by time then id, NULL times NULL; gap W
        srt = sorted([(t, i) for (i, t, e) in byv.get(v, []) if t is not None])
        sess, last = 0, None
        for (t, i) in srt:
            if last is None or t - last > W:
                sess += 1
            last = t
            f.write('N|%d|%d|%d\n' % (v, i, sess))
    # funnel_report: per step, from the levels and chains above
    for m in range(8):
        total = len(report[m])
        reach = [total] + [sum(1 for (L, ts) in report[m] if L >= k) for k in range(1, K + 1)]
        for k in range(1, K + 1):
            conv = num(reach[k] / reach[1]) if reach[1] else ''
            sconv = num(reach[k] / reach[k - 1]) if reach[k - 1] else ''
            d1 = [ts[k - 1] - ts[0] for (L, ts) in report[m] if L >= k] if k >= 2 else []
            dp = [ts[k - 1] - ts[k - 2] for (L, ts) in report[m] if L >= k] if k >= 2 else []
            f.write('P|%d|%d|%d|%d|%s|%s|%s|%s\n' % (m, k, reach[k], reach[k - 1] - reach[k], conv, sconv,
                    num(median(d1)) if d1 else '', num(median(dp)) if dp else ''))
print(W)
PY

fail=0
for seed in 1 2 3 4 5 6; do
	W=$("$py" "$work/bf.py" $seed "$work/rows.csv" "$work/expected.txt") || { echo "python failed"; exit 1; }
	q <<SQL
DROP TABLE IF EXISTS bf;
CREATE TABLE bf (v int, id int, t int, e text);
\copy bf FROM '$work/rows.csv' WITH (FORMAT csv)
SQL
	modes=("''" "'strict_deduplication'" "'strict_order'" "'strict_deduplication,strict_order'"
		   "'strict_increase'" "'strict_deduplication,strict_increase'" "'strict_order,strict_increase'"
		   "'strict_deduplication,strict_order,strict_increase'")
	sql=""
	for m in 0 1 2 3 4 5 6 7; do
		sql+="SELECT 'F|' || v || '|$m|' || crm.window_funnel('$W s', ${modes[$m]}, ts, s1, s2, s3, s4) || '|' ||
		  (SELECT coalesce('{' || string_agg(extract(epoch FROM x - '2024-01-01'::timestamptz)::int::text, ',' ORDER BY o) || '}', '{}')
		   FROM unnest(crm.funnel_times('$W s', ${modes[$m]}, ts, s1, s2, s3, s4)) WITH ORDINALITY u(x, o))
		FROM bfv GROUP BY v;"
	done
	pats=('(?1)(?2)' '(?1).*(?2)' '(?1).(?3)' '(?2)(?t<=3)(?3)' '(?1)(?t>2)(?4)' '(?1).*(?2)(?t>=1)(?t<4)(?3)' '(?1)(?1)' '.(?t==2).')
	for i in "${!pats[@]}"; do
		sql+="SELECT 'S|' || v || '|$i|' || crm.sequence_match('${pats[$i]}', ts, s1, s2, s3, s4)::int || '|' || crm.sequence_count('${pats[$i]}', ts, s1, s2, s3, s4) FROM bfv GROUP BY v;"
	done
	for m in 0 1 2 3 4 5 6 7; do
		sql+="SELECT 'P|$m|' || step || '|' || visitors || '|' || dropped || '|' || coalesce(conversion::text, '') || '|' ||
		  coalesce(step_conversion::text, '') || '|' || coalesce(median_seconds::text, '') || '|' || coalesce(median_step_seconds::text, '')
		FROM crm.funnel_report('SELECT v, ts, s1, s2, s3, s4 FROM bfv', '$W s', ${modes[$m]});"
	done
	sql+="SELECT 'R|' || v || '|' || crm.retention(s1, s2, s3, s4)::text FROM bfv GROUP BY v;"
	sql+="SELECT 'N|' || v || '|' || id || '|' || n FROM (SELECT v, id, ts, crm.session_number(ts, '$W s') OVER (PARTITION BY v ORDER BY ts, id) AS n FROM bfv) x WHERE ts IS NOT NULL;"
	q >"$work/actual.txt" <<SQL
CREATE TEMP VIEW bfv AS SELECT v, id, '2024-01-01'::timestamptz + t * interval '1 second' AS ts,
	strpos(e, 'a') > 0 AS s1, strpos(e, 'b') > 0 AS s2, strpos(e, 'c') > 0 AS s3, strpos(e, 'd') > 0 AS s4 FROM bf;
$sql
SQL
	[ $? -eq 0 ] || { echo "FAIL seed $seed: query failed"; fail=1; continue; }
	sort "$work/expected.txt" >"$work/e.txt"; sort "$work/actual.txt" >"$work/a.txt"
	ne=$(wc -l <"$work/e.txt")
	if diff -q "$work/e.txt" "$work/a.txt" >/dev/null; then
		echo "ok   seed $seed (window $W s): $ne results equal ($(grep -c '^F' "$work/e.txt") funnel levels+times over 8 modes, $(grep -c '^P' "$work/e.txt") funnel_report steps, $(grep -c '^S' "$work/e.txt") pattern results, $(grep -c '^N' "$work/e.txt") session numbers, $(grep -c '^R' "$work/e.txt") retentions)"
	else
		echo "FAIL seed $seed: $(diff "$work/e.txt" "$work/a.txt" | grep -c '^<') of $ne results differ, e.g.:"
		diff "$work/e.txt" "$work/a.txt" | head -10
		fail=1
	fi
	# the levels must not be trivial: several levels per mode
	echo "     level distribution (mode: counts of 0..4): $(awk -F'|' '/^F/ {c[$3" "$4]++} END {for (m = 0; m < 8; m++) {s = s " " m ":"; for (l = 0; l <= 4; l++) s = s (c[m" "l] + 0) (l < 4 ? "/" : ""); } print s}' "$work/e.txt")"
done
exit $fail
