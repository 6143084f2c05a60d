// SPDX-License-Identifier: Apache-2.0
// A branch with two datacenters, each over its own WAN link, and a service routed to both (hunt:
// dc1 first). When every path to dc1 goes down, the branch's sessions of the service move to
// dc2's route (pipeline/path_choice.cc RerouteSession, docs/protocol.md §5.7): the next packet
// carries metadata (with a move sequence) that opens the session at dc2, and the replies come back
// through dc2. New sessions take dc2 as well; resiliency NONE keeps a session where it was.
#include <array>
#include <string>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "three_router_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr char kTwoDatacenters[] = R"pb(
organization: "reroute-test"
routers {
  name: "branch"
  interfaces { name: "lan0" role: LAN addresses: "10.10.0.1/16" }
  interfaces { name: "wan0" role: WAN addresses: "192.0.2.1/24" security_policy: "hop" }
  interfaces { name: "wan1" role: WAN addresses: "198.51.100.1/24" security_policy: "hop" }
  peers { name: "dc1" addresses: "192.0.2.2" interface: "wan0" security_policy: "hop" }
  peers { name: "dc2" addresses: "198.51.100.2" interface: "wan1" security_policy: "hop" }
  service_routes { name: "voice-via-dc1" service: "voice" peer: "dc1" }
  service_routes { name: "voice-via-dc2" service: "voice" peer: "dc2" }
}
routers {
  name: "dc1"
  interfaces { name: "lan0" role: LAN addresses: "10.20.0.1/16" }
  interfaces { name: "wan0" role: WAN addresses: "192.0.2.2/24" security_policy: "hop" }
  peers { name: "branch" addresses: "192.0.2.1" interface: "wan0" security_policy: "hop" }
  service_routes { name: "voice-local" service: "voice" next_hop { interface: "lan0" } }
}
routers {
  name: "dc2"
  interfaces { name: "lan0" role: LAN addresses: "10.20.0.1/16" }
  interfaces { name: "wan0" role: WAN addresses: "198.51.100.2/24" security_policy: "hop" }
  peers { name: "branch" addresses: "198.51.100.1" interface: "wan0" security_policy: "hop" }
  service_routes { name: "voice-local" service: "voice" next_hop { interface: "lan0" } }
}
tenants { name: "sales" members { router: "branch" interface: "lan0" prefixes: "10.10.2.0/24" } }
services {
  name: "voice"
  prefixes: "10.20.2.0/24"
  transports { protocol: UDP ports { start: 5060 } }
  access_policies { tenant: "sales" }
  security_policy: "payload"
  SERVICE_POLICY
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
EXTRA
)pb";

constexpr packet::MacAddress Mac(uint8_t router, uint8_t itf) { return {2, 0x66, router, 0, 0, itf}; }

std::string Config(const std::string& service_policy, const std::string& extra) {
  std::string text = Replace(kTwoDatacenters, "SERVICE_POLICY", service_policy);
  return Replace(text, "EXTRA", extra);
}

class TwoDcRig : public ThreeRouters {
 public:
  explicit TwoDcRig(const std::string& text)
      : ThreeRouters(LoadConfig(text), {"branch", "dc1", "dc2"}) {
    r_[0]->Bind(0, &lan_);
    r_[0]->Bind(1, &wan0_);
    r_[0]->Bind(2, &wan1_);
    r_[1]->Bind(0, &dc1_lan_);
    r_[1]->Bind(1, &dc1_wan_);
    r_[2]->Bind(0, &dc2_lan_);
    r_[2]->Bind(1, &dc2_wan_);
    r_[0]->neighbors().SetStatic(1, Ip("192.0.2.2"), Mac(1, 1));
    r_[0]->neighbors().SetStatic(2, Ip("198.51.100.2"), Mac(2, 1));
    r_[0]->neighbors().SetStatic(0, Ip("10.10.2.10"), kClientMac);
    r_[1]->neighbors().SetStatic(1, Ip("192.0.2.1"), Mac(0, 1));
    r_[2]->neighbors().SetStatic(1, Ip("198.51.100.1"), Mac(0, 2));
    r_[1]->neighbors().SetStatic(0, Ip("10.20.2.5"), kServerMac);
    r_[2]->neighbors().SetStatic(0, Ip("10.20.2.5"), kServerMac);
  }
  Pipeline& branch() { return *r_[0]; }

  static PacketSpec Voice(uint16_t sport) {
    return VoiceSpec(sport, Keep(Bytes(24, 0x5a)));
  }
  // One datagram from the client: which datacenter's server got it (1, 2, or 0 for none).
  int FromClient(uint16_t sport) {
    PacketSpec s = Voice(sport);
    s.src_mac = kClientMac;
    s.dst_mac = Mac(0, 0);
    REQUIRE(lan_.Inject(Rig::Build(s)));
    const size_t a = at_dc1.size(), b = at_dc2.size();
    Step();
    return at_dc1.size() > a ? 1 : at_dc2.size() > b ? 2 : 0;
  }
  // The server behind datacenter `dc` answers `sport`: whether the client got it.
  bool FromServer(int dc, uint16_t sport) {
    PacketSpec s = Reversed(Voice(sport));
    s.src_mac = kServerMac;
    s.dst_mac = Mac(static_cast<uint8_t>(dc), 0);
    REQUIRE((dc == 1 ? dc1_lan_ : dc2_lan_).Inject(Rig::Build(s)));
    const size_t before = at_client.size();
    Step();
    return at_client.size() > before;
  }
  void Step() {
    for (int round = 0; round < 64; ++round) {
      size_t moved = PollAll(now_);
      moved += Carry(wan0_, dc1_wan_) + Carry(dc1_wan_, wan0_) + Carry(wan1_, dc2_wan_) +
               Carry(dc2_wan_, wan1_);
      for (Bytes& f : lan_.TakeTransmitted()) at_client.push_back(std::move(f));
      for (Bytes& f : dc1_lan_.TakeTransmitted()) at_dc1.push_back(std::move(f));
      for (Bytes& f : dc2_lan_.TakeTransmitted()) at_dc2.push_back(std::move(f));
      if (moved == 0) return;
    }
    FAIL("frames kept moving for 64 rounds");
  }

  std::vector<Bytes> at_client, at_dc1, at_dc2;
  uint64_t now_ = kStartMs;

 private:
  io::MemoryPort lan_{"lan", &pool_[0]}, wan0_{"wan0", &pool_[0]}, wan1_{"wan1", &pool_[0]};
  io::MemoryPort dc1_lan_{"dc1-lan", &pool_[1]}, dc1_wan_{"dc1-wan", &pool_[1]};
  io::MemoryPort dc2_lan_{"dc2-lan", &pool_[2]}, dc2_wan_{"dc2-wan", &pool_[2]};
};

PathRecord DownRecord() {
  PathRecord r;
  r.up = false;
  return r;
}

TEST_CASE("when every path to a datacenter goes down, its sessions move to the other "
          "datacenter's route and keep flowing both ways",
          "[pipeline][paths][reroute]") {
  TwoDcRig rig(Config("", ""));
  REQUIRE(rig.FromClient(40000) == 1);  // hunt: dc1
  REQUIRE(rig.FromServer(1, 40000));
  CHECK(rig.branch().ApplyPeerPathState(0, 0, DownRecord(), rig.now_) == 1);
  CHECK(Get(rig.branch(), PipelineCounter::kSessionRerouted) == 1);
  // The session's next datagram opens it at dc2 (metadata, move sequence) and reaches the server
  // there; dc2's server answers through dc2.
  CHECK(rig.FromClient(40000) == 2);
  CHECK(rig.FromServer(2, 40000));
  CHECK(rig.FromClient(40000) == 2);
  // New sessions take dc2 too; dc1 back up takes new sessions again (hunt), the moved one stays.
  CHECK(rig.FromClient(40001) == 2);
  rig.branch().ApplyPeerPathState(0, 0, PathRecord{}, rig.now_);
  CHECK(rig.FromClient(40002) == 1);
  CHECK(rig.FromClient(40000) == 2);
}

TEST_CASE("resiliency NONE keeps a session on its datacenter when that one's paths go down",
          "[pipeline][paths][reroute]") {
  TwoDcRig rig(Config("service_policy: \"stay\"", "service_policies { name: \"stay\" "
                                                  "session_resiliency: NONE }"));
  REQUIRE(rig.FromClient(40000) == 1);
  CHECK(rig.branch().ApplyPeerPathState(0, 0, DownRecord(), rig.now_) == 0);
  CHECK(Get(rig.branch(), PipelineCounter::kSessionRerouted) == 0);
  CHECK(Get(rig.branch(), PipelineCounter::kSessionNotMoved) == 1);
  CHECK(rig.FromClient(40001) == 2);  // new sessions avoid dc1
}

}  // namespace
}  // namespace ssr::pipeline::testing
