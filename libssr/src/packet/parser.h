// SPDX-License-Identifier: Apache-2.0
// The per-packet parser: Ethernet / VLAN / IPv4 / IPv6 (+extension headers) / TCP / UDP / ICMP.
//
// Design note: the parser is hand-written because it runs once per packet on the worker's hot
// path: no allocation, no exceptions, no virtual calls, a length check against the span before
// every fixed-size header is read, and a loop bound on the IPv6 extension-header walk. It validates
// structure only (lengths, offsets, versions); it does not verify checksums (NICs often have, and
// the session layer decides whether to care; see checksum.h) and it does not reassemble fragments.
//
// Documented decisions for inputs that RFCs leave to the receiver:
//  * Up to two VLAN tags (0x8100 or 0x88A8, in any order); a third -> kTooManyVlanTags. Any
//    EtherType but IPv4/IPv6 (ARP, LLDP, an 802.3 length) -> kUnsupportedEtherType with
//    ether_type, VLAN tags and l3_offset filled, so the caller can hand the frame to the kernel.
//    An IP version nibble that disagrees with the EtherType -> kBadIpVersion.
//  * Ethernet padding / trailers after the IP packet are ignored: IP lengths govern.
//    A frame shorter than the IP length is an error (k*ExceedsFrame).
//  * IPv4 IHL < 5 -> kBadIpv4HeaderLength; total length < IHL*4 -> kIpv4TotalLengthTooShort.
//    Options are walked (EOL, NOP, TLV with length >= 2 inside the header) -> kBadIpv4Options.
//  * IPv6 payload length 0 is taken literally (jumbograms are not supported), so a zero-length
//    payload with a TCP next header is kTruncatedTcp.
//  * At most kMaxIpv6ExtensionHeaders extension headers are walked (hop-by-hop 0, routing 43,
//    fragment 44, AH 51 (length in 4-byte units), destination options 60, mobility 135, HIP 139,
//    shim6 140); one more -> kIpv6ExtensionChainTooLong. Hop-by-hop anywhere but first ->
//    kIpv6HopByHopNotFirst. ESP (50) and no-next-header (59) end the walk.
//  * Non-first fragments: kOk with has_l4 == false; l4_protocol is the fragment's protocol.
//    First fragments parse their transport header, which must be complete in the fragment (a
//    cut-off header is the RFC 1858 tiny-fragment shape and is rejected as kTruncated*); the UDP
//    length is not checked against the fragment since it describes the reassembled datagram.
//    offset + fragment length > 65535 -> kFragmentOffsetOverflow.
//  * TCP data offset < 5 -> kBadTcpDataOffset; data offset*4 > segment ->
//    kTcpDataOffsetBeyondSegment.
//  * UDP length < 8 -> kBadUdpLength; > IP payload -> kUdpLengthExceedsIpPayload; smaller than
//    the IP payload -> accepted, payload_length follows the UDP length and the surplus bytes are
//    ignored (as Linux does).
//  * ICMP/ICMPv6 need the 8-byte header (kTruncatedIcmp / kTruncatedIcmpv6). ICMP (1) inside IPv6
//    or ICMPv6 (58) inside IPv4 are treated as opaque protocols.
//  * Any other protocol (GRE, SCTP, ESP, ...) is kOk with has_l4 and payload_offset == l4_offset.
#ifndef SSR_PACKET_PARSER_H_
#define SSR_PACKET_PARSER_H_

#include <cstdint>
#include <span>

#include "packet/packet_info.h"
#include "packet/parse_result.h"

namespace ssr::packet {

// Parses a frame starting at the Ethernet header. Always overwrites *out (see PacketInfo for what
// is meaningful on failure). Never reads outside `frame`.
ParseResult ParseFrame(std::span<const uint8_t> frame, PacketInfo* out);

// Parses a packet starting at the IP header (TUN devices, tests); the version nibble selects the
// family. Offsets in *out are relative to `packet`; vlan_count and ether_type are set as if the
// packet had come in an untagged Ethernet frame of that family.
ParseResult ParseIp(std::span<const uint8_t> packet, PacketInfo* out);

}  // namespace ssr::packet

#endif  // SSR_PACKET_PARSER_H_
