// SPDX-License-Identifier: Apache-2.0
// The replay filter (pipeline/replay_filter.h) on the per-packet path makes no heap allocation:
// fast-path packets of a payload-encrypted session checked and recorded, and re-sends dropped,
// counted by a replaced global operator new. Its side array is allocated at Pipeline::Create.
#include <array>
#include <string>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("The replay filter checks, records and drops without heap allocation",
          "[pipeline][alloc][replay]") {
  std::string text(config::DefaultConfigText());
  const std::string voice =
      "  transports { protocol: UDP ports { start: 5060 } ports { start: 10000 end: 20000 } }\n"
      "  access_policies { tenant: \"sales\" }\n";
  text = Replace(text, voice, voice + "  security_policy: \"payload-aes\"\n");
  text = Replace(text, "  name: \"peer-hop\"\n", "  name: \"peer-hop\"\n  replay_filter: true\n");
  PipelineOptions oa;
  oa.config = LoadConfig(text);
  oa.max_sessions = 256;
  SinkRig rig(oa, 64);

  packet::PacketSpec u = VoiceSpec(40000, Keep(Bytes(100, 0x42)));
  u.src_mac = kClientMac;
  const Bytes frame = Rig::Build(u);
  const uint64_t now = kStartMs;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    rig.Run(p, iface, data, len, now);
  };
  // The session at both routers, the handshake done (forward metadata stopped), outside the count.
  run(rig.a(), kLan, frame.data(), frame.size());
  run(rig.b(), kWan, rig.a_wan.last.data(), rig.a_wan.last_length);
  for (uint32_t i = 0; i < rig.a().sessions().capacity(); ++i) {
    session::Session& s = rig.a().sessions().at(i);
    if (s.live()) s.flags &= ~session::kSendForwardMetadata;
  }
  const size_t delivered = rig.b_lan.sent;

  constexpr int kPackets = 100;
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 0; i < kPackets; ++i) {
      run(rig.a(), kLan, frame.data(), frame.size());  // a fresh fast-path packet (new IV)
      const std::array<uint8_t, 4096> outer = rig.a_wan.last;
      run(rig.b(), kWan, outer.data(), rig.a_wan.last_length);  // checked, recorded, delivered
      run(rig.b(), kWan, outer.data(), rig.a_wan.last_length);  // the re-send: dropped
    }
  });
  CHECK(allocations == 0);
  CHECK(rig.b_lan.sent == delivered + kPackets);
  CHECK(rig.b().counters().Get(PipelineCounter::kReplayDropped) == kPackets);
}

}  // namespace
}  // namespace ssr::pipeline::testing
