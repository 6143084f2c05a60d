// SPDX-License-Identifier: Apache-2.0
#include "crypto/key_store.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

namespace ssr::crypto {

void KeyMaterial::Wipe() noexcept {
  if (!hmac_key.empty()) OPENSSL_cleanse(hmac_key.data(), hmac_key.size());
  if (!cipher_key.empty()) OPENSSL_cleanse(cipher_key.data(), cipher_key.size());
}

KeyMaterial& KeyMaterial::operator=(const KeyMaterial& other) {
  if (this != &other) {
    Wipe();
    hmac_key = other.hmac_key;
    cipher_key = other.cipher_key;
  }
  return *this;
}

KeyMaterial& KeyMaterial::operator=(KeyMaterial&& other) noexcept {
  if (this != &other) {
    Wipe();
    hmac_key = std::move(other.hmac_key);
    cipher_key = std::move(other.cipher_key);
  }
  return *this;
}


const KeyEntry& KeySnapshot::current() const { return entries_.front(); }

const KeyEntry* KeySnapshot::Find(uint32_t id, uint64_t now_ms) const {
  for (const KeyEntry& e : entries_) {
    if (e.id == id) return now_ms >= e.accept_from_ms && now_ms < e.accept_until_ms ? &e : nullptr;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::Create(KeyMaterial initial, uint64_t overlap_ms,
                                                           uint32_t first_id) {
  if (first_id == 0) {
    return absl::InvalidArgumentError("security id 0 is reserved (ids start at 1)");
  }
  std::unique_ptr<KeyStore> store(new KeyStore());
  std::lock_guard<std::mutex> lock(store->mu_);
  store->overlap_ms_ = overlap_ms;
  std::vector<KeyEntry> entries;
  entries.push_back(KeyEntry{first_id, KeyRole::kCurrent, kForever, std::move(initial)});
  store->PublishLocked(std::move(entries));
  return store;
}

void KeyStore::PublishLocked(std::vector<KeyEntry> entries) {
  const uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
  snapshot_ = std::make_shared<const KeySnapshot>(gen, std::move(entries));
  generation_.store(gen, std::memory_order_release);
}

uint32_t KeyStore::Rotate(KeyMaterial next, uint64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  const KeySnapshot& old = *snapshot_;
  uint32_t id = old.current().id + 1;
  if (id == 0) id = 1;
  std::vector<KeyEntry> entries;
  entries.push_back(KeyEntry{id, KeyRole::kCurrent, kForever, std::move(next)});
  const uint64_t until = now_ms > kForever - overlap_ms_ ? kForever - 1 : now_ms + overlap_ms_;
  for (const KeyEntry& e : old.entries()) {
    if (e.accept_until_ms <= now_ms) continue;  // already past its overlap
    KeyEntry prev = e;
    if (prev.role == KeyRole::kCurrent) {
      prev.role = KeyRole::kPrevious;
      prev.accept_until_ms = until;
    }
    entries.push_back(std::move(prev));
  }
  // Newest previous keys first; drop the oldest beyond the fixed capacity.
  std::stable_sort(entries.begin() + 1, entries.end(), [](const KeyEntry& a, const KeyEntry& b) {
    return a.accept_until_ms > b.accept_until_ms;
  });
  if (entries.size() > kMaxKeysPerStore) entries.resize(kMaxKeysPerStore);
  PublishLocked(std::move(entries));
  return id;
}

void KeyStore::ExpireOld(uint64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& old = snapshot_->entries();
  std::vector<KeyEntry> entries;
  for (const KeyEntry& e : old) {
    if (e.role == KeyRole::kCurrent || e.accept_until_ms > now_ms) entries.push_back(e);
  }
  if (entries.size() != old.size()) PublishLocked(std::move(entries));
}

void KeyStore::set_overlap_ms(uint64_t ms) {
  std::lock_guard<std::mutex> lock(mu_);
  overlap_ms_ = ms;
}

uint64_t KeyStore::overlap_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overlap_ms_;
}

std::shared_ptr<const KeySnapshot> KeyStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

}  // namespace ssr::crypto
