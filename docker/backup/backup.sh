#!/bin/bash
# The backup image: pg_dump of database ch into /backup, with retention.
#
#   schedule       (the default) a dump now, then one every
#                  CH_BACKUP_INTERVAL seconds (86400), keeping the newest
#                  CH_BACKUP_KEEP dumps (14)
#   now            one dump, then exit
#   list           the dumps, newest first
#   health         healthy when the newest dump is younger than the
#                  interval plus an hour (the container's healthcheck)
#   restore NAME|latest
#                  replace database ch by a dump (run as the restore
#                  service: it needs the superuser, CH_RESTORE_ADMIN_URL
#                  without a database name; stop api and matcher first,
#                  see README.md)
#
# Dumps are pg_dump's custom format, written to a .partial file and renamed
# when complete, so a dump that exists is whole. They hold personal data:
# the volume must be protected like the database itself.
set -euo pipefail
. /usr/lib/ch/secrets.sh

dir=${CH_BACKUP_DIR:-/backup}
interval=${CH_BACKUP_INTERVAL:-86400}
keep=${CH_BACKUP_KEEP:-14}

die() { log error backup "$*"; exit 1; }

[[ "$interval" =~ ^[0-9]+$ ]] && [ "$interval" -ge 60 ] ||
    die "CH_BACKUP_INTERVAL must be a number of seconds, at least 60"
[[ "$keep" =~ ^[0-9]+$ ]] && [ "$keep" -ge 1 ] ||
    die "CH_BACKUP_KEEP must be a number, at least 1"

dump() {
	local name tmp size
	name=ch-$(date -u +%Y%m%dT%H%M%SZ).dump
	tmp=$dir/.$name.partial
	if ! PGPASSWORD=$(secret CH_BACKUP_PASSWORD) pg_dump \
	    "$(secret CH_BACKUP_DATABASE_URL)" -Fc -Z 6 -f "$tmp" 2>/tmp/pg_dump.err; then
		rm -f "$tmp"
		log error backup "pg_dump failed: $(head -c 300 /tmp/pg_dump.err | tr '\n' ' ')"
		return 1
	fi
	mv "$tmp" "$dir/$name"
	size=$(stat -c %s "$dir/$name")
	log info backup "wrote $name ($size bytes)"
	# Retention: the newest $keep dumps stay.
	ls -1 "$dir"/ch-*.dump 2>/dev/null | sort -r | tail -n +$((keep + 1)) |
	while read -r old; do
		rm -f "$old"
		log info backup-retention "removed $(basename "$old")"
	done
}

newest() {
	ls -1 "$dir"/ch-*.dump 2>/dev/null | sort -r | head -n 1
}

restore() {
	local name=${1:-} file url
	[ -n "$name" ] || die "usage: restore NAME|latest"
	if [ "$name" = latest ]; then
		file=$(newest)
	else
		file=$dir/$(basename "$name")
	fi
	[ -n "$file" ] && [ -f "$file" ] || die "no dump $name in $dir"
	url=$(secret CH_RESTORE_ADMIN_URL)
	export PGPASSWORD
	PGPASSWORD=$(secret CH_RESTORE_ADMIN_PASSWORD)
	log info restore "restoring $(basename "$file")"
	psql "$url/postgres" -X -q -v ON_ERROR_STOP=1 <<-'SQL'
	SET client_min_messages = warning;
	DROP DATABASE IF EXISTS ch WITH (FORCE);
	CREATE DATABASE ch OWNER ch_owner;
	SQL
	pg_restore --exit-on-error --single-transaction -d "$url/ch" "$file"
	log info restore "restored $(basename "$file")"
}

case "${1:-schedule}" in
schedule)
	trap 'exit 0' TERM INT
	while :; do
		dump || log warn backup "the next attempt is in ${interval}s"
		sleep "$interval" &
		wait $!
	done
	;;
now)
	dump
	;;
list)
	ls -1 "$dir"/ch-*.dump 2>/dev/null | sort -r | xargs -r -n1 basename
	;;
health)
	f=$(newest)
	[ -n "$f" ] || exit 1
	[ $(( $(date +%s) - $(stat -c %Y "$f") )) -le $((interval + 3600)) ]
	;;
restore)
	restore "${2:-}"
	;;
*)
	echo "usage: schedule | now | list | health | restore NAME|latest" >&2
	exit 2
	;;
esac
