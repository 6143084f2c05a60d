// SPDX-License-Identifier: Apache-2.0
// PacketCrypto: the per-packet operations a worker runs, per suite (§4.2-4.9, §7.49-7.65).
#include "crypto/packet_crypto.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto_test_util.h"

namespace ssr::crypto {
namespace {

constexpr uint64_t kNow = 1'800'000'000'000;  // ms, mid-2027
constexpr uint64_t kW = kDefaultTimeWindowMs;
constexpr size_t kMetaLen = 40;  // bytes of "metadata" in front of the payload in these tests
const size_t kSizes[] = {0, 1, 15, 16, 17, 64, 512, 1400};

KeyMaterial Material(uint8_t b) {
  return KeyMaterial{std::vector<uint8_t>(32, b), std::vector<uint8_t>(32, b)};
}

struct Suite {
  HmacSuite hmac;
  CipherSuite cipher;
  HmacMode mode;
};

const std::vector<Suite>& AllSuites() {
  static const auto* v = new std::vector<Suite>{
      {HmacSuite::kSha256_128, CipherSuite::kAes128Cbc, HmacMode::kTimeBased},
      {HmacSuite::kSha256_128, CipherSuite::kAes256Cbc, HmacMode::kTimeBased},
      {HmacSuite::kSha256, CipherSuite::kAes256Cbc, HmacMode::kRegular},
      {HmacSuite::kSha256, CipherSuite::kNone, HmacMode::kTimeBased},
      {HmacSuite::kSha256_128, CipherSuite::kNone, HmacMode::kRegular},
      {HmacSuite::kNone, CipherSuite::kAes128Gcm, HmacMode::kTimeBased},
      {HmacSuite::kNone, CipherSuite::kAes256Gcm, HmacMode::kTimeBased},
      {HmacSuite::kNone, CipherSuite::kAes256Gcm, HmacMode::kRegular},
  };
  return *v;
}

SecurityPolicy PolicyOf(const Suite& s) {
  SecurityPolicy p;
  p.hmac = s.hmac;
  p.cipher = s.cipher;
  p.hmac_mode = s.mode;
  return p;
}

KeyMaterial MaterialFor(CipherSuite c, uint8_t b) {
  KeyMaterial m = Material(b);
  m.cipher_key.resize(CipherKeySize(c));
  return m;
}

std::shared_ptr<const KeySnapshot> OneKey(CipherSuite c, uint32_t id = 1, uint8_t b = 0x33) {
  return std::make_shared<const KeySnapshot>(
      1, std::vector<KeyEntry>{KeyEntry{id, KeyRole::kCurrent, kForever, MaterialFor(c, b)}});
}

std::unique_ptr<PacketCrypto> Make(const SecurityPolicy& p, const KeySnapshot& keys,
                                   NonceSpace ns = {}) {
  auto pc = PacketCrypto::Create(p, keys, ns);
  INFO(pc.status().ToString());
  REQUIRE(pc.ok());
  return std::move(pc).value();
}

// A packet as the svr layer would hand it over: [metadata][payload][room for trailers].
struct Packet {
  std::vector<uint8_t> buf;
  size_t len = 0;
};

Packet Protect(PacketCrypto& pc, size_t payload_len, uint64_t now, uint8_t seed = 5) {
  Packet p;
  p.buf = testing::Pattern(kMetaLen + payload_len, seed);
  p.buf.resize(kMetaLen + payload_len + 128);
  size_t sealed = 0;
  REQUIRE(pc.SealPayload(p.buf, kMetaLen, payload_len, now, &sealed) == CryptoResult::kOk);
  REQUIRE(pc.Sign(p.buf, sealed, now, &p.len) == CryptoResult::kOk);
  return p;
}

// Returns the first failing result, or kOk with the plaintext payload length.
CryptoResult Unprotect(PacketCrypto& pc, uint32_t id, Packet p, uint64_t now, size_t* plain_len,
                       std::vector<uint8_t>* plain = nullptr) {
  size_t body = 0;
  CryptoResult r = pc.Verify(id, std::span(p.buf).first(p.len), now, &body);
  if (r != CryptoResult::kOk) return r;
  r = pc.OpenPayload(id, p.buf, kMetaLen, body, now, plain_len);
  if (r == CryptoResult::kOk && plain != nullptr) {
    plain->assign(p.buf.begin() + kMetaLen, p.buf.begin() + kMetaLen + *plain_len);
  }
  return r;
}

std::string Name(const Suite& s) {
  return std::string(HmacSuiteName(s.hmac)) + "/" + std::string(CipherSuiteName(s.cipher)) +
         (s.mode == HmacMode::kTimeBased ? "/time" : "/regular");
}

TEST_CASE("Every suite round-trips payloads of 0..1400 bytes with metadata in front", "[crypto]") {
  for (const Suite& s : AllSuites()) {
    auto keys = OneKey(s.cipher);
    auto tx = Make(PolicyOf(s), *keys);
    auto rx = Make(PolicyOf(s), *keys, NonceSpace{1, 0});
    for (size_t len : kSizes) {
      CAPTURE(Name(s), len);
      Packet p = Protect(*tx, len, kNow);
      CHECK(p.len == kMetaLen + len + tx->Overhead(len));
      size_t plain_len = 0;
      std::vector<uint8_t> plain;
      REQUIRE(Unprotect(*rx, 1, p, kNow, &plain_len, &plain) == CryptoResult::kOk);
      const std::vector<uint8_t> expected = testing::Pattern(kMetaLen + len, 5);
      CHECK(plain == std::vector<uint8_t>(expected.begin() + kMetaLen, expected.end()));
      // Metadata in front is never modified by payload encryption.
      CHECK(std::equal(expected.begin(), expected.begin() + kMetaLen, p.buf.begin()));
    }
  }
}

TEST_CASE("Changing any single byte of a protected packet is detected", "[crypto][svr-7.52]") {
  for (const Suite& s : AllSuites()) {
    if (s.hmac == HmacSuite::kNone && !IsGcm(s.cipher)) continue;  // nothing authenticates
    auto keys = OneKey(s.cipher);
    auto tx = Make(PolicyOf(s), *keys);
    auto rx = Make(PolicyOf(s), *keys);
    const Packet p = Protect(*tx, 64, kNow);
    for (size_t i = 0; i < p.len; ++i) {
      CAPTURE(Name(s), i);
      Packet bad = p;
      bad.buf[i] ^= 0x04;
      size_t plain_len = 0;
      const CryptoResult r = Unprotect(*rx, 1, bad, kNow, &plain_len);
      CHECK(r == CryptoResult::kBadTag);
    }
    CHECK(rx->counters().Get(s.hmac != HmacSuite::kNone ? CryptoCounter::kHmacFail
                                                        : CryptoCounter::kDecryptFail) == p.len);
  }
}

TEST_CASE("Two encryptions of the same payload differ (fresh IV / nonce)", "[crypto][svr-7.56]") {
  for (const Suite& s : AllSuites()) {
    if (s.cipher == CipherSuite::kNone) continue;
    CAPTURE(Name(s));
    auto keys = OneKey(s.cipher);
    auto tx = Make(PolicyOf(s), *keys);
    const Packet a = Protect(*tx, 64, kNow);
    const Packet b = Protect(*tx, 64, kNow);
    REQUIRE(a.len == b.len);
    CHECK(a.buf != b.buf);
    // The ciphertext itself differs, not only the trailer.
    CHECK(!std::equal(a.buf.begin() + kMetaLen, a.buf.begin() + kMetaLen + 64,
                      b.buf.begin() + kMetaLen));
  }
}

TEST_CASE("Tags are 32, 16 or 20 bytes at the end of every signed packet", "[crypto][svr-7.49]") {
  for (HmacSuite h : {HmacSuite::kSha256, HmacSuite::kSha256_128}) {
    SecurityPolicy p;
    p.hmac = h;
    p.cipher = CipherSuite::kNone;
    auto keys = OneKey(CipherSuite::kNone);
    auto pc = Make(p, *keys);
    std::vector<uint8_t> buf(100 + 32);
    size_t out = 0;
    REQUIRE(pc->Sign(buf, 100, kNow, &out) == CryptoResult::kOk);
    CHECK(out - 100 == HmacTagSize(h));
    // The tag is the HMAC over the 100 bytes before it, computed independently.
    auto ref = PreparedHmac::Create(h, keys->current().material.hmac_key);
    REQUIRE(ref.ok());
    std::vector<uint8_t> tag(HmacTagSize(h));
    REQUIRE(ref->Sign(std::span(buf).first(100), TimeWindowOf(kNow, 2000), tag) ==
            CryptoResult::kOk);
    CHECK(std::equal(tag.begin(), tag.end(), buf.begin() + 100));
  }
}

TEST_CASE("HMAC-SHA1 policies are receive-only", "[crypto]") {
  SecurityPolicy p;
  p.hmac = HmacSuite::kSha1;
  p.cipher = CipherSuite::kNone;
  auto keys = OneKey(CipherSuite::kNone);
  CHECK_FALSE(PacketCrypto::Create(p, *keys).ok());
  auto rx = PacketCrypto::CreateReceiveOnly(p, *keys);
  REQUIRE(rx.ok());
  std::vector<uint8_t> buf(64 + 20);
  size_t out = 0;
  CHECK((*rx)->Sign(buf, 64, kNow, &out) == CryptoResult::kVerifyOnlySuite);
  // A peer's SHA1 tag (time-based, computed independently) verifies.
  auto ref = PreparedHmac::Create(HmacSuite::kSha1, keys->current().material.hmac_key);
  REQUIRE(ref.ok());
  REQUIRE(ref->Sign(std::span(buf).first(64), TimeWindowOf(kNow, 2000),
                    std::span(buf).subspan(64)) == CryptoResult::kOk);
  CHECK((*rx)->Verify(1, buf, kNow, &out) == CryptoResult::kOk);
  CHECK(out == 64);
}

TEST_CASE("A packet with an unknown security id is dropped and counted", "[crypto][svr-7.65]") {
  for (const Suite& s : AllSuites()) {
    CAPTURE(Name(s));
    auto keys = OneKey(s.cipher);
    auto tx = Make(PolicyOf(s), *keys);
    auto rx = Make(PolicyOf(s), *keys);
    const Packet p = Protect(*tx, 64, kNow);
    size_t plain_len = 0;
    CHECK(Unprotect(*rx, 7, p, kNow, &plain_len) == CryptoResult::kUnknownKeyId);
    if (s.hmac != HmacSuite::kNone || s.cipher != CipherSuite::kNone) {
      CHECK(rx->counters().Get(CryptoCounter::kUnknownKeyId) == 1);
    }
  }
}

TEST_CASE("Time-based protection is accepted in T-1..T+1 and stale at T+2",
          "[crypto][svr-7.54][svr-7.55]") {
  for (const Suite& s : AllSuites()) {
    if (s.mode != HmacMode::kTimeBased) continue;
    CAPTURE(Name(s));
    auto keys = OneKey(s.cipher);
    auto tx = Make(PolicyOf(s), *keys);
    auto rx = Make(PolicyOf(s), *keys);
    const uint64_t sent = (kNow / kW) * kW + 10;  // early in window T
    const Packet p = Protect(*tx, 100, sent);
    size_t plain_len = 0;
    for (int64_t d : {-1, 0, 1}) {
      CAPTURE(d);
      CHECK(Unprotect(*rx, 1, p, sent + static_cast<uint64_t>(d * static_cast<int64_t>(kW)),
                      &plain_len) == CryptoResult::kOk);
    }
    CHECK(Unprotect(*rx, 1, p, sent + 2 * kW, &plain_len) == CryptoResult::kStale);
    CHECK(rx->counters().Get(CryptoCounter::kHmacStale) == 1);
    CHECK(Unprotect(*rx, 1, p, sent + 3 * kW, &plain_len) != CryptoResult::kOk);
    CHECK(Unprotect(*rx, 1, p, sent + 100 * kW, &plain_len) != CryptoResult::kOk);
  }
}

TEST_CASE("After a rotation both keys are accepted during the overlap, only the new one after",
          "[crypto]") {
  for (const Suite& s : AllSuites()) {
    CAPTURE(Name(s));
    if (s.hmac == HmacSuite::kNone && s.cipher == CipherSuite::kNone) continue;
    auto store_or = KeyStore::Create(MaterialFor(s.cipher, 1), /*overlap_ms=*/30'000);
    REQUIRE(store_or.ok());
    auto& store = *store_or;
    auto old_tx = Make(PolicyOf(s), *store->Snapshot());
    const Packet old_packet = Protect(*old_tx, 64, kNow);
    const uint32_t new_id = store->Rotate(MaterialFor(s.cipher, 2), kNow);
    auto tx = Make(PolicyOf(s), *store->Snapshot());
    auto rx = Make(PolicyOf(s), *store->Snapshot());
    CHECK(tx->send_key_id() == new_id);
    const Packet new_packet = Protect(*tx, 64, kNow);
    size_t n = 0;
    CHECK(Unprotect(*rx, new_id, new_packet, kNow, &n) == CryptoResult::kOk);
    CHECK(Unprotect(*rx, 1, old_packet, kNow + 1000, &n) == CryptoResult::kOk);
    // Overlap over: the old key is unknown even though this worker's snapshot still lists it.
    CHECK(Unprotect(*rx, 1, old_packet, kNow + 30'000, &n) == CryptoResult::kUnknownKeyId);
    // An old-key packet presented under the new id fails authentication.
    if (s.hmac != HmacSuite::kNone || IsGcm(s.cipher)) {
      CHECK(Unprotect(*rx, new_id, old_packet, kNow + 1000, &n) == CryptoResult::kBadTag);
    }
  }
}

TEST_CASE("CBC open reports bad padding, short input and misaligned ciphertext", "[crypto]") {
  SecurityPolicy p;
  p.hmac = HmacSuite::kNone;  // no HMAC, so the cipher's own checks are what run
  p.cipher = CipherSuite::kAes128Cbc;
  auto keys = OneKey(p.cipher);
  auto pc = Make(p, *keys);
  std::vector<uint8_t> buf(kMetaLen + 64);
  size_t n = 0;
  CHECK(pc->OpenPayload(1, buf, kMetaLen, kMetaLen + 16, kNow, &n) == CryptoResult::kTooShort);
  CHECK(pc->OpenPayload(1, buf, kMetaLen, kMetaLen + 33, kNow, &n) ==
        CryptoResult::kNotBlockMultiple);
  // 32 zero bytes + zero IV decrypt to garbage whose last byte is almost surely not valid PKCS#7;
  // search for a deterministic case by varying the IV's last byte.
  bool saw_bad_padding = false;
  for (int i = 0; i < 256 && !saw_bad_padding; ++i) {
    std::fill(buf.begin(), buf.end(), 0);
    buf[kMetaLen + 16 + 15] = static_cast<uint8_t>(i);
    saw_bad_padding =
        pc->OpenPayload(1, buf, kMetaLen, kMetaLen + 32, kNow, &n) == CryptoResult::kBadPadding;
  }
  CHECK(saw_bad_padding);
  CHECK(pc->counters().Get(CryptoCounter::kBadPadding) >= 1);
  CHECK(pc->counters().Get(CryptoCounter::kTooShort) == 1);
  CHECK(pc->counters().Get(CryptoCounter::kNotBlockMultiple) == 1);
}

TEST_CASE("Seal refuses a buffer without room for the trailer", "[crypto]") {
  for (const Suite& s : AllSuites()) {
    if (s.cipher == CipherSuite::kNone) continue;
    CAPTURE(Name(s));
    auto keys = OneKey(s.cipher);
    auto pc = Make(PolicyOf(s), *keys);
    std::vector<uint8_t> buf(kMetaLen + 64 + 8);
    size_t out = 0;
    CHECK(pc->SealPayload(buf, kMetaLen, 64, kNow, &out) == CryptoResult::kBufferTooSmall);
    CHECK(pc->counters().Get(CryptoCounter::kBufferTooSmall) == 1);
  }
}

TEST_CASE("Metadata sections round-trip: IV || CBC (O-5) or nonce || GCM || tag", "[crypto]") {
  for (const Suite& s : AllSuites()) {
    if (s.cipher == CipherSuite::kNone) continue;
    CAPTURE(Name(s));
    auto keys = OneKey(s.cipher);
    auto tx = Make(PolicyOf(s), *keys);
    auto rx = Make(PolicyOf(s), *keys);
    for (size_t tlv_len : {0u, 5u, 16u, 100u}) {
      std::vector<uint8_t> section(tx->MetadataPrefixSize() + tlv_len + 32);
      const std::vector<uint8_t> tlvs = testing::Pattern(tlv_len, 9);
      std::copy(tlvs.begin(), tlvs.end(), section.begin() + tx->MetadataPrefixSize());
      size_t section_len = 0;
      REQUIRE(tx->SealMetadata(section, tlv_len, &section_len) == CryptoResult::kOk);
      CHECK(section_len == tx->MetadataPrefixSize() + tlv_len +
                               (IsCbc(s.cipher) ? CbcPaddedSize(tlv_len) - tlv_len : kGcmTagSize));
      section.resize(section_len);
      size_t off = 0, len = 0;
      REQUIRE(rx->OpenMetadata(1, section, kNow, &off, &len) == CryptoResult::kOk);
      CHECK(std::vector<uint8_t>(section.begin() + off, section.begin() + off + len) == tlvs);
    }
  }
}

TEST_CASE("Trailer overhead per suite matches §4.9 (and the GCM extension)", "[crypto][svr-7.49]") {
  // G.729 example of §4.9: 32-byte UDP payload.
  CHECK(TrailerOverhead(HmacSuite::kSha256_128, CipherSuite::kNone, 32) == 16);
  CHECK(TrailerOverhead(HmacSuite::kSha1, CipherSuite::kNone, 32) == 20);
  CHECK(TrailerOverhead(HmacSuite::kSha256, CipherSuite::kNone, 32) == 32);
  CHECK(TrailerOverhead(HmacSuite::kSha256_128, CipherSuite::kAes128Cbc, 32) == 48);
  CHECK(TrailerOverhead(HmacSuite::kSha256, CipherSuite::kAes256Cbc, 32) == 64);
  CHECK(TrailerOverhead(HmacSuite::kSha256_128, CipherSuite::kAes256Cbc, 31) == 33);
  CHECK(TrailerOverhead(HmacSuite::kNone, CipherSuite::kAes128Gcm, 32) == 24);
  CHECK(TrailerOverhead(HmacSuite::kNone, CipherSuite::kAes256Gcm, 1400) == 24);
}

TEST_CASE("GCM nonces from different workers and senders never collide", "[crypto]") {
  SecurityPolicy p;
  p.hmac = HmacSuite::kNone;
  p.cipher = CipherSuite::kAes128Gcm;
  p.hmac_mode = HmacMode::kRegular;
  auto keys = OneKey(p.cipher);
  auto w0 = Make(p, *keys, NonceSpace{1, 0});
  auto w1 = Make(p, *keys, NonceSpace{1, 1});
  auto r2 = Make(p, *keys, NonceSpace{2, 0});
  const Packet a = Protect(*w0, 16, kNow);
  const Packet b = Protect(*w1, 16, kNow);
  const Packet c = Protect(*r2, 16, kNow);
  auto nonce_of = [](const Packet& pk) {
    return std::vector<uint8_t>(pk.buf.begin() + kMetaLen + 16, pk.buf.begin() + kMetaLen + 24);
  };
  CHECK(nonce_of(a) != nonce_of(b));
  CHECK(nonce_of(a) != nonce_of(c));
  CHECK(nonce_of(b) != nonce_of(c));
  CHECK_FALSE(PacketCrypto::Create(p, *keys, NonceSpace{kMaxSenderId + 1, 0}).ok());
}

TEST_CASE("A policy key of the wrong length is refused with the security id named", "[crypto]") {
  SecurityPolicy p;
  p.cipher = CipherSuite::kAes256Cbc;
  auto keys = OneKey(CipherSuite::kAes128Cbc, 5);  // 16-byte cipher key for a 256-bit suite
  auto pc = PacketCrypto::Create(p, *keys);
  REQUIRE_FALSE(pc.ok());
  const std::string msg(pc.status().message());
  CHECK(msg.find("security id 5") != std::string::npos);
  CHECK(msg.find("key length 16") != std::string::npos);
}

}  // namespace
// Two keys: id 2 current, id 1 previous until kNow + 10 s (a rotation, docs/protocol.md §4.7).
std::shared_ptr<const KeySnapshot> Rotated(CipherSuite c) {
  return std::make_shared<const KeySnapshot>(
      1, std::vector<KeyEntry>{KeyEntry{2, KeyRole::kCurrent, kForever, MaterialFor(c, 0x44)},
                               KeyEntry{1, KeyRole::kPrevious, kNow + 10'000,
                                        MaterialFor(c, 0x33)}});
}

TEST_CASE("VerifyAnyKey / OpenGmacAnyKey find the key a peer rotated to, and refuse an expired "
          "one as key_expired",
          "[crypto][rotation]") {
  for (const Suite& s : AllSuites()) {
    const bool hmac = s.hmac != HmacSuite::kNone;
    if (!hmac && !IsGcm(s.cipher)) continue;
    CAPTURE(Name(s));
    auto old_tx = Make(PolicyOf(s), *OneKey(s.cipher, 1, 0x33));
    auto new_tx = Make(PolicyOf(s), *OneKey(s.cipher, 2, 0x44), NonceSpace{2, 0});
    auto rx = Make(PolicyOf(s), *Rotated(s.cipher), NonceSpace{1, 0});
    // A hop trailer over 40 bytes: an HMAC tag, or a GCM trailer with nothing encrypted.
    const auto hop = [&](PacketCrypto& tx, uint64_t now) {
      Packet p;
      p.buf = testing::Pattern(40, 9);
      p.buf.resize(40 + 64);
      if (hmac) {
        REQUIRE(tx.Sign(p.buf, 40, now, &p.len) == CryptoResult::kOk);
      } else {
        REQUIRE(tx.SealPayload(p.buf, 40, 0, now, &p.len) == CryptoResult::kOk);
      }
      return p;
    };
    const auto check = [&](Packet p, uint32_t preferred, uint64_t now, uint32_t* used) {
      if (hmac) {
        size_t n = 0;
        return rx->VerifyAnyKey(preferred, std::span(p.buf).first(p.len), now, &n, used);
      }
      return rx->OpenGmacAnyKey(preferred, p.buf, 40, p.len, now, used);
    };
    uint32_t used = 0;
    // The session knew key 1; the peer now signs with 2.
    CHECK(check(hop(*new_tx, kNow), 1, kNow, &used) == CryptoResult::kOk);
    CHECK(used == 2);
    // The session knew key 2; a packet still under 1 in the overlap.
    CHECK(check(hop(*old_tx, kNow), 2, kNow, &used) == CryptoResult::kOk);
    CHECK(used == 1);
    CHECK(rx->counters().Get(CryptoCounter::kHmacFail) == 0);
    CHECK(rx->counters().Get(CryptoCounter::kDecryptFail) == 0);
    // Overlap over: key 1 is refused and counted as expired, not as a bad tag.
    const uint64_t later = kNow + 10'000;
    CHECK(check(hop(*old_tx, later), 1, later, &used) == CryptoResult::kUnknownKeyId);
    CHECK(rx->counters().Get(CryptoCounter::kKeyExpired) == 1);
    CHECK(rx->counters().Get(CryptoCounter::kUnknownKeyId) == 0);
    // A forged tag fails under every key, counted once.
    Packet forged = hop(*new_tx, kNow);
    forged.buf[forged.len - 1] ^= 1;
    CHECK(check(forged, 2, kNow, &used) == CryptoResult::kBadTag);
    CHECK(rx->counters().Get(hmac ? CryptoCounter::kHmacFail : CryptoCounter::kDecryptFail) == 1);
  }
}

TEST_CASE("SealPayloadWith keeps a session on its previous key during the overlap only",
          "[crypto][rotation]") {
  for (const Suite& s : AllSuites()) {
    if (s.cipher == CipherSuite::kNone) continue;
    CAPTURE(Name(s));
    auto tx = Make(PolicyOf(s), *Rotated(s.cipher));
    auto old_rx = Make(PolicyOf(s), *OneKey(s.cipher, 1, 0x33), NonceSpace{1, 0});
    Packet p;
    p.buf = testing::Pattern(kMetaLen + 100, 5);
    p.buf.resize(kMetaLen + 100 + 64);
    size_t sealed = 0;
    REQUIRE(tx->SealPayloadWith(1, p.buf, kMetaLen, 100, kNow, &sealed) == CryptoResult::kOk);
    size_t plain = 0;
    CHECK(old_rx->OpenPayload(1, p.buf, kMetaLen, sealed, kNow, &plain) == CryptoResult::kOk);
    CHECK(plain == 100);
    CHECK(tx->Accepts(1, kNow));
    CHECK_FALSE(tx->Accepts(1, kNow + 10'000));
    CHECK(tx->SealPayloadWith(1, p.buf, kMetaLen, 100, kNow + 10'000, &sealed) ==
          CryptoResult::kUnknownKeyId);
  }
}

}  // namespace ssr::crypto
