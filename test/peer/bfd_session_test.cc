// SPDX-License-Identifier: Apache-2.0
// BFD session state machine and timers (RFC 5880 §6.8, docs/protocol.md §5.2, §7.67, §7.68), two
// in-memory sessions exchanging encoded packets under a fake millisecond clock.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "peer/bfd_packet.h"
#include "peer/bfd_session.h"

namespace ssr::peer {
namespace {

BfdOptions NoJitter() {
  BfdOptions o;
  o.jitter = false;
  return o;
}

// Two sessions joined by a lossless zero-delay wire that can be cut per direction. Step() polls
// both at `now` and delivers what they send through the codec.
struct Pair {
  Pair(const BfdOptions& oa, const BfdOptions& ob) : a(0xA, oa), b(0xB, ob) {}

  BfdSession a;
  BfdSession b;
  bool cut_a_to_b = false;
  bool cut_b_to_a = false;
  bool b_enabled = true;
  uint64_t now = 0;
  std::vector<uint64_t> a_tx, b_tx;
  std::vector<BfdControl> a_packets, b_packets;
  std::vector<BfdState> a_states{BfdState::kDown}, b_states{BfdState::kDown};
  std::vector<uint64_t> a_notify_times, b_notify_times;

  void Send(BfdSession& from, BfdSession& to, bool cut, std::vector<uint64_t>* times,
            std::vector<BfdControl>* packets, const BfdControl& p) {
    times->push_back(now);
    packets->push_back(p);
    if (cut) return;
    std::array<uint8_t, 24> wire{};
    REQUIRE(EncodeBfdControl(p, wire) == 24);
    BfdControl q;
    REQUIRE(DecodeBfdControl(wire, &q) == BfdDecodeResult::kOk);
    CHECK(to.Receive(q, now) == BfdReceiveResult::kAccepted);
    (void)from;
  }

  void Record() {
    if (a.state() != a_states.back()) a_states.push_back(a.state());
    if (b.state() != b_states.back()) b_states.push_back(b.state());
  }

  void Step() {
    BfdControl p;
    BfdSession::PollResult r = a.Poll(now, &p);
    if (r.status_changed) a_notify_times.push_back(now);
    if (r.send) Send(a, b, cut_a_to_b || !b_enabled, &a_tx, &a_packets, p);
    Record();
    if (b_enabled) {
      r = b.Poll(now, &p);
      if (r.status_changed) b_notify_times.push_back(now);
      if (r.send) Send(b, a, cut_b_to_a, &b_tx, &b_packets, p);
    }
    Record();
  }

  void RunUntil(uint64_t end) {
    for (; now < end; ++now) Step();
  }
};

TEST_CASE("Two BFD sessions complete the three-way handshake", "[peer][bfd]") {
  Pair pair(NoJitter(), NoJitter());
  pair.b_enabled = false;
  pair.RunUntil(1);  // A alone sends Down at t=0 into the void
  pair.b_enabled = true;
  pair.RunUntil(1000);  // B sends Down at t=1: A goes Init and answers at its next TX (t=1000)
  CHECK(pair.a.state() == BfdState::kInit);
  CHECK(pair.b.state() == BfdState::kDown);
  pair.RunUntil(1001);  // A's Init reaches B: B is Up at once
  CHECK(pair.b.state() == BfdState::kUp);
  pair.RunUntil(1002);  // B's next TX is t=1001 (first one was at t=1, 1000 ms before)
  CHECK(pair.a.state() == BfdState::kUp);
  CHECK(pair.a_states == std::vector<BfdState>{BfdState::kDown, BfdState::kInit, BfdState::kUp});
  CHECK(pair.b_states == std::vector<BfdState>{BfdState::kDown, BfdState::kUp});
  // Discriminators are learned: Your Discriminator of the Up packets names the other side.
  CHECK(pair.a.remote_discriminator() == 0xB);
  CHECK(pair.b.remote_discriminator() == 0xA);
  CHECK(pair.a_packets.front().your_discriminator == 0);
  CHECK(pair.a_packets.back().your_discriminator == 0xB);
}

TEST_CASE("Sessions starting at the same instant are both Up after one interval",
          "[peer][bfd]") {
  Pair pair(NoJitter(), NoJitter());
  pair.RunUntil(1);  // A's Down puts B in Init; B's Init (same instant) brings A Up
  CHECK(pair.a.state() == BfdState::kUp);
  CHECK(pair.b.state() == BfdState::kInit);
  pair.RunUntil(1001);  // A's next packet (t=1000, Up) brings B Up
  CHECK(pair.b.state() == BfdState::kUp);
  CHECK(pair.b_states == std::vector<BfdState>{BfdState::kDown, BfdState::kInit, BfdState::kUp});
}

// Runs a default pair to steady Up, then cuts B -> A and returns the time of A's last reception.
uint64_t UpThenCut(Pair* pair) {
  pair->RunUntil(20000);
  REQUIRE(pair->a.state() == BfdState::kUp);
  REQUIRE(pair->a.notified_status() == PathStatus::kUp);
  pair->cut_b_to_a = true;
  return pair->a.last_rx_ms();
}

TEST_CASE("With default timers a path goes down exactly 3 s after the last BFD packet",
          "[peer][bfd][svr-7.67]") {
  Pair pair(BfdOptions{}, BfdOptions{});  // defaults, jitter included
  const uint64_t last = UpThenCut(&pair);
  CHECK(pair.a.DetectionTimeUs() == 3'000'000);
  pair.RunUntil(last + 2999 + 1);  // Step ran at last + 2999
  CHECK(pair.a.state() == BfdState::kUp);
  BfdControl p;
  CHECK(pair.a.Poll(last + 2999, &p).next_deadline_ms <= last + 3000);
  pair.RunUntil(last + 3000 + 1);
  CHECK(pair.a.state() == BfdState::kDown);
  CHECK(pair.a.local_diag() == BfdDiag::kControlDetectionTimeExpired);
  CHECK(pair.a.remote_discriminator() == 0);
}

TEST_CASE("Hold-down delays the down notification by 5 s after detection",
          "[peer][bfd][svr-7.67]") {
  Pair pair(BfdOptions{}, BfdOptions{});
  const uint64_t last = UpThenCut(&pair);
  pair.a_notify_times.clear();
  pair.RunUntil(last + 3000 + 4999 + 1);
  CHECK(pair.a.state() == BfdState::kDown);
  CHECK(pair.a.notified_status() == PathStatus::kUp);
  CHECK(pair.a.notification_pending());
  pair.RunUntil(last + 8000 + 1);
  CHECK(pair.a.notified_status() == PathStatus::kDown);
  CHECK(pair.a_notify_times == std::vector<uint64_t>{last + 8000});
}

TEST_CASE("Hold-down delays the up notification and Poll reports its deadline", "[peer][bfd]") {
  Pair pair(NoJitter(), NoJitter());
  pair.RunUntil(1001);
  REQUIRE(pair.a.state() == BfdState::kUp);
  const uint64_t up_at = 0;  // A received B's Init at t=0
  CHECK(pair.a.notified_status() == PathStatus::kDown);
  BfdControl p;
  // Earliest of: next TX (sent at 1000, every 1000 ms), detection (last rx 1000 + 3000),
  // hold-down end (5000).
  CHECK(pair.a.Poll(1001, &p).next_deadline_ms == 2000);
  pair.RunUntil(up_at + 5000);
  CHECK(pair.a.notified_status() == PathStatus::kDown);
  pair.RunUntil(up_at + 5000 + 1);
  CHECK(pair.a.notified_status() == PathStatus::kUp);
  CHECK(pair.a_notify_times == std::vector<uint64_t>{up_at + 5000});
}

TEST_CASE("A flap shorter than the hold-down is never notified", "[peer][bfd]") {
  BfdOptions o = NoJitter();
  o.hold_down_ms = 5000;
  BfdSession s(0xA, o);
  BfdControl peer;
  peer.my_discriminator = 0xB;
  peer.state = BfdState::kInit;
  s.Receive(peer, 0);  // Down + Init -> Up
  REQUIRE(s.state() == BfdState::kUp);
  BfdControl out;
  for (uint64_t t = 0; t <= 6000; t += 500) {  // notified Up at 5000
    peer.your_discriminator = 0xA;
    peer.state = BfdState::kUp;
    s.Receive(peer, t);
    s.Poll(t, &out);
  }
  REQUIRE(s.notified_status() == PathStatus::kUp);
  peer.state = BfdState::kDown;  // peer signals down at 6000 ...
  s.Receive(peer, 6000);
  CHECK(s.state() == BfdState::kDown);
  CHECK(s.local_diag() == BfdDiag::kNeighborSignaledSessionDown);
  peer.state = BfdState::kInit;  // ... and comes back at 7000
  peer.your_discriminator = 0xA;
  s.Receive(peer, 7000);
  CHECK(s.state() == BfdState::kUp);
  bool changed = false;
  // Until 9999: at 10000 the detection time (3 s after the last packet) would expire.
  for (uint64_t t = 7000; t < 10000; t += 100) changed |= s.Poll(t, &out).status_changed;
  CHECK_FALSE(changed);
  CHECK(s.notified_status() == PathStatus::kUp);
}

TEST_CASE("Each side transmits at max(own desired-tx, peer required-min-rx)",
          "[peer][bfd][svr-7.68]") {
  BfdOptions oa = NoJitter();
  oa.desired_min_tx_ms = 1000;
  oa.required_min_rx_ms = 500;
  BfdOptions ob = NoJitter();
  ob.desired_min_tx_ms = 300;
  ob.required_min_rx_ms = 2000;
  Pair pair(oa, ob);
  pair.RunUntil(30000);
  REQUIRE(pair.a.state() == BfdState::kUp);
  REQUIRE(pair.b.state() == BfdState::kUp);
  CHECK(pair.a.TxIntervalUs() == 2'000'000);  // B requires 2 s between packets
  CHECK(pair.b.TxIntervalUs() == 500'000);    // B wants 300 ms, A accepts no less than 500 ms
  // Intervals actually used over the last 20 s (periodic packets only: a Final answer to a Poll
  // is sent outside the schedule, so skip packets with F).
  auto intervals = [](const std::vector<uint64_t>& t, const std::vector<BfdControl>& p,
                      uint64_t from) {
    std::vector<uint64_t> out;
    uint64_t prev = 0;
    bool have = false;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] < from || p[i].final) continue;
      if (have) out.push_back(t[i] - prev);
      prev = t[i];
      have = true;
    }
    return out;
  };
  const auto a_iv = intervals(pair.a_tx, pair.a_packets, 10000);
  const auto b_iv = intervals(pair.b_tx, pair.b_packets, 10000);
  REQUIRE(a_iv.size() >= 9);
  REQUIRE(b_iv.size() >= 39);
  for (uint64_t v : a_iv) CHECK(v == 2000);
  for (uint64_t v : b_iv) CHECK(v == 500);
}

TEST_CASE("Jittered BFD intervals lie between 75 % and 100 % and are reproducible",
          "[peer][bfd][svr-7.68]") {
  auto run = [](uint64_t seed) {
    BfdOptions o;
    o.jitter_seed = seed;
    BfdSession s(0xA, o);
    std::vector<uint64_t> sends;
    BfdControl p;
    for (uint64_t t = 0; t < 60000; ++t) {
      if (s.Poll(t, &p).send) sends.push_back(t);
    }
    std::vector<uint64_t> iv;
    for (size_t i = 1; i < sends.size(); ++i) iv.push_back(sends[i] - sends[i - 1]);
    return iv;
  };
  const auto iv = run(7);
  REQUIRE(iv.size() > 50);
  uint64_t lo = iv[0], hi = iv[0];
  for (uint64_t v : iv) {
    CHECK(v >= 750);
    CHECK(v <= 1000);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(hi - lo > 100);     // jitter is really applied
  CHECK(run(7) == iv);      // same seed, same schedule
  CHECK(run(8) != iv);
}

TEST_CASE("Detection time before the peer is heard is multiplier x own required-min-rx",
          "[peer][bfd][svr-7.67]") {
  BfdSession s(0xA, BfdOptions{});
  CHECK(s.DetectionTimeUs() == 3 * 500'000);
  BfdControl peer;
  peer.my_discriminator = 0xB;
  peer.desired_min_tx_us = 1'000'000;
  s.Receive(peer, 0);
  CHECK(s.DetectionTimeUs() == 3 * 1'000'000);
  peer.detect_mult = 5;  // RFC 5880 §6.8.4: the multiplier the peer sends
  peer.desired_min_tx_us = 200'000;
  s.Receive(peer, 1);
  CHECK(s.DetectionTimeUs() == 5 * 500'000);
}

TEST_CASE("Leaving slow start on Up runs a Poll Sequence answered with Final", "[peer][bfd]") {
  BfdOptions fast = NoJitter();
  fast.desired_min_tx_ms = 100;
  fast.required_min_rx_ms = 100;
  fast.hold_down_ms = 0;
  Pair pair(fast, fast);
  pair.RunUntil(1);
  CHECK(pair.a_packets.front().desired_min_tx_us == 1'000'000);  // not Up: at least 1 s
  pair.RunUntil(3000);
  REQUIRE(pair.a.state() == BfdState::kUp);
  CHECK_FALSE(pair.a.poll_sequence_active());
  CHECK(pair.a.TxIntervalUs() == 100'000);
  bool saw_poll = false, saw_final = false;
  for (const BfdControl& p : pair.a_packets) {
    saw_poll |= p.poll;
    saw_final |= p.final;
    CHECK_FALSE((p.poll && p.final));
  }
  CHECK(saw_poll);
  CHECK(saw_final);
  CHECK(pair.a_packets.back().desired_min_tx_us == 100'000);
}

TEST_CASE("BFD session discards packets for another discriminator and in AdminDown",
          "[peer][bfd]") {
  BfdSession s(0xA, NoJitter());
  BfdControl p;
  p.my_discriminator = 0xB;
  p.your_discriminator = 0xC;
  p.state = BfdState::kInit;
  CHECK(s.Receive(p, 0) == BfdReceiveResult::kWrongDiscriminator);
  CHECK(s.state() == BfdState::kDown);
  s.SetAdminDown(true, 0);
  p.your_discriminator = 0xA;
  CHECK(s.Receive(p, 1) == BfdReceiveResult::kAdminDown);
  CHECK(s.state() == BfdState::kAdminDown);
  BfdControl out;
  REQUIRE(s.Poll(2, &out).send);
  CHECK(out.state == BfdState::kAdminDown);
  CHECK(out.diag == static_cast<uint8_t>(BfdDiag::kAdministrativelyDown));
  s.SetAdminDown(false, 3);
  CHECK(s.state() == BfdState::kDown);
}

TEST_CASE("A peer signalling AdminDown takes an Up session Down with diag 3", "[peer][bfd]") {
  BfdSession s(0xA, NoJitter());
  BfdControl p;
  p.my_discriminator = 0xB;
  p.state = BfdState::kInit;
  s.Receive(p, 0);
  REQUIRE(s.state() == BfdState::kUp);
  p.state = BfdState::kAdminDown;
  p.your_discriminator = 0xA;
  s.Receive(p, 10);
  CHECK(s.state() == BfdState::kDown);
  CHECK(s.local_diag() == BfdDiag::kNeighborSignaledSessionDown);
}

TEST_CASE("A peer requiring min-rx 0 stops periodic transmission", "[peer][bfd]") {
  BfdSession s(0xA, NoJitter());
  BfdControl out;
  REQUIRE(s.Poll(0, &out).send);
  BfdControl p;
  p.my_discriminator = 0xB;
  p.required_min_rx_us = 0;
  s.Receive(p, 1);
  size_t sent = 0;
  for (uint64_t t = 1; t < 10000; ++t) sent += s.Poll(t, &out).send;
  CHECK(sent == 1);  // the one already scheduled for t=1000, then none
  p.required_min_rx_us = 500'000;
  s.Receive(p, 10000);
  CHECK(s.Poll(10000, &out).send);
}

TEST_CASE("BFD options out of range are rejected with the field and value", "[peer][bfd]") {
  CHECK(ValidateBfdOptions(BfdOptions{}).ok());
  BfdOptions o;
  o.desired_min_tx_ms = 10;
  CHECK(ValidateBfdOptions(o).message() == "bfd.desired_min_tx_ms: 10 is outside 50..600000");
  o = BfdOptions{};
  o.multiplier = 2;
  CHECK(ValidateBfdOptions(o).message() == "bfd.multiplier: 2 is outside 3..20");
  o = BfdOptions{};
  o.hold_down_ms = 300001;
  CHECK(ValidateBfdOptions(o).message() == "bfd.hold_down_ms: 300001 is outside 0..300000");
  o = BfdOptions{};
  o.required_min_rx_ms = 0;
  CHECK_FALSE(ValidateBfdOptions(o).ok());
}

}  // namespace
}  // namespace ssr::peer
