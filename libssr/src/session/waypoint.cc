// SPDX-License-Identifier: Apache-2.0
#include "session/waypoint.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ssr::session {

absl::StatusOr<WaypointPool> WaypointPool::Create(const WaypointPoolSpec& spec) {
  if (spec.local.family() != spec.remote.family()) {
    return absl::InvalidArgumentError(absl::StrCat("waypoint pool: local ", spec.local.ToString(),
                                                   " and remote ", spec.remote.ToString(),
                                                   " differ in address family"));
  }
  if (spec.local == spec.remote) {
    return absl::InvalidArgumentError(
        absl::StrCat("waypoint pool: local and remote are both ", spec.local.ToString()));
  }
  if (spec.range.first == 0 || spec.range.first > spec.range.last) {
    return absl::InvalidArgumentError(absl::StrCat("waypoint pool: port range ", spec.range.first,
                                                   "-", spec.range.last, " is empty or has 0"));
  }
  if (spec.parity_rule && spec.range.first == spec.range.last) {
    return absl::InvalidArgumentError(
        absl::StrCat("waypoint pool: port range ", spec.range.first, "-", spec.range.last,
                     " has no even/odd pair for the parity rule"));
  }
  return WaypointPool(spec);
}

WaypointPool::WaypointPool(const WaypointPoolSpec& spec) : spec_(spec) {
  const uint32_t first = spec.range.first;
  const uint32_t last = spec.range.last;
  if (spec.parity_rule) {
    step_ = 2;
    const uint32_t even_first = first + (first & 1u);
    const uint32_t odd_first = first + ((first & 1u) ^ 1u);
    local_first_ = static_cast<uint16_t>(even_first);
    remote_first_ = static_cast<uint16_t>(odd_first);
    local_count_ = even_first <= last ? (last - even_first) / 2 + 1 : 0;
    remote_count_ = odd_first <= last ? (last - odd_first) / 2 + 1 : 0;
  } else {
    step_ = 1;
    local_first_ = remote_first_ = static_cast<uint16_t>(first);
    local_count_ = remote_count_ = last - first + 1;
  }
}

WaypointPorts WaypointPool::PairAt(uint64_t k) const {
  const uint64_t l = k % local_count_;
  const uint64_t r = (l + k / local_count_) % remote_count_;
  return {static_cast<uint16_t>(local_first_ + l * step_),
          static_cast<uint16_t>(remote_first_ + r * step_)};
}

FlowKey WaypointPool::ReverseKey(WaypointPorts ports) const {
  FlowKey k;
  k.side = spec_.side;
  k.vlan = spec_.vlan;
  k.src = spec_.remote;
  k.dst = spec_.local;
  k.src_port = ports.remote;
  k.dst_port = ports.local;
  k.protocol = spec_.outer_protocol;
  return k;
}

}  // namespace ssr::session
