// SPDX-License-Identifier: Apache-2.0
#include "policy/policy.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "packet/protocol.h"

namespace ssr::policy {

using config::Config;
using config::InterfaceRole;
using config::Member;

namespace {

uint32_t ScopeKey(size_t interface, uint16_t vlan) {
  return (static_cast<uint32_t>(interface) << 16) | vlan;
}

// Whether member `m` applies on LAN interface `itf` of router `router` for VLAN `vlan` (0 =
// untagged): an empty router / interface / VLAN in the member means every one.
bool MemberApplies(const Member& m, size_t router, const config::Interface& itf, uint16_t vlan) {
  if (m.router && *m.router != router) return false;
  if (!m.interface.empty() && m.interface != itf.name) return false;
  return m.vlan == 0 || m.vlan == vlan;
}

// The rules of service `s` (index `index`): one that takes everything when the service lists no
// transports, else one per port range (one per transport when it lists no ports, and for ICMP,
// which has none -- the config rejects ports on ICMP transports).
void CompileRules(const config::Service& s, size_t index, std::vector<ServiceRule>* rules) {
  if (s.transports.empty()) {
    rules->push_back(ServiceRule{std::nullopt, 0, 0xffff, index});
    return;
  }
  for (const config::Transport& t : s.transports) {
    if (t.ports.empty() || t.protocol == config::Protocol::kIcmp) {
      rules->push_back(ServiceRule{t.protocol, 0, 0xffff, index});
      continue;
    }
    for (const config::PortRange& r : t.ports) {
      rules->push_back(ServiceRule{t.protocol, r.first, r.last, index});
    }
  }
}

// The transport a packet's IP protocol falls under; ICMPv6 echo counts as ICMP.
std::optional<config::Protocol> TransportOf(uint8_t protocol) {
  switch (protocol) {
    case packet::kIpProtoTcp:
      return config::Protocol::kTcp;
    case packet::kIpProtoUdp:
      return config::Protocol::kUdp;
    case packet::kIpProtoIcmp:
    case packet::kIpProtoIcmpv6:
      return config::Protocol::kIcmp;
    default:
      return std::nullopt;
  }
}

}  // namespace

bool ServiceRule::Matches(uint8_t ip_protocol, uint16_t port) const {
  if (!protocol) return true;  // every protocol and port
  const std::optional<config::Protocol> p = TransportOf(ip_protocol);
  return p == protocol && port >= port_first && port <= port_last;
}

absl::StatusOr<std::unique_ptr<const RouterPolicy>> RouterPolicy::Build(
    std::shared_ptr<const Config> config, std::string_view router_name) {
  if (!config) return absl::InvalidArgumentError("policy: config is null");
  std::optional<size_t> router = config->RouterIndex(router_name);
  if (!router) {
    return absl::NotFoundError(absl::StrCat("policy: router \"",
                                            absl::string_view(router_name.data(),
                                                              router_name.size()),
                                            "\" is not defined in the config"));
  }
  auto policy = std::unique_ptr<RouterPolicy>(new RouterPolicy());
  policy->config_ = config;
  policy->router_index_ = *router;
  policy->router_ = &config->routers[*router];
  const config::Router& r = *policy->router_;

  // Membership: every (LAN interface, VLAN incl. 0 = untagged) scope gets the member prefixes
  // that apply there. The lookup tables are built from these entries and nothing else.
  for (size_t i = 0; i < r.interfaces.size(); ++i) {
    const config::Interface& itf = r.interfaces[i];
    if (itf.role != InterfaceRole::kLan) continue;
    std::vector<uint16_t> vlans = {0};
    vlans.insert(vlans.end(), itf.vlans.begin(), itf.vlans.end());
    for (uint16_t vlan : vlans) {
      for (size_t t = 0; t < config->tenants.size(); ++t) {
        for (const Member& m : config->tenants[t].members) {
          if (!MemberApplies(m, *router, itf, vlan)) continue;
          for (const util::IpPrefix& p : m.prefixes) {
            policy->member_entries_.push_back(MemberEntry{i, vlan, p, t});
          }
        }
      }
    }
  }
  for (const MemberEntry& e : policy->member_entries_) {
    if (!policy->tenant_tables_[ScopeKey(e.interface, e.vlan)].Insert(e.prefix, e.tenant)) {
      // Validation rejects equal prefixes of different tenants in meeting scopes, so a clash
      // here is a bug, not a user error.
      return absl::InternalError(absl::StrCat("policy: prefix ", e.prefix.ToString(),
                                              " claimed twice on interface ",
                                              r.interfaces[e.interface].name));
    }
  }

  // Services: the rules of every distinct prefix, then the LPM table over those prefixes.
  std::map<util::IpPrefix, std::vector<ServiceRule>> by_prefix;
  for (size_t s = 0; s < config->services.size(); ++s) {
    for (const util::IpPrefix& p : config->services[s].prefixes) {
      CompileRules(config->services[s], s, &by_prefix[p]);
    }
  }
  for (auto& [prefix, rules] : by_prefix) {
    policy->service_table_.Insert(prefix, policy->service_prefixes_.size());
    policy->service_prefixes_.push_back(ServicePrefix{prefix, std::move(rules)});
  }

  policy->tenant_count_ = config->tenants.size();
  policy->access_.assign(config->services.size() * policy->tenant_count_, false);
  for (size_t s = 0; s < config->services.size(); ++s) {
    for (size_t t = 0; t < policy->tenant_count_; ++t) {
      policy->access_[s * policy->tenant_count_ + t] =
          config->AccessFor(s, t) == config::Permission::kAllow;
    }
  }

  for (const config::Interface& itf : r.interfaces) {
    if (itf.role != InterfaceRole::kLan) continue;
    for (const config::InterfaceAddress& a : itf.addresses) {
      policy->lan_subnets_.push_back(a.subnet());
    }
  }

  policy->routes_.assign(config->services.size(), nullptr);
  for (const config::ServiceRoute& route : r.service_routes) policy->routes_[route.service] = &route;
  return std::unique_ptr<const RouterPolicy>(std::move(policy));
}

std::optional<size_t> RouterPolicy::ClassifyTenant(size_t interface, uint16_t vlan,
                                                   const util::IpAddress& source) const {
  auto it = tenant_tables_.find(ScopeKey(interface, vlan));
  if (it == tenant_tables_.end()) return std::nullopt;
  const size_t* tenant = it->second.Lookup(source);
  if (tenant == nullptr) return std::nullopt;
  return *tenant;
}

std::optional<size_t> RouterPolicy::MatchService(const util::IpAddress& destination,
                                                 uint8_t protocol, uint16_t port) const {
  std::optional<size_t> found;
  service_table_.ForEachMatch(destination, [&](int, size_t index) {
    for (const ServiceRule& rule : service_prefixes_[index].rules) {
      if (rule.Matches(protocol, port)) {
        found = rule.service;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::vector<ServiceRule> RouterPolicy::RulesTriedWithin(const util::IpPrefix& prefix) const {
  // The walk MatchService makes for an address of `prefix` that no longer service prefix holds:
  // every service prefix containing the address, longest first, stopping at none.
  std::vector<ServiceRule> out;
  service_table_.ForEachMatch(prefix.address(), [&](int length, size_t index) {
    if (length <= prefix.length()) {
      const std::vector<ServiceRule>& rules = service_prefixes_[index].rules;
      out.insert(out.end(), rules.begin(), rules.end());
    }
    return false;
  });
  return out;
}

bool RouterPolicy::IsLanInterface(size_t interface) const {
  return interface < router_->interfaces.size() &&
         router_->interfaces[interface].role == InterfaceRole::kLan;
}

bool RouterPolicy::OnLanSubnet(const util::IpAddress& address) const {
  for (const util::IpPrefix& p : lan_subnets_) {
    if (p.Contains(address)) return true;
  }
  return false;
}

Decision RouterPolicy::Decide(const FlowKey& key) const {
  Decision d;
  if (!IsLanInterface(key.interface)) {
    d.verdict = Verdict::kUnknownInterface;
    return d;
  }
  d.tenant = ClassifyTenant(key.interface, key.vlan, key.source);
  if (!d.tenant) {
    d.verdict = Verdict::kNonMember;
    return d;
  }
  d.service = MatchService(key.destination, key.protocol, key.destination_port);
  if (!d.service) {
    d.verdict = Verdict::kNoService;
    return d;
  }
  if (!Allowed(*d.service, *d.tenant)) {
    d.verdict = Verdict::kDenied;
    return d;
  }
  d.verdict = Verdict::kAllow;
  d.route = routes_[*d.service];
  return d;
}

}  // namespace ssr::policy
