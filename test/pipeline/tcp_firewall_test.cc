// SPDX-License-Identifier: Apache-2.0
// TCP checks a firewall is expected to make, through two routers (docs/protocol.md §6): invalid
// flag combinations open no session (LAN side and from metadata), an RST or FIN outside the
// receiver's window does not close the session.
#include <catch2/catch.hpp>
#include <utility>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr const char* kClient = "10.10.1.10";  // engineering
constexpr const char* kServer = "10.20.1.20";  // erp, TCP 443, payload-aes

PacketSpec Seg(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
               std::span<const uint8_t> payload = {}) {
  PacketSpec s;
  s.src = Ip(from_client ? kClient : kServer);
  s.dst = Ip(from_client ? kServer : kClient);
  s.protocol = packet::kIpProtoTcp;
  s.src_port = from_client ? 41000 : 443;
  s.dst_port = from_client ? 443 : 41000;
  s.tcp_flags = flags;
  s.tcp_seq = seq;
  s.tcp_ack = ack;
  s.payload = payload;
  return s;
}

// Sends one segment and reports whether it reached the other end host.
bool Send(Rig& rig, const PacketSpec& spec, bool from_client) {
  const size_t before = from_client ? rig.to_server_.size() : rig.to_client_.size();
  if (from_client) {
    rig.FromClient(rig.ClientFrame(spec));
  } else {
    rig.FromServer(rig.ServerFrame(spec));
  }
  rig.Step();
  const std::vector<Bytes>& out = from_client ? rig.to_server_ : rig.to_client_;
  if (out.size() == before) return false;
  CHECK(out.back() == (from_client ? rig.AtServer(spec) : rig.AtClient(spec)));
  return true;
}

// Client ISN 1000, server ISN 5000, windows 65535 (no scaling).
void Handshake(Rig& rig) {
  REQUIRE(Send(rig, Seg(true, packet::kTcpSyn, 1000, 0), true));
  REQUIRE(Send(rig, Seg(false, packet::kTcpSyn | packet::kTcpAck, 5000, 1001), false));
  REQUIRE(Send(rig, Seg(true, packet::kTcpAck, 1001, 5001), true));
  REQUIRE(rig.a().sessions().at(0).tcp_state == session::TcpState::kEstablished);
}

TEST_CASE("A TCP SYN+FIN (or SYN+RST, or no flags) from the LAN opens no session",
          "[pipeline][tcp-firewall]") {
  Rig rig;
  rig.AddServer(kServer);
  CHECK_FALSE(Send(rig, Seg(true, packet::kTcpSyn | packet::kTcpFin, 1000, 0), true));
  CHECK_FALSE(Send(rig, Seg(true, packet::kTcpSyn | packet::kTcpRst, 1000, 0), true));
  CHECK_FALSE(Send(rig, Seg(true, 0, 1000, 0), true));
  CHECK(rig.wire_a_to_b_.empty());
  CHECK(rig.to_client_.empty());  // not answered with an RST either
  CHECK(rig.a().sessions().size() == 0);
  CHECK(Get(rig.a(), PipelineCounter::kTcpBadFlags) == 3);
  // The SYN on its own still works.
  CHECK(Send(rig, Seg(true, packet::kTcpSyn, 1000, 0), true));
}

TEST_CASE("A TCP SYN+FIN arriving with forward metadata opens no session at the egress router",
          "[pipeline][tcp-firewall]") {
  // enforcement allow: router A lets the SYN+FIN of an existing (allow) session through, so
  // router B sees it as the first packet of the session, metadata and all.
  RigOptions o;
  o.config = LoadConfig(Replace(std::string(config::DefaultConfigText()),
                                "prefixes: \"10.20.1.20/32\"",
                                "prefixes: \"10.20.1.20/32\" tcp_state_enforcement: ALLOW"));
  Rig rig(o);
  rig.AddServer(kServer);
  bool lose = true;  // the plain SYN never reaches B
  rig.cable = [&lose](Bytes&, bool a_to_b) { return !(a_to_b && std::exchange(lose, false)); };
  CHECK_FALSE(Send(rig, Seg(true, packet::kTcpSyn, 1000, 0), true));
  REQUIRE(rig.a().sessions().size() == 1);
  CHECK_FALSE(Send(rig, Seg(true, packet::kTcpSyn | packet::kTcpFin, 1000, 0), true));
  REQUIRE(rig.wire_a_to_b_.size() == 2);
  CHECK(ViewWire(rig.wire_a_to_b_[1], 16).has_metadata);
  CHECK(rig.b().sessions().size() == 0);
  CHECK(Get(rig.b(), PipelineCounter::kTcpBadFlags) == 1);
}

TEST_CASE("An RST outside the receiver's window, from either side, leaves the TCP session up",
          "[pipeline][tcp-firewall]") {
  for (bool from_client : {true, false}) {
    INFO((from_client ? "client RST" : "server RST"));
    Rig rig;
    rig.AddServer(kServer);
    Handshake(rig);
    const uint32_t next = from_client ? 1001 : 5001;
    const uint32_t ack = from_client ? 5001 : 1001;
    CHECK_FALSE(Send(rig, Seg(from_client, packet::kTcpRst, next + 100000, 0), from_client));
    CHECK_FALSE(Send(rig, Seg(from_client, packet::kTcpRst | packet::kTcpAck, next + 0x80000000u, ack),
                     from_client));
    Pipeline& first = from_client ? rig.a() : rig.b();
    CHECK(Get(first, PipelineCounter::kTcpRstOutOfWindow) == 2);
    CHECK(rig.a().sessions().at(0).tcp_state == session::TcpState::kEstablished);
    CHECK(rig.b().sessions().at(0).tcp_state == session::TcpState::kEstablished);
    // Data still flows both ways.
    const Bytes data = {'d', 'a', 't', 'a'};
    CHECK(Send(rig, Seg(true, packet::kTcpAck | packet::kTcpPsh, 1001, 5001, data), true));
    CHECK(Send(rig, Seg(false, packet::kTcpAck | packet::kTcpPsh, 5001, 1005, data), false));
    // An RST inside the window (not at the exact next sequence number) closes it at both routers.
    CHECK(Send(rig, Seg(from_client, packet::kTcpRst, next + 4 + 1000, 0), from_client));
    CHECK(rig.a().sessions().at(0).tcp_state == session::TcpState::kClosed);
    CHECK(rig.b().sessions().at(0).tcp_state == session::TcpState::kClosed);
  }
}

TEST_CASE("A FIN outside the receiver's window does not half-close the TCP session",
          "[pipeline][tcp-firewall]") {
  Rig rig;
  rig.AddServer(kServer);
  Handshake(rig);
  CHECK_FALSE(Send(rig, Seg(false, packet::kTcpFin | packet::kTcpAck, 5001 + 300000, 1001), false));
  CHECK(Get(rig.b(), PipelineCounter::kTcpFinOutOfWindow) == 1);
  CHECK(rig.b().sessions().at(0).tcp_state == session::TcpState::kEstablished);
  CHECK(Send(rig, Seg(false, packet::kTcpFin | packet::kTcpAck, 5001, 1001), false));
  CHECK(rig.a().sessions().at(0).tcp_state == session::TcpState::kFinWait);
  CHECK(rig.b().sessions().at(0).tcp_state == session::TcpState::kFinWait);
}

}  // namespace
}  // namespace ssr::pipeline::testing
