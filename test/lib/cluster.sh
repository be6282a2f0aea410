# Extra throwaway clusters for the test scripts that need a server of their
# own (pg_cron preloaded, a primary with a streaming standby).  Source it
# from a test script; it defines functions and runs nothing by itself.
#
# Each cluster lives in $TEST_TMPDIR/<name>: data directory, log and a
# private Unix socket (no TCP), made with the binaries of the run's private
# installation (CRM_PGBIN, exported by test/run-tests.sh, which holds the
# extension).  When the script runs as root the server runs as the postgres
# OS user, as the main throwaway cluster does.  Every cluster started here
# is stopped on exit, however the script ends (failure, Ctrl-C, SIGTERM from
# the test command's timeout).
#
#   crm_tc_init NAME PORT [postgresql.conf lines...]   initdb and configure
#   crm_tc_start NAME / crm_tc_stop NAME
#   crm_tc_psql NAME [psql arguments...]              psql -X on its socket
#   crm_tc_env NAME                                   PGHOST=... PGPORT=... for env(1)
#   crm_tc_log_problems NAME                          crash lines of its log, if any

CRM_TC_BIN=${CRM_PGBIN:-$(pg_config --bindir)}
CRM_TC_STARTED=()
CRM_TC_RUNAS=()
[ "$(id -u)" = 0 ] && CRM_TC_RUNAS=(runuser -u postgres --)

crm_tc_dir() { echo "$TEST_TMPDIR/$1"; }
crm_tc_port() { cat "$(crm_tc_dir "$1")/port"; }

# Run a server binary as the server's OS user, from a directory it can enter.
crm_tc_run() {
	(cd "$TEST_TMPDIR" && "${CRM_TC_RUNAS[@]}" "$@")
}

crm_tc_init() {
	local name=$1 port=$2 dir line
	shift 2
	dir=$(crm_tc_dir "$name")
	mkdir -p "$dir"
	[ ${#CRM_TC_RUNAS[@]} -gt 0 ] && chown postgres: "$dir"
	echo "$port" >"$dir/port"
	crm_tc_run "$CRM_TC_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "port = $port"
		echo "fsync = off"
		echo "shared_buffers = 64MB"
		echo "max_parallel_workers_per_gather = 0"
		echo "jit = off"
		echo "log_min_messages = warning"
		echo "lc_messages = 'C'"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
}

crm_tc_start() {
	local dir
	dir=$(crm_tc_dir "$1")
	crm_tc_run "$CRM_TC_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 30 "$dir/server.log"; return 1; }
	CRM_TC_STARTED+=("$1")
}

crm_tc_stop() {
	local dir
	dir=$(crm_tc_dir "$1")
	[ -f "$dir/data/postmaster.pid" ] || return 0
	crm_tc_run "$CRM_TC_BIN/pg_ctl" -D "$dir/data" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1
}

crm_tc_cleanup() {
	local name
	for name in "${CRM_TC_STARTED[@]}"; do crm_tc_stop "$name" immediate; done
	CRM_TC_STARTED=()
}
trap crm_tc_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

crm_tc_env() {
	echo "PGHOST=$(crm_tc_dir "$1")" "PGPORT=$(crm_tc_port "$1")" PGUSER=postgres
}

crm_tc_psql() {
	local name=$1
	shift
	PGHOST=$(crm_tc_dir "$name") PGPORT=$(crm_tc_port "$name") PGUSER=postgres PGDATABASE=${CRM_TC_DB:-postgres} \
		"$CRM_TC_BIN/psql" -X "$@"
}

crm_tc_log_problems() {
	grep -E "terminated by signal|PANIC|server process .* was terminated|TRAP: |AddressSanitizer|runtime error: " \
		"$(crm_tc_dir "$1")/server.log" | head -n 20 | grep .
}

# A streaming standby of a running cluster: pg_basebackup over its socket
# (WAL streamed, recovery settings written with -R), then its own socket
# and port.  Start it with crm_tc_start.
crm_tc_standby() {
	local name=$1 primary=$2 port=$3 dir
	dir=$(crm_tc_dir "$name")
	mkdir -p "$dir"
	[ ${#CRM_TC_RUNAS[@]} -gt 0 ] && chown postgres: "$dir"
	echo "$port" >"$dir/port"
	crm_tc_run "$CRM_TC_BIN/pg_basebackup" -h "$(crm_tc_dir "$primary")" -p "$(crm_tc_port "$primary")" -U postgres \
		-D "$dir/data" -X stream -R --checkpoint=fast >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log"; return 1; }
	{
		echo "unix_socket_directories = '$dir'"
		echo "port = $port"
		echo "hot_standby = on"
	} >>"$dir/data/postgresql.conf"
}
