// SPDX-License-Identifier: Apache-2.0
// HealthMonitor: WAN assurance computed by the router itself (docs/operations.md "WAN
// assurance"): service-level experience (SLE) percentages over a sliding window for the gateway
// (the router), every WAN link (peer path) and every application (service), each with the
// classifier that cost the most.
//
// Design note. The control thread feeds one RouterStats sample per second (Sample); the monitor
// keeps, per item, a bounded ring of per-sample verdicts (good, or bad with one classifier) and
// weights, and Report() folds the ring into SLE = good weight / total weight × 100. What is a good
// sample:
//   gateway  packets dropped by the pipeline during the second ≤ 1 % of those received
//            ("drops"), no frame lost by the kernel's AF_XDP rings ("ring full"), session table
//            below 90 % of its capacity ("table full"), every worker thread busy less than 90 %
//            of the time ("cpu"; not with busy polling). Weight 1.
//   path     up ("down"), and once measured: latency ≤ 150 ms ("latency"), jitter ≤ 30 ms
//            ("jitter"), loss ≤ 1 % ("loss"), MOS ≥ 3.6 ("mos"); the first failing bound names
//            the sample. Weight 1.
//   service  weighted by the sessions the second tried to open: the opened ones are good,
//            refused ones cost "refused" (table or tenant limit), dropped for lack of a usable
//            route or path "no usable path". A second without attempts does not count.
// The classifier reported for an item is the one with the largest bad weight in the window
// (empty when nothing was bad). Counters that went backwards (a reload resets the per-service
// ones) make that second's delta 0 for them.
//
// Thread-safety: Sample and Report may be called from different threads (one mutex).
#ifndef SSR_ROUTER_HEALTH_H_
#define SSR_ROUTER_HEALTH_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ssr/stats.h"

namespace ssr::router {

// Thresholds of a good sample (see the design note).
struct HealthThresholds {
  double max_drop_ratio = 0.01;
  // A worker busier than this share of the second ("cpu"); checked only when `cpu` is true
  // (a busy-polling worker is always at 100 %, which says nothing about its load).
  bool cpu = true;
  double max_worker_busy = 0.90;
  double max_table_fill = 0.90;
  double max_latency_ms = 150;
  double max_jitter_ms = 30;
  double max_loss_percent = 1;
  double min_mos = 3.6;
};

class HealthMonitor {
 public:
  // `window`: samples kept per item (one per second: the window in seconds), at least 1.
  explicit HealthMonitor(size_t window, HealthThresholds thresholds = {});

  // `now_ms`: a monotonic clock (the second overload reads steady_clock).
  void Sample(const RouterStats& stats, uint64_t now_ms);
  void Sample(const RouterStats& stats);
  HealthReport Report() const;

 private:
  struct Verdict {
    double weight = 0;
    double good = 0;
    std::string classifier;  // of the bad part, empty when all good
  };
  struct Ring {
    std::vector<Verdict> v;
    size_t next = 0;
    size_t filled = 0;
    void Push(Verdict x, size_t window);
  };
  void Add(const std::string& key, Verdict v);

  size_t window_;
  HealthThresholds t_;
  mutable std::mutex mu_;
  bool have_previous_ = false;
  uint64_t previous_ms_ = 0;
  std::map<std::string, uint64_t> previous_;  // flattened counters of the previous sample
  std::map<std::string, Ring> items_;          // "gateway", "path/<peer>/<path>", "service/<name>"
  uint64_t samples_ = 0;
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_HEALTH_H_
