#!/usr/bin/env bash
# Starts and stops the local stack: a private PostgreSQL cluster, the
# migrations and demo data, the ch-matcher worker pool, and Kore with the
# API module.
#
# usage: stack.sh run|up|down|matcher-start|matcher-stop|db-up|db-down|db-url|db-owner-url|db-admin-url|db-matcher-url|token
#
# Environment (all optional):
#   CH_RUN_DIR         where the cluster, pid files and logs live (.run)
#   CH_HOST, CH_PORT   where Kore listens (127.0.0.1, 8080)
#   CH_WORKERS         Kore worker processes (2)
#   CH_DATABASE_URL    use this database instead of a private cluster
#                      (or CH_DATABASE_URL_FILE, a file holding it)
#   CH_DATABASE_PASSWORD(_FILE)  the API's database password, for URLs
#                      without one (passed through to Kore)
#   CH_DATABASE_OWNER_URL  role that runs migrations and owns schema ch
#                      (required with CH_DATABASE_URL, and another role)
#   CH_DATABASE_ADMIN_URL  a superuser, for demo data with CH_DATABASE_URL
#                      (row-level security hides people from the owner)
#   CH_MATCHER_DATABASE_URL(_FILE)  the ch_matcher role for ch-matcher
#                      (required with CH_DATABASE_URL); and its password,
#                      CH_MATCHER_DATABASE_PASSWORD(_FILE): ch-matcher gets
#                      them as its CH_DATABASE_URL and CH_DATABASE_PASSWORD
#   CH_API_MODULE      the module to load (build/api.so)
#   CH_MATCHER_BIN     the ch-matcher binary (build/ch-matcher); its own
#                      CH_MATCHER_* variables pass through (see
#                      matcher/daemon/README.md)
#   CH_DEMO_DATA       load db/demo/*.sql (1)
#   CH_PG_FAST         throwaway cluster without fsync, for tests (0)
#   CH_JWT_SECRET      token signing secret (or CH_JWT_SECRET_FILE, a
#                      file holding it); generated under the run
#                      directory for development when neither is set
# Any CH_* variable the API reads may come from a file (X_FILE, README.md);
# the Kore configuration is rendered by scripts/render-conf.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
run_dir=$(mkdir -p "${CH_RUN_DIR:-$top/.run}" && cd "${CH_RUN_DIR:-$top/.run}" && pwd)
pg_bin=${CH_PG_BIN:-/usr/lib/postgresql/15/bin}
host=${CH_HOST:-127.0.0.1}
port=${CH_PORT:-8080}
workers=${CH_WORKERS:-2}
module=${CH_API_MODULE:-$top/build/release/api.so}
matcher=${CH_MATCHER_BIN:-$top/build/ch-matcher}
# Whether the caller brought a database (api_env exports one later), as a
# value or in a file.
given_db_url=${CH_DATABASE_URL:-}
given_db=${CH_DATABASE_URL:-${CH_DATABASE_URL_FILE:-}}

die() { echo "stack: $*" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# postgres system user. Its directory must be reachable by that user; when
# the checkout is not (a home directory with mode 0700), the cluster lives
# in a private directory under /var/tmp and the run directory links to it.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_root() {
	if [ -L "$run_dir/pg" ] || [ -d "$run_dir/pg" ]; then
		echo "$run_dir/pg"
		return
	fi
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 ||
		    die "no 'postgres' system user: install postgresql-15 (make deps)"
		if ! runuser -u postgres -- test -x "$run_dir"; then
			local alt
			alt=$(mktemp -d /var/tmp/ch-pg.XXXXXX)
			chmod 0755 "$alt"
			ln -s "$alt" "$run_dir/pg"
			chown postgres: "$alt"
			echo "$run_dir/pg"
			return
		fi
		mkdir -p "$run_dir/pg"
		chown postgres: "$run_dir/pg"
	else
		mkdir -p "$run_dir/pg"
	fi
	echo "$run_dir/pg"
}

local_url() {
	local root
	root=$(pg_root)
	echo "postgresql:///ch?host=$(cd "$root" && pwd -P)/sock&user=$1"
}

db_url() {
	if [ -n "${CH_DATABASE_URL:-}" ]; then
		echo "$CH_DATABASE_URL"
	elif [ -n "$given_db" ]; then
		die "CH_DATABASE_URL is in CH_DATABASE_URL_FILE"
	else
		local_url ch_app
	fi
}

# The worker pool's role: it may call the job functions and nothing else.
matcher_url() {
	if [ -n "${CH_MATCHER_DATABASE_URL:-}" ]; then
		echo "$CH_MATCHER_DATABASE_URL"
	elif [ -n "${CH_MATCHER_DATABASE_URL_FILE:-}" ]; then
		die "CH_MATCHER_DATABASE_URL is in CH_MATCHER_DATABASE_URL_FILE"
	elif [ -n "$given_db" ]; then
		die "CH_DATABASE_URL is set: set CH_MATCHER_DATABASE_URL too" \
		    "(the ch_matcher role, see README.md)"
	else
		local_url ch_matcher
	fi
}

# The owner runs the migrations. It must be another role than the API's:
# the API's role owns nothing, so row-level security binds it.
db_owner_url() {
	if [ -n "$given_db" ]; then
		[ -n "${CH_DATABASE_OWNER_URL:-}" ] ||
		    die "CH_DATABASE_URL is set: set CH_DATABASE_OWNER_URL to" \
		    "the role that owns schema ch (see README.md)"
		[ "$CH_DATABASE_OWNER_URL" != "$given_db_url" ] ||
		    die "CH_DATABASE_OWNER_URL must name another role than" \
		    "CH_DATABASE_URL (see README.md)"
		echo "$CH_DATABASE_OWNER_URL"
	else
		local_url ch_owner
	fi
}

# A superuser: demo data and tests write and read people, whom row-level
# security hides from every role without a caller, the owner included.
db_admin_url() {
	if [ -n "$given_db" ]; then
		[ -n "${CH_DATABASE_ADMIN_URL:-}" ] ||
		    die "CH_DATABASE_URL is set: demo data needs" \
		    "CH_DATABASE_ADMIN_URL (a superuser) or CH_DEMO_DATA=0"
		echo "$CH_DATABASE_ADMIN_URL"
	else
		local_url postgres
	fi
}

# pg_started: this command started the private cluster (so stops it).
pg_started=0
pg_start() {
	[ -n "$given_db" ] && return 0
	local root data sock
	root=$(cd "$(pg_root)" && pwd -P)
	data=$root/data
	sock=$root/sock
	if [ ! -f "$data/PG_VERSION" ]; then
		[ -x "$pg_bin/initdb" ] ||
		    die "PostgreSQL 15 is not installed (make deps)"
		as_pg mkdir -p "$sock"
		as_pg "$pg_bin/initdb" -D "$data" -U postgres -A trust \
		    -E UTF8 --locale=C.UTF-8 >"$run_dir/initdb.log" 2>&1 ||
		    die "initdb failed, see $run_dir/initdb.log"
		cat >>"$data/postgresql.conf" <<-CONF
		listen_addresses = ''
		unix_socket_directories = '$sock'
		max_connections = 100
		shared_buffers = 128MB
		log_min_messages = warning
		CONF
		if [ "${CH_PG_FAST:-0}" = 1 ]; then
			cat >>"$data/postgresql.conf" <<-CONF
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			CONF
		fi
	fi
	if ! as_pg "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		pg_started=1
		as_pg "$pg_bin/pg_ctl" -D "$data" -l "$root/postgresql.log" \
		    -w -t 60 start >/dev/null ||
		    die "PostgreSQL did not start, see $root/postgresql.log"
	fi
	# Roles and database (db/roles.sql, shared with the db image).
	psql -X -q -h "$sock" -U postgres -d postgres -v ON_ERROR_STOP=1 \
	    -f "$top/db/roles.sql"
}

# The private cluster (never a database the caller brought: api_env
# exports CH_DATABASE_URL for the private one too, so that is no sign).
pg_stop() {
	[ -n "$given_db" ] && return 0
	[ -e "$run_dir/pg/data/PG_VERSION" ] || return 0
	as_pg "$pg_bin/pg_ctl" -D "$(cd "$run_dir/pg" && pwd -P)/data" \
	    -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

db_setup() {
	pg_start
	"$top/scripts/migrate.sh" "$(db_owner_url)" "$top/db"
	if [ "${CH_DEMO_DATA:-1}" = 1 ] && [ "${CH_ENV:-}" = production ]; then
		echo "stack: CH_ENV=production: demo data (and its accounts) is" \
		    "not loaded" >&2
	elif [ "${CH_DEMO_DATA:-1}" = 1 ]; then
		# The demo organisations, offers and people live in real
		# towns: the reference places come first.
		local places=${CH_SHARED_DATA:-$top/../shared/data}/places-six-districts.csv
		if [ -f "$places" ]; then
			/usr/bin/python3 "$top/scripts/import_places.py" \
			    "$(db_owner_url)" "$places" >/dev/null ||
			    die "importing $places failed"
		fi
		# One transaction: accounts and the records they act for refer
		# to each other (deferred foreign keys).
		local f args=()
		for f in "$top"/db/demo/*.sql; do
			args+=(-f "$f")
		done
		psql "$(db_admin_url)" -X -q -v ON_ERROR_STOP=1 -1 "${args[@]}"
	fi
}

# The Kore configuration, after the configuration check.
render_conf() {
	CH_KORE_PIDFILE=$run_dir/kore.pid CH_HOST=$host CH_PORT=$port \
	    CH_WORKERS=$workers CH_API_MODULE=$module \
	    "$top/scripts/render-conf.sh" "$run_dir/api.conf" || exit 1
}

# Development convenience: a random signing secret kept in the run
# directory, so tokens survive restarts. Production must bring its own.
jwt_secret() {
	[ -n "${CH_JWT_SECRET:-}" ] && return 0
	[ -n "${CH_JWT_SECRET_FILE:-}" ] && return 0
	[ "${CH_JWT_ALG:-HS256}" = HS256 ] || return 0
	[ "${CH_ENV:-}" = production ] && return 0
	if [ ! -s "$run_dir/jwt-secret" ]; then
		(umask 077 && head -c 48 /dev/urandom | base64 -w0 \
		    >"$run_dir/jwt-secret")
	fi
	export CH_JWT_SECRET
	CH_JWT_SECRET=$(cat "$run_dir/jwt-secret")
}

api_env() {
	if [ -z "${CH_DATABASE_URL_FILE:-}" ]; then
		export CH_DATABASE_URL
		CH_DATABASE_URL=$(db_url)
	fi
	jwt_secret
}

# Prints an access token for the demo account of a role (and district),
# by signing in through the running API like any client would.
demo_token() {
	local role=${1:-} district=${2:-} email body
	[ "${CH_ENV:-}" = production ] &&
	    die "make token is for development: CH_ENV=production"
	case "$role" in
	state_admin) email=state_admin@demo.example ;;
	coordinator|assistant|organization|mentor|participant)
		[ -n "$district" ] || district=16051
		email=$role.$district@demo.example ;;
	*) die "usage: make token ROLE=state_admin|coordinator|assistant|organization|mentor|participant [DISTRICT=16051]" ;;
	esac
	body=$(curl -sS --fail-with-body -H 'content-type: application/json' \
	    -d "{\"email\":\"$email\",\"password\":\"connecting-humans-demo\"}" \
	    "http://$host:$port/v1/auth/token") ||
	    die "sign-in as $email failed (is the API running: make run or make up?): $body"
	echo "$body" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}

wait_ready() {
	local i
	for i in $(seq 1 100); do
		if curl -fsS -o /dev/null "http://$host:$port/readyz" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$1" 2>/dev/null; then
			die "Kore exited during start-up, see $run_dir/kore.log"
		fi
		sleep 0.1
	done
	die "the API did not become ready on $host:$port, see $run_dir/kore.log"
}

api_start() {
	api_env
	render_conf
	# LD_PRELOAD carries the sanitizer runtime into the un-instrumented
	# kore binary when the module was built with SAN=1.
	LD_PRELOAD=${CH_PRELOAD:-} setsid kore -f -n -r -c "$run_dir/api.conf" \
	    >>"$run_dir/kore.log" 2>&1 </dev/null &
	echo $! >"$run_dir/kore.launcher.pid"
	wait_ready $!
}

# The worker pool, in the background, logging to the run directory. Its
# database settings are CH_MATCHER_DATABASE_*, given to it as the
# CH_DATABASE_* it reads; the API's own never reach it.
matcher_start() {
	[ -x "$matcher" ] || die "$matcher is missing (make build)"
	local url=
	if [ -z "${CH_MATCHER_DATABASE_URL_FILE:-}" ] ||
	    [ -n "${CH_MATCHER_DATABASE_URL:-}" ]; then
		url=$(matcher_url)
	fi
	(
		unset CH_DATABASE_URL CH_DATABASE_URL_FILE \
		    CH_DATABASE_PASSWORD CH_DATABASE_PASSWORD_FILE
		if [ -n "$url" ]; then
			export CH_DATABASE_URL=$url
		else
			export CH_DATABASE_URL_FILE=$CH_MATCHER_DATABASE_URL_FILE
		fi
		if [ -n "${CH_MATCHER_DATABASE_PASSWORD:-}" ]; then
			export CH_DATABASE_PASSWORD=$CH_MATCHER_DATABASE_PASSWORD
		fi
		if [ -n "${CH_MATCHER_DATABASE_PASSWORD_FILE:-}" ]; then
			export CH_DATABASE_PASSWORD_FILE=$CH_MATCHER_DATABASE_PASSWORD_FILE
		fi
		exec setsid "$matcher"
	) >>"$run_dir/matcher.log" 2>&1 </dev/null &
	echo $! >"$run_dir/matcher.pid"
	sleep 0.2
	kill -0 "$(cat "$run_dir/matcher.pid")" 2>/dev/null ||
	    die "ch-matcher exited during start-up, see $run_dir/matcher.log"
}

# SIGTERM, five seconds to finish, then SIGKILL.
stop_pid() {
	local pid=$1
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
}

stop_pidfile() {
	[ -f "$1" ] || return 0
	stop_pid "$(cat "$1")"
	rm -f "$1"
}

api_stop() {
	local f
	for f in "$run_dir/kore.launcher.pid" "$run_dir/kore.pid" \
	    "$run_dir/matcher.pid"; do
		stop_pidfile "$f"
	done
}

# Stops what `make run` started, however it ends: Ctrl-C (SIGINT to Kore
# and this script alike), SIGTERM, Kore exiting, or a step that failed on
# the way up. ch-matcher and PostgreSQL run in sessions of their own
# (setsid, pg_ctl), which a Ctrl-C in the terminal does not reach. last
# is $! when the trap ran: a process started just before the signal came,
# whose pid was not noted yet. A cluster that was running already is left
# running.
run_stop() {
	local last=$1
	trap '' INT TERM	# a second Ctrl-C must not cut this short
	if [ -n "${kore_pid:-}" ]; then
		stop_pid "$kore_pid"
		rm -f "$run_dir/kore.pid"
	fi
	stop_pidfile "$run_dir/matcher.pid"
	if [ "$last" != "${kore_pid:-}" ]; then
		stop_pid "$last"
	fi
	if [ "$pg_started" = 1 ]; then
		pg_stop
	fi
}

case "${1:-}" in
run)
	kore_pid=
	trap 'run_stop "${!:-}"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	db_setup
	api_env
	render_conf
	cat <<-MSG
	Connecting Humans API on http://$host:$port  (Ctrl-C stops it)
	  curl http://$host:$port/v1/districts
	  curl 'http://$host:$port/v1/places?q=erfurt'
	In another terminal, a token for a demo account and a first call:
	  TOKEN=\$(make -s token ROLE=coordinator DISTRICT=16051)
	  curl -H "Authorization: Bearer \$TOKEN" http://$host:$port/v1/me
	MSG
	matcher_start
	LD_PRELOAD=${CH_PRELOAD:-} kore -f -n -r -c "$run_dir/api.conf" &
	kore_pid=$!
	wait "$kore_pid" || true
	;;
up)
	db_setup
	api_env
	# The configuration is checked before anything starts; a pool
	# started for an API that then fails to start is stopped again.
	render_conf
	trap 'stop_pidfile "$run_dir/matcher.pid"' EXIT
	matcher_start
	api_start
	trap - EXIT
	echo "stack: API on http://$host:$port, logs in $run_dir/kore.log" \
	    "and $run_dir/matcher.log"
	;;
down)
	api_stop
	pg_stop
	;;
matcher-start)
	api_env
	matcher_start
	;;
matcher-stop)
	stop_pidfile "$run_dir/matcher.pid"
	;;
db-up)
	db_setup
	;;
db-down)
	pg_stop
	;;
db-url)
	db_url
	;;
db-owner-url)
	db_owner_url
	;;
db-admin-url)
	db_admin_url
	;;
db-matcher-url)
	matcher_url
	;;
token)
	demo_token "${2:-}" "${3:-}"
	;;
*)
	echo "usage: stack.sh run|up|down|matcher-start|matcher-stop|db-up|db-down|db-url|db-owner-url|db-admin-url|db-matcher-url|token ROLE [DISTRICT]" >&2
	exit 2
	;;
esac
