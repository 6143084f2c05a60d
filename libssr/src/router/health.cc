// SPDX-License-Identifier: Apache-2.0
#include "router/health.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ssr::router {

namespace {

uint64_t Delta(uint64_t now, uint64_t before) { return now >= before ? now - before : 0; }

}  // namespace

HealthMonitor::HealthMonitor(size_t window, HealthThresholds thresholds)
    : window_(std::max<size_t>(1, window)), t_(thresholds) {}

void HealthMonitor::Ring::Push(Verdict x, size_t window) {
  if (v.size() < window) {
    v.push_back(std::move(x));
  } else {
    v[next] = std::move(x);
  }
  next = (next + 1) % window;
  filled = std::min(filled + 1, window);
}

void HealthMonitor::Add(const std::string& key, Verdict v) { items_[key].Push(std::move(v), window_); }

void HealthMonitor::Sample(const RouterStats& s) {
  Sample(s, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now().time_since_epoch())
                                      .count()));
}

void HealthMonitor::Sample(const RouterStats& s, uint64_t now_ms) {
  std::map<std::string, uint64_t> now;
  for (const CounterValue& c : s.Flatten()) now[c.name] = c.value;
  std::lock_guard<std::mutex> lock(mu_);
  ++samples_;
  const auto delta = [&](const std::string& name) {
    const auto it = now.find(name);
    if (it == now.end()) return uint64_t{0};
    const auto was = previous_.find(name);
    return was == previous_.end() ? uint64_t{0} : Delta(it->second, was->second);
  };
  if (have_previous_) {
    // Gateway.
    uint64_t pipeline_drops = 0;
    for (const CounterValue& c : s.pipeline) {
      if (c.is_drop) pipeline_drops += delta("pipeline." + c.name);
    }
    uint64_t ring = 0;
    for (const InterfaceStats& i : s.interfaces) {
      ring += delta(absl::StrCat("xsk.", i.name, ".kernel_rx_ring_full")) +
              delta(absl::StrCat("xsk.", i.name, ".kernel_rx_dropped"));
    }
    const uint64_t rx = delta("pipeline.rx_packets");
    double busiest = 0;  // share of the interval the busiest worker thread ran
    const uint64_t interval_ms = now_ms > previous_ms_ ? now_ms - previous_ms_ : 0;
    if (t_.cpu && interval_ms > 0) {
      for (const WorkerStats& w : s.workers) {
        const double ns = static_cast<double>(delta(absl::StrCat("worker.", w.id, ".cpu_ns")));
        busiest = std::max(busiest, ns / (static_cast<double>(interval_ms) * 1e6));
      }
    }
    Verdict g;
    g.weight = 1;
    if (ring > 0) {
      g.classifier = "ring full";
    } else if (s.session_capacity != 0 &&
               static_cast<double>(s.sessions_live) >=
                   t_.max_table_fill * static_cast<double>(s.session_capacity)) {
      g.classifier = "table full";
    } else if (busiest > t_.max_worker_busy) {
      g.classifier = "cpu";
    } else if (rx > 0 && static_cast<double>(pipeline_drops) >
                             t_.max_drop_ratio * static_cast<double>(rx)) {
      g.classifier = "drops";
    } else {
      g.good = 1;
    }
    Add("gateway", std::move(g));
    // Services.
    for (const ServiceStats& v : s.services) {
      const std::string pre = absl::StrCat("service.", v.name, ".");
      const double opened = static_cast<double>(delta(pre + "opened"));
      const double refused = static_cast<double>(delta(pre + "refused"));
      const double no_path = static_cast<double>(delta(pre + "no_path"));
      const double attempts = opened + refused + no_path;
      if (attempts == 0) continue;
      Verdict sv;
      sv.weight = attempts;
      sv.good = opened;
      if (refused + no_path > 0) sv.classifier = no_path >= refused ? "no usable path" : "refused";
      Add("service/" + v.name, std::move(sv));
    }
  }
  // Paths: their state now (no delta needed).
  for (const PeerStats& p : s.peers) {
    for (const PeerPathStats& pp : p.paths) {
      Verdict pv;
      pv.weight = 1;
      if (!pp.up) {
        pv.classifier = "down";
      } else if (pp.quality_measured && pp.latency_ms > t_.max_latency_ms) {
        pv.classifier = "latency";
      } else if (pp.quality_measured && pp.jitter_ms > t_.max_jitter_ms) {
        pv.classifier = "jitter";
      } else if (pp.quality_measured && pp.loss_percent > t_.max_loss_percent) {
        pv.classifier = "loss";
      } else if (pp.quality_measured && pp.mos > 0 && pp.mos < t_.min_mos) {
        pv.classifier = "mos";
      } else {
        pv.good = 1;
      }
      Add(absl::StrCat("path/", p.name, "/", pp.name), std::move(pv));
    }
  }
  previous_ = std::move(now);
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
      if (v.weight > v.good && !v.classifier.empty()) bad[v.classifier] += v.weight - v.good;
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
