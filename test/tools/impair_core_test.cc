// SPDX-License-Identifier: Apache-2.0
// ssr-impair's pure part (tools/ssr_impair/impair_core.h): loss, jitter, order, link down, burst
// loss, rate limit, queue bound and the control commands, with the clock passed in by the test and
// a seeded or scripted random source.
#include "impair_core.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ssr::impair {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

constexpr uint64_t kMs = 1000000;

// Returns a fixed list of values in turn (as 53-bit fractions: Uniform01() gives them back).
class ScriptedRng final : public Rng {
 public:
  explicit ScriptedRng(std::vector<double> values) : values_(std::move(values)) {}
  uint64_t Next() override {
    const double v = values_[i_++ % values_.size()];
    return static_cast<uint64_t>(v * 0x1.0p53) << 11;
  }

 private:
  std::vector<double> values_;
  size_t i_ = 0;
};

DirectionParams Params(const std::string& settings) {
  DirectionParams p;
  REQUIRE(ApplySettings(settings, &p).ok());
  return p;
}

// Pops everything, advancing the clock to each wake-up; returns the frames in send order with
// their actual send times in due_ns.
std::vector<Scheduled> Drain(Link& link, uint64_t* now) {
  std::vector<Scheduled> out;
  for (;;) {
    const uint64_t wake = link.NextWakeNs();
    if (wake == std::numeric_limits<uint64_t>::max()) break;
    if (wake > *now) *now = wake;
    Scheduled s;
    PopResult r = link.Pop(*now, &s);
    REQUIRE(r != PopResult::kNone);  // NextWakeNs promised a frame at this time
    if (r == PopResult::kSend) {
      s.due_ns = *now;
      link.CountSent(s.length);
      out.push_back(s);
    }
  }
  return out;
}

TEST_CASE("random loss of 20 % drops 20 % +- 2 % of 10000 frames, counted") {
  Xoshiro256 rng(42);
  Link link(16, &rng);
  link.SetParams(Params("loss=20"));
  int lost = 0;
  Scheduled s;
  for (uint32_t i = 0; i < 10000; ++i) {
    const Verdict v = link.Offer(i * 1000, i % 16, 100);
    if (v == Verdict::kLost) ++lost;
    while (link.Pop(i * 1000, &s) == PopResult::kSend) link.CountSent(s.length);
  }
  CHECK(lost >= 1800);
  CHECK(lost <= 2200);
  CHECK(link.counters().Get(ImpairCounter::kDroppedLoss) == static_cast<uint64_t>(lost));
  CHECK(link.counters().Get(ImpairCounter::kRxFrames) == 10000);
  CHECK(link.counters().Get(ImpairCounter::kTxFrames) == static_cast<uint64_t>(10000 - lost));
  CHECK(link.counters().Get(ImpairCounter::kRxBytes) == 1000000);
}

TEST_CASE("delay 30 ms jitter 5 ms: every due time in [25, 35] ms after arrival, order kept") {
  Xoshiro256 rng(7);
  Link link(20000, &rng);
  link.SetParams(Params("delay=30 jitter=5"));
  std::vector<uint64_t> arrival;
  uint64_t min_delay = UINT64_MAX, max_delay = 0;
  // 100 us apart: jitter alone would reorder most neighbours.
  for (uint32_t i = 0; i < 10000; ++i) {
    const uint64_t now = uint64_t{i} * 100000;
    uint64_t due = 0;
    REQUIRE(link.Offer(now, i, 64, &due) == Verdict::kQueued);
    CHECK(due >= now + 25 * kMs);
    CHECK(due <= now + 35 * kMs);
    min_delay = std::min(min_delay, due - now);
    max_delay = std::max(max_delay, due - now);
    arrival.push_back(now);
  }
  // Order kept: most frames wait for their predecessor (due times are not below the previous one).
  CHECK(max_delay > 34 * kMs);
  // Frames 20 ms apart do not wait for each other: the jitter covers the whole [25, 35] ms.
  {
    Link spaced(4, &rng);
    spaced.SetParams(Params("delay=30 jitter=5"));
    min_delay = UINT64_MAX, max_delay = 0;
    Scheduled s;
    for (uint32_t i = 0; i < 2000; ++i) {
      const uint64_t now = uint64_t{i} * 20 * kMs;
      uint64_t due = 0;
      REQUIRE(spaced.Offer(now, 0, 64, &due) == Verdict::kQueued);
      REQUIRE(spaced.Pop(due, &s) == PopResult::kSend);
      min_delay = std::min(min_delay, due - now);
      max_delay = std::max(max_delay, due - now);
    }
    CHECK(min_delay < 25100000);
    CHECK(min_delay >= 25 * kMs);
    CHECK(max_delay > 34900000);
    CHECK(max_delay <= 35 * kMs);
  }
  uint64_t now = 0;
  const std::vector<Scheduled> sent = Drain(link, &now);
  REQUIRE(sent.size() == 10000);
  for (size_t i = 0; i < sent.size(); ++i) {
    CHECK(sent[i].slot == i);  // order kept
    CHECK(sent[i].due_ns >= arrival[i] + 25 * kMs);
    CHECK(sent[i].due_ns <= arrival[i] + 35 * kMs);
  }
}

TEST_CASE("with reorder on, jitter reorders frames") {
  Xoshiro256 rng(7);
  Link link(1000, &rng);
  link.SetParams(Params("delay=30 jitter=5 reorder=on"));
  for (uint32_t i = 0; i < 1000; ++i) REQUIRE(link.Offer(uint64_t{i} * 100000, i, 64) == Verdict::kQueued);
  uint64_t now = 0;
  const std::vector<Scheduled> sent = Drain(link, &now);
  REQUIRE(sent.size() == 1000);
  int out_of_order = 0;
  for (size_t i = 1; i < sent.size(); ++i) {
    if (sent[i].slot < sent[i - 1].slot) ++out_of_order;
    CHECK(sent[i].due_ns >= sent[i - 1].due_ns);  // still sent in due-time order
  }
  CHECK(out_of_order > 100);
}

TEST_CASE("uniform jitter reaches exactly delay - jitter and delay + jitter (scripted random)") {
  ScriptedRng rng({0.0, 0.5, 1.0 - 0x1.0p-53});
  Link link(8, &rng);
  link.SetParams(Params("delay=30 jitter=5 reorder=on"));
  uint64_t due[3];
  for (int i = 0; i < 3; ++i) {
    REQUIRE(link.Offer(0, static_cast<uint32_t>(i), 64, &due[i]) == Verdict::kQueued);
  }
  CHECK(due[0] == 25 * kMs);
  CHECK(due[1] == 30 * kMs);
  CHECK(due[2] == 35 * kMs);
}

TEST_CASE("normal jitter: mean = delay, standard deviation = jitter, never below 0") {
  Xoshiro256 rng(3);
  Link link(1, &rng);
  link.SetParams(Params("delay=20 jitter=4 dist=normal reorder=on"));
  double sum = 0, sum2 = 0;
  const int n = 20000;
  Scheduled s;
  for (int i = 0; i < n; ++i) {
    uint64_t due = 0;
    REQUIRE(link.Offer(0, 0, 64, &due) == Verdict::kQueued);
    REQUIRE(link.Pop(due, &s) == PopResult::kSend);
    const double ms = static_cast<double>(due) / 1e6;
    CHECK(ms >= 20.0 - 16.0);
    CHECK(ms <= 20.0 + 16.0);
    sum += ms;
    sum2 += ms * ms;
  }
  const double mean = sum / n;
  const double sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(std::abs(mean - 20.0) < 0.15);
  CHECK(std::abs(sd - 4.0) < 0.15);

  // A jitter larger than the delay is cut at 0, not wrapped around.
  link.SetParams(Params("delay=1 jitter=5 dist=normal reorder=on"));
  int zero = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t due = 1;
    REQUIRE(link.Offer(1000 * kMs, 0, 64, &due) == Verdict::kQueued);
    REQUIRE(link.Pop(due, &s) == PopResult::kSend);
    CHECK(due >= 1000 * kMs);
    if (due == 1000 * kMs) ++zero;
  }
  CHECK(zero > 300);
}

TEST_CASE("link down drops and counts every frame, queued ones when due, and up restores") {
  Xoshiro256 rng(1);
  Link link(100, &rng);
  link.SetParams(Params("delay=10"));
  // Five frames in flight, then the cut.
  for (uint32_t i = 0; i < 5; ++i) REQUIRE(link.Offer(0, i, 100) == Verdict::kQueued);
  link.SetUp(false);
  for (uint32_t i = 0; i < 1000; ++i) CHECK(link.Offer(kMs + i, 50, 100) == Verdict::kDown);
  uint64_t now = 0;
  CHECK(Drain(link, &now).empty());
  CHECK(link.counters().Get(ImpairCounter::kDroppedDown) == 1005);
  CHECK(link.counters().Get(ImpairCounter::kTxFrames) == 0);
  CHECK(link.queued() == 0);

  link.SetUp(true);
  REQUIRE(link.Offer(now, 7, 100) == Verdict::kQueued);
  const std::vector<Scheduled> sent = Drain(link, &now);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].slot == 7);
  CHECK(link.counters().Get(ImpairCounter::kTxFrames) == 1);
}

TEST_CASE("state=down in the settings starts the direction down") {
  Xoshiro256 rng(1);
  Link link(4, &rng);
  link.SetParams(Params("state=down"));
  CHECK(link.Offer(0, 0, 60) == Verdict::kDown);
}

TEST_CASE("Gilbert-Elliott burst loss: mean loss (p*lb + r*lg)/(p+r), mean burst length 1/r") {
  Xoshiro256 rng(11);
  Link link(1, &rng);
  link.SetParams(Params("ge=1,10"));  // p = 1 %, r = 10 %, bad loses all, good none
  REQUIRE(std::abs(link.params().ge.MeanLoss() - 1.0 / 11.0) < 1e-12);
  const int n = 200000;
  int lost = 0, bursts = 0;
  bool in_burst = false;
  Scheduled s;
  for (int i = 0; i < n; ++i) {
    const Verdict v = link.Offer(0, 0, 60);
    if (v == Verdict::kBurstLost) {
      ++lost;
      if (!in_burst) ++bursts;
      in_burst = true;
    } else {
      REQUIRE(v == Verdict::kQueued);
      REQUIRE(link.Pop(0, &s) == PopResult::kSend);
      in_burst = false;
    }
  }
  const double rate = static_cast<double>(lost) / n;
  CHECK(std::abs(rate - 1.0 / 11.0) < 0.01);
  const double mean_burst = static_cast<double>(lost) / bursts;
  CHECK(mean_burst > 8.5);
  CHECK(mean_burst < 11.5);
  CHECK(link.counters().Get(ImpairCounter::kDroppedBurst) == static_cast<uint64_t>(lost));
  CHECK(link.counters().Get(ImpairCounter::kDroppedLoss) == 0);

  // Partial loss in both states: p=5 %, r=20 %, bad 50 %, good 2 % -> (2.5 + 0.4) / 25 = 11.6 %.
  link.SetParams(Params("ge=5,20,50,2"));
  CHECK(std::abs(link.params().ge.MeanLoss() - 0.116) < 1e-12);
  lost = 0;
  for (int i = 0; i < n; ++i) {
    if (link.Offer(0, 0, 60) != Verdict::kQueued) {
      ++lost;
    } else {
      REQUIRE(link.Pop(0, &s) == PopResult::kSend);
    }
  }
  CHECK(std::abs(static_cast<double>(lost) / n - 0.116) < 0.01);
}

TEST_CASE("rate limit: 1250-byte frames at 10 Mbit/s leave exactly 1 ms apart") {
  Xoshiro256 rng(5);
  Link link(200, &rng);
  link.SetParams(Params("rate=10 delay=2"));
  for (uint32_t i = 0; i < 100; ++i) REQUIRE(link.Offer(0, i, 1250) == Verdict::kQueued);
  uint64_t now = 0;
  const std::vector<Scheduled> sent = Drain(link, &now);
  REQUIRE(sent.size() == 100);
  CHECK(sent[0].due_ns == 2 * kMs);  // the first one after the delay, then one per 1 ms
  for (size_t i = 1; i < sent.size(); ++i) {
    CHECK(sent[i].due_ns - sent[i - 1].due_ns == kMs);
    CHECK(sent[i].slot == i);
  }
  // An idle line does not bank credit: after a pause the next frame goes at once, the one after
  // 1 ms later.
  now += 50 * kMs;
  REQUIRE(link.Offer(now, 0, 1250) == Verdict::kQueued);
  REQUIRE(link.Offer(now, 1, 1250) == Verdict::kQueued);
  const uint64_t t0 = now;
  const std::vector<Scheduled> again = Drain(link, &now);
  REQUIRE(again.size() == 2);
  CHECK(again[0].due_ns == t0 + 2 * kMs);
  CHECK(again[1].due_ns == t0 + 3 * kMs);
}

TEST_CASE("the queue is bounded: frames beyond capacity are dropped and counted") {
  Xoshiro256 rng(5);
  Link link(10, &rng);
  link.SetParams(Params("delay=5"));
  int overflow = 0;
  for (uint32_t i = 0; i < 15; ++i) {
    if (link.Offer(0, i, 64) == Verdict::kOverflow) ++overflow;
  }
  CHECK(overflow == 5);
  CHECK(link.queued() == 10);
  CHECK(link.counters().Get(ImpairCounter::kDroppedOverflow) == 5);
  uint64_t now = 0;
  CHECK(Drain(link, &now).size() == 10);
  CHECK(link.Offer(now, 0, 64) == Verdict::kQueued);  // room again
}

TEST_CASE("settings: errors name the key and the value, and a list applies all or nothing") {
  DirectionParams p;
  absl::Status s = ApplySetting("delay", "abc", &p);
  CHECK_THAT(std::string(s.message()), Contains("delay=abc"));
  s = ApplySetting("loss", "101", &p);
  CHECK_THAT(std::string(s.message()), Contains("loss=101"));
  s = ApplySetting("ge", "5", &p);
  CHECK_THAT(std::string(s.message()), Contains("ge=5"));
  s = ApplySetting("ge", "5,x", &p);
  CHECK_THAT(std::string(s.message()), Contains("\"x\""));
  s = ApplySetting("dist", "pareto", &p);
  CHECK_THAT(std::string(s.message()), Contains("dist=pareto"));
  s = ApplySetting("speed", "1", &p);
  CHECK_THAT(std::string(s.message()), Contains("\"speed\""));
  s = ApplySettings("delay=5 jitter=-1", &p);
  CHECK_THAT(std::string(s.message()), Contains("jitter=-1"));
  CHECK(p.delay_ns == 0);  // nothing applied
  s = ApplySettings("delay", &p);
  CHECK_THAT(std::string(s.message()), Contains("key=value"));

  REQUIRE(ApplySettings("delay=12.3456 jitter=0.5 dist=normal loss=1.5 ge=1,2,90,1 rate=100 "
                        "reorder=on state=down",
                        &p)
              .ok());
  CHECK(p.delay_ns == 12346000);  // microsecond resolution
  CHECK(p.jitter_ns == 500000);
  CHECK(p.dist == JitterDist::kNormal);
  CHECK(std::abs(p.loss - 0.015) < 1e-12);
  CHECK(p.ge.enabled);
  CHECK(p.rate_bps == 100e6);
  CHECK(p.reorder);
  CHECK_FALSE(p.up);
  // What FormatParams prints reads back to the same settings.
  DirectionParams q;
  REQUIRE(ApplySettings(FormatParams(p), &q).ok());
  CHECK(FormatParams(q) == FormatParams(p));
  REQUIRE(ApplySetting("ge", "off", &q).ok());
  CHECK_FALSE(q.ge.enabled);
}

TEST_CASE("control commands: down/up per direction, set, stats, show, reset, errors") {
  Xoshiro256 rng(9);
  Link a2b(8, &rng), b2a(8, &rng);
  CHECK(ExecuteCommand("down a2b", &a2b, &b2a) == "ok");
  CHECK_FALSE(a2b.params().up);
  CHECK(b2a.params().up);
  CHECK(a2b.Offer(0, 0, 64) == Verdict::kDown);
  CHECK(ExecuteCommand("up", &a2b, &b2a) == "ok");
  CHECK(a2b.params().up);
  CHECK(ExecuteCommand("down", &a2b, &b2a) == "ok");
  CHECK_FALSE(a2b.params().up);
  CHECK_FALSE(b2a.params().up);
  CHECK(ExecuteCommand("up both", &a2b, &b2a) == "ok");

  CHECK(ExecuteCommand("set b2a delay=40 loss=5", &a2b, &b2a) == "ok");
  CHECK(b2a.params().delay_ns == 40 * kMs);
  CHECK(a2b.params().delay_ns == 0);
  CHECK(ExecuteCommand("set jitter=2", &a2b, &b2a) == "ok");
  CHECK(a2b.params().jitter_ns == 2 * kMs);
  CHECK(b2a.params().jitter_ns == 2 * kMs);
  CHECK(b2a.params().delay_ns == 40 * kMs);  // untouched settings stay

  const std::string bad = ExecuteCommand("set a2b delay=5 loss=abc", &a2b, &b2a);
  CHECK_THAT(bad, StartsWith("error: "));
  CHECK_THAT(bad, Contains("loss=abc"));
  CHECK(a2b.params().delay_ns == 0);  // nothing applied

  const std::string stats = ExecuteCommand("stats", &a2b, &b2a);
  CHECK_THAT(stats, StartsWith("ok\na2b rx_frames=1 "));
  CHECK_THAT(stats, Contains("dropped_down=1"));
  CHECK_THAT(stats, Contains("\nb2a rx_frames=0 "));
  CHECK_THAT(ExecuteCommand("show b2a", &a2b, &b2a),
             StartsWith("ok\nb2a state=up delay=40.000 jitter=2.000"));
  CHECK(ExecuteCommand("reset a2b", &a2b, &b2a) == "ok");
  CHECK(a2b.counters().Total() == 0);

  CHECK_THAT(ExecuteCommand("frobnicate", &a2b, &b2a), StartsWith("error: unknown command"));
  CHECK_THAT(ExecuteCommand("down sideways", &a2b, &b2a), Contains("\"sideways\""));
  CHECK_THAT(ExecuteCommand("set", &a2b, &b2a), StartsWith("error: set needs"));
  CHECK_THAT(ExecuteCommand("", &a2b, &b2a), StartsWith("error: empty"));
}

}  // namespace
}  // namespace ssr::impair
