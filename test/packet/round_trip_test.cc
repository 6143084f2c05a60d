// SPDX-License-Identifier: Apache-2.0
// Build -> parse round trips over every family / VLAN / protocol / header-extension combination.
#include <catch2/catch.hpp>

#include "packet/checksum.h"
#include "packet/header_views.h"
#include "packet_cases.h"
#include "packet_test_util.h"

using namespace ssr::packet;
using namespace ssr::packet::testing;

namespace {

// Checks that `info` describes `spec` and that every checksum in the frame verifies.
void CheckMatchesSpec(const PacketSpec& spec, std::span<const uint8_t> frame,
                      const PacketInfo& info) {
  const bool v6 = spec.src.is_v6();
  CHECK(info.vlan_count == spec.vlan_count);
  for (size_t i = 0; i < spec.vlan_count; ++i) {
    CHECK(info.vlans[i].tpid == spec.vlans[i].tpid);
    CHECK(info.vlans[i].tci == spec.vlans[i].tci);
  }
  CHECK(info.l3_offset == 14u + 4u * spec.vlan_count);
  CHECK(info.ip_version == (v6 ? 6 : 4));
  CHECK(info.src == spec.src);
  CHECK(info.dst == spec.dst);
  CHECK(info.ttl == spec.ttl);
  CHECK(info.l3_offset + info.l3_length == frame.size());
  CHECK(info.l4_protocol == spec.protocol);
  CHECK(info.has_l4);
  CHECK(info.payload_length == spec.payload.size());
  const auto payload = info.Payload(frame);
  CHECK(std::equal(payload.begin(), payload.end(), spec.payload.begin(), spec.payload.end()));
  CHECK(ConstEthernetView(frame).src_mac() == spec.src_mac);
  CHECK(ConstEthernetView(frame).dst_mac() == spec.dst_mac);
  if (!v6) CHECK(VerifyIpv4HeaderChecksum(info.L3Header(frame)));
  const auto l4 = info.L4(frame);
  switch (spec.protocol) {
    case kIpProtoTcp:
      CHECK(info.src_port == spec.src_port);
      CHECK(info.dst_port == spec.dst_port);
      CHECK(info.tcp_flags == spec.tcp_flags);
      CHECK(info.tcp_seq == spec.tcp_seq);
      CHECK(info.tcp_ack == spec.tcp_ack);
      CHECK(VerifyTransportChecksum(spec.src, spec.dst, kIpProtoTcp, l4));
      break;
    case kIpProtoUdp:
      CHECK(info.src_port == spec.src_port);
      CHECK(info.dst_port == spec.dst_port);
      CHECK(ConstUdpHeaderView(l4).checksum() != 0);
      CHECK(VerifyTransportChecksum(spec.src, spec.dst, kIpProtoUdp, l4));
      break;
    case kIpProtoIcmp:
      CHECK(info.icmp_identifier == spec.icmp_id);
      CHECK(VerifyIcmpChecksum(l4));
      break;
    case kIpProtoIcmpv6:
      CHECK(info.icmp_sequence == spec.icmp_seq);
      CHECK(VerifyTransportChecksum(spec.src, spec.dst, kIpProtoIcmpv6, l4));
      break;
    default:
      CHECK(info.payload_offset == info.l4_offset);
      break;
  }
}

}  // namespace

TEST_CASE("Every family, VLAN stack, protocol and header extension round-trips", "[packet]") {
  static const std::array<Ipv6ExtensionSpec, 2> exts = {
      {{kIpProtoHopByHop, kPad6}, {kIpProtoRouting, kRoutingBody}}};
  static const std::array<uint8_t, 300> big_payload = [] {
    std::array<uint8_t, 300> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
    return a;
  }();
  int combinations = 0;
  for (bool v6 : {false, true}) {
    for (uint8_t vlans : {0, 1, 2}) {
      for (int proto : {int{kIpProtoTcp}, int{kIpProtoUdp}, -1 /*ICMP of family*/, 47 /*GRE*/}) {
        for (bool extended : {false, true}) {
          for (bool big : {false, true}) {
            PacketSpec s = Udp4();
            s.protocol =
                proto == -1 ? (v6 ? kIpProtoIcmpv6 : kIpProtoIcmp) : static_cast<uint8_t>(proto);
            if (v6) {
              s.src = Ip("2001:db8:1::a");
              s.dst = Ip("2001:db8:2::b");
            }
            s.vlan_count = vlans;
            s.vlans[0] = {vlans == 2 ? kEtherTypeQinQ : kEtherTypeVlan, 0x1005};
            s.vlans[1] = {kEtherTypeVlan, 0x0fff};
            s.ttl = static_cast<uint8_t>(1 + combinations);
            s.tcp_seq = 0x80000000u + static_cast<uint32_t>(combinations);
            s.tcp_ack = 77;
            s.tcp_flags = kTcpPsh | kTcpAck;
            s.icmp_id = 0x1111;
            s.icmp_seq = static_cast<uint16_t>(combinations);
            if (extended) {
              if (v6) {
                s.ipv6_extensions = exts;
              } else {
                s.ipv4_options = kIpv4Options;
              }
              s.tcp_options = kTcpOptions;
            }
            if (big) s.payload = big_payload;
            const auto frame = BuildFrameVector(s);
            PacketInfo info;
            INFO("v6=" << v6 << " vlans=" << int{vlans} << " proto=" << proto
                       << " extended=" << extended << " big=" << big);
            REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
            CheckMatchesSpec(s, frame, info);
            ++combinations;
          }
        }
      }
    }
  }
  CHECK(combinations == 2 * 3 * 4 * 2 * 2);
}

TEST_CASE("ParseIp and ParseFrame agree on the same packet", "[packet]") {
  for (const PacketSpec& s : {Udp4(), Tcp4(), Icmp4(), V6(Udp4()), V6(Tcp4()), V6(Icmp4())}) {
    const auto frame = BuildFrameVector(s);
    const auto packet = BuildIpVector(s);
    PacketInfo from_frame;
    PacketInfo from_ip;
    REQUIRE(ParseExact(frame, &from_frame) == ParseResult::kOk);
    REQUIRE(ParsePrefix(packet, packet.size(), &from_ip, true) == ParseResult::kOk);
    CHECK(from_frame.l4_offset - from_frame.l3_offset == from_ip.l4_offset);
    CHECK(from_frame.payload_length == from_ip.payload_length);
    CHECK(from_frame.src == from_ip.src);
    CHECK(from_frame.dst_port == from_ip.dst_port);
    CHECK(std::equal(packet.begin(), packet.end(), frame.begin() + 14));
  }
}
