// SPDX-License-Identifier: Apache-2.0
// ComputeGateContents: the gate's map entries from a validated config, without BPF.
#include "gate/gate_contents.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "policy/policy.h"

namespace ssr::gate {
namespace {

std::shared_ptr<const config::Config> Load(const std::string& text) {
  auto config = config::LoadConfigString(text, config::ConfigFormat::kText);
  if (!config.ok()) FAIL(config.status().ToString());
  return *config;
}

std::shared_ptr<const config::Config> Default() {
  return Load(std::string(config::DefaultConfigText()));
}

util::IpPrefix Prefix(const std::string& text) { return *util::IpPrefix::Parse(text); }
util::IpAddress Ip(const std::string& text) { return *util::IpAddress::Parse(text); }

template <typename K>
bool SameKey(const K& a, const K& b) {
  return std::memcmp(&a, &b, sizeof(K)) == 0;
}

template <typename Entries, typename K>
const auto* Find(const Entries& entries, const K& key) {
  for (const auto& e : entries) {
    if (SameKey(e.key, key)) return &e;
  }
  return static_cast<decltype(&entries[0])>(nullptr);
}

// Inserts `line` right after the first line containing `anchor`.
std::string InsertAfter(std::string text, const std::string& anchor, const std::string& line) {
  const size_t at = text.find(anchor);
  REQUIRE(at != std::string::npos);
  text.insert(text.find('\n', at) + 1, line + "\n");
  return text;
}

TEST_CASE("branch tenants are one entry per member prefix on lan0 untagged, with their index") {
  auto config = Default();
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  REQUIRE(c->tenants.size() == 8);  // dual stack: an IPv4 and an IPv6 prefix per tenant
  const struct {
    const char* prefix;
    const char* tenant;
  } expected[] = {{"10.10.1.0/24", "engineering"},
                  {"10.10.1.128/25", "contractors.engineering"},
                  {"10.10.2.0/24", "sales"},
                  {"10.10.9.0/24", "guest"},
                  {"fd00:10:10:1::/64", "engineering"},
                  {"fd00:10:10:1::200/120", "contractors.engineering"},
                  {"fd00:10:10:2::/64", "sales"},
                  {"fd00:10:10:9::/64", "guest"}};
  for (const auto& e : expected) {
    INFO(e.prefix);
    const auto* entry = Find(c->tenants, TenantKey(0, 0, Prefix(e.prefix)));
    REQUIRE(entry != nullptr);
    CHECK(entry->value.tenant == *config->TenantIndex(e.tenant));
    CHECK(entry->key.prefixlen ==
          static_cast<uint32_t>(SSR_GATE_TENANT_SCOPE_BITS + Prefix(e.prefix).length()));
  }
}

TEST_CASE("the datacenter has no tenant entries: its LAN hosts are members of no tenant") {
  auto config = Default();
  auto c = ComputeGateContents(*config, "datacenter");
  REQUIRE(c.ok());
  CHECK(c->tenants.empty());
  CHECK(c->services.size() == 10);  // an IPv4 and an IPv6 prefix per service
}

TEST_CASE("a member without interface expands to every LAN interface and VLAN incl. untagged") {
  std::string text(config::DefaultConfigText());
  text = InsertAfter(text, "interfaces { name: \"lan0\" role: LAN addresses: \"10.10.0.1/16\"",
                     "  interfaces { name: \"lan1\" role: LAN addresses: \"10.11.0.1/16\" "
                     "vlans: 100 vlans: 200 }");
  text = InsertAfter(text, "name: \"guest\"",
                     "  members { router: \"branch\" prefixes: \"10.11.9.0/24\" }");
  auto config = Load(text);
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  const uint16_t lan0 = 0;
  const uint16_t lan1 = static_cast<uint16_t>(*config->FindRouter("branch")->InterfaceIndex("lan1"));
  const size_t guest = *config->TenantIndex("guest");
  for (auto [itf, vlan] : {std::pair<uint16_t, uint16_t>{lan0, 0}, {lan1, 0}, {lan1, 100},
                           {lan1, 200}}) {
    INFO("interface " << itf << " vlan " << vlan);
    const auto* e = Find(c->tenants, TenantKey(itf, vlan, Prefix("10.11.9.0/24")));
    REQUIRE(e != nullptr);
    CHECK(e->value.tenant == guest);
  }
  // lan0 has no VLAN 100, and the wan interface gets nothing.
  CHECK(Find(c->tenants, TenantKey(lan0, 100, Prefix("10.11.9.0/24"))) == nullptr);
  CHECK(c->tenants.size() == 8 + 4);
}

TEST_CASE("service rules list every transport port range of the service, ranges intact") {
  auto config = Default();
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  const auto* voice = Find(c->services, ServiceKey(Prefix("10.20.2.0/24")));
  REQUIRE(voice != nullptr);
  REQUIRE(voice->value.count == 2);
  const uint16_t index = static_cast<uint16_t>(*config->ServiceIndex("voice"));
  CHECK(voice->value.rules[0].proto == SSR_GATE_PROTO_UDP);
  CHECK(voice->value.rules[0].port_first == 5060);
  CHECK(voice->value.rules[0].port_last == 5060);
  CHECK(voice->value.rules[1].port_first == 10000);
  CHECK(voice->value.rules[1].port_last == 20000);
  CHECK(voice->value.rules[1].service == index);

  const auto* web = Find(c->services, ServiceKey(Prefix("10.20.3.10/32")));
  REQUIRE(web != nullptr);
  REQUIRE(web->value.count == 4);  // tcp 80, tcp 443, udp 7, icmp
  CHECK(web->value.rules[3].proto == SSR_GATE_PROTO_ICMP);
  CHECK(web->value.rules[3].port_first == 0);
  CHECK(web->value.rules[3].port_last == 0xffff);
}

TEST_CASE("a service prefix inside another carries the outer prefix's rules after its own") {
  // "wide" covers 10.20.0.0/16 for every protocol (no transports); voice sits inside it.
  const std::string fixed = std::string(config::DefaultConfigText()) +
                            "services {\n  name: \"wide\"\n  prefixes: \"10.20.0.0/16\"\n"
                            "  access_policies { tenant: \"guest\" }\n}\n";
  auto config = Load(fixed);
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  const uint16_t wide = static_cast<uint16_t>(*config->ServiceIndex("wide"));
  const auto* voice = Find(c->services, ServiceKey(Prefix("10.20.2.0/24")));
  REQUIRE(voice != nullptr);
  REQUIRE(voice->value.count == 3);
  CHECK(voice->value.rules[0].service == *config->ServiceIndex("voice"));
  CHECK(voice->value.rules[2].service == wide);
  CHECK(voice->value.rules[2].proto == SSR_GATE_PROTO_ANY);
  const auto* outer = Find(c->services, ServiceKey(Prefix("10.20.0.0/16")));
  REQUIRE(outer != nullptr);
  CHECK(outer->value.count == 1);
}

TEST_CASE("access bitmaps equal RouterPolicy::Allowed for every service and tenant") {
  auto config = Default();
  auto policy = policy::RouterPolicy::Build(config, "branch");
  REQUIRE(policy.ok());
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  REQUIRE(c->access.size() == config->services.size());
  size_t allowed = 0;
  for (const auto& e : c->access) {
    for (size_t t = 0; t < config->tenants.size(); ++t) {
      const bool bit = (e.value.tenants[t / 64] >> (t % 64)) & 1;
      INFO("service " << config->services[e.key].name << " tenant " << config->tenants[t].name);
      CHECK(bit == (*policy)->Allowed(e.key, t));
      allowed += bit;
    }
  }
  CHECK(allowed == 9);  // the matrix in default.textproto, contractors inheriting web
}

TEST_CASE("peers map the peer address on its WAN interface to the default waypoint range") {
  auto config = Default();
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  const uint16_t wan = static_cast<uint16_t>(*config->FindRouter("branch")->InterfaceIndex("wan0"));
  REQUIRE(c->peers.size() == 2);  // the peer's IPv4 and IPv6 address
  for (const char* addr : {"192.0.2.2", "2001:db8:2::2"}) {
    INFO(addr);
    const auto* p = Find(c->peers, PeerKey(wan, Ip(addr)));
    REQUIRE(p != nullptr);
    CHECK(p->value.port_first == config::kDefaultWaypointPortFirst);
    CHECK(p->value.port_last == config::kDefaultWaypointPortLast);
  }
}

TEST_CASE("locals hold every interface address with its interface bit") {
  auto config = Default();
  auto c = ComputeGateContents(*config, "datacenter");
  REQUIRE(c.ok());
  REQUIRE(c->locals.size() == 4);  // dual stack
  for (const char* addr : {"10.20.0.1", "fd00:10:20::1"}) {
    INFO(addr);
    const auto* lan = Find(c->locals, LocalKey(Ip(addr)));
    REQUIRE(lan != nullptr);
    CHECK(lan->value.flags == SSR_GATE_LOCAL_INTERFACE);
    CHECK(lan->value.itf_mask == 1u);
  }
  for (const char* addr : {"192.0.2.2", "2001:db8:2::2"}) {
    INFO(addr);
    const auto* wan = Find(c->locals, LocalKey(Ip(addr)));
    REQUIRE(wan != nullptr);
    CHECK(wan->value.itf_mask == 2u);
  }
  REQUIRE(c->interfaces.size() == 2);
  CHECK(c->FindInterface("wan0")->value.role == SSR_GATE_ROLE_WAN);
  CHECK(c->FindInterface("lan0")->value.role == SSR_GATE_ROLE_LAN);
}

TEST_CASE("a WAN interface's vlan reaches its interface value, LAN values carry none") {
  auto config = Default();
  auto untagged = ComputeGateContents(*config, "branch");
  REQUIRE(untagged.ok());
  CHECK(untagged->FindInterface("wan0")->value.vlan == 0);

  std::string text(config::DefaultConfigText());
  text = InsertAfter(text, "role: WAN", "    vlan: 20");  // branch's wan0 (the first WAN)
  text = InsertAfter(text, "interfaces { name: \"lan0\" role: LAN addresses: \"10.10.0.1/16\"",
                     "  interfaces { name: \"lan1\" role: LAN addresses: \"10.11.0.1/16\" "
                     "vlans: 100 }");
  auto tagged = Load(text);
  const config::Router* branch = tagged->FindRouter("branch");
  REQUIRE(branch != nullptr);
  REQUIRE(branch->interfaces[*branch->InterfaceIndex("wan0")].vlan == 20);
  auto c = ComputeGateContents(*tagged, "branch");
  REQUIRE(c.ok());
  REQUIRE(c->FindInterface("wan0") != nullptr);
  CHECK(c->FindInterface("wan0")->value.role == SSR_GATE_ROLE_WAN);
  CHECK(c->FindInterface("wan0")->value.vlan == 20);
  CHECK(c->FindInterface("lan0")->value.vlan == 0);
  CHECK(c->FindInterface("lan1")->value.vlan == 0);  // LAN VLANs are tenant scope, not this
  // The datacenter's wan0 is untagged in this config.
  auto dc = ComputeGateContents(*tagged, "datacenter");
  REQUIRE(dc.ok());
  CHECK(dc->FindInterface("wan0")->value.vlan == 0);
}

TEST_CASE("management addresses are locals flagged as management") {
  std::string text(config::DefaultConfigText());
  text = InsertAfter(text, "name: \"branch\"", "  management_addresses: \"10.10.0.2\"");
  auto config = Load(text);
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  const auto* m = Find(c->locals, LocalKey(Ip("10.10.0.2")));
  REQUIRE(m != nullptr);
  CHECK(m->value.flags == SSR_GATE_LOCAL_MANAGEMENT);
  CHECK(m->value.itf_mask == 0);
}

TEST_CASE("a WAN address is a waypoint with its peers' waypoint range, a LAN address is not") {
  auto config = Default();
  auto c = ComputeGateContents(*config, "datacenter");
  REQUIRE(c.ok());
  const auto* lan = Find(c->locals, LocalKey(Ip("10.20.0.1")));
  const auto* wan = Find(c->locals, LocalKey(Ip("192.0.2.2")));
  REQUIRE(lan != nullptr);
  REQUIRE(wan != nullptr);
  CHECK(lan->value.flags == SSR_GATE_LOCAL_INTERFACE);
  CHECK(lan->value.waypoint_count == 0);
  CHECK(wan->value.flags == (SSR_GATE_LOCAL_INTERFACE | SSR_GATE_LOCAL_WAYPOINT));
  REQUIRE(wan->value.waypoint_count == 1);
  CHECK(wan->value.waypoint[0].port_first == config::kDefaultWaypointPortFirst);
  CHECK(wan->value.waypoint[0].port_last == config::kDefaultWaypointPortLast);
}

TEST_CASE("a configured waypoint range reaches the WAN address, management addresses get none") {
  std::string text(config::DefaultConfigText());
  text = InsertAfter(text, "name: \"branch\"", "  management_addresses: \"10.10.0.2\"");
  text = InsertAfter(text, "name: \"datacenter\"\n    addresses: \"192.0.2.2\"",
                     "    waypoint_ports { start: 20000 end: 29999 }");
  auto config = Load(text);
  auto c = ComputeGateContents(*config, "branch");
  REQUIRE(c.ok());
  const auto* wan = Find(c->locals, LocalKey(Ip("192.0.2.1")));
  REQUIRE(wan != nullptr);
  CHECK((wan->value.flags & SSR_GATE_LOCAL_WAYPOINT) != 0);
  REQUIRE(wan->value.waypoint_count == 1);
  CHECK(wan->value.waypoint[0].port_first == 20000);
  CHECK(wan->value.waypoint[0].port_last == 29999);
  const auto* m = Find(c->locals, LocalKey(Ip("10.10.0.2")));
  REQUIRE(m != nullptr);
  CHECK((m->value.flags & SSR_GATE_LOCAL_WAYPOINT) == 0);
  CHECK(m->value.waypoint_count == 0);
}

namespace {

std::string RangesText(const std::vector<ssr_port_range>& ranges) {
  std::string out;
  for (const ssr_port_range& r : ranges) {
    if (!out.empty()) out += ",";
    out += std::to_string(r.port_first) + "-" + std::to_string(r.port_last);
  }
  return out;
}

}  // namespace

TEST_CASE("waypoint ranges of one address are merged, sorted and joined across the least gap") {
  CHECK(RangesText(MergeWaypointRanges({})).empty());
  CHECK(RangesText(MergeWaypointRanges({{30000, 39999}, {20000, 29999}, {20000, 29999}})) ==
        "20000-39999");  // repeated and adjacent
  CHECK(RangesText(MergeWaypointRanges({{16384, 65534}, {20000, 21000}})) == "16384-65534");
  CHECK(RangesText(MergeWaypointRanges({{5000, 5100}, {2000, 2100}, {2050, 2200}})) ==
        "2000-2200,5000-5100");
  // Nine disjoint ranges about 900 ports apart, except a gap of 10 between 2000-2099 and
  // 2110-2200: those two are joined, the others stay exact.
  std::vector<ssr_port_range> nine;
  for (uint16_t i = 0; i < 9; ++i) {
    const uint16_t first = static_cast<uint16_t>(1000 * (i + 1));
    nine.push_back({first, static_cast<uint16_t>(first + 99)});
  }
  nine[2] = {2110, 2200};  // gap to 2000-2099 is 10
  const std::vector<ssr_port_range> merged = MergeWaypointRanges(nine);
  REQUIRE(merged.size() == SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES);
  CHECK(RangesText(merged) ==
        "1000-1099,2000-2200,4000-4099,5000-5099,6000-6099,7000-7099,8000-8099,9000-9099");
}

TEST_CASE("an unknown router is NotFound and named") {
  auto config = Default();
  auto c = ComputeGateContents(*config, "hq");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(c.status().message()), Catch::Contains("\"hq\""));
}

}  // namespace
}  // namespace ssr::gate
