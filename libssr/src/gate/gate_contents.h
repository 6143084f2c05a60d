// SPDX-License-Identifier: Apache-2.0
// The contents of the XDP gate's maps for one router, computed from a validated config.
//
// Design note: this is the single place that turns config into gate map entries; the loader
// (gate/gate.h), the BPF tests and the benchmark all fill the maps from it, so what is tested is
// what the router runs. It is pure (no BPF, no syscalls) and unit-testable. It mirrors
// policy::RouterPolicy exactly:
//  * tenants: one LPM entry per (LAN interface, VLAN incl. 0 = untagged, member prefix), with
//    members that name no router / interface / VLAN expanded to every scope they apply to;
//  * services: one LPM entry per distinct service prefix whose rule list is the prefix's own
//    transports followed by those of every shorter service prefix that contains it (longest
//    first), so the kernel's single longest match finds what MatchService finds by falling back
//    to shorter prefixes;
//  * access: per service a tenant bitmap of config::Config::AccessFor (hierarchy resolved);
//  * peers: (WAN interface, peer address) -> the peer's waypoint port range;
//  * locals: own interface addresses and management addresses, with the interfaces owning them.
// Keys carry generation 0; the loader stamps the generation it writes (see bpf_shared.h).
// Interfaces are named, not numbered: ifindexes are resolved by the loader when it attaches.
#ifndef SSR_GATE_GATE_CONTENTS_H_
#define SSR_GATE_GATE_CONTENTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "ssr/bpf_shared.h"

namespace ssr::gate {

template <typename K, typename V>
struct MapEntry {
  K key;
  V value;
};

struct GateInterface {
  std::string name;       // config::Interface::name (also the Linux interface name)
  ssr_iface_value value;  // role and config interface index
};

struct GateContents {
  std::vector<GateInterface> interfaces;
  std::vector<MapEntry<ssr_tenant_key, ssr_tenant_value>> tenants;
  std::vector<MapEntry<ssr_service_key, ssr_service_value>> services;
  // Key: service index (the loader adds gen * SSR_GATE_MAX_SERVICES).
  std::vector<MapEntry<uint32_t, ssr_access_value>> access;
  std::vector<MapEntry<ssr_peer_key, ssr_peer_value>> peers;
  std::vector<MapEntry<ssr_local_key, ssr_local_value>> locals;

  const GateInterface* FindInterface(std::string_view name) const;
};

// Computes the gate map contents of router `router_name`. Errors: NotFound (no such router),
// ResourceExhausted when a capacity of bpf_shared.h is exceeded (the message names the item and
// the limit), InvalidArgument when two peers of one WAN interface share an address with
// different waypoint ranges.
absl::StatusOr<GateContents> ComputeGateContents(const config::Config& config,
                                                 std::string_view router_name);

// Key helpers (generation 0), also used by tests to look entries up.
ssr_tenant_key TenantKey(uint16_t itf, uint16_t vlan, const util::IpPrefix& prefix);
ssr_service_key ServiceKey(const util::IpPrefix& prefix);
ssr_peer_key PeerKey(uint16_t itf, const util::IpAddress& address);
ssr_local_key LocalKey(const util::IpAddress& address);

}  // namespace ssr::gate

#endif  // SSR_GATE_GATE_CONTENTS_H_
