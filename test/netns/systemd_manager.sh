#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a real systemd service manager for netns.systemd_service (systemd_service_test.sh), inside
# the network namespace it was started in and in a private mount namespace of its own:
#   ip netns exec NS unshare -m --propagation private bash systemd_manager.sh BUILD_DIR DIR
# The manager is `systemd --user` running as root (no PID 1 systemd exists on the test machines):
# it supervises units with the same code as the system manager (Type=notify readiness,
# ExecReload, stop, restart policy, sandboxing), and it runs here because, in this mount namespace
# only:
#   /run is a fresh tmpfs holding /run/systemd/system (systemd's "booted with systemd" check) and
#     XDG_RUNTIME_DIR=/run, so the unit's RuntimeDirectory=ssr is /run/ssr as under the system
#     manager (the router's default control socket /run/ssr/NAME.sock);
#   /mnt is a fresh tmpfs holding the component ssr_router installed with `cmake --install
#     --prefix /mnt/ssr` (the unit's paths are written from that prefix; not under /tmp, which
#     the unit's PrivateTmp=yes hides from the service) and the manager's unit directory
#     /mnt/cfg/systemd/user with the installed ssr-router@.service copied unchanged;
#   /sys/fs/cgroup is the cgroup v2 hierarchy if `ip netns exec` left none there.
# DIR (the test's directory) receives manager.pid and install.log; the manager logs to
# DIR/manager.log (its own stderr, where the services' output goes too: there is no journal).
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR DIR}"
dir="${2:?usage: $0 BUILD_DIR DIR}"
echo $$ >"$dir/manager.pid"
mount -t tmpfs -o mode=0755 ssr-run /run
mkdir -p /run/systemd/system
mount -t tmpfs -o mode=0755 ssr-mnt /mnt
# `ip netns exec` mounted a fresh /sys for the namespace, without the cgroup file systems the
# manager tracks its services in: mount the cgroup v2 hierarchy (no controllers are needed).
if ! grep -q ' /sys/fs/cgroup ' /proc/self/mounts; then
  mount -t cgroup2 ssr-cgroup2 /sys/fs/cgroup
fi
cmake --install "$build" --prefix /mnt/ssr --component ssr_router >"$dir/install.log" 2>&1
mkdir -p /mnt/cfg/systemd/user
cp /mnt/ssr/lib/systemd/system/ssr-router@.service /mnt/cfg/systemd/user/
export XDG_RUNTIME_DIR=/run XDG_CONFIG_HOME=/mnt/cfg
exec /lib/systemd/systemd --user --log-target=console --log-level=info 2>"$dir/manager.log"
