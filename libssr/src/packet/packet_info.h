// SPDX-License-Identifier: Apache-2.0
// PacketInfo: what the parser learned about one frame, for the per-packet fast path.
//
// Design note: PacketInfo is a flat, trivially copyable record of offsets and decoded fields; it
// holds no pointer into the frame, so it can sit in a burst array next to the descriptor and be
// recomputed or copied freely. Offsets are relative to the start of the span given to the parser
// (the Ethernet header for ParseFrame, the IP header for ParseIp). Lengths come from the IP header,
// never from the frame size, so Ethernet padding/trailers are excluded: l3_offset + l3_length may
// be smaller than the frame. On a non-kOk result the layers before the failing one are filled
// (e.g. ether_type and VLAN tags for an ARP frame rejected as kUnsupportedEtherType), the failing
// layer may be partly filled, and nothing after it is; only kOk makes the whole record valid.
//
// Layout of an accepted frame:
//   0 .. l3_offset                 Ethernet + 0..2 VLAN tags
//   l3_offset .. l4_offset         IP header (+ IPv4 options / IPv6 extension headers)
//   l4_offset .. payload_offset    transport header (TCP/UDP/ICMP/ICMPv6), if has_l4
//   payload_offset .. +payload_length   transport payload (or fragment data)
#ifndef SSR_PACKET_PACKET_INFO_H_
#define SSR_PACKET_PACKET_INFO_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "packet/protocol.h"
#include "util/ip_address.h"

namespace ssr::packet {

struct VlanTag {
  uint16_t tpid = 0;  // kEtherTypeVlan (802.1Q) or kEtherTypeQinQ (802.1ad)
  uint16_t tci = 0;   // PCP(3) DEI(1) VID(12)
  uint16_t vlan_id() const { return tci & 0x0fff; }
  friend bool operator==(const VlanTag&, const VlanTag&) = default;
};

struct PacketInfo {
  // ---- Layer 2 (ParseFrame only) ----
  // Tags in wire order: vlans[0] is the outer tag. Tag i sits at frame offset 12 + 4 * i.
  VlanTag vlans[kMaxVlanTags] = {};
  uint8_t vlan_count = 0;
  // EtherType after the VLAN tags (kEtherTypeIpv4/kEtherTypeIpv6 when kOk).
  uint16_t ether_type = 0;

  // ---- Layer 3 ----
  uint8_t ip_version = 0;  // 4 or 6
  uint8_t ttl = 0;         // IPv4 TTL / IPv6 hop limit
  uint8_t tos = 0;         // IPv4 TOS / IPv6 traffic class
  uint32_t l3_offset = 0;
  // Whole IP packet: IPv4 total length, or 40 + IPv6 payload length.
  uint32_t l3_length = 0;
  // IPv4: IHL*4 (options included). IPv6: 40 + all walked extension headers.
  uint32_t l3_header_length = 0;
  uint8_t ipv4_options_length = 0;
  uint8_t ipv6_extension_count = 0;
  util::IpAddress src;
  util::IpAddress dst;

  // Fragmentation (IPv4 flags/offset or the IPv6 fragment header). An "atomic" fragment (offset 0
  // and MF clear, e.g. an IPv6 fragment header on a whole packet) is not a fragment.
  bool is_fragment = false;
  bool is_first_fragment = false;  // is_fragment && offset == 0
  bool more_fragments = false;
  bool dont_fragment = false;    // IPv4 DF
  uint32_t fragment_offset = 0;  // in bytes
  uint32_t fragment_id = 0;      // IPv4 identification (16 bits) or IPv6 fragment id
  // IPv6 fragments only, offsets from l3_offset: the fragment header, and the byte that names it
  // (6: the IPv6 header's next header, else the first byte of the extension header before it).
  // Reassembly (pipeline/ip_reassembly.h) removes the fragment header with them.
  uint16_t ipv6_fragment_header = 0;
  uint16_t ipv6_fragment_nh_field = 0;

  // ---- Layer 4 ----
  // Upper-layer protocol after IPv4, or after the IPv6 extension-header walk (the next header
  // that is not an extension header; ESP (50) and no-next-header (59) also stop the walk).
  uint8_t l4_protocol = 0;
  // True when a transport header starts at l4_offset. False for non-first fragments (their data
  // starts at l4_offset == payload_offset) and for next-header 59.
  bool has_l4 = false;
  uint32_t l4_offset = 0;
  // Bytes from l4_offset to the end of the IP packet (transport header + payload).
  uint32_t l4_length = 0;
  uint32_t payload_offset = 0;
  // TCP: segment minus header. UDP: UDP length - 8 (bytes after it are ignored), or what is in
  // this packet for a first fragment. ICMP: message minus the 8-byte header. Other protocols and
  // non-first fragments: everything after the IP headers.
  uint32_t payload_length = 0;

  // TCP and UDP.
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  // TCP.
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  uint16_t tcp_window = 0;
  uint8_t tcp_flags = 0;
  uint8_t tcp_header_length = 0;  // data offset * 4
  // UDP length field as received.
  uint16_t udp_length = 0;
  // ICMP / ICMPv6. identifier and sequence are filled for echo request/reply only.
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  bool icmp_is_echo = false;
  // An error message quoting a packet (parser.h IcmpIsError); see ParseIcmpQuote.
  bool icmp_is_error = false;
  uint16_t icmp_identifier = 0;
  uint16_t icmp_sequence = 0;

  bool is_ipv4() const { return ip_version == 4; }
  bool is_ipv6() const { return ip_version == 6; }
  bool is_tcp() const { return has_l4 && l4_protocol == kIpProtoTcp; }
  bool is_udp() const { return has_l4 && l4_protocol == kIpProtoUdp; }
  bool is_icmp() const {
    return has_l4 && ((ip_version == 4 && l4_protocol == kIpProtoIcmp) ||
                      (ip_version == 6 && l4_protocol == kIpProtoIcmpv6));
  }

  // Sub-spans of the parsed buffer. `buffer` must be the span that was parsed (or one with the
  // same contents at the same offsets, e.g. its mutable original).
  template <typename B>
  std::span<B> L3(std::span<B> buffer) const {
    return buffer.subspan(l3_offset, l3_length);
  }
  template <typename B>
  std::span<B> L3Header(std::span<B> buffer) const {
    return buffer.subspan(l3_offset, l3_header_length);
  }
  template <typename B>
  std::span<B> L4(std::span<B> buffer) const {
    return buffer.subspan(l4_offset, l4_length);
  }
  template <typename B>
  std::span<B> Payload(std::span<B> buffer) const {
    return buffer.subspan(payload_offset, payload_length);
  }
};

static_assert(std::is_trivially_copyable_v<PacketInfo>);

}  // namespace ssr::packet

#endif  // SSR_PACKET_PACKET_INFO_H_
