// SPDX-License-Identifier: Apache-2.0
// Waypoint-port allocation (docs/protocol.md §2.4, conformance statements 28-30).
#include "session/waypoint.h"

#include <catch2/catch.hpp>

#include <set>
#include <utility>

#include "session/session_table.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using testing::ClientKey;
using testing::Ip;
using testing::MakeTable;
using testing::Seconds;

WaypointPool MakePool(config::PortRange range, bool parity, uint8_t protocol = 17) {
  WaypointPoolSpec spec;
  spec.side = testing::kWanSide;
  spec.local = Ip("198.51.100.10");
  spec.remote = Ip("203.0.113.20");
  spec.outer_protocol = protocol;
  spec.range = range;
  spec.parity_rule = parity;
  auto pool = WaypointPool::Create(spec);
  REQUIRE(pool.ok());
  return *pool;
}

// Allocates a pair and creates a session holding it; returns the ports.
WaypointPorts AllocateAndInsert(SessionTable& table, WaypointPool& pool, uint32_t n,
                                uint64_t now = 0, Session** session = nullptr) {
  SessionInit init;
  init.forward = ClientKey(n, packet::kIpProtoUdp);
  REQUIRE(table.AllocateWaypoints(pool, now, &init.reverse) == WaypointResult::kOk);
  init.flags = kWaypointsAllocated;
  InsertOutcome out = table.Insert(init, now);
  REQUIRE(out.result == InsertResult::kOk);
  if (session != nullptr) *session = out.session;
  return {init.reverse.dst_port, init.reverse.src_port};
}

TEST_CASE("Default range: even local and odd remote waypoint ports in 16384-65534",
          "[session][svr-7.28]") {
  auto table = MakeTable(4096);
  WaypointPool pool = MakePool({16384, 65534}, /*parity=*/true);
  CHECK(pool.pair_count() == uint64_t{24576} * 24575);
  std::set<uint16_t> locals;
  for (uint32_t i = 0; i < 4096; ++i) {
    const WaypointPorts p = AllocateAndInsert(*table, pool, i);
    CHECK(p.local % 2 == 0);
    CHECK(p.remote % 2 == 1);
    CHECK(p.local >= 16384);
    CHECK(p.remote >= 16384);
    CHECK(p.local <= 65534);
    CHECK(p.remote <= 65534);
    locals.insert(p.local);
  }
  CHECK(locals.size() == 4096);  // round-robin: no local port repeats within the first 4096
  // The extremes of the range are reachable.
  CHECK(pool.PairAt(0) == WaypointPorts{16384, 16385});
  CHECK(pool.PairAt(24575).local == 65534);
}

TEST_CASE("The reverse key of an allocation is the outer tuple the peer answers with",
          "[session][svr-7.28]") {
  auto table = MakeTable(4);
  WaypointPool pool = MakePool({16384, 65534}, true, packet::kIpProtoTcp);
  FlowKey reverse;
  REQUIRE(table->AllocateWaypoints(pool, 0, &reverse) == WaypointResult::kOk);
  CHECK(reverse == testing::Key("203.0.113.20", 16385, "198.51.100.10", 16384,
                                packet::kIpProtoTcp, testing::kWanSide));
  CHECK(table->counters().Get(SessionCounter::kWaypointsAllocated) == 1);
}

TEST_CASE("Configured range: both ports round-robin over the range regardless of parity",
          "[session][svr-7.29]") {
  auto table = MakeTable(64);
  WaypointPool pool = MakePool({20000, 20003}, /*parity=*/false);
  CHECK(pool.pair_count() == 16);
  std::vector<WaypointPorts> got;
  for (uint32_t i = 0; i < 8; ++i) got.push_back(AllocateAndInsert(*table, pool, i));
  bool even_remote = false;
  bool odd_local = false;
  for (uint32_t i = 0; i < 8; ++i) {
    CHECK(got[i].local == 20000 + i % 4);  // local advances by one each time
    CHECK(got[i].remote >= 20000);
    CHECK(got[i].remote <= 20003);
    even_remote |= got[i].remote % 2 == 0;
    odd_local |= got[i].local % 2 == 1;
  }
  // Within one lap of the local ports the remote ports also advance by one.
  CHECK(got[1].remote == got[0].remote + 1);
  CHECK(even_remote);
  CHECK(odd_local);
}

TEST_CASE("The round-robin order visits every pair exactly once per cycle", "[session][svr-7.29]") {
  for (bool parity : {true, false}) {
    WaypointPool pool = MakePool({30001, 30010}, parity);
    std::set<std::pair<uint16_t, uint16_t>> seen;
    for (uint64_t k = 0; k < pool.pair_count(); ++k) {
      const WaypointPorts p = pool.PairAt(k);
      seen.insert({p.local, p.remote});
    }
    CHECK(seen.size() == pool.pair_count());
    CHECK(pool.pair_count() == (parity ? 25u : 100u));
  }
}

TEST_CASE("No two live sessions on a waypoint pair and protocol share a port pair",
          "[session][svr-7.30]") {
  auto table = MakeTable(64);
  WaypointPool pool = MakePool({16384, 16391}, /*parity=*/true);  // 4 x 4 = 16 pairs
  std::set<std::pair<uint16_t, uint16_t>> used;
  for (uint32_t i = 0; i < 16; ++i) {
    const WaypointPorts p = AllocateAndInsert(*table, pool, i);
    CHECK(used.insert({p.local, p.remote}).second);
  }
  CHECK(used.size() == 16);
}

TEST_CASE("Allocation skips a pair already used by a session it did not allocate",
          "[session][svr-7.30]") {
  auto table = MakeTable(8);
  WaypointPool pool = MakePool({16384, 16387}, /*parity=*/true);  // 2 x 2 = 4 pairs
  // A session (e.g. restored from HA state) already holds the pool's first pair.
  SessionInit init;
  init.forward = ClientKey(100, packet::kIpProtoUdp);
  init.reverse = pool.ReverseKey(pool.PairAt(0));
  REQUIRE(table->Insert(init, 0).result == InsertResult::kOk);
  const WaypointPorts p = AllocateAndInsert(*table, pool, 1);
  CHECK_FALSE(p == pool.PairAt(0));
}

TEST_CASE("The same port pair may be used on another waypoint pair or protocol",
          "[session][svr-7.30]") {
  auto table = MakeTable(8);
  WaypointPool udp = MakePool({16384, 16385}, true, packet::kIpProtoUdp);  // a single pair
  WaypointPool tcp = MakePool({16384, 16385}, true, packet::kIpProtoTcp);
  const WaypointPorts a = AllocateAndInsert(*table, udp, 1);
  const WaypointPorts b = AllocateAndInsert(*table, tcp, 2);
  CHECK(a == b);
}

TEST_CASE("Allocation fails with a counter when every pair is taken", "[session]") {
  auto table = MakeTable(8);
  WaypointPool pool = MakePool({16384, 16387}, /*parity=*/true);  // 4 pairs
  for (uint32_t i = 0; i < 4; ++i) AllocateAndInsert(*table, pool, i);
  FlowKey reverse;
  CHECK(table->AllocateWaypoints(pool, 0, &reverse) == WaypointResult::kExhausted);
  CHECK(table->counters().Get(SessionCounter::kWaypointsExhausted) == 1);
}

TEST_CASE("A freed pair stays quarantined until the quarantine time has passed", "[session]") {
  auto table = MakeTable(8, /*quarantine_ms=*/Seconds(60));
  WaypointPool pool = MakePool({16384, 16385}, /*parity=*/true);  // exactly one pair
  Session* s = nullptr;
  const WaypointPorts p = AllocateAndInsert(*table, pool, 1, Seconds(0), &s);
  const FlowKey reverse = s->reverse;
  table->Erase(*s, Seconds(10));
  CHECK(table->size() == 0);
  CHECK(table->quarantined() == 1);
  CHECK_FALSE(table->Lookup(reverse));  // invisible to packets
  FlowKey out;
  CHECK(table->AllocateWaypoints(pool, Seconds(69), &out) == WaypointResult::kExhausted);
  REQUIRE(table->AllocateWaypoints(pool, Seconds(70), &out) == WaypointResult::kOk);
  CHECK(out == reverse);
  CHECK(WaypointPorts{out.dst_port, out.src_port} == p);
  CHECK(table->quarantined() == 0);
  CHECK(table->counters().Get(SessionCounter::kQuarantineReleased) == 1);
}

TEST_CASE("The expiry sweep ends finished quarantines", "[session]") {
  auto table = MakeTable(8, /*quarantine_ms=*/Seconds(60));
  WaypointPool pool = MakePool({16384, 65534}, true);
  Session* s = nullptr;
  AllocateAndInsert(*table, pool, 1, 0, &s);
  table->Erase(*s, 0);
  REQUIRE(table->quarantined() == 1);
  table->Expire(Seconds(59), 8);
  CHECK(table->quarantined() == 1);
  table->Expire(Seconds(60), 8);
  CHECK(table->quarantined() == 0);
  CHECK(table->index().size() == 0);
}

TEST_CASE("Expired sessions with allocated waypoints are quarantined too", "[session]") {
  auto table = MakeTable(8, /*quarantine_ms=*/Seconds(60));
  WaypointPool pool = MakePool({16384, 16385}, true);
  AllocateAndInsert(*table, pool, 1, 0);
  CHECK(table->Expire(Seconds(180), 8) == 1);  // UDP timeout
  CHECK(table->quarantined() == 1);
  FlowKey out;
  CHECK(table->AllocateWaypoints(pool, Seconds(200), &out) == WaypointResult::kExhausted);
  CHECK(table->AllocateWaypoints(pool, Seconds(240), &out) == WaypointResult::kOk);
}

TEST_CASE("The default quarantine is twice the longest timeout", "[session]") {
  SessionTableOptions options;
  options.max_sessions = 4;
  auto created = SessionTable::Create(options);
  REQUIRE(created.ok());
  SessionTable& table = **created;
  WaypointPool pool = MakePool({16384, 16385}, true);
  Session* s = nullptr;
  AllocateAndInsert(table, pool, 1, 0, &s);
  table.Erase(*s, 0);
  FlowKey out;
  CHECK(table.AllocateWaypoints(pool, Seconds(3599), &out) == WaypointResult::kExhausted);
  CHECK(table.AllocateWaypoints(pool, Seconds(3600), &out) == WaypointResult::kOk);
}

TEST_CASE("A full table reclaims the oldest quarantine before evicting", "[session]") {
  auto table = MakeTable(2, /*quarantine_ms=*/Seconds(60));
  WaypointPool pool = MakePool({16384, 65534}, true);
  Session* s = nullptr;
  AllocateAndInsert(*table, pool, 1, 0, &s);
  table->Erase(*s, 0);
  AllocateAndInsert(*table, pool, 2, 0);  // embryonic, takes the second slot
  REQUIRE(table->quarantined() == 1);
  REQUIRE(table->Insert(testing::Init(3), 1).result == InsertResult::kOk);
  CHECK(table->quarantined() == 0);
  CHECK(table->counters().Get(SessionCounter::kQuarantineReclaimed) == 1);
  CHECK(table->counters().Get(SessionCounter::kEvictedEmbryonic) == 0);
  CHECK(table->size() == 2);
}

TEST_CASE("A new session using a quarantined key takes it over", "[session]") {
  auto table = MakeTable(4, /*quarantine_ms=*/Seconds(60));
  WaypointPool pool = MakePool({16384, 65534}, true);
  Session* s = nullptr;
  AllocateAndInsert(*table, pool, 1, 0, &s);
  const FlowKey reverse = s->reverse;
  table->Erase(*s, 0);
  SessionInit init;
  init.forward = ClientKey(9, packet::kIpProtoUdp);
  init.reverse = reverse;
  init.tenant = 9;
  REQUIRE(table->Insert(init, 1).result == InsertResult::kOk);
  CHECK(table->quarantined() == 0);
  CHECK(table->Lookup(reverse).session->tenant == 9);
  CHECK(table->counters().Get(SessionCounter::kQuarantineReclaimed) == 1);
}

TEST_CASE("WaypointPool rejects unusable specs", "[session]") {
  WaypointPoolSpec spec;
  spec.local = Ip("198.51.100.10");
  spec.remote = Ip("2001:db8::1");
  CHECK(WaypointPool::Create(spec).status().code() == absl::StatusCode::kInvalidArgument);
  spec.remote = spec.local;
  CHECK_FALSE(WaypointPool::Create(spec).ok());
  spec.remote = Ip("203.0.113.20");
  spec.range = {20000, 19999};
  CHECK_FALSE(WaypointPool::Create(spec).ok());
  spec.range = {0, 10};
  CHECK_FALSE(WaypointPool::Create(spec).ok());
  spec.range = {20000, 20000};
  CHECK_FALSE(WaypointPool::Create(spec).ok());
  spec.parity_rule = false;
  CHECK(WaypointPool::Create(spec).ok());
}

}  // namespace
}  // namespace ssr::session
