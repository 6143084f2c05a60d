// SPDX-License-Identifier: Apache-2.0
// After construction the session table never allocates: a counting global operator new sees zero
// calls across inserts, lookups, updates, evictions, erases, expiry sweeps and waypoint
// allocation with quarantine. Separate executable because it replaces the global allocator.
#include <catch2/catch.hpp>

#include "session/session_table.h"
#include "session/translation.h"
#include "session/waypoint.h"
#include "session_test_util.h"
#include "support/counting_allocator.h"

namespace ssr::session {
namespace {

TEST_CASE("Session table operations make no heap allocation after construction",
          "[session][alloc]") {
  constexpr uint32_t kCapacity = 1024;
  auto table = testing::MakeTable(kCapacity, /*quarantine_ms=*/50);
  size_t removed = 0;
  table->SetRemovalCallback(
      [](void* context, const Session&, RemovalReason) { ++*static_cast<size_t*>(context); },
      &removed);
  WaypointPoolSpec spec;
  spec.local = testing::Ip("198.51.100.10");
  spec.remote = testing::Ip("203.0.113.20");
  auto pool_or = WaypointPool::Create(spec);
  REQUIRE(pool_or.ok());
  WaypointPool pool = *pool_or;

  size_t ok = 0;
  const size_t before = ssr::testing::TotalAllocations();
  uint64_t now = 0;
  for (uint32_t i = 0; i < 20000; ++i) {
    now += 7;
    SessionInit init;
    init.forward = testing::ClientKey(i, i % 3 == 0 ? packet::kIpProtoUdp : packet::kIpProtoTcp);
    if (table->AllocateWaypoints(pool, now, &init.reverse) != WaypointResult::kOk) continue;
    init.flags = kWaypointsAllocated | kStrictTcp;
    const InsertOutcome out = table->Insert(init, now);  // evicts embryonic once full
    if (out.result != InsertResult::kOk) continue;
    ++ok;
    const LookupResult hit = table->Lookup(init.forward);
    table->Update(*hit.session, Direction::kForward, packet::kTcpSyn, now);
    if (i % 2 == 0) {
      const LookupResult rev = table->Lookup(init.reverse);
      table->Update(*rev.session, Direction::kReverse, packet::kTcpSyn | packet::kTcpAck, now);
      ok += TranslatedTuple(*rev.session, Direction::kReverse) == Reversed(init.forward);
    }
    if (i % 5 == 0) table->Erase(*hit.session, now);
    table->Expire(now + 200000, 16);
  }
  const size_t allocations = ssr::testing::TotalAllocations() - before;
  CHECK(before > 0);  // the replacement is active: construction was counted
  CHECK(allocations == 0);
  CHECK(ok > 20000);  // the loop really inserted and looked up (not all refused)
  CHECK(removed > 0);
  CHECK(table->counters().Get(SessionCounter::kEvictedEmbryonic) +
            table->counters().Get(SessionCounter::kQuarantineReclaimed) +
            table->counters().Get(SessionCounter::kQuarantineReleased) >
        0);
}

}  // namespace
}  // namespace ssr::session
