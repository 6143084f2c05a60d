// SPDX-License-Identifier: Apache-2.0
// Which `limits` a reload can change.
//
// Design note: the session tables, the router-wide session budget (pipeline/session_budget.h) and
// the IP reassembly pools are sized from `limits` when the router is created and are not rebuilt
// by a reload (that would drop every session). A reload that changes one of those fields used to
// be accepted and silently ignored — a router reloaded from max_sessions 1048576 to 1024 kept
// admitting a million sessions. Router::Reload refuses it instead, naming the field, like a
// change of the router's interfaces. A reload applies the rest: max_sessions_per_tenant is read
// per new session, and the embryonic caps (max_embryonic_per_source / _tenant) and the pressure
// rule (embryonic_pressure_percent, tcp_embryonic_under_pressure_seconds) are set on each table by
// Pipeline::Reload (session::SessionTable::Retune, which recounts the embryonic sessions).
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
