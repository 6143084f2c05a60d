// SPDX-License-Identifier: Apache-2.0
// Burst opening in the pipeline (pipeline/burst_open.h): the same traffic, tampered with on the
// cable in the same way, through two rigs, one with PipelineOptions::burst_crypto on and one with
// it off. The receiving router must reach the same verdict for every packet: the same packets
// delivered to the server, in the same order, byte for byte, and every pipeline and crypto
// counter equal (pipeline, crypto, session and metadata-decode counters; except burst_opened / burst_sealed, which say which path ran). The tampering
// covers bad tags, a valid tag over bad padding, stale windows (T-2, T+2), the previous window
// (T-1, accepted), bodies too short for a CBC trailer or not a block multiple under a valid tag,
// and payloads too short for the tag, in one burst mixed with good packets of encrypted and
// HMAC-only sessions and first packets of new sessions (metadata, opened one at a time).
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

// Replaces the L4 payload of an IPv4/UDP frame, fixing lengths and checksums.
void SetPayload(Bytes& f, const Bytes& region) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
  f.resize(info.payload_offset);
  f.insert(f.end(), region.begin(), region.end());
  const size_t l3 = info.l4_offset - 20;  // IPv4 without options (what the routers send)
  const size_t total = f.size() - l3;
  f[l3 + 2] = static_cast<uint8_t>(total >> 8);
  f[l3 + 3] = static_cast<uint8_t>(total);
  f[l3 + 10] = f[l3 + 11] = 0;
  const uint16_t hc = packet::Ipv4HeaderChecksum(std::span<const uint8_t>(f).subspan(l3, 20));
  f[l3 + 10] = static_cast<uint8_t>(hc >> 8);
  f[l3 + 11] = static_cast<uint8_t>(hc);
  const size_t l4 = info.l4_offset;
  const size_t ulen = f.size() - l4;
  f[l4 + 4] = static_cast<uint8_t>(ulen >> 8);
  f[l4 + 5] = static_cast<uint8_t>(ulen);
  f[l4 + 6] = f[l4 + 7] = 0;
  const uint16_t uc =
      packet::UdpChecksum(info.src, info.dst, std::span<const uint8_t>(f).subspan(l4));
  f[l4 + 6] = static_cast<uint8_t>(uc >> 8);
  f[l4 + 7] = static_cast<uint8_t>(uc);
}

constexpr size_t kTag = 16;
constexpr int kMutations = 10;

// Tampering number m (0: none) of a fast-path frame from A; `encrypted`: a CBC payload.
void Tamper(Bytes& f, int m, bool encrypted, const crypto::PreparedHmac& hmac, uint64_t t) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
  Bytes region(f.begin() + static_cast<long>(info.payload_offset), f.end());
  REQUIRE(region.size() > kTag + 32);
  auto resign = [&](Bytes& r, uint64_t window) {
    REQUIRE(hmac.Sign(std::span<const uint8_t>(r).first(r.size() - kTag), window,
                      std::span<uint8_t>(r).subspan(r.size() - kTag)) ==
            crypto::CryptoResult::kOk);
  };
  switch (m) {
    case 0:
      return;
    case 1:  // bad tag
      region[region.size() - 1] ^= 0x01;
      break;
    case 2:  // valid tag over a bad padding byte (encrypted), or over changed clear bytes
      if (encrypted) {
        // The byte before the last ciphertext block (or of the IV) XORs into the padding byte.
        const size_t ct = region.size() - kTag - crypto::kCbcIvSize;
        region[ct >= 32 ? ct - 17 : ct + 15] ^= 0x5a;
      } else {
        region[0] ^= 0x5a;
      }
      resign(region, t);
      break;
    case 3:  // stale (two windows old)
      resign(region, t - 2);
      break;
    case 4:  // the previous window: accepted
      resign(region, t - 1);
      break;
    case 5:  // the next window: accepted
      resign(region, t + 1);
      break;
    case 6:  // stale (two windows ahead)
      resign(region, t + 2);
      break;
    case 7:  // a valid tag over a body too short for IV + one block
      region.resize(8 + kTag);
      resign(region, t);
      break;
    case 8:  // a valid tag over a body that is no block multiple
      region.resize(16 + 25 + kTag);
      resign(region, t);
      break;
    case 9:  // shorter than the tag
      region.resize(10);
      break;
    default:
      FAIL("mutation " << m);
  }
  SetPayload(f, region);
}

struct Outcome {
  std::vector<Bytes> server;  // round 2, what B delivered
  util::CounterArray<PipelineCounter> counters;
  util::CounterArray<crypto::CryptoCounter> crypto;
  util::CounterArray<session::SessionCounter> sessions;
  util::CounterArray<svr::DecodeResult> decode;
  uint64_t burst_opened = 0;
  bool burst_active = false;
};

Outcome Run(bool burst) {
  RigOptions o;
  o.config = PayloadAesConfig();
  o.base.burst_crypto = burst;
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.AddServer("10.20.3.10");
  Outcome out;
  out.burst_active = rig.b().burst_crypto_status().ok();
  OpenSessions(rig);
  rig.Advance(5);
  auto hmac = crypto::PreparedHmac::Create(crypto::HmacSuite::kSha256_128,
                                           KeyBytes(rig.config(), "hop-hmac"));
  REQUIRE(hmac.ok());
  const uint64_t t = crypto::TimeWindowOf(rig.now(), crypto::kDefaultTimeWindowMs);
  int index = 0;
  std::vector<bool> fast_encrypted;  // the established packets of round 2, in sending order
  rig.cable = [&](Bytes& f, bool a_to_b) {
    if (!a_to_b) return true;
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
    const std::span<const uint8_t> region = info.Payload(std::span<const uint8_t>(f));
    if (svr::StartsWithCookie(region)) return true;  // first packets: left alone
    REQUIRE(static_cast<size_t>(index) < fast_encrypted.size());
    Tamper(f, index % kMutations, fast_encrypted[static_cast<size_t>(index)], *hmac, t);
    ++index;
    return true;
  };
  const size_t server0 = rig.to_server_.size();
  const std::vector<packet::PacketSpec> sent = MixedBurst();
  for (const packet::PacketSpec& s : sent) {
    if (s.src_port < 4000) fast_encrypted.push_back(s.dst_port == 5060);
  }
  for (const packet::PacketSpec& s : sent) rig.FromClient(rig.ClientFrame(s));
  rig.Step();
  out.server.assign(rig.to_server_.begin() + static_cast<long>(server0), rig.to_server_.end());
  out.counters = rig.b().counters();
  out.crypto = rig.b().CryptoCounters();
  out.sessions = rig.b().sessions().counters();
  out.decode = rig.b().decode_counters();
  out.burst_opened = Get(rig.b(), PipelineCounter::kBurstOpened);
  return out;
}

TEST_CASE("Burst opening reaches the verdicts, counters and delivered bytes of opening one "
          "packet at a time, on a burst with every kind of bad packet",
          "[pipeline][burst]") {
  const Outcome on = Run(true);
  const Outcome off = Run(false);
  CHECK(off.burst_opened == 0);
  if (!on.burst_active) {
    WARN("burst crypto unavailable here: both runs opened one packet at a time");
  } else {
    CHECK(on.burst_opened > 0);
  }
  // Something was delivered and something was refused for each reason.
  CHECK_FALSE(off.server.empty());
  CHECK(off.crypto.Get(crypto::CryptoCounter::kHmacFail) > 0);
  CHECK(off.crypto.Get(crypto::CryptoCounter::kHmacStale) > 0);
  CHECK(off.crypto.Get(crypto::CryptoCounter::kBadPadding) > 0);
  CHECK(off.crypto.Get(crypto::CryptoCounter::kTooShort) > 0);
  CHECK(off.crypto.Get(crypto::CryptoCounter::kNotBlockMultiple) > 0);
  CHECK(off.counters.Get(PipelineCounter::kPayloadDecryptFail) > 0);
  CHECK(off.counters.Get(PipelineCounter::kAuthFail) > 0);
  REQUIRE(on.server.size() == off.server.size());
  for (size_t i = 0; i < on.server.size(); ++i) {
    INFO("delivered packet " << i);
    CHECK(on.server[i] == off.server[i]);
  }
  for (size_t c = 0; c < util::CounterArray<PipelineCounter>::size(); ++c) {
    const auto pc = static_cast<PipelineCounter>(c);
    if (pc == PipelineCounter::kBurstOpened || pc == PipelineCounter::kBurstSealed) continue;
    INFO("pipeline counter " << CounterName(pc));
    CHECK(on.counters.Get(pc) == off.counters.Get(pc));
  }
  for (size_t c = 0; c < util::CounterArray<crypto::CryptoCounter>::size(); ++c) {
    const auto cc = static_cast<crypto::CryptoCounter>(c);
    INFO("crypto counter " << CounterName(cc));
    CHECK(on.crypto.Get(cc) == off.crypto.Get(cc));
  }
  for (size_t c = 0; c < util::CounterArray<session::SessionCounter>::size(); ++c) {
    const auto sc = static_cast<session::SessionCounter>(c);
    INFO("session counter " << CounterName(sc));
    CHECK(on.sessions.Get(sc) == off.sessions.Get(sc));
  }
  for (size_t c = 0; c < util::CounterArray<svr::DecodeResult>::size(); ++c) {
    const auto dc = static_cast<svr::DecodeResult>(c);
    INFO("decode counter " << CounterName(dc));
    CHECK(on.decode.Get(dc) == off.decode.Get(dc));
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
