// SPDX-License-Identifier: Apache-2.0
// The gate as a lowering of policy::RouterPolicy, without BPF: over a table of configs, the
// tenant and service map contents equal an expected set, and read the way the kernel reads the
// maps (longest prefix in a scope; first matching rule) they classify and match exactly as
// RouterPolicy::ClassifyTenant / MatchService do. A change to membership, VLAN or transport
// rules made in the policy shows up in the gate contents by construction; these tables pin what
// that lowering is, and the agreement check catches a lowering that drops or reorders anything.
// (gate_bpf_test runs the real program against RouterPolicy::Decide.)
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "config/loader.h"
#include "gate/gate_contents.h"
#include "packet/protocol.h"
#include "policy/policy.h"

namespace ssr::gate {
namespace {

// The default config with a second LAN interface on the branch carrying VLANs 100 and 200.
std::string BaseText() {
  std::string text(config::DefaultConfigText());
  const std::string anchor = "interfaces { name: \"lan0\" role: LAN addresses: \"10.10.0.1/16\"";
  const size_t at = text.find(anchor);
  REQUIRE(at != std::string::npos);
  text.insert(text.find('\n', at) + 1,
              "  interfaces { name: \"lan1\" role: LAN addresses: \"10.11.0.1/16\" vlans: 100 "
              "vlans: 200 }\n");
  return text;
}

// BaseText() with `member` added to tenant `tenant` and `services` appended.
std::shared_ptr<const config::Config> Config(const std::string& tenant, const std::string& member,
                                             const std::string& services) {
  std::string text = BaseText();
  if (!member.empty()) {
    const size_t at = text.find("name: \"" + tenant + "\"");
    REQUIRE(at != std::string::npos);
    text.insert(text.find('\n', at) + 1, "  members { " + member + " }\n");
  }
  text += services;
  auto config = config::LoadConfigString(text, config::ConfigFormat::kText);
  if (!config.ok()) FAIL(config.status().ToString());
  return *config;
}

util::IpPrefix PrefixOf(uint8_t family, const uint8_t (&addr)[16], uint32_t length) {
  const util::IpAddress a = family == SSR_GATE_FAMILY_IPV4
                                ? util::IpAddress::V4Bytes(std::span<const uint8_t, 4>(addr, 4))
                                : util::IpAddress::V6Bytes(std::span<const uint8_t, 16>(addr, 16));
  return util::IpPrefix(a, static_cast<int>(length));
}

// "lan1/100 10.11.9.0/24 guest" for every tenant map entry.
std::set<std::string> TenantEntries(const config::Config& config, const GateContents& c) {
  std::set<std::string> out;
  for (const auto& e : c.tenants) {
    const util::IpPrefix p =
        PrefixOf(e.key.family, e.key.addr, e.key.prefixlen - SSR_GATE_TENANT_SCOPE_BITS);
    out.insert(absl::StrCat(c.interfaces.at(e.key.itf).name, "/", e.key.vlan, " ", p.ToString(),
                            " ", config.tenants.at(e.value.tenant).name));
  }
  return out;
}

std::string ProtoName(uint8_t proto) {
  switch (proto) {
    case SSR_GATE_PROTO_ANY:
      return "any";
    case SSR_GATE_PROTO_ICMP:
      return "icmp";
    case SSR_GATE_PROTO_TCP:
      return "tcp";
    case SSR_GATE_PROTO_UDP:
      return "udp";
  }
  return absl::StrCat("proto", proto);
}

// prefix -> {"udp 5060-5060 voice", ...} for every service map entry, rules in map order.
std::map<std::string, std::vector<std::string>> ServiceEntries(const config::Config& config,
                                                               const GateContents& c) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& e : c.services) {
    const util::IpPrefix p =
        PrefixOf(e.key.family, e.key.addr, e.key.prefixlen - SSR_GATE_SERVICE_SCOPE_BITS);
    std::vector<std::string>& rules = out[p.ToString()];
    for (uint32_t i = 0; i < e.value.count; ++i) {
      const ssr_service_rule& r = e.value.rules[i];
      rules.push_back(absl::StrCat(ProtoName(r.proto), " ", r.port_first, "-", r.port_last, " ",
                                   config.services.at(r.service).name));
    }
  }
  return out;
}

const std::set<std::string> kDefaultBranchTenants = {
    "lan0/0 10.10.1.0/24 engineering", "lan0/0 10.10.1.128/25 contractors.engineering",
    "lan0/0 10.10.2.0/24 sales", "lan0/0 10.10.9.0/24 guest",
    // dual stack: every tenant has an IPv6 prefix too
    "lan0/0 fd00:10:10:1::/64 engineering", "lan0/0 fd00:10:10:1::200/120 contractors.engineering",
    "lan0/0 fd00:10:10:2::/64 sales", "lan0/0 fd00:10:10:9::/64 guest"};

struct TenantRow {
  const char* description;
  const char* router;
  const char* tenant;           // where `member` is added
  const char* member;           // members { ... } body; empty: none
  std::set<std::string> added;  // expected entries besides the default config's
};

std::vector<TenantRow> TenantRows() {
  return {
      {"members of the default config name lan0: untagged lan0 only", "branch", "guest", "", {}},
      {"no interface, no VLAN: every LAN interface, untagged and each of its VLANs",
       "branch",
       "guest",
       "router: \"branch\" prefixes: \"10.11.9.0/24\"",
       {"lan0/0 10.11.9.0/24 guest", "lan1/0 10.11.9.0/24 guest", "lan1/100 10.11.9.0/24 guest",
        "lan1/200 10.11.9.0/24 guest"}},
      {"an interface, no VLAN: that interface, untagged and each of its VLANs",
       "branch",
       "sales",
       "router: \"branch\" interface: \"lan1\" prefixes: \"10.11.2.0/24\"",
       {"lan1/0 10.11.2.0/24 sales", "lan1/100 10.11.2.0/24 sales", "lan1/200 10.11.2.0/24 sales"}},
      {"a VLAN, no interface: that VLAN on every interface carrying it, never untagged",
       "branch",
       "engineering",
       "router: \"branch\" vlan: 100 prefixes: \"10.11.1.0/24\"",
       {"lan1/100 10.11.1.0/24 engineering"}},
      {"an interface and a VLAN: that one scope",
       "branch",
       "engineering",
       "router: \"branch\" interface: \"lan1\" vlan: 200 prefixes: \"10.11.3.0/24\"",
       {"lan1/200 10.11.3.0/24 engineering"}},
      {"another router's member: nothing on this router",
       "branch",
       "guest",
       "router: \"datacenter\" prefixes: \"10.21.9.0/24\"",
       {}},
      {"no router: every router, here every scope of the branch (IPv6)",
       "branch",
       "guest",
       "prefixes: \"fd00:9::/64\"",
       {"lan0/0 fd00:9::/64 guest", "lan1/0 fd00:9::/64 guest", "lan1/100 fd00:9::/64 guest",
        "lan1/200 fd00:9::/64 guest"}},
      {"no router: on the datacenter too, its only tenant entry",
       "datacenter",
       "guest",
       "prefixes: \"fd00:9::/64\"",
       {"lan0/0 fd00:9::/64 guest"}},
      {"several prefixes of one member: one entry each, in every scope of the member",
       "branch",
       "sales",
       "router: \"branch\" interface: \"lan1\" vlan: 100 prefixes: \"10.11.4.0/24\" prefixes: "
       "\"10.11.5.0/25\"",
       {"lan1/100 10.11.4.0/24 sales", "lan1/100 10.11.5.0/25 sales"}},
  };
}

struct ServiceRow {
  const char* description;
  const char* services;  // appended service definitions
  // Expected rules of these prefixes (other prefixes not checked), and the prefix count (the
  // default config's 5 services have an IPv4 and an IPv6 prefix each: 10 of its own).
  std::map<std::string, std::vector<std::string>> rules;
  size_t prefixes;
};

std::vector<ServiceRow> ServiceRows() {
  return {
      {"one rule per port range, ICMP and port-less transports take every port",
       "",
       {{"10.20.2.0/24", {"udp 5060-5060 voice", "udp 10000-20000 voice"}},
        {"10.20.3.10/32", {"tcp 80-80 web", "tcp 443-443 web", "udp 7-7 web", "icmp 0-65535 web"}},
        {"fd00:10:20:3::10/128",
         {"tcp 80-80 web", "tcp 443-443 web", "udp 7-7 web", "icmp 0-65535 web"}}},
       10},
      {"a service without transports is one rule for every protocol",
       "services { name: \"wide\" prefixes: \"10.30.0.0/16\" }\n",
       {{"10.30.0.0/16", {"any 0-65535 wide"}}},
       11},
      {"a prefix inside others carries their rules after its own, longest first",
       "services { name: \"wide\" prefixes: \"10.20.0.0/16\" }\n"
       "services { name: \"dns\" prefixes: \"10.20.2.53/32\" transports { protocol: UDP ports { "
       "start: 53 } } transports { protocol: TCP } }\n",
       {{"10.20.2.53/32",
         {"udp 53-53 dns", "tcp 0-65535 dns", "udp 5060-5060 voice", "udp 10000-20000 voice",
          "any 0-65535 wide"}},
        {"10.20.2.0/24", {"udp 5060-5060 voice", "udp 10000-20000 voice", "any 0-65535 wide"}},
        {"10.20.1.10/32", {"tcp 443-443 crm", "any 0-65535 wide"}},
        {"10.20.0.0/16", {"any 0-65535 wide"}}},
       12},
      {"services sharing a prefix: their rules in config order",
       "services { name: \"sip-tcp\" prefixes: \"10.20.2.0/24\" transports { protocol: TCP "
       "ports { start: 5060 end: 5061 } } }\n",
       {{"10.20.2.0/24",
         {"udp 5060-5060 voice", "udp 10000-20000 voice", "tcp 5060-5061 sip-tcp"}}},
       10},
  };
}

TEST_CASE("gate tenant entries are the policy's member scopes, over a table of configs") {
  for (const TenantRow& row : TenantRows()) {
    INFO(row.description);
    auto config = Config(row.tenant, row.member, "");
    auto c = ComputeGateContents(*config, row.router);
    REQUIRE(c.ok());
    std::set<std::string> want = row.added;
    if (std::string(row.router) == "branch") {
      want.insert(kDefaultBranchTenants.begin(), kDefaultBranchTenants.end());
    }
    CHECK(TenantEntries(*config, *c) == want);
  }
}

TEST_CASE("gate service entries are the policy's rule walks, over a table of configs") {
  for (const ServiceRow& row : ServiceRows()) {
    INFO(row.description);
    auto config = Config("", "", row.services);
    for (const char* router : {"branch", "datacenter"}) {
      INFO(router);
      auto c = ComputeGateContents(*config, router);
      REQUIRE(c.ok());
      const auto got = ServiceEntries(*config, *c);
      CHECK(got.size() == row.prefixes);
      for (const auto& [prefix, rules] : row.rules) {
        INFO(prefix);
        REQUIRE(got.count(prefix) == 1);
        CHECK(got.at(prefix) == rules);
      }
    }
  }
}

// ---- The maps read as the kernel reads them (the program's use of them: gate_bpf_test).

// Tenant of `source` in scope (itf, vlan): the longest entry of that scope containing it.
std::optional<size_t> GateTenant(const GateContents& c, size_t itf, uint16_t vlan,
                                 const util::IpAddress& source) {
  std::optional<size_t> found;
  uint32_t best = 0;
  for (const auto& e : c.tenants) {
    if (e.key.itf != itf || e.key.vlan != vlan) continue;
    if (e.key.family != static_cast<uint8_t>(source.family())) continue;
    const util::IpPrefix p =
        PrefixOf(e.key.family, e.key.addr, e.key.prefixlen - SSR_GATE_TENANT_SCOPE_BITS);
    if (p.Contains(source) && (!found || e.key.prefixlen > best)) {
      found = e.value.tenant;
      best = e.key.prefixlen;
    }
  }
  return found;
}

// Service of (destination, protocol, port): the first matching rule of the longest entry.
std::optional<size_t> GateService(const GateContents& c, const util::IpAddress& destination,
                                  uint8_t protocol, uint16_t port) {
  const ssr_service_value* longest = nullptr;
  uint32_t best = 0;
  for (const auto& e : c.services) {
    if (e.key.family != static_cast<uint8_t>(destination.family())) continue;
    const util::IpPrefix p =
        PrefixOf(e.key.family, e.key.addr, e.key.prefixlen - SSR_GATE_SERVICE_SCOPE_BITS);
    if (p.Contains(destination) && (longest == nullptr || e.key.prefixlen > best)) {
      longest = &e.value;
      best = e.key.prefixlen;
    }
  }
  if (longest == nullptr) return std::nullopt;
  for (uint32_t i = 0; i < longest->count; ++i) {
    const ssr_service_rule& r = longest->rules[i];
    const bool match = r.proto == SSR_GATE_PROTO_ANY ||
                       (r.proto == SSR_GATE_PROTO_ICMP &&
                        (protocol == packet::kIpProtoIcmp || protocol == packet::kIpProtoIcmpv6)) ||
                       (r.proto == protocol && port >= r.port_first && port <= r.port_last);
    if (match) return r.service;
  }
  return std::nullopt;
}

util::IpAddress LastAddress(const util::IpPrefix& p) {
  std::array<uint8_t, 16> bytes{};
  const auto b = p.address().bytes();
  std::memcpy(bytes.data(), b.data(), b.size());
  for (int bit = p.length(); bit < p.address().bit_width(); ++bit) {
    bytes[static_cast<size_t>(bit / 8)] |= static_cast<uint8_t>(0x80u >> (bit % 8));
  }
  return p.address().is_v4()
             ? util::IpAddress::V4Bytes(std::span<const uint8_t, 4>(bytes.data(), 4))
             : util::IpAddress::V6Bytes(std::span<const uint8_t, 16>(bytes.data(), 16));
}

TEST_CASE("the lowered maps classify and match as RouterPolicy does, for every table config") {
  std::vector<std::shared_ptr<const config::Config>> configs;
  for (const TenantRow& row : TenantRows()) configs.push_back(Config(row.tenant, row.member, ""));
  for (const ServiceRow& row : ServiceRows()) configs.push_back(Config("", "", row.services));

  size_t members = 0, services = 0;
  for (const auto& config : configs) {
    // Probe addresses: both ends of every member and service prefix, and some outside.
    std::vector<util::IpAddress> addresses = {*util::IpAddress::Parse("172.16.0.1"),
                                              *util::IpAddress::Parse("fd00:ff::1")};
    std::set<uint16_t> port_set = {0, 1, 22, 53, 54, 80, 443, 65535};
    for (const config::Tenant& t : config->tenants) {
      for (const config::Member& m : t.members) {
        for (const util::IpPrefix& p : m.prefixes) {
          addresses.push_back(p.address());
          addresses.push_back(LastAddress(p));
        }
      }
    }
    for (const config::Service& s : config->services) {
      for (const util::IpPrefix& p : s.prefixes) {
        addresses.push_back(p.address());
        addresses.push_back(LastAddress(p));
      }
      for (const config::Transport& t : s.transports) {
        for (const config::PortRange& r : t.ports) {
          for (int port : {r.first - 1, int{r.first}, int{r.last}, r.last + 1}) {
            if (port >= 0 && port <= 65535) port_set.insert(static_cast<uint16_t>(port));
          }
        }
      }
    }
    const uint8_t protocols[] = {packet::kIpProtoTcp, packet::kIpProtoUdp, packet::kIpProtoIcmp,
                                 packet::kIpProtoIcmpv6, 47 /* GRE */};

    for (const config::Router& router : config->routers) {
      INFO("router " << router.name);
      auto policy = policy::RouterPolicy::Build(config, router.name);
      REQUIRE(policy.ok());
      auto c = ComputeGateContents(**policy);
      REQUIRE(c.ok());
      for (size_t itf = 0; itf < router.interfaces.size(); ++itf) {
        std::vector<uint16_t> vlans = {0, 999};
        vlans.insert(vlans.end(), router.interfaces[itf].vlans.begin(),
                     router.interfaces[itf].vlans.end());
        for (uint16_t vlan : vlans) {
          for (const util::IpAddress& a : addresses) {
            INFO("interface " << router.interfaces[itf].name << " vlan " << vlan << " source "
                              << a.ToString());
            const std::optional<size_t> want = (*policy)->ClassifyTenant(itf, vlan, a);
            CHECK(GateTenant(*c, itf, vlan, a) == want);
            members += want.has_value();
          }
        }
      }
      for (const util::IpAddress& a : addresses) {
        for (uint8_t protocol : protocols) {
          for (uint16_t port : port_set) {
            INFO("destination " << a.ToString() << " protocol " << int{protocol} << " port "
                                << port);
            const std::optional<size_t> want = (*policy)->MatchService(a, protocol, port);
            CHECK(GateService(*c, a, protocol, port) == want);
            services += want.has_value();
          }
        }
      }
    }
  }
  // The probes reach members and services, not only misses.
  CHECK(members > 100);
  CHECK(services > 100);
}

}  // namespace
}  // namespace ssr::gate
