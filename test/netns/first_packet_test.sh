#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# First packets to a server nobody has resolved yet (issue 14): a fresh topology, no ping before,
# and UDP from the client (sales 10.10.2.10) to voice, a service prefix (10.20.2.0/24,
# fd00:10:20:2::/64) with a server at 10.20.2.5 / fd00:10:20:2::5 whose MAC the datacenter's
# kernel does not know (only peers, gateways and host-route services are resolved ahead). The first
# datagram reaches the datacenter, which has no MAC for the server (no_neighbor); the worker
# reports the miss and the control thread asks the kernel to resolve it (router/neighbor_refresh.h,
# router.neighbor_kicks), so a retry one second later gets through.
# Checks per family: the server was unknown before, an echo comes back within the second try
# (1 s each), and the datacenter counted no_neighbor and kicks.
#   first_packet_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
ssr_test_routers native
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" udp-echo-server 10.20.2.5 5060 \
  >"$SSR_TOPO_DIR/voice.log" 2>&1
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" udp-echo-server fd00:10:20:2::5 5060 \
  >"$SSR_TOPO_DIR/voice6.log" 2>&1
ssr_wait_file_line "$SSR_TOPO_DIR/voice.log" ' on ' && ssr_wait_file_line "$SSR_TOPO_DIR/voice6.log" ' on ' ||
  fail "voice echo servers did not start"
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
sleep 0.3
ssr_router_dump datacenter "$SSR_TOPO_DIR/after" || fail "no stats dump"
echo "    datacenter: $(ssr_deltas "$SSR_TOPO_DIR/before" "$SSR_TOPO_DIR/after" 'no_neighbor|neighbor')"
nn="$(ssr_delta "$SSR_TOPO_DIR/before" "$SSR_TOPO_DIR/after" pipeline.no_neighbor)"
kicks="$(ssr_delta "$SSR_TOPO_DIR/before" "$SSR_TOPO_DIR/after" router.neighbor_kicks)"
[ "$nn" -ge 2 ] || fail "datacenter counted no_neighbor +$nn: the first datagrams did not hit an unresolved server"
[ "$kicks" -ge 2 ] || fail "datacenter kicked resolution +$kicks times, expected one per server"
for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: first packets to unresolved servers get through on the second try"
