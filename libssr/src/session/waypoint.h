// SPDX-License-Identifier: Apache-2.0
// Waypoint-port pools: the (local port, remote port) space of one (local waypoint, remote
// waypoint, outer protocol) triple, walked round-robin.
//
// Design note (docs/protocol.md §2.4, conformance 28-30): the session-originating router picks both
// ports. With the peer's default range (config::Peer::parity_rule) the local port is even and the
// remote port odd, both in 16384-65534, so two routers opening sessions toward each other at the
// same instant can never pick the same outer tuple. With a configured range the parity rule is
// dropped and both ports come from the whole range.
// The pool is only a cursor over the pair space: with L local and R remote candidates, pair k is
// (local[k mod L], remote[(k mod L + k / L) mod R]). For a fixed local port, k / L runs over R
// consecutive values, so this is a bijection from [0, L*R) onto all pairs, and consecutive
// allocations move both ports by one (round-robin on each end). Whether a pair is free is not stored here: the
// session table probes its flow index with the reverse key the pair would produce (a live or
// quarantined session owns that key), so the pool needs no per-session memory and cannot drift
// out of sync with the table. SessionTable::AllocateWaypoints does the probing.
// Flow classes (flow_owner.h): a session is given ports whose PortClass is its flow class on both
// ends, so that every router it crosses finds its worker from the destination port. Class c's
// candidates are the candidates of the whole range whose (port >> 1) % kFlowClasses is c; the
// same bijection runs over them (PairAtClass). So the workers of one router, which own disjoint
// classes, can never pick the same pair toward a peer, and each still has the whole range divided
// by the number of workers. A range too small to hold a port of the class on one end falls back
// to the whole range (class_pair_count 0; such a session cannot be steered at the peer).
#ifndef SSR_SESSION_WAYPOINT_H_
#define SSR_SESSION_WAYPOINT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "session/flow_key.h"
#include "util/ip_address.h"

namespace ssr::session {

struct WaypointPorts {
  uint16_t local = 0;   // our waypoint port: source port of forward outer packets
  uint16_t remote = 0;  // the peer's waypoint port: their destination port
  friend bool operator==(const WaypointPorts&, const WaypointPorts&) = default;
};

struct WaypointPoolSpec {
  uint16_t side = 0;  // side id reverse packets arrive with (WAN interface / peer path)
  uint16_t vlan = 0;
  util::IpAddress local;   // our waypoint address
  util::IpAddress remote;  // the peer's waypoint address (or its NAT address)
  uint8_t outer_protocol = 17;  // TCP stays TCP; UDP, ICMP and everything else travel as UDP
  config::PortRange range{config::kDefaultWaypointPortFirst, config::kDefaultWaypointPortLast};
  bool parity_rule = true;  // config::Peer::parity_rule
};

class WaypointPool {
 public:
  // InvalidArgument when the addresses differ in family or are equal, the range is empty
  // (first > last) or includes port 0, or the parity rule leaves no even or no odd port.
  static absl::StatusOr<WaypointPool> Create(const WaypointPoolSpec& spec);

  const WaypointPoolSpec& spec() const { return spec_; }
  // Number of distinct (local, remote) pairs.
  uint64_t pair_count() const { return uint64_t{local_count_} * remote_count_; }
  // The k-th pair of the round-robin order (k < pair_count()).
  WaypointPorts PairAt(uint64_t k) const;
  // The key reverse packets of a session with these ports arrive with:
  // (side, vlan, remote -> local, remote port -> local port, outer protocol).
  FlowKey ReverseKey(WaypointPorts ports) const;

  // Round-robin position: the next pair tried is PairAt(cursor() % pair_count()).
  uint64_t cursor() const { return cursor_; }
  WaypointPorts Next() { return PairAt(cursor_++ % pair_count()); }

  // Pairs whose two ports both have PortClass `flow_class` (< kFlowClasses); 0 when one end has
  // no such port in the range.
  uint64_t class_pair_count(uint32_t flow_class) const;
  // The k-th pair of class `flow_class` (k < class_pair_count(flow_class)), same order as PairAt.
  WaypointPorts PairAtClass(uint64_t k, uint32_t flow_class) const;
  // Next pair of the class (class_pair_count(flow_class) > 0); shares the cursor with Next.
  WaypointPorts NextInClass(uint32_t flow_class) {
    return PairAtClass(cursor_++ % class_pair_count(flow_class), flow_class);
  }

 private:
  explicit WaypointPool(const WaypointPoolSpec& spec);

  WaypointPoolSpec spec_;
  uint16_t local_first_ = 0;  // first local candidate
  uint16_t remote_first_ = 0;
  uint16_t step_ = 1;  // 2 with the parity rule
  uint32_t local_count_ = 0;
  uint32_t remote_count_ = 0;
  uint64_t cursor_ = 0;
};

}  // namespace ssr::session

#endif  // SSR_SESSION_WAYPOINT_H_
