// SPDX-License-Identifier: Apache-2.0
#include "session/translation.h"

#include <catch2/catch.hpp>

#include <vector>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/parser.h"
#include "session/session_table.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using testing::Ip;
using testing::Key;
using testing::kLanSide;
using testing::kWanSide;
using testing::MakeTable;

// docs/protocol.md §2.1: client 10.1.1.10:40000 -> 8.8.8.8:53 UDP, outer
// 198.51.100.10:16400 -> 203.0.113.20:16401.
// (Functions, not globals: Key() uses REQUIRE, which needs a running test.)
FlowKey LanKey() { return Key("10.1.1.10", 40000, "8.8.8.8", 53, packet::kIpProtoUdp, kLanSide); }
FlowKey OuterFromPeer() {
  return Key("203.0.113.20", 16401, "198.51.100.10", 16400, packet::kIpProtoUdp, kWanSide);
}

TEST_CASE("Ingress forward translation is the outer waypoint tuple", "[session]") {
  auto table = MakeTable(4);
  SessionInit init;
  init.forward = LanKey();
  init.reverse = OuterFromPeer();
  Session* s = table->Insert(init, 0).session;
  REQUIRE(s != nullptr);
  CHECK(TranslatedTuple(*s, Direction::kForward) ==
        Key("198.51.100.10", 16400, "203.0.113.20", 16401, packet::kIpProtoUdp, kWanSide));
}

TEST_CASE("Ingress reverse translation restores the original client tuple", "[session]") {
  auto table = MakeTable(4);
  SessionInit init;
  init.forward = LanKey();
  init.reverse = OuterFromPeer();
  Session* s = table->Insert(init, 0).session;
  REQUIRE(s != nullptr);
  CHECK(TranslatedTuple(*s, Direction::kReverse) ==
        Key("8.8.8.8", 53, "10.1.1.10", 40000, packet::kIpProtoUdp, kLanSide));
}

TEST_CASE("Egress translations restore the server tuple and return on the outer tuple",
          "[session]") {
  // Egress router: forward key = outer tuple from the ingress; the server tuple comes from the
  // forward context; the reverse key is the server's reply on the LAN.
  const FlowKey outer_in =
      Key("198.51.100.10", 16400, "203.0.113.20", 16401, packet::kIpProtoUdp, kWanSide);
  FlowKey server = LanKey();
  server.side = 5;  // the egress router's LAN interface
  auto table = MakeTable(4);
  SessionInit init;
  init.forward = outer_in;
  init.reverse = Reversed(server);
  Session* s = table->Insert(init, 0).session;
  REQUIRE(s != nullptr);
  CHECK(TranslatedTuple(*s, Direction::kForward) == server);
  CHECK(TranslatedTuple(*s, Direction::kReverse) == Reversed(outer_in));
  CHECK(table->Lookup(Key("8.8.8.8", 53, "10.1.1.10", 40000, packet::kIpProtoUdp, 5)).direction ==
        Direction::kReverse);
}

TEST_CASE("ICMP echo translates to UDP outward and back to ICMP with its identifier",
          "[session]") {
  auto table = MakeTable(4);
  SessionInit init;
  init.forward = Key("10.1.1.10", 0x4242, "8.8.8.8", 0, packet::kIpProtoIcmp, kLanSide);
  init.reverse = OuterFromPeer();
  Session* s = table->Insert(init, 0).session;
  REQUIRE(s != nullptr);
  CHECK(TranslatedTuple(*s, Direction::kForward).protocol == packet::kIpProtoUdp);
  CHECK(TranslatedTuple(*s, Direction::kReverse) ==
        Key("8.8.8.8", 0x4242, "10.1.1.10", 0, packet::kIpProtoIcmp, kLanSide));
}

// Builds the frame of `spec` with the tuple `from`, rewrites it to `to`, and compares with the
// frame built directly with `to`: same bytes means the incremental checksums equal full ones.
void ExpectRewriteMatchesRebuild(packet::PacketSpec spec, const FlowKey& from, const FlowKey& to) {
  const std::vector<uint8_t> payload(333, 0xA5);
  spec.payload = payload;
  auto build = [&](const FlowKey& k) {
    packet::PacketSpec p = spec;
    p.src = k.src;
    p.dst = k.dst;
    p.protocol = k.protocol;
    p.src_port = k.src_port;
    p.dst_port = k.dst_port;
    p.icmp_id = k.src_port;
    std::vector<uint8_t> frame(2048);
    frame.resize(packet::BuildFrame(p, frame));
    REQUIRE(!frame.empty());
    return frame;
  };
  std::vector<uint8_t> frame = build(from);
  const std::vector<uint8_t> expected = build(to);
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  REQUIRE(RewriteTuple(frame, info, to) == RewriteResult::kOk);
  CHECK(frame == expected);
  packet::PacketInfo after;
  REQUIRE(packet::ParseFrame(frame, &after) == packet::ParseResult::kOk);
  const std::span<const uint8_t> bytes(frame);
  if (after.is_ipv4()) CHECK(packet::VerifyIpv4HeaderChecksum(after.L3Header(bytes)));
  if (after.is_tcp() || after.is_udp() || (after.is_icmp() && after.is_ipv6())) {
    CHECK(packet::VerifyTransportChecksum(after.src, after.dst, after.l4_protocol, after.L4(bytes)));
  } else if (after.is_icmp()) {
    CHECK(packet::VerifyIcmpChecksum(after.L4(bytes)));
  }
}

TEST_CASE("RewriteTuple on TCP over IPv4 equals a rebuilt packet", "[session]") {
  packet::PacketSpec spec;
  spec.tcp_flags = packet::kTcpSyn;
  spec.tcp_seq = 12345;
  ExpectRewriteMatchesRebuild(spec, Key("10.1.1.10", 40000, "8.8.8.8", 443),
                              Key("198.51.100.10", 16400, "203.0.113.20", 16401));
}

TEST_CASE("RewriteTuple on UDP over IPv4 equals a rebuilt packet", "[session]") {
  ExpectRewriteMatchesRebuild({}, Key("10.1.1.10", 40000, "8.8.8.8", 53, packet::kIpProtoUdp),
                              Key("198.51.100.10", 65534, "203.0.113.20", 16385,
                                  packet::kIpProtoUdp));
}

TEST_CASE("RewriteTuple on TCP and UDP over IPv6 equals a rebuilt packet", "[session]") {
  for (uint8_t proto : {packet::kIpProtoTcp, packet::kIpProtoUdp}) {
    ExpectRewriteMatchesRebuild({}, Key("2001:db8:1::10", 40000, "2001:db8:2::20", 443, proto),
                                Key("2001:db8:ff::1", 16400, "2001:db8:ff::2", 16401, proto));
  }
}

TEST_CASE("RewriteTuple on ICMP echo rewrites addresses and identifier", "[session]") {
  packet::PacketSpec spec;
  spec.icmp_seq = 9;
  ExpectRewriteMatchesRebuild(spec, Key("10.1.1.10", 0x1111, "8.8.8.8", 0, packet::kIpProtoIcmp),
                              Key("100.64.0.1", 0x2222, "8.8.8.8", 0, packet::kIpProtoIcmp));
  ExpectRewriteMatchesRebuild(
      spec, Key("2001:db8::10", 0x1111, "2001:db8::20", 0, packet::kIpProtoIcmpv6),
      Key("2001:db8::99", 0x3333, "2001:db8::20", 0, packet::kIpProtoIcmpv6));
}

TEST_CASE("RewriteTuple keeps a zero UDP checksum over IPv4 zero", "[session]") {
  packet::PacketSpec spec;
  spec.protocol = packet::kIpProtoUdp;
  std::vector<uint8_t> frame(256);
  frame.resize(packet::BuildFrame(spec, frame));
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  packet::UdpHeaderView(info.L4(std::span<uint8_t>(frame))).set_checksum(0);
  REQUIRE(RewriteTuple(frame, info, Key("1.2.3.4", 5, "6.7.8.9", 10, packet::kIpProtoUdp)) ==
          RewriteResult::kOk);
  CHECK(packet::ConstUdpHeaderView(info.L4(std::span<const uint8_t>(frame))).checksum() == 0);
  CHECK(packet::VerifyIpv4HeaderChecksum(info.L3Header(std::span<const uint8_t>(frame))));
}

TEST_CASE("RewriteTuple refuses what a header rewrite cannot do and leaves the frame alone",
          "[session]") {
  auto check_refused = [](packet::PacketSpec spec, const FlowKey& to, RewriteResult expected) {
    std::vector<uint8_t> frame(256);
    frame.resize(packet::BuildFrame(spec, frame));
    REQUIRE(!frame.empty());
    const std::vector<uint8_t> before = frame;
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
    CHECK(RewriteTuple(frame, info, to) == expected);
    CHECK(frame == before);
  };
  packet::PacketSpec tcp;
  tcp.protocol = packet::kIpProtoTcp;
  check_refused(tcp, Key("1.2.3.4", 5, "6.7.8.9", 10, packet::kIpProtoUdp),
                RewriteResult::kProtocolMismatch);
  check_refused(tcp, Key("2001:db8::1", 5, "2001:db8::2", 10, packet::kIpProtoTcp),
                RewriteResult::kFamilyMismatch);
  packet::PacketSpec frag;
  frag.fragment = true;
  frag.more_fragments = true;
  check_refused(frag, Key("1.2.3.4", 5, "6.7.8.9", 10, packet::kIpProtoUdp),
                RewriteResult::kFragment);
  packet::PacketSpec unreachable;
  unreachable.protocol = packet::kIpProtoIcmp;
  unreachable.icmp_type = packet::kIcmpDestUnreachable;
  check_refused(unreachable, Key("1.2.3.4", 5, "6.7.8.9", 0, packet::kIpProtoIcmp),
                RewriteResult::kNotEcho);
}

}  // namespace
}  // namespace ssr::session
