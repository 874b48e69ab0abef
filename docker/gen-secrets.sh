#!/usr/bin/env bash
# Makes the stack's secrets: one file per secret, random, readable by the
# containers' group (gid 10000) and nobody else. Existing files are kept,
# so running it again adds only what is missing.
#
# usage: gen-secrets.sh [DIR]   (DIR: $CH_SECRETS_DIR or ./secrets)
set -euo pipefail

dir=${1:-${CH_SECRETS_DIR:-$(dirname "$0")/secrets}}
names=(db_superuser_password db_owner_password db_app_password
    db_matcher_password db_backup_password db_replicator_password
    jwt_secret metrics_token)

umask 077
mkdir -p "$dir"
chmod 0750 "$dir"
for name in "${names[@]}"; do
	f=$dir/$name
	[ -s "$f" ] && continue
	# 48 random bytes, URL-safe base64: no characters that need quoting in
	# a connection string.
	head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$f"
	echo "gen-secrets: wrote $f"
done
if chgrp -R 10000 "$dir" 2>/dev/null; then
	chmod 0640 "$dir"/*
else
	echo "gen-secrets: cannot give the files to group 10000 (run as root);" \
	    "the containers' users cannot read them" >&2
	exit 1
fi
