// SPDX-License-Identifier: Apache-2.0
// Tenant / service / access policy of one router, built once per config snapshot.
//
// Design note: the config (config/model.h) says who may reach what in the organisation's terms;
// this layer turns it into lookup structures for one router's packet path:
//  * tenant classification: for every (LAN interface, VLAN) of the router, an LPM table of the
//    member prefixes that apply there (members with an empty router / interface / VLAN apply
//    everywhere). Longest prefix wins; the config guarantees no ambiguity (equal prefixes of
//    different tenants are rejected, nested ones only between a tenant and its ancestor).
//  * service match: one LPM table of service prefixes; the rules at the longest matching prefix
//    are checked for protocol and port, and shorter prefixes are tried when none matches.
//  * access: a dense [service][tenant] matrix of config::Config::AccessFor, hierarchy resolved.
// Everything is immutable after Build(); lookups never allocate and need no locks, so any number
// of workers can share one snapshot (swapped by pointer on reload).
//
// Design note (one definition, several enforcement points): Build() first compiles the config
// into plain lists -- the member entries (which prefix makes a source which tenant on which
// interface and VLAN) and the rules of every service prefix -- and builds its lookup tables from
// those lists only. The lists are public: the XDP gate's map contents are a lowering of them
// (gate/gate_contents.h), so membership, VLAN scoping, transport rules and access are decided
// here once, and the gate only changes their representation.
#ifndef SSR_POLICY_POLICY_H_
#define SSR_POLICY_POLICY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "config/model.h"
#include "policy/prefix_table.h"
#include "util/counters.h"
#include "util/ip_address.h"

namespace ssr::policy {

// Outcome of classifying the first packet of a new session arriving on a LAN interface.
#define SSR_POLICY_VERDICTS(X)                                                                \
  X(kAllow, "policy_allow", "member of a tenant allowed to use the service")                  \
  X(kUnknownInterface, "policy_unknown_interface", "not a LAN interface of this router")      \
  X(kNonMember, "policy_non_member", "source is a member of no tenant (deny by default)")     \
  X(kNoService, "policy_no_service", "destination matches no service (deny by default)")      \
  X(kDenied, "policy_denied", "tenant may not use the service (deny by default)")

SSR_DEFINE_COUNTER_ENUM(Verdict, SSR_POLICY_VERDICTS)

// What a first packet looks like to policy (from packet::PacketInfo).
struct FlowKey {
  size_t interface = 0;  // index in the router's interfaces
  uint16_t vlan = 0;     // 0 = untagged
  util::IpAddress source;
  util::IpAddress destination;
  uint8_t protocol = 0;  // IP protocol; ICMP / ICMPv6 echo map to the ICMP transport
  uint16_t destination_port = 0;
};

// A member prefix compiled into one scope: a source in `prefix` arriving on LAN interface
// `interface` with VLAN `vlan` (0 = untagged) is a member of `tenant` (longest prefix wins).
struct MemberEntry {
  size_t interface = 0;  // index in the router's interfaces (always a LAN interface)
  uint16_t vlan = 0;
  util::IpPrefix prefix;
  size_t tenant = 0;  // index in config::Config::tenants
};

// One transport rule of a service, compiled from config::Service::transports: what MatchService
// checks for a candidate service (and what the gate copies into its service map).
struct ServiceRule {
  std::optional<config::Protocol> protocol;  // nullopt: every IP protocol and every port
  // Destination ports, inclusive; 0..65535 for ICMP (no ports) and for transports listing none.
  uint16_t port_first = 0;
  uint16_t port_last = 0xffff;
  size_t service = 0;  // index in config::Config::services

  // Whether a packet of IP protocol `ip_protocol` (ICMP and ICMPv6 both count as the ICMP
  // transport) to destination port `port` satisfies the rule.
  bool Matches(uint8_t ip_protocol, uint16_t port) const;
};

// A distinct service prefix and the rules of every service claiming it (services in config
// order, each service's transports and port ranges in config order).
struct ServicePrefix {
  util::IpPrefix prefix;
  std::vector<ServiceRule> rules;
};

struct Decision {
  Verdict verdict = Verdict::kNonMember;
  std::optional<size_t> tenant;   // set from kNoService on
  std::optional<size_t> service;  // set for kDenied and kAllow
  // The route of the service on this router; null when the router has none (kAllow still: the
  // caller drops with a no_route counter, since that is a routing and not an access outcome).
  const config::ServiceRoute* route = nullptr;
};

class RouterPolicy {
 public:
  // Builds the policy of router `router_name` from `config`. The config must outlive the policy
  // (hold the shared_ptr). NotFound if the router is not in the config.
  static absl::StatusOr<std::unique_ptr<const RouterPolicy>> Build(
      std::shared_ptr<const config::Config> config, std::string_view router_name);

  // Tenant of a source on a LAN interface / VLAN; nullopt for a non-member.
  std::optional<size_t> ClassifyTenant(size_t interface, uint16_t vlan,
                                       const util::IpAddress& source) const;
  // Service for a destination / protocol / port; nullopt when none matches.
  std::optional<size_t> MatchService(const util::IpAddress& destination, uint8_t protocol,
                                     uint16_t port) const;
  bool Allowed(size_t service, size_t tenant) const {
    return access_[service * tenant_count_ + tenant];
  }
  // Full first-packet decision: tenant → service → access → route. Deny by default at each step.
  Decision Decide(const FlowKey& key) const;

  // Whether `interface` (index in the router's interfaces) is one of its LAN interfaces; first
  // packets on any other interface are kUnknownInterface.
  bool IsLanInterface(size_t interface) const;
  // Whether `address` lies in the subnet of an address of one of this router's LAN interfaces
  // (the interface address itself included). The egress refuses forward metadata whose client
  // claims such a source: a client there reaches this router over the LAN, never through a peer
  // (docs/protocol.md §6).
  bool OnLanSubnet(const util::IpAddress& address) const;

  // ---- The compiled policy, for lowering into other enforcement points (gate/gate_contents.h).
  // Every member entry of this router: by LAN interface, then VLAN (untagged first, then the
  // interface's VLANs in config order), then tenant, member and prefix in config order.
  const std::vector<MemberEntry>& member_entries() const { return member_entries_; }
  // The distinct service prefixes, in util::IpPrefix order.
  const std::vector<ServicePrefix>& service_prefixes() const { return service_prefixes_; }
  // The rules MatchService tries, in order, for a destination whose longest matching service
  // prefix is `prefix`: the rules of `prefix` (if it is a service prefix), then those of every
  // shorter service prefix containing it, longest first. The first rule that matches decides.
  std::vector<ServiceRule> RulesTriedWithin(const util::IpPrefix& prefix) const;
  size_t tenant_count() const { return tenant_count_; }
  size_t service_count() const { return routes_.size(); }

  const config::Config& config() const { return *config_; }
  const config::Router& router() const { return *router_; }
  size_t router_index() const { return router_index_; }

 private:
  RouterPolicy() = default;

  std::shared_ptr<const config::Config> config_;
  const config::Router* router_ = nullptr;
  size_t router_index_ = 0;
  std::vector<MemberEntry> member_entries_;
  // (interface << 16 | vlan) → tenant LPM, built from member_entries_ only. VLAN 0 = untagged.
  absl::flat_hash_map<uint32_t, PrefixTable<size_t>> tenant_tables_;
  std::vector<ServicePrefix> service_prefixes_;
  // destination prefix → index in service_prefixes_.
  PrefixTable<size_t> service_table_;
  std::vector<bool> access_;  // [service * tenant_count_ + tenant]
  std::vector<util::IpPrefix> lan_subnets_;  // subnets of the LAN interfaces' addresses
  size_t tenant_count_ = 0;
  std::vector<const config::ServiceRoute*> routes_;  // by service index
};

}  // namespace ssr::policy

#endif  // SSR_POLICY_POLICY_H_
