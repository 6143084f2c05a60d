// SPDX-License-Identifier: Apache-2.0
// Rebuilding a frame's headers around a kept body: the one edit every pipeline path performs.
//
// Design note. Every packet the pipeline forwards leaves with new L2 and IP headers and, between
// SVR peers, an L4 header that may differ from the one that arrived: ICMP and other protocols
// travel as UDP with waypoint ports (docs/protocol.md §2.11), the outer family may differ from the
// inner one (dual stack, §2.15), and metadata sits right after the L4 header (§3.1). Rather than
// a set of special cases (insert here, shift there, convert the protocol elsewhere), each output
// is described once, as
//     [Ethernet (+802.1Q)] [IP header] [L4 header: kept / fresh UDP / none] [metadata] [body]
// where `body` is a byte range of the received frame that is carried unchanged (the L4 payload,
// the whole original L4 message, or a decrypted payload). ComposeFrame moves the body once
// (memmove; nothing when its offset does not change, the common fast-path case) and writes the
// headers; the caller then seals/signs the L4 payload in place and FinalizeFrame writes the
// lengths and checksums. IPv4 options and IPv6 extension headers of the received packet are not
// carried (the router originates the outer header; the egress rebuilds the inner one).
// The L4 checksum is recomputed over the segment: payload bytes change anyway when a trailer is
// added or a body is decrypted. No allocation; the caller's frame must have `capacity` room.
#ifndef SSR_PIPELINE_ENCAP_H_
#define SSR_PIPELINE_ENCAP_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/header_views.h"
#include "packet/packet_info.h"
#include "session/flow_key.h"

namespace ssr::pipeline {

struct L2Header {
  packet::MacAddress dst{};
  packet::MacAddress src{};
  uint16_t vlan = 0;  // 0: untagged
};

enum class L4Source : uint8_t {
  kKeep,       // the received L4 header (TCP or UDP) with the output ports
  kFreshUdp,   // a new 8-byte UDP header with the output ports (protocol carried as UDP)
  kNone,       // no L4 header: the body is the whole L4 message (ICMP restored, other protocols)
};

struct ComposeSpec {
  L2Header l2;
  // Output addresses, ports and IP protocol. For kNone the ports are ignored.
  session::FlowKey tuple;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t ipv4_id = 0;
  bool dont_fragment = false;
  L4Source l4 = L4Source::kKeep;
  std::span<const uint8_t> metadata;  // written right after the L4 header
  uint32_t body_offset = 0;           // the kept bytes in the received frame
  uint32_t body_length = 0;
  uint32_t reserve = 0;               // tail room the caller needs after the body (trailers)
};

// Where things are in the composed frame.
struct ComposedLayout {
  uint32_t l3_offset = 0;
  uint32_t l3_header_length = 0;
  uint32_t l4_offset = 0;
  uint32_t l4_header_length = 0;
  uint32_t payload_offset = 0;  // first byte after the L4 header (metadata starts here)
  uint32_t body_offset = 0;     // payload_offset + metadata size
  uint8_t ip_version = 4;
  uint8_t protocol = 0;
  util::IpAddress src;  // for the pseudo-header
  util::IpAddress dst;
};

enum class ComposeResult : uint8_t { kOk, kNoRoom, kBadSpec };

// `old` is the parse of frame[0, old_length). On kOk the frame holds the headers, metadata and
// body; lengths and checksums are written by FinalizeFrame.
ComposeResult ComposeFrame(std::span<uint8_t> frame, const packet::PacketInfo& old,
                           const ComposeSpec& spec, ComposedLayout* out);

// Writes IP length fields, the UDP length, the TCP/UDP checksum (over l4_payload_length bytes
// after the L4 header) and the IPv4 header checksum. Returns the frame length.
uint32_t FinalizeFrame(std::span<uint8_t> frame, const ComposedLayout& layout,
                       uint32_t l4_payload_length);

// Size of the Ethernet (+tag) and IP headers ComposeFrame writes.
inline uint32_t L2Length(const L2Header& l2) { return l2.vlan != 0 ? 18u : 14u; }
inline uint32_t IpHeaderLength(const util::IpAddress& a) { return a.is_v4() ? 20u : 40u; }

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_ENCAP_H_
