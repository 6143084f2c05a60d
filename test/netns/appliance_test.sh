#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/appliance (ssr-appliance-example) as the branch router of the demo topology, ssr-router
# as the datacenter. The appliance runs from a config file in a directory of its own, logs to a
# file and writes its metrics file every second. Checks:
#  1. guest -> web (ping) gets through, and the log names the session (opened, tenant guest,
#     service web, the ICMP tuple), and the metrics file says generation 1;
#  2. the config file replaced the way editors do (a new file renamed over it) without guest's
#     access to web: the log says "config reloaded ... (generation 2)", the metrics file follows,
#     and a new guest -> web ping is refused while engineering -> web still gets through;
#  3. a broken config written in place: "config refused" with the field at fault in the log,
#     ssr_appliance_config_refused_total 1, still generation 2, and a ping that ran across both
#     changes lost nothing;
#  4. the metrics file passes `promtool check metrics` (prometheus package; a Python check of the
#     text format when promtool is missing), has the gate and pipeline counters, and no temporary
#     file is left beside it;
#  5. SIGTERM: exit 0, "stopped" logged, no XDP program left on the branch's interfaces.
#   appliance_test.sh SSR_ROUTER XDP_PASS_OBJ APPLIANCE
# Namespaces: ${SSR_NETNS_PREFIX:-ssrnt}<pid>-* (lib.sh), removed on every exit path.
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
APPLIANCE="${3:?usage: $0 SSR_ROUTER XDP_PASS_OBJ APPLIANCE}"
[ -x "$APPLIANCE" ] || fail "ssr-appliance-example not built: $APPLIANCE"
ssr_test_require native
ssr_test_up

d="$SSR_TOPO_DIR"
mkdir -p "$d/etc" "$d/textfile"
config="$d/etc/branch.textproto"
metrics="$d/textfile/ssr.prom"
log="$d/appliance.log"
cp "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$config"

# The appliance under the name "branch", so that ssr_router_wait_ready / ssr_router_stop apply.
: >"$d/branch.out"
ssr_bg ip netns exec "$SSR_NS_BRANCH" "$APPLIANCE" --config "$config" --router branch \
  --interface lan0=lan0 --interface wan0=wan0 --xdp-mode native --log "$log" \
  --metrics "$metrics" --metrics-interval 1 >>"$d/branch.out" 2>>"$d/branch.err"
SSR_PID_branch=$SSR_LAST_PID
ssr_router_start datacenter native
ssr_router_wait_ready branch || fail "the appliance is not ready"
ssr_router_wait_ready datacenter || fail "datacenter not ready"

metric() {  # NAME_AND_LABELS: the sample's value in the metrics file ("" when absent)
  awk -v n="$1" '$1 == n { print $2 }' "$metrics" 2>/dev/null
}
wait_metric() {  # NAME_AND_LABELS VALUE: up to 5 s for the metrics file to show it
  local i
  for i in $(seq 1 100); do
    [ "$(metric "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  echo "metrics file: $1 is '$(metric "$1")', expected $2" >&2
  return 1
}
pings() {  # SOURCE DEST COUNT: replies received
  local out
  out="$(ssr_in_client ping -n -c "$3" -i 0.2 -W 1 -I "$1" "$2" 2>&1)"
  n="$(_ssr_ping_received "$out")"
  echo "${n:-0}"
}
router='router="branch"'

# 1. Running, sessions logged, metrics written.
n="$(pings 10.10.9.20 10.20.3.10 3)"
echo "guest -> web before the change: $n/3 replies"
[ "$n" = 3 ] || fail "guest -> web does not get through the appliance ($n/3)"
ssr_wait_file_line "$log" \
  'INFO session: session opened tenant=guest service=web peer=datacenter icmp 10\.10\.9\.20:[0-9]+ -> 10\.20\.3\.10:0' 5 ||
  fail "the appliance's log has no session-opened line for guest -> web"
grep -m1 'session opened tenant=guest' "$log"
wait_metric "ssr_config_generation{$router}" 1 || fail "metrics file not at generation 1"
wait_metric "ssr_router_running{$router}" 1 || fail "metrics file does not say the router runs"

# A ping across both config changes (engineering -> web stays allowed).
ssr_bg ip netns exec "$SSR_NS_CLIENT" ping -n -q -i 0.05 -c 120 -W 2 -I 10.10.1.10 10.20.3.10 \
  >"$d/ping.log" 2>&1
ping_pid=$SSR_LAST_PID
sleep 0.5

# 2. Replace the file as editors do: write a new file, rename it over the config.
python3 - "$config" <<'PY' || fail "could not edit the config"
import os, sys
p = sys.argv[1]
s = open(p).read()
line = '  access_policies { tenant: "guest" }\n'
assert s.count(line) == 1, "web's guest access policy not found once"
open(p + ".new", "w").write(s.replace(line, ""))
os.rename(p + ".new", p)
PY
ssr_wait_file_line "$log" "config reloaded from .*branch\.textproto \(generation 2\)" 10 ||
  fail "the appliance did not reload the replaced config"
grep -m1 'config reloaded' "$log"
wait_metric "ssr_config_generation{$router}" 2 || fail "metrics file not at generation 2"
n="$(pings 10.10.9.20 10.20.3.10 2)"
echo "guest -> web after the change: $n/2 replies (expected 0: guest lost its access)"
[ "$n" = 0 ] || fail "guest -> web still gets through after its access policy was removed"
n="$(pings 10.10.2.10 10.20.3.10 2)"
echo "sales -> web after the change: $n/2 replies"
[ "$n" = 2 ] || fail "sales -> web stopped after the reload"

# 3. A broken config, written in place: refused with its errors, the old config keeps running.
printf '\ntenants {\n  name: "broken"\n  members { router: "branch" interface: "lan0" prefixes: "10.99.0.0/33" }\n}\n' \
  >>"$config"
ssr_wait_file_line "$log" "config refused" 10 || fail "the broken config was not refused"
ssr_wait_file_line "$log" '10\.99\.0\.0/33' 2 || fail "the refusal does not name the bad prefix"
grep -A2 -m1 'config refused' "$log"
wait_metric "ssr_appliance_config_refused_total{$router}" 1 ||
  fail "metrics file does not count the refused config"
wait_metric "ssr_appliance_config_last_ok{$router}" 0 || fail "config_last_ok is not 0"
[ "$(metric "ssr_config_generation{$router}")" = 2 ] || fail "the broken config changed the generation"
n="$(pings 10.10.2.10 10.20.3.10 2)"
echo "sales -> web after the broken config: $n/2 replies"
[ "$n" = 2 ] || fail "traffic stopped after the broken config"
n="$(pings 10.10.9.20 10.20.3.10 1)"
[ "$n" = 0 ] || fail "the refused config undid generation 2 (guest -> web gets through)"
wait "$ping_pid"
grep transmitted "$d/ping.log"
got="$(_ssr_ping_received "$(cat "$d/ping.log")")"
[ "${got:-0}" = 120 ] || fail "the ping across both config changes lost $((120 - ${got:-0})) of 120"

# 4. The metrics file parses.
cp "$metrics" "$d/metrics.copy"
if command -v promtool >/dev/null 2>&1; then
  promtool check metrics <"$d/metrics.copy" || fail "promtool check metrics refused the metrics file"
  echo "promtool check metrics: ok ($(grep -vc '^#' "$d/metrics.copy") samples)"
else
  python3 - "$d/metrics.copy" <<'PY' || fail "the metrics file is not in the Prometheus text format"
import re, sys
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [0-9]+$')
for i, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        continue
    if not sample.match(line):
        sys.exit(f"line {i}: {line!r}")
PY
  echo "metrics file format: ok (promtool not installed)"
fi
[ -n "$(metric "ssr_gate_packets_total{$router,reason=\"drop_non_member\"}")" ] ||
  fail "metrics file has no gate counters"
rx="$(metric "ssr_pipeline_rx_packets_total{$router}")"
echo "metrics: ssr_pipeline_rx_packets_total $rx"
[ "${rx:-0}" -gt 120 ] || fail "metrics file: pipeline rx_packets ${rx:-none}, expected > 120"
[ ! -e "$metrics.tmp" ] || fail "a temporary metrics file was left beside the metrics file"

# 5. Clean stop.
ssr_router_stop branch TERM
[ "$SSR_RC" = 0 ] || fail "the appliance exited with $SSR_RC"
grep -q 'INFO appliance: stopping on SIGTERM' "$log" || fail "no 'stopping on SIGTERM' in the log"
grep -q 'INFO appliance: stopped: rx=' "$log" || fail "no 'stopped' line in the log"
for dev in lan0 wan0; do
  if ssr_xdp_attached "$SSR_NS_BRANCH" "$dev"; then fail "XDP left on the branch's $dev"; fi
done
ssr_router_stop datacenter TERM
ssr_test_elapsed
echo "PASS: the appliance reloaded on a file change, refused a broken config, logged sessions and wrote metrics"
