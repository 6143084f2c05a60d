// SPDX-License-Identifier: Apache-2.0
#include "session/tcp_state.h"

#include <catch2/catch.hpp>

#include "session/session_table.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;
using testing::Init;
using testing::MakeTable;

constexpr Direction kFwd = Direction::kForward;
constexpr Direction kRev = Direction::kReverse;

// A table with one TCP session, strict or not.
struct Fixture {
  explicit Fixture(bool strict) : table(MakeTable(4)) {
    SessionInit init = Init(1);
    init.flags = strict ? kStrictTcp : 0;
    InsertOutcome out = table->Insert(init, 0);
    REQUIRE(out.result == InsertResult::kOk);
    session = out.session;
  }
  UpdateResult Packet(Direction d, uint8_t flags) { return table->Update(*session, d, flags, ++now); }
  void Handshake() {
    REQUIRE(Packet(kFwd, kTcpSyn) == UpdateResult::kStateChanged);
    REQUIRE(Packet(kRev, kTcpSyn | kTcpAck) == UpdateResult::kStateChanged);
    REQUIRE(Packet(kFwd, kTcpAck) == UpdateResult::kStateChanged);
    REQUIRE(session->tcp_state == TcpState::kEstablished);
  }
  std::unique_ptr<SessionTable> table;
  Session* session = nullptr;
  uint64_t now = 0;
};

TEST_CASE("TCP handshake moves none -> syn_sent -> syn_received -> established", "[session]") {
  Fixture f(/*strict=*/true);
  CHECK(f.session->tcp_state == TcpState::kNone);
  CHECK(f.Packet(kFwd, kTcpSyn) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kSynSent);
  CHECK(f.Packet(kRev, kTcpSyn | kTcpAck) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kSynReceived);
  CHECK(f.Packet(kFwd, kTcpAck) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kEstablished);
  CHECK(f.Packet(kRev, kTcpAck | kTcpPsh) == UpdateResult::kOk);
  CHECK(f.table->counters().Get(SessionCounter::kTcpStateChange) == 3);
  CHECK(f.table->counters().Get(SessionCounter::kTcpInvalid) == 0);
}

TEST_CASE("TCP retransmitted SYN and SYN-ACK are valid and change nothing", "[session]") {
  Fixture f(/*strict=*/true);
  f.Packet(kFwd, kTcpSyn);
  CHECK(f.Packet(kFwd, kTcpSyn) == UpdateResult::kOk);
  CHECK(f.session->tcp_state == TcpState::kSynSent);
  f.Packet(kRev, kTcpSyn | kTcpAck);
  CHECK(f.Packet(kRev, kTcpSyn | kTcpAck) == UpdateResult::kOk);
  CHECK(f.Packet(kFwd, kTcpSyn) == UpdateResult::kOk);
  CHECK(f.session->tcp_state == TcpState::kSynReceived);
  f.Packet(kFwd, kTcpAck);
  // Our final ACK was lost: the server repeats its SYN-ACK.
  CHECK(f.Packet(kRev, kTcpSyn | kTcpAck) == UpdateResult::kOk);
  CHECK(f.session->tcp_state == TcpState::kEstablished);
}

TEST_CASE("TCP FIN in one direction then the other moves to fin_wait then closing", "[session]") {
  Fixture f(/*strict=*/true);
  f.Handshake();
  CHECK(f.Packet(kFwd, kTcpFin | kTcpAck) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kFinWait);
  CHECK(f.Packet(kFwd, kTcpFin | kTcpAck) == UpdateResult::kOk);  // retransmitted FIN
  CHECK(f.Packet(kRev, kTcpAck) == UpdateResult::kOk);
  CHECK(f.session->tcp_state == TcpState::kFinWait);
  CHECK(f.Packet(kRev, kTcpFin | kTcpAck) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kClosing);
}

TEST_CASE("TCP simultaneous FIN from both ends reaches closing", "[session]") {
  Fixture f(/*strict=*/true);
  f.Handshake();
  // Both FINs cross on the wire; the router sees the reverse one first.
  CHECK(f.Packet(kRev, kTcpFin | kTcpAck) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kFinWait);
  CHECK(f.Packet(kFwd, kTcpFin | kTcpAck) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kClosing);
  CHECK(f.Packet(kFwd, kTcpAck) == UpdateResult::kOk);
  CHECK(f.Packet(kRev, kTcpAck) == UpdateResult::kOk);
}

TEST_CASE("TCP RST in any state closes the session", "[session]") {
  for (int stage = 0; stage < 4; ++stage) {
    Fixture f(/*strict=*/true);
    if (stage >= 1) f.Packet(kFwd, kTcpSyn);
    if (stage >= 2) f.Packet(kRev, kTcpSyn | kTcpAck);
    if (stage >= 3) f.Packet(kFwd, kTcpAck);
    CHECK(f.Packet(stage % 2 == 0 ? kRev : kFwd, kTcpRst) == UpdateResult::kStateChanged);
    CHECK(f.session->tcp_state == TcpState::kClosed);
  }
}

TEST_CASE("TCP strict mode reports data before the handshake as invalid", "[session]") {
  Fixture f(/*strict=*/true);
  CHECK(f.Packet(kFwd, kTcpAck | kTcpPsh) == UpdateResult::kInvalid);  // no SYN first
  CHECK(f.session->tcp_state == TcpState::kNone);
  f.Packet(kFwd, kTcpSyn);
  CHECK(f.Packet(kFwd, kTcpAck | kTcpPsh) == UpdateResult::kInvalid);
  f.Packet(kRev, kTcpSyn | kTcpAck);
  CHECK(f.Packet(kRev, kTcpAck | kTcpPsh) == UpdateResult::kInvalid);  // server data before ACK
  CHECK(f.session->tcp_state == TcpState::kSynReceived);
  CHECK(f.table->counters().Get(SessionCounter::kTcpInvalid) == 3);
}

TEST_CASE("TCP strict mode reports a SYN on an established session as invalid", "[session]") {
  Fixture f(/*strict=*/true);
  f.Handshake();
  CHECK(f.Packet(kFwd, kTcpSyn) == UpdateResult::kInvalid);
  CHECK(f.Packet(kRev, kTcpSyn) == UpdateResult::kInvalid);
  CHECK(f.session->tcp_state == TcpState::kEstablished);
  CHECK(f.table->counters().Get(SessionCounter::kTcpInvalid) == 2);
}

TEST_CASE("TCP strict mode reports packets after RST as invalid", "[session]") {
  Fixture f(/*strict=*/true);
  f.Handshake();
  f.Packet(kRev, kTcpRst);
  CHECK(f.Packet(kFwd, kTcpAck | kTcpPsh) == UpdateResult::kInvalid);
  CHECK(f.session->tcp_state == TcpState::kClosed);
}

TEST_CASE("TCP non-strict mode accepts the same packets without changing state", "[session]") {
  Fixture f(/*strict=*/false);
  f.Handshake();
  CHECK(f.Packet(kFwd, kTcpSyn) == UpdateResult::kOk);
  CHECK(f.session->tcp_state == TcpState::kEstablished);
  CHECK(f.table->counters().Get(SessionCounter::kTcpInvalid) == 0);
}

TEST_CASE("TCP non-strict mode picks up a midstream session as established", "[session]") {
  Fixture f(/*strict=*/false);
  CHECK(f.Packet(kFwd, kTcpAck | kTcpPsh) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kEstablished);
}

TEST_CASE("TCP forward SYN after close reopens the tuple", "[session]") {
  Fixture f(/*strict=*/true);
  f.Handshake();
  f.Packet(kFwd, kTcpFin | kTcpAck);
  f.Packet(kRev, kTcpFin | kTcpAck);
  REQUIRE(f.session->tcp_state == TcpState::kClosing);
  CHECK(f.Packet(kFwd, kTcpSyn) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kSynSent);
  f.Packet(kRev, kTcpSyn | kTcpAck);
  f.Packet(kFwd, kTcpAck);
  // The FIN bits of the old connection are gone: one FIN is fin_wait again, not closing.
  CHECK(f.Packet(kFwd, kTcpFin | kTcpAck) == UpdateResult::kStateChanged);
  CHECK(f.session->tcp_state == TcpState::kFinWait);
}

TEST_CASE("Non-TCP sessions ignore TCP flags", "[session]") {
  auto table = MakeTable(4);
  InsertOutcome out = table->Insert(Init(1, packet::kIpProtoUdp), 0);
  REQUIRE(out.result == InsertResult::kOk);
  CHECK(table->Update(*out.session, kFwd, kTcpRst, 1) == UpdateResult::kOk);
  CHECK(out.session->tcp_state == TcpState::kNone);
}

TEST_CASE("A TCP SYN without ACK always creates a session", "[session]") {
  for (auto e : {config::TcpStateEnforcement::kReset, config::TcpStateEnforcement::kBlock,
                 config::TcpStateEnforcement::kAllow}) {
    CHECK(FirstPacketAction(kTcpSyn, e) == FirstPacketVerdict::kCreate);
  }
}

TEST_CASE("A TCP first packet without SYN gets an RST under the default enforcement",
          "[session][svr-7.27]") {
  const config::TcpStateEnforcement default_enforcement = config::Service{}.tcp_state_enforcement;
  CHECK(FirstPacketAction(kTcpAck, default_enforcement) == FirstPacketVerdict::kReset);
  CHECK(FirstPacketAction(kTcpAck | kTcpPsh, config::TcpStateEnforcement::kReset) ==
        FirstPacketVerdict::kReset);
  CHECK(FirstPacketAction(kTcpSyn | kTcpAck, config::TcpStateEnforcement::kReset) ==
        FirstPacketVerdict::kReset);
}

TEST_CASE("A TCP first packet without SYN is dropped under block and admitted under allow",
          "[session]") {
  CHECK(FirstPacketAction(kTcpAck, config::TcpStateEnforcement::kBlock) ==
        FirstPacketVerdict::kDrop);
  CHECK(FirstPacketAction(kTcpAck, config::TcpStateEnforcement::kAllow) ==
        FirstPacketVerdict::kCreate);
}

TEST_CASE("A TCP RST that matches no session is dropped, never answered", "[session]") {
  for (auto e : {config::TcpStateEnforcement::kReset, config::TcpStateEnforcement::kBlock,
                 config::TcpStateEnforcement::kAllow}) {
    CHECK(FirstPacketAction(kTcpRst, e) == FirstPacketVerdict::kDrop);
    CHECK(FirstPacketAction(kTcpRst | kTcpAck, e) == FirstPacketVerdict::kDrop);
  }
}

}  // namespace
}  // namespace ssr::session
