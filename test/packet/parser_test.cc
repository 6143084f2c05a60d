// SPDX-License-Identifier: Apache-2.0
#include "packet/parser.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <set>
#include <string>

#include "packet/header_views.h"
#include "packet_cases.h"
#include "packet_test_util.h"

using namespace ssr::packet;
using namespace ssr::packet::testing;

namespace {

ParseResult ParseCase(const PacketCase& c, PacketInfo* info) {
  return ParsePrefix(c.bytes, c.bytes.size(), info, c.from_ip);
}

}  // namespace

TEST_CASE("ParseResult names are unique snake_case strings", "[packet]") {
  std::set<std::string_view> names;
  for (size_t i = 0; i < ssr::util::CounterCount<ParseResult>(); ++i) {
    const std::string_view name = ParseResultName(static_cast<ParseResult>(i));
    INFO(name);
    CHECK(names.insert(name).second);
    CHECK_FALSE(name.empty());
    for (char ch : name) {
      const auto u = static_cast<unsigned char>(ch);
      CHECK((std::islower(u) || std::isdigit(u) || ch == '_'));
    }
    CHECK_FALSE(ParseResultHelp(static_cast<ParseResult>(i)).empty());
  }
  CHECK(ParseResultName(ParseResult::kOk) == "ok");
  CHECK(ParseResultName(ParseResult::kIpv6ExtensionChainTooLong) ==
        "ipv6_extension_chain_too_long");
}

TEST_CASE("ParseResult indexes a util::CounterArray for per-reason drop counters", "[packet]") {
  ssr::util::CounterArray<ParseResult> counters;
  PacketInfo info;
  for (const PacketCase& c : MalformedCases()) counters.Increment(ParseCase(c, &info));
  CHECK(counters.Get(ParseResult::kOk) == 0);
  CHECK(counters.Get(ParseResult::kBadIpVersion) == 3);
  CHECK(counters.Total() == MalformedCases().size());
}

TEST_CASE("Every crafted malformed frame yields its exact ParseResult", "[packet]") {
  for (const PacketCase& c : MalformedCases()) {
    PacketInfo info;
    INFO(c.name);
    CHECK(ParseResultName(ParseCase(c, &info)) == ParseResultName(c.expected));
  }
}

TEST_CASE("The malformed-frame table covers every ParseResult reason", "[packet]") {
  std::set<ParseResult> covered;
  for (const PacketCase& c : MalformedCases()) covered.insert(c.expected);
  for (size_t i = 1; i < ssr::util::CounterCount<ParseResult>(); ++i) {
    const auto r = static_cast<ParseResult>(i);
    INFO(ParseResultName(r));
    CHECK(covered.count(r) == 1);
  }
}

TEST_CASE("Every valid sample frame parses as ok", "[packet]") {
  for (const PacketCase& c : ValidCases()) {
    PacketInfo info;
    INFO(c.name);
    CHECK(ParseResultName(ParseCase(c, &info)) == "ok");
  }
}

TEST_CASE("Ethernet padding after the IP packet is excluded from IP and L4 lengths", "[packet]") {
  PacketSpec s = Udp4();
  s.payload = {};
  s.min_frame_length = 60;
  const auto frame = BuildFrameVector(s);
  REQUIRE(frame.size() == 60);
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.l3_length == 28);
  CHECK(info.l4_length == 8);
  CHECK(info.payload_offset == 42);
  CHECK(info.payload_length == 0);
}

TEST_CASE("UDP length smaller than the IP payload is accepted and bounds the payload", "[packet]") {
  auto frame = BuildFrameVector(Udp4());  // 10-byte payload
  frame[kL4v4 + 4] = 0;
  frame[kL4v4 + 5] = 12;  // claims 4 bytes of payload
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.udp_length == 12);
  CHECK(info.payload_length == 4);
  CHECK(info.l4_length == 18);
}

TEST_CASE("IPv4 UDP fields are decoded", "[packet]") {
  PacketSpec s = Udp4();
  s.ttl = 17;
  s.tos = 0xb8;
  s.ipv4_id = 99;
  s.dont_fragment = true;
  const auto frame = BuildFrameVector(s);
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.ether_type == kEtherTypeIpv4);
  CHECK(info.vlan_count == 0);
  CHECK(info.ip_version == 4);
  CHECK(info.ttl == 17);
  CHECK(info.tos == 0xb8);
  CHECK(info.src == Ip("10.0.0.1"));
  CHECK(info.dst == Ip("10.0.0.2"));
  CHECK(info.dont_fragment);
  CHECK_FALSE(info.is_fragment);
  CHECK(info.fragment_id == 99);
  CHECK(info.l3_offset == 14);
  CHECK(info.l3_header_length == 20);
  CHECK(info.l4_offset == 34);
  CHECK(info.is_udp());
  CHECK(info.src_port == 5353);
  CHECK(info.dst_port == 53);
  CHECK(info.payload_offset == 42);
  CHECK(info.payload_length == kSmallPayload.size());
}

TEST_CASE("TCP header, flags and options length are decoded", "[packet]") {
  PacketSpec s = Tcp4();
  s.tcp_options = kTcpOptions;
  s.tcp_flags = kTcpSyn | kTcpAck;
  s.tcp_ack = 0xfeedface;
  s.tcp_window = 1234;
  const auto frame = BuildFrameVector(s);
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.is_tcp());
  CHECK(info.tcp_header_length == 28);
  CHECK(info.tcp_flags == (kTcpSyn | kTcpAck));
  CHECK(info.tcp_seq == 0x01020304u);
  CHECK(info.tcp_ack == 0xfeedfaceu);
  CHECK(info.tcp_window == 1234);
  CHECK(info.payload_offset == kL4v4 + 28);
  CHECK(info.payload_length == kSmallPayload.size());
}

TEST_CASE("IPv4 options are accepted and their length recorded", "[packet]") {
  PacketSpec s = Udp4();
  s.ipv4_options = kIpv4Options;  // 11 bytes, padded to 12
  const auto frame = BuildFrameVector(s);
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.ipv4_options_length == 12);
  CHECK(info.l3_header_length == 32);
  CHECK(info.l4_offset == 14 + 32);
  CHECK(info.dst_port == 53);
}

TEST_CASE("ICMP echo identifier and sequence are decoded for both families", "[packet]") {
  for (const PacketSpec& s : {Icmp4(), V6(Icmp4())}) {
    const auto frame = BuildFrameVector(s);
    PacketInfo info;
    REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
    CHECK(info.is_icmp());
    CHECK(info.icmp_is_echo);
    CHECK(info.icmp_type == (s.src.is_v4() ? kIcmpEchoRequest : kIcmpv6EchoRequest));
    CHECK(info.icmp_identifier == 0x4242);
    CHECK(info.icmp_sequence == 7);
    CHECK(info.payload_length == kSmallPayload.size());
  }
}

TEST_CASE("ICMP errors are not echo and carry no identifier", "[packet]") {
  PacketSpec s = Icmp4();
  s.icmp_type = kIcmpDestUnreachable;
  s.icmp_code = 4;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.icmp_type == kIcmpDestUnreachable);
  CHECK(info.icmp_code == 4);
  CHECK_FALSE(info.icmp_is_echo);
  CHECK(info.icmp_identifier == 0);
}

TEST_CASE("802.1ad outer and 802.1Q inner tags are recorded in wire order", "[packet]") {
  PacketSpec s = V6(Tcp4());
  s.vlan_count = 2;
  s.vlans[0] = {kEtherTypeQinQ, 0x2000 | 10};
  s.vlans[1] = {kEtherTypeVlan, 200};
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.vlan_count == 2);
  CHECK(info.vlans[0].tpid == kEtherTypeQinQ);
  CHECK(info.vlans[0].vlan_id() == 10);
  CHECK(info.vlans[0].tci == (0x2000 | 10));
  CHECK(info.vlans[1].tpid == kEtherTypeVlan);
  CHECK(info.vlans[1].vlan_id() == 200);
  CHECK(info.ether_type == kEtherTypeIpv6);
  CHECK(info.l3_offset == 22);
  CHECK(info.l4_offset == 62);
}

TEST_CASE("An unsupported EtherType still reports the EtherType and VLAN tags", "[packet]") {
  PacketSpec s = Udp4();
  s.vlan_count = 1;
  s.vlans[0] = {kEtherTypeVlan, 42};
  auto frame = BuildFrameVector(s);
  StoreBe16(frame.data() + 16, kEtherTypeArp);
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kUnsupportedEtherType);
  CHECK(info.ether_type == kEtherTypeArp);
  CHECK(info.vlan_count == 1);
  CHECK(info.vlans[0].vlan_id() == 42);
  CHECK(info.l3_offset == 18);
}

TEST_CASE("IPv6 extension headers are walked to the transport header", "[packet]") {
  static const std::array<Ipv6ExtensionSpec, 3> exts = {
      {{kIpProtoHopByHop, kPad6}, {kIpProtoRouting, kRoutingBody}, {kIpProtoDstOpts, kPad6}}};
  PacketSpec s = V6(Udp4());
  s.ipv6_extensions = exts;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.ipv6_extension_count == 3);
  CHECK(info.l3_header_length == 40 + 8 + 24 + 8);
  CHECK(info.l4_protocol == kIpProtoUdp);
  CHECK(info.l4_offset == 14 + 80);
  CHECK(info.dst_port == 53);
}

TEST_CASE("The AH length is counted in 4-byte units", "[packet]") {
  static const std::array<Ipv6ExtensionSpec, 1> exts = {{{kIpProtoAh, kAhBody}}};
  PacketSpec s = V6(Tcp4());
  s.ipv6_extensions = exts;
  auto frame = BuildFrameVector(s);
  CHECK(frame[kL4v6 + 1] == 2);  // (16 / 4) - 2
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.l3_header_length == 56);
  CHECK(info.is_tcp());
  CHECK(info.tcp_seq == 0x01020304u);
}

TEST_CASE("Exactly kMaxIpv6ExtensionHeaders headers parse, one more is rejected", "[packet]") {
  std::array<Ipv6ExtensionSpec, kMaxIpv6ExtensionHeaders + 1> exts;
  exts.fill({kIpProtoDstOpts, kPad6});
  exts[0].type = kIpProtoHopByHop;
  PacketSpec s = V6(Udp4());
  s.ipv6_extensions = std::span(exts).first(kMaxIpv6ExtensionHeaders);
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.ipv6_extension_count == kMaxIpv6ExtensionHeaders);
  s.ipv6_extensions = exts;
  CHECK(ParseExact(BuildFrameVector(s), &info) == ParseResult::kIpv6ExtensionChainTooLong);
}

TEST_CASE("ESP ends the IPv6 walk as an opaque transport", "[packet]") {
  PacketSpec s = V6(Udp4());
  s.protocol = kIpProtoEsp;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.l4_protocol == kIpProtoEsp);
  CHECK(info.has_l4);
  CHECK(info.payload_offset == info.l4_offset);
  CHECK(info.payload_length == kSmallPayload.size());
  CHECK(info.src_port == 0);
}

TEST_CASE("IPv6 no-next-header has no transport header", "[packet]") {
  PacketSpec s = V6(Udp4());
  s.protocol = kIpProtoNoNextHeader;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.l4_protocol == kIpProtoNoNextHeader);
  CHECK_FALSE(info.has_l4);
}

TEST_CASE("IPv4 first fragment parses its transport header", "[packet]") {
  PacketSpec s = Udp4();
  s.fragment = true;
  s.more_fragments = true;
  s.fragment_id = 0x1234;
  auto frame = BuildFrameVector(s);
  // The UDP length describes the whole datagram, larger than this fragment: still accepted.
  StoreBe16(frame.data() + kL4v4 + 4, 3000);
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.is_fragment);
  CHECK(info.is_first_fragment);
  CHECK(info.more_fragments);
  CHECK(info.fragment_offset == 0);
  CHECK(info.fragment_id == 0x1234);
  CHECK(info.has_l4);
  CHECK(info.dst_port == 53);
  CHECK(info.payload_length == kSmallPayload.size());
}

TEST_CASE("IPv4 non-first fragment has no transport header", "[packet]") {
  PacketSpec s = Udp4();
  s.fragment = true;
  s.fragment_offset = 1480;
  s.fragment_id = 0x77;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.is_fragment);
  CHECK_FALSE(info.is_first_fragment);
  CHECK_FALSE(info.more_fragments);
  CHECK(info.fragment_offset == 1480);
  CHECK(info.fragment_id == 0x77);
  CHECK_FALSE(info.has_l4);
  CHECK(info.l4_protocol == kIpProtoUdp);
  CHECK(info.src_port == 0);
  CHECK(info.payload_offset == kL4v4);
  CHECK(info.payload_length == kSmallPayload.size());
}

TEST_CASE("A first fragment whose TCP header is cut is rejected (RFC 1858)", "[packet]") {
  PacketSpec s = Tcp4();
  s.fragment = true;
  s.more_fragments = true;
  s.payload = {};
  auto frame = BuildFrameVector(s);
  StoreBe16(frame.data() + kL3 + 2, 20 + 16);  // only 16 bytes of the TCP header in fragment
  PacketInfo info;
  CHECK(ParseExact(frame, &info) == ParseResult::kTruncatedTcp);
}

TEST_CASE("IPv6 fragment header: first and non-first fragments", "[packet]") {
  PacketSpec s = V6(Tcp4());
  s.fragment = true;
  s.more_fragments = true;
  s.fragment_id = 0xabcdef01;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.is_first_fragment);
  CHECK(info.fragment_id == 0xabcdef01u);
  CHECK(info.ipv6_extension_count == 1);
  CHECK(info.is_tcp());
  CHECK(info.l4_offset == kL4v6 + 8);

  s.fragment_offset = 1232;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.is_fragment);
  CHECK_FALSE(info.is_first_fragment);
  CHECK(info.more_fragments);
  CHECK(info.fragment_offset == 1232);
  CHECK_FALSE(info.has_l4);
  CHECK(info.l4_protocol == kIpProtoTcp);
  CHECK(info.payload_offset == kL4v6 + 8);
}

TEST_CASE("An IPv6 atomic fragment is not reported as a fragment", "[packet]") {
  static const std::array<Ipv6ExtensionSpec, 1> exts = {{{kIpProtoFragment, {}}}};
  PacketSpec s = V6(Udp4());
  s.ipv6_extensions = exts;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK_FALSE(info.is_fragment);
  CHECK(info.is_udp());
}

TEST_CASE("A non-first IPv6 fragment stops the walk at the fragment header", "[packet]") {
  // Headers after the fragment header in a non-first fragment are fragment data, not parsed.
  static const std::array<Ipv6ExtensionSpec, 2> exts = {
      {{kIpProtoFragment, {}}, {kIpProtoDstOpts, kPad6}}};
  PacketSpec s = V6(Udp4());
  s.ipv6_extensions = exts;
  s.fragment = true;
  s.fragment_offset = 8;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.ipv6_extension_count == 1);
  CHECK(info.l4_protocol == kIpProtoDstOpts);
  CHECK_FALSE(info.has_l4);
}

TEST_CASE("IPv6 fragments locate their fragment header and the byte that names it", "[packet]") {
  // Reassembly removes the fragment header: it needs where it is and which next-header field
  // points at it (the IPv6 header's, or that of the extension header before it).
  PacketSpec s = V6(Udp4());
  s.fragment = true;
  s.more_fragments = true;
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
  CHECK(info.ipv6_fragment_header == 40);
  CHECK(info.ipv6_fragment_nh_field == 6);

  static const std::array<Ipv6ExtensionSpec, 3> exts = {
      {{kIpProtoHopByHop, kPad6}, {kIpProtoFragment, {}}, {kIpProtoDstOpts, kPad6}}};
  s.ipv6_extensions = exts;
  for (const uint32_t offset : {0u, 8u}) {
    s.fragment_offset = offset;
    REQUIRE(ParseExact(BuildFrameVector(s), &info) == ParseResult::kOk);
    CHECK(info.ipv6_fragment_header == 48);
    CHECK(info.ipv6_fragment_nh_field == 40);
  }
  CHECK_FALSE(info.is_first_fragment);

  PacketSpec whole = V6(Udp4());
  REQUIRE(ParseExact(BuildFrameVector(whole), &info) == ParseResult::kOk);
  CHECK(info.ipv6_fragment_header == 0);
}

TEST_CASE("ParseIp parses packets that start at the IP header", "[packet]") {
  for (const PacketSpec& s : {Tcp4(), V6(Tcp4())}) {
    const auto packet = BuildIpVector(s);
    PacketInfo info;
    REQUIRE(ParsePrefix(packet, packet.size(), &info, true) == ParseResult::kOk);
    CHECK(info.l3_offset == 0);
    CHECK(info.l4_offset == (s.src.is_v4() ? 20u : 40u));
    CHECK(info.ether_type == (s.src.is_v4() ? kEtherTypeIpv4 : kEtherTypeIpv6));
    CHECK(info.is_tcp());
    CHECK(info.l3_length == packet.size());
  }
}

TEST_CASE("ParseFrame resets the output record", "[packet]") {
  PacketInfo info;
  REQUIRE(ParseExact(BuildFrameVector(Tcp4()), &info) == ParseResult::kOk);
  const std::array<uint8_t, 3> runt = {1, 2, 3};
  CHECK(ParseFrame(runt, &info) == ParseResult::kTruncatedEthernet);
  CHECK(info.l4_offset == 0);
  CHECK(info.tcp_seq == 0);
  CHECK(info.ip_version == 0);
}
