// SPDX-License-Identifier: Apache-2.0
// Validation of the "Timeouts and limits" section: session inactivity timeouts and table sizes.
// Fields left at 0 keep the model's defaults (config/model.h). A new timeout or limit goes here;
// a new top-level section of scalar settings gets its own validate_<section>.cc like this one.
#include <chrono>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "config/validate.h"

namespace ssr::config::internal {
namespace {

constexpr uint32_t kMaxTimeoutSeconds = 604800;
constexpr uint32_t kMinLimitSessions = 1024;
constexpr uint32_t kMaxLimitSessions = 1u << 24;
constexpr uint32_t kMaxReassemblySlots = 4096;
constexpr uint32_t kMinReassemblyTimeoutMs = 100;
constexpr uint32_t kMaxReassemblyTimeoutMs = 60000;

}  // namespace

Timeouts ValidateTimeouts(const v1::Timeouts& t, ErrorSink& errors) {
  Timeouts out;
  const std::pair<uint32_t, std::pair<const char*, std::chrono::seconds*>> fields[] = {
      {t.tcp_embryonic_seconds(), {"tcp_embryonic_seconds", &out.tcp_embryonic}},
      {t.tcp_established_seconds(), {"tcp_established_seconds", &out.tcp_established}},
      {t.tcp_closing_seconds(), {"tcp_closing_seconds", &out.tcp_closing}},
      {t.udp_seconds(), {"udp_seconds", &out.udp}},
      {t.udp_dns_seconds(), {"udp_dns_seconds", &out.udp_dns}},
      {t.icmp_seconds(), {"icmp_seconds", &out.icmp}},
      {t.other_seconds(), {"other_seconds", &out.other}},
  };
  bool all_in_range = true;
  for (const auto& [value, field] : fields) {
    if (value > kMaxTimeoutSeconds) {
      all_in_range = false;
      errors.Add(Field("timeouts", field.first),
                 absl::StrCat(value, " is out of range (1-", kMaxTimeoutSeconds, ")"));
    } else if (value != 0) {
      *field.second = std::chrono::seconds(value);
    }
  }
  // Only compare values the user wrote validly, not a default standing in for a bad one.
  if (all_in_range && out.tcp_embryonic > out.tcp_established) {
    errors.Add("timeouts.tcp_embryonic_seconds",
               absl::StrCat(out.tcp_embryonic.count(), " exceeds tcp_established_seconds (",
                            out.tcp_established.count(), ")"));
  }
  return out;
}

Limits ValidateLimits(const v1::Limits& l, ErrorSink& errors) {
  Limits out;
  bool max_ok = true;
  if (l.max_sessions() != 0) {
    if (l.max_sessions() < kMinLimitSessions || l.max_sessions() > kMaxLimitSessions) {
      errors.Add("limits.max_sessions",
                 absl::StrCat(l.max_sessions(), " is out of range (", kMinLimitSessions, "-",
                              kMaxLimitSessions, ")"));
      max_ok = false;
    } else {
      out.max_sessions = l.max_sessions();
    }
  }
  if (max_ok && l.max_sessions_per_tenant() > out.max_sessions) {
    errors.Add("limits.max_sessions_per_tenant",
               absl::StrCat(l.max_sessions_per_tenant(), " exceeds max_sessions (",
                            out.max_sessions, ")"));
  } else {
    out.max_sessions_per_tenant = l.max_sessions_per_tenant();
  }
  // Embryonic caps: 0 is "no cap"; a cap above the table size could never bind.
  const std::pair<uint32_t, std::pair<const char*, uint32_t*>> caps[] = {
      {l.max_embryonic_per_source(), {"max_embryonic_per_source", &out.max_embryonic_per_source}},
      {l.max_embryonic_per_tenant(), {"max_embryonic_per_tenant", &out.max_embryonic_per_tenant}},
  };
  for (const auto& [value, field] : caps) {
    if (max_ok && value > out.max_sessions) {
      errors.Add(Field("limits", field.first),
                 absl::StrCat(value, " exceeds max_sessions (", out.max_sessions, ")"));
    } else {
      *field.second = value;
    }
  }
  if (l.embryonic_pressure_percent() > 100) {
    errors.Add("limits.embryonic_pressure_percent",
               absl::StrCat(l.embryonic_pressure_percent(), " is out of range (1-100)"));
  } else if (l.embryonic_pressure_percent() != 0) {
    out.embryonic_pressure_percent = l.embryonic_pressure_percent();
  }
  if (l.tcp_embryonic_under_pressure_seconds() > kMaxTimeoutSeconds) {
    errors.Add("limits.tcp_embryonic_under_pressure_seconds",
               absl::StrCat(l.tcp_embryonic_under_pressure_seconds(), " is out of range (1-",
                            kMaxTimeoutSeconds, ")"));
  } else if (l.tcp_embryonic_under_pressure_seconds() != 0) {
    out.tcp_embryonic_under_pressure_seconds = l.tcp_embryonic_under_pressure_seconds();
  }
  if (l.ip_reassembly_slots() > kMaxReassemblySlots) {
    errors.Add("limits.ip_reassembly_slots", absl::StrCat(l.ip_reassembly_slots(),
                                                          " is out of range (1-",
                                                          kMaxReassemblySlots, ")"));
  } else if (l.ip_reassembly_slots() != 0) {
    out.ip_reassembly_slots = l.ip_reassembly_slots();
  }
  const uint32_t t = l.ip_reassembly_timeout_ms();
  if (t != 0 && (t < kMinReassemblyTimeoutMs || t > kMaxReassemblyTimeoutMs)) {
    errors.Add("limits.ip_reassembly_timeout_ms",
               absl::StrCat(t, " is out of range (", kMinReassemblyTimeoutMs, "-",
                            kMaxReassemblyTimeoutMs, ")"));
  } else if (t != 0) {
    out.ip_reassembly_timeout_ms = t;
  }
  return out;
}

}  // namespace ssr::config::internal
