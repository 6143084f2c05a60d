#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# First packets to a server nobody has resolved yet (issue 14): a fresh topology, no ping before,
# and UDP and TCP from the client (sales 10.10.2.10) to voice, a service prefix (10.20.2.0/24,
# fd00:10:20:2::/64; TCP 5061 added for the test) with servers at 10.20.2.5 (UDP echo) and
# 10.20.2.6 (TCP) and their IPv6 twins, whose MACs the datacenter's kernel does not know (only
# peers, gateways and host-route services are resolved ahead). The first packet reaches the
# datacenter, which has no MAC for the server (no_neighbor); the worker reports the miss and the
# control thread asks the kernel to resolve it (router/neighbor_refresh.h, router.neighbor_kicks),
# so a retry one second later gets through.
# Checks per family: each server was unknown before, a UDP echo comes back within the second try
# (1 s each), a TCP connect is established within 2.5 s (one SYN retransmission), and the
# datacenter counted no_neighbor and kicks.
#   first_packet_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
# voice also takes TCP 5061 here, for a TCP server inside the prefix (10.20.2.6).
config_file="$SSR_TOPO_DIR/config.textproto"
python3 - "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$config_file" <<'PY' || fail "config"
import sys
s = open(sys.argv[1]).read()
anchor = '  transports { protocol: UDP ports { start: 5060 } ports { start: 10000 end: 20000 } }\n'
assert s.count(anchor) == 1, "voice's transports not found once"
s = s.replace(anchor, anchor + '  transports { protocol: TCP ports { start: 5061 } }\n')
open(sys.argv[2], "w").write(s)
PY
ssr_test_routers native --config "$config_file"
ip -n "$SSR_NS_SERVER" addr add 10.20.2.6/16 dev s0
ip -n "$SSR_NS_SERVER" addr add fd00:10:20:2::6/48 dev s0 nodad
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" tcp-sink 10.20.2.6 5061 \
  >"$SSR_TOPO_DIR/sip.log" 2>&1
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" tcp-sink fd00:10:20:2::6 5061 \
  >"$SSR_TOPO_DIR/sip6.log" 2>&1
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" udp-echo-server 10.20.2.5 5060 \
  >"$SSR_TOPO_DIR/voice.log" 2>&1
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" udp-echo-server fd00:10:20:2::5 5060 \
  >"$SSR_TOPO_DIR/voice6.log" 2>&1
for f in voice voice6 sip sip6; do
  ssr_wait_file_line "$SSR_TOPO_DIR/$f.log" ' on ' || fail "voice echo servers did not start"
done
ssr_router_dump datacenter "$SSR_TOPO_DIR/before" || fail "no stats dump"

for pair in 10.20.2.5/10.10.2.10 fd00:10:20:2::5/fd00:10:10:2::10; do
  addr="${pair%/*}" src="${pair#*/}"
  # Nothing resolved the server yet: the datacenter's kernel has no entry for it.
  if ip -n "$SSR_NS_DC" neigh show "$addr" | grep -q lladdr; then
    fail "the datacenter's kernel already knows $addr: the test would not test first packets"
  fi
  ok=0
  for try in 1 2; do
    out="$(ssr_in_client python3 "$SSR_TRAFFIC" udp-echo "$addr" 5060 --bind "$src" --count 1 --timeout 1 2>&1)" &&
      { ok=1; echo "    try $try: $out"; break; }
    echo "    try $try: $out"
  done
  [ "$ok" = 1 ] || fail "no echo from $addr within two tries: the unresolved server was not resolved"
done
# TCP: the first SYN is dropped, the one the client's kernel retransmits 1 s later gets through.
for pair in 10.20.2.6/10.10.2.10 fd00:10:20:2::6/fd00:10:10:2::10; do
  addr="${pair%/*}" src="${pair#*/}"
  if ip -n "$SSR_NS_DC" neigh show "$addr" | grep -q lladdr; then
    fail "the datacenter's kernel already knows $addr: the test would not test first packets"
  fi
  t0=$(date +%s%N)
  out="$(ssr_in_client python3 "$SSR_TRAFFIC" tcp-connect "$addr" 5061 --bind "$src" --timeout 2.5 2>&1)" ||
    fail "TCP connect to $addr was not established within 2.5 s (one SYN retransmission): $out"
  echo "    $out in $((($(date +%s%N) - t0) / 1000000)) ms"
done
sleep 0.3
ssr_router_dump datacenter "$SSR_TOPO_DIR/after" || fail "no stats dump"
echo "    datacenter: $(ssr_deltas "$SSR_TOPO_DIR/before" "$SSR_TOPO_DIR/after" 'no_neighbor|neighbor')"
nn="$(ssr_delta "$SSR_TOPO_DIR/before" "$SSR_TOPO_DIR/after" pipeline.no_neighbor)"
kicks="$(ssr_delta "$SSR_TOPO_DIR/before" "$SSR_TOPO_DIR/after" router.neighbor_kicks)"
[ "$nn" -ge 4 ] || fail "datacenter counted no_neighbor +$nn: the first packets did not hit unresolved servers"
[ "$kicks" -ge 4 ] || fail "datacenter kicked resolution +$kicks times, expected one per server"
for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: first packets to unresolved servers get through on their first retry"
