// SPDX-License-Identifier: Apache-2.0
// The contents of the XDP gate's maps for one router: gate = lowering of RouterPolicy.
//
// Design note: the gate enforces the router's policy::RouterPolicy, it does not define one. The
// policy compiles the config once (membership per interface and VLAN, service transport rules,
// the access matrix; policy/policy.h) and ComputeGateContents only translates those compiled
// lists into the map keys and values of bpf/include/ssr/bpf_shared.h (the one definition of the
// map layouts). Nothing about membership, VLANs, transports or access is decided here, so the
// gate and RouterPolicy::Decide cannot disagree on who may reach what. The loader (gate/gate.h),
// the BPF tests and the benchmark all fill the maps from this function, so what is tested is
// what the router runs. It is pure (no BPF, no syscalls) and unit-testable.
//
// Map by map:
//  * tenants: one LPM entry per RouterPolicy::member_entries() entry ((LAN interface, VLAN incl.
//    0 = untagged, member prefix) -> tenant);
//  * services: one LPM entry per RouterPolicy::service_prefixes() prefix whose rule list is
//    RouterPolicy::RulesTriedWithin(prefix): its own rules, then those of every shorter service
//    prefix containing it (longest first), so the kernel's single longest match finds what
//    MatchService finds by falling back to shorter prefixes;
//  * access: per service a tenant bitmap of RouterPolicy::Allowed (hierarchy resolved);
//  * interfaces: role (RouterPolicy::IsLanInterface) and config index, by name;
//  * peers: (WAN interface, peer address) -> the peer's waypoint port range (router topology,
//    not policy: from config::Router::peers);
//  * locals: own interface addresses and management addresses, with the interfaces owning them;
//    an address of a WAN interface is a waypoint (SSR_GATE_LOCAL_WAYPOINT) and carries the union
//    of the waypoint ranges of that interface's peers (MergeWaypointRanges), so the gate can
//    drop waypoint-port and liveness traffic from non-peers without a peer entry to consult.
//
// What the gate enforces (on every packet, statelessly): on LAN interfaces, the verdict of
// RouterPolicy::Decide without the route -- a source that is a member of no tenant, a destination
// that matches no service, a tenant that may not use the service: dropped under the reason
// Decide gives (unless a possible reply, below); allowed: to AF_XDP. On WAN interfaces, only
// TCP/UDP from a configured peer of the interface to its own address, on a waypoint port or the
// liveness port, goes to AF_XDP; the same ports of an own WAN address from anyone else are
// dropped (libssr owns them, docs/protocol.md §6). What remains for the pipeline (the gate
// passes it up):
//  * the route of an allowed service (none: dropped there, counter no_route), sessions, NAT and
//    SVR metadata;
//  * packets whose source is a service (source port in one of its transports, or an echo reply):
//    possible session replies, which the session table accepts or drops;
//  * non-first fragments from a member or a service address, matched to their session;
//  * on WAN: authentication and decryption (security policies), peer state, and which waypoint
//    ports a peer actually uses.
// The kernel gets ARP, neighbour discovery, traffic to own or management addresses that is not
// to a waypoint or liveness port of a WAN address, and packets on interfaces the gate does not
// know (a load-time knob). Keys carry generation 0; the loader stamps the generation it writes
// (see bpf_shared.h). Interfaces are named, not numbered: ifindexes are resolved by the loader
// when it attaches.
#ifndef SSR_GATE_GATE_CONTENTS_H_
#define SSR_GATE_GATE_CONTENTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "policy/policy.h"
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

// The walk both families' source and local summaries are filled from (v4_summary.h,
// v6_summary.h): for the entries of `family` (SSR_GATE_FAMILY_*), source(addr, length) for every
// tenant and service prefix (length without the scope bits) and every peer address (the whole
// address), and local(addr) for every own address. Peers share the sources summary: ssr_peers is
// consulted on WAN interfaces only, the other entries on LAN ones, and a bit set for the other
// side only costs an exact lookup.
template <typename Source, typename Local>
void ForEachSummaryEntry(const GateContents& contents, uint8_t family, Source&& source,
                         Local&& local) {
  const uint32_t whole = family == SSR_GATE_FAMILY_IPV4 ? 32 : 128;
  for (const auto& e : contents.tenants) {
    if (e.key.family == family) source(e.key.addr, e.key.prefixlen - SSR_GATE_TENANT_SCOPE_BITS);
  }
  for (const auto& e : contents.services) {
    if (e.key.family == family) source(e.key.addr, e.key.prefixlen - SSR_GATE_SERVICE_SCOPE_BITS);
  }
  for (const auto& e : contents.peers) {
    if (e.key.family == family) source(e.key.addr, whole);
  }
  for (const auto& e : contents.locals) {
    if (e.key.family == family) local(e.key.addr);
  }
}

// Lowers `policy` (and its router's interfaces, addresses and peers) into gate map contents.
// Errors: ResourceExhausted when a capacity of bpf_shared.h is exceeded (the message names the
// item and the limit), InvalidArgument when two peers of one WAN interface share an address with
// different waypoint ranges.
absl::StatusOr<GateContents> ComputeGateContents(const policy::RouterPolicy& policy);

// The same for router `router_name` of `config`, building its RouterPolicy first. NotFound when
// the config has no such router; otherwise the errors above.
absl::StatusOr<GateContents> ComputeGateContents(const config::Config& config,
                                                 std::string_view router_name);

// The waypoint ranges of one own WAN address from the ranges of its interface's peers (any
// order, overlapping or repeated): overlapping and adjacent ranges merged, sorted by first port;
// while more than SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES remain, the two neighbours with the
// smallest gap between them are joined (a superset of the union: it drops more, never less).
std::vector<ssr_port_range> MergeWaypointRanges(std::vector<ssr_port_range> ranges);

// Key helpers (generation 0), also used by tests to look entries up.
ssr_tenant_key TenantKey(uint16_t itf, uint16_t vlan, const util::IpPrefix& prefix);
ssr_service_key ServiceKey(const util::IpPrefix& prefix);
ssr_peer_key PeerKey(uint16_t itf, const util::IpAddress& address);
ssr_local_key LocalKey(const util::IpAddress& address);

}  // namespace ssr::gate

#endif  // SSR_GATE_GATE_CONTENTS_H_
