#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `systemd-analyze verify` on the ssr-router@.service that `cmake --install` writes (component
# ssr_router, into a temporary prefix so that ExecStart names an installed binary): it must pass
# without a single message (verify exits 0 even for unknown keys or values it ignores, so any
# output fails). A copy with a misspelt key must draw a message, to show the check sees the file.
# Exit 77 (skipped) without systemd-analyze (Debian package systemd).
#   systemd_unit_test.sh BINARY_DIR
set -eu
bin=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIPPED: systemd-analyze not installed (Debian package systemd): unit not verified"
  exit 77
fi
tmp=$(mktemp -d /tmp/ssr-unit-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --build "$bin" --target ssr-router >/dev/null
cmake --install "$bin" --prefix "$tmp/prefix" --component ssr_router >/dev/null
unit="$tmp/prefix/lib/systemd/system/ssr-router@.service"
set +e
out=$(systemd-analyze verify "$unit" 2>&1)
rc=$?
set -e
if [ "$rc" != 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify $unit exited $rc:"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify ssr-router@.service: no message"
mkdir "$tmp/bad"
sed 's/^LockPersonality=/LockPersonalty=/' "$unit" >"$tmp/bad/ssr-router@.service"
out=$(systemd-analyze verify "$tmp/bad/ssr-router@.service" 2>&1 || true)
echo "$out" | grep -q "LockPersonalty" ||
  { echo "FAIL: systemd-analyze verify did not report a misspelt key: $out"; exit 1; }
echo "a misspelt key is reported: ok"
