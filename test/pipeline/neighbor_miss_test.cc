// SPDX-License-Identifier: Apache-2.0
// Next hops without a MAC (NeighborTable::NoteMiss / TakeMisses): the pipeline notes the server a
// packet could not be sent to, so that the embedding program (router/neighbor_refresh.h) asks the
// kernel to resolve it, and the retry goes through once the MAC is known.
#include <array>
#include <string>

#include <catch2/catch.hpp>

#include "pipeline/neighbor_table.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

TEST_CASE("NeighborTable notes each missed next hop once until taken, at most kMaxMisses",
          "[pipeline][neighbor]") {
  NeighborTable t(16);
  CHECK(t.pending_misses() == 0);
  t.NoteMiss(1, Ip("10.20.2.5"));
  t.NoteMiss(1, Ip("10.20.2.5"));
  t.NoteMiss(0, Ip("10.20.2.5"));  // another interface: another miss
  t.NoteMiss(1, Ip("fd00:20:2::5"));
  CHECK(t.pending_misses() == 3);
  std::array<NeighborMiss, 2> out{};
  REQUIRE(t.TakeMisses(out) == 2);
  CHECK(out[0] == NeighborMiss{1, Ip("10.20.2.5")});
  CHECK(out[1] == NeighborMiss{0, Ip("10.20.2.5")});
  REQUIRE(t.TakeMisses(out) == 1);
  CHECK(out[0] == NeighborMiss{1, Ip("fd00:20:2::5")});
  CHECK(t.TakeMisses(out) == 0);
  // Taken misses are noted again.
  t.NoteMiss(1, Ip("10.20.2.5"));
  CHECK(t.pending_misses() == 1);

  NeighborTable full(16);
  for (int i = 0; i < 40; ++i) {
    full.NoteMiss(1, *util::IpAddress::Parse("10.20.2." + std::to_string(i + 1)));
  }
  CHECK(full.pending_misses() == NeighborTable::kMaxMisses);
}

TEST_CASE("A packet to a server without a MAC is dropped as no_neighbor and names the server, "
          "once its MAC is known the retry is delivered",
          "[pipeline][neighbor]") {
  Rig rig;  // no AddServer: B has no MAC for 10.20.2.5
  const Bytes hello = {0x68, 0x65, 0x6c, 0x6c, 0x6f};
  const PacketSpec req = VoiceSpec(40000, hello);
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  CHECK(rig.to_server_.empty());
  CHECK(Get(rig.b(), PipelineCounter::kNoNeighbor) == 1);
  std::array<NeighborMiss, NeighborTable::kMaxMisses> misses{};
  REQUIRE(rig.b().neighbors().TakeMisses(misses) == 1);
  CHECK(misses[0] == NeighborMiss{static_cast<uint16_t>(kLan), Ip("10.20.2.5")});
  CHECK(rig.a().neighbors().pending_misses() == 0);

  rig.AddServer("10.20.2.5");  // what the embedding program learns from the kernel
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(req));
  CHECK(rig.b().neighbors().pending_misses() == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
