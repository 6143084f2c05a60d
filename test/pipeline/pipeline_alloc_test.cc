// SPDX-License-Identifier: Apache-2.0
// The pipeline's per-packet work makes no heap allocation: first packets (policy, waypoints,
// session, metadata, encryption, HMAC), egress session creation, the handshake, midstream packets
// in both directions and control packets, counted by a replaced global operator new. The routers
// are driven through ProcessBurst with a sink port that frees what it is given, so the test
// harness itself does not allocate either.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "fragment_util.h"
#include "pipeline_rig.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("Forwarding first packets, handshakes and midstream packets makes no heap allocation",
          "[pipeline][alloc]") {
  auto cfg = DefaultConfig();
  PipelineOptions oa;
  oa.config = cfg;
  oa.max_sessions = 4096;
  SinkRig rig(oa);
  rig.b().neighbors().SetStatic(kLan, Ip("10.20.1.20"), kServerMac);

  // Frames prepared up front: one UDP (voice) and one TCP (erp, payload-encrypted) flow per port.
  constexpr int kFlows = 200;
  std::vector<Bytes> udp_first, tcp_syn;
  for (int i = 0; i < kFlows; ++i) {
    packet::PacketSpec u = VoiceSpec(static_cast<uint16_t>(20000 + i), Keep(Bytes(100, 0x42)));
    u.src_mac = kClientMac;
    udp_first.push_back(Rig::Build(u));
    packet::PacketSpec t = u;
    t.src = Ip("10.10.1.10");
    t.dst = Ip("10.20.1.20");
    t.protocol = packet::kIpProtoTcp;
    t.dst_port = 443;
    t.tcp_flags = packet::kTcpSyn;
    t.payload = {};
    tcp_syn.push_back(Rig::Build(t));
  }
  uint64_t now = kStartMs;
  // Pushes one frame through router `p` on `iface`.
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    rig.Run(p, iface, data, len, now);
  };
  // Warm-up outside the count: OpenSSL lazily initialises per-thread state on first use.
  run(rig.a(), kLan, udp_first[0].data(), udp_first[0].size());
  run(rig.b(), kWan, rig.a_wan.last.data(), rig.a_wan.last_length);

  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 0; i < kFlows; ++i) {
      now += 1;
      for (const Bytes* first : {&udp_first[i], &tcp_syn[i]}) {
        run(rig.a(), kLan, first->data(), first->size());  // first packet at the ingress
        const std::array<uint8_t, 4096> outer = rig.a_wan.last;
        run(rig.b(), kWan, outer.data(), rig.a_wan.last_length);  // egress creates its session
        for (int k = 0; k < 4; ++k) run(rig.a(), kLan, first->data(), first->size());  // midstream
      }
    }
  });
  CHECK(allocations == 0);
  CHECK(rig.a().counters().Get(PipelineCounter::kSessionCreated) == 2 * kFlows);
  CHECK(rig.b().counters().Get(PipelineCounter::kSessionCreated) >= 2 * kFlows - 1);
  CHECK(rig.b_lan.sent >= 2 * kFlows);
}

TEST_CASE("Adaptive encryption's decision, re-signal and switch make no heap allocation",
          "[pipeline][alloc][adaptive]") {
  // erp (TCP 443, payload-aes) with adaptive encryption on: each session's first client data
  // decides (a TLS ClientHello stays unencrypted, HTTP switches and re-signals TLV 11), the
  // egress applies the switch, the server's reply carries reverse metadata that confirms it.
  const std::string text = Replace(std::string(config::DefaultConfigText()),
                                   "  encryption_keys: \"payload-aes\"\n",
                                   "  encryption_keys: \"payload-aes\"\n  adaptive_encryption: true\n");
  REQUIRE(text != config::DefaultConfigText());
  auto cfg = LoadConfig(text);
  PipelineOptions oa;
  oa.config = cfg;
  oa.max_sessions = 4096;
  SinkRig rig(oa);
  rig.b().neighbors().SetStatic(kLan, Ip("10.20.1.20"), kServerMac);

  constexpr int kFlows = 100;
  const Bytes hello = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03, 0x42};
  const Bytes http = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1'};
  std::vector<Bytes> syn, syn_ack, data, reply;
  for (int i = 0; i < kFlows; ++i) {
    packet::PacketSpec t;
    t.src_mac = kClientMac;
    t.src = Ip("10.10.1.10");
    t.dst = Ip("10.20.1.20");
    t.protocol = packet::kIpProtoTcp;
    t.src_port = static_cast<uint16_t>(30000 + i);
    t.dst_port = 443;
    t.tcp_flags = packet::kTcpSyn;
    t.tcp_seq = 100;
    syn.push_back(Rig::Build(t));
    packet::PacketSpec sa = Reversed(t);
    sa.src_mac = kServerMac;
    sa.tcp_flags = packet::kTcpSyn | packet::kTcpAck;
    sa.tcp_seq = 900;
    sa.tcp_ack = 101;
    syn_ack.push_back(Rig::Build(sa));
    t.tcp_flags = packet::kTcpAck | packet::kTcpPsh;
    t.tcp_seq = 101;
    t.tcp_ack = 901;
    t.payload = Keep(i % 2 == 0 ? hello : http);
    data.push_back(Rig::Build(t));
    packet::PacketSpec r = Reversed(t);
    r.src_mac = kServerMac;
    r.tcp_seq = 901;
    r.tcp_ack = 101 + static_cast<uint32_t>(hello.size());
    r.payload = Keep(Bytes(20, 0x33));
    reply.push_back(Rig::Build(r));
  }
  uint64_t now = kStartMs;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* frame, size_t len) {
    rig.Run(p, iface, frame, len, now);
  };
  // Warm-up outside the count (OpenSSL's per-thread state).
  run(rig.a(), kLan, syn[0].data(), syn[0].size());
  run(rig.b(), kWan, rig.a_wan.last.data(), rig.a_wan.last_length);

  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 1; i < kFlows; ++i) {
      now += 1;
      run(rig.a(), kLan, syn[i].data(), syn[i].size());
      std::array<uint8_t, 4096> outer = rig.a_wan.last;
      run(rig.b(), kWan, outer.data(), rig.a_wan.last_length);   // egress session
      run(rig.b(), kLan, syn_ack[i].data(), syn_ack[i].size());
      outer = rig.b_wan.last;
      run(rig.a(), kWan, outer.data(), rig.b_wan.last_length);
      run(rig.a(), kLan, data[i].data(), data[i].size());     // decision (and re-signal)
      outer = rig.a_wan.last;
      run(rig.b(), kWan, outer.data(), rig.a_wan.last_length);   // switch applied at the egress
      run(rig.b(), kLan, reply[i].data(), reply[i].size());   // reply with reverse metadata
      outer = rig.b_wan.last;
      run(rig.a(), kWan, outer.data(), rig.b_wan.last_length);   // confirms the switch
    }
  });
  CHECK(allocations == 0);
  CHECK(rig.a().counters().Get(PipelineCounter::kAdaptivePlain) == kFlows / 2 - 1);
  CHECK(rig.a().counters().Get(PipelineCounter::kAdaptiveEncrypted) == kFlows / 2);
  CHECK(rig.b().counters().Get(PipelineCounter::kAdaptiveSwitchApplied) == kFlows / 2);
  CHECK(rig.a().counters().Get(PipelineCounter::kPayloadDecryptFail) == 0);
  CHECK(rig.b().counters().Get(PipelineCounter::kPayloadDecryptFail) == 0);
}

TEST_CASE("Matching, relaying and delivering ICMP errors makes no heap allocation",
          "[pipeline][alloc][icmp-error]") {
  auto cfg = DefaultConfig();
  PipelineOptions oa;
  oa.config = cfg;
  SinkRig rig(oa);
  uint64_t now = kStartMs;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    rig.Run(p, iface, data, len, now);
  };
  // Per flow: the request (opens the sessions), the server's port unreachable about it (relayed
  // by B, delivered by A), and one about a port no session has (dropped).
  constexpr int kFlows = 100;
  std::vector<Bytes> request, error, stray;
  for (int i = 0; i < kFlows; ++i) {
    packet::PacketSpec u = VoiceSpec(static_cast<uint16_t>(20000 + i), Keep(Bytes(40, 0x42)));
    u.src_mac = kClientMac;
    request.push_back(Rig::Build(u));
    for (const uint16_t port : {u.src_port, static_cast<uint16_t>(u.src_port + 1000)}) {
      packet::PacketSpec quoted = u;
      quoted.src_port = port;
      Bytes ip(packet::IpPacketLength(quoted));
      REQUIRE(packet::BuildIp(quoted, ip) == ip.size());
      ip.resize(28);
      packet::PacketSpec e;
      e.src_mac = kServerMac;
      e.src = u.dst;
      e.dst = u.src;
      e.protocol = packet::kIpProtoIcmp;
      e.icmp_type = packet::kIcmpDestUnreachable;
      e.icmp_code = 3;
      e.payload = Keep(std::move(ip));
      (port == u.src_port ? error : stray).push_back(Rig::Build(e));
    }
  }
  run(rig.a(), kLan, request[0].data(), request[0].size());  // warm-up (OpenSSL per-thread state)
  run(rig.b(), kWan, rig.a_wan.last.data(), rig.a_wan.last_length);
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 1; i < kFlows; ++i) {
      now += 1;
      run(rig.a(), kLan, request[i].data(), request[i].size());
      const std::array<uint8_t, 4096> outer = rig.a_wan.last;
      run(rig.b(), kWan, outer.data(), rig.a_wan.last_length);
      run(rig.b(), kLan, error[i].data(), error[i].size());
      const std::array<uint8_t, 4096> relay = rig.b_wan.last;
      run(rig.a(), kWan, relay.data(), rig.b_wan.last_length);
      run(rig.b(), kLan, stray[i].data(), stray[i].size());
    }
  });
  CHECK(allocations == 0);
  CHECK(rig.b().counters().Get(PipelineCounter::kIcmpErrorRelayed) == kFlows - 1);
  CHECK(rig.a().counters().Get(PipelineCounter::kIcmpErrorDelivered) == kFlows - 1);
  CHECK(rig.b().counters().Get(PipelineCounter::kIcmpErrorNoSession) == kFlows - 1);
}

TEST_CASE("Reassembling IP fragments, completing, dropping and expiring them makes no heap "
          "allocation",
          "[pipeline][alloc][ip-fragment]") {
  auto cfg = DefaultConfig();
  PipelineOptions oa;
  oa.config = cfg;
  SinkRig rig(oa);
  uint64_t now = kStartMs;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    rig.Run(p, iface, data, len, now);
  };
  // Per flow: a datagram in 3 fragments (out of order, one duplicated) from the LAN, the outer
  // packet fragmented again toward B, and a first fragment that never completes.
  constexpr int kFlows = 100;
  std::vector<std::vector<Bytes>> frags;
  std::vector<Bytes> stray;
  for (int i = 0; i < kFlows; ++i) {
    packet::PacketSpec u = VoiceSpec(static_cast<uint16_t>(20000 + i), Keep(Bytes(1200, 0x42)));
    u.src_mac = kClientMac;
    const Bytes whole = Rig::Build(u);
    frags.push_back(Fragments(whole, {504, 1000}, static_cast<uint32_t>(i)));
    stray.push_back(FragmentOf(whole, {0, 504, false}, static_cast<uint32_t>(1000 + i)));
  }
  std::vector<Bytes> warm =
      Fragments(Rig::Build(VoiceSpec(19999, Keep(Bytes(1200, 0x41)))), {504}, 5000);
  for (const Bytes& f : warm) run(rig.a(), kLan, f.data(), f.size());  // OpenSSL per-thread state
  run(rig.b(), kWan, rig.a_wan.last.data(), rig.a_wan.last_length);
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 0; i < kFlows; ++i) {
      now += 100;  // strays time out as they go (at most 50 held: the default pool has 64)
      for (const size_t k : {2, 0, 0, 1}) {
        run(rig.a(), kLan, frags[i][k].data(), frags[i][k].size());
      }
      run(rig.a(), kLan, stray[i].data(), stray[i].size());
      std::array<uint8_t, 4096> outer = rig.a_wan.last;
      // Fragment the outer packet in place: two pieces, second first.
      const size_t outer_len = rig.a_wan.last_length;
      packet::PacketInfo info;
      REQUIRE(packet::ParseFrame({outer.data(), outer_len}, &info) == packet::ParseResult::kOk);
      const size_t l3 = info.l3_offset, hl = info.l3_header_length, cut = 600;
      std::array<uint8_t, 4096> piece{};
      for (const bool second : {true, false}) {
        const size_t begin = second ? cut : 0;
        const size_t end = second ? info.l3_length - hl : cut;
        std::copy(outer.begin(), outer.begin() + static_cast<long>(l3 + hl), piece.begin());
        std::copy(outer.begin() + static_cast<long>(l3 + hl + begin),
                  outer.begin() + static_cast<long>(l3 + hl + end),
                  piece.begin() + static_cast<long>(l3 + hl));
        packet::StoreBe16(piece.data() + l3 + 2, static_cast<uint16_t>(hl + end - begin));
        packet::StoreBe16(piece.data() + l3 + 6,
                          static_cast<uint16_t>((second ? 0 : packet::kIpv4FlagMoreFragments) |
                                                (begin / 8)));
        run(rig.b(), kWan, piece.data(), l3 + hl + end - begin);
      }
    }
    now += cfg->limits.ip_reassembly_timeout_ms;
    rig.a().Expire(now, 1u << 20);
  });
  CHECK(allocations == 0);
  CHECK(rig.a().counters().Get(PipelineCounter::kIpFragReassembled) == kFlows + 1);
  CHECK(rig.a().counters().Get(PipelineCounter::kIpFragDuplicate) == kFlows);
  CHECK(rig.a().counters().Get(PipelineCounter::kIpFragTimeout) == kFlows);
  CHECK(rig.b().counters().Get(PipelineCounter::kIpFragReassembled) == kFlows);
  CHECK(rig.b_lan.sent == kFlows + 1);
  CHECK(rig.a().counters().Get(PipelineCounter::kIpFragPoolFull) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
