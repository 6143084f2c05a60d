// SPDX-License-Identifier: Apache-2.0
// Big-endian loads and stores at arbitrary byte addresses.
//
// Packet fields are neither aligned nor in host order, so every access goes through these helpers:
// they assemble values byte by byte (which GCC turns into a single unaligned load + bswap/movbe),
// so there is no type punning through packed structs and no unaligned-access UB.
#ifndef SSR_PACKET_BYTE_ORDER_H_
#define SSR_PACKET_BYTE_ORDER_H_

#include <cstdint>

namespace ssr::packet {

constexpr uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | uint16_t{p[1]});
}

constexpr uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

constexpr uint64_t LoadBe64(const uint8_t* p) {
  return (uint64_t{LoadBe32(p)} << 32) | uint64_t{LoadBe32(p + 4)};
}

constexpr void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

constexpr void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

constexpr void StoreBe64(uint8_t* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace ssr::packet

#endif  // SSR_PACKET_BYTE_ORDER_H_
