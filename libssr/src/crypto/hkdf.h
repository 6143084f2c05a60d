// SPDX-License-Identifier: Apache-2.0
// HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF: Key.derive in the config (config/
// key_derivation.h) and the epoch keys of automatic rekeying (crypto/rekey.h).
#ifndef SSR_CRYPTO_HKDF_H_
#define SSR_CRYPTO_HKDF_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace ssr::crypto {

// HKDF-SHA256(ikm, salt, info) → `length` bytes. Fails only if OpenSSL does (Internal) or the
// length is beyond what HKDF-SHA256 can give (255 * 32 bytes; InvalidArgument).
absl::StatusOr<std::vector<uint8_t>> HkdfSha256(std::span<const uint8_t> ikm,
                                                std::span<const uint8_t> salt,
                                                std::span<const uint8_t> info, size_t length);

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_HKDF_H_
