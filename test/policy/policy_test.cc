// SPDX-License-Identifier: Apache-2.0
// Router policy on the built-in default config (examples/configs/default.textproto): tenant
// classification, service match, deny by default, hierarchy and directionality.
#include "policy/policy.h"

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "packet/protocol.h"

namespace ssr::policy {
namespace {

util::IpAddress Ip(const char* t) { return *util::IpAddress::Parse(t); }

std::shared_ptr<const config::Config> DefaultConfig() {
  auto c = config::LoadConfigString(config::DefaultConfigText(), config::ConfigFormat::kText);
  REQUIRE(c.ok());
  return *c;
}

std::unique_ptr<const RouterPolicy> PolicyFor(const char* router) {
  auto p = RouterPolicy::Build(DefaultConfig(), router);
  REQUIRE(p.ok());
  return std::move(*p);
}

size_t Lan(const RouterPolicy& p) { return *p.router().InterfaceIndex("lan0"); }
size_t Wan(const RouterPolicy& p) { return *p.router().InterfaceIndex("wan0"); }

FlowKey Tcp(const RouterPolicy& p, const char* src, const char* dst, uint16_t port) {
  return {Lan(p), 0, Ip(src), Ip(dst), packet::kIpProtoTcp, port};
}

std::string Name(const RouterPolicy& p, std::optional<size_t> tenant) {
  return tenant ? p.config().tenants[*tenant].name : "<none>";
}

}  // namespace

TEST_CASE("Tenants are classified by longest member prefix", "[policy]") {
  auto p = PolicyFor("branch");
  CHECK(Name(*p, p->ClassifyTenant(Lan(*p), 0, Ip("10.10.1.5"))) == "engineering");
  CHECK(Name(*p, p->ClassifyTenant(Lan(*p), 0, Ip("10.10.1.200"))) == "contractors.engineering");
  CHECK(Name(*p, p->ClassifyTenant(Lan(*p), 0, Ip("10.10.2.9"))) == "sales");
  CHECK(Name(*p, p->ClassifyTenant(Lan(*p), 0, Ip("10.10.9.1"))) == "guest");
  CHECK_FALSE(p->ClassifyTenant(Lan(*p), 0, Ip("10.10.5.5")));      // no member
  CHECK_FALSE(p->ClassifyTenant(Lan(*p), 7, Ip("10.10.1.5")));      // VLAN not on the interface
  CHECK_FALSE(p->ClassifyTenant(Wan(*p), 0, Ip("10.10.1.5")));      // not a LAN interface
}

TEST_CASE("Services match on prefix, protocol and port", "[policy]") {
  auto p = PolicyFor("branch");
  auto name = [&](std::optional<size_t> s) {
    return s ? p->config().services[*s].name : std::string("<none>");
  };
  CHECK(name(p->MatchService(Ip("10.20.1.10"), packet::kIpProtoTcp, 443)) == "crm");
  CHECK(name(p->MatchService(Ip("10.20.1.10"), packet::kIpProtoTcp, 80)) == "<none>");
  CHECK(name(p->MatchService(Ip("10.20.1.10"), packet::kIpProtoUdp, 443)) == "<none>");
  CHECK(name(p->MatchService(Ip("10.20.1.20"), packet::kIpProtoTcp, 8443)) == "erp");
  CHECK(name(p->MatchService(Ip("10.20.2.77"), packet::kIpProtoUdp, 15000)) == "voice");
  CHECK(name(p->MatchService(Ip("10.20.2.77"), packet::kIpProtoUdp, 20001)) == "<none>");
  CHECK(name(p->MatchService(Ip("10.20.3.10"), packet::kIpProtoIcmp, 0)) == "web");
  CHECK(name(p->MatchService(Ip("10.20.3.11"), packet::kIpProtoTcp, 80)) == "<none>");
}

TEST_CASE("A first packet is allowed only for a member of a tenant allowed the service",
          "[policy][svr-7.26]") {
  auto p = PolicyFor("branch");
  struct Row {
    const char* src;
    const char* dst;
    uint16_t port;
    Verdict verdict;
    const char* tenant;
  };
  const Row rows[] = {
      {"10.10.2.9", "10.20.1.10", 443, Verdict::kAllow, "sales"},        // sales -> crm
      {"10.10.1.5", "10.20.1.10", 443, Verdict::kDenied, "engineering"}, // eng -> crm
      {"10.10.1.5", "10.20.1.20", 443, Verdict::kAllow, "engineering"},  // eng -> erp
      {"10.10.1.200", "10.20.1.20", 443, Verdict::kDenied, "contractors.engineering"},
      {"10.10.1.200", "10.20.3.10", 80, Verdict::kAllow, "contractors.engineering"},  // inherits
      {"10.10.9.1", "10.20.1.30", 993, Verdict::kDenied, "guest"},       // guest -> mail
      {"10.10.9.1", "10.20.3.10", 443, Verdict::kAllow, "guest"},        // guest -> web
      {"10.10.5.5", "10.20.3.10", 443, Verdict::kNonMember, "<none>"},   // not a member
      {"10.10.2.9", "10.20.9.9", 443, Verdict::kNoService, "sales"},     // no such service
  };
  for (const Row& row : rows) {
    INFO(row.src << " -> " << row.dst << ":" << row.port);
    const Decision d = p->Decide(Tcp(*p, row.src, row.dst, row.port));
    CHECK(CounterName(d.verdict) == CounterName(row.verdict));
    CHECK(Name(*p, d.tenant) == row.tenant);
    if (d.verdict == Verdict::kAllow) {
      REQUIRE(d.route != nullptr);
      CHECK(d.route->kind == config::ServiceRoute::Kind::kPeer);
    } else {
      CHECK(d.route == nullptr);
    }
  }
}

TEST_CASE("A server cannot open a session back to a client", "[policy]") {
  // At the data center, the CRM server sending to a branch client is a member of no tenant.
  auto dc = PolicyFor("datacenter");
  const Decision d = dc->Decide({*dc->router().InterfaceIndex("lan0"), 0, Ip("10.20.1.10"),
                                 Ip("10.10.2.9"), packet::kIpProtoTcp, 40000});
  CHECK(d.verdict == Verdict::kNonMember);
  // At the branch, the same direction (service side as source) is no member either.
  auto branch = PolicyFor("branch");
  CHECK(branch->Decide(Tcp(*branch, "10.20.1.10", "10.10.2.9", 40000)).verdict ==
        Verdict::kNonMember);
}

TEST_CASE("Packets on a WAN interface or an unknown interface are not classified", "[policy]") {
  auto p = PolicyFor("branch");
  FlowKey k = Tcp(*p, "10.10.2.9", "10.20.1.10", 443);
  k.interface = Wan(*p);
  CHECK(p->Decide(k).verdict == Verdict::kUnknownInterface);
  k.interface = 99;
  CHECK(p->Decide(k).verdict == Verdict::kUnknownInterface);
}

TEST_CASE("OnLanSubnet: the subnets of the router's LAN interface addresses, not its WAN's",
          "[policy]") {
  const auto dc = PolicyFor("datacenter");  // lan0 10.20.0.1/16, wan0 192.0.2.2/24
  CHECK(dc->OnLanSubnet(Ip("10.20.0.1")));
  CHECK(dc->OnLanSubnet(Ip("10.20.255.255")));
  CHECK(dc->OnLanSubnet(Ip("10.20.5.7")));
  CHECK_FALSE(dc->OnLanSubnet(Ip("10.21.0.1")));
  CHECK_FALSE(dc->OnLanSubnet(Ip("10.10.9.5")));  // the branch's LAN
  CHECK_FALSE(dc->OnLanSubnet(Ip("192.0.2.1")));  // WAN subnet
  CHECK_FALSE(dc->OnLanSubnet(Ip("::ffff:10.20.0.1")));
  CHECK(PolicyFor("branch")->OnLanSubnet(Ip("10.10.9.5")));
}

TEST_CASE("Building the policy of an unknown router fails with its name", "[policy]") {
  auto p = RouterPolicy::Build(DefaultConfig(), "hq");
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(p.status().message()).find("\"hq\"") != std::string::npos);
}

TEST_CASE("Members scoped to a VLAN classify only tagged traffic of that VLAN", "[policy]") {
  auto c = config::LoadConfigString(R"pb(
    routers {
      name: "r1"
      interfaces { name: "lan0" role: LAN addresses: "10.0.0.1/16" vlans: 10 vlans: 20 }
    }
    tenants { name: "voice" members { interface: "lan0" vlan: 10 prefixes: "10.0.0.0/16" } }
    tenants { name: "data" members { interface: "lan0" vlan: 20 prefixes: "10.0.0.0/16" } }
    tenants { name: "any" members { prefixes: "10.1.0.0/16" } }
  )pb", config::ConfigFormat::kText);
  REQUIRE(c.ok());
  auto p = RouterPolicy::Build(*c, "r1");
  REQUIRE(p.ok());
  const RouterPolicy& rp = **p;
  CHECK(Name(rp, rp.ClassifyTenant(0, 10, Ip("10.0.1.1"))) == "voice");
  CHECK(Name(rp, rp.ClassifyTenant(0, 20, Ip("10.0.1.1"))) == "data");
  CHECK(Name(rp, rp.ClassifyTenant(0, 0, Ip("10.0.1.1"))) == "<none>");   // untagged
  CHECK(Name(rp, rp.ClassifyTenant(0, 0, Ip("10.1.5.1"))) == "any");      // wildcard member
  CHECK(Name(rp, rp.ClassifyTenant(0, 20, Ip("10.1.5.1"))) == "any");     // on every VLAN
}

TEST_CASE("The compiled member entries are the scopes ClassifyTenant answers from", "[policy]") {
  auto c = config::LoadConfigString(R"pb(
    routers {
      name: "r1"
      interfaces { name: "lan0" role: LAN addresses: "10.0.0.1/16" vlans: 10 vlans: 20 }
      interfaces { name: "lan1" role: LAN addresses: "10.2.0.1/16" }
    }
    tenants { name: "voice" members { interface: "lan0" vlan: 10 prefixes: "10.0.0.0/16" } }
    tenants { name: "any" members { prefixes: "10.1.0.0/16" } }
  )pb", config::ConfigFormat::kText);
  REQUIRE(c.ok());
  auto p = RouterPolicy::Build(*c, "r1");
  REQUIRE(p.ok());
  std::vector<std::string> got;
  for (const MemberEntry& e : (*p)->member_entries()) {
    got.push_back((*p)->router().interfaces[e.interface].name + "/" + std::to_string(e.vlan) +
                  " " + e.prefix.ToString() + " " + (*c)->tenants[e.tenant].name);
  }
  // By interface, then VLAN (untagged first), then tenant.
  const std::vector<std::string> want = {"lan0/0 10.1.0.0/16 any", "lan0/10 10.0.0.0/16 voice",
                                         "lan0/10 10.1.0.0/16 any", "lan0/20 10.1.0.0/16 any",
                                         "lan1/0 10.1.0.0/16 any"};
  CHECK(got == want);
}

TEST_CASE("Service rules: compiled per port range, tried longest prefix first", "[policy]") {
  const std::string text = std::string(config::DefaultConfigText()) +
                           "services { name: \"wide\" prefixes: \"10.20.0.0/16\" }\n";
  auto c = config::LoadConfigString(text, config::ConfigFormat::kText);
  REQUIRE(c.ok());
  auto p = RouterPolicy::Build(*c, "branch");
  REQUIRE(p.ok());
  const size_t voice = *(*c)->ServiceIndex("voice");
  const size_t wide = *(*c)->ServiceIndex("wide");
  const std::vector<ServiceRule> rules =
      (*p)->RulesTriedWithin(*util::IpPrefix::Parse("10.20.2.0/24"));
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].service == voice);
  CHECK(rules[0].protocol == config::Protocol::kUdp);
  CHECK((rules[0].port_first == 5060 && rules[0].port_last == 5060));
  CHECK((rules[1].port_first == 10000 && rules[1].port_last == 20000));
  CHECK(rules[2].service == wide);
  CHECK_FALSE(rules[2].protocol.has_value());
  // A prefix no service claims gets the rules of the service prefixes containing it.
  const std::vector<ServiceRule> inside =
      (*p)->RulesTriedWithin(*util::IpPrefix::Parse("10.20.7.0/24"));
  REQUIRE(inside.size() == 1);
  CHECK(inside[0].service == wide);
  CHECK((*p)->RulesTriedWithin(*util::IpPrefix::Parse("10.30.0.0/24")).empty());

  // Matching: ICMPv6 counts as ICMP; a rule without protocol takes any protocol and port.
  const ServiceRule icmp{config::Protocol::kIcmp, 0, 0xffff, 0};
  CHECK(icmp.Matches(packet::kIpProtoIcmp, 0));
  CHECK(icmp.Matches(packet::kIpProtoIcmpv6, 0));
  CHECK_FALSE(icmp.Matches(packet::kIpProtoTcp, 0));
  CHECK(rules[2].Matches(47, 0));
  CHECK_FALSE(rules[0].Matches(47, 5060));
  CHECK_FALSE(rules[0].Matches(packet::kIpProtoUdp, 5061));
  CHECK(rules[1].Matches(packet::kIpProtoUdp, 20000));
  // The walk is the one MatchService makes: voice for its ports, wide for everything else.
  CHECK((*p)->MatchService(Ip("10.20.2.9"), packet::kIpProtoUdp, 5060) == voice);
  CHECK((*p)->MatchService(Ip("10.20.2.9"), packet::kIpProtoTcp, 5060) == wide);
}

}  // namespace ssr::policy
