#!/bin/bash
# The backup image: pg_dump of database ch into /backup, with retention.
#
#   schedule       (the default) one dump every CH_BACKUP_INTERVAL seconds
#                  (86400), the first at start unless the newest dump is
#                  younger; keeps the newest CH_BACKUP_KEEP dumps (14)
#   now            one dump, then exit
#   list           the dumps, newest first
#   health         healthy when the newest dump is younger than the
#                  interval plus an hour (the container's healthcheck)
#   restore NAME|latest
#                  replace database ch by a dump (run as the restore
#                  service: it needs the superuser, CH_RESTORE_ADMIN_URL
#                  without a database name; stop api and matcher first,
#                  see README.md). The replaced database stays as
#                  ch_previous.
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
	local name tmp size pw url
	secret CH_BACKUP_PASSWORD pw
	url=${CH_BACKUP_DATABASE_URL:?CH_BACKUP_DATABASE_URL is not set}
	# What a dump killed half-way left behind.
	find "$dir" -maxdepth 1 -name '.ch-*.dump.partial' -mmin +60 -delete
	name=ch-$(date -u +%Y%m%dT%H%M%SZ).dump
	tmp=$dir/.$name.partial
	if ! PGPASSWORD=$pw pg_dump "$url" -Fc -Z 6 -f "$tmp" 2>/tmp/pg_dump.err; then
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

# Seconds since the newest dump was written (a large number when none).
age() {
	local f
	f=$(newest)
	[ -n "$f" ] || { echo 999999999; return; }
	echo $(( $(date +%s) - $(stat -c %Y "$f") ))
}

newest() {
	ls -1 "$dir"/ch-*.dump 2>/dev/null | sort -r | head -n 1
}

# Into a new database first: the one in use is replaced only when the
# dump restored completely, and kept as ch_previous until the next restore
# (drop it when the restored data is checked).
restore() {
	local name=${1:-} file url pw
	[ -n "$name" ] || die "usage: restore NAME|latest"
	if [ "$name" = latest ]; then
		file=$(newest)
	else
		file=$dir/$(basename "$name")
	fi
	[ -n "$file" ] && [ -f "$file" ] || die "no dump $name in $dir"
	url=${CH_RESTORE_ADMIN_URL:?CH_RESTORE_ADMIN_URL is not set}
	secret CH_RESTORE_ADMIN_PASSWORD pw
	export PGPASSWORD=$pw
	log info restore "restoring $(basename "$file") into ch_restore"
	psql "$url/postgres" -X -q -v ON_ERROR_STOP=1 <<-'SQL'
	SET client_min_messages = warning;
	DROP DATABASE IF EXISTS ch_restore WITH (FORCE);
	CREATE DATABASE ch_restore OWNER ch_owner;
	SQL
	if ! pg_restore --exit-on-error --single-transaction -d "$url/ch_restore" \
	    "$file"; then
		psql "$url/postgres" -X -q -c 'DROP DATABASE ch_restore'
		die "the dump did not restore; database ch is unchanged"
	fi
	psql "$url/postgres" -X -q -v ON_ERROR_STOP=1 <<-'SQL'
	SET client_min_messages = warning;
	DROP DATABASE IF EXISTS ch_previous WITH (FORCE);
	\o /dev/null
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE datname = 'ch' AND pid <> pg_backend_pid();
	\o
	ALTER DATABASE ch RENAME TO ch_previous;
	ALTER DATABASE ch_restore RENAME TO ch;
	SQL
	log info restore "restored $(basename "$file"); the replaced database is ch_previous"
}

case "${1:-schedule}" in
schedule)
	trap 'exit 0' TERM INT
	while :; do
		# A restart does not cost a dump of the history: the first one
		# waits until the newest is as old as the interval.
		wait_s=$((interval - $(age)))
		if [ "$wait_s" -gt 0 ]; then
			sleep "$wait_s" &
			wait $!
		fi
		dump || { log warn backup "the next attempt is in 5 minutes"; sleep 300 & wait $!; }
	done
	;;
now)
	dump
	;;
list)
	ls -1 "$dir"/ch-*.dump 2>/dev/null | sort -r | xargs -r -n1 basename
	;;
health)
	[ "$(age)" -le $((interval + 3600)) ]
	;;
restore)
	restore "${2:-}"
	;;
*)
	echo "usage: schedule | now | list | health | restore NAME|latest" >&2
	exit 2
	;;
esac
