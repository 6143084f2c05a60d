// SPDX-License-Identifier: Apache-2.0
// Sessions stranded on a dead peer path (pipeline/path_choice.cc, ApplyPeerPathState): when every
// path of a peer fails, the sessions of the last one to fail have nowhere to go and stay on it
// (session_not_moved). When another path of that peer comes up again, they must move to it at
// once, whatever their policy's resiliency (except NONE), instead of staying on the dead path
// until that very path returns (found by netns.two_wan_balance: a stream whose peer lost both
// paths never resumed when one of them came back). Same rig as path_choice_test.cc: the default
// config's branch reaches the datacenter over path 0 (IPv4 waypoints) and path 1 (IPv6).
#include <catch2/catch.hpp>
#include <string>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

std::shared_ptr<const config::Config> VoicePolicy(const std::string& fields) {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "  name: \"voice\"\n", "  name: \"voice\"\n  service_policy: \"voice-sla\"\n");
  text += "\nservice_policies { name: \"voice-sla\" " + fields + " }\n";
  return LoadConfig(text);
}

Rig MakeRig(std::shared_ptr<const config::Config> cfg) {
  RigOptions o;
  o.config = std::move(cfg);
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.a().neighbors().SetStatic(kWan, Ip("2001:db8:2::2"), rig.b_mac_wan_);
  rig.b().neighbors().SetStatic(kWan, Ip("2001:db8:2::1"), rig.a_mac_wan_);
  return rig;
}

bool Deliver(Rig& rig, uint16_t sport) {
  const size_t before = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(VoiceSpec(sport, Keep(Bytes(40, 0x61)))));
  rig.Step();
  return rig.to_server_.size() > before;
}

uint32_t PathOf(Rig& rig, uint16_t sport) {
  session::SessionTable& t = rig.a().sessions();
  for (uint32_t i = 0; i < t.capacity(); ++i) {
    const session::Session& s = t.at(i);
    if (s.live() && s.forward.src_port == sport) return s.peer_path;
  }
  FAIL("no session from port " << sport);
  return ~0u;
}

PathRecord Up() {
  PathRecord r;
  r.up = true;
  return r;
}

PathRecord Down() {
  PathRecord r;
  r.up = false;
  return r;
}

TEST_CASE("sessions stranded on a dead path move to another path of the peer when it comes up",
          "[pipeline][paths]") {
  for (const char* resiliency : {"FAILOVER", "REVERTIBLE_FAILOVER revert_hold_down_seconds: 60"}) {
    INFO(resiliency);
    Rig rig = MakeRig(VoicePolicy(std::string("session_resiliency: ") + resiliency));
    REQUIRE(Deliver(rig, 41000));
    REQUIRE(PathOf(rig, 41000) == 0);
    // Path 1 fails first, then path 0: the session has nowhere to go and stays on path 0.
    CHECK(rig.a().ApplyPeerPathState(0, 1, Down(), rig.now()) == 0);
    CHECK(rig.a().ApplyPeerPathState(0, 0, Down(), rig.now()) == 0);
    CHECK(Get(rig.a(), PipelineCounter::kSessionNotMoved) == 1);
    CHECK(PathOf(rig, 41000) == 0);
    // Path 1 comes back (path 0 stays down): the session moves there at once, no hold-down.
    CHECK(rig.a().ApplyPeerPathState(0, 1, Up(), rig.now()) == 1);
    CHECK(Get(rig.a(), PipelineCounter::kSessionMoved) == 1);
    CHECK(PathOf(rig, 41000) == 1);
    CHECK(Deliver(rig, 41000));
  }
}

TEST_CASE("a session whose policy says NONE stays on its dead path when another comes up",
          "[pipeline][paths]") {
  Rig rig = MakeRig(VoicePolicy("session_resiliency: NONE"));
  REQUIRE(Deliver(rig, 41000));
  CHECK(rig.a().ApplyPeerPathState(0, 1, Down(), rig.now()) == 0);
  CHECK(rig.a().ApplyPeerPathState(0, 0, Down(), rig.now()) == 0);
  CHECK(rig.a().ApplyPeerPathState(0, 1, Up(), rig.now()) == 0);
  CHECK(PathOf(rig, 41000) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kSessionMoved) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
