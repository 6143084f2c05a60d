// SPDX-License-Identifier: Apache-2.0
// AES-GCM, the libssr extension suite (not in the SVR sources; docs/protocol-notes.md "Crypto").
//
// Design note. GCM encrypts and authenticates in one pass, so a policy that selects it replaces
// "CBC + IV + PKCS#7 + HMAC" (33..64 trailer bytes and two passes over the data) by "8-byte
// explicit nonce + 16-byte tag" and one pass. As with CBC, the encrypt and decrypt contexts are
// keyed once; per packet only the 12-byte nonce is loaded (EVP_CipherInit_ex2 with NULL cipher and
// key), the AAD is fed in up to two pieces (the optional 8-byte time window and the bytes before
// the ciphertext), the data is processed in place, and the tag is read or set through the
// prepared context. No allocation per packet (checked by test/crypto/alloc_test.cc).
//
// Nonces are the caller's responsibility at this level (NIST SP 800-38D §8: never repeat a nonce
// under one key); PacketCrypto builds them as salt(4) || explicit(8) from a per-worker counter.
//
// Thread-safety: one AesGcm per worker (mutable OpenSSL contexts).
#ifndef SSR_CRYPTO_GCM_H_
#define SSR_CRYPTO_GCM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "crypto/openssl_handles.h"
#include "crypto/suites.h"

namespace ssr::crypto {

using GcmNonce = std::array<uint8_t, kGcmNonceSize>;

class AesGcm {
 public:
  // `suite` kAes128Gcm / kAes256Gcm, key 16 / 32 bytes (InvalidArgument naming the length).
  static absl::StatusOr<AesGcm> Create(CipherSuite suite, std::span<const uint8_t> key);

  AesGcm(AesGcm&&) noexcept = default;
  AesGcm& operator=(AesGcm&&) noexcept = default;

  CipherSuite suite() const { return suite_; }
  // 4-byte implicit nonce salt, derived once from the key: first 4 bytes of
  // SHA-256("libssr aes-gcm salt v1" || key). Both ends derive the same value.
  std::span<const uint8_t, kGcmSaltSize> salt() const { return salt_; }

  // Encrypts `inout` in place; AAD = aad1 || aad2 (either may be empty); writes the 16-byte tag.
  CryptoResult Seal(std::span<const uint8_t, kGcmNonceSize> nonce, std::span<const uint8_t> aad1,
                    std::span<const uint8_t> aad2, std::span<uint8_t> inout,
                    std::span<uint8_t, kGcmTagSize> tag) noexcept;

  // Decrypts `inout` in place and checks the tag: kOk or kBadTag (then `inout` holds unverified
  // plaintext that must not be used).
  CryptoResult Open(std::span<const uint8_t, kGcmNonceSize> nonce, std::span<const uint8_t> aad1,
                    std::span<const uint8_t> aad2, std::span<uint8_t> inout,
                    std::span<const uint8_t, kGcmTagSize> tag) noexcept;

 private:
  AesGcm() = default;

  CipherSuite suite_ = CipherSuite::kNone;
  std::array<uint8_t, kGcmSaltSize> salt_{};
  EvpCipher cipher_;
  EvpCipherCtx enc_;
  EvpCipherCtx dec_;
};

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_GCM_H_
