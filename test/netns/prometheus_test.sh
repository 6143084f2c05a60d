#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --metrics-listen scraped by a real Prometheus (docs/operations.md "Metrics"), on the demo
# topology: both routers serve /metrics on a management veth to a namespace of their own
# (<prefix>mon: 10.99.1.1 branch, 10.99.2.1 datacenter, never an address outside the namespaces),
# where Prometheus runs on 127.0.0.1 with a 1 s scrape interval. Checks: promtool lints both
# expositions; Prometheus scrapes both routers (up == 1); a non-member on the branch's LAN pings
# 20 times, and the PromQL query
#   ssr_gate_packets_total{instance="10.99.1.1:9464",reason="drop_non_member"}
#     - ssr_gate_packets_total{...} @ T0        (T0: before the pings)
# through Prometheus's HTTP API returns the 20 drops the test caused (20 to 22: nothing else
# sends from a non-member address); the datacenter's series is there too (its own router label).
# First-packet latency: on the branch ssr_service_setup_latency_seconds_count{service="web"}
# equals the web sessions it opened, the datacenter records one sample per new session; the
# p50 / p99 (histogram_quantile) are printed.
# Also: --metrics-listen on an address of no local interface stops the router (exit 1, the
# address named, no "ready"). Skipped (77) when prometheus is not installed (Debian package
# prometheus; scripts/setup-deps.sh installs it).
#   prometheus_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  echo "SKIPPED: prometheus / promtool not installed (Debian package prometheus;" \
    "scripts/setup-deps.sh installs it)"
  exit 77
fi
ssr_test_require native
ssr_test_up
SSR_NS_MON="${SSR_TEST_PREFIX}mon"
mon_down() {
  ssr_topo_down
  ip netns del "$SSR_NS_MON" 2>/dev/null || true
}
trap mon_down EXIT

# The management network: mon <-> branch (10.99.1.0/30), mon <-> datacenter (10.99.2.0/30).
ip netns add "$SSR_NS_MON" || fail "cannot create $SSR_NS_MON"
ip -n "$SSR_NS_MON" link set lo up
ip -n "$SSR_NS_MON" link add mb type veth peer name mgmt0 netns "$SSR_NS_BRANCH"
ip -n "$SSR_NS_MON" link add md type veth peer name mgmt0 netns "$SSR_NS_DC"
ip -n "$SSR_NS_MON" addr add 10.99.1.2/30 dev mb
ip -n "$SSR_NS_MON" addr add 10.99.2.2/30 dev md
ip -n "$SSR_NS_BRANCH" addr add 10.99.1.1/30 dev mgmt0
ip -n "$SSR_NS_DC" addr add 10.99.2.1/30 dev mgmt0
ip -n "$SSR_NS_MON" link set mb up
ip -n "$SSR_NS_MON" link set md up
ip -n "$SSR_NS_BRANCH" link set mgmt0 up
ip -n "$SSR_NS_DC" link set mgmt0 up
B=10.99.1.1:9464
D=10.99.2.1:9464

ssr_router_start branch native --control-socket none --metrics-listen "$B"
ssr_router_start datacenter native --control-socket none --metrics-listen "$D"
ssr_router_wait_ready branch || fail "branch not ready"
ssr_router_wait_ready datacenter || fail "datacenter not ready"
grep -q "metrics on http://$B/metrics" "$SSR_TOPO_DIR/branch.err" || fail "no metrics log line"

in_mon() { ip netns exec "$SSR_NS_MON" "$@"; }
# get URL: the body of an HTTP GET from the mon namespace (python3, no proxy).
get() {
  in_mon python3 -c '
import sys, urllib.request
h = urllib.request.ProxyHandler({})
print(urllib.request.build_opener(h).open(sys.argv[1], timeout=5).read().decode(), end="")' "$1"
}

for t in "$B" "$D"; do
  text="$(get "http://$t/metrics")" || fail "GET http://$t/metrics failed"
  grep -qE '^ssr_gate_packets_total\{reason="drop_non_member"\} [0-9]+$' <<<"$text" ||
    fail "$t: no ssr_gate_packets_total{reason=\"drop_non_member\"}: $(head -c 600 <<<"$text")"
  lint="$(promtool check metrics <<<"$text" 2>&1)" || fail "promtool check metrics ($t): $lint"
  echo "$t: $(grep -vc '^#' <<<"$text") samples, promtool: ok"
done

cat >"$SSR_TOPO_DIR/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: ssr
    static_configs:
      - targets: ['$B', '$D']
YML
ssr_bg ip netns exec "$SSR_NS_MON" prometheus --config.file="$SSR_TOPO_DIR/prometheus.yml" \
  --storage.tsdb.path="$SSR_TOPO_DIR/tsdb" --web.listen-address=127.0.0.1:9090 \
  >"$SSR_TOPO_DIR/prometheus.log" 2>&1
prom_pid=$SSR_LAST_PID
P=http://127.0.0.1:9090
# query PROMQL [PYTHON]: runs the instant query through /api/v1/query; prints the python
# expression over `r` (the result list) and `d` (the whole answer).
query() {
  in_mon python3 -c '
import json, sys, urllib.parse, urllib.request
u = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
d = json.load(urllib.request.build_opener(urllib.request.ProxyHandler({})).open(u, timeout=5))
assert d["status"] == "success", d
r = d["data"]["result"]
print(eval(sys.argv[3]))' "$P" "$1" "${2:-r}"
}
deadline=$((SECONDS + 30))
until [ "$(query 'sum(up{job="ssr"})' 'r[0]["value"][1] if r else 0' 2>/dev/null)" = 2 ]; do
  kill -0 "$prom_pid" 2>/dev/null || fail "prometheus exited: $(tail -5 "$SSR_TOPO_DIR/prometheus.log")"
  [ $SECONDS -lt $deadline ] || fail "prometheus does not see both routers up: $(query 'up' 2>&1)"
  sleep 0.5
done
echo "prometheus: both routers up: $(query 'up' '[(x["metric"]["instance"], x["value"][1]) for x in r]')"

sel="ssr_gate_packets_total{job=\"ssr\",instance=\"$B\",reason=\"drop_non_member\"}"
base="$(query "$sel" '"%s %s" % tuple(r[0]["value"])')" || fail "no $sel in prometheus"
read -r t0 v0 <<<"$base"
echo "before: $sel = $v0 at $t0"
sleep 1.2  # T0 is before the pings even if the next scrape comes first

N=20
out="$(ip netns exec "$SSR_NS_CLIENT" ping -n -c "$N" -i 0.05 -W 1 -I 10.10.7.7 10.20.3.10 2>&1)"
grep -q "$N packets transmitted, 0 received" <<<"$out" || fail "non-member ping: $out"
echo "non-member ping: $N sent, none answered"

promql="$sel - $sel @ $t0"
deadline=$((SECONDS + 20))
while :; do
  got="$(query "$promql" 'int(float(r[0]["value"][1])) if r else -1')" || fail "query $promql failed"
  [ "$got" -ge "$N" ] && break
  [ $SECONDS -lt $deadline ] || fail "PromQL '$promql' = $got after 20 s, expected $N"
  sleep 0.5
done
echo "PromQL: $promql = $got (the test sent $N)"
[ "$got" -le $((N + 2)) ] || fail "PromQL reports $got drops, the test caused $N"
# The router's own count agrees (a direct scrape now).
direct="$(get "http://$B/metrics" | awk '$1 == "ssr_gate_packets_total{reason=\"drop_non_member\"}" {print $2}')"
[ "$((direct - ${v0%.*}))" -ge "$got" ] || fail "router says $direct, prometheus $got + $v0"

# First-packet latency (docs/operations.md "WAN assurance"): M pings from a guest host to the web
# service, each its own ICMP identifier, so each its own session. On the branch (first router)
# every opened session has one latency sample (count == opened); the datacenter (egress)
# records one per session it created and forwarded: M more after a warm-up ping that resolved
# the server's MAC. p50 / p99 through Prometheus's histogram_quantile, printed.
metric() {  # metric URL SAMPLE: the value of one sample of a direct scrape (0 when absent)
  get "$1" | awk -v n="$2" '$1 == n {v = $2} END {print v + 0}'
}
web='{service="web"}'
ssr_in_client ping -n -q -c 1 -W 2 -I 10.10.9.20 10.20.3.10 >/dev/null || fail "warm-up ping"
sleep 0.3
dc0="$(metric "http://$D/metrics" "ssr_service_setup_latency_seconds_count$web")"
M=20
for _ in $(seq "$M"); do
  ssr_in_client ping -n -q -c 1 -W 2 -I 10.10.9.20 10.20.3.10 >/dev/null || fail "ping to web"
done
sleep 0.5  # the workers copy their counters every 100 ms
opened="$(metric "http://$B/metrics" "ssr_service_sessions_opened_total$web")"
count="$(metric "http://$B/metrics" "ssr_service_setup_latency_seconds_count$web")"
dc1="$(metric "http://$D/metrics" "ssr_service_setup_latency_seconds_count$web")"
echo "web: branch opened $opened sessions, latency samples $count; datacenter samples $dc0 -> $dc1"
[ "$opened" -ge $((M + 1)) ] || fail "branch opened $opened web sessions, expected >= $((M + 1))"
[ "$count" = "$opened" ] || fail "branch: $count latency samples for $opened web sessions"
[ "$((dc1 - dc0))" = "$M" ] || fail "datacenter: $((dc1 - dc0)) new latency samples, expected $M"
promql_q() {
  echo "histogram_quantile($1, sum by (le) (ssr_service_setup_latency_seconds_bucket{instance=\"$2\",service=\"web\"}))"
}
deadline=$((SECONDS + 20))
until [ "$(query "ssr_service_setup_latency_seconds_count{instance=\"$B\",service=\"web\"}" \
  'int(float(r[0]["value"][1])) if r else -1')" = "$count" ]; do
  [ $SECONDS -lt $deadline ] || fail "prometheus never saw $count web latency samples"
  sleep 0.5
done
for t in "$B" "$D"; do
  q50="$(query "$(promql_q 0.5 "$t")" '"%.1f" % (float(r[0]["value"][1]) * 1e6)')"
  q99="$(query "$(promql_q 0.99 "$t")" '"%.1f" % (float(r[0]["value"][1]) * 1e6)')"
  echo "first-packet latency, web, $t: p50 $q50 us, p99 $q99 us"
done

# The datacenter is scraped too: its router info, its peer path toward the branch.
dc="$(query "ssr_router_info{instance=\"$D\"}" 'r[0]["metric"]["router"] if r else ""')"
[ "$dc" = datacenter ] || fail "no ssr_router_info of the datacenter: '$dc'"
paths="$(query 'ssr_path_up{job="ssr"}' 'sorted(set(x["metric"]["peer"] for x in r))')"
echo "ssr_path_up series: $paths"
[ "$paths" = "['branch', 'datacenter']" ] || fail "ssr_path_up: $paths"

# An address the router's namespace does not have: exit 1 before "ready", the address named.
ssr_router_stop branch
[ "$SSR_RC" = 0 ] || fail "branch exited $SSR_RC"
ssr_router_start branch native --control-socket none --metrics-listen "$D"
ssr_router_wait_ready branch 20 2>/dev/null && fail "branch started with --metrics-listen $D"
ssr_router_stop branch
[ "$SSR_RC" = 1 ] || fail "--metrics-listen $D (not local) exited $SSR_RC, expected 1"
grep -q -- "--metrics-listen $D: cannot listen: Cannot assign requested address" \
  "$SSR_TOPO_DIR/branch.err" || fail "no bind error naming $D: $(tail -3 "$SSR_TOPO_DIR/branch.err")"
echo "--metrics-listen $D in the branch namespace: exit 1, $(grep -o 'cannot listen: .*' "$SSR_TOPO_DIR/branch.err")"
ssr_router_stop datacenter
ssr_test_elapsed
echo PASS
