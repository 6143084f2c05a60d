// SPDX-License-Identifier: Apache-2.0
// Authentication and encryption between two routers: forged, altered and replayed packets are
// dropped without state or reply; what is encrypted on the wire and what is not.
#include <algorithm>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

PacketSpec Voice(const Bytes& payload) { return VoiceSpec(40000, Keep(payload)); }

uint64_t CryptoGet(const Pipeline& p, crypto::CryptoCounter c) { return p.CryptoCounters().Get(c); }

TEST_CASE("A packet whose HMAC tag or payload was altered is dropped, creates no state and gets "
          "no reply",
          "[pipeline][svr-7.52]") {
  for (const char* what : {"tag", "payload", "metadata"}) {
    DYNAMIC_SECTION(what) {
      Rig rig;
      rig.AddServer("10.20.2.5");
      rig.cable = [&](Bytes& f, bool a_to_b) {
        if (!a_to_b) return true;
        packet::PacketInfo info;
        REQUIRE(packet::ParseFrame(f, &info) == packet::ParseResult::kOk);
        const size_t end = info.payload_offset + info.payload_length;
        const size_t at = std::string_view(what) == "tag"       ? end - 1
                          : std::string_view(what) == "payload" ? end - 16 - 2
                                                                : info.payload_offset + 40;
        f[at] ^= 0x01;
        // Keep the UDP checksum right: a router must drop on the tag, not the checksum.
        f[info.l4_offset + 6] = 0;
        f[info.l4_offset + 7] = 0;
        return true;
      };
      rig.FromClient(rig.ClientFrame(Voice({1, 2, 3, 4})));
      rig.Step();
      CHECK(rig.to_server_.empty());
      CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 1);
      CHECK(CryptoGet(rig.b(), crypto::CryptoCounter::kHmacFail) == 1);
      CHECK(rig.b().sessions().size() == 0);
      CHECK(rig.wire_b_to_a_.empty());
    }
  }
}

TEST_CASE("A captured packet replayed after the acceptance window is dropped as stale",
          "[pipeline][svr-7.55]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  rig.FromClient(rig.ClientFrame(Voice({9})));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  const Bytes captured = rig.wire_a_to_b_.at(0);
  rig.Advance(60'000);
  rig.IntoB(captured);
  rig.Step();
  CHECK(rig.to_server_.size() == 1);
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 1);
  const uint64_t rejected = CryptoGet(rig.b(), crypto::CryptoCounter::kHmacStale) +
                            CryptoGet(rig.b(), crypto::CryptoCounter::kHmacFail);
  CHECK(rejected == 1);
}

TEST_CASE("Garbage to a waypoint without a session and without the cookie is dropped before any "
          "HMAC work, traffic from a non-peer is dropped",
          "[pipeline][svr-7.53]") {
  RigOptions o;
  o.base.control_replies_per_second = 0;  // no recovery probe: nothing may be verified
  Rig rig(o);
  PacketSpec junk;
  junk.src_mac = rig.a_mac_wan_;
  junk.dst_mac = rig.b_mac_wan_;
  junk.src = Ip("192.0.2.1");
  junk.dst = Ip("192.0.2.2");
  junk.protocol = packet::kIpProtoUdp;
  junk.src_port = 16384;
  junk.dst_port = 16385;
  const Bytes payload(64, 0xab);
  junk.payload = payload;
  rig.IntoB(Rig::Build(junk));
  junk.src = Ip("192.0.2.99");  // not a peer
  rig.IntoB(Rig::Build(junk));
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kWanNoSession) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kWanNotPeer) == 1);
  CHECK(CryptoGet(rig.b(), crypto::CryptoCounter::kVerified) == 0);
  CHECK(CryptoGet(rig.b(), crypto::CryptoCounter::kHmacFail) == 0);
  CHECK(rig.wire_b_to_a_.empty());
  CHECK(rig.b().sessions().size() == 0);
}

TEST_CASE("Header TLVs are in clear, the payload-TLV section is encrypted when the hop policy "
          "encrypts, the payload is encrypted end to end only for services with a security "
          "policy (TLV 11)",
          "[pipeline][svr-7.59][svr-7.60]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  rig.AddServer("10.20.1.20");
  rig.FromClient(rig.ClientFrame(Voice({'v', 'o', 'i', 'c', 'e'})));  // voice: no payload policy
  PacketSpec syn;
  syn.src = Ip("10.10.1.10");
  syn.dst = Ip("10.20.1.20");  // erp: payload-aes
  syn.protocol = packet::kIpProtoTcp;
  syn.src_port = 43000;
  syn.dst_port = 443;
  syn.tcp_flags = packet::kTcpSyn;
  rig.FromClient(rig.ClientFrame(syn));
  rig.Step();
  REQUIRE(rig.wire_a_to_b_.size() == 2);
  for (const Bytes& f : rig.wire_a_to_b_) {
    const WireView w = ViewWire(f, 16);
    REQUIRE(w.has_metadata);
    CHECK(w.header.Has(svr::TlvField::kSecurityId));  // readable: header section in clear
    // Payload section = IV + whole AES blocks; the clear TLVs would not be block-aligned.
    CHECK(w.layout.payload_length % 16 == 0);
    svr::Metadata md;
    const auto section = w.l4_payload.subspan(w.layout.header_length, w.layout.payload_length);
    const bool readable =
        svr::DecodeTlvSection(section, svr::TlvSection::kPayload, &md, nullptr) ==
            svr::DecodeResult::kOk &&
        md.Has(svr::TlvField::kSessionUuid);
    CHECK_FALSE(readable);
  }
  // Voice's payload travels in clear after the metadata; erp's session is marked encrypted.
  const WireView voice = ViewWire(rig.wire_a_to_b_[0], 16);
  const auto vp = voice.l4_payload.subspan(voice.layout.total(), 5);
  CHECK(Bytes(vp.begin(), vp.end()) == Bytes{'v', 'o', 'i', 'c', 'e'});
  CHECK((rig.a().sessions().at(0).flags & session::kPayloadEncrypted) == 0);
  CHECK((rig.a().sessions().at(1).flags & session::kPayloadEncrypted) != 0);
  CHECK((rig.b().sessions().at(1).flags & session::kPayloadEncrypted) != 0);
  CHECK(rig.to_server_.size() == 2);
}

TEST_CASE("With the hop policy on AES-GCM (no HMAC) sessions work end to end and a forged "
          "packet is dropped",
          "[pipeline]") {
  std::string text(config::DefaultConfigText());
  text = Replace(text,
                 "  hmac: \"sha256-128\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n"
                 "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n",
                 "  hmac: \"none\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-gcm\"\n"
                 "  encryption_keys: \"hop-aes\"\n");
  RigOptions o;
  o.config = LoadConfig(text);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  const PacketSpec req = Voice({1, 2, 3});
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(req));
  PacketSpec rsp = req;
  std::swap(rsp.src, rsp.dst);
  std::swap(rsp.src_port, rsp.dst_port);
  rig.FromServer(rig.ServerFrame(rsp));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.to_client_[0] == rig.AtClient(rsp));
  // Fast path: 24 bytes of GCM trailer, nothing else.
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(rig.wire_a_to_b_.back(), &info) == packet::ParseResult::kOk);
  CHECK(info.payload_length == 3 + 24);
  // Flip one byte of the fast-path payload: dropped.
  Bytes forged = rig.wire_a_to_b_.back();
  forged[info.payload_offset] ^= 0x80;
  forged[info.l4_offset + 6] = 0;
  forged[info.l4_offset + 7] = 0;
  rig.IntoB(forged);
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 1);
  CHECK(rig.to_server_.size() == 2);
}

TEST_CASE("A hop policy without HMAC and without encryption forwards sessions with no trailer",
          "[pipeline]") {
  std::string text(config::DefaultConfigText());
  text = Replace(text,
                 "  hmac: \"sha256-128\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n"
                 "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n",
                 "  hmac: \"none\"\n  encryption_cipher: \"none\"\n");
  RigOptions o;
  o.config = LoadConfig(text);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  const PacketSpec req = Voice({5, 6, 7});
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(req));
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(rig.wire_a_to_b_.back(), &info) == packet::ParseResult::kOk);
  // Still in SEND_MD (no answer yet), so metadata; the payload follows it with no tag after.
  const WireView w = ViewWire(rig.wire_a_to_b_.back(), 0);
  REQUIRE(w.has_metadata);
  CHECK(info.payload_length == w.layout.total() + 3);
  CHECK(rig.to_server_.size() == 2);
}

TEST_CASE("Time-based HMAC windows follow the wall-clock offset, not the clock passed in",
          "[pipeline][svr-7.54]") {
  for (const bool same_wall_time : {true, false}) {
    DYNAMIC_SECTION((same_wall_time ? "routers agree on wall time" : "A's wall clock 60 s ahead")) {
      Rig rig;
      rig.AddServer("10.20.2.5");
      // Both routers get the same monotonic clock; their wall-clock offsets decide the window.
      rig.a().SetWallClockOffset(same_wall_time ? 5'000'000 : 5'060'000);
      rig.b().SetWallClockOffset(5'000'000);
      rig.FromClient(rig.ClientFrame(Voice({1})));
      rig.Step();
      CHECK(rig.to_server_.size() == (same_wall_time ? 1u : 0u));
      CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == (same_wall_time ? 0u : 1u));
    }
  }
}

TEST_CASE("Peer liveness (UDP 1280) from a peer is a counted drop while no peer layer runs") {
  Rig rig;
  PacketSpec bfd;
  bfd.src_mac = rig.a_mac_wan_;
  bfd.dst_mac = rig.b_mac_wan_;
  bfd.src = Ip("192.0.2.1");
  bfd.dst = Ip("192.0.2.2");
  bfd.protocol = packet::kIpProtoUdp;
  bfd.src_port = 49152;
  bfd.dst_port = config::kPeerLivenessPort;
  const Bytes payload(24, 0x20);
  bfd.payload = payload;
  rig.IntoB(Rig::Build(bfd));
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kPeerLiveness) == 1);
  CHECK(CounterKindOf(PipelineCounter::kPeerLiveness) == util::CounterKind::kDrop);
  CHECK(rig.wire_b_to_a_.empty());
  CHECK(rig.to_server_.empty());
  CHECK(rig.b().sessions().size() == 0);
}

TEST_CASE("A pipeline counter is a drop counter exactly when its help says it dropped the packet") {
  for (size_t i = 0; i < util::CounterCount<PipelineCounter>(); ++i) {
    const auto c = static_cast<PipelineCounter>(i);
    CAPTURE(CounterName(c));
    const bool says_dropped = CounterHelp(c).starts_with("dropped:");
    CHECK(says_dropped == (CounterKindOf(c) == util::CounterKind::kDrop));
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
