// SPDX-License-Identifier: Apache-2.0
// NeighborTable: (interface, IP address) -> MAC address for the frames the pipeline emits.
//
// Design note. The pipeline writes complete Ethernet frames, so it needs the MAC of every next
// hop: clients and servers on LAN interfaces, peers on WAN interfaces. Entries come from the
// embedding program (static neighbours, or the kernel's neighbour table read off the hot path)
// and are learned from received frames (source IP -> source MAC on the receiving interface), which
// covers every host that has sent the router a packet. The table is a fixed-capacity open-
// addressing array allocated once: Learn and Find never allocate. When it is full, learning a new
// host replaces nothing and is counted by the caller (Learn returns false); static entries are
// never overwritten by learning.
//
// Misses: the pipeline notes each next hop it found no MAC for (NoteMiss, at most kMaxMisses
// distinct ones until the embedding program takes them with TakeMisses), so that the program can
// ask the kernel to resolve exactly those hosts off the hot path (a server inside a service
// prefix is known to nobody until its first packet; router/neighbor_refresh.h). Both are fixed
// arrays: nothing is allocated.
#ifndef SSR_PIPELINE_NEIGHBOR_TABLE_H_
#define SSR_PIPELINE_NEIGHBOR_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/hash/hash.h"
#include "packet/header_views.h"
#include "util/ip_address.h"

namespace ssr::pipeline {

// A next hop the pipeline had no MAC for.
struct NeighborMiss {
  uint16_t interface = 0;
  util::IpAddress address;
  friend bool operator==(const NeighborMiss&, const NeighborMiss&) = default;
};

class NeighborTable {
 public:
  static constexpr size_t kMaxMisses = 16;

  // `capacity` is rounded up to a power of two >= 2 x capacity (load <= 0.5).
  explicit NeighborTable(size_t capacity = 4096) {
    size_t n = 16;
    while (n < capacity * 2) n <<= 1;
    slots_.resize(n);
    mask_ = n - 1;
  }

  // Adds or replaces an entry the embedding program knows; never replaced by learning.
  bool SetStatic(uint16_t interface, const util::IpAddress& ip, const packet::MacAddress& mac) {
    return Put(interface, ip, mac, true);
  }
  // Records what a received frame showed. False when the table is full.
  bool Learn(uint16_t interface, const util::IpAddress& ip, const packet::MacAddress& mac) {
    return Put(interface, ip, mac, false);
  }
  const packet::MacAddress* Find(uint16_t interface, const util::IpAddress& ip) const {
    for (size_t i = Home(interface, ip), probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.interface == interface && s.ip == ip) return &s.mac;
    }
    return nullptr;
  }
  size_t size() const { return size_; }

  // Records a next hop without a MAC (once until taken; dropped when kMaxMisses are pending).
  void NoteMiss(uint16_t interface, const util::IpAddress& ip) {
    const NeighborMiss m{interface, ip};
    for (size_t i = 0; i < miss_count_; ++i) {
      if (misses_[i] == m) return;
    }
    if (miss_count_ < kMaxMisses) misses_[miss_count_++] = m;
  }
  // Copies up to out.size() pending misses to `out`, forgets them, returns how many.
  size_t TakeMisses(std::span<NeighborMiss> out) {
    const size_t n = miss_count_ < out.size() ? miss_count_ : out.size();
    for (size_t i = 0; i < n; ++i) out[i] = misses_[i];
    for (size_t i = n; i < miss_count_; ++i) misses_[i - n] = misses_[i];
    miss_count_ -= n;
    return n;
  }
  size_t pending_misses() const { return miss_count_; }

 private:
  struct Slot {
    util::IpAddress ip;
    packet::MacAddress mac{};
    uint16_t interface = 0;
    bool used = false;
    bool is_static = false;
  };
  size_t Home(uint16_t interface, const util::IpAddress& ip) const {
    return absl::HashOf(interface, ip) & mask_;
  }
  bool Put(uint16_t interface, const util::IpAddress& ip, const packet::MacAddress& mac,
           bool is_static) {
    for (size_t i = Home(interface, ip), probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
      Slot& s = slots_[i];
      if (!s.used) {
        if (!is_static && size_ * 2 >= slots_.size()) return false;
        s = Slot{ip, mac, interface, true, is_static};
        ++size_;
        return true;
      }
      if (s.interface == interface && s.ip == ip) {
        if (s.is_static && !is_static) return true;
        s.mac = mac;
        s.is_static = is_static;
        return true;
      }
    }
    return false;
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  std::array<NeighborMiss, kMaxMisses> misses_{};
  size_t miss_count_ = 0;
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_NEIGHBOR_TABLE_H_
