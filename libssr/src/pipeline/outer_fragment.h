// SPDX-License-Identifier: Apache-2.0
// Fragmenting an outer SVR IPv4 packet (docs/protocol.md §2.14.2).
//
// Design note. An IPv4 LAN packet without DF may be fragmented by any router on its way (RFC 791).
// When such a packet (or a datagram this router reassembled from LAN fragments, §2.14.1) no longer
// fits the peer's path MTU once SVR is added, the router composes and seals the outer packet as
// usual and then splits the finished outer IPv4 packet into fragments, like a router on the path
// would. The peer reassembles them before authenticating the packet (§2.14.1), so the hop HMAC /
// GCM tag covers the whole outer packet exactly as if it had not been split. Splitting the
// *outer* packet (rather than the inner one before encapsulation) keeps every SVR step whole:
// one session lookup, one metadata block, one hop tag per datagram.
//
// Only an IPv4 outer packet is split here: an IPv6 outer packet would need a fragment extension
// header inserted by its source (RFC 8200 §4.5), which the pipeline does not write; such packets
// keep being dropped (exceeds_mtu_df_clear).
//
// The fragments keep the outer packet's identification, offsets are in 8-byte units, MF is set on
// all but the last, DF stays clear and each has its own header checksum. The identification is
// the inner packet's: the outer IPv4 header carries the inner id (and DF, TOS) to the peer, which
// restores the inner header from it, so a fresh id would change the packet the server receives.
// The cost: two LAN hosts whose over-MTU datagrams to the same peer share an id at the same time
// collide in the peer's reassembly; the peer then discards them (overlap) or the hop tag fails
// (counted there), it never delivers a mixed datagram. The first fragment is the original
// frame, trimmed in place; the others are written into frames the caller took from its pool. No
// allocation.
#ifndef SSR_PIPELINE_OUTER_FRAGMENT_H_
#define SSR_PIPELINE_OUTER_FRAGMENT_H_

#include <cstdint>
#include <span>

#include "io/port.h"

namespace ssr::pipeline {

// Most fragments one outer packet is split into (frames held on the stack while splitting).
inline constexpr uint32_t kMaxOuterFragments = 32;

// Data bytes each fragment but the last carries for an IPv4 header of `header` bytes and a path
// MTU `mtu`: the largest multiple of 8 that fits; 0 when not even 8 bytes fit.
inline uint32_t Ipv4FragmentData(uint32_t header, uint32_t mtu) {
  return mtu > header ? ((mtu - header) / 8) * 8 : 0;
}

// How many fragments an IPv4 packet of `total` bytes (header `header` bytes) needs to fit `mtu`;
// 1 when it fits; 0 when it cannot be split to fit.
inline uint32_t Ipv4FragmentCount(uint32_t header, uint32_t total, uint32_t mtu) {
  if (total <= mtu) return 1;
  const uint32_t per = Ipv4FragmentData(header, mtu);
  if (per == 0 || total <= header) return 0;
  return (total - header + per - 1) / per;
}

// Splits the IPv4 packet at `l3_offset` of `first` (an Ethernet frame of first.length bytes; the
// bytes before l3_offset are the L2 header copied to every fragment) into 1 + rest.size()
// fragments of at most `mtu` bytes each, keeping its identification. rest.size() must be
// Ipv4FragmentCount(...) - 1 and every frame of `rest` must hold its fragment. On success `first`
// becomes fragment 0 and rest[i] fragment i + 1; returns false (and changes nothing) when the
// packet is not a well-formed IPv4 packet, is a fragment already, has DF set, or the counts or
// capacities do not match.
bool SplitIpv4(io::Frame& first, uint32_t l3_offset, uint32_t mtu, std::span<io::Frame> rest);

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_OUTER_FRAGMENT_H_
