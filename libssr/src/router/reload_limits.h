// SPDX-License-Identifier: Apache-2.0
// Which `limits` a reload can change.
//
// Design note: the session tables, the router-wide session budget (pipeline/session_budget.h), the
// embryonic caps and pressure rule of each table and the IP reassembly pools are built from
// `limits` when the router is created and are not rebuilt by a reload (that would drop every
// session). A reload that changes one of those fields used to be accepted and silently ignored —
// a router reloaded from max_sessions 1048576 to 1024 kept admitting a million sessions. Router::
// Reload refuses it instead, naming the field, like a change of the router's interfaces.
// max_sessions_per_tenant is read per new session, so a reload applies it.
#ifndef SSR_ROUTER_RELOAD_LIMITS_H_
#define SSR_ROUTER_RELOAD_LIMITS_H_

#include "absl/status/status.h"
#include "config/model.h"

namespace ssr::router {

// OK when `next` keeps every field of `running` that is fixed at start; else FailedPrecondition
// naming the first field that changed with both values ("limits.max_sessions: 1048576 -> 1024").
absl::Status CheckReloadLimits(const config::Limits& running, const config::Limits& next);

}  // namespace ssr::router

#endif  // SSR_ROUTER_RELOAD_LIMITS_H_
