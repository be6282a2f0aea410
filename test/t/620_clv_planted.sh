#!/usr/bin/env bash
# Planted structure: the BG/NBD and Gamma-Gamma fits recover the parameters
# of the data generator's "regulars" group (group_truth).
#  1. Exact BG/NBD + Gamma-Gamma customers simulated in SQL with the group's
#     planted parameters (test/t/clv_bgnbd_sim.sql, fixed seed), 60,000
#     customers: r and alpha within 10%, a and b within 20%, p, q, v within
#     15% of the truth.
#  2. The generator's own orders (test/datagen, 50,000 customers): the
#     model's purpose: fitted on 2023-01-01 .. 2024-06-30, the expected
#     repeat purchases of the group's customers in the next 26 weeks are
#     within 5% of the purchase days they really made.
#  3. The generator's planted dropout process itself: BG/NBD fitted on the
#     full orders of each non-seasonal group recovers its group_truth
#     parameters (r, alpha within 10%, a, b within 20%).  The gift shoppers
#     buy seasonally on purpose, which BG/NBD does not model.
set -euo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fail=0
gen="$CRM_ROOT/test/datagen/generate.sh"

truth="2.5 25 1 6 5 6 80"
if [ -f "$gen" ]; then
	bash "$gen" --schema crm_gen --customers 50000 --seed 42 --jobs 2 >"$TEST_TMPDIR/gen.log" 2>&1 ||
		{ cat "$TEST_TMPDIR/gen.log"; exit 1; }
	truth=$(q -At -F ' ' -c "SELECT r, alpha, a, b, gg_p, gg_q, gg_v FROM crm_gen.group_truth WHERE group_name = 'regulars'")
fi
read -r r alpha a b gp gq gv <<<"$truth"
echo "planted (regulars): r=$r alpha=$alpha a=$a b=$b  p=$gp q=$gq v=$gv"

q -f "$CRM_ROOT/test/t/clv_bgnbd_sim.sql"
res=$(q -At -F ' ' <<SQL
SET TimeZone = 'UTC';
CREATE TABLE sim AS SELECT * FROM clv_sim.orders(60000, $r, $alpha, $a, $b, 0.25, $gp, $gq, $gv);
CREATE TABLE sim_summary AS
SELECT (crm.clv_summary(ordered_at, amount, '2024-12-31', '1 week')).* FROM sim GROUP BY customer;
SELECT round((m).r::numeric, 3), round((m).alpha::numeric, 3), round((m).a::numeric, 3), round((m).b::numeric, 3),
       (m).converged,
       round((g).p::numeric, 3), round((g).q::numeric, 3), round((g).v::numeric, 3), (g).converged,
       abs((m).r / $r - 1) < 0.10 AND abs((m).alpha / $alpha - 1) < 0.10
       AND abs((m).a / $a - 1) < 0.20 AND abs((m).b / $b - 1) < 0.20 AND (m).converged,
       abs((g).p / $gp - 1) < 0.15 AND abs((g).q / $gq - 1) < 0.15 AND abs((g).v / $gv - 1) < 0.15 AND (g).converged
FROM (SELECT crm.bgnbd_fit(frequency, recency, t) AS m, crm.gammagamma_fit(frequency, monetary_value) AS g
      FROM sim_summary) x;
SQL
)
read -r fr falpha fa fb fconv gp_ gq_ gv_ gconv ok_bg ok_gg <<<"$res"
echo "simulated BG/NBD, 60,000 customers: r=$fr alpha=$falpha a=$fa b=$fb converged=$fconv  recovered: $ok_bg"
echo "simulated Gamma-Gamma:              p=$gp_ q=$gq_ v=$gv_ converged=$gconv  recovered: $ok_gg"
[ "$ok_bg" = t ] || { echo "BG/NBD parameters not recovered"; fail=1; }
[ "$ok_gg" = t ] || { echo "Gamma-Gamma parameters not recovered"; fail=1; }

if [ -f "$gen" ]; then
	res=$(q -At -F ' ' <<'SQL'
SET TimeZone = 'UTC';
CREATE TABLE cal AS
SELECT o.customer_id, (crm.clv_summary(o.ordered_at, o.amount, '2024-06-30', '1 week')).*
FROM crm_gen.orders o JOIN crm_gen.customer_truth t USING (customer_id)
WHERE t.group_name = 'regulars' AND o.ordered_at < '2024-07-01'
GROUP BY 1;
CREATE TABLE holdout AS
SELECT customer_id, count(DISTINCT ordered_at::date) AS purchases
FROM crm_gen.orders WHERE ordered_at >= '2024-07-01' GROUP BY 1;
WITH m AS (SELECT crm.bgnbd_fit(frequency, recency, t) AS m FROM cal)
SELECT count(*), round((m).r::numeric, 3), round((m).alpha::numeric, 3), round((m).a::numeric, 3), round((m).b::numeric, 3),
       round(sum(crm.bgnbd_expected_purchases(m, (date '2025-01-01' - date '2024-07-01') / 7.0, frequency, recency, t))::numeric, 1),
       sum(coalesce(h.purchases, 0)),
       abs(sum(crm.bgnbd_expected_purchases(m, (date '2025-01-01' - date '2024-07-01') / 7.0, frequency, recency, t))
           / sum(coalesce(h.purchases, 0)) - 1) < 0.05
FROM m, cal c LEFT JOIN holdout h USING (customer_id)
GROUP BY m;
SQL
)
	read -r n gr galpha ga gb pred actual ok <<<"$res"
	echo "generator data, regulars: $n customers in calibration; BG/NBD r=$gr alpha=$galpha a=$ga b=$gb"
	echo "holdout 2024-07-01 .. 2024-12-31: expected $pred repeat purchase days, actual $actual, within 5%: $ok"
	[ "$ok" = t ] || { echo "holdout prediction off by more than 5%"; fail=1; }

	res=$(q -At -F ' ' <<'SQL'
SET TimeZone = 'UTC';
WITH s AS (
	SELECT t.true_group, (crm.clv_summary(o.ordered_at, o.amount, '2025-01-01', '1 week')).*
	FROM crm_gen.orders o JOIN crm_gen.customer_truth t USING (customer_id)
	GROUP BY o.customer_id, t.true_group),
f AS (SELECT true_group, crm.bgnbd_fit(frequency, recency, t) AS m FROM s GROUP BY 1)
SELECT gt.group_name, round((m).r::numeric, 3), round((m).alpha::numeric, 3), round((m).a::numeric, 3),
       round((m).b::numeric, 3), gt.r, gt.alpha, gt.a, gt.b,
       (m).converged AND abs((m).r / gt.r - 1) < 0.10 AND abs((m).alpha / gt.alpha - 1) < 0.10
       AND abs((m).a / gt.a - 1) < 0.20 AND abs((m).b / gt.b - 1) < 0.20
FROM f JOIN crm_gen.group_truth gt USING (true_group)
WHERE gt.group_name <> 'gift_shoppers' ORDER BY gt.true_group;
SQL
)
	groups=$(q -At -c "SELECT count(*) FROM crm_gen.group_truth WHERE group_name <> 'gift_shoppers'")
	checked=0
	while read -r name fr2 fal2 fa2 fb2 tr tal ta tb ok2; do
		[ -n "$name" ] || continue
		checked=$((checked + 1))
		echo "generator, $name: fitted r=$fr2 alpha=$fal2 a=$fa2 b=$fb2 (planted $tr $tal $ta $tb) recovered: $ok2"
		[ "$ok2" = t ] || { echo "planted BG/NBD parameters of $name not recovered"; fail=1; }
	done <<<"$res"
	# every non-seasonal group must have been fitted and checked
	if [ "$groups" -lt 1 ] || [ "$checked" -ne "$groups" ]; then
		echo "checked $checked of $groups planted groups"; fail=1
	fi
else
	echo "test/datagen not present: generator part skipped"
fi
exit $fail
