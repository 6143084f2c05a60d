// SPDX-License-Identifier: Apache-2.0
// SVR fragmentation (docs/protocol.md §2.14) makes no heap allocation: the sender's fragments come
// from the frame pool, the receiver's reassembly slots were allocated at creation; a dry pool
// drops the packet whole (no_frame) and every frame goes back.
#include <array>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"
#include "sink_port.h"
#include "support/counting_allocator.h"

namespace ssr::pipeline::testing {
namespace {

// Keeps copies of the frames it is given in fixed buffers (no allocation), frees the frames.
class CapturePort final : public io::Port {
 public:
  explicit CapturePort(io::FramePool* pool) : pool_(pool) {}
  std::string_view name() const override { return "capture"; }
  size_t Receive(std::span<io::Frame>) override { return 0; }
  size_t Transmit(std::span<const io::Frame> frames) override {
    for (const io::Frame& f : frames) {
      if (count < kSlots) {
        std::copy(f.data, f.data + f.length, frames_[count].begin());
        lengths[count] = f.length;
        ++count;
      }
      ++sent;
    }
    pool_->Free(frames);
    return frames.size();
  }
  void Flush() override {}
  const uint8_t* data(size_t i) const { return frames_[i].data(); }
  static constexpr size_t kSlots = 8;
  std::array<size_t, kSlots> lengths{};
  size_t count = 0;
  size_t sent = 0;

 private:
  std::array<std::array<uint8_t, 4096>, kSlots> frames_{};
  io::FramePool* pool_;
};

TEST_CASE("SVR fragments are made and reassembled without heap allocation, a dry pool drops the "
          "packet whole",
          "[pipeline][alloc][svr-fragment]") {
  auto cfg = DefaultConfig();
  PipelineOptions oa;
  oa.config = cfg;
  oa.router = "branch";
  oa.max_sessions = 4096;
  PipelineOptions ob = oa;
  ob.router = "datacenter";
  auto a = Pipeline::Create(oa);
  auto b = Pipeline::Create(ob);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  io::MemoryFramePool pool(32, 4096);
  SinkPort a_lan(&pool), b_lan(&pool), b_wan(&pool);
  CapturePort a_wan(&pool);
  (*a)->SetPool(&pool);
  (*b)->SetPool(&pool);
  (*a)->Bind(kLan, &a_lan);
  (*a)->Bind(kWan, &a_wan);
  (*b)->Bind(kLan, &b_lan);
  (*b)->Bind(kWan, &b_wan);
  (*a)->neighbors().SetStatic(kWan, Ip("192.0.2.2"), {2, 0x55, 1, 0, 0, 1});
  (*b)->neighbors().SetStatic(kWan, Ip("192.0.2.1"), {2, 0x55, 0, 0, 0, 1});
  (*b)->neighbors().SetStatic(kLan, Ip("10.20.2.5"), kServerMac);

  // First packets of new voice flows, 1484 bytes with DF: each opens a session with metadata.
  constexpr int kFlows = 200;
  std::vector<Bytes> first;
  for (int i = 0; i < kFlows + 2; ++i) {
    packet::PacketSpec u =
        VoiceSpec(static_cast<uint16_t>(20000 + i), Keep(Bytes(1484 - 28, 0x42)));
    u.src_mac = kClientMac;
    u.dont_fragment = true;
    first.push_back(Rig::Build(u));
  }
  uint64_t now = kStartMs;
  auto run = [&](Pipeline& p, size_t iface, const uint8_t* data, size_t len) {
    io::Frame f;
    REQUIRE(pool.Allocate({&f, 1}) == 1);
    std::copy(data, data + len, f.data);
    f.length = static_cast<uint32_t>(len);
    p.ProcessBurst(iface, {&f, 1}, now);
  };
  // One flow: A fragments it, B gets the fragments last one first.
  auto flow = [&](int i) {
    a_wan.count = 0;
    run(**a, kLan, first[i].data(), first[i].size());
    for (size_t k = a_wan.count; k-- > 0;) run(**b, kWan, a_wan.data(k), a_wan.lengths[k]);
  };
  flow(0);  // warm-up outside the count (OpenSSL's lazy per-thread state)
  const auto& ca = (*a)->counters();
  const auto& cb = (*b)->counters();
  REQUIRE(ca.Get(PipelineCounter::kSvrFragmentedPackets) == 1);
  REQUIRE(cb.Get(PipelineCounter::kSvrFragReassembled) == 1);
  REQUIRE(b_lan.sent == 1);
  const size_t allocations = ssr::testing::CountAllocations([&] {
    for (int i = 1; i <= kFlows; ++i) {
      now += 1;
      flow(i);
    }
  });
  CHECK(allocations == 0);
  CHECK(ca.Get(PipelineCounter::kSvrFragmentedPackets) == kFlows + 1);
  CHECK(cb.Get(PipelineCounter::kSvrFragReassembled) == kFlows + 1);
  CHECK(b_lan.sent == kFlows + 1);
  CHECK(pool.available() == 32);

  // Leave only the packet's own frame: the second fragment has none. Nothing is sent.
  std::vector<io::Frame> held(31);
  REQUIRE(pool.Allocate(held) == 31);
  const size_t sent = a_wan.sent;
  a_wan.count = 0;
  run(**a, kLan, first[kFlows + 1].data(), first[kFlows + 1].size());
  CHECK(a_wan.sent == sent);
  CHECK(ca.Get(PipelineCounter::kNoPool) == 1);
  CHECK(ca.Get(PipelineCounter::kSvrFragmentedPackets) == kFlows + 1);
  pool.Free(held);
  CHECK(pool.available() == 32);
}

}  // namespace
}  // namespace ssr::pipeline::testing
