// SPDX-License-Identifier: Apache-2.0
// Packet builders: write a complete, valid frame (or IP packet) described by a PacketSpec.
//
// Design note: tests across the project and the packet generator need well-formed packets with
// correct lengths and checksums, and occasionally a deliberately odd one (IPv4 options, IPv6
// extension chains, fragments, VLAN stacks). One plain struct describes the packet; the builder
// writes it into a caller's buffer through a bounded ByteWriter and backpatches lengths and
// checksums. No allocation: variable parts (payload, options, extension headers) are spans owned
// by the caller and must outlive the call. A spec that cannot be encoded (families differ, more
// than two VLAN tags, options too long, lengths over 65535, fragment offset not a multiple of 8)
// or a buffer that is too small yields 0 bytes written and leaves the buffer contents unspecified.
//
// Transport checksums cover the bytes this packet carries. For a first fragment that is only part
// of the datagram, so its checksum is not the one the reassembled datagram needs; fragment tests
// are about the IP layer. Non-first fragments carry no transport header: `payload` is written as
// the fragment data.
#ifndef SSR_PACKET_BUILDER_H_
#define SSR_PACKET_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/byte_writer.h"
#include "packet/header_views.h"
#include "packet/packet_info.h"
#include "packet/protocol.h"
#include "util/ip_address.h"

namespace ssr::packet {

// One IPv6 extension header for PacketSpec::ipv6_extensions.
struct Ipv6ExtensionSpec {
  // hop-by-hop (0), routing (43), destination options (60), AH (51), fragment (44) or any value a
  // test wants to see in a next-header field.
  uint8_t type = kIpProtoDstOpts;
  // The bytes after the next-header and length bytes. Zero-padded to the header's unit (8 bytes;
  // zeros are Pad1 options). Ignored for the fragment header, which is filled from the
  // PacketSpec fragment fields.
  std::span<const uint8_t> body;
};

// Value of PacketSpec::icmp_type meaning "echo request of the packet's family" (8 or 128).
inline constexpr int kIcmpEchoRequestOfFamily = -1;

struct PacketSpec {
  // ---- Ethernet ----
  MacAddress dst_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  MacAddress src_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  // Tags in wire order (vlans[0] outermost); tpid 0 means kEtherTypeVlan.
  VlanTag vlans[kMaxVlanTags] = {};
  uint8_t vlan_count = 0;
  // Zero bytes appended after the IP packet until the frame is this long (60 = Ethernet minimum
  // without FCS). They are not counted in IP lengths, which is how real padding looks.
  size_t min_frame_length = 0;

  // ---- IP (the family of src selects IPv4 or IPv6; dst must match) ----
  util::IpAddress src = util::IpAddress::V4(0x0a000001);  // 10.0.0.1
  util::IpAddress dst = util::IpAddress::V4(0x0a000002);  // 10.0.0.2
  // IPv4 protocol / last IPv6 next header. TCP, UDP, ICMP (v4) and ICMPv6 (v6) get a transport
  // header; anything else gets `payload` directly after the IP headers.
  uint8_t protocol = kIpProtoUdp;
  uint8_t ttl = 64;         // IPv6 hop limit
  uint8_t tos = 0;          // IPv6 traffic class
  uint32_t flow_label = 0;  // IPv6 only
  uint16_t ipv4_id = 0;
  bool dont_fragment = false;
  // Raw option bytes, zero-padded (EOL) to a multiple of 4; at most 40.
  std::span<const uint8_t> ipv4_options;
  // Written in order between the IPv6 header and the transport header.
  std::span<const Ipv6ExtensionSpec> ipv6_extensions;

  // ---- Fragmentation ----
  // When set, IPv4 flags/offset (or an IPv6 fragment header: the one in ipv6_extensions if there
  // is one, else appended after them) carry these values.
  bool fragment = false;
  uint32_t fragment_offset = 0;  // bytes, a multiple of 8
  bool more_fragments = false;
  uint32_t fragment_id = 0;  // IPv4 uses the low 16 bits (ipv4_id is ignored then)

  // ---- Transport ----
  uint16_t src_port = 1024;
  uint16_t dst_port = 80;
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  uint8_t tcp_flags = kTcpAck;
  uint16_t tcp_window = 65535;
  // Raw option bytes, zero-padded (EOL) to a multiple of 4; at most 40.
  std::span<const uint8_t> tcp_options;
  int icmp_type = kIcmpEchoRequestOfFamily;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;
  uint16_t icmp_seq = 0;

  std::span<const uint8_t> payload;
};

// Size of the IP packet / whole frame the spec describes, or 0 if the spec cannot be encoded.
size_t IpPacketLength(const PacketSpec& spec);
size_t FrameLength(const PacketSpec& spec);

// Writes the frame (Ethernet first) / the IP packet at the start of `out`. Returns the number of
// bytes written, or 0 when the spec is invalid or `out` is too small.
size_t BuildFrame(const PacketSpec& spec, std::span<uint8_t> out);
size_t BuildIp(const PacketSpec& spec, std::span<uint8_t> out);

// Same, appending at the writer's position (e.g. after a header the caller wrote). On failure
// returns false and the writer's position is unchanged (bytes past it may have been written).
bool WriteFrame(const PacketSpec& spec, ByteWriter* writer);
bool WriteIp(const PacketSpec& spec, ByteWriter* writer);

}  // namespace ssr::packet

#endif  // SSR_PACKET_BUILDER_H_
