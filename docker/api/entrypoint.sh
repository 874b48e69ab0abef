#!/bin/bash
# The api image: checks the configuration, renders Kore's (into the tmpfs,
# the root filesystem is read-only) and runs Kore in the foreground
# under the log wrapper, without chroot or a user switch (the container
# is both).
set -euo pipefail
# Kore's own messages become JSON lines like the API's access log.
[ "${1:-}" = --logged ] || exec /usr/lib/ch/jsonlog.sh api "$0" --logged
/usr/lib/ch/render-conf.sh /tmp/api.conf
# Line-buffered: Kore prints its own messages with stdio.
exec stdbuf -oL kore -f -n -r -c /tmp/api.conf
