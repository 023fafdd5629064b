#!/usr/bin/env bash
# Build CPython 3.14 (the Lambda runtime's Python) from Debian's source package into a private prefix,
# once. Debian 12 ships only 3.11 and the binary packages of newer suites need newer system libraries,
# so we take the upstream tarball from sid's source package and compile it against this machine's
# libraries. Usage: tools/build-python314.sh PREFIX   (reuses PREFIX when its interpreter works)
set -euo pipefail

PREFIX=$(realpath -m "${1:?usage: $0 PREFIX}")
PY="$PREFIX/bin/python3.14"
STAMP="$PREFIX/.built"

if [[ -f "$STAMP" && -x "$PY" ]] && "$PY" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid' 2>/dev/null; then
    echo "python3.14: reusing $("$PY" -V) in $PREFIX"
    exit 0
fi

# Build dependencies come from the machine's own suite (never from sid: its libraries are too new).
BUILD_DEPS=(build-essential pkg-config libssl-dev zlib1g-dev libffi-dev libsqlite3-dev libbz2-dev
    liblzma-dev libreadline-dev uuid-dev xz-utils)
missing=()
for pkg in "${BUILD_DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "python3.14: installing build packages: ${missing[*]}"
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

# A private deb-src list for sid on the archive URI the machine's apt sources already use. It lives in
# a temporary directory that is deleted on exit, so the archive's host is never kept in a file.
archive_uri() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        # deb822 stanzas: the first URI ending in /debian (not -security, -ports, ...).
        uri=$(awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
        [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
    done
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
        [[ -f "$f" ]] || continue
        uri=$(awk '$1=="deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }' "$f")
        [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
    done
    echo "python3.14: no Debian archive URI found in the apt sources" >&2
    return 1
}

APT_DIR=$(mktemp -d)
trap 'rm -rf "$APT_DIR"' EXIT
mkdir -p "$APT_DIR/lists/partial"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(archive_uri) sid main" >"$APT_DIR/sources.list"
APT_OPTS=(-o "Dir::Etc::sourcelist=$APT_DIR/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$APT_DIR/lists" -o "APT::Get::List-Cleanup=0")
# As root, apt hands downloads to the _apt user, which cannot write into our private directories.
((EUID == 0)) && APT_OPTS+=(-o "APT::Sandbox::User=root")

SRC_DIR="$PREFIX-src"
rm -rf "$SRC_DIR"
mkdir -p "$SRC_DIR"
start=$(date +%s)
echo "python3.14: fetching Debian's source package (sid)"
apt-get "${APT_OPTS[@]}" -qq update
# apt-get source checks the files against the signed Sources index before unpacking anything.
# The index can list versions a mirror no longer (or not yet) holds: try the listed ones, newest first.
# apt-get source checks each file against the signed Sources index before we unpack anything.
fetched=
for version in $(apt-cache "${APT_OPTS[@]}" showsrc python3.14 | awk '$1=="Version:" {print $2}' | sort -Vr -u); do
    if (cd "$SRC_DIR" && apt-get "${APT_OPTS[@]}" -qq source --download-only "python3.14=$version"); then
        fetched=$version
        break
    fi
    echo "python3.14: source $version is listed in sid's index but could not be downloaded" >&2
done
if [[ -z "$fetched" ]]; then
    echo "python3.14: no version of Debian's python3.14 source package could be downloaded" >&2
    rm -rf "$SRC_DIR"
    exit 1
fi
tarball=$(ls "$SRC_DIR"/python3.14_*.orig.tar.* | head -n1)
tar -xf "$tarball" -C "$SRC_DIR"
upstream=$(find "$SRC_DIR" -mindepth 1 -maxdepth 1 -type d -name 'Python-3.14*' | head -n1)

echo "python3.14: building $(basename "$upstream") into $PREFIX (make -j2; several minutes)"
rm -rf "$PREFIX"
cd "$upstream"
# No PGO/LTO: tests need the same language and C extensions, not the fastest interpreter, and PGO
# would triple the build time. Debian's patches only adapt the layout to Debian's packaging.
./configure --quiet --prefix="$PREFIX" --with-ensurepip=install >"$SRC_DIR/configure.log" 2>&1 \
    || { tail -n 40 "$SRC_DIR/configure.log"; exit 1; }
make -j2 >"$SRC_DIR/make.log" 2>&1 || { tail -n 60 "$SRC_DIR/make.log"; exit 1; }
make install >"$SRC_DIR/install.log" 2>&1 || { tail -n 40 "$SRC_DIR/install.log"; exit 1; }

"$PY" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid'
end=$(date +%s)
echo "$((end - start)) s" >"$STAMP"
cd /
rm -rf "$SRC_DIR"
echo "python3.14: built $("$PY" -V) in $(cat "$STAMP")"
