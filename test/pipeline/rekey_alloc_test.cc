// SPDX-License-Identifier: Apache-2.0
// Automatic rekeying keeps the packet path free of heap allocation across an epoch boundary: the
// next epoch's hop crypto is prepared halfway through the epoch (pipeline/rekey.cc), and the
// boundary only swaps it in.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("Crossing a rekey epoch boundary makes no heap allocation", "[pipeline][alloc][rekey]") {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"",
                 "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n"
                 "  rekey_interval_seconds: 60\n  rekey_master_key: \"demo-master\"");
  auto cfg = LoadConfig(text);
  REQUIRE(cfg->security_policies[0].rekeys());
  PipelineOptions oa;
  oa.config = cfg;
  SinkRig rig(oa);
  packet::PacketSpec u = VoiceSpec(20000, Keep(Bytes(100, 0x42)));
  u.src_mac = kClientMac;
  const Bytes frame = Rig::Build(u);
  uint64_t now = kStartMs;  // 40 s before an epoch boundary of the 60 s interval
  const uint64_t boundary = (kStartMs / 60'000 + 1) * 60'000;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    rig.Run(p, iface, data, len, now);
  };
  const auto both = [&] {
    run(rig.a(), kLan, frame.data(), frame.size());
    const std::array<uint8_t, 4096> outer = rig.a_wan.last;
    run(rig.b(), kWan, outer.data(), rig.a_wan.last_length);
  };
  both();  // warm-up: the first clock reading, the session, OpenSSL's per-thread state
  now = boundary - 25'000;
  both();  // halfway through the epoch: the next epoch's crypto is prepared here
  const uint64_t delivered = rig.b_lan.sent;
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (now = boundary - 6'000; now < boundary + 6'000; now += 100) both();
  });
  CHECK(allocations == 0);
  CHECK(rig.b_lan.sent == delivered + 120);
  CHECK(rig.a().counters().Get(PipelineCounter::kRekeyEpochChanged) == 2);
  CHECK(rig.b().counters().Get(PipelineCounter::kRekeyEpochChanged) == 2);
  CHECK(rig.b().counters().Get(PipelineCounter::kAuthFail) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
