// SPDX-License-Identifier: Apache-2.0
// Unit tests of the pure parts of ssr-pktgen: pacing, sizes and bit rates, latency percentiles,
// sequence accounting and the NDR/PDR search on a simulated device.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "pktgen_core.h"
#include "probe.h"

namespace ssr::pktgen {
namespace {

constexpr uint64_t kSec = 1'000'000'000ULL;

// Offers frames every `offer_ns` from `start_ns` for `span_ns`; returns how many were admitted.
uint64_t Offer(FramePacer& p, uint64_t start_ns, uint64_t span_ns, uint64_t offer_ns) {
  uint64_t n = 0;
  for (uint64_t t = start_ns; t < start_ns + span_ns; t += offer_ns) n += p.Admit(t) ? 1 : 0;
  return n;
}

TEST_CASE("pacing interval is the inverse of the rate in picoseconds", "[pacer]") {
  CHECK(PacingIntervalPs(1e6) == 1'000'000);
  CHECK(PacingIntervalPs(3e6) == 333'333);
  CHECK(PacingIntervalPs(0) == 0);
}

TEST_CASE("pacer admits the configured rate from a faster offer", "[pacer]") {
  FramePacer p(PacingIntervalPs(1e6));  // 1 Mpps
  const uint64_t t0 = 1000 * kSec;
  Offer(p, t0, kSec / 1000, 50);  // settle the start-up catch-up
  const uint64_t n = Offer(p, t0 + kSec / 1000, kSec / 10, 50);  // 100 ms offered at 20 Mpps
  CHECK(n >= 99'999);
  CHECK(n <= 100'001);
}

TEST_CASE("pacer sends at most 64 frames back to back after a stall", "[pacer]") {
  FramePacer p(PacingIntervalPs(1e6));
  const uint64_t t0 = 1000 * kSec;
  Offer(p, t0, kSec / 1000, 50);
  // 10 ms without offers, then a dense offer: 64 catch-up frames plus the rate.
  const uint64_t n = Offer(p, t0 + 11 * kSec / 1000, 10'000, 10);  // 10 us at 100 Mpps
  CHECK(n >= 64 + 9);
  CHECK(n <= 64 + 11);
}

TEST_CASE("unpaced pacer admits every frame", "[pacer]") {
  FramePacer p(0);
  CHECK(Offer(p, kSec, 1000, 1) == 1000);
}

TEST_CASE("size mix parses fixed sizes and IMIX and rejects others", "[sizes]") {
  CHECK(ParseSizeMix("64").AverageSize() == 64.0);
  CHECK(ParseSizeMix("1400").AverageSize() == 1400.0);
  CHECK(ParseSizeMix("imix").AverageSize() == Approx((7 * 64 + 4 * 576 + 1500) / 12.0));
  CHECK(ParseSizeMix("63").sizes.empty());
  CHECK(ParseSizeMix("1519").sizes.empty());
  CHECK(ParseSizeMix("64x").sizes.empty());
}

TEST_CASE("L1 rate adds 20 bytes per frame to the L2 rate", "[sizes]") {
  // 14.88 Mpps of 64-byte frames is 10 Gbit/s at L1 (the classic line rate).
  CHECK(L1BitsPerSecond(14'880'952.0, 64) == Approx(10e9).epsilon(1e-6));
  CHECK(L2BitsPerSecond(14'880'952.0, 64) == Approx(10e9 * 64 / 84).epsilon(1e-6));
}

TEST_CASE("histogram buckets cover every value with bounded relative error", "[latency]") {
  for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 63, 64, 65, 1000, 123456789, 1ULL << 40,
                     UINT64_MAX}) {
    const int b = LatencyHistogram::BucketOf(v);
    REQUIRE(b >= 0);
    REQUIRE(b < LatencyHistogram::kBuckets);
    CHECK(LatencyHistogram::BucketLow(b) <= v);
    CHECK(LatencyHistogram::BucketHigh(b) >= v);
    const double width = static_cast<double>(LatencyHistogram::BucketHigh(b) -
                                             LatencyHistogram::BucketLow(b));
    CHECK(width <= static_cast<double>(v) / 32.0 + 1);
  }
}

TEST_CASE("histogram percentiles match a sorted sample within 1/32", "[latency]") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(10.0, 1.0);  // ~22 us median
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const uint64_t exact = values[static_cast<size_t>(std::ceil(p / 100 * values.size())) - 1];
    const uint64_t got = h.Percentile(p);
    CHECK(got >= exact);
    CHECK(static_cast<double>(got) <= static_cast<double>(exact) * (1 + 1.0 / 32) + 1);
  }
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  CHECK(h.Percentile(100) == values.back());
}

TEST_CASE("histogram merge equals recording into one", "[latency]") {
  LatencyHistogram a, b, both;
  for (uint64_t v = 1; v < 5000; v += 7) {
    (v % 2 ? a : b).Record(v);
    both.Record(v);
  }
  a.Merge(b);
  CHECK(a.count() == both.count());
  CHECK(a.Percentile(50) == both.Percentile(50));
  CHECK(a.min() == both.min());
  CHECK(a.max() == both.max());
}

TEST_CASE("empty histogram reports zeros", "[latency]") {
  LatencyHistogram h;
  CHECK(h.Percentile(99) == 0);
  CHECK(h.min() == 0);
  CHECK(CoarseBins(h).empty());
}

TEST_CASE("coarse bins count every recorded value once", "[latency]") {
  LatencyHistogram h;
  h.Record(1500);        // <= 2 us
  h.Record(1500);
  h.Record(40'000);      // <= 50 us
  h.Record(3'000'000);   // <= 5 ms
  uint64_t total = 0;
  for (const HistogramBin& b : CoarseBins(h)) total += b.count;
  CHECK(total == 4);
  const auto bins = CoarseBins(h);
  CHECK(bins.front().upper_ns == 2000);
  CHECK(bins.front().count == 2);
  CHECK(bins.back().upper_ns == 5'000'000);
}

TEST_CASE("sequence tracker counts an in-order stream as clean", "[sequence]") {
  SequenceTracker t;
  for (uint32_t s = 0; s < 200000; ++s) t.Record(s);
  CHECK(t.received() == 200000);
  CHECK(t.unique() == 200000);
  CHECK(t.duplicates() == 0);
  CHECK(t.out_of_order() == 0);
}

TEST_CASE("sequence tracker finds loss, reordering and duplicates", "[sequence]") {
  SequenceTracker t;
  for (uint32_t s : {0u, 1u, 3u, 2u, 4u, 4u, 1u, 7u, 8u}) t.Record(s);
  CHECK(t.received() == 9);
  CHECK(t.duplicates() == 2);    // second 4, second 1
  CHECK(t.out_of_order() == 1);  // 2 after 3
  CHECK(t.unique() == 7);
  CHECK(t.highest() == 9);
  const uint64_t sent = 9;  // 0..8: 5 and 6 were lost
  CHECK(sent - t.unique() == 2);
}

TEST_CASE("sequence tracker forgets numbers beyond its window", "[sequence]") {
  SequenceTracker t;
  t.Record(5);
  t.Record(5 + SequenceTracker::kWindow + 10);  // jump: window cleared
  t.Record(5 + SequenceTracker::kWindow + 10 - 3);  // late, inside window, not a duplicate
  CHECK(t.duplicates() == 0);
  CHECK(t.out_of_order() == 1);
  t.Record(5);  // too old to tell: reordered, not a duplicate
  CHECK(t.out_of_order() == 2);
}

TEST_CASE("probe parser reads a generated frame and ignores others", "[probe]") {
  std::vector<uint8_t> f(60, 0);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  f[23] = 17;
  const uint16_t magic = kProbeMagic, stream = (3 << 8) | 1;
  const uint32_t seq = 4242;
  const uint64_t ts = 123456789;
  std::memcpy(&f[kProbeOffset], &magic, 2);
  std::memcpy(&f[kProbeOffset + 2], &stream, 2);
  std::memcpy(&f[kProbeOffset + 4], &seq, 4);
  std::memcpy(&f[kProbeOffset + 8], &ts, 8);
  auto p = ParseProbe(f);
  REQUIRE(p.has_value());
  CHECK(p->trial == 3);
  CHECK(p->stream == 1);
  CHECK(p->seq == seq);
  CHECK(p->tx_ns == ts);
  f[23] = 6;  // TCP
  CHECK_FALSE(ParseProbe(f).has_value());
  f[23] = 17;
  f[kProbeOffset] ^= 1;  // wrong magic
  CHECK_FALSE(ParseProbe(f).has_value());
}

TEST_CASE("written probes are read back by the probe parser", "[probe]") {
  std::vector<uint8_t> f(64, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 17;
  WriteProbe(f.data(), Probe{.trial = 7, .stream = 2, .seq = 0xdeadbeef, .tx_ns = 99887766554433});
  const auto p = ParseProbe(f);
  REQUIRE(p.has_value());
  CHECK(p->trial == 7);
  CHECK(p->stream == 2);
  CHECK(p->seq == 0xdeadbeef);
  CHECK(p->tx_ns == 99887766554433ULL);
}

TEST_CASE("size picker follows the IMIX weights exactly over whole cycles", "[sizes]") {
  SizePicker picker(ParseSizeMix("imix"));
  std::vector<uint64_t> n(3, 0);
  for (int i = 0; i < 12 * 1000; ++i) ++n[picker.Next()];
  CHECK(n[0] == 7000);
  CHECK(n[1] == 4000);
  CHECK(n[2] == 1000);
  // Counted by frames, not by picks: a pick that sent many frames is not picked again soon.
  SizePicker calls(ParseSizeMix("imix"));
  std::vector<uint64_t> frames(3, 0);
  for (int i = 0; i < 3000; ++i) {
    const size_t k = calls.Pick();
    const uint64_t sent = k == 2 ? 50 : 10;  // the 1500-byte calls send more frames each
    calls.Add(k, sent);
    frames[k] += sent;
  }
  const double total = static_cast<double>(frames[0] + frames[1] + frames[2]);
  CHECK(static_cast<double>(frames[0]) / total == Approx(7.0 / 12).epsilon(0.01));
  CHECK(static_cast<double>(frames[1]) / total == Approx(4.0 / 12).epsilon(0.01));
  CHECK(static_cast<double>(frames[2]) / total == Approx(1.0 / 12).epsilon(0.02));
  SizePicker fixed(ParseSizeMix("1400"));
  for (int i = 0; i < 10; ++i) CHECK(fixed.Next() == 0);
}

// IPv4 header checksum computed from scratch (RFC 791), to check the incremental update.
uint16_t Ipv4Checksum(const uint8_t* ip) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) {
    if (i == 10) continue;
    sum += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> UdpFrame() {
  std::vector<uint8_t> f(64, 0);
  f[12] = 0x08;
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  ip[3] = 46;
  ip[8] = 64;
  ip[9] = 17;
  const uint8_t src[4] = {10, 10, 2, 10}, dst[4] = {10, 20, 2, 10};
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  const uint16_t c = Ipv4Checksum(ip);
  ip[10] = static_cast<uint8_t>(c >> 8);
  ip[11] = static_cast<uint8_t>(c);
  return f;
}

TEST_CASE("flow variation cycles the source port over the configured flows", "[flows]") {
  auto f = UdpFrame();
  const auto before = f;
  for (uint64_t seq : {0ULL, 1ULL, 3ULL, 4ULL, 1001ULL}) {
    ApplyFlow(f.data(), seq, 4, 1024);
    CHECK((f[34] << 8 | f[35]) == static_cast<int>(1024 + seq % 4));
  }
  // Nothing but the source port moved.
  f[34] = before[34];
  f[35] = before[35];
  CHECK(f == before);
}

TEST_CASE("a new flow per frame keeps the IPv4 checksum valid and the source in its /24",
          "[flows]") {
  auto f = UdpFrame();
  std::mt19937_64 rng(5);
  for (int i = 0; i < 5000; ++i) {
    const uint64_t seq = i < 100 ? static_cast<uint64_t>(i) * 64512 : rng() % (64512ULL * 300);
    ApplyFlow(f.data(), seq, 0, 1024);
    const uint8_t* ip = &f[14];
    REQUIRE((ip[10] << 8 | ip[11]) == Ipv4Checksum(ip));
    CHECK(ip[12] == 10);
    CHECK(ip[13] == 10);
    CHECK(ip[14] == 2);
    CHECK(ip[15] == 1 + (seq / 64512) % 254);
    CHECK((f[34] << 8 | f[35]) == static_cast<int>(1024 + seq % 64512));
  }
}

TEST_CASE("proc stat parser reads one CPU's busy and total time", "[cpu]") {
  const std::string text =
      "cpu  300 0 100 5000 10 0 5 0 0 0\n"
      "cpu0 100 2 50 2500 5 1 3 4 7 0\n"
      "cpu1 200 0 50 2500 5 0 2 0 0 0\n"
      "intr 12345\n";
  CpuTimes t;
  REQUIRE(ParseProcStatCpu(text, 0, &t));
  CHECK(t.total == 100 + 2 + 50 + 2500 + 5 + 1 + 3 + 4);  // guest is inside user
  CHECK(t.busy == t.total - 2500 - 5);
  REQUIRE(ParseProcStatCpu(text, 1, &t));
  CHECK(t.busy == 252);
  CHECK_FALSE(ParseProcStatCpu(text, 2, &t));
  CHECK_FALSE(ParseProcStatCpu("cpu0 1 2 3\n", 0, &t));
}

TEST_CASE("cpu cost divides the busy time of the interval by the packets", "[cpu]") {
  const CpuTimes a{.busy = 1000, .total = 4000};
  const CpuTimes b{.busy = 1050, .total = 4200};  // 50 of 200 jiffies busy
  const CpuCost c = ComputeCpuCost(a, b, 1'000'000, 1e7);  // 10 ms jiffies
  CHECK(c.busy_ns == Approx(5e8));
  CHECK(c.busy_fraction == Approx(0.25));
  CHECK(c.ns_per_packet == Approx(500));
  CHECK(ComputeCpuCost(a, b, 0, 1e7).ns_per_packet == 0);
  CHECK(ComputeCpuCost(b, a, 10, 1e7).busy_ns == 0);  // a counter that went back counts nothing
}

// A simulated device forwarding at most `capacity` pps; the generator reaches `gen_max`.
struct SimDevice {
  double capacity;
  double gen_max;
  double extra_loss = 0;  // constant loss fraction (e.g. a lossy link)
  int trials = 0;
  TrialResult operator()(double rate) {
    ++trials;
    TrialResult r;
    r.tx_pps = rate > 0 ? std::min(rate, gen_max) : gen_max;
    r.tx = static_cast<uint64_t>(r.tx_pps * 2);  // 2-second trials
    const double rx_pps = std::min(r.tx_pps, capacity) * (1 - extra_loss);
    r.rx = static_cast<uint64_t>(rx_pps * 2);
    r.rx_pps = rx_pps;
    return r;
  }
};

TEST_CASE("NDR search converges to the device capacity from below", "[search]") {
  SimDevice dev{.capacity = 1'234'567, .gen_max = 4'000'000};
  const SearchResult r = FindMaxRate(0.0, 0.01, 20, std::ref(dev));
  CHECK_FALSE(r.generator_bound);
  CHECK(r.rate_pps <= dev.capacity);
  CHECK(r.rate_pps >= dev.capacity - 0.01 * dev.gen_max);
  CHECK(r.at_rate.LossFraction() == 0.0);
  CHECK(static_cast<int>(r.trials.size()) == dev.trials);
}

TEST_CASE("PDR search accepts up to half a percent of loss", "[search]") {
  SimDevice dev{.capacity = 1'000'000, .gen_max = 4'000'000};
  const SearchResult pdr = FindMaxRate(0.005, 0.0002, 30, std::ref(dev));
  const double limit = dev.capacity / (1 - 0.005);  // highest rate with <= 0.5 % loss
  CHECK(pdr.rate_pps > dev.capacity);
  CHECK(pdr.rate_pps <= limit + 1);
  CHECK(pdr.rate_pps >= limit - 0.0002 * dev.gen_max);
  CHECK(pdr.at_rate.LossFraction() <= 0.005);
}

TEST_CASE("PDR search starting from the NDR never reports less than the NDR", "[search]") {
  // A device that loses 1 % at every rate above 1 Mpps and nothing below: PDR (0.5 %) = NDR.
  auto dev = [](double rate) {
    TrialResult r;
    r.tx_pps = rate > 0 ? rate : 4e6;
    r.tx = static_cast<uint64_t>(r.tx_pps);
    r.rx = r.tx_pps > 1e6 ? static_cast<uint64_t>(r.tx_pps * 0.99) : r.tx;
    r.rx_pps = static_cast<double>(r.rx);
    return r;
  };
  const SearchResult pdr = FindMaxRate(0.005, 0.01, 4, dev, 0.95e6);
  CHECK(pdr.rate_pps >= 0.95e6);
  CHECK(pdr.rate_pps <= 1e6);
  CHECK(pdr.trials.size() == 4);
}

TEST_CASE("search reports a generator-bound device after one trial", "[search]") {
  SimDevice dev{.capacity = 10'000'000, .gen_max = 3'900'000};
  const SearchResult r = FindMaxRate(0.0, 0.01, 20, std::ref(dev));
  CHECK(r.generator_bound);
  CHECK(r.trials.size() == 1);
  CHECK(r.rate_pps == dev.gen_max);
}

TEST_CASE("search stops after max_trials and finds nothing on a device that always loses",
          "[search]") {
  SimDevice dev{.capacity = 1'000'000, .gen_max = 4'000'000, .extra_loss = 0.01};
  const SearchResult r = FindMaxRate(0.0, 0.0001, 6, std::ref(dev));
  CHECK(r.trials.size() == 6);
  CHECK(r.rate_pps == 0);
}

TEST_CASE("json writer nests objects and arrays with commas and escapes strings", "[json]") {
  JsonWriter j;
  j.BeginObject().String("a", "x\"y\n").Integer("n", 3).BeginArray("l");
  j.BeginObject().Number("v", 1.5).EndObject().BeginObject().Bool("b", true).EndObject();
  j.EndArray().EndObject();
  CHECK(j.str() == R"({"a":"x\"y\n","n":3,"l":[{"v":1.5},{"b":true}]})");
}

}  // namespace
}  // namespace ssr::pktgen
