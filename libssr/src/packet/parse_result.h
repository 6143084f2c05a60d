// SPDX-License-Identifier: Apache-2.0
// ParseResult: why the packet parser accepted or rejected a frame.
//
// Design note: one X-macro list is the single source of truth for the enum, the snake_case name
// (stable: it becomes a counter / metric name, so never rename an entry, only add) and the help
// text. It is declared through util's SSR_DEFINE_COUNTER_ENUM, so a worker can count parse drops
// with util::CounterArray<ParseResult> and export them by name without a hand-kept table.
// Each reason names the first layer and check that failed; the parser stops at the first failure.
#ifndef SSR_PACKET_PARSE_RESULT_H_
#define SSR_PACKET_PARSE_RESULT_H_

#include <string_view>

#include "util/counters.h"

namespace ssr::packet {

// clang-format off
#define SSR_PACKET_PARSE_RESULTS(X)                                                               \
  X(kOk, "ok", "parsed")                                                                          \
  /* Layer 2 */                                                                                   \
  X(kTruncatedEthernet, "truncated_ethernet", "frame shorter than the 14-byte Ethernet header")  \
  X(kTruncatedVlan, "truncated_vlan", "frame ends inside an 802.1Q/802.1ad tag")                 \
  X(kTooManyVlanTags, "too_many_vlan_tags", "more than two VLAN tags")                            \
  X(kUnsupportedEtherType, "unsupported_ether_type", "EtherType is not IPv4 or IPv6 (e.g. ARP)") \
  /* Layer 3, either family */                                                                    \
  X(kEmptyIpPacket, "empty_ip_packet", "no bytes where the IP header should start")               \
  X(kBadIpVersion, "bad_ip_version", "IP version nibble not 4/6 or not matching the EtherType")  \
  X(kFragmentOffsetOverflow, "fragment_offset_overflow",                                          \
    "fragment offset + length exceeds 65535 bytes (ping-of-death shape)")                         \
  /* IPv4 */                                                                                      \
  X(kTruncatedIpv4, "truncated_ipv4", "fewer than 20 bytes for the IPv4 header")                 \
  X(kBadIpv4HeaderLength, "bad_ipv4_header_length", "IPv4 IHL below 5")                           \
  X(kTruncatedIpv4Options, "truncated_ipv4_options", "IPv4 IHL*4 runs past the frame")            \
  X(kBadIpv4Options, "bad_ipv4_options", "malformed IPv4 option (length < 2 or past IHL)")        \
  X(kIpv4TotalLengthTooShort, "ipv4_total_length_too_short", "IPv4 total length below IHL*4")    \
  X(kIpv4TotalLengthExceedsFrame, "ipv4_total_length_exceeds_frame",                              \
    "IPv4 total length larger than the bytes received")                                           \
  /* IPv6 */                                                                                      \
  X(kTruncatedIpv6, "truncated_ipv6", "fewer than 40 bytes for the IPv6 header")                 \
  X(kIpv6PayloadLengthExceedsFrame, "ipv6_payload_length_exceeds_frame",                          \
    "IPv6 payload length larger than the bytes received")                                         \
  X(kTruncatedIpv6ExtensionHeader, "truncated_ipv6_extension_header",                             \
    "an IPv6 extension header runs past the IPv6 payload")                                        \
  X(kIpv6ExtensionChainTooLong, "ipv6_extension_chain_too_long",                                  \
    "more IPv6 extension headers than the parser walks (kMaxIpv6ExtensionHeaders)")               \
  X(kIpv6HopByHopNotFirst, "ipv6_hop_by_hop_not_first",                                           \
    "hop-by-hop options header not directly after the IPv6 header (RFC 8200 4.1)")               \
  /* Layer 4 */                                                                                   \
  X(kTruncatedTcp, "truncated_tcp", "fewer than 20 bytes for the TCP header")                    \
  X(kBadTcpDataOffset, "bad_tcp_data_offset", "TCP data offset below 5")                          \
  X(kTcpDataOffsetBeyondSegment, "tcp_data_offset_beyond_segment",                                \
    "TCP data offset*4 larger than the segment")                                                  \
  X(kTruncatedUdp, "truncated_udp", "fewer than 8 bytes for the UDP header")                     \
  X(kBadUdpLength, "bad_udp_length", "UDP length field below 8")                                  \
  X(kUdpLengthExceedsIpPayload, "udp_length_exceeds_ip_payload",                                  \
    "UDP length field larger than the IP payload")                                                \
  X(kTruncatedIcmp, "truncated_icmp", "fewer than 8 bytes for the ICMP header")                  \
  X(kTruncatedIcmpv6, "truncated_icmpv6", "fewer than 8 bytes for the ICMPv6 header")
// clang-format on

SSR_DEFINE_COUNTER_ENUM(ParseResult, SSR_PACKET_PARSE_RESULTS)

// Stable snake_case name of `r` (usable as a counter name); "invalid" for out-of-range values.
constexpr std::string_view ParseResultName(ParseResult r) { return CounterName(r); }
// One-line human description of `r`.
constexpr std::string_view ParseResultHelp(ParseResult r) { return CounterHelp(r); }

}  // namespace ssr::packet

#endif  // SSR_PACKET_PARSE_RESULT_H_
