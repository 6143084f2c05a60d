// SPDX-License-Identifier: Apache-2.0
// Move-only RAII owners for the OpenSSL handles the crypto layer keeps (docs/architecture.md §5),
// plus the
// one place that fetches ciphers by name. Fetching happens when a context is prepared, never per
// packet (docs/architecture.md §3).
#ifndef SSR_CRYPTO_OPENSSL_HANDLES_H_
#define SSR_CRYPTO_OPENSSL_HANDLES_H_

#include <openssl/evp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "crypto/suites.h"

namespace ssr::crypto {

struct EvpCipherFree {
  void operator()(EVP_CIPHER* c) const noexcept { EVP_CIPHER_free(c); }
};
struct EvpCipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};

// unique_ptr is move-only already; the aliases name what they own.
using EvpCipher = std::unique_ptr<EVP_CIPHER, EvpCipherFree>;
using EvpCipherCtx = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree>;

// Fetches "AES-128-CBC", "AES-256-GCM", ... once. InvalidArgument for kNone, Internal if OpenSSL
// has no implementation.
absl::StatusOr<EvpCipher> FetchCipher(CipherSuite suite);
absl::StatusOr<EvpCipher> FetchCipherByName(const char* name);

// A fresh cipher context keyed with `key` for one direction (encrypt != 0) and no IV yet. Padding
// is switched off: the layer does PKCS#7 itself so that bad padding is a named result, not an
// OpenSSL error queue entry.
absl::StatusOr<EvpCipherCtx> NewKeyedContext(const EVP_CIPHER* cipher, const uint8_t* key,
                                             size_t key_len, int encrypt);

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_OPENSSL_HANDLES_H_
