#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Key rotation by SIGHUP under traffic (docs/protocol.md §4.7, issue 16 item 1). Both routers run
# from config files of their own (the default config, key_rotation_overlap_seconds 4 for the hop
# policy, 10 for the payload policy). While a TCP stream to crm (payload AES-256-CBC end to end,
# sha256 at both ends) and a UDP stream of 50 numbered datagrams a second to web's echo server
# cross them, the rotation follows the procedure of config.proto SecurityPolicy.hmac_keys:
#   gen 2, both:        a new HMAC key (id 12) listed second in peer-hop, a new payload key
#                       (id 14) listed second in payload-aes (nothing changes on the wire)
#   gen 3, branch only: the new HMAC key first (the datacenter still lists it second), 2 s of
#                       traffic, then the datacenter too
#   gen 4, both:        the new payload key first; a new TCP session to crm starts under it
# Checks: no datagram of the UDP stream lost or duplicated, both TCP transfers intact, no
# auth_fail / key_expired / payload_decrypt_fail while rotating, both routers switched the running
# sessions to the new hop key (hop_key_switched). After the old HMAC key's overlap, the UDP
# stream's first packet (metadata signed with key 2, captured on the WAN at the start) is replayed
# to the datacenter: refused, counted key_expired.
#   key_rotation_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
SSR_WAN_TAP=1
ssr_test_up
ssr_servers_start || fail "traffic programs did not start"
STREAMS="$SSR_NETNS_TEST_DIR/streams.py"
d="$SSR_TOPO_DIR"

# write_config OUT HOP_HMAC_KEYS PAYLOAD_KEYS [NEW_KEYS]: the default config with these key lists
# ("a,b": first sends) and the overlaps; NEW_KEYS=1 adds the keys with ids 12 and 14.
write_config() {
  python3 - "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$@" <<'PY' ||
import sys
src, out, hop, payload = sys.argv[1:5]
new = len(sys.argv) > 5 and sys.argv[5] == "1"
s = open(src).read()
def lists(field, names):
    return "".join(f'  {field}: "{n}"\n' for n in names.split(","))
for old, repl in (
    ('  hmac_keys: "hop-hmac"\n  encryption_keys: "hop-aes"\n',
     lists("hmac_keys", hop) + '  encryption_keys: "hop-aes"\n  key_rotation_overlap_seconds: 4\n'),
    ('  hmac_keys: "hop-hmac"\n  encryption_keys: "payload-aes"\n',
     '  hmac_keys: "hop-hmac"\n' + lists("encryption_keys", payload) +
     '  key_rotation_overlap_seconds: 10\n')):
    if s.count(old) != 1:
        sys.exit("default.textproto: key lists not found once: " + old)
    s = s.replace(old, repl)
if new:
    s += ('keys { name: "hop-hmac-2" id: 12 derive { master_key: "demo-master" '
          'context: "peer-hop hmac 2" } }\n'
          'keys { name: "payload-aes-2" id: 14 derive { master_key: "demo-master" '
          'context: "payload aes-256 2" } }\n')
open(out, "w").write(s)
PY
    fail "could not write $1"
}

# reload ROUTER GEN: SIGHUP, waits for "config reloaded (generation GEN)".
reload() {
  local pidvar="SSR_PID_$1"
  kill -HUP "${!pidvar}"
  ssr_wait_file_line "$d/$1.err" "config reloaded \\(generation $2\\)" 10 ||
    fail "$1 did not reload to generation $2"
  echo "$(date +%T.%N | cut -c1-12) $1: generation $2"
}

write_config "$d/branch.conf" hop-hmac payload-aes
cp "$d/branch.conf" "$d/datacenter.conf"
ssr_router_start branch native --config "$d/branch.conf"
ssr_router_start datacenter native --config "$d/datacenter.conf"
ssr_router_wait_ready branch || fail "branch not ready"
ssr_router_wait_ready datacenter || fail "datacenter not ready"

# Warm-up (neighbours resolved, both directions work), then the counters before.
ssr_in_client ping -n -q -c 2 -i 0.2 -W 2 -I 10.10.1.10 10.20.3.10 >/dev/null ||
  fail "no ping through the routers before the rotation"
for r in branch datacenter; do ssr_router_dump "$r" "$d/$r.before" || fail "no stats dump"; done

ssr_bg ip netns exec "$SSR_NS_WAN" python3 "$STREAMS" capture wa 192.0.2.1 192.0.2.2 1.5 \
  "$d/first.frame" >"$d/capture.log" 2>&1
cap_pid=$SSR_LAST_PID
sleep 0.3
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$STREAMS" udp-stream 10.20.3.10 7 \
  --bind 10.10.1.10 --rate 50 --seconds 15 >"$d/udp.log" 2>&1
udp_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$SSR_TRAFFIC" tcp-send 10.20.1.10 443 \
  --bind 10.10.2.10 --seconds 12 --timeout 20 >"$d/tcp.log" 2>&1
tcp_pid=$SSR_LAST_PID
wait "$cap_pid" || fail "no UDP frame from the branch captured on the WAN: $(cat "$d/capture.log")"
cat "$d/capture.log"

sleep 0.5
write_config "$d/branch.conf" hop-hmac,hop-hmac-2 payload-aes,payload-aes-2 1
cp "$d/branch.conf" "$d/datacenter.conf"
reload branch 2
reload datacenter 2
sleep 2
write_config "$d/branch.conf" hop-hmac-2,hop-hmac payload-aes,payload-aes-2 1
reload branch 3  # the datacenter lists the new key second only
sleep 2
cp "$d/branch.conf" "$d/datacenter.conf"
reload datacenter 3
sleep 2
write_config "$d/branch.conf" hop-hmac-2,hop-hmac payload-aes-2,payload-aes 1
cp "$d/branch.conf" "$d/datacenter.conf"
reload branch 4
reload datacenter 4
t_gen4=$SECONDS
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$SSR_TRAFFIC" tcp-send 10.20.1.10 443 \
  --bind 10.10.2.10 --bytes 2097152 --timeout 15 >"$d/tcp2.log" 2>&1
tcp2_pid=$SSR_LAST_PID

wait "$tcp_pid"; tcp_rc=$?
wait "$tcp2_pid"; tcp2_rc=$?
wait "$udp_pid"; udp_rc=$?
echo "TCP across the rotation: $(cat "$d/tcp.log")"
echo "TCP started under the new payload key: $(cat "$d/tcp2.log")"
cat "$d/udp.log"
[ "$udp_rc" = 0 ] || fail "the UDP stream lost or duplicated datagrams across the rotation"
[ "$tcp_rc" = 0 ] || fail "the TCP transfer across the rotation did not arrive intact"
[ "$tcp2_rc" = 0 ] || fail "the TCP transfer under the new payload key did not arrive intact"

for r in branch datacenter; do
  ssr_router_dump "$r" "$d/$r.after" || fail "no stats dump"
  echo "$r: $(ssr_deltas "$d/$r.before" "$d/$r.after" \
    '^(pipeline\.(auth_fail|hop_key_switched|payload_decrypt_fail|session_created)|crypto\.|router\.config_generation)')"
  for c in pipeline.auth_fail crypto.key_expired crypto.unknown_key_id pipeline.payload_decrypt_fail; do
    n="$(ssr_delta "$d/$r.before" "$d/$r.after" "$c")"
    [ "$n" = 0 ] || fail "$r: $c rose by $n during the rotation"
  done
  n="$(ssr_delta "$d/$r.before" "$d/$r.after" pipeline.hop_key_switched)"
  [ "$n" -ge 1 ] || fail "$r: no session moved to the new hop key (hop_key_switched $n)"
  [ "$(ssr_stat "$d/$r.after" router.config_generation)" = 4 ] || fail "$r: not at generation 4"
done

# The old HMAC key's overlap (4 s from the datacenter's generation 3) is over by now; replay the
# captured first packet of the UDP stream (metadata, Security ID 2) to the datacenter.
while [ $((SECONDS - t_gen4)) -lt 3 ]; do sleep 0.2; done
ip netns exec "$SSR_NS_WAN" python3 "$STREAMS" replay wb "$d/first.frame" 3 ||
  fail "could not replay the captured frame"
sleep 0.3
ssr_router_dump datacenter "$d/datacenter.replay" || fail "no stats dump"
echo "datacenter after the replay: $(ssr_deltas "$d/datacenter.after" "$d/datacenter.replay" \
  '^(pipeline\.(auth_fail|session_created)|crypto\.)')"
n="$(ssr_delta "$d/datacenter.after" "$d/datacenter.replay" crypto.key_expired)"
[ "$n" = 3 ] || fail "the replayed packets under the expired key: key_expired +$n, expected +3"

for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: HMAC and payload keys rotated under traffic with no loss; the old key refused after its overlap"
