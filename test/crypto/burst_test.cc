// SPDX-License-Identifier: Apache-2.0
// Burst sealing with intel-ipsec-mb (crypto/burst.h) against the OpenSSL reference path
// (AesCbc::EncryptInPlace + IV trailer, then PreparedHmac::Sign): byte-identical on random
// packets, every size class, both key sizes, both tag sizes, regular and time-based HMAC.
#include <catch2/catch.hpp>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "burst_test_util.h"
#include "crypto/burst.h"
#include "crypto/cbc.h"
#include "crypto/hmac.h"
#include "crypto/key_store.h"
#include "crypto/packet_crypto.h"

namespace ssr::crypto {
namespace {

using Bytes = std::vector<uint8_t>;

using testing::Headers;
using testing::PlaceForSeal;
using testing::Random;
using testing::RandomIv;

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
        ivs[i] = RandomIv(rng);
        expected[i] = Reference(c.cipher, ckey, c.hmac, hkey, window, prefixes[i], payloads[i], ivs[i]);
        frames[i] = Random(rng, kHeader + expected[i].size() + rng() % 40);
        jobs[i] = PlaceForSeal(frames[i], kHeader, prefixes[i], payloads[i]);
        jobs[i].iv = ivs[i].data();
      }
      const std::vector<Bytes> headers = Headers(frames, kHeader);
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


TEST_CASE("A keyless engine seals jobs that bring their own keys, several keys in one burst, "
          "byte-identical to the OpenSSL path", "[crypto][burst]") {
  if (!BurstCryptoBuilt()) return;
  auto engine = BurstSealer::CreateEngine();
  if (!engine.ok()) {
    WARN(engine.status().message());
    return;
  }
  std::mt19937 rng(7);
  const uint64_t now_ms = 1'796'000'123'456;
  // Two services' payload keys, two peers' hop keys (one time-based, one regular), mixed.
  const Bytes c1 = Random(rng, 32), c2 = Random(rng, 16);
  const Bytes h1 = Random(rng, 32), h2 = Random(rng, 48);
  BurstCipherKey bc1, bc2;
  BurstHmacKey bh1, bh2;
  REQUIRE(PrepareBurstCipherKey(CipherSuite::kAes256Cbc, c1, &bc1).ok());
  REQUIRE(PrepareBurstCipherKey(CipherSuite::kAes128Cbc, c2, &bc2).ok());
  REQUIRE(PrepareBurstHmacKey(HmacSuite::kSha256_128, h1, HmacMode::kTimeBased, 2000, &bh1).ok());
  REQUIRE(PrepareBurstHmacKey(HmacSuite::kSha256, h2, HmacMode::kRegular, 0, &bh2).ok());
  CHECK_FALSE(PrepareBurstCipherKey(CipherSuite::kAes256Gcm, c1, &bc1).ok());
  CHECK_FALSE(PrepareBurstHmacKey(HmacSuite::kSha1, h1, HmacMode::kRegular, 0, &bh1).ok());
  constexpr size_t kHeader = 28;
  const size_t n = 40;
  std::vector<Bytes> frames(n), expected(n);
  std::vector<Iv> ivs(n);
  std::vector<SealJob> jobs(n);
  for (size_t i = 0; i < n; ++i) {
    const bool first_cipher = (i % 2) == 0, first_hmac = (i % 3) != 0;
    const Bytes prefix = Random(rng, i % 4 == 0 ? 40 : 0);
    const Bytes payload = Random(rng, rng() % 1500);
    ivs[i] = RandomIv(rng);
    expected[i] = Reference(first_cipher ? CipherSuite::kAes256Cbc : CipherSuite::kAes128Cbc,
                            first_cipher ? c1 : c2,
                            first_hmac ? HmacSuite::kSha256_128 : HmacSuite::kSha256,
                            first_hmac ? h1 : h2,
                            first_hmac ? TimeWindowOf(now_ms, 2000) : kNoWindow, prefix, payload,
                            ivs[i]);
    frames[i] = Random(rng, kHeader + expected[i].size());
    jobs[i] = PlaceForSeal(frames[i], kHeader, prefix, payload);
    jobs[i].iv = ivs[i].data();
    jobs[i].cipher_key = first_cipher ? &bc1 : &bc2;
    jobs[i].hmac_key = first_hmac ? &bh1 : &bh2;
  }
  SealJob keyless = jobs[0];
  keyless.cipher_key = nullptr;
  jobs.push_back(keyless);  // the engine has no keys of its own
  (*engine)->Seal(jobs, now_ms);
  for (size_t i = 0; i < n; ++i) {
    INFO("packet " << i);
    REQUIRE(jobs[i].result == CryptoResult::kOk);
    CHECK(Bytes(frames[i].begin() + kHeader, frames[i].end()) == expected[i]);
  }
  CHECK(jobs[n].result == CryptoResult::kNotConfigured);
}

TEST_CASE("PacketCrypto's burst keys seal what its scalar path opens, with IVs from its own "
          "generator, and count as the scalar path does", "[crypto][burst]") {
  if (!BurstCryptoBuilt()) return;
  auto engine = BurstSealer::CreateEngine();
  if (!engine.ok()) return;
  std::mt19937 rng(11);
  const Bytes ckey = Random(rng, 32), hkey = Random(rng, 32);
  const uint64_t now_ms = 1'796'000'000'000;
  SecurityPolicy payload_policy;
  payload_policy.hmac = HmacSuite::kNone;
  SecurityPolicy hop_policy;  // defaults: sha256-128 time-based
  hop_policy.cipher = CipherSuite::kNone;
  auto snap = [](Bytes h, Bytes c) {
    std::vector<KeyEntry> e(1);
    e[0].id = 5;
    e[0].material = KeyMaterial(std::move(h), std::move(c));
    return KeySnapshot(1, std::move(e));
  };
  auto payload = PacketCrypto::Create(payload_policy, snap({}, ckey));
  auto hop = PacketCrypto::Create(hop_policy, snap(hkey, {}));
  auto payload_rx = PacketCrypto::Create(payload_policy, snap({}, ckey));
  auto hop_rx = PacketCrypto::Create(hop_policy, snap(hkey, {}));
  REQUIRE((payload.ok() && hop.ok() && payload_rx.ok() && hop_rx.ok()));
  REQUIRE((*hop)->BurstSignKey() != nullptr);
  Iv iv{};
  CHECK((*payload)->BurstPayloadKey(6, now_ms, iv) == nullptr);  // unknown id: scalar path
  CHECK((*payload)->counters().Get(CryptoCounter::kSealed) == 0);
  constexpr size_t kHeader = 28;
  const size_t n = 16;
  std::vector<Bytes> frames(n), plain(n);
  std::vector<Iv> ivs(n);
  std::vector<SealJob> jobs(n);
  for (size_t i = 0; i < n; ++i) {
    plain[i] = Random(rng, 1 + rng() % 1400);
    frames[i] = Bytes(kHeader + plain[i].size() + 64, 0);
    std::copy(plain[i].begin(), plain[i].end(), frames[i].begin() + kHeader);
    jobs[i].buffer = frames[i];
    jobs[i].region_offset = kHeader;
    jobs[i].payload_len = plain[i].size();
    jobs[i].cipher_key = (*payload)->BurstPayloadKey(5, now_ms, ivs[i]);
    REQUIRE(jobs[i].cipher_key != nullptr);
    jobs[i].iv = ivs[i].data();
    jobs[i].hmac_key = (*hop)->BurstSignKey();
    (*hop)->CountBurstSigned();
  }
  CHECK(ivs[0] != ivs[1]);
  (*engine)->Seal(jobs, now_ms);
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(jobs[i].result == CryptoResult::kOk);
    std::span<uint8_t> region = std::span<uint8_t>(frames[i]).subspan(kHeader, jobs[i].out_len);
    size_t len = 0, plen = 0;
    REQUIRE((*hop_rx)->Verify(5, region, now_ms, &len) == CryptoResult::kOk);
    REQUIRE((*payload_rx)->OpenPayload(5, region, 0, len, now_ms, &plen) == CryptoResult::kOk);
    CHECK(Bytes(region.begin(), region.begin() + static_cast<long>(plen)) == plain[i]);
  }
  CHECK((*payload)->counters().Get(CryptoCounter::kSealed) == n);
  CHECK((*hop)->counters().Get(CryptoCounter::kSigned) == n);
}

TEST_CASE("HMAC-only jobs (no encryption) carry OpenSSL's tag, mixed with sealing jobs",
          "[crypto][burst]") {
  if (!BurstCryptoBuilt()) return;
  auto engine = BurstSealer::CreateEngine();
  if (!engine.ok()) return;
  std::mt19937 rng(5);
  const uint64_t now_ms = 1'796'000'123'456;
  const Bytes ckey = Random(rng, 32), hkey = Random(rng, 32);
  BurstCipherKey bc;
  BurstHmacKey timed, regular;
  REQUIRE(PrepareBurstCipherKey(CipherSuite::kAes256Cbc, ckey, &bc).ok());
  REQUIRE(
      PrepareBurstHmacKey(HmacSuite::kSha256_128, hkey, HmacMode::kTimeBased, 2000, &timed).ok());
  REQUIRE(PrepareBurstHmacKey(HmacSuite::kSha256, hkey, HmacMode::kRegular, 0, &regular).ok());
  auto h128 = PreparedHmac::Create(HmacSuite::kSha256_128, hkey);
  auto h256 = PreparedHmac::Create(HmacSuite::kSha256, hkey);
  REQUIRE((h128.ok() && h256.ok()));
  constexpr size_t kHeader = 28;
  const size_t n = 33;
  std::vector<Bytes> frames(n), expected(n);
  std::vector<Iv> ivs(n);
  std::vector<SealJob> jobs(n);
  for (size_t i = 0; i < n; ++i) {
    const bool encrypt = i % 3 == 0, is_timed = i % 2 == 0;
    const Bytes prefix = Random(rng, i % 4 == 0 ? 30 : 0);
    const Bytes payload = Random(rng, rng() % 1500);
    ivs[i] = RandomIv(rng);
    const uint64_t window = is_timed ? TimeWindowOf(now_ms, 2000) : kNoWindow;
    const HmacSuite suite = is_timed ? HmacSuite::kSha256_128 : HmacSuite::kSha256;
    if (encrypt) {
      expected[i] = Reference(CipherSuite::kAes256Cbc, ckey, suite, hkey, window, prefix, payload,
                              ivs[i]);
    } else {
      expected[i] = prefix;
      expected[i].insert(expected[i].end(), payload.begin(), payload.end());
      const size_t len = expected[i].size();
      expected[i].resize(len + HmacTagSize(suite));
      REQUIRE((is_timed ? *h128 : *h256)
                  .Sign(std::span<const uint8_t>(expected[i]).first(len), window,
                        std::span<uint8_t>(expected[i]).subspan(len)) == CryptoResult::kOk);
    }
    frames[i] = Random(rng, kHeader + expected[i].size());
    jobs[i] = PlaceForSeal(frames[i], kHeader, prefix, payload);
    jobs[i].encrypt = encrypt;
    jobs[i].iv = encrypt ? ivs[i].data() : nullptr;
    jobs[i].cipher_key = encrypt ? &bc : nullptr;
    jobs[i].hmac_key = is_timed ? &timed : &regular;
  }
  const std::vector<Bytes> headers = Headers(frames, kHeader);
  (*engine)->Seal(jobs, now_ms);
  for (size_t i = 0; i < n; ++i) {
    INFO("packet " << i << " encrypt " << jobs[i].encrypt);
    REQUIRE(jobs[i].result == CryptoResult::kOk);
    CHECK(jobs[i].out_len == expected[i].size());
    CHECK(Bytes(frames[i].begin() + kHeader, frames[i].end()) == expected[i]);
    CHECK(Bytes(frames[i].begin(), frames[i].begin() + kHeader) == headers[i]);
  }
}

}  // namespace
}  // namespace ssr::crypto
