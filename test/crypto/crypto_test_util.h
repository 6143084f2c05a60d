// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the crypto tests: hex decoding for vector tables, fixed test keys.
#ifndef SSR_TEST_CRYPTO_CRYPTO_TEST_UTIL_H_
#define SSR_TEST_CRYPTO_CRYPTO_TEST_UTIL_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ssr::crypto::testing {

// Decodes a hex string (whitespace ignored). Throws on bad input so a typo in a table fails loudly.
inline std::vector<uint8_t> Hex(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (c == ' ' || c == '\n') continue;
    const int v = nibble(c);
    if (v < 0) throw std::invalid_argument("bad hex digit");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

inline std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

inline std::vector<uint8_t> Repeat(uint8_t b, size_t n) { return std::vector<uint8_t>(n, b); }

inline std::vector<uint8_t> Pattern(size_t n, uint8_t seed = 1) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

}  // namespace ssr::crypto::testing

#endif  // SSR_TEST_CRYPTO_CRYPTO_TEST_UTIL_H_
