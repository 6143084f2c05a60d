// SPDX-License-Identifier: Apache-2.0
// Outer IPv4 fragmentation (docs/protocol.md §2.14.2) takes its frames from the worker's pool and
// allocates nothing; when the pool cannot give every fragment a frame, none is sent and the
// packet is counted (no_frame), and every frame goes back to the pool.
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_port.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("Outer fragments come from the frame pool without heap allocation, a dry pool drops the "
          "packet whole",
          "[pipeline][alloc][pmtu][outer-fragment]") {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "addresses: \"192.0.2.2\"", "addresses: \"192.0.2.2\" path_mtu: 1280");
  PipelineOptions oa;
  oa.config = LoadConfig(text);
  SinkRouter rig(oa, 16);
  // 3000 bytes without DF: three fragments of at most 1280 bytes.
  packet::PacketSpec u = VoiceSpec(20000, Keep(Bytes(3000 - 28, 0x42)));
  u.src_mac = kClientMac;
  const Bytes big = Rig::Build(u);
  uint64_t now = kStartMs;
  auto run = [&] { rig.FromLan(big, now); };
  run();  // warm-up: the session exists
  const auto& c = rig.a().counters();
  REQUIRE(c.Get(PipelineCounter::kOuterFragmented) == 3);
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 0; i < 200; ++i) {
      now += 1;
      run();
    }
  });
  CHECK(allocations == 0);
  CHECK(c.Get(PipelineCounter::kOuterFragmented) == 3 * 201);
  CHECK(rig.wan.sent == 3 * 201);
  CHECK(rig.pool.available() == 16);

  // Leave the packet's frame and one more: the third fragment has no frame.
  std::vector<io::Frame> held(14);
  REQUIRE(rig.pool.Allocate(held) == 14);
  run();
  CHECK(rig.wan.sent == 3 * 201);
  CHECK(c.Get(PipelineCounter::kNoPool) == 1);
  CHECK(c.Get(PipelineCounter::kOuterFragmented) == 3 * 201);
  rig.pool.Free(held);
  CHECK(rig.pool.available() == 16);  // the packet's frame and the spare one came back
}

}  // namespace
}  // namespace ssr::pipeline::testing
