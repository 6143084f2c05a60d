#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Router-wide session limits under a flood (docs/protocol.md §2.10.1 "Router-wide limits", issue
# 16 item 4). Every veth has 2 queues and both routers run 2 workers (--workers 2), with
# limits { max_sessions: 1024 max_sessions_per_tenant: 512 }: each worker's table has room for
# 1024 sessions, so only the shared budget keeps the router at 1024. While an established TCP
# transfer (engineering 10.10.1.10 -> web:80, sha256 at both ends) and a ping every 100 ms
# (guest 10.10.9.20 -> web) run:
#   1. a SYN flood from 234 spoofed guest addresses (test/router/syn_flood.py) fills guest's 512;
#   2. UDP floods to web's echo server from 234 spoofed sales and 107 spoofed engineering
#      addresses (answered sessions, which are not embryonic, so nothing can evict them) push the
#      router past 1024: they first evict guest's embryonic sessions, then are refused.
# The TCP transfer is streams.py tcp-stream: a connection whose two directions do not both get
# through is replaced before the flood starts. That guarded against a limitation since fixed by
# flow steering (docs/protocol.md §2.10.2, netns.flow_steering): sessions lived in the worker
# whose queue received the first packet, and on veths each end host picks a TCP flow's queue from
# its own socket hash, so in 1 connection in 6 to 1 in 2 the server's packets reached the
# datacenter's other worker, which dropped them as a LAN first packet and the connection stalled.
# Both routers' stats are sampled every 0.5 s. Checks: sessions.budgeted (the router-wide count)
# never above 1024 on either router, the sum of the workers' sessions neither (up to the skew of
# their snapshots, see below; exactly once the floods stop, when it must equal the budget), the
# branch reached the limit (>= 1000), both workers held sessions, tenant_session_limit and
# router_session_limit rose, the TCP transfer arrived intact and at least 95 % of the pings were
# answered. Then a SIGHUP with max_sessions 2048 is refused, naming the field (the tables and the
# budget are sized at start).
#   session_limits_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
SSR_VETH_QUEUES=2
ssr_test_up
# A veth's queue is chosen by the sender (the socket's hash), not by hashing the tuple as a NIC's
# RSS does, and Linux gives a TCP socket a new hash after a retransmission timeout
# (net.core.txrehash): the flow would move to the other queue, i.e. the other worker, whose table
# does not hold its session (the branch answers its next segment with an RST, tcp_not_syn_reset).
# Off in the end hosts, so that a flow stays on its queue as with RSS.
for ns in "$SSR_NS_CLIENT" "$SSR_NS_SERVER"; do
  ip netns exec "$ns" sysctl -qw net.core.txrehash=0 || fail "cannot turn net.core.txrehash off"
done
ssr_servers_start || fail "traffic programs did not start"
STREAMS="$SSR_NETNS_TEST_DIR/streams.py"
SYN_FLOOD="$SSR_SOURCE_ROOT/test/router/syn_flood.py"
d="$SSR_TOPO_DIR"
max=1024

python3 - "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$d/config.textproto" <<'PY' ||
import sys
s = open(sys.argv[1]).read()
old = "limits { max_sessions: 1048576 }"
if s.count(old) != 1:
    sys.exit("default.textproto: limits not found once")
open(sys.argv[2], "w").write(
    s.replace(old, "limits { max_sessions: 1024 max_sessions_per_tenant: 512 }"))
PY
  fail "could not write the config"
ssr_test_routers native --config "$d/config.textproto" --workers 2
grep -h 'worker(s)' "$d/branch.err" "$d/datacenter.err" | grep -q '2 worker' ||
  fail "the routers did not start 2 workers"

ssr_in_client ping -n -q -c 2 -i 0.2 -W 2 -I 10.10.1.10 10.20.3.10 >/dev/null ||
  fail "no ping through the routers before the flood"
for r in branch datacenter; do ssr_router_dump "$r" "$d/$r.before" || fail "no stats dump"; done

pings=150
ssr_bg ip netns exec "$SSR_NS_CLIENT" ping -n -q -i 0.1 -c "$pings" -W 2 -I 10.10.9.20 10.20.3.10 \
  >"$d/ping.log" 2>&1
ping_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$STREAMS" tcp-stream 10.20.3.10 80 \
  --bind 10.10.1.10 --seconds 14 >"$d/tcp.log" 2>&1
tcp_pid=$SSR_LAST_PID
ssr_wait_file_line "$d/tcp.log" 'through on attempt|no connection' 30 || fail "the TCP stream did not start"
grep -q 'through on attempt' "$d/tcp.log" || fail "$(cat "$d/tcp.log")"
sleep 1

ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$SYN_FLOOD" flood 10.20.3.10 80 10.10.9 1500 9 \
  >"$d/syn.log" 2>&1
syn_pid=$SSR_LAST_PID
sleep 2
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$STREAMS" udp-flood 10.20.3.10 7 10.10.2 21 254 \
  1000 6 >"$d/udp-sales.log" 2>&1
sales_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$STREAMS" udp-flood 10.20.3.10 7 10.10.1 21 127 \
  1000 6 >"$d/udp-eng.log" 2>&1
eng_pid=$SSR_LAST_PID

# Samples while the floods run. sessions.budgeted is the router-wide count the workers admit
# against, read at once; the workers' own counts are snapshots each worker publishes every
# 100 ms, so their sum can be off by the sessions that moved in between (evictions and
# admissions under the flood): "skew" allows for that (a limit held per worker would show up to
# 2 x 1024). Once the floods stop, the three must agree exactly.
skew=16
peak_branch=0
# shellcheck disable=SC2034  # read through ${!peak_var}
peak_datacenter=0
last_branch=""
i=0
while kill -0 "$syn_pid" 2>/dev/null || kill -0 "$sales_pid" 2>/dev/null ||
      kill -0 "$eng_pid" 2>/dev/null; do
  for r in branch datacenter; do
    ssr_router_dump "$r" "$d/$r.s$i" || fail "no stats dump"
    live="$(ssr_stat "$d/$r.s$i" sessions.budgeted)"
    w0="$(ssr_stat "$d/$r.s$i" worker.0.sessions)"
    w1="$(ssr_stat "$d/$r.s$i" worker.1.sessions)"
    echo "sample $i $r: sessions.budgeted=$live worker.0=$w0 worker.1=$w1"
    [ "$live" -le "$max" ] || fail "$r holds $live sessions, above max_sessions $max"
    [ $((w0 + w1)) -le $((max + skew)) ] ||
      fail "$r's workers hold $w0 + $w1 sessions, above $max (+ $skew of snapshot skew)"
    peak_var="peak_$r"
    [ "$live" -gt "${!peak_var}" ] && printf -v "$peak_var" '%s' "$live"
  done
  last_branch="$d/branch.s$i"
  i=$((i + 1))
  sleep 0.5
done
wait "$syn_pid"
wait "$sales_pid"
wait "$eng_pid"
cat "$d/syn.log" "$d/udp-sales.log" "$d/udp-eng.log"

wait "$tcp_pid"; tcp_rc=$?
wait "$ping_pid"
cat "$d/tcp.log"
grep -E 'transmitted' "$d/ping.log"
if [ "$tcp_rc" != 0 ]; then
  for r in branch datacenter; do
    ssr_router_dump "$r" "$d/$r.failed" &&
      echo "$r: $(ssr_deltas "$d/$r.before" "$d/$r.failed" '^(pipeline|session)\.')"
  done
  fail "the established TCP transfer did not arrive intact under the flood"
fi
got="$(_ssr_ping_received "$(cat "$d/ping.log")")"
[ $((${got:-0} * 100)) -ge $((pings * 95)) ] || fail "only ${got:-0} of $pings pings answered"

# Quiet (no flood): two dumps in a row with the same counts; the workers' sum equals the budget.
for r in branch datacenter; do
  prev=""
  for j in $(seq 1 20); do
    ssr_router_dump "$r" "$d/$r.q$j" || fail "no stats dump"
    cur="$(ssr_stat "$d/$r.q$j" sessions.budgeted) $(ssr_stat "$d/$r.q$j" sessions.live)"
    cur="$cur $(( $(ssr_stat "$d/$r.q$j" worker.0.sessions) + $(ssr_stat "$d/$r.q$j" worker.1.sessions) ))"
    [ "$cur" = "$prev" ] && break
    prev="$cur"
    sleep 0.3
  done
  echo "$r quiet: sessions.budgeted, sessions.live, sum of the workers: $cur"
  read -r b l w <<<"$cur"
  if [ "$b" != "$l" ] || [ "$l" != "$w" ]; then
    fail "$r: the budget ($b) and the tables ($l, $w) disagree"
  fi
  [ "$b" -le "$max" ] || fail "$r holds $b sessions, above max_sessions $max"
done

for r in branch datacenter; do
  ssr_router_dump "$r" "$d/$r.after" || fail "no stats dump"
  echo "$r: peak sessions.budgeted $(eval echo "\$peak_$r"); $(ssr_deltas "$d/$r.before" \
    "$d/$r.after" '^pipeline\.(session_|tenant_session_limit|router_session_limit|embryonic)')"
done
[ "$peak_branch" -ge $((max - 24)) ] || fail "the branch never came near its limit (peak $peak_branch)"
w0="$(ssr_stat "$last_branch" worker.0.sessions)"
w1="$(ssr_stat "$last_branch" worker.1.sessions)"
if [ "$w0" = 0 ] || [ "$w1" = 0 ]; then
  fail "the branch's sessions were not spread over both workers ($w0 + $w1)"
fi
n="$(ssr_delta "$d/branch.before" "$d/branch.after" pipeline.tenant_session_limit)"
[ "$n" -ge 1 ] || fail "the branch counted no tenant_session_limit"
n="$(ssr_delta "$d/branch.before" "$d/branch.after" pipeline.router_session_limit)"
[ "$n" -ge 1 ] || fail "the branch counted no router_session_limit"

# A reload cannot resize the tables or the budget: a config with max_sessions 2048 is refused
# (the old config keeps running), not accepted and ignored.
sed -i 's/max_sessions: 1024 /max_sessions: 2048 /' "$d/config.textproto"
# shellcheck disable=SC2154  # set by ssr_router_start
kill -HUP "$SSR_PID_branch"
ssr_wait_file_line "$d/branch.err" 'reload failed' 10 || fail "a reload changing max_sessions was not refused"
grep -A1 'reload failed' "$d/branch.err" | tail -n1
grep -q 'limits.max_sessions: 1024 -> 2048' "$d/branch.err" || fail "the refusal does not name limits.max_sessions"
ssr_router_dump branch "$d/branch.reload" || fail "no stats dump"
[ "$(ssr_stat "$d/branch.reload" router.config_generation)" = 1 ] || fail "the branch's generation moved"

for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: the router-wide session limits held across 2 workers under the flood"
