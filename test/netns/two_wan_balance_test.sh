#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Load balancing of one service across two datacenters (issue 15 item 7; docs/protocol.md §5.8):
# the branch has two routes for web, "web-via-dc" (peer datacenter: paths mpls over wA and inet
# over wB) and "web-via-dc2" (peer datacenter2: path dc2 over wC); each datacenter's server
# answers UDP 7 with its name appended (two_wan.py echo), so the client sees which one served
# each session.
#   1. PROPORTIONAL, weights 3:1: 40 new UDP sessions split 30 / 10 (smooth weighted round robin,
#      one worker: exact up to +-2), by the answers and by route.<name>.sessions.
#   2. HUNT (config reloaded by SIGHUP): 20 sessions all to datacenter. A UDP stream to web runs
#      on datacenter; then wA and wB are both cut (every path to datacenter down): 20 new
#      sessions all go to datacenter2, and so does the running stream: with every path of its
#      peer down, a session is rerouted to the service's next usable route (pipeline/
#      path_choice.cc RerouteSession, docs/protocol.md §5.7; metadata with a move sequence opens
#      it at datacenter2). The stream loses the datagrams of the detection time only
#      (route.web-via-dc.sessions falls, route.web-via-dc2.sessions rises by the moved sessions).
#   two_wan_balance_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=test/netns/two_wan_lib.sh
source "$(dirname "$0")/two_wan_lib.sh"
ssr_test_require native
tw_up dc2
d="$SSR_TOPO_DIR"
# BFD 100 ms x 5: see two_wan_failover_test.sh.
python3 "$TW_CONFIG" --dc2 --bfd-multiplier 5 --web-lb PROPORTIONAL --weights 3,1 >"$d/two_wan.conf" ||
  fail "could not write the config"
for r in branch datacenter datacenter2; do tw_start "$r" "$d/two_wan.conf"; done
for r in branch datacenter datacenter2; do ssr_router_wait_ready "$r" || fail "$r not ready"; done
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$TW_PY" echo 10.20.3.10 7 dc1 >"$d/echo1.log" 2>&1
ssr_bg ip netns exec "$SSR_NS_SERVER2" python3 "$TW_PY" echo 10.20.3.10 7 dc2 >"$d/echo2.log" 2>&1
for f in echo1 echo2; do ssr_wait_file_line "$d/$f.log" ' on ' || fail "$f did not start"; done
tw_wait_paths branch datacenter 2 15 || fail "BFD not up on the paths to datacenter"
tw_wait_paths branch datacenter2 1 15 || fail "BFD not up on the path to datacenter2"

# sessions N TAG: N new UDP sessions to web; prints the result line, saved as $d/TAG.log.
sessions() {
  ip netns exec "$SSR_NS_CLIENT" python3 "$TW_PY" sessions 10.20.3.10 7 --bind 10.10.1.10 \
    --count "$1" >"$d/$2.log" 2>&1 || fail "sessions $2 failed: $(cat "$d/$2.log")"
  cat "$d/$2.log"
}
# count TAG NAME: sessions answered by NAME (dc1, dc2, none).
count() { tr ' ' '\n' <"$d/$1.log" | awk -F= -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'; }
within() { [ "$1" -ge $(($2 - $3)) ] && [ "$1" -le $(($2 + $3)) ]; }

b0="$(tw_dump branch b0)"
sessions 40 prop
# The session sweep behind route.<name>.sessions runs about once a second: wait for it.
deadline=$((SECONDS + 6))
while :; do
  b1="$(tw_dump branch b1)"
  r1="$(ssr_delta "$b0" "$b1" route.web-via-dc.sessions)"
  r2="$(ssr_delta "$b0" "$b1" route.web-via-dc2.sessions)"
  [ $((r1 + r2)) -ge 40 ] || [ $SECONDS -ge $deadline ] && break
  sleep 0.3
done
grep '^route\.' "$b1"
echo "PROPORTIONAL 3:1 over 40 sessions: answers dc1=$(count prop dc1) dc2=$(count prop dc2)" \
  "none=$(count prop none); route.web-via-dc.sessions +$r1, route.web-via-dc2.sessions +$r2"
[ "$(count prop none)" = 0 ] || fail "sessions without an answer"
within "$(count prop dc1)" 30 2 || fail "datacenter served $(count prop dc1) of 40, expected 30 +- 2"
within "$(count prop dc2)" 10 2 || fail "datacenter2 served $(count prop dc2) of 40, expected 10 +- 2"
within "$r1" 30 2 || fail "route.web-via-dc.sessions +$r1, expected 30 +- 2"
within "$r2" 10 2 || fail "route.web-via-dc2.sessions +$r2, expected 10 +- 2"

python3 "$TW_CONFIG" --dc2 --bfd-multiplier 5 --web-lb HUNT --weights 3,1 >"$d/two_wan.conf" || fail "could not write the config"
# shellcheck disable=SC2154  # SSR_PID_branch: set by ssr_router_start
kill -HUP "$SSR_PID_branch"
ssr_wait_file_line "$d/branch.err" 'config reloaded \(generation 2\)' 10 || fail "branch did not reload"
sessions 20 hunt
within "$(count hunt dc1)" 20 0 || fail "HUNT: datacenter served $(count hunt dc1) of 20, expected all"

ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$TW_PY" voice 10.20.3.10 7 --bind 10.10.2.10 \
  --rate 50 --seconds 10 --tag WEB_ >"$d/stream.log" 2>&1
stream_pid=$SSR_LAST_PID
sleep 2
c0="$(tw_dump branch c0)"
ssr_impair_ctl wA down >/dev/null && ssr_impair_ctl wB down >/dev/null || fail "could not cut wA / wB"
t_cut=$SECONDS
for path in 'mpls" \(wan0' 'inet" \(wan1'; do
  ssr_wait_file_line "$d/branch.err" "paths: peer \"datacenter\" path \"$path -> [0-9.]*\) is down" 10 ||
    fail "no path-down log line at the branch"
done
echo "both paths to datacenter down"
sessions 20 cut
within "$(count cut dc2)" 20 0 || fail "every path to datacenter cut: datacenter2 served $(count cut dc2) of 20, expected all"
while [ $((SECONDS - t_cut)) -lt 4 ]; do sleep 0.2; done
c1="$(tw_dump branch c1)"
echo "branch while datacenter is unreachable: $(ssr_deltas "$c0" "$c1" '^pipeline\.(session_moved|session_not_moved|session_move_failed|no_usable_route|no_path|peer_path_went_down|.*drop.*)|^route\.')"
echo "relays while datacenter is unreachable: dropped_down wA $(ssr_impair_stat wA a2b dropped_down)," \
  "wB $(ssr_impair_stat wB a2b dropped_down) (branch -> datacenter)"
ssr_impair_ctl wA up >/dev/null || fail "could not restore wA"
wait "$stream_pid"
echo "the stream on datacenter across the outage: $(cat "$d/stream.log")"
python3 - "$d/stream.log" <<'PY' || fail "the running stream did not move to datacenter2"
import re, sys
s = open(sys.argv[1]).read()
sent, got = (int(re.search(k + r"=(\d+)", s).group(1)) for k in ("sent", "received"))
runs = [tuple(map(int, r.split("-"))) for r in re.search(r"lost_seq=(\S+)", s).group(1).split(",")
        if r != "none"]
# 50/s for 10 s, cut at 2 s: the stream goes on at datacenter2 after the detection time
# (500 ms) plus scheduling; allow 1.5 s of loss, and every datagram after must arrive.
lost = sent - got
if lost > 75 or (runs and runs[-1][1] == sent - 1):
    sys.exit(f"lost {lost} datagrams, runs {runs}: not rerouted within 1.5 s")
print(f"the running stream was rerouted to datacenter2, losing {lost} datagrams")
PY
n="$(ssr_delta "$c0" "$c1" route.web-via-dc2.sessions)"
[ "$n" -gt 20 ] || fail "route.web-via-dc2.sessions +$n: the running sessions were not rerouted"
for r in branch datacenter datacenter2; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: PROPORTIONAL 3:1 split, HUNT to datacenter, then new and running sessions to datacenter2 once datacenter was cut off"
