// SPDX-License-Identifier: Apache-2.0
// HandoffMesh: the frames the workers of one router hand each other (docs/protocol.md §2.10.2).
//
// Design note. A frame that arrives on a worker that does not own its flow (FlowOwner,
// pipeline.h / session/flow_owner.h) is copied into the ring from that worker to the owner: one
// bounded SPSC ring per ordered (from, to) pair, so every ring has one producer and one consumer
// and needs no lock. Slots are fixed (kHandoffBytes of frame each) and allocated with the mesh;
// a full ring or a larger frame is a drop the sender counts, never a wait. The owner drains its
// rings at the top of each loop iteration, copies each frame into a frame of its own UMEM and
// processes it as if received on the same interface.
#ifndef SSR_ROUTER_HANDOFF_H_
#define SSR_ROUTER_HANDOFF_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "router/spsc_ring.h"

namespace ssr::router {

// Bytes of frame a slot holds: a 4096-byte UMEM frame's capacity (io/umem.h).
inline constexpr uint32_t kHandoffBytes = 3840;

struct HandoffFrame {
  uint16_t interface = 0;    // config interface index it was received on
  uint8_t reassembled = 0;   // a datagram the sender reassembled from IP fragments
  uint32_t length = 0;
  uint8_t data[kHandoffBytes];
};

class HandoffMesh {
 public:
  // Rings of `slots` frames (rounded up to a power of two) for every ordered pair of `workers`.
  HandoffMesh(uint32_t workers, size_t slots) : workers_(workers), rings_(workers * workers) {
    for (uint32_t from = 0; from < workers; ++from) {
      for (uint32_t to = 0; to < workers; ++to) {
        if (from != to) rings_[from * workers + to] = std::make_unique<SpscRing<HandoffFrame>>(slots);
      }
    }
  }
  uint32_t workers() const { return workers_; }
  // from != to.
  SpscRing<HandoffFrame>& ring(uint32_t from, uint32_t to) { return *rings_[from * workers_ + to]; }

 private:
  uint32_t workers_;
  std::vector<std::unique_ptr<SpscRing<HandoffFrame>>> rings_;
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_HANDOFF_H_
