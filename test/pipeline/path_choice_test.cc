// SPDX-License-Identifier: Apache-2.0
// Peer path choice, SLA failover and revert (pipeline/path_choice.cc, docs/protocol.md §5.6,
// §5.7) and the PathBoard that carries path status between the pipelines of one router
// (pipeline/path_board.h). The default config's branch reaches the datacenter over two paths on
// one WAN link: path 0 "wan0:192.0.2.2" (IPv4 waypoints) and path 1 "wan0:2001:db8:2::2" (IPv6).
// Path status and quality are applied directly (ApplyPeerPathState) or through a board, as the
// peer layer of a router's worker 0 would publish them; peer_layer_test.cc covers BFD itself.
#include <catch2/catch.hpp>
#include <string>

#include "pipeline/path_board.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

constexpr const char* kV4Path = "wan0:192.0.2.2";
constexpr const char* kV6Path = "wan0:2001:db8:2::2";

// The default config with the voice service under a service policy whose fields are `fields`
// (text format, e.g. "max_loss_percent: 1").
std::shared_ptr<const config::Config> VoicePolicy(const std::string& fields) {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "  name: \"voice\"\n", "  name: \"voice\"\n  service_policy: \"voice-sla\"\n");
  text += "\nservice_policies { name: \"voice-sla\" " + fields + " }\n";
  return LoadConfig(text);
}

Rig MakeRig(std::shared_ptr<const config::Config> cfg, PathBoard* board_a = nullptr) {
  RigOptions o;
  o.config = std::move(cfg);
  o.base.path_board = board_a;  // B has no board of its own either: it never runs BFD here
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  // Both routers know each other's IPv6 waypoint too (the rig sets only the IPv4 neighbours).
  rig.a().neighbors().SetStatic(kWan, Ip("2001:db8:2::2"), rig.b_mac_wan_);
  rig.b().neighbors().SetStatic(kWan, Ip("2001:db8:2::1"), rig.a_mac_wan_);
  return rig;
}

bool IsIpv6(const Bytes& frame) {
  return frame.size() > 13 && frame[12] == 0x86 && frame[13] == 0xdd;
}

// One voice datagram from `sport`: whether it reached the server, and over which family the
// last frame A put on the WAN went (the path it took).
struct Sent {
  bool delivered = false;
  bool over_v6 = false;
};
Sent Send(Rig& rig, uint16_t sport) {
  const size_t before = rig.to_server_.size();
  const size_t wire_before = rig.wire_a_to_b_.size();
  rig.FromClient(rig.ClientFrame(VoiceSpec(sport, Keep(Bytes(40, 0x61)))));
  rig.Step();
  Sent s;
  s.delivered = rig.to_server_.size() > before;
  if (rig.wire_a_to_b_.size() > wire_before) s.over_v6 = IsIpv6(rig.wire_a_to_b_.back());
  return s;
}

// The peer path of A's session from client port `sport` (A's forward key).
uint32_t PathOf(Rig& rig, uint16_t sport) {
  session::SessionTable& t = rig.a().sessions();
  for (uint32_t i = 0; i < t.capacity(); ++i) {
    const session::Session& s = t.at(i);
    if (s.live() && s.forward.src_port == sport) return s.peer_path;
  }
  FAIL("no session from port " << sport);
  return ~0u;
}

PathRecord Measured(double latency_ms, double loss_percent, bool up = true) {
  PathRecord r;
  r.up = up;
  r.quality.measured = true;
  r.quality.has_latency = true;
  r.quality.has_jitter = true;
  r.quality.latency_ms = latency_ms;
  r.quality.jitter_ms = 1;
  r.quality.loss = loss_percent / 100;
  r.quality.mos = 4.2;
  return r;
}

PathRecord Down() {
  PathRecord r;
  r.up = false;
  return r;
}

TEST_CASE("new sessions take the first preferred path, then the lowest cost, and skip a path "
          "that is down",
          "[pipeline][paths]") {
  {
    Rig rig = MakeRig(VoicePolicy(std::string("path_preference: \"") + kV6Path + "\""));
    const Sent s = Send(rig, 41000);
    CHECK(s.delivered);
    CHECK(s.over_v6);
    CHECK(PathOf(rig, 41000) == 1);
    CHECK(rig.a().ChoosePeerPath(0, *rig.config().ServiceIndex("voice")).path ==
          std::optional<size_t>(1));
    // Web has no policy: the first path (config order, equal cost).
    CHECK(rig.a().ChoosePeerPath(0, *rig.config().ServiceIndex("web")).path ==
          std::optional<size_t>(0));
    rig.a().ApplyPeerPathState(0, 1, Down(), rig.now());
    const Sent t = Send(rig, 41001);
    CHECK(t.delivered);
    CHECK_FALSE(t.over_v6);
    CHECK(PathOf(rig, 41001) == 0);
  }
  {
    // Without a preference, cost decides: path 0 costs more than path 1.
    std::string text(config::DefaultConfigText());
    text = Replace(text,
                   "    addresses: \"192.0.2.2\"\n    addresses: \"2001:db8:2::2\"\n"
                   "    interface: \"wan0\"",
                   "    paths { interface: \"wan0\" address: \"192.0.2.2\" cost: 20 }\n"
                   "    paths { interface: \"wan0\" address: \"2001:db8:2::2\" cost: 10 }");
    Rig rig = MakeRig(LoadConfig(text));
    CHECK(Send(rig, 41002).over_v6);
    CHECK(PathOf(rig, 41002) == 1);
  }
}

TEST_CASE("a path that stops meeting a service's SLA loses that service's sessions, keeps the "
          "others, and new sessions avoid it",
          "[pipeline][paths]") {
  Rig rig = MakeRig(VoicePolicy("max_loss_percent: 1 max_latency_ms: 100"));
  REQUIRE(Send(rig, 41000).delivered);  // voice, path 0
  REQUIRE(PathOf(rig, 41000) == 0);
  // Measured and fine: nothing moves.
  CHECK(rig.a().ApplyPeerPathState(0, 0, Measured(20, 0), rig.now()) == 0);
  CHECK(rig.a().ApplyPeerPathState(0, 1, Measured(30, 0), rig.now()) == 0);
  // Path 0 loses 5 %: the voice session moves to path 1, re-signals and keeps flowing.
  CHECK(rig.a().ApplyPeerPathState(0, 0, Measured(20, 5), rig.now()) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kSessionMoved) == 1);
  CHECK(PathOf(rig, 41000) == 1);
  const Sent moved = Send(rig, 41000);
  CHECK(moved.delivered);
  CHECK(moved.over_v6);
  // A new voice session avoids path 0; its latency being lower does not matter.
  CHECK(Send(rig, 41001).over_v6);
  // Path 1 too slow as well, not strict: best effort picks the best usable path (lowest cost,
  // then latency): path 0.
  CHECK(rig.a().ApplyPeerPathState(0, 1, Measured(300, 0), rig.now()) == 0);  // nowhere better
  CHECK(Get(rig.a(), PipelineCounter::kSessionNotMoved) == 2);  // both voice sessions stay
  const Pipeline::PathPick pick = rig.a().ChoosePeerPath(0, *rig.config().ServiceIndex("voice"));
  CHECK(pick.path == std::optional<size_t>(0));
  CHECK(pick.reason == peer::PathChoiceReason::kBestEffort);
}

TEST_CASE("a service without SLA keeps its sessions on a lossy path", "[pipeline][paths]") {
  Rig rig = MakeRig(VoicePolicy("load_balancing: HUNT"));
  REQUIRE(Send(rig, 41000).delivered);
  CHECK(rig.a().ApplyPeerPathState(0, 0, Measured(900, 40), rig.now()) == 0);
  CHECK(PathOf(rig, 41000) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kSessionMoved) == 0);
  // Down is another matter: the default resiliency fails over.
  CHECK(rig.a().ApplyPeerPathState(0, 0, Down(), rig.now()) == 1);
  CHECK(PathOf(rig, 41000) == 1);
}

TEST_CASE("strict SLA refuses new sessions when no usable path meets it (no_path_meets_sla)",
          "[pipeline][paths]") {
  Rig rig = MakeRig(VoicePolicy("max_loss_percent: 1 strict_sla: true"));
  rig.a().ApplyPeerPathState(0, 0, Measured(20, 10), rig.now());
  rig.a().ApplyPeerPathState(0, 1, Measured(20, 10), rig.now());
  CHECK_FALSE(Send(rig, 41000).delivered);
  CHECK(Get(rig.a(), PipelineCounter::kNoPathMeetsSla) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kNoUsableRoute) == 0);
  // One path recovers: sessions are admitted again, on it.
  rig.a().ApplyPeerPathState(0, 1, Measured(20, 0), rig.now());
  const Sent s = Send(rig, 41001);
  CHECK(s.delivered);
  CHECK(s.over_v6);
}

TEST_CASE("resiliency NONE leaves sessions on a path that went down", "[pipeline][paths]") {
  Rig rig = MakeRig(VoicePolicy("session_resiliency: NONE"));
  REQUIRE(Send(rig, 41000).delivered);
  CHECK(rig.a().ApplyPeerPathState(0, 0, Down(), rig.now()) == 0);
  CHECK(PathOf(rig, 41000) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kSessionNotMoved) == 1);
  // New sessions still avoid the path.
  CHECK(Send(rig, 41001).over_v6);
}

TEST_CASE("revertible failover moves sessions back after the hold-down, plain failover does not",
          "[pipeline][paths]") {
  for (const bool revertible : {true, false}) {
    INFO((revertible ? "REVERTIBLE_FAILOVER" : "FAILOVER"));
    Rig rig = MakeRig(VoicePolicy(revertible
                                      ? "session_resiliency: REVERTIBLE_FAILOVER "
                                        "revert_hold_down_seconds: 2"
                                      : "session_resiliency: FAILOVER"));
    REQUIRE(Send(rig, 41000).delivered);
    REQUIRE(rig.a().ApplyPeerPathState(0, 0, Down(), rig.now()) == 1);
    REQUIRE(PathOf(rig, 41000) == 1);
    REQUIRE(Send(rig, 41000).over_v6);
    rig.Advance(500);
    rig.a().ApplyPeerPathState(0, 0, Measured(20, 0), rig.now());  // back up
    rig.Advance(1500);
    rig.Step();
    CHECK(PathOf(rig, 41000) == 1);  // 1.5 s of the 2 s hold-down
    CHECK(Get(rig.a(), PipelineCounter::kSessionReverted) == 0);
    rig.Advance(600);
    rig.Step();
    CHECK(PathOf(rig, 41000) == (revertible ? 0u : 1u));
    CHECK(Get(rig.a(), PipelineCounter::kSessionReverted) == (revertible ? 1u : 0u));
    const Sent s = Send(rig, 41000);
    CHECK(s.delivered);
    CHECK(s.over_v6 == !revertible);
  }
}

TEST_CASE("a path that fails again during the hold-down is not reverted to", "[pipeline][paths]") {
  Rig rig = MakeRig(
      VoicePolicy("session_resiliency: REVERTIBLE_FAILOVER revert_hold_down_seconds: 1"));
  REQUIRE(Send(rig, 41000).delivered);
  rig.a().ApplyPeerPathState(0, 0, Down(), rig.now());
  rig.a().ApplyPeerPathState(0, 0, Measured(20, 0), rig.now());
  rig.Advance(500);
  rig.a().ApplyPeerPathState(0, 0, Down(), rig.now());
  rig.Advance(1000);
  rig.Step();
  CHECK(PathOf(rig, 41000) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kSessionReverted) == 0);
}

TEST_CASE("a PathBoard carries one pipeline's path status to another pipeline's sessions",
          "[pipeline][paths]") {
  PathBoard board;
  Rig rig = MakeRig(DefaultConfig(), &board);
  REQUIRE(Send(rig, 41000).delivered);
  const size_t slot = rig.a().PathSlot(0, 0);
  REQUIRE(slot == 0);
  CHECK(rig.a().PathSlot(0, 1) == 1);
  CHECK(rig.a().PathSlot(0, 2) == PathBoard::kMaxPaths);
  // What worker 0's peer layer would publish: path 0 down.
  board.Publish(slot, Down());
  rig.Step();  // Poll reads the board
  CHECK_FALSE(rig.a().PeerPathUp(0, 0));
  CHECK(PathOf(rig, 41000) == 1);
  CHECK(Send(rig, 41000).over_v6);
  board.Publish(slot, Measured(10, 0));
  rig.Step();
  CHECK(rig.a().PeerPathUp(0, 0));
  PathRecord r;
  REQUIRE(board.Read(slot, &r));
  CHECK(r.changes == 2);  // down, then up
  CHECK(r.quality.latency_ms == Approx(10));
}

TEST_CASE("PathBoard records round-trip in fixed point and count status changes",
          "[pipeline][paths]") {
  PathBoard board;
  PathRecord r;
  CHECK_FALSE(board.Read(3, &r));  // never published
  CHECK_FALSE(board.Read(PathBoard::kMaxPaths, &r));
  const uint64_t g0 = board.generation();
  PathRecord in = Measured(12.3456, 0.5);
  in.quality.mos = 4.37;
  board.Publish(3, in);
  CHECK(board.generation() == g0 + 1);
  REQUIRE(board.Read(3, &r));
  CHECK(r.up);
  CHECK(r.quality.measured);
  CHECK(r.quality.latency_ms == Approx(12.346).margin(0.001));
  CHECK(r.quality.loss == Approx(0.005).margin(1e-6));
  CHECK(r.quality.mos == Approx(4.37));
  CHECK(r.changes == 0);  // the first publish is no change
  board.Publish(3, Down());
  board.Publish(3, Down());
  REQUIRE(board.Read(3, &r));
  CHECK_FALSE(r.up);
  CHECK(r.changes == 1);
  board.Publish(PathBoard::kMaxPaths, in);  // ignored
  CHECK(board.generation() == g0 + 3);
}

}  // namespace
}  // namespace ssr::pipeline::testing
