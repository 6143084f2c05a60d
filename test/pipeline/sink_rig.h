// SPDX-License-Identifier: Apache-2.0
// The routers of the no-allocation tests, driven frame by frame through ProcessBurst by the test
// (no cable: the test hands A's WAN output to B itself), every port a SinkPort on one frame pool.
// SinkRig: A "branch" and B "datacenter" of the default config's topology; neighbours: each
// router's WAN peer and the voice server 10.20.2.5 behind B. SinkRouter: A alone. A test may bind
// its own port in place of a sink (a CapturePort on the same pool). Nothing here allocates once
// built.
#ifndef SSR_TEST_PIPELINE_SINK_RIG_H_
#define SSR_TEST_PIPELINE_SINK_RIG_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include <catch2/catch.hpp>

#include "io/memory_port.h"
#include "pipeline/pipeline.h"
#include "pipeline_rig.h"
#include "sink_port.h"

namespace ssr::pipeline::testing {

// Copies `len` bytes into a frame from `pool` and pushes it through `p` on `iface`.
inline void ProcessCopy(Pipeline& p, io::FramePool& pool, size_t iface, const uint8_t* data,
                        size_t len, uint64_t now) {
  io::Frame f;
  REQUIRE(pool.Allocate({&f, 1}) == 1);
  std::copy(data, data + len, f.data);
  f.length = static_cast<uint32_t>(len);
  p.ProcessBurst(iface, {&f, 1}, now);
}

// Copies frames[i] into burst[i] (frames from `pool`) and pushes them through `p` on `iface` as one
// burst; `burst` holds as many frames as `frames`.
inline void ProcessCopies(Pipeline& p, io::FramePool& pool, size_t iface,
                          std::span<const Bytes> frames, std::span<io::Frame> burst,
                          uint64_t now) {
  REQUIRE(pool.Allocate(burst) == burst.size());
  for (size_t i = 0; i < burst.size(); ++i) {
    std::copy(frames[i].begin(), frames[i].end(), burst[i].data);
    burst[i].length = static_cast<uint32_t>(frames[i].size());
  }
  p.ProcessBurst(iface, burst, now);
}

class SinkRig {
 public:
  // `o` for both routers (config, max_sessions, ...; the router name is set here); a pool of
  // `frames` 4096-byte frames; v6_wan: the routers peer over IPv6 (PeerOverIpv6's addresses).
  explicit SinkRig(PipelineOptions o, size_t frames = 256, bool v6_wan = false)
      : pool(frames, 4096) {
    o.router = "branch";
    a_ = CreatePipeline(o);
    o.router = "datacenter";
    b_ = CreatePipeline(o);
    a_->SetPool(&pool);
    b_->SetPool(&pool);
    a_->Bind(kLan, &a_lan);
    a_->Bind(kWan, &a_wan);
    b_->Bind(kLan, &b_lan);
    b_->Bind(kWan, &b_wan);
    a_->neighbors().SetStatic(kWan, Ip(v6_wan ? "2001:db8::2" : "192.0.2.2"),
                              {2, 0x55, 1, 0, 0, 1});
    b_->neighbors().SetStatic(kWan, Ip(v6_wan ? "2001:db8::1" : "192.0.2.1"),
                              {2, 0x55, 0, 0, 0, 1});
    b_->neighbors().SetStatic(kLan, Ip("10.20.2.5"), kServerMac);
  }

  Pipeline& a() { return *a_; }
  Pipeline& b() { return *b_; }
  // Pushes one frame (copied into the pool) through `p` on `iface`.
  void Run(Pipeline& p, size_t iface, const uint8_t* data, size_t len, uint64_t now) {
    ProcessCopy(p, pool, iface, data, len, now);
  }

 private:
  std::unique_ptr<Pipeline> a_;
  std::unique_ptr<Pipeline> b_;

 public:
  io::MemoryFramePool pool;
  SinkPort a_lan{&pool}, a_wan{&pool}, b_lan{&pool}, b_wan{&pool};
};

// Router A ("branch") alone, its LAN and WAN into sinks on its own pool, its WAN peer (192.0.2.2)
// a neighbour.
class SinkRouter {
 public:
  // `o` for the router (the router name is set here); a pool of `frames` 4096-byte frames.
  explicit SinkRouter(PipelineOptions o, size_t frames = 256) : pool(frames, 4096) {
    o.router = "branch";
    a_ = CreatePipeline(o);
    a_->SetPool(&pool);
    a_->Bind(kLan, &lan);
    a_->Bind(kWan, &wan);
    a_->neighbors().SetStatic(kWan, Ip("192.0.2.2"), {2, 0x55, 1, 0, 0, 1});
  }

  Pipeline& a() { return *a_; }
  // Pushes one frame (copied into the pool) through the router from its LAN.
  void FromLan(const Bytes& frame, uint64_t now) {
    ProcessCopy(*a_, pool, kLan, frame.data(), frame.size(), now);
  }

 private:
  std::unique_ptr<Pipeline> a_;

 public:
  io::MemoryFramePool pool;
  SinkPort lan{&pool}, wan{&pool};
};

}  // namespace ssr::pipeline::testing

#endif  // SSR_TEST_PIPELINE_SINK_RIG_H_
