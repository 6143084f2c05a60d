// SPDX-License-Identifier: Apache-2.0
// Three routers in a row: branch -> hub -> datacenter. The hub is an intermediate SVR router: it
// relays the session between two waypoint pairs, re-encrypts the metadata for the next hop and
// passes the end-to-end encrypted payload through unchanged (§2.5 step 7, §4.5).
#include <algorithm>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "fragment_util.h"
#include "pipeline_rig.h"
#include "three_router_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr char kThreeRouters[] = R"pb(
organization: "transit-test"
routers {
  name: "branch"
  interfaces { name: "lan0" role: LAN addresses: "10.10.0.1/16" }
  interfaces { name: "wan0" role: WAN addresses: "192.0.2.1/24" security_policy: "hop" }
  peers { name: "hub" addresses: "192.0.2.3" interface: "wan0" security_policy: "hop" }
  service_routes { name: "voice-via-hub" service: "voice" peer: "hub" }
}
routers {
  name: "hub"
  interfaces { name: "lan0" role: LAN addresses: "10.30.0.1/16" }
  interfaces { name: "wan0" role: WAN addresses: "192.0.2.3/24" security_policy: "hop" }
  interfaces { name: "wan1" role: WAN addresses: "198.51.100.3/24" security_policy: "hop" }
  peers { name: "branch" addresses: "192.0.2.1" interface: "wan0" security_policy: "hop" }
  peers { name: "datacenter" addresses: "198.51.100.2" interface: "wan1" security_policy: "hop" }
  service_routes { name: "voice-via-dc" service: "voice" peer: "datacenter" }
}
routers {
  name: "datacenter"
  interfaces { name: "lan0" role: LAN addresses: "10.20.0.1/16" }
  interfaces { name: "wan0" role: WAN addresses: "198.51.100.2/24" security_policy: "hop" }
  peers { name: "hub" addresses: "198.51.100.3" interface: "wan0" security_policy: "hop" }
  service_routes { name: "voice-local" service: "voice" next_hop { interface: "lan0" } }
}
tenants { name: "sales" members { router: "branch" interface: "lan0" prefixes: "10.10.2.0/24" } }
services {
  name: "voice"
  prefixes: "10.20.2.0/24"
  transports { protocol: UDP ports { start: 5060 } }
  access_policies { tenant: "sales" }
  security_policy: "payload"
}
security_policies {
  name: "hop"
  hmac: "sha256-128"
  encryption_cipher: "aes-256-cbc"
  hmac_keys: "hop-hmac"
  encryption_keys: "hop-aes"
}
security_policies {
  name: "payload"
  hmac: "sha256-128"
  encryption_cipher: "aes-256-cbc"
  hmac_keys: "hop-hmac"
  encryption_keys: "payload-aes"
}
keys { name: "m" id: 1 hex: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" }
keys { name: "hop-hmac" id: 2 derive { master_key: "m" context: "hop hmac" } }
keys { name: "hop-aes" id: 3 derive { master_key: "m" context: "hop aes" } }
keys { name: "payload-aes" id: 4 derive { master_key: "m" context: "payload aes" } }
)pb";

constexpr packet::MacAddress Mac(uint8_t router, uint8_t itf) { return {2, 0x55, router, 0, 0, itf}; }

class ThreeRig : public ThreeRouters {
 public:
  // `branch_config`: the branch's own config when set (a peer whose config disagrees).
  // `text`: the config of all three (kThreeRouters unless a test changes it).
  explicit ThreeRig(std::shared_ptr<const config::Config> branch_config = nullptr,
                    std::string_view text = kThreeRouters)
      : ThreeRouters(LoadConfig(text), {"branch", "hub", "datacenter"}, branch_config) {
    r_[0]->Bind(0, &a_lan_);
    r_[0]->Bind(1, &a_wan_);
    r_[1]->Bind(1, &h_wan0_);
    r_[1]->Bind(2, &h_wan1_);
    r_[2]->Bind(1, &b_wan_);
    r_[2]->Bind(0, &b_lan_);
    r_[0]->neighbors().SetStatic(1, Ip("192.0.2.3"), Mac(1, 1));
    r_[1]->neighbors().SetStatic(1, Ip("192.0.2.1"), Mac(0, 1));
    r_[1]->neighbors().SetStatic(2, Ip("198.51.100.2"), Mac(2, 1));
    r_[2]->neighbors().SetStatic(1, Ip("198.51.100.3"), Mac(1, 2));
    r_[2]->neighbors().SetStatic(0, Ip("10.20.2.5"), kServerMac);
  }
  Pipeline& branch() { return *r_[0]; }
  Pipeline& hub() { return *r_[1]; }
  Pipeline& dc() { return *r_[2]; }

  void FromClient(PacketSpec s) {
    s.src_mac = kClientMac;
    s.dst_mac = Mac(0, 0);
    REQUIRE(a_lan_.Inject(Rig::Build(s)));
  }
  bool InjectClient(const Bytes& frame) { return a_lan_.Inject(frame); }
  void FromServer(PacketSpec s) {
    s.src_mac = kServerMac;
    s.dst_mac = Mac(2, 0);
    REQUIRE(b_lan_.Inject(Rig::Build(s)));
  }
  // Expected frame at the far host after three router hops.
  static Bytes AtHost(PacketSpec s, const packet::MacAddress& router_mac,
                      const packet::MacAddress& host_mac) {
    s.src_mac = router_mac;
    s.dst_mac = host_mac;
    s.ttl = static_cast<uint8_t>(s.ttl - 3);
    return Rig::Build(s);
  }
  void Step() {
    for (int round = 0; round < 64; ++round) {
      size_t moved = PollAll(now_);
      moved += Carry(a_wan_, h_wan0_, &hop1_fwd) + Carry(h_wan0_, a_wan_, &hop1_rev) +
               Carry(h_wan1_, b_wan_, &hop2_fwd) + Carry(b_wan_, h_wan1_, &hop2_rev);
      for (Bytes& f : a_lan_.TakeTransmitted()) to_client.push_back(std::move(f));
      for (Bytes& f : b_lan_.TakeTransmitted()) to_server.push_back(std::move(f));
      if (moved == 0) return;
    }
    FAIL("frames kept moving for 64 rounds");
  }

  std::vector<Bytes> hop1_fwd, hop1_rev, hop2_fwd, hop2_rev, to_client, to_server;
  uint64_t now_ = kStartMs;

 private:
  io::MemoryPort a_lan_{"a-lan", &pool_[0]}, a_wan_{"a-wan", &pool_[0]};
  io::MemoryPort h_wan0_{"h-wan0", &pool_[1]}, h_wan1_{"h-wan1", &pool_[1]};
  io::MemoryPort b_wan_{"b-wan", &pool_[2]}, b_lan_{"b-lan", &pool_[2]};
};

// Bytes after the metadata and before the 16-byte HMAC tag: the payload ciphertext + its IV.
Bytes PayloadAfterMetadata(const Bytes& frame) {
  const WireView w = ViewWire(frame, 16);
  const size_t skip = w.has_metadata ? w.layout.total() : 0;
  const auto p = w.l4_payload.subspan(skip, w.l4_payload.size() - skip - 16);
  return Bytes(p.begin(), p.end());
}

TEST_CASE("An intermediate router relays a session between two peers: payload ciphertext "
          "unchanged, metadata re-encrypted for the next hop, one session per router",
          "[pipeline][svr-7.58]") {
  ThreeRig rig;
  PacketSpec req = VoiceSpec(40000, Keep({'t', 'r', 'a', 'n', 's', 'i', 't'}));
  rig.FromClient(req);
  rig.Step();
  REQUIRE(rig.to_server.size() == 1);
  CHECK(rig.to_server[0] == ThreeRig::AtHost(req, Mac(2, 0), kServerMac));
  REQUIRE(rig.hop1_fwd.size() == 1);
  REQUIRE(rig.hop2_fwd.size() == 1);
  const WireView h1 = ViewWire(rig.hop1_fwd[0], 16);
  const WireView h2 = ViewWire(rig.hop2_fwd[0], 16);
  REQUIRE(h1.has_metadata);
  REQUIRE(h2.has_metadata);
  // The end-to-end encrypted payload (ciphertext + IV) is byte-identical on both hops...
  CHECK(PayloadAfterMetadata(rig.hop1_fwd[0]) == PayloadAfterMetadata(rig.hop2_fwd[0]));
  CHECK(PayloadAfterMetadata(rig.hop1_fwd[0]).size() == 16 + 16);
  // ...while the metadata was re-encrypted (fresh IV) and the outer tuple is the hub's.
  const auto s1 = h1.l4_payload.subspan(h1.layout.header_length, h1.layout.payload_length);
  const auto s2 = h2.l4_payload.subspan(h2.layout.header_length, h2.layout.payload_length);
  CHECK_FALSE(std::equal(s1.begin(), s1.end(), s2.begin(), s2.end()));
  CHECK(h2.info.src == Ip("198.51.100.3"));
  CHECK(h2.info.dst == Ip("198.51.100.2"));
  CHECK(rig.hub().sessions().size() == 1);
  CHECK(rig.hub().counters().Get(PipelineCounter::kTransitRelayed) == 1);
  CHECK(rig.dc().sessions().size() == 1);
  CHECK(rig.hub().sessions().at(0).uuid == rig.dc().sessions().at(0).uuid);

  // The reply comes back through the hub; then the handshake settles on all three routers.
  PacketSpec rsp = req;
  std::swap(rsp.src, rsp.dst);
  std::swap(rsp.src_port, rsp.dst_port);
  rsp.payload = Keep({'o', 'k'});
  rig.FromServer(rsp);
  rig.Step();
  REQUIRE(rig.to_client.size() == 1);
  CHECK(rig.to_client[0] == ThreeRig::AtHost(rsp, Mac(0, 0), kClientMac));
  CHECK(ViewWire(rig.hop2_rev.at(0), 16).has_metadata);
  CHECK(ViewWire(rig.hop1_rev.at(0), 16).has_metadata);
  rig.FromClient(req);
  rig.Step();
  rig.FromServer(rsp);
  rig.Step();
  CHECK_FALSE(ViewWire(rig.hop1_fwd.back(), 16).has_metadata);
  CHECK_FALSE(ViewWire(rig.hop2_fwd.back(), 16).has_metadata);
  CHECK_FALSE(ViewWire(rig.hop2_rev.back(), 16).has_metadata);
  CHECK_FALSE(ViewWire(rig.hop1_rev.back(), 16).has_metadata);
  CHECK(rig.to_server.size() == 2);
  CHECK(rig.to_server[1] == ThreeRig::AtHost(req, Mac(2, 0), kServerMac));
  CHECK(rig.to_client.size() == 2);
}

TEST_CASE("A first packet that fits only without its metadata crosses the intermediate router as "
          "SVR fragments on both hops, its reply too",
          "[pipeline][svr-fragment]") {
  ThreeRig rig;
  PacketSpec req = VoiceSpec(40000, {});
  req.dont_fragment = true;
  // The largest packet the fast path carries: 16-byte tag, 16-byte IV, the body padded to a
  // block (pmtu_test.cc).
  Bytes payload(1467 - 28);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 5 + 1);
  req.payload = Keep(payload);
  rig.FromClient(req);
  rig.Step();
  REQUIRE(rig.to_server.size() == 1);
  CHECK(rig.to_server[0] == ThreeRig::AtHost(req, Mac(2, 0), kServerMac));
  CHECK(rig.hop1_fwd.size() == 2);
  CHECK(rig.hop2_fwd.size() == 2);
  for (const auto* hop : {&rig.hop1_fwd, &rig.hop2_fwd}) {
    for (const Bytes& f : *hop) {
      const WireView w = ViewWire(f, 16);
      CHECK(w.header.Has(svr::TlvField::kFragment));
      CHECK(w.info.l3_length <= 1500);
    }
  }
  CHECK(rig.branch().counters().Get(PipelineCounter::kSvrFragmentedPackets) == 1);
  CHECK(rig.hub().counters().Get(PipelineCounter::kSvrFragReassembled) == 1);
  CHECK(rig.hub().counters().Get(PipelineCounter::kSvrFragmentedPackets) == 1);
  CHECK(rig.hub().counters().Get(PipelineCounter::kTransitRelayed) == 1);
  CHECK(rig.dc().counters().Get(PipelineCounter::kSvrFragReassembled) == 1);

  PacketSpec rsp = req;
  std::swap(rsp.src, rsp.dst);
  std::swap(rsp.src_port, rsp.dst_port);
  rig.FromServer(rsp);
  rig.Step();
  REQUIRE(rig.to_client.size() == 1);
  CHECK(rig.to_client[0] == ThreeRig::AtHost(rsp, Mac(0, 0), kClientMac));
  CHECK(rig.hop2_rev.size() == 2);
  CHECK(rig.hop1_rev.size() == 2);
  CHECK(rig.branch().counters().Get(PipelineCounter::kSvrFragReassembled) == 1);
}

TEST_CASE("An intermediate router relays datagrams that crossed in outer fragments as outer "
          "fragments again: a 1500-byte packet without DF and a 4000-byte datagram in 3 fragments",
          "[pipeline][outer-fragment][ip-fragment]") {
  ThreeRig rig;
  PacketSpec req = VoiceSpec(40000, {});
  req.ipv4_id = 0x3131;
  Bytes payload(1500 - 28);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 3);
  req.payload = Keep(payload);
  rig.FromClient(req);
  rig.Step();
  CHECK(rig.hop1_fwd.size() == 2);
  CHECK(rig.hop2_fwd.size() == 2);
  REQUIRE(rig.to_server.size() == 1);
  CHECK(rig.to_server[0] == ThreeRig::AtHost(req, Mac(2, 0), kServerMac));
  CHECK(rig.hub().counters().Get(PipelineCounter::kOuterFragmented) == 2);
  CHECK(rig.hub().counters().Get(PipelineCounter::kExceedsMtu) == 0);

  Bytes big(4000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 5 + 1);
  PacketSpec dgram = req;
  dgram.payload = Keep(big);
  dgram.ipv4_id = 0x3232;
  dgram.src_mac = kClientMac;
  dgram.dst_mac = Mac(0, 0);
  rig.to_server.clear();
  for (const Bytes& f : Fragments(Rig::Build(dgram), {1448, 2896}, 0x3232)) {
    REQUIRE(rig.InjectClient(f));
  }
  rig.Step();
  REQUIRE(rig.to_server.size() == 3);
  CHECK(Reassemble(rig.to_server, 1500) == ThreeRig::AtHost(dgram, Mac(2, 0), kServerMac));
  CHECK(rig.hub().counters().Get(PipelineCounter::kIpFragLargeBuffer) == 1);
  CHECK(rig.hub().counters().Get(PipelineCounter::kTransitRelayed) == 2);
}

TEST_CASE("Delete Session from the ingress is passed on by the intermediate router",
          "[pipeline][svr-7.44]") {
  ThreeRig rig;
  PacketSpec req = VoiceSpec(40001, {});
  rig.FromClient(req);
  rig.Step();
  REQUIRE(rig.dc().sessions().size() == 1);
  rig.now_ += 180'001;  // the UDP timeout (180 s by default) has passed
  rig.branch().Expire(rig.now_, 1u << 16);
  rig.Step();
  CHECK(rig.branch().sessions().size() == 0);
  CHECK(rig.hub().counters().Get(PipelineCounter::kCtrlDelete) == 1);
  CHECK(rig.dc().counters().Get(PipelineCounter::kCtrlDelete) == 1);
  CHECK(rig.dc().sessions().size() == 0);
}

TEST_CASE("An intermediate router refuses forward metadata whose context is not the named "
          "service's (docs/protocol.md §6)",
          "[pipeline][security]") {
  // The branch believes voice also offers UDP 5061; the hub and the datacenter do not.
  ThreeRig rig(LoadConfig(Replace(kThreeRouters, "ports { start: 5060 }",
                                  "ports { start: 5060 } ports { start: 5061 }")));
  PacketSpec req;
  req.src = Ip("10.10.2.10");
  req.dst = Ip("10.20.2.5");
  req.protocol = packet::kIpProtoUdp;
  req.src_port = 40002;
  req.dst_port = 5061;
  req.payload = Keep({'x'});
  rig.FromClient(req);
  rig.Step();
  REQUIRE(rig.hop1_fwd.size() == 1);  // the branch sent it, signed
  CHECK(rig.hub().counters().Get(PipelineCounter::kEgressServiceMismatch) == 1);
  CHECK(rig.hub().counters().Get(PipelineCounter::kTransitRelayed) == 0);
  CHECK(rig.hub().sessions().size() == 0);
  CHECK(rig.hop2_fwd.empty());
  CHECK(rig.to_server.empty());
  // The port the service offers still goes through.
  req.dst_port = 5060;
  rig.FromClient(req);
  rig.Step();
  CHECK(rig.to_server.size() == 1);
}

}  // namespace
}  // namespace ssr::pipeline::testing

namespace ssr::pipeline::testing {
namespace {

bool Seen(const std::vector<Bytes>& frames, const Bytes& needle) {
  return std::any_of(frames.begin(), frames.end(), [&](const Bytes& f) {
    return std::search(f.begin(), f.end(), needle.begin(), needle.end()) != f.end();
  });
}

TEST_CASE("Adaptive encryption through an intermediate router: the switch to encryption is "
          "relayed to the egress, a TLS session stays unencrypted on both hops",
          "[pipeline][adaptive]") {
  std::string text = Replace(kThreeRouters, "  transports { protocol: UDP ports { start: 5060 } }\n",
                             "  transports { protocol: UDP ports { start: 5060 } }\n"
                             "  transports { protocol: TCP ports { start: 5060 } }\n");
  text = Replace(text, "  encryption_keys: \"payload-aes\"\n",
                 "  encryption_keys: \"payload-aes\"\n  adaptive_encryption: true\n");
  REQUIRE(text.find("adaptive_encryption") != std::string::npos);
  ThreeRig rig(nullptr, text);
  const auto tcp = [](bool from_client, uint16_t port, uint8_t flags, uint32_t seq, uint32_t ack,
                      const Bytes& payload) {
    PacketSpec s;
    s.src = Ip(from_client ? "10.10.2.10" : "10.20.2.5");
    s.dst = Ip(from_client ? "10.20.2.5" : "10.10.2.10");
    s.protocol = packet::kIpProtoTcp;
    s.src_port = from_client ? port : 5060;
    s.dst_port = from_client ? 5060 : port;
    s.tcp_flags = flags;
    s.tcp_seq = seq;
    s.tcp_ack = ack;
    s.payload = Keep(payload);
    return s;
  };
  const auto session = [&](uint16_t port, const Bytes& first, const Bytes& answer) {
    rig.FromClient(tcp(true, port, packet::kTcpSyn, 100, 0, {}));
    rig.Step();
    rig.FromServer(tcp(false, port, packet::kTcpSyn | packet::kTcpAck, 900, 101, {}));
    rig.Step();
    rig.FromClient(tcp(true, port, packet::kTcpAck, 101, 901, {}));
    rig.Step();
    const PacketSpec data = tcp(true, port, packet::kTcpAck | packet::kTcpPsh, 101, 901, first);
    rig.FromClient(data);
    rig.Step();
    REQUIRE(!rig.to_server.empty());
    CHECK(rig.to_server.back() == ThreeRig::AtHost(data, Mac(2, 0), kServerMac));
    const PacketSpec reply = tcp(false, port, packet::kTcpAck | packet::kTcpPsh, 901,
                                 101 + static_cast<uint32_t>(first.size()), answer);
    rig.FromServer(reply);
    rig.Step();
    REQUIRE(!rig.to_client.empty());
    CHECK(rig.to_client.back() == ThreeRig::AtHost(reply, Mac(0, 0), kClientMac));
  };
  const Bytes hello = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03, 'h', 'i'};
  const Bytes server_hello = {0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00, 0x00, 0x3c, 's', 'h'};
  session(40100, hello, server_hello);
  CHECK(Seen(rig.hop1_fwd, hello));
  CHECK(Seen(rig.hop2_fwd, hello));
  CHECK(Seen(rig.hop2_rev, server_hello));
  CHECK(Seen(rig.hop1_rev, server_hello));
  const Bytes get = {'G', 'E', 'T', ' ', '/', 'p', 'r', 'i', 'v', 'a', 't', 'e'};
  const Bytes ok = {'2', '0', '0', ' ', 'p', 'r', 'i', 'v', 'a', 't', 'e'};
  session(40101, get, ok);
  for (const auto* hop : {&rig.hop1_fwd, &rig.hop2_fwd}) CHECK_FALSE(Seen(*hop, get));
  for (const auto* hop : {&rig.hop1_rev, &rig.hop2_rev}) CHECK_FALSE(Seen(*hop, ok));
  CHECK(rig.branch().counters().Get(PipelineCounter::kAdaptivePlain) == 1);
  CHECK(rig.branch().counters().Get(PipelineCounter::kAdaptiveEncrypted) == 1);
  CHECK(rig.hub().counters().Get(PipelineCounter::kAdaptiveSwitchApplied) == 1);
  CHECK(rig.dc().counters().Get(PipelineCounter::kAdaptiveSwitchApplied) == 1);
  CHECK(rig.dc().counters().Get(PipelineCounter::kPayloadDecryptFail) == 0);
  CHECK(rig.branch().counters().Get(PipelineCounter::kPayloadDecryptFail) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
