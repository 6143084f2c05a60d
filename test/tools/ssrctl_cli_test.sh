#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ssrctl's command line without a router: --help / -h (exit 0, commands and exit codes
# explained), --version, usage errors (exit 2, one line naming the option, then the --help
# hint), and a socket that does not exist or nobody serves (exit 3, a clear message).
#   ssrctl_cli_test.sh SSRCTL
set -uo pipefail
SSRCTL="${1:?usage: $0 SSRCTL}"
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run WANT_RC ARGS...: output (stdout+stderr) in $out
  local want="$1" rc
  shift
  out="$("$SSRCTL" "$@" 2>&1)"; rc=$?
  [ "$rc" = "$want" ] || fail "ssrctl $* exited $rc, expected $want: $out"
}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

run 0 --help
for word in "show sessions" "--tenant T" "reload" "version" "Exit codes:" "3  the router could not be reached" "/run/ssr/NAME.sock"; do
  grep -qF -- "$word" <<<"$out" || fail "--help lacks \"$word\""
done
run 0 -h
run 0 --version
[[ "$out" =~ ^ssrctl\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: $out"

run 2
[ "$out" = "ssrctl: no command (show, reload or version)
try 'ssrctl --help'" ] || fail "no command: $out"
run 2 --socket "$tmp/x" show
grep -qF 'show: what?' <<<"$out" || fail "show without what: $out"
run 2 --socket "$tmp/x" show stats --tenant guest
grep -qF 'show stats takes no --tenant (tenant=guest)' <<<"$out" || fail "filter on stats: $out"
run 2 --socket "$tmp/x" show sessions --limit many
grep -qF -- '--limit: "many" is not a number from 1 to 100000' <<<"$out" || fail "--limit: $out"
run 2 --socket "$tmp/x" frobnicate
grep -qF 'unknown command "frobnicate"' <<<"$out" || fail "unknown command: $out"
run 2 --bogus
grep -qF 'unknown option "--bogus"' <<<"$out" || fail "unknown option: $out"

run 3 --socket "$tmp/none.sock" show stats
[ "$out" = "ssrctl: $tmp/none.sock: no such socket (is the router running? see --socket / --router)" ] ||
  fail "missing socket: $out"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$tmp/dead.sock"
run 3 --socket "$tmp/dead.sock" version
grep -qF 'connection refused (the router is not running)' <<<"$out" || fail "dead socket: $out"
echo PASS
