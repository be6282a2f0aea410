# Helpers for benchmark scripts (test/bench/*.sh).  A benchmark script runs
# with PGHOST/PGPORT/PGUSER/PGDATABASE set and the extension created in that
# database; BENCH_SCALE (default 1) scales its data; BENCH_RUNS (default 3)
# is how many times each statement runs (the best time is kept).
BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

bench_psql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# bench_ms SQL: best wall time in milliseconds of SQL over BENCH_RUNS runs,
# measured by the server session (\timing), so connection start-up is not counted.
bench_ms() {
	local sql=$1 best="" t i out
	for ((i = 0; i < BENCH_RUNS; i++)); do
		out=$(printf '\\timing on\n%s\n' "$sql" | bench_psql -o /dev/null 2>&1) ||
			{ echo "$out" >&2; return 1; }
		t=$(printf '%s\n' "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{s += $1} END {printf "%.1f", s}')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$t; fi
	done
	echo "$best"
}

# bench_line NAME OURS_MS BASELINE_MS [NOTE]: one result line with the ratio.
bench_line() {
	awk -v n="$1" -v o="$2" -v b="$3" -v note="${4:-}" 'BEGIN {
		if (b > 0)
			printf "%-44s ours %10.1f ms   baseline %10.1f ms   ratio %6.2fx  %s\n", n, o, b, o / b, note
		else
			printf "%-44s ours %10.1f ms   baseline        n/a      ratio    n/a   %s\n", n, o, note }'
}

# bench_session SQL: runs SQL once in a new session and prints "CPU_MS PEAK_KB": the
# backend's own CPU time (user + sys, 10 ms resolution) for SQL and its peak resident
# memory (VmHWM, which counts the shared buffers it touched).  Prints nothing when
# the server's /proc is not readable from here (a remote server, another user).
bench_session() {
	local out
	out=$(printf '%s\n' "SELECT pg_backend_pid() AS pid \\gset" "\\setenv BPID :pid" \
		"\\! awk '{print \"cpu0\", \$14 + \$15}' /proc/\$BPID/stat 2>/dev/null" "$1;" \
		"\\! awk '{print \"cpu1\", \$14 + \$15}' /proc/\$BPID/stat 2>/dev/null" \
		"\\! awk '/^VmHWM/ {print \"hwm\", \$2}' /proc/\$BPID/status 2>/dev/null" |
		bench_psql -o /dev/null 2>/dev/null) || return 0
	printf '%s\n' "$out" | awk -v hz="$(getconf CLK_TCK)" '
		$1 == "cpu0" {c = $2} $1 == "cpu1" {t = ($2 - c) * 1000 / hz} $1 == "hwm" {h = $2}
		END {if (h != "") printf "%d %d\n", t, h}'
}

# bench_cpu_ms SQL: the best backend CPU time of SQL over BENCH_RUNS new sessions, in
# milliseconds (see bench_session); empty when it cannot be read.
bench_cpu_ms() {
	local best="" t i
	for ((i = 0; i < BENCH_RUNS; i++)); do
		t=$(bench_session "$1" | awk '{print $1}')
		[ -n "$t" ] || return 0
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}
