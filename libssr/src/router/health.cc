// SPDX-License-Identifier: Apache-2.0
#include "router/health.h"

#include <algorithm>
#include <chrono>
#include <utility>


namespace ssr::router {

namespace {

uint64_t Delta(uint64_t now, uint64_t before) { return now >= before ? now - before : 0; }

}  // namespace

HealthMonitor::HealthMonitor(size_t window, HealthThresholds thresholds)
    : window_(std::max<size_t>(1, window)), t_(thresholds) {}

void HealthMonitor::Verdict::Cost(const char* classifier, double w) {
  if (w <= 0) return;
  for (Bad& b : bad) {
    if (b.classifier == nullptr) {
      b = Bad{classifier, w};
      return;
    }
  }
}

void HealthMonitor::Ring::Push(const Verdict& x, size_t window) {
  if (v.size() < window) {
    v.push_back(x);
  } else {
    v[next] = x;
  }
  next = (next + 1) % window;
  filled = std::min(filled + 1, window);
}

void HealthMonitor::Add(std::string_view scope, std::string_view name, std::string_view sub,
                        const Verdict& v) {
  key_.assign(scope);  // keeps its capacity: no allocation once long enough
  if (!name.empty()) {
    key_ += '/';
    key_ += name;
  }
  if (!sub.empty()) {
    key_ += '/';
    key_ += sub;
  }
  auto it = items_.find(key_);
  if (it == items_.end()) it = items_.emplace(key_, Ring{}).first;
  it->second.Push(v, window_);
}

double HealthMonitor::CountAbove(const SetupBuckets& buckets, double threshold_us) {
  double above = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    if (buckets[b] == 0) continue;
    const double lower = b == 0 ? 0 : static_cast<double>(uint64_t{1} << (b - 1));
    const double n = static_cast<double>(buckets[b]);
    if (b == buckets.size() - 1) {  // unbounded
      if (threshold_us <= lower) above += n;
      continue;
    }
    const double upper = static_cast<double>(uint64_t{1} << b);
    if (threshold_us <= lower) {
      above += n;
    } else if (threshold_us < upper) {
      above += n * (upper - threshold_us) / (upper - lower);
    }
  }
  return above;
}

double HealthMonitor::SlowSetups(const ServiceStats::SetupLatency& now,
                                 const ServiceStats::SetupLatency& before) const {
  if (now.count <= before.count) return 0;  // none, or reset by a reload
  SetupBuckets d{};
  for (size_t b = 0; b < d.size(); ++b) d[b] = Delta(now.buckets[b], before.buckets[b]);
  return CountAbove(d, t_.max_setup_ms * 1000.0);
}

void HealthMonitor::Sample(const RouterStats& s) {
  Sample(s, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now().time_since_epoch())
                                      .count()));
}

namespace {

// kernel_rx_ring_full + kernel_rx_dropped of an interface: frames its sockets never took.
uint64_t RingLosses(const InterfaceStats& i) {
  uint64_t n = 0;
  for (const CounterValue& c : i.counters) {
    if (c.name == "kernel_rx_ring_full" || c.name == "kernel_rx_dropped") n += c.value;
  }
  return n;
}

}  // namespace

void HealthMonitor::Sample(const RouterStats& s, uint64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ++samples_;
  const bool same_pipeline = prev_pipeline_.size() == s.pipeline.size();
  if (have_previous_) {
    // Gateway.
    uint64_t pipeline_drops = 0;
    uint64_t rx = 0;
    if (same_pipeline) {
      for (size_t i = 0; i < s.pipeline.size(); ++i) {
        const CounterValue& c = s.pipeline[i];
        const uint64_t d = Delta(c.value, prev_pipeline_[i]);
        if (c.is_drop) pipeline_drops += d;
        if (c.name == "rx_packets") rx = d;
      }
    }
    uint64_t ring = 0;
    for (size_t i = 0; i < s.interfaces.size(); ++i) {
      if (i < prev_ring_.size()) ring += Delta(RingLosses(s.interfaces[i]), prev_ring_[i]);
    }
    double busiest = 0;  // share of the interval the busiest worker thread ran
    const uint64_t interval_ms = now_ms > previous_ms_ ? now_ms - previous_ms_ : 0;
    if (t_.cpu && interval_ms > 0) {
      for (size_t i = 0; i < s.workers.size() && i < prev_cpu_ns_.size(); ++i) {
        const double ns = static_cast<double>(Delta(s.workers[i].cpu_ns, prev_cpu_ns_[i]));
        busiest = std::max(busiest, ns / (static_cast<double>(interval_ms) * 1e6));
      }
    }
    Verdict g;
    g.weight = 1;
    if (ring > 0) {
      g.Cost("ring full", 1);
    } else if (s.session_capacity != 0 &&
               static_cast<double>(s.sessions_live) >=
                   t_.max_table_fill * static_cast<double>(s.session_capacity)) {
      g.Cost("table full", 1);
    } else if (busiest > t_.max_worker_busy) {
      g.Cost("cpu", 1);
    } else if (rx > 0 && static_cast<double>(pipeline_drops) >
                             t_.max_drop_ratio * static_cast<double>(rx)) {
      g.Cost("drops", 1);
    } else {
      g.good = 1;
    }
    Add("gateway", "", "", g);
    // Services.
    for (const ServiceStats& v : s.services) {
      const auto was = prev_services_.find(v.name);
      if (was == prev_services_.end()) continue;  // new: counted from the next second
      const ServicePrevious& p = was->second;
      const double opened = static_cast<double>(Delta(v.sessions_opened, p.opened));
      const double refused = static_cast<double>(Delta(v.sessions_refused, p.refused));
      const double no_path = static_cast<double>(Delta(v.no_usable_path, p.no_path));
      const double measured = static_cast<double>(Delta(v.setup_latency.count, p.setup.count));
      const double set_up = std::max(opened, measured);
      const double weight = set_up + refused + no_path;
      if (weight == 0) continue;
      const double slow = std::min(set_up, SlowSetups(v.setup_latency, p.setup));
      Verdict sv;
      sv.weight = weight;
      sv.good = set_up - slow;
      sv.Cost("no usable path", no_path);
      sv.Cost("refused", refused);
      sv.Cost("slow setup", slow);
      Add("service", v.name, "", sv);
    }
  }
  // Paths: their state now (no delta needed).
  for (const PeerStats& p : s.peers) {
    for (const PeerPathStats& pp : p.paths) {
      Verdict pv;
      pv.weight = 1;
      if (!pp.up) {
        pv.Cost("down", 1);
      } else if (pp.quality_measured && pp.latency_ms > t_.max_latency_ms) {
        pv.Cost("latency", 1);
      } else if (pp.quality_measured && pp.jitter_ms > t_.max_jitter_ms) {
        pv.Cost("jitter", 1);
      } else if (pp.quality_measured && pp.loss_percent > t_.max_loss_percent) {
        pv.Cost("loss", 1);
      } else if (pp.quality_measured && pp.mos > 0 && pp.mos < t_.min_mos) {
        pv.Cost("mos", 1);
      } else {
        pv.good = 1;
      }
      Add("path", p.name, pp.name, pv);
    }
  }
  // Keep this sample's counters (the vectors keep their size: no allocation after the first).
  prev_pipeline_.resize(s.pipeline.size());
  for (size_t i = 0; i < s.pipeline.size(); ++i) prev_pipeline_[i] = s.pipeline[i].value;
  prev_ring_.resize(s.interfaces.size());
  for (size_t i = 0; i < s.interfaces.size(); ++i) prev_ring_[i] = RingLosses(s.interfaces[i]);
  prev_cpu_ns_.resize(s.workers.size());
  for (size_t i = 0; i < s.workers.size(); ++i) prev_cpu_ns_[i] = s.workers[i].cpu_ns;
  for (const ServiceStats& v : s.services) {
    auto it = prev_services_.find(v.name);
    if (it == prev_services_.end()) it = prev_services_.emplace(v.name, ServicePrevious{}).first;
    it->second.opened = v.sessions_opened;
    it->second.refused = v.sessions_refused;
    it->second.no_path = v.no_usable_path;
    it->second.setup = v.setup_latency;
  }
  previous_ms_ = now_ms;
  have_previous_ = true;
}

HealthReport HealthMonitor::Report() const {
  std::lock_guard<std::mutex> lock(mu_);
  HealthReport r;
  r.window_seconds = static_cast<uint32_t>(window_);
  std::vector<HealthItem> paths, services;
  for (const auto& [key, ring] : items_) {
    HealthItem item;
    const size_t slash = key.find('/');
    item.scope = key.substr(0, slash);
    item.name = slash == std::string::npos ? "" : key.substr(slash + 1);
    double weight = 0, good = 0;
    std::map<std::string, double> bad;
    for (size_t i = 0; i < ring.filled; ++i) {
      const Verdict& v = ring.v[i];
      weight += v.weight;
      good += v.good;
      for (const Verdict::Bad& b : v.bad) {
        if (b.classifier != nullptr) bad[b.classifier] += b.weight;
      }
    }
    item.samples = ring.filled;
    item.sle_percent = weight > 0 ? 100.0 * good / weight : 100.0;
    double worst = 0;
    for (const auto& [name, w] : bad) {
      if (w > worst) {
        worst = w;
        item.classifier = name;
      }
    }
    if (item.scope == "gateway") {
      r.items.insert(r.items.begin(), std::move(item));
    } else if (item.scope == "path") {
      paths.push_back(std::move(item));
    } else {
      services.push_back(std::move(item));
    }
  }
  for (auto& i : paths) r.items.push_back(std::move(i));
  for (auto& i : services) r.items.push_back(std::move(i));
  return r;
}

}  // namespace ssr::router
