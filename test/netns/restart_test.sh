#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Router restart: SIGTERM stops both routers with exit 0 and no XDP program left on lan0/wan0;
# started again they forward again (IPv4 and IPv6 pings); after a SIGKILL (crash) `ssr-router --cleanup` leaves no XDP
# program and a third start forwards; at the end the topology teardown leaves no namespace.
#   restart_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
ssr_test_up

no_xdp_left() {  # ROUTER-NAMESPACE WHEN
  local dev
  for dev in lan0 wan0; do
    if ssr_xdp_attached "$1" "$dev"; then
      ip -n "$1" -d link show dev "$dev"
      fail "$2: an XDP program is still attached to $dev in $1"
    fi
  done
}

ping_ok() {  # WHEN: guest -> web over IPv4 and over IPv6
  local out n src dst
  for src in 10.10.9.20 fd00:10:10:9::20; do
    dst=10.20.3.10
    [ "$src" = 10.10.9.20 ] || dst=fd00:10:20:3::10
    out="$(ssr_in_client ping -n -c 3 -i 0.2 -W 2 -I "$src" "$dst" 2>&1)"
    n="$(_ssr_ping_received "$out")"
    echo "$1: ping guest $src -> web $dst ${n:-0}/3 replies"
    [ "${n:-0}" = 3 ] || fail "$1: no forwarding to $dst"
  done
}

ssr_test_routers native
for ns in "$SSR_NS_BRANCH" "$SSR_NS_DC"; do
  for dev in lan0 wan0; do
    ssr_xdp_attached "$ns" "$dev" || fail "no XDP program on $dev in $ns while the router runs"
  done
done
ping_ok "first start"

for r in branch datacenter; do
  pidvar="SSR_PID_$r"
  pid="${!pidvar}"
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC on SIGTERM"
  ! kill -0 "$pid" 2>/dev/null || fail "ssr-router $r ($pid) still runs"
done
no_xdp_left "$SSR_NS_BRANCH" "after SIGTERM"
no_xdp_left "$SSR_NS_DC" "after SIGTERM"
echo "after SIGTERM: both exited 0, no XDP program on lan0/wan0"

ssr_test_routers native
ping_ok "second start"

ssr_router_stop branch KILL
left=none
for dev in lan0 wan0; do if ssr_xdp_attached "$SSR_NS_BRANCH" "$dev"; then left="attached on $dev"; fi; done
echo "branch killed (SIGKILL): status $SSR_RC; XDP program afterwards: $left"
out="$(ip netns exec "$SSR_NS_BRANCH" "$SSR_ROUTER_BIN" --cleanup --interface lan0 --interface wan0 2>&1)" ||
  fail "ssr-router --cleanup failed: $out"
echo "$out"
no_xdp_left "$SSR_NS_BRANCH" "after SIGKILL and --cleanup"
ssr_router_start branch native
ssr_router_wait_ready branch || fail "branch did not start after the crash"
ping_ok "start after the crash"

for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC on SIGTERM"
done
no_xdp_left "$SSR_NS_BRANCH" "after the last SIGTERM"
no_xdp_left "$SSR_NS_DC" "after the last SIGTERM"
prefix="$SSR_TEST_PREFIX"
ssr_topo_down
left="$(ip netns list | awk '{print $1}' | grep -F "$prefix" || true)"
[ -z "$left" ] || fail "namespaces left after teardown: $left"
echo "after teardown: no namespace named $prefix*"
ssr_test_elapsed
echo "PASS: restarts leave no XDP program and no namespace"
