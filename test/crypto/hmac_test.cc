// SPDX-License-Identifier: Apache-2.0
// PreparedHmac: published vectors, truncation, constant-size tags, time-based windows (§4.3, §4.4).
#include "crypto/hmac.h"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto_test_util.h"

namespace ssr::crypto {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::Repeat;

struct HmacVector {
  int test_case;
  std::vector<uint8_t> key;
  std::vector<uint8_t> data;
  std::string mac_hex;  // full HMAC-SHA-256, or the 128 bits RFC 4231 gives for case 5
};

// Source: RFC 4231 "Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256, HMAC-SHA-384,
// and HMAC-SHA-512", section 4.2-4.8 (test cases 1-7), the HMAC-SHA-256 rows. Case 5 is specified
// truncated to 128 bits.
std::vector<HmacVector> Rfc4231Vectors() {
  return {
      {1, Repeat(0x0b, 20), Bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {2, Bytes("Jefe"), Bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {3, Repeat(0xaa, 20), Repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {4, Hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {5, Repeat(0x0c, 20), Bytes("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"},
      {6, Repeat(0xaa, 131), Bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {7, Repeat(0xaa, 131),
       Bytes("This is a test using a larger than block-size key and a larger than block-size "
             "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

// Source: RFC 2202 "Test Cases for HMAC-MD5 and HMAC-SHA-1", section 3 (HMAC-SHA-1 cases 1, 2, 3,
// 6 and 7).
std::vector<HmacVector> Rfc2202Sha1Vectors() {
  return {
      {1, Repeat(0x0b, 20), Bytes("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"},
      {2, Bytes("Jefe"), Bytes("what do ya want for nothing?"),
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {3, Repeat(0xaa, 20), Repeat(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {6, Repeat(0xaa, 80), Bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {7, Repeat(0xaa, 80),
       Bytes("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
}

PreparedHmac Prepare(HmacSuite suite, const std::vector<uint8_t>& key) {
  auto h = PreparedHmac::Create(suite, key);
  REQUIRE(h.ok());
  return std::move(h).value();
}

TEST_CASE("HMAC-SHA256 reproduces RFC 4231 test cases 1-7", "[crypto][svr-7.51]") {
  for (const HmacVector& v : Rfc4231Vectors()) {
    CAPTURE(v.test_case);
    const PreparedHmac h = Prepare(HmacSuite::kSha256, v.key);
    std::array<uint8_t, 32> tag{};
    REQUIRE(h.Sign(v.data, kNoWindow, tag) == CryptoResult::kOk);
    const std::vector<uint8_t> expected = Hex(v.mac_hex);
    CHECK(std::vector<uint8_t>(tag.begin(), tag.begin() + expected.size()) == expected);
  }
}

TEST_CASE("HMAC-SHA256-128 equals the leftmost 16 bytes of HMAC-SHA256 (RFC 4231 cases 1-7)",
          "[crypto][svr-7.50]") {
  for (const HmacVector& v : Rfc4231Vectors()) {
    CAPTURE(v.test_case);
    const PreparedHmac h = Prepare(HmacSuite::kSha256_128, v.key);
    REQUIRE(h.tag_size() == 16);
    std::array<uint8_t, 16> tag{};
    REQUIRE(h.Sign(v.data, kNoWindow, tag) == CryptoResult::kOk);
    const std::vector<uint8_t> expected = Hex(v.mac_hex.substr(0, 32));
    CHECK(std::vector<uint8_t>(tag.begin(), tag.end()) == expected);
    CHECK(h.Matches(v.data, kNoWindow, expected));
  }
}

TEST_CASE("HMAC-SHA1 (receive-only suite) verifies RFC 2202 test vectors", "[crypto]") {
  for (const HmacVector& v : Rfc2202Sha1Vectors()) {
    CAPTURE(v.test_case);
    const PreparedHmac h = Prepare(HmacSuite::kSha1, v.key);
    REQUIRE(h.tag_size() == 20);
    const std::vector<uint8_t> tag = Hex(v.mac_hex);
    CHECK(h.Verify(v.data, tag, HmacMode::kRegular, 0, {}) == CryptoResult::kOk);
    std::vector<uint8_t> wrong = tag;
    wrong[19] ^= 0x01;
    CHECK(h.Verify(v.data, wrong, HmacMode::kRegular, 0, {}) == CryptoResult::kBadTag);
  }
}

TEST_CASE("HMAC tag sizes follow Appendix A", "[crypto][svr-7.49]") {
  CHECK(HmacTagSize(HmacSuite::kSha256) == 32);
  CHECK(HmacTagSize(HmacSuite::kSha256_128) == 16);
  CHECK(HmacTagSize(HmacSuite::kSha1) == 20);
  CHECK(HmacTagSize(HmacSuite::kNone) == 0);
}

TEST_CASE("HMAC rejects an empty key and names its length", "[crypto]") {
  auto h = PreparedHmac::Create(HmacSuite::kSha256, {});
  REQUIRE_FALSE(h.ok());
  CHECK(h.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(h.status().message()).find("length 0") != std::string::npos);
}

TEST_CASE("HMAC verify rejects a tag with any single bit flipped", "[crypto][svr-7.52]") {
  const PreparedHmac h = Prepare(HmacSuite::kSha256, Repeat(0x42, 32));
  const std::vector<uint8_t> msg = testing::Pattern(100);
  std::array<uint8_t, 32> tag{};
  REQUIRE(h.Sign(msg, kNoWindow, tag) == CryptoResult::kOk);
  REQUIRE(h.Verify(msg, tag, HmacMode::kRegular, 0, {}) == CryptoResult::kOk);
  for (size_t i = 0; i < tag.size() * 8; ++i) {
    auto bad = tag;
    bad[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    CHECK(h.Verify(msg, bad, HmacMode::kRegular, 0, {}) == CryptoResult::kBadTag);
  }
}

TEST_CASE("HMAC verify rejects a message with any single byte changed", "[crypto][svr-7.52]") {
  const PreparedHmac h = Prepare(HmacSuite::kSha256_128, Repeat(0x42, 32));
  const std::vector<uint8_t> msg = testing::Pattern(70);
  std::array<uint8_t, 16> tag{};
  REQUIRE(h.Sign(msg, kNoWindow, tag) == CryptoResult::kOk);
  for (size_t i = 0; i < msg.size(); ++i) {
    auto bad = msg;
    bad[i] ^= 0x80;
    CHECK(h.Verify(bad, tag, HmacMode::kRegular, 0, {}) == CryptoResult::kBadTag);
  }
}

TEST_CASE("Time-based HMAC input is T as 8 bytes big-endian followed by the data",
          "[crypto][svr-7.54]") {
  // Independent of the window logic: the tag for window T must equal the regular tag of
  // (T_be64 || data), which pins the encoding of §4.4.
  const PreparedHmac h = Prepare(HmacSuite::kSha256, Repeat(0x11, 32));
  const std::vector<uint8_t> data = Bytes("payload");
  const uint64_t t = 0x0102030405060708ull;
  // Built as one string (GCC 12 at -O2 misreports vector::insert after an initializer list as
  // -Warray-bounds).
  const std::vector<uint8_t> prefixed = Bytes(std::string("\x01\x02\x03\x04\x05\x06\x07\x08") +
                                              "payload");
  std::array<uint8_t, 32> a{}, b{};
  REQUIRE(h.Sign(data, t, a) == CryptoResult::kOk);
  REQUIRE(h.Sign(prefixed, kNoWindow, b) == CryptoResult::kOk);
  CHECK(a == b);
}

constexpr uint64_t kW = kDefaultTimeWindowMs;
constexpr uint64_t kT = 900'000'000;  // a sender window (≈ year 2027 in ms / 2000)

CryptoResult VerifyAtReceiverWindow(const PreparedHmac& h, const std::vector<uint8_t>& msg,
                                    std::span<const uint8_t> tag, int64_t delta,
                                    TimePolicy policy = {}) {
  // Receiver clock in the middle of window kT + delta.
  const uint64_t now = (kT + static_cast<uint64_t>(delta)) * kW + kW / 2;
  return h.Verify(msg, tag, HmacMode::kTimeBased, now, policy);
}

TEST_CASE("Time-based HMAC is accepted in receiver windows T-1, T and T+1", "[crypto][svr-7.54]") {
  const PreparedHmac h = Prepare(HmacSuite::kSha256_128, Repeat(0x21, 32));
  const std::vector<uint8_t> msg = testing::Pattern(64);
  std::array<uint8_t, 16> tag{};
  REQUIRE(h.Sign(msg, TimeWindowOf(kT * kW + 1999, 2000), tag) == CryptoResult::kOk);
  CHECK(VerifyAtReceiverWindow(h, msg, tag, -1) == CryptoResult::kOk);
  CHECK(VerifyAtReceiverWindow(h, msg, tag, 0) == CryptoResult::kOk);
  CHECK(VerifyAtReceiverWindow(h, msg, tag, +1) == CryptoResult::kOk);
}

TEST_CASE("Time-based HMAC is rejected as stale in receiver window T+2 and later",
          "[crypto][svr-7.54][svr-7.55]") {
  const PreparedHmac h = Prepare(HmacSuite::kSha256_128, Repeat(0x21, 32));
  const std::vector<uint8_t> msg = testing::Pattern(64);
  std::array<uint8_t, 16> tag{};
  REQUIRE(h.Sign(msg, kT, tag) == CryptoResult::kOk);
  CHECK(VerifyAtReceiverWindow(h, msg, tag, +2) == CryptoResult::kStale);
  CHECK(VerifyAtReceiverWindow(h, msg, tag, -2) == CryptoResult::kStale);  // sender clock ahead
  // Beyond the probed windows the packet is still dropped, as an ordinary bad tag.
  CHECK(VerifyAtReceiverWindow(h, msg, tag, +3) == CryptoResult::kBadTag);
  CHECK(VerifyAtReceiverWindow(h, msg, tag, +1000) == CryptoResult::kBadTag);
  // Wider probing reports older replays as stale too.
  CHECK(VerifyAtReceiverWindow(h, msg, tag, +3, TimePolicy{2000, 2}) == CryptoResult::kStale);
  // Probing off: stale packets are bad tags.
  CHECK(VerifyAtReceiverWindow(h, msg, tag, +2, TimePolicy{2000, 0}) == CryptoResult::kBadTag);
}

TEST_CASE("Time-based HMAC with a forged tag is a bad tag, not stale", "[crypto][svr-7.52]") {
  const PreparedHmac h = Prepare(HmacSuite::kSha256, Repeat(0x21, 32));
  const std::vector<uint8_t> msg = testing::Pattern(64);
  std::array<uint8_t, 32> tag{};
  REQUIRE(h.Sign(msg, kT, tag) == CryptoResult::kOk);
  tag[0] ^= 1;
  CHECK(VerifyAtReceiverWindow(h, msg, tag, 0) == CryptoResult::kBadTag);
}

TEST_CASE("A regular-mode tag does not verify in time-based mode", "[crypto]") {
  const PreparedHmac h = Prepare(HmacSuite::kSha256, Repeat(0x21, 32));
  const std::vector<uint8_t> msg = testing::Pattern(64);
  std::array<uint8_t, 32> tag{};
  REQUIRE(h.Sign(msg, kNoWindow, tag) == CryptoResult::kOk);
  CHECK(VerifyAtReceiverWindow(h, msg, tag, 0) == CryptoResult::kBadTag);
}

TEST_CASE("HMAC verify refuses a tag of the wrong length", "[crypto]") {
  const PreparedHmac h = Prepare(HmacSuite::kSha256_128, Repeat(0x21, 32));
  const std::vector<uint8_t> msg = testing::Pattern(10);
  std::array<uint8_t, 15> short_tag{};
  CHECK(h.Verify(msg, short_tag, HmacMode::kRegular, 0, {}) == CryptoResult::kTooShort);
}

TEST_CASE("A moved-from PreparedHmac keeps working in its new home", "[crypto]") {
  PreparedHmac a = Prepare(HmacSuite::kSha256, Repeat(0x0b, 20));
  PreparedHmac b = std::move(a);
  std::array<uint8_t, 32> tag{};
  REQUIRE(b.Sign(Bytes("Hi There"), kNoWindow, tag) == CryptoResult::kOk);
  CHECK(std::vector<uint8_t>(tag.begin(), tag.end()) ==
        Hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
}

}  // namespace
}  // namespace ssr::crypto
