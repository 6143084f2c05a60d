// SPDX-License-Identifier: Apache-2.0
// SVR fragmentation (docs/protocol.md §2.14) makes no heap allocation: the sender's fragments come
// from the frame pool, the receiver's reassembly slots were allocated at creation; a dry pool
// drops the packet whole (no_frame) and every frame goes back.
#include <array>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_port.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("SVR fragments are made and reassembled without heap allocation, a dry pool drops the "
          "packet whole",
          "[pipeline][alloc][svr-fragment]") {
  auto cfg = DefaultConfig();
  PipelineOptions oa;
  oa.config = cfg;
  oa.max_sessions = 4096;
  SinkRig rig(oa, 32);
  CapturePort a_wan(&rig.pool);
  rig.a().Bind(kWan, &a_wan);

  // First packets of new voice flows, 1484 bytes with DF: each opens a session with metadata.
  constexpr int kFlows = 200;
  std::vector<Bytes> first;
  for (int i = 0; i < kFlows + 2; ++i) {
    packet::PacketSpec u =
        VoiceSpec(static_cast<uint16_t>(20000 + i), Keep(Bytes(1484 - 28, 0x42)));
    u.src_mac = kClientMac;
    u.dont_fragment = true;
    first.push_back(Rig::Build(u));
  }
  uint64_t now = kStartMs;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    rig.Run(p, iface, data, len, now);
  };
  // One flow: A fragments it, B gets the fragments last one first.
  auto flow = [&](int i) {
    a_wan.count = 0;
    run(rig.a(), kLan, first[i].data(), first[i].size());
    for (size_t k = a_wan.count; k-- > 0;) run(rig.b(), kWan, a_wan.data(k), a_wan.lengths[k]);
  };
  flow(0);  // warm-up outside the count (OpenSSL's lazy per-thread state)
  const auto& ca = rig.a().counters();
  const auto& cb = rig.b().counters();
  REQUIRE(ca.Get(PipelineCounter::kSvrFragmentedPackets) == 1);
  REQUIRE(cb.Get(PipelineCounter::kSvrFragReassembled) == 1);
  REQUIRE(rig.b_lan.sent == 1);
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 1; i <= kFlows; ++i) {
      now += 1;
      flow(i);
    }
  });
  CHECK(allocations == 0);
  CHECK(ca.Get(PipelineCounter::kSvrFragmentedPackets) == kFlows + 1);
  CHECK(cb.Get(PipelineCounter::kSvrFragReassembled) == kFlows + 1);
  CHECK(rig.b_lan.sent == kFlows + 1);
  CHECK(rig.pool.available() == 32);

  // Leave only the packet's own frame: the second fragment has none. Nothing is sent.
  std::vector<io::Frame> held(31);
  REQUIRE(rig.pool.Allocate(held) == 31);
  const size_t sent = a_wan.sent;
  a_wan.count = 0;
  run(rig.a(), kLan, first[kFlows + 1].data(), first[kFlows + 1].size());
  CHECK(a_wan.sent == sent);
  CHECK(ca.Get(PipelineCounter::kNoPool) == 1);
  CHECK(ca.Get(PipelineCounter::kSvrFragmentedPackets) == kFlows + 1);
  rig.pool.Free(held);
  CHECK(rig.pool.available() == 32);
}

}  // namespace
}  // namespace ssr::pipeline::testing
