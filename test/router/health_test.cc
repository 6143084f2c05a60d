// SPDX-License-Identifier: Apache-2.0
// WAN assurance (router/health.h): SLEs over a window from one RouterStats sample per second,
// each with the classifier that cost the most.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "health_test_util.h"
#include "router/health.h"

namespace ssr::router {
namespace {

// A router with one interface, one peer path and one service; the test moves its counters.
struct Fake {
  RouterStats s = testing::HealthStats("inet", "voice");
  uint64_t& rx() { return s.pipeline[0].value; }
  uint64_t& drops() { return s.pipeline[1].value; }
  uint64_t& ring_full() { return s.interfaces[0].counters[1].value; }
  PeerPathStats& path() { return s.peers[0].paths[0]; }
  ServiceStats& voice() { return s.services[0]; }
};

const HealthItem& Find(const HealthReport& r, const std::string& scope, const std::string& name) {
  for (const HealthItem& i : r.items) {
    if (i.scope == scope && i.name == name) return i;
  }
  FAIL("no health item " << scope << "/" << name);
  return r.items.front();
}

TEST_CASE("gateway SLE: drops over 1 %, ring-full frames and a full table each cost a second",
          "[router][health]") {
  HealthMonitor m(10);
  Fake f;
  m.Sample(f.s);  // the first sample only sets the baseline for the gateway
  for (int i = 0; i < 6; ++i) {  // 6 good seconds
    f.rx() += 1000;
    f.drops() += 5;  // 0.5 %
    m.Sample(f.s);
  }
  f.rx() += 1000;
  f.drops() += 50;  // 5 %
  m.Sample(f.s);
  f.ring_full() += 3;
  m.Sample(f.s);
  f.drops() += 30;  // drops with no packets received count as drops too
  f.rx() += 100;
  m.Sample(f.s);
  f.s.sessions_live = 950;  // 95 % of the table
  m.Sample(f.s);
  const HealthReport r = m.Report();
  CHECK(r.window_seconds == 10);
  REQUIRE_FALSE(r.items.empty());
  const HealthItem& g = r.items.front();
  CHECK(g.scope == "gateway");
  CHECK(g.samples == 10);
  CHECK(g.sle_percent == Approx(60));
  CHECK(g.classifier == "drops");  // 2 seconds, against 1 each for ring full and table full
}

TEST_CASE("gateway SLE: a worker thread busy over 90 % of a second costs it (cpu)",
          "[router][health]") {
  HealthMonitor m(10);
  Fake f;
  WorkerStats w;
  w.id = 0;
  f.s.workers = {w};
  uint64_t t = 1000;
  m.Sample(f.s, t);
  f.s.workers[0].cpu_ns += 300'000'000;  // 30 % of the second
  m.Sample(f.s, t += 1000);
  f.s.workers[0].cpu_ns += 950'000'000;  // 95 %
  m.Sample(f.s, t += 1000);
  HealthItem g = m.Report().items.front();
  CHECK(g.samples == 2);
  CHECK(g.sle_percent == Approx(50));
  CHECK(g.classifier == "cpu");
  // With busy polling the CPU says nothing: not checked.
  HealthThresholds busy;
  busy.cpu = false;
  HealthMonitor b(10, busy);
  f.s.workers[0].cpu_ns = 0;
  b.Sample(f.s, 1000);
  f.s.workers[0].cpu_ns = 1'000'000'000;
  b.Sample(f.s, 2000);
  CHECK(b.Report().items.front().sle_percent == Approx(100));
}

TEST_CASE("path SLE names the bound that failed most, and the window forgets old seconds",
          "[router][health]") {
  HealthMonitor m(4);
  Fake f;
  f.path().quality_measured = true;
  f.path().latency_ms = 20;
  f.path().jitter_ms = 2;
  f.path().mos = 4.3;
  m.Sample(f.s);
  f.path().loss_percent = 3;
  m.Sample(f.s);
  m.Sample(f.s);
  f.path().up = false;
  m.Sample(f.s);
  HealthItem p = Find(m.Report(), "path", "dc/inet");
  CHECK(p.samples == 4);
  CHECK(p.sle_percent == Approx(25));
  CHECK(p.classifier == "loss");
  // Four good seconds push the bad ones out of the 4-second window.
  f.path().up = true;
  f.path().loss_percent = 0;
  for (int i = 0; i < 4; ++i) m.Sample(f.s);
  p = Find(m.Report(), "path", "dc/inet");
  CHECK(p.sle_percent == Approx(100));
  CHECK(p.classifier.empty());
}

TEST_CASE("service SLE weighs seconds by the sessions they tried to open", "[router][health]") {
  HealthMonitor m(60);
  Fake f;
  m.Sample(f.s);
  m.Sample(f.s);  // no attempts: not counted
  f.voice().sessions_opened += 90;
  f.voice().no_usable_path += 8;
  f.voice().sessions_refused += 2;
  m.Sample(f.s);
  HealthItem v = Find(m.Report(), "service", "voice");
  CHECK(v.samples == 1);
  CHECK(v.sle_percent == Approx(90));
  CHECK(v.classifier == "no usable path");
  // A reload resets the per-service counters: no negative delta, no bad second.
  f.voice() = ServiceStats{"voice", 1, 0, 0};
  m.Sample(f.s);
  v = Find(m.Report(), "service", "voice");
  CHECK(v.sle_percent == Approx(90));
}

// Records `n` first-packet latencies of `us` microseconds in the service's histogram, the way the
// pipeline buckets them (bucket i: (2^(i-1), 2^i] µs).
void Setups(ServiceStats& v, uint64_t us, uint64_t n) {
  size_t b = 0;
  while (b + 1 < ServiceStats::SetupLatency::kBuckets && (uint64_t{1} << b) < us) ++b;
  v.setup_latency.buckets[b] += n;
  v.setup_latency.count += n;
  v.setup_latency.sum_us += us * n;
}

TEST_CASE("service SLE: sessions whose first packet spent over 10 ms in the router are slow setup",
          "[router][health]") {
  HealthMonitor m(60);
  Fake f;
  m.Sample(f.s);
  // A fast second: 50 sessions opened, all first packets out within 40 µs.
  f.voice().sessions_opened += 50;
  Setups(f.voice(), 40, 50);
  m.Sample(f.s);
  HealthItem v = Find(m.Report(), "service", "voice");
  CHECK(v.samples == 1);
  CHECK(v.sle_percent == Approx(100));
  CHECK(v.classifier.empty());
  // A slow second: 50 more, 30 of them at 40 ms (bucket (32.8, 65.5] ms, wholly above 10 ms).
  f.voice().sessions_opened += 50;
  Setups(f.voice(), 20, 20);
  Setups(f.voice(), 40000, 30);
  m.Sample(f.s);
  v = Find(m.Report(), "service", "voice");
  CHECK(v.samples == 2);
  CHECK(v.sle_percent == Approx(70));  // (50 + 20) good of 100
  CHECK(v.classifier == "slow setup");
  // Refusals outweighing the slow sessions name the window's worst cost.
  f.voice().sessions_refused += 40;
  m.Sample(f.s);
  v = Find(m.Report(), "service", "voice");
  CHECK(v.sle_percent == Approx(70.0 / 140 * 100));
  CHECK(v.classifier == "refused");
}

TEST_CASE("service SLE: a waypoint's sessions (latency samples, none opened) count too",
          "[router][health]") {
  HealthThresholds t;
  t.max_setup_ms = 1;
  HealthMonitor m(60, t);
  Fake f;
  m.Sample(f.s);
  Setups(f.voice(), 100, 3);   // fast
  Setups(f.voice(), 5000, 1);  // (4.1, 8.2] ms: above 1 ms
  m.Sample(f.s);
  const HealthItem v = Find(m.Report(), "service", "voice");
  CHECK(v.samples == 1);
  CHECK(v.sle_percent == Approx(75));
  CHECK(v.classifier == "slow setup");
}

TEST_CASE("CountAbove: whole buckets above the threshold, the straddling one in proportion",
          "[router][health]") {
  std::array<uint64_t, ServiceStats::SetupLatency::kBuckets> b{};
  CHECK(HealthMonitor::CountAbove(b, 10000) == 0);
  b[0] = 7;  // ≤ 1 µs
  CHECK(HealthMonitor::CountAbove(b, 0) == Approx(7));
  CHECK(HealthMonitor::CountAbove(b, 1) == Approx(0));
  CHECK(HealthMonitor::CountAbove(b, 0.5) == Approx(3.5));
  b[0] = 0;
  b[14] = 10;  // (8192, 16384] µs
  CHECK(HealthMonitor::CountAbove(b, 8192) == Approx(10));
  CHECK(HealthMonitor::CountAbove(b, 16384) == Approx(0));
  CHECK(HealthMonitor::CountAbove(b, 10000) == Approx(10.0 * (16384 - 10000) / 8192));
  // The last bucket (over 2^22 µs) has no upper bound: whole when it starts above the threshold.
  b[14] = 0;
  b[ServiceStats::SetupLatency::kBuckets - 1] = 4;
  CHECK(HealthMonitor::CountAbove(b, 10000) == Approx(4));
  CHECK(HealthMonitor::CountAbove(b, 5e6) == Approx(0));
}

}  // namespace
}  // namespace ssr::router
