// SPDX-License-Identifier: Apache-2.0
#include "crypto/gcm.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/byte_order.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace ssr::crypto {
namespace {

constexpr char kSaltLabel[] = "libssr aes-gcm salt v1";

bool FeedAad(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> aad) {
  if (aad.empty()) return true;
  if (aad.size() > internal::kMaxEvpCallBytes) return false;
  int outl = 0;
  return EVP_CipherUpdate(ctx, nullptr, &outl, aad.data(), static_cast<int>(aad.size())) == 1;
}

}  // namespace

absl::StatusOr<AesGcm> AesGcm::Create(CipherSuite suite, std::span<const uint8_t> key) {
  if (!IsGcm(suite)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cipher suite ", util::ToAbsl(CipherSuiteName(suite)), " is not an AES-GCM suite"));
  }
  if (key.size() != CipherKeySize(suite)) {
    return absl::InvalidArgumentError(absl::StrCat("key length ", key.size(), " for ",
                                                   util::ToAbsl(CipherSuiteName(suite)), " (needs ",
                                                   CipherKeySize(suite), ")"));
  }
  AesGcm g;
  g.suite_ = suite;
  SSR_ASSIGN_OR_RETURN(g.cipher_, FetchCipher(suite));
  SSR_ASSIGN_OR_RETURN(g.enc_, NewKeyedContext(g.cipher_.get(), key.data(), key.size(), 1));
  SSR_ASSIGN_OR_RETURN(g.dec_, NewKeyedContext(g.cipher_.get(), key.data(), key.size(), 0));
  // Salt: setup path, so a one-shot EVP_Digest (which may allocate) is fine here.
  uint8_t input[sizeof(kSaltLabel) - 1 + 32];
  std::memcpy(input, kSaltLabel, sizeof(kSaltLabel) - 1);
  std::memcpy(input + sizeof(kSaltLabel) - 1, key.data(), key.size());
  uint8_t digest[32];
  unsigned int dlen = 0;
  const bool ok = EVP_Digest(input, sizeof(kSaltLabel) - 1 + key.size(), digest, &dlen,
                             EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(input, sizeof(input));
  if (!ok) {
    ERR_clear_error();
    return absl::InternalError("SHA-256 failed while deriving the GCM salt");
  }
  std::memcpy(g.salt_.data(), digest, kGcmSaltSize);
  return g;
}

CryptoResult AesGcm::Seal(std::span<const uint8_t, kGcmNonceSize> nonce,
                          std::span<const uint8_t> aad1, std::span<const uint8_t> aad2,
                          std::span<uint8_t> inout, std::span<uint8_t, kGcmTagSize> tag) noexcept {
  if (inout.size() > internal::kMaxEvpCallBytes) return CryptoResult::kBufferTooSmall;
  EVP_CIPHER_CTX* ctx = enc_.get();
  int outl = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 1, nullptr) != 1 ||
      !FeedAad(ctx, aad1) || !FeedAad(ctx, aad2) ||
      (!inout.empty() && EVP_EncryptUpdate(ctx, inout.data(), &outl, inout.data(),
                                           static_cast<int>(inout.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx, inout.data() + inout.size(), &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kGcmTagSize), tag.data()) !=
          1) {
    ERR_clear_error();
    return CryptoResult::kCipherError;
  }
  return CryptoResult::kOk;
}

CryptoResult AesGcm::Open(std::span<const uint8_t, kGcmNonceSize> nonce,
                          std::span<const uint8_t> aad1, std::span<const uint8_t> aad2,
                          std::span<uint8_t> inout,
                          std::span<const uint8_t, kGcmTagSize> tag) noexcept {
  if (inout.size() > internal::kMaxEvpCallBytes) return CryptoResult::kBufferTooSmall;
  EVP_CIPHER_CTX* ctx = dec_.get();
  int outl = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 0, nullptr) != 1 ||
      !FeedAad(ctx, aad1) || !FeedAad(ctx, aad2) ||
      (!inout.empty() && EVP_DecryptUpdate(ctx, inout.data(), &outl, inout.data(),
                                           static_cast<int>(inout.size())) != 1) ||
      // The ctrl takes a non-const pointer but only reads the tag when setting it.
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kGcmTagSize),
                          const_cast<uint8_t*>(tag.data())) != 1) {
    ERR_clear_error();
    return CryptoResult::kCipherError;
  }
  // Final compares the tag (in constant time inside OpenSSL); failure = forged or corrupted.
  if (EVP_DecryptFinal_ex(ctx, inout.data() + inout.size(), &outl) != 1) {
    ERR_clear_error();
    return CryptoResult::kBadTag;
  }
  return CryptoResult::kOk;
}

}  // namespace ssr::crypto
