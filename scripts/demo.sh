#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: installs what is missing, builds, and runs two SVR routers of the
# built-in default config between network namespaces (root needed):
#
#   client --- [branch] ===== SVR over 192.0.2.0/24 ===== [datacenter] --- server
#
# with IP forwarding off in both router namespaces, so whatever crosses went through ssr-router.
# It then shows seven outcomes with real programs and the routers' counters (SIGUSR1 dumps):
#   1. members reach allowed services through SVR (ping, UDP echo, 1 MiB TCP to web and to crm,
#      whose payload is AES-encrypted end to end, with sha256 compared at both ends)
#   2. a non-member is dropped at the branch's XDP gate
#   3. a member is refused a service its tenant is denied (contractors -> erp)
#   4. the server cannot open a session towards the client (servers are no tenant's members)
#   5. UDP to a closed port: the server's port unreachable crosses both routers (ECONNREFUSED)
#   6. ping -M do at full size (MTU 1500 everywhere) gets frag-needed / Packet Too Big
#   7. UDP datagrams of 1472 and 4000 bytes (the host fragments) cross both routers and come back
# The topology is dual stack: the seven outcomes are shown over IPv4, then over IPv6 (ICMPv6 echo,
# UDP, TCP; neighbours found by ND through the XDP gate; IPv6 sessions cross the IPv4 WAN, the
# peer path of the config's first peer address).
# Exit 0 only if all fourteen are as expected. Namespaces and XDP programs are removed on any exit.
#
# Environment: SSR_XDP_MODE=native|skb|auto (default native), SSR_DEMO_SKIP_BUILD=1 with
# SSR_ROUTER=path to use an existing ssr-router.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (network namespaces and XDP); run: sudo bash scripts/demo.sh" >&2
  exit 1
fi

if [ -z "${SSR_DEMO_SKIP_BUILD:-}" ]; then
  bash scripts/setup-deps.sh
  bash scripts/build.sh release
fi
SSR_ROUTER_BIN="${SSR_ROUTER:-build/release/examples/ssr-router/ssr-router}"
SSR_ROUTER_BIN="$(realpath "$SSR_ROUTER_BIN")"
mode="${SSR_XDP_MODE:-native}"

# shellcheck source=scripts/netns/topology.sh
source scripts/netns/topology.sh
# shellcheck source=scripts/netns/cases.sh
source scripts/netns/cases.sh

echo
echo "== libssr demo: branch and datacenter routers (built-in default config) in network namespaces =="
ssr_topo_trap
ssr_topo_up "ssr-demo-$$-"
echo "namespaces: $SSR_NS_CLIENT  $SSR_NS_BRANCH  $SSR_NS_DC  $SSR_NS_SERVER"
echo "IP forwarding in the router namespaces: branch $(ip netns exec "$SSR_NS_BRANCH" sysctl -n net.ipv4.ip_forward)," \
     "datacenter $(ip netns exec "$SSR_NS_DC" sysctl -n net.ipv4.ip_forward) (off: only ssr-router forwards)"
ssr_servers_start
ssr_router_start branch "$mode"
ssr_router_start datacenter "$mode"
ssr_router_wait_ready branch
ssr_router_wait_ready datacenter
grep -h ' INFO  ssr-router .*worker' "$SSR_TOPO_DIR/branch.err" "$SSR_TOPO_DIR/datacenter.err" | sed 's/^/started: /'
echo

results=()
fails=0
for SSR_FAMILY in 4 6; do
  for c in ssr_case_allowed ssr_case_non_member ssr_case_denied ssr_case_server_opens \
      ssr_case_port_unreachable ssr_case_too_big ssr_case_large_udp; do
    if out="$("$c" 2>&1)"; then :; else fails=$((fails + 1)); fi
    echo "$out"
    results+=("$(tail -n1 <<<"$out")")
    echo
  done
done

for r in branch datacenter; do
  ns="$SSR_NS_BRANCH"
  [ "$r" = datacenter ] && ns="$SSR_NS_DC"
  ssr_router_stop "$r" TERM
  xdp=none
  for dev in lan0 wan0; do
    if ssr_xdp_attached "$ns" "$dev"; then xdp="attached on $dev"; fi
  done
  echo "stopped ssr-router $r: exit $SSR_RC, XDP programs left on lan0/wan0: $xdp"
  if [ "$SSR_RC" != 0 ] || [ "$xdp" != none ]; then fails=$((fails + 1)); fi
done
echo
echo "== summary =="
printf '%s\n' "${results[@]}"
if [ "$fails" = 0 ]; then
  echo "demo: all 4 outcomes as expected over IPv4 and over IPv6"
else
  echo "demo: $fails failure(s)"
fi
[ "$fails" = 0 ]
