// SPDX-License-Identifier: Apache-2.0
// Path MTU arithmetic for SVR encapsulation (docs/protocol.md §2.14.2).
//
// Design note. A LAN packet of S bytes (its IP packet as received) leaves toward a peer as an
// outer IP packet of
//     outer headers (IP + L4) + metadata + body + payload-cipher trailer(body) + hop trailer
// where body = S - inner prefix (the inner IP header, and the inner TCP/UDP header when the outer
// packet keeps it in place of its own). The payload-cipher trailer depends on the body length
// (CBC padding), so the largest inner packet that fits a path MTU is found by stepping down from
// the bound that ignores that trailer (at most 48 steps). Nothing here touches a packet: the
// pipeline (ToPeer) fills in an Encapsulation from the packet it is about to send, compares
// OuterLength with the peer's path MTU and, when the packet does not fit, tells the sender
// LargestInner (pmtu.cc, Pipeline::PacketTooBig).
#ifndef SSR_PIPELINE_PMTU_H_
#define SSR_PIPELINE_PMTU_H_

#include <cstdint>

#include "crypto/suites.h"

namespace ssr::pipeline {

struct Encapsulation {
  uint32_t outer_headers = 0;  // outer IP header + outer L4 header
  uint32_t inner_prefix = 0;   // inner bytes not in the body (IP header, kept L4 header)
  uint32_t metadata = 0;       // SVR metadata on this packet (0 on the fast path)
  crypto::CipherSuite payload_cipher = crypto::CipherSuite::kNone;  // end-to-end (TLV 11)
  uint32_t hop_trailer = 0;    // HMAC tag or GCM trailer of the hop
};

// Outer IP packet length for a body of `body` bytes.
inline uint64_t OuterLengthForBody(const Encapsulation& e, uint64_t body) {
  return uint64_t{e.outer_headers} + e.metadata + body +
         crypto::TrailerOverhead(crypto::HmacSuite::kNone, e.payload_cipher, body) + e.hop_trailer;
}

// Outer IP packet length for an inner IP packet of `inner` bytes (inner >= inner_prefix).
inline uint64_t OuterLength(const Encapsulation& e, uint32_t inner) {
  return OuterLengthForBody(e, inner < e.inner_prefix ? 0 : inner - e.inner_prefix);
}

// The largest inner IP packet whose outer packet fits `path_mtu`; 0 when not even an empty body
// fits.
uint32_t LargestInner(const Encapsulation& e, uint32_t path_mtu);

// Minimum link MTU of IPv6 (RFC 8200 §5): a Packet Too Big never advertises less.
inline constexpr uint32_t kIpv6MinMtu = 1280;
// How much of the offending packet an ICMP error quotes: IPv4 errors stay within 576 bytes
// (RFC 1812 §4.3.2.3), ICMPv6 errors within the IPv6 minimum MTU (RFC 4443 §2.4 (c)).
inline constexpr uint32_t kIcmpv4ErrorMax = 576;
inline constexpr uint32_t kIcmpv6ErrorMax = kIpv6MinMtu;

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_PMTU_H_
