#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the netns integration tests (bash, run by ctest as root; exit 77 = skipped).
#   source lib.sh SSR_ROUTER XDP_PASS_OBJ
# Namespaces are named ssrnt<pid>-{client,branch,dc,server[,wan]} and removed on any exit
# (trap); cleanup.sh (ctest FIXTURES_CLEANUP) removes those of dead processes. SSR_NETNS_PREFIX
# replaces "ssrnt" (for runs that must keep to a namespace prefix of their own; cleanup.sh then
# removes only those).
set -uo pipefail

SSR_NETNS_TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SSR_SOURCE_ROOT="$(cd "$SSR_NETNS_TEST_DIR/../.." && pwd)"
# shellcheck source=scripts/netns/topology.sh
source "$SSR_SOURCE_ROOT/scripts/netns/topology.sh"
# shellcheck source=scripts/netns/cases.sh
source "$SSR_SOURCE_ROOT/scripts/netns/cases.sh"

SSR_ROUTER_BIN="${1:?usage: $0 SSR_ROUTER XDP_PASS_OBJ ...}"
SSR_XDP_PASS_OBJ="${2:?usage: $0 SSR_ROUTER XDP_PASS_OBJ ...}"
SSR_TEST_PREFIX="${SSR_NETNS_PREFIX:-ssrnt}$$-"
SSR_TEST_T0=$SECONDS

fail() {
  echo "FAIL: $*"
  if [ -n "${SSR_TOPO_DIR:-}" ]; then
    local f
    for f in "$SSR_TOPO_DIR"/*.err; do
      [ -s "$f" ] && { echo "--- $f"; grep -v 'libbpf: elf: skipping\|libxdp: ' "$f" | tail -n 20; }
    done
  fi
  exit 1
}

# ssr_test_require MODE...: skips (77) unless root, namespaces, veth and XDP in each MODE work,
# and ssr-router is built.
ssr_test_require() {
  ssr_topo_require
  [ -x "$SSR_ROUTER_BIN" ] || fail "ssr-router not built: $SSR_ROUTER_BIN"
  [ -s "$SSR_XDP_PASS_OBJ" ] || fail "XDP probe object not built: $SSR_XDP_PASS_OBJ"
  local probe="${SSR_NETNS_PREFIX:-ssrnt}$$-probe" mode flag err
  ip netns add "$probe" || { echo "SKIPPED: cannot create a network namespace"; exit 77; }
  ip -n "$probe" link add p0 type veth peer name p1
  ip -n "$probe" link set p0 up
  ip -n "$probe" link set p1 up
  for mode in "$@"; do
    case "$mode" in native) flag=xdpdrv ;; skb) flag=xdpgeneric ;; *) flag=xdp ;; esac
    if ! err="$(ip -n "$probe" link set dev p0 "$flag" obj "$SSR_XDP_PASS_OBJ" sec xdp 2>&1)"; then
      ip netns del "$probe"
      echo "SKIPPED: XDP in $mode mode is unavailable on veth: $err"
      exit 77
    fi
    ip -n "$probe" link set dev p0 "$flag" off
  done
  ip netns del "$probe"
}

ssr_test_up() {
  ssr_topo_trap
  ssr_topo_up "$SSR_TEST_PREFIX" || fail "could not build the topology"
}

# ssr_test_routers MODE [extra args]: both routers, ready.
ssr_test_routers() {
  local mode="$1"
  shift
  ssr_router_start branch "$mode" "$@"
  ssr_router_start datacenter "$mode" "$@"
  ssr_router_wait_ready branch || fail "branch not ready"
  ssr_router_wait_ready datacenter || fail "datacenter not ready"
}

ssr_test_elapsed() { echo "elapsed: $((SECONDS - SSR_TEST_T0)) s"; }
