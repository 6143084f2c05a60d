// SPDX-License-Identifier: Apache-2.0
#include "pipeline/key_rotation.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/rekey.h"
#include "util/status_macros.h"

namespace ssr::pipeline {
namespace {
// HMAC key length of an epoch key (SHA-256's output size).
constexpr size_t kRekeyHmacKeySize = 32;
}  // namespace

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

absl::StatusOr<std::vector<crypto::KeyEntry>> EpochKeyEntries(const config::Config& cfg,
                                                              const config::SecurityPolicy& p,
                                                              std::string_view local,
                                                              std::string_view remote,
                                                              uint64_t now_ms) {
  const uint64_t interval_ms = static_cast<uint64_t>(p.rekey_interval.count()) * 1000;
  const uint64_t skew_ms = static_cast<uint64_t>(p.rekey_max_clock_skew.count()) * 1000;
  if (interval_ms == 0 || !p.rekey_master_key) {
    return absl::FailedPreconditionError(
        absl::StrCat("security policy \"", p.name, "\" does not rekey"));
  }
  const std::span<const uint8_t> master = cfg.keys[*p.rekey_master_key].material.bytes();
  const uint64_t e = crypto::EpochOf(now_ms, interval_ms);
  std::vector<crypto::KeyEntry> entries;
  for (const uint64_t epoch : {e, e + 1, e - 1}) {
    if (epoch == e - 1 && e == 0) continue;
    crypto::KeyEntry k;
    k.id = crypto::EpochKeyId(epoch);
    k.epoch = true;
    k.role = epoch == e ? crypto::KeyRole::kCurrent : crypto::KeyRole::kPrevious;
    const uint64_t start = epoch * interval_ms;
    k.accept_from_ms = start > skew_ms ? start - skew_ms : 0;
    k.accept_until_ms = start + interval_ms + skew_ms;
    if (p.hmac != crypto::HmacSuite::kNone) {
      SSR_ASSIGN_OR_RETURN(k.material.hmac_key,
                           crypto::DeriveEpochKey(master, cfg.organization, local, remote,
                                                  crypto::RekeyPurpose::kHmac, epoch,
                                                  kRekeyHmacKeySize));
    }
    if (p.cipher != crypto::CipherSuite::kNone) {
      SSR_ASSIGN_OR_RETURN(k.material.cipher_key,
                           crypto::DeriveEpochKey(master, cfg.organization, local, remote,
                                                  crypto::RekeyPurpose::kCipher, epoch,
                                                  crypto::CipherKeySize(p.cipher)));
    }
    entries.push_back(std::move(k));
  }
  return entries;
}

absl::StatusOr<crypto::KeySnapshot> KeyRotation::HopSnapshot(const config::Config& cfg,
                                                             const config::SecurityPolicy& p,
                                                             std::string_view local,
                                                             std::string_view remote,
                                                             uint64_t now_ms) const {
  if (!p.rekeys()) return Snapshot(cfg, p, true);
  SSR_ASSIGN_OR_RETURN(std::vector<crypto::KeyEntry> entries,
                       EpochKeyEntries(cfg, p, local, remote, now_ms));
  // Configured hop keys a reload retired (rekeying turned on), latest deadline first.
  std::vector<const Retired*> mine;
  for (const Retired& r : retired_) {
    if (r.policy == p.name && r.hop) mine.push_back(&r);
  }
  std::sort(mine.begin(), mine.end(), [](const Retired* a, const Retired* b) {
    return a->entry.accept_until_ms > b->entry.accept_until_ms;
  });
  for (const Retired* r : mine) {
    if (entries.size() < crypto::kMaxKeysPerStore) entries.push_back(r->entry);
  }
  return crypto::KeySnapshot(0, std::move(entries));
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
      // A rekeying policy has no configured hop keys: every old one retires.
      const bool rekeys = hop && np.rekeys();
      const std::vector<crypto::KeyEntry> now_listed =
          rekeys ? std::vector<crypto::KeyEntry>{} : ConfigKeyEntries(new_cfg, np, hop);
      const uint32_t current = rekeys ? 0 : now_listed.front().id;
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
      const config::SecurityPolicy& op_policy = old_cfg.security_policies[*op];
      // Epoch keys are per router pair and not retired (key_rotation.h).
      if (hop && op_policy.rekeys()) continue;
      std::vector<crypto::KeyEntry> was = ConfigKeyEntries(old_cfg, op_policy, hop);
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
