// SPDX-License-Identifier: Apache-2.0
#include "gate_rows.h"

#include <linux/bpf.h>

#include "gate_test_support.h"
#include "packet/protocol.h"

namespace ssr::gate::test {
namespace {

constexpr uint32_t kRedirect = XDP_REDIRECT;
constexpr uint32_t kDrop = XDP_DROP;
constexpr uint32_t kPass = XDP_PASS;

packet::PacketSpec Tagged(packet::PacketSpec s, uint16_t vid) {
  s.vlans[s.vlan_count] = packet::VlanTag{packet::kEtherTypeVlan, vid};
  ++s.vlan_count;
  return s;
}

// `f` (an untagged Ethernet frame) with one 802.1Q tag of `vid` after the MAC addresses.
std::vector<uint8_t> TaggedFrame(std::vector<uint8_t> f, uint16_t vid) {
  const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(vid >> 8), static_cast<uint8_t>(vid)};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

std::vector<uint8_t> Truncated(std::vector<uint8_t> f, size_t n) {
  f.resize(n);
  return f;
}

}  // namespace

std::vector<GateRow> GateRows() {
  const uint8_t kPayload[24] = {};
  packet::PacketSpec fragment = Udp("10.10.2.5", 40000, "10.20.2.7", 5060);
  fragment.fragment = true;
  fragment.fragment_offset = 1480;
  fragment.payload = kPayload;
  packet::PacketSpec wan_fragment = Udp("192.0.2.2", 16400, "192.0.2.1", 16500);
  wan_fragment.fragment = true;
  wan_fragment.fragment_offset = 1480;
  wan_fragment.payload = kPayload;
  static const uint8_t kDstOptsBody[6] = {};
  static const packet::Ipv6ExtensionSpec kDstOpts[1] = {{packet::kIpProtoDstOpts, kDstOptsBody}};
  packet::PacketSpec v6_ext = Tcp("fd00::5", 40000, "2001:db8::1", 443);
  v6_ext.ipv6_extensions = kDstOpts;
  packet::PacketSpec ns = Icmp("fe80::1", "ff02::1:ff00:1", 135);
  // MLD as a querier or a host sends it: hop-by-hop header with Router Alert (MLD), hop limit 1.
  static const uint8_t kRouterAlert[6] = {0x05, 0x02, 0x00, 0x00, 0x01, 0x00};
  static const packet::Ipv6ExtensionSpec kHopByHop[1] = {{0 /* hop-by-hop */, kRouterAlert}};
  auto mld = [](const char* src, const char* dst, int type, uint8_t hop_limit) {
    packet::PacketSpec s = Icmp(src, dst, type);
    s.ipv6_extensions = kHopByHop;
    s.ttl = hop_limit;
    return s;
  };

  // An ICMP error with a quote (IP header + 8 bytes) in its body; the gate reads only the type.
  static const uint8_t kQuote[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 10, 1, 5,
                                     10, 20, 3, 10, 0x9c, 0x40, 0, 7, 0, 8, 0, 0};
  auto icmp_error = [](const char* src, const char* dst, int type, uint8_t code) {
    packet::PacketSpec s = Icmp(src, dst, type);
    s.icmp_code = code;
    s.icmp_id = 0;
    s.icmp_seq = 0;
    s.payload = kQuote;
    return s;
  };
  packet::PacketSpec v4_icmp_in_v6 = icmp_error("fd00:10:77::7", "fd00:20:3::10", 3, 3);
  v4_icmp_in_v6.protocol = packet::kIpProtoIcmp;
  packet::PacketSpec icmp_fragment =
      icmp_error("10.10.0.254", "10.10.1.5", packet::kIcmpTimeExceeded, 0);
  icmp_fragment.fragment = true;
  icmp_fragment.fragment_offset = 1480;

  return {
      // ---- branch LAN: tenant x service x access (default config's matrix) ----
      {"sales -> crm tcp/443: allowed", "branch", "lan0",
       Frame(Tcp("10.10.2.5", 40000, "10.20.1.10", 443)), kRedirect, SSR_GATE_LAN_ALLOW},
      {"engineering -> erp tcp/8443 (second port): allowed", "branch", "lan0",
       Frame(Tcp("10.10.1.5", 40000, "10.20.1.20", 8443)), kRedirect, SSR_GATE_LAN_ALLOW},
      {"contractor -> erp tcp/443: denied by its own DENY entry", "branch", "lan0",
       Frame(Tcp("10.10.1.200", 40000, "10.20.1.20", 443)), kDrop, SSR_GATE_DROP_DENIED},
      {"contractor -> web tcp/80: allowed through engineering (hierarchy)", "branch", "lan0",
       Frame(Tcp("10.10.1.200", 40000, "10.20.3.10", 80)), kRedirect, SSR_GATE_LAN_ALLOW},
      {"guest -> crm tcp/443: denied (no entry)", "branch", "lan0",
       Frame(Tcp("10.10.9.9", 40000, "10.20.1.10", 443)), kDrop, SSR_GATE_DROP_DENIED},
      {"non-member 10.10.5.5 -> web tcp/80: dropped", "branch", "lan0",
       Frame(Tcp("10.10.5.5", 40000, "10.20.3.10", 80)), kDrop, SSR_GATE_DROP_NON_MEMBER},
      {"sales -> voice udp/15000 (inside 10000-20000): allowed", "branch", "lan0",
       Frame(Udp("10.10.2.5", 40000, "10.20.2.77", 15000)), kRedirect, SSR_GATE_LAN_ALLOW},
      {"sales -> voice udp/20001 (past the range): no service", "branch", "lan0",
       Frame(Udp("10.10.2.5", 40000, "10.20.2.77", 20001)), kDrop, SSR_GATE_DROP_NO_SERVICE},
      {"sales -> crm udp/443 (wrong protocol): no service", "branch", "lan0",
       Frame(Udp("10.10.2.5", 40000, "10.20.1.10", 443)), kDrop, SSR_GATE_DROP_NO_SERVICE},
      {"engineering -> web ICMP echo request: allowed", "branch", "lan0",
       Frame(Icmp("10.10.1.5", "10.20.3.10", packet::kIcmpEchoRequestOfFamily)), kRedirect,
       SSR_GATE_LAN_ALLOW},
      {"engineering -> 10.20.9.9 tcp/80 (no service prefix): no service", "branch", "lan0",
       Frame(Tcp("10.10.1.5", 40000, "10.20.9.9", 80)), kDrop, SSR_GATE_DROP_NO_SERVICE},
      {"sales on VLAN 100 (lan0 accepts untagged only): non-member", "branch", "lan0",
       Frame(Tagged(Tcp("10.10.2.5", 40000, "10.20.1.10", 443), 100)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      {"two VLAN tags: dropped", "branch", "lan0",
       Frame(Tagged(Tagged(Tcp("10.10.2.5", 40000, "10.20.1.10", 443), 100), 200)), kDrop,
       SSR_GATE_DROP_VLAN},
      {"ARP request: to the kernel", "branch", "lan0", ArpFrame(), kPass, SSR_GATE_PASS_ARP},
      {"IPv6 neighbour solicitation: to the kernel", "branch", "lan0", Frame(ns), kPass,
       SSR_GATE_PASS_ND},
      {"MLD query from a link-local querier, hop limit 1: to the kernel (it reports its groups)",
       "branch", "lan0", Frame(mld("fe80::2", "ff02::1", 130, 1)), kPass, SSR_GATE_PASS_ND},
      {"MLDv2 report from a link-local host: to the kernel", "branch", "lan0",
       Frame(mld("fe80::3", "ff02::16", 143, 1)), kPass, SSR_GATE_PASS_ND},
      {"MLD query on the WAN from a link-local querier: to the kernel", "branch", "wan0",
       Frame(mld("fe80::2", "ff02::1", 130, 1)), kPass, SSR_GATE_PASS_ND},
      {"MLD query from a global source (RFC 3810: invalid): not passed, non-member", "branch",
       "lan0", Frame(mld("fd00:10:10:7::7", "ff02::1", 130, 1)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      {"MLD query with hop limit 2 (RFC 3810: invalid): not passed, non-member", "branch", "lan0",
       Frame(mld("fe80::2", "ff02::1", 130, 2)), kDrop, SSR_GATE_DROP_NON_MEMBER},
      {"non-member -> router's own LAN address tcp/22: to the kernel", "branch", "lan0",
       Frame(Tcp("10.10.5.5", 40000, "10.10.0.1", 22)), kPass, SSR_GATE_PASS_LOCAL},
      {"LLDP frame: not IP, dropped", "branch", "lan0", EtherTypeFrame(0x88cc), kDrop,
       SSR_GATE_DROP_ETHERTYPE},
      {"IPv4 header cut short: malformed", "branch", "lan0",
       Truncated(Frame(Tcp("10.10.2.5", 40000, "10.20.1.10", 443)), 14 + 12), kDrop,
       SSR_GATE_DROP_MALFORMED},
      {"TCP header cut short (IP length says so): malformed", "branch", "lan0",
       [] {
         packet::PacketSpec s = Tcp("10.10.2.5", 40000, "10.20.1.10", 443);
         s.protocol = packet::kIpProtoTcp;
         std::vector<uint8_t> f = Frame(s);
         // Shrink IPv4 total length to 20 + 10: the TCP header no longer fits.
         f[14 + 2] = 0;
         f[14 + 3] = 30;
         return f;
       }(),
       kDrop, SSR_GATE_DROP_MALFORMED},
      {"non-first IPv4 fragment from sales: to userspace", "branch", "lan0", Frame(fragment),
       kRedirect, SSR_GATE_LAN_FRAGMENT},
      {"IPv6 non-member behind a destination-options header: non-member", "branch", "lan0",
       Frame(v6_ext), kDrop, SSR_GATE_DROP_NON_MEMBER},
      // ---- datacenter LAN: stateless replies from servers ----
      {"web server 10.20.3.10:80 -> client: possible session reply", "datacenter", "lan0",
       Frame(Tcp("10.20.3.10", 80, "10.10.1.5", 40000)), kRedirect, SSR_GATE_LAN_SERVICE_REPLY},
      {"voice server from udp/12000 (in its range) -> client: possible reply", "datacenter",
       "lan0", Frame(Udp("10.20.2.40", 12000, "10.10.2.5", 40000)), kRedirect,
       SSR_GATE_LAN_SERVICE_REPLY},
      {"web server from tcp/8080 (not a service port): non-member", "datacenter", "lan0",
       Frame(Tcp("10.20.3.10", 8080, "10.10.1.5", 40000)), kDrop, SSR_GATE_DROP_NON_MEMBER},
      {"web server ICMP echo reply: possible session reply", "datacenter", "lan0",
       Frame(Icmp("10.20.3.10", "10.10.1.5", packet::kIcmpEchoReply)), kRedirect,
       SSR_GATE_LAN_SERVICE_REPLY},
      {"web server ICMP echo request (not a reply): non-member", "datacenter", "lan0",
       Frame(Icmp("10.20.3.10", "10.10.1.5", packet::kIcmpEchoRequestOfFamily)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      // ---- ICMP errors on a LAN: to AF_XDP from any source (the pipeline matches the quote,
      // docs/protocol.md §2.11.1); before issue 14 the first four rows were drops ----
      {"web server port unreachable (3) -> client: to userspace", "datacenter", "lan0",
       Frame(icmp_error("10.20.3.10", "10.10.1.5", packet::kIcmpDestUnreachable, 3)), kRedirect,
       SSR_GATE_LAN_ICMP_ERROR},
      {"crm server (no ICMP transport) host unreachable -> client: to userspace", "datacenter",
       "lan0", Frame(icmp_error("10.20.1.10", "10.10.2.5", packet::kIcmpDestUnreachable, 1)),
       kRedirect, SSR_GATE_LAN_ICMP_ERROR},
      {"LAN router 10.20.0.254 (no tenant/service prefix) time exceeded: to userspace",
       "datacenter", "lan0",
       Frame(icmp_error("10.20.0.254", "10.10.1.5", packet::kIcmpTimeExceeded, 0)), kRedirect,
       SSR_GATE_LAN_ICMP_ERROR},
      {"sales -> crm (no ICMP transport) fragmentation needed: to userspace", "branch", "lan0",
       Frame(icmp_error("10.10.2.5", "10.20.1.10", packet::kIcmpDestUnreachable, 4)), kRedirect,
       SSR_GATE_LAN_ICMP_ERROR},
      {"source outside every prefix (IPv4 summary) parameter problem (12): to userspace",
       "datacenter", "lan0", Frame(icmp_error("192.168.77.1", "10.10.1.5", 12, 0)), kRedirect,
       SSR_GATE_LAN_ICMP_ERROR},
      {"IPv6 LAN router packet too big (2): to userspace", "datacenter", "lan0",
       Frame(icmp_error("fd00:20:99::1", "fd00:10:10:1::10", packet::kIcmpv6PacketTooBig, 0)),
       kRedirect, SSR_GATE_LAN_ICMP_ERROR},
      {"IPv6 non-member destination unreachable (1): to userspace", "branch", "lan0",
       Frame(icmp_error("fd00:10:77::7", "fd00:20:3::10", packet::kIcmpv6DestUnreachable, 4)),
       kRedirect, SSR_GATE_LAN_ICMP_ERROR},
      {"IPv6 non-member time exceeded (3): to userspace", "branch", "lan0",
       Frame(icmp_error("fd00:10:77::7", "fd00:20:3::10", 3, 0)), kRedirect,
       SSR_GATE_LAN_ICMP_ERROR},
      {"IPv6 non-member parameter problem (4): to userspace", "branch", "lan0",
       Frame(icmp_error("fd00:10:77::7", "fd00:20:3::10", 4, 0)), kRedirect,
       SSR_GATE_LAN_ICMP_ERROR},
      {"non-member ICMP echo request: still dropped", "branch", "lan0",
       Frame(Icmp("10.10.5.5", "10.20.3.10", packet::kIcmpEchoRequestOfFamily)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      {"non-member ICMPv6 echo request: still dropped", "branch", "lan0",
       Frame(Icmp("fd00:10:77::7", "fd00:20:3::10", packet::kIcmpEchoRequestOfFamily)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      {"non-member ICMP redirect (5, not an error): dropped", "branch", "lan0",
       Frame(icmp_error("10.10.5.5", "10.10.1.5", 5, 1)), kDrop, SSR_GATE_DROP_NON_MEMBER},
      {"non-member ICMP source quench (4, not an error type here): dropped", "branch", "lan0",
       Frame(icmp_error("10.10.5.5", "10.10.1.5", 4, 0)), kDrop, SSR_GATE_DROP_NON_MEMBER},
      {"non-member ICMPv6 type 5 (not an error type): dropped", "branch", "lan0",
       Frame(icmp_error("fd00:10:77::7", "fd00:20:3::10", 5, 0)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      {"ICMPv4 type 3 header carried in IPv6 (other family's ICMP): not an error, non-member",
       "branch", "lan0", Frame(v4_icmp_in_v6), kDrop, SSR_GATE_DROP_NON_MEMBER},
      {"ICMP error to the router's own LAN address: to the kernel", "branch", "lan0",
       Frame(icmp_error("10.10.5.5", "10.10.0.1", packet::kIcmpDestUnreachable, 3)), kPass,
       SSR_GATE_PASS_LOCAL},
      {"ICMP error header cut short (IP length says so): malformed", "branch", "lan0",
       [&] {
         std::vector<uint8_t> f =
             Frame(icmp_error("10.20.0.254", "10.10.1.5", packet::kIcmpTimeExceeded, 0));
         f[14 + 2] = 0;  // IPv4 total length 20 + 4: the ICMP header no longer fits
         f[14 + 3] = 24;
         return f;
       }(),
       kDrop, SSR_GATE_DROP_MALFORMED},
      {"non-first fragment of an ICMP error from a LAN router (no prefix): non-member", "branch",
       "lan0", Frame(icmp_fragment), kDrop, SSR_GATE_DROP_NON_MEMBER},
      // ---- WAN ----
      {"branch wan0: peer udp -> own address, waypoint port 16500: to userspace", "branch",
       "wan0", Frame(Udp("192.0.2.2", 16400, "192.0.2.1", 16500)), kRedirect,
       SSR_GATE_WAN_WAYPOINT},
      {"branch wan0: peer tcp -> own address, waypoint port 65534 (last): to userspace",
       "branch", "wan0", Frame(Tcp("192.0.2.2", 16400, "192.0.2.1", 65534)), kRedirect,
       SSR_GATE_WAN_WAYPOINT},
      {"branch wan0: peer BFD udp/1280: to userspace", "branch", "wan0",
       Frame(Udp("192.0.2.2", 49152, "192.0.2.1", 1280)), kRedirect, SSR_GATE_WAN_LIVENESS},
      // Waypoint and liveness ports of a WAN address are libssr's: from a non-peer they are
      // dropped, not passed to the kernel (docs/protocol.md §6; until issue 13 these two rows
      // expected pass_local).
      {"branch wan0: non-peer -> own address waypoint port: dropped", "branch", "wan0",
       Frame(Udp("192.0.2.99", 16400, "192.0.2.1", 16500)), kDrop, SSR_GATE_DROP_WAN_NOT_PEER},
      {"branch wan0: non-peer BFD udp/1280: dropped, neither kernel nor userspace", "branch",
       "wan0", Frame(Udp("192.0.2.99", 49152, "192.0.2.1", 1280)), kDrop,
       SSR_GATE_DROP_WAN_NOT_PEER},
      {"branch wan0: non-peer tcp -> own address waypoint port 65534 (last): dropped", "branch",
       "wan0", Frame(Tcp("192.0.2.99", 40000, "192.0.2.1", 65534)), kDrop,
       SSR_GATE_DROP_WAN_NOT_PEER},
      {"branch wan0: non-peer tcp -> own address, first waypoint port 16384: dropped", "branch",
       "wan0", Frame(Tcp("192.0.2.99", 40000, "192.0.2.1", 16384)), kDrop,
       SSR_GATE_DROP_WAN_NOT_PEER},
      {"branch wan0: non-peer tcp -> own address 16383 (below the waypoint range): to the kernel",
       "branch", "wan0", Frame(Tcp("192.0.2.99", 40000, "192.0.2.1", 16383)), kPass,
       SSR_GATE_PASS_LOCAL},
      {"branch wan0: non-peer tcp -> own address ssh (tcp/22): to the kernel", "branch", "wan0",
       Frame(Tcp("192.0.2.99", 40000, "192.0.2.1", 22)), kPass, SSR_GATE_PASS_LOCAL},
      {"branch wan0: non-peer tcp/1280 (liveness is UDP only): to the kernel", "branch", "wan0",
       Frame(Tcp("192.0.2.99", 40000, "192.0.2.1", 1280)), kPass, SSR_GATE_PASS_LOCAL},
      {"branch wan0: non-peer ICMP echo to own address: to the kernel", "branch", "wan0",
       Frame(Icmp("192.0.2.99", "192.0.2.1", packet::kIcmpEchoRequestOfFamily)), kPass,
       SSR_GATE_PASS_LOCAL},
      // ICMP errors on a WAN interface are about the outer packets between the routers, which
      // the pipeline does not act on (§2.11.1 item 6): the kernel keeps them, as before.
      {"branch wan0: non-peer router fragmentation needed to own address: to the kernel",
       "branch", "wan0",
       Frame(icmp_error("198.51.100.1", "192.0.2.1", packet::kIcmpDestUnreachable, 4)), kPass,
       SSR_GATE_PASS_LOCAL},
      {"branch wan0: peer port unreachable to own address: to the kernel", "branch", "wan0",
       Frame(icmp_error("192.0.2.2", "192.0.2.1", packet::kIcmpDestUnreachable, 3)), kPass,
       SSR_GATE_PASS_LOCAL},
      {"branch wan0: ICMP error to a LAN address (not ours): dropped", "branch", "wan0",
       Frame(icmp_error("198.51.100.1", "10.10.1.5", packet::kIcmpTimeExceeded, 0)), kDrop,
       SSR_GATE_DROP_WAN_NOT_LOCAL},
      {"branch wan0: peer -> own address udp/53 (below the waypoint range): to the kernel",
       "branch", "wan0", Frame(Udp("192.0.2.2", 16400, "192.0.2.1", 53)), kPass,
       SSR_GATE_PASS_LOCAL},
      {"branch wan0: to a LAN service address (not ours): dropped", "branch", "wan0",
       Frame(Tcp("192.0.2.2", 16400, "10.20.1.10", 443)), kDrop, SSR_GATE_DROP_WAN_NOT_LOCAL},
      {"branch wan0: peer -> the peer's own address: dropped", "branch", "wan0",
       Frame(Udp("192.0.2.2", 16400, "192.0.2.2", 16500)), kDrop, SSR_GATE_DROP_WAN_NOT_LOCAL},
      {"branch wan0: non-first fragment from the peer to an own address: to userspace",
       "branch", "wan0", Frame(wan_fragment), kRedirect, SSR_GATE_WAN_FRAGMENT},
      {"branch wan0: ARP: to the kernel", "branch", "wan0", ArpFrame(), kPass,
       SSR_GATE_PASS_ARP},
      // wan0 is untagged (no `vlan` in the default config): a tagged IP frame is on another
      // link's VLAN, not the router's (docs/protocol.md §2.17); a tagged peer waypoint packet used
      // to reach userspace. ARP and ND on any VLAN still reach the kernel.
      {"branch wan0 (untagged): peer waypoint packet tagged VLAN 20: dropped", "branch", "wan0",
       Frame(Tagged(Udp("192.0.2.2", 16400, "192.0.2.1", 16500), 20)), kDrop,
       SSR_GATE_DROP_WAN_VLAN},
      {"branch wan0 (untagged): ping to own address tagged VLAN 20: dropped", "branch", "wan0",
       Frame(Tagged(Icmp("192.0.2.99", "192.0.2.1", 8), 20)), kDrop, SSR_GATE_DROP_WAN_VLAN},
      {"branch wan0 (untagged): ARP tagged VLAN 20: to the kernel", "branch", "wan0",
       TaggedFrame(ArpFrame(), 20), kPass, SSR_GATE_PASS_ARP},
      {"branch wan0 (untagged): neighbour solicitation tagged VLAN 20: to the kernel", "branch",
       "wan0", Frame(Tagged(ns, 20)), kPass, SSR_GATE_PASS_ND},
      {"datacenter wan0: branch udp -> waypoint port 20000: to userspace", "datacenter", "wan0",
       Frame(Udp("192.0.2.1", 16401, "192.0.2.2", 20000)), kRedirect, SSR_GATE_WAN_WAYPOINT},
      // Until issue 13 this row expected pass_local: 20000 is a waypoint port, now dropped.
      {"datacenter wan0: the datacenter's own address as source (not a peer), waypoint port: "
       "dropped",
       "datacenter", "wan0", Frame(Udp("192.0.2.2", 16401, "192.0.2.2", 20000)), kDrop,
       SSR_GATE_DROP_WAN_NOT_PEER},
      {"datacenter wan0: the datacenter's own address as source (not a peer), udp/53: to the "
       "kernel",
       "datacenter", "wan0", Frame(Udp("192.0.2.2", 16401, "192.0.2.2", 53)), kPass,
       SSR_GATE_PASS_LOCAL},
      // ---- interface not in the gate's map ----
      {"lan0p (not a config interface): to the kernel", "branch", "lan0p",
       Frame(Tcp("10.10.5.5", 40000, "10.20.3.10", 80)), kPass, SSR_GATE_PASS_UNKNOWN_IFINDEX},
      // ---- Summary boundaries (issue 11 item 4). IPv6 sources are summarised by /64, IPv6
      // destinations by address; peers share the source summaries. Each pair: a packet the
      // summary lets through to the exact lookups, and one it stops, with the same verdict as
      // the exact path. ----
      {"IPv6 engineering, last address of its /64 -> web tcp/80: allowed", "branch", "lan0",
       Frame(Tcp("fd00:10:10:1:ffff:ffff:ffff:fffe", 40000, "fd00:10:20:3::10", 80)), kRedirect,
       SSR_GATE_LAN_ALLOW},
      {"IPv6 contractor (/120 inside engineering's /64) -> web tcp/80: allowed", "branch",
       "lan0", Frame(Tcp("fd00:10:10:1::2ff", 40000, "fd00:10:20:3::10", 80)), kRedirect,
       SSR_GATE_LAN_ALLOW},
      {"IPv6 non-member in the /64 after sales' (summary clear) -> web tcp/80: non-member",
       "branch", "lan0", Frame(Tcp("fd00:10:10:3::7", 40000, "fd00:10:20:3::10", 80)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      {"IPv6 non-member in the crm service's /64 (summary set, exact miss): non-member",
       "branch", "lan0", Frame(Tcp("fd00:10:20:1::99", 40000, "fd00:10:20:3::10", 80)), kDrop,
       SSR_GATE_DROP_NON_MEMBER},
      {"IPv6 non-member -> router's own LAN address tcp/22: to the kernel", "branch", "lan0",
       Frame(Tcp("fd00:10:77::7", 40000, "fd00:10:10::1", 22)), kPass, SSR_GATE_PASS_LOCAL},
      {"IPv6 sales -> the address after the router's own (not local) tcp/22: no service",
       "branch", "lan0", Frame(Tcp("fd00:10:10:2::5", 40000, "fd00:10:10::2", 22)), kDrop,
       SSR_GATE_DROP_NO_SERVICE},
      {"IPv6 web server fd00:10:20:3::10 tcp/80 -> client: possible session reply",
       "datacenter", "lan0", Frame(Tcp("fd00:10:20:3::10", 80, "fd00:10:10:1::5", 40000)),
       kRedirect, SSR_GATE_LAN_SERVICE_REPLY},
      {"IPv6 from the web server's /64, not the server (summary set, exact miss): non-member",
       "datacenter", "lan0", Frame(Tcp("fd00:10:20:3::11", 80, "fd00:10:10:1::5", 40000)),
       kDrop, SSR_GATE_DROP_NON_MEMBER},
      {"branch wan0: IPv6 peer udp -> own address, waypoint port 16500: to userspace", "branch",
       "wan0", Frame(Udp("2001:db8:2::2", 16400, "2001:db8:2::1", 16500)), kRedirect,
       SSR_GATE_WAN_WAYPOINT},
      {"branch wan0: IPv6 non-peer in the peer's /64 -> own address waypoint port: dropped",
       "branch", "wan0", Frame(Udp("2001:db8:2::99", 16400, "2001:db8:2::1", 16500)), kDrop,
       SSR_GATE_DROP_WAN_NOT_PEER},
      {"branch wan0: IPv6 non-peer outside every /64 -> own address waypoint port: dropped",
       "branch", "wan0", Frame(Udp("2001:db8:7::1", 16400, "2001:db8:2::1", 16500)), kDrop,
       SSR_GATE_DROP_WAN_NOT_PEER},
      {"branch wan0: IPv6 non-peer outside every /64 -> own address ssh: to the kernel",
       "branch", "wan0", Frame(Tcp("2001:db8:7::1", 40000, "2001:db8:2::1", 22)), kPass,
       SSR_GATE_PASS_LOCAL},
      {"branch wan0: IPv6 to the address after ours (not local): dropped", "branch", "wan0",
       Frame(Udp("2001:db8:2::2", 16400, "2001:db8:2::3", 16500)), kDrop,
       SSR_GATE_DROP_WAN_NOT_LOCAL},
      {"branch wan0: non-peer outside every /24 -> own address waypoint port: dropped", "branch",
       "wan0", Frame(Udp("198.51.100.7", 16400, "192.0.2.1", 16500)), kDrop,
       SSR_GATE_DROP_WAN_NOT_PEER},
      {"branch wan0: non-peer outside every /24 -> own address ssh: to the kernel", "branch",
       "wan0", Frame(Tcp("198.51.100.7", 40000, "192.0.2.1", 22)), kPass, SSR_GATE_PASS_LOCAL},
  };
}

}  // namespace ssr::gate::test
