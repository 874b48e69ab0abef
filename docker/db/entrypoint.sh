#!/bin/bash
# The db image: PostgreSQL 15 with the project's roles.
#
# As primary (the default): an empty data volume is initialised first.
# On every start the roles are brought up to date (db/roles.sql) and their
# passwords set from the secret files, on a server that listens on a
# private socket only; then the real server starts. Rotating a password is
# therefore: change its file, restart db (and the services that use it).
#
# As replica (CH_DB_REPLICA_OF=host): an empty volume is filled with
# pg_basebackup from that primary, then the server runs as a hot standby.
# Its password for the primary is read from the secret file on every
# start, never stored in the volume.
#
# Sizing (CH_DB_MAX_CONNECTIONS, CH_DB_SHARED_BUFFERS) is passed to the
# server on every start, so a change takes effect with a restart.
set -euo pipefail
# PostgreSQL's messages become JSON lines like every service's.
[ "${1:-}" = --logged ] || exec /usr/lib/ch/jsonlog.sh db "$0" --logged
. /usr/lib/ch/secrets.sh

data=${PGDATA:?}
setup_sock=/tmp/setup
passfile=/tmp/replication.pgpass

conf() {
	cat >>"$data/postgresql.conf" <<-CONF
	# Connecting Humans (docker/db/entrypoint.sh)
	listen_addresses = '*'
	unix_socket_directories = '/tmp'
	password_encryption = scram-sha-256
	wal_level = replica
	max_wal_senders = 5
	hot_standby = on
	log_min_messages = warning
	log_line_prefix = '%m [%p] %q%u@%d '
	log_timezone = 'UTC'
	CONF
}

# Who may log in, rewritten on every start. The Docker host reaches the
# containers of an internal network through the network's gateway
# address: connections from there are refused, so only containers of the
# stack's networks can log in, with their passwords.
hba() {
	local reject=
	if [ -n "${CH_DB_REJECT_FROM:-}" ]; then
		reject="host    all          all            ${CH_DB_REJECT_FROM}/32  reject
host    replication  all            ${CH_DB_REJECT_FROM}/32  reject"
	fi
	cat >"$data/pg_hba.conf" <<-HBA
	# Written by docker/db/entrypoint.sh on every start.
	# TYPE  DATABASE     USER           ADDRESS   METHOD
	local   all          postgres                 peer
	$reject
	host    replication  ch_replicator  all       scram-sha-256
	host    all          all            all       scram-sha-256
	HBA
}

primary_init() {
	local pw
	secret CH_DB_SUPERUSER_PASSWORD pw
	log info db-init "initialising an empty data directory"
	(umask 077 && printf '%s\n' "$pw" >/tmp/pwfile)
	initdb -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
	    --auth-local=peer --auth-host=scram-sha-256 \
	    --pwfile=/tmp/pwfile >/dev/null
	rm -f /tmp/pwfile
	conf
}

# Roles and passwords, on a server nobody else can reach yet. Every
# secret is read (and a missing one stops the start) before anything is
# set: an empty password would clear a role's password.
primary_setup() {
	local super owner app matcher backup replicator
	secret CH_DB_SUPERUSER_PASSWORD super
	secret CH_DB_OWNER_PASSWORD owner
	secret CH_DB_APP_PASSWORD app
	secret CH_DB_MATCHER_PASSWORD matcher
	secret CH_DB_BACKUP_PASSWORD backup
	secret CH_DB_REPLICATOR_PASSWORD replicator
	mkdir -p "$setup_sock"
	pg_ctl -D "$data" -w -t 120 -l /tmp/setup.log \
	    -o "-c listen_addresses='' -c unix_socket_directories='$setup_sock'" \
	    start >/dev/null || { cat /tmp/setup.log; exit 1; }
	PW_SUPER=$super PW_OWNER=$owner PW_APP=$app PW_MATCHER=$matcher \
	PW_BACKUP=$backup PW_REPLICATOR=$replicator \
	psql -X -q -h "$setup_sock" -U postgres -d postgres -v ON_ERROR_STOP=1 \
	    -f /usr/share/ch/roles.sql -f - <<-'SQL'
	SELECT 'CREATE ROLE ch_backup LOGIN BYPASSRLS'
	    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ch_backup') \gexec
	SELECT 'CREATE ROLE ch_replicator LOGIN REPLICATION'
	    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ch_replicator') \gexec
	GRANT pg_read_all_data TO ch_backup;
	\getenv pw PW_SUPER
	ALTER ROLE postgres PASSWORD :'pw';
	\getenv pw PW_OWNER
	ALTER ROLE ch_owner PASSWORD :'pw';
	\getenv pw PW_APP
	ALTER ROLE ch_app PASSWORD :'pw';
	\getenv pw PW_MATCHER
	ALTER ROLE ch_matcher PASSWORD :'pw';
	\getenv pw PW_BACKUP
	ALTER ROLE ch_backup PASSWORD :'pw';
	\getenv pw PW_REPLICATOR
	ALTER ROLE ch_replicator PASSWORD :'pw';
	\unset pw
	SQL
	pg_ctl -D "$data" -w -t 120 -m fast stop >/dev/null
}

# The replica's password for the primary: a passfile in the tmpfs,
# written from the secret on every start.
replica_passfile() {
	local pw
	secret CH_DB_REPLICATOR_PASSWORD pw
	(umask 077 && printf '%s:5432:*:ch_replicator:%s\n' \
	    "$CH_DB_REPLICA_OF" "$pw" >"$passfile")
}

replica_init() {
	log info db-init "cloning the primary $CH_DB_REPLICA_OF"
	until PGPASSFILE=$passfile pg_basebackup -h "$CH_DB_REPLICA_OF" \
	    -U ch_replicator -D "$data" -X stream -c fast >/dev/null; do
		log warn db-init "the primary does not answer yet; retrying"
		rm -rf "${data:?}"/*
		sleep 2
	done
	touch "$data/standby.signal"
}

# Where the standby streams from, without a password in the volume.
replica_conf() {
	local conninfo="host=$CH_DB_REPLICA_OF port=5432 user=ch_replicator passfile=$passfile application_name=db-replica"
	sed -i '/^primary_conninfo/d' "$data/postgresql.auto.conf"
	printf "primary_conninfo = '%s'\n" "$conninfo" >>"$data/postgresql.auto.conf"
}

if [ -n "${CH_DB_REPLICA_OF:-}" ]; then
	replica_passfile
	[ -f "$data/PG_VERSION" ] || replica_init
	replica_conf
	hba
else
	[ -f "$data/PG_VERSION" ] || primary_init
	hba
	primary_setup
fi
log info db-start "starting PostgreSQL"
exec postgres -D "$data" \
    -c max_connections="${CH_DB_MAX_CONNECTIONS:-200}" \
    -c shared_buffers="${CH_DB_SHARED_BUFFERS:-256MB}"
