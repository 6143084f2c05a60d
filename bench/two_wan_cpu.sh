#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CPU cost of peer liveness (BFD + link tests) per path: the branch router of the two-WAN
# topology (scripts/netns/two_wan.sh) idle for SECONDS with 0 paths (no peer in its config) and
# with 2 paths to the datacenter at a BFD interval; CPU time (utime + stime, all threads) from
# /proc/<pid>/stat over the window. Root; namespaces tw<pid>-*.
#   bench/two_wan_cpu.sh SSR_ROUTER XDP_PASS_OBJ [SECONDS [BFD_MS...]]
# Prints one line per run: "paths=N bfd_ms=M cpu_ms=C over S s".
SSR_NETNS_PREFIX="${SSR_NETNS_PREFIX:-tw}"
export SSR_NETNS_PREFIX
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/../test/netns/lib.sh"
# shellcheck source=test/netns/two_wan_lib.sh
source "$(dirname "$0")/../test/netns/two_wan_lib.sh"
secs="${3:-30}"
shift 3 2>/dev/null || shift $#
intervals=("${@:-100 1000}")
# shellcheck disable=SC2206
intervals=(${intervals[*]})
ssr_test_require native
tw_up
d="$SSR_TOPO_DIR"
hz="$(getconf CLK_TCK)"

cpu_ms() {  # PID: utime + stime of the process (all threads), ms
  awk -v hz="$hz" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"
}

# run PATHS BFD_MS CONFIG
run() {
  tw_start branch "$3"
  tw_start datacenter "$3"
  ssr_router_wait_ready branch || fail "branch not ready"
  ssr_router_wait_ready datacenter || fail "datacenter not ready"
  [ "$1" = 0 ] || tw_wait_paths branch datacenter 2 20 || fail "BFD not up"
  sleep 2
  local a b
  a="$(cpu_ms "$SSR_PID_branch")"
  sleep "$secs"
  b="$(cpu_ms "$SSR_PID_branch")"
  echo "paths=$1 bfd_ms=$2 cpu_ms=$((b - a)) over $secs s"
  ssr_router_stop branch
  ssr_router_stop datacenter
}

python3 "$TW_CONFIG" >"$d/base.conf" || fail "config"
# 0 paths: no peer at either router (and so no route through one).
python3 - "$d/base.conf" "$d/none.conf" <<'PY' || fail "config without peers"
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"  peers \{\n.*?\n  \}\n", "", s, flags=re.S)
s = re.sub(r'  service_routes \{ name: "[a-z-]+-via-dc" [^\n]*\n', "", s)
s = re.sub(r'  path_preference: "[a-z]+"\n', "", s)
open(sys.argv[2], "w").write(s)
PY
run 0 - "$d/none.conf"
for ms in "${intervals[@]}"; do
  python3 "$TW_CONFIG" --bfd-interval "$ms" --link-test-interval 10000 >"$d/p.conf" || fail "config"
  run 2 "$ms" "$d/p.conf"
done
