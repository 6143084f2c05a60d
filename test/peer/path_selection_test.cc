// SPDX-License-Identifier: Apache-2.0
// Path choice for new sessions (docs/protocol.md §5.6, §7.70), as a table.
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "peer/path_selection.h"

namespace ssr::peer {
namespace {

PathCandidate Path(bool up, double latency, double jitter, double loss_percent,
                   uint32_t cost = 0) {
  PathCandidate c;
  c.up = up;
  c.vector_cost = cost;
  c.quality.measured = true;
  c.quality.has_latency = true;
  c.quality.has_jitter = true;
  c.quality.latency_ms = latency;
  c.quality.jitter_ms = jitter;
  c.quality.loss = loss_percent / 100.0;
  c.quality.mos = MosFromQuality(latency, jitter, c.quality.loss);
  return c;
}

PathCandidate Unmeasured(uint32_t cost = 0) {
  PathCandidate c;
  c.up = true;
  c.vector_cost = cost;
  return c;
}

ServicePolicy Filter(bool best_effort = true, BestPath best = BestPath::kVector) {
  ServicePolicy p;
  p.path_quality_filter = true;
  p.best_effort = best_effort;
  p.best_path = best;
  return p;
}

struct Row {
  const char* what;
  std::vector<PathCandidate> paths;
  ServicePolicy policy;
  std::optional<size_t> expected;
  PathChoiceReason reason;
};

TEST_CASE("Path selection table", "[peer][path]") {
  ServicePolicy by_latency;
  by_latency.best_path = BestPath::kAverageLatency;
  ServicePolicy by_mos;
  by_mos.best_path = BestPath::kMos;
  ServicePolicy min_mos = Filter();
  min_mos.min_mos = 4.0;
  min_mos.max_loss_percent = 100;  // only the MOS bound is in play
  const Row rows[] = {
      {"no candidates", {}, ServicePolicy{}, std::nullopt, PathChoiceReason::kNoPathUp},
      {"all down", {Path(false, 10, 1, 0), Path(false, 20, 1, 0)}, ServicePolicy{}, std::nullopt,
       PathChoiceReason::kNoPathUp},
      {"a down path is never chosen, even the cheapest",
       {Path(false, 10, 1, 0, 1), Path(true, 90, 1, 0, 50)}, ServicePolicy{}, 1,
       PathChoiceReason::kWithinSla},
      {"vector: lowest cost", {Path(true, 10, 1, 0, 30), Path(true, 90, 1, 0, 20)},
       ServicePolicy{}, 1, PathChoiceReason::kWithinSla},
      {"vector: equal cost, lower latency", {Path(true, 40, 1, 0, 5), Path(true, 30, 1, 0, 5)},
       ServicePolicy{}, 1, PathChoiceReason::kWithinSla},
      {"vector: full tie goes to the first", {Path(true, 40, 1, 0, 5), Path(true, 40, 1, 0, 5)},
       ServicePolicy{}, 0, PathChoiceReason::kWithinSla},
      {"average-latency: lowest latency", {Path(true, 40, 1, 0, 1), Path(true, 30, 1, 0, 9)},
       by_latency, 1, PathChoiceReason::kWithinSla},
      {"mos: highest MOS", {Path(true, 20, 1, 2, 1), Path(true, 60, 1, 0, 9)}, by_mos, 1,
       PathChoiceReason::kWithinSla},
      {"filter off: SLA breaches do not matter", {Path(true, 900, 500, 50, 1)}, ServicePolicy{},
       0, PathChoiceReason::kWithinSla},
      {"filter: jitter over 100 ms filtered", {Path(true, 10, 101, 0, 1), Path(true, 50, 5, 0, 9)},
       Filter(), 1, PathChoiceReason::kWithinSla},
      {"filter: loss over 0.5 % filtered", {Path(true, 10, 1, 0.6, 1), Path(true, 50, 5, 0.5, 9)},
       Filter(), 1, PathChoiceReason::kWithinSla},
      {"filter: min-mos filters", {Path(true, 10, 1, 10, 1), Path(true, 50, 5, 0, 9)}, min_mos, 1,
       PathChoiceReason::kWithinSla},
      {"filter: unmeasured path counts as within SLA",
       {Path(true, 300, 1, 0, 1), Unmeasured(9)}, Filter(false), 1, PathChoiceReason::kWithinSla},
      {"mos: measured ranks before unmeasured", {Unmeasured(1), Path(true, 60, 1, 0, 9)}, by_mos,
       1, PathChoiceReason::kWithinSla},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    const PathChoice c = SelectPath(row.paths, row.policy);
    CHECK(c.index == row.expected);
    CHECK(c.reason == row.reason);
  }
}

TEST_CASE("With the quality filter a path above max-latency is not chosen",
          "[peer][path][svr-7.70]") {
  // The cheaper path is 251 ms (over the 250 ms default); the other is exactly at the bound.
  const std::vector<PathCandidate> paths = {Path(true, 251, 1, 0, 1), Path(true, 250, 1, 0, 9)};
  const PathChoice c = SelectPath(paths, Filter());
  CHECK(c.index == std::optional<size_t>(1));
  CHECK(c.reason == PathChoiceReason::kWithinSla);
  // The same paths without the filter: the cheaper (slow) one wins.
  CHECK(SelectPath(paths, ServicePolicy{}).index == std::optional<size_t>(0));
}

TEST_CASE("Best-effort still uses the best path when every path exceeds max-latency",
          "[peer][path][svr-7.70]") {
  const std::vector<PathCandidate> paths = {Path(true, 400, 1, 0, 1), Path(true, 300, 1, 0, 9),
                                            Path(false, 20, 1, 0, 0)};
  PathChoice c = SelectPath(paths, Filter(/*best_effort=*/true, BestPath::kAverageLatency));
  CHECK(c.index == std::optional<size_t>(1));  // best by latency among the up paths
  CHECK(c.reason == PathChoiceReason::kBestEffort);
  c = SelectPath(paths, Filter(/*best_effort=*/true, BestPath::kVector));
  CHECK(c.index == std::optional<size_t>(0));  // best by vector cost among the up paths
  CHECK(c.reason == PathChoiceReason::kBestEffort);
}

TEST_CASE("Without best-effort no path is chosen when every path exceeds max-latency",
          "[peer][path][svr-7.70]") {
  const std::vector<PathCandidate> paths = {Path(true, 400, 1, 0, 1), Path(true, 300, 1, 0, 9)};
  const PathChoice c = SelectPath(paths, Filter(/*best_effort=*/false));
  CHECK_FALSE(c.index.has_value());
  CHECK(c.reason == PathChoiceReason::kNoPathMeetsSla);
  CHECK(PathChoiceReasonName(c.reason) == "no_path_meets_sla");
}

TEST_CASE("Service policy defaults are the §5.6 values and bad values are named",
          "[peer][path]") {
  const ServicePolicy p;
  CHECK(p.max_latency_ms == 250);
  CHECK(p.max_jitter_ms == 100);
  CHECK(p.max_loss_percent == 0.5);
  CHECK_FALSE(p.min_mos.has_value());
  CHECK(p.best_effort);
  CHECK(p.best_path == BestPath::kVector);
  CHECK(ValidateServicePolicy(p).ok());
  ServicePolicy bad;
  bad.min_mos = 0.5;
  CHECK(ValidateServicePolicy(bad).message() == "service_policy.min_mos: 0.5 is outside 1.00..5.00");
  bad = ServicePolicy{};
  bad.max_loss_percent = 101;
  CHECK(ValidateServicePolicy(bad).message() ==
        "service_policy.max_loss_percent: 101 is outside 0..100");
}

}  // namespace
}  // namespace ssr::peer
