// SPDX-License-Identifier: Apache-2.0
// Burst sealing in the pipeline (pipeline/burst_seal.h): the same traffic through two rigs, one
// with PipelineOptions::burst_crypto on and one with it off, in mixed bursts (payload-encrypted
// sessions, HMAC-only sessions, first packets). IVs are drawn from a generator seeded by the OS
// (crypto::IvGenerator), so ciphertexts cannot be compared across runs; instead each frame pair
// must agree on every clear byte (headers, lengths, metadata header, HMAC-only frames entirely),
// the burst-sealed tag must be OpenSSL's HMAC of the frame, OpenSSL must decrypt both to the same
// plaintext, and the far router must accept every frame and deliver the same packets in order.
#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "burst_test_util.h"
#include "crypto/burst.h"
#include "crypto/cbc.h"
#include "crypto/hmac.h"
#include "packet/checksum.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

struct Traffic {
  std::vector<Bytes> wire;    // round 2, A -> B
  std::vector<Bytes> server;  // round 2, what B delivered
  uint64_t burst_sealed = 0;
  uint64_t crypto_fail_a = 0;
  uint64_t hmac_fail_b = 0;
  bool burst_active = false;
};

// Round 1 opens the sessions both ways (metadata handshake done); round 2 is one mixed burst of
// established encrypted and HMAC-only packets with first packets of new sessions among them.
Traffic Run(bool burst, std::vector<packet::PacketSpec>* sent) {
  RigOptions o;
  o.config = PayloadAesConfig();
  o.base.burst_crypto = burst;
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.AddServer("10.20.3.10");
  Traffic t;
  t.burst_active = rig.a().burst_crypto_status().ok();
  OpenSessions(rig);
  rig.Advance(5);
  const size_t wire0 = rig.wire_a_to_b_.size();
  const size_t server0 = rig.to_server_.size();
  *sent = MixedBurst();
  for (const packet::PacketSpec& s : *sent) rig.FromClient(rig.ClientFrame(s));
  rig.Step();
  t.wire.assign(rig.wire_a_to_b_.begin() + static_cast<long>(wire0), rig.wire_a_to_b_.end());
  t.server.assign(rig.to_server_.begin() + static_cast<long>(server0), rig.to_server_.end());
  for (size_t i = 0; i < t.server.size() && i < sent->size(); ++i) {
    INFO("packet " << i);
    CHECK(t.server[i] == rig.AtServer((*sent)[i]));  // accepted, delivered in order
  }
  t.burst_sealed = Get(rig.a(), PipelineCounter::kBurstSealed);
  t.crypto_fail_a = Get(rig.a(), PipelineCounter::kCryptoFail);
  t.hmac_fail_b = rig.b().CryptoCounters().Get(crypto::CryptoCounter::kHmacFail);
  return t;
}

TEST_CASE("Burst sealing puts the same bytes on the wire as sealing one packet at a time, in "
          "mixed bursts, and the far router accepts every packet in order",
          "[pipeline][burst]") {
  std::vector<packet::PacketSpec> sent_on, sent_off;
  const Traffic on = Run(true, &sent_on);
  const Traffic off = Run(false, &sent_off);
  CHECK(off.burst_sealed == 0);
  if (!on.burst_active) {
    WARN("burst sealing unavailable here: both runs sealed one packet at a time");
  }
  REQUIRE(on.wire.size() == sent_on.size());
  REQUIRE(off.wire.size() == sent_off.size());
  CHECK(on.server.size() == sent_on.size());
  CHECK(off.server.size() == sent_off.size());
  CHECK(on.crypto_fail_a == 0);
  CHECK(on.hmac_fail_b == 0);
  CHECK(off.hmac_fail_b == 0);

  auto cfg = PayloadAesConfig();
  auto hmac = crypto::PreparedHmac::Create(crypto::HmacSuite::kSha256_128,
                                           KeyBytes(*cfg, "hop-hmac"));
  REQUIRE(hmac.ok());
  auto cbc = crypto::AesCbc::Create(crypto::CipherSuite::kAes256Cbc, KeyBytes(*cfg, "payload-aes"));
  REQUIRE(cbc.ok());
  const uint64_t window = crypto::TimeWindowOf(kStartMs + 5, crypto::kDefaultTimeWindowMs);
  size_t encrypted_checked = 0, plain_identical = 0;
  for (size_t i = 0; i < sent_on.size(); ++i) {
    INFO("frame " << i);
    const Bytes& a = on.wire[i];
    const Bytes& b = off.wire[i];
    REQUIRE(a.size() == b.size());
    packet::PacketInfo ia;
    REQUIRE(packet::ParseFrame(a, &ia) == packet::ParseResult::kOk);
    const size_t l4 = ia.l4_offset;
    // Ethernet, IP header (lengths, id, checksum), UDP ports and length: identical.
    CHECK(std::equal(a.begin(), a.begin() + static_cast<long>(l4 + 6), b.begin()));
    const std::span<const uint8_t> region = ia.Payload(std::span<const uint8_t>(a));
    if (svr::StartsWithCookie(region)) continue;  // first packets: metadata sealed with its own IV
    const bool encrypted = sent_on[i].dst_port == 5060;
    if (!encrypted) {
      CHECK(a == b);  // HMAC-only (a hash-only burst job): nothing random, the same frame
      ++plain_identical;
      continue;
    }
    // The tag is OpenSSL's HMAC-SHA256-128 of T || ciphertext || IV.
    const size_t tag = 16;
    Bytes expect_tag(tag);
    REQUIRE(hmac->Sign(region.first(region.size() - tag), window, expect_tag) ==
            crypto::CryptoResult::kOk);
    CHECK(Bytes(region.end() - tag, region.end()) == expect_tag);
    // OpenSSL decrypts both frames to the same plaintext (the IVs differ, the payloads do not).
    auto plain = [&](const Bytes& f) {
      packet::PacketInfo info;
      REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
      const auto r = info.Payload(std::span<const uint8_t>(f));
      Bytes ct(r.begin(), r.end() - static_cast<long>(tag + crypto::kCbcIvSize));
      std::array<uint8_t, crypto::kCbcIvSize> iv{};
      std::copy(r.end() - static_cast<long>(tag + crypto::kCbcIvSize), r.end() - tag, iv.begin());
      size_t n = 0;
      REQUIRE(cbc->DecryptInPlace(ct, iv, &n) == crypto::CryptoResult::kOk);
      ct.resize(n);
      return ct;
    };
    CHECK(plain(a) == plain(b));
    // The UDP checksum is right for the burst-sealed bytes.
    Bytes seg(a.begin() + static_cast<long>(l4), a.end());
    seg[6] = seg[7] = 0;
    CHECK(packet::UdpChecksum(ia.src, ia.dst, seg) ==
          static_cast<uint16_t>(a[l4 + 6] << 8 | a[l4 + 7]));
    ++encrypted_checked;
  }
  CHECK(encrypted_checked == 3 * kEncrypted);
  CHECK(plain_identical == 3 * kPlain);
  if (on.burst_active) {
    // Every packet of round 2 was burst-sealed (encrypted and HMAC-only, first packets with their
    // metadata too); round 1 came one packet per burst: sealed one at a time.
    CHECK(on.burst_sealed == 3 * (kEncrypted + kPlain) + kNew);
  }
}

TEST_CASE("In a burst, packets that need outer fragments keep the one-at-a-time path and their "
          "place among burst-sealed ones", "[pipeline][burst]") {
  RigOptions o;
  o.config = PayloadAesConfig();
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  if (!rig.a().burst_crypto_status().ok()) {
    WARN("burst sealing unavailable: " << rig.a().burst_crypto_status().message());
  }
  const packet::PacketSpec open = Flow(true, 3100, 1, 64);
  rig.FromClient(rig.ClientFrame(open));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Reversed(open)));
  rig.Step();
  const size_t server0 = rig.to_server_.size();
  const uint64_t sealed0 = Get(rig.a(), PipelineCounter::kBurstSealed);
  std::vector<packet::PacketSpec> sent;
  for (int i = 0; i < 16; ++i) {
    // 1400 bytes leave whole; 1460 bytes (no DF) exceed the path MTU once encrypted and signed:
    // outer IPv4 fragments, sealed one at a time.
    sent.push_back(Flow(true, 3100, static_cast<uint8_t>(i), i % 2 == 0 ? 1400 : 1460));
  }
  for (const packet::PacketSpec& p : sent) rig.FromClient(rig.ClientFrame(p));
  rig.Step();
  REQUIRE(rig.to_server_.size() - server0 == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    INFO("packet " << i);
    CHECK(rig.to_server_[server0 + i] == rig.AtServer(sent[i]));
  }
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 16);  // frames: 2 per packet
  if (rig.a().burst_crypto_status().ok()) {
    CHECK(Get(rig.a(), PipelineCounter::kBurstSealed) - sealed0 == 8);
  }
}

TEST_CASE("burst_crypto off, or no engine, is reported with its reason", "[pipeline][burst]") {
  RigOptions o;
  o.config = PayloadAesConfig();
  o.base.burst_crypto = false;
  Rig rig(o);
  CHECK(rig.a().burst_crypto_status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(rig.a().burst_crypto_status().message()).find("burst_crypto") !=
        std::string::npos);
  Rig on;
  if (crypto::BurstCryptoBuilt()) {
    CHECK((on.a().burst_crypto_status().ok() ||
           on.a().burst_crypto_status().code() == absl::StatusCode::kUnavailable));
  } else {
    CHECK(on.a().burst_crypto_status().code() == absl::StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
