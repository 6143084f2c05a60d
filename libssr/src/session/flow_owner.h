// SPDX-License-Identifier: Apache-2.0
// Flow ownership across the workers of one router (docs/protocol.md §2.10.2).
//
// Design note. Every session belongs to one of kFlowClasses classes, and class c belongs to
// worker c % workers. The class is a property of the session, not of the router: it is computed
// from the original (LAN) tuple by a hash that is symmetric in the two ends (FlowClass), and the
// router that opens a session toward a peer picks waypoint ports of that class for both ends
// (PortClass(port) == class; waypoint.h). So at every router a session crosses, whatever its
// number of workers:
//   * a LAN packet (either direction) maps to its worker by FlowClass of its tuple;
//   * a WAN packet from a peer maps by PortClass of its destination port (our waypoint port: the
//     one we picked at the ingress, the one the peer picked for us at the egress or transit);
// and both give the same worker because port class == flow class. The class uses (port >> 1) so
// that the parity rule (local even, remote odd, §2.4) keeps every class on both ends.
// kFlowClasses is fixed for the protocol (both routers must agree), independent of the number of
// workers, and a multiple of every worker count that divides it, so 1..kFlowClasses workers all
// work; with a count that does not divide it the classes spread slightly unevenly.
#ifndef SSR_SESSION_FLOW_OWNER_H_
#define SSR_SESSION_FLOW_OWNER_H_

#include <cstdint>
#include <span>

#include "session/flow_key.h"
#include "util/ip_address.h"

namespace ssr::session {

inline constexpr uint32_t kFlowClasses = 64;

namespace flow_owner_internal {
inline uint64_t Mix(uint64_t x) {  // murmur3 fmix64
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}
// One address, hashed alone so that the two ends can be combined symmetrically.
inline uint64_t End(const util::IpAddress& a) {
  const std::span<const uint8_t> b = a.bytes();
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < b.size(); i += 4) {
    const uint32_t w = uint32_t{b[i]} << 24 | uint32_t{b[i + 1]} << 16 | uint32_t{b[i + 2]} << 8 |
                       uint32_t{b[i + 3]};
    h = Mix(h + w);
  }
  return h;
}
}  // namespace flow_owner_internal

// Class of a flow from its (src, dst, ports, protocol), the same for both directions (src and
// dst swapped). The ports enter as an unordered pair: ICMP echo uses the identifier as src_port
// and 0 as dst_port in both directions. Side and VLAN are not part of it: they differ between
// routers.
inline uint32_t FlowClass(const util::IpAddress& src, uint16_t src_port, const util::IpAddress& dst,
                          uint16_t dst_port, uint8_t protocol) {
  using flow_owner_internal::End;
  const uint64_t lo = src_port < dst_port ? src_port : dst_port;
  const uint64_t hi = src_port < dst_port ? dst_port : src_port;
  const uint64_t h = End(src) + End(dst) + (lo << 24 | hi << 8 | protocol);  // commutative
  return static_cast<uint32_t>(flow_owner_internal::Mix(h) % kFlowClasses);
}
inline uint32_t FlowClass(const FlowKey& k) {
  return FlowClass(k.src, k.src_port, k.dst, k.dst_port, k.protocol);
}

// Class of a waypoint port.
inline constexpr uint32_t PortClass(uint16_t port) { return (uint32_t{port} >> 1) % kFlowClasses; }

// Worker owning a class (workers >= 1).
inline constexpr uint32_t OwnerOf(uint32_t flow_class, uint32_t workers) {
  return flow_class % workers;
}

}  // namespace ssr::session

#endif  // SSR_SESSION_FLOW_OWNER_H_
