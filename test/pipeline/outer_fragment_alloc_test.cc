// SPDX-License-Identifier: Apache-2.0
// Outer IPv4 fragmentation (docs/protocol.md §2.14.2) takes its frames from the worker's pool and
// allocates nothing; when the pool cannot give every fragment a frame, none is sent and the
// packet is counted (no_frame), and every frame goes back to the pool.
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_port.h"
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
  oa.router = "branch";
  auto a = Pipeline::Create(oa);
  REQUIRE(a.ok());
  io::MemoryFramePool pool(16, 4096);
  SinkPort lan(&pool), wan(&pool);
  (*a)->SetPool(&pool);
  (*a)->Bind(kLan, &lan);
  (*a)->Bind(kWan, &wan);
  (*a)->neighbors().SetStatic(kWan, Ip("192.0.2.2"), {2, 0x55, 1, 0, 0, 1});
  // 3000 bytes without DF: three fragments of at most 1280 bytes.
  packet::PacketSpec u = VoiceSpec(20000, Keep(Bytes(3000 - 28, 0x42)));
  u.src_mac = kClientMac;
  const Bytes big = Rig::Build(u);
  uint64_t now = kStartMs;
  auto run = [&] {
    io::Frame f;
    REQUIRE(pool.Allocate({&f, 1}) == 1);
    std::copy(big.begin(), big.end(), f.data);
    f.length = static_cast<uint32_t>(big.size());
    (*a)->ProcessBurst(kLan, {&f, 1}, now);
  };
  run();  // warm-up: the session exists
  const auto& c = (*a)->counters();
  REQUIRE(c.Get(PipelineCounter::kOuterFragmented) == 3);
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 0; i < 200; ++i) {
      now += 1;
      run();
    }
  });
  CHECK(allocations == 0);
  CHECK(c.Get(PipelineCounter::kOuterFragmented) == 3 * 201);
  CHECK(wan.sent == 3 * 201);
  CHECK(pool.available() == 16);

  // Leave the packet's frame and one more: the third fragment has no frame.
  std::vector<io::Frame> held(14);
  REQUIRE(pool.Allocate(held) == 14);
  run();
  CHECK(wan.sent == 3 * 201);
  CHECK(c.Get(PipelineCounter::kNoPool) == 1);
  CHECK(c.Get(PipelineCounter::kOuterFragmented) == 3 * 201);
  pool.Free(held);
  CHECK(pool.available() == 16);  // the packet's frame and the spare one came back
}

}  // namespace
}  // namespace ssr::pipeline::testing
