// SPDX-License-Identifier: Apache-2.0
// Datagrams larger than a frame and packets larger than an egress MTU (docs/protocol.md §2.14.1,
// §2.14.2): a 4000-byte UDP datagram a host sent in IP fragments crosses two routers
// with MTU 1500 everywhere, on IPv4 and IPv6, over IPv4 and IPv6 peer paths, in both directions.
// Router A reassembles it in its large frame, sends the outer packet as IPv4 / IPv6 fragments,
// router B reassembles those and delivers the datagram as IP fragments of at most 1500 bytes;
// what the server puts together is the client's datagram.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fragment_util.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "pipeline/ip_reassembly.h"
#include "pipeline/outer_fragment.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + seed);
  return b;
}

// A UDP datagram of `payload` bytes from the sales client to the voice server.
PacketSpec Datagram(bool v6, size_t payload, uint8_t seed = 1) {
  PacketSpec s = VoiceSpec(40000, Keep(Pattern(payload, seed)));
  if (v6) {
    s.src = Ip("fd00:10:2::10");
    s.dst = Ip("fd00:20:2::5");
  }
  s.ipv4_id = 0x4000 + seed;
  return s;
}

std::unique_ptr<Rig> DualStackRig(bool v6_wan) {
  RigOptions o;
  o.config = LoadConfig(DualStackConfigText(v6_wan));
  auto rig = std::make_unique<Rig>(o);
  if (v6_wan) {
    rig->a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig->b_mac_wan_);
    rig->b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig->a_mac_wan_);
  }
  rig->AddServer("10.20.2.5");
  rig->AddServer("fd00:20:2::5");
  rig->a().neighbors().SetStatic(kLan, Ip("10.10.2.10"), kClientMac);
  rig->a().neighbors().SetStatic(kLan, Ip("fd00:10:2::10"), kClientMac);
  return rig;
}

// What the receiver should put together for `expected`: over an IPv6 peer path an IPv4 header
// is rebuilt by the far router with id 0 before it is fragmented under a fresh id (§2.14.2), so
// the id (and checksum) are taken from what arrived.
Bytes Normalize(Bytes expected, const Bytes& got, bool v4_over_v6) {
  if (!v4_over_v6 || got.size() < 34) return expected;
  std::copy(got.begin() + 18, got.begin() + 20, expected.begin() + 18);
  packet::StoreBe16(expected.data() + 24, 0);
  packet::StoreBe16(expected.data() + 24, packet::Ipv4HeaderChecksum({expected.data() + 14, 20}));
  return expected;
}

// Every WAN frame is within the 1500-byte path MTU, and there are several.
void CheckWire(const std::vector<Bytes>& wire, bool v6_wan) {
  REQUIRE(wire.size() >= 3);
  for (const Bytes& f : wire) {
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
    CHECK(info.ip_version == (v6_wan ? 6 : 4));
    CHECK(info.is_fragment);
    CHECK(info.l3_length <= 1500);
  }
}

TEST_CASE("Big datagrams: a 4000-byte UDP datagram in 3 IP fragments crosses both ways, IPv4 and "
          "IPv6, over IPv4 and IPv6 peer paths, and reaches each end as fragments of <= 1500 "
          "bytes that reassemble to the original",
          "[pipeline][ip-fragment][outer-fragment][lan-fragment]") {
  for (const bool v6 : {false, true}) {
    for (const bool v6_wan : {false, true}) {
      DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4") << " over " << (v6_wan ? "IPv6" : "IPv4")) {
        auto rig = DualStackRig(v6_wan);
        const bool v4_over_v6 = !v6 && v6_wan;
        // Twice: the first datagram carries metadata (the session opens), the second not.
        for (int round = 0; round < 2; ++round) {
          INFO("round " << round);
          rig->wire_a_to_b_.clear();
          rig->wire_b_to_a_.clear();
          rig->to_server_.clear();
          rig->to_client_.clear();
          const PacketSpec req = Datagram(v6, 4000, static_cast<uint8_t>(1 + round));
          const auto frags = Fragments(rig->ClientFrame(req), {1448, 2896},
                                       v6 ? 0x1000u + round : req.ipv4_id);
          REQUIRE(frags.size() == 3);
          for (const Bytes& f : frags) CHECK(f.size() - 14 <= 1500);
          for (const Bytes& f : frags) rig->FromClient(f);
          rig->Step();
          CheckWire(rig->wire_a_to_b_, v6_wan);
          REQUIRE(rig->to_server_.size() == 3);
          const Bytes at_server = Reassemble(rig->to_server_, 1500);
          CHECK(at_server == Normalize(rig->AtServer(req), at_server, v4_over_v6));

          // The server's 4000-byte reply, fragmented by the server, comes back the same way.
          PacketSpec rsp = Reversed(Datagram(v6, 4000, static_cast<uint8_t>(100 + round)));
          const auto rfrags = Fragments(rig->ServerFrame(rsp), {1448, 2896},
                                        v6 ? 0x2000u + round : rsp.ipv4_id);
          for (const Bytes& f : rfrags) rig->FromServer(f);
          rig->Step();
          CheckWire(rig->wire_b_to_a_, v6_wan);
          REQUIRE(rig->to_client_.size() == 3);
          const Bytes at_client = Reassemble(rig->to_client_, 1500);
          CHECK(at_client == Normalize(rig->AtClient(rsp), at_client, v4_over_v6));
        }
        for (Pipeline* p : {&rig->a(), &rig->b()}) {
          CHECK(Get(*p, PipelineCounter::kIpFragLargeBuffer) == 4);  // 2 LAN + 2 WAN datagrams
          CHECK(Get(*p, PipelineCounter::kIpFragTooBig) == 0);
          CHECK(Get(*p, PipelineCounter::kTooBigSent) == 0);
          CHECK(Get(*p, PipelineCounter::kExceedsMtuDfClear) == 0);
          CHECK(Get(*p, PipelineCounter::kLanFragmented) == 6);
          CHECK(Get(*p, PipelineCounter::kLargeFrameUnsent) == 0);
          CHECK(Get(*p, PipelineCounter::kNoPool) == 0);
          CHECK(p->reassembly().in_use() == 0);
        }
        CHECK(Get(rig->a(), PipelineCounter::kSessionCreated) == 1);
      }
    }
  }
}

TEST_CASE("Big datagrams: a 1600-byte IPv6 datagram the client fragmented crosses (no Packet Too "
          "Big: its source already fragmented it)",
          "[pipeline][ip-fragment][outer-fragment][lan-fragment]") {
  for (const bool v6_wan : {false, true}) {
    DYNAMIC_SECTION("over " << (v6_wan ? "IPv6" : "IPv4")) {
      auto rig = DualStackRig(v6_wan);
      const PacketSpec req = Datagram(true, 1600 - 48);
      const auto frags = Fragments(rig->ClientFrame(req), {1200}, 0x77);
      for (const Bytes& f : frags) rig->FromClient(f);
      rig->Step();
      CHECK(Get(rig->a(), PipelineCounter::kTooBigSent) == 0);
      CHECK(rig->to_client_.empty());
      CHECK(Get(rig->a(), PipelineCounter::kOuterFragmented) == 2);
      // 1600 bytes do not fit B's LAN MTU either: IPv6 fragments with a fragment header.
      REQUIRE(rig->to_server_.size() == 2);
      CHECK(Get(rig->b(), PipelineCounter::kLanFragmented) == 2);
      CHECK(Reassemble(rig->to_server_, 1500) == rig->AtServer(req));
      // The same size sent whole by a host is still refused with Packet Too Big.
      rig->FromClient(rig->ClientFrame(Datagram(true, 1600 - 48, 9)));
      rig->Step();
      CHECK(Get(rig->a(), PipelineCounter::kTooBigSent) == 1);
    }
  }
}

TEST_CASE("Big datagrams: the egress refuses what it may not fragment toward its LAN",
          "[pipeline][lan-fragment]") {
  // B's LAN MTU is 1280: a whole 1350-byte packet fits the 1500 path but not B's LAN.
  std::string text = DualStackConfigText(false);
  const size_t lan = text.find("name: \"lan0\"", text.find("name: \"datacenter\""));
  REQUIRE(lan != std::string::npos);
  text.insert(lan, "mtu: 1280 ");
  RigOptions o;
  o.config = LoadConfig(text);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.AddServer("fd00:20:2::5");
  rig.a().neighbors().SetStatic(kLan, Ip("fd00:10:2::10"), kClientMac);
  // The session opens with small packets (the handshake completes, so the large one carries no
  // metadata and fits the path whole).
  auto open = [&](bool v6) {
    rig.FromClient(rig.ClientFrame(Datagram(v6, 100)));
    rig.Step();
    rig.FromServer(rig.ServerFrame(Reversed(Datagram(v6, 100))));
    rig.Step();
    REQUIRE(rig.to_server_.size() == 1);
    REQUIRE(rig.to_client_.size() == 1);
    rig.to_server_.clear();
  };
  SECTION("IPv4 without DF: fragmented to 1280") {
    open(false);
    PacketSpec p = Datagram(false, 1350 - 28);
    p.dont_fragment = false;
    rig.FromClient(rig.ClientFrame(p));
    rig.Step();
    REQUIRE(rig.to_server_.size() == 2);
    CHECK(Reassemble(rig.to_server_, 1280) == rig.AtServer(p));
    CHECK(Get(rig.b(), PipelineCounter::kLanFragmented) == 2);
  }
  SECTION("IPv4 with DF: dropped, counted") {
    open(false);
    PacketSpec p = Datagram(false, 1350 - 28);
    p.dont_fragment = true;
    rig.FromClient(rig.ClientFrame(p));
    rig.Step();
    CHECK(rig.to_server_.empty());
    CHECK(Get(rig.b(), PipelineCounter::kLanExceedsMtu) == 1);
    CHECK(Get(rig.b(), PipelineCounter::kLanFragmented) == 0);
  }
  SECTION("IPv6 sent whole by its source: dropped, counted") {
    open(true);
    rig.FromClient(rig.ClientFrame(Datagram(true, 1350 - 48)));
    rig.Step();
    CHECK(rig.to_server_.empty());
    CHECK(Get(rig.b(), PipelineCounter::kLanExceedsMtu) == 1);
  }
  SECTION("IPv6 the client fragmented: fragmented again to 1280") {
    open(true);
    const PacketSpec p = Datagram(true, 1600 - 48);
    for (const Bytes& f : Fragments(rig.ClientFrame(p), {800}, 5)) rig.FromClient(f);
    rig.Step();
    REQUIRE(rig.to_server_.size() == 2);
    CHECK(Reassemble(rig.to_server_, 1280) == rig.AtServer(p));
    CHECK(Get(rig.b(), PipelineCounter::kLanFragmented) == 2);
  }
}

TEST_CASE("Big datagrams: local breakout over a smaller LAN MTU fragments what it may and tells "
          "the sender otherwise",
          "[pipeline][lan-fragment][pmtu]") {
  // Router A routes voice to a LAN next hop on lan0 itself, whose MTU is 1280.
  std::string text = DualStackConfigText(false);
  text = Replace(text, "service_routes { name: \"voice-via-dc\" service: \"voice\" peer: \"datacenter\" }",
                 "service_routes { name: \"voice-via-dc\" service: \"voice\" next_hop { interface: \"lan0\" } }");
  const size_t lan = text.find("name: \"lan0\"");
  REQUIRE(lan != std::string::npos);
  text.insert(lan, "mtu: 1280 ");
  RigOptions o;
  o.config = LoadConfig(text);
  Rig rig(o);
  rig.a().neighbors().SetStatic(kLan, Ip("10.20.2.5"), kServerMac);
  rig.a().neighbors().SetStatic(kLan, Ip("fd00:20:2::5"), kServerMac);
  auto to_server = [&] {
    std::vector<Bytes> out;
    for (const Bytes& f : rig.to_client_) {
      if (std::equal(kServerMac.begin(), kServerMac.end(), f.begin())) out.push_back(f);
    }
    return out;
  };
  SECTION("IPv4 without DF: fragments of <= 1280") {
    PacketSpec p = Datagram(false, 1400 - 28);
    rig.FromClient(rig.ClientFrame(p));
    rig.Step();
    const auto out = to_server();
    REQUIRE(out.size() == 2);
    Bytes expected = rig.ClientFrame(p);
    std::copy(kServerMac.begin(), kServerMac.end(), expected.begin());
    std::copy(rig.a_mac_lan_.begin(), rig.a_mac_lan_.end(), expected.begin() + 6);
    const Bytes got = Reassemble(out, 1280);
    CHECK(std::equal(got.begin() + 34, got.end(), expected.begin() + 34, expected.end()));
    CHECK(got.size() == expected.size());
    CHECK(Get(rig.a(), PipelineCounter::kLanFragmented) == 2);
    CHECK(Get(rig.a(), PipelineCounter::kLocalBreakout) == 1);
  }
  SECTION("IPv4 with DF and IPv6 sent whole: frag-needed / Packet Too Big with 1280") {
    PacketSpec p = Datagram(false, 1400 - 28);
    p.dont_fragment = true;
    rig.FromClient(rig.ClientFrame(p));
    rig.FromClient(rig.ClientFrame(Datagram(true, 1400 - 48)));
    rig.Step();
    CHECK(to_server().empty());
    REQUIRE(rig.to_client_.size() == 2);
    packet::PacketInfo e4, e6;
    REQUIRE(packet::ParseFrame(rig.to_client_[0], &e4) == packet::ParseResult::kOk);
    REQUIRE(packet::ParseFrame(rig.to_client_[1], &e6) == packet::ParseResult::kOk);
    CHECK(e4.icmp_is_error);
    CHECK(packet::LoadBe16(rig.to_client_[0].data() + e4.l4_offset + 6) == 1280);
    CHECK(e6.icmp_is_error);
    CHECK(packet::LoadBe32(rig.to_client_[1].data() + e6.l4_offset + 4) == 1280);
    CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == 2);
  }
  SECTION("a 4000-byte IPv6 datagram the client fragmented: fragments of <= 1280") {
    const PacketSpec p = Datagram(true, 4000);
    for (const Bytes& f : Fragments(rig.ClientFrame(p), {1448, 2896}, 3)) rig.FromClient(f);
    rig.Step();
    const auto out = to_server();
    REQUIRE(out.size() == 4);
    const Bytes got = Reassemble(out, 1280);
    const Bytes expected = rig.ClientFrame(p);
    CHECK(std::equal(got.begin() + 54, got.end(), expected.begin() + 54, expected.end()));
    CHECK(Get(rig.a(), PipelineCounter::kIpFragLargeBuffer) == 1);
    CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == 0);
  }
}

TEST_CASE("Big datagrams: a path that does not split (a TCP reset answering a reassembled "
          "segment) copies the large frame into a pool frame",
          "[pipeline][ip-fragment][svr-7.27]") {
  Rig rig;
  // A 4000-byte TCP segment without SYN in 3 fragments: no session, answered with an RST built
  // in the large frame the segment was reassembled in.
  PacketSpec ack;
  ack.src = Ip("10.10.1.10");
  ack.dst = Ip("10.20.1.20");
  ack.protocol = packet::kIpProtoTcp;
  ack.src_port = 41000;
  ack.dst_port = 443;
  ack.tcp_flags = packet::kTcpAck;
  ack.tcp_seq = 777;
  ack.tcp_ack = 999;
  ack.payload = Keep(Pattern(4000, 5));
  ack.ipv4_id = 0x5151;
  for (const Bytes& f : Fragments(rig.ClientFrame(ack), {1448, 2896}, 0x5151)) rig.FromClient(f);
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kIpFragLargeBuffer) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kTcpNotSynReset) == 1);
  CHECK(rig.wire_a_to_b_.empty());
  REQUIRE(rig.to_client_.size() == 1);
  PacketSpec rst;
  rst.src = ack.dst;
  rst.dst = ack.src;
  rst.protocol = packet::kIpProtoTcp;
  rst.src_port = 443;
  rst.dst_port = 41000;
  rst.tcp_flags = packet::kTcpRst;
  rst.tcp_seq = 999;
  rst.tcp_window = 0;
  rst.src_mac = rig.a_mac_lan_;
  rst.dst_mac = kClientMac;
  CHECK(rig.to_client_[0] == Rig::Build(rst));
  CHECK(Get(rig.a(), PipelineCounter::kLargeFrameUnsent) == 0);
}

TEST_CASE("Big datagrams: frame pool exhaustion sends nothing of a datagram and counts no_frame",
          "[pipeline][lan-fragment][outer-fragment]") {
  auto rig = DualStackRig(false);
  // Open the session with a small packet first.
  rig->FromClient(rig->ClientFrame(Datagram(false, 100)));
  rig->Step();
  REQUIRE(rig->to_server_.size() == 1);
  rig->wire_a_to_b_.clear();
  // Take every free frame of A's pool: the 3 fragments were received into frames already; the
  // two A frees once it holds them are not enough for the 3 outer fragments.
  std::vector<io::Frame> taken;
  io::FramePool& pool = rig->pool_a();
  const PacketSpec req = Datagram(false, 4000, 7);
  const auto frags = Fragments(rig->ClientFrame(req), {1448, 2896}, req.ipv4_id);
  for (const Bytes& f : frags) rig->FromClient(f);  // injected into frames now
  io::Frame f;
  while (pool.available() > 0 && pool.Allocate({&f, 1}) == 1) taken.push_back(f);
  rig->Step();
  CHECK(rig->wire_a_to_b_.empty());  // nothing half-sent
  CHECK(Get(rig->a(), PipelineCounter::kNoPool) == 1);
  CHECK(Get(rig->a(), PipelineCounter::kOuterFragmented) == 0);
  CHECK(pool.available() == 3);  // the received frames went back, nothing leaked
  pool.Free(taken);
  taken.clear();
  // With frames again, the next datagram crosses.
  for (const Bytes& g : Fragments(rig->ClientFrame(req), {1448, 2896}, req.ipv4_id)) {
    rig->FromClient(g);
  }
  rig->Step();
  CHECK(rig->wire_a_to_b_.size() == 3);
  REQUIRE(rig->to_server_.size() == 4);
  CHECK(Reassemble({rig->to_server_.begin() + 1, rig->to_server_.end()}, 1500) ==
        rig->AtServer(req));

  // The same at B toward its LAN: when the last outer fragment arrives, B's pool has no frame
  // left but the one it is received into; the 3 LAN fragments cannot all get one.
  io::FramePool& pool_b = rig->pool_b();
  int crossing = 0;
  rig->cable = [&](Bytes&, bool a_to_b) {
    if (a_to_b && ++crossing == 3) {
      io::Frame g;
      while (pool_b.available() > 1 && pool_b.Allocate({&g, 1}) == 1) taken.push_back(g);
    }
    return true;
  };
  rig->to_server_.clear();
  for (const Bytes& g : Fragments(rig->ClientFrame(req), {1448, 2896}, req.ipv4_id)) {
    rig->FromClient(g);
  }
  rig->Step();
  CHECK(crossing == 3);
  CHECK(rig->to_server_.empty());  // nothing half-sent
  CHECK(Get(rig->b(), PipelineCounter::kNoPool) == 1);
  CHECK(Get(rig->b(), PipelineCounter::kLanFragmented) == 3);  // the earlier datagram's only
  pool_b.Free(taken);
}

// SplitIpv6 on its own: fragment headers, offsets, lengths; refusals leave the frame unchanged.
TEST_CASE("SplitIpv6 splits an IPv6 packet into RFC 8200 fragments in place or into copies",
          "[pipeline][outer-fragment]") {
  PacketSpec s = Datagram(true, 3000);
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
  const uint32_t total = static_cast<uint32_t>(whole.size() - 14);
  REQUIRE(Ipv6FragmentCount(total, 1280) == 3);  // 1232 + 1232 + 584 data bytes
  CHECK(Ipv6FragmentCount(1280, 1280) == 1);
  CHECK(Ipv6FragmentData(1283) == 1232);
  auto check = [&](const std::vector<Bytes>& out) {
    for (const Bytes& b : out) {
      CHECK(std::equal(b.begin(), b.begin() + 14, whole.begin()));
      packet::PacketInfo info;
      REQUIRE(packet::ParseFrame(b, &info) == packet::ParseResult::kOk);
      CHECK(info.fragment_id == 0xfeedbeef);
      CHECK(b[14 + 6] == packet::kIpProtoFragment);
      CHECK(b[14 + 40] == packet::kIpProtoUdp);
    }
    CHECK(Reassemble(out, 1283) == whole);
  };
  SECTION("in place") {
    io::Frame rest[2] = {frame(1), frame(2)};
    REQUIRE(SplitIpv6(first, 14, 1283, 0xfeedbeef, rest));
    CHECK(first.length == 14 + 48 + 1232);
    check({Bytes(first.data, first.data + first.length),
           Bytes(rest[0].data, rest[0].data + rest[0].length),
           Bytes(rest[1].data, rest[1].data + rest[1].length)});
  }
  SECTION("into copies, the source unchanged") {
    io::Frame out[3] = {frame(1), frame(2), frame(3)};
    REQUIRE(SplitIpv6(first, 14, 1283, 0xfeedbeef, out, /*in_place=*/false));
    CHECK(Bytes(first.data, first.data + first.length) == whole);
    check({Bytes(out[0].data, out[0].data + out[0].length),
           Bytes(out[1].data, out[1].data + out[1].length),
           Bytes(out[2].data, out[2].data + out[2].length)});
  }
  SECTION("refused") {
    io::Frame rest[2] = {frame(1), frame(2)};
    CHECK_FALSE(SplitIpv6(first, 14, 1283, 1, std::span<io::Frame>(rest, 1)));  // wrong count
    io::Frame small[2] = {frame(1), frame(2)};
    small[1].capacity = 100;
    CHECK_FALSE(SplitIpv6(first, 14, 1283, 1, small));  // no room
    first.data[14 + 6] = packet::kIpProtoHopByHop;       // an extension header first
    CHECK_FALSE(SplitIpv6(first, 14, 1283, 1, rest));
    first.data[14 + 6] = packet::kIpProtoUdp;
    CHECK(Bytes(first.data, first.data + first.length) == whole);
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
