// SPDX-License-Identifier: Apache-2.0
// The per-packet peer calls never allocate: codec, BFD session, link test, path choice, frame
// build/parse with an HMAC, and PeerPaths Poll/Receive between two routers over a fixed ring.
// Separate executable because it replaces the global allocator (test/support).
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <memory>

#include "peer/peer_paths.h"
#include "peer_test_util.h"
#include "support/counting_allocator.h"

namespace ssr::peer {
namespace {

// Fixed ring of frames in flight (zero delay): no allocation when queueing.
struct Ring {
  struct Slot {
    bool to_east = false;
    size_t len = 0;
    std::array<uint8_t, 1600> bytes{};
  };
  std::array<Slot, 256> slots;
  size_t head = 0, tail = 0;
  bool from_west = true;

  static void FromWest(void* ctx, size_t, std::span<const uint8_t> f) {
    static_cast<Ring*>(ctx)->Push(true, f);
  }
  static void FromEast(void* ctx, size_t, std::span<const uint8_t> f) {
    static_cast<Ring*>(ctx)->Push(false, f);
  }
  void Push(bool to_east, std::span<const uint8_t> f) {
    Slot& s = slots[tail++ % slots.size()];
    s.to_east = to_east;
    s.len = f.size();
    std::memcpy(s.bytes.data(), f.data(), f.size());
  }
};

TEST_CASE("Peer per-packet calls make no heap allocation", "[peer][alloc]") {
  const config::Config config = testing::TwoRouters();
  PeerPathsOptions options;
  options.bfd.hold_down_ms = 1000;
  auto w = PeerPaths::Create(config, 0, options);
  auto e = PeerPaths::Create(config, 1, options);
  REQUIRE(w.ok());
  REQUIRE(e.ok());
  PeerPaths& west = **w;
  PeerPaths& east = **e;
  auto west_tx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
  auto west_rx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
  auto east_tx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
  auto east_rx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
  west.SetPeerCrypto(0, west_tx.get(), west_rx.get());
  east.SetPeerCrypto(0, east_tx.get(), east_rx.get());
  auto ring = std::make_unique<Ring>();
  west.SetFrameSink(&Ring::FromWest, ring.get());
  east.SetFrameSink(&Ring::FromEast, ring.get());
  size_t events = 0;
  west.AddObserver([](void* ctx, const PathEvent&) { ++*static_cast<size_t*>(ctx); }, &events);
  ServicePolicy policy;
  policy.path_quality_filter = true;

  // The hooks are active: one visible allocation is counted (stored through a volatile pointer so
  // the optimiser cannot elide the new/delete pair).
  const size_t hook_check = ssr::testing::CountAllocations([] {
    static int* volatile sink = nullptr;
    sink = new int(1);
    delete sink;
  });
  REQUIRE(hook_check == 1);

  size_t chosen = 0;
  const uint64_t start = 1'790'000'000'000;
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (uint64_t now = start; now < start + 40000; now += 5) {
      west.Poll(now);
      east.Poll(now);
      while (ring->head != ring->tail) {
        Ring::Slot& s = ring->slots[ring->head++ % ring->slots.size()];
        const std::span<const uint8_t> frame(s.bytes.data(), s.len);
        (s.to_east ? east : west).Receive(frame, now);
      }
      chosen += west.ChoosePath(0, policy).path.has_value();
    }
    // Codec and session calls directly.
    BfdSession session(1, BfdOptions{});
    BfdControl c;
    std::array<uint8_t, 24> b{};
    for (uint64_t t = 0; t < 5000; t += 10) {
      if (session.Poll(t, &c).send) {
        EncodeBfdControl(c, b);
        BfdControl d;
        DecodeBfdControl(b, &d);
      }
    }
  });
  CHECK(allocations == 0);
  CHECK(events == 3);  // all three paths came up (and the loop really ran)
  CHECK(chosen > 0);
  CHECK(west.path(0).link_test.tests_completed() >= 3);
  CHECK(west.frame_counters().Get(PeerFrameResult::kOk) > 100);
  CHECK(west_rx->counters().Get(crypto::CryptoCounter::kVerified) > 100);
}

}  // namespace
}  // namespace ssr::peer
