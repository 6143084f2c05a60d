// SPDX-License-Identifier: Apache-2.0
#include "packet/checksum.h"

#include <bit>
#include <cstring>

#include "packet/protocol.h"

namespace ssr::packet {
namespace {

inline uint64_t AddHalves(uint64_t v) { return (v & 0xffffffffu) + (v >> 32); }

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Host-order one's-complement accumulation of `data` into a 64-bit accumulator (see the design
// note in checksum.h). Each chunk is consumed at an even offset, so the words line up.
uint64_t AccumulateHostOrder(const uint8_t* p, size_t n) {
  uint64_t acc0 = 0;
  uint64_t acc1 = 0;
  // Two independent accumulators let the adds of consecutive words overlap in the pipeline.
  while (n >= 32) {
    acc0 += AddHalves(Load64(p));
    acc1 += AddHalves(Load64(p + 8));
    acc0 += AddHalves(Load64(p + 16));
    acc1 += AddHalves(Load64(p + 24));
    p += 32;
    n -= 32;
  }
  uint64_t acc = acc0 + acc1;  // each < 2^62 for any realistic buffer, so no overflow
  while (n >= 8) {
    acc += AddHalves(Load64(p));
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // The odd byte is the high byte of a zero-padded big-endian word; loading {b, 0} in host
    // order gives that word in the same host representation as the others.
    const uint8_t tail[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, tail, 2);
    acc += w;
  }
  return acc;
}

uint16_t HostToNetworkSum(uint16_t host_sum) {
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<uint16_t>((host_sum >> 8) | (host_sum << 8));
  } else {
    return host_sum;
  }
}

inline uint16_t Complement(uint16_t v) { return static_cast<uint16_t>(~v); }

inline uint16_t UdpZeroToAllOnes(uint16_t c) { return c == 0 ? 0xffff : c; }

}  // namespace

uint16_t OnesComplementSum(std::span<const uint8_t> data, uint32_t initial) {
  const uint16_t host =
      data.empty() ? 0 : ChecksumFold(AccumulateHostOrder(data.data(), data.size()));
  return ChecksumFold(uint64_t{HostToNetworkSum(host)} + initial);
}

uint16_t PseudoHeaderSum(const util::IpAddress& src, const util::IpAddress& dst, uint8_t protocol,
                         uint32_t l4_length) {
  uint64_t sum = OnesComplementSum(src.bytes());
  sum += OnesComplementSum(dst.bytes());
  sum += protocol;
  sum += l4_length >> 16;
  sum += l4_length & 0xffffu;
  return ChecksumFold(sum);
}

uint16_t Ipv4HeaderChecksum(std::span<const uint8_t> header) {
  constexpr size_t kChecksumOffset = 10;
  if (header.size() < kChecksumOffset + 2) return InternetChecksum(header);
  uint64_t sum = OnesComplementSum(header.first(kChecksumOffset));
  sum += OnesComplementSum(header.subspan(kChecksumOffset + 2));
  return ChecksumFinish(sum);
}

bool VerifyIpv4HeaderChecksum(std::span<const uint8_t> header) {
  return InternetChecksum(header) == 0;
}

uint16_t TransportChecksum(const util::IpAddress& src, const util::IpAddress& dst, uint8_t protocol,
                           std::span<const uint8_t> segment) {
  const uint32_t length = static_cast<uint32_t>(segment.size());
  return ChecksumFinish(uint64_t{PseudoHeaderSum(src, dst, protocol, length)} +
                        OnesComplementSum(segment));
}

uint16_t UdpChecksum(const util::IpAddress& src, const util::IpAddress& dst,
                     std::span<const uint8_t> segment) {
  return UdpZeroToAllOnes(TransportChecksum(src, dst, kIpProtoUdp, segment));
}

bool VerifyTransportChecksum(const util::IpAddress& src, const util::IpAddress& dst,
                             uint8_t protocol, std::span<const uint8_t> segment) {
  if (protocol == kIpProtoUdp && segment.size() >= 8 && segment[6] == 0 && segment[7] == 0) {
    return src.is_v4();
  }
  const uint32_t length = static_cast<uint32_t>(segment.size());
  return ChecksumFold(uint64_t{PseudoHeaderSum(src, dst, protocol, length)} +
                      OnesComplementSum(segment)) == 0xffff;
}

uint16_t ChecksumUpdateBytes(uint16_t old_checksum, std::span<const uint8_t> old_bytes,
                             std::span<const uint8_t> new_bytes) {
  // ~m over several words is ~(sum of the words) in one's-complement arithmetic.
  return ChecksumFinish(uint64_t{Complement(old_checksum)} +
                        Complement(OnesComplementSum(old_bytes)) + OnesComplementSum(new_bytes));
}

uint16_t ChecksumUpdateAddress(uint16_t old_checksum, const util::IpAddress& old_address,
                               const util::IpAddress& new_address) {
  return ChecksumUpdateBytes(old_checksum, old_address.bytes(), new_address.bytes());
}

uint16_t UdpChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word) {
  if (old_checksum == 0) return 0;
  return UdpZeroToAllOnes(ChecksumUpdate16(old_checksum, old_word, new_word));
}

uint16_t UdpChecksumUpdateBytes(uint16_t old_checksum, std::span<const uint8_t> old_bytes,
                                std::span<const uint8_t> new_bytes) {
  if (old_checksum == 0) return 0;
  return UdpZeroToAllOnes(ChecksumUpdateBytes(old_checksum, old_bytes, new_bytes));
}

uint16_t UdpChecksumUpdateAddress(uint16_t old_checksum, const util::IpAddress& old_address,
                                  const util::IpAddress& new_address) {
  return UdpChecksumUpdateBytes(old_checksum, old_address.bytes(), new_address.bytes());
}

}  // namespace ssr::packet
