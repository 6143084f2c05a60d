// SPDX-License-Identifier: Apache-2.0
// Automatic rekeying between two pipelines (docs/protocol.md §4.7.1, pipeline/rekey.cc): each
// router takes its unix clock as input (SetWallClockOffset), so the two clocks can be offset.
// Within the clock-skew bound traffic keeps flowing both ways across an epoch boundary and the
// established session survives; beyond it the packets under an epoch key outside its window are
// refused and counted (rekey_epoch_skew).
#include <catch2/catch.hpp>

#include <string>

#include "crypto/rekey.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr uint64_t kIntervalMs = 60'000;
constexpr uint64_t kSkewMs = 5'000;
// kStartMs lies 40 s before an epoch boundary.
constexpr uint64_t kEpoch = kStartMs / kIntervalMs;
constexpr uint64_t kBoundary = (kEpoch + 1) * kIntervalMs;
static_assert(kBoundary - kStartMs == 40'000);

PacketSpec Voice(uint16_t sport) { return VoiceSpec(sport, Keep({'r', 'k', 'e', 'y'})); }

// The default config whose peer-hop policy rekeys every 60 s (skew bound 5 s) from demo-master.
// REGULAR HMAC mode, so the only clock-dependent check is the epoch's.
std::string RekeyText() {
  std::string text(config::DefaultConfigText());
  text = Replace(text,
                 "  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n  hmac_keys: "
                 "\"hop-hmac\"",
                 "  hmac_mode: REGULAR\n  encryption_cipher: \"aes-256-cbc\"\n"
                 "  rekey_interval_seconds: 60\n  rekey_master_key: \"demo-master\"\n"
                 "  rekey_max_clock_skew_seconds: 5\n  hmac_keys: \"hop-hmac\"");
  return text;
}
std::shared_ptr<const config::Config> RekeyConfig() {
  auto c = LoadConfig(RekeyText());
  REQUIRE(c->security_policies[0].rekeys());
  return c;
}

bool RoundTrip(Rig& rig, uint16_t sport) {
  const size_t to_server = rig.to_server_.size();
  const size_t to_client = rig.to_client_.size();
  rig.FromClient(rig.ClientFrame(Voice(sport)));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Reversed(Voice(sport))));
  rig.Step();
  return rig.to_server_.size() == to_server + 1 && rig.to_client_.size() == to_client + 1 &&
         rig.to_server_.back() == rig.AtServer(Voice(sport)) &&
         rig.to_client_.back() == rig.AtClient(Reversed(Voice(sport)));
}

const session::Session& SessionOf(Pipeline& p, uint16_t sport) {
  for (uint32_t i = 0; i < p.sessions().capacity(); ++i) {
    const session::Session& s = p.sessions().at(i);
    if (s.live() && (s.forward.src_port == sport || s.reverse.dst_port == sport ||
                     s.forward.dst_port == sport || s.reverse.src_port == sport)) {
      return s;
    }
  }
  FAIL("no live session for port " << sport);
  return p.sessions().at(0);
}

uint64_t Crypto(const Pipeline& p, crypto::CryptoCounter c) { return p.CryptoCounters().Get(c); }

// Router clocks: B's unix time is kStartMs + b_ms at rig time kStartMs, A's is kStartMs + a_ms.
void SetClocks(Rig& rig, int64_t a_ms, int64_t b_ms) {
  rig.a().SetWallClockOffset(a_ms);
  rig.b().SetWallClockOffset(b_ms);
}

TEST_CASE("Rekeying: clocks offset within the bound, traffic flows both ways across the epoch "
          "boundary and the established session survives",
          "[pipeline][keys][rekey]") {
  for (const int64_t a_ahead : {int64_t{3'000}, int64_t{-3'000}}) {
    CAPTURE(a_ahead);
    RigOptions o;
    o.config = RekeyConfig();
    Rig rig(o);
    rig.AddServer("10.20.2.5");
    SetClocks(rig, a_ahead, 0);
    REQUIRE(RoundTrip(rig, 42000));
    REQUIRE(RoundTrip(rig, 42000));
    const uint32_t old_id = crypto::EpochKeyId(kEpoch);
    const uint32_t new_id = crypto::EpochKeyId(kEpoch + 1);
    CHECK(SessionOf(rig.a(), 42000).context == old_id);
    CHECK(SessionOf(rig.b(), 42000).context == old_id);
    CHECK(Get(rig.a(), PipelineCounter::kRekeyEpochChanged) == 0);
    // To 6 s before the boundary, then a round trip every second until 8 s after it.
    rig.Advance(kBoundary - kStartMs - 6'000);
    for (int i = 0; i < 14; ++i) {
      CAPTURE(i);
      CHECK(RoundTrip(rig, 42000));
      rig.Advance(1'000);
    }
    for (Pipeline* p : {&rig.a(), &rig.b()}) {
      CHECK(Get(*p, PipelineCounter::kAuthFail) == 0);
      CHECK(Get(*p, PipelineCounter::kRekeyEpochChanged) == 2);  // send and receive crypto
      CHECK(Crypto(*p, crypto::CryptoCounter::kRekeyEpochSkew) == 0);
      // The session learnt the new epoch key from the first packet under it, once.
      CHECK(SessionOf(*p, 42000).context == new_id);
      CHECK(Get(*p, PipelineCounter::kHopKeySwitched) == 1);
    }
    // A session opened in the new epoch names the new key in its metadata.
    const size_t wire = rig.wire_a_to_b_.size();
    REQUIRE(RoundTrip(rig, 42001));
    const WireView first = ViewWire(rig.wire_a_to_b_[wire], 16);
    REQUIRE(first.has_metadata);
    CHECK(first.header.security_id == new_id);
    CHECK(SessionOf(rig.b(), 42001).context == new_id);
    // Well past the boundary (the old key's window closed), both sessions keep going.
    rig.Advance(20'000);
    CHECK(RoundTrip(rig, 42000));
    CHECK(RoundTrip(rig, 42001));
    CHECK(Get(rig.a(), PipelineCounter::kAuthFail) == 0);
    CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
  }
}

TEST_CASE("Rekeying: a clock beyond the bound is refused and counted (rekey_epoch_skew), and "
          "the session recovers once the clocks are within it",
          "[pipeline][keys][rekey]") {
  RigOptions o;
  o.config = RekeyConfig();
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  // A's clock is 8 s ahead of B's (bound 5 s). Start with B 12 s before the boundary (A 4 s).
  SetClocks(rig, 28'000 + 8'000, 28'000);
  REQUIRE(RoundTrip(rig, 42000));
  REQUIRE(RoundTrip(rig, 42000));
  // B 7 s before the boundary, A 1 s after: A signs under the next epoch, which B accepts only
  // from 5 s before the boundary.
  rig.Advance(5'000);
  const size_t delivered = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(Voice(42000)));
  rig.Step();
  CHECK(rig.to_server_.size() == delivered);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 1);
  CHECK(Crypto(rig.b(), crypto::CryptoCounter::kRekeyEpochSkew) == 1);
  CHECK(Crypto(rig.b(), crypto::CryptoCounter::kHmacFail) == 0);
  // A new session's first packet names the next epoch's key in its metadata: refused as well.
  rig.FromClient(rig.ClientFrame(Voice(42001)));
  rig.Step();
  CHECK(rig.to_server_.size() == delivered);
  CHECK(Crypto(rig.b(), crypto::CryptoCounter::kRekeyEpochSkew) == 2);
  // B -> A still works: A accepts the previous epoch until 5 s after the boundary by its clock.
  const size_t to_client = rig.to_client_.size();
  rig.FromServer(rig.ServerFrame(Reversed(Voice(42000))));
  rig.Step();
  CHECK(rig.to_client_.size() == to_client + 1);
  // B reaches 4 s before the boundary (A 4 s after it): within B's window for the next epoch;
  // A's window for the previous one closes at +5 s by its clock. The session carries on.
  rig.Advance(3'000);
  CHECK(RoundTrip(rig, 42000));
  CHECK(Crypto(rig.b(), crypto::CryptoCounter::kRekeyEpochSkew) == 2);
  // B is now 2 s before the boundary, A 6 s after it: B still signs under the old epoch, which
  // A no longer accepts.
  rig.Advance(2'000);
  const size_t to_client2 = rig.to_client_.size();
  rig.FromServer(rig.ServerFrame(Reversed(Voice(42000))));
  rig.Step();
  CHECK(rig.to_client_.size() == to_client2);
  CHECK(Crypto(rig.a(), crypto::CryptoCounter::kRekeyEpochSkew) == 1);
  // Both past the boundary: everything flows again, old and new sessions.
  rig.Advance(3'000);
  CHECK(RoundTrip(rig, 42000));
  CHECK(RoundTrip(rig, 42002));
}

TEST_CASE("Rekeying turned on by a reload of both routers: the configured key is retired with its "
          "overlap and the established session keeps working",
          "[pipeline][keys][rekey][reload]") {
  std::string plain = RekeyText();
  plain = Replace(plain,
                  "  rekey_interval_seconds: 60\n  rekey_master_key: \"demo-master\"\n"
                  "  rekey_max_clock_skew_seconds: 5\n",
                  "");
  RigOptions o;
  o.config = LoadConfig(plain);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  REQUIRE(RoundTrip(rig, 42000));
  REQUIRE(RoundTrip(rig, 42000));
  CHECK(SessionOf(rig.b(), 42000).context == 2);  // hop-hmac
  const Bytes old_signed = rig.wire_a_to_b_.back();
  auto rekeyed = RekeyConfig();
  REQUIRE(rig.a().Reload(rekeyed).ok());
  REQUIRE(rig.b().Reload(rekeyed).ok());
  for (int i = 0; i < 3; ++i) CHECK(RoundTrip(rig, 42000));
  CHECK(SessionOf(rig.b(), 42000).context == crypto::EpochKeyId(kEpoch));
  // A packet signed under the retired key in its overlap is still accepted.
  const size_t delivered = rig.to_server_.size();
  rig.IntoB(old_signed);
  rig.Step();
  CHECK(rig.to_server_.size() == delivered + 1);
  CHECK(Get(rig.a(), PipelineCounter::kAuthFail) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
