// SPDX-License-Identifier: Apache-2.0
#include "session/waypoint.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "session/flow_owner.h"

namespace ssr::session {
namespace {

constexpr uint32_t kM = kFlowClasses;

// The candidates first, first + step, ... (count of them, step 1 or 2) whose PortClass is c.
// Step 2: candidate i has (port >> 1) = (first >> 1) + i, so they are every kM-th from i0.
// Step 1: ports 2q and 2q + 1 for q = q0, q0 + kM, ...; `skip` drops 2 * q0 when below first.
struct ClassSeq {
  uint32_t count = 0;
  uint32_t base = 0;  // step 2: first port; step 1: q0
  uint32_t skip = 0;
  uint32_t step = 2;
  uint16_t Port(uint64_t j) const {
    if (step == 2) return static_cast<uint16_t>(base + 2 * j * kM);
    const uint64_t jj = j + skip;
    return static_cast<uint16_t>(2 * (base + (jj >> 1) * kM) + (jj & 1));
  }
};

ClassSeq MakeClassSeq(uint32_t first, uint32_t step, uint32_t count, uint32_t c) {
  ClassSeq s;
  s.step = step;
  if (count == 0) return s;
  if (step == 2) {
    const uint32_t i0 = (c + kM - (first >> 1) % kM) % kM;
    s.base = first + 2 * i0;
    s.count = i0 < count ? (count - 1 - i0) / kM + 1 : 0;
    return s;
  }
  const uint32_t last = first + count - 1;
  const uint32_t q0 = (first >> 1) + (c + kM - (first >> 1) % kM) % kM;
  const uint32_t qmax = last >> 1;
  if (q0 > qmax) return s;
  const uint32_t nq = (qmax - q0) / kM + 1;
  s.base = q0;
  s.skip = 2 * q0 < first ? 1 : 0;
  const uint32_t trim = (q0 + (nq - 1) * kM == qmax && (last & 1u) == 0) ? 1 : 0;
  s.count = 2 * nq - s.skip - trim;
  return s;
}

}  // namespace

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

uint64_t WaypointPool::class_pair_count(uint32_t flow_class) const {
  const ClassSeq l = MakeClassSeq(local_first_, step_, local_count_, flow_class % kM);
  const ClassSeq r = MakeClassSeq(remote_first_, step_, remote_count_, flow_class % kM);
  return uint64_t{l.count} * r.count;
}

WaypointPorts WaypointPool::PairAtClass(uint64_t k, uint32_t flow_class) const {
  const ClassSeq ls = MakeClassSeq(local_first_, step_, local_count_, flow_class % kM);
  const ClassSeq rs = MakeClassSeq(remote_first_, step_, remote_count_, flow_class % kM);
  const uint64_t l = k % ls.count;
  const uint64_t r = (l + k / ls.count) % rs.count;
  return {ls.Port(l), rs.Port(r)};
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
