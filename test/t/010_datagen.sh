#!/usr/bin/env bash
#
# 010_datagen.sh - the synthetic retail generator (test/datagen) builds what
# it promises: deterministic data, intact keys, and planted structure that
# can be measured back within binomial error.
#
# Needs a live server: PGHOST/PGPORT/PGUSER/PGDATABASE point at a fresh
# database, TEST_TMPDIR is scratch space.  Exit 0 = pass, 77 = skip, other =
# fail.  Runs in ~15 s.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gen_dir=$(cd "$here/../datagen" && pwd)
generate=$gen_dir/generate.sh
if [[ -n ${TEST_TMPDIR:-} ]]; then
	scratch=$TEST_TMPDIR/010_datagen
else
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/010_datagen.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
fi
mkdir -p "$scratch"

N=10000           # customers: ~45k orders, ~114k lines, ~227k events
SEED=7
SIGMA=4           # tolerance for sampled quantities, in standard errors

for tool in psql cc; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool not found"
		exit 77
	fi
done
if ! psql -X -q -c 'SELECT 1' >/dev/null 2>&1; then
	echo "1..0 # SKIP no server reachable through PGHOST/PGPORT"
	exit 77
fi

n_ok=0
n_fail=0
ok() {
	n_ok=$((n_ok + 1))
	echo "ok $((n_ok + n_fail)) - $*"
}
not_ok() {
	n_fail=$((n_fail + 1))
	echo "not ok $((n_ok + n_fail)) - $*"
}

q() {
	psql -X -q -v ON_ERROR_STOP=1 -At -F '|' -c "$1"
}

# check DESCRIPTION SQL: the query returns one row "t|detail" or "f|detail"
check() {
	local desc=$1 sql=$2 out
	if ! out=$(q "$sql" 2>&1); then
		not_ok "$desc: query failed: $out"
		return
	fi
	if [[ $out == t* ]]; then
		ok "$desc${out#t|}"
	else
		not_ok "$desc${out#f|}"
	fi
}

# run_generate NAME SCRIPT ARGS...: run quietly, show the log on failure
run_generate() {
	local log=$scratch/generate_$1.log
	shift
	if "$@" >"$log" 2>&1; then
		return 0
	fi
	sed 's/^/# /' "$log"
	return 1
}

t0=$SECONDS

# ------------------------------------------------------------------ build
if run_generate a bash "$generate" --schema dg_a --customers $N --seed $SEED; then
	ok "generate.sh --schema dg_a --customers $N --seed $SEED ($(tail -n 1 "$scratch/generate_a.log" | sed 's/.*: \([0-9.]* s total\).*/\1/'))"
else
	not_ok "generate.sh --schema dg_a"
	echo "cannot continue without data"
	exit 1
fi
sed 's/^/# /' "$scratch/generate_a.log"

# The second run with the same seed goes from a private copy the server's OS
# user cannot read (mode 700), with its temp dir inside: all data must go
# through psql's client-side \copy.
private=$scratch/private
rm -rf "$private"
mkdir -p "$private/datagen" "$private/tmp"
cp "$gen_dir"/*.c "$gen_dir"/*.h "$gen_dir/generate.sh" "$private/datagen/"
chmod 700 "$private"
if TMPDIR=$private/tmp run_generate b bash "$private/datagen/generate.sh" \
	--schema dg_b --customers $N --seed $SEED --jobs 1; then
	ok "same seed again, from a mode-700 directory, --jobs 1"
else
	not_ok "same seed again, from a mode-700 directory, --jobs 1"
fi
if [[ -z $(ls -A "$private/tmp") ]]; then
	ok "generate.sh removed its temp dir"
else
	not_ok "generate.sh left files in its temp dir: $(ls -A "$private/tmp")"
fi
if run_generate c bash "$generate" --schema dg_c --customers $N --seed $((SEED + 1)); then
	ok "different seed (dg_c)"
else
	not_ok "different seed (dg_c)"
fi

# ------------------------------------------------------------------ shape
tables="campaign_members campaign_truth campaigns customer_truth customers events funnel_truth group_truth order_lines orders planted_rules products channel_truth campaign_spend_truth journeys touches campaign_spend prospect_truth prospects"
check "19 tables, each with a primary key, 15 foreign keys" "
SELECT count(*) = 19 AND count(*) FILTER (WHERE pk) = 19 AND max(fks) = 15,
       format(': %s tables, %s with pk, %s fks', count(*), count(*) FILTER (WHERE pk), max(fks))
FROM (SELECT c.relname,
             EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS pk,
             (SELECT count(*) FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid
               WHERE r.relnamespace = 'dg_a'::regnamespace AND k.contype = 'f') AS fks
      FROM pg_class c WHERE c.relnamespace = 'dg_a'::regnamespace AND c.relkind = 'r') t"

check "indexes on orders(customer_id) and order_lines(product_id)" "
SELECT count(*) = 2, ''
FROM pg_indexes WHERE schemaname = 'dg_a'
 AND indexdef ~ '(ON dg_a.orders USING btree \(customer_id\)|ON dg_a.order_lines USING btree \(product_id\))'"

# ------------------------------------------------------------------ determinism
same=()
diff=()
for t in $tables; do
	a=$(q "SELECT md5(string_agg(x::text, E'\n' ORDER BY x::text)) FROM dg_a.$t x")
	b=$(q "SELECT md5(string_agg(x::text, E'\n' ORDER BY x::text)) FROM dg_b.$t x")
	c=$(q "SELECT md5(string_agg(x::text, E'\n' ORDER BY x::text)) FROM dg_c.$t x")
	[[ -n $a && $a == "$b" ]] && same+=("$t")
	[[ $a != "$c" ]] && diff+=("$t")
done
if ((${#same[@]} == 19)); then
	ok "same seed => identical rows in all 19 tables (md5 of ordered rows)"
else
	not_ok "same seed => identical rows: only ${same[*]}"
fi
want_diff="campaign_members customer_truth customers events order_lines orders products journeys touches campaign_spend prospects"
missing=""
for t in $want_diff; do
	[[ " ${diff[*]} " == *" $t "* ]] || missing+=" $t"
done
if [[ -z $missing ]]; then
	ok "different seed => different data (${diff[*]})"
else
	not_ok "different seed => same data in:$missing"
fi

# generator output byte for byte
bin=$scratch/datagen
if cc -O2 -Wall -Wextra -Werror -o "$bin" "$gen_dir"/*.c -lm; then
	rm -rf "$scratch/o1" "$scratch/o2" "$scratch/o3"
	mkdir -p "$scratch/o1" "$scratch/o2" "$scratch/o3"
	"$bin" --customers 3000 --seed 99 --out "$scratch/o1" --quiet &&
		"$bin" --customers 3000 --seed 99 --out "$scratch/o2" --quiet &&
		"$bin" --customers 3000 --seed 100 --out "$scratch/o3" --quiet
	if diff -r "$scratch/o1" "$scratch/o2" >/dev/null && [[ $(ls "$scratch/o1" | wc -l) == 38 ]]; then
		ok "datagen output files are byte-identical for the same seed"
	else
		not_ok "datagen output files differ for the same seed"
	fi
	if ! cmp -s "$scratch/o1/order_lines.tsv" "$scratch/o3/order_lines.tsv"; then
		ok "datagen output differs for another seed"
	else
		not_ok "datagen output identical for another seed"
	fi
else
	not_ok "datagen (test/datagen/*.c) compiles with -Wall -Wextra -Werror"
fi

# ------------------------------------------------------------------ integrity
check "events reference existing customers, products and their own customer's orders" "
SELECT count(*) = 0, format(': %s dangling', count(*))
FROM dg_a.events e
LEFT JOIN dg_a.customers c USING (customer_id)
LEFT JOIN dg_a.products p USING (product_id)
LEFT JOIN dg_a.orders o USING (order_id)
WHERE c.customer_id IS NULL
   OR (e.product_id IS NOT NULL AND p.product_id IS NULL)
   OR (e.order_id IS NOT NULL AND (o.order_id IS NULL OR o.customer_id <> e.customer_id))"

check "every order has lines and exactly one purchase event; only purchase events carry an order_id" "
SELECT count(*) FILTER (WHERE coalesce(nl, 0) = 0 OR coalesce(np, 0) <> 1) = 0
   AND (SELECT count(*) FROM dg_a.events WHERE (event_type = 'purchase') <> (order_id IS NOT NULL)) = 0,
       format(': %s orders', count(*))
FROM dg_a.orders o
LEFT JOIN (SELECT order_id, count(*) nl FROM dg_a.order_lines GROUP BY 1) l USING (order_id)
LEFT JOIN (SELECT order_id, count(*) np FROM dg_a.events WHERE event_type = 'purchase' GROUP BY 1) e USING (order_id)"

check "order amount = sum of its line amounts; line amount = quantity * unit_price" "
SELECT count(*) FILTER (WHERE o.amount <> l.s) = 0 AND bool_and(l.ok),
       format(': %s orders, %s mismatches', count(*), count(*) FILTER (WHERE o.amount <> l.s))
FROM dg_a.orders o
JOIN (SELECT order_id, sum(amount) s, bool_and(amount = quantity * unit_price) ok
      FROM dg_a.order_lines GROUP BY order_id) l USING (order_id)"

check "no product twice in one order; line numbers 1..n" "
SELECT count(*) = 0, format(': %s bad orders', count(*))
FROM (SELECT order_id FROM dg_a.order_lines GROUP BY order_id
      HAVING count(DISTINCT product_id) <> count(*) OR max(line_no) <> count(*)) x"

check "all timestamps inside 2023-01-01 .. 2025-01-01 UTC, orders and events after signup" "
WITH w AS (SELECT timestamptz '2023-01-01 00:00+00' lo, timestamptz '2025-01-01 00:00+00' hi)
SELECT (SELECT count(*) FROM dg_a.customers, w WHERE signup_at < lo OR signup_at >= hi) +
       (SELECT count(*) FROM dg_a.orders o JOIN dg_a.customers c USING (customer_id), w
         WHERE ordered_at < signup_at OR ordered_at >= hi) +
       (SELECT count(*) FROM dg_a.events e JOIN dg_a.customers c USING (customer_id), w
         WHERE occurred_at < signup_at OR occurred_at >= hi) +
       (SELECT count(*) FROM dg_a.campaign_members m JOIN dg_a.campaigns k USING (campaign_id), w
         WHERE converted <> (converted_at IS NOT NULL)
            OR converted_at < started_at OR converted_at >= hi) = 0,
       (SELECT format(': signups %s .. %s', min(signup_at)::date, max(signup_at)::date)
          FROM dg_a.customers)"

check "signups cover both years" "
SELECT count(DISTINCT date_trunc('month', signup_at AT TIME ZONE 'UTC')) = 24,
       format(': %s months', count(DISTINCT date_trunc('month', signup_at AT TIME ZONE 'UTC')))
FROM dg_a.customers"

check "returns: 1-5% negative lines, each returning an earlier purchase of the same customer" "
WITH r AS (
  SELECT l.*, o.customer_id, o.ordered_at FROM dg_a.order_lines l JOIN dg_a.orders o USING (order_id)
  WHERE l.quantity < 0)
SELECT (SELECT count(*) FROM r)::float8 / (SELECT count(*) FROM dg_a.order_lines) BETWEEN 0.01 AND 0.05
   AND (SELECT count(*) FROM r WHERE amount >= 0) = 0
   AND (SELECT count(*) FROM r WHERE NOT EXISTS (
          SELECT FROM dg_a.order_lines b JOIN dg_a.orders bo USING (order_id)
          WHERE bo.customer_id = r.customer_id AND b.product_id = r.product_id
            AND bo.ordered_at <= r.ordered_at AND bo.order_id <> r.order_id
            AND b.quantity >= -r.quantity AND b.unit_price = r.unit_price)) = 0,
       format(': %s return lines (%s%%)', (SELECT count(*) FROM r),
              round(100.0 * (SELECT count(*) FROM r) / (SELECT count(*) FROM dg_a.order_lines), 2))"

check "evening peak: 19-21h UTC busier than 2-4h UTC by 10x" "
SELECT sum((h BETWEEN 19 AND 21)::int) > 10 * sum((h BETWEEN 2 AND 4)::int), ''
FROM (SELECT extract(hour FROM ordered_at AT TIME ZONE 'UTC') h FROM dg_a.orders) x"

# ------------------------------------------------------------------ planted truth
check "planted rules: confidence within ${SIGMA} sigma, support >= 0.5%, consequent only with antecedent" "
WITH b AS (
  SELECT l.order_id, array_agg(p.sku) skus
  FROM dg_a.order_lines l JOIN dg_a.products p USING (product_id)
  WHERE l.quantity > 0 GROUP BY l.order_id),
m AS (
  SELECT r.antecedent_sku, r.confidence c,
         count(*) FILTER (WHERE r.antecedent_sku = ANY (skus)) na,
         count(*) FILTER (WHERE r.antecedent_sku = ANY (skus) AND r.consequent_sku = ANY (skus)) nac,
         count(*) FILTER (WHERE r.consequent_sku = ANY (skus) AND NOT r.antecedent_sku = ANY (skus)) stray,
         count(*) nb
  FROM dg_a.planted_rules r CROSS JOIN b GROUP BY 1, 2)
SELECT count(*) >= 3 AND bool_and(na > 0 AND abs(nac::float8 / na - c) <= $SIGMA * sqrt(c * (1 - c) / na)
                                  AND nac::float8 / nb >= 0.005 AND stray = 0),
       ': ' || string_agg(format('%s %s/%s=%s (planted %s, support %s%%)', antecedent_sku, nac, na,
                                 round(nac::numeric / na, 3), c, round(100.0 * nac / nb, 2)), '; ')
FROM m"

check "campaign conversion rates within ${SIGMA} sigma of campaign_truth" "
WITH m AS (
  SELECT campaign_id, grp, count(*) n, avg(converted::int) rate,
         CASE grp WHEN 'treatment' THEN t.treatment_rate ELSE t.control_rate END p
  FROM dg_a.campaign_members JOIN dg_a.campaign_truth t USING (campaign_id)
  GROUP BY campaign_id, grp, t.treatment_rate, t.control_rate)
SELECT count(*) = 8 AND bool_and(abs(rate - p) <= $SIGMA * sqrt(p * (1 - p) / n)),
       ': ' || string_agg(format('%s/%s %s (planted %s, n=%s)', campaign_id, grp, round(rate, 3), p, n),
                          '; ' ORDER BY campaign_id, grp)
FROM m"

check "one campaign has zero planted uplift, the others positive" "
SELECT count(*) FILTER (WHERE treatment_rate = control_rate) = 1
   AND count(*) FILTER (WHERE treatment_rate > control_rate) = count(*) - 1, ''
FROM dg_a.campaign_truth"

check "campaign members signed up before the campaign started" "
SELECT count(*) = 0, ''
FROM dg_a.campaign_members m JOIN dg_a.campaigns k USING (campaign_id)
JOIN dg_a.customers c USING (customer_id) WHERE c.signup_at >= k.started_at"

check "journeys: touches numbered 1..k in time order, before their order; exactly one converting journey per 2024 order" "
WITH t AS (SELECT j.journey_id, j.order_id, t.touch_no, t.touched_at,
                  lag(t.touched_at) OVER (PARTITION BY t.journey_id ORDER BY t.touch_no) AS prev_at,
                  count(*) OVER (PARTITION BY t.journey_id) AS k, max(t.touch_no) OVER (PARTITION BY t.journey_id) AS last_no
           FROM dg_a.journeys j JOIN dg_a.touches t USING (journey_id))
SELECT count(*) FILTER (WHERE touched_at < prev_at OR k <> last_no) = 0
   AND (SELECT count(*) FROM t JOIN dg_a.orders o USING (order_id)
        WHERE t.touched_at >= o.ordered_at OR o.ordered_at < '2024-01-01') = 0
   AND (SELECT count(*) FROM dg_a.journeys j WHERE NOT EXISTS (SELECT FROM dg_a.touches t WHERE t.journey_id = j.journey_id)) = 0
   AND (SELECT count(*) FROM dg_a.orders o
        LEFT JOIN (SELECT order_id, count(*) AS n FROM dg_a.journeys WHERE order_id IS NOT NULL GROUP BY 1) j
        USING (order_id)
        WHERE coalesce(j.n, 0) <> (o.ordered_at >= '2024-01-01')::int) = 0,
       format(': %s journeys, %s touches', count(DISTINCT journey_id), count(*))
FROM t"

check "journeys follow the planted chain: start shares and conversion/leave rates per channel within ${SIGMA} sigma" "
WITH p AS (SELECT t.journey_id, t.touch_no, t.channel, j.converted,
                  t.touch_no = max(t.touch_no) OVER (PARTITION BY t.journey_id) AS is_last
           FROM dg_a.touches t JOIN dg_a.journeys j USING (journey_id)),
s AS (SELECT channel, count(*) FILTER (WHERE touch_no = 1) AS starts,
             count(*) AS visits, count(*) FILTER (WHERE is_last AND converted) AS conv,
             count(*) FILTER (WHERE is_last AND NOT converted) AS left_
      FROM p GROUP BY channel),
n AS (SELECT sum(starts) AS starts FROM s)
SELECT count(*) = 6 AND bool_and(abs(s.starts::float8 / n.starts - c.start_share) <= $SIGMA * sqrt(c.start_share * (1 - c.start_share) / n.starts)
                          AND abs(s.conv::float8 / s.visits - c.p_convert) <= $SIGMA * sqrt(c.p_convert * (1 - c.p_convert) / s.visits)
                          AND abs(s.left_::float8 / s.visits - c.p_leave) <= $SIGMA * sqrt(c.p_leave * (1 - c.p_leave) / s.visits)),
       ': ' || string_agg(format('%s convert %s (planted %s)', channel, round(s.conv::numeric / s.visits, 3), c.p_convert), '; ' ORDER BY channel)
FROM s JOIN dg_a.channel_truth c USING (channel) CROSS JOIN n"

check "campaign_spend: pre_spend = orders in the 90 days before the start; spend = orders in the window (+ offer when converted)" "
WITH x AS (SELECT s.campaign_id, s.customer_id, s.pre_spend, s.spend, m.converted,
                  coalesce((SELECT sum(o.amount) FROM dg_a.orders o WHERE o.customer_id = s.customer_id
                            AND o.ordered_at >= k.started_at - interval '90 days' AND o.ordered_at < k.started_at), 0) AS pre,
                  coalesce((SELECT sum(o.amount) FROM dg_a.orders o WHERE o.customer_id = s.customer_id
                            AND o.ordered_at >= k.started_at AND o.ordered_at < k.ended_at + interval '14 days'), 0) AS win
           FROM dg_a.campaign_spend s JOIN dg_a.campaign_members m USING (campaign_id, customer_id)
           JOIN dg_a.campaigns k USING (campaign_id))
SELECT count(*) = (SELECT count(*) FROM dg_a.campaign_members)
   AND count(*) FILTER (WHERE pre_spend <> pre) = 0
   AND count(*) FILTER (WHERE converted AND spend <= win OR NOT converted AND spend <> win) = 0,
       format(': %s members', count(*))
FROM x"

check "group shares within ${SIGMA} sigma of group_truth" "
WITH n AS (SELECT count(*) n FROM dg_a.customer_truth),
m AS (SELECT true_group, count(*) k FROM dg_a.customer_truth GROUP BY 1)
SELECT count(*) = 4 AND abs(sum(g.share) - 1) < 1e-9
   AND bool_and(abs(k::float8 / n - g.share) <= $SIGMA * sqrt(g.share * (1 - g.share) / n)),
       ': ' || string_agg(format('%s %s (planted %s)', g.group_name, round(k::numeric / n, 3), g.share), '; ')
FROM dg_a.group_truth g JOIN m USING (true_group) CROSS JOIN n"

check "per-customer lambda ~ Gamma(r, alpha) and p ~ Beta(a, b): group means within ${SIGMA} sigma" "
WITH m AS (
  SELECT g.*, count(*) n, avg(t.lambda) ml, avg(t.p_dropout) mp
  FROM dg_a.customer_truth t JOIN dg_a.group_truth g USING (true_group)
  GROUP BY g.true_group)
SELECT bool_and(abs(ml - r / alpha) <= $SIGMA * sqrt(r) / alpha / sqrt(n)
            AND abs(mp - a / (a + b)) <= $SIGMA * sqrt(a * b / ((a + b) ^ 2 * (a + b + 1)) / n)),
       ': ' || string_agg(format('%s lambda %s (%s) p %s (%s)', group_name, round(ml::numeric, 4),
                                 round((r / alpha)::numeric, 4), round(mp::numeric, 3),
                                 round((a / (a + b))::numeric, 3)), '; ')
FROM m"

check "groups are well separated: order value and frequency rank as planted" "
WITH c AS (
  SELECT t.group_name, avg(t.mean_order_value) mov, avg(n) norders
  FROM dg_a.customer_truth t
  JOIN (SELECT customer_id, count(*) n FROM dg_a.orders GROUP BY 1) o USING (customer_id)
  GROUP BY 1)
SELECT (SELECT mov FROM c WHERE group_name = 'big_spenders') > 3 * (SELECT max(mov) FROM c WHERE group_name <> 'big_spenders')
   AND (SELECT mov FROM c WHERE group_name = 'bargain_hunters') < (SELECT min(mov) FROM c WHERE group_name <> 'bargain_hunters')
   AND (SELECT norders FROM c WHERE group_name = 'bargain_hunters') > (SELECT max(norders) FROM c WHERE group_name <> 'bargain_hunters'),
       ': ' || (SELECT string_agg(format('%s mov %s orders %s', group_name, round(mov::numeric), round(norders, 2)), '; ') FROM c)"

check "customer_truth agrees with orders: dropped_out_at = last order, mean_order_value = mean amount" "
SELECT count(*) FILTER (WHERE (t.dropped_out_at IS NOT NULL AND t.dropped_out_at <> o.last)
                           OR abs(t.mean_order_value - o.mov) > 1e-6
                           OR (t.mean_order_value IS NULL) <> (o.mov IS NULL)) = 0,
       format(': %s dropped out of %s', count(t.dropped_out_at), count(*))
FROM dg_a.customer_truth t
LEFT JOIN (SELECT customer_id, max(ordered_at) last, avg(amount)::float8 mov
           FROM dg_a.orders GROUP BY 1) o USING (customer_id)"

check "web funnel continuation rates within ${SIGMA} sigma of funnel_truth" "
WITH s AS (
  SELECT session_id, bool_or(event_type = 'cart') c, bool_or(event_type = 'checkout') k,
         bool_or(event_type = 'purchase') p
  FROM dg_a.events GROUP BY session_id),
m AS (
  SELECT 'view' st, count(*) n, count(*) FILTER (WHERE c) x FROM s
  UNION ALL SELECT 'cart', count(*) FILTER (WHERE c), count(*) FILTER (WHERE k) FROM s
  UNION ALL SELECT 'checkout', count(*) FILTER (WHERE k), count(*) FILTER (WHERE p) FROM s)
SELECT count(*) = 3 AND bool_and(abs(x::float8 / n - f.p_continue) <= $SIGMA * sqrt(f.p_continue * (1 - f.p_continue) / n)),
       ': ' || string_agg(format('%s->%s %s (planted %s)', st, f.to_stage, round(x::numeric / n, 3), f.p_continue), '; ')
FROM m JOIN dg_a.funnel_truth f ON f.from_stage = m.st"

# ------------------------------------------------------------------ failures
# A generator that dies mid-stream must fail the run and leave no partial
# customer-driven table behind.
if DATAGEN_TEST_ABORT_AFTER=2000 run_generate fail bash "$generate" --schema dg_fail --customers $N >/dev/null; then
	not_ok "generator crash mid-stream: generate.sh exited 0"
else
	n_tables=$(q "SELECT count(*) FROM pg_class WHERE relnamespace = 'dg_fail'::regnamespace AND relkind = 'r'
                  AND relname IN ('customers', 'customer_truth', 'orders', 'order_lines', 'events', 'campaign_members')")
	if [[ $n_tables == 0 ]]; then
		ok "generator crash mid-stream: non-zero exit, no partial tables committed"
	else
		not_ok "generator crash mid-stream: $n_tables partial tables committed"
	fi
fi
if bash "$generate" --schema 'Bad-Name' >/dev/null 2>&1 || bash "$generate" --customers x >/dev/null 2>&1 ||
	bash "$generate" --schema public >/dev/null 2>&1; then
	not_ok "bad arguments are rejected"
else
	ok "bad arguments are rejected"
fi

q "DROP SCHEMA dg_a CASCADE; DROP SCHEMA dg_b CASCADE; DROP SCHEMA dg_c CASCADE;
   DROP SCHEMA IF EXISTS dg_fail CASCADE" >/dev/null 2>&1

echo "1..$((n_ok + n_fail))"
echo "# 010_datagen: $n_ok passed, $n_fail failed in $((SECONDS - t0)) s"
((n_fail == 0))
