// SPDX-License-Identifier: Apache-2.0
#include "pipeline/route_choice.h"

namespace ssr::pipeline {

void RouteChooser::Build(const config::Config& config, const config::Router& router) {
  services_.assign(config.services.size(), PerService{});
  for (size_t s = 0; s < config.services.size(); ++s) {
    services_[s].strategy = config.services[s].load_balancing;
  }
  for (size_t r = 0; r < router.service_routes.size(); ++r) {
    const config::ServiceRoute& route = router.service_routes[r];
    if (route.service >= services_.size()) continue;
    PerService& ps = services_[route.service];
    ps.routes.push_back(static_cast<uint32_t>(r));
    ps.weights.push_back(route.weight == 0 ? 1 : route.weight);
    ps.current.push_back(0);
  }
}

}  // namespace ssr::pipeline
