// SPDX-License-Identifier: Apache-2.0
// A SYN flood from members through two routers (docs/protocol.md §2.10.1): half-open sessions
// the server answered are evicted for new ones, a completed session survives the flood, the
// per-source cap refuses a flooding client only, and evictions do not flood the peer with
// Delete Session messages.
#include <catch2/catch.hpp>
#include <string>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr const char* kServer = "10.20.1.20";  // erp, TCP 443

PacketSpec Seg(const char* client, uint16_t port, bool from_client, uint8_t flags, uint32_t seq,
               uint32_t ack) {
  PacketSpec s;
  s.src = Ip(from_client ? client : kServer);
  s.dst = Ip(from_client ? kServer : client);
  s.protocol = packet::kIpProtoTcp;
  s.src_port = from_client ? port : 443;
  s.dst_port = from_client ? 443 : port;
  s.tcp_flags = flags;
  s.tcp_seq = seq;
  s.tcp_ack = ack;
  return s;
}

// Sends one segment; true when it reached the other end host.
bool Send(Rig& rig, const PacketSpec& spec, bool from_client) {
  std::vector<Bytes>& out = from_client ? rig.to_server_ : rig.to_client_;
  const size_t before = out.size();
  if (from_client) {
    rig.FromClient(rig.ClientFrame(spec));
  } else {
    rig.FromServer(rig.ServerFrame(spec));
  }
  rig.Step();
  return out.size() > before;
}

// One flood SYN from `client`:`port` that the server answers with a SYN-ACK nobody completes.
// Returns whether the SYN reached the server.
bool FloodSyn(Rig& rig, const char* client, uint16_t port) {
  if (!Send(rig, Seg(client, port, true, packet::kTcpSyn, 1000, 0), true)) return false;
  Send(rig, Seg(client, port, false, packet::kTcpSyn | packet::kTcpAck, 7000, 1001), false);
  return true;
}

TEST_CASE("A SYN flood the server answers does not lock new TCP sessions out of a full table, "
          "and a completed session survives it",
          "[pipeline][flood]") {
  RigOptions o;
  o.max_sessions_a = 16;
  o.max_sessions_b = 16;
  Rig rig(o);
  rig.AddServer(kServer);
  // 48 half-open sessions from one member host into 16-slot tables: every SYN gets through,
  // the oldest half-open session making room each time.
  int through = 0;
  for (uint16_t p = 0; p < 48; ++p) through += FloodSyn(rig, "10.10.1.66", 30000 + p) ? 1 : 0;
  CHECK(through == 48);
  CHECK(rig.a().sessions().size() == 16);
  // A legitimate connection during the flood opens and completes.
  const char* legit = "10.10.1.10";
  REQUIRE(Send(rig, Seg(legit, 45000, true, packet::kTcpSyn, 1000, 0), true));
  REQUIRE(Send(rig, Seg(legit, 45000, false, packet::kTcpSyn | packet::kTcpAck, 5000, 1001),
               false));
  REQUIRE(Send(rig, Seg(legit, 45000, true, packet::kTcpAck, 1001, 5001), true));
  // More flood: the established session is never the one evicted, at either router.
  for (uint16_t p = 100; p < 164; ++p) through += FloodSyn(rig, "10.10.1.66", 30000 + p) ? 1 : 0;
  CHECK(through == 48 + 64);
  CHECK(Send(rig, Seg(legit, 45000, true, packet::kTcpAck | packet::kTcpPsh, 1001, 5001), true));
  CHECK(Send(rig, Seg(legit, 45000, false, packet::kTcpAck, 5001, 1001), false));
  CHECK(Get(rig.a(), PipelineCounter::kSessionRefused) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kSessionRefused) == 0);
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kTableFull) == 0);
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kEvictedHalfOpen) > 0);
}

TEST_CASE("Evictions send at most removal_deletes_per_second Delete Session messages per peer "
          "and count the rest",
          "[pipeline][flood]") {
  RigOptions o;
  o.max_sessions_a = 8;
  o.max_sessions_b = 1024;
  Rig rig(o);
  rig.AddServer(kServer);
  // 300 unanswered SYNs within one millisecond: 292 evictions at the ingress.
  for (uint16_t p = 0; p < 300; ++p) {
    rig.FromClient(rig.ClientFrame(Seg("10.10.1.66", 20000 + p, true, packet::kTcpSyn, 1, 0)));
    if (p % 32 == 31) rig.Step();
  }
  rig.Step();
  const auto& sc = rig.a().sessions().counters();
  REQUIRE(sc.Get(session::SessionCounter::kEvictedEmbryonic) == 292);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlSentDelete) == 100);  // PipelineOptions default
  CHECK(Get(rig.a(), PipelineCounter::kCtrlDeleteSuppressed) == 192);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlDelete) == 100);
  // The budget is per second: a second later 100 more may go.
  rig.Advance(1000);
  for (uint16_t p = 300; p < 450; ++p) {
    rig.FromClient(rig.ClientFrame(Seg("10.10.1.66", 20000 + p, true, packet::kTcpSyn, 1, 0)));
    if (p % 32 == 31) rig.Step();
  }
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kCtrlSentDelete) == 200);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlDeleteSuppressed) == 192 + 50);
  // The suppressed ones stay at the egress until its own timeout (30 s embryonic) cleans them.
  CHECK(rig.b().sessions().size() == 450 - 200);
  rig.Advance(30'001);
  rig.b().Expire(rig.now(), 1u << 20);
  CHECK(rig.b().sessions().size() == 0);
}

TEST_CASE("The per-source embryonic cap refuses the flooding client only", "[pipeline][flood]") {
  RigOptions o;
  o.config = LoadConfig(Replace(std::string(config::DefaultConfigText()),
                                "limits { max_sessions: 1048576 }",
                                "limits { max_sessions: 1048576 max_embryonic_per_source: 3 }"));
  Rig rig(o);
  rig.AddServer(kServer);
  for (uint16_t p = 0; p < 3; ++p) CHECK(FloodSyn(rig, "10.10.1.66", 30000 + p));
  CHECK_FALSE(FloodSyn(rig, "10.10.1.66", 30003));
  CHECK(Get(rig.a(), PipelineCounter::kEmbryonicLimit) == 1);
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kEmbryonicSourceLimit) == 1);
  // Another host of the same tenant opens and completes a connection.
  const char* legit = "10.10.1.10";
  REQUIRE(Send(rig, Seg(legit, 45000, true, packet::kTcpSyn, 1000, 0), true));
  REQUIRE(Send(rig, Seg(legit, 45000, false, packet::kTcpSyn | packet::kTcpAck, 5000, 1001),
               false));
  REQUIRE(Send(rig, Seg(legit, 45000, true, packet::kTcpAck, 1001, 5001), true));
  // The flooder completes one handshake: it may open one more.
  REQUIRE(Send(rig, Seg("10.10.1.66", 30000, true, packet::kTcpAck, 1001, 7001), true));
  CHECK(FloodSyn(rig, "10.10.1.66", 30004));
  CHECK_FALSE(FloodSyn(rig, "10.10.1.66", 30005));
  // Refused before any waypoint pair was searched for: 5 sessions, 5 pairs.
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kWaypointsAllocated) == 5);
  // The egress counts the same client (the address the server answers): its sessions from
  // this client are capped too, and nothing was refused there so far.
  CHECK(Get(rig.b(), PipelineCounter::kEmbryonicLimit) == 0);
}

TEST_CASE("The under-pressure embryonic timeout comes from the config's limits",
          "[pipeline][flood]") {
  for (const bool configured : {false, true}) {
    INFO("configured " << configured);
    RigOptions o;
    if (configured) {
      o.config = LoadConfig(Replace(std::string(config::DefaultConfigText()),
                                    "limits { max_sessions: 1048576 }",
                                    "limits { max_sessions: 1048576 embryonic_pressure_percent: 50 "
                                    "tcp_embryonic_under_pressure_seconds: 2 }"));
    }
    o.max_sessions_a = 4;
    Rig rig(o);
    rig.AddServer(kServer);
    CHECK(FloodSyn(rig, "10.10.1.66", 30000));
    CHECK(FloodSyn(rig, "10.10.1.67", 30001));
    // 2 of 4 slots: under pressure at 50 %, not at the default 75 %.
    rig.Advance(2001);
    rig.a().Expire(rig.now(), 1u << 20);
    CHECK(rig.a().sessions().size() == (configured ? 0u : 2u));
    CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kExpiredUnderPressure) ==
          (configured ? 2u : 0u));
  }
}

TEST_CASE("The per-tenant embryonic cap holds across a reload that renumbers the tenants",
          "[pipeline][flood]") {
  const std::string base = Replace(std::string(config::DefaultConfigText()),
                                   "limits { max_sessions: 1048576 }",
                                   "limits { max_sessions: 1048576 max_embryonic_per_tenant: 2 }");
  RigOptions o;
  o.config = LoadConfig(base);
  Rig rig(o);
  rig.AddServer(kServer);
  CHECK(FloodSyn(rig, "10.10.1.66", 30000));
  CHECK(FloodSyn(rig, "10.10.1.67", 30001));
  CHECK_FALSE(FloodSyn(rig, "10.10.1.68", 30002));  // engineering holds 2
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kEmbryonicTenantLimit) == 1);
  // A new first tenant moves engineering from index 0 to 1: its count must move with it.
  const std::string next = Replace(base, "tenants {\n  name: \"engineering\"",
                                   "tenants { name: \"lab\" members { router: \"branch\" "
                                   "interface: \"lan0\" prefixes: \"10.10.7.0/24\" } }\n"
                                   "tenants {\n  name: \"engineering\"");
  REQUIRE(next != base);
  REQUIRE(rig.a().Reload(LoadConfig(next)).ok());
  CHECK_FALSE(FloodSyn(rig, "10.10.1.68", 30003));
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kEmbryonicTenantLimit) == 2);
  // The tenant now at index 0 (lab) is not charged with engineering's sessions.
  CHECK(rig.a().sessions().EmbryonicOfTenant(0) == 0);
  CHECK(rig.a().sessions().EmbryonicOfTenant(1) == 2);
}

TEST_CASE("A reload sets the per-source embryonic cap and counts the sessions that exist",
          "[pipeline][flood][reload]") {
  const std::string base(config::DefaultConfigText());
  Rig rig;
  rig.AddServer(kServer);
  // No cap: four half-open sessions from one client.
  for (uint16_t p = 0; p < 4; ++p) REQUIRE(FloodSyn(rig, "10.10.1.66", 30000 + p));
  // Cap 3 from the reload on: the client already holds 4, so its next one is refused ...
  REQUIRE(rig.a().Reload(LoadConfig(Replace(base, "limits { max_sessions: 1048576 }",
                                            "limits { max_sessions: 1048576 "
                                            "max_embryonic_per_source: 3 }")))
              .ok());
  CHECK(rig.a().sessions().EmbryonicFromSource(Ip("10.10.1.66")) == 4);
  CHECK_FALSE(FloodSyn(rig, "10.10.1.66", 30004));
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kEmbryonicSourceLimit) == 1);
  // ... until two of them complete their handshake (4 - 2 = 2 < 3).
  REQUIRE(Send(rig, Seg("10.10.1.66", 30000, true, packet::kTcpAck, 1001, 7001), true));
  REQUIRE(Send(rig, Seg("10.10.1.66", 30001, true, packet::kTcpAck, 1001, 7001), true));
  CHECK(FloodSyn(rig, "10.10.1.66", 30005));
  // Without the cap again, nothing is refused.
  REQUIRE(rig.a().Reload(LoadConfig(base)).ok());
  CHECK(FloodSyn(rig, "10.10.1.66", 30006));
  CHECK(FloodSyn(rig, "10.10.1.66", 30007));
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kEmbryonicSourceLimit) == 1);
}

}  // namespace
}  // namespace ssr::pipeline::testing
