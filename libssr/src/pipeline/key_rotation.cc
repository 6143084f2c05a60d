// SPDX-License-Identifier: Apache-2.0
#include "pipeline/key_rotation.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace ssr::pipeline {

std::vector<crypto::KeyEntry> ConfigKeyEntries(const config::Config& cfg,
                                               const config::SecurityPolicy& p, bool hop) {
  std::vector<crypto::KeyEntry> entries;
  const size_t nh = hop ? p.hmac_keys.size() : 0;
  const size_t nc = p.encryption_keys.size();
  const size_t n = std::max(nh, nc);
  for (size_t i = 0; i < n; ++i) {
    crypto::KeyEntry e;
    e.role = i == 0 ? crypto::KeyRole::kCurrent : crypto::KeyRole::kPrevious;
    if (nh != 0) {
      const config::Key& k = cfg.keys[p.hmac_keys[std::min(i, nh - 1)]];
      e.material.hmac_key.assign(k.material.bytes().begin(), k.material.bytes().end());
      e.id = k.id;
    }
    if (nc != 0) {
      const config::Key& k = cfg.keys[p.encryption_keys[std::min(i, nc - 1)]];
      e.material.cipher_key.assign(k.material.bytes().begin(), k.material.bytes().end());
      if (nh == 0) e.id = k.id;
    }
    entries.push_back(std::move(e));
  }
  if (entries.empty()) {
    // A policy without HMAC and cipher has no keys; the crypto layer still wants one (keyless)
    // entry, whose Security ID 1 goes on the wire and is never looked up.
    crypto::KeyEntry e;
    e.id = 1;
    entries.push_back(std::move(e));
  }
  return entries;
}

crypto::KeySnapshot KeyRotation::Snapshot(const config::Config& cfg,
                                          const config::SecurityPolicy& p, bool hop) const {
  std::vector<crypto::KeyEntry> entries = ConfigKeyEntries(cfg, p, hop);
  const auto listed = [&entries](uint32_t id) -> crypto::KeyEntry* {
    for (crypto::KeyEntry& e : entries) {
      if (e.id == id) return &e;
    }
    return nullptr;
  };
  std::vector<const Retired*> mine;
  for (const Retired& r : retired_) {
    if (r.policy == p.name && r.hop == hop && r.entry.id != entries.front().id) {
      mine.push_back(&r);
    }
  }
  std::sort(mine.begin(), mine.end(), [](const Retired* a, const Retired* b) {
    return a->entry.accept_until_ms > b->entry.accept_until_ms;
  });
  for (const Retired* r : mine) {
    if (crypto::KeyEntry* e = listed(r->entry.id)) {
      e->accept_until_ms = r->entry.accept_until_ms;  // still listed, but demoted: overlap applies
    } else if (entries.size() < crypto::kMaxKeysPerStore) {
      entries.push_back(r->entry);
    }
  }
  return crypto::KeySnapshot(0, std::move(entries));
}

void KeyRotation::Reload(const config::Config& old_cfg, const config::Config& new_cfg,
                         uint64_t now_ms) {
  std::vector<Retired> next;
  for (const bool hop : {true, false}) {
    for (const config::SecurityPolicy& np : new_cfg.security_policies) {
      const std::vector<crypto::KeyEntry> now_listed = ConfigKeyEntries(new_cfg, np, hop);
      const uint32_t current = now_listed.front().id;
      const auto in_new = [&now_listed](uint32_t id) {
        return std::any_of(now_listed.begin(), now_listed.end(),
                           [id](const crypto::KeyEntry& e) { return e.id == id; });
      };
      const auto retired = [&next, &np, hop](uint32_t id) {
        return std::any_of(next.begin(), next.end(), [&](const Retired& r) {
          return r.policy == np.name && r.hop == hop && r.entry.id == id;
        });
      };
      // Retired before and still in its overlap, unless it sends again.
      for (const Retired& r : retired_) {
        if (r.policy == np.name && r.hop == hop && r.entry.id != current &&
            now_ms < r.entry.accept_until_ms) {
          next.push_back(r);
        }
      }
      const std::optional<size_t> op = old_cfg.SecurityPolicyIndex(np.name);
      if (!op) continue;
      const uint64_t overlap_ms =
          np.key_rotation_overlap.count() == 0
              ? kDefaultKeyOverlapMs
              : static_cast<uint64_t>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(np.key_rotation_overlap)
                        .count());
      std::vector<crypto::KeyEntry> was =
          ConfigKeyEntries(old_cfg, old_cfg.security_policies[*op], hop);
      for (size_t i = 0; i < was.size(); ++i) {
        crypto::KeyEntry& e = was[i];
        if (e.id == current || retired(e.id)) continue;
        // The old sending key, demoted; or an accepted key the new config dropped.
        if (i == 0 || !in_new(e.id)) {
          e.role = crypto::KeyRole::kPrevious;
          e.accept_until_ms = now_ms + overlap_ms;
          next.push_back(Retired{np.name, hop, std::move(e)});
        }
      }
    }
  }
  retired_ = std::move(next);
}

}  // namespace ssr::pipeline
