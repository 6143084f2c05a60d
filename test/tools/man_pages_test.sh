#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The man pages help2man generated (cmake/SsrManPages.cmake): one per installed tool, each renders
# with man, names the tool with its one-line description, and carries the options of its --help.
# Usage: man_pages_test.sh MAN1_DIR
set -euo pipefail
dir=$1
fail=0
check() {  # page, text that must appear in the rendered page
  if ! MANWIDTH=200 man -l "$dir/$1.1" 2>/dev/null | grep -qF -- "$2"; then
    echo "FAIL: $1.1 does not contain \"$2\"" >&2
    fail=1
  fi
}
for tool in ssr-router ssrctl ssr-config-check ssr-pcap ssr-impair; do
  [ -s "$dir/$tool.1" ] || { echo "FAIL: $dir/$tool.1 missing or empty" >&2; fail=1; continue; }
  check "$tool" "$tool - "
  check "$tool" "--help"
done
check ssr-config-check "--json"
check ssr-config-check "Exit codes:"
check ssr-router "--interface"
check ssrctl "show"
[ "$fail" = 0 ] && echo "man pages OK"
exit "$fail"
