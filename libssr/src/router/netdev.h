// SPDX-License-Identifier: Apache-2.0
// Linux interface helpers for the router layer: index, MAC address, RX queue count, XDP clean-up,
// and the kernel's neighbour table. All act in the calling thread's network namespace, through
// ioctl / netlink sockets (never /sys, which shows the mount namespace's view, not the thread's
// network namespace). None of this is on the packet path.
#ifndef SSR_ROUTER_NETDEV_H_
#define SSR_ROUTER_NETDEV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "packet/header_views.h"
#include "util/ip_address.h"

namespace ssr::router {

// if_nametoindex; NotFound naming the interface.
absl::StatusOr<int> InterfaceIndex(const std::string& name);
// SIOCGIFHWADDR.
absl::StatusOr<packet::MacAddress> InterfaceMac(const std::string& name);
// RX (or combined) channel count from ETHTOOL_GCHANNELS; 1 when the driver reports none.
uint32_t RxQueueCount(const std::string& name);

// Detaches every XDP program from `name`: libxdp's view first (dispatcher or legacy program,
// with its bpffs pins), then a plain netlink detach for each of the skb / driver / hardware
// modes still reporting a program. NotFound when the interface does not exist.
absl::Status DetachAllXdp(const std::string& name);

struct KernelNeighbor {
  int ifindex = 0;
  util::IpAddress address;
  packet::MacAddress mac{};
};
// RTM_GETNEIGH dump (IPv4 and IPv6) of entries with a link-layer address in a usable state
// (reachable, stale, delay, probe, permanent, noarp).
absl::StatusOr<std::vector<KernelNeighbor>> DumpKernelNeighbors();

// An 802.1Q VLAN device (e.g. wan0.20) on top of another interface.
struct KernelVlanLink {
  int ifindex = 0;
  int parent_ifindex = 0;  // IFLA_LINK
  uint16_t vlan = 0;       // IFLA_VLAN_ID
  std::string name;
};
// RTM_GETLINK dump of the VLAN devices (kind "vlan", protocol 802.1Q) of the namespace.
absl::StatusOr<std::vector<KernelVlanLink>> DumpKernelVlanLinks();

// Makes the kernel resolve `address` on interface `name` by sending one UDP datagram to its
// discard port (9) through that interface. Errors are returned but harmless (e.g. off-link).
absl::Status KickNeighborResolution(const std::string& name, const util::IpAddress& address);

}  // namespace ssr::router

#endif  // SSR_ROUTER_NETDEV_H_
