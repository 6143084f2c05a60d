#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ssr-pktgen's command line without a network (label tool): --help / -h (also after a
# subcommand) exit 0 and explain the subcommands, signals, exit codes and files; --version; a bad
# command line is one line naming the option or value, exit 2.
set -uo pipefail
tool="$1"
fail() { echo "FAIL: $*"; exit 1; }
for args in "--help" "-h" "run --help" "fwd -h" "drop --help" "relay --help"; do
  # shellcheck disable=SC2086
  out="$("$tool" $args 2>&1)" || fail "$args exited $?"
  for want in "usage: ssr-pktgen run" "ssr-pktgen fwd" "ssr-pktgen drop" "ssr-pktgen relay" \
              "--tx-if IF" "--idle-yield-us N" "Signals:" "SIGTERM" "Exit codes:" "Files:"; do
    case "$out" in *"$want"*) ;; *) fail "$args does not mention '$want'" ;; esac
  done
done
out="$("$tool" --version)" || fail "--version exited $?"
case "$out" in "ssr-pktgen "[0-9]*.[0-9]*.[0-9]*) ;; *) fail "--version printed: $out" ;; esac
check_usage() {  # EXPECTED_FIRST_LINE ARGS...
  local want="$1"; shift
  local err rc=0
  err="$("$tool" "$@" 2>&1 >/dev/null)" || rc=$?
  [ "$rc" -eq 2 ] || fail "$* exited $rc, expected 2 ($err)"
  [ "$(head -n1 <<<"$err")" = "$want" ] || fail "$*: first line '$(head -n1 <<<"$err")', expected '$want'"
}
check_usage 'ssr-pktgen: no subcommand given (run, fwd, drop or relay)'
check_usage 'ssr-pktgen: unknown option "--bogus"' --bogus
check_usage 'ssr-pktgen: unknown subcommand "frob" (run, fwd, drop or relay)' frob
check_usage 'ssr-pktgen: run: unknown option --bogus' run --bogus
check_usage 'ssr-pktgen: --rate: missing value' run --rate
check_usage 'ssr-pktgen: --dst-mac: "zz" is not a MAC address' run --tx-if x --dst-mac zz
check_usage 'ssr-pktgen: --idle-yield-us: "2ms" is not 0..1000000' fwd --idle-yield-us 2ms
check_usage 'ssr-pktgen: drop: unknown option --bogus' drop --bogus x
echo "ok"
