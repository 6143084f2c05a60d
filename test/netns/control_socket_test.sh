#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The control socket and ssrctl (docs/operations.md "Control socket"), on the demo topology:
# ssr-router with --control-socket in a temporary directory; while a ping of tenant guest to web
# runs, ssrctl shows stats, interfaces, peers, paths and sessions (text and JSON; the session list
# filtered by tenant contains the ping's session, another tenant's filter none), reloads the config
# (generation 2) and tells its version. Also: the socket is mode 0600; user nobody is refused
# (exit 3, "permission denied"); a missing socket is exit 3 with a clear message; an unknown
# tenant is the router's error (exit 1); a bad command line exits 2; an explicit
# --control-socket another router serves stops the router (exit 1); --control-socket none creates
# no socket.
#   control_socket_test.sh SSR_ROUTER XDP_PASS_OBJ SSRCTL
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
SSRCTL="${3:?usage: $0 SSR_ROUTER XDP_PASS_OBJ SSRCTL}"
[ -x "$SSRCTL" ] || fail "ssrctl not built: $SSRCTL"
ssr_test_require native
ssr_test_up
sock_b="$SSR_TOPO_DIR/run/branch.sock"   # run/ does not exist yet: the router creates it
sock_d="$SSR_TOPO_DIR/datacenter.sock"
ssr_router_start branch native --control-socket "$sock_b"
ssr_router_start datacenter native --control-socket "$sock_d"
ssr_router_wait_ready branch || fail "branch not ready"
ssr_router_wait_ready datacenter || fail "datacenter not ready"

ctl() { "$SSRCTL" --socket "$sock_b" "$@"; }
# expect_rc RC CMD...: runs CMD, output in $out (stdout+stderr), fails unless it exits RC.
expect_rc() {
  local want="$1" rc
  shift
  out="$("$@" 2>&1)"; rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $out"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

[ -S "$sock_b" ] || fail "no socket at $sock_b"
mode="$(stat -c '%a %U' "$sock_b")"
echo "socket: $sock_b ($mode)"
[ "$mode" = "600 root" ] || fail "socket mode/owner is '$mode', expected '600 root'"

ssr_bg ip netns exec "$SSR_NS_CLIENT" ping -n -q -i 0.2 -c 60 -W 2 -I 10.10.9.20 10.20.3.10 \
  >"$SSR_TOPO_DIR/ping.log" 2>&1
ping_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" ping -n -q -i 0.2 -c 60 -W 2 -I fd00:10:10:9::20 \
  fd00:10:20:3::10 >"$SSR_TOPO_DIR/ping6.log" 2>&1
ping6_pid=$SSR_LAST_PID
sleep 1.5

expect_rc 0 ctl version
echo "version: $out"
grep -q "router branch: libssr [0-9.]*, config generation 1" <<<"$out" || fail "version: $out"

expect_rc 0 ctl show stats
grep -qE '^router branch  running yes' <<<"$out" || fail "show stats header: $(echo "$out" | head -3)"
grep -qE '^pipeline\.rx_packets +[1-9][0-9]*' <<<"$out" || fail "show stats: no rx_packets > 0"
expect_rc 0 ctl show stats --json
echo "$out" | json 'assert d["router"] == "branch" and d["counters"]["pipeline.rx_packets"] > 0' ||
  fail "show stats --json: $(echo "$out" | head -5)"

expect_rc 0 ctl show interfaces
echo "$out"
grep -qE '^lan0 +lan0 +lan +native' <<<"$out" || fail "show interfaces: no lan0 line"

expect_rc 0 ctl show peers
echo "$out"
grep -qE '^datacenter +wan0 +' <<<"$out" || fail "show peers: no datacenter line"
expect_rc 0 ctl show peers --json
echo "$out" | json 'p = d["peers"]; assert len(p) == 1 and p[0]["name"] == "datacenter" and p[0]["paths"]' ||
  fail "show peers --json: $out"
expect_rc 0 ctl show paths --peer datacenter
echo "$out"
grep -qE '^datacenter +[^ ]+ +wan0 +[0-9.]+ +[0-9.]+ +up ' <<<"$out" || fail "show paths: no path up"
expect_rc 1 ctl show paths --peer nosuch
grep -q 'no peer "nosuch"' <<<"$out" || fail "unknown peer: $out"

expect_rc 0 ctl show sessions
echo "$out"
expect_rc 0 ctl show sessions --tenant guest --json
echo "$out" | json '
s = [x for x in d["sessions"] if x["protocol"] == 1 and x["destination"] == "10.20.3.10"]
assert len(s) == 1, d
x = s[0]
assert x["tenant"] == "guest" and x["service"] == "web" and x["peer"] == "datacenter", x
assert x["source"] == "10.10.9.20" and x["answered"], x
assert all(y["tenant"] == "guest" for y in d["sessions"]), d
assert len(d["sessions"]) == 2 and d["truncated"] is False and d["config_generation"] == 1, d' ||
  fail "show sessions --tenant guest --json: no live ping session: $out"
echo "guest ping session listed"
# Bounded: two guest sessions (IPv4 and IPv6 ping), at most one listed, marked truncated.
expect_rc 0 ctl show sessions --tenant guest --limit 1 --json
echo "$out" | json 'assert len(d["sessions"]) == 1 and d["truncated"] is True and d["limit"] == 1, d' ||
  fail "show sessions --limit 1: $out"
expect_rc 0 ctl show sessions --tenant guest --limit 1
grep -q '^1 session(s), more not shown (limit 1)$' <<<"$out" || fail "text --limit 1: $out"
expect_rc 0 ctl show sessions --address fd00:10:20:3::10 --json
echo "$out" | json 'assert [x["source"] for x in d["sessions"]] == ["fd00:10:10:9::20"], d' ||
  fail "show sessions --address (IPv6): $out"
expect_rc 0 ctl show sessions --tenant engineering --json
echo "$out" | json 'assert d["sessions"] == [], d' || fail "--tenant engineering listed sessions: $out"
expect_rc 0 ctl show sessions --address 10.10.9.0/24 --service web --peer datacenter --limit 5
grep -qE '^ *0 +guest +web +datacenter +icmp +10\.10\.9\.20 +10\.20\.3\.10 +answered' <<<"$out" ||
  fail "show sessions --address: no guest ping row: $out"
expect_rc 1 ctl show sessions --tenant nosuch
grep -q 'no tenant "nosuch"' <<<"$out" || fail "unknown tenant: $out"
expect_rc 2 ctl show sessions --limit 0
expect_rc 2 ctl show stats --tenant guest
expect_rc 2 ctl show nothing
echo "usage errors: exit 2 ($out)"

# The datacenter side sees the same session (its own socket): its forward flow is the waypoint
# flow from the branch, the reverse flow the server's answers.
expect_rc 0 "$SSRCTL" --socket "$sock_d" show sessions --tenant guest --json
echo "$out" | json 'assert any(x["reverse_source"] == "10.20.3.10" and x["peer"] == "branch" for x in d["sessions"]), d' ||
  fail "datacenter: no guest session: $out"

expect_rc 0 ctl reload
echo "reload: $out"
grep -q 'config reloaded (generation 2)' <<<"$out" || fail "reload: $out"
expect_rc 0 ctl version --json
echo "$out" | json 'assert d["config_generation"] == 2 and d["router"] == "branch"' || fail "version after reload: $out"
grep -q 'by the control socket' "$SSR_TOPO_DIR/branch.err" || fail "reload not logged"

# Access: another user cannot connect (file mode), a missing socket is a clear error.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
  chmod 755 "$SSR_TOPO_DIR" "$SSR_TOPO_DIR/run"
  expect_rc 3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$SSRCTL" --socket "$sock_b" version
  echo "nobody: $out"
  grep -q 'permission denied' <<<"$out" || fail "nobody: $out"
else
  echo "SKIPPED part: no user nobody or no setpriv"
fi
expect_rc 3 "$SSRCTL" --socket "$SSR_TOPO_DIR/missing.sock" show stats
echo "missing: $out"
grep -q 'missing.sock: no such socket' <<<"$out" || fail "missing socket: $out"

wait "$ping_pid"
wait "$ping6_pid"
grep -E 'transmitted' "$SSR_TOPO_DIR/ping.log" "$SSR_TOPO_DIR/ping6.log"

# The socket goes with the router; --control-socket none makes none.
ssr_router_stop branch
[ "$SSR_RC" = 0 ] || fail "branch exited $SSR_RC"
[ -e "$sock_b" ] && fail "the socket outlived the router"
# An explicit --control-socket that another router serves: exit 1, the path and reason named.
ssr_router_start branch native --control-socket "$sock_d"
ssr_router_wait_ready branch 20 2>/dev/null && fail "branch started on datacenter's socket"
ssr_router_stop branch
[ "$SSR_RC" = 1 ] || fail "branch on a served socket exited $SSR_RC, expected 1"
grep -q "control socket $sock_d: another process answers on it" "$SSR_TOPO_DIR/branch.err" ||
  fail "no error naming the served socket: $(tail -3 "$SSR_TOPO_DIR/branch.err")"
echo "explicit socket in use: exit 1"
ssr_router_start branch native --control-socket none
ssr_router_wait_ready branch || fail "branch (no socket) not ready"
[ -n "$(ls -A "$SSR_TOPO_DIR/run")" ] && fail "--control-socket none created a socket"
ssr_router_stop branch
ssr_router_stop datacenter
ssr_test_elapsed
echo PASS
