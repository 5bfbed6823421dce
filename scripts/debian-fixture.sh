#!/usr/bin/env bash
# Builds the real Debian 12 trees behind the image integration tests, once, outside the repo:
#   $DIR/a  debootstrap --variant=minbase bookworm                      (layer 1)
#   $DIR/b  a + apt-get install of a few packages                       (layer 2)
#   $DIR/c  b - purged package, removed docs and a replaced dir         (layer 3)
# and $DIR/{a,b,c}.dpkg: `dpkg-query -W -f '${Package} ${Version} ${source:Package}\n'` on each tree.
# The tests diff the trees into image layers (whiteouts included) and compare hullscan with these files.
# Needs root, debootstrap and access to Debian's apt mirror. Idempotent: an existing complete build is kept.
set -euo pipefail
DIR=${1:-${HULLSCAN_FIXTURE_DIR:-$HOME/.cache/hullscan-fixtures/debian12}}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PKGS="curl ca-certificates libxml2 python3-minimal zlib1g-dev openssl"
PURGE=libxml2
[ -f "$DIR/done" ] && { echo "$DIR"; exit 0; }
command -v debootstrap >/dev/null || { echo "debootstrap not installed" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "debian fixture needs root (chroot)" >&2; exit 3; }
rm -rf "$DIR"; mkdir -p "$DIR"
q() { chroot "$1" dpkg-query -W -f '${Package} ${Version} ${source:Package}\n' | LC_ALL=C sort; }
debootstrap --variant=minbase bookworm "$DIR/a" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 || { tail -20 "$DIR/debootstrap.log" >&2; exit 1; }
chroot "$DIR/a" apt-get clean
q "$DIR/a" >"$DIR/a.dpkg"
cp -a "$DIR/a" "$DIR/b"
mount -t proc proc "$DIR/b/proc" 2>/dev/null || true
trap 'umount "$DIR/b/proc" 2>/dev/null || true' EXIT
cp /etc/resolv.conf "$DIR/b/etc/resolv.conf"
chroot "$DIR/b" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$DIR/apt.log" 2>&1
chroot "$DIR/b" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS >>"$DIR/apt.log" 2>&1
chroot "$DIR/b" apt-get clean
rm -rf "$DIR/b/var/lib/apt/lists/"*
umount "$DIR/b/proc" 2>/dev/null || true
q "$DIR/b" >"$DIR/b.dpkg"
cp -a "$DIR/b" "$DIR/c"
# like `RUN apt-get purge libxml2 && rm -rf /usr/share/doc/* ...` in a Dockerfile
chroot "$DIR/c" env DEBIAN_FRONTEND=noninteractive dpkg --purge --force-depends "$PURGE" >>"$DIR/apt.log" 2>&1
rm -rf "$DIR/c/usr/share/doc/"* "$DIR/c/usr/share/man"
rm -rf "$DIR/c/etc/ssl/certs" && mkdir "$DIR/c/etc/ssl/certs" && echo replaced >"$DIR/c/etc/ssl/certs/README"
q "$DIR/c" >"$DIR/c.dpkg"
echo "$PURGE" >"$DIR/purged"
touch "$DIR/done"
echo "$DIR"
