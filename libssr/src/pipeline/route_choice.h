// SPDX-License-Identifier: Apache-2.0
// Choosing among several routes of one service (ServicePolicy.load_balancing in
// proto/ssr/config/v1/config.proto, docs/protocol.md §5.8).
//
// Design note. The choice is made once per session, on its first packet at the router that has
// the routes (the ingress for peer routes and local breakout, the egress or a transit router for
// its own routes), and the session keeps the route for its life (Session::route). A route is
// usable when it is a local next hop, or when its peer has at least one peer path up
// (Pipeline::SetPeerPathUp); unusable routes are skipped by every strategy and never accumulate
// credit. The strategies keep their state per worker and per service, rebuilt when a config
// snapshot is applied:
//   hunt          the first usable route in the router's order;
//   round robin   the usable route after the previous choice, in order;
//   proportional  smooth weighted round robin (each usable route gains its weight, the largest
//                 total wins and pays the sum of the usable weights): over any window of
//                 sum-of-weights sessions each route gets exactly its weight, spread out rather
//                 than in runs, with no randomness.
// With one route (the common case) every strategy returns it when usable, at the cost of one
// vector read; nothing here allocates after Build.
#ifndef SSR_PIPELINE_ROUTE_CHOICE_H_
#define SSR_PIPELINE_ROUTE_CHOICE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/model.h"

namespace ssr::pipeline {

class RouteChooser {
 public:
  static constexpr uint32_t kNone = ~uint32_t{0};

  // Routes of every service on `router` (indices into router.service_routes, in order).
  void Build(const config::Config& config, const config::Router& router);

  // True if `service` has at least one route on this router (usable or not).
  bool HasRoute(size_t service) const {
    return service < services_.size() && !services_[service].routes.empty();
  }

  // The route for a new session of `service`: an index into the router's service_routes, or
  // kNone when no route of the service is usable. `usable(route_index)` says whether a route can
  // carry a session now.
  template <class Usable>
  uint32_t Choose(size_t service, Usable&& usable);

 private:
  struct PerService {
    config::LoadBalancing strategy = config::LoadBalancing::kHunt;
    std::vector<uint32_t> routes;   // indices into the router's service_routes
    std::vector<int64_t> weights;   // per entry of `routes`
    std::vector<int64_t> current;   // smooth weighted round robin credit
    uint32_t next = 0;              // round robin: the position to start from
  };
  std::vector<PerService> services_;
};

template <class Usable>
uint32_t RouteChooser::Choose(size_t service, Usable&& usable) {
  if (service >= services_.size()) return kNone;
  PerService& ps = services_[service];
  const uint32_t n = static_cast<uint32_t>(ps.routes.size());
  switch (ps.strategy) {
    case config::LoadBalancing::kHunt:
      for (uint32_t i = 0; i < n; ++i) {
        if (usable(ps.routes[i])) return ps.routes[i];
      }
      return kNone;
    case config::LoadBalancing::kRoundRobin:
      for (uint32_t k = 0; k < n; ++k) {
        const uint32_t i = (ps.next + k) % n;
        if (usable(ps.routes[i])) {
          ps.next = (i + 1) % n;
          return ps.routes[i];
        }
      }
      return kNone;
    case config::LoadBalancing::kProportional: {
      int64_t total = 0;
      uint32_t best = kNone;
      for (uint32_t i = 0; i < n; ++i) {
        if (!usable(ps.routes[i])) continue;
        ps.current[i] += ps.weights[i];
        total += ps.weights[i];
        if (best == kNone || ps.current[i] > ps.current[best]) best = i;
      }
      if (best == kNone) return kNone;
      ps.current[best] -= total;
      return ps.routes[best];
    }
  }
  return kNone;
}

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_ROUTE_CHOICE_H_
