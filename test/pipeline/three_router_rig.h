// SPDX-License-Identifier: Apache-2.0
// The base of the three-router rigs (transit_test.cc: branch, hub, datacenter in a line;
// reroute_test.cc: a branch with two datacenters): three Pipelines of one config, each with its
// own frame pool. The derived rig binds their ports, sets their neighbours and runs the cables with
// PollAll() and Carry().
#ifndef SSR_TEST_PIPELINE_THREE_ROUTER_RIG_H_
#define SSR_TEST_PIPELINE_THREE_ROUTER_RIG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "io/memory_port.h"
#include "pipeline/pipeline.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {

class ThreeRouters {
 protected:
  // Router i is names[i] of `cfg` (the first one runs `first_config` when set), at most 256
  // sessions each.
  ThreeRouters(std::shared_ptr<const config::Config> cfg, const std::array<const char*, 3>& names,
               const std::shared_ptr<const config::Config>& first_config = nullptr)
      : cfg_(std::move(cfg)) {
    for (size_t i = 0; i < 3; ++i) {
      PipelineOptions o;
      o.config = i == 0 && first_config ? first_config : cfg_;
      o.router = names[i];
      o.max_sessions = 256;
      r_[i] = CreatePipeline(o);
      r_[i]->SetPool(&pool_[i]);
    }
  }

  // Polls the three routers at `now`; returns how many frames they handled.
  size_t PollAll(uint64_t now) {
    size_t moved = 0;
    for (auto& r : r_) moved += r->Poll(now);
    return moved;
  }
  // Moves every frame `from` transmitted into `to` (and appends it to *log when given); returns
  // how many.
  static size_t Carry(io::MemoryPort& from, io::MemoryPort& to, std::vector<Bytes>* log = nullptr) {
    size_t n = 0;
    for (Bytes& f : from.TakeTransmitted()) {
      if (log != nullptr) log->push_back(f);
      REQUIRE(to.Inject(f));
      ++n;
    }
    return n;
  }

  std::shared_ptr<const config::Config> cfg_;
  std::array<io::MemoryFramePool, 3> pool_{io::MemoryFramePool(256, 4096),
                                           io::MemoryFramePool(256, 4096),
                                           io::MemoryFramePool(256, 4096)};
  std::array<std::unique_ptr<Pipeline>, 3> r_;
};

}  // namespace ssr::pipeline::testing

#endif  // SSR_TEST_PIPELINE_THREE_ROUTER_RIG_H_
