// SPDX-License-Identifier: Apache-2.0
#include "gate/gate_contents.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"

namespace ssr::gate {
namespace {

using config::Config;
using config::InterfaceRole;

uint8_t FamilyOf(const util::IpAddress& a) {
  return a.is_v4() ? SSR_GATE_FAMILY_IPV4 : SSR_GATE_FAMILY_IPV6;
}

void CopyAddress(const util::IpAddress& a, uint8_t (&out)[16]) {
  std::memset(out, 0, sizeof(out));
  const std::span<const uint8_t> bytes = a.bytes();
  std::memcpy(out, bytes.data(), bytes.size());
}

std::string Name(std::string_view s) { return std::string(s); }

// Same rule as policy::RouterPolicy::Build (MemberApplies).
bool MemberApplies(const config::Member& m, size_t router, const config::Interface& itf,
                   uint16_t vlan) {
  if (m.router && *m.router != router) return false;
  if (!m.interface.empty() && m.interface != itf.name) return false;
  return m.vlan == 0 || m.vlan == vlan;
}

void AppendRules(const config::Service& s, uint16_t index, std::vector<ssr_service_rule>* rules) {
  auto add = [&](uint8_t proto, uint16_t first, uint16_t last) {
    ssr_service_rule r{};
    r.port_first = first;
    r.port_last = last;
    r.proto = proto;
    r.service = index;
    rules->push_back(r);
  };
  if (s.transports.empty()) {
    add(SSR_GATE_PROTO_ANY, 0, 0xffff);
    return;
  }
  for (const config::Transport& t : s.transports) {
    const uint8_t proto = t.protocol == config::Protocol::kIcmp  ? SSR_GATE_PROTO_ICMP
                          : t.protocol == config::Protocol::kTcp ? SSR_GATE_PROTO_TCP
                                                                 : SSR_GATE_PROTO_UDP;
    if (t.ports.empty() || proto == SSR_GATE_PROTO_ICMP) {
      add(proto, 0, 0xffff);
      continue;
    }
    for (const config::PortRange& r : t.ports) add(proto, r.first, r.last);
  }
}

}  // namespace

ssr_tenant_key TenantKey(uint16_t itf, uint16_t vlan, const util::IpPrefix& prefix) {
  ssr_tenant_key k{};
  k.prefixlen = SSR_GATE_TENANT_SCOPE_BITS + static_cast<uint32_t>(prefix.length());
  k.family = FamilyOf(prefix.address());
  k.itf = itf;
  k.vlan = vlan;
  CopyAddress(prefix.address(), k.addr);
  return k;
}

ssr_service_key ServiceKey(const util::IpPrefix& prefix) {
  ssr_service_key k{};
  k.prefixlen = SSR_GATE_SERVICE_SCOPE_BITS + static_cast<uint32_t>(prefix.length());
  k.family = FamilyOf(prefix.address());
  CopyAddress(prefix.address(), k.addr);
  return k;
}

ssr_peer_key PeerKey(uint16_t itf, const util::IpAddress& address) {
  ssr_peer_key k{};
  k.family = FamilyOf(address);
  k.itf = itf;
  CopyAddress(address, k.addr);
  return k;
}

ssr_local_key LocalKey(const util::IpAddress& address) {
  ssr_local_key k{};
  k.family = FamilyOf(address);
  CopyAddress(address, k.addr);
  return k;
}

const GateInterface* GateContents::FindInterface(std::string_view name) const {
  for (const GateInterface& i : interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

absl::StatusOr<GateContents> ComputeGateContents(const Config& config,
                                                 std::string_view router_name) {
  const std::optional<size_t> router_index = config.RouterIndex(router_name);
  if (!router_index) {
    return absl::NotFoundError(
        absl::StrCat("gate: router \"", Name(router_name), "\" is not defined in the config"));
  }
  const config::Router& router = config.routers[*router_index];
  if (router.interfaces.size() > SSR_GATE_MAX_INTERFACES) {
    return absl::ResourceExhaustedError(
        absl::StrCat("gate: router \"", router.name, "\" has ", router.interfaces.size(),
                     " interfaces; the gate supports ", SSR_GATE_MAX_INTERFACES));
  }
  if (config.tenants.size() > SSR_GATE_MAX_TENANTS) {
    return absl::ResourceExhaustedError(absl::StrCat("gate: ", config.tenants.size(),
                                                     " tenants; the gate supports ",
                                                     SSR_GATE_MAX_TENANTS));
  }
  if (config.services.size() > SSR_GATE_MAX_SERVICES) {
    return absl::ResourceExhaustedError(absl::StrCat("gate: ", config.services.size(),
                                                     " services; the gate supports ",
                                                     SSR_GATE_MAX_SERVICES));
  }

  GateContents out;

  // Interfaces, and the addresses the router owns.
  std::map<util::IpAddress, ssr_local_value> locals;
  for (size_t i = 0; i < router.interfaces.size(); ++i) {
    const config::Interface& itf = router.interfaces[i];
    GateInterface gi;
    gi.name = itf.name;
    gi.value = ssr_iface_value{};
    gi.value.role = itf.role == InterfaceRole::kLan ? SSR_GATE_ROLE_LAN : SSR_GATE_ROLE_WAN;
    gi.value.itf = static_cast<uint16_t>(i);
    out.interfaces.push_back(gi);
    for (const config::InterfaceAddress& a : itf.addresses) {
      ssr_local_value& v = locals[a.address];
      v.flags |= SSR_GATE_LOCAL_INTERFACE;
      v.itf_mask |= uint64_t{1} << i;
    }
  }
  for (const util::IpAddress& a : router.management_addresses) {
    locals[a].flags |= SSR_GATE_LOCAL_MANAGEMENT;
  }
  if (locals.size() > SSR_GATE_MAX_LOCAL_ADDRESSES) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "gate: router \"", router.name, "\" has ", locals.size(),
        " own and management addresses; the gate supports ", SSR_GATE_MAX_LOCAL_ADDRESSES));
  }
  for (const auto& [address, value] : locals) {
    out.locals.push_back({LocalKey(address), value});
  }

  // Tenant classification: every (LAN interface, VLAN) scope, as RouterPolicy::Build.
  for (size_t i = 0; i < router.interfaces.size(); ++i) {
    const config::Interface& itf = router.interfaces[i];
    if (itf.role != InterfaceRole::kLan) continue;
    std::vector<uint16_t> vlans = {0};
    vlans.insert(vlans.end(), itf.vlans.begin(), itf.vlans.end());
    for (uint16_t vlan : vlans) {
      for (size_t t = 0; t < config.tenants.size(); ++t) {
        for (const config::Member& m : config.tenants[t].members) {
          if (!MemberApplies(m, *router_index, itf, vlan)) continue;
          for (const util::IpPrefix& p : m.prefixes) {
            ssr_tenant_value v{};
            v.tenant = static_cast<uint32_t>(t);
            out.tenants.push_back({TenantKey(static_cast<uint16_t>(i), vlan, p), v});
          }
        }
      }
    }
  }
  if (out.tenants.size() > SSR_GATE_MAX_TENANT_PREFIXES) {
    return absl::ResourceExhaustedError(
        absl::StrCat("gate: router \"", router.name, "\" needs ", out.tenants.size(),
                     " tenant prefix entries (member prefixes x LAN interfaces x VLANs); the "
                     "gate supports ",
                     SSR_GATE_MAX_TENANT_PREFIXES));
  }

  // Services: distinct prefixes with their candidates in config order, then flattened.
  std::map<util::IpPrefix, std::vector<uint16_t>> by_prefix;
  for (size_t s = 0; s < config.services.size(); ++s) {
    for (const util::IpPrefix& p : config.services[s].prefixes) {
      by_prefix[p].push_back(static_cast<uint16_t>(s));
    }
  }
  if (by_prefix.size() > SSR_GATE_MAX_SERVICE_PREFIXES) {
    return absl::ResourceExhaustedError(absl::StrCat("gate: ", by_prefix.size(),
                                                     " distinct service prefixes; the gate "
                                                     "supports ",
                                                     SSR_GATE_MAX_SERVICE_PREFIXES));
  }
  for (const auto& [prefix, unused] : by_prefix) {
    // Every service prefix containing `prefix` (itself included), longest first.
    std::vector<const std::pair<const util::IpPrefix, std::vector<uint16_t>>*> containing;
    for (const auto& entry : by_prefix) {
      const util::IpPrefix& q = entry.first;
      if (q.family() == prefix.family() && q.length() <= prefix.length() &&
          q.Contains(prefix.address())) {
        containing.push_back(&entry);
      }
    }
    std::stable_sort(containing.begin(), containing.end(), [](const auto* a, const auto* b) {
      return a->first.length() > b->first.length();
    });
    std::vector<ssr_service_rule> rules;
    for (const auto* entry : containing) {
      for (uint16_t s : entry->second) AppendRules(config.services[s], s, &rules);
    }
    if (rules.size() > SSR_GATE_MAX_SERVICE_RULES) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "gate: service prefix ", prefix.ToString(), " needs ", rules.size(),
          " transport rules (its services' port ranges plus those of every service prefix "
          "containing it); the gate supports ",
          SSR_GATE_MAX_SERVICE_RULES));
    }
    ssr_service_value v{};
    v.count = static_cast<uint32_t>(rules.size());
    std::copy(rules.begin(), rules.end(), v.rules);
    out.services.push_back({ServiceKey(prefix), v});
  }

  // Access bitmaps, hierarchy resolved by Config::AccessFor.
  for (size_t s = 0; s < config.services.size(); ++s) {
    ssr_access_value v{};
    for (size_t t = 0; t < config.tenants.size(); ++t) {
      if (config.AccessFor(s, t) == config::Permission::kAllow) {
        v.tenants[t / 64] |= uint64_t{1} << (t % 64);
      }
    }
    out.access.push_back({static_cast<uint32_t>(s), v});
  }

  // Peers: (WAN interface, address) -> waypoint ports.
  std::map<std::pair<size_t, util::IpAddress>, size_t> peer_seen;  // -> index in router.peers
  for (size_t p = 0; p < router.peers.size(); ++p) {
    const config::Peer& peer = router.peers[p];
    for (const util::IpAddress& a : peer.addresses) {
      auto [it, inserted] = peer_seen.try_emplace({peer.interface, a}, p);
      if (!inserted) {
        const config::Peer& other = router.peers[it->second];
        if (other.waypoint_ports == peer.waypoint_ports) continue;
        return absl::InvalidArgumentError(absl::StrCat(
            "gate: router \"", router.name, "\": peers \"", other.name, "\" and \"", peer.name,
            "\" share address ", a.ToString(), " on interface \"",
            router.interfaces[peer.interface].name, "\" with different waypoint port ranges"));
      }
      ssr_peer_value v{};
      v.port_first = peer.waypoint_ports.first;
      v.port_last = peer.waypoint_ports.last;
      out.peers.push_back({PeerKey(static_cast<uint16_t>(peer.interface), a), v});
    }
  }
  if (out.peers.size() > SSR_GATE_MAX_PEER_ADDRESSES) {
    return absl::ResourceExhaustedError(absl::StrCat("gate: router \"", router.name, "\" has ",
                                                     out.peers.size(),
                                                     " peer addresses; the gate supports ",
                                                     SSR_GATE_MAX_PEER_ADDRESSES));
  }
  return out;
}

}  // namespace ssr::gate
