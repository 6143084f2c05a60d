// SPDX-License-Identifier: Apache-2.0
// Wire constants of the protocols the packet layer understands. Values come from the system UAPI
// headers where they exist, so there is one source of truth for the numbers.
#ifndef SSR_PACKET_PROTOCOL_H_
#define SSR_PACKET_PROTOCOL_H_

#include <linux/if_ether.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>

namespace ssr::packet {

// EtherTypes.
inline constexpr uint16_t kEtherTypeIpv4 = ETH_P_IP;
inline constexpr uint16_t kEtherTypeIpv6 = ETH_P_IPV6;
inline constexpr uint16_t kEtherTypeArp = ETH_P_ARP;
inline constexpr uint16_t kEtherTypeVlan = ETH_P_8021Q;   // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = ETH_P_8021AD;  // 802.1ad S-tag

// IP protocol / IPv6 next-header numbers.
inline constexpr uint8_t kIpProtoHopByHop = IPPROTO_HOPOPTS;
inline constexpr uint8_t kIpProtoIcmp = IPPROTO_ICMP;
inline constexpr uint8_t kIpProtoTcp = IPPROTO_TCP;
inline constexpr uint8_t kIpProtoUdp = IPPROTO_UDP;
inline constexpr uint8_t kIpProtoRouting = IPPROTO_ROUTING;
inline constexpr uint8_t kIpProtoFragment = IPPROTO_FRAGMENT;
inline constexpr uint8_t kIpProtoEsp = IPPROTO_ESP;
inline constexpr uint8_t kIpProtoAh = IPPROTO_AH;
inline constexpr uint8_t kIpProtoIcmpv6 = IPPROTO_ICMPV6;
inline constexpr uint8_t kIpProtoNoNextHeader = IPPROTO_NONE;
inline constexpr uint8_t kIpProtoDstOpts = IPPROTO_DSTOPTS;
inline constexpr uint8_t kIpProtoMobility = IPPROTO_MH;
inline constexpr uint8_t kIpProtoHip = 139;    // RFC 7401
inline constexpr uint8_t kIpProtoShim6 = 140;  // RFC 5533

// Header sizes.
inline constexpr size_t kMacLength = ETH_ALEN;
inline constexpr size_t kEthernetHeaderLength = ETH_HLEN;  // 14
inline constexpr size_t kVlanTagLength = 4;
inline constexpr size_t kMaxVlanTags = 2;
inline constexpr size_t kIpv4MinHeaderLength = 20;
inline constexpr size_t kIpv4MaxHeaderLength = 60;
inline constexpr size_t kIpv4MaxOptionsLength = kIpv4MaxHeaderLength - kIpv4MinHeaderLength;
inline constexpr size_t kIpv6HeaderLength = 40;
inline constexpr size_t kIpv6FragmentHeaderLength = 8;
inline constexpr size_t kTcpMinHeaderLength = 20;
inline constexpr size_t kTcpMaxHeaderLength = 60;
inline constexpr size_t kUdpHeaderLength = 8;
inline constexpr size_t kIcmpHeaderLength = 8;  // type, code, checksum, 4 bytes rest-of-header
inline constexpr size_t kMaxIpPacketLength = 65535;

// The IPv6 parser walks at most this many extension headers. Real traffic carries 0-3; a longer
// chain is either an attack on the parser's time budget or something the gate must not forward.
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

// IPv4 flags/fragment-offset field.
inline constexpr uint16_t kIpv4FlagReserved = 0x8000;
inline constexpr uint16_t kIpv4FlagDontFragment = 0x4000;
inline constexpr uint16_t kIpv4FlagMoreFragments = 0x2000;
inline constexpr uint16_t kIpv4FragmentOffsetMask = 0x1fff;  // in 8-byte units

// IPv4 options that carry no length byte.
inline constexpr uint8_t kIpv4OptionEnd = 0;
inline constexpr uint8_t kIpv4OptionNop = 1;

// TCP flags (byte 13 of the header).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

// ICMP types the parser decodes identifier/sequence for.
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpv6DestUnreachable = 1;
inline constexpr uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6EchoReply = 129;

}  // namespace ssr::packet

#endif  // SSR_PACKET_PROTOCOL_H_
