// SPDX-License-Identifier: Apache-2.0
// Outer IPv4 fragmentation (docs/protocol.md §2.14.2): an IPv4 LAN packet without DF that no
// longer fits the peer's path MTU once SVR is added leaves as IPv4 fragments of the sealed outer
// packet; the peer reassembles them (§2.14.1) and the server receives the packet byte-identical.
// Over an IPv6 peer path the outer IPv6 packet is fragmented by the router with a fragment
// header (RFC 8200 §4.5), and the peer reassembles it.
#include <string>

#include <catch2/catch.hpp>

#include "fragment_util.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "pipeline/outer_fragment.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

// A voice packet (10.10.2.10:40000 -> 10.20.2.5:5060 UDP) whose IP packet is `ip_length` bytes.
PacketSpec Voice(uint32_t ip_length, bool df, uint16_t id = 0x4242) {
  PacketSpec s = VoiceSpec(40000, Keep(Pattern(ip_length - 28)));
  s.dont_fragment = df;
  s.ipv4_id = id;
  return s;
}

// Checks that `frames` (consecutive WAN frames, untagged) are the IPv4 fragments of one outer
// packet, each within `mtu`, well formed (header checksum, 8-byte aligned contiguous offsets, MF on
// all but the last, DF clear, one identification); returns the outer packet's total length.
uint32_t CheckFragments(const std::vector<Bytes>& frames, uint32_t mtu) {
  REQUIRE(frames.size() >= 2);
  constexpr size_t l3 = 14;
  uint32_t next = 0;
  uint32_t header = 0;
  const uint16_t id = packet::LoadBe16(frames[0].data() + l3 + 4);
  for (size_t i = 0; i < frames.size(); ++i) {
    const uint8_t* ip = frames[i].data() + l3;
    INFO("fragment " << i);
    REQUIRE((ip[0] >> 4) == 4);
    header = uint32_t{ip[0] & 0x0fu} * 4;
    const uint32_t total = packet::LoadBe16(ip + 2);
    CHECK(total == frames[i].size() - l3);
    CHECK(total <= mtu);
    CHECK(packet::VerifyIpv4HeaderChecksum({ip, header}));
    CHECK(packet::LoadBe16(ip + 4) == id);
    const uint16_t frag = packet::LoadBe16(ip + 6);
    CHECK((frag & packet::kIpv4FlagDontFragment) == 0);
    const bool last = i + 1 == frames.size();
    CHECK(((frag & packet::kIpv4FlagMoreFragments) != 0) == !last);
    CHECK(static_cast<uint32_t>(frag & packet::kIpv4FragmentOffsetMask) * 8 == next);
    const uint32_t data = total - header;
    if (!last) {
      CHECK(data % 8 == 0);
      CHECK(total + 8 > mtu);  // as full as the MTU allows
    }
    next += data;
  }
  return header + next;
}

std::string WithPathMtu(uint32_t mtu) {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "addresses: \"192.0.2.2\"",
                 "addresses: \"192.0.2.2\" path_mtu: " + std::to_string(mtu));
  return Replace(text, "addresses: \"192.0.2.1\"",
                 "addresses: \"192.0.2.1\" path_mtu: " + std::to_string(mtu));
}

TEST_CASE("Outer fragments: a 1500-byte UDP packet without DF crosses a 1500 path as 2 outer "
          "fragments and reaches the server byte-identical, both directions",
          "[pipeline][pmtu][outer-fragment]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  // The session's first packet (metadata added), then the reply, then a packet without metadata.
  const PacketSpec first = Voice(1500, false, 0x1111);
  rig.FromClient(rig.ClientFrame(first));
  rig.Step();
  REQUIRE(rig.wire_a_to_b_.size() == 2);
  CHECK(CheckFragments(rig.wire_a_to_b_, 1500) > 1500);
  CHECK(packet::LoadBe16(rig.wire_a_to_b_[0].data() + 14 + 4) == 0x1111);  // the inner id
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(first));
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 2);
  CHECK(Get(rig.b(), PipelineCounter::kIpFragReassembled) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kMdReceivedForward) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kExceedsMtuDfClear) == 0);
  CHECK(rig.to_client_.empty());  // nobody is told anything

  const PacketSpec reply = Reversed(Voice(1500, false, 0x2222));
  rig.FromServer(rig.ServerFrame(reply));
  rig.Step();
  REQUIRE(rig.wire_b_to_a_.size() == 2);
  CheckFragments(rig.wire_b_to_a_, 1500);
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.to_client_[0] == rig.AtClient(reply));
  CHECK(Get(rig.b(), PipelineCounter::kOuterFragmented) == 2);

  rig.wire_a_to_b_.clear();
  const PacketSpec again = Voice(1500, false, 0x3333);
  rig.FromClient(rig.ClientFrame(again));
  rig.Step();
  REQUIRE(rig.wire_a_to_b_.size() == 2);
  CheckFragments(rig.wire_a_to_b_, 1500);
  REQUIRE(rig.to_server_.size() == 2);
  CHECK(rig.to_server_[1] == rig.AtServer(again));
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 4);
  // A packet that fits is not fragmented.
  rig.wire_a_to_b_.clear();
  rig.FromClient(rig.ClientFrame(Voice(1400, false)));
  rig.Step();
  REQUIRE(rig.wire_a_to_b_.size() == 1);
  CHECK(packet::LoadBe16(rig.wire_a_to_b_[0].data() + 14 + 6) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 4);
}

TEST_CASE("Outer fragments: a peer with path_mtu 1280 gets fragments of at most 1280 bytes",
          "[pipeline][pmtu][outer-fragment]") {
  RigOptions o;
  o.config = LoadConfig(WithPathMtu(1280));
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  for (const uint32_t size : {1300u, 1500u}) {
    rig.wire_a_to_b_.clear();
    rig.to_server_.clear();
    const PacketSpec p = Voice(size, false);
    rig.FromClient(rig.ClientFrame(p));
    rig.Step();
    REQUIRE(rig.wire_a_to_b_.size() == 2);
    CheckFragments(rig.wire_a_to_b_, 1280);
    REQUIRE(rig.to_server_.size() == 1);
    CHECK(rig.to_server_[0] == rig.AtServer(p));
  }
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 4);
  // With DF the sender is still told instead.
  rig.wire_a_to_b_.clear();
  rig.FromClient(rig.ClientFrame(Voice(1500, true)));
  rig.Step();
  CHECK(rig.wire_a_to_b_.empty());
  CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 4);
}

TEST_CASE("Outer fragments: a datagram router A reassembled from LAN fragments is delivered whole "
          "through outer fragments",
          "[pipeline][pmtu][outer-fragment][ip-fragment]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  for (const uint32_t size : {2000u, 3500u}) {
    DYNAMIC_SECTION(size << "-byte datagram") {
      const PacketSpec req = Voice(size, false, 77);
      const auto frags = Fragments(rig.ClientFrame(req), {1480}, 77);
      for (const Bytes& f : frags) rig.FromClient(f);
      rig.Step();
      CHECK(Get(rig.a(), PipelineCounter::kIpFragReassembled) == 1);
      const size_t expected = size == 2000 ? 2 : 3;
      REQUIRE(rig.wire_a_to_b_.size() == expected);
      CheckFragments(rig.wire_a_to_b_, 1500);
      CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == expected);
      // Over B's LAN MTU (1500): IP fragments again, the same datagram once put together.
      REQUIRE(rig.to_server_.size() == expected);
      CHECK(Get(rig.b(), PipelineCounter::kLanFragmented) == expected);
      CHECK(Reassemble(rig.to_server_, 1500) == rig.AtServer(req));
    }
  }
}

TEST_CASE("Outer fragments: over an IPv6 peer path a DF-clear IPv4 packet leaves as outer IPv6 "
          "fragments with a fragment header",
          "[pipeline][pmtu][outer-fragment]") {
  RigOptions o;
  o.config = LoadConfig(PeerOverIpv6(std::string(config::DefaultConfigText())));
  Rig rig(o);
  rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
  rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
  rig.AddServer("10.20.2.5");
  // Fits (the IPv6 outer header is 20 bytes larger): forwarded.
  rig.FromClient(rig.ClientFrame(Voice(1000, false)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  const size_t wire_before = rig.wire_a_to_b_.size();
  for (const uint16_t id : {0x0101, 0x0202}) {
    const PacketSpec p = Voice(1500, false, id);
    rig.FromClient(rig.ClientFrame(p));
    rig.Step();
    REQUIRE(rig.wire_a_to_b_.size() == wire_before + 2);
    const std::vector<Bytes> wire(rig.wire_a_to_b_.begin() + static_cast<long>(wire_before),
                                  rig.wire_a_to_b_.end());
    rig.wire_a_to_b_.resize(wire_before);
    // Both are IPv6 fragments within the path MTU, with a fragment header (RFC 8200 §4.5).
    for (const Bytes& f : wire) {
      packet::PacketInfo info;
      REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
      CHECK(info.ip_version == 6);
      CHECK(info.is_fragment);
      CHECK(info.l3_length <= 1500);
    }
    CHECK(Reassemble(wire, 1500).size() > 1514);
    REQUIRE(rig.to_server_.size() == 2);
    // The IPv4 header was carried in no IPv4 outer header: B rebuilt it (id 0, DF clear); the
    // rest is the client's packet.
    Bytes expected = rig.AtServer(p);
    packet::StoreBe16(expected.data() + 14 + 4, 0);
    packet::StoreBe16(expected.data() + 14 + 10, 0);
    packet::StoreBe16(expected.data() + 14 + 10, packet::Ipv4HeaderChecksum({expected.data() + 14, 20}));
    CHECK(rig.to_server_[1] == expected);
    rig.to_server_.resize(1);
  }
  CHECK(Get(rig.a(), PipelineCounter::kExceedsMtuDfClear) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 4);
  CHECK(Get(rig.b(), PipelineCounter::kIpFragReassembled) == 2);
}

// SplitIpv4 on its own: offsets, flags, lengths, checksums; refusals leave the frame unchanged.
TEST_CASE("SplitIpv4 splits an IPv4 packet into RFC 791 fragments and refuses what it must not "
          "split",
          "[pipeline][outer-fragment]") {
  PacketSpec s = Voice(3000, false, 0x5150);
  s.src_mac = kClientMac;
  const Bytes whole = Rig::Build(s);
  std::vector<Bytes> store(4, Bytes(4096));
  auto frame = [&](size_t i) {
    io::Frame f;
    f.data = store[i].data();
    f.capacity = static_cast<uint32_t>(store[i].size());
    return f;
  };
  io::Frame first = frame(0);
  std::copy(whole.begin(), whole.end(), first.data);
  first.length = static_cast<uint32_t>(whole.size());
  REQUIRE(Ipv4FragmentCount(20, 3000, 1280) == 3);  // 1256 + 1256 + 468 data bytes
  CHECK(Ipv4FragmentCount(20, 1280, 1280) == 1);
  CHECK(Ipv4FragmentData(20, 1283) == 1256);
  io::Frame rest[2] = {frame(1), frame(2)};
  SECTION("split") {
    REQUIRE(SplitIpv4(first, 14, 1283, rest));
    std::vector<Bytes> out = {Bytes(first.data, first.data + first.length),
                              Bytes(rest[0].data, rest[0].data + rest[0].length),
                              Bytes(rest[1].data, rest[1].data + rest[1].length)};
    CHECK(CheckFragments(out, 1283) == 3000);
    CHECK(out[0].size() == 14 + 1276);
    CHECK(out[2].size() == 14 + 20 + 2980 - 2 * 1256);
    CHECK(packet::LoadBe16(out[1].data() + 18) == 0x5150);
    // The data, put back together, is the original's; the L2 header is copied to each.
    Bytes data;
    for (const Bytes& b : out) {
      CHECK(std::equal(b.begin(), b.begin() + 14, whole.begin()));
      data.insert(data.end(), b.begin() + 34, b.end());
    }
    CHECK(std::equal(data.begin(), data.end(), whole.begin() + 34, whole.end()));
  }
  SECTION("refused") {
    const Bytes before(first.data, first.data + first.length);
    CHECK_FALSE(SplitIpv4(first, 14, 1283, std::span<io::Frame>(rest, 1)));  // wrong count
    io::Frame small[2] = {frame(1), frame(2)};
    small[1].capacity = 100;
    CHECK_FALSE(SplitIpv4(first, 14, 1283, small));                          // no room
    first.data[14 + 6] = 0x40;                                                // DF set
    CHECK_FALSE(SplitIpv4(first, 14, 1283, rest));
    first.data[14 + 6] = 0x20;                                                // a fragment already
    CHECK_FALSE(SplitIpv4(first, 14, 1283, rest));
    first.data[14 + 6] = 0;
    CHECK(Bytes(first.data, first.data + first.length) == before);
    CHECK(first.length == whole.size());
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
