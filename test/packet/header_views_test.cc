// SPDX-License-Identifier: Apache-2.0
#include "packet/header_views.h"

#include <catch2/catch.hpp>

#include "packet/checksum.h"
#include "packet_cases.h"
#include "packet_test_util.h"

using namespace ssr::packet;
using namespace ssr::packet::testing;

TEST_CASE("Const views read every field of a built IPv4 TCP frame", "[packet]") {
  PacketSpec s = Tcp4();
  s.vlan_count = 1;
  s.vlans[0] = {kEtherTypeVlan, 0xa00c};
  s.tos = 0x2e;
  s.ttl = 3;
  s.ipv4_id = 0x5151;
  s.dont_fragment = true;
  s.ipv4_options = kIpv4Options;
  s.tcp_options = kTcpOptions;
  s.tcp_ack = 9;
  s.tcp_window = 4096;
  const auto frame = BuildFrameVector(s);
  std::span<const uint8_t> f(frame);

  ConstEthernetView eth(f);
  CHECK(eth.dst_mac() == s.dst_mac);
  CHECK(eth.src_mac() == s.src_mac);
  CHECK(eth.ether_type() == kEtherTypeVlan);
  ConstVlanTagView tag(f.subspan(12));
  CHECK(tag.tpid() == kEtherTypeVlan);
  CHECK(tag.vlan_id() == 12);
  CHECK(tag.priority() == 5);
  CHECK_FALSE(tag.drop_eligible());

  ConstIpv4HeaderView ip(f.subspan(18));
  CHECK(ip.version() == 4);
  CHECK(ip.ihl() == 8);
  CHECK(ip.header_length() == 32);
  CHECK(ip.tos() == 0x2e);
  CHECK(ip.dscp() == 0x0b);
  CHECK(ip.ecn() == 2);
  CHECK(ip.total_length() == 32 + 28 + kSmallPayload.size());
  CHECK(ip.identification() == 0x5151);
  CHECK(ip.dont_fragment());
  CHECK_FALSE(ip.more_fragments());
  CHECK(ip.fragment_offset() == 0);
  CHECK(ip.ttl() == 3);
  CHECK(ip.protocol() == kIpProtoTcp);
  CHECK(ip.src() == s.src);
  CHECK(ip.dst() == s.dst);
  CHECK(ip.options().size() == 12);
  CHECK(ip.options()[2] == 7);

  ConstTcpHeaderView tcp(f.subspan(18 + 32));
  CHECK(tcp.src_port() == s.src_port);
  CHECK(tcp.dst_port() == s.dst_port);
  CHECK(tcp.seq() == s.tcp_seq);
  CHECK(tcp.ack() == 9);
  CHECK(tcp.data_offset() == 7);
  CHECK(tcp.header_length() == 28);
  CHECK(tcp.flags() == kTcpSyn);
  CHECK(tcp.window() == 4096);
  CHECK(tcp.urgent_pointer() == 0);
  CHECK(tcp.options().size() == 8);
  CHECK(tcp.options()[0] == 2);
}

TEST_CASE("Const views read IPv6, UDP and ICMP fields", "[packet]") {
  PacketSpec s = V6(Udp4());
  s.tos = 0xa5;
  s.flow_label = 0xabcde;
  s.ttl = 250;
  auto frame = BuildFrameVector(s);
  std::span<const uint8_t> f(frame);
  ConstIpv6HeaderView ip(f.subspan(14));
  CHECK(ip.version() == 6);
  CHECK(ip.traffic_class() == 0xa5);
  CHECK(ip.flow_label() == 0xabcde);
  CHECK(ip.payload_length() == 8 + kSmallPayload.size());
  CHECK(ip.next_header() == kIpProtoUdp);
  CHECK(ip.hop_limit() == 250);
  CHECK(ip.src() == s.src);
  CHECK(ip.dst() == s.dst);
  ConstUdpHeaderView udp(f.subspan(54));
  CHECK(udp.src_port() == 5353);
  CHECK(udp.dst_port() == 53);
  CHECK(udp.length() == 18);

  const auto icmp_frame = BuildFrameVector(Icmp4());
  ConstIcmpHeaderView icmp(std::span<const uint8_t>(icmp_frame).subspan(34));
  CHECK(icmp.type() == kIcmpEchoRequest);
  CHECK(icmp.code() == 0);
  CHECK(icmp.identifier() == 0x4242);
  CHECK(icmp.sequence() == 7);
  CHECK(icmp.rest_of_header() == 0x42420007u);
}

TEST_CASE("Mutable views write fields that the parser then reads back", "[packet]") {
  PacketSpec s = Udp4();
  s.vlan_count = 1;
  auto frame = BuildFrameVector(s);
  std::span<uint8_t> f(frame);
  VlanTagView(f.subspan(12)).set_vlan_id(321);
  EthernetView eth(f);
  eth.set_src_mac({1, 2, 3, 4, 5, 6});
  Ipv4HeaderView ip(f.subspan(18));
  ip.set_ttl(9);
  ip.set_src(Ip("192.0.2.1"));
  ip.set_dst(Ip("198.51.100.2"));
  ip.set_checksum(Ipv4HeaderChecksum(ip.bytes().first(20)));
  UdpHeaderView udp(f.subspan(38));
  udp.set_src_port(1111);
  udp.set_dst_port(2222);
  udp.set_checksum(0);
  udp.set_checksum(UdpChecksum(ip.src(), ip.dst(), f.subspan(38)));

  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  CHECK(info.vlans[0].vlan_id() == 321);
  CHECK(ConstEthernetView(std::span<const uint8_t>(frame)).src_mac() ==
        MacAddress{1, 2, 3, 4, 5, 6});
  CHECK(info.ttl == 9);
  CHECK(info.src == Ip("192.0.2.1"));
  CHECK(info.dst == Ip("198.51.100.2"));
  CHECK(info.src_port == 1111);
  CHECK(info.dst_port == 2222);
  CHECK(VerifyIpv4HeaderChecksum(info.L3Header(std::span<const uint8_t>(frame))));
  CHECK(VerifyTransportChecksum(info.src, info.dst, kIpProtoUdp,
                                info.L4(std::span<const uint8_t>(frame))));
}

TEST_CASE("Mutable TCP, IPv6 and ICMP setters round-trip", "[packet]") {
  auto frame = BuildFrameVector(V6(Tcp4()));
  std::span<uint8_t> f(frame);
  Ipv6HeaderView ip(f.subspan(14));
  ip.set_version_class_flow(0x11, 0x12345);
  ip.set_hop_limit(1);
  ip.set_src(Ip("::1"));
  CHECK(ip.version() == 6);
  CHECK(ip.traffic_class() == 0x11);
  CHECK(ip.flow_label() == 0x12345);
  CHECK(ip.hop_limit() == 1);
  CHECK(ip.src() == Ip("::1"));
  TcpHeaderView tcp(f.subspan(54));
  tcp.set_seq(0xdeadbeef);
  tcp.set_ack(0x01020304);
  tcp.set_flags(kTcpFin | kTcpAck);
  tcp.set_window(7);
  tcp.set_urgent_pointer(3);
  tcp.set_data_offset(5);
  CHECK(tcp.seq() == 0xdeadbeefu);
  CHECK(tcp.ack() == 0x01020304u);
  CHECK(tcp.flags() == (kTcpFin | kTcpAck));
  CHECK(tcp.window() == 7);
  CHECK(tcp.urgent_pointer() == 3);
  CHECK(tcp.data_offset() == 5);

  std::array<uint8_t, 8> icmp_bytes{};
  IcmpHeaderView icmp(icmp_bytes);
  icmp.set_type(kIcmpv6EchoReply);
  icmp.set_code(0);
  icmp.set_identifier(0xbeef);
  icmp.set_sequence(2);
  CHECK(icmp_bytes == std::array<uint8_t, 8>{129, 0, 0, 0, 0xbe, 0xef, 0, 2});
}

TEST_CASE("Variable-length view parts are clamped to the span", "[packet]") {
  // IHL claims 60 bytes but only 24 are in the span: options() must stop at the span's end.
  std::array<uint8_t, 24> header{};
  header[0] = 0x4f;
  ConstIpv4HeaderView ip{std::span<const uint8_t>(header)};
  CHECK(ip.header_length() == 60);
  CHECK(ip.options().size() == 4);
  std::array<uint8_t, 20> tcp_bytes{};
  tcp_bytes[12] = 0xf0;
  ConstTcpHeaderView tcp{std::span<const uint8_t>(tcp_bytes)};
  CHECK(tcp.options().empty());
}

TEST_CASE("PacketInfo sub-spans select the parsed regions", "[packet]") {
  PacketSpec s = Tcp4();
  s.min_frame_length = 128;
  const auto frame = BuildFrameVector(s);
  PacketInfo info;
  REQUIRE(ParseExact(frame, &info) == ParseResult::kOk);
  std::span<const uint8_t> f(frame);
  CHECK(info.L3(f).data() == f.data() + 14);
  CHECK(info.L3(f).size() == 20 + 20 + kSmallPayload.size());
  CHECK(info.L3Header(f).size() == 20);
  CHECK(info.L4(f).size() == 20 + kSmallPayload.size());
  CHECK(std::equal(info.Payload(f).begin(), info.Payload(f).end(), kSmallPayload.begin(),
                   kSmallPayload.end()));
}
