// SPDX-License-Identifier: Apache-2.0
// The peer layer inside the pipeline (pipeline/peer_layer.cc, docs/protocol.md §5.1, §5.7): BFD
// between the two routers of the rig over both peer paths of the default config (IPv4 and IPv6
// waypoints on one WAN link), a path cut on the cable, failover of the sessions on it, new
// sessions on the other path, and recovery.
#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

constexpr uint64_t kTickMs = 20;

RigOptions FastBfd(bool run) {
  RigOptions o;
  o.base.run_peer_layer = run;
  o.base.peer_options.bfd.desired_min_tx_ms = 50;
  o.base.peer_options.bfd.required_min_rx_ms = 50;
  o.base.peer_options.bfd.multiplier = 3;
  o.base.peer_options.bfd.hold_down_ms = 0;
  o.base.peer_options.bfd.jitter = false;
  o.base.peer_options.bfd.slow_start = false;
  o.base.peer_options.link_test.length = 0;  // BFD only
  return o;
}

// Both routers know each other's IPv6 waypoint too (the rig sets only the IPv4 neighbours).
void AddV6Neighbours(Rig& rig) {
  rig.a().neighbors().SetStatic(kWan, Ip("2001:db8:2::2"), rig.b_mac_wan_);
  rig.b().neighbors().SetStatic(kWan, Ip("2001:db8:2::1"), rig.a_mac_wan_);
}

void Run(Rig& rig, uint64_t ms) {
  for (uint64_t t = 0; t < ms; t += kTickMs) {
    rig.Advance(kTickMs);
    rig.Step();
  }
}

bool IsIpv4(const Bytes& frame) { return frame.size() > 13 && frame[12] == 0x08 && frame[13] == 0x00; }

// One voice datagram from the client's `sport`; true when it reached the server.
bool Send(Rig& rig, uint16_t sport) {
  const size_t before = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(VoiceSpec(sport, Keep(Bytes(40, 0x61)))));
  rig.Step();
  return rig.to_server_.size() > before;
}

TEST_CASE("the peer layer brings BFD up on both peer paths through the pipelines' ports",
          "[pipeline][peer-layer]") {
  Rig rig(FastBfd(true));
  AddV6Neighbours(rig);
  Run(rig, 1000);
  for (Pipeline* p : {&rig.a(), &rig.b()}) {
    REQUIRE(p->peer_layer() != nullptr);
    REQUIRE(p->peer_layer()->path_count() == 2);
    CHECK(p->peer_layer()->path(0).usable());
    CHECK(p->peer_layer()->path(1).usable());
    CHECK(Get(*p, PipelineCounter::kPeerPathUp) == 2);
    CHECK(Get(*p, PipelineCounter::kPeerFrameIn) > 20);
    CHECK(Get(*p, PipelineCounter::kPeerFrameOut) > 20);
    CHECK(Get(*p, PipelineCounter::kPeerLiveness) == 0);
  }
  // BFD frames crossed the cable in both families.
  bool v4 = false, v6 = false;
  for (const Bytes& f : rig.wire_a_to_b_) (IsIpv4(f) ? v4 : v6) = true;
  CHECK(v4);
  CHECK(v6);
}

TEST_CASE("a peer path cut on the wire goes down, its sessions move to the other path and keep "
          "flowing, new sessions avoid it, and it comes back up",
          "[pipeline][peer-layer]") {
  Rig rig(FastBfd(true));
  AddV6Neighbours(rig);
  rig.AddServer("10.20.2.5");
  Run(rig, 1000);
  REQUIRE(rig.a().PeerPathUp(0, 0));
  REQUIRE(Send(rig, 41000));  // a session on path 0 (IPv4 waypoints)
  REQUIRE(Send(rig, 41000));
  // Cut the IPv4 path: the cable loses every IPv4 frame.
  rig.cable = [](Bytes& f, bool) { return !IsIpv4(f); };
  Run(rig, 400);  // detection: 3 x 50 ms
  CHECK_FALSE(rig.a().PeerPathUp(0, 0));
  CHECK(rig.a().PeerPathUp(0, 1));
  CHECK(Get(rig.a(), PipelineCounter::kPeerPathDown) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kSessionMoved) == 1);
  // The moved session re-signals on the IPv6 path and its packets arrive.
  CHECK(Send(rig, 41000));
  CHECK(Send(rig, 41000));
  // A new session takes the path that is up.
  CHECK(Send(rig, 41001));
  // Restore the cable: BFD comes back on path 0; new sessions may use it again.
  rig.cable = nullptr;
  Run(rig, 1000);
  CHECK(rig.a().PeerPathUp(0, 0));
  CHECK(Get(rig.a(), PipelineCounter::kPeerPathUp) == 3);
  CHECK(Send(rig, 41002));
  CHECK(Send(rig, 41000));
}

TEST_CASE("with every path of the peer down, its service has no usable route and is counted",
          "[pipeline][peer-layer]") {
  Rig rig(FastBfd(true));
  AddV6Neighbours(rig);
  rig.AddServer("10.20.2.5");
  Run(rig, 1000);
  rig.cable = [](Bytes&, bool) { return false; };  // the WAN link is cut
  Run(rig, 400);
  CHECK_FALSE(rig.a().PeerPathUp(0, 0));
  CHECK_FALSE(rig.a().PeerPathUp(0, 1));
  CHECK_FALSE(Send(rig, 42000));
  CHECK(Get(rig.a(), PipelineCounter::kNoUsableRoute) == 1);
}

TEST_CASE("a peer that never answers BFD keeps its paths (optimistic until proven down), and "
          "without the peer layer UDP 1280 is counted as peer_liveness",
          "[pipeline][peer-layer]") {
  RigOptions o = FastBfd(true);
  o.config_a = nullptr;
  Rig rig(o);
  AddV6Neighbours(rig);
  rig.AddServer("10.20.2.5");
  // B's BFD frames never reach A: A's sessions stay Down, never notified, paths stay usable.
  rig.cable = [](Bytes&, bool a_to_b) { return a_to_b; };
  Run(rig, 1000);
  CHECK(rig.a().PeerPathUp(0, 0));
  CHECK(Get(rig.a(), PipelineCounter::kPeerPathDown) == 0);
  rig.cable = nullptr;
  CHECK(Send(rig, 43000));

  Rig plain(FastBfd(false));
  Rig speaker(FastBfd(true));
  // The frames speaker's A sends, fed to a router without the peer layer.
  AddV6Neighbours(speaker);
  Run(speaker, 200);
  REQUIRE_FALSE(speaker.wire_a_to_b_.empty());
  for (const Bytes& f : speaker.wire_a_to_b_) plain.IntoB(f);
  plain.Step();
  CHECK(Get(plain.b(), PipelineCounter::kPeerLiveness) == speaker.wire_a_to_b_.size());
  CHECK(plain.b().peer_layer() == nullptr);
}

}  // namespace
}  // namespace ssr::pipeline::testing
