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
PacketSpec VoiceRequest(const Bytes& payload = kHello) { return VoiceSpec(40000, payload); }
PacketSpec Reply(PacketSpec s, const Bytes& payload) {
  s = Reversed(s);
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

TEST_CASE("TCP: handshake, data both ways and FIN arrive byte-identical, metadata rides only on "
          "SYN and SYN-ACK, the encrypted payload is not readable on the wire",
          "[pipeline][svr-7.25][svr-7.60]") {
  Rig rig;
  rig.AddServer("10.20.1.20");
  const char* c = "10.10.1.10";  // engineering
  const char* srv = "10.20.1.20";  // erp, TCP 443, payload-aes
  const Bytes request = {'G', 'E', 'T', ' ', '/', 'e', 'r', 'p', '\n'};
  const Bytes response = {'2', '0', '0', ' ', 'O', 'K', '\n'};
  const std::vector<std::pair<bool, PacketSpec>> script = {
      {true, TcpSpec(c, srv, 41000, 443, packet::kTcpSyn, 1000, 0)},
      {false, TcpSpec(srv, c, 443, 41000, packet::kTcpSyn | packet::kTcpAck, 5000, 1001)},
      {true, TcpSpec(c, srv, 41000, 443, packet::kTcpAck, 1001, 5001)},
      {true, TcpSpec(c, srv, 41000, 443, packet::kTcpAck | packet::kTcpPsh, 1001, 5001, request)},
      {false, TcpSpec(srv, c, 443, 41000, packet::kTcpAck | packet::kTcpPsh, 5001, 1010, response)},
      {true, TcpSpec(c, srv, 41000, 443, packet::kTcpAck | packet::kTcpFin, 1010, 5008)},
      {false, TcpSpec(srv, c, 443, 41000, packet::kTcpAck | packet::kTcpFin, 5008, 1011)},
      {true, TcpSpec(c, srv, 41000, 443, packet::kTcpAck, 1011, 5009)},
  };
  size_t at_server = 0;
  size_t at_client = 0;
  for (const auto& [from_client, spec] : script) {
    if (from_client) {
      rig.FromClient(rig.ClientFrame(spec));
    } else {
      rig.FromServer(rig.ServerFrame(spec));
    }
    rig.Step();
    if (from_client) {
      REQUIRE(rig.to_server_.size() == ++at_server);
      CHECK(rig.to_server_.back() == rig.AtServer(spec));
    } else {
      REQUIRE(rig.to_client_.size() == ++at_client);
      CHECK(rig.to_client_.back() == rig.AtClient(spec));
    }
  }
  // Metadata: the SYN (forward) and SYN-ACK (reverse) only.
  REQUIRE(rig.wire_a_to_b_.size() == 5);
  REQUIRE(rig.wire_b_to_a_.size() == 3);
  CHECK(ViewWire(rig.wire_a_to_b_[0], 16).has_metadata);
  CHECK(ViewWire(rig.wire_b_to_a_[0], 16).has_metadata);
  for (size_t i = 1; i < rig.wire_a_to_b_.size(); ++i) CHECK_FALSE(ViewWire(rig.wire_a_to_b_[i], 16).has_metadata);
  for (size_t i = 1; i < rig.wire_b_to_a_.size(); ++i) CHECK_FALSE(ViewWire(rig.wire_b_to_a_[i], 16).has_metadata);
  // Outer TCP keeps TCP (§2.11).
  CHECK(ViewWire(rig.wire_a_to_b_[3], 16).info.is_tcp());
  // Payload encrypted end to end: the request bytes do not appear on the wire.
  const WireView data = ViewWire(rig.wire_a_to_b_[3], 16);
  const auto& p = data.l4_payload;
  CHECK(std::search(p.begin(), p.end(), request.begin(), request.end()) == p.end());
  CHECK(p.size() == 16 /*padded block*/ + 16 /*IV*/ + 16 /*tag*/);
  CHECK(rig.a().sessions().at(0).tcp_state == session::TcpState::kClosing);
}

TEST_CASE("ICMP echo travels as UDP between the routers and arrives byte-identical",
          "[pipeline][svr-7.45]") {
  Rig rig;
  rig.AddServer("10.20.3.10");
  const Bytes data = {1, 2, 3, 4, 5, 6, 7, 8};
  PacketSpec ping;
  ping.src = Ip("10.10.9.20");  // guest -> web (ICMP allowed)
  ping.dst = Ip("10.20.3.10");
  ping.protocol = packet::kIpProtoIcmp;
  ping.icmp_type = 8;
  ping.icmp_id = 0x1234;
  ping.icmp_seq = 1;
  ping.payload = data;
  rig.FromClient(rig.ClientFrame(ping));
  rig.Step();
  REQUIRE(rig.wire_a_to_b_.size() == 1);
  const WireView w = ViewWire(rig.wire_a_to_b_[0], 16);
  CHECK(w.info.is_udp());
  CHECK(w.info.src_port % 2 == 0);
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(ping));

  PacketSpec pong = ping;
  std::swap(pong.src, pong.dst);
  pong.icmp_type = 0;
  rig.FromServer(rig.ServerFrame(pong));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.to_client_[0] == rig.AtClient(pong));
  CHECK(ViewWire(rig.wire_b_to_a_[0], 16).info.is_udp());
}

TEST_CASE("A source that is a member of no tenant is dropped at the first router, nothing is sent",
          "[pipeline][svr-7.26]") {
  Rig rig;
  PacketSpec s = VoiceRequest();
  s.src = Ip("10.10.7.7");
  rig.FromClient(rig.ClientFrame(s));
  rig.Step();
  CHECK(rig.wire_a_to_b_.empty());
  CHECK(rig.a().policy_counters().Get(policy::Verdict::kNonMember) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kPolicyDrop) == 1);
  CHECK(rig.a().sessions().size() == 0);
}

TEST_CASE("A member asking for a service its tenant is denied is dropped (child tenant's DENY)",
          "[pipeline][svr-7.26]") {
  Rig rig;
  rig.AddServer("10.20.1.20");
  // contractors.engineering inherits engineering but is denied erp.
  rig.FromClient(
      rig.ClientFrame(TcpSpec("10.10.1.200", "10.20.1.20", 41000, 443, packet::kTcpSyn, 1, 0)));
  rig.Step();
  CHECK(rig.wire_a_to_b_.empty());
  CHECK(rig.a().policy_counters().Get(policy::Verdict::kDenied) == 1);
  // ...while its parent tenant gets through.
  rig.FromClient(
      rig.ClientFrame(TcpSpec("10.10.1.10", "10.20.1.20", 41000, 443, packet::kTcpSyn, 1, 0)));
  rig.Step();
  CHECK(rig.to_server_.size() == 1);
}

TEST_CASE("A server cannot open a session toward a client (route directionality)", "[pipeline]") {
  Rig rig;
  rig.AddServer("10.20.1.20");
  rig.FromServer(
      rig.ServerFrame(TcpSpec("10.20.1.20", "10.10.1.10", 443, 41000, packet::kTcpSyn, 1, 0)));
  rig.Step();
  CHECK(rig.wire_b_to_a_.empty());
  CHECK(rig.to_client_.empty());
  CHECK(rig.b().policy_counters().Get(policy::Verdict::kNonMember) == 1);
  CHECK(rig.b().sessions().size() == 0);
}

TEST_CASE("A TCP first packet without SYN is answered with an RST to the client (reset)",
          "[pipeline][svr-7.27]") {
  Rig rig;
  const PacketSpec ack = TcpSpec("10.10.1.10", "10.20.1.20", 41000, 443, packet::kTcpAck, 777, 999);
  rig.FromClient(rig.ClientFrame(ack));
  rig.Step();
  CHECK(rig.wire_a_to_b_.empty());
  REQUIRE(rig.to_client_.size() == 1);
  PacketSpec rst = TcpSpec("10.20.1.20", "10.10.1.10", 443, 41000, packet::kTcpRst, 999, 0);
  rst.tcp_window = 0;
  rst.src_mac = rig.a_mac_lan_;
  rst.dst_mac = kClientMac;
  CHECK(rig.to_client_[0] == Rig::Build(rst));
  CHECK(Get(rig.a(), PipelineCounter::kTcpNotSynReset) == 1);
  CHECK(rig.a().sessions().size() == 0);
}

TEST_CASE("When the session table is full, a new session is refused with a counter and the "
          "established ones keep working",
          "[pipeline]") {
  RigOptions o;
  o.max_sessions_a = 2;
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  for (uint16_t port : {40001, 40002}) {
    PacketSpec s = VoiceRequest();
    s.src_port = port;
    rig.FromClient(rig.ClientFrame(s));
    rig.Step();
    rig.FromServer(rig.ServerFrame(Reply(s, kWorld)));  // answered: never evicted
    rig.Step();
  }
  PacketSpec third = VoiceRequest();
  third.src_port = 40003;
  rig.FromClient(rig.ClientFrame(third));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kSessionRefused) == 1);
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kTableFull) == 1);
  CHECK(rig.to_server_.size() == 2);
  PacketSpec again = VoiceRequest();
  again.src_port = 40001;
  rig.FromClient(rig.ClientFrame(again));
  rig.Step();
  CHECK(rig.to_server_.size() == 3);
}

TEST_CASE("Idle sessions time out per protocol at both routers, the ingress tells the egress "
          "with Delete Session",
          "[pipeline][svr-7.44]") {
  struct Case {
    const char* name;
    PacketSpec spec;
    uint64_t timeout_ms;
  };
  PacketSpec ping;
  ping.src = Ip("10.10.9.20");
  ping.dst = Ip("10.20.3.10");
  ping.protocol = packet::kIpProtoIcmp;
  ping.icmp_type = 8;
  ping.icmp_id = 7;
  const Case cases[] = {
      {"udp (config: 120 s)", VoiceRequest(), 120'000},
      {"icmp (30 s)", ping, 30'000},
      {"tcp embryonic (30 s)",
       TcpSpec("10.10.1.10", "10.20.1.20", 41000, 443, packet::kTcpSyn, 1, 0), 30'000},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      Rig rig;
      rig.AddServer("10.20.2.5");
      rig.AddServer("10.20.3.10");
      rig.AddServer("10.20.1.20");
      rig.FromClient(rig.ClientFrame(c.spec));
      rig.Step();
      REQUIRE(rig.a().sessions().size() == 1);
      REQUIRE(rig.b().sessions().size() == 1);
      rig.Advance(c.timeout_ms - 1);
      rig.a().Expire(rig.now(), 1u << 20);
      CHECK(rig.a().sessions().size() == 1);
      rig.Advance(2);
      rig.a().Expire(rig.now(), 1u << 20);
      rig.Step();
      CHECK(rig.a().sessions().size() == 0);
      CHECK(Get(rig.a(), PipelineCounter::kCtrlSentDelete) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kCtrlDelete) == 1);
      CHECK(rig.b().sessions().size() == 0);
      CHECK(rig.to_server_.size() == 1);  // the control packet was consumed, not forwarded
    }
  }
}

// The default config plus IPv6 LAN prefixes for sales and the voice service; with
// `v6_wan` the routers peer over IPv6 too.
std::shared_ptr<const config::Config> DualStackConfig(bool v6_wan) {
  return LoadConfig(DualStackConfigText(v6_wan));
}

TEST_CASE("IPv6 sessions cross an IPv4 or an IPv6 peer path and arrive byte-identical",
          "[pipeline]") {
  for (const bool v6_wan : {false, true}) {
    DYNAMIC_SECTION((v6_wan ? "IPv6 over IPv6" : "IPv6 over IPv4")) {
      RigOptions o;
      o.config = DualStackConfig(v6_wan);
      Rig rig(o);
      if (v6_wan) {
        rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
        rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
      }
      rig.AddServer("fd00:20:2::5");
      PacketSpec req;
      req.src = Ip("fd00:10:2::10");
      req.dst = Ip("fd00:20:2::5");
      req.protocol = packet::kIpProtoUdp;
      req.src_port = 40000;
      req.dst_port = 5060;
      req.payload = Keep({'s', 'i', 'x'});
      rig.FromClient(rig.ClientFrame(req));
      rig.Step();
      REQUIRE(rig.to_server_.size() == 1);
      CHECK(rig.to_server_[0] == rig.AtServer(req));
      const WireView w = ViewWire(rig.wire_a_to_b_.at(0), 16);
      CHECK(w.info.ip_version == (v6_wan ? 6 : 4));
      PacketSpec rsp = req;
      std::swap(rsp.src, rsp.dst);
      std::swap(rsp.src_port, rsp.dst_port);
      rig.FromServer(rig.ServerFrame(rsp));
      rig.Step();
      REQUIRE(rig.to_client_.size() == 1);
      CHECK(rig.to_client_[0] == rig.AtClient(rsp));

      PacketSpec ping;  // ICMPv6 echo to web is not allowed for sales over v6 (no v6 prefix)
      ping.src = Ip("fd00:10:2::10");
      ping.dst = Ip("fd00:20:3::10");
      ping.protocol = packet::kIpProtoIcmpv6;
      rig.FromClient(rig.ClientFrame(ping));
      rig.Step();
      CHECK(rig.a().policy_counters().Get(policy::Verdict::kNoService) == 1);
    }
  }
}

TEST_CASE("A session moved to another peer path keeps its UUID, the far router rebinds its one "
          "session and keeps the TCP state",
          "[pipeline][svr-7.47]") {
  std::string text(config::DefaultConfigText());
  // The datacenter gets a second WAN address; the branch knows both as peer paths.
  text = Replace(text, "addresses: \"192.0.2.2/24\"", "addresses: \"192.0.2.2/24\" addresses: \"192.0.2.12/24\"");
  text = Replace(text, "    addresses: \"192.0.2.2\"\n", "    addresses: \"192.0.2.2\"\n    addresses: \"192.0.2.12\"\n");
  RigOptions o;
  o.config = LoadConfig(text);
  Rig rig(o);
  rig.a().neighbors().SetStatic(kWan, Ip("192.0.2.12"), rig.b_mac_wan_);
  rig.AddServer("10.20.3.10");
  const Bytes chunk = {'m', 'o', 'v', 'e'};
  const std::pair<bool, PacketSpec> script[] = {
      {true, TcpSpec("10.10.1.10", "10.20.3.10", 46000, 80, packet::kTcpSyn, 1, 0)},
      {false,
       TcpSpec("10.20.3.10", "10.10.1.10", 80, 46000, packet::kTcpSyn | packet::kTcpAck, 7, 2)},
      {true, TcpSpec("10.10.1.10", "10.20.3.10", 46000, 80, packet::kTcpAck, 2, 8)},
  };
  for (const auto& [from_client, spec] : script) {
    if (from_client) rig.FromClient(rig.ClientFrame(spec)); else rig.FromServer(rig.ServerFrame(spec));
    rig.Step();
  }
  REQUIRE(rig.b().sessions().size() == 1);
  const session::Session& before = rig.b().sessions().at(0);
  REQUIRE(before.tcp_state == session::TcpState::kEstablished);
  const svr::Uuid uuid = before.uuid;

  CHECK(rig.a().MovePeerPath(0, 0, 1, rig.now()) == 1);
  const PacketSpec data = TcpSpec("10.10.1.10", "10.20.3.10", 46000, 80,
                                  packet::kTcpAck | packet::kTcpPsh, 2, 8, chunk);
  rig.FromClient(rig.ClientFrame(data));
  rig.Step();
  const WireView moved = ViewWire(rig.wire_a_to_b_.back(), 16);
  CHECK(moved.info.dst == Ip("192.0.2.12"));
  CHECK(moved.info.is_tcp());
  CHECK(moved.has_metadata);  // re-signalled on a data segment (the move)
  REQUIRE(rig.to_server_.size() == 3);
  CHECK(rig.to_server_.back() == rig.AtServer(data));
  CHECK(Get(rig.b(), PipelineCounter::kSessionRebound) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 1);
  REQUIRE(rig.b().sessions().size() == 1);
  CHECK(rig.b().sessions().at(0).uuid == uuid);
  CHECK(rig.b().sessions().at(0).tcp_state == session::TcpState::kEstablished);

  // The answer goes back on the new path with reverse metadata; after it, no more metadata.
  const PacketSpec ack = TcpSpec("10.20.3.10", "10.10.1.10", 80, 46000, packet::kTcpAck, 8, 6);
  rig.FromServer(rig.ServerFrame(ack));
  rig.Step();
  const WireView back = ViewWire(rig.wire_b_to_a_.back(), 16);
  CHECK(back.info.src == Ip("192.0.2.12"));
  CHECK(back.has_metadata);
  CHECK(rig.to_client_.back() == rig.AtClient(ack));
  rig.FromClient(rig.ClientFrame(data));
  rig.Step();
  CHECK_FALSE(ViewWire(rig.wire_a_to_b_.back(), 16).has_metadata);
  CHECK(rig.to_server_.size() == 4);
}

}  // namespace
}  // namespace ssr::pipeline::testing
