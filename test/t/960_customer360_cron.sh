#!/usr/bin/env bash
# The nightly customer-360 job, scheduled with pg_cron on a throwaway
# cluster of its own (shared_preload_libraries = pg_cron, jobs in
# background workers).  Two jobs are scheduled at once on generated data:
#  - the refresh of public.customer_360, which must replace the table built
#    before (readers polling it meanwhile never fail and never see it
#    half-built), with contents equal to the capabilities called directly;
#  - a refresh of public.customer_360_b whose orders query names a missing
#    table: it must fail, leave the previous customer_360_b exactly as it
#    was, and show the failure in cron.job_run_details.
# pg_cron 1.4 (Debian bookworm, PostgreSQL 15) schedules by the minute: the
# test waits for the next minute.  From 1.5 on (17, 18) it schedules every 5
# seconds.  PostgreSQL 19 has no pg_cron package: the job's command runs
# without the scheduler there (said in the output).
set -uo pipefail
. "$CRM_ROOT/test/lib/cluster.sh"
factor=${CRM_TEST_TIME_FACTOR:-1}
fail=0
pgmajor=$("$CRM_TC_BIN/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

# pg_cron in the private installation (the checked server's installation
# is built from source: take Debian's module of the same major version)
libdir=$("$CRM_TC_BIN/pg_config" --pkglibdir)
sharedir=$("$CRM_TC_BIN/pg_config" --sharedir)
if [ ! -f "$libdir/pg_cron.so" ] && [ -f "/usr/lib/postgresql/$pgmajor/lib/pg_cron.so" ]; then
	cp /usr/lib/postgresql/"$pgmajor"/lib/pg_cron.so "$libdir/" &&
		cp /usr/share/postgresql/"$pgmajor"/extension/pg_cron* "$sharedir/extension/"
fi
cron=1
if [ ! -f "$libdir/pg_cron.so" ]; then
	if [ -z "$(crm_version_packages "$pgmajor" 2>/dev/null)" ] && [ "$pgmajor" = 19 ]; then
		echo "NOTE: pg_cron is not packaged for PostgreSQL $pgmajor (no postgresql-$pgmajor-cron in Debian):"
		echo "      the job's command runs here without the scheduler"
		cron=0
	else
		echo "FAIL: pg_cron is missing ($libdir/pg_cron.so): install postgresql-$pgmajor-cron"
		exit 1
	fi
fi

conf=("max_worker_processes = 16")
[ $cron = 1 ] && conf+=("shared_preload_libraries = 'pg_cron'" "cron.database_name = 'postgres'"
	"cron.use_background_workers = on" "cron.max_running_jobs = 4")
crm_tc_init cron 54341 "${conf[@]}" || exit 1
crm_tc_start cron || exit 1
crm_tc_psql cron -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION crm_analytics" || exit 1
[ $cron = 1 ] && { crm_tc_psql cron -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pg_cron" || exit 1; }
env $(crm_tc_env cron) PGDATABASE=postgres PATH="$CRM_TC_BIN:$PATH" \
	bash "$CRM_ROOT/test/datagen/generate.sh" --schema crm_demo --customers 1500 --jobs 2 >"$TEST_TMPDIR/datagen.log" 2>&1 ||
	{ cat "$TEST_TMPDIR/datagen.log"; exit 1; }
crm_tc_psql cron -q -v ON_ERROR_STOP=1 -f "$CRM_ROOT/test/sql/customer360_sources.sql" || exit 1

call=$(cat "$CRM_ROOT/test/sql/customer360_call.sql")
call_b=${call//public.customer_360/public.customer_360_b}
broken=${call_b//FROM crm_demo.orders\'/FROM crm_demo.no_such_table\'}
[ "$broken" != "$call_b" ] || { echo "FAIL: could not make the broken job"; exit 1; }

# the tables as they were before the scheduled runs
crm_tc_psql cron -q -v ON_ERROR_STOP=1 -c "$call" -c "$call_b" || exit 1
q() { crm_tc_psql cron -q -At -v ON_ERROR_STOP=1 "$@"; }
sum_b=$(q -c "SELECT md5(string_agg(t::text, '|' ORDER BY customer)) FROM customer_360_b t")
before=$(q -c "SELECT max(refreshed_at) FROM customer_360")
rows=$(q -c "SELECT count(*) FROM customer_360")

# readers polling the table while the job rebuilds it: always all rows
cat >"$TEST_TMPDIR/reader.sql" <<'SQL'
SELECT count(*) || ' ' || count(DISTINCT refreshed_at) FROM customer_360;
SQL
(
	end=$((SECONDS + 100 * factor))
	while [ $SECONDS -lt $end ] && [ ! -f "$TEST_TMPDIR/stop_readers" ]; do
		crm_tc_psql cron -At -f "$TEST_TMPDIR/reader.sql" 2>&1
	done
) >"$TEST_TMPDIR/reads" &
reader=$!

start=$SECONDS
if [ $cron = 1 ]; then
	version=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'")
	if [ "$(printf '%s\n1.5\n' "$version" | sort -V | head -n 1)" = 1.5 ]; then
		schedule='5 seconds'
	else
		schedule='* * * * *'	# 1.4: whole minutes only
	fi
	q -v call="$call" -v broken="$broken" -v schedule="$schedule" <<'SQL' >/dev/null || exit 1
SELECT cron.schedule('customer_360', :'schedule', :'call');
SELECT cron.schedule('customer_360_b', :'schedule', :'broken');
SQL
	echo "pg_cron $version: two jobs scheduled '$schedule' at $(date -u +%H:%M:%S)"
	limit=$((90 * factor))
	# the first run of each job
	first="SELECT j.jobname, d.* FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		   WHERE d.runid IN (SELECT min(runid) FROM cron.job_run_details GROUP BY jobid)"
	while :; do
		done_jobs=$(q -c "SELECT count(*) FROM ($first) f WHERE status IN ('succeeded', 'failed')")
		[ "$done_jobs" = 2 ] && break
		if [ $((SECONDS - start)) -gt $limit ]; then
			echo "FAIL: no run of both jobs within $limit s"; q -c "SELECT * FROM cron.job_run_details"; fail=1; break
		fi
		sleep 1
	done
	echo "both jobs ran after $((SECONDS - start)) s"
	q -F ' | ' -c "SELECT jobname, status, round(extract(epoch FROM end_time - start_time)::numeric, 2) || ' s',
					  split_part(return_message, E'\n', 1) FROM ($first) f ORDER BY 1"
	status_a=$(q -c "SELECT status FROM ($first) f WHERE jobname = 'customer_360'")
	status_b=$(q -c "SELECT status || ': ' || split_part(return_message, E'\n', 1) FROM ($first) f WHERE jobname = 'customer_360_b'")
	q -c "SELECT cron.unschedule(jobname) FROM cron.job" >/dev/null
else
	q -c "$call" >/dev/null 2>"$TEST_TMPDIR/a.err" && status_a=succeeded || status_a="failed: $(cat "$TEST_TMPDIR/a.err")"
	q -c "$broken" >/dev/null 2>"$TEST_TMPDIR/b.err" && status_b=succeeded || status_b="failed: $(cat "$TEST_TMPDIR/b.err")"
fi
touch "$TEST_TMPDIR/stop_readers"
wait $reader

[ "$status_a" = succeeded ] && echo "ok   customer_360 refreshed: $status_a" ||
	{ echo "FAIL: the refresh of customer_360: $status_a"; fail=1; }
case "$status_b" in
	failed*no_such_table*) echo "ok   the broken job failed, and says why: ${status_b:0:90}" ;;
	*) echo "FAIL: the broken job: $status_b"; fail=1 ;;
esac
after=$(q -c "SELECT max(refreshed_at) FROM customer_360")
[ "$after" \> "$before" ] && echo "ok   customer_360 replaced (refreshed_at $before -> $after)" ||
	{ echo "FAIL: customer_360 was not replaced ($before, $after)"; fail=1; }
[ "$(q -c "SELECT md5(string_agg(t::text, '|' ORDER BY customer)) FROM customer_360_b t")" = "$sum_b" ] &&
	echo "ok   customer_360_b left exactly as it was" || { echo "FAIL: customer_360_b changed"; fail=1; }
reads=$(wc -l <"$TEST_TMPDIR/reads")
badreads=$(grep -cv "^$rows 1\$" "$TEST_TMPDIR/reads")
if [ "$badreads" = 0 ] && [ "$reads" -gt 0 ]; then
	echo "ok   $reads reads during the refresh, each saw all $rows rows of one refresh"
else
	echo "FAIL: $badreads of $reads reads saw something else:"; grep -v "^$rows 1\$" "$TEST_TMPDIR/reads" | sort | uniq -c | head; fail=1
fi

# The contents against the capabilities called directly (other calls than
# the job's where there is one: crm.similar_customers per customer for the
# neighbours, the aggregates on the tables for the lifetime values).
bad=$(q <<'SQL'
SET timezone = 'UTC';
CREATE TEMP TABLE rfm AS SELECT * FROM crm.rfm_scores('SELECT customer_id, ordered_at, amount FROM crm_demo.orders', '2025-01-01');
CREATE TEMP TABLE feat AS
SELECT customer, ARRAY[recency_days::float8, ln(frequency::float8), ln(greatest(monetary, 1)::float8)] AS f FROM rfm;
CREATE TEMP TABLE seg AS
SELECT feat.customer, crm.closest_centroid(crm.scaler_apply(f, sc), km) AS segment
FROM feat, (SELECT crm.scaler_fit(f) AS sc FROM feat) s,
	 LATERAL (SELECT crm.kmeans(crm.scaler_apply(f2.f, s.sc), 4, 42) AS km FROM feat f2) k;
CREATE TEMP TABLE clv AS
SELECT customer_id::text AS customer, (s).* FROM
	(SELECT customer_id, crm.clv_summary(ordered_at, amount, '2025-01-01', '7 days') AS s
	 FROM crm_demo.orders GROUP BY customer_id) x;
CREATE TEMP TABLE models AS
SELECT crm.bgnbd_fit(frequency, recency, t) AS bg, crm.gammagamma_fit(frequency, monetary_value) AS gg FROM clv;
CREATE TEMP TABLE churn AS
SELECT f.customer_id::text AS customer, crm.predict(m.model, f) AS p,
	   ARRAY(SELECT e.feature FROM crm.explain(m.model, f) e
			 WHERE e.feature <> '(base value)' AND e.contribution > 0 ORDER BY e.contribution DESC, e.feature LIMIT 3) AS reasons
FROM c360_features f, c360_model m;
CREATE TEMP TABLE offers AS
SELECT b.customer, (SELECT c.item FROM crm.cross_sell(b.basket, 'c360_rules', 1) c) AS item
FROM (SELECT o.customer_id::text AS customer, array_agg(DISTINCT p.name) AS basket
	  FROM crm_demo.order_lines l JOIN crm_demo.orders o USING (order_id) JOIN crm_demo.products p USING (product_id)
	  WHERE l.quantity > 0 GROUP BY 1) b;
CREATE TEMP TABLE dev AS
SELECT * FROM crm.customer_deviation('SELECT customer_id, ordered_at, amount FROM crm_demo.orders', '1 mon', '2025-01-01', 6);
SELECT 'customer ' || t.customer || ': ' || concat_ws(', ',
		CASE WHEN (t.recency_days, t.frequency, t.monetary, t.r_score, t.f_score, t.m_score, t.rfm_segment)
				  IS DISTINCT FROM (r.recency_days, r.frequency, r.monetary, r.r_score, r.f_score, r.m_score, r.segment)
			 THEN 'rfm' END,
		CASE WHEN t.kmeans_segment IS DISTINCT FROM s.segment THEN 'kmeans segment' END,
		CASE WHEN abs(t.churn_probability - c.p) > 1e-12 OR t.churn_reasons IS DISTINCT FROM c.reasons
			 OR (t.churn_probability IS NULL) <> (c.p IS NULL) THEN 'churn' END,
		CASE WHEN abs(t.expected_purchases - crm.bgnbd_expected_purchases(m.bg, 26, v.frequency, v.recency, v.t)) > 1e-9
			 OR abs(t.p_alive - crm.bgnbd_p_alive(m.bg, v.frequency, v.recency, v.t)) > 1e-12
			 OR abs(t.clv - crm.customer_lifetime_value(m.bg, m.gg, v.frequency, v.recency, v.t, v.monetary_value, 12, 0.01, '7 days'))
				> 1e-9 * greatest(1, abs(t.clv)) OR t.clv IS NULL THEN 'lifetime value' END,
		CASE WHEN t.cross_sell_item IS DISTINCT FROM o.item THEN 'cross-sell' END,
		CASE WHEN t.deviation_z IS DISTINCT FROM d.robust_z
			 OR t.deviation_flag <> coalesce(abs(d.robust_z) > 3.5 AND d.active_periods * 2 > 6, false) THEN 'deviation' END)
FROM customer_360 t
LEFT JOIN rfm r USING (customer) LEFT JOIN seg s USING (customer) LEFT JOIN churn c USING (customer)
LEFT JOIN clv v USING (customer) LEFT JOIN offers o USING (customer) LEFT JOIN dev d USING (customer), models m
WHERE (t.recency_days, t.frequency, t.monetary, t.r_score, t.f_score, t.m_score, t.rfm_segment)
	  IS DISTINCT FROM (r.recency_days, r.frequency, r.monetary, r.r_score, r.f_score, r.m_score, r.segment)
   OR t.kmeans_segment IS DISTINCT FROM s.segment
   OR abs(t.churn_probability - c.p) > 1e-12 OR t.churn_reasons IS DISTINCT FROM c.reasons
   OR (t.churn_probability IS NULL) <> (c.p IS NULL)
   OR abs(t.expected_purchases - crm.bgnbd_expected_purchases(m.bg, 26, v.frequency, v.recency, v.t)) > 1e-9
   OR abs(t.p_alive - crm.bgnbd_p_alive(m.bg, v.frequency, v.recency, v.t)) > 1e-12
   OR abs(t.clv - crm.customer_lifetime_value(m.bg, m.gg, v.frequency, v.recency, v.t, v.monetary_value, 12, 0.01, '7 days'))
	  > 1e-9 * greatest(1, abs(t.clv)) OR t.clv IS NULL
   OR t.cross_sell_item IS DISTINCT FROM o.item
   OR t.deviation_z IS DISTINCT FROM d.robust_z
   OR t.deviation_flag <> coalesce(abs(d.robust_z) > 3.5 AND d.active_periods * 2 > 6, false)
UNION ALL
SELECT 'rows: ' || (SELECT count(*) FROM customer_360) || ' in the table, ' || (SELECT count(*) FROM rfm) || ' customers'
WHERE (SELECT count(*) FROM customer_360) <> (SELECT count(*) FROM rfm)
LIMIT 20;
SQL
)
if [ -n "$bad" ]; then echo "FAIL: customer_360 differs from the capabilities called directly:"; echo "$bad"; fail=1
else
	echo "ok   $rows customers: RFM, k-means segment, churn probability and reasons, expected purchases, P(alive),"
	echo "     CLV, cross-sell and deviation equal to the capabilities called directly"
fi
# the neighbours, for 40 customers, by crm.similar_customers (one scan each)
nbad=$(q <<'SQL'
SELECT t.customer || ': ' || t.similar_customers::text || ' vs ' || s.n::text
FROM (SELECT * FROM customer_360 ORDER BY md5(customer) LIMIT 40) t,
	 LATERAL (SELECT array_agg(x.customer ORDER BY x.rank) AS n
			  FROM crm.similar_customers('SELECT o.customer_id, p.name, l.quantity FROM crm_demo.order_lines l
										  JOIN crm_demo.orders o USING (order_id) JOIN crm_demo.products p USING (product_id)
										  WHERE l.quantity > 0', t.customer, 3) x) s
WHERE t.similar_customers IS DISTINCT FROM s.n;
SQL
)
[ -z "$nbad" ] && echo "ok   the three most similar customers of 40 customers equal crm.similar_customers" ||
	{ echo "FAIL: similar customers differ:"; echo "$nbad" | head; fail=1; }
q -F ' | ' -c "SELECT rfm_segment, count(*) AS customers, round(avg(churn_probability)::numeric, 3) AS churn,
				  round(avg(clv)::numeric, 2) AS clv, count(*) FILTER (WHERE deviation_flag) AS off_normal
			   FROM customer_360 GROUP BY 1 ORDER BY 4 DESC LIMIT 4"
if problems=$(crm_tc_log_problems cron); then echo "FAIL: the cluster's log:"; echo "$problems"; fail=1; fi
exit $fail
