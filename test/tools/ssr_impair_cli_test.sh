#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ssr-impair's command line without any interface or namespace (label tool): --help, errors that
# name the argument and its value with exit 2, runtime errors with exit 1, and `ctl` without a
# relay. The relay itself is tested by netns.impair_link (impair_netns_test.sh).
set -uo pipefail
tool="$1"
fails=0
# expect RC PATTERN ARGS...: the tool exits RC and its output (stdout + stderr) matches PATTERN.
expect() {
  local want="$1" pattern="$2" out rc
  shift 2
  out="$("$tool" "$@" 2>&1)"
  rc=$?
  if [ "$rc" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: ssr-impair $* exited $rc (want $want), printed:"
    echo "$out"
    fails=$((fails + 1))
  else
    echo "ok: ssr-impair $* -> $rc: $(head -n 1 <<<"$out")"
  fi
}
expect 0 '^usage: ssr-impair' --help
expect 0 '^usage: ssr-impair' -h
expect 0 '^ssr-impair [0-9]+\.[0-9]+\.[0-9]+$' --version
expect 0 '^usage: ssr-impair' ctl --help
expect 2 '--delay: delay=abc: not a number' --delay abc x0 x1
expect 2 '--delay=70000: out of range|delay=70000: out of range' --delay=70000 x0 x1
expect 2 '--jitter: jitter=-1' --jitter -1 x0 x1
expect 2 '--loss: loss=120: out of range \[0, 100\]' --loss 120 x0 x1
expect 2 '--ge: ge=1: want P,R' --ge 1 x0 x1
expect 2 '--ge: ge=1,x: .*"x"' --ge 1,x x0 x1
expect 2 '--dist: dist=pareto' --dist pareto x0 x1
expect 2 '--rate: rate=-5' --rate -5 x0 x1
expect 2 '--a2b: unknown setting "foo"' --a2b 'delay=5 foo=1' x0 x1
expect 2 '--b2a: "delay" is not key=value' --b2a delay x0 x1
expect 2 '--queue: "0" is not 1..1048576' --queue 0 x0 x1
expect 2 '--max-frame: "64" is not 128..' --max-frame 64 x0 x1
expect 2 '--seed: "-1" is not an unsigned integer' --seed -1 x0 x1
expect 2 'unknown option --bogus' --bogus x0 x1
expect 2 'option --delay needs a value' x0 x1 --delay
expect 2 'want two interfaces IFACE_A IFACE_B, got 1' x0
expect 2 'IFACE_A and IFACE_B are the same: x0' x0 x0
expect 1 'interface "ssrDnone0"' ssrDnone0 ssrDnone1
expect 2 'ctl: want SOCKET COMMAND' ctl /nonexistent
expect 1 'connect to /nonexistent/impair.sock' ctl /nonexistent/impair.sock stats
[ "$fails" = 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo "all cases passed"
