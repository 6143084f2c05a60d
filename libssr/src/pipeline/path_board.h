// SPDX-License-Identifier: Apache-2.0
// PathBoard: the status and quality of every peer path of one router, written by the one pipeline
// that runs the peer layer and read by every pipeline of the router (and the Router's control
// thread, for the path-change callback and stats) (docs/protocol.md §5.7).
//
// Design note. One writer, many readers, no lock. Each slot is a small seqlock: the writer makes
// `seq` odd, stores the fields (relaxed atomics), makes `seq` even again (release); a reader
// retries while `seq` is odd or changed under it, so it never sees a torn record. `generation`
// is bumped (release) after every publish: a reader compares it with the value it last applied
// and looks at the slots only when it moved, so the per-iteration cost for a worker is one
// acquire load. Slots are numbered by config order: the paths of peer 0, then of peer 1, ...
// (config::Peer::paths), the same in every pipeline of a router because they share one config
// snapshot. The board is sized once (kMaxPaths) and never reallocated: a reload that changes
// the peers only changes which slots are in use. After such a reload the writer republishes every
// slot; until then a reader may apply, for a moment, the status of the slot's previous path to
// the new one (harmless: the next publish corrects it, and a path starts as up anyway).
#ifndef SSR_PIPELINE_PATH_BOARD_H_
#define SSR_PIPELINE_PATH_BOARD_H_

#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "peer/link_test.h"

namespace ssr::pipeline {

// What the board holds about one path (quality in fixed point: whole microseconds, parts per
// million, MOS × 100).
struct PathRecord {
  bool up = true;
  peer::PathQuality quality;
  uint64_t changes = 0;  // status changes published for this slot since the board was made

  bool operator==(const PathRecord& o) const {
    return up == o.up && quality.measured == o.quality.measured &&
           quality.has_latency == o.quality.has_latency &&
           quality.has_jitter == o.quality.has_jitter &&
           Fixed(quality.latency_ms * 1000) == Fixed(o.quality.latency_ms * 1000) &&
           Fixed(quality.jitter_ms * 1000) == Fixed(o.quality.jitter_ms * 1000) &&
           Fixed(quality.loss * 1e6) == Fixed(o.quality.loss * 1e6) &&
           Fixed(quality.mos * 100) == Fixed(o.quality.mos * 100);
  }
  static uint32_t Fixed(double v) {
    return v <= 0 ? 0 : v >= 4e9 ? 4000000000u : static_cast<uint32_t>(std::lround(v));
  }
};

class PathBoard {
 public:
  static constexpr size_t kMaxPaths = 256;

  // Writer: stores `r` in `slot` (ignored beyond kMaxPaths). `r.changes` is kept by the board:
  // it grows by one whenever `up` differs from the slot's previous value (up before the first
  // publish).
  void Publish(size_t slot, const PathRecord& r) {
    if (slot >= kMaxPaths) return;
    Slot& s = slots_[slot];
    const uint64_t seq = s.seq.load(std::memory_order_relaxed);
    // A slot never published counts as up (paths start up, optimistic until BFD says otherwise).
    const uint32_t old = s.flags.load(std::memory_order_relaxed);
    const bool was_up = (old & kUsed) == 0 || (old & kUp) != 0;
    s.seq.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    uint32_t flags = kUsed;
    if (r.up) flags |= kUp;
    if (r.quality.measured) flags |= kMeasured;
    if (r.quality.has_latency) flags |= kHasLatency;
    if (r.quality.has_jitter) flags |= kHasJitter;
    s.flags.store(flags, std::memory_order_relaxed);
    s.latency_us.store(PathRecord::Fixed(r.quality.latency_ms * 1000), std::memory_order_relaxed);
    s.jitter_us.store(PathRecord::Fixed(r.quality.jitter_ms * 1000), std::memory_order_relaxed);
    s.loss_ppm.store(PathRecord::Fixed(r.quality.loss * 1e6), std::memory_order_relaxed);
    s.mos_x100.store(PathRecord::Fixed(r.quality.mos * 100), std::memory_order_relaxed);
    if (was_up != r.up) s.changes.fetch_add(1, std::memory_order_relaxed);
    s.seq.store(seq + 2, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }

  // Reader: false when the slot was never published (or is out of range).
  bool Read(size_t slot, PathRecord* out) const {
    if (slot >= kMaxPaths) return false;
    const Slot& s = slots_[slot];
    for (;;) {
      const uint64_t seq = s.seq.load(std::memory_order_acquire);
      if ((seq & 1) != 0) continue;
      const uint32_t flags = s.flags.load(std::memory_order_relaxed);
      PathRecord r;
      r.up = (flags & kUp) != 0;
      r.quality.measured = (flags & kMeasured) != 0;
      r.quality.has_latency = (flags & kHasLatency) != 0;
      r.quality.has_jitter = (flags & kHasJitter) != 0;
      r.quality.latency_ms = s.latency_us.load(std::memory_order_relaxed) / 1000.0;
      r.quality.jitter_ms = s.jitter_us.load(std::memory_order_relaxed) / 1000.0;
      r.quality.loss = s.loss_ppm.load(std::memory_order_relaxed) / 1e6;
      r.quality.mos = s.mos_x100.load(std::memory_order_relaxed) / 100.0;
      r.changes = s.changes.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.seq.load(std::memory_order_relaxed) != seq) continue;
      if ((flags & kUsed) == 0) return false;
      *out = r;
      return true;
    }
  }

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  static constexpr uint32_t kUsed = 1, kUp = 2, kMeasured = 4, kHasLatency = 8, kHasJitter = 16;
  struct alignas(64) Slot {
    std::atomic<uint64_t> seq{0};
    std::atomic<uint32_t> flags{0};
    std::atomic<uint32_t> latency_us{0};
    std::atomic<uint32_t> jitter_us{0};
    std::atomic<uint32_t> loss_ppm{0};
    std::atomic<uint32_t> mos_x100{0};
    std::atomic<uint64_t> changes{0};
  };
  std::array<Slot, kMaxPaths> slots_{};
  std::atomic<uint64_t> generation_{0};
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_PATH_BOARD_H_
