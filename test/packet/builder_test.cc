// SPDX-License-Identifier: Apache-2.0
#include "packet/builder.h"

#include <catch2/catch.hpp>
#include <vector>

#include "packet_cases.h"
#include "packet_test_util.h"

using namespace ssr::packet;
using namespace ssr::packet::testing;

TEST_CASE("FrameLength and IpPacketLength match what the builders write", "[packet]") {
  for (const PacketSpec& s : {Udp4(), Tcp4(), Icmp4(), V6(Udp4()), V6(Tcp4()), V6(Icmp4())}) {
    std::vector<uint8_t> buf(2048);
    CHECK(BuildFrame(s, buf) == FrameLength(s));
    CHECK(BuildIp(s, buf) == IpPacketLength(s));
    CHECK(FrameLength(s) == IpPacketLength(s) + 14);
  }
  CHECK(IpPacketLength(Udp4()) == 20 + 8 + kSmallPayload.size());
  CHECK(IpPacketLength(V6(Tcp4())) == 40 + 20 + kSmallPayload.size());
}

TEST_CASE("Builders return 0 for every buffer smaller than the frame", "[packet]") {
  PacketSpec s = V6(Tcp4());
  s.vlan_count = 1;
  const size_t needed = FrameLength(s);
  for (size_t n = 0; n < needed; ++n) {
    std::vector<uint8_t> buf(n);
    INFO("buffer " << n);
    CHECK(BuildFrame(s, buf) == 0);
  }
  std::vector<uint8_t> exact(needed);
  CHECK(BuildFrame(s, exact) == needed);
}

TEST_CASE("Builders reject specs that cannot be encoded", "[packet]") {
  std::vector<uint8_t> buf(70000);
  PacketSpec mixed = Udp4();
  mixed.dst = Ip("2001:db8::1");
  CHECK(BuildFrame(mixed, buf) == 0);
  CHECK(FrameLength(mixed) == 0);

  PacketSpec three_tags = Udp4();
  three_tags.vlan_count = 3;
  CHECK(BuildFrame(three_tags, buf) == 0);

  static const std::array<uint8_t, 41> long_options{};
  PacketSpec options = Udp4();
  options.ipv4_options = long_options;
  CHECK(BuildFrame(options, buf) == 0);
  PacketSpec tcp_options = Tcp4();
  tcp_options.tcp_options = long_options;
  CHECK(BuildFrame(tcp_options, buf) == 0);

  PacketSpec odd_fragment = Udp4();
  odd_fragment.fragment = true;
  odd_fragment.fragment_offset = 12;
  CHECK(BuildFrame(odd_fragment, buf) == 0);

  static const std::vector<uint8_t> huge(65536 - 28);
  PacketSpec too_long = Udp4();
  too_long.payload = huge;
  CHECK(BuildFrame(too_long, buf) == 0);
  too_long.payload = std::span(huge).first(huge.size() - 1);
  CHECK(BuildFrame(too_long, buf) == 14 + 65535);
}

TEST_CASE("WriteFrame appends at the writer position and fails without moving it", "[packet]") {
  std::vector<uint8_t> buf(200, 0xee);
  ByteWriter w(buf);
  REQUIRE(w.WriteU32(0xcafebabe));
  REQUIRE(WriteFrame(Udp4(), &w));
  CHECK(w.offset() == 4 + FrameLength(Udp4()));
  PacketInfo info;
  CHECK(ParseFrame(std::span<const uint8_t>(buf).subspan(4, FrameLength(Udp4())), &info) ==
        ParseResult::kOk);
  const size_t before = w.offset();
  PacketSpec big = Udp4();
  static const std::array<uint8_t, 300> payload{};
  big.payload = payload;
  CHECK_FALSE(WriteFrame(big, &w));
  CHECK(w.offset() == before);
}

TEST_CASE("Minimum frame length pads with zeros outside the IP packet", "[packet]") {
  PacketSpec s = Udp4();
  s.payload = {};
  s.min_frame_length = 60;
  const auto frame = BuildFrameVector(s);
  REQUIRE(frame.size() == 60);
  for (size_t i = 42; i < 60; ++i) CHECK(frame[i] == 0);
  CHECK(LoadBe16(frame.data() + 16) == 28);  // IP total length excludes padding
}

TEST_CASE("IPv6 builder chains next-header values through the extension headers", "[packet]") {
  static const std::array<Ipv6ExtensionSpec, 2> exts = {
      {{kIpProtoHopByHop, kPad6}, {kIpProtoDstOpts, kRoutingBody}}};
  PacketSpec s = V6(Udp4());
  s.ipv6_extensions = exts;
  s.fragment = true;  // appended fragment header after the listed ones
  s.more_fragments = true;
  s.fragment_id = 5;
  const auto frame = BuildFrameVector(s);
  CHECK(frame[14 + 6] == kIpProtoHopByHop);
  CHECK(frame[54] == kIpProtoDstOpts);
  CHECK(frame[55] == 0);
  CHECK(frame[62] == kIpProtoFragment);
  CHECK(frame[63] == 2);  // 24 bytes
  CHECK(frame[86] == kIpProtoUdp);
  CHECK(LoadBe16(frame.data() + 88) == 1);  // offset 0, M set
  CHECK(LoadBe32(frame.data() + 90) == 5);
}
