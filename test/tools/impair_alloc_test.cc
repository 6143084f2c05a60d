// SPDX-License-Identifier: Apache-2.0
// ssr-impair's per-frame path (Link::Offer / Pop / CountSent) allocates nothing once the Link is
// built: the heap is reserved for the queue's capacity (tools/ssr_impair/impair_core.h).
#include <catch2/catch.hpp>

#include <limits>

#include "impair_core.h"
#include "support/counting_allocator.h"

namespace ssr::impair {
namespace {

TEST_CASE("offering, scheduling and sending frames allocates nothing") {
  Xoshiro256 rng(1);
  Link link(512, &rng);
  DirectionParams p;
  REQUIRE(ApplySettings("delay=3 jitter=2 dist=normal loss=5 ge=1,20 rate=100", &p).ok());
  link.SetParams(p);
  uint64_t now = 0;
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (uint32_t i = 0; i < 100000; ++i) {
      link.Offer(now, i % 1024, 64 + i % 1400);  // overflows too: more offered than the rate
      Scheduled s;
      while (link.Pop(now, &s) == PopResult::kSend) link.CountSent(s.length);
      now += 20000;
    }
    link.SetUp(false);
    now = std::numeric_limits<uint64_t>::max() / 2;
    Scheduled s;
    while (link.Pop(now, &s) != PopResult::kNone) {
    }
  });
  CHECK(allocations == 0);
  CHECK(link.counters().Get(ImpairCounter::kTxFrames) > 10000);
  CHECK(link.counters().Get(ImpairCounter::kDroppedOverflow) > 0);
  CHECK(link.counters().Get(ImpairCounter::kDroppedBurst) > 0);
  CHECK(link.counters().Get(ImpairCounter::kDroppedLoss) > 0);
  CHECK(link.counters().Get(ImpairCounter::kDroppedDown) > 0);
  CHECK(link.queued() == 0);
}

}  // namespace
}  // namespace ssr::impair
