#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the two-WAN netns tests (two_wan_*_test.sh): source after lib.sh.
#   tw_up [dc2]                      the topology (scripts/netns/two_wan.sh), trap installed
#   tw_start ROUTER CONFIG           ssr-router ROUTER of CONFIG (native XDP) in its namespace
#   tw_wait_paths ROUTER PEER N [T]  waits until the N paths of PEER are BFD-up at ROUTER
#   tw_dump ROUTER TAG               stats to $SSR_TOPO_DIR/ROUTER.TAG (prints the file name)
#   tw_path_sessions FILE PEER I     peer.PEER.path.I.sessions in a dump
#   tw_now                           unix time, microseconds
# shellcheck source=scripts/netns/impair_link.sh
source "$SSR_SOURCE_ROOT/scripts/netns/impair_link.sh"
# shellcheck source=scripts/netns/two_wan.sh
source "$SSR_SOURCE_ROOT/scripts/netns/two_wan.sh"
# Read by the scripts that source this file.
# shellcheck disable=SC2034
TW_PY="$SSR_NETNS_TEST_DIR/two_wan.py"
# shellcheck disable=SC2034
TW_CONFIG="$SSR_NETNS_TEST_DIR/two_wan_config.py"
SSR_IMPAIR_BIN="${SSR_IMPAIR_BIN:-$(dirname "$SSR_ROUTER_BIN")/../../tools/ssr_impair/ssr-impair}"

tw_up() {
  [ -x "$SSR_IMPAIR_BIN" ] || fail "ssr-impair not built: $SSR_IMPAIR_BIN"
  command -v ethtool >/dev/null 2>&1 || true
  tw_topo_trap
  tw_topo_up "$SSR_TEST_PREFIX" "${1:-}" || fail "could not build the two-WAN topology"
}

tw_start() {
  local r="$1" cfg="$2"
  # shellcheck disable=SC2046
  ssr_router_start "$r" native --config "$cfg" $(tw_router_args "$r")
}

tw_dump() {
  local f="$SSR_TOPO_DIR/$1.$2"
  ssr_router_dump "$1" "$f" || fail "no stats dump from $1"
  echo "$f"
}

tw_path_sessions() { ssr_stat "$1" "peer.$2.path.$3.sessions"; }

tw_wait_paths() {
  local r="$1" peer="$2" n="$3" deadline=$((SECONDS + ${4:-20})) f i ok
  while [ $SECONDS -lt "$deadline" ]; do
    f="$(tw_dump "$r" wait)"
    ok=1
    for ((i = 0; i < n; i++)); do
      [ "$(ssr_stat "$f" "peer.$peer.path.$i.bfd_up")" = 1 ] || ok=0
    done
    [ $ok = 1 ] && return 0
    sleep 0.2
  done
  return 1
}

tw_now() { date +%s.%6N; }
