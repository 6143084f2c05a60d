// SPDX-License-Identifier: Apache-2.0
#include "crypto/cbc.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/byte_order.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace ssr::crypto {

absl::StatusOr<IvGenerator> IvGenerator::Create() {
  uint8_t seed[16 + 16];
  if (RAND_bytes(seed, sizeof(seed)) != 1) {
    ERR_clear_error();
    return absl::UnavailableError("RAND_bytes failed to seed the IV generator");
  }
  IvGenerator g;
  SSR_ASSIGN_OR_RETURN(EvpCipher ecb, FetchCipherByName("AES-128-ECB"));
  SSR_ASSIGN_OR_RETURN(g.ecb_, NewKeyedContext(ecb.get(), seed, 16, /*encrypt=*/1));
  std::memcpy(&g.counter_hi_, seed + 16, 8);
  std::memcpy(&g.counter_lo_, seed + 24, 8);
  OPENSSL_cleanse(seed, sizeof(seed));
  return g;
}

IvGenerator::~IvGenerator() { OPENSSL_cleanse(cache_, sizeof(cache_)); }

bool IvGenerator::Refill() noexcept {
  if (!ecb_) return false;
  for (size_t i = 0; i < kBatch; ++i) {
    internal::StoreBigEndian64(counter_hi_, cache_ + i * kCbcIvSize);
    internal::StoreBigEndian64(counter_lo_, cache_ + i * kCbcIvSize + 8);
    if (++counter_lo_ == 0) ++counter_hi_;  // 128-bit counter, wraps after 2^128 IVs
  }
  int outl = 0;
  if (EVP_EncryptUpdate(ecb_.get(), cache_, &outl, cache_, static_cast<int>(sizeof(cache_))) != 1 ||
      outl != static_cast<int>(sizeof(cache_))) {
    ERR_clear_error();
    return false;
  }
  next_ = 0;
  return true;
}

bool IvGenerator::Next(std::span<uint8_t, kCbcIvSize> iv) noexcept {
  if (next_ == kBatch && !Refill()) return false;
  std::memcpy(iv.data(), cache_ + next_ * kCbcIvSize, kCbcIvSize);
  // Spent IVs are public anyway (they go on the wire); no need to wipe them here.
  ++next_;
  return true;
}

absl::StatusOr<AesCbc> AesCbc::Create(CipherSuite suite, std::span<const uint8_t> key) {
  if (!IsCbc(suite)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cipher suite ", util::ToAbsl(CipherSuiteName(suite)), " is not an AES-CBC suite"));
  }
  if (key.size() != CipherKeySize(suite)) {
    return absl::InvalidArgumentError(absl::StrCat("key length ", key.size(), " for ",
                                                   util::ToAbsl(CipherSuiteName(suite)), " (needs ",
                                                   CipherKeySize(suite), ")"));
  }
  AesCbc c;
  c.suite_ = suite;
  SSR_ASSIGN_OR_RETURN(c.cipher_, FetchCipher(suite));
  SSR_ASSIGN_OR_RETURN(c.enc_, NewKeyedContext(c.cipher_.get(), key.data(), key.size(), 1));
  SSR_ASSIGN_OR_RETURN(c.dec_, NewKeyedContext(c.cipher_.get(), key.data(), key.size(), 0));
  // Start both chains from a known all-zero value (see EncryptInPlace).
  ResetChain(c.enc_.get(), c.enc_chain_, 1);
  ResetChain(c.dec_.get(), c.dec_chain_, 0);
  return c;
}

void AesCbc::ResetChain(EVP_CIPHER_CTX* ctx, uint8_t* chain, int encrypt) noexcept {
  static constexpr uint8_t kZero[kCbcIvSize] = {};
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, kZero, encrypt, nullptr) != 1) ERR_clear_error();
  std::memset(chain, 0, kCbcIvSize);
}

CryptoResult AesCbc::EncryptInPlace(std::span<uint8_t> buf, size_t plain_len,
                                    std::span<const uint8_t, kCbcIvSize> iv,
                                    size_t* out_len) noexcept {
  const size_t padded = CbcPaddedSize(plain_len);
  if (plain_len > internal::kMaxEvpCallBytes || buf.size() < padded)
    return CryptoResult::kBufferTooSmall;
  const auto pad = static_cast<uint8_t>(padded - plain_len);
  std::memset(buf.data() + plain_len, pad, pad);
  // The context continues the CBC chain from the previous packet's last ciphertext block
  // (enc_chain_). Folding (iv ^ enc_chain_) into the first plaintext block makes the first
  // ciphertext block E(P1 ^ iv), exactly CBC under `iv`, without re-initialising the context.
  for (size_t i = 0; i < kCbcIvSize; ++i) buf[i] ^= static_cast<uint8_t>(iv[i] ^ enc_chain_[i]);
  int outl = 0;
  if (EVP_EncryptUpdate(enc_.get(), buf.data(), &outl, buf.data(), static_cast<int>(padded)) != 1 ||
      static_cast<size_t>(outl) != padded) {
    ERR_clear_error();
    ResetChain(enc_.get(), enc_chain_, 1);
    return CryptoResult::kCipherError;
  }
  std::memcpy(enc_chain_, buf.data() + padded - kCbcIvSize, kCbcIvSize);
  *out_len = padded;
  return CryptoResult::kOk;
}

CryptoResult AesCbc::DecryptInPlace(std::span<uint8_t> buf, std::span<const uint8_t, kCbcIvSize> iv,
                                    size_t* plain_len) noexcept {
  const size_t n = buf.size();
  if (n == 0) return CryptoResult::kTooShort;
  if (n % kAesBlockSize != 0) return CryptoResult::kNotBlockMultiple;
  if (n > internal::kMaxEvpCallBytes) return CryptoResult::kBufferTooSmall;
  // Mirror of EncryptInPlace: the context XORs the first block with the previous input's last
  // ciphertext block (dec_chain_); swap that for `iv` afterwards. The last ciphertext block is
  // saved first because decryption overwrites it in place.
  uint8_t next_chain[kCbcIvSize];
  std::memcpy(next_chain, buf.data() + n - kCbcIvSize, kCbcIvSize);
  int outl = 0;
  if (EVP_DecryptUpdate(dec_.get(), buf.data(), &outl, buf.data(), static_cast<int>(n)) != 1 ||
      static_cast<size_t>(outl) != n) {
    ERR_clear_error();
    ResetChain(dec_.get(), dec_chain_, 0);
    return CryptoResult::kCipherError;
  }
  for (size_t i = 0; i < kCbcIvSize; ++i) buf[i] ^= static_cast<uint8_t>(iv[i] ^ dec_chain_[i]);
  std::memcpy(dec_chain_, next_chain, kCbcIvSize);
  // PKCS#7 check without data-dependent branches on the padding bytes: with encrypt-then-MAC the
  // HMAC already rejects forgeries, but a policy may run encryption without HMAC, and then a
  // timing difference here would be a padding oracle.
  const uint8_t pad = buf[n - 1];
  unsigned bad = static_cast<unsigned>(pad == 0) | static_cast<unsigned>(pad > kAesBlockSize);
  for (size_t i = 0; i < kAesBlockSize; ++i) {
    // in_pad is all-ones when byte n-1-i belongs to the padding (i < pad), else zero.
    const unsigned in_pad = 0u - static_cast<unsigned>(i < pad);
    bad |= in_pad & static_cast<unsigned>(buf[n - 1 - i] ^ pad);
  }
  if (bad != 0) return CryptoResult::kBadPadding;
  *plain_len = n - pad;
  return CryptoResult::kOk;
}

}  // namespace ssr::crypto
