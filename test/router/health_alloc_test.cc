// SPDX-License-Identifier: Apache-2.0
// HealthMonitor::Sample reads RouterStats' fields directly: once every item was seen and the
// window is full, a sample (gateway, paths, services with first-packet latency) allocates
// nothing (counted by the replaced global operator new of ssr_counting_allocator).
#include <catch2/catch.hpp>

#include "health_test_util.h"
#include "router/health.h"
#include "support/counting_allocator.h"

namespace ssr::router {
namespace {

TEST_CASE("HealthMonitor::Sample allocates nothing once the window is full", "[router][health]") {
  // Names past the small-string buffer: copying one would allocate.
  RouterStats s = testing::HealthStats("a-rather-long-path-name-beyond-small-string-size",
                                       "a-service-name-longer-than-the-small-string-buffer");
  s.peers[0].paths.push_back(s.peers[0].paths[0]);
  s.peers[0].paths[1].name = "another-rather-long-path-name-beyond-sso";
  s.services.push_back(s.services[0]);
  s.services[1].name = "voice";
  WorkerStats w;
  s.workers = {w, w};
  HealthMonitor m(5);
  uint64_t now = 1000;
  const auto second = [&] {
    s.pipeline[0].value += 1000;
    s.pipeline[1].value += 50;  // 5 %: a bad gateway second
    for (ServiceStats& x : s.services) {
      x.sessions_opened += 10;
      x.sessions_refused += 1;
      x.setup_latency.buckets[16] += 3;  // slow
      x.setup_latency.buckets[5] += 7;
      x.setup_latency.count += 10;
    }
    s.workers[0].cpu_ns += 950'000'000;  // cpu
    m.Sample(s, now += 1000);
  };
  for (int k = 0; k < 8; ++k) second();  // fills the window and every map
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int k = 0; k < 20; ++k) second();
  });
  CHECK(allocations == 0);
  const HealthReport r = m.Report();
  REQUIRE(r.items.size() == 1 + 2 + 2);
  CHECK(r.items[0].classifier == "cpu");
  CHECK(r.items[3].classifier == "slow setup");
}

}  // namespace
}  // namespace ssr::router
