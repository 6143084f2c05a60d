// SPDX-License-Identifier: Apache-2.0
#include "policy/policy.h"

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

bool MemberApplies(const Member& m, size_t router, const config::Interface& itf, uint16_t vlan) {
  if (m.router && *m.router != router) return false;
  if (!m.interface.empty() && m.interface != itf.name) return false;
  return m.vlan == 0 || m.vlan == vlan;
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

bool TransportsMatch(const config::Service& s, uint8_t protocol, uint16_t port) {
  if (s.transports.empty()) return true;  // every protocol and port
  const std::optional<config::Protocol> p = TransportOf(protocol);
  if (!p) return false;
  for (const config::Transport& t : s.transports) {
    if (t.protocol != *p) continue;
    if (t.ports.empty()) return true;
    for (const config::PortRange& r : t.ports) {
      if (r.Contains(port)) return true;
    }
  }
  return false;
}

}  // namespace

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

  for (size_t i = 0; i < r.interfaces.size(); ++i) {
    const config::Interface& itf = r.interfaces[i];
    if (itf.role != InterfaceRole::kLan) continue;
    std::vector<uint16_t> vlans = {0};
    vlans.insert(vlans.end(), itf.vlans.begin(), itf.vlans.end());
    for (uint16_t vlan : vlans) {
      PrefixTable<size_t>& table = policy->tenant_tables_[ScopeKey(i, vlan)];
      for (size_t t = 0; t < config->tenants.size(); ++t) {
        for (const Member& m : config->tenants[t].members) {
          if (!MemberApplies(m, *router, itf, vlan)) continue;
          for (const util::IpPrefix& p : m.prefixes) {
            if (!table.Insert(p, t)) {
              // Validation rejects equal prefixes of different tenants in meeting scopes, so a
              // clash here is a bug, not a user error.
              return absl::InternalError(absl::StrCat("policy: prefix ", p.ToString(),
                                                      " claimed twice on interface ", itf.name));
            }
          }
        }
      }
    }
  }

  for (size_t s = 0; s < config->services.size(); ++s) {
    for (const util::IpPrefix& p : config->services[s].prefixes) {
      if (std::vector<size_t>* existing = policy->service_table_.FindExact(p)) {
        existing->push_back(s);
      } else {
        policy->service_table_.Insert(p, std::vector<size_t>{s});
      }
    }
  }

  policy->tenant_count_ = config->tenants.size();
  policy->access_.assign(config->services.size() * policy->tenant_count_, false);
  for (size_t s = 0; s < config->services.size(); ++s) {
    for (size_t t = 0; t < policy->tenant_count_; ++t) {
      policy->access_[s * policy->tenant_count_ + t] =
          config->AccessFor(s, t) == config::Permission::kAllow;
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
  service_table_.ForEachMatch(destination, [&](int, const std::vector<size_t>& candidates) {
    for (size_t s : candidates) {
      if (TransportsMatch(config_->services[s], protocol, port)) {
        found = s;
        return true;
      }
    }
    return false;
  });
  return found;
}

Decision RouterPolicy::Decide(const FlowKey& key) const {
  Decision d;
  if (key.interface >= router_->interfaces.size() ||
      router_->interfaces[key.interface].role != InterfaceRole::kLan) {
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
