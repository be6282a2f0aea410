# The memory-checking server of `test/run-tests.sh --checked` and
# test/fuzz/run.sh: PostgreSQL 15 from Debian's own source package, built with
# assertions (--enable-cassert) and with AddressSanitizer and
# UndefinedBehaviorSanitizer compiled into the server itself, so that the
# sanitizer runtime is the first library of the executable.  The extension is
# built with the CFLAGS of that pg_config, so it is instrumented too.
# Source it after common.sh; it defines functions and runs nothing by itself.
#
# Why the server is instrumented and not just the extension: AddressSanitizer
# must be loaded first; preloading libasan into Debian's binary server hangs
# at startup (../shared/notes/memory-checking.md), while a server compiled
# with -fsanitize=address starts and runs normally.  With assertions on,
# PostgreSQL also wipes freed palloc chunks and checks memory contexts, which
# catches use-after-free inside a memory context that ASan cannot see.
#
# The build is cached outside the checkout, keyed by the source version and a
# hash of the configure line:
#   $CRM_CHECKED_CACHE (default /var/cache/crm_analytics, or
#   ~/.cache/crm_analytics when that is not writable)/pg15-checked-<version>-<hash>
# A complete build there is reused; CRM_CHECKED_REBUILD=1 builds again.
#
# Settings: CRM_CHECKED_CACHE, CRM_CHECKED_REBUILD, CRM_CHECKED_JOBS (make -j,
# default the number of cores).

CRM_CHECKED_CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined"
CRM_CHECKED_CONFIGURE=(--enable-cassert --enable-debug --without-readline --without-icu
	--without-zlib --without-llvm)

# Sanitizer settings for every process of the run (server, initdb, psql):
# - detect_leaks=0: PostgreSQL frees memory by deleting memory contexts and
#   leaves the rest to process exit; the leak checker only reports that.
# - AddressSanitizer stops the process at the first error with abort(): the
#   postmaster logs the signal with the statement the backend was running
#   (a plain exit code 1 would pass for an ordinary FATAL exit).
# - UndefinedBehaviorSanitizer prints a report with a stack and carries on, so
#   that one run collects every report; the log check fails the run on any.
# - reports go to stderr, which is the server log.
crm_checked_env() {
	# the checked server runs the suite 3 to 5 times slower: tests that time
	# a cancel or a limit multiply their bounds by this
	export CRM_TEST_TIME_FACTOR=${CRM_TEST_TIME_FACTOR:-8}
	export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:print_summary=1:detect_odr_violation=0${CRM_ASAN_EXTRA:+:$CRM_ASAN_EXTRA}"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0:print_summary=1${CRM_UBSAN_EXTRA:+:$CRM_UBSAN_EXTRA}"
}

# Where cached builds live.
crm_checked_cache_root() {
	local root=${CRM_CHECKED_CACHE:-/var/cache/crm_analytics}
	if ! mkdir -p "$root" 2>/dev/null || [ ! -w "$root" ]; then
		root=${XDG_CACHE_HOME:-$HOME/.cache}/crm_analytics
		mkdir -p "$root" || crm_die "cannot create a cache directory for the checked server"
	fi
	chmod 755 "$root" 2>/dev/null || true
	echo "$root"
}

# A private apt configuration that knows Debian's source packages, so that the
# system's sources.list is left as it is.  Prints the apt-get options.
crm_checked_apt_opts() {
	local dir=$1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	local suite
	suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-bookworm}")
	cat >"$dir/sources.list" <<SRC
deb-src http://deb.debian.org/debian $suite main
deb-src http://deb.debian.org/debian-security $suite-security main
deb-src http://deb.debian.org/debian $suite-updates main
SRC
	echo "-o Dir::Etc::SourceList=$dir/sources.list -o Dir::Etc::SourceParts=- -o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
}

# Download and unpack Debian's source of postgresql-$PG_MAJOR into $1; prints
# the version.  Tries the newest version first: the security archive has been
# seen to list a version whose files it no longer serves.
crm_checked_fetch_source() {
	local work=$1 opts versions v
	opts=$(crm_checked_apt_opts "$work/apt")
	# shellcheck disable=SC2086
	apt-get -qq $opts update >"$work/apt-update.log" 2>&1 ||
		{ cat "$work/apt-update.log" >&2; crm_die "apt-get update (Debian sources) failed"; }
	# shellcheck disable=SC2086
	versions=$(apt-cache $opts showsrc "postgresql-$PG_MAJOR" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -u | sort -r -V)
	[ -n "$versions" ] || crm_die "no source package postgresql-$PG_MAJOR in Debian's sources"
	for v in $versions; do
		# shellcheck disable=SC2086
		if (cd "$work" && apt-get -qq $opts source --download-only "postgresql-$PG_MAJOR=$v" \
				>"$work/apt-source.log" 2>&1); then
			local orig
			orig=$(ls "$work"/postgresql-"$PG_MAJOR"_"${v%%-*}".orig.tar.* 2>/dev/null | head -n 1)
			[ -n "$orig" ] || continue
			(cd "$work" && tar xf "$orig") || crm_die "could not unpack $orig"
			echo "$v"
			return 0
		fi
		crm_log "source $v not downloadable, trying an older one"
	done
	cat "$work/apt-source.log" >&2
	crm_die "could not download the source of postgresql-$PG_MAJOR"
}

# Find or build the checked server; sets PG_CONFIG to its pg_config.
crm_checked_server() {
	local root key dir v work start
	# every program of that build (pg_config too) runs with these settings
	crm_checked_env
	command -v bzip2 >/dev/null 2>&1 || crm_install_deps bzip2
	root=$(crm_checked_cache_root)
	key=$(printf '%s\n' "$PG_MAJOR" "${CRM_CHECKED_CONFIGURE[*]}" "$CRM_CHECKED_CFLAGS" "$(gcc -dumpfullversion)" |
		sha1sum | cut -c1-10)
	exec 8>"$root/.lock"
	flock 8
	dir=$(ls -d "$root"/pg"$PG_MAJOR"-checked-*-"$key" 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$dir" ] && [ -f "$dir/.complete" ] && [ "${CRM_CHECKED_REBUILD:-0}" != 1 ]; then
		crm_log "checked server: $(cat "$dir/.complete") (cached in $dir)"
	else
		start=$(date +%s)
		work=$(mktemp -d "$root/build.XXXXXX")
		crm_log "building the checked server (PostgreSQL $PG_MAJOR, cassert + ASan + UBSan) in $work: about 8 minutes on 2 idle cores"
		v=$(crm_checked_fetch_source "$work") || exit 2
		dir=$root/pg$PG_MAJOR-checked-${v%%-*}-$key
		rm -rf "$dir"
		(
			cd "$work"/postgresql-"${v%%-*}" &&
			./configure --prefix="$dir" "${CRM_CHECKED_CONFIGURE[@]}" \
				CFLAGS="$CRM_CHECKED_CFLAGS" LDFLAGS="-fsanitize=address,undefined" >"$work/configure.log" 2>&1 &&
			make -s -j"${CRM_CHECKED_JOBS:-$(nproc)}" >"$work/make.log" 2>&1 &&
			make -s install >>"$work/make.log" 2>&1
		) || { tail -n 40 "$work"/*.log >&2; crm_die "building the checked server failed (logs in $work)"; }
		chmod -R a+rX "$dir"
		echo "PostgreSQL ${v} (Debian source), ${CRM_CHECKED_CONFIGURE[*]} CFLAGS=\"$CRM_CHECKED_CFLAGS\"" >"$dir/.complete"
		rm -rf "$work"
		crm_log "checked server built in $(( $(date +%s) - start )) s: $dir"
	fi
	exec 8>&-
	PG_CONFIG=$dir/bin/pg_config
	export PG_CONFIG
	crm_checked_env
}
