#!/usr/bin/env bash
# Makes the Debian 12 base image the other images build on, from Debian's
# own archive, for hosts that reach no container registry:
#   debootstrap --variant=minbase bookworm  ->  docker import
# The image is kept: a second run finds it and does nothing. Ops who can
# pull from a registry skip this and build with
# CH_BASE_IMAGE=debian:bookworm-slim instead (see README.md).
#
# usage: build-base.sh [--force]
# Environment: CH_BASE_IMAGE (ch-base:bookworm), CH_DEBIAN_MIRROR
# (http://deb.debian.org/debian), DOCKER (docker).
set -euo pipefail

image=${CH_BASE_IMAGE:-ch-base:bookworm}
mirror=${CH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
docker=${DOCKER:-docker}

die() { echo "build-base: $*" >&2; exit 1; }

if [ "${1:-}" != --force ] && "$docker" image inspect "$image" >/dev/null 2>&1; then
	exit 0
fi
case "$image" in
ch-base:*) ;;
*) die "$image is not made here: pull it from your registry" ;;
esac
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is missing (make deps)"

root=$(mktemp -d /var/tmp/ch-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "build-base: debootstrap bookworm from $mirror (about a minute)" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
    { tail -n 20 "$root.log" >&2; rm -f "$root.log"; die "debootstrap failed"; }
rm -f "$root.log"

# The archive the images install from, and a smaller image: no package
# lists, caches or logs of the bootstrap itself.
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log \
    "$root"/var/log/apt/*

tar -C "$root" -c . | "$docker" import \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
    --message "debootstrap --variant=minbase bookworm" - "$image" >/dev/null
echo "build-base: $image made" >&2
