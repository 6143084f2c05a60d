// SPDX-License-Identifier: Apache-2.0
// The egress checks the forward context against the names it arrives with (docs/protocol.md §6):
// a correctly signed first packet naming tenant guest / service web is refused when its
// destination, protocol or port is not web's, or when its client claims an address on the
// egress router's own LAN. The peer here is misconfigured (its config differs from the egress's),
// which is what a compromised peer holding the keys can do as well: sign whatever it likes.
#include <string>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

// Branch A's config in the tests: the ERP host is web's (erp moved to another address), web
// takes every protocol and port, and guest also has members in 10.20.5.0/24 (the datacenter's
// LAN). `text` is the config the datacenter uses.
std::shared_ptr<const config::Config> LyingBranch(std::string text) {
  text = Replace(text, "prefixes: \"10.20.1.20/32\"", "prefixes: \"10.20.1.21/32\"");
  text = Replace(text, "prefixes: \"10.20.3.10/32\"",
                 "prefixes: \"10.20.3.10/32\" prefixes: \"10.20.1.20/32\"");
  text = Replace(text, "  transports { protocol: TCP ports { start: 80 } ports { start: 443 } }\n",
                 "");
  text = Replace(text, "  transports { protocol: UDP ports { start: 7 } }\n", "");
  text = Replace(text, "  transports { protocol: ICMP }\n", "");
  text = Replace(text, "prefixes: \"10.10.9.0/24\"",
                 "prefixes: \"10.10.9.0/24\" prefixes: \"10.20.5.0/24\"");
  return LoadConfig(text);
}

// The rig of these tests: the datacenter (B) runs `text`, the branch (A) lies (LyingBranch).
RigOptions LyingRig(const std::string& text) {
  RigOptions o;
  o.config = LoadConfig(text);
  o.config_a = LyingBranch(text);
  return o;
}

PacketSpec Syn(const char* src, const char* dst, uint16_t dport) {
  PacketSpec s;
  s.src = Ip(src);
  s.dst = Ip(dst);
  s.protocol = packet::kIpProtoTcp;
  s.src_port = 45000;
  s.dst_port = dport;
  s.tcp_flags = packet::kTcpSyn;
  return s;
}

// Sends `spec` from A's LAN; A names guest / web and signs it. Returns whether B delivered it.
bool Delivered(Rig& rig, const PacketSpec& spec) {
  rig.FromClient(rig.ClientFrame(spec));
  rig.Step();
  REQUIRE(Get(rig.a(), PipelineCounter::kMdSentForward) == 1);  // A did send it, signed
  REQUIRE(rig.a().sessions().size() == 1);
  // Indices are the same in both configs (the lying one only changes prefixes and transports).
  CHECK(rig.a().sessions().at(0).service == *rig.cfg_->ServiceIndex("web"));
  CHECK(rig.a().sessions().at(0).tenant == *rig.cfg_->TenantIndex("guest"));
  CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);
  if (rig.to_server_.empty()) return false;
  CHECK(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(spec));
  return true;
}

TEST_CASE("The egress refuses a signed first packet whose forward context is not the named "
          "service's: another host, a port or a protocol the service does not offer",
          "[pipeline][security]") {
  const std::string text(config::DefaultConfigText());
  const RigOptions o = LyingRig(text);
  struct Case {
    const char* what;
    PacketSpec spec;
  };
  PacketSpec udp80;
  udp80.src = Ip("10.10.9.5");
  udp80.dst = Ip("10.20.3.10");
  udp80.protocol = packet::kIpProtoUdp;
  udp80.src_port = 45000;
  udp80.dst_port = 80;  // web offers TCP 80, UDP 7 only
  udp80.payload = Keep({1, 2, 3});
  for (const Case& c : {Case{"the ERP host under web", Syn("10.10.9.5", "10.20.1.20", 443)},
                        Case{"web on a port it does not offer", Syn("10.10.9.5", "10.20.3.10", 22)},
                        Case{"web over a protocol it does not offer", udp80}}) {
    DYNAMIC_SECTION(c.what) {
      Rig rig(o);
      rig.AddServer("10.20.1.20");
      rig.AddServer("10.20.3.10");
      CHECK_FALSE(Delivered(rig, c.spec));
      CHECK(Get(rig.b(), PipelineCounter::kEgressServiceMismatch) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kMdReceivedForward) == 1);
      CHECK(rig.b().sessions().size() == 0);
      CHECK(rig.wire_b_to_a_.empty());
    }
  }
}

TEST_CASE("The egress refuses a named service whose address belongs to a more specific service "
          "the tenant may not use",
          "[pipeline][security]") {
  // Both routers: web's prefix is 10.20.1.0/24, which holds the ERP host's 10.20.1.20/32. An
  // honest ingress names erp for 10.20.1.20:443 (longest prefix) and denies guest; the lying
  // branch names web. The address is inside web's prefix, yet it is not web's.
  const std::string text = Replace(std::string(config::DefaultConfigText()),
                                   "prefixes: \"10.20.3.10/32\"",
                                   "prefixes: \"10.20.3.10/32\" prefixes: \"10.20.1.0/24\"");
  const RigOptions o = LyingRig(text);
  Rig rig(o);
  rig.AddServer("10.20.1.20");
  CHECK_FALSE(Delivered(rig, Syn("10.10.9.5", "10.20.1.20", 443)));
  CHECK(Get(rig.b(), PipelineCounter::kEgressServiceMismatch) == 1);
  CHECK(rig.b().sessions().size() == 0);
}

TEST_CASE("The egress refuses a client address on one of its own LAN subnets",
          "[pipeline][security]") {
  const std::string text(config::DefaultConfigText());
  const RigOptions o = LyingRig(text);
  Rig rig(o);
  rig.AddServer("10.20.3.10");
  // 10.20.5.7 is in the datacenter's lan0 subnet 10.20.0.0/16; web is a TCP 80 service.
  CHECK_FALSE(Delivered(rig, Syn("10.20.5.7", "10.20.3.10", 80)));
  CHECK(Get(rig.b(), PipelineCounter::kEgressSourceImplausible) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kEgressServiceMismatch) == 0);
  CHECK(rig.b().sessions().size() == 0);
  CHECK(rig.wire_b_to_a_.empty());
}

TEST_CASE("The egress still delivers what the named service offers (TCP, UDP and ICMP)",
          "[pipeline][security]") {
  PacketSpec udp7;
  udp7.src = Ip("10.10.9.5");
  udp7.dst = Ip("10.20.3.10");
  udp7.protocol = packet::kIpProtoUdp;
  udp7.src_port = 45000;
  udp7.dst_port = 7;
  udp7.payload = Keep({1, 2, 3});
  PacketSpec ping;
  ping.src = Ip("10.10.9.5");
  ping.dst = Ip("10.20.3.10");
  ping.protocol = packet::kIpProtoIcmp;
  ping.icmp_type = 8;
  ping.icmp_id = 0x4321;
  ping.icmp_seq = 1;
  ping.payload = Keep({1, 2, 3, 4});
  const PacketSpec cases[] = {Syn("10.10.9.5", "10.20.3.10", 80),
                              Syn("10.10.9.5", "10.20.3.10", 443), udp7, ping};
  for (const bool lying : {false, true}) {
    for (size_t i = 0; i < std::size(cases); ++i) {
      DYNAMIC_SECTION((lying ? "misconfigured branch, " : "same config, ") << "case " << i) {
        const std::string text(config::DefaultConfigText());
        RigOptions o;
        o.config = LoadConfig(text);
        if (lying) o.config_a = LyingBranch(text);
        Rig rig(o);
        rig.AddServer("10.20.3.10");
        CHECK(Delivered(rig, cases[i]));
        CHECK(Get(rig.b(), PipelineCounter::kEgressServiceMismatch) == 0);
        CHECK(Get(rig.b(), PipelineCounter::kEgressSourceImplausible) == 0);
        CHECK(rig.b().sessions().size() == 1);
      }
    }
  }
}

TEST_CASE("The egress checks are drop counters") {
  CHECK(CounterKindOf(PipelineCounter::kEgressServiceMismatch) == util::CounterKind::kDrop);
  CHECK(CounterKindOf(PipelineCounter::kEgressSourceImplausible) == util::CounterKind::kDrop);
}

}  // namespace
}  // namespace ssr::pipeline::testing
