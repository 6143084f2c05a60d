// SPDX-License-Identifier: Apache-2.0
// Router-wide session limits (limits.max_sessions, limits.max_sessions_per_tenant) shared by the
// workers of one router (docs/protocol.md §2.10.1 "Router-wide limits").
//
// Design note. Each worker owns its session table (no sharing on the packet path), so the limits
// of the config, which are per router, need counters the workers share. A worker takes one unit
// of the router's budget (and of the session's tenant) before it inserts a session and gives it
// back when the session goes. These are lock-free atomic counters touched once per session
// opened or removed, never per packet: a reservation is a relaxed load (a full budget refuses
// without writing the shared line, which matters under a flood) and one fetch_add per counter.
// A tenant's counter is found by tenant *name* and lives as long as the budget, so a reload
// that renumbers tenants keeps every live session counted against the same counter whichever
// worker reloads first. The per-worker tables are still sized max_sessions each, so one worker
// can hold every session when traffic hashes unevenly; memory is per worker as before.
#ifndef SSR_PIPELINE_SESSION_BUDGET_H_
#define SSR_PIPELINE_SESSION_BUDGET_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace ssr::pipeline {

class SessionBudget {
 public:
  // Live sessions of one tenant, shared by the workers.
  using TenantCounter = std::atomic<uint32_t>;

  // `max_sessions` (>= 1) bounds the sessions of every worker together.
  explicit SessionBudget(uint32_t max_sessions) : max_sessions_(max_sessions) {}
  SessionBudget(const SessionBudget&) = delete;
  SessionBudget& operator=(const SessionBudget&) = delete;

  enum class Result : uint8_t { kOk, kRouterFull, kTenantFull };

  // Reserves one session for `tenant`, whose limit is `tenant_limit` (0: none). Lock-free; any
  // thread. On kOk the caller owes one Release(tenant).
  Result Acquire(TenantCounter& tenant, uint32_t tenant_limit);
  void Release(TenantCounter& tenant);

  // The counter of the tenant called `name`, created at 0 on first use and kept for the life of
  // the budget. Takes a lock: call it when a pipeline is created or reloaded, not per packet.
  TenantCounter& ForTenant(const std::string& name);

  uint32_t max_sessions() const { return max_sessions_; }
  uint32_t live() const { return live_.load(std::memory_order_relaxed); }

 private:
  const uint32_t max_sessions_;
  // Apart from the tenant counters, which are written at the same rate: a full budget is read
  // by every worker on every refused session.
  alignas(64) std::atomic<uint32_t> live_{0};
  std::mutex mu_;  // guards tenants_ (the map, not the counters)
  absl::flat_hash_map<std::string, std::unique_ptr<TenantCounter>> tenants_;
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_SESSION_BUDGET_H_
