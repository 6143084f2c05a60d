// SPDX-License-Identifier: Apache-2.0
// Session event delivery of a Router: drains the workers' event rings (RawSessionEvent, indexes
// into the config the worker ran) and calls the embedding's SessionCallback with the names
// resolved against the config of the event's generation.
//
// Thread-safety: Deliver() runs on one thread at a time (the control thread, or the thread that
// stops the router after the workers have stopped); delivered() may be read from any thread.
#ifndef SSR_ROUTER_EVENTS_H_
#define SSR_ROUTER_EVENTS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/model.h"
#include "router/worker.h"
#include "ssr/router.h"

namespace ssr::router {

// RFC 4122 text of a session UUID.
std::string UuidText(const std::array<uint8_t, 16>& uuid);

// `raw` as the embedding sees it; `cfg` is the config of raw.config_generation (names of the
// tenant, service and peer; not used when the event is not detailed), `router` the router's
// name in it.
SessionEvent ToSessionEvent(const RawSessionEvent& raw, uint32_t worker,
                            const config::Config* cfg, const std::string& router);

class EventDelivery {
 public:
  // The config a generation ran (or the current one when that generation is gone).
  using ConfigOf = std::function<std::shared_ptr<const config::Config>(uint64_t generation)>;

  // `callback` empty: Deliver does nothing (the workers record no events then).
  EventDelivery(SessionCallback callback, std::string router, ConfigOf config_of);

  // Hands every queued event of `workers` to the callback, in queue order per worker.
  void Deliver(const std::vector<std::unique_ptr<Worker>>& workers);

  uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

 private:
  const SessionCallback callback_;
  const std::string router_;
  const ConfigOf config_of_;
  std::atomic<uint64_t> delivered_{0};
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_EVENTS_H_
