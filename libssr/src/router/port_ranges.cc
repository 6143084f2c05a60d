// SPDX-License-Identifier: Apache-2.0
#include "router/port_ranges.h"

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace ssr::router {

absl::StatusOr<config::PortRange> ParseLocalPortRange(std::string_view text) {
  std::istringstream in{std::string(text)};
  int64_t first = 0;
  int64_t last = 0;
  std::string extra;
  if (!(in >> first >> last) || (in >> extra) || first < 1 || last > 65535 || first > last) {
    return absl::InvalidArgumentError(absl::StrCat(kLocalPortRangePath, ": \"", std::string(text),
                                                   "\" is not two ports first <= last"));
  }
  return config::PortRange{static_cast<uint16_t>(first), static_cast<uint16_t>(last)};
}

std::vector<std::string> EphemeralPortWarnings(const config::Router& router,
                                               config::PortRange ephemeral) {
  std::vector<std::string> warnings;
  for (size_t i = 0; i < router.interfaces.size(); ++i) {
    const config::Interface& itf = router.interfaces[i];
    if (itf.role != config::InterfaceRole::kWan) continue;
    for (const config::Peer& peer : router.peers) {
      const bool on_itf = std::any_of(peer.paths.begin(), peer.paths.end(),
                                      [&](const config::PeerPathConfig& p) {
                                        return p.interface == i;
                                      });
      if (!on_itf || !peer.waypoint_ports.Overlaps(ephemeral)) continue;
      const uint16_t from = std::max(peer.waypoint_ports.first, ephemeral.first);
      const uint16_t to = std::min(peer.waypoint_ports.last, ephemeral.last);
      warnings.push_back(absl::StrCat(
          "the kernel's ephemeral ports ", ephemeral.first, "-", ephemeral.last,
          " overlap the waypoint ports ", peer.waypoint_ports.first, "-",
          peer.waypoint_ports.last, " of peer \"", peer.name, "\" on WAN interface \"",
          itf.name, "\" (", from, "-", to, "): the gate drops replies to this host's own "
          "connections from that interface's addresses on those ports; set "
          "net.ipv4.ip_local_port_range outside the waypoint ranges, use another source address, "
          "or narrow the peer's waypoint_ports"));
      break;  // one warning per interface is enough
    }
  }
  return warnings;
}

}  // namespace ssr::router
