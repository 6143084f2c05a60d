// SPDX-License-Identifier: Apache-2.0
// Key rotation by config reload (docs/protocol.md §4.7, pipeline/key_rotation.h): a reload that
// makes a new key current signs with it at once, the previous key stays accepted for
// key_rotation_overlap and is then refused (key_expired), established sessions keep working, and
// a session's end-to-end payload keeps the key it started with.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

PacketSpec Voice(uint16_t sport) { return VoiceSpec(sport, Keep({'k', 'r', 'o', 't'})); }

constexpr std::string_view kNewKeys =
    "keys { name: \"hop-hmac-2\" id: 5 derive { master_key: \"demo-master\" context: \"peer-hop "
    "hmac 2\" } }\n"
    "keys { name: \"payload-aes-2\" id: 6 derive { master_key: \"demo-master\" context: \"payload "
    "aes-256 2\" } }\n";

// The default config with the two extra keys defined, the peer-hop HMAC list `hop` (e.g.
// "\"hop-hmac-2\", \"hop-hmac\"") and the voice service encrypted end to end with payload-aes
// whose encryption_keys are `payload`.
std::shared_ptr<const config::Config> Keys(std::string_view hop, std::string_view payload) {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n  hmac_keys: \"hop-hmac\"",
                 "  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n  hmac_keys: [" +
                     std::string(hop) + "]");
  text = Replace(text, "encryption_keys: \"payload-aes\"",
                 "encryption_keys: [" + std::string(payload) + "]");
  text = Replace(text, "  access_policies { tenant: \"sales\" }\n}\nservices {\n  name: \"web\"",
                 "  access_policies { tenant: \"sales\" }\n  security_policy: \"payload-aes\"\n}\n"
                 "services {\n  name: \"web\"");
  text += kNewKeys;
  return LoadConfig(text);
}
constexpr std::string_view kOld = "\"hop-hmac\"";
constexpr std::string_view kBoth = "\"hop-hmac\", \"hop-hmac-2\"";      // 2 sends, 5 is next
constexpr std::string_view kRotated = "\"hop-hmac-2\", \"hop-hmac\"";   // 5 sends, 2 demoted
constexpr std::string_view kPayOld = "\"payload-aes\"";
constexpr std::string_view kPayRotated = "\"payload-aes-2\", \"payload-aes\"";

// One packet each way on the session of `sport`; true if both arrived intact.
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

// Establishes the session of `sport` and runs it to the fast path (no metadata either way).
void Establish(Rig& rig, uint16_t sport) {
  REQUIRE(RoundTrip(rig, sport));
  REQUIRE(RoundTrip(rig, sport));
}

const session::Session& SessionOf(Pipeline& p) {
  for (uint32_t i = 0; i < p.sessions().capacity(); ++i) {
    if (p.sessions().at(i).live()) return p.sessions().at(i);
  }
  FAIL("no live session");
  return p.sessions().at(0);
}

uint64_t Crypto(const Pipeline& p, crypto::CryptoCounter c) { return p.CryptoCounters().Get(c); }

TEST_CASE("Both routers reloaded with a new first HMAC key: no loss, the new key signs at once, "
          "the old one is accepted during the overlap",
          "[pipeline][reload][keys]") {
  RigOptions o;
  o.config = Keys(kOld, kPayOld);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  Establish(rig, 41000);
  const size_t before_reload = rig.wire_a_to_b_.size();
  REQUIRE(before_reload > 0);
  const Bytes old_signed = rig.wire_a_to_b_.back();  // a fast-path packet under key 2
  auto rotated = Keys(kRotated, kPayOld);
  REQUIRE(rig.a().Reload(rotated).ok());
  REQUIRE(rig.b().Reload(rotated).ok());
  for (int i = 0; i < 4; ++i) CHECK(RoundTrip(rig, 41000));
  CHECK(Get(rig.a(), PipelineCounter::kAuthFail) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
  // Both sides' sessions switched to key 5 on the first packet under it, once.
  CHECK(SessionOf(rig.b()).context == 5);
  CHECK(SessionOf(rig.a()).context == 5);
  CHECK(Get(rig.b(), PipelineCounter::kHopKeySwitched) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kHopKeySwitched) == 1);
  // A packet still under key 2 (sent before the reload, in its HMAC window) is accepted.
  const size_t delivered = rig.to_server_.size();
  rig.IntoB(old_signed);
  rig.Step();
  CHECK(rig.to_server_.size() == delivered + 1);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
  // New sessions start under key 5 (Security ID in their metadata).
  Establish(rig, 41001);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
}

TEST_CASE("Staggered rotation: one router reloaded, then the other, loses nothing",
          "[pipeline][reload][keys]") {
  RigOptions o;
  o.config = Keys(kBoth, kPayOld);  // key 5 distributed ahead, not yet sending
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  Establish(rig, 41000);
  auto rotated = Keys(kRotated, kPayOld);
  REQUIRE(rig.a().Reload(rotated).ok());
  // A signs with 5 (B lists it), B still with 2 (A accepts it in the overlap).
  for (int i = 0; i < 3; ++i) CHECK(RoundTrip(rig, 41000));
  CHECK(SessionOf(rig.b()).context == 5);
  Establish(rig, 41001);  // a session opened during the stagger
  REQUIRE(rig.b().Reload(rotated).ok());
  for (int i = 0; i < 3; ++i) {
    CHECK(RoundTrip(rig, 41000));
    CHECK(RoundTrip(rig, 41001));
  }
  // Past the overlap both send with 5 only: still nothing lost.
  rig.Advance(31'000);
  CHECK(RoundTrip(rig, 41000));
  CHECK(RoundTrip(rig, 41001));
  CHECK(Get(rig.a(), PipelineCounter::kAuthFail) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
  CHECK(Crypto(rig.b(), crypto::CryptoCounter::kKeyExpired) == 0);
}

TEST_CASE("After the overlap a packet under the demoted key is refused and counted",
          "[pipeline][reload][keys]") {
  RigOptions o;
  o.config = Keys(kOld, kPayOld);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  Establish(rig, 41000);
  // Only B rotates (overlap 10 s); A keeps signing with key 2.
  auto rotated = Keys(kRotated, kPayOld);
  auto config = std::make_shared<config::Config>(*rotated);
  for (auto& p : config->security_policies) p.key_rotation_overlap = std::chrono::seconds(10);
  REQUIRE(rig.b().Reload(config).ok());
  const size_t delivered = rig.to_server_.size();
  rig.Advance(9'000);
  rig.FromClient(rig.ClientFrame(Voice(41000)));
  rig.Step();
  CHECK(rig.to_server_.size() == delivered + 1);  // within the overlap
  rig.Advance(1'000);
  rig.FromClient(rig.ClientFrame(Voice(41000)));
  rig.Step();
  CHECK(rig.to_server_.size() == delivered + 1);  // overlap over: refused
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 1);
  CHECK(Crypto(rig.b(), crypto::CryptoCounter::kKeyExpired) == 1);
}

TEST_CASE("An encrypted session keeps its payload key through a rotation of it",
          "[pipeline][reload][keys]") {
  RigOptions o;
  o.config = Keys(kOld, kPayOld);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  Establish(rig, 41000);
  REQUIRE((SessionOf(rig.a()).flags & session::kPayloadEncrypted) != 0);
  CHECK(SessionOf(rig.a()).payload_key == 4);
  auto rotated = Keys(kOld, kPayRotated);
  REQUIRE(rig.a().Reload(rotated).ok());  // A's current payload key is 6, B's still 4
  for (int i = 0; i < 3; ++i) CHECK(RoundTrip(rig, 41000));
  REQUIRE(rig.b().Reload(rotated).ok());
  for (int i = 0; i < 3; ++i) CHECK(RoundTrip(rig, 41000));
  CHECK(SessionOf(rig.a()).payload_key == 4);
  CHECK(SessionOf(rig.b()).payload_key == 4);
  // A session opened after both reloads uses key 6.
  Establish(rig, 41001);
  // Past the overlap the old session moves to key 6 on both sides and keeps going.
  rig.Advance(31'000);
  for (int i = 0; i < 2; ++i) {
    CHECK(RoundTrip(rig, 41000));
    CHECK(RoundTrip(rig, 41001));
  }
  CHECK(Get(rig.a(), PipelineCounter::kPayloadDecryptFail) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kPayloadDecryptFail) == 0);
}

TEST_CASE("A session opened between the two reloads of a staggered payload-key rotation uses the "
          "ingress's key at both ends (TLV 62)",
          "[pipeline][reload][keys]") {
  RigOptions o;
  o.config = Keys(kOld, "\"payload-aes\", \"payload-aes-2\"");  // 6 distributed ahead
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  REQUIRE(rig.a().Reload(Keys(kOld, kPayRotated)).ok());  // A encrypts new sessions with 6
  Establish(rig, 41001);
  CHECK(SessionOf(rig.a()).payload_key == 6);
  CHECK(SessionOf(rig.b()).payload_key == 6);  // B's current key is still 4
  REQUIRE(rig.b().Reload(Keys(kOld, kPayRotated)).ok());
  for (int i = 0; i < 2; ++i) CHECK(RoundTrip(rig, 41001));
  CHECK(Get(rig.b(), PipelineCounter::kPayloadDecryptFail) == 0);
}

// A GCM hop policy (no HMAC): the hop trailer authenticates without decrypting, so a fast-path
// packet is tried under the other accepted keys too.
std::shared_ptr<const config::Config> GcmHop(std::string_view keys) {
  std::string text(config::DefaultConfigText());
  text = Replace(text,
                 "  hmac: \"sha256-128\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n"
                 "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n",
                 "  hmac: \"none\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-gcm\"\n"
                 "  encryption_keys: [" + std::string(keys) + "]\n");
  text += "keys { name: \"hop-aes-2\" id: 7 derive { master_key: \"demo-master\" context: "
          "\"peer-hop aes-256 2\" } }\n";
  return LoadConfig(text);
}

TEST_CASE("A GCM hop key rotated on both routers switches established sessions without loss",
          "[pipeline][reload][keys]") {
  RigOptions o;
  o.config = GcmHop("\"hop-aes\"");
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  Establish(rig, 41000);
  auto rotated = GcmHop("\"hop-aes-2\", \"hop-aes\"");
  REQUIRE(rig.a().Reload(rotated).ok());
  REQUIRE(rig.b().Reload(rotated).ok());
  for (int i = 0; i < 3; ++i) CHECK(RoundTrip(rig, 41000));
  CHECK(SessionOf(rig.b()).context == 7);
  CHECK(Get(rig.b(), PipelineCounter::kHopKeySwitched) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kAuthFail) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
}

TEST_CASE("A reload does not restart GCM nonces: every explicit nonce under a key is new",
          "[pipeline][reload][keys]") {
  RigOptions o;
  o.config = GcmHop("\"hop-aes\"");
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  Establish(rig, 41000);
  for (int reload = 0; reload < 2; ++reload) {
    REQUIRE(rig.a().Reload(GcmHop("\"hop-aes\"")).ok());  // same key, rebuilt crypto
    CHECK(RoundTrip(rig, 41000));
  }
  // The hop trailer ends each frame A sent: explicit nonce (8 bytes), tag (16).
  std::set<Bytes> nonces;
  for (const Bytes& f : rig.wire_a_to_b_) {
    REQUIRE(f.size() > 24);
    nonces.insert(Bytes(f.end() - 24, f.end() - 16));
  }
  CHECK(rig.wire_a_to_b_.size() >= 4);
  CHECK(nonces.size() == rig.wire_a_to_b_.size());
}

}  // namespace
}  // namespace ssr::pipeline::testing
