// SPDX-License-Identifier: Apache-2.0
#include "crypto/suites.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"
#include "crypto/openssl_handles.h"
#include "util/strings.h"

namespace ssr::crypto {

std::string_view HmacSuiteName(HmacSuite s) {
  switch (s) {
    case HmacSuite::kNone:
      return "none";
    case HmacSuite::kSha256:
      return "sha256";
    case HmacSuite::kSha256_128:
      return "sha256-128";
    case HmacSuite::kSha1:
      return "sha1";
  }
  return "invalid";
}

std::string_view CipherSuiteName(CipherSuite c) {
  switch (c) {
    case CipherSuite::kNone:
      return "none";
    case CipherSuite::kAes128Cbc:
      return "aes-128-cbc";
    case CipherSuite::kAes256Cbc:
      return "aes-256-cbc";
    case CipherSuite::kAes128Gcm:
      return "aes-128-gcm";
    case CipherSuite::kAes256Gcm:
      return "aes-256-gcm";
  }
  return "invalid";
}

std::string_view CryptoResultName(CryptoResult r) {
  switch (r) {
    case CryptoResult::kOk:
      return "ok";
    case CryptoResult::kBadTag:
      return "bad_tag";
    case CryptoResult::kStale:
      return "stale";
    case CryptoResult::kUnknownKeyId:
      return "unknown_key_id";
    case CryptoResult::kTooShort:
      return "too_short";
    case CryptoResult::kNotBlockMultiple:
      return "not_block_multiple";
    case CryptoResult::kBadPadding:
      return "bad_padding";
    case CryptoResult::kBufferTooSmall:
      return "buffer_too_small";
    case CryptoResult::kNonceExhausted:
      return "nonce_exhausted";
    case CryptoResult::kVerifyOnlySuite:
      return "verify_only_suite";
    case CryptoResult::kNotConfigured:
      return "not_configured";
    case CryptoResult::kCipherError:
      return "cipher_error";
  }
  return "invalid";
}

absl::StatusOr<EvpCipher> FetchCipherByName(const char* name) {
  EvpCipher cipher(EVP_CIPHER_fetch(nullptr, name, nullptr));
  if (!cipher) {
    ERR_clear_error();
    return absl::InternalError(absl::StrCat("OpenSSL has no implementation of cipher ", name));
  }
  return cipher;
}

absl::StatusOr<EvpCipher> FetchCipher(CipherSuite suite) {
  switch (suite) {
    case CipherSuite::kAes128Cbc:
      return FetchCipherByName("AES-128-CBC");
    case CipherSuite::kAes256Cbc:
      return FetchCipherByName("AES-256-CBC");
    case CipherSuite::kAes128Gcm:
      return FetchCipherByName("AES-128-GCM");
    case CipherSuite::kAes256Gcm:
      return FetchCipherByName("AES-256-GCM");
    case CipherSuite::kNone:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "cipher suite ", util::ToAbsl(CipherSuiteName(suite)), " has no OpenSSL cipher"));
}

absl::StatusOr<EvpCipherCtx> NewKeyedContext(const EVP_CIPHER* cipher, const uint8_t* key,
                                             size_t key_len, int encrypt) {
  if (static_cast<int>(key_len) != EVP_CIPHER_get_key_length(cipher)) {
    return absl::InvalidArgumentError(absl::StrCat("key length ", key_len, " does not match ",
                                                   EVP_CIPHER_get0_name(cipher), " (needs ",
                                                   EVP_CIPHER_get_key_length(cipher), ")"));
  }
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return absl::ResourceExhaustedError("EVP_CIPHER_CTX_new failed");
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key, nullptr, encrypt, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    ERR_clear_error();
    return absl::InternalError(
        absl::StrCat("cannot key a ", EVP_CIPHER_get0_name(cipher), " context"));
  }
  return ctx;
}

}  // namespace ssr::crypto
