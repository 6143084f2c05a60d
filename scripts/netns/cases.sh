#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The outcomes of the two-router demo, shared by scripts/demo.sh and test/netns. Source after
# topology.sh, with the topology up and both routers ready (ssr_router_start/ssr_router_wait_ready).
#
#   ssr_servers_start      traffic programs in the server and client namespaces
#   ssr_case_allowed       1. members reach allowed services through SVR (ping, UDP echo, TCP,
#                             TCP to crm whose payload is AES-256-CBC encrypted end to end)
#   ssr_case_non_member    2. a non-member is dropped at the branch's XDP gate
#   ssr_case_denied        3. a member is refused a service its tenant is denied
#   ssr_case_server_opens  4. the server cannot open a session towards the client
#   ssr_case_port_unreachable  5. the server's ICMP port unreachable crosses both routers: a
#                             client's UDP to a port nobody listens on gets ECONNREFUSED
#   ssr_case_too_big       6. a full-size packet with DF that no longer fits the WAN after SVR:
#                             the branch answers fragmentation needed / Packet Too Big
#   ssr_case_large_udp     7. UDP datagrams of 1472 and 4000 bytes (the host fragments) cross
#                             both routers and come back
#
# Each case dumps both routers' counters before and after (SIGUSR1 + --stats-file), prints what
# the programs saw and the counters that moved, then "PASS <case>" or "FAIL <case>: why", and
# returns 0 / 1. The traffic is real: ping, and scripts/netns/traffic.py (UDP echo, TCP with
# sha256 at both ends, TCP connect attempts).
#
# SSR_FAMILY=6 runs every case over IPv6 (the same hosts' IPv6 twins, topology.sh's ssr_v6, and
# ICMPv6 echo); the default 4 runs them over IPv4. ssr_servers_start starts listeners for both.

SSR_TRAFFIC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/traffic.py"
SSR_TCP_BYTES="${SSR_TCP_BYTES:-1048576}"
SSR_CASE_COUNTERS='^(gate|pipeline|policy)\.'

SSR_FAMILY="${SSR_FAMILY:-4}"

ssr_in_client() { ip netns exec "$SSR_NS_CLIENT" "$@"; }
# _ssr_a IPV4: the address of that host in the family the cases run in.
_ssr_a() { if [ "$SSR_FAMILY" = 6 ]; then ssr_v6 "$1"; else echo "$1"; fi; }
# _ssr_ip: "IPv4" or "IPv6", for the verdict lines.
_ssr_ip() { echo "IPv$SSR_FAMILY"; }
_ssr_icmp() { if [ "$SSR_FAMILY" = 6 ]; then echo ICMPv6; else echo ICMP; fi; }
ssr_in_server() { ip netns exec "$SSR_NS_SERVER" "$@"; }

# ssr_wait_file_line FILE REGEX [TIMEOUT_S]
ssr_wait_file_line() {
  local deadline=$((SECONDS + ${3:-20}))
  while [ $SECONDS -lt "$deadline" ]; do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out waiting for /$2/ in $1" >&2
  return 1
}

ssr_servers_start() {
  local d="$SSR_TOPO_DIR" v SSR_FAMILY  # local: _ssr_a below sees this function's family
  for SSR_FAMILY in 4 6; do
    v=""
    [ "$SSR_FAMILY" = 6 ] && v=-v6
    ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" udp-echo-server "$(_ssr_a 10.20.3.10)" 7 >"$d/srv-udp7$v.log" 2>&1
    ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" tcp-sink "$(_ssr_a 10.20.3.10)" 80 >"$d/srv-tcp80$v.log" 2>&1
    ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" tcp-sink "$(_ssr_a 10.20.1.20)" 443 >"$d/srv-erp443$v.log" 2>&1
    ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" tcp-sink "$(_ssr_a 10.20.1.10)" 443 >"$d/srv-crm443$v.log" 2>&1
    ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$SSR_TRAFFIC" tcp-sink "$(_ssr_a 10.10.1.10)" 5001 >"$d/cli-tcp5001$v.log" 2>&1
  done
  local f
  for f in srv-udp7 srv-tcp80 srv-erp443 srv-crm443 cli-tcp5001; do
    for v in "" -v6; do
      ssr_wait_file_line "$d/$f$v.log" ' on ' || return 1
    done
  done
}

# _ssr_snap TAG: dumps both routers to $SSR_TOPO_DIR/{branch,datacenter}.TAG. Workers publish
# their counters every 100 ms (gate counters are read from the BPF map at the dump): wait 300 ms
# so that the packets just sent are in the dump.
_ssr_snap() {
  sleep 0.3
  ssr_router_dump branch "$SSR_TOPO_DIR/branch.$1" && ssr_router_dump datacenter "$SSR_TOPO_DIR/datacenter.$1"
}

_ssr_show_counters() {  # TAG_BEFORE TAG_AFTER
  local r
  for r in branch datacenter; do
    printf '    %-10s %s\n' "$r:" "$(ssr_deltas "$SSR_TOPO_DIR/$r.$1" "$SSR_TOPO_DIR/$r.$2" "$SSR_CASE_COUNTERS")"
  done
}

_ssr_d() {  # ROUTER COUNTER (delta between the last two snapshots "a" and "b")
  ssr_delta "$SSR_TOPO_DIR/$1.a" "$SSR_TOPO_DIR/$1.b" "$2"
}

_ssr_verdict() {  # NAME FAILURES...
  local name="$1"
  shift
  if [ $# -eq 0 ]; then
    echo "PASS $name"
    return 0
  fi
  local IFS='; '
  echo "FAIL $name: $*"
  return 1
}

# ping_replies OUTPUT → number of replies received
_ssr_ping_received() { sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$1" | head -n1; }

ssr_case_allowed() {
  local why=() out n
  echo "$(_ssr_ip) [1] members reach allowed services through SVR"
  _ssr_snap a || return 1
  out="$(ssr_in_client ping -n -c 3 -i 0.2 -W 2 -I "$(_ssr_a 10.10.9.20)" "$(_ssr_a 10.20.3.10)" 2>&1)"
  n="$(_ssr_ping_received "$out")"
  echo "    ping guest $(_ssr_a 10.10.9.20) -> web $(_ssr_a 10.20.3.10) ($(_ssr_icmp) echo): ${n:-0}/3 replies"
  [ "${n:-0}" = 3 ] || why+=("ping got ${n:-0}/3 replies")
  out="$(ssr_in_client python3 "$SSR_TRAFFIC" udp-echo "$(_ssr_a 10.20.3.10)" 7 --bind "$(_ssr_a 10.10.2.10)" --count 3 2>&1)" ||
    why+=("UDP echo failed")
  echo "    $out"
  out="$(ssr_in_client python3 "$SSR_TRAFFIC" tcp-send "$(_ssr_a 10.20.3.10)" 80 --bind "$(_ssr_a 10.10.1.10)" \
           --bytes "$SSR_TCP_BYTES" --timeout 10 2>&1)" || why+=("TCP transfer failed")
  echo "    $out"
  _ssr_snap b || return 1
  _ssr_show_counters a b
  local created_a created_b signed verified
  created_a="$(_ssr_d branch pipeline.session_created)"
  created_b="$(_ssr_d datacenter pipeline.session_created)"
  signed="$(_ssr_d branch crypto.crypto_signed)"
  verified="$(_ssr_d datacenter crypto.crypto_verified)"
  echo "    SVR: sessions created branch +$created_a datacenter +$created_b;" \
       "HMAC signed by branch +$signed, verified by datacenter +$verified"
  [ "$created_a" -ge 3 ] || why+=("branch created $created_a sessions, expected 3")
  [ "$created_b" -ge 3 ] || why+=("datacenter created $created_b sessions, expected 3")
  [ "$verified" -gt 0 ] || why+=("datacenter verified no HMAC")
  # crm's security policy encrypts the payload end to end (AES-256-CBC): more seals on the branch
  # than metadata blocks, and as many opens on the datacenter.
  _ssr_snap c || return 1
  out="$(ssr_in_client python3 "$SSR_TRAFFIC" tcp-send "$(_ssr_a 10.20.1.10)" 443 --bind "$(_ssr_a 10.10.2.10)" \
           --bytes "$SSR_TCP_BYTES" --timeout 10 2>&1)" || why+=("TCP transfer to crm failed")
  echo "    $out (crm: payload AES-256-CBC)"
  _ssr_snap d || return 1
  local sealed md opened
  sealed="$(ssr_delta "$SSR_TOPO_DIR/branch.c" "$SSR_TOPO_DIR/branch.d" crypto.crypto_sealed)"
  md="$(ssr_delta "$SSR_TOPO_DIR/branch.c" "$SSR_TOPO_DIR/branch.d" pipeline.md_sent_forward)"
  opened="$(ssr_delta "$SSR_TOPO_DIR/datacenter.c" "$SSR_TOPO_DIR/datacenter.d" crypto.crypto_opened)"
  echo "    crm: branch crypto.crypto_sealed +$sealed (metadata blocks sent +$md)," \
       "datacenter crypto.crypto_opened +$opened"
  [ "$sealed" -gt "$md" ] || why+=("crm payload not encrypted on the branch (sealed +$sealed)")
  [ "$opened" -gt "$md" ] || why+=("crm payload not decrypted on the datacenter (opened +$opened)")
  _ssr_verdict "$(_ssr_ip) [1] members -> allowed services through SVR ($(_ssr_icmp), UDP, TCP ${SSR_TCP_BYTES} B to web and to crm encrypted, sha256 equal)" "${why[@]}"
}

ssr_case_non_member() {
  local why=() out n drops seen
  echo "$(_ssr_ip) [2] a non-member is dropped at the branch's XDP gate"
  _ssr_snap a || return 1
  out="$(ssr_in_client ping -n -c 3 -i 0.2 -W 1 -I "$(_ssr_a 10.10.7.7)" "$(_ssr_a 10.20.3.10)" 2>&1)"
  n="$(_ssr_ping_received "$out")"
  echo "    ping $(_ssr_a 10.10.7.7) (no tenant) -> web $(_ssr_a 10.20.3.10): ${n:-0}/3 replies"
  _ssr_snap b || return 1
  _ssr_show_counters a b
  drops="$(_ssr_d branch gate.drop_non_member)"
  seen="$(_ssr_d datacenter pipeline.session_created)"
  echo "    branch gate.drop_non_member +$drops (3 echo requests sent); datacenter sessions created +$seen"
  [ "${n:-0}" = 0 ] || why+=("the non-member got ${n} replies")
  [ "$drops" -ge 3 ] || why+=("branch gate.drop_non_member moved by $drops, expected >= 3")
  [ "$seen" = 0 ] || why+=("datacenter created $seen sessions")
  _ssr_verdict "$(_ssr_ip) [2] non-member $(_ssr_a 10.10.7.7) dropped at XDP on branch (gate.drop_non_member +$drops)" "${why[@]}"
}

ssr_case_denied() {
  local why=() out drops denied
  echo "$(_ssr_ip) [3] a member is refused a denied service"
  _ssr_snap a || return 1
  if out="$(ssr_in_client python3 "$SSR_TRAFFIC" tcp-connect "$(_ssr_a 10.20.1.20)" 443 --bind "$(_ssr_a 10.10.1.200)" --timeout 2 2>&1)"; then
    why+=("contractor reached erp")
  fi
  echo "    $out"
  _ssr_snap b || return 1
  _ssr_show_counters a b
  drops="$(_ssr_d branch gate.drop_denied)"
  denied="$(_ssr_d branch pipeline.policy_drop)"
  echo "    branch gate.drop_denied +$drops (SYN and its retransmissions), pipeline.policy_drop +$denied"
  [ "$drops" -ge 1 ] || why+=("branch gate.drop_denied did not move")
  # Control: engineering (the contractors' parent tenant) may use erp, so the service is up.
  if out="$(ssr_in_client python3 "$SSR_TRAFFIC" tcp-connect "$(_ssr_a 10.20.1.20)" 443 --bind "$(_ssr_a 10.10.1.10)" --timeout 3 2>&1)"; then
    echo "    control: $out (engineering may use erp)"
  else
    echo "    control: $out"
    why+=("engineering could not reach erp either")
  fi
  _ssr_verdict "$(_ssr_ip) [3] contractor $(_ssr_a 10.10.1.200) -> erp $(_ssr_a 10.20.1.20):443 refused at XDP on branch (gate.drop_denied +$drops)" "${why[@]}"
}

ssr_case_server_opens() {
  local why=() out drops refused created
  echo "$(_ssr_ip) [4] the server cannot open a session towards the client"
  _ssr_snap a || return 1
  if out="$(ssr_in_server python3 "$SSR_TRAFFIC" tcp-connect "$(_ssr_a 10.10.1.10)" 5001 --bind "$(_ssr_a 10.20.3.10)" --timeout 2 2>&1)"; then
    why+=("the server reached the client")
  fi
  echo "    $out"
  _ssr_snap b || return 1
  _ssr_show_counters a b
  drops="$(_ssr_d datacenter gate.drop_non_member)"
  created="$(_ssr_d datacenter pipeline.session_created)"
  echo "    datacenter gate.drop_non_member +$drops (servers are members of no tenant), sessions created +$created"
  [ "$drops" -ge 1 ] || why+=("datacenter gate.drop_non_member did not move")
  [ "$created" = 0 ] || why+=("datacenter created $created sessions")
  # The same from web's own service port (UDP 7): it passes the gate as a possible reply
  # (lan_service_reply), and the pipeline refuses it: no session, and a server opens none.
  _ssr_snap a || return 1
  out="$(ssr_in_server python3 "$SSR_TRAFFIC" udp-send "$(_ssr_a 10.10.1.10)" 5001 --bind "$(_ssr_a 10.20.3.10)" --sport 7 --count 3 2>&1)"
  echo "    $out (looks like a reply of web's UDP echo)"
  _ssr_snap b || return 1
  _ssr_show_counters a b
  refused="$(_ssr_d datacenter pipeline.policy_drop)"
  created="$(_ssr_d datacenter pipeline.session_created)"
  echo "    datacenter gate.lan_service_reply +$(_ssr_d datacenter gate.lan_service_reply)," \
       "pipeline.policy_drop +$refused (policy.policy_non_member +$(_ssr_d datacenter policy.policy_non_member))," \
       "sessions created +$created"
  [ "$refused" -ge 3 ] || why+=("datacenter pipeline.policy_drop moved by $refused for 3 disguised datagrams")
  [ "$created" = 0 ] || why+=("datacenter created $created sessions for the disguised datagrams")
  _ssr_verdict "$(_ssr_ip) [4] server $(_ssr_a 10.20.3.10) -> client $(_ssr_a 10.10.1.10) refused on datacenter (TCP: gate.drop_non_member +$drops; UDP from port 7: pipeline.policy_drop +$refused)" "${why[@]}"
}

# 5. Sales (10.10.2.10) may use voice (udp/5060, 10000-20000); nothing listens on 10.20.2.5:5060.
# The server's kernel answers with a port unreachable from 10.20.2.5, which is in no tenant and
# is no echo reply: the datacenter's gate passes it as an ICMP error (gate.lan_icmp_error), the
# pipeline matches the quote to the session and relays it to the branch
# (pipeline.icmp_error_relayed), which rebuilds it for the client (pipeline.icmp_error_delivered,
# docs/protocol.md §2.11.1). Before issue 14 the gate dropped it (drop_non_member) and the client
# only timed out.
ssr_case_port_unreachable() {
  local why=() out passed relayed delivered
  echo "$(_ssr_ip) [5] a server's port unreachable reaches the client through both routers"
  # Voice is a /24 and nothing has talked to 10.20.2.5 yet: the datacenter drops the first
  # datagram (pipeline.no_neighbor) and asks its kernel to resolve the server
  # (router/neighbor_refresh.h); the next datagram, 2 s later, gets through.
  _ssr_snap a || return 1
  out="$(ssr_in_client python3 "$SSR_TRAFFIC" udp-refused "$(_ssr_a 10.20.2.5)" 5060 --bind "$(_ssr_a 10.10.2.10)" \
           --count 3 --timeout 2 2>&1)" || why+=("no ECONNREFUSED")
  echo "    $out"
  _ssr_snap b || return 1
  _ssr_show_counters a b
  passed="$(_ssr_d datacenter gate.lan_icmp_error)"
  relayed="$(_ssr_d datacenter pipeline.icmp_error_relayed)"
  delivered="$(_ssr_d branch pipeline.icmp_error_delivered)"
  echo "    datacenter gate.lan_icmp_error +$passed, pipeline.icmp_error_relayed +$relayed;" \
       "branch pipeline.icmp_error_delivered +$delivered"
  [ "$passed" -ge 1 ] || why+=("datacenter gate.lan_icmp_error did not move")
  [ "$relayed" -ge 1 ] || why+=("datacenter relayed no ICMP error")
  [ "$delivered" -ge 1 ] || why+=("branch delivered no ICMP error")
  _ssr_verdict "$(_ssr_ip) [5] sales $(_ssr_a 10.10.2.10) -> voice $(_ssr_a 10.20.2.5):5060 (no listener): ECONNREFUSED through both routers (relayed +$relayed, delivered +$delivered)" "${why[@]}"
}

# 6. A ping of the end host's full MTU (SSR_HOST_MTU, default 1500 like the WAN) with DF from a
# member to web: with SVR's bytes it no longer fits the path MTU toward the datacenter, so the
# branch drops it and tells the client the size that fits (pipeline.too_big_sent,
# docs/protocol.md §2.14.2). ping -M do reports the error (or, once the kernel has learnt the
# path MTU, refuses locally with the learnt "mtu="). A ping of the size told then gets through,
# its first packet (with the session's metadata) as SVR fragments (§2.14).
ssr_case_too_big() {
  local why=() out n hdr=28 sent told mtu="${SSR_HOST_MTU:-1500}"
  [ "$SSR_FAMILY" = 6 ] && hdr=48
  echo "$(_ssr_ip) [6] a full-size packet with DF that no longer fits gets fragmentation needed / Packet Too Big"
  _ssr_snap a || return 1
  out="$(ssr_in_client ping -n -c 3 -i 0.2 -W 1 -M do -s $((mtu - hdr)) -I "$(_ssr_a 10.10.9.20)" "$(_ssr_a 10.20.3.10)" 2>&1)"
  n="$(_ssr_ping_received "$out")"
  echo "    ping -M do -s $((mtu - hdr)) guest -> web: ${n:-0}/3 replies; $(grep -oiE '(frag needed|packet too big|message too long)[^,]*(, )?mtu ?= ?[0-9]+' <<<"$out" | head -n1)"
  [ "${n:-0}" = 0 ] || why+=("a ${mtu}-byte packet with DF got ${n} replies: it fit")
  told="$(grep -oiE 'mtu ?= ?[0-9]+' <<<"$out" | head -n1 | grep -oE '[0-9]+$')"
  [ -n "$told" ] || why+=("ping reported no MTU: $(tail -n 3 <<<"$out" | tr '\n' ' ')")
  _ssr_snap b || return 1
  _ssr_show_counters a b
  sent="$(_ssr_d branch pipeline.too_big_sent)"
  echo "    branch pipeline.too_big_sent +$sent"
  [ "$sent" -ge 1 ] || why+=("branch pipeline.too_big_sent did not move")
  # The MTU told is what fits without metadata (the fast path's figure); a new ping (a new
  # session) of exactly that size gets through: its first packet and the reply, which carry
  # metadata, cross as SVR fragments (docs/protocol.md §2.14).
  if [ -n "$told" ]; then
    out="$(ssr_in_client ping -n -c 2 -i 0.2 -W 2 -M do -s $((told - hdr)) -I "$(_ssr_a 10.10.9.20)" "$(_ssr_a 10.20.3.10)" 2>&1)"
    n="$(_ssr_ping_received "$out")"
    echo "    ping -M do -s $((told - hdr)) (a $told-byte packet): ${n:-0}/2 replies"
    [ "${n:-0}" = 2 ] || why+=("a ping of the MTU told ($told) got ${n:-0}/2 replies")
    _ssr_snap c || return 1
    local frag reasm
    frag="$(ssr_delta "$SSR_TOPO_DIR/branch.b" "$SSR_TOPO_DIR/branch.c" pipeline.svr_fragmented_packets)"
    reasm="$(ssr_delta "$SSR_TOPO_DIR/datacenter.b" "$SSR_TOPO_DIR/datacenter.c" pipeline.svr_frag_reassembled)"
    echo "    branch pipeline.svr_fragmented_packets +$frag, datacenter pipeline.svr_frag_reassembled +$reasm"
    [ "${frag:-0}" -ge 1 ] || why+=("the first packet of the $told-byte ping did not leave as SVR fragments")
    [ "${reasm:-0}" -ge 1 ] || why+=("the datacenter reassembled no SVR fragments")
  fi
  _ssr_verdict "$(_ssr_ip) [6] ping -M do -s $((mtu - hdr)) guest -> web: told MTU ${told:-none} by the branch (too_big_sent +$sent), a ping of that size passes" "${why[@]}"
}

# 7. UDP echoes of 1472 bytes (a full 1500-byte IPv4 packet) and 4000 bytes (which the client's
# kernel sends as IP fragments) from a member to web's echo service, with every MTU at 1500.
# The 1472-byte datagram leaves the client with DF (Linux UDP sockets discover the path MTU): the
# branch tells the client the size that fits and that first datagram is lost; from then on the
# client's kernel fragments, as it does for 4000 bytes. Each router reassembles, carries the
# datagram as outer IP fragments to the other (docs/protocol.md §2.14.2), which sends it on to
# the end host as IP fragments within its LAN MTU, and the echo comes back the same way.
ssr_case_large_udp() {
  local why=() out1 out4 n1 n4 reasm outer lanf
  # traffic.py puts "ssr udp echo N " (15 bytes) in front of --size random bytes.
  echo "$(_ssr_ip) [7] UDP datagrams of 1472 and 4000 bytes cross both routers and come back"
  _ssr_snap a || return 1
  out1="$(ssr_in_client python3 "$SSR_TRAFFIC" udp-echo "$(_ssr_a 10.20.3.10)" 7 --bind "$(_ssr_a 10.10.2.10)" \
            --count 4 --size 1457 --timeout 2 2>&1)"
  echo "    1472 B: $out1"
  out4="$(ssr_in_client python3 "$SSR_TRAFFIC" udp-echo "$(_ssr_a 10.20.3.10)" 7 --bind "$(_ssr_a 10.10.2.10)" \
            --count 3 --size 3985 --timeout 3 2>&1)"
  echo "    4000 B: $out4"
  _ssr_snap b || return 1
  _ssr_show_counters a b
  n1="$(sed -n 's/.*: \([0-9]*\)\/[0-9]* echoed.*/\1/p' <<<"$out1")"
  n4="$(sed -n 's/.*: \([0-9]*\)\/[0-9]* echoed.*/\1/p' <<<"$out4")"
  # The first 1472-byte datagram may be lost while the client learns the path MTU.
  [ "${n1:-0}" -ge 3 ] || why+=("1472-byte datagrams: ${n1:-0}/4 echoed")
  [ "${n4:-0}" = 3 ] || why+=("4000-byte datagrams: ${n4:-0}/3 echoed")
  reasm="$(( $(_ssr_d branch pipeline.ip_frag_reassembled) + $(_ssr_d datacenter pipeline.ip_frag_reassembled) ))"
  outer="$(( $(_ssr_d branch pipeline.outer_fragmented) + $(_ssr_d datacenter pipeline.outer_fragmented) ))"
  lanf="$(( $(_ssr_d branch pipeline.lan_fragmented) + $(_ssr_d datacenter pipeline.lan_fragmented) ))"
  echo "    both routers: pipeline.ip_frag_reassembled +$reasm, pipeline.outer_fragmented +$outer," \
       "pipeline.lan_fragmented +$lanf"
  [ "$reasm" -ge 6 ] || why+=("the routers reassembled $reasm datagrams, expected >= 6")
  [ "$outer" -ge 6 ] || why+=("the routers sent $outer outer fragments, expected >= 6")
  [ "$lanf" -ge 6 ] || why+=("the routers sent $lanf LAN fragments, expected >= 6")
  _ssr_verdict "$(_ssr_ip) [7] UDP echo sales -> web of 1472 B (${n1:-0}/4) and 4000 B (${n4:-0}/3) through both routers at MTU 1500 (reassembled +$reasm, outer fragments +$outer, LAN fragments +$lanf)" "${why[@]}"
}
