// SPDX-License-Identifier: Apache-2.0
// The kernel's ephemeral ports against the router's waypoint ports.
//
// Design note: the XDP gate drops every packet to a waypoint port (or UDP 1280) of a WAN address
// that does not come from a peer (docs/protocol.md §6), so replies to the router host's own
// outgoing connections from a WAN address (DNS, NTP, package updates) are dropped when the
// kernel picks their local port inside a waypoint range — which Linux's default ephemeral range
// (32768-60999) is, against the default waypoint range (16384-65534). The router cannot fix this
// for the host; it says so once at Create, naming the overlap and the remedies.
#ifndef SSR_ROUTER_PORT_RANGES_H_
#define SSR_ROUTER_PORT_RANGES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"

namespace ssr::router {

// Where Linux keeps the ephemeral port range (of the reading thread's network namespace).
inline constexpr char kLocalPortRangePath[] = "/proc/sys/net/ipv4/ip_local_port_range";

// Parses the file's contents, two port numbers ("32768\t60999\n"). InvalidArgument naming the text
// when it is not two ports 1..65535 with first <= last.
absl::StatusOr<config::PortRange> ParseLocalPortRange(std::string_view text);

// One warning per WAN interface of `router` whose peers' waypoint ranges overlap `ephemeral`
// (empty when none does).
std::vector<std::string> EphemeralPortWarnings(const config::Router& router,
                                               config::PortRange ephemeral);

}  // namespace ssr::router

#endif  // SSR_ROUTER_PORT_RANGES_H_
