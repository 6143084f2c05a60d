// SPDX-License-Identifier: Apache-2.0
#include "pipeline/session_budget.h"

namespace ssr::pipeline {
namespace {

// Takes one unit of `counter` unless it already holds `limit`. The load first: a counter at its
// limit (a flood) is refused without a write to the shared cache line. fetch_add may overshoot
// by the number of workers racing for the last unit; the loser gives its unit back.
bool TakeOne(std::atomic<uint32_t>& counter, uint32_t limit) {
  if (counter.load(std::memory_order_relaxed) >= limit) return false;
  if (counter.fetch_add(1, std::memory_order_relaxed) >= limit) {
    counter.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

}  // namespace

SessionBudget::Result SessionBudget::Acquire(TenantCounter& tenant, uint32_t tenant_limit) {
  if (tenant_limit != 0 && !TakeOne(tenant, tenant_limit)) return Result::kTenantFull;
  if (!TakeOne(live_, max_sessions_)) {
    if (tenant_limit != 0) tenant.fetch_sub(1, std::memory_order_relaxed);
    return Result::kRouterFull;
  }
  // Without a tenant limit the tenant's count is still kept: a reload may set one.
  if (tenant_limit == 0) tenant.fetch_add(1, std::memory_order_relaxed);
  return Result::kOk;
}

void SessionBudget::Release(TenantCounter& tenant) {
  tenant.fetch_sub(1, std::memory_order_relaxed);
  live_.fetch_sub(1, std::memory_order_relaxed);
}

SessionBudget::TenantCounter& SessionBudget::ForTenant(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<TenantCounter>& slot = tenants_[name];
  if (slot == nullptr) slot = std::make_unique<TenantCounter>(0);
  return *slot;
}

}  // namespace ssr::pipeline
