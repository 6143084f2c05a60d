// SPDX-License-Identifier: Apache-2.0
// The replay filter (pipeline/replay_filter.h) on the per-packet path makes no heap allocation:
// fast-path packets of a payload-encrypted session checked and recorded, and re-sends dropped,
// counted by a replaced global operator new. Its side array is allocated at Pipeline::Create.
#include <array>
#include <string>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_port.h"
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
  oa.router = "branch";
  oa.max_sessions = 256;
  PipelineOptions ob = oa;
  ob.router = "datacenter";
  auto a = Pipeline::Create(oa);
  auto b = Pipeline::Create(ob);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  io::MemoryFramePool pool(64, 4096);
  SinkPort a_lan(&pool), a_wan(&pool), b_lan(&pool), b_wan(&pool);
  (*a)->SetPool(&pool);
  (*b)->SetPool(&pool);
  (*a)->Bind(kLan, &a_lan);
  (*a)->Bind(kWan, &a_wan);
  (*b)->Bind(kLan, &b_lan);
  (*b)->Bind(kWan, &b_wan);
  (*a)->neighbors().SetStatic(kWan, Ip("192.0.2.2"), {2, 0x55, 1, 0, 0, 1});
  (*b)->neighbors().SetStatic(kWan, Ip("192.0.2.1"), {2, 0x55, 0, 0, 0, 1});
  (*b)->neighbors().SetStatic(kLan, Ip("10.20.2.5"), kServerMac);

  packet::PacketSpec u = VoiceSpec(40000, Keep(Bytes(100, 0x42)));
  u.src_mac = kClientMac;
  const Bytes frame = Rig::Build(u);
  const uint64_t now = kStartMs;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    io::Frame f;
    REQUIRE(pool.Allocate({&f, 1}) == 1);
    std::copy(data, data + len, f.data);
    f.length = static_cast<uint32_t>(len);
    p.ProcessBurst(iface, {&f, 1}, now);
  };
  // The session at both routers, the handshake done (forward metadata stopped), outside the count.
  run(**a, kLan, frame.data(), frame.size());
  run(**b, kWan, a_wan.last.data(), a_wan.last_length);
  for (uint32_t i = 0; i < (*a)->sessions().capacity(); ++i) {
    if ((*a)->sessions().at(i).live()) (*a)->sessions().at(i).flags &= ~session::kSendForwardMetadata;
  }
  const size_t delivered = b_lan.sent;

  constexpr int kPackets = 100;
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 0; i < kPackets; ++i) {
      run(**a, kLan, frame.data(), frame.size());  // a fresh fast-path packet (new IV)
      const std::array<uint8_t, 4096> outer = a_wan.last;
      run(**b, kWan, outer.data(), a_wan.last_length);  // checked, recorded, delivered
      run(**b, kWan, outer.data(), a_wan.last_length);  // the re-send: dropped
    }
  });
  CHECK(allocations == 0);
  CHECK(b_lan.sent == delivered + kPackets);
  CHECK((*b)->counters().Get(PipelineCounter::kReplayDropped) == kPackets);
}

}  // namespace
}  // namespace ssr::pipeline::testing
