#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A tagged WAN (docs/protocol.md §2.17): the WAN between the routers is VLAN 20. Each router's
# kernel has its WAN addresses on a VLAN subinterface wan0.20 of wan0 (so ARP / ND for the peer
# run tagged, and a peer is resolved on wan0.20, not wan0), and the config sets the WAN
# interfaces' `vlan: 20`. The routers answer ARP only on the interface that holds the address
# (arp_ignore 1), as a peer behind a trunk whose untagged VLAN is another network would be seen.
# The WAN is a bridge in its own namespace (SSR_WAN_TAP) where dumpcap captures both directions.
# Checks: ping and a 1 MiB TCP transfer cross both routers over IPv4 and IPv6 (sessions over the
# IPv4 WAN; with wan0.20 this needs the routers to take the peers' MACs from the kernel's entries
# on wan0.20 and to ask for resolution there, router/neighbor_refresh.h), every SVR frame on the
# WAN carries tag 20 and no IP frame between the routers is untagged, ARP / ND ran tagged (with
# wan0.20), and IP frames injected on the WAN untagged or with tag 30 (from the peer's address, to
# a waypoint port) are all dropped by the datacenter's gate (drop_wan_vlan).
#   wan_vlan_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
for t in dumpcap tshark ethtool; do
  command -v "$t" >/dev/null 2>&1 || { echo "SKIPPED: $t is not installed"; exit 77; }
done
export SSR_WAN_TAP=1
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
# Kernels without 802.1Q (no CONFIG_VLAN_8021Q: `ip link add ... type vlan` fails) cannot have
# wan0.20: there the addresses stay on wan0 and ARP / ND run untagged on it (the gate passes them on
# any VLAN), which still checks the tagging and the gate, not the resolution on a subinterface.
subif=1
probe_ns="$SSR_NS_WAN"
if ! ip -n "$probe_ns" link add ssrCvlanprobe type vlan id 20 link br0 2>/dev/null; then
  subif=0
  echo "    this kernel has no 802.1Q devices: peers resolved untagged on wan0 (not on wan0.20)"
else
  ip -n "$probe_ns" link del ssrCvlanprobe
fi
for pair in "$SSR_NS_BRANCH:192.0.2.1:2001:db8:2::1" "$SSR_NS_DC:192.0.2.2:2001:db8:2::2"; do
  ns="${pair%%:*}" rest="${pair#*:}"
  v4="${rest%%:*}" v6="${rest#*:}"
  # The tag in the frame data (no VLAN offload): what XDP and AF_XDP see.
  ssr_ns "$ns" ethtool -K wan0 rxvlan off txvlan off >/dev/null 2>&1 || true
  [ "$subif" = 1 ] || continue
  ip -n "$ns" addr flush dev wan0
  ssr_ns "$ns" sysctl -qw net.ipv6.conf.wan0.disable_ipv6=1 net.ipv4.conf.all.arp_ignore=1
  ip -n "$ns" link add link wan0 name wan0.20 type vlan id 20 || fail "wan0.20 in $ns"
  ip -n "$ns" link set wan0.20 up
  ip -n "$ns" addr add "$v4/24" dev wan0.20
  ip -n "$ns" addr add "$v6/64" dev wan0.20 nodad
done
for dev in wa wb; do ssr_ns "$SSR_NS_WAN" ethtool -K "$dev" rxvlan off txvlan off >/dev/null 2>&1 || true; done

config_file="$SSR_TOPO_DIR/config.textproto"
python3 - "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$config_file" <<'PY' || fail "config"
import sys
s = open(sys.argv[1]).read()
anchor = '    role: WAN\n'
assert s.count(anchor) == 2, "two WAN interfaces expected"
s = s.replace(anchor, anchor + '    vlan: 20\n')
open(sys.argv[2], "w").write(s)
PY

pcap="$SSR_TOPO_DIR/wan.pcap"
ssr_bg ip netns exec "$SSR_NS_WAN" dumpcap -q -i br0 -P -w "$pcap" 2>"$SSR_TOPO_DIR/dumpcap.log"
cap_pid=$SSR_LAST_PID
ssr_wait_file_line "$SSR_TOPO_DIR/dumpcap.log" "Capturing on" 20 || fail "dumpcap did not start"
ssr_test_routers native --config "$config_file"

for SSR_FAMILY in 4 6; do
  out="$(ssr_in_client ping -n -c 5 -i 0.2 -W 2 -I "$(_ssr_a 10.10.9.20)" "$(_ssr_a 10.20.3.10)" 2>&1)"
  n="$(_ssr_ping_received "$out")"
  echo "    ping $(_ssr_a 10.10.9.20) -> $(_ssr_a 10.20.3.10) over WAN VLAN 20: ${n:-0}/5 replies"
  # The first echo may meet a peer the kernel is still resolving; the rest must come back.
  [ "${n:-0}" -ge 4 ] || fail "ping over the tagged WAN got ${n:-0}/5 replies (IPv$SSR_FAMILY)"
  out="$(ssr_in_client python3 "$SSR_TRAFFIC" tcp-send "$(_ssr_a 10.20.3.10)" 80 --bind "$(_ssr_a 10.10.1.10)" \
           --bytes 1048576 --timeout 10 2>&1)" || fail "TCP over the tagged WAN (IPv$SSR_FAMILY): $out"
  echo "    $out"
done

[ "$subif" = 1 ] && ip -n "$SSR_NS_DC" neigh show dev wan0.20 | sed 's/^/    datacenter kernel on wan0.20: /'
sleep 0.5
ssr_router_dump datacenter "$SSR_TOPO_DIR/dc.a" || fail "no stats dump"
dc_mac="$(ip -n "$SSR_NS_DC" -br link show wan0 | awk '{print $3}')"
# Untagged and VLAN 30 IP frames from the peer's address to a waypoint port, through the bridge.
ssr_ns "$SSR_NS_WAN" python3 "$SSR_NETNS_TEST_DIR/frames.py" wan-vlan br0 "$dc_mac" 192.0.2.1 192.0.2.2 16384 \
  --vlan none,30 --count 10 || fail "could not send the wrong-VLAN frames"
ssr_ns "$SSR_NS_WAN" python3 "$SSR_NETNS_TEST_DIR/frames.py" wan-vlan br0 "$dc_mac" 2001:db8:2::1 2001:db8:2::2 16384 \
  --vlan none,30 --count 10 || fail "could not send the wrong-VLAN frames"
sleep 0.3
ssr_router_dump datacenter "$SSR_TOPO_DIR/dc.b" || fail "no stats dump"
echo "    datacenter: $(ssr_deltas "$SSR_TOPO_DIR/dc.a" "$SSR_TOPO_DIR/dc.b" '^(gate|pipeline)\.')"
drops="$(ssr_delta "$SSR_TOPO_DIR/dc.a" "$SSR_TOPO_DIR/dc.b" gate.drop_wan_vlan)"
[ "$drops" = 40 ] || fail "datacenter's gate dropped $drops of 40 untagged / VLAN 30 frames (drop_wan_vlan)"
# The branch's BFD (correctly tagged, peer_frame_in) keeps arriving meanwhile; anything else
# the pipeline received would be one of the injected frames.
rx="$(ssr_delta "$SSR_TOPO_DIR/dc.a" "$SSR_TOPO_DIR/dc.b" pipeline.rx_packets)"
bfd="$(ssr_delta "$SSR_TOPO_DIR/dc.a" "$SSR_TOPO_DIR/dc.b" pipeline.peer_frame_in)"
[ "$((rx - bfd))" = 0 ] || fail "wrong-VLAN frames reached the datacenter's pipeline (rx_packets +$rx, of which peer liveness +$bfd)"

sleep 0.3
kill -INT "$cap_pid"
wait "$cap_pid"
svr20="$(tshark -r "$pcap" -Y 'vlan.id == 20 && (udp || tcp) && ip.src == 192.0.2.0/24 && ip.dst == 192.0.2.0/24' -T fields -e frame.number 2>/dev/null | wc -l)"
# Without 802.1Q the kernel's own resolution kicks (UDP to port 9, neighbor_refresh.h) leave untagged.
kicks='!(udp.dstport == 9)'
[ "$subif" = 1 ] && kicks='frame'
untagged="$(tshark -r "$pcap" -Y "!vlan && (ip.src == 192.0.2.0/24 || (ipv6.src == 2001:db8:2::/64 && !icmpv6)) && !(udp.srcport == 40000) && $kicks" -T fields -e frame.number 2>/dev/null | wc -l)"
arp20="$(tshark -r "$pcap" -Y 'vlan.id == 20 && (arp || icmpv6.type == 135 || icmpv6.type == 136)' -T fields -e frame.number 2>/dev/null | wc -l)"
echo "    WAN capture: $svr20 SVR frames with tag 20, $untagged untagged IP frames between the routers," \
     "$arp20 ARP/ND frames with tag 20"
[ "$svr20" -gt 700 ] || fail "only $svr20 tagged SVR frames on the WAN (1 MiB TCP twice needs > 700)"
[ "$untagged" = 0 ] || fail "$untagged untagged IP frames between the routers on a VLAN 20 WAN"
[ "$subif" = 0 ] || [ "$arp20" -gt 0 ] || fail "no tagged ARP / ND on the WAN: the peers were not resolved on VLAN 20"
for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: a tagged WAN carries SVR with tag 20; untagged and wrong-tag frames are dropped"
