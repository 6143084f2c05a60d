// SPDX-License-Identifier: Apache-2.0
// The firewall checks on top of the TCP state machine (docs/protocol.md §6): the flag table, and
// the RST/FIN sequence-window check with its per-direction tracking (window scale, wraparound).
#include <array>
#include <catch2/catch.hpp>

#include "session/session_table.h"
#include "session/tcp_state.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using packet::kTcpAck;
using packet::kTcpCwr;
using packet::kTcpEce;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;
using packet::kTcpUrg;
using testing::Init;
using testing::MakeTable;

constexpr Direction kFwd = Direction::kForward;
constexpr Direction kRev = Direction::kReverse;

TcpSegment Seg(uint8_t flags, uint32_t seq, uint32_t ack = 0, uint16_t window = 65535,
               uint32_t length = 0, uint8_t wscale = kNoWindowScale) {
  TcpSegment s;
  s.flags = flags;
  s.has_seq = true;
  s.seq = seq;
  s.ack = ack;
  s.window = window;
  s.length = length;
  s.wscale = wscale;
  return s;
}

struct Conn {
  explicit Conn(bool strict = true) : table(MakeTable(4)) {
    SessionInit init = Init(1);
    init.flags = strict ? kStrictTcp : 0;
    InsertOutcome out = table->Insert(init, 0);
    REQUIRE(out.result == InsertResult::kOk);
    s = out.session;
  }
  UpdateResult Send(Direction d, const TcpSegment& seg) { return table->Update(*s, d, seg, ++now); }
  // Client ISN c, server ISN v; window-scale options as given (kNoWindowScale: none).
  void Handshake(uint32_t c, uint32_t v, uint8_t client_scale = kNoWindowScale,
                 uint8_t server_scale = kNoWindowScale, uint16_t server_window = 65535) {
    REQUIRE(Send(kFwd, Seg(kTcpSyn, c, 0, 65535, 0, client_scale)) == UpdateResult::kStateChanged);
    REQUIRE(Send(kRev, Seg(kTcpSyn | kTcpAck, v, c + 1, server_window, 0, server_scale)) ==
            UpdateResult::kStateChanged);
    REQUIRE(Send(kFwd, Seg(kTcpAck, c + 1, v + 1)) == UpdateResult::kStateChanged);
    REQUIRE(s->tcp_state == TcpState::kEstablished);
  }
  uint64_t Counter(SessionCounter c) const { return table->counters().Get(c); }
  std::unique_ptr<SessionTable> table;
  Session* s = nullptr;
  uint64_t now = 0;
};

TEST_CASE("TCP flag table: the combinations a TCP sends are valid, the scan/attack ones are not",
          "[session][tcp-window]") {
  for (uint8_t f : {kTcpSyn, uint8_t(kTcpSyn | kTcpUrg), uint8_t(kTcpSyn | kTcpAck), kTcpRst,
                    uint8_t(kTcpRst | kTcpAck), uint8_t(kTcpFin | kTcpAck),
                    uint8_t(kTcpFin | kTcpAck | kTcpUrg), kTcpAck, uint8_t(kTcpAck | kTcpUrg),
                    uint8_t(kTcpSyn | kTcpPsh), uint8_t(kTcpSyn | kTcpEce | kTcpCwr),
                    uint8_t(kTcpAck | kTcpPsh), uint8_t(kTcpFin | kTcpAck | kTcpPsh)}) {
    INFO("flags " << int(f));
    CHECK(TcpFlagsValid(f));
  }
  for (uint8_t f : {uint8_t(kTcpSyn | kTcpFin), uint8_t(kTcpSyn | kTcpRst),
                    uint8_t(kTcpSyn | kTcpFin | kTcpPsh), uint8_t(kTcpSyn | kTcpFin | kTcpUrg),
                    uint8_t(kTcpSyn | kTcpFin | kTcpAck), uint8_t(kTcpSyn | kTcpRst | kTcpAck),
                    uint8_t(kTcpSyn | kTcpAck | kTcpUrg), uint8_t(0), kTcpFin, kTcpUrg,
                    uint8_t(kTcpFin | kTcpUrg | kTcpPsh), uint8_t(kTcpRst | kTcpFin),
                    uint8_t(kTcpRst | kTcpFin | kTcpAck), uint8_t(0xff)}) {
    INFO("flags " << int(f));
    CHECK_FALSE(TcpFlagsValid(f));
  }
}

TEST_CASE("A TCP first packet with SYN+FIN, SYN+RST or no flags opens no session, whatever the "
          "enforcement",
          "[session][tcp-window]") {
  for (auto e : {config::TcpStateEnforcement::kReset, config::TcpStateEnforcement::kBlock,
                 config::TcpStateEnforcement::kAllow}) {
    CHECK(FirstPacketAction(kTcpSyn | kTcpFin, e) == FirstPacketVerdict::kBadFlags);
    CHECK(FirstPacketAction(kTcpSyn | kTcpRst, e) == FirstPacketVerdict::kBadFlags);
    CHECK(FirstPacketAction(kTcpSyn | kTcpFin | kTcpPsh | kTcpUrg, e) == FirstPacketVerdict::kBadFlags);
    CHECK(FirstPacketAction(0, e) == FirstPacketVerdict::kBadFlags);
    CHECK(FirstPacketAction(kTcpFin | kTcpUrg | kTcpPsh, e) == FirstPacketVerdict::kBadFlags);
    CHECK(FirstPacketAction(kTcpSyn | kTcpPsh, e) == FirstPacketVerdict::kCreate);
  }
}

TEST_CASE("Strict enforcement refuses SYN+FIN on a session (it would reopen a closed tuple)",
          "[session][tcp-window]") {
  Conn c;
  c.Handshake(1000, 5000);
  CHECK(c.Send(kFwd, Seg(kTcpRst, 1001)) == UpdateResult::kStateChanged);
  REQUIRE(c.s->tcp_state == TcpState::kClosed);
  CHECK(c.Send(kFwd, Seg(kTcpSyn | kTcpFin, 9000)) == UpdateResult::kInvalid);
  CHECK(c.s->tcp_state == TcpState::kClosed);
}

TEST_CASE("An RST inside the receiver's window closes, one outside is refused and counted, from "
          "either side",
          "[session][tcp-window]") {
  for (Direction d : {kFwd, kRev}) {
    Conn c;
    c.Handshake(1000, 5000);
    const uint32_t next = d == kFwd ? 1001 : 5001;
    const uint64_t at = c.s->last_activity_ms;
    CHECK(c.Send(d, Seg(kTcpRst, next + 70000)) == UpdateResult::kRstOutOfWindow);
    CHECK(c.Send(d, Seg(kTcpRst | kTcpAck, next - 70000)) == UpdateResult::kRstOutOfWindow);
    CHECK(c.Send(d, Seg(kTcpRst, next + 0x80000000u)) == UpdateResult::kRstOutOfWindow);
    CHECK(c.Counter(SessionCounter::kTcpRstOutOfWindow) == 3);
    CHECK(c.s->tcp_state == TcpState::kEstablished);
    CHECK(c.s->last_activity_ms == at);  // a refused RST does not refresh the timer
    // Data still flows, then an in-window RST (not the exact next sequence number) closes.
    CHECK(c.Send(d, Seg(kTcpAck | kTcpPsh, next, 0, 65535, 100)) == UpdateResult::kOk);
    CHECK(c.Send(d, Seg(kTcpRst, next + 100 + 30000)) == UpdateResult::kStateChanged);
    CHECK(c.s->tcp_state == TcpState::kClosed);
  }
}

TEST_CASE("A FIN outside the receiver's window does not half-close the session",
          "[session][tcp-window]") {
  Conn c;
  c.Handshake(1000, 5000);
  CHECK(c.Send(kRev, Seg(kTcpFin | kTcpAck, 5001 + 200000, 1001)) == UpdateResult::kFinOutOfWindow);
  CHECK(c.Counter(SessionCounter::kTcpFinOutOfWindow) == 1);
  CHECK(c.s->tcp_state == TcpState::kEstablished);
  CHECK(c.Send(kRev, Seg(kTcpFin | kTcpAck, 5001, 1001)) == UpdateResult::kStateChanged);
  CHECK(c.s->tcp_state == TcpState::kFinWait);
}

TEST_CASE("The window check uses serial-number arithmetic across the 2^32 wrap",
          "[session][tcp-window]") {
  Conn c;
  c.Handshake(0xFFFFFF00u, 0x7FFFFFF0u);
  // 0x200 bytes of client data cross the wrap: next is 0x101.
  CHECK(c.Send(kFwd, Seg(kTcpAck, 0xFFFFFF01u, 0x7FFFFFF1u, 65535, 0x200)) == UpdateResult::kOk);
  CHECK(c.s->tcp_next_seq[0] == 0x101u);
  CHECK(c.Send(kFwd, Seg(kTcpRst, 0x80000101u)) == UpdateResult::kRstOutOfWindow);
  CHECK(c.Send(kFwd, Seg(kTcpRst, 0xFFFFFF80u)) == UpdateResult::kStateChanged);  // before the wrap
}

TEST_CASE("The window scale of the SYN and SYN-ACK widens the window, if both offer it",
          "[session][tcp-window]") {
  SECTION("both offer it: 1000 << 7 = 128000") {
    Conn c;
    c.Handshake(1000, 5000, /*client_scale=*/7, /*server_scale=*/7);
    CHECK(c.Send(kRev, Seg(kTcpAck, 5001, 1001, 1000)) == UpdateResult::kOk);
    CHECK(c.Send(kFwd, Seg(kTcpRst, 1001 + 150000)) == UpdateResult::kRstOutOfWindow);
    CHECK(c.Send(kFwd, Seg(kTcpRst, 1001 + 120000)) == UpdateResult::kStateChanged);
  }
  SECTION("only the client offers it: no scaling, the window stays 65535") {
    Conn c;
    c.Handshake(1000, 5000, /*client_scale=*/7, kNoWindowScale);
    CHECK(c.Send(kRev, Seg(kTcpAck, 5001, 1001, 1000)) == UpdateResult::kOk);
    CHECK(c.Send(kFwd, Seg(kTcpRst, 1001 + 100000)) == UpdateResult::kRstOutOfWindow);
  }
  SECTION("midstream pickup (allow): the largest shift, 14") {
    Conn c(/*strict=*/false);
    CHECK(c.Send(kFwd, Seg(kTcpAck, 1000, 5000, 1000)) == UpdateResult::kStateChanged);
    CHECK(c.Send(kRev, Seg(kTcpAck, 5000, 1000, 1000)) == UpdateResult::kOk);
    // 1000 << 14 = 16,384,000.
    CHECK(c.Send(kFwd, Seg(kTcpRst, 1000 + 17000000)) == UpdateResult::kRstOutOfWindow);
    CHECK(c.Send(kFwd, Seg(kTcpRst, 1000 + 16000000)) == UpdateResult::kStateChanged);
  }
}

TEST_CASE("In SYN-SENT the answer RST must acknowledge the SYN", "[session][tcp-window]") {
  Conn c;
  REQUIRE(c.Send(kFwd, Seg(kTcpSyn, 1000)) == UpdateResult::kStateChanged);
  CHECK(c.Send(kRev, Seg(kTcpRst, 0)) == UpdateResult::kRstOutOfWindow);
  CHECK(c.Send(kRev, Seg(kTcpRst | kTcpAck, 0, 1234)) == UpdateResult::kRstOutOfWindow);
  CHECK(c.s->tcp_state == TcpState::kSynSent);
  CHECK(c.Send(kRev, Seg(kTcpRst | kTcpAck, 0, 1001)) == UpdateResult::kStateChanged);
  CHECK(c.s->tcp_state == TcpState::kClosed);
}

TEST_CASE("A spoofed far-away segment does not drag the window along", "[session][tcp-window]") {
  Conn c;
  c.Handshake(1000, 5000);
  CHECK(c.Send(kFwd, Seg(kTcpAck | kTcpPsh, 1001 + 1000000, 5001, 65535, 100)) == UpdateResult::kOk);
  CHECK(c.s->tcp_next_seq[0] == 1001u);
  CHECK(c.Send(kFwd, Seg(kTcpRst, 1001 + 1000100)) == UpdateResult::kRstOutOfWindow);
  CHECK(c.s->tcp_state == TcpState::kEstablished);
}

TEST_CASE("A segment without visible sequence numbers is checked by its flags only",
          "[session][tcp-window]") {
  Conn c;
  c.Handshake(1000, 5000);
  CHECK(c.table->Update(*c.s, kFwd, kTcpRst, ++c.now) == UpdateResult::kStateChanged);
}

TEST_CASE("ReadTcpSegment reads sequence numbers, window and a SYN's window-scale option",
          "[session][tcp-window]") {
  // SYN, seq 0x01020304, ack 0, data offset 8 (12 option bytes: MSS, NOP, WS 9, NOP NOP, EOL).
  std::array<uint8_t, 36> seg{};
  seg[4] = 1; seg[5] = 2; seg[6] = 3; seg[7] = 4;
  seg[12] = 8 << 4;
  seg[13] = kTcpSyn;
  seg[14] = 0x12; seg[15] = 0x34;
  const uint8_t opts[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 9, 1, 1, 0, 0};
  std::copy(std::begin(opts), std::end(opts), seg.begin() + 20);
  const TcpSegment t = ReadTcpSegment(std::span<const uint8_t>(seg));
  CHECK(t.has_seq);
  CHECK(t.flags == kTcpSyn);
  CHECK(t.seq == 0x01020304u);
  CHECK(t.window == 0x1234);
  CHECK(t.wscale == 9);
  CHECK(t.length == 4);
  seg[25] = 1;  // the option is gone (NOP)
  seg[26] = 1;
  seg[27] = 1;
  CHECK(ReadTcpSegment(std::span<const uint8_t>(seg)).wscale == kNoWindowScale);
  CHECK_FALSE(ReadTcpSegment(std::span<const uint8_t>(seg).first(10)).has_seq);
}

}  // namespace
}  // namespace ssr::session
