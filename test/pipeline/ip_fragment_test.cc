// SPDX-License-Identifier: Apache-2.0
// IP fragments through two routers (docs/protocol.md §2.14.1): a datagram a LAN host fragmented,
// or a peer's SVR packet the network fragmented, is reassembled and arrives whole; bad fragments
// and floods are dropped and counted while memory stays fixed and sessions keep working.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fragment_util.h"
#include "pipeline/ip_reassembly.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 13 + 1);
  return b;
}

PacketSpec Voice(size_t payload, uint16_t sport = 40000, uint16_t id = 0x1234) {
  PacketSpec s = VoiceSpec(sport, Keep(Pattern(payload)));
  s.ipv4_id = id;
  return s;
}

PacketSpec VoiceV6(size_t payload) {
  PacketSpec s;
  s.src = Ip("fd00:10:2::10");
  s.dst = Ip("fd00:20:2::5");
  s.protocol = packet::kIpProtoUdp;
  s.src_port = 40000;
  s.dst_port = 5060;
  s.payload = Keep(Pattern(payload));
  return s;
}

// The default config plus IPv6 prefixes for sales and voice; `v6_wan`: the peers talk IPv6.
std::shared_ptr<const config::Config> DualStack(bool v6_wan) {
  return LoadConfig(DualStackConfigText(v6_wan));
}

TEST_CASE("IP fragments from the LAN: a UDP datagram in 2-3 fragments reaches the server whole, "
          "in order and out of order",
          "[pipeline][ip-fragment]") {
  const std::vector<std::vector<size_t>> orders = {{0, 1, 2}, {2, 0, 1}, {1, 2, 0}};
  for (size_t o = 0; o < orders.size(); ++o) {
    DYNAMIC_SECTION("order " << o) {
      Rig rig;
      rig.AddServer("10.20.2.5");
      const PacketSpec req = Voice(1200);
      const auto frags = Fragments(rig.ClientFrame(req), {504, 1000}, 0x1234);
      for (size_t k : orders[o]) {
        rig.FromClient(frags[k]);
        rig.Step();
      }
      REQUIRE(rig.to_server_.size() == 1);
      CHECK(rig.to_server_[0] == rig.AtServer(req));
      CHECK(Get(rig.a(), PipelineCounter::kIpFragment) == 3);
      CHECK(Get(rig.a(), PipelineCounter::kIpFragReassembled) == 1);
      CHECK(Get(rig.a(), PipelineCounter::kSessionCreated) == 1);
      CHECK(rig.a().reassembly().in_use() == 0);
      // The reply (unfragmented) comes back on the session the reassembled datagram opened.
      PacketSpec rsp = Reversed(req);
      rsp.payload = Keep({'o', 'k'});
      rig.FromServer(rig.ServerFrame(rsp));
      rig.Step();
      REQUIRE(rig.to_client_.size() == 1);
      CHECK(rig.to_client_[0] == rig.AtClient(rsp));
    }
  }
}

TEST_CASE("IP fragments from the LAN: IPv6 (fragment header) over an IPv4 or IPv6 peer path",
          "[pipeline][ip-fragment]") {
  for (const bool v6_wan : {false, true}) {
    DYNAMIC_SECTION((v6_wan ? "IPv6 over IPv6" : "IPv6 over IPv4")) {
      RigOptions o;
      o.config = DualStack(v6_wan);
      Rig rig(o);
      if (v6_wan) {
        rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
        rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
      }
      rig.AddServer("fd00:20:2::5");
      const PacketSpec req = VoiceV6(1100);
      const auto frags = Fragments(rig.ClientFrame(req), {496, 904}, 0xabcdef01);
      rig.FromClient(frags[2]);
      rig.FromClient(frags[0]);
      rig.FromClient(frags[1]);
      rig.Step();
      REQUIRE(rig.to_server_.size() == 1);
      CHECK(rig.to_server_[0] == rig.AtServer(req));
      CHECK(Get(rig.a(), PipelineCounter::kIpFragReassembled) == 1);
    }
  }
}

TEST_CASE("IP fragments from the WAN: a peer's SVR packet fragmented by the network is "
          "reassembled by the receiving router",
          "[pipeline][ip-fragment]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  std::vector<Bytes> held;
  rig.cable = [&](Bytes& f, bool a_to_b) {
    if (!a_to_b) return true;
    held.push_back(f);
    return false;
  };
  const PacketSpec req = Voice(1200);
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  REQUIRE(held.size() == 1);
  rig.cable = nullptr;
  // A router between the peers splits the outer packet; the pieces arrive out of order.
  packet::PacketInfo outer;
  REQUIRE(packet::ParseFrame(held[0], &outer) == packet::ParseResult::kOk);
  const auto frags = Fragments(held[0], {600}, outer.fragment_id);
  rig.IntoB(frags[1]);
  rig.IntoB(frags[0]);
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(req));
  CHECK(Get(rig.b(), PipelineCounter::kIpFragment) == 2);
  CHECK(Get(rig.b(), PipelineCounter::kIpFragReassembled) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
}

TEST_CASE("IP fragments from the WAN: an IPv6 outer packet in fragments (fragment header added by "
          "the sending host's stack) is reassembled too",
          "[pipeline][ip-fragment]") {
  RigOptions o;
  o.config = DualStack(true);
  Rig rig(o);
  rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
  rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
  rig.AddServer("fd00:20:2::5");
  std::vector<Bytes> held;
  rig.cable = [&](Bytes& f, bool a_to_b) {
    if (!a_to_b) return true;
    held.push_back(f);
    return false;
  };
  const PacketSpec req = VoiceV6(1100);
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  REQUIRE(held.size() == 1);
  rig.cable = nullptr;
  const auto frags = Fragments(held[0], {304, 800}, 0x5150);
  rig.IntoB(frags[2]);
  rig.IntoB(frags[0]);
  rig.IntoB(frags[1]);
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(req));
  CHECK(Get(rig.b(), PipelineCounter::kIpFragReassembled) == 1);
}

TEST_CASE("IP fragments, bad input: overlapping, tiny, duplicate, too many and never-completed "
          "fragments are each dropped and counted, nothing incomplete reaches the server",
          "[pipeline][ip-fragment]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  const Bytes whole = rig.ClientFrame(Voice(1200));
  SECTION("overlapping") {
    rig.FromClient(FragmentOf(whole, {0, 512, false}, 1));
    rig.FromClient(FragmentOf(whole, {504, 1000, false}, 1));
    rig.FromClient(FragmentOf(whole, {1000, 1208, true}, 1));
    rig.Step();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragOverlap) == 1);
    CHECK(Get(rig.a(), PipelineCounter::kIpFragDiscarded) == 1);
    CHECK(rig.to_server_.empty());
  }
  SECTION("tiny first fragment (the TCP header cut)") {
    PacketSpec syn = Voice(100);
    syn.protocol = packet::kIpProtoTcp;
    syn.tcp_flags = packet::kTcpSyn;
    const auto frags = Fragments(rig.ClientFrame(syn), {16}, 2);
    rig.FromClient(frags[0]);
    rig.FromClient(frags[1]);
    rig.Step();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragTiny) == 1);
    CHECK(Get(rig.a(), PipelineCounter::kParseError) == 0);
    CHECK(rig.a().sessions().size() == 0);
    CHECK(rig.to_server_.empty());
    rig.Advance(5000);
    rig.Expire();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragTimeout) == 1);  // the rest never completes
  }
  SECTION("duplicate") {
    const auto frags = Fragments(whole, {504}, 3);
    rig.FromClient(frags[0]);
    rig.FromClient(frags[0]);
    rig.FromClient(frags[1]);
    rig.FromClient(frags[1]);  // after completion: a new datagram's first piece, never completed
    rig.Step();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragDuplicate) == 1);
    CHECK(rig.to_server_.size() == 1);
    CHECK(rig.a().reassembly().in_use() == 1);
  }
  SECTION("too many") {
    for (uint32_t i = 0; i <= IpReassembly::kMaxFragments; ++i) {
      rig.FromClient(FragmentOf(whole, {i * 8, i * 8 + 8, false}, 4));
    }
    rig.Step();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragTooMany) == 1);
  }
  SECTION("never completed") {
    rig.FromClient(FragmentOf(whole, {0, 504, false}, 5));
    rig.Step();
    CHECK(rig.a().reassembly().in_use() == 1);
    rig.Advance(rig.cfg_->limits.ip_reassembly_timeout_ms - 1);
    rig.Expire();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragTimeout) == 0);
    rig.Advance(1);
    rig.Expire();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragTimeout) == 1);
    CHECK(rig.a().reassembly().in_use() == 0);
    rig.FromClient(FragmentOf(whole, {504, 1208, true}, 5));  // too late: starts a new datagram
    rig.Step();
    CHECK(rig.to_server_.empty());
  }
}

TEST_CASE("IP fragments: an IPv6 datagram whose reassembly is a fragment again (two fragment "
          "headers) is dropped and counted",
          "[pipeline][ip-fragment]") {
  RigOptions o;
  o.config = DualStack(false);
  Rig rig(o);
  rig.AddServer("fd00:20:2::5");
  // A fragment of a fragment, under the same id: the first piece's parse sees the inner fragment
  // header last (its data starts after it: 192 bytes), the others' the outer one, so all land in
  // one slot; the 8 bytes the inner header took are sent again to close the gap.
  const Bytes inner = FragmentOf(rig.ClientFrame(VoiceV6(1100)), {0, 504, false}, 1);
  for (const Bytes& f : Fragments(inner, {200}, 1)) rig.FromClient(f);
  rig.FromClient(FragmentOf(inner, {192, 200, false}, 1));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kIpFragNested) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kIpFragReassembled) == 0);
  CHECK(rig.to_server_.empty());
  CHECK(rig.a().sessions().size() == 0);
}

TEST_CASE("IP fragments: a datagram too large to process whole fails with a counter, never "
          "silently",
          "[pipeline][ip-fragment]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  SECTION("more than 9216 bytes of data") {
    const auto frags = Fragments(rig.ClientFrame(Voice(9300)),
                                 {1480, 2960, 4440, 5920, 7400, 8880}, 6);
    for (const Bytes& f : frags) rig.FromClient(f);
    rig.Step();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragTooBig) == 1);
    CHECK(Get(rig.a(), PipelineCounter::kIpFragReassembled) == 0);
    CHECK(rig.to_server_.empty());
    CHECK(rig.wire_a_to_b_.empty());
  }
  SECTION("reassembled, over the WAN MTU once encapsulated: sent as outer fragments") {
    const PacketSpec req = Voice(2000, 40000, 7);
    const auto frags = Fragments(rig.ClientFrame(req), {1480}, 7);
    for (const Bytes& f : frags) rig.FromClient(f);
    rig.Step();
    CHECK(Get(rig.a(), PipelineCounter::kIpFragReassembled) == 1);
    // A reassembled datagram has no DF: its outer packet leaves as IPv4 fragments
    // (docs/protocol.md §2.14.2) and the server gets it whole.
    CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 2);
    CHECK(Get(rig.a(), PipelineCounter::kExceedsMtuDfClear) == 0);
    // B reassembles the outer packet; the 2000-byte datagram is over its LAN MTU (1500): it
    // leaves as 2 IP fragments again (§2.14.2).
    REQUIRE(rig.to_server_.size() == 2);
    CHECK(Get(rig.b(), PipelineCounter::kLanFragmented) == 2);
    CHECK(Reassemble(rig.to_server_, 1500) == rig.AtServer(req));
  }
}

TEST_CASE("IP fragments: a flood of first fragments fills the fixed pool, each further one is "
          "counted, memory stays the same and an established session keeps working",
          "[pipeline][ip-fragment]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  const size_t slots = rig.cfg_->limits.ip_reassembly_slots;
  const size_t bytes = rig.a().reassembly().memory_bytes();
  CHECK(rig.a().reassembly().capacity() == slots);
  // An established session (unfragmented packets both ways).
  const PacketSpec req = Voice(100, 41000);
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  PacketSpec rsp = Reversed(req);
  rig.FromServer(rig.ServerFrame(rsp));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  REQUIRE(rig.to_client_.size() == 1);

  const Bytes whole = rig.ClientFrame(Voice(1200));
  const size_t flood = slots + 200;
  for (size_t id = 0; id < flood; ++id) {
    rig.FromClient(FragmentOf(whole, {0, 504, false}, static_cast<uint32_t>(id)));
    if (id % 32 == 31) {
      rig.Step();
      // The session's packets pass in the middle of the flood.
      rig.FromClient(rig.ClientFrame(req));
      rig.FromServer(rig.ServerFrame(rsp));
    }
  }
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kIpFragPoolFull) == flood - slots);
  CHECK(rig.a().reassembly().in_use() == slots);
  CHECK(rig.a().reassembly().memory_bytes() == bytes);
  const size_t rounds = flood / 32;
  CHECK(rig.to_server_.size() == 1 + rounds);
  CHECK(rig.to_client_.size() == 1 + rounds);
  CHECK(rig.a().sessions().size() == 1);
  // From the WAN side too: fragments from the peer's address fill B's pool, not A's.
  const Bytes outer = rig.wire_a_to_b_.back();
  for (size_t id = 0; id < flood; ++id) {
    rig.IntoB(FragmentOf(outer, {0, 64, false}, static_cast<uint32_t>(id)));
  }
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kIpFragPoolFull) == flood - slots);
  CHECK(rig.b().reassembly().memory_bytes() == bytes);
  // From an address that is no peer: dropped before the pool.
  Bytes stranger = outer;
  packet::PacketInfo oi;
  REQUIRE(packet::ParseFrame(stranger, &oi) == packet::ParseResult::kOk);
  stranger[oi.l3_offset + 15] = 99;  // 192.0.2.99
  const uint64_t not_peer = Get(rig.b(), PipelineCounter::kWanNotPeer);
  for (uint32_t id = 0; id < 10; ++id) rig.IntoB(FragmentOf(stranger, {0, 64, false}, id));
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kWanNotPeer) == not_peer + 10);
  CHECK(Get(rig.b(), PipelineCounter::kIpFragPoolFull) == flood - slots);
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  CHECK(rig.to_server_.size() == 2 + rounds);

  // Once the held datagrams time out the pool is free again for real fragments.
  rig.Advance(rig.cfg_->limits.ip_reassembly_timeout_ms);
  rig.Expire();
  CHECK(Get(rig.a(), PipelineCounter::kIpFragTimeout) == slots);
  CHECK(rig.a().reassembly().in_use() == 0);
  const PacketSpec big = Voice(1200);
  for (const Bytes& f : Fragments(rig.ClientFrame(big), {504}, 0x1234)) rig.FromClient(f);
  rig.Step();
  REQUIRE(rig.to_server_.size() == 3 + rounds);
  CHECK(rig.to_server_.back() == rig.AtServer(big));
}

TEST_CASE("IP fragments: the pool size and timeout come from limits.ip_reassembly_slots and "
          "ip_reassembly_timeout_ms",
          "[pipeline][ip-fragment]") {
  RigOptions o;
  o.config = LoadConfig(Replace(std::string(config::DefaultConfigText()),
                                "limits { max_sessions: 1048576 }",
                                "limits { max_sessions: 1048576 ip_reassembly_slots: 3 "
                                "ip_reassembly_timeout_ms: 200 }"));
  Rig rig(o);
  CHECK(rig.a().reassembly().capacity() == 3);
  const Bytes whole = rig.ClientFrame(Voice(1200));
  for (uint32_t id = 0; id < 5; ++id) rig.FromClient(FragmentOf(whole, {0, 504, false}, id));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kIpFragPoolFull) == 2);
  rig.Advance(199);
  rig.Expire();
  CHECK(rig.a().reassembly().in_use() == 3);
  rig.Advance(1);
  rig.Expire();
  CHECK(rig.a().reassembly().in_use() == 0);
  CHECK(Get(rig.a(), PipelineCounter::kIpFragTimeout) == 3);
}

}  // namespace
}  // namespace ssr::pipeline::testing
