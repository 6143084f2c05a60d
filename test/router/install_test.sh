#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs libssr from the build tree into a temporary prefix (cmake --install, component
# ssr_dev) and builds examples/embed-minimal against it twice: with find_package(ssr) and with
# pkg-config. Each build is run without arguments (it must print its usage and exit 2), with
# --help (exit 0, naming the signals) and with --version ("embed-minimal VERSION"). Then installs
# component ssr_router (ssr-router, its systemd unit and the demo config) into the same prefix and
# checks the unit's paths follow the prefix; with DESTDIR and the prefix /usr the config goes to
# /etc/ssr and the unit names /usr/bin/ssr-router.
# Usage: install_test.sh SOURCE_DIR BINARY_DIR [EXTRA_FLAGS]   (EXTRA_FLAGS: e.g. sanitizer flags
# the build used, needed to link its objects)
set -eu
src=$1
bin=$2
extra=${3:-}
tmp=$(mktemp -d /tmp/ssr-install-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cmake --build "$bin" --target ssr >/dev/null
cmake --install "$bin" --prefix "$tmp/prefix" --component ssr_dev >/dev/null
test -f "$tmp/prefix/include/ssr/router.h"
libdir=$(dirname "$(find "$tmp/prefix" -name libssr.a | head -n1)")
test -f "$libdir/libssr.a"

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

# 1. CMake package.
cmake -S "$src/examples/embed-minimal" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
      >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
check_run "$tmp/cmake-build/embed-minimal"
echo "find_package(ssr): ok"

# 2. pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs ssr)
# shellcheck disable=SC2086
c++ $extra "$src/examples/embed-minimal/main.cc" -o "$tmp/embed-minimal-pc" $flags
check_run "$tmp/embed-minimal-pc"
echo "pkg-config ssr: ok"

# 3. ssr-router as a service (examples/ssr-router/systemd).
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
