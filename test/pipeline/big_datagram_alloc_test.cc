// SPDX-License-Identifier: Apache-2.0
// Datagrams larger than a frame make no heap allocation (docs/protocol.md §2.14.1, §2.14.2): a
// 4000-byte UDP datagram in 3 IP fragments is reassembled in router A's large frame, leaves as
// outer IPv4 / IPv6 fragments, is reassembled in router B's large frame and delivered as LAN
// fragments, for IPv4 and IPv6 clients over IPv4 and IPv6 peer paths.
#include <array>
#include <vector>

#include <catch2/catch.hpp>

#include "fragment_util.h"
#include "pipeline_rig.h"
#include "sink_port.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("4000-byte datagrams through the large frame, outer and LAN fragments make no heap "
          "allocation",
          "[pipeline][alloc][ip-fragment][lan-fragment]") {
  for (const bool v6_wan : {false, true}) {
    DYNAMIC_SECTION("peer path " << (v6_wan ? "IPv6" : "IPv4")) {
      auto cfg = LoadConfig(DualStackConfigText(v6_wan));
      PipelineOptions oa;
      oa.config = cfg;
      SinkRig rig(oa, 256, v6_wan);
      CapturePort a_wan(&rig.pool), b_lan(&rig.pool);
      rig.a().Bind(kWan, &a_wan);
      rig.b().Bind(kLan, &b_lan);
      rig.b().neighbors().SetStatic(kLan, Ip("fd00:20:2::5"), kServerMac);
      uint64_t now = kStartMs;
      auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
        rig.Run(p, iface, data, len, now);
      };
      constexpr int kFlows = 50;
      std::vector<std::vector<Bytes>> frags;
      for (int i = 0; i < kFlows + 1; ++i) {
        for (const bool v6 : {false, true}) {
          packet::PacketSpec u;
          u.src_mac = kClientMac;
          u.src = Ip(v6 ? "fd00:10:2::10" : "10.10.2.10");
          u.dst = Ip(v6 ? "fd00:20:2::5" : "10.20.2.5");
          u.protocol = packet::kIpProtoUdp;
          u.src_port = static_cast<uint16_t>(20000 + i);
          u.dst_port = 5060;
          u.ipv4_id = static_cast<uint16_t>(i);
          u.payload = Keep(Bytes(4000, static_cast<uint8_t>(i)));
          frags.push_back(Fragments(Rig::Build(u), {1448, 2896}, static_cast<uint32_t>(i)));
        }
      }
      // One datagram of each family: A to B and B to its LAN.
      auto cross = [&](const std::vector<Bytes>& d) {
        a_wan.count = 0;
        for (const size_t k : {2, 0, 1}) run(rig.a(), kLan, d[k].data(), d[k].size());
        const size_t pieces = a_wan.count;
        REQUIRE(pieces == 3);
        std::array<std::array<uint8_t, 4096>, CapturePort::kMax> outer{};
        std::array<size_t, CapturePort::kMax> lengths = a_wan.lengths;
        for (size_t k = 0; k < pieces; ++k) {
          std::copy(a_wan.data(k), a_wan.data(k) + lengths[k], outer[k].begin());
        }
        for (size_t k = pieces; k > 0; --k) run(rig.b(), kWan, outer[k - 1].data(), lengths[k - 1]);
      };
      cross(frags[0]);  // warm-up outside the count (OpenSSL per-thread state)
      cross(frags[1]);
      const size_t allocations = ssr::testing::CountAllocations([&] {
        for (size_t i = 2; i < frags.size(); ++i) {
          now += 1;
          cross(frags[i]);
        }
      });
      CHECK(allocations == 0);
      const size_t datagrams = frags.size();
      CHECK(rig.a().counters().Get(PipelineCounter::kIpFragLargeBuffer) == datagrams);
      CHECK(rig.b().counters().Get(PipelineCounter::kIpFragLargeBuffer) == datagrams);
      CHECK(rig.a().counters().Get(PipelineCounter::kOuterFragmented) == 3 * datagrams);
      CHECK(rig.b().counters().Get(PipelineCounter::kLanFragmented) == 3 * datagrams);
      CHECK(b_lan.sent == 3 * datagrams);
      CHECK(rig.pool.available() == 256);  // every frame went back
    }
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
