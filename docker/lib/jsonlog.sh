#!/bin/bash
# usage: jsonlog.sh SOURCE COMMAND [ARG...]
#
# Runs COMMAND with its output turned into JSON lines on stdout, for the
# programs that do not write JSON themselves (Kore's own messages,
# PostgreSQL, psql): a line that already is a JSON object passes as it
# is; any other becomes {"level":"info","source":SOURCE,"message":...}.
# Docker's log driver adds the time. TERM, INT and QUIT are passed on to
# COMMAND, and its exit status is this script's, after the last line of
# its output is out (as PID 1, an exit would take the filter with it).
set -uo pipefail
source=$1
shift

# Job control: COMMAND runs in its own process group and, unlike a plain
# background job, does not ignore INT and QUIT.
set -m
exec 3> >(exec sed -u \
    -e '/^{.*}$/b' \
    -e 's/[[:cntrl:]]/ /g' -e 's/\\/\\\\/g' -e 's/"/\\"/g' \
    -e 's/^.*$/{"level":"info","source":"'"$source"'","message":"&"}/')
filter=$!
"$@" >&3 2>&3 &
child=$!
exec 3>&-
for sig in TERM INT QUIT; do
	trap 'kill -'$sig' "$child" 2>/dev/null' $sig
done
while kill -0 "$child" 2>/dev/null; do
	wait "$child"
done
wait "$child"
status=$?
wait "$filter"
exit "$status"
