#!/usr/bin/env bash
# Seasonal hybrid ESD on real series (../shared/datasets/series):
#  - Twitter's raw_data (14,398 one-minute counts, period 1440), max_anomalies 0.02:
#    AnomalyDetection's own tests expect 131 anomalies for direction 'both'
#    (test-ts.R, "both directions, e_value, with longterm": 10 days fit one piece);
#    the counts for 'pos' and 'neg' are printed.
#  - the STL decomposition underneath equals statsmodels' STL (the same netlib
#    algorithm, given R's stl() windows, degrees and jumps, then R's periodic
#    averaging) to 1e-8: robust and periodic on Twitter, plain with a seasonal
#    window of 7 on co2.
#  - NYC taxi (NAB): each of the five labelled events (marathon, Thanksgiving,
#    Christmas, New Year, blizzard) has a detected anomaly within 12 hours, with
#    a weekly period (336 half hours) and max_anomalies 0.02.
set -euo pipefail
dir=${CRM_ROOT}/../shared/datasets/series
[ -f "$dir/twitter_raw_data.csv" ] || { echo "../shared/datasets is absent"; exit 77; }
py=/usr/bin/python3
$py -c 'import statsmodels, numpy' 2>/dev/null || { echo "python3-statsmodels is not installed"; exit 1; }
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
export PGTZ=UTC

q -c "CREATE TABLE tw (ts timestamp, value float8)" -c "\\copy tw FROM '$dir/twitter_raw_data.csv' CSV HEADER"
q -c "CREATE TABLE taxi (ts timestamp, value float8)" -c "\\copy taxi FROM '$dir/nab_nyc_taxi.csv' CSV HEADER"
q -c "CREATE TABLE co2 (t int, year int, month int, d date, value float8)" -c "\\copy co2 FROM '$dir/co2.csv' CSV HEADER"

fail=0
for dirn in both pos neg; do
	n=$(q -c "SELECT count(*) FROM crm.detect_anomalies('SELECT ts, value FROM tw', 1440, 0.02, 0.05, '$dirn')")
	echo "twitter, max_anomalies 0.02, direction $dirn: $n anomalies"
	if [ "$dirn" = both ] && [ "$n" != 131 ]; then echo "FAIL: AnomalyDetection finds 131"; fail=1; fi
done

q -F, -c "SELECT value, seasonal, trend, weight FROM crm.stl('SELECT ts, value FROM tw', 1440)" >"$TEST_TMPDIR/tw.csv"
q -F, -c "SELECT value, seasonal, trend, weight FROM crm.stl('SELECT d, value FROM co2', 12, false, 7)" >"$TEST_TMPDIR/co2.csv"
$py - "$TEST_TMPDIR" <<'PY' || fail=1
import sys, math
import numpy as np
from statsmodels.tsa.seasonal import STL
d = sys.argv[1]
def nextodd(x):
    v = int(round(x))
    return v + 1 if v % 2 == 0 else v
def r_stl(y, period, robust, s_window=None):
    """R's stl() through statsmodels: R's default windows, degrees and jumps."""
    n = len(y)
    periodic = s_window is None
    if periodic:
        s_window = 10 * n + 1
    t_window = nextodd(math.ceil(1.5 * period / (1 - 1.5 / s_window)))
    l_window = nextodd(period)
    res = STL(y, period=period, seasonal=s_window, trend=t_window, low_pass=l_window,
              seasonal_deg=0, trend_deg=1, low_pass_deg=1, robust=robust,
              seasonal_jump=math.ceil(s_window / 10), trend_jump=math.ceil(t_window / 10),
              low_pass_jump=math.ceil(l_window / 10)).fit(inner_iter=1 if robust else 2,
                                                           outer_iter=15 if robust else 0)
    s = np.array(res.seasonal)
    if periodic:
        for k in range(period):
            s[k::period] = s[k::period].mean()
    return s, np.array(res.trend), np.array(res.weights)
bad = False
for name, period, robust, sw in (("tw", 1440, True, None), ("co2", 12, False, 7)):
    a = np.loadtxt(f"{d}/{name}.csv", delimiter=",")
    s, t, w = r_stl(a[:, 0], period, robust, sw)
    scale = np.max(np.abs(a[:, 0]))
    ds, dt, dw = (np.max(np.abs(s - a[:, 1])) / scale, np.max(np.abs(t - a[:, 2])) / scale,
                  np.max(np.abs(w - a[:, 3])))
    print(f"STL {name}: largest difference from statsmodels, relative to the data: seasonal {ds:.1e}, trend {dt:.1e}; weights {dw:.1e}")
    bad |= max(ds, dt, dw) > 1e-8
sys.exit(1 if bad else 0)
PY

q -c "CREATE TABLE labels (name text, l timestamptz)" \
  -c "INSERT INTO labels VALUES ('NYC marathon', '2014-11-01 19:00'), ('Thanksgiving', '2014-11-27 15:30'),
	  ('Christmas', '2014-12-25 15:00'), ('New Year', '2015-01-01 01:00'), ('blizzard', '2015-01-27 00:00')"
q -c "CREATE TABLE found AS SELECT * FROM crm.detect_anomalies('SELECT ts, value FROM taxi', 336, 0.02, 0.05, 'both')"
echo "taxi, period 336, max_anomalies 0.02: $(q -c "SELECT count(*) FROM found") anomalies"
q -F' ' -c "SELECT name, l, (SELECT ts FROM found ORDER BY abs(extract(epoch FROM ts - l)), ts LIMIT 1),
				   (SELECT min(abs(extract(epoch FROM ts - l))) / 3600 FROM found) || ' h' FROM labels ORDER BY l" |
	sed 's/^/  label /'
far=$(q -c "SELECT count(*) FROM labels WHERE NOT EXISTS (SELECT FROM found WHERE abs(extract(epoch FROM ts - l)) <= 12 * 3600)")
[ "$far" = 0 ] || { echo "FAIL: $far labelled events without an anomaly within 12 hours"; fail=1; }
exit $fail
