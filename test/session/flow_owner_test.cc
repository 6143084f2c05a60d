// SPDX-License-Identifier: Apache-2.0
// Flow ownership between workers (docs/protocol.md §2.10.2): flow classes, port classes and the
// waypoint allocation that ties them together.
#include "session/flow_owner.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>

#include "session/session_table.h"
#include "session/waypoint.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using testing::Ip;
using testing::MakeTable;

FlowKey RandomKey(std::mt19937& rng, bool v6, uint8_t protocol) {
  FlowKey k;
  if (v6) {
    std::array<uint8_t, 16> a{}, b{};
    for (auto& x : a) x = static_cast<uint8_t>(rng());
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    k.src = util::IpAddress::V6Bytes(a);
    k.dst = util::IpAddress::V6Bytes(b);
  } else {
    k.src = util::IpAddress::V4(static_cast<uint32_t>(rng()));
    k.dst = util::IpAddress::V4(static_cast<uint32_t>(rng()));
  }
  k.protocol = protocol;
  k.src_port = static_cast<uint16_t>(rng());
  k.dst_port = protocol == packet::kIpProtoIcmp ? 0 : static_cast<uint16_t>(rng());
  return k;
}

TEST_CASE("flow class is the same for both directions and ignores side and VLAN") {
  std::mt19937 rng(7);
  std::set<uint32_t> seen;
  for (int i = 0; i < 20000; ++i) {
    const uint8_t protos[] = {packet::kIpProtoTcp, packet::kIpProtoUdp, packet::kIpProtoIcmp};
    FlowKey k = RandomKey(rng, i % 2 == 0, protos[i % 3]);
    const uint32_t c = FlowClass(k);
    REQUIRE(c < kFlowClasses);
    seen.insert(c);
    FlowKey r = Reversed(k);
    if (k.protocol == packet::kIpProtoIcmp) {  // echo reply: identifier stays the src_port
      r.src_port = k.src_port;
      r.dst_port = 0;
    }
    r.side = 7;
    r.vlan = 100;
    REQUIRE(FlowClass(r) == c);
  }
  CHECK(seen.size() == kFlowClasses);  // every class is used
  // Different flows between the same two hosts spread over the classes (not an address hash).
  std::set<uint32_t> ports;
  for (uint16_t p = 40000; p < 40064; ++p) {
    ports.insert(FlowClass(testing::Key("10.0.0.1", p, "10.0.1.1", 5201, packet::kIpProtoTcp)));
  }
  CHECK(ports.size() > kFlowClasses / 2);
}

TEST_CASE("port class keeps the parity rule's two ends in every class") {
  for (uint32_t c = 0; c < kFlowClasses; ++c) {
    // Both the even port 2q and the odd port 2q + 1 of a class exist.
    const uint16_t even = static_cast<uint16_t>(2 * (16384 / 2 + c));
    CHECK(PortClass(even) == (16384 / 2 + c) % kFlowClasses);
    CHECK(PortClass(static_cast<uint16_t>(even + 1)) == PortClass(even));
  }
}

struct RangeCase {
  uint16_t first, last;
  bool parity;
};

TEST_CASE("waypoint pool: pairs of a class have both ports in it, classes partition the range") {
  const RangeCase cases[] = {{16384, 65534, true}, {1000, 1999, false}, {1001, 2000, false},
                             {40001, 40300, true}, {5000, 5000, false}, {60000, 60260, false}};
  for (const RangeCase& rc : cases) {
    CAPTURE(rc.first, rc.last, rc.parity);
    WaypointPoolSpec spec;
    spec.local = Ip("198.51.100.10");
    spec.remote = Ip("203.0.113.20");
    spec.range = {rc.first, rc.last};
    spec.parity_rule = rc.parity;
    auto pool = WaypointPool::Create(spec);
    REQUIRE(pool.ok());
    std::set<uint16_t> all_local, all_remote;  // the whole range's candidates
    for (uint32_t p = rc.first; p <= rc.last; ++p) {
      if (!rc.parity || p % 2 == 0) all_local.insert(static_cast<uint16_t>(p));
      if (!rc.parity || p % 2 == 1) all_remote.insert(static_cast<uint16_t>(p));
    }
    std::set<uint16_t> union_local, union_remote;
    std::array<size_t, kFlowClasses> local_per_class{};
    uint64_t pairs = 0;
    for (uint32_t c = 0; c < kFlowClasses; ++c) {
      const uint64_t n = pool->class_pair_count(c);
      pairs += n;
      std::set<std::pair<uint16_t, uint16_t>> distinct;
      std::set<uint16_t> locals;
      // The first 5,000 of a class (the default range has ~147,000 per class) visit all of its
      // ports: consecutive pairs move both ends by one.
      const uint64_t visit = std::min<uint64_t>(n, 5000);
      for (uint64_t k = 0; k < visit; ++k) {
        const WaypointPorts p = pool->PairAtClass(k, c);
        REQUIRE(PortClass(p.local) == c);
        REQUIRE(PortClass(p.remote) == c);
        REQUIRE(all_local.count(p.local) == 1);  // a candidate of the whole range (parity too)
        REQUIRE(all_remote.count(p.remote) == 1);
        distinct.insert({p.local, p.remote});
        locals.insert(p.local);
        union_local.insert(p.local);
        union_remote.insert(p.remote);
      }
      REQUIRE(distinct.size() == visit);  // the order is a bijection onto the class's pairs
      local_per_class[c] = locals.size();
    }
    // Every candidate port of the range is in exactly one class (none lost to the classes).
    CHECK(union_local == all_local);
    CHECK(union_remote == all_remote);
    if (rc.first == 16384) {
      // The default range: each of N workers gets the whole range / N, for 1..64 workers.
      for (uint32_t workers : {1u, 2u, 3u, 4u, 8u, 16u, 64u}) {
        for (uint32_t w = 0; w < workers; ++w) {
          size_t mine = 0;
          for (uint32_t c = 0; c < kFlowClasses; ++c) {
            if (OwnerOf(c, workers) == w) mine += local_per_class[c];
          }
          const double share = static_cast<double>(all_local.size()) / workers;
          CAPTURE(workers, w, mine, share);
          // Classes are 1 / 64 of the range each (±1 port); with N not dividing 64 a worker
          // has one class more or less than 64 / N.
          const double tolerance = kFlowClasses % workers == 0 ? kFlowClasses : share / 2;
          CHECK(std::abs(static_cast<double>(mine) - share) <= tolerance);
        }
      }
      CHECK(pairs > 140000 * 64);
    }
  }
}

TEST_CASE("AllocateWaypoints with a flow class picks only that class, distinct pairs") {
  auto table = MakeTable(4096);
  WaypointPoolSpec spec;
  spec.side = testing::kWanSide;
  spec.local = Ip("198.51.100.10");
  spec.remote = Ip("203.0.113.20");
  auto pool = WaypointPool::Create(spec);
  REQUIRE(pool.ok());
  std::set<std::pair<uint16_t, uint16_t>> used;
  for (uint32_t i = 0; i < 300; ++i) {
    const int cls = static_cast<int>(i % 3 == 0 ? 5 : 42);
    SessionInit init;
    init.forward = testing::ClientKey(i, packet::kIpProtoUdp);
    REQUIRE(table->AllocateWaypoints(*pool, 0, &init.reverse, cls) == WaypointResult::kOk);
    CHECK(PortClass(init.reverse.dst_port) == static_cast<uint32_t>(cls));  // ours
    CHECK(PortClass(init.reverse.src_port) == static_cast<uint32_t>(cls));  // the peer's
    CHECK(init.reverse.dst_port % 2 == 0);  // parity rule kept
    CHECK(init.reverse.src_port % 2 == 1);
    init.flags = kWaypointsAllocated;
    REQUIRE(table->Insert(init, 0).result == InsertResult::kOk);
    CHECK(used.insert({init.reverse.dst_port, init.reverse.src_port}).second);
  }
  // A range with no port of the class on one end falls back to the whole range.
  spec.range = {5000, 5001};
  spec.parity_rule = false;
  auto tiny = WaypointPool::Create(spec);
  REQUIRE(tiny.ok());
  const uint32_t absent = (PortClass(5000) + 1) % kFlowClasses;
  REQUIRE(tiny->class_pair_count(absent) == 0);
  FlowKey reverse;
  REQUIRE(table->AllocateWaypoints(*tiny, 0, &reverse, static_cast<int>(absent)) ==
          WaypointResult::kOk);
  CHECK((reverse.dst_port == 5000 || reverse.dst_port == 5001));
}

TEST_CASE("owner by port class equals owner by flow class for a session's waypoint ports") {
  // What the ingress does (pipeline AdmitSession): the class of the LAN tuple picks the ports;
  // then any router with any worker count finds the same worker from either side.
  auto table = MakeTable(1024);
  WaypointPoolSpec spec;
  spec.side = testing::kWanSide;
  spec.local = Ip("198.51.100.10");
  spec.remote = Ip("203.0.113.20");
  auto pool = WaypointPool::Create(spec);
  REQUIRE(pool.ok());
  std::mt19937 rng(11);
  for (int i = 0; i < 500; ++i) {
    const FlowKey lan = RandomKey(rng, i % 4 == 0, packet::kIpProtoTcp);
    FlowKey reverse;
    REQUIRE(table->AllocateWaypoints(*pool, 0, &reverse, static_cast<int>(FlowClass(lan))) ==
            WaypointResult::kOk);
    for (uint32_t workers = 1; workers <= 16; ++workers) {
      const uint32_t owner = OwnerOf(FlowClass(lan), workers);
      REQUIRE(OwnerOf(FlowClass(Reversed(lan)), workers) == owner);  // the answer on the LAN
      REQUIRE(OwnerOf(PortClass(reverse.dst_port), workers) == owner);  // peer -> us
      REQUIRE(OwnerOf(PortClass(reverse.src_port), workers) == owner);  // us -> peer, at the peer
    }
  }
}

}  // namespace
}  // namespace ssr::session
