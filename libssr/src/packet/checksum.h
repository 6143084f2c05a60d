// SPDX-License-Identifier: Apache-2.0
// Internet checksums (RFC 1071): full computation, pseudo-headers, verification, and RFC 1624
// incremental updates for in-place rewrites.
//
// Design note: every value here is a 16-bit quantity in host order whose big-endian encoding is
// what goes on the wire (write it with StoreBe16 or a view's set_checksum()). Two kinds of values:
//   * a *sum*: the one's-complement sum of big-endian 16-bit words, folded to 16 bits, not
//     complemented. Sums compose: OnesComplementSum(b, OnesComplementSum(a)) is the sum over a
//     then b, provided `a` has even length (an odd span is padded with a zero byte).
//   * a *checksum*: ~sum, the header field value.
// The bulk sum is hand-written rather than taken from a library because it runs over every
// payload byte on the hot path (HMAC'd SVR packets are re-checksummed after rewrite): it adds
// 8 bytes at a time as two 32-bit halves into a 64-bit accumulator (no carry handling inside the
// loop: 2^32 additions of 32-bit values cannot overflow 64 bits), in host byte order, and swaps
// once at the end (RFC 1071 2(B): the sum is byte-order independent).
// Incremental updates use RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), which avoids eqn. 2's
// negative-zero problem: the result is the value a full recomputation gives. UDP's "0 means no
// checksum" rule is handled by the Udp* helpers.
#ifndef SSR_PACKET_CHECKSUM_H_
#define SSR_PACKET_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "util/ip_address.h"

namespace ssr::packet {

// Folds a wide one's-complement accumulator to 16 bits (end-around carry).
constexpr uint16_t ChecksumFold(uint64_t sum) {
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// ~fold(sum): turns a sum into the checksum field value.
constexpr uint16_t ChecksumFinish(uint64_t sum) {
  return static_cast<uint16_t>(~ChecksumFold(sum));
}

// One's-complement sum of `data` (as big-endian 16-bit words; an odd tail byte is padded with
// zero) added to `initial` (a previous sum). Returns the folded, uncomplemented sum.
uint16_t OnesComplementSum(std::span<const uint8_t> data, uint32_t initial = 0);

// RFC 1071 checksum of `data`: ~OnesComplementSum(data). Over a region that contains its own
// checksum field, the result is 0 when the checksum is correct.
inline uint16_t InternetChecksum(std::span<const uint8_t> data) {
  return ChecksumFinish(OnesComplementSum(data));
}

// Sum of the TCP/UDP/ICMPv6 pseudo-header: addresses, protocol and the upper-layer length
// (RFC 793 / RFC 768 for IPv4, RFC 8200 8.1 for IPv6). src and dst must be the same family.
uint16_t PseudoHeaderSum(const util::IpAddress& src, const util::IpAddress& dst, uint8_t protocol,
                         uint32_t l4_length);

// Checksum for the IPv4 header `header` (IHL*4 bytes) with its checksum field treated as zero,
// so it can be called on a header whose field holds a stale value.
uint16_t Ipv4HeaderChecksum(std::span<const uint8_t> header);
bool VerifyIpv4HeaderChecksum(std::span<const uint8_t> header);

// Checksum of a TCP / UDP / ICMPv6 segment (header + payload) including the pseudo-header. The
// checksum field inside `segment` must be zero. For UDP use UdpChecksum (0 -> 0xFFFF).
uint16_t TransportChecksum(const util::IpAddress& src, const util::IpAddress& dst, uint8_t protocol,
                           std::span<const uint8_t> segment);
// UDP checksum: as TransportChecksum, but a computed 0 is sent as 0xFFFF (RFC 768), since 0
// means "no checksum" for IPv4.
uint16_t UdpChecksum(const util::IpAddress& src, const util::IpAddress& dst,
                     std::span<const uint8_t> segment);
// ICMPv4 checksum: no pseudo-header. The checksum field inside `message` must be zero.
inline uint16_t IcmpChecksum(std::span<const uint8_t> message) { return InternetChecksum(message); }

// True when the checksum stored in `segment` is correct. For UDP over IPv4 a zero checksum field
// means "not computed" and verifies; over IPv6 it is invalid (RFC 8200 8.1).
bool VerifyTransportChecksum(const util::IpAddress& src, const util::IpAddress& dst,
                             uint8_t protocol, std::span<const uint8_t> segment);
inline bool VerifyIcmpChecksum(std::span<const uint8_t> message) {
  return InternetChecksum(message) == 0;
}

// RFC 1624 eqn. 3: the checksum after one 16-bit word covered by it changes from old_word to
// new_word.
constexpr uint16_t ChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word) {
  return ChecksumFinish(uint64_t{static_cast<uint16_t>(~old_checksum)} +
                        uint64_t{static_cast<uint16_t>(~old_word)} + uint64_t{new_word});
}

// Same for an aligned 32-bit value (e.g. an IPv4 address or a TCP sequence number).
constexpr uint16_t ChecksumUpdate32(uint16_t old_checksum, uint32_t old_value, uint32_t new_value) {
  return ChecksumFinish(uint64_t{static_cast<uint16_t>(~old_checksum)} +
                        uint64_t{static_cast<uint16_t>(~(old_value >> 16))} +
                        uint64_t{static_cast<uint16_t>(~old_value)} + uint64_t{new_value >> 16} +
                        uint64_t{new_value & 0xffffu});
}

// Same for a byte range replaced in place. old_bytes and new_bytes have the same length (odd is
// fine) and the range starts at an even offset from the start of the checksummed data, which
// holds for every address and port field in IPv4/IPv6/TCP/UDP headers.
uint16_t ChecksumUpdateBytes(uint16_t old_checksum, std::span<const uint8_t> old_bytes,
                             std::span<const uint8_t> new_bytes);

// Address rewrite (NAT, waypoint): one call per checksum the address is covered by (the IPv4
// header checksum, and the TCP/UDP/ICMPv6 pseudo-header). Addresses must be the same family.
uint16_t ChecksumUpdateAddress(uint16_t old_checksum, const util::IpAddress& old_address,
                               const util::IpAddress& new_address);

// UDP flavours: a zero checksum over IPv4 means "none" and stays zero (there is nothing to
// update); a result of 0 is sent as 0xFFFF.
uint16_t UdpChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word);
uint16_t UdpChecksumUpdateBytes(uint16_t old_checksum, std::span<const uint8_t> old_bytes,
                                std::span<const uint8_t> new_bytes);
uint16_t UdpChecksumUpdateAddress(uint16_t old_checksum, const util::IpAddress& old_address,
                                  const util::IpAddress& new_address);

}  // namespace ssr::packet

#endif  // SSR_PACKET_CHECKSUM_H_
