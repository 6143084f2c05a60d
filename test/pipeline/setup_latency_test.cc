// SPDX-License-Identifier: Apache-2.0
// First-packet latency (Pipeline::ServiceCounts::setup_*, docs/operations.md "WAN assurance"):
// one sample per session, in its service, taken from the burst start to the TX flush that sent
// the session's first packet, on the first router and on the egress router.
#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

// Every read of the fake clock is 700 µs after the previous one: a burst start and the flush
// that follows it are 700 µs apart, which lands in bucket (512, 1024] µs.
uint64_t fake_us = 0;
uint64_t FakeClockUs() { return fake_us += 700; }

uint64_t Total(const Pipeline::ServiceCounts& c) {
  uint64_t n = 0;
  for (const uint64_t b : c.setup_buckets) n += b;
  return n;
}

RigOptions FakeClock() {
  RigOptions o;
  o.base.clock_us = &FakeClockUs;
  return o;
}

TEST_CASE("setup latency: SetupBucket edges: 1 us and less, powers of two, the last open bucket",
          "[pipeline][setup-latency]") {
  CHECK(Pipeline::SetupBucket(0) == 0);
  CHECK(Pipeline::SetupBucket(1) == 0);
  CHECK(Pipeline::SetupBucket(2) == 1);
  CHECK(Pipeline::SetupBucket(3) == 2);
  CHECK(Pipeline::SetupBucket(4) == 2);
  CHECK(Pipeline::SetupBucket(5) == 3);
  CHECK(Pipeline::SetupBucket(700) == 10);
  CHECK(Pipeline::SetupBucket(1024) == 10);
  CHECK(Pipeline::SetupBucket(1025) == 11);
  const size_t last = Pipeline::kSetupBuckets - 1;
  CHECK(Pipeline::SetupBucket(uint64_t{1} << (last - 1)) == last - 1);
  CHECK(Pipeline::SetupBucket((uint64_t{1} << (last - 1)) + 1) == last);
  CHECK(Pipeline::SetupBucket(~uint64_t{0}) == last);
}

TEST_CASE("setup latency: a created session records exactly one sample in its service on both "
          "routers and later packets or replies record none",
          "[pipeline][setup-latency]") {
  Rig rig(FakeClock());
  rig.AddServer("10.20.2.5");
  const size_t voice = *rig.config().ServiceIndex("voice");
  const PacketSpec req = VoiceSpec(40000, Keep({'h', 'i'}));
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  for (Pipeline* p : {&rig.a(), &rig.b()}) {
    const std::vector<Pipeline::ServiceCounts>& counts = p->service_counts();
    for (size_t s = 0; s < counts.size(); ++s) {
      INFO("service " << rig.config().services[s].name);
      CHECK(counts[s].setup_count == (s == voice ? 1u : 0u));
      CHECK(Total(counts[s]) == counts[s].setup_count);
    }
    CHECK(counts[voice].setup_buckets[10] == 1);
    CHECK(counts[voice].setup_sum_us == 700);
  }
  // More packets of the session, and the server's reply: no new sample anywhere.
  rig.FromClient(rig.ClientFrame(req));
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Reversed(req)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 3);
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.a().service_counts()[voice].setup_count == 1);
  CHECK(rig.b().service_counts()[voice].setup_count == 1);
  // A second session: a second sample.
  rig.FromClient(rig.ClientFrame(VoiceSpec(40001, Keep({'h', 'i'}))));
  rig.Step();
  CHECK(rig.a().service_counts()[voice].setup_count == 2);
  CHECK(rig.b().service_counts()[voice].setup_count == 2);
  CHECK(rig.a().service_counts()[voice].setup_sum_us == 1400);
}

TEST_CASE("setup latency: a first packet the router drops records nothing",
          "[pipeline][setup-latency]") {
  Rig rig(FakeClock());  // no server neighbour on B's LAN: B creates the session, cannot send
  const size_t voice = *rig.config().ServiceIndex("voice");
  rig.FromClient(rig.ClientFrame(VoiceSpec(40000, Keep({'h', 'i'}))));
  rig.Step();
  CHECK(rig.to_server_.empty());
  CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kNoNeighbor) == 1);
  CHECK(rig.b().service_counts()[voice].setup_count == 0);
  CHECK(rig.a().service_counts()[voice].setup_count == 1);  // A did send it
}

}  // namespace
}  // namespace ssr::pipeline::testing
