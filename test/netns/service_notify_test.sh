#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ssr-router as a systemd Type=notify service, without systemd: NOTIFY_SOCKET points at a datagram
# Unix socket that notify_listener.py owns (as systemd would). Router "branch" of the demo
# topology, started from a config file with an explicit control socket, must send, all from its
# own pid (NotifyAccess=main):
#   READY=1 (with a STATUS= line) once it forwards: a single ping through both routers sent right
#     after it succeeds, the XDP gate is on lan0 and wan0, its control socket exists; nothing but
#     STATUS before it;
#   RELOADING=1 (with MONOTONIC_USEC=) then READY=1 on SIGHUP, the same for `ssrctl reload`, and
#     again (READY=1 with "the last reload failed") on SIGHUP when the config file was broken;
#   STOPPING=1 on SIGTERM, then exit 0 with no XDP program on lan0 / wan0 (`ip link`; the kernel
#     would keep a program attached by netlink after the process is gone) and no socket file left
#     (the control socket removed; AF_XDP sockets are not files and close with the process).
#   service_notify_test.sh SSR_ROUTER XDP_PASS_OBJ SSRCTL
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
SSRCTL="${3:?usage: $0 SSR_ROUTER XDP_PASS_OBJ SSRCTL}"
[ -x "$SSRCTL" ] || fail "ssrctl not built: $SSRCTL"
ssr_test_require native
"$SSR_ROUTER_BIN" --help | grep -q NOTIFY_SOCKET || fail "ssr-router --help does not explain NOTIFY_SOCKET"
ssr_test_up

d="$SSR_TOPO_DIR"
notify_sock="$d/notify.sock"
log="$d/notify.jsonl"
: >"$log"
ssr_bg python3 "$SSR_NETNS_TEST_DIR/notify_listener.py" "$notify_sock" "$log"
for _ in $(seq 1 100); do [ -S "$notify_sock" ] && break; sleep 0.05; done
[ -S "$notify_sock" ] || fail "notify_listener.py did not bind $notify_sock"

# notify_messages: one line per message received so far, "PID LINE|LINE|...".
notify_messages() {
  python3 -c '
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # the reader may stop early (head)
for line in open(sys.argv[1]):
    m = json.loads(line)
    print(m["pid"], "|".join(s for s in m["state"] if s))' "$log"
}
# notify_wait COUNT WHAT: waits (30 s) until COUNT messages hold the line WHAT (e.g. READY=1).
notify_wait() {
  local deadline=$((SECONDS + 30)) n
  while [ $SECONDS -lt "$deadline" ]; do
    n="$(notify_messages | grep -c -E "(^[0-9]+ |\|)$2(\||$)")"
    [ "$n" -ge "$1" ] && return 0
    if ! kill -0 "$SSR_PID_branch" 2>/dev/null && [ "$2" != STOPPING=1 ]; then
      fail "ssr-router branch exited while waiting for message $1 with $2"
    fi
    sleep 0.02
  done
  notify_messages
  fail "no message $1 with $2 after 30 s"
}

cp "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$d/branch.textproto"
ctl="$d/branch.sock"
ssr_router_start datacenter native
ssr_router_wait_ready datacenter || fail "datacenter not ready"
export NOTIFY_SOCKET="$notify_sock"
ssr_router_start branch native --config "$d/branch.textproto" --control-socket "$ctl"
unset NOTIFY_SOCKET
notify_wait 1 READY=1
# Traffic must flow now: one echo request, no retry.
out="$(ssr_in_client ping -n -c 1 -W 3 -I 10.10.9.20 10.20.3.10 2>&1)"
n="$(_ssr_ping_received "$out")"
echo "right after READY=1: ping guest -> web ${n:-0}/1 reply"
[ "${n:-0}" = 1 ] || fail "READY=1 was sent before traffic could flow: $out"
for dev in lan0 wan0; do
  # (2>/dev/null: iproute2's "Peer netns reference is invalid" for the veth peer)
  ssr_xdp_attached "$SSR_NS_BRANCH" "$dev" 2>/dev/null ||
    fail "READY=1 sent without an XDP program on $dev"
done
[ -S "$ctl" ] || fail "no control socket $ctl while the router runs"
echo "while running: XDP on lan0 and wan0, control socket $ctl"

notify_messages
first_ready="$(notify_messages | grep -n -E '(^[0-9]+ |\|)READY=1(\||$)' | head -n1 | cut -d: -f1)"
before="$(notify_messages | head -n $((first_ready - 1)) | grep -v -E '^[0-9]+ STATUS=[^|]*$' || true)"
[ -z "$before" ] || fail "messages other than STATUS= before READY=1: $before"
notify_messages | sed -n "${first_ready}p" | grep -q 'STATUS=forwarding' ||
  fail "READY=1 without a STATUS=forwarding line"

# SIGHUP: RELOADING=1 then READY=1.
kill -HUP "$SSR_PID_branch"
notify_wait 2 READY=1
notify_wait 1 RELOADING=1
# ssrctl reload (the control socket's thread): the same pair, from the same pid.
out="$("$SSRCTL" --socket "$ctl" reload 2>&1)" || fail "ssrctl reload failed: $out"
notify_wait 3 READY=1
notify_wait 2 RELOADING=1
# A broken config: the reload fails, the router keeps running and is ready again.
echo "routers { this is not a config" >"$d/branch.textproto"
kill -HUP "$SSR_PID_branch"
notify_wait 4 READY=1
notify_wait 3 RELOADING=1

kill -0 "$SSR_PID_branch" 2>/dev/null || fail "branch died after the failed reload"
ssr_router_stop branch TERM
[ "$SSR_RC" = 0 ] || fail "ssr-router branch exited with $SSR_RC on SIGTERM"
sleep 0.2  # the listener writes the last datagram
notify_wait 1 STOPPING=1
echo "--- messages (pid, lines):"
notify_messages
seq="$(notify_messages | python3 -c '
import re, sys
out = []
for line in sys.stdin:
    pid, _, rest = line.rstrip("\n").partition(" ")
    keys = [s.split("=")[0] for s in rest.split("|") if not s.startswith("STATUS=")
            and not s.startswith("MONOTONIC_USEC=")]
    out.append("+".join(keys) or "STATUS")
print(" ".join(out))')"
echo "sequence: $seq"
expected="READY RELOADING READY RELOADING READY RELOADING READY STOPPING"
[ "$seq" = "$expected" ] || fail "message sequence is \"$seq\", expected $expected"
pids="$(notify_messages | cut -d' ' -f1 | sort -u)"
[ "$pids" = "$SSR_PID_branch" ] || fail "messages came from pid(s) $pids, not the router's $SSR_PID_branch"
notify_messages | grep -E '(^[0-9]+ |\|)RELOADING=1(\||$)' | grep -v -q 'MONOTONIC_USEC=' &&
  fail "RELOADING=1 without MONOTONIC_USEC="
for i in 2 3; do
  notify_messages | grep -E '(^[0-9]+ |\|)READY=1(\||$)' | sed -n ${i}p | grep -q 'generation '$i' (reloaded)' ||
    fail "READY=1 number $i (after a good reload) does not say generation $i (reloaded)"
done
notify_messages | grep -E '(^[0-9]+ |\|)READY=1(\||$)' | sed -n 4p | grep -q 'reload failed' ||
  fail "READY=1 after the broken config does not say the reload failed"

for dev in lan0 wan0; do
  if ip -n "$SSR_NS_BRANCH" link show dev "$dev" 2>/dev/null | grep -q xdp ||
    ssr_xdp_attached "$SSR_NS_BRANCH" "$dev" 2>/dev/null; then
    ip -n "$SSR_NS_BRANCH" -d link show dev "$dev"
    fail "after SIGTERM an XDP program is still attached to $dev"
  fi
done
[ ! -e "$ctl" ] || fail "after SIGTERM the control socket $ctl is still there"
left="$(find "$d" -type s ! -name notify.sock)"
[ -z "$left" ] || fail "socket files left after SIGTERM: $left"
echo "after SIGTERM: exit 0, no XDP program on lan0/wan0, no socket file left"
ssr_test_elapsed
echo "PASS: READY only once forwarding, RELOADING/READY around reloads, STOPPING, clean stop"
