#!/bin/bash
# The migrate image: a one-shot container for the database chores of ops.
#
#   migrate                  (the default) apply the migrations and the
#                            database code of this release, then exit 0;
#                            with CH_DEMO_DATA=1 outside production, load
#                            the demo data as well (with the reference
#                            places from /places/places-six-districts.csv)
#   create-state-admin EMAIL create the first state admin account and
#                            print its password once
#   import-places FILE       load reference places (a CSV; the folder
#                            CH_PLACES_DIR is mounted at /places)
#
# Connections: CH_DATABASE_OWNER_URL (the role that owns schema ch) and
# CH_DATABASE_ADMIN_URL (a superuser: row-level security hides people from
# every other role), with passwords from CH_DATABASE_OWNER_PASSWORD(_FILE)
# and CH_DATABASE_ADMIN_PASSWORD(_FILE).
set -euo pipefail
# The messages of psql and migrate.sh become JSON lines (not those of
# the commands run by hand: create-state-admin prints a password once, to
# the terminal, not into the log).
if [ "${1:-migrate}" = migrate ]; then
	exec /usr/lib/ch/jsonlog.sh migrate "$0" --logged migrate
fi
[ "${1:-}" = --logged ] && shift
. /usr/lib/ch/secrets.sh

db=/usr/share/ch/db
places=${CH_DEMO_PLACES:-/places/places-six-districts.csv}

owner_url=${CH_DATABASE_OWNER_URL:?CH_DATABASE_OWNER_URL is not set}
admin_url=${CH_DATABASE_ADMIN_URL:-}

as_owner() {
	local pw
	secret CH_DATABASE_OWNER_PASSWORD pw
	PGPASSWORD=$pw "$@"
}

as_admin() {
	local pw
	[ -n "$admin_url" ] || { echo "CH_DATABASE_ADMIN_URL is not set" >&2; exit 1; }
	secret CH_DATABASE_ADMIN_PASSWORD pw
	PGPASSWORD=$pw "$@"
}

demo_data() {
	local f args=()
	if [ "${CH_ENV:-production}" = production ]; then
		log warn demo-data "CH_ENV=production: demo data (and its accounts) is not loaded"
		return 0
	fi
	if as_admin psql "$admin_url" -X -At -c \
	    "SELECT 1 FROM ch.app_user WHERE email = 'state_admin@demo.example'" |
	    grep -q 1; then
		log info demo-data "already loaded"
		return 0
	fi
	# The demo organisations, offers and people live in real towns.
	[ -r "$places" ] || { log error demo-data "demo data needs the reference places: $places is missing (CH_PLACES_DIR, see README.md)"; exit 1; }
	as_owner python3 /usr/lib/ch/import_places.py "$owner_url" "$places" >/dev/null
	for f in "$db"/demo/*.sql; do
		args+=(-f "$f")
	done
	as_admin psql "$admin_url" -X -q \
	    -v ON_ERROR_STOP=1 -1 "${args[@]}"
	log info demo-data "loaded"
}

create_state_admin() {
	local email=${1:-} password hash
	[[ "$email" =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]] || {
		echo "usage: create-state-admin EMAIL" >&2; exit 2; }
	password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
	# Argon2id with the parameters the API uses (libsodium's interactive
	# limits: 64 MiB, 2 passes); the API verifies any Argon2id hash.
	hash=$(printf '%s' "$password" |
	    argon2 "$(head -c 16 /dev/urandom | base64)" -id -t 2 -k 65536 -p 1 -e)
	CH_EMAIL=$email CH_HASH=$hash as_admin psql \
	    "$admin_url" -X -q -v ON_ERROR_STOP=1 <<-'SQL'
	\getenv email CH_EMAIL
	\getenv hash CH_HASH
	INSERT INTO ch.app_user (email, password_hash, role, locale)
	VALUES (:'email', :'hash', 'state_admin', 'de');
	SQL
	log info create-state-admin "a state admin account was created"
	printf 'State admin %s, password (shown once): %s\n' "$email" "$password"
}

case "${1:-migrate}" in
migrate)
	as_owner /usr/lib/ch/migrate.sh "$owner_url" "$db"
	[ "${CH_DEMO_DATA:-0}" = 1 ] && demo_data
	log info migrate "the database is at the schema of this release"
	;;
create-state-admin)
	create_state_admin "${2:-}"
	;;
import-places)
	[ -r "${2:-}" ] || { echo "usage: import-places FILE (mounted into the container)" >&2; exit 2; }
	as_owner python3 /usr/lib/ch/import_places.py "$owner_url" "$2"
	;;
*)
	echo "usage: migrate | create-state-admin EMAIL | import-places FILE" >&2
	exit 2
	;;
esac
