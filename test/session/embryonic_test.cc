// SPDX-License-Identifier: Apache-2.0
// Embryonic sessions under a flood (docs/protocol.md §2.10.1): TCP sessions stay evictable until
// their handshake completed even when the server answered, per-source and per-tenant caps, and
// the shorter embryonic timeout while the table is nearly full.
#include <catch2/catch.hpp>

#include <vector>

#include "session/session_table.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using testing::ClientKey;
using testing::Init;
using testing::Removals;
using testing::Seconds;

std::unique_ptr<SessionTable> Make(const SessionTableOptions& options) {
  auto table = SessionTable::Create(options);
  REQUIRE(table.ok());
  return std::move(table).value();
}

SessionTableOptions Options(uint32_t max_sessions) {
  SessionTableOptions o;
  o.max_sessions = max_sessions;
  o.quarantine_ms = 0;
  o.pressure_percent = 0;
  return o;
}

// Client SYN, then the server's SYN-ACK: answered, handshake not complete.
Session* HalfOpen(SessionTable& table, const SessionInit& init, uint64_t now) {
  InsertOutcome out = table.Insert(init, now);
  REQUIRE(out.result == InsertResult::kOk);
  table.Update(*out.session, Direction::kForward, packet::kTcpSyn, now);
  table.Update(*out.session, Direction::kReverse, packet::kTcpSyn | packet::kTcpAck, now);
  REQUIRE(out.session->answered());
  REQUIRE(out.session->tcp_state == TcpState::kSynReceived);
  return out.session;
}

void CompleteHandshake(SessionTable& table, Session& s, uint64_t now) {
  table.Update(s, Direction::kForward, packet::kTcpAck, now);
  REQUIRE(s.tcp_state == TcpState::kEstablished);
}

TEST_CASE("A full table evicts a TCP session the server answered but whose handshake never "
          "completed",
          "[session][flood]") {
  auto table = Make(Options(4));
  Removals removals;
  table->SetRemovalCallback(&Removals::Record, &removals);
  for (uint32_t i = 0; i < 4; ++i) HalfOpen(*table, Init(i), i);
  CHECK(table->embryonic() == 4);
  // A legitimate SYN still gets a slot: the oldest half-open session goes.
  const InsertOutcome fresh = table->Insert(Init(100), 10);
  REQUIRE(fresh.result == InsertResult::kOk);
  CHECK(removals.tenants == std::vector<uint32_t>{0});
  CHECK(removals.reasons == std::vector<RemovalReason>{RemovalReason::kEvictedEmbryonic});
  CHECK(table->counters().Get(SessionCounter::kEvictedHalfOpen) == 1);
  CHECK(table->counters().Get(SessionCounter::kTableFull) == 0);
}

TEST_CASE("A TCP session reset by the server before its handshake completed stays evictable",
          "[session][flood]") {
  auto table = Make(Options(2));
  for (uint32_t i = 0; i < 2; ++i) {
    InsertOutcome out = table->Insert(Init(i), 0);
    REQUIRE(out.result == InsertResult::kOk);
    table->Update(*out.session, Direction::kForward, packet::kTcpSyn, 0);
    table->Update(*out.session, Direction::kReverse, packet::kTcpRst | packet::kTcpAck, 1);
    REQUIRE(out.session->tcp_state == TcpState::kClosed);
  }
  CHECK(table->Insert(Init(9), 2).result == InsertResult::kOk);
  CHECK(table->counters().Get(SessionCounter::kEvictedHalfOpen) == 1);
}

TEST_CASE("A completed handshake protects the session from eviction", "[session][flood]") {
  auto table = Make(Options(3));
  Session* established = HalfOpen(*table, Init(0), 0);
  CompleteHandshake(*table, *established, 1);
  CHECK(table->embryonic() == 0);
  HalfOpen(*table, Init(1), 2);
  HalfOpen(*table, Init(2), 3);
  // A flood of new SYNs churns the two half-open slots, never the established session.
  for (uint32_t i = 10; i < 110; ++i) {
    REQUIRE(table->Insert(Init(i), 4 + i).result == InsertResult::kOk);
  }
  CHECK(table->Lookup(Init(0).forward));
  CHECK(table->size() == 3);
  CHECK(table->embryonic() == 2);
  // Closing after establishment does not put it back on the eviction list.
  table->Update(*established, Direction::kForward, packet::kTcpRst, 200);
  CHECK(table->Insert(Init(500), 201).result == InsertResult::kOk);
  CHECK(table->Lookup(Init(0).forward));
}

TEST_CASE("The per-source cap refuses embryonic sessions beyond it and frees up as they "
          "complete, expire or are evicted",
          "[session][flood]") {
  SessionTableOptions o = Options(64);
  o.max_embryonic_per_source = 3;
  auto table = Make(o);
  // Ingress sessions (waypoints allocated): the client is the forward key's source. Same client
  // 10.0.0.1, different ports.
  auto from = [](uint32_t client, uint16_t port) {
    SessionInit init = Init(client);
    init.forward.src_port = port;
    init.reverse.dst_port = static_cast<uint16_t>(20000 + port);
    init.flags |= kWaypointsAllocated;
    return init;
  };
  std::vector<Session*> mine;
  for (uint16_t p = 1; p <= 3; ++p) {
    InsertOutcome out = table->Insert(from(1, p), 0);
    REQUIRE(out.result == InsertResult::kOk);
    table->Update(*out.session, Direction::kForward, packet::kTcpSyn, 0);
    mine.push_back(out.session);
  }
  CHECK(table->EmbryonicFromSource(ClientKey(1).src) == 3);
  CHECK(table->Insert(from(1, 4), 1).result == InsertResult::kEmbryonicLimit);
  CHECK(table->counters().Get(SessionCounter::kEmbryonicSourceLimit) == 1);
  // Another client is not affected.
  CHECK(table->Insert(from(2, 4), 1).result == InsertResult::kOk);
  // One of the three completes its handshake: room for one more.
  table->Update(*mine[0], Direction::kReverse, packet::kTcpSyn | packet::kTcpAck, 2);
  CHECK(table->Insert(from(1, 5), 2).result == InsertResult::kEmbryonicLimit);  // answered only
  CompleteHandshake(*table, *mine[0], 3);
  CHECK(table->EmbryonicFromSource(ClientKey(1).src) == 2);
  CHECK(table->Insert(from(1, 5), 3).result == InsertResult::kOk);
  // Erase and expiry give the count back too.
  table->Erase(*mine[1], 4);
  CHECK(table->EmbryonicFromSource(ClientKey(1).src) == 2);
  table->Expire(4 + Seconds(31), 64);
  CHECK(table->EmbryonicFromSource(ClientKey(1).src) == 0);
  CHECK(table->EmbryonicFromSource(ClientKey(2).src) == 0);

  SECTION("egress sessions count the reverse key's destination (the client the server answers)") {
    SessionInit egress;
    egress.forward = testing::OuterReverseKey(1);
    egress.forward.side = testing::kWanSide;
    egress.reverse = Reversed(ClientKey(7));
    for (uint16_t p = 1; p <= 3; ++p) {
      egress.forward.src_port = p;
      egress.reverse.dst_port = p;
      REQUIRE(table->Insert(egress, 10).result == InsertResult::kOk);
    }
    CHECK(table->EmbryonicFromSource(ClientKey(7).src) == 3);
    egress.forward.src_port = 4;
    egress.reverse.dst_port = 4;
    CHECK(table->Insert(egress, 10).result == InsertResult::kEmbryonicLimit);
  }
}

TEST_CASE("The per-tenant cap refuses a tenant's embryonic sessions beyond it, other tenants "
          "keep opening",
          "[session][flood]") {
  SessionTableOptions o = Options(64);
  o.max_embryonic_per_tenant = 2;
  auto table = Make(o);
  table->SetTenantCount(4);
  auto of_tenant = [](uint32_t n, uint32_t tenant) {
    SessionInit init = Init(n);
    init.tenant = tenant;
    return init;
  };
  REQUIRE(table->Insert(of_tenant(1, 3), 0).result == InsertResult::kOk);
  Session* second = table->Insert(of_tenant(2, 3), 0).session;
  REQUIRE(second != nullptr);
  CHECK(table->Insert(of_tenant(3, 3), 0).result == InsertResult::kEmbryonicLimit);
  CHECK(table->counters().Get(SessionCounter::kEmbryonicTenantLimit) == 1);
  CHECK(table->Insert(of_tenant(4, 1), 0).result == InsertResult::kOk);
  CHECK(table->EmbryonicOfTenant(3) == 2);
  // A recount (config reload remapped tenant indices) sees the same sessions.
  second->tenant = 0;
  table->SetTenantCount(4);
  CHECK(table->EmbryonicOfTenant(3) == 1);
  CHECK(table->EmbryonicOfTenant(0) == 1);
  CHECK(table->Insert(of_tenant(3, 3), 1).result == InsertResult::kOk);
}

TEST_CASE("Under pressure TCP embryonic sessions expire after the short timeout, while established "
          "ones and a table below the threshold keep the normal timeouts",
          "[session][flood]") {
  SessionTableOptions o = Options(8);
  o.pressure_percent = 50;
  o.embryonic_pressure_timeout_ms = Seconds(5);  // normal embryonic timeout: 30 s
  auto table = Make(o);
  Session* established = HalfOpen(*table, Init(0), 0);
  CompleteHandshake(*table, *established, 0);
  HalfOpen(*table, Init(1), 0);
  Session* syn_only = table->Insert(Init(2), 0).session;
  REQUIRE(syn_only != nullptr);
  table->Update(*syn_only, Direction::kForward, packet::kTcpSyn, 0);
  // 3 of 8 live: below 50 %, the normal 30 s applies.
  CHECK_FALSE(table->UnderPressure());
  CHECK(table->Expire(Seconds(6), 8) == 0);
  // Two more embryonic sessions: 5 of 8 live, at or above 50 %.
  for (uint32_t i = 3; i < 5; ++i) {
    REQUIRE(table->Insert(Init(i, packet::kIpProtoUdp), Seconds(6)).result == InsertResult::kOk);
  }
  CHECK(table->UnderPressure());
  CHECK(table->Expire(Seconds(6), 8) == 2);  // the TCP half-open and SYN-only ones (idle 6 s)
  CHECK(table->counters().Get(SessionCounter::kExpiredUnderPressure) == 2);
  CHECK(table->counters().Get(SessionCounter::kExpiredTcpEmbryonic) == 2);
  CHECK(table->Lookup(Init(0).forward));                       // established
  CHECK(table->Lookup(Init(3, packet::kIpProtoUdp).forward));  // UDP: not shortened
  CHECK(table->size() == 3);
}

}  // namespace
}  // namespace ssr::session
