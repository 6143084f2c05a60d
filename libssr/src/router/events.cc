// SPDX-License-Identifier: Apache-2.0
#include "router/events.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace ssr::router {

std::string UuidText(const std::array<uint8_t, 16>& u) {
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                         u[12], u[13], u[14], u[15]);
}

SessionEvent ToSessionEvent(const RawSessionEvent& raw, uint32_t worker,
                            const config::Config* config, const std::string& router) {
  SessionEvent e;
  e.kind = raw.opened ? SessionEvent::Kind::kOpened : SessionEvent::Kind::kClosed;
  e.worker = worker;
  e.uuid = UuidText(raw.uuid);
  if (!raw.detailed || config == nullptr) return e;
  const config::Config& cfg = *config;
  const config::Router* r = cfg.FindRouter(router);
  if (raw.tenant < cfg.tenants.size()) e.tenant = cfg.tenants[raw.tenant].name;
  if (raw.service < cfg.services.size()) e.service = cfg.services[raw.service].name;
  if ((raw.flags & session::kLocalBreakout) == 0 && r != nullptr && raw.peer < r->peers.size()) {
    e.peer = r->peers[raw.peer].name;
  }
  e.protocol = raw.forward.protocol;
  e.source = raw.forward.src.ToString();
  e.source_port = raw.forward.src_port;
  e.destination = raw.forward.dst.ToString();
  e.destination_port = raw.forward.dst_port;
  e.created_ms = raw.created_ms;
  return e;
}

EventDelivery::EventDelivery(SessionCallback callback, std::string router, ConfigOf config_of)
    : callback_(std::move(callback)), router_(std::move(router)), config_of_(std::move(config_of)) {}

void EventDelivery::Deliver(const std::vector<std::unique_ptr<Worker>>& workers) {
  if (!callback_) return;
  RawSessionEvent raw;
  for (const auto& w : workers) {
    while (w->events().TryPop(&raw)) {
      std::shared_ptr<const config::Config> cfg;
      if (raw.detailed) cfg = config_of_(raw.config_generation);
      callback_(ToSessionEvent(raw, w->options().id, cfg.get(), router_));
      delivered_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace ssr::router
