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
	# 64 characters drawn uniformly from 40 (about 340 bits): digits and
	# the letters without vowels, q, s, w, x, y and z. Nothing needs
	# quoting anywhere, and no value can contain a word or keyboard walk
	# that the API's weak-secret check refuses ("todo", "xxxx", "3edc",
	# ...), which plain base64 does about once in a few thousand.
	value=$(head -c 4096 /dev/urandom |
	    LC_ALL=C tr -dc 'bcdfghjklmnprtvBCDFGHJKLMNPRTV0123456789')
	[ "${#value}" -ge 64 ] || { echo "gen-secrets: /dev/urandom ran dry" >&2; exit 1; }
	printf '%s\n' "${value:0:64}" >"$f"
	echo "gen-secrets: wrote $f"
done
if chgrp -R 10000 "$dir" 2>/dev/null; then
	chmod 0640 "$dir"/*
else
	echo "gen-secrets: cannot give the files to group 10000 (run as root);" \
	    "the containers' users cannot read them" >&2
	exit 1
fi
