# The version matrix of the test command: the whole suite on other PostgreSQL
# major versions, each inside a throwaway Debian root made with debootstrap
# from Debian's own packages.  Sourced by test/run-tests.sh for --pg; it
# defines functions and runs nothing by itself.
#
#   15  the host's PostgreSQL (the test command as it runs without --pg)
#   17  a trixie root: postgresql-17, postgresql-server-dev-17
#   18  a sid root: postgresql-18, postgresql-server-dev-18
#   19  the same sid root: postgresql-19, postgresql-server-dev-19 from experimental
# and the packages of each version that the tests need (crm_version_packages
# in common.sh: pg_cron for 17 and 18).
#
# A root holds the server, its headers, the compiler and the packages of
# test/apt-packages.txt.  Roots are cached between runs under CRM_ROOTS_DIR,
# one directory per suite and package list (the name ends with a hash of the
# list, so a changed list makes a new root and the old one is removed), and
# refreshed with apt when older than CRM_ROOT_MAX_AGE days.
#
# A run inside a root happens in namespaces of its own (mount, PID, IPC):
# the checkout (read-only), ../shared (read-only) and a scratch directory of
# the host are bind-mounted into it, and the test command runs there on a
# copy of the checkout, so the host's build and files are never touched.
# When the run ends, however it ends (failure, Ctrl-C, SIGTERM), the kernel
# removes the mounts and stops every process of the namespace, the throwaway
# cluster included; the scratch directory is removed by the trap here.
#
# Settings (environment):
#   CRM_ROOTS_DIR      cache of the roots (default /var/cache/crm_analytics/roots)
#   CRM_ROOT_MAX_AGE   days after which a cached root is refreshed (default 7)
#   CRM_DEBIAN_MIRROR  Debian mirror (default: the host's apt source for Debian,
#                      else http://deb.debian.org/debian)

CRM_MATRIX_VERSIONS=(17 18 19)
CRM_ROOTS_DIR=${CRM_ROOTS_DIR:-/var/cache/crm_analytics/roots}
CRM_ROOT_MAX_AGE=${CRM_ROOT_MAX_AGE:-7}
# bump when the way a root is made changes, so that cached roots are remade
CRM_ROOT_FORMAT=1

crm_matrix_loud() {
	printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	printf '!!! %s\n' "$@" >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

# seconds as 1m05s
crm_matrix_dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# The Debian mirror: CRM_DEBIAN_MIRROR, else the host's apt source for the
# Debian archive (not its security archive), else deb.debian.org.
crm_matrix_mirror() {
	if [ -n "${CRM_DEBIAN_MIRROR:-}" ]; then
		echo "${CRM_DEBIAN_MIRROR%/}"; return
	fi
	local m
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs: *//p' | tr ' ' '\n' | grep -E '^https?://.*/debian/?$' | head -n 1)
	[ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }')
	m=${m:-http://deb.debian.org/debian}
	echo "${m%/}"
}

# Can the mirror serve this suite?  (Its signed Release file answers.)
crm_matrix_mirror_ok() {
	local url
	url="$(crm_matrix_mirror)/dists/$1/InRelease"
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -m 30 -o /dev/null "$url" 2>/dev/null
	elif command -v wget >/dev/null 2>&1; then
		wget -q -T 30 -O /dev/null "$url"
	else
		return 0	# nothing to ask with: debootstrap will tell
	fi
}

# The Debian suite whose root runs a version.
crm_matrix_suite() {
	case "$1" in
		17) echo trixie ;;
		18 | 19) echo sid ;;
		*) return 1 ;;
	esac
}

# The packages a root of a suite holds, one per line (name/release picks the
# release for that package only).  Both 18 and 19 live in the sid root: 19
# comes from experimental, with the libpq of its own version.
crm_matrix_packages() {
	printf '%s\n' make gcc libc6-dev
	grep -v '^#' "$CRM_ROOT/test/apt-packages.txt" 2>/dev/null | grep -v '^ *$'
	case "$1" in
		trixie) printf '%s\n' postgresql-17 postgresql-server-dev-17
			crm_version_packages 17 ;;
		sid) printf '%s\n' postgresql-18 postgresql-server-dev-18 \
			postgresql-19/experimental postgresql-server-dev-19/experimental \
			postgresql-client-19/experimental libpq5/experimental libpq-dev/experimental
			crm_version_packages 18
			crm_version_packages 19 ;;
	esac
}

# The cached root of a suite: its directory name says the suite and a hash
# of what it is made of.
crm_matrix_root_dir() {
	local key
	key=$( { echo "format $CRM_ROOT_FORMAT"; echo "suite $1"; crm_matrix_packages "$1" | sort; } |
		sha256sum | cut -c1-12)
	echo "$CRM_ROOTS_DIR/$1-$key"
}

# Run a command in the background and wait for it, so that the traps of
# crm_matrix_main can stop it (its pid is in CRM_MATRIX_NS_PID meanwhile, and
# the signal that stops it in CRM_MATRIX_NS_SIG: unshare ignores SIGTERM, and
# SIGKILL of unshare makes its --kill-child take the whole namespace down).
# unshare runs under setpriv --pdeathsig KILL: if this shell is killed
# outright, unshare and its namespace go as well.
# With --log FILE, its output goes to FILE and is shown as it comes.
crm_matrix_bg() {
	local log= rc tail_pid=
	if [ "$1" = --log ]; then log=$2; shift 2; fi
	CRM_MATRIX_NS_SIG=TERM
	[ "$1" = setpriv ] && CRM_MATRIX_NS_SIG=KILL
	if [ -n "$log" ]; then
		: >"$log"
		"$@" >"$log" 2>&1 &
		CRM_MATRIX_NS_PID=$!
		tail -n +1 -f --pid="$CRM_MATRIX_NS_PID" "$log" &
		tail_pid=$!
	else
		"$@" &
		CRM_MATRIX_NS_PID=$!
	fi
	wait "$CRM_MATRIX_NS_PID"
	rc=$?
	CRM_MATRIX_NS_PID=
	[ -n "$tail_pid" ] && wait "$tail_pid"
	return $rc
}

# Run a command inside a root, in new mount, PID and IPC namespaces.
# CRM_NS_BINDS lists extra bind mounts, one "source target ro|rw" a line
# (target inside the root).  When the command ends, or unshare is killed
# (--kill-child), the namespaces go and with them every mount and process.
crm_matrix_chroot() {
	local log=() root
	if [ "$1" = --log ]; then log=(--log "$2"); shift 2; fi
	root=$1
	shift
	CRM_NS_BINDS=${CRM_NS_BINDS:-} crm_matrix_bg "${log[@]}" setpriv --pdeathsig KILL unshare --mount --pid --ipc --kill-child --propagation private \
		/bin/bash -c '
		set -e
		r=$1; shift
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs -o mode=1777,size=4g shm "$r/dev/shm"
		while read -r src dst mode; do
			[ -n "$src" ] || continue
			mkdir -p "$r$dst"
			mount --bind "$src" "$r$dst"
			[ "$mode" = rw ] || mount -o remount,bind,ro "$r$dst"
		done <<<"$CRM_NS_BINDS"
		set +e
		chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
	' crm-ns "$root" "$@"
}

# The apt set-up of a root: sources, no recommends, no Valid-Until check (the
# Release files of sid and experimental may be past it on a mirror), no
# documentation, no service started by a package.
crm_matrix_configure_root() {
	local dir=$1 suite=$2 mirror
	mirror=$(crm_matrix_mirror)
	{
		echo "deb $mirror $suite main"
		[ "$suite" = sid ] && echo "deb $mirror experimental main"
	} >"$dir/etc/apt/sources.list"
	cat >"$dir/etc/apt/apt.conf.d/90crm_analytics" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Check-Valid-Until "false";
Acquire::Retries "3";
EOF
	cat >"$dir/etc/dpkg/dpkg.cfg.d/90crm_analytics" <<'EOF'
force-unsafe-io
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
EOF
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 755 "$dir/usr/sbin/policy-rc.d"
	cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

# Install (or bring up to date) the root's packages.  postgresql-common comes
# first, so that installing a server creates no cluster.
crm_matrix_apt_root() {
	local dir=$1 suite=$2 pkgs
	pkgs=$(crm_matrix_packages "$suite" | tr '\n' ' ')
	crm_matrix_configure_root "$dir" "$suite"
	crm_matrix_chroot "$dir" /bin/bash -ec "
		apt-get -q update
		apt-get -y -q dist-upgrade
		apt-get -y -q install postgresql-common
		sed -i 's/^#* *create_main_cluster *=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
		apt-get -y -q install $pkgs
		apt-get clean
	"
}

# Make a root from scratch.
crm_matrix_make_root() {
	local dir=$1 suite=$2 tmp=$1.new
	rm -rf --one-file-system "$tmp"
	CRM_MATRIX_MAKING=$tmp	# removed by crm_matrix_cleanup if the run stops half-way
	if ! command -v debootstrap >/dev/null 2>&1; then
		crm_log "installing debootstrap with apt-get"
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap; } >/dev/null ||
			{ echo "could not install debootstrap" >&2; return 1; }
	fi
	crm_log "debootstrap $suite into $tmp"
	crm_matrix_bg setpriv --pdeathsig KILL unshare --mount --pid --kill-child --propagation private \
		debootstrap --variant=minbase --components=main "$suite" "$tmp" "$(crm_matrix_mirror)" \
		>"$CRM_MATRIX_TMP/debootstrap-$suite.log" 2>&1 ||
		{ tail -n 30 "$CRM_MATRIX_TMP/debootstrap-$suite.log" >&2; [ -f "$tmp/debootstrap/debootstrap.log" ] &&
			tail -n 30 "$tmp/debootstrap/debootstrap.log" >&2; return 1; }
	crm_log "installing $(crm_matrix_packages "$suite" | tr '\n' ' ')into the $suite root"
	crm_matrix_apt_root "$tmp" "$suite" >"$CRM_MATRIX_TMP/apt-$suite.log" 2>&1 ||
		{ tail -n 40 "$CRM_MATRIX_TMP/apt-$suite.log" >&2; return 1; }
	crm_matrix_packages "$suite" >"$tmp/.crm_analytics_root"
	mv "$tmp" "$dir"
	CRM_MATRIX_MAKING=
}

# Have the root of a suite ready (made, or refreshed when stale), holding
# its lock (file descriptor 8) until the run in it ends.  Returns 0 ready,
# 2 when the mirror cannot be reached and no root is cached, 1 on failure.
# Sets CRM_MATRIX_ROOT and CRM_MATRIX_ROOT_NOTE (what it took).
crm_matrix_ready_root() {
	local suite=$1 dir start old
	dir=$(crm_matrix_root_dir "$suite")
	mkdir -p "$CRM_ROOTS_DIR"
	exec 8>"$CRM_ROOTS_DIR/$suite.lock"
	if ! flock -w 3600 8; then
		echo "the $suite root stayed locked by another run for an hour" >&2; return 1
	fi
	start=$(date +%s)
	CRM_MATRIX_ROOT=$dir
	if [ -f "$dir/.crm_analytics_root" ]; then
		if [ -n "$(find "$dir/.crm_analytics_root" -mtime +"$CRM_ROOT_MAX_AGE" 2>/dev/null)" ]; then
			if crm_matrix_mirror_ok "$suite" && crm_matrix_apt_root "$dir" "$suite" >"$CRM_MATRIX_TMP/apt-$suite.log" 2>&1; then
				touch "$dir/.crm_analytics_root"
				CRM_MATRIX_ROOT_NOTE="cached root refreshed with apt in $(crm_matrix_dur $(($(date +%s) - start)))"
			else
				crm_matrix_loud "could not refresh the $suite root (older than $CRM_ROOT_MAX_AGE days): running in it as it is"
				CRM_MATRIX_ROOT_NOTE="cached root, refresh failed"
			fi
		else
			CRM_MATRIX_ROOT_NOTE="cached root"
		fi
		return 0
	fi
	if ! crm_matrix_mirror_ok "$suite"; then
		crm_matrix_loud "the Debian mirror $(crm_matrix_mirror) cannot be reached for $suite" \
			"and no $suite root is cached in $CRM_ROOTS_DIR: skipped"
		return 2
	fi
	crm_matrix_make_root "$dir" "$suite" || { echo "could not make the $suite root" >&2; return 1; }
	# roots of the same suite made of another package list are not used any more
	for old in "$CRM_ROOTS_DIR/$suite"-*; do
		[ -d "$old" ] && [ "$old" != "$dir" ] || continue
		crm_log "removing the outdated root $old"
		rm -rf --one-file-system "$old"
	done
	CRM_MATRIX_ROOT_NOTE="root made in $(crm_matrix_dur $(($(date +%s) - start)))"
}

crm_matrix_release_root() { exec 8>&-; }

# Stop what a run started: its namespaces, a root it was making, its scratch
# directory.
crm_matrix_cleanup() {
	if [ -n "${CRM_MATRIX_NS_PID:-}" ]; then
		kill -"${CRM_MATRIX_NS_SIG:-TERM}" "$CRM_MATRIX_NS_PID" 2>/dev/null
		wait "$CRM_MATRIX_NS_PID" 2>/dev/null
		CRM_MATRIX_NS_PID=
	fi
	[ -n "${CRM_MATRIX_MAKING:-}" ] && rm -rf --one-file-system "$CRM_MATRIX_MAKING"
	CRM_MATRIX_MAKING=
	[ -n "${CRM_MATRIX_TMP:-}" ] && rm -rf --one-file-system "$CRM_MATRIX_TMP"
	CRM_MATRIX_TMP=
}

# The suite of one version inside its root.  Shows the test command's output
# as it comes and keeps it in $CRM_MATRIX_TMP/log-VERSION.
crm_matrix_run_in_root() {
	local version=$1 scratch shared rc pass
	shift
	scratch=$(mktemp -d "$CRM_MATRIX_TMP/run-$version.XXXXXX")
	chmod 1777 "$scratch"
	CRM_NS_BINDS="$CRM_ROOT /crm/checkout ro
$scratch /tmp rw"
	shared=$(readlink -f "$CRM_ROOT/../shared" 2>/dev/null)
	[ -n "$shared" ] && [ -d "$shared" ] && CRM_NS_BINDS+="
$shared /crm/shared ro"
	# the test command's own settings (CRM_TEST_VERBOSE, ...) go in with it
	mapfile -t pass < <(env | grep -E '^CRM_TEST_[A-Z_]*=')
	# a copy of the checkout without its build products; ../shared beside it
	CRM_NS_BINDS=$CRM_NS_BINDS crm_matrix_chroot --log "$CRM_MATRIX_TMP/log-$version" "$CRM_MATRIX_ROOT" \
		"${pass[@]}" /bin/bash -c '
		set -e
		v=$1; shift
		mkdir -p /tmp/crm/crm_analytics
		tar -C /crm/checkout --exclude=./.git -cf - . | tar -C /tmp/crm/crm_analytics -xf -
		[ -d /crm/shared ] && ln -s /crm/shared /tmp/crm/shared
		cd /tmp/crm/crm_analytics
		make -s clean PG_CONFIG=/usr/lib/postgresql/$v/bin/pg_config >/dev/null
		set +e
		PG_MAJOR=$v CRM_NO_APT=1 TMPDIR=/tmp bash test/run-tests.sh "$@"
	' crm-run "$version" "$@"
	rc=$?
	rm -rf --one-file-system "$scratch"
	return $rc
}

# "N passed, M failed[, K skipped]" of a run's log as "N M K", or nothing.
crm_matrix_counts() {
	grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" 2>/dev/null | tail -n 1 |
		sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/' |
		awk '{ print $1, $2, ($3 == "" ? 0 : $3) }'
}

# --pg VERSION|all|V,V,...: run the suite on those versions, print per-version
# results with their timings, and end with one "N passed, M failed" line
# over all of them.  The other arguments go to each run as they are.
crm_matrix_main() {
	local which=$1 versions=() v rc start secs counts note status
	local total_p=0 total_f=0 total_s=0 failed_versions=() lines=()
	shift
	local one
	for one in ${which//,/ }; do
		case "$one" in
			all) versions+=(15 "${CRM_MATRIX_VERSIONS[@]}") ;;
			15 | 17 | 18 | 19) versions+=("$one") ;;
			16) crm_die "no Debian package ships PostgreSQL 16: the matrix runs 15, 17, 18 and 19 (see the README)" ;;
			*) crm_die "--pg takes 15, 17, 18, 19, all or a comma-separated list of versions, not '$one'" ;;
		esac
	done
	[ ${#versions[@]} -gt 0 ] || crm_die "--pg takes 15, 17, 18, 19, all or a comma-separated list of versions"
	if [ "${versions[*]}" != 15 ] && [ "$(id -u)" != 0 ]; then
		crm_die "the matrix makes Debian roots (debootstrap, chroot, mounts): run it as root"
	fi
	CRM_MATRIX_TMP=$(mktemp -d "${TMPDIR:-/tmp}/crm_matrix.XXXXXX")
	trap crm_matrix_cleanup EXIT
	trap 'crm_matrix_cleanup; exit 130' INT
	trap 'crm_matrix_cleanup; exit 143' TERM
	for v in "${versions[@]}"; do
		start=$(date +%s)
		note=
		if [ "$v" = 15 ]; then
			crm_log "PostgreSQL 15: the host"
			crm_matrix_bg --log "$CRM_MATRIX_TMP/log-$v" bash "$CRM_ROOT/test/run-tests.sh" "$@"
			rc=$?
			note="host"
		else
			crm_log "PostgreSQL $v: $(crm_matrix_suite "$v") root"
			crm_matrix_ready_root "$(crm_matrix_suite "$v")"
			rc=$?
			if [ $rc -eq 2 ]; then
				crm_matrix_release_root
				lines+=("$(printf 'PostgreSQL %-3s SKIPPED: the Debian mirror cannot be reached' "$v")")
				continue
			elif [ $rc -ne 0 ]; then
				crm_matrix_release_root
				lines+=("$(printf 'PostgreSQL %-3s FAILED: no root to run in (%s)' "$v" "$(crm_matrix_dur $(($(date +%s) - start)))")")
				failed_versions+=("$v"); total_f=$((total_f + 1))
				continue
			fi
			note=$CRM_MATRIX_ROOT_NOTE
			local suite_start
			suite_start=$(date +%s)
			crm_matrix_run_in_root "$v" "$@"
			rc=$?
			crm_matrix_release_root
			note+=", suite $(crm_matrix_dur $(($(date +%s) - suite_start)))"
		fi
		secs=$(($(date +%s) - start))
		counts=$(crm_matrix_counts "$CRM_MATRIX_TMP/log-$v")
		if [ -z "$counts" ]; then
			# the run ended before counting (the build failed, for one)
			counts="0 1 0"
		fi
		read -r p f s <<<"$counts"
		[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
		total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
		if [ $rc -eq 0 ]; then status=ok; else status=FAILED; failed_versions+=("$v"); fi
		lines+=("$(printf 'PostgreSQL %-3s %-6s %3d passed, %d failed, %d skipped  %s (%s)' \
			"$v" "$status" "$p" "$f" "$s" "$(crm_matrix_dur "$secs")" "$note")")
	done
	echo
	echo "================ PostgreSQL version matrix ================"
	printf '%s\n' "${lines[@]}"
	[ ${#failed_versions[@]} -gt 0 ] && echo "failed on PostgreSQL ${failed_versions[*]}"
	echo "$total_p passed, $total_f failed, $total_s skipped"
	[ ${#failed_versions[@]} -eq 0 ] || return 1
	# a single version asked for and not run: say so in the exit status too
	[ ${#versions[@]} -eq 1 ] && [ "$total_p" -eq 0 ] && return 77
	return 0
}
