# Shared set-up of the test command, the demo and the benchmarks: install what
# is missing, build and install the extension, run a throwaway cluster.
# Source it; it defines functions and variables, and runs nothing by itself.
#
# Settings (environment):
#   PG_MAJOR    PostgreSQL major version to use (default 15)
#   PG_CONFIG   pg_config of that installation (default /usr/lib/postgresql/$PG_MAJOR/bin/pg_config)
#   CRM_NO_APT  set to 1 to never call apt-get (then a missing package is an error)

CRM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
if [ -z "${PG_CONFIG:-}" ]; then
	if [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" ]; then
		PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
	else
		PG_CONFIG=pg_config
	fi
fi
export PG_CONFIG

crm_log() { printf '== %s\n' "$*" >&2; }
crm_die() { printf 'ERROR: %s\n' "$*" >&2; exit 2; }

# How to run a command as root: nothing when we are root, sudo when it works
# without a password, otherwise we cannot.
crm_sudo() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		return 127
	fi
}

# Install the Debian packages that are missing (server binaries, server
# headers, compiler) or say exactly what to install.
crm_install_deps() {
	local missing=() extra=("$@")
	[ -x "/usr/lib/postgresql/$PG_MAJOR/bin/initdb" ] || missing+=("postgresql-$PG_MAJOR")
	if ! { command -v "$PG_CONFIG" >/dev/null 2>&1 &&
		   [ -f "$("$PG_CONFIG" --includedir-server 2>/dev/null)/postgres.h" ] &&
		   [ -f "$("$PG_CONFIG" --pgxs 2>/dev/null)" ]; }; then
		missing+=("postgresql-server-dev-$PG_MAJOR")
	fi
	command -v make >/dev/null 2>&1 || missing+=(make)
	command -v gcc >/dev/null 2>&1 || missing+=(gcc)
	command -v psql >/dev/null 2>&1 || missing+=("postgresql-client-$PG_MAJOR")
	local p
	for p in "${extra[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "${CRM_NO_APT:-0}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
		crm_die "missing: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) and run again."
	fi
	crm_log "installing ${missing[*]} with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	if ! crm_sudo apt-get update -qq >/dev/null ||
	   ! crm_sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
		crm_die "could not install ${missing[*]}: run as root or with sudo, or install them yourself (sudo apt-get install ${missing[*]})."
	fi
	[ -x "$PG_CONFIG" ] || PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
	export PG_CONFIG
}

# Debian packages the tests need that are built per PostgreSQL major version,
# one name per line: pg_cron, for test/t/960_customer360_cron.sh.  Debian
# packages it for 15 (bookworm: 1.4.2), 17 (trixie: 1.6.5) and 18 (sid:
# 1.6.8); no postgresql-19-cron exists (neither sid nor experimental has
# one, and the mirror serves no pg-cron source package to build it from),
# so 19 gets none and that test runs the job without pg_cron there.
crm_version_packages() {
	case "$1" in
		15 | 17 | 18) echo "postgresql-$1-cron" ;;
	esac
}

# Build (warnings are errors) and install the extension.  With
# CRM_PRIVATE_INSTALL=1 (the test command and the benchmarks) the PostgreSQL
# installation is copied into the run's temporary directory and the extension
# is installed there only: the system installation is left as it was, and
# concurrent runs of different checkouts do not overwrite each other's build.
# PostgreSQL finds its share and lib directories relative to its executable,
# so the copy is a complete, relocated installation.
crm_build_install() {
	crm_log "building crm_analytics against $("$PG_CONFIG" --version)"
	# objects built against another installation (another version, or the
	# checked server's sanitizer flags) are not reused
	local stamp="$CRM_ROOT/.build-stamp" want
	want="$PG_CONFIG $("$PG_CONFIG" --version) $("$PG_CONFIG" --cflags)"
	[ "$(cat "$stamp" 2>/dev/null)" = "$want" ] ||
		make -C "$CRM_ROOT" -s PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
	make -C "$CRM_ROOT" -s PG_CONFIG="$PG_CONFIG" COPT=-Werror >/dev/null ||
		crm_die "the build failed"
	echo "$want" >"$stamp"
	CRM_PGBIN=$("$PG_CONFIG" --bindir)
	if [ "${CRM_PRIVATE_INSTALL:-0}" = 1 ]; then
		crm_tmp_init
		local inst=$CRM_TMP/inst d
		for d in "$("$PG_CONFIG" --bindir)" "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --sharedir)"; do
			mkdir -p "$inst$(dirname "$d")"
			[ -e "$inst$d" ] || cp -a "$d" "$inst$d" || crm_die "could not copy $d"
		done
		make -C "$CRM_ROOT" -s PG_CONFIG="$PG_CONFIG" DESTDIR="$inst" install >/dev/null ||
			crm_die "make install into $inst failed"
		CRM_PGBIN=$inst$CRM_PGBIN
	else
		crm_sudo make -C "$CRM_ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null ||
			crm_die "make install failed: run as root or with sudo, or run 'sudo make install' yourself"
	fi
}

# The run's private temporary directory (made once), removed on exit.
crm_tmp_init() {
	[ -n "${CRM_TMP:-}" ] && [ -d "$CRM_TMP" ] && return 0
	CRM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/crm_analytics.XXXXXX")
	chmod 755 "$CRM_TMP"
	trap crm_cluster_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Start a throwaway cluster in a private temporary directory, reachable only
# through a private Unix socket.  It is stopped and removed on exit, also when
# a test fails or the run is interrupted.  Exports PGHOST/PGPORT/PGUSER/PGDATABASE.
crm_cluster_start() {
	local bindir runas=()
	bindir=${CRM_PGBIN:-$("$PG_CONFIG" --bindir)}
	crm_tmp_init
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || crm_die "running as root needs the 'postgres' OS user (it comes with the postgresql-$PG_MAJOR package)"
		chown postgres: "$CRM_TMP"
		runas=(runuser -u postgres --)
	fi
	CRM_RUNAS=("${runas[@]}")
	CRM_PGBIN=$bindir
	# the server user may not be able to enter the current directory: run from ours
	( cd "$CRM_TMP" && "${runas[@]}" "$bindir/initdb" -D "$CRM_TMP/data" -A trust -U postgres -E UTF8 \
		--locale=C --no-sync >"$CRM_TMP/initdb.log" 2>&1 ) ||
		{ cat "$CRM_TMP/initdb.log" >&2; crm_die "initdb failed"; }
	cat >>"$CRM_TMP/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$CRM_TMP'
port = 54329
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_parallel_workers_per_gather = 2
jit = off
max_wal_size = 4GB
log_min_messages = warning
lc_messages = 'C'
CONF
	( cd "$CRM_TMP" && "${runas[@]}" "$bindir/pg_ctl" -D "$CRM_TMP/data" -l "$CRM_TMP/server.log" -w -t 60 start >/dev/null ) ||
		{ cat "$CRM_TMP/server.log" >&2; crm_die "the server did not start"; }
	export PGHOST=$CRM_TMP PGPORT=54329 PGUSER=postgres PGDATABASE=postgres
	crm_log "throwaway cluster running in $CRM_TMP"
}

crm_cluster_stop() {
	[ -n "${CRM_TMP:-}" ] && [ -d "$CRM_TMP" ] || return 0
	( cd "$CRM_TMP" && "${CRM_RUNAS[@]}" "$CRM_PGBIN/pg_ctl" -D "$CRM_TMP/data" -m immediate -w stop >/dev/null 2>&1 ) || true
	rm -rf "$CRM_TMP"
	CRM_TMP=
}

# Did pg_regress report test $1 as passed in its output $2?  Up to 15 it
# prints "test name ... ok" (or "     name ... ok" in a parallel group), from
# 16 on "ok N - name" (or "ok N + name").
crm_regress_passed() {
	grep -qE "^(test| ) *$1 +\.\.\. +ok( |\$)" "$2" ||
		grep -qE "^ok +[0-9]+ +[-+] +$1( |\$)" "$2"
}

# The server crashed, logged a PANIC, an assertion failure (TRAP, on an
# assertion-enabled server) or a sanitizer report during the run?
crm_server_log_problems() {
	[ -n "${CRM_TMP:-}" ] && [ -f "$CRM_TMP/server.log" ] || return 1
	grep -E "terminated by signal|PANIC|server process .* was terminated|server process .* exited with exit code|TRAP: |AddressSanitizer|LeakSanitizer|runtime error: " \
		"$CRM_TMP/server.log" | head -n 40 | grep .
}
