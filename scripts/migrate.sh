#!/usr/bin/env bash
# Brings a database to the schema of this checkout, in one transaction.
#
# State and code are kept apart (db/README.md):
#   1. db/migrations/NNNN_*.sql: tables, indexes, types and data moves,
#      applied once each, in order. Version and checksum are recorded in
#      public.schema_migrations; an applied migration whose file changed is
#      refused (only the checksums listed in db/migrations/REBASED, one
#      rewrite before the first deployment, are accepted instead).
#   2. db/functions/*.sql in name order, then db/policies.sql: functions,
#      triggers and policies, each file the one current source of what it
#      defines, written to be applied again (CREATE OR REPLACE). A file is
#      applied when its checksum differs from the one recorded in
#      public.schema_code, and every file when a migration was applied.
#      Bodies are checked after all files are in, so the files need no
#      order among themselves.
#   3. db/privileges.sql, every grant, whenever anything else was applied
#      or it changed itself.
# Concurrent runners queue on an advisory lock; the loser finds the work
# done. Re-running applies nothing. A database that applied a migration
# this checkout lacks (a newer release's) is refused.
#
# usage: migrate.sh OWNER_DATABASE_URL [DB_DIR]
set -euo pipefail

url=${1:?usage: migrate.sh OWNER_DATABASE_URL [DB_DIR]}
dir=$(cd "${2:-$(dirname "$0")/../db}" && pwd)
psql=(psql "$url" -X -q -v ON_ERROR_STOP=1)

case $dir in
*\'*) echo "migrate: $dir: a path with a quote is not supported" >&2; exit 2 ;;
esac

# What this database recorded (nothing yet on a new one). A failed read
# stops the script (set -e), rather than looking like a new database.
declare -A applied=() recorded=()
read_records() {
	local exists
	exists=$("${psql[@]}" -At -c "SELECT to_regclass('public.$1') IS NOT NULL")
	[ "$exists" = t ] || return 0
	"${psql[@]}" -At -c "SELECT $2 FROM public.$1"
}
rows=$(read_records schema_migrations 'version, checksum')
while IFS='|' read -r v sum; do
	[ -n "$v" ] && applied[$v]=$sum
done <<<"$rows"
rows=$(read_records schema_code 'file, checksum')
while IFS='|' read -r f sum; do
	[ -n "$f" ] && recorded[$f]=$sum
done <<<"$rows"

# A database that applied a migration this checkout does not have is
# newer than the checkout: its code files would put older functions
# over a newer schema.
for v in "${!applied[@]}"; do
	if ! compgen -G "$dir/migrations/$(printf '%04d' "$v")_*.sql" \
	    >/dev/null; then
		echo "migrate: the database has migration $v, which this" \
		    "checkout does not: it belongs to a newer release." >&2
		echo "migrate: run that release's scripts/migrate.sh, or" \
		    "restore a backup taken before it." >&2
		exit 1
	fi
done

checksum() { sha256sum "$1" | cut -d' ' -f1; }

# The script for psql, built below: every step re-checks under the lock.
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<'SQL'
SET client_min_messages = warning;
SELECT pg_advisory_xact_lock(727001) AS locked \gset
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS public.schema_code (
    file        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
\set migrated f
\set changed f
SQL

pending=0
for file in "$dir"/migrations/[0-9][0-9][0-9][0-9]_*.sql; do
	[ -e "$file" ] || continue
	name=$(basename "$file" .sql)
	version=$((10#${name:0:4}))
	sum=$(checksum "$file")
	was=${applied[$version]:-}

	if [ -n "$was" ] && [ "$was" != "$sum" ]; then
		if grep -Eq "^$version +$was +$sum\$" \
		    "$dir/migrations/REBASED" 2>/dev/null; then
			echo "UPDATE public.schema_migrations SET checksum = '$sum'" \
			    "WHERE version = $version AND checksum = '$was';" \
			    >>"$script"
			echo "migrate: $name.sql is the rewritten text of an" \
			    "applied migration (db/migrations/REBASED)"
			continue
		fi
		echo "migrate: $name.sql was changed after it was applied" \
		    "(checksum ${was:0:12}... now ${sum:0:12}...)." >&2
		echo "migrate: applied migrations are never edited; add a new one." >&2
		exit 1
	fi
	[ -z "$was" ] || continue
	pending=$((pending + 1))
	cat >>"$script" <<SQL
SELECT count(*) > 0 AS already FROM public.schema_migrations
    WHERE version = $version \gset
\if :already
\else
\i '$file'
INSERT INTO public.schema_migrations (version, name, checksum)
    VALUES ($version, '$name', '$sum');
\echo migrate: applied $name
\set migrated t
\set changed t
\endif
SQL
done

# A code file is applied when it changed or when a migration ran.
code_step() {
	local file=$1 key=${1#"$dir"/} sum
	sum=$(checksum "$1")
	if [ "${recorded[$key]:-}" = "$sum" ] && [ "$pending" -eq 0 ]; then
		return
	fi
	cat >>"$script" <<SQL
SELECT :'migrated'::boolean OR NOT EXISTS (SELECT 1 FROM public.schema_code
    WHERE file = '$key' AND checksum = '$sum') AS apply \gset
\if :apply
\i '$file'
INSERT INTO public.schema_code (file, checksum) VALUES ('$key', '$sum')
    ON CONFLICT (file) DO UPDATE SET checksum = EXCLUDED.checksum,
    applied_at = now();
\echo migrate: applied $key
\set changed t
\endif
SQL
}

echo 'SET check_function_bodies = off;' >>"$script"
for file in "$dir"/functions/*.sql "$dir/policies.sql"; do
	code_step "$file"
done
cat >>"$script" <<'SQL'
SET check_function_bodies = on;
\if :changed
SELECT count(*) AS checked FROM (
    SELECT CASE l.lanname WHEN 'plpgsql' THEN plpgsql_validator(p.oid)
        ELSE fmgr_sql_validator(p.oid) END
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
    WHERE p.pronamespace = 'ch'::regnamespace
        AND l.lanname IN ('plpgsql', 'sql')) v \gset
\endif
SQL

# privileges.sql: when anything was applied, or when it changed itself.
sum=$(checksum "$dir/privileges.sql")
cat >>"$script" <<SQL
SELECT :'changed'::boolean OR NOT EXISTS (SELECT 1 FROM public.schema_code
    WHERE file = 'privileges.sql' AND checksum = '$sum') AS apply \gset
\if :apply
\i '$dir/privileges.sql'
INSERT INTO public.schema_code (file, checksum)
    VALUES ('privileges.sql', '$sum')
    ON CONFLICT (file) DO UPDATE SET checksum = EXCLUDED.checksum,
    applied_at = now();
\echo migrate: applied privileges.sql
\set changed t
\endif
\if :changed
\else
\echo migrate: schema is up to date
\endif
SQL

"${psql[@]}" -1 -f "$script"
