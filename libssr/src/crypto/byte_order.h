// SPDX-License-Identifier: Apache-2.0
// Big-endian helpers for the crypto layer's wire fields (time window T, GCM explicit nonce, IV
// counter). Local to crypto because the layer depends on util only (packet/byte_order.h is above
// it in the layering).
#ifndef SSR_CRYPTO_BYTE_ORDER_H_
#define SSR_CRYPTO_BYTE_ORDER_H_

#include <cstddef>
#include <cstdint>

namespace ssr::crypto::internal {

inline void StoreBigEndian64(uint64_t v, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

inline uint64_t LoadBigEndian64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

// Largest input handed to one EVP update call (its length is an int). Packets are far below.
inline constexpr size_t kMaxEvpCallBytes = size_t{1} << 30;

}  // namespace ssr::crypto::internal

#endif  // SSR_CRYPTO_BYTE_ORDER_H_
