// SPDX-License-Identifier: Apache-2.0
// Fragmenting packets the router sends (docs/protocol.md §2.14.2): outer SVR packets toward a
// peer, and packets toward a LAN interface larger than its MTU.
//
// Design note. An IPv4 LAN packet without DF may be fragmented by any router on its way (RFC 791).
// When such a packet (or a datagram this router reassembled from IP fragments, §2.14.1) no longer
// fits the peer's path MTU once SVR is added, the router composes and seals the outer packet as
// usual and then splits the finished outer packet into fragments. The peer reassembles them
// before authenticating the packet (§2.14.1), so the hop HMAC / GCM tag covers the whole outer
// packet exactly as if it had not been split. Splitting the *outer* packet (rather than the inner
// one before encapsulation) keeps every SVR step whole: one session lookup, one metadata block,
// one hop tag per datagram.
//
// IPv4 outer packet: split like a router on the path would. The fragments keep the outer packet's
// identification, offsets are in 8-byte units, MF is set on all but the last, DF stays clear and
// each has its own header checksum. The identification is the inner packet's: the outer IPv4
// header carries the inner id (and DF, TOS) to the peer, which restores the inner header from it,
// so a fresh id would change the packet the server receives. The cost: two LAN hosts whose
// over-MTU datagrams to the same peer share an id at the same time collide in the peer's
// reassembly; the peer then discards them (overlap) or the hop tag fails (counted there), it
// never delivers a mixed datagram.
//
// IPv6 outer packet: the router is the source of the outer packet, so it may fragment it itself
// with a fragment extension header (RFC 8200 §4.5): the 40-byte header is the unfragmentable
// part, every fragment carries a fragment header with the same 32-bit identification, taken from
// a per-worker counter that starts at a random value (Pipeline::NextFragmentId), offsets in
// 8-byte units, M set on all but the last. The packets composed by the pipeline have no extension
// headers, so everything after the IPv6 header is fragmentable.
//
// The same splitters serve the LAN side: a packet larger than the LAN interface's MTU (a datagram
// the router reassembled, or an outer packet's content restored at the egress) leaves as IPv4
// fragments (DF clear) or IPv6 fragments with a fragment header (the router re-fragments what it
// reassembled, as a reassembling firewall does).
//
// Frames: the first fragment is the original frame, trimmed in place (IPv6: its data moved 8
// bytes for the fragment header); the others are written into frames the caller took from its
// pool. A packet held in the pipeline's large frame (a reassembled datagram that did not fit a
// pool frame) is never transmitted itself: with in_place = false every fragment, the first
// included, is written into a pool frame. No allocation.
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

// IPv6: the IPv6 header (40) and a fragment header (8) in front of each fragment's data.
inline constexpr uint32_t kIpv6FragmentOverhead = 40 + 8;

// Data bytes each IPv6 fragment but the last carries for a path MTU `mtu`; 0 when none fit.
inline uint32_t Ipv6FragmentData(uint32_t mtu) {
  return mtu > kIpv6FragmentOverhead ? ((mtu - kIpv6FragmentOverhead) / 8) * 8 : 0;
}

// How many fragments an IPv6 packet of `total` bytes (40-byte header, no extension headers)
// needs to fit `mtu`; 1 when it fits; 0 when it cannot be split to fit.
inline uint32_t Ipv6FragmentCount(uint32_t total, uint32_t mtu) {
  if (total <= mtu) return 1;
  const uint32_t per = Ipv6FragmentData(mtu);
  if (per == 0 || total <= 40) return 0;
  return (total - 40 + per - 1) / per;
}

// Splits the IPv4 packet at `l3_offset` of `first` (an Ethernet frame of first.length bytes; the
// bytes before l3_offset are the L2 header copied to every fragment) into fragments of at most
// `mtu` bytes each, keeping its identification. in_place: rest.size() must be
// Ipv4FragmentCount(...) - 1; on success `first` becomes fragment 0 and rest[i] fragment i + 1.
// Otherwise rest.size() must be the count, rest[i] becomes fragment i and `first` is unchanged.
// Every frame of `rest` must hold its fragment. Returns false (and changes nothing) when the
// packet is not a well-formed IPv4 packet, is a fragment already, has DF set, or the counts or
// capacities do not match.
bool SplitIpv4(io::Frame& first, uint32_t l3_offset, uint32_t mtu, std::span<io::Frame> rest,
               bool in_place = true);

// The same for the IPv6 packet at `l3_offset` of `first` (no extension headers): each fragment
// gets a fragment header with identification `id` (RFC 8200 §4.5). Counts from
// Ipv6FragmentCount. Returns false (changing nothing) when the packet is not IPv6, starts with
// an extension header (hop-by-hop, routing, fragment), or the counts or capacities do not match.
bool SplitIpv6(io::Frame& first, uint32_t l3_offset, uint32_t mtu, uint32_t id,
               std::span<io::Frame> rest, bool in_place = true);

// The frame handle of the pipeline's per-worker large frame (never a pool frame's handle: the
// pool never sees it; every transmit path copies or splits it into pool frames).
inline constexpr uint64_t kLargeFrameHandle = ~uint64_t{0};
// Its size: a reassembled datagram of IpReassembly::kMaxData bytes of data with its headers and
// the room SVR encapsulation adds (metadata, outer headers, trailers).
inline constexpr uint32_t kLargeFrameSize = 16384;

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_OUTER_FRAGMENT_H_
