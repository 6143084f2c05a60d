// SPDX-License-Identifier: Apache-2.0
#include "peer/path_selection.h"

#include "absl/strings/str_cat.h"

namespace ssr::peer {

absl::Status ValidateServicePolicy(const ServicePolicy& p) {
  if (!(p.max_latency_ms >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("service_policy.max_latency_ms: ", p.max_latency_ms, " is negative"));
  }
  if (!(p.max_jitter_ms >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("service_policy.max_jitter_ms: ", p.max_jitter_ms, " is negative"));
  }
  if (!(p.max_loss_percent >= 0 && p.max_loss_percent <= 100)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "service_policy.max_loss_percent: ", p.max_loss_percent, " is outside 0..100"));
  }
  if (p.min_mos && !(*p.min_mos >= 1.0 && *p.min_mos <= 5.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("service_policy.min_mos: ", *p.min_mos, " is outside 1.00..5.00"));
  }
  return absl::OkStatus();
}

std::string_view PathChoiceReasonName(PathChoiceReason r) {
  switch (r) {
    case PathChoiceReason::kWithinSla:
      return "within_sla";
    case PathChoiceReason::kBestEffort:
      return "best_effort";
    case PathChoiceReason::kNoPathUp:
      return "no_path_up";
    case PathChoiceReason::kNoPathMeetsSla:
      return "no_path_meets_sla";
  }
  return "invalid";
}

bool MeetsSla(const PathCandidate& c, const ServicePolicy& p) {
  const PathQuality& q = c.quality;
  if (!q.measured) return true;
  if (!q.has_latency || q.latency_ms > p.max_latency_ms) return false;
  // One reply per test gives no jitter sample: only a measured jitter can exceed the bound.
  if (q.has_jitter && q.jitter_ms > p.max_jitter_ms) return false;
  if (q.loss_percent() > p.max_loss_percent) return false;
  if (p.min_mos && q.mos < *p.min_mos) return false;
  return true;
}

namespace {

// -1: a better than b, 1: b better, 0: tie.
int CompareLatency(const PathQuality& a, const PathQuality& b) {
  if (a.has_latency != b.has_latency) return a.has_latency ? -1 : 1;
  if (!a.has_latency) return 0;
  if (a.latency_ms < b.latency_ms) return -1;
  if (a.latency_ms > b.latency_ms) return 1;
  return 0;
}

int CompareMos(const PathQuality& a, const PathQuality& b) {
  if (a.measured != b.measured) return a.measured ? -1 : 1;
  if (!a.measured) return 0;
  if (a.mos > b.mos) return -1;
  if (a.mos < b.mos) return 1;
  return 0;
}

int CompareCost(const PathCandidate& a, const PathCandidate& b) {
  if (a.vector_cost < b.vector_cost) return -1;
  if (a.vector_cost > b.vector_cost) return 1;
  return 0;
}

bool Better(const PathCandidate& a, const PathCandidate& b, BestPath how) {
  int c = 0;
  switch (how) {
    case BestPath::kVector:
      c = CompareCost(a, b);
      if (c == 0) c = CompareLatency(a.quality, b.quality);
      break;
    case BestPath::kAverageLatency:
      c = CompareLatency(a.quality, b.quality);
      if (c == 0) c = CompareCost(a, b);
      break;
    case BestPath::kMos:
      c = CompareMos(a.quality, b.quality);
      if (c == 0) c = CompareCost(a, b);
      break;
  }
  return c < 0;
}

}  // namespace

PathChoice SelectPath(std::span<const PathCandidate> candidates, const ServicePolicy& policy) {
  std::optional<size_t> best_sla;
  std::optional<size_t> best_any;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const PathCandidate& c = candidates[i];
    if (!c.up) continue;
    if (!best_any || Better(c, candidates[*best_any], policy.best_path)) best_any = i;
    if (policy.path_quality_filter && !MeetsSla(c, policy)) continue;
    if (!best_sla || Better(c, candidates[*best_sla], policy.best_path)) best_sla = i;
  }
  PathChoice choice;
  if (best_sla) {
    choice.index = best_sla;
    choice.reason = PathChoiceReason::kWithinSla;
  } else if (!best_any) {
    choice.reason = PathChoiceReason::kNoPathUp;
  } else if (policy.best_effort) {
    choice.index = best_any;
    choice.reason = PathChoiceReason::kBestEffort;
  } else {
    choice.reason = PathChoiceReason::kNoPathMeetsSla;
  }
  return choice;
}

}  // namespace ssr::peer
