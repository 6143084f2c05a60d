// SPDX-License-Identifier: Apache-2.0
// Named sample frames shared by the parser tests and the fuzz seed-corpus generator: valid frames
// of every shape the parser distinguishes, and one crafted frame per ParseResult reason. Keeping
// them in one place means the corpus and the table-driven tests cannot drift apart.
#ifndef SSR_TEST_PACKET_PACKET_CASES_H_
#define SSR_TEST_PACKET_PACKET_CASES_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "packet/builder.h"
#include "packet/byte_order.h"
#include "packet/parse_result.h"
#include "packet/protocol.h"
#include "packet_test_util.h"

namespace ssr::packet::testing {

struct PacketCase {
  std::string name;            // file-name friendly
  std::vector<uint8_t> bytes;  // a frame, or an IP packet when from_ip
  ParseResult expected;
  bool from_ip = false;   // parse with ParseIp instead of ParseFrame
  bool in_corpus = true;  // also written to the fuzz seed corpus
};

inline const std::array<uint8_t, 10> kSmallPayload = {'s', 's', 'r', '-', 'p',
                                                      'a', 'y', 'l', 'o', 'd'};
inline const std::array<uint8_t, 6> kPad6 = {};              // 8-byte extension header body
inline const std::array<uint8_t, 22> kRoutingBody = {0, 0};  // 24-byte routing header
inline const std::array<uint8_t, 14> kAhBody = {};           // 16-byte AH (length field 2)
// IPv4 options: NOP, NOP, record-route (len 7, pointer 4, one slot), EOL.
inline const std::array<uint8_t, 11> kIpv4Options = {1, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0};
// TCP options: MSS 1460, NOP, NOP, SACK-permitted.
inline const std::array<uint8_t, 8> kTcpOptions = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};

inline PacketSpec Udp4() {
  PacketSpec s;
  s.protocol = kIpProtoUdp;
  s.src_port = 5353;
  s.dst_port = 53;
  s.payload = kSmallPayload;
  return s;
}
inline PacketSpec Tcp4() {
  PacketSpec s = Udp4();
  s.protocol = kIpProtoTcp;
  s.tcp_flags = kTcpSyn;
  s.tcp_seq = 0x01020304;
  return s;
}
inline PacketSpec Icmp4() {
  PacketSpec s = Udp4();
  s.protocol = kIpProtoIcmp;
  s.icmp_id = 0x4242;
  s.icmp_seq = 7;
  return s;
}
inline PacketSpec V6(PacketSpec s) {
  s.src = Ip("2001:db8::1");
  s.dst = Ip("2001:db8::2");
  if (s.protocol == kIpProtoIcmp) s.protocol = kIpProtoIcmpv6;
  return s;
}

// Offsets inside an untagged frame.
inline constexpr size_t kL3 = 14;
inline constexpr size_t kL4v4 = 34;
inline constexpr size_t kL4v6 = 54;

inline std::vector<uint8_t> Truncated(std::vector<uint8_t> v, size_t n) {
  v.resize(n);
  return v;
}
inline std::vector<uint8_t> With16(std::vector<uint8_t> v, size_t off, uint16_t value) {
  StoreBe16(v.data() + off, value);
  return v;
}
inline std::vector<uint8_t> With8(std::vector<uint8_t> v, size_t off, uint8_t value) {
  v[off] = value;
  return v;
}

inline std::vector<PacketCase> ValidCases() {
  std::vector<PacketCase> c;
  auto add = [&](std::string name, const PacketSpec& s) {
    c.push_back({std::move(name), BuildFrameVector(s), ParseResult::kOk});
  };
  add("udp4", Udp4());
  add("tcp4", Tcp4());
  add("icmp4_echo", Icmp4());
  add("udp6", V6(Udp4()));
  add("tcp6", V6(Tcp4()));
  add("icmp6_echo", V6(Icmp4()));
  {
    PacketSpec s = Udp4();
    s.payload = {};
    s.min_frame_length = 60;  // Ethernet padding after the IP packet
    add("udp4_padded", s);
  }
  {
    PacketSpec s = Udp4();
    s.vlan_count = 1;
    s.vlans[0] = {kEtherTypeVlan, 100};
    add("vlan_udp4", s);
  }
  {
    PacketSpec s = V6(Tcp4());
    s.vlan_count = 2;
    s.vlans[0] = {kEtherTypeQinQ, 10};
    s.vlans[1] = {kEtherTypeVlan, 200};
    add("qinq_tcp6", s);
  }
  {
    PacketSpec s = Tcp4();
    s.ipv4_options = kIpv4Options;
    s.tcp_options = kTcpOptions;
    add("tcp4_ip_and_tcp_options", s);
  }
  {
    static const std::array<Ipv6ExtensionSpec, 3> exts = {
        {{kIpProtoHopByHop, kPad6}, {kIpProtoRouting, kRoutingBody}, {kIpProtoDstOpts, kPad6}}};
    PacketSpec s = V6(Udp4());
    s.ipv6_extensions = exts;
    add("udp6_ext_chain", s);
  }
  {
    static const std::array<Ipv6ExtensionSpec, 1> exts = {{{kIpProtoAh, kAhBody}}};
    PacketSpec s = V6(Tcp4());
    s.ipv6_extensions = exts;
    add("tcp6_ah", s);
  }
  {
    PacketSpec s = V6(Udp4());
    s.protocol = kIpProtoEsp;
    add("esp6", s);
  }
  {
    PacketSpec s = Udp4();
    s.protocol = 47;  // GRE: opaque to the parser
    add("gre4_opaque", s);
  }
  {
    PacketSpec s = Icmp4();
    s.icmp_type = kIcmpDestUnreachable;
    s.icmp_code = 3;
    add("icmp4_unreachable", s);
  }
  {
    // ICMP errors carrying a quote (ParseIcmpQuote's seeds): the RFC 792 minimum (IP header + 8
    // bytes), a quote cut inside the UDP header, and an ICMPv6 error quoting a whole TCP/IPv6
    // packet with a hop-by-hop header.
    static const std::vector<uint8_t> quote = Truncated(BuildIpVector(Udp4()), 28);
    static const std::vector<uint8_t> cut = Truncated(BuildIpVector(Udp4()), 24);
    static const std::array<Ipv6ExtensionSpec, 1> hbh = {{{kIpProtoHopByHop, kPad6}}};
    PacketSpec inner = V6(Tcp4());
    inner.ipv6_extensions = hbh;
    static const std::vector<uint8_t> quote6 = BuildIpVector(inner);
    PacketSpec s = Icmp4();
    s.icmp_type = kIcmpDestUnreachable;
    s.icmp_code = 3;
    s.icmp_id = 0;
    s.icmp_seq = 0;
    s.payload = quote;
    add("icmp4_error_quoting_udp", s);
    s.payload = cut;
    add("icmp4_error_quote_cut", s);
    PacketSpec v = V6(s);
    v.icmp_type = kIcmpv6PacketTooBig;
    v.icmp_code = 0;
    v.icmp_seq = 1280;
    v.payload = quote6;
    add("icmp6_too_big_quoting_tcp6_ext", v);
  }
  {
    PacketSpec s = Udp4();
    s.fragment = true;
    s.more_fragments = true;
    s.fragment_id = 0x1234;
    add("udp4_first_fragment", s);
    s.fragment_offset = 1480;
    s.more_fragments = false;
    add("udp4_last_fragment", s);
  }
  {
    PacketSpec s = V6(Tcp4());
    s.fragment = true;
    s.more_fragments = true;
    s.fragment_id = 0xabcdef01;
    add("tcp6_first_fragment", s);
    s.fragment_offset = 1232;
    add("tcp6_middle_fragment", s);
  }
  {
    PacketSpec s = V6(Udp4());
    s.protocol = kIpProtoNoNextHeader;
    s.payload = {};
    add("ipv6_no_next_header", s);
  }
  c.push_back({"raw_ip_udp4", BuildIpVector(Udp4()), ParseResult::kOk, true});
  c.push_back({"raw_ip_tcp6", BuildIpVector(V6(Tcp4())), ParseResult::kOk, true});
  return c;
}

// One crafted frame per failure reason (test ParseResultTableCoversEveryReason checks that).
inline std::vector<PacketCase> MalformedCases() {
  using R = ParseResult;
  std::vector<PacketCase> c;
  const auto udp4 = BuildFrameVector(Udp4());
  const auto tcp4 = BuildFrameVector(Tcp4());
  const auto icmp4 = BuildFrameVector(Icmp4());
  const auto udp6 = BuildFrameVector(V6(Udp4()));
  const auto icmp6 = BuildFrameVector(V6(Icmp4()));
  auto add = [&](std::string name, std::vector<uint8_t> bytes, R r, bool in_corpus = false,
                 bool from_ip = false) {
    c.push_back({std::move(name), std::move(bytes), r, from_ip, in_corpus});
  };

  add("eth_13_bytes", Truncated(udp4, 13), R::kTruncatedEthernet, true);
  add("vlan_tag_cut", Truncated(With16(udp4, 12, kEtherTypeVlan), 16), R::kTruncatedVlan, true);
  {
    PacketSpec s = Udp4();
    s.vlan_count = 2;
    add("three_vlan_tags", With16(BuildFrameVector(s), 20, kEtherTypeVlan), R::kTooManyVlanTags,
        true);
  }
  add("arp", With16(udp4, 12, kEtherTypeArp), R::kUnsupportedEtherType, true);
  add("empty_ip", {}, R::kEmptyIpPacket, false, true);
  add("ipv4_ethertype_version_6", With8(udp4, kL3, 0x65), R::kBadIpVersion, true);
  add("ipv6_ethertype_ipv4_packet", With16(tcp4, 12, kEtherTypeIpv6), R::kBadIpVersion);
  add("ip_version_5", With8(BuildIpVector(Udp4()), 0, 0x55), R::kBadIpVersion, false, true);
  {
    PacketSpec s = Udp4();
    s.fragment = true;
    s.fragment_offset = 65528;
    add("ipv4_ping_of_death", BuildFrameVector(s), R::kFragmentOffsetOverflow, true);
    s = V6(s);
    add("ipv6_fragment_overflow", BuildFrameVector(s), R::kFragmentOffsetOverflow);
  }
  add("ipv4_19_bytes", Truncated(udp4, kL3 + 19), R::kTruncatedIpv4);
  add("ipv4_ihl_4", With8(udp4, kL3, 0x44), R::kBadIpv4HeaderLength, true);
  {
    PacketSpec s = Udp4();
    s.payload = {};
    add("ipv4_ihl_15_short_frame", With8(BuildFrameVector(s), kL3, 0x4f), R::kTruncatedIpv4Options);
  }
  {
    static const std::array<uint8_t, 4> bad_options = {7, 1, 0, 0};  // option length 1
    PacketSpec s = Udp4();
    s.ipv4_options = bad_options;
    add("ipv4_option_length_1", BuildFrameVector(s), R::kBadIpv4Options, true);
  }
  add("ipv4_total_length_19", With16(udp4, kL3 + 2, 19), R::kIpv4TotalLengthTooShort);
  add("ipv4_total_length_past_frame",
      With16(udp4, kL3 + 2, static_cast<uint16_t>(udp4.size() - kL3 + 1)),
      R::kIpv4TotalLengthExceedsFrame, true);
  add("ipv6_39_bytes", Truncated(udp6, kL3 + 39), R::kTruncatedIpv6);
  add("ipv6_payload_length_past_frame",
      With16(udp6, kL3 + 4, static_cast<uint16_t>(udp6.size() - kL4v6 + 1)),
      R::kIpv6PayloadLengthExceedsFrame);
  {
    static const std::array<Ipv6ExtensionSpec, 1> exts = {{{kIpProtoDstOpts, kPad6}}};
    PacketSpec s = V6(Udp4());
    s.ipv6_extensions = exts;
    add("ipv6_ext_length_past_payload", With8(BuildFrameVector(s), kL4v6 + 1, 5),
        R::kTruncatedIpv6ExtensionHeader, true);
  }
  {
    static const std::array<Ipv6ExtensionSpec, kMaxIpv6ExtensionHeaders + 1> exts = [] {
      std::array<Ipv6ExtensionSpec, kMaxIpv6ExtensionHeaders + 1> e;
      e.fill({kIpProtoDstOpts, kPad6});
      return e;
    }();
    PacketSpec s = V6(Udp4());
    s.ipv6_extensions = exts;
    add("ipv6_nine_extension_headers", BuildFrameVector(s), R::kIpv6ExtensionChainTooLong, true);
  }
  {
    static const std::array<Ipv6ExtensionSpec, 2> exts = {
        {{kIpProtoDstOpts, kPad6}, {kIpProtoHopByHop, kPad6}}};
    PacketSpec s = V6(Udp4());
    s.ipv6_extensions = exts;
    add("ipv6_hop_by_hop_second", BuildFrameVector(s), R::kIpv6HopByHopNotFirst);
  }
  // Shrinking the IP length leaves the rest of the frame as an ignored trailer, so these reach L4
  // with too few bytes.
  add("tcp_19_bytes", With16(tcp4, kL3 + 2, 20 + 19), R::kTruncatedTcp, true);
  add("tcp_data_offset_4", With8(tcp4, kL4v4 + 12, 0x40), R::kBadTcpDataOffset);
  add("tcp_data_offset_15", With8(tcp4, kL4v4 + 12, 0xf0), R::kTcpDataOffsetBeyondSegment, true);
  add("udp_7_bytes", With16(udp4, kL3 + 2, 20 + 7), R::kTruncatedUdp);
  add("udp_length_7", With16(udp4, kL4v4 + 4, 7), R::kBadUdpLength);
  add("udp_length_past_ip", With16(udp4, kL4v4 + 4, static_cast<uint16_t>(udp4.size() - kL4v4 + 1)),
      R::kUdpLengthExceedsIpPayload, true);
  add("icmp_7_bytes", With16(icmp4, kL3 + 2, 20 + 7), R::kTruncatedIcmp);
  add("icmpv6_7_bytes", With16(icmp6, kL3 + 4, 7), R::kTruncatedIcmpv6);
  return c;
}

}  // namespace ssr::packet::testing

#endif  // SSR_TEST_PACKET_PACKET_CASES_H_
