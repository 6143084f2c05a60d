#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ctest FIXTURES_CLEANUP for the netns tests and the demo: deletes the namespaces (veths go with
# them) of a test or demo process that no longer runs. Names: ssrnt<pid>-... (tests),
# ssr-demo-<pid>-... (scripts/demo.sh); those of a live process belong to a concurrent run.
[ "$(id -u)" = 0 ] || exit 0
command -v ip >/dev/null 2>&1 || exit 0
# shellcheck source=scripts/netns/topology.sh
source "$(dirname "$0")/../../scripts/netns/topology.sh"
if [ -n "${SSR_NETNS_PREFIX:-}" ]; then  # a run keeping to its own prefix (lib.sh)
  ssr_topo_cleanup_stale "$SSR_NETNS_PREFIX"
  exit 0
fi
ssr_topo_cleanup_stale ssrnt
ssr_topo_cleanup_stale ssr-demo-
exit 0
