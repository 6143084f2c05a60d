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
# WORKERS (default 2); the veths get SSR_TEST_VETH_QUEUES queues (default: WORKERS). With more
# queues than workers (worker_queues_test.sh: 1 worker on 2-queue veths, 2 workers on 4-queue
# veths) each worker serves several queues (docs/architecture.md "Workers and queues"): the
# startup line must list them, and the routers' veths must have redirected packets on queues
# numbered WORKERS and up (before every queue was served, those packets were lost and most
# transfers stalled); and QUEUES + 1 workers are refused with an error naming lan0 and its queue
# count.
# "iperf" adds a 5 s iperf3 run (when installed) and prints its throughput
# (for docs/protocol.md §2.10.2, not a verdict).
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
workers="${3:-2}"
queues="${SSR_TEST_VETH_QUEUES:-$workers}"
SSR_VETH_QUEUES="$queues"  # default a worker per queue (1 worker: 1 queue, for the comparison)
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
STREAMS="$SSR_NETNS_TEST_DIR/streams.py"
STEER="$SSR_NETNS_TEST_DIR/steer_traffic.py"
d="$SSR_TOPO_DIR"

if [ "$queues" != "$workers" ]; then
  # More workers than queues is refused before anything is attached, naming the interface.
  too_many=$((queues + 1))
  timeout 60 ip netns exec "$SSR_NS_BRANCH" "$SSR_ROUTER_BIN" --default --router branch \
    --interface lan0=lan0 --interface wan0=wan0 --workers "$too_many" >"$d/refused.out" 2>&1
  rc=$?
  cat "$d/refused.out"
  [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "--workers $too_many on $queues-queue veths: exit $rc"
  grep -q "workers: $too_many workers but interface lan0 (lan0) has $queues RX queue(s)" \
    "$d/refused.out" || fail "--workers $too_many on $queues-queue veths: no clear error"
  [ -z "$(ip -n "$SSR_NS_BRANCH" link show lan0 | grep -o 'xdp[a-z]*')" ] ||
    fail "the refused router left an XDP program on lan0"
fi
ssr_test_routers native --workers "$workers"
grep -h 'worker(s)' "$d/branch.err" "$d/datacenter.err" | grep -q "$workers worker" ||
  fail "the routers did not start $workers workers"
# The queues each worker serves: worker w has w, w + WORKERS, ... ("0-1" or "0,2|1,3").
expect_queues=""
for w in $(seq 0 $((workers - 1))); do
  list=""
  for q in $(seq "$w" "$workers" $((queues - 1))); do list="${list:+$list,}$q"; done
  [ "$workers" = 1 ] && [ "$queues" -gt 1 ] && list="0-$((queues - 1))"
  expect_queues="${expect_queues:+$expect_queues|}$list"
done
for r in branch datacenter; do
  grep -q "lan0=lan0(native,copy,queues $expect_queues)" "$d/$r.err" ||
    fail "$r: the startup line does not say queues $expect_queues: $(grep -h 'worker(s)' "$d/$r.err")"
done
# Packets the veths redirected on RX queue q (ethtool -S rx_queue_<q>_xdp_redirect), summed over
# the routers' lan0 and wan0 for the queues numbered WORKERS and up.
high_queue_redirects() {
  local total=0 ns dev q v
  for ns in "$SSR_NS_BRANCH" "$SSR_NS_DC"; do
    for dev in lan0 wan0; do
      for q in $(seq "$workers" $((queues - 1))); do
        v="$(ip netns exec "$ns" ethtool -S "$dev" | awk -v k="rx_queue_${q}_xdp_redirect:" '$1 == k {print $2}')"
        total=$((total + ${v:-0}))
      done
    done
  done
  echo "$total"
}
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
if [ "$queues" -gt "$workers" ]; then
  high="$(high_queue_redirects)"
  echo "packets redirected on queues $workers..$((queues - 1)) of the routers' veths: $high"
  [ "$high" -gt 0 ] || fail "no packet came in on a queue numbered $workers or up (test not exercised)"
fi
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
echo "PASS: every flow completed through two $workers-worker routers on $queues-queue veths"
