#!/usr/bin/env bash
# The generator's planted campaign effects and marketing channels, recovered:
#  - crm.ab_test: at the default scale and seed each campaign's 99 %
#    interval contains its planted conversion uplift (campaign_truth); the
#    95 % intervals are printed too (with four of them, one miss happens
#    19 % of the time: seed 42 misses campaign 3 by 0.0003);
#  - over 50 other seeds (5,000 customers each) the 200 95 % intervals cover
#    the planted uplift at the nominal rate: at least 180 of 200 (the
#    expectation is 190, the binomial standard deviation 3.1);
#  - crm.welch_ttest and crm.cuped_test on campaign spend contain the planted
#    spend uplift (campaign_spend_truth), and CUPED with the 90-day pre-period
#    spend gives a narrower interval than Welch for every campaign (printed);
#  - crm.attribution markov on the generated journeys: removal-effect shares
#    within 0.01 of the planted chain's (channel_truth), and equal to a
#    brute-force Python reference on the same rows (transition matrix, one
#    absorbing chain solved per removed channel) within 1e-9.
set -euo pipefail
py=/usr/bin/python3
if ! $py -c 'import numpy' 2>/dev/null; then
	echo "python3-numpy is not installed"
	exit 77
fi
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
d=$TEST_TMPDIR
fail=0

bash "$CRM_ROOT/test/datagen/generate.sh" --schema gen --customers 20000 --seed 42 >"$d/gen.log" 2>&1 ||
	{ cat "$d/gen.log"; exit 1; }

echo "conversion uplift (crm.ab_test), 95 % and 99 % intervals:"
q -F ' ' -c "SELECT campaign_id, round((t.treatment_rate - t.control_rate)::numeric, 4),
	round((r).uplift::numeric, 4), round((r).ci_low::numeric, 4), round((r).ci_high::numeric, 4),
	(r).ci_low <= t.treatment_rate - t.control_rate AND t.treatment_rate - t.control_rate <= (r).ci_high,
	round((r99).ci_low::numeric, 4), round((r99).ci_high::numeric, 4),
	(r99).ci_low <= t.treatment_rate - t.control_rate AND t.treatment_rate - t.control_rate <= (r99).ci_high
	FROM (SELECT campaign_id, crm.ab_test(converted, grp = 'treatment') AS r,
				 crm.ab_test(converted, grp = 'treatment', 0.99) AS r99
		  FROM gen.campaign_members GROUP BY 1) a
	JOIN gen.campaign_truth t USING (campaign_id) ORDER BY 1" >"$d/ab.txt"
while read -r c truth up lo hi inside lo99 hi99 inside99; do
	echo "  campaign $c: planted $truth, estimated $up, 95 % [$lo, $hi] $([ "$inside" = t ] && echo covered || echo missed)," \
		"99 % [$lo99, $hi99] $([ "$inside99" = t ] && echo covered || echo MISSED)"
	[ "$inside99" = t ] || fail=1
done <"$d/ab.txt"

echo "spend uplift (planted = rate difference x offer value), Welch and CUPED with 90-day pre-period spend:"
q -F ' ' -c "SELECT campaign_id, round(t.spend_uplift::numeric, 3),
	round((w).difference::numeric, 3), round((w).ci_low::numeric, 3), round((w).ci_high::numeric, 3),
	round((c).difference::numeric, 3), round((c).ci_low::numeric, 3), round((c).ci_high::numeric, 3),
	round((100 * (1 - ((c).ci_high - (c).ci_low) / ((w).ci_high - (w).ci_low)))::numeric, 2),
	round((100 * (c).variance_reduction)::numeric, 2),
	(w).ci_low <= t.spend_uplift AND t.spend_uplift <= (w).ci_high
	  AND (c).ci_low <= t.spend_uplift AND t.spend_uplift <= (c).ci_high,
	(c).ci_high - (c).ci_low < (w).ci_high - (w).ci_low
	FROM (SELECT campaign_id, crm.welch_ttest(s.spend::float8, m.grp = 'treatment') AS w,
				 crm.cuped_test(s.spend::float8, s.pre_spend::float8, m.grp = 'treatment') AS c
		  FROM gen.campaign_members m JOIN gen.campaign_spend s USING (campaign_id, customer_id) GROUP BY 1) a
	JOIN gen.campaign_spend_truth t USING (campaign_id) ORDER BY 1" >"$d/spend.txt"
while read -r c truth wd wl wh cd cl ch narrower vr inside nar; do
	echo "  campaign $c: planted $truth; Welch $wd [$wl, $wh]; CUPED $cd [$cl, $ch]: interval $narrower % narrower (variance of the estimate -$vr %)"
	[ "$inside" = t ] || { echo "    MISSED the planted spend uplift"; fail=1; }
	[ "$nar" = t ] || { echo "    CUPED interval not narrower"; fail=1; }
done <"$d/spend.txt"

# coverage over other seeds: only campaign_members is needed
bin=$d/datagen
cc -O2 -Wall -Wextra -Werror -o "$bin" "$CRM_ROOT/test/datagen/"*.c -lm
{
	echo "CREATE TABLE cov (seed int, campaign_id int, customer_id bigint, grp text, converted boolean, converted_at timestamptz);"
	echo "CREATE TEMP TABLE m (campaign_id int, customer_id bigint, grp text, converted boolean, converted_at timestamptz);"
	for seed in $(seq 101 150); do
		mkdir -p "$d/s$seed"
		"$bin" --out "$d/s$seed" --seed "$seed" --customers 5000 --tables campaign_members --quiet
		echo "TRUNCATE m;"
		echo "\\copy m FROM '$d/s$seed/campaign_members.tsv'"
		echo "INSERT INTO cov SELECT $seed, * FROM m;"
	done
} >"$d/cov.sql"
q -f "$d/cov.sql"
covered=$(q -c "SELECT count(*) FILTER (WHERE (r).ci_low <= t.treatment_rate - t.control_rate
                                         AND t.treatment_rate - t.control_rate <= (r).ci_high) || ' ' || count(*)
	FROM (SELECT seed, campaign_id, crm.ab_test(converted, grp = 'treatment') AS r FROM cov GROUP BY 1, 2) a
	JOIN gen.campaign_truth t USING (campaign_id)")
read -r k n <<<"$covered"
echo "coverage over 50 seeds: $k of $n 95 % intervals contain the planted uplift"
[ "$n" = 200 ] && [ "$k" -ge 180 ] || fail=1

# attribution: planted chain and brute force on the same rows
query="SELECT t.journey_id, t.touched_at, t.channel, NULL::float8 FROM gen.touches t
       UNION ALL SELECT j.journey_id, o.ordered_at, NULL, o.amount::float8
       FROM gen.journeys j JOIN gen.orders o USING (order_id)"
q -F ' ' -c "SELECT a.channel, a.share, a.removal_effect, a.conversions, a.value, c.markov_share
	FROM crm.attribution(\$q\$$query\$q\$, 'markov') a JOIN gen.channel_truth c USING (channel) ORDER BY 1" >"$d/markov.txt"
q -c "\\copy (SELECT t.journey_id, t.touch_no, t.channel, j.converted, coalesce(o.amount, 0)
	FROM gen.touches t JOIN gen.journeys j USING (journey_id) LEFT JOIN gen.orders o USING (order_id)
	ORDER BY t.journey_id, t.touch_no) TO '$d/paths.csv' CSV"
$py - "$d" <<'PY' || fail=1
import csv, sys
import numpy as np

d = sys.argv[1]
paths = {}
for jid, no, ch, conv, amount in csv.reader(open(f"{d}/paths.csv")):
    p = paths.setdefault(jid, [[], conv == "t", float(amount)])
    p[0].append(ch)
chans = sorted({c for p in paths.values() for c in p[0]})
ix = {c: i for i, c in enumerate(chans)}
k = len(chans)
# states 0..k-1 channels, k start, k+1 conversion, k+2 null
counts = np.zeros((k + 3, k + 3))
for seq, conv, _ in paths.values():
    states = [k] + [ix[c] for c in seq] + [k + 1 if conv else k + 2]
    for a, b in zip(states, states[1:]):
        counts[a, b] += 1


def p_conversion(removed=None):
    """Absorbing chain: P(reach conversion from start), removed channel sends to null."""
    P = counts / counts.sum(axis=1, keepdims=True).clip(min=1)
    P[k + 1] = 0; P[k + 2] = 0
    if removed is not None:
        P[:, k + 2] += P[:, removed]; P[:, removed] = 0; P[removed] = 0; P[removed, k + 2] = 1
    transient = list(range(k + 1))
    Q = P[np.ix_(transient, transient)]
    R = P[np.ix_(transient, [k + 1])]
    h = np.linalg.solve(np.eye(len(transient)) - Q, R)
    return h[k, 0]


base = p_conversion()
re = np.array([1 - p_conversion(i) / base for i in range(k)])
share = re / re.sum()
convs = sum(1 for p in paths.values() if p[1])
value = sum(p[2] for p in paths.values() if p[1])
ok = True
print(f"markov on {len(paths)} journeys ({convs} converting), P(conversion) {base:.4f}:")
for line in open(f"{d}/markov.txt"):
    ch, s, r, c, v, planted = line.split()
    s, r, c, v, planted = map(float, (s, r, c, v, planted))
    i = ix[ch]
    rel = max(abs(s - share[i]) / share[i], abs(r - re[i]) / re[i], abs(c - share[i] * convs) / (share[i] * convs),
              abs(v - share[i] * value) / (share[i] * value))
    print(f"  {ch:12s} share {s:.4f} (brute force {share[i]:.4f}, relative difference {rel:.1e}; planted {planted:.4f})")
    if rel > 1e-9:
        print("    FAIL: differs from the brute force"); ok = False
    if abs(s - planted) > 0.01:
        print("    FAIL: further than 0.01 from the planted share"); ok = False
sys.exit(0 if ok else 1)
PY
[ $fail = 0 ] && echo ok
exit $fail
