#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs libssr from the build tree into a temporary prefix (cmake --install, component
# ssr_dev) and builds examples/embed-minimal against it twice: with find_package(ssr) and with
# pkg-config. Each build is run without arguments (it must print its usage and exit 2), with
# --help (exit 0, naming the signals) and with --version ("embed-minimal VERSION").
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
