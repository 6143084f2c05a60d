#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The two-router topology of the built-in default config, in network namespaces, shared by
# scripts/demo.sh and the netns integration tests (test/netns). Source this file, then:
#
#   ssr_topo_up PREFIX      creates PREFIX{client,branch,dc,server} (sets SSR_NS_CLIENT,
#                           SSR_NS_BRANCH, SSR_NS_DC, SSR_NS_SERVER); SSR_WAN_TAP=1 puts a bridge
#                           in a fifth namespace PREFIXwan (SSR_NS_WAN, bridge "br0") between the
#                           two wan0s, for captures (see below); SSR_KERNEL_FORWARD=1 turns IP
#                           forwarding on in the router namespaces (to check the traffic
#                           programs without ssr-router), otherwise it is off, so that whatever
#                           reaches the other side went through ssr-router. SSR_VETH_QUEUES=N
#                           gives every veth N RX and TX queues (default 1), for ssr-router
#                           --workers N or fewer (each worker serves every N-th queue).
#   ssr_topo_down           stops the routers and traffic programs started here, deletes the
#                           namespaces (their veths go with them). Idempotent; install it with
#                           `trap ssr_topo_down EXIT` (plus INT/TERM, see ssr_topo_trap).
#   ssr_topo_cleanup_stale PREFIX_START
#                           deletes namespaces named PREFIX_START<pid>... whose <pid> is dead.
#
#   client c0 ===== lan0 [branch] wan0 ===== wan0 [datacenter] lan0 ===== s0 server
#   10.10.1.10 (engineering)  10.10.0.1/16   192.0.2.1/24   192.0.2.2/24   10.20.0.1/16
#   10.10.2.10 (sales)                                                 10.20.1.10 crm, 10.20.1.20 erp
#   10.10.9.20 (guest)                                                 10.20.3.10 web, 10.20.2.5 voice
#   10.10.7.7  (no tenant)
#   10.10.1.200 (contractors.engineering)
#
# Dual stack: each of these has its IPv6 twin, the IPv4 address's last two bytes as the last two
# groups of fd00:10:10::/48 (client) or fd00:10:20::/48 (server): 10.10.1.10 is fd00:10:10:1::10,
# 10.20.3.10 is fd00:10:20:3::10, 10.10.7.7 is fd00:10:10:7::7; the routers' LAN addresses are
# fd00:10:10::1/48 and fd00:10:20::1/48, the WAN 2001:db8:2::1/64 and 2001:db8:2::2/64 (the
# built-in config's, examples/configs/default.textproto). ssr_v6 prints the twin of an IPv4
# address. IPv6 addresses are added without duplicate address detection (nodad, accept_dad 0) so
# they are usable at once, and no router solicitations are sent; neighbour discovery runs as on any
# link (the XDP gate passes ND and MLD to the kernel, as it passes ARP).
#
# The router namespaces carry the config's interface addresses in the kernel too: the XDP gate
# passes ARP, ND and traffic to its own addresses to the kernel. The end hosts build no GSO
# super-packets (gso_max_segs 1):
# every TCP segment is a real MTU-sized frame, as on a physical link. Without it a veth passes
# 64 KiB GSO packets on, which skb-mode XDP sees as one frame no AF_XDP frame can hold (measured:
# TCP through the routers stalled in skb mode without it). The end hosts use
# MTU $SSR_HOST_MTU (default 1500, the same as the WAN): SVR adds bytes to every packet (16-byte
# HMAC tag, plus IV and padding for encrypted services, metadata on first packets), so a full-size
# LAN packet no longer fits the WAN. The routers clamp the MSS of TCP to what fits, and answer
# other packets with DF that do not fit with fragmentation needed / Packet Too Big
# (docs/protocol.md §2.14.2; demo case 6). Until issue 14 the default was 1400, when the router
# neither clamped nor told senders.
#
# Capturing the WAN: a capture on a router's own wan0 sees nothing SVR, because the frames
# ssr-router sends leave through AF_XDP (copy mode: straight to the driver, past the packet taps)
# and the frames it receives are taken by XDP before any tap. With SSR_WAN_TAP=1 the WAN is a
# bridge in its own namespace where a capture on br0 sees both directions.
#
# Impaired WAN links (delay, jitter, loss, rate, cut; no netem on this kernel): ssr-impair
# (tools/ssr_impair/README.md) relays between two veths in a namespace of its own;
# scripts/netns/impair_link.sh builds such a link between two namespaces (ssr_impair_link) and
# drives it (ssr_impair_ctl NAME down|up|set ...). Not used by ssr_topo_up; scripts/netns/two_wan.sh
# builds the two-WAN topology (and an optional second datacenter) on such links.
#
# Router processes: ssr_router_start / ssr_router_wait_ready / ssr_router_dump / ssr_stat /
# ssr_router_stop, below.

# Variables set here are read by the scripts that source this file.
# shellcheck disable=SC2034
SSR_TOPO_PREFIX=""
SSR_TOPO_PIDS=()
SSR_TOPO_DIR=""

ssr_ns() { ip netns exec "$@"; }

# ssr_v6 IPV4: the IPv6 twin of a topology address (see above), e.g. 10.10.1.10 -> fd00:10:10:1::10,
# 192.0.2.1 -> 2001:db8:2::1. Anything else is printed unchanged.
ssr_v6() {
  local a="$1" b c d
  case "$a" in
    192.0.2.*) echo "2001:db8:2::${a##*.}" ;;
    10.10.*.* | 10.20.*.*)
      IFS=. read -r _ b c d <<<"$a"
      if [ "$c" = 0 ]; then echo "fd00:10:$b::$d"; else echo "fd00:10:$b:$c::$d"; fi ;;
    *) echo "$a" ;;
  esac
}

# ssr_topo_require: exits 77 (skip) with a message when namespaces, veth or XDP are unavailable.
ssr_topo_require() {
  if [ "$(id -u)" != 0 ]; then echo "SKIPPED: needs root (network namespaces, XDP)"; exit 77; fi
  local t
  for t in ip python3 sha256sum; do
    command -v "$t" >/dev/null 2>&1 || { echo "SKIPPED: $t is not installed"; exit 77; }
  done
  local probe="${SSR_NETNS_PREFIX:-ssrnt}$$-probe0"
  if ! ip netns add "$probe" 2>/dev/null; then
    echo "SKIPPED: cannot create a network namespace"; exit 77
  fi
  if ! ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
    ip netns del "$probe"; echo "SKIPPED: veth is unavailable"; exit 77
  fi
  ip netns del "$probe"
}

ssr_topo_up() {
  local p="$1"
  SSR_TOPO_PREFIX="$p"
  SSR_NS_CLIENT="${p}client"
  SSR_NS_BRANCH="${p}branch"
  SSR_NS_DC="${p}dc"
  SSR_NS_SERVER="${p}server"
  local ns
  for ns in "$SSR_NS_CLIENT" "$SSR_NS_BRANCH" "$SSR_NS_DC" "$SSR_NS_SERVER"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # Before the veths exist, so that they inherit it: usable addresses at once, no RS.
    ssr_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.router_solicitations=0
  done
  local q=()
  [ "${SSR_VETH_QUEUES:-1}" -gt 1 ] && q=(numtxqueues "$SSR_VETH_QUEUES" numrxqueues "$SSR_VETH_QUEUES")
  ip -n "$SSR_NS_CLIENT" link add c0 "${q[@]}" type veth peer name lan0 "${q[@]}" netns "$SSR_NS_BRANCH"
  SSR_NS_WAN=""
  if [ "${SSR_WAN_TAP:-0}" = 1 ]; then
    SSR_NS_WAN="${p}wan"
    ip netns add "$SSR_NS_WAN"
    ip -n "$SSR_NS_WAN" link add br0 type bridge
    ip -n "$SSR_NS_BRANCH" link add wan0 "${q[@]}" type veth peer name wa "${q[@]}" netns "$SSR_NS_WAN"
    ip -n "$SSR_NS_DC" link add wan0 "${q[@]}" type veth peer name wb "${q[@]}" netns "$SSR_NS_WAN"
    for dev in br0 wa wb; do
      ssr_ns "$SSR_NS_WAN" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
      [ "$dev" = br0 ] || ip -n "$SSR_NS_WAN" link set "$dev" master br0
      ip -n "$SSR_NS_WAN" link set "$dev" up
    done
  else
    ip -n "$SSR_NS_BRANCH" link add wan0 "${q[@]}" type veth peer name wan0 "${q[@]}" netns "$SSR_NS_DC"
  fi
  ip -n "$SSR_NS_DC" link add lan0 "${q[@]}" type veth peer name s0 "${q[@]}" netns "$SSR_NS_SERVER"
  local pair dev
  for pair in "$SSR_NS_CLIENT:c0" "$SSR_NS_BRANCH:lan0" "$SSR_NS_BRANCH:wan0" "$SSR_NS_DC:wan0" \
              "$SSR_NS_DC:lan0" "$SSR_NS_SERVER:s0"; do
    ns="${pair%%:*}"
    dev="${pair#*:}"
    ip -n "$ns" link set "$dev" up
  done
  local fwd="${SSR_KERNEL_FORWARD:-0}"
  for ns in "$SSR_NS_BRANCH" "$SSR_NS_DC"; do
    ssr_ns "$ns" sysctl -qw "net.ipv4.ip_forward=$fwd" "net.ipv6.conf.all.forwarding=$fwd"
  done

  local a
  for a in 10.10.1.10 10.10.2.10 10.10.9.20 10.10.7.7 10.10.1.200; do
    ip -n "$SSR_NS_CLIENT" addr add "$a/16" dev c0
    ip -n "$SSR_NS_CLIENT" addr add "$(ssr_v6 "$a")/48" dev c0 nodad
  done
  ip -n "$SSR_NS_CLIENT" route add default via 10.10.0.1
  ip -n "$SSR_NS_CLIENT" -6 route add default via fd00:10:10::1
  for a in 10.20.1.10 10.20.1.20 10.20.3.10 10.20.2.5; do
    ip -n "$SSR_NS_SERVER" addr add "$a/16" dev s0
    ip -n "$SSR_NS_SERVER" addr add "$(ssr_v6 "$a")/48" dev s0 nodad
  done
  ip -n "$SSR_NS_SERVER" route add default via 10.20.0.1
  ip -n "$SSR_NS_SERVER" -6 route add default via fd00:10:20::1
  ip -n "$SSR_NS_BRANCH" addr add 10.10.0.1/16 dev lan0
  ip -n "$SSR_NS_BRANCH" addr add fd00:10:10::1/48 dev lan0 nodad
  ip -n "$SSR_NS_BRANCH" addr add 192.0.2.1/24 dev wan0
  ip -n "$SSR_NS_BRANCH" addr add 2001:db8:2::1/64 dev wan0 nodad
  ip -n "$SSR_NS_DC" addr add 192.0.2.2/24 dev wan0
  ip -n "$SSR_NS_DC" addr add 2001:db8:2::2/64 dev wan0 nodad
  ip -n "$SSR_NS_DC" addr add 10.20.0.1/16 dev lan0
  ip -n "$SSR_NS_DC" addr add fd00:10:20::1/48 dev lan0 nodad
  if [ "$fwd" = 1 ]; then  # kernel-only check of the traffic programs: routes between the sites
    ip -n "$SSR_NS_BRANCH" route add 10.20.0.0/16 via 192.0.2.2
    ip -n "$SSR_NS_DC" route add 10.10.0.0/16 via 192.0.2.1
    ip -n "$SSR_NS_BRANCH" -6 route add fd00:10:20::/48 via 2001:db8:2::2
    ip -n "$SSR_NS_DC" -6 route add fd00:10:10::/48 via 2001:db8:2::1
  fi
  for pair in "$SSR_NS_CLIENT:c0" "$SSR_NS_SERVER:s0"; do
    ns="${pair%%:*}"
    ip -n "$ns" link set dev "${pair#*:}" gso_max_segs 1
    ip -n "$ns" link set "${pair#*:}" mtu "${SSR_HOST_MTU:-1500}"
  done
  SSR_TOPO_DIR="$(mktemp -d "/tmp/${p}XXXXXX")"
}

# Runs "$@" in the background (inside a namespace via `ip netns exec`, which execs, so $! is the
# program itself) and remembers the pid for ssr_topo_down. Sets SSR_LAST_PID.
ssr_bg() {
  "$@" &
  SSR_LAST_PID=$!
  SSR_TOPO_PIDS+=("$SSR_LAST_PID")
}

ssr_topo_down() {
  local pid
  for pid in "${SSR_TOPO_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SSR_TOPO_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SSR_TOPO_PIDS=()
  if [ -n "$SSR_TOPO_PREFIX" ]; then
    local ns
    for ns in client branch dc server wan; do
      ip netns del "${SSR_TOPO_PREFIX}$ns" 2>/dev/null || true
    done
  fi
  if [ -n "$SSR_TOPO_DIR" ] && [ -z "${SSR_KEEP_DIR:-}" ]; then rm -rf "$SSR_TOPO_DIR"; fi
  SSR_TOPO_PREFIX=""
}

# Cleans up on exit, and turns INT/TERM into an exit (so the EXIT trap runs once).
ssr_topo_trap() {
  trap ssr_topo_down EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

ssr_topo_cleanup_stale() {
  local start="$1" ns rest pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$start" || true); do
    rest="${ns#"$start"}"
    pid="${rest%%[!0-9]*}"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    ip netns del "$ns" 2>/dev/null || rm -f "/run/netns/$ns"
  done
}

# ssr_config_ipv6_wan OUT: writes the built-in config (examples/configs/default.textproto) with
# each router's IPv6 peer address listed first, so that sessions of both families take the IPv6
# WAN path (a session uses the peer path of the first address, docs/protocol.md §2.15).
ssr_config_ipv6_wan() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  python3 - "$root/examples/configs/default.textproto" "$1" <<'PY'
import sys
s = open(sys.argv[1]).read()
for v4, v6 in (("192.0.2.2", "2001:db8:2::2"), ("192.0.2.1", "2001:db8:2::1")):
    pair = f'    addresses: "{v4}"\n    addresses: "{v6}"\n'
    if s.count(pair) != 1:
        sys.exit(f"default.textproto: peer addresses {v4} / {v6} not found once")
    s = s.replace(pair, f'    addresses: "{v6}"\n    addresses: "{v4}"\n')
open(sys.argv[2], "w").write(s)
PY
}

# ---- ssr-router processes --------------------------------------------------------------------

# ssr_find_router: prints the ssr-router path: $SSR_ROUTER, else the first built one under build/.
ssr_find_router() {
  if [ -n "${SSR_ROUTER:-}" ]; then echo "$SSR_ROUTER"; return; fi
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  find "$root/build" -path '*/examples/ssr-router/ssr-router' -type f 2>/dev/null | head -n1
}

# ssr_router_start NAME(branch|datacenter|datacenter2) MODE(native|skb|auto) [extra ssr-router args...]
# Starts the router in its namespace with --stats-file $SSR_TOPO_DIR/NAME.stats; stdout/stderr go
# to $SSR_TOPO_DIR/NAME.out / .err. Sets SSR_PID_<NAME>. Default config unless extra args give
# --config.
ssr_router_start() {
  local name="$1" mode="$2"
  shift 2
  local ns
  case "$name" in
    branch) ns="$SSR_NS_BRANCH" ;;
    datacenter) ns="$SSR_NS_DC" ;;
    datacenter2) ns="${SSR_NS_DC2:?}" ;;  # scripts/netns/two_wan.sh
    *) echo "ssr_router_start: unknown router $name" >&2; return 2 ;;
  esac
  local cfg=(--default)
  local a
  for a in "$@"; do [ "$a" = --config ] || [ "$a" = --config-etcd ] && cfg=(); done
  : >"$SSR_TOPO_DIR/$name.out"
  ssr_bg ip netns exec "$ns" "${SSR_ROUTER_BIN:?}" "${cfg[@]}" --router "$name" \
    --interface lan0=lan0 --interface wan0=wan0 --xdp-mode "$mode" \
    --stats-file "$SSR_TOPO_DIR/$name.stats" --stats-interval 0 "$@" \
    >>"$SSR_TOPO_DIR/$name.out" 2>>"$SSR_TOPO_DIR/$name.err"
  printf -v "SSR_PID_$name" '%s' "$SSR_LAST_PID"
}

# ssr_router_wait_ready NAME [TIMEOUT_S]: waits for the "ready" line; fails (printing the router's
# stderr) if the process exits or the time runs out.
ssr_router_wait_ready() {
  local name="$1" timeout="${2:-60}" pidvar="SSR_PID_$1"
  local pid="${!pidvar}" deadline=$((SECONDS + timeout))
  while [ $SECONDS -lt "$deadline" ]; do
    if grep -qx ready "$SSR_TOPO_DIR/$name.out" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "ssr-router $name exited before ready:" >&2
      cat "$SSR_TOPO_DIR/$name.err" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "ssr-router $name not ready after ${timeout}s:" >&2
  cat "$SSR_TOPO_DIR/$name.err" >&2
  return 1
}

# ssr_router_dump NAME OUTFILE: SIGUSR1, waits for the fresh stats file, copies it to OUTFILE.
ssr_router_dump() {
  local name="$1" out="$2" pidvar="SSR_PID_$1"
  local pid="${!pidvar}" f="$SSR_TOPO_DIR/$1.stats" i
  rm -f "$f"
  kill -USR1 "$pid" || return 1
  for _ in $(seq 1 200); do
    if [ -s "$f" ]; then cp "$f" "$out"; return 0; fi
    sleep 0.02
  done
  echo "ssr-router $name wrote no stats file after SIGUSR1" >&2
  return 1
}

# ssr_stat FILE NAME: the counter's value (0 when absent).
ssr_stat() {
  awk -v n="$2" '$1 == n { v = $2 } END { print (v == "" ? 0 : v) }' "$1"
}

# ssr_delta BEFORE AFTER NAME: how much a counter moved between two dumps.
ssr_delta() {
  echo $(( $(ssr_stat "$2" "$3") - $(ssr_stat "$1" "$3") ))
}

# ssr_router_stop NAME [SIGNAL]: signals the router (TERM) and waits (10 s, then KILL); sets
# SSR_RC to its exit status. Not in a $(...) subshell: only the parent shell can wait for it.
ssr_router_stop() {
  local sig="${2:-TERM}" pidvar="SSR_PID_$1"
  local pid="${!pidvar}"
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  SSR_RC=0
  wait "$pid" 2>/dev/null || SSR_RC=$?
}

# ssr_xdp_attached NS DEV: true if an XDP program is attached to DEV.
ssr_xdp_attached() {
  ip -n "$1" -d link show dev "$2" | grep -qE '(^| )(xdp|xdpgeneric|xdpdrv|xdpoffload|xdpmulti)( |$)|prog/xdp'
}

# ssr_deltas BEFORE AFTER [REGEX]: "name+delta" for every counter that moved (matching REGEX).
ssr_deltas() {
  awk -v re="${3:-.}" 'NR == FNR { b[$1] = $2; next }
       $1 ~ re && $2 ~ /^[0-9]+$/ && $2 != b[$1] { printf "%s%s+%d", sep, $1, $2 - b[$1]; sep = " " }
       END { print "" }' "$1" "$2"
}
