// SPDX-License-Identifier: Apache-2.0
#include "util/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ssr::util {

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family_ = IpFamily::kIpv4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest valid IPv6 text is 45 characters.
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t out[16];
  // inet_pton(AF_INET) accepts only dotted-quad with 4 parts, which is what we want.
  if (inet_pton(AF_INET, buf, out) == 1) {
    return V4Bytes(std::span<const uint8_t, 4>(out, 4));
  }
  if (inet_pton(AF_INET6, buf, out) == 1) {
    return V6Bytes(std::span<const uint8_t, 16>(out, 16));
  }
  return std::nullopt;
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  const char* r = inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return r == nullptr ? std::string("?") : std::string(r);
}

std::optional<IpPrefix> IpPrefix::Parse(std::string_view text, ParseError* error) {
  auto fail = [error](ParseError e) -> std::optional<IpPrefix> {
    if (error != nullptr) *error = e;
    return std::nullopt;
  };
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return fail(ParseError::kMissingLength);
  std::optional<IpAddress> addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr) return fail(ParseError::kBadAddress);
  std::string_view len_text = text.substr(slash + 1);
  int length = -1;
  auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
  if (len_text.empty() || len_text.size() > 3 || ec != std::errc() ||
      ptr != len_text.data() + len_text.size() || length < 0 || length > addr->bit_width()) {
    return fail(ParseError::kBadLength);
  }
  if (addr->Masked(length) != *addr) return fail(ParseError::kHostBitsSet);
  if (error != nullptr) *error = ParseError::kNone;
  return IpPrefix(*addr, length);
}

bool IpPrefix::Contains(const IpAddress& a) const {
  return a.family() == family() && a.Masked(length_) == address_;
}

bool IpPrefix::Overlaps(const IpPrefix& other) const {
  if (other.family() != family()) return false;
  const int shorter = length_ < other.length_ ? length_ : other.length_;
  return address_.Masked(shorter) == other.address_.Masked(shorter);
}

std::string IpPrefix::ToString() const {
  return address_.ToString() + "/" + std::to_string(length_);
}

}  // namespace ssr::util
