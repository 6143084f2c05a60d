// SPDX-License-Identifier: Apache-2.0
// Link tests (docs/protocol.md §5.4, §7.69): echo codec, per-test latency / jitter / loss, EWMA
// running averages and MOS on a scripted RTT and loss sequence.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "peer/bfd_packet.h"
#include "peer/link_test.h"

namespace ssr::peer {
namespace {

TEST_CASE("Echo packet round-trips and has the documented layout", "[peer][link]") {
  EchoPacket e;
  e.reflected = true;
  e.sender_discriminator = 0x01020304;
  e.test_id = 7;
  e.sequence = 9;
  e.send_time_ms = 0x1122334455667788ull;
  std::array<uint8_t, kEchoSize> buf{};
  REQUIRE(EncodeEcho(e, buf) == kEchoSize);
  const std::array<uint8_t, kEchoSize> expected = {
      0x53, 0x53, 0x52, 0x45, 0x01, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 7,
      0,    0,    0,    9,    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  CHECK(buf == expected);
  EchoPacket d;
  REQUIRE(DecodeEcho(buf, &d) == EchoDecodeResult::kOk);
  CHECK(d == e);
  CHECK(Reflect(EchoPacket{}).reflected);
}

TEST_CASE("Malformed echo packets yield their named results", "[peer][link]") {
  std::array<uint8_t, kEchoSize> buf{};
  REQUIRE(EncodeEcho(EchoPacket{}, buf) == kEchoSize);
  EchoPacket d;
  CHECK(DecodeEcho(std::span<const uint8_t>(buf).first(27), &d) == EchoDecodeResult::kTruncated);
  auto bad = buf;
  bad[0] = 0x20;  // a BFD v1 first byte
  CHECK(DecodeEcho(bad, &d) == EchoDecodeResult::kBadMagic);
  bad = buf;
  bad[4] = 0x02;
  CHECK(DecodeEcho(bad, &d) == EchoDecodeResult::kReservedBits);
  bad = buf;
  bad[6] = 0x01;
  CHECK(DecodeEcho(bad, &d) == EchoDecodeResult::kReservedBits);
}

TEST_CASE("An echo can never be decoded as a BFD control packet", "[peer][link]") {
  std::array<uint8_t, kEchoSize> buf{};
  REQUIRE(EncodeEcho(EchoPacket{}, buf) == kEchoSize);
  BfdControl c;
  CHECK(DecodeBfdControl(buf, &c) == BfdDecodeResult::kBadVersion);
  CHECK(IsEcho(buf));
}

TEST_CASE("MOS follows the simplified E-model of §5.4", "[peer][link][svr-7.69]") {
  // latency 10, jitter 10, no loss: d = 10 + 20 + 10 = 40, Id = 0.96, Ie = 0, R = 92.24,
  // MOS = 1 + 0.035 * 92.24 + 7e-6 * 92.24 * 32.24 * 7.76 = 4.2284 + 0.161538 = 4.389938.
  CHECK(MosFromQuality(10, 10, 0) == Approx(4.389937772032001).epsilon(1e-12));
  // d = 250 > 177.3: Id = 6 + 0.11 * 72.7 = 13.997, R = 79.203, MOS = 3.993521.
  CHECK(MosFromQuality(200, 20, 0) == Approx(3.993521226791011).epsilon(1e-12));
  // Total loss: Ie = 30 ln 16 = 83.18, R = 93.2 - 0.24 - 83.18 = 9.78, MOS = 1.032148.
  CHECK(MosFromQuality(0, 0, 1) == Approx(1.0321482847180603).epsilon(1e-12));
  CHECK(MosFromQuality(0, 0, 0) <= 4.5);
  CHECK(MosFromQuality(5000, 0, 1) == 1.0);  // R < 0 clamps to 1
}

// Sends every echo that Poll hands out at `now`.
std::vector<EchoPacket> Drain(LinkTest* lt, uint64_t now, bool up = true) {
  std::vector<EchoPacket> out;
  for (;;) {
    EchoPacket e;
    const LinkTest::PollResult r = lt->Poll(now, up, &e);
    if (!r.send) break;
    out.push_back(e);
  }
  return out;
}

TEST_CASE("Link test numbers on a scripted RTT and loss sequence", "[peer][link][svr-7.69]") {
  LinkTestOptions o;
  o.length = 4;
  LinkTest lt(0xAB, o);

  // Test 1 at t=0: RTTs 40, 60, (lost), 50.
  std::vector<EchoPacket> sent = Drain(&lt, 0);
  REQUIRE(sent.size() == 4);
  for (uint32_t i = 0; i < 4; ++i) {
    CHECK(sent[i].sequence == i);
    CHECK(sent[i].test_id == 1);
    CHECK(sent[i].sender_discriminator == 0xAB);
    CHECK(sent[i].send_time_ms == 0);
    CHECK_FALSE(sent[i].reflected);
  }
  CHECK(lt.OnReply(Reflect(sent[0]), 40) == LinkReplyResult::kAccepted);
  CHECK(lt.OnReply(Reflect(sent[1]), 60) == LinkReplyResult::kAccepted);
  CHECK(lt.OnReply(Reflect(sent[3]), 50) == LinkReplyResult::kAccepted);
  EchoPacket e;
  CHECK_FALSE(lt.Poll(1999, true, &e).test_finished);  // waiting for echo 2 until the timeout
  CHECK(lt.Poll(2000, true, &e).test_finished);
  const LinkTestResult& r1 = lt.last_result();
  CHECK(r1.sent == 4);
  CHECK(r1.received == 3);
  CHECK(r1.latency_ms == 25.0);  // mean RTT (40 + 60 + 50) / 3 = 50, halved
  CHECK(r1.jitter_ms == 15.0);   // (|60 - 40| + |50 - 60|) / 2
  CHECK(r1.loss == 0.25);
  CHECK(r1.mos == Approx(2.3097769543840525).epsilon(1e-12));
  CHECK(lt.quality().latency_ms == 25.0);  // first test initialises the averages
  CHECK(lt.quality().jitter_ms == 15.0);
  CHECK(lt.quality().loss == 0.25);

  // Test 2 at t=10000: RTTs 20, 20, 30, 10; ends as soon as the last reply is in.
  CHECK(Drain(&lt, 9999).empty());
  sent = Drain(&lt, 10000);
  REQUIRE(sent.size() == 4);
  CHECK(sent[0].test_id == 2);
  const uint64_t rtt2[] = {20, 20, 30, 10};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(lt.OnReply(Reflect(sent[i]), 10000 + rtt2[i]) == LinkReplyResult::kAccepted);
  }
  CHECK(lt.Poll(10030, true, &e).test_finished);
  const LinkTestResult& r2 = lt.last_result();
  CHECK(r2.latency_ms == 10.0);  // mean 20, halved
  CHECK(r2.jitter_ms == 10.0);   // (0 + 10 + 20) / 3
  CHECK(r2.loss == 0.0);
  // EWMA alpha 0.25: 25 + 0.25 (10 - 25), 15 + 0.25 (10 - 15), 0.25 + 0.25 (0 - 0.25).
  CHECK(lt.quality().latency_ms == 21.25);
  CHECK(lt.quality().jitter_ms == 13.75);
  CHECK(lt.quality().loss == 0.1875);
  CHECK(lt.quality().loss_percent() == 18.75);
  CHECK(lt.quality().mos == Approx(2.6613335472055373).epsilon(1e-12));

  // Test 3 at t=20000: nothing comes back. Loss only; latency and jitter keep their averages.
  CHECK(Drain(&lt, 20000).size() == 4);
  CHECK(lt.Poll(22000, true, &e).test_finished);
  CHECK_FALSE(lt.last_result().has_latency);
  CHECK(lt.last_result().loss == 1.0);
  CHECK(lt.quality().latency_ms == 21.25);
  CHECK(lt.quality().jitter_ms == 13.75);
  CHECK(lt.quality().loss == 0.390625);  // 0.1875 + 0.25 (1 - 0.1875)
  CHECK(lt.quality().mos == Approx(1.7825576474918354).epsilon(1e-12));
  CHECK(lt.tests_completed() == 3);
}

TEST_CASE("Every link-test-interval the default test sends link-test-length echoes",
          "[peer][link][svr-7.69]") {
  LinkTest lt(1, LinkTestOptions{});  // 10 echoes every 10 s
  std::vector<uint64_t> send_times;
  for (uint64_t t = 0; t < 60000; ++t) {
    for (const EchoPacket& e : Drain(&lt, t)) {
      send_times.push_back(t);
      lt.OnReply(Reflect(e), t + 30);  // replies arrive later; recorded against the running test
    }
  }
  REQUIRE(send_times.size() == 60);
  for (size_t i = 0; i < send_times.size(); ++i) CHECK(send_times[i] == (i / 10) * 10000);
  CHECK(lt.tests_completed() == 6);  // each ends when its last reply is in (t + 30)
}

TEST_CASE("Link tests stop while the path is down and restart when it is up", "[peer][link]") {
  LinkTestOptions o;
  o.length = 2;
  LinkTest lt(1, o);
  CHECK(Drain(&lt, 0, /*up=*/false).empty());
  CHECK(Drain(&lt, 500, true).size() == 2);  // first test at once when the path comes up
  CHECK(Drain(&lt, 600, false).empty());     // down: the running test is abandoned
  CHECK_FALSE(lt.running());
  CHECK(lt.tests_completed() == 0);
  CHECK(Drain(&lt, 700, true).size() == 2);
  EchoPacket e;
  CHECK(lt.Poll(700, true, &e).next_deadline_ms == 700 + o.reply_timeout_ms);
}

TEST_CASE("Echo replies that do not fit the running test are rejected by name", "[peer][link]") {
  LinkTestOptions o;
  o.length = 2;
  LinkTest lt(5, o);
  const std::vector<EchoPacket> sent = Drain(&lt, 100);
  REQUIRE(sent.size() == 2);
  CHECK(lt.OnReply(sent[0], 110) == LinkReplyResult::kNotReflected);
  EchoPacket other = Reflect(sent[0]);
  other.sender_discriminator = 6;
  CHECK(lt.OnReply(other, 110) == LinkReplyResult::kWrongPath);
  EchoPacket seq = Reflect(sent[0]);
  seq.sequence = 2;
  CHECK(lt.OnReply(seq, 110) == LinkReplyResult::kUnknownSequence);
  EchoPacket future = Reflect(sent[0]);
  future.send_time_ms = 200;
  CHECK(lt.OnReply(future, 110) == LinkReplyResult::kBadTimestamp);
  CHECK(lt.OnReply(Reflect(sent[0]), 110) == LinkReplyResult::kAccepted);
  CHECK(lt.OnReply(Reflect(sent[0]), 111) == LinkReplyResult::kDuplicate);
  EchoPacket e;
  lt.Poll(100 + o.reply_timeout_ms, true, &e);  // test 1 ends
  CHECK(lt.OnReply(Reflect(sent[1]), 2200) == LinkReplyResult::kLate);
}

TEST_CASE("Link test options out of range are rejected with the field and value",
          "[peer][link]") {
  CHECK(ValidateLinkTestOptions(LinkTestOptions{}).ok());
  LinkTestOptions o;
  o.length = 256;
  CHECK(ValidateLinkTestOptions(o).message() == "link_test.length: 256 is outside 0..255");
  o = LinkTestOptions{};
  o.interval_ms = 999;
  CHECK(ValidateLinkTestOptions(o).message() ==
        "link_test.interval_ms: 999 is outside 1000..86400000");
  o = LinkTestOptions{};
  o.reply_timeout_ms = 20000;
  CHECK_FALSE(ValidateLinkTestOptions(o).ok());
}

}  // namespace
}  // namespace ssr::peer
