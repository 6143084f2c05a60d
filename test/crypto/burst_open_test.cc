// SPDX-License-Identifier: Apache-2.0
// Burst opening with intel-ipsec-mb (crypto/burst.h BurstOpener) against the OpenSSL reference
// path (PreparedHmac::Verify, then PacketCrypto::OpenPayload's length checks and
// AesCbc::DecryptInPlace): the same verdict for every packet and byte-identical plaintext, on
// random bursts that mix good packets with bad tags, corrupted ciphertext, bad padding, windows
// T-1 / T+1 (accepted), T±2 (stale), T-3 (bad), short packets and odd ciphertext lengths; and
// the known answers of RFC 4231 (HMAC-SHA256) and NIST SP 800-38A F.2.6 (AES-256-CBC decrypt).
#include <catch2/catch.hpp>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "burst_test_util.h"
#include "crypto/burst.h"
#include "crypto/cbc.h"
#include "crypto/hmac.h"
#include "crypto_test_util.h"

namespace ssr::crypto {
namespace {

using Bytes = std::vector<uint8_t>;

using testing::Headers;
using testing::Hex;
using testing::Random;
using testing::RandomIv;

// The one-at-a-time OpenSSL receive path on region = [prefix][ct][IV][tag].
CryptoResult ScalarOpen(const PreparedHmac& h, AesCbc& cbc, HmacMode mode, uint64_t now_ms,
                        const TimePolicy& time, Bytes& region, size_t prefix_len, bool decrypt,
                        size_t* payload_len) {
  const size_t n = h.tag_size();
  if (region.size() < n) return CryptoResult::kTooShort;
  const size_t authed = region.size() - n;
  const CryptoResult r = h.Verify(std::span<const uint8_t>(region).first(authed),
                                  std::span<const uint8_t>(region).subspan(authed), mode, now_ms,
                                  time);
  if (r != CryptoResult::kOk) return r;
  if (authed < prefix_len) return CryptoResult::kTooShort;
  const size_t body = authed - prefix_len;
  if (!decrypt) {
    *payload_len = body;
    return CryptoResult::kOk;
  }
  if (body < kCbcIvSize + kAesBlockSize) return CryptoResult::kTooShort;
  const size_t ct_len = body - kCbcIvSize;
  Iv iv;
  std::copy_n(region.begin() + static_cast<long>(prefix_len + ct_len), kCbcIvSize, iv.begin());
  return cbc.DecryptInPlace(std::span<uint8_t>(region).subspan(prefix_len, ct_len), iv,
                            payload_len);
}

enum class Mutation { kNone, kBadTag, kCorruptCt, kBadPadding, kOddLength, kShortBody, kNoTag,
                      kWindowMinus1, kWindowPlus1, kWindowMinus2, kWindowPlus2, kWindowMinus3,
                      kHashOnly, kCount };

// A region sealed by the OpenSSL path, then changed as `m` says.
Bytes Make(std::mt19937& rng, AesCbc& cbc, const PreparedHmac& h, HmacMode mode, uint64_t t,
           size_t prefix_len, Mutation m) {
  const Bytes prefix = Random(rng, prefix_len);
  Bytes out = prefix;
  const uint64_t window = mode == HmacMode::kRegular        ? kNoWindow
                          : m == Mutation::kWindowMinus1 ? t - 1
                          : m == Mutation::kWindowPlus1  ? t + 1
                          : m == Mutation::kWindowMinus2 ? t - 2
                          : m == Mutation::kWindowPlus2  ? t + 2
                          : m == Mutation::kWindowMinus3 ? t - 3
                                                         : t;
  if (m == Mutation::kShortBody || m == Mutation::kOddLength || m == Mutation::kHashOnly) {
    // A body that is no CBC trailer: too short, not a block multiple, or clear (HMAC only).
    const size_t len = m == Mutation::kShortBody ? rng() % 32
                       : m == Mutation::kOddLength ? 32 + 16 * (rng() % 20) + 1 + rng() % 15
                                                   : rng() % 1400;
    const Bytes body = Random(rng, len);
    out.insert(out.end(), body.begin(), body.end());
  } else {
    const size_t plen = m == Mutation::kBadPadding ? 16 * (1 + rng() % 80) : rng() % 1401;
    Bytes p = Random(rng, plen);
    const Iv iv = RandomIv(rng);
    Bytes ct(CbcPaddedSize(plen));
    std::copy(p.begin(), p.end(), ct.begin());
    size_t ct_len = 0;
    REQUIRE(cbc.EncryptInPlace(ct, plen, iv, &ct_len) == CryptoResult::kOk);
    if (m == Mutation::kBadPadding) {
      // Drop the padding block: the plaintext's own last byte is the "padding", random (a few
      // happen to be valid, both paths must agree on those too).
      ct_len -= kAesBlockSize;
    }
    out.insert(out.end(), ct.begin(), ct.begin() + static_cast<long>(ct_len));
    out.insert(out.end(), iv.begin(), iv.end());
    if (m == Mutation::kCorruptCt) out[prefix_len + rng() % ct_len] ^= 0x40;
  }
  if (m == Mutation::kNoTag) {
    out.resize(rng() % h.tag_size());
    return out;
  }
  const size_t authed = out.size();
  out.resize(authed + h.tag_size());
  REQUIRE(h.Sign(std::span<const uint8_t>(out).first(authed), window,
                 std::span<uint8_t>(out).subspan(authed)) == CryptoResult::kOk);
  if (m == Mutation::kCorruptCt && authed > prefix_len) {
    // Corrupt after signing: the tag no longer matches.
    out[prefix_len] ^= 0x01;
  }
  if (m == Mutation::kBadTag) out[authed + rng() % h.tag_size()] ^= 0x80;
  return out;
}

TEST_CASE("BurstOpener gives the OpenSSL path's verdict and bytes on random mixed bursts",
          "[crypto][burst]") {
  auto opener = BurstOpener::Create();
  if (!BurstCryptoBuilt()) {
    REQUIRE_FALSE(opener.ok());
    CHECK(opener.status().code() == absl::StatusCode::kUnavailable);
    return;
  }
  if (!opener.ok()) {
    CHECK(opener.status().code() == absl::StatusCode::kUnavailable);
    WARN("burst opening unavailable on this CPU: " << opener.status().message());
    return;
  }
  std::mt19937 rng(20261207);
  struct Case {
    CipherSuite cipher;
    HmacSuite hmac;
    HmacMode mode;
    size_t hmac_key_len;
    uint32_t probes;
  };
  const Case cases[] = {
      {CipherSuite::kAes256Cbc, HmacSuite::kSha256_128, HmacMode::kTimeBased, 32, 1},
      {CipherSuite::kAes256Cbc, HmacSuite::kSha256, HmacMode::kRegular, 64, 1},
      {CipherSuite::kAes128Cbc, HmacSuite::kSha256_128, HmacMode::kTimeBased, 100, 0},
      {CipherSuite::kAes128Cbc, HmacSuite::kSha256, HmacMode::kTimeBased, 16, 2},
  };
  const uint64_t now_ms = 1'796'000'123'456;
  constexpr uint32_t kWindowMs = 2000;
  const uint64_t t = TimeWindowOf(now_ms, kWindowMs);
  size_t seen[static_cast<size_t>(CryptoResult::kCipherError) + 1] = {};
  for (const Case& c : cases) {
    const Bytes ckey = Random(rng, CipherKeySize(c.cipher));
    const Bytes hkey = Random(rng, c.hmac_key_len);
    auto cbc_ref = AesCbc::Create(c.cipher, ckey);
    auto cbc_seal = AesCbc::Create(c.cipher, ckey);
    auto h = PreparedHmac::Create(c.hmac, hkey);
    REQUIRE(cbc_ref.ok());
    REQUIRE(cbc_seal.ok());
    REQUIRE(h.ok());
    BurstCipherKey bck;
    BurstHmacKey bhk;
    REQUIRE(PrepareBurstCipherKey(c.cipher, ckey, &bck).ok());
    REQUIRE(PrepareBurstHmacKey(c.hmac, hkey, c.mode, kWindowMs, &bhk).ok());
    bhk.stale_probe_windows = c.probes;
    const TimePolicy time{kWindowMs, c.probes};
    for (int round = 0; round < 12; ++round) {
      const size_t n = 1 + rng() % BurstOpener::kMaxBurst;
      constexpr size_t kHeader = 28;
      std::vector<Bytes> frames(n), regions(n);
      std::vector<OpenJob> jobs(n);
      std::vector<Mutation> muts(n);
      for (size_t i = 0; i < n; ++i) {
        // Half the packets are good; the rest cycle through every mutation.
        muts[i] = rng() % 2 == 0 ? Mutation::kNone
                                 : static_cast<Mutation>(rng() % static_cast<int>(Mutation::kCount));
        const size_t prefix_len = i % 3 == 0 ? 8 + rng() % 100 : 0;
        regions[i] = Make(rng, *cbc_seal, *h, c.mode, t, prefix_len, muts[i]);
        frames[i] = Random(rng, kHeader + regions[i].size() + rng() % 40);
        std::copy(regions[i].begin(), regions[i].end(), frames[i].begin() + kHeader);
        jobs[i].buffer = frames[i];
        jobs[i].region_offset = kHeader;
        jobs[i].region_len = regions[i].size();
        jobs[i].prefix_len = prefix_len;
        jobs[i].cipher_key = &bck;
        jobs[i].hmac_key = &bhk;
        jobs[i].decrypt = muts[i] != Mutation::kHashOnly;
      }
      const std::vector<Bytes> headers = Headers(frames, kHeader);
      (*opener)->Open(jobs, now_ms);
      for (size_t i = 0; i < n; ++i) {
        INFO("case hmac " << static_cast<int>(c.hmac) << " mode " << static_cast<int>(c.mode)
                          << " round " << round << " packet " << i << " mutation "
                          << static_cast<int>(muts[i]) << " len " << regions[i].size());
        size_t ref_len = 0;
        Bytes copy = regions[i];  // before the reference decrypts regions[i] in place
        const CryptoResult want = ScalarOpen(*h, *cbc_ref, c.mode, now_ms, time, regions[i],
                                             jobs[i].prefix_len, jobs[i].decrypt, &ref_len);
        REQUIRE(jobs[i].result == want);
        // `verified` tells a decryption failure from a tag failure.
        size_t unused = 0;
        const bool tag_ok = ScalarOpen(*h, *cbc_ref, c.mode, now_ms, time, copy,
                                       jobs[i].prefix_len, false, &unused) == CryptoResult::kOk;
        CHECK(jobs[i].verified == tag_ok);
        ++seen[static_cast<size_t>(want)];
        CHECK(Bytes(frames[i].begin(), frames[i].begin() + kHeader) == headers[i]);
        if (want != CryptoResult::kOk) continue;
        REQUIRE(jobs[i].payload_len == ref_len);
        const auto at = frames[i].begin() + static_cast<long>(kHeader + jobs[i].prefix_len);
        const auto ref_at = regions[i].begin() + static_cast<long>(jobs[i].prefix_len);
        CHECK(Bytes(at, at + static_cast<long>(ref_len)) == Bytes(ref_at, ref_at + static_cast<long>(ref_len)));
        // The prefix (metadata) is left alone.
        CHECK(Bytes(frames[i].begin() + kHeader, at) ==
              Bytes(regions[i].begin(), regions[i].begin() + static_cast<long>(jobs[i].prefix_len)));
      }
    }
  }
  // The random mix reached every verdict the receive path can give.
  CHECK(seen[static_cast<size_t>(CryptoResult::kOk)] > 0);
  CHECK(seen[static_cast<size_t>(CryptoResult::kBadTag)] > 0);
  CHECK(seen[static_cast<size_t>(CryptoResult::kStale)] > 0);
  CHECK(seen[static_cast<size_t>(CryptoResult::kTooShort)] > 0);
  CHECK(seen[static_cast<size_t>(CryptoResult::kNotBlockMultiple)] > 0);
  CHECK(seen[static_cast<size_t>(CryptoResult::kBadPadding)] > 0);
}

TEST_CASE("BurstOpener refuses jobs without keys or room for the window, opens the others",
          "[crypto][burst]") {
  auto opener = BurstOpener::Create();
  if (!opener.ok()) return;
  std::mt19937 rng(3);
  const Bytes k = Random(rng, 32);
  auto cbc = AesCbc::Create(CipherSuite::kAes256Cbc, k);
  auto h = PreparedHmac::Create(HmacSuite::kSha256_128, k);
  REQUIRE(cbc.ok());
  REQUIRE(h.ok());
  BurstCipherKey bck;
  BurstHmacKey bhk;
  REQUIRE(PrepareBurstCipherKey(CipherSuite::kAes256Cbc, k, &bck).ok());
  REQUIRE(PrepareBurstHmacKey(HmacSuite::kSha256_128, k, HmacMode::kTimeBased, 2000, &bhk).ok());
  const uint64_t now_ms = 1'796'000'000'000;
  const Bytes region = Make(rng, *cbc, *h, HmacMode::kTimeBased, TimeWindowOf(now_ms, 2000), 0,
                            Mutation::kNone);
  Bytes good(8 + region.size()), nohead = region, nokey(8 + region.size());
  std::copy(region.begin(), region.end(), good.begin() + 8);
  std::copy(region.begin(), region.end(), nokey.begin() + 8);
  std::vector<OpenJob> jobs(3);
  jobs[0] = {good, 8, region.size(), 0, &bck, &bhk, true};
  jobs[1] = {nohead, 0, region.size(), 0, &bck, &bhk, true};  // no room for T in front
  jobs[2] = {nokey, 8, region.size(), 0, nullptr, &bhk, true};
  (*opener)->Open(jobs, now_ms);
  CHECK(jobs[0].result == CryptoResult::kOk);
  CHECK(jobs[1].result == CryptoResult::kBufferTooSmall);
  CHECK(nohead == region);
  CHECK(jobs[2].result == CryptoResult::kNotConfigured);
}

TEST_CASE("BurstOpener reproduces RFC 4231 HMAC-SHA256 and NIST SP 800-38A F.2.6 AES-256-CBC",
          "[crypto][burst]") {
  auto opener = BurstOpener::Create();
  if (!opener.ok()) return;
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  const std::string_view data = "what do ya want for nothing?";
  const Bytes key = {'J', 'e', 'f', 'e'};
  const Bytes mac = Hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  BurstHmacKey full, truncated;
  REQUIRE(PrepareBurstHmacKey(HmacSuite::kSha256, key, HmacMode::kRegular, 0, &full).ok());
  REQUIRE(PrepareBurstHmacKey(HmacSuite::kSha256_128, key, HmacMode::kRegular, 0, &truncated).ok());
  Bytes a(data.begin(), data.end()), b(data.begin(), data.end()), c(data.begin(), data.end());
  a.insert(a.end(), mac.begin(), mac.end());
  b.insert(b.end(), mac.begin(), mac.begin() + 16);  // sha256-128: the leftmost 16 bytes
  c.insert(c.end(), mac.begin() + 16, mac.end());     // the rightmost 16: not the tag
  std::vector<OpenJob> jobs(3);
  jobs[0] = {a, 0, a.size(), 0, nullptr, &full, false};
  jobs[1] = {b, 0, b.size(), 0, nullptr, &truncated, false};
  jobs[2] = {c, 0, c.size(), 0, nullptr, &truncated, false};
  (*opener)->Open(jobs, 0);
  CHECK(jobs[0].result == CryptoResult::kOk);
  CHECK(jobs[0].payload_len == data.size());
  CHECK(jobs[1].result == CryptoResult::kOk);
  CHECK(jobs[2].result == CryptoResult::kBadTag);

  // NIST SP 800-38A F.2.5/F.2.6 (CBC-AES256): the four NIST ciphertext blocks followed by the
  // encryption of one full PKCS#7 block, with the NIST IV as the trailer, under a tag.
  const Bytes ckey = Hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  const Bytes iv = Hex("000102030405060708090a0b0c0d0e0f");
  const Bytes plain = Hex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  const Bytes nist_ct = Hex(
      "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
      "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b");
  auto cbc = AesCbc::Create(CipherSuite::kAes256Cbc, ckey);
  REQUIRE(cbc.ok());
  Bytes region(8 + plain.size() + 16 + 16 + 16);
  std::copy(plain.begin(), plain.end(), region.begin() + 8);
  Iv ivv;
  std::copy(iv.begin(), iv.end(), ivv.begin());
  size_t ct_len = 0;
  REQUIRE(cbc->EncryptInPlace(std::span<uint8_t>(region).subspan(8, plain.size() + 16),
                              plain.size(), ivv, &ct_len) == CryptoResult::kOk);
  REQUIRE(ct_len == plain.size() + 16);
  CHECK(Bytes(region.begin() + 8, region.begin() + 8 + 64) == nist_ct);
  std::copy(iv.begin(), iv.end(), region.begin() + 8 + static_cast<long>(ct_len));
  auto h = PreparedHmac::Create(HmacSuite::kSha256_128, key);
  REQUIRE(h.ok());
  const uint64_t now_ms = 1'796'000'000'000;
  const size_t authed = ct_len + 16;
  REQUIRE(h->Sign(std::span<const uint8_t>(region).subspan(8, authed), TimeWindowOf(now_ms, 2000),
                  std::span<uint8_t>(region).subspan(8 + authed, 16)) == CryptoResult::kOk);
  BurstCipherKey bck;
  BurstHmacKey bhk;
  REQUIRE(PrepareBurstCipherKey(CipherSuite::kAes256Cbc, ckey, &bck).ok());
  REQUIRE(PrepareBurstHmacKey(HmacSuite::kSha256_128, key, HmacMode::kTimeBased, 2000, &bhk).ok());
  std::vector<OpenJob> open(1);
  open[0] = {region, 8, authed + 16, 0, &bck, &bhk, true};
  (*opener)->Open(open, now_ms);
  REQUIRE(open[0].result == CryptoResult::kOk);
  REQUIRE(open[0].payload_len == plain.size());
  CHECK(Bytes(region.begin() + 8, region.begin() + 8 + 64) == plain);
}

}  // namespace
}  // namespace ssr::crypto
