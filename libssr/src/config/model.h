// SPDX-License-Identifier: Apache-2.0
// The validated, immutable configuration model.
//
// Design note: the protobuf messages in proto/ssr/config/v1 are the *file format*; this model is
// what the rest of the library consumes. Building it (config/loader.h) checks every field and
// resolves every name reference into an index, so later layers never see a dangling name, a bad
// prefix or a missing default: an object of type Config is always valid. Indices refer into the
// vectors of the same Config. A Config is shared as std::shared_ptr<const Config> and replaced
// as a whole on reload (snapshot swap), never mutated.
#ifndef SSR_CONFIG_MODEL_H_
#define SSR_CONFIG_MODEL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "crypto/suites.h"
#include "util/ip_address.h"

namespace ssr::config {

// Key bytes. Never printed: there is no stream operator, and ToString() is redacted. The bytes
// are wiped when the object is destroyed.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  ~SecretBytes();

  std::span<const uint8_t> bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // "<redacted N bytes>".
  std::string ToString() const;
  friend bool operator==(const SecretBytes& a, const SecretBytes& b) { return a.bytes_ == b.bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

enum class InterfaceRole : uint8_t { kLan, kWan };
// The security suites are the crypto layer's own enums, so that tag and key sizes have one
// definition (crypto/suites.h) and a validated policy maps onto PacketCrypto without translation.
using HmacAlgorithm = crypto::HmacSuite;
using HmacMode = crypto::HmacMode;
using Cipher = crypto::CipherSuite;
// IP protocol numbers; kIcmp stands for ICMP echo on IPv4 and ICMPv6 echo on IPv6.
enum class Protocol : uint8_t { kIcmp = 1, kTcp = 6, kUdp = 17 };
enum class TcpStateEnforcement : uint8_t { kReset, kBlock, kAllow };
enum class Permission : uint8_t { kAllow, kDeny };

// Config spellings ("sha256-128", "aes-256-cbc", ...).
inline std::string_view HmacAlgorithmName(HmacAlgorithm a) { return crypto::HmacSuiteName(a); }
inline std::string_view CipherName(Cipher c) { return crypto::CipherSuiteName(c); }
std::string_view ProtocolName(Protocol p);
// Tag length of an HMAC algorithm and key length of a cipher, in bytes (0 for kNone).
using crypto::CipherKeySize;
using crypto::HmacTagSize;

// Default waypoint port range of SVR (docs/protocol.md §2.4).
inline constexpr uint16_t kDefaultWaypointPortFirst = 16384;
inline constexpr uint16_t kDefaultWaypointPortLast = 65534;
// UDP port of peer liveness (BFD) traffic between waypoints.
inline constexpr uint16_t kPeerLivenessPort = 1280;

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool Contains(uint16_t port) const { return port >= first && port <= last; }
  uint32_t size() const { return uint32_t{last} - first + 1; }
  bool Overlaps(const PortRange& o) const { return first <= o.last && o.first <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// An address on a subnet, e.g. 10.1.1.1/24.
struct InterfaceAddress {
  util::IpAddress address;
  int prefix_length = 0;
  util::IpPrefix subnet() const { return {address.Masked(prefix_length), prefix_length}; }
};

// TCP MSS clamping on SYN / SYN-ACK of sessions toward a peer (docs/protocol.md §2.7.1).
struct MssClamp {
  enum class Mode : uint8_t {
    kAuto,   // path MTU minus headers and the worst-case SVR overhead of the session
    kValue,  // the fixed `value`
    kOff,    // MSS options left alone
  };
  Mode mode = Mode::kAuto;
  uint16_t value = 0;  // kValue only: 536 .. WAN mtu - 40
  friend bool operator==(const MssClamp&, const MssClamp&) = default;
};

struct Interface {
  std::string name;
  InterfaceRole role = InterfaceRole::kLan;
  std::vector<InterfaceAddress> addresses;
  std::vector<uint16_t> vlans;                 // tagged VLANs accepted besides untagged
  std::optional<size_t> security_policy;       // WAN only: receive-side policy
  uint32_t mtu = 1500;
  MssClamp enforce_mss;                        // WAN only; a peer's own setting overrides it
  uint16_t vlan = 0;                           // WAN only: 802.1Q tag of the link, 0 = untagged
};

// One path to a peer (PeerPath in config.proto): a WAN interface of this router and a waypoint
// address of the peer.
struct PeerPathConfig {
  std::string name;                            // "<interface>:<address>" when not configured
  size_t interface = 0;                        // index in this router's interfaces (WAN)
  util::IpAddress address;                     // the peer's waypoint address on this path
  uint32_t cost = 0;                           // vector cost, 0-65535
  uint32_t path_mtu = 0;                       // 0: the peer's path_mtu, else the interface's mtu
};

// Peer liveness timers (PeerLiveness in config.proto); 0: SVR's default (peer/bfd_session.h,
// peer/link_test.h).
struct PeerLiveness {
  uint32_t bfd_interval_ms = 0;
  uint32_t bfd_multiplier = 0;
  uint32_t hold_down_ms = 0;
  uint32_t link_test_interval_ms = 0;
  uint32_t link_test_count = 0;
  bool operator==(const PeerLiveness&) const = default;
};

struct Peer {
  std::string name;
  size_t router = 0;                           // index in Config::routers
  std::vector<util::IpAddress> addresses;      // the peer's waypoint addresses
  size_t interface = 0;                        // index in this router's interfaces (WAN)
  PortRange waypoint_ports{kDefaultWaypointPortFirst, kDefaultWaypointPortLast};
  // True when the default range is in use: the even/odd parity rule applies (§2.4).
  bool parity_rule = true;
  size_t security_policy = 0;                  // send-side policy (never HMAC sha1)
  bool udp_transform = false;                  // TCP sessions travel as UDP (§2.12)
  std::chrono::seconds nat_keep_alive{0};      // 0: no keep-alives (§2.13)
  std::optional<MssClamp> enforce_mss;         // empty: the WAN interface's setting
  uint32_t path_mtu = 0;                       // 0: the WAN interface's mtu (§2.14.1)
  // Every path to the peer, always at least one: the configured `paths`, or one per address over
  // `interface`. `interface` is then paths[0].interface and `addresses` the paths' addresses in
  // order (summaries kept for code that reports a peer as a whole).
  std::vector<PeerPathConfig> paths;
  PeerLiveness liveness;
};

struct ServiceRoute {
  enum class Kind : uint8_t { kNextHop, kPeer };
  std::string name;
  size_t service = 0;                          // index in Config::services
  Kind kind = Kind::kNextHop;
  size_t interface = 0;                        // kNextHop: LAN interface index in the router
  std::optional<util::IpAddress> gateway;      // kNextHop: empty = directly connected
  size_t peer = 0;                             // kPeer: index in the router's peers
  uint32_t weight = 1;                         // share under LoadBalancing::kProportional
};

struct Router {
  std::string name;
  std::vector<Interface> interfaces;
  std::vector<Peer> peers;
  std::vector<ServiceRoute> service_routes;
  std::vector<util::IpAddress> management_addresses;

  const Interface* FindInterface(std::string_view name) const;
  std::optional<size_t> InterfaceIndex(std::string_view name) const;
  // The first route of a service on this router (in service_routes order), if any.
  const ServiceRoute* RouteForService(size_t service) const;
};

struct Member {
  std::optional<size_t> router;                // empty: every router
  std::string interface;                       // empty: every LAN interface
  uint16_t vlan = 0;                           // 0: any VLAN and untagged
  std::vector<util::IpPrefix> prefixes;
};

struct Tenant {
  std::string name;
  std::optional<size_t> parent;                // index in Config::tenants
  int depth = 0;                               // 0 for a root tenant
  std::vector<Member> members;
  std::string description;
};

struct Transport {
  Protocol protocol = Protocol::kTcp;
  std::vector<PortRange> ports;                // empty: every port (always empty for ICMP)
};

struct AccessEntry {
  size_t tenant = 0;
  Permission permission = Permission::kAllow;
};

// How a router chooses among several routes of one service (ServicePolicy in config.proto).
enum class LoadBalancing : uint8_t { kHunt, kProportional, kRoundRobin };
std::string_view LoadBalancingName(LoadBalancing lb);

// What an established session does when its peer path fails (ServicePolicy.session_resiliency).
enum class SessionResiliency : uint8_t { kNone, kFailover, kRevertibleFailover };
std::string_view SessionResiliencyName(SessionResiliency r);

struct ServicePolicy {
  std::string name;
  LoadBalancing load_balancing = LoadBalancing::kHunt;
  std::vector<std::string> path_preference;    // PeerPath names, most preferred first
  std::optional<uint32_t> max_latency_ms;      // SLA bounds; empty: no bound
  std::optional<uint32_t> max_jitter_ms;
  std::optional<double> max_loss_percent;
  std::optional<double> min_mos;
  bool strict_sla = false;                     // no path within SLA: refuse (else best effort)
  SessionResiliency resiliency = SessionResiliency::kFailover;
  std::chrono::seconds revert_hold_down{30};
  bool HasSla() const {
    return max_latency_ms || max_jitter_ms || max_loss_percent || min_mos;
  }
};

struct Service {
  std::string name;
  std::vector<util::IpPrefix> prefixes;
  std::vector<Transport> transports;           // empty: every protocol and port
  std::vector<AccessEntry> access;
  std::optional<size_t> security_policy;       // payload policy; empty = no payload encryption
  TcpStateEnforcement tcp_state_enforcement = TcpStateEnforcement::kReset;
  std::string description;
  std::optional<size_t> service_policy;        // index in Config::service_policies
  LoadBalancing load_balancing = LoadBalancing::kHunt;  // of service_policy, or the default
};

struct Key {
  std::string name;
  uint32_t id = 0;                             // Security ID on the wire, never 0
  SecretBytes material;
  bool derived = false;                        // Key.derive (not hex / file)
};

struct SecurityPolicy {
  std::string name;
  HmacAlgorithm hmac = HmacAlgorithm::kSha256_128;
  HmacMode hmac_mode = HmacMode::kTimeBased;
  Cipher cipher = Cipher::kAes256Cbc;
  bool adaptive_encryption = false;
  std::vector<size_t> hmac_keys;               // indices in Config::keys; [0] sends
  std::vector<size_t> encryption_keys;         // indices in Config::keys; [0] sends
  std::chrono::seconds key_rotation_overlap{30};
  // Receive side: drop exact re-sends of a session's recent fast-path packets (docs/protocol.md
  // §6 "Replay", pipeline/replay_filter.h).
  bool replay_filter = false;
  // Automatic rekeying of the hop keys (docs/protocol.md §4.7.1, pipeline/key_rotation.h):
  // 0 = off.
  std::chrono::seconds rekey_interval{0};
  std::optional<size_t> rekey_master_key;      // index in Config::keys when rekey_interval != 0
  std::chrono::seconds rekey_max_clock_skew{10};
  bool rekeys() const { return rekey_interval.count() != 0; }
};

struct Timeouts {
  std::chrono::seconds tcp_embryonic{30};
  std::chrono::seconds tcp_established{1800};
  std::chrono::seconds tcp_closing{10};
  std::chrono::seconds udp{180};
  std::chrono::seconds udp_dns{30};
  std::chrono::seconds icmp{30};
  std::chrono::seconds other{180};
};

struct Limits {
  uint32_t max_sessions = 1u << 20;
  uint32_t max_sessions_per_tenant = 0;        // 0: only max_sessions applies
  // Embryonic (half-open) sessions, per worker table (docs/protocol.md §2.10.1).
  uint32_t max_embryonic_per_source = 0;       // 0: no cap
  uint32_t max_embryonic_per_tenant = 0;       // 0: no cap
  uint32_t embryonic_pressure_percent = 75;    // table occupancy that shortens the timeout
  uint32_t tcp_embryonic_under_pressure_seconds = 5;
  uint32_t ip_reassembly_slots = 64;           // per worker (docs/protocol.md §2.14.1)
  uint32_t ip_reassembly_timeout_ms = 5000;
};

// The whole validated organisation config.
class Config {
 public:
  std::string organization;
  std::vector<Router> routers;
  std::vector<Tenant> tenants;
  std::vector<Service> services;
  std::vector<SecurityPolicy> security_policies;
  std::vector<Key> keys;
  std::vector<ServicePolicy> service_policies;
  Timeouts timeouts;
  Limits limits;

  const Router* FindRouter(std::string_view name) const;
  std::optional<size_t> RouterIndex(std::string_view name) const;
  std::optional<size_t> TenantIndex(std::string_view name) const;
  std::optional<size_t> ServiceIndex(std::string_view name) const;
  std::optional<size_t> SecurityPolicyIndex(std::string_view name) const;
  std::optional<size_t> KeyIndex(std::string_view name) const;

  // True if `ancestor` is `tenant` itself or one of its ancestors.
  bool IsSelfOrAncestor(size_t ancestor, size_t tenant) const;

  // Access decision for `tenant` on `service`: the entry of the tenant itself or of its nearest
  // ancestor that has one decides; no entry at all means deny (deny by default).
  Permission AccessFor(size_t service, size_t tenant) const;

  // Rebuilds the name indexes; called once by the loader after filling the vectors.
  void BuildIndexes();

 private:
  absl::flat_hash_map<std::string, size_t> router_index_;
  absl::flat_hash_map<std::string, size_t> tenant_index_;
  absl::flat_hash_map<std::string, size_t> service_index_;
  absl::flat_hash_map<std::string, size_t> policy_index_;
  absl::flat_hash_map<std::string, size_t> key_index_;
};

}  // namespace ssr::config

#endif  // SSR_CONFIG_MODEL_H_
