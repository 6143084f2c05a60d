// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the packet tests: build a frame into a vector, and parse from an exactly-sized
// heap copy so AddressSanitizer reports any read past the end.
#ifndef SSR_TEST_PACKET_PACKET_TEST_UTIL_H_
#define SSR_TEST_PACKET_PACKET_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

#include "packet/builder.h"
#include "packet/parser.h"
#include "util/ip_address.h"

namespace ssr::packet::testing {

inline util::IpAddress Ip(const char* text) {
  auto a = util::IpAddress::Parse(text);
  if (!a) throw std::invalid_argument(text);
  return *a;
}

inline std::vector<uint8_t> BuildFrameVector(const PacketSpec& spec) {
  std::vector<uint8_t> frame(FrameLength(spec));
  if (frame.empty() || BuildFrame(spec, frame) != frame.size()) {
    throw std::invalid_argument("PacketSpec does not build");
  }
  return frame;
}

inline std::vector<uint8_t> BuildIpVector(const PacketSpec& spec) {
  std::vector<uint8_t> packet(IpPacketLength(spec));
  if (packet.empty() || BuildIp(spec, packet) != packet.size()) {
    throw std::invalid_argument("PacketSpec does not build");
  }
  return packet;
}

// Parses the first `n` bytes of `bytes` from a heap buffer of exactly `n` bytes.
inline ParseResult ParsePrefix(std::span<const uint8_t> bytes, size_t n, PacketInfo* info,
                               bool from_ip = false) {
  std::unique_ptr<uint8_t[]> exact(new uint8_t[n == 0 ? 1 : n]);
  std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), exact.get());
  std::span<const uint8_t> view(exact.get(), n);
  return from_ip ? ParseIp(view, info) : ParseFrame(view, info);
}

inline ParseResult ParseExact(std::span<const uint8_t> bytes, PacketInfo* info) {
  return ParsePrefix(bytes, bytes.size(), info);
}

}  // namespace ssr::packet::testing

#endif  // SSR_TEST_PACKET_PACKET_TEST_UTIL_H_
