// SPDX-License-Identifier: Apache-2.0
// Path choice for a new session among the peer paths of a service (docs/protocol.md §5.6, §7.70).
//
// Design note. SelectPath is a pure function over a caller-owned span of candidates (no
// allocation), so the router calls it on the first packet of a session and tests drive it with a
// table. Rules:
//   1. Paths that are down are never chosen.
//   2. With path-quality-filter on, a path is "within SLA" when latency <= max-latency,
//      jitter <= max-jitter, loss <= max-loss (a percentage, O-10) and, if min-mos is enabled,
//      MOS >= min-mos. A bound is exceeded only when strictly above (below for MOS). A path whose
//      quality has not been measured yet (no finished link test) counts as within SLA: there is
//      no evidence against it, and refusing it would black-hole every service until the first
//      test ends. A measured path with no latency sample (every echo lost so far) fails the
//      latency bound; jitter is only checked once it has a sample.
//   3. Among the paths within SLA the best by `best_path` wins. When none is within SLA:
//      best-effort true picks the best up path anyway (reported as within_sla = false); false
//      picks none (the session is refused).
//   4. Ranking: kVector = lowest vector cost, then lowest latency; kAverageLatency = lowest
//      latency, then lowest vector cost; kMos = highest MOS, then lowest vector cost. Unmeasured
//      paths rank after measured ones on latency / MOS. Remaining ties go to the earlier
//      candidate, so the result is deterministic. (lb-strategy hunt; proportional load
//      balancing and session-resiliency are not implemented here.)
#ifndef SSR_PEER_PATH_SELECTION_H_
#define SSR_PEER_PATH_SELECTION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "peer/link_test.h"

namespace ssr::peer {

enum class BestPath : uint8_t { kVector, kAverageLatency, kMos };

// Service-policy fields of §5.6 with their SSR defaults.
struct ServicePolicy {
  bool path_quality_filter = false;
  double max_latency_ms = 250;
  double max_jitter_ms = 100;
  double max_loss_percent = 0.5;  // O-10: a percentage
  std::optional<double> min_mos;  // disabled by default; 1.0..5.0 when set
  bool best_effort = true;
  BestPath best_path = BestPath::kVector;
};

// InvalidArgument naming the field and the value.
absl::Status ValidateServicePolicy(const ServicePolicy& policy);

struct PathCandidate {
  bool up = false;           // BFD status as notified (after hold-down)
  PathQuality quality;       // running averages from the link tests
  uint32_t vector_cost = 0;  // configured cost of the path's neighborhood / adjacency
};

enum class PathChoiceReason : uint8_t {
  kWithinSla,       // best path among those meeting the policy (or the filter is off)
  kBestEffort,      // none met the policy; best-effort chose the best up path
  kNoPathUp,        // every candidate is down (or there are none)
  kNoPathMeetsSla,  // none met the policy and best-effort is off
};
std::string_view PathChoiceReasonName(PathChoiceReason r);

struct PathChoice {
  std::optional<size_t> index;  // into the candidates span
  PathChoiceReason reason = PathChoiceReason::kNoPathUp;
};

// True if `c` meets `policy`'s thresholds (ignores `path_quality_filter` and `up`).
bool MeetsSla(const PathCandidate& c, const ServicePolicy& policy);

PathChoice SelectPath(std::span<const PathCandidate> candidates, const ServicePolicy& policy);

}  // namespace ssr::peer

#endif  // SSR_PEER_PATH_SELECTION_H_
