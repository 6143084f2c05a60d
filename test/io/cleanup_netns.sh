#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ctest FIXTURES_CLEANUP for the io netns tests: deletes namespaces a crashed test left behind.
# Names are ssrio_<pid>_<n> (netns_fixture.h); a namespace whose test process is still alive
# belongs to a concurrent run (another build directory) and is left alone. Veths go with them.
[ "$(id -u)" = 0 ] || exit 0
command -v ip >/dev/null 2>&1 || exit 0
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^ssrio_'); do
  pid=$(echo "$ns" | cut -d_ -f2)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
  ip netns del "$ns" 2>/dev/null || rm -f "/run/netns/$ns"
done
exit 0
