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
//   service  weighted by the sessions of the second: those set up (opened as the first router,
//            or, when more, the sessions whose first packet this router forwarded: the
//            first-packet latency samples, which include waypoint / egress sessions) are good
//            unless their first packet spent more than max_setup_ms in the router ("slow
//            setup"); refused ones cost "refused" (table or tenant limit), dropped for lack of a
//            usable route or path "no usable path". A second without sessions does not count.
//            The slow share comes from the log2 latency histogram: buckets above the threshold
//            count whole, the bucket holding it in proportion to the part of its range above
//            the threshold (linear, like Prometheus' histogram_quantile).
// The classifier reported for an item is the one with the largest bad weight in the window
// (empty when nothing was bad). Counters that went backwards (a reload resets the per-service
// ones) make that second's delta 0 for them.
//
// Sample reads the structured fields of RouterStats (no flattening into names) and keeps the
// previous values in vectors and maps that stop growing once every item was seen: after the
// first seconds a sample allocates nothing here.
//
// Thread-safety: Sample and Report may be called from different threads (one mutex).
#ifndef SSR_ROUTER_HEALTH_H_
#define SSR_ROUTER_HEALTH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
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
  // First-packet latency through the router above which a session counts as "slow setup".
  // A first packet normally leaves within the burst that brought it (tens of µs, see
  // docs/operations.md "WAN assurance"); 10 ms is three orders of magnitude above that, longer
  // than the workers' 1 ms idle sleep and 10 ms slow-path step, and a noticeable share of a
  // connection's setup on a regional WAN (20-50 ms RTT): only a stalled or starved worker
  // reaches it.
  double max_setup_ms = 10;
};

class HealthMonitor {
 public:
  // `window`: samples kept per item (one per second: the window in seconds), at least 1.
  explicit HealthMonitor(size_t window, HealthThresholds thresholds = {});

  // `now_ms`: a monotonic clock (the second overload reads steady_clock).
  void Sample(const RouterStats& stats, uint64_t now_ms);
  void Sample(const RouterStats& stats);
  HealthReport Report() const;

  // How many of a log2 latency histogram's samples (buckets as in ServiceStats::SetupLatency)
  // are above `threshold_us`: whole buckets above it, the bucket holding it in proportion to the
  // part of its range above it; the last (unbounded) bucket counts whole when it starts at or
  // above the threshold, else not at all.
  using SetupBuckets = std::array<uint64_t, ServiceStats::SetupLatency::kBuckets>;
  static double CountAbove(const SetupBuckets& buckets, double threshold_us);

 private:
  // A second's verdict: `weight` in all, `good` of it good, the rest split among up to three
  // classifiers (string literals).
  struct Verdict {
    struct Bad {
      const char* classifier = nullptr;
      double weight = 0;
    };
    double weight = 0;
    double good = 0;
    std::array<Bad, 3> bad{};
    void Cost(const char* classifier, double w);
  };
  struct Ring {
    std::vector<Verdict> v;
    size_t next = 0;
    size_t filled = 0;
    void Push(const Verdict& x, size_t window);
  };
  // The previous sample's per-service counters.
  struct ServicePrevious {
    uint64_t opened = 0;
    uint64_t refused = 0;
    uint64_t no_path = 0;
    ServiceStats::SetupLatency setup;
  };
  void Add(std::string_view scope, std::string_view name, std::string_view sub,
           const Verdict& v);
  // Sessions of the histogram delta `now` - `before` slower than t_.max_setup_ms.
  double SlowSetups(const ServiceStats::SetupLatency& now,
                    const ServiceStats::SetupLatency& before) const;

  size_t window_;
  HealthThresholds t_;
  mutable std::mutex mu_;
  bool have_previous_ = false;
  uint64_t previous_ms_ = 0;
  // Previous sample, by position in RouterStats (same router: the lists keep their order).
  std::vector<uint64_t> prev_pipeline_;  // s.pipeline values
  std::vector<uint64_t> prev_ring_;      // per interface: kernel_rx_ring_full + kernel_rx_dropped
  std::vector<uint64_t> prev_cpu_ns_;    // per worker
  std::map<std::string, ServicePrevious, std::less<>> prev_services_;  // by service name
  std::string key_;  // reused for item keys
  // "gateway", "path/<peer>/<path>", "service/<name>"
  std::map<std::string, Ring, std::less<>> items_;
  uint64_t samples_ = 0;
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_HEALTH_H_
