#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An impaired link between two network namespaces: ssr-impair (tools/ssr_impair/README.md)
# relaying between two veths in a namespace of its own. Source this file (bash), then:
#
#   ssr_impair_link NAME IMPAIR_NS LEFT_NS LEFT_IF RIGHT_NS RIGHT_IF [ssr-impair options...]
#       creates IMPAIR_NS if missing and the link
#           LEFT_IF (LEFT_NS) ==veth== NAME-a [IMPAIR_NS: ssr-impair] NAME-b ==veth== RIGHT_IF (RIGHT_NS)
#       all up, IPv6 and GRO off on NAME-a / NAME-b (the relay namespace sends nothing of its own,
#       and relays frames as they came); starts
#       ssr-impair NAME-a NAME-b with the options (a2b = LEFT -> RIGHT) and the control socket
#       $SSR_IMPAIR_DIR/NAME.sock, log $SSR_IMPAIR_DIR/NAME.log, and returns once it answers.
#       LEFT_IF and RIGHT_IF get no address: the caller adds them. Several links (NAME differs,
#       at most 13 characters) may share one IMPAIR_NS, e.g. two WAN links between two routers.
#   ssr_impair_ctl NAME COMMAND...      ssr-impair ctl on the link's socket (down, up, set, stats..)
#   ssr_impair_stat NAME DIR COUNTER    one counter (DIR a2b or b2a), e.g. dropped_loss
#   ssr_impair_stop_all                 SIGTERM to every relay started here, waits (counters are
#                                       in the logs); namespaces are the caller's to delete
#
# Variables: SSR_IMPAIR_BIN (the ssr-impair binary; default: the first one built under build/),
# SSR_IMPAIR_DIR (sockets and logs; default: a new directory under /tmp).
#
# Offloads: a veth hands the relay TCP super-frames (GSO) with checksums left to the receiver;
# ssr-impair relays them whole (PACKET_VNET_HDR), so loss and rate then apply per super-frame.
# For per-segment impairment set `ip link set dev LEFT_IF gso_max_segs 1` (as the netns topology
# does for its end hosts) or `ethtool -K LEFT_IF tso off gso off` on the senders.

# Read by the scripts that source this file.
# shellcheck disable=SC2034
SSR_IMPAIR_PIDS=()

_ssr_impair_bin() {
  if [ -n "${SSR_IMPAIR_BIN:-}" ]; then echo "$SSR_IMPAIR_BIN"; return; fi
  local root f
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  for f in "$root"/build/*/tools/ssr_impair/ssr-impair; do
    [ -x "$f" ] && { echo "$f"; return; }
  done
  echo "ssr-impair"
}

ssr_impair_link() {
  local name="$1" ins="$2" lns="$3" lif="$4" rns="$5" rif="$6"
  shift 6
  local bin
  bin="$(_ssr_impair_bin)"
  if [ -z "${SSR_IMPAIR_DIR:-}" ]; then SSR_IMPAIR_DIR="$(mktemp -d /tmp/ssr-impair.XXXXXX)"; fi
  ip netns list | awk '{print $1}' | grep -qx "$ins" || ip netns add "$ins" || return 1
  ip -n "$ins" link set lo up
  ip -n "$lns" link add "$lif" type veth peer name "$name-a" netns "$ins" || return 1
  ip -n "$rns" link add "$rif" type veth peer name "$name-b" netns "$ins" || return 1
  local dev
  for dev in "$name-a" "$name-b"; do
    ip netns exec "$ins" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
    # No GRO on the relay's side: frames are relayed as they came off the wire.
    ip netns exec "$ins" ethtool -K "$dev" gro off >/dev/null 2>&1 || true
    ip -n "$ins" link set "$dev" up
  done
  ip -n "$lns" link set "$lif" up
  ip -n "$rns" link set "$rif" up
  local sock="$SSR_IMPAIR_DIR/$name.sock"
  ip netns exec "$ins" "$bin" "$name-a" "$name-b" --control "$sock" "$@" \
    >"$SSR_IMPAIR_DIR/$name.log" 2>&1 &
  SSR_IMPAIR_PIDS+=("$!")
  local pid=$! _
  for _ in $(seq 1 100); do
    "$bin" ctl "$sock" show >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "ssr_impair_link $name: ssr-impair did not start:" >&2
  cat "$SSR_IMPAIR_DIR/$name.log" >&2
  return 1
}

ssr_impair_ctl() {
  local name="$1"
  shift
  "$(_ssr_impair_bin)" ctl "$SSR_IMPAIR_DIR/$name.sock" "$@"
}

ssr_impair_stat() {
  ssr_impair_ctl "$1" stats "$2" | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k {print $2}'
}

ssr_impair_stop_all() {
  local pid _
  for pid in "${SSR_IMPAIR_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${SSR_IMPAIR_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SSR_IMPAIR_PIDS=()
}
