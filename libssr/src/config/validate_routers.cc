// SPDX-License-Identifier: Apache-2.0
// Validation of the "Routers, interfaces, peers and service routes" section: each router's
// interfaces (name, role, addresses and their subnets, VLANs, security policy, MTU) and management
// addresses, then, once every list is known, its peers (reciprocity, waypoint addresses and ports,
// signing policy) and service routes (service, peer or local next hop). A new rule about a router
// or anything nested in it goes here.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "config/validate.h"

namespace ssr::config::internal {
namespace {

using util::IpAddress;

constexpr uint32_t kMinWaypointPorts = 256;
constexpr uint32_t kMaxNatKeepAliveSeconds = 3600;

// "address/length" where host bits are expected; length 1..width.
std::optional<InterfaceAddress> ParseInterfaceAddress(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::optional<IpAddress> addr = IpAddress::Parse(std::string_view(text).substr(0, slash));
  const std::string len_text = text.substr(slash + 1);
  int length = -1;
  if (!addr || len_text.empty() || len_text.size() > 3 ||
      !std::all_of(len_text.begin(), len_text.end(),
                   [](char ch) { return ch >= '0' && ch <= '9'; }) ||
      !absl::SimpleAtoi(len_text, &length) || length < 1 || length > addr->bit_width()) {
    return std::nullopt;
  }
  return InterfaceAddress{*addr, length};
}

// enforce_mss (docs/protocol.md §2.7.1): "auto", "off" or a number of bytes from kMinMss to
// mtu - 40 (the MSS of a full-size IPv4 segment on a link of that MTU). Empty: nullopt, the
// caller's default. Errors are reported at `path`.
constexpr uint32_t kMinMss = 536;  // the default MSS of IPv4 (RFC 9293 §3.7.1)

std::optional<MssClamp> ParseEnforceMss(const std::string& text, uint32_t mtu,
                                        const std::string& path, ErrorSink& errors) {
  if (text.empty()) return std::nullopt;
  if (text == "auto") return MssClamp{MssClamp::Mode::kAuto, 0};
  if (text == "off") return MssClamp{MssClamp::Mode::kOff, 0};
  const uint32_t max = mtu - 40;
  uint32_t value = 0;
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(),
                                      [](char ch) { return ch >= '0' && ch <= '9'; }) ||
      !absl::SimpleAtoi(text, &value)) {
    errors.Add(path, absl::StrCat(Quote(text), " is not a valid MSS setting (\"auto\", \"off\" or "
                                  "a number of bytes, ", kMinMss, "-", max, ")"));
    return std::nullopt;
  }
  if (value < kMinMss || value > max) {
    errors.Add(path, absl::StrCat(value, " is out of range (", kMinMss, "-", max,
                                  ": at most mtu ", mtu, " minus 40 bytes of IPv4 and TCP header)"));
    return std::nullopt;
  }
  return MssClamp{MssClamp::Mode::kValue, static_cast<uint16_t>(value)};
}

void CheckInterface(const v1::Interface& pi, const std::string& path, const NameIndex& policy_names,
                    Router* router, ErrorSink& errors) {
  Interface itf;
  itf.name = pi.name();
  if (!IsValidInterfaceName(pi.name())) {
    errors.Add(Field(path, "name"),
               absl::StrCat(Quote(pi.name()),
                            " is not a valid interface name (1-15 characters, no '/', ':' or "
                            "whitespace)"));
  } else if (router->InterfaceIndex(pi.name())) {
    errors.Add(Field(path, "name"),
               absl::StrCat(Quote(pi.name()), " is already used by another interface of router ",
                            Quote(router->name)),
               absl::StatusCode::kAlreadyExists);
  }
  const bool role_ok = pi.role() == v1::Interface::LAN || pi.role() == v1::Interface::WAN;
  if (pi.role() == v1::Interface::ROLE_UNSPECIFIED) {
    errors.Add(Field(path, "role"), "is required (LAN or WAN)");
  } else if (!role_ok) {
    errors.Add(Field(path, "role"),
               absl::StrCat(static_cast<int>(pi.role()), " is not a valid role (LAN or WAN)"));
  }
  itf.role = pi.role() == v1::Interface::WAN ? InterfaceRole::kWan : InterfaceRole::kLan;
  for (int a = 0; a < pi.addresses_size(); ++a) {
    const std::string apath = Idx(Field(path, "addresses"), static_cast<size_t>(a));
    const std::string& text = pi.addresses(a);
    std::optional<InterfaceAddress> ia = ParseInterfaceAddress(text);
    if (!ia) {
      errors.Add(apath, absl::StrCat(Quote(text),
                                     " is not a valid interface address (expected address/length, "
                                     "e.g. \"10.1.1.1/24\")"));
      continue;
    }
    itf.addresses.push_back(*ia);
  }
  if (role_ok && itf.role == InterfaceRole::kWan && pi.addresses_size() == 0) {
    errors.Add(Field(path, "addresses"), "a WAN interface needs at least one address");
  }
  for (int v = 0; v < pi.vlans_size(); ++v) {
    const std::string vpath = Idx(Field(path, "vlans"), static_cast<size_t>(v));
    const uint32_t vlan = pi.vlans(v);
    if (vlan < 1 || vlan > 4094) {
      errors.Add(vpath, absl::StrCat(vlan, " is not a valid VLAN id (1-4094)"));
    } else if (std::find(itf.vlans.begin(), itf.vlans.end(), vlan) != itf.vlans.end()) {
      errors.Add(vpath, absl::StrCat("VLAN ", vlan, " is listed twice"),
                 absl::StatusCode::kAlreadyExists);
    } else {
      itf.vlans.push_back(static_cast<uint16_t>(vlan));
    }
  }
  if (role_ok && itf.role == InterfaceRole::kWan && pi.vlans_size() != 0) {
    errors.Add(Field(path, "vlans"),
               "is not allowed on a WAN interface (a WAN link is one VLAN: set `vlan`)");
  }
  if (pi.vlan() != 0 && role_ok && itf.role == InterfaceRole::kLan) {
    errors.Add(Field(path, "vlan"),
               absl::StrCat(pi.vlan(), " is not allowed on a LAN interface (list LAN VLANs in "
                                       "`vlans`)"));
  } else if (pi.vlan() > 4094) {
    errors.Add(Field(path, "vlan"),
               absl::StrCat(pi.vlan(), " is not a valid VLAN id (0 for untagged, or 1-4094)"));
  } else {
    itf.vlan = static_cast<uint16_t>(pi.vlan());
  }
  if (role_ok && itf.role == InterfaceRole::kWan) {
    if (pi.security_policy().empty()) {
      errors.Add(Field(path, "security_policy"), "is required on a WAN interface");
    } else {
      itf.security_policy = ResolveSecurityPolicy(
          pi.security_policy(), Field(path, "security_policy"), policy_names, errors);
    }
  } else if (role_ok && !pi.security_policy().empty()) {
    errors.Add(Field(path, "security_policy"),
               absl::StrCat(Quote(pi.security_policy()),
                            " is not allowed on a LAN interface (only WAN interfaces receive SVR "
                            "traffic)"));
  }
  if (pi.mtu() != 0 && (pi.mtu() < 1280 || pi.mtu() > 9000)) {
    errors.Add(Field(path, "mtu"), absl::StrCat(pi.mtu(), " is out of range (1280-9000)"));
  } else if (pi.mtu() != 0) {
    itf.mtu = pi.mtu();
  }
  if (role_ok && itf.role == InterfaceRole::kLan && !pi.enforce_mss().empty()) {
    errors.Add(Field(path, "enforce_mss"),
               absl::StrCat(Quote(pi.enforce_mss()),
                            " is not allowed on a LAN interface (MSS is clamped for the WAN path: "
                            "set it on the WAN interface or on a peer)"));
  } else if (auto mss = ParseEnforceMss(pi.enforce_mss(), itf.mtu, Field(path, "enforce_mss"),
                                        errors)) {
    itf.enforce_mss = *mss;
  }
  router->interfaces.push_back(std::move(itf));
}

// Reports each address whose subnet overlaps a subnet of an earlier interface of the router.
void CheckInterfaceSubnets(const v1::Router& pr, const std::string& path, ErrorSink& errors) {
  struct Seen {
    InterfaceAddress address;
    int interface;
  };
  std::vector<Seen> seen;
  for (int i = 0; i < pr.interfaces_size(); ++i) {
    const auto& texts = pr.interfaces(i).addresses();
    const size_t first_of_this_interface = seen.size();
    for (int a = 0; a < texts.size(); ++a) {
      std::optional<InterfaceAddress> ia = ParseInterfaceAddress(texts[a]);
      if (!ia) continue;  // already reported by CheckInterface
      for (size_t k = 0; k < first_of_this_interface; ++k) {
        const InterfaceAddress& other = seen[k].address;
        if (!ia->subnet().Overlaps(other.subnet())) continue;
        errors.Add(
            Idx(Field(Idx(Field(path, "interfaces"), static_cast<size_t>(i)), "addresses"),
                static_cast<size_t>(a)),
            absl::StrCat(Quote(texts[a]), " overlaps ",
                         Quote(absl::StrCat(other.address.ToString(), "/", other.prefix_length)),
                         " of interface ", Quote(pr.interfaces(seen[k].interface).name())));
        break;
      }
      seen.push_back({*ia, i});
    }
  }
}

// ---- peers and service routes (need routers, services and policies) ----------------------------

// False when the interface's role was missing or invalid (already reported): its model role is a
// placeholder, so role-dependent rules skip it instead of reporting follow-on errors.
bool RoleKnown(const ProtoList<v1::Router>& p_routers, size_t router, size_t itf) {
  const v1::Interface::Role role =
      p_routers[static_cast<int>(router)].interfaces(static_cast<int>(itf)).role();
  return role == v1::Interface::LAN || role == v1::Interface::WAN;
}

// The WAN interface `name` of `router` (index `self`), or nullopt with an error at `field`.
std::optional<size_t> ResolveWan(const std::string& name, const std::string& field,
                                 const ProtoList<v1::Router>& p_routers, size_t self,
                                 const Router& router, ErrorSink& errors) {
  std::optional<size_t> itf = router.InterfaceIndex(name);
  if (!itf) {
    errors.Add(field, absl::StrCat(Quote(name), " is not an interface of router ",
                                   Quote(router.name)));
    return std::nullopt;
  }
  if (router.interfaces[*itf].role != InterfaceRole::kWan) {
    if (RoleKnown(p_routers, self, *itf)) {
      errors.Add(field, absl::StrCat(Quote(name),
                                     " is a LAN interface; peers are reached over a WAN interface"));
    }
    return std::nullopt;
  }
  return itf;
}

// A peer waypoint address: parsed, and (when the peer router is known, `peer_ok`) an address of
// one of its WAN interfaces.
std::optional<IpAddress> ParsePeerAddress(const std::string& text, const std::string& field,
                                          bool peer_ok, const ProtoList<v1::Router>& p_routers,
                                          const Peer& peer, const std::vector<Router>& routers,
                                          ErrorSink& errors) {
  std::optional<IpAddress> addr = ParseAddress(text, field, errors);
  if (!addr || !peer_ok) return addr;
  bool found = false;
  const std::vector<Interface>& remote_itfs = routers[peer.router].interfaces;
  for (size_t k = 0; k < remote_itfs.size(); ++k) {
    if (remote_itfs[k].role != InterfaceRole::kWan && RoleKnown(p_routers, peer.router, k)) {
      continue;
    }
    for (const InterfaceAddress& ia : remote_itfs[k].addresses) found |= ia.address == *addr;
  }
  if (!found) {
    errors.Add(field, absl::StrCat(Quote(text), " is not an address of a WAN interface of router ",
                                   Quote(peer.name)));
  }
  return addr;
}

void CheckPeerPath(const v1::PeerPath& pp, const std::string& path, bool peer_ok,
                   const ProtoList<v1::Router>& p_routers, size_t self,
                   const std::vector<Router>& routers, Peer* peer, ErrorSink& errors) {
  const Router& router = routers[self];
  PeerPathConfig pc;
  std::optional<size_t> itf;
  if (pp.interface().empty()) {
    errors.Add(Field(path, "interface"), "is required (the WAN interface of this path)");
  } else {
    itf = ResolveWan(pp.interface(), Field(path, "interface"), p_routers, self, router, errors);
  }
  std::optional<IpAddress> addr;
  if (pp.address().empty()) {
    errors.Add(Field(path, "address"), "is required (the peer's waypoint address on this path)");
  } else {
    addr = ParsePeerAddress(pp.address(), Field(path, "address"), peer_ok, p_routers, *peer,
                            routers, errors);
  }
  if (!pp.name().empty() && !IsValidName(pp.name())) {
    errors.Add(Field(path, "name"), absl::StrCat(Quote(pp.name()), " is not a valid name (",
                                                 kNameRule, ")"));
  }
  if (pp.cost() > 65535) {
    errors.Add(Field(path, "cost"), absl::StrCat(pp.cost(), " is out of range (0-65535)"));
  }
  if (!itf || !addr) return;
  const Interface& wan = router.interfaces[*itf];
  const bool family_ok =
      std::any_of(wan.addresses.begin(), wan.addresses.end(), [&](const InterfaceAddress& a) {
        return a.address.family() == addr->family();
      });
  if (!family_ok) {
    errors.Add(Field(path, "address"),
               absl::StrCat(Quote(pp.address()), ": interface ", Quote(wan.name),
                            " has no address of the ", addr->is_v4() ? "IPv4" : "IPv6",
                            " family"));
    return;
  }
  if (pp.path_mtu() != 0) {
    if (pp.path_mtu() < 1280 || pp.path_mtu() > 9000) {
      errors.Add(Field(path, "path_mtu"),
                 absl::StrCat(pp.path_mtu(), " is out of range (1280-9000)"));
      return;
    }
    if (pp.path_mtu() > wan.mtu) {
      errors.Add(Field(path, "path_mtu"), absl::StrCat(pp.path_mtu(), " is above the mtu ",
                                                       wan.mtu, " of interface ",
                                                       Quote(wan.name)));
      return;
    }
  }
  pc.interface = *itf;
  pc.address = *addr;
  pc.cost = pp.cost();
  pc.path_mtu = pp.path_mtu();
  pc.name = pp.name().empty() ? absl::StrCat(wan.name, ":", addr->ToString()) : pp.name();
  for (const PeerPathConfig& prev : peer->paths) {
    if (prev.name == pc.name) {
      errors.Add(Field(path, "name"),
                 absl::StrCat(Quote(pc.name), " is already a path of peer ", Quote(peer->name)),
                 absl::StatusCode::kAlreadyExists);
      return;
    }
    if (prev.interface == pc.interface && prev.address == pc.address) {
      errors.Add(path, absl::StrCat("interface ", Quote(wan.name), " and address ",
                                    Quote(pp.address()), " are already path ", Quote(prev.name),
                                    " of peer ", Quote(peer->name)),
                 absl::StatusCode::kAlreadyExists);
      return;
    }
  }
  peer->paths.push_back(std::move(pc));
}

// PeerLiveness: 0 keeps the default; anything else within the bounds of peer/bfd_session.h and
// peer/link_test.h.
void CheckLiveness(const v1::PeerLiveness& pl, const std::string& path, PeerLiveness* out,
                   ErrorSink& errors) {
  auto bounded = [&](uint32_t v, uint32_t lo, uint32_t hi, const char* field, uint32_t* dst) {
    if (v == 0) return;
    if (v < lo || v > hi) {
      errors.Add(Field(path, field), absl::StrCat(v, " is out of range (", lo, "-", hi, ")"));
    } else {
      *dst = v;
    }
  };
  bounded(pl.bfd_interval_ms(), 50, 600000, "bfd_interval_ms", &out->bfd_interval_ms);
  bounded(pl.bfd_multiplier(), 3, 20, "bfd_multiplier", &out->bfd_multiplier);
  bounded(pl.hold_down_ms(), 1, 300000, "hold_down_ms", &out->hold_down_ms);
  bounded(pl.link_test_interval_ms(), 1000, 86400000, "link_test_interval_ms",
          &out->link_test_interval_ms);
  bounded(pl.link_test_count(), 1, 255, "link_test_count", &out->link_test_count);
}

void CheckPeer(const v1::Peer& pp, const std::string& path, size_t self,
               const ProtoList<v1::Router>& p_routers, const NameIndexes& names,
               const std::vector<SecurityPolicy>& security_policies, std::vector<Router>* routers,
               ErrorSink& errors) {
  Router* router = &(*routers)[self];
  Peer peer;
  peer.name = pp.name();
  bool ok = true;
  std::optional<size_t> other = Lookup(names.routers, pp.name());
  if (!other) {
    errors.Add(Field(path, "name"), absl::StrCat(Quote(pp.name()), " is not a defined router"));
    ok = false;
  } else if (*other == self) {
    errors.Add(Field(path, "name"),
               absl::StrCat("router ", Quote(pp.name()), " cannot be a peer of itself"));
    ok = false;
  } else {
    peer.router = *other;
    for (const Peer& prev : router->peers) {
      if (prev.name == pp.name()) {
        errors.Add(
            Field(path, "name"),
            absl::StrCat(Quote(pp.name()), " is already a peer of router ", Quote(router->name)),
            absl::StatusCode::kAlreadyExists);
        ok = false;
      }
    }
    if (ok) {
      const v1::Router& remote = p_routers[static_cast<int>(*other)];
      const bool reciprocal =
          std::any_of(remote.peers().begin(), remote.peers().end(),
                      [&](const v1::Peer& back) { return back.name() == router->name; });
      if (!reciprocal) {
        errors.Add(Field(path, "name"), absl::StrCat("router ", Quote(pp.name()), " does not list ",
                                                     Quote(router->name), " among its peers"));
      }
    }
  }
  // Either explicit paths, or interface + addresses (one path per address).
  const bool legacy = pp.addresses_size() > 0 || !pp.interface().empty();
  if (pp.paths_size() > 0 && legacy) {
    errors.Add(Field(path, "paths"),
               "give either paths, or interface and addresses, not both");
  } else if (pp.paths_size() > 0) {
    for (int k = 0; k < pp.paths_size(); ++k) {
      CheckPeerPath(pp.paths(k), Idx(Field(path, "paths"), static_cast<size_t>(k)), ok, p_routers,
                    self, *routers, &peer, errors);
    }
  } else {
    if (pp.addresses_size() == 0) {
      errors.Add(Field(path, "addresses"),
                 "at least one peer address is required (or give paths)");
    }
    std::optional<size_t> itf;
    if (pp.interface().empty()) {
      errors.Add(Field(path, "interface"),
                 "is required (the WAN interface that reaches the peer), unless paths are given");
    } else {
      itf = ResolveWan(pp.interface(), Field(path, "interface"), p_routers, self, *router, errors);
    }
    for (int a = 0; a < pp.addresses_size(); ++a) {
      const std::string apath = Idx(Field(path, "addresses"), static_cast<size_t>(a));
      std::optional<IpAddress> addr =
          ParsePeerAddress(pp.addresses(a), apath, ok, p_routers, peer, *routers, errors);
      if (!addr) continue;
      peer.addresses.push_back(*addr);
      if (itf) {
        PeerPathConfig pc;
        pc.interface = *itf;
        pc.address = *addr;
        pc.name = absl::StrCat(router->interfaces[*itf].name, ":", addr->ToString());
        peer.paths.push_back(std::move(pc));
      }
    }
    if (itf) peer.interface = *itf;
  }
  CheckLiveness(pp.liveness(), Field(path, "liveness"), &peer.liveness, errors);
  if (pp.has_waypoint_ports()) {
    const std::string wpath = Field(path, "waypoint_ports");
    if (auto range = ParsePortRange(pp.waypoint_ports(), wpath, errors)) {
      const std::string shown = ShowPorts(range->first, range->last);
      if (range->first < 1024) {
        errors.Add(wpath, absl::StrCat(shown,
                                       " starts below 1024 (well-known ports are not used "
                                       "as waypoint ports)"));
      } else if (range->size() < kMinWaypointPorts) {
        errors.Add(wpath, absl::StrCat(shown, " holds ", range->size(),
                                       range->size() == 1 ? " port" : " ports", "; at least ",
                                       kMinWaypointPorts, " are required"));
      } else if (range->Contains(kPeerLivenessPort)) {
        errors.Add(wpath, absl::StrCat(shown, " contains the peer liveness (BFD) port ",
                                       kPeerLivenessPort));
      }
      peer.waypoint_ports = *range;
      peer.parity_rule =
          range->first == kDefaultWaypointPortFirst && range->last == kDefaultWaypointPortLast;
    }
  }
  if (pp.security_policy().empty()) {
    errors.Add(Field(path, "security_policy"), "is required (how packets to the peer are signed)");
  } else if (auto sp = ResolveSecurityPolicy(pp.security_policy(), Field(path, "security_policy"),
                                             names.security_policies, errors)) {
    peer.security_policy = *sp;
    if (security_policies[*sp].hmac == HmacAlgorithm::kSha1) {
      errors.Add(Field(path, "security_policy"),
                 absl::StrCat(Quote(pp.security_policy()),
                              " uses hmac \"sha1\", which is accepted on receive only"));
    }
  }
  peer.udp_transform = pp.udp_transform();
  // The MSS bound uses the MTU of the peer's interface (9000 when it is unknown: that error is
  // reported above).
  // (With several paths, the smallest mtu of their interfaces.)
  uint32_t peer_mtu = peer.paths.empty() ? 9000 : UINT32_MAX;
  for (const PeerPathConfig& pc : peer.paths) {
    peer_mtu = std::min(peer_mtu, router->interfaces[pc.interface].mtu);
  }
  peer.enforce_mss = ParseEnforceMss(pp.enforce_mss(), peer_mtu, Field(path, "enforce_mss"), errors);
  if (pp.nat_keep_alive_seconds() > kMaxNatKeepAliveSeconds) {
    errors.Add(Field(path, "nat_keep_alive_seconds"),
               absl::StrCat(pp.nat_keep_alive_seconds(), " is above the maximum of ",
                            kMaxNatKeepAliveSeconds));
  } else {
    peer.nat_keep_alive = std::chrono::seconds(pp.nat_keep_alive_seconds());
  }
  if (pp.path_mtu() != 0) {
    // Every path's interface mtu bounds it (paths resolved above).
    bool fits = true;
    if (pp.path_mtu() < 1280 || pp.path_mtu() > 9000) {
      errors.Add(Field(path, "path_mtu"), absl::StrCat(pp.path_mtu(), " is out of range (1280-9000)"));
      fits = false;
    }
    for (const PeerPathConfig& pc : peer.paths) {
      if (!fits || pc.path_mtu != 0) continue;
      const Interface& itf = router->interfaces[pc.interface];
      if (pp.path_mtu() > itf.mtu) {
        errors.Add(Field(path, "path_mtu"),
                   absl::StrCat(pp.path_mtu(), " is above the mtu ", itf.mtu, " of interface ",
                                Quote(itf.name)));
        fits = false;
      }
    }
    if (fits) peer.path_mtu = pp.path_mtu();
  }
  // One receive policy per peer: its paths' WAN interfaces must agree on theirs.
  for (size_t k = 1; k < peer.paths.size(); ++k) {
    const Interface& a = router->interfaces[peer.paths[0].interface];
    const Interface& b = router->interfaces[peer.paths[k].interface];
    if (a.security_policy != b.security_policy) {
      errors.Add(Idx(Field(path, "paths"), k),
                 absl::StrCat("interface ", Quote(b.name), " checks received packets with another "
                              "security policy than interface ", Quote(a.name),
                              " (the first path's); a peer's paths must agree"));
      break;
    }
  }
  if (!peer.paths.empty()) {
    peer.interface = peer.paths[0].interface;
    peer.addresses.clear();
    for (const PeerPathConfig& pc : peer.paths) peer.addresses.push_back(pc.address);
  }
  router->peers.push_back(std::move(peer));
}

void CheckRoute(const v1::ServiceRoute& ps, const std::string& path, const NameIndexes& names,
                Router* router, ErrorSink& errors) {
  ServiceRoute route;
  route.name = ps.name();
  if (!IsValidName(ps.name())) {
    errors.Add(Field(path, "name"),
               absl::StrCat(Quote(ps.name()), " is not a valid name (", kNameRule, ")"));
  }
  for (const ServiceRoute& prev : router->service_routes) {
    if (prev.name == ps.name()) {
      errors.Add(
          Field(path, "name"),
          absl::StrCat(Quote(ps.name()), " is already a route of router ", Quote(router->name)),
          absl::StatusCode::kAlreadyExists);
      break;
    }
  }
  std::optional<size_t> service = Lookup(names.services, ps.service());
  if (!service) {
    errors.Add(Field(path, "service"),
               absl::StrCat(Quote(ps.service()), " is not a defined service"));
  } else {
    route.service = *service;
  }
  // Several routes of one service are chosen among by its service policy (validate_services.cc).
  constexpr uint32_t kMaxWeight = 1000;
  if (ps.weight() > kMaxWeight) {
    errors.Add(Field(path, "weight"),
               absl::StrCat(ps.weight(), " is out of range (0-", kMaxWeight, "; 0 means 1)"));
  } else {
    route.weight = ps.weight() == 0 ? 1 : ps.weight();
  }
  switch (ps.target_case()) {
    case v1::ServiceRoute::kPeer: {
      route.kind = ServiceRoute::Kind::kPeer;
      bool found = false;
      for (size_t i = 0; i < router->peers.size(); ++i) {
        if (router->peers[i].name == ps.peer()) {
          route.peer = i;
          found = true;
        }
      }
      if (!found) {
        errors.Add(Field(path, "peer"), absl::StrCat(Quote(ps.peer()), " is not a peer of router ",
                                                     Quote(router->name)));
      }
      break;
    }
    case v1::ServiceRoute::kNextHop: {
      route.kind = ServiceRoute::Kind::kNextHop;
      const std::string npath = Field(path, "next_hop");
      const auto& nh = ps.next_hop();
      std::optional<size_t> itf = router->InterfaceIndex(nh.interface());
      if (nh.interface().empty()) {
        errors.Add(Field(npath, "interface"), "is required (the LAN interface of the next hop)");
      } else if (!itf) {
        errors.Add(Field(npath, "interface"),
                   absl::StrCat(Quote(nh.interface()), " is not an interface of router ",
                                Quote(router->name)));
      } else if (router->interfaces[*itf].role != InterfaceRole::kLan) {
        errors.Add(Field(npath, "interface"),
                   absl::StrCat(Quote(nh.interface()),
                                " is a WAN interface; a local next hop is on a LAN interface"));
      } else {
        route.interface = *itf;
      }
      if (!nh.gateway().empty()) {
        route.gateway = ParseAddress(nh.gateway(), Field(npath, "gateway"), errors);
        if (route.gateway && itf && router->interfaces[*itf].role == InterfaceRole::kLan) {
          const auto& addrs = router->interfaces[*itf].addresses;
          const bool on_subnet = std::any_of(
              addrs.begin(), addrs.end(),
              [&](const InterfaceAddress& ia) { return ia.subnet().Contains(*route.gateway); });
          if (!on_subnet) {
            errors.Add(Field(npath, "gateway"),
                       absl::StrCat(Quote(nh.gateway()), " is not on a subnet of interface ",
                                    Quote(nh.interface())));
          }
        }
      }
      break;
    }
    case v1::ServiceRoute::TARGET_NOT_SET:
      errors.Add(path, "one of next_hop or peer is required");
      break;
  }
  router->service_routes.push_back(std::move(route));
}

}  // namespace

std::vector<Router> ValidateRouters(const ProtoList<v1::Router>& p_routers,
                                    const NameIndex& policy_names, ErrorSink& errors) {
  std::vector<Router> result(static_cast<size_t>(p_routers.size()));
  if (p_routers.empty()) errors.Add("routers", "at least one router is required");
  for (int r = 0; r < p_routers.size(); ++r) {
    const v1::Router& pr = p_routers[r];
    const std::string path = Idx("routers", static_cast<size_t>(r));
    Router& router = result[static_cast<size_t>(r)];
    router.name = pr.name();
    for (int i = 0; i < pr.interfaces_size(); ++i) {
      CheckInterface(pr.interfaces(i), Idx(Field(path, "interfaces"), static_cast<size_t>(i)),
                     policy_names, &router, errors);
    }
    CheckInterfaceSubnets(pr, path, errors);
    for (int m = 0; m < pr.management_addresses_size(); ++m) {
      const std::string mpath = Idx(Field(path, "management_addresses"), static_cast<size_t>(m));
      if (auto a = ParseAddress(pr.management_addresses(m), mpath, errors)) {
        router.management_addresses.push_back(*a);
      }
    }
  }
  return result;
}

void ValidateRouterReferences(const ProtoList<v1::Router>& p_routers, const NameIndexes& names,
                              const std::vector<SecurityPolicy>& security_policies,
                              ErrorSink& errors, std::vector<Router>* routers) {
  for (int r = 0; r < p_routers.size(); ++r) {
    const v1::Router& pr = p_routers[r];
    const std::string path = Idx("routers", static_cast<size_t>(r));
    for (int i = 0; i < pr.peers_size(); ++i) {
      CheckPeer(pr.peers(i), Idx(Field(path, "peers"), static_cast<size_t>(i)),
                static_cast<size_t>(r), p_routers, names, security_policies, routers, errors);
    }
    for (int i = 0; i < pr.service_routes_size(); ++i) {
      CheckRoute(pr.service_routes(i), Idx(Field(path, "service_routes"), static_cast<size_t>(i)),
                 names, &(*routers)[static_cast<size_t>(r)], errors);
    }
  }
}

}  // namespace ssr::config::internal
