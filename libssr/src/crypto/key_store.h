// SPDX-License-Identifier: Apache-2.0
// Key store: security ids, key material, rotation with an overlap (§4.7, §3.6.4, §7.64, §7.65).
//
// Design note. Keys change rarely (operator rotation, rekey-interval in minutes) but are looked up
// on every packet, so the store is split by writer:
//   * KeyStore is owned by the control thread. Every change (Rotate, ExpireOld) builds a new
//     immutable KeySnapshot and publishes it by swapping a std::shared_ptr and bumping an atomic
//     generation number.
//   * Workers never lock per packet. A worker keeps its own PacketCrypto (prepared contexts for
//     every key of one snapshot) and, between bursts, compares KeyStore::generation() with the one
//     it was built from; only when it differs does it take Snapshot() (a short mutex, off the
//     packet path) and prepare a new PacketCrypto. Per packet it only reads its own immutable
//     state.
//   * The overlap is enforced per packet from each key's `accept_until_ms` against the packet
//   clock,
//     so an old key stops being accepted exactly when its overlap ends even if the control thread
//     publishes the trimmed snapshot later.
// Security ids start at 1, grow by one per rotation and are never 0 (§3.6.4); a wrap skips 0.
//
// Thread-safety: KeyStore methods may be called from any thread (internally serialised);
// KeySnapshot is immutable and safe to share.
#ifndef SSR_CRYPTO_KEY_STORE_H_
#define SSR_CRYPTO_KEY_STORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ssr::crypto {

// Keys accepted at once (current + previous ones still in their overlap). Small and fixed so a
// worker's per-key contexts live in a fixed array and lookup is a short linear scan.
inline constexpr size_t kMaxKeysPerStore = 4;
inline constexpr uint64_t kForever = ~uint64_t{0};

// Key bytes are wiped (OPENSSL_cleanse) when a KeyMaterial is destroyed or assigned over, so
// rotated-out keys do not linger in freed heap memory. Moving leaves the source empty.
struct KeyMaterial {
  std::vector<uint8_t> hmac_key;    // empty if the policy has no HMAC
  std::vector<uint8_t> cipher_key;  // empty if the policy has no cipher

  KeyMaterial() = default;
  KeyMaterial(std::vector<uint8_t> hmac, std::vector<uint8_t> cipher)
      : hmac_key(std::move(hmac)), cipher_key(std::move(cipher)) {}
  KeyMaterial(const KeyMaterial&) = default;
  KeyMaterial(KeyMaterial&&) noexcept = default;
  KeyMaterial& operator=(const KeyMaterial& other);
  KeyMaterial& operator=(KeyMaterial&& other) noexcept;
  ~KeyMaterial() { Wipe(); }
  void Wipe() noexcept;
};

enum class KeyRole : uint8_t {
  kCurrent,   // signs / encrypts outgoing packets, accepted on receive
  kPrevious,  // accepted on receive until accept_until_ms, never used to send
};

struct KeyEntry {
  uint32_t id = 0;  // Security ID (TLV 16), never 0
  KeyRole role = KeyRole::kCurrent;
  uint64_t accept_until_ms = kForever;
  KeyMaterial material;
  // Accepted on receive from this unix time on (the next epoch's key of automatic rekeying is
  // accepted only from its boundary minus the clock-skew bound, crypto/rekey.h).
  uint64_t accept_from_ms = 0;
  // An epoch key of automatic rekeying: a packet under it outside [accept_from_ms,
  // accept_until_ms) is counted as rekey_epoch_skew, not key_expired.
  bool epoch = false;
};

class KeySnapshot {
 public:
  KeySnapshot(uint64_t generation, std::vector<KeyEntry> entries)
      : generation_(generation), entries_(std::move(entries)) {}

  uint64_t generation() const { return generation_; }
  // The current (sending) key; a snapshot always has exactly one.
  const KeyEntry& current() const;
  const std::vector<KeyEntry>& entries() const { return entries_; }
  // The entry for `id` if it is accepted at now_ms, else nullptr (unknown or past its overlap).
  const KeyEntry* Find(uint32_t id, uint64_t now_ms) const;

 private:
  uint64_t generation_;
  std::vector<KeyEntry> entries_;  // current first
};

class KeyStore {
 public:
  // `overlap_ms`: how long a replaced key stays accepted after Rotate (SVRv2 default 30 s).
  // InvalidArgument if first_id is 0.
  static absl::StatusOr<std::unique_ptr<KeyStore>> Create(KeyMaterial initial, uint64_t overlap_ms,
                                                          uint32_t first_id = 1);

  // Makes `next` the current key with id = current id + 1 (skipping 0); the old current key becomes
  // kPrevious, accepted until now_ms + overlap. If kMaxKeysPerStore keys would be held, the oldest
  // previous key is dropped early. Returns the new key's id.
  uint32_t Rotate(KeyMaterial next, uint64_t now_ms);

  // Drops previous keys whose overlap ended at or before now_ms; publishes only if something went.
  void ExpireOld(uint64_t now_ms);

  void set_overlap_ms(uint64_t ms);
  uint64_t overlap_ms() const;

  // Cheap check for workers between bursts (one relaxed-acquire atomic load).
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const KeySnapshot> Snapshot() const;

 private:
  KeyStore() = default;
  void PublishLocked(std::vector<KeyEntry> entries);

  mutable std::mutex mu_;
  std::shared_ptr<const KeySnapshot> snapshot_;  // guarded by mu_
  uint64_t overlap_ms_ = 0;                      // guarded by mu_
  std::atomic<uint64_t> generation_{0};
};

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_KEY_STORE_H_
