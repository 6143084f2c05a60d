// SPDX-License-Identifier: Apache-2.0
// IP addresses and prefixes shared by config, policy, packet and session code.
//
// An IpAddress is a family tag plus 16 bytes in network order (IPv4 uses the first 4 bytes, the
// rest are zero) so that v4 and v6 share one trivially copyable, hashable type. Parsing is strict:
// no leading/trailing spaces, no IPv4 shorthand ("10.1"), no zone ids; IPv4-mapped IPv6 addresses
// stay IPv6. Prefixes must have no host bits set ("10.0.0.1/24" is rejected, not truncated), so a
// config typo is reported instead of silently widened.
#ifndef SSR_UTIL_IP_ADDRESS_H_
#define SSR_UTIL_IP_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ssr::util {

enum class IpFamily : uint8_t { kIpv4 = 4, kIpv6 = 6 };

class IpAddress {
 public:
  // The IPv4 address 0.0.0.0.
  constexpr IpAddress() = default;

  static IpAddress V4(uint32_t host_order);
  // Inline: the packet parser builds addresses per packet.
  static IpAddress V4Bytes(std::span<const uint8_t, 4> bytes) {
    IpAddress a;
    a.family_ = IpFamily::kIpv4;
    std::memcpy(a.bytes_.data(), bytes.data(), 4);
    return a;
  }
  static IpAddress V6Bytes(std::span<const uint8_t, 16> bytes) {
    IpAddress a;
    a.family_ = IpFamily::kIpv6;
    std::memcpy(a.bytes_.data(), bytes.data(), 16);
    return a;
  }
  // Strict textual parse of either family; nullopt when `text` is not a valid address.
  static std::optional<IpAddress> Parse(std::string_view text);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kIpv4; }
  bool is_v6() const { return family_ == IpFamily::kIpv6; }
  // Address width in bits: 32 or 128.
  int bit_width() const { return is_v4() ? 32 : 128; }
  // Only valid for IPv4.
  uint32_t v4_host_order() const;
  // 4 bytes for IPv4, 16 for IPv6, network order.
  std::span<const uint8_t> bytes() const { return {bytes_.data(), is_v4() ? 4u : 16u}; }

  // Canonical text (inet_ntop form).
  std::string ToString() const;

  // Returns this address with every bit after the first `length` bits cleared. Inline and
  // byte-wise: prefix lookups mask once per probe.
  IpAddress Masked(int length) const {
    IpAddress out = *this;
    if (length < 0) length = 0;
    if (length >= bit_width()) return out;
    const int full = length / 8;
    const int rest = length % 8;
    if (rest != 0) out.bytes_[full] = static_cast<uint8_t>(out.bytes_[full] & (0xFF << (8 - rest)));
    const int first_zero = full + (rest != 0 ? 1 : 0);
    std::memset(out.bytes_.data() + first_zero, 0, 16 - static_cast<size_t>(first_zero));
    return out;
  }
  // Value of bit `index` (0 = most significant bit of the first byte).
  bool Bit(int index) const { return (bytes_[index / 8] >> (7 - index % 8)) & 1u; }

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  IpFamily family_ = IpFamily::kIpv4;
  std::array<uint8_t, 16> bytes_{};
};

class IpPrefix {
 public:
  constexpr IpPrefix() = default;
  // `address` must have no bits set past `length`; use Parse() for untrusted input.
  IpPrefix(IpAddress address, int length) : address_(address), length_(length) {}

  // Why a parse failed, so config errors can say exactly what is wrong.
  enum class ParseError {
    kNone,
    kMissingLength,   // no "/len"
    kBadAddress,      // the part before '/' is not an address
    kBadLength,       // length not a number or too large for the family
    kHostBitsSet,     // e.g. 10.0.0.1/24
  };
  // Parses "addr/len". On failure returns nullopt and sets *error if given.
  static std::optional<IpPrefix> Parse(std::string_view text, ParseError* error = nullptr);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  IpFamily family() const { return address_.family(); }

  bool Contains(const IpAddress& a) const;
  // True if the two prefixes share at least one address (one contains the other).
  bool Overlaps(const IpPrefix& other) const;
  std::string ToString() const;

  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpPrefix& p) {
    return H::combine(std::move(h), p.address_, p.length_);
  }

 private:
  IpAddress address_;
  int length_ = 0;
};

}  // namespace ssr::util

#endif  // SSR_UTIL_IP_ADDRESS_H_
