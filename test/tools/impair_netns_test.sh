#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netns.impair_link: ssr-impair between two namespaces (scripts/netns/impair_link.sh):
#
#   ssrD<pid>-a  a0 198.51.100.1 ==== l-a [ssrD<pid>-i: ssr-impair] l-b ==== b0 198.51.100.2  ssrD<pid>-b
#
# checks, with ping, UDP and TCP from a to b:
#   1. delay 20 ms each way: every RTT >= 40 ms, and the mean <= 46 ms;
#      jitter 5 ms: RTTs at least 30 ms, spread, mean at most 50 ms;
#   2. loss 20 % each way over 400 pings: a ping survives with 0.8 * 0.8 = 0.64, so the RTT loss
#      is 36 % (sd 2.4 % at n = 400): it must lie in [26, 46] %; the relay's own dropped_loss
#      over rx_frames must be 20 % +- 6 % per direction;
#   3. `down` makes ping fail (all dropped, counted in dropped_down); `up` restores it;
#   4. 10 MiB over TCP (veth offloads on: GSO super-frames) with delay 5 ms: sha256 equal at both
#      ends, nothing dropped by the relay;
#   5. 10 MiB over TCP with MTU-sized segments at rate=50 Mbit/s: takes at least the 1.68 s the
#      rate allows (tcp-send's own time), reaches at least 35 Mbit/s, nothing dropped;
#   6. 100 000 UDP frames of 60 bytes paced at 50 000 pps: the relay sends every frame it
#      receives (no kernel drop, no queue overflow, no tx error) and b receives >= 99.9 %;
#   7. unpaced UDP for 2 s: the relay's rate on this machine (printed), counters add up;
#   8. SIGUSR1 / SIGTERM print the counters, SIGTERM exits 0.
# Root only (exit 77 = skipped otherwise). Under 30 s on the 2-core VM.
set -uo pipefail

BIN="${1:?usage: $0 SSR_IMPAIR}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TRAFFIC="$ROOT/scripts/netns/traffic.py"
# shellcheck source=scripts/netns/impair_link.sh
source "$ROOT/scripts/netns/impair_link.sh"

if [ "$(id -u)" != 0 ]; then echo "SKIPPED: needs root (network namespaces)"; exit 77; fi
for tool in ip ping python3 ethtool; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed"; exit 77; }
done
[ -x "$BIN" ] || { echo "FAIL: ssr-impair not built: $BIN"; exit 1; }
SSR_IMPAIR_BIN="$BIN"

# Namespaces of dead earlier runs of this test.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^ssrD[0-9]' || true); do
  pid="${ns#ssrD}"
  pid="${pid%%-*}"
  kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
done

P="ssrD$$-"
NA="${P}a" NI="${P}i" NB="${P}b"
A=198.51.100.1 B=198.51.100.2
SSR_IMPAIR_DIR="$(mktemp -d /tmp/ssrD$$.XXXXXX)"
BG_PIDS=()
cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  ssr_impair_stop_all
  [ -s "$SSR_IMPAIR_DIR/l.log" ] && { echo "--- ssr-impair log"; cat "$SSR_IMPAIR_DIR/l.log"; }
  for ns in "$NA" "$NI" "$NB"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$SSR_IMPAIR_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T0=$SECONDS
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "PASS: $*"; }

ip netns add "$NA" || { echo "SKIPPED: cannot create a network namespace"; exit 77; }
ip netns add "$NB"
for ns in "$NA" "$NB"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ssr_impair_link l "$NI" "$NA" a0 "$NB" b0 --delay 20 --seed 1 || { echo "FAIL: link"; exit 1; }
ip -n "$NA" addr add "$A/24" dev a0
ip -n "$NB" addr add "$B/24" dev b0
# Static neighbours: no ARP lost to the impairments below.
ip -n "$NA" neigh replace "$B" lladdr "$(ip -n "$NB" -br link show b0 | awk '{print $3}')" dev a0 nud permanent
ip -n "$NB" neigh replace "$A" lladdr "$(ip -n "$NA" -br link show a0 | awk '{print $3}')" dev b0 nud permanent

# ping_stats ARGS...: "SENT RECEIVED MIN AVG MAX" (ms) of a quiet ping from a to b.
ping_stats() {
  ip netns exec "$NA" ping -q -n "$@" "$B" 2>&1 | awk '
    / packets transmitted/ { sent = $1; recv = $4 }
    /^rtt|^round-trip/ { split($4, r, "/"); mn = r[1]; av = r[2]; mx = r[3] }
    END { printf "%s %s %s %s %s\n", sent + 0, recv + 0, mn + 0, av + 0, mx + 0 }'
}
# fle X Y: X <= Y for decimals.
fle() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x <= y) }'; }

# 1. Delay, then jitter.
read -r sent recv mn av mx < <(ping_stats -c 20 -i 0.05)
echo "delay 20 ms: $recv/$sent answered, rtt min/avg/max $mn/$av/$mx ms"
if [ "$recv" = 20 ] && fle 40 "$mn" && fle "$av" 46; then
  pass "delay: rtt >= 2 x 20 ms, mean $av ms"
else
  fail "delay: want 20/20 answered, min >= 40, avg <= 46 ms"
fi
ssr_impair_ctl l set jitter=5 >/dev/null || fail "set jitter"
read -r sent recv mn av mx < <(ping_stats -c 60 -i 0.05)
echo "delay 20 ms jitter 5 ms: $recv/$sent answered, rtt min/avg/max $mn/$av/$mx ms"
# The lower bound is the relay's (2 x (20 - 5) ms); above, one ping's scheduling on a loaded
# machine can add tens of ms, so the mean (not the maximum) is bounded.
if [ "$recv" = 60 ] && fle 30 "$mn" && fle "$av" 50 && fle 2 "$(awk -v a="$mx" -v b="$mn" 'BEGIN{print a-b}')"; then
  pass "jitter: rtt >= 30 ms, mean $av <= 50 ms, spread $mn..$mx"
else
  fail "jitter: want 60/60 answered, rtt >= 30 ms, mean <= 50 ms, spread >= 2 ms"
fi

# 2. Loss.
ssr_impair_ctl l set delay=0 jitter=0 loss=20 >/dev/null && ssr_impair_ctl l reset >/dev/null
read -r sent recv mn av mx < <(ping_stats -c 400 -i 0.01 -W 1)
loss=$(awk -v s="$sent" -v r="$recv" 'BEGIN { printf "%.1f", 100 * (s - r) / s }')
echo "loss 20 % each way: $recv/$sent answered, rtt loss $loss % (expected 36 %)"
if [ "$sent" = 400 ] && fle 26 "$loss" && fle "$loss" 46; then
  pass "loss: rtt loss $loss % in [26, 46] %"
else
  fail "loss: rtt loss $loss % not in [26, 46] % (400 sent?)"
fi
for dir in a2b b2a; do
  rx=$(ssr_impair_stat l $dir rx_frames)
  lost=$(ssr_impair_stat l $dir dropped_loss)
  tx=$(ssr_impair_stat l $dir tx_frames)
  pct=$(awk -v l="$lost" -v r="$rx" 'BEGIN { printf "%.1f", r ? 100 * l / r : 0 }')
  if [ "$rx" -ge 200 ] && fle 14 "$pct" && fle "$pct" 26 && [ $((rx - lost)) = "$tx" ]; then
    pass "loss $dir: relay dropped $lost of $rx ($pct %), sent $tx"
  else
    fail "loss $dir: relay dropped $lost of $rx ($pct %), sent $tx: want 20 +- 6 %, rx - lost = tx"
  fi
done

# 3. Down and up.
ssr_impair_ctl l set loss=0 >/dev/null && ssr_impair_ctl l reset >/dev/null
ssr_impair_ctl l down >/dev/null || fail "down"
read -r sent recv _ < <(ping_stats -c 5 -i 0.2 -W 1)
down=$(ssr_impair_stat l a2b dropped_down)
if [ "$recv" = 0 ] && [ "$down" -ge 5 ]; then
  pass "down: 0/$sent answered, a2b dropped_down $down"
else
  fail "down: $recv/$sent answered, a2b dropped_down $down (want 0 answered, >= 5 dropped)"
fi
ssr_impair_ctl l up >/dev/null || fail "up"
read -r sent recv _ < <(ping_stats -c 5 -i 0.1 -W 1)
if [ "$recv" = 5 ]; then pass "up: 5/5 answered"; else fail "up: $recv/$sent answered"; fi

# no_drops WHAT: every drop counter of both directions is 0.
no_drops() {
  local dir c v bad=""
  for dir in a2b b2a; do
    for c in dropped_loss dropped_burst dropped_down dropped_overflow dropped_oversize \
             dropped_tx_error kernel_drops; do
      v=$(ssr_impair_stat l $dir $c)
      [ "$v" = 0 ] || bad="$bad $dir.$c=$v"
    done
  done
  if [ -z "$bad" ]; then pass "$1: the relay dropped nothing"; else fail "$1: relay drops:$bad"; fi
}
# tcp_secs OUTPUT: the transfer time tcp-send measured (connect to the sink's sha256 reply), "0"
# when it printed none.
tcp_secs() { sed -n 's/.* in \([0-9.]*\) s,.*/\1/p' <<<"$1" | grep . || echo 0; }

# 4. TCP with offloads (GSO super-frames relayed whole).
ip netns exec "$NB" python3 "$TRAFFIC" tcp-sink "$B" 5001 >/dev/null 2>&1 &
BG_PIDS+=("$!")
sleep 0.3
ssr_impair_ctl l set delay=5 >/dev/null && ssr_impair_ctl l reset >/dev/null
out=$(ip netns exec "$NA" python3 "$TRAFFIC" tcp-send "$B" 5001 --bind "$A" --bytes 10485760 --timeout 20)
rc=$?
secs=$(tcp_secs "$out")
mbit=$(awk -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? 10485760 * 8 / s / 1e6 : 0) }')
echo "$out"
if [ $rc = 0 ]; then
  pass "tcp 10 MiB, delay 5 ms, offloads on: sha256 equal, $mbit Mbit/s, gso_frames a2b $(ssr_impair_stat l a2b gso_frames)"
else
  fail "tcp 10 MiB with offloads"
fi
no_drops "tcp with offloads"

# 5. TCP with MTU-sized segments through a 50 Mbit/s rate limit.
for pair in "$NA:a0" "$NB:b0"; do
  ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tso off gso off gro off >/dev/null 2>&1
done
ssr_impair_ctl l set delay=5 rate=50 >/dev/null && ssr_impair_ctl l reset >/dev/null
out=$(ip netns exec "$NA" python3 "$TRAFFIC" tcp-send "$B" 5001 --bind "$A" --bytes 10485760 --timeout 20)
rc=$?
secs=$(tcp_secs "$out")
mbit=$(awk -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? 10485760 * 8 / s / 1e6 : 0) }')
gso=$(ssr_impair_stat l a2b gso_frames)
echo "$out"
if [ $rc = 0 ] && fle 1.68 "$secs" && fle 35 "$mbit" && [ "$gso" = 0 ]; then
  pass "tcp 10 MiB at rate=50: $secs s, $mbit Mbit/s, sha256 equal, no GSO frames"
else
  fail "tcp 10 MiB at rate=50: rc $rc, $secs s, $mbit Mbit/s, gso_frames $gso (want >= 1.68 s, >= 35 Mbit/s, 0)"
fi
no_drops "tcp at rate=50"

# 6. 50 000 pps of small UDP frames.
ssr_impair_ctl l set delay=1 rate=0 >/dev/null && ssr_impair_ctl l reset >/dev/null
ip netns exec "$NB" python3 - "$B" >"$SSR_IMPAIR_DIR/udp.count" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
s.bind((sys.argv[1], 5002))
s.settimeout(5)
n = 0
try:
    while True:
        s.recv(2048)
        n += 1
        s.settimeout(1.0)
except socket.timeout:
    pass
print(n)
PY
RECV_PID=$!
sleep 0.3
udp=$(ip netns exec "$NA" python3 - "$A" "$B" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
dst, payload, total, rate, burst = (sys.argv[2], 5002), b"x" * 18, 100000, 50000, 100
t0 = time.monotonic()
sent = 0
while sent < total:
    for _ in range(burst):
        s.sendto(payload, dst)
    sent += burst
    ahead = t0 + sent / rate - time.monotonic()
    if ahead > 0:
        time.sleep(ahead)
print(sent, f"{sent / (time.monotonic() - t0):.0f}")
PY
)
wait "$RECV_PID"
read -r usent upps <<<"$udp"
urecv=$(cat "$SSR_IMPAIR_DIR/udp.count")
rx=$(ssr_impair_stat l a2b rx_frames)
tx=$(ssr_impair_stat l a2b tx_frames)
echo "udp: sent $usent at $upps pps, relay a2b rx $rx tx $tx, received $urecv"
if [ "${usent:-0}" = 100000 ] && fle 45000 "${upps:-0}" && [ "$rx" -ge 100000 ] && [ "$rx" = "$tx" ] &&
   [ "$((urecv * 1000))" -ge "$((usent * 999))" ]; then
  pass "udp 50k pps: relay sent all $tx frames it received, b got $urecv/$usent"
else
  fail "udp 50k pps: want 100000 sent at >= 45000 pps, relay rx = tx >= 100000, >= 99.9 % received"
fi
no_drops "udp 50k pps"

# 7. Unpaced UDP (as fast as python sends, 2 s): the relay's capacity on this machine, for the
#    README; whatever it cannot take is counted (kernel_drops), and the counters add up:
#    rx_frames = tx_frames + dropped_* + queued.
ssr_impair_ctl l set delay=0 >/dev/null && ssr_impair_ctl l reset >/dev/null
udp=$(ip netns exec "$NA" python3 - "$A" "$B" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
dst, payload, n = (sys.argv[2], 5003), b"x" * 18, 0
t0 = time.monotonic()
while time.monotonic() - t0 < 2:
    for _ in range(200):
        s.sendto(payload, dst)
    n += 200
print(n, f"{n / (time.monotonic() - t0):.0f}")
PY
)
sleep 0.2
read -r usent upps <<<"$udp"
stats=$(ssr_impair_ctl l stats a2b | tail -n 1)
sum=$(tr ' ' '\n' <<<"$stats" | awk -F= '$1 ~ /^dropped_/ || $1 == "tx_frames" || $1 == "queued" { s += $2 } END { print s + 0 }')
# Every number from the one snapshot: the relay may still be draining its socket when the
# sender stops, so counters read one by one do not add up.
field() { tr ' ' '\n' <<<"$stats" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
rx=$(field rx_frames)
tx=$(field tx_frames)
kd=$(field kernel_drops)
echo "udp unpaced: sent $usent at $upps pps; relay a2b rx $rx tx $tx kernel_drops $kd ($((tx / 2)) pps relayed)"
if [ "$rx" -gt 0 ] && [ "$rx" = "$sum" ]; then
  pass "udp unpaced: rx_frames $rx = tx_frames + dropped_* + queued"
else
  fail "udp unpaced: rx_frames $rx != tx_frames + dropped_* + queued = $sum ($stats)"
fi

# 8. SIGUSR1 prints the counters; SIGTERM stops the relay with status 0 and prints them again.
relay=${SSR_IMPAIR_PIDS[0]}
kill -USR1 "$relay"
sleep 0.3
kill -TERM "$relay"
wait "$relay"
rc=$?
SSR_IMPAIR_PIDS=()
lines=$(grep -c '^a2b (l-a -> l-b) rx_frames=' "$SSR_IMPAIR_DIR/l.log")
if [ "$rc" = 0 ] && [ "$lines" = 2 ] && grep -q '^b2a (l-b -> l-a) rx_frames=' "$SSR_IMPAIR_DIR/l.log"; then
  pass "SIGUSR1 and SIGTERM print the counters, exit status 0"
else
  fail "SIGUSR1/SIGTERM: exit status $rc, $lines a2b counter lines in the log (want 0, 2)"
fi

echo "elapsed: $((SECONDS - T0)) s"
[ "$FAILS" = 0 ] || { echo "$FAILS check(s) failed"; exit 1; }
echo "all checks passed"
