// SPDX-License-Identifier: Apache-2.0
// Inactivity timeouts per protocol class, with an injected clock (uint64 milliseconds).
#include <catch2/catch.hpp>

#include "session/session_table.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpRst;
using packet::kTcpSyn;
using testing::Init;
using testing::Key;
using testing::MakeTable;
using testing::Removals;
using testing::Seconds;

constexpr Direction kFwd = Direction::kForward;
constexpr Direction kRev = Direction::kReverse;

// Inserts `init` at t=0, lets `drive` account packets (ending at time `last`), then checks that
// the session survives a sweep at last + timeout - 1 ms and expires at last + timeout with the
// expected counter and callback reason.
void ExpectTimeout(const SessionInit& init, uint64_t timeout_ms, SessionCounter counter,
                   RemovalReason reason, void (*drive)(SessionTable&, Session&) = nullptr,
                   uint64_t last = 0) {
  auto table = MakeTable(8);
  Removals removals;
  table->SetRemovalCallback(&Removals::Record, &removals);
  InsertOutcome out = table->Insert(init, 0);
  REQUIRE(out.result == InsertResult::kOk);
  if (drive != nullptr) drive(*table, *out.session);
  CHECK(table->TimeoutMs(*out.session) == timeout_ms);
  CHECK(table->Expire(last + timeout_ms - 1, 8) == 0);
  CHECK(table->Lookup(init.forward));
  CHECK(table->Expire(last + timeout_ms, 8) == 1);
  CHECK_FALSE(table->Lookup(init.forward));
  CHECK_FALSE(table->Lookup(init.reverse));
  CHECK(table->size() == 0);
  CHECK(table->counters().Get(counter) == 1);
  REQUIRE(removals.reasons.size() == 1);
  CHECK(removals.reasons[0] == reason);
  CHECK(removals.tenants[0] == init.tenant);
}

TEST_CASE("TCP session with only a SYN expires after the embryonic timeout", "[session]") {
  ExpectTimeout(Init(1), Seconds(30), SessionCounter::kExpiredTcpEmbryonic,
                RemovalReason::kExpiredTcpEmbryonic,
                [](SessionTable& t, Session& s) { t.Update(s, kFwd, kTcpSyn, 0); });
}

TEST_CASE("TCP session in syn_received still uses the embryonic timeout", "[session]") {
  ExpectTimeout(Init(1), Seconds(30), SessionCounter::kExpiredTcpEmbryonic,
                RemovalReason::kExpiredTcpEmbryonic, [](SessionTable& t, Session& s) {
                  t.Update(s, kFwd, kTcpSyn, 0);
                  t.Update(s, kRev, kTcpSyn | kTcpAck, 0);
                });
}

TEST_CASE("Established TCP session expires after the established timeout", "[session]") {
  ExpectTimeout(Init(1), Seconds(1800), SessionCounter::kExpiredTcpEstablished,
                RemovalReason::kExpiredTcpEstablished, [](SessionTable& t, Session& s) {
                  t.Update(s, kFwd, kTcpSyn, 0);
                  t.Update(s, kRev, kTcpSyn | kTcpAck, 0);
                  t.Update(s, kFwd, kTcpAck, 0);
                });
}

TEST_CASE("TCP session after FIN in both directions expires after the closing timeout",
          "[session]") {
  ExpectTimeout(Init(1), Seconds(10), SessionCounter::kExpiredTcpClosing,
                RemovalReason::kExpiredTcpClosing, [](SessionTable& t, Session& s) {
                  t.Update(s, kFwd, kTcpSyn, 0);
                  t.Update(s, kRev, kTcpSyn | kTcpAck, 0);
                  t.Update(s, kFwd, kTcpAck, 0);
                  t.Update(s, kFwd, kTcpFin | kTcpAck, 0);
                  t.Update(s, kRev, kTcpFin | kTcpAck, 0);
                });
}

TEST_CASE("TCP session after RST expires after the closing timeout", "[session]") {
  ExpectTimeout(Init(1), Seconds(10), SessionCounter::kExpiredTcpClosing,
                RemovalReason::kExpiredTcpClosing, [](SessionTable& t, Session& s) {
                  t.Update(s, kFwd, kTcpSyn, 0);
                  t.Update(s, kRev, kTcpRst | kTcpAck, 0);
                });
}

TEST_CASE("UDP session expires after the UDP timeout", "[session]") {
  ExpectTimeout(Init(1, packet::kIpProtoUdp), Seconds(180), SessionCounter::kExpiredUdp,
                RemovalReason::kExpiredUdp);
}

TEST_CASE("UDP session to port 53 expires after the DNS timeout", "[session]") {
  SessionInit init = Init(1, packet::kIpProtoUdp);
  init.forward.dst_port = 53;
  ExpectTimeout(init, Seconds(30), SessionCounter::kExpiredUdpDns, RemovalReason::kExpiredUdpDns);
}

TEST_CASE("UDP session from port 53 also uses the DNS timeout", "[session]") {
  SessionInit init = Init(1, packet::kIpProtoUdp);
  init.forward.src_port = 53;
  ExpectTimeout(init, Seconds(30), SessionCounter::kExpiredUdpDns, RemovalReason::kExpiredUdpDns);
}

TEST_CASE("ICMP echo session expires after the ICMP timeout", "[session]") {
  SessionInit init = Init(1);
  init.forward = Key("10.1.1.10", 77, "8.8.8.8", 0, packet::kIpProtoIcmp);
  init.reverse = Reversed(init.forward);
  ExpectTimeout(init, Seconds(30), SessionCounter::kExpiredIcmp, RemovalReason::kExpiredIcmp);
}

TEST_CASE("Other-protocol session expires after the other timeout", "[session]") {
  SessionInit init = Init(1);
  init.forward = Key("10.1.1.10", 0, "8.8.8.8", 0, /*GRE*/ 47);
  init.reverse = Reversed(init.forward);
  ExpectTimeout(init, Seconds(180), SessionCounter::kExpiredOther, RemovalReason::kExpiredOther);
}

TEST_CASE("An explicit protocol class overrides the forward key's", "[session]") {
  // Egress router: the forward key is the outer UDP tuple, the forward context said DNS.
  SessionInit init = Init(1, packet::kIpProtoUdp);
  init.protocol_class = ClassifyProtocol(packet::kIpProtoUdp, 40000, 53);
  ExpectTimeout(init, Seconds(30), SessionCounter::kExpiredUdpDns, RemovalReason::kExpiredUdpDns);
}

TEST_CASE("Configured timeouts replace the defaults", "[session]") {
  SessionTableOptions options;
  options.max_sessions = 4;
  options.timeouts.udp = std::chrono::seconds(5);
  auto table = SessionTable::Create(options);
  REQUIRE(table.ok());
  InsertOutcome out = (*table)->Insert(Init(1, packet::kIpProtoUdp), 0);
  REQUIRE(out.result == InsertResult::kOk);
  CHECK((*table)->TimeoutMs(*out.session) == Seconds(5));
  CHECK((*table)->Expire(Seconds(5), 4) == 1);
}

TEST_CASE("Packets postpone expiry", "[session]") {
  auto table = MakeTable(4);
  InsertOutcome out = table->Insert(Init(1, packet::kIpProtoUdp), 0);
  REQUIRE(out.result == InsertResult::kOk);
  table->Update(*out.session, kFwd, 0, Seconds(100));
  CHECK(table->Expire(Seconds(279), 4) == 0);
  CHECK(table->Expire(Seconds(280), 4) == 1);
}

TEST_CASE("Expire inspects at most budget slots per call and resumes", "[session]") {
  auto table = MakeTable(8);
  for (uint32_t i = 0; i < 8; ++i) {
    REQUIRE(table->Insert(Init(i, packet::kIpProtoUdp), 0).result == InsertResult::kOk);
  }
  CHECK(table->Expire(Seconds(1000), 3) == 3);
  CHECK(table->size() == 5);
  CHECK(table->Expire(Seconds(1000), 3) == 3);
  CHECK(table->Expire(Seconds(1000), 3) == 2);  // wraps around: slots 6, 7, then 0 (empty)
  CHECK(table->size() == 0);
  CHECK(table->Expire(Seconds(1000), 100) == 0);
}

TEST_CASE("A clock that goes backwards expires nothing", "[session]") {
  auto table = MakeTable(4);
  REQUIRE(table->Insert(Init(1, packet::kIpProtoUdp), Seconds(500)).result == InsertResult::kOk);
  CHECK(table->Expire(Seconds(1), 4) == 0);
  CHECK(table->size() == 1);
}

}  // namespace
}  // namespace ssr::session
