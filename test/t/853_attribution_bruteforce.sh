#!/usr/bin/env bash
# crm.attribution against an independent Python implementation of all six
# models on random journeys that have what real data has: 12 channels with
# different reach, repeated channels, equal timestamps, journeys with two or
# three conversions, conversions without any touch, journeys that never
# convert, text keys, numeric values.  Rule-based models are recomputed path
# by path from their definitions; markov builds the transition matrix and
# solves one absorbing chain per removed channel (numpy).  Every figure must
# agree within 1e-9 relative, and the shares of each model sum to 1.
set -euo pipefail
py=/usr/bin/python3
if ! $py -c 'import numpy' 2>/dev/null; then
	echo "python3-numpy is not installed"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
d=$TEST_TMPDIR

q <<'SQL'
SELECT setseed(0.1234);
CREATE TABLE ev AS
WITH j AS (SELECT j, 1 + floor(random() * 9)::int AS n FROM generate_series(1, 20000) j),
r AS (SELECT j, k, random() AS u1, random() AS u2, random() AS u3, random() AS u4
	  FROM j, generate_series(1, n) k)
SELECT 'J' || j AS journey,
	   -- whole hours, so that some touches share a timestamp
	   '2024-03-01'::timestamptz + (k * 3 + floor(u1 * 6)) * interval '1 hour' AS ts,
	   CASE WHEN u2 < 0.06 THEN NULL
			ELSE 'ch' || lpad((floor(12 * u2 * u2))::int::text, 2, '0') END AS channel,
	   -- conversions: more likely late in a journey and after channels ch0x with a low number
	   CASE WHEN u3 < 0.10 + 0.02 * k + CASE WHEN u2 < 0.3 THEN 0.15 ELSE 0 END
			THEN round((20 + 200 * u4)::numeric, 2) END AS value
FROM r;
-- a row that is neither touch nor conversion is skipped
DELETE FROM ev WHERE channel IS NULL AND value IS NULL;
SQL
q -c "\\copy (SELECT journey, extract(epoch FROM ts), coalesce(channel, ''), coalesce(value::text, '') FROM ev) TO '$d/ev.csv' CSV"
for m in first_touch last_touch linear time_decay position_based markov; do
	q -c "\\copy (SELECT '$m', coalesce(channel, ''), conversions, value, share, removal_effect
	             FROM crm.attribution('SELECT journey, ts, channel, value FROM ev', '$m', '36 hours')) TO '$d/$m.csv' CSV"
done
q -c "SELECT count(*), count(DISTINCT journey), count(value), count(channel) FROM ev" | tr '|' ' ' |
	{ read -r rows journeys convs touches; echo "$rows rows: $journeys journeys, $convs conversions, $touches touches"; }

$py - "$d" <<'PY'
import csv, math, sys
from collections import defaultdict
import numpy as np

d = sys.argv[1]
HALF = 36 * 3600.0
journeys = defaultdict(list)
for j, ts, ch, v in csv.reader(open(f"{d}/ev.csv")):
    journeys[j].append((float(ts), ch or None, float(v) if v else None))
chans = sorted({r[1] for rows in journeys.values() for r in rows if r[1]})

# paths: sort by (time, touch before conversion, channel name, value); a conversion ends a path
paths = []          # (list of (ts, ch), converted, value, conversion time)
for rows in journeys.values():
    rows.sort(key=lambda r: (r[0], r[2] is not None, r[1] or "", r[2] or 0.0))
    cur = []
    for ts, ch, v in rows:
        if ch:
            cur.append((ts, ch))
        if v is not None:
            paths.append((cur, True, v, ts))
            cur = []
    if cur:
        paths.append((cur, False, 0.0, None))


def weights(model, touches, tconv):
    k = len(touches)
    if model == "first_touch":
        return [1.0] + [0.0] * (k - 1)
    if model == "last_touch":
        return [0.0] * (k - 1) + [1.0]
    if model == "linear":
        return [1.0 / k] * k
    if model == "position_based":
        if k == 1:
            return [1.0]
        if k == 2:
            return [0.5, 0.5]
        return [0.4] + [0.2 / (k - 2)] * (k - 2) + [0.4]
    if model == "time_decay":
        w = [2.0 ** (-(tconv - t) / HALF) for t, _ in touches]
        s = sum(w)
        return [x / s for x in w]


ref = {}
none_conv = sum(1 for p in paths if p[1] and not p[0])
none_val = sum(p[2] for p in paths if p[1] and not p[0])
for model in ("first_touch", "last_touch", "linear", "time_decay", "position_based"):
    conv, val, seen = defaultdict(float), defaultdict(float), set()
    for touches, converted, v, tconv in paths:
        if not converted or not touches:
            continue
        for (t, ch), w in zip(touches, weights(model, touches, tconv)):
            conv[ch] += w
            val[ch] += w * v
            seen.add(ch)
    tot = sum(conv.values())
    ref[model] = {ch: (conv[ch], val[ch], conv[ch] / tot, None) for ch in seen}

# markov: states channels 0..k-1, start k, conversion k+1, null k+2
k = len(chans)
ix = {c: i for i, c in enumerate(chans)}
counts = np.zeros((k + 3, k + 3))
for touches, converted, _, _ in paths:
    if not touches:
        continue
    st = [k] + [ix[c] for _, c in touches] + [k + 1 if converted else k + 2]
    for a, b in zip(st, st[1:]):
        counts[a, b] += 1


def p_conv(removed=None):
    P = counts / counts.sum(axis=1, keepdims=True).clip(min=1)
    P[k + 1] = 0
    P[k + 2] = 0
    if removed is not None:
        P[:, k + 2] += P[:, removed]
        P[:, removed] = 0
        P[removed] = 0
        P[removed, k + 2] = 1
    tr = list(range(k + 1))
    h = np.linalg.solve(np.eye(k + 1) - P[np.ix_(tr, tr)], P[np.ix_(tr, [k + 1])])
    return h[k, 0]


base = p_conv()
re = {c: 1 - p_conv(ix[c]) / base for c in chans}
s = sum(re.values())
tconv = sum(1 for p in paths if p[1] and p[0])
tval = sum(p[2] for p in paths if p[1] and p[0])
ref["markov"] = {c: (re[c] / s * tconv, re[c] / s * tval, re[c] / s, re[c]) for c in chans}

fails, worst = [], {}
for model, expect in ref.items():
    got = {}
    for m, ch, c, v, sh, r in csv.reader(open(f"{d}/{model}.csv")):
        got[ch or None] = (float(c), float(v), float(sh) if sh else None, float(r) if r else None)
    nrow = got.pop(None, None)
    if (nrow is None) != (none_conv == 0) or (nrow and (nrow[0] != none_conv or abs(nrow[1] - none_val) > 1e-9 * none_val)):
        fails.append(f"{model}: conversions without touches {nrow} expected {none_conv} {none_val}")
    if set(got) != set(expect):
        fails.append(f"{model}: channels {sorted(got)} expected {sorted(expect)}")
        continue
    for ch, e in expect.items():
        for name, a, b in zip(("conversions", "value", "share", "removal_effect"), got[ch], e):
            if b is None:
                continue
            rel = abs(a - b) / max(abs(b), 1e-12)
            worst[model] = max(worst.get(model, 0.0), rel)
            if rel > 1e-9:
                fails.append(f"{model} {ch} {name}: ours {a!r} reference {b!r}")
    tot = sum(g[2] for g in got.values())
    if abs(tot - 1) > 1e-12:
        fails.append(f"{model}: shares sum to {tot!r}")
print(f"{len(paths)} paths ({sum(1 for p in paths if p[1])} converting, {none_conv} without touches), {k} channels")
for m in ref:
    top = sorted(ref[m].items(), key=lambda kv: -kv[1][2])[:3]
    print(f"  {m:15s} worst relative difference {worst.get(m, 0):.1e}; top shares "
          + ", ".join(f"{c} {v[2]:.3f}" for c, v in top))
if fails:
    sys.exit("FAIL:\n" + "\n".join(fails[:30]))
PY
echo ok
