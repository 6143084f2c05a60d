// SPDX-License-Identifier: Apache-2.0
// Router::Sessions (ssr/router.h): asks every worker for the sessions matching a filter through
// its WorkerShared mailbox (worker.h, "Session listing") and turns the copies into SessionInfo.
//
// Design note. The control side never reads a worker's session table while the worker runs: the
// worker copies whole Session records itself between bursts (kListSlice slots per loop
// iteration, without sleeping until it is done), so no copy is torn and the packet loop is
// delayed by one slice at most. The filter is resolved to config indexes of the running
// generation; a worker that answers under another generation (a reload in between) is asked
// again (up to 3 times).
//
// Thread-safety: one call at a time (Router::Sessions holds the API mutex).
#ifndef SSR_ROUTER_SESSION_LIST_H_
#define SSR_ROUTER_SESSION_LIST_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "router/worker.h"
#include "ssr/stats.h"

namespace ssr::router {

// The filter as config indexes of `cfg` (router `router`); NotFound / InvalidArgument naming the
// unknown tenant, service, peer or the bad address.
absl::StatusOr<SessionQuery> ResolveSessionFilter(const SessionFilter& filter,
                                                  const config::Config& cfg,
                                                  const std::string& router, size_t limit,
                                                  uint64_t generation);

// `s` (a copy a worker made) with the names of `cfg`; `now_ms` is the worker clock.
SessionInfo ToSessionInfo(const session::Session& s, uint32_t worker, const config::Config& cfg,
                          const std::string& router, uint64_t now_ms);

// The running config and its generation.
using CurrentConfig = std::function<std::pair<std::shared_ptr<const config::Config>, uint64_t>()>;

absl::StatusOr<SessionList> ListSessions(const std::vector<std::unique_ptr<Worker>>& workers,
                                         bool running, const std::string& router,
                                         const SessionFilter& filter, size_t limit,
                                         const CurrentConfig& current,
                                         std::chrono::milliseconds timeout);

}  // namespace ssr::router

#endif  // SSR_ROUTER_SESSION_LIST_H_
