#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tool.appliance_example: examples/appliance's command line and its build outside the tree.
#  1. the in-tree ssr-appliance-example: no arguments / an unknown option / a bad --interface or
#     --metrics-interval exit 2 with the usage; --help (exit 0) names the signals and the reload;
#     --version prints "ssr-appliance-example X.Y.Z"; a config that does not load exits 1 with
#     the field at fault (before any interface is touched, so no root is needed);
#  2. libssr installed into a scratch prefix (cmake --install, components ssr_dev and
#     ssr_runtime: the shared library), the example
#     built on its own with find_package(ssr) and with pkg-config, each build's --version run.
#   appliance_example_test.sh APPLIANCE SOURCE_DIR BINARY_DIR [EXTRA_FLAGS]
set -euo pipefail
app="$1"
src="$2"
bin="$3"
extra="${4:-}"
tmp="$(mktemp -d /tmp/ssr-appliance-test-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

expect_rc() {  # RC GREP_REGEX ARGS...: runs the in-tree binary, checks exit code and output
  local want="$1" re="$2" out rc
  shift 2
  set +e
  out="$("$app" "$@" 2>&1)"
  rc=$?
  set -e
  [ "$rc" = "$want" ] || fail "ssr-appliance-example $* exited $rc, expected $want: $out"
  grep -qE -e "$re" <<<"$out" || fail "ssr-appliance-example $*: no /$re/ in: $out"
}
expect_rc 2 'usage:.*--config FILE'
expect_rc 2 'unknown option --frobnicate' --frobnicate x
expect_rc 2 'expected CONFIG_IFACE=OS_IFNAME' --config c --router r --interface lan0
expect_rc 2 '--metrics-interval: expected 1 to 3600' --config c --router r --interface a=b \
  --metrics-interval 0
expect_rc 2 '--interface is required' --config c --router r
expect_rc 0 'SIGTERM.*' --help
expect_rc 0 'renam' --help
expect_rc 0 '^ssr-appliance-example [0-9]+\.[0-9]+\.[0-9]+$' --version
mkdir -p "$tmp/etc"
printf 'organization: "x"\ntenants { name: "t" members { router: "r" interface: "lan0" prefixes: "10.0.0.0/33" } }\n' \
  >"$tmp/etc/bad.textproto"
expect_rc 1 'does not load' --config "$tmp/etc/bad.textproto" --router r --interface lan0=lo
expect_rc 1 '10\.0\.0\.0/33' --config "$tmp/etc/bad.textproto" --router r --interface lan0=lo
expect_rc 1 'does not load' --config "$tmp/etc/missing.textproto" --router r --interface lan0=lo
echo "command line: ok"

cmake --build "$bin" --target ssr ssr_shared >/dev/null
cmake --install "$bin" --prefix "$tmp/prefix" --component ssr_dev >/dev/null
cmake --install "$bin" --prefix "$tmp/prefix" --component ssr_runtime >/dev/null
# The shared library is found by the loader in the scratch prefix (no rpath, as from a package).
LD_LIBRARY_PATH="$(dirname "$(find "$tmp/prefix" -name 'libssr.so.0' | head -n1)")"
export LD_LIBRARY_PATH
cmake -S "$src/examples/appliance" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
      >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
"$tmp/cmake-build/ssr-appliance-example" --version | grep -qE '^ssr-appliance-example [0-9.]+$' ||
  fail "the find_package(ssr) build does not run"
echo "standalone build with find_package(ssr): ok"
pc="$(dirname "$(find "$tmp/prefix" -name ssr.pc | head -n1)")"
[ -n "$pc" ] || fail "no ssr.pc installed"
# shellcheck disable=SC2046,SC2086
c++ -std=c++17 $extra "$src/examples/appliance/main.cc" -o "$tmp/appliance-pc" \
  $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs ssr)
"$tmp/appliance-pc" --version | grep -qE '^ssr-appliance-example [0-9.]+$' ||
  fail "the pkg-config build does not run"
echo "standalone build with pkg-config ssr (-std=c++17): ok"
