// SPDX-License-Identifier: Apache-2.0
// AesGcm (libssr extension suite): published vectors, tamper detection, key checks.
#include "crypto/gcm.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto_test_util.h"

namespace ssr::crypto {
namespace {

using testing::Hex;

struct GcmVector {
  int test_case;
  CipherSuite suite;
  std::string key, iv, plaintext, aad, ciphertext, tag;
};

// Source: D. McGrew, J. Viega, "The Galois/Counter Mode of Operation (GCM)" (submission to NIST,
// revised 2005), Appendix B test cases 2, 3, 4 (AES-128) and 14, 16 (AES-256), the cases NIST
// SP 800-38D's validation material reproduces. All use 96-bit IVs and 128-bit tags.
const std::vector<GcmVector>& GcmVectors() {
  static const auto* v = new std::vector<GcmVector>{
      {2, CipherSuite::kAes128Gcm, "00000000000000000000000000000000", "000000000000000000000000",
       "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78",
       "ab6e47d42cec13bdf53a67b21257bddf"},
      {3, CipherSuite::kAes128Gcm, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
       "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
       "",
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
       "4d5c2af327cd64a62cf35abd2ba6fab4"},
      {4, CipherSuite::kAes128Gcm, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
       "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
       "feedfacedeadbeeffeedfacedeadbeefabaddad2",
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
       "5bc94fbc3221a5db94fae95ae7121a47"},
      {14, CipherSuite::kAes256Gcm,
       "0000000000000000000000000000000000000000000000000000000000000000",
       "000000000000000000000000", "00000000000000000000000000000000", "",
       "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
      {16, CipherSuite::kAes256Gcm,
       "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
       "cafebabefacedbaddecaf888",
       "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
       "feedfacedeadbeeffeedfacedeadbeefabaddad2",
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
       "76fc6ece0f4e1768cddf8853bb2d551b"},
  };
  return *v;
}

AesGcm Make(CipherSuite suite, const std::vector<uint8_t>& key) {
  auto g = AesGcm::Create(suite, key);
  REQUIRE(g.ok());
  return std::move(g).value();
}

GcmNonce NonceFrom(const std::string& hex) {
  const auto b = Hex(hex);
  GcmNonce n{};
  std::copy(b.begin(), b.end(), n.begin());
  return n;
}

TEST_CASE("AES-GCM encryption reproduces GCM spec test cases 2, 3, 4, 14 and 16", "[crypto]") {
  for (const GcmVector& v : GcmVectors()) {
    CAPTURE(v.test_case);
    AesGcm gcm = Make(v.suite, Hex(v.key));
    std::vector<uint8_t> buf = Hex(v.plaintext);
    const std::vector<uint8_t> aad = Hex(v.aad);
    std::array<uint8_t, kGcmTagSize> tag{};
    // Split the AAD across both pieces to exercise the two-part feed.
    const size_t split = aad.size() / 2;
    REQUIRE(gcm.Seal(NonceFrom(v.iv), std::span(aad).first(split), std::span(aad).subspan(split),
                     buf, tag) == CryptoResult::kOk);
    CHECK(buf == Hex(v.ciphertext));
    CHECK(std::vector<uint8_t>(tag.begin(), tag.end()) == Hex(v.tag));
  }
}

TEST_CASE("AES-GCM decryption reproduces GCM spec test cases 2, 3, 4, 14 and 16", "[crypto]") {
  for (const GcmVector& v : GcmVectors()) {
    CAPTURE(v.test_case);
    AesGcm gcm = Make(v.suite, Hex(v.key));
    std::vector<uint8_t> buf = Hex(v.ciphertext);
    const std::vector<uint8_t> aad = Hex(v.aad);
    const std::vector<uint8_t> tag_bytes = Hex(v.tag);
    std::array<uint8_t, kGcmTagSize> tag{};
    std::copy(tag_bytes.begin(), tag_bytes.end(), tag.begin());
    REQUIRE(gcm.Open(NonceFrom(v.iv), aad, {}, buf, tag) == CryptoResult::kOk);
    CHECK(buf == Hex(v.plaintext));
  }
}

TEST_CASE("AES-GCM open rejects a changed tag, ciphertext byte or AAD byte", "[crypto]") {
  const GcmVector& v = GcmVectors()[2];  // case 4: has AAD and ciphertext
  AesGcm gcm = Make(v.suite, Hex(v.key));
  const std::vector<uint8_t> ct = Hex(v.ciphertext);
  const std::vector<uint8_t> aad = Hex(v.aad);
  const std::vector<uint8_t> tag_bytes = Hex(v.tag);
  std::array<uint8_t, kGcmTagSize> tag{};
  std::copy(tag_bytes.begin(), tag_bytes.end(), tag.begin());
  for (size_t i = 0; i < tag.size(); ++i) {
    auto bad = tag;
    bad[i] ^= 0x01;
    auto buf = ct;
    CHECK(gcm.Open(NonceFrom(v.iv), aad, {}, buf, bad) == CryptoResult::kBadTag);
  }
  for (size_t i = 0; i < ct.size(); ++i) {
    auto buf = ct;
    buf[i] ^= 0x01;
    CHECK(gcm.Open(NonceFrom(v.iv), aad, {}, buf, tag) == CryptoResult::kBadTag);
  }
  for (size_t i = 0; i < aad.size(); ++i) {
    auto bad_aad = aad;
    bad_aad[i] ^= 0x01;
    auto buf = ct;
    CHECK(gcm.Open(NonceFrom(v.iv), bad_aad, {}, buf, tag) == CryptoResult::kBadTag);
  }
  // And the untouched packet still opens after all those failures (context state is reset).
  auto buf = ct;
  CHECK(gcm.Open(NonceFrom(v.iv), aad, {}, buf, tag) == CryptoResult::kOk);
}

TEST_CASE("AES-GCM refuses a key of the wrong length and names it", "[crypto]") {
  auto g = AesGcm::Create(CipherSuite::kAes128Gcm, std::vector<uint8_t>(32, 0));
  REQUIRE_FALSE(g.ok());
  CHECK(std::string(g.status().message()).find("key length 32") != std::string::npos);
}

TEST_CASE("AES-GCM salt is derived from the key: equal keys agree, different keys differ",
          "[crypto]") {
  AesGcm a = Make(CipherSuite::kAes128Gcm, std::vector<uint8_t>(16, 1));
  AesGcm b = Make(CipherSuite::kAes128Gcm, std::vector<uint8_t>(16, 1));
  AesGcm c = Make(CipherSuite::kAes128Gcm, std::vector<uint8_t>(16, 2));
  CHECK(std::equal(a.salt().begin(), a.salt().end(), b.salt().begin()));
  CHECK_FALSE(std::equal(a.salt().begin(), a.salt().end(), c.salt().begin()));
}

}  // namespace
}  // namespace ssr::crypto
