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
  if (pp.addresses_size() == 0) {
    errors.Add(Field(path, "addresses"), "at least one peer address is required");
  }
  for (int a = 0; a < pp.addresses_size(); ++a) {
    const std::string apath = Idx(Field(path, "addresses"), static_cast<size_t>(a));
    std::optional<IpAddress> addr = ParseAddress(pp.addresses(a), apath, errors);
    if (!addr) continue;
    if (ok) {
      bool found = false;
      const std::vector<Interface>& remote_itfs = (*routers)[peer.router].interfaces;
      for (size_t k = 0; k < remote_itfs.size(); ++k) {
        if (remote_itfs[k].role != InterfaceRole::kWan && RoleKnown(p_routers, peer.router, k)) {
          continue;
        }
        for (const InterfaceAddress& ia : remote_itfs[k].addresses) found |= ia.address == *addr;
      }
      if (!found) {
        errors.Add(apath, absl::StrCat(Quote(pp.addresses(a)),
                                       " is not an address of a WAN interface of router ",
                                       Quote(pp.name())));
      }
    }
    peer.addresses.push_back(*addr);
  }
  if (pp.interface().empty()) {
    errors.Add(Field(path, "interface"), "is required (the WAN interface that reaches the peer)");
  } else if (std::optional<size_t> itf = router->InterfaceIndex(pp.interface()); !itf) {
    errors.Add(Field(path, "interface"),
               absl::StrCat(Quote(pp.interface()), " is not an interface of router ",
                            Quote(router->name)));
  } else if (router->interfaces[*itf].role != InterfaceRole::kWan) {
    if (RoleKnown(p_routers, self, *itf)) {
      errors.Add(Field(path, "interface"),
                 absl::StrCat(Quote(pp.interface()),
                              " is a LAN interface; peers are reached over a WAN interface"));
    }
  } else {
    peer.interface = *itf;
  }
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
  const std::optional<size_t> mtu_itf = router->InterfaceIndex(pp.interface());
  const uint32_t peer_mtu = mtu_itf ? router->interfaces[*mtu_itf].mtu : 9000;
  peer.enforce_mss = ParseEnforceMss(pp.enforce_mss(), peer_mtu, Field(path, "enforce_mss"), errors);
  if (pp.nat_keep_alive_seconds() > kMaxNatKeepAliveSeconds) {
    errors.Add(Field(path, "nat_keep_alive_seconds"),
               absl::StrCat(pp.nat_keep_alive_seconds(), " is above the maximum of ",
                            kMaxNatKeepAliveSeconds));
  } else {
    peer.nat_keep_alive = std::chrono::seconds(pp.nat_keep_alive_seconds());
  }
  if (pp.path_mtu() != 0) {
    // The interface's mtu bounds it once the interface resolved to a WAN interface above.
    const bool itf_ok = !pp.interface().empty() && peer.interface < router->interfaces.size() &&
                        router->interfaces[peer.interface].name == pp.interface();
    if (pp.path_mtu() < 1280 || pp.path_mtu() > 9000) {
      errors.Add(Field(path, "path_mtu"), absl::StrCat(pp.path_mtu(), " is out of range (1280-9000)"));
    } else if (itf_ok && pp.path_mtu() > router->interfaces[peer.interface].mtu) {
      errors.Add(Field(path, "path_mtu"),
                 absl::StrCat(pp.path_mtu(), " is above the mtu ",
                              router->interfaces[peer.interface].mtu, " of interface ",
                              Quote(pp.interface())));
    } else {
      peer.path_mtu = pp.path_mtu();
    }
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
