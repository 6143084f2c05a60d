#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs libssr from the build tree into a temporary prefix (cmake --install, components
# ssr_runtime and ssr_dev) and builds examples/embed-minimal against the installed SHARED library
# twice: with find_package(ssr) (ssr::ssr) and with pkg-config ssr; each binary must need
# libssr.so.0 and no abseil / protobuf library, and runs with the installed library
# (LD_LIBRARY_PATH): without arguments (it must print its usage and exit 2), with --help (exit 0,
# naming the signals) and with --version ("embed-minimal VERSION"). Then once against the static
# library (find_package(ssr COMPONENTS static) -> ssr::ssr_static) and checks pkg-config ssr-static.
# Then installs component ssr_router (ssr-router, its systemd unit and the demo config) into the
# same prefix and checks the unit's paths follow the prefix; with DESTDIR and the prefix /usr the
# config goes to /etc/ssr and the unit names /usr/bin/ssr-router.
# Usage: install_test.sh SOURCE_DIR BINARY_DIR [EXTRA_FLAGS]   (EXTRA_FLAGS: e.g. sanitizer flags
# the build used, needed to link its objects)
set -eu
src=$1
bin=$2
extra=${3:-}
tmp=$(mktemp -d /tmp/ssr-install-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cmake --build "$bin" --target ssr ssr_shared >/dev/null
cmake --install "$bin" --prefix "$tmp/prefix" --component ssr_runtime >/dev/null
cmake --install "$bin" --prefix "$tmp/prefix" --component ssr_dev >/dev/null
test -f "$tmp/prefix/include/ssr/router.h"
test -f "$tmp/prefix/include/ssr/status.h"
libdir=$(dirname "$(find "$tmp/prefix" -name libssr.a | head -n1)")
test -f "$libdir/libssr.a"
for f in libssr.so libssr.so.0; do
  test -L "$libdir/$f" || { echo "FAIL: $libdir/$f is not installed (a symlink)"; exit 1; }
done
soname=$(readelf -d "$libdir/libssr.so.0" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libssr.so.0 ] || { echo "FAIL: SONAME of libssr.so is '$soname'"; exit 1; }
test -f "$libdir/pkgconfig/ssr.pc" && test -f "$libdir/pkgconfig/ssr-static.pc"

# The installed library is the one the binaries run with.
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

check_run() {
  set +e
  out=$("$1" 2>&1)
  rc=$?
  set -e
  if [ "$rc" != 2 ] || ! echo "$out" | grep -q "usage:"; then
    echo "FAIL: $1 exited $rc: $out"
    exit 1
  fi
  out=$("$1" --help) || { echo "FAIL: $1 --help exited $?"; exit 1; }
  echo "$out" | grep -q "SIGTERM" || { echo "FAIL: $1 --help: $out"; exit 1; }
  out=$("$1" --version) || { echo "FAIL: $1 --version exited $?"; exit 1; }
  echo "$out" | grep -qE '^embed-minimal [0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL: $1 --version: $out"; exit 1; }
}

# A binary linked against the shared library: needs libssr.so.0 (the installed one) and none of
# the libraries libssr.so links privately.
check_shared() {
  needed=$(readelf -d "$1" | grep NEEDED || true)
  echo "$needed" | grep -q '\[libssr\.so\.0\]' || { echo "FAIL: $1 does not need libssr.so.0: $needed"; exit 1; }
  if echo "$needed" | grep -Eq 'libabsl|libprotobuf|libxdp|libbpf|libcrypto'; then
    echo "FAIL: $1 links libssr's dependencies itself: $needed"
    exit 1
  fi
  ldd "$1" | grep -q "libssr.so.0 => $libdir/libssr.so.0" ||
    { echo "FAIL: $1 does not run with the installed libssr.so.0:"; ldd "$1"; exit 1; }
}

# 1. CMake package, shared library (ssr::ssr).
cmake -S "$src/examples/embed-minimal" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
      >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
check_shared "$tmp/cmake-build/embed-minimal"
check_run "$tmp/cmake-build/embed-minimal"
echo "find_package(ssr), shared: ok"

# 2. pkg-config ssr (shared): C++17 is enough, and no flag of a dependency is needed.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs ssr)
if echo "$flags" | grep -Eq 'std=|absl|protobuf|xdp|bpf|crypto'; then
  echo "FAIL: pkg-config ssr gives more than the include and library flags: $flags"
  exit 1
fi
# shellcheck disable=SC2086
c++ -std=c++17 $extra "$src/examples/embed-minimal/main.cc" -o "$tmp/embed-minimal-pc" $flags
check_shared "$tmp/embed-minimal-pc"
check_run "$tmp/embed-minimal-pc"
echo "pkg-config ssr, shared: ok"

# 3. Static library once: find_package(ssr COMPONENTS static) -> ssr::ssr_static.
mkdir -p "$tmp/static-src"
cat >"$tmp/static-src/CMakeLists.txt" <<EOF2
cmake_minimum_required(VERSION 3.25)
project(embed_minimal_static LANGUAGES CXX)
find_package(ssr 0.1 REQUIRED COMPONENTS static)
add_executable(embed-minimal "$src/examples/embed-minimal/main.cc")
target_link_libraries(embed-minimal PRIVATE ssr::ssr_static)
EOF2
cmake -S "$tmp/static-src" -B "$tmp/static-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
      >/dev/null
cmake --build "$tmp/static-build" >/dev/null
if readelf -d "$tmp/static-build/embed-minimal" | grep -q 'libssr\.so'; then
  echo "FAIL: the ssr::ssr_static build needs libssr.so"
  exit 1
fi
check_run "$tmp/static-build/embed-minimal"
pkg-config --exists --print-errors ssr-static ||
  { echo "FAIL: pkg-config ssr-static does not resolve"; exit 1; }
pkg-config --libs ssr-static | grep -q "libssr\.a" ||
  { echo "FAIL: pkg-config ssr-static does not name libssr.a: $(pkg-config --libs ssr-static)"; exit 1; }
echo "find_package(ssr COMPONENTS static): ok"

# 4. ssr-router as a service (examples/ssr-router/systemd).
cmake --build "$bin" --target ssr-router >/dev/null
p="$tmp/prefix"
cmake --install "$bin" --prefix "$p" --component ssr_router >/dev/null
unit="$p/lib/systemd/system/ssr-router@.service"
test -x "$p/bin/ssr-router" || { echo "FAIL: $p/bin/ssr-router not installed"; exit 1; }
test -f "$unit" || { echo "FAIL: $unit not installed"; exit 1; }
cmp "$src/examples/configs/default.textproto" "$p/etc/ssr/default.textproto" ||
  { echo "FAIL: $p/etc/ssr/default.textproto is not the demo config"; exit 1; }
grep -q "^SSR_INTERFACES=" "$p/etc/ssr/router.env.example" ||
  { echo "FAIL: $p/etc/ssr/router.env.example has no SSR_INTERFACES"; exit 1; }
for line in "Type=notify" "NotifyAccess=main" "ExecReload=/bin/kill -HUP \$MAINPID" \
            "ExecStart=$p/bin/ssr-router --config \${SSR_CONFIG} --router %i \$SSR_INTERFACES \$SSR_ARGS" \
            "Environment=SSR_CONFIG=$p/etc/ssr/%i.textproto SSR_INTERFACES= SSR_ARGS=" \
            "EnvironmentFile=$p/etc/ssr/%i.env" "LimitMEMLOCK=infinity" "RestartPreventExitStatus=2"; do
  grep -qxF "$line" "$unit" || { echo "FAIL: $unit lacks the line: $line"; cat "$unit"; exit 1; }
done
grep -q "^CapabilityBoundingSet=.*CAP_BPF.*CAP_NET_ADMIN" "$unit" ||
  { echo "FAIL: $unit: no CapabilityBoundingSet with CAP_BPF and CAP_NET_ADMIN"; exit 1; }
"$p/bin/ssr-router" --help | grep -q "NOTIFY_SOCKET" ||
  { echo "FAIL: installed ssr-router --help does not explain NOTIFY_SOCKET"; exit 1; }
echo "ssr-router service (prefix $p): ok"
DESTDIR="$tmp/dest" cmake --install "$bin" --prefix /usr --component ssr_router >/dev/null
test -f "$tmp/dest/etc/ssr/default.textproto" ||
  { echo "FAIL: prefix /usr: the config is not in DESTDIR/etc/ssr"; exit 1; }
grep -qxF "ExecStart=/usr/bin/ssr-router --config \${SSR_CONFIG} --router %i \$SSR_INTERFACES \$SSR_ARGS" \
  "$tmp/dest/usr/lib/systemd/system/ssr-router@.service" ||
  { echo "FAIL: prefix /usr: the unit does not run /usr/bin/ssr-router"; exit 1; }
grep -qxF "EnvironmentFile=/etc/ssr/%i.env" "$tmp/dest/usr/lib/systemd/system/ssr-router@.service" ||
  { echo "FAIL: prefix /usr: the unit does not read /etc/ssr/%i.env"; exit 1; }
echo "ssr-router service (DESTDIR, prefix /usr): ok"
