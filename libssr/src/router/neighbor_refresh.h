// SPDX-License-Identifier: Apache-2.0
// Neighbour refresh of a Router: reads the kernel's neighbour table, hands the entries of the
// router's interfaces to the workers, and kicks kernel resolution of the next hops the kernel
// does not know yet (peers, gateways, directly connected host services).
//
// Thread-safety: Refresh() runs on one thread at a time (the control thread, or Router::Create
// before any worker runs); SetNextHops() and refreshes() may be called from any thread.
#ifndef SSR_ROUTER_NEIGHBOR_REFRESH_H_
#define SSR_ROUTER_NEIGHBOR_REFRESH_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "config/model.h"
#include "router/netdev.h"
#include "router/worker.h"
#include "util/ip_address.h"

namespace ssr::router {

// A host the kernel should know a MAC for, on a config interface.
struct NextHop {
  size_t interface = 0;
  util::IpAddress address;
};
// Peers, gateways and directly connected host services of `r`.
std::vector<NextHop> NextHopsOf(const config::Config& cfg, const config::Router& r);

// By config interface of `r`: the 802.1Q tag its IP neighbours are on (a WAN interface's `vlan`;
// 0 = untagged, the interface itself).
std::vector<uint16_t> NeighborVlansOf(const config::Router& r);

// The kernel interface holding the neighbours of a config interface, and resolving its next hops.
struct NeighborDevice {
  int ifindex = 0;
  std::string name;
  friend bool operator==(const NeighborDevice&, const NeighborDevice&) = default;
};
// By config interface: the VLAN device of `ifindexes[i]` with id `vlans[i]` among `links` when
// vlans[i] != 0 and there is one (the kernel resolves a tagged WAN's peers there: its addresses
// are on e.g. wan0.20, not wan0), else the interface itself (ifindexes[i], os_names[i]).
std::vector<NeighborDevice> NeighborDevicesOf(const std::vector<int>& ifindexes,
                                              const std::vector<std::string>& os_names,
                                              const std::vector<uint16_t>& vlans,
                                              const std::vector<KernelVlanLink>& links);
// The kernel's neighbours on `devices`, as entries of the config interface each device serves.
std::vector<NeighborEntry> NeighborEntriesOf(const std::vector<NeighborDevice>& devices,
                                             const std::vector<KernelNeighbor>& kernel);

// Sum of the workers' no_neighbor drops (as of their last counter copy).
uint64_t NoNeighborDrops(const std::vector<std::unique_ptr<Worker>>& workers);

class NeighborRefresh {
 public:
  // `os_names` and `ifindexes` by config interface index.
  NeighborRefresh(std::vector<std::string> os_names, std::vector<int> ifindexes);

  // Replaces the next hops to resolve (after a reload).
  void SetNextHops(std::vector<NextHop> hops);
  // Replaces the per-interface VLANs (NeighborVlansOf) whose VLAN devices hold the neighbours.
  void SetInterfaceVlans(std::vector<uint16_t> vlans);

  // Reads the kernel's neighbour table, publishes the router's entries to `workers` when they
  // changed (through WorkerShared when `running`, or applied directly when not), and kicks
  // resolution of next hops the kernel does not know (each at most once per second): the
  // configured ones (SetNextHops) and those the workers found no MAC for (their snapshots'
  // neighbor_misses, taken here). Returns the number of kicks.
  int Refresh(const std::vector<std::unique_ptr<Worker>>& workers, bool running);

  // Neighbour lists published so far.
  uint64_t refreshes() const { return refreshes_.load(std::memory_order_relaxed); }
  // Kernel resolutions asked so far.
  uint64_t kicks() const { return kicks_.load(std::memory_order_relaxed); }

 private:
  const std::vector<std::string> os_names_;
  const std::vector<int> ifindexes_;
  std::mutex hops_mu_;
  std::vector<NextHop> next_hops_;
  std::vector<uint16_t> vlans_;  // guarded by hops_mu_
  std::vector<NeighborEntry> last_neighbors_;
  std::map<std::pair<size_t, std::string>, std::chrono::steady_clock::time_point> last_kick_;
  uint64_t request_ = 0;
  std::atomic<uint64_t> refreshes_{0};
  std::atomic<uint64_t> kicks_{0};
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_NEIGHBOR_REFRESH_H_
