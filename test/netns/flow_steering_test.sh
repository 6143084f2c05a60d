#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Flow steering between workers (docs/protocol.md §2.10.2). Every veth has 2 queues and both
# routers run 2 workers (--workers 2) with the default config. The end hosts keep Linux's
# default net.core.txrehash (a TCP flow may move to the other queue after a retransmission
# timeout), and on veths the sender's socket hash picks the queue of each direction of a flow,
# so many packets arrive on a worker that does not own their session: it hands them to the
# owner. While a long paced TCP stream runs (engineering 10.10.1.10 -> web:80, sha256 checked at
# both ends, one attempt: no connection may stall), 64 concurrent TCP transfers (200 kB each,
# distinct source ports, sha256 checked) and 64 UDP flows of 10 echoed datagrams each
# (client -> server -> client) must all complete, and on both routers the workers must have
# handed frames over (handoff_sent and handoff_received > 0 on both workers' sum, equal sums).
# Before flow steering, 1 TCP connection in 6 to 1 in 2 stalled on this topology.
#   flow_steering_test.sh SSR_ROUTER XDP_PASS_OBJ [WORKERS] [iperf]
# WORKERS (default 2; the veths get as many queues, as a router needs a worker per queue);
# "iperf" adds a 5 s iperf3 run (when installed) and prints its throughput
# (for docs/protocol.md §2.10.2, not a verdict).
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
workers="${3:-2}"
SSR_VETH_QUEUES="$workers"  # a worker per queue (1 worker: 1 queue, for the comparison)
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
STREAMS="$SSR_NETNS_TEST_DIR/streams.py"
STEER="$SSR_NETNS_TEST_DIR/steer_traffic.py"
d="$SSR_TOPO_DIR"

ssr_test_routers native --workers "$workers"
grep -h 'worker(s)' "$d/branch.err" "$d/datacenter.err" | grep -q "$workers worker" ||
  fail "the routers did not start $workers workers"
ssr_in_client ping -n -q -c 2 -i 0.2 -W 2 -I 10.10.1.10 10.20.3.10 >/dev/null ||
  fail "no ping through the routers"
for r in branch datacenter; do ssr_router_dump "$r" "$d/$r.before" || fail "no stats dump"; done

ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$STREAMS" tcp-stream 10.20.3.10 80 \
  --bind 10.10.1.10 --seconds 10 --attempts 1 >"$d/tcp-long.log" 2>&1
long_pid=$SSR_LAST_PID
sleep 1
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$STEER" tcp-many 10.20.3.10 80 --bind 10.10.1.10 \
  --count 64 --bytes 200000 >"$d/tcp-many.log" 2>&1
many_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$STEER" udp-many 10.20.3.10 7 --bind 10.10.1.10 \
  --flows 64 --count 10 >"$d/udp-many.log" 2>&1
udp_pid=$SSR_LAST_PID
wait "$many_pid"; many_rc=$?
wait "$udp_pid"; udp_rc=$?
wait "$long_pid"; long_rc=$?
cat "$d/tcp-many.log" "$d/udp-many.log" "$d/tcp-long.log"

for r in branch datacenter; do
  sleep 0.3
  ssr_router_dump "$r" "$d/$r.after" || fail "no stats dump"
  echo "$r: $(ssr_deltas "$d/$r.before" "$d/$r.after" '^(worker\.[0-9]+\.(handoff|rx_packets|sessions)|pipeline\.(handoff|session_created|policy_drop|tcp_not_syn))')"
done
[ "$many_rc" = 0 ] || fail "not every one of the 64 TCP transfers completed"
[ "$udp_rc" = 0 ] || fail "not every UDP flow got all its echoes"
[ "$long_rc" = 0 ] || fail "the long TCP stream did not arrive intact on its first connection"

if [ "$workers" -gt 1 ]; then
  for r in branch datacenter; do
    sent=0
    received=0
    for w in $(seq 0 $((workers - 1))); do
      sent=$((sent + $(ssr_delta "$d/$r.before" "$d/$r.after" "worker.$w.handoff_sent")))
      received=$((received + $(ssr_delta "$d/$r.before" "$d/$r.after" "worker.$w.handoff_received")))
    done
    full="$(ssr_delta "$d/$r.before" "$d/$r.after" pipeline.handoff_ring_full)"
    echo "$r: handoff_sent=$sent handoff_received=$received handoff_ring_full=$full"
    [ "$sent" -gt 0 ] || fail "$r: no frame was handed to another worker"
    [ "$((sent - full))" -ge "$received" ] && [ "$received" -gt 0 ] ||
      fail "$r: $sent frames handed over, $full dropped, $received received"
  done
fi

if [ "${4:-}" = iperf ] && command -v iperf3 >/dev/null; then
  for p in 1 4; do
    ssr_bg ip netns exec "$SSR_NS_SERVER" iperf3 -s -B 10.20.3.10 -p 443 -1 >"$d/iperf-s$p.log" 2>&1
    sleep 0.5
    ip netns exec "$SSR_NS_CLIENT" iperf3 -c 10.20.3.10 -p 443 -B 10.10.1.10 -t 5 -P "$p" \
      >"$d/iperf-c$p.log" 2>&1 || echo "iperf3 -P $p failed: $(tail -n 3 "$d/iperf-c$p.log")"
    echo "iperf3 workers=$workers streams=$p: $(grep -E 'receiver' "$d/iperf-c$p.log" | tail -n 1)"
  done
fi

for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: every flow completed through two $workers-worker routers on $workers-queue veths"
