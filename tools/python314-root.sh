#!/usr/bin/env bash
# Build (once) a small Debian forky root holding Debian's binary python3.14, the Lambda runtime's
# Python. Debian 12 has no 3.14 and the 3.14 binaries need a newer glibc, so they run inside their own
# root (chroot). Usage: tools/python314-root.sh ROOT
# The root is reused while ROOT/.built matches this script's hash; any change to the script rebuilds it.
# Building needs root privileges and the machine's apt archive (no other network access). Running
# does not: ROOT/host/python3.14 starts the interpreter with the root's own dynamic loader and
# libraries, so it reads and writes this machine's paths like any other Python (no chroot).
# Quiet: the tools' output goes to ROOT.log, shown (its end) only when a step fails.
set -euo pipefail

ROOT=$(realpath -m "${1:?usage: $0 ROOT}")
KEY=$(sha256sum "$0" | cut -c1-16)
STAMP="$ROOT/.built"
SUITE=forky

LOG="$ROOT.log"
fail() {
    [[ -s "$LOG" ]] && tail -n 30 "$LOG" >&2
    echo "python3.14 root: $*" >&2
    exit 1
}
# A step's output (apt's progress, its "Can not write log" without /dev/pts, ...) into the log.
quiet() { "$@" >>"$LOG" 2>&1; }

HOST_PYTHON="$ROOT/host/python3.14"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" && -x "$HOST_PYTHON" ]]; then
    echo "python3.14 root: reusing $ROOT ($("$HOST_PYTHON" -V))"
    exit 0
fi
mkdir -p "$(dirname "$ROOT")"
: >"$LOG"
((EUID == 0)) || fail "building the root needs root privileges (debootstrap and chroot); run as root"

start=$(date +%s)
if ! command -v debootstrap >/dev/null; then
    echo "python3.14 root: installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get install -y --no-install-recommends debootstrap \
        || { quiet apt-get update && quiet apt-get install -y --no-install-recommends debootstrap; } \
        || fail "cannot install debootstrap with apt-get"
fi

# The archive is the one this machine's apt already uses, read at run time so no host lands in a file.
URI=$(apt-get indextargets --format '$(REPO_URI)' | grep -v -e security -e updates | grep '/debian/\?$' | sort -u | head -n1)
[[ -n "$URI" ]] || fail "no Debian archive URI found in the apt sources"
# Bookworm's debootstrap has no script for forky: sid's script bootstraps any current suite.
SCRIPT=/usr/share/debootstrap/scripts/sid
[[ -f "$SCRIPT" ]] || fail "debootstrap has no sid script ($SCRIPT)"

rm -rf "$ROOT"
echo "python3.14 root: building Debian $SUITE's python3.14 into $ROOT (about a minute, once)"
quiet debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$SUITE" "$ROOT" "$URI" "$SCRIPT" || fail "debootstrap failed (log above)"

# The suite's Release files can be past their Valid-Until date on a mirror; the signature still holds.
echo 'Acquire::Check-Valid-Until "false";' >"$ROOT/etc/apt/apt.conf.d/99no-valid-until"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# Certificates this machine trusts (e.g. a proxy's CA) must be trusted inside the root too, for pip.
shopt -s nullglob
extra_cas=(/usr/local/share/ca-certificates/*.crt)
shopt -u nullglob

in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"; }
quiet in_root apt-get update || fail "apt-get update inside the root failed"
quiet in_root apt-get install -y --no-install-recommends python3.14 python3.14-venv ca-certificates \
    || fail "apt-get install python3.14 inside the root failed"
if ((${#extra_cas[@]})); then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp "${extra_cas[@]}" "$ROOT/usr/local/share/ca-certificates/"
    quiet in_root update-ca-certificates || fail "update-ca-certificates inside the root failed"
fi
quiet in_root apt-get clean

# The root's glibc is newer than this machine's: start the interpreter through the root's loader.
loader=$(find "$ROOT/usr/lib" -maxdepth 2 -name 'ld-linux*.so.*' | head -n1)
[[ -n "$loader" ]] || fail "no dynamic loader found in the root"
libdir=$(dirname "$loader")
mkdir -p "$ROOT/host"
cat >"$HOST_PYTHON" <<WRAPPER
#!/bin/sh
# Debian's python3.14 from this root, run with the root's loader and libraries (no chroot needed).
PYTHONHOME="$ROOT/usr" exec "$loader" --argv0 "$HOST_PYTHON" --library-path "$libdir" "$ROOT/usr/bin/python3.14" "\$@"
WRAPPER
chmod +x "$HOST_PYTHON"
"$HOST_PYTHON" -c 'import ssl, sqlite3, ctypes, zlib, lzma, bz2' || fail "python3.14 in the root is incomplete"
echo "$KEY" >"$STAMP"
rm -f "$LOG"
echo "python3.14 root: $("$HOST_PYTHON" -V) ready in $(($(date +%s) - start)) s"
