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
//  * ICMP error messages (IcmpIsError: v4 types 3, 11, 12; v6 types 1, 2, 3, 4) set
//    icmp_is_error; their quoted packet is not looked at by ParseFrame / ParseIp but on demand by
//    ParseIcmpQuote (below), which only the ICMP-error path of the pipeline pays for.
#ifndef SSR_PACKET_PARSER_H_
#define SSR_PACKET_PARSER_H_

#include <cstdint>
#include <span>
#include <string_view>

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

// ICMP error types (RFC 792 / RFC 4443) besides those in protocol.h.
inline constexpr uint8_t kIcmpParameterProblem = 12;
inline constexpr uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr uint8_t kIcmpv6ParameterProblem = 4;

// Whether an ICMP (ip_version 4) or ICMPv6 (ip_version 6) type is an error message that quotes
// the packet it is about: destination unreachable, time exceeded, parameter problem, and for
// ICMPv6 also packet too big. Source quench (4, deprecated by RFC 6633) and redirect (5) are not:
// they open nothing and are treated like any other informational type.
constexpr bool IcmpIsError(uint8_t ip_version, uint8_t icmp_type) {
  if (ip_version == 4) {
    return icmp_type == kIcmpDestUnreachable || icmp_type == kIcmpTimeExceeded ||
           icmp_type == kIcmpParameterProblem;
  }
  return icmp_type == kIcmpv6DestUnreachable || icmp_type == kIcmpv6PacketTooBig ||
         icmp_type == kIcmpv6TimeExceeded || icmp_type == kIcmpv6ParameterProblem;
}

// Why a quote could not be used. kOk: every field of IcmpQuote is valid.
enum class IcmpQuoteResult : uint8_t {
  kOk,
  kNotIcmpError,       // the parse is not an ICMP/ICMPv6 error message (has_l4, icmp_is_error)
  kTruncated,          // fewer bytes than the quoted IP header(s) + 8 bytes of transport header
  kBadVersion,         // the quoted packet's IP version differs from the error's own
  kBadHeaderLength,    // quoted IPv4 IHL < 5, total length < IHL*4, or malformed options
  kExtensionChain,     // quoted IPv6 extension headers malformed or more than the walk allows
  kNonFirstFragment,   // quoted non-first fragment: no transport header to match on
};
std::string_view IcmpQuoteResultName(IcmpQuoteResult r);

// The packet an ICMP error quotes (RFC 792: the IP header and at least 8 bytes of its payload;
// RFC 4443: as much as fits), as far as a session lookup needs it. Offsets are relative to the
// parsed buffer, like PacketInfo's.
struct IcmpQuote {
  uint8_t ip_version = 0;
  util::IpAddress src;
  util::IpAddress dst;
  uint8_t l4_protocol = 0;  // after the quoted IPv6 extension headers
  // TCP/UDP ports; for a quoted ICMP/ICMPv6 echo request/reply, src_port is its identifier and
  // dst_port 0 (the session key convention, session/flow_key.h); 0/0 for other protocols.
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  bool has_tcp_seq = false;  // a quoted TCP header: its sequence number is in tcp_seq
  uint32_t tcp_seq = 0;
  bool is_first_fragment = false;  // the quoted packet was a first fragment (MF set, offset 0)
  uint32_t l3_offset = 0;  // where the quoted IP header starts
  uint32_t l4_offset = 0;  // where the quoted transport header starts (8 bytes are available)
};

// Parses the packet quoted by the ICMP error `info` describes (info is the kOk parse of
// `buffer`). Bounds: nothing outside the error's own IP packet (info.l3_offset + l3_length) is
// read; the quoted packet's length fields describe the original packet and may exceed the quote.
// Quoted IPv4 options are checked like the parser's; quoted IPv6 extension headers are walked
// with the parser's rules and bound. No allocation; *out is overwritten.
IcmpQuoteResult ParseIcmpQuote(std::span<const uint8_t> buffer, const PacketInfo& info,
                               IcmpQuote* out);

}  // namespace ssr::packet

#endif  // SSR_PACKET_PARSER_H_
