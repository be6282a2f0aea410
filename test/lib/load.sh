# The load run shared by test/t/980_load.sh (short) and test/bench/load.sh:
# pgbench clients mixing the interactive calls of a CRM front end
# (test/bench/load/*.sql: similar customers from stored profiles, cross-sell
# for a basket, churn probability of one customer, RFM of one customer, the
# customer's 360 row) while, optionally, the customer-360 refresh runs again
# and again in another session.  Source it; it defines functions only.
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE of a database holding the generated
# data (schema crm_demo), the job's sources (test/sql/customer360_sources.sql)
# and a first customer_360 table, and runs as a user who can read the
# server's /proc/PID/status (the same user, or root).
#
#   crm_load_run SECONDS CLIENTS BATCH DIR
#
# writes into DIR: pgbench.out, the transaction logs, mem (samples), and
# summary (key=value lines: tps, failed, aborted, p50_ms, p99_ms, per-script
# p50/p99, refreshes, refresh_failures, refresh_mean_s, deadlocks, mem_* in
# kB), and prints a readable summary.

CRM_LOAD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

crm_load_run() {
	local secs=$1 clients=$2 batch=$3 dir=$4
	local bin=${CRM_PGBIN:-$(pg_config --bindir)} customers products dl0 dl1 rc
	local i refresher= sampler= threads=$(( clients < 4 ? clients : 4 )) app=crm_load_$$
	mkdir -p "$dir"
	rm -f "$dir"/stop "$dir"/tx* "$dir"/mem "$dir"/sampler.ready "$dir"/refresh.* "$dir"/summary
	# the customers with orders (those of the churn features), numbered
	# densely for pgbench's random(): the scripts pick one by its number
	psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS crm_load_customers" \
		-c "CREATE TABLE crm_load_customers AS
			SELECT (row_number() OVER (ORDER BY customer_id))::int AS n, customer_id FROM c360_features" \
		-c "ALTER TABLE crm_load_customers ADD PRIMARY KEY (n)" || return 1
	customers=$(psql -X -At -c "SELECT count(*) FROM crm_load_customers")
	products=$(psql -X -At -c "SELECT max(product_id) FROM crm_demo.products")
	dl0=$(psql -X -At -c "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

	if [ "$batch" = 1 ]; then
		(
			n=0 f=0 t=
			while [ ! -f "$dir/stop" ]; do
				t=$(date +%s.%N)
				if PGAPPNAME=crm_refresh psql -X -q -v ON_ERROR_STOP=1 -f "$CRM_LOAD_ROOT/test/sql/customer360_call.sql" \
					>>"$dir/refresh.log" 2>&1; then
					n=$((n + 1))
					echo "$(date +%s.%N) $t" | awk '{printf "%.2f\n", $1 - $2}' >>"$dir/refresh.times"
				else
					f=$((f + 1))
				fi
			done
			echo "$n $f" >"$dir/refresh.count"
		) &
		refresher=$!
	fi
	# Four times a second, the anonymous (private) memory (RssAnon: the
	# backend's heap, not the shared buffers it maps) of each pgbench
	# client's backend and of the server's long-lived background processes.
	# The pids are read once, when every client is connected; afterwards the
	# sampler only reads /proc (a psql per sample would take a second on a
	# loaded machine).  mem: "seconds clients_alive bg_kb kb_1 ... kb_N".
	python3 - "$dir" "$clients" "$app" <<'PY' &
import os, subprocess, sys, time
d, clients, app = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def q(sql):
    return subprocess.run(["psql", "-X", "-At", "-c", sql], capture_output=True, text=True).stdout.split()
def anon_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
open(d + "/sampler.ready", "w").close()
pids = []
while not os.path.exists(d + "/stop"):
    pids = q(f"SELECT pid FROM pg_stat_activity WHERE application_name = '{app}' AND datname = current_database()")
    if len(pids) == clients:
        break
    time.sleep(0.1)
bg = q("SELECT pid FROM pg_stat_activity WHERE backend_type IN ('checkpointer', 'background writer', 'walwriter', "
       "'autovacuum launcher', 'logical replication launcher')")
t0 = time.time()
with open(d + "/mem", "w") as out:
    while len(pids) == clients and not os.path.exists(d + "/stop"):
        kb = [anon_kb(p) for p in pids]
        out.write(f"{time.time() - t0:.2f} {sum(1 for k in kb if k)} {sum(anon_kb(p) for p in bg)} {' '.join(map(str, kb))}\n")
        out.flush()
        time.sleep(0.25)
PY
	sampler=$!
	# the interpreter starts slowly on a loaded machine: start the clients
	# once the sampler is there
	for ((i = 0; i < 600; i++)); do [ -f "$dir/sampler.ready" ] && break; sleep 0.05; done

	(cd "$CRM_LOAD_ROOT/test/bench/load" &&
		PGAPPNAME=$app "$bin/pgbench" -n -c "$clients" -j "$threads" -T "$secs" \
			-D customers="$customers" -D products="$products" \
			-f similar.sql@3 -f cross_sell.sql@2 -f predict.sql@3 -f rfm.sql@2 -f customer_360.sql@2 \
			-l --log-prefix="$dir/tx") >"$dir/pgbench.out" 2>&1
	rc=$?
	touch "$dir/stop"
	[ -n "$refresher" ] && wait "$refresher"
	wait "$sampler"
	dl1=$(psql -X -At -c "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

	python3 - "$dir" "$rc" "$((dl1 - dl0))" "$batch" <<'PY'
import glob, os, re, sys
d, rc, deadlocks, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
out = open(d + "/pgbench.out").read()
names = ["similar", "cross_sell", "predict", "rfm", "customer_360"]
lat = {n: [] for n in names}
for f in glob.glob(d + "/tx*"):
    for line in open(f):
        p = line.split()
        if len(p) >= 6 and p[2] != "failed" and p[2] != "skipped":
            lat[names[int(p[3])]].append(int(p[2]) / 1000.0)
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")
everything = [x for n in names for x in lat[n]]
def grab(pattern, default="0"):
    m = re.search(pattern, out)
    return m.group(1) if m else default
s = {
    "pgbench_rc": rc,
    "transactions": len(everything),
    "tps": float(grab(r"tps = ([0-9.]+)", "0")),
    "failed": int(grab(r"number of failed transactions: (\d+)")),
    "aborted": len(re.findall(r"aborted", out)),
    "errors": len(re.findall(r"(?i)\berror\b", out)),
    "p50_ms": pct(everything, 0.50), "p99_ms": pct(everything, 0.99),
    "deadlocks": deadlocks,
}
for n in names:
    s[n + "_n"] = len(lat[n]); s[n + "_p50_ms"] = pct(lat[n], 0.5); s[n + "_p99_ms"] = pct(lat[n], 0.99)
if batch and os.path.exists(d + "/refresh.count"):
    ok, bad = open(d + "/refresh.count").read().split()
    s["refreshes"], s["refresh_failures"] = int(ok), int(bad)
    times = [float(t) for t in open(d + "/refresh.times")] if os.path.exists(d + "/refresh.times") else []
    if times:
        s["refresh_mean_s"] = sum(times) / len(times)
# memory: the samples while every client's backend was alive; the first
# third warms up (caches, plans), the middle third is the reference for the
# last third (per backend: the largest value of each third)
mem = [list(map(float, l.split())) for l in open(d + "/mem")] if os.path.exists(d + "/mem") else []
mem = [m for m in mem if len(m) > 3 and int(m[1]) == len(m) - 3]
if len(mem) >= 6:
    third = len(mem) // 3
    per = list(zip(*(m[3:] for m in mem)))
    warm = [max(v[third:2 * third]) for v in per]
    end = [max(v[2 * third:]) for v in per]
    growth = [e - w for e, w in zip(end, warm)]
    s["mem_samples"] = len(mem)
    s["mem_seconds"] = mem[-1][0] - mem[0][0]
    s["mem_first_kb"] = int(sum(mem[0][3:]))
    s["mem_warm_kb"] = int(sum(warm))
    s["mem_end_kb"] = int(sum(end))
    s["mem_growth_max_kb"] = int(max(growth))
    # a leak grows every backend (they all run the same mix); a backend
    # that met a larger value once grows alone
    s["mem_growth_median_kb"] = int(sorted(growth)[len(growth) // 2])
    s["mem_background_first_kb"] = int(mem[0][2])
    s["mem_background_end_kb"] = int(max(m[2] for m in mem[2 * third:]))
with open(d + "/summary", "w") as f:
    for k, v in s.items():
        f.write(f"{k}={v:.2f}\n" if isinstance(v, float) else f"{k}={v}\n")
print(f"  {s['transactions']} transactions, {s['tps']:.1f} per second, {s['failed']} failed, {s['aborted']} clients aborted, "
      f"{s['deadlocks']} deadlocks")
print(f"  latency p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms")
for n in names:
    print(f"    {n:14s} {s[n + '_n']:6d} calls   p50 {s[n + '_p50_ms']:7.1f} ms   p99 {s[n + '_p99_ms']:7.1f} ms")
if "refreshes" in s:
    print(f"  customer-360 refreshes meanwhile: {s['refreshes']} succeeded"
          + (f" ({s['refresh_mean_s']:.1f} s each)" if "refresh_mean_s" in s else "") + f", {s['refresh_failures']} failed")
if "mem_samples" in s:
    print(f"  private memory of the client backends ({s['mem_samples']} samples over {s['mem_seconds']:.0f} s): "
          f"{s['mem_first_kb'] / 1024:.1f} MB at start, {s['mem_warm_kb'] / 1024:.1f} MB in the middle third, "
          f"{s['mem_end_kb'] / 1024:.1f} MB in the last third (growth of a backend: median {s['mem_growth_median_kb']} kB, largest {s['mem_growth_max_kb']} kB); "
          f"background processes {s['mem_background_first_kb'] / 1024:.1f} -> {s['mem_background_end_kb'] / 1024:.1f} MB")
PY
}
