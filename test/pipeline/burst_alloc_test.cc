// SPDX-License-Identifier: Apache-2.0
// Burst sealing (pipeline/burst_seal.h) makes no heap allocation per packet: bursts of 32 frames,
// 1200-byte packets of payload-encrypted sessions mixed with HMAC-only ones (all sealed with the
// burst; they still carry forward metadata here, no reply comes), through ProcessBurst, counted by
// the replaced global operator new.
#include <array>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "burst_test_util.h"
#include "pipeline_rig.h"
#include "sink_port.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("Sealing bursts of encrypted and HMAC-only packets makes no heap allocation",
          "[pipeline][alloc][burst]") {
  PipelineOptions oa;
  oa.config = PayloadAesConfig();
  SinkRouter rig(oa);
  if (!rig.a().burst_crypto_status().ok()) {
    WARN("burst sealing unavailable: " << rig.a().burst_crypto_status().message());
  }

  constexpr size_t kBurst = 32;
  std::vector<Bytes> frames;
  for (size_t i = 0; i < kBurst; ++i) {
    // Even: voice, payload-encrypted; odd: web, UDP 7, HMAC-only.
    packet::PacketSpec s = Flow(i % 2 == 0, static_cast<uint16_t>(5000 + i), 0x5a, 1200);
    s.src_mac = kClientMac;
    frames.push_back(Rig::Build(s));
  }
  uint64_t now = kStartMs;
  std::array<io::Frame, kBurst> burst;
  auto run = [&] { ProcessCopies(rig.a(), rig.pool, kLan, frames, burst, now); };
  run();  // first packets and lazy OpenSSL / library state outside the count
  const uint64_t sealed0 = rig.a().counters().Get(PipelineCounter::kBurstSealed);
  constexpr int kBursts = 50;
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int b = 0; b < kBursts; ++b) {
      now += 1;
      run();
    }
  });
  CHECK(allocations == 0);
  CHECK(rig.wan.sent == (kBursts + 1) * kBurst);
  if (rig.a().burst_crypto_status().ok()) {
    CHECK(rig.a().counters().Get(PipelineCounter::kBurstSealed) - sealed0 == kBursts * kBurst);
  }
}

// The receive side (pipeline/burst_open.h): B verifies and decrypts bursts of established
// encrypted and HMAC-only packets from A with no heap allocation per packet.
TEST_CASE("Opening bursts of encrypted and HMAC-only packets makes no heap allocation",
          "[pipeline][alloc][burst]") {
  RigOptions o;
  o.config = PayloadAesConfig();
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.AddServer("10.20.3.10");
  constexpr size_t kBurst = 32;
  std::vector<packet::PacketSpec> specs;
  for (size_t i = 0; i < kBurst; ++i) {
    // Even: voice, payload-encrypted; odd: web, UDP 7, HMAC-only.
    const packet::PacketSpec s = Flow(i % 2 == 0, static_cast<uint16_t>(5000 + i), 0x5a, 1200);
    specs.push_back(s);
    // Open the session both ways: later packets travel without metadata (the fast path).
    rig.FromClient(rig.ClientFrame(s));
    rig.Step();
    rig.FromServer(rig.ServerFrame(Reversed(s)));
    rig.Step();
  }
  const size_t wire0 = rig.wire_a_to_b_.size();
  for (const packet::PacketSpec& s : specs) rig.FromClient(rig.ClientFrame(s));
  rig.Step();
  const std::vector<Bytes> frames(rig.wire_a_to_b_.begin() + static_cast<long>(wire0),
                                  rig.wire_a_to_b_.end());
  REQUIRE(frames.size() == kBurst);
  for (const Bytes& f : frames) {
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
    REQUIRE_FALSE(svr::StartsWithCookie(info.Payload(std::span<const uint8_t>(f))));
  }
  // B alone from here, its LAN into a sink (no copies kept), the same frames burst after burst.
  io::MemoryFramePool& pool = rig.pool_b();
  SinkPort lan(&pool);
  rig.b().Bind(kLan, &lan);
  uint64_t now = rig.now();
  std::array<io::Frame, kBurst> burst;
  auto run = [&] { ProcessCopies(rig.b(), pool, kWan, frames, burst, now); };
  run();
  const uint64_t opened0 = rig.b().counters().Get(PipelineCounter::kBurstOpened);
  constexpr int kBursts = 50;
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int b = 0; b < kBursts; ++b) {
      now += 1;
      run();
    }
  });
  CHECK(allocations == 0);
  CHECK(lan.sent == (kBursts + 1) * kBurst);
  if (rig.b().burst_crypto_status().ok()) {
    CHECK(rig.b().counters().Get(PipelineCounter::kBurstOpened) - opened0 == kBursts * kBurst);
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
