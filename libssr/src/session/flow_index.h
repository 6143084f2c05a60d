// SPDX-License-Identifier: Apache-2.0
// FlowIndex: FlowKey -> flow id (session index * 2 + direction), open addressing, fixed capacity.
//
// Design note: why not absl::flat_hash_set<uint32_t> with a transparent hash that reads keys from
// the session array? It would use 5 bytes per slot instead of 8, but absl erases by leaving
// tombstones and, once they eat the growth budget, rehashes the whole table in place on the next
// insert: an O(capacity) pause (tens of ms at 4M slots) on the packet path, and a grow (heap
// allocation) if the reserve arithmetic is ever off. This index instead:
//   * is linear probing with backward-shift deletion (Knuth 6.4 Algorithm R): no tombstones, so
//     insert/erase/lookup cost depends only on the load, never on the churn history;
//   * has a power-of-two capacity of at least 2 x max entries (load <= 0.5: ~1.5 probes per hit,
//     ~2.5 per miss), allocated once in the constructor (huge pages, huge_array.h) and never
//     resized;
//   * keeps the low 32 bits of the key's hash in each slot next to the id. The home bucket is
//     derived from it (so erase can shift entries without rehashing their keys) and a probe
//     only reads a session's key when the 32-bit tag matches, so collisions cost no cache miss
//     on the session array.
// Keys themselves live in the sessions; callers pass a functor id -> const FlowKey&.
// Not thread-safe (one table per worker). No allocation after construction.
#ifndef SSR_SESSION_FLOW_INDEX_H_
#define SSR_SESSION_FLOW_INDEX_H_

#include <bit>
#include <cstddef>
#include <cstdint>

#include "absl/hash/hash.h"
#include "session/flow_key.h"
#include "session/huge_array.h"

namespace ssr::session {

class FlowIndex {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  struct Slot {
    uint32_t tag;  // low 32 bits of the key hash
    uint32_t id;   // kNone = empty
  };

  // Room for `max_entries` ids (must be >= 1 and < 2^31).
  explicit FlowIndex(size_t max_entries)
      : capacity_(std::bit_ceil(max_entries * 2 < 16 ? size_t{16} : max_entries * 2)),
        mask_(capacity_ - 1),
        slots_(capacity_) {
    for (size_t i = 0; i < capacity_; ++i) slots_[i] = {0, kNone};
  }

  static uint64_t Hash(const FlowKey& key) { return absl::Hash<FlowKey>{}(key); }

  // Pulls the key's home slot into the cache, for burst lookups (hash first, prefetch, probe).
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }

  // The id in the key's home slot if its tag matches (the likely answer of Find), else kNone.
  // Reads one slot, so call it after Prefetch has had time to land.
  uint32_t Peek(uint64_t hash) const {
    const Slot s = slots_[hash & mask_];
    return s.tag == static_cast<uint32_t>(hash) ? s.id : kNone;
  }

  // Id of `key`, or kNone. `key_of(id)` returns the key stored for an id.
  template <typename KeyOf>
  uint32_t Find(const FlowKey& key, uint64_t hash, const KeyOf& key_of) const {
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot s = slots_[i];
      if (s.id == kNone) return kNone;
      if (s.tag == tag && key_of(s.id) == key) return s.id;
    }
  }

  // Adds `id` for a key with `hash` that is not in the index (the caller checked with Find).
  void Insert(uint64_t hash, uint32_t id) {
    const uint32_t tag = static_cast<uint32_t>(hash);
    size_t i = tag & mask_;
    while (slots_[i].id != kNone) i = (i + 1) & mask_;
    slots_[i] = {tag, id};
    ++size_;
  }

  // Removes `id`, whose key has `hash`. Matches on the id, so the key is not read.
  // Returns false if the id is not indexed under that hash.
  bool Erase(uint64_t hash, uint32_t id) {
    const uint32_t tag = static_cast<uint32_t>(hash);
    size_t i = tag & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].id == kNone) return false;
      if (slots_[i].id == id) break;
    }
    // Backward shift: move later members of the cluster into the hole when their home bucket
    // does not lie cyclically in (hole, their position].
    size_t j = i;
    for (;;) {
      j = (j + 1) & mask_;
      if (slots_[j].id == kNone) break;
      const size_t home = slots_[j].tag & mask_;
      const bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = {0, kNone};
    --size_;
    return true;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t MemoryBytes() const { return capacity_ * sizeof(Slot); }

 private:
  size_t capacity_;
  size_t mask_;
  HugeArray<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace ssr::session

#endif  // SSR_SESSION_FLOW_INDEX_H_
