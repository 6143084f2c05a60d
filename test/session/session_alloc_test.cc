// SPDX-License-Identifier: Apache-2.0
// After construction the session table never allocates: a counting global operator new sees zero
// calls across inserts, lookups, updates, evictions, erases, expiry sweeps and waypoint
// allocation with quarantine. Separate executable because it replaces the global allocator.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include "session/session_table.h"
#include "session/translation.h"
#include "session/waypoint.h"
#include "session_test_util.h"

namespace {
size_t g_allocations = 0;

void* CountedAlloc(std::size_t n) {
  ++g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* CountedAlignedAlloc(std::size_t n, std::align_val_t align) {
  ++g_allocations;
  const std::size_t a = static_cast<std::size_t>(align);
  return std::aligned_alloc(a, (n + a - 1) / a * a);
}
}  // namespace

// Every form of new/delete is replaced (plain, array, nothrow, sized, aligned) so that each
// allocation is counted and ASan sees malloc/free pairs throughout.
void* operator new(std::size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = CountedAlignedAlloc(n, a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(n, a);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

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
  const size_t before = g_allocations;
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
  const size_t allocations = g_allocations - before;
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
