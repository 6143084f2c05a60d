// SPDX-License-Identifier: Apache-2.0
// UuidIndex: session UUID -> session slot, for sessions that arrive again on another outer tuple
// (a peer moved them to another peer path, §2.9) and must be found by UUID.
//
// Design note. Open addressing with linear probing over uint32 slot numbers; the UUID itself is
// read from the session record (the table owns it), so the index costs 8 bytes per session at the
// load factor of 0.5 it is sized for. UUIDs are random (RFC 4122 v4), so their first 8 bytes are
// the hash. Deletion shifts later entries of the probe run back (no tombstones), so lookups stay
// short after any number of removals. Allocated once; Insert, Find and Erase never allocate.
#ifndef SSR_PIPELINE_UUID_INDEX_H_
#define SSR_PIPELINE_UUID_INDEX_H_

#include <cstdint>
#include <cstring>
#include <vector>

#include "session/session_table.h"
#include "svr/metadata.h"

namespace ssr::pipeline {

class UuidIndex {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  explicit UuidIndex(uint32_t max_sessions) {
    size_t n = 16;
    while (n < size_t{max_sessions} * 2) n <<= 1;
    slots_.assign(n, kNone);
    mask_ = n - 1;
  }

  uint32_t Find(const svr::Uuid& uuid, const session::SessionTable& table) const {
    for (size_t i = Home(uuid);; i = (i + 1) & mask_) {
      const uint32_t id = slots_[i];
      if (id == kNone) return kNone;
      if (table.at(id).uuid == uuid) return id;
    }
  }
  // `id` is the slot of a session whose uuid field is set.
  void Insert(uint32_t id, const session::SessionTable& table) {
    size_t i = Home(table.at(id).uuid);
    while (slots_[i] != kNone) i = (i + 1) & mask_;
    slots_[i] = id;
  }
  void Erase(uint32_t id, const session::SessionTable& table) {
    size_t i = Home(table.at(id).uuid);
    while (slots_[i] != id) {
      if (slots_[i] == kNone) return;  // not indexed
      i = (i + 1) & mask_;
    }
    // Backward-shift deletion: move later members of the run into the hole when their home
    // position does not lie cyclically in (hole, j].
    for (size_t j = (i + 1) & mask_; slots_[j] != kNone; j = (j + 1) & mask_) {
      const size_t home = Home(table.at(slots_[j]).uuid);
      const bool home_in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!home_in_range) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = kNone;
  }

 private:
  size_t Home(const svr::Uuid& uuid) const {
    uint64_t h;
    std::memcpy(&h, uuid.data(), sizeof(h));
    return (h * 0x9E3779B97F4A7C15ull >> 16) & mask_;
  }
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_UUID_INDEX_H_
