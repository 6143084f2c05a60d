// SPDX-License-Identifier: Apache-2.0
#include "router/reload_limits.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace ssr::router {

absl::Status CheckReloadLimits(const config::Limits& running, const config::Limits& next) {
  struct Field {
    const char* name;
    uint32_t config::Limits::*member;
  };
  static constexpr Field kFixed[] = {
      {"max_sessions", &config::Limits::max_sessions},
      {"ip_reassembly_slots", &config::Limits::ip_reassembly_slots},
      {"ip_reassembly_timeout_ms", &config::Limits::ip_reassembly_timeout_ms},
  };
  for (const Field& f : kFixed) {
    if (running.*f.member == next.*f.member) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "limits.", f.name, ": ", running.*f.member, " -> ", next.*f.member,
        ": the session tables, the router-wide session budget and the reassembly pools are "
        "sized when the router starts; restart the router to change it (a reload applies "
        "max_sessions_per_tenant, the embryonic caps and the pressure knobs)"));
  }
  return absl::OkStatus();
}

}  // namespace ssr::router
