// SPDX-License-Identifier: Apache-2.0
// Sessions through two routers: what the far host receives, byte for byte, and which counter
// moved, for UDP, TCP, ICMP, IPv6 and the deny-by-default cases.
#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

const Bytes kHello = {'h', 'e', 'l', 'l', 'o'};
const Bytes kWorld = {'w', 'o', 'r', 'l', 'd', '!'};

// sales host -> voice service (UDP 5060, routed to the datacenter, no payload encryption).
PacketSpec VoiceRequest(const Bytes& payload = kHello) {
  PacketSpec s;
  s.src = Ip("10.10.2.10");
  s.dst = Ip("10.20.2.5");
  s.protocol = packet::kIpProtoUdp;
  s.src_port = 40000;
  s.dst_port = 5060;
  s.ttl = 64;
  s.payload = payload;
  return s;
}
PacketSpec Reply(PacketSpec s, const Bytes& payload) {
  std::swap(s.src, s.dst);
  std::swap(s.src_port, s.dst_port);
  s.payload = payload;
  return s;
}

TEST_CASE("UDP: the server receives the client's datagram unchanged except TTL and MACs, and the "
          "reply comes back the same way",
          "[pipeline][svr-7.36]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  const PacketSpec req = VoiceRequest();
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(req));
  CHECK(Get(rig.a(), PipelineCounter::kSessionCreated) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 1);
  CHECK(rig.a().policy_counters().Get(policy::Verdict::kAllow) == 1);

  const PacketSpec rsp = Reply(req, kWorld);
  rig.FromServer(rig.ServerFrame(rsp));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.to_client_[0] == rig.AtClient(rsp));
}

TEST_CASE("UDP: the outer packet uses waypoint addresses and an even/odd waypoint port pair",
          "[pipeline][svr-7.28]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  rig.FromClient(rig.ClientFrame(VoiceRequest()));
  rig.Step();
  REQUIRE(rig.wire_a_to_b_.size() == 1);
  const WireView w = ViewWire(rig.wire_a_to_b_[0], 16);
  CHECK(w.info.src == Ip("192.0.2.1"));
  CHECK(w.info.dst == Ip("192.0.2.2"));
  CHECK(w.info.is_udp());
  CHECK(w.info.src_port % 2 == 0);
  CHECK(w.info.dst_port % 2 == 1);
  CHECK(w.info.src_port >= 16384);
  CHECK(w.info.dst_port <= 65534);
  CHECK(w.has_metadata);
}

}  // namespace
}  // namespace ssr::pipeline::testing
