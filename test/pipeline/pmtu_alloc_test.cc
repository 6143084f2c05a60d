// SPDX-License-Identifier: Apache-2.0
// Refusing over-MTU LAN packets makes no heap allocation: frag-needed (IPv4 DF) and Packet Too
// Big are built in a frame from the pool, rate-limited ones touch nothing, and outer fragments of
// DF-clear packets use frames from the pool (docs/protocol.md §2.14.2).
#include <array>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_port.h"
#include "sink_rig.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("Answering over-MTU packets with frag-needed / Packet Too Big makes no heap allocation",
          "[pipeline][alloc][pmtu]") {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "prefixes: \"10.10.2.0/24\"", "prefixes: \"10.10.2.0/24\" prefixes: \"fd00:10:2::/64\"");
  text = Replace(text, "prefixes: \"10.20.2.0/24\"", "prefixes: \"10.20.2.0/24\" prefixes: \"fd00:20:2::/64\"");
  text = Replace(text, "addresses: \"192.0.2.2\"", "addresses: \"192.0.2.2\" path_mtu: 1300");
  PipelineOptions oa;
  oa.config = LoadConfig(text);
  oa.too_big_burst = 50;
  oa.too_big_per_second = 1000;
  SinkRouter rig(oa, 64);
  // Per kind: a 1400-byte IPv4 packet with DF, one without, and a 1400-byte IPv6 packet.
  std::vector<Bytes> frames;
  for (const int kind : {0, 1, 2}) {
    packet::PacketSpec u;
    u.src_mac = kClientMac;
    u.src = Ip(kind == 2 ? "fd00:10:2::10" : "10.10.2.10");
    u.dst = Ip(kind == 2 ? "fd00:20:2::5" : "10.20.2.5");
    u.protocol = packet::kIpProtoUdp;
    u.src_port = 20000;
    u.dst_port = 5060;
    u.dont_fragment = kind == 0;
    u.payload = Keep(Bytes(1400 - (kind == 2 ? 48 : 28), 0x42));
    frames.push_back(Rig::Build(u));
  }
  uint64_t now = kStartMs;
  auto run = [&](const Bytes& b) { rig.FromLan(b, now); };
  for (const Bytes& b : frames) run(b);  // warm-up: sessions exist, OpenSSL state initialised
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 0; i < 300; ++i) {
      now += 1;
      for (const Bytes& b : frames) run(b);
    }
  });
  CHECK(allocations == 0);
  const auto& c = rig.a().counters();
  CHECK(c.Get(PipelineCounter::kTooBigSent) + c.Get(PipelineCounter::kTooBigRateLimited) == 2 * 301);
  CHECK(c.Get(PipelineCounter::kTooBigSent) > 300);
  CHECK(c.Get(PipelineCounter::kTooBigRateLimited) > 0);
  // The packet without DF leaves as two outer IPv4 fragments (§2.14.2), frames from the pool.
  CHECK(c.Get(PipelineCounter::kExceedsMtuDfClear) == 0);
  CHECK(c.Get(PipelineCounter::kOuterFragmented) == 2 * 301);
  CHECK(rig.lan.sent == c.Get(PipelineCounter::kTooBigSent));
  CHECK(rig.wan.sent == 2 * 301);
}

}  // namespace
}  // namespace ssr::pipeline::testing
