#!/usr/bin/env bash
# Applies db/migrations/NNNN_*.sql in order, each in one transaction, and
# records version and checksum in public.schema_migrations. Re-running
# applies nothing new; an applied migration whose file changed is refused.
# Then db/privileges.sql, the one place of every grant, is applied again.
#
# usage: migrate.sh OWNER_DATABASE_URL [MIGRATIONS_DIR]
set -euo pipefail

url=${1:?usage: migrate.sh OWNER_DATABASE_URL [MIGRATIONS_DIR]}
dir=${2:-$(dirname "$0")/../db/migrations}
psql=(psql "$url" -X -q -v ON_ERROR_STOP=1)

"${psql[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON public.schema_migrations TO ch_app;
SQL

declare -A applied=()
while IFS='|' read -r v sum; do
	[ -n "$v" ] && applied[$v]=$sum
done < <("${psql[@]}" -At -c 'SELECT version, checksum FROM public.schema_migrations')

count=0
for file in "$dir"/[0-9][0-9][0-9][0-9]_*.sql; do
	[ -e "$file" ] || continue
	name=$(basename "$file" .sql)
	version=$((10#${name:0:4}))
	sum=$(sha256sum "$file" | cut -d' ' -f1)

	if [ -n "${applied[$version]:-}" ]; then
		if [ "${applied[$version]}" != "$sum" ]; then
			echo "migrate: $name.sql was changed after it was applied" \
			    "(checksum ${applied[$version]:0:12}... now ${sum:0:12}...)." >&2
			echo "migrate: applied migrations are never edited; add a new one." >&2
			exit 1
		fi
		continue
	fi

	# The advisory lock serialises concurrent runners; the re-check under
	# the lock makes the loser skip instead of failing.
	"${psql[@]}" -1 -f - -v version="$version" -v name="$name" -v sum="$sum" <<SQL
SET client_min_messages = warning;
SELECT pg_advisory_xact_lock(727001) AS locked \gset
SELECT count(*) > 0 AS already FROM public.schema_migrations
    WHERE version = :'version' \gset
\if :already
\else
\i $file
INSERT INTO public.schema_migrations (version, name, checksum)
    VALUES (:'version', :'name', :'sum');
\endif
SQL
	echo "migrate: applied $name"
	count=$((count + 1))
done
[ "$count" -gt 0 ] || echo "migrate: schema is up to date"

"${psql[@]}" -1 -f "$dir/../privileges.sql"
