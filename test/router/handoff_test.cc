// SPDX-License-Identifier: Apache-2.0
// The handoff rings between workers (router/handoff.h, docs/protocol.md §2.10.2): bounded, full
// means the sender drops (never waits), frames come out in order, and each ordered pair of
// workers has its own ring.
#include "router/handoff.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <thread>

namespace ssr::router {
namespace {

bool Put(SpscRing<HandoffFrame>& ring, uint32_t seq, uint32_t length) {
  HandoffFrame* slot = ring.WriteSlot();
  if (slot == nullptr) return false;
  slot->interface = static_cast<uint16_t>(seq % 3);
  slot->length = length;
  std::memcpy(slot->data, &seq, sizeof(seq));
  slot->data[length - 1] = static_cast<uint8_t>(seq);
  ring.Commit();
  return true;
}

TEST_CASE("handoff ring: full drops, order kept, room again after the owner drains") {
  HandoffMesh mesh(3, 8);
  SpscRing<HandoffFrame>& r01 = mesh.ring(0, 1);
  REQUIRE(r01.capacity() == 8);
  for (uint32_t i = 0; i < 8; ++i) REQUIRE(Put(r01, i, 100 + i));
  CHECK_FALSE(Put(r01, 99, 64));  // full: the sender counts handoff_ring_full and drops
  // Other pairs are independent rings.
  CHECK(mesh.ring(1, 0).ReadSlot() == nullptr);
  CHECK(mesh.ring(2, 1).ReadSlot() == nullptr);
  REQUIRE(Put(mesh.ring(2, 1), 500, kHandoffBytes));
  for (uint32_t i = 0; i < 5; ++i) {
    const HandoffFrame* f = r01.ReadSlot();
    REQUIRE(f != nullptr);
    uint32_t seq = 0;
    std::memcpy(&seq, f->data, sizeof(seq));
    CHECK(seq == i);
    CHECK(f->length == 100 + i);
    CHECK(f->interface == i % 3);
    r01.Release();
  }
  for (uint32_t i = 8; i < 13; ++i) REQUIRE(Put(r01, i, 64));
  CHECK_FALSE(Put(r01, 13, 64));
  for (uint32_t i = 5; i < 13; ++i) {
    const HandoffFrame* f = r01.ReadSlot();
    REQUIRE(f != nullptr);
    uint32_t seq = 0;
    std::memcpy(&seq, f->data, sizeof(seq));
    CHECK(seq == i);
    r01.Release();
  }
  CHECK(r01.ReadSlot() == nullptr);
  const HandoffFrame* big = mesh.ring(2, 1).ReadSlot();
  REQUIRE(big != nullptr);
  CHECK(big->length == kHandoffBytes);
  CHECK(big->data[kHandoffBytes - 1] == static_cast<uint8_t>(500));
}

TEST_CASE("handoff ring: a producer and a consumer thread, every frame in order or counted") {
  HandoffMesh mesh(2, 64);
  SpscRing<HandoffFrame>& ring = mesh.ring(1, 0);
  constexpr uint32_t kFrames = 200000;
  uint32_t dropped = 0;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (uint32_t i = 0; i < kFrames; ++i) {
      if (!Put(ring, i, 16)) ++dropped;
    }
    done.store(true);
  });
  uint32_t received = 0;
  int64_t last = -1;
  bool ordered = true;
  for (;;) {
    const HandoffFrame* f = ring.ReadSlot();
    if (f == nullptr) {
      if (done.load() && ring.ReadSlot() == nullptr) break;
      continue;
    }
    uint32_t seq = 0;
    std::memcpy(&seq, f->data, sizeof(seq));
    ordered = ordered && static_cast<int64_t>(seq) > last && f->data[15] == static_cast<uint8_t>(seq);
    last = seq;
    ring.Release();
    ++received;
  }
  producer.join();
  CHECK(ordered);
  CHECK(received + dropped == kFrames);
  CHECK(received > 0);
}

}  // namespace
}  // namespace ssr::router
