// SPDX-License-Identifier: Apache-2.0
// Burst sealing with intel-ipsec-mb (crypto/burst.h) against the OpenSSL reference path
// (AesCbc::EncryptInPlace + IV trailer, then PreparedHmac::Sign): byte-identical on random
// packets, every size class, both key sizes, both tag sizes, regular and time-based HMAC.
#include <catch2/catch.hpp>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "crypto/burst.h"
#include "crypto/cbc.h"
#include "crypto/hmac.h"

namespace ssr::crypto {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Random(std::mt19937& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// The OpenSSL path: what PacketCrypto::SealPayload + PacketCrypto::Sign produce for this IV.
Bytes Reference(CipherSuite cipher, const Bytes& ckey, HmacSuite hmac, const Bytes& hkey,
                uint64_t window, const Bytes& prefix, const Bytes& payload, const Iv& iv) {
  auto cbc = AesCbc::Create(cipher, ckey);
  REQUIRE(cbc.ok());
  auto h = PreparedHmac::Create(hmac, hkey);
  REQUIRE(h.ok());
  Bytes out(prefix.size() + CbcPaddedSize(payload.size()) + kCbcIvSize + h->tag_size());
  std::copy(prefix.begin(), prefix.end(), out.begin());
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<long>(prefix.size()));
  size_t ct = 0;
  REQUIRE(cbc->EncryptInPlace(std::span<uint8_t>(out).subspan(prefix.size()), payload.size(), iv,
                              &ct) == CryptoResult::kOk);
  std::copy(iv.begin(), iv.end(), out.begin() + static_cast<long>(prefix.size() + ct));
  const size_t len = prefix.size() + ct + kCbcIvSize;
  REQUIRE(h->Sign(std::span<const uint8_t>(out).first(len), window,
                  std::span<uint8_t>(out).subspan(len)) == CryptoResult::kOk);
  return out;
}

TEST_CASE("BurstSealer reports why it is unavailable, or seals", "[crypto][burst]") {
  const Bytes k32(32, 7);
  auto s = BurstSealer::Create(CipherSuite::kAes256Cbc, k32, HmacSuite::kSha256_128, k32,
                               HmacMode::kTimeBased, 2000);
  if (!BurstCryptoBuilt()) {
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kUnavailable);
    CHECK(std::string(s.status().message()).find("libipsec-mb-dev") != std::string::npos);
    return;
  }
  if (!s.ok()) {
    CHECK(s.status().code() == absl::StatusCode::kUnavailable);
    WARN("burst sealing unavailable on this CPU: " << s.status().message());
    return;
  }
  CHECK((*s)->tag_size() == 16);
  CHECK_FALSE((*s)->arch().empty());
}

TEST_CASE("BurstSealer refuses other suites and wrong key sizes, naming them", "[crypto][burst]") {
  const Bytes k32(32, 7), k16(16, 7);
  auto gcm = BurstSealer::Create(CipherSuite::kAes256Gcm, k32, HmacSuite::kSha256, k32,
                                 HmacMode::kRegular, 0);
  auto size = BurstSealer::Create(CipherSuite::kAes256Cbc, k16, HmacSuite::kSha256, k32,
                                  HmacMode::kRegular, 0);
  auto sha1 = BurstSealer::Create(CipherSuite::kAes128Cbc, k16, HmacSuite::kSha1, k32,
                                  HmacMode::kRegular, 0);
  if (!BurstCryptoBuilt()) return;  // Unavailable before any check (previous test)
  REQUIRE_FALSE(gcm.ok());
  CHECK(gcm.status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE_FALSE(size.ok());
  CHECK(std::string(size.status().message()).find("got 16") != std::string::npos);
  REQUIRE_FALSE(sha1.ok());
  CHECK(sha1.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("BurstSealer output is byte-identical to the OpenSSL path on random bursts",
          "[crypto][burst]") {
  if (!BurstCryptoBuilt()) return;
  std::mt19937 rng(20261206);
  struct Case {
    CipherSuite cipher;
    HmacSuite hmac;
    HmacMode mode;
    size_t hmac_key_len;
  };
  const Case cases[] = {
      {CipherSuite::kAes256Cbc, HmacSuite::kSha256_128, HmacMode::kTimeBased, 32},
      {CipherSuite::kAes256Cbc, HmacSuite::kSha256, HmacMode::kRegular, 64},
      {CipherSuite::kAes128Cbc, HmacSuite::kSha256_128, HmacMode::kRegular, 16},
      {CipherSuite::kAes128Cbc, HmacSuite::kSha256, HmacMode::kTimeBased, 100},  // hashed key
  };
  const uint64_t now_ms = 1'796'000'123'456;
  for (const Case& c : cases) {
    const Bytes ckey = Random(rng, CipherKeySize(c.cipher));
    const Bytes hkey = Random(rng, c.hmac_key_len);
    auto sealer = BurstSealer::Create(c.cipher, ckey, c.hmac, hkey, c.mode, 2000);
    if (!sealer.ok()) {
      WARN(sealer.status().message());
      return;
    }
    const uint64_t window = c.mode == HmacMode::kTimeBased ? TimeWindowOf(now_ms, 2000) : kNoWindow;
    for (int round = 0; round < 20; ++round) {
      const size_t n = 1 + rng() % BurstSealer::kMaxBurst;
      constexpr size_t kHeader = 28;  // IPv4 + UDP header in front of the region
      std::vector<Bytes> frames(n), prefixes(n), payloads(n), expected(n);
      std::vector<Iv> ivs(n);
      std::vector<SealJob> jobs(n);
      for (size_t i = 0; i < n; ++i) {
        // Sizes around every padding case, empty payloads and full-size packets.
        const size_t plen = (i % 5 == 0) ? rng() % 33 : rng() % 1501;
        prefixes[i] = Random(rng, (i % 3 == 0) ? 0 : rng() % 120);
        payloads[i] = Random(rng, plen);
        Bytes ivb = Random(rng, kCbcIvSize);
        std::copy(ivb.begin(), ivb.end(), ivs[i].begin());
        expected[i] = Reference(c.cipher, ckey, c.hmac, hkey, window, prefixes[i], payloads[i], ivs[i]);
        frames[i] = Random(rng, kHeader + expected[i].size() + rng() % 40);
        const Bytes header(frames[i].begin(), frames[i].begin() + kHeader);
        std::copy(prefixes[i].begin(), prefixes[i].end(), frames[i].begin() + kHeader);
        std::copy(payloads[i].begin(), payloads[i].end(),
                  frames[i].begin() + static_cast<long>(kHeader + prefixes[i].size()));
        jobs[i].buffer = frames[i];
        jobs[i].region_offset = kHeader;
        jobs[i].prefix_len = prefixes[i].size();
        jobs[i].payload_len = payloads[i].size();
        jobs[i].iv = ivs[i].data();
      }
      std::vector<Bytes> headers(n);
      for (size_t i = 0; i < n; ++i) headers[i] = Bytes(frames[i].begin(), frames[i].begin() + kHeader);
      (*sealer)->Seal(jobs, now_ms);
      for (size_t i = 0; i < n; ++i) {
        INFO("case cipher " << static_cast<int>(c.cipher) << " round " << round << " packet " << i
                            << " payload " << payloads[i].size() << " prefix " << prefixes[i].size());
        REQUIRE(jobs[i].result == CryptoResult::kOk);
        REQUIRE(jobs[i].out_len == expected[i].size());
        const Bytes got(frames[i].begin() + kHeader,
                        frames[i].begin() + static_cast<long>(kHeader + jobs[i].out_len));
        CHECK(got == expected[i]);
        // The header in front (where the time window was written for the job) is restored.
        CHECK(Bytes(frames[i].begin(), frames[i].begin() + kHeader) == headers[i]);
      }
    }
  }
}

TEST_CASE("BurstSealer refuses a job that does not fit, and seals the others of its burst",
          "[crypto][burst]") {
  if (!BurstCryptoBuilt()) return;
  const Bytes k(32, 3);
  auto sealer = BurstSealer::Create(CipherSuite::kAes256Cbc, k, HmacSuite::kSha256_128, k,
                                    HmacMode::kTimeBased, 2000);
  if (!sealer.ok()) return;
  const Iv iv{};
  // 100 bytes pad to 112; then 16 of IV and 16 of tag.
  Bytes fits(8 + 112 + 16 + 16), tight(8 + 112 + 16 + 15), nohead(112 + 32);
  std::vector<SealJob> jobs(3);
  jobs[0] = {fits, 8, 0, 100, iv.data()};
  jobs[1] = {tight, 8, 0, 100, iv.data()};   // one byte short of padding + IV + tag
  jobs[2] = {nohead, 0, 0, 100, iv.data()};  // no room for the 8-byte window in front
  const Bytes tight_before = tight;
  (*sealer)->Seal(jobs, 1'796'000'000'000);
  CHECK(jobs[0].result == CryptoResult::kOk);
  CHECK(jobs[0].out_len == 100 + 12 + 16 + 16);
  CHECK(jobs[1].result == CryptoResult::kBufferTooSmall);
  CHECK(tight == tight_before);
  CHECK(jobs[2].result == CryptoResult::kTooShort);
}

}  // namespace
}  // namespace ssr::crypto
