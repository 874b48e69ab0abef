#!/usr/bin/env bash
# Renders the Kore configuration of the API to OUT, after the configuration
# check. The one renderer: scripts/stack.sh (make run, make up, the tests)
# and the container image both use it. Needs bash, sed and coreutils only.
#
# usage: render-conf.sh OUT
#
# Environment:
#   CH_KORE_PIDFILE        where Kore writes its pid (required)
#   CH_HOST, CH_PORT       where Kore listens (127.0.0.1, 8080; port 1-65535)
#   CH_WORKERS             Kore worker processes (2; 1-64)
#   CH_PG_CONN_MAX         PostgreSQL connections per worker (2; 1-100)
#   CH_SECCOMP_TRACING     1 logs blocked syscalls instead of killing the
#                          worker (0)
#   CH_API_MODULE          the module (<top>/build/release/api.so)
#   CH_CONFIG_CHECK        the configuration check, run first with this
#                          environment (<top>/build/ch-config-check)
#   CH_KORE_CONF_TEMPLATE  the template (conf/api.conf.in next to this
#                          script's folder)
# plus every variable the configuration check reads (README.md).
#
# These values go into the file Kore reads, not through the X_FILE rule:
# CH_PORT_FILE and the like are refused here rather than silently ignored.
# Exit status: 0 rendered, 1 refused (a message on stderr), 2 usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

die() { echo "render-conf: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || {
	echo "usage: render-conf.sh OUT" >&2
	exit 2
}
out=$1

# An integer from $2 to $3, digits only (no sign, no leading zero).
check_int() {
	local name=$1 min=$2 max=$3 v=$4
	case $v in
	''|*[!0-9]*|0?*) die "$name must be a number from $min to $max" ;;
	esac
	[ "${#v}" -le 6 ] && [ "$v" -ge "$min" ] && [ "$v" -le "$max" ] ||
	    die "$name must be a number from $min to $max"
}

# A path or host name goes into the file as one word and into a sed
# replacement: nothing that would end either.
check_word() {
	local name=$1 v=$2
	[ -n "$v" ] || die "$name is empty"
	case $v in
	*[[:space:]\|\&\\\#\;\{\}\'\"]*)
		die "$name must not contain white space or any of | & \\ # ; { } ' \"" ;;
	esac
}

for name in CH_KORE_PIDFILE CH_HOST CH_PORT CH_WORKERS CH_PG_CONN_MAX \
    CH_SECCOMP_TRACING CH_API_MODULE; do
	file_var=${name}_FILE
	[ -z "${!file_var:-}" ] ||
	    die "$file_var is not supported: set $name itself"
done

pidfile=${CH_KORE_PIDFILE:-}
[ -n "$pidfile" ] ||
    die "CH_KORE_PIDFILE is not set (where Kore writes its pid)"
host=${CH_HOST:-127.0.0.1}
port=${CH_PORT:-8080}
workers=${CH_WORKERS:-2}
conn_max=${CH_PG_CONN_MAX:-2}
module=${CH_API_MODULE:-$top/build/release/api.so}
check=${CH_CONFIG_CHECK:-$top/build/ch-config-check}
template=${CH_KORE_CONF_TEMPLATE:-$top/conf/api.conf.in}

check_word CH_HOST "$host"
check_word CH_API_MODULE "$module"
check_word CH_KORE_PIDFILE "$pidfile"
check_int CH_PORT 1 65535 "$port"
check_int CH_WORKERS 1 64 "$workers"
check_int CH_PG_CONN_MAX 1 100 "$conn_max"
case ${CH_SECCOMP_TRACING:-0} in
0) tracing=no ;;
1) tracing=yes ;;
*) die "CH_SECCOMP_TRACING must be 0 or 1" ;;
esac
[ -f "$module" ] || die "$module is missing (make build)"
[ -f "$template" ] || die "the template $template is missing"
[ -x "$check" ] || die "$check is missing (make build)"

# The check prints its own reason ("ch-api: configuration error: ...").
"$check" || exit 1

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
sed -e "s|@HOST@|$host|g" -e "s|@PORT@|$port|g" \
    -e "s|@WORKERS@|$workers|g" -e "s|@MODULE@|$module|g" \
    -e "s|@PIDFILE@|$pidfile|g" -e "s|@PG_CONN_MAX@|$conn_max|g" \
    -e "s|@SECCOMP_TRACING@|$tracing|g" "$template" >"$tmp" ||
    die "cannot write $out"
left=$(sed -n 's/.*\(@[A-Z_]*@\).*/\1/p' "$tmp")
[ -z "$left" ] ||
    die "$template has placeholders this script does not fill:" $left
mv -f "$tmp" "$out" || die "cannot write $out"
trap - EXIT
