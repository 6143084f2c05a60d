#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SVR on the wire: a capture of the WAN (a bridge between the two routers' wan0, see
# scripts/netns/topology.sh for why not wan0 itself) while UDP echo, a TCP transfer and a ping cross
# it, over IPv4 and over IPv6 (IPv6 sessions on the IPv4 WAN). check_wan_capture.py checks per session that the metadata cookie 4c48dbc6ddf6670c follows the
# UDP/TCP header on the first packets only (a TCP SYN carries it, later segments do not) and that
# every packet ends with a valid time-based HMAC-SHA256-128 tag under the default config's hop
# key; tshark counts the cookie packets independently of the Python parser.
#   wan_capture_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
for t in dumpcap tshark; do
  command -v "$t" >/dev/null 2>&1 || { echo "SKIPPED: $t is not installed (tshark package)"; exit 77; }
done
export SSR_WAN_TAP=1
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
ssr_test_routers native

pcap="$SSR_TOPO_DIR/wan.pcap"
ssr_bg ip netns exec "$SSR_NS_WAN" dumpcap -q -i br0 -P -w "$pcap" 2>"$SSR_TOPO_DIR/dumpcap.log"
cap_pid=$SSR_LAST_PID
ssr_wait_file_line "$SSR_TOPO_DIR/dumpcap.log" "Capturing on" 20 || fail "dumpcap did not start"

for SSR_FAMILY in 4 6; do  # IPv6 sessions cross the IPv4 WAN too (the first peer address's family)
  ssr_in_client python3 "$SSR_TRAFFIC" udp-echo "$(_ssr_a 10.20.3.10)" 7 --bind "$(_ssr_a 10.10.2.10)" \
    --count 5 --interval 0.05 || fail "UDP echo over IPv$SSR_FAMILY"
  ssr_in_client python3 "$SSR_TRAFFIC" tcp-send "$(_ssr_a 10.20.3.10)" 80 --bind "$(_ssr_a 10.10.1.10)" \
    --bytes 65536 || fail "TCP transfer over IPv$SSR_FAMILY"
  ssr_in_client ping -n -q -c 3 -i 0.2 -W 2 -I "$(_ssr_a 10.10.9.20)" "$(_ssr_a 10.20.3.10)" | grep transmitted
done
sleep 0.5
kill -INT "$cap_pid"
wait "$cap_pid"
[ -s "$pcap" ] || fail "no capture"

python3 "$SSR_NETNS_TEST_DIR/check_wan_capture.py" --expect-tcp 2 --expect-udp 4 --expect-liveness "$pcap" |
  tee "$SSR_TOPO_DIR/check.log"
rc=${PIPESTATUS[0]}
ours="$(sed -n 's/^packets with the cookie: //p' "$SSR_TOPO_DIR/check.log")"
theirs="$(tshark -r "$pcap" -Y '(udp.payload[0:8] == 4c:48:db:c6:dd:f6:67:0c && !(udp.port == 1280)) || tcp.payload[0:8] == 4c:48:db:c6:dd:f6:67:0c' \
  -T fields -e frame.number 2>/dev/null | wc -l)"
echo "tshark: $theirs packets with the cookie right after the UDP/TCP header"
[ "$ours" = "$theirs" ] || fail "tshark finds $theirs packets with the cookie, the checker $ours"
[ "$rc" = 0 ] || fail "the capture does not show SVR as expected (see ERROR lines)"
ssr_test_elapsed
echo "PASS: metadata on first packets only, HMAC on every packet"
