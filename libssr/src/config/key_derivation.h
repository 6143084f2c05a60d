// SPDX-License-Identifier: Apache-2.0
// HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF, used for Key.derive in the config.
#ifndef SSR_CONFIG_KEY_DERIVATION_H_
#define SSR_CONFIG_KEY_DERIVATION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/hkdf.h"

namespace ssr::config {

// Salt used for every Key.derive in a config, so the same master and context give the same key on
// every router of the organisation.
inline constexpr char kKeyDerivationSalt[] = "libssr key derivation v1";

// HKDF-SHA256(ikm, salt, info) → `length` bytes (crypto/hkdf.h).
using crypto::HkdfSha256;

}  // namespace ssr::config

#endif  // SSR_CONFIG_KEY_DERIVATION_H_
