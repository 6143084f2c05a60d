// SPDX-License-Identifier: Apache-2.0
#include "router/neighbor_refresh.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "router/netdev.h"
#include "ssr/log.h"

namespace ssr::router {

std::vector<NextHop> NextHopsOf(const config::Config& cfg, const config::Router& r) {
  std::vector<NextHop> out;
  for (const config::Peer& p : r.peers) {
    for (const config::PeerPathConfig& path : p.paths) out.push_back({path.interface, path.address});
  }
  for (const config::ServiceRoute& sr : r.service_routes) {
    if (sr.kind != config::ServiceRoute::Kind::kNextHop) continue;
    if (sr.gateway.has_value()) {
      out.push_back({sr.interface, *sr.gateway});
      continue;
    }
    if (sr.service >= cfg.services.size()) continue;
    for (const util::IpPrefix& pfx : cfg.services[sr.service].prefixes) {
      if (pfx.length() == pfx.address().bit_width()) out.push_back({sr.interface, pfx.address()});
    }
  }
  return out;
}

std::vector<uint16_t> NeighborVlansOf(const config::Router& r) {
  std::vector<uint16_t> out;
  out.reserve(r.interfaces.size());
  for (const config::Interface& i : r.interfaces) out.push_back(i.vlan);
  return out;
}

std::vector<NeighborDevice> NeighborDevicesOf(const std::vector<int>& ifindexes,
                                              const std::vector<std::string>& os_names,
                                              const std::vector<uint16_t>& vlans,
                                              const std::vector<KernelVlanLink>& links) {
  std::vector<NeighborDevice> out;
  out.reserve(ifindexes.size());
  for (size_t i = 0; i < ifindexes.size(); ++i) {
    NeighborDevice d{ifindexes[i], i < os_names.size() ? os_names[i] : std::string()};
    const uint16_t vlan = i < vlans.size() ? vlans[i] : 0;
    if (vlan != 0) {
      for (const KernelVlanLink& l : links) {
        if (l.parent_ifindex == ifindexes[i] && l.vlan == vlan) {
          d = {l.ifindex, l.name};
          break;
        }
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<NeighborEntry> NeighborEntriesOf(const std::vector<NeighborDevice>& devices,
                                             const std::vector<KernelNeighbor>& kernel) {
  std::vector<NeighborEntry> list;
  for (const KernelNeighbor& kn : kernel) {
    for (size_t i = 0; i < devices.size(); ++i) {
      if (devices[i].ifindex == kn.ifindex)
        list.push_back({static_cast<uint16_t>(i), kn.address, kn.mac});
    }
  }
  return list;
}

uint64_t NoNeighborDrops(const std::vector<std::unique_ptr<Worker>>& workers) {
  uint64_t sum = 0;
  for (const auto& w : workers) {
    std::lock_guard<std::mutex> lock(w->shared().mu);
    sum += w->shared().snapshot.pipeline.Get(pipeline::PipelineCounter::kNoNeighbor);
  }
  return sum;
}

NeighborRefresh::NeighborRefresh(std::vector<std::string> os_names, std::vector<int> ifindexes)
    : os_names_(std::move(os_names)), ifindexes_(std::move(ifindexes)) {}

void NeighborRefresh::SetNextHops(std::vector<NextHop> hops) {
  std::lock_guard<std::mutex> lock(hops_mu_);
  next_hops_ = std::move(hops);
}

void NeighborRefresh::SetInterfaceVlans(std::vector<uint16_t> vlans) {
  std::lock_guard<std::mutex> lock(hops_mu_);
  vlans_ = std::move(vlans);
}

int NeighborRefresh::Refresh(const std::vector<std::unique_ptr<Worker>>& workers, bool running) {
  auto dump = DumpKernelNeighbors();
  if (!dump.ok()) {
    Log(LogSeverity::kWarning, "router",
        absl::StrCat("kernel neighbours: ", dump.status().message()));
    return 0;
  }
  std::vector<NextHop> hops;
  std::vector<uint16_t> vlans;
  {
    std::lock_guard<std::mutex> lock(hops_mu_);
    hops = next_hops_;
    vlans = vlans_;
  }
  std::vector<KernelVlanLink> links;
  if (std::any_of(vlans.begin(), vlans.end(), [](uint16_t v) { return v != 0; })) {
    auto l = DumpKernelVlanLinks();
    if (l.ok()) {
      links = std::move(*l);
    } else {
      Log(LogSeverity::kWarning, "router",
          absl::StrCat("kernel VLAN devices: ", l.status().message()));
    }
  }
  const std::vector<NeighborDevice> devices =
      NeighborDevicesOf(ifindexes_, os_names_, vlans, links);
  std::vector<NeighborEntry> list = NeighborEntriesOf(devices, *dump);
  for (const auto& w : workers) {
    std::lock_guard<std::mutex> lock(w->shared().mu);
    WorkerSnapshot& s = w->shared().snapshot;
    for (size_t i = 0; i < s.neighbor_miss_count; ++i) {
      hops.push_back({s.neighbor_misses[i].interface, s.neighbor_misses[i].address});
    }
    s.neighbor_miss_count = 0;
  }
  int kicks = 0;
  const auto now = std::chrono::steady_clock::now();
  // Bounded: entries older than the rate limit are of no use.
  if (last_kick_.size() > 4096) {
    std::erase_if(last_kick_,
                  [&](const auto& e) { return now - e.second >= std::chrono::seconds(1); });
  }
  for (const NextHop& h : hops) {
    const bool known = std::any_of(list.begin(), list.end(), [&](const NeighborEntry& e) {
      return e.interface == h.interface && e.address == h.address;
    });
    if (known || h.interface >= devices.size()) continue;
    auto& last = last_kick_[{h.interface, h.address.ToString()}];
    if (now - last < std::chrono::seconds(1)) continue;
    last = now;
    ++kicks;
    kicks_.fetch_add(1, std::memory_order_relaxed);
    (void)KickNeighborResolution(devices[h.interface].name, h.address);
  }
  if (list == last_neighbors_) return kicks;
  last_neighbors_ = list;
  auto shared = std::make_shared<const std::vector<NeighborEntry>>(std::move(list));
  if (running) {
    ++request_;
    for (const auto& w : workers) {
      std::lock_guard<std::mutex> lock(w->shared().mu);
      w->shared().neighbors = shared;
      w->shared().neighbor_request.store(request_, std::memory_order_release);
    }
  } else {
    for (const auto& w : workers) w->ApplyNeighbors(*shared);
  }
  refreshes_.fetch_add(1, std::memory_order_relaxed);
  return kicks;
}

}  // namespace ssr::router
