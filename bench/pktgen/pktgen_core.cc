// SPDX-License-Identifier: Apache-2.0
#include "pktgen_core.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ssr::pktgen {

// ---- sizes ----
double SizeMix::AverageSize() const {
  double total = 0;
  double weight = 0;
  for (const auto& [size, w] : sizes) {
    total += static_cast<double>(size) * w;
    weight += w;
  }
  return weight > 0 ? total / weight : 0;
}

SizeMix ParseSizeMix(const std::string& text) {
  SizeMix mix;
  if (text == "imix") {
    mix.sizes = {{64, 7}, {576, 4}, {1500, 1}};
    mix.name = "imix";
    return mix;
  }
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 64 || v > 1518) return mix;
  mix.sizes = {{static_cast<uint32_t>(v), 1}};
  mix.name = text;
  return mix;
}

double L2BitsPerSecond(double pps, double avg_size) { return pps * avg_size * 8.0; }
double L1BitsPerSecond(double pps, double avg_size) {
  return pps * (avg_size + kL1OverheadBytes) * 8.0;
}

// ---- pacing ----
uint64_t PacingIntervalPs(double rate_pps) {
  if (rate_pps <= 0) return 0;
  const double ps = 1e12 / rate_pps;
  return ps < 1 ? 1 : static_cast<uint64_t>(std::llround(ps));
}

SizePicker::SizePicker(const SizeMix& mix) {
  for (const auto& [size, weight] : mix.sizes) {
    weights_.push_back(weight);
    weight_sum_ += weight;
  }
  counts_.assign(weights_.size(), 0);
}

size_t SizePicker::Pick() const {
  size_t pick = 0;
  if (weights_.size() > 1) {
    double best = -1e300;
    for (size_t i = 0; i < weights_.size(); ++i) {
      const double deficit = static_cast<double>(total_ + 1) * weights_[i] / weight_sum_ -
                             static_cast<double>(counts_[i]);
      if (deficit > best) {
        best = deficit;
        pick = i;
      }
    }
  }
  return pick;
}

void SizePicker::Add(size_t i, uint64_t frames) {
  if (i < counts_.size()) counts_[i] += frames;
  total_ += frames;
}

// ---- flows ----
void ApplyFlow(uint8_t* p, uint64_t seq, uint32_t flows, uint16_t base_sport) {
  constexpr size_t kIpOff = 14;
  constexpr size_t kUdpOff = 14 + 20;
  auto put16 = [](uint8_t* at, uint16_t v) {
    at[0] = static_cast<uint8_t>(v >> 8);
    at[1] = static_cast<uint8_t>(v);
  };
  if (flows > 0) {
    put16(p + kUdpOff, static_cast<uint16_t>(base_sport + static_cast<uint32_t>(seq % flows)));
    return;
  }
  const uint32_t n = static_cast<uint32_t>(seq);
  put16(p + kUdpOff, static_cast<uint16_t>(1024 + n % 64512));
  // The 16-bit word holding source address bytes 2..3 changes; RFC 1624: HC' = ~(~HC + ~m + m').
  const uint16_t old_word = static_cast<uint16_t>(p[kIpOff + 14] << 8 | p[kIpOff + 15]);
  p[kIpOff + 15] = static_cast<uint8_t>(1 + (n / 64512) % 254);
  const uint16_t new_word = static_cast<uint16_t>(p[kIpOff + 14] << 8 | p[kIpOff + 15]);
  const uint16_t check = static_cast<uint16_t>(p[kIpOff + 10] << 8 | p[kIpOff + 11]);
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  put16(p + kIpOff + 10, static_cast<uint16_t>(~sum));
}

// ---- CPU time ----
bool ParseProcStatCpu(const std::string& text, int cpu, CpuTimes* out) {
  const std::string tag = "cpu" + std::to_string(cpu) + " ";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    if (text.compare(pos, tag.size(), tag) == 0) {
      // user nice system idle iowait irq softirq steal [guest guest_nice]
      unsigned long long v[8] = {};
      const std::string line = text.substr(pos + tag.size(), eol - pos - tag.size());
      if (std::sscanf(line.c_str(), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                      &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
        return false;
      }
      uint64_t total = 0;
      for (unsigned long long x : v) total += x;
      out->total = total;
      out->busy = total - v[3] - v[4];
      return true;
    }
    pos = eol + 1;
  }
  return false;
}

CpuCost ComputeCpuCost(const CpuTimes& before, const CpuTimes& after, uint64_t packets,
                       double ns_per_jiffy) {
  CpuCost c;
  const uint64_t busy = after.busy > before.busy ? after.busy - before.busy : 0;
  const uint64_t total = after.total > before.total ? after.total - before.total : 0;
  c.busy_ns = static_cast<double>(busy) * ns_per_jiffy;
  c.busy_fraction = total > 0 ? static_cast<double>(busy) / static_cast<double>(total) : 0;
  c.ns_per_packet = packets > 0 ? c.busy_ns / static_cast<double>(packets) : 0;
  return c;
}

// ---- latency ----
int LatencyHistogram::BucketOf(uint64_t v) {
  if (v < static_cast<uint64_t>(kExact)) return static_cast<int>(v);
  const int msb = 63 - __builtin_clzll(v);
  const int sub = static_cast<int>((v >> (msb - kSubBits)) & (kSubCount - 1));
  return kExact + (msb - 6) * kSubCount + sub;
}

uint64_t LatencyHistogram::BucketLow(int b) {
  if (b < kExact) return static_cast<uint64_t>(b);
  const int g = (b - kExact) / kSubCount;
  const int sub = (b - kExact) % kSubCount;
  const int msb = g + 6;
  return (uint64_t{1} << msb) | (static_cast<uint64_t>(sub) << (msb - kSubBits));
}

uint64_t LatencyHistogram::BucketHigh(int b) {
  if (b < kExact) return static_cast<uint64_t>(b);
  const int msb = (b - kExact) / kSubCount + 6;
  return BucketLow(b) + (uint64_t{1} << (msb - kSubBits)) - 1;
}

void LatencyHistogram::Record(uint64_t value_ns) {
  ++buckets_[static_cast<size_t>(BucketOf(value_ns))];
  ++count_;
  sum_ += value_ns;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  uint64_t target = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  if (target == 0) target = 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<size_t>(b)];
    if (seen >= target) return std::clamp(BucketHigh(b), min_, max_);
  }
  return max_;
}

std::vector<HistogramBin> CoarseBins(const LatencyHistogram& h) {
  std::vector<HistogramBin> bins;
  if (h.count() == 0) return bins;
  std::vector<uint64_t> edges;
  for (uint64_t decade = 1000; decade <= 10'000'000'000ULL; decade *= 10) {
    for (uint64_t m : {1, 2, 5}) edges.push_back(decade * m);
  }
  edges.push_back(UINT64_MAX);
  for (uint64_t e : edges) bins.push_back({e, 0});
  for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
    const uint64_t c = h.bucket_count(b);
    if (c == 0) continue;
    const uint64_t v = LatencyHistogram::BucketLow(b);
    for (auto& bin : bins) {
      if (v <= bin.upper_ns) {
        bin.count += c;
        break;
      }
    }
  }
  // Trim empty bins at both ends.
  size_t first = 0;
  while (first < bins.size() && bins[first].count == 0) ++first;
  size_t last = bins.size();
  while (last > first && bins[last - 1].count == 0) --last;
  return std::vector<HistogramBin>(bins.begin() + static_cast<long>(first),
                                   bins.begin() + static_cast<long>(last));
}

// ---- sequence accounting ----
void SequenceTracker::Record(uint32_t seq32) {
  const uint64_t seq = seq32;
  ++received_;
  if (seq >= highest_) {
    if (seq - highest_ >= kWindow) {
      seen_.reset();
    } else {
      for (uint64_t s = highest_; s < seq; ++s) seen_[s % kWindow] = false;
    }
    seen_[seq % kWindow] = true;
    highest_ = seq + 1;
    return;
  }
  if (highest_ - seq > kWindow) {  // too old to tell: count as reordered
    ++out_of_order_;
    return;
  }
  if (Seen(seq)) {
    ++duplicates_;
    return;
  }
  seen_[seq % kWindow] = true;
  ++out_of_order_;
}

// ---- search ----
SearchResult FindMaxRate(double loss_threshold, double precision, int max_trials,
                         const std::function<TrialResult(double rate_pps)>& trial,
                         double known_good_pps) {
  SearchResult result;
  TrialResult first = trial(0);
  first.offered_pps = 0;
  result.trials.push_back(first);
  const double max_rate = first.tx_pps;
  if (first.LossFraction() <= loss_threshold) {
    result.rate_pps = first.tx_pps;
    result.at_rate = first;
    result.generator_bound = true;
    return result;
  }
  double lo = known_good_pps < max_rate ? known_good_pps : 0;
  double hi = max_rate;
  if (lo > 0) result.rate_pps = lo;  // at_rate stays empty: no trial of this search ran there
  while (static_cast<int>(result.trials.size()) < max_trials && hi - lo > precision * max_rate) {
    const double mid = (lo + hi) / 2;
    TrialResult r = trial(mid);
    r.offered_pps = mid;
    result.trials.push_back(r);
    if (r.LossFraction() <= loss_threshold) {
      lo = mid;
      if (r.tx_pps >= result.rate_pps) {
        result.rate_pps = r.tx_pps;
        result.at_rate = r;
      }
    } else {
      hi = mid;
    }
  }
  return result;
}

// ---- JSON ----
std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

void JsonWriter::Key(const std::string& key) {
  if (!first_.back()) out_ += ",";
  first_.back() = false;
  if (key.empty()) return;
  // Appended piecewise: `"\"" + std::string&&` trips GCC 12's -Wrestrict false positive at -O2+.
  out_ += '"';
  out_ += JsonEscape(key);
  out_ += "\":";
}
JsonWriter& JsonWriter::BeginObject(const std::string& key) {
  Key(key);
  out_ += "{";
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_ += "}";
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::BeginArray(const std::string& key) {
  Key(key);
  out_ += "[";
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_ += "]";
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::Number(const std::string& key, double v) {
  Key(key);
  if (!std::isfinite(v)) {
    out_ += "null";
  } else {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6g", v);
    out_ += buf;
  }
  return *this;
}
JsonWriter& JsonWriter::Integer(const std::string& key, uint64_t v) {
  Key(key);
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::String(const std::string& key, const std::string& v) {
  Key(key);
  out_ += '"';
  out_ += JsonEscape(v);
  out_ += '"';
  return *this;
}
JsonWriter& JsonWriter::Bool(const std::string& key, bool v) {
  Key(key);
  out_ += v ? "true" : "false";
  return *this;
}

}  // namespace ssr::pktgen
