// SPDX-License-Identifier: Apache-2.0
// AES-CBC with PKCS#7 for payload (§4.5) and metadata (§4.6) encryption, and the per-worker IV
// generator.
//
// Design note. A CBC key schedule differs for encryption and decryption, so AesCbc keeps two
// EVP_CIPHER_CTX, each keyed once when the policy is prepared; padding is off and data is
// processed in place. The per-packet IV is not loaded with EVP_CipherInit_ex2 (that re-init goes
// through the provider's init path and costs about twice the AES work of a 64-byte packet):
// instead each context simply continues its CBC chain across packets, and the first block is
// corrected by XOR. Encrypt: the context would compute E(P1 ^ C_prev), so P1 is replaced by
// P1 ^ C_prev ^ IV, giving E(P1 ^ IV), which is CBC under IV. Decrypt: the context yields
// D(C1) ^ C_prev_in, so XOR-ing C_prev_in ^ IV into the first output block gives D(C1) ^ IV.
// C_prev / C_prev_in are the last ciphertext blocks of the previous call on that context (kept in
// enc_chain_ / dec_chain_, reset to zero after any OpenSSL failure). The wire format is plain
// CBC; only the way OpenSSL is driven changes. No allocation per packet
// (test/crypto/alloc_test.cc). PKCS#7 is done here rather than by EVP so that a bad pad is a named
// result and never leaves entries on OpenSSL's thread error queue.
//
// IVs (§4.5 "a fresh IV for every packet", O-4): CBC needs IVs that are unpredictable to an
// attacker, not merely unique. Calling RAND_bytes per packet costs a DRBG lock/generate (and
// reseeds may make syscalls), so each worker runs the generator of NIST SP 800-38A Appendix C,
// method 1 variant: IV_i = AES-128-ECB_K'(N0 + i) where K' is a random key and N0 a random 128-bit
// starting counter, both drawn once from RAND_bytes when the generator is created. Distinct workers
// have independent K', so their IV streams are independent; within a worker the counter never
// repeats before 2^128 IVs. IVs are produced 8 at a time (one EVP call for 128 bytes) to amortise
// the per-call overhead.
//
// Thread-safety: AesCbc and IvGenerator hold mutable OpenSSL contexts; use one per worker.
#ifndef SSR_CRYPTO_CBC_H_
#define SSR_CRYPTO_CBC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "crypto/openssl_handles.h"
#include "crypto/suites.h"

namespace ssr::crypto {

using Iv = std::array<uint8_t, kCbcIvSize>;

class IvGenerator {
 public:
  // Draws K' and N0 from RAND_bytes (the only randomness syscall path, once per worker).
  static absl::StatusOr<IvGenerator> Create();

  IvGenerator(IvGenerator&&) noexcept = default;
  IvGenerator& operator=(IvGenerator&&) noexcept = default;
  ~IvGenerator();

  // Writes the next IV. False only if OpenSSL fails on the prepared context.
  bool Next(std::span<uint8_t, kCbcIvSize> iv) noexcept;

 private:
  static constexpr size_t kBatch = 8;
  IvGenerator() = default;
  bool Refill() noexcept;

  EvpCipherCtx ecb_;
  uint64_t counter_hi_ = 0;
  uint64_t counter_lo_ = 0;
  size_t next_ = kBatch;  // index of the next unused IV in cache_
  alignas(16) uint8_t cache_[kBatch * kCbcIvSize] = {};
};

class AesCbc {
 public:
  // `suite` must be kAes128Cbc or kAes256Cbc and `key` 16 or 32 bytes (InvalidArgument naming the
  // suite and the length otherwise).
  static absl::StatusOr<AesCbc> Create(CipherSuite suite, std::span<const uint8_t> key);

  AesCbc(AesCbc&&) noexcept = default;
  AesCbc& operator=(AesCbc&&) noexcept = default;

  CipherSuite suite() const { return suite_; }

  // Pads buf[0, plain_len) with PKCS#7 and encrypts it in place under `iv`. `buf` is the whole
  // writable area; it must hold CbcPaddedSize(plain_len) bytes (kBufferTooSmall otherwise, buffer
  // untouched). On kOk, *out_len = CbcPaddedSize(plain_len).
  CryptoResult EncryptInPlace(std::span<uint8_t> buf, size_t plain_len,
                              std::span<const uint8_t, kCbcIvSize> iv, size_t* out_len) noexcept;

  // Decrypts `buf` (all of it is ciphertext) in place under `iv` and checks the padding.
  // kTooShort for an empty input, kNotBlockMultiple, kBadPadding (the buffer then holds the
  // unchecked plaintext; callers drop the packet); on kOk, *plain_len excludes the padding.
  CryptoResult DecryptInPlace(std::span<uint8_t> buf, std::span<const uint8_t, kCbcIvSize> iv,
                              size_t* plain_len) noexcept;

 private:
  AesCbc() = default;
  // Re-initialises `ctx` with an all-zero IV and zeroes `chain` (setup and error recovery).
  static void ResetChain(EVP_CIPHER_CTX* ctx, uint8_t* chain, int encrypt) noexcept;

  CipherSuite suite_ = CipherSuite::kNone;
  uint8_t enc_chain_[kCbcIvSize] = {};  // last ciphertext block produced by enc_
  uint8_t dec_chain_[kCbcIvSize] = {};  // last ciphertext block consumed by dec_
  EvpCipher cipher_;  // fetched once; contexts keep a reference, kept here for clarity of ownership
  EvpCipherCtx enc_;
  EvpCipherCtx dec_;
};

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_CBC_H_
