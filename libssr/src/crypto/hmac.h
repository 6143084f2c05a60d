// SPDX-License-Identifier: Apache-2.0
// Prepared HMAC (RFC 2104) for the per-packet tag of §4.3 and the time-based variant of §4.4.
//
// Design note. An HMAC is H((K^opad) || H((K^ipad) || m)). The two keyed prefixes are each exactly
// one hash block, so their compression states depend only on the key: they are computed once when
// the key is prepared and, per packet, the two small state structs (SHA256_CTX: 112 bytes) are
// copied, updated and finalised. That is allocation-free and skips the two key-block compressions
// an HMAC_Init would redo, which matters for small packets (a 64-byte packet is 3 compressions
// instead of 5 counting the key blocks).
//
// Why not EVP_MAC: in OpenSSL 3.0 (3.0.22 measured here with CRYPTO_set_mem_functions hooks),
// re-initialising a keyed EVP_MAC_CTX (EVP_MAC_init with a NULL key, as `openssl speed -hmac`
// does) + update + final makes 2 heap allocations per call, EVP_MAC_CTX_dup allocates, and even
// EVP_MD_CTX_copy_ex of a saved SHA-256 state makes 1 (provider dupctx); the control case in
// test/crypto/alloc_test.cc shows the counting hooks see these. The provider/param dispatch also
// adds about 80 ns per call at 64 bytes (EVP_MAC re-init 249 ns vs 171 ns here, same run of
// bench/micro/crypto_bench.cc). The low-level
// SHA256_* functions are deprecated in 3.0 but still exported, use the same assembly (SHA-NI / AVX2
// block functions selected by OPENSSL_ia32cap) and never allocate; hmac.cc suppresses the
// deprecation warning for exactly those calls.
//
// Thread-safety: a PreparedHmac is immutable after Create; Sign/Matches/Verify are const and may
// run concurrently from several threads (each call works on its own stack copy of the states).
#ifndef SSR_CRYPTO_HMAC_H_
#define SSR_CRYPTO_HMAC_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "crypto/suites.h"

namespace ssr::crypto {

// Pass as `window` when no time window is prepended (regular mode).
inline constexpr uint64_t kNoWindow = ~uint64_t{0};

// §4.4 time window T = floor(unix_ms / W).
constexpr uint64_t TimeWindowOf(uint64_t unix_ms, uint32_t window_ms) {
  return unix_ms / (window_ms == 0 ? kDefaultTimeWindowMs : window_ms);
}

// Acceptance rule for time-based HMAC (§4.4, O-3).
struct TimePolicy {
  uint32_t window_ms = kDefaultTimeWindowMs;
  // After T, T-1 and T+1 fail, also try T-2..T-1-n and T+2..T+1+n so that an old replay or a
  // skewed peer is reported as kStale (counter hmac_stale) rather than kBadTag. Each probe is one
  // more HMAC for a packet that will be dropped anyway, so a forger gets (3 + 2n) HMACs of work per
  // packet; n = 0 turns probing off (everything is then kBadTag).
  uint32_t stale_probe_windows = 1;
};

class PreparedHmac {
 public:
  // InvalidArgument for kNone or an empty key (the message names suite and length). Keys longer
  // than the hash block are hashed first (RFC 2104 §2).
  static absl::StatusOr<PreparedHmac> Create(HmacSuite suite, std::span<const uint8_t> key);

  PreparedHmac(PreparedHmac&& other) noexcept;
  PreparedHmac& operator=(PreparedHmac&& other) noexcept;
  PreparedHmac(const PreparedHmac&) = delete;
  PreparedHmac& operator=(const PreparedHmac&) = delete;
  ~PreparedHmac();  // wipes the keyed states

  HmacSuite suite() const { return suite_; }
  size_t tag_size() const { return HmacTagSize(suite_); }

  // Writes tag_size() bytes of HMAC([T (8 bytes BE) if window != kNoWindow] || in) to tag_out
  // (leftmost bytes for sha256-128). kBufferTooSmall if tag_out is shorter. Computes SHA1 too:
  // receive-only is enforced by PacketCrypto, tests need the primitive.
  CryptoResult Sign(std::span<const uint8_t> in, uint64_t window,
                    std::span<uint8_t> tag_out) const noexcept;

  // Constant-time comparison of `tag` (must be exactly tag_size() bytes) against the tag of
  // (window, in).
  bool Matches(std::span<const uint8_t> in, uint64_t window,
               std::span<const uint8_t> tag) const noexcept;

  // Receive rule. Regular mode: kOk or kBadTag. Time-based: kOk if the tag matches window T-1, T or
  // T+1 with T = TimeWindowOf(now_ms), kStale if it only matches a probed window further away,
  // kBadTag otherwise (§7.54, §7.55). kTooShort if `tag` is not tag_size() bytes.
  CryptoResult Verify(std::span<const uint8_t> in, std::span<const uint8_t> tag, HmacMode mode,
                      uint64_t now_ms, const TimePolicy& time) const noexcept;

 private:
  PreparedHmac() = default;
  // Full-length MAC (32 or 20 bytes) into out.
  void Compute(std::span<const uint8_t> in, uint64_t window, uint8_t* out) const noexcept;

  HmacSuite suite_ = HmacSuite::kNone;
  // Opaque storage for the inner/outer compression states (SHA256_CTX or SHA_CTX); kept as bytes
  // so this header does not pull in the deprecated low-level API. Size checked in hmac.cc.
  alignas(8) unsigned char inner_[112] = {};
  alignas(8) unsigned char outer_[112] = {};
};

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_HMAC_H_
