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
