// SPDX-License-Identifier: Apache-2.0
// Multi-buffer sealing of a burst of packets: AES-CBC payload encryption followed by the
// HMAC-SHA256 hop tag (docs/protocol.md §4.2-§4.5), many packets at once, with Intel's
// intel-ipsec-mb library (Debian libipsec-mb-dev).
//
// Design note. AES-CBC encryption is serial within a packet (each block needs the previous
// ciphertext block), so one packet at a time keeps the AES unit waiting on its own latency:
// about 14 rounds x 4 cycles per 16-byte block with AES-256, whatever the vector width. A burst
// is many independent chains; intel-ipsec-mb's job API runs one chain per vector lane (up to 16
// with VAES and AVX-512) and hashes the results in the same pass, so the cost per packet falls
// to what the hardware can do in parallel. The result is byte-identical to the OpenSSL path
// (crypto/cbc.h EncryptInPlace + IV trailer, then crypto/hmac.h Sign; tests compare the two on
// random packets), so a receiver cannot tell which path sealed a packet, and OpenSSL stays the
// reference and the fallback: BurstSealer::Create fails (Unavailable) when the library was not
// found at build time or the CPU offers no vector AES path, and the caller keeps the scalar path.
//
// Time-based HMAC (§4.4) puts 8 bytes of window T in front of the MAC input; the job API hashes
// one contiguous range, so the 8 bytes before the sealed region (the end of the L4 header in a
// packet) are saved, overwritten with T for the job and restored afterwards. No allocation, no
// lock, no syscall per burst: keys are expanded and the HMAC pads hashed in Create.
//
// Keys per job. A sealer made by Create has one key pair; the pipeline seals packets of many
// services (payload keys) toward many peers (hop keys) in one burst, so a job may bring its own
// keys in burst form (BurstCipherKey, BurstHmacKey: expanded AES keys, hashed HMAC pads; prepared
// once per key when a PacketCrypto is created, crypto/packet_crypto.h) and a sealer made by
// CreateEngine has no keys of its own at all. The library takes keys per job, so mixing keys in
// one burst costs nothing.
//
// Thread-safety: one BurstSealer per worker (the job manager is mutable state). The Prepare*
// functions may be called from any thread (they share one key-setup manager under a lock; config
// time only).
#ifndef SSR_CRYPTO_BURST_H_
#define SSR_CRYPTO_BURST_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/hmac.h"
#include "crypto/suites.h"

namespace ssr::crypto {

// An AES-CBC key in the form the job API takes (both directions' round keys).
struct BurstCipherKey {
  alignas(64) std::array<uint8_t, 16 * 15> enc{};
  alignas(64) std::array<uint8_t, 16 * 15> dec{};
  uint64_t key_len = 0;
  BurstCipherKey() = default;
  ~BurstCipherKey();  // wipes the round keys
  BurstCipherKey(const BurstCipherKey&) = delete;
  BurstCipherKey& operator=(const BurstCipherKey&) = delete;
};

// An HMAC-SHA256 key as the SHA-256 states after key ^ ipad / key ^ opad, with the tag size and
// the time-window mode of its policy.
struct BurstHmacKey {
  alignas(64) std::array<uint8_t, 32> ipad{};
  alignas(64) std::array<uint8_t, 32> opad{};
  size_t tag_size = 0;
  bool timed = false;
  uint32_t window_ms = kDefaultTimeWindowMs;
  // Receive side (BurstOpener): windows probed beyond T±1 to tell kStale from kBadTag, as
  // TimePolicy::stale_probe_windows (the caller copies its policy's value; 1 by default).
  uint32_t stale_probe_windows = 1;
  BurstHmacKey() = default;
  ~BurstHmacKey();  // wipes the pads
  BurstHmacKey(const BurstHmacKey&) = delete;
  BurstHmacKey& operator=(const BurstHmacKey&) = delete;
};

// Prepares `out` from raw key material. Unavailable when the build has no intel-ipsec-mb;
// InvalidArgument for a suite that is not AES-CBC / HMAC-SHA256 or a wrong key size.
absl::Status PrepareBurstCipherKey(CipherSuite cipher, std::span<const uint8_t> key,
                                   BurstCipherKey* out);
absl::Status PrepareBurstHmacKey(HmacSuite hmac, std::span<const uint8_t> key, HmacMode mode,
                                 uint32_t window_ms, BurstHmacKey* out);

// One packet of a burst to seal.
struct SealJob {
  // The packet's buffer; the sealed region starts at `region_offset` (the first byte after the
  // L4 header) and may grow up to buffer.size(). In time-based mode region_offset must be >= 8.
  std::span<uint8_t> buffer;
  size_t region_offset = 0;
  size_t prefix_len = 0;   // metadata in front of the payload: authenticated, not encrypted
  size_t payload_len = 0;  // plaintext to encrypt (0 allowed: a full padding block is added)
  const uint8_t* iv = nullptr;  // 16 bytes, fresh per packet (crypto/cbc.h IvGenerator)
  // The job's own keys; null: the sealer's (a sealer from CreateEngine has none: kNotConfigured).
  const BurstCipherKey* cipher_key = nullptr;
  const BurstHmacKey* hmac_key = nullptr;
  // False: HMAC only (a session whose payload is not encrypted): the tag of [T] || prefix ||
  // payload is appended, nothing is encrypted, no IV (`iv` and `cipher_key` unused).
  bool encrypt = true;
  // Outputs: the region's new length (prefix + ciphertext + IV + tag; prefix + payload + tag
  // when not encrypting), and the result.
  size_t out_len = 0;
  CryptoResult result = CryptoResult::kNotConfigured;
};

class BurstSealer {
 public:
  // Most packets one call seals (the job manager's queue holds them all at once).
  static constexpr size_t kMaxBurst = 64;

  // `cipher` kAes128Cbc / kAes256Cbc with its key; `hmac` kSha256 / kSha256_128 with its key;
  // `mode` regular or time-based with `window_ms`. Unavailable when intel-ipsec-mb is missing or
  // the CPU has no vector AES path (the message says which); InvalidArgument for other suites or
  // key sizes (naming suite and length).
  static absl::StatusOr<std::unique_ptr<BurstSealer>> Create(CipherSuite cipher,
                                                             std::span<const uint8_t> cipher_key,
                                                             HmacSuite hmac,
                                                             std::span<const uint8_t> hmac_key,
                                                             HmacMode mode, uint32_t window_ms);
  // A sealer without keys of its own: every job brings cipher_key and hmac_key. Unavailable as
  // Create.
  static absl::StatusOr<std::unique_ptr<BurstSealer>> CreateEngine();
  ~BurstSealer();
  BurstSealer(const BurstSealer&) = delete;
  BurstSealer& operator=(const BurstSealer&) = delete;

  // PKCS#7-pads and encrypts each job's payload in place, appends its IV, then appends the HMAC
  // tag of [T] || prefix || ciphertext || IV. Every job gets its own result (kBufferTooSmall when
  // its buffer cannot take padding, IV and tag; kTooShort when time-based and region_offset < 8;
  // kCipherError if the library reports a failure). At most kMaxBurst jobs per call (the rest
  // get kNotConfigured). `now_ms` is the burst's unix clock (for T).
  void Seal(std::span<SealJob> jobs, uint64_t now_ms) noexcept;

  // The library's code path in use, e.g. "avx512" (for benchmarks and logs).
  std::string_view arch() const;
  size_t tag_size() const { return tag_size_; }

 private:
  struct State;  // intel-ipsec-mb types stay out of this header
  BurstSealer() = default;

  std::unique_ptr<State> state_;
  size_t tag_size_ = 0;
  bool timed_ = false;
  uint32_t window_ms_ = kDefaultTimeWindowMs;
};

// One packet of a burst to open (the receive side, the reverse of SealJob): check the hop tag at
// the end of the region and, when it verifies and `decrypt` is set, decrypt the payload in place.
struct OpenJob {
  // The packet's buffer; the authenticated region is buffer[region_offset, +region_len):
  // [prefix][ciphertext][IV 16][tag] (decrypt) or [prefix][body][tag]. In time-based mode
  // region_offset must be >= 8 (the 8 bytes before it hold T while the job runs, then are
  // restored).
  std::span<uint8_t> buffer;
  size_t region_offset = 0;
  size_t region_len = 0;
  size_t prefix_len = 0;  // authenticated, not encrypted (metadata in front of the payload)
  const BurstCipherKey* cipher_key = nullptr;  // required when decrypt
  const BurstHmacKey* hmac_key = nullptr;      // required
  bool decrypt = true;
  // Outputs. kOk: payload_len = plaintext bytes at region + prefix_len (decrypt: padding and IV
  // removed; else the body without the tag). Otherwise the result PreparedHmac::Verify (kTooShort,
  // kBadTag, kStale) or AesCbc::DecryptInPlace after PacketCrypto::OpenPayload's length checks
  // (kTooShort, kNotBlockMultiple, kBadPadding) would give for the same bytes, keys and clock;
  // kBufferTooSmall if the region is outside the buffer or (time-based) region_offset < 8;
  // kNotConfigured without keys; kCipherError if the library fails a job. Nothing is decrypted
  // unless the tag verified.
  size_t payload_len = 0;
  CryptoResult result = CryptoResult::kNotConfigured;
  // True when the tag verified (within T±1): a result other than kOk is then the decryption's.
  bool verified = false;
};

// Opens bursts of packets with intel-ipsec-mb: one multi-buffer pass of HMAC-SHA256 jobs (window
// T of the burst's clock for time-based keys; the packets that do not match are tried again,
// still a burst at a time, under T-1, T+1 and the stale-probe windows in the order of
// PreparedHmac::Verify, so verdicts are identical), truncated tags compared in constant time
// (CRYPTO_memcmp), then one pass of AES-CBC decryption jobs for the verified packets with the
// PKCS#7 check of AesCbc::DecryptInPlace (constant time). Byte-identical to the OpenSSL path
// (test/crypto/burst_test.cc). Counts nothing: the caller counts as PacketCrypto would.
// Thread-safety: one per worker. No allocation per burst.
class BurstOpener {
 public:
  static constexpr size_t kMaxBurst = BurstSealer::kMaxBurst;
  // Unavailable as BurstSealer::CreateEngine (no library, or no AVX2/AVX-512 AES path).
  static absl::StatusOr<std::unique_ptr<BurstOpener>> Create();
  ~BurstOpener();
  BurstOpener(const BurstOpener&) = delete;
  BurstOpener& operator=(const BurstOpener&) = delete;

  // Opens at most kMaxBurst jobs (the rest get kNotConfigured). `now_ms`: the burst's clock.
  void Open(std::span<OpenJob> jobs, uint64_t now_ms) noexcept;

 private:
  struct State;
  BurstOpener() = default;
  std::unique_ptr<State> state_;
};

// True when this build has intel-ipsec-mb (the sealer may still be Unavailable on an old CPU).
bool BurstCryptoBuilt();

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_BURST_H_
