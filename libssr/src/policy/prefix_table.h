// SPDX-License-Identifier: Apache-2.0
// Longest-prefix-match table for IPv4 and IPv6.
//
// Design note: one hash map per prefix length that actually occurs (per family), probed from the
// longest length down. Configs have a handful of distinct lengths, so a lookup is a few hash
// probes on masked addresses — simple, exact, and built on abseil's flat_hash_map instead of a
// hand-written trie. Built once per config snapshot, read-only afterwards, so lookups from many
// workers need no locking. A lookup that must keep searching shorter prefixes when the longest
// match is rejected by the caller (service transports) uses ForEachMatch.
#ifndef SSR_POLICY_PREFIX_TABLE_H_
#define SSR_POLICY_PREFIX_TABLE_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "util/ip_address.h"

namespace ssr::policy {

template <typename Value>
class PrefixTable {
 public:
  // Adds `prefix` → `value`. Returns false (and keeps the old value) if the exact prefix exists.
  bool Insert(const util::IpPrefix& prefix, Value value) {
    Family& f = FamilyOf(prefix.family());
    auto& level = f.levels[prefix.length()];
    const bool inserted = level.try_emplace(prefix.address(), std::move(value)).second;
    if (inserted && std::find(f.lengths.begin(), f.lengths.end(), prefix.length()) ==
                        f.lengths.end()) {
      f.lengths.push_back(prefix.length());
      std::sort(f.lengths.begin(), f.lengths.end(), std::greater<int>());
    }
    return inserted;
  }

  // The value of the longest prefix containing `address`, or nullptr.
  const Value* Lookup(const util::IpAddress& address) const {
    const Family& f = FamilyOf(address.family());
    for (int length : f.lengths) {
      const auto& level = f.levels[length];
      auto it = level.find(address.Masked(length));
      if (it != level.end()) return &it->second;
    }
    return nullptr;
  }

  // Calls fn(length, value) for every prefix containing `address`, longest first, until fn
  // returns true. Returns whether some call returned true.
  template <typename Fn>
  bool ForEachMatch(const util::IpAddress& address, Fn&& fn) const {
    const Family& f = FamilyOf(address.family());
    for (int length : f.lengths) {
      const auto& level = f.levels[length];
      auto it = level.find(address.Masked(length));
      if (it != level.end() && fn(length, it->second)) return true;
    }
    return false;
  }

  Value* FindExact(const util::IpPrefix& prefix) {
    Family& f = FamilyOf(prefix.family());
    auto it = f.levels[prefix.length()].find(prefix.address());
    return it == f.levels[prefix.length()].end() ? nullptr : &it->second;
  }

  size_t size() const {
    size_t n = 0;
    for (const Family* f : {&v4_, &v6_}) {
      for (const auto& level : f->levels) n += level.size();
    }
    return n;
  }

 private:
  struct Family {
    explicit Family(int width) : levels(static_cast<size_t>(width) + 1) {}
    std::vector<absl::flat_hash_map<util::IpAddress, Value>> levels;  // by prefix length
    std::vector<int> lengths;                                         // present, longest first
  };
  Family& FamilyOf(util::IpFamily family) { return family == util::IpFamily::kIpv4 ? v4_ : v6_; }
  const Family& FamilyOf(util::IpFamily family) const {
    return family == util::IpFamily::kIpv4 ? v4_ : v6_;
  }

  Family v4_{32};
  Family v6_{128};
};

}  // namespace ssr::policy

#endif  // SSR_POLICY_PREFIX_TABLE_H_
