#!/usr/bin/env bash
# Build CPython from Debian's unmodified upstream tarball into a fixed prefix outside the
# work tree, so every clone on this machine reuses it (`make python-ft`, `make python-gil`).
#
#   scripts/build-python.sh ft    free-threaded (--disable-gil), linked as $ROOT/ft
#   scripts/build-python.sh gil   the same version from the same tarball, with the GIL, as $ROOT/gil
#
# ROOT is $HARNESS_PYTHON_ROOT, else ~/.cache/harness-python. Idempotent: a working
# interpreter at $ROOT/<kind> is reused. The last line printed is the interpreter's path;
# progress and the build log go to stderr and $ROOT/<kind>.log. On failure the reason is
# written to $ROOT/<kind>.failed, which the tests quote when they skip.
#
# Why Debian's source package: no package ships a prebuilt free-threaded interpreter that
# installs here, and the archive this machine's apt already uses serves the newer releases'
# source. The archive's address is read from the system's own apt sources at run time, and a
# private sources list, lists and cache keep the system's apt setup untouched.
set -euo pipefail

KIND="${1:-}"
case "$KIND" in
    ft) CONFIGURE_GIL=(--disable-gil); SUFFIX=t ;;
    gil) CONFIGURE_GIL=(); SUFFIX= ;;
    *) echo "usage: $0 ft|gil" >&2; exit 2 ;;
esac
ROOT="${HARNESS_PYTHON_ROOT:-${HOME:-/root}/.cache/harness-python}"
# Newest first: 3.14 is taken when its source can be fetched.
VERSIONS="${HARNESS_PYTHON_VERSIONS:-3.14 3.13}"
JOBS="${HARNESS_BUILD_JOBS:-2}"
mkdir -p "$ROOT"
LOG="$ROOT/$KIND.log"
FAILED="$ROOT/$KIND.failed"

say() { echo "build-python[$KIND]: $*" >&2; }
fail() { say "$*"; echo "$*" >"$FAILED"; exit 1; }

# A working interpreter of this kind: it runs, and its build matches the kind.
works() {
    local py="$1" want
    [ -x "$py" ] || return 1
    if [ "$KIND" = ft ]; then want=1; else want=0; fi
    "$py" -c "import sysconfig, sys, ssl, zlib, ctypes, sqlite3
sys.exit(0 if int(sysconfig.get_config_var('Py_GIL_DISABLED') or 0) == $want else 1)" 2>/dev/null
}

if works "$ROOT/$KIND/bin/python3"; then
    rm -f "$FAILED"
    say "already built: $("$ROOT/$KIND/bin/python3" -VV | head -1)"
    echo "$ROOT/$KIND/bin/python3"
    exit 0
fi

# The Debian archive's address, from the system's sources (deb822 .sources or one-line lists);
# the security archive is skipped, it does not carry the newer suites.
archive_uri() {
    local files=() f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ ${#files[@]} -gt 0 ] || return 1
    awk '
        /^[[:space:]]*#/ { next }
        /^URIs:/ { for (i = 2; i <= NF; i++) print $i; next }
        /^deb(-src)?[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }
    ' "${files[@]}" | grep -v -- '-security' | grep -E '/debian/?$' | head -1
}

APT_DIR="$ROOT/apt"
apt_private() {
    local tool="$1"; shift
    "$tool" -o Dir::Etc::sourcelist="$APT_DIR/sources.list" -o Dir::Etc::sourceparts=- \
        -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache" \
        -o APT::Sandbox::User=root "$@"
}

fetch_tarball() {
    local uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed="" v pkg ver
    uri="$(archive_uri)" || true
    [ -n "$uri" ] || fail "no Debian archive address in /etc/apt/sources.list*; cannot fetch the CPython source"
    [ -f "$keyring" ] && signed="[signed-by=$keyring] "
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$ROOT/src"
    printf 'deb-src %s%s %s main\n' "$signed" "$uri" sid "$signed" "$uri" trixie >"$APT_DIR/sources.list"
    say "source lists from the system's archive (suites sid, trixie)"
    apt_private apt-get update -qq >>"$LOG" 2>&1 || fail "apt-get update of the private source lists failed (see $LOG)"
    for v in $VERSIONS; do
        pkg="python$v"
        # Every listed version, newest first: a suite can list a version the pool no longer serves.
        for ver in $(apt_private apt-cache showsrc "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -Vr -u); do
            say "fetching $pkg=$ver"
            if (cd "$ROOT/src" && apt_private apt-get source --download-only -qq "$pkg=$ver") >>"$LOG" 2>&1; then
                TARBALL="$(ls "$ROOT/src/${pkg}_${ver%%-*}.orig.tar."* 2>/dev/null | head -1)"
                [ -n "$TARBALL" ] && { PY_VERSION="$v"; return 0; }
            fi
            say "$pkg=$ver: listed but not served"
        done
    done
    fail "no CPython source among [$VERSIONS] could be fetched from the archive (see $LOG)"
}

# Reuse a tarball fetched earlier (by the other kind), so both builds come from the same one.
TARBALL=""; PY_VERSION=""
for v in $VERSIONS; do
    found="$(ls "$ROOT/src/python${v}_"*.orig.tar.* 2>/dev/null | sort -V | tail -1 || true)"
    if [ -n "$found" ]; then TARBALL="$found"; PY_VERSION="$v"; break; fi
done
[ -n "$TARBALL" ] || fetch_tarball
say "tarball $(basename "$TARBALL")"

PREFIX="$ROOT/$PY_VERSION$SUFFIX"
BUILD="$ROOT/build-$KIND"
rm -rf "$BUILD" "$PREFIX"
mkdir -p "$BUILD"
START=$(date +%s)
tar -xf "$TARBALL" -C "$BUILD" --strip-components=1 || fail "cannot unpack $TARBALL"
say "configure + make -j$JOBS + install into $PREFIX (no PGO; a few minutes; log: $LOG)"
(
    cd "$BUILD"
    ./configure --prefix="$PREFIX" "${CONFIGURE_GIL[@]}" --with-ensurepip=install
    make -j"$JOBS"
    make install
) >>"$LOG" 2>&1 || fail "the CPython build failed (see $LOG)"
ln -sfn "$PREFIX" "$ROOT/$KIND.new" && mv -Tf "$ROOT/$KIND.new" "$ROOT/$KIND"
ln -sf "python$PY_VERSION$SUFFIX" "$PREFIX/bin/python3" 2>/dev/null || true
rm -rf "$BUILD"
works "$ROOT/$KIND/bin/python3" || fail "the built interpreter at $PREFIX does not work (see $LOG)"
rm -f "$FAILED"
say "built in $(( $(date +%s) - START )) s, $(du -sh "$PREFIX" | cut -f1) installed"
echo "$ROOT/$KIND/bin/python3"
