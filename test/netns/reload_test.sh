#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP reload under continuous traffic: both routers run from a config file (a copy of the
# default); while a ping every 50 ms over IPv4 and one over IPv6 and a paced TCP stream cross
# them, the file gains a tenant "lab" (10.10.5.0/24 and fd00:10:10:5::/64, allowed to use web) and
# both routers get SIGHUP. Checks: the new tenant is
# refused before and served after the reload, the reload took (generation 2), no ping is lost, the
# TCP stream arrives intact (sha256 at both ends), and no session was created again (the branch
# created exactly one session per flow).
#   reload_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
ip -n "$SSR_NS_CLIENT" addr add 10.10.5.5/16 dev c0
ip -n "$SSR_NS_CLIENT" addr add fd00:10:10:5::5/48 dev c0 nodad

config_file="$SSR_TOPO_DIR/config.textproto"
cp "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$config_file"
ssr_test_routers native --config "$config_file"

pings=120
ssr_bg ip netns exec "$SSR_NS_CLIENT" ping -n -q -i 0.05 -c "$pings" -W 2 -I 10.10.9.20 10.20.3.10 \
  >"$SSR_TOPO_DIR/ping.log" 2>&1
ping_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" ping -n -q -i 0.05 -c "$pings" -W 2 -I fd00:10:10:9::20 \
  fd00:10:20:3::10 >"$SSR_TOPO_DIR/ping6.log" 2>&1
ping6_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$SSR_TRAFFIC" tcp-send 10.20.3.10 80 \
  --bind 10.10.1.10 --seconds 6 --timeout 10 >"$SSR_TOPO_DIR/tcp.log" 2>&1
tcp_pid=$SSR_LAST_PID
sleep 1

out="$(ssr_in_client ping -n -c 1 -W 1 -I 10.10.5.5 10.20.3.10 2>&1)"
n="$(_ssr_ping_received "$out")"
echo "before reload: lab 10.10.5.5 -> web: ${n:-0}/1 replies"
[ "${n:-0}" = 0 ] || fail "10.10.5.5 reached web before it was a tenant member"
out="$(ssr_in_client ping -n -c 1 -W 1 -I fd00:10:10:5::5 fd00:10:20:3::10 2>&1)"
n="$(_ssr_ping_received "$out")"
echo "before reload: lab fd00:10:10:5::5 -> web: ${n:-0}/1 replies"
[ "${n:-0}" = 0 ] || fail "fd00:10:10:5::5 reached web before it was a tenant member"

python3 - "$config_file" <<'PY' || fail "could not edit the config"
import sys
p = sys.argv[1]
s = open(p).read()
anchor = '  access_policies { tenant: "guest" }\n'
assert s.count(anchor) == 1, "web's guest access policy not found once"
s = s.replace(anchor, anchor + '  access_policies { tenant: "lab" }\n')
s += '\ntenants {\n  name: "lab"\n  members { router: "branch" interface: "lan0" prefixes: "10.10.5.0/24" prefixes: "fd00:10:10:5::/64" }\n}\n'
open(p, "w").write(s)
PY
# shellcheck disable=SC2154  # set by ssr_router_start
kill -HUP "$SSR_PID_branch" "$SSR_PID_datacenter"
for r in branch datacenter; do
  ssr_wait_file_line "$SSR_TOPO_DIR/$r.err" 'config reloaded \(generation 2\)' 10 ||
    fail "$r did not reload"
done
echo "reloaded: $(grep -h 'config reloaded' "$SSR_TOPO_DIR"/branch.err "$SSR_TOPO_DIR"/datacenter.err | tr '\n' ' ')"

out="$(ssr_in_client ping -n -c 3 -i 0.2 -W 2 -I 10.10.5.5 10.20.3.10 2>&1)"
n="$(_ssr_ping_received "$out")"
echo "after reload: lab 10.10.5.5 -> web: ${n:-0}/3 replies"
[ "${n:-0}" = 3 ] || fail "the new tenant lab is not served after the reload"
out="$(ssr_in_client ping -n -c 3 -i 0.2 -W 2 -I fd00:10:10:5::5 fd00:10:20:3::10 2>&1)"
n="$(_ssr_ping_received "$out")"
echo "after reload: lab fd00:10:10:5::5 -> web: ${n:-0}/3 replies"
[ "${n:-0}" = 3 ] || fail "the new tenant lab is not served over IPv6 after the reload"

wait "$tcp_pid"; tcp_rc=$?
wait "$ping_pid"
wait "$ping6_pid"
cat "$SSR_TOPO_DIR/tcp.log"
grep -E 'transmitted' "$SSR_TOPO_DIR/ping.log" "$SSR_TOPO_DIR/ping6.log"
[ "$tcp_rc" = 0 ] || fail "the TCP stream across the reload did not arrive intact"
got="$(_ssr_ping_received "$(cat "$SSR_TOPO_DIR/ping.log")")"
[ "${got:-0}" = "$pings" ] || fail "the ping across the reload lost $((pings - ${got:-0})) of $pings"
got="$(_ssr_ping_received "$(cat "$SSR_TOPO_DIR/ping6.log")")"
[ "${got:-0}" = "$pings" ] || fail "the IPv6 ping across the reload lost $((pings - ${got:-0})) of $pings"

ssr_router_dump branch "$SSR_TOPO_DIR/after" || fail "no stats dump"
gen="$(ssr_stat "$SSR_TOPO_DIR/after" router.config_generation)"
created="$(ssr_stat "$SSR_TOPO_DIR/after" pipeline.session_created)"
echo "branch: router.config_generation $gen, pipeline.session_created $created" \
     "(flows: ping, ping over IPv6, TCP stream, lab ping, lab ping over IPv6)"
[ "$gen" = 2 ] || fail "config generation $gen, expected 2"
[ "$created" = 5 ] || fail "branch created $created sessions for 5 flows: a session was lost and made again"
for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: reload under traffic kept every session"
