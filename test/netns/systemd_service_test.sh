#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The installed ssr-router@.service under a real systemd service manager (systemd_manager.sh:
# `systemd --user` as root in a private mount namespace inside router branch's namespace of the
# demo topology; the unit file is the one `cmake --install` writes, unchanged):
#   systemctl start ssr-router@branch returns (Type=notify: only after READY=1) and a single ping
#     through both routers right after it succeeds; the unit is active/running with the router's
#     STATUS= text; the XDP gate is on lan0 and wan0; /run/ssr/branch.sock (RuntimeDirectory)
#     answers ssrctl;
#   systemctl reload (ExecReload = SIGHUP) reloads: ssrctl's router.reloads_ok rises, and a broken
#     config file is refused by the reload while the unit stays active and forwarding;
#   systemctl stop: the unit ends with Result=success and exit status 0, no XDP program is left on
#     lan0 / wan0 and the control socket is gone;
#   a bad command line (no interfaces in the environment file) fails the start with exit status 2
#     and is not restarted (RestartPreventExitStatus=2).
#   systemd_service_test.sh SSR_ROUTER XDP_PASS_OBJ SSRCTL BUILD_DIR
# Skipped (77) without /lib/systemd/systemd, systemctl or nsenter.
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
SSRCTL="${3:?usage: $0 SSR_ROUTER XDP_PASS_OBJ SSRCTL BUILD_DIR}"
BUILD_DIR="${4:?usage: $0 SSR_ROUTER XDP_PASS_OBJ SSRCTL BUILD_DIR}"
SYSTEMD=/lib/systemd/systemd
for tool in "$SYSTEMD" systemctl nsenter unshare; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "SKIPPED: $tool not installed (Debian packages systemd, util-linux)"; exit 77; }
done
[ -x "$SSRCTL" ] || fail "ssrctl not built: $SSRCTL"
SSRCTL="$(realpath "$SSRCTL")"  # nsenter -m starts in the manager's working directory
BUILD_DIR="$(realpath "$BUILD_DIR")"
ssr_test_require native
ssr_test_up
d="$SSR_TOPO_DIR"

ssr_router_start datacenter native
ssr_router_wait_ready datacenter || fail "datacenter not ready"

ssr_bg ip netns exec "$SSR_NS_BRANCH" unshare -m --propagation private \
  bash "$SSR_NETNS_TEST_DIR/systemd_manager.sh" "$BUILD_DIR" "$d"
mgr=""
manager_failed() {
  echo "--- manager log"; tail -n 40 "$d/manager.log" 2>/dev/null
  echo "--- install log"; tail -n 5 "$d/install.log" 2>/dev/null
  fail "$@"
}
# in_mgr CMD...: CMD in the manager's mount and network namespaces (its /run, /mnt).
in_mgr() { nsenter -t "$mgr" -m -n env XDG_RUNTIME_DIR=/run "$@"; }
sctl() { in_mgr systemctl --user --no-pager "$@"; }
prop() { sctl show -p "$2" --value "$1"; }
for _ in $(seq 1 200); do
  [ -s "$d/manager.pid" ] && mgr="$(cat "$d/manager.pid")"
  [ -n "$mgr" ] && in_mgr test -S /run/systemd/private 2>/dev/null && break
  kill -0 "$SSR_LAST_PID" 2>/dev/null || manager_failed "the service manager exited"
  sleep 0.1
done
in_mgr test -S /run/systemd/private || manager_failed "the service manager did not start in 20 s"
state="$(sctl is-system-running 2>&1 || true)"
echo "service manager (systemd --user, pid $mgr): $state; $(in_mgr "$SYSTEMD" --version | head -n1)"

conf=/mnt/ssr/etc/ssr
in_mgr test -f /mnt/cfg/systemd/user/ssr-router@.service || manager_failed "the unit was not installed"
in_mgr cp "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$conf/branch.textproto"
write_env() { in_mgr sh -c "printf '%s\n' \"\$1\" >$conf/branch.env" sh "$1"; }
write_env 'SSR_INTERFACES="--interface lan0=lan0 --interface wan0=wan0"'

t0=$SECONDS
sctl start ssr-router@branch.service || {
  sctl status ssr-router@branch.service
  manager_failed "systemctl start ssr-router@branch failed"
}
# Traffic must flow as soon as start returned: one echo request, no retry.
out="$(ssr_in_client ping -n -c 1 -W 3 -I 10.10.9.20 10.20.3.10 2>&1)"
n="$(_ssr_ping_received "$out")"
echo "systemctl start returned after $((SECONDS - t0)) s; ping guest -> web right after: ${n:-0}/1"
[ "${n:-0}" = 1 ] || manager_failed "the unit was started before traffic could flow: $out"
unit=ssr-router@branch.service
[ "$(prop $unit ActiveState)/$(prop $unit SubState)" = active/running ] ||
  manager_failed "unit is $(prop $unit ActiveState)/$(prop $unit SubState), not active/running"
status="$(prop $unit StatusText)"
echo "StatusText: $status"
[ -n "$status" ] || fail "the unit has no STATUS= text"
pid="$(prop $unit MainPID)"
[ "$(readlink /proc/"$pid"/exe)" = /mnt/ssr/bin/ssr-router ] ||
  [ "$(in_mgr readlink /proc/"$pid"/exe)" = /mnt/ssr/bin/ssr-router ] ||
  fail "MainPID $pid is not the installed /mnt/ssr/bin/ssr-router"
for dev in lan0 wan0; do
  ssr_xdp_attached "$SSR_NS_BRANCH" "$dev" 2>/dev/null || fail "active unit without XDP on $dev"
done
# counter NAME: a router counter through the control socket (ssrctl show stats --json).
counter() { in_mgr "$SSRCTL" --socket /run/ssr/branch.sock show stats --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"; }
reloads() { counter router.reloads_ok; }
r0="$(reloads)" || fail "ssrctl cannot read /run/ssr/branch.sock"
echo "control socket /run/ssr/branch.sock answers; reloads=$r0"

sctl reload "$unit" || fail "systemctl reload failed"
for _ in $(seq 1 100); do [ "$(reloads)" -gt "$r0" ] && break; sleep 0.05; done
r1="$(reloads)"
[ "$r1" -gt "$r0" ] || fail "systemctl reload did not reload the router (reloads $r0 -> $r1)"
in_mgr sh -c "echo 'routers { this is not a config' >$conf/branch.textproto"
sctl reload "$unit" || fail "systemctl reload (broken config) failed"
# ssr-router reads the file first; a file that does not parse never reaches Router::Reload, and
# the router says so in its STATUS= text (sd_notify), which systemd shows as StatusText.
for _ in $(seq 1 100); do prop $unit StatusText | grep -q "reload failed" && break; sleep 0.05; done
status="$(prop $unit StatusText)"
echo "StatusText after the broken config: $status"
echo "$status" | grep -q "reload failed" || fail "the broken config's reload was not reported"
[ "$(reloads)" = "$r1" ] || fail "the broken config was applied"
[ "$(prop $unit ActiveState)" = active ] || manager_failed "a broken config stopped the unit"
out="$(ssr_in_client ping -n -c 1 -W 3 -I 10.10.9.20 10.20.3.10 2>&1)"
[ "$(_ssr_ping_received "$out")" = 1 ] || fail "no forwarding after a refused reload: $out"
echo "systemctl reload: reloads $r0 -> $r1; a broken config refused, unit active, forwarding"

sctl stop "$unit" || fail "systemctl stop failed"
result="$(prop $unit Result) $(prop $unit ExecMainStatus)"
echo "after systemctl stop: Result ExecMainStatus = $result"
[ "$result" = "success 0" ] || manager_failed "stop ended with $result, not \"success 0\""
for dev in lan0 wan0; do
  ssr_xdp_attached "$SSR_NS_BRANCH" "$dev" 2>/dev/null && fail "an XDP program stayed on $dev"
done
in_mgr test -e /run/ssr/branch.sock && fail "the control socket stayed after stop"
echo "after stop: no XDP program on lan0 / wan0, no control socket"

# A bad command line: exit status 2, and no restart although Restart=on-failure.
in_mgr cp "$SSR_SOURCE_ROOT/examples/configs/default.textproto" "$conf/branch.textproto"
write_env 'SSR_INTERFACES='
sctl reset-failed "$unit" 2>/dev/null || true
sctl start "$unit" && fail "the unit started without interfaces"
sleep 3  # RestartSec=2: a restart would have happened by now
echo "start without interfaces: $(prop $unit Result) $(prop $unit ExecMainStatus), restarts $(prop $unit NRestarts)"
[ "$(prop $unit ExecMainStatus)" = 2 ] || fail "expected exit status 2"
[ "$(prop $unit NRestarts)" = 0 ] || fail "a bad command line was restarted"
sctl exit 2>/dev/null || true
ssr_test_elapsed
echo "PASS"
