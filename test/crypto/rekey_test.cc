// SPDX-License-Identifier: Apache-2.0
// Automatic rekeying, crypto level (crypto/rekey.h, docs/protocol.md §4.7.1): both ends of a
// peering derive the same epoch keys; router pair, purpose, epoch and organization all change the
// key; a known-answer check against RFC 5869 computed here with plain HMAC-SHA256; epoch key ids;
// PacketCrypto's per-key windows and the rekey_epoch_skew counter.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crypto/hkdf.h"
#include "crypto/packet_crypto.h"
#include "crypto/rekey.h"
#include "crypto_test_util.h"

namespace ssr::crypto {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::Pattern;

std::vector<uint8_t> Master() { return Pattern(32, 0x5a); }

std::vector<uint8_t> Derive(std::string_view org, std::string_view a, std::string_view b,
                            RekeyPurpose purpose, uint64_t epoch, size_t len = 32,
                            const std::vector<uint8_t>& master = Master()) {
  auto k = DeriveEpochKey(master, org, a, b, purpose, epoch, len);
  INFO(k.status().ToString());
  REQUIRE(k.ok());
  return *k;
}

// RFC 5869 with HMAC-SHA256 from OpenSSL's one-shot HMAC(): extract, then expand. Independent of
// EVP_KDF, which crypto/hkdf.cc uses.
std::vector<uint8_t> ReferenceHkdf(const std::vector<uint8_t>& ikm,
                                   const std::vector<uint8_t>& salt,
                                   const std::vector<uint8_t>& info, size_t length) {
  unsigned char prk[32];
  unsigned int n = 0;
  REQUIRE(HMAC(EVP_sha256(), salt.data(), static_cast<int>(salt.size()), ikm.data(), ikm.size(),
               prk, &n) != nullptr);
  REQUIRE(n == 32);
  std::vector<uint8_t> out;
  std::vector<uint8_t> t;
  for (uint8_t i = 1; out.size() < length; ++i) {
    std::vector<uint8_t> in = t;
    in.insert(in.end(), info.begin(), info.end());
    in.push_back(i);
    unsigned char block[32];
    REQUIRE(HMAC(EVP_sha256(), prk, 32, in.data(), in.size(), block, &n) != nullptr);
    t.assign(block, block + 32);
    out.insert(out.end(), t.begin(), t.end());
  }
  out.resize(length);
  return out;
}

TEST_CASE("HkdfSha256 matches RFC 5869 test case 1", "[crypto][rekey]") {
  const auto okm = HkdfSha256(Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                              Hex("000102030405060708090a0b0c"), Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  REQUIRE(okm.ok());
  CHECK(*okm == Hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                    "34007208d5b887185865"));
}

TEST_CASE("Both routers of a peering derive the same epoch keys, whatever their order",
          "[crypto][rekey]") {
  for (const RekeyPurpose p : {RekeyPurpose::kHmac, RekeyPurpose::kCipher}) {
    CHECK(Derive("example-corp", "branch", "datacenter", p, 29'933'333) ==
          Derive("example-corp", "datacenter", "branch", p, 29'933'333));
  }
}

TEST_CASE("Router pair, purpose, epoch, organization and master key each change the epoch key",
          "[crypto][rekey]") {
  const auto base = Derive("example-corp", "branch", "datacenter", RekeyPurpose::kHmac, 100);
  CHECK(base != Derive("example-corp", "branch", "hub", RekeyPurpose::kHmac, 100));
  CHECK(base != Derive("example-corp", "hub", "datacenter", RekeyPurpose::kHmac, 100));
  CHECK(base != Derive("example-corp", "branch", "datacenter", RekeyPurpose::kCipher, 100));
  CHECK(base != Derive("example-corp", "branch", "datacenter", RekeyPurpose::kHmac, 101));
  CHECK(base != Derive("example-corp", "branch", "datacenter", RekeyPurpose::kHmac, 99));
  CHECK(base != Derive("other-corp", "branch", "datacenter", RekeyPurpose::kHmac, 100));
  CHECK(base != Derive("example-corp", "branch", "datacenter", RekeyPurpose::kHmac, 100, 32,
                       Pattern(32, 0x5b)));
  // Moving a byte from one name to the next gives another info (length prefixes), so another key.
  CHECK(Derive("example-corp", "ab", "c", RekeyPurpose::kHmac, 1) !=
        Derive("example-corp", "a", "bc", RekeyPurpose::kHmac, 1));
}

TEST_CASE("Epoch key derivation: known answer against RFC 5869 computed independently",
          "[crypto][rekey]") {
  // The info of the documented encoding, written out by hand: S(org) S(lo) S(hi) S(purpose)
  // epoch(8, BE); "branch" < "datacenter".
  std::vector<uint8_t> info;
  const auto s = [&info](std::string_view x) {
    info.push_back(0);
    info.push_back(static_cast<uint8_t>(x.size()));
    info.insert(info.end(), x.begin(), x.end());
  };
  s("example-corp");
  s("branch");
  s("datacenter");
  s("cipher");
  for (const uint8_t b : {0, 0, 0, 0, 0x01, 0xc8, 0xcc, 0x15}) info.push_back(b);
  auto built = EpochKeyInfo("example-corp", "datacenter", "branch", RekeyPurpose::kCipher,
                            0x01c8cc15);
  REQUIRE(built.ok());
  CHECK(*built == info);
  const auto expected = ReferenceHkdf(Master(), Bytes(kRekeySalt), info, 16);
  CHECK(Derive("example-corp", "datacenter", "branch", RekeyPurpose::kCipher, 0x01c8cc15, 16) ==
        expected);
}

TEST_CASE("Epoch key ids: high bit set, epoch in the low 31 bits, never 0", "[crypto][rekey]") {
  CHECK(EpochKeyId(0) == 0x8000'0000u);
  CHECK(EpochKeyId(29'933'333) == (0x8000'0000u | 29'933'333u));
  CHECK(EpochKeyId(uint64_t{1} << 31) == 0x8000'0000u);  // modulo 2^31
  CHECK(IsEpochKeyId(EpochKeyId(12345)));
  CHECK_FALSE(IsEpochKeyId(kMaxConfiguredKeyIdWithRekey));
  CHECK(EpochOf(119'999, 60'000) == 1);
  CHECK(EpochOf(120'000, 60'000) == 2);
}

// --- PacketCrypto with epoch keys ---

constexpr uint64_t kInterval = 60'000;
constexpr uint64_t kSkew = 5'000;
constexpr uint64_t kEpoch = 30'000'000;

KeyEntry EpochEntry(uint64_t epoch, bool current) {
  KeyEntry e;
  e.id = EpochKeyId(epoch);
  e.role = current ? KeyRole::kCurrent : KeyRole::kPrevious;
  e.epoch = true;
  e.accept_from_ms = epoch * kInterval - kSkew;
  e.accept_until_ms = (epoch + 1) * kInterval + kSkew;
  e.material.hmac_key = Derive("o", "a", "b", RekeyPurpose::kHmac, epoch);
  e.material.cipher_key = Derive("o", "a", "b", RekeyPurpose::kCipher, epoch);
  return e;
}

// The crypto of epoch `e` as the pipeline builds it: e current, e+1 and e-1 accepted.
std::unique_ptr<PacketCrypto> ForEpoch(uint64_t e, uint16_t sender) {
  std::vector<KeyEntry> entries;
  entries.push_back(EpochEntry(e, true));
  entries.push_back(EpochEntry(e + 1, false));
  entries.push_back(EpochEntry(e - 1, false));
  SecurityPolicy p;
  p.hmac = HmacSuite::kSha256_128;
  p.hmac_mode = HmacMode::kRegular;
  p.cipher = CipherSuite::kAes256Cbc;
  auto pc = PacketCrypto::Create(p, KeySnapshot(0, std::move(entries)), NonceSpace{sender, 0});
  REQUIRE(pc.ok());
  return std::move(*pc);
}

std::vector<uint8_t> Signed(PacketCrypto& tx, uint64_t now, size_t* len) {
  std::vector<uint8_t> buf = Pattern(40, 3);
  buf.resize(40 + 32);
  REQUIRE(tx.Sign(buf, 40, now, len) == CryptoResult::kOk);
  return buf;
}

TEST_CASE("Epoch keys are accepted within the clock-skew bound around each boundary and refused "
          "beyond it as rekey_epoch_skew",
          "[crypto][rekey]") {
  const uint64_t boundary = (kEpoch + 1) * kInterval;
  auto rx = ForEpoch(kEpoch, 1);
  auto tx_next = ForEpoch(kEpoch + 1, 2);  // a peer whose clock already passed the boundary
  size_t len = 0;
  size_t out = 0;
  const uint32_t next_id = EpochKeyId(kEpoch + 1);
  REQUIRE(tx_next->send_key_id() == next_id);
  auto pkt = Signed(*tx_next, boundary - 4'000, &len);
  // Named on the wire (metadata): accepted from boundary - skew.
  CHECK(rx->Verify(next_id, std::span(pkt).first(len), boundary - kSkew, &out) ==
        CryptoResult::kOk);
  CHECK(rx->Verify(next_id, std::span(pkt).first(len), boundary - kSkew - 1, &out) ==
        CryptoResult::kUnknownKeyId);
  CHECK(rx->counters().Get(CryptoCounter::kRekeyEpochSkew) == 1);
  CHECK(rx->counters().Get(CryptoCounter::kKeyExpired) == 0);
  // An epoch two away is no neighbour: skew too.
  CHECK(rx->Verify(EpochKeyId(kEpoch + 2), std::span(pkt).first(len), boundary - 1, &out) ==
        CryptoResult::kUnknownKeyId);
  CHECK(rx->counters().Get(CryptoCounter::kRekeyEpochSkew) == 2);
  CHECK(rx->counters().Get(CryptoCounter::kUnknownKeyId) == 0);
  // Fast path (no id on the wire): the session knew epoch e; found under e+1 within the bound...
  uint32_t used = 0;
  CHECK(rx->VerifyAnyKey(EpochKeyId(kEpoch), std::span(pkt).first(len), boundary - 3'000, &out,
                         &used) == CryptoResult::kOk);
  CHECK(used == next_id);
  // ... and refused, counted as skew rather than a bad tag, beyond it.
  CHECK(rx->VerifyAnyKey(EpochKeyId(kEpoch), std::span(pkt).first(len), boundary - 6'000, &out,
                         &used) != CryptoResult::kOk);
  CHECK(rx->counters().Get(CryptoCounter::kRekeyEpochSkew) == 3);
  CHECK(rx->counters().Get(CryptoCounter::kHmacFail) == 0);
  // The previous epoch's key after the boundary: accepted until boundary + skew.
  auto rx_next = ForEpoch(kEpoch + 1, 1);
  auto tx_old = ForEpoch(kEpoch, 2);
  auto old_pkt = Signed(*tx_old, boundary + 4'000, &len);
  CHECK(rx_next->Verify(EpochKeyId(kEpoch), std::span(old_pkt).first(len), boundary + kSkew - 1,
                        &out) == CryptoResult::kOk);
  CHECK(rx_next->Verify(EpochKeyId(kEpoch), std::span(old_pkt).first(len), boundary + kSkew,
                        &out) == CryptoResult::kUnknownKeyId);
  CHECK(rx_next->counters().Get(CryptoCounter::kRekeyEpochSkew) == 1);
  // A garbage tag under no key at all stays a bad tag.
  old_pkt[0] ^= 1;
  CHECK(rx_next->VerifyAnyKey(EpochKeyId(kEpoch), std::span(old_pkt).first(len),
                              boundary + kSkew + 1, &out, &used) != CryptoResult::kOk);
  CHECK(rx_next->counters().Get(CryptoCounter::kRekeyEpochSkew) == 1);
}

}  // namespace
}  // namespace ssr::crypto
