#!/usr/bin/env bash
#
# generate.sh - build the synthetic retail schema with datagen (*.c here)
#
# usage: generate.sh [--schema NAME] [--customers N] [--seed S] [--jobs J]
#                    [--products P]
#
# Connects through psql with the usual libpq variables (PGHOST, PGPORT,
# PGUSER, PGDATABASE, ...).  Drops and recreates schema NAME (default
# "retail") and touches nothing outside it.  All data travels through psql's
# client-side \copy, so the server never reads a file: the repository may
# live where the server's OS user cannot read.
#
# Steps:
#   1. compile datagen (every .c file here) into a private temp dir (never
#      into the source tree)
#   2. DROP SCHEMA ... CASCADE; CREATE SCHEMA
#   3. the small tables go through plain files; the nine customer-driven
#      tables go through FIFOs: one psql per table creates its table and runs
#      \copy ... WITH (FREEZE) in the same transaction while datagen writes
#      all nine streams at once (generation and loading overlap).  datagen
#      writes <table>.done (the row count) before closing a stream; a loader
#      commits only when that count equals the rows it copied.
#   4. indexes (then primary keys USING INDEX), J sessions in parallel
#   5. foreign keys, J sessions in parallel
#   6. ANALYZE, J sessions in parallel
# The load step always runs ten psql sessions (one per FIFO plus one for
# the small tables); --jobs (default: number of CPUs) bounds steps 4-6.
# Any failure kills the other workers and exits non-zero; -v prints the
# duration of every worker.

set -euo pipefail
export LC_ALL=C

usage() {
	sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit "${1:-2}"
}

schema=retail
customers=20000
seed=42
jobs=$(nproc 2>/dev/null || echo 2)
products=
verbose=0

while (($# > 0)); do
	case $1 in
	--schema) schema=${2:?}; shift 2 ;;
	--customers) customers=${2:?}; shift 2 ;;
	--seed) seed=${2:?}; shift 2 ;;
	--jobs) jobs=${2:?}; shift 2 ;;
	--products) products=${2:?}; shift 2 ;;
	--schema=*) schema=${1#*=}; shift ;;
	--customers=*) customers=${1#*=}; shift ;;
	--seed=*) seed=${1#*=}; shift ;;
	--jobs=*) jobs=${1#*=}; shift ;;
	--products=*) products=${1#*=}; shift ;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "generate.sh: unknown argument: $1" >&2; usage ;;
	esac
done

die() {
	echo "generate.sh: $*" >&2
	exit 1
}

[[ $schema =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
	die "schema name must be a lower-case SQL identifier: $schema"
case $schema in
public | information_schema | pg_*) die "refusing to drop schema $schema" ;;
esac
[[ $customers =~ ^[0-9]{1,9}$ ]] && ((10#$customers >= 1 && 10#$customers <= 100000000)) ||
	die "--customers must be an integer from 1 to 100000000"
[[ $seed =~ ^[0-9]{1,19}$ ]] || die "--seed must be a non-negative integer below 10^19"
[[ $jobs =~ ^[0-9]{1,3}$ ]] && ((10#$jobs >= 1)) || die "--jobs must be a positive integer"
[[ -z $products || $products =~ ^[0-9]{1,7}$ ]] || die "--products must be a positive integer"
customers=$((10#$customers)) jobs=$((10#$jobs))

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcs=("$here"/*.c)
[[ -r $here/datagen.c && -r $here/datagen.h ]] || die "cannot read $here/datagen.c and datagen.h"

t_start=$EPOCHREALTIME

work=$(mktemp -d "${TMPDIR:-/tmp}/datagen.XXXXXX")
[[ $work != *"'"* ]] || die "temp dir path must not contain a quote: $work"
declare -A live=() started=()

cleanup() {
	local p
	for p in "${!live[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${!live[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PGAPPNAME=${PGAPPNAME:-datagen}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# seconds since a start stamp, one decimal
elapsed() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# wait for every process in live[]; on the first failure kill the rest
wait_all() {
	local what=$1 p rc
	while ((${#live[@]} > 0)); do
		rc=0
		p=''
		wait -n -p p "${!live[@]}" || rc=$?
		if [[ -z ${p:-} ]]; then
			die "$what: wait failed"
		fi
		reap "$what" "$p" "$rc"
	done
}

# forget a finished worker; report it (verbose) or fail
reap() {
	local what=$1 p=$2 rc=$3 name=${live[$2]}
	unset "live[$p]"
	((rc == 0)) || die "$what: $name failed (exit $rc)"
	if ((verbose)); then
		echo "  $what: $name done after $(elapsed "${started[$p]}") s" >&2
	fi
}

# start a worker in the background: spawn NAME COMMAND...
spawn() {
	local name=$1
	shift
	"$@" &
	live[$!]=$name
	started[$!]=$EPOCHREALTIME
}

# run the SQL files given as arguments, at most $jobs at a time
run_parallel() {
	local what=$1 f
	shift
	for f in "$@"; do
		while ((${#live[@]} >= jobs)); do
			local p='' rc=0
			wait -n -p p "${!live[@]}" || rc=$?
			[[ -n $p ]] || die "$what: wait failed"
			reap "$what" "$p" "$rc"
		done
		spawn "$(basename "$f" .sql)" "${PSQL[@]}" -f "$f"
	done
	wait_all "$what"
}

# ---------------------------------------------------------------- build
cc -O2 -Wall -Wextra -Werror -o "$work/datagen" "${srcs[@]}" -lm ||
	die "cannot compile datagen from $here/*.c"

gen_args=(--seed "$seed" --customers "$customers" --quiet)
[[ -n $products ]] && gen_args+=(--products "$products")

static_tables=(group_truth planted_rules campaigns campaign_truth funnel_truth products channel_truth
	campaign_spend_truth prospects prospect_truth)
stream_tables=(customers customer_truth orders order_lines events campaign_members journeys touches
	campaign_spend)
all_tables=("${static_tables[@]}" "${stream_tables[@]}")

mkdir "$work/data"
"$work/datagen" "${gen_args[@]}" --out "$work/data" \
	--tables "$(IFS=,; echo "${static_tables[*]}")"
for t in "${stream_tables[@]}"; do
	mkfifo "$work/data/$t.tsv"
done

# ---------------------------------------------------------------- DDL
declare -A ddl=(
	[group_truth]="true_group int NOT NULL, group_name text NOT NULL,
		share float8 NOT NULL, r float8 NOT NULL, alpha float8 NOT NULL,
		a float8 NOT NULL, b float8 NOT NULL, gg_p float8 NOT NULL,
		gg_q float8 NOT NULL, gg_v float8 NOT NULL, description text NOT NULL"
	[planted_rules]="antecedent_sku text NOT NULL, consequent_sku text NOT NULL,
		confidence float8 NOT NULL"
	[campaigns]="campaign_id int NOT NULL, name text NOT NULL, channel text NOT NULL,
		started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL"
	[campaign_truth]="campaign_id int NOT NULL, control_rate float8 NOT NULL,
		treatment_rate float8 NOT NULL"
	[funnel_truth]="from_stage text NOT NULL, to_stage text NOT NULL,
		p_continue float8 NOT NULL"
	[products]="product_id int NOT NULL, sku text NOT NULL, name text NOT NULL,
		category text NOT NULL, unit_price numeric(10,2) NOT NULL"
	[prospects]="prospect_id bigint NOT NULL, age int NOT NULL, income_k int NOT NULL,
		web_visits int NOT NULL, email_opens int NOT NULL, days_since_visit int NOT NULL,
		channel text NOT NULL, has_app boolean NOT NULL, converted boolean NOT NULL,
		first_year_spend numeric(12,2) NOT NULL"
	[prospect_truth]="model text NOT NULL, term text NOT NULL, feature text NOT NULL,
		level text, coefficient float8 NOT NULL"
	[customers]="customer_id bigint NOT NULL, name text NOT NULL, email text NOT NULL,
		country text NOT NULL, channel text NOT NULL, signup_at timestamptz NOT NULL,
		age int NOT NULL, annual_income_k int NOT NULL, spending_score int NOT NULL"
	[customer_truth]="customer_id bigint NOT NULL, true_group int NOT NULL,
		group_name text NOT NULL, lambda float8 NOT NULL, p_dropout float8 NOT NULL,
		dropped_out_at timestamptz, mean_order_value float8"
	[orders]="order_id bigint NOT NULL, customer_id bigint NOT NULL,
		ordered_at timestamptz NOT NULL, channel text NOT NULL,
		amount numeric(12,2) NOT NULL"
	[order_lines]="order_id bigint NOT NULL, line_no int NOT NULL,
		product_id int NOT NULL, quantity int NOT NULL,
		unit_price numeric(10,2) NOT NULL, amount numeric(12,2) NOT NULL,
		CHECK (quantity <> 0), CHECK (amount = quantity * unit_price)"
	[events]="event_id bigint NOT NULL, customer_id bigint NOT NULL,
		session_id bigint NOT NULL, event_type text NOT NULL
		CHECK (event_type IN ('view', 'cart', 'checkout', 'purchase')),
		product_id int, order_id bigint, occurred_at timestamptz NOT NULL"
	[campaign_members]="campaign_id int NOT NULL, customer_id bigint NOT NULL,
		grp text NOT NULL CHECK (grp IN ('treatment', 'control')),
		converted boolean NOT NULL, converted_at timestamptz"
	[channel_truth]="channel text NOT NULL, start_share float8 NOT NULL,
		p_convert float8 NOT NULL, p_leave float8 NOT NULL, next_share float8 NOT NULL,
		p_conversion float8 NOT NULL, removal_effect float8 NOT NULL,
		markov_share float8 NOT NULL"
	[campaign_spend_truth]="campaign_id int NOT NULL, offer_value float8 NOT NULL,
		spend_uplift float8 NOT NULL"
	[journeys]="journey_id bigint NOT NULL, customer_id bigint NOT NULL, order_id bigint,
		converted boolean NOT NULL, CHECK (converted = (order_id IS NOT NULL))"
	[touches]="journey_id bigint NOT NULL, touch_no int NOT NULL,
		touched_at timestamptz NOT NULL, channel text NOT NULL"
	[campaign_spend]="campaign_id int NOT NULL, customer_id bigint NOT NULL,
		pre_spend numeric(12,2) NOT NULL, spend numeric(12,2) NOT NULL"
)

s=$schema
# one loader script: create + \copy FREEZE + commit only if complete
write_loader() {
	local file=$1
	shift
	{
		echo "SET client_min_messages = warning;"
		echo "BEGIN;"
		local t
		for t in "$@"; do
			cat <<-EOF
				CREATE TABLE $s.$t (${ddl[$t]});
				\\copy $s.$t FROM '$work/data/$t.tsv' WITH (FREEZE)
				\\set rows :ROW_COUNT
				\\set expected \`cat '$work/data/$t.done' 2>/dev/null || echo -1\`
				SELECT :'expected'::bigint = :rows AS complete \\gset
				\\if :complete
				\\else
				  \\warn 'datagen output for $t is incomplete'
				  DO \$\$BEGIN RAISE EXCEPTION 'incomplete datagen output for table $t'; END\$\$;
				\\endif
				\\qecho $t :rows
			EOF
		done
		echo "COMMIT;"
	} >"$file"
}

mkdir "$work/sql"
write_loader "$work/sql/load_static.sql" "${static_tables[@]}"
for t in "${stream_tables[@]}"; do
	write_loader "$work/sql/load_$t.sql" "$t"
done

"${PSQL[@]}" <<-EOF
	SET client_min_messages = warning;
	DROP SCHEMA IF EXISTS $s CASCADE;
	CREATE SCHEMA $s;
	COMMENT ON SCHEMA $s IS 'synthetic retail data: test/datagen/generate.sh --customers $customers --seed $seed';
EOF

# ---------------------------------------------------------------- load
t_load=$EPOCHREALTIME
spawn "loader for the small tables" \
	"${PSQL[@]}" -f "$work/sql/load_static.sql" -o "$work/static.log"
for t in "${stream_tables[@]}"; do
	spawn "loader for $t" "${PSQL[@]}" -f "$work/sql/load_$t.sql" -o "$work/$t.log"
done
spawn datagen "$work/datagen" "${gen_args[@]}" --out "$work/data" \
	--tables "$(IFS=,; echo "${stream_tables[*]}")"
wait_all "load"
load_secs=$(elapsed "$t_load")

declare -A rows=()
while read -r t n; do
	rows[$t]=$n
done < <(cat "$work"/*.log)
for t in "${all_tables[@]}"; do
	[[ -n ${rows[$t]:-} ]] || die "no row count for $t"
done

# ---------------------------------------------------------------- keys
sess="SET client_min_messages = warning;
SET maintenance_work_mem = '512MB';"
t_keys=$EPOCHREALTIME
# Build every index with CREATE [UNIQUE] INDEX (SHARE lock: two builds on
# one table can run at once), biggest first, then turn the unique ones into
# primary keys with ADD PRIMARY KEY USING INDEX (instant).
idx() {
	# idx FILE STATEMENT...
	local f=$1
	shift
	printf '%s\n' "$sess" "$@" >"$work/sql/$f.sql"
}
idx k1_order_lines_product "CREATE INDEX order_lines_product_id_idx ON $s.order_lines (product_id);"
idx k2_events_pkey "CREATE UNIQUE INDEX events_pkey ON $s.events (event_id);"
idx k3_order_lines_pkey "CREATE UNIQUE INDEX order_lines_pkey ON $s.order_lines (order_id, line_no);"
idx k4_orders_pkey "CREATE UNIQUE INDEX orders_pkey ON $s.orders (order_id);"
idx k5_orders_customer "CREATE INDEX orders_customer_id_idx ON $s.orders (customer_id);"
idx k6_small \
	"CREATE UNIQUE INDEX customers_pkey ON $s.customers (customer_id);" \
	"CREATE UNIQUE INDEX customer_truth_pkey ON $s.customer_truth (customer_id);" \
	"CREATE UNIQUE INDEX campaign_members_pkey ON $s.campaign_members (campaign_id, customer_id);" \
	"ALTER TABLE $s.products ADD PRIMARY KEY (product_id), ADD UNIQUE (sku);" \
	"ALTER TABLE $s.group_truth ADD PRIMARY KEY (true_group);" \
	"ALTER TABLE $s.campaigns ADD PRIMARY KEY (campaign_id);" \
	"ALTER TABLE $s.campaign_truth ADD PRIMARY KEY (campaign_id);" \
	"ALTER TABLE $s.planted_rules ADD PRIMARY KEY (antecedent_sku, consequent_sku);" \
	"ALTER TABLE $s.funnel_truth ADD PRIMARY KEY (from_stage);" \
	"ALTER TABLE $s.channel_truth ADD PRIMARY KEY (channel);" \
	"ALTER TABLE $s.campaign_spend_truth ADD PRIMARY KEY (campaign_id);" \
	"ALTER TABLE $s.prospects ADD PRIMARY KEY (prospect_id);" \
	"ALTER TABLE $s.prospect_truth ADD PRIMARY KEY (model, term);"
idx k7_marketing \
	"CREATE UNIQUE INDEX touches_pkey ON $s.touches (journey_id, touch_no);" \
	"CREATE UNIQUE INDEX journeys_pkey ON $s.journeys (journey_id);" \
	"CREATE UNIQUE INDEX campaign_spend_pkey ON $s.campaign_spend (campaign_id, customer_id);"
run_parallel "indexes" "$work"/sql/k[0-9]_*.sql
"${PSQL[@]}" <<-EOF
	$sess
	ALTER TABLE $s.events ADD PRIMARY KEY USING INDEX events_pkey;
	ALTER TABLE $s.order_lines ADD PRIMARY KEY USING INDEX order_lines_pkey;
	ALTER TABLE $s.orders ADD PRIMARY KEY USING INDEX orders_pkey;
	ALTER TABLE $s.customers ADD PRIMARY KEY USING INDEX customers_pkey;
	ALTER TABLE $s.customer_truth ADD PRIMARY KEY USING INDEX customer_truth_pkey;
	ALTER TABLE $s.campaign_members ADD PRIMARY KEY USING INDEX campaign_members_pkey;
	ALTER TABLE $s.touches ADD PRIMARY KEY USING INDEX touches_pkey;
	ALTER TABLE $s.journeys ADD PRIMARY KEY USING INDEX journeys_pkey;
	ALTER TABLE $s.campaign_spend ADD PRIMARY KEY USING INDEX campaign_spend_pkey;
EOF

# Foreign keys: one session per referencing table.  Lock order always goes
# child -> parent and the reference graph has no cycle, so no deadlock.
cat >"$work/sql/f1_order_lines.sql" <<-EOF
	$sess
	ALTER TABLE $s.order_lines
	  ADD FOREIGN KEY (order_id) REFERENCES $s.orders,
	  ADD FOREIGN KEY (product_id) REFERENCES $s.products;
EOF
cat >"$work/sql/f2_orders.sql" <<-EOF
	$sess
	ALTER TABLE $s.orders ADD FOREIGN KEY (customer_id) REFERENCES $s.customers;
	ALTER TABLE $s.touches ADD FOREIGN KEY (journey_id) REFERENCES $s.journeys;
	ALTER TABLE $s.journeys
	  ADD FOREIGN KEY (customer_id) REFERENCES $s.customers,
	  ADD FOREIGN KEY (order_id) REFERENCES $s.orders;
EOF
cat >"$work/sql/f3_small.sql" <<-EOF
	$sess
	ALTER TABLE $s.campaign_members
	  ADD FOREIGN KEY (campaign_id) REFERENCES $s.campaigns,
	  ADD FOREIGN KEY (customer_id) REFERENCES $s.customers;
	ALTER TABLE $s.customer_truth
	  ADD FOREIGN KEY (customer_id) REFERENCES $s.customers,
	  ADD FOREIGN KEY (true_group) REFERENCES $s.group_truth;
	ALTER TABLE $s.campaign_truth ADD FOREIGN KEY (campaign_id) REFERENCES $s.campaigns;
	ALTER TABLE $s.campaign_spend_truth ADD FOREIGN KEY (campaign_id) REFERENCES $s.campaigns;
	ALTER TABLE $s.campaign_spend
	  ADD FOREIGN KEY (campaign_id, customer_id) REFERENCES $s.campaign_members;
	ALTER TABLE $s.planted_rules
	  ADD FOREIGN KEY (antecedent_sku) REFERENCES $s.products (sku),
	  ADD FOREIGN KEY (consequent_sku) REFERENCES $s.products (sku);
EOF
run_parallel "foreign keys" "$work"/sql/f[0-9]_*.sql
keys_secs=$(elapsed "$t_keys")

# ---------------------------------------------------------------- analyze
t_an=$EPOCHREALTIME
echo "ANALYZE $s.events;" >"$work/sql/a1_events.sql"
echo "ANALYZE $s.order_lines;" >"$work/sql/a2_order_lines.sql"
{
	for t in "${all_tables[@]}"; do
		[[ $t == events || $t == order_lines ]] || echo "ANALYZE $s.$t;"
	done
} >"$work/sql/a3_rest.sql"
run_parallel "analyze" "$work"/sql/a[0-9]_*.sql
an_secs=$(elapsed "$t_an")

# ---------------------------------------------------------------- summary
declare -A size=()
while IFS='|' read -r t sz; do
	size[$t]=$sz
done < <("${PSQL[@]}" -At -F '|' -c "SELECT relname, pg_size_pretty(pg_total_relation_size(oid))
	FROM pg_class WHERE relnamespace = '$s'::regnamespace AND relkind = 'r'")
total=0
for t in "${all_tables[@]}"; do
	printf '%s.%-18s %12d rows %10s\n' "$s" "$t" "${rows[$t]}" "${size[$t]:-?}"
	total=$((total + rows[$t]))
done
printf '%s: %d rows in %d tables, customers=%d seed=%s jobs=%d: %s s total (load %s s, keys %s s, analyze %s s)\n' \
	"$s" "$total" "${#all_tables[@]}" "$customers" "$seed" "$jobs" \
	"$(elapsed "$t_start")" "$load_secs" "$keys_secs" "$an_secs"
