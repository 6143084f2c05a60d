// SPDX-License-Identifier: Apache-2.0
// Several routes for one service (ServicePolicy.load_balancing, pipeline/route_choice.h,
// docs/protocol.md §5.8): the branch router's voice service has its peer route to the datacenter
// and a local breakout on lan0. Sessions that took the peer route reach the server through B
// (to_server_); breakout sessions leave A's LAN port (to_client_ side of the rig).
#include <catch2/catch.hpp>
#include <string>

#include "pipeline/route_choice.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

constexpr packet::MacAddress kBreakoutMac = {0x02, 0xb0, 0, 0, 0, 0x05};

// The default config with a second voice route on the branch router (local breakout, weight
// `local_weight`; the peer route's weight `peer_weight`) and voice under `strategy`.
std::string TwoRoutes(const std::string& strategy, uint32_t peer_weight, uint32_t local_weight,
                      bool local_first = false) {
  std::string text(config::DefaultConfigText());
  const std::string peer_route = "service_routes { name: \"voice-via-dc\" service: \"voice\" peer: \"datacenter\" weight: " +
                                 std::to_string(peer_weight) + " }";
  const std::string local_route = "service_routes { name: \"voice-out\" service: \"voice\" next_hop { interface: \"lan0\" } weight: " +
                                  std::to_string(local_weight) + " }";
  text = Replace(text,
                 "service_routes { name: \"voice-via-dc\" service: \"voice\" peer: \"datacenter\" }",
                 local_first ? local_route + "\n  " + peer_route : peer_route + "\n  " + local_route);
  text = Replace(text, "  name: \"voice\"\n", "  name: \"voice\"\n  service_policy: \"voice-lb\"\n");
  text += "\nservice_policies { name: \"voice-lb\" load_balancing: " + strategy + " }\n";
  return text;
}

struct Tally {
  int via_peer = 0;
  int breakout = 0;
  int dropped = 0;
};

// `n` new voice sessions from distinct source ports; where each one went.
Tally Open(Rig& rig, int n, uint16_t first_port) {
  Tally t;
  for (int i = 0; i < n; ++i) {
    const size_t server_before = rig.to_server_.size();
    const size_t lan_before = rig.to_client_.size();
    rig.FromClient(rig.ClientFrame(VoiceSpec(static_cast<uint16_t>(first_port + i),
                                             Keep(Bytes(32, 0x42)))));
    rig.Step();
    if (rig.to_server_.size() > server_before) {
      ++t.via_peer;
    } else if (rig.to_client_.size() > lan_before) {
      ++t.breakout;
    } else {
      ++t.dropped;
    }
  }
  return t;
}

// Marks every path of the branch router's peer (the datacenter) up or down; returns how many.
int SetPeerUp(Rig& rig, bool up) {
  int n = 0;
  while (rig.a().SetPeerPathUp(0, static_cast<size_t>(n), up)) ++n;
  return n;
}

Rig MakeRig(const std::string& text) {
  RigOptions o;
  o.config = LoadConfig(text);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.a().neighbors().SetStatic(kLan, Ip("10.20.2.5"), kBreakoutMac);
  return rig;
}

TEST_CASE("hunt: every session takes the first route, and the next one while its peer is down",
          "[pipeline][lb]") {
  Rig rig = MakeRig(TwoRoutes("HUNT", 1, 1));
  Tally t = Open(rig, 20, 30000);
  CHECK(t.via_peer == 20);
  CHECK(t.breakout == 0);
  REQUIRE(SetPeerUp(rig, false) >= 1);
  t = Open(rig, 20, 31000);
  CHECK(t.breakout == 20);
  CHECK(t.via_peer == 0);
  // The sessions opened before stay on their route (sticky): a packet of one still crosses B.
  const size_t before = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(VoiceSpec(30000, Keep(Bytes(32, 0x43)))));
  rig.Step();
  CHECK(rig.to_server_.size() == before + 1);
  REQUIRE(SetPeerUp(rig, true) >= 1);
  t = Open(rig, 5, 32000);
  CHECK(t.via_peer == 5);
  CHECK_FALSE(rig.a().SetPeerPathUp(0, 7, false));  // no such path
  CHECK_FALSE(rig.a().SetPeerPathUp(3, 0, false));  // no such peer
}

TEST_CASE("round robin alternates between usable routes and skips a peer that is down",
          "[pipeline][lb]") {
  Rig rig = MakeRig(TwoRoutes("ROUND_ROBIN", 5, 1));  // weights ignored
  Tally t = Open(rig, 100, 30000);
  CHECK(t.via_peer == 50);
  CHECK(t.breakout == 50);
  REQUIRE(SetPeerUp(rig, false) >= 1);
  t = Open(rig, 10, 31000);
  CHECK(t.breakout == 10);
}

TEST_CASE("proportional honours the weights over 1,000 sessions", "[pipeline][lb]") {
  Rig rig = MakeRig(TwoRoutes("PROPORTIONAL", 3, 1));
  const Tally t = Open(rig, 1000, 20000);
  CHECK(t.dropped == 0);
  CHECK(t.via_peer == 750);
  CHECK(t.breakout == 250);
  // Within any window of 4 sessions each route has its share (smooth, not in runs).
  Rig rig2 = MakeRig(TwoRoutes("PROPORTIONAL", 3, 1));
  for (int w = 0; w < 5; ++w) {
    const Tally win = Open(rig2, 4, static_cast<uint16_t>(40000 + 4 * w));
    CHECK(win.via_peer == 3);
    CHECK(win.breakout == 1);
  }
}

TEST_CASE("a service whose only routes lead to a peer with no path up is counted, not "
          "black-holed",
          "[pipeline][lb]") {
  Rig rig(RigOptions{});
  rig.AddServer("10.20.2.5");
  REQUIRE(SetPeerUp(rig, false) >= 1);
  const Tally t = Open(rig, 3, 30000);
  CHECK(t.dropped == 3);
  CHECK(Get(rig.a(), PipelineCounter::kNoUsableRoute) == 3);
  CHECK(Get(rig.a(), PipelineCounter::kNoRoute) == 0);
  CHECK(rig.a().sessions().size() == 0);
}

TEST_CASE("a reload keeps each session on its route (by name) and the peer path state",
          "[pipeline][lb]") {
  const std::string text = TwoRoutes("ROUND_ROBIN", 1, 1);
  Rig rig = MakeRig(text);
  const Tally t = Open(rig, 2, 30000);  // 30000 via the peer, 30001 breakout
  REQUIRE(t.via_peer == 1);
  REQUIRE(t.breakout == 1);
  REQUIRE(SetPeerUp(rig, false) >= 1);
  // The same routes in the other order: indices change, names do not.
  REQUIRE(rig.a().Reload(LoadConfig(TwoRoutes("ROUND_ROBIN", 1, 1, /*local_first=*/true))).ok());
  size_t before = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(VoiceSpec(30000, Keep(Bytes(32, 0x44)))));
  rig.Step();
  CHECK(rig.to_server_.size() == before + 1);
  before = rig.to_client_.size();
  rig.FromClient(rig.ClientFrame(VoiceSpec(30001, Keep(Bytes(32, 0x45)))));
  rig.Step();
  CHECK(rig.to_client_.size() == before + 1);
  // The peer's path stayed down across the reload: new sessions break out.
  const Tally after = Open(rig, 4, 33000);
  CHECK(after.breakout == 4);
}

TEST_CASE("RouteChooser with one route returns it under every strategy while usable",
          "[pipeline][lb]") {
  const auto cfg = DefaultConfig();
  const config::Router& branch = *cfg->FindRouter("branch");
  RouteChooser chooser;
  chooser.Build(*cfg, branch);
  const size_t voice = *cfg->ServiceIndex("voice");
  const uint32_t r = chooser.Choose(voice, [](uint32_t) { return true; });
  REQUIRE(r != RouteChooser::kNone);
  CHECK(branch.service_routes[r].name == "voice-via-dc");
  CHECK(chooser.Choose(voice, [](uint32_t) { return false; }) == RouteChooser::kNone);
  CHECK(chooser.Choose(9999, [](uint32_t) { return true; }) == RouteChooser::kNone);
}

}  // namespace
}  // namespace ssr::pipeline::testing
