#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two WAN links between the branch and the datacenter, each through an ssr-impair relay
# (tools/ssr_impair/README.md), and optionally a second datacenter on a third link: the topology
# of the peer-path tests (test/netns/two_wan_*_test.sh, issue 15). Source after topology.sh and
# impair_link.sh (test/netns/lib.sh sources topology.sh), then:
#
#   tw_topo_up PREFIX [dc2]   creates PREFIX{client,branch,dc,server,imp} and with dc2 also
#                             PREFIX{dc2,server2}; sets SSR_NS_* as ssr_topo_up does, SSR_NS_IMP,
#                             SSR_NS_DC2, SSR_NS_SERVER2, SSR_TOPO_DIR, SSR_IMPAIR_DIR.
#   tw_topo_down              stops routers, traffic programs and relays, deletes every namespace
#                             (install with tw_topo_trap).
#   tw_router_args NAME       the --interface arguments of router NAME in this topology.
#
#   client c0 -- lan0 [branch] wan0 == wA [imp] == wan0 [datacenter] lan0 -- s0 server
#   10.10.1.10        10.10.0.1/16   192.0.2.1/24      192.0.2.2/24   10.20.0.1/16  10.20.3.10 web
#   10.10.2.10               wan1 == wB [imp] == wan1                            10.20.2.5 voice
#                     198.51.100.1/24        198.51.100.2/24
#                            wan2 == wC [imp] == wan0 [datacenter2] lan0 -- s0 server2 (dc2 only)
#                     203.0.113.1/24         203.0.113.2/24   10.20.0.1/16    10.20.3.10 web
#
# Link wA is the branch's path "mpls", wB its path "inet" (test/netns/two_wan_config.py writes the
# config); a2b of each relay is branch -> datacenter. The WAN neighbours are static (permanent
# entries in both routers' namespaces): ARP is relayed, delayed and cut like everything else, and
# a cut link must not leave the path unresolved once it is restored. Unlike ssr_topo_up, no IPv6
# addresses (the config has none) and no WAN tap: capture on the relay's veths in PREFIXimp
# (wA-a, wA-b, wB-a, ...), which see every frame of their link.

SSR_NS_IMP=""
SSR_NS_DC2=""
SSR_NS_SERVER2=""

_tw_ns() {
  ip netns add "$1" || return 1
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# _tw_mac NS DEV
_tw_mac() { ip -n "$1" -br link show dev "$2" | awk '{print $3}'; }

# _tw_wan NAME LNS LIF LADDR RNS RIF RADDR: an impaired /24 link with static neighbours.
_tw_wan() {
  local name="$1" lns="$2" lif="$3" la="$4" rns="$5" rif="$6" ra="$7"
  ssr_impair_link "$name" "$SSR_NS_IMP" "$lns" "$lif" "$rns" "$rif" || return 1
  ip -n "$lns" addr add "$la/24" dev "$lif"
  ip -n "$rns" addr add "$ra/24" dev "$rif"
  ip -n "$lns" neigh replace "$ra" lladdr "$(_tw_mac "$rns" "$rif")" dev "$lif" nud permanent
  ip -n "$rns" neigh replace "$la" lladdr "$(_tw_mac "$lns" "$lif")" dev "$rif" nud permanent
}

# _tw_site NS_ROUTER NS_SERVER: the datacenter LAN (lan0 10.20.0.1/16 -- s0 servers).
_tw_site() {
  ip -n "$1" link add lan0 type veth peer name s0 netns "$2"
  ip -n "$1" link set lan0 up
  ip -n "$2" link set s0 up
  ip -n "$1" addr add 10.20.0.1/16 dev lan0
  local a
  for a in 10.20.1.10 10.20.3.10 10.20.2.5; do ip -n "$2" addr add "$a/16" dev s0; done
  ip -n "$2" route add default via 10.20.0.1
  ip -n "$2" link set dev s0 gso_max_segs 1
}

tw_topo_up() {
  local p="$1" dc2="${2:-}"
  SSR_TOPO_PREFIX="$p"
  SSR_NS_CLIENT="${p}client"
  SSR_NS_BRANCH="${p}branch"
  SSR_NS_DC="${p}dc"
  SSR_NS_SERVER="${p}server"
  SSR_NS_IMP="${p}imp"
  SSR_NS_DC2=""
  SSR_NS_SERVER2=""
  SSR_TOPO_DIR="$(mktemp -d "/tmp/${p}XXXXXX")"
  # shellcheck disable=SC2034  # read by impair_link.sh
  SSR_IMPAIR_DIR="$SSR_TOPO_DIR"
  local ns
  for ns in "$SSR_NS_CLIENT" "$SSR_NS_BRANCH" "$SSR_NS_DC" "$SSR_NS_SERVER" "$SSR_NS_IMP"; do
    _tw_ns "$ns" || return 1
  done
  if [ "$dc2" = dc2 ]; then
    SSR_NS_DC2="${p}dc2"
    SSR_NS_SERVER2="${p}server2"
    _tw_ns "$SSR_NS_DC2" || return 1
    _tw_ns "$SSR_NS_SERVER2" || return 1
  fi
  for ns in "$SSR_NS_BRANCH" "$SSR_NS_DC" $SSR_NS_DC2; do
    ssr_ns "$ns" sysctl -qw net.ipv4.ip_forward=0
  done
  ip -n "$SSR_NS_CLIENT" link add c0 type veth peer name lan0 netns "$SSR_NS_BRANCH"
  ip -n "$SSR_NS_CLIENT" link set c0 up
  ip -n "$SSR_NS_BRANCH" link set lan0 up
  local a
  for a in 10.10.1.10 10.10.2.10; do ip -n "$SSR_NS_CLIENT" addr add "$a/16" dev c0; done
  ip -n "$SSR_NS_CLIENT" route add default via 10.10.0.1
  ip -n "$SSR_NS_CLIENT" link set dev c0 gso_max_segs 1
  ip -n "$SSR_NS_BRANCH" addr add 10.10.0.1/16 dev lan0
  _tw_site "$SSR_NS_DC" "$SSR_NS_SERVER"
  _tw_wan wA "$SSR_NS_BRANCH" wan0 192.0.2.1 "$SSR_NS_DC" wan0 192.0.2.2 || return 1
  _tw_wan wB "$SSR_NS_BRANCH" wan1 198.51.100.1 "$SSR_NS_DC" wan1 198.51.100.2 || return 1
  if [ -n "$SSR_NS_DC2" ]; then
    _tw_site "$SSR_NS_DC2" "$SSR_NS_SERVER2"
    _tw_wan wC "$SSR_NS_BRANCH" wan2 203.0.113.1 "$SSR_NS_DC2" wan0 203.0.113.2 || return 1
  fi
}

tw_topo_down() {
  local p="$SSR_TOPO_PREFIX" ns
  ssr_impair_stop_all
  ssr_topo_down
  if [ -n "$p" ]; then
    for ns in imp dc2 server2; do ip netns del "${p}$ns" 2>/dev/null || true; done
  fi
}

tw_topo_trap() {
  trap tw_topo_down EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

tw_router_args() {
  case "$1" in
    branch)
      echo "--interface wan1=wan1"
      [ -n "$SSR_NS_DC2" ] && echo "--interface wan2=wan2" ;;
    datacenter) echo "--interface wan1=wan1" ;;
    datacenter2) ;;
  esac
}
