// SPDX-License-Identifier: Apache-2.0
// Crypto suites, per-packet result codes and counters of the crypto layer (docs/protocol.md §4).
//
// The crypto layer does not depend on config (docs/architecture.md §2): it defines its own suite
// enums and the
// config layer maps its validated model onto them. Sizes follow Appendix A; the GCM suites are a
// libssr extension (docs/protocol-notes.md, "Crypto") that a security policy must name explicitly.
#ifndef SSR_CRYPTO_SUITES_H_
#define SSR_CRYPTO_SUITES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/counters.h"

namespace ssr::crypto {

// HMAC algorithm of an adjacency (§4.3). kSha1 is accepted on receive only (O-16).
enum class HmacSuite : uint8_t { kNone, kSha256, kSha256_128, kSha1 };

// Payload / metadata cipher. CBC suites are the spec's (§4.5, §4.6); GCM suites are the libssr
// extension (AEAD: encryption and authentication in one pass).
enum class CipherSuite : uint8_t { kNone, kAes128Cbc, kAes256Cbc, kAes128Gcm, kAes256Gcm };

// §4.4: regular HMAC, or time-based HMAC with the time window prepended to the HMAC input.
enum class HmacMode : uint8_t { kRegular, kTimeBased };

inline constexpr size_t kAesBlockSize = 16;
inline constexpr size_t kCbcIvSize = 16;
inline constexpr size_t kGcmExplicitNonceSize = 8;  // carried in the trailer
inline constexpr size_t kGcmSaltSize = 4;           // implicit, derived from the key
inline constexpr size_t kGcmNonceSize = kGcmSaltSize + kGcmExplicitNonceSize;
inline constexpr size_t kGcmTagSize = 16;
inline constexpr size_t kMaxTagSize = 32;
inline constexpr uint32_t kDefaultTimeWindowMs = 2000;  // §4.4 W
inline constexpr size_t kTimeWindowPrefixSize = 8;      // T, 8 bytes big-endian

// Tag bytes appended by an HMAC suite (Appendix A): sha1 20, sha256 32, sha256-128 16.
constexpr size_t HmacTagSize(HmacSuite s) {
  switch (s) {
    case HmacSuite::kNone:
      return 0;
    case HmacSuite::kSha256:
      return 32;
    case HmacSuite::kSha256_128:
      return 16;
    case HmacSuite::kSha1:
      return 20;
  }
  return 0;
}

constexpr bool IsCbc(CipherSuite c) {
  return c == CipherSuite::kAes128Cbc || c == CipherSuite::kAes256Cbc;
}
constexpr bool IsGcm(CipherSuite c) {
  return c == CipherSuite::kAes128Gcm || c == CipherSuite::kAes256Gcm;
}

// AES key length in bytes for a cipher suite (0 for kNone).
constexpr size_t CipherKeySize(CipherSuite c) {
  switch (c) {
    case CipherSuite::kNone:
      return 0;
    case CipherSuite::kAes128Cbc:
    case CipherSuite::kAes128Gcm:
      return 16;
    case CipherSuite::kAes256Cbc:
    case CipherSuite::kAes256Gcm:
      return 32;
  }
  return 0;
}

// CBC with PKCS#7 (§4.5): 1..16 bytes of padding, a full block when the input is aligned.
constexpr size_t CbcPaddedSize(size_t plain_len) {
  return (plain_len / kAesBlockSize + 1) * kAesBlockSize;
}

// Bytes a protected packet grows by (§4.9): for CBC, IV + padding + HMAC tag; for GCM, explicit
// nonce + GCM tag (plus an HMAC tag if a policy insists on both). `payload_len` is the payload
// that gets encrypted (CBC padding depends on it).
constexpr size_t TrailerOverhead(HmacSuite hmac, CipherSuite cipher, size_t payload_len) {
  size_t n = HmacTagSize(hmac);
  if (IsCbc(cipher)) n += kCbcIvSize + (CbcPaddedSize(payload_len) - payload_len);
  if (IsGcm(cipher)) n += kGcmExplicitNonceSize + kGcmTagSize;
  return n;
}

// Outcome of every per-packet call (small enum, no exceptions; docs/architecture.md §3).
enum class CryptoResult : uint8_t {
  kOk,
  kBadTag,            // HMAC or AEAD tag did not verify
  kStale,             // time-based: tag valid, but for a window outside T-1..T+1
  kUnknownKeyId,      // no key (or only an expired one) for the packet's security id
  kTooShort,          // input shorter than the trailer it must carry
  kNotBlockMultiple,  // CBC ciphertext length not a multiple of 16
  kBadPadding,        // CBC plaintext with invalid PKCS#7 padding
  kBufferTooSmall,    // no room in the caller's buffer for padding / trailer / output
  kNonceExhausted,    // GCM: this sender's sequence space under this key is used up
  kVerifyOnlySuite,   // asked to sign with HMAC-SHA1 (receive-only, O-16)
  kNotConfigured,     // the policy has no such operation (e.g. cipher kNone)
  kCipherError,       // OpenSSL failed on a prepared context (should not happen)
};

std::string_view CryptoResultName(CryptoResult r);

std::string_view HmacSuiteName(HmacSuite s);
std::string_view CipherSuiteName(CipherSuite c);

// Every outcome of the per-packet calls; each name doubles as a counter (X-macro list). One
// CounterArray<CryptoCounter> lives in each worker's PacketCrypto.
#define SSR_CRYPTO_COUNTERS(X)                                                                \
  X(kSigned, "crypto_signed", "packets signed with an HMAC tag")                              \
  X(kVerified, "crypto_verified", "packets whose HMAC tag verified")                          \
  X(kHmacFail, "hmac_fail", "HMAC tag did not verify in any accepted window (§7.52)")         \
  X(kHmacStale, "hmac_stale", "HMAC tag verified only in a window outside T-1..T+1 (§7.55)")  \
  X(kUnknownKeyId, "unknown_key_id", "security id with no key (§7.65)")                       \
  X(kKeyExpired, "key_expired", "security id of a rotated-out key past its overlap (§4.7)")   \
  X(kRekeyEpochSkew, "rekey_epoch_skew",                                                      \
    "epoch key of automatic rekeying outside the clock-skew bound of its epoch (§4.7.1)")     \
  X(kSealed, "crypto_sealed", "payloads or metadata sections encrypted")                      \
  X(kOpened, "crypto_opened", "payloads or metadata sections decrypted")                      \
  X(kBadPadding, "bad_padding", "CBC plaintext with invalid PKCS#7 padding")                  \
  X(kNotBlockMultiple, "cbc_not_block_multiple", "CBC ciphertext not a multiple of 16 bytes") \
  X(kTooShort, "crypto_too_short", "input shorter than its trailer (IV, nonce or tag)")       \
  X(kDecryptFail, "decrypt_fail", "AEAD tag mismatch or cipher failure on decrypt")           \
  X(kBufferTooSmall, "crypto_buffer_too_small", "no room for padding/trailer in the buffer")  \
  X(kNonceExhausted, "gcm_nonce_exhausted", "GCM sequence space of this key used up: rotate") \
  X(kVerifyOnlySuite, "crypto_verify_only_suite", "asked to sign with a receive-only suite")  \
  X(kCipherError, "crypto_cipher_error", "OpenSSL reported an error on a prepared context")

SSR_DEFINE_COUNTER_ENUM(CryptoCounter, SSR_CRYPTO_COUNTERS)

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_SUITES_H_
