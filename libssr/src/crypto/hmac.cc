// SPDX-License-Identifier: Apache-2.0
// The low-level SHA256_* / SHA1_* API is deprecated in OpenSSL 3.0 but is the only allocation-free
// way to resume a hash from a saved state (see hmac.h for the measurement). Suppress the warning
// for this translation unit only.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "crypto/hmac.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/byte_order.h"
#include "util/strings.h"

namespace ssr::crypto {
namespace {

constexpr size_t kBlockSize = 64;  // SHA-1 and SHA-256 block size
static_assert(sizeof(SHA256_CTX) <= 112, "PreparedHmac state storage too small for SHA256_CTX");
static_assert(sizeof(SHA_CTX) <= 112, "PreparedHmac state storage too small for SHA_CTX");
static_assert(alignof(SHA256_CTX) <= 8 && alignof(SHA_CTX) <= 8);

// Hash-specific pieces, so the HMAC construction below is written once.
struct Sha256Ops {
  using Ctx = SHA256_CTX;
  static constexpr size_t kDigest = SHA256_DIGEST_LENGTH;
  static void Init(Ctx* c) { SHA256_Init(c); }
  static void Update(Ctx* c, const void* d, size_t n) { SHA256_Update(c, d, n); }
  static void Final(uint8_t* out, Ctx* c) { SHA256_Final(out, c); }
};
struct Sha1Ops {
  using Ctx = SHA_CTX;
  static constexpr size_t kDigest = SHA_DIGEST_LENGTH;
  static void Init(Ctx* c) { SHA1_Init(c); }
  static void Update(Ctx* c, const void* d, size_t n) { SHA1_Update(c, d, n); }
  static void Final(uint8_t* out, Ctx* c) { SHA1_Final(out, c); }
};

template <typename Ops>
void PrepareStates(std::span<const uint8_t> key, unsigned char* inner, unsigned char* outer) {
  uint8_t block[kBlockSize] = {};
  if (key.size() > kBlockSize) {
    typename Ops::Ctx c;
    Ops::Init(&c);
    Ops::Update(&c, key.data(), key.size());
    Ops::Final(block, &c);
    OPENSSL_cleanse(&c, sizeof(c));
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[kBlockSize];
  typename Ops::Ctx c;
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
  Ops::Init(&c);
  Ops::Update(&c, pad, kBlockSize);
  std::memcpy(inner, &c, sizeof(c));
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
  Ops::Init(&c);
  Ops::Update(&c, pad, kBlockSize);
  std::memcpy(outer, &c, sizeof(c));
  OPENSSL_cleanse(&c, sizeof(c));
  OPENSSL_cleanse(pad, sizeof(pad));
  OPENSSL_cleanse(block, sizeof(block));
}

template <typename Ops>
void ComputeMac(const unsigned char* inner, const unsigned char* outer, std::span<const uint8_t> in,
                uint64_t window, uint8_t* out) {
  typename Ops::Ctx c;
  std::memcpy(&c, inner, sizeof(c));
  if (window != kNoWindow) {
    uint8_t t[kTimeWindowPrefixSize];
    internal::StoreBigEndian64(window, t);
    Ops::Update(&c, t, sizeof(t));
  }
  Ops::Update(&c, in.data(), in.size());
  uint8_t inner_hash[Ops::kDigest];
  Ops::Final(inner_hash, &c);
  std::memcpy(&c, outer, sizeof(c));
  Ops::Update(&c, inner_hash, sizeof(inner_hash));
  Ops::Final(out, &c);
}

}  // namespace

absl::StatusOr<PreparedHmac> PreparedHmac::Create(HmacSuite suite, std::span<const uint8_t> key) {
  if (suite == HmacSuite::kNone) {
    return absl::InvalidArgumentError("HMAC suite none cannot be keyed");
  }
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HMAC key length 0 for ", util::ToAbsl(HmacSuiteName(suite)), ": a key is required"));
  }
  PreparedHmac h;
  h.suite_ = suite;
  if (suite == HmacSuite::kSha1) {
    PrepareStates<Sha1Ops>(key, h.inner_, h.outer_);
  } else {
    PrepareStates<Sha256Ops>(key, h.inner_, h.outer_);
  }
  return h;
}

PreparedHmac::PreparedHmac(PreparedHmac&& other) noexcept : suite_(other.suite_) {
  std::memcpy(inner_, other.inner_, sizeof(inner_));
  std::memcpy(outer_, other.outer_, sizeof(outer_));
  OPENSSL_cleanse(other.inner_, sizeof(other.inner_));
  OPENSSL_cleanse(other.outer_, sizeof(other.outer_));
  other.suite_ = HmacSuite::kNone;
}

PreparedHmac& PreparedHmac::operator=(PreparedHmac&& other) noexcept {
  if (this != &other) {
    suite_ = std::exchange(other.suite_, HmacSuite::kNone);
    std::memcpy(inner_, other.inner_, sizeof(inner_));
    std::memcpy(outer_, other.outer_, sizeof(outer_));
    OPENSSL_cleanse(other.inner_, sizeof(other.inner_));
    OPENSSL_cleanse(other.outer_, sizeof(other.outer_));
  }
  return *this;
}

PreparedHmac::~PreparedHmac() {
  OPENSSL_cleanse(inner_, sizeof(inner_));
  OPENSSL_cleanse(outer_, sizeof(outer_));
}

void PreparedHmac::Compute(std::span<const uint8_t> in, uint64_t window,
                           uint8_t* out) const noexcept {
  if (suite_ == HmacSuite::kSha1) {
    ComputeMac<Sha1Ops>(inner_, outer_, in, window, out);
  } else {
    ComputeMac<Sha256Ops>(inner_, outer_, in, window, out);
  }
}

CryptoResult PreparedHmac::Sign(std::span<const uint8_t> in, uint64_t window,
                                std::span<uint8_t> tag_out) const noexcept {
  const size_t n = tag_size();
  if (n == 0) return CryptoResult::kNotConfigured;
  if (tag_out.size() < n) return CryptoResult::kBufferTooSmall;
  uint8_t mac[SHA256_DIGEST_LENGTH];
  Compute(in, window, mac);
  std::memcpy(tag_out.data(), mac, n);
  return CryptoResult::kOk;
}

bool PreparedHmac::Matches(std::span<const uint8_t> in, uint64_t window,
                           std::span<const uint8_t> tag) const noexcept {
  const size_t n = tag_size();
  if (n == 0 || tag.size() != n) return false;
  uint8_t mac[SHA256_DIGEST_LENGTH];
  Compute(in, window, mac);
  return CRYPTO_memcmp(mac, tag.data(), n) == 0;
}

CryptoResult PreparedHmac::Verify(std::span<const uint8_t> in, std::span<const uint8_t> tag,
                                  HmacMode mode, uint64_t now_ms,
                                  const TimePolicy& time) const noexcept {
  if (tag_size() == 0) return CryptoResult::kNotConfigured;
  if (tag.size() != tag_size()) return CryptoResult::kTooShort;
  if (mode == HmacMode::kRegular) {
    return Matches(in, kNoWindow, tag) ? CryptoResult::kOk : CryptoResult::kBadTag;
  }
  const uint64_t t = TimeWindowOf(now_ms, time.window_ms);
  // Current window first: with synchronised clocks and sub-window delay it is the common case.
  if (Matches(in, t, tag)) return CryptoResult::kOk;
  if (t >= 1 && Matches(in, t - 1, tag)) return CryptoResult::kOk;
  if (Matches(in, t + 1, tag)) return CryptoResult::kOk;
  for (uint64_t k = 2; k < 2 + uint64_t{time.stale_probe_windows}; ++k) {
    if (t >= k && Matches(in, t - k, tag)) return CryptoResult::kStale;
    if (Matches(in, t + k, tag)) return CryptoResult::kStale;
  }
  return CryptoResult::kBadTag;
}

}  // namespace ssr::crypto
