#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One config for both routers in a real etcd (ssr-router --config-etcd; docs/operations.md
# "Config from etcd"). etcd (Debian etcd-server; etcdctl from etcd-client publishes) runs in a
# namespace of its own, <prefix>etcd, on a bridge 10.255.0.1/24 that a management veth (m0)
# connects to each router's namespace (branch 10.255.0.2, datacenter 10.255.0.3); it listens
# only there and on that namespace's loopback. Steps:
#   1. both routers start before the key exists and wait for it (logged); the default config is
#      published; both start from it and write
#      {"applied_revision": R1}; guest 10.10.9.20 pings web 10.20.3.10
#   2. the config without web's guest access policy is published: both apply R2 (status key, log),
#      guest's ping to web is now dropped, engineering's still passes
#   3. a broken config (a tenant member on a router that does not exist) is published: both
#      refuse R3 ({"rejected_revision": R3, "errors": [...], "applied_revision": R2}), keep
#      running R2: engineering's ping passes, guest's is still dropped
#      a router started on R3 exits 2 and reports {"rejected_revision": R3, "errors": [...]}
#   4. etcd stops for 2 s: the routers keep forwarding and log the retries; once it is back the
#      default config is published again (R4): both apply it, guest reaches web again; SIGHUP
#      re-reads the key (generation 4)
#   etcd_config_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
for tool in etcd etcdctl; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "SKIPPED: $tool is not installed (Debian packages etcd-server, etcd-client;" \
         "scripts/setup-deps.sh installs them)"
    exit 77
  }
done
ssr_test_require native
ssr_test_up
etcd_ns="${SSR_TEST_PREFIX}etcd"
etcd_down() { ssr_topo_down; ip netns del "$etcd_ns" 2>/dev/null || true; }
trap etcd_down EXIT
ip netns add "$etcd_ns" || fail "cannot create $etcd_ns"
ip -n "$etcd_ns" link set lo up
ip -n "$etcd_ns" link add br0 type bridge
ip -n "$etcd_ns" addr add 10.255.0.1/24 dev br0
ip -n "$etcd_ns" link set br0 up
host=2
for ns in "$SSR_NS_BRANCH" "$SSR_NS_DC"; do
  ip -n "$etcd_ns" link add "m$host" type veth peer name m0 netns "$ns" || fail "management veth"
  ip -n "$etcd_ns" link set "m$host" master br0 up
  ip -n "$ns" addr add "10.255.0.$host/24" dev m0
  ip -n "$ns" link set m0 up
  host=$((host + 1))
done

etcd_start() {
  ssr_bg ip netns exec "$etcd_ns" etcd --name ssrtest --data-dir "$SSR_TOPO_DIR/etcd.data" \
    --listen-client-urls http://10.255.0.1:2379,http://127.0.0.1:2379 \
    --advertise-client-urls http://10.255.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster ssrtest=http://127.0.0.1:2380 >>"$SSR_TOPO_DIR/etcd.log" 2>&1
  etcd_pid=$SSR_LAST_PID
  local _
  for _ in $(seq 1 100); do
    ctl endpoint health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -n 20 "$SSR_TOPO_DIR/etcd.log"
  return 1
}
ctl() { ip netns exec "$etcd_ns" etcdctl --endpoints http://127.0.0.1:2379 "$@"; }
key=/ssr/test/fleet
# publish FILE: puts FILE as the config; prints the key's new mod_revision.
publish() {
  ctl put "$key" <"$1" >/dev/null || fail "etcdctl put failed"
  ctl get "$key" -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["mod_revision"])'
}
status() { ctl get "$key/status/$1" --print-value-only; }
# wait_status ROUTER FIELD REVISION: until the router's status document has FIELD = REVISION.
wait_status() {
  local deadline=$((SECONDS + 15)) doc
  while [ $SECONDS -lt "$deadline" ]; do
    doc="$(status "$1")"
    if [ -n "$doc" ] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get(sys.argv[2]) == int(sys.argv[3]) else 1)' \
         "$doc" "$2" "$3"; then
      echo "$1 status: $doc"
      return 0
    fi
    sleep 0.2
  done
  fail "$1: status has no $2 = $3 (last: ${doc:-none})"
}
# pings FROM TO N: replies received.
pings() {
  local out
  out="$(ssr_in_client ping -n -c "$3" -i 0.2 -W 1 -I "$1" "$2" 2>&1)"
  local n
  n="$(_ssr_ping_received "$out")"
  echo "${n:-0}"
}
expect_pings() {  # expect_pings WHAT FROM TO WANT
  local got
  got="$(pings "$2" "$3" 3)"
  echo "$1: $2 -> $3: $got/3 replies"
  [ "$got" = "$4" ] || fail "$1: $2 -> $3 got $got/3 replies, expected $4"
}

etcd_start || fail "etcd did not start"
echo "etcd $(etcd --version | head -n1 | awk '{print $3}') in $etcd_ns on 10.255.0.1:2379"
cfg_default="$SSR_SOURCE_ROOT/examples/configs/default.textproto"
cfg_noguest="$SSR_TOPO_DIR/noguest.textproto"
cfg_broken="$SSR_TOPO_DIR/broken.textproto"
python3 - "$cfg_default" "$cfg_noguest" "$cfg_broken" <<'PY' || fail "could not write the configs"
import sys
s = open(sys.argv[1]).read()
anchor = '  access_policies { tenant: "guest" }\n'
assert s.count(anchor) == 1, "web's guest access policy not found once"
s = s.replace(anchor, "")
open(sys.argv[2], "w").write(s)
s += '\ntenants {\n  name: "broken"\n  members { router: "nowhere" interface: "lan0" prefixes: "10.10.6.0/24" }\n}\n'
open(sys.argv[3], "w").write(s)
PY

# 1. the routers start before the key exists: they wait for it; then the default config.
for r in branch datacenter; do
  ssr_router_start "$r" native --config-etcd http://10.255.0.1:2379 --config-key "$key" \
    --config-poll-ms 200 --control-socket none
done
for r in branch datacenter; do
  ssr_wait_file_line "$SSR_TOPO_DIR/$r.err" "the config key does not exist \(yet\); waiting" 10 ||
    fail "$r does not say it waits for the key"
done
grep -qx ready "$SSR_TOPO_DIR/branch.out" && fail "branch ready without a config"
r1="$(publish "$cfg_default")"
echo "published the default config: revision $r1"
ssr_router_wait_ready branch || fail "branch not ready"
ssr_router_wait_ready datacenter || fail "datacenter not ready"
for r in branch datacenter; do wait_status "$r" applied_revision "$r1"; done
expect_pings "default config" 10.10.9.20 10.20.3.10 3

# 2. web without guest.
r2="$(publish "$cfg_noguest")"
echo "published the config without guest -> web: revision $r2"
for r in branch datacenter; do
  wait_status "$r" applied_revision "$r2"
  grep -q "config revision $r2 applied (generation 2)" "$SSR_TOPO_DIR/$r.err" ||
    fail "$r did not log the revision $r2 as applied"
done
expect_pings "revision $r2" 10.10.9.20 10.20.3.10 0
expect_pings "revision $r2" 10.10.1.10 10.20.3.10 3

# 3. a broken config: refused everywhere, R2 keeps running.
r3="$(publish "$cfg_broken")"
echo "published a broken config: revision $r3"
for r in branch datacenter; do
  wait_status "$r" rejected_revision "$r3"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); e=d["errors"]
assert d["applied_revision"] == int(sys.argv[2]), d
assert e and any("nowhere" in x for x in e), e' "$(status "$r")" "$r2" ||
    fail "$r: the rejection does not name the error or the running revision"
  grep -q "config revision $r3 rejected, revision $r2 keeps running" "$SSR_TOPO_DIR/$r.err" ||
    fail "$r did not log the rejection"
  kill -0 "$(eval echo "\$SSR_PID_$r")" || fail "$r stopped"
done
expect_pings "after the rejected revision $r3" 10.10.1.10 10.20.3.10 3
expect_pings "after the rejected revision $r3" 10.10.9.20 10.20.3.10 0
# A router starting on the broken revision exits 2 and reports it (nothing runs: no
# applied_revision). It fails before it touches an interface, so it runs in etcd's namespace.
out="$(ip netns exec "$etcd_ns" "$SSR_ROUTER_BIN" --config-etcd 127.0.0.1 --config-key "$key" \
  --router newsite --interface lan0=lan0 --control-socket none 2>&1)"
rc=$?
[ "$rc" = 2 ] || fail "a router starting on the broken revision exited $rc, expected 2: $out"
doc="$(status newsite)"
echo "newsite (started on revision $r3): exit $rc, status $doc"
python3 -c 'import json,sys; d=json.loads(sys.argv[1])
assert d["rejected_revision"] == int(sys.argv[2]) and d["errors"] and "applied_revision" not in d, d' \
  "$doc" "$r3" || fail "newsite's status does not report the rejected first revision"

# 4. etcd away for 2 s, then the default again.
kill -TERM "$etcd_pid"
wait "$etcd_pid" 2>/dev/null
sleep 2
expect_pings "etcd down" 10.10.1.10 10.20.3.10 3
for r in branch datacenter; do
  grep -q "retrying with backoff (the config in use stays)" "$SSR_TOPO_DIR/$r.err" ||
    fail "$r did not log the unreachable etcd"
done
etcd_start || fail "etcd did not restart"
r4="$(publish "$cfg_default")"
echo "etcd back; published the default config again: revision $r4"
for r in branch datacenter; do wait_status "$r" applied_revision "$r4"; done
expect_pings "revision $r4" 10.10.9.20 10.20.3.10 3
# SIGHUP reads the key again at once (same revision: reloaded, no new status).
# shellcheck disable=SC2154  # set by ssr_router_start
kill -HUP "$SSR_PID_branch"
ssr_wait_file_line "$SSR_TOPO_DIR/branch.err" 'config reloaded \(generation 4\)' 10 ||
  fail "SIGHUP did not reload the key's config"

if grep -n "000102030405060708090a0b0c0d0e0f" "$SSR_TOPO_DIR"/branch.err "$SSR_TOPO_DIR"/datacenter.err; then
  fail "a key of the config was logged"
fi
for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: both routers followed the etcd key, refused the broken revision, survived etcd's absence"
