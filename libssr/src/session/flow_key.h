// SPDX-License-Identifier: Apache-2.0
// FlowKey: the tuple one direction of a session is matched on.
//
// Design note: a key is what the packet looks like when it arrives: the side it arrives on (LAN
// interface index, or the WAN interface / peer-path id for waypoint traffic; the caller keeps the
// two id spaces disjoint), the VLAN, source and destination address, ports and IP protocol. It is
// a flat 44-byte record with no padding (checked below), so equality is one memcmp and the hash
// runs over the bytes in one pass; both matter because every packet hashes and compares a key.
// ICMP / ICMPv6 echo has no ports: src_port carries the echo identifier and dst_port is 0 in
// BOTH directions (docs/protocol.md §2.11), so a request and its reply produce keys that are exact
// Reversed() images of each other.
//
// Each session owns two keys: forward (first packet's direction) and reverse (the tuple the
// answers arrive with). A rewrite always maps one key onto the Reversed() image of the other key
// (see translation.h), which is why the session stores no separate "translation" tuples.
#ifndef SSR_SESSION_FLOW_KEY_H_
#define SSR_SESSION_FLOW_KEY_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

#include "packet/protocol.h"
#include "util/ip_address.h"

namespace ssr::session {

// Which of a session's two flows a packet matched.
enum class Direction : uint8_t { kForward = 0, kReverse = 1 };

constexpr Direction Opposite(Direction d) {
  return d == Direction::kForward ? Direction::kReverse : Direction::kForward;
}

// True for the protocols whose "ports" follow the ICMP echo convention (identifier, 0).
constexpr bool IsIcmpProtocol(uint8_t protocol) {
  return protocol == packet::kIpProtoIcmp || protocol == packet::kIpProtoIcmpv6;
}

struct FlowKey {
  util::IpAddress src;    // 17 bytes: family + 16 address bytes (v4 uses 4, rest zero)
  util::IpAddress dst;    // 17 bytes
  uint8_t protocol = 0;   // IP protocol as it appears on this side (ICMP: 1 / 58)
  uint8_t reserved = 0;   // explicit, always 0: keeps the key free of padding bytes
  uint16_t src_port = 0;  // ICMP echo: identifier
  uint16_t dst_port = 0;  // ICMP echo: 0
  uint16_t side = 0;      // LAN interface index, or WAN interface / peer-path id
  uint16_t vlan = 0;      // 0 = untagged

  // Byte-wise: there are no padding bytes and IpAddress keeps unused bytes zero.
  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return std::memcmp(&a, &b, sizeof(FlowKey)) == 0;
  }

  template <typename H>
  friend H AbslHashValue(H h, const FlowKey& k) {
    return H::combine_contiguous(std::move(h), reinterpret_cast<const unsigned char*>(&k),
                                 sizeof(FlowKey));
  }

  // "side 3 vlan 0 tcp 10.1.1.10:40000 -> 8.8.8.8:53" for logs and test failure messages.
  std::string ToString() const;
};

static_assert(sizeof(FlowKey) == 44, "FlowKey is expected to be a packed 44-byte record");
static_assert(std::is_trivially_copyable_v<FlowKey>);
static_assert(std::has_unique_object_representations_v<FlowKey>,
              "FlowKey must have no padding: equality and hashing are byte-wise");

// The key the other direction of the same conversation has on the same side: addresses and
// ports swapped, except ICMP echo whose identifier stays in src_port (see the note above).
constexpr FlowKey Reversed(const FlowKey& k) {
  FlowKey r = k;
  r.src = k.dst;
  r.dst = k.src;
  if (!IsIcmpProtocol(k.protocol)) {
    r.src_port = k.dst_port;
    r.dst_port = k.src_port;
  }
  return r;
}

}  // namespace ssr::session

#endif  // SSR_SESSION_FLOW_KEY_H_
