// SPDX-License-Identifier: Apache-2.0
#include "session/session_table.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "session_test_util.h"

namespace ssr::session {
namespace {

using testing::ClientKey;
using testing::Init;
using testing::Key;
using testing::MakeTable;
using testing::Removals;

TEST_CASE("Create rejects a zero or oversized capacity", "[session]") {
  SessionTableOptions options;
  options.max_sessions = 0;
  CHECK(SessionTable::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.max_sessions = SessionTable::kMaxSessions + 1;
  CHECK(SessionTable::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Session record is three cache lines and the table reports its memory", "[session]") {
  STATIC_REQUIRE(sizeof(Session) == 192);
  STATIC_REQUIRE(alignof(Session) == 64);
  auto table = MakeTable(1000);
  CHECK(table->capacity() == 1000);
  // 1000 sessions -> 2000 flows -> 4096 index slots of 8 bytes.
  // + the occupancy bitmap: 16 words of 64 slots.
  CHECK(table->MemoryBytes() == 1000 * 192 + 4096 * 8 + 16 * 8);
}

TEST_CASE("VisitOccupied visits exactly the live and quarantined slots, in budgets, and reports "
          "the end of each full visit",
          "[session]") {
  constexpr uint32_t kCapacity = 200;  // not a multiple of 64: the last bitmap word is partial
  auto table = MakeTable(kCapacity, /*quarantine_ms=*/testing::Seconds(60));
  std::vector<uint32_t> expected;
  for (uint32_t n = 0; n < kCapacity; ++n) {
    SessionInit init = Init(n);
    if (n % 5 == 0) init.flags |= kWaypointsAllocated;  // quarantined when erased
    InsertOutcome out = table->Insert(init, 1000);
    REQUIRE(out.result == InsertResult::kOk);
    const uint32_t index = table->IndexOf(*out.session);
    if (n % 3 == 0) {
      table->Erase(*out.session, 2000);
      if (n % 5 != 0) continue;  // freed
    }
    expected.push_back(index);
  }
  std::sort(expected.begin(), expected.end());
  REQUIRE(table->quarantined() == 14);  // n % 15 == 0 below 200

  for (uint32_t budget : {1u, 37u, 64u, 200u, 1000u}) {
    INFO("budget " << budget);
    uint32_t cursor = 0;
    std::vector<uint32_t> seen;
    int calls = 0;
    bool wrapped = false;
    while (!wrapped) {
      REQUIRE(++calls <= static_cast<int>(kCapacity));
      wrapped = table->VisitOccupied(&cursor, budget, [&](uint32_t i) { seen.push_back(i); });
      if (!wrapped) CHECK(cursor == std::min<uint32_t>(calls * budget, kCapacity));
    }
    CHECK(cursor == 0);
    CHECK(calls == static_cast<int>((kCapacity + budget - 1) / budget));
    CHECK(seen == expected);
  }

  // The visitor may remove what it is given: every live session erased in one pass.
  uint32_t cursor = 0;
  uint32_t erased = 0;
  CHECK(table->VisitOccupied(&cursor, kCapacity, [&](uint32_t i) {
    if (table->at(i).live()) {
      table->Erase(table->at(i), 3000);
      ++erased;
    }
  }));
  CHECK(erased == expected.size() - 14);
  CHECK(table->size() == 0);
  // Freed slots are no longer visited; quarantined ones still are.
  std::vector<uint32_t> left;
  cursor = 0;
  table->VisitOccupied(&cursor, kCapacity, [&](uint32_t i) { left.push_back(i); });
  CHECK(left.size() == table->quarantined());
  for (uint32_t i : left) CHECK(table->at(i).slot_state == SlotState::kQuarantined);
}

TEST_CASE("Lookup finds a session by its forward key", "[session]") {
  auto table = MakeTable(16);
  const SessionInit init = Init(1);
  const InsertOutcome out = table->Insert(init, 100);
  REQUIRE(out.result == InsertResult::kOk);
  const LookupResult hit = table->Lookup(init.forward);
  REQUIRE(hit);
  CHECK(hit.session == out.session);
  CHECK(hit.direction == Direction::kForward);
  CHECK(hit.session->tenant == 1);
  CHECK(hit.session->created_ms == 100);
  CHECK(table->size() == 1);
  CHECK(table->counters().Get(SessionCounter::kInserted) == 1);
  CHECK(table->counters().Get(SessionCounter::kLookupHit) == 1);
}

TEST_CASE("Lookup finds a session by its reverse key", "[session]") {
  auto table = MakeTable(16);
  const SessionInit init = Init(1);
  const InsertOutcome out = table->Insert(init, 0);
  REQUIRE(out.result == InsertResult::kOk);
  const LookupResult hit = table->Lookup(init.reverse);
  REQUIRE(hit);
  CHECK(hit.session == out.session);
  CHECK(hit.direction == Direction::kReverse);
}

TEST_CASE("Lookup misses an unknown key and counts it", "[session]") {
  auto table = MakeTable(16);
  REQUIRE(table->Insert(Init(1), 0).result == InsertResult::kOk);
  CHECK_FALSE(table->Lookup(ClientKey(2)));
  // Same tuple on another interface or VLAN is another flow.
  FlowKey other_side = ClientKey(1);
  other_side.side = 9;
  CHECK_FALSE(table->Lookup(other_side));
  FlowKey other_vlan = ClientKey(1);
  other_vlan.vlan = 10;
  CHECK_FALSE(table->Lookup(other_vlan));
  CHECK(table->counters().Get(SessionCounter::kLookupMiss) == 3);
}

TEST_CASE("IPv6 sessions are found in both directions", "[session]") {
  auto table = MakeTable(16);
  SessionInit init;
  init.forward = Key("2001:db8:1::10", 40000, "2001:db8:2::20", 443);
  init.reverse = Key("2001:db8:ff::2", 16385, "2001:db8:ff::1", 16384, packet::kIpProtoTcp,
                     testing::kWanSide);
  REQUIRE(table->Insert(init, 0).result == InsertResult::kOk);
  CHECK(table->Lookup(init.forward).direction == Direction::kForward);
  CHECK(table->Lookup(init.reverse).direction == Direction::kReverse);
  CHECK(table->Lookup(init.reverse).session->protocol_class == ProtocolClass::kTcp);
}

TEST_CASE("ICMP echo sessions are keyed by identifier and match the reply", "[session]") {
  auto table = MakeTable(16);
  SessionInit init;
  init.forward = Key("10.1.1.10", 0x1234, "8.8.8.8", 0, packet::kIpProtoIcmp);
  init.reverse = Reversed(init.forward);  // local breakout without NAT: the reply as it arrives
  REQUIRE(table->Insert(init, 0).result == InsertResult::kOk);
  const LookupResult reply = table->Lookup(Key("8.8.8.8", 0x1234, "10.1.1.10", 0,
                                               packet::kIpProtoIcmp));
  REQUIRE(reply);
  CHECK(reply.direction == Direction::kReverse);
  CHECK(reply.session->protocol_class == ProtocolClass::kIcmp);
  CHECK_FALSE(table->Lookup(Key("10.1.1.10", 0x1235, "8.8.8.8", 0, packet::kIpProtoIcmp)));
}

TEST_CASE("Insert refuses a forward key that is already in use", "[session]") {
  auto table = MakeTable(16);
  REQUIRE(table->Insert(Init(1), 0).result == InsertResult::kOk);
  SessionInit dup = Init(2);
  dup.forward = Init(1).forward;
  CHECK(table->Insert(dup, 0).result == InsertResult::kExists);
  CHECK(table->size() == 1);
  CHECK(table->counters().Get(SessionCounter::kExists) == 1);
  CHECK_FALSE(table->Lookup(dup.reverse));  // nothing of the refused session was indexed
}

TEST_CASE("Insert refuses a reverse key that is already in use", "[session]") {
  auto table = MakeTable(16);
  REQUIRE(table->Insert(Init(1), 0).result == InsertResult::kOk);
  SessionInit dup = Init(2);
  dup.reverse = Init(1).reverse;
  CHECK(table->Insert(dup, 0).result == InsertResult::kExists);
  CHECK_FALSE(table->Lookup(dup.forward));
}

TEST_CASE("Insert refuses a reverse key equal to another session's forward key", "[session]") {
  auto table = MakeTable(16);
  REQUIRE(table->Insert(Init(1), 0).result == InsertResult::kOk);
  SessionInit cross = Init(2);
  cross.reverse = Init(1).forward;
  CHECK(table->Insert(cross, 0).result == InsertResult::kExists);
}

TEST_CASE("Insert refuses equal forward and reverse keys", "[session]") {
  auto table = MakeTable(16);
  SessionInit init = Init(1);
  init.reverse = init.forward;
  CHECK(table->Insert(init, 0).result == InsertResult::kInvalidKey);
  CHECK(table->counters().Get(SessionCounter::kInvalidKey) == 1);
  CHECK(table->size() == 0);
}

TEST_CASE("Erase removes both flows and frees the slot", "[session]") {
  auto table = MakeTable(1);
  const SessionInit init = Init(1);
  InsertOutcome out = table->Insert(init, 0);
  REQUIRE(out.result == InsertResult::kOk);
  table->Erase(*out.session, 5);
  CHECK(table->size() == 0);
  CHECK_FALSE(table->Lookup(init.forward));
  CHECK_FALSE(table->Lookup(init.reverse));
  CHECK(table->counters().Get(SessionCounter::kErased) == 1);
  CHECK(table->index().size() == 0);
  // The single slot is usable again, by the same keys.
  CHECK(table->Insert(init, 6).result == InsertResult::kOk);
}

TEST_CASE("A full table of answered sessions refuses new sessions", "[session]") {
  auto table = MakeTable(4);
  for (uint32_t i = 0; i < 4; ++i) {
    InsertOutcome out = table->Insert(Init(i), 0);
    REQUIRE(out.result == InsertResult::kOk);
    table->Update(*out.session, Direction::kReverse, packet::kTcpSyn | packet::kTcpAck, 1);
  }
  CHECK(table->embryonic() == 0);
  CHECK(table->Insert(Init(10), 2).result == InsertResult::kTableFull);
  CHECK(table->counters().Get(SessionCounter::kTableFull) == 1);
  CHECK(table->counters().Get(SessionCounter::kEvictedEmbryonic) == 0);
  for (uint32_t i = 0; i < 4; ++i) CHECK(table->Lookup(Init(i).forward));
}

TEST_CASE("A full table evicts the least recently active embryonic session", "[session]") {
  auto table = MakeTable(3);
  Removals removals;
  table->SetRemovalCallback(&Removals::Record, &removals);
  Session* s[3];
  for (uint32_t i = 0; i < 3; ++i) {
    InsertOutcome out = table->Insert(Init(i), i);
    REQUIRE(out.result == InsertResult::kOk);
    s[i] = out.session;
    table->Update(*s[i], Direction::kForward, packet::kTcpSyn, i);
  }
  // Session 0 retransmits its SYN: it is now the most recently active; 1 is the oldest.
  table->Update(*s[0], Direction::kForward, packet::kTcpSyn, 10);
  REQUIRE(table->Insert(Init(3), 11).result == InsertResult::kOk);
  REQUIRE(removals.tenants == std::vector<uint32_t>{1});
  CHECK(removals.reasons[0] == RemovalReason::kEvictedEmbryonic);
  CHECK_FALSE(table->Lookup(Init(1).forward));
  CHECK_FALSE(table->Lookup(Init(1).reverse));
  CHECK(table->Lookup(Init(0).forward));
  CHECK(table->counters().Get(SessionCounter::kEvictedEmbryonic) == 1);
  // Next victim: 2 (created at 2), then 0 (active at 10), then 3 (created at 11).
  REQUIRE(table->Insert(Init(4), 12).result == InsertResult::kOk);
  REQUIRE(table->Insert(Init(5), 13).result == InsertResult::kOk);
  REQUIRE(table->Insert(Init(6), 14).result == InsertResult::kOk);
  CHECK(removals.tenants == std::vector<uint32_t>{1, 2, 0, 3});
}

TEST_CASE("Answered sessions are never evicted", "[session]") {
  auto table = MakeTable(3);
  for (uint32_t i = 0; i < 3; ++i) {
    InsertOutcome out = table->Insert(Init(i, packet::kIpProtoUdp), 0);
    REQUIRE(out.result == InsertResult::kOk);
    // 0 and 2 get an answer; 1 only ever sends.
    table->Update(*out.session, Direction::kForward, 0, 1);
    if (i != 1) table->Update(*out.session, Direction::kReverse, 0, 2);
  }
  CHECK(table->embryonic() == 1);
  REQUIRE(table->Insert(Init(3, packet::kIpProtoUdp), 3).result == InsertResult::kOk);
  CHECK_FALSE(table->Lookup(Init(1, packet::kIpProtoUdp).forward));
  // Now the only unanswered session is the new one.
  REQUIRE(table->Insert(Init(4, packet::kIpProtoUdp), 4).result == InsertResult::kOk);
  CHECK_FALSE(table->Lookup(Init(3, packet::kIpProtoUdp).forward));
  // Answer the newest: nothing evictable remains.
  table->Update(*table->Lookup(Init(4, packet::kIpProtoUdp).forward).session, Direction::kReverse,
                0, 5);
  CHECK(table->Insert(Init(5, packet::kIpProtoUdp), 6).result == InsertResult::kTableFull);
  CHECK(table->Lookup(Init(0, packet::kIpProtoUdp).forward));
  CHECK(table->Lookup(Init(2, packet::kIpProtoUdp).forward));
  CHECK(table->Lookup(Init(4, packet::kIpProtoUdp).forward));
}

TEST_CASE("The first reverse packet answers the session", "[session]") {
  auto table = MakeTable(4);
  InsertOutcome out = table->Insert(Init(1, packet::kIpProtoUdp), 0);
  REQUIRE(out.result == InsertResult::kOk);
  CHECK(table->embryonic() == 1);
  table->Update(*out.session, Direction::kForward, 0, 1);
  CHECK_FALSE(out.session->answered());
  CHECK(table->Update(*out.session, Direction::kReverse, 0, 2) == UpdateResult::kOk);
  CHECK(out.session->answered());
  CHECK(table->embryonic() == 0);
  CHECK(out.session->last_activity_ms == 2);
}

TEST_CASE("A strict-mode invalid reverse packet neither answers nor refreshes the session",
          "[session]") {
  auto table = MakeTable(4);
  SessionInit init = Init(1);
  init.flags = kStrictTcp;
  InsertOutcome out = table->Insert(init, 0);
  REQUIRE(out.result == InsertResult::kOk);
  REQUIRE(table->Update(*out.session, Direction::kForward, packet::kTcpSyn, 1) ==
          UpdateResult::kStateChanged);
  CHECK(table->Update(*out.session, Direction::kReverse, packet::kTcpAck, 5) ==
        UpdateResult::kInvalid);
  CHECK_FALSE(out.session->answered());
  CHECK(out.session->last_activity_ms == 1);
  CHECK(table->embryonic() == 1);
}

TEST_CASE("The table keeps its index capacity under heavy churn", "[session]") {
  auto table = MakeTable(256);
  const size_t capacity = table->index().capacity();
  for (uint32_t round = 0; round < 40; ++round) {
    for (uint32_t i = 0; i < 256; ++i) {
      REQUIRE(table->Insert(Init(round * 256 + i), round).result == InsertResult::kOk);
    }
    REQUIRE(table->size() == 256);
    for (uint32_t i = 0; i < 256; ++i) {
      LookupResult hit = table->Lookup(Init(round * 256 + i).reverse);
      REQUIRE(hit);
      REQUIRE(hit.session->tenant == round * 256 + i);
      table->Erase(*hit.session, round);
    }
  }
  CHECK(table->size() == 0);
  CHECK(table->index().size() == 0);
  CHECK(table->index().capacity() == capacity);
}

}  // namespace
}  // namespace ssr::session

namespace ssr::session {
namespace {

TEST_CASE("Burst lookup with precomputed hashes and prefetches finds the same sessions",
          "[session]") {
  auto table = testing::MakeTable(64);
  for (uint32_t i = 0; i < 64; ++i) {
    REQUIRE(table->Insert(testing::Init(i), 0).result == InsertResult::kOk);
  }
  FlowKey keys[8] = {testing::Init(3).forward, testing::Init(3).reverse, testing::Init(60).reverse,
                     testing::ClientKey(1000),  testing::Init(0).forward, testing::Init(63).forward,
                     testing::Init(7).reverse,  testing::OuterReverseKey(999)};
  uint64_t hashes[8];
  for (int k = 0; k < 8; ++k) {
    hashes[k] = FlowIndex::Hash(keys[k]);
    table->Prefetch(hashes[k]);
  }
  for (int k = 0; k < 8; ++k) table->PrefetchSession(hashes[k]);
  for (int k = 0; k < 8; ++k) {
    const LookupResult burst = table->Lookup(keys[k], hashes[k]);
    const LookupResult single = table->Lookup(keys[k]);
    CHECK(burst.session == single.session);
    CHECK(burst.direction == single.direction);
  }
  CHECK(table->counters().Get(SessionCounter::kLookupMiss) == 4);  // 2 unknown keys, twice each
}

}  // namespace
}  // namespace ssr::session

namespace ssr::session {
namespace {

TEST_CASE("Rebind moves one flow of a live session to a new key and keeps its state",
          "[session]") {
  auto table = testing::MakeTable(16, /*quarantine_ms=*/0);
  SessionInit init;
  init.forward = testing::ClientKey(1, packet::kIpProtoTcp);
  init.reverse = Reversed(init.forward);
  init.reverse.side = 9;
  const InsertOutcome out = table->Insert(init, 100);
  REQUIRE(out.result == InsertResult::kOk);
  Session& s = *out.session;
  table->Update(s, Direction::kForward, packet::kTcpSyn, 100);
  const TcpState before = s.tcp_state;
  FlowKey moved = init.forward;
  moved.src_port = 5555;
  CHECK(table->Rebind(s, Direction::kForward, moved) == InsertResult::kOk);
  CHECK_FALSE(table->Lookup(init.forward));
  const LookupResult hit = table->Lookup(moved);
  REQUIRE(hit);
  CHECK(hit.session == &s);
  CHECK(hit.direction == Direction::kForward);
  CHECK(s.tcp_state == before);
  CHECK(table->size() == 1);
  CHECK(table->counters().Get(SessionCounter::kRebound) == 1);
  // A key held by another live session, or the session's own other key, is refused.
  SessionInit other;
  other.forward = testing::ClientKey(2, packet::kIpProtoTcp);
  other.reverse = Reversed(other.forward);
  REQUIRE(table->Insert(other, 100).result == InsertResult::kOk);
  CHECK(table->Rebind(s, Direction::kForward, other.forward) == InsertResult::kExists);
  CHECK(table->Rebind(s, Direction::kForward, s.reverse) == InsertResult::kInvalidKey);
  CHECK(table->Lookup(moved).session == &s);
}

}  // namespace
}  // namespace ssr::session
