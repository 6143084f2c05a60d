// SPDX-License-Identifier: Apache-2.0
// AesCbc and IvGenerator: NIST vectors, PKCS#7, distinct failure codes, IV freshness (§4.5, §4.6).
#include "crypto/cbc.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "crypto_test_util.h"

namespace ssr::crypto {
namespace {

using testing::Hex;

struct CbcVector {
  std::string name;
  CipherSuite suite;
  std::string key;
  std::string ciphertext;
};

// Source: NIST SP 800-38A (2001), Appendix F.2 "CBC Example Vectors": F.2.1 CBC-AES128.Encrypt /
// F.2.2 CBC-AES128.Decrypt and F.2.5 CBC-AES256.Encrypt / F.2.6 CBC-AES256.Decrypt (encrypt and
// decrypt share key, IV, plaintext and ciphertext). F.2.3/F.2.4 are AES-192, which no SVR suite
// uses.
constexpr char kNistIv[] = "000102030405060708090a0b0c0d0e0f";
constexpr char kNistPlaintext[] =
    "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
const std::vector<CbcVector>& NistCbcVectors() {
  static const auto* v = new std::vector<CbcVector>{
      {"F.2.1/F.2.2 CBC-AES128", CipherSuite::kAes128Cbc, "2b7e151628aed2a6abf7158809cf4f3c",
       "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2"
       "73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7"},
      {"F.2.5/F.2.6 CBC-AES256", CipherSuite::kAes256Cbc,
       "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
       "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d"
       "39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b"},
  };
  return *v;
}

AesCbc Make(CipherSuite suite, const std::vector<uint8_t>& key) {
  auto c = AesCbc::Create(suite, key);
  REQUIRE(c.ok());
  return std::move(c).value();
}

Iv IvFrom(const std::string& hex) {
  const auto bytes = Hex(hex);
  Iv iv{};
  std::copy(bytes.begin(), bytes.end(), iv.begin());
  return iv;
}

TEST_CASE("AES-CBC encryption reproduces NIST SP 800-38A F.2.1 and F.2.5", "[crypto][svr-7.57]") {
  for (const CbcVector& v : NistCbcVectors()) {
    CAPTURE(v.name);
    AesCbc cbc = Make(v.suite, Hex(v.key));
    std::vector<uint8_t> buf = Hex(kNistPlaintext);
    buf.resize(64 + 16);  // room for the PKCS#7 block a 64-byte input gets
    size_t out = 0;
    REQUIRE(cbc.EncryptInPlace(buf, 64, IvFrom(kNistIv), &out) == CryptoResult::kOk);
    REQUIRE(out == 80);
    // CBC is prefix-preserving: the first four blocks are the NIST ciphertext, the fifth is the
    // padding block.
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + 64) == Hex(v.ciphertext));
  }
}

TEST_CASE("AES-CBC decryption reproduces NIST SP 800-38A F.2.2 and F.2.6", "[crypto][svr-7.57]") {
  for (const CbcVector& v : NistCbcVectors()) {
    CAPTURE(v.name);
    AesCbc cbc = Make(v.suite, Hex(v.key));
    // NIST ciphertext followed by the encryption of one full PKCS#7 block chained to it (the IV of
    // that block is the last NIST ciphertext block), so the decrypted padding is valid.
    std::vector<uint8_t> pad_block(16, 0x10);
    const std::vector<uint8_t> nist_ct = Hex(v.ciphertext);
    Iv chain{};
    std::copy(nist_ct.end() - 16, nist_ct.end(), chain.begin());
    pad_block.resize(32);
    size_t pad_out = 0;
    REQUIRE(cbc.EncryptInPlace(pad_block, 0, chain, &pad_out) == CryptoResult::kOk);
    REQUIRE(pad_out == 16);
    std::vector<uint8_t> buf = nist_ct;
    buf.insert(buf.end(), pad_block.begin(), pad_block.begin() + 16);
    size_t plain = 0;
    REQUIRE(cbc.DecryptInPlace(buf, IvFrom(kNistIv), &plain) == CryptoResult::kOk);
    REQUIRE(plain == 64);
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + 64) == Hex(kNistPlaintext));
  }
}

TEST_CASE("AES-CBC pads with PKCS#7: 1-16 bytes, a full block when aligned", "[crypto]") {
  AesCbc cbc = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 7));
  AesCbc check = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 7));
  for (size_t len : {0u, 1u, 15u, 16u, 17u, 31u, 32u}) {
    CAPTURE(len);
    std::vector<uint8_t> buf = testing::Pattern(len);
    buf.resize(len + 16);
    size_t out = 0;
    REQUIRE(cbc.EncryptInPlace(buf, len, Iv{}, &out) == CryptoResult::kOk);
    CHECK(out == CbcPaddedSize(len));
    CHECK(out - len >= 1);
    CHECK(out - len <= 16);
    // Decrypting with padding still attached: every pad byte equals the pad length.
    std::vector<uint8_t> raw(buf.begin(), buf.begin() + out);
    size_t plain = 0;
    REQUIRE(check.DecryptInPlace(raw, Iv{}, &plain) == CryptoResult::kOk);
    CHECK(plain == len);
    for (size_t i = len; i < out; ++i) CHECK(raw[i] == out - len);
  }
}

TEST_CASE("AES-CBC round-trips payloads of 0, 1, 15, 16, 17, 64, 512 and 1400 bytes", "[crypto]") {
  for (CipherSuite suite : {CipherSuite::kAes128Cbc, CipherSuite::kAes256Cbc}) {
    AesCbc cbc = Make(suite, std::vector<uint8_t>(CipherKeySize(suite), 0x5a));
    for (size_t len : {0u, 1u, 15u, 16u, 17u, 64u, 512u, 1400u}) {
      CAPTURE(CipherSuiteName(suite), len);
      const std::vector<uint8_t> plain = testing::Pattern(len, 3);
      std::vector<uint8_t> buf = plain;
      buf.resize(len + 16);
      const Iv iv = IvFrom("f0e1d2c3b4a5968778695a4b3c2d1e0f");
      size_t ct = 0;
      REQUIRE(cbc.EncryptInPlace(buf, len, iv, &ct) == CryptoResult::kOk);
      buf.resize(ct);
      size_t out = 0;
      REQUIRE(cbc.DecryptInPlace(buf, iv, &out) == CryptoResult::kOk);
      CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + out) == plain);
    }
  }
}

TEST_CASE("AES-CBC packets decrypt in any order and after a failed decrypt", "[crypto]") {
  // Each packet is independent CBC under its own IV even though the contexts are reused.
  AesCbc tx = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 0x61));
  AesCbc rx = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 0x61));
  AesCbc reference = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 0x61));
  std::vector<std::vector<uint8_t>> sealed;
  std::vector<Iv> ivs;
  for (uint8_t i = 0; i < 4; ++i) {
    std::vector<uint8_t> buf = testing::Pattern(40 + i, i);
    buf.resize(buf.size() + 16);
    Iv iv{};
    iv[0] = i;
    iv[15] = static_cast<uint8_t>(0xf0 + i);
    size_t out = 0;
    REQUIRE(tx.EncryptInPlace(buf, 40 + i, iv, &out) == CryptoResult::kOk);
    buf.resize(out);
    // A fresh context encrypting only this packet gives the same bytes: plain CBC under iv.
    std::vector<uint8_t> fresh = testing::Pattern(40 + i, i);
    fresh.resize(fresh.size() + 16);
    AesCbc one = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 0x61));
    size_t fresh_out = 0;
    REQUIRE(one.EncryptInPlace(fresh, 40 + i, iv, &fresh_out) == CryptoResult::kOk);
    fresh.resize(fresh_out);
    CHECK(fresh == buf);
    sealed.push_back(buf);
    ivs.push_back(iv);
  }
  // A garbage input (bad padding) in between must not disturb later packets.
  std::vector<uint8_t> garbage(32, 0x77);
  size_t ignored = 0;
  (void)rx.DecryptInPlace(garbage, Iv{}, &ignored);
  for (int i : {3, 0, 2, 1}) {
    CAPTURE(i);
    std::vector<uint8_t> buf = sealed[static_cast<size_t>(i)];
    size_t plain = 0;
    REQUIRE(rx.DecryptInPlace(buf, ivs[static_cast<size_t>(i)], &plain) == CryptoResult::kOk);
    buf.resize(plain);
    CHECK(buf == testing::Pattern(40 + static_cast<size_t>(i), static_cast<uint8_t>(i)));
  }
}

TEST_CASE("AES-CBC decrypt reports too-short, not-block-multiple and bad padding distinctly",
          "[crypto]") {
  AesCbc cbc = Make(CipherSuite::kAes256Cbc, std::vector<uint8_t>(32, 1));
  size_t out = 0;
  std::vector<uint8_t> empty;
  CHECK(cbc.DecryptInPlace(empty, Iv{}, &out) == CryptoResult::kTooShort);
  std::vector<uint8_t> odd(17, 0);
  CHECK(cbc.DecryptInPlace(odd, Iv{}, &out) == CryptoResult::kNotBlockMultiple);
  // Encrypt a block whose last byte is 0x00 with padding off by hand: encrypt 16 bytes of plain
  // text with our routine gives 32 bytes; keep only the first block, whose plaintext ends in 0x00.
  std::vector<uint8_t> buf(32, 0);
  REQUIRE(cbc.EncryptInPlace(buf, 16, Iv{}, &out) == CryptoResult::kOk);
  buf.resize(16);
  CHECK(cbc.DecryptInPlace(buf, Iv{}, &out) == CryptoResult::kBadPadding);
}

TEST_CASE("AES-CBC rejects padding bytes that disagree with the pad length", "[crypto]") {
  AesCbc cbc = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 9));
  // Plaintext block ...05 05 05 04 05: last byte says 5 but one pad byte is 4.
  std::vector<uint8_t> block = testing::Pattern(16);
  for (int i = 11; i < 16; ++i) block[i] = 5;
  block[13] = 4;
  std::vector<uint8_t> buf = block;
  buf.resize(32);
  size_t out = 0;
  REQUIRE(cbc.EncryptInPlace(buf, 16, Iv{}, &out) == CryptoResult::kOk);
  buf.resize(16);  // drop our padding block; the first block now ends with the bad "padding"
  CHECK(cbc.DecryptInPlace(buf, Iv{}, &out) == CryptoResult::kBadPadding);
  // Pad byte 17 (> block size) is rejected as well.
  block[15] = 17;
  buf = block;
  buf.resize(32);
  REQUIRE(cbc.EncryptInPlace(buf, 16, Iv{}, &out) == CryptoResult::kOk);
  buf.resize(16);
  CHECK(cbc.DecryptInPlace(buf, Iv{}, &out) == CryptoResult::kBadPadding);
}

TEST_CASE("AES-CBC encrypt refuses a buffer without room for the padding", "[crypto]") {
  AesCbc cbc = Make(CipherSuite::kAes128Cbc, std::vector<uint8_t>(16, 9));
  std::vector<uint8_t> buf = testing::Pattern(16);
  const std::vector<uint8_t> before = buf;
  size_t out = 0;
  CHECK(cbc.EncryptInPlace(buf, 16, Iv{}, &out) == CryptoResult::kBufferTooSmall);
  CHECK(buf == before);
}

TEST_CASE("AES-CBC refuses a key of the wrong length and names it", "[crypto]") {
  auto c = AesCbc::Create(CipherSuite::kAes256Cbc, std::vector<uint8_t>(16, 0));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(c.status().message()).find("key length 16") != std::string::npos);
  CHECK_FALSE(AesCbc::Create(CipherSuite::kAes128Gcm, std::vector<uint8_t>(16, 0)).ok());
}

TEST_CASE("IV generator never repeats an IV over 100000 draws", "[crypto][svr-7.56]") {
  auto g = IvGenerator::Create();
  REQUIRE(g.ok());
  std::set<Iv> seen;
  for (int i = 0; i < 100000; ++i) {
    Iv iv{};
    REQUIRE(g->Next(iv));
    CHECK(seen.insert(iv).second);
  }
}

TEST_CASE("Two IV generators produce unrelated streams", "[crypto][svr-7.56]") {
  auto a = IvGenerator::Create();
  auto b = IvGenerator::Create();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  Iv x{}, y{};
  REQUIRE(a->Next(x));
  REQUIRE(b->Next(y));
  CHECK(x != y);
  // Not a counter in clear: consecutive IVs differ in many bytes, not just the last.
  Iv x2{};
  REQUIRE(a->Next(x2));
  int differing = 0;
  for (size_t i = 0; i < x.size(); ++i) differing += x[i] != x2[i];
  CHECK(differing > 8);
}

}  // namespace
}  // namespace ssr::crypto
