#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo's seven outcomes (5: a server's port unreachable reaches the client; 6: a full-size packet
# with DF gets fragmentation needed / Packet Too Big from the branch) in one XDP mode (native or skb), over IPv4 and then over IPv6 (the
# topology is dual stack; ND resolves the IPv6 neighbours through the gate), each with the
# counters that prove where packets went or were dropped; then a clean stop (exit 0, no XDP
# program left). SSR_FAMILIES (default "4 6") picks the families.
#   demo_cases_test.sh SSR_ROUTER XDP_PASS_OBJ MODE [WAN]
# WAN "ipv6": the routers peer over IPv6 (the built-in config with the IPv6 peer addresses first,
# topology.sh's ssr_config_ipv6_wan) and the WAN veths keep no IPv4 address in the kernel, so no
# IPv4 neighbour can be resolved there: whatever crosses, crosses the IPv6 WAN.
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
mode="${3:?mode}"
wan="${4:-ipv4}"
ssr_test_require "$mode"
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
router_args=()
if [ "$wan" = ipv6 ]; then
  ssr_config_ipv6_wan "$SSR_TOPO_DIR/ipv6-wan.textproto" || fail "could not write the config"
  router_args=(--config "$SSR_TOPO_DIR/ipv6-wan.textproto")
  ip -n "$SSR_NS_BRANCH" -4 addr flush dev wan0
  ip -n "$SSR_NS_DC" -4 addr flush dev wan0
fi
ssr_test_routers "$mode" "${router_args[@]}"
ssr_router_dump branch "$SSR_TOPO_DIR/mode" || fail "no stats dump"
got="$(ssr_stat "$SSR_TOPO_DIR/mode" mode.lan0) $(ssr_stat "$SSR_TOPO_DIR/mode" mode.wan0)"
[ "$got" = "$mode $mode" ] || fail "routers run in XDP mode \"$got\", asked for $mode"
echo "XDP mode: $got; WAN: $wan"

failed=()
for SSR_FAMILY in ${SSR_FAMILIES:-4 6}; do
  t0=$SECONDS
  for c in ssr_case_allowed ssr_case_non_member ssr_case_denied ssr_case_server_opens \
           ssr_case_port_unreachable ssr_case_too_big ssr_case_large_udp; do
    "$c" || failed+=("IPv$SSR_FAMILY $c")
  done
  echo "IPv$SSR_FAMILY: seven cases in $((SECONDS - t0)) s"
done
# Peer liveness (docs/protocol.md §5.1): by now BFD is up at both routers, run by worker 0
# through AF_XDP, on both peer paths (the IPv4 and the IPv6 waypoints of the one WAN link); with
# the IPv6 WAN the kernel has no IPv4 on wan0, so only the IPv6 path can come up.
for pair in branch:datacenter datacenter:branch; do
  r="${pair%%:*}" p="${pair##*:}"
  ssr_router_dump "$r" "$SSR_TOPO_DIR/bfd.$r" || failed+=("no stats dump of $r")
  n_up=0
  for i in 0 1; do
    up="$(ssr_stat "$SSR_TOPO_DIR/bfd.$r" "peer.$p.path.$i.bfd_up")"
    rx="$(ssr_stat "$SSR_TOPO_DIR/bfd.$r" "peer.$p.path.$i.rx_frames")"
    echo "$r: peer $p path $i: bfd_up=${up:-?} rx_frames=${rx:-?}"
    [ "${up:-0}" = 1 ] && n_up=$((n_up + 1))
  done
  want=2
  [ "$wan" = ipv6 ] && want=1
  [ "$n_up" = "$want" ] || failed+=("$r: BFD up on $n_up paths to $p, expected $want")
done
for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || failed+=("ssr-router $r exited with $SSR_RC on SIGTERM")
done
ssr_test_elapsed
[ ${#failed[@]} = 0 ] || fail "${failed[*]}"
echo "PASS: all seven outcomes over IPv4 and IPv6 in $mode mode, $wan WAN"
