// SPDX-License-Identifier: Apache-2.0
// Control messages (§2.16) between two routers: a message reaches the session it names, also
// when another session holds the same waypoint tuple under the other protocol.
#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "session/flow_owner.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

const Bytes kHello = {'h', 'e', 'l', 'l', 'o'};

// The first source port from 41000 whose erp flow has the flow class of the voice flow from
// port 40000 (session/flow_owner.h): waypoint pairs are taken within the session's class, so
// only two sessions of one class can start at the same pair.
uint16_t ErpPortOfVoiceClass() {
  const uint32_t voice = session::FlowClass(Ip("10.10.2.10"), 40000, Ip("10.20.2.5"), 5060,
                                            packet::kIpProtoUdp);
  uint16_t port = 41000;
  while (session::FlowClass(Ip("10.10.1.10"), port, Ip("10.20.1.20"), 443,
                            packet::kIpProtoTcp) != voice) {
    ++port;
  }
  return port;
}

// engineering host -> erp (TCP 443, routed to the datacenter).
PacketSpec ErpSyn() {
  PacketSpec s;
  s.src = Ip("10.10.1.10");
  s.dst = Ip("10.20.1.20");
  s.protocol = packet::kIpProtoTcp;
  s.src_port = ErpPortOfVoiceClass();
  s.dst_port = 443;
  s.tcp_flags = packet::kTcpSyn;
  s.tcp_seq = 1;
  return s;
}

// A UDP session and then a TCP session from A to B. The waypoint pools are per outer protocol
// and start at the same pair of the same class (ErpSyn's port is chosen for that), so both
// sessions get the same outer addresses and ports: their
// outer tuples differ only in the protocol. Control packets of the TCP session travel as UDP
// (O-9), on exactly the UDP session's tuple.
void OpenUdpAndTcpOnOneTuple(Rig& rig) {
  rig.AddServer("10.20.2.5");
  rig.AddServer("10.20.1.20");
  rig.FromClient(rig.ClientFrame(VoiceSpec(40000, kHello)));
  rig.Step();
  rig.FromClient(rig.ClientFrame(ErpSyn()));
  rig.Step();
  REQUIRE(rig.a().sessions().size() == 2);
  REQUIRE(rig.b().sessions().size() == 2);
  REQUIRE(rig.wire_a_to_b_.size() == 2);
  const WireView udp = ViewWire(rig.wire_a_to_b_[0], 16);
  const WireView tcp = ViewWire(rig.wire_a_to_b_[1], 16);
  REQUIRE(udp.info.is_udp());
  REQUIRE(tcp.info.is_tcp());
  REQUIRE(udp.info.src_port == tcp.info.src_port);
  REQUIRE(udp.info.dst_port == tcp.info.dst_port);
}

TEST_CASE("Delete Session of a TCP session reaches it when a UDP session holds the same "
          "waypoint tuple",
          "[pipeline][control]") {
  Rig rig;
  OpenUdpAndTcpOnOneTuple(rig);
  // The embryonic TCP session times out at A (30 s) long before the UDP one (120 s); A tells B.
  rig.Advance(30'001);
  rig.a().Expire(rig.now(), 1u << 20);
  rig.Step();
  REQUIRE(rig.a().sessions().size() == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlSentDelete) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlReceived) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlDelete) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlNoSession) == 0);
  CHECK(rig.b().sessions().size() == 1);
  // The UDP session is the one left at B, and it still carries the flow.
  rig.FromClient(rig.ClientFrame(VoiceSpec(40000, kHello)));
  rig.Step();
  CHECK(rig.to_server_.size() == 3);
  CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 2);
}

TEST_CASE("Delete Session of a UDP session removes that session, not a TCP session on the same "
          "waypoint tuple",
          "[pipeline][control]") {
  Rig rig;
  OpenUdpAndTcpOnOneTuple(rig);
  // Complete the TCP handshake: established TCP outlives the UDP session's 120 s.
  PacketSpec syn_ack = Reversed(ErpSyn());
  syn_ack.tcp_flags = packet::kTcpSyn | packet::kTcpAck;
  syn_ack.tcp_seq = 100;
  syn_ack.tcp_ack = 2;
  rig.FromServer(rig.ServerFrame(syn_ack));
  rig.Step();
  PacketSpec ack = ErpSyn();
  ack.tcp_flags = packet::kTcpAck;
  ack.tcp_seq = 2;
  ack.tcp_ack = 101;
  rig.FromClient(rig.ClientFrame(ack));
  rig.Step();
  rig.Advance(120'001);
  rig.a().Expire(rig.now(), 1u << 20);
  rig.Step();
  REQUIRE(rig.a().sessions().size() == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlDelete) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlNoSession) == 0);
  REQUIRE(rig.b().sessions().size() == 1);
  // The TCP session is the one left at B: the client's next segment reaches the server.
  const size_t at_server = rig.to_server_.size();
  PacketSpec data = ack;
  data.payload = Keep(kHello);
  rig.FromClient(rig.ClientFrame(data));
  rig.Step();
  CHECK(rig.to_server_.size() == at_server + 1);
}

TEST_CASE("Disable SVR Metadata for a TCP session reaches it when a UDP session holds the same "
          "waypoint tuple",
          "[pipeline][control]") {
  Rig rig;
  OpenUdpAndTcpOnOneTuple(rig);
  // An unanswered SYN, retransmitted: every one carries forward metadata, and after the 10th
  // the egress asks the ingress to stop (one-way flow, §2.6). The message travels B -> A as UDP
  // on the reverse of the shared tuple.
  for (int i = 1; i < 10; ++i) {
    rig.FromClient(rig.ClientFrame(ErpSyn()));
    rig.Step();
  }
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentDisable) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlReceived) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlDisable) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlNoSession) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
