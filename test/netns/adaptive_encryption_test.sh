#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Adaptive encryption on the wire (docs/protocol.md §4.10): the demo topology with its own config —
# the built-in one with "web" (10.20.3.10) encrypting its payload under payload-aes and
# adaptive_encryption on. An `openssl s_client` / `s_server` session to web:443 crosses with its
# TLS records visible on the WAN (SVR does not encrypt it again), while plain text to web:80 is
# encrypted (not visible). check_adaptive_capture.py reads a capture of the WAN bridge; the
# branch's counters adaptive_plain / adaptive_encrypted and the datacenter's
# adaptive_switch_applied must have moved.
#   adaptive_encryption_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
ssr_test_require native
for t in dumpcap openssl; do
  command -v "$t" >/dev/null 2>&1 || { echo "SKIPPED: $t is not installed"; exit 77; }
done
export SSR_WAN_TAP=1
ssr_test_up
d="$SSR_TOPO_DIR"

cfg="$d/adaptive.textproto"
python3 - "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$cfg" <<'PY' || fail "config"
import sys
s = open(sys.argv[1]).read()
web = '  name: "web"\n'
pol = '  encryption_keys: "payload-aes"\n'
if s.count(web) != 1 or s.count(pol) != 1:
    sys.exit("default.textproto: web service / payload-aes policy not found once")
s = s.replace(web, web + '  security_policy: "payload-aes"\n')
s = s.replace(pol, pol + "  adaptive_encryption: true\n")
open(sys.argv[2], "w").write(s)
PY

# A throwaway certificate for s_server; a plain-text echo server on port 80.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=web -keyout "$d/key.pem" -out "$d/cert.pem" 2>"$d/req.err" || fail "openssl req"
ssr_bg ip netns exec "$SSR_NS_SERVER" openssl s_server -accept 10.20.3.10:443 -rev -quiet \
  -cert "$d/cert.pem" -key "$d/key.pem" </dev/null >"$d/s_server.log" 2>&1
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.20.3.10", 80)); s.listen(8); print("listening", flush=True)
while True:
    c, _ = s.accept()
    data = c.recv(4096)
    c.sendall(data[::-1]); c.close()
' >"$d/plain.log" 2>&1
ssr_wait_file_line "$d/plain.log" listening 10 || fail "plain echo server did not start"
ssr_test_routers native --config "$cfg"

pcap="$d/wan.pcap"
ssr_bg ip netns exec "$SSR_NS_WAN" dumpcap -q -i br0 -P -w "$pcap" 2>"$d/dumpcap.log"
cap_pid=$SSR_LAST_PID
ssr_wait_file_line "$d/dumpcap.log" "Capturing on" 20 || fail "dumpcap did not start"
ssr_router_dump branch "$d/b0.stats" || fail "stats"
ssr_router_dump datacenter "$d/d0.stats" || fail "stats"

tls_text="tls-payload-$$"
out="$( (printf '%s\n' "$tls_text"; sleep 2) |
  ssr_in_client timeout 15 openssl s_client -connect 10.20.3.10:443 -bind 10.10.1.10 -quiet \
    -no_ign_eof 2>"$d/s_client.err")"
echo "s_client got: $out"
[ "$out" = "$(rev <<<"$tls_text")" ] || fail "TLS echo through the routers: got '$out'"

marker="plain-text-marker-$$"
out="$(ssr_in_client timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("10.20.3.10", 80), timeout=5, source_address=("10.10.1.10", 0))
s.sendall(("GET /" + sys.argv[1] + " HTTP/1.0\r\n\r\n").encode())
print(s.recv(4096).decode()[::-1].strip())
' "$marker")" || fail "plain TCP through the routers"
echo "plain echo got: $out"
[ "$out" = "GET /$marker HTTP/1.0" ] || fail "plain TCP echo: got '$out'"

sleep 0.5
kill -INT "$cap_pid"
wait "$cap_pid"
[ -s "$pcap" ] || fail "no capture"
ssr_router_dump branch "$d/b1.stats" || fail "stats"
ssr_router_dump datacenter "$d/d1.stats" || fail "stats"

plain="$(ssr_delta "$d/b0.stats" "$d/b1.stats" pipeline.adaptive_plain)"
enc="$(ssr_delta "$d/b0.stats" "$d/b1.stats" pipeline.adaptive_encrypted)"
switched="$(ssr_delta "$d/d0.stats" "$d/d1.stats" pipeline.adaptive_switch_applied)"
fails="$(( $(ssr_delta "$d/b0.stats" "$d/b1.stats" pipeline.payload_decrypt_fail) +
          $(ssr_delta "$d/d0.stats" "$d/d1.stats" pipeline.payload_decrypt_fail) ))"
echo "branch adaptive_plain +$plain adaptive_encrypted +$enc;" \
  "datacenter adaptive_switch_applied +$switched; payload_decrypt_fail +$fails"
[ "$plain" = 1 ] && [ "$enc" = 1 ] && [ "$switched" = 1 ] && [ "$fails" = 0 ] ||
  fail "adaptive counters"

python3 "$SSR_NETNS_TEST_DIR/check_adaptive_capture.py" --marker "$marker" "$pcap" ||
  fail "the capture does not show adaptive encryption as expected (see ERROR lines)"
ssr_test_elapsed
echo "PASS: TLS crosses unencrypted by SVR, plain text encrypted, HMAC on every packet"
