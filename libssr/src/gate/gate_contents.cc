// SPDX-License-Identifier: Apache-2.0
#include "gate/gate_contents.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace ssr::gate {
namespace {

using config::Config;

uint8_t FamilyOf(const util::IpAddress& a) {
  return a.is_v4() ? SSR_GATE_FAMILY_IPV4 : SSR_GATE_FAMILY_IPV6;
}

void CopyAddress(const util::IpAddress& a, uint8_t (&out)[16]) {
  std::memset(out, 0, sizeof(out));
  const std::span<const uint8_t> bytes = a.bytes();
  std::memcpy(out, bytes.data(), bytes.size());
}

std::string Name(std::string_view s) { return std::string(s); }

// A policy rule in the service map's layout (the service index fits: checked against
// SSR_GATE_MAX_SERVICES before).
ssr_service_rule GateRule(const policy::ServiceRule& rule) {
  ssr_service_rule r{};
  r.port_first = rule.port_first;
  r.port_last = rule.port_last;
  r.service = static_cast<uint16_t>(rule.service);
  if (!rule.protocol) {
    r.proto = SSR_GATE_PROTO_ANY;
    return r;
  }
  switch (*rule.protocol) {
    case config::Protocol::kIcmp:
      r.proto = SSR_GATE_PROTO_ICMP;
      break;
    case config::Protocol::kTcp:
      r.proto = SSR_GATE_PROTO_TCP;
      break;
    case config::Protocol::kUdp:
      r.proto = SSR_GATE_PROTO_UDP;
      break;
  }
  return r;
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

std::vector<ssr_port_range> MergeWaypointRanges(std::vector<ssr_port_range> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const ssr_port_range& a, const ssr_port_range& b) {
    return a.port_first < b.port_first ||
           (a.port_first == b.port_first && a.port_last < b.port_last);
  });
  std::vector<ssr_port_range> out;
  for (const ssr_port_range& r : ranges) {
    // Overlapping or adjacent (last + 1 == first) to the previous one: extend it.
    if (!out.empty() && uint32_t{r.port_first} <= uint32_t{out.back().port_last} + 1) {
      out.back().port_last = std::max(out.back().port_last, r.port_last);
    } else {
      out.push_back(r);
    }
  }
  while (out.size() > SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES) {
    size_t join = 0;  // out[join] and out[join + 1] have the smallest gap
    for (size_t i = 1; i + 1 < out.size(); ++i) {
      if (out[i + 1].port_first - out[i].port_last <
          out[join + 1].port_first - out[join].port_last) {
        join = i;
      }
    }
    out[join].port_last = out[join + 1].port_last;
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(join) + 1);
  }
  return out;
}

const GateInterface* GateContents::FindInterface(std::string_view name) const {
  for (const GateInterface& i : interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

absl::StatusOr<GateContents> ComputeGateContents(const policy::RouterPolicy& policy) {
  const config::Router& router = policy.router();
  if (router.interfaces.size() > SSR_GATE_MAX_INTERFACES) {
    return absl::ResourceExhaustedError(
        absl::StrCat("gate: router \"", router.name, "\" has ", router.interfaces.size(),
                     " interfaces; the gate supports ", SSR_GATE_MAX_INTERFACES));
  }
  if (policy.tenant_count() > SSR_GATE_MAX_TENANTS) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "gate: ", policy.tenant_count(), " tenants; the gate supports ", SSR_GATE_MAX_TENANTS));
  }
  if (policy.service_count() > SSR_GATE_MAX_SERVICES) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "gate: ", policy.service_count(), " services; the gate supports ", SSR_GATE_MAX_SERVICES));
  }

  GateContents out;

  // Interfaces, and the addresses the router owns.
  std::map<util::IpAddress, ssr_local_value> locals;
  for (size_t i = 0; i < router.interfaces.size(); ++i) {
    const config::Interface& itf = router.interfaces[i];
    GateInterface gi;
    gi.name = itf.name;
    gi.value = ssr_iface_value{};
    gi.value.role = policy.IsLanInterface(i) ? SSR_GATE_ROLE_LAN : SSR_GATE_ROLE_WAN;
    gi.value.itf = static_cast<uint16_t>(i);
    // The tag the gate requires on the WAN link (docs/protocol.md §2.17); LAN VLANs are tenant
    // scope (ssr_tenant_key), not an interface property.
    if (gi.value.role == SSR_GATE_ROLE_WAN) gi.value.vlan = itf.vlan;
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
  // Waypoints: addresses of WAN interfaces, with the union of the waypoint ranges of the peers
  // of their interfaces (docs/protocol.md §6). A management address that is also a WAN address
  // is a waypoint all the same: a kernel listener on a waypoint port could not serve the peers
  // (their traffic goes to AF_XDP), so no exception is made for it.
  std::vector<std::vector<ssr_port_range>> peer_ranges(router.interfaces.size());
  for (const config::Peer& peer : router.peers) {
    std::vector<size_t> done;  // each interface of the peer's paths once
    for (const config::PeerPathConfig& path : peer.paths) {
      if (path.interface >= peer_ranges.size()) continue;  // validated config: cannot happen
      if (std::find(done.begin(), done.end(), path.interface) != done.end()) continue;
      done.push_back(path.interface);
      peer_ranges[path.interface].push_back(
          ssr_port_range{peer.waypoint_ports.first, peer.waypoint_ports.last});
    }
  }
  for (auto& [address, value] : locals) {
    std::vector<ssr_port_range> ranges;
    for (size_t i = 0; i < router.interfaces.size(); ++i) {
      if (((value.itf_mask >> i) & 1) == 0 || policy.IsLanInterface(i)) continue;
      value.flags |= SSR_GATE_LOCAL_WAYPOINT;
      ranges.insert(ranges.end(), peer_ranges[i].begin(), peer_ranges[i].end());
    }
    ranges = MergeWaypointRanges(std::move(ranges));
    value.waypoint_count = static_cast<uint32_t>(ranges.size());
    for (size_t r = 0; r < ranges.size(); ++r) value.waypoint[r] = ranges[r];
  }
  if (locals.size() > SSR_GATE_MAX_LOCAL_ADDRESSES) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "gate: router \"", router.name, "\" has ", locals.size(),
        " own and management addresses; the gate supports ", SSR_GATE_MAX_LOCAL_ADDRESSES));
  }
  for (const auto& [address, value] : locals) {
    out.locals.push_back({LocalKey(address), value});
  }

  // Tenant classification: one LPM entry per compiled member entry of the policy.
  if (policy.member_entries().size() > SSR_GATE_MAX_TENANT_PREFIXES) {
    return absl::ResourceExhaustedError(
        absl::StrCat("gate: router \"", router.name, "\" needs ", policy.member_entries().size(),
                     " tenant prefix entries (member prefixes x LAN interfaces x VLANs); the "
                     "gate supports ",
                     SSR_GATE_MAX_TENANT_PREFIXES));
  }
  for (const policy::MemberEntry& e : policy.member_entries()) {
    ssr_tenant_value v{};
    v.tenant = static_cast<uint32_t>(e.tenant);
    out.tenants.push_back({TenantKey(static_cast<uint16_t>(e.interface), e.vlan, e.prefix), v});
  }

  // Services: the kernel's LPM gives only the longest prefix, so each prefix's entry carries
  // every rule the policy tries for it, shorter containing prefixes' included.
  const std::vector<policy::ServicePrefix>& prefixes = policy.service_prefixes();
  if (prefixes.size() > SSR_GATE_MAX_SERVICE_PREFIXES) {
    return absl::ResourceExhaustedError(absl::StrCat("gate: ", prefixes.size(),
                                                     " distinct service prefixes; the gate "
                                                     "supports ",
                                                     SSR_GATE_MAX_SERVICE_PREFIXES));
  }
  for (const policy::ServicePrefix& sp : prefixes) {
    const std::vector<policy::ServiceRule> rules = policy.RulesTriedWithin(sp.prefix);
    if (rules.size() > SSR_GATE_MAX_SERVICE_RULES) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "gate: service prefix ", sp.prefix.ToString(), " needs ", rules.size(),
          " transport rules (its services' port ranges plus those of every service prefix "
          "containing it); the gate supports ",
          SSR_GATE_MAX_SERVICE_RULES));
    }
    ssr_service_value v{};
    v.count = static_cast<uint32_t>(rules.size());
    for (size_t i = 0; i < rules.size(); ++i) v.rules[i] = GateRule(rules[i]);
    out.services.push_back({ServiceKey(sp.prefix), v});
  }

  // Access bitmaps, from the policy's access matrix.
  for (size_t s = 0; s < policy.service_count(); ++s) {
    ssr_access_value v{};
    for (size_t t = 0; t < policy.tenant_count(); ++t) {
      if (policy.Allowed(s, t)) v.tenants[t / 64] |= uint64_t{1} << (t % 64);
    }
    out.access.push_back({static_cast<uint32_t>(s), v});
  }

  // Peers: (WAN interface, address) -> waypoint ports.
  std::map<std::pair<size_t, util::IpAddress>, size_t> peer_seen;  // -> index in router.peers
  for (size_t p = 0; p < router.peers.size(); ++p) {
    const config::Peer& peer = router.peers[p];
    for (const config::PeerPathConfig& path : peer.paths) {
      const util::IpAddress& a = path.address;
      auto [it, inserted] = peer_seen.try_emplace({path.interface, a}, p);
      if (!inserted) {
        const config::Peer& other = router.peers[it->second];
        if (other.waypoint_ports == peer.waypoint_ports) continue;
        return absl::InvalidArgumentError(absl::StrCat(
            "gate: router \"", router.name, "\": peers \"", other.name, "\" and \"", peer.name,
            "\" share address ", a.ToString(), " on interface \"",
            router.interfaces[path.interface].name, "\" with different waypoint port ranges"));
      }
      ssr_peer_value v{};
      v.port_first = peer.waypoint_ports.first;
      v.port_last = peer.waypoint_ports.last;
      out.peers.push_back({PeerKey(static_cast<uint16_t>(path.interface), a), v});
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

absl::StatusOr<GateContents> ComputeGateContents(const Config& config,
                                                 std::string_view router_name) {
  if (!config.RouterIndex(router_name)) {
    return absl::NotFoundError(
        absl::StrCat("gate: router \"", Name(router_name), "\" is not defined in the config"));
  }
  // The policy holds the config only for the duration of this call: a non-owning pointer.
  const std::shared_ptr<const Config> borrowed(std::shared_ptr<const Config>(), &config);
  SSR_ASSIGN_OR_RETURN(std::unique_ptr<const policy::RouterPolicy> policy,
                       policy::RouterPolicy::Build(borrowed, router_name));
  return ComputeGateContents(*policy);
}

}  // namespace ssr::gate
