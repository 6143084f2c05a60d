// SPDX-License-Identifier: Apache-2.0
#include "crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace ssr::crypto {
namespace {
struct KdfDeleter {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
}  // namespace

absl::StatusOr<std::vector<uint8_t>> HkdfSha256(std::span<const uint8_t> ikm,
                                                std::span<const uint8_t> salt,
                                                std::span<const uint8_t> info, size_t length) {
  if (length == 0 || length > 255 * 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("HKDF-SHA256 output length ", length, " is out of range (1-8160)"));
  }
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return absl::InternalError("OpenSSL has no HKDF implementation");
  std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return absl::InternalError("EVP_KDF_CTX_new failed");
  char digest[] = "SHA256";
  // OSSL_PARAM takes non-const pointers but does not write through them for input parameters.
  // OpenSSL 3.0 rejects a null salt pointer even with length 0, and an empty std::vector's data()
  // is null: leave the salt out when empty, which RFC 5869 defines as HashLen zero bytes.
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size());
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size());
  }
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size());
  params[n] = OSSL_PARAM_construct_end();
  std::vector<uint8_t> out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    ERR_clear_error();
    return absl::InternalError("HKDF-SHA256 derivation failed in OpenSSL");
  }
  return out;
}

}  // namespace ssr::crypto
